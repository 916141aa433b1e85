package bench

// TestDifferentialRandom is a seeded, randomized version of
// TestDifferentialKubeAPIServer: it draws configurations (1–3 jwt
// authenticators over three in-process issuers) and claim sets from pools
// of awkward values, and checks that kube-apiserver's authenticator
// (k8s.io/apiserver v0.37.2, the reference) and structauth
//
//   - agree on whether the configuration is valid (kube's
//     validation.ValidateAuthenticationConfiguration vs jwtauth.ValidateConfig),
//   - and, for valid ones, reach the same decision on every token and map
//     the same user (name, uid, groups, extra).
//
// The run is deterministic for a given seed:
//
//	go test -count=1 -run TestDifferentialRandom -v .                      # seed 1
//	go test -count=1 -run TestDifferentialRandom -v . -diffseed 42 -diffn 500
//	STRUCTAUTH_DIFF_SEED=42 go test -count=1 -run TestDifferentialRandom .
//	go test -count=1 -run TestDifferentialRandom -v . -diffseed 42 -diffonly 17 # one configuration
//
// Every configuration i uses its own generator seeded from (seed, i), so
// -diffonly replays configuration i of a run exactly (modulo the clock:
// exp/nbf/iat are relative to now, and never placed near a boundary).

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	api "k8s.io/apiserver/pkg/apis/apiserver"
	"k8s.io/apiserver/pkg/apis/apiserver/validation"
	k8sauth "k8s.io/apiserver/pkg/authentication/authenticator"
	authcel "k8s.io/apiserver/pkg/authentication/cel"
	tokenunion "k8s.io/apiserver/pkg/authentication/token/union"
	k8soidc "k8s.io/apiserver/plugin/pkg/authenticator/token/oidc"

	"github.com/structauth/structauth/jwtauth"
	"github.com/structauth/structauth/jwtauth/jwtauthtest"
)

var (
	diffSeed = flag.Int64("diffseed", 0, "TestDifferentialRandom: seed (0: $STRUCTAUTH_DIFF_SEED, else 1)")
	diffN    = flag.Int("diffn", 0, "TestDifferentialRandom: number of random configurations (0: default)")
	diffOnly = flag.Int("diffonly", -1, "TestDifferentialRandom: run only configuration i of the seed")
)

const (
	defaultDiffConfigs = 600 // about 15–20 s on two cores; -diffn to change
	diffTokensPerCfg   = 24
)

func diffRandomSeed(t *testing.T) int64 {
	if *diffSeed != 0 {
		return *diffSeed
	}
	if s := os.Getenv("STRUCTAUTH_DIFF_SEED"); s != "" {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatalf("STRUCTAUTH_DIFF_SEED: %v", err)
		}
		return v
	}
	return 1
}

// ---------------------------------------------------------------------------
// Pools.

