package policytest_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/structauth/structauth/jwtauth/jwtauthtest"
	"github.com/structauth/structauth/jwtauth/policytest"
)

const policies = "../../testdata/policies"

// TestExamplePolicies runs every example policy file; they must all pass.
func TestExamplePolicies(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(policies, "*.yaml"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 6)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			policytest.Run(t, f)
		})
	}
}

// TestFailingPolicies proves that wrong expectations are detected, with
// the differences a user needs to fix them.
func TestFailingPolicies(t *testing.T) {
	res, err := policytest.RunFile(filepath.Join(policies, "failing", "wrong-expectations.yaml"))
	require.NoError(t, err)
	want := []struct {
		name string
		line int
		diff []string // substrings, one per diff line
	}{
		{"passes (control)", 30, nil},
		{"wrong username", 35, []string{`username: want "jane", got "idp:jane"`}},
		{"wrong groups and extra", 39, []string{
			`groups: want ["idp:dev"], got ["idp:dev", "idp:ops"]`,
			`extra["example.com/tenant"]: want ["other"], got ["acme"]`,
		}},
		{"expects a rejection but is accepted", 45, []string{`want rejection (check claim-rule), got user username "idp:jane"`}},
		{"expects a user but is rejected", 49, []string{`want user, got rejection (check "claim-rule")`}},
		{"rejected by another check", 53, []string{`check: want "claim-rule", got "audience"`, `error: jwtauth: expected audience`}},
		{"rejected with another message", 57, []string{`message: want text containing "tenant must be evil"`, "error: "}},
		{"signed and expired where a user is expected", 61, []string{`want user, got rejection (check "expiry")`}},
	}
	require.Len(t, res.Cases, len(want))
	require.Equal(t, 1, res.Passed())
	require.Equal(t, 7, res.Failed())
	for i, w := range want {
		c := res.Cases[i]
		require.Equal(t, w.name, c.Name)
		require.Equal(t, w.line, c.Line, c.Name)
		require.Len(t, c.Diff, len(w.diff), "%s: %q", c.Name, c.Diff)
		for j, d := range w.diff {
			require.Contains(t, c.Diff[j], d, c.Name)
		}
	}
}

// TestRunFailsTheTest runs policytest.Run on the failing file in a child
// process and checks that go test reports the failing subtests.
func TestRunFailsTheTest(t *testing.T) {
	if os.Getenv("POLICYTEST_CHILD") == "1" {
		policytest.Run(t, filepath.Join(policies, "failing", "wrong-expectations.yaml"))
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestRunFailsTheTest$", "-test.v")
	cmd.Env = append(os.Environ(), "POLICYTEST_CHILD=1")
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "the child test must fail:\n%s", out)
	s := string(out)
	require.Contains(t, s, "--- PASS: TestRunFailsTheTest/passes_(control)")
	require.Contains(t, s, "--- FAIL: TestRunFailsTheTest/wrong_username")
	require.Contains(t, s, `wrong-expectations.yaml:35: case "wrong username":`)
	require.Contains(t, s, `username: want "jane", got "idp:jane"`)
	require.Equal(t, 7, strings.Count(s, "    --- FAIL: TestRunFailsTheTest/"), s)
}

