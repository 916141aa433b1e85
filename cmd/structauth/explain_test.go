package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/structauth/structauth/jwtauth"
	"github.com/structauth/structauth/jwtauth/jwtauthtest"
)

// testKey is testdata/cli/signing-key.pem, whose public key is
// testdata/cli/jwks.json (kid cli-test-1).
func testKey(t *testing.T) crypto.Signer {
	t.Helper()
	b, err := os.ReadFile(cliData + "signing-key.pem")
	require.NoError(t, err)
	blk, _ := pem.Decode(b)
	require.NotNil(t, blk)
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	require.NoError(t, err)
	return k.(crypto.Signer)
}

func newIssuer(t *testing.T) *jwtauthtest.Issuer {
	t.Helper()
	iss, err := jwtauthtest.NewIssuer(jwtauthtest.IssuerOptions{})
	require.NoError(t, err)
	t.Cleanup(iss.Close)
	return iss
}

// mint signs claims for https://issuer.example.com (config.yaml) with
// signer, valid for an hour from now unless change says otherwise.
func mint(t *testing.T, iss *jwtauthtest.Issuer, signer crypto.Signer, change map[string]any) string {
	t.Helper()
	now := time.Now()
	c := map[string]any{
		"iss": "https://issuer.example.com", "aud": "my-api", "sub": "u-1", "email": "jane@example.com",
		"email_verified": true, "groups": []string{"dev"}, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	}
	for k, v := range change {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	tok, err := iss.SignWith(jwtauthtest.SignOptions{Alg: "ES256", KeyID: "cli-test-1", Signer: signer}, c)
	require.NoError(t, err)
	return tok
}

func TestExplainOffline(t *testing.T) {
	iss := newIssuer(t)
	key := testKey(t)
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	fixed, err := os.ReadFile(cliData + "token.jwt")
	require.NoError(t, err)
	wrongAud, err := os.ReadFile(cliData + "token-wrong-audience.jwt")
	require.NoError(t, err)
	cfg, jwks := cliData+"config.yaml", cliData+"jwks.json"
	const fixedNow = "2026-01-01T00:30:00Z"

	tests := []struct {
		name       string
		args       []string
		stdin      string
		wantCode   int
		wantStdout []string
		wantStderr string
		secret     string // must appear in neither output
	}{
		{name: "fixed token at a fixed time", args: []string{"explain", cfg, "-", "--jwks", jwks, "--now", fixedNow}, stdin: string(fixed),
			wantCode: exitOK, wantStdout: []string{"input: token (now 2026-01-01T00:30:00Z)", `kid: "cli-test-1"`, "1 of the issuer's 1 keys tried",
				"exp: 2026-01-01T01:00:00Z (expires in 30m0s)", `value: "oidc:jane@example.com"`, "result: accepted", `groups: ["oidc:dev" "oidc:ops"]`}},
		{name: "fixed token now expired", args: []string{"explain", "--jwks", jwks, cfg, "-"}, stdin: string(fixed),
			wantCode: exitFailed, wantStdout: []string{"FAIL expiry", "result: rejected at expiry (token expired)"}},
		{name: "token as argument", args: []string{"explain", cfg, strings.TrimSpace(string(wrongAud)), "--jwks", jwks, "--now", fixedNow},
			wantCode: exitFailed, wantStdout: []string{"FAIL audience", `token aud: ["other-api"]`, "result: rejected at audience (audience mismatch)"}},
		{name: "fresh token", args: []string{"explain", cfg, "-", "--jwks", jwks}, stdin: "Bearer " + mint(t, iss, key, nil) + "\n",
			wantCode: exitOK, wantStdout: []string{"result: accepted"}},
		{name: "claim rule fails", args: []string{"explain", cfg, "-", "--jwks", jwks}, stdin: mint(t, iss, key, map[string]any{"email_verified": false}),
			wantCode: exitFailed, wantStdout: []string{"FAIL claim-rule", "message: email must be verified", "result: false", "rejected at claim-rule"}},
		{name: "user rule fails", args: []string{"explain", cfg, "-", "--jwks", jwks}, stdin: mint(t, iss, key, map[string]any{"email": "system:x"}),
			wantCode: exitFailed, wantStdout: []string{"FAIL user-rule", "no system identities", "rejected at user-rule"}},
		{name: "key not in the JWKS", args: []string{"explain", cfg, "-", "--jwks", jwks}, stdin: mint(t, iss, other, nil),
			wantCode: exitFailed, wantStdout: []string{"FAIL signature", "rejected at signature (invalid signature)"}},
		{name: "unknown issuer", args: []string{"explain", cfg, "-", "--jwks", jwks}, stdin: mint(t, iss, key, map[string]any{"iss": "https://elsewhere.example"}),
			wantCode: exitFailed, wantStdout: []string{"FAIL issuer", `no authenticator for issuer "https://elsewhere.example"`}},
		{name: "binary garbage", args: []string{"explain", cfg, "-", "--jwks", jwks}, stdin: "\x00\xff\xfe.\x01.\x80",
			wantCode: exitFailed, wantStdout: []string{"FAIL format"}},
		{name: "malformed token", args: []string{"explain", cfg, "not.a.token", "--jwks", jwks},
			wantCode: exitFailed, wantStdout: []string{"FAIL format", "rejected at format (malformed token)"}},
		{name: "json", args: []string{"explain", cfg, "-", "--jwks", jwks, "--output", "json", "--now", fixedNow}, stdin: string(fixed),
			wantCode: exitOK, wantStdout: []string{`"accepted": true`, `"username": "oidc:jane@example.com"`, `"check": "signature"`, `"kid": "cli-test-1"`}},
		{name: "claims", args: []string{"explain", cfg, "--claims", cliData + "claims.json"},
			wantCode: exitOK, wantStdout: []string{"input: claims", "result: accepted"}},
		{name: "claims rejected", args: []string{"explain", "--claims", cliData + "claims-unverified.json", cfg, "--output", "json"},
			wantCode: exitFailed, wantStdout: []string{`"accepted": false`, `"check": "claim-rule"`, `"message": "email must be verified"`}},
		{name: "claims from stdin", args: []string{"explain", cfg, "--claims", "-"}, stdin: `{"iss":"https://issuer.example.com","aud":"x","sub":"s"}`,
			wantCode: exitFailed, wantStdout: []string{"FAIL audience"}},
		{name: "az single authenticator", args: []string{"explain", cliData + "aks-authenticator.json", "--aks", "--claims", "-"},
			stdin:    `{"iss":"https://idp.example.com/oauth2/default","aud":"https://example.com/audience1","sub":"jane","groups":["dev"]}`,
			wantCode: exitOK, wantStdout: []string{`value: "aks:jwt:jane"`, "ok   aks-prefix", "result: accepted"}},

		{name: "empty stdin", args: []string{"explain", cfg, "-", "--jwks", jwks}, wantCode: exitUsage, wantStderr: "no token on standard input"},
		{name: "blank stdin", args: []string{"explain", cfg, "-", "--jwks", jwks}, stdin: " \n\t", wantCode: exitUsage, wantStderr: "no token on standard input"},
		{name: "empty claims", args: []string{"explain", cfg, "--claims", cliData + "empty.yaml"}, wantCode: exitUsage, wantStderr: "is empty"},
		{name: "claims not an object", args: []string{"explain", cfg, "--claims", "-"}, stdin: "[1]", wantCode: exitUsage, wantStderr: "not a JSON object"},
		{name: "claims null", args: []string{"explain", cfg, "--claims", "-"}, stdin: "null", wantCode: exitUsage, wantStderr: "not a JSON object"},
		{name: "claims trailing data", args: []string{"explain", cfg, "--claims", "-"}, stdin: "{} {}", wantCode: exitUsage, wantStderr: "data after the JSON object"},
		{name: "invalid config", args: []string{"explain", cliData + "invalid-cel.yaml", "x.y.z"}, wantCode: exitUsage,
			wantStderr: "invalid configuration (run structauth lint for details):\n  ../../testdata/cli/invalid-cel.yaml:10: jwt[0].claimMappings.username.expression"},
		{name: "empty config", args: []string{"explain", cliData + "empty.yaml", "x.y.z"}, wantCode: exitUsage, wantStderr: "empty config data"},
		{name: "missing config", args: []string{"explain", "nope.yaml", "x.y.z"}, wantCode: exitUsage, wantStderr: "nope.yaml"},
		{name: "jwks not a key set", args: []string{"explain", cfg, "x.y.z", "--jwks", cfg}, wantCode: exitUsage, wantStderr: "not a JSON Web Key Set"},
		{name: "jwks without keys", args: []string{"explain", cfg, "x.y.z", "--jwks", cliData + "claims.json"}, wantCode: exitUsage, wantStderr: `no "keys"`},
		{name: "bad --now", args: []string{"explain", cfg, "x.y.z", "--now", "yesterday"}, wantCode: exitUsage, wantStderr: "--now"},
		{name: "bad --output", args: []string{"explain", cfg, "x.y.z", "--output", "yaml"}, wantCode: exitUsage, wantStderr: "--output must be text or json"},
		{name: "bad --timeout", args: []string{"explain", cfg, "x.y.z", "--timeout", "0s"}, wantCode: exitUsage, wantStderr: "--timeout must be positive"},
		{name: "missing token", args: []string{"explain", cfg}, wantCode: exitUsage, wantStderr: "expected CONFIG and TOKEN"},
		{name: "token and claims", args: []string{"explain", cfg, "x.y.z", "--claims", cliData + "claims.json"}, wantCode: exitUsage, wantStderr: "expected CONFIG only with --claims"},
		{name: "two stdins", args: []string{"explain", "-", "-"}, wantCode: exitUsage, wantStderr: "standard input"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, tt.stdin, tt.args...)
			require.Equal(t, tt.wantCode, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
			rest := stdout
			for _, want := range tt.wantStdout {
				i := strings.Index(rest, want)
				require.GreaterOrEqual(t, i, 0, "missing (or out of order) %q in:\n%s", want, stdout)
				rest = rest[i+len(want):]
			}
			if tt.wantStderr != "" {
				require.Contains(t, stderr, tt.wantStderr)
				require.Empty(t, stdout)
			} else {
				require.Empty(t, stderr)
			}
			if strings.Count(strings.TrimSpace(tt.stdin), ".") == 2 {
				sig := tt.stdin[strings.LastIndex(tt.stdin, ".")+1:]
				sig = strings.TrimSpace(sig)
				require.NotContains(t, stdout, sig, "the signature must never be printed")
				require.NotContains(t, stderr, sig)
			}
			if strings.Contains(tt.name, "json") || strings.Contains(strings.Join(tt.args, " "), "--output json") {
				var v map[string]any
				require.NoError(t, json.Unmarshal([]byte(stdout), &v), "json output must be one JSON document")
			}
		})
	}
}

