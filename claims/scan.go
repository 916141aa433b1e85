package claims

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// scanner validates a claim set in one pass over the bytes: JSON grammar
// (RFC 8259), UTF-8, escapes, nesting depth, and the boundaries of the
// top-level members. It never decodes a value; a member's raw JSON is a
// sub-slice of the input.
//
// Being our own code, it is fuzzed against encoding/json (FuzzParse):
// everything it accepts, json.Valid accepts too.
type scanner struct {
	b []byte
}

// malformed is the one error constructor of the scanner: a short reason
// and a byte offset, never any of the input.
func malformed(reason string, off int) error {
	return fmt.Errorf("%w: %s at offset %d", ErrMalformed, reason, off)
}

// maxInput keeps every index of the scan, and the positions in a Set's
// index, within 32 bits.
const maxInput = 1<<31 - 1

// member is one top-level member found by parseObject: its name (start
// and end of the quoted name, escapes flagged) and its raw value.
type member struct {
	nameStart, nameEnd int // quoted name, quotes included
	escaped            bool
	valStart, valEnd   int
}

// parseObject scans the whole input b, which must be one object with
// nothing but JSON whitespace around it, and appends its top-level members
// to out in document order.
func parseObject(b []byte, out []member) ([]member, error) {
	if len(b) > maxInput {
		return nil, malformed("too large", 0)
	}
	sc := scanner{b: b}
	i := skipSpace(b, 0)
	if i >= len(b) {
		return nil, malformed("empty input", i)
	}
	if b[i] != '{' {
		return nil, malformed("not a JSON object", i)
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		i++
	} else {
		for {
			if i >= len(b) || b[i] != '"' {
				return nil, malformed("expected a member name", i)
			}
			var m member
			m.nameStart = i
			end, escaped, err := sc.scanString(i)
			if err != nil {
				return nil, err
			}
			m.nameEnd, m.escaped = end, escaped
			i = skipSpace(b, end)
			if i >= len(b) || b[i] != ':' {
				return nil, malformed("expected ':'", i)
			}
			i = skipSpace(b, i+1)
			m.valStart = i
			if i, err = sc.scanValue(i, 1); err != nil {
				return nil, err
			}
			m.valEnd = i
			out = append(out, m)
			i = skipSpace(b, i)
			if i >= len(b) {
				return nil, malformed("unterminated object", i)
			}
			if b[i] == '}' {
				i++
				break
			}
			if b[i] != ',' {
				return nil, malformed("expected ',' or '}'", i)
			}
			i = skipSpace(b, i+1)
		}
	}
	if i = skipSpace(b, i); i != len(b) {
		return nil, malformed("data after the object", i)
	}
	return out, nil
}

// scanValue returns the index just past the value starting at b[i].
// depth is the nesting depth of the container holding the value (the
// top-level object is depth 1).
func (sc *scanner) scanValue(i, depth int) (int, error) {
	b := sc.b
	if i >= len(b) {
		return i, malformed("expected a value", i)
	}
	switch c := b[i]; {
	case c == '"':
		end, _, err := sc.scanString(i)
		return end, err
	case c == '{' || c == '[':
		if depth >= MaxDepth {
			return i, malformed(fmt.Sprintf("nested deeper than %d", MaxDepth), i)
		}
		return sc.scanContainer(i, depth+1)
	case c == '-' || c >= '0' && c <= '9':
		return scanNumber(b, i)
	case c == 't':
		return scanLiteral(b, i, "true")
	case c == 'f':
		return scanLiteral(b, i, "false")
	case c == 'n':
		return scanLiteral(b, i, "null")
	}
	return i, malformed("invalid character", i)
}

