package jwtauth_test

// Catalogue group C: signatures (spec/security.md §3).

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/asn1"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/structauth/structauth/jwtauth"
	"github.com/structauth/structauth/jwtauth/jwtauthtest"
)

func TestAdversarialSignature(t *testing.T) { runAdversarial(t, "C", signatureCases) }

var errSig = jwtauth.ErrSignature

func badSig(name, token string) variant { return rej(name, token, sigCheck, errSig) }

// ecSig encodes r and s as a JWS ECDSA signature for a curve of size
// bytes per coordinate (values wider than size keep their full width).
func ecSig(r, s *big.Int, size int) []byte {
	enc := func(v *big.Int) []byte {
		b := v.Bytes()
		if len(b) >= size {
			return b
		}
		return append(make([]byte, size-len(b)), b...)
	}
	return append(enc(r), enc(s)...)
}

// rsaRaw applies the RSA private operation to em (the encoded message of
// PKCS#1 v1.5 built by hand), producing a signature of the modulus size.
func rsaRaw(key *rsa.PrivateKey, em []byte) []byte {
	m := new(big.Int).SetBytes(em)
	s := new(big.Int).Exp(m, key.D, key.N)
	return s.FillBytes(make([]byte, key.Size()))
}

// pkcs1EM builds 0x00 0x01 FF.. 0x00 T for a k-byte modulus.
func pkcs1EM(k int, t []byte) []byte {
	em := make([]byte, k)
	em[1] = 0x01
	for i := 2; i < k-len(t)-1; i++ {
		em[i] = 0xff
	}
	copy(em[k-len(t):], t)
	return em
}

// pssSign signs digest (of hash h) with EMSA-PSS (RFC 8017 §9.1.1) and
// a salt of saltLen zero bytes, by hand: crypto/rsa cannot make the empty
// salt (its 0 means "maximum").
func pssSign(key *rsa.PrivateKey, h crypto.Hash, digest []byte, saltLen int) []byte {
	emBits := key.N.BitLen() - 1
	emLen := (emBits + 7) / 8
	hLen := h.Size()
	salt := make([]byte, saltLen)
	mPrime := append(append(make([]byte, 8), digest...), salt...)
	hh := h.New()
	hh.Write(mPrime)
	H := hh.Sum(nil)
	db := make([]byte, emLen-hLen-1)
	db[emLen-saltLen-hLen-2] = 0x01
	copy(db[emLen-saltLen-hLen-1:], salt)
	// MGF1 with the same hash.
	mask := make([]byte, 0, len(db)+hLen)
	for counter := uint32(0); len(mask) < len(db); counter++ {
		hh.Reset()
		hh.Write(H)
		hh.Write([]byte{byte(counter >> 24), byte(counter >> 16), byte(counter >> 8), byte(counter)})
		mask = hh.Sum(mask)
	}
	for i := range db {
		db[i] ^= mask[i]
	}
	db[0] &= 0xff >> (8*emLen - emBits)
	em := append(append(db, H...), 0xbc)
	return rsaRaw(key, em)
}

// sha256DigestInfo is the DER DigestInfo prefix for SHA-256 (RFC 8017 §9.2).
var sha256DigestInfo = []byte{0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20}

