package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// runCLI runs the command line in-process and returns its exit status,
// standard output and standard error.
func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestRunDispatch(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout []string
		wantStderr []string
	}{
		{"no arguments", nil, exitUsage, nil, []string{"Usage:", "lint", "explain", "demo"}},
		{"help", []string{"help"}, exitOK, []string{"Commands:", "lint ", "explain ", "demo ", "Exit status"}, nil},
		{"--help", []string{"--help"}, exitOK, []string{"Commands:"}, nil},
		{"-h", []string{"-h"}, exitOK, []string{"Commands:"}, nil},
		{"help lint", []string{"help", "lint"}, exitOK, []string{"Usage: structauth lint CONFIG [--aks]"}, nil},
		{"help explain", []string{"help", "explain"}, exitOK, []string{"Usage: structauth explain CONFIG TOKEN|-", "--jwks FILE"}, nil},
		{"help demo", []string{"help", "demo"}, exitOK, []string{"Usage: structauth demo"}, nil},
		{"help unknown", []string{"help", "frobnicate"}, exitUsage, nil, []string{`unknown command "frobnicate"`}},
		{"unknown command", []string{"frobnicate"}, exitUsage, nil, []string{`unknown command "frobnicate"`, "Commands:"}},
		{"lint --help", []string{"lint", "--help"}, exitOK, []string{"Usage: structauth lint"}, nil},
		{"explain -h", []string{"explain", "-h"}, exitOK, []string{"Usage: structauth explain"}, nil},
		{"demo --help", []string{"demo", "--help"}, exitOK, []string{"Usage: structauth demo"}, nil},
		{"unknown flag", []string{"lint", "--colour", "x.yaml"}, exitUsage, nil, []string{"flag provided but not defined: -colour", "Usage: structauth lint"}},
		{"demo takes no arguments", []string{"demo", "extra"}, exitUsage, nil, []string{"takes no arguments"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, "", tt.args...)
			require.Equal(t, tt.wantCode, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
			for _, s := range tt.wantStdout {
				require.Contains(t, stdout, s)
			}
			for _, s := range tt.wantStderr {
				require.Contains(t, stderr, s)
			}
			if tt.wantCode == exitOK {
				require.Empty(t, stderr)
			}
		})
	}
}

func TestRegistry(t *testing.T) {
	for _, name := range []string{"lint", "explain", "demo"} {
		c, ok := commands[name]
		require.True(t, ok, name)
		require.Equal(t, name, c.name)
		require.NotEmpty(t, c.summary)
		require.True(t, strings.HasPrefix(c.usage, "Usage: structauth "+name), c.usage)
		require.NotNil(t, c.run)
	}
	require.Panics(t, func() { register(&command{name: "lint"}) }, "a second registration of a name is a programming error")
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		args    []string
		wantPos []string
		wantAKS bool
	}{
		{[]string{"a.yaml"}, []string{"a.yaml"}, false},
		{[]string{"a.yaml", "--aks"}, []string{"a.yaml"}, true},
		{[]string{"--aks", "a.yaml", "b"}, []string{"a.yaml", "b"}, true},
		{[]string{"a.yaml", "-", "--aks"}, []string{"a.yaml", "-"}, true},
		{[]string{"--", "--aks"}, []string{"--aks"}, false},
		{[]string{"a", "--", "-x"}, []string{"a", "-x"}, false},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			fs := newTestFlagSet()
			aks := fs.Bool("aks", false, "")
			pos, _, ok := parseFlags(fs, "usage", tt.args, &out, &errOut)
			require.True(t, ok, errOut.String())
			require.Equal(t, tt.wantPos, pos)
			require.Equal(t, tt.wantAKS, *aks)
		})
	}
}
