// Package claims gives typed access to a JWT claim set (RFC 7519 §4),
// decoded strictly and lazily. It depends on the standard library only.
//
//	cs, err := claims.Parse(payload) // the decoded JWS payload
//	if err != nil {
//		return err // wraps claims.ErrMalformed or claims.ErrDuplicateClaim
//	}
//	iss, err := cs.String("iss")
//	exp, err := cs.NumericDate("exp")
//	groups, err := cs.Strings("groups") // a string or an array of strings
//
// # Parsing
//
// Parse makes one pass over the payload and rejects, in this order of
// discovery (first problem found wins):
//
//  1. anything but exactly one JSON object with only JSON whitespace
//     around it (RFC 7515 §10.12: extra characters after the object
//     must be rejected; RFC 8259 grammar: no BOM, comments, NaN, trailing
//     commas, single quotes);
//  2. invalid UTF-8 and control characters in strings (RFC 8725 §3.7),
//     and \u escapes that encode an unpaired UTF-16 surrogate, which
//     encoding/json would silently turn into U+FFFD;
//  3. nesting deeper than MaxDepth (64);
//  4. two top-level members with the same name after unescaping
//     (RFC 7515 §5.2 allows rejecting; kube-apiserver's encoding/json keeps
//     the last one, so a router reading the first could disagree with it).
//
// These make Parse stricter than kube-apiserver only on payloads that are
// not well-formed. Values are not decoded: each member keeps its raw JSON
// (a sub-slice of the payload), and accessors decode on demand.
//
// # Accessors
//
// The accessors mirror the decoding kube-apiserver applies (go-oidc v2
// and the Kubernetes OIDC authenticator), so that a well-formed token
// yields the same values:
//
//   - Unmarshal: encoding/json, error unchanged; ErrNotPresent if absent.
//   - String, Bool: the JSON type exactly; null is an error.
//   - Strings: kube's stringOrArray (array of strings first, then string).
//   - NumericDate: go-oidc v2's jsonTime (number or numeric string, int64
//     first, else float64 truncated), rejecting values outside int64
//     seconds or beyond what time.Time can hold.
//
// Errors never contain claim values; a claim name (attacker-chosen in a
// token) is quoted and shortened.
//
// References: RFC 7519 §2 (NumericDate) and §4; RFC 8259; RFC 7515 §10.12;
// RFC 8725 §3.7; Kubernetes plugin/pkg/authenticator/token/oidc/oidc.go
// (stringOrArray, claims decoding).
package claims
