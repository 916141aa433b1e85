package jwtauth

// Entra diagnostics: sentinels for the ways an Entra token goes wrong, and
// the explanation attached to ErrUnknownIssuer when a token's issuer is an
// Entra issuer the configuration does not list (called from route).

import (
	"errors"
	"net/url"
	"slices"
	"strings"

	"github.com/structauth/structauth/claims"
)

// Entra sentinel errors. Each is matched with errors.Is on an *Error whose
// class (Check and its check sentinel, such as ErrUnknownIssuer) is
// unchanged: the Entra sentinel only adds the reason.
var (
	// ErrEntraTokenVersion: a v1.0 token where only v2.0 tokens of its
	// tenant are configured, or the reverse. The API's app manifest
	// (api.requestedAccessTokenVersion) decides the version.
	ErrEntraTokenVersion = errors.New("jwtauth: entra: token version not accepted")
	// ErrEntraTenantNotAllowed: the token's tenant is not in the allow-list
	// (or is not a tenant ID at all, like "common").
	ErrEntraTenantNotAllowed = errors.New("jwtauth: entra: tenant not allowed")
	// ErrEntraTenantMismatch: "tid" is not the tenant named by "iss".
	ErrEntraTenantMismatch = errors.New("jwtauth: entra: iss and tid name different tenants")
	// ErrEntraIssuerForm: "iss" is not an issuer form Entra puts in tokens
	// or that the configuration accepts: the {tenantid} placeholder of the
	// multi-tenant metadata, a B2C "tfp" issuer, a discovery base such as
	// https://sts.windows.net/{tid}/v2.0.
	ErrEntraIssuerForm = errors.New("jwtauth: entra: issuer form not accepted")
	// ErrEntraWrongCloud: the token comes from another Microsoft cloud.
	ErrEntraWrongCloud = errors.New("jwtauth: entra: token from another cloud")
	// ErrEntraSigningKeyIssuer: the v2.0 signing key's "issuer" member,
	// with {tenantid} replaced by the token's tid, is not the token's iss
	// (https://learn.microsoft.com/entra/identity-platform/access-tokens,
	// "Validate the signing key issuer").
	ErrEntraSigningKeyIssuer = errors.New("jwtauth: entra: signing key issuer mismatch")
	// ErrEntraUnverifiable: a token no third party can verify: a Microsoft
	// Graph (first-party API) token, whose header "nonce" is hashed before
	// signing, or an unsigned (alg none) v1.0 ID token.
	ErrEntraUnverifiable = errors.New("jwtauth: entra: token not verifiable by this API")
	// ErrEntraGroupsIncomplete: the token has a groups overage and the
	// groups could not be completed. It is a flag on EntraUser (GroupsErr),
	// and an error only with EntraConfig.RequireCompleteGroups.
	ErrEntraGroupsIncomplete = errors.New("jwtauth: entra: groups incomplete")
)

// entraError explains an *Error: its text is the explanation (no prefix:
// the *Error has one), it matches kind, and it unwraps to the cause.
type entraError struct {
	kind  error
	msg   string
	cause error
}

func (e *entraError) Error() string {
	if e.cause != nil {
		return e.msg + ": " + e.cause.Error()
	}
	return e.msg
}

func (e *entraError) Is(target error) bool { return e.kind != nil && target == e.kind }
func (e *entraError) Unwrap() error        { return e.cause }

func entraErr(kind error, msg string) *entraError { return &entraError{kind: kind, msg: msg} }

// entraExplain returns a copy of e whose cause is the explanation.
func (e *Error) entraExplain(kind error, msg string) *Error {
	c := *e
	c.Err = &entraError{kind: kind, msg: msg, cause: e.Err}
	return &c
}

// entraIssuer is an "iss" parsed by the shapes Entra uses.
type entraIssuer struct {
	version string       // claims.EntraV1 or EntraV2; "" for other forms
	host    string       // lower case
	tenant  string       // first path segment
	clouds  []EntraCloud // clouds whose issuer host this is (v1 sts.windows.net: two)
	b2c     bool
	tfp     bool // B2C https://{name}.b2clogin.com/tfp/{tid}/{policy}/v2.0/
}

