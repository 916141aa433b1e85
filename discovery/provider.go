package discovery

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Provider discovers one issuer and holds its keys. It is safe for
// concurrent use by multiple goroutines and starts no goroutine of its
// own; [Provider.Run] is the only background work, owned by its caller.
type Provider struct {
	issuerURL    string
	discoveryURL string
	client       *http.Client
	timeout      time.Duration
	maxBody      int64
	minRefresh   time.Duration
	minTTL       time.Duration
	maxTTL       time.Duration
	maxStale     time.Duration
	observer     func(FetchEvent)
	now          func() time.Time

	// doc and keys are written under mu but read without it, so the hot
	// path (a cached document and key set) takes no lock.
	doc  atomic.Pointer[Document]
	keys atomic.Pointer[KeySet]

	mu sync.Mutex
	// discovering and fetching are the in-flight calls, nil when idle.
	discovering *flight[*Document]
	fetching    *flight[*KeySet]
	// flights counts key fetches started; a flight's seq is the count
	// when it started, so a caller can tell flights that started after
	// it arrived from one it merely joined.
	flights uint64
	// keysChanged is closed, and replaced, whenever keys is stored, to
	// wake Run's refresh loop.
	keysChanged chan struct{}
	// lastRefresh is when the last rate-limited key fetch started.
	lastRefresh time.Time
	// keysErr is the outcome of the last completed key fetch.
	keysErr error
	// lastErr is the outcome of the last completed fetch of either kind.
	lastErr error
	// unknown remembers kids proved absent (RefreshKeysFor).
	unknown unknownKIDs
}

// New validates cfg and prepares a Provider. It does no I/O: discovery
// happens on the first [Provider.Discover] (or in [Provider.Run]), and the
// keys are fetched when [Provider.Keys] is first called, as in
// kube-apiserver. Every configuration problem is reported, joined.
func New(cfg Config) (*Provider, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	client, err := newClient(&cfg)
	if err != nil {
		return nil, err
	}
	minTTL, maxTTL, maxStale := cfg.cacheBounds()
	p := &Provider{
		issuerURL:    cfg.IssuerURL,
		discoveryURL: discoveryURL(&cfg),
		client:       client,
		timeout:      orDefault(cfg.Timeout, DefaultTimeout),
		maxBody:      orDefault(cfg.MaxBodyBytes, DefaultMaxBodyBytes),
		minRefresh:   orDefault(cfg.MinRefreshInterval, DefaultMinRefreshInterval),
		minTTL:       minTTL,
		maxTTL:       maxTTL,
		maxStale:     maxStale,
		observer:     cfg.FetchObserver,
		now:          cfg.Now,
		keysChanged:  make(chan struct{}),
		unknown:      newUnknownKIDs(orDefault(cfg.UnknownKIDTTL, DefaultUnknownKIDTTL), MaxUnknownKIDs),
	}
	if p.now == nil {
		p.now = time.Now
	}
	return p, nil
}

// HTTPClient returns the client used for discovery and keys: the
// configured CA and this package's redirect policy, no timeout of its own.
// kube-apiserver uses the same client for distributed claims. Callers
// MUST NOT modify it.
func (p *Provider) HTTPClient() *http.Client { return p.client }

// Document returns the discovery document, and false before the first
// successful [Provider.Discover]. The document is read-only.
func (p *Provider) Document() (*Document, bool) {
	d := p.doc.Load()
	return d, d != nil
}

// LastError returns the error of the most recent discovery or key fetch,
// or nil if it succeeded or none has completed. Fetches abandoned because
// the caller's context ended are not recorded, so a client hanging up
// never shows as an unhealthy issuer.
func (p *Provider) LastError() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lastErr
}

