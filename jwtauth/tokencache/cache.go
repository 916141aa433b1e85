package tokencache

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/structauth/structauth/jwtauth"
)

// Defaults for the zero values of Options.
const (
	// DefaultTTL is the success TTL of kube-apiserver's token cache
	// (TokenSuccessCacheTTL; its failure TTL is 0, as FailureTTL's zero
	// value).
	DefaultTTL = 10 * time.Second
	// DefaultMaxEntries bounds the number of cached results.
	DefaultMaxEntries = 10000
	// DefaultMaxBytes bounds the estimated memory of the cached results.
	DefaultMaxBytes = 64 << 20
)

// maxShards is the shard count for large caches (kube-apiserver's striped
// cache uses 32 stripes too).
const maxShards = 32

// evictSample is how many entries one eviction looks at.
const evictSample = 8

// Authenticator is what the cache wraps, and what it is itself
// (jwtauth.TokenAuthenticator): *jwtauth.Authenticator satisfies it.
type Authenticator = jwtauth.TokenAuthenticator

var (
	_ Authenticator = (*jwtauth.Authenticator)(nil)
	_ Authenticator = (*Cache)(nil)
)

// Options tunes a Cache. Every zero value is documented and safe.
type Options struct {
	// TTL is how long a successful result is reused. Zero means DefaultTTL.
	// An entry never outlives the token's "exp", whatever the TTL.
	TTL time.Duration
	// FailureTTL is how long a rejection is reused. Zero, the default,
	// means rejections are not cached (kube-apiserver's default). Errors
	// that do not depend on the token alone (jwtauth.ErrNotReady,
	// jwtauth.ErrKeys, jwtauth.ErrDistributedClaims, context errors, and
	// any error that is not a *jwtauth.Error) are never cached.
	FailureTTL time.Duration
	// MaxEntries bounds the number of cached results. Zero means
	// DefaultMaxEntries.
	MaxEntries int
	// MaxBytes bounds the estimated size of the cached results (the
	// users' strings, groups and extra, plus a fixed overhead per entry).
	// A single result larger than MaxBytes divided by the shard count is
	// not cached. Zero means DefaultMaxBytes.
	MaxBytes int64
	// Now is the clock for TTLs and "exp". Nil means time.Now.
	Now func() time.Time
}

// Stats are counters for metrics.
type Stats struct {
	// Hits and Misses count Authenticate calls answered from the cache or
	// not (a call that waited for another's identical miss is a miss).
	Hits, Misses uint64
	// Entries and Bytes are the current number and estimated size of the
	// cached results, expired ones included until they are evicted.
	Entries int
	Bytes   int64
}

// Cache is a token authenticator that remembers the results of another.
// It is safe for concurrent use.
type Cache struct {
	inner      Authenticator
	ttl        time.Duration
	failureTTL time.Duration
	now        func() time.Time
	hashers    sync.Pool
	mask       uint32
	shards     []shard
	// shardEntries and shardBytes are each shard's bounds.
	shardEntries int
	shardBytes   int64
}

type key [sha256.Size]byte

type shard struct {
	mu      sync.RWMutex
	entries map[key]*entry
	calls   map[key]*call
	bytes   int64
	hits    atomic.Uint64
	misses  atomic.Uint64
	// pad keeps shards on separate cache lines.
	_ [64]byte
}

type entry struct {
	user    *jwtauth.User
	err     error
	expires int64 // Unix nanoseconds; the entry is dead from then on
	size    int64
}

// call is one authenticator call that identical misses wait for.
type call struct {
	done chan struct{}
	user *jwtauth.User
	err  error
}

type hasher struct {
	h   hash.Hash
	sum [sha256.Size]byte
}

// errPanicked is what requests waiting for a call that panicked get.
var errPanicked = errors.New("tokencache: authenticator panicked")

