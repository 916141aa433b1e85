package tokencache

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/structauth/structauth/jwtauth/jwtauthtest"
)

func TestTokenExpiry(t *testing.T) {
	seg := jwtauthtest.EncodeSegment
	tok := func(payload string) string { return seg(`{"alg":"RS256"}`) + "." + seg(payload) + ".c2ln" }
	tests := []struct {
		name  string
		token string
		want  time.Time
		ok    bool
	}{
		{name: "integer", token: tok(`{"exp":1700000000}`), want: time.Unix(1700000000, 0), ok: true},
		{name: "fraction", token: tok(`{"sub":"x","exp":1700000000.5}`), want: time.Unix(1700000000, 5e8), ok: true},
		{name: "exponent", token: tok(`{"exp":1.7e9}`), want: time.Unix(1700000000, 0), ok: true},
		{name: "nested exp ignored", token: tok(`{"a":{"exp":1},"exp":1700000000}`), want: time.Unix(1700000000, 0), ok: true},
		{name: "repeated, earliest wins", token: tok(`{"exp":1800000000,"exp":1700000000}`), want: time.Unix(1700000000, 0), ok: true},
		{name: "other case ignored", token: tok(`{"exp":1700000000,"EXP":1900000000,"Exp":1900000000}`), want: time.Unix(1700000000, 0), ok: true},
		{name: "missing", token: tok(`{"sub":"x"}`)},
		{name: "only other case", token: tok(`{"EXP":1700000000}`)},
		{name: "string", token: tok(`{"exp":"1700000000"}`)},
		{name: "null", token: tok(`{"exp":null}`)},
		{name: "negative", token: tok(`{"exp":-5}`)},
		{name: "zero", token: tok(`{"exp":0}`)},
		{name: "huge", token: tok(`{"exp":1e300}`)},
		{name: "array payload", token: tok(`[1]`)},
		{name: "bad json", token: tok(`{"exp":17`)},
		{name: "bad base64", token: "a.!!!.c"},
		{name: "one segment", token: "abc"},
		{name: "two segments", token: "abc.def"},
		{name: "empty", token: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := tokenExpiry(tc.token)
			require.Equal(t, tc.ok, ok)
			if tc.ok {
				require.True(t, tc.want.Equal(got), "got %v", got)
			}
		})
	}
}

func FuzzTokenExpiry(f *testing.F) {
	f.Add(jwtauthtest.EncodeSegment(`{}`) + "." + jwtauthtest.EncodeSegment(`{"exp":1700000000}`) + ".x")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, token string) {
		if exp, ok := tokenExpiry(token); ok && exp.Unix() <= 0 {
			t.Fatalf("non-positive exp %v accepted", exp)
		}
	})
}
