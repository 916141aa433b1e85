package celmap

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestUnescape(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"sub", "sub", true},
		{"", "", true},
		{"kubernetes__dot__io", "kubernetes.io", true},
		{"my__dash__claim", "my-claim", true},
		{"example__dot__org__slash__a", "example.org/a", true},
		{"a__underscores__b", "a__b", true},
		{"__namespace__", "namespace", true},
		{"__in__", "in", true},
		{"x__in__", "", false},       // reserved words only as the whole name
		{"__in____dot__", "", false}, // idem
		{"__foo__", "", false},
		{"a__b", "a__b", true},
		{"a____b", "a____b", true},
		{"___dot__", "_.", true},
		{"__dot____dash__", ".-", true},
		{"__dot___", "._", true},
		{"_dot_", "_dot_", true},
		{"__dot", "__dot", true},
		{"__ü__", "", false},
		{"__.__", "", false},
	}
	for _, tc := range tests {
		got, ok := Unescape(tc.in)
		require.Equal(t, tc.ok, ok, tc.in)
		require.Equal(t, tc.want, got, tc.in)
		ref, refOK := referenceUnescape(tc.in)
		require.Equal(t, refOK, ok, tc.in)
		require.Equal(t, ref, got, tc.in)
	}
}

// referenceUnescape restates the Kubernetes rule with a regular
// expression (runs of "__x__" found left to right), as an oracle for the
// hand-written scanner.
var escapeRun = regexp.MustCompile(`__[^_]+__`)

func referenceUnescape(s string) (string, bool) {
	ok := true
	out := escapeRun.ReplaceAllStringFunc(s, func(m string) string {
		w := m[2 : len(m)-2]
		switch w {
		case "underscores":
			return "__"
		case "dot":
			return "."
		case "dash":
			return "-"
		case "slash":
			return "/"
		}
		if reservedWords[w] && len(m) == len(s) {
			return w
		}
		ok = false
		return ""
	})
	if !ok {
		return "", false
	}
	return out, true
}

func FuzzUnescape(f *testing.F) {
	for _, s := range []string{"a__dot__b", "___dash___", "__in__", "x__underscores____slash__", "__\xff__", "____"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := Unescape(s)
		want, wantOK := referenceUnescape(s)
		if ok != wantOK || got != want {
			t.Fatalf("Unescape(%q) = %q, %v; reference %q, %v", s, got, ok, want, wantOK)
		}
	})
}
