package jose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/lestrrat-go/jwx/v3/jwk"
)

// Key is one sanitised public verification key from a JWKS.
type Key struct {
	ID        string
	Algorithm string
	Use       string
	Ops       []string
	Public    crypto.PublicKey
}

// RSA modulus bounds for JWKS keys. Below 2048 bits is weak; above 8192
// bits verification becomes a CPU lever for whoever controls the JWKS
// (crypto/tls caps peer RSA keys at 8192 bits too).
const (
	MinRSABits = 2048
	MaxRSABits = 8192
)

// ErrKeySet: the document is not a JWKS.
var ErrKeySet = errors.New("jose: not a JWK set")

// keyMeta are the members read before handing a key to jwx.
type keyMeta struct {
	Kty    string          `json:"kty"`
	Kid    json.RawMessage `json:"kid"`
	Alg    json.RawMessage `json:"alg"`
	Use    json.RawMessage `json:"use"`
	KeyOps json.RawMessage `json:"key_ops"`
	D      json.RawMessage `json:"d"`
	P      json.RawMessage `json:"p"`
	K      json.RawMessage `json:"k"`
}

// ParseKeySet parses a JWKS. It fails only when data is not a JSON object
// with a "keys" array; each key that is unusable (private, symmetric,
// unknown type, weak or oversized, off-curve, not for signatures) is
// skipped with an error in skipped that names the key by index and kid,
// never its material.
func ParseKeySet(data []byte) (keys []Key, skipped []error, err error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrKeySet, err)
	}
	if doc.Keys == nil {
		return nil, nil, fmt.Errorf("%w: no \"keys\" array", ErrKeySet)
	}
	for i, raw := range doc.Keys {
		k, err := parseKey(raw)
		if err != nil {
			skipped = append(skipped, fmt.Errorf("key %d: %w", i, err))
			continue
		}
		keys = append(keys, k)
	}
	return keys, skipped, nil
}

func optString(raw json.RawMessage, name string) (string, error) {
	if raw == nil {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil || raw[0] != '"' {
		return "", fmt.Errorf("%s must be a string", name)
	}
	return s, nil
}

func parseKey(raw json.RawMessage) (Key, error) {
	var m keyMeta
	if err := json.Unmarshal(raw, &m); err != nil {
		return Key{}, errors.New("not a JSON object")
	}
	var k Key
	var err error
	if k.ID, err = optString(m.Kid, "kid"); err != nil {
		return Key{}, err
	}
	if k.Algorithm, err = optString(m.Alg, "alg"); err != nil {
		return Key{}, err
	}
	if k.Use, err = optString(m.Use, "use"); err != nil {
		return Key{}, err
	}
	label := fmt.Sprintf("kid %q", truncate(k.ID))
	if m.KeyOps != nil {
		if err := json.Unmarshal(m.KeyOps, &k.Ops); err != nil {
			return Key{}, fmt.Errorf("%s: key_ops must be an array of strings", label)
		}
		if !slices.Contains(k.Ops, "verify") {
			return Key{}, fmt.Errorf("%s: key_ops does not allow verify", label)
		}
	}
	if k.Use != "" && k.Use != "sig" {
		return Key{}, fmt.Errorf("%s: use %q is not sig", label, truncate(k.Use))
	}
	switch m.Kty {
	case "RSA", "EC":
	case "oct":
		return Key{}, fmt.Errorf("%s: symmetric keys are never used", label)
	default:
		return Key{}, fmt.Errorf("%s: unsupported key type %q", label, truncate(m.Kty))
	}
	if m.D != nil || m.P != nil || m.K != nil {
		return Key{}, fmt.Errorf("%s: private key material in a public key set", label)
	}
	parsed, err := jwk.ParseKey(raw)
	if err != nil {
		return Key{}, fmt.Errorf("%s: invalid %s key", label, m.Kty)
	}
	var pub any
	if err := jwk.Export(parsed, &pub); err != nil {
		return Key{}, fmt.Errorf("%s: invalid %s key", label, m.Kty)
	}
	switch p := pub.(type) {
	case *rsa.PublicKey:
		if bits := p.N.BitLen(); bits < MinRSABits || bits > MaxRSABits {
			return Key{}, fmt.Errorf("%s: RSA modulus of %d bits is outside %d..%d", label, bits, MinRSABits, MaxRSABits)
		}
		if p.E < 3 || p.E%2 == 0 {
			return Key{}, fmt.Errorf("%s: RSA exponent is not an odd number of at least 3", label)
		}
		k.Public = p
	case *ecdsa.PublicKey:
		switch p.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
		default:
			return Key{}, fmt.Errorf("%s: unsupported curve", label)
		}
		if _, err := p.ECDH(); err != nil {
			return Key{}, fmt.Errorf("%s: EC point is not on its curve", label)
		}
		k.Public = p
	default:
		return Key{}, fmt.Errorf("%s: not a public key", label)
	}
	return k, nil
}
