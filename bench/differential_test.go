package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"testing"
	"time"

	k8soidc "k8s.io/apiserver/plugin/pkg/authenticator/token/oidc"

	"github.com/structauth/structauth/jwtauth"
	"github.com/structauth/structauth/jwtauth/jwtauthtest"
)

// diffCase is one configuration and one claim set. Both implementations
// must reach the same decision and, on success, the same user.
type diffCase struct {
	name   string
	cfg    func(a *jwtauth.JWTAuthenticator)
	claims map[string]any // merged over the defaults; nil deletes
	alg    string
}

type null struct{}

func (null) MarshalJSON() ([]byte, error) { return []byte("null"), nil }

func sp(s string) *string { return &s }

func username(claim string, prefix *string, expr string) func(*jwtauth.JWTAuthenticator) {
	return func(a *jwtauth.JWTAuthenticator) {
		a.ClaimMappings.Username = jwtauth.PrefixedClaimOrExpression{Claim: claim, Prefix: prefix, Expression: expr}
	}
}

func with(fs ...func(*jwtauth.JWTAuthenticator)) func(*jwtauth.JWTAuthenticator) {
	return func(a *jwtauth.JWTAuthenticator) {
		for _, f := range fs {
			f(a)
		}
	}
}

func groups(claim string, prefix *string, expr string) func(*jwtauth.JWTAuthenticator) {
	return func(a *jwtauth.JWTAuthenticator) {
		a.ClaimMappings.Groups = jwtauth.PrefixedClaimOrExpression{Claim: claim, Prefix: prefix, Expression: expr}
	}
}

func uid(claim, expr string) func(*jwtauth.JWTAuthenticator) {
	return func(a *jwtauth.JWTAuthenticator) {
		a.ClaimMappings.UID = jwtauth.ClaimOrExpression{Claim: claim, Expression: expr}
	}
}

func extra(key, expr string) func(*jwtauth.JWTAuthenticator) {
	return func(a *jwtauth.JWTAuthenticator) {
		a.ClaimMappings.Extra = append(a.ClaimMappings.Extra, jwtauth.ExtraMapping{Key: key, ValueExpression: expr})
	}
}

func rule(claim, value, expr, msg string) func(*jwtauth.JWTAuthenticator) {
	return func(a *jwtauth.JWTAuthenticator) {
		a.ClaimValidationRules = append(a.ClaimValidationRules, jwtauth.ClaimValidationRule{Claim: claim, RequiredValue: value, Expression: expr, Message: msg})
	}
}

func userRule(expr string) func(*jwtauth.JWTAuthenticator) {
	return func(a *jwtauth.JWTAuthenticator) {
		a.UserValidationRules = append(a.UserValidationRules, jwtauth.UserValidationRule{Expression: expr, Message: "m"})
	}
}

func auds(list ...string) func(*jwtauth.JWTAuthenticator) {
	return func(a *jwtauth.JWTAuthenticator) {
		a.Issuer.Audiences = list
		a.Issuer.AudienceMatchPolicy = jwtauth.AudienceMatchPolicyMatchAny
	}
}

