package jwtauth_test

// Regression tests for the vulnerability classes of spec/security.md §2
// that apply to a JWS/OIDC validator, each named after its advisory. Many
// of the vulnerable code paths do not exist here (no JWE, no JSON
// serialization): the tests prove they stay unreachable.

import (
	"bytes"
	"compress/flate"
	"context"
	"crypto"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/structauth/structauth/jwtauth"
	"github.com/structauth/structauth/jwtauth/jwtauthtest"
)

// regFixture reuses the adversarial fixture (two issuers whose private
// keys the tests hold).
func regFixture(t *testing.T) *advFixture { return newAdvFixture(t) }

// requireRejected asserts a clean rejection (no panic, an *Error of the
// given class, no echo of the token) and returns the error.
func requireRejected(t *testing.T, a *jwtauth.Authenticator, token string, check jwtauth.Check, is error) error {
	t.Helper()
	u, err := authenticateNoPanic(t, a, token)
	require.Error(t, err, "FALSE ACCEPT")
	require.Nil(t, u)
	var je *jwtauth.Error
	require.ErrorAs(t, err, &je)
	if check != "" {
		require.Equal(t, check, je.Check, "error: %v", err)
	}
	if is != nil {
		require.ErrorIs(t, err, is)
	}
	requireNoEcho(t, err, token)
	return err
}

// TestRegressionJWXPolyglotJSONSerialization: jwx v2 jwt.Parse accepted
// JSON-serialized JWS and read the claims from the unsigned envelope
// (jwx #1077 / PR #1078; go-jose PR #75; Tervoort, Black Hat USA 2023).
func TestRegressionJWXPolyglotJSONSerialization(t *testing.T) {
	f := regFixture(t)
	expired := f.token(t, map[string]any{"exp": testNow.Add(-time.Hour).Unix(), "username": "jane"})
	requireRejected(t, f.auth, expired, jwtauth.CheckExpiry, jwtauth.ErrExpired)
	h, p, s := segments(expired)
	envelope := map[string]any{"protected": h, "payload": p, "signature": s,
		"iss": f.primary.URL, "aud": "my-client", "username": "admin", "sub": "admin", "exp": 9999999999}
	flat, err := json.Marshal(envelope)
	require.NoError(t, err)
	delete(envelope, "protected")
	delete(envelope, "signature")
	envelope["signatures"] = []map[string]string{{"protected": h, "signature": s}}
	general, err := json.Marshal(envelope)
	require.NoError(t, err)
	for name, tok := range map[string]string{
		"flattened": string(flat), "general": string(general),
		"flattened after whitespace": "\n\t " + string(flat),
	} {
		t.Run(name, func(t *testing.T) {
			requireRejected(t, f.auth, tok, jwtauth.CheckFormat, jwtauth.ErrMalformedToken)
		})
	}
}

// TestRegressionCVE_2016_9122_MultipleSignatures (GO-2022-0945): go-jose
// verified one of several signatures of a JSON JWS and returned the
// payload as verified.
func TestRegressionCVE_2016_9122_MultipleSignatures(t *testing.T) {
	f := regFixture(t)
	h, p, s := segments(f.token(t, map[string]any{"username": "admin"}))
	forged := enc64([]byte(`{"alg":"RS256","kid":"rsa-a"}`))
	doc, err := json.Marshal(map[string]any{"payload": p, "signatures": []map[string]string{
		{"protected": forged, "signature": enc64([]byte("x"))}, {"protected": h, "signature": s},
	}})
	require.NoError(t, err)
	requireRejected(t, f.auth, string(doc), jwtauth.CheckFormat, jwtauth.ErrMalformedToken)
}

// TestRegressionGHSA_pvcr_v8j8_j5q3_JSONWithoutProtected (CVE-2024-21664,
// GO-2024-2454): jwx dereferenced a nil protected header of a JSON JWS
// that had a signature but no "protected".
func TestRegressionGHSA_pvcr_v8j8_j5q3_JSONWithoutProtected(t *testing.T) {
	f := regFixture(t)
	_, p, s := segments(f.token(t, nil))
	for _, doc := range []string{
		fmt.Sprintf(`{"payload":%q,"signature":%q}`, p, s),
		fmt.Sprintf(`{"payload":%q,"signatures":[{"signature":%q}]}`, p, s),
		`{"signature":""}`, `{}`, `{`,
	} {
		requireRejected(t, f.auth, doc, jwtauth.CheckFormat, jwtauth.ErrMalformedToken)
	}
}

