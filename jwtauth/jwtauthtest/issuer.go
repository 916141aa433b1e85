// Package jwtauthtest provides an in-process OpenID Connect issuer for
// tests, in the spirit of net/http/httptest: a TLS server that serves a
// discovery document and a JWKS, mints tokens with any claims, algorithm
// or key id, and rotates keys.
//
//	iss, err := jwtauthtest.NewIssuer(jwtauthtest.IssuerOptions{})
//	defer iss.Close()
//	cfg := iss.Authenticator([]string{"my-api"}) // a jwt[] entry trusting iss
//	tok, err := iss.Sign("RS256", map[string]any{"iss": iss.URL, "aud": "my-api", "sub": "jane", "exp": ...})
package jwtauthtest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/structauth/structauth/internal/jose"
	"github.com/structauth/structauth/jwtauth"
)

// IssuerOptions configures NewIssuer. The zero value is a working issuer.
type IssuerOptions struct {
	// Path is appended to the server URL to form the issuer URL, for
	// example "/realms/k8s". Empty means the bare server URL.
	Path string
	// DiscoveryIssuer, when set, is served as the discovery document's
	// "issuer" instead of the issuer URL (to test mismatches).
	DiscoveryIssuer string
	// OmitJWKSURI serves a discovery document without "jwks_uri".
	OmitJWKSURI bool
	// RSABits is the RSA modulus size; 0 means 2048.
	RSABits int
	// CacheControl, when set, is sent as the JWKS response's Cache-Control.
	CacheControl string
}

// Issuer is an in-process OIDC provider. Its methods are safe for
// concurrent use.
type Issuer struct {
	// URL is the issuer URL (the "iss" of its tokens).
	URL string

	server *httptest.Server
	mux    *http.ServeMux
	opts   IssuerOptions

	mu           sync.Mutex
	current      map[string]*signingKey // by family: RSA, P-256, P-384, P-521
	published    []*signingKey          // served in the JWKS
	jwks         http.HandlerFunc       // fault-injection override
	discovery    http.HandlerFunc       // fault-injection override
	cacheControl string
	serial       int

	// closed is closed by Close, to release hanging fault handlers.
	closed    chan struct{}
	closeOnce sync.Once

	discoveryHits atomic.Int64
	jwksHits      atomic.Int64
}

type signingKey struct {
	kid    string
	family string
	signer crypto.Signer
}

// NewIssuer starts a TLS server and generates one key per family (an RSA
// key for RS*/PS*, and P-256, P-384 and P-521 keys for ES*).
func NewIssuer(opts IssuerOptions) (*Issuer, error) {
	i := &Issuer{opts: opts, current: map[string]*signingKey{}, cacheControl: opts.CacheControl, closed: make(chan struct{})}
	if err := i.generate(); err != nil {
		return nil, err
	}
	i.mux = http.NewServeMux()
	i.mux.HandleFunc("/", i.serve)
	i.server = httptest.NewUnstartedServer(i.mux)
	// A client that gives up mid-handshake (an Authenticator closed while
	// its background fetch runs) makes the server log an error; in tests
	// that is noise, as in the Entra fake.
	i.server.Config.ErrorLog = log.New(io.Discard, "", 0)
	i.server.StartTLS()
	i.URL = i.server.URL + opts.Path
	return i, nil
}

// Close shuts the server down, first releasing handlers made by
// HangFault. It is idempotent.
func (i *Issuer) Close() {
	i.closeOnce.Do(func() {
		close(i.closed)
		i.server.Close()
	})
}

// CertificateAuthority returns the PEM of the server's certificate, for
// issuer.certificateAuthority.
func (i *Issuer) CertificateAuthority() string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: i.server.Certificate().Raw}))
}

// Client returns an HTTP client that trusts the issuer's certificate, for
// Options.HTTPClient (then the configuration needs no certificateAuthority).
func (i *Issuer) Client() *http.Client { return i.server.Client() }

// DiscoveryURL is the URL of the discovery document.
func (i *Issuer) DiscoveryURL() string {
	return strings.TrimSuffix(i.URL, "/") + "/.well-known/openid-configuration"
}

// JWKSURL is the URL of the key set.
func (i *Issuer) JWKSURL() string {
	return i.server.URL + strings.TrimSuffix(i.opts.Path, "/") + "/jwks"
}

