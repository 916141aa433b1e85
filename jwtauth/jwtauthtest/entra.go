package jwtauthtest

// An in-process Microsoft Entra ID, for tests that use Entra's real issuer
// strings (https://sts.windows.net/{tid}/, https://login.microsoftonline.com/{tid}/v2.0,
// the US Government and China hosts, B2C) without touching the network.
// One TLS server answers for every Entra host; Entra.Client routes those
// hosts to it and refuses all others.

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"

	"github.com/structauth/structauth/claims"
)

// EntraKey names one of the fake's signing keys; each is published only
// where Entra would publish it.
type EntraKey string

const (
	// EntraKeyPublic is the public cloud's tenant-independent key: in the
	// v1.0 key set and, with the issuer https://login.microsoftonline.com/{tenantid}/v2.0,
	// in every v2.0 key set.
	EntraKeyPublic EntraKey = "public"
	// EntraKeyMSA is the personal-accounts key: v2.0 key sets only, with
	// the concrete issuer of the consumers tenant.
	EntraKeyMSA EntraKey = "msa"
	// EntraKeyUSGov and EntraKeyChina are the sovereign clouds' keys.
	EntraKeyUSGov EntraKey = "usgov"
	EntraKeyChina EntraKey = "china"
	// EntraKeyApp is an application-specific key (claims mapping), only
	// in key sets requested with ?appid=EntraOptions.AppID.
	EntraKeyApp EntraKey = "app"
	// EntraKeyB2C is the B2C tenant's key.
	EntraKeyB2C EntraKey = "b2c"
)

// EntraOptions configures NewEntra. The zero value serves the three
// clouds and no B2C tenant.
type EntraOptions struct {
	// AppID is the application whose keys include EntraKeyApp.
	AppID string
	// B2CTenantName and B2CTenantID declare one B2C tenant, served at
	// https://{name}.b2clogin.com for any user flow.
	B2CTenantName, B2CTenantID string
}

// Entra is the fake. Its methods are safe for concurrent use.
type Entra struct {
	opts   EntraOptions
	server *httptest.Server
	client *http.Client

	mu       sync.Mutex
	current  map[EntraKey]*entraSigningKey
	retired  map[EntraKey][]*entraSigningKey // rotated out, still published
	requests []string
}

type entraSigningKey struct {
	kid string
	key *rsa.PrivateKey
}

// entraHost is what one host serves.
type entraHost struct {
	authority string // the cloud's authority host (jwks_uri)
	v1, v2    string // issuer hosts
	key       EntraKey
	public    bool // the public cloud also publishes EntraKeyMSA
}

var entraHosts = func() map[string]entraHost {
	public := entraHost{authority: "login.microsoftonline.com", v1: "sts.windows.net", v2: "login.microsoftonline.com", key: EntraKeyPublic, public: true}
	usgov := entraHost{authority: "login.microsoftonline.us", v1: "sts.windows.net", v2: "login.microsoftonline.us", key: EntraKeyUSGov}
	china := entraHost{authority: "login.chinacloudapi.cn", v1: "sts.chinacloudapi.cn", v2: "login.partner.microsoftonline.cn", key: EntraKeyChina}
	return map[string]entraHost{
		"login.microsoftonline.com":        public,
		"sts.windows.net":                  public,
		"login.microsoftonline.us":         usgov,
		"login.chinacloudapi.cn":           china,
		"login.partner.microsoftonline.cn": china,
		"sts.chinacloudapi.cn":             china,
	}
}()

