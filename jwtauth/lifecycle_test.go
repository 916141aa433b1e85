package jwtauth_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/structauth/structauth/discovery"
	"github.com/structauth/structauth/jwtauth"
	"github.com/structauth/structauth/jwtauth/jwtauthtest"
)

// Key lifecycle through the Authenticator, on fake time: the issuer is
// created outside the synctest bubble and reached through its in-memory
// client (real sockets would stop fake time).

// memAuthenticator trusts iss through its in-memory client.
func memAuthenticator(t *testing.T, iss *jwtauthtest.Issuer, opts jwtauth.Options) *jwtauth.Authenticator {
	t.Helper()
	cfg := baseAuthenticator(iss)
	cfg.Issuer.CertificateAuthority = ""
	opts.HTTPClient = iss.InMemoryClient()
	return newAuthenticator(t, opts, cfg)
}

// forgedToken is a token for iss whose header names kid. Its signature
// is junk: with an unknown kid no key is ever tried, and forging one
// costs an attacker nothing, so it costs the test nothing either.
func forgedToken(t *testing.T, iss *jwtauthtest.Issuer, kid string) string {
	t.Helper()
	payload, err := json.Marshal(baseClaims(iss))
	require.NoError(t, err)
	return jwtauthtest.EncodeSegment(fmt.Sprintf(`{"alg":"ES256","kid":%q}`, kid)) + "." +
		jwtauthtest.EncodeSegment(string(payload)) + "." + jwtauthtest.EncodeSegment("junk")
}

// Issue 3, "a test proving the bound": workers goroutines present tokens
// with random kids, one every 100 ms each, for a minute of fake time.
// The documented bound is 2 + T/MinRefreshInterval JWKS fetches (the
// first fetch, then at most one per interval), here 2 + 60/10 = 8,
// against the 12,000 that go-oidc v3 would make. Tokens signed by a
// known key keep working throughout.
func TestUnknownKIDFloodIsBounded(t *testing.T) {
	iss := newIssuer(t, jwtauthtest.IssuerOptions{})
	good := sign(t, iss, jwtauthtest.SignOptions{Alg: "ES256"}, baseClaims(iss))
	synctest.Test(t, func(t *testing.T) {
		a := memAuthenticator(t, iss, jwtauth.Options{})
		const (
			workers = 20
			every   = 100 * time.Millisecond
			period  = time.Minute
		)
		// Background discovery is done at once; until then tokens would
		// fail with ErrNotReady (TestReady covers that).
		synctest.Wait()
		var forged, accepted atomic.Int64
		start := time.Now()
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for i := 0; time.Since(start) < period; i++ {
					_, err := a.Authenticate(t.Context(), forgedToken(t, iss, fmt.Sprintf("%016x", rand.Uint64())))
					if !errors.Is(err, jwtauth.ErrUnknownKey) {
						t.Errorf("forged token: got %v, want ErrUnknownKey", err)
						return
					}
					forged.Add(1)
					if i%10 == 0 {
						if _, err := a.Authenticate(t.Context(), good); err != nil {
							t.Errorf("good token: %v", err)
							return
						}
						accepted.Add(1)
					}
					time.Sleep(every)
				}
			})
		}
		wg.Wait()

		bound := 2 + int(period/discovery.DefaultMinRefreshInterval)
		t.Logf("%d forged tokens from %d goroutines over %v of fake time: %d JWKS fetches (bound %d); %d good tokens accepted",
			forged.Load(), workers, period, iss.JWKSRequests(), bound, accepted.Load())
		require.EqualValues(t, workers*period/every, forged.Load())
		require.LessOrEqual(t, iss.JWKSRequests(), bound)
		require.Equal(t, 1, iss.DiscoveryRequests())
	})
}

