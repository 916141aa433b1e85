package jose

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/structauth/structauth/claims"
)

// ErrMalformed: the token is not a strict compact JWS.
var ErrMalformed = errors.New("jose: malformed token")

// Header holds the protected-header members the verifier uses.
type Header struct {
	Alg    string
	Kid    string
	Typ    string
	HasKid bool
}

// JWS is a parsed, unverified compact JWS.
type JWS struct {
	Header       Header
	RawHeader    []byte
	Payload      []byte
	SigningInput string
	Signature    []byte
}

// refusedHeaders are header members whose presence rejects the token:
// critical extensions we do not implement (RFC 7515 §4.1.11), unencoded
// payloads (RFC 7797), compression, and JWE.
var refusedHeaders = []string{"crit", "b64", "zip", "enc"}

// ParseCompact parses token as a compact JWS. Errors wrap ErrMalformed,
// say what is wrong, and never contain any part of the token.
func ParseCompact(token string) (*JWS, error) {
	if strings.HasPrefix(strings.TrimSpace(token), "{") {
		return nil, fmt.Errorf("%w: JSON serialization is not accepted", ErrMalformed)
	}
	first := strings.IndexByte(token, '.')
	if first < 0 {
		return nil, fmt.Errorf("%w: want 3 dot-separated parts", ErrMalformed)
	}
	second := strings.IndexByte(token[first+1:], '.')
	if second < 0 {
		return nil, fmt.Errorf("%w: want 3 dot-separated parts", ErrMalformed)
	}
	second += first + 1
	if strings.IndexByte(token[second+1:], '.') >= 0 {
		return nil, fmt.Errorf("%w: want 3 dot-separated parts", ErrMalformed)
	}
	h, p, s := token[:first], token[first+1:second], token[second+1:]
	rawHeader, err := decodeSegment(h, "header")
	if err != nil {
		return nil, err
	}
	payload, err := decodeSegment(p, "payload")
	if err != nil {
		return nil, err
	}
	sig, err := decodeSegment(s, "signature")
	if err != nil {
		return nil, err
	}
	if len(sig) == 0 {
		return nil, fmt.Errorf("%w: empty signature", ErrMalformed)
	}
	hdr, err := parseHeader(rawHeader)
	if err != nil {
		return nil, err
	}
	return &JWS{Header: hdr, RawHeader: rawHeader, Payload: payload, SigningInput: token[:second], Signature: sig}, nil
}

// decodeSegment decodes canonical unpadded base64url: only the URL-safe
// alphabet, no padding, and zero trailing bits (so each byte string has
// exactly one encoding and tokens are not malleable).
func decodeSegment(seg, what string) ([]byte, error) {
	for i := 0; i < len(seg); i++ {
		c := seg[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return nil, fmt.Errorf("%w: %s is not unpadded base64url", ErrMalformed, what)
		}
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(seg)
	if err != nil {
		return nil, fmt.Errorf("%w: %s is not canonical base64url", ErrMalformed, what)
	}
	return b, nil
}

func parseHeader(raw []byte) (Header, error) {
	set, err := claims.Parse(raw)
	if err != nil {
		return Header{}, fmt.Errorf("%w: header: %w", ErrMalformed, err)
	}
	for _, name := range refusedHeaders {
		if set.Has(name) {
			return Header{}, fmt.Errorf("%w: header %q is not supported", ErrMalformed, name)
		}
	}
	var h Header
	algRaw, ok := set.Raw("alg")
	if !ok || json.Unmarshal(algRaw, &h.Alg) != nil || h.Alg == "" || algRaw[0] != '"' {
		return Header{}, fmt.Errorf("%w: header alg must be a non-empty string", ErrMalformed)
	}
	if kidRaw, ok := set.Raw("kid"); ok {
		if kidRaw[0] != '"' || json.Unmarshal(kidRaw, &h.Kid) != nil {
			return Header{}, fmt.Errorf("%w: header kid must be a string", ErrMalformed)
		}
		h.HasKid = true
	}
	if typRaw, ok := set.Raw("typ"); ok {
		if typRaw[0] != '"' || json.Unmarshal(typRaw, &h.Typ) != nil {
			return Header{}, fmt.Errorf("%w: header typ must be a string", ErrMalformed)
		}
	}
	return h, nil
}
