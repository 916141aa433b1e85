package jose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"

	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/structauth/structauth/claims"
)

// Key is one sanitised public verification key from a JWKS. Algorithm,
// Use and Ops are the JWK's "alg", "use" and "key_ops" ("" or nil when
// absent). Public is *rsa.PublicKey or *ecdsa.PublicKey.
type Key struct {
	ID        string
	Algorithm string
	Use       string
	Ops       []string
	Public    crypto.PublicKey
}

// RSA bounds for JWKS keys. Below 2048 bits is too weak (RFC 7518 §3.3);
// above 8192 bits each verification becomes a CPU lever for whoever
// controls the JWKS (crypto/tls caps peer RSA keys at 8192 bits too). The
// exponent bounds are crypto/rsa's own.
const (
	MinRSABits = 2048
	MaxRSABits = 8192
	maxRSAExp  = 1<<31 - 1
)

// ErrKeySet: the document is not a JWK set.
var ErrKeySet = errors.New("jose: not a JWK set")

// privateMembers are JWK members that only private or symmetric keys have
// (RFC 7518 §6.2.2, §6.3.2, §6.4).
var privateMembers = [...]string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// ParseKeySet parses a JWKS (RFC 7517 §5). It fails only when data is not
// a JSON object (claims.Parse rules: UTF-8, no duplicate members, depth
// limit) with a "keys" array. Each key that is unusable is skipped with
// an error in skipped that names the key by index and kid, never its
// material: not an object, members duplicated or of the wrong type,
// "use" present and not "sig", "key_ops" present without "verify", a type
// other than RSA or EC (oct, OKP and unknown types are skipped, not
// fatal), private members, an RSA modulus outside MinRSABits..MaxRSABits
// or an exponent not odd in 3..2^31-1, a modulus with the ROCA
// fingerprint (CVE-2017-15361), an EC curve other than P-256,
// P-384 or P-521, coordinates of the wrong length or off the curve.
//
// Keys are kept in document order, duplicate kids included; "alg" is
// kept for the caller to enforce.
func ParseKeySet(data []byte) (keys []Key, skipped []error, err error) {
	doc, err := claims.Parse(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrKeySet, err)
	}
	raw, ok := doc.Raw("keys")
	if !ok || raw[0] != '[' {
		return nil, nil, fmt.Errorf("%w: no \"keys\" array", ErrKeySet)
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil { // valid JSON: cannot fail
		return nil, nil, fmt.Errorf("%w: \"keys\" is not an array", ErrKeySet)
	}
	for i, elem := range elems {
		k, err := parseKey(elem)
		if err != nil {
			skipped = append(skipped, fmt.Errorf("jose: key %d: %w", i, err))
			continue
		}
		keys = append(keys, k)
	}
	return keys, skipped, nil
}

