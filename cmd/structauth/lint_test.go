package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/structauth/structauth/jwtauth"
)

func newTestFlagSet() *flag.FlagSet { return flag.NewFlagSet("test", flag.ContinueOnError) }

// cliData is the directory of the CLI's test files.
const cliData = "../../testdata/cli/"

func TestLint(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		stdin    string
		wantCode int
		// wantStdout lines must all appear, in this order.
		wantStdout []string
		wantStderr string
	}{
		{name: "valid", args: []string{"config.yaml"}, wantCode: exitOK,
			wantStdout: []string{"config.yaml: ok: 1 authenticator (apiserver.config.k8s.io/v1), kubernetes rules"}},
		{name: "aks config under aks rules", args: []string{"aks.yaml", "--aks"}, wantCode: exitOK,
			wantStdout: []string{"aks.yaml: ok: 1 authenticator (apiserver.config.k8s.io/v1), aks rules"}},
		{name: "kube-valid config under aks rules", args: []string{"--aks", "aks-rejected.yaml"}, wantCode: exitFailed,
			wantStdout: []string{
				"aks-rejected.yaml:8: jwt[0].issuer.discoveryURL: Forbidden: not supported by AKS",
				"aks-rejected.yaml:13: jwt[0].claimMappings.username.claim: Forbidden: AKS supports only expression mappings",
				"aks-rejected.yaml: 3 problems (aks rules)"}},
		{name: "kube-valid config under kube rules", args: []string{"aks-rejected.yaml"}, wantCode: exitOK},
		{name: "az single authenticator", args: []string{"aks-authenticator.json", "--aks"}, wantCode: exitOK,
			wantStdout: []string{"aks-authenticator.json: ok: 1 authenticator (issuer https://idp.example.com/oauth2/default), aks rules"}},
		{name: "az single authenticator without --aks", args: []string{"aks-authenticator.json"}, wantCode: exitOK,
			wantStdout: []string{"ok", "add --aks to apply AKS's rules"}},
		{name: "az single authenticator invalid", args: []string{"aks-authenticator-invalid.json", "--aks"}, wantCode: exitFailed,
			wantStdout: []string{
				`aks-authenticator-invalid.json:3: issuer.url: Invalid value: "http://idp.example.com": URL scheme must be https`,
				"aks-authenticator-invalid.json:4: issuer.audiences: Required value",
				"aks-authenticator-invalid.json:7: claimMappings.username.expression: Invalid value: \"claims.sub +\": compilation failed",
				"3 problems (aks rules)"}},
		{name: "every problem with its line", args: []string{"invalid.yaml"}, wantCode: exitFailed,
			wantStdout: []string{
				`invalid.yaml:6: jwt[0].issuer.url: Invalid value: "http://idp.example.com": URL scheme must be https`,
				"invalid.yaml:7: jwt[0].issuer.audiences: Required value",
				"invalid.yaml:9: jwt[0].claimValidationRules[0].expression: Invalid value",
				"invalid.yaml:12: jwt[0].claimMappings.username.prefix: Required value: prefix is required when claim is set",
				"invalid.yaml:15: jwt[1].issuer.url: Invalid value",
				"invalid.yaml:22: jwt[1].claimMappings.groups.expression: Invalid value: \"claims.groups.map(g, g)\": compilation failed",
				`invalid.yaml:15: jwt[1].issuer.url: Duplicate value: "http://idp.example.com"`,
				"invalid.yaml: 7 problems (kubernetes rules)"}},
		{name: "invalid CEL", args: []string{"invalid-cel.yaml"}, wantCode: exitFailed,
			wantStdout: []string{"invalid-cel.yaml:10: jwt[0].claimMappings.username.expression: Invalid value: \"claims.sub +\": compilation failed: ERROR: <input>:1:13: Syntax error", "1 problem (kubernetes rules)"}},
		{name: "unknown field", args: []string{"unknown-field.yaml"}, wantCode: exitFailed,
			wantStdout: []string{`unknown-field.yaml:8: unknown field "jwt[0].issuer.colour"`, "1 problem"}},
		{name: "malformed YAML", args: []string{"malformed.yaml"}, wantCode: exitFailed,
			wantStdout: []string{"malformed.yaml:3: yaml: did not find expected key", "1 problem"}},
		{name: "empty file", args: []string{"empty.yaml"}, wantCode: exitFailed,
			wantStdout: []string{"empty.yaml: empty config data"}},
		{name: "stdin", args: []string{"-"}, stdin: "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthenticationConfiguration\njwt:\n- issuer:\n    url: https://a\n    url: https://b\n    audiences: [x]\n  claimMappings: {username: {expression: claims.sub, bar: 2}}\n",
			wantCode: exitFailed, wantStdout: []string{
				`standard input:6: duplicate field "jwt[0].issuer.url"`,
				`standard input:8: unknown field "jwt[0].claimMappings.username.bar"`,
				"standard input: 2 problems"}},
		{name: "empty stdin", args: []string{"-"}, wantCode: exitFailed, wantStdout: []string{"standard input: empty config data"}},
		{name: "wrong type", args: []string{"-"}, stdin: "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthenticationConfiguration\njwt:\n- issuer:\n    url: https://a\n    audiences: 5\n",
			wantCode: exitFailed, wantStdout: []string{"standard input:6: json: cannot unmarshal number into Go struct field"}},
		{name: "missing file", args: []string{"no-such-file.yaml"}, wantCode: exitUsage, wantStderr: "no-such-file.yaml: no such file or directory"},
		{name: "no argument", args: nil, wantCode: exitUsage, wantStderr: "expected one CONFIG argument, got 0"},
		{name: "two arguments", args: []string{"config.yaml", "aks.yaml"}, wantCode: exitUsage, wantStderr: "expected one CONFIG argument, got 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []string{"lint"}
			for _, a := range tt.args {
				if strings.HasSuffix(a, ".yaml") || strings.HasSuffix(a, ".json") {
					a = cliData + a
				}
				args = append(args, a)
			}
			code, stdout, stderr := runCLI(t, tt.stdin, args...)
			require.Equal(t, tt.wantCode, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
			rest := stdout
			for _, want := range tt.wantStdout {
				i := strings.Index(rest, want)
				require.GreaterOrEqual(t, i, 0, "missing (or out of order) %q in:\n%s", want, stdout)
				rest = rest[i+len(want):]
			}
			if tt.wantStderr != "" {
				require.Contains(t, stderr, tt.wantStderr)
			} else {
				require.Empty(t, stderr)
			}
		})
	}
}

