package jose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"math/big"
	"os"
	"strings"
	"testing"
)

// benchToken signs the 1.9 KB Entra-like claim set used by the claims
// benchmarks, so the numbers are for a realistic token size.
func benchToken(b *testing.B, alg string) string {
	testKeys(b)
	payload, err := os.ReadFile("../../claims/testdata/entra_v1_access_token.json")
	if err != nil {
		b.Fatal(err)
	}
	token, err := Sign(alg, signerFor(alg, false), "nOo3ZDrODXEK1jKWhXslHR_KXEg", nil, payload)
	if err != nil {
		b.Fatal(err)
	}
	return token
}

func BenchmarkParseCompact(b *testing.B) {
	token := benchToken(b, "RS256")
	b.ReportAllocs()
	b.SetBytes(int64(len(token)))
	for b.Loop() {
		if _, err := ParseCompact(token); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseAndVerifyRS256 is the front door plus Verify; compare
// with BenchmarkRawVerifyRS256, the bare hash and crypto/rsa call on
// pre-decoded inputs.
func BenchmarkParseAndVerifyRS256(b *testing.B) {
	token := benchToken(b, "RS256")
	b.ReportAllocs()
	for b.Loop() {
		jws, err := ParseCompact(token)
		if err != nil {
			b.Fatal(err)
		}
		if err := Verify(jws.Header.Alg, &rsaKey.PublicKey, jws.SigningInput, jws.Signature); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRawVerifyRS256(b *testing.B) {
	token := benchToken(b, "RS256")
	i := strings.LastIndexByte(token, '.')
	input, sig := []byte(token[:i]), dec(token[i+1:])
	b.ReportAllocs()
	for b.Loop() {
		d := sha256.Sum256(input)
		if err := rsa.VerifyPKCS1v15(&rsaKey.PublicKey, crypto.SHA256, d[:], sig); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseAndVerifyES256(b *testing.B) {
	token := benchToken(b, "ES256")
	b.ReportAllocs()
	for b.Loop() {
		jws, err := ParseCompact(token)
		if err != nil {
			b.Fatal(err)
		}
		if err := Verify(jws.Header.Alg, ecKeys["ES256"].Public(), jws.SigningInput, jws.Signature); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRawVerifyES256(b *testing.B) {
	token := benchToken(b, "ES256")
	i := strings.LastIndexByte(token, '.')
	input, sig := []byte(token[:i]), dec(token[i+1:])
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	b.ReportAllocs()
	for b.Loop() {
		d := sha256.Sum256(input)
		if !ecdsa.Verify(&ecKeys["ES256"].PublicKey, d[:], r, s) {
			b.Fatal("invalid")
		}
	}
}
