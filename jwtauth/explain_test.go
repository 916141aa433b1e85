package jwtauth_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/structauth/structauth/jwtauth"
	"github.com/structauth/structauth/jwtauth/jwtauthtest"
)

// checkSentinels are the check classes; an Explain error must match the
// same ones as the Authenticate error.
var checkSentinels = []error{
	jwtauth.ErrUnknownIssuer, jwtauth.ErrMalformedToken, jwtauth.ErrNotReady, jwtauth.ErrKeys,
	jwtauth.ErrUnsupportedAlgorithm, jwtauth.ErrSignature, jwtauth.ErrUnknownKey, jwtauth.ErrInvalidClaims,
	jwtauth.ErrAudience, jwtauth.ErrExpired, jwtauth.ErrNotYetValid, jwtauth.ErrDistributedClaims,
	jwtauth.ErrMapping, jwtauth.ErrEmailNotVerified, jwtauth.ErrRequiredClaim, jwtauth.ErrClaimRule,
	jwtauth.ErrUserRule, jwtauth.ErrAKSPrefix, jwtauth.ErrSystemName,
}

// requireSameDecision asserts that x decided what Authenticate (or
// MapClaims) decided: the same user, or an error of the same check,
// class, text and authenticator.
func requireSameDecision(t *testing.T, x *jwtauth.Explanation, u *jwtauth.User, err error) {
	t.Helper()
	require.NotEmpty(t, x.Steps)
	if err == nil {
		require.NoError(t, x.Err, "explain rejected what authenticate accepted")
		require.True(t, x.Accepted())
		require.Equal(t, u, x.User)
		for _, s := range x.Steps {
			require.Equal(t, jwtauth.OutcomePass, s.Outcome)
		}
		return
	}
	require.Error(t, x.Err, "explain accepted what authenticate rejected: %v", err)
	require.False(t, x.Accepted())
	require.Nil(t, x.User)
	var want, got *jwtauth.Error
	require.ErrorAs(t, err, &want)
	require.ErrorAs(t, x.Err, &got)
	require.Equal(t, want.Check, got.Check)
	require.Equal(t, want.Authenticator, got.Authenticator)
	require.Equal(t, want.Issuer, got.Issuer)
	require.Equal(t, want.Expression, got.Expression)
	require.Equal(t, err.Error(), x.Err.Error())
	for _, s := range checkSentinels {
		require.Equal(t, errors.Is(err, s), errors.Is(x.Err, s), "sentinel %v", s)
	}
	decisive := 0
	for _, s := range x.Steps {
		if s.Error == err.Error() {
			decisive++
			require.Equal(t, jwtauth.OutcomeFail, s.Outcome)
			require.Equal(t, want.Check, s.Check)
		}
	}
	require.Equal(t, 1, decisive, "exactly one step carries the decisive error")
}

// explainAgrees is called by runScenarios (authenticate_test.go) after
// each Authenticate, so every catalogue scenario also checks Explain.
func explainAgrees(t *testing.T, a *jwtauth.Authenticator, token string, u *jwtauth.User, err error) {
	t.Helper()
	x := a.Explain(context.Background(), token)
	requireSameDecision(t, x, u, err)
	requireNoSecrets(t, x, token)
}

// requireNoSecrets: neither rendering holds the token or its signature.
func requireNoSecrets(t *testing.T, x *jwtauth.Explanation, token string) {
	t.Helper()
	b, err := json.Marshal(x)
	require.NoError(t, err)
	text := x.String()
	secrets := []string{token}
	if parts := strings.Split(token, "."); len(parts) == 3 && len(parts[2]) > 8 {
		secrets = append(secrets, parts[2], parts[2][:len(parts[2])/2])
	}
	for _, s := range secrets {
		if s == "" {
			continue
		}
		require.NotContains(t, string(b), s)
		require.NotContains(t, text, s)
	}
}

// policyAuthenticator exercises every step: claim-form and expression
// rules, all four mappings and user rules.
func policyAuthenticator(iss *jwtauthtest.Issuer) jwtauth.JWTAuthenticator {
	a := iss.Authenticator("my-api", "other-api")
	a.ClaimValidationRules = []jwtauth.ClaimValidationRule{
		{Claim: "hd", RequiredValue: "example.com"},
		{Expression: "claims.?email_verified.orValue(false) == true", Message: "email must be verified"},
		{Expression: "'dev' in dyn(claims.groups)", Message: "must be in dev"},
	}
	a.ClaimMappings = jwtauth.ClaimMappings{
		Username: jwtauth.PrefixedClaimOrExpression{Expression: "'oidc:' + claims.email"},
		Groups:   jwtauth.PrefixedClaimOrExpression{Expression: "dyn(claims.groups).map(g, 'oidc:' + g)"},
		UID:      jwtauth.ClaimOrExpression{Claim: "sub"},
		Extra:    []jwtauth.ExtraMapping{{Key: "example.org/team", ValueExpression: "claims.team"}},
	}
	a.UserValidationRules = []jwtauth.UserValidationRule{{Expression: "!user.username.startsWith('oidc:system')", Message: "no system users"}}
	return a
}

