package jwtauth

// Microsoft Entra ID (Azure AD): the standard configuration for a tenant.
//
// Everything here produces ordinary jwt[] entries: exact issuers, audiences
// and CEL expressions that kube-apiserver itself would load. The quirks
// they encode, each from Microsoft's documentation:
//
//   - Two issuers per tenant. The *resource* app's manifest decides the
//     access-token version (api.requestedAccessTokenVersion, formerly
//     accessTokenAcceptedVersion: null or 1 gives v1.0), not the endpoint
//     the client used; v1.0 tokens say iss=https://sts.windows.net/{tid}/
//     (trailing slash), v2.0 tokens https://login.microsoftonline.com/{tid}/v2.0.
//     https://learn.microsoft.com/entra/identity-platform/access-tokens
//     ("Token formats"), https://learn.microsoft.com/entra/identity-platform/reference-app-manifest.
//   - Sovereign clouds change hosts, and US Government v1.0 tokens reuse
//     sts.windows.net, so the cloud is pinned by the discovery URL (which
//     names the JWKS), never guessed from iss.
//     https://learn.microsoft.com/entra/identity-platform/authentication-national-cloud.
//   - Multi-tenant metadata ("common", "organizations") names the literal
//     issuer https://login.microsoftonline.com/{tenantid}/v2.0, which no
//     exact-issuer validator can use: we generate one entry per allowed
//     tenant instead, so tokens of other tenants are refused and a token
//     whose iss holds "{tenantid}" never matches.
//   - Audiences: v2.0 tokens always carry the API's client ID; v1.0 tokens
//     carry whatever resource the client asked for: the GUID, api://{appid}
//     or api://{appid}/ (https://learn.microsoft.com/entra/identity-platform/optional-claims-reference, aud).
//   - No email_verified and often no email; group overage replaces the
//     groups claim with a pointer to a legacy endpoint. See the CEL
//     expressions below and claims/entra.go.

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/structauth/structauth/claims"
)

// EntraCloud selects a Microsoft cloud: its sign-in (authority) host and
// the hosts its tokens name as issuer.
type EntraCloud int

const (
	// EntraPublic is the global cloud (login.microsoftonline.com).
	EntraPublic EntraCloud = iota
	// EntraUSGovernment is Azure Government, GCC High and DoD
	// (login.microsoftonline.us); its v1.0 tokens say sts.windows.net.
	EntraUSGovernment
	// EntraChina is Azure operated by 21Vianet (login.chinacloudapi.cn);
	// its v2.0 issuer host is login.partner.microsoftonline.cn.
	EntraChina
)

// entraCloudHosts: https://learn.microsoft.com/en-us/answers/questions/1190472/what-are-the-token-issuers-for-the-sovereign-cloud
// and MSAL.js lib/msal-common/src/authority/AuthorityMetadata.ts.
type entraCloudHosts struct {
	name      string
	authority string // discovery documents and keys
	v1        string // iss host of v1.0 tokens
	v2        string // iss host of v2.0 tokens
	graph     string // Microsoft Graph, for group resolvers
}

var entraClouds = [...]entraCloudHosts{
	EntraPublic:       {"public", "login.microsoftonline.com", "sts.windows.net", "login.microsoftonline.com", "graph.microsoft.com"},
	EntraUSGovernment: {"US Government", "login.microsoftonline.us", "sts.windows.net", "login.microsoftonline.us", "graph.microsoft.us"},
	EntraChina:        {"China", "login.chinacloudapi.cn", "sts.chinacloudapi.cn", "login.partner.microsoftonline.cn", "microsoftgraph.chinacloudapi.cn"},
}

func (c EntraCloud) valid() bool { return c >= 0 && int(c) < len(entraClouds) }

func (c EntraCloud) String() string {
	if !c.valid() {
		return "EntraCloud(" + strconv.Itoa(int(c)) + ")"
	}
	return entraClouds[c].name
}

// hosts returns the cloud's hosts; an unknown cloud has none.
func (c EntraCloud) hosts() entraCloudHosts {
	if !c.valid() {
		return entraCloudHosts{}
	}
	return entraClouds[c]
}

// AuthorityHost is the cloud's sign-in host, which serves the discovery
// documents and signing keys ("" for an unknown cloud).
func (c EntraCloud) AuthorityHost() string { return c.hosts().authority }

// GraphHost is the cloud's Microsoft Graph host, for group resolvers.
func (c EntraCloud) GraphHost() string { return c.hosts().graph }

// IssuerV1 is the "iss" of the tenant's v1.0 tokens (trailing slash).
func (c EntraCloud) IssuerV1(tenantID string) string {
	return "https://" + c.hosts().v1 + "/" + tenantID + "/"
}

