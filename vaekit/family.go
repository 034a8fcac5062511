package vaekit

import (
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/gomlx/gomlx/ml/model"
	"github.com/vaekit/vaekit/vaekit/paramtable"
)

// Family is what a model family tells the registry about itself, from its own package's init
// function (RegisterFamily), as image.RegisterFormat and database/sql.Register do: the model
// value, the parameters declared elsewhere that it reads, and its own defaults for them. The
// family's own parameters it declares with paramtable.Declare, naming it in Spec.Families.
type Family struct {
	// Model is the family's value; Model.Name names the family.
	Model Model
	// Reads are parameters declared by other packages that the family reads: the shared
	// blocks' (architecture, latent size, ...) and, for a family built on another, that one's.
	Reads []string
	// Defaults are the family's defaults for parameters it reads, over their declared ones.
	Defaults map[string]any
}

var (
	familyMu sync.RWMutex
	families = map[string]Model{}
)

// RegisterFamily makes a family known by its name: the experiments, the command line, the
// parameter table and its checks find it there. Registering a name twice, or reading a
// parameter that is not declared (yet: declare before registering), panics.
func RegisterFamily(f Family) {
	familyMu.Lock()
	defer familyMu.Unlock()
	name := f.Model.Name()
	if err := paramtable.RegisterReader(name, f.Reads, f.Defaults); err != nil {
		panic(err)
	}
	families[name] = f.Model
}

// FamilyByName returns the registered family with the given name.
func FamilyByName(name string) (Model, error) {
	familyMu.RLock()
	defer familyMu.RUnlock()
	if m, ok := families[name]; ok {
		return m, nil
	}
	return nil, fmt.Errorf("unknown model %q: expected one of %v", name, slices.Sorted(maps.Keys(families)))
}

// FamilyNames are the names of the registered families, sorted.
func FamilyNames() []string {
	familyMu.RLock()
	defer familyMu.RUnlock()
	return slices.Sorted(maps.Keys(families))
}

// Param returns the value of a declared parameter as scope reads it, or else its declared
// default for the store's family (ParamModel, which NewTrainer sets): the table is the one
// source of defaults, so graph builders never restate them. An undeclared name, or a default of
// another type than T, is a programming error and panics.
func Param[T any](scope *model.Scope, name string) T {
	spec, ok := paramtable.Lookup(name)
	if !ok {
		panic(fmt.Errorf("vaekit: parameter %q is not declared (paramtable.Declare)", name))
	}
	def, ok := spec.DefaultFor(model.GetParamOr(scope, ParamModel, "")).(T)
	if !ok && spec.DefaultFor("") != nil {
		panic(fmt.Errorf("vaekit: parameter %q: its default %v is not a %T", name, spec.DefaultFor(""), def))
	}
	return model.GetParamOr(scope, name, def)
}