var signatureCases = []advCase{
	{id: "C01/empty-signature", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		h, p, _ := segments(f.token(t, nil))
		es := signRaw(t, "ES256", f.keys.p256, hdr("ES256", "p256-a"), f.payload(t, nil))
		eh, ep, _ := segments(es)
		return []variant{malformed("RS256", h+"."+p+"."), malformed("ES256", eh+"."+ep+".")}
	}},
	{id: "C02/signature-length-off-by-one", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		p := f.payload(t, nil)
		rs := sigFor(t, "RS256", f.keys.rsa, enc64([]byte(hdr("RS256", "rsa-a")))+"."+enc64([]byte(p)))
		esIn := enc64([]byte(hdr("ES256", "p256-a"))) + "." + enc64([]byte(p))
		es := sigFor(t, "ES256", f.keys.p256, esIn)
		return []variant{
			badSig("RS256 truncated", withSig(hdr("RS256", "rsa-a"), p, rs[:len(rs)-1])),
			badSig("RS256 extended", withSig(hdr("RS256", "rsa-a"), p, append(rs, 0))),
			badSig("RS256 leading zero added", withSig(hdr("RS256", "rsa-a"), p, append([]byte{0}, rs...))),
			badSig("ES256 truncated", esIn+"."+enc64(es[:63])),
			badSig("ES256 extended", esIn+"."+enc64(append(es, 0))),
		}
	}},
	{id: "C03/bit-flips", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		// The mutation oracle: every single-bit change of the decoded
		// header, payload or signature of one valid token (re-encoded
		// canonically) must be rejected. Run here, one Authenticate per
		// mutation, and summarised as one variant per segment.
		payload := fmt.Sprintf(`{"iss":%q,"aud":"my-client","username":"jane","exp":%d}`, f.primary.URL, testNow.Add(time.Hour).Unix())
		tok := signRaw(t, "RS256", f.keys.rsa, hdr("RS256", "rsa-a"), payload)
		_, err := a.Authenticate(t.Context(), tok)
		require.NoError(t, err, "the unmutated token must be accepted")
		h, p, s := segments(tok)
		segs := [3][]byte{jwtauthtest.MustDecodeSegment(h), jwtauthtest.MustDecodeSegment(p), jwtauthtest.MustDecodeSegment(s)}
		names := [3]string{"header", "payload", "signature"}
		var vs []variant
		for i := range segs {
			tried := 0
			for pos := range segs[i] {
				for bit := range 8 {
					mut := [3][]byte{segs[0], segs[1], segs[2]}
					mut[i] = append([]byte(nil), segs[i]...)
					mut[i][pos] ^= 1 << bit
					m := enc64(mut[0]) + "." + enc64(mut[1]) + "." + enc64(mut[2])
					u, err := authenticateNoPanic(t, a, m)
					require.Error(t, err, "FALSE ACCEPT: %s byte %d bit %d", names[i], pos, bit)
					require.Nil(t, u)
					requireNoEcho(t, err, m)
					tried++
				}
			}
			// The last mutation of each segment also goes through the
			// runner (with any rejection class).
			last := [3][]byte{segs[0], segs[1], segs[2]}
			last[i] = append([]byte(nil), segs[i]...)
			last[i][len(last[i])-1] ^= 0x80
			t.Logf("C03 %s: %d single-bit mutations, all rejected", names[i], tried)
			vs = append(vs, rej(fmt.Sprintf("%s: %d single-bit mutations", names[i], tried), enc64(last[0])+"."+enc64(last[1])+"."+enc64(last[2]), "", nil))
		}
		return vs
	}},
	{id: "C04/other-key-same-kid", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		p := f.payload(t, nil)
		return []variant{
			badSig("RSA attacker key, kid rsa-a", signRaw(t, "RS256", f.keys.attacker, hdr("RS256", "rsa-a"), p)),
			badSig("EC attacker key, kid p256-a", signRaw(t, "ES256", f.keys.attackEC, hdr("ES256", "p256-a"), p)),
			badSig("PS256 attacker key, kid rsa-a", signRaw(t, "PS256", f.keys.attacker, hdr("PS256", "rsa-a"), p)),
		}
	}},
	{id: "C05/psychic-signature-zero", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		p := f.payload(t, nil)
		zero, one := big.NewInt(0), big.NewInt(1)
		var vs []variant
		for _, c := range []struct {
			alg, kid string
			size     int
		}{{"ES256", "p256-a", 32}, {"ES384", "p384-a", 48}, {"ES512", "p521-a", 66}} {
			vs = append(vs,
				badSig(c.alg+" r=s=0", withSig(hdr(c.alg, c.kid), p, ecSig(zero, zero, c.size))),
				badSig(c.alg+" r=0", withSig(hdr(c.alg, c.kid), p, ecSig(zero, one, c.size))),
				badSig(c.alg+" s=0", withSig(hdr(c.alg, c.kid), p, ecSig(one, zero, c.size))))
		}
		return vs
	}},
	{id: "C06/ecdsa-special-r-s", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		p := f.payload(t, nil)
		params := elliptic.P256().Params()
		n := params.N
		in := enc64([]byte(hdr("ES256", "p256-a"))) + "." + enc64([]byte(p))
		valid := sigFor(t, "ES256", f.keys.p256, in)
		r, s := new(big.Int).SetBytes(valid[:32]), new(big.Int).SetBytes(valid[32:])
		ones := new(big.Int).SetBytes([]byte(strings.Repeat("\xff", 32)))
		specials := map[string]*big.Int{
			"n": n, "n-1": new(big.Int).Sub(n, big.NewInt(1)), "n+1": new(big.Int).Add(n, big.NewInt(1)),
			"p": params.P, "all-ones": ones, "r+n": new(big.Int).Add(r, n),
		}
		var vs []variant
		for name, v := range specials {
			if v.BitLen() > 256 {
				continue // does not fit 32 bytes (r+n may not)
			}
			vs = append(vs,
				badSig("r="+name, in+"."+enc64(ecSig(v, s, 32))),
				badSig("s="+name, in+"."+enc64(ecSig(r, v, 32))),
				badSig("r=s="+name, in+"."+enc64(ecSig(v, v, 32))))
		}
		return vs
	}},
	{id: "C07/ecdsa-der-signature", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		in := enc64([]byte(hdr("ES256", "p256-a"))) + "." + enc64([]byte(f.payload(t, nil)))
		der, err := ecdsa.SignASN1(rand.Reader, f.keys.p256, digestOf(crypto.SHA256, in))
		require.NoError(t, err)
		// A DER signature of exactly 64 bytes is possible but rare; check
		// that this one parses as DER and still fails as R||S.
		var sig struct{ R, S *big.Int }
		_, err = asn1.Unmarshal(der, &sig)
		require.NoError(t, err)
		return []variant{badSig("DER", in+"."+enc64(der))}
	}},
	{id: "C08/ecdsa-unpadded-r", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		// Sign until r has a leading zero byte, then drop it (63 bytes).
		for i := 0; i < 20000; i++ {
			in := enc64([]byte(hdr("ES256", "p256-a"))) + "." + enc64([]byte(f.payload(t, map[string]any{"jti": fmt.Sprint(i)})))
			sig := sigFor(t, "ES256", f.keys.p256, in)
			if sig[0] == 0 {
				return []variant{badSig("63-byte R||S", in+"."+enc64(sig[1:]))}
			}
		}
		t.Fatal("no signature with a leading zero byte in r")
		return nil
	}},
	{id: "C09/ecdsa-high-s", reason: "s -> n-s is a second valid ECDSA signature of the same message (ECDSA is malleable); " +
		"Go's crypto/ecdsa and kube-apiserver accept it. Nothing in the library keys on the raw token bytes",
		build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
			in := enc64([]byte(hdr("ES256", "p256-a"))) + "." + enc64([]byte(f.payload(t, nil)))
			sig := sigFor(t, "ES256", f.keys.p256, in)
			n := elliptic.P256().Params().N
			r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
			return []variant{
				acc("s -> n-s", in+"."+enc64(ecSig(r, new(big.Int).Sub(n, s), 32)), "jane"),
				badSig("s -> n+s (out of range)", in+"."+enc64(ecSig(r, new(big.Int).Add(n, s), 32))),
			}
		}},
	{id: "C10/ecdsa-wrong-size", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		in := enc64([]byte(hdr("ES256", "p256-a"))) + "." + enc64([]byte(f.payload(t, nil)))
		sig := sigFor(t, "ES256", f.keys.p256, in)
		r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
		return []variant{
			badSig("96 bytes (P-384 size)", in+"."+enc64(ecSig(r, s, 48))),
			badSig("132 bytes (P-521 size)", in+"."+enc64(ecSig(r, s, 66))),
		}
	}},
	{id: "C11/rsa-signature-special-values", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		k := f.keys.rsa.Size()
		n := f.keys.rsa.N
		fill := func(v *big.Int) []byte {
			if v.BitLen() > 8*k {
				return v.Bytes()
			}
			return v.FillBytes(make([]byte, k))
		}
		p := f.payload(t, nil)
		h := hdr("RS256", "rsa-a")
		values := map[string][]byte{
			"0": fill(big.NewInt(0)), "1": fill(big.NewInt(1)), "n-1": fill(new(big.Int).Sub(n, big.NewInt(1))),
			"n": fill(n), "n+1": fill(new(big.Int).Add(n, big.NewInt(1))), "all-ones": []byte(strings.Repeat("\xff", k)),
		}
		var vs []variant
		for name, v := range values {
			vs = append(vs, badSig("RS256 sig="+name, withSig(h, p, v)))
			vs = append(vs, badSig("PS256 sig="+name, withSig(hdr("PS256", "rsa-a"), p, v)))
		}
		return vs
	}},
	{id: "C12/pkcs1-padding-tricks", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		key := f.keys.rsa
		k := key.Size()
		h := hdr("RS256", "rsa-a")
		p := f.payload(t, nil)
		in := enc64([]byte(h)) + "." + enc64([]byte(p))
		d := digestOf(crypto.SHA256, in)
		good := append(append([]byte(nil), sha256DigestInfo...), d...)
		// Control: the hand-built encoding is right, so the variants
		// below fail for their one change only.
		_, err := a.Authenticate(t.Context(), in+"."+enc64(rsaRaw(key, pkcs1EM(k, good))))
		require.NoError(t, err, "hand-built PKCS#1 v1.5 signature must verify")

		noNull := append([]byte{0x30, 0x2f, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x04, 0x20}, d...)
		wrongOID := append([]byte(nil), good...)
		wrongOID[14] = 0x03 // SHA-512's OID with a SHA-256 digest
		berLen := append([]byte{0x30, 0x81, 0x31}, good[2:]...)
		trailing := append(append([]byte(nil), good...), 0xde, 0xad)
		type2 := pkcs1EM(k, good)
		type2[1] = 0x02
		shortPad := make([]byte, k)
		shortPad[1] = 0x01
		copy(shortPad[2:], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00}) // only 7 bytes of FF: then garbage
		copy(shortPad[k-len(good):], good)
		return []variant{
			badSig("DigestInfo without NULL", in+"."+enc64(rsaRaw(key, pkcs1EM(k, noNull)))),
			badSig("wrong hash OID", in+"."+enc64(rsaRaw(key, pkcs1EM(k, wrongOID)))),
			badSig("BER long-form length", in+"."+enc64(rsaRaw(key, pkcs1EM(k, berLen)))),
			badSig("trailing bytes after the digest", in+"."+enc64(rsaRaw(key, pkcs1EM(k, trailing)))),
			badSig("block type 2", in+"."+enc64(rsaRaw(key, type2))),
			badSig("short padding then garbage", in+"."+enc64(rsaRaw(key, shortPad))),
		}
	}},
	{id: "C13/rsa-leading-zero-stripped", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		h := hdr("RS256", "rsa-a")
		for i := 0; i < 8192; i++ {
			p := f.payload(t, map[string]any{"jti": fmt.Sprint(i)})
			sig := sigFor(t, "RS256", f.keys.rsa, enc64([]byte(h))+"."+enc64([]byte(p)))
			if sig[0] == 0 {
				return []variant{badSig("255-byte signature", withSig(h, p, sig[1:]))}
			}
		}
		t.Fatal("no RSA signature with a leading zero byte")
		return nil
	}},
	{id: "C14/pss-salt-length", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		h := hdr("PS256", "rsa-a")
		p := f.payload(t, nil)
		in := enc64([]byte(h)) + "." + enc64([]byte(p))
		d := digestOf(crypto.SHA256, in)
		var vs []variant
		// crypto/rsa cannot sign with an empty salt (0 means "maximum").
		for _, salt := range []int{1, 20, 31, 33, 64, rsa.PSSSaltLengthAuto} {
			sig, err := rsa.SignPSS(rand.Reader, f.keys.rsa, crypto.SHA256, d, &rsa.PSSOptions{SaltLength: salt})
			require.NoError(t, err)
			name := fmt.Sprintf("salt %d", salt)
			if salt == rsa.PSSSaltLengthAuto {
				name = "maximum salt"
			}
			vs = append(vs, badSig(name, in+"."+enc64(sig)))
		}
		ok, err := rsa.SignPSS(rand.Reader, f.keys.rsa, crypto.SHA256, d, &rsa.PSSOptions{SaltLength: 32})
		require.NoError(t, err)
		_, err = a.Authenticate(t.Context(), in+"."+enc64(ok))
		require.NoError(t, err, "salt length 32 (the hash length) must verify")
		// The hand-made encoder, checked with a 32-byte salt, makes the
		// empty salt.
		_, err = a.Authenticate(t.Context(), in+"."+enc64(pssSign(f.keys.rsa, crypto.SHA256, d, 32)))
		require.NoError(t, err, "hand-encoded PSS with a 32-byte salt must verify")
		vs = append(vs, badSig("salt 0 (hand-encoded)", in+"."+enc64(pssSign(f.keys.rsa, crypto.SHA256, d, 0))))
		return vs
	}},
	{id: "C15/rs256-signature-under-rs384-header", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		p := f.payload(t, nil)
		return []variant{
			badSig("RS384 header", signRaw(t, "RS256", f.keys.rsa, hdr("RS384", "rsa-a"), p)),
			badSig("RS512 header", signRaw(t, "RS256", f.keys.rsa, hdr("RS512", "rsa-a"), p)),
			badSig("RS256 header, RS512 signature", signRaw(t, "RS512", f.keys.rsa, hdr("RS256", "rsa-a"), p)),
			badSig("ES256 header, ES384-style hash on P-256", signRaw(t, "ES384", f.keys.p256, hdr("ES256", "p256-a"), p)),
		}
	}},
	{id: "C16/ed25519-edge-cases", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		// EdDSA is not enabled (kube-apiserver's list has none), so every
		// Ed25519 edge case stops at the algorithm check.
		_, key, err := ed25519.GenerateKey(rand.Reader)
		require.NoError(t, err)
		in := enc64([]byte(hdr("EdDSA", "ed"))) + "." + enc64([]byte(f.payload(t, nil)))
		sig := ed25519.Sign(key, []byte(in))
		nonCanonical := append([]byte(nil), sig...)
		nonCanonical[63] |= 0xe0 // S >= 2^253 > L
		return []variant{
			rej("valid Ed25519", in+"."+enc64(sig), algCheck, errAlg),
			rej("non-canonical S", in+"."+enc64(nonCanonical), algCheck, errAlg),
			rej("all-zero signature (small-order key forgery)", in+"."+enc64(make([]byte, 64)), algCheck, errAlg),
		}
	}},
	{id: "C17/signature-over-reserialized-header", build: func(t *testing.T, f *advFixture, a *jwtauth.Authenticator) []variant {
		p := f.payload(t, nil)
		orig := `{"alg":"RS256","kid":"rsa-a"}`
		sig := sigFor(t, "RS256", f.keys.rsa, enc64([]byte(orig))+"."+enc64([]byte(p)))
		reordered := `{"kid":"rsa-a","alg":"RS256"}`
		spaced := `{"alg": "RS256", "kid": "rsa-a"}`
		escaped := `{"alg":"RS256","kid":"rsa\u002da"}`
		return []variant{
			badSig("members reordered", withSig(reordered, p, sig)),
			badSig("whitespace added", withSig(spaced, p, sig)),
			badSig("escape in kid", withSig(escaped, p, sig)),
			badSig("payload re-serialized", withSig(orig, strings.Replace(p, ",", ", ", 1), sig)),
		}
	}},
}
