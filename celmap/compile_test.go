package celmap

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
)

func testEnv(t testing.TB) *Env {
	t.Helper()
	env, err := DefaultEnv()
	require.NoError(t, err)
	return env
}

// Scenario numbers refer to section 5 of the structured-authentication spec.
func TestCompileClaims(t *testing.T) {
	tests := []struct {
		name, expr string
		kind       ResultKind
		wantDetail string // "" means it compiles
	}{
		// 209: mapping, extra and validation expressions compile.
		{"209 mapping", "claims.foo", AnyResult, ""},
		{"209 validation", "claims.foo == 'bar'", BoolResult, ""},
		{"209 extra", "claims.foo", AnyResult, ""},
		// 211, 167
		{"211 validation not bool", "claims.foo", BoolResult, "must evaluate to bool"},
		// 212
		{"212 user in claims env", "user.username == 'foo'", AnyResult,
			"compilation failed: ERROR: <input>:1:1: undeclared reference to 'user' (in container '')\n | user.username == 'foo'\n | ^"},
		// 213
		{"213 claims plus int", "claims + 1", AnyResult,
			"compilation failed: ERROR: <input>:1:8: found no matching overload for '_+_' applied to '(map(string, any), int)'\n | claims + 1\n | .......^"},
		// 166
		{"166 undeclared", "foo.bar", BoolResult,
			"compilation failed: ERROR: <input>:1:1: undeclared reference to 'foo' (in container '')\n | foo.bar\n | ^"},
		// 260: claim values are `any`, not `dyn`.
		{"260 comprehension over any", "claims.g.map(x, 'aks:jwt:' + x)", AnyResult,
			"compilation failed: ERROR: <input>:1:7: expression of type 'any' cannot be range of a comprehension (must be list, map, or dynamic)\n | claims.g.map(x, 'aks:jwt:' + x)\n | ......^"},
		{"261 dyn comprehension", "dyn(claims.g).map(x, 'aks:jwt:' + x)", AnyResult, ""},
		{"receiver functions on any", "claims.roles.split(',')", AnyResult, ""},
		{"startsWith on any", "claims.sub.startsWith('x')", BoolResult, ""},
		{"nested select", "claims.a.b.c", AnyResult, ""},
		{"index", "claims['k']", AnyResult, ""},
		{"has", "has(claims.x)", BoolResult, ""},
		{"optional select", "claims.?x.orValue('d')", AnyResult, ""},
		{"type compare", "type(claims.exp) == double", BoolResult, ""},
		{"string of type", "string(type(claims.exp))", AnyResult,
			"compilation failed: ERROR: <input>:1:7: found no matching overload for 'string' applied to '(type(any))'\n | string(type(claims.exp))\n | ......^"},
		// 2.4: the orValue result is any, so the rule is not statically bool.
		{"optional orValue rule", "claims.?email_verified.orValue(true)", BoolResult, "must evaluate to bool"},
		{"optional orValue compared", "claims.?email_verified.orValue(true) == true", BoolResult, ""},
		{"bare claim rule", "claims.is_admin", BoolResult, "must evaluate to bool"},
		{"comprehension over claims", "claims.exists(v, v == 'x')", BoolResult, ""},
		// Errata 4: mixed literal lists and format over claims fail to compile.
		{"mixed list literal", `["a", 3]`, AnyResult,
			"compilation failed: ERROR: <input>:1:7: expected type 'string' but found 'int'\n | [\"a\", 3]\n | ......^"},
		{"format over claims", "'%s'.format([claims.sub])", AnyResult,
			"compilation failed: ERROR: <input>:1:20: error during formatting: string clause can only be used on strings, bools, bytes, ints, doubles, maps, lists, types, durations, and timestamps, was given google.protobuf.Any\n | '%s'.format([claims.sub])\n | ...................^"},
		// 323
		{"323 syntax error", "claims.a ==", BoolResult, "compilation failed: ERROR: <input>:1:12: Syntax error: mismatched input '<EOF>' expecting"},
		// Libraries of the base environment that come from cel-go.
		{"ext strings v2", "claims.sub.lowerAscii().replace('a', 'b').substring(0, 1) + strings.quote('x')", AnyResult, ""},
		{"ext sets", "sets.contains(['a'], ['a']) && sets.intersects(['a'], ['b'])", BoolResult, ""},
		{"two-var comprehension", "dyn(claims.m).all(k, v, k != '' && v != '')", BoolResult, ""},
		{"ext lists v3", "lists.range(3).reverse().sort().distinct().slice(0, 1) == [[0]].flatten()", BoolResult, ""},
		{"optional types", "optional.of(1).hasValue()", BoolResult, ""},
		{"cross-type numeric comparison", "1 < 2.0 && 2u > 1", BoolResult, ""},
		{"duration literal validated", "duration('1x') > duration('1s')", BoolResult,
			"compilation failed: ERROR: <input>:1:10: invalid duration argument"},
		{"regex literal validated", "claims.sub.matches('(')", BoolResult, "compilation failed: ERROR: <input>:1:20: invalid matches argument"},
		{"no math library", "math.greatest(1, 2) == 2", BoolResult, "undeclared reference to 'math' (in container '')"},
		{"no base64 library", "base64.encode(b'a') == 'YQ=='", BoolResult, "undeclared reference to 'base64' (in container '')"},
	}
	env := testEnv(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := env.CompileClaims(tc.expr, tc.kind)
			if tc.wantDetail == "" {
				require.NoError(t, err)
				require.Equal(t, tc.expr, p.Expression())
				return
			}
			var ce *CompileError
			require.True(t, errors.As(err, &ce), "got %v", err)
			require.Equal(t, tc.expr, ce.Expression)
			require.Contains(t, ce.Detail, tc.wantDetail)
		})
	}
}

