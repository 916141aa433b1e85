package celmap

import (
	"errors"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
)

// ErrNotStringList is StringList's error, in kube-apiserver's words.
var ErrNotStringList = errors.New("expression must return a string or a list of strings")

// Bool returns the result and true when it is a CEL bool. kube-apiserver
// rejects any other result of a validation rule with "validation
// expression must return a boolean"; the static bool check at compile time
// makes that rare but not impossible.
func (v Value) Bool() (value, isBool bool) {
	if v.v == nil || v.v.Type() != cel.BoolType {
		return false, false
	}
	b, ok := v.v.Value().(bool)
	return b, ok
}

// String returns the result and true when it is a CEL string, which is
// what username and uid expressions must produce. Unlike fmt.Stringer it
// reports whether the value is a string; it does not format other values.
func (v Value) String() (string, bool) {
	if !v.IsString() {
		return "", false
	}
	s, ok := v.v.Value().(string)
	return s, ok
}

// IsString reports whether the result is a CEL string.
func (v Value) IsString() bool {
	return v.v != nil && v.v.Type() == cel.StringType
}

// TypeName is the CEL type name of the result ("string", "list", "map",
// "null_type", "double", …), or "" for the zero Value.
func (v Value) TypeName() string {
	if v.v == nil {
		return ""
	}
	return v.v.Type().TypeName()
}

// StringList interprets a groups or extra result the way kube-apiserver
// does:
//
//   - a string is one value, "" is none (nil);
//   - a list keeps its strings in order, duplicates included, and drops
//     the empty ones; an empty result is nil;
//   - null is none (nil);
//   - anything else, or a list with a non-string element, is
//     ErrNotStringList.
//
// Which lists count is decided by their Go representation, exactly as
// upstream: list literals, comprehension results and JSON arrays from
// claims qualify, but a list that cel-go keeps as a []string (the result of
// split(), or user.groups) is rejected. So `claims.roles.split(',')` as a
// groups expression fails while `claims.roles.split(',').map(r, r)` works.
func (v Value) StringList() ([]string, error) {
	if v.v == nil {
		return nil, ErrNotStringList
	}
	switch v.v.Type().TypeName() {
	case cel.StringType.TypeName():
		s, _ := v.v.Value().(string)
		if s == "" {
			return nil, nil
		}
		return []string{s}, nil
	case cel.NullType.TypeName():
		return nil, nil
	case "list":
		return stringsOf(v.v.Value())
	default:
		return nil, ErrNotStringList
	}
}

// stringsOf collects the non-empty strings of a list's native form.
func stringsOf(native any) ([]string, error) {
	var out []string
	keep := func(s string, n int) {
		if s == "" {
			return
		}
		if out == nil {
			out = make([]string, 0, n) // one allocation for the result
		}
		out = append(out, s)
	}
	switch elems := native.(type) {
	case []any: // JSON arrays decoded from claims
		for _, e := range elems {
			s, ok := e.(string)
			if !ok {
				return nil, ErrNotStringList
			}
			keep(s, len(elems))
		}
	case []ref.Val: // lists built by CEL
		for _, e := range elems {
			// types.String directly: Value() would box the string.
			if sv, ok := e.(types.String); ok {
				keep(string(sv), len(elems))
				continue
			}
			s, ok := e.Value().(string)
			if !ok {
				return nil, ErrNotStringList
			}
			keep(s, len(elems))
		}
	default:
		return nil, ErrNotStringList
	}
	return out, nil // nil when nothing was kept
}
