package discovery_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/structauth/structauth/discovery"
)

// Scenario 301: keys are fetched on the first Keys call, then cached.
func TestKeys(t *testing.T) {
	ti := newTestIssuer(t, "")
	all := testKeys(t)
	// security.md E20: a key of unknown type is skipped, the others kept.
	unknown := testKey{JWK: map[string]any{"kty": "XYZ", "kid": "odd"}}
	ti.setKeys(all[0], all[1], unknown, all[2])

	clk := newClock()
	cfg := ti.config()
	cfg.Now = clk.Now
	p := ti.provider(t, cfg)
	ctx := t.Context()

	_, err := p.Discover(ctx)
	require.NoError(t, err)
	require.Zero(t, ti.JWKSHits.Load(), "discovery does not fetch keys")

	ks, err := p.Keys(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 1, ti.JWKSHits.Load())
	require.Equal(t, 3, ks.Len())
	require.Equal(t, clk.Now(), ks.FetchedAt())
	require.Len(t, ks.Skipped(), 1, "the unknown key type is skipped")

	require.Equal(t, []string{"rsa-1", "ec-1", "ec-2"}, kids(ks.Lookup("")), "no kid: every key, in document order")
	requireSameKey(t, all[1], ks.Lookup("ec-1")[0])
	requireSameKey(t, all[0], ks.Lookup("rsa-1")[0])
	require.Equal(t, "RS256", ks.Lookup("rsa-1")[0].Algorithm)
	require.Equal(t, "sig", ks.Lookup("rsa-1")[0].Use)
	require.Empty(t, ks.Lookup("unknown"))
	require.Empty(t, ks.Lookup("odd"))

	again, err := p.Keys(ctx)
	require.NoError(t, err)
	require.Same(t, ks, again)
	require.EqualValues(t, 1, ti.JWKSHits.Load(), "the second call uses the cache")

	other := ti.provider(t, cfg)
	oks, err := other.Keys(ctx)
	require.NoError(t, err)
	require.NotSame(t, ks, oks, "providers never share key sets")
}

func TestRefreshKeysNeedsDiscovery(t *testing.T) {
	ti := newTestIssuer(t, "")
	ti.set(func(ti *testIssuer) { ti.docIssuer = "https://other.example" })
	p := ti.provider(t, ti.config())
	ks, refreshed, err := p.RefreshKeys(t.Context())
	require.ErrorIs(t, err, discovery.ErrIssuerMismatch)
	require.False(t, refreshed)
	require.Nil(t, ks)
	require.Zero(t, ti.JWKSHits.Load())
}

func TestKeysDiscoversFirst(t *testing.T) {
	ti := newTestIssuer(t, "")
	p := ti.provider(t, ti.config())
	ks, err := p.Keys(t.Context())
	require.NoError(t, err)
	require.Equal(t, 1, ks.Len())
	_, ok := p.Document()
	require.True(t, ok)
}

func TestNilKeySet(t *testing.T) {
	var ks *discovery.KeySet
	require.Zero(t, ks.Len())
	require.Nil(t, ks.Lookup(""))
	require.Nil(t, ks.Skipped())
	require.True(t, ks.FetchedAt().IsZero())
}