// TestInvalidFiles checks that malformed files are errors naming the
// file and, where there is one, the line.
func TestInvalidFiles(t *testing.T) {
	tests := []struct {
		file string
		want string
	}{
		{"unknown-field.yaml", "unknown-field.yaml: line 5: field usr not found in a case"},
		{"bad-config.yaml", `bad-config.yaml: config: jwtauth: strict decoding error: unknown field "jwt[0].claimMapping" (line 9)`},
		{"invalid-config.yaml", `invalid configuration: jwt[0].issuer.url: Invalid value: "http://idp.example.com": URL scheme must be https`},
		{"no-config.yaml", "config or configFile is required"},
		{"duplicate-case.yaml", `line 6: case "same": duplicate name (first at line 3)`},
		{"both-expectations.yaml", `line 3: case "both": exactly one of user and reject is required`},
		{"unknown-check.yaml", `reject.check: unknown check "signatures"`},
		{"missing-config-file.yaml", "configFile: open "},
		{"not-yaml.yaml", "not-yaml.yaml: yaml: line 1:"},
		{"empty.yaml", "empty.yaml: empty test file"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			res, err := policytest.RunFile(filepath.Join(policies, "invalid", tc.file))
			require.Nil(t, res)
			require.ErrorContains(t, err, tc.want)
		})
	}
	_, err := policytest.RunFile(filepath.Join(policies, "invalid", "does-not-exist.yaml"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

// TestFormat covers format rules on files written by the test.
func TestFormat(t *testing.T) {
	iss, err := jwtauthtest.NewIssuer(jwtauthtest.IssuerOptions{})
	require.NoError(t, err)
	defer iss.Close()
	ca := iss.CertificateAuthority()

	config := func(extra string) string {
		return `
config:
  apiVersion: apiserver.config.k8s.io/v1
  kind: AuthenticationConfiguration
  jwt:
  - issuer:
      url: https://idp.example.com/realms/k8s/
      audiences: [kubernetes]` + extra + `
    claimMappings:
      username: {claim: sub, prefix: "idp:"}
now: 2026-03-01T12:00:00Z
defaults: {iss: "https://idp.example.com/realms/k8s/", aud: kubernetes, sub: jane}
`
	}
	caBlock := "\n      certificateAuthority: |\n        " + strings.ReplaceAll(strings.TrimSpace(ca), "\n", "\n        ")
	tests := []struct {
		name       string
		body       string
		wantPassed int
		wantFailed int
		wantErr    string
	}{
		{
			// certificateAuthority is validated, then replaced by the fakes.
			name: "signed case with a certificateAuthority",
			body: config(caBlock) + `cases:
- {name: signed, sign: true, claims: {}, user: {username: "idp:jane"}}
- {name: unsigned, claims: {}, user: {username: "idp:jane", uid: "", groups: [], extra: {}}}
`,
			wantPassed: 2,
		},
		{
			name:    "invalid certificateAuthority",
			body:    config("\n      certificateAuthority: not a pem") + "cases:\n- {name: x, claims: {}, user: {}}\n",
			wantErr: "certificateAuthority",
		},
		{
			name: "signed token for an unconfigured issuer",
			body: config("") + `cases:
- {name: x, sign: true, claims: {iss: "https://evil.example.com"}, reject: {check: issuer}}
`,
			wantPassed: 1,
		},
		{
			name: "default times of signed tokens, exp null, nbf in the future",
			body: config("") + `cases:
- {name: default exp, sign: true, claims: {}, user: {username: "idp:jane"}}
- {name: no exp, sign: true, claims: {exp: null}, reject: {check: expiry}}
- {name: nbf, sign: true, claims: {nbf: 2026-03-01T12:05:00Z}, reject: {check: not-before}}
- {name: PS384, sign: true, alg: PS384, claims: {}, user: {}}
`,
			wantPassed: 4,
		},
		{
			name: "unsupported algorithm",
			body: config("") + `cases:
- {name: x, sign: true, alg: HS256, claims: {}, user: {}}
`,
			wantFailed: 1,
		},
		{
			name: "single authenticator inline",
			body: `config:
  issuer: {url: "https://idp.example.com", audiences: [k8s]}
  claimMappings: {username: {expression: "'aks:jwt:' + claims.sub"}}
profile: aks
cases:
- {name: x, claims: {iss: "https://idp.example.com", aud: k8s, sub: a}, user: {username: "aks:jwt:a"}}
`,
			wantPassed: 1,
		},
		{
			name:    "flow-style inline config keeps line numbers",
			body:    "cases: [{name: x, claims: {}, user: {}}]\nconfig: {apiVersion: apiserver.config.k8s.io/v1, kind: AuthenticationConfiguration,\n  jwt: [{issuer: {url: 'https://a.example', audiences: [x]}, bogus: 1}]}\n",
			wantErr: "(line 3)",
		},
		{name: "profile", body: config("") + "profile: openshift\ncases: [{name: x, claims: {}, user: {}}]\n", wantErr: `line 13: profile: "openshift" is not kubernetes or aks`},
		{name: "now", body: config("") + "cases: [{name: x, claims: {}, user: {}}]\n", wantPassed: 1},
		{name: "bad now", body: strings.Replace(config(""), "now: 2026-03-01T12:00:00Z", "now: yesterday", 1) + "cases: [{name: x, claims: {}, user: {}}]\n", wantErr: `now: not an RFC 3339 time: "yesterday"`},
		{name: "both configs", body: config("") + "configFile: x.yaml\ncases: [{name: x, claims: {}, user: {}}]\n", wantErr: "config and configFile are mutually exclusive"},
		{name: "no cases", body: config(""), wantErr: "no cases"},
		{name: "alg without sign", body: config("") + "cases: [{name: x, alg: ES256, claims: {}, user: {}}]\n", wantErr: "alg needs sign: true"},
		{name: "no name", body: config("") + "cases: [{claims: {}, user: {}}]\n", wantErr: "name is required"},
		{name: "duplicate key", body: config("") + "cases: [{name: x, name: y, claims: {}, user: {}}]\n", wantErr: `mapping key "name" already defined`},
		{name: "wrong type", body: config("") + "cases: [{name: x, claims: {}, user: {groups: admin}}]\n", wantErr: "line 13: cannot unmarshal !!str `admin` into []string"},
		{name: "non-string claim key", body: config("") + "cases: [{name: x, claims: {a: {1: b}}, user: {}}]\n", wantErr: "map key 1 is not a string"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "policy.yaml")
			require.NoError(t, os.WriteFile(path, []byte(tc.body), 0o600))
			res, err := policytest.RunFile(path)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			for _, c := range res.Cases {
				if !c.Passed() && tc.wantFailed == 0 {
					t.Errorf("case %q: %q", c.Name, c.Diff)
				}
			}
			require.Equal(t, tc.wantPassed, res.Passed())
			require.Equal(t, tc.wantFailed, res.Failed())
		})
	}
}

