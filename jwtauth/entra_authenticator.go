package jwtauth

// EntraAuthenticator: the standard configuration of EntraConfig, plus the
// checks a jwt entry cannot express (signing-key issuer, app-specific
// keys), explanations for Microsoft tokens no third party can verify, the
// Entra identity of each token, and groups overage resolution.

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/structauth/structauth/claims"
	"github.com/structauth/structauth/discovery"
	"github.com/structauth/structauth/internal/jose"
)

// EntraGroupsResolver completes the groups of a token with a groups
// overage, typically with Microsoft Graph (POST /users/{oid}/getMemberGroups
// or GET /me/transitiveMemberOf, with the service's own credentials or
// on behalf of the user: req.Token is the validated bearer token). It is
// never given, and must never call, the endpoint in the token's
// _claim_sources: that is a legacy Azure AD Graph URL that needs a token
// the claim set does not carry
// (https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference,
// "Groups overage claim"). It must be safe for concurrent use.
type EntraGroupsResolver interface {
	ResolveGroups(ctx context.Context, req EntraGroupsRequest) ([]string, error)
}

// EntraGroupsResolverFunc adapts a function to EntraGroupsResolver.
type EntraGroupsResolverFunc func(ctx context.Context, req EntraGroupsRequest) ([]string, error)

// ResolveGroups calls f.
func (f EntraGroupsResolverFunc) ResolveGroups(ctx context.Context, req EntraGroupsRequest) ([]string, error) {
	return f(ctx, req)
}

// EntraGroupsRequest is what a resolver gets.
type EntraGroupsRequest struct {
	// Token is the validated bearer token, for on-behalf-of flows.
	Token string
	// Identity is the token's Entra identity (TenantID, ObjectID, App).
	Identity *claims.EntraIdentity
	// Cloud is the configured cloud; Cloud.GraphHost() is its Graph host.
	Cloud EntraCloud
}

// EntraUser is an authenticated Entra token.
type EntraUser struct {
	// User is the mapped user, as the standard configuration maps it
	// (with resolved groups when a resolver completed them).
	User
	// Identity is the token's Entra identity (claims.ParseEntra).
	Identity *claims.EntraIdentity
	// GroupsComplete is false when the token has a groups overage that
	// no resolver completed: Groups is then unknown, not empty, and
	// GroupsErr (matching ErrEntraGroupsIncomplete) says why.
	GroupsComplete bool
	GroupsErr      error
}

// EntraAuthenticator validates Entra ID tokens for one API. It is safe
// for concurrent use; Close stops its background work.
type EntraAuthenticator struct {
	auth      *Authenticator
	cfg       EntraConfig
	claimOpts claims.EntraOptions
	keys      *entraKeyIssuers
	// appKeys holds, per issuer URL, the provider of the app-specific
	// keys (EntraConfig.AppSigningKeys).
	appKeys map[string]*discovery.Provider
}

// NewEntra builds the standard configuration of cfg (see
// EntraConfig.JWTAuthenticators) and an Authenticator for it with opts.
// Its Authenticate adds, in this order: refusal of case-variant Entra
// claims (claims.ErrAmbiguousClaim) and of a tid that is not the
// issuer's tenant (ErrEntraTenantMismatch), before any other check; after
// a failed check, an explanation for Graph and unsigned tokens
// (ErrEntraUnverifiable); after the standard checks, the signing key's
// issuer for v2.0 tokens (ErrEntraSigningKeyIssuer), and groups overage
// handling. cfg.TenantIDs is the tenant allow-list.
//
// The signing keys' issuers are read from the key set responses as the
// providers fetch them: NewEntra wraps the Transport of opts.HTTPClient
// (nil means a client like the one kube-apiserver builds, with the system
// roots), so every issuer shares that client.
func NewEntra(ctx context.Context, cfg EntraConfig, opts Options) (*EntraAuthenticator, error) {
	ac, err := cfg.AuthenticationConfiguration()
	if err != nil {
		return nil, err
	}
	// The per-key "issuer" members of the v2.0 keys are read from the
	// same responses the providers parse, through the HTTP client.
	base := opts.HTTPClient
	if base == nil {
		base = &http.Client{Transport: entraDefaultTransport()}
	}
	keys := &entraKeyIssuers{next: base.Transport, byURL: map[string]map[string][]string{}}
	if keys.next == nil {
		keys.next = http.DefaultTransport
	}
	client := *base
	client.Transport = keys
	opts.HTTPClient = &client
	a, err := New(ctx, ac, opts)
	if err != nil {
		return nil, err
	}
	e := &EntraAuthenticator{
		auth: a, cfg: cfg, keys: keys,
		claimOpts: claims.EntraOptions{GuardUsername: cfg.GuardUsername, EmailFallback: cfg.EmailFallback},
	}
	if cfg.AppSigningKeys && cfg.ClientID != "" {
		e.appKeys = make(map[string]*discovery.Provider, len(a.issuers))
		for _, ia := range a.issuers {
			p, err := discovery.New(discovery.Config{
				IssuerURL:    ia.url,
				DiscoveryURL: entraMetadataURL(cfg.Cloud, ia.url) + "?appid=" + strings.ToLower(cfg.ClientID),
				HTTPClient:   &client,
			})
			if err != nil {
				a.Close()
				return nil, fmt.Errorf("jwtauth: app-specific keys for %q: %w", ia.url, err)
			}
			e.appKeys[ia.url] = p
		}
	}
	return e, nil
}