var (
	randAudPool = []string{"my-client", "a", "b", "kubernetes"}

	// Username claims; "email" triggers kube's email_verified check.
	randUsernameClaims = []string{"sub", "sub", "email", "name", "num", "obj", "uni", "u"}
	randUsernameExprs  = []string{
		"claims.sub",
		"'x:' + claims.sub",
		"claims.?preferred_username.orValue(claims.sub)",
		"claims.?preferred_username.orValue('anon')",
		"claims.email_verified ? claims.email : 'unverified'",
		"has(claims.email) && claims.?email_verified.orValue(false) == true ? claims.email : claims.sub",
		"string(claims.num)",
		"claims.num",
		"claims.obj.name",
		"claims.?obj.?name.orValue('anon')",
		"claims.sub.lowerAscii()",
		"string(claims.iat)",
		"string(claims.big)",
		"string(int(claims.num))",
		"type(claims.num) == double ? 'double' : type(claims.num) == int ? 'int' : 'other'",
		"claims.sub + '@' + string(claims.exp)",
		"claims.uni",
		"claims.long",
		"string(claims.aud)",
		"claims.kubernetes__dot__io.ns",
		"claims.sub == '' ? 'empty' : claims.sub",
		"claims.jti",
		"string(claims.num == 1000)",
		"string(size(claims.uni))",
		"''",
		"claims.groups[0]",
		"dyn(claims.aud)[0]",
		"string(claims.email_verified)",
		"claims.obj.?name.orValue('none')",
		"string(claims.nested.a.b)",
		"string(claims.num) + string(claims.big)",
		"claims['email']",
		"claims[?'email'].orValue('none')",
		"claims.x__dash__y",
		"claims['x-y']",
		"string(claims.?x__dash__y.orValue('none'))",
		"claims.a__dot__b",
		"claims['a.b']",
		"dyn(claims.obj).?x__dash__y.orValue('n')",
		"claims.obj.exists(k, k == 'a.b') ? 'has' : 'not'",
		"claims.obj.exists(k, k == '__dot__') ? 'has' : 'not'",
		"string(claims.obj.?a__dot__b.orValue('n'))",
		"string(claims.obj.?__dot__.orValue('n'))",
		"string(claims.num * 2.0)",
		"string(claims.num / 3.0)",
		"string(double(claims.big))",
		"string(uint(claims.num))",
		"string(claims.groups.size())",
		"string(claims.obj)",
		"claims.nested.a.?b.orValue('x') == true ? 'yes' : 'no'",
		"string(type(claims.nested.a.b))",
		"string(type(claims.groups))",
		"claims.sub.substring(0, 1)",
		"claims.sub.charAt(0)",
		"claims.uni.reverse()",
		"base64.encode(bytes(claims.sub))",
		"string(bytes(claims.uni))",
		"claims.sub.split(':')[0]",
		"claims.sub.indexOf('a') >= 0 ? 'a' : 'b'",
		"string(claims.num == claims.big)",
		"string(claims.num < 2)",
		"string(int(claims.iat) - int(claims.exp))",
		"string(timestamp(int(claims.exp)))",
		"string(duration(string(int(claims.exp) - int(claims.iat)) + 's'))",
	}

	randGroupsClaims = []string{"groups", "groups", "roles", "sub", "num", "obj", "g"}
	randGroupsExprs  = []string{
		"claims.groups",
		"dyn(claims.groups).map(g, 'p:' + g)",
		"dyn(claims.groups).filter(g, g.startsWith('a'))",
		"claims.?groups.orValue([])",
		"[claims.sub]",
		"claims.sub",
		"claims.roles.split(',')",
		"has(claims.groups) ? claims.groups : ['none']",
		"claims.num",
		"null",
		"['a', '', 'a']",
		"claims.groups.map(g, g.upperAscii())",
		"dyn(claims.aud)",
		"[string(claims.num)]",
		"claims.?roles.orValue('').split(',')",
		"[claims.uni, claims.sub]",
		"dyn(claims.obj).map(k, k)",
		"dyn(claims.obj).filter(k, k != 'name')",
		"dyn(claims.groups).map(g, string(g))",
		"claims.?groups.orValue(['x']).filter(g, g != '')",
		"claims.groups + ['z']",
		"claims.groups.size() > 0 ? claims.groups : []",
		"[claims.?x__dash__y.orValue('d')]",
	}

	randUIDClaims = []string{"oid", "sub", "num", "jti", "uni"}
	randUIDExprs  = []string{
		"claims.sub",
		"claims.?oid.orValue('')",
		"string(claims.num)",
		"claims.num",
		"''",
		"claims.jti",
		"claims.sub + '/' + claims.?oid.orValue('none')",
		"['a']",
		"string(claims.big)",
	}

	randExtraKeys  = []string{"example.org/a", "example.org/b", "example.org/c"}
	randExtraExprs = []string{
		"claims.sub",
		"[claims.sub]",
		"[claims.sub, claims.?tenant.orValue('x')]",
		"claims.?groups.orValue([])",
		"''",
		"claims.num",
		"dyn(claims.aud)",
		"claims.roles",
		"string(claims.num)",
		"claims.?tenant.orValue('')",
		"[claims.uni]",
		"claims.jti",
		"string(claims.email_verified)",
		"dyn(claims.obj).map(k, k)",
		"[string(claims.num)]",
		"claims.?obj.?name.orValue('')",
		"dyn(claims.groups).map(g, g + '!')",
		"claims.groups",
	}

	randRequiredClaims = []string{"hd", "tenant", "sub", "num", "email_verified", "jti"}
	randRequiredValues = []string{"acme", "x", "jane", "1", "1000", "true", ""}

	randRuleExprs = []string{
		"claims.?tenant.orValue('') == 'acme'",
		"claims.exp - claims.iat <= 86400",
		"has(claims.sub)",
		"claims.sub != ''",
		"claims.email_verified == true",
		"claims.?email_verified.orValue(true) == true",
		"size(claims.groups) < 3",
		"claims.num > 1",
		"claims.aud == 'my-client'",
		"'a' in claims.groups",
		"dyn(claims.groups).all(g, g != 'evil')",
		"claims.num == 1000",
		"claims.num == 1",
		"claims.big == 9007199254740993",
		"claims.big > 9007199254740992",
		"claims.iat < claims.exp",
		"type(claims.num) == int",
		"type(claims.num) == double",
		"claims.uni.size() > 3",
		"claims.obj.name == 'x'",
		"claims.nested.a.b == true",
		"claims.num == -0.0",
		"claims.num == 1u",
		"claims.?hd.orValue('') != 'evil.example'",
		"!has(claims.nonce)",
		"claims.exists(k, k == 'tenant')",
		"claims.sub.matches('^[a-z]+$')",
		"int(claims.exp) > 0",
		"claims.?x__dash__y.orValue('') != 'evil'",
		"!has(claims.a__dot__b)",
		"claims.email_verified || !has(claims.email)",
		"claims.num in [1, 1000, 1.5]",
		"claims.big in [9007199254740993]",
		"claims.num != 0",
		"dyn(claims.aud).exists(a, a == 'a')",
		"dyn(claims.aud) == 'a' || 'a' in dyn(claims.aud)",
		"claims.obj.size() <= 1",
		"claims.exp > claims.iat",
		"double(claims.exp) > 1.0",
	}

	randUserRuleExprs = []string{
		"!user.username.startsWith('system:')",
		"user.username != ''",
		"user.groups.all(g, g != 'evil')",
		"size(user.groups) < 5",
		"user.uid == '' || user.uid.size() > 1",
		"!('example.org/a' in user.extra) || user.extra['example.org/a'].size() > 0",
		"user.username.size() < 100",
		"'a' in user.groups",
		"user.extra.size() >= 0",
		"user.username.contains(':') || !user.username.contains('@')",
		"user.extra.all(k, user.extra[k].all(v, v != 'evil'))",
		"user.groups.exists(g, g.startsWith('p:')) || true",
		"user.uid.size() < 200",
		"size(user.extra['example.org/a']) >= 1",
		"user.?extra.?foo.orValue([]).size() == 0",
	}

	randAlgs = []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}
)

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

