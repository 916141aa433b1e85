package httpauth_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/structauth/structauth/jwtauth"
	"github.com/structauth/structauth/jwtauth/httpauth"
	"github.com/structauth/structauth/jwtauth/jwtauthtest"
)

func ExampleNew() {
	iss, err := jwtauthtest.NewIssuer(jwtauthtest.IssuerOptions{})
	if err != nil {
		log.Fatal(err)
	}
	defer iss.Close()
	cfg := &jwtauth.AuthenticationConfiguration{APIVersion: jwtauth.APIVersionV1, Kind: jwtauth.Kind,
		JWT: []jwtauth.JWTAuthenticator{iss.Authenticator("my-api")}}
	auth, err := jwtauth.New(context.Background(), cfg, jwtauth.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer auth.Close()

	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := httpauth.UserFrom(r.Context())
		fmt.Fprintf(w, "hello %s", u.Username)
	})
	mw := httpauth.New(auth, httpauth.Options{
		Realm: "my-api",
		OnError: func(r *http.Request, err error) {
			var je *jwtauth.Error
			if errors.As(err, &je) {
				fmt.Println("server log:", r.URL.Path, "failed check", je.Check)
				return
			}
			fmt.Println("server log:", r.URL.Path, err)
		},
	})
	srv := httptest.NewTLSServer(mw(app))
	defer srv.Close()

	call := func(authorization string) {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/hello", nil)
		if authorization != "" {
			req.Header.Set("Authorization", authorization)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
		fmt.Println(strings.TrimSpace(resp.Status + " " + resp.Header.Get("WWW-Authenticate")))
	}
	tok, err := iss.Sign("RS256", iss.Claims("my-api", "jane", time.Now()))
	if err != nil {
		log.Fatal(err)
	}
	call("Bearer " + tok)
	call("")
	call("Bearer " + tok[:len(tok)-4] + "AAAA")
	// Output:
	// 200 OK
	// server log: /hello httpauth: no bearer token
	// 401 Unauthorized Bearer realm="my-api"
	// server log: /hello failed check signature
	// 401 Unauthorized Bearer realm="my-api", error="invalid_token"
}
