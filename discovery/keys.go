package discovery

import (
	"context"
	"crypto"
	"fmt"
	"slices"
	"time"

	"github.com/structauth/structauth/internal/jose"
)

// Key is one public key from an issuer's JWKS (RFC 7517 §4).
type Key struct {
	// ID is "kid", possibly empty.
	ID string
	// Algorithm is "alg", possibly empty; when set, the key must only be
	// used with that algorithm (RFC 7517 §4.4).
	Algorithm string
	// Use is "use", possibly empty.
	Use string
	// Ops is "key_ops", possibly nil.
	Ops []string
	// Public is *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey.
	Public crypto.PublicKey
}

// KeySet is an immutable snapshot of an issuer's usable keys. It is safe
// for concurrent use; the slices it returns MUST NOT be modified. The nil
// *KeySet is empty.
type KeySet struct {
	keys      []Key
	byID      map[string][]Key
	skipped   []error
	fetchedAt time.Time
	// refreshIn is how long after fetchedAt Run refreshes the set: the
	// response's cache lifetime, clamped, with jitter.
	refreshIn time.Duration
}

// newKeySet builds a KeySet from parsed keys, copying them so that
// nothing is shared with the parser or with other Providers.
//
// Duplicate kids are kept, in document order: Lookup returns every key
// with the token's kid and the verifier accepts the token if any of them
// verifies it, as kube-apiserver (go-oidc) does. Dropping an ambiguous
// kid would turn an issuer's publishing mistake into an outage and
// protects nothing: whoever can add a key to the JWKS can sign any token.
// An exact repeat (same kid, alg and public key) is skipped, as are keys
// beyond MaxKeys.
func newKeySet(parsed []jose.Key, skipped []error, fetchedAt time.Time) *KeySet {
	s := &KeySet{
		keys:      make([]Key, 0, min(len(parsed), MaxKeys)),
		byID:      make(map[string][]Key, min(len(parsed), MaxKeys)),
		skipped:   skipped,
		fetchedAt: fetchedAt,
	}
	for i, k := range parsed {
		if slices.ContainsFunc(s.byID[k.ID], func(o Key) bool { return o.Algorithm == k.Algorithm && samePublicKey(o.Public, k.Public) }) {
			s.skipped = append(s.skipped, fmt.Errorf("usable key %d: kid %q: repeats an earlier key", i, truncate(k.ID, 64)))
			continue
		}
		if len(s.keys) == MaxKeys {
			s.skipped = append(s.skipped, fmt.Errorf("usable keys %d to %d: more than %d usable keys", i, len(parsed)-1, MaxKeys))
			break
		}
		key := Key{ID: k.ID, Algorithm: k.Algorithm, Use: k.Use, Ops: slices.Clone(k.Ops), Public: k.Public}
		s.keys = append(s.keys, key)
		s.byID[k.ID] = append(s.byID[k.ID], key)
	}
	return s
}

// samePublicKey compares two public keys of the standard library types.
func samePublicKey(a, b crypto.PublicKey) bool {
	eq, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && eq.Equal(b)
}

// truncate bounds remote text placed in errors.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// Lookup returns the candidate keys for a token's kid, in document order:
// the keys with that ID, or every key when kid is "" (as go-oidc, which
// kube-apiserver uses, tries all keys for a token without kid). It does
// not allocate.
func (s *KeySet) Lookup(kid string) []Key {
	if s == nil {
		return nil
	}
	if kid == "" {
		return s.keys[:len(s.keys):len(s.keys)]
	}
	ks := s.byID[kid]
	return ks[:len(ks):len(ks)]
}

// Len returns the number of usable keys.
func (s *KeySet) Len() int {
	if s == nil {
		return 0
	}
	return len(s.keys)
}

// Skipped returns why each unusable JWK in the fetched set was left out,
// for diagnostics. The errors name the key, never its material.
func (s *KeySet) Skipped() []error {
	if s == nil {
		return nil
	}
	return s.skipped[:len(s.skipped):len(s.skipped)]
}

// FetchedAt returns when the set was fetched, by Config.Now.
func (s *KeySet) FetchedAt() time.Time {
	if s == nil {
		return time.Time{}
	}
	return s.fetchedAt
}

// Keys returns the issuer's current keys. The first call discovers the
// issuer if needed and fetches the JWKS (lazily, as kube-apiserver);
// later calls return the cached set without I/O. While no set has been
// fetched, concurrent callers share one fetch, and after a failed fetch
// new attempts are rate-limited like [Provider.RefreshKeys].
//
// Keys older than Config.MaxStaleness (every refresh since has failed)
// are not returned: Keys makes one rate-limited attempt to fetch new ones
// and, failing that, returns an error wrapping [ErrStaleKeys] and the
// last fetch error.
func (p *Provider) Keys(ctx context.Context) (*KeySet, error) {
	if ks := p.keys.Load(); ks != nil && !p.isStale(ks, p.now()) {
		return ks, nil
	}
	doc, err := p.Discover(ctx)
	if err != nil {
		return nil, err
	}
	ks, _, err := p.fetchKeys(ctx, doc, modeKeys, "")
	return ks, err
}

