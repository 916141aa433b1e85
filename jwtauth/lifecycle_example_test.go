package jwtauth_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/structauth/structauth/discovery"
	"github.com/structauth/structauth/jwtauth"
	"github.com/structauth/structauth/jwtauth/jwtauthtest"
)

// A readiness probe: Ready fetches every issuer's discovery document and
// keys, and names the issuers that are not ready.
func ExampleAuthenticator_Ready() {
	good, _ := jwtauthtest.NewIssuer(jwtauthtest.IssuerOptions{Path: "/good"})
	defer good.Close()
	down, _ := jwtauthtest.NewIssuer(jwtauthtest.IssuerOptions{Path: "/down"})
	defer down.Close()
	down.SetJWKSHandler(jwtauthtest.StatusFault(503))

	cfg := &jwtauth.AuthenticationConfiguration{
		APIVersion: jwtauth.APIVersionV1, Kind: jwtauth.Kind,
		JWT: []jwtauth.JWTAuthenticator{good.Authenticator("my-api"), down.Authenticator("my-api")},
	}
	a, err := jwtauth.New(context.Background(), cfg, jwtauth.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer a.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = a.Ready(ctx)
	var re *jwtauth.ReadyError
	if errors.As(err, &re) {
		for _, ie := range re.Issuers {
			fmt.Println("not ready:", ie.Issuer == down.URL, errors.Is(ie.Err, discovery.ErrStatus))
		}
	}
	fmt.Println(errors.Is(err, jwtauth.ErrNotReady))
	// Output:
	// not ready: true true
	// true
}

// Options.FetchObserver sees every discovery and JWKS request, to feed
// metrics or logs.
func ExampleOptions_fetchObserver() {
	iss, _ := jwtauthtest.NewIssuer(jwtauthtest.IssuerOptions{})
	defer iss.Close()
	cfg := &jwtauth.AuthenticationConfiguration{
		APIVersion: jwtauth.APIVersionV1, Kind: jwtauth.Kind,
		JWT: []jwtauth.JWTAuthenticator{iss.Authenticator("my-api")},
	}
	events := make(chan discovery.FetchEvent, 10)
	a, err := jwtauth.New(context.Background(), cfg, jwtauth.Options{
		FetchObserver: func(e discovery.FetchEvent) { events <- e },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer a.Close()
	if err := a.Ready(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	for range 2 {
		e := <-events
		fmt.Println(e.Kind, e.Trigger, e.Result(), e.StatusCode, e.Keys)
	}
	// Output:
	// discovery initial ok 200 0
	// jwks initial ok 200 4
}
