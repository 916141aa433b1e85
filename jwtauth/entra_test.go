package jwtauth_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/structauth/structauth/claims"
	"github.com/structauth/structauth/jwtauth"
	"github.com/structauth/structauth/jwtauth/jwtauthtest"
)

// -update refreshes the golden files (defined once, whichever test file
// of the package gets there first).
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "refresh golden files")
	}
}

// offlineClient refuses every request: these tests use real Entra issuer
// URLs, and background discovery must never reach the network.
func offlineClient() *http.Client {
	return &http.Client{Transport: offlineTransport{}}
}

type offlineTransport struct{}

func (offlineTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return nil, fmt.Errorf("test: no network (%s)", r.URL.Host)
}

func updateGolden() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// The standard configuration for one tenant, as a kube-apiserver file.
func TestEntraGolden(t *testing.T) {
	cfg := jwtauth.EntraConfig{TenantIDs: []string{tidA}, ClientID: appAPI}
	ac, err := cfg.AuthenticationConfiguration()
	require.NoError(t, err)
	got, err := yaml.Marshal(ac)
	require.NoError(t, err)
	const path = "../testdata/entra/public-tenant.golden.yaml"
	if updateGolden() {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./jwtauth -run TestEntraGolden -update")
	require.Equal(t, string(want), string(got))

	// It loads and validates as any configuration file, with kube-apiserver's
	// rules, and compiles.
	parsed, err := jwtauth.ParseConfig(want)
	require.NoError(t, err)
	a, err := jwtauth.New(context.Background(), parsed, jwtauth.Options{HTTPClient: offlineClient()})
	require.NoError(t, err)
	a.Close()
	require.Equal(t, []string{"https://sts.windows.net/" + tidA + "/", "https://login.microsoftonline.com/" + tidA + "/v2.0"}, a.Issuers())
}

func TestEntraConfigShapes(t *testing.T) {
	jwt := func(cfg jwtauth.EntraConfig) []jwtauth.JWTAuthenticator {
		t.Helper()
		out, err := cfg.JWTAuthenticators()
		require.NoError(t, err)
		return out
	}
	// Both versions per tenant; personal accounts have v2.0 only.
	out := jwt(jwtauth.EntraConfig{TenantIDs: []string{tidA, strings.ToUpper(tidMSA)}, ClientID: strings.ToUpper(appAPI)})
	require.Len(t, out, 3)
	require.Equal(t, []string{appAPI, "api://" + appAPI, "api://" + appAPI + "/"}, out[0].Issuer.Audiences)
	require.Equal(t, jwtauth.AudienceMatchPolicyMatchAny, out[0].Issuer.AudienceMatchPolicy)
	require.Equal(t, "https://login.microsoftonline.com/"+tidMSA+"/v2.0", out[2].Issuer.URL)

	// Clouds: the v1.0 issuer is pinned to the cloud's authority by its
	// discovery URL (US Government's v1.0 issuer is sts.windows.net).
	for _, tc := range []struct {
		cloud                  jwtauth.EntraCloud
		v1, v1disc, v2, v2disc string
	}{
		{jwtauth.EntraPublic, "https://sts.windows.net/T/", "https://login.microsoftonline.com/T/.well-known/openid-configuration", "https://login.microsoftonline.com/T/v2.0", ""},
		{jwtauth.EntraUSGovernment, "https://sts.windows.net/T/", "https://login.microsoftonline.us/T/.well-known/openid-configuration", "https://login.microsoftonline.us/T/v2.0", ""},
		{jwtauth.EntraChina, "https://sts.chinacloudapi.cn/T/", "https://login.chinacloudapi.cn/T/.well-known/openid-configuration", "https://login.partner.microsoftonline.cn/T/v2.0", "https://login.chinacloudapi.cn/T/v2.0/.well-known/openid-configuration"},
	} {
		out := jwt(jwtauth.EntraConfig{Cloud: tc.cloud, TenantIDs: []string{tidA}, ClientID: appAPI})
		r := strings.NewReplacer("T", tidA)
		require.Equal(t, r.Replace(tc.v1), out[0].Issuer.URL, tc.cloud)
		require.Equal(t, r.Replace(tc.v1disc), out[0].Issuer.DiscoveryURL, tc.cloud)
		require.Equal(t, r.Replace(tc.v2), out[1].Issuer.URL, tc.cloud)
		require.Equal(t, r.Replace(tc.v2disc), out[1].Issuer.DiscoveryURL, tc.cloud)
	}
	require.Len(t, jwt(jwtauth.EntraConfig{TenantIDs: []string{tidA}, ClientID: appAPI, Versions: jwtauth.EntraV1Only}), 1)
	require.Len(t, jwt(jwtauth.EntraConfig{TenantIDs: []string{tidA}, Audiences: []string{"https://api.contoso.com"}}), 2)

	// 32 tenants with both versions fit kube-apiserver's 64 entries.
	many := make([]string, 33)
	for i := range many {
		many[i] = fmt.Sprintf("%08x-0000-4000-8000-000000000000", i)
	}
	require.Len(t, jwt(jwtauth.EntraConfig{TenantIDs: many[:32], ClientID: appAPI}), 64)
	_, err := (&jwtauth.EntraConfig{TenantIDs: many, ClientID: appAPI}).JWTAuthenticators()
	require.ErrorContains(t, err, "above kube-apiserver's limit of 64")
}

func TestEntraConfigErrors(t *testing.T) {
	_, err := (&jwtauth.EntraConfig{
		Cloud:     jwtauth.EntraCloud(9),
		TenantIDs: []string{"common", "organizations", "{tenantid}", tidA, tidA, "contoso.onmicrosoft.com"},
		ClientID:  "api://my-api",
	}).JWTAuthenticators()
	require.Error(t, err)
	for _, want := range []string{
		"Cloud: unknown cloud 9",
		`TenantIDs[0]: "common" (any work, school or personal account) is not a tenant`,
		`TenantIDs[1]: "organizations"`,
		`TenantIDs[2]: "{tenantid}" is not a tenant ID`,
		`TenantIDs[4]: duplicate tenant`,
		`TenantIDs[5]: "contoso.onmicrosoft.com" is not a tenant ID`,
		`ClientID: "api://my-api" is not an application ID`,
	} {
		require.ErrorContains(t, err, want)
	}
	_, err = (&jwtauth.EntraConfig{}).JWTAuthenticators()
	require.ErrorContains(t, err, "at least one tenant ID is required")
	require.ErrorContains(t, err, "client ID (or Audiences) is required")
	_, err = (&jwtauth.EntraConfig{TenantIDs: []string{tidMSA}, ClientID: appAPI, Versions: jwtauth.EntraV1Only}).JWTAuthenticators()
	require.ErrorContains(t, err, "v2.0 tokens only")
	_, err = (&jwtauth.EntraB2CConfig{TenantName: "contoso b2c", TenantID: "x", Policy: "a/b"}).JWTAuthenticator()
	for _, want := range []string{"TenantName", "TenantID", "Policy", "ClientID"} {
		require.ErrorContains(t, err, want)
	}
}

// The CEL mappings of the standard configuration and the Go functions of
// claims/entra.go agree, on claim sets that vary every input they read.
func TestEntraCELMatchesGo(t *testing.T) {
	ctx := context.Background()
	for _, mode := range []struct {
		guard, fallback bool
	}{{false, false}, {true, false}, {false, true}} {
		cfg := jwtauth.EntraConfig{TenantIDs: []string{tidA}, ClientID: appAPI, GuardUsername: mode.guard, EmailFallback: mode.fallback}
		ac, err := cfg.AuthenticationConfiguration()
		require.NoError(t, err)
		a, err := jwtauth.New(ctx, ac, jwtauth.Options{HTTPClient: offlineClient()})
		require.NoError(t, err)
		t.Cleanup(func() { a.Close() })
		values := map[string][]any{
			"idtyp":              {nil, "app", "user"},
			"upn":                {nil, "", "jane@contoso.com", "bob_outlook.com#EXT#@contoso.onmicrosoft.com", 7},
			"preferred_username": {nil, "p@contoso.com", "+15551234567"},
			"email":              {nil, "e@contoso.com", "bob_outlook.com#EXT#@contoso.onmicrosoft.com", ""},
			"email_verified":     {nil, false, true, "true"},
			"emails":             {nil, []any{"b2c@example.net"}, []any{}, []any{1}, "x@y"},
			"unique_name":        {nil, "live.com#bob@outlook.com", "n@contoso.com"},
			"xms_edov":           {nil, true, false, "1", "0", 3},
			"groups":             {nil, []any{"g1", "g2"}, "g"},
			"hasgroups":          {nil, true},
			"_claim_names":       {nil, map[string]any{"groups": "src1"}},
		}
		names := []string{"idtyp", "upn", "preferred_username", "email", "email_verified", "emails", "unique_name", "xms_edov", "groups", "hasgroups", "_claim_names"}
		// A deterministic walk that changes one claim at a time from a
		// rotating base covers each value next to several others.
		for round := 0; round < 20; round++ {
			for _, name := range names {
				for vi, v := range values[name] {
					c := map[string]any{"iss": "https://login.microsoftonline.com/" + tidA + "/v2.0", "aud": appAPI, "tid": tidA, "oid": oidU, "ver": "2.0"}
					for j, n := range names {
						vs := values[n]
						if pick := vs[(round*7+j*3+vi)%len(vs)]; pick != nil {
							c[n] = pick
						}
					}
					if v == nil {
						delete(c, name)
					} else {
						c[name] = v
					}
					if c["_claim_names"] != nil {
						c["_claim_sources"] = map[string]any{"src1": map[string]any{"endpoint": "https://graph.windows.net/x"}}
					}
					cs, err := claims.FromMap(c)
					require.NoError(t, err)
					id, gerr := claims.ParseEntra(cs, claims.EntraOptions{GuardUsername: mode.guard, EmailFallback: mode.fallback})
					u, uerr := a.MapClaims(ctx, c)
					if gerr != nil || id.Username == "" {
						require.Error(t, uerr, "%v", c)
						continue
					}
					require.NoError(t, uerr, "%v", c)
					require.Equal(t, id.Username, u.Username, "%v", c)
					if id.Email == "" {
						require.NotContains(t, u.Extra, jwtauth.EntraExtraEmail, "%v", c)
					} else {
						require.Equal(t, []string{id.Email}, u.Extra[jwtauth.EntraExtraEmail], "%v", c)
					}
					switch id.EmailVerified {
					case claims.EmailVerified:
						require.Equal(t, []string{"true"}, u.Extra[jwtauth.EntraExtraEmailVerified], "%v", c)
					case claims.EmailUnverified:
						require.Equal(t, []string{"false"}, u.Extra[jwtauth.EntraExtraEmailVerified], "%v", c)
					default:
						require.NotContains(t, u.Extra, jwtauth.EntraExtraEmailVerified, "%v", c)
					}
					require.Equal(t, id.GroupsOverage, u.Extra[jwtauth.EntraExtraGroupsIncomplete] != nil, "%v", c)
					require.Equal(t, nilIfEmpty(id.Groups), nilIfEmpty(u.Groups), "%v", c)
				}
			}
		}
	}
}

// The standard configuration refuses what it can without the wrapper.
func TestEntraStandardConfigurationRules(t *testing.T) {
	ctx := context.Background()
	cfg := jwtauth.EntraConfig{TenantIDs: []string{tidA, tidB}, ClientID: appAPI, UsernamePrefix: "entra:", GroupsPrefix: "entra:"}
	ac, err := cfg.AuthenticationConfiguration()
	require.NoError(t, err)
	a, err := jwtauth.New(ctx, ac, jwtauth.Options{HTTPClient: offlineClient()})
	require.NoError(t, err)
	defer a.Close()
	base := func(mods map[string]any) map[string]any {
		c := map[string]any{"iss": "https://login.microsoftonline.com/" + tidA + "/v2.0", "aud": appAPI, "tid": tidA, "oid": oidU, "ver": "2.0", "upn": "jane@contoso.com", "groups": []string{"g"}}
		for k, v := range mods {
			if v == nil {
				delete(c, k)
			} else {
				c[k] = v
			}
		}
		return c
	}
	u, err := a.MapClaims(ctx, base(nil))
	require.NoError(t, err)
	require.Equal(t, "entra:jane@contoso.com", u.Username)
	require.Equal(t, []string{"entra:g"}, u.Groups)
	require.Equal(t, tidA+"/"+oidU, u.UID)
	require.Equal(t, []string{oidU}, u.Extra[jwtauth.EntraExtraObjectID])

	for _, tc := range []struct {
		name string
		mods map[string]any
		want error
	}{
		{"tid of another tenant", map[string]any{"tid": tidB}, jwtauth.ErrClaimRule},
		{"no tid", map[string]any{"tid": nil}, jwtauth.ErrClaimRule},
		{"TID next to tid", map[string]any{"TID": tidB}, jwtauth.ErrClaimRule},
		{"Oid", map[string]any{"Oid": "x"}, jwtauth.ErrClaimRule},
		{"ver 1.0 under the v2.0 issuer", map[string]any{"ver": "1.0"}, jwtauth.ErrClaimRule},
		{"audience of another app", map[string]any{"aud": appClient}, jwtauth.ErrAudience},
		{"no identity claim", map[string]any{"upn": nil, "oid": nil}, jwtauth.ErrMapping},
	} {
		_, err := a.MapClaims(ctx, base(tc.mods))
		require.ErrorIs(t, err, tc.want, tc.name)
	}
}

// Unknown issuers get their Entra reason, and stay ErrUnknownIssuer.
func TestEntraIssuerDiagnosis(t *testing.T) {
	ctx := context.Background()
	mk := func(cfg jwtauth.EntraConfig) *jwtauth.Authenticator {
		ac, err := cfg.AuthenticationConfiguration()
		require.NoError(t, err)
		a, err := jwtauth.New(ctx, ac, jwtauth.Options{HTTPClient: offlineClient()})
		require.NoError(t, err)
		t.Cleanup(func() { a.Close() })
		return a
	}
	v2only := mk(jwtauth.EntraConfig{TenantIDs: []string{tidA}, ClientID: appAPI, Versions: jwtauth.EntraV2Only})
	v1only := mk(jwtauth.EntraConfig{TenantIDs: []string{tidA}, ClientID: appAPI, Versions: jwtauth.EntraV1Only})
	gov := mk(jwtauth.EntraConfig{Cloud: jwtauth.EntraUSGovernment, TenantIDs: []string{tidGov}, ClientID: appAPI})
	china := mk(jwtauth.EntraConfig{Cloud: jwtauth.EntraChina, TenantIDs: []string{tidCN}, ClientID: appAPI})
	// A configuration without Entra issuers says nothing more.
	other := newIssuer(t, jwtauthtest.IssuerOptions{})
	plain := newAuthenticator(t, jwtauth.Options{}, baseAuthenticator(other))

	for _, tc := range []struct {
		a        *jwtauth.Authenticator
		iss      string
		aud      string
		want     error
		contains string
	}{
		{v2only, "https://sts.windows.net/" + tidA + "/", appAPI, jwtauth.ErrEntraTokenVersion, "requestedAccessTokenVersion"},
		{v2only, "https://sts.windows.net/" + tidA + "/", "00000003-0000-0000-c000-000000000000", jwtauth.ErrEntraTokenVersion, "Microsoft Graph"},
		{v1only, "https://login.microsoftonline.com/" + tidA + "/v2.0", appAPI, jwtauth.ErrEntraTokenVersion, "accept v2.0 tokens too"},
		{v2only, "https://login.microsoftonline.com/" + tidB + "/v2.0", appAPI, jwtauth.ErrEntraTenantNotAllowed, tidB},
		{v2only, "https://login.microsoftonline.com/organizations/v2.0", appAPI, jwtauth.ErrEntraTenantNotAllowed, "not a tenant ID"},
		{v2only, "https://login.microsoftonline.com/{tenantid}/v2.0", appAPI, jwtauth.ErrEntraIssuerForm, "placeholder"},
		{v2only, "https://sts.windows.net/" + tidA + "/v2.0", appAPI, jwtauth.ErrEntraIssuerForm, "not an issuer Entra puts in tokens"},
		{v2only, "https://login.microsoftonline.com/" + tidA + "/v2.0/", appAPI, jwtauth.ErrEntraIssuerForm, "not an issuer"},
		{v2only, "https://login.microsoftonline.us/" + tidA + "/v2.0", appAPI, jwtauth.ErrEntraWrongCloud, "US Government"},
		{v2only, "https://login.partner.microsoftonline.cn/" + tidA + "/v2.0", appAPI, jwtauth.ErrEntraWrongCloud, "China"},
		{gov, "https://login.microsoftonline.com/" + tidGov + "/v2.0", appAPI, jwtauth.ErrEntraWrongCloud, "public"},
		{gov, "https://sts.windows.net/" + tidA + "/", appAPI, jwtauth.ErrEntraTenantNotAllowed, tidA},
		{china, "https://sts.windows.net/" + tidCN + "/", appAPI, jwtauth.ErrEntraWrongCloud, "China"},
		{v2only, "https://contosob2c.b2clogin.com/tfp/" + tidB2C + "/b2c_1_x/v2.0/", appAPI, jwtauth.ErrEntraIssuerForm, "tfp"},
		{v2only, "https://accounts.example.com", appAPI, nil, ""},
		{plain, "https://sts.windows.net/" + tidA + "/", appAPI, nil, ""},
	} {
		_, err := tc.a.MapClaims(ctx, map[string]any{"iss": tc.iss, "aud": tc.aud, "tid": tidA})
		require.ErrorIs(t, err, jwtauth.ErrUnknownIssuer, tc.iss)
		var je *jwtauth.Error
		require.ErrorAs(t, err, &je)
		require.Equal(t, jwtauth.CheckIssuer, je.Check)
		if tc.want == nil {
			require.NoError(t, je.Err, tc.iss)
			continue
		}
		require.ErrorIs(t, err, tc.want, tc.iss)
		require.ErrorContains(t, err, tc.contains, tc.iss)
	}
}

func TestEntraGroupsResolver(t *testing.T) {
	env := newEntraEnv(t)
	ctx := context.Background()
	tok := env.sign(t, v1, env.fixture(t, "F1", overage("src1")))
	var got jwtauth.EntraGroupsRequest
	resolver := jwtauth.EntraGroupsResolverFunc(func(_ context.Context, req jwtauth.EntraGroupsRequest) ([]string, error) {
		got = req
		return []string{"g1", "g2"}, nil
	})
	failing := jwtauth.EntraGroupsResolverFunc(func(context.Context, jwtauth.EntraGroupsRequest) ([]string, error) {
		return nil, errors.New("graph: 403 Forbidden")
	})
	mk := func(r jwtauth.EntraGroupsResolver, require bool) *jwtauth.EntraAuthenticator {
		cfg := entraConfigs["CFG-A1"]
		cfg.GroupsPrefix, cfg.GroupsResolver, cfg.RequireCompleteGroups = "aad:", r, require
		a, err := jwtauth.NewEntra(ctx, cfg, env.options())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Close() })
		return a
	}

	u, err := mk(resolver, true).Authenticate(ctx, tok)
	require.NoError(t, err)
	require.True(t, u.GroupsComplete)
	require.NoError(t, u.GroupsErr)
	require.Equal(t, []string{"aad:g1", "aad:g2"}, u.Groups)
	require.NotContains(t, u.Extra, jwtauth.EntraExtraGroupsIncomplete)
	require.Equal(t, tok, got.Token)
	require.Equal(t, oidU, got.Identity.ObjectID)
	require.Equal(t, "graph.microsoft.com", got.Cloud.GraphHost())

	u, err = mk(failing, false).Authenticate(ctx, tok)
	require.NoError(t, err)
	require.False(t, u.GroupsComplete)
	require.Empty(t, u.Groups)
	require.ErrorIs(t, u.GroupsErr, jwtauth.ErrEntraGroupsIncomplete)
	require.ErrorContains(t, u.GroupsErr, "403")

	_, err = mk(failing, true).Authenticate(ctx, tok)
	require.ErrorIs(t, err, jwtauth.ErrEntraGroupsIncomplete)
	require.ErrorIs(t, err, jwtauth.ErrMapping)
	_, err = mk(nil, true).Authenticate(ctx, tok)
	require.ErrorIs(t, err, jwtauth.ErrEntraGroupsIncomplete)

	// Without an overage the resolver is not called.
	got = jwtauth.EntraGroupsRequest{}
	u, err = mk(resolver, true).Authenticate(ctx, env.sign(t, v1, env.fixture(t, "F1", nil)))
	require.NoError(t, err)
	require.Equal(t, []string{"aad:" + grps[0], "aad:" + grps[1]}, u.Groups)
	require.Nil(t, got.Identity)
	for _, r := range env.fake.Requests() {
		require.NotContains(t, r, "graph.")
	}
}

