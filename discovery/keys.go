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
}

// newKeySet builds a KeySet from parsed keys, copying them so that
// nothing is shared with the parser or with other Providers.
func newKeySet(parsed []jose.Key, skipped []error, fetchedAt time.Time) *KeySet {
	s := &KeySet{
		keys:      make([]Key, len(parsed)),
		byID:      make(map[string][]Key, len(parsed)),
		skipped:   skipped,
		fetchedAt: fetchedAt,
	}
	for i, k := range parsed {
		s.keys[i] = Key{ID: k.ID, Algorithm: k.Algorithm, Use: k.Use, Ops: slices.Clone(k.Ops), Public: k.Public}
		s.byID[k.ID] = append(s.byID[k.ID], s.keys[i])
	}
	return s
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
func (p *Provider) Keys(ctx context.Context) (*KeySet, error) {
	if ks := p.keys.Load(); ks != nil {
		return ks, nil
	}
	doc, err := p.Discover(ctx)
	if err != nil {
		return nil, err
	}
	ks, _, err := p.fetchKeys(ctx, doc, false)
	if ks != nil {
		// Another caller's set arrived while ours failed: it is usable.
		return ks, nil
	}
	return nil, err
}

// RefreshKeys fetches the JWKS now and returns the new set and true,
// unless a fetch started by RefreshKeys began less than
// Config.MinRefreshInterval ago: then it returns the current set, false
// and a nil error without any I/O. Concurrent callers share one fetch,
// each returning early if its own ctx ends. A failed fetch, or a JWKS
// without usable keys, never replaces the current set: RefreshKeys
// returns the current set (possibly nil), false and the error.
func (p *Provider) RefreshKeys(ctx context.Context) (*KeySet, bool, error) {
	doc, err := p.Discover(ctx)
	if err != nil {
		return p.keys.Load(), false, err
	}
	return p.fetchKeys(ctx, doc, true)
}

// fetchKeys joins the key fetch in flight or starts one. refresh means
// the caller asked for new keys (RefreshKeys); otherwise it only needs
// some keys (Keys). Rate limiting: a refresh, or a retry by Keys after a
// failed fetch, may start a fetch only MinRefreshInterval after the last
// rate-limited one started. The very first fetch is free, so a token
// with a new kid right after start-up still triggers one refresh.
func (p *Provider) fetchKeys(ctx context.Context, doc *Document, refresh bool) (*KeySet, bool, error) {
	admitted := false // set when our flight was abandoned: we may retry at once
	for {
		p.mu.Lock()
		if !refresh {
			if ks := p.keys.Load(); ks != nil {
				p.mu.Unlock()
				return ks, false, nil
			}
		}
		if f := p.fetching; f != nil {
			p.mu.Unlock()
			if err := f.wait(ctx); err != nil {
				return p.keys.Load(), false, fmt.Errorf("discovery: waiting for keys: %w", err)
			}
			if f.abandoned {
				admitted = true
				continue
			}
			if f.err != nil {
				return p.keys.Load(), false, f.err
			}
			return f.val, true, nil
		}
		now := p.now()
		if limited := refresh || p.keysErr != nil; limited && !admitted {
			// A clock that went backwards (since < 0) does not block.
			if since := now.Sub(p.lastRefresh); !p.lastRefresh.IsZero() && since >= 0 && since < p.minRefresh {
				ks, err := p.keys.Load(), p.keysErr
				p.mu.Unlock()
				if ks == nil && !refresh {
					return nil, false, err
				}
				return ks, false, nil
			}
			p.lastRefresh = now
		}
		f := newFlight[*KeySet]()
		p.fetching = f
		p.mu.Unlock()

		ks, err := p.fetchKeySet(ctx, doc)
		p.mu.Lock()
		p.fetching = nil
		f.abandoned = err != nil && ctx.Err() != nil
		if err == nil {
			p.keys.Store(ks)
		}
		if !f.abandoned {
			p.keysErr, p.lastErr = err, err
		}
		f.finish(ks, err)
		current := p.keys.Load()
		p.mu.Unlock()
		if err != nil {
			return current, false, err
		}
		return ks, true, nil
	}
}

// fetchKeySet fetches and parses the JWKS. A set without usable keys is
// an error, so it never replaces a good one (security.md E06).
func (p *Provider) fetchKeySet(ctx context.Context, doc *Document) (*KeySet, error) {
	body, err := p.get(ctx, doc.JWKSURI)
	if err != nil {
		return nil, fmt.Errorf("discovery: fetching keys: %w", err)
	}
	parsed, skipped, err := jose.ParseKeySet(body)
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
	return newKeySet(parsed, skipped, p.now()), nil
}