// TestRegressionAuth0_2015_AlgConfusion: "none" and RS256 -> HS256 key
// confusion (HMAC keyed with the issuer's public key), the class behind
// MinIO CVE-2026-33322 (HMAC with a client secret) and go-oidc's 2019
// empty-allow-list fix (commit 20c0c224); plus header alg / key type
// mismatches (RFC 8725 §3.1).
func TestRegressionAuth0_2015_AlgConfusion(t *testing.T) {
	f := regFixture(t)
	p := f.payload(t, map[string]any{"username": "admin"})
	rsaDER, err := x509.MarshalPKIXPublicKey(&f.keys.rsa.PublicKey)
	require.NoError(t, err)
	ecDER, err := x509.MarshalPKIXPublicKey(&f.keys.p256.PublicKey)
	require.NoError(t, err)
	cases := map[string]struct {
		token string
		check jwtauth.Check
		is    error
	}{
		"none, empty signature": {enc64([]byte(hdr("none", ""))) + "." + enc64([]byte(p)) + ".", jwtauth.CheckFormat, jwtauth.ErrMalformedToken},
		"none, any signature":   {withSig(hdr("none", "rsa-a"), p, []byte("sig")), jwtauth.CheckAlgorithm, jwtauth.ErrUnsupportedAlgorithm},
		"HS256 keyed with the RSA public key PEM": {hmacToken(hdr("HS256", "rsa-a"), p, sha256.New,
			pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: rsaDER})), jwtauth.CheckAlgorithm, jwtauth.ErrUnsupportedAlgorithm},
		"HS256 keyed with the EC public key DER":  {hmacToken(hdr("HS256", "p256-a"), p, sha256.New, ecDER), jwtauth.CheckAlgorithm, jwtauth.ErrUnsupportedAlgorithm},
		"HS256 keyed with the JWK":                {hmacToken(hdr("HS256", "rsa-a"), p, sha256.New, jwkOf(t, &f.keys.rsa.PublicKey, "rsa-a", "")), jwtauth.CheckAlgorithm, jwtauth.ErrUnsupportedAlgorithm},
		"ES256 header on an RSA key id":           {signRaw(t, "ES256", f.keys.attackEC, hdr("ES256", "rsa-a"), p), jwtauth.CheckSignature, jwtauth.ErrSignature},
		"RS256 header on an EC key id":            {signRaw(t, "RS256", f.keys.attacker, hdr("RS256", "p256-a"), p), jwtauth.CheckSignature, jwtauth.ErrSignature},
		"PS256 with a key whose JWK alg is RS256": {signRaw(t, "PS256", f.keys.rsaPinned, hdr("PS256", "rsa-pinned"), p), jwtauth.CheckSignature, jwtauth.ErrSignature},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) { requireRejected(t, f.auth, c.token, c.check, c.is) })
	}
}

// hugeRSAJWK is a JWK with a random odd modulus of bits bits (no private
// key exists for it; only its size matters).
func hugeRSAJWK(t *testing.T, kid string, bits int) json.RawMessage {
	t.Helper()
	n := make([]byte, bits/8)
	_, err := rand.Read(n)
	require.NoError(t, err)
	n[0] |= 0x80
	n[len(n)-1] |= 1
	j, err := json.Marshal(map[string]string{"kty": "RSA", "kid": kid, "n": enc64(n), "e": "AQAB"})
	require.NoError(t, err)
	return j
}