func chance(r *rand.Rand, p float64) bool { return r.Float64() < p }

func randPrefix(r *rand.Rand) *string {
	switch r.IntN(20) {
	case 0:
		return nil // invalid for the claim form: validation must reject
	case 1, 2, 3, 4, 5, 6, 7, 8:
		return sp("")
	case 9, 10, 11, 12:
		return sp("p:")
	case 13, 14, 15:
		return sp("oidc:")
	default:
		return sp("ü-")
	}
}

// ---------------------------------------------------------------------------
// Configurations.

type randEnv struct {
	issuers []*jwtauthtest.Issuer
	client  *http.Client
}

func genRandConfig(r *rand.Rand, env *randEnv) []jwtauth.JWTAuthenticator {
	n := 1 + r.IntN(3)
	perm := r.Perm(len(env.issuers))
	out := make([]jwtauth.JWTAuthenticator, n)
	for i := range out {
		iss := env.issuers[perm[i]]
		if i > 0 && chance(r, 0.08) {
			// The same issuer URL twice (different audiences): kube's
			// validation refuses duplicate issuer URLs; both must.
			iss = env.issuers[perm[0]]
		}
		out[i] = genRandAuthenticator(r, iss)
	}
	return out
}

func genRandAuthenticator(r *rand.Rand, iss *jwtauthtest.Issuer) jwtauth.JWTAuthenticator {
	var a jwtauth.JWTAuthenticator
	a.Issuer.URL = iss.URL
	// Audiences: 1–3 distinct from the pool, rarely a duplicate or "".
	na := 1 + r.IntN(3)
	for _, i := range r.Perm(len(randAudPool))[:na] {
		a.Issuer.Audiences = append(a.Issuer.Audiences, randAudPool[i])
	}
	if chance(r, 0.03) {
		a.Issuer.Audiences = append(a.Issuer.Audiences, a.Issuer.Audiences[0])
	}
	if chance(r, 0.02) {
		a.Issuer.Audiences = append(a.Issuer.Audiences, "")
	}
	switch {
	case len(a.Issuer.Audiences) > 1 && chance(r, 0.97):
		a.Issuer.AudienceMatchPolicy = jwtauth.AudienceMatchPolicyMatchAny
	case len(a.Issuer.Audiences) == 1 && chance(r, 0.3):
		a.Issuer.AudienceMatchPolicy = jwtauth.AudienceMatchPolicyMatchAny
	case chance(r, 0.03):
		a.Issuer.AudienceMatchPolicy = "MatchAll"
	}

	m := &a.ClaimMappings
	if chance(r, 0.5) {
		m.Username = jwtauth.PrefixedClaimOrExpression{Claim: pick(r, randUsernameClaims), Prefix: randPrefix(r)}
	} else {
		m.Username = jwtauth.PrefixedClaimOrExpression{Expression: pick(r, randUsernameExprs)}
		if chance(r, 0.03) {
			m.Username.Prefix = sp("p:") // invalid with an expression
		}
	}
	switch r.IntN(3) {
	case 0:
	case 1:
		m.Groups = jwtauth.PrefixedClaimOrExpression{Claim: pick(r, randGroupsClaims), Prefix: randPrefix(r)}
	default:
		m.Groups = jwtauth.PrefixedClaimOrExpression{Expression: pick(r, randGroupsExprs)}
	}
	switch r.IntN(3) {
	case 0:
	case 1:
		m.UID = jwtauth.ClaimOrExpression{Claim: pick(r, randUIDClaims)}
	default:
		m.UID = jwtauth.ClaimOrExpression{Expression: pick(r, randUIDExprs)}
	}
	for _, ki := range r.Perm(len(randExtraKeys))[:r.IntN(3)] {
		key := randExtraKeys[ki]
		if chance(r, 0.03) {
			key = pick(r, []string{"Example.org/A", "kubernetes.io/x", "noslash", "k8s.io/y"})
		}
		m.Extra = append(m.Extra, jwtauth.ExtraMapping{Key: key, ValueExpression: pick(r, randExtraExprs)})
	}
	// Rules: distinct unless by a small chance (duplicates are invalid).
	claimPerm, exprPerm := r.Perm(len(randRequiredClaims)), r.Perm(len(randRuleExprs))
	for i := range r.IntN(3) {
		if chance(r, 0.4) {
			a.ClaimValidationRules = append(a.ClaimValidationRules, jwtauth.ClaimValidationRule{
				Claim: randRequiredClaims[claimPerm[i]], RequiredValue: pick(r, randRequiredValues)})
		} else {
			a.ClaimValidationRules = append(a.ClaimValidationRules, jwtauth.ClaimValidationRule{
				Expression: randRuleExprs[exprPerm[i]], Message: pick(r, []string{"", "m", "nope"})})
		}
	}
	userPerm := r.Perm(len(randUserRuleExprs))
	for i := range r.IntN(3) {
		a.UserValidationRules = append(a.UserValidationRules, jwtauth.UserValidationRule{
			Expression: randUserRuleExprs[userPerm[i]], Message: pick(r, []string{"", "m"})})
	}
	if chance(r, 0.02) && len(a.UserValidationRules) > 0 {
		a.UserValidationRules = append(a.UserValidationRules, a.UserValidationRules[0])
	}
	if chance(r, 0.02) && len(a.ClaimValidationRules) > 0 {
		a.ClaimValidationRules = append(a.ClaimValidationRules, a.ClaimValidationRules[0])
	}
	return a
}