// New returns a cache in front of inner.
func New(inner Authenticator, opts Options) (*Cache, error) {
	if inner == nil {
		return nil, errors.New("tokencache: nil authenticator")
	}
	switch {
	case opts.TTL < 0:
		return nil, fmt.Errorf("tokencache: negative TTL %v", opts.TTL)
	case opts.FailureTTL < 0:
		return nil, fmt.Errorf("tokencache: negative FailureTTL %v", opts.FailureTTL)
	case opts.MaxEntries < 0:
		return nil, fmt.Errorf("tokencache: negative MaxEntries %d", opts.MaxEntries)
	case opts.MaxBytes < 0:
		return nil, fmt.Errorf("tokencache: negative MaxBytes %d", opts.MaxBytes)
	}
	c := &Cache{inner: inner, ttl: opts.TTL, failureTTL: opts.FailureTTL, now: opts.Now}
	if c.ttl == 0 {
		c.ttl = DefaultTTL
	}
	if c.now == nil {
		c.now = time.Now
	}
	maxEntries, maxBytes := opts.MaxEntries, opts.MaxBytes
	if maxEntries == 0 {
		maxEntries = DefaultMaxEntries
	}
	if maxBytes == 0 {
		maxBytes = DefaultMaxBytes
	}
	// The shard count is a power of two no larger than maxEntries, so that
	// the per-shard bounds add up to at most the configured ones.
	n := 1
	for n*2 <= maxShards && n*2 <= maxEntries {
		n *= 2
	}
	c.mask = uint32(n - 1)
	c.shardEntries = maxEntries / n
	c.shardBytes = maxBytes / int64(n)
	c.shards = make([]shard, n)
	for i := range c.shards {
		c.shards[i].entries = make(map[key]*entry)
		c.shards[i].calls = make(map[key]*call)
	}
	secret := make([]byte, sha256.BlockSize)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("tokencache: drawing the hash key: %w", err)
	}
	c.hashers.New = func() any { return &hasher{h: hmac.New(sha256.New, secret)} }
	return c, nil
}

// key returns the HMAC-SHA256 of token under the cache's secret.
func (c *Cache) key(token string) key {
	hs := c.hashers.Get().(*hasher)
	hs.h.Reset()
	// The hash reads the bytes and keeps none of them: viewing the string
	// as a slice avoids copying the token for every request.
	hs.h.Write(unsafe.Slice(unsafe.StringData(token), len(token)))
	var k key
	copy(k[:], hs.h.Sum(hs.sum[:0]))
	c.hashers.Put(hs)
	return k
}

// Authenticate returns the cached result for token, or asks the wrapped
// authenticator and caches its answer. The returned *jwtauth.User is shared
// with the cache and with every other caller that presents the same token:
// callers must treat it as read-only.
func (c *Cache) Authenticate(ctx context.Context, token string) (*jwtauth.User, error) {
	k := c.key(token)
	s := &c.shards[uint32(k[0])&c.mask]
	for {
		now := c.now().UnixNano()
		s.mu.RLock()
		e := s.entries[k]
		s.mu.RUnlock()
		if e != nil && now < e.expires {
			s.hits.Add(1)
			return e.user, e.err
		}

		s.mu.Lock()
		if e := s.entries[k]; e != nil && now < e.expires {
			s.mu.Unlock()
			s.hits.Add(1)
			return e.user, e.err
		}
		s.misses.Add(1)
		if cl := s.calls[k]; cl != nil {
			s.mu.Unlock()
			select {
			case <-cl.done:
			case <-ctx.Done():
				return nil, fmt.Errorf("tokencache: %w", context.Cause(ctx))
			}
			// The leader's request was canceled; that says nothing about
			// the token, so this request asks again.
			if isContextError(cl.err) && ctx.Err() == nil {
				continue
			}
			return cl.user, cl.err
		}
		cl := &call{done: make(chan struct{})}
		s.calls[k] = cl
		s.mu.Unlock()
		return c.lead(ctx, s, k, token, cl)
	}
}

