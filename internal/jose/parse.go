package jose

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/structauth/structauth/claims"
)

// ErrMalformed: the token is not a strict compact JWS. Errors wrapping it
// give a short reason and never contain any part of the token.
var ErrMalformed = errors.New("jose: malformed token")

// Header holds the protected-header members the verifier uses. Kid is
// the "kid" string and HasKid whether "kid" was present at all (an empty
// "kid" is present but selects every key, as in go-oidc).
type Header struct {
	Alg    string
	Kid    string
	Typ    string
	HasKid bool
}

// JWS is a parsed, unverified compact JWS. SigningInput is the first two
// segments exactly as received (RFC 7515 §5.2 step 8 signs the encoded
// bytes, not a re-serialisation). RawHeader, Payload and Signature share
// one buffer; do not modify them.
type JWS struct {
	Header       Header
	RawHeader    []byte
	Payload      []byte
	SigningInput string
	Signature    []byte

	// x5c is the header's "x5c" member, checked for shape only; see
	// CheckCertificates.
	x5c json.RawMessage
}

// refusedHeaders are header members whose presence rejects the token,
// whatever their value:
//   - crit: critical extensions (RFC 7515 §4.1.11); we implement none, so
//     any crit list, even empty, is refused.
//   - b64: unencoded payloads (RFC 7797) change what is signed.
//   - zip: compression is JWE-only and a decompression-bomb vector.
//   - enc: a JWE header; compact JWE has five segments, but a three-segment
//     token carrying "enc" is sign/encrypt confusion.
//   - jwk: a key embedded by the sender (RFC 8725 §3.10, CVE-2018-0114
//     class). Keys come from the issuer's JWKS only; go-oidc's go-jose
//     also decodes this member and rejects most malformed values.
var refusedHeaders = [...]string{"crit", "b64", "zip", "enc", "jwk"}

// ParseCompact parses token as a compact JWS (RFC 7515 §7.1), strictly:
// exactly three segments of canonical unpadded base64url (no whitespace,
// padding or other characters; unused trailing bits zero), a non-empty
// signature, and a header that is a JSON object (claims.Parse rules: no
// duplicate members, UTF-8, depth limit) with a non-empty string "alg",
// "kid" and "typ" strings when present, and none of refusedHeaders. The
// payload is returned as decoded; its JSON is the caller's business.
//
// Header members the verifier does not use (jku, x5u, x5t, x5c, typ) are
// never dereferenced or used to find keys. "nonce" and "x5c" are
// type-checked as go-jose, and thus kube-apiserver, does, so that every
// token kube-apiserver refuses for its header is refused here too.
//
// The caller bounds the token's size.
func ParseCompact(token string) (*JWS, error) {
	if strings.HasPrefix(strings.TrimSpace(token), "{") {
		return nil, fmt.Errorf("%w: JSON serialization is not accepted", ErrMalformed)
	}
	// Find the two dots without splitting (no allocation for a token of
	// many dots).
	first := strings.IndexByte(token, '.')
	if first < 0 {
		return nil, fmt.Errorf("%w: want 3 dot-separated segments", ErrMalformed)
	}
	second := strings.IndexByte(token[first+1:], '.')
	if second < 0 {
		return nil, fmt.Errorf("%w: want 3 dot-separated segments", ErrMalformed)
	}
	second += first + 1
	if strings.IndexByte(token[second+1:], '.') >= 0 {
		return nil, fmt.Errorf("%w: want 3 dot-separated segments", ErrMalformed)
	}
	segs := [3]string{token[:first], token[first+1 : second], token[second+1:]}
	names := [3]string{"header", "payload", "signature"}

	// One buffer for the three decoded segments.
	size := 0
	for i, seg := range segs {
		// The decoder rejects every character outside the alphabet,
		// padding included, except CR and LF, which it skips.
		if strings.IndexByte(seg, '\n') >= 0 || strings.IndexByte(seg, '\r') >= 0 {
			return nil, fmt.Errorf("%w: %s has a line break", ErrMalformed, names[i])
		}
		size += base64.RawURLEncoding.DecodedLen(len(seg))
	}
	buf := make([]byte, size)
	var parts [3][]byte
	for i, seg := range segs {
		n, err := strictBase64URL.Decode(buf, []byte(seg))
		if err != nil {
			if err := checkAlphabet(seg); err != nil {
				return nil, fmt.Errorf("%w: %s %s", ErrMalformed, names[i], err)
			}
			// Length ≡ 1 (mod 4), or non-zero unused trailing bits: the
			// encoding is not the one canonical encoding of any bytes.
			return nil, fmt.Errorf("%w: %s is not canonical base64url", ErrMalformed, names[i])
		}
		parts[i], buf = buf[:n:n], buf[n:]
	}
	if len(parts[2]) == 0 {
		return nil, fmt.Errorf("%w: empty signature", ErrMalformed)
	}
	hdr, x5c, err := parseHeader(parts[0])
	if err != nil {
		return nil, err
	}
	return &JWS{
		x5c:          x5c,
		Header:       hdr,
		RawHeader:    parts[0],
		Payload:      parts[1],
		SigningInput: token[:second],
		Signature:    parts[2],
	}, nil
}

