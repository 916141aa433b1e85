package celmap

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// decodeSimple decodes the claim shapes most expressions read — a plain
// string, a number, true, false, null, and an array of plain strings —
// into exactly what encoding/json gives for an `any`, with fewer
// allocations (the strings of an array share one buffer). ok is false for
// anything else (objects, escapes, control characters, invalid UTF-8,
// surrounding whitespace, mixed arrays), which the caller hands to
// encoding/json. FuzzDecodeSimple holds it to encoding/json's answer.
func decodeSimple(raw []byte) (v any, ok bool) {
	if len(raw) == 0 {
		return nil, false
	}
	switch c := raw[0]; {
	case c == '"':
		end, ok := plainString(raw, 0)
		if !ok || end != len(raw) {
			return nil, false
		}
		return string(raw[1 : end-1]), true
	case c == '-' || '0' <= c && c <= '9':
		if !jsonNumber(raw) {
			return nil, false
		}
		f, err := strconv.ParseFloat(string(raw), 64)
		if err != nil {
			return nil, false // out of range: encoding/json's error text
		}
		return f, true
	case c == '[':
		return plainStringArray(raw)
	}
	switch string(raw) {
	case "true":
		return true, true
	case "false":
		return false, true
	case "null":
		return nil, true
	}
	return nil, false
}

// plainString returns the index after the closing quote of the string
// starting at raw[i], if it holds no escape, control character or invalid
// UTF-8.
func plainString(raw []byte, i int) (int, bool) {
	j := i + 1
	for j < len(raw) && raw[j] != '"' {
		if raw[j] == '\\' || raw[j] < 0x20 {
			return 0, false
		}
		j++
	}
	if j >= len(raw) || !utf8.Valid(raw[i+1:j]) {
		return 0, false
	}
	return j + 1, true
}

// plainStringArray decodes a compact array of plain strings (no
// whitespace between elements, as in a signed token's payload) into
// []any, the strings sharing one backing string.
func plainStringArray(raw []byte) (any, bool) {
	if len(raw) < 2 || raw[len(raw)-1] != ']' {
		return nil, false
	}
	if len(raw) == 2 {
		return []any{}, true
	}
	n, size := 0, 0
	for i := 1; ; {
		end, ok := plainString(raw, i)
		if !ok || raw[i] != '"' {
			return nil, false
		}
		n++
		size += end - i - 2
		if end == len(raw)-1 {
			break
		}
		if raw[end] != ',' {
			return nil, false
		}
		i = end + 1
		if i >= len(raw) {
			return nil, false
		}
	}
	var b strings.Builder
	b.Grow(size)
	for i := 1; i < len(raw)-1; {
		end, _ := plainString(raw, i)
		b.Write(raw[i+1 : end-1])
		i = end + 1
	}
	all := b.String()
	out := make([]any, n)
	from := 0
	for i, k := 1, 0; i < len(raw)-1; k++ {
		end, _ := plainString(raw, i)
		l := end - i - 2
		out[k] = all[from : from+l]
		from += l
		i = end + 1
	}
	return out, true
}

// jsonNumber reports whether raw is exactly one JSON number (RFC 8259 §6).
func jsonNumber(raw []byte) bool {
	i := 0
	if raw[i] == '-' {
		i++
	}
	digits := func() int {
		start := i
		for i < len(raw) && '0' <= raw[i] && raw[i] <= '9' {
			i++
		}
		return i - start
	}
	switch {
	case i < len(raw) && raw[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(raw) && raw[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(raw) && (raw[i] == 'e' || raw[i] == 'E') {
		i++
		if i < len(raw) && (raw[i] == '+' || raw[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(raw)
}
