package discovery_test

import (
	"crypto/x509"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode"

	"github.com/stretchr/testify/require"

	"github.com/structauth/structauth/discovery"
)

func TestNewConfigErrors(t *testing.T) {
	ti := newTestIssuer(t, "")
	cases := []struct {
		name string
		cfg  discovery.Config
		want string
	}{
		{"no issuer", discovery.Config{}, "Config.IssuerURL is required"},
		{"http issuer", discovery.Config{IssuerURL: "http://issuer.example"}, "Config.IssuerURL: URL must use https"},
		{"issuer without host", discovery.Config{IssuerURL: "https:///x"}, "Config.IssuerURL"},
		{"http discovery URL", discovery.Config{IssuerURL: ti.URL, DiscoveryURL: "http://x.example/.well-known/openid-configuration"}, "Config.DiscoveryURL"},
		{"client and CA", discovery.Config{IssuerURL: ti.URL, HTTPClient: ti.Client(), CertificateAuthority: ti.CA}, "mutually exclusive"},
		{"CA not PEM", discovery.Config{IssuerURL: ti.URL, CertificateAuthority: "not a certificate"}, "holds no PEM certificate"},
		{"CA PEM without certificate", discovery.Config{IssuerURL: ti.URL, CertificateAuthority: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"}, "holds no PEM certificate"},
		{"negative timeout", discovery.Config{IssuerURL: ti.URL, Timeout: -1}, "Config.Timeout"},
		{"negative body limit", discovery.Config{IssuerURL: ti.URL, MaxBodyBytes: -1}, "Config.MaxBodyBytes"},
		{"negative refresh interval", discovery.Config{IssuerURL: ti.URL, MinRefreshInterval: -1}, "Config.MinRefreshInterval"},
		{"negative min cache TTL", discovery.Config{IssuerURL: ti.URL, MinCacheTTL: -1}, "Config.MinCacheTTL must not be negative"},
		{"negative max cache TTL", discovery.Config{IssuerURL: ti.URL, MaxCacheTTL: -1}, "Config.MaxCacheTTL must not be negative"},
		{"negative staleness", discovery.Config{IssuerURL: ti.URL, MaxStaleness: -1}, "Config.MaxStaleness must not be negative"},
		{"negative unknown-kid TTL", discovery.Config{IssuerURL: ti.URL, UnknownKIDTTL: -1}, "Config.UnknownKIDTTL must not be negative"},
		{"min cache TTL above the default max", discovery.Config{IssuerURL: ti.URL, MinCacheTTL: 2 * time.Hour}, "Config.MinCacheTTL (2h0m0s) must not exceed Config.MaxCacheTTL (1h0m0s)"},
		{"staleness not above max cache TTL", discovery.Config{IssuerURL: ti.URL, MaxCacheTTL: 2 * time.Hour, MaxStaleness: 2 * time.Hour}, "Config.MaxStaleness (2h0m0s) must exceed Config.MaxCacheTTL (2h0m0s)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := discovery.New(tc.cfg)
			require.Error(t, err)
			require.Nil(t, p)
			require.Contains(t, err.Error(), tc.want)
			require.True(t, strings.HasPrefix(err.Error(), "discovery: "), "got %q", err)
		})
	}

	t.Run("all problems reported", func(t *testing.T) {
		_, err := discovery.New(discovery.Config{IssuerURL: "http://x", Timeout: -1, MaxBodyBytes: -1, CertificateAuthority: "junk"})
		require.ErrorContains(t, err, "Config.CertificateAuthority")
		require.ErrorContains(t, err, "Config.IssuerURL")
		require.ErrorContains(t, err, "Config.Timeout")
		require.ErrorContains(t, err, "Config.MaxBodyBytes")
	})
}

func TestDiscover(t *testing.T) {
	ti := newTestIssuer(t, "/tenant")
	p := ti.provider(t, ti.config())
	ctx := t.Context()

	_, ok := p.Document()
	require.False(t, ok)
	require.Zero(t, ti.DiscoveryHits.Load(), "New does no I/O")

	doc, err := p.Discover(ctx)
	require.NoError(t, err)
	require.Equal(t, ti.IssuerURL(), doc.Issuer)
	require.Equal(t, ti.JWKSURL(), doc.JWKSURI)
	require.Equal(t, []string{"RS256", "ES256"}, doc.IDTokenSigningAlgValuesSupported)
	require.Contains(t, string(doc.Raw), "authorization_endpoint")
	require.NoError(t, p.LastError())

	got, ok := p.Document()
	require.True(t, ok)
	require.Same(t, doc, got)

	again, err := p.Discover(ctx)
	require.NoError(t, err)
	require.Same(t, doc, again)
	require.EqualValues(t, 1, ti.DiscoveryHits.Load(), "the document is fetched once")
	require.Zero(t, ti.JWKSHits.Load(), "keys are fetched lazily")
}

// Each case breaks discovery; the provider must stay undiscovered, report
// the error through LastError, never fetch keys, and recover once the
// issuer is fixed.
func TestDiscoverErrors(t *testing.T) {
	const limit = 1024
	padded := func(ti *testIssuer, size int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			doc := fmt.Sprintf(`{"issuer":%q,"jwks_uri":%q}`, ti.IssuerURL(), ti.JWKSURL())
			w.Header().Set("Content-Length", fmt.Sprint(size))
			_, _ = w.Write([]byte(doc + strings.Repeat(" ", size-len(doc))))
		}
	}
	cases := []struct {
		name    string
		setup   func(t *testing.T, ti *testIssuer, cfg *discovery.Config)
		wantErr error
		wantMsg string // exact error text, if set
		// wantUnknownCA expects an x509.UnknownAuthorityError instead.
		wantUnknownCA bool
	}{
		{
			name: "306 issuer mismatch",
			setup: func(t *testing.T, ti *testIssuer, cfg *discovery.Config) {
				ti.set(func(ti *testIssuer) { ti.docIssuer = "https://something-else" })
			},
			wantErr: discovery.ErrIssuerMismatch,
			wantMsg: `discovery: issuer did not match the issuer returned by provider, expected "<url>" got "https://something-else"`,
		},
		{
			name: "trailing slash in config only",
			setup: func(t *testing.T, ti *testIssuer, cfg *discovery.Config) {
				cfg.IssuerURL += "/"
			},
			wantErr: discovery.ErrIssuerMismatch,
		},
		{
			name: "trailing slash in document only",
			setup: func(t *testing.T, ti *testIssuer, cfg *discovery.Config) {
				ti.set(func(ti *testIssuer) { ti.docIssuer = ti.IssuerURL() + "/" })
			},
			wantErr: discovery.ErrIssuerMismatch,
		},
		{
			name: "308 missing jwks_uri",
			setup: func(t *testing.T, ti *testIssuer, cfg *discovery.Config) {
				ti.set(func(ti *testIssuer) { ti.omitJWKSURI = true })
			},
			wantErr: discovery.ErrNoJWKSURL,
			wantMsg: "discovery: provider did not return JWKS URL",
		},
		{
			name: "http jwks_uri",
			setup: func(t *testing.T, ti *testIssuer, cfg *discovery.Config) {
				ti.set(func(ti *testIssuer) { ti.jwksURI = "http://" + strings.TrimPrefix(ti.JWKSURL(), "https://") })
			},
			wantErr: discovery.ErrInsecureURL,
		},
		{
			name: "500",
			setup: func(t *testing.T, ti *testIssuer, cfg *discovery.Config) {
				ti.setDocHandler(func(w http.ResponseWriter, r *http.Request) {
					http.Error(w, "down", http.StatusInternalServerError)
				})
			},
			wantErr: discovery.ErrStatus,
		},
		{
			name: "garbage JSON",
			setup: func(t *testing.T, ti *testIssuer, cfg *discovery.Config) {
				ti.setDocHandler(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("<html>hello</html>")) })
			},
			wantErr: discovery.ErrMalformedResponse,
		},
		{
			name: "wrong JSON type",
			setup: func(t *testing.T, ti *testIssuer, cfg *discovery.Config) {
				ti.setDocHandler(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`{"issuer":5}`)) })
			},
			wantErr: discovery.ErrMalformedResponse,
		},
		{
			name: "trailing data after the document",
			setup: func(t *testing.T, ti *testIssuer, cfg *discovery.Config) {
				ti.setDocHandler(func(w http.ResponseWriter, r *http.Request) {
					fmt.Fprintf(w, `{"issuer":%q,"jwks_uri":%q} {}`, ti.IssuerURL(), ti.JWKSURL())
				})
			},
			wantErr: discovery.ErrMalformedResponse,
		},
		{
			name: "oversized with Content-Length",
			setup: func(t *testing.T, ti *testIssuer, cfg *discovery.Config) {
				cfg.MaxBodyBytes = limit
				ti.setDocHandler(padded(ti, limit+1))
			},
			wantErr: discovery.ErrResponseTooLarge,
		},
		{
			name: "oversized streamed",
			setup: func(t *testing.T, ti *testIssuer, cfg *discovery.Config) {
				cfg.MaxBodyBytes = limit
				ti.setDocHandler(func(w http.ResponseWriter, r *http.Request) {
					// A valid document followed by whitespace, never
					// announced: a truncating reader would accept it.
					fmt.Fprintf(w, `{"issuer":%q,"jwks_uri":%q}`, ti.IssuerURL(), ti.JWKSURL())
					w.(http.Flusher).Flush()
					for range 64 {
						if _, err := w.Write([]byte(strings.Repeat(" ", 1024))); err != nil {
							return
						}
					}
				})
			},
			wantErr: discovery.ErrResponseTooLarge,
		},
		{
			name: "untrusted certificate",
			setup: func(t *testing.T, ti *testIssuer, cfg *discovery.Config) {
				cfg.CertificateAuthority = "" // system roots do not know the test CA
			},
			wantUnknownCA: true,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ti := newTestIssuer(t, "")
			cfg := ti.config()
			tc.setup(t, ti, &cfg)
			p := ti.provider(t, cfg)

			doc, err := p.Discover(t.Context())
			require.Nil(t, doc)
			if tc.wantUnknownCA {
				var target x509.UnknownAuthorityError
				require.ErrorAs(t, err, &target)
			} else {
				require.ErrorIs(t, err, tc.wantErr)
			}
			if tc.wantMsg != "" {
				require.EqualError(t, err, strings.ReplaceAll(tc.wantMsg, "<url>", ti.IssuerURL()))
			}
			require.True(t, strings.HasPrefix(err.Error(), "discovery: "), "got %q", err)
			require.Equal(t, err, p.LastError())
			_, ok := p.Document()
			require.False(t, ok)

			_, err = p.Keys(t.Context())
			require.Error(t, err, "keys need a discovered document")
			require.Zero(t, ti.JWKSHits.Load())
		})
	}

	t.Run("body exactly at the limit", func(t *testing.T) {
		ti := newTestIssuer(t, "")
		cfg := ti.config()
		cfg.MaxBodyBytes = limit
		ti.setDocHandler(padded(ti, limit))
		_, err := ti.provider(t, cfg).Discover(t.Context())
		require.NoError(t, err)
	})

	t.Run("failures are not cached", func(t *testing.T) {
		ti := newTestIssuer(t, "")
		ti.setDocHandler(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusServiceUnavailable) })
		p := ti.provider(t, ti.config())
		_, err := p.Discover(t.Context())
		require.ErrorIs(t, err, discovery.ErrStatus)

		ti.setDocHandler(nil)
		_, err = p.Discover(t.Context())
		require.NoError(t, err)
		require.NoError(t, p.LastError())
		require.EqualValues(t, 2, ti.DiscoveryHits.Load())
	})
}

