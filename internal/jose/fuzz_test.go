package jose

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"strings"
	"testing"
)

// FuzzParseCompact: no panic; every accepted token is canonical (its
// segments re-encode to exactly themselves, so no two strings parse to the
// same JWS) with a non-empty alg; every error wraps ErrMalformed and does
// not echo the token.
func FuzzParseCompact(f *testing.F) {
	for _, seed := range []string{
		tok(enc(`{"alg":"RS256"}`), enc(`{}`), enc("sig")),
		tok(enc(`{"alg":"ES256","kid":"k","typ":"JWT"}`), enc(`{"sub":"a"}`), "AA"),
		tok(enc(`{"alg":"ES256","kid":"x","crit":[]}`), "e30", "AA"),
		tok(enc(`{"alg":"RS256","x5c":["MAMCAQE="]}`), "", "AQ"),
		tok(enc(`{"alg":"RS256","alg":"none"}`), "e30", "AA"),
		"a.b.c", "", "..", `{"a":1}`, "eyJ.eyJ.eyJ=", "a.b.c.d.e",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, token string) {
		jws, err := ParseCompact(token)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error wraps no sentinel: %v", err)
			}
			if len(token) >= 16 && strings.Contains(err.Error(), token) {
				t.Fatalf("error echoes the token: %v", err)
			}
			return
		}
		segs := strings.Split(token, ".")
		if len(segs) != 3 {
			t.Fatalf("accepted %d segments", len(segs))
		}
		if b64(jws.RawHeader) != segs[0] || b64(jws.Payload) != segs[1] || b64(jws.Signature) != segs[2] {
			t.Fatalf("accepted a non-canonical token %q", token)
		}
		if jws.SigningInput != segs[0]+"."+segs[1] || jws.Header.Alg == "" || len(jws.Signature) == 0 {
			t.Fatalf("bad parse of %q", token)
		}
		if jws.Header.Kid != "" && !jws.Header.HasKid {
			t.Fatalf("kid without HasKid")
		}
	})
}

// FuzzParseKeySet: no panic; the document error wraps ErrKeySet; every
// key kept satisfies the sanitiser's invariants.
func FuzzParseKeySet(f *testing.F) {
	testKeys(f)
	good, err := PublicJWK(&rsaKey.PublicKey, "r", "RS256")
	if err != nil {
		f.Fatal(err)
	}
	ec, err := PublicJWK(ecKeys["ES256"].Public(), "e", "")
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(`{"keys":[` + string(good) + `,` + string(ec) + `]}`))
	f.Add([]byte(`{"keys":[{"kty":"RSA","n":"AQAB","e":"AQAB"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}]}`))
	f.Add([]byte(`{"keys":[null,1,"x",{},[],{"kty":"oct","k":"AA"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"AA"}],"keys":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		keys, skipped, err := ParseKeySet(data)
		if err != nil {
			if !errors.Is(err, ErrKeySet) || keys != nil || skipped != nil {
				t.Fatalf("bad document error: %v", err)
			}
			return
		}
		for _, k := range keys {
			switch p := k.Public.(type) {
			case *rsa.PublicKey:
				if b := p.N.BitLen(); b < MinRSABits || b > MaxRSABits || p.E < 3 || p.E%2 == 0 {
					t.Fatalf("kept a bad RSA key: %d bits, e=%d", b, p.E)
				}
			case *ecdsa.PublicKey:
				if c := p.Curve; c != elliptic.P256() && c != elliptic.P384() && c != elliptic.P521() {
					t.Fatalf("kept a key on %s", c.Params().Name)
				}
				if _, err := p.ECDH(); err != nil {
					t.Fatalf("kept an invalid EC point")
				}
			default:
				t.Fatalf("kept a %T", p)
			}
			if k.Use != "" && k.Use != "sig" {
				t.Fatalf("kept use %q", k.Use)
			}
		}
		for _, e := range skipped {
			if e == nil {
				t.Fatal("nil skip reason")
			}
		}
	})
}
