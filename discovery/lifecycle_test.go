package discovery_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/structauth/structauth/discovery"
)

// Timing tests for the key lifecycle: background refresh, backoff,
// staleness, cooldown and the unknown-kid cache. They run in synctest
// bubbles against memTransport (see synctest_test.go), so hours of fake
// time take milliseconds.

// jwksState is what the in-memory JWKS endpoint serves; tests change it
// while Run's goroutine reads it.
type jwksState struct {
	mu           sync.Mutex
	keys         []testKey
	cacheControl string
	status       int // non-zero: fail with this status
	// gate, when set, is waited on by the next request (and cleared),
	// after choosing its body: a fetch that started before a change.
	gate chan struct{}
	// fetched records when each request arrived.
	fetched []time.Time
}

// last returns when the latest request arrived.
func (s *jwksState) last() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetched[len(s.fetched)-1]
}

func (s *jwksState) set(f func(s *jwksState)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

func (s *jwksState) serve(_ int64, r *http.Request) (*http.Response, error) {
	s.mu.Lock()
	body, cc, status, gate := string(jwks(s.keys...)), s.cacheControl, s.status, s.gate
	s.gate = nil
	s.fetched = append(s.fetched, time.Now())
	s.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-r.Context().Done():
			return nil, r.Context().Err()
		}
	}
	if status != 0 {
		return respond(r, status, "unavailable")
	}
	resp, err := respond(r, http.StatusOK, body)
	if cc != "" {
		resp.Header.Set("Cache-Control", cc)
	}
	return resp, err
}

// lifecycleProvider is a Provider on memTransport serving state, with
// cfg's tuning; run starts Run, stopped when the test ends.
func lifecycleProvider(t *testing.T, state *jwksState, cfg discovery.Config, run bool) (*discovery.Provider, *memTransport) {
	t.Helper()
	m := &memTransport{keys: state.serve}
	cfg.IssuerURL = memIssuer
	cfg.HTTPClient = &http.Client{Transport: m}
	p, err := discovery.New(cfg)
	require.NoError(t, err)
	if run {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			p.Run(ctx)
		}()
		t.Cleanup(func() {
			cancel()
			<-done
		})
	}
	return p, m
}

// advance moves fake time on by d and lets every goroutine settle.
func advance(d time.Duration) {
	time.Sleep(d)
	synctest.Wait()
}

// Issue 3 item 1, security.md E31: Run refreshes the keys when
// Cache-Control max-age, clamped to [MinCacheTTL, MaxCacheTTL], runs
// out, in its last 10% (jitter).
func TestBackgroundRefreshSchedule(t *testing.T) {
	cases := []struct {
		cacheControl string
		period       time.Duration
	}{
		{"public, max-age=300", 5 * time.Minute},
		{"max-age=0", discovery.DefaultMinCacheTTL},
		{"no-store", discovery.DefaultMinCacheTTL},
		{"", discovery.DefaultMaxCacheTTL},
		{"max-age=31536000", discovery.DefaultMaxCacheTTL},
	}
	for _, tc := range cases {
		t.Run(tc.cacheControl, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				state := &jwksState{keys: keyPool()[1:2], cacheControl: tc.cacheControl}
				p, m := lifecycleProvider(t, state, discovery.Config{}, true)
				synctest.Wait()
				require.Zero(t, m.jwksHits.Load(), "keys stay lazy")
				_, err := p.Keys(t.Context())
				require.NoError(t, err)

				// Each refresh falls in [0.9·period, period] after the
				// previous fetch.
				ks, err := p.Keys(t.Context())
				require.NoError(t, err)
				for want := int64(2); want <= 4; want++ {
					prev := ks.FetchedAt()
					advance(time.Until(prev.Add(tc.period - tc.period/10 - time.Nanosecond)))
					require.Equal(t, want-1, m.jwksHits.Load(), "not before 90%% of the period")
					advance(time.Until(prev.Add(tc.period)))
					require.Equal(t, want, m.jwksHits.Load(), "by the end of the period")
					ks, err = p.Keys(t.Context())
					require.NoError(t, err)
					require.Equal(t, want, m.jwksHits.Load())
					require.WithinRange(t, ks.FetchedAt(), prev.Add(tc.period-tc.period/10), prev.Add(tc.period))
				}
			})
		})
	}
}