func policyClaims(iss *jwtauthtest.Issuer) map[string]any {
	return map[string]any{
		"iss": iss.URL, "aud": []string{"x", "other-api"}, "sub": "u-1", "exp": testNow.Add(time.Hour).Unix(),
		"iat": testNow.Add(-time.Minute).Unix(), "nbf": testNow.Add(-time.Minute).Unix(),
		"hd": "example.com", "email": "jane@example.com", "email_verified": true,
		"groups": []string{"dev", "ops"}, "team": "blue", "jti": "id-1",
	}
}

func TestExplainAgreesWithAuthenticate(t *testing.T) {
	pol := policyAuthenticator(sharedIssuer)
	tok := func(o jwtauthtest.SignOptions, change map[string]any) func(t *testing.T) string {
		return func(t *testing.T) string {
			c := policyClaims(sharedIssuer)
			for k, v := range change {
				if v == nil {
					delete(c, k)
				} else {
					c[k] = v
				}
			}
			s, err := sharedIssuer.SignWith(o, c)
			require.NoError(t, err)
			return s
		}
	}
	lit := func(s string) func(*testing.T) string { return func(*testing.T) string { return s } }
	rs := jwtauthtest.SignOptions{}
	tests := []struct {
		name      string
		token     func(t *testing.T) string
		wantCheck jwtauth.Check // "" means accepted
		opts      jwtauth.Options
	}{
		{"accepted", tok(rs, nil), "", jwtauth.Options{}},
		{"accepted ES384", tok(jwtauthtest.SignOptions{Alg: "ES384"}, nil), "", jwtauth.Options{}},
		{"empty", lit(""), jwtauth.CheckFormat, jwtauth.Options{}},
		{"garbage", lit("not-a-token"), jwtauth.CheckFormat, jwtauth.Options{}},
		{"two segments", lit("eyJhbGciOiJSUzI1NiJ9.e30"), jwtauth.CheckFormat, jwtauth.Options{}},
		{"payload not json", lit(jwtauthtest.EncodeSegment(`{"alg":"RS256"}`) + "." + jwtauthtest.EncodeSegment("nope") + ".c2ln"), jwtauth.CheckFormat, jwtauth.Options{}},
		{"too large", lit(strings.Repeat("a", 200)), jwtauth.CheckFormat, jwtauth.Options{MaxTokenSize: 100}},
		{"unsupported alg", lit(jwtauthtest.EncodeSegment(`{"alg":"HS256"}`) + "." + jwtauthtest.EncodeSegment(`{"iss":"`+sharedIssuer.URL+`"}`) + ".c2ln"), jwtauth.CheckAlgorithm, jwtauth.Options{}},
		{"unknown issuer", tok(rs, map[string]any{"iss": "https://elsewhere.example"}), jwtauth.CheckIssuer, jwtauth.Options{}},
		{"unknown issuer, garbage header", lit(jwtauthtest.EncodeSegment(`{"alg":`) + "." + jwtauthtest.EncodeSegment(`{"iss":"https://elsewhere.example"}`) + ".c2ln"), jwtauth.CheckIssuer, jwtauth.Options{}},
		{"known issuer, garbage header", lit(jwtauthtest.EncodeSegment(`{"alg":`) + "." + jwtauthtest.EncodeSegment(`{"iss":"`+sharedIssuer.URL+`"}`) + ".c2ln"), jwtauth.CheckFormat, jwtauth.Options{}},
		{"no iss", tok(rs, map[string]any{"iss": nil}), jwtauth.CheckIssuer, jwtauth.Options{}},
		{"unknown kid", tok(jwtauthtest.SignOptions{KeyID: "gone"}, nil), jwtauth.CheckSignature, jwtauth.Options{}},
		{"wrong key", tok(jwtauthtest.SignOptions{Alg: "ES256", Signer: mustECKey(t), KeyID: "p-256-1"}, nil), jwtauth.CheckSignature, jwtauth.Options{}},
		{"sub not a string", tok(rs, map[string]any{"sub": 7}), jwtauth.CheckClaims, jwtauth.Options{}},
		{"wrong audience", tok(rs, map[string]any{"aud": "nope"}), jwtauth.CheckAudience, jwtauth.Options{}},
		{"expired", tok(rs, map[string]any{"exp": testNow.Add(-time.Second).Unix()}), jwtauth.CheckExpiry, jwtauth.Options{}},
		{"no exp", tok(rs, map[string]any{"exp": nil}), jwtauth.CheckExpiry, jwtauth.Options{}},
		{"not yet valid", tok(rs, map[string]any{"nbf": testNow.Add(2 * time.Minute).Unix()}), jwtauth.CheckNotBefore, jwtauth.Options{}},
		{"username expression error", tok(rs, map[string]any{"email": nil}), jwtauth.CheckUsername, jwtauth.Options{}},
		{"groups wrong type", tok(rs, map[string]any{"groups": 3}), jwtauth.CheckGroups, jwtauth.Options{}},
		{"uid missing", tok(rs, map[string]any{"sub": nil}), jwtauth.CheckUID, jwtauth.Options{}},
		{"extra missing claim", tok(rs, map[string]any{"team": nil}), jwtauth.CheckExtra, jwtauth.Options{}},
		{"required claim wrong", tok(rs, map[string]any{"hd": "example.org"}), jwtauth.CheckRequiredClaim, jwtauth.Options{}},
		{"claim rule false", tok(rs, map[string]any{"email_verified": false}), jwtauth.CheckClaimRule, jwtauth.Options{}},
		{"second claim rule false", tok(rs, map[string]any{"groups": []string{"ops"}}), jwtauth.CheckClaimRule, jwtauth.Options{}},
		{"user rule false", tok(rs, map[string]any{"email": "system@example.com"}), jwtauth.CheckUserRule, jwtauth.Options{}},
		{"system names allowed", tok(rs, map[string]any{"groups": []string{"dev", "system:masters"}}), "", jwtauth.Options{}},
		{"system names rejected", tok(rs, map[string]any{"groups": []string{"dev", "system:masters"}}), jwtauth.CheckSystemName, jwtauth.Options{RejectSystemNames: true}},
		{"system names option passes", tok(rs, nil), "", jwtauth.Options{RejectSystemNames: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := pol
			if strings.HasPrefix(tt.name, "system names") {
				cfg.ClaimMappings.Groups.Expression = "dyn(claims.groups)"
			}
			a := newAuthenticator(t, tt.opts, cfg)
			token := tt.token(t)
			u, err := a.Authenticate(context.Background(), token)
			if tt.wantCheck == "" {
				require.NoError(t, err)
			} else {
				var e *jwtauth.Error
				require.ErrorAs(t, err, &e)
				require.Equal(t, tt.wantCheck, e.Check)
			}
			x := a.Explain(context.Background(), token)
			requireSameDecision(t, x, u, err)
			requireNoSecrets(t, x, token)
			if tt.wantCheck != "" {
				require.Equal(t, tt.wantCheck, x.Steps[len(x.Steps)-1].Check)
			} else {
				require.Equal(t, jwtauth.OutcomePass, x.Steps[len(x.Steps)-1].Outcome)
			}
		})
	}
}

