package tokencache

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"math"
	"strings"
	"time"
)

// tokenExpiry reads the "exp" claim of a compact JWS without verifying
// anything: it is called only for tokens the wrapped authenticator has
// just accepted. It matches the member name exactly (encoding/json's struct
// decoding would also take "EXP" or "Exp") and, should a payload repeat the
// member, keeps the earliest value.
func tokenExpiry(token string) (time.Time, bool) {
	i := strings.IndexByte(token, '.')
	if i < 0 {
		return time.Time{}, false
	}
	rest := token[i+1:]
	j := strings.IndexByte(rest, '.')
	if j < 0 {
		return time.Time{}, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(rest[:j])
	if err != nil {
		return time.Time{}, false
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return time.Time{}, false
	}
	exp, found := math.Inf(1), false
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return time.Time{}, false
		}
		name, _ := t.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return time.Time{}, false
		}
		if name != "exp" {
			continue
		}
		var n json.Number
		if err := json.Unmarshal(raw, &n); err != nil || !isNumberLiteral(raw) {
			return time.Time{}, false
		}
		f, err := n.Float64()
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return time.Time{}, false
		}
		exp, found = min(exp, f), true
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('}') {
		return time.Time{}, false
	}
	// Beyond year 9999 the nanosecond conversion would overflow; such an
	// "exp" is the same as none for a cache bounded by its TTL.
	if !found || exp <= 0 || exp > 253402300799 {
		return time.Time{}, false
	}
	sec, frac := math.Modf(exp)
	return time.Unix(int64(sec), int64(frac*1e9)), true
}

// isNumberLiteral rejects a quoted number, which json.Number would accept.
func isNumberLiteral(raw []byte) bool {
	return len(raw) > 0 && raw[0] != '"'
}