// parseEntraIssuer recognises Entra ID and B2C issuers; ok is false for
// any other issuer. Entra hosts with an unknown path shape return ok with
// an empty version.
func parseEntraIssuer(iss string) (entraIssuer, bool) {
	rest, ok := strings.CutPrefix(iss, "https://")
	if !ok {
		return entraIssuer{}, false
	}
	host, path, _ := strings.Cut(rest, "/")
	host = strings.ToLower(host)
	e := entraIssuer{host: host}
	if strings.HasSuffix(host, ".b2clogin.com") {
		e.b2c = true
		segs := strings.Split(path, "/")
		if len(segs) > 0 && segs[0] == "tfp" {
			e.tfp = true
			if len(segs) > 1 {
				e.tenant = segs[1]
			}
			return e, true
		}
		if len(segs) == 3 && segs[1] == "v2.0" && segs[2] == "" {
			e.version, e.tenant = claims.EntraV2, segs[0]
		}
		return e, true
	}
	for c, h := range entraClouds {
		if host == h.v1 {
			e.clouds = append(e.clouds, EntraCloud(c))
		}
	}
	if len(e.clouds) > 0 {
		if t, ok := strings.CutSuffix(path, "/"); ok && t != "" && !strings.Contains(t, "/") {
			e.version, e.tenant = claims.EntraV1, t
		}
		return e, true
	}
	for c, h := range entraClouds {
		if host == h.v2 {
			e.clouds = append(e.clouds, EntraCloud(c))
		}
	}
	if len(e.clouds) == 0 {
		return entraIssuer{}, false
	}
	if t, ok := strings.CutSuffix(path, "/v2.0"); ok && t != "" && !strings.Contains(t, "/") {
		e.version, e.tenant = claims.EntraV2, t
	}
	return e, true
}

// pinCloud narrows a configured issuer's clouds with its discovery URL's
// host, which names the cloud whose keys it trusts.
func (e *entraIssuer) pinCloud(discoveryURL string) {
	if discoveryURL == "" {
		return
	}
	u, err := url.Parse(discoveryURL)
	if err != nil {
		return
	}
	for c, h := range entraClouds {
		if strings.EqualFold(u.Host, h.authority) || strings.EqualFold(u.Host, h.v2) {
			e.clouds = []EntraCloud{EntraCloud(c)}
			return
		}
	}
}

func (e *entraIssuer) sharesCloud(o *entraIssuer) bool {
	if e.b2c || o.b2c {
		return e.b2c && o.b2c && e.host == o.host
	}
	for _, c := range e.clouds {
		for _, d := range o.clouds {
			if c == d {
				return true
			}
		}
	}
	return false
}

// Well-known first-party application IDs named in explanations.
const (
	entraGraphAppID = "00000003-0000-0000-c000-000000000000"
	entraAKSAppID   = "6dae42f8-4368-4678-94ff-3960e28e3630"
)