func TestExplainAKSProfile(t *testing.T) {
	cfg := sharedIssuer.Authenticator("my-api")
	cfg.Issuer.CertificateAuthority = "" // AKS forbids it: use the issuer's client
	cfg.ClaimMappings.Username = jwtauth.PrefixedClaimOrExpression{Expression: "'aks:jwt:' + claims.sub"}
	cfg.ClaimMappings.Groups = jwtauth.PrefixedClaimOrExpression{Expression: "claims.?groups.orValue([])"}
	a := newAuthenticator(t, jwtauth.Options{Profile: jwtauth.ProfileAKS, HTTPClient: sharedIssuer.Client()}, cfg)
	for _, tc := range []struct {
		groups    []string
		wantCheck jwtauth.Check
	}{{nil, ""}, {[]string{"aks:jwt:dev"}, ""}, {[]string{"dev"}, jwtauth.CheckAKSPrefix}} {
		c := sharedIssuer.Claims("my-api", "jane", testNow)
		if tc.groups != nil {
			c["groups"] = tc.groups
		}
		token, err := sharedIssuer.Sign("RS256", c)
		require.NoError(t, err)
		u, err := a.Authenticate(context.Background(), token)
		x := a.Explain(context.Background(), token)
		requireSameDecision(t, x, u, err)
		last := x.Steps[len(x.Steps)-1]
		if tc.wantCheck == "" {
			require.Equal(t, jwtauth.CheckAKSPrefix, last.Check)
			require.Equal(t, jwtauth.OutcomePass, last.Outcome)
		} else {
			require.Equal(t, tc.wantCheck, last.Check)
		}
	}
}

