package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const policyDir = "../../testdata/policies"

func TestTestCommand(t *testing.T) {
	examples, err := filepath.Glob(filepath.Join(policyDir, "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, examples)
	failing := filepath.Join(policyDir, "failing", "wrong-expectations.yaml")

	tests := []struct {
		name       string
		args       []string
		wantStatus int
		// wantOut and wantErr are substrings of stdout and stderr;
		// wantLast is stdout's last line.
		wantOut  []string
		wantErr  []string
		wantLast string
		noOut    []string
	}{
		{
			name:       "examples pass",
			args:       append([]string{"test"}, examples...),
			wantStatus: exitOK,
			wantLast:   "35 passed, 0 failed",
			noOut:      []string{"FAIL", "PASS"},
		},
		{
			name:       "directory",
			args:       []string{"test", policyDir},
			wantStatus: exitOK,
			wantLast:   "35 passed, 0 failed",
		},
		{
			name:       "verbose lists passing cases",
			args:       []string{"test", "-v", filepath.Join(policyDir, "keycloak.yaml")},
			wantStatus: exitOK,
			wantOut:    []string{"PASS ../../testdata/policies/keycloak.yaml:38: realm roles become groups\n"},
			wantLast:   "5 passed, 0 failed",
		},
		{
			name:       "failing cases with their differences",
			args:       []string{"test", failing},
			wantStatus: exitFailed,
			wantOut: []string{
				"FAIL ../../testdata/policies/failing/wrong-expectations.yaml:35: wrong username\n    username: want \"jane\", got \"idp:jane\"\n",
				"FAIL ../../testdata/policies/failing/wrong-expectations.yaml:39: wrong groups and extra\n    groups: want [\"idp:dev\"], got [\"idp:dev\", \"idp:ops\"]\n    extra[\"example.com/tenant\"]: want [\"other\"], got [\"acme\"]\n",
				"check: want \"claim-rule\", got \"audience\"",
			},
			noOut:    []string{"passes (control)"},
			wantLast: "1 passed, 7 failed",
		},
		{
			name:       "flags after files",
			args:       []string{"test", failing, "-v"},
			wantStatus: exitFailed,
			wantOut:    []string{"PASS ../../testdata/policies/failing/wrong-expectations.yaml:30: passes (control)"},
			wantLast:   "1 passed, 7 failed",
		},
		{
			name:       "passing and failing files together",
			args:       []string{"test", filepath.Join(policyDir, "github-actions.yaml"), failing},
			wantStatus: exitFailed,
			wantLast:   "9 passed, 7 failed",
		},
		{
			name:       "a broken file is a usage error, the others still run",
			args:       []string{"test", filepath.Join(policyDir, "invalid", "unknown-field.yaml"), failing},
			wantStatus: exitUsage,
			wantErr:    []string{"structauth test: ../../testdata/policies/invalid/unknown-field.yaml: line 5: field usr not found in a case\n"},
			wantLast:   "1 passed, 7 failed",
		},
		{
			name:       "invalid configuration",
			args:       []string{"test", filepath.Join(policyDir, "invalid", "invalid-config.yaml")},
			wantStatus: exitUsage,
			wantErr:    []string{"invalid configuration: jwt[0].issuer.url"},
			wantLast:   "0 passed, 0 failed",
		},
		{
			name:       "missing file",
			args:       []string{"test", "no-such-file.yaml"},
			wantStatus: exitUsage,
			wantErr:    []string{"no-such-file.yaml: no such file or directory"},
		},
		{
			name:       "empty file",
			args:       []string{"test", filepath.Join(policyDir, "invalid", "empty.yaml")},
			wantStatus: exitUsage,
			wantErr:    []string{"empty.yaml: empty test file"},
		},
		{
			name:       "directory without test files",
			args:       []string{"test", t.TempDir()},
			wantStatus: exitUsage,
			wantErr:    []string{"no *.yaml or *.yml files"},
			wantLast:   "0 passed, 0 failed",
		},
		{
			name:       "no arguments",
			args:       []string{"test"},
			wantStatus: exitUsage,
			wantErr:    []string{"no test files given", "Usage:\n  structauth test"},
		},
		{
			name:       "unknown flag",
			args:       []string{"test", "--bogus", failing},
			wantStatus: exitUsage,
			wantErr:    []string{"flag provided but not defined: -bogus"},
		},
		{
			name:       "help",
			args:       []string{"test", "--help"},
			wantStatus: exitOK,
			wantOut:    []string{"Usage:\n  structauth test [-v] FILE|DIR...", "Exit status: 0 all cases passed"},
		},
		{
			name:       "help command",
			args:       []string{"help", "test"},
			wantStatus: exitOK,
			wantOut:    []string{"Usage:\n  structauth test"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			status := run(tc.args, strings.NewReader(""), &stdout, &stderr)
			require.Equal(t, tc.wantStatus, status, "stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
			for _, w := range tc.wantOut {
				require.Contains(t, stdout.String(), w)
			}
			for _, w := range tc.noOut {
				require.NotContains(t, stdout.String(), w)
			}
			for _, w := range tc.wantErr {
				require.Contains(t, stderr.String(), w)
			}
			if tc.wantErr == nil {
				require.Empty(t, stderr.String())
			}
			if tc.wantLast != "" {
				lines := strings.Split(strings.TrimRight(stdout.String(), "\n"), "\n")
				require.Equal(t, tc.wantLast, lines[len(lines)-1])
			}
		})
	}
}

// TestTestCommandWritesNothingElse checks a passing run prints only the
// summary, so scripts can parse it.
func TestTestCommandWritesNothingElse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.yaml")
	require.NoError(t, os.WriteFile(path, []byte(`configFile: `+mustAbs(t, "../../testdata/config/valid-minimal.yaml")+`
cases:
- {name: a, claims: {iss: "https://issuer.example.com", aud: my-api, sub: jane}, user: {username: jane}}
- {name: b, claims: {iss: "https://issuer.example.com", aud: other, sub: jane}, reject: {check: audience}}
`), 0o600))
	var stdout, stderr bytes.Buffer
	require.Equal(t, exitOK, run([]string{"test", path}, strings.NewReader(""), &stdout, &stderr), stderr.String())
	require.Equal(t, "2 passed, 0 failed\n", stdout.String())
	require.Empty(t, stderr.String())
}

func mustAbs(t *testing.T, p string) string {
	a, err := filepath.Abs(p)
	require.NoError(t, err)
	return a
}