// scanContainer scans the array or object starting at b[i], whose own
// depth is depth.
func (sc *scanner) scanContainer(i, depth int) (int, error) {
	b := sc.b
	object := b[i] == '{'
	closing := byte(']')
	if object {
		closing = '}'
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == closing {
		return i + 1, nil
	}
	for {
		var err error
		if object {
			// Duplicate names inside values are the value's consumer's
			// concern (encoding/json: last wins); only the top level is
			// checked, because that is where claims are looked up.
			if i >= len(b) || b[i] != '"' {
				return i, malformed("expected a member name", i)
			}
			if i, _, err = sc.scanString(i); err != nil {
				return i, err
			}
			i = skipSpace(b, i)
			if i >= len(b) || b[i] != ':' {
				return i, malformed("expected ':'", i)
			}
			i = skipSpace(b, i+1)
		}
		if i, err = sc.scanValue(i, depth); err != nil {
			return i, err
		}
		i = skipSpace(b, i)
		if i >= len(b) {
			return i, malformed("unterminated container", i)
		}
		if b[i] == closing {
			return i + 1, nil
		}
		if b[i] != ',' {
			return i, malformed("expected ',' or a closing bracket", i)
		}
		i = skipSpace(b, i+1)
	}
}

// scanString returns the index just past the string starting at
// b[i] == '"' and whether it contains escapes. It rejects control
// characters, invalid UTF-8, unknown escapes and \u escapes that encode
// an unpaired UTF-16 surrogate (encoding/json would turn those into
// U+FFFD, so two different names or usernames could decode equal).
func (sc *scanner) scanString(i int) (end int, escaped bool, err error) {
	b := sc.b
	j := i + 1
	for j < len(b) {
		// Fast path over the common bytes: printable ASCII that neither
		// ends the string nor starts an escape.
		for j < len(b) && plain[b[j]] {
			j++
		}
		if j >= len(b) {
			break
		}
		c := b[j]
		switch {
		case c == '"':
			return j + 1, escaped, nil
		case c == '\\':
			escaped = true
			if j, err = scanEscape(b, j); err != nil {
				return j, escaped, err
			}
		case c < 0x20:
			return j, escaped, malformed("control character in string", j)
		default:
			r, size := utf8.DecodeRune(b[j:])
			if r == utf8.RuneError && size == 1 {
				return j, escaped, malformed("invalid UTF-8", j)
			}
			j += size
		}
	}
	return j, escaped, malformed("unterminated string", j)
}

// plain marks the bytes scanString may skip without a closer look.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// scanEscape validates the escape starting at b[j] == '\\' and returns the
// index just past it.
func scanEscape(b []byte, j int) (int, error) {
	if j+1 >= len(b) {
		return j, malformed("unterminated escape", j)
	}
	switch b[j+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return j + 2, nil
	case 'u':
	default:
		return j, malformed("invalid escape", j)
	}
	r, ok := hex4(b, j+2)
	if !ok {
		return j, malformed("invalid \\u escape", j)
	}
	switch {
	case r >= 0xDC00 && r <= 0xDFFF:
		return j, malformed("unpaired UTF-16 surrogate", j)
	case r >= 0xD800 && r <= 0xDBFF:
		// A high surrogate must be followed by an escaped low one.
		if j+7 >= len(b) || b[j+6] != '\\' || b[j+7] != 'u' {
			return j, malformed("unpaired UTF-16 surrogate", j)
		}
		lo, ok := hex4(b, j+8)
		if !ok || lo < 0xDC00 || lo > 0xDFFF {
			return j, malformed("unpaired UTF-16 surrogate", j)
		}
		return j + 12, nil
	}
	return j + 6, nil
}

// hex4 decodes the four hex digits at b[i:i+4].
func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// NumberEnd returns the index just past the RFC 8259 number that starts
// at b[i], and whether there is one; the grammar is the claims parser's.
func NumberEnd(b []byte, i int) (end int, ok bool) {
	if i >= len(b) {
		return i, false
	}
	end, err := scanNumber(b, i)
	return end, err == nil
}

// scanNumber returns the index just past the RFC 8259 number at b[i]:
// -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?
func scanNumber(b []byte, i int) (int, error) {
	start := i
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i = skipDigits(b, i+1)
	default:
		return i, malformed("invalid number", start)
	}
	if i < len(b) && b[i] == '.' {
		j := skipDigits(b, i+1)
		if j == i+1 {
			return i, malformed("invalid number", start)
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := skipDigits(b, i)
		if j == i {
			return i, malformed("invalid number", start)
		}
		i = j
	}
	return i, nil
}

func skipDigits(b []byte, i int) int {
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i
}

func scanLiteral(b []byte, i int, lit string) (int, error) {
	if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != lit {
		return i, malformed("invalid literal", i)
	}
	return i + len(lit), nil
}

// skipSpace skips JSON whitespace (RFC 8259 §2: space, tab, LF, CR).
func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// unescapeName decodes a quoted member name that contains escapes. The
// scanner has validated it, so encoding/json cannot fail here; the check
// stays for safety.
func unescapeName(quoted []byte) (string, error) {
	var name string
	if err := json.Unmarshal(quoted, &name); err != nil {
		return "", fmt.Errorf("%w: invalid member name", ErrMalformed)
	}
	return name, nil
}
