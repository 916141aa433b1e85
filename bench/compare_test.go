// Package bench measures structauth side by side with kube-apiserver's JWT
// authenticator (k8s.io/apiserver/plugin/pkg/authenticator/token/oidc),
// go-oidc v3 and the bare signature check, on identical tokens and an
// identical configuration. It is a separate module so that those peers
// never enter the library's own dependencies. Run ./run.sh.
package bench

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	k8sapi "k8s.io/apiserver/pkg/apis/apiserver"
	k8sauth "k8s.io/apiserver/pkg/authentication/authenticator"
	k8scache "k8s.io/apiserver/pkg/authentication/token/cache"
	k8soidc "k8s.io/apiserver/plugin/pkg/authenticator/token/oidc"

	"github.com/structauth/structauth/jwtauth"
	"github.com/structauth/structauth/jwtauth/jwtauthtest"
	"github.com/structauth/structauth/jwtauth/tokencache"
)

var allAlgs = []string{"ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "RS256", "RS384", "RS512"}

// policy is one configuration benchmarked on every implementation.
type policy struct {
	name string
	cfg  func(iss *jwtauthtest.Issuer) jwtauth.JWTAuthenticator
}

var policies = []policy{
	{"claim-mapping", func(iss *jwtauthtest.Issuer) jwtauth.JWTAuthenticator {
		a := iss.Authenticator("my-client")
		p := "oidc:"
		a.ClaimMappings.Username = jwtauth.PrefixedClaimOrExpression{Claim: "sub", Prefix: &p}
		a.ClaimMappings.Groups = jwtauth.PrefixedClaimOrExpression{Claim: "groups", Prefix: &p}
		return a
	}},
	{"cel-policy", func(iss *jwtauthtest.Issuer) jwtauth.JWTAuthenticator {
		a := iss.Authenticator("my-client")
		a.ClaimValidationRules = []jwtauth.ClaimValidationRule{
			{Expression: "claims.?tenant.orValue('') == 'acme'", Message: "tenant"},
			{Expression: "claims.exp - claims.iat <= 86400", Message: "lifetime"},
		}
		a.ClaimMappings = jwtauth.ClaimMappings{
			Username: jwtauth.PrefixedClaimOrExpression{Expression: "'oidc:' + claims.sub"},
			Groups:   jwtauth.PrefixedClaimOrExpression{Expression: "dyn(claims.groups).map(g, 'oidc:' + g)"},
		}
		a.UserValidationRules = []jwtauth.UserValidationRule{{Expression: "!user.username.startsWith('oidc:system:')"}}
		return a
	}},
}

func tokenClaims(iss *jwtauthtest.Issuer) map[string]any {
	now := time.Now()
	groups := make([]string, 20)
	for i := range groups {
		groups[i] = fmt.Sprintf("group-%02d", i)
	}
	return map[string]any{
		"iss": iss.URL, "aud": "my-client", "sub": "jane", "tenant": "acme", "groups": groups,
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(24 * time.Hour).Unix(),
		"email": "jane@example.com", "email_verified": true, "name": "Jane Doe",
	}
}

// toK8s converts our configuration struct into kube-apiserver's internal one.
func toK8s(a jwtauth.JWTAuthenticator) k8sapi.JWTAuthenticator {
	var out k8sapi.JWTAuthenticator
	out.Issuer = k8sapi.Issuer{URL: a.Issuer.URL, DiscoveryURL: a.Issuer.DiscoveryURL, Audiences: a.Issuer.Audiences,
		AudienceMatchPolicy: k8sapi.AudienceMatchPolicyType(a.Issuer.AudienceMatchPolicy)}
	for _, r := range a.ClaimValidationRules {
		out.ClaimValidationRules = append(out.ClaimValidationRules, k8sapi.ClaimValidationRule{
			Claim: r.Claim, RequiredValue: r.RequiredValue, Expression: r.Expression, Message: r.Message})
	}
	m := a.ClaimMappings
	out.ClaimMappings.Username = k8sapi.PrefixedClaimOrExpression{Claim: m.Username.Claim, Prefix: m.Username.Prefix, Expression: m.Username.Expression}
	out.ClaimMappings.Groups = k8sapi.PrefixedClaimOrExpression{Claim: m.Groups.Claim, Prefix: m.Groups.Prefix, Expression: m.Groups.Expression}
	out.ClaimMappings.UID = k8sapi.ClaimOrExpression{Claim: m.UID.Claim, Expression: m.UID.Expression}
	for _, x := range m.Extra {
		out.ClaimMappings.Extra = append(out.ClaimMappings.Extra, k8sapi.ExtraMapping{Key: x.Key, ValueExpression: x.ValueExpression})
	}
	for _, r := range a.UserValidationRules {
		out.UserValidationRules = append(out.UserValidationRules, k8sapi.UserValidationRule{Expression: r.Expression, Message: r.Message})
	}
	return out
}

type impl struct {
	name string
	auth func(ctx context.Context, token string) (string, error)
}

// buildOurs builds structauth's authenticator for a.
func buildOurs(b *testing.B, iss *jwtauthtest.Issuer, a jwtauth.JWTAuthenticator) *jwtauth.Authenticator {
	a.Issuer.CertificateAuthority = ""
	auth, err := jwtauth.New(context.Background(), &jwtauth.AuthenticationConfiguration{
		APIVersion: jwtauth.APIVersionV1, Kind: jwtauth.Kind, JWT: []jwtauth.JWTAuthenticator{a}},
		jwtauth.Options{HTTPClient: iss.Client()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = auth.Close() })
	return auth
}

// oursImpl adapts anything with our Authenticate signature.
func oursImpl(auth jwtauth.TokenAuthenticator) impl {
	return impl{"structauth", func(ctx context.Context, tok string) (string, error) {
		u, err := auth.Authenticate(ctx, tok)
		if err != nil {
			return "", err
		}
		return u.Username, nil
	}}
}

func newOurs(b *testing.B, iss *jwtauthtest.Issuer, a jwtauth.JWTAuthenticator) impl {
	return oursImpl(buildOurs(b, iss, a))
}

// newOursCached is ours behind tokencache with its defaults.
func newOursCached(b *testing.B, iss *jwtauthtest.Issuer, a jwtauth.JWTAuthenticator) impl {
	c, err := tokencache.New(buildOurs(b, iss, a), tokencache.Options{})
	if err != nil {
		b.Fatal(err)
	}
	return oursImpl(c)
}

func newKube(b *testing.B, iss *jwtauthtest.Issuer, a jwtauth.JWTAuthenticator) impl {
	return kubeImpl(newKubeToken(b, iss, a))
}

// newKubeToken builds kube-apiserver's JWT authenticator and waits until
// it has fetched the issuer's keys.
func newKubeToken(b *testing.B, iss *jwtauthtest.Issuer, a jwtauth.JWTAuthenticator) k8sauth.Token {
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	auth, err := k8soidc.New(ctx, k8soidc.Options{
		JWTAuthenticator:     toK8s(a),
		Client:               iss.Client(),
		SupportedSigningAlgs: k8soidc.AllValidSigningAlgorithms(),
	})
	if err != nil {
		b.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for auth.HealthCheck() != nil {
		if time.Now().After(deadline) {
			b.Fatalf("kube authenticator not healthy: %v", auth.HealthCheck())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return auth
}

func kubeImpl(auth k8sauth.Token) impl {
	return impl{"kube-apiserver", func(ctx context.Context, tok string) (string, error) {
		resp, ok, err := auth.AuthenticateToken(ctx, tok)
		if err != nil {
			return "", err
		}
		if !ok {
			return "", fmt.Errorf("not handled")
		}
		return resp.User.GetName(), nil
	}}
}

func newGoOIDC(b *testing.B, iss *jwtauthtest.Issuer) impl {
	ctx := gooidc.ClientContext(context.Background(), iss.Client())
	p, err := gooidc.NewProvider(ctx, iss.URL)
	if err != nil {
		b.Fatal(err)
	}
	v := p.Verifier(&gooidc.Config{ClientID: "my-client", SupportedSigningAlgs: allAlgs})
	return impl{"go-oidc", func(ctx context.Context, tok string) (string, error) {
		t, err := v.Verify(gooidc.ClientContext(ctx, iss.Client()), tok)
		if err != nil {
			return "", err
		}
		var c map[string]any
		if err := t.Claims(&c); err != nil {
			return "", err
		}
		return "oidc:" + t.Subject, nil
	}}
}

// rawVerifier returns the bare signature check of the token's signing
// input with the issuer's public key: the floor.
func rawVerifier(b *testing.B, iss *jwtauthtest.Issuer, alg, tok string) impl {
	parts := strings.Split(tok, ".")
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		b.Fatal(err)
	}
	input := parts[0] + "." + parts[1]
	pub := iss.PublicKey(alg)
	return impl{"raw-verify", func(ctx context.Context, _ string) (string, error) {
		d := sha256.Sum256([]byte(input))
		switch alg {
		case "RS256":
			return "", rsa.VerifyPKCS1v15(pub.(*rsa.PublicKey), crypto.SHA256, d[:], sig)
		case "PS256":
			return "", rsa.VerifyPSS(pub.(*rsa.PublicKey), crypto.SHA256, d[:], sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		default:
			r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
			if !ecdsa.Verify(pub.(*ecdsa.PublicKey), d[:], r, s) {
				return "", fmt.Errorf("bad signature")
			}
			return "", nil
		}
	}}
}

func run(b *testing.B, im impl, tok string, wantErr bool) {
	ctx := context.Background()
	if _, err := im.auth(ctx, tok); (err != nil) != wantErr {
		b.Fatalf("%s: unexpected result: %v", im.name, err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		_, _ = im.auth(ctx, tok)
	}
}

// BenchmarkCompare/<policy>/<alg>/<impl>: one token, every implementation.
func BenchmarkCompare(b *testing.B) {
	iss, err := jwtauthtest.NewIssuer(jwtauthtest.IssuerOptions{Path: "/bench"})
	if err != nil {
		b.Fatal(err)
	}
	defer iss.Close()
	for _, p := range policies {
		for _, alg := range []string{"RS256", "ES256", "PS256"} {
			tok, err := iss.Sign(alg, tokenClaims(iss))
			if err != nil {
				b.Fatal(err)
			}
			impls := []impl{rawVerifier(b, iss, alg, tok), newOurs(b, iss, p.cfg(iss)), newKube(b, iss, p.cfg(iss))}
			if p.name == "claim-mapping" {
				impls = append(impls, newGoOIDC(b, iss))
			}
			for _, im := range impls {
				b.Run(fmt.Sprintf("%s/%s/%s", p.name, alg, im.name), func(b *testing.B) { run(b, im, tok, false) })
			}
		}
	}
	// Rejections that must stay cheap: unknown issuer and malformed tokens.
	other, _ := json.Marshal(map[string]any{"iss": "https://elsewhere.example", "aud": "my-client"})
	unknown := "eyJhbGciOiJSUzI1NiJ9." + base64.RawURLEncoding.EncodeToString(other) + ".c2ln"
	for _, im := range []impl{newOurs(b, iss, policies[0].cfg(iss)), newKube(b, iss, policies[0].cfg(iss))} {
		b.Run("unknown-issuer/"+im.name, func(b *testing.B) { run(b, im, unknown, true) })
		b.Run("malformed/"+im.name, func(b *testing.B) { run(b, im, "not-a-token", true) })
	}
	// A repeated token: both sides put their token cache in front (kube's
	// is what kube-apiserver wraps its token authenticators in, with a 10 s
	// success TTL and failures not cached; ours has the same defaults).
	hit, _ := iss.Sign("RS256", tokenClaims(iss))
	for _, im := range []impl{newOursCached(b, iss, policies[1].cfg(iss)),
		kubeImpl(k8scache.New(newKubeToken(b, iss, policies[1].cfg(iss)), false, 10*time.Second, 0))} {
		b.Run("cache-hit/cel-policy/RS256/"+im.name, func(b *testing.B) { run(b, im, hit, false) })
	}
	// Throughput on all cores.
	tok, _ := iss.Sign("RS256", tokenClaims(iss))
	// The bare signature check in parallel shows what the machine's cores
	// allow (shared vCPUs rarely give a full 2x).
	for _, im := range []impl{rawVerifier(b, iss, "RS256", tok), newOurs(b, iss, policies[1].cfg(iss)), newKube(b, iss, policies[1].cfg(iss))} {
		b.Run("parallel/cel-policy/RS256/"+im.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := im.auth(context.Background(), tok); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