func diffCases() []diffCase {
	h := time.Now().Add(time.Hour).Unix()
	past := time.Now().Add(-time.Hour).Unix()
	email := username("email", sp(""), "")
	return []diffCase{
		{name: "plain"},
		{name: "prefix", cfg: username("sub", sp("oidc:"), "")},
		{name: "email verified", cfg: email, claims: map[string]any{"email": "j@x", "email_verified": true}},
		{name: "email unverified", cfg: email, claims: map[string]any{"email": "j@x", "email_verified": false}},
		{name: "email verified null", cfg: email, claims: map[string]any{"email": "j@x", "email_verified": null{}}},
		{name: "email verified string", cfg: email, claims: map[string]any{"email": "j@x", "email_verified": "true"}},
		{name: "email absent verified", cfg: email, claims: map[string]any{"email": "j@x"}},
		{name: "username null", claims: map[string]any{"sub": null{}}},
		{name: "username empty", claims: map[string]any{"sub": ""}},
		{name: "sub number", claims: map[string]any{"sub": 42}},
		{name: "sub missing", claims: map[string]any{"sub": nil}},
		{name: "username claim number", cfg: username("u", sp(""), ""), claims: map[string]any{"u": 1}},
		{name: "expr username", cfg: username("", nil, "claims.sub")},
		{name: "expr username number", cfg: username("", nil, "claims.n"), claims: map[string]any{"n": 1}},
		{name: "expr username empty", cfg: username("", nil, "''")},
		{name: "expr username missing claim", cfg: username("", nil, "claims.nope")},
		{name: "expr username double", cfg: username("", nil, "string(claims.n)"), claims: map[string]any{"n": 1700081020}},
		{name: "expr escaped", cfg: username("", nil, "claims.kubernetes__dot__io.ns"), claims: map[string]any{"kubernetes.io": map[string]any{"ns": "x"}}},
		{name: "expr index", cfg: username("", nil, "claims['a-b']"), claims: map[string]any{"a-b": "x"}},
		{name: "expr iterate values", cfg: username("", nil, "claims.exists(k, k == 'jane') ? 'yes' : 'no'")},
		{name: "expr in claims", cfg: username("", nil, "'sub' in claims ? 'y' : 'n'")},
		{name: "expr size", cfg: username("", nil, "claims.size() > 0 ? 'y' : 'n'")},
		{name: "expr optional", cfg: username("", nil, "claims.?a.?b.orValue('dflt')")},
		{name: "expr url lib", cfg: username("", nil, "url(claims.u).getHost()"), claims: map[string]any{"u": "https://x.example:8443/p"}},
		{name: "expr ip lib", cfg: username("", nil, "ip(claims.ip).family() == 4 ? 'v4' : 'v6'"), claims: map[string]any{"ip": "10.0.0.1"}},
		{name: "expr regex find", cfg: username("", nil, "claims.sub.find('[a-z]+')")},
		{name: "expr lists sum", cfg: username("", nil, "string(int(dyn(claims.l).sum()))"), claims: map[string]any{"l": []int{1, 2, 3}}},
		{name: "expr format", cfg: username("", nil, "'%s-%d'.format(['a', 1])")},
		{name: "expr semver", cfg: username("", nil, "semver('1.2.3').major() == 1 ? 'one' : 'other'")},
		{name: "expr quantity", cfg: username("", nil, "quantity('1Gi').isGreaterThan(quantity('1M')) ? 'big' : 'small'")},
		{name: "expr sets", cfg: username("", nil, "sets.contains(['a','b'], ['a']) ? 'y' : 'n'")},
		{name: "expr strings", cfg: username("", nil, "claims.sub.upperAscii().replace('J', 'j')")},
		{name: "expr lists ext", cfg: username("", nil, "lists.range(3).map(i, string(i)).join(',')")},
		{name: "groups claim list", cfg: groups("g", sp("p:"), ""), claims: map[string]any{"g": []string{"a", "", "a"}}},
		{name: "groups claim string", cfg: groups("g", sp(""), ""), claims: map[string]any{"g": "a"}},
		{name: "groups claim empty list", cfg: groups("g", sp(""), ""), claims: map[string]any{"g": []string{}}},
		{name: "groups claim null", cfg: groups("g", sp(""), ""), claims: map[string]any{"g": null{}}},
		{name: "groups claim null member", cfg: groups("g", sp("p:"), ""), claims: map[string]any{"g": []any{"a", null{}}}},
		{name: "groups claim mixed", cfg: groups("g", sp(""), ""), claims: map[string]any{"g": []any{"a", 1}}},
		{name: "groups claim object", cfg: groups("g", sp(""), ""), claims: map[string]any{"g": map[string]any{}}},
		{name: "groups claim absent", cfg: groups("g", sp(""), "")},
		{name: "groups expr list", cfg: groups("", nil, "dyn(claims.g).map(x, 'p:' + x)"), claims: map[string]any{"g": []string{"a", "b"}}},
		{name: "groups expr drops empty", cfg: groups("", nil, "['a', '', 'a']")},
		{name: "groups expr null", cfg: groups("", nil, "null")},
		{name: "groups expr number", cfg: groups("", nil, "1")},
		{name: "groups expr split bare", cfg: groups("", nil, "claims.r.split(',')"), claims: map[string]any{"r": "a,b"}},
		{name: "groups expr split mapped", cfg: groups("", nil, "claims.r.split(',').map(x, x)"), claims: map[string]any{"r": "a,b"}},
		{name: "groups expr no dyn", cfg: groups("", nil, "claims.g"), claims: map[string]any{"g": []string{"a"}}},
		{name: "uid claim", cfg: uid("oid", ""), claims: map[string]any{"oid": "1"}},
		{name: "uid claim missing", cfg: uid("oid", "")},
		{name: "uid claim number", cfg: uid("oid", ""), claims: map[string]any{"oid": 1}},
		{name: "uid expr", cfg: uid("", "claims.sub + '!'")},
		{name: "uid expr list", cfg: uid("", "['a']")},
		{name: "extra string", cfg: extra("example.org/a", "claims.sub")},
		{name: "extra list", cfg: extra("example.org/a", "['x', '', 'x']")},
		{name: "extra empty", cfg: extra("example.org/a", "''")},
		{name: "extra error then type", cfg: with(extra("example.org/a", "1"), extra("example.org/b", "claims.nope"))},
		{name: "jti", claims: map[string]any{"jti": "abc"}},
		{name: "jti empty", claims: map[string]any{"jti": ""}},
		{name: "jti number", claims: map[string]any{"jti": 5}},
		{name: "required ok", cfg: rule("hd", "x", "", ""), claims: map[string]any{"hd": "x"}},
		{name: "required empty value", cfg: rule("hd", "", "", ""), claims: map[string]any{"hd": ""}},
		{name: "required mismatch", cfg: rule("hd", "x", "", ""), claims: map[string]any{"hd": "y"}},
		{name: "required number", cfg: rule("hd", "1", "", ""), claims: map[string]any{"hd": 1}},
		{name: "required missing", cfg: rule("hd", "x", "", "")},
		{name: "rule true", cfg: rule("", "", "claims.sub == 'jane'", "m")},
		{name: "rule false", cfg: rule("", "", "claims.sub == 'john'", "m")},
		{name: "rule error", cfg: rule("", "", "claims.nope == 1", "m")},
		{name: "rule false then error", cfg: with(rule("", "", "1 == 2", "a"), rule("", "", "claims.nope == 1", "b"))},
		{name: "rule heterogeneous", cfg: rule("", "", "claims.f == true", "m"), claims: map[string]any{"f": "true"}},
		{name: "rule cross numeric", cfg: rule("", "", "claims.exp > 1", "m")},
		{name: "user rule", cfg: userRule("user.username == 'jane'")},
		{name: "user rule false", cfg: userRule("user.username == 'x'")},
		{name: "user rule groups empty", cfg: userRule("user.groups.size() == 0 && user.uid == '' && user.extra.size() == 0")},
		{name: "user rule authenticated", cfg: userRule("'system:authenticated' in user.groups")},
		{name: "user rule credential id", cfg: userRule("user.extra[?'authentication.kubernetes.io/credential-id'].orValue(['none'])[0] == 'JTI=abc'"), claims: map[string]any{"jti": "abc"}},
		{name: "order mapping before required", cfg: with(uid("missing", ""), rule("hd", "x", "", ""))},
		{name: "aud list", claims: map[string]any{"aud": []string{"x", "my-client"}}},
		{name: "aud wrong", claims: map[string]any{"aud": "x"}},
		{name: "aud missing", claims: map[string]any{"aud": nil}},
		{name: "aud null", claims: map[string]any{"aud": null{}}},
		{name: "aud number", claims: map[string]any{"aud": 1}},
		{name: "aud list with null", claims: map[string]any{"aud": []any{"my-client", null{}}}},
		{name: "multi aud any", cfg: auds("b", "my-client"), claims: map[string]any{"aud": []string{"z", "b"}}},
		{name: "multi aud none", cfg: auds("b", "my-client"), claims: map[string]any{"aud": "z"}},
		{name: "exp missing", claims: map[string]any{"exp": nil}},
		{name: "exp past", claims: map[string]any{"exp": past}},
		{name: "exp string", claims: map[string]any{"exp": fmt.Sprint(h)}},
		{name: "exp float", claims: map[string]any{"exp": float64(h) + 0.7}},
		{name: "exp null", claims: map[string]any{"exp": null{}}},
		{name: "exp bad string", claims: map[string]any{"exp": "soon"}},
		{name: "exp bool", claims: map[string]any{"exp": true}},
		{name: "iat null", claims: map[string]any{"iat": null{}}},
		{name: "iat string", claims: map[string]any{"iat": "x"}},
		{name: "iat future", claims: map[string]any{"iat": h}},
		{name: "nbf null", claims: map[string]any{"nbf": null{}}},
		{name: "nbf out of range", claims: map[string]any{"nbf": 1e21}},
		{name: "nbf max int64", claims: map[string]any{"nbf": json.Number("9223372036854775807")}},
		{name: "nbf -1e21", claims: map[string]any{"nbf": -1e21}},
		{name: "nbf 1e400", claims: map[string]any{"nbf": json.Number("1e400")}},
		{name: "iat out of range", claims: map[string]any{"iat": 1e21}},
		{name: "exp out of range", claims: map[string]any{"exp": 1e21}},
		{name: "exp max int64", claims: map[string]any{"exp": json.Number("9223372036854775807")}},
		{name: "nbf 30s", claims: map[string]any{"nbf": time.Now().Add(30 * time.Second).Unix()}},
		{name: "nbf 5m", claims: map[string]any{"nbf": time.Now().Add(5 * time.Minute).Unix()}},
		{name: "nonce number", claims: map[string]any{"nonce": 1}},
		{name: "at_hash number", claims: map[string]any{"at_hash": 1}},
		{name: "nonce null", claims: map[string]any{"nonce": null{}}},
		{name: "claim names bad", claims: map[string]any{"_claim_names": map[string]any{"x": 1}}},
		{name: "claim names no source", claims: map[string]any{"_claim_names": map[string]any{"x": "s"}}},
		{name: "claim names empty source", claims: map[string]any{"_claim_names": map[string]any{"x": ""}, "_claim_sources": map[string]any{}}},
		{name: "claim sources bad", claims: map[string]any{"_claim_sources": map[string]any{"s": "x"}}},
		{name: "claim names ok unused", claims: map[string]any{"_claim_names": map[string]any{"x": "s"}, "_claim_sources": map[string]any{"s": map[string]any{"endpoint": "https://127.0.0.1:1/x"}}}},
		{name: "claim names empty, groups claim", cfg: groups("groups", sp(""), ""), claims: map[string]any{"_claim_names": map[string]any{}}},
		{name: "aggregated ignored", cfg: groups("groups", sp(""), ""), claims: map[string]any{"_claim_names": map[string]any{"groups": "s"}, "_claim_sources": map[string]any{"s": map[string]any{"JWT": "x"}}}},
		{name: "iss google legacy form", claims: map[string]any{"iss": "accounts.google.com"}},
		{name: "es512", alg: "ES512"},
		{name: "ps384", alg: "PS384"},
		{name: "rs512", alg: "RS512"},
	}
}

