package jwtauth_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/structauth/structauth/jwtauth"
	"github.com/structauth/structauth/jwtauth/jwtauthtest"
)

func newIssuer(t *testing.T, o jwtauthtest.IssuerOptions) *jwtauthtest.Issuer {
	t.Helper()
	iss, err := jwtauthtest.NewIssuer(o)
	require.NoError(t, err)
	t.Cleanup(iss.Close)
	return iss
}

func sign(t *testing.T, iss *jwtauthtest.Issuer, o jwtauthtest.SignOptions, c map[string]any) string {
	t.Helper()
	tok, err := iss.SignWith(o, c)
	require.NoError(t, err)
	return tok
}

// Scenarios 84-88: discoveryURL and issuer paths.
func TestDiscoveryURL(t *testing.T) {
	for _, path := range []string{"", "/a/b/foo", "/a/b/foo/"} {
		t.Run("path "+path, func(t *testing.T) {
			iss := newIssuer(t, jwtauthtest.IssuerOptions{Path: path})
			a := newAuthenticator(t, jwtauth.Options{}, baseAuthenticator(iss))
			u, err := a.Authenticate(context.Background(), sign(t, iss, jwtauthtest.SignOptions{}, baseClaims(iss)))
			require.NoError(t, err)
			require.Equal(t, "jane", u.Username)
		})
	}
	t.Run("84 unresolvable issuer host, discoveryURL at the server", func(t *testing.T) {
		const issuerURL = "https://auth.example.com"
		iss := newIssuer(t, jwtauthtest.IssuerOptions{Path: "/c/d/bar", DiscoveryIssuer: issuerURL})
		cfg := baseAuthenticator(iss)
		cfg.Issuer.URL = issuerURL
		cfg.Issuer.DiscoveryURL = iss.DiscoveryURL()
		a := newAuthenticator(t, jwtauth.Options{}, cfg)
		c := baseClaims(iss)
		c["iss"] = issuerURL
		u, err := a.Authenticate(context.Background(), sign(t, iss, jwtauthtest.SignOptions{}, c))
		require.NoError(t, err)
		require.Equal(t, "jane", u.Username)
	})
}

// Scenarios 306 and 308: a discovery document that does not match means
// the issuer never becomes ready; other issuers' tokens are unaffected.
func TestDiscoveryFailures(t *testing.T) {
	cases := []struct {
		name string
		opts jwtauthtest.IssuerOptions
		sub  string
	}{
		{"306 issuer mismatch", jwtauthtest.IssuerOptions{DiscoveryIssuer: "https://something-else"}, "did not match"},
		{"308 no jwks_uri", jwtauthtest.IssuerOptions{OmitJWKSURI: true}, "JWKS URL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			iss := newIssuer(t, tc.opts)
			a := newAuthenticator(t, jwtauth.Options{}, baseAuthenticator(iss))
			_, err := a.Authenticate(context.Background(), sign(t, iss, jwtauthtest.SignOptions{}, baseClaims(iss)))
			require.ErrorIs(t, err, jwtauth.ErrNotReady)
			require.Contains(t, err.Error(), tc.sub)
			require.Equal(t, 0, iss.JWKSRequests())
		})
	}
}

