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
// a structured configuration (oidc.AllValidSigningAlgorithms), sorted.
var Algorithms = []string{"ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "RS256", "RS384", "RS512"}

var (
	// ErrUnsupportedAlgorithm: the algorithm is not one of Algorithms.
	ErrUnsupportedAlgorithm = errors.New("jose: unsupported algorithm")
	// ErrKeyMismatch: the key's type or curve does not fit the algorithm.
	ErrKeyMismatch = errors.New("jose: key does not fit the algorithm")
	// ErrSignature: the signature does not verify.
	ErrSignature = errors.New("jose: invalid signature")
)

type algorithm struct {
	hash  crypto.Hash
	kind  byte // 'R' PKCS#1 v1.5, 'P' PSS, 'E' ECDSA
	curve elliptic.Curve
}

var algorithms = map[string]algorithm{
	"RS256": {crypto.SHA256, 'R', nil}, "RS384": {crypto.SHA384, 'R', nil}, "RS512": {crypto.SHA512, 'R', nil},
	"PS256": {crypto.SHA256, 'P', nil}, "PS384": {crypto.SHA384, 'P', nil}, "PS512": {crypto.SHA512, 'P', nil},
	"ES256": {crypto.SHA256, 'E', elliptic.P256()}, "ES384": {crypto.SHA384, 'E', elliptic.P384()}, "ES512": {crypto.SHA512, 'E', elliptic.P521()},
}

func newHash(h crypto.Hash) hash.Hash {
	switch h {
	case crypto.SHA256:
		return sha256.New()
	case crypto.SHA384:
		return sha512.New384()
	default:
		return sha512.New()
	}
}

// Verify checks sig over signingInput with key under alg, using only the
// standard library. RS* is RSASSA-PKCS1-v1_5, PS* is RSASSA-PSS with a
// salt as long as the hash (RFC 7518 §3.5), ES* is ECDSA with the raw
// r||s encoding of RFC 7518 §3.4 on the algorithm's own curve.
func Verify(alg string, key crypto.PublicKey, signingInput string, sig []byte) error {
	a, ok := algorithms[alg]
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnsupportedAlgorithm, truncate(alg))
	}
	h := newHash(a.hash)
	h.Write([]byte(signingInput))
	digest := h.Sum(nil)
	switch a.kind {
	case 'R', 'P':
		pub, ok := key.(*rsa.PublicKey)
		if !ok {
			return fmt.Errorf("%w: %s needs an RSA key", ErrKeyMismatch, alg)
		}
		var err error
		if a.kind == 'R' {
			err = rsa.VerifyPKCS1v15(pub, a.hash, digest, sig)
		} else {
			err = rsa.VerifyPSS(pub, a.hash, digest, sig, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: a.hash})
		}
		if err != nil {
			return ErrSignature
		}
		return nil
	default:
		pub, ok := key.(*ecdsa.PublicKey)
		if !ok || pub.Curve != a.curve {
			return fmt.Errorf("%w: %s needs an EC key on %s", ErrKeyMismatch, alg, a.curve.Params().Name)
		}
		size := (a.curve.Params().BitSize + 7) / 8
		if len(sig) != 2*size {
			return ErrSignature
		}
		r := new(big.Int).SetBytes(sig[:size])
		s := new(big.Int).SetBytes(sig[size:])
		if !ecdsa.Verify(pub, digest, r, s) {
			return ErrSignature
		}
		return nil
	}
}

func truncate(s string) string {
	if len(s) > 16 {
		return s[:16] + "…"
	}
	return s
}
