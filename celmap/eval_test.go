package celmap

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// evalClaims compiles expr over claims and evaluates it against doc.
func evalClaims(t testing.TB, expr, doc string) (Value, error) {
	t.Helper()
	p, err := testEnv(t).CompileClaims(expr, AnyResult)
	require.NoError(t, err)
	return p.Eval(context.Background(), NewClaimsActivation(mustClaims(doc)))
}

// Runtime behaviour of claim expressions. want is compared with the
// result's string form plus its type: "<type>:<value>".
func TestEvalClaims(t *testing.T) {
	const doc = `{
		"sub": "jane", "g": ["a", "b"], "roles": "x,y", "n": 1700081020,
		"big": 12345678901234567890, "exp": 1893456000, "nbf": 1893450000,
		"flag": "true", "yes": "yes", "aud": "x", "auds": ["foo", "bar", "baz"],
		"email": "j@x", "email_verified": "true",
		"kubernetes.io": {"ns": "kube", "a.b": {"c-d": "deep"}},
		"my-claim": "dash", "arr": [{"x.y": "in-array"}], "nul": null,
		"__namespace__": "escaped-literal", "namespace": "ns"
	}`
	tests := []struct {
		name, expr string
		want       string // "<type>:<value>"
		wantErr    string // substring of the EvalError text
	}{
		{"string", "claims.sub", "string:jane", ""},
		{"261 dyn map", "dyn(claims.g).map(x, 'aks:jwt:' + x)", "list:[aks:jwt:a aks:jwt:b]", ""},
		{"262 split on list", "claims.g.split(',')", "", "expression 'claims.g.split(',')' resulted in error: no such overload: split(list, string)"},
		{"263 dyn map on string", "dyn(claims.sub).map(x, x)", "", "resulted in error: got 'types.String', expected iterable type"},
		{"63 split then map", "(claims.roles.split(',') + claims.roles.split(',')).map(r, 'groups:' + r)", "list:[groups:x groups:y groups:x groups:y]", ""},
		{"274 numbers are doubles", "type(claims.exp) == double", "bool:true", ""},
		{"275 double to string", "string(claims.n)", "string:1.70008102e+09", ""},
		{"275 via int", "string(int(claims.n))", "string:1700081020", ""},
		{"276 precision", "string(claims.big)", "string:1.2345678901234567e+19", ""},
		{"double arithmetic", "claims.exp - claims.nbf <= 86400", "bool:true", ""},
		{"277 iteration yields values", "claims.exists(k, k == 'sub')", "bool:false", ""},
		{"277 values", "claims.exists(k, k == 'jane')", "bool:true", ""},
		{"278 in claims", "'sub' in claims", "", "resulted in error: no such overload"},
		{"279 size", "claims.size()", "", "resulted in error: no such overload: size"},
		{"280 escaped select", "claims.kubernetes__dot__io.ns", "string:kube", ""},
		{"280 index", "claims['kubernetes.io']['ns']", "string:kube", ""},
		{"nested escapes", "claims.kubernetes__dot__io.a__dot__b.c__dash__d", "string:deep", ""},
		{"escapes through lists", "claims.arr[0].x__dot__y", "string:in-array", ""},
		{"281 escaped top-level", "claims.my__dash__claim", "string:dash", ""},
		{"reserved word escape", "claims.__namespace__", "string:ns", ""},
		{"literal escaped name unreachable", "claims['__namespace__']", "string:ns", ""},
		{"invalid escape is missing", "claims.__foo__", "", "resulted in error: no such key: __foo__"},
		{"283 optional index", "claims[?'x'].orValue('dflt')", "string:dflt", ""},
		{"283 optional chain", "claims.?a.?b.orValue('dflt')", "string:dflt", ""},
		{"has on string", "has(claims.sub.x)", "bool:false", ""},
		{"has present", "has(claims.sub)", "bool:true", ""},
		{"has missing", "has(claims.nope)", "bool:false", ""},
		{"null claim", "claims.nul == null", "bool:true", ""},
		{"248 missing", "claims.s", "", "expression 'claims.s' resulted in error: no such key: s"},
		{"59 nested missing", "claims.kubernetes__dot__io.a", "", "no such key: a"},
		{"294 string flag", "claims.flag == true", "bool:false", ""},
		{"295 or on string", "claims.yes || false", "", "expression 'claims.yes || false' resulted in error: no such overload"},
		{"298 sets on string", "sets.equivalent(claims.aud, ['bar', 'foo', 'baz'])", "", "no such overload: sets.equivalent(string, list)"},
		{"298 sets on list", "sets.equivalent(claims.auds, ['bar', 'foo', 'baz'])", "bool:true", ""},
		{"299 ternary on string", "claims.email_verified ? claims.email : claims.sub", "", "resulted in error: no such overload"},
		{"245 optional verified", "claims.?email_verified.orValue(true) == true", "bool:false", ""},
		{"nested map iterates keys", "dyn(claims.kubernetes__dot__io).exists(k, k == 'a.b')", "bool:true", ""},
		{"nested in sees raw keys", "'a__dot__b' in dyn(claims.kubernetes__dot__io)", "bool:false", ""},
		{"claims equals itself", "claims == claims", "bool:true", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := evalClaims(t, tc.expr, doc)
			if tc.wantErr != "" {
				var ee *EvalError
				require.True(t, errors.As(err, &ee), "got %v (%v)", err, v.v)
				require.Equal(t, tc.expr, ee.Expression)
				require.Contains(t, err.Error(), tc.wantErr)
				require.True(t, strings.HasPrefix(err.Error(), "expression '"+tc.expr+"' resulted in error: "), err.Error())
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, describe(v))
		})
	}
}

