package jwtauth_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/structauth/structauth/jwtauth"
	"github.com/structauth/structauth/jwtauth/jwtauthtest"
)

func benchAuthenticator(b *testing.B, cfg jwtauth.JWTAuthenticator) *jwtauth.Authenticator {
	b.Helper()
	a, err := jwtauth.New(context.Background(), &jwtauth.AuthenticationConfiguration{
		APIVersion: jwtauth.APIVersionV1, Kind: jwtauth.Kind, JWT: []jwtauth.JWTAuthenticator{cfg},
	}, jwtauth.Options{Now: func() time.Time { return testNow }})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = a.Close() })
	return a
}

func celPolicy(iss *jwtauthtest.Issuer) jwtauth.JWTAuthenticator {
	cfg := iss.Authenticator("my-client")
	cfg.ClaimValidationRules = []jwtauth.ClaimValidationRule{
		{Expression: "claims.?tenant.orValue('') == 'acme'", Message: "tenant"},
		{Expression: "claims.exp - claims.iat <= 86400", Message: "lifetime"},
	}
	cfg.ClaimMappings = jwtauth.ClaimMappings{
		Username: jwtauth.PrefixedClaimOrExpression{Expression: "'oidc:' + claims.sub"},
		Groups:   jwtauth.PrefixedClaimOrExpression{Expression: "dyn(claims.groups).map(g, 'oidc:' + g)"},
	}
	cfg.UserValidationRules = []jwtauth.UserValidationRule{{Expression: "!user.username.startsWith('oidc:system:')"}}
	return cfg
}

func benchClaims(iss *jwtauthtest.Issuer) map[string]any {
	c := baseClaims(iss)
	c["sub"], c["tenant"], c["iat"] = "jane", "acme", testNow.Unix()
	groups := make([]string, 20)
	for i := range groups {
		groups[i] = fmt.Sprintf("group-%02d", i)
	}
	c["groups"] = groups
	return c
}

func BenchmarkAuthenticate(b *testing.B) {
	claimForm := baseAuthenticator(sharedIssuer)
	cases := []struct {
		name string
		cfg  jwtauth.JWTAuthenticator
		alg  string
	}{
		{"RS256/claim-mapping", claimForm, "RS256"},
		{"ES256/claim-mapping", claimForm, "ES256"},
		{"PS256/claim-mapping", claimForm, "PS256"},
		{"RS256/cel-policy", celPolicy(sharedIssuer), "RS256"},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			a := benchAuthenticator(b, tc.cfg)
			c := benchClaims(sharedIssuer)
			c["username"] = "jane"
			tok, err := sharedIssuer.Sign(tc.alg, c)
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			if _, err := a.Authenticate(ctx, tok); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := a.Authenticate(ctx, tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("unknown-issuer", func(b *testing.B) {
		a := benchAuthenticator(b, claimForm)
		c := benchClaims(sharedIssuer)
		c["iss"] = "https://elsewhere.example"
		tok, _ := sharedIssuer.Sign("RS256", c)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := a.Authenticate(context.Background(), tok); err == nil {
				b.Fatal("accepted")
			}
		}
	})
	b.Run("malformed", func(b *testing.B) {
		a := benchAuthenticator(b, claimForm)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := a.Authenticate(context.Background(), "eyJhbGciOiJSUzI1NiJ9.e30"); err == nil {
				b.Fatal("accepted")
			}
		}
	})
	b.Run("MapClaims/cel-policy", func(b *testing.B) {
		a := benchAuthenticator(b, celPolicy(sharedIssuer))
		c := benchClaims(sharedIssuer)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := a.MapClaims(context.Background(), c); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkNew builds an Authenticator for N authenticators with the CEL
// policy; N = 8..64 shows how the cost grows (issue 7: not faster than
// linearly).
func BenchmarkNew(b *testing.B) {
	for _, n := range []int{8, 16, 32, 64} {
		b.Run(fmt.Sprintf("authenticators=%d", n), func(b *testing.B) {
			cfg := &jwtauth.AuthenticationConfiguration{APIVersion: jwtauth.APIVersionV1, Kind: jwtauth.Kind}
			for i := range n {
				a := celPolicy(sharedIssuer)
				a.Issuer.URL = fmt.Sprintf("https://issuer-%d.example", i)
				a.Issuer.CertificateAuthority = ""
				cfg.JWT = append(cfg.JWT, a)
			}
			b.ReportAllocs()
			for b.Loop() {
				a, err := jwtauth.New(context.Background(), cfg, jwtauth.Options{})
				if err != nil {
					b.Fatal(err)
				}
				_ = a.Close()
			}
		})
	}
}
