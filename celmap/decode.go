package celmap

import (
	"bytes"
	"strconv"
	"unicode/utf8"

	"github.com/structauth/structauth/claims"
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
		if end, ok := claims.NumberEnd(raw, 0); !ok || end != len(raw) {
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
// whitespace, as in a signed token's payload) into []any with
// claims.PlainStrings, the strings sharing one backing string.
func plainStringArray(raw []byte) (any, bool) {
	if string(raw) == "[]" {
		return []any{}, true
	}
	if bytes.ContainsAny(raw, " \t\n\r") {
		return nil, false // encoding/json decides
	}
	strs, ok := claims.PlainStrings(raw, "")
	if !ok {
		return nil, false
	}
	out := make([]any, len(strs))
	for i, s := range strs {
		out[i] = s
	}
	return out, true
}
