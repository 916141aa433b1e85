// Package jose is structauth's JOSE layer: a strict compact-JWS parser,
// signature verification with the standard library, and JWKS parsing.
// It is the only package that imports github.com/lestrrat-go/jwx, so the
// JOSE dependency can change without touching the public API.
//
// The parser is deliberately stricter than kube-apiserver's go-jose: it
// accepts exactly three canonical, unpadded base64url segments with no
// whitespace, a header that is a JSON object without duplicate members
// and with a string "alg", and refuses "crit", "b64", "zip" and "enc".
package jose
