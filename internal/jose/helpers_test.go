package jose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"sync"
	"testing"
)

// Test keys, generated once per test binary.
var (
	keysOnce sync.Once
	rsaKey   *rsa.PrivateKey // 2048 bits
	rsaOther *rsa.PrivateKey // a second RSA key, for wrong-key twins
	ecKeys   map[string]*ecdsa.PrivateKey
	ecOther  map[string]*ecdsa.PrivateKey
)

var curveFor = map[string]elliptic.Curve{"ES256": elliptic.P256(), "ES384": elliptic.P384(), "ES512": elliptic.P521()}

func testKeys(tb testing.TB) {
	tb.Helper()
	keysOnce.Do(func() {
		var err error
		if rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if rsaOther, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		ecKeys, ecOther = map[string]*ecdsa.PrivateKey{}, map[string]*ecdsa.PrivateKey{}
		for alg, c := range curveFor {
			if ecKeys[alg], err = ecdsa.GenerateKey(c, rand.Reader); err != nil {
				panic(err)
			}
			if ecOther[alg], err = ecdsa.GenerateKey(c, rand.Reader); err != nil {
				panic(err)
			}
		}
	})
}

// signerFor returns the test key for alg, other selects the second key
// of the same type and size.
func signerFor(alg string, other bool) crypto.Signer {
	switch {
	case alg[0] == 'E' && other:
		return ecOther[alg]
	case alg[0] == 'E':
		return ecKeys[alg]
	case other:
		return rsaOther
	}
	return rsaKey
}

func enc(s string) string       { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
func b64(b []byte) string       { return base64.RawURLEncoding.EncodeToString(b) }
func dec(s string) []byte       { b, _ := base64.RawURLEncoding.DecodeString(s); return b }
func tok(h, p, s string) string { return h + "." + p + "." + s }