// TestRegressionCVE_2023_29409_HugeRSAModulus (GO-2023-1987): one
// verification with a huge RSA modulus costs ~7 ms (16,384 bits) to
// seconds (262,144 bits). JWKS keys over 8192 bits are skipped, so a
// token naming one fails at the key lookup, without any RSA operation,
// and the rest of the set keeps working.
func TestRegressionCVE_2023_29409_HugeRSAModulus(t *testing.T) {
	keys, err := loadAdvKeys()
	require.NoError(t, err)
	iss, err := jwtauthtest.NewIssuer(jwtauthtest.IssuerOptions{})
	require.NoError(t, err)
	t.Cleanup(iss.Close)
	sizes := []int{8200, 16384, 65536, 262144}
	jwks := []json.RawMessage{jwkOf(t, &keys.rsa.PublicKey, "good", "")}
	for _, bits := range sizes {
		jwks = append(jwks, hugeRSAJWK(t, fmt.Sprintf("huge-%d", bits), bits))
	}
	iss.SetJWKSHandler(serveJWKS(t, jwks...))
	a := newAuthenticator(t, jwtauth.Options{}, advEntry(iss))
	require.NoError(t, a.Ready(context.Background()))
	claims := fmt.Sprintf(`{"iss":%q,"aud":"my-client","username":"jane","exp":%d}`, iss.URL, testNow.Add(time.Hour).Unix())
	_, err = a.Authenticate(context.Background(), signRaw(t, "RS256", keys.rsa, hdr("RS256", "good"), claims))
	require.NoError(t, err, "the 2048-bit key next to the huge ones must keep working")
	for _, bits := range sizes {
		t.Run(fmt.Sprint(bits), func(t *testing.T) {
			tok := withSig(hdr("RS256", fmt.Sprintf("huge-%d", bits)), claims, bytes.Repeat([]byte{0x5a}, bits/8))
			start := time.Now()
			requireRejected(t, a, tok, jwtauth.CheckSignature, jwtauth.ErrUnknownKey)
			t.Logf("%d-bit key: rejected in %v", bits, time.Since(start))
		})
	}
}

func deflate(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := flate.NewWriter(&buf, flate.BestCompression)
	require.NoError(t, err)
	_, err = w.Write(b)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return buf.Bytes()
}

// TestRegressionCVE_2024_28122_ZipHeader (jwx GHSA-hj3v-m684-v259,
// GO-2024-2632) and CVE-2024-28180 (go-jose GHSA-c5q2-7r4c-mv6g,
// GO-2024-2631): decompression bombs through "zip". Nothing is ever
// decompressed: any "zip" member rejects the token.
func TestRegressionCVE_2024_28122_ZipHeader(t *testing.T) {
	f := regFixture(t)
	bomb := deflate(t, bytes.Repeat([]byte(" "), 8<<20)) // 8 MiB of spaces, ~8 KiB deflated
	require.Less(t, len(bomb), 64<<10)
	h := hdr("RS256", "rsa-a", `"zip":"DEF"`)
	input := enc64([]byte(h)) + "." + enc64(bomb)
	signedBomb := input + "." + enc64(sigFor(t, "RS256", f.keys.rsa, input))
	jwe := enc64([]byte(`{"alg":"dir","enc":"A128GCM","zip":"DEF"}`)) + "..AAAA." + enc64(bomb) + ".AAAA"
	for name, tok := range map[string]string{
		"signed JWS with a deflated bomb": signedBomb,
		"JWS, zip on plain claims":        f.signedHeader(t, h),
		"compact JWE with zip":            jwe,
	} {
		t.Run(name, func(t *testing.T) {
			requireRejected(t, f.auth, tok, jwtauth.CheckFormat, jwtauth.ErrMalformedToken)
		})
	}
}

// TestRegressionCVE_2023_49290_PBES2Count (jwx GHSA-7f9x-gw85-8grf,
// GO-2023-2379; go-jose GHSA-2c7c-3mj9-8fqh, GO-2023-2334) and the JWE
// panics GHSA-78h2-9frx-2jm8 (CVE-2026-34986, empty encrypted key) and
// GHSA-4w3g-jfj2-cw2q (empty CBC ciphertext): compact JWE is refused by
// its shape, before any JOSE code, in bounded time.
func TestRegressionCVE_2023_49290_PBES2Count(t *testing.T) {
	f := regFixture(t)
	enc := func(h string) string { return enc64([]byte(h)) }
	for name, tok := range map[string]string{
		"PBES2 p2c 2e9":             enc(`{"alg":"PBES2-HS512+A256KW","enc":"A256GCM","p2c":2000000000,"p2s":"AAAAAAAAAAAAAAAAAAAAAA"}`) + ".AAAA.AAAA.AAAA.AAAA",
		"A128KW empty key":          enc(`{"alg":"A128KW","enc":"A128GCM"}`) + "..AAAA.AAAA.AAAA",
		"CBC-HMAC empty ciphertext": enc(`{"alg":"dir","enc":"A128CBC-HS256"}`) + "..AAAAAAAAAAAAAAAAAAAAAA..AAAA",
		"PBES2 as a 3-segment JWS":  signRaw(t, "RS256", f.keys.rsa, `{"alg":"PBES2-HS256+A128KW","p2c":2000000000,"kid":"rsa-a"}`, f.payload(t, nil)),
	} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			requireRejected(t, f.auth, tok, "", nil)
			require.Less(t, time.Since(start), time.Second)
		})
	}
}