// ---------------------------------------------------------------------------
// Claims.

// num is a JSON number written exactly as given (1e3, -0, 1.0, 2^53+1...).
func num(s string) json.RawMessage { return json.RawMessage(s) }

var (
	randNumbers = []any{
		num("1"), num("1000"), num("1e3"), num("1E3"), num("1.0"), num("-0"), num("-0.0"), num("0"),
		num("1.5"), num("-3"), num("9007199254740993"), num("9007199254740992"), num("18446744073709551616"),
		num("1e400"), num("-1e-400"), num("123456789012345678901234567890"), num("0.1"), num("1e21"),
		num("4294967296"), num("9223372036854775807"), num("9223372036854775808"), num("-9223372036854775809"),
	}
	randStrings = []string{
		"jane", "Jane", "system:admin", "", "a", "évé", "日本語", "😀", "a\u0000b", "\u2028", "\ufeff",
		"e\u0301", "with space", "tab\there", "quote\"s", "back\\slash", "<html>&amp;", "a,b", "1000",
		"true", "null", "x:y", "evil", "acme",
	}
)

func randString(r *rand.Rand) string {
	if chance(r, 0.04) {
		return strings.Repeat(pick(r, []string{"a", "é", "😀", "ab"}), 1+r.IntN(6000))
	}
	return pick(r, randStrings)
}

// randValue returns a JSON value of any type, nested up to depth.
func randValue(r *rand.Rand, depth int) any {
	switch k := r.IntN(10); {
	case k < 3:
		return randString(r)
	case k < 5:
		return pick(r, randNumbers)
	case k == 5:
		return pick(r, []any{true, false})
	case k == 6:
		return null{}
	case k == 7 && depth > 0:
		n := r.IntN(4)
		l := make([]any, n)
		for i := range l {
			l[i] = randValue(r, depth-1)
		}
		return l
	case k == 8 && depth > 0:
		o := map[string]any{}
		for range r.IntN(4) {
			o[pick(r, []string{"name", "a", "b", "kubernetes.io", "x-y", "__dot__", "", "a.b", "a__dot__b", "x__dash__y", "a/b"})] = randValue(r, depth-1)
		}
		return o
	default:
		return randString(r)
	}
}

func randStringList(r *rand.Rand) []any {
	n := r.IntN(5)
	l := make([]any, n)
	for i := range l {
		l[i] = pick(r, []string{"a", "b", "admins", "evil", "", "a", "日本", "system:masters"})
	}
	return l
}

// genRandClaims draws a claim set for a token sent to cfg. The common
// claims are usually well-formed (a configured issuer and audience, a
// valid exp) so that most tokens reach the claim mappings.
func perturbations(r *rand.Rand) int {
	switch k := r.IntN(10); {
	case k < 7:
		return 0
	case k < 9:
		return 1
	default:
		return 2
	}
}

func genRandClaims(r *rand.Rand, env *randEnv, cfg []jwtauth.JWTAuthenticator, now time.Time) map[string]any {
	c := map[string]any{}
	target := pick(r, cfg)
	future, past := now.Add(time.Hour).Unix(), now.Add(-time.Hour).Unix()
	// Well-formed registered claims first.
	c["iss"] = target.Issuer.URL
	if chance(r, 0.7) {
		c["aud"] = pick(r, target.Issuer.Audiences)
	} else {
		l := []any{pick(r, target.Issuer.Audiences)}
		for range 1 + r.IntN(2) {
			l = append(l, pick(r, []any{pick(r, randAudPool), "z"}))
		}
		r.Shuffle(len(l), func(i, j int) { l[i], l[j] = l[j], l[i] })
		c["aud"] = l
	}
	c["exp"] = future
	if chance(r, 0.5) {
		c["iat"] = now.Add(-time.Minute).Unix()
	}
	if chance(r, 0.3) {
		c["nbf"] = now.Add(-time.Minute).Unix()
	}
	if chance(r, 0.9) {
		c["sub"] = pick(r, []string{"jane", "john", "system:admin", "UPPER", "Jane Doe"})
	}
	// Then, for a third of the tokens, one or two of them perturbed.
	for range perturbations(r) {
		switch r.IntN(7) {
		case 0: // iss
			switch r.IntN(4) {
			case 0:
				c["iss"] = pick(r, env.issuers).URL
			case 1:
				c["iss"] = target.Issuer.URL + "/"
			case 2:
				delete(c, "iss")
			default:
				c["iss"] = randValue(r, 1)
			}
		case 1: // aud
			switch r.IntN(6) {
			case 0:
				c["aud"] = pick(r, randAudPool)
			case 1:
				c["aud"] = []any{}
			case 2:
				delete(c, "aud")
			case 3:
				c["aud"] = []any{pick(r, target.Issuer.Audiences), pick(r, []any{null{}, num("1"), "", true, []any{}})}
			default:
				c["aud"] = randValue(r, 1)
			}
		case 2: // exp: never near now (the two sides read the clock at different times)
			c["exp"] = pick(r, []any{float64(future) + 0.7, strconv.FormatInt(future, 10), num(fmt.Sprintf("%de0", future)),
				num(fmt.Sprintf("%d.000", future)), past, num("1e10"), num("9999999999999"), num("1e300"), num("4102444800.0"),
				nil, randValue(r, 1), float64(future) + 0.5, num("1e21"), num("9223372036854775807"), num("-1e19"), num("1e17"), strconv.FormatInt(past, 10), " " + strconv.FormatInt(future, 10)})
		case 3, 4: // nbf, iat
			name := pick(r, []string{"nbf", "iat"})
			c[name] = pick(r, []any{now.Add(time.Hour).Unix(), now.Add(30 * time.Second).Unix(), now.Add(5 * time.Minute).Unix(),
				num("1.7e9"), num("0"), num("-1"), strconv.FormatInt(past, 10), float64(past) + 0.25, randValue(r, 1), nil,
				num("1e21"), num("9223372036854775807"), num("-1e19"), "1e21", num("1e400")})
		case 5: // sub
			c["sub"] = randValue(r, 2)
		default: // nonce, at_hash, azp, _claim_names (read by go-oidc / kube)
			c[pick(r, []string{"nonce", "at_hash", "azp", "_claim_names", "_claim_sources"})] = randValue(r, 1)
		}
	}
	for k, v := range c {
		if v == nil {
			delete(c, k)
		}
	}
	// Usually, give the claims the configuration reads a value of the
	// type it expects, so that most tokens reach the end of the mappings.
	custom := genRandCustomClaims(r)
	if chance(r, 0.75) {
		for _, name := range referencedClaims(target) {
			if _, reg := c[name]; reg && (name == "sub" || name == "aud" || name == "exp" || name == "iss") {
				continue
			}
			if v, ok := wellTyped(r, name, target); ok {
				custom[name] = v
			}
		}
	}
	for k, v := range custom {
		c[k] = v
	}
	return c
}