// Authenticator returns the underlying standard Authenticator.
func (e *EntraAuthenticator) Authenticator() *Authenticator { return e.auth }

// Close stops background discovery. It is idempotent and returns nil.
func (e *EntraAuthenticator) Close() error { return e.auth.Close() }

// Authenticate validates token and returns its user and Entra identity.
// Errors are *Error values: errors.Is matches their check sentinel (such
// as ErrUnknownIssuer or ErrSignature) and, where there is one, the Entra
// reason (ErrEntraTokenVersion, ErrEntraTenantNotAllowed, ...).
func (e *EntraAuthenticator) Authenticate(ctx context.Context, token string) (*EntraUser, error) {
	var jws *jose.JWS
	var cs *claims.Set
	if len(token) <= e.auth.maxToken {
		if j, err := jose.ParseCompact(token); err == nil {
			if c, err := claims.Parse(j.Payload); err == nil {
				jws, cs = j, c
			}
		}
	}
	if cs != nil {
		if err := e.precheck(cs); err != nil {
			// A claim-level refusal of a token that is not even signed
			// by the issuer would hide the forgery (the CVE-2024-51744
			// pattern): report the signature first.
			if serr := e.signatureFirst(ctx, jws, cs, err); serr != nil {
				var je *Error
				if errors.As(serr, &je) {
					return nil, e.explain(je, token, cs)
				}
				return nil, serr
			}
			return nil, err
		}
	}
	u, err := e.auth.Authenticate(ctx, token)
	if err != nil {
		var je *Error
		if !errors.As(err, &je) {
			return nil, err
		}
		if je.kind == ErrUnknownKey && cs != nil && e.appKeys != nil {
			if u, jwksURI, aerr := e.withAppKeys(ctx, jws, cs); aerr != nil || u != nil {
				if aerr != nil {
					return nil, aerr
				}
				return e.finish(ctx, token, u, jws, cs, jwksURI)
			}
		}
		return nil, e.explain(je, token, cs)
	}
	var jwksURI string
	if ia := e.auth.byIssuer[entraString(cs, "iss")]; ia != nil {
		if doc, ok := ia.provider.Document(); ok {
			jwksURI = doc.JWKSURI
		}
	}
	return e.finish(ctx, token, u, jws, cs, jwksURI)
}

// signatureFirst checks the algorithm and signature of a token the
// precheck refused with a claim-level error, and returns the signature
// error if there is one. Format-level refusals (ambiguous claim names) and
// tokens whose key might be an application key are left as they are.
func (e *EntraAuthenticator) signatureFirst(ctx context.Context, jws *jose.JWS, cs *claims.Set, pre *Error) error {
	if pre.Check == CheckFormat {
		return nil
	}
	ia := e.auth.byIssuer[entraString(cs, "iss")]
	if ia == nil {
		return nil
	}
	if err := ia.checkAlgorithm(jws); err != nil {
		return err
	}
	err := ia.verifySignature(ctx, jws)
	var je *Error
	if err == nil || (errors.As(err, &je) && je.kind == ErrUnknownKey && e.appKeys != nil) {
		return nil
	}
	return err
}

// precheck runs before the standard checks, on the unverified claims: it
// only refuses, so its order does not matter for valid tokens.
func (e *EntraAuthenticator) precheck(cs *claims.Set) *Error {
	if err := claims.CheckEntraClaimNames(cs); err != nil {
		return newError(CheckFormat, ErrMalformedToken, "token payload is ambiguous").wrap(err)
	}
	iss, _ := cs.String("iss")
	ia := e.auth.byIssuer[iss]
	if ia == nil {
		return nil // route explains unknown issuers
	}
	p, ok := parseEntraIssuer(iss)
	if !ok || p.version == "" {
		return nil
	}
	if tid, _ := cs.String("tid"); tid != p.tenant {
		e := newError(CheckClaimRule, ErrClaimRule, "the token's tid is not the tenant of its issuer").at(ia)
		e.Message = "tid must be " + p.tenant + ", the tenant of the issuer (entra: iss/tid mismatch)"
		return e.wrap(entraErr(ErrEntraTenantMismatch, "iss names tenant "+p.tenant+" but tid is "+truncate(entraString(cs, "tid"), 40)))
	}
	return nil
}