// TestRegressionCVE_2026_49998_CrossIssuerKidCollision (Centrifugo;
// Steeltoe CVE-2026-50202): two issuers publish the same kid. Keys are
// namespaced by issuer, so a token of issuer A signed with issuer B's key
// under the shared kid fails, both ways.
func TestRegressionCVE_2026_49998_CrossIssuerKidCollision(t *testing.T) {
	keys, err := loadAdvKeys()
	require.NoError(t, err)
	issA, err := jwtauthtest.NewIssuer(jwtauthtest.IssuerOptions{Path: "/a"})
	require.NoError(t, err)
	t.Cleanup(issA.Close)
	issB, err := jwtauthtest.NewIssuer(jwtauthtest.IssuerOptions{Path: "/b"})
	require.NoError(t, err)
	t.Cleanup(issB.Close)
	issA.SetJWKSHandler(serveJWKS(t, jwkOf(t, &keys.rsa.PublicKey, "shared", "")))
	issB.SetJWKSHandler(serveJWKS(t, jwkOf(t, &keys.other.PublicKey, "shared", "")))
	a := newAuthenticator(t, jwtauth.Options{}, advEntry(issA), advEntry(issB))
	require.NoError(t, a.Ready(context.Background()))
	claimsOf := func(iss string) string {
		return fmt.Sprintf(`{"iss":%q,"aud":"my-client","username":"jane","exp":%d}`, iss, testNow.Add(time.Hour).Unix())
	}
	h := hdr("RS256", "shared")
	for _, ok := range []string{signRaw(t, "RS256", keys.rsa, h, claimsOf(issA.URL)), signRaw(t, "RS256", keys.other, h, claimsOf(issB.URL))} {
		_, err := a.Authenticate(context.Background(), ok)
		require.NoError(t, err, "each issuer's own token")
	}
	requireRejected(t, a, signRaw(t, "RS256", keys.other, h, claimsOf(issA.URL)), jwtauth.CheckSignature, jwtauth.ErrSignature)
	requireRejected(t, a, signRaw(t, "RS256", keys.rsa, h, claimsOf(issB.URL)), jwtauth.CheckSignature, jwtauth.ErrSignature)
}

// attackerJWKSServer serves the attacker's key as a JWKS and counts
// requests.
func attackerJWKSServer(t *testing.T, f *advFixture) (string, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	body, err := json.Marshal(map[string]any{"keys": []json.RawMessage{jwkOf(t, &f.keys.attacker.PublicKey, "attacker", "")}})
	require.NoError(t, err)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &hits
}

