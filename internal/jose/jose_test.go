package jose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

var (
	keysOnce sync.Once
	rsaKey   *rsa.PrivateKey
	ecKeys   map[string]*ecdsa.PrivateKey
)

func testKeys(t testing.TB) {
	keysOnce.Do(func() {
		var err error
		rsaKey, err = rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		ecKeys = map[string]*ecdsa.PrivateKey{}
		for alg, c := range map[string]elliptic.Curve{"ES256": elliptic.P256(), "ES384": elliptic.P384(), "ES512": elliptic.P521()} {
			k, err := ecdsa.GenerateKey(c, rand.Reader)
			if err != nil {
				panic(err)
			}
			ecKeys[alg] = k
		}
	})
}

func signerFor(alg string) crypto.Signer {
	if alg[0] == 'E' {
		return ecKeys[alg]
	}
	return rsaKey
}

func enc(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestSignParseVerifyAllAlgorithms(t *testing.T) {
	testKeys(t)
	for _, alg := range Algorithms {
		t.Run(alg, func(t *testing.T) {
			tok, err := Sign(alg, signerFor(alg), "k1", nil, []byte(`{"sub":"jane"}`))
			require.NoError(t, err)
			jws, err := ParseCompact(tok)
			require.NoError(t, err)
			require.Equal(t, alg, jws.Header.Alg)
			require.Equal(t, "k1", jws.Header.Kid)
			require.True(t, jws.Header.HasKid)
			require.Equal(t, `{"sub":"jane"}`, string(jws.Payload))
			require.NoError(t, Verify(alg, signerFor(alg).Public(), jws.SigningInput, jws.Signature))

			// Negative twins.
			parts := strings.Split(tok, ".")
			tampered := parts[0] + "." + enc(`{"sub":"root"}`)
			require.ErrorIs(t, Verify(alg, signerFor(alg).Public(), tampered, jws.Signature), ErrSignature)
			other := map[byte]string{'R': "ES256", 'P': "ES256", 'E': "RS256"}[alg[0]]
			err = Verify(alg, signerFor(other).Public(), jws.SigningInput, jws.Signature)
			require.ErrorIs(t, err, ErrKeyMismatch)
			wrong, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			require.NoError(t, err)
			if alg == "ES256" {
				require.ErrorIs(t, Verify(alg, wrong.Public(), jws.SigningInput, jws.Signature), ErrSignature)
			}
		})
	}
}

func TestVerifyRejects(t *testing.T) {
	testKeys(t)
	input := "eyJhbGciOiJQUzI1NiJ9.e30"
	digest := sha256.Sum256([]byte(input))

	// PSS with a salt length other than the hash length (RFC 7518 §3.5).
	sig, err := rsa.SignPSS(rand.Reader, rsaKey, crypto.SHA256, digest[:], &rsa.PSSOptions{SaltLength: 20})
	require.NoError(t, err)
	require.ErrorIs(t, Verify("PS256", &rsaKey.PublicKey, input, sig), ErrSignature)
	sig, err = rsa.SignPSS(rand.Reader, rsaKey, crypto.SHA256, digest[:], &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
	require.NoError(t, err)
	require.NoError(t, Verify("PS256", &rsaKey.PublicKey, input, sig))
	// The same signature under the PKCS#1 v1.5 algorithm fails.
	require.ErrorIs(t, Verify("RS256", &rsaKey.PublicKey, input, sig), ErrSignature)

	// ECDSA: DER or wrong-length signatures fail; wrong curve for the alg.
	r, s, err := ecdsa.Sign(rand.Reader, ecKeys["ES256"], digest[:])
	require.NoError(t, err)
	raw := append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
	require.NoError(t, Verify("ES256", ecKeys["ES256"].Public(), input, raw))
	der, err := ecdsa.SignASN1(rand.Reader, ecKeys["ES256"], digest[:])
	require.NoError(t, err)
	require.ErrorIs(t, Verify("ES256", ecKeys["ES256"].Public(), input, der), ErrSignature)
	require.ErrorIs(t, Verify("ES256", ecKeys["ES256"].Public(), input, raw[:63]), ErrSignature)
	require.ErrorIs(t, Verify("ES384", ecKeys["ES256"].Public(), input, raw), ErrKeyMismatch)

	for _, alg := range []string{"none", "HS256", "EdDSA", "", "RS1"} {
		require.ErrorIs(t, Verify(alg, &rsaKey.PublicKey, input, raw), ErrUnsupportedAlgorithm, alg)
	}
}

func TestParseCompactRejects(t *testing.T) {
	h := enc(`{"alg":"RS256","kid":"k"}`)
	p := enc(`{"sub":"a"}`)
	s := enc("signature")
	cases := map[string]string{
		"empty":                "",
		"one part":             h,
		"two parts":            h + "." + p,
		"four parts":           h + "." + p + "." + s + "." + s,
		"JSON serialization":   `{"protected":"` + h + `","payload":"` + p + `","signature":"` + s + `"}`,
		"padding":              h + "." + p + "=." + s,
		"standard alphabet":    h + "." + p + "." + strings.ReplaceAll(s, "_", "/") + "+",
		"newline":              h + ".\n" + p + "." + s,
		"space":                h + " ." + p + "." + s,
		"trailing bits":        h + "." + p[:len(p)-1] + "z." + s,
		"empty signature":      h + "." + p + ".",
		"header not JSON":      enc("nope") + "." + p + "." + s,
		"header array":         enc(`["alg"]`) + "." + p + "." + s,
		"duplicate alg":        enc(`{"alg":"RS256","alg":"none"}`) + "." + p + "." + s,
		"alg missing":          enc(`{"kid":"k"}`) + "." + p + "." + s,
		"alg empty":            enc(`{"alg":""}`) + "." + p + "." + s,
		"alg number":           enc(`{"alg":256}`) + "." + p + "." + s,
		"kid null":             enc(`{"alg":"RS256","kid":null}`) + "." + p + "." + s,
		"kid number":           enc(`{"alg":"RS256","kid":1}`) + "." + p + "." + s,
		"crit":                 enc(`{"alg":"RS256","crit":["exp"],"exp":1}`) + "." + p + "." + s,
		"crit empty":           enc(`{"alg":"RS256","crit":[]}`) + "." + p + "." + s,
		"b64 false":            enc(`{"alg":"RS256","b64":false,"crit":["b64"]}`) + "." + p + "." + s,
		"zip":                  enc(`{"alg":"RS256","zip":"DEF"}`) + "." + p + "." + s,
		"JWE":                  enc(`{"alg":"RSA-OAEP","enc":"A256GCM"}`) + "." + p + "." + s,
		"invalid utf8 header":  base64.RawURLEncoding.EncodeToString([]byte("{\"alg\":\"\xff\"}")) + "." + p + "." + s,
		"trailing header data": enc(`{"alg":"RS256"} x`) + "." + p + "." + s,
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := ParseCompact(tok)
			require.ErrorIs(t, err, ErrMalformed)
			if len(tok) > 8 {
				require.NotContains(t, err.Error(), tok)
				require.NotContains(t, err.Error(), s)
			}
		})
	}
	// The payload is not interpreted here (claims.Parse does that).
	jws, err := ParseCompact(h + "." + enc("not json") + "." + s)
	require.NoError(t, err)
	require.Equal(t, "not json", string(jws.Payload))
}