// jwksFaults are JWKS responses that must never become the key set.
func jwksFaults() []struct {
	name    string
	handler http.HandlerFunc
	wantErr error
} {
	body := func(s string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(s)) }
	}
	return []struct {
		name    string
		handler http.HandlerFunc
		wantErr error
	}{
		{"500", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusInternalServerError) }, discovery.ErrStatus},
		{"garbage", body("<html>oops</html>"), discovery.ErrMalformedResponse},
		{"empty set", body(`{"keys":[]}`), discovery.ErrNoUsableKeys},
		{"only unusable keys", body(`{"keys":[{"kty":"XYZ","kid":"odd"}]}`), discovery.ErrNoUsableKeys},
		{"redirect to http", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://"+r.Host+"/keys", http.StatusFound)
		}, discovery.ErrInsecureURL},
		{"truncated JSON", body(`{"keys":[{"kty":"EC","kid":"ec-1","crv":"P-256"`), discovery.ErrMalformedResponse},
		{"oversized", func(w http.ResponseWriter, r *http.Request) {
			// A valid set padded past the limit, streamed without
			// Content-Length.
			set := jwks(keyPool()[2])
			_, _ = w.Write(set)
			w.(http.Flusher).Flush()
			_, _ = w.Write([]byte(strings.Repeat(" ", discovery.DefaultMaxBodyBytes)))
		}, discovery.ErrResponseTooLarge},
		{"gzip bomb", func(w http.ResponseWriter, r *http.Request) {
			// 8 MiB of JSON whitespace compresses to a few KiB; the
			// limit applies to the decompressed stream.
			var buf bytes.Buffer
			zw := gzip.NewWriter(&buf)
			_, _ = zw.Write(jwks(keyPool()[2]))
			_, _ = zw.Write(bytes.Repeat([]byte(" "), 8<<20))
			_ = zw.Close()
			w.Header().Set("Content-Encoding", "gzip")
			_, _ = w.Write(buf.Bytes())
		}, discovery.ErrResponseTooLarge},
	}
}

func TestKeysErrors(t *testing.T) {
	for _, tc := range jwksFaults() {
		t.Run(tc.name, func(t *testing.T) {
			ti := newTestIssuer(t, "")
			ti.setJWKSHandler(tc.handler)
			p := ti.provider(t, ti.config())
			ks, err := p.Keys(t.Context())
			require.ErrorIs(t, err, tc.wantErr)
			require.Nil(t, ks)
			require.Equal(t, err, p.LastError())
			require.True(t, strings.HasPrefix(err.Error(), "discovery: "), "got %q", err)
		})
	}
}

// Scenario 309 and security.md E04-E07: a failed refresh keeps the keys
// that worked and reports the error.
func TestFailedRefreshKeepsKeys(t *testing.T) {
	for _, tc := range jwksFaults() {
		t.Run(tc.name, func(t *testing.T) {
			ti := newTestIssuer(t, "")
			p := ti.provider(t, ti.config())
			ctx := t.Context()
			good, err := p.Keys(ctx)
			require.NoError(t, err)

			ti.setJWKSHandler(tc.handler)
			ks, refreshed, err := p.RefreshKeys(ctx)
			require.ErrorIs(t, err, tc.wantErr)
			require.False(t, refreshed)
			require.Same(t, good, ks, "the old set is returned")
			require.Equal(t, err, p.LastError())

			cur, err := p.Keys(ctx)
			require.NoError(t, err)
			require.Same(t, good, cur, "the old set stays current")
			require.EqualValues(t, 2, ti.JWKSHits.Load())
		})
	}
}

// Scenario 302: a rotated-in key is visible after one refresh, a removed
// one is gone.
func TestRefreshKeysRotation(t *testing.T) {
	ti := newTestIssuer(t, "")
	keys := testKeys(t)
	ti.setKeys(keys[0], keys[1])
	p := ti.provider(t, ti.config())
	ctx := t.Context()

	ks, err := p.Keys(ctx)
	require.NoError(t, err)
	require.Empty(t, ks.Lookup("ec-2"))

	ti.setKeys(keys[1], keys[2]) // rsa-1 removed, ec-2 added
	ks, refreshed, err := p.RefreshKeys(ctx)
	require.NoError(t, err)
	require.True(t, refreshed)
	require.EqualValues(t, 2, ti.JWKSHits.Load())
	requireSameKey(t, keys[2], ks.Lookup("ec-2")[0])
	require.Empty(t, ks.Lookup("rsa-1"))

	cur, err := p.Keys(ctx)
	require.NoError(t, err)
	require.Same(t, ks, cur)
	require.NoError(t, p.LastError())
}