// describe renders a Value as "<type>:<value>" with lists as Go slices.
func describe(v Value) string {
	if l, err := v.StringList(); err == nil && v.TypeName() == "list" {
		return fmt.Sprintf("list:%v", l)
	}
	return fmt.Sprintf("%s:%v", v.TypeName(), v.v)
}

// A claim that looks escaped but exists literally cannot be read (282).
func TestEvalLiteralEscapedClaimName(t *testing.T) {
	_, err := evalClaims(t, "claims['my__dash__claim']", `{"my__dash__claim": "x"}`)
	require.ErrorContains(t, err, "resulted in error: no such key: my__dash__claim")

	// Iterating yields an error value for such a name.
	_, err = evalClaims(t, "claims.all(v, v == 'x')", `{"my__dash__claim": "x"}`)
	require.ErrorContains(t, err, "no such key: my__dash__claim")
}

func TestEvalClaimDecodedOnce(t *testing.T) {
	act := NewClaimsActivation(mustClaims(`{"a": {"b": "c"}, "unused": [1]}`))
	obj := act.(*varActivation).value.(*lazyObject)
	env := testEnv(t)
	var first any
	for _, expr := range []string{"claims.a.b", "claims.a.b + claims.a.b"} {
		p, err := env.CompileClaims(expr, AnyResult)
		require.NoError(t, err)
		_, err = p.Eval(context.Background(), act)
		require.NoError(t, err)
		require.Len(t, obj.loaded, 1, "only the claim read is decoded")
		if first == nil {
			first = obj.loaded["a"]
		}
		require.Same(t, first, obj.loaded["a"], "decoded value is cached")
	}
}

func TestEvalBadClaimJSON(t *testing.T) {
	// Numbers beyond float64 fail to decode; only expressions reading the
	// claim see the error.
	v, err := evalClaims(t, "claims.sub", `{"sub": "x", "huge": 1e400}`)
	require.NoError(t, err)
	require.Equal(t, "string:x", describe(v))
	_, err = evalClaims(t, "claims.huge", `{"sub": "x", "huge": 1e400}`)
	require.ErrorContains(t, err, `resulted in error: claim "huge" failed to unmarshal: json: cannot unmarshal number 1e400`)
}

func TestEvalNilActivation(t *testing.T) {
	p, err := testEnv(t).CompileClaims("claims.sub", AnyResult)
	require.NoError(t, err)
	_, err = p.Eval(context.Background(), nil)
	require.ErrorContains(t, err, "no such attribute")

	_, err = p.Eval(context.Background(), NewClaimsActivation(nil))
	require.ErrorContains(t, err, "no such key: sub")
}

// 297: the runtime cost limit, per evaluation.
func TestEvalCostLimit(t *testing.T) {
	list := func(n int) string {
		items := make([]string, n)
		for i := range items {
			items[i] = fmt.Sprintf("%q", fmt.Sprint("g", i))
		}
		return `{"l": [` + strings.Join(items, ",") + `]}`
	}
	const expr = "dyn(claims.l).all(x, dyn(claims.l).all(y, x != '' && y != ''))"

	v, err := evalClaims(t, expr, list(300))
	require.NoError(t, err)
	b, ok := v.Bool()
	require.True(t, ok)
	require.True(t, b)

	if testing.Short() {
		t.Skip("cel-go's cost tracker is quadratic in the inner list length: seconds, minutes under -race")
	}
	_, err = evalClaims(t, expr, list(2000))
	require.EqualError(t, err, "expression '"+expr+"' resulted in error: operation cancelled: actual cost limit exceeded")
}

func TestEvalContextCancelled(t *testing.T) {
	items := strings.Repeat(`"x",`, 2999) + `"x"`
	doc := `{"l": [` + items + `]}`
	p, err := testEnv(t).CompileClaims("dyn(claims.l).all(x, x == 'x')", BoolResult)
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = p.Eval(ctx, NewClaimsActivation(mustClaims(doc)))
	require.ErrorIs(t, err, context.Canceled)
	require.ErrorContains(t, err, "operation interrupted")

	ctx, cancel = context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	_, err = p.Eval(ctx, NewClaimsActivation(mustClaims(doc)))
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

// Programs are shared across goroutines; activations are per token.
func TestEvalConcurrent(t *testing.T) {
	p, err := testEnv(t).CompileClaims("dyn(claims.g).map(x, claims.sub + ':' + x)", AnyResult)
	require.NoError(t, err)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			doc := fmt.Sprintf(`{"sub": "u%d", "g": ["a", "b"]}`, i)
			for range 50 {
				v, err := p.Eval(context.Background(), NewClaimsActivation(mustClaims(doc)))
				if err != nil {
					t.Error(err)
					return
				}
				l, err := v.StringList()
				if err != nil || len(l) != 2 || l[0] != fmt.Sprintf("u%d:a", i) {
					t.Errorf("got %v, %v", l, err)
					return
				}
			}
		})
	}
	wg.Wait()
}
