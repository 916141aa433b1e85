package celmap

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// checkDecodeSimple asserts that whenever decodeSimple answers, its value
// is exactly encoding/json's for the same bytes.
func checkDecodeSimple(t *testing.T, raw []byte) bool {
	t.Helper()
	got, ok := decodeSimple(raw)
	if !ok {
		return false
	}
	var want any
	require.NoError(t, json.Unmarshal(raw, &want), "fast path accepted what encoding/json refuses: %q", raw)
	require.Equal(t, want, got, "raw %q", raw)
	return true
}

func TestDecodeSimple(t *testing.T) {
	cases := []struct {
		raw  string
		fast bool
	}{
		{`"jane"`, true},
		{`"ünï"`, true},
		{`""`, true},
		{`12`, true},
		{`-0.5e+3`, true},
		{`1700000000`, true},
		{`true`, true},
		{`false`, true},
		{`null`, true},
		{`[]`, true},
		{`["a","b","c"]`, true},
		{`[""]`, true},
		{`["a", "b"]`, false}, // whitespace: encoding/json decides
		{`["a",1]`, false},
		{`["a\"b"]`, false},
		{`"a\u0062"`, false},
		{"\"a\x01\"", false},
		{"\"\xff\"", false},
		{`01`, false},
		{`1.`, false},
		{`1e400`, false},
		{`{"a":1}`, false},
		{` "a"`, false},
		{`"a" `, false},
		{`[`, false},
		{`["a",]`, false},
		{`tru`, false},
	}
	for _, tc := range cases {
		require.Equal(t, tc.fast, checkDecodeSimple(t, []byte(tc.raw)), "%q", tc.raw)
	}
}

func FuzzDecodeSimple(f *testing.F) {
	for _, s := range []string{`"jane"`, `12.5`, `true`, `null`, `["a","b"]`, `[]`, `["a\"b"]`, `{"x":1}`, `-0`, `1E5`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		checkDecodeSimple(t, raw)
	})
}
