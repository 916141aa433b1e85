package tokencache

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/structauth/structauth/jwtauth"
	"github.com/structauth/structauth/jwtauth/jwtauthtest"
)

var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// clock is a settable clock shared by the cache and the authenticator.
type clock struct{ ns atomic.Int64 }

func newClock() *clock {
	c := &clock{}
	c.ns.Store(testNow.UnixNano())
	return c
}

func (c *clock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// counting counts the calls that reach the wrapped authenticator.
type counting struct {
	inner Authenticator
	calls atomic.Int64
}

func (c *counting) Authenticate(ctx context.Context, token string) (*jwtauth.User, error) {
	c.calls.Add(1)
	return c.inner.Authenticate(ctx, token)
}

// env is a real issuer and a real authenticator on a shared fake clock.
type env struct {
	iss   *jwtauthtest.Issuer
	clk   *clock
	inner *counting
}

func newEnv(t testing.TB) *env {
	t.Helper()
	iss, err := jwtauthtest.NewIssuer(jwtauthtest.IssuerOptions{})
	require.NoError(t, err)
	t.Cleanup(iss.Close)
	clk := newClock()
	cfg := &jwtauth.AuthenticationConfiguration{APIVersion: jwtauth.APIVersionV1, Kind: jwtauth.Kind,
		JWT: []jwtauth.JWTAuthenticator{iss.Authenticator("my-api")}}
	cfg.JWT[0].ClaimMappings.Groups = jwtauth.PrefixedClaimOrExpression{Expression: "has(claims.groups) ? claims.groups : []"}
	cfg.JWT[0].ClaimMappings.Extra = []jwtauth.ExtraMapping{{Key: "example.com/team", ValueExpression: "'blue'"}}
	a, err := jwtauth.New(context.Background(), cfg, jwtauth.Options{Now: clk.Now})
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Close() })
	require.NoError(t, a.Ready(context.Background()))
	return &env{iss: iss, clk: clk, inner: &counting{inner: a}}
}

// token mints a token for sub that expires after life.
func (e *env) token(t testing.TB, sub string, life time.Duration) string {
	t.Helper()
	c := e.iss.Claims("my-api", sub, e.clk.Now())
	c["exp"] = e.clk.Now().Add(life).Unix()
	c["groups"] = []string{"dev", "ops"}
	tok, err := e.iss.Sign("RS256", c)
	require.NoError(t, err)
	return tok
}

func (e *env) cache(t *testing.T, opts Options) *Cache {
	t.Helper()
	opts.Now = e.clk.Now
	c, err := New(e.inner, opts)
	require.NoError(t, err)
	return c
}

func TestHitEqualsMiss(t *testing.T) {
	e := newEnv(t)
	c := e.cache(t, Options{})
	tok := e.token(t, "jane", time.Hour)

	want, err := e.inner.inner.Authenticate(context.Background(), tok)
	require.NoError(t, err)
	e.inner.calls.Store(0)

	miss, err := c.Authenticate(context.Background(), tok)
	require.NoError(t, err)
	hit, err := c.Authenticate(context.Background(), tok)
	require.NoError(t, err)
	require.Equal(t, want, miss)
	require.Equal(t, want, hit)
	require.Same(t, miss, hit)
	require.EqualValues(t, 1, e.inner.calls.Load())
	st := c.Stats()
	require.Equal(t, Stats{Hits: 1, Misses: 1, Entries: 1, Bytes: userSize(want)}, st)

	// Purge forgets everything.
	c.Purge()
	require.Zero(t, c.Stats().Entries)
	require.Zero(t, c.Stats().Bytes)
	again, err := c.Authenticate(context.Background(), tok)
	require.NoError(t, err)
	require.Equal(t, want, again)
	require.EqualValues(t, 2, e.inner.calls.Load())
	e.inner.calls.Store(1)

	// Another token is another entry.
	other, err := c.Authenticate(context.Background(), e.token(t, "joe", time.Hour))
	require.NoError(t, err)
	require.Equal(t, "joe", other.Username)
	require.EqualValues(t, 2, e.inner.calls.Load())
}