// RefreshKeys fetches the JWKS now and returns the new set and true,
// unless an on-demand fetch (see Config.MinRefreshInterval) began less
// than MinRefreshInterval ago: then it returns the current set, false
// and a nil error without any I/O. Concurrent callers share one fetch,
// each returning early if its own ctx ends. A failed fetch, or a JWKS
// without usable keys, never replaces the current set: RefreshKeys
// returns the current set (possibly nil), false and the error.
func (p *Provider) RefreshKeys(ctx context.Context) (*KeySet, bool, error) {
	doc, err := p.Discover(ctx)
	if err != nil {
		return p.keys.Load(), false, err
	}
	return p.fetchKeys(ctx, doc, modeRefresh, "")
}

// RefreshKeysFor is RefreshKeys on behalf of a token whose kid the
// current set lacks (kid "" for a token without kid that no key
// verified). It returns the current set without I/O, and false, when the
// set already has kid (another caller refreshed it), when kid was proved
// absent within Config.UnknownKIDTTL, or when the cooldown forbids a
// fetch. A fetch that started before this call may predate the key, so
// RefreshKeysFor does not settle for it: it looks again and fetches if
// the cooldown allows. When a fetch that started after the call succeeds
// without kid, kid is remembered as absent (kid "" never is: a key
// rotation at an issuer without kids must stay visible).
//
// So a rotated-in key is accepted on the first token that names it, and
// tokens with random kids cause at most one fetch per
// MinRefreshInterval.
func (p *Provider) RefreshKeysFor(ctx context.Context, kid string) (*KeySet, bool, error) {
	doc, err := p.Discover(ctx)
	if err != nil {
		return p.keys.Load(), false, err
	}
	return p.fetchKeys(ctx, doc, modeUnknownKID, kid)
}

// fetchMode is who asks fetchKeys for keys.
type fetchMode int

const (
	modeKeys       fetchMode = iota // Keys: a usable set, fetched only if needed
	modeRefresh                     // RefreshKeys
	modeUnknownKID                  // RefreshKeysFor
	modeScheduled                   // Run's background refresh
)

func (m fetchMode) trigger(first bool) FetchTrigger {
	switch m {
	case modeRefresh:
		return FetchRefresh
	case modeUnknownKID:
		return FetchUnknownKID
	case modeScheduled:
		return FetchScheduled
	}
	if first {
		return FetchInitial
	}
	return FetchRetry
}

// fetchKeys joins the key fetch in flight or starts one, as mode
// requires. Rate limiting: every fetch except the very first and Run's
// scheduled ones may start only MinRefreshInterval after the last
// rate-limited one started, so a token with a new kid right after
// start-up, or right after a background refresh, still gets its refresh.
//
// Results: for modeKeys a usable set and nil, or nil and an error; for
// the others the set to use (the new one, else the current one), whether
// it comes from a fetch the caller may rely on, and the fetch error.
func (p *Provider) fetchKeys(ctx context.Context, doc *Document, mode fetchMode, kid string) (*KeySet, bool, error) {
	p.mu.Lock()
	arrival := p.flights
	for {
		// p.mu is held at the top of the loop.
		cur, now := p.keys.Load(), p.now()
		switch mode {
		case modeKeys:
			if cur != nil && !p.isStale(cur, now) {
				p.mu.Unlock()
				return cur, false, nil
			}
		case modeUnknownKID:
			if kid != "" && (len(cur.Lookup(kid)) > 0 || p.unknown.has(kid, now)) {
				p.mu.Unlock()
				return cur, false, nil
			}
		}
		if f := p.fetching; f != nil {
			p.mu.Unlock()
			if err := f.wait(ctx); err != nil {
				err = fmt.Errorf("discovery: waiting for keys: %w", err)
				if mode == modeKeys {
					return nil, false, err
				}
				return p.keys.Load(), false, err
			}
			p.mu.Lock()
			if f.abandoned {
				// The fetching caller gave up: look again, and fetch
				// ourselves if the cooldown allows. The abandoned fetch
				// counts against the cooldown: otherwise clients that hang
				// up on purpose could chain fetches past the limit.
				continue
			}
			if mode == modeUnknownKID && f.seq <= arrival {
				// It started before this call, so it may predate the key.
				continue
			}
			return p.outcome(mode, kid, f)
		}

		limited := mode != modeScheduled && (mode != modeKeys || p.flights > 0)
		if limited {
			// A clock that went backwards (since < 0) does not block.
			if since := now.Sub(p.lastRefresh); !p.lastRefresh.IsZero() && since >= 0 && since < p.minRefresh {
				defer p.mu.Unlock()
				if mode != modeKeys {
					return cur, false, nil
				}
				if err := p.keysError(cur, now, p.keysErr); err != nil {
					return nil, false, err
				}
				// Only abandoned fetches so far: nothing to report but that.
				return nil, false, fmt.Errorf("discovery: no keys yet: the last fetch was abandoned by its caller and the next may start in %v", (p.minRefresh - since).Round(time.Millisecond))
			}
			p.lastRefresh = now
		}
		trigger := mode.trigger(p.flights == 0)
		p.flights++
		f := newFlight[*KeySet]()
		f.seq = p.flights
		p.fetching = f
		p.mu.Unlock()

		ks, err := p.fetchKeySet(ctx, doc, trigger)
		p.mu.Lock()
		p.fetching = nil
		f.abandoned = err != nil && ctx.Err() != nil
		if err == nil {
			p.keys.Store(ks)
			close(p.keysChanged)
			p.keysChanged = make(chan struct{})
		}
		if !f.abandoned {
			p.keysErr, p.lastErr = err, err
		}
		f.finish(ks, err)
		return p.outcome(mode, kid, f)
	}
}