// IssuerV2 is the "iss" of the tenant's v2.0 tokens (no trailing slash).
func (c EntraCloud) IssuerV2(tenantID string) string {
	return "https://" + c.hosts().v2 + "/" + tenantID + "/v2.0"
}

// discoveryV1 is the tenant's v1.0 metadata, on the authority host: the
// v1.0 issuer's own host may belong to another cloud (US Government).
func (c EntraCloud) discoveryV1(tenantID string) string {
	return "https://" + c.hosts().authority + "/" + tenantID + "/.well-known/openid-configuration"
}

func (c EntraCloud) discoveryV2(tenantID string) string {
	return "https://" + c.hosts().authority + "/" + tenantID + "/v2.0/.well-known/openid-configuration"
}

// EntraVersions selects the token versions a configuration accepts.
type EntraVersions int

const (
	// EntraV1AndV2 (the zero value) accepts both: two jwt entries per tenant.
	EntraV1AndV2 EntraVersions = iota
	// EntraV1Only accepts v1.0 tokens (AKS tokens, default app manifests).
	EntraV1Only
	// EntraV2Only accepts v2.0 tokens.
	EntraV2Only
)

// Extra keys set by the generated configuration. They carry what
// kube's user.Info has no field for.
const (
	// EntraExtraTenantID holds the tenant ID ("tid").
	EntraExtraTenantID = "entra.structauth.io/tid"
	// EntraExtraObjectID holds the object ID ("oid").
	EntraExtraObjectID = "entra.structauth.io/oid"
	// EntraExtraEmail holds the email (see claims.EntraEmail).
	EntraExtraEmail = "entra.structauth.io/email"
	// EntraExtraEmailVerified holds "true" or "false" from xms_edov; it
	// is absent when verification is unknown.
	EntraExtraEmailVerified = "entra.structauth.io/email-verified"
	// EntraExtraGroupsIncomplete is ["true"] when the token has a groups
	// overage: the user's groups are unknown, not empty.
	EntraExtraGroupsIncomplete = "entra.structauth.io/groups-incomplete"
)

// EntraConfig describes one API that accepts Entra ID tokens from an
// allow-list of tenants. JWTAuthenticators turns it into the standard
// configuration; NewEntra also uses the fields marked "NewEntra only".
// The zero values of the optional fields are the recommended behaviour.
type EntraConfig struct {
	// Cloud is the Microsoft cloud; the zero value is EntraPublic.
	Cloud EntraCloud
	// TenantIDs are the allowed tenants (directory IDs, GUIDs), one or
	// more: tokens of any other tenant are refused with
	// ErrEntraTenantNotAllowed. "common", "organizations" and "consumers"
	// are not tenants; list claims.EntraMSATenantID to accept personal
	// Microsoft accounts (v2.0 only).
	TenantIDs []string
	// ClientID is the API's application (client) ID. It adds the
	// audiences ClientID, api://ClientID and api://ClientID/.
	ClientID string
	// Audiences are more accepted audiences (another App ID URI,
	// "spn:"+ClientID for legacy AKS AAD-v1 tokens). ClientID or
	// Audiences must be set.
	Audiences []string
	// Versions selects v1.0 and/or v2.0 tokens; the zero value is both.
	Versions EntraVersions
	// GuardUsername maps the username as AKS's guard webhook (upn, else
	// oid) instead of claims.EntraUsernameClaims.
	GuardUsername bool
	// UsernamePrefix and GroupsPrefix are prepended to the username and to
	// each group (for example "aks:jwt:" or "entra:"). Empty means none.
	UsernamePrefix, GroupsPrefix string
	// EmailFallback fills EntraExtraEmail from upn, preferred_username or
	// unique_name when the token has no email (see claims.EntraOptions).
	EmailFallback bool

	// AppSigningKeys (NewEntra only) also accepts tokens signed with the
	// application-specific keys of apps that use claims mapping, served at
	// the metadata URL with ?appid=ClientID. A jwt entry cannot express
	// this (kube-apiserver refuses a discoveryURL with a query).
	AppSigningKeys bool
	// GroupsResolver (NewEntra only) completes the groups of a token with
	// a groups overage. Nil means the user is returned with
	// GroupsComplete false.
	GroupsResolver EntraGroupsResolver
	// RequireCompleteGroups (NewEntra only) rejects, with
	// ErrEntraGroupsIncomplete, a token whose groups stay incomplete.
	RequireCompleteGroups bool
}

