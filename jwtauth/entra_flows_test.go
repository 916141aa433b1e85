package jwtauth_test

// Entra fixtures that need more than one token or a dedicated fake:
// F5 (no outbound request), F9 (B2C), F15 (key rotation), concurrency.

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/structauth/structauth/claims"
	"github.com/structauth/structauth/jwtauth"
	"github.com/structauth/structauth/jwtauth/jwtauthtest"
)

// F5: the overage endpoint in the token is never fetched.
func TestEntraOverageNoOutboundRequest(t *testing.T) {
	env := newEntraEnv(t)
	a := env.auth(t, "CFG-A1")
	tok := env.sign(t, v1, env.fixture(t, "F1", overage("src1")))
	u, err := a.Authenticate(context.Background(), tok)
	require.NoError(t, err)
	require.False(t, u.GroupsComplete)
	require.Empty(t, u.Groups)
	for _, r := range env.fake.Requests() {
		require.NotContains(t, r, "graph.", "no request to a Graph host")
	}
}

// F9: B2C, with the standard configuration of EntraB2CConfig.
func TestEntraB2C(t *testing.T) {
	env := newEntraEnv(t)
	a := env.b2cAuth(t)
	ctx := context.Background()
	b2c := jwtauthtest.EntraSignOptions{Key: jwtauthtest.EntraKeyB2C}
	for _, sub := range []string{oidErin, "Not supported currently. Use oid claim."} {
		c := env.fixture(t, "F9", map[string]any{"sub": sub})
		u, err := a.Authenticate(ctx, env.sign(t, b2c, c))
		require.NoError(t, err)
		require.Equal(t, "erin@example.net", u.Username)
		require.Equal(t, tidB2C+"/"+oidErin, u.UID)
		require.Equal(t, []string{"erin@example.net"}, u.Extra[jwtauth.EntraExtraEmail])
		require.NotContains(t, u.Extra, jwtauth.EntraExtraEmailVerified)
		cs, err := claims.FromMap(c)
		require.NoError(t, err)
		id, err := claims.ParseEntra(cs, claims.EntraOptions{})
		require.NoError(t, err)
		require.Equal(t, "erin@example.net", id.Username)
		require.Equal(t, "emails", id.UsernameClaim)
		require.Equal(t, "erin@example.net", id.Email)
		require.Equal(t, claims.EmailVerificationUnknown, id.EmailVerified)
	}
	// F9b: the tfp issuer form is refused, with the reason.
	c := env.fixture(t, "F9", map[string]any{"iss": "https://contosob2c.b2clogin.com/tfp/" + tidB2C + "/b2c_1_signupsignin1/v2.0/"})
	_, err := a.Authenticate(ctx, env.sign(t, b2c, c))
	require.ErrorIs(t, err, jwtauth.ErrUnknownIssuer)
	require.ErrorIs(t, err, jwtauth.ErrEntraIssuerForm)
	// Another user flow of the same tenant is refused by its rule.
	c = env.fixture(t, "F9", map[string]any{"tfp": "B2C_1_other"})
	_, err = a.Authenticate(ctx, env.sign(t, b2c, c))
	require.ErrorIs(t, err, jwtauth.ErrClaimRule)
}

// F15: a key rotated in is accepted after exactly one refetch.
func TestEntraKeyRotation(t *testing.T) {
	env := newEntraEnv(t)
	a := env.auth(t, "CFG-A12")
	ctx := context.Background()
	keysFetches := func() int {
		n := 0
		for _, r := range env.fake.Requests() {
			if strings.HasSuffix(r, "/"+tidA+"/discovery/v2.0/keys") {
				n++
			}
		}
		return n
	}
	_, err := a.Authenticate(ctx, env.sign(t, v2, env.fixture(t, "F3", nil)))
	require.NoError(t, err)
	require.Equal(t, 1, keysFetches())
	require.NoError(t, env.fake.RotateKey(jwtauthtest.EntraKeyPublic))
	u, err := a.Authenticate(ctx, env.sign(t, v2, env.fixture(t, "F3", nil)))
	require.NoError(t, err)
	require.Equal(t, "jane@contoso.com", u.Username)
	require.Equal(t, 2, keysFetches(), "exactly one refetch")
}

// EntraAuthenticator is safe for concurrent use (run with -race).
func TestEntraConcurrent(t *testing.T) {
	env := newEntraEnv(t)
	a := env.auth(t, "CFG-A12")
	toks := []string{
		env.sign(t, v2, env.fixture(t, "F3", nil)),
		env.sign(t, v1, env.fixture(t, "F3b", nil)),
		env.sign(t, v2, env.fixture(t, "F4b", nil)),
		env.sign(t, jwtauthtest.EntraSignOptions{Key: jwtauthtest.EntraKeyMSA}, env.fixture(t, "F3", nil)),
	}
	// The first token of an issuer waits for its discovery; later ones
	// fail fast while it runs (ErrNotReady), so warm both issuers up.
	for _, tok := range toks[:2] {
		_, err := a.Authenticate(context.Background(), tok)
		require.NoError(t, err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 20; i++ {
				tok := toks[(g+i)%len(toks)]
				_, err := a.Authenticate(context.Background(), tok)
				if tok == toks[3] {
					if !errors.Is(err, jwtauth.ErrEntraSigningKeyIssuer) {
						t.Errorf("want ErrEntraSigningKeyIssuer, got %v", err)
					}
				} else if err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
}
