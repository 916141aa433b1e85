package celmap

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/structauth/structauth/claims"
)

// evalBudget bounds one evaluation's wall time in the fuzz targets: a
// call that runs to PerCallLimit takes well under a second, and the
// budget leaves room for a loaded machine and -race.
const evalBudget = 10 * time.Second

// fuzzPolicy is a fixed policy with the shapes real configurations use:
// optional fields, comprehensions over claim lists, nested claims,
// iteration over the claim values, string building and conversions.
var fuzzPolicy = []struct {
	expr string
	kind ResultKind
}{
	{`claims.?preferred_username.orValue(claims.sub)`, AnyResult},
	{`has(claims.email) && claims.?email_verified.orValue(false) == true ? claims.email : 'oidc:' + claims.sub`, AnyResult},
	{`dyn(claims.groups).map(g, 'oidc:' + g)`, AnyResult},
	{`dyn(claims.?groups.orValue([])).filter(g, string(g).startsWith('admin'))`, AnyResult},
	{`has(claims.realm_access.roles) ? dyn(claims.realm_access.roles) : []`, AnyResult},
	{`dyn(claims.?ext.orValue({})).map(k, k + '=' + string(dyn(claims.ext)[k]).lowerAscii())`, AnyResult},
	{`string(claims.?exp.orValue(0)) + '/' + string(claims.?tid.orValue('none'))`, AnyResult},
	{`claims.?tid.orValue('') == '8eaef023' && claims.?ver.orValue('1.0') == '2.0'`, BoolResult},
	{`dyn(claims.groups).exists(g, g in ['a', 'b']) || claims.?amr.orValue([]).size() > 1`, BoolResult},
	{`dyn(claims).all(v, v != null)`, BoolResult},
	{`dyn(claims.?groups.orValue([])).all(a, dyn(claims.groups).all(b, a == b || a != b))`, BoolResult},
	{`claims.kubernetes__dot__io.namespace == 'default'`, BoolResult},
	{`claims.?sub.orValue('').matches('^[a-z0-9-]+$') && size(claims.?sub.orValue('')) < 256`, BoolResult},
}

func compilePolicy(tb testing.TB) []*Program {
	tb.Helper()
	env, err := DefaultEnv()
	if err != nil {
		tb.Fatal(err)
	}
	progs := make([]*Program, len(fuzzPolicy))
	for i, p := range fuzzPolicy {
		if progs[i], err = env.CompileClaims(p.expr, p.kind); err != nil {
			tb.Fatalf("%s: %v", p.expr, err)
		}
	}
	return progs
}

// describeResult renders a result for comparison, through every accessor the
// authenticator uses. A list is sorted: a comprehension over a nested JSON
// object sees its keys in Go map order, which is random (as in
// kube-apiserver); only top-level claims have a fixed (document) order.
func describeResult(v Value, err error) string {
	if err != nil {
		var ee *EvalError
		if !errors.As(err, &ee) {
			return "non-EvalError " + err.Error()
		}
		return "error " + err.Error()
	}
	b, isBool := v.Bool()
	s, isString := v.String()
	list, lerr := v.StringList()
	slices.Sort(list)
	return fmt.Sprintf("%s bool=%v/%v string=%q/%v list=%q/%v", v.TypeName(), b, isBool, s, isString, list, lerr)
}

