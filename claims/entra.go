package claims

// Microsoft Entra ID (Azure AD) claim conventions, readable without any
// signature or configuration: who the token names, which address may be
// shown as its email, whether its group list is complete, and which token
// version it is. Each rule cites the Microsoft documentation it follows.
//
// These helpers never validate a token: call them on a claim set that has
// already been verified (jwtauth does), or on claims you only display.

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// ErrAmbiguousClaim: the claim set holds a member whose name differs from
// an Entra claim only by letter case ("TID" next to, or instead of,
// "tid"). encoding/json matches struct fields case-insensitively and keeps
// the last duplicate, so Go code decoding Entra claims into a struct would
// read "TID" as the tenant; we refuse the ambiguity instead, as
// Microsoft.IdentityModel does for "tid" (IDX40011).
var ErrAmbiguousClaim = errors.New("claims: ambiguous claim name")

// EntraClaimNames are the Entra claims whose case variants are refused by
// CheckEntraClaimNames: the ones identity, tenancy, email and groups
// decisions read. All are lower case, as Entra emits them.
var EntraClaimNames = []string{
	"tid", "oid", "sub", "iss", "aud", "ver", "idtyp", "idp", "acct",
	"upn", "preferred_username", "email", "emails", "unique_name", "xms_edov",
	"groups", "hasgroups", "_claim_names", "_claim_sources",
	"azp", "appid", "azpacr", "appidacr", "scp", "roles", "wids", "tfp",
}

// Entra token versions, the values of the "ver" claim.
const (
	EntraV1 = "1.0"
	EntraV2 = "2.0"
)

// EntraMSATenantID is the tenant of personal Microsoft accounts (the
// "consumers" tenant): https://learn.microsoft.com/entra/identity-platform/id-token-claims-reference (tid).
const EntraMSATenantID = "9188040d-6c67-4c5b-b112-36a304b66dad"

// EntraUsernameClaims is the default username precedence for user tokens
// (entra.md §6.7): the UPN first (what AKS's guard uses), then the
// display sign-in name, the email, B2C's first "emails" entry, the v1
// unique_name, and finally the immutable object ID, which every token has.
// "emails" is read as its first element.
var EntraUsernameClaims = []string{"upn", "preferred_username", "email", "emails", "unique_name", "oid"}

// EntraGuardUsernameClaims is the precedence of AKS's guard webhook (upn,
// falling back to oid for guests and service principals):
// kubeguard/guard auth/providers/azure/azure.go getUserInfo.
var EntraGuardUsernameClaims = []string{"upn", "oid"}

// EmailVerification is a tri-state: Entra never emits "email_verified",
// so the only signal is the optional "xms_edov" claim ("email domain
// owner verified", https://learn.microsoft.com/entra/identity-platform/optional-claims-reference).
// Its absence means unknown, never verified.
type EmailVerification int

const (
	// EmailVerificationUnknown: no email, or no xms_edov claim, or an
	// email taken from a fallback claim.
	EmailVerificationUnknown EmailVerification = iota
	// EmailVerified: xms_edov is true.
	EmailVerified
	// EmailUnverified: xms_edov is false.
	EmailUnverified
)

func (v EmailVerification) String() string {
	switch v {
	case EmailVerified:
		return "verified"
	case EmailUnverified:
		return "unverified"
	}
	return "unknown"
}

// EntraOptions tunes ParseEntra. The zero value is the recommended
// behaviour.
type EntraOptions struct {
	// GuardUsername selects EntraGuardUsernameClaims (upn, then oid)
	// instead of EntraUsernameClaims.
	GuardUsername bool
	// EmailFallback lets Email come from upn, preferred_username or
	// unique_name, in that order, when the token has no usable "email"
	// (AKS access tokens carry none). Only a plain address qualifies (one
	// "@", no "#", no spaces), so a guest UPN such as
	// "bob_outlook.com#EXT#@contoso.onmicrosoft.com" or a v1 unique_name
	// such as "live.com#bob@outlook.com" never becomes an email. A
	// fallback email's verification is always unknown.
	EmailFallback bool
}

// EntraIdentity is what an Entra token says about its subject.
type EntraIdentity struct {
	// Version is "ver": EntraV1, EntraV2, or "" when absent. B2C tokens
	// say "1.0" although their issuer ends in /v2.0/.
	Version string
	// TenantID is "tid" (absent in B2C tokens). ObjectID is "oid". The
	// pair is the stable key of a user or service principal; "sub" is
	// pairwise per application
	// (https://learn.microsoft.com/entra/identity-platform/claims-validation).
	TenantID, ObjectID string
	// App is true for an app-only token: "idtyp" is "app", or, without
	// idtyp, the token has no "scp", its "sub" equals its "oid" and its
	// client authenticated with a secret or certificate (entra.md §6.6).
	App bool
	// ClientID is the client application: "azp" (v2) or "appid" (v1).
	ClientID string
	// Guest is true when the user signed in through another identity
	// provider: "acct" is 1, the UPN has the #EXT# form, or "idp" is set,
	// differs from "iss" and names another tenant.
	Guest bool
	// Username is the first non-empty string of the username precedence
	// and UsernameClaim the claim it came from (app tokens: "oid").
	Username, UsernameClaim string
	// Email is the "email" claim (or a fallback, see EntraOptions), never
	// a #EXT# guest UPN; EmailClaim names its source; EmailVerified is the
	// xms_edov tri-state.
	Email, EmailClaim string
	EmailVerified     EmailVerification
	// Groups is the "groups" claim. GroupsOverage is true when the token
	// says the list was left out (see EntraGroupsOverage): then Groups is
	// empty and means "unknown", not "no groups".
	Groups        []string
	GroupsOverage bool
	// Scopes is "scp" split on spaces; Roles is "roles".
	Scopes, Roles []string
}

