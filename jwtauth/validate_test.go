package jwtauth

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The cases below port kube-apiserver's validation_test.go (v0.37) for
// authentication; the expected strings are kube-apiserver's, byte for
// byte. Scenario numbers refer to the spec's catalogue (section 5).

func vtPtr(s string) *string { return &s }

// vtString returns the error text, or "" for nil.
func vtString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// vtListString is vtString for a raw list (kube's ToAggregate).
func vtListString(l fieldErrorList) string {
	if e := l.toError(); e != nil {
		return e.Error()
	}
	return ""
}

func vtValidator(t *testing.T, opts ValidateOptions) *configValidator {
	t.Helper()
	v, err := newConfigValidator(opts)
	require.NoError(t, err)
	return v
}

// vtBase is the authenticator of kube's file-level tests.
func vtBase() JWTAuthenticator {
	return JWTAuthenticator{
		Issuer:               Issuer{URL: "https://issuer-url", Audiences: []string{"audience"}},
		ClaimValidationRules: []ClaimValidationRule{{Claim: "foo", RequiredValue: "bar"}},
		ClaimMappings:        ClaimMappings{Username: PrefixedClaimOrExpression{Claim: "sub", Prefix: vtPtr("prefix")}},
	}
}

func vtWith(mods ...func(*JWTAuthenticator)) JWTAuthenticator {
	a := vtBase()
	for _, m := range mods {
		m(&a)
	}
	return a
}

func vtUsernameExpr(expr string) func(*JWTAuthenticator) {
	return func(a *JWTAuthenticator) { a.ClaimMappings.Username = PrefixedClaimOrExpression{Expression: expr} }
}

const vtEmailDetail = "claims.email_verified must be used in claimMappings.username.expression or claimMappings.extra[*].valueExpression or claimValidationRules[*].expression when claims.email is used in claimMappings.username.expression"

func vtEmailErr(path, expr string) string {
	return fmt.Sprintf("%s: Invalid value: %q: %s", path, expr, vtEmailDetail)
}

func TestValidateAuthenticationConfiguration(t *testing.T) {
	tests := []struct {
		name       string // scenario number and kube's test name
		jwt        []JWTAuthenticator
		disallowed []string
		want       string
	}{
		{"102 jwt authenticator is empty", nil, nil, ""},
		{"103 duplicate issuer across jwt authenticators", []JWTAuthenticator{vtBase(), vtBase()}, nil,
			`jwt[1].issuer.url: Duplicate value: "https://issuer-url"`},
		{"104 duplicate discoveryURL across jwt authenticators", []JWTAuthenticator{
			vtWith(func(a *JWTAuthenticator) {
				a.Issuer.DiscoveryURL = "https://discovery-url/.well-known/openid-configuration"
			}),
			vtWith(func(a *JWTAuthenticator) {
				a.Issuer.URL = "https://different-issuer-url"
				a.Issuer.DiscoveryURL = "https://discovery-url/.well-known/openid-configuration"
			}),
		}, nil, `jwt[1].issuer.discoveryURL: Duplicate value: "https://discovery-url/.well-known/openid-configuration"`},
		{"105 failed issuer validation", []JWTAuthenticator{vtWith(func(a *JWTAuthenticator) {
			a.Issuer.URL = "invalid-url"
			a.ClaimValidationRules = nil
		})}, nil, `jwt[0].issuer.url: Invalid value: "invalid-url": URL scheme must be https`},
		{"106 failed claimValidationRule validation", []JWTAuthenticator{vtWith(func(a *JWTAuthenticator) {
			a.ClaimValidationRules = append(a.ClaimValidationRules, ClaimValidationRule{Claim: "foo", RequiredValue: "baz"})
		})}, nil, `jwt[0].claimValidationRules[1].claim: Duplicate value: "foo"`},
		{"107 failed claimMapping validation", []JWTAuthenticator{vtWith(func(a *JWTAuthenticator) {
			a.ClaimMappings.Username = PrefixedClaimOrExpression{Prefix: vtPtr("prefix")}
		})}, nil, "jwt[0].claimMappings.username: Required value: claim or expression is required"},
		{"108 failed userValidationRule validation", []JWTAuthenticator{vtWith(func(a *JWTAuthenticator) {
			a.UserValidationRules = []UserValidationRule{{Expression: "user.username == 'foo'"}, {Expression: "user.username == 'foo'"}}
		})}, nil, `jwt[0].userValidationRules[1].expression: Duplicate value: "user.username == 'foo'"`},
		{"109 valid authentication configuration with disallowed issuer", []JWTAuthenticator{vtBase()},
			[]string{"a", "b", "https://issuer-url", "c"},
			`jwt[0].issuer.url: Invalid value: "https://issuer-url": URL must not overlap with disallowed issuers: [a b c https://issuer-url]`},
		{"110 invalid egress type", []JWTAuthenticator{vtWith(func(a *JWTAuthenticator) { a.Issuer.EgressSelectorType = "panda" })},
			[]string{"a", "b", "c"}, `jwt[0].issuer.egressSelectorType: Invalid value: "panda": egress selector must be either controlplane or cluster`},
		// 111 and 112 need the egress feature gate off; kube 1.37 has it on by default.
		{"111-112 valid egress type controlplane (gate on by default)", []JWTAuthenticator{vtWith(func(a *JWTAuthenticator) { a.Issuer.EgressSelectorType = "controlplane" })},
			[]string{"a", "b", "c"}, ""},
		{"113 valid egress type", []JWTAuthenticator{vtWith(func(a *JWTAuthenticator) { a.Issuer.EgressSelectorType = "cluster" })},
			[]string{"a", "b", "c"}, ""},
		{"114 uses unverified email", []JWTAuthenticator{vtWith(vtUsernameExpr("claims.email"))}, nil,
			vtEmailErr("jwt[0].claimMappings.username.expression", "claims.email")},
		{"115 almost uses unverified email", []JWTAuthenticator{vtWith(vtUsernameExpr("claims.email_"))}, nil, ""},
		{"116 uses unverified email join", []JWTAuthenticator{vtWith(vtUsernameExpr(`['yay', string(claims.email), 'panda'].join(' ')`))}, nil,
			vtEmailErr("jwt[0].claimMappings.username.expression", `['yay', string(claims.email), 'panda'].join(' ')`)},
		{"117 uses unverified optional email", []JWTAuthenticator{vtWith(vtUsernameExpr(`claims.?email`))}, nil,
			`jwt[0].claimMappings.username.expression: Invalid value: "claims.?email": ` + vtEmailDetail},
		{"118 uses unverified optional map email key", []JWTAuthenticator{vtWith(vtUsernameExpr(`{claims.?email: "panda"}`))}, nil,
			`jwt[0].claimMappings.username.expression: Invalid value: "{claims.?email: \"panda\"}": ` + vtEmailDetail},
		{"119 uses unverified optional map email value", []JWTAuthenticator{vtWith(vtUsernameExpr(`{"fancy": claims.?email}`))}, nil,
			`jwt[0].claimMappings.username.expression: Invalid value: "{\"fancy\": claims.?email}": ` + vtEmailDetail},
		{"120 uses unverified email value in list iteration", []JWTAuthenticator{vtWith(vtUsernameExpr(`["a"].map(i, i + claims.email)`))}, nil,
			`jwt[0].claimMappings.username.expression: Invalid value: "[\"a\"].map(i, i + claims.email)": ` + vtEmailDetail},
		{"121 uses verified email join via rule", []JWTAuthenticator{vtWith(vtUsernameExpr(`['yay', string(claims.email), 'panda'].join(' ')`), func(a *JWTAuthenticator) {
			a.ClaimValidationRules = []ClaimValidationRule{{Expression: `string(claims.email_verified) == "panda"`}}
		})}, nil, ""},
		{"122 uses verified email join via extra", []JWTAuthenticator{vtWith(vtUsernameExpr(`['yay', string(claims.email), 'panda'].join(' ')`), func(a *JWTAuthenticator) {
			a.ClaimMappings.Extra = []ExtraMapping{{Key: "panda.io/foo", ValueExpression: "claims.email_verified.upperAscii()"}}
		})}, nil, ""},
		{"123 uses verified email join via extra optional", []JWTAuthenticator{vtWith(vtUsernameExpr(`['yay', string(claims.email), 'panda'].join(' ')`), func(a *JWTAuthenticator) {
			a.ClaimMappings.Extra = []ExtraMapping{{Key: "panda.io/foo", ValueExpression: "claims.?email_verified"}}
		})}, nil, ""},
		{"124 email and email_verified || true via username", []JWTAuthenticator{vtWith(vtUsernameExpr(`claims.?email_verified.orValue(true) ? claims.email : claims.sub`))}, nil, ""},
		{"125 email and email_verified || false via username", []JWTAuthenticator{vtWith(vtUsernameExpr(`claims.?email_verified.orValue(false) ? claims.email : claims.sub`))}, nil, ""},
		{"126 verified email via claim validation rule", []JWTAuthenticator{vtWith(vtUsernameExpr(`{claims.?email: "panda"}`), func(a *JWTAuthenticator) {
			a.ClaimValidationRules = []ClaimValidationRule{{Expression: `claims.?email_verified.orValue(true) == true`}}
		})}, nil, ""},
		{"127 verified email via claim validation rule incorrectly", []JWTAuthenticator{vtWith(vtUsernameExpr(`{claims.?email: "panda"}`), func(a *JWTAuthenticator) {
			a.ClaimValidationRules = []ClaimValidationRule{{Expression: `claims.?email_verified.orValue(true)`}}
		})}, nil, `[jwt[0].claimValidationRules[0].expression: Invalid value: "claims.?email_verified.orValue(true)": must evaluate to bool, jwt[0].claimMappings.username.expression: Invalid value: "{claims.?email: \"panda\"}": ` + vtEmailDetail + `]`},
		{"128 valid authentication configuration", []JWTAuthenticator{vtBase()}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := &AuthenticationConfiguration{APIVersion: APIVersionV1, Kind: Kind, JWT: tt.jwt}
			err := ValidateConfig(cfg, ValidateOptions{DisallowedIssuers: tt.disallowed})
			require.Equal(t, tt.want, vtString(err))
			if err != nil {
				var verr *ValidationError
				require.True(t, errors.As(err, &verr))
			}
		})
	}
}

