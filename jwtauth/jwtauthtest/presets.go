package jwtauthtest

// Presets: the claim sets real providers put in their tokens, so that a
// claim policy can be tested against the shape it will meet in
// production. Claim names and value types follow each provider's
// documentation (cited on each function); values are synthetic.

import (
	"maps"
	"strings"
	"time"
)

// Preset is a provider's token shape: every claim except the issuer,
// audience and times, which Claims fills in. A Preset is immutable: With
// and Without return modified copies, so presets can be shared between
// tests.
type Preset struct {
	name     string
	issuer   string
	audience string
	lifetime time.Duration
	// notBefore is how long before "iat" the token's "nbf" lies; negative
	// means the provider sends no "nbf".
	notBefore time.Duration
	claims    map[string]any
}

// Name is the preset's name, such as "github-actions" or "entra-v1".
func (p *Preset) Name() string { return p.name }

// Issuer is the provider's real issuer URL, used when Claims gets "".
func (p *Preset) Issuer() string { return p.issuer }

// Audience is the provider's usual audience, used when Claims gets "".
func (p *Preset) Audience() string { return p.audience }

// Lifetime is the time between "iat" and "exp".
func (p *Preset) Lifetime() time.Duration { return p.lifetime }

// Get returns a claim of the preset (not iss, aud or the times).
func (p *Preset) Get(key string) (any, bool) {
	v, ok := p.claims[key]
	if _, gone := v.(absent); gone {
		return nil, false
	}
	return deepCopy(v), ok
}

// With returns a copy of p in which claim key is value. Setting "iss",
// "aud", "iat", "nbf" or "exp" overrides what Claims computes.
func (p *Preset) With(key string, value any) *Preset {
	c := p.clone()
	c.claims[key] = value
	return c
}

// Without returns a copy of p without the given claims (including "nbf",
// "iat" or "exp", which Claims then leaves out).
func (p *Preset) Without(keys ...string) *Preset {
	c := p.clone()
	for _, k := range keys {
		c.claims[k] = absent{}
	}
	return c
}

// WithLifetime returns a copy of p whose tokens expire d after "iat".
func (p *Preset) WithLifetime(d time.Duration) *Preset {
	c := p.clone()
	c.lifetime = d
	return c
}

// absent marks a claim removed by Without.
type absent struct{}

func (p *Preset) clone() *Preset {
	c := *p
	c.claims = maps.Clone(p.claims)
	return &c
}

// Claims returns a new claim set: the preset's claims plus "iss" (iss,
// or the provider's issuer when ""), "aud" (aud, or the provider's usual
// audience when ""), "iat" = now, "nbf" as the provider sets it and "exp"
// = now + Lifetime. Claims set with With win over the computed ones.
// Nested maps and slices are copied, so the result may be modified.
func (p *Preset) Claims(iss, aud string, now time.Time) map[string]any {
	if iss == "" {
		iss = p.issuer
	}
	if aud == "" {
		aud = p.audience
	}
	m := map[string]any{
		"iss": iss,
		"aud": aud,
		"iat": now.Unix(),
		"exp": now.Add(p.lifetime).Unix(),
	}
	if p.notBefore >= 0 {
		m["nbf"] = now.Add(-p.notBefore).Unix()
	}
	for k, v := range p.claims {
		if _, gone := v.(absent); gone {
			delete(m, k)
			continue
		}
		m[k] = deepCopy(v)
	}
	return m
}

func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		s := make([]any, len(v))
		for i, e := range v {
			s[i] = deepCopy(e)
		}
		return s
	case []string:
		return append([]string(nil), v...)
	}
	return v
}

// Mint signs p's claims for this issuer (iss = i.URL) with RS256, the
// algorithm every preset provider uses.
func (i *Issuer) Mint(p *Preset, aud string, now time.Time) (string, error) {
	return i.Sign("RS256", p.Claims(i.URL, aud, now))
}