// Issue 3 item 3, security.md E04/E32: when refreshes fail, Run retries
// with backoff (10 s doubling to 1 min, jittered), the last good keys keep
// working until MaxStaleness after the last successful fetch, then Keys
// fails with ErrStaleKeys naming the last error; one good response
// restores everything.
func TestFailingRefreshBackoffAndStaleness(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		state := &jwksState{keys: keyPool()[1:2], cacheControl: "max-age=0"}
		p, m := lifecycleProvider(t, state, discovery.Config{MaxStaleness: 2 * time.Hour}, true)
		good, err := p.Keys(t.Context())
		require.NoError(t, err)
		state.set(func(s *jwksState) { s.status = http.StatusServiceUnavailable })

		// The scheduled refresh (1 min, jittered) fails; retries follow at
		// 10, 20, 40, 60, 60 ... s (each in its last 10%).
		advance(time.Minute)
		require.EqualValues(t, 2, m.jwksHits.Load())
		require.ErrorIs(t, p.LastError(), discovery.ErrStatus)
		for i, d := range []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, time.Minute, time.Minute} {
			before, prev := m.jwksHits.Load(), state.last()
			advance(time.Until(prev.Add(d - d/10 - time.Nanosecond)))
			require.Equal(t, before, m.jwksHits.Load(), "retry %d not before 90%% of %v", i+1, d)
			advance(time.Until(prev.Add(d)))
			require.Equal(t, before+1, m.jwksHits.Load(), "retry %d within %v", i+1, d)
			ks, err := p.Keys(t.Context())
			require.NoError(t, err, "the last good keys keep working")
			require.Same(t, good, ks)
		}

		// Until MaxStaleness after the last success...
		advance(time.Until(good.FetchedAt().Add(2 * time.Hour)))
		ks, err := p.Keys(t.Context())
		require.NoError(t, err)
		require.Same(t, good, ks)
		hits := m.jwksHits.Load()
		require.LessOrEqual(t, hits, int64(2+5+120*10/9), "about one retry a minute")

		// ... and not a moment longer.
		advance(time.Nanosecond)
		_, err = p.Keys(t.Context())
		require.ErrorIs(t, err, discovery.ErrStaleKeys)
		require.ErrorIs(t, err, discovery.ErrStatus, "the last fetch error is named")
		require.ErrorContains(t, err, "the last successful JWKS fetch was 2h0m0s ago, more than the limit of 2h0m0s")

		// Recovery: the next retry (at most a minute away) restores keys.
		state.set(func(s *jwksState) { s.status = 0 })
		advance(time.Minute)
		ks, err = p.Keys(t.Context())
		require.NoError(t, err)
		require.NotSame(t, good, ks)
		require.NoError(t, p.LastError())
	})
}

// Without Run, stale keys are noticed by Keys itself, which makes one
// rate-limited attempt to fetch new ones.
func TestStalenessWithoutRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		state := &jwksState{keys: keyPool()[1:2]}
		p, m := lifecycleProvider(t, state, discovery.Config{MaxCacheTTL: time.Minute, MaxStaleness: time.Hour}, false)
		good, err := p.Keys(t.Context())
		require.NoError(t, err)
		advance(time.Hour)
		_, err = p.Keys(t.Context())
		require.NoError(t, err)
		require.EqualValues(t, 1, m.jwksHits.Load(), "no background refresh without Run")

		state.set(func(s *jwksState) { s.status = http.StatusBadGateway })
		advance(time.Nanosecond)
		_, err = p.Keys(t.Context())
		require.ErrorIs(t, err, discovery.ErrStaleKeys)
		require.ErrorIs(t, err, discovery.ErrStatus)
		require.EqualValues(t, 2, m.jwksHits.Load(), "one attempt")
		for range 10 {
			_, err = p.Keys(t.Context())
			require.ErrorIs(t, err, discovery.ErrStaleKeys)
		}
		require.EqualValues(t, 2, m.jwksHits.Load(), "further attempts wait for the cooldown")

		state.set(func(s *jwksState) { s.status = 0 })
		advance(discovery.DefaultMinRefreshInterval)
		ks, err := p.Keys(t.Context())
		require.NoError(t, err)
		require.NotSame(t, good, ks)
		require.EqualValues(t, 3, m.jwksHits.Load())
	})
}

// security.md E32: a flapping endpoint (alternately 200 and 500) never
// replaces good keys with nothing, and the fetch rate stays bounded.
func TestFlappingEndpoint(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		state := &jwksState{keys: keyPool()[1:2], cacheControl: "max-age=0"}
		var mu sync.Mutex
		n := 0
		m := &memTransport{}
		m.keys = func(_ int64, r *http.Request) (*http.Response, error) {
			mu.Lock()
			n++
			fail := n%2 == 0
			mu.Unlock()
			if fail {
				return respond(r, http.StatusInternalServerError, "flap")
			}
			return state.serve(0, r)
		}
		p, err := discovery.New(discovery.Config{IssuerURL: memIssuer, HTTPClient: &http.Client{Transport: m}})
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() {
			defer close(done)
			p.Run(ctx)
		}()
		_, err = p.Keys(t.Context())
		require.NoError(t, err)
		for range 120 {
			advance(30 * time.Second)
			ks, err := p.Keys(t.Context())
			require.NoError(t, err)
			require.Equal(t, 1, ks.Len())
		}
		// One hour: a success every ~1 min, each failure retried ~10 s later.
		require.LessOrEqual(t, m.jwksHits.Load(), int64(2*60*10/9+2))
		cancel()
		<-done
	})
}