// entraTenantNames are the multi-tenant authority names that are not
// tenants: a token is always issued by one tenant.
var entraTenantNames = map[string]string{
	"common":        "any work, school or personal account",
	"organizations": "any work or school account",
	"consumers":     "personal Microsoft accounts, whose tenant is " + claims.EntraMSATenantID,
}

// normalize validates c and returns the tenants (lower case) and audiences.
func (c *EntraConfig) normalize() (tenants, audiences []string, err error) {
	var errs []error
	add := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("jwtauth: EntraConfig."+format, args...))
	}
	if !c.Cloud.valid() {
		add("Cloud: unknown cloud %d", int(c.Cloud))
	}
	if c.Versions < EntraV1AndV2 || c.Versions > EntraV2Only {
		add("Versions: unknown value %d", int(c.Versions))
	}
	if len(c.TenantIDs) == 0 {
		add("TenantIDs: at least one tenant ID is required")
	}
	seen := map[string]bool{}
	for i, t := range c.TenantIDs {
		lt := strings.ToLower(t)
		switch {
		case entraTenantNames[lt] != "":
			add("TenantIDs[%d]: %q (%s) is not a tenant: Entra tokens always name one tenant; list the allowed tenant IDs", i, t, entraTenantNames[lt])
		case !claims.IsGUID(lt):
			add("TenantIDs[%d]: %q is not a tenant ID (a GUID)", i, t)
		case seen[lt]:
			add("TenantIDs[%d]: duplicate tenant %q", i, t)
		case lt == claims.EntraMSATenantID && c.Versions == EntraV1Only:
			add("TenantIDs[%d]: personal Microsoft accounts have v2.0 tokens only", i)
		default:
			seen[lt] = true
			tenants = append(tenants, lt)
		}
	}
	if c.ClientID != "" {
		if !claims.IsGUID(strings.ToLower(c.ClientID)) {
			add("ClientID: %q is not an application ID (a GUID)", c.ClientID)
		} else {
			id := strings.ToLower(c.ClientID)
			audiences = append(audiences, id, "api://"+id, "api://"+id+"/")
		}
	}
	for _, a := range c.Audiences {
		if a != "" && !slices.Contains(audiences, a) {
			audiences = append(audiences, a)
		}
	}
	if len(audiences) == 0 {
		add("ClientID: the API's client ID (or Audiences) is required")
	}
	n := len(tenants)
	if c.Versions == EntraV1AndV2 {
		n = 2*len(tenants) - entraCountMSA(tenants)
	}
	if n > maxJWTAuthenticators {
		add("TenantIDs: %d tenants need %d jwt entries, above kube-apiserver's limit of %d", len(tenants), n, maxJWTAuthenticators)
	}
	return tenants, audiences, errors.Join(errs...)
}

// JWTAuthenticators returns the standard configuration for c: for each
// allowed tenant, a jwt entry for its v1.0 issuer and one for its v2.0
// issuer (as c.Versions selects; personal accounts have v2.0 only). Each
// entry pins the cloud through its discovery URL where the issuer's host
// is not the cloud's authority, accepts c's audiences, checks that "tid"
// is the issuer's tenant, that "ver" matches the issuer, and that no
// Entra claim appears in another letter case, and maps:
//
//   - username: EntraUsernameExpression (with UsernamePrefix);
//   - groups: the "groups" claim by expression (never the claim form,
//     which would make kube-apiserver fetch the overage endpoint and fail
//     the whole authentication);
//   - uid: "{tid}/{oid}", the stable key of a user or app;
//   - extra: EntraExtraTenantID, EntraExtraObjectID, EntraExtraEmail,
//     EntraExtraEmailVerified, EntraExtraGroupsIncomplete.
//
// All problems in c are reported together.
func (c *EntraConfig) JWTAuthenticators() ([]JWTAuthenticator, error) {
	tenants, audiences, err := c.normalize()
	if err != nil {
		return nil, err
	}
	var out []JWTAuthenticator
	for _, tid := range tenants {
		if c.Versions != EntraV2Only && tid != claims.EntraMSATenantID {
			out = append(out, c.entry(c.Cloud.IssuerV1(tid), c.Cloud.discoveryV1(tid), tid, claims.EntraV1, audiences))
		}
		if c.Versions != EntraV1Only {
			disc := ""
			if entraClouds[c.Cloud].v2 != entraClouds[c.Cloud].authority {
				disc = c.Cloud.discoveryV2(tid)
			}
			out = append(out, c.entry(c.Cloud.IssuerV2(tid), disc, tid, claims.EntraV2, audiences))
		}
	}
	return out, nil
}

