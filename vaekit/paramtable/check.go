package paramtable

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Parse reads a value given as text (the command line's -set key=value) by the
// parameter's declared kind: "400" is a list of one for a list parameter, "1" a float for a
// float parameter. A value of another kind, out of range, or for an internal or unknown
// parameter is an error naming the parameter, the value and what was expected.
func Parse(key, raw string) (any, error) {
	spec, ok := Lookup(key)
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
	checked, err := Check(key, v)
	if err != nil {
		return nil, bad() // out of range: said with the text as given
	}
	return checked, nil
}

// Check checks a value given in Go (a recipe, a notebook, a params.json read back, whose
// numbers are float64 and lists []any) against the parameter's declaration and returns it as
// the Go type the store holds: int, int64, float64, bool, string or []int. An integer given as
// 1.5 is refused, not truncated.
func Check(key string, value any) (any, error) {
	spec, ok := Lookup(key)
	if !ok {
		return nil, unknownParam(key)
	}
	if v, ok := spec.normalize(value); ok {
		return v, nil
	}
	return nil, fmt.Errorf("parameter %s = %s: expected %s", key, show(value), spec.Allowed())
}

// normalize returns value as the Go type of the parameter's kind, and whether it is allowed.
func (spec Spec) normalize(value any) (any, bool) {
	switch spec.Kind {
	case KindInt, KindInt64:
		f, ok := integral(value)
		if !ok || !spec.Range.Contains(f) {
			return nil, false
		}
		if spec.Kind == KindInt64 {
			return int64(f), true
		}
		return int(f), true
	case KindFloat:
		f, ok := number(value)
		return f, ok && spec.Range.Contains(f) && !math.IsInf(f, 0)
	case KindBool:
		b, ok := value.(bool)
		return b, ok
	case KindChoice:
		s, ok := value.(string)
		return s, ok && slices.Contains(spec.Choices, s)
	case KindString:
		s, ok := value.(string)
		return s, ok
	case KindStrings:
		return stringList(value)
	case KindInts:
		return spec.ints(value)
	}
	return nil, false
}

// stringList reads a list of strings ([]string, or []any from JSON).
func stringList(value any) ([]string, bool) {
	switch l := value.(type) {
	case []string:
		return l, true
	case []any:
		strs := make([]string, len(l))
		for i, e := range l {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			strs[i] = s
		}
		return strs, true
	}
	return nil, false
}

// ints reads a list of integers ([]int, []int64, []any from JSON, or a single number as a list
// of one), each in the parameter's range.
func (spec Spec) ints(value any) ([]int, bool) {
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
		if _, ok := integral(value); !ok {
			return nil, false
		}
		elems = []any{value}
	}
	if spec.NonEmpty && len(elems) == 0 {
		return nil, false
	}
	ints := make([]int, len(elems))
	for i, e := range elems {
		f, ok := integral(e)
		if !ok || !spec.Range.Contains(f) {
			return nil, false
		}
		ints[i] = int(f)
	}
	return ints, true
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

// Values are checked parameter values by store key, as CheckAll returns them.
type Values map[string]any

// Get returns the value of a parameter set at the root (or, scoped, at the path given), or the
// default for the family, and whether it was set or defaulted at all.
func (p Values) Get(name, family string) (any, bool) {
	if v, ok := p[name]; ok {
		return v, true
	}
	if v, ok := p["/"+name]; ok {
		return v, true
	}
	if spec, ok := Lookup(name); ok {
		if d := spec.DefaultFor(family); d != nil {
			return d, true
		}
	}
	return nil, false
}

// Int is an int parameter as Get reads it (0 when neither set nor defaulted).
func (p Values) Int(name, family string) int {
	v, _ := p.Get(name, family)
	i, _ := v.(int)
	return i
}

// Ints is a list-of-ints parameter as Get reads it (nil when neither set nor defaulted).
func (p Values) Ints(name, family string) []int {
	v, _ := p.Get(name, family)
	l, _ := v.([]int)
	return l
}

// CheckAll checks every value of params for the model family (Check: type and range;
// a parameter the family does not read is refused too), then the declared combinations
// (DeclareRule). It returns the values as the store holds them. Keys may carry a scope
// ("/discriminator/activation").
func CheckAll(family string, params map[string]any) (Values, error) {
	out := Values{}
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v, err := Check(k, params[k])
		if err != nil {
			return nil, err
		}
		if spec, _ := Lookup(k); family != "" && !spec.Reads(family) {
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
