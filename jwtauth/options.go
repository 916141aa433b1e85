package jwtauth

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/structauth/structauth/discovery"
)

// Profile selects the rule set applied on top of kube-apiserver's.
type Profile int

const (
	// ProfileKubernetes applies exactly kube-apiserver's rules.
	ProfileKubernetes Profile = iota
	// ProfileAKS adds Azure Kubernetes Service's rules for structured
	// authentication: expression-only mappings and rules, no discoveryURL,
	// certificateAuthority, audienceMatchPolicy, egressSelectorType or
	// anonymous section, and every mapped username and group must start
	// with AKSPrefix (checked on each mapped user at run time).
	ProfileAKS
)

// AKSPrefix is the prefix AKS requires on every mapped username and group.
const AKSPrefix = "aks:jwt:"

func (p Profile) String() string {
	switch p {
	case ProfileKubernetes:
		return "kubernetes"
	case ProfileAKS:
		return "aks"
	}
	return "unknown"
}

// Default limits.
const (
	// DefaultMaxTokenSize bounds the length of a token accepted by
	// Authenticate. kube-apiserver has no limit; 128 KiB is far above any
	// real provider's tokens (Entra tokens with many groups are ~10 KiB).
	DefaultMaxTokenSize = 128 << 10
)

// Options tunes an Authenticator. Every zero value is documented and safe.
type Options struct {
	// Profile selects kube-apiserver's rules (the zero value) or AKS's.
	Profile Profile

	// HTTPClient, when set, is used for every issuer's discovery and JWKS
	// requests. When nil, a client is built per issuer that trusts the
	// issuer's certificateAuthority PEM (or the system roots when empty).
	// Setting both HTTPClient and an issuer's certificateAuthority is an
	// error, as in kube-apiserver.
	HTTPClient *http.Client

	// Now is the clock used for exp and nbf. Nil means time.Now.
	Now func() time.Time

	// DisallowedIssuers are issuer URLs that no authenticator may use
	// (kube-apiserver passes its --service-account-issuer values here).
	// Nil means none.
	DisallowedIssuers []string

	// MaxTokenSize bounds the token length in bytes. Zero means
	// DefaultMaxTokenSize; a negative value is an error.
	MaxTokenSize int

	// RejectSystemNames is an opt-in guard: when true, a mapped username or
	// group that starts with "system:" is rejected with ErrSystemName.
	// kube-apiserver has no such rule (it leaves this to
	// userValidationRules), so the zero value, false, matches it.
	RejectSystemNames bool

	// Key handling (the README's "Key handling" section explains how
	// these work together). Each zero value means the discovery
	// package's default, in brackets.

	// MinRefreshInterval is the cooldown between JWKS fetches made for
	// tokens: a kid the keys lack, a retry after a failure. The first
	// fetch and background refreshes neither wait for it nor start it
	// (discovery.DefaultMinRefreshInterval, 10 s).
	MinRefreshInterval time.Duration

	// MinCacheTTL and MaxCacheTTL clamp the JWKS response's Cache-Control
	// max-age; the keys are refreshed in the background when it runs out
	// (discovery.DefaultMinCacheTTL, 1 min, and
	// discovery.DefaultMaxCacheTTL, 1 h, also used without max-age).
	MinCacheTTL, MaxCacheTTL time.Duration

	// MaxStaleness is how long after the last successful JWKS fetch the
	// keys are still used while every refresh fails; then tokens fail
	// with ErrKeys wrapping discovery.ErrStaleKeys. It must exceed
	// MaxCacheTTL (discovery.DefaultMaxStaleness, 24 h).
	MaxStaleness time.Duration

	// UnknownKIDTTL is how long a kid that a fresh JWKS fetch did not
	// contain is remembered, so that tokens repeating it fail without
	// another fetch (discovery.DefaultUnknownKIDTTL, 1 min).
	UnknownKIDTTL time.Duration

	// FetchObserver, when non-nil, is called after every discovery and
	// JWKS request of every issuer, with the issuer, what was fetched and
	// why, the result, the duration, the HTTP status and the key count:
	// enough to feed metrics or logs without a dependency. It runs on the
	// goroutine that made the request, possibly concurrently; it must be
	// fast and must not call the Authenticator.
	FetchObserver func(discovery.FetchEvent)
}

// validateKeyOptions checks the key-handling options with the discovery
// package's rules, naming the Options fields.
func (o *Options) validateKeyOptions() error {
	var errs []error
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"MinRefreshInterval", o.MinRefreshInterval},
		{"MinCacheTTL", o.MinCacheTTL},
		{"MaxCacheTTL", o.MaxCacheTTL},
		{"MaxStaleness", o.MaxStaleness},
		{"UnknownKIDTTL", o.UnknownKIDTTL},
	} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("jwtauth: Options.%s must not be negative, got %v", d.name, d.v))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	minTTL, maxTTL, maxStale := orDefault(o.MinCacheTTL, discovery.DefaultMinCacheTTL),
		orDefault(o.MaxCacheTTL, discovery.DefaultMaxCacheTTL),
		orDefault(o.MaxStaleness, discovery.DefaultMaxStaleness)
	if minTTL > maxTTL {
		errs = append(errs, fmt.Errorf("jwtauth: Options.MinCacheTTL (%v) must not exceed Options.MaxCacheTTL (%v)", minTTL, maxTTL))
	}
	if maxStale <= maxTTL {
		errs = append(errs, fmt.Errorf("jwtauth: Options.MaxStaleness (%v) must exceed Options.MaxCacheTTL (%v)", maxStale, maxTTL))
	}
	return errors.Join(errs...)
}

func orDefault(v, def time.Duration) time.Duration {
	if v == 0 {
		return def
	}
	return v
}
