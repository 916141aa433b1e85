package reload_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/structauth/structauth/jwtauth"
	"github.com/structauth/structauth/jwtauth/jwtauthtest"
	"github.com/structauth/structauth/jwtauth/reload"
)

func newIssuer(t *testing.T) *jwtauthtest.Issuer {
	t.Helper()
	iss, err := jwtauthtest.NewIssuer(jwtauthtest.IssuerOptions{})
	require.NoError(t, err)
	t.Cleanup(iss.Close)
	return iss
}

func token(t *testing.T, iss *jwtauthtest.Issuer, sub string) string {
	t.Helper()
	tok, err := iss.Sign("ES256", iss.Claims("kubernetes", sub, time.Now()))
	require.NoError(t, err)
	return tok
}

// configFor returns a configuration document trusting the issuers.
func configFor(t *testing.T, issuers ...*jwtauthtest.Issuer) []byte {
	t.Helper()
	cfg := jwtauth.AuthenticationConfiguration{APIVersion: jwtauth.APIVersionV1, Kind: jwtauth.Kind}
	for _, iss := range issuers {
		cfg.JWT = append(cfg.JWT, iss.Authenticator("kubernetes"))
	}
	data, err := json.Marshal(cfg)
	require.NoError(t, err)
	return data
}

// writeFile replaces path atomically, as an editor or kubelet would, so
// that a poll never reads half a file.
func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	tmp := path + ".tmp"
	require.NoError(t, os.WriteFile(tmp, data, 0o600))
	require.NoError(t, os.Rename(tmp, path))
}

// events collects OnReload events.
type events struct {
	mu  sync.Mutex
	evs []reload.Event
}

func (e *events) add(ev reload.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.evs = append(e.evs, ev)
}

func (e *events) list() []reload.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]reload.Event(nil), e.evs...)
}

// TestReloadUnderLoad swaps issuer A's configuration for issuer B's while
// goroutines authenticate tokens of both. Every answer must come from
// exactly the old or the new configuration (A accepted and B unknown, or
// the reverse), never from a half-built one (not ready, no keys), and a
// goroutine that saw the new configuration never sees the old one again.
func TestReloadUnderLoad(t *testing.T) {
	issA, issB := newIssuer(t), newIssuer(t)
	tokA, tokB := token(t, issA, "alice"), token(t, issB, "bob")
	path := filepath.Join(t.TempDir(), "config.json")
	writeFile(t, path, configFor(t, issA))
	var evs events
	a, err := reload.New(context.Background(), path, reload.Options{Interval: 10 * time.Millisecond, ReadyTimeout: 10 * time.Second, OnReload: evs.add})
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Close() })
	require.Equal(t, uint64(1), a.Status().Generation)

	const workers = 8
	var (
		stop     atomic.Bool
		requests atomic.Int64
		wg       sync.WaitGroup
		oldSeen  atomic.Int64
		newSeen  atomic.Int64
		failures = make(chan string, workers)
	)
	for w := range workers {
		wg.Go(func() {
			sawNew := false
			for i := 0; !stop.Load(); i++ {
				tok, isA := tokA, true
				if (i+w)%2 == 1 {
					tok, isA = tokB, false
				}
				u, err := a.Authenticate(context.Background(), tok)
				requests.Add(1)
				var isNew bool
				switch {
				case err == nil:
					isNew = !isA
					if (isA && u.Username != "alice") || (!isA && u.Username != "bob") {
						failures <- "wrong user " + u.Username
						return
					}
				case errors.Is(err, jwtauth.ErrUnknownIssuer):
					isNew = isA
				default:
					failures <- "half-built or broken state: " + err.Error()
					return
				}
				if isNew {
					sawNew = true
					newSeen.Add(1)
				} else {
					if sawNew {
						failures <- "the old configuration answered after the new one"
						return
					}
					oldSeen.Add(1)
				}
			}
		})
	}
	waitFor := func(n int64) {
		require.Eventually(t, func() bool { return requests.Load() >= n }, 20*time.Second, time.Millisecond)
	}
	waitFor(200)
	writeFile(t, path, configFor(t, issB))
	require.Eventually(t, func() bool { return a.Status().Generation == 2 }, 20*time.Second, 5*time.Millisecond)
	waitFor(requests.Load() + 200)
	stop.Store(true)
	wg.Wait()
	close(failures)
	for f := range failures {
		t.Fatal(f)
	}
	require.Positive(t, oldSeen.Load())
	require.Positive(t, newSeen.Load())
	t.Logf("%d requests: %d answered by the old configuration, %d by the new", requests.Load(), oldSeen.Load(), newSeen.Load())

	st := a.Status()
	require.NoError(t, st.LastError)
	got := evs.list()
	require.Len(t, got, 2)
	require.Equal(t, reload.TriggerInitial, got[0].Trigger)
	require.Equal(t, reload.TriggerPoll, got[1].Trigger)
	require.True(t, got[1].Swapped)
	require.Equal(t, st.Hash, got[1].Hash)
}