// Discover returns the discovery document, fetching it if no fetch has
// succeeded yet. A successful result is kept for the Provider's lifetime,
// as kube-apiserver fetches the document once; failures are not kept, so
// the next call tries again. Concurrent callers share one fetch, each
// returning early if its own ctx ends.
//
// The document's "issuer" must equal Config.IssuerURL exactly
// ([ErrIssuerMismatch]), "jwks_uri" must be present ([ErrNoJWKSURL]) and
// https ([ErrInsecureURL]).
func (p *Provider) Discover(ctx context.Context) (*Document, error) {
	for {
		if d := p.doc.Load(); d != nil {
			return d, nil
		}
		p.mu.Lock()
		if d := p.doc.Load(); d != nil {
			p.mu.Unlock()
			return d, nil
		}
		if f := p.discovering; f != nil {
			p.mu.Unlock()
			if err := f.wait(ctx); err != nil {
				return nil, fmt.Errorf("discovery: waiting for the discovery document: %w", err)
			}
			if f.abandoned {
				continue // the fetching caller gave up; try again for ours
			}
			return f.val, f.err
		}
		f := newFlight[*Document]()
		p.discovering = f
		p.mu.Unlock()

		doc, err := p.fetchDocument(ctx)
		p.mu.Lock()
		p.discovering = nil
		f.abandoned = err != nil && ctx.Err() != nil
		if err == nil {
			p.doc.Store(doc)
		}
		if !f.abandoned {
			p.lastErr = err
		}
		f.finish(doc, err)
		p.mu.Unlock()
		return doc, err
	}
}

func (p *Provider) fetchDocument(ctx context.Context) (doc *Document, err error) {
	start := time.Now()
	resp, err := p.get(ctx, p.discoveryURL)
	defer func() { p.observe(FetchDiscovery, FetchInitial, start, resp.status, nil, err) }()
	if err != nil {
		return nil, fmt.Errorf("discovery: fetching discovery document: %w", err)
	}
	doc, err = parseDocument(resp.body, p.issuerURL)
	if err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	return doc, nil
}

// Run is the Provider's background work; it blocks until ctx ends, and
// the caller owns the goroutine that runs it. First it retries
// [Provider.Discover] every 10 seconds, starting at once, until it
// succeeds, as kube-apiserver initialises a JWT authenticator. Then it
// keeps the keys fresh: once a key set has been fetched (lazily, by the
// first [Provider.Keys], as kube-apiserver does), Run refetches it when
// its cache lifetime runs out (see Config.MinCacheTTL), and after a
// failed refresh retries after Config.MinRefreshInterval, doubling up to
// Config.MinCacheTTL, with jitter. A failed refresh keeps the current
// keys. Errors are available from [Provider.LastError].
func (p *Provider) Run(ctx context.Context) {
	if !p.runDiscovery(ctx) {
		return
	}
	p.runRefresh(ctx)
}

// runDiscovery is Run's first phase; it reports whether discovery
// succeeded before ctx ended.
func (p *Provider) runDiscovery(ctx context.Context) bool {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return false
		case <-timer.C:
		}
		if _, err := p.Discover(ctx); err == nil {
			return true
		}
		timer.Reset(discoveryRetryInterval)
	}
}

// flight is one fetch in progress, run by the caller that started it on
// its own goroutine and with its own ctx. Others wait for done, or for
// their ctx. If the fetching caller's ctx ends first, the fetch is
// abandoned rather than failed: waiters whose ctx is still live start a
// new one instead of inheriting someone else's cancellation (go-oidc
// solves this by fetching on a goroutine with a stored context; we start
// no goroutines).
type flight[T any] struct {
	done chan struct{}
	// seq numbers key fetches (Provider.flights); 0 for discovery.
	seq uint64
	// Set before done is closed, read only after.
	val       T
	err       error
	abandoned bool
}

func newFlight[T any]() *flight[T] { return &flight[T]{done: make(chan struct{})} }

func (f *flight[T]) finish(val T, err error) {
	f.val, f.err = val, err
	close(f.done)
}

// wait blocks until the flight ends or ctx does, and returns ctx.Err()
// in the second case (not its cause, so that errors.Is(err,
// context.Canceled) always works).
func (f *flight[T]) wait(ctx context.Context) error {
	select {
	case <-f.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