// TestCapturedTokens reruns testdata/policies/captured-token.yaml with
// other clocks and key sets: the tokens are really verified.
func TestCapturedTokens(t *testing.T) {
	orig, err := os.ReadFile(filepath.Join(policies, "captured-token.yaml"))
	require.NoError(t, err)
	jwks, err := filepath.Abs(filepath.Join(policies, "captured", "github-actions.jwks.json"))
	require.NoError(t, err)
	otherKeys := filepath.Join(t.TempDir(), "other.json")
	require.NoError(t, os.WriteFile(otherKeys, []byte(`{"keys":[]}`), 0o600))

	tests := []struct {
		name    string
		edit    func(string) string
		want    []bool // passed, per case
		wantErr string
	}{
		{name: "as is", edit: func(s string) string { return s }, want: []bool{true, true, true, true}},
		{
			// After expiry the accepted token fails; the rejected ones are
			// rejected by the expiry check instead of theirs.
			name: "expired", edit: func(s string) string {
				return strings.Replace(s, "now: 2026-03-01T12:01:00Z", "now: 2026-03-01T13:00:00Z", 1)
			},
			want: []bool{false, false, true, true},
		},
		{
			name: "key set without the keys", edit: func(s string) string { return strings.Replace(s, jwks, otherKeys, 1) },
			want: []bool{false, false, false, true},
		},
		{
			name: "no key set: the stand-in's own keys", edit: func(s string) string {
				return strings.Replace(s, "jwks:\n  https://token.actions.githubusercontent.com: "+jwks+"\n", "", 1)
			},
			want: []bool{false, false, true, true},
		},
		{
			name: "jwks for an unknown issuer", edit: func(s string) string {
				return strings.Replace(s, "  https://token.actions.githubusercontent.com: "+jwks, "  https://other.example.com: "+jwks, 1)
			},
			wantErr: `jwks: "https://other.example.com" is not a configured issuer URL`,
		},
		{
			name: "missing jwks file", edit: func(s string) string { return strings.Replace(s, jwks, "/nonexistent/keys.json", 1) },
			wantErr: "jwks: open /nonexistent/keys.json",
		},
		{
			name: "token and claims", edit: func(s string) string { return strings.Replace(s, "  token: ", "  claims: {}\n  token: ", 1) },
			wantErr: "token excludes claims and sign",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := tc.edit(strings.Replace(string(orig), "captured/github-actions.jwks.json", jwks, 1))
			path := filepath.Join(t.TempDir(), "captured.yaml")
			require.NoError(t, os.WriteFile(path, []byte(body), 0o600))
			res, err := policytest.RunFile(path)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Len(t, res.Cases, len(tc.want))
			for i, c := range res.Cases {
				require.Equal(t, tc.want[i], c.Passed(), "%s: %q", c.Name, c.Diff)
				require.True(t, c.Signed)
				// Diffs and errors never carry the token.
				for _, d := range c.Diff {
					require.NotContains(t, d, "eyJ")
				}
			}
		})
	}
}
