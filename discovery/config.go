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

// Defaults for the zero values of [Config] fields. The README's "Key
// handling" section explains how they work together.
const (
	// DefaultTimeout is kube-apiserver's HTTP client timeout for
	// discovery and JWKS requests.
	DefaultTimeout = 30 * time.Second

	// DefaultMaxBodyBytes bounds discovery documents and key sets. Real
	// ones are a few KiB; 1 MiB leaves room for large multi-tenant sets
	// while keeping a hostile endpoint from filling memory.
	DefaultMaxBodyBytes = 1 << 20

	// DefaultMinRefreshInterval is the cooldown between key fetches made
	// on demand (a token with a kid the set lacks, or a retry after a
	// failure). kube-apiserver has none: without cache headers it
	// refetches for every unknown kid, so anyone can make it hammer the
	// identity provider. Ten seconds caps a flood of random kids at six
	// fetches a minute per issuer (security.md E24 asks for 10-30 s),
	// while a key rotated in at the issuer is still accepted on the
	// first token that names it: the first fetch of the keys does not
	// start the cooldown, and neither do background refreshes, so only
	// another unknown kid in the previous ten seconds can delay it.
	DefaultMinRefreshInterval = 10 * time.Second

	// DefaultMinCacheTTL is the least time a fetched key set is used
	// before Run refreshes it, whatever its Cache-Control says
	// (max-age=0, no-cache and no-store included).
	DefaultMinCacheTTL = time.Minute

	// DefaultMaxCacheTTL is the most time a fetched key set is used
	// before Run refreshes it; it is also the refresh period when the
	// JWKS response has no Cache-Control max-age. It bounds how long a
	// key removed at the issuer keeps verifying tokens. Google and
	// Microsoft Entra send max-age of 6 to 24 hours; we refresh hourly.
	DefaultMaxCacheTTL = time.Hour

	// DefaultMaxStaleness is how long after the last successful JWKS
	// fetch the keys are still used while every refresh fails. After it,
	// Keys fails with ErrStaleKeys. A day rides out any realistic
	// identity-provider outage (kube-apiserver keeps its keys forever)
	// but eventually stops trusting keys that the issuer may have
	// withdrawn without our seeing it.
	DefaultMaxStaleness = 24 * time.Hour

	// DefaultUnknownKIDTTL is how long a kid found missing from a freshly
	// fetched set is remembered, so that tokens repeating it (typically
	// tokens signed by a key the issuer has removed) cause one fetch per
	// minute instead of one per MinRefreshInterval. It is short because
	// a provider that signs with a key before its JWKS (or CDN) serves it
	// would see that key's tokens refused for up to this long.
	DefaultUnknownKIDTTL = time.Minute
)

// MaxUnknownKIDs bounds the negative cache of unknown kids per Provider.
// When it is full the oldest entry is forgotten. Entries hold a 64-bit
// hash, not the kid, so a long attacker-chosen kid costs no memory.
const MaxUnknownKIDs = 1024

// MaxKeys bounds the usable keys kept from one JWKS, in document order;
// later keys are skipped (see [KeySet.Skipped]). Real issuers publish a
// handful; the bound keeps a token without kid, which is tried against
// every key, from costing thousands of signature checks.
const MaxKeys = 100

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
	// on demand: by [Provider.RefreshKeys] and [Provider.RefreshKeysFor],
	// and by [Provider.Keys] retrying after a failed fetch or when the
	// set is stale. The first fetch of the keys and Run's background
	// refreshes are not limited by it and do not start it. Zero means
	// DefaultMinRefreshInterval (10 s).
	MinRefreshInterval time.Duration

	// MinCacheTTL and MaxCacheTTL clamp the JWKS response's
	// Cache-Control max-age (minus its Age header) to give the time after
	// which [Provider.Run] refreshes the keys in the background. max-age=0,
	// no-cache and no-store mean MinCacheTTL; no max-age at all means
	// MaxCacheTTL. The refresh happens at a random point in the last 10%
	// of that time, so replicas started together do not fetch together.
	// Zero means DefaultMinCacheTTL (1 min) and DefaultMaxCacheTTL (1 h).
	// MinCacheTTL must not exceed MaxCacheTTL.
	MinCacheTTL, MaxCacheTTL time.Duration

	// MaxStaleness is how long after the last successful JWKS fetch its
	// keys may still be used while refreshes fail. Past it, Keys fails
	// with ErrStaleKeys (after one rate-limited attempt to fetch). It
	// must exceed MaxCacheTTL. Zero means DefaultMaxStaleness (24 h).
	MaxStaleness time.Duration

	// UnknownKIDTTL is how long RefreshKeysFor remembers a kid that a
	// fetch started after the request proved absent; tokens naming it
	// fail without a fetch until then. Zero means DefaultUnknownKIDTTL
	// (1 min).
	UnknownKIDTTL time.Duration

	// FetchObserver, when non-nil, is called after every discovery and
	// JWKS request with its outcome, for metrics and logs. It runs on the
	// goroutine that made the request, outside any lock, possibly
	// concurrently for different Providers; it must be fast and must not
	// call back into the Provider.
	FetchObserver func(FetchEvent)

	// Now is the clock used for the refresh cooldown, key set
	// timestamps, staleness and the unknown-kid cache. Nil means
	// time.Now. Run's timers use the runtime clock (fake inside a
	// testing/synctest bubble). A clock that never advances means
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
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"MinRefreshInterval", c.MinRefreshInterval},
		{"MinCacheTTL", c.MinCacheTTL},
		{"MaxCacheTTL", c.MaxCacheTTL},
		{"MaxStaleness", c.MaxStaleness},
		{"UnknownKIDTTL", c.UnknownKIDTTL},
	} {
		if d.v < 0 {
			add("Config.%s must not be negative, got %v", d.name, d.v)
		}
	}
	minTTL, maxTTL, maxStale := c.cacheBounds()
	if c.MinCacheTTL >= 0 && c.MaxCacheTTL >= 0 && minTTL > maxTTL {
		add("Config.MinCacheTTL (%v) must not exceed Config.MaxCacheTTL (%v)", minTTL, maxTTL)
	}
	if c.MaxCacheTTL >= 0 && c.MaxStaleness >= 0 && maxStale <= maxTTL {
		add("Config.MaxStaleness (%v) must exceed Config.MaxCacheTTL (%v), or keys would go stale before they are refreshed", maxStale, maxTTL)
	}
	return errors.Join(errs...)
}

// cacheBounds returns MinCacheTTL, MaxCacheTTL and MaxStaleness with
// their defaults applied.
func (c *Config) cacheBounds() (minTTL, maxTTL, maxStale time.Duration) {
	return orDefault(c.MinCacheTTL, DefaultMinCacheTTL),
		orDefault(c.MaxCacheTTL, DefaultMaxCacheTTL),
		orDefault(c.MaxStaleness, DefaultMaxStaleness)
}

func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
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
