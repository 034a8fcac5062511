package vaekit

import (
	"fmt"
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
	KindChoice Kind = "one of"       // string, one of ParamSpec.Choices
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

// ParamSpec declares one store parameter: its type, the values it allows, who reads it and
// its default. The package that reads a parameter declares it (DeclareParams, from an init
// function), so that the table, the command line's parsing and the checks of CheckParams
// cannot drift from the code.
type ParamSpec struct {
	Name    string
	Kind    Kind
	Choices []string // KindChoice: the values allowed
	Range   Range    // numbers and list elements
	// NonEmpty: a list needs at least one element.
	NonEmpty bool
	// Families are the model families (Model.Name) that read the parameter; empty: every
	// family (the training loop's parameters).
	Families []string
	// Default is the value used when the parameter is not set; FamilyDefaults overrides it for
	// some families. Nil: no default (set by vaekit itself, or required).
	Default        any
	FamilyDefaults map[string]any
	// Internal parameters are set by vaekit (from the data set, or for the checkpoint's own
	// bookkeeping), not by users; CheckParams accepts them (a params.json read back holds
	// them), ParseParam refuses them.
	Internal bool
	Doc      string
}

// Reads says whether the family reads the parameter.
func (s ParamSpec) Reads(family string) bool {
	return len(s.Families) == 0 || slices.Contains(s.Families, family)
}

// DefaultFor is the parameter's default for a family (nil: none).
func (s ParamSpec) DefaultFor(family string) any {
	if v, ok := s.FamilyDefaults[family]; ok {
		return v
	}
	return s.Default
}

// Allowed describes the values allowed, for the table and for error messages.
func (s ParamSpec) Allowed() string {
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
	paramSpecs = map[string]ParamSpec{}
	paramRules []func(p Params, family string) error
)

// DeclareParams adds parameters to the table. Declaring a name twice panics: two packages
// would otherwise disagree on its meaning.
func DeclareParams(specs ...ParamSpec) {
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

// DeclareRule adds a check of a combination of parameters, run by CheckParams after every
// value has been checked on its own, with the model family (empty when not known). It returns
// an error naming the parameters and what is expected, or nil.
func DeclareRule(rule func(p Params, family string) error) {
	paramMu.Lock()
	defer paramMu.Unlock()
	paramRules = append(paramRules, rule)
}

// LookupParam returns the declaration of a parameter, by name or by scoped path
// ("/discriminator/activation").
func LookupParam(name string) (ParamSpec, bool) {
	paramMu.RLock()
	defer paramMu.RUnlock()
	s, ok := paramSpecs[baseName(name)]
	return s, ok
}

// ParamTable returns every declared parameter, sorted by name.
func ParamTable() []ParamSpec {
	paramMu.RLock()
	defer paramMu.RUnlock()
	specs := make([]ParamSpec, 0, len(paramSpecs))
	for _, s := range paramSpecs {
		specs = append(specs, s)
	}
	slices.SortFunc(specs, func(a, b ParamSpec) int { return strings.Compare(a.Name, b.Name) })
	return specs
}

// baseName is the parameter name of a key that may carry a scope: "/discriminator/activation"
// is "activation".
func baseName(key string) string { return key[strings.LastIndex(key, "/")+1:] }

// unknownParam is the error for a name nobody declared, with the nearest declared name.
func unknownParam(key string) error {
	name := baseName(key)
	best, bestDist := "", math.MaxInt
	for _, s := range ParamTable() {
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

// ParseParam reads a value given as text (the command line's -set key=value) by the
// parameter's declared kind: "400" is a list of one for a list parameter, "1" a float for a
// float parameter. A value of another kind, out of range, or for an internal or unknown
// parameter is an error naming the parameter, the value and what was expected.
func ParseParam(key, raw string) (any, error) {
	spec, ok := LookupParam(key)
	if !ok {
		return nil, unknownParam(key)
	}
	if spec.Internal {
		return nil, fmt.Errorf("parameter %q is set by vaekit itself, not by a setting", key)
	}
	bad := func() error {
		return fmt.Errorf("parameter %s=%q: expected %s", key, raw, spec.Allowed())
	}
	raw = strings.TrimSpace(raw)
	var v any
	switch spec.Kind {
	case KindInt:
		i, err := strconv.Atoi(raw)
		if err != nil {
			return nil, bad()
		}
		v = i
	case KindInt64:
		i, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return nil, bad()
		}
		v = i
	case KindFloat:
		f, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			return nil, bad()
		}
		v = f
	case KindBool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return nil, bad()
		}
		v = b
	case KindChoice:
		v = raw
	case KindInts:
		parts := strings.Split(raw, ",")
		if len(parts) > 1 && strings.TrimSpace(parts[len(parts)-1]) == "" {
			parts = parts[:len(parts)-1] // "400," is a list of one, as in Python
		}
		ints := make([]int, 0, len(parts))
		for _, p := range parts {
			i, err := strconv.Atoi(strings.TrimSpace(p))
			if err != nil {
				if raw == "" && !spec.NonEmpty {
					return []int{}, nil
				}
				return nil, bad()
			}
			ints = append(ints, i)
		}
		v = ints
	default:
		return nil, bad()
	}
	checked, err := CheckParam(key, v)
	if err != nil {
		return nil, bad() // out of range: said with the text as given
	}
	return checked, nil
}

// CheckParam checks a value given in Go (a recipe, a notebook, a params.json read back, whose
// numbers are float64 and lists []any) against the parameter's declaration and returns it as
// the Go type the store holds: int, int64, float64, bool, string or []int. An integer given as
// 1.5 is refused, not truncated.
func CheckParam(key string, value any) (any, error) {
	spec, ok := LookupParam(key)
	if !ok {
		return nil, unknownParam(key)
	}
	bad := func() error {
		return fmt.Errorf("parameter %s = %s: expected %s", key, show(value), spec.Allowed())
	}
	inRange := func(f float64) bool { return spec.Range.Contains(f) }
	switch spec.Kind {
	case KindInt, KindInt64:
		f, ok := integral(value)
		if !ok || !inRange(f) {
			return nil, bad()
		}
		if spec.Kind == KindInt64 {
			return int64(f), nil
		}
		return int(f), nil
	case KindFloat:
		f, ok := number(value)
		if !ok || !inRange(f) || math.IsInf(f, 0) {
			return nil, bad()
		}
		return f, nil
	case KindBool:
		b, ok := value.(bool)
		if !ok {
			return nil, bad()
		}
		return b, nil
	case KindChoice:
		s, ok := value.(string)
		if !ok || !slices.Contains(spec.Choices, s) {
			return nil, bad()
		}
		return s, nil
	case KindString:
		if s, ok := value.(string); ok {
			return s, nil
		}
		return nil, bad()
	case KindStrings:
		switch l := value.(type) {
		case []string:
			return l, nil
		case []any:
			strs := make([]string, len(l))
			for i, e := range l {
				s, ok := e.(string)
				if !ok {
					return nil, bad()
				}
				strs[i] = s
			}
			return strs, nil
		}
		return nil, bad()
	case KindInts:
		var elems []any
		switch l := value.(type) {
		case []int:
			for _, e := range l {
				elems = append(elems, e)
			}
		case []int64:
			for _, e := range l {
				elems = append(elems, e)
			}
		case []any:
			elems = l
		default:
			if _, ok := integral(value); ok { // a single number is a list of one
				elems = []any{value}
			} else {
				return nil, bad()
			}
		}
		if spec.NonEmpty && len(elems) == 0 {
			return nil, bad()
		}
		ints := make([]int, len(elems))
		for i, e := range elems {
			f, ok := integral(e)
			if !ok || !inRange(f) {
				return nil, bad()
			}
			ints[i] = int(f)
		}
		return ints, nil
	}
	return nil, bad()
}

// show writes a value for an error message: strings quoted, lists in brackets.
func show(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprint(v)
}

// number converts any Go number to float64.
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int32:
		return float64(n), true
	case int64:
		return float64(n), true
	case float32:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

// integral converts a Go number with no fractional part (and within int64) to float64.
func integral(v any) (float64, bool) {
	f, ok := number(v)
	if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, false
	}
	return f, true
}

