package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// The demo runs offline and shows each quirk's outcome.
func TestRun(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"X-Forwarded-Email: jane@contoso.com (from upn)",
		"X-Forwarded-Email-Verified: verified",
		"X-Forwarded-User: bob_outlook.com#EXT#@contoso.onmicrosoft.com",
		"X-Forwarded-Email: bob@outlook.com\n",
		"(incomplete: groups overage",
		"not a token for this API",
		"tenant not allowed",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
