package jose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/json"
	"math/big"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRoundTrip signs with jwx and verifies with Verify (stdlib), for all
// nine algorithms, and checks the negative twin of each positive case.
func TestRoundTrip(t *testing.T) {
	testKeys(t)
	require.IsIncreasing(t, Algorithms)
	for _, alg := range Algorithms {
		t.Run(alg, func(t *testing.T) {
			payload := []byte(`{"iss":"https://issuer.example","sub":"jane"}`)
			token, err := Sign(alg, signerFor(alg, false), "k1", map[string]any{"x-extra": "v"}, payload)
			require.NoError(t, err)
			jws, err := ParseCompact(token)
			require.NoError(t, err)
			require.Equal(t, Header{Alg: alg, Kid: "k1", Typ: "JWT", HasKid: true}, jws.Header)
			require.Equal(t, payload, jws.Payload)
			pub := signerFor(alg, false).Public()
			require.NoError(t, Verify(alg, pub, jws.SigningInput, jws.Signature))

			segs := strings.Split(token, ".")
			t.Run("tampered payload", func(t *testing.T) {
				input := segs[0] + "." + enc(`{"iss":"https://issuer.example","sub":"root"}`)
				require.ErrorIs(t, Verify(alg, pub, input, jws.Signature), ErrSignature)
			})
			t.Run("bit flips in the signing input and signature", func(t *testing.T) {
				for i := 0; i < len(jws.SigningInput); i += 7 {
					b := []byte(jws.SigningInput)
					b[i] ^= 1
					require.ErrorIs(t, Verify(alg, pub, string(b), jws.Signature), ErrSignature)
				}
				for i := range jws.Signature {
					sig := append([]byte(nil), jws.Signature...)
					sig[i] ^= 0x80
					require.ErrorIs(t, Verify(alg, pub, jws.SigningInput, sig), ErrSignature)
				}
			})
			t.Run("signature truncated or extended", func(t *testing.T) {
				sig := jws.Signature
				require.ErrorIs(t, Verify(alg, pub, jws.SigningInput, sig[:len(sig)-1]), ErrSignature)
				require.ErrorIs(t, Verify(alg, pub, jws.SigningInput, append(append([]byte(nil), sig...), 0)), ErrSignature)
				require.ErrorIs(t, Verify(alg, pub, jws.SigningInput, nil), ErrSignature)
			})
			t.Run("another key of the same type", func(t *testing.T) {
				require.ErrorIs(t, Verify(alg, signerFor(alg, true).Public(), jws.SigningInput, jws.Signature), ErrSignature)
			})
			t.Run("key of the wrong type", func(t *testing.T) {
				wrong := map[byte]string{'R': "ES256", 'P': "ES384", 'E': "RS256"}[alg[0]]
				require.ErrorIs(t, Verify(alg, signerFor(wrong, false).Public(), jws.SigningInput, jws.Signature), ErrKeyMismatch)
			})
			t.Run("alg changed in the header", func(t *testing.T) {
				// Another allowed alg with the same key type, a downgrade to
				// none and HS256 (the key-confusion classics): the header is
				// part of the signing input, so nothing verifies.
				for _, other := range []string{sibling(alg), "none", "HS256"} {
					var h map[string]any
					require.NoError(t, json.Unmarshal(jws.RawHeader, &h))
					h["alg"] = other
					raw, err := json.Marshal(h)
					require.NoError(t, err)
					forged, err := ParseCompact(tok(b64(raw), segs[1], segs[2]))
					require.NoError(t, err)
					require.Error(t, Verify(forged.Header.Alg, pub, forged.SigningInput, forged.Signature), other)
					// Even the original signing input does not verify under
					// another algorithm.
					require.Error(t, Verify(other, pub, jws.SigningInput, jws.Signature), other)
				}
			})
		})
	}
}

// sibling returns another allowed algorithm usable with the same key.
func sibling(alg string) string {
	return map[string]string{
		"RS256": "RS384", "RS384": "PS384", "RS512": "RS256",
		"PS256": "RS256", "PS384": "PS512", "PS512": "PS256",
		"ES256": "ES384", "ES384": "ES256", "ES512": "ES256",
	}[alg]
}