func TestValidateIssuerURL(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		disallowed []string
		want       string
	}{
		{"129 url is empty", "", nil, "issuer.url: Required value"},
		{"130 url parse error", "https://issuer-url:invalid-port", nil,
			`issuer.url: Invalid value: "https://issuer-url:invalid-port": parse "https://issuer-url:invalid-port": invalid port ":invalid-port" after host`},
		{"131 url is not https", "http://issuer-url", nil, `issuer.url: Invalid value: "http://issuer-url": URL scheme must be https`},
		{"132 url user info is not allowed", "https://user:pass@issuer-url", nil,
			`issuer.url: Invalid value: "https://user:pass@issuer-url": URL must not contain a username or password`},
		{"133 url raw query is not allowed", "https://issuer-url?query", nil, `issuer.url: Invalid value: "https://issuer-url?query": URL must not contain a query`},
		{"134 url fragment is not allowed", "https://issuer-url#fragment", nil, `issuer.url: Invalid value: "https://issuer-url#fragment": URL must not contain a fragment`},
		{"135 valid url that is disallowed", "https://issuer-url", []string{"https://issuer-url"},
			`issuer.url: Invalid value: "https://issuer-url": URL must not overlap with disallowed issuers: [https://issuer-url]`},
		{"136 valid url", "https://issuer-url", nil, ""},
		{"disallowed and unparsable", "https://a:b:c", []string{"https://a:b:c", "https://a:b:c"},
			`[issuer.url: Invalid value: "https://a:b:c": URL must not overlap with disallowed issuers: [https://a:b:c], issuer.url: Invalid value: "https://a:b:c": parse "https://a:b:c": invalid port ":b:c" after host]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := vtValidator(t, ValidateOptions{DisallowedIssuers: tt.disallowed})
			v.issuerURL(tt.in, "issuer.url")
			require.Equal(t, tt.want, vtListString(v.errs))
		})
	}
}

func TestValidateIssuerDiscoveryURL(t *testing.T) {
	tests := []struct{ name, issuerURL, in, want string }{
		{"137 url is empty", "", "", ""},
		{"138 url parse error", "", "https://oidc.oidc-namespace.svc:invalid-port",
			`issuer.discoveryURL: Invalid value: "https://oidc.oidc-namespace.svc:invalid-port": parse "https://oidc.oidc-namespace.svc:invalid-port": invalid port ":invalid-port" after host`},
		{"139 url is not https", "", "http://oidc.oidc-namespace.svc", `issuer.discoveryURL: Invalid value: "http://oidc.oidc-namespace.svc": URL scheme must be https`},
		{"140 url user info is not allowed", "", "https://user:pass@oidc.oidc-namespace.svc",
			`issuer.discoveryURL: Invalid value: "https://user:pass@oidc.oidc-namespace.svc": URL must not contain a username or password`},
		{"141 url raw query is not allowed", "", "https://oidc.oidc-namespace.svc?query",
			`issuer.discoveryURL: Invalid value: "https://oidc.oidc-namespace.svc?query": URL must not contain a query`},
		{"142 url fragment is not allowed", "", "https://oidc.oidc-namespace.svc#fragment",
			`issuer.discoveryURL: Invalid value: "https://oidc.oidc-namespace.svc#fragment": URL must not contain a fragment`},
		{"143 valid url", "", "https://oidc.oidc-namespace.svc", ""},
		{"144 valid url with path", "", "https://oidc.oidc-namespace.svc/path", ""},
		{"145 discovery url same as issuer url", "https://issuer-url", "https://issuer-url",
			`issuer.discoveryURL: Invalid value: "https://issuer-url": discoveryURL must be different from URL`},
		{"146 same as issuer url, with trailing slash", "https://issuer-url", "https://issuer-url/",
			`issuer.discoveryURL: Invalid value: "https://issuer-url/": discoveryURL must be different from URL`},
		{"147 same as issuer url, with multiple trailing slashes", "https://issuer-url", "https://issuer-url///",
			`issuer.discoveryURL: Invalid value: "https://issuer-url///": discoveryURL must be different from URL`},
		{"148 same as issuer url, issuer url with trailing slash", "https://issuer-url/", "https://issuer-url",
			`issuer.discoveryURL: Invalid value: "https://issuer-url": discoveryURL must be different from URL`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The disallowed list never applies to discovery URLs (scenario 316).
			v := vtValidator(t, ValidateOptions{DisallowedIssuers: []string{tt.in}})
			v.discoveryURL(tt.issuerURL, tt.in, "issuer.discoveryURL")
			require.Equal(t, tt.want, vtListString(v.errs))
		})
	}
}

func TestValidateAudiences(t *testing.T) {
	tests := []struct {
		name   string
		in     []string
		policy string
		want   string
	}{
		{"149 audiences is empty", []string{}, "", "issuer.audiences: Required value: at least one issuer.audiences is required"},
		{"150 audience is empty", []string{""}, "", "issuer.audiences[0]: Required value"},
		{"151 invalid match policy with single audience", []string{"audience"}, "MatchExact",
			`issuer.audienceMatchPolicy: Invalid value: "MatchExact": audienceMatchPolicy must be empty or MatchAny for single audience`},
		{"152 valid audience", []string{"audience"}, "", ""},
		{"153 valid audience with MatchAny policy", []string{"audience"}, "MatchAny", ""},
		{"154 duplicate audience", []string{"audience", "audience"}, "MatchAny", `issuer.audiences[1]: Duplicate value: "audience"`},
		{"155 match policy not set with multiple audiences", []string{"audience1", "audience2"}, "",
			`issuer.audienceMatchPolicy: Invalid value: "": audienceMatchPolicy must be MatchAny for multiple audiences`},
		{"156 valid multiple audiences", []string{"audience1", "audience2"}, "MatchAny", ""},
		{"318 empty and duplicate audiences", []string{"a", "", "a"}, "MatchAny",
			`[issuer.audiences[1]: Required value, issuer.audiences[2]: Duplicate value: "a"]`},
		{"policy is case-sensitive", []string{"a"}, "matchany",
			`issuer.audienceMatchPolicy: Invalid value: "matchany": audienceMatchPolicy must be empty or MatchAny for single audience`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := vtValidator(t, ValidateOptions{})
			v.audiences(tt.in, tt.policy, "issuer.audiences", "issuer.audienceMatchPolicy")
			require.Equal(t, tt.want, vtListString(v.errs))
		})
	}
}

// vtTestCA is a self-signed ECDSA CA certificate (public part only).
const vtTestCA = `-----BEGIN CERTIFICATE-----
MIIBkDCCATegAwIBAgIUS2L75t2r5roZpyTBUAnniy/O3jowCgYIKoZIzj0EAwIw
HTEbMBkGA1UEAwwSc3RydWN0YXV0aCB0ZXN0IENBMCAXDTI2MTEyMjE4NTYwOVoY
DzIxMjYxMDI5MTg1NjA5WjAdMRswGQYDVQQDDBJzdHJ1Y3RhdXRoIHRlc3QgQ0Ew
WTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAS8dWB0Huv0RKZQNT+IYYZvFwV7r0uW
JlZun2HG4cikGpaka/uR0Z7/AqIPVfIxCVGNUabYpaHdjUeqcgRPqS1no1MwUTAd
BgNVHQ4EFgQUReX9x4gSNFJCssvQ7/FWM7caoYkwHwYDVR0jBBgwFoAUReX9x4gS
NFJCssvQ7/FWM7caoYkwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNHADBE
AiA0Vw1zDydEgma9ydwEfAoFV+PmExUKG9zpWSUx6dWHoQIgY8m+GItwlU0odNuY
zMMS8btqC48QYp61Oq8aUzQtMe8=
-----END CERTIFICATE-----
`

func TestValidateCertificateAuthority(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"157 invalid certificate authority", "invalid",
			`issuer.certificateAuthority: Invalid value: "<omitted>": data does not contain any valid RSA or ECDSA certificates`},
		{"158 certificate authority is empty", "", ""},
		{"159 valid certificate authority", vtTestCA, ""},
		{"other PEM blocks are skipped", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n" + vtTestCA, ""},
		{"only other PEM blocks", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
			`issuer.certificateAuthority: Invalid value: "<omitted>": data does not contain any valid RSA or ECDSA certificates`},
		{"malformed certificate", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
			`issuer.certificateAuthority: Invalid value: "<omitted>": x509: malformed certificate`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := vtValidator(t, ValidateOptions{})
			v.certificateAuthority(tt.in, "issuer.certificateAuthority")
			require.Equal(t, tt.want, vtListString(v.errs))
		})
	}
}

const vtFooBarCompileError = `compilation failed: ERROR: <input>:1:1: undeclared reference to 'foo' (in container '')
 | foo.bar
 | ^`

func TestValidateClaimValidationRules(t *testing.T) {
	tests := []struct {
		name                  string
		in                    []ClaimValidationRule
		want                  string
		wantRules             int
		wantUsesEmailVerified bool
	}{
		{"160 claim and expression are empty", []ClaimValidationRule{{}}, "issuer.claimValidationRules[0]: Required value: claim or expression is required", 0, false},
		{"322 only requiredValue", []ClaimValidationRule{{RequiredValue: "x"}}, "issuer.claimValidationRules[0]: Required value: claim or expression is required", 0, false},
		{"322 only message", []ClaimValidationRule{{Message: "x"}}, "issuer.claimValidationRules[0]: Required value: claim or expression is required", 0, false},
		{"161 claim and expression are set", []ClaimValidationRule{{Claim: "claim", Expression: "expression"}},
			`issuer.claimValidationRules[0]: Invalid value: "claim": claim and expression can't both be set`, 0, false},
		{"162 message set when claim is set", []ClaimValidationRule{{Claim: "claim", Message: "message"}},
			`issuer.claimValidationRules[0].message: Invalid value: "message": may not be specified when claim is set`, 0, false},
		{"163 requiredValue set when expression is set", []ClaimValidationRule{{Expression: "claims.foo == 'bar'", RequiredValue: "value"}},
			`issuer.claimValidationRules[0].requiredValue: Invalid value: "value": may not be specified when expression is set`, 1, false},
		{"164 duplicate claim", []ClaimValidationRule{{Claim: "claim"}, {Claim: "claim"}},
			`issuer.claimValidationRules[1].claim: Duplicate value: "claim"`, 0, false},
		{"165 duplicate expression", []ClaimValidationRule{{Expression: "claims.foo == 'bar'"}, {Expression: "claims.foo == 'bar'"}},
			`issuer.claimValidationRules[1].expression: Duplicate value: "claims.foo == 'bar'"`, 1, false},
		{"166 CEL expression compilation error", []ClaimValidationRule{{Expression: "foo.bar"}},
			`issuer.claimValidationRules[0].expression: Invalid value: "foo.bar": ` + vtFooBarCompileError, 0, false},
		{"167 expression does not evaluate to bool", []ClaimValidationRule{{Expression: "claims.foo"}},
			`issuer.claimValidationRules[0].expression: Invalid value: "claims.foo": must evaluate to bool`, 0, false},
		{"168 valid claim validation rule with expression", []ClaimValidationRule{{Expression: "claims.foo == 'bar'"}}, "", 1, false},
		{"169 multiple rules and email_verified check", []ClaimValidationRule{
			{Claim: "claim1", RequiredValue: "value1"}, {Claim: "claim2", RequiredValue: "value2"}, {Expression: "has(claims.email_verified)"},
		}, "", 1, true},
		{"170 multiple rules and almost email_verified check", []ClaimValidationRule{
			{Claim: "claim1", RequiredValue: "value1"}, {Claim: "claim2", RequiredValue: "value2"}, {Expression: "has(claims.email_verified_)"},
		}, "", 1, false},
		{"171 requiredValue is not an expression", []ClaimValidationRule{
			{Claim: "claim1", RequiredValue: "value1"}, {Claim: "claim2", RequiredValue: "claims.email_verified"},
		}, "", 0, false},
		{"323 syntax error", []ClaimValidationRule{{Expression: "claims.a =="}},
			`issuer.claimValidationRules[0].expression: Invalid value: "claims.a ==": compilation failed: ERROR: <input>:1:12: Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}
 | claims.a ==
 | ...........^`, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := vtValidator(t, ValidateOptions{})
			c := &compiledAuthenticator{}
			st := &emailState{}
			v.claimValidationRules(c, st, tt.in, "issuer.claimValidationRules")
			require.Equal(t, tt.want, vtListString(v.errs))
			require.Len(t, c.ClaimRules, tt.wantRules)
			require.Equal(t, tt.wantUsesEmailVerified, st.usesEmailVerified)
		})
	}
}