// TestExplainOnline fetches discovery and keys from a real TLS issuer,
// trusting it through the configuration's certificateAuthority.
func TestExplainOnline(t *testing.T) {
	iss := newIssuer(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	ca := strings.ReplaceAll(strings.TrimSpace(iss.CertificateAuthority()), "\n", "\n      ")
	require.NoError(t, os.WriteFile(cfg, fmt.Appendf(nil, `apiVersion: apiserver.config.k8s.io/v1
kind: AuthenticationConfiguration
jwt:
- issuer:
    url: %s
    audiences: [my-api]
    certificateAuthority: |
      %s
  claimMappings:
    username:
      claim: sub
      prefix: "idp:"
`, iss.URL, ca), 0o600))
	good, err := iss.Sign("RS256", iss.Claims("my-api", "jane", time.Now()))
	require.NoError(t, err)
	code, stdout, stderr := runCLI(t, good, "explain", cfg, "-")
	require.Equal(t, exitOK, code, "stdout:\n%s\nstderr:\n%s", stdout, stderr)
	require.Contains(t, stdout, `username: "idp:jane"`)
	require.Positive(t, iss.JWKSRequests())

	unknownKid, err := iss.SignWith(jwtauthtest.SignOptions{KeyID: "rotated-away"}, iss.Claims("my-api", "jane", time.Now()))
	require.NoError(t, err)
	code, stdout, _ = runCLI(t, unknownKid, "explain", cfg, "-", "--output", "json")
	require.Equal(t, exitFailed, code)
	require.Contains(t, stdout, `"reason": "unknown signing key"`)

	// With --jwks the issuer is never contacted.
	before := iss.DiscoveryRequests() + iss.JWKSRequests()
	code, stdout, _ = runCLI(t, good, "explain", cfg, "-", "--jwks", cliData+"jwks.json")
	require.Equal(t, exitFailed, code)
	require.Contains(t, stdout, "FAIL signature")
	require.Equal(t, before, iss.DiscoveryRequests()+iss.JWKSRequests())
}

// TestExplainOfflineRefusesNetwork: an offline run for a configuration
// whose issuer is reachable still makes no request.
func TestExplainOfflineRefusesNetwork(t *testing.T) {
	tr := newOfflineTransport(mustParse(t, cliData+"config.yaml"), nil)
	req := mustRequest(t, "https://issuer.example.com/.well-known/openid-configuration")
	_, err := tr.RoundTrip(req)
	require.ErrorContains(t, err, "offline: no keys")

	tr = newOfflineTransport(mustParse(t, cliData+"config.yaml"), []byte(`{"keys":[]}`))
	_, err = tr.RoundTrip(mustRequest(t, "https://example.org/other"))
	require.ErrorContains(t, err, "offline: refusing request to example.org")
	resp, err := tr.RoundTrip(mustRequest(t, "https://issuer.example.com/.well-known/openid-configuration"))
	require.NoError(t, err)
	var doc map[string]string
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&doc))
	require.Equal(t, map[string]string{"issuer": "https://issuer.example.com", "jwks_uri": offlineJWKSURL}, doc)
}

func mustParse(t *testing.T, name string) *jwtauthConfig {
	t.Helper()
	cfg, err := loadConfig(name, strings.NewReader(""), 0)
	require.NoError(t, err)
	return cfg
}

type jwtauthConfig = jwtauth.AuthenticationConfiguration

func mustRequest(t *testing.T, url string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	return req
}
