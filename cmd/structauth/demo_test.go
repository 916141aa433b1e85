package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDemo checks the demo's structure: the configuration, each token's
// heading with the expected verdict, the explanation's result lines, and
// the summary. The issuer's port and key ids vary from run to run, so
// the test compares the outline rather than the bytes.
func TestDemo(t *testing.T) {
	code, stdout, stderr := runCLI(t, "", "demo")
	require.Equal(t, exitOK, code, "stderr:\n%s", stderr)
	require.Empty(t, stderr)

	require.Regexp(t, `^structauth demo: an in-process OIDC issuer at https://127\.0\.0\.1:\d+/demo \(loopback only\),\n`, stdout)
	require.Contains(t, stdout, "the clock fixed at 2026-01-01T12:00:00Z, and this configuration:\n\n    apiVersion: apiserver.config.k8s.io/v1\n")

	outline := regexp.MustCompile(`(?m)^(\d+\. .*|    result: .*|    (ok  |FAIL) \S+.*|\d+ tokens: .*)$`)
	var got []string
	for _, line := range outline.FindAllString(stdout, -1) {
		got = append(got, strings.TrimRight(line, " "))
	}
	okSteps := func(steps ...string) []string {
		out := make([]string, len(steps))
		for i, s := range steps {
			out[i] = "    ok   " + s
		}
		return out
	}
	head := okSteps("format", "issuer             jwt[0].issuer.url", "algorithm")
	verified := append(append([]string{}, head...), okSteps("signature", "claims", "audience           jwt[0].issuer.audiences")...)
	timeOK := append(append([]string{}, verified...), okSteps("expiry", "not-before",
		"username           jwt[0].claimMappings.username", "groups             jwt[0].claimMappings.groups", "uid                jwt[0].claimMappings.uid")...)
	var want []string
	add := func(lines ...string) { want = append(want, lines...) }
	add("1. A valid token: accepted")
	add(timeOK...)
	add(okSteps("claim-rule         jwt[0].claimValidationRules[0]", "user-rule          jwt[0].userValidationRules[0]")...)
	add("    result: accepted")
	add(`2. Wrong audience (aud "other-api"): rejected at audience`)
	add(verified[:len(verified)-1]...)
	add("    FAIL audience           jwt[0].issuer.audiences", "    result: rejected at audience (audience mismatch)")
	add("3. Expired five minutes ago: rejected at expiry")
	add(verified...)
	add("    FAIL expiry", "    result: rejected at expiry (token expired)")
	add("4. Email not verified (fails a claim validation rule): rejected at claim-rule")
	add(timeOK...)
	add("    FAIL claim-rule         jwt[0].claimValidationRules[0]", "    result: rejected at claim-rule (claim validation rule failed)")
	add("5. A system: identity (fails a user validation rule): rejected at user-rule")
	add(timeOK...)
	add("    ok   claim-rule         jwt[0].claimValidationRules[0]")
	add("    FAIL user-rule          jwt[0].userValidationRules[0]", "    result: rejected at user-rule (user validation rule failed)")
	add("6. Signed with a key the issuer does not publish: rejected at signature")
	add(head...)
	add("    FAIL signature", "    result: rejected at signature (unknown signing key)")
	add("6 tokens: 1 accepted, 5 rejected; 6 of 6 decisions as expected.")
	require.Equal(t, want, got)
	require.NotContains(t, stdout, "UNEXPECTED")
}