// TestRegressionCVE_2018_0114_HeaderKeys: keys named or carried by the
// token itself are never used (RFC 8725 §3.10): "jwk" (CVE-2018-0114,
// Wycheproof rejectsAttackerProvidedEmbeddedJwk) rejects the token;
// "jku", "x5u" and "x5c" are ignored, never fetched or parsed: tokens
// signed by the issuer's key stay valid (as in kube-apiserver) and tokens
// signed by the key they point to fail. Also get-jwks CVE-2025-59936 /
// Centrifugo CVE-2026-32301: a token's untrusted iss never causes a fetch.
func TestRegressionCVE_2018_0114_HeaderKeys(t *testing.T) {
	f := regFixture(t)
	url, hits := attackerJWKSServer(t, f)
	p := f.payload(t, nil)
	attackerJWK := string(jwkOf(t, &f.keys.attacker.PublicKey, "attacker", ""))
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: testNow.Add(-time.Hour), NotAfter: testNow.Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &f.keys.attacker.PublicKey, f.keys.attacker)
	require.NoError(t, err)
	members := map[string]string{
		"jku": fmt.Sprintf(`"jku":%q`, url+"/jwks"),
		"x5u": fmt.Sprintf(`"x5u":%q`, url+"/cert"),
		"x5c": fmt.Sprintf(`"x5c":[%q]`, base64.StdEncoding.EncodeToString(der)),
	}
	for name, m := range members {
		t.Run(name+" on an issuer-signed token is ignored", func(t *testing.T) {
			u, err := f.auth.Authenticate(context.Background(), signRaw(t, "RS256", f.keys.rsa, hdr("RS256", "rsa-a", m), p))
			require.NoError(t, err)
			require.Equal(t, "jane", u.Username)
		})
		t.Run(name+" with the attacker's key", func(t *testing.T) {
			requireRejected(t, f.auth, signRaw(t, "RS256", f.keys.attacker, hdr("RS256", "attacker", m), p), jwtauth.CheckSignature, jwtauth.ErrUnknownKey)
		})
	}
	t.Run("jwk", func(t *testing.T) {
		requireRejected(t, f.auth, signRaw(t, "RS256", f.keys.attacker, hdr("RS256", "attacker", `"jwk":`+attackerJWK), p), jwtauth.CheckFormat, jwtauth.ErrMalformedToken)
	})
	t.Run("iss pointing at the attacker", func(t *testing.T) {
		tok := signRaw(t, "RS256", f.keys.attacker, hdr("RS256", "attacker"), f.payload(t, map[string]any{"iss": url}))
		requireRejected(t, f.auth, tok, jwtauth.CheckIssuer, jwtauth.ErrUnknownIssuer)
	})
	require.Zero(t, hits.Load(), "the attacker's server was contacted")
}

// TestRegressionCritAndB64Headers: unknown critical extensions must
// reject the token (RFC 7515 §4.1.11; jwx v3.0.14 skipped the check on
// its fast path) and b64=false (RFC 7797; jwx v2 parsed the raw payload
// as claims, fixed in jwx v3.1.1) is not supported.
func TestRegressionCritAndB64Headers(t *testing.T) {
	f := regFixture(t)
	for _, extra := range []string{
		`"crit":["x-unknown"],"x-unknown":true`, `"crit":["exp"]`, `"crit":[]`,
		`"b64":false`, `"b64":false,"crit":["b64"]`,
	} {
		t.Run(extra, func(t *testing.T) {
			requireRejected(t, f.auth, f.signedHeader(t, hdr("RS256", "rsa-a", extra)), jwtauth.CheckFormat, jwtauth.ErrMalformedToken)
		})
	}
}

// TestRegressionCVE_2022_21449_PsychicSignatures: Java 15-18 accepted the
// ECDSA signature r = s = 0 for any message and key.
func TestRegressionCVE_2022_21449_PsychicSignatures(t *testing.T) {
	f := regFixture(t)
	p := f.payload(t, map[string]any{"username": "admin"})
	for _, c := range []struct {
		alg, kid string
		curve    elliptic.Curve
	}{{"ES256", "p256-a", elliptic.P256()}, {"ES384", "p384-a", elliptic.P384()}, {"ES512", "p521-a", elliptic.P521()}} {
		size := (c.curve.Params().BitSize + 7) / 8
		n := c.curve.Params().N
		t.Run(c.alg, func(t *testing.T) {
			requireRejected(t, f.auth, withSig(hdr(c.alg, c.kid), p, make([]byte, 2*size)), jwtauth.CheckSignature, jwtauth.ErrSignature)
			requireRejected(t, f.auth, withSig(hdr(c.alg, c.kid), p, ecSig(n, n, size)), jwtauth.CheckSignature, jwtauth.ErrSignature)
			requireRejected(t, f.auth, withSig(hdr(c.alg, ""), p, make([]byte, 2*size)), jwtauth.CheckSignature, jwtauth.ErrSignature)
		})
	}
}