// TestDifferentialKubeAPIServer runs every case through kube-apiserver's
// authenticator (k8s.io/apiserver v0.37.2) and through structauth.
func TestDifferentialKubeAPIServer(t *testing.T) {
	iss, err := jwtauthtest.NewIssuer(jwtauthtest.IssuerOptions{Path: "/diff"})
	if err != nil {
		t.Fatal(err)
	}
	defer iss.Close()
	agree, differ := 0, 0
	for _, tc := range diffCases() {
		t.Run(tc.name, func(t *testing.T) {
			cfg := iss.Authenticator("my-client")
			cfg.ClaimMappings.Username = jwtauth.PrefixedClaimOrExpression{Claim: "sub", Prefix: sp("")}
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			claims := diffClaims(iss, tc.claims)
			alg := tc.alg
			if alg == "" {
				alg = "RS256"
			}
			tok, err := iss.Sign(alg, claims)
			if err != nil {
				t.Fatal(err)
			}
			kubeUser, kubeErr := kubeAuthenticate(t, iss, cfg, tok)
			ourUser, ourErr := ourAuthenticate(t, iss, cfg, tok)
			if (kubeErr == nil) != (ourErr == nil) || (kubeErr == nil && !reflect.DeepEqual(kubeUser, ourUser)) {
				differ++
				t.Errorf("decisions differ\n kube: %+v err=%v\n ours: %+v err=%v", kubeUser, kubeErr, ourUser, ourErr)
				return
			}
			agree++
			t.Logf("agree: kube err=%v | ours err=%v", kubeErr, ourErr)
		})
	}
	t.Logf("%d cases agree, %d differ", agree, differ)
}