// Mint signs p's claims with the fake Entra's public-cloud key. The
// issuer is the preset's (an Entra preset names its tenant's real
// issuer); v1.0 tokens get the "x5t" header Entra adds to them.
func (e *Entra) Mint(p *Preset, aud string, now time.Time) (string, error) {
	c := p.Claims("", aud, now)
	return e.Sign(EntraSignOptions{V1Header: c["ver"] == "1.0"}, c)
}

// GitHubActions is the OIDC token of a GitHub Actions job of repository
// ("octo-org/octo-repo") running on ref ("refs/heads/main"), from
// https://token.actions.githubusercontent.com with the default audience
// https://github.com/{owner}. The claims are those of
// https://docs.github.com/actions/reference/security/oidc: the ids and
// numbers are JSON strings, "sub" is "repo:{repository}:ref:{ref}" (a job
// with an environment has "repo:{repository}:environment:{name}": set
// both "environment" and "sub" with With), and the token is valid from
// ten minutes before "iat" for five minutes after it.
func GitHubActions(repository, ref string) *Preset {
	owner, _, _ := strings.Cut(repository, "/")
	refType := "branch"
	if strings.HasPrefix(ref, "refs/tags/") {
		refType = "tag"
	}
	workflow := repository + "/.github/workflows/deploy.yml@" + ref
	const sha = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4"
	return &Preset{
		name:      "github-actions",
		issuer:    "https://token.actions.githubusercontent.com",
		audience:  "https://github.com/" + owner,
		lifetime:  5 * time.Minute,
		notBefore: 10 * time.Minute,
		claims: map[string]any{
			"jti":                   "6f9c8a4e-2b1d-4c3e-9f7a-0d5e8b7c6a41",
			"sub":                   "repo:" + repository + ":ref:" + ref,
			"ref":                   ref,
			"ref_type":              refType,
			"ref_protected":         "true",
			"sha":                   sha,
			"repository":            repository,
			"repository_id":         "74",
			"repository_owner":      owner,
			"repository_owner_id":   "65",
			"repository_visibility": "private",
			"actor":                 "octocat",
			"actor_id":              "12",
			"run_id":                "8135249601",
			"run_number":            "10",
			"run_attempt":           "1",
			"runner_environment":    "github-hosted",
			"workflow":              "deploy",
			"workflow_ref":          workflow,
			"workflow_sha":          sha,
			"job_workflow_ref":      workflow,
			"job_workflow_sha":      sha,
			"head_ref":              "",
			"base_ref":              "",
			"event_name":            "push",
		},
	}
}

// Google is a Google ID token for email
// (https://developers.google.com/identity/openid-connect/openid-connect#an-id-tokens-payload):
// issuer https://accounts.google.com, "aud" and "azp" the OAuth client
// ID, a numeric "sub", "email_verified" true, and "hd" (the Workspace
// domain) unless the address is a consumer gmail.com one. Valid one hour.
func Google(email string) *Preset {
	const client = "1234987819200-k8sdemo0abcdefghijklmnopqrstuvw.apps.googleusercontent.com"
	c := map[string]any{
		"azp":            client,
		"sub":            "110169484474386276334",
		"email":          email,
		"email_verified": true,
		"at_hash":        "HK6E_P6Dh8Y93mRNtsDB1Q",
		"name":           "Jane Doe",
		"given_name":     "Jane",
		"family_name":    "Doe",
		"picture":        "https://lh3.googleusercontent.com/a/default-user",
	}
	if _, domain, ok := strings.Cut(email, "@"); ok && domain != "gmail.com" {
		c["hd"] = domain
	}
	return &Preset{name: "google", issuer: "https://accounts.google.com", audience: client,
		lifetime: time.Hour, notBefore: -1, claims: c}
}

