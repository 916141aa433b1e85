package jwtauthtest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/structauth/structauth/jwtauth"
	"github.com/structauth/structauth/jwtauth/jwtauthtest"
)

var presetNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func ptr(s string) *string { return &s }

// TestPresetsAcceptedByAuthenticator mints each generic preset with the
// fake issuer and runs it through a real Authenticator configured as one
// would configure that provider.
func TestPresetsAcceptedByAuthenticator(t *testing.T) {
	iss, err := jwtauthtest.NewIssuer(jwtauthtest.IssuerOptions{})
	require.NoError(t, err)
	defer iss.Close()

	tests := []struct {
		name   string
		preset *jwtauthtest.Preset
		aud    string
		// configure adapts iss.Authenticator(aud) to the provider.
		configure func(a *jwtauth.JWTAuthenticator)
		want      *jwtauth.User
		wantErr   error
	}{
		{
			name:   "github actions main branch",
			preset: jwtauthtest.GitHubActions("octo-org/octo-repo", "refs/heads/main"),
			aud:    "https://github.com/octo-org",
			configure: func(a *jwtauth.JWTAuthenticator) {
				a.ClaimMappings.Username = jwtauth.PrefixedClaimOrExpression{Claim: "sub", Prefix: ptr("github:")}
				a.ClaimMappings.Extra = []jwtauth.ExtraMapping{{Key: "github.com/workflow", ValueExpression: "claims.job_workflow_ref"}}
				a.ClaimValidationRules = []jwtauth.ClaimValidationRule{
					{Expression: "claims.repository == 'octo-org/octo-repo'", Message: "wrong repository"},
					{Expression: "claims.ref == 'refs/heads/main' && claims.ref_type == 'branch'", Message: "main branch only"},
				}
			},
			want: &jwtauth.User{
				Username: "github:repo:octo-org/octo-repo:ref:refs/heads/main",
				Extra: map[string][]string{
					"github.com/workflow":   {"octo-org/octo-repo/.github/workflows/deploy.yml@refs/heads/main"},
					jwtauth.CredentialIDKey: {"JTI=6f9c8a4e-2b1d-4c3e-9f7a-0d5e8b7c6a41"},
				},
			},
		},
		{
			name:   "github actions feature branch rejected",
			preset: jwtauthtest.GitHubActions("octo-org/octo-repo", "refs/heads/feature"),
			aud:    "https://github.com/octo-org",
			configure: func(a *jwtauth.JWTAuthenticator) {
				a.ClaimValidationRules = []jwtauth.ClaimValidationRule{{Expression: "claims.ref == 'refs/heads/main'", Message: "main branch only"}}
			},
			wantErr: jwtauth.ErrClaimRule,
		},
		{
			name:   "github actions tag",
			preset: jwtauthtest.GitHubActions("octo-org/octo-repo", "refs/tags/v1.2.0"),
			aud:    "https://github.com/octo-org",
			configure: func(a *jwtauth.JWTAuthenticator) {
				a.ClaimMappings.Username = jwtauth.PrefixedClaimOrExpression{Expression: "'gh:' + claims.repository + '@' + claims.ref_type"}
			},
			want: &jwtauth.User{Username: "gh:octo-org/octo-repo@tag",
				Extra: map[string][]string{jwtauth.CredentialIDKey: {"JTI=6f9c8a4e-2b1d-4c3e-9f7a-0d5e8b7c6a41"}}},
		},
		{
			name:   "google workspace user by email",
			preset: jwtauthtest.Google("jane@example.com"),
			aud:    "1234987819200-k8sdemo0abcdefghijklmnopqrstuvw.apps.googleusercontent.com",
			configure: func(a *jwtauth.JWTAuthenticator) {
				a.ClaimMappings.Username = jwtauth.PrefixedClaimOrExpression{Claim: "email", Prefix: ptr("")}
				a.ClaimMappings.UID = jwtauth.ClaimOrExpression{Claim: "sub"}
				a.ClaimValidationRules = []jwtauth.ClaimValidationRule{{Claim: "hd", RequiredValue: "example.com"}}
			},
			want: &jwtauth.User{Username: "jane@example.com", UID: "110169484474386276334"},
		},
		{
			name:   "google unverified email rejected",
			preset: jwtauthtest.Google("jane@example.com").With("email_verified", false),
			aud:    "1234987819200-k8sdemo0abcdefghijklmnopqrstuvw.apps.googleusercontent.com",
			configure: func(a *jwtauth.JWTAuthenticator) {
				a.ClaimMappings.Username = jwtauth.PrefixedClaimOrExpression{Claim: "email", Prefix: ptr("")}
			},
			wantErr: jwtauth.ErrEmailNotVerified,
		},
		{
			name:   "google consumer account has no hd",
			preset: jwtauthtest.Google("jane@gmail.com"),
			aud:    "1234987819200-k8sdemo0abcdefghijklmnopqrstuvw.apps.googleusercontent.com",
			configure: func(a *jwtauth.JWTAuthenticator) {
				a.ClaimValidationRules = []jwtauth.ClaimValidationRule{{Claim: "hd", RequiredValue: "example.com"}}
			},
			wantErr: jwtauth.ErrRequiredClaim,
		},
		{
			name:   "okta groups",
			preset: jwtauthtest.Okta("jane@example.com", "Everyone", "k8s-admins"),
			aud:    "api://default",
			configure: func(a *jwtauth.JWTAuthenticator) {
				a.ClaimMappings.Username = jwtauth.PrefixedClaimOrExpression{Claim: "sub", Prefix: ptr("okta:")}
				a.ClaimMappings.Groups = jwtauth.PrefixedClaimOrExpression{Claim: "groups", Prefix: ptr("okta:")}
				a.ClaimMappings.UID = jwtauth.ClaimOrExpression{Claim: "uid"}
			},
			want: &jwtauth.User{Username: "okta:jane@example.com", UID: "00u1a2b3c4d5e6f7g8h9", Groups: []string{"okta:Everyone", "okta:k8s-admins"},
				Extra: map[string][]string{jwtauth.CredentialIDKey: {"JTI=AT.0mP4JKAZX1iACIT4vbEDF7LpvDVjxypPMf0D7uX39RE"}}},
		},
		{
			name:   "keycloak realm roles",
			preset: jwtauthtest.Keycloak("jane", "k8s-admin"),
			aud:    "account",
			configure: func(a *jwtauth.JWTAuthenticator) {
				a.ClaimMappings.Username = jwtauth.PrefixedClaimOrExpression{Claim: "preferred_username", Prefix: ptr("kc:")}
				a.ClaimMappings.Groups = jwtauth.PrefixedClaimOrExpression{Expression: "claims.realm_access.roles.filter(r, r.startsWith('k8s-')).map(r, 'kc:' + r) + claims.groups"}
				a.ClaimMappings.UID = jwtauth.ClaimOrExpression{Claim: "sub"}
			},
			want: &jwtauth.User{Username: "kc:jane", UID: "f3a1c2d4-5b6e-4f70-8a9b-0c1d2e3f4a5b", Groups: []string{"kc:k8s-admin", "/k8s-admins", "/developers"},
				Extra: map[string][]string{jwtauth.CredentialIDKey: {"JTI=onrtac:4f8b3c2e-9a1d-4e7f-b6c5-2d3e4f5a6b7c"}}},
		},
		{
			name:   "keycloak wrong audience",
			preset: jwtauthtest.Keycloak("jane"),
			aud:    "kubernetes",
			configure: func(a *jwtauth.JWTAuthenticator) {
				a.Issuer.Audiences = []string{"kubernetes-api"}
			},
			wantErr: jwtauth.ErrAudience,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := iss.Authenticator(tc.aud)
			tc.configure(&a)
			cfg := &jwtauth.AuthenticationConfiguration{APIVersion: jwtauth.APIVersionV1, Kind: jwtauth.Kind, JWT: []jwtauth.JWTAuthenticator{a}}
			auth, err := jwtauth.New(context.Background(), cfg, jwtauth.Options{Now: func() time.Time { return presetNow.Add(time.Minute) }})
			require.NoError(t, err)
			defer auth.Close()

			tok, err := iss.Mint(tc.preset, tc.aud, presetNow)
			require.NoError(t, err)
			u, err := auth.Authenticate(context.Background(), tok)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, u)
		})
	}
}

