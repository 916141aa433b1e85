package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/structauth/structauth/jwtauth"
	"github.com/structauth/structauth/jwtauth/jwtauthtest"
)

const demoUsage = `Usage: structauth demo

An offline walkthrough: starts an in-process OpenID Connect issuer on a
loopback TLS port (no other network access), loads a sample
configuration for it, mints several tokens (accepted, wrong audience,
expired, failing a claim rule, failing a user rule, signed with an
unknown key) and explains each one.

Exit status: 0 when every token got the decision the demo expects, 1
otherwise, 2 on a usage error or when the issuer cannot start.
`

func init() {
	register(&command{name: "demo", summary: "offline walkthrough: an in-process issuer, sample tokens, explanations", usage: demoUsage, run: runDemo})
}

// demoConfig is the sample configuration; %s is the issuer URL.
const demoConfig = `apiVersion: apiserver.config.k8s.io/v1
kind: AuthenticationConfiguration
jwt:
- issuer:
    url: %s
    audiences:
    - my-api
  claimValidationRules:
  - expression: "claims.?email_verified.orValue(false) == true"
    message: email must be verified
  claimMappings:
    username:
      expression: "'oidc:' + claims.email"
    groups:
      expression: "has(claims.groups) ? dyn(claims.groups).map(g, 'oidc:' + g) : []"
    uid:
      claim: sub
  userValidationRules:
  - expression: "!user.username.startsWith('oidc:system:')"
    message: no system identities
`

// demoNow is the demo's fixed clock, so that the times it prints do not
// change from run to run.
var demoNow = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

type demoToken struct {
	title  string
	change map[string]any // over the base claims; nil values delete
	sign   jwtauthtest.SignOptions
	want   jwtauth.Check // "" means accepted
}

func runDemo(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	pos, code, ok := parseFlags(fs, demoUsage, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) != 0 {
		fmt.Fprintf(stderr, "structauth demo: takes no arguments\n\n%s", demoUsage)
		return exitUsage
	}
	iss, err := jwtauthtest.NewIssuer(jwtauthtest.IssuerOptions{Path: "/demo"})
	if err != nil {
		fmt.Fprintf(stderr, "structauth demo: starting the in-process issuer: %v\n", err)
		return exitUsage
	}
	defer iss.Close()
	attacker, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		fmt.Fprintf(stderr, "structauth demo: %v\n", err)
		return exitUsage
	}

	text := fmt.Sprintf(demoConfig, iss.URL)
	cfg, err := jwtauth.ParseConfig([]byte(text))
	if err != nil {
		fmt.Fprintf(stderr, "structauth demo: %v\n", err)
		return exitUsage
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	auth, err := jwtauth.New(ctx, cfg, jwtauth.Options{HTTPClient: iss.Client(), Now: func() time.Time { return demoNow }})
	if err != nil {
		fmt.Fprintf(stderr, "structauth demo: %v\n", err)
		return exitUsage
	}
	defer auth.Close()

	w := &errWriter{w: stdout}
	w.printf("structauth demo: an in-process OIDC issuer at %s (loopback only),\n", iss.URL)
	w.printf("the clock fixed at %s, and this configuration:\n\n%s\n\n", demoNow.Format(time.RFC3339), indent(text, "    "))

	tokens := []demoToken{
		{title: "A valid token"},
		{title: "Wrong audience (aud \"other-api\")", change: map[string]any{"aud": "other-api"}, want: jwtauth.CheckAudience},
		{title: "Expired five minutes ago", change: map[string]any{"exp": demoNow.Add(-5 * time.Minute).Unix()}, want: jwtauth.CheckExpiry},
		{title: "Email not verified (fails a claim validation rule)", change: map[string]any{"email_verified": false}, want: jwtauth.CheckClaimRule},
		{title: "A system: identity (fails a user validation rule)", change: map[string]any{"email": "system:admin"}, want: jwtauth.CheckUserRule},
		{title: "Signed with a key the issuer does not publish", sign: jwtauthtest.SignOptions{Alg: "ES256", Signer: attacker, KeyID: "attacker-key"}, want: jwtauth.CheckSignature},
	}
	matched, accepted := 0, 0
	for i, tt := range tokens {
		c := map[string]any{
			"iss": iss.URL, "aud": "my-api", "sub": "u-1234", "email": "jane@example.com", "email_verified": true,
			"groups": []string{"dev", "ops"}, "iat": demoNow.Add(-time.Minute).Unix(), "exp": demoNow.Add(time.Hour).Unix(),
		}
		for k, v := range tt.change {
			c[k] = v
		}
		sign := tt.sign
		if sign.Alg == "" {
			sign.Alg = "RS256"
		}
		token, err := iss.SignWith(sign, c)
		if err != nil {
			fmt.Fprintf(stderr, "structauth demo: %v\n", err)
			return exitUsage
		}
		x := auth.Explain(ctx, token)
		got := jwtauth.Check("")
		var e *jwtauth.Error
		if errors.As(x.Err, &e) {
			got = e.Check
		}
		if x.Accepted() {
			accepted++
		}
		verdict := "accepted"
		if got != "" {
			verdict = "rejected at " + string(got)
		}
		if got == tt.want {
			matched++
		} else {
			verdict += fmt.Sprintf(" (UNEXPECTED: the demo expects %q)", tt.want)
		}
		w.printf("%d. %s: %s\n\n%s\n\n", i+1, tt.title, verdict, indent(x.String(), "    "))
	}
	w.printf("%d tokens: %d accepted, %d rejected; %d of %d decisions as expected.\n",
		len(tokens), accepted, len(tokens)-accepted, matched, len(tokens))
	w.printf("Try it on your own configuration: structauth lint CONFIG, structauth explain CONFIG TOKEN.\n")
	if w.err != nil {
		fmt.Fprintf(stderr, "structauth demo: %v\n", w.err)
		return exitUsage
	}
	if matched != len(tokens) {
		return exitFailed
	}
	return exitOK
}

// errWriter keeps the first write error.
type errWriter struct {
	w   io.Writer
	err error
}

func (ew *errWriter) printf(format string, args ...any) {
	if ew.err == nil {
		_, ew.err = fmt.Fprintf(ew.w, format, args...)
	}
}