// Okta is an access token of an Okta custom authorization server (the
// "default" one: issuer https://{domain}/oauth2/default, audience
// api://default) for the user login, with a "groups" claim as Okta adds
// it when a groups claim is configured on the server
// (https://developer.okta.com/docs/reference/api/oidc/#access-token-payload and
// https://developer.okta.com/docs/guides/customize-tokens-groups-claim/).
// "sub" is the login, "uid" the user's Okta ID, "cid" the client ID. Valid
// one hour, without "nbf".
func Okta(login string, groups ...string) *Preset {
	g := make([]any, len(groups))
	for i, s := range groups {
		g[i] = s
	}
	return &Preset{
		name: "okta", issuer: "https://example.okta.com/oauth2/default", audience: "api://default",
		lifetime: time.Hour, notBefore: -1,
		claims: map[string]any{
			"ver":       1,
			"jti":       "AT.0mP4JKAZX1iACIT4vbEDF7LpvDVjxypPMf0D7uX39RE",
			"cid":       "0oa1k8s9demoClient5d7",
			"uid":       "00u1a2b3c4d5e6f7g8h9",
			"sub":       login,
			"scp":       []any{"openid", "profile", "email", "groups"},
			"auth_time": int64(1700000000),
			"groups":    g,
		},
	}
}

// Keycloak is an access token of a Keycloak realm ("example", issuer
// https://keycloak.example.com/realms/example) for username, with the
// claims of Keycloak's default client scopes (roles, profile, email):
// "realm_access": {"roles": [...]}, "resource_access": {client: {"roles":
// [...]}}, "preferred_username", "email_verified", a UUID "sub", and a
// "groups" claim as the "Group Membership" mapper writes it (full paths)
// (https://www.keycloak.org/docs/latest/server_admin/#_protocol-mappers).
// Audience "account", valid five minutes, without "nbf".
func Keycloak(username string, realmRoles ...string) *Preset {
	roles := []any{"default-roles-example", "offline_access", "uma_authorization"}
	for _, r := range realmRoles {
		roles = append(roles, r)
	}
	return &Preset{
		name: "keycloak", issuer: "https://keycloak.example.com/realms/example", audience: "account",
		lifetime: 5 * time.Minute, notBefore: -1,
		claims: map[string]any{
			"jti":                "onrtac:4f8b3c2e-9a1d-4e7f-b6c5-2d3e4f5a6b7c",
			"sub":                "f3a1c2d4-5b6e-4f70-8a9b-0c1d2e3f4a5b",
			"typ":                "Bearer",
			"azp":                "kubernetes",
			"sid":                "a7b8c9d0-e1f2-4a3b-8c4d-5e6f7a8b9c0d",
			"acr":                "1",
			"auth_time":          int64(1700000000),
			"allowed-origins":    []any{"https://kubernetes.example.com"},
			"realm_access":       map[string]any{"roles": roles},
			"resource_access":    map[string]any{"account": map[string]any{"roles": []any{"manage-account", "manage-account-links", "view-profile"}}},
			"scope":              "openid profile email",
			"email_verified":     true,
			"name":               "Jane Doe",
			"preferred_username": username,
			"given_name":         "Jane",
			"family_name":        "Doe",
			"email":              username + "@example.com",
			"groups":             []any{"/k8s-admins", "/developers"},
		},
	}
}

// Identities used by the Entra presets (synthetic GUIDs, shared with
// testdata/entra).
const (
	// PresetEntraTenant is the default tenant of the Entra presets.
	PresetEntraTenant = "8eaef023-2b34-4da1-9baa-8bc8c9d6a490"
	// PresetEntraAPI is the API (resource) application the Entra presets
	// are issued for: v2.0 tokens have it as "aud", v1.0 ones
	// "api://"+PresetEntraAPI.
	PresetEntraAPI = "6e74172b-be56-4843-9ff4-e66a39bb12e3"
	// PresetEntraUser is the object ID ("oid") of the presets' user.
	PresetEntraUser = "2cf0521c-c76d-4e7c-b41f-863674057db3"
)

var presetEntraGroups = []any{"73fdccdf-e10d-45f9-b7f6-31848842999f", "5988d043-3af9-4e81-b041-90b3456f9f4e"}