var claimRef = regexp.MustCompile(`claims\.(?:\?)?([A-Za-z_][A-Za-z0-9_]*)`)

// referencedClaims lists the claims a's mappings and rules read.
func referencedClaims(a jwtauth.JWTAuthenticator) []string {
	var names []string
	m := a.ClaimMappings
	exprs := []string{m.Username.Expression, m.Groups.Expression, m.UID.Expression}
	for _, cl := range []string{m.Username.Claim, m.Groups.Claim, m.UID.Claim} {
		if cl != "" {
			names = append(names, cl)
		}
	}
	for _, x := range m.Extra {
		exprs = append(exprs, x.ValueExpression)
	}
	for _, rl := range a.ClaimValidationRules {
		if rl.Claim != "" {
			names = append(names, rl.Claim)
		}
		exprs = append(exprs, rl.Expression)
	}
	for _, e := range exprs {
		for _, sm := range claimRef.FindAllStringSubmatch(e, -1) {
			names = append(names, sm[1])
		}
	}
	return names
}

// wellTyped returns a plausible, well-typed value for the claim name.
func wellTyped(r *rand.Rand, name string, a jwtauth.JWTAuthenticator) (any, bool) {
	for _, rl := range a.ClaimValidationRules {
		if rl.Claim == name && chance(r, 0.7) {
			return rl.RequiredValue, true
		}
	}
	if (name == a.ClaimMappings.Username.Claim || name == a.ClaimMappings.UID.Claim) && chance(r, 0.8) {
		return pick(r, []string{"jane", "jdoe", "a@b", "日本", "x:y", "jane@example.com", "1000", "e\u0301"}), true
	}
	if name == a.ClaimMappings.Groups.Claim {
		if chance(r, 0.7) {
			return randStringList(r), true
		}
		return pick(r, []string{"a", "admins", ""}), true
	}
	switch name {
	case "num", "big":
		return pick(r, randNumbers), true
	case "groups":
		return randStringList(r), true
	case "obj":
		o := map[string]any{"name": pick(r, []string{"x", "y", "日本"})}
		for range r.IntN(3) {
			o[pick(r, []string{"a.b", "a__dot__b", "x-y", "x__dash__y", "__dot__", "k"})] = pick(r, []any{"v", true, num("1")})
		}
		return o, true
	case "nested":
		return map[string]any{"a": map[string]any{"b": pick(r, []bool{true, false})}}, true
	case "email_verified":
		return pick(r, []bool{true, true, false}), true
	case "kubernetes__dot__io":
		return nil, false // set by genRandCustomClaims
	case "iat", "nbf":
		return time.Now().Add(-time.Minute).Unix(), true
	case "iss", "aud", "exp":
		return nil, false
	case "roles":
		return pick(r, []string{"a,b", "a", "admins,evil"}), true
	case "tenant":
		return pick(r, []string{"acme", "acme", "other"}), true
	case "long":
		return strings.Repeat("x", 1+r.IntN(3000)), true
	case "uni":
		return pick(r, []string{"héllo", "日本語テキスト", "😀😀", "e\u0301"}), true
	}
	return pick(r, []string{"jane", "jdoe", "a@b", "日本", "x:y", "jane@example.com"}), true
}

