package discovery_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/structauth/structauth/discovery"
)

// The tests in this file run inside synctest bubbles, where time is fake
// and synctest.Wait tells when every goroutine is blocked. The issuer is
// an in-memory http.RoundTripper: real sockets would not be "durably
// blocked" and would defeat synctest.Wait.

const memIssuer = "https://issuer.test"

// memTransport serves a discovery document and a JWKS from memory. A
// handler may block; it must honour the request's context.
type memTransport struct {
	discoveryHits, jwksHits atomic.Int64
	// discovery and keys, when set, replace the default responses.
	discovery func(n int64, r *http.Request) (*http.Response, error)
	keys      func(n int64, r *http.Request) (*http.Response, error)
}

func (m *memTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	switch r.URL.String() {
	case memIssuer + "/.well-known/openid-configuration":
		n := m.discoveryHits.Add(1)
		if m.discovery != nil {
			return m.discovery(n, r)
		}
		return respond(r, http.StatusOK, fmt.Sprintf(`{"issuer":%q,"jwks_uri":%q}`, memIssuer, memIssuer+"/keys"))
	case memIssuer + "/keys":
		n := m.jwksHits.Add(1)
		if m.keys != nil {
			return m.keys(n, r)
		}
		return respond(r, http.StatusOK, string(jwks(keyPool()[1])))
	}
	return respond(r, http.StatusNotFound, "")
}

func respond(r *http.Request, code int, body string) (*http.Response, error) {
	return &http.Response{
		StatusCode:    code,
		Status:        fmt.Sprintf("%d %s", code, http.StatusText(code)),
		Header:        http.Header{},
		Body:          io.NopCloser(bytes.NewReader([]byte(body))),
		ContentLength: int64(len(body)),
		Request:       r,
	}, nil
}

func memProvider(t *testing.T, m *memTransport) *discovery.Provider {
	t.Helper()
	p, err := discovery.New(discovery.Config{IssuerURL: memIssuer, HTTPClient: &http.Client{Transport: m}})
	require.NoError(t, err)
	return p
}

// Security.md G / E24: N concurrent RefreshKeys calls, all blocked on
// one fetch, share it and all get its result.
func TestSingleFlightSynctest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		m := &memTransport{}
		m.keys = func(n int64, r *http.Request) (*http.Response, error) {
			select {
			case <-release:
			case <-r.Context().Done():
				return nil, r.Context().Err()
			}
			return respond(r, http.StatusOK, string(jwks(keyPool()[1:]...)))
		}
		p := memProvider(t, m)
		_, err := p.Discover(t.Context())
		require.NoError(t, err)

		const n = 50
		var wg sync.WaitGroup
		sets := make([]*discovery.KeySet, n)
		refreshed := make([]bool, n)
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() { sets[i], refreshed[i], errs[i] = p.RefreshKeys(t.Context()) })
		}
		synctest.Wait() // everyone is blocked: one in the transport, the rest waiting
		require.EqualValues(t, 1, m.jwksHits.Load())
		close(release)
		wg.Wait()

		require.EqualValues(t, 1, m.jwksHits.Load())
		for i := range n {
			require.NoError(t, errs[i])
			require.True(t, refreshed[i], "caller %d shared the fetch", i)
			require.Same(t, sets[0], sets[i])
		}
		require.Equal(t, 3, sets[0].Len())
	})
}

// When the caller that started a fetch gives up, the fetch is abandoned,
// and a waiter with a live context fetches again instead of failing with
// someone else's cancellation. Nothing is recorded as an issuer error.
func TestAbandonedFetchIsRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := &memTransport{}
		m.keys = func(n int64, r *http.Request) (*http.Response, error) {
			if n == 1 {
				<-r.Context().Done() // hang until the leader gives up
				return nil, r.Context().Err()
			}
			return respond(r, http.StatusOK, string(jwks(keyPool()[1])))
		}
		p := memProvider(t, m)
		_, err := p.Discover(t.Context())
		require.NoError(t, err)

		leaderCtx, cancel := context.WithCancel(t.Context())
		leader := make(chan error, 1)
		go func() {
			_, err := p.Keys(leaderCtx)
			leader <- err
		}()
		synctest.Wait()
		waiter := make(chan error, 1)
		var got *discovery.KeySet
		go func() {
			var err error
			got, err = p.Keys(t.Context())
			waiter <- err
		}()
		synctest.Wait()
		require.EqualValues(t, 1, m.jwksHits.Load())

		cancel()
		require.ErrorIs(t, <-leader, context.Canceled)
		require.NoError(t, <-waiter)
		require.Equal(t, 1, got.Len())
		require.EqualValues(t, 2, m.jwksHits.Load())
		require.NoError(t, p.LastError())
	})
}

