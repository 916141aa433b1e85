package celmap

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

// Results of groups and extra expressions (3.7; 256-259, 268-271).
func TestValueStringList(t *testing.T) {
	const doc = `{"sub": "jane", "g": ["a", "b", "a"], "mixed": ["a", 1], "empty": "",
		"n": 3, "nul": null, "obj": {"k": "v"}, "roles": "x,y", "blank": ["", ""]}`
	tests := []struct {
		name, expr string
		want       []string
		wantErr    bool
	}{
		{"256 list drops empty", `["a", ""]`, []string{"a"}, false},
		{"257 empty string", `""`, nil, false},
		{"string", "claims.sub", []string{"jane"}, false},
		{"empty string claim", "claims.empty", nil, false},
		{"258 number", "claims.n", nil, true},
		{"259 list with number", "[claims.sub, claims.n]", nil, true},
		{"claim list with number", "claims.mixed", nil, true},
		{"claim list keeps order and duplicates", "claims.g", []string{"a", "b", "a"}, false},
		{"269 null", "claims.nul", nil, false},
		{"null literal", "null", nil, false},
		{"270 only empty strings", `["", ""]`, nil, false},
		{"270 claim only empty strings", "claims.blank", nil, false},
		{"271 duplicates kept", `['x', 'x', '']`, []string{"x", "x"}, false},
		{"empty list", "[]", nil, false},
		{"bool", "true", nil, true},
		{"map", "claims.obj", nil, true},
		{"list of lists", "[['a']]", nil, true},
		{"comprehension result", "dyn(claims.g).map(x, x + '!')", []string{"a!", "b!", "a!"}, false},
		{"concatenation", "claims.g + ['c']", []string{"a", "b", "a", "c"}, false},
		// split() yields a list that cel-go stores as []string, which the
		// upstream conversion does not accept.
		{"split result rejected", "claims.roles.split(',')", nil, true},
		{"split then map accepted", "claims.roles.split(',').map(r, r)", []string{"x", "y"}, false},
		{"the claims object", "claims", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := evalClaims(t, tc.expr, doc)
			require.NoError(t, err)
			got, err := v.StringList()
			if tc.wantErr {
				require.ErrorIs(t, err, ErrNotStringList)
				require.EqualError(t, err, "expression must return a string or a list of strings")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

// Username and uid results (246, 247, 266, 267) and rule results.
func TestValueScalars(t *testing.T) {
	const doc = `{"sub": "jane", "n": 1, "nul": null, "empty": "", "t": true}`
	tests := []struct {
		expr             string
		wantString       string
		isString         bool
		wantBool, isBool bool
		typeName         string
	}{
		{"claims.sub", "jane", true, false, false, "string"},
		{"claims.empty", "", true, false, false, "string"},
		{"claims.n", "", false, false, false, "double"},
		{"claims.nul", "", false, false, false, "null_type"},
		{"claims.t", "", false, true, true, "bool"},
		{"claims.sub == 'x'", "", false, false, true, "bool"},
		{"[claims.sub]", "", false, false, false, "list"},
		{"claims.?sub", "", false, false, false, "optional_type"},
	}
	for _, tc := range tests {
		t.Run(tc.expr, func(t *testing.T) {
			v, err := evalClaims(t, tc.expr, doc)
			require.NoError(t, err)
			s, ok := v.String()
			require.Equal(t, tc.isString, ok)
			require.Equal(t, tc.isString, v.IsString())
			require.Equal(t, tc.wantString, s)
			b, ok := v.Bool()
			require.Equal(t, tc.isBool, ok)
			require.Equal(t, tc.wantBool, b)
			require.Equal(t, tc.typeName, v.TypeName())
		})
	}
}

func TestValueZero(t *testing.T) {
	var v Value
	_, ok := v.Bool()
	require.False(t, ok)
	_, ok = v.String()
	require.False(t, ok)
	require.False(t, v.IsString())
	require.Equal(t, "", v.TypeName())
	_, err := v.StringList()
	require.True(t, errors.Is(err, ErrNotStringList))
}
