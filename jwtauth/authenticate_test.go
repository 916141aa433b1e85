package jwtauth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/structauth/structauth/jwtauth"
	"github.com/structauth/structauth/jwtauth/jwtauthtest"
)

// testNow is the fixed clock of the scenario tests.
var testNow = time.Unix(1_900_000_000, 0)

var sharedIssuer *jwtauthtest.Issuer

func TestMain(m *testing.M) {
	iss, err := jwtauthtest.NewIssuer(jwtauthtest.IssuerOptions{Path: "/realms/test"})
	if err != nil {
		panic(err)
	}
	sharedIssuer = iss
	code := m.Run()
	iss.Close()
	os.Exit(code)
}

func ptr(s string) *string { return &s }

// baseAuthenticator is the catalogue's default: audiences [my-client],
// username from claim "username" without prefix.
func baseAuthenticator(iss *jwtauthtest.Issuer) jwtauth.JWTAuthenticator {
	a := iss.Authenticator("my-client")
	a.ClaimMappings.Username = jwtauth.PrefixedClaimOrExpression{Claim: "username", Prefix: ptr("")}
	return a
}

func newAuthenticator(t *testing.T, opts jwtauth.Options, jwts ...jwtauth.JWTAuthenticator) *jwtauth.Authenticator {
	t.Helper()
	cfg := &jwtauth.AuthenticationConfiguration{APIVersion: jwtauth.APIVersionV1, Kind: jwtauth.Kind, JWT: jwts}
	if opts.Now == nil {
		opts.Now = func() time.Time { return testNow }
	}
	a, err := jwtauth.New(context.Background(), cfg, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Close() })
	return a
}

// baseClaims are the catalogue's default token claims.
func baseClaims(iss *jwtauthtest.Issuer) map[string]any {
	return map[string]any{
		"iss":      iss.URL,
		"aud":      "my-client",
		"exp":      testNow.Add(time.Hour).Unix(),
		"username": "jane",
	}
}

type scenario struct {
	name   string
	config func(a *jwtauth.JWTAuthenticator)
	claims map[string]any // merged over baseClaims; a nil value deletes the claim
	raw    map[string]any // when set, used instead of baseClaims+claims
	alg    string
	sign   *jwtauthtest.SignOptions

	want       *jwtauth.User
	wantErr    error  // sentinel
	wantErrSub string // substring of the error text
}

func (sc scenario) token(t *testing.T, iss *jwtauthtest.Issuer) string {
	t.Helper()
	c := sc.raw
	if c == nil {
		c = baseClaims(iss)
		for k, v := range sc.claims {
			if v == nil {
				delete(c, k)
				continue
			}
			c[k] = v
		}
	}
	o := jwtauthtest.SignOptions{Alg: sc.alg}
	if sc.sign != nil {
		o = *sc.sign
		if o.Alg == "" {
			o.Alg = sc.alg
		}
	}
	tok, err := iss.SignWith(o, c)
	require.NoError(t, err)
	return tok
}

func runScenarios(t *testing.T, scenarios []scenario) {
	t.Helper()
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			cfg := baseAuthenticator(sharedIssuer)
			if sc.config != nil {
				sc.config(&cfg)
			}
			a := newAuthenticator(t, jwtauth.Options{}, cfg)
			tok := sc.token(t, sharedIssuer)
			u, err := a.Authenticate(context.Background(), tok)
			explainAgrees(t, a, tok, u, err) // Explain must decide the same (explain_test.go)
			if sc.wantErr != nil || sc.wantErrSub != "" {
				require.Error(t, err)
				require.Nil(t, u)
				if sc.wantErr != nil {
					require.ErrorIs(t, err, sc.wantErr)
				}
				if sc.wantErrSub != "" {
					require.Contains(t, err.Error(), sc.wantErrSub)
				}
				var je *jwtauth.Error
				require.ErrorAs(t, err, &je)
				return
			}
			require.NoError(t, err)
			require.Equal(t, sc.want, u)
		})
	}
}

func user(name string) *jwtauth.User { return &jwtauth.User{Username: name} }

func exprUsername(e string) func(*jwtauth.JWTAuthenticator) {
	return func(a *jwtauth.JWTAuthenticator) {
		a.ClaimMappings.Username = jwtauth.PrefixedClaimOrExpression{Expression: e}
	}
}

