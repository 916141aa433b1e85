package jwtauth_test

import (
	"context"
	"fmt"
	"os"

	"github.com/structauth/structauth/jwtauth"
)

// ExampleAuthenticator_ExplainClaims shows why a claim set is rejected:
// every step up to the failing one, with the rule's expression and result.
// Explain does the same for a token, adding its format, signature, exp
// and nbf.
func ExampleAuthenticator_ExplainClaims() {
	cfg, err := jwtauth.ParseConfig([]byte(exampleConfig))
	if err != nil {
		fmt.Println(err)
		return
	}
	auth, err := jwtauth.New(context.Background(), cfg, jwtauth.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer auth.Close()

	x := auth.ExplainClaims(context.Background(), map[string]any{
		"iss": "https://issuer.example.com", "aud": "my-api", "sub": "system:admin",
	})
	fmt.Println(x.Accepted())
	_ = x.WriteText(os.Stdout)
	// Output:
	// false
	// input: claims
	// ok   format
	//        claim set, 3 claims ["aud" "iss" "sub"]
	// ok   issuer             jwt[0].issuer.url
	//        "https://issuer.example.com" matches jwt[0]
	// ok   claims
	//        registered claims have valid types
	// ok   audience           jwt[0].issuer.audiences
	//        configured: ["my-api"]
	//        token aud: ["my-api"]
	//        matched: "my-api"
	// ok   username           jwt[0].claimMappings.username
	//        prefix "oidc:"
	//        claim: sub
	//        value: "oidc:system:admin"
	// ok   groups             jwt[0].claimMappings.groups
	//        expression: has(claims.groups) ? dyn(claims.groups).map(g, 'oidc:' + g) : []
	//        type: list
	//        value: []
	// ok   uid                jwt[0].claimMappings.uid
	//        not configured
	// FAIL user-rule          jwt[0].userValidationRules[0]
	//        expression: !user.username.startsWith('oidc:system:')
	//        message: no system identities
	//        type: bool
	//        result: false
	// result: rejected at user-rule (user validation rule failed)
	//   jwtauth: error evaluating user info validation rule: validation expression '!user.username.startsWith('oidc:system:')' failed: no system identities
}