// lead calls the wrapped authenticator for a miss, stores the result and
// releases the requests waiting for it.
func (c *Cache) lead(ctx context.Context, s *shard, k key, token string, cl *call) (*jwtauth.User, error) {
	var e *entry
	returned := false
	defer func() {
		if !returned {
			cl.err = errPanicked
		}
		s.mu.Lock()
		delete(s.calls, k)
		if e != nil {
			c.store(s, k, e)
		}
		s.mu.Unlock()
		close(cl.done)
	}()
	u, err := c.inner.Authenticate(ctx, token)
	returned = true
	if err == nil && u != nil {
		// The cached copy is the one every caller gets, this one included,
		// so that a caller cannot change what later hits return by
		// mutating the user it got from a miss.
		u = cloneUser(u)
	}
	cl.user, cl.err = u, err
	e = c.entryFor(token, u, err)
	return u, err
}

// entryFor returns what to cache for a result, or nil.
func (c *Cache) entryFor(token string, u *jwtauth.User, err error) *entry {
	now := c.now()
	if err != nil {
		if c.failureTTL == 0 || !cacheableError(err) {
			return nil
		}
		return &entry{err: err, expires: now.Add(c.failureTTL).UnixNano(), size: entryOverhead + int64(len(err.Error()))}
	}
	if u == nil {
		return nil
	}
	exp, ok := tokenExpiry(token)
	if !ok {
		return nil
	}
	expires := now.Add(c.ttl)
	if exp.Before(expires) {
		expires = exp
	}
	if !now.Before(expires) {
		return nil
	}
	return &entry{user: u, expires: expires.UnixNano(), size: userSize(u)}
}

// store inserts e under k, evicting entries to stay within the shard's
// bounds. The shard is locked.
func (c *Cache) store(s *shard, k key, e *entry) {
	if e.size > c.shardBytes || c.shardEntries == 0 {
		return
	}
	if old := s.entries[k]; old != nil {
		s.bytes -= old.size
		delete(s.entries, k)
	}
	now := c.now().UnixNano()
	for len(s.entries) > 0 && (len(s.entries) >= c.shardEntries || s.bytes+e.size > c.shardBytes) {
		s.evictOne(now)
	}
	s.entries[k] = e
	s.bytes += e.size
}

// evictOne removes one entry: among a few entries in the map's random
// iteration order, an expired one, else the one that expires first.
func (s *shard) evictOne(now int64) {
	var victim key
	var victimEntry *entry
	n := 0
	for k, e := range s.entries {
		if victimEntry == nil || e.expires < victimEntry.expires {
			victim, victimEntry = k, e
		}
		n++
		if e.expires <= now || n == evictSample {
			break
		}
	}
	if victimEntry == nil {
		return
	}
	s.bytes -= victimEntry.size
	delete(s.entries, victim)
}

// Purge drops every cached result, for example after the wrapped
// authenticator's configuration changed, so that no result of the old
// configuration is reused. Calls in flight still store their results.
func (c *Cache) Purge() {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		clear(s.entries)
		s.bytes = 0
		s.mu.Unlock()
	}
}

// Stats returns the cache's counters.
func (c *Cache) Stats() Stats {
	var st Stats
	for i := range c.shards {
		s := &c.shards[i]
		st.Hits += s.hits.Load()
		st.Misses += s.misses.Load()
		s.mu.RLock()
		st.Entries += len(s.entries)
		st.Bytes += s.bytes
		s.mu.RUnlock()
	}
	return st
}

// cacheableError reports whether a rejection depends on the token alone.
func cacheableError(err error) bool {
	var je *jwtauth.Error
	if !errors.As(err, &je) || isContextError(err) {
		return false
	}
	return !errors.Is(err, jwtauth.ErrNotReady) && !errors.Is(err, jwtauth.ErrKeys) && !errors.Is(err, jwtauth.ErrDistributedClaims)
}

func isContextError(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
