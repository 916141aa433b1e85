package jwtauth_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/structauth/structauth/jwtauth"
	"github.com/structauth/structauth/jwtauth/jwtauthtest"
)

const exampleConfig = `
apiVersion: apiserver.config.k8s.io/v1
kind: AuthenticationConfiguration
jwt:
- issuer:
    url: https://issuer.example.com
    audiences: [my-api]
  claimMappings:
    username:
      claim: sub
      prefix: "oidc:"
    groups:
      expression: "has(claims.groups) ? dyn(claims.groups).map(g, 'oidc:' + g) : []"
  userValidationRules:
  - expression: "!user.username.startsWith('oidc:system:')"
    message: no system identities
`

func ExampleParseConfig() {
	cfg, err := jwtauth.ParseConfig([]byte(exampleConfig))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(cfg.APIVersion, cfg.JWT[0].Issuer.URL, *cfg.JWT[0].ClaimMappings.Username.Prefix)

	_, err = jwtauth.ParseConfig([]byte("apiVersion: apiserver.config.k8s.io/v1\nkind: AuthenticationConfiguration\njwt:\n- issuer: {url: https://x, audiences: [a], colour: blue}\n"))
	fmt.Println(err != nil)
	// Output:
	// apiserver.config.k8s.io/v1 https://issuer.example.com oidc:
	// true
}

func ExampleNew() {
	cfg, err := jwtauth.ParseConfig([]byte(exampleConfig))
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg.JWT[0].ClaimMappings.Username.Prefix = nil // invalid: claim without prefix
	_, err = jwtauth.New(context.Background(), cfg, jwtauth.Options{})
	fmt.Println(err)
	// Output:
	// jwtauth: invalid authentication configuration: jwt[0].claimMappings.username.prefix: Required value: prefix is required when claim is set. It can be set to an empty string to disable prefixing
}

func ExampleAuthenticator_MapClaims() {
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

	// No token, no network: the claim set goes through routing, the
	// audience check, the mappings and the rules.
	u, err := auth.MapClaims(context.Background(), map[string]any{
		"iss": "https://issuer.example.com", "aud": "my-api", "sub": "jane", "groups": []string{"dev"},
	})
	fmt.Println(u.Username, u.Groups, err)

	_, err = auth.MapClaims(context.Background(), map[string]any{
		"iss": "https://issuer.example.com", "aud": "my-api", "sub": "system:admin",
	})
	fmt.Println(errors.Is(err, jwtauth.ErrUserRule))
	// Output:
	// oidc:jane [oidc:dev] <nil>
	// true
}

func ExampleAuthenticator_Authenticate() {
	// An in-process issuer stands in for a real identity provider.
	iss, err := jwtauthtest.NewIssuer(jwtauthtest.IssuerOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer iss.Close()

	cfg := &jwtauth.AuthenticationConfiguration{
		APIVersion: jwtauth.APIVersionV1,
		Kind:       jwtauth.Kind,
		JWT:        []jwtauth.JWTAuthenticator{iss.Authenticator("my-api")},
	}
	auth, err := jwtauth.New(context.Background(), cfg, jwtauth.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer auth.Close()

	tok, _ := iss.Sign("ES256", iss.Claims("my-api", "jane", time.Now()))
	u, err := auth.Authenticate(context.Background(), tok)
	fmt.Println(u.Username, err)

	expired, _ := iss.Sign("RS256", iss.Claims("my-api", "jane", time.Now().Add(-2*time.Hour)))
	_, err = auth.Authenticate(context.Background(), expired)
	fmt.Println(errors.Is(err, jwtauth.ErrExpired))
	// Output:
	// jane <nil>
	// true
}