// Issue 3 item 2: the cooldown, and the negative cache per unknown kid.
func TestUnknownKIDCooldownAndNegativeCache(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		keys := keyPool()
		state := &jwksState{keys: keys[1:2]} // ec-1
		p, m := lifecycleProvider(t, state, discovery.Config{}, false)
		ctx := t.Context()
		hits := func() int64 { return m.jwksHits.Load() }
		lookup := func(kid string) (bool, int) {
			ks, refreshed, err := p.RefreshKeysFor(ctx, kid)
			require.NoError(t, err)
			return refreshed, len(ks.Lookup(kid))
		}

		_, err := p.Keys(ctx)
		require.NoError(t, err)
		require.EqualValues(t, 1, hits())

		// Right after the first fetch an unknown kid still gets a fetch.
		refreshed, n := lookup("x")
		require.True(t, refreshed)
		require.Zero(t, n)
		require.EqualValues(t, 2, hits())

		// "x" was proved absent: no fetch for it, even after the cooldown.
		refreshed, _ = lookup("x")
		require.False(t, refreshed)
		// Another kid within the cooldown: no fetch, and it is not
		// remembered (no fetch proved it absent).
		refreshed, _ = lookup("y")
		require.False(t, refreshed)
		require.EqualValues(t, 2, hits())

		advance(discovery.DefaultMinRefreshInterval)
		refreshed, _ = lookup("x")
		require.False(t, refreshed, "x is still in the negative cache")
		refreshed, _ = lookup("y")
		require.True(t, refreshed, "y was not")
		require.EqualValues(t, 3, hits())

		// A kid that is in the set costs nothing.
		refreshed, n = lookup("ec-1")
		require.False(t, refreshed)
		require.Equal(t, 1, n)

		// Rotation: ec-2 is published; its first token brings it in.
		state.set(func(s *jwksState) { s.keys = keys[1:3] })
		advance(discovery.DefaultMinRefreshInterval)
		refreshed, n = lookup("ec-2")
		require.True(t, refreshed)
		require.Equal(t, 1, n)
		require.EqualValues(t, 4, hits())

		// A remembered kid that appears in a later set is found at once.
		state.set(func(s *jwksState) { s.keys = keys[1:4] }) // + ec-3
		advance(discovery.DefaultMinRefreshInterval)
		refreshed, _ = lookup("z") // fetches, brings ec-3
		require.True(t, refreshed)
		refreshed, n = lookup("ec-3")
		require.False(t, refreshed)
		require.Equal(t, 1, n)
		require.EqualValues(t, 5, hits())

		// After UnknownKIDTTL, "x" may cause a fetch again.
		advance(discovery.DefaultUnknownKIDTTL)
		refreshed, _ = lookup("x")
		require.True(t, refreshed)
		require.EqualValues(t, 6, hits())

		// Tokens without kid are never remembered: only the cooldown
		// limits them.
		refreshed, _ = lookup("")
		require.False(t, refreshed)
		advance(discovery.DefaultMinRefreshInterval)
		refreshed, _ = lookup("")
		require.True(t, refreshed)
		require.EqualValues(t, 7, hits())
	})
}

// A token whose kid is missing from a fetch that started before the
// token arrived does not settle for it (the key may have been published
// in between): it fetches again if the cooldown allows, and the kid is
// not remembered as absent. Here the earlier fetch is Run's scheduled
// refresh, which does not start the cooldown.
func TestUnknownKIDDoesNotSettleForOlderFetch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		keys := keyPool()
		gate := make(chan struct{})
		state := &jwksState{keys: keys[1:2], cacheControl: "max-age=0"}
		p, m := lifecycleProvider(t, state, discovery.Config{}, true)
		_, err := p.Keys(t.Context())
		require.NoError(t, err)

		// The scheduled refresh starts (with the old set) and is held.
		state.set(func(s *jwksState) { s.gate = gate })
		advance(discovery.DefaultMinCacheTTL)
		require.EqualValues(t, 2, m.jwksHits.Load())

		// The new key is published and its first token arrives.
		state.set(func(s *jwksState) { s.keys = keys[1:3] })
		type result struct {
			ks        *discovery.KeySet
			refreshed bool
			err       error
		}
		got := make(chan result, 1)
		go func() {
			ks, refreshed, err := p.RefreshKeysFor(t.Context(), "ec-2")
			got <- result{ks, refreshed, err}
		}()
		synctest.Wait()
		close(gate) // the scheduled fetch returns the old set
		r := <-got
		require.NoError(t, r.err)
		require.True(t, r.refreshed)
		require.Len(t, r.ks.Lookup("ec-2"), 1)
		require.EqualValues(t, 3, m.jwksHits.Load(), "initial, scheduled, and the token's own")
	})
}

