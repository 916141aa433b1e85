package jwtauth

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/structauth/structauth/claims"
)

func TestScanIssuer(t *testing.T) {
	cases := []struct {
		name    string
		payload string
		iss     string // "" means: not certain, take the full path
	}{
		{"plain", `{"iss":"https://a.example","sub":"x"}`, "https://a.example"},
		{"spaces", " \n{ \"sub\" : [1, {\"a\": null}], \"iss\" :\t\"https://b\" } \r\n", "https://b"},
		{"nested values skipped", `{"x":{"iss":"inner"},"y":[true,false,null,-1.5e+3,"s\"q"],"iss":"outer"}`, "outer"},
		{"no iss", `{"sub":"x"}`, ""},
		{"empty object", `{}`, ""},
		{"iss twice", `{"iss":"a","iss":"b"}`, ""},
		{"iss not a string", `{"iss":42}`, ""},
		{"escaped iss value", `{"iss":"https:\/\/a"}`, ""},
		{"escaped member name", `{"\u0069ss":"a"}`, ""},
		{"non-ASCII iss", `{"iss":"https://ä"}`, ""},
		{"case variant", `{"ISS":"x","iss":"a"}`, ""},
		{"trailing bytes", `{"iss":"a"}x`, ""},
		{"two objects", `{"iss":"a"}{}`, ""},
		{"array payload", `["iss","a"]`, ""},
		{"truncated", `{"iss":"a"`, ""},
		{"bad number", `{"n":01,"iss":"a"}`, ""},
		{"bad literal", `{"n":tru,"iss":"a"}`, ""},
		{"control char", "{\"s\":\"a\x01\",\"iss\":\"a\"}", ""},
		{"bad escape", `{"s":"\x","iss":"a"}`, ""},
		{"too deep", `{"d":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `,"iss":"a"}`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := scanIssuer([]byte(tc.payload), nil)
			if tc.iss == "" {
				require.False(t, ok, "scan claimed certainty: %q", got)
				return
			}
			require.True(t, ok)
			require.Equal(t, tc.iss, string(got))
		})
	}
}

func TestPayloadSegment(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"a.b.c", "b", true},
		{"a..c", "", true},
		{"a.b", "", false},
		{"a.b.c.d", "", false},
		{"", "", false},
	} {
		got, ok := payloadSegment(tc.in)
		require.Equal(t, tc.ok, ok, tc.in)
		require.Equal(t, tc.want, got, tc.in)
	}
}

// FuzzFastUnknownIssuer checks the property the fast path rests on:
// whenever scanIssuer is certain, the full claim parser, given the same
// bytes, either rejects the payload or reads the very same "iss".
func FuzzFastUnknownIssuer(f *testing.F) {
	for _, s := range []string{
		`{"iss":"https://a.example","sub":"x","aud":["a","b"],"exp":1}`,
		`{"x":{"iss":"inner"},"iss":"outer"}`,
		`{"iss":"a","iss":"b"}`,
		`{"\u0069ss":"a","iss":"b"}`,
		`{"Iss":"a","iss":"b"}`,
		`{"iss":"a\u0000"}`,
		`{"iss":"a"} `,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		iss, ok := scanIssuer(payload, nil)
		if !ok {
			return
		}
		cs, err := claims.Parse(payload)
		if err != nil {
			return // the full path rejects it too (malformed)
		}
		if rejectCaseVariants(cs) != nil {
			return
		}
		got, err := cs.String("iss")
		if err != nil {
			t.Fatalf("scan found iss %q, full parser: %v", iss, err)
		}
		if got != string(iss) {
			t.Fatalf("scan found iss %q, full parser %q", iss, got)
		}
		// And the token-level wrapper agrees for a token around it.
		tok := "e30." + base64.RawURLEncoding.EncodeToString(payload) + ".c2ln"
		p, ok := payloadSegment(tok)
		if !ok || p != base64.RawURLEncoding.EncodeToString(payload) {
			t.Fatal("payloadSegment lost the payload")
		}
	})
}

func TestScanIssuerStopsAtKnownIssuer(t *testing.T) {
	known := map[string]*issuerAuthenticator{"https://ours": nil}
	// A configured issuer ends the scan at once: even a broken tail is
	// left to the full path, which decides everything again.
	_, ok := scanIssuer([]byte(`{"iss":"https://ours","sub":`), known)
	require.False(t, ok)
	_, ok = scanIssuer([]byte(`{"iss":"https://ours","iss":"https://other"}`), known)
	require.False(t, ok)
	// Another issuer is still checked to the end.
	iss, ok := scanIssuer([]byte(`{"iss":"https://other","sub":"x"}`), known)
	require.True(t, ok)
	require.Equal(t, "https://other", string(iss))
	_, ok = scanIssuer([]byte(`{"iss":"https://other","sub":`), known)
	require.False(t, ok)
}