func TestValidateClaimMappings(t *testing.T) {
	claimUser := PrefixedClaimOrExpression{Claim: "claim", Prefix: vtPtr("prefix")}
	exprs := func(username string, extra ...ExtraMapping) ClaimMappings {
		return ClaimMappings{
			Username: PrefixedClaimOrExpression{Expression: username},
			Groups:   PrefixedClaimOrExpression{Expression: "claims.groups"},
			UID:      ClaimOrExpression{Expression: "claims.uid"},
			Extra:    extra,
		}
	}
	extraFoo := ExtraMapping{Key: "example.org/foo", ValueExpression: "claims.extra"}
	extraKey := func(key string) ClaimMappings {
		return ClaimMappings{
			Username: PrefixedClaimOrExpression{Expression: "claims.username"},
			Groups:   PrefixedClaimOrExpression{Expression: "claims.groups"},
			Extra:    []ExtraMapping{{Key: key, ValueExpression: "claims.extra"}},
		}
	}
	const reserved = "k8s.io, kubernetes.io and their subdomains are reserved for Kubernetes use"
	tests := []struct {
		name              string
		in                ClaimMappings
		usesEmailVerified bool
		want              string
		wantPrograms      bool
	}{
		{"172 username expression and claim are set", ClaimMappings{Username: PrefixedClaimOrExpression{Claim: "claim", Expression: "claims.username"}}, false,
			`issuer.claimMappings.username: Invalid value: "": claim and expression can't both be set`, false},
		{"173 username expression and claim are empty", ClaimMappings{}, false,
			"issuer.claimMappings.username: Required value: claim or expression is required", false},
		{"174 username prefix set when expression is set", ClaimMappings{Username: PrefixedClaimOrExpression{Expression: "claims.username", Prefix: vtPtr("prefix")}}, false,
			`issuer.claimMappings.username.prefix: Invalid value: "prefix": may not be specified when expression is set`, false},
		{"319 username prefix empty when expression is set", ClaimMappings{Username: PrefixedClaimOrExpression{Expression: "claims.username", Prefix: vtPtr("")}}, false,
			`issuer.claimMappings.username.prefix: Invalid value: "": may not be specified when expression is set`, false},
		{"prefix error hides the email rule", ClaimMappings{Username: PrefixedClaimOrExpression{Expression: "claims.email", Prefix: vtPtr("")}}, false,
			`issuer.claimMappings.username.prefix: Invalid value: "": may not be specified when expression is set`, false},
		{"175 username prefix is nil when claim is set", ClaimMappings{Username: PrefixedClaimOrExpression{Claim: "claim"}}, false,
			`issuer.claimMappings.username.prefix: Required value: prefix is required when claim is set. It can be set to an empty string to disable prefixing`, false},
		{"176 username expression is invalid", ClaimMappings{Username: PrefixedClaimOrExpression{Expression: "foo.bar"}}, false,
			`issuer.claimMappings.username.expression: Invalid value: "foo.bar": ` + vtFooBarCompileError, false},
		{"177 groups expression and claim are set", ClaimMappings{Username: claimUser, Groups: PrefixedClaimOrExpression{Claim: "claim", Expression: "claims.groups"}}, false,
			`issuer.claimMappings.groups: Invalid value: "": claim and expression can't both be set`, false},
		{"178 groups prefix set when expression is set", ClaimMappings{Username: claimUser, Groups: PrefixedClaimOrExpression{Expression: "claims.groups", Prefix: vtPtr("prefix")}}, false,
			`issuer.claimMappings.groups.prefix: Invalid value: "prefix": may not be specified when expression is set`, false},
		{"179 groups prefix is nil when claim is set", ClaimMappings{Username: claimUser, Groups: PrefixedClaimOrExpression{Claim: "claim"}}, false,
			`issuer.claimMappings.groups.prefix: Required value: prefix is required when claim is set. It can be set to an empty string to disable prefixing`, false},
		{"180 groups expression is invalid", ClaimMappings{Username: claimUser, Groups: PrefixedClaimOrExpression{Expression: "foo.bar"}}, false,
			`issuer.claimMappings.groups.expression: Invalid value: "foo.bar": ` + vtFooBarCompileError, false},
		{"320 groups with only a prefix", ClaimMappings{Username: claimUser, Groups: PrefixedClaimOrExpression{Prefix: vtPtr("p:")}}, false, "", false},
		{"181 uid claim and expression are set", ClaimMappings{Username: claimUser, UID: ClaimOrExpression{Claim: "claim", Expression: "claims.uid"}}, false,
			`issuer.claimMappings.uid: Invalid value: "": claim and expression can't both be set`, false},
		{"182 uid expression is invalid", ClaimMappings{Username: claimUser, UID: ClaimOrExpression{Expression: "foo.bar"}}, false,
			`issuer.claimMappings.uid.expression: Invalid value: "foo.bar": ` + vtFooBarCompileError, false},
		{"183 extra mapping key is empty", ClaimMappings{Username: claimUser, Extra: []ExtraMapping{{Key: "", ValueExpression: "claims.extra"}}}, false,
			`issuer.claimMappings.extra[0].key: Required value`, false},
		{"184 extra mapping value expression is empty", ClaimMappings{Username: claimUser, Extra: []ExtraMapping{{Key: "example.org/foo"}}}, false,
			`issuer.claimMappings.extra[0].valueExpression: Required value`, false},
		{"185 extra mapping value expression is invalid", ClaimMappings{Username: claimUser, Extra: []ExtraMapping{{Key: "example.org/foo", ValueExpression: "foo.bar"}}}, false,
			`issuer.claimMappings.extra[0].valueExpression: Invalid value: "foo.bar": ` + vtFooBarCompileError, false},
		{"186 duplicate extra mapping key", ClaimMappings{
			Username: PrefixedClaimOrExpression{Expression: "claims.username"}, Groups: PrefixedClaimOrExpression{Expression: "claims.groups"},
			Extra: []ExtraMapping{extraFoo, {Key: "example.org/foo", ValueExpression: "claims.extras"}},
		}, false, `issuer.claimMappings.extra[1].key: Duplicate value: "example.org/foo"`, false},
		{"187 extra mapping key is not domain prefix path", extraKey("foo"), false,
			`issuer.claimMappings.extra[0].key: Invalid value: "foo": must be a domain-prefixed path (such as "acme.io/foo")`, false},
		{"188 extra mapping key is not lower case", extraKey("example.org/Foo"), false,
			`issuer.claimMappings.extra[0].key: Invalid value: "example.org/Foo": must be lowercase`, false},
		{"189 extra mapping key prefix is k8.io", extraKey("k8s.io/foo"), false, `issuer.claimMappings.extra[0].key: Invalid value: "k8s.io/foo": ` + reserved, false},
		{"190 extra mapping key prefix contains k8.io", extraKey("example.k8s.io/foo"), false, `issuer.claimMappings.extra[0].key: Invalid value: "example.k8s.io/foo": ` + reserved, false},
		{"191 extra mapping key prefix is kubernetes.io", extraKey("kubernetes.io/foo"), false, `issuer.claimMappings.extra[0].key: Invalid value: "kubernetes.io/foo": ` + reserved, false},
		{"192 extra mapping key prefix contains kubernetes.io", extraKey("example.kubernetes.io/foo"), false,
			`issuer.claimMappings.extra[0].key: Invalid value: "example.kubernetes.io/foo": ` + reserved, false},
		{"193 ak8s.io, *.ak8s.io, bkubernetes.io, *.bkubernetes.io are valid", ClaimMappings{
			Username: PrefixedClaimOrExpression{Expression: "claims.username"}, Groups: PrefixedClaimOrExpression{Expression: "claims.groups"},
			Extra: []ExtraMapping{
				{Key: "ak8s.io/foo", ValueExpression: "claims.extra"}, {Key: "example.ak8s.io/foo", ValueExpression: "claims.extra"},
				{Key: "bkubernetes.io/foo", ValueExpression: "claims.extra"}, {Key: "example.bkubernetes.io/foo", ValueExpression: "claims.extra"},
				{Key: "authentication.x-kubernetes.io/foo", ValueExpression: "claims.extra"},
			},
		}, false, "", true},
		{"321 key with empty path", extraKey("example.org/"), false,
			`issuer.claimMappings.extra[0].key: Invalid value: "example.org/": must be a domain-prefixed path (such as "acme.io/foo")`, false},
		{"321 key with bad domain", extraKey("Example_org/a"), false,
			`[issuer.claimMappings.extra[0].key: Invalid value: "Example_org": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*'), issuer.claimMappings.extra[0].key: Invalid value: "Example_org/a": must be lowercase]`, false},
		{"321 key in a subdomain of kubernetes.io", extraKey("sub.kubernetes.io/a"), false,
			`issuer.claimMappings.extra[0].key: Invalid value: "sub.kubernetes.io/a": ` + reserved, false},
		{"key with a bad path", extraKey("example.org/a b"), false,
			`issuer.claimMappings.extra[0].key: Invalid value: "a b": Invalid path (regex used for validation is '[A-Za-z0-9/\-._~%!$&'()*+,;=:]+')`, false},
		{"194 uses email without verification", exprs("claims.email", extraFoo), false,
			vtEmailErr("issuer.claimMappings.username.expression", "claims.email"), true},
		{"195 uses email in complex CEL expression without verification", exprs("has(claims.email) ? claims.email : claims.sub", extraFoo), false,
			vtEmailErr("issuer.claimMappings.username.expression", "has(claims.email) ? claims.email : claims.sub"), true},
		{"196 uses email in CEL expression function without verification", exprs("claims.email.trim()", extraFoo), false,
			vtEmailErr("issuer.claimMappings.username.expression", "claims.email.trim()"), true},
		{"197 uses email with verification via extra", exprs("claims.email", ExtraMapping{Key: "example.org/foo", ValueExpression: "claims.email_verified"}), false, "", true},
		{"198 uses email with verification via extra optional", exprs("claims.email",
			ExtraMapping{Key: "example.org/foo", ValueExpression: `has(claims.email_verified) ? string(claims.email_verified) : "false"`}), false, "", true},
		{"199 almost uses email with verification via extra optional", exprs("claims.email",
			ExtraMapping{Key: "example.org/foo", ValueExpression: `has(claims.email_verified_) ? string(claims.email_verified_) : "false"`}), false,
			vtEmailErr("issuer.claimMappings.username.expression", "claims.email"), true},
		{"200 uses email with verification via claim validation rules", exprs("claims.email", extraFoo), true, "", true},
		{"201 almost uses claims.email", exprs("claims.email_", extraFoo), false, "", true},
		{"202 almost uses claims.email via nesting", exprs("claims.other.claims.email", extraFoo), false, "", true},
		{"203 valid claim mappings", exprs("claims.username", extraFoo), false, "", true},
		{"326 index syntax is not detected", exprs("claims['email']"), false, "", true},
		{"327 email in groups does not count", ClaimMappings{Username: PrefixedClaimOrExpression{Expression: "claims.sub"}, Groups: PrefixedClaimOrExpression{Expression: "[claims.email]"}}, false, "", false},
		{"email_verified in groups or uid does not count", ClaimMappings{
			Username: PrefixedClaimOrExpression{Expression: "claims.email"},
			Groups:   PrefixedClaimOrExpression{Expression: "[string(claims.email_verified)]"},
			UID:      ClaimOrExpression{Expression: "string(claims.email_verified)"},
		}, false, vtEmailErr("issuer.claimMappings.username.expression", "claims.email"), false},
		{"email in a comprehension macro", exprs("dyn(claims.names).map(n, n + claims.email)[0]"), false,
			vtEmailErr("issuer.claimMappings.username.expression", "dyn(claims.names).map(n, n + claims.email)[0]"), true},
		{"260 comprehension over any does not compile", exprs("claims.g.map(x, x)[0]"), false,
			`issuer.claimMappings.username.expression: Invalid value: "claims.g.map(x, x)[0]": compilation failed: ERROR: <input>:1:7: expression of type 'any' cannot be range of a comprehension (must be list, map, or dynamic)
 | claims.g.map(x, x)[0]
 | ......^`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := vtValidator(t, ValidateOptions{})
			c := &compiledAuthenticator{}
			st := &emailState{usesEmailVerified: tt.usesEmailVerified}
			v.claimMappings(c, st, &tt.in, "issuer.claimMappings")
			require.Equal(t, tt.want, vtListString(v.errs))
			if tt.wantPrograms {
				require.Equal(t, tt.in.Username.Expression != "", c.Username != nil, "username")
				require.Equal(t, tt.in.Groups.Expression != "", c.Groups != nil, "groups")
				require.Equal(t, tt.in.UID.Expression != "", c.UID != nil, "uid")
				require.Len(t, c.Extra, len(tt.in.Extra), "extra")
			}
		})
	}
}