func TestLifetime(t *testing.T) {
	tests := []struct {
		name    string
		ttl     time.Duration
		life    time.Duration // token lifetime (exp - now)
		hitAt   time.Duration // still a hit this long after the miss
		missAt  time.Duration // a miss again this long after the miss
		noCache bool
	}{
		{name: "ttl bounds", ttl: 10 * time.Second, life: time.Hour, hitAt: 9 * time.Second, missAt: 10 * time.Second},
		{name: "default ttl", life: time.Hour, hitAt: DefaultTTL - time.Nanosecond, missAt: DefaultTTL},
		{name: "exp bounds", ttl: time.Minute, life: 3 * time.Second, hitAt: 2 * time.Second, missAt: 3 * time.Second},
		{name: "past exp", ttl: time.Minute, life: 3 * time.Second, hitAt: 2 * time.Second, missAt: 4 * time.Second},
		{name: "long ttl, exp bounds", ttl: 24 * time.Hour, life: 90 * time.Second, hitAt: 89 * time.Second, missAt: 90 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			c := e.cache(t, Options{TTL: tc.ttl})
			tok := e.token(t, "jane", tc.life)
			start := e.clk.Now()
			_, err := c.Authenticate(context.Background(), tok)
			require.NoError(t, err)

			e.clk.ns.Store(start.Add(tc.hitAt).UnixNano())
			u, err := c.Authenticate(context.Background(), tok)
			require.NoError(t, err)
			require.Equal(t, "jane", u.Username)
			require.EqualValues(t, 1, e.inner.calls.Load(), "hit expected")

			e.clk.ns.Store(start.Add(tc.missAt).UnixNano())
			_, err = c.Authenticate(context.Background(), tok)
			require.EqualValues(t, 2, e.inner.calls.Load(), "miss expected")
			if tc.missAt > tc.life {
				// The authenticator, not a stale entry, decides: expired.
				require.ErrorIs(t, err, jwtauth.ErrExpired)
			} else {
				require.NoError(t, err)
			}
		})
	}
}

func TestFailures(t *testing.T) {
	tests := []struct {
		name       string
		failureTTL time.Duration
		token      func(e *env, t *testing.T) string
		notReady   bool
		want       error
		cached     bool
	}{
		{name: "expired, not cached by default", token: func(e *env, t *testing.T) string { return e.token(t, "jane", -time.Minute) }, want: jwtauth.ErrExpired},
		{name: "malformed, not cached by default", token: func(*env, *testing.T) string { return "not.a.jwt" }, want: jwtauth.ErrMalformedToken},
		{name: "expired, failure ttl", failureTTL: time.Second, token: func(e *env, t *testing.T) string { return e.token(t, "jane", -time.Minute) }, want: jwtauth.ErrExpired, cached: true},
		{name: "bad signature, failure ttl", failureTTL: time.Second, token: func(e *env, t *testing.T) string {
			tok := e.token(t, "jane", time.Hour)
			return tok[:len(tok)-4] + "AAAA"
		}, want: jwtauth.ErrSignature, cached: true},
		{name: "not ready is never cached", failureTTL: time.Minute, notReady: true, token: func(e *env, t *testing.T) string { return e.token(t, "jane", time.Hour) }, want: jwtauth.ErrNotReady},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			if tc.notReady {
				// A second authenticator whose issuer never answers discovery.
				iss, err := jwtauthtest.NewIssuer(jwtauthtest.IssuerOptions{})
				require.NoError(t, err)
				t.Cleanup(iss.Close)
				iss.SetDiscoveryHandler(jwtauthtest.StatusFault(500))
				cfg := &jwtauth.AuthenticationConfiguration{APIVersion: jwtauth.APIVersionV1, Kind: jwtauth.Kind, JWT: []jwtauth.JWTAuthenticator{iss.Authenticator("my-api")}}
				a, err := jwtauth.New(context.Background(), cfg, jwtauth.Options{Now: e.clk.Now})
				require.NoError(t, err)
				t.Cleanup(func() { _ = a.Close() })
				e.iss, e.inner = iss, &counting{inner: a}
			}
			c := e.cache(t, Options{FailureTTL: tc.failureTTL})
			tok := tc.token(e, t)
			for range 3 {
				u, err := c.Authenticate(context.Background(), tok)
				require.ErrorIs(t, err, tc.want)
				require.Nil(t, u)
			}
			if tc.cached {
				require.EqualValues(t, 1, e.inner.calls.Load())
				e.clk.Advance(tc.failureTTL)
				_, err := c.Authenticate(context.Background(), tok)
				require.ErrorIs(t, err, tc.want)
				require.EqualValues(t, 2, e.inner.calls.Load())
			} else {
				require.EqualValues(t, 3, e.inner.calls.Load())
				require.Zero(t, c.Stats().Entries)
			}
		})
	}
}