// TestReloadKeepsOld: every kind of bad new configuration leaves the old
// one serving and says why.
func TestReloadKeepsOld(t *testing.T) {
	issA := newIssuer(t)
	tokA := token(t, issA, "alice")
	broken := newIssuer(t)
	broken.SetJWKSHandler(jwtauthtest.StatusFault(http.StatusInternalServerError))
	hanging := newIssuer(t)
	hanging.SetJWKSHandler(hanging.HangFault())
	const readyTimeout = 600 * time.Millisecond

	tests := []struct {
		name    string
		change  func(t *testing.T, path string)
		wantErr error
		slow    bool // the attempt waits for ReadyTimeout
	}{
		{"invalid YAML", func(t *testing.T, path string) { writeFile(t, path, []byte("jwt: [unterminated\n")) }, nil, false},
		{"valid YAML, invalid configuration", func(t *testing.T, path string) {
			writeFile(t, path, []byte("apiVersion: apiserver.config.k8s.io/v1\nkind: AuthenticationConfiguration\njwt:\n- issuer:\n    url: http://insecure.example\n    audiences: [x]\n  claimMappings:\n    username:\n      claim: sub\n      prefix: \"\"\n"))
		}, nil, false},
		{"file deleted", func(t *testing.T, path string) { require.NoError(t, os.Remove(path)) }, os.ErrNotExist, false},
		{"JWKS answers 500", func(t *testing.T, path string) { writeFile(t, path, configFor(t, broken)) }, jwtauth.ErrNotReady, true},
		{"JWKS hangs", func(t *testing.T, path string) { writeFile(t, path, configFor(t, hanging)) }, jwtauth.ErrNotReady, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config.json")
			writeFile(t, path, configFor(t, issA))
			var evs events
			a, err := reload.New(context.Background(), path, reload.Options{Interval: -1, ReadyTimeout: readyTimeout, OnReload: evs.add})
			require.NoError(t, err)
			t.Cleanup(func() { _ = a.Close() })
			before := a.Status()

			tc.change(t, path)
			start := time.Now()
			err = a.Reload(context.Background())
			elapsed := time.Since(start)
			require.Error(t, err)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
			}
			if tc.slow {
				require.GreaterOrEqual(t, elapsed, readyTimeout-50*time.Millisecond)
			}
			require.Less(t, elapsed, readyTimeout+3*time.Second, "the readiness wait is bounded")

			st := a.Status()
			require.Equal(t, before.Generation, st.Generation)
			require.Equal(t, before.Hash, st.Hash)
			require.Equal(t, err, st.LastError)
			require.Equal(t, err, st.LastAttempt.Err)
			got := evs.list()
			require.Len(t, got, 2)
			require.Equal(t, err, got[1].Err)
			require.False(t, got[1].Swapped)

			u, err := a.Authenticate(context.Background(), tokA)
			require.NoError(t, err, "the old configuration still serves")
			require.Equal(t, "alice", u.Username)
		})
	}
}

