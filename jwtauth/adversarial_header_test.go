package jwtauth_test

// Catalogue group B: header attacks (spec/security.md §3).

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"hash"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/structauth/structauth/jwtauth"
)

func TestAdversarialHeader(t *testing.T) { runAdversarial(t, "B", headerCases) }

var (
	algCheck = jwtauth.CheckAlgorithm
	errAlg   = jwtauth.ErrUnsupportedAlgorithm
	sigCheck = jwtauth.CheckSignature
)

// hmacToken signs header and payload with HMAC-SHA-2 under secret.
func hmacToken(header, payload string, h func() hash.Hash, secret []byte) string {
	input := enc64([]byte(header)) + "." + enc64([]byte(payload))
	m := hmac.New(h, secret)
	m.Write([]byte(input))
	return input + "." + enc64(m.Sum(nil))
}

// countingServer is an attacker-controlled TLS server that counts the
// requests it receives; the case fails if any arrives.
func countingServer(t *testing.T) (url string, hits *atomic.Int64) {
	t.Helper()
	url, hits = countingServerAllowed(t)
	t.Cleanup(func() {
		if n := hits.Load(); n != 0 {
			t.Errorf("the attacker's server received %d requests", n)
		}
	})
	return url, hits
}

// countingServerAllowed is countingServer without the assertion.
func countingServerAllowed(t *testing.T) (url string, hits *atomic.Int64) {
	t.Helper()
	hits = new(atomic.Int64)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"keys":[]}`))
	}))
	t.Cleanup(srv.Close)
	return srv.URL, hits
}

var headerCases = []advCase{
	{id: "B01/alg-none", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		p := f.payload(t, nil)
		var vs []variant
		for _, alg := range []string{"none", "None", "NONE", "nOnE"} {
			h := hdr(alg, "rsa-a")
			vs = append(vs,
				malformed(alg+" without signature", enc64([]byte(h))+"."+enc64([]byte(p))+"."),
				rej(alg+" with an RS256 signature", signRaw(t, "RS256", f.keys.rsa, h, p), algCheck, errAlg),
				rej(alg+" with junk signature", withSig(h, p, []byte("junk")), algCheck, errAlg))
		}
		return vs
	}},
	{id: "B02/alg-missing", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		return []variant{
			malformed("no alg", f.signedHeader(t, `{"kid":"rsa-a","typ":"JWT"}`)),
			malformed("alg empty", f.signedHeader(t, hdr("", "rsa-a"))),
			malformed("alg null", f.signedHeader(t, `{"alg":null,"kid":"rsa-a"}`)),
			malformed("alg number", f.signedHeader(t, `{"alg":256,"kid":"rsa-a"}`)),
		}
	}},
	{id: "B03/alg-hmac", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		p := f.payload(t, nil)
		secret := []byte("a shared secret of thirty-two by")
		return []variant{
			rej("HS256", hmacToken(hdr("HS256", "rsa-a"), p, sha256.New, secret), algCheck, errAlg),
			rej("HS384", hmacToken(hdr("HS384", "rsa-a"), p, sha512.New384, secret), algCheck, errAlg),
			rej("HS512", hmacToken(hdr("HS512", "rsa-a"), p, sha512.New, secret), algCheck, errAlg),
		}
	}},
	{id: "B04/hs256-with-rsa-public-key", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		pub := &f.keys.rsa.PublicKey
		der, err := x509.MarshalPKIXPublicKey(pub)
		require.NoError(t, err)
		pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
		pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(pub)})
		secrets := map[string][]byte{
			"PEM": pemKey, "PKCS#1 PEM": pkcs1, "DER": der, "JWK JSON": jwkOf(t, pub, "rsa-a", ""), "modulus bytes": pub.N.Bytes(),
		}
		p := f.payload(t, nil)
		var vs []variant
		for name, s := range secrets {
			vs = append(vs, rej(name, hmacToken(hdr("HS256", "rsa-a"), p, sha256.New, s), algCheck, errAlg))
		}
		return vs
	}},
	{id: "B05/header-alg-differs-from-key-alg", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		p := f.payload(t, nil)
		return []variant{
			rej("none header, valid RS256 signature", signRaw(t, "RS256", f.keys.rsa, hdr("none", "rsa-a"), p), algCheck, errAlg),
			rej("HS256 header, valid RS256 signature", signRaw(t, "RS256", f.keys.rsa, hdr("HS256", "rsa-a"), p), algCheck, errAlg),
			rej("PS256 header, RS256 signature", signRaw(t, "RS256", f.keys.rsa, hdr("PS256", "rsa-a"), p), sigCheck, jwtauth.ErrSignature),
			rej("RS256 header, PS256 signature", signRaw(t, "PS256", f.keys.rsa, hdr("RS256", "rsa-a"), p), sigCheck, jwtauth.ErrSignature),
			// rsa-pinned's JWK says alg RS256: a valid PS256 or RS384
			// signature with it is refused (kube-apiserver ignores JWK alg).
			rej("PS256 with a key pinned to RS256", signRaw(t, "PS256", f.keys.rsaPinned, hdr("PS256", "rsa-pinned"), p), sigCheck, jwtauth.ErrSignature),
			rej("RS384 with a key pinned to RS256", signRaw(t, "RS384", f.keys.rsaPinned, hdr("RS384", "rsa-pinned"), p), sigCheck, jwtauth.ErrSignature),
		}
	}},
	{id: "B06/alg-key-type-mismatch", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		p := f.payload(t, nil)
		_, edKey, err := ed25519.GenerateKey(rand.Reader)
		require.NoError(t, err)
		edHdr := hdr("EdDSA", "rsa-a")
		edInput := enc64([]byte(edHdr)) + "." + enc64([]byte(p))
		return []variant{
			rej("ES256 header, RSA kid", signRaw(t, "ES256", f.keys.p256, hdr("ES256", "rsa-a"), p), sigCheck, jwtauth.ErrSignature),
			rej("RS256 header, EC kid", signRaw(t, "RS256", f.keys.rsa, hdr("RS256", "p256-a"), p), sigCheck, jwtauth.ErrSignature),
			rej("EdDSA header, RSA kid", edInput+"."+enc64(ed25519.Sign(edKey, []byte(edInput))), algCheck, errAlg),
		}
	}},
	{id: "B07/ecdsa-curve-binding", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		p := f.payload(t, nil)
		return []variant{
			rej("ES256 with the P-384 key", signRaw(t, "ES256", f.keys.p384, hdr("ES256", "p384-a"), p), sigCheck, jwtauth.ErrSignature),
			rej("ES512 with the P-256 key", signRaw(t, "ES512", f.keys.p256, hdr("ES512", "p256-a"), p), sigCheck, jwtauth.ErrSignature),
			rej("ES384 with the P-521 key", signRaw(t, "ES384", f.keys.p521, hdr("ES384", "p521-a"), p), sigCheck, jwtauth.ErrSignature),
		}
	}},
	{id: "B08/alg-case-variants", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		p := f.payload(t, nil)
		var vs []variant
		for _, alg := range []string{"rs256", "Rs256", "RS256 ", " RS256", "RS256\x00", "RS 256"} {
			vs = append(vs, rej(fmt.Sprintf("%q", alg), signRaw(t, "RS256", f.keys.rsa, hdr(alg, "rsa-a"), p), algCheck, errAlg))
		}
		return vs
	}},
	{id: "B09/eddsa-not-enabled", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		p := f.payload(t, nil)
		_, edKey, err := ed25519.GenerateKey(rand.Reader)
		require.NoError(t, err)
		var vs []variant
		for _, alg := range []string{"EdDSA", "Ed25519", "Ed448"} {
			input := enc64([]byte(hdr(alg, "ed"))) + "." + enc64([]byte(p))
			vs = append(vs, rej(alg, input+"."+enc64(ed25519.Sign(edKey, []byte(input))), algCheck, errAlg))
		}
		return vs
	}},
	{id: "B10/embedded-jwk", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		p := f.payload(t, nil)
		jwk := string(jwkOf(t, &f.keys.attacker.PublicKey, "rsa-a", ""))
		return []variant{
			malformed("attacker jwk, kid of a real key", signRaw(t, "RS256", f.keys.attacker, hdr("RS256", "rsa-a", `"jwk":`+jwk), p)),
			malformed("attacker jwk, no kid", signRaw(t, "RS256", f.keys.attacker, hdr("RS256", "", `"jwk":`+jwk), p)),
			malformed("issuer's own jwk", signRaw(t, "RS256", f.keys.rsa, hdr("RS256", "rsa-a", `"jwk":`+string(jwkOf(t, &f.keys.rsa.PublicKey, "rsa-a", ""))), p)),
		}
	}},
	{id: "B11/jku-never-fetched", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		url, _ := countingServer(t)
		p := f.payload(t, nil)
		var vs []variant
		for _, jku := range []string{url + "/jwks", "http://169.254.169.254/latest/meta-data/", "file:///etc/passwd"} {
			vs = append(vs,
				rej("attacker key, unknown kid, jku "+jku, signRaw(t, "RS256", f.keys.attacker, hdr("RS256", "attacker", fmt.Sprintf(`"jku":%q`, jku)), p), sigCheck, jwtauth.ErrUnknownKey),
				rej("attacker key, real kid, jku "+jku, signRaw(t, "RS256", f.keys.attacker, hdr("RS256", "rsa-a", fmt.Sprintf(`"jku":%q`, jku)), p), sigCheck, jwtauth.ErrSignature))
		}
		return vs
	}},
	{id: "B12/x5u-never-fetched", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		url, _ := countingServer(t)
		p := f.payload(t, nil)
		return []variant{
			rej("attacker key, unknown kid", signRaw(t, "RS256", f.keys.attacker, hdr("RS256", "attacker", fmt.Sprintf(`"x5u":%q`, url+"/cert.pem")), p), sigCheck, jwtauth.ErrUnknownKey),
			rej("attacker key, no kid", signRaw(t, "RS256", f.keys.attacker, hdr("RS256", "", fmt.Sprintf(`"x5u":%q`, url+"/cert.pem")), p), sigCheck, jwtauth.ErrSignature),
		}
	}},
	{id: "B13/x5c-attacker-chain", reason: "x5c is never used to find or trust a key; as in kube-apiserver, an issuer-signed token " +
		"whose x5c holds certificates that parse is accepted. Certificates are parsed only after the signature verified, " +
		"and a chain that does not parse rejects the token, as go-jose does",
		build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
			tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: f.primary.URL},
				NotBefore: testNow.Add(-time.Hour), NotAfter: testNow.Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
			der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &f.keys.attacker.PublicKey, f.keys.attacker)
			require.NoError(t, err)
			x5c := fmt.Sprintf(`"x5c":[%q]`, base64.StdEncoding.EncodeToString(der))
			notCert := fmt.Sprintf(`"x5c":[%q]`, base64.StdEncoding.EncodeToString([]byte{0x30, 0x03, 0x02, 0x01, 0x01}))
			p := f.payload(t, nil)
			return []variant{
				rej("self-signed chain, no kid", signRaw(t, "RS256", f.keys.attacker, hdr("RS256", "", x5c), p), sigCheck, jwtauth.ErrSignature),
				rej("self-signed chain, real kid", signRaw(t, "RS256", f.keys.attacker, hdr("RS256", "rsa-a", x5c), p), sigCheck, jwtauth.ErrSignature),
				rej("attacker key, x5c that does not parse (never parsed)", signRaw(t, "RS256", f.keys.attacker, hdr("RS256", "rsa-a", notCert), p), sigCheck, jwtauth.ErrSignature),
				malformed("x5c not an array", signRaw(t, "RS256", f.keys.attacker, hdr("RS256", "rsa-a", `"x5c":"MII"`), p)),
				malformed("x5c with base64url", signRaw(t, "RS256", f.keys.attacker, hdr("RS256", "rsa-a", `"x5c":["-_-_"]`), p)),
				malformed("issuer key, x5c that does not parse", f.signedHeader(t, hdr("RS256", "rsa-a", notCert))),
				acc("issuer key, attacker's certificate in x5c (ignored)", f.signedHeader(t, hdr("RS256", "rsa-a", x5c)), "jane"),
			}
		}},
	{id: "B14/kid-path-traversal", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		p := f.payload(t, nil)
		var vs []variant
		for _, kid := range []string{"../../../../dev/null", "/etc/passwd", "file:///etc/passwd", "../rsa-a", "rsa-a/../rsa-a"} {
			vs = append(vs, rej(kid, signRaw(t, "RS256", f.keys.rsa, hdr("RS256", kid), p), sigCheck, jwtauth.ErrUnknownKey))
		}
		return vs
	}},
	{id: "B15/kid-injection", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		p := f.payload(t, nil)
		kids := map[string]string{
			"sql": "' OR '1'='1", "ldap": "*)(uid=*))(|(uid=*", "shell": "$(reboot); `id`", "NUL": "rsa-a\x00",
			"newline": "rsa-a\nlevel=error msg=forged", "ANSI": "\x1b[31mrsa-a\x1b[0m", "64 KiB": strings.Repeat("k", 64<<10),
		}
		var vs []variant
		for name, kid := range kids {
			tok := signRaw(t, "RS256", f.keys.rsa, hdr("RS256", kid), p)
			v := rej(name, tok, sigCheck, jwtauth.ErrUnknownKey)
			vs = append(vs, v)
			// The kid is never echoed (it could forge log lines).
			_, err := a.Authenticate(t.Context(), tok)
			require.Error(t, err)
			if len(kid) > 4 {
				require.NotContains(t, err.Error(), kid)
			}
			require.NotContains(t, err.Error(), "\x1b")
			require.NotContains(t, err.Error(), "\n")
		}
		return vs
	}},
	{id: "B16/no-kid-multi-key-set", reason: "policy: like go-oidc (kube-apiserver), a token without kid is tried against every key of its issuer " +
		"(at most the key-set cap, each key only for its own algorithm); an issuer-signed token without kid is accepted",
		build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
			p := f.payload(t, nil)
			return []variant{
				acc("issuer key, no kid", signRaw(t, "RS256", f.keys.rsa, hdr("RS256", ""), p), "jane"),
				acc("issuer EC key, no kid", signRaw(t, "ES384", f.keys.p384, hdr("ES384", ""), p), "jane"),
				rej("attacker key, no kid", signRaw(t, "RS256", f.keys.attacker, hdr("RS256", ""), p), sigCheck, jwtauth.ErrSignature),
				rej("other issuer's key, no kid", signRaw(t, "RS256", f.keys.other, hdr("RS256", ""), p), sigCheck, jwtauth.ErrSignature),
			}
		}},
	{id: "B17/no-kid-single-key-set", reason: "kube-apiserver accepts a token without kid that the issuer's only key verifies",
		build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
			p := f.payload(t, map[string]any{"iss": f.other.URL})
			return []variant{
				acc("single key, no kid", signRaw(t, "RS256", f.keys.other, hdr("RS256", ""), p), "jane"),
				rej("attacker, no kid", signRaw(t, "RS256", f.keys.attacker, hdr("RS256", ""), p), sigCheck, jwtauth.ErrSignature),
			}
		}},
	{id: "B18/kid-not-string", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		var vs []variant
		for _, kid := range []string{`1`, `{}`, `[]`, `["rsa-a"]`, `null`, `true`} {
			vs = append(vs, malformed("kid "+kid, f.signedHeader(t, `{"alg":"RS256","kid":`+kid+`}`)))
		}
		return vs
	}},
	{id: "B19/kid-of-another-issuer", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		p := f.payload(t, nil)
		return []variant{
			rej("other issuer's kid and key", signRaw(t, "RS256", f.keys.other, hdr("RS256", "rsa-b"), p), sigCheck, jwtauth.ErrUnknownKey),
			rej("own kid, other issuer's key", signRaw(t, "RS256", f.keys.other, hdr("RS256", "rsa-a"), p), sigCheck, jwtauth.ErrSignature),
		}
	}},
	{id: "B20/crit", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		var vs []variant
		for _, crit := range []string{`["x-unknown"],"x-unknown":1`, `["exp"]`, `[]`, `"b64"`, `1`, `null`} {
			vs = append(vs, malformed("crit "+crit, f.signedHeader(t, hdr("RS256", "rsa-a", `"crit":`+crit))))
		}
		return vs
	}},
	{id: "B21/b64-false", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		p := f.payload(t, nil)
		h := hdr("RS256", "rsa-a", `"b64":false,"crit":["b64"]`)
		// RFC 7797: the signing input is the encoded header, '.', and the
		// raw payload.
		input := enc64([]byte(h)) + "." + p
		sig := sigFor(t, "RS256", f.keys.rsa, input)
		return []variant{
			malformed("b64 false in crit, detached", enc64([]byte(h))+".."+enc64(sig)),
			malformed("b64 false in crit, raw payload", input+"."+enc64(sig)),
			malformed("b64 false without crit", f.signedHeader(t, hdr("RS256", "rsa-a", `"b64":false`))),
			malformed("b64 true", f.signedHeader(t, hdr("RS256", "rsa-a", `"b64":true`))),
		}
	}},
	{id: "B22/typ", reason: "kube-apiserver does not look at typ; an issuer-signed token is accepted whatever its typ string. " +
		"Keep token kinds apart with distinct audiences (RFC 8725 §3.12) or a claimValidationRule",
		build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
			var vs []variant
			for _, typ := range []string{"logout+jwt", "dpop+jwt", "secevent+jwt", "at+jwt", "JWT"} {
				vs = append(vs, acc("typ "+typ, f.signedHeader(t, `{"alg":"RS256","kid":"rsa-a","typ":`+jsonString(typ)+`}`), "jane"))
			}
			vs = append(vs, acc("typ absent", f.signedHeader(t, `{"alg":"RS256","kid":"rsa-a"}`), "jane"))
			vs = append(vs, malformed("typ not a string", f.signedHeader(t, `{"alg":"RS256","kid":"rsa-a","typ":1}`)))
			return vs
		}},
	{id: "B23/cty-nested-jwt", reason: "cty is not interpreted (no nested tokens): a cty:JWT header on an issuer-signed JSON claim set is accepted as by kube-apiserver",
		build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
			inner := f.token(t, map[string]any{"username": "admin"})
			h := hdr("RS256", "rsa-a", `"cty":"JWT"`)
			return []variant{
				malformed("payload is a nested JWS", signRaw(t, "RS256", f.keys.rsa, h, inner)),
				malformed("payload is a nested JWS (attacker outer key)", signRaw(t, "RS256", f.keys.attacker, h, inner)),
				acc("cty JWT, JSON claims", f.signedHeader(t, h), "jane"),
			}
		}},
	{id: "B24/zip", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		return []variant{
			malformed("zip DEF", f.signedHeader(t, hdr("RS256", "rsa-a", `"zip":"DEF"`))),
			malformed("zip null", f.signedHeader(t, hdr("RS256", "rsa-a", `"zip":null`))),
		}
	}},
	{id: "B25/jwe-params-in-jws", reason: "JWE members under a JWS alg are inert: no JWE code exists, they are never read, " +
		"and kube-apiserver (go-jose) accepts them; an issuer-signed token carrying them is accepted. enc is refused, and a JWE alg is not in the allow-list",
		build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
			p := f.payload(t, nil)
			jweMembers := `"p2c":2000000000,"p2s":"AAAAAAAAAAA","epk":{"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"},"iv":"AAAA","tag":"AAAA"`
			return []variant{
				malformed("enc under RS256", f.signedHeader(t, hdr("RS256", "rsa-a", `"enc":"A256GCM"`))),
				malformed("RSA-OAEP with enc", signRaw(t, "RS256", f.keys.rsa, `{"alg":"RSA-OAEP","enc":"A256GCM","kid":"rsa-a"}`, p)),
				rej("PBES2 alg with p2c", signRaw(t, "RS256", f.keys.rsa, `{"alg":"PBES2-HS256+A128KW","p2c":2000000000,"kid":"rsa-a"}`, p), algCheck, errAlg),
				rej("dir alg", signRaw(t, "RS256", f.keys.rsa, `{"alg":"dir","kid":"rsa-a"}`, p), algCheck, errAlg),
				acc("p2c, p2s, epk, iv, tag under RS256", f.signedHeader(t, hdr("RS256", "rsa-a", jweMembers)), "jane"),
				rej("p2c, p2s, epk, iv, tag under RS256, attacker key", signRaw(t, "RS256", f.keys.attacker, hdr("RS256", "rsa-a", jweMembers), p), sigCheck, jwtauth.ErrSignature),
			}
		}},
	{id: "B26/duplicate-header-member", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		return []variant{
			malformed("alg RS256 then none", f.signedHeader(t, `{"alg":"RS256","kid":"rsa-a","alg":"none"}`)),
			malformed("alg none then RS256", f.signedHeader(t, `{"alg":"none","kid":"rsa-a","alg":"RS256"}`)),
			malformed("kid twice", f.signedHeader(t, `{"alg":"RS256","kid":"attacker","kid":"rsa-a"}`)),
			malformed("escaped alg twice", f.signedHeader(t, `{"alg":"RS256","kid":"rsa-a","al\u0067":"none"}`)),
		}
	}},
	{id: "B27/oversize-header", reason: "unknown header members are ignored, as by kube-apiserver; a header of 10 KB of them on an issuer-signed token is accepted, 100 KB is over the token size cap",
		build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
			junk := func(n int) string {
				var b strings.Builder
				for i := 0; b.Len() < n; i++ {
					fmt.Fprintf(&b, `,"x%d":"%s"`, i, strings.Repeat("j", 64))
				}
				return `{"alg":"RS256","kid":"rsa-a"` + b.String() + "}"
			}
			return []variant{
				malformed("100 KB of junk members", f.signedHeader(t, junk(100<<10))),
				acc("10 KB of junk members", f.signedHeader(t, junk(10<<10)), "jane"),
			}
		}},
}