// strictBase64URL decodes unpadded base64url and refuses non-zero unused
// trailing bits (Strict returns a copy of the Encoding; make it once).
var strictBase64URL = base64.RawURLEncoding.Strict()

// checkAlphabet explains a decoding failure: a character outside the
// base64url alphabet (RFC 4648 §5), or padding.
func checkAlphabet(seg string) error {
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			if c == '=' {
				return errors.New("has padding")
			}
			return errors.New("has a character outside the base64url alphabet")
		}
	}
	return nil
}

// parseHeader applies the header policy described at ParseCompact. It
// also returns the raw "x5c" member, if any.
func parseHeader(raw []byte) (Header, json.RawMessage, error) {
	set, err := claims.Parse(raw)
	if err != nil {
		return Header{}, nil, fmt.Errorf("%w: header: %w", ErrMalformed, err)
	}
	for _, name := range refusedHeaders {
		if set.Has(name) {
			return Header{}, nil, fmt.Errorf("%w: header parameter %q is not supported", ErrMalformed, name)
		}
	}
	var h Header
	if h.Alg, err = set.String("alg"); err != nil || h.Alg == "" {
		return Header{}, nil, fmt.Errorf("%w: header alg must be a non-empty string", ErrMalformed)
	}
	if set.Has("kid") {
		// kid null is refused: go-jose reads it as absent, which would
		// make a token that names no key try every key.
		if h.Kid, err = set.String("kid"); err != nil {
			return Header{}, nil, fmt.Errorf("%w: header kid must be a string", ErrMalformed)
		}
		h.HasKid = true
	}
	if set.Has("typ") {
		if h.Typ, err = set.String("typ"); err != nil {
			return Header{}, nil, fmt.Errorf("%w: header typ must be a string", ErrMalformed)
		}
	}
	if set.Has("nonce") {
		if _, err := set.String("nonce"); err != nil {
			return Header{}, nil, fmt.Errorf("%w: header nonce must be a string", ErrMalformed)
		}
	}
	x5c, ok := set.Raw("x5c")
	if ok && !validX5C(x5c) {
		return Header{}, nil, fmt.Errorf("%w: header x5c must be an array of base64 strings", ErrMalformed)
	}
	return h, x5c, nil
}

// validX5C reports whether raw has the shape go-jose requires of "x5c"
// before it parses the certificates (RFC 7515 §4.1.6: an array of
// standard, padded base64 DER values). ParseCompact stops at the shape,
// so that an unverified token never makes us parse X.509; see
// CheckCertificates.
func validX5C(raw json.RawMessage) bool {
	if len(raw) == 0 || raw[0] != '[' {
		return false
	}
	var chain []string
	if json.Unmarshal(raw, &chain) != nil {
		return false
	}
	for _, c := range chain {
		der, err := base64.StdEncoding.DecodeString(c)
		if err != nil || len(der) == 0 {
			return false
		}
	}
	return true
}

// CheckCertificates parses each certificate of the header's "x5c" member
// with crypto/x509 and reports the first that does not parse (nil when
// there is no "x5c"). go-jose, hence kube-apiserver, refuses such tokens
// whatever their signature; callers run this check only once the
// signature has verified, so that only X.509 data the issuer signed is
// ever parsed. The certificates are then discarded: they are never used
// to find or to trust a key.
func (j *JWS) CheckCertificates() error {
	if len(j.x5c) == 0 {
		return nil
	}
	var chain []string
	if err := json.Unmarshal(j.x5c, &chain); err != nil { // checked by validX5C
		return fmt.Errorf("%w: header x5c must be an array of base64 strings", ErrMalformed)
	}
	for i, c := range chain {
		der, err := base64.StdEncoding.DecodeString(c)
		if err == nil {
			_, err = x509.ParseCertificate(der)
		}
		if err != nil {
			return fmt.Errorf("%w: header x5c certificate %d does not parse", ErrMalformed, i)
		}
	}
	return nil
}
