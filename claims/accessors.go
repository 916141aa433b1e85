package claims

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"
)

// Unmarshal decodes a member into v with encoding/json. It returns
// ErrNotPresent when the member is absent, and otherwise encoding/json's
// error unchanged (its text names Go types, never the value).
func (s *Set) Unmarshal(name string, v any) error {
	raw, ok := s.Raw(name)
	if !ok {
		return ErrNotPresent
	}
	return json.Unmarshal(raw, v)
}

// typeError reports a member of the wrong JSON type, naming the claim
// (bounded) but never its value.
func typeError(name, want string) error {
	return fmt.Errorf("claims: claim %q is not %s", shorten(name), want)
}

// String decodes a string member. JSON null is an error, unlike
// encoding/json (which leaves a string unchanged on null).
func (s *Set) String(name string) (string, error) {
	raw, ok := s.Raw(name)
	if !ok {
		return "", ErrNotPresent
	}
	if len(raw) < 2 || raw[0] != '"' {
		return "", typeError(name, "a string")
	}
	// Fast path: no escapes, and valid UTF-8 (always true after Parse;
	// checked because Replace takes any bytes), so the text is the value.
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return string(inner), nil
	}
	var out string
	if err := json.Unmarshal(raw, &out); err != nil {
		return "", typeError(name, "a string")
	}
	return out, nil
}

// Bool decodes a boolean member: JSON true or false, nothing else (JSON
// null is an error).
func (s *Set) Bool(name string) (bool, error) {
	raw, ok := s.Raw(name)
	if !ok {
		return false, ErrNotPresent
	}
	switch string(raw) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, typeError(name, "a boolean")
}

// Strings decodes a member that is an array of strings or a single
// string, tried in that order, exactly as kube-apiserver's stringOrArray
// (so JSON null gives a nil slice, and null array elements give "").
func (s *Set) Strings(name string) ([]string, error) {
	raw, ok := s.Raw(name)
	if !ok {
		return nil, ErrNotPresent
	}
	if list, ok := plainStrings(raw); ok {
		return list, nil
	}
	if len(raw) > 0 && raw[0] == '"' {
		// A JSON string never decodes as an array, so go straight to
		// the second attempt.
		one, err := s.String(name)
		if err != nil {
			return nil, typeError(name, "a string or an array of strings")
		}
		return []string{one}, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err == nil {
		return list, nil
	}
	var one string
	if err := json.Unmarshal(raw, &one); err != nil {
		return nil, typeError(name, "a string or an array of strings")
	}
	return []string{one}, nil
}

// Seconds range accepted by NumericDate: int64 seconds that time.Unix can
// represent without overflowing its internal year-1 epoch.
const (
	unixToInternal = 62135596800 // seconds from year 1 to 1970
	maxUnix        = 1<<63 - 1 - unixToInternal
	minUnix        = -1 << 63
)

// NumericDate decodes a NumericDate (RFC 7519 §2) the way go-oidc v2,
// which kube-apiserver uses, decodes exp, iat and nbf: a JSON number, or a
// JSON string holding a JSON number; its integer value exactly when it
// parses as an int64, otherwise its float64 value truncated toward zero.
//
// Numbers outside the int64 range of seconds, or so large that time.Unix
// would overflow, are errors wrapping ErrOutOfRange (go-oidc converts them
// to a time in the distant past: its float-to-int64 conversion is
// implementation-defined and time.Unix wraps; jwtauth reproduces that
// decision). A number too large for a float64, such as 1e400, is a type
// error, as in go-oidc. JSON null is an error (callers that treat a null
// nbf as absent check Raw).
func (s *Set) NumericDate(name string) (time.Time, error) {
	raw, ok := s.Raw(name)
	if !ok {
		return time.Time{}, ErrNotPresent
	}
	var n json.Number
	switch {
	case len(raw) > 0 && (raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9'):
		// A JSON number: no decoding needed. Checked again because
		// Replace takes any bytes.
		if end, err := scanNumber(raw, 0); err != nil || end != len(raw) {
			return time.Time{}, typeError(name, "a number")
		}
		if sec, ok := smallInt(raw); ok {
			return time.Unix(sec, 0), nil
		}
		n = json.Number(raw)
	case len(raw) > 0 && raw[0] == '"':
		// encoding/json accepts a string for a json.Number only if it
		// holds a valid JSON number.
		if err := json.Unmarshal(raw, &n); err != nil {
			return time.Time{}, typeError(name, "a number")
		}
	default:
		return time.Time{}, typeError(name, "a number")
	}
	sec, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(string(n), 64)
		if ferr != nil {
			// Syntax errors, and ±Inf from overflow (go-oidc fails too).
			return time.Time{}, typeError(name, "a number of seconds")
		}
		// float64(1<<63) is exact; anything at or above it, or below
		// -1<<63, does not fit an int64.
		if !(f >= -(1<<63) && f < 1<<63) {
			return time.Time{}, fmt.Errorf("claims: claim %q is %w", shorten(name), ErrOutOfRange)
		}
		sec = int64(f)
	}
	if sec > maxUnix || sec < minUnix {
		return time.Time{}, fmt.Errorf("claims: claim %q is %w", shorten(name), ErrOutOfRange)
	}
	return time.Unix(sec, 0), nil
}

// plainStrings decodes the common shape of a group list without
// reflection: an array of strings none of which has an escape. It
// reports false for anything else, and the caller falls back to
// encoding/json, so results are identical.
func plainStrings(raw []byte) ([]string, bool) {
	if len(raw) < 2 || raw[0] != '[' || !utf8.Valid(raw) {
		return nil, false
	}
	i := skipSpace(raw, 1)
	if i < len(raw) && raw[i] == ']' {
		return []string{}, skipSpace(raw, i+1) == len(raw)
	}
	text := string(raw) // elements are substrings: one allocation
	out := make([]string, 0, bytes.Count(raw, []byte{','})+1)
	for i < len(raw) && raw[i] == '"' {
		j := i + 1
		for j < len(raw) && plain[raw[j]] || j < len(raw) && raw[j] >= utf8.RuneSelf {
			j++
		}
		if j >= len(raw) || raw[j] != '"' {
			return nil, false // an escape, a control character, or the end
		}
		out = append(out, text[i+1:j])
		i = skipSpace(raw, j+1)
		if i >= len(raw) {
			return nil, false
		}
		switch raw[i] {
		case ']':
			return out, skipSpace(raw, i+1) == len(raw)
		case ',':
			i = skipSpace(raw, i+1)
		default:
			return nil, false
		}
	}
	return nil, false
}

// smallInt decodes an optionally negative run of at most 18 decimal
// digits without a leading zero (so no overflow, and always within the
// range time.Unix handles): the usual NumericDate, without allocating.
func smallInt(s []byte) (int64, bool) {
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		s = s[1:]
	}
	if len(s) == 0 || len(s) > 18 || len(s) > 1 && s[0] == '0' {
		return 0, false
	}
	var v int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}