// ParseEntra reads the Entra identity of a claim set. It fails only with
// ErrAmbiguousClaim (see CheckEntraClaimNames) or when an identity claim
// it reads has the wrong JSON type.
func ParseEntra(s *Set, opts EntraOptions) (*EntraIdentity, error) {
	if err := CheckEntraClaimNames(s); err != nil {
		return nil, err
	}
	id := &EntraIdentity{}
	var err error
	str := func(name string) string {
		if err != nil {
			return ""
		}
		v, e := entraOptString(s, name)
		if e != nil {
			err = e
		}
		return v
	}
	id.Version = str("ver")
	id.TenantID = str("tid")
	id.ObjectID = str("oid")
	id.ClientID = str("azp")
	if id.ClientID == "" {
		id.ClientID = str("appid")
	}
	if err != nil {
		return nil, err
	}
	id.App = entraIsApp(s)
	id.Guest = entraIsGuest(s)
	order := EntraUsernameClaims
	if opts.GuardUsername {
		order = EntraGuardUsernameClaims
	}
	id.Username, id.UsernameClaim = EntraUsername(s, order)
	id.Email, id.EmailClaim, id.EmailVerified = EntraEmail(s, opts.EmailFallback)
	if s.Has("groups") {
		if id.Groups, err = s.Strings("groups"); err != nil {
			return nil, err
		}
	}
	id.GroupsOverage = EntraGroupsOverage(s)
	if scp := str("scp"); scp != "" {
		id.Scopes = strings.Fields(scp)
	}
	if err != nil {
		return nil, err
	}
	if s.Has("roles") {
		if id.Roles, err = s.Strings("roles"); err != nil {
			return nil, err
		}
	}
	return id, nil
}

// CheckEntraClaimNames returns ErrAmbiguousClaim when a member name
// differs from one of EntraClaimNames only by letter case: {"tid": A,
// "TID": B} and a lone {"TID": A} are both refused. Exact duplicates are
// already refused by Parse (ErrDuplicateClaim).
func CheckEntraClaimNames(s *Set) error {
	for _, name := range s.Names() {
		if len(name) < 3 || len(name) > 18 || name == strings.ToLower(name) {
			continue // every Entra claim name is lower case
		}
		for _, want := range EntraClaimNames {
			if strings.EqualFold(name, want) {
				return fmt.Errorf("%w: %q is a case variant of the Entra claim %q", ErrAmbiguousClaim, shorten(name), want)
			}
		}
	}
	return nil
}

// EntraUsername returns the first claim of order whose value is a
// non-empty string ("emails": its first element), and that claim's name.
// For an app-only token ("idtyp" is "app") it returns "oid". A value of
// another JSON type is skipped. Order is normally EntraUsernameClaims or
// EntraGuardUsernameClaims. When no claim qualifies both results are "".
//
// An "email" is skipped when "email_verified" is present and not true:
// Entra never sends email_verified, but Kubernetes' rule for usernames
// taken from email applies to any token.
//
// The jwtauth package's EntraUsernameExpression is the same rule in CEL.
func EntraUsername(s *Set, order []string) (username, claim string) {
	if idtyp, _ := s.String("idtyp"); idtyp == "app" {
		if oid, _ := s.String("oid"); oid != "" {
			return oid, "oid"
		}
	}
	for _, name := range order {
		var v string
		switch name {
		case "emails":
			v = entraFirstString(s, "emails")
		case "email":
			if verified, err := s.Bool("email_verified"); err == nil && !verified || err != nil && s.Has("email_verified") {
				continue
			}
			v, _ = s.String(name)
		default:
			v, _ = s.String(name)
		}
		if v != "" {
			return v, name
		}
	}
	return "", ""
}

// EntraEmail returns the token's email address, the claim it came from
// and its verification. The address is "email" (or the first "emails"
// entry of a B2C token) unless it has the guest-UPN form; with fallback,
// a plain address in upn, preferred_username or unique_name (see
// EntraOptions.EmailFallback). Verification comes only from "xms_edov"
// (JSON true or false; the strings "true", "1", "false", "0" are read
// the same way) and only for an "email" claim; it is never invented.
func EntraEmail(s *Set, fallback bool) (email, claim string, verified EmailVerification) {
	if v, _ := s.String("email"); v != "" && !IsEntraGuestUPN(v) {
		return v, "email", entraEdov(s)
	}
	if v := entraFirstString(s, "emails"); v != "" && !IsEntraGuestUPN(v) {
		return v, "emails", EmailVerificationUnknown
	}
	if !fallback {
		return "", "", EmailVerificationUnknown
	}
	for _, name := range [...]string{"upn", "preferred_username", "unique_name"} {
		if v, _ := s.String(name); IsPlainAddress(v) {
			return v, name, EmailVerificationUnknown
		}
	}
	return "", "", EmailVerificationUnknown
}

