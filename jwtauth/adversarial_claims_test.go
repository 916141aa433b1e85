package jwtauth_test

// Catalogue group D: claims (spec/security.md §3).

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/structauth/structauth/jwtauth"
	"github.com/structauth/structauth/jwtauth/jwtauthtest"
)

func TestAdversarialClaims(t *testing.T) { runAdversarial(t, "D", claimsCases) }

var (
	issCheck = jwtauth.CheckIssuer
	errIss   = jwtauth.ErrUnknownIssuer
	audCheck = jwtauth.CheckAudience
	errAud   = jwtauth.ErrAudience
)

// entraFn adapts an EntraAuthenticator to the runner.
func entraFn(ea *jwtauth.EntraAuthenticator) func(context.Context, string) (*jwtauth.User, error) {
	return func(ctx context.Context, tok string) (*jwtauth.User, error) {
		eu, err := ea.Authenticate(ctx, tok)
		if err != nil {
			return nil, err
		}
		return &eu.User, nil
	}
}

func entraVariant(name, token string, ea *jwtauth.EntraAuthenticator, is error) variant {
	return variant{name: name, token: token, is: is, authFn: entraFn(ea)}
}

var claimsCases = []advCase{
	{id: "D01/iss-trailing-slash", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		require.True(t, strings.HasSuffix(f.other.URL, "/"))
		return []variant{
			rej("slash added", f.token(t, map[string]any{"iss": f.primary.URL + "/"}), issCheck, errIss),
			rej("slash removed", signRaw(t, "RS256", f.keys.other, hdr("RS256", "rsa-b"), f.payload(t, map[string]any{"iss": strings.TrimSuffix(f.other.URL, "/")})), issCheck, errIss),
		}
	}},
	{id: "D02/iss-not-normalized", reason: "iss is compared after JSON decoding, as by kube-apiserver: a JSON escape (\\/ for /) is the same string, not a variant",
		build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
			u := f.primary.URL // https://127.0.0.1:port
			host := strings.TrimPrefix(u, "https://")
			ip, port, _ := strings.Cut(host, ":")
			variants := map[string]string{
				"upper-case scheme":   "HTTPS://" + host,
				"http scheme":         "http://" + host,
				"trailing dot":        "https://" + ip + ".:" + port,
				"zero-width space":    u + "\u200b",
				"homoglyph scheme":    "\u04bbttps://" + host,
				"port leading zero":   "https://" + ip + ":0" + port,
				"localhost for IP":    "https://localhost:" + port,
				"dot path":            u + "/.",
				"percent-encoded":     "https://%31%32%37.0.0.1:" + port,
				"userinfo":            "https://user@" + host,
				"query":               u + "?",
				"fragment":            u + "#",
				"trailing whitespace": u + " ",
			}
			var vs []variant
			for name, iss := range variants {
				vs = append(vs, rej(name, f.token(t, map[string]any{"iss": iss}), issCheck, errIss))
			}
			p := f.payload(t, map[string]any{"iss": nil})
			escaped := strings.ReplaceAll(u, "/", `\/`)
			vs = append(vs, acc("JSON-escaped slashes", f.signedPayload(t, p[:len(p)-1]+`,"iss":"`+escaped+`"}`), "jane"))
			return vs
		}},
	{id: "D03/iss-without-scheme", reason: "policy: like kube-apiserver, only the literal accounts.google.com is read as https://accounts.google.com; " +
		"no issuer without a scheme is configured here, so the token is not routed to any",
		build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
			host := strings.TrimPrefix(f.primary.URL, "https://")
			return []variant{
				rej("accounts.google.com", f.token(t, map[string]any{"iss": "accounts.google.com"}), issCheck, errIss),
				rej("own URL without scheme", f.token(t, map[string]any{"iss": host}), issCheck, errIss),
			}
		}},
	{id: "D04/iss-missing-or-not-string", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		return []variant{
			rej("missing", f.token(t, map[string]any{"iss": nil}), issCheck, errIss),
			rej("number", f.token(t, map[string]any{"iss": 1}), issCheck, errIss),
			rej("array", f.token(t, map[string]any{"iss": []string{f.primary.URL}}), issCheck, errIss),
			rej("null", f.token(t, map[string]any{"iss": json_null{}}), issCheck, errIss),
			rej("empty", f.token(t, map[string]any{"iss": ""}), issCheck, errIss),
		}
	}},
	{id: "D05/aud-match-any", reason: "kube-apiserver's audienceMatchPolicy MatchAny: any configured audience in aud is enough, " +
		"extra audiences are ignored (stricter than OpenID Connect Core §3.1.3.7 step 3, by Kubernetes' design)",
		build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
			return []variant{
				acc("string", f.token(t, map[string]any{"aud": "my-client"}), "jane"),
				acc("array containing", f.token(t, map[string]any{"aud": []string{"my-client"}}), "jane"),
				acc("array with untrusted extras", f.token(t, map[string]any{"aud": []string{"evil", "my-client", "other"}}), "jane"),
				rej("array without a match", f.token(t, map[string]any{"aud": []string{"evil", "other"}}), audCheck, errAud),
			}
		}},
	{id: "D06/aud-empty", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		return []variant{
			rej("[]", f.token(t, map[string]any{"aud": []string{}}), audCheck, errAud),
			rej(`""`, f.token(t, map[string]any{"aud": ""}), audCheck, errAud),
			rej("null", f.token(t, map[string]any{"aud": json_null{}}), audCheck, errAud),
			rej("missing", f.token(t, map[string]any{"aud": nil}), audCheck, errAud),
			rej(`[""]`, f.token(t, map[string]any{"aud": []string{""}}), audCheck, errAud),
		}
	}},
	{id: "D07/aud-wrong-type", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		cl := jwtauth.CheckClaims
		return []variant{
			rej("number", f.token(t, map[string]any{"aud": 1}), cl, jwtauth.ErrInvalidClaims),
			rej("object", f.token(t, map[string]any{"aud": map[string]any{"my-client": true}}), cl, jwtauth.ErrInvalidClaims),
			rej("array with a number", f.token(t, map[string]any{"aud": []any{"my-client", 1}}), cl, jwtauth.ErrInvalidClaims),
			rej("nested array", f.token(t, map[string]any{"aud": []any{[]string{"my-client"}}}), cl, jwtauth.ErrInvalidClaims),
			rej("bool", f.token(t, map[string]any{"aud": true}), cl, jwtauth.ErrInvalidClaims),
		}
	}},
	{id: "D08/aud-case-or-space", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		var vs []variant
		for _, aud := range []string{"My-client", "MY-CLIENT", " my-client", "my-client ", "my-client\u200b", "my\u2010client"} {
			vs = append(vs, rej(fmt.Sprintf("%q", aud), f.token(t, map[string]any{"aud": aud}), audCheck, errAud))
		}
		return vs
	}},
	{id: "D09/exp-missing", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		return []variant{rej("missing", f.token(t, map[string]any{"exp": nil}), jwtauth.CheckExpiry, jwtauth.ErrExpired)}
	}},
	{id: "D10/exp-boundary", reason: "go-oidc v2, hence kube-apiserver, rejects when exp is before now (no leeway): a token whose exp is exactly now is still valid",
		build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
			return []variant{
				acc("exp == now", f.token(t, map[string]any{"exp": testNow.Unix()}), "jane"),
				rej("exp == now - 1s", f.token(t, map[string]any{"exp": testNow.Unix() - 1}), jwtauth.CheckExpiry, jwtauth.ErrExpired),
			}
		}},
	{id: "D11/nbf-leeway", reason: "kube-apiserver v0.37 allows nbf up to one minute in the future (the spec's 5 minutes is an erratum); an nbf beyond time.Unix's range (1e21, 2^63-1) reads as the distant past in go-oidc v2, so kube-apiserver accepts it",
		build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
			nb := func(d time.Duration) string { return f.token(t, map[string]any{"nbf": testNow.Add(d).Unix()}) }
			return []variant{
				acc("now + 59s", nb(59*time.Second), "jane"),
				acc("now + 60s", nb(60*time.Second), "jane"),
				rej("now + 61s", nb(61*time.Second), jwtauth.CheckNotBefore, jwtauth.ErrNotYetValid),
				rej("now + 4m59s", nb(4*time.Minute+59*time.Second), jwtauth.CheckNotBefore, jwtauth.ErrNotYetValid),
				rej("now + 5m01s", nb(5*time.Minute+time.Second), jwtauth.CheckNotBefore, jwtauth.ErrNotYetValid),
				rej("nbf a string", f.token(t, map[string]any{"nbf": "soon"}), jwtauth.CheckClaims, jwtauth.ErrInvalidClaims),
				acc("nbf 1e21", f.token(t, map[string]any{"nbf": 1e21}), "jane"),
				acc("nbf 2^63-1", f.token(t, map[string]any{"nbf": json.Number("9223372036854775807")}), "jane"),
				acc("nbf -1e21", f.token(t, map[string]any{"nbf": -1e21}), "jane"),
				rej("nbf 1e400", f.signedPayload(t, fmt.Sprintf(`{"iss":%q,"aud":"my-client","username":"jane","exp":%d,"nbf":1e400}`, f.primary.URL, testNow.Add(time.Hour).Unix())), jwtauth.CheckClaims, jwtauth.ErrInvalidClaims),
			}
		}},
	{id: "D12/iat-future", reason: "kube-apiserver does not check iat; only its type is checked (a number)",
		build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
			return []variant{
				acc("iat now + 1h", f.token(t, map[string]any{"iat": testNow.Add(time.Hour).Unix()}), "jane"),
				rej("iat a string", f.token(t, map[string]any{"iat": "now"}), jwtauth.CheckClaims, jwtauth.ErrInvalidClaims),
				acc("iat 1e21", f.token(t, map[string]any{"iat": 1e21}), "jane"),
			}
		}},
	{id: "D13/iat-very-old", reason: "no maximum token age, as kube-apiserver; a claimValidationRule on iat enforces one when wanted",
		build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
			aged := f.authenticator(t, claimRule("claims.iat > 1899990000.0", "token too old"), nil)
			tok := f.token(t, map[string]any{"iat": 1})
			return []variant{
				acc("iat 1970", tok, "jane"),
				{name: "iat 1970 with a max-age rule", token: tok, check: jwtauth.CheckClaimRule, is: jwtauth.ErrClaimRule, auth: aged},
			}
		}},
	{id: "D14/sub-shapes", reason: "like kube-apiserver, sub is optional and only its type is checked (a string); the username here comes from another claim",
		build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
			return []variant{
				acc("missing", f.token(t, map[string]any{"sub": nil}), "jane"),
				acc("empty", f.token(t, map[string]any{"sub": ""}), "jane"),
				acc("300 characters", f.token(t, map[string]any{"sub": strings.Repeat("s", 300)}), "jane"),
				rej("number", f.token(t, map[string]any{"sub": 42}), jwtauth.CheckClaims, jwtauth.ErrInvalidClaims),
				rej("array", f.token(t, map[string]any{"sub": []string{"jane"}}), jwtauth.CheckClaims, jwtauth.ErrInvalidClaims),
			}
		}},
	{id: "D15/username-claim-shapes", reason: "kube-apiserver allows an empty username from a claim-form mapping (its test 'empty username is allowed via claim'); " +
		"an empty username from an expression is rejected",
		build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
			expr := f.authenticator(t, func(e *jwtauth.JWTAuthenticator) {
				e.ClaimMappings.Username = jwtauth.PrefixedClaimOrExpression{Expression: "claims.username"}
			}, nil)
			empty := f.token(t, map[string]any{"username": ""})
			return []variant{
				rej("missing", f.token(t, map[string]any{"username": nil}), jwtauth.CheckUsername, jwtauth.ErrMapping),
				rej("number", f.token(t, map[string]any{"username": 7}), jwtauth.CheckUsername, jwtauth.ErrMapping),
				rej("array", f.token(t, map[string]any{"username": []string{"jane"}}), jwtauth.CheckUsername, jwtauth.ErrMapping),
				acc("empty string, claim form", empty, ""),
				{name: "empty string, expression", token: empty, check: jwtauth.CheckUsername, is: jwtauth.ErrMapping, auth: expr},
			}
		}},
	{id: "D16/email-verified", reason: "kube-apiserver: with username claim email, an absent email_verified is accepted",
		config: func(e *jwtauth.JWTAuthenticator) {
			e.ClaimMappings.Username = jwtauth.PrefixedClaimOrExpression{Claim: "email", Prefix: ptr("")}
		},
		build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
			em := func(v any) string {
				m := map[string]any{"email": "jane@example.com", "email_verified": v}
				return f.token(t, m)
			}
			return []variant{
				rej("false", em(false), jwtauth.CheckUsername, jwtauth.ErrEmailNotVerified),
				rej(`"true" (string)`, em("true"), jwtauth.CheckUsername, jwtauth.ErrMapping),
				rej("1", em(1), jwtauth.CheckUsername, jwtauth.ErrMapping),
				acc("absent", em(nil), "jane@example.com"),
				acc("true", em(true), "jane@example.com"),
			}
		}},
	{id: "D17/groups-shapes", reason: "kube-apiserver's stringOrArray: a single string is one group, null is no groups, " +
		"and a null array member decodes (encoding/json) to the empty group name \"\", which grants nothing",
		config: groupsClaim("groups", ""),
		build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
			g := func(v any) string { return f.token(t, map[string]any{"groups": v}) }
			return []variant{
				acc("string", g("team"), "jane"),
				acc("array", g([]string{"a", "b"}), "jane"),
				acc("null", g(json_null{}), "jane"),
				acc("array with null", g([]any{"a", json_null{}}), "jane"),
				rej("array with a number", g([]any{"a", 1}), jwtauth.CheckGroups, jwtauth.ErrMapping),
				rej("array with an object", g([]any{"a", map[string]any{}}), jwtauth.CheckGroups, jwtauth.ErrMapping),
				rej("number", g(1), jwtauth.CheckGroups, jwtauth.ErrMapping),
			}
		}},
	{id: "D18/system-names-without-prefix", reason: "kube-apiserver maps system:masters from an unprefixed claim (use prefixes or userValidationRules); " +
		"Options.RejectSystemNames rejects it",
		config: groupsClaim("groups", ""),
		build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
			guarded := f.authenticator(t, groupsClaim("groups", ""), func(o *jwtauth.Options) { o.RejectSystemNames = true })
			admin := f.token(t, map[string]any{"username": "system:admin"})
			masters := f.token(t, map[string]any{"groups": []string{"system:masters"}})
			return []variant{
				acc("username system:admin", admin, "system:admin"),
				acc("group system:masters", masters, "jane"),
				{name: "username system:admin, RejectSystemNames", token: admin, check: jwtauth.CheckSystemName, is: jwtauth.ErrSystemName, auth: guarded},
				{name: "group system:masters, RejectSystemNames", token: masters, check: jwtauth.CheckSystemName, is: jwtauth.ErrSystemName, auth: guarded},
			}
		}},
	{id: "D19/distributed-claims-ssrf", reason: "as kube-apiserver, distributed claims are resolved only for a claim-form groups mapping, only for a token " +
		"whose signature verified (the issuer vouches for the endpoint), and only over https; the returned JWT must verify for its own issuer. " +
		"Without a groups mapping they are ignored and the token is accepted",
		build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
			never, _ := countingServer(t)
			vouched, vouchedHits := countingServerAllowed(t)
			groups := f.authenticator(t, groupsClaim("groups", ""), nil)
			mods := func(endpoint string) map[string]any {
				return map[string]any{
					"_claim_names":   map[string]any{"groups": "src1"},
					"_claim_sources": map[string]any{"src1": map[string]any{"endpoint": endpoint, "access_token": "secret-access-token"}},
				}
			}
			dist := func(endpoint string) string { return f.token(t, mods(endpoint)) }
			forged := signRaw(t, "RS256", f.keys.attacker, hdr("RS256", "rsa-a"), f.payload(t, mods(never+"/groups")))
			dc := jwtauth.CheckDistributed
			t.Cleanup(func() {
				if n := vouchedHits.Load(); n != 1 {
					t.Errorf("the issuer-vouched endpoint received %d requests, want 1", n)
				}
			})
			return []variant{
				acc("no groups mapping, attacker endpoint", dist(never+"/groups"), "jane"),
				{name: "forged token naming an attacker endpoint", token: forged, check: sigCheck, is: jwtauth.ErrSignature, auth: groups},
				{name: "metadata endpoint over http", token: dist("http://169.254.169.254/latest/meta-data/"), check: dc, is: jwtauth.ErrDistributedClaims, auth: groups},
				{name: "loopback, closed port", token: dist("https://127.0.0.1:1/groups"), check: dc, is: jwtauth.ErrDistributedClaims, auth: groups},
				{name: "file URL", token: dist("file:///etc/passwd"), check: dc, is: jwtauth.ErrDistributedClaims, auth: groups},
				{name: "issuer-signed, endpoint answers garbage (fetched once)", token: dist(vouched + "/groups"), check: dc, is: jwtauth.ErrDistributedClaims, auth: groups},
			}
		}},
	{id: "D20/entra-key-of-another-tenant", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		env := newEntraEnv(t)
		ea := env.auth(t, "CFG-MT(*)")
		msa, err := env.fake.Sign(jwtauthtest.EntraSignOptions{Key: jwtauthtest.EntraKeyMSA}, env.fixture(t, "F3", nil))
		require.NoError(t, err)
		tmpl, err := env.fake.Sign(jwtauthtest.EntraSignOptions{}, env.fixture(t, "F3", map[string]any{"iss": "https://login.microsoftonline.com/{tenantid}/v2.0"}))
		require.NoError(t, err)
		return []variant{
			entraVariant("tenant A token signed with the consumers tenant's key", msa, ea, jwtauth.ErrSignature),
			entraVariant("{tenantid} template as iss", tmpl, ea, jwtauth.ErrUnknownIssuer),
		}
	}},
	{id: "D21/entra-v1-v2-mix", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		env := newEntraEnv(t)
		v1tok, err := env.fake.Sign(jwtauthtest.EntraSignOptions{V1Header: true}, env.fixture(t, "F1", nil))
		require.NoError(t, err)
		v2tok, err := env.fake.Sign(jwtauthtest.EntraSignOptions{}, env.fixture(t, "F3", nil))
		require.NoError(t, err)
		otherAud, err := env.fake.Sign(jwtauthtest.EntraSignOptions{}, env.fixture(t, "F3", map[string]any{"aud": "api://some-other-app"}))
		require.NoError(t, err)
		return []variant{
			entraVariant("v1 token, v2-only configuration", v1tok, env.auth(t, "CFG-AKS2only"), jwtauth.ErrUnknownIssuer),
			entraVariant("v2 token, v1-only configuration", v2tok, env.auth(t, "CFG-A1only"), jwtauth.ErrUnknownIssuer),
			entraVariant("v2 token for another app ID URI", otherAud, env.auth(t, "CFG-A12"), jwtauth.ErrAudience),
		}
	}},
	{id: "D22/entra-graph-token-nonce", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		env := newEntraEnv(t)
		tok, err := env.fake.Sign(jwtauthtest.EntraSignOptions{V1Header: true, Nonce: "AQABAAAAAABnfiG-mA6NTae7CdWW7QfdR_vA1td_KJ55uewzV8uA"}, env.fixture(t, "F11", nil))
		require.NoError(t, err)
		plain := env.auth(t, "CFG-A12").Authenticator()
		return []variant{
			entraVariant("Graph token, Entra authenticator", tok, env.auth(t, "CFG-A12"), jwtauth.ErrSignature),
			{name: "Graph token, standard configuration", token: tok, check: sigCheck, is: jwtauth.ErrSignature, auth: plain},
		}
	}},
	{id: "D23/jti-not-string", reason: "kube-apiserver: a jti that is not a non-empty string gives no credential id, and is otherwise ignored",
		build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
			num := f.token(t, map[string]any{"jti": 12345})
			str := f.token(t, map[string]any{"jti": "abc"})
			u, err := a.Authenticate(t.Context(), num)
			require.NoError(t, err)
			require.NotContains(t, u.Extra, jwtauth.CredentialIDKey)
			u, err = a.Authenticate(t.Context(), str)
			require.NoError(t, err)
			require.Equal(t, []string{"JTI=abc"}, u.Extra[jwtauth.CredentialIDKey])
			return []variant{
				acc("number", num, "jane"),
				acc("object", f.token(t, map[string]any{"jti": map[string]any{"a": 1}}), "jane"),
				acc("null", f.token(t, map[string]any{"jti": json_null{}}), "jane"),
			}
		}},
	{id: "D24/unicode-identities", reason: "like kube-apiserver, claim values are used verbatim: no Unicode normalization (NFC and NFD spellings are different users) " +
		"and no control-character filter; restrict names with userValidationRules",
		build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
			ruled := f.authenticator(t, func(e *jwtauth.JWTAuthenticator) {
				e.UserValidationRules = []jwtauth.UserValidationRule{{Expression: `user.username.matches('^[a-z0-9@._-]+$')`, Message: "unexpected characters"}}
			}, nil)
			names := map[string]string{
				"NFC":        "jos\u00e9",
				"NFD":        "jose\u0301",
				"RTL":        "jane\u202egpj.exe",
				"NUL":        "jane\x00admin",
				"newline":    "jane\nadmin",
				"zero-width": "ja\u200bne",
			}
			var vs []variant
			for name, un := range names {
				tok := f.token(t, map[string]any{"username": un})
				vs = append(vs, acc(name, tok, un),
					variant{name: name + ", with a userValidationRule", token: tok, check: jwtauth.CheckUserRule, is: jwtauth.ErrUserRule, auth: ruled})
			}
			return vs
		}},
	{id: "D25/cel-int-overflow", config: claimRule("int(claims.n) * 10 > 0", "overflow"),
		build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
			cr := jwtauth.CheckClaimRule
			p := f.payload(t, nil)
			with := func(v string) string { return f.signedPayload(t, p[:len(p)-1]+`,"n":`+v+"}") }
			return []variant{
				rej("9e18 * 10 overflows int", with("9000000000000000000"), cr, jwtauth.ErrClaimRule),
				rej("1e20 does not fit int", with("1e20"), cr, jwtauth.ErrClaimRule),
				rej("-1e19", with("-1e19"), cr, jwtauth.ErrClaimRule),
				rej("1e308", with("1e308"), cr, jwtauth.ErrClaimRule),
			}
		}},
}
