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