// NewEntra starts the fake with one fresh RSA key per EntraKey.
func NewEntra(opts EntraOptions) (*Entra, error) {
	e := &Entra{opts: opts, current: map[EntraKey]*entraSigningKey{}, retired: map[EntraKey][]*entraSigningKey{}}
	for _, k := range []EntraKey{EntraKeyPublic, EntraKeyMSA, EntraKeyUSGov, EntraKeyChina, EntraKeyApp, EntraKeyB2C} {
		sk, err := newEntraSigningKey()
		if err != nil {
			return nil, err
		}
		e.current[k] = sk
	}
	names := make([]string, 0, len(entraHosts)+1)
	for h := range entraHosts {
		names = append(names, h)
	}
	if opts.B2CTenantName != "" {
		names = append(names, e.b2cHost())
	}
	cert, pool, err := entraCertificate(names)
	if err != nil {
		return nil, err
	}
	e.server = httptest.NewUnstartedServer(http.HandlerFunc(e.serve))
	e.server.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	// Handshakes cut short by Close are expected; keep test logs quiet.
	e.server.Config.ErrorLog = log.New(io.Discard, "", 0)
	e.server.StartTLS()
	served := map[string]bool{}
	for _, n := range names {
		served[n] = true
	}
	addr := e.server.Listener.Addr().String()
	transport := &http.Transport{
		// Every Entra host is this server; anything else is refused
		// before a connection is attempted.
		DialContext: func(ctx context.Context, network, hostport string) (net.Conn, error) {
			host, _, err := net.SplitHostPort(hostport)
			if err != nil || !served[host] {
				return nil, fmt.Errorf("jwtauthtest: %s is not served by the in-process Entra (tests never touch the network)", hostport)
			}
			var d net.Dialer
			return d.DialContext(ctx, "tcp", addr)
		},
		TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12},
	}
	e.client = &http.Client{Transport: &entraRecorder{e: e, next: transport}}
	return e, nil
}

// Close shuts the server down.
func (e *Entra) Close() {
	e.client.CloseIdleConnections()
	e.server.Close()
}

// Client returns the HTTP client for Options.HTTPClient: it reaches the
// fake under Entra's real host names, records every request (Requests),
// and refuses every other host.
func (e *Entra) Client() *http.Client { return e.client }

// Requests returns every request made through Client, as
// "host/path?query", including refused ones.
func (e *Entra) Requests() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.requests...)
}

// KeyID returns the current kid of k.
func (e *Entra) KeyID(k EntraKey) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.current[k].kid
}

// RotateKey replaces k with a new key; the old one stays published.
func (e *Entra) RotateKey(k EntraKey) error {
	sk, err := newEntraSigningKey()
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.retired[k] = append(e.retired[k], e.current[k])
	e.current[k] = sk
	return nil
}

// EntraSignOptions tunes one token.
type EntraSignOptions struct {
	// Key signs the token; empty means EntraKeyPublic.
	Key EntraKey
	// V1Header adds "x5t" (equal to "kid"), as in v1.0 tokens.
	V1Header bool
	// Nonce makes a Microsoft Graph style token: the header carries this
	// nonce, but the signature covers a header in which the nonce is
	// replaced by its SHA-256, so no standard verifier accepts it.
	Nonce string
	// Unsigned makes an "alg": "none" token with an empty signature, as
	// the v1.0 authorization code flow returns ID tokens.
	Unsigned bool
}

// Sign mints an RS256 token with Entra's header layout
// ({"typ":"JWT","alg":"RS256",["x5t":kid,]"kid":kid}).
func (e *Entra) Sign(o EntraSignOptions, c map[string]any) (string, error) {
	payload, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	return e.SignPayload(o, payload)
}

// SignPayload is Sign with the payload bytes as given, for claim sets a
// map cannot hold (a member twice).
func (e *Entra) SignPayload(o EntraSignOptions, payload []byte) (string, error) {
	p := base64.RawURLEncoding.EncodeToString(payload)
	if o.Unsigned {
		return base64.RawURLEncoding.EncodeToString([]byte(`{"typ":"JWT","alg":"none"}`)) + "." + p + ".", nil
	}
	k := o.Key
	if k == "" {
		k = EntraKeyPublic
	}
	e.mu.Lock()
	sk := e.current[k]
	e.mu.Unlock()
	if sk == nil {
		return "", fmt.Errorf("jwtauthtest: unknown Entra key %q", k)
	}
	header := func(nonce string) string {
		kid, _ := json.Marshal(sk.kid)
		h := `{"typ":"JWT",`
		if nonce != "" {
			n, _ := json.Marshal(nonce)
			h += `"nonce":` + string(n) + `,`
		}
		h += `"alg":"RS256",`
		if o.V1Header {
			h += `"x5t":` + string(kid) + `,`
		}
		return base64.RawURLEncoding.EncodeToString([]byte(h + `"kid":` + string(kid) + `}`))
	}
	signed := header(o.Nonce)
	if o.Nonce != "" {
		sum := sha256.Sum256([]byte(o.Nonce))
		signed = header(base64.RawURLEncoding.EncodeToString(sum[:]))
	}
	digest := sha256.Sum256([]byte(signed + "." + p))
	sig, err := rsa.SignPKCS1v15(rand.Reader, sk.key, crypto.SHA256, digest[:])
	if err != nil {
		return "", err
	}
	return header(o.Nonce) + "." + p + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}