// A status error carries the code and a short, printable snippet of the
// body, never the whole body.
func TestStatusErrorSnippet(t *testing.T) {
	ti := newTestIssuer(t, "")
	body := "upstream \x00\x1b[31mfailure\r\n" + strings.Repeat("é", 5000)
	ti.setDocHandler(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte(body))
	})
	_, err := ti.provider(t, ti.config()).Discover(t.Context())
	var se *discovery.StatusError
	require.ErrorAs(t, err, &se)
	require.Equal(t, http.StatusBadGateway, se.StatusCode)
	require.Equal(t, ti.URL+"/.well-known/openid-configuration", se.URL)
	require.True(t, strings.HasPrefix(se.Body, "upstream [31mfailure éé"), "got %q", se.Body)
	require.LessOrEqual(t, len([]rune(se.Body)), 101)
	for _, r := range se.Body {
		require.True(t, unicode.IsPrint(r), "unprintable %q in %q", r, se.Body)
	}
	require.Contains(t, err.Error(), "502 Bad Gateway")
	require.Less(t, len(err.Error()), 400)
}

// Scenarios 84-88 and 307: with discoveryURL, the document comes from
// exactly that URL, the issuer's own host (unresolvable here) is never
// contacted, and the keys come from the document's jwks_uri.
func TestDiscoveryURL(t *testing.T) {
	cases := []struct {
		name, issuer, discoveryPath string
	}{
		{"84 discovery url", "https://auth.example.invalid", "/.well-known/openid-configuration"},
		{"85 issuer has a path", "https://auth.example.invalid/a/b/foo", "/.well-known/openid-configuration"},
		{"86 discovery url has a path", "https://auth.example.invalid", "/c/d/bar/.well-known/openid-configuration"},
		{"87 both have paths", "https://auth.example.invalid/a/b/foo", "/c/d/bar/.well-known/openid-configuration"},
		{"88 issuer has a trailing slash", "https://auth.example.invalid/a/b/foo/", "/c/d/bar/.well-known/openid-configuration"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			key := testKeys(t)[1]
			var hits atomic.Int64
			mux := http.NewServeMux()
			srv := httptest.NewTLSServer(mux)
			t.Cleanup(srv.Close)
			mux.HandleFunc(tc.discoveryPath, func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				fmt.Fprintf(w, `{"issuer":%q,"jwks_uri":%q}`, tc.issuer, srv.URL+"/elsewhere/jwks")
			})
			mux.HandleFunc("/elsewhere/jwks", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(jwks(key)) })

			p, err := discovery.New(discovery.Config{
				IssuerURL:    tc.issuer,
				DiscoveryURL: srv.URL + tc.discoveryPath,
				HTTPClient:   srv.Client(),
			})
			require.NoError(t, err)
			doc, err := p.Discover(t.Context())
			require.NoError(t, err)
			require.Equal(t, tc.issuer, doc.Issuer)
			require.EqualValues(t, 1, hits.Load())

			ks, err := p.Keys(t.Context())
			require.NoError(t, err)
			require.Len(t, ks.Lookup(key.ID), 1)
		})
	}
}