// Config.FetchObserver sees every fetch with its outcome.
func TestFetchObserver(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var events []discovery.FetchEvent
		state := &jwksState{keys: keyPool()[1:3], cacheControl: "max-age=120"}
		p, _ := lifecycleProvider(t, state, discovery.Config{FetchObserver: func(e discovery.FetchEvent) {
			mu.Lock()
			defer mu.Unlock()
			events = append(events, e)
		}}, true)
		synctest.Wait()
		_, err := p.Keys(t.Context())
		require.NoError(t, err)
		_, _, err = p.RefreshKeysFor(t.Context(), "nope")
		require.NoError(t, err)
		state.set(func(s *jwksState) { s.status = http.StatusInternalServerError })
		advance(2 * time.Minute)

		mu.Lock()
		defer mu.Unlock()
		// The failed refresh may have been retried once already.
		require.GreaterOrEqual(t, len(events), 4)
		type summary struct {
			Kind    discovery.FetchKind
			Trigger discovery.FetchTrigger
			Result  string
			Status  int
			Keys    int
		}
		var got []summary
		for _, e := range events[:4] {
			require.Equal(t, memIssuer, e.Issuer)
			require.GreaterOrEqual(t, e.Duration, time.Duration(0))
			got = append(got, summary{e.Kind, e.Trigger, e.Result(), e.StatusCode, e.Keys})
		}
		require.Equal(t, []summary{
			{discovery.FetchDiscovery, discovery.FetchInitial, "ok", 200, 0},
			{discovery.FetchJWKS, discovery.FetchInitial, "ok", 200, 2},
			{discovery.FetchJWKS, discovery.FetchUnknownKID, "ok", 200, 2},
			{discovery.FetchJWKS, discovery.FetchScheduled, "error", 500, 0},
		}, got)
		require.ErrorIs(t, events[3].Err, discovery.ErrStatus)
	})
}

// security.md G04: Close (ctx cancel) during a hanging refresh ends Run
// at once; synctest.Test fails if any goroutine is left behind.
func TestRunStopsDuringHangingRefresh(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		state := &jwksState{keys: keyPool()[1:2], cacheControl: "max-age=0"}
		m := &memTransport{keys: state.serve}
		p, err := discovery.New(discovery.Config{IssuerURL: memIssuer, HTTPClient: &http.Client{Transport: m}})
		require.NoError(t, err)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() {
			defer close(done)
			p.Run(ctx)
		}()
		_, err = p.Keys(t.Context())
		require.NoError(t, err)
		state.set(func(s *jwksState) { s.gate = make(chan struct{}) }) // never opened
		advance(discovery.DefaultMinCacheTTL)
		require.EqualValues(t, 2, m.jwksHits.Load())
		start := time.Now()
		cancel()
		<-done
		require.Zero(t, time.Since(start))
		require.NoError(t, p.LastError(), "being stopped is not the issuer's failure")
	})
}

// Keys never returns a nil set without an error, even when the only
// fetches so far were abandoned by their callers and the cooldown
// forbids another.
func TestKeysAfterAbandonedFetches(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		state := &jwksState{keys: keyPool()[1:2]}
		p, m := lifecycleProvider(t, state, discovery.Config{}, false)
		_, err := p.Discover(t.Context())
		require.NoError(t, err)
		for range 2 { // the free first fetch, then the first rate-limited one
			state.set(func(s *jwksState) { s.gate = make(chan struct{}) })
			ctx, cancel := context.WithTimeout(t.Context(), time.Second)
			_, err = p.Keys(ctx)
			cancel()
			require.ErrorIs(t, err, context.DeadlineExceeded)
		}
		require.EqualValues(t, 2, m.jwksHits.Load())
		ks, err := p.Keys(t.Context())
		require.Nil(t, ks)
		require.ErrorContains(t, err, "no keys yet: the last fetch was abandoned by its caller and the next may start in 9s")
		advance(9 * time.Second)
		ks, err = p.Keys(t.Context())
		require.NoError(t, err)
		require.Equal(t, 1, ks.Len())
	})
}