func TestValidateUserValidationRules(t *testing.T) {
	tests := []struct {
		name      string
		in        []UserValidationRule
		want      string
		wantRules int
	}{
		{"204 expression is empty", []UserValidationRule{{}}, "issuer.userValidationRules[0].expression: Required value", 0},
		{"205 duplicate expression", []UserValidationRule{{Expression: "user.username == 'foo'"}, {Expression: "user.username == 'foo'"}},
			`issuer.userValidationRules[1].expression: Duplicate value: "user.username == 'foo'"`, 1},
		{"206 expression is invalid", []UserValidationRule{{Expression: "foo.bar"}},
			`issuer.userValidationRules[0].expression: Invalid value: "foo.bar": ` + vtFooBarCompileError, 0},
		{"207 expression does not return bool", []UserValidationRule{{Expression: "user.username"}},
			`issuer.userValidationRules[0].expression: Invalid value: "user.username": must evaluate to bool`, 0},
		{"208 valid user info validation rules", []UserValidationRule{
			{Expression: "user.username == 'foo'"},
			{Expression: "!user.username.startsWith('system:')", Message: "username cannot used reserved system: prefix"},
		}, "", 2},
		{"324 claims is not declared in user rules", []UserValidationRule{{Expression: "claims.sub == 'x'"}},
			`issuer.userValidationRules[0].expression: Invalid value: "claims.sub == 'x'": compilation failed: ERROR: <input>:1:1: undeclared reference to 'claims' (in container '')
 | claims.sub == 'x'
 | ^`, 0},
		{"216 unknown user field", []UserValidationRule{{Expression: "user.unknown == 'foo'"}},
			`issuer.userValidationRules[0].expression: Invalid value: "user.unknown == 'foo'": compilation failed: ERROR: <input>:1:5: undefined field 'unknown'
 | user.unknown == 'foo'
 | ....^`, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := vtValidator(t, ValidateOptions{})
			c := &compiledAuthenticator{}
			v.userValidationRules(c, tt.in, "issuer.userValidationRules")
			require.Equal(t, tt.want, vtListString(v.errs))
			require.Len(t, c.UserRules, tt.wantRules)
			for i, r := range c.UserRules {
				require.Equal(t, r.Expression, r.Program.Expression(), i)
			}
		})
	}
}