func genRandCustomClaims(r *rand.Rand) map[string]any {
	c := map[string]any{}
	// email, email_verified
	if chance(r, 0.6) {
		if chance(r, 0.8) {
			c["email"] = pick(r, []string{"jane@example.com", "j@x", ""})
		} else {
			c["email"] = randValue(r, 1)
		}
	}
	if chance(r, 0.6) {
		switch k := r.IntN(10); {
		case k < 5:
			c["email_verified"] = true
		case k < 7:
			c["email_verified"] = false
		default:
			c["email_verified"] = pick(r, []any{"true", null{}, num("1"), "false", []any{true}})
		}
	}
	// groups, roles, g
	if chance(r, 0.7) {
		if chance(r, 0.7) {
			c["groups"] = randStringList(r)
		} else {
			c["groups"] = randValue(r, 2)
		}
	}
	if chance(r, 0.4) {
		c["roles"] = pick(r, []any{"a,b", "a", "", ",", randValue(r, 1)})
	}
	if chance(r, 0.2) {
		c["g"] = randValue(r, 2)
	}
	// jti
	switch r.IntN(6) {
	case 0, 1:
	case 2, 3:
		c["jti"] = pick(r, []string{"abc", "", "日本"})
	default:
		c["jti"] = randValue(r, 1)
	}
	// numbers and other custom claims
	for _, name := range []string{"num", "big"} {
		if chance(r, 0.6) {
			if chance(r, 0.8) {
				c[name] = pick(r, randNumbers)
			} else {
				c[name] = randValue(r, 1)
			}
		}
	}
	if chance(r, 0.5) {
		c["tenant"] = pick(r, []any{"acme", "other", randValue(r, 1)})
	}
	if chance(r, 0.3) {
		c["hd"] = pick(r, []any{"acme", "x", "evil.example", randValue(r, 1)})
	}
	if chance(r, 0.4) {
		c["name"] = randValue(r, 1)
	}
	if chance(r, 0.3) {
		c["u"] = randValue(r, 1)
	}
	if chance(r, 0.4) {
		c["preferred_username"] = pick(r, []any{"jdoe", "", randValue(r, 1)})
	}
	if chance(r, 0.4) {
		c["oid"] = pick(r, []any{"00000000-0000-0000-0000-000000000001", "", randValue(r, 1)})
	}
	if chance(r, 0.5) {
		if chance(r, 0.6) {
			c["obj"] = map[string]any{"name": pick(r, []any{"x", "y", randValue(r, 1)})}
		} else {
			c["obj"] = randValue(r, 2)
		}
	}
	if chance(r, 0.3) {
		c["nested"] = map[string]any{"a": map[string]any{"b": randValue(r, 1)}}
	}
	if chance(r, 0.5) {
		c["uni"] = pick(r, []any{"héllo", "日本語テキスト", "😀😀", "e\u0301", "\u0000", randString(r)})
	}
	if chance(r, 0.15) {
		c["long"] = strings.Repeat("x", 1+r.IntN(20000))
	}
	if chance(r, 0.2) {
		c["kubernetes.io"] = pick(r, []any{map[string]any{"ns": "default"}, randValue(r, 2)})
	}
	if chance(r, 0.1) {
		c[pick(r, []string{"x-y", "", "日本", "a.b", "__dot__", "a__dot__b", "x__dash__y"})] = randValue(r, 2)
	}
	if chance(r, 0.3) {
		c[pick(r, []string{"x-y", "a.b", "x__dash__y", "a__dot__b"})] = pick(r, []any{"v", "evil", randValue(r, 1)})
	}
	return c
}

// ---------------------------------------------------------------------------
// The two sides, built once per configuration.

type randPair struct {
	kube   k8sauth.Token
	ours   *jwtauth.Authenticator
	cancel context.CancelFunc
}

func (p *randPair) close() {
	if p.cancel != nil {
		p.cancel()
	}
	if p.ours != nil {
		_ = p.ours.Close()
	}
}

// buildRandPair validates cfg on both sides and builds both
// authenticators. validErr reports a validation disagreement; both-invalid
// returns (nil, nil, true).
func buildRandPair(t *testing.T, env *randEnv, compiler authcel.Compiler, cfg []jwtauth.JWTAuthenticator) (p *randPair, disagree error, bothInvalid bool) {
	kcfg := &api.AuthenticationConfiguration{}
	for _, a := range cfg {
		kcfg.JWT = append(kcfg.JWT, toK8s(a))
	}
	kubeErr := validation.ValidateAuthenticationConfiguration(compiler, kcfg, nil).ToAggregate()
	ocfg := &jwtauth.AuthenticationConfiguration{APIVersion: jwtauth.APIVersionV1, Kind: jwtauth.Kind, JWT: cfg}
	ourErr := jwtauth.ValidateConfig(ocfg, jwtauth.ValidateOptions{})
	if (kubeErr == nil) != (ourErr == nil) {
		return nil, fmt.Errorf("validation differs\n kube: %v\n ours: %v", kubeErr, ourErr), false
	}
	if kubeErr != nil {
		if os.Getenv("STRUCTAUTH_DIFF_DEBUG") != "" {
			t.Logf("both invalid: %v", kubeErr)
		}
		return nil, nil, true
	}
	ctx, cancel := context.WithCancel(context.Background())
	p = &randPair{cancel: cancel}
	var kubes []k8sauth.Token
	for _, a := range cfg {
		k, err := k8soidc.New(ctx, k8soidc.Options{JWTAuthenticator: toK8s(a), Client: env.client,
			SupportedSigningAlgs: k8soidc.AllValidSigningAlgorithms()})
		if err != nil {
			p.close()
			t.Fatalf("kube New after passing validation: %v", err)
		}
		deadline := time.Now().Add(20 * time.Second)
		for k.HealthCheck() != nil {
			if time.Now().After(deadline) {
				p.close()
				t.Fatalf("kube authenticator not healthy: %v", k.HealthCheck())
			}
			time.Sleep(5 * time.Millisecond)
		}
		kubes = append(kubes, k)
	}
	// kube-apiserver puts its JWT authenticators in a token union
	// (first success wins, errors aggregated).
	p.kube = tokenunion.New(kubes...)
	ours, err := jwtauth.New(context.Background(), ocfg, jwtauth.Options{HTTPClient: env.client})
	if err != nil {
		p.close()
		return nil, fmt.Errorf("ours: New failed on a valid configuration: %v", err), false
	}
	p.ours = ours
	return p, nil, false
}

