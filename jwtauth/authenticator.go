package jwtauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/structauth/structauth/claims"
	"github.com/structauth/structauth/discovery"
	"github.com/structauth/structauth/internal/jose"
)

// User is the identity a token maps to, as kube-apiserver's user.Info
// before it adds system:authenticated.
type User struct {
	Username string
	UID      string
	Groups   []string
	Extra    map[string][]string
}

// Authenticator validates bearer tokens against an AuthenticationConfiguration.
// It is safe for concurrent use. Close stops its background work.
type Authenticator struct {
	issuers  []*issuerAuthenticator
	byIssuer map[string]*issuerAuthenticator
	opts     Options
	now      func() time.Time
	maxToken int

	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once
}

// issuerAuthenticator is one jwt[] entry, ready to use.
type issuerAuthenticator struct {
	index     int
	url       string
	cfg       *JWTAuthenticator
	prog      *compiledAuthenticator
	audiences map[string]struct{}
	// sortedAudiences is the configured list, sorted, for error texts.
	sortedAudiences []string
	provider        *discovery.Provider
	profile         Profile
	rejectSystem    bool
	// usesCEL is true when any claim-side expression is configured, so the
	// lazy CEL claims value must be built (kube-apiserver does the same).
	usesCEL bool
	// distributed resolves a distributed groups claim; nil unless
	// claimMappings.groups.claim is set.
	distributed *distributedResolver
	// now is the clock for exp and nbf (never nil).
	now      func() time.Time
	maxToken int
	// lastInlineDiscovery is the unix-nano time of the last discovery
	// attempt made on the request path, to rate-limit them.
	lastInlineDiscovery atomic.Int64
}

// inlineDiscoveryInterval bounds how often a token for an issuer that is
// not ready yet may trigger a discovery attempt on the request path. The
// background loop retries every 10 s regardless.
const inlineDiscoveryInterval = time.Second

// New validates cfg with kube-apiserver's rules (and the profile's),
// compiles every CEL expression once, and prepares one authenticator per
// jwt entry. It does no network I/O: each issuer's discovery document is
// fetched in the background (and, at the latest, when its first token
// arrives), and its keys when the first token needs them (or Ready is
// called), as kube-apiserver does. One goroutine per issuer, owned by
// the Authenticator, retries discovery and then refreshes the keys in
// the background (see the README's "Key handling"); Close stops them.
func New(ctx context.Context, cfg *AuthenticationConfiguration, opts Options) (*Authenticator, error) {
	if cfg == nil {
		return nil, errors.New("jwtauth: nil configuration")
	}
	if opts.MaxTokenSize < 0 {
		return nil, fmt.Errorf("jwtauth: Options.MaxTokenSize must not be negative, got %d", opts.MaxTokenSize)
	}
	if err := opts.validateKeyOptions(); err != nil {
		return nil, err
	}
	compiled, err := compileConfig(cfg, ValidateOptions{Profile: opts.Profile, DisallowedIssuers: opts.DisallowedIssuers})
	if err != nil {
		return nil, fmt.Errorf("jwtauth: invalid authentication configuration: %w", err)
	}
	a := &Authenticator{
		byIssuer: make(map[string]*issuerAuthenticator, len(compiled)),
		opts:     opts,
		now:      opts.Now,
		maxToken: opts.MaxTokenSize,
	}
	if a.now == nil {
		a.now = time.Now
	}
	if a.maxToken == 0 {
		a.maxToken = DefaultMaxTokenSize
	}
	for _, c := range compiled {
		ia, err := newIssuerAuthenticator(c, opts, a.now, a.maxToken)
		if err != nil {
			return nil, err
		}
		a.issuers = append(a.issuers, ia)
		a.byIssuer[ia.url] = ia
	}
	// The background context is detached from ctx's cancellation (ctx
	// only scopes construction) but keeps its values.
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	a.cancel = cancel
	for _, ia := range a.issuers {
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			ia.provider.Run(bg)
		}()
	}
	return a, nil
}

func newIssuerAuthenticator(c *compiledAuthenticator, opts Options, now func() time.Time, maxToken int) (*issuerAuthenticator, error) {
	jwt := c.Config
	var client *http.Client
	if opts.HTTPClient != nil {
		if jwt.Issuer.CertificateAuthority != "" {
			return nil, fmt.Errorf("jwtauth: jwt[%d]: Options.HTTPClient and issuer.certificateAuthority are mutually exclusive", c.Index)
		}
		client = opts.HTTPClient
	}
	p, err := discovery.New(discovery.Config{
		IssuerURL:            jwt.Issuer.URL,
		DiscoveryURL:         jwt.Issuer.DiscoveryURL,
		CertificateAuthority: jwt.Issuer.CertificateAuthority,
		HTTPClient:           client,
		MinRefreshInterval:   opts.MinRefreshInterval,
		MinCacheTTL:          opts.MinCacheTTL,
		MaxCacheTTL:          opts.MaxCacheTTL,
		MaxStaleness:         opts.MaxStaleness,
		UnknownKIDTTL:        opts.UnknownKIDTTL,
		FetchObserver:        opts.FetchObserver,
		// Options.Now is the clock for exp and nbf only: fetch scheduling
		// and staleness run on real time, so a frozen test clock cannot
		// stop refreshes.
	})
	if err != nil {
		return nil, fmt.Errorf("jwtauth: jwt[%d]: %w", c.Index, err)
	}
	ia := &issuerAuthenticator{
		index:        c.Index,
		url:          jwt.Issuer.URL,
		cfg:          jwt,
		prog:         c,
		audiences:    make(map[string]struct{}, len(jwt.Issuer.Audiences)),
		provider:     p,
		profile:      opts.Profile,
		rejectSystem: opts.RejectSystemNames,
		usesCEL: c.Username != nil || c.Groups != nil || c.UID != nil ||
			len(c.Extra) > 0 || len(c.ClaimRules) > 0,
		now:      now,
		maxToken: maxToken,
	}
	if claim := jwt.ClaimMappings.Groups.Claim; claim != "" {
		ia.distributed = &distributedResolver{
			claim:     claim,
			client:    p.HTTPClient(),
			verifiers: make(map[string]*issuerAuthenticator),
		}
	}
	for _, aud := range jwt.Issuer.Audiences {
		ia.audiences[aud] = struct{}{}
	}
	ia.sortedAudiences = sortedCopy(jwt.Issuer.Audiences)
	return ia, nil
}