// TestValidateProbes covers the validation probes of section 5.5
// (310-329) end to end, from YAML.
func TestValidateProbes(t *testing.T) {
	jwt := func(body string) string { return ptHeader + "jwt:\n" + body }
	tests := []struct{ name, in, want string }{
		{"311 upper-case scheme", jwt("- issuer: {url: 'HTTPS://issuer.example.com', audiences: [a]}\n  claimMappings: {username: {claim: sub, prefix: ''}}\n"), ""},
		{"312 no host", jwt("- issuer: {url: 'https://', audiences: [a]}\n  claimMappings: {username: {claim: sub, prefix: ''}}\n"), ""},
		{"313 empty query", jwt("- issuer: {url: 'https://x?', audiences: [a]}\n  claimMappings: {username: {claim: sub, prefix: ''}}\n"), ""},
		{"314 IP and port", jwt("- issuer: {url: 'https://10.0.0.1:8443', audiences: [a]}\n  claimMappings: {username: {claim: sub, prefix: ''}}\n"), ""},
		{"315 trailing slash makes a different issuer", jwt(
			"- issuer: {url: 'https://a', audiences: [a]}\n  claimMappings: {username: {claim: sub, prefix: ''}}\n" +
				"- issuer: {url: 'https://a/', audiences: [a]}\n  claimMappings: {username: {claim: sub, prefix: ''}}\n"), ""},
		{"317 discoveryURL is the url plus slashes", jwt("- issuer: {url: 'https://a', discoveryURL: 'https://a//', audiences: [a]}\n  claimMappings: {username: {claim: sub, prefix: ''}}\n"),
			`jwt[0].issuer.discoveryURL: Invalid value: "https://a//": discoveryURL must be different from URL`},
		{"318 empty and duplicate audiences", jwt("- issuer: {url: 'https://a', audiences: [a, '', a], audienceMatchPolicy: MatchAny}\n  claimMappings: {username: {claim: sub, prefix: ''}}\n"),
			`[jwt[0].issuer.audiences[1]: Required value, jwt[0].issuer.audiences[2]: Duplicate value: "a"]`},
		{"319 expression with empty prefix", jwt("- issuer: {url: 'https://a', audiences: [a]}\n  claimMappings: {username: {expression: claims.sub, prefix: ''}}\n"),
			`jwt[0].claimMappings.username.prefix: Invalid value: "": may not be specified when expression is set`},
		{"320 groups with only a prefix", jwt("- issuer: {url: 'https://a', audiences: [a]}\n  claimMappings: {username: {claim: sub, prefix: ''}, groups: {prefix: 'g:'}}\n"), ""},
		{"325 username claim email has no static rule", jwt("- issuer: {url: 'https://a', audiences: [a]}\n  claimMappings: {username: {claim: email, prefix: ''}}\n"), ""},
		{"326 index syntax escapes the email rule", jwt("- issuer: {url: 'https://a', audiences: [a]}\n  claimMappings: {username: {expression: \"claims['email']\"}}\n"), ""},
		{"327 email in groups", jwt("- issuer: {url: 'https://a', audiences: [a]}\n  claimMappings: {username: {expression: claims.sub}, groups: {expression: '[claims.email]'}}\n"), ""},
		{"328 a user rule does not count", jwt("- issuer: {url: 'https://a', audiences: [a]}\n  claimMappings: {username: {expression: claims.email}}\n  userValidationRules: [{expression: \"user.extra['email_verified'] == ['true']\"}]\n"),
			vtEmailErr("jwt[0].claimMappings.username.expression", "claims.email")},
		{"329 four url errors and no audiences", jwt("- issuer: {url: 'http://u:p@x?q#f'}\n  claimMappings: {username: {claim: sub, prefix: ''}}\n"),
			`[jwt[0].issuer.url: Invalid value: "http://u:p@x?q#f": URL scheme must be https, jwt[0].issuer.url: Invalid value: "http://u:p@x?q#f": URL must not contain a username or password, jwt[0].issuer.url: Invalid value: "http://u:p@x?q#f": URL must not contain a query, jwt[0].issuer.url: Invalid value: "http://u:p@x?q#f": URL must not contain a fragment, jwt[0].issuer.audiences: Required value: at least one jwt[0].issuer.audiences is required]`},
		{"334 prefix null is unset", jwt("- issuer: {url: 'https://a', audiences: [a]}\n  claimMappings: {username: {claim: sub, prefix: null}}\n"),
			`jwt[0].claimMappings.username.prefix: Required value: prefix is required when claim is set. It can be set to an empty string to disable prefixing`},
		{"anonymous conditions while disabled", ptHeader + "anonymous: {enabled: false, conditions: [{path: /healthz}, {path: /livez}]}\n",
			`anonymous.conditions: Invalid value: [{"Path":"/healthz"},{"Path":"/livez"}]: enabled should be set to true when conditions are defined`},
		{"anonymous enabled with conditions", ptHeader + "anonymous: {enabled: true, conditions: [{path: /healthz}]}\n", ""},
		{"literal list mixing types fails at compile time", jwt("- issuer: {url: 'https://a', audiences: [a]}\n  claimMappings: {username: {expression: claims.sub}, groups: {expression: '[\"a\", 3]'}}\n"),
			"jwt[0].claimMappings.groups.expression: Invalid value: \"[\\\"a\\\", 3]\": compilation failed: ERROR: <input>:1:7: expected type 'string' but found 'int'\n | [\"a\", 3]\n | ......^"},
		{"errors of several authenticators, in order", jwt(
			"- issuer: {url: 'https://a'}\n  claimMappings: {username: {claim: sub}}\n" +
				"- issuer: {url: 'https://a', audiences: [x, z]}\n  claimMappings: {username: {expression: 'claims.'}}\n"),
			`[jwt[0].issuer.audiences: Required value: at least one jwt[0].issuer.audiences is required, jwt[0].claimMappings.username.prefix: Required value: prefix is required when claim is set. It can be set to an empty string to disable prefixing, jwt[1].issuer.audienceMatchPolicy: Invalid value: "": audienceMatchPolicy must be MatchAny for multiple audiences, jwt[1].claimMappings.username.expression: Invalid value: "claims.": compilation failed: ERROR: <input>:1:8: Syntax error: no viable alternative at input '.'
 | claims.
 | .......^, jwt[1].issuer.url: Duplicate value: "https://a"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ParseConfig([]byte(tt.in))
			require.NoError(t, err)
			require.Equal(t, tt.want, vtString(ValidateConfig(cfg, ValidateOptions{})))
		})
	}

	t.Run("316 discoveryURL equal to a disallowed issuer", func(t *testing.T) {
		a := vtWith(func(a *JWTAuthenticator) { a.Issuer.DiscoveryURL = "https://sa.example.com" })
		cfg := &AuthenticationConfiguration{JWT: []JWTAuthenticator{a}}
		require.NoError(t, ValidateConfig(cfg, ValidateOptions{DisallowedIssuers: []string{"https://sa.example.com"}}))
	})
}

func TestValidateTooMany(t *testing.T) {
	// 310: more than 64 authenticators is reported alone, even when the
	// entries are invalid too.
	cfg := &AuthenticationConfiguration{JWT: make([]JWTAuthenticator, 65)}
	err := ValidateConfig(cfg, ValidateOptions{})
	require.EqualError(t, err, "jwt: Too many: 65: must have at most 64 items")

	cfg.JWT = make([]JWTAuthenticator, 64)
	for i := range cfg.JWT {
		cfg.JWT[i] = vtWith(func(a *JWTAuthenticator) { a.Issuer.URL = fmt.Sprintf("https://issuer-%d", i) })
	}
	require.NoError(t, ValidateConfig(cfg, ValidateOptions{}))
}

func TestValidateAuthenticator(t *testing.T) {
	// A lone authenticator has no jwt[i] prefix, as kube-apiserver's
	// oidc.New reports: "issuer.url: …" (spec scenarios 41, 42, 69-71).
	a := vtWith(func(a *JWTAuthenticator) {
		a.Issuer.URL = "http://auth.example.com"
		a.Issuer.Audiences = nil
		a.ClaimMappings.Extra = []ExtraMapping{{Key: "example.org/foo", ValueExpression: "claims.a"}, {Key: "example.org/foo", ValueExpression: "claims.b"}}
	})
	require.EqualError(t, ValidateAuthenticator(&a, ValidateOptions{}),
		`[issuer.url: Invalid value: "http://auth.example.com": URL scheme must be https, issuer.audiences: Required value: at least one issuer.audiences is required, claimMappings.extra[1].key: Duplicate value: "example.org/foo"]`)
	b := vtBase()
	require.EqualError(t, ValidateAuthenticator(&b, ValidateOptions{DisallowedIssuers: []string{"https://issuer-url"}}),
		`issuer.url: Invalid value: "https://issuer-url": URL must not overlap with disallowed issuers: [https://issuer-url]`)
	require.Error(t, ValidateAuthenticator(nil, ValidateOptions{}))
	require.Error(t, ValidateConfig(nil, ValidateOptions{}))
}

func TestValidateCompileConfig(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(ptConfigDir, "valid-full.yaml"))
	require.NoError(t, err)
	cfg, err := ParseConfig(data)
	require.NoError(t, err)
	compiled, err := compileConfig(cfg, ValidateOptions{})
	require.NoError(t, err)
	require.Len(t, compiled, 2)

	c := compiled[0]
	require.Equal(t, 0, c.Index)
	require.Equal(t, &cfg.JWT[0], c.Config)
	require.NotSame(t, &cfg.JWT[0], c.Config, "a copy")
	cfg.JWT[0].Issuer.Audiences[0] = "changed"
	*cfg.JWT[1].ClaimMappings.Username.Prefix = "changed"
	require.Equal(t, "kubectl", c.Config.Issuer.Audiences[0])
	require.Equal(t, "org:", *compiled[1].Config.ClaimMappings.Username.Prefix)
	require.Equal(t, []ClaimValidationRule{{Claim: "tenant", RequiredValue: "acme"}}, c.RequiredClaims)
	require.Len(t, c.ClaimRules, 2)
	require.Equal(t, "claims.exp - claims.iat <= 3600", c.ClaimRules[0].Expression)
	require.Equal(t, "token lifetime must be at most one hour", c.ClaimRules[0].Message)
	require.Equal(t, c.ClaimRules[0].Expression, c.ClaimRules[0].Program.Expression())
	require.Equal(t, "'idp:' + claims.email", c.Username.Expression())
	require.NotNil(t, c.Groups)
	require.Nil(t, c.UID, "uid is in claim form")
	require.Equal(t, []string{"example.com/tenant", "example.com/roles"}, []string{c.Extra[0].Key, c.Extra[1].Key})
	require.Equal(t, "claims.tenant", c.Extra[0].Program.Expression())
	require.Len(t, c.UserRules, 2)
	require.Equal(t, "no system groups", c.UserRules[1].Message)

	c = compiled[1]
	require.Equal(t, 1, c.Index)
	require.Nil(t, c.Username)
	require.Nil(t, c.Groups)
	require.Empty(t, c.ClaimRules)
	require.Empty(t, c.Extra)

	// An invalid configuration returns no programs and a *ValidationError.
	cfg.JWT[1].Issuer.URL = cfg.JWT[0].Issuer.URL
	compiled, err = compileConfig(cfg, ValidateOptions{})
	require.Nil(t, compiled)
	var verr *ValidationError
	require.True(t, errors.As(err, &verr))
	require.Equal(t, []*FieldError{{Type: FieldValueDuplicate, Field: "jwt[1].issuer.url", BadValue: "https://idp.example.com/realms/k8s"}}, verr.Errors)
}

func TestValidateAKSProfile(t *testing.T) {
	aks := ValidateOptions{Profile: ProfileAKS}

	data, err := os.ReadFile(filepath.Join(ptConfigDir, "aks.yaml"))
	require.NoError(t, err)
	cfg, err := ParseConfig(data)
	require.NoError(t, err)
	require.NoError(t, ValidateConfig(cfg, aks))
	// kube-apiserver itself wants audienceMatchPolicy for two audiences;
	// AKS writes it into the file it generates.
	require.EqualError(t, ValidateConfig(cfg, ValidateOptions{}),
		`jwt[1].issuer.audienceMatchPolicy: Invalid value: "": audienceMatchPolicy must be MatchAny for multiple audiences`)

	// Everything AKS does not offer, at once, after kube's own errors.
	data, err = os.ReadFile(filepath.Join(ptConfigDir, "valid-full.yaml"))
	require.NoError(t, err)
	cfg, err = ParseConfig(data)
	require.NoError(t, err)
	require.NoError(t, ValidateConfig(cfg, ValidateOptions{}))
	err = ValidateConfig(cfg, aks)
	var verr *ValidationError
	require.True(t, errors.As(err, &verr))
	want := []string{
		"jwt[0].issuer.discoveryURL: Forbidden: not supported by AKS",
		"jwt[0].issuer.certificateAuthority: Forbidden: not supported by AKS: the issuer must have a publicly trusted certificate",
		"jwt[0].issuer.audienceMatchPolicy: Forbidden: not supported by AKS: AKS sets it (MatchAny when there are several audiences)",
		"jwt[0].issuer.egressSelectorType: Forbidden: not supported by AKS",
		"jwt[0].claimValidationRules[0].claim: Forbidden: AKS supports only expression claim validation rules",
		"jwt[0].claimMappings.uid.claim: Forbidden: AKS supports only expression mappings",
		"jwt[1].claimMappings.username.claim: Forbidden: AKS supports only expression mappings",
		"jwt[1].claimMappings.username.prefix: Forbidden: AKS supports only expression mappings",
		"jwt[1].claimMappings.groups.claim: Forbidden: AKS supports only expression mappings",
		"jwt[1].claimMappings.groups.prefix: Forbidden: AKS supports only expression mappings",
		"anonymous: Forbidden: not supported by AKS",
	}
	got := make([]string, len(verr.Errors))
	for i, e := range verr.Errors {
		got[i] = e.Error()
		require.Equal(t, FieldValueForbidden, e.Type)
	}
	require.Equal(t, want, got)
	require.Equal(t, "["+strings.Join(want, ", ")+"]", err.Error())

	// kube's rules still apply under AKS, the email rule included.
	a := JWTAuthenticator{
		Issuer:        Issuer{URL: "https://idp.example.com", Audiences: []string{"a"}},
		ClaimMappings: ClaimMappings{Username: PrefixedClaimOrExpression{Expression: "'aks:jwt:' + claims.email", Prefix: vtPtr("aks:jwt:")}},
	}
	require.EqualError(t, ValidateAuthenticator(&a, aks),
		`[claimMappings.username.prefix: Invalid value: "aks:jwt:": may not be specified when expression is set, claimMappings.username.prefix: Forbidden: AKS supports only expression mappings]`)
	a.ClaimMappings.Username.Prefix = nil
	require.EqualError(t, ValidateAuthenticator(&a, aks), vtEmailErr("claimMappings.username.expression", "'aks:jwt:' + claims.email"))
	// An explicit single-audience policy is still forbidden.
	a.ClaimMappings.Username.Expression = "'aks:jwt:' + claims.sub"
	a.Issuer.AudienceMatchPolicy = "MatchAny"
	require.EqualError(t, ValidateAuthenticator(&a, aks),
		"issuer.audienceMatchPolicy: Forbidden: not supported by AKS: AKS sets it (MatchAny when there are several audiences)")
}