// TestReloadPolling drives the poller through a bad file, a deleted file
// and a good one, and checks that each failure is reported once.
func TestReloadPolling(t *testing.T) {
	issA, issB := newIssuer(t), newIssuer(t)
	tokA, tokB := token(t, issA, "alice"), token(t, issB, "bob")
	path := filepath.Join(t.TempDir(), "config.json")
	writeFile(t, path, configFor(t, issA))
	var evs events
	a, err := reload.New(context.Background(), path, reload.Options{Interval: 5 * time.Millisecond, OnReload: evs.add})
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Close() })

	waitEvents := func(n int) []reload.Event {
		require.Eventually(t, func() bool { return len(evs.list()) >= n }, 10*time.Second, time.Millisecond)
		time.Sleep(50 * time.Millisecond) // ten more polls: no repeated reports
		got := evs.list()
		require.Len(t, got, n)
		return got
	}

	writeFile(t, path, []byte("{not json"))
	got := waitEvents(2)
	require.Error(t, got[1].Err)
	require.NotEmpty(t, got[1].Hash)

	require.NoError(t, os.Remove(path))
	got = waitEvents(3)
	require.ErrorIs(t, got[2].Err, os.ErrNotExist)
	require.Empty(t, got[2].Hash)

	// The same content as the serving one: no event, nothing rebuilt,
	// and the failure is over.
	require.Error(t, a.Status().LastError)
	writeFile(t, path, configFor(t, issA))
	require.Eventually(t, func() bool { return a.Status().LastError == nil }, 10*time.Second, time.Millisecond)
	time.Sleep(50 * time.Millisecond)
	require.Len(t, evs.list(), 3)
	require.Equal(t, uint64(1), a.Status().Generation)

	writeFile(t, path, configFor(t, issB))
	got = waitEvents(4)
	require.NoError(t, got[3].Err)
	require.True(t, got[3].Swapped)
	require.Equal(t, uint64(2), got[3].Generation)
	require.NoError(t, a.Status().LastError)

	_, err = a.Authenticate(context.Background(), tokA)
	require.ErrorIs(t, err, jwtauth.ErrUnknownIssuer)
	u, err := a.Authenticate(context.Background(), tokB)
	require.NoError(t, err)
	require.Equal(t, "bob", u.Username)
}

func TestReloadAKSProfile(t *testing.T) {
	iss := newIssuer(t)
	aks := iss.Authenticator("kubernetes")
	aks.ClaimMappings.Username = jwtauth.PrefixedClaimOrExpression{Expression: `"aks:jwt:" + claims.sub`}
	aks.Issuer.CertificateAuthority = "" // AKS wants a publicly trusted issuer: trust it through the client
	claimForm := iss.Authenticator("kubernetes")
	claimForm.Issuer.CertificateAuthority = ""
	doc := func(j jwtauth.JWTAuthenticator) []byte {
		data, err := json.Marshal(jwtauth.AuthenticationConfiguration{APIVersion: jwtauth.APIVersionV1, Kind: jwtauth.Kind,
			JWT: []jwtauth.JWTAuthenticator{j}})
		require.NoError(t, err)
		return data
	}
	tests := []struct {
		name     string
		config   []byte
		wantErr  string
		wantUser string
	}{
		{"claim-form mapping refused by the AKS profile", doc(claimForm), "claimMappings.username.claim", ""},
		{"prefixed expression mapping", doc(aks), "", "aks:jwt:alice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config.json")
			writeFile(t, path, tc.config)
			a, err := reload.New(context.Background(), path, reload.Options{Auth: jwtauth.Options{Profile: jwtauth.ProfileAKS, HTTPClient: iss.Client()}, Interval: -1})
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				require.Nil(t, a)
				return
			}
			require.NoError(t, err)
			t.Cleanup(func() { _ = a.Close() })
			u, err := a.Authenticate(context.Background(), token(t, iss, "alice"))
			require.NoError(t, err)
			require.Equal(t, tc.wantUser, u.Username)
		})
	}
}