// finish runs the checks after a successful standard validation and
// builds the EntraUser.
func (e *EntraAuthenticator) finish(ctx context.Context, token string, u *User, jws *jose.JWS, cs *claims.Set, jwksURI string) (*EntraUser, error) {
	if jws == nil || cs == nil {
		// Authenticate accepted a token we could not parse: impossible,
		// as both parse the same way; refuse rather than skip checks.
		return nil, newError(CheckFormat, ErrMalformedToken, "token could not be parsed for the Entra checks")
	}
	iss := entraString(cs, "iss")
	ia := e.auth.byIssuer[iss]
	if err := e.checkKeyIssuer(jws, cs, iss, jwksURI); err != nil {
		return nil, err.at(ia)
	}
	id, err := claims.ParseEntra(cs, e.claimOpts)
	if err != nil {
		return nil, newError(CheckClaims, ErrInvalidClaims, "an Entra identity claim has the wrong type").wrap(err).at(ia)
	}
	out := &EntraUser{User: *u, Identity: id, GroupsComplete: !id.GroupsOverage}
	if !id.GroupsOverage {
		return out, nil
	}
	if e.cfg.GroupsResolver == nil {
		out.GroupsErr = entraErr(ErrEntraGroupsIncomplete, "the token has a groups overage (more groups than fit in a token) and no EntraGroupsResolver is configured")
	} else if groups, rerr := e.cfg.GroupsResolver.ResolveGroups(ctx, EntraGroupsRequest{Token: token, Identity: id, Cloud: e.cfg.Cloud}); rerr != nil {
		out.GroupsErr = &entraError{kind: ErrEntraGroupsIncomplete, msg: "resolving the groups of a token with a groups overage failed", cause: rerr}
	} else {
		out.Groups = make([]string, len(groups))
		for i, g := range groups {
			out.Groups[i] = e.cfg.GroupsPrefix + g
		}
		out.GroupsComplete = true
		if out.Extra != nil {
			out.Extra = maps.Clone(out.Extra)
			delete(out.Extra, EntraExtraGroupsIncomplete)
		}
		return out, nil
	}
	if e.cfg.RequireCompleteGroups {
		return nil, newError(CheckGroups, ErrMapping, "groups incomplete").wrap(out.GroupsErr).at(ia)
	}
	return out, nil
}

// checkKeyIssuer: for a v2.0 token, every key published under the token's
// kid with an "issuer" member must name the token's iss once {tenantid}
// is replaced by its tid. v1.0 keys carry no issuer ("v1 endpoint doesn't
// have issuers attached to keys", Microsoft.IdentityModel
// AadIssuerValidator), and neither do B2C keys.
func (e *EntraAuthenticator) checkKeyIssuer(jws *jose.JWS, cs *claims.Set, iss, jwksURI string) *Error {
	p, ok := parseEntraIssuer(iss)
	if !ok || p.version != claims.EntraV2 || p.b2c {
		return nil
	}
	fail := func(msg string) *Error {
		return newError(CheckSignature, ErrSignature, "the signing key may not sign for this issuer").wrap(entraErr(ErrEntraSigningKeyIssuer, msg))
	}
	if !jws.Header.HasKid || jws.Header.Kid == "" {
		return fail("the token has no kid; Entra always names its signing key")
	}
	issuers, known := e.keys.lookup(jwksURI, jws.Header.Kid)
	if !known {
		return fail("the signing key's issuer is unknown (the key set was not read through this authenticator)")
	}
	tid := entraString(cs, "tid")
	for _, ki := range issuers {
		if ki == "" {
			continue
		}
		if eff := strings.ReplaceAll(ki, "{tenantid}", tid); eff != iss {
			return fail("the key " + truncate(jws.Header.Kid, 64) + " signs for " + truncate(eff, 128) + ", not for " + truncate(iss, 128))
		}
	}
	return nil
}

