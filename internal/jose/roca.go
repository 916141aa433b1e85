package jose

import "math/big"

// rocaPrimes are the small primes of the ROCA fingerprint test (Nemec et
// al., "The Return of Coppersmith's Attack", CCS 2017; CVE-2017-15361).
// Infineon's RSALib generated primes of the form k*M + (65537^a mod M),
// with M the product of the first primes, so the modulus of such a key
// is, modulo each of these primes, a power of 65537. A random modulus
// passes this test with negligible probability.
var rocaPrimes = [...]int64{3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73,
	79, 83, 89, 97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167}

// rocaPowers[i][r] is true when r is a power of 65537 modulo rocaPrimes[i].
var rocaPowers = func() [len(rocaPrimes)][]bool {
	var t [len(rocaPrimes)][]bool
	for i, p := range rocaPrimes {
		t[i] = make([]bool, p)
		g := 65537 % p
		for r := int64(1); !t[i][r]; r = r * g % p {
			t[i][r] = true
		}
	}
	return t
}()

// rocaFingerprint reports whether n has the ROCA fingerprint: its private
// key can be recovered from the public key, so JWKS keys with it are
// refused, as Wycheproof's json_web_key_test expects.
func rocaFingerprint(n *big.Int) bool {
	var r, m big.Int
	for i, p := range rocaPrimes {
		if !rocaPowers[i][r.Mod(n, m.SetInt64(p)).Int64()] {
			return false
		}
	}
	return true
}