func (e *Entra) b2cHost() string { return strings.ToLower(e.opts.B2CTenantName) + ".b2clogin.com" }

func (e *Entra) serve(w http.ResponseWriter, r *http.Request) {
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = r.Host
	}
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	appid := r.URL.Query().Get("appid")
	if e.opts.B2CTenantName != "" && host == e.b2cHost() {
		e.serveB2C(w, segs)
		return
	}
	h, ok := entraHosts[host]
	if !ok || len(segs) < 3 {
		http.NotFound(w, r)
		return
	}
	tenant := segs[0]
	query := ""
	if appid != "" {
		query = "?appid=" + appid
	}
	switch {
	case len(segs) == 3 && segs[1] == ".well-known" && segs[2] == "openid-configuration":
		iss, ok := entraTenantIssuer(tenant, "https://"+h.v1+"/{tenantid}/", "https://"+h.v1+"/"+tenant+"/")
		if !ok {
			entraTenantNotFound(w)
			return
		}
		jwks := "https://" + h.authority + "/common/discovery/keys"
		if appid != "" {
			jwks = "https://" + h.authority + "/" + tenant + "/discovery/keys" + query
		}
		e.writeDiscovery(w, h, iss, jwks)
	case len(segs) == 4 && segs[1] == "v2.0" && segs[2] == ".well-known" && segs[3] == "openid-configuration":
		iss, ok := entraTenantIssuer(tenant, "https://"+h.v2+"/{tenantid}/v2.0", "https://"+h.v2+"/"+tenant+"/v2.0")
		if !ok {
			entraTenantNotFound(w)
			return
		}
		e.writeDiscovery(w, h, iss, "https://"+h.authority+"/"+tenant+"/discovery/v2.0/keys"+query)
	case len(segs) == 3 && segs[1] == "discovery" && segs[2] == "keys":
		e.writeKeys(w, e.keysFor(h, "", appid))
	case len(segs) == 4 && segs[1] == "discovery" && segs[2] == "v2.0" && segs[3] == "keys":
		e.writeKeys(w, e.keysFor(h, "https://"+h.v2+"/{tenantid}/v2.0", appid))
	default:
		http.NotFound(w, r)
	}
}

// entraTenantIssuer is the "issuer" of a tenant's metadata: concrete for
// a tenant ID, the {tenantid} template for common and organizations, the
// personal-accounts tenant for consumers.
func entraTenantIssuer(tenant, template, concrete string) (string, bool) {
	switch {
	case tenant == "common" || tenant == "organizations":
		return template, true
	case tenant == "consumers":
		return strings.Replace(template, "{tenantid}", claims.EntraMSATenantID, 1), true
	case claims.IsGUID(tenant):
		return concrete, true
	}
	return "", false
}

func entraTenantNotFound(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	_, _ = w.Write([]byte(`{"error":"invalid_tenant","error_description":"AADSTS90002: Tenant not found."}`))
}

