package jwtauth

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/structauth/structauth/claims"
)

// checkPlainStringArray asserts the property claims.PlainStrings rests on:
// whenever it answers, stringOrArray (kube-apiserver's decoding) plus the
// prefix gives the very same groups.
func checkPlainStringArray(t *testing.T, raw []byte, prefix string) bool {
	t.Helper()
	got, ok := claims.PlainStrings(raw, prefix)
	if !ok {
		return false
	}
	want, err := stringOrArray(raw)
	require.NoError(t, err, "fast path accepted what the general decoder refuses: %q", raw)
	for i := range want {
		want[i] = prefix + want[i]
	}
	require.Equal(t, want, got, "raw %q", raw)
	return true
}

func TestPlainStringArray(t *testing.T) {
	cases := []struct {
		raw  string
		fast bool
	}{
		{`["a","b"]`, true},
		{` [ "dev" ,	"ops" ]` + "\n", true},
		{`["ünïcode","日本"]`, true},
		{`["x"]`, true},
		{`[""]`, true},
		{`[]`, false},
		{`null`, false},
		{`"single"`, false},
		{`["a\"b"]`, false},
		{`["a\u0062"]`, false},
		{`["a",1]`, false},
		{`["a",null]`, false},
		{`["a",]`, false},
		{`["a"`, false},
		{`["a"]x`, false},
		{"[\"a\x01\"]", false},
		{"[\"\xff\"]", false},
		{`[["a"]]`, false},
	}
	for _, tc := range cases {
		for _, prefix := range []string{"", "oidc:"} {
			require.Equal(t, tc.fast, checkPlainStringArray(t, []byte(tc.raw), prefix), "%q", tc.raw)
		}
	}
	// More elements than the stack buffer of offsets holds.
	raw := []byte(`[`)
	for i := range 100 {
		if i > 0 {
			raw = append(raw, ',')
		}
		raw = append(raw, `"group-`...)
		raw = append(raw, byte('a'+i%26), '"')
	}
	raw = append(raw, ']')
	require.True(t, checkPlainStringArray(t, raw, "p:"))
}

func FuzzPlainStringArray(f *testing.F) {
	for _, s := range []string{`["a","b"]`, `[ "x" ]`, `["a\"b"]`, `null`, `"s"`, `[1]`, `["日本"]`} {
		f.Add([]byte(s), "oidc:")
	}
	f.Fuzz(func(t *testing.T, raw []byte, prefix string) {
		checkPlainStringArray(t, raw, prefix)
	})
}