// Scenario 304 and security.md E24: refreshes are rate-limited.
func TestRefreshKeysCooldown(t *testing.T) {
	ti := newTestIssuer(t, "")
	clk := newClock()
	cfg := ti.config()
	cfg.Now = clk.Now
	p := ti.provider(t, cfg)
	ctx := t.Context()

	first, err := p.Keys(ctx)
	require.NoError(t, err)
	require.EqualValues(t, 1, ti.JWKSHits.Load())

	// The first fetch does not count: a new kid right after start-up
	// still gets its refresh.
	ks, refreshed, err := p.RefreshKeys(ctx)
	require.NoError(t, err)
	require.True(t, refreshed)
	require.NotSame(t, first, ks)
	require.EqualValues(t, 2, ti.JWKSHits.Load())

	for range 10 {
		again, refreshed, err := p.RefreshKeys(ctx)
		require.NoError(t, err)
		require.False(t, refreshed)
		require.Same(t, ks, again, "the current keys are returned")
	}
	require.EqualValues(t, 2, ti.JWKSHits.Load(), "no fetch within the interval")

	clk.Add(discovery.DefaultMinRefreshInterval - time.Millisecond)
	_, refreshed, err = p.RefreshKeys(ctx)
	require.NoError(t, err)
	require.False(t, refreshed)
	require.EqualValues(t, 2, ti.JWKSHits.Load())

	clk.Add(time.Millisecond)
	_, refreshed, err = p.RefreshKeys(ctx)
	require.NoError(t, err)
	require.True(t, refreshed)
	require.EqualValues(t, 3, ti.JWKSHits.Load())

	t.Run("configured interval", func(t *testing.T) {
		ti := newTestIssuer(t, "")
		clk := newClock()
		cfg := ti.config()
		cfg.Now, cfg.MinRefreshInterval = clk.Now, time.Minute
		p := ti.provider(t, cfg)
		for _, step := range []struct {
			advance time.Duration
			want    bool
		}{{0, true}, {0, false}, {59 * time.Second, false}, {time.Second, true}, {time.Second, false}} {
			clk.Add(step.advance)
			_, refreshed, err := p.RefreshKeys(t.Context())
			require.NoError(t, err)
			require.Equal(t, step.want, refreshed)
		}
		require.EqualValues(t, 2, ti.JWKSHits.Load())
	})

	t.Run("failed fetches count", func(t *testing.T) {
		ti := newTestIssuer(t, "")
		ti.setJWKSHandler(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusServiceUnavailable) })
		clk := newClock()
		cfg := ti.config()
		cfg.Now = clk.Now
		p := ti.provider(t, cfg)

		// Keys' first attempt is free; after a failure, retries by Keys
		// and RefreshKeys share the cooldown.
		_, err := p.Keys(t.Context())
		require.ErrorIs(t, err, discovery.ErrStatus)
		_, err = p.Keys(t.Context())
		require.ErrorIs(t, err, discovery.ErrStatus)
		require.EqualValues(t, 2, ti.JWKSHits.Load())
		for range 5 {
			_, err = p.Keys(t.Context())
			require.ErrorIs(t, err, discovery.ErrStatus, "the last error is returned without a fetch")
			ks, refreshed, err := p.RefreshKeys(t.Context())
			require.NoError(t, err)
			require.False(t, refreshed)
			require.Nil(t, ks)
		}
		require.EqualValues(t, 2, ti.JWKSHits.Load())

		ti.setJWKSHandler(nil)
		clk.Add(discovery.DefaultMinRefreshInterval)
		ks, err := p.Keys(t.Context())
		require.NoError(t, err)
		require.Equal(t, 1, ks.Len())
		require.NoError(t, p.LastError())
	})
}