// Scenarios 301-304: lazy JWKS, rotation picked up after one refetch,
// tokens without kid, unknown kids.
func TestKeyRotation(t *testing.T) {
	iss := newIssuer(t, jwtauthtest.IssuerOptions{})
	a := newAuthenticator(t, jwtauth.Options{}, baseAuthenticator(iss))
	ctx := context.Background()

	require.Equal(t, 0, iss.JWKSRequests(), "keys are fetched lazily")
	_, err := a.Authenticate(ctx, sign(t, iss, jwtauthtest.SignOptions{}, baseClaims(iss)))
	require.NoError(t, err)
	require.Equal(t, 1, iss.JWKSRequests())
	_, err = a.Authenticate(ctx, sign(t, iss, jwtauthtest.SignOptions{Alg: "ES384"}, baseClaims(iss)))
	require.NoError(t, err)
	require.Equal(t, 1, iss.JWKSRequests(), "second token uses the cached keys")

	require.NoError(t, iss.RotateKeys(false))
	_, err = a.Authenticate(ctx, sign(t, iss, jwtauthtest.SignOptions{Alg: "PS256"}, baseClaims(iss)))
	require.NoError(t, err, "a rotated-in key is accepted after one refetch")
	require.Equal(t, 2, iss.JWKSRequests())

	// 303: no kid: every key is tried.
	_, err = a.Authenticate(ctx, sign(t, iss, jwtauthtest.SignOptions{Alg: "ES256", OmitKeyID: true}, baseClaims(iss)))
	require.NoError(t, err)

	// 304: an unknown kid is rejected; refetches are rate-limited.
	for range 20 {
		_, err = a.Authenticate(ctx, sign(t, iss, jwtauthtest.SignOptions{KeyID: "random-kid"}, baseClaims(iss)))
		require.ErrorIs(t, err, jwtauth.ErrUnknownKey)
		require.ErrorIs(t, err, jwtauth.ErrSignature)
	}
	require.LessOrEqual(t, iss.JWKSRequests(), 3, "20 unknown-kid tokens must not cause 20 fetches")
}

// Scenario 309: when the JWKS endpoint fails after warm-up, cached keys
// keep working and unknown keys fail.
func TestJWKSOutageKeepsCachedKeys(t *testing.T) {
	iss := newIssuer(t, jwtauthtest.IssuerOptions{})
	a := newAuthenticator(t, jwtauth.Options{}, baseAuthenticator(iss))
	ctx := context.Background()
	_, err := a.Authenticate(ctx, sign(t, iss, jwtauthtest.SignOptions{}, baseClaims(iss)))
	require.NoError(t, err)

	iss.SetJWKSHandler(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusInternalServerError) })
	_, err = a.Authenticate(ctx, sign(t, iss, jwtauthtest.SignOptions{Alg: "ES512"}, baseClaims(iss)))
	require.NoError(t, err)
	_, err = a.Authenticate(ctx, sign(t, iss, jwtauthtest.SignOptions{Signer: mustECKey(t), Alg: "ES256", KeyID: "new"}, baseClaims(iss)))
	require.ErrorIs(t, err, jwtauth.ErrSignature)
}

// The CA in the configuration is what is trusted: a wrong CA never
// reaches the issuer.
func TestCertificateAuthority(t *testing.T) {
	iss := newIssuer(t, jwtauthtest.IssuerOptions{})
	cfg := baseAuthenticator(iss)
	cfg.Issuer.CertificateAuthority = ""
	a := newAuthenticator(t, jwtauth.Options{}, cfg) // system roots: the test CA is not trusted
	_, err := a.Authenticate(context.Background(), sign(t, iss, jwtauthtest.SignOptions{}, baseClaims(iss)))
	require.ErrorIs(t, err, jwtauth.ErrNotReady)

	// Options.HTTPClient is the alternative to certificateAuthority ...
	a = newAuthenticator(t, jwtauth.Options{HTTPClient: iss.Client()}, cfg)
	_, err = a.Authenticate(context.Background(), sign(t, iss, jwtauthtest.SignOptions{}, baseClaims(iss)))
	require.NoError(t, err)

	// ... and the two together are refused, as in kube-apiserver.
	both := &jwtauth.AuthenticationConfiguration{APIVersion: jwtauth.APIVersionV1, Kind: jwtauth.Kind, JWT: []jwtauth.JWTAuthenticator{baseAuthenticator(iss)}}
	_, err = jwtauth.New(context.Background(), both, jwtauth.Options{HTTPClient: iss.Client()})
	require.ErrorContains(t, err, "mutually exclusive")
}

