package jwtauth

import (
	"net/http"
	"time"
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
}