// Concurrent refreshes against a real server: one request, and every
// caller sees the new key. (TestSingleFlightSynctest proves that they
// joined the one flight rather than being turned away by the cooldown.)
func TestRefreshKeysConcurrent(t *testing.T) {
	ti := newTestIssuer(t, "")
	keys := testKeys(t)
	p := ti.provider(t, ti.config())
	_, err := p.Keys(t.Context())
	require.NoError(t, err)

	const n = 20
	release := make(chan struct{})
	h := ti.jwksHandlerFor(jwks(keys[1], keys[3]))
	ti.setJWKSHandler(func(w http.ResponseWriter, r *http.Request) {
		<-release
		h(w, r)
	})

	var wg sync.WaitGroup
	results := make([]*discovery.KeySet, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			results[i], _, errs[i] = p.RefreshKeys(t.Context())
		})
	}
	// Hold the fetch until it has started. A caller that arrives later
	// either joins it or, once it is over, is within the cooldown and
	// gets the new set: in no case is there a second request.
	require.Eventually(t, func() bool { return ti.JWKSHits.Load() == 2 }, 10*time.Second, time.Millisecond)
	close(release)
	wg.Wait()

	require.EqualValues(t, 2, ti.JWKSHits.Load(), "one fetch for all callers")
	for i := range n {
		require.NoError(t, errs[i])
		require.Len(t, results[i].Lookup("ec-3"), 1)
	}
}

func (ti *testIssuer) jwksHandlerFor(body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(body) }
}

// security.md E01/E03: a hanging server is bounded by the caller's ctx
// and by Config.Timeout.
func TestCancellation(t *testing.T) {
	t.Run("discovery, caller's deadline", func(t *testing.T) {
		ti := newTestIssuer(t, "")
		h, _ := hang(t)
		ti.setDocHandler(h)
		p := ti.provider(t, ti.config())
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		start := time.Now()
		_, err := p.Discover(ctx)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.Less(t, time.Since(start), 5*time.Second)
		require.NoError(t, p.LastError(), "the caller giving up is not an issuer failure")
	})

	t.Run("discovery, Config.Timeout", func(t *testing.T) {
		ti := newTestIssuer(t, "")
		h, _ := hang(t)
		ti.setDocHandler(h)
		cfg := ti.config()
		cfg.Timeout = 50 * time.Millisecond
		p := ti.provider(t, cfg)
		start := time.Now()
		_, err := p.Discover(context.Background())
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.Less(t, time.Since(start), 5*time.Second)
		require.ErrorIs(t, p.LastError(), context.DeadlineExceeded, "a timeout is the issuer's failure")
	})

	t.Run("keys, Config.Timeout keeps old keys", func(t *testing.T) {
		ti := newTestIssuer(t, "")
		cfg := ti.config()
		cfg.Timeout = 50 * time.Millisecond
		p := ti.provider(t, cfg)
		good, err := p.Keys(t.Context())
		require.NoError(t, err)
		h, _ := hang(t)
		ti.setJWKSHandler(h)
		ks, refreshed, err := p.RefreshKeys(t.Context())
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.False(t, refreshed)
		require.Same(t, good, ks)
	})

	t.Run("a waiter honours its own ctx", func(t *testing.T) {
		ti := newTestIssuer(t, "")
		p := ti.provider(t, ti.config())
		_, err := p.Discover(t.Context())
		require.NoError(t, err)
		release := make(chan struct{})
		arrived := make(chan struct{}, 1)
		ti.setJWKSHandler(func(w http.ResponseWriter, r *http.Request) {
			arrived <- struct{}{}
			<-release
			_, _ = w.Write(jwks(testKeys(t)[2]))
		})

		leader := make(chan error, 1)
		go func() {
			_, err := p.Keys(context.Background())
			leader <- err
		}()
		<-arrived
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		_, err = p.Keys(ctx)
		require.ErrorIs(t, err, context.DeadlineExceeded)

		close(release)
		require.NoError(t, <-leader)
		require.EqualValues(t, 1, ti.JWKSHits.Load())
	})
}
