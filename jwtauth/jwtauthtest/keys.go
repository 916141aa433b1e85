package jwtauthtest

import "crypto"

// PublicKey returns the issuer's current public key for alg (for example
// to check a signature by hand in a benchmark), or nil for an unknown alg.
func (i *Issuer) PublicKey(alg string) crypto.PublicKey {
	fam, err := family(alg)
	if err != nil {
		return nil
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.current[fam].signer.Public()
}