func b64int(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func rsaJWK(t *testing.T, n *big.Int, e int, extra string) string {
	return fmt.Sprintf(`{"kty":"RSA","kid":"r","n":%q,"e":%q%s}`, b64int(n.Bytes()), b64int(big.NewInt(int64(e)).Bytes()), extra)
}

func TestParseKeySet(t *testing.T) {
	testKeys(t)
	good, err := PublicJWK(&rsaKey.PublicKey, "good", "")
	require.NoError(t, err)
	ec, err := PublicJWK(ecKeys["ES384"].Public(), "ec", "ES384")
	require.NoError(t, err)
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)
	huge := new(big.Int).Lsh(big.NewInt(1), 9000)
	huge.Add(huge, big.NewInt(1))
	point, err := ecKeys["ES256"].PublicKey.Bytes() // 0x04 || X || Y
	require.NoError(t, err)
	y := append([]byte(nil), point[33:65]...)
	y[31] ^= 1
	offCurve := fmt.Sprintf(`{"kty":"EC","kid":"off","crv":"P-256","x":%q,"y":%q}`, b64int(point[1:33]), b64int(y))
	private, err := json.Marshal(map[string]any{"kty": "RSA", "kid": "priv", "n": b64int(rsaKey.N.Bytes()), "e": "AQAB", "d": b64int(rsaKey.D.Bytes())})
	require.NoError(t, err)

	set := `{"keys":[` + strings.Join([]string{
		string(good),
		string(ec),
		`{"kty":"oct","kid":"hmac","k":"c2VjcmV0"}`,
		`{"kty":"OKP","kid":"ed","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}`,
		`{"kty":"XYZ","kid":"future"}`,
		rsaJWK(t, small.N, 65537, ""),
		rsaJWK(t, huge, 65537, ""),
		rsaJWK(t, rsaKey.N, 1, ""),
		string(private),
		offCurve,
		rsaJWK(t, rsaKey.N, 65537, `,"use":"enc"`),
		rsaJWK(t, rsaKey.N, 65537, `,"key_ops":["encrypt"]`),
		rsaJWK(t, rsaKey.N, 65537, `,"kid":5`),
		`"not an object"`,
	}, ",") + `]}`
	keys, skipped, err := ParseKeySet([]byte(set))
	require.NoError(t, err)
	require.Len(t, keys, 2)
	require.Equal(t, "good", keys[0].ID)
	require.Equal(t, "ec", keys[1].ID)
	require.Equal(t, "ES384", keys[1].Algorithm)
	require.Len(t, skipped, 12)
	for _, e := range skipped {
		require.NotContains(t, e.Error(), b64int(rsaKey.N.Bytes())[:20])
	}

	for _, bad := range []string{``, `[]`, `{}`, `{"keys":{}}`, `null`} {
		_, _, err := ParseKeySet([]byte(bad))
		require.ErrorIs(t, err, ErrKeySet, bad)
	}
	keys, skipped, err = ParseKeySet([]byte(`{"keys":[]}`))
	require.NoError(t, err)
	require.Empty(t, keys)
	require.Empty(t, skipped)
}