// TestTokenCatalogue runs the runtime scenarios of the Kubernetes spec
// catalogue (section 5.1 TestToken and 5.5 probes) end to end: a real TLS
// issuer, real keys, real signed tokens. Numbers refer to the catalogue.
func TestTokenCatalogue(t *testing.T) {
	future := testNow.Add(time.Hour).Unix()
	runScenarios(t, []scenario{
		{name: "1 token", want: user("jane")},
		{name: "2 no-username", config: func(a *jwtauth.JWTAuthenticator) { a.ClaimMappings.Username.Prefix = ptr("prefix:") },
			claims: map[string]any{"username": nil}, wantErr: jwtauth.ErrMapping, wantErrSub: `parse username claims "username": claim not present`},
		{name: "3 email", config: func(a *jwtauth.JWTAuthenticator) { a.ClaimMappings.Username.Claim = "email" },
			claims: map[string]any{"email": "jane@example.com", "email_verified": true}, want: user("jane@example.com")},
		{name: "4 email-not-verified", config: func(a *jwtauth.JWTAuthenticator) { a.ClaimMappings.Username.Claim = "email" },
			claims: map[string]any{"email": "jane@example.com", "email_verified": false}, wantErr: jwtauth.ErrEmailNotVerified},
		{name: "5 no-email-verified-claim", config: func(a *jwtauth.JWTAuthenticator) { a.ClaimMappings.Username.Claim = "email" },
			claims: map[string]any{"email": "jane@example.com"}, want: user("jane@example.com")},
		{name: "6 invalid-email-verified-claim", config: func(a *jwtauth.JWTAuthenticator) { a.ClaimMappings.Username.Claim = "email" },
			claims: map[string]any{"email": "jane@example.com", "email_verified": "false"}, wantErr: jwtauth.ErrMapping, wantErrSub: "parse 'email_verified' claim"},
		{name: "243 email-verified-null", config: func(a *jwtauth.JWTAuthenticator) { a.ClaimMappings.Username.Claim = "email" },
			raw: map[string]any{"iss": sharedIssuer.URL, "aud": "my-client", "exp": future, "email": "j@x", "email_verified": json_null{}}, wantErr: jwtauth.ErrEmailNotVerified},
		{name: "244 email with prefix", config: func(a *jwtauth.JWTAuthenticator) {
			a.ClaimMappings.Username = jwtauth.PrefixedClaimOrExpression{Claim: "email", Prefix: ptr("p:")}
		}, claims: map[string]any{"email": "j@x"}, want: user("p:j@x")},
		{name: "7 groups", config: groupsClaim("groups", ""), claims: map[string]any{"groups": []string{"team1", "team2"}},
			want: &jwtauth.User{Username: "jane", Groups: []string{"team1", "team2"}}},
		{name: "17 group-string-claim", config: groupsClaim("groups", ""), claims: map[string]any{"groups": "team1"},
			want: &jwtauth.User{Username: "jane", Groups: []string{"team1"}}},
		{name: "19 aggregated-not-supported", config: groupsClaim("groups", ""),
			claims: map[string]any{"_claim_names": map[string]any{"groups": "src1"}, "_claim_sources": map[string]any{"src1": map[string]any{"JWT": "not.a.jwt"}}},
			want:   user("jane")},
		{name: "20 no-groups-claim", config: groupsClaim("groups", ""), want: user("jane")},
		{name: "21 invalid-groups-claim", config: groupsClaim("groups", ""), claims: map[string]any{"groups": 42},
			wantErr: jwtauth.ErrMapping, wantErrSub: `parse groups claim "groups": json: cannot unmarshal number into Go value of type string`},
		{name: "10 malformed-claim-names", config: groupsClaim("groups", ""),
			claims:  map[string]any{"_claim_names": map[string]any{"groups": "src1"}, "_claim_sources": map[string]any{"src2": map[string]any{"endpoint": "https://x"}}},
			wantErr: jwtauth.ErrInvalidClaims, wantErrSub: "source does not exist"},
		{name: "11 names-without-sources", config: groupsClaim("groups", ""),
			claims: map[string]any{"_claim_names": map[string]any{"groups": "src1"}}, wantErr: jwtauth.ErrInvalidClaims},
		{name: "16 normal-claim-wins", config: groupsClaim("groups", ""),
			claims: map[string]any{"groups": "team1", "_claim_names": map[string]any{"groups": "src1"}, "_claim_sources": map[string]any{"src1": map[string]any{"endpoint": "https://127.0.0.1:1/groups"}}},
			want:   &jwtauth.User{Username: "jane", Groups: []string{"team1"}}},
		{name: "22 required-claim", config: requiredClaims("hd", "example.com", "sub", "test"),
			claims: map[string]any{"hd": "example.com", "sub": "test"}, want: user("jane")},
		{name: "23 no-required-claim", config: requiredClaims("hd", "example.com"),
			wantErr: jwtauth.ErrRequiredClaim, wantErrSub: "required claim hd not present in ID token"},
		{name: "24 invalid-required-claim", config: requiredClaims("hd", "example.com"), claims: map[string]any{"hd": "example.org"},
			wantErr: jwtauth.ErrRequiredClaim, wantErrSub: "required claim hd value does not match. Got = example.org, want = example.com"},
		{name: "291 required empty value present", config: requiredClaims("hd", ""), claims: map[string]any{"hd": ""}, want: user("jane")},
		{name: "292 required numeric", config: requiredClaims("hd", "1"), claims: map[string]any{"hd": 1},
			wantErr: jwtauth.ErrRequiredClaim, wantErrSub: "parse claim hd: json: cannot unmarshal number into Go value of type string"},
		{name: "25 invalid-signature (unpublished key)", sign: &jwtauthtest.SignOptions{Signer: mustECKey(t), Alg: "ES256", KeyID: "p-256-1"},
			wantErr: jwtauth.ErrSignature},
		{name: "unknown kid", sign: &jwtauthtest.SignOptions{KeyID: "nope"}, wantErr: jwtauth.ErrUnknownKey},
		{name: "26 expired", claims: map[string]any{"exp": testNow.Add(-time.Hour).Unix()}, wantErr: jwtauth.ErrExpired},
		{name: "218 expired 5s", claims: map[string]any{"exp": testNow.Add(-5 * time.Second).Unix()}, wantErr: jwtauth.ErrExpired},
		{name: "217 missing exp", claims: map[string]any{"exp": nil}, wantErr: jwtauth.ErrExpired},
		{name: "219 fractional exp", claims: map[string]any{"exp": float64(future) + 0.5}, want: user("jane")},
		{name: "220 numeric string exp", claims: map[string]any{"exp": "1900003600"}, want: user("jane")},
		{name: "exp non-numeric string", claims: map[string]any{"exp": "tomorrow"}, wantErr: jwtauth.ErrInvalidClaims},
		{name: "221 nbf 30s future", claims: map[string]any{"nbf": testNow.Add(30 * time.Second).Unix()}, want: user("jane")},
		{name: "222 nbf 2m future", claims: map[string]any{"nbf": testNow.Add(2 * time.Minute).Unix()}, wantErr: jwtauth.ErrNotYetValid},
		{name: "223 iat future", claims: map[string]any{"iat": testNow.Add(time.Hour).Unix()}, want: user("jane")},
		{name: "224 iat yesterday", claims: map[string]any{"iat": "yesterday"}, wantErr: jwtauth.ErrInvalidClaims},
		{name: "225 nbf abc", claims: map[string]any{"nbf": "abc"}, wantErr: jwtauth.ErrInvalidClaims},
		{name: "226 nonce number", claims: map[string]any{"nonce": 1}, wantErr: jwtauth.ErrInvalidClaims},
		{name: "227 sub number", claims: map[string]any{"sub": 42}, wantErr: jwtauth.ErrInvalidClaims},
		{name: "228 claim names number", claims: map[string]any{"_claim_names": map[string]any{"groups": 1}}, wantErr: jwtauth.ErrInvalidClaims},
		{name: "229 distributed ignored without groups claim",
			claims: map[string]any{"_claim_names": map[string]any{"groups": "src1"}, "_claim_sources": map[string]any{"src1": map[string]any{"endpoint": "https://127.0.0.1:1/g"}}},
			want:   user("jane")},
		{name: "27 invalid-aud", claims: map[string]any{"aud": "not-my-client"}, wantErr: jwtauth.ErrAudience, wantErrSub: `expected audience "my-client" got ["not-my-client"]`},
		{name: "231 aud missing", claims: map[string]any{"aud": nil}, wantErr: jwtauth.ErrAudience},
		{name: "aud number", claims: map[string]any{"aud": 5}, wantErr: jwtauth.ErrInvalidClaims},
		{name: "28 multiple-audiences in token", claims: map[string]any{"aud": []string{"not-my-client", "my-client"}, "azp": "not-my-client"}, want: user("jane")},
		{name: "29 multiple audiences config", config: audiences("random-client", "my-client"),
			claims: map[string]any{"aud": []string{"not-my-client", "my-client"}}, want: user("jane")},
		{name: "31 multiple audiences no match", config: audiences("random-client", "my-client"),
			claims: map[string]any{"aud": []string{"not-my-client"}}, wantErr: jwtauth.ErrAudience,
			wantErrSub: `expected audience in ["my-client" "random-client"] got ["not-my-client"]`},
		{name: "32 audience via rule", config: func(a *jwtauth.JWTAuthenticator) {
			audiences("bar", "foo", "baz")(a)
			a.ClaimValidationRules = []jwtauth.ClaimValidationRule{{Expression: `sets.equivalent(claims.aud, ["bar", "foo", "baz"])`, Message: "audience must exactly contain [bar, foo, baz]"}}
		}, claims: map[string]any{"aud": []string{"foo", "bar", "baz"}}, want: user("jane")},
		{name: "33 audience via rule fails", config: func(a *jwtauth.JWTAuthenticator) {
			audiences("bar", "foo", "baz")(a)
			a.ClaimValidationRules = []jwtauth.ClaimValidationRule{{Expression: `sets.equivalent(claims.aud, ["bar", "foo", "baz"])`, Message: "audience must exactly contain [bar, foo, baz]"}}
		}, claims: map[string]any{"aud": []string{"foo", "baz"}}, wantErr: jwtauth.ErrClaimRule,
			wantErrSub: `validation expression 'sets.equivalent(claims.aud, ["bar", "foo", "baz"])' failed: audience must exactly contain [bar, foo, baz]`},
		{name: "34 invalid-issuer", claims: map[string]any{"iss": "https://example.com"}, wantErr: jwtauth.ErrUnknownIssuer},
		{name: "234 issuer trailing slash", claims: map[string]any{"iss": sharedIssuer.URL + "/"}, wantErr: jwtauth.ErrUnknownIssuer},
		{name: "35 username-prefix", config: func(a *jwtauth.JWTAuthenticator) { a.ClaimMappings.Username.Prefix = ptr("oidc:") }, want: user("oidc:jane")},
		{name: "36 groups-prefix", config: func(a *jwtauth.JWTAuthenticator) {
			a.ClaimMappings.Username.Prefix = ptr("oidc:")
			groupsClaim("groups", "groups:")(a)
		}, claims: map[string]any{"groups": []string{"team1", "team2"}},
			want: &jwtauth.User{Username: "oidc:jane", Groups: []string{"groups:team1", "groups:team2"}}},
		{name: "39 ps256", alg: "PS256", want: user("jane")},
		{name: "40 es512", alg: "ES512", want: user("jane")},
		{name: "es256", alg: "ES256", want: user("jane")},
		{name: "es384", alg: "ES384", want: user("jane")},
		{name: "rs384", alg: "RS384", want: user("jane")},
		{name: "rs512", alg: "RS512", want: user("jane")},
		{name: "ps384", alg: "PS384", want: user("jane")},
		{name: "ps512", alg: "PS512", want: user("jane")},
		{name: "49 user rule on username", config: func(a *jwtauth.JWTAuthenticator) {
			a.ClaimMappings.Username.Prefix = ptr("system:")
			a.UserValidationRules = []jwtauth.UserValidationRule{{Expression: "!user.username.startsWith('system:')", Message: "username cannot used reserved system: prefix"}}
		}, wantErr: jwtauth.ErrUserRule, wantErrSub: "validation expression '!user.username.startsWith('system:')' failed: username cannot used reserved system: prefix"},
		{name: "50 user rule on groups", config: func(a *jwtauth.JWTAuthenticator) {
			a.ClaimMappings.Username = jwtauth.PrefixedClaimOrExpression{Expression: "claims.username"}
			groupsClaim("groups", "system:")(a)
			a.UserValidationRules = []jwtauth.UserValidationRule{{Expression: "user.groups.all(group, !group.startsWith('system:'))", Message: "groups cannot used reserved system: prefix"}}
		}, claims: map[string]any{"groups": []string{"team1"}}, wantErr: jwtauth.ErrUserRule, wantErrSub: "groups cannot used reserved system: prefix"},
		{name: "51 claim rule missing claim", config: claimRule(`claims.hd == "example.com"`, ""),
			wantErr: jwtauth.ErrClaimRule, wantErrSub: `expression 'claims.hd == "example.com"' resulted in error: no such key: hd`},
		{name: "52 claim rule", config: claimRule(`claims.hd == "example.com"`, ""), claims: map[string]any{"hd": "example.com"}, want: user("jane")},
		{name: "53 nested claim rule", config: claimRule(`claims.foo.bar == "baz"`, ""), claims: map[string]any{"foo": map[string]any{"bar": "baz"}}, want: user("jane")},
		{name: "54 mix of expression and claim", config: func(a *jwtauth.JWTAuthenticator) {
			a.ClaimValidationRules = []jwtauth.ClaimValidationRule{{Expression: `claims.foo.bar == "baz"`}, {Claim: "hd", RequiredValue: "example.com"}}
		}, claims: map[string]any{"hd": "example.com", "foo": map[string]any{"bar": "baz"}}, want: user("jane")},
		{name: "55 username expression", config: exprUsername("claims.username"), want: user("jane")},
		{name: "56 nested username expression", config: exprUsername("claims.foo.username"), claims: map[string]any{"foo": map[string]any{"username": "jane"}}, want: user("jane")},
		{name: "58 optional groups", config: func(a *jwtauth.JWTAuthenticator) {
			a.ClaimMappings.Groups = jwtauth.PrefixedClaimOrExpression{Expression: "claims.turtle.foo.bar.baz.?a.b.c.d.orValue(['claus'])"}
		}, claims: map[string]any{"turtle": map[string]any{"foo": map[string]any{"bar": map[string]any{"baz": map[string]any{}}}}},
			want: &jwtauth.User{Username: "jane", Groups: []string{"claus"}}},
		{name: "59 groups without optional", config: func(a *jwtauth.JWTAuthenticator) {
			a.ClaimMappings.Groups = jwtauth.PrefixedClaimOrExpression{Expression: "claims.turtle.foo.bar.baz.a.b.c.d"}
		}, claims: map[string]any{"turtle": map[string]any{"foo": map[string]any{"bar": map[string]any{"baz": map[string]any{}}}}},
			wantErr: jwtauth.ErrMapping, wantErrSub: "no such key: a"},
		{name: "62 groups expression", config: groupsExpr("claims.groups"), claims: map[string]any{"groups": []string{"team1", "team2"}},
			want: &jwtauth.User{Username: "jane", Groups: []string{"team1", "team2"}}},
		{name: "63 groups split", config: func(a *jwtauth.JWTAuthenticator) {
			a.ClaimMappings.Username.Prefix = ptr("oidc:")
			groupsExpr(`(claims.roles.split(",") + claims.other_roles.split(",")).map(role, "groups:" + role)`)(a)
		}, claims: map[string]any{"roles": "foo,bar", "other_roles": "baz,qux"},
			want: &jwtauth.User{Username: "oidc:jane", Groups: []string{"groups:foo", "groups:bar", "groups:baz", "groups:qux"}}},
		{name: "64 uid expression", config: uidExpr("claims.uid"), claims: map[string]any{"uid": "1234"}, want: &jwtauth.User{Username: "jane", UID: "1234"}},
		{name: "65 uid claim", config: func(a *jwtauth.JWTAuthenticator) { a.ClaimMappings.UID.Claim = "uid" }, claims: map[string]any{"uid": "1234"},
			want: &jwtauth.User{Username: "jane", UID: "1234"}},
		{name: "264 uid claim missing", config: func(a *jwtauth.JWTAuthenticator) { a.ClaimMappings.UID.Claim = "oid" },
			wantErr: jwtauth.ErrMapping, wantErrSub: `parse uid claim "oid": claim not present`},
		{name: "265 uid claim number", config: func(a *jwtauth.JWTAuthenticator) { a.ClaimMappings.UID.Claim = "oid" }, claims: map[string]any{"oid": 5},
			wantErr: jwtauth.ErrMapping, wantErrSub: `parse uid claim "oid": json: cannot unmarshal number into Go value of type string`},
		{name: "266 uid expr number", config: uidExpr("1"), wantErr: jwtauth.ErrMapping, wantErrSub: "uid claim expression must return a string"},
		{name: "267 uid expr empty", config: uidExpr("''"), want: user("jane")},
		{name: "66 extra", config: extras("example.org/foo", "claims.foo", "example.org/bar", "claims.bar"),
			claims: map[string]any{"foo": "bar", "bar": []string{"baz", "qux"}},
			want:   &jwtauth.User{Username: "jane", Extra: map[string][]string{"example.org/foo": {"bar"}, "example.org/bar": {"baz", "qux"}}}},
		{name: "67 extra derived", config: extras(
			"example.org/admin", `(has(claims.is_admin) && claims.is_admin) ? "true":""`,
			"example.org/admin2", `claims.?is_admin.orValue(false) == true ? "true":""`,
			"example.org/default", `claims.?non_existent.orValue("default") == "default" ? "true":""`),
			claims: map[string]any{"is_admin": true},
			want:   &jwtauth.User{Username: "jane", Extra: map[string][]string{"example.org/admin": {"true"}, "example.org/admin2": {"true"}, "example.org/default": {"true"}}}},
		{name: "68 hardcoded extra", config: extras("example.org/admin", `"true"`),
			want: &jwtauth.User{Username: "jane", Extra: map[string][]string{"example.org/admin": {"true"}}}},
		{name: "78 extra empty string omitted", config: extras("example.org/foo", "claims.foo", "example.org/bar", "claims.bar"),
			claims: map[string]any{"foo": "", "bar": "x"}, want: &jwtauth.User{Username: "jane", Extra: map[string][]string{"example.org/bar": {"x"}}}},
		{name: "268 extra list with number", config: extras("example.org/x", "claims.x"), claims: map[string]any{"x": []any{"a", 1}},
			wantErr: jwtauth.ErrMapping, wantErrSub: "error evaluating extra claim expression: claims.x: expression must return a string or a list of strings"},
		{name: "270 extra only empty strings", config: extras("example.org/x", `["",""]`), want: user("jane")},
		{name: "271 extra duplicates kept", config: extras("example.org/x", `['x','x','']`),
			want: &jwtauth.User{Username: "jane", Extra: map[string][]string{"example.org/x": {"x", "x"}}}},
		{name: "79 extra with user rule", config: func(a *jwtauth.JWTAuthenticator) {
			extras("example.org/foo", "claims.foo", "example.org/baz", "claims.baz")(a)
			a.UserValidationRules = []jwtauth.UserValidationRule{{Expression: "'bar' in user.extra['example.org/foo'] && 'qux' in user.extra['example.org/baz']"}}
		}, claims: map[string]any{"foo": "bar", "baz": "qux"},
			want: &jwtauth.User{Username: "jane", Extra: map[string][]string{"example.org/foo": {"bar"}, "example.org/baz": {"qux"}}}},
		{name: "80 groups expr null", config: groupsExpr("claims.groups"), claims: map[string]any{"groups": json_null{}}, want: user("jane")},
		{name: "81 user rules on empty user", config: func(a *jwtauth.JWTAuthenticator) {
			a.UserValidationRules = []jwtauth.UserValidationRule{{Expression: `user.uid == ""`}, {Expression: `!('bar' in user.groups)`}, {Expression: `!('bar' in user.extra)`}}
		}, claims: map[string]any{"username": " "}, want: user(" ")},
		{name: "82 empty username via claim", config: func(a *jwtauth.JWTAuthenticator) {
			a.UserValidationRules = []jwtauth.UserValidationRule{{Expression: `user.username == ""`}}
		}, claims: map[string]any{"username": ""}, want: user("")},
		{name: "83 minimum payload", config: exprUsername("claims.user"),
			raw: map[string]any{"iss": sharedIssuer.URL, "aud": "my-client", "exp": future, "user": "jane"}, want: user("jane")},
		{name: "89 credential id", claims: map[string]any{"jti": "1234"},
			want: &jwtauth.User{Username: "jane", Extra: map[string][]string{jwtauth.CredentialIDKey: {"JTI=1234"}}}},
		{name: "90 credential id with extra", config: extras("example.org/foo", "claims.foo"), claims: map[string]any{"jti": "1234", "foo": "bar"},
			want: &jwtauth.User{Username: "jane", Extra: map[string][]string{jwtauth.CredentialIDKey: {"JTI=1234"}, "example.org/foo": {"bar"}}}},
		{name: "91 non-string jti", claims: map[string]any{"jti": 1234}, want: user("jane")},
		{name: "272 empty jti", claims: map[string]any{"jti": ""}, want: user("jane")},
		{name: "93 revocation via credential id", config: func(a *jwtauth.JWTAuthenticator) {
			a.UserValidationRules = []jwtauth.UserValidationRule{{Expression: `!(user.extra[?'authentication.kubernetes.io/credential-id'][0].orValue('') in ["JTI=ea28"])`, Message: "credential is revoked"}}
		}, claims: map[string]any{"jti": "ea28"}, wantErr: jwtauth.ErrUserRule, wantErrSub: "failed: credential is revoked"},
		{name: "242 empty sub claim form", config: func(a *jwtauth.JWTAuthenticator) { a.ClaimMappings.Username.Claim = "sub" },
			claims: map[string]any{"sub": ""}, want: user("")},
		{name: "245 email rule false", config: func(a *jwtauth.JWTAuthenticator) {
			exprUsername("claims.email")(a)
			claimRule("claims.?email_verified.orValue(true) == true", "email not verified")(a)
		}, claims: map[string]any{"email": "j@x", "email_verified": false}, wantErr: jwtauth.ErrClaimRule,
			wantErrSub: "validation expression 'claims.?email_verified.orValue(true) == true' failed: email not verified"},
		{name: "245b email_verified string", config: func(a *jwtauth.JWTAuthenticator) {
			exprUsername("claims.email")(a)
			claimRule("claims.?email_verified.orValue(true) == true", "email not verified")(a)
		}, claims: map[string]any{"email": "j@x", "email_verified": "true"}, wantErr: jwtauth.ErrClaimRule},
		{name: "246 username expr number", config: exprUsername("claims.n"), claims: map[string]any{"n": 5},
			wantErr: jwtauth.ErrMapping, wantErrSub: "username claim expression must return a string"},
		{name: "246b username expr null", config: exprUsername("null"), wantErr: jwtauth.ErrMapping, wantErrSub: "username claim expression must return a string"},
		{name: "247 username expr empty", config: exprUsername("''"), wantErr: jwtauth.ErrMapping, wantErrSub: "empty username via CEL expression is not allowed"},
		{name: "248 username expr missing", config: exprUsername("claims.s"), wantErr: jwtauth.ErrMapping, wantErrSub: "expression 'claims.s' resulted in error: no such key: s"},
		{name: "249 groups claim empty string prefixed", config: groupsClaim("g", "p:"), claims: map[string]any{"g": ""},
			want: &jwtauth.User{Username: "jane", Groups: []string{"p:"}}},
		{name: "250 groups claim keeps empty", config: groupsClaim("g", "p:"), claims: map[string]any{"g": []string{"a", ""}},
			want: &jwtauth.User{Username: "jane", Groups: []string{"p:a", "p:"}}},
		{name: "251 groups claim empty list", config: groupsClaim("g", ""), claims: map[string]any{"g": []string{}},
			want: &jwtauth.User{Username: "jane", Groups: []string{}}},
		{name: "252 groups claim null", config: groupsClaim("g", ""), claims: map[string]any{"g": json_null{}}, want: user("jane")},
		{name: "253 groups claim mixed", config: groupsClaim("g", ""), claims: map[string]any{"g": []any{"a", 1}},
			wantErr: jwtauth.ErrMapping, wantErrSub: `parse groups claim "g": json: cannot unmarshal array into Go value of type string`},
		{name: "254 groups claim object", config: groupsClaim("g", ""), claims: map[string]any{"g": map[string]any{}},
			wantErr: jwtauth.ErrMapping, wantErrSub: "cannot unmarshal object"},
		{name: "255 groups claim duplicates", config: groupsClaim("g", ""), claims: map[string]any{"g": []string{"a", "a"}},
			want: &jwtauth.User{Username: "jane", Groups: []string{"a", "a"}}},
		{name: "256 groups expr drops empty", config: groupsExpr(`["a",""]`), want: &jwtauth.User{Username: "jane", Groups: []string{"a"}}},
		{name: "257 groups expr empty string", config: groupsExpr(`""`), want: user("jane")},
		{name: "258 groups expr number", config: groupsExpr("1"), wantErr: jwtauth.ErrMapping, wantErrSub: "expression must return a string or a list of strings"},
		{name: "261 dyn map", config: groupsExpr("dyn(claims.g).map(x, 'aks:jwt:' + x)"), claims: map[string]any{"g": []string{"a", "b"}},
			want: &jwtauth.User{Username: "jane", Groups: []string{"aks:jwt:a", "aks:jwt:b"}}},
		{name: "262 split on list", config: groupsExpr("claims.g.split(',')"), claims: map[string]any{"g": []string{"a"}},
			wantErr: jwtauth.ErrMapping, wantErrSub: "no such overload"},
		{name: "287 order: username before required claim", config: func(a *jwtauth.JWTAuthenticator) {
			a.ClaimMappings.Username.Claim = "sub"
			requiredClaims("hd", "x")(a)
		}, wantErr: jwtauth.ErrMapping},
		{name: "288 order: required claim before expression rule", config: func(a *jwtauth.JWTAuthenticator) {
			a.ClaimValidationRules = []jwtauth.ClaimValidationRule{{Claim: "hd", RequiredValue: "x"}, {Expression: "false == true", Message: "m"}}
		}, wantErr: jwtauth.ErrRequiredClaim},
		{name: "289 order: expression rule before user rule", config: func(a *jwtauth.JWTAuthenticator) {
			claimRule("1 == 2", "claim rule")(a)
			a.UserValidationRules = []jwtauth.UserValidationRule{{Expression: "false", Message: "user rule"}}
		}, wantErr: jwtauth.ErrClaimRule, wantErrSub: "claim rule"},
		{name: "290 order: groups before rule", config: func(a *jwtauth.JWTAuthenticator) {
			groupsExpr("1")(a)
			claimRule("1 == 2", "claim rule")(a)
		}, wantErr: jwtauth.ErrMapping},
		{name: "293 rule without message", config: claimRule("1 == 2", ""), wantErr: jwtauth.ErrClaimRule, wantErrSub: "validation expression '1 == 2' failed: "},
		{name: "295 no such overload in rule", config: claimRule("claims.flag || false", "m"), claims: map[string]any{"flag": "yes"},
			wantErr: jwtauth.ErrClaimRule, wantErrSub: "no such overload"},
		{name: "296 error beats earlier false", config: func(a *jwtauth.JWTAuthenticator) {
			a.ClaimValidationRules = []jwtauth.ClaimValidationRule{{Expression: "1 == 2", Message: "first"}, {Expression: "claims.missing == 1", Message: "second"}}
		}, wantErr: jwtauth.ErrClaimRule, wantErrSub: "no such key: missing"},
		{name: "297 cost limit", config: claimRule("dyn(claims.l).all(x, dyn(claims.l).all(y, x != y || x == y))", "m"),
			claims: map[string]any{"l": makeList(2000)}, wantErr: jwtauth.ErrClaimRule, wantErrSub: "cost limit exceeded"},
		{name: "297b cost ok at 300", config: claimRule("dyn(claims.l).all(x, dyn(claims.l).all(y, x != y || x == y))", "m"),
			claims: map[string]any{"l": makeList(300)}, want: user("jane")},
		{name: "280 escaped names", config: exprUsername("claims.kubernetes__dot__io.ns + '/' + claims['kubernetes.io']['ns']"),
			claims: map[string]any{"kubernetes.io": map[string]any{"ns": "kube-system"}}, want: user("kube-system/kube-system")},
		{name: "281 dash escape", config: exprUsername("claims.my__dash__claim"), claims: map[string]any{"my-claim": "x"}, want: user("x")},
	})
}