// FuzzEvalClaims evaluates a fixed policy over fuzzed claim sets, decoded
// by claims.Parse as the authenticator decodes token payloads.
// Invariants: no panic; every evaluation ends within evalBudget; every
// error is an *EvalError; evaluating again over a fresh activation gives
// the same result (lazy claim conversion is deterministic).
func FuzzEvalClaims(f *testing.F) {
	for _, seed := range []string{
		`{"sub":"jane","groups":["a","b"],"email":"j@example.com","email_verified":true}`,
		`{"sub":"x","preferred_username":"p","groups":"solo","tid":"8eaef023","ver":"2.0"}`,
		`{"sub":"x","realm_access":{"roles":["r1","r2"]},"ext":{"k":"v","n":1}}`,
		`{"sub":"x","kubernetes.io":{"namespace":"default"},"amr":["pwd","mfa"]}`,
		`{"groups":[1,null,{"a":[]},"admin"],"exp":1e308,"email_verified":"true"}`,
		`{"sub":"` + strings.Repeat("a", 300) + `","groups":[` + strings.Repeat(`"g",`, 200) + `"g"]}`,
		`{"email":"a","email_verified":null,"groups":[[["deep"]]]}`,
		`{}`,
	} {
		f.Add([]byte(seed))
	}
	progs := compilePolicy(f)
	f.Fuzz(func(t *testing.T, payload []byte) {
		if len(payload) > 16<<10 {
			return
		}
		cs, err := claims.Parse(payload)
		if err != nil {
			return
		}
		for _, p := range progs {
			start := time.Now()
			v, err := p.Eval(context.Background(), NewClaimsActivation(cs))
			first := describeResult(v, err)
			if d := time.Since(start); d > evalBudget {
				t.Fatalf("%s: evaluation took %v", p.Expression(), d)
			}
			if strings.HasPrefix(first, "non-EvalError") {
				t.Fatalf("%s: %s", p.Expression(), first)
			}
			v, err = p.Eval(context.Background(), NewClaimsActivation(cs))
			if again := describeResult(v, err); again != first {
				t.Fatalf("%s: two evaluations differ:\n%s\n%s", p.Expression(), first, again)
			}
		}
	})
}

// FuzzCompileEval compiles a fuzzed expression in the claims environment
// and, when it compiles, evaluates it over a fuzzed claim set (spec
// security.md §4.2 item 7). Invariants: neither step panics, compiling
// and evaluating each end within evalBudget (the parser's size and
// recursion limits, PerCallLimit at run time), errors have their types.
func FuzzCompileEval(f *testing.F) {
	for _, seed := range []struct{ expr, claims string }{
		{`claims.sub`, `{"sub":"jane"}`},
		{`dyn(claims.groups).map(g, g + g)`, `{"groups":["a","b"]}`},
		{`dyn(claims.groups).all(a, dyn(claims.groups).all(b, dyn(claims.groups).all(c, a != '')))`, `{"groups":["a","b","c","d"]}`},
		{`lists.range(int(claims.n)).size()`, `{"n":2000000000}`},
		{`claims.sub.matches(claims.re)`, `{"sub":"aaaa","re":"(a+)+$"}`},
		{`int(claims.n) * int(claims.n)`, `{"n":4e18}`},
		{`claims.?a.?b.orValue('x')`, `{"a":{"b":1}}`},
		{`((((((((((true))))))))))`, `{}`},
		{`strings.quote(claims.s).size()`, `{"s":"\u0000\u00ff"}`},
		{`dyn(claims)['-']`, `{"-":1}`},
	} {
		f.Add(seed.expr, []byte(seed.claims))
	}
	env, err := DefaultEnv()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, expr string, payload []byte) {
		if len(expr) > 1<<10 || len(payload) > 8<<10 {
			return
		}
		start := time.Now()
		p, err := env.CompileClaims(expr, AnyResult)
		if d := time.Since(start); d > evalBudget {
			t.Fatalf("compiling took %v", d)
		}
		if err != nil {
			var ce *CompileError
			if !errors.As(err, &ce) {
				t.Fatalf("compile error of type %T: %v", err, err)
			}
			return
		}
		cs, err := claims.Parse(payload)
		if err != nil {
			return
		}
		start = time.Now()
		v, err := p.Eval(context.Background(), NewClaimsActivation(cs))
		if d := time.Since(start); d > evalBudget {
			t.Fatalf("evaluating took %v", d)
		}
		if got := describeResult(v, err); strings.HasPrefix(got, "non-EvalError") {
			t.Fatal(got)
		}
	})
}