// Several issuers: routing by exact iss; keys are never shared.
func TestMultipleIssuers(t *testing.T) {
	one := newIssuer(t, jwtauthtest.IssuerOptions{Path: "/one"})
	two := newIssuer(t, jwtauthtest.IssuerOptions{Path: "/two"})
	cfg2 := baseAuthenticator(two)
	cfg2.ClaimMappings.Username.Prefix = ptr("two:")
	a := newAuthenticator(t, jwtauth.Options{}, baseAuthenticator(one), cfg2)
	ctx := context.Background()

	u, err := a.Authenticate(ctx, sign(t, two, jwtauthtest.SignOptions{}, baseClaims(two)))
	require.NoError(t, err)
	require.Equal(t, "two:jane", u.Username)

	// A token claiming issuer two but signed by issuer one's key (same kid
	// naming scheme!) must fail: keys are per issuer.
	_, err = a.Authenticate(ctx, sign(t, one, jwtauthtest.SignOptions{}, baseClaims(two)))
	require.ErrorIs(t, err, jwtauth.ErrSignature)
}

// Concurrent verification while keys rotate: run with -race.
func TestConcurrentAuthenticateDuringRotation(t *testing.T) {
	iss := newIssuer(t, jwtauthtest.IssuerOptions{})
	a := newAuthenticator(t, jwtauth.Options{}, baseAuthenticator(iss))
	ctx := context.Background()
	var wg sync.WaitGroup
	var ok atomic.Int64
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				tok, err := iss.Sign([]string{"RS256", "ES256", "PS384", "ES512"}[(g+i)%4], baseClaims(iss))
				if err != nil {
					t.Error(err)
					return
				}
				if _, err := a.Authenticate(ctx, tok); err == nil {
					ok.Add(1)
				}
			}
		}()
	}
	require.NoError(t, iss.RotateKeys(true))
	wg.Wait()
	require.Positive(t, ok.Load())
}

// Distributed groups claims (scenarios 8, 9, 12-15, 18, 37).
func TestDistributedClaims(t *testing.T) {
	iss := newIssuer(t, jwtauthtest.IssuerOptions{})
	var (
		mu       sync.Mutex
		body     string
		gotAuthz string
	)
	iss.Handle("/groups", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		gotAuthz = r.Header.Get("Authorization")
		_, _ = fmt.Fprint(w, body)
	}))
	endpoint := iss.ServerURL() + "/groups"
	setBody := func(c map[string]any) {
		tok := sign(t, iss, jwtauthtest.SignOptions{}, c)
		mu.Lock()
		body = tok
		mu.Unlock()
	}
	distributed := func() map[string]any {
		c := baseClaims(iss)
		c["_claim_names"] = map[string]any{"groups": "src1"}
		c["_claim_sources"] = map[string]any{"src1": map[string]any{"endpoint": endpoint, "access_token": "groups_token"}}
		return c
	}
	groupsJWT := func(groups any, aud string, exp time.Time) map[string]any {
		return map[string]any{"iss": iss.URL, "aud": aud, "exp": exp.Unix(), "groups": groups}
	}
	cfg := baseAuthenticator(iss)
	cfg.ClaimMappings.Groups = jwtauth.PrefixedClaimOrExpression{Claim: "groups", Prefix: ptr("")}
	a := newAuthenticator(t, jwtauth.Options{}, cfg)
	ctx := context.Background()

	setBody(groupsJWT([]string{"team1", "team2"}, "my-client", testNow.Add(time.Hour)))
	u, err := a.Authenticate(ctx, sign(t, iss, jwtauthtest.SignOptions{}, distributed()))
	require.NoError(t, err)
	require.Equal(t, []string{"team1", "team2"}, u.Groups)
	require.Equal(t, "Bearer groups_token", gotAuthz)

	setBody(groupsJWT("team1", "my-client", testNow.Add(time.Hour)))
	u, err = a.Authenticate(ctx, sign(t, iss, jwtauthtest.SignOptions{}, distributed()))
	require.NoError(t, err)
	require.Equal(t, []string{"team1"}, u.Groups, "18 string claim")

	setBody(map[string]any{"iss": iss.URL, "aud": "my-client", "exp": testNow.Add(time.Hour).Unix()})
	_, err = a.Authenticate(ctx, sign(t, iss, jwtauthtest.SignOptions{}, distributed()))
	require.ErrorIs(t, err, jwtauth.ErrDistributedClaims)
	require.Contains(t, err.Error(), "did not contain claim: groups")

	setBody(groupsJWT([]string{"a"}, "your-client", testNow.Add(time.Hour)))
	_, err = a.Authenticate(ctx, sign(t, iss, jwtauthtest.SignOptions{}, distributed()))
	require.ErrorIs(t, err, jwtauth.ErrDistributedClaims)
	require.Contains(t, err.Error(), "expected audience")

	setBody(groupsJWT([]string{"a"}, "my-client", testNow.Add(-time.Hour)))
	_, err = a.Authenticate(ctx, sign(t, iss, jwtauthtest.SignOptions{}, distributed()))
	require.ErrorIs(t, err, jwtauth.ErrDistributedClaims)
	require.Contains(t, err.Error(), "expired")

	// 37: prefixes apply to distributed groups.
	cfg.ClaimMappings.Groups.Prefix = ptr("groups:")
	a2 := newAuthenticator(t, jwtauth.Options{}, cfg)
	setBody(groupsJWT([]string{"team1"}, "my-client", testNow.Add(time.Hour)))
	u, err = a2.Authenticate(ctx, sign(t, iss, jwtauthtest.SignOptions{}, distributed()))
	require.NoError(t, err)
	require.Equal(t, []string{"groups:team1"}, u.Groups)

	// 9: the endpoint fails.
	c := distributed()
	c["_claim_sources"] = map[string]any{"src1": map[string]any{"endpoint": iss.ServerURL() + "/missing"}}
	_, err = a.Authenticate(ctx, sign(t, iss, jwtauthtest.SignOptions{}, c))
	require.ErrorIs(t, err, jwtauth.ErrDistributedClaims)
	require.True(t, strings.Contains(err.Error(), "404"), err.Error())
}