func (p *randPair) authenticate(tok string) (kube, ours *normUser, kubeErr, ourErr error) {
	ctx := context.Background()
	resp, ok, err := p.kube.AuthenticateToken(ctx, tok)
	switch {
	case err != nil:
		kubeErr = err
	case !ok:
		kubeErr = fmt.Errorf("not handled")
	default:
		u := resp.User
		kube = norm(u.GetName(), u.GetUID(), u.GetGroups(), u.GetExtra())
	}
	u, err := p.ours.Authenticate(ctx, tok)
	if err != nil {
		ourErr = err
	} else {
		ours = norm(u.Username, u.UID, u.Groups, u.Extra)
	}
	return
}

// ---------------------------------------------------------------------------
// Deliberate, documented strictness (README "Where structauth is
// deliberately stricter", SECURITY.md table): a token for which one of
// these holds may be rejected by structauth and accepted by kube.

type strictness struct {
	name string
	// holds reports whether the claim set (as signed) falls under the
	// documented strictness.
	holds func(payload []byte) bool
}

var documentedStrictness = []strictness{
	// "tokens over 128 KiB": the long claims can push a token past
	// Options.MaxTokenSize (kube is bounded only by its 1 MiB header limit).
	{"token over 128 KiB", func(payload []byte) bool { return len(payload)*4/3+1024 > 128<<10 }},
}

// ---------------------------------------------------------------------------
// Known, unexplained discrepancies not fixed yet (the library is wrong,
// kube is the reference). Each has a minimized reproduction; a random
// discrepancy that matches is logged rather than reported as an error,
// and TestDifferentialRandomKnown checks that each reproduction still
// differs (when one stops differing, remove it from this list).

type knownDiff struct {
	name   string
	why    string
	cfg    func(a *jwtauth.JWTAuthenticator) // over iss.Authenticator("my-client") with username sub, prefix ""
	claims map[string]any                    // merged over the defaults of diffCases; nil deletes
	// match reports whether a random discrepancy is (probably) this one.
	match func(cfg []jwtauth.JWTAuthenticator, claims map[string]any) bool
}

var knownRandomDiffs = []knownDiff{
	// Empty. Fixed so far: an nbf or iat beyond time.Unix's range (1e21,
	// 2^63-1) was refused by structauth and accepted by kube (go-oidc v2
	// reads it as the distant past); the repros are now diffCases
	// ("nbf out of range", "iat out of range", ...).
}

// dateOutOfRange reports whether v, a NumericDate claim as signed, is a
// number (or a string holding one) that go-oidc v2 decodes but that does
// not fit an int64 of seconds time.Unix can represent.
func dateOutOfRange(v any) bool {
	if v == nil {
		return false
	}
	b, err := json.Marshal(v)
	if err != nil {
		return false
	}
	var n json.Number
	if json.Unmarshal(b, &n) != nil {
		return false
	}
	if i, err := n.Int64(); err == nil {
		return i > 1<<63-1-62135596800
	}
	f, err := n.Float64()
	if err != nil {
		return false // go-oidc fails too
	}
	return !(f >= -(1<<63) && f < 1<<63) || int64(f) > 1<<63-1-62135596800
}

// ---------------------------------------------------------------------------