// TestEntraPresets mints the Entra presets with the fake Entra and
// authenticates them with the standard Entra configuration.
func TestEntraPresets(t *testing.T) {
	fake, err := jwtauthtest.NewEntra(jwtauthtest.EntraOptions{})
	require.NoError(t, err)
	defer fake.Close()
	ctx := context.Background()
	auth, err := jwtauth.NewEntra(ctx, jwtauth.EntraConfig{
		TenantIDs:      []string{jwtauthtest.PresetEntraTenant},
		ClientID:       jwtauthtest.PresetEntraAPI,
		UsernamePrefix: "aks:jwt:",
		GroupsPrefix:   "aks:jwt:",
	}, jwtauth.Options{HTTPClient: fake.Client(), Now: func() time.Time { return presetNow.Add(time.Minute) }})
	require.NoError(t, err)
	defer auth.Close()

	groups := []string{"aks:jwt:73fdccdf-e10d-45f9-b7f6-31848842999f", "aks:jwt:5988d043-3af9-4e81-b041-90b3456f9f4e"}
	uid := jwtauthtest.PresetEntraTenant + "/" + jwtauthtest.PresetEntraUser
	tests := []struct {
		name         string
		preset       *jwtauthtest.Preset
		wantUsername string
		wantGroups   []string
		wantEmail    []string // extra EntraExtraEmail
		wantComplete bool
		wantErr      error
	}{
		{name: "v1", preset: jwtauthtest.EntraV1("", "jane@contoso.com"), wantUsername: "aks:jwt:jane@contoso.com", wantGroups: groups, wantComplete: true},
		{name: "v2", preset: jwtauthtest.EntraV2("", "jane@contoso.com"), wantUsername: "aks:jwt:jane@contoso.com", wantGroups: groups, wantComplete: true},
		{name: "v2 with email", preset: jwtauthtest.EntraV2("", "jane@contoso.com").With("email", "jane.doe@contoso.com"),
			wantUsername: "aks:jwt:jane@contoso.com", wantGroups: groups, wantEmail: []string{"jane.doe@contoso.com"}, wantComplete: true},
		{name: "v1 with email", preset: jwtauthtest.EntraV1("", "jane@contoso.com").With("email", "jane@contoso.com"),
			wantUsername: "aks:jwt:jane@contoso.com", wantGroups: groups, wantEmail: []string{"jane@contoso.com"}, wantComplete: true},
		{name: "v1 overage", preset: jwtauthtest.EntraGroupOverage(jwtauthtest.EntraV1("", "jane@contoso.com")), wantUsername: "aks:jwt:jane@contoso.com"},
		{name: "v2 overage", preset: jwtauthtest.EntraGroupOverage(jwtauthtest.EntraV2("", "jane@contoso.com")), wantUsername: "aks:jwt:jane@contoso.com"},
		{name: "v2 hasgroups", preset: jwtauthtest.EntraHasGroups(jwtauthtest.EntraV2("", "jane@contoso.com")), wantUsername: "aks:jwt:jane@contoso.com"},
		{name: "other tenant", preset: jwtauthtest.EntraV2("72f988bf-86f1-41af-91ab-2d7cd011db47", "jane@contoso.com"), wantErr: jwtauth.ErrUnknownIssuer},
		{name: "v1 issuer with v2 claims", preset: jwtauthtest.EntraV1("", "jane@contoso.com").With("ver", "2.0"), wantErr: jwtauth.ErrClaimRule},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := fake.Mint(tc.preset, "", presetNow)
			require.NoError(t, err)
			u, err := auth.Authenticate(ctx, tok)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.wantUsername, u.Username)
			require.Equal(t, uid, u.UID)
			require.Equal(t, tc.wantComplete, u.GroupsComplete)
			if tc.wantComplete {
				require.Equal(t, tc.wantGroups, u.Groups)
				require.NotContains(t, u.Extra, jwtauth.EntraExtraGroupsIncomplete)
			} else {
				require.Empty(t, u.Groups)
				require.ErrorIs(t, u.GroupsErr, jwtauth.ErrEntraGroupsIncomplete)
				require.Equal(t, []string{"true"}, u.Extra[jwtauth.EntraExtraGroupsIncomplete])
			}
			require.Equal(t, tc.wantEmail, u.Extra[jwtauth.EntraExtraEmail])
		})
	}
}

