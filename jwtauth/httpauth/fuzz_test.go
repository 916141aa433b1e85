package httpauth_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/structauth/structauth/jwtauth/httpauth"
)

func FuzzBearerToken(f *testing.F) {
	for _, s := range []string{"Bearer abc.def.ghi", "bearer  a==", "Basic x", "Bearer a b", "", "Bearer =", "BEARER x/y+z~", "Bearer a \t", "Bearer a\u00a0"} {
		f.Add(s, "")
	}
	f.Add("Bearer a", "Bearer b")
	f.Fuzz(func(t *testing.T, h1, h2 string) {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.Header["Authorization"] = []string{h1}
		if h2 != "" {
			r.Header["Authorization"] = append(r.Header["Authorization"], h2)
		}
		tok, err := httpauth.BearerToken(r)
		if err != nil {
			if !errors.Is(err, httpauth.ErrNoToken) && !errors.Is(err, httpauth.ErrMalformedHeader) {
				t.Fatalf("unexpected error class: %v", err)
			}
			if tok != "" {
				t.Fatal("token returned with an error")
			}
			return
		}
		if h2 != "" {
			t.Fatal("two headers accepted")
		}
		if tok == "" || strings.ContainsAny(tok, " \t\r\n,\"") || !strings.HasSuffix(strings.Trim(h1, " \t"), tok) {
			t.Fatalf("bad token %q from %q", tok, h1)
		}
	})
}