// entraEdov reads xms_edov.
func entraEdov(s *Set) EmailVerification {
	if b, err := s.Bool("xms_edov"); err == nil {
		if b {
			return EmailVerified
		}
		return EmailUnverified
	}
	switch v, _ := s.String("xms_edov"); v {
	case "true", "1":
		return EmailVerified
	case "false", "0":
		return EmailUnverified
	}
	return EmailVerificationUnknown
}

// IsEntraGuestUPN reports whether v has the form Entra gives a guest's
// UPN in the resource tenant ("alice_contoso.com#EXT#@fabrikam.onmicrosoft.com",
// or "_EXT_" with include_externally_authenticated_upn_without_hash). Such
// a value is an identifier, not a mailbox: it is never used as an email.
func IsEntraGuestUPN(v string) bool {
	return strings.Contains(v, "#EXT#") || strings.Contains(v, "_EXT_@")
}

// IsPlainAddress reports whether v looks like a plain email address: one
// "@" with text on both sides, and no "#" or white space. It is the test
// a fallback claim must pass to be used as an email.
func IsPlainAddress(v string) bool {
	at := strings.IndexByte(v, '@')
	if at <= 0 || at == len(v)-1 || strings.Count(v, "@") != 1 {
		return false
	}
	return !strings.ContainsAny(v, "# \t\r\n") && !IsEntraGuestUPN(v)
}

// EntraGroupsOverage reports whether the token's group list was left out
// because the user has too many groups (more than 200 in a JWT, 5 in the
// implicit flow): "groups" is absent and either "_claim_names" names a
// "groups" source or "hasgroups" is true
// (https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference,
// "Groups overage claim"). The endpoint in "_claim_sources" is a legacy
// Azure AD Graph URL that needs a token the claim set does not carry:
// callers should resolve groups with Microsoft Graph, never that URL. A
// "groups" name whose source is missing still counts as an overage.
func EntraGroupsOverage(s *Set) bool {
	if s.Has("groups") {
		return false
	}
	if b, err := s.Bool("hasgroups"); err == nil && b {
		return true
	}
	var names map[string]any
	if s.Unmarshal("_claim_names", &names) == nil {
		_, ok := names["groups"]
		return ok
	}
	return false
}

// EntraVersion returns "ver" when it is EntraV1 or EntraV2, else "".
func EntraVersion(s *Set) string {
	switch v, _ := s.String("ver"); v {
	case EntraV1, EntraV2:
		return v
	}
	return ""
}

// IsGUID reports whether v is a GUID in the lower-case 8-4-4-4-12 form
// Entra uses for tenant, object and application IDs.
func IsGUID(v string) bool {
	if len(v) != 36 {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return false
			}
		}
	}
	return true
}

// entraIsApp: idtyp first ("the most accurate way for an API to determine
// if a token is an app token", claims-validation doc), then the heuristic
// for tokens without it.
func entraIsApp(s *Set) bool {
	if idtyp, err := s.String("idtyp"); err == nil {
		return idtyp == "app"
	}
	if s.Has("scp") {
		return false
	}
	sub, _ := s.String("sub")
	oid, _ := s.String("oid")
	if sub == "" || sub != oid {
		return false
	}
	acr, err := s.String("azpacr")
	if err != nil {
		acr, err = s.String("appidacr")
	}
	return err == nil && acr != "0"
}

func entraIsGuest(s *Set) bool {
	var acct float64
	if s.Unmarshal("acct", &acct) == nil && acct == 1 {
		return true
	}
	if upn, _ := s.String("upn"); IsEntraGuestUPN(upn) {
		return true
	}
	// idp is the home identity provider when it is not the issuer; an
	// app token may carry its own tenant's STS URI there.
	idp, _ := s.String("idp")
	iss, _ := s.String("iss")
	tid, _ := s.String("tid")
	return idp != "" && idp != iss && (tid == "" || !strings.Contains(idp, "/"+tid+"/"))
}

// entraOptString is String with absence as "".
func entraOptString(s *Set, name string) (string, error) {
	v, err := s.String(name)
	if errors.Is(err, ErrNotPresent) {
		return "", nil
	}
	return v, err
}

// entraFirstString returns the first element of an array member when it
// is a string, else "".
func entraFirstString(s *Set, name string) string {
	var list []json.RawMessage
	if raw, ok := s.Raw(name); !ok || len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &list) != nil || len(list) == 0 {
		return ""
	}
	var v string
	if len(list[0]) == 0 || list[0][0] != '"' || json.Unmarshal(list[0], &v) != nil {
		return ""
	}
	return v
}
