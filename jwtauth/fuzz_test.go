package jwtauth_test

import (
	"context"
	"testing"
	"time"

	"github.com/structauth/structauth/jwtauth"
)

// FuzzAuthenticate feeds arbitrary strings to the token front door of a
// configured authenticator. Invariants: no panic, and nothing is accepted
// except the one genuinely signed seed token.
func FuzzAuthenticate(f *testing.F) {
	c := baseClaims(sharedIssuer)
	good, err := sharedIssuer.Sign("ES256", c)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add("a.b.c")
	f.Add("")
	f.Add(`{"payload":"e30"}`)
	f.Add("eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0.")
	cfg := &jwtauth.AuthenticationConfiguration{APIVersion: jwtauth.APIVersionV1, Kind: jwtauth.Kind,
		JWT: []jwtauth.JWTAuthenticator{baseAuthenticator(sharedIssuer)}}
	a, err := jwtauth.New(context.Background(), cfg, jwtauth.Options{Now: func() time.Time { return testNow }})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = a.Close() })
	f.Fuzz(func(t *testing.T, token string) {
		u, err := a.Authenticate(context.Background(), token)
		if err == nil && token != good {
			t.Fatalf("accepted a token that was never signed: %q -> %+v", token, u)
		}
	})
}
