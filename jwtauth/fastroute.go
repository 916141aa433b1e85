package jwtauth

import (
	"encoding/base64"

	"github.com/structauth/structauth/claims"
)

// A proxy in front of several identity systems sees many tokens that are
// not ours (other issuers, opaque tokens). kube-apiserver's
// hasCorrectIssuer answers "not mine" from the payload alone, before it
// looks at the header or the signature; fastUnknownIssuer does the same
// without building a claim set, so that such tokens cost a base64 decode
// and one pass over the payload bytes.
//
// It is deliberately conservative: it only ever answers "unknown issuer"
// when a plain scan of a well-formed payload finds exactly one top-level
// "iss" string, free of escapes, that no authenticator is configured for.
// Anything unusual (escaped keys, case variants of registered claims,
// a repeated "iss", Google's legacy issuer, an Entra-shaped issuer that
// deserves a diagnosis, malformed JSON) goes down the full path, which
// gives the precise error. FuzzFastUnknownIssuer checks that whatever
// this function refuses, the full parser reads the same "iss".

// fastScanMax bounds the payload decoded on the stack.
const fastScanMax = 4096

// fastUnknownIssuer returns a non-nil error when the token's issuer is
// certainly not configured, and nil when the full path must decide.
func (a *Authenticator) fastUnknownIssuer(token string) *Error {
	payload, ok := payloadSegment(token)
	if !ok || base64.RawURLEncoding.DecodedLen(len(payload)) > fastScanMax {
		return nil
	}
	var stack [fastScanMax]byte
	n, err := strictBase64URL.Decode(stack[:], []byte(payload))
	if err != nil {
		return nil
	}
	iss, ok := scanIssuer(stack[:n], a.byIssuer)
	if !ok {
		return nil // not certain, or a configured issuer: the full path
	}
	s := string(iss)
	if s == "accounts.google.com" {
		return nil
	}
	if _, entra := parseEntraIssuer(s); entra {
		return nil
	}
	return newError(CheckIssuer, ErrUnknownIssuer, "no authenticator for issuer %q", truncate(s, 256))
}

// strictBase64URL decodes unpadded base64url and refuses non-zero unused
// trailing bits, as the compact JWS parser does.
var strictBase64URL = base64.RawURLEncoding.Strict()

// payloadSegment returns the middle of a three-segment compact token.
func payloadSegment(token string) (string, bool) {
	first := -1
	second := -1
	for i := 0; i < len(token); i++ {
		if token[i] != '.' {
			continue
		}
		switch {
		case first < 0:
			first = i
		case second < 0:
			second = i
		default:
			return "", false // more than three segments
		}
	}
	if second < 0 {
		return "", false
	}
	return token[first+1 : second], true
}

// scanIssuer finds the value of the top-level "iss" member of a JSON
// object. ok is false whenever the answer is not certain: malformed JSON,
// trailing bytes, an escaped member name or "iss" value, "iss" missing,
// repeated or not a string, or a member name that is a case variant of a
// registered claim (the full path rejects those as malformed). It is also
// false, at once, when the "iss" found is a key of known: most
// tokens are for a configured issuer, and the full path reads them again
// anyway, so the rest of the payload need not be scanned.
func scanIssuer(b []byte, known map[string]*issuerAuthenticator) (iss []byte, ok bool) {
	s := jsonScan{b: b}
	s.space()
	if !s.eat('{') {
		return nil, false
	}
	s.space()
	if s.eat('}') {
		return nil, false // no iss
	}
	found := false
	for {
		s.space()
		name, escaped, good := s.str()
		if !good || escaped {
			return nil, false
		}
		s.space()
		if !s.eat(':') {
			return nil, false
		}
		s.space()
		if string(name) == "iss" {
			if found || s.peek() != '"' {
				return nil, false
			}
			v, esc, good := s.str()
			if !good || esc {
				return nil, false
			}
			if _, ours := known[string(v)]; ours {
				return nil, false
			}
			iss, found = v, true
		} else {
			if caseVariant(name) {
				return nil, false
			}
			if !s.value(0) {
				return nil, false
			}
		}
		s.space()
		if s.eat(',') {
			continue
		}
		if !s.eat('}') {
			return nil, false
		}
		break
	}
	s.space()
	if s.i != len(s.b) || !found {
		return nil, false
	}
	return iss, true
}

// caseVariant reports whether name differs from a registered claim name
// only in letter case.
func caseVariant(name []byte) bool {
	if len(name) < 3 || len(name) > 15 {
		return false
	}
	for _, reg := range registeredClaims {
		if len(reg) == len(name) && string(name) != reg && equalFoldASCII(name, reg) {
			return true
		}
	}
	return false
}

func equalFoldASCII(a []byte, b string) bool {
	for i := range a {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// jsonScan is a minimal JSON reader: enough to skip values and read plain
// strings, refusing anything it does not understand.
type jsonScan struct {
	b []byte
	i int
}

func (s *jsonScan) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *jsonScan) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

func (s *jsonScan) eat(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// str reads a string at the cursor and returns its raw bytes between the
// quotes, whether it contained an escape, and whether it was well formed.
// Control characters and invalid escapes make it malformed; UTF-8 validity
// is left to the full parser (a name or value with bytes above 0x7f is
// reported as escaped so that the full path decides).
func (s *jsonScan) str() (raw []byte, escaped, ok bool) {
	if !s.eat('"') {
		return nil, false, false
	}
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		switch {
		case c == '"':
			raw = s.b[start:s.i]
			s.i++
			return raw, escaped, true
		case c == '\\':
			escaped = true
			if s.i+1 >= len(s.b) {
				return nil, false, false
			}
			switch s.b[s.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i += 2
			case 'u':
				if s.i+6 > len(s.b) || !isHex4(s.b[s.i+2:s.i+6]) {
					return nil, false, false
				}
				s.i += 6
			default:
				return nil, false, false
			}
		case c < 0x20:
			return nil, false, false
		case c >= 0x80:
			escaped = true
			s.i++
		default:
			s.i++
		}
	}
	return nil, false, false
}

func isHex4(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// maxFastDepth bounds nesting; deeper payloads take the full path.
const maxFastDepth = 64

// value skips one JSON value.
func (s *jsonScan) value(depth int) bool {
	if depth > maxFastDepth {
		return false
	}
	switch c := s.peek(); {
	case c == '"':
		_, _, ok := s.str()
		return ok
	case c == '{':
		s.i++
		s.space()
		if s.eat('}') {
			return true
		}
		for {
			s.space()
			if _, _, ok := s.str(); !ok {
				return false
			}
			s.space()
			if !s.eat(':') {
				return false
			}
			s.space()
			if !s.value(depth + 1) {
				return false
			}
			s.space()
			if s.eat(',') {
				continue
			}
			return s.eat('}')
		}
	case c == '[':
		s.i++
		s.space()
		if s.eat(']') {
			return true
		}
		for {
			s.space()
			if !s.value(depth + 1) {
				return false
			}
			s.space()
			if s.eat(',') {
				continue
			}
			return s.eat(']')
		}
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || '0' <= c && c <= '9':
		return s.number()
	default:
		return false
	}
}

func (s *jsonScan) literal(lit string) bool {
	if len(s.b)-s.i < len(lit) || string(s.b[s.i:s.i+len(lit)]) != lit {
		return false
	}
	s.i += len(lit)
	return true
}

// number skips a JSON number (the claims parser's grammar).
func (s *jsonScan) number() bool {
	end, ok := claims.NumberEnd(s.b, s.i)
	s.i = end
	return ok
}
