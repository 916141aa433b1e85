package jwtauth

// The Entra claim rules of claims/entra.go, written as CEL expressions for
// kube-apiserver's authentication environment, so that a standard
// configuration (and kube-apiserver itself) maps a token exactly as
// claims.ParseEntra does. Tests check the two agree on every fixture.

import (
	"strconv"
	"strings"

	"github.com/structauth/structauth/claims"
)

// entraCELNonEmpty is true when the claim is a non-empty string. The type test
// comes first so that a number or list is skipped as in Go, instead of
// failing the mapping.
func entraCELNonEmpty(name string) string {
	return `(type(claims.?` + name + `.orValue(0)) == string && claims.` + name + ` != "")`
}

// entraCELFirst is true when the claim is an array whose first element is a
// non-empty string (B2C's "emails").
func entraCELFirst(name string) string {
	return `(type(claims.?` + name + `.orValue(0)) == list && size(claims.` + name + `) > 0 && type(claims.` + name + `[0]) == string && claims.` + name + `[0] != "")`
}

// entraCELGuestUPN mirrors claims.IsEntraGuestUPN.
func entraCELGuestUPN(v string) string {
	return `(` + v + `.contains("#EXT#") || ` + v + `.contains("_EXT_@"))`
}

// entraCELPlainAddress mirrors claims.IsPlainAddress.
const entraCELPlainAddress = `r"^[^@# \t\r\n]+@[^@# \t\r\n]+$"`

// EntraUsernameExpression returns the CEL username expression of
// claims.EntraUsername: for app-only tokens (idtyp "app") the object ID,
// otherwise the first non-empty string among upn, preferred_username,
// email (skipped when email_verified is present and not true, which also
// satisfies kube-apiserver's rule that an expression using claims.email
// must look at claims.email_verified), emails[0], unique_name and oid; with
// guard, upn then oid. A token without any of them maps to "" (rejected).
func EntraUsernameExpression(guard bool) string { return entraUsernameExpression(guard, "") }

// entraUsernameExpression prefixes each non-empty result, so that a
// token without any identity claim still maps to "" and is rejected.
func entraUsernameExpression(guard bool, prefix string) string {
	order := claims.EntraUsernameClaims
	if guard {
		order = claims.EntraGuardUsernameClaims
	}
	p := ""
	if prefix != "" {
		p = entraCELString(prefix) + " + "
	}
	var b strings.Builder
	b.WriteString(`(claims.?idtyp.orValue("") == "app" && ` + entraCELNonEmpty("oid") + `) ? ` + p + `claims.oid : `)
	for _, name := range order {
		switch name {
		case "emails":
			b.WriteString(entraCELFirst(name) + ` ? ` + p + `claims.emails[0] : `)
		case "email":
			b.WriteString(`(` + entraCELNonEmpty(name) + ` && claims.?email_verified.orValue(true) == true) ? ` + p + `claims.email : `)
		default:
			b.WriteString(entraCELNonEmpty(name) + ` ? ` + p + `claims.` + name + ` : `)
		}
	}
	b.WriteString(`""`)
	return b.String()
}

// EntraEmailExpression returns a CEL expression of type list(string) with
// the email of claims.EntraEmail, or an empty list: "email" unless it is
// a guest UPN, else the first "emails" entry; with fallback, a plain
// address from upn, preferred_username or unique_name.
func EntraEmailExpression(fallback bool) string {
	var b strings.Builder
	b.WriteString(`(` + entraCELNonEmpty("email") + ` && !` + entraCELGuestUPN("claims.email") + `) ? [claims.email] : `)
	b.WriteString(`(` + entraCELFirst("emails") + ` && !` + entraCELGuestUPN("claims.emails[0]") + `) ? [claims.emails[0]] : `)
	if fallback {
		for _, name := range [...]string{"upn", "preferred_username", "unique_name"} {
			b.WriteString(`(` + entraCELNonEmpty(name) + ` && claims.` + name + `.matches(` + entraCELPlainAddress + `) && !` + entraCELGuestUPN("claims."+name) + `) ? [claims.` + name + `] : `)
		}
	}
	b.WriteString(`[]`)
	return b.String()
}

// entraEmailVerifiedExpression is the xms_edov tri-state: ["true"],
// ["false"], or [] (unknown), only for an address from "email".
func entraEmailVerifiedExpression() string {
	edov := func(vals ...string) string {
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = `claims.xms_edov == ` + v
		}
		return `(` + strings.Join(parts, " || ") + `)`
	}
	return `(` + entraCELNonEmpty("email") + ` && !` + entraCELGuestUPN("claims.email") + ` && has(claims.xms_edov)) ? (` +
		edov(`true`, `"true"`, `"1"`) + ` ? ["true"] : ` + edov(`false`, `"false"`, `"0"`) + ` ? ["false"] : []) : []`
}

