// Command quickstart is structauth's offline demo: it starts an in-process
// OIDC issuer, loads a kube-apiserver AuthenticationConfiguration from
// testdata/quickstart/config.yaml, mints a few tokens and prints who each
// one is, or why it was rejected. No network or cloud account is needed.
//
//	go run ./examples/quickstart
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/structauth/structauth/jwtauth"
	"github.com/structauth/structauth/jwtauth/jwtauthtest"
)

func main() {
	config := flag.String("config", "testdata/quickstart/config.yaml", "AuthenticationConfiguration file; ISSUER_URL is replaced by the in-process issuer's URL")
	flag.Parse()
	if err := run(context.Background(), os.Stdout, *config); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer, configPath string) error {
	iss, err := jwtauthtest.NewIssuer(jwtauthtest.IssuerOptions{Path: "/realms/demo"})
	if err != nil {
		return err
	}
	defer iss.Close()

	data, err := os.ReadFile(configPath)
	if err != nil {
		return err
	}
	cfg, err := jwtauth.ParseConfig([]byte(strings.ReplaceAll(string(data), "ISSUER_URL", iss.URL)))
	if err != nil {
		return err
	}
	// The issuer's TLS certificate is trusted through the HTTP client, so
	// the file needs no certificateAuthority.
	auth, err := jwtauth.New(ctx, cfg, jwtauth.Options{HTTPClient: iss.Client()})
	if err != nil {
		return err
	}
	defer auth.Close()

	now := time.Now()
	base := func(extra map[string]any) map[string]any {
		c := iss.Claims("kubernetes", "user-1234", now)
		c["email"], c["email_verified"], c["tenant"] = "jane@acme.example", true, "acme"
		c["groups"] = []string{"dev", "ops"}
		for k, v := range extra {
			if v == nil {
				delete(c, k)
				continue
			}
			c[k] = v
		}
		return c
	}
	tokens := []struct {
		what   string
		alg    string
		claims map[string]any
	}{
		{"a valid RS256 token", "RS256", base(nil)},
		{"the same claims signed with ES256", "ES256", base(nil)},
		{"an expired token", "RS256", base(map[string]any{"exp": now.Add(-time.Minute).Unix()})},
		{"a token for another audience", "RS256", base(map[string]any{"aud": "someone-else"})},
		{"a token from another tenant", "RS256", base(map[string]any{"tenant": "globex"})},
		{"a token with an unverified email", "PS256", base(map[string]any{"email_verified": false})},
		{"a token from an unknown issuer", "RS256", base(map[string]any{"iss": "https://evil.example"})},
		{"a token claiming a system identity", "RS256", base(map[string]any{"email": "system:admin"})},
	}
	fmt.Fprintf(out, "issuer %s (in-process)\n\n", iss.URL)
	for _, tc := range tokens {
		tok, err := iss.Sign(tc.alg, tc.claims)
		if err != nil {
			return err
		}
		u, err := auth.Authenticate(ctx, tok)
		fmt.Fprintf(out, "%s:\n", tc.what)
		var je *jwtauth.Error
		switch {
		case err == nil:
			fmt.Fprintf(out, "  user %q uid %q groups %q extra %v\n", u.Username, u.UID, u.Groups, u.Extra)
		case errors.As(err, &je):
			fmt.Fprintf(out, "  rejected (check %s): %v\n", je.Check, err)
		default:
			fmt.Fprintf(out, "  rejected: %v\n", err)
		}
	}
	// Tampering with a signed token is caught by the signature check.
	tok, err := iss.Sign("RS256", base(nil))
	if err != nil {
		return err
	}
	parts := strings.Split(tok, ".")
	forged := parts[0] + "." + jwtauthtest.EncodeSegment(strings.Replace(string(jwtauthtest.MustDecodeSegment(parts[1])), "jane", "root", 1)) + "." + parts[2]
	_, err = auth.Authenticate(ctx, forged)
	fmt.Fprintf(out, "a forged token (payload edited after signing):\n  rejected: %v\n", err)
	return nil
}
