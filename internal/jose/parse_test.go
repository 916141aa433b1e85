package jose

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// A DER-looking value in standard base64 with padding, as x5c requires.
var x5cValue = base64.StdEncoding.EncodeToString([]byte{0x30, 0x03, 0x02, 0x01, 0x01})

func TestParseCompactAccepts(t *testing.T) {
	p := enc(`{"sub":"a"}`)
	s := enc("signature")
	cases := []struct {
		name   string
		header string
		want   Header
	}{
		{"alg only", `{"alg":"RS256"}`, Header{Alg: "RS256"}},
		{"kid and typ", `{"typ":"JWT","alg":"ES256","kid":"k1"}`, Header{Alg: "ES256", Kid: "k1", Typ: "JWT", HasKid: true}},
		{"empty kid is present", `{"alg":"RS256","kid":""}`, Header{Alg: "RS256", HasKid: true}},
		{"escaped names and values", `{"a\u006cg":"RS\u003256","kid":"k\/1"}`, Header{Alg: "RS256", Kid: "k/1", HasKid: true}},
		// Members we do not use are ignored, whatever they say.
		{"Entra header", `{"typ":"JWT","alg":"RS256","x5t":"nOo3ZDrODXEK1jKWhXslHR_KXEg","kid":"nOo3ZDrODXEK1jKWhXslHR_KXEg"}`,
			Header{Alg: "RS256", Kid: "nOo3ZDrODXEK1jKWhXslHR_KXEg", Typ: "JWT", HasKid: true}},
		{"jku and x5u never fetched", `{"alg":"RS256","jku":"http://169.254.169.254/","x5u":"file:///etc/passwd"}`, Header{Alg: "RS256"}},
		{"x5c shape only", `{"alg":"RS256","x5c":["` + x5cValue + `"]}`, Header{Alg: "RS256"}},
		{"x5c empty", `{"alg":"RS256","x5c":[]}`, Header{Alg: "RS256"}},
		{"nonce string", `{"alg":"RS256","nonce":"n"}`, Header{Alg: "RS256"}},
		{"cty and unknown members", `{"alg":"RS256","cty":"JWT","x-custom":{"a":[1,null]},"iv":"x"}`, Header{Alg: "RS256"}},
		// The allow-list is the caller's: the front door only wants a string.
		{"alg outside the allow-list", `{"alg":"HS256"}`, Header{Alg: "HS256"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			token := tok(enc(tc.header), p, s)
			jws, err := ParseCompact(token)
			require.NoError(t, err)
			require.Equal(t, tc.want, jws.Header)
			require.Equal(t, tc.header, string(jws.RawHeader))
			require.Equal(t, `{"sub":"a"}`, string(jws.Payload))
			require.Equal(t, "signature", string(jws.Signature))
			require.Equal(t, enc(tc.header)+"."+p, jws.SigningInput)
		})
	}

	// The payload is not interpreted here (claims.Parse does that), and
	// may even be empty.
	for _, payload := range []string{"not json", ""} {
		jws, err := ParseCompact(tok(enc(`{"alg":"RS256"}`), enc(payload), s))
		require.NoError(t, err)
		require.Equal(t, payload, string(jws.Payload))
	}
}

