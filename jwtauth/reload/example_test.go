package reload_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/structauth/structauth/jwtauth"
	"github.com/structauth/structauth/jwtauth/jwtauthtest"
	"github.com/structauth/structauth/jwtauth/reload"
)

// ExampleNew serves the configuration in a file, then switches to a new
// issuer when the file changes.
func ExampleNew() {
	issA, _ := jwtauthtest.NewIssuer(jwtauthtest.IssuerOptions{})
	defer issA.Close()
	issB, _ := jwtauthtest.NewIssuer(jwtauthtest.IssuerOptions{})
	defer issB.Close()
	write := func(path string, iss *jwtauthtest.Issuer) {
		data, _ := json.Marshal(jwtauth.AuthenticationConfiguration{APIVersion: jwtauth.APIVersionV1, Kind: jwtauth.Kind,
			JWT: []jwtauth.JWTAuthenticator{iss.Authenticator("kubernetes")}})
		if err := os.WriteFile(path, data, 0o600); err != nil {
			panic(err)
		}
	}
	dir, _ := os.MkdirTemp("", "reload")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "config.json")
	write(path, issA)

	a, err := reload.New(context.Background(), path, reload.Options{
		OnReload: func(ev reload.Event) { fmt.Println("loaded generation", ev.Generation, ev.Trigger, ev.Err) },
	})
	if err != nil {
		panic(err)
	}
	defer a.Close()
	tokB, _ := issB.Sign("RS256", issB.Claims("kubernetes", "bob", time.Now()))
	_, err = a.Authenticate(context.Background(), tokB)
	fmt.Println("before:", errors.Is(err, jwtauth.ErrUnknownIssuer))

	write(path, issB)
	// The poller would notice within Options.Interval; Reload checks now.
	if err := a.Reload(context.Background()); err != nil {
		panic(err)
	}
	u, err := a.Authenticate(context.Background(), tokB)
	fmt.Println("after:", u.Username, err)
	// Output:
	// loaded generation 1 initial <nil>
	// before: true
	// loaded generation 2 reload <nil>
	// after: bob <nil>
}
