package vaekit

import (
	"fmt"

	"github.com/gomlx/gomlx/ml/model"
	"maps"
	"slices"
	"sort"
)

// Family is what a model family tells the registry about itself, from its own package's init
// function (RegisterFamily), as image.RegisterFormat and database/sql.Register do: the model
// value, the parameters declared elsewhere that it reads, and its own defaults for them. The
// family's own parameters it declares with DeclareParams, naming it in ParamSpec.Families.
type Family struct {
	// Model is the family's value; Model.Name names the family.
	Model Model
	// Reads are parameters declared by other packages that the family reads: the shared
	// blocks' (architecture, latent size, ...) and, for a family built on another, that one's.
	Reads []string
	// Defaults are the family's defaults for parameters it reads, over their declared ones.
	Defaults map[string]any
}

var families = map[string]Family{}

// RegisterFamily makes a family known by its name: the experiments, the command line, the
// parameter table and the checks of CheckParams find it there. Registering a name twice, or
// reading a parameter that is not declared (yet: declare before registering), panics.
func RegisterFamily(f Family) {
	paramMu.Lock()
	defer paramMu.Unlock()
	name := f.Model.Name()
	if _, dup := families[name]; dup {
		panic(fmt.Sprintf("vaekit: model family %q registered twice", name))
	}
	for _, p := range append(slices.Clone(f.Reads), slices.Collect(maps.Keys(f.Defaults))...) {
		if _, ok := paramSpecs[p]; !ok {
			panic(fmt.Sprintf("vaekit: model family %q reads parameter %q, which is not declared", name, p))
		}
	}
	f.Reads = slices.Clone(f.Reads)
	f.Defaults = maps.Clone(f.Defaults)
	families[name] = f
}

// FamilyByName returns the registered family with the given name.
func FamilyByName(name string) (Model, error) {
	paramMu.RLock()
	defer paramMu.RUnlock()
	if f, ok := families[name]; ok {
		return f.Model, nil
	}
	return nil, fmt.Errorf("unknown model %q: expected one of %v", name, familyNames())
}

// FamilyNames are the names of the registered families, sorted.
func FamilyNames() []string {
	paramMu.RLock()
	defer paramMu.RUnlock()
	return familyNames()
}

func familyNames() []string { return slices.Sorted(maps.Keys(families)) }

// withRegistrations is the spec as the registered families read it: Families gains every
// family whose registration reads it, FamilyDefaults their defaults. The caller holds paramMu.
func withRegistrations(s ParamSpec) ParamSpec {
	var readers []string
	defaults := maps.Clone(s.FamilyDefaults)
	for _, name := range familyNames() {
		f := families[name]
		if slices.Contains(f.Reads, s.Name) && !slices.Contains(s.Families, name) {
			readers = append(readers, name)
		}
		if d, ok := f.Defaults[s.Name]; ok {
			if defaults == nil {
				defaults = map[string]any{}
			}
			defaults[name] = d
		}
	}
	s.Families = append(slices.Clone(s.Families), readers...)
	sort.Strings(s.Families)
	s.FamilyDefaults = defaults
	return s
}

// Param returns the value of a declared parameter as scope reads it, or else its declared
// default for the store's family (ParamModel, which NewTrainer sets): the table is the one
// source of defaults, so graph builders never restate them. An undeclared name, or a default of
// another type than T, is a programming error and panics.
func Param[T any](scope *model.Scope, name string) T {
	spec, ok := LookupParam(name)
	if !ok {
		panic(fmt.Errorf("vaekit: parameter %q is not declared (DeclareParams)", name))
	}
	def, ok := spec.DefaultFor(model.GetParamOr(scope, ParamModel, "")).(T)
	if !ok && spec.DefaultFor("") != nil {
		panic(fmt.Errorf("vaekit: parameter %q: its default %v is not a %T", name, spec.DefaultFor(""), def))
	}
	return model.GetParamOr(scope, name, def)
}