func TestParseCompactRejects(t *testing.T) {
	h := enc(`{"alg":"RS256","kid":"k"}`)
	p := enc(`{"sub":"a"}`)
	s := enc("signature!") // 10 bytes: the last char carries unused bits
	withHeader := func(json string) string { return tok(enc(json), p, s) }
	cases := map[string]string{
		// A: format and encoding.
		"empty":                    "",
		"whitespace only":          " \t",
		"Bearer remnant":           "Bearer " + tok(h, p, s),
		"one segment":              h,
		"two segments":             h + "." + p,
		"unsecured (empty sig)":    h + "." + p + ".",
		"four segments":            tok(h, p, s) + "." + s,
		"four, trailing dot":       tok(h, p, s) + ".",
		"five segments (JWE)":      h + ".." + enc("iv") + "." + p + "." + enc("tag"),
		"dots only":                "..",
		"many dots":                strings.Repeat(".", 10000),
		"flattened JSON":           `{"protected":"` + h + `","payload":"` + p + `","signature":"` + s + `","sub":"admin"}`,
		"JSON with leading space":  ` {"protected":"` + h + `"}`,
		"general JSON":             `{"payload":"` + p + `","signatures":[{"protected":"` + h + `","signature":"` + s + `"}]}`,
		"leading space":            " " + tok(h, p, s),
		"trailing newline":         tok(h, p, s) + "\n",
		"trailing CRLF":            tok(h, p, s) + "\r\n",
		"tab inside":               tok(h[:4]+"\t"+h[4:], p, s),
		"LF inside":                tok(h, p[:4]+"\n"+p[4:], s),
		"CRLF inside":              tok(h, p, s[:4]+"\r\n"+s[4:]),
		"space before dot":         h + " ." + p + "." + s,
		"padding":                  tok(h, p, s+"="),
		"padding on payload":       tok(h, enc(`{"a":1}`)+"=", s),
		"standard alphabet +":      tok(h, p, "ab+c"),
		"standard alphabet /":      tok(h, p, "ab/c"),
		"percent":                  tok(h, p, "ab%2F"),
		"NUL":                      tok(h, p, "abc\x00"),
		"non-ASCII":                tok(h, p, "abcé"),
		"length 1 mod 4":           tok(h, p, "abcde"),
		"non-zero trailing bits":   tok(h, p, s[:len(s)-1]+"R"),
		"trailing bits in payload": tok(h, p[:len(p)-1]+string(p[len(p)-1]+1), s),
		// A/B: header JSON.
		"header not JSON":           withHeader("nope"),
		"header empty":              tok("", p, s),
		"header array":              withHeader(`["alg"]`),
		"header string":             withHeader(`"RS256"`),
		"header null":               withHeader(`null`),
		"header number":             withHeader(`1`),
		"header BOM":                withHeader("\ufeff" + `{"alg":"RS256"}`),
		"header trailing data":      withHeader(`{"alg":"RS256"} x`),
		"header two objects":        withHeader(`{"alg":"RS256"}{}`),
		"header invalid UTF-8":      tok(b64([]byte("{\"alg\":\"RS256\",\"kid\":\"\xff\"}")), p, s),
		"header lone surrogate":     withHeader(`{"alg":"RS256","kid":"\ud800"}`),
		"header too deep":           withHeader(`{"alg":"RS256","x":` + strings.Repeat("[", 64) + strings.Repeat("]", 64) + `}`),
		"duplicate alg":             withHeader(`{"alg":"RS256","alg":"none"}`),
		"duplicate alg, escaped":    withHeader(`{"alg":"RS256","a\u006cg":"none"}`),
		"duplicate kid":             withHeader(`{"alg":"RS256","kid":"a","kid":"b"}`),
		"alg missing":               withHeader(`{"kid":"k"}`),
		"alg empty":                 withHeader(`{"alg":""}`),
		"alg null":                  withHeader(`{"alg":null}`),
		"alg number":                withHeader(`{"alg":256}`),
		"alg array":                 withHeader(`{"alg":["RS256"]}`),
		"kid null":                  withHeader(`{"alg":"RS256","kid":null}`),
		"kid number":                withHeader(`{"alg":"RS256","kid":1}`),
		"kid object":                withHeader(`{"alg":"RS256","kid":{"k":"v"}}`),
		"kid array":                 withHeader(`{"alg":"RS256","kid":["k"]}`),
		"typ number":                withHeader(`{"alg":"RS256","typ":1}`),
		"crit unknown":              withHeader(`{"alg":"RS256","crit":["x-u"],"x-u":1}`),
		"crit registered":           withHeader(`{"alg":"RS256","crit":["exp"],"exp":1}`),
		"crit empty":                withHeader(`{"alg":"RS256","crit":[]}`),
		"crit string":               withHeader(`{"alg":"RS256","crit":"b64"}`),
		"crit null":                 withHeader(`{"alg":"RS256","crit":null}`),
		"b64 false":                 withHeader(`{"alg":"RS256","b64":false,"crit":["b64"]}`),
		"b64 false, not critical":   withHeader(`{"alg":"RS256","b64":false}`),
		"b64 true":                  withHeader(`{"alg":"RS256","b64":true}`),
		"zip":                       withHeader(`{"alg":"RS256","zip":"DEF"}`),
		"JWE enc":                   withHeader(`{"alg":"RSA-OAEP","enc":"A256GCM"}`),
		"JWE enc with JWS alg":      withHeader(`{"alg":"RS256","enc":"A256GCM"}`),
		"embedded jwk":              withHeader(`{"alg":"RS256","jwk":{"kty":"RSA","n":"AQAB","e":"AQAB"}}`),
		"embedded jwk null":         withHeader(`{"alg":"RS256","jwk":null}`),
		"nonce number":              withHeader(`{"alg":"RS256","nonce":1}`),
		"x5c string":                withHeader(`{"alg":"RS256","x5c":"` + x5cValue + `"}`),
		"x5c null":                  withHeader(`{"alg":"RS256","x5c":null}`),
		"x5c number element":        withHeader(`{"alg":"RS256","x5c":[1]}`),
		"x5c null element":          withHeader(`{"alg":"RS256","x5c":[null]}`),
		"x5c empty element":         withHeader(`{"alg":"RS256","x5c":[""]}`),
		"x5c not base64":            withHeader(`{"alg":"RS256","x5c":["not base64!"]}`),
		"x5c base64url, unpadded":   withHeader(`{"alg":"RS256","x5c":["MAMCAQE"]}`),
		"x5c object":                withHeader(`{"alg":"RS256","x5c":{"a":"` + x5cValue + `"}}`),
		"padded header, valid JSON": tok(base64.URLEncoding.EncodeToString([]byte(`{"alg":"RS256","ab":1}`)), p, s),
	}
	for name, token := range cases {
		t.Run(name, func(t *testing.T) {
			jws, err := ParseCompact(token)
			require.ErrorIs(t, err, ErrMalformed)
			require.Nil(t, jws)
			// The error never echoes the token or a segment of it.
			msg := err.Error()
			for _, part := range append(strings.Split(token, "."), token) {
				if len(part) >= 8 {
					require.NotContains(t, msg, part)
				}
			}
		})
	}
}

// A token of many dots is refused without splitting it (CVE-2025-27144
// class: strings.Split on attacker input).
func TestParseCompactManyDotsDoesNotAllocate(t *testing.T) {
	token := strings.Repeat("a.", 1<<19)
	allocs := testing.AllocsPerRun(10, func() {
		if _, err := ParseCompact(token); err == nil {
			t.Fatal("accepted")
		}
	})
	require.LessOrEqual(t, allocs, 4.0) // the error value; more under -race
}