// Without discoveryURL the well-known path is appended to the issuer URL
// minus one trailing slash.
func TestWellKnownPath(t *testing.T) {
	for _, path := range []string{"", "/a/b/foo"} {
		for _, slash := range []string{"", "/"} {
			t.Run(path+slash, func(t *testing.T) {
				ti := newTestIssuer(t, path)
				ti.set(func(ti *testIssuer) { ti.docIssuer = ti.IssuerURL() + slash })
				cfg := ti.config()
				cfg.IssuerURL += slash
				_, err := ti.provider(t, cfg).Discover(t.Context())
				require.NoError(t, err)
				require.EqualValues(t, 1, ti.DiscoveryHits.Load())
			})
		}
	}
}

func TestRedirects(t *testing.T) {
	// redirector sends /hop/N to /hop/N-1 and /hop/0 to the discovery
	// document.
	newRedirector := func(t *testing.T) *testIssuer {
		ti := newTestIssuer(t, "")
		mux := http.NewServeMux()
		mux.HandleFunc("/hop/{n}", func(w http.ResponseWriter, r *http.Request) {
			var n int
			_, _ = fmt.Sscan(r.PathValue("n"), &n)
			next := ti.DiscoveryPath()
			if n > 0 {
				next = fmt.Sprintf("/hop/%d", n-1)
			}
			http.Redirect(w, r, next, http.StatusFound)
		})
		ti.set(func(ti *testIssuer) { ti.other = mux })
		return ti
	}

	t.Run("five redirects are followed", func(t *testing.T) {
		ti := newRedirector(t)
		cfg := ti.config()
		cfg.DiscoveryURL = ti.URL + "/hop/4" // hop/4..hop/0: 5 redirects
		_, err := ti.provider(t, cfg).Discover(t.Context())
		require.NoError(t, err)
	})

	t.Run("six are not", func(t *testing.T) {
		ti := newRedirector(t)
		cfg := ti.config()
		cfg.DiscoveryURL = ti.URL + "/hop/5"
		_, err := ti.provider(t, cfg).Discover(t.Context())
		require.ErrorIs(t, err, discovery.ErrTooManyRedirects)
		require.Zero(t, ti.DiscoveryHits.Load())
	})

	t.Run("redirect to http refused", func(t *testing.T) {
		var plainHits atomic.Int64
		plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { plainHits.Add(1) }))
		t.Cleanup(plain.Close)
		ti := newTestIssuer(t, "")
		ti.setDocHandler(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, plain.URL+"/.well-known/openid-configuration", http.StatusMovedPermanently)
		})
		_, err := ti.provider(t, ti.config()).Discover(t.Context())
		require.ErrorIs(t, err, discovery.ErrInsecureURL)
		require.Zero(t, plainHits.Load(), "the http target must receive no request")
	})

	t.Run("JWKS redirect to http refused", func(t *testing.T) {
		ti := newTestIssuer(t, "")
		ti.setJWKSHandler(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://"+r.Host+"/keys", http.StatusFound)
		})
		_, err := ti.provider(t, ti.config()).Keys(t.Context())
		require.ErrorIs(t, err, discovery.ErrInsecureURL)
	})

	t.Run("policy applies to a caller's client without changing it", func(t *testing.T) {
		var plainHits atomic.Int64
		plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { plainHits.Add(1) }))
		t.Cleanup(plain.Close)
		ti := newTestIssuer(t, "")
		ti.setDocHandler(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, plain.URL, http.StatusFound)
		})
		client := ti.Client()
		p, err := discovery.New(discovery.Config{IssuerURL: ti.IssuerURL(), HTTPClient: client})
		require.NoError(t, err)
		_, err = p.Discover(t.Context())
		require.ErrorIs(t, err, discovery.ErrInsecureURL)
		require.Zero(t, plainHits.Load())
		require.Nil(t, client.CheckRedirect, "the caller's client is not modified")
		require.NotSame(t, client, p.HTTPClient())
	})
}

// Errors name URLs and reasons, never key material.
func TestErrorsHaveNoKeyMaterial(t *testing.T) {
	ti := newTestIssuer(t, "")
	key := testKeys(t)[0]
	body := jwks(key)
	ti.setJWKS(body[:len(body)-1]) // truncated
	_, err := ti.provider(t, ti.config()).Keys(t.Context())
	require.ErrorIs(t, err, discovery.ErrMalformedResponse)
	require.NotContains(t, err.Error(), key.JWK["n"])
}