// json_null marshals as JSON null, to put explicit nulls in claims.
type json_null struct{}

func (json_null) MarshalJSON() ([]byte, error) { return []byte("null"), nil }

func makeList(n int) []int {
	l := make([]int, n)
	for i := range l {
		l[i] = i
	}
	return l
}

func mustECKey(t *testing.T) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return k
}

func groupsClaim(claim, prefix string) func(*jwtauth.JWTAuthenticator) {
	return func(a *jwtauth.JWTAuthenticator) {
		a.ClaimMappings.Groups = jwtauth.PrefixedClaimOrExpression{Claim: claim, Prefix: ptr(prefix)}
	}
}

func groupsExpr(e string) func(*jwtauth.JWTAuthenticator) {
	return func(a *jwtauth.JWTAuthenticator) {
		a.ClaimMappings.Groups = jwtauth.PrefixedClaimOrExpression{Expression: e}
	}
}

func uidExpr(e string) func(*jwtauth.JWTAuthenticator) {
	return func(a *jwtauth.JWTAuthenticator) { a.ClaimMappings.UID = jwtauth.ClaimOrExpression{Expression: e} }
}

func extras(kv ...string) func(*jwtauth.JWTAuthenticator) {
	return func(a *jwtauth.JWTAuthenticator) {
		for i := 0; i < len(kv); i += 2 {
			a.ClaimMappings.Extra = append(a.ClaimMappings.Extra, jwtauth.ExtraMapping{Key: kv[i], ValueExpression: kv[i+1]})
		}
	}
}