func TestPresetClaims(t *testing.T) {
	base := jwtauthtest.GitHubActions("octo-org/octo-repo", "refs/heads/main")

	c := base.Claims("", "", presetNow)
	require.Equal(t, "https://token.actions.githubusercontent.com", c["iss"])
	require.Equal(t, "https://github.com/octo-org", c["aud"])
	require.Equal(t, "repo:octo-org/octo-repo:ref:refs/heads/main", c["sub"])
	require.Equal(t, presetNow.Unix(), c["iat"])
	require.Equal(t, presetNow.Add(-10*time.Minute).Unix(), c["nbf"])
	require.Equal(t, presetNow.Add(5*time.Minute).Unix(), c["exp"])

	c = base.Claims("https://issuer.test", "my-api", presetNow)
	require.Equal(t, "https://issuer.test", c["iss"])
	require.Equal(t, "my-api", c["aud"])

	// With and Without return copies; overrides of computed claims win.
	changed := base.With("actor", "hubot").With("exp", int64(42)).Without("nbf", "jti")
	c = changed.Claims("", "", presetNow)
	require.Equal(t, "hubot", c["actor"])
	require.Equal(t, int64(42), c["exp"])
	require.NotContains(t, c, "nbf")
	require.NotContains(t, c, "jti")
	c = base.Claims("", "", presetNow)
	require.Equal(t, "octocat", c["actor"])
	require.Contains(t, c, "nbf")
	_, ok := changed.Get("jti")
	require.False(t, ok)

	// The result is a deep copy: changing it leaves the preset intact.
	kc := jwtauthtest.Keycloak("jane")
	c = kc.Claims("", "", presetNow)
	c["realm_access"].(map[string]any)["roles"] = []any{"tampered"}
	roles := kc.Claims("", "", presetNow)["realm_access"].(map[string]any)["roles"].([]any)
	require.Equal(t, []any{"default-roles-example", "offline_access", "uma_authorization"}, roles)

	// Providers without "nbf".
	require.NotContains(t, jwtauthtest.Google("a@b.c").Claims("", "", presetNow), "nbf")
	require.Equal(t, presetNow.Add(2*time.Hour).Unix(), jwtauthtest.Okta("a").WithLifetime(2*time.Hour).Claims("", "", presetNow)["exp"])

	// Overage variants drop groups and add the markers.
	o := jwtauthtest.EntraGroupOverage(jwtauthtest.EntraV1("", "jane@contoso.com")).Claims("", "", presetNow)
	require.NotContains(t, o, "groups")
	require.Equal(t, map[string]any{"groups": "src1"}, o["_claim_names"])
	require.Equal(t, "https://graph.windows.net/"+jwtauthtest.PresetEntraTenant+"/users/"+jwtauthtest.PresetEntraUser+"/getMemberObjects",
		o["_claim_sources"].(map[string]any)["src1"].(map[string]any)["endpoint"])
	h := jwtauthtest.EntraHasGroups(jwtauthtest.EntraV2("", "jane@contoso.com"))
	require.Equal(t, "entra-v2-hasgroups", h.Name())
	require.Equal(t, true, h.Claims("", "", presetNow)["hasgroups"])
	require.Equal(t, "https://login.microsoftonline.com/"+jwtauthtest.PresetEntraTenant+"/v2.0", h.Issuer())
}

// An expired preset token is rejected: the preset's times are real.
func TestPresetLifetimeEnforced(t *testing.T) {
	iss, err := jwtauthtest.NewIssuer(jwtauthtest.IssuerOptions{})
	require.NoError(t, err)
	defer iss.Close()
	p := jwtauthtest.GitHubActions("octo-org/octo-repo", "refs/heads/main")
	cfg := &jwtauth.AuthenticationConfiguration{APIVersion: jwtauth.APIVersionV1, Kind: jwtauth.Kind,
		JWT: []jwtauth.JWTAuthenticator{iss.Authenticator(p.Audience())}}
	auth, err := jwtauth.New(context.Background(), cfg, jwtauth.Options{Now: func() time.Time { return presetNow.Add(p.Lifetime() + time.Second) }})
	require.NoError(t, err)
	defer auth.Close()
	tok, err := iss.Mint(p, "", presetNow)
	require.NoError(t, err)
	_, err = auth.Authenticate(context.Background(), tok)
	require.True(t, errors.Is(err, jwtauth.ErrExpired), "got %v", err)
}