// Params are checked parameter values by store key, as CheckParams returns them.
type Params map[string]any

// Get returns the value of a parameter set at the root (or, scoped, at the path given), or the
// default for the family, and whether it was set or defaulted at all.
func (p Params) Get(name, family string) (any, bool) {
	if v, ok := p[name]; ok {
		return v, true
	}
	if v, ok := p["/"+name]; ok {
		return v, true
	}
	if spec, ok := LookupParam(name); ok {
		if d := spec.DefaultFor(family); d != nil {
			return d, true
		}
	}
	return nil, false
}

// CheckParams checks every value of params for the model family (CheckParam: type and range;
// a parameter the family does not read is refused too), then the declared combinations
// (DeclareRule). It returns the values as the store holds them. Keys may carry a scope
// ("/discriminator/activation").
func CheckParams(family string, params map[string]any) (Params, error) {
	out := Params{}
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v, err := CheckParam(k, params[k])
		if err != nil {
			return nil, err
		}
		if spec, _ := LookupParam(k); family != "" && !spec.Reads(family) {
			return nil, fmt.Errorf("parameter %q is read by %s, not by the %s model", k, strings.Join(spec.Families, ", "), family)
		}
		out[k] = v
	}
	paramMu.RLock()
	rules := slices.Clone(paramRules)
	paramMu.RUnlock()
	for _, rule := range rules {
		if err := rule(out, family); err != nil {
			return nil, err
		}
	}
	return out, nil
}
