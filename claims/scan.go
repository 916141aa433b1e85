package claims

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// scanObject validates payload as one JSON object and records its
// top-level members in s without decoding their values.
func scanObject(payload []byte, s *Set) error {
	if !utf8.Valid(payload) {
		return fmt.Errorf("%w: not valid UTF-8", ErrMalformed)
	}
	if !json.Valid(payload) {
		return fmt.Errorf("%w: not valid JSON", ErrMalformed)
	}
	// From here on the input is valid JSON: the scan only needs to find
	// boundaries, check depth and collect names.
	i := skipSpace(payload, 0)
	if i >= len(payload) || payload[i] != '{' {
		return fmt.Errorf("%w: not a JSON object", ErrMalformed)
	}
	i = skipSpace(payload, i+1)
	if payload[i] == '}' {
		return nil
	}
	for {
		// Member name.
		end := stringEnd(payload, i)
		name, err := decodeName(payload[i:end])
		if err != nil {
			return err
		}
		if _, dup := s.raw[name]; dup {
			return fmt.Errorf("%w: %q", ErrDuplicateClaim, truncateName(name))
		}
		i = skipSpace(payload, end)
		i = skipSpace(payload, i+1) // ':'
		vend, err := valueEnd(payload, i)
		if err != nil {
			return err
		}
		s.raw[name] = json.RawMessage(payload[i:vend:vend])
		s.names = append(s.names, name)
		i = skipSpace(payload, vend)
		if payload[i] == '}' {
			return nil
		}
		i = skipSpace(payload, i+1) // ','
	}
}

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

// stringEnd returns the index just past the string starting at b[i] == '"'.
func stringEnd(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(b)
}

// valueEnd returns the index just past the value starting at b[i],
// rejecting nesting deeper than MaxDepth.
func valueEnd(b []byte, i int) (int, error) {
	depth := 0
	for j := i; j < len(b); j++ {
		switch c := b[j]; c {
		case '"':
			j = stringEnd(b, j) - 1
			if depth == 0 {
				return j + 1, nil
			}
		case '{', '[':
			depth++
			if depth > MaxDepth-1 {
				return 0, fmt.Errorf("%w: nested deeper than %d", ErrMalformed, MaxDepth)
			}
		case '}', ']':
			if depth == 0 {
				return j, nil // end of the enclosing object
			}
			depth--
			if depth == 0 {
				return j + 1, nil
			}
		case ',':
			if depth == 0 {
				return j, nil
			}
		case ' ', '\t', '\n', '\r':
			if depth == 0 {
				return j, nil
			}
		}
	}
	return len(b), nil
}

func decodeName(quoted []byte) (string, error) {
	inner := quoted[1 : len(quoted)-1]
	if !strings.ContainsRune(string(inner), '\\') {
		return string(inner), nil
	}
	var name string
	if err := json.Unmarshal(quoted, &name); err != nil {
		return "", fmt.Errorf("%w: bad member name", ErrMalformed)
	}
	return name, nil
}

func truncateName(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