// entraGroupsIncompleteExpression mirrors claims.EntraGroupsOverage.
const entraGroupsIncompleteExpression = `(!has(claims.groups) && (claims.?hasgroups.orValue(false) == true || ` +
	`(type(claims.?_claim_names.orValue(0)) == map && "groups" in claims._claim_names))) ? ["true"] : []`

// entraCaseVariantClaims are the claims whose case variants the standard
// configuration refuses. kube-apiserver's claims value iterates values,
// not names (k8s.io/apiserver/pkg/cel/lazy), so a rule cannot scan the
// names (and "in" does not apply to it): the rule tests every variant
// with has(), which is affordable only for short names. These are the tenancy and identity-type claims Microsoft singles
// out (IDX40011 for tid); iss, aud, sub, exp, nbf and iat are refused by
// the core for every token. claims.CheckEntraClaimNames, which
// EntraAuthenticator runs, covers all of claims.EntraClaimNames.
var entraCaseVariantClaims = []string{"tid", "oid", "idtyp"}

// entraClaimNamesRule refuses any upper-case variant of
// entraCaseVariantClaims ("TID", "Tid", ...).
func entraClaimNamesRule() ClaimValidationRule {
	var tests []string
	for _, name := range entraCaseVariantClaims {
		for _, v := range entraCaseVariants(name) {
			tests = append(tests, "has(claims."+v+")")
		}
	}
	return ClaimValidationRule{
		Expression: `!(` + strings.Join(tests, " || ") + `)`,
		Message:    "a claim name is a case variant of an Entra claim, such as TID for tid (entra: ambiguous claim)",
	}
}

// entraCaseVariants returns every spelling of an ASCII lower-case name with
// at least one letter in upper case.
func entraCaseVariants(name string) []string {
	var letters []int
	for i := 0; i < len(name); i++ {
		if name[i] >= 'a' && name[i] <= 'z' {
			letters = append(letters, i)
		}
	}
	var out []string
	for mask := 1; mask < 1<<len(letters); mask++ {
		b := []byte(name)
		for j, i := range letters {
			if mask&(1<<j) != 0 {
				b[i] -= 'a' - 'A'
			}
		}
		out = append(out, string(b))
	}
	return out
}

// entraMappings builds the claim mappings shared by the Entra ID and B2C
// entries.
type entraMappings struct {
	tenant                       string
	guard, emailFallback         bool
	usernamePrefix, groupsPrefix string
}

func (m entraMappings) authenticator(issuer, discoveryURL string, audiences []string, rules []ClaimValidationRule) JWTAuthenticator {
	username := entraUsernameExpression(m.guard, m.usernamePrefix)
	groups := `type(claims.?groups.orValue(0)) == list ? claims.groups : type(claims.?groups.orValue(0)) == string ? [claims.groups] : []`
	if m.groupsPrefix != "" {
		p := entraCELString(m.groupsPrefix)
		groups = `type(claims.?groups.orValue(0)) == list ? dyn(claims.groups).map(g, ` + p + ` + g) : type(claims.?groups.orValue(0)) == string ? [` + p + ` + claims.groups] : []`
	}
	a := JWTAuthenticator{
		Issuer: Issuer{
			URL:          issuer,
			DiscoveryURL: discoveryURL,
			Audiences:    append([]string(nil), audiences...),
		},
		ClaimValidationRules: rules,
		ClaimMappings: ClaimMappings{
			Username: PrefixedClaimOrExpression{Expression: username},
			Groups:   PrefixedClaimOrExpression{Expression: groups},
			UID:      ClaimOrExpression{Expression: entraCELNonEmpty("oid") + ` ? ` + entraCELString(m.tenant+"/") + ` + claims.oid : ""`},
			Extra: []ExtraMapping{
				{Key: EntraExtraTenantID, ValueExpression: `[` + entraCELString(m.tenant) + `]`},
				{Key: EntraExtraObjectID, ValueExpression: entraCELNonEmpty("oid") + ` ? [claims.oid] : []`},
				{Key: EntraExtraEmail, ValueExpression: EntraEmailExpression(m.emailFallback)},
				{Key: EntraExtraEmailVerified, ValueExpression: entraEmailVerifiedExpression()},
				{Key: EntraExtraGroupsIncomplete, ValueExpression: entraGroupsIncompleteExpression},
			},
		},
	}
	if len(audiences) > 1 {
		a.Issuer.AudienceMatchPolicy = AudienceMatchPolicyMatchAny
	}
	return a
}

// entraCELString quotes s as a CEL string literal (CEL accepts Go's escapes).
func entraCELString(s string) string { return strconv.Quote(s) }
