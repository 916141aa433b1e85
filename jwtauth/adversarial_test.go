package jwtauth_test

// The adversarial suite: every case of groups A (token format), B (header),
// C (signature) and D (claims) of the security catalogue
// (spec/security.md §3), as real tokens signed with real keys and sent
// through a configured Authenticator whose issuers are real TLS servers.
// The bar is zero false accepts: every variant must be rejected with the
// expected Check, except the variants marked as accepted by design, each
// with the reason (almost always: kube-apiserver accepts the same token,
// which is signed by the issuer, and we keep its decision).
//
// The cases live in adversarial_{format,header,signature,claims}_test.go;
// this file has the fixture (issuers serving keys whose private halves the
// tests hold, so arbitrary header and payload bytes can be signed) and
// the runner.

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/json"
	"fmt"
	"hash"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/structauth/structauth/internal/jose"
	"github.com/structauth/structauth/jwtauth"
	"github.com/structauth/structauth/jwtauth/jwtauthtest"
)

// advKeys are the suite's private keys, generated once per test binary.
type advKeys struct {
	rsa       *rsa.PrivateKey // "rsa-a": primary issuer, no JWK alg
	rsaPinned *rsa.PrivateKey // "rsa-pinned": primary issuer, JWK alg RS256
	p256      *ecdsa.PrivateKey
	p384      *ecdsa.PrivateKey
	p521      *ecdsa.PrivateKey
	other     *rsa.PrivateKey // "rsa-b": the second issuer's only key
	attacker  *rsa.PrivateKey // published nowhere
	attackEC  *ecdsa.PrivateKey
}

var loadAdvKeys = sync.OnceValues(func() (*advKeys, error) {
	var k advKeys
	var err error
	for _, p := range []**rsa.PrivateKey{&k.rsa, &k.rsaPinned, &k.other, &k.attacker} {
		if *p, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			return nil, err
		}
	}
	for _, c := range []struct {
		p     **ecdsa.PrivateKey
		curve elliptic.Curve
	}{{&k.p256, elliptic.P256()}, {&k.p384, elliptic.P384()}, {&k.p521, elliptic.P521()}, {&k.attackEC, elliptic.P256()}} {
		if *c.p, err = ecdsa.GenerateKey(c.curve, rand.Reader); err != nil {
			return nil, err
		}
	}
	return &k, nil
})

// advFixture is the suite's world: the primary issuer (URL without a
// trailing slash, four keys), a second issuer whose URL ends in "/" and
// which publishes one key, and an Authenticator trusting both for the
// audience "my-client", with the username taken from the "username" claim.
type advFixture struct {
	keys    *advKeys
	primary *jwtauthtest.Issuer
	other   *jwtauthtest.Issuer
	auth    *jwtauth.Authenticator
}

func newAdvFixture(t *testing.T) *advFixture {
	t.Helper()
	keys, err := loadAdvKeys()
	require.NoError(t, err)
	f := &advFixture{keys: keys}
	f.primary, err = jwtauthtest.NewIssuer(jwtauthtest.IssuerOptions{})
	require.NoError(t, err)
	t.Cleanup(f.primary.Close)
	f.other, err = jwtauthtest.NewIssuer(jwtauthtest.IssuerOptions{Path: "/other/"})
	require.NoError(t, err)
	t.Cleanup(f.other.Close)
	f.primary.SetJWKSHandler(serveJWKS(t,
		jwkOf(t, &keys.rsa.PublicKey, "rsa-a", ""),
		jwkOf(t, &keys.rsaPinned.PublicKey, "rsa-pinned", "RS256"),
		jwkOf(t, &keys.p256.PublicKey, "p256-a", ""),
		jwkOf(t, &keys.p384.PublicKey, "p384-a", ""),
		jwkOf(t, &keys.p521.PublicKey, "p521-a", ""),
	))
	f.other.SetJWKSHandler(serveJWKS(t, jwkOf(t, &keys.other.PublicKey, "rsa-b", "")))
	f.auth = f.authenticator(t, nil, nil)
	// Fetch the keys now, so that no case pays for (or depends on) the
	// first fetch.
	require.NoError(t, f.auth.Ready(context.Background()))
	return f
}

// entry is the jwt[] entry for an issuer of the fixture.
func advEntry(iss *jwtauthtest.Issuer) jwtauth.JWTAuthenticator {
	a := iss.Authenticator("my-client")
	a.ClaimMappings.Username = jwtauth.PrefixedClaimOrExpression{Claim: "username", Prefix: ptr("")}
	return a
}

