package celmap_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/structauth/structauth/celmap"
)

// payload is a minimal ClaimSource; real callers pass a *claims.Set.
type payload struct {
	names []string
	raw   map[string]json.RawMessage
}

func (p payload) Names() []string { return p.names }

func (p payload) Raw(name string) (json.RawMessage, bool) {
	r, ok := p.raw[name]
	return r, ok
}

func Example() {
	env, err := celmap.DefaultEnv()
	if err != nil {
		panic(err)
	}
	// Compile once, when the configuration is loaded.
	groups, err := env.CompileClaims(`dyn(claims.groups).map(g, 'oidc:' + g)`, celmap.AnyResult)
	if err != nil {
		panic(err)
	}
	rule, err := env.CompileClaims(`claims.?email_verified.orValue(true) == true`, celmap.BoolResult)
	if err != nil {
		panic(err)
	}
	_, err = env.CompileClaims(`claims.groups.map(g, g)`, celmap.AnyResult)
	fmt.Println(err != nil)

	// Evaluate per token, with one activation shared by its expressions.
	act := celmap.NewClaimsActivation(payload{
		names: []string{"sub", "groups", "email_verified"},
		raw: map[string]json.RawMessage{
			"sub":            json.RawMessage(`"jane"`),
			"groups":         json.RawMessage(`["dev", "", "ops"]`),
			"email_verified": json.RawMessage(`"true"`), // a string, not a bool
		},
	})
	v, err := groups.Eval(context.Background(), act)
	if err != nil {
		panic(err)
	}
	fmt.Println(v.StringList())
	v, err = rule.Eval(context.Background(), act)
	if err != nil {
		panic(err)
	}
	fmt.Println(v.Bool())
	// Output:
	// true
	// [oidc:dev oidc: oidc:ops] <nil>
	// false true
}

func ExampleProgram_SelectsClaim() {
	env, _ := celmap.DefaultEnv()
	for _, expr := range []string{"claims.email", "claims['email']", "has(claims.email) ? claims.email : claims.sub"} {
		p, err := env.CompileClaims(expr, celmap.AnyResult)
		if err != nil {
			panic(err)
		}
		fmt.Println(expr, p.SelectsClaim("email"))
	}
	// Output:
	// claims.email true
	// claims['email'] false
	// has(claims.email) ? claims.email : claims.sub true
}

func ExampleNewUserActivation() {
	env, _ := celmap.DefaultEnv()
	p, err := env.CompileUser(`user.extra.example__dot__org__slash__team[0] == 'blue' && user.uid == ''`)
	if err != nil {
		panic(err)
	}
	act := celmap.NewUserActivation("oidc:jane", "", nil, map[string][]string{"example.org/team": {"blue"}})
	v, err := p.Eval(context.Background(), act)
	if err != nil {
		panic(err)
	}
	fmt.Println(v.Bool())
	// Output: true true
}
