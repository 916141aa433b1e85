package jwtauth_test

// Fixtures F1-F17 of the Entra specification (entra.md §7), with real
// signed tokens from the in-process Entra (jwtauthtest.NewEntra) for the
// public, US Government and China clouds and a B2C tenant.

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/structauth/structauth/claims"
	"github.com/structauth/structauth/jwtauth"
	"github.com/structauth/structauth/jwtauth/jwtauthtest"
)

// entra.md §7.1.
const (
	tidA      = "8eaef023-2b34-4da1-9baa-8bc8c9d6a490"
	tidB      = "82229342-1101-4ab6-817b-70c0747630f3"
	tidMSA    = claims.EntraMSATenantID
	tidGov    = "3c1f7a55-6d2e-4b8a-9f01-2a7e5c9d0b11"
	tidCN     = "a4d2e8c0-1b3f-4e5a-8c7d-9f0e1d2c3b4a"
	tidB2C    = "5b7e1c44-9d2a-4f3b-8c61-2e0f9a7d3b15"
	appAPI    = "6e74172b-be56-4843-9ff4-e66a39bb12e3"
	appClient = "75dbe77f-10a3-4e59-85fd-8c127544f17c"
	appAKS    = "6dae42f8-4368-4678-94ff-3960e28e3630"
	appB2C    = "f2a76e08-93f2-4350-833c-965c02483b11"
	oidU      = "2cf0521c-c76d-4e7c-b41f-863674057db3"
	oidG      = "05802cc5-811e-46bd-b1b6-5946e668822f"
	oidSP     = "c2a1b5d4-9e8f-4a7b-8c6d-5e4f3a2b1c0d"
	oidBob    = "2546e741-6fc6-4d24-8654-f92479324f37"
	oidCarol  = "9d4e3f2a-1b0c-4d5e-8f7a-6b5c4d3e2f10"
	oidErin   = "1558f87f-452b-4757-bcd1-883a1f0c9e21"
	b2cPolicy = "B2C_1_signupsignin1"
)

// The validator configurations of entra.md §7.1. CFG-MT(*) ("any
// tenant") is the allow-list {A, B, MSA}: the library accepts tenants
// only from an allow-list (one jwt entry each), by design.
var entraConfigs = map[string]jwtauth.EntraConfig{
	"CFG-A1":        {TenantIDs: []string{tidA}, ClientID: appAKS, Versions: jwtauth.EntraV1Only},
	"CFG-A1+spn":    {TenantIDs: []string{tidA}, ClientID: appAKS, Audiences: []string{"spn:" + appAKS}, Versions: jwtauth.EntraV1Only},
	"CFG-A12":       {TenantIDs: []string{tidA}, ClientID: appAPI},
	"CFG-A12+app":   {TenantIDs: []string{tidA}, ClientID: appAPI, AppSigningKeys: true},
	"CFG-A2only":    {TenantIDs: []string{tidA}, ClientID: appAPI, Versions: jwtauth.EntraV2Only},
	"CFG-AKS2only":  {TenantIDs: []string{tidA}, ClientID: appAKS, Versions: jwtauth.EntraV2Only},
	"CFG-A1only":    {TenantIDs: []string{tidA}, ClientID: appAPI, Versions: jwtauth.EntraV1Only},
	"CFG-ID":        {TenantIDs: []string{tidA}, ClientID: appClient},
	"CFG-MT(A)":     {TenantIDs: []string{tidA}, ClientID: appAPI, Versions: jwtauth.EntraV2Only},
	"CFG-MT(*)":     {TenantIDs: []string{tidA, tidB, tidMSA}, ClientID: appAPI, Versions: jwtauth.EntraV2Only},
	"CFG-MT-org":    {TenantIDs: []string{tidA, tidB}, ClientID: appAPI, Versions: jwtauth.EntraV2Only},
	"CFG-GOV":       {Cloud: jwtauth.EntraUSGovernment, TenantIDs: []string{tidGov}, ClientID: appAPI},
	"CFG-GOVpublic": {TenantIDs: []string{tidGov}, ClientID: appAPI},
	"CFG-CN":        {Cloud: jwtauth.EntraChina, TenantIDs: []string{tidCN}, ClientID: appAPI},
}

var entraB2C = jwtauth.EntraB2CConfig{TenantName: "contosob2c", TenantID: tidB2C, Policy: b2cPolicy, ClientID: appB2C}

