package jose

import (
	"math/big"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestROCAFingerprint(t *testing.T) {
	testKeys(t)
	m := big.NewInt(1)
	for _, p := range rocaPrimes {
		m.Mul(m, big.NewInt(p))
	}
	// 65537^a mod M is, modulo every fingerprint prime, a power of 65537:
	// the shape of an RSALib prime, and so of a product of two of them.
	power := new(big.Int).Exp(big.NewInt(65537), big.NewInt(12345), m)
	product := new(big.Int).Mul(power, new(big.Int).Exp(big.NewInt(65537), big.NewInt(777), m))
	tests := []struct {
		name string
		n    *big.Int
		want bool
	}{
		{"power of 65537 modulo M", power, true},
		{"product of two such residues plus a multiple of M", product.Add(product, new(big.Int).Mul(m, big.NewInt(99991))), true},
		{"that value plus one", new(big.Int).Add(power, big.NewInt(1)), false},
		{"generated 2048-bit key", rsaKey.N, false},
		{"second generated key", rsaOther.N, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, rocaFingerprint(tc.n))
		})
	}
}