// fake answers every token with a user named after the token, or err.
type fake struct {
	calls   atomic.Int64
	err     error
	groups  int
	release chan struct{} // when set, calls wait for it
	panics  bool
}

func (f *fake) Authenticate(ctx context.Context, token string) (*jwtauth.User, error) {
	f.calls.Add(1)
	if f.release != nil {
		select {
		case <-f.release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if f.panics {
		panic("boom")
	}
	if f.err != nil {
		return nil, f.err
	}
	u := &jwtauth.User{Username: token[len(token)-8:]}
	for i := range f.groups {
		u.Groups = append(u.Groups, fmt.Sprintf("group-%04d", i))
	}
	return u, nil
}

// fakeToken is an unsigned token with an exp, unique per i.
func fakeToken(exp time.Time, i int) string {
	return jwtauthtest.EncodeSegment(`{"alg":"none"}`) + "." +
		jwtauthtest.EncodeSegment(fmt.Sprintf(`{"exp":%d,"n":%d}`, exp.Unix(), i)) + "." + fmt.Sprintf("sig%08d", i)
}

func TestBounds(t *testing.T) {
	tests := []struct {
		name       string
		opts       Options
		groups     int
		tokens     int
		maxEntries int
		maxBytes   int64
	}{
		{name: "entries", opts: Options{MaxEntries: 4}, tokens: 50, maxEntries: 4},
		{name: "entries, many shards", opts: Options{MaxEntries: 100}, tokens: 1000, maxEntries: 100},
		{name: "bytes", opts: Options{MaxBytes: 256 << 10}, groups: 100, tokens: 400, maxBytes: 256 << 10},
		{name: "entry larger than a shard is not cached", opts: Options{MaxEntries: 1, MaxBytes: 1000}, groups: 100, tokens: 5, maxEntries: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := newClock()
			f := &fake{groups: tc.groups}
			tc.opts.Now = clk.Now
			c, err := New(f, tc.opts)
			require.NoError(t, err)
			for i := range tc.tokens {
				u, err := c.Authenticate(context.Background(), fakeToken(clk.Now().Add(time.Hour), i))
				require.NoError(t, err)
				require.Len(t, u.Groups, tc.groups)
				st := c.Stats()
				if tc.maxEntries > 0 || tc.maxBytes == 0 {
					require.LessOrEqual(t, st.Entries, tc.maxEntries)
				}
				if tc.maxBytes > 0 {
					require.LessOrEqual(t, st.Bytes, tc.maxBytes)
					require.Positive(t, st.Entries)
				}
			}
			require.EqualValues(t, tc.tokens, f.calls.Load())
		})
	}
}

func TestEvictionPrefersExpired(t *testing.T) {
	clk := newClock()
	f := &fake{}
	c, err := New(f, Options{MaxEntries: 2, Now: clk.Now, TTL: time.Hour})
	require.NoError(t, err)
	require.Len(t, c.shards, 2)
	// Find three tokens that land in one shard, so that its bound (one
	// entry) forces an eviction.
	var toks []string
	for i := 0; len(toks) < 2; i++ {
		tok := fakeToken(clk.Now().Add(time.Hour), i)
		if k := c.key(tok); k[0]&1 == 0 {
			toks = append(toks, tok)
		}
	}
	ctx := context.Background()
	_, err = c.Authenticate(ctx, toks[0])
	require.NoError(t, err)
	_, err = c.Authenticate(ctx, toks[1])
	require.NoError(t, err)
	_, err = c.Authenticate(ctx, toks[1])
	require.NoError(t, err)
	_, err = c.Authenticate(ctx, toks[0])
	require.NoError(t, err)
	require.EqualValues(t, 3, f.calls.Load(), "the first token was evicted by the second")
}

func TestKeysAreKeyedHashes(t *testing.T) {
	clk := newClock()
	f := &fake{}
	c1, err := New(f, Options{Now: clk.Now})
	require.NoError(t, err)
	c2, err := New(f, Options{Now: clk.Now})
	require.NoError(t, err)
	tok := fakeToken(clk.Now().Add(time.Hour), 1)
	for _, c := range []*Cache{c1, c2} {
		_, err := c.Authenticate(context.Background(), tok)
		require.NoError(t, err)
	}
	// The map key is a fixed-size digest: it cannot hold the token.
	kt := reflect.TypeOf(c1.shards[0].entries).Key()
	require.Equal(t, reflect.TypeFor[key](), kt)
	require.Equal(t, reflect.Array, kt.Kind())
	require.Equal(t, sha256.Size, kt.Len())
	require.Equal(t, reflect.Uint8, kt.Elem().Kind())
	k1, k2 := c1.key(tok), c2.key(tok)
	require.NotEqual(t, k1, k2, "each cache draws its own hash key")
	plain := sha256.Sum256([]byte(tok))
	require.NotEqual(t, plain[:], k1[:], "not an unkeyed hash")
	for _, c := range []*Cache{c1, c2} {
		found := 0
		for i := range c.shards {
			for k, e := range c.shards[i].entries {
				found++
				require.False(t, bytes.Contains(k[:], []byte(tok[:16])))
				require.NotContains(t, fmt.Sprintf("%+v", *e), tok)
			}
		}
		require.Equal(t, 1, found)
	}
}

func TestSingleFlight(t *testing.T) {
	clk := newClock()
	f := &fake{release: make(chan struct{})}
	c, err := New(f, Options{Now: clk.Now})
	require.NoError(t, err)
	tok := fakeToken(clk.Now().Add(time.Hour), 7)

	const n = 16
	var wg sync.WaitGroup
	users := make([]*jwtauth.User, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { users[i], errs[i] = c.Authenticate(context.Background(), tok) })
	}
	require.Eventually(t, func() bool { return c.Stats().Misses == n }, 5*time.Second, time.Millisecond)
	close(f.release)
	wg.Wait()
	require.EqualValues(t, 1, f.calls.Load())
	for i := range n {
		require.NoError(t, errs[i])
		require.Same(t, users[0], users[i])
	}
}