// Issue 3, "a test proving rotation" (scenario 302): a token signed by a
// newly published key is accepted after exactly one refetch, with no
// restart, even right after start-up and even when the JWKS said
// max-age=3600 (where kube-apiserver refuses the key until the hour is
// over, scenario 305).
func TestRotationAcceptedAfterOneRefetch(t *testing.T) {
	for _, cc := range []string{"", "max-age=3600"} {
		t.Run("Cache-Control "+cc, func(t *testing.T) {
			iss := newIssuer(t, jwtauthtest.IssuerOptions{CacheControl: cc})
			synctest.Test(t, func(t *testing.T) {
				a := memAuthenticator(t, iss, jwtauth.Options{})
				ctx := t.Context()
				old := sign(t, iss, jwtauthtest.SignOptions{}, baseClaims(iss))
				_, err := a.Authenticate(ctx, old)
				require.NoError(t, err)
				require.Equal(t, 1, iss.JWKSRequests())

				// Right after the first fetch, the issuer rotates (old keys
				// removed).
				require.NoError(t, iss.RotateKeys(false))
				_, err = a.Authenticate(ctx, sign(t, iss, jwtauthtest.SignOptions{Alg: "PS256"}, baseClaims(iss)))
				require.NoError(t, err, "the new key is accepted")
				require.Equal(t, 2, iss.JWKSRequests(), "after exactly one refetch")
				_, err = a.Authenticate(ctx, sign(t, iss, jwtauthtest.SignOptions{Alg: "ES384"}, baseClaims(iss)))
				require.NoError(t, err)
				require.Equal(t, 2, iss.JWKSRequests())

				// The removed key is gone at once.
				_, err = a.Authenticate(ctx, old)
				require.ErrorIs(t, err, jwtauth.ErrUnknownKey)
				require.Equal(t, 2, iss.JWKSRequests())

				// A second rotation within the cooldown waits for it (the
				// documented worst case), then takes one refetch.
				require.NoError(t, iss.RotateKeys(true))
				tok := sign(t, iss, jwtauthtest.SignOptions{Alg: "ES256"}, baseClaims(iss))
				_, err = a.Authenticate(ctx, tok)
				require.ErrorIs(t, err, jwtauth.ErrUnknownKey)
				require.Equal(t, 2, iss.JWKSRequests())
				time.Sleep(discovery.DefaultMinRefreshInterval)
				_, err = a.Authenticate(ctx, tok)
				require.NoError(t, err)
				require.Equal(t, 3, iss.JWKSRequests())
			})
		})
	}
}

// Background refresh picks up a rotation with no token asking, and drops
// a removed key within one cache lifetime.
func TestBackgroundRefreshPicksUpRotation(t *testing.T) {
	iss := newIssuer(t, jwtauthtest.IssuerOptions{CacheControl: "max-age=120"})
	synctest.Test(t, func(t *testing.T) {
		a := memAuthenticator(t, iss, jwtauth.Options{})
		ctx := t.Context()
		old := sign(t, iss, jwtauthtest.SignOptions{}, baseClaims(iss))
		_, err := a.Authenticate(ctx, old)
		require.NoError(t, err)
		require.NoError(t, iss.RotateKeys(false))

		time.Sleep(2 * time.Minute)
		synctest.Wait()
		require.Equal(t, 2, iss.JWKSRequests(), "one background refresh")
		_, err = a.Authenticate(ctx, sign(t, iss, jwtauthtest.SignOptions{Alg: "ES512"}, baseClaims(iss)))
		require.NoError(t, err)
		require.Equal(t, 2, iss.JWKSRequests(), "the new keys were already there")
		for range 3 {
			_, err = a.Authenticate(ctx, old)
			require.ErrorIs(t, err, jwtauth.ErrUnknownKey, "the removed key no longer verifies")
		}
		require.Equal(t, 3, iss.JWKSRequests(), "its kid cost one fetch, then was remembered")
	})
}

