package jwtauth_test

import (
	"context"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/structauth/structauth/jwtauth"
	"github.com/structauth/structauth/jwtauth/jwtauthtest"
)

// The AKS profile: the testdata configuration, run through MapClaims.
func TestProfileAKS(t *testing.T) {
	data, err := os.ReadFile("../testdata/config/aks.yaml")
	require.NoError(t, err)
	cfg, err := jwtauth.ParseConfig(data)
	require.NoError(t, err)
	a, err := jwtauth.New(context.Background(), cfg, jwtauth.Options{Profile: jwtauth.ProfileAKS})
	require.NoError(t, err)
	defer a.Close()
	ctx := context.Background()

	u, err := a.MapClaims(ctx, map[string]any{
		"iss": "https://token.actions.githubusercontent.com", "aud": "https://github.com/my-org",
		"sub": "repo:my-org/app:ref:refs/heads/main", "repository_owner": "my-org", "repository": "my-org/app",
	})
	require.NoError(t, err)
	require.Equal(t, "aks:jwt:github:repo:my-org/app:ref:refs/heads/main", u.Username)
	require.Equal(t, []string{"aks:jwt:github:my-org/app"}, u.Groups)

	// Multiple audiences without audienceMatchPolicy: AKS sets MatchAny.
	u, err = a.MapClaims(ctx, map[string]any{
		"iss": "https://idp.example.com/oauth2/default", "aud": "https://example.com/audience2",
		"email": "jane@example.com", "email_verified": true, "groups": []string{"dev"},
	})
	require.NoError(t, err)
	require.Equal(t, "aks:jwt:jane@example.com", u.Username)
	require.Equal(t, []string{"aks:jwt:dev"}, u.Groups)

	// The same file is invalid for kube-apiserver (audienceMatchPolicy).
	_, err = jwtauth.New(ctx, cfg, jwtauth.Options{})
	require.ErrorContains(t, err, "audienceMatchPolicy must be MatchAny for multiple audiences")
}

func TestProfileAKSPrefixAtRuntime(t *testing.T) {
	base := func(username, groups string) jwtauth.JWTAuthenticator {
		return jwtauth.JWTAuthenticator{
			Issuer: jwtauth.Issuer{URL: "https://idp.example", Audiences: []string{"a"}},
			ClaimMappings: jwtauth.ClaimMappings{
				Username: jwtauth.PrefixedClaimOrExpression{Expression: username},
				Groups:   jwtauth.PrefixedClaimOrExpression{Expression: groups},
			},
		}
	}
	claims := map[string]any{"iss": "https://idp.example", "aud": "a", "sub": "jane", "groups": []string{"dev", "aks:jwt:ops"}}
	cases := []struct {
		name            string
		username, group string
		wantErr         error
	}{
		{"prefixed", "'aks:jwt:' + claims.sub", "dyn(claims.groups).map(g, 'aks:jwt:' + g)", nil},
		{"username without prefix", "claims.sub", "[]", jwtauth.ErrAKSPrefix},
		{"one group without prefix", "'aks:jwt:' + claims.sub", "claims.groups", jwtauth.ErrAKSPrefix},
		{"prefix only in a dynamic value", "claims.?prefix.orValue('aks:jwt:') + claims.sub", "[]", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := newAuthenticator(t, jwtauth.Options{Profile: jwtauth.ProfileAKS}, base(tc.username, tc.group))
			_, err := a.MapClaims(context.Background(), claims)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			// The same configuration is fine for plain Kubernetes.
			k := newAuthenticator(t, jwtauth.Options{}, base(tc.username, tc.group))
			_, err = k.MapClaims(context.Background(), claims)
			require.NoError(t, err)
		})
	}

	// Claim-form mappings are not available on AKS.
	cfg := &jwtauth.AuthenticationConfiguration{APIVersion: jwtauth.APIVersionV1, Kind: jwtauth.Kind, JWT: []jwtauth.JWTAuthenticator{baseAuthenticator(sharedIssuer)}}
	_, err := jwtauth.New(context.Background(), cfg, jwtauth.Options{Profile: jwtauth.ProfileAKS})
	require.Error(t, err)
}

func TestRejectSystemNames(t *testing.T) {
	cfg := baseAuthenticator(sharedIssuer)
	cfg.ClaimMappings.Groups = jwtauth.PrefixedClaimOrExpression{Claim: "groups", Prefix: ptr("")}
	on := newAuthenticator(t, jwtauth.Options{RejectSystemNames: true}, cfg)
	off := newAuthenticator(t, jwtauth.Options{}, cfg)
	ctx := context.Background()
	cases := []struct {
		name   string
		claims map[string]any
		reject bool
	}{
		{"plain", map[string]any{"username": "jane", "groups": []string{"dev"}}, false},
		{"system username", map[string]any{"username": "system:admin"}, true},
		{"system group", map[string]any{"username": "jane", "groups": []string{"dev", "system:masters"}}, true},
		{"system-ish but not the prefix", map[string]any{"username": "systemd", "groups": []string{"system"}}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := baseClaims(sharedIssuer)
			for k, v := range tc.claims {
				c[k] = v
			}
			tok, err := sharedIssuer.SignWith(jwtauthtest.SignOptions{}, c)
			require.NoError(t, err)
			_, err = off.Authenticate(ctx, tok)
			require.NoError(t, err, "kube-apiserver semantics: no built-in system: rule")
			_, err = on.Authenticate(ctx, tok)
			if tc.reject {
				require.ErrorIs(t, err, jwtauth.ErrSystemName)
			} else {
				require.NoError(t, err)
			}
		})
	}
}
