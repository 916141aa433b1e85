package discovery_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/structauth/structauth/discovery"
)

// testIssuer is a fake OpenID provider on a TLS server. Its discovery
// document and JWKS can be replaced, or their handlers overridden,
// mid-test; it counts requests per endpoint.
type testIssuer struct {
	*httptest.Server
	// CA is the PEM of the server's certificate, for
	// Config.CertificateAuthority.
	CA string
	// Path is the issuer URL's path below the server's URL.
	Path string

	DiscoveryHits, JWKSHits atomic.Int64

	mu          sync.Mutex
	docIssuer   string // "" means IssuerURL()
	jwksURI     string // "" means JWKSURL()
	omitJWKSURI bool
	jwks        []byte
	docHandler  http.HandlerFunc
	jwksHandler http.HandlerFunc
	// other serves paths other than discovery and keys.
	other http.Handler
}

func newTestIssuer(t *testing.T, path string) *testIssuer {
	t.Helper()
	ti := &testIssuer{Path: path}
	ti.Server = httptest.NewUnstartedServer(http.HandlerFunc(ti.serve))
	// Handshake failures are expected in some tests; keep the log quiet.
	ti.Config.ErrorLog = log.New(io.Discard, "", 0)
	ti.StartTLS()
	t.Cleanup(ti.Close)
	ti.CA = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ti.Certificate().Raw}))
	ti.setKeys(testKeys(t)[:1]...)
	return ti
}

func (ti *testIssuer) IssuerURL() string     { return ti.URL + ti.Path }
func (ti *testIssuer) JWKSURL() string       { return ti.URL + ti.Path + "/keys" }
func (ti *testIssuer) DiscoveryPath() string { return ti.Path + "/.well-known/openid-configuration" }

// config is a Config for this issuer with a frozen clock.
func (ti *testIssuer) config() discovery.Config {
	return discovery.Config{IssuerURL: ti.IssuerURL(), CertificateAuthority: ti.CA, Now: newClock().Now}
}

func (ti *testIssuer) provider(t *testing.T, cfg discovery.Config) *discovery.Provider {
	t.Helper()
	p, err := discovery.New(cfg)
	require.NoError(t, err)
	return p
}

func (ti *testIssuer) set(f func(ti *testIssuer)) {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	f(ti)
}

func (ti *testIssuer) setKeys(keys ...testKey) { ti.setJWKS(jwks(keys...)) }

func (ti *testIssuer) setJWKS(body []byte) {
	ti.set(func(ti *testIssuer) { ti.jwks, ti.jwksHandler = body, nil })
}

func (ti *testIssuer) setJWKSHandler(h http.HandlerFunc) {
	ti.set(func(ti *testIssuer) { ti.jwksHandler = h })
}

func (ti *testIssuer) setDocHandler(h http.HandlerFunc) {
	ti.set(func(ti *testIssuer) { ti.docHandler = h })
}

// document is the discovery document the issuer serves by default.
func (ti *testIssuer) document() map[string]any {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	doc := map[string]any{
		"issuer":                                ti.IssuerURL(),
		"jwks_uri":                              ti.JWKSURL(),
		"authorization_endpoint":                ti.IssuerURL() + "/authorize",
		"id_token_signing_alg_values_supported": []string{"RS256", "ES256"},
	}
	if ti.docIssuer != "" {
		doc["issuer"] = ti.docIssuer
	}
	if ti.jwksURI != "" {
		doc["jwks_uri"] = ti.jwksURI
	}
	if ti.omitJWKSURI {
		delete(doc, "jwks_uri")
	}
	return doc
}

func (ti *testIssuer) serve(w http.ResponseWriter, r *http.Request) {
	ti.mu.Lock()
	docHandler, jwksHandler, body, other := ti.docHandler, ti.jwksHandler, ti.jwks, ti.other
	ti.mu.Unlock()
	switch r.URL.Path {
	case ti.DiscoveryPath():
		ti.DiscoveryHits.Add(1)
		if docHandler != nil {
			docHandler(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(ti.document())
	case ti.Path + "/keys":
		ti.JWKSHits.Add(1)
		if jwksHandler != nil {
			jwksHandler(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/jwk-set+json")
		_, _ = w.Write(body)
	default:
		if other != nil {
			other.ServeHTTP(w, r)
			return
		}
		http.NotFound(w, r)
	}
}

// hang returns a handler that blocks until the test ends or the client
// goes away, and a channel that receives once per request started.
func hang(t *testing.T) (http.HandlerFunc, <-chan struct{}) {
	done := make(chan struct{})
	// Registered after the server's Close, so it runs first: Close waits
	// for handlers to return.
	t.Cleanup(func() { close(done) })
	started := make(chan struct{}, 100)
	return func(w http.ResponseWriter, r *http.Request) {
		started <- struct{}{}
		select {
		case <-done:
		case <-r.Context().Done():
		}
	}, started
}

// testKey is a public key with the JWK that publishes it.
type testKey struct {
	ID     string
	Public crypto.PublicKey
	JWK    map[string]any
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func rsaJWK(kid string, k *rsa.PrivateKey) testKey {
	return testKey{ID: kid, Public: &k.PublicKey, JWK: map[string]any{
		"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig",
		"n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes()),
	}}
}

func ecJWK(kid string, k *ecdsa.PrivateKey) testKey {
	pub, err := k.PublicKey.Bytes() // 0x04 || X || Y, fixed width
	if err != nil {
		panic(err)
	}
	n := (len(pub) - 1) / 2
	return testKey{ID: kid, Public: &k.PublicKey, JWK: map[string]any{
		"kty": "EC", "kid": kid, "alg": "ES256", "use": "sig", "crv": "P-256",
		"x": b64(pub[1 : 1+n]), "y": b64(pub[1+n:]),
	}}
}

// keyPool is generated once: RSA generation is slow under -race.
var keyPool = sync.OnceValue(func() []testKey {
	r, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	keys := []testKey{rsaJWK("rsa-1", r)}
	for _, kid := range []string{"ec-1", "ec-2", "ec-3"} {
		e, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		keys = append(keys, ecJWK(kid, e))
	}
	return keys
})

// testKeys returns rsa-1, ec-1, ec-2, ec-3.
func testKeys(t *testing.T) []testKey {
	t.Helper()
	return keyPool()
}

func jwks(keys ...testKey) []byte {
	set := struct {
		Keys []map[string]any `json:"keys"`
	}{Keys: []map[string]any{}}
	for _, k := range keys {
		set.Keys = append(set.Keys, k.JWK)
	}
	b, err := json.Marshal(set)
	if err != nil {
		panic(err)
	}
	return b
}

// kids returns the IDs of keys, in order.
func kids(keys []discovery.Key) []string {
	ids := make([]string, 0, len(keys))
	for _, k := range keys {
		ids = append(ids, k.ID)
	}
	return ids
}

// requireSameKey checks that got is the public key of want.
func requireSameKey(t *testing.T, want testKey, got discovery.Key) {
	t.Helper()
	require.Equal(t, want.ID, got.ID)
	eq, ok := got.Public.(interface{ Equal(crypto.PublicKey) bool })
	require.True(t, ok, "public key type %T", got.Public)
	require.True(t, eq.Equal(want.Public), "key %s differs", want.ID)
}

// clock is a manual clock for Config.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