func TestDifferentialRandom(t *testing.T) {
	seed := diffRandomSeed(t)
	n := *diffN
	if n <= 0 {
		n = defaultDiffConfigs
		if testing.Short() {
			n = 20
		}
	}
	env := &randEnv{}
	pool := x509.NewCertPool()
	for i := range 3 {
		iss, err := jwtauthtest.NewIssuer(jwtauthtest.IssuerOptions{Path: fmt.Sprintf("/rand%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		defer iss.Close()
		env.issuers = append(env.issuers, iss)
		if !pool.AppendCertsFromPEM([]byte(iss.CertificateAuthority())) {
			t.Fatal("bad issuer certificate")
		}
	}
	env.client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	compiler := authcel.NewDefaultCompiler()

	start := time.Now()
	var st struct {
		configs, bothInvalid, valid, tokens, accepted, bothRejected, agree, differ, known, strict, cfgDiffer int
	}
	for i := range n {
		if *diffOnly >= 0 && i != *diffOnly {
			continue
		}
		r := rand.New(rand.NewPCG(uint64(seed), uint64(i)))
		cfg := genRandConfig(r, env)
		st.configs++
		p, disagree, bothInvalid := buildRandPair(t, env, compiler, cfg)
		if disagree != nil {
			st.cfgDiffer++
			t.Errorf("seed %d config %d: %v\n config: %s", seed, i, disagree, cfgJSON(cfg))
			continue
		}
		if bothInvalid {
			st.bothInvalid++
			continue
		}
		st.valid++
		now := time.Now()
		for j := range diffTokensPerCfg {
			claims := genRandClaims(r, env, cfg, now)
			alg := pick(r, randAlgs)
			payload, err := json.Marshal(claims)
			if err != nil {
				t.Fatal(err)
			}
			iss := env.issuers[0]
			for _, is := range env.issuers {
				if s, _ := claims["iss"].(string); strings.HasPrefix(s, is.URL) {
					iss = is
				}
			}
			tok, err := iss.Sign(alg, claims)
			if err != nil {
				t.Fatal(err)
			}
			st.tokens++
			ku, ou, kerr, oerr := p.authenticate(tok)
			if iteratesObjectKeys(cfg) {
				sortGroups(ku)
				sortGroups(ou)
			}
			if (kerr == nil) == (oerr == nil) && (kerr != nil || reflect.DeepEqual(ku, ou)) {
				st.agree++
				if kerr == nil {
					st.accepted++
				} else {
					st.bothRejected++
					if os.Getenv("STRUCTAUTH_DIFF_DEBUG") != "" {
						t.Logf("both reject: kube: %v", truncate(kerr.Error(), 150))
					}
				}
				continue
			}
			if kerr == nil && oerr != nil {
				if s := strictnessFor(payload); s != "" {
					st.strict++
					continue
				}
			}
			// Every known discrepancy so far is kube accepting what structauth rejects.
			if k := knownFor(cfg, claims); k != "" && kerr == nil && oerr != nil {
				st.known++
				t.Logf("seed %d config %d token %d: known discrepancy %q", seed, i, j, k)
				continue
			}
			st.differ++
			t.Errorf("seed %d config %d token %d (%s): decisions differ\n kube: %+v err=%v\n ours: %+v err=%v\n config: %s\n claims: %s",
				seed, i, j, alg, ku, kerr, ou, oerr, cfgJSON(cfg), truncate(string(payload), 4000))
		}
		p.close()
	}
	t.Logf("seed %d: %d configurations (%d invalid on both sides, %d valid, %d validation disagreements); %d tokens: %d agree (%d accepted by both, %d rejected by both), %d differ, %d known, %d documented strictness; %v",
		seed, st.configs, st.bothInvalid, st.valid, st.cfgDiffer, st.tokens, st.agree, st.accepted, st.bothRejected, st.differ, st.known, st.strict, time.Since(start).Round(time.Millisecond))
}

// iteratesObjectKeys: a groups expression that iterates over the keys of
// a nested JSON object (dyn(claims.obj).map(k, k)) yields them in Go map
// order in kube-apiserver (lazy.MapValue over map[string]any), which is
// random from call to call, so only the set of groups is comparable
// (SECURITY.md, "What the fuzzers found": only top-level claims have a
// fixed order). Any claim can be an object in these claim sets (seed 15
// made "groups" one, and dyn(claims.groups).map(g, string(g)) then
// differed in order one run in two), so every map or filter counts.
// Extra values are compared sorted anyway (norm).
func iteratesObjectKeys(cfg []jwtauth.JWTAuthenticator) bool {
	for _, a := range cfg {
		if e := a.ClaimMappings.Groups.Expression; strings.Contains(e, ".map(") || strings.Contains(e, ".filter(") {
			return true
		}
	}
	return false
}

func sortGroups(u *normUser) {
	if u != nil {
		u.Groups = append([]string(nil), u.Groups...)
		sort.Strings(u.Groups)
	}
}

func strictnessFor(payload []byte) string {
	for _, s := range documentedStrictness {
		if s.holds(payload) {
			return s.name
		}
	}
	return ""
}

func knownFor(cfg []jwtauth.JWTAuthenticator, claims map[string]any) string {
	for _, k := range knownRandomDiffs {
		if k.match(cfg, claims) {
			return k.name
		}
	}
	return ""
}

// TestDifferentialRandomKnown replays the minimized reproduction of every
// known discrepancy: it must still differ (else remove it from
// knownRandomDiffs, and consider adding it to diffCases).
func TestDifferentialRandomKnown(t *testing.T) {
	if len(knownRandomDiffs) == 0 {
		t.Skip("no known discrepancies")
	}
	iss, err := jwtauthtest.NewIssuer(jwtauthtest.IssuerOptions{Path: "/known"})
	if err != nil {
		t.Fatal(err)
	}
	defer iss.Close()
	for _, k := range knownRandomDiffs {
		t.Run(k.name, func(t *testing.T) {
			cfg := iss.Authenticator("my-client")
			if k.cfg != nil {
				k.cfg(&cfg)
			}
			claims := diffClaims(iss, k.claims)
			tok, err := iss.Sign("RS256", claims)
			if err != nil {
				t.Fatal(err)
			}
			ku, kerr := kubeAuthenticate(t, iss, cfg, tok)
			ou, oerr := ourAuthenticate(t, iss, cfg, tok)
			if (kerr == nil) != (oerr == nil) || (kerr == nil && !reflect.DeepEqual(ku, ou)) {
				t.Logf("still differs (%s)\n kube: %+v err=%v\n ours: %+v err=%v", k.why, ku, kerr, ou, oerr)
				return
			}
			t.Errorf("known discrepancy %q no longer reproduces (kube err=%v, ours err=%v): remove it from knownRandomDiffs", k.name, kerr, oerr)
		})
	}
}

func cfgJSON(cfg []jwtauth.JWTAuthenticator) string {
	b, _ := json.Marshal(cfg)
	return string(b)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + fmt.Sprintf("…(%d bytes)", len(s))
}
