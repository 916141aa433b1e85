package discovery

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Defaults for the zero values of [Config] fields.
const (
	// DefaultTimeout is kube-apiserver's HTTP client timeout for
	// discovery and JWKS requests.
	DefaultTimeout = 30 * time.Second

	// DefaultMaxBodyBytes bounds discovery documents and key sets. Real
	// ones are a few KiB; 1 MiB leaves room for large multi-tenant sets
	// while keeping a hostile endpoint from filling memory.
	DefaultMaxBodyBytes = 1 << 20

	// DefaultMinRefreshInterval is deliberately short. kube-apiserver
	// refetches the JWKS for every token whose kid it does not know (with
	// no cache headers its key cache always counts as expired), so a key
	// rotated in at the issuer is accepted on the next token. One second
	// keeps that behaviour for real rotations while capping a flood of
	// random kids at one fetch per second per issuer.
	DefaultMinRefreshInterval = time.Second
)

// discoveryRetryInterval is how often Run retries discovery; it is
// kube-apiserver's interval.
const discoveryRetryInterval = 10 * time.Second

// maxRedirects is the number of redirects a fetch may follow.
const maxRedirects = 5

// wellKnown is appended to the issuer URL (OpenID Connect Discovery 1.0
// §4, and kube-apiserver) unless Config.DiscoveryURL is set.
const wellKnown = "/.well-known/openid-configuration"

// Config describes one issuer. Every field's zero value is documented and
// safe.
type Config struct {
	// IssuerURL is issuer.url: an https URL. It is required, and the
	// discovery document's "issuer" MUST equal it exactly, including any
	// trailing slash.
	IssuerURL string

	// DiscoveryURL is issuer.discoveryURL. When set, the discovery
	// document is fetched from exactly this https URL instead of
	// strings.TrimSuffix(IssuerURL, "/") + "/.well-known/openid-configuration",
	// and IssuerURL's host is never contacted. The keys are fetched from
	// whatever jwks_uri the document names.
	DiscoveryURL string

	// CertificateAuthority is issuer.certificateAuthority: PEM
	// certificates trusted instead of the system roots. Empty means the
	// system roots. It must hold at least one certificate.
	CertificateAuthority string

	// HTTPClient, when non-nil, is used instead of a client built from
	// CertificateAuthority (the two are mutually exclusive). The Provider
	// uses a shallow copy whose CheckRedirect first applies this
	// package's redirect policy and then the client's own; the client's
	// Transport is shared. The per-request Timeout still applies.
	HTTPClient *http.Client

	// Timeout bounds each discovery or JWKS request, including reading
	// the body. Zero means DefaultTimeout (30 s, as kube-apiserver).
	Timeout time.Duration

	// MaxBodyBytes bounds each response body. A larger body is an error;
	// it is never truncated and parsed. Zero means DefaultMaxBodyBytes.
	MaxBodyBytes int64

	// MinRefreshInterval is the least time between two key fetches made
	// by [Provider.RefreshKeys] (see DefaultMinRefreshInterval for why it
	// is small). Zero means DefaultMinRefreshInterval.
	MinRefreshInterval time.Duration

	// Now is the clock used for the refresh cooldown and key set
	// timestamps. Nil means time.Now. A clock that never advances means
	// RefreshKeys fetches at most once.
	Now func() time.Time
}

// validate reports every problem in c, one error per field.
func (c *Config) validate() error {
	var errs []error
	add := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("discovery: "+format, args...))
	}
	if c.IssuerURL == "" {
		add("Config.IssuerURL is required")
	} else if err := checkHTTPS(c.IssuerURL); err != nil {
		add("Config.IssuerURL: %w", err)
	}
	if c.DiscoveryURL != "" {
		if err := checkHTTPS(c.DiscoveryURL); err != nil {
			add("Config.DiscoveryURL: %w", err)
		}
	}
	if c.HTTPClient != nil && c.CertificateAuthority != "" {
		add("Config.HTTPClient and Config.CertificateAuthority are mutually exclusive")
	} else if c.CertificateAuthority != "" && !x509.NewCertPool().AppendCertsFromPEM([]byte(c.CertificateAuthority)) {
		add("Config.CertificateAuthority holds no PEM certificate")
	}
	if c.Timeout < 0 {
		add("Config.Timeout must not be negative, got %v", c.Timeout)
	}
	if c.MaxBodyBytes < 0 {
		add("Config.MaxBodyBytes must not be negative, got %d", c.MaxBodyBytes)
	}
	if c.MinRefreshInterval < 0 {
		add("Config.MinRefreshInterval must not be negative, got %v", c.MinRefreshInterval)
	}
	return errors.Join(errs...)
}

// checkHTTPS accepts absolute https URLs with a host and no user info.
// go-oidc and kube-apiserver fetch any jwks_uri; we refuse plain http
// (security.md E27) so that keys cannot be replaced on the wire.
func checkHTTPS(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%w: not a valid URL", ErrInsecureURL)
	}
	if u.Scheme != "https" || u.Host == "" || u.User != nil {
		return fmt.Errorf("%w: got %q", ErrInsecureURL, u.Redacted())
	}
	return nil
}

// newClient returns the HTTP client for a validated c: a copy of c.HTTPClient, or a
// fresh client and transport (never shared with other Providers) that
// trusts c.CertificateAuthority or the system roots.
func newClient(c *Config) (*http.Client, error) {
	if c.HTTPClient != nil {
		client := *c.HTTPClient
		client.CheckRedirect = checkRedirect(c.HTTPClient.CheckRedirect)
		return &client, nil
	}
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.CertificateAuthority != "" {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM([]byte(c.CertificateAuthority)) // checked by validate
		tlsConfig.RootCAs = pool
	}
	// The same settings as http.DefaultTransport, with our TLS config.
	transport := &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   30 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		TLSClientConfig:       tlsConfig,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          10,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: 1 * time.Second,
	}
	return &http.Client{Transport: transport, CheckRedirect: checkRedirect(nil)}, nil
}

// checkRedirect follows at most maxRedirects redirects, and only to https
// URLs, so a compromised or misconfigured endpoint cannot downgrade the
// fetch to plain http (security.md E25). The target is refused before
// any request is sent to it. next, if non-nil, is the caller's own policy.
func checkRedirect(next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if len(via) > maxRedirects {
			return fmt.Errorf("stopped after %d redirects: %w", maxRedirects, ErrTooManyRedirects)
		}
		if req.URL.Scheme != "https" || req.URL.Host == "" {
			return fmt.Errorf("redirect to %q refused: %w", req.URL.Redacted(), ErrInsecureURL)
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
}

// discoveryURL is the URL the discovery document is fetched from.
func discoveryURL(c *Config) string {
	if c.DiscoveryURL != "" {
		return c.DiscoveryURL
	}
	return strings.TrimSuffix(c.IssuerURL, "/") + wellKnown
}
