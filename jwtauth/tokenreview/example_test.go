package tokenreview_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/structauth/structauth/jwtauth"
	"github.com/structauth/structauth/jwtauth/jwtauthtest"
	"github.com/structauth/structauth/jwtauth/tokenreview"
)

// ExampleNewHandler serves TokenReviews for an in-process issuer and
// reviews one token as kube-apiserver would.
func ExampleNewHandler() {
	iss, err := jwtauthtest.NewIssuer(jwtauthtest.IssuerOptions{})
	if err != nil {
		panic(err)
	}
	defer iss.Close()
	cfg := &jwtauth.AuthenticationConfiguration{APIVersion: jwtauth.APIVersionV1, Kind: jwtauth.Kind,
		JWT: []jwtauth.JWTAuthenticator{iss.Authenticator("kubernetes")}}
	auth, err := jwtauth.New(context.Background(), cfg, jwtauth.Options{})
	if err != nil {
		panic(err)
	}
	defer auth.Close()

	h, err := tokenreview.NewHandler(auth, tokenreview.Options{
		ImplicitAudiences: []string{"https://kubernetes.default.svc"},
	})
	if err != nil {
		panic(err)
	}
	srv := httptest.NewTLSServer(h)
	defer srv.Close()

	token, err := iss.Sign("RS256", iss.Claims("kubernetes", "jane", time.Now()))
	if err != nil {
		panic(err)
	}
	body, _ := json.Marshal(tokenreview.TokenReview{
		APIVersion: tokenreview.APIVersionV1, Kind: tokenreview.Kind,
		Spec: tokenreview.Spec{Token: token},
	})
	resp, err := srv.Client().Post(srv.URL, "application/json", bytes.NewReader(body))
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var tr tokenreview.TokenReview
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil {
		panic(err)
	}
	fmt.Println(resp.StatusCode, tr.APIVersion, tr.Status.Authenticated, tr.Status.User.Username, tr.Status.Audiences)
	// Output:
	// 200 authentication.k8s.io/v1 true jane [https://kubernetes.default.svc]
}