// TestRegressionECDSAInvalidCurvePoints: JWKS EC keys off the curve
// (jwx #840 panic; CVE-2016-9121 invalid-curve class), with coordinates
// at or above p (CVE-2022-23806, GO-2021-0319), short coordinates or an
// unsupported curve are skipped without a panic; tokens naming them fail
// at the key lookup, and the set's good keys keep working.
func TestRegressionECDSAInvalidCurvePoints(t *testing.T) {
	keys, err := loadAdvKeys()
	require.NoError(t, err)
	iss, err := jwtauthtest.NewIssuer(jwtauthtest.IssuerOptions{})
	require.NoError(t, err)
	t.Cleanup(iss.Close)
	params := elliptic.P256().Params()
	coord := func(v *big.Int) string { return enc64(v.FillBytes(make([]byte, 32))) }
	ecdhKey, err := keys.p256.PublicKey.ECDH()
	require.NoError(t, err)
	point := ecdhKey.Bytes() // 0x04 || X || Y
	x, y := new(big.Int).SetBytes(point[1:33]), new(big.Int).SetBytes(point[33:])
	offCurve := new(big.Int).Add(y, big.NewInt(1))
	bad := map[string]map[string]string{
		"off-curve":   {"x": coord(x), "y": coord(offCurve)},
		"x-plus-p":    {"x": enc64(new(big.Int).Add(x, params.P).Bytes()), "y": coord(y)},
		"y-is-p":      {"x": coord(x), "y": coord(params.P)},
		"zero-point":  {"x": coord(big.NewInt(0)), "y": coord(big.NewInt(0))},
		"short-x":     {"x": enc64(x.Bytes()[1:]), "y": coord(y)},
		"secp256k1":   {"x": coord(x), "y": coord(y), "crv": "secp256k1"},
		"P-384 label": {"x": coord(x), "y": coord(y), "crv": "P-384"},
	}
	jwks := []json.RawMessage{jwkOf(t, &keys.p256.PublicKey, "good", "")}
	for kid, m := range bad {
		k := map[string]string{"kty": "EC", "crv": "P-256", "kid": kid}
		for name, v := range m {
			k[name] = v
		}
		j, err := json.Marshal(k)
		require.NoError(t, err)
		jwks = append(jwks, j)
	}
	iss.SetJWKSHandler(serveJWKS(t, jwks...))
	a := newAuthenticator(t, jwtauth.Options{}, advEntry(iss))
	require.NoError(t, a.Ready(context.Background()))
	claims := fmt.Sprintf(`{"iss":%q,"aud":"my-client","username":"jane","exp":%d}`, iss.URL, testNow.Add(time.Hour).Unix())
	_, err = a.Authenticate(context.Background(), signRaw(t, "ES256", keys.p256, hdr("ES256", "good"), claims))
	require.NoError(t, err)
	for kid := range bad {
		t.Run(kid, func(t *testing.T) {
			sig := make([]byte, 64)
			sig[31], sig[63] = 1, 1
			requireRejected(t, a, withSig(hdr("ES256", kid), claims, sig), jwtauth.CheckSignature, jwtauth.ErrUnknownKey)
		})
	}
}

// TestRegressionJWXECDSASignatureLength: jwx before v2.0.16 accepted an
// ES256 signature whose R was not left-padded (63 bytes); RFC 7518 §3.4
// fixes R||S at exactly 64 bytes.
func TestRegressionJWXECDSASignatureLength(t *testing.T) {
	f := regFixture(t)
	in := enc64([]byte(hdr("ES256", "p256-a"))) + "." + enc64([]byte(f.payload(t, nil)))
	sig := sigFor(t, "ES256", f.keys.p256, in)
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	for name, bad := range map[string][]byte{
		"63 bytes, R one byte short": append(r.FillBytes(make([]byte, 32))[1:], s.FillBytes(make([]byte, 32))...),
		"65 bytes, zero prefix":      append([]byte{0}, sig...),
		"62 bytes":                   sig[:62],
	} {
		t.Run(name, func(t *testing.T) {
			requireRejected(t, f.auth, in+"."+enc64(bad), jwtauth.CheckSignature, jwtauth.ErrSignature)
		})
	}
}

