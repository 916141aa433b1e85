package reload

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/structauth/structauth/jwtauth"
	"github.com/structauth/structauth/jwtauth/jwtauthtest"
)

// TestOldClosedAfterLastCall: a swapped-out authenticator is closed only
// when the last call holding it returns, and then exactly once.
func TestOldClosedAfterLastCall(t *testing.T) {
	issA, err := jwtauthtest.NewIssuer(jwtauthtest.IssuerOptions{})
	require.NoError(t, err)
	t.Cleanup(issA.Close)
	issB, err := jwtauthtest.NewIssuer(jwtauthtest.IssuerOptions{})
	require.NoError(t, err)
	t.Cleanup(issB.Close)
	write := func(path string, iss *jwtauthtest.Issuer) {
		data, err := json.Marshal(jwtauth.AuthenticationConfiguration{APIVersion: jwtauth.APIVersionV1, Kind: jwtauth.Kind,
			JWT: []jwtauth.JWTAuthenticator{iss.Authenticator("kubernetes")}})
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(path, data, 0o600))
	}
	path := filepath.Join(t.TempDir(), "config.json")
	write(path, issA)
	a, err := New(context.Background(), path, Options{Interval: -1})
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Close() })

	// Two calls in flight on generation 1.
	g1 := a.acquire()
	g1b := a.acquire()
	require.Same(t, g1, g1b)
	require.Equal(t, int64(3), g1.refs.Load())

	write(path, issB)
	require.NoError(t, a.Reload(context.Background()))
	g2 := a.acquire()
	require.NotSame(t, g1, g2)
	require.Equal(t, uint64(2), g2.number)
	g2.release()

	require.False(t, g1.closed.Load(), "closed under a call in flight")
	tok, err := issA.Sign("RS256", issA.Claims("kubernetes", "alice", time.Now()))
	require.NoError(t, err)
	u, err := g1.auth.Authenticate(context.Background(), tok)
	require.NoError(t, err, "the old generation still works for its calls")
	require.Equal(t, "alice", u.Username)
	g1.release()
	require.False(t, g1.closed.Load())
	g1b.release()
	require.True(t, g1.closed.Load(), "closed with the last call")
	require.Equal(t, int64(0), g1.refs.Load())

	// A retired generation cannot be acquired again.
	require.Same(t, g2, a.acquire())
	a.cur.Load().release()

	require.NoError(t, a.Close())
	require.True(t, g2.closed.Load())
	require.Nil(t, a.acquire())
}