// Issue 3 item 3: while the JWKS endpoint fails, the last good keys keep
// working until MaxStaleness; then tokens fail with ErrKeys and a reason,
// and Ready says so; recovery needs no restart.
func TestStaleKeys(t *testing.T) {
	iss := newIssuer(t, jwtauthtest.IssuerOptions{})
	synctest.Test(t, func(t *testing.T) {
		a := memAuthenticator(t, iss, jwtauth.Options{MaxStaleness: 2 * time.Hour})
		ctx := t.Context()
		tok := sign(t, iss, jwtauthtest.SignOptions{}, baseClaims(iss))
		_, err := a.Authenticate(ctx, tok)
		require.NoError(t, err)
		require.NoError(t, a.Ready(ctx))

		iss.SetJWKSHandler(jwtauthtest.StatusFault(503))
		time.Sleep(2 * time.Hour)
		synctest.Wait()
		_, err = a.Authenticate(ctx, tok)
		require.NoError(t, err, "stale but within MaxStaleness")
		require.NoError(t, a.Ready(ctx))
		fetches := iss.JWKSRequests()
		require.LessOrEqual(t, fetches, 2+2*60*10/9+5, "background retries about once a minute")

		time.Sleep(time.Second)
		_, err = a.Authenticate(ctx, tok)
		require.ErrorIs(t, err, jwtauth.ErrKeys)
		require.ErrorIs(t, err, discovery.ErrStaleKeys)
		require.ErrorContains(t, err, "too old to use")
		require.ErrorContains(t, err, "503")
		var je *jwtauth.Error
		require.ErrorAs(t, err, &je)
		require.Equal(t, jwtauth.CheckKeys, je.Check)
		err = a.Ready(ctx)
		require.ErrorIs(t, err, jwtauth.ErrNotReady)
		require.ErrorIs(t, err, discovery.ErrStaleKeys)

		iss.SetJWKSHandler(nil)
		time.Sleep(time.Minute)
		synctest.Wait()
		_, err = a.Authenticate(ctx, tok)
		require.NoError(t, err)
		require.NoError(t, a.Ready(ctx))
	})
}

// Options.FetchObserver reports every discovery and JWKS fetch.
func TestFetchObserverOption(t *testing.T) {
	iss := newIssuer(t, jwtauthtest.IssuerOptions{})
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		var events []discovery.FetchEvent
		a := memAuthenticator(t, iss, jwtauth.Options{FetchObserver: func(e discovery.FetchEvent) {
			mu.Lock()
			defer mu.Unlock()
			events = append(events, e)
		}})
		synctest.Wait()
		_, err := a.Authenticate(t.Context(), sign(t, iss, jwtauthtest.SignOptions{}, baseClaims(iss)))
		require.NoError(t, err)
		_, err = a.Authenticate(t.Context(), forgedToken(t, iss, "unknown"))
		require.ErrorIs(t, err, jwtauth.ErrUnknownKey)

		mu.Lock()
		defer mu.Unlock()
		require.Len(t, events, 3)
		for i, want := range []struct {
			kind    discovery.FetchKind
			trigger discovery.FetchTrigger
			keys    int
		}{
			{discovery.FetchDiscovery, discovery.FetchInitial, 0},
			{discovery.FetchJWKS, discovery.FetchInitial, 4},
			{discovery.FetchJWKS, discovery.FetchUnknownKID, 4},
		} {
			e := events[i]
			require.Equal(t, iss.URL, e.Issuer)
			require.Equal(t, want.kind, e.Kind)
			require.Equal(t, want.trigger, e.Trigger)
			require.Equal(t, "ok", e.Result())
			require.Equal(t, 200, e.StatusCode)
			require.Equal(t, want.keys, e.Keys)
		}
	})
}

// Close stops every background goroutine, even with a fetch hanging:
// synctest.Test fails if one is left behind.
func TestCloseStopsBackgroundWork(t *testing.T) {
	iss := newIssuer(t, jwtauthtest.IssuerOptions{CacheControl: "max-age=0"})
	synctest.Test(t, func(t *testing.T) {
		cfg := baseAuthenticator(iss)
		cfg.Issuer.CertificateAuthority = ""
		a, err := jwtauth.New(context.Background(), &jwtauth.AuthenticationConfiguration{
			APIVersion: jwtauth.APIVersionV1, Kind: jwtauth.Kind, JWT: []jwtauth.JWTAuthenticator{cfg},
		}, jwtauth.Options{HTTPClient: iss.InMemoryClient(), Now: func() time.Time { return testNow }})
		require.NoError(t, err)
		require.NoError(t, a.Ready(t.Context()))
		iss.SetJWKSHandler(iss.HangFault())
		time.Sleep(time.Minute)
		synctest.Wait() // the background refresh is now hanging
		require.Equal(t, 2, iss.JWKSRequests())
		require.NoError(t, a.Close())
		require.NoError(t, a.Close(), "idempotent")
	})
	iss.SetJWKSHandler(nil)
}