// entraEnv is one fake Entra and the authenticators built on it.
type entraEnv struct {
	fake *jwtauthtest.Entra
	now  time.Time
	t0   time.Time

	mu    sync.Mutex
	auths map[string]*jwtauth.EntraAuthenticator
	b2c   *jwtauth.Authenticator
}

func newEntraEnv(t *testing.T) *entraEnv {
	t.Helper()
	fake, err := jwtauthtest.NewEntra(jwtauthtest.EntraOptions{AppID: appAPI, B2CTenantName: "contosob2c", B2CTenantID: tidB2C})
	require.NoError(t, err)
	now := time.Now().Truncate(time.Second)
	env := &entraEnv{fake: fake, now: now, t0: now.Add(-60 * time.Second), auths: map[string]*jwtauth.EntraAuthenticator{}}
	t.Cleanup(func() {
		for _, a := range env.auths {
			a.Close()
		}
		if env.b2c != nil {
			env.b2c.Close()
		}
		fake.Close()
	})
	return env
}

func (env *entraEnv) options() jwtauth.Options {
	return jwtauth.Options{HTTPClient: env.fake.Client(), Now: func() time.Time { return env.now }}
}

// auth returns the EntraAuthenticator for a named configuration.
func (env *entraEnv) auth(t *testing.T, name string) *jwtauth.EntraAuthenticator {
	t.Helper()
	env.mu.Lock()
	defer env.mu.Unlock()
	if a, ok := env.auths[name]; ok {
		return a
	}
	cfg, ok := entraConfigs[name]
	require.True(t, ok, "unknown configuration %s", name)
	a, err := jwtauth.NewEntra(context.Background(), cfg, env.options())
	require.NoError(t, err)
	env.auths[name] = a
	return a
}

func (env *entraEnv) b2cAuth(t *testing.T) *jwtauth.Authenticator {
	t.Helper()
	env.mu.Lock()
	defer env.mu.Unlock()
	if env.b2c == nil {
		entry, err := entraB2C.JWTAuthenticator()
		require.NoError(t, err)
		cfg := &jwtauth.AuthenticationConfiguration{APIVersion: jwtauth.APIVersionV1, Kind: jwtauth.Kind, JWT: []jwtauth.JWTAuthenticator{entry}}
		env.b2c, err = jwtauth.New(context.Background(), cfg, env.options())
		require.NoError(t, err)
	}
	return env.b2c
}