func TestCompileUser(t *testing.T) {
	tests := []struct {
		name, expr string
		wantDetail string
	}{
		// 210
		{"210 user rule", "user.username == 'bar'", ""},
		{"groups", "user.groups.all(g, !g.startsWith('system:'))", ""},
		{"extra escaped", "user.extra.example__dot__org__slash__a[0] == 'v'", ""},
		{"extra optional index", "user.extra[?'example.org/a'].orValue([]).size() == 0", ""},
		// 214
		{"214 not bool", "user.username", "must evaluate to bool"},
		// 215
		{"215 claims mapping", "claims.foo",
			"compilation failed: ERROR: <input>:1:1: undeclared reference to 'claims' (in container '')\n | claims.foo\n | ^"},
		{"215 claims rule", "claims.foo == 'bar'",
			"compilation failed: ERROR: <input>:1:1: undeclared reference to 'claims' (in container '')"},
		// 216
		{"216 unknown field", "user.unknown == 'foo'",
			"compilation failed: ERROR: <input>:1:5: undefined field 'unknown'\n | user.unknown == 'foo'\n | ....^"},
		// The user object is not a map: no comprehension over it.
		{"iterate user", "user.all(v, true)",
			"compilation failed: ERROR: <input>:1:1: expression of type 'kubernetes.UserInfo' cannot be range of a comprehension"},
		{"field type is string", "user.uid + 1 == 'x'", "found no matching overload for '_+_' applied to '(string, int)'"},
	}
	env := testEnv(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := env.CompileUser(tc.expr)
			if tc.wantDetail == "" {
				require.NoError(t, err)
				return
			}
			var ce *CompileError
			require.True(t, errors.As(err, &ce), "got %v", err)
			require.Contains(t, ce.Detail, tc.wantDetail)
			require.Contains(t, ce.Error(), "celmap: expression ")
		})
	}
}

func TestDefaultEnvIsShared(t *testing.T) {
	a, err := DefaultEnv()
	require.NoError(t, err)
	b, err := DefaultEnv()
	require.NoError(t, err)
	require.Same(t, a, b)
}