// The same for discovery.
func TestAbandonedDiscoveryIsRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := &memTransport{}
		m.discovery = func(n int64, r *http.Request) (*http.Response, error) {
			if n == 1 {
				<-r.Context().Done()
				return nil, r.Context().Err()
			}
			return respond(r, http.StatusOK, fmt.Sprintf(`{"issuer":%q,"jwks_uri":%q}`, memIssuer, memIssuer+"/keys"))
		}
		p := memProvider(t, m)
		leaderCtx, cancel := context.WithCancel(t.Context())
		leader := make(chan error, 1)
		go func() {
			_, err := p.Discover(leaderCtx)
			leader <- err
		}()
		synctest.Wait()
		waiter := make(chan error, 1)
		go func() {
			_, err := p.Discover(t.Context())
			waiter <- err
		}()
		synctest.Wait()
		cancel()
		require.ErrorIs(t, <-leader, context.Canceled)
		require.NoError(t, <-waiter)
		require.EqualValues(t, 2, m.discoveryHits.Load())
	})
}

// Scenario 300 and kube's initialisation loop: Run tries at once, then
// every 10 s until discovery succeeds. It then stays to refresh keys, but
// fetches none until the first Keys call (scenario 301: lazy keys).
func TestRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var fail atomic.Bool
		fail.Store(true)
		m := &memTransport{}
		m.discovery = func(n int64, r *http.Request) (*http.Response, error) {
			if fail.Load() {
				return respond(r, http.StatusServiceUnavailable, "starting")
			}
			return respond(r, http.StatusOK, fmt.Sprintf(`{"issuer":%q,"jwks_uri":%q}`, memIssuer, memIssuer+"/keys"))
		}
		p := memProvider(t, m)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() {
			defer close(done)
			p.Run(ctx)
		}()

		synctest.Wait()
		require.EqualValues(t, 1, m.discoveryHits.Load(), "the first attempt is immediate")
		require.ErrorIs(t, p.LastError(), discovery.ErrStatus)

		time.Sleep(10*time.Second - time.Nanosecond)
		synctest.Wait()
		require.EqualValues(t, 1, m.discoveryHits.Load())
		time.Sleep(time.Nanosecond)
		synctest.Wait()
		require.EqualValues(t, 2, m.discoveryHits.Load(), "retried after 10 s")

		fail.Store(false)
		time.Sleep(10 * time.Second)
		synctest.Wait()
		require.EqualValues(t, 3, m.discoveryHits.Load())
		_, ok := p.Document()
		require.True(t, ok)
		require.NoError(t, p.LastError())

		time.Sleep(24 * time.Hour)
		synctest.Wait()
		require.EqualValues(t, 3, m.discoveryHits.Load(), "the document is fetched once")
		require.Zero(t, m.jwksHits.Load(), "Run does not fetch keys before Keys does")
		select {
		case <-done:
			t.Fatal("Run returned before its context ended")
		default:
		}
		cancel()
		<-done
	})
}

func TestRunStopsWithContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := &memTransport{}
		m.discovery = func(n int64, r *http.Request) (*http.Response, error) {
			return nil, errors.New("connection refused")
		}
		p := memProvider(t, m)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() {
			defer close(done)
			p.Run(ctx)
		}()
		time.Sleep(time.Minute)
		synctest.Wait()
		require.EqualValues(t, 7, m.discoveryHits.Load(), "0 s, 10 s, …, 60 s")
		cancel()
		<-done
		_, ok := p.Document()
		require.False(t, ok)
		require.ErrorContains(t, p.LastError(), "connection refused")
	})
}