// EntraV1 is a v1.0 access token of tenantID (PresetEntraTenant when "")
// for the user upn, as an API whose manifest keeps the default
// requestedAccessTokenVersion gets it
// (https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference):
// issuer https://sts.windows.net/{tid}/ (trailing slash), "ver" "1.0",
// "upn" and "unique_name", "oid", "tid", "appid", "scp", two group object
// IDs, and no "email" (add it with With("email", ...)). Valid 75 minutes.
func EntraV1(tenantID, upn string) *Preset {
	if tenantID == "" {
		tenantID = PresetEntraTenant
	}
	return &Preset{
		name: "entra-v1", issuer: "https://sts.windows.net/" + tenantID + "/", audience: "api://" + PresetEntraAPI,
		lifetime: 75 * time.Minute,
		claims: map[string]any{
			"ver":         "1.0",
			"tid":         tenantID,
			"oid":         PresetEntraUser,
			"sub":         "qweBLvHX49QA5WlXpJzq_erXQ2NldnSqpgY93oALLDY",
			"upn":         upn,
			"unique_name": upn,
			"name":        "Jane Doe",
			"given_name":  "Jane",
			"family_name": "Doe",
			"appid":       "75dbe77f-10a3-4e59-85fd-8c127544f17c",
			"appidacr":    "0",
			"acr":         "1",
			"amr":         []any{"pwd", "mfa"},
			"scp":         "access_as_user",
			"ipaddr":      "203.0.113.10",
			"aio":         "AUQAu/8TAAAA-opaque",
			"rh":          "0.AQkA-opaque.",
			"uti":         "lfZmPsgcWmS3dG78GpMjRA",
			"groups":      presetEntraGroups,
		},
	}
}

// EntraV2 is a v2.0 access token of tenantID (PresetEntraTenant when "")
// for the user whose sign-in name is username: issuer
// https://login.microsoftonline.com/{tid}/v2.0 (no trailing slash),
// "aud" the API's client ID, "ver" "2.0", "preferred_username" (v2.0
// tokens have no "upn" unless configured as an optional claim), "oid",
// "tid", "azp", "scp", two group object IDs, and no "email" (add it with
// With("email", ...)). Valid 75 minutes.
func EntraV2(tenantID, username string) *Preset {
	if tenantID == "" {
		tenantID = PresetEntraTenant
	}
	return &Preset{
		name: "entra-v2", issuer: "https://login.microsoftonline.com/" + tenantID + "/v2.0", audience: PresetEntraAPI,
		lifetime: 75 * time.Minute,
		claims: map[string]any{
			"ver":                "2.0",
			"tid":                tenantID,
			"oid":                PresetEntraUser,
			"sub":                "HKZpfaHyWadeOouYlitjrI-KffTm222X5rrV3xDqfKQ",
			"preferred_username": username,
			"name":               "Jane Doe",
			"azp":                "75dbe77f-10a3-4e59-85fd-8c127544f17c",
			"azpacr":             "0",
			"scp":                "access_as_user",
			"aio":                "AXQAi/8IAAAA-opaque",
			"rh":                 "I",
			"uti":                "fqiBqXLPj0eQa82S-IYFAA",
			"groups":             presetEntraGroups,
		},
	}
}

// EntraGroupOverage returns a copy of an Entra preset for a user in too
// many groups (more than 200 in a JWT): "groups" is replaced by the
// overage claims "_claim_names": {"groups": "src1"} and "_claim_sources":
// {"src1": {"endpoint": ...}}, with the legacy Azure AD Graph endpoint
// Entra writes
// (https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference#groups-overage-claim).
func EntraGroupOverage(p *Preset) *Preset {
	tid, _ := p.claims["tid"].(string)
	oid, _ := p.claims["oid"].(string)
	c := p.Without("groups")
	c.claims["_claim_names"] = map[string]any{"groups": "src1"}
	c.claims["_claim_sources"] = map[string]any{"src1": map[string]any{
		"endpoint": "https://graph.windows.net/" + tid + "/users/" + oid + "/getMemberObjects",
	}}
	c.name = p.name + "-overage"
	return c
}

// EntraHasGroups returns a copy of an Entra preset with the implicit-flow
// form of the overage: no "groups" and "hasgroups": true.
func EntraHasGroups(p *Preset) *Preset {
	c := p.Without("groups")
	c.claims["hasgroups"] = true
	c.name = p.name + "-hasgroups"
	return c
}