func requiredClaims(kv ...string) func(*jwtauth.JWTAuthenticator) {
	return func(a *jwtauth.JWTAuthenticator) {
		for i := 0; i < len(kv); i += 2 {
			a.ClaimValidationRules = append(a.ClaimValidationRules, jwtauth.ClaimValidationRule{Claim: kv[i], RequiredValue: kv[i+1]})
		}
	}
}

func claimRule(expr, msg string) func(*jwtauth.JWTAuthenticator) {
	return func(a *jwtauth.JWTAuthenticator) {
		a.ClaimValidationRules = append(a.ClaimValidationRules, jwtauth.ClaimValidationRule{Expression: expr, Message: msg})
	}
}

func audiences(auds ...string) func(*jwtauth.JWTAuthenticator) {
	return func(a *jwtauth.JWTAuthenticator) {
		a.Issuer.Audiences = auds
		a.Issuer.AudienceMatchPolicy = jwtauth.AudienceMatchPolicyMatchAny
	}
}

// TestMalformedTokens: the strict front door, and routing of tokens that
// kube-apiserver would skip as "not mine".
func TestMalformedTokens(t *testing.T) {
	a := newAuthenticator(t, jwtauth.Options{}, baseAuthenticator(sharedIssuer))
	good, err := sharedIssuer.Sign("RS256", baseClaims(sharedIssuer))
	require.NoError(t, err)
	parts := strings.Split(good, ".")
	cases := []struct {
		name  string
		token string
		want  error
	}{
		{"empty", "", jwtauth.ErrMalformedToken},
		{"236 not a jwt", "not.a.jwt", jwtauth.ErrMalformedToken},
		{"237 two parts", parts[0] + "." + parts[1], jwtauth.ErrMalformedToken},
		{"four parts", good + ".x", jwtauth.ErrMalformedToken},
		{"235 JSON serialization", `{"protected":"` + parts[0] + `","payload":"` + parts[1] + `","signature":"` + parts[2] + `"}`, jwtauth.ErrMalformedToken},
		{"padding", parts[0] + "." + parts[1] + "==." + parts[2], jwtauth.ErrMalformedToken},
		{"whitespace", parts[0] + ".\n" + parts[1] + "." + parts[2], jwtauth.ErrMalformedToken},
		{"tampered payload", parts[0] + "." + parts[1][:len(parts[1])-2] + "AA." + parts[2], nil},
		{"241 tampered signature", parts[0] + "." + parts[1] + "." + flip(parts[2]), jwtauth.ErrSignature},
		{"238 HS256", craft(`{"alg":"HS256","typ":"JWT"}`, parts[1]), jwtauth.ErrUnsupportedAlgorithm},
		{"alg none", craft(`{"alg":"none"}`, parts[1]), jwtauth.ErrUnsupportedAlgorithm},
		{"EdDSA", craft(`{"alg":"EdDSA"}`, parts[1]), jwtauth.ErrUnsupportedAlgorithm},
		{"case variant claim", craft(`{"alg":"RS256"}`, b64(`{"iss":"`+sharedIssuer.URL+`","EXP":1}`)), jwtauth.ErrMalformedToken},
		{"duplicate claim", craft(`{"alg":"RS256"}`, b64(`{"iss":"`+sharedIssuer.URL+`","sub":"a","sub":"b"}`)), jwtauth.ErrMalformedToken},
		{"no iss", craft(`{"alg":"RS256"}`, b64(`{"sub":"a"}`)), jwtauth.ErrUnknownIssuer},
		{"iss number", craft(`{"alg":"RS256"}`, b64(`{"iss":5}`)), jwtauth.ErrUnknownIssuer},
		{"payload array", craft(`{"alg":"RS256"}`, b64(`[1]`)), jwtauth.ErrMalformedToken},
		{"oversized", strings.Repeat("a", jwtauth.DefaultMaxTokenSize+1), jwtauth.ErrMalformedToken},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u, err := a.Authenticate(context.Background(), tc.token)
			require.Error(t, err)
			require.Nil(t, u)
			if tc.want != nil {
				require.ErrorIs(t, err, tc.want)
			}
			// Never echo the token.
			if len(tc.token) > 20 {
				require.NotContains(t, err.Error(), tc.token[len(tc.token)-20:])
			}
		})
	}
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// craft builds a token with the given header JSON and encoded payload and
// a signature that verifies under no key.
func craft(header, payload string) string {
	return b64(header) + "." + payload + "." + b64("not a real signature, but long enough to look like one")
}

func flip(s string) string {
	b := []byte(s)
	if b[5] == 'A' {
		b[5] = 'B'
	} else {
		b[5] = 'A'
	}
	return string(b)
}

func TestErrorDetails(t *testing.T) {
	a := newAuthenticator(t, jwtauth.Options{}, baseAuthenticator(sharedIssuer))
	c := baseClaims(sharedIssuer)
	c["exp"] = testNow.Add(-time.Minute).Unix()
	tok, err := sharedIssuer.Sign("ES256", c)
	require.NoError(t, err)
	_, err = a.Authenticate(context.Background(), tok)
	var je *jwtauth.Error
	require.True(t, errors.As(err, &je))
	require.Equal(t, jwtauth.CheckExpiry, je.Check)
	require.Equal(t, sharedIssuer.URL, je.Issuer)
	require.Equal(t, 0, je.Authenticator)
	require.NotContains(t, err.Error(), tok)
}