// fixture loads testdata/entra/claims/<name>.json, replaces the "T0"
// placeholders, and applies mods (a nil value deletes the claim).
func (env *entraEnv) fixture(t *testing.T, name string, mods map[string]any) map[string]any {
	t.Helper()
	data, err := os.ReadFile("../testdata/entra/claims/" + name + ".json")
	require.NoError(t, err)
	var c map[string]any
	require.NoError(t, json.Unmarshal(data, &c))
	for k, v := range c {
		if s, ok := v.(string); ok && strings.HasPrefix(s, "T0") {
			off := int64(0)
			if rest := strings.TrimPrefix(s, "T0"); rest != "" {
				off, err = strconv.ParseInt(rest, 10, 64)
				require.NoError(t, err)
			}
			c[k] = env.t0.Unix() + off
		}
	}
	for k, v := range mods {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

func (env *entraEnv) sign(t *testing.T, o jwtauthtest.EntraSignOptions, c map[string]any) string {
	t.Helper()
	tok, err := env.fake.Sign(o, c)
	require.NoError(t, err)
	return tok
}

// entraWant is the expected outcome of one fixture.
type entraWant struct {
	errs     []error // all must match; nil means accepted
	username string
	email    string
	verified claims.EmailVerification
	uid      string // "tid/oid"
	groups   []string
	overage  bool
	app      bool
}

type entraCase struct {
	id, cfg string
	o       jwtauthtest.EntraSignOptions
	claims  func(env *entraEnv, t *testing.T) map[string]any
	payload func(env *entraEnv) string // raw payload instead of claims
	want    entraWant
	// plainDiffers: the standard configuration alone decides the other
	// way (checks and keys a jwt entry cannot express).
	plainDiffers bool
}

func fx(name string, mods map[string]any) func(env *entraEnv, t *testing.T) map[string]any {
	return func(env *entraEnv, t *testing.T) map[string]any { return env.fixture(t, name, mods) }
}

var (
	v1   = jwtauthtest.EntraSignOptions{V1Header: true}
	v2   = jwtauthtest.EntraSignOptions{}
	grps = []string{"73fdccdf-e10d-45f9-b7f6-31848842999f", "5988d043-3af9-4e81-b041-90b3456f9f4e"}
)

const graphEndpoint = "https://graph.windows.net/" + tidA + "/users/" + oidU + "/getMemberObjects"

func overage(src string) map[string]any {
	return map[string]any{
		"groups":         nil,
		"_claim_names":   map[string]any{"groups": src},
		"_claim_sources": map[string]any{"src1": map[string]any{"endpoint": graphEndpoint}},
	}
}

func with(m map[string]any, more map[string]any) map[string]any {
	out := maps.Clone(m)
	maps.Copy(out, more)
	return out
}

func rejects(errs ...error) entraWant { return entraWant{errs: errs} }

var entraCases = []entraCase{
	{id: "F1 AKS v1 access token", cfg: "CFG-A1", o: v1, claims: fx("F1", nil),
		want: entraWant{username: "jane@contoso.com", uid: tidA + "/" + oidU, groups: grps}},
	{id: "F1b v1 token, v2-only configuration", cfg: "CFG-AKS2only", o: v1, claims: fx("F1", nil),
		want: rejects(jwtauth.ErrUnknownIssuer, jwtauth.ErrEntraTokenVersion)},
	{id: "F1c spn: audience, default", cfg: "CFG-A1", o: v1, claims: fx("F1", map[string]any{"aud": "spn:" + appAKS}),
		want: rejects(jwtauth.ErrAudience)},
	{id: "F1c spn: audience, opted in", cfg: "CFG-A1+spn", o: v1, claims: fx("F1", map[string]any{"aud": "spn:" + appAKS}),
		want: entraWant{username: "jane@contoso.com", uid: tidA + "/" + oidU, groups: grps}},
	{id: "F2 v2 ID token", cfg: "CFG-ID", o: v2, claims: fx("F2", nil),
		want: entraWant{username: "jane@contoso.com", email: "jane@contoso.com", uid: tidA + "/" + oidU}},
	{id: "F2b xms_edov true", cfg: "CFG-ID", o: v2, claims: fx("F2", map[string]any{"xms_edov": true}),
		want: entraWant{username: "jane@contoso.com", email: "jane@contoso.com", verified: claims.EmailVerified, uid: tidA + "/" + oidU}},
	{id: "F2b xms_edov false", cfg: "CFG-ID", o: v2, claims: fx("F2", map[string]any{"xms_edov": false}),
		want: entraWant{username: "jane@contoso.com", email: "jane@contoso.com", verified: claims.EmailUnverified, uid: tidA + "/" + oidU}},
	{id: "F3 v2 access token, A12", cfg: "CFG-A12", o: v2, claims: fx("F3", nil),
		want: entraWant{username: "jane@contoso.com", uid: tidA + "/" + oidU}},
	{id: "F3 v2 access token, A2only", cfg: "CFG-A2only", o: v2, claims: fx("F3", nil),
		want: entraWant{username: "jane@contoso.com", uid: tidA + "/" + oidU}},
	{id: "F3 v2 access token, v1-only configuration", cfg: "CFG-A1only", o: v2, claims: fx("F3", nil),
		want: rejects(jwtauth.ErrUnknownIssuer, jwtauth.ErrEntraTokenVersion)},
	{id: "F3b v1 access token api://, A12", cfg: "CFG-A12", o: v1, claims: fx("F3b", nil),
		want: entraWant{username: "jane@contoso.com", uid: tidA + "/" + oidU}},
	{id: "F3b v1 access token api:///, A12", cfg: "CFG-A12", o: v1, claims: fx("F3b", map[string]any{"aud": "api://" + appAPI + "/"}),
		want: entraWant{username: "jane@contoso.com", uid: tidA + "/" + oidU}},
	{id: "F3b v1 access token, A2only", cfg: "CFG-A2only", o: v1, claims: fx("F3b", nil),
		want: rejects(jwtauth.ErrUnknownIssuer, jwtauth.ErrEntraTokenVersion)},
	{id: "F4 Entra B2B guest v1", cfg: "CFG-A12", o: v1, claims: fx("F4", nil),
		want: entraWant{username: "alice@fabrikam.com", email: "alice@fabrikam.com", uid: tidA + "/" + oidG}},
	{id: "F4b MSA guest v2", cfg: "CFG-A12", o: v2, claims: fx("F4b", nil),
		want: entraWant{username: "bob@outlook.com", email: "bob@outlook.com", uid: tidA + "/" + oidBob}},
	{id: "F4c guest #EXT# upn", cfg: "CFG-A12", o: v2, claims: fx("F4b", map[string]any{"upn": "bob_outlook.com#EXT#@contoso.onmicrosoft.com"}),
		want: entraWant{username: "bob_outlook.com#EXT#@contoso.onmicrosoft.com", email: "bob@outlook.com", uid: tidA + "/" + oidBob}},
	{id: "F5 groups overage v1", cfg: "CFG-A1", o: v1, claims: fx("F1", overage("src1")),
		want: entraWant{username: "jane@contoso.com", uid: tidA + "/" + oidU, overage: true}},
	{id: "F6 groups overage v2 ID token", cfg: "CFG-ID", o: v2, claims: fx("F2", overage("src1")),
		want: entraWant{username: "jane@contoso.com", email: "jane@contoso.com", uid: tidA + "/" + oidU, overage: true}},
	{id: "F6-alt overage with a Microsoft Graph endpoint", cfg: "CFG-ID", o: v2,
		claims: fx("F2", with(overage("src1"), map[string]any{"_claim_sources": map[string]any{"src1": map[string]any{"endpoint": "https://graph.microsoft.com/v1.0/users/" + oidU + "/getMemberObjects"}}})),
		want:   entraWant{username: "jane@contoso.com", email: "jane@contoso.com", uid: tidA + "/" + oidU, overage: true}},
	{id: "F6b hasgroups", cfg: "CFG-ID", o: v2, claims: fx("F2", map[string]any{"hasgroups": true}),
		want: entraWant{username: "jane@contoso.com", email: "jane@contoso.com", uid: tidA + "/" + oidU, overage: true}},
	// kube-apiserver (go-oidc) refuses a _claim_names entry whose source
	// is missing for every token; the standard configuration keeps that
	// decision (entra.md suggests accepting with a warning).
	{id: "F6c overage source missing", cfg: "CFG-ID", o: v2, claims: fx("F2", overage("src2")),
		want: rejects(jwtauth.ErrInvalidClaims)},
	{id: "F7 app-only v2", cfg: "CFG-A12", o: v2, claims: fx("F7", nil),
		want: entraWant{username: oidSP, uid: tidA + "/" + oidSP, app: true}},
	{id: "F7b managed identity for ARM", cfg: "CFG-A12", o: v1, claims: fx("F7b", nil),
		want: rejects(jwtauth.ErrAudience)},
	{id: "F7c app-only v1 without idtyp", cfg: "CFG-A12", o: v1, claims: fx("F7c", nil),
		want: entraWant{username: oidSP, uid: tidA + "/" + oidSP, app: true}},
	{id: "F8 tenant B, A2only", cfg: "CFG-A2only", o: v2, claims: fx("F8", nil),
		want: rejects(jwtauth.ErrUnknownIssuer, jwtauth.ErrEntraTenantNotAllowed)},
	{id: "F8 tenant B, MT(A)", cfg: "CFG-MT(A)", o: v2, claims: fx("F8", nil),
		want: rejects(jwtauth.ErrUnknownIssuer, jwtauth.ErrEntraTenantNotAllowed)},
	{id: "F8 tenant B, MT(*)", cfg: "CFG-MT(*)", o: v2, claims: fx("F8", nil),
		want: entraWant{username: "carol@fabrikam.com", uid: tidB + "/" + oidCarol}},
	{id: "F8b consumer MSA, MT-org", cfg: "CFG-MT-org", o: jwtauthtest.EntraSignOptions{Key: jwtauthtest.EntraKeyMSA},
		claims: fx("F8", map[string]any{"iss": "https://login.microsoftonline.com/" + tidMSA + "/v2.0", "tid": tidMSA, "preferred_username": "dave@outlook.com", "email": "dave@outlook.com"}),
		want:   rejects(jwtauth.ErrUnknownIssuer, jwtauth.ErrEntraTenantNotAllowed)},
	{id: "F8b consumer MSA, MT(*)", cfg: "CFG-MT(*)", o: jwtauthtest.EntraSignOptions{Key: jwtauthtest.EntraKeyMSA},
		claims: fx("F8", map[string]any{"iss": "https://login.microsoftonline.com/" + tidMSA + "/v2.0", "tid": tidMSA, "preferred_username": "dave@outlook.com", "email": "dave@outlook.com"}),
		want:   entraWant{username: "dave@outlook.com", email: "dave@outlook.com", uid: tidMSA + "/" + oidCarol}},
	{id: "F8c iss tenant is not tid", cfg: "CFG-MT(*)", o: v2, claims: fx("F8", map[string]any{"tid": tidA}),
		want: rejects(jwtauth.ErrClaimRule, jwtauth.ErrEntraTenantMismatch)},
	{id: "F8c2 iss tenant is not tid, and not signed by the issuer", cfg: "CFG-MT(*)", o: jwtauthtest.EntraSignOptions{Key: jwtauthtest.EntraKeyUSGov},
		claims: fx("F8", map[string]any{"tid": tidA}), want: rejects(jwtauth.ErrSignature)},
	{id: "F8d {tenantid} in iss", cfg: "CFG-MT(*)", o: v2, claims: fx("F8", map[string]any{"iss": "https://login.microsoftonline.com/{tenantid}/v2.0"}),
		want: rejects(jwtauth.ErrUnknownIssuer, jwtauth.ErrEntraIssuerForm)},
	{id: "F8e non-GUID tid", cfg: "CFG-MT(*)", o: v2, claims: fx("F8", map[string]any{"iss": "https://login.microsoftonline.com/common/v2.0", "tid": "common"}),
		want: rejects(jwtauth.ErrUnknownIssuer, jwtauth.ErrEntraTenantNotAllowed)},
	{id: "F8f org token signed with the MSA key", cfg: "CFG-MT(*)", o: jwtauthtest.EntraSignOptions{Key: jwtauthtest.EntraKeyMSA},
		claims: fx("F3", nil), want: rejects(jwtauth.ErrSignature, jwtauth.ErrEntraSigningKeyIssuer), plainDiffers: true},
	{id: "F10 US Gov v2, GOV", cfg: "CFG-GOV", o: jwtauthtest.EntraSignOptions{Key: jwtauthtest.EntraKeyUSGov},
		claims: fx("F3", map[string]any{"iss": "https://login.microsoftonline.us/" + tidGov + "/v2.0", "tid": tidGov}),
		want:   entraWant{username: "jane@contoso.com", uid: tidGov + "/" + oidU}},
	{id: "F10 US Gov v2, A12", cfg: "CFG-A12", o: jwtauthtest.EntraSignOptions{Key: jwtauthtest.EntraKeyUSGov},
		claims: fx("F3", map[string]any{"iss": "https://login.microsoftonline.us/" + tidGov + "/v2.0", "tid": tidGov}),
		want:   rejects(jwtauth.ErrUnknownIssuer, jwtauth.ErrEntraWrongCloud)},
	{id: "F10b US Gov v1, GOV", cfg: "CFG-GOV", o: jwtauthtest.EntraSignOptions{Key: jwtauthtest.EntraKeyUSGov, V1Header: true},
		claims: fx("F3b", map[string]any{"iss": "https://sts.windows.net/" + tidGov + "/", "tid": tidGov}),
		want:   entraWant{username: "jane@contoso.com", uid: tidGov + "/" + oidU}},
	{id: "F10b US Gov v1, public configuration of the same issuer", cfg: "CFG-GOVpublic", o: jwtauthtest.EntraSignOptions{Key: jwtauthtest.EntraKeyUSGov, V1Header: true},
		claims: fx("F3b", map[string]any{"iss": "https://sts.windows.net/" + tidGov + "/", "tid": tidGov}),
		want:   rejects(jwtauth.ErrUnknownKey)},
	{id: "F10c China v1", cfg: "CFG-CN", o: jwtauthtest.EntraSignOptions{Key: jwtauthtest.EntraKeyChina, V1Header: true},
		claims: fx("F3b", map[string]any{"iss": "https://sts.chinacloudapi.cn/" + tidCN + "/", "tid": tidCN}),
		want:   entraWant{username: "jane@contoso.com", uid: tidCN + "/" + oidU}},
	{id: "F10c China v2", cfg: "CFG-CN", o: jwtauthtest.EntraSignOptions{Key: jwtauthtest.EntraKeyChina},
		claims: fx("F3", map[string]any{"iss": "https://login.partner.microsoftonline.cn/" + tidCN + "/v2.0", "tid": tidCN}),
		want:   entraWant{username: "jane@contoso.com", uid: tidCN + "/" + oidU}},
	{id: "F11 Microsoft Graph token", cfg: "CFG-A12", o: jwtauthtest.EntraSignOptions{V1Header: true, Nonce: "AQABAAAAAABnfiG-mA6NTae7CdWW7QfdR_vA1td_KJ55uewzV8uA"},
		claims: fx("F11", nil), want: rejects(jwtauth.ErrSignature, jwtauth.ErrEntraUnverifiable)},
	{id: "F11 Microsoft Graph token, audience", cfg: "CFG-A12", o: jwtauthtest.EntraSignOptions{V1Header: true},
		claims: fx("F11", nil), want: rejects(jwtauth.ErrAudience, jwtauth.ErrEntraUnverifiable)},
	{id: "F12 unsigned v1 ID token", cfg: "CFG-ID", o: jwtauthtest.EntraSignOptions{Unsigned: true},
		claims: fx("F3b", map[string]any{"aud": appClient}), want: rejects(jwtauth.ErrMalformedToken, jwtauth.ErrEntraUnverifiable)},
	{id: "F13a tid and TID", cfg: "CFG-A12", o: v2,
		payload: func(env *entraEnv) string { return entraRawF3(env, `"tid":"`+tidA+`","TID":"`+tidB+`"`) },
		want:    rejects(jwtauth.ErrMalformedToken, claims.ErrAmbiguousClaim)},
	{id: "F13b tid twice", cfg: "CFG-A12", o: v2,
		payload: func(env *entraEnv) string { return entraRawF3(env, `"tid":"`+tidA+`","tid":"`+tidB+`"`) },
		want:    rejects(jwtauth.ErrMalformedToken, claims.ErrDuplicateClaim)},
	{id: "F13c only TID", cfg: "CFG-A12", o: v2,
		payload: func(env *entraEnv) string { return entraRawF3(env, `"TID":"`+tidA+`"`) },
		want:    rejects(jwtauth.ErrMalformedToken, claims.ErrAmbiguousClaim)},
	{id: "F14 app-specific key, A12", cfg: "CFG-A12", o: jwtauthtest.EntraSignOptions{Key: jwtauthtest.EntraKeyApp},
		claims: fx("F3", nil), want: rejects(jwtauth.ErrUnknownKey)},
	{id: "F14 app-specific key, A12 + appid keys", cfg: "CFG-A12+app", o: jwtauthtest.EntraSignOptions{Key: jwtauthtest.EntraKeyApp},
		claims: fx("F3", nil), want: entraWant{username: "jane@contoso.com", uid: tidA + "/" + oidU}, plainDiffers: true},
	{id: "F16 CAE token lives 26 h", cfg: "CFG-A12", o: v2,
		claims: func(env *entraEnv, t *testing.T) map[string]any {
			return env.fixture(t, "F3", map[string]any{"exp": env.t0.Add(26 * time.Hour).Unix(), "xms_cc": []string{"cp1"}})
		},
		want: entraWant{username: "jane@contoso.com", uid: tidA + "/" + oidU}},
	{id: "F17 nbf now+30s", cfg: "CFG-A12", o: v2,
		claims: func(env *entraEnv, t *testing.T) map[string]any {
			return env.fixture(t, "F3", map[string]any{"nbf": env.now.Add(30 * time.Second).Unix()})
		},
		want: entraWant{username: "jane@contoso.com", uid: tidA + "/" + oidU}},
	// kube-apiserver's nbf leeway is a fixed minute; entra.md suggests 5.
	{id: "F17 nbf now+120s", cfg: "CFG-A12", o: v2,
		claims: func(env *entraEnv, t *testing.T) map[string]any {
			return env.fixture(t, "F3", map[string]any{"nbf": env.now.Add(120 * time.Second).Unix()})
		},
		want: rejects(jwtauth.ErrNotYetValid)},
	{id: "F17 nbf now+600s", cfg: "CFG-A12", o: v2,
		claims: func(env *entraEnv, t *testing.T) map[string]any {
			return env.fixture(t, "F3", map[string]any{"nbf": env.now.Add(600 * time.Second).Unix()})
		},
		want: rejects(jwtauth.ErrNotYetValid)},
}

// entraRawF3 is the F3 payload with its tid member replaced by members.
func entraRawF3(env *entraEnv, members string) string {
	t0 := strconv.FormatInt(env.t0.Unix(), 10)
	exp := strconv.FormatInt(env.t0.Unix()+4500, 10)
	return `{"aud":"` + appAPI + `","iss":"https://login.microsoftonline.com/` + tidA + `/v2.0","iat":` + t0 + `,"nbf":` + t0 + `,"exp":` + exp +
		`,"azp":"` + appClient + `","oid":"` + oidU + `","preferred_username":"jane@contoso.com","scp":"access_as_user","sub":"HKZ",` + members + `,"ver":"2.0"}`
}

func TestEntraFixtures(t *testing.T) {
	env := newEntraEnv(t)
	ctx := context.Background()
	for _, tc := range entraCases {
		t.Run(tc.id, func(t *testing.T) {
			var tok string
			if tc.payload != nil {
				var err error
				tok, err = env.fake.SignPayload(tc.o, []byte(tc.payload(env)))
				require.NoError(t, err)
			} else {
				tok = env.sign(t, tc.o, tc.claims(env, t))
			}
			a := env.auth(t, tc.cfg)
			u, err := a.Authenticate(ctx, tok)
			plain, perr := a.Authenticator().Authenticate(ctx, tok)
			if tc.want.errs != nil {
				require.Error(t, err)
				t.Log(err)
				for _, want := range tc.want.errs {
					require.ErrorIs(t, err, want)
				}
				var je *jwtauth.Error
				require.ErrorAs(t, err, &je)
				if tc.plainDiffers {
					require.NoError(t, perr, "the standard configuration alone accepts it")
				} else {
					require.Error(t, perr, "the standard configuration refuses it too")
				}
				return
			}
			require.NoError(t, err)
			if tc.plainDiffers {
				require.Error(t, perr, "the standard configuration alone refuses it")
				plain = &u.User
			} else {
				require.NoError(t, perr)
			}
			checkEntraUser(t, tc.want, u, plain)
		})
	}
}

// checkEntraUser compares the outcome with the table, and the CEL
// mapping of the standard configuration (plain) with the Go derivation.
func checkEntraUser(t *testing.T, want entraWant, u *jwtauth.EntraUser, plain *jwtauth.User) {
	t.Helper()
	require.Equal(t, want.username, u.Username, "username (CEL)")
	require.Equal(t, want.username, u.Identity.Username, "username (Go)")
	require.Equal(t, want.uid, u.UID)
	require.Equal(t, want.uid, u.Identity.TenantID+"/"+u.Identity.ObjectID)
	require.Equal(t, want.email, u.Identity.Email, "email (Go)")
	require.Equal(t, want.verified, u.Identity.EmailVerified)
	require.Equal(t, want.app, u.Identity.App)
	if want.email == "" {
		require.NotContains(t, u.Extra, jwtauth.EntraExtraEmail)
	} else {
		require.Equal(t, []string{want.email}, u.Extra[jwtauth.EntraExtraEmail], "email (CEL)")
	}
	switch want.verified {
	case claims.EmailVerified:
		require.Equal(t, []string{"true"}, u.Extra[jwtauth.EntraExtraEmailVerified])
	case claims.EmailUnverified:
		require.Equal(t, []string{"false"}, u.Extra[jwtauth.EntraExtraEmailVerified])
	default:
		require.NotContains(t, u.Extra, jwtauth.EntraExtraEmailVerified, "verification is never invented")
	}
	require.Equal(t, want.groups, nilIfEmpty(u.Groups))
	require.Equal(t, want.overage, u.Identity.GroupsOverage)
	require.Equal(t, !want.overage, u.GroupsComplete)
	if want.overage {
		require.ErrorIs(t, u.GroupsErr, jwtauth.ErrEntraGroupsIncomplete)
		require.Equal(t, []string{"true"}, u.Extra[jwtauth.EntraExtraGroupsIncomplete])
	} else {
		require.NoError(t, u.GroupsErr)
		require.NotContains(t, u.Extra, jwtauth.EntraExtraGroupsIncomplete)
	}
	require.Equal(t, plain.Username, u.Username)
	require.Equal(t, plain.Extra, u.Extra)
	require.Equal(t, []string{u.Identity.TenantID}, u.Extra[jwtauth.EntraExtraTenantID])
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}