// Authenticator returns a jwt[] entry that trusts this issuer for the
// given audiences, mapping "sub" to the username without a prefix.
func (i *Issuer) Authenticator(audiences ...string) jwtauth.JWTAuthenticator {
	empty := ""
	a := jwtauth.JWTAuthenticator{
		Issuer: jwtauth.Issuer{
			URL:                  i.URL,
			CertificateAuthority: i.CertificateAuthority(),
			Audiences:            audiences,
		},
		ClaimMappings: jwtauth.ClaimMappings{
			Username: jwtauth.PrefixedClaimOrExpression{Claim: "sub", Prefix: &empty},
		},
	}
	if len(audiences) > 1 {
		a.Issuer.AudienceMatchPolicy = jwtauth.AudienceMatchPolicyMatchAny
	}
	return a
}

// Handle registers an extra handler on the issuer's server (for example a
// distributed-claims endpoint). pattern is a net/http ServeMux pattern
// such as "/groups"; Server().URL + path reaches it.
func (i *Issuer) Handle(pattern string, h http.Handler) { i.mux.Handle(pattern, h) }

// ServerURL is the base URL of the TLS server (the issuer URL without Path).
func (i *Issuer) ServerURL() string { return i.server.URL }

// DiscoveryRequests and JWKSRequests count the requests served.
func (i *Issuer) DiscoveryRequests() int { return int(i.discoveryHits.Load()) }

// JWKSRequests counts JWKS requests served.
func (i *Issuer) JWKSRequests() int { return int(i.jwksHits.Load()) }

// SetJWKSHandler replaces the JWKS endpoint (nil restores it), to inject
// faults such as errors, garbage or hangs: see the *Fault functions.
// Requests are counted by JWKSRequests either way.
func (i *Issuer) SetJWKSHandler(h http.HandlerFunc) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.jwks = h
}

// SetDiscoveryHandler replaces the discovery endpoint (nil restores it).
// Requests are counted by DiscoveryRequests either way.
func (i *Issuer) SetDiscoveryHandler(h http.HandlerFunc) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.discovery = h
}

// SetCacheControl changes the Cache-Control header of JWKS responses
// (IssuerOptions.CacheControl); "" sends none.
func (i *Issuer) SetCacheControl(v string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.cacheControl = v
}

// KeysHandler serves the issuer's real JWKS, ignoring SetJWKSHandler and
// not counting requests: the building block for DelayFault and FlapFault.
func (i *Issuer) KeysHandler() http.Handler { return http.HandlerFunc(i.serveJWKS) }

// DiscoveryHandler serves the issuer's real discovery document, ignoring
// SetDiscoveryHandler and not counting requests.
func (i *Issuer) DiscoveryHandler() http.Handler { return http.HandlerFunc(i.serveDiscovery) }

// RotateKeys generates new keys for every family. With keepOld, the old
// keys stay published next to the new ones; otherwise they are removed.
func (i *Issuer) RotateKeys(keepOld bool) error {
	i.mu.Lock()
	old := i.published
	i.mu.Unlock()
	if err := i.generate(); err != nil {
		return err
	}
	if keepOld {
		i.mu.Lock()
		i.published = append(i.published, old...)
		i.mu.Unlock()
	}
	return nil
}

