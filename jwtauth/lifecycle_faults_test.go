package jwtauth_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/structauth/structauth/discovery"
	"github.com/structauth/structauth/jwtauth"
	"github.com/structauth/structauth/jwtauth/jwtauthtest"
)

// Key lifecycle against real TLS servers (jwtauthtest.Issuer) with
// injected faults, on real time: short intervals via Options.

// Issue 3 item 5: Ready fetches every issuer's document and keys and
// names each issuer that is not ready, and why.
func TestReady(t *testing.T) {
	good := newIssuer(t, jwtauthtest.IssuerOptions{Path: "/good"})
	mismatch := newIssuer(t, jwtauthtest.IssuerOptions{Path: "/mismatch", DiscoveryIssuer: "https://something-else"})
	broken := newIssuer(t, jwtauthtest.IssuerOptions{Path: "/broken"})
	broken.SetJWKSHandler(jwtauthtest.StatusFault(500))
	a := newAuthenticator(t, jwtauth.Options{MinRefreshInterval: 10 * time.Millisecond},
		baseAuthenticator(good), baseAuthenticator(mismatch), baseAuthenticator(broken))
	ctx := t.Context()

	err := a.Ready(ctx)
	require.ErrorIs(t, err, jwtauth.ErrNotReady)
	var re *jwtauth.ReadyError
	require.ErrorAs(t, err, &re)
	require.Len(t, re.Issuers, 2)
	require.Equal(t, mismatch.URL, re.Issuers[0].Issuer)
	require.Equal(t, 1, re.Issuers[0].Authenticator)
	require.ErrorIs(t, re.Issuers[0].Err, discovery.ErrIssuerMismatch)
	require.Equal(t, broken.URL, re.Issuers[1].Issuer)
	require.Equal(t, 2, re.Issuers[1].Authenticator)
	require.ErrorIs(t, re.Issuers[1].Err, discovery.ErrStatus)
	require.ErrorIs(t, err, discovery.ErrIssuerMismatch, "causes are visible through the ReadyError")
	require.True(t, strings.HasPrefix(err.Error(), "jwtauth: 2 of 3 issuers not ready; jwt[1] issuer "+`"`+mismatch.URL+`"`), err.Error())
	require.Contains(t, err.Error(), broken.URL)
	require.NotContains(t, err.Error(), good.URL)

	require.Equal(t, 1, good.JWKSRequests(), "Ready fetches keys eagerly")
	require.Equal(t, 0, mismatch.JWKSRequests())

	// Tokens fail fast with a named error; they never wait for Ready.
	_, err = a.Authenticate(ctx, sign(t, mismatch, jwtauthtest.SignOptions{}, baseClaims(mismatch)))
	require.ErrorIs(t, err, jwtauth.ErrNotReady)
	_, err = a.Authenticate(ctx, sign(t, broken, jwtauthtest.SignOptions{}, baseClaims(broken)))
	require.ErrorIs(t, err, jwtauth.ErrKeys)
	_, err = a.Authenticate(ctx, sign(t, good, jwtauthtest.SignOptions{}, baseClaims(good)))
	require.NoError(t, err)

	// Once everything is fetched, Ready does no I/O for that issuer.
	broken.SetJWKSHandler(nil)
	time.Sleep(20 * time.Millisecond) // the retry cooldown
	err = a.Ready(ctx)
	require.ErrorAs(t, err, &re)
	require.Len(t, re.Issuers, 1)
	require.Equal(t, mismatch.URL, re.Issuers[0].Issuer)
	require.Equal(t, 1, good.JWKSRequests())
	require.Equal(t, 1, good.DiscoveryRequests())

	t.Run("bounded by ctx", func(t *testing.T) {
		hanging := newIssuer(t, jwtauthtest.IssuerOptions{})
		hanging.SetJWKSHandler(hanging.HangFault())
		a := newAuthenticator(t, jwtauth.Options{}, baseAuthenticator(hanging))
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		err := a.Ready(ctx)
		require.Less(t, time.Since(start), 5*time.Second)
		require.ErrorIs(t, err, jwtauth.ErrNotReady)
		require.ErrorIs(t, err, context.DeadlineExceeded)
	})

	t.Run("all ready", func(t *testing.T) {
		a := newAuthenticator(t, jwtauth.Options{}, baseAuthenticator(good))
		require.NoError(t, a.Ready(t.Context()))
	})
}