func TestVerifyUnsupportedAlgorithms(t *testing.T) {
	testKeys(t)
	input := "eyJhbGciOiJSUzI1NiJ9.e30"
	d := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, rsaKey, crypto.SHA256, d[:])
	require.NoError(t, err)
	require.NoError(t, Verify("RS256", &rsaKey.PublicKey, input, sig))
	for _, alg := range []string{"none", "None", "NONE", "HS256", "HS384", "HS512", "EdDSA", "Ed25519", "ES256K",
		"", "rs256", "Rs256", "RS256 ", " RS256", "RS1", "RSA-OAEP"} {
		err := Verify(alg, &rsaKey.PublicKey, input, sig)
		require.ErrorIs(t, err, ErrUnsupportedAlgorithm, alg)
		require.Equal(t, ErrUnsupportedAlgorithm.Error(), err.Error(), "the alg is not echoed")
	}
}

func TestVerifyKeyMismatch(t *testing.T) {
	testKeys(t)
	sig := make([]byte, 64)
	cases := []struct {
		alg string
		key crypto.PublicKey
	}{
		{"RS256", ecKeys["ES256"].Public()},
		{"PS256", ecKeys["ES256"].Public()},
		{"ES256", &rsaKey.PublicKey},
		{"ES256", ecKeys["ES384"].Public()}, // RFC 7518 §3.4: the curve is bound to the alg
		{"ES384", ecKeys["ES256"].Public()},
		{"ES512", ecKeys["ES384"].Public()},
		{"RS256", rsaKey},          // a private key is not a public key
		{"ES256", ecKeys["ES256"]}, // ditto
		{"RS256", nil},
		{"RS256", (*rsa.PublicKey)(nil)},
		{"RS256", &rsa.PublicKey{}},
		{"ES256", (*ecdsa.PublicKey)(nil)},
		{"ES256", &ecdsa.PublicKey{Curve: elliptic.P256()}},
		{"RS256", []byte("a shared secret")},
	}
	for _, tc := range cases {
		require.ErrorIs(t, Verify(tc.alg, tc.key, "a.b", sig), ErrKeyMismatch, "%s %T", tc.alg, tc.key)
	}
}

// TestVerifyPSSSaltLength: RFC 7518 §3.5 fixes the salt length to the
// hash size; crypto/rsa signatures with any other length are refused
// (Wycheproof "SaltLenChanged"; go-jose and jwx accept them).
func TestVerifyPSSSaltLength(t *testing.T) {
	testKeys(t)
	input := "eyJhbGciOiJQUzI1NiJ9.e30"
	for alg, h := range map[string]crypto.Hash{"PS256": crypto.SHA256, "PS384": crypto.SHA384, "PS512": crypto.SHA512} {
		hh := h.New()
		hh.Write([]byte(input))
		d := hh.Sum(nil)
		for _, salt := range []int{0, 20, h.Size() - 1, h.Size(), h.Size() + 1, rsa.PSSSaltLengthAuto} {
			sig, err := rsa.SignPSS(rand.Reader, rsaKey, h, d, &rsa.PSSOptions{SaltLength: salt})
			require.NoError(t, err)
			err = Verify(alg, &rsaKey.PublicKey, input, sig)
			if salt == h.Size() {
				require.NoError(t, err, "%s salt %d", alg, salt)
			} else {
				require.ErrorIs(t, err, ErrSignature, "%s salt %d", alg, salt)
			}
			// A PSS signature is never a PKCS#1 v1.5 one.
			require.ErrorIs(t, Verify("RS"+alg[2:], &rsaKey.PublicKey, input, sig), ErrSignature)
		}
	}
}

