// Package paramtable is the table of every model-store parameter vaekit knows: each declared
// once, by the package that reads it (Declare, from an init function), with its kind, the
// values it allows, the families that read it and its default, so that the command line's
// parsing (Parse), the checks of every value from Go code (Check, CheckAll, the combination
// rules of DeclareRule) and the printed table (All) cannot drift from the code. A family built
// on shared blocks registers the parameters it reads that others declared (RegisterReader, which
// vaekit.RegisterFamily calls). It knows nothing of models or graphs.
package paramtable

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Kind is the type of a parameter's value.
type Kind string

// Kinds of parameter values, with the Go type the store holds.
const (
	KindInt    Kind = "int"          // int
	KindInt64  Kind = "int64"        // int64 (the random seed)
	KindFloat  Kind = "float"        // float64
	KindBool   Kind = "bool"         // bool
	KindChoice Kind = "one of"       // string, one of Spec.Choices
	KindInts   Kind = "list of ints" // []int; on the command line "400" or "32,64"
	// Internal parameters only (set by vaekit, never parsed from text):
	KindString  Kind = "string"          // string
	KindStrings Kind = "list of strings" // []string
)

// Range bounds a numeric parameter, or every element of a list. The zero Range allows all values.
type Range struct {
	Min, Max         float64
	HasMin, HasMax   bool
	OpenMin, OpenMax bool // the bound itself is excluded
}

// AtLeast is the range [v, +inf).
func AtLeast(v float64) Range { return Range{Min: v, HasMin: true} }

// Above is the range (v, +inf).
func Above(v float64) Range { return Range{Min: v, HasMin: true, OpenMin: true} }

// Below bounds r above by v, excluded.
func (r Range) Below(v float64) Range { r.Max, r.HasMax, r.OpenMax = v, true, true; return r }

// AtMost bounds r above by v, included.
func (r Range) AtMost(v float64) Range { r.Max, r.HasMax = v, true; return r }

// Contains says whether v is in the range.
func (r Range) Contains(v float64) bool {
	if math.IsNaN(v) {
		return false
	}
	if r.HasMin && (v < r.Min || (r.OpenMin && v == r.Min)) {
		return false
	}
	if r.HasMax && (v > r.Max || (r.OpenMax && v == r.Max)) {
		return false
	}
	return true
}

// String writes the range as "> 0", ">= 1", "[0, 1)" or "any".
func (r Range) String() string {
	num := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	switch {
	case r.HasMin && r.HasMax:
		lo, hi := "[", "]"
		if r.OpenMin {
			lo = "("
		}
		if r.OpenMax {
			hi = ")"
		}
		return lo + num(r.Min) + ", " + num(r.Max) + hi
	case r.HasMin && r.OpenMin:
		return "> " + num(r.Min)
	case r.HasMin:
		return ">= " + num(r.Min)
	case r.HasMax && r.OpenMax:
		return "< " + num(r.Max)
	case r.HasMax:
		return "<= " + num(r.Max)
	}
	return "any"
}

// Spec declares one store parameter: its type, the values it allows, who reads it and
// its default. The package that reads a parameter declares it (Declare, from an init
// function), so that the table, the command line's parsing and the checks of CheckAll
// cannot drift from the code.
type Spec struct {
	Name    string
	Kind    Kind
	Choices []string // KindChoice: the values allowed
	Range   Range    // numbers and list elements
	// NonEmpty: a list needs at least one element.
	NonEmpty bool
	// Families are the model families (Model.Name) that read the parameter; empty and not
	// Shared: every family (the training loop's parameters). Lookup and All add the
	// families whose registration reads it (Family.Reads).
	Families []string
	// Shared parameters (the building blocks') are read only by the families that say so when
	// they register (Family.Reads), not by every family.
	Shared bool
	// Default is the value used when the parameter is not set; FamilyDefaults overrides it for
	// some families. Nil: no default (set by vaekit itself, or required).
	Default        any
	FamilyDefaults map[string]any
	// Internal parameters are set by vaekit (from the data set, or for the checkpoint's own
	// bookkeeping), not by users; CheckAll accepts them (a params.json read back holds
	// them), Parse refuses them.
	Internal bool
	Doc      string
}

// Reads says whether the family reads the parameter.
func (s Spec) Reads(family string) bool {
	return (len(s.Families) == 0 && !s.Shared) || slices.Contains(s.Families, family)
}

// DefaultFor is the parameter's default for a family (nil: none).
func (s Spec) DefaultFor(family string) any {
	if v, ok := s.FamilyDefaults[family]; ok {
		return v
	}
	return s.Default
}

// Allowed describes the values allowed, for the table and for error messages.
func (s Spec) Allowed() string {
	switch s.Kind {
	case KindChoice:
		return "one of " + strings.Join(s.Choices, ", ")
	case KindBool:
		return "true or false"
	case KindInt, KindInt64:
		if r := s.Range.String(); r != "any" {
			return "an integer " + r
		}
		return "an integer"
	case KindFloat:
		if r := s.Range.String(); r != "any" {
			return "a number " + r
		}
		return "a number"
	case KindInts:
		d := "a comma-separated list of integers"
		if r := s.Range.String(); r != "any" {
			d += ", each " + r
		}
		return d
	}
	return string(s.Kind)
}