// TestLintTestdataConfigs lints the library's own fixtures: the valid
// ones pass, each invalid one reports at least one problem with a line.
func TestLintTestdataConfigs(t *testing.T) {
	files, err := filepath.Glob("../../testdata/config/*")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			res := lintConfig(data, jwtauth.ProfileKubernetes)
			if strings.HasPrefix(filepath.Base(f), "invalid-") {
				require.NotEmpty(t, res.problems)
				for _, p := range res.problems {
					if filepath.Base(f) != "invalid-missing-kind.yaml" { // nothing to point at
						require.Positive(t, p.line, "no line for %q", p.format(f))
					}
				}
				return
			}
			if strings.HasPrefix(filepath.Base(f), "valid-") {
				require.Empty(t, res.problems)
			}
		})
	}
}

func TestLineOf(t *testing.T) {
	doc := yamlRoot([]byte("jwt:\n- issuer:\n    url: x\n  claimMappings:\n    username:\n      claim: sub\n    extra:\n    - key: a\n      valueExpression: b\n"))
	require.NotNil(t, doc)
	tests := []struct {
		path string
		want int
	}{
		{"jwt", 1},
		{"jwt[0]", 2},
		{"jwt[0].issuer.url", 3},
		{"jwt[0].issuer.audiences", 2}, // absent: its parent
		{"jwt[0].claimMappings.username.prefix", 5},
		{"jwt[0].claimMappings.extra[0].valueExpression", 9},
		{"jwt[3].issuer", 1},
		{"nothing", 0},
		{"", 0},
		{"jwt[x]]..[", 1},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, lineOf(doc, tt.path), tt.path)
	}
	require.Equal(t, 0, lineOf(nil, "jwt[0]"))
}

// FuzzLintConfig: any input is linted without a panic, and a document
// with problems always reports at least one.
func FuzzLintConfig(f *testing.F) {
	files, _ := filepath.Glob(cliData + "*.yaml")
	more, _ := filepath.Glob(cliData + "*.json")
	for _, name := range append(files, more...) {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("&a [*a]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		res := lintConfig(data, jwtauth.ProfileAKS)
		for _, p := range res.problems {
			_ = p.format("f")
		}
		if len(res.problems) == 0 {
			require.NotEmpty(t, res.summary)
		}
	})
}