// TestRegressionCVE_2024_51744_SignatureErrorWins (golang-jwt
// GHSA-29wx-vh33-7x7r, GO-2024-3250): an expired token with a bad
// signature was reported as expired, and callers that tolerated expiry
// accepted forgeries. The signature is checked first; its error wins.
func TestRegressionCVE_2024_51744_SignatureErrorWins(t *testing.T) {
	f := regFixture(t)
	for name, mods := range map[string]map[string]any{
		"expired":        {"exp": testNow.Add(-time.Hour).Unix()},
		"wrong audience": {"aud": "other"},
		"not yet valid":  {"nbf": testNow.Add(time.Hour).Unix()},
		"bad claim type": {"sub": 1},
	} {
		t.Run(name, func(t *testing.T) {
			tok := signRaw(t, "RS256", f.keys.attacker, hdr("RS256", "rsa-a"), f.payload(t, mods))
			err := requireRejected(t, f.auth, tok, jwtauth.CheckSignature, jwtauth.ErrSignature)
			require.NotErrorIs(t, err, jwtauth.ErrExpired)
			require.NotErrorIs(t, err, jwtauth.ErrAudience)
		})
	}
}

// TestRegressionCVE_2025_30204_DotFlood (golang-jwt GHSA-mh63-6h87-95cp,
// GO-2025-3553; go-jose CVE-2025-27144, GO-2025-3485; x/oauth2
// CVE-2025-22868, GO-2025-3488): strings.Split on '.' allocated per dot.
// Segments are found by index, so rejecting a megabyte of dots costs a
// few allocations whatever the size cap.
func TestRegressionCVE_2025_30204_DotFlood(t *testing.T) {
	f := regFixture(t)
	a := f.authenticator(t, nil, func(o *jwtauth.Options) { o.MaxTokenSize = 8 << 20 })
	for _, tok := range []string{strings.Repeat(".", 4<<20), "Bearer " + strings.Repeat("a.", 2<<20)} {
		requireRejected(t, a, tok, jwtauth.CheckFormat, jwtauth.ErrMalformedToken)
		allocs := testing.AllocsPerRun(5, func() { _, _ = a.Authenticate(context.Background(), tok) })
		require.LessOrEqual(t, allocs, 16.0)
	}
}

// TestRegressionNumericDateOverflow: exp values that are negative, not
// numbers, or too large for an int64 or for time.Time (read as the distant
// past, as go-oidc v2 does: expired) are rejected
// without math/big (CVE-2021-33198 / CVE-2022-23772: big.Rat.SetString
// with huge exponents) and in bounded time.
func TestRegressionNumericDateOverflow(t *testing.T) {
	f := regFixture(t)
	for _, c := range []struct {
		exp   string
		check jwtauth.Check
	}{
		{`-1`, jwtauth.CheckExpiry}, {`-9223372036854775808`, jwtauth.CheckExpiry}, {`9223372036854775807`, jwtauth.CheckExpiry},
		{`1e308`, jwtauth.CheckExpiry}, {`1e99999999999`, jwtauth.CheckClaims}, {`"1e99999999999"`, jwtauth.CheckClaims},
		{`"NaN"`, jwtauth.CheckClaims}, {`"Infinity"`, jwtauth.CheckClaims}, {`"-0x1p62"`, jwtauth.CheckClaims},
		{strings.Repeat("9", 10000), jwtauth.CheckClaims}, {`-` + strings.Repeat("9", 10000), jwtauth.CheckClaims},
	} {
		name := c.exp
		if len(name) > 24 {
			name = name[:24]
		}
		t.Run(name, func(t *testing.T) {
			tok := f.signedPayload(t, fmt.Sprintf(`{"iss":%q,"aud":"my-client","username":"jane","exp":%s}`, f.primary.URL, c.exp))
			start := time.Now()
			requireRejected(t, f.auth, tok, c.check, nil)
			require.Less(t, time.Since(start), time.Second)
		})
	}
}