var (
	paramMu    sync.RWMutex
	paramSpecs = map[string]Spec{}
	paramRules []func(p Values, family string) error
)

// Declare adds parameters to the table. Declaring a name twice panics: two packages
// would otherwise disagree on its meaning.
func Declare(specs ...Spec) {
	paramMu.Lock()
	defer paramMu.Unlock()
	for _, s := range specs {
		if _, dup := paramSpecs[s.Name]; dup {
			panic(fmt.Sprintf("vaekit: parameter %q declared twice", s.Name))
		}
		if s.Kind == KindChoice && len(s.Choices) == 0 {
			panic(fmt.Sprintf("vaekit: parameter %q: a choice without choices", s.Name))
		}
		paramSpecs[s.Name] = s
	}
}

// DeclareRule adds a check of a combination of parameters, run by CheckAll after every
// value has been checked on its own, with the model family (empty when not known). It returns
// an error naming the parameters and what is expected, or nil.
func DeclareRule(rule func(p Values, family string) error) {
	paramMu.Lock()
	defer paramMu.Unlock()
	paramRules = append(paramRules, rule)
}

// Lookup returns the declaration of a parameter, by name or by scoped path
// ("/discriminator/activation").
func Lookup(name string) (Spec, bool) {
	paramMu.RLock()
	defer paramMu.RUnlock()
	s, ok := paramSpecs[baseName(name)]
	return withReaders(s), ok
}

// All returns every declared parameter, sorted by name.
func All() []Spec {
	paramMu.RLock()
	defer paramMu.RUnlock()
	specs := make([]Spec, 0, len(paramSpecs))
	for _, s := range paramSpecs {
		specs = append(specs, withReaders(s))
	}
	slices.SortFunc(specs, func(a, b Spec) int { return strings.Compare(a.Name, b.Name) })
	return specs
}

// baseName is the parameter name of a key that may carry a scope: "/discriminator/activation"
// is "activation".
func baseName(key string) string { return key[strings.LastIndex(key, "/")+1:] }

// unknownParam is the error for a name nobody declared, with the nearest declared name.
func unknownParam(key string) error {
	name := baseName(key)
	best, bestDist := "", math.MaxInt
	for _, s := range All() {
		if d := editDistance(name, s.Name); d < bestDist {
			best, bestDist = s.Name, d
		}
	}
	if best != "" && bestDist <= max(2, len(name)/3) {
		return fmt.Errorf("unknown parameter %q: did you mean %q? (`experiments params` lists them all)", key, best)
	}
	return fmt.Errorf("unknown parameter %q (`experiments params` lists them all)", key)
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// readers are the families' registrations (RegisterReader): the parameters declared elsewhere
// that each reads, and its own defaults.
var readers = map[string]reader{}

type reader struct {
	reads    []string
	defaults map[string]any
}

// RegisterReader records that a family reads parameters declared by other packages (the
// shared blocks', another family's) and its own defaults for them: Lookup and All then list it
// among their readers. A family registered twice, or a parameter not declared yet, is an error.
func RegisterReader(family string, reads []string, defaults map[string]any) error {
	paramMu.Lock()
	defer paramMu.Unlock()
	if _, dup := readers[family]; dup {
		return fmt.Errorf("paramtable: model family %q registered twice", family)
	}
	for _, p := range append(slices.Clone(reads), slices.Collect(maps.Keys(defaults))...) {
		if _, ok := paramSpecs[p]; !ok {
			return fmt.Errorf("paramtable: model family %q reads parameter %q, which is not declared", family, p)
		}
	}
	readers[family] = reader{reads: slices.Clone(reads), defaults: maps.Clone(defaults)}
	return nil
}

// Reads says whether a family reads a parameter (declared for it, or registered as read).
func Reads(family, param string) bool {
	s, ok := Lookup(param)
	return ok && s.Reads(family)
}

// withReaders is the spec as the registered families read it: Families gains every family
// whose registration reads it, FamilyDefaults their defaults. The caller holds paramMu.
func withReaders(s Spec) Spec {
	var more []string
	defaults := maps.Clone(s.FamilyDefaults)
	for _, name := range slices.Sorted(maps.Keys(readers)) {
		r := readers[name]
		// A parameter every family reads (no Families, not Shared) stays read by every family.
		everyFamily := len(s.Families) == 0 && !s.Shared
		if !everyFamily && slices.Contains(r.reads, s.Name) && !slices.Contains(s.Families, name) {
			more = append(more, name)
		}
		if d, ok := r.defaults[s.Name]; ok {
			if defaults == nil {
				defaults = map[string]any{}
			}
			defaults[name] = d
		}
	}
	s.Families = append(slices.Clone(s.Families), more...)
	slices.Sort(s.Families)
	s.FamilyDefaults = defaults
	return s
}
