package jwtauthtest_test

import (
	"context"
	"fmt"
	"time"

	"github.com/structauth/structauth/jwtauth"
	"github.com/structauth/structauth/jwtauth/jwtauthtest"
)

// A GitHub Actions token from the fake issuer, checked by a policy that
// only admits the main branch of one repository.
func ExampleIssuer_Mint() {
	iss, err := jwtauthtest.NewIssuer(jwtauthtest.IssuerOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer iss.Close()

	preset := jwtauthtest.GitHubActions("octo-org/octo-repo", "refs/heads/main")
	a := iss.Authenticator(preset.Audience())
	a.ClaimMappings.Username = jwtauth.PrefixedClaimOrExpression{Expression: "'github:' + claims.repository"}
	a.ClaimValidationRules = []jwtauth.ClaimValidationRule{{Expression: "claims.ref == 'refs/heads/main'", Message: "main branch only"}}
	auth, err := jwtauth.New(context.Background(), &jwtauth.AuthenticationConfiguration{
		APIVersion: jwtauth.APIVersionV1, Kind: jwtauth.Kind, JWT: []jwtauth.JWTAuthenticator{a},
	}, jwtauth.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer auth.Close()

	for _, p := range []*jwtauthtest.Preset{preset, preset.With("ref", "refs/heads/feature")} {
		tok, err := iss.Mint(p, "", time.Now()) // "" = the preset's audience
		if err != nil {
			fmt.Println(err)
			return
		}
		u, err := auth.Authenticate(context.Background(), tok)
		if err != nil {
			fmt.Println("rejected:", err)
			continue
		}
		fmt.Println("user:", u.Username)
	}
	// Output:
	// user: github:octo-org/octo-repo
	// rejected: jwtauth: error evaluating claim validation expression: validation expression 'claims.ref == 'refs/heads/main'' failed: main branch only
}

// The claim sets of the Entra presets: v1.0 with the sts.windows.net
// issuer and upn, and a v2.0 token of a user in too many groups.
func ExamplePreset_Claims() {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	v1 := jwtauthtest.EntraV1("", "jane@contoso.com").Claims("", "", now)
	fmt.Println(v1["iss"], v1["ver"], v1["upn"], v1["aud"])

	v2 := jwtauthtest.EntraGroupOverage(jwtauthtest.EntraV2("", "jane@contoso.com")).Claims("", "", now)
	_, hasGroups := v2["groups"]
	fmt.Println(v2["iss"], v2["ver"], v2["preferred_username"], hasGroups, v2["_claim_names"])
	// Output:
	// https://sts.windows.net/8eaef023-2b34-4da1-9baa-8bc8c9d6a490/ 1.0 jane@contoso.com api://6e74172b-be56-4843-9ff4-e66a39bb12e3
	// https://login.microsoftonline.com/8eaef023-2b34-4da1-9baa-8bc8c9d6a490/v2.0 2.0 jane@contoso.com false map[groups:src1]
}

// Keycloak's nested role claims, mapped to groups with CEL.
func ExampleKeycloak() {
	c := jwtauthtest.Keycloak("jane", "k8s-admin").Claims("", "", time.Unix(0, 0))
	fmt.Println(c["iss"], c["preferred_username"], c["realm_access"])
	// Output:
	// https://keycloak.example.com/realms/example jane map[roles:[default-roles-example offline_access uma_authorization k8s-admin]]
}