func TestLeaderCanceled(t *testing.T) {
	clk := newClock()
	f := &fake{release: make(chan struct{})}
	c, err := New(f, Options{Now: clk.Now})
	require.NoError(t, err)
	tok := fakeToken(clk.Now().Add(time.Hour), 8)

	leaderCtx, cancel := context.WithCancel(context.Background())
	leaderErr := make(chan error, 1)
	go func() {
		_, err := c.Authenticate(leaderCtx, tok)
		leaderErr <- err
	}()
	require.Eventually(t, func() bool { return f.calls.Load() == 1 }, 5*time.Second, time.Millisecond)
	follower := make(chan error, 1)
	go func() {
		u, err := c.Authenticate(context.Background(), tok)
		if err == nil && u.Username != tok[len(tok)-8:] {
			err = fmt.Errorf("wrong user %q", u.Username)
		}
		follower <- err
	}()
	require.Eventually(t, func() bool { return c.Stats().Misses == 2 }, 5*time.Second, time.Millisecond)
	cancel()
	require.ErrorIs(t, <-leaderErr, context.Canceled)
	// The follower asks again rather than inheriting the cancellation.
	close(f.release)
	require.NoError(t, <-follower)
	require.EqualValues(t, 2, f.calls.Load())

	// A waiting request whose own context ends gives up.
	f2 := &fake{release: make(chan struct{})}
	defer close(f2.release)
	c2, err := New(f2, Options{Now: clk.Now})
	require.NoError(t, err)
	go func() { _, _ = c2.Authenticate(context.Background(), tok) }()
	require.Eventually(t, func() bool { return f2.calls.Load() == 1 }, 5*time.Second, time.Millisecond)
	ctx, cancel2 := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel2()
	_, err = c2.Authenticate(ctx, tok)
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestPanicReleasesWaiters(t *testing.T) {
	clk := newClock()
	f := &fake{release: make(chan struct{}), panics: true}
	c, err := New(f, Options{Now: clk.Now})
	require.NoError(t, err)
	tok := fakeToken(clk.Now().Add(time.Hour), 9)
	panicked := make(chan any, 1)
	go func() {
		defer func() { panicked <- recover() }()
		_, _ = c.Authenticate(context.Background(), tok)
	}()
	require.Eventually(t, func() bool { return f.calls.Load() == 1 }, 5*time.Second, time.Millisecond)
	waiter := make(chan error, 1)
	go func() {
		_, err := c.Authenticate(context.Background(), tok)
		waiter <- err
	}()
	require.Eventually(t, func() bool { return c.Stats().Misses == 2 }, 5*time.Second, time.Millisecond)
	close(f.release)
	require.Equal(t, "boom", <-panicked)
	require.ErrorIs(t, <-waiter, errPanicked)
	require.Zero(t, c.Stats().Entries)
}

func TestConcurrent(t *testing.T) {
	e := newEnv(t)
	c := e.cache(t, Options{MaxEntries: 8, TTL: time.Minute})
	toks := make([]string, 12)
	for i := range toks {
		toks[i] = e.token(t, fmt.Sprintf("user-%02d", i), time.Hour)
	}
	var wg sync.WaitGroup
	var failures atomic.Int64
	for g := range 8 {
		wg.Go(func() {
			for i := range 60 {
				n := (g*7 + i) % len(toks)
				u, err := c.Authenticate(context.Background(), toks[n])
				if err != nil || u.Username != fmt.Sprintf("user-%02d", n) || len(u.Groups) != 2 {
					failures.Add(1)
				}
				if i%20 == 0 {
					e.clk.Advance(time.Second)
				}
			}
		})
	}
	wg.Wait()
	require.Zero(t, failures.Load())
	st := c.Stats()
	require.LessOrEqual(t, st.Entries, 8)
	require.EqualValues(t, 8*60, st.Hits+st.Misses)
	require.Less(t, e.inner.calls.Load(), int64(8*60), "some requests were hits")
}

func TestNew(t *testing.T) {
	f := &fake{}
	tests := []struct {
		name  string
		inner Authenticator
		opts  Options
		err   string
	}{
		{name: "nil", opts: Options{}, err: "tokencache: nil authenticator"},
		{name: "ttl", inner: f, opts: Options{TTL: -1}, err: "tokencache: negative TTL -1ns"},
		{name: "failure ttl", inner: f, opts: Options{FailureTTL: -time.Second}, err: "tokencache: negative FailureTTL -1s"},
		{name: "entries", inner: f, opts: Options{MaxEntries: -1}, err: "tokencache: negative MaxEntries -1"},
		{name: "bytes", inner: f, opts: Options{MaxBytes: -1}, err: "tokencache: negative MaxBytes -1"},
		{name: "zero values", inner: f},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(tc.inner, tc.opts)
			if tc.err != "" {
				require.EqualError(t, err, tc.err)
				require.Nil(t, c)
				return
			}
			require.NoError(t, err)
			require.Len(t, c.shards, maxShards)
			require.Equal(t, DefaultTTL, c.ttl)
		})
	}
}

func TestOtherErrorsPassThrough(t *testing.T) {
	clk := newClock()
	boom := errors.New("backend down")
	f := &fake{err: boom}
	c, err := New(f, Options{Now: clk.Now, FailureTTL: time.Minute})
	require.NoError(t, err)
	for range 2 {
		_, err := c.Authenticate(context.Background(), fakeToken(clk.Now().Add(time.Hour), 1))
		require.ErrorIs(t, err, boom)
	}
	require.EqualValues(t, 2, f.calls.Load(), "an error that is not a *jwtauth.Error is not cached")
}