func TestExplainClaimsAgreesWithMapClaims(t *testing.T) {
	a := newAuthenticator(t, jwtauth.Options{}, policyAuthenticator(sharedIssuer))
	tests := []struct {
		name   string
		change map[string]any
	}{
		{"accepted", nil},
		{"expired is not checked", map[string]any{"exp": 1}},
		{"wrong audience", map[string]any{"aud": "nope"}},
		{"unknown issuer", map[string]any{"iss": "https://elsewhere"}},
		{"claim rule", map[string]any{"email_verified": false}},
		{"not encodable", map[string]any{"bad": func() {}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := policyClaims(sharedIssuer)
			for k, v := range tt.change {
				c[k] = v
			}
			u, err := a.MapClaims(context.Background(), c)
			x := a.ExplainClaims(context.Background(), c)
			requireSameDecision(t, x, u, err)
			require.Equal(t, "claims", x.Input)
			require.Nil(t, x.Now)
			for _, s := range x.Steps {
				require.NotContains(t, []jwtauth.Check{jwtauth.CheckSignature, jwtauth.CheckExpiry, jwtauth.CheckAlgorithm}, s.Check)
			}
		})
	}
}

// stepsOf returns the steps of one check.
func stepsOf(x *jwtauth.Explanation, c jwtauth.Check) []jwtauth.Step {
	var out []jwtauth.Step
	for _, s := range x.Steps {
		if s.Check == c {
			out = append(out, s)
		}
	}
	return out
}

func TestExplainDetails(t *testing.T) {
	a := newAuthenticator(t, jwtauth.Options{}, policyAuthenticator(sharedIssuer))
	sign := func(change map[string]any) string {
		c := policyClaims(sharedIssuer)
		for k, v := range change {
			c[k] = v
		}
		s, err := sharedIssuer.SignWith(jwtauthtest.SignOptions{Alg: "ES256"}, c)
		require.NoError(t, err)
		return s
	}

	t.Run("accepted", func(t *testing.T) {
		x := a.Explain(context.Background(), sign(nil))
		require.True(t, x.Accepted(), x.String())
		require.Equal(t, 0, x.Authenticator)
		require.Equal(t, sharedIssuer.URL, x.Issuer)
		sig := stepsOf(x, jwtauth.CheckSignature)[0].Signature
		require.Equal(t, "ES256", sig.Alg)
		require.NotNil(t, sig.Kid)
		require.NotNil(t, sig.KeysTried)
		require.Equal(t, 1, *sig.KeysTried)
		require.Positive(t, sig.KeysInSet)
		aud := stepsOf(x, jwtauth.CheckAudience)[0].Audience
		require.Equal(t, &jwtauth.AudienceInfo{Policy: "MatchAny", Configured: []string{"my-api", "other-api"}, Token: []string{"x", "other-api"}, Matched: "other-api"}, aud)
		tm := stepsOf(x, jwtauth.CheckExpiry)[0].Time
		require.Equal(t, "1h0m0s", tm.ExpiresIn)
		require.Equal(t, testNow.UTC(), tm.Now)
		user := stepsOf(x, jwtauth.CheckUsername)[0]
		require.Equal(t, "oidc:jane@example.com", user.Value)
		require.Equal(t, "string", user.Type)
		require.Equal(t, "jwt[0].claimMappings.username", user.Field)
		require.Equal(t, []string{"oidc:dev", "oidc:ops"}, stepsOf(x, jwtauth.CheckGroups)[0].Value)
		require.Equal(t, "sub", stepsOf(x, jwtauth.CheckUID)[0].Claim)
		extra := stepsOf(x, jwtauth.CheckExtra)
		require.Len(t, extra, 2) // credential id from jti, then example.org/team
		require.Equal(t, jwtauth.CredentialIDKey, extra[0].Key)
		require.Equal(t, []string{"blue"}, extra[1].Value)
		req := stepsOf(x, jwtauth.CheckRequiredClaim)
		require.Len(t, req, 1)
		require.Equal(t, "jwt[0].claimValidationRules[0]", req[0].Field)
		rules := stepsOf(x, jwtauth.CheckClaimRule)
		require.Len(t, rules, 2)
		require.Equal(t, "jwt[0].claimValidationRules[2]", rules[1].Field)
		require.True(t, *rules[1].Result)
		require.Len(t, stepsOf(x, jwtauth.CheckUserRule), 1)
		require.Contains(t, x.String(), "result: accepted")
	})

	t.Run("claim rule false names the rule and its message", func(t *testing.T) {
		x := a.Explain(context.Background(), sign(map[string]any{"email_verified": false, "groups": []string{"ops"}}))
		rules := stepsOf(x, jwtauth.CheckClaimRule)
		require.Len(t, rules, 2, "every rule is evaluated, as kube-apiserver does")
		require.False(t, *rules[0].Result)
		require.False(t, *rules[1].Result)
		require.Equal(t, "email must be verified", rules[0].Message)
		require.Contains(t, rules[0].Error, "email must be verified", "the first false rule is the failure")
		require.Empty(t, rules[1].Error)
		var e *jwtauth.Error
		require.ErrorAs(t, x.Err, &e)
		require.Equal(t, "email must be verified", e.Message)
		text := x.String()
		require.Contains(t, text, "FAIL claim-rule")
		require.Contains(t, text, "result: rejected at claim-rule (claim validation rule failed)")
	})

	t.Run("expired shows exp against now", func(t *testing.T) {
		x := a.Explain(context.Background(), sign(map[string]any{"exp": testNow.Add(-90 * time.Second).Unix()}))
		last := x.Steps[len(x.Steps)-1]
		require.Equal(t, jwtauth.CheckExpiry, last.Check)
		require.Equal(t, "-1m30s", last.Time.ExpiresIn)
		require.Contains(t, x.String(), "exp: ")
	})

	t.Run("json", func(t *testing.T) {
		x := a.Explain(context.Background(), sign(map[string]any{"aud": "nope"}))
		b, err := json.Marshal(x)
		require.NoError(t, err)
		var got map[string]any
		require.NoError(t, json.Unmarshal(b, &got))
		require.Equal(t, false, got["accepted"])
		require.Equal(t, "token", got["input"])
		require.EqualValues(t, 0, got["authenticator"])
		failure := got["failure"].(map[string]any)
		require.Equal(t, "audience", failure["check"])
		require.Equal(t, "audience mismatch", failure["reason"])
		steps := got["steps"].([]any)
		last := steps[len(steps)-1].(map[string]any)
		require.Equal(t, "fail", last["outcome"])
		require.Equal(t, []any{"nope"}, last["audience"].(map[string]any)["token"])
		require.NotContains(t, got, "user")

		x = a.Explain(context.Background(), sign(nil))
		b, err = json.Marshal(x)
		require.NoError(t, err)
		require.Contains(t, string(b), `"user":{"username":"oidc:jane@example.com","uid":"u-1","groups":["oidc:dev","oidc:ops"]`)
		require.NotContains(t, string(b), `"failure"`)
	})
}