// Issue 3 item 3 and security.md E01-E07, E25, E32: whatever the JWKS
// endpoint does after warm-up, tokens signed by the cached keys keep
// verifying (without waiting on the endpoint), and a token with a new
// kid fails with ErrUnknownKey whose cause says what went wrong.
func TestFaultsKeepLastGoodKeys(t *testing.T) {
	cases := []struct {
		name    string
		handler func(iss *jwtauthtest.Issuer) http.HandlerFunc
		wantErr error
	}{
		{name: "500", handler: func(*jwtauthtest.Issuer) http.HandlerFunc { return jwtauthtest.StatusFault(500) }, wantErr: discovery.ErrStatus},
		{name: "429", handler: func(*jwtauthtest.Issuer) http.HandlerFunc { return jwtauthtest.StatusFault(429) }, wantErr: discovery.ErrStatus},
		{name: "garbage", handler: func(*jwtauthtest.Issuer) http.HandlerFunc { return jwtauthtest.GarbageFault() }, wantErr: discovery.ErrMalformedResponse},
		{name: "empty set", handler: func(*jwtauthtest.Issuer) http.HandlerFunc { return jwtauthtest.EmptySetFault() }, wantErr: discovery.ErrNoUsableKeys},
		{name: "huge", handler: func(*jwtauthtest.Issuer) http.HandlerFunc {
			return jwtauthtest.HugeFault(2 * discovery.DefaultMaxBodyBytes)
		}, wantErr: discovery.ErrResponseTooLarge},
		{name: "redirect to http", handler: func(iss *jwtauthtest.Issuer) http.HandlerFunc {
			return jwtauthtest.RedirectFault("http" + strings.TrimPrefix(iss.JWKSURL(), "https"))
		}, wantErr: discovery.ErrInsecureURL},
		{name: "hang", handler: func(iss *jwtauthtest.Issuer) http.HandlerFunc { return iss.HangFault() }, wantErr: context.DeadlineExceeded},
		{name: "slow", handler: func(iss *jwtauthtest.Issuer) http.HandlerFunc {
			return jwtauthtest.DelayFault(time.Hour, iss.KeysHandler())
		}, wantErr: context.DeadlineExceeded},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			iss := newIssuer(t, jwtauthtest.IssuerOptions{})
			a := newAuthenticator(t, jwtauth.Options{MinRefreshInterval: time.Millisecond}, baseAuthenticator(iss))
			known := sign(t, iss, jwtauthtest.SignOptions{Alg: "ES256"}, baseClaims(iss))
			_, err := a.Authenticate(t.Context(), known)
			require.NoError(t, err)

			iss.SetJWKSHandler(tc.handler(iss))
			time.Sleep(2 * time.Millisecond)
			// The token's own deadline bounds a fetch that hangs.
			ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
			defer cancel()
			_, err = a.Authenticate(ctx, forgedToken(t, iss, "new-kid"))
			require.ErrorIs(t, err, jwtauth.ErrUnknownKey)
			require.ErrorIs(t, err, tc.wantErr)
			require.Equal(t, 2, iss.JWKSRequests())

			start := time.Now()
			_, err = a.Authenticate(t.Context(), known)
			require.NoError(t, err, "the last good keys keep working")
			require.Less(t, time.Since(start), time.Second, "and do not wait for the endpoint")
			require.NoError(t, a.Ready(t.Context()), "an issuer with usable keys is ready")
		})
	}

	t.Run("flapping", func(t *testing.T) {
		iss := newIssuer(t, jwtauthtest.IssuerOptions{})
		a := newAuthenticator(t, jwtauth.Options{MinRefreshInterval: time.Millisecond}, baseAuthenticator(iss))
		known := sign(t, iss, jwtauthtest.SignOptions{}, baseClaims(iss))
		_, err := a.Authenticate(t.Context(), known)
		require.NoError(t, err)
		iss.SetJWKSHandler(jwtauthtest.FlapFault(jwtauthtest.StatusFault(502), jwtauthtest.GarbageFault(), iss.KeysHandler()))
		for i := range 12 {
			time.Sleep(2 * time.Millisecond)
			_, err = a.Authenticate(t.Context(), forgedToken(t, iss, "kid-"+string(rune('a'+i))))
			require.ErrorIs(t, err, jwtauth.ErrUnknownKey)
			_, err = a.Authenticate(t.Context(), known)
			require.NoError(t, err)
		}
		require.Equal(t, 13, iss.JWKSRequests())
	})
}