// TestVerifyRSASpecialSignatures: Wycheproof-style edge values.
func TestVerifyRSASpecialSignatures(t *testing.T) {
	testKeys(t)
	input := "eyJhbGciOiJSUzI1NiJ9.e30"
	d := sha256.Sum256([]byte(input))
	good, err := rsa.SignPKCS1v15(rand.Reader, rsaKey, crypto.SHA256, d[:])
	require.NoError(t, err)
	require.NoError(t, Verify("RS256", &rsaKey.PublicKey, input, good))

	n := rsaKey.N
	k := (n.BitLen() + 7) / 8
	fixed := func(v *big.Int) []byte { return v.FillBytes(make([]byte, k)) }
	nPlus := new(big.Int).Add(n, big.NewInt(1))
	cases := map[string][]byte{
		"zero":                    make([]byte, k),
		"one":                     fixed(big.NewInt(1)),
		"n-1":                     fixed(new(big.Int).Sub(n, big.NewInt(1))),
		"n":                       fixed(n),
		"n+1":                     fixed(nPlus),
		"all ones":                []byte(strings.Repeat("\xff", k)),
		"leading zero stripped":   new(big.Int).SetBytes(good).Bytes()[:k-1],
		"extended with a zero":    append([]byte{0}, good...),
		"signature of SHA-384":    signRSA(t, crypto.SHA384, input),
		"signature of other data": signRSA(t, crypto.SHA256, input+"x"),
	}
	for name, sig := range cases {
		for _, alg := range []string{"RS256", "PS256"} {
			require.ErrorIs(t, Verify(alg, &rsaKey.PublicKey, input, sig), ErrSignature, "%s %s", alg, name)
		}
	}
}

func signRSA(t *testing.T, h crypto.Hash, input string) []byte {
	hh := h.New()
	hh.Write([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, rsaKey, h, hh.Sum(nil))
	require.NoError(t, err)
	return sig
}

// TestVerifyECDSASpecialSignatures covers psychic signatures
// (CVE-2022-21449), out-of-range values, DER and wrong lengths.
func TestVerifyECDSASpecialSignatures(t *testing.T) {
	testKeys(t)
	input := "eyJhbGciOiJFUzI1NiJ9.e30"
	for alg, key := range ecKeys {
		t.Run(alg, func(t *testing.T) {
			params := key.Curve.Params()
			size := (params.BitSize + 7) / 8
			var d []byte
			switch alg {
			case "ES256":
				s := sha256.Sum256([]byte(input))
				d = s[:]
			case "ES384":
				s := sha512.Sum384([]byte(input))
				d = s[:]
			default:
				s := sha512.Sum512([]byte(input))
				d = s[:]
			}
			r, s, err := ecdsa.Sign(rand.Reader, key, d)
			require.NoError(t, err)
			raw := func(r, s *big.Int) []byte {
				return append(r.FillBytes(make([]byte, size)), s.FillBytes(make([]byte, size))...)
			}
			pub := key.Public()
			require.NoError(t, Verify(alg, pub, input, raw(r, s)))

			// High S (s -> n-s) is mathematically valid (C09): accepted.
			highS := new(big.Int).Sub(params.N, s)
			require.NoError(t, Verify(alg, pub, input, raw(r, highS)))

			zero, one := big.NewInt(0), big.NewInt(1)
			nMinus := new(big.Int).Sub(params.N, one)
			der, err := ecdsa.SignASN1(rand.Reader, key, d)
			require.NoError(t, err)
			bad := map[string][]byte{
				"r=s=0":     raw(zero, zero),
				"r=0":       raw(zero, s),
				"s=0":       raw(r, zero),
				"r=n":       raw(params.N, s),
				"s=n":       raw(r, params.N),
				"r=s=n-1":   raw(nMinus, nMinus),
				"r=1,s=1":   raw(one, one),
				"all ones":  []byte(strings.Repeat("\xff", 2*size)),
				"DER":       der,
				"one short": raw(r, s)[:2*size-1],
				"one long":  append(raw(r, s), 0),
				"empty":     {},
			}
			bad["r above n"] = append([]byte(strings.Repeat("\xff", size)), raw(r, s)[size:]...)
			for name, sig := range bad {
				require.ErrorIs(t, Verify(alg, pub, input, sig), ErrSignature, name)
			}
		})
	}
	// ES256 with a P-384-length signature (C10).
	require.ErrorIs(t, Verify("ES256", ecKeys["ES256"].Public(), input, make([]byte, 96)), ErrSignature)
}