func TestMapClaims(t *testing.T) {
	cfg := baseAuthenticator(sharedIssuer)
	cfg.ClaimMappings.Groups = jwtauth.PrefixedClaimOrExpression{Expression: "has(claims.groups) ? dyn(claims.groups).map(g, 'g:' + g) : []"}
	a := newAuthenticator(t, jwtauth.Options{}, cfg)
	ctx := context.Background()
	cases := []struct {
		name    string
		claims  map[string]any
		want    *jwtauth.User
		wantErr error
	}{
		{"maps", map[string]any{"iss": sharedIssuer.URL, "aud": "my-client", "username": "jane", "groups": []string{"a"}},
			&jwtauth.User{Username: "jane", Groups: []string{"g:a"}}, nil},
		{"no exp needed", map[string]any{"iss": sharedIssuer.URL, "aud": "my-client", "username": "jane"}, user("jane"), nil},
		{"unknown issuer", map[string]any{"iss": "https://other", "aud": "my-client", "username": "jane"}, nil, jwtauth.ErrUnknownIssuer},
		{"audience", map[string]any{"iss": sharedIssuer.URL, "aud": "x", "username": "jane"}, nil, jwtauth.ErrAudience},
		{"registered claim types", map[string]any{"iss": sharedIssuer.URL, "aud": "my-client", "username": "jane", "sub": 1}, nil, jwtauth.ErrInvalidClaims},
		{"mapping", map[string]any{"iss": sharedIssuer.URL, "aud": "my-client"}, nil, jwtauth.ErrMapping},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			u, err := a.MapClaims(ctx, tc.claims)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, u)
		})
	}
}

// MapClaims needs no network: an issuer that does not exist is fine.
func TestMapClaimsOffline(t *testing.T) {
	cfg := jwtauth.JWTAuthenticator{
		Issuer:        jwtauth.Issuer{URL: "https://issuer.invalid", Audiences: []string{"a"}},
		ClaimMappings: jwtauth.ClaimMappings{Username: jwtauth.PrefixedClaimOrExpression{Expression: "'u:' + claims.sub"}},
	}
	a := newAuthenticator(t, jwtauth.Options{}, cfg)
	u, err := a.MapClaims(context.Background(), map[string]any{"iss": "https://issuer.invalid", "aud": "a", "sub": "jane"})
	require.NoError(t, err)
	require.Equal(t, "u:jane", u.Username)
}