// authenticator builds an Authenticator for both issuers; config edits
// the primary issuer's entry and opts the options (both may be nil).
func (f *advFixture) authenticator(t *testing.T, config func(*jwtauth.JWTAuthenticator), opts func(*jwtauth.Options)) *jwtauth.Authenticator {
	t.Helper()
	primary := advEntry(f.primary)
	if config != nil {
		config(&primary)
	}
	o := jwtauth.Options{Now: func() time.Time { return testNow }}
	if opts != nil {
		opts(&o)
	}
	return newAuthenticator(t, o, primary, advEntry(f.other))
}

// jwkOf is the public JWK of pub.
func jwkOf(t *testing.T, pub crypto.PublicKey, kid, alg string) json.RawMessage {
	t.Helper()
	j, err := jose.PublicJWK(pub, kid, alg)
	require.NoError(t, err)
	return j
}

// serveJWKS serves a fixed key set built from raw JWKs.
func serveJWKS(t *testing.T, keys ...json.RawMessage) http.HandlerFunc {
	t.Helper()
	body, err := json.Marshal(map[string]any{"keys": keys})
	require.NoError(t, err)
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}
}

// claims returns the default claim set of the primary issuer with mods
// applied (a nil value deletes the claim).
func (f *advFixture) claims(mods map[string]any) map[string]any {
	c := map[string]any{
		"iss":      f.primary.URL,
		"aud":      "my-client",
		"sub":      "jane",
		"username": "jane",
		"iat":      testNow.Add(-time.Minute).Unix(),
		"exp":      testNow.Add(time.Hour).Unix(),
	}
	for k, v := range mods {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	return c
}

// payload is the JSON of f.claims(mods).
func (f *advFixture) payload(t *testing.T, mods map[string]any) string {
	t.Helper()
	b, err := json.Marshal(f.claims(mods))
	require.NoError(t, err)
	return string(b)
}

// hdr is a header JSON with alg, kid (omitted when empty) and typ JWT,
// plus raw extra members (`"x":1` fragments).
func hdr(alg, kid string, extra ...string) string {
	parts := []string{`"alg":` + jsonString(alg)}
	if kid != "" {
		parts = append(parts, `"kid":`+jsonString(kid))
	}
	parts = append(parts, `"typ":"JWT"`)
	parts = append(parts, extra...)
	return "{" + strings.Join(parts, ",") + "}"
}

// jsonString is s as a JSON string (Go's %q escapes are not JSON).
func jsonString(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// sigFor computes the JWS signature of input with key under alg, with the
// standard library only: RS* PKCS#1 v1.5, PS* PSS with salt = hash length,
// ES* R||S each padded to the curve size.
func sigFor(t *testing.T, alg string, key crypto.Signer, input string) []byte {
	t.Helper()
	h := hashFor(t, alg)
	hh := h.New()
	hh.Write([]byte(input))
	d := hh.Sum(nil)
	switch alg[:2] {
	case "RS":
		s, err := rsa.SignPKCS1v15(rand.Reader, key.(*rsa.PrivateKey), h, d)
		require.NoError(t, err)
		return s
	case "PS":
		s, err := rsa.SignPSS(rand.Reader, key.(*rsa.PrivateKey), h, d, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		require.NoError(t, err)
		return s
	case "ES":
		ek := key.(*ecdsa.PrivateKey)
		r, s, err := ecdsa.Sign(rand.Reader, ek, d)
		require.NoError(t, err)
		size := (ek.Curve.Params().BitSize + 7) / 8
		out := make([]byte, 2*size)
		r.FillBytes(out[:size])
		s.FillBytes(out[size:])
		return out
	}
	t.Fatalf("sigFor: unsupported alg %q", alg)
	return nil
}

func hashFor(t *testing.T, alg string) crypto.Hash {
	t.Helper()
	switch alg[2:] {
	case "256":
		return crypto.SHA256
	case "384":
		return crypto.SHA384
	case "512":
		return crypto.SHA512
	}
	t.Fatalf("hashFor: unsupported alg %q", alg)
	return 0
}

// digestOf hashes s with h (SHA-256/384/512).
func digestOf(h crypto.Hash, s string) []byte {
	var hh hash.Hash
	switch h {
	case crypto.SHA256:
		hh = sha256.New()
	case crypto.SHA384:
		hh = sha512.New384()
	default:
		hh = sha512.New()
	}
	hh.Write([]byte(s))
	return hh.Sum(nil)
}

// signRaw signs the header and payload bytes exactly as given (they need
// not be JSON) with key under sigAlg, whatever the header says.
func signRaw(t *testing.T, sigAlg string, key crypto.Signer, header, payload string) string {
	t.Helper()
	input := jwtauthtest.EncodeSegment(header) + "." + jwtauthtest.EncodeSegment(payload)
	return input + "." + enc64(sigFor(t, sigAlg, key, input))
}

// withSig assembles a token from raw header and payload and a given
// signature.
func withSig(header, payload string, sig []byte) string {
	return jwtauthtest.EncodeSegment(header) + "." + jwtauthtest.EncodeSegment(payload) + "." + enc64(sig)
}

func enc64(b []byte) string { return jwtauthtest.EncodeSegment(string(b)) }

// token is a valid RS256 token of the primary issuer (key rsa-a).
func (f *advFixture) token(t *testing.T, mods map[string]any) string {
	t.Helper()
	return signRaw(t, "RS256", f.keys.rsa, hdr("RS256", "rsa-a"), f.payload(t, mods))
}

// signedHeader is a token of the primary issuer, signed with rsa-a, with
// the default claims and the given header bytes.
func (f *advFixture) signedHeader(t *testing.T, header string) string {
	t.Helper()
	return signRaw(t, "RS256", f.keys.rsa, header, f.payload(t, nil))
}

// signedPayload is a token of the primary issuer, signed with rsa-a,
// with the given payload bytes.
func (f *advFixture) signedPayload(t *testing.T, payload string) string {
	t.Helper()
	return signRaw(t, "RS256", f.keys.rsa, hdr("RS256", "rsa-a"), payload)
}

// segments splits a compact token (test tokens only).
func segments(tok string) (h, p, s string) {
	parts := strings.SplitN(tok, ".", 3)
	return parts[0], parts[1], parts[2]
}

// variant is one input of a case and its expected outcome.
type variant struct {
	name  string
	token string
	// accept: the token is accepted by design (the case's reason says
	// why); user, when set, is the expected username.
	accept bool
	user   string
	// check and is: the expected rejection (is may be nil).
	check jwtauth.Check
	is    error
	// auth overrides the case's Authenticator; authFn overrides both (for
	// the Entra authenticator).
	auth   *jwtauth.Authenticator
	authFn func(ctx context.Context, token string) (*jwtauth.User, error)
}

func rej(name, token string, check jwtauth.Check, is error) variant {
	return variant{name: name, token: token, check: check, is: is}
}

func acc(name, token, user string) variant {
	return variant{name: name, token: token, accept: true, user: user}
}

// advCase is one catalogue entry.
type advCase struct {
	// id is the catalogue id and a short name, "A07/jwe-compact".
	id string
	// reason explains every variant accepted by design, and any policy
	// decision (catalogue "P") the case makes.
	reason string
	// config and opts, when set, give the case its own Authenticator.
	config func(*jwtauth.JWTAuthenticator)
	opts   func(*jwtauth.Options)
	build  func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant
	// after runs once the variants have run (assertions on side effects).
	after func(t *testing.T, f *advFixture)
}

// advStats counts what the suite ran, per group (the figures quoted in
// SECURITY.md; go test -v -run 'TestAdversarial' prints them).
type advStats struct {
	cases, variants, rejected, acceptedByDesign, falseAccepts atomic.Int64
}

var advIDPattern = regexp.MustCompile(`^[A-D][0-9]{2}/[a-z0-9-]+$`)

func runAdversarial(t *testing.T, group string, cases []advCase) {
	f := newAdvFixture(t)
	var st advStats
	for _, c := range cases {
		t.Run(c.id, func(t *testing.T) {
			require.Regexp(t, advIDPattern, c.id)
			require.True(t, strings.HasPrefix(c.id, group), "case %s is not in group %s", c.id, group)
			st.cases.Add(1)
			a := f.auth
			if c.config != nil || c.opts != nil {
				a = f.authenticator(t, c.config, c.opts)
			}
			vs := c.build(t, f, a)
			require.NotEmpty(t, vs, "a case needs at least one variant")
			for _, v := range vs {
				if v.accept {
					require.NotEmpty(t, c.reason, "variant %s is accepted by design: the case must say why", v.name)
				}
				t.Run(v.name, func(t *testing.T) {
					st.variants.Add(1)
					fn := a.Authenticate
					if v.auth != nil {
						fn = v.auth.Authenticate
					}
					if v.authFn != nil {
						fn = v.authFn
					}
					u, err := callNoPanic(t, fn, v.token)
					if v.accept {
						require.NoError(t, err, "accepted by design")
						require.NotNil(t, u)
						if v.user != "" {
							require.Equal(t, v.user, u.Username)
						}
						st.acceptedByDesign.Add(1)
						return
					}
					if err == nil {
						st.falseAccepts.Add(1)
					}
					require.Error(t, err, "FALSE ACCEPT")
					require.Nil(t, u)
					st.rejected.Add(1)
					var je *jwtauth.Error
					require.ErrorAs(t, err, &je)
					if v.check != "" {
						require.Equal(t, v.check, je.Check, "error: %v", err)
					}
					if v.is != nil {
						require.ErrorIs(t, err, v.is)
					}
					requireNoEcho(t, err, v.token)
				})
			}
			if c.after != nil {
				c.after(t, f)
			}
		})
	}
	t.Logf("group %s: %d cases, %d variants: %d rejected, %d accepted by design, %d false accepts",
		group, st.cases.Load(), st.variants.Load(), st.rejected.Load(), st.acceptedByDesign.Load(), st.falseAccepts.Load())
}

// authenticateNoPanic turns a panic into a test failure with a clear
// message (the library must never panic on input).
func authenticateNoPanic(t *testing.T, a *jwtauth.Authenticator, token string) (*jwtauth.User, error) {
	t.Helper()
	return callNoPanic(t, a.Authenticate, token)
}

func callNoPanic(t *testing.T, fn func(context.Context, string) (*jwtauth.User, error), token string) (u *jwtauth.User, err error) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("Authenticate panicked: %v", r)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return fn(ctx, token)
}

// requireNoEcho: the error text contains neither the token nor any of
// its segments long enough to be meaningful (a short segment such as
// "abc" may legitimately occur in English text).
func requireNoEcho(t *testing.T, err error, token string) {
	t.Helper()
	msg := err.Error()
	if len(token) >= 16 {
		require.NotContains(t, msg, token, "the error echoes the token")
	}
	for _, seg := range strings.Split(token, ".") {
		if seg = strings.TrimSpace(seg); len(seg) >= 16 {
			require.NotContains(t, msg, seg, "the error echoes a token segment")
		}
	}
}

// TestAdversarialCatalogueComplete checks that the suite has a case for
// every id of groups A-D of spec/security.md §3 (35 + 27 + 17 + 25 = 104).
func TestAdversarialCatalogueComplete(t *testing.T) {
	groups := map[string][]advCase{"A": formatCases, "B": headerCases, "C": signatureCases, "D": claimsCases}
	sizes := map[string]int{"A": 35, "B": 27, "C": 17, "D": 25}
	total := 0
	for _, g := range slices.Sorted(maps.Keys(groups)) {
		ids := map[string]bool{}
		for _, c := range groups[g] {
			require.Regexp(t, advIDPattern, c.id)
			id := c.id[:3]
			require.False(t, ids[id], "duplicate case %s", id)
			ids[id] = true
		}
		for n := 1; n <= sizes[g]; n++ {
			id := fmt.Sprintf("%s%02d", g, n)
			require.True(t, ids[id], "catalogue case %s has no test", id)
		}
		require.Len(t, ids, sizes[g], "group %s has cases outside the catalogue", g)
		total += len(ids)
	}
	require.Equal(t, 104, total)
}

// TestAdversarialEntraFrontDoor sends every token of groups A and B to an
// EntraAuthenticator, whose own pre-checks and error explanations read the
// unverified token: each must be refused cleanly (none of these tokens is
// an Entra token, so even the variants accepted by design elsewhere are
// refused here).
func TestAdversarialEntraFrontDoor(t *testing.T) {
	f := newAdvFixture(t)
	env := newEntraEnv(t)
	ea := env.auth(t, "CFG-MT(*)")
	n := 0
	for _, c := range append(append([]advCase(nil), formatCases...), headerCases...) {
		t.Run(c.id, func(t *testing.T) {
			for _, v := range c.build(t, f, f.auth) {
				u, err := callNoPanic(t, entraFn(ea), v.token)
				require.Error(t, err, "%s: FALSE ACCEPT", v.name)
				require.Nil(t, u)
				requireNoEcho(t, err, v.token)
				n++
			}
		})
	}
	t.Logf("%d tokens refused by the Entra authenticator", n)
}
