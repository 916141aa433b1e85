// Package jose is structauth's JOSE layer: a strict compact-JWS front
// door, signature verification with the standard library, and a JWKS
// sanitiser. It is the only package that imports
// github.com/lestrrat-go/jwx, and no jwx type crosses its API, so the JOSE
// dependency can change without touching anything else.
//
//	jws, err := jose.ParseCompact(token) // after the caller's size check
//	if err != nil {
//		return err // wraps jose.ErrMalformed
//	}
//	// choose keys by jws.Header.Kid, require the header alg to be allowed
//	// and to match the key's "alg" when it has one, then:
//	err = jose.Verify(jws.Header.Alg, key.Public, jws.SigningInput, jws.Signature)
//
// # Front door (ParseCompact), checks in order
//
//  1. Not JSON serialization (RFC 7519 §7.2 and RFC 8725 §2.8: a JWT is
//     compact; jwx v2 read claims from an unsigned JSON envelope).
//  2. Exactly three dot-separated segments, found without splitting.
//  3. Each segment in the base64url alphabet only: no padding, whitespace
//     or line breaks (RFC 7515 §2, §7.1).
//  4. Canonical decoding: no length ≡ 1 (mod 4) and zero unused trailing
//     bits, so a token has one encoding and cannot be malleated.
//  5. A non-empty signature (RFC 7519 §6 unsecured JWTs are refused).
//  6. The header is a JSON object by claims.Parse rules (UTF-8, no
//     duplicate members, depth limit; RFC 7515 §4, §10.12).
//  7. No crit (RFC 7515 §4.1.11), b64 (RFC 7797), zip, enc (JWE) or jwk
//     (RFC 8725 §3.10) member.
//  8. alg a non-empty string (RFC 7515 §4.1.1); kid and typ strings when
//     present (kid null is refused); nonce and x5c of the types go-jose
//     requires.
//
// jku, x5u, x5t and x5c are never fetched or used to find keys. The x5c
// certificates are parsed only by JWS.CheckCertificates, which callers
// run once the signature has verified (go-jose, hence kube-apiserver,
// refuses a token whose x5c does not parse).
//
// # Verify
//
// RS256/384/512 (RFC 7518 §3.3), PS256/384/512 with salt length equal to
// the hash length (§3.5), ES256/384/512 with R||S of exactly twice the
// coordinate size on the algorithm's own curve (§3.4) — kube-apiserver's
// AllValidSigningAlgorithms. Everything else (none, HS*, EdDSA) is
// ErrUnsupportedAlgorithm; a key of the wrong type or curve is
// ErrKeyMismatch.
//
// # Key sets (ParseKeySet)
//
// Each JWK (RFC 7517 §4) is parsed on its own with jwx, so one bad key
// does not take down the set, and kept only if it is a public RSA key of
// 2048..8192 bits with an odd exponent in 3..2^31-1, or a public EC key on
// P-256/P-384/P-521 with full-length coordinates on the curve, with use
// "sig" (if present) and key_ops containing "verify" (if present).
//
// Sign and PublicJWK are for test issuers: they use jwx, so tests
// cross-check Verify against an independent implementation.
//
// kube-apiserver (go-oidc v2, go-jose v2) is more lenient on several of
// these points; we are stricter only on malformed or hostile input. See
// the errata in spec/k8s-structured-authn.md.
package jose