func FuzzParseCompact(f *testing.F) {
	for _, seed := range []string{
		enc(`{"alg":"RS256"}`) + "." + enc(`{}`) + "." + enc("sig"),
		"a.b.c", "", "..", `{"a":1}`,
		enc(`{"alg":"ES256","kid":"x","crit":[]}`) + ".e30.AA",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		jws, err := ParseCompact(tok)
		if err != nil {
			return
		}
		// Accepted tokens re-encode to themselves: no malleability.
		parts := strings.Split(tok, ".")
		if b64int(jws.RawHeader) != parts[0] || b64int(jws.Payload) != parts[1] || b64int(jws.Signature) != parts[2] {
			t.Fatalf("accepted a non-canonical token %q", tok)
		}
		if jws.SigningInput != parts[0]+"."+parts[1] || jws.Header.Alg == "" {
			t.Fatalf("bad parse of %q", tok)
		}
	})
}

func FuzzParseKeySet(f *testing.F) {
	f.Add([]byte(`{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}]}`))
	f.Add([]byte(`{"keys":[null,1,"x",{}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		keys, _, err := ParseKeySet(data)
		if err != nil {
			return
		}
		for _, k := range keys {
			switch p := k.Public.(type) {
			case *rsa.PublicKey:
				if p.N.BitLen() < MinRSABits || p.N.BitLen() > MaxRSABits {
					t.Fatalf("accepted a %d-bit RSA key", p.N.BitLen())
				}
			case *ecdsa.PublicKey:
			default:
				t.Fatalf("accepted key type %T", p)
			}
		}
	})
}

func BenchmarkParseAndVerifyRS256(b *testing.B) {
	testKeys(b)
	tok, err := Sign("RS256", rsaKey, "k", nil, []byte(`{"iss":"https://issuer.example","sub":"jane","aud":"a","exp":1900000000}`))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		jws, err := ParseCompact(tok)
		if err != nil {
			b.Fatal(err)
		}
		if err := Verify(jws.Header.Alg, &rsaKey.PublicKey, jws.SigningInput, jws.Signature); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRawVerifyRS256(b *testing.B) {
	testKeys(b)
	tok, err := Sign("RS256", rsaKey, "k", nil, []byte(`{"iss":"https://issuer.example","sub":"jane","aud":"a","exp":1900000000}`))
	if err != nil {
		b.Fatal(err)
	}
	parts := strings.Split(tok, ".")
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	input := parts[0] + "." + parts[1]
	b.ReportAllocs()
	for b.Loop() {
		d := sha256.Sum256([]byte(input))
		if err := rsa.VerifyPKCS1v15(&rsaKey.PublicKey, crypto.SHA256, d[:], sig); err != nil {
			b.Fatal(err)
		}
	}
}