// TestRegressionCVE_2025_22149_RemovedKeyStopsVerifying (MicahParks
// jwkset, GO-2025-3376: refreshes only added keys, so revoked keys stayed
// valid) and gose CVE-2026-89313 (a kid miss fell back to the last key):
// after the issuer removes a key and the set is refreshed, its tokens
// fail, and a token whose kid is unknown is never tried with other keys.
func TestRegressionCVE_2025_22149_RemovedKeyStopsVerifying(t *testing.T) {
	iss, err := jwtauthtest.NewIssuer(jwtauthtest.IssuerOptions{})
	require.NoError(t, err)
	t.Cleanup(iss.Close)
	a := newAuthenticator(t, jwtauth.Options{MinRefreshInterval: time.Millisecond}, advEntry(iss))
	claims := map[string]any{"iss": iss.URL, "aud": "my-client", "username": "jane", "exp": testNow.Add(time.Hour).Unix()}
	old, err := iss.Sign("RS256", claims)
	require.NoError(t, err)
	_, err = a.Authenticate(context.Background(), old)
	require.NoError(t, err)

	unknownKid, err := iss.SignWith(jwtauthtest.SignOptions{KeyID: "not-published"}, claims)
	require.NoError(t, err)
	requireRejected(t, a, unknownKid, jwtauth.CheckSignature, jwtauth.ErrUnknownKey)

	require.NoError(t, iss.RotateKeys(false))
	fresh, err := iss.Sign("RS256", claims)
	require.NoError(t, err)
	time.Sleep(5 * time.Millisecond) // past MinRefreshInterval
	_, err = a.Authenticate(context.Background(), fresh)
	require.NoError(t, err, "the new key is fetched on its first token")
	requireRejected(t, a, old, jwtauth.CheckSignature, jwtauth.ErrUnknownKey)
}

// TestRegressionCVE_2026_55689_AudienceRequired (OpenFGA; Oxia
// CVE-2026-40946 via SkipClientIDCheck): a validator configured without
// an audience skipped the check. An authenticator cannot be built
// without at least one audience.
func TestRegressionCVE_2026_55689_AudienceRequired(t *testing.T) {
	iss, err := jwtauthtest.NewIssuer(jwtauthtest.IssuerOptions{})
	require.NoError(t, err)
	t.Cleanup(iss.Close)
	for name, auds := range map[string][]string{"nil": nil, "empty": {}, "empty string": {""}} {
		t.Run(name, func(t *testing.T) {
			e := advEntry(iss)
			e.Issuer.Audiences = auds
			cfg := &jwtauth.AuthenticationConfiguration{APIVersion: jwtauth.APIVersionV1, Kind: jwtauth.Kind, JWT: []jwtauth.JWTAuthenticator{e}}
			_, err := jwtauth.New(context.Background(), cfg, jwtauth.Options{})
			require.Error(t, err)
			require.Contains(t, err.Error(), "audiences")
		})
	}
}

// TestRegressionPSSSaltLength: Wycheproof's rsa_pss "SaltLenChanged"
// vectors; jwx v2 accepted PS256 signatures with any salt length, RFC
// 7518 §3.5 fixes it at the hash length.
func TestRegressionPSSSaltLength(t *testing.T) {
	f := regFixture(t)
	for _, alg := range []string{"PS256", "PS384", "PS512"} {
		t.Run(alg, func(t *testing.T) {
			h := hashFor(t, alg)
			in := enc64([]byte(hdr(alg, "rsa-a"))) + "." + enc64([]byte(f.payload(t, nil)))
			d := digestOf(h, in)
			for _, salt := range []int{1, 20, h.Size() + 1, rsa.PSSSaltLengthAuto /* the maximum */} {
				sig, err := signPSS(f, h, d, salt)
				require.NoError(t, err)
				requireRejected(t, f.auth, in+"."+enc64(sig), jwtauth.CheckSignature, jwtauth.ErrSignature)
			}
			sig, err := signPSS(f, h, d, h.Size())
			require.NoError(t, err)
			_, err = f.auth.Authenticate(context.Background(), in+"."+enc64(sig))
			require.NoError(t, err)
		})
	}
}

func signPSS(f *advFixture, h crypto.Hash, digest []byte, salt int) ([]byte, error) {
	return rsa.SignPSS(rand.Reader, f.keys.rsa, h, digest, &rsa.PSSOptions{SaltLength: salt})
}