func (i *Issuer) generate() error {
	bits := i.opts.RSABits
	if bits == 0 {
		bits = 2048
	}
	rk, err := rsa.GenerateKey(rand.Reader, bits)
	if err != nil {
		return err
	}
	keys := []*signingKey{{family: "RSA", signer: rk}}
	for _, c := range []elliptic.Curve{elliptic.P256(), elliptic.P384(), elliptic.P521()} {
		ek, err := ecdsa.GenerateKey(c, rand.Reader)
		if err != nil {
			return err
		}
		keys = append(keys, &signingKey{family: c.Params().Name, signer: ek})
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	i.serial++
	i.published = nil
	for _, k := range keys {
		k.kid = fmt.Sprintf("%s-%d", strings.ToLower(k.family), i.serial)
		i.current[k.family] = k
		i.published = append(i.published, k)
	}
	return nil
}

func family(alg string) (string, error) {
	switch alg {
	case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
		return "RSA", nil
	case "ES256":
		return "P-256", nil
	case "ES384":
		return "P-384", nil
	case "ES512":
		return "P-521", nil
	}
	return "", fmt.Errorf("jwtauthtest: unsupported algorithm %q", alg)
}

// SignOptions tunes one token.
type SignOptions struct {
	// Alg is the signing algorithm; empty means RS256.
	Alg string
	// KeyID overrides the "kid" header; empty uses the key's id.
	KeyID string
	// OmitKeyID leaves "kid" out of the header.
	OmitKeyID bool
	// Header adds members to the protected header.
	Header map[string]any
	// Signer signs with this key instead of the issuer's (a key the
	// issuer does not publish).
	Signer crypto.Signer
}

// Sign mints a token with the issuer's current key for alg.
func (i *Issuer) Sign(alg string, claims map[string]any) (string, error) {
	return i.SignWith(SignOptions{Alg: alg}, claims)
}

// SignWith mints a token with full control over the header and key.
func (i *Issuer) SignWith(o SignOptions, claims map[string]any) (string, error) {
	alg := o.Alg
	if alg == "" {
		alg = "RS256"
	}
	fam, err := family(alg)
	if err != nil {
		return "", err
	}
	i.mu.Lock()
	k := i.current[fam]
	i.mu.Unlock()
	signer, kid := k.signer, k.kid
	if o.Signer != nil {
		signer = o.Signer
	}
	if o.KeyID != "" {
		kid = o.KeyID
	}
	if o.OmitKeyID {
		kid = ""
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	return jose.Sign(alg, signer, kid, o.Header, payload)
}

// Claims returns a typical claim set for this issuer: iss, aud, sub, iat,
// nbf and an exp one hour after now.
func (i *Issuer) Claims(aud, sub string, now time.Time) map[string]any {
	return map[string]any{
		"iss": i.URL,
		"aud": aud,
		"sub": sub,
		"iat": now.Unix(),
		"nbf": now.Unix(),
		"exp": now.Add(time.Hour).Unix(),
	}
}

func (i *Issuer) serve(w http.ResponseWriter, r *http.Request) {
	base := strings.TrimSuffix(i.opts.Path, "/")
	switch r.URL.Path {
	case base + "/.well-known/openid-configuration":
		i.discoveryHits.Add(1)
		i.mu.Lock()
		override := i.discovery
		i.mu.Unlock()
		if override != nil {
			override(w, r)
			return
		}
		i.serveDiscovery(w, r)
	case base + "/jwks":
		i.jwksHits.Add(1)
		i.mu.Lock()
		override := i.jwks
		i.mu.Unlock()
		if override != nil {
			override(w, r)
			return
		}
		i.serveJWKS(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (i *Issuer) serveDiscovery(w http.ResponseWriter, r *http.Request) {
	issuer := i.URL
	if i.opts.DiscoveryIssuer != "" {
		issuer = i.opts.DiscoveryIssuer
	}
	doc := map[string]any{
		"issuer":                                issuer,
		"authorization_endpoint":                i.URL + "/authorize",
		"token_endpoint":                        i.URL + "/token",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": jose.Algorithms,
	}
	if !i.opts.OmitJWKSURI {
		doc["jwks_uri"] = i.JWKSURL()
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(doc)
}

func (i *Issuer) serveJWKS(w http.ResponseWriter, r *http.Request) {
	i.mu.Lock()
	keys := append([]*signingKey(nil), i.published...)
	cacheControl := i.cacheControl
	i.mu.Unlock()
	body, err := jwksJSON(keys)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if cacheControl != "" {
		w.Header().Set("Cache-Control", cacheControl)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body)
}

func jwksJSON(keys []*signingKey) ([]byte, error) {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	for _, k := range keys {
		j, err := jose.PublicJWK(k.signer.Public(), k.kid, "")
		if err != nil {
			return nil, err
		}
		set.Keys = append(set.Keys, j)
	}
	return json.Marshal(set)
}

// EncodeSegment base64url-encodes a token segment without padding.
func EncodeSegment(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// MustDecodeSegment decodes a base64url token segment; it panics on bad
// input and is meant for tests and demos that tamper with tokens.
func MustDecodeSegment(s string) []byte {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}