// Close stops the background discovery and key refreshes and waits for
// them to end. Authenticate must not be called after Close. Close is idempotent and always returns nil.
func (a *Authenticator) Close() error {
	a.closeOnce.Do(func() {
		a.cancel()
		a.wg.Wait()
	})
	return nil
}

// Authenticate verifies token and maps it to a user, with kube-apiserver's
// semantics: route by exact "iss", check the signing algorithm and the
// signature against the issuer's keys, the registered claims' types, the
// audience, exp and nbf, then run the mappings, the claim validation rules
// and the user validation rules in kube-apiserver's order.
func (a *Authenticator) Authenticate(ctx context.Context, token string) (*User, error) {
	if len(token) > a.maxToken {
		return nil, newError(CheckFormat, ErrMalformedToken, "token is %d bytes, above the limit of %d", len(token), a.maxToken)
	}
	if e := a.fastUnknownIssuer(token); e != nil {
		return nil, e
	}
	jws, err := jose.ParseCompact(token)
	if err != nil {
		return nil, newError(CheckFormat, ErrMalformedToken, "token is not a well-formed compact JWS").wrap(err)
	}
	cs, err := claims.Parse(jws.Payload)
	if err != nil {
		return nil, newError(CheckFormat, ErrMalformedToken, "token payload is not a well-formed JSON claim set").wrap(err)
	}
	ia, rerr := a.route(cs)
	if rerr != nil {
		return nil, rerr
	}
	if err := ia.verify(ctx, jws, cs, a.now()); err != nil {
		return nil, err
	}
	return ia.mapUser(ctx, cs)
}

// TokenAuthenticator is anything that authenticates a bearer token as
// Authenticator does: *Authenticator, and the wrappers in the
// subpackages (tokencache.Cache, reload.Authenticator). httpauth and
// tokenreview accept any of them. Implementations are safe for
// concurrent use.
type TokenAuthenticator interface {
	Authenticate(ctx context.Context, token string) (*User, error)
}

var _ TokenAuthenticator = (*Authenticator)(nil)

// MapClaims runs a claim set through the same pipeline as Authenticate but
// without a token: routing by "iss", the registered claims' types, the
// audience check, the distributed-claims sanity check, mappings, claim
// validation rules and user validation rules. It skips the signature, exp
// and nbf, and needs no network (distributed claims are not fetched). It
// is what tests of a claim policy call: "these claims become this user".
func (a *Authenticator) MapClaims(ctx context.Context, m map[string]any) (*User, error) {
	cs, err := claims.FromMap(m)
	if err != nil {
		return nil, newError(CheckFormat, ErrMalformedToken, "claims cannot be encoded as JSON").wrap(err)
	}
	ia, rerr := a.route(cs)
	if rerr != nil {
		return nil, rerr
	}
	if err := ia.checkRegisteredClaims(cs, time.Time{}, false); err != nil {
		return nil, err
	}
	return ia.mapClaimsOnly(ctx, cs)
}

// route finds the authenticator for the claim set's issuer, by exact
// string comparison (kube-apiserver's hasCorrectIssuer).
func (a *Authenticator) route(cs *claims.Set) (*issuerAuthenticator, *Error) {
	if err := rejectCaseVariants(cs); err != nil {
		return nil, err
	}
	iss, err := cs.String("iss")
	if err != nil {
		if errors.Is(err, claims.ErrNotPresent) {
			return nil, newError(CheckIssuer, ErrUnknownIssuer, "token has no iss claim")
		}
		return nil, newError(CheckIssuer, ErrUnknownIssuer, "token's iss claim is not a string")
	}
	// Google's legacy issuer form, coalesced as kube-apiserver does.
	if iss == "accounts.google.com" {
		iss = "https://accounts.google.com"
	}
	ia, ok := a.byIssuer[iss]
	if !ok {
		e := newError(CheckIssuer, ErrUnknownIssuer, "no authenticator for issuer %q", truncate(iss, 256))
		// An Entra issuer next to configured Entra issuers gets its reason
		// (v1 vs v2, tenant, cloud) as the cause: entra_errors.go.
		if reason := a.diagnoseIssuer(iss, cs); reason != nil {
			e.wrap(reason)
		}
		return nil, e
	}
	return ia, nil
}

// Issuers returns the configured issuer URLs in configuration order.
func (a *Authenticator) Issuers() []string {
	out := make([]string, len(a.issuers))
	for i, ia := range a.issuers {
		out[i] = ia.url
	}
	return out
}