func (e *Entra) writeDiscovery(w http.ResponseWriter, h entraHost, issuer, jwksURI string) {
	cloud := strings.TrimPrefix(h.authority, "login.")
	doc := map[string]any{
		"issuer":                                issuer,
		"jwks_uri":                              jwksURI,
		"authorization_endpoint":                "https://" + h.authority + "/common/oauth2/authorize",
		"token_endpoint":                        "https://" + h.authority + "/common/oauth2/token",
		"response_types_supported":              []string{"code", "id_token", "code id_token", "token id_token", "token"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"cloud_instance_name":                   cloud,
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(doc)
}

// keysFor lists the keys a cloud publishes; issuer is the issuer member
// of the cloud key ("" for v1.0 key sets, which have none).
func (e *Entra) keysFor(h entraHost, issuer, appid string) []map[string]any {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []map[string]any
	add := func(k EntraKey, iss string) {
		for _, sk := range append([]*entraSigningKey{e.current[k]}, e.retired[k]...) {
			out = append(out, entraJWK(sk, iss))
		}
	}
	add(h.key, issuer)
	if h.public && issuer != "" {
		add(EntraKeyMSA, "https://login.microsoftonline.com/"+claims.EntraMSATenantID+"/v2.0")
	}
	if appid != "" && appid == e.opts.AppID && h.public {
		add(EntraKeyApp, issuer)
	}
	return out
}

func (e *Entra) serveB2C(w http.ResponseWriter, segs []string) {
	name := strings.ToLower(e.opts.B2CTenantName)
	host := "https://" + e.b2cHost() + "/"
	// /{name}.onmicrosoft.com/{policy}/v2.0/.well-known/openid-configuration
	// /{name}.onmicrosoft.com/{policy}/discovery/v2.0/keys
	if len(segs) == 5 && segs[0] == name+".onmicrosoft.com" && segs[2] == "v2.0" && segs[3] == ".well-known" && segs[4] == "openid-configuration" {
		e.writeDiscovery(w, entraHost{authority: e.b2cHost()}, host+e.opts.B2CTenantID+"/v2.0/", host+segs[0]+"/"+segs[1]+"/discovery/v2.0/keys")
		return
	}
	if len(segs) == 5 && segs[0] == name+".onmicrosoft.com" && segs[2] == "discovery" && segs[3] == "v2.0" && segs[4] == "keys" {
		e.mu.Lock()
		keys := []map[string]any{entraJWK(e.current[EntraKeyB2C], "")}
		e.mu.Unlock()
		e.writeKeys(w, keys)
		return
	}
	w.WriteHeader(http.StatusNotFound)
}

func (e *Entra) writeKeys(w http.ResponseWriter, keys []map[string]any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"keys": keys})
}

// entraJWK is an Entra-style JWK: kty, use, kid, x5t, n, e[, issuer].
func entraJWK(sk *entraSigningKey, issuer string) map[string]any {
	pub := sk.key.PublicKey
	k := map[string]any{
		"kty": "RSA",
		"use": "sig",
		"kid": sk.kid,
		"x5t": sk.kid,
		"n":   base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e":   base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
	}
	if issuer != "" {
		k["issuer"] = issuer
	}
	return k
}

func newEntraSigningKey() (*entraSigningKey, error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(k.PublicKey.N.Bytes())
	return &entraSigningKey{kid: base64.RawURLEncoding.EncodeToString(sum[:])[:27], key: k}, nil
}

// entraCertificate issues a server certificate for names from a fresh
// CA, and returns the pool that trusts it.
func entraCertificate(names []string) (tls.Certificate, *x509.CertPool, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "jwtauthtest Entra CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "login.microsoftonline.com"},
		DNSNames:     names,
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, ca, &leafKey.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: leafKey}, pool, nil
}

// entraRecorder records each request before sending it.
type entraRecorder struct {
	e    *Entra
	next http.RoundTripper
}

func (r *entraRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	line := req.URL.Host + req.URL.Path
	if req.URL.RawQuery != "" {
		line += "?" + req.URL.RawQuery
	}
	r.e.mu.Lock()
	r.e.requests = append(r.e.requests, line)
	r.e.mu.Unlock()
	return r.next.RoundTrip(req)
}

// CloseIdleConnections forwards to the wrapped transport.
func (r *entraRecorder) CloseIdleConnections() {
	if c, ok := r.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}