// Keys and the unknown-kid cache are per issuer: a kid remembered as
// unknown for one issuer still triggers a fetch for another, and a key
// of one issuer never verifies another's token (security.md §0 item 5).
func TestKeyStateIsPerIssuer(t *testing.T) {
	one := newIssuer(t, jwtauthtest.IssuerOptions{Path: "/one"})
	two := newIssuer(t, jwtauthtest.IssuerOptions{Path: "/two"})
	a := newAuthenticator(t, jwtauth.Options{}, baseAuthenticator(one), baseAuthenticator(two))
	ctx := t.Context()
	for _, iss := range []*jwtauthtest.Issuer{one, two} {
		_, err := a.Authenticate(ctx, sign(t, iss, jwtauthtest.SignOptions{}, baseClaims(iss)))
		require.NoError(t, err)
	}

	_, err := a.Authenticate(ctx, forgedToken(t, one, "shared-kid"))
	require.ErrorIs(t, err, jwtauth.ErrUnknownKey)
	require.Equal(t, 2, one.JWKSRequests())
	_, err = a.Authenticate(ctx, forgedToken(t, two, "shared-kid"))
	require.ErrorIs(t, err, jwtauth.ErrUnknownKey)
	require.Equal(t, 2, two.JWKSRequests(), "issuer two fetched for itself")

	// Both issuers name their RSA key "rsa-1": a token for issuer two
	// signed with issuer one's rsa-1 fails.
	_, err = a.Authenticate(ctx, sign(t, one, jwtauthtest.SignOptions{}, baseClaims(two)))
	require.ErrorIs(t, err, jwtauth.ErrSignature)
}

// security.md G01/G07, run with -race: goroutines verify tokens while
// the issuer rotates keys and the background refresh swaps key sets
// every few milliseconds. Every result is a success or ErrUnknownKey (a
// key rotated out between signing and verifying).
func TestConcurrentVerificationDuringRotation(t *testing.T) {
	iss := newIssuer(t, jwtauthtest.IssuerOptions{CacheControl: "max-age=0"})
	a := newAuthenticator(t, jwtauth.Options{
		MinRefreshInterval: time.Millisecond,
		MinCacheTTL:        2 * time.Millisecond,
		MaxCacheTTL:        5 * time.Millisecond,
		MaxStaleness:       time.Minute,
	}, baseAuthenticator(iss))
	require.NoError(t, a.Ready(t.Context()))
	var stop atomic.Bool
	var ok, unknown atomic.Int64
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			algs := []string{"RS256", "ES256", "PS384", "ES512"}
			for i := 0; !stop.Load(); i++ {
				tok, err := iss.Sign(algs[(g+i)%len(algs)], baseClaims(iss))
				if err != nil {
					t.Error(err)
					return
				}
				switch _, err := a.Authenticate(context.Background(), tok); {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, jwtauth.ErrUnknownKey):
					unknown.Add(1)
				default:
					t.Errorf("unexpected error: %v", err)
					return
				}
			}
		})
	}
	for i := range 4 {
		time.Sleep(20 * time.Millisecond)
		require.NoError(t, iss.RotateKeys(i%2 == 0))
	}
	time.Sleep(20 * time.Millisecond)
	stop.Store(true)
	wg.Wait()
	t.Logf("%d accepted, %d unknown kid, %d JWKS fetches", ok.Load(), unknown.Load(), iss.JWKSRequests())
	require.Positive(t, ok.Load())
	require.Less(t, unknown.Load(), ok.Load())
	_, err := a.Authenticate(context.Background(), sign(t, iss, jwtauthtest.SignOptions{}, baseClaims(iss)))
	require.NoError(t, err)
}

func TestKeyOptionsValidation(t *testing.T) {
	cases := []struct {
		opts jwtauth.Options
		want string
	}{
		{jwtauth.Options{MinRefreshInterval: -1}, "Options.MinRefreshInterval must not be negative"},
		{jwtauth.Options{UnknownKIDTTL: -time.Second}, "Options.UnknownKIDTTL must not be negative"},
		{jwtauth.Options{MinCacheTTL: 2 * time.Hour}, "Options.MinCacheTTL (2h0m0s) must not exceed Options.MaxCacheTTL (1h0m0s)"},
		{jwtauth.Options{MaxCacheTTL: 48 * time.Hour}, "Options.MaxStaleness (24h0m0s) must exceed Options.MaxCacheTTL (48h0m0s)"},
		{jwtauth.Options{MaxStaleness: time.Minute}, "Options.MaxStaleness (1m0s) must exceed"},
	}
	cfg := &jwtauth.AuthenticationConfiguration{APIVersion: jwtauth.APIVersionV1, Kind: jwtauth.Kind, JWT: []jwtauth.JWTAuthenticator{baseAuthenticator(sharedIssuer)}}
	for _, tc := range cases {
		_, err := jwtauth.New(context.Background(), cfg, tc.opts)
		require.ErrorContains(t, err, tc.want)
	}
	a, err := jwtauth.New(context.Background(), cfg, jwtauth.Options{MaxCacheTTL: 48 * time.Hour, MaxStaleness: 72 * time.Hour})
	require.NoError(t, err)
	require.NoError(t, a.Close())
}