// outcome turns a finished flight into fetchKeys' results, and records a
// kid it proved absent. It is called with p.mu held and releases it.
func (p *Provider) outcome(mode fetchMode, kid string, f *flight[*KeySet]) (*KeySet, bool, error) {
	defer p.mu.Unlock()
	now := p.now()
	if f.err != nil {
		cur := p.keys.Load()
		if mode != modeKeys {
			return cur, false, f.err
		}
		if cur != nil && !p.isStale(cur, now) {
			return cur, false, nil // another caller's set arrived meanwhile
		}
		return nil, false, p.keysError(cur, now, f.err)
	}
	if mode == modeUnknownKID && kid != "" && len(f.val.Lookup(kid)) == 0 {
		p.unknown.add(kid, now)
	}
	return f.val, mode != modeKeys, nil
}

// isStale reports whether ks is older than Config.MaxStaleness. A clock
// that went backwards does not make keys stale.
func (p *Provider) isStale(ks *KeySet, now time.Time) bool {
	return now.Sub(ks.fetchedAt) > p.maxStale
}

// keysError is the error Keys returns when it has no usable set: the
// fetch error cause, or, when a set exists but is stale, ErrStaleKeys
// wrapping cause.
func (p *Provider) keysError(cur *KeySet, now time.Time, cause error) error {
	if cur == nil {
		return cause
	}
	age := now.Sub(cur.fetchedAt).Truncate(time.Second)
	if cause == nil {
		return fmt.Errorf("discovery: %w: the last successful JWKS fetch was %v ago, more than the limit of %v", ErrStaleKeys, age, p.maxStale)
	}
	return fmt.Errorf("discovery: %w: the last successful JWKS fetch was %v ago, more than the limit of %v; last error: %w", ErrStaleKeys, age, p.maxStale, cause)
}

// fetchKeySet fetches and parses the JWKS. A set without usable keys is
// an error, so it never replaces a good one (security.md E06).
func (p *Provider) fetchKeySet(ctx context.Context, doc *Document, trigger FetchTrigger) (ks *KeySet, err error) {
	start := time.Now()
	resp, err := p.get(ctx, doc.JWKSURI)
	defer func() { p.observe(FetchJWKS, trigger, start, resp.status, ks, err) }()
	if err != nil {
		return nil, fmt.Errorf("discovery: fetching keys: %w", err)
	}
	parsed, skipped, err := jose.ParseKeySet(resp.body)
	if err != nil {
		return nil, fmt.Errorf("discovery: %w: JWKS from %q: %w", ErrMalformedResponse, doc.JWKSURI, err)
	}
	if len(parsed) == 0 {
		if len(skipped) == 0 {
			return nil, fmt.Errorf("discovery: %w: JWKS from %q is empty", ErrNoUsableKeys, doc.JWKSURI)
		}
		// The first reason is enough to diagnose; a set may hold many keys.
		return nil, fmt.Errorf("discovery: %w: JWKS from %q: all %d keys skipped, first: %w", ErrNoUsableKeys, doc.JWKSURI, len(skipped), skipped[0])
	}
	ks = newKeySet(parsed, skipped, p.now())
	ks.refreshIn = jitter(cacheTTL(resp.header, p.minTTL, p.maxTTL))
	return ks, nil
}
