package discovery

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

func FuzzParseDocument(f *testing.F) {
	const issuer = "https://issuer.example"
	f.Add([]byte(`{"issuer":"https://issuer.example","jwks_uri":"https://issuer.example/keys"}`))
	f.Add([]byte(`{"issuer":"https://issuer.example/","jwks_uri":"https://issuer.example/keys"}`))
	f.Add([]byte(`{"issuer":"https://issuer.example","jwks_uri":"http://issuer.example/keys"}`))
	f.Add([]byte(`{"issuer":"https://issuer.example"}`))
	f.Add([]byte(`{"issuer":5}`))
	f.Add([]byte(`{"issuer":"https://issuer.example","jwks_uri":"https://u:p@issuer.example/keys"} x`))
	f.Add([]byte(`<html>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		doc, err := parseDocument(body, issuer)
		if err != nil {
			if doc != nil {
				t.Fatal("document and error")
			}
			if len(err.Error()) > 2*maxIssuerInError+200 {
				t.Fatalf("error text too long: %d bytes", len(err.Error()))
			}
			return
		}
		if doc.Issuer != issuer {
			t.Fatalf("issuer %q accepted", doc.Issuer)
		}
		if checkHTTPS(doc.JWKSURI) != nil {
			t.Fatalf("jwks_uri %q accepted", doc.JWKSURI)
		}
	})
}

func FuzzSanitize(f *testing.F) {
	f.Add([]byte("plain error"), 10)
	f.Add([]byte("a\x00b\x1b[31m\r\n\xff\xfe"), 100)
	f.Add([]byte(strings.Repeat("é", 300)), 100)
	f.Fuzz(func(t *testing.T, b []byte, max int) {
		if max < 0 || max > 1000 {
			return
		}
		s := sanitize(b, max)
		if !utf8.ValidString(s) {
			t.Fatalf("invalid UTF-8 %q", s)
		}
		if n := utf8.RuneCountInString(s); n > max+1 {
			t.Fatalf("%d runes, limit %d", n, max)
		}
		for _, r := range s {
			if !unicode.IsPrint(r) {
				t.Fatalf("unprintable %q in %q", r, s)
			}
		}
	})
}

func TestStatusErrorIs(t *testing.T) {
	err := error(&StatusError{URL: "https://x", StatusCode: 500, Status: "500 Internal Server Error"})
	if !errors.Is(err, ErrStatus) || errors.Is(err, ErrNoUsableKeys) {
		t.Fatal("StatusError must match ErrStatus only")
	}
	if got, want := err.Error(), `GET "https://x": 500 Internal Server Error`; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// FuzzCacheTTL: whatever the Cache-Control and Age headers say, the
// refresh period stays within [floor, ceiling].
func FuzzCacheTTL(f *testing.F) {
	for _, seed := range [][2]string{
		{"public, max-age=300", ""}, {"max-age=0", ""}, {"no-store", ""}, {"", ""},
		{`max-age="60"`, "30"}, {"max-age=99999999999999999999", "-1"}, {"max-age=-1, no-cache", "x"},
		{"MAX-AGE=5,,=,max-age", "9223372036854775807"},
	} {
		f.Add(seed[0], seed[1])
	}
	const floor, ceiling = time.Minute, time.Hour
	f.Fuzz(func(t *testing.T, cc, age string) {
		h := http.Header{}
		h.Set("Cache-Control", cc)
		h.Set("Age", age)
		if got := cacheTTL(h, floor, ceiling); got < floor || got > ceiling {
			t.Fatalf("cacheTTL(%q, Age %q) = %v, outside [%v, %v]", cc, age, got, floor, ceiling)
		}
	})
}
