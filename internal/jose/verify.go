package jose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"fmt"
	"hash"
	"math/big"
)

// Algorithms is kube-apiserver's list of signing algorithms accepted with
// a structured authentication configuration
// (oidc.AllValidSigningAlgorithms), sorted. Callers must not modify it.
var Algorithms = []string{"ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "RS256", "RS384", "RS512"}

var (
	// ErrUnsupportedAlgorithm: the algorithm is not one of Algorithms
	// (none, HS*, EdDSA and anything unknown).
	ErrUnsupportedAlgorithm = errors.New("jose: unsupported algorithm")
	// ErrKeyMismatch: the key's type or curve does not fit the algorithm.
	ErrKeyMismatch = errors.New("jose: key does not fit the algorithm")
	// ErrSignature: the signature does not verify.
	ErrSignature = errors.New("jose: invalid signature")
)

type family uint8

const (
	pkcs1v15 family = iota + 1 // RSASSA-PKCS1-v1_5, RFC 7518 §3.3
	pss                        // RSASSA-PSS, RFC 7518 §3.5
	ecdsaRaw                   // ECDSA with R||S, RFC 7518 §3.4
)

type algorithm struct {
	family family
	hash   crypto.Hash
	curve  elliptic.Curve // ES* only: the one curve the algorithm allows
}

var algorithms = map[string]algorithm{
	"RS256": {pkcs1v15, crypto.SHA256, nil},
	"RS384": {pkcs1v15, crypto.SHA384, nil},
	"RS512": {pkcs1v15, crypto.SHA512, nil},
	"PS256": {pss, crypto.SHA256, nil},
	"PS384": {pss, crypto.SHA384, nil},
	"PS512": {pss, crypto.SHA512, nil},
	"ES256": {ecdsaRaw, crypto.SHA256, elliptic.P256()},
	"ES384": {ecdsaRaw, crypto.SHA384, elliptic.P384()},
	"ES512": {ecdsaRaw, crypto.SHA512, elliptic.P521()},
}

// digest hashes the signing input into buf. The input goes through a
// small stack buffer rather than one []byte(input) conversion, which
// would copy the whole token to the heap on every verification.
func digest(h crypto.Hash, input string, buf *[sha512.Size]byte) []byte {
	var hh hash.Hash
	switch h {
	case crypto.SHA256:
		hh = sha256.New()
	case crypto.SHA384:
		hh = sha512.New384()
	default:
		hh = sha512.New()
	}
	var chunk [512]byte
	for len(input) > 0 {
		n := copy(chunk[:], input)
		hh.Write(chunk[:n])
		input = input[n:]
	}
	return hh.Sum(buf[:0])
}

// Verify checks sig over signingInput with key under alg, using only the
// standard library:
//   - RS*: RSASSA-PKCS1-v1_5 (crypto/rsa requires len(sig) == modulus size);
//   - PS*: RSASSA-PSS with MGF1 of the same hash and a salt exactly as long
//     as the hash (RFC 7518 §3.5; go-jose, used by kube-apiserver, accepts
//     any salt length);
//   - ES*: ECDSA over the algorithm's own curve with the signature as R||S,
//     each exactly the curve's coordinate size (RFC 7518 §3.4: no DER).
//
// The key must be *rsa.PublicKey for RS*/PS* and *ecdsa.PublicKey on the
// matching curve for ES* (ErrKeyMismatch otherwise). Errors never contain
// the inputs.
func Verify(alg string, key crypto.PublicKey, signingInput string, sig []byte) error {
	a, ok := algorithms[alg]
	if !ok {
		return ErrUnsupportedAlgorithm
	}
	var buf [sha512.Size]byte
	switch a.family {
	case pkcs1v15, pss:
		pub, ok := key.(*rsa.PublicKey)
		if !ok || pub == nil || pub.N == nil {
			return fmt.Errorf("%w: %s needs an RSA public key", ErrKeyMismatch, alg)
		}
		d := digest(a.hash, signingInput, &buf)
		var err error
		if a.family == pkcs1v15 {
			err = rsa.VerifyPKCS1v15(pub, a.hash, d, sig)
		} else {
			err = rsa.VerifyPSS(pub, a.hash, d, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash})
		}
		if err != nil {
			return ErrSignature
		}
		return nil
	default:
		pub, ok := key.(*ecdsa.PublicKey)
		// A key without coordinates (the zero value) makes ecdsa.Verify
		// panic; the fields are only read, to refuse it.
		//lint:ignore SA1019 X and Y are read, never used for arithmetic
		if !ok || pub == nil || pub.Curve != a.curve || pub.X == nil || pub.Y == nil {
			return fmt.Errorf("%w: %s needs an EC public key on %s", ErrKeyMismatch, alg, a.curve.Params().Name)
		}
		size := (a.curve.Params().BitSize + 7) / 8
		if len(sig) != 2*size {
			return ErrSignature
		}
		r := new(big.Int).SetBytes(sig[:size])
		s := new(big.Int).SetBytes(sig[size:])
		// ecdsa.Verify rejects r or s outside [1, n-1].
		if !ecdsa.Verify(pub, digest(a.hash, signingInput, &buf), r, s) {
			return ErrSignature
		}
		return nil
	}
}