// AuthenticationConfiguration wraps JWTAuthenticators in a complete
// apiserver.config.k8s.io/v1 document.
func (c *EntraConfig) AuthenticationConfiguration() (*AuthenticationConfiguration, error) {
	jwt, err := c.JWTAuthenticators()
	if err != nil {
		return nil, err
	}
	return &AuthenticationConfiguration{APIVersion: APIVersionV1, Kind: Kind, JWT: jwt}, nil
}

func (c *EntraConfig) entry(issuer, discoveryURL, tid, ver string, audiences []string) JWTAuthenticator {
	m := entraMappings{
		tenant: tid, guard: c.GuardUsername, emailFallback: c.EmailFallback,
		usernamePrefix: c.UsernamePrefix, groupsPrefix: c.GroupsPrefix,
	}
	rules := []ClaimValidationRule{
		{Expression: `claims.?tid.orValue("") == ` + entraCELString(tid), Message: "tid must be " + tid + ", the tenant of the issuer (entra: iss/tid mismatch)"},
		{Expression: `claims.?ver.orValue(` + entraCELString(ver) + `) == ` + entraCELString(ver), Message: "ver must be " + ver + " for the issuer " + issuer + " (entra: token version mismatch)"},
		entraClaimNamesRule(),
	}
	return m.authenticator(issuer, discoveryURL, audiences, rules)
}

// EntraB2CConfig describes an Azure AD B2C user flow (policy). B2C tokens
// have no "tid", say "ver": "1.0" under an issuer ending in "/v2.0/"
// (trailing slash), and are discovered per policy at a URL that differs
// from the issuer: https://learn.microsoft.com/azure/active-directory-b2c/tokens-overview.
type EntraB2CConfig struct {
	// TenantName is the B2C tenant's short name ("contosob2c" in
	// contosob2c.b2clogin.com); TenantID its directory ID (GUID).
	TenantName, TenantID string
	// Policy is the user flow, for example "B2C_1_signupsignin1"; tokens
	// of other user flows (tfp or acr claim) are refused.
	Policy string
	// ClientID is the application's client ID; Audiences adds more.
	ClientID  string
	Audiences []string
	// UsernamePrefix and GroupsPrefix as in EntraConfig.
	UsernamePrefix, GroupsPrefix string
}

// JWTAuthenticator returns the jwt entry for the user flow: the tenant-ID
// issuer form https://{name}.b2clogin.com/{tid}/v2.0/ (the "tfp" form,
// https://{name}.b2clogin.com/tfp/{tid}/{policy}/v2.0/, is refused with
// ErrEntraIssuerForm), discovery at the policy's metadata, the same
// mappings as EntraConfig (the username usually comes from "emails"), and
// the user flow pinned by a claim validation rule.
func (c *EntraB2CConfig) JWTAuthenticator() (JWTAuthenticator, error) {
	var errs []error
	add := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("jwtauth: EntraB2CConfig."+format, args...))
	}
	name, tid := strings.ToLower(c.TenantName), strings.ToLower(c.TenantID)
	if name == "" || strings.Trim(name, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
		add("TenantName: %q is not a B2C tenant name", c.TenantName)
	}
	if !claims.IsGUID(tid) {
		add("TenantID: %q is not a tenant ID (a GUID)", c.TenantID)
	}
	if c.Policy == "" || strings.ContainsAny(c.Policy, "/?#% \"\\") {
		add("Policy: %q is not a user flow name", c.Policy)
	}
	var audiences []string
	if c.ClientID != "" {
		audiences = append(audiences, c.ClientID)
	}
	for _, a := range c.Audiences {
		if a != "" && !slices.Contains(audiences, a) {
			audiences = append(audiences, a)
		}
	}
	if len(audiences) == 0 {
		add("ClientID: the application's client ID (or Audiences) is required")
	}
	if err := errors.Join(errs...); err != nil {
		return JWTAuthenticator{}, err
	}
	host := "https://" + name + ".b2clogin.com/"
	issuer := host + tid + "/v2.0/"
	discoveryURL := host + name + ".onmicrosoft.com/" + c.Policy + "/v2.0/.well-known/openid-configuration"
	policy := entraCELString(strings.ToLower(c.Policy))
	rules := []ClaimValidationRule{
		{Expression: `claims.?tfp.orValue(claims.?acr.orValue("")).lowerAscii() == ` + policy, Message: "the token is not from the user flow " + c.Policy},
		entraClaimNamesRule(),
	}
	m := entraMappings{tenant: tid, usernamePrefix: c.UsernamePrefix, groupsPrefix: c.GroupsPrefix}
	return m.authenticator(issuer, discoveryURL, audiences, rules), nil
}

func entraCountMSA(tenants []string) int {
	if slices.Contains(tenants, claims.EntraMSATenantID) {
		return 1
	}
	return 0
}