func TestExplainWriteTextError(t *testing.T) {
	a := newAuthenticator(t, jwtauth.Options{}, policyAuthenticator(sharedIssuer))
	x := a.Explain(context.Background(), "garbage")
	require.Error(t, x.WriteText(failingWriter{}))
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// FuzzExplain: for any input, Explain decides what Authenticate decides,
// and neither rendering contains the input's signature.
func FuzzExplain(f *testing.F) {
	good, err := sharedIssuer.SignWith(jwtauthtest.SignOptions{Alg: "ES256"}, policyClaims(sharedIssuer))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	parts := strings.Split(good, ".")
	f.Add(parts[0] + "." + parts[1] + ".c2ln")
	f.Add(jwtauthtest.EncodeSegment(`{"alg":"RS256"}`) + "." + jwtauthtest.EncodeSegment(`{"iss":"https://x","aud":"my-api"}`) + ".c2ln")
	f.Add(jwtauthtest.EncodeSegment(`{"alg":`) + "." + jwtauthtest.EncodeSegment(`{"iss":"`+sharedIssuer.URL+`"}`) + ".c2ln")
	f.Add("a.b.c")
	f.Add("")
	cfg := &jwtauth.AuthenticationConfiguration{APIVersion: jwtauth.APIVersionV1, Kind: jwtauth.Kind,
		JWT: []jwtauth.JWTAuthenticator{policyAuthenticator(sharedIssuer)}}
	a, err := jwtauth.New(context.Background(), cfg, jwtauth.Options{Now: func() time.Time { return testNow }})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = a.Close() })
	f.Fuzz(func(t *testing.T, token string) {
		u, err := a.Authenticate(context.Background(), token)
		x := a.Explain(context.Background(), token)
		requireSameDecision(t, x, u, err)
		if i := strings.LastIndexByte(token, '.'); i >= 0 && len(token)-i > 16 {
			sig := token[i+1:]
			require.NotContains(t, x.String(), sig)
		}
	})
}