// diffClaims is the default claim set of a case for iss, with over
// merged in (a nil value deletes the claim).
func diffClaims(iss *jwtauthtest.Issuer, over map[string]any) map[string]any {
	claims := map[string]any{"iss": iss.URL, "aud": "my-client", "sub": "jane", "exp": time.Now().Add(time.Hour).Unix()}
	for k, v := range over {
		if v == nil {
			delete(claims, k)
			continue
		}
		claims[k] = v
	}
	return claims
}

type normUser struct {
	Name, UID string
	Groups    []string
	Extra     map[string][]string
}

func kubeAuthenticate(t *testing.T, iss *jwtauthtest.Issuer, cfg jwtauth.JWTAuthenticator, tok string) (*normUser, error) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := k8soidc.New(ctx, k8soidc.Options{JWTAuthenticator: toK8s(cfg), Client: iss.Client(), SupportedSigningAlgs: k8soidc.AllValidSigningAlgorithms()})
	if err != nil {
		return nil, fmt.Errorf("init: %w", err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for a.HealthCheck() != nil && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	resp, ok, err := a.AuthenticateToken(ctx, tok)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("not handled")
	}
	u := resp.User
	return norm(u.GetName(), u.GetUID(), u.GetGroups(), u.GetExtra()), nil
}

func ourAuthenticate(t *testing.T, iss *jwtauthtest.Issuer, cfg jwtauth.JWTAuthenticator, tok string) (*normUser, error) {
	cfg.Issuer.CertificateAuthority = ""
	a, err := jwtauth.New(context.Background(), &jwtauth.AuthenticationConfiguration{APIVersion: jwtauth.APIVersionV1, Kind: jwtauth.Kind,
		JWT: []jwtauth.JWTAuthenticator{cfg}}, jwtauth.Options{HTTPClient: iss.Client()})
	if err != nil {
		return nil, fmt.Errorf("init: %w", err)
	}
	defer a.Close()
	u, err := a.Authenticate(context.Background(), tok)
	if err != nil {
		return nil, err
	}
	return norm(u.Username, u.UID, u.Groups, u.Extra), nil
}

func norm(name, uid string, groups []string, extra map[string][]string) *normUser {
	n := &normUser{Name: name, UID: uid, Groups: groups, Extra: extra}
	if len(n.Groups) == 0 {
		n.Groups = nil
	}
	if len(n.Extra) == 0 {
		n.Extra = nil
	}
	for _, v := range n.Extra {
		sort.Strings(v)
	}
	return n
}