// explain adds the Entra reason to a failed check, when the token is one
// Microsoft does not let third parties verify.
func (e *EntraAuthenticator) explain(je *Error, token string, cs *claims.Set) error {
	switch je.kind {
	case ErrSignature, ErrUnknownKey, ErrMalformedToken, ErrUnsupportedAlgorithm, ErrAudience:
	default:
		return je
	}
	scope := "api://{your-api-client-id}/.default"
	if e.cfg.ClientID != "" {
		scope = "api://" + strings.ToLower(e.cfg.ClientID) + "/.default"
	}
	hdr := entraHeader(token)
	switch {
	case hdr != nil && hdr.Has("nonce"):
		return je.entraExplain(ErrEntraUnverifiable, "the token's header has a nonce: it is an access token for Microsoft Graph or another Microsoft API"+entraAudText(cs)+", signed in a form only Microsoft can check; request a token for your own API instead (scope "+scope+")")
	case hdr != nil && entraString(hdr, "alg") == "none":
		return je.entraExplain(ErrEntraUnverifiable, "the token is unsigned (alg none), as ID tokens from the v1.0 authorization code flow are; send a signed access token for your own API instead (scope "+scope+")")
	case je.kind == ErrAudience && cs != nil && entraIsGraphAudience(cs):
		return je.entraExplain(ErrEntraUnverifiable, "the token is for Microsoft Graph, not for this API; request a token for your own API instead (scope "+scope+")")
	case je.kind == ErrUnknownKey && e.cfg.Cloud == EntraPublic && cs != nil && strings.HasPrefix(entraString(cs, "iss"), "https://sts.windows.net/"):
		return je.entraExplain(nil, "v1.0 tokens of Azure Government tenants also name sts.windows.net: if this tenant is in Azure Government, configure the EntraUSGovernment cloud")
	}
	return je
}

// withAppKeys verifies a token whose kid is not in the issuer's key set
// with the app-specific keys, then runs the rest of the standard checks.
// It returns (nil, "", nil) when the app keys do not have the kid either.
func (e *EntraAuthenticator) withAppKeys(ctx context.Context, jws *jose.JWS, cs *claims.Set) (*User, string, error) {
	iss := entraString(cs, "iss")
	ia, p := e.auth.byIssuer[iss], e.appKeys[iss]
	if ia == nil || p == nil || !slices.Contains(jose.Algorithms, jws.Header.Alg) {
		return nil, "", nil
	}
	ks, err := p.Keys(ctx)
	if err == nil && len(ks.Lookup(jws.Header.Kid)) == 0 {
		ks, _, _ = p.RefreshKeys(ctx)
	}
	if ks == nil || len(ks.Lookup(jws.Header.Kid)) == 0 {
		return nil, "", nil
	}
	if !verifyWithAny(ks, jws) {
		return nil, "", newError(CheckSignature, ErrSignature, "failed to verify the token's signature with the application-specific keys").at(ia)
	}
	if err := ia.checkRegisteredClaims(cs, e.auth.now(), true); err != nil {
		return nil, "", err
	}
	u, err := ia.mapUser(ctx, cs)
	if err != nil {
		return nil, "", err
	}
	var jwksURI string
	if doc, ok := p.Document(); ok {
		jwksURI = doc.JWKSURI
	}
	return u, jwksURI, nil
}

// entraMetadataURL is the discovery URL of a configured issuer.
func entraMetadataURL(cloud EntraCloud, issuer string) string {
	p, _ := parseEntraIssuer(issuer)
	if p.version == claims.EntraV1 {
		return cloud.discoveryV1(p.tenant)
	}
	return cloud.discoveryV2(p.tenant)
}

// entraHeader decodes the token's protected header, or returns nil.
func entraHeader(token string) *claims.Set {
	h, _, ok := strings.Cut(token, ".")
	if !ok || len(h) > 8<<10 {
		return nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		return nil
	}
	s, err := claims.Parse(raw)
	if err != nil {
		return nil
	}
	return s
}

func entraIsGraphAudience(cs *claims.Set) bool {
	aud, _ := cs.Strings("aud")
	for _, a := range aud {
		switch strings.TrimSuffix(a, "/") {
		case entraGraphAppID, "https://graph.microsoft.com", "https://graph.microsoft.us", "https://microsoftgraph.chinacloudapi.cn":
			return true
		}
	}
	return false
}

func entraAudText(cs *claims.Set) string {
	if cs == nil {
		return ""
	}
	aud, _ := cs.Strings("aud")
	if len(aud) == 0 {
		return ""
	}
	return " (aud " + truncate(aud[0], 64) + ")"
}

// mustString returns a string claim or "".
func entraString(cs *claims.Set, name string) string {
	if cs == nil {
		return ""
	}
	v, _ := cs.String(name)
	return v
}