// diagnoseIssuer explains why an Entra-shaped issuer has no authenticator,
// when the configuration has Entra issuers; otherwise it returns nil and
// the token is simply not ours. It runs only on the unknown-issuer path.
func (a *Authenticator) diagnoseIssuer(iss string, cs *claims.Set) error {
	tok, ok := parseEntraIssuer(iss)
	if !ok {
		return nil
	}
	var conf []entraIssuer
	for _, ia := range a.issuers {
		if c, ok := parseEntraIssuer(ia.url); ok && c.version != "" {
			c.pinCloud(ia.cfg.Issuer.DiscoveryURL)
			conf = append(conf, c)
		}
	}
	if len(conf) == 0 {
		return nil
	}
	quoted := truncate(iss, 256)
	switch {
	case strings.ContainsAny(iss, "{}"):
		return entraErr(ErrEntraIssuerForm, "iss holds a placeholder ({tenantid}) from Entra's multi-tenant metadata; genuine tokens name their tenant, so this token is refused")
	case tok.tfp:
		return entraErr(ErrEntraIssuerForm, "iss is a B2C \"tfp\" issuer; configure the user flow's issuer in the tenant-ID form https://{name}.b2clogin.com/{tenant-id}/v2.0/")
	case tok.version == "":
		return entraErr(ErrEntraIssuerForm, "iss "+quoted+" is not an issuer Entra puts in tokens (v1.0: https://sts.windows.net/{tenant-id}/, v2.0: https://login.microsoftonline.com/{tenant-id}/v2.0)")
	}
	var sameCloud []entraIssuer
	for _, c := range conf {
		if tok.sharesCloud(&c) {
			sameCloud = append(sameCloud, c)
		}
	}
	if len(sameCloud) == 0 {
		return entraErr(ErrEntraWrongCloud, "the token comes from the "+entraCloudNames(tok.clouds, tok.host)+" cloud but the configuration accepts the "+entraCloudNames(conf[0].clouds, conf[0].host)+" cloud")
	}
	if !claims.IsGUID(tok.tenant) {
		return entraErr(ErrEntraTenantNotAllowed, "the issuer's tenant "+truncate(tok.tenant, 40)+" is not a tenant ID; tokens always name the GUID of the tenant that issued them")
	}
	var sameTenant []entraIssuer
	for _, c := range sameCloud {
		if c.tenant == tok.tenant {
			sameTenant = append(sameTenant, c)
		}
	}
	if len(sameTenant) == 0 {
		msg := "tenant " + tok.tenant + " is not allowed (allowed: " + entraTenantList(sameCloud) + ")"
		if tok.tenant == claims.EntraMSATenantID {
			msg += "; it is the tenant of personal Microsoft accounts"
		}
		return entraErr(ErrEntraTenantNotAllowed, msg)
	}
	for _, c := range sameTenant {
		if c.version == tok.version {
			return entraErr(ErrEntraIssuerForm, "iss differs from the configured issuer of tenant "+tok.tenant+" in its form (host or trailing slash)")
		}
	}
	other := sameTenant[0]
	configured := "https://" + other.host + "/" + other.tenant + "/"
	if other.version == claims.EntraV2 {
		configured += "v2.0"
	}
	var msg string
	if tok.version == claims.EntraV1 {
		msg = "a v1.0 token, but tenant " + tok.tenant + " accepts v2.0 tokens only (" + configured + "): the API's app registration issues v1.0 access tokens while its manifest has api.requestedAccessTokenVersion (accessTokenAcceptedVersion) null or 1; set it to 2, or accept v1.0 tokens too"
	} else {
		msg = "a v2.0 token, but tenant " + tok.tenant + " accepts v1.0 tokens only (" + configured + "): the API's manifest sets api.requestedAccessTokenVersion to 2, or this is an ID token from the /oauth2/v2.0 endpoint; accept v2.0 tokens too"
	}
	if aud, err := cs.Strings("aud"); err == nil {
		for _, v := range aud {
			switch v {
			case entraGraphAppID, "https://graph.microsoft.com", "https://graph.microsoft.com/":
				msg += "; besides, this token is for Microsoft Graph, not for your API: request a token for your own API"
			case entraAKSAppID:
				msg += "; tokens for the AKS server application (" + entraAKSAppID + ") are always v1.0"
			}
		}
	}
	return entraErr(ErrEntraTokenVersion, msg)
}

func entraCloudNames(clouds []EntraCloud, host string) string {
	if len(clouds) == 0 {
		return truncate(host, 64)
	}
	names := make([]string, len(clouds))
	for i, c := range clouds {
		names[i] = c.String()
	}
	return strings.Join(names, " or ")
}

// entraTenantList names up to five configured tenants.
func entraTenantList(conf []entraIssuer) string {
	var out []string
	for _, c := range conf {
		if len(out) == 5 {
			return strings.Join(out, ", ") + ", …"
		}
		if !slices.Contains(out, c.tenant) {
			out = append(out, c.tenant)
		}
	}
	return strings.Join(out, ", ")
}