func ExampleEntraConfig_JWTAuthenticators() {
	cfg := jwtauth.EntraConfig{
		TenantIDs: []string{"8eaef023-2b34-4da1-9baa-8bc8c9d6a490"},
		ClientID:  "6e74172b-be56-4843-9ff4-e66a39bb12e3",
	}
	jwt, err := cfg.JWTAuthenticators()
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, a := range jwt {
		fmt.Println(a.Issuer.URL, a.Issuer.Audiences)
	}
	// Output:
	// https://sts.windows.net/8eaef023-2b34-4da1-9baa-8bc8c9d6a490/ [6e74172b-be56-4843-9ff4-e66a39bb12e3 api://6e74172b-be56-4843-9ff4-e66a39bb12e3 api://6e74172b-be56-4843-9ff4-e66a39bb12e3/]
	// https://login.microsoftonline.com/8eaef023-2b34-4da1-9baa-8bc8c9d6a490/v2.0 [6e74172b-be56-4843-9ff4-e66a39bb12e3 api://6e74172b-be56-4843-9ff4-e66a39bb12e3 api://6e74172b-be56-4843-9ff4-e66a39bb12e3/]
}

func ExampleNewEntra() {
	ctx := context.Background()
	fake, err := jwtauthtest.NewEntra(jwtauthtest.EntraOptions{}) // in-process Entra, for the example
	if err != nil {
		fmt.Println(err)
		return
	}
	defer fake.Close()
	const tenant, api = "8eaef023-2b34-4da1-9baa-8bc8c9d6a490", "6e74172b-be56-4843-9ff4-e66a39bb12e3"
	auth, err := jwtauth.NewEntra(ctx, jwtauth.EntraConfig{
		TenantIDs:     []string{tenant},
		ClientID:      api,
		Versions:      jwtauth.EntraV2Only,
		EmailFallback: true,
	}, jwtauth.Options{HTTPClient: fake.Client()})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer auth.Close()

	// A v1.0 token (the app manifest's default) where v2.0 is configured.
	tok, _ := fake.Sign(jwtauthtest.EntraSignOptions{V1Header: true}, map[string]any{
		"iss": "https://sts.windows.net/" + tenant + "/", "aud": "api://" + api, "ver": "1.0",
		"tid": tenant, "oid": "2cf0521c-c76d-4e7c-b41f-863674057db3", "upn": "jane@contoso.com",
	})
	_, err = auth.Authenticate(ctx, tok)
	fmt.Println(errors.Is(err, jwtauth.ErrUnknownIssuer), errors.Is(err, jwtauth.ErrEntraTokenVersion))
	// Output: true true
}