func parseKey(raw json.RawMessage) (Key, error) {
	if raw[0] != '{' {
		return Key{}, errors.New("not a JSON object")
	}
	m, err := claims.Parse(raw)
	if errors.Is(err, claims.ErrDuplicateClaim) {
		return Key{}, errors.New("duplicate members")
	} else if err != nil {
		return Key{}, errors.New("malformed JSON object")
	}
	var k Key
	for _, f := range []struct {
		name string
		dst  *string
	}{{"kid", &k.ID}, {"alg", &k.Algorithm}, {"use", &k.Use}} {
		if m.Has(f.name) {
			if *f.dst, err = m.String(f.name); err != nil {
				return Key{}, fmt.Errorf("%s must be a string", f.name)
			}
		}
	}
	label := "no kid"
	if m.Has("kid") {
		label = fmt.Sprintf("kid %q", truncate(k.ID))
	}
	if m.Has("use") && k.Use != "sig" {
		return Key{}, fmt.Errorf("%s: use %q is not \"sig\"", label, truncate(k.Use))
	}
	if opsRaw, ok := m.Raw("key_ops"); ok {
		if opsRaw[0] != '[' || json.Unmarshal(opsRaw, &k.Ops) != nil {
			return Key{}, fmt.Errorf("%s: key_ops must be an array of strings", label)
		}
		if !slices.Contains(k.Ops, "verify") {
			return Key{}, fmt.Errorf("%s: key_ops does not allow verify", label)
		}
	}
	kty, err := m.String("kty")
	if err != nil {
		return Key{}, fmt.Errorf("%s: kty missing or not a string", label)
	}
	switch kty {
	case "RSA", "EC":
	case "oct":
		return Key{}, fmt.Errorf("%s: symmetric keys are never used", label)
	default:
		return Key{}, fmt.Errorf("%s: unsupported key type %q", label, truncate(kty))
	}
	for _, name := range privateMembers {
		if m.Has(name) {
			return Key{}, fmt.Errorf("%s: private key member %q in a public key set", label, name)
		}
	}
	// Our own bounds first, for precise reasons; jwx then parses, and
	// the exported key is checked again below.
	check := checkCoordinates
	if kty == "RSA" {
		check = checkRSA
	}
	if err := check(m); err != nil {
		return Key{}, fmt.Errorf("%s: %w", label, err)
	}
	parsed, err := jwk.ParseKey(raw)
	if err != nil {
		return Key{}, fmt.Errorf("%s: invalid %s key", label, kty)
	}
	var pub any
	if err := jwk.Export(parsed, &pub); err != nil {
		return Key{}, fmt.Errorf("%s: invalid %s key", label, kty)
	}
	switch p := pub.(type) {
	case *rsa.PublicKey:
		if kty != "RSA" {
			return Key{}, fmt.Errorf("%s: invalid %s key", label, kty)
		}
		if bits := p.N.BitLen(); bits < MinRSABits || bits > MaxRSABits {
			return Key{}, fmt.Errorf("%s: RSA modulus of %d bits is outside %d..%d", label, bits, MinRSABits, MaxRSABits)
		}
		if p.N.Bit(0) == 0 {
			return Key{}, fmt.Errorf("%s: RSA modulus is even", label)
		}
		if p.E < 3 || p.E > maxRSAExp || p.E%2 == 0 {
			return Key{}, fmt.Errorf("%s: RSA exponent is not odd in 3..2^31-1", label)
		}
		k.Public = p
	case *ecdsa.PublicKey:
		if kty != "EC" {
			return Key{}, fmt.Errorf("%s: invalid %s key", label, kty)
		}
		switch p.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
		default:
			return Key{}, fmt.Errorf("%s: unsupported curve", label)
		}
		// ECDH() fails for a point that is not on the curve (or is the
		// point at infinity); jwx checks this too, but a key that
		// reaches Verify must never depend on that.
		if _, err := p.ECDH(); err != nil {
			return Key{}, fmt.Errorf("%s: EC point is not on its curve", label)
		}
		k.Public = p
	default:
		return Key{}, fmt.Errorf("%s: not a public key", label)
	}
	return k, nil
}

// coordinateSizes are the octet lengths RFC 7518 §6.2.1.2-3 requires of
// "x" and "y" ("MUST be the full size of a coordinate"), which go-jose
// (kube-apiserver's JOSE library) enforces and jwx does not.
var coordinateSizes = map[string]int{"P-256": 32, "P-384": 48, "P-521": 66}

// checkRSA applies the modulus and exponent bounds to "n" and "e"
// (RFC 7518 §6.3.1: unsigned big-endian integers).
func checkRSA(m *claims.Set) error {
	n, err := member(m, "n")
	if err != nil {
		return err
	}
	e, err := member(m, "e")
	if err != nil {
		return err
	}
	mod := new(big.Int).SetBytes(n)
	if bits := mod.BitLen(); bits < MinRSABits || bits > MaxRSABits {
		return fmt.Errorf("RSA modulus of %d bits is outside %d..%d", bits, MinRSABits, MaxRSABits)
	}
	if mod.Bit(0) == 0 {
		return errors.New("RSA modulus is even")
	}
	if rocaFingerprint(mod) {
		return errors.New("RSA modulus has the ROCA fingerprint (CVE-2017-15361): its private key is recoverable")
	}
	exp := new(big.Int).SetBytes(e)
	if exp.BitLen() > 31 || exp.Int64() < 3 || exp.Bit(0) == 0 {
		return errors.New("RSA exponent is not odd in 3..2^31-1")
	}
	return nil
}

// member decodes a base64url JWK member. Like go-jose, it tolerates
// trailing padding.
func member(m *claims.Set, name string) ([]byte, error) {
	enc, err := m.String(name)
	if err != nil {
		return nil, fmt.Errorf("%s missing or not a string", name)
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(enc, "="))
	if err != nil {
		return nil, fmt.Errorf("%s is not base64url", name)
	}
	return b, nil
}

func checkCoordinates(m *claims.Set) error {
	crv, err := m.String("crv")
	if err != nil {
		return errors.New("crv missing or not a string")
	}
	size, ok := coordinateSizes[crv]
	if !ok {
		return fmt.Errorf("unsupported curve %q", truncate(crv))
	}
	for _, name := range [...]string{"x", "y"} {
		b, err := member(m, name)
		if err != nil {
			return err
		}
		if len(b) != size {
			return fmt.Errorf("%s is %d octets, want %d for %s", name, len(b), size, crv)
		}
	}
	return nil
}

// truncate bounds an identifier from a JWKS quoted in an error.
func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
