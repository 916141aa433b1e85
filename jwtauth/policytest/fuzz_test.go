package policytest

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseSuite feeds arbitrary test files to the parser: it must return
// a suite or an error, never panic. Seeds are the files in
// testdata/policies.
func FuzzParseSuite(f *testing.F) {
	seeds, _ := filepath.Glob("../../testdata/policies/*/*.yaml")
	top, _ := filepath.Glob("../../testdata/policies/*.yaml")
	for _, p := range append(seeds, top...) {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("# only a comment\n"))
	f.Add([]byte("config: {issuer: {url: 'https://a'}}\ncases: [{name: x, token: abc, user: {}}]\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := parseSuite(filepath.Join(dir, "fuzz.yaml"), data)
		if err == nil && (s.cfg == nil || len(s.cases) == 0) {
			t.Fatalf("suite without configuration or cases accepted")
		}
	})
}