func TestNewErrors(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	require.NoError(t, os.WriteFile(big, make([]byte, reload.MaxConfigBytes+1), 0o600))
	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("kind: Something\n"), 0o600))
	tests := []struct {
		name    string
		path    string
		opts    reload.Options
		wantErr error
	}{
		{"missing file", filepath.Join(dir, "none.yaml"), reload.Options{}, os.ErrNotExist},
		{"oversized file", big, reload.Options{}, nil},
		{"invalid configuration", bad, reload.Options{}, nil},
		{"negative ready timeout", bad, reload.Options{ReadyTimeout: -time.Second}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := reload.New(context.Background(), tc.path, tc.opts)
			require.Error(t, err)
			require.Nil(t, a)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
			}
		})
	}
}

// TestNewUnready: the first configuration serves even when its issuer is
// not ready yet, and says why.
func TestNewUnready(t *testing.T) {
	iss := newIssuer(t)
	iss.SetJWKSHandler(jwtauthtest.StatusFault(http.StatusServiceUnavailable))
	path := filepath.Join(t.TempDir(), "config.json")
	writeFile(t, path, configFor(t, iss))
	start := time.Now()
	a, err := reload.New(context.Background(), path, reload.Options{Interval: -1, ReadyTimeout: 300 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Close() })
	require.Less(t, time.Since(start), 3*time.Second)
	st := a.Status()
	require.Equal(t, uint64(1), st.Generation)
	require.ErrorIs(t, st.LastError, jwtauth.ErrNotReady)
	_, err = a.Authenticate(context.Background(), token(t, iss, "alice"))
	require.ErrorIs(t, err, jwtauth.ErrKeys)
}

func TestClose(t *testing.T) {
	iss := newIssuer(t)
	path := filepath.Join(t.TempDir(), "config.json")
	writeFile(t, path, configFor(t, iss))
	a, err := reload.New(context.Background(), path, reload.Options{Interval: time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, a.Close())
	require.NoError(t, a.Close(), "idempotent")
	_, err = a.Authenticate(context.Background(), token(t, iss, "alice"))
	require.ErrorIs(t, err, reload.ErrClosed)
	require.ErrorIs(t, a.Reload(context.Background()), reload.ErrClosed)
}

// TestCloseCancelsReadinessWait: Close does not wait for a poll that is
// waiting for an unready issuer.
func TestCloseCancelsReadinessWait(t *testing.T) {
	iss, hanging := newIssuer(t), newIssuer(t)
	hanging.SetJWKSHandler(hanging.HangFault())
	path := filepath.Join(t.TempDir(), "config.json")
	writeFile(t, path, configFor(t, iss))
	var evs events
	a, err := reload.New(context.Background(), path, reload.Options{Interval: time.Millisecond, ReadyTimeout: time.Minute, OnReload: evs.add})
	require.NoError(t, err)
	writeFile(t, path, configFor(t, hanging))
	require.Eventually(t, func() bool { return hanging.JWKSRequests() > 0 }, 10*time.Second, time.Millisecond)
	start := time.Now()
	require.NoError(t, a.Close())
	require.Less(t, time.Since(start), 5*time.Second)
}

// BenchmarkAuthenticate compares a token through the reloading wrapper
// with the same token on a plain jwtauth.Authenticator: the difference is
// the cost of the reference count.
func BenchmarkAuthenticate(b *testing.B) {
	iss, err := jwtauthtest.NewIssuer(jwtauthtest.IssuerOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer iss.Close()
	cfg := jwtauth.AuthenticationConfiguration{APIVersion: jwtauth.APIVersionV1, Kind: jwtauth.Kind,
		JWT: []jwtauth.JWTAuthenticator{iss.Authenticator("kubernetes")}}
	data, _ := json.Marshal(cfg)
	path := filepath.Join(b.TempDir(), "config.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		b.Fatal(err)
	}
	tok, err := iss.Sign("ES256", iss.Claims("kubernetes", "jane", time.Now()))
	if err != nil {
		b.Fatal(err)
	}
	plain, err := jwtauth.New(context.Background(), &cfg, jwtauth.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer plain.Close()
	reloading, err := reload.New(context.Background(), path, reload.Options{Interval: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer reloading.Close()
	for _, bc := range []struct {
		name string
		auth interface {
			Authenticate(context.Context, string) (*jwtauth.User, error)
		}
	}{{"jwtauth", plain}, {"reload", reloading}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := bc.auth.Authenticate(context.Background(), tok); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
