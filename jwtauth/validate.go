package jwtauth

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/structauth/structauth/celmap"
)

// The rules in this file are kube-apiserver's
// (k8s.io/apiserver/pkg/apis/apiserver/validation, v0.37, default feature
// gates), with the same order, field paths and message texts, so that a
// file kube-apiserver rejects is rejected here with the same message.
// ProfileAKS adds Azure's restrictions after each authenticator's rules.

// maxJWTAuthenticators is kube-apiserver's limit on jwt entries.
const maxJWTAuthenticators = 64

// ValidateOptions selects the rules ValidateConfig applies.
type ValidateOptions struct {
	// Profile adds AKS's restrictions when set to ProfileAKS.
	Profile Profile
	// DisallowedIssuers are issuer URLs no authenticator may use
	// (kube-apiserver passes its --service-account-issuer values). Nil
	// means none.
	DisallowedIssuers []string
}

// ValidateConfig checks cfg with kube-apiserver's validation rules (and the
// profile's) and compiles every CEL expression to check it. It returns nil
// or a *ValidationError listing every problem, with paths such as
// "jwt[0].issuer.url".
func ValidateConfig(cfg *AuthenticationConfiguration, opts ValidateOptions) error {
	if _, err := compileConfig(cfg, opts); err != nil {
		return err
	}
	return nil
}

// ValidateAuthenticator checks a single authenticator, such as one read
// by ParseAuthenticator. Paths have no "jwt[i]." prefix ("issuer.url"), as
// in the errors of kube-apiserver's OIDC authenticator constructor. It
// returns nil or a *ValidationError.
func ValidateAuthenticator(a *JWTAuthenticator, opts ValidateOptions) error {
	if a == nil {
		return errors.New("jwtauth: nil authenticator")
	}
	v, err := newConfigValidator(opts)
	if err != nil {
		return err
	}
	v.authenticator(a, "", 0)
	if verr := v.errs.toError(); verr != nil {
		return verr
	}
	return nil
}

// compiledRule is a claim or user validation expression, compiled.
type compiledRule struct {
	Expression, Message string
	Program             *celmap.Program
}

// compiledExtra is one claimMappings.extra entry, compiled.
type compiledExtra struct {
	Key, Expression string
	Program         *celmap.Program
}

// compiledAuthenticator is one validated jwt entry with its CEL programs.
type compiledAuthenticator struct {
	Index int
	// Config is a deep copy of the jwt entry.
	Config *JWTAuthenticator
	// ClaimRules are the expression-form claimValidationRules, in order.
	ClaimRules []compiledRule
	// RequiredClaims are the claim-form claimValidationRules, in order.
	RequiredClaims []ClaimValidationRule
	// Username, Groups and UID are nil for the claim form or when unset.
	Username, Groups, UID *celmap.Program
	Extra                 []compiledExtra
	UserRules             []compiledRule
}

// compileConfig validates cfg and compiles its expressions once. The error
// is a *ValidationError, except when the CEL environment cannot be built.
func compileConfig(cfg *AuthenticationConfiguration, opts ValidateOptions) ([]*compiledAuthenticator, error) {
	if cfg == nil {
		return nil, errors.New("jwtauth: nil configuration")
	}
	v, err := newConfigValidator(opts)
	if err != nil {
		return nil, err
	}
	root := fieldPath("jwt")
	if len(cfg.JWT) > maxJWTAuthenticators {
		// kube-apiserver reports this alone.
		return nil, fieldErrorList{fieldTooMany(root, len(cfg.JWT), maxJWTAuthenticators)}.toError()
	}
	out := make([]*compiledAuthenticator, 0, len(cfg.JWT))
	seenIssuers := make(map[string]bool, len(cfg.JWT))
	seenDiscovery := make(map[string]bool, len(cfg.JWT))
	for i := range cfg.JWT {
		a := cloneJWTAuthenticator(&cfg.JWT[i])
		p := root.index(i)
		out = append(out, v.authenticator(a, p, i))
		if seenIssuers[a.Issuer.URL] {
			v.add(fieldDuplicate(p.child("issuer", "url"), a.Issuer.URL))
		}
		seenIssuers[a.Issuer.URL] = true
		if d := a.Issuer.DiscoveryURL; d != "" {
			if seenDiscovery[d] {
				v.add(fieldDuplicate(p.child("issuer", "discoveryURL"), d))
			}
			seenDiscovery[d] = true
		}
	}
	if an := cfg.Anonymous; an != nil {
		if !an.Enabled && len(an.Conditions) > 0 {
			v.add(fieldInvalid("anonymous.conditions", kubeAnonymousConditions(an.Conditions),
				"enabled should be set to true when conditions are defined"))
		}
		if opts.Profile == ProfileAKS {
			v.add(fieldForbidden("anonymous", "not supported by AKS"))
		}
	}
	if verr := v.errs.toError(); verr != nil {
		return nil, verr
	}
	return out, nil
}

// cloneJWTAuthenticator deep-copies a, so that an authenticator built
// from it does not change if the caller later edits its configuration.
func cloneJWTAuthenticator(a *JWTAuthenticator) *JWTAuthenticator {
	c := *a
	c.Issuer.Audiences = slices.Clone(a.Issuer.Audiences)
	c.ClaimValidationRules = slices.Clone(a.ClaimValidationRules)
	c.UserValidationRules = slices.Clone(a.UserValidationRules)
	c.ClaimMappings.Extra = slices.Clone(a.ClaimMappings.Extra)
	for _, p := range []**string{&c.ClaimMappings.Username.Prefix, &c.ClaimMappings.Groups.Prefix} {
		if *p != nil {
			s := **p
			*p = &s
		}
	}
	return &c
}

// kubeAnonymousCondition has no JSON tags so that a bad value prints as
// kube-apiserver prints its internal type: [{"Path":"/healthz"}].
type kubeAnonymousCondition struct{ Path string }

func kubeAnonymousConditions(cs []AnonymousAuthCondition) []kubeAnonymousCondition {
	out := make([]kubeAnonymousCondition, len(cs))
	for i, c := range cs {
		out[i] = kubeAnonymousCondition(c)
	}
	return out
}

// configValidator accumulates problems across authenticators.
type configValidator struct {
	env        *celmap.Env
	profile    Profile
	disallowed map[string]bool
	// disallowedText is the sorted, de-duplicated list as kube prints it.
	disallowedText string
	errs           fieldErrorList
}

func newConfigValidator(opts ValidateOptions) (*configValidator, error) {
	env, err := celmap.DefaultEnv()
	if err != nil {
		return nil, fmt.Errorf("jwtauth: building the CEL environment: %w", err)
	}
	v := &configValidator{env: env, profile: opts.Profile, disallowed: make(map[string]bool, len(opts.DisallowedIssuers))}
	for _, d := range opts.DisallowedIssuers {
		v.disallowed[d] = true
	}
	list := make([]string, 0, len(v.disallowed))
	for d := range v.disallowed {
		list = append(list, d)
	}
	slices.Sort(list)
	v.disallowedText = fmt.Sprintf("%s", list)
	return v, nil
}

func (v *configValidator) add(errs ...*FieldError) { v.errs = append(v.errs, errs...) }

// authenticator validates one jwt entry at path p (empty for a lone
// authenticator) and returns its compiled form.
func (v *configValidator) authenticator(a *JWTAuthenticator, p fieldPath, index int) *compiledAuthenticator {
	c := &compiledAuthenticator{Index: index, Config: a}
	st := &emailState{}
	v.issuer(&a.Issuer, p.child("issuer"))
	v.claimValidationRules(c, st, a.ClaimValidationRules, p.child("claimValidationRules"))
	v.claimMappings(c, st, &a.ClaimMappings, p.child("claimMappings"))
	v.userValidationRules(c, a.UserValidationRules, p.child("userValidationRules"))
	if v.profile == ProfileAKS {
		v.aksAuthenticator(a, p)
	}
	return c
}

// emailState tracks kube-apiserver's static email_verified rule.
type emailState struct {
	usesEmail, usesEmailVerified bool
}

func (v *configValidator) issuer(is *Issuer, p fieldPath) {
	v.issuerURL(is.URL, p.child("url"))
	v.discoveryURL(is.URL, is.DiscoveryURL, p.child("discoveryURL"))
	policy := is.AudienceMatchPolicy
	if v.profile == ProfileAKS && policy == "" && len(is.Audiences) > 1 {
		// AKS sets MatchAny itself when there are several audiences.
		policy = AudienceMatchPolicyMatchAny
	}
	v.audiences(is.Audiences, policy, p.child("audiences"), p.child("audienceMatchPolicy"))
	v.certificateAuthority(is.CertificateAuthority, p.child("certificateAuthority"))
	v.egressSelector(is.EgressSelectorType, p.child("egressSelectorType"))
}

func (v *configValidator) issuerURL(u string, p fieldPath) {
	if u == "" {
		v.add(fieldRequired(p, ""))
		return
	}
	v.url(u, true, p)
}

func (v *configValidator) discoveryURL(issuerURL, discoveryURL string, p fieldPath) {
	if discoveryURL == "" {
		return
	}
	if issuerURL != "" && strings.TrimRight(issuerURL, "/") == strings.TrimRight(discoveryURL, "/") {
		v.add(fieldInvalid(p, discoveryURL, "discoveryURL must be different from URL"))
	}
	// A discovery URL is not an issuer: the disallowed list does not apply.
	v.url(discoveryURL, false, p)
}

func (v *configValidator) url(raw string, checkDisallowed bool, p fieldPath) {
	if checkDisallowed && v.disallowed[raw] {
		v.add(fieldInvalid(p, raw, "URL must not overlap with disallowed issuers: "+v.disallowedText))
	}
	u, err := url.Parse(raw)
	if err != nil {
		v.add(fieldInvalid(p, raw, err.Error()))
		return
	}
	if u.Scheme != "https" {
		v.add(fieldInvalid(p, raw, "URL scheme must be https"))
	}
	if u.User != nil {
		v.add(fieldInvalid(p, raw, "URL must not contain a username or password"))
	}
	if u.RawQuery != "" {
		v.add(fieldInvalid(p, raw, "URL must not contain a query"))
	}
	if u.Fragment != "" {
		v.add(fieldInvalid(p, raw, "URL must not contain a fragment"))
	}
}

func (v *configValidator) audiences(auds []string, policy string, p, policyPath fieldPath) {
	if len(auds) == 0 {
		v.add(fieldRequired(p, fmt.Sprintf("at least one %s is required", p)))
		return
	}
	seen := make(map[string]bool, len(auds))
	for i, aud := range auds {
		ip := p.index(i)
		if aud == "" {
			v.add(fieldRequired(ip, ""))
		}
		if seen[aud] {
			v.add(fieldDuplicate(ip, aud))
		}
		seen[aud] = true
	}
	if len(auds) > 1 && policy != AudienceMatchPolicyMatchAny {
		v.add(fieldInvalid(policyPath, NamedString(policy), "audienceMatchPolicy must be MatchAny for multiple audiences"))
	}
	if len(auds) == 1 && policy != "" && policy != AudienceMatchPolicyMatchAny {
		v.add(fieldInvalid(policyPath, NamedString(policy), "audienceMatchPolicy must be empty or MatchAny for single audience"))
	}
}

func (v *configValidator) certificateAuthority(ca string, p fieldPath) {
	if ca == "" {
		return
	}
	if err := kubeParseCertsPEM([]byte(ca)); err != nil {
		v.add(fieldInvalid(p, "<omitted>", err.Error()))
	}
}

func (v *configValidator) egressSelector(t string, p fieldPath) {
	switch t {
	case "", "controlplane", "cluster":
	default:
		v.add(fieldInvalid(p, NamedString(t), "egress selector must be either controlplane or cluster"))
	}
}

// compile compiles expr and records a problem at p when it fails.
func (v *configValidator) compile(p fieldPath, expr string, compile func() (*celmap.Program, error)) *celmap.Program {
	prog, err := compile()
	if err == nil {
		return prog
	}
	var ce *celmap.CompileError
	switch {
	case errors.As(err, &ce) && (strings.HasPrefix(ce.Detail, "program instantiation failed") ||
		strings.HasPrefix(ce.Detail, "unexpected compilation error")):
		// kube-apiserver reports these as internal errors.
		v.add(&FieldError{Type: FieldValueInternal, Field: string(p), BadValue: ce.Detail, Detail: ce.Detail})
	case ce != nil:
		v.add(fieldInvalid(p, expr, ce.Detail))
	default:
		v.add(&FieldError{Type: FieldValueInternal, Field: string(p), BadValue: err.Error(), Detail: "error is not cel error: " + err.Error()})
	}
	return nil
}

func (v *configValidator) compileClaims(p fieldPath, expr string, kind celmap.ResultKind) *celmap.Program {
	return v.compile(p, expr, func() (*celmap.Program, error) { return v.env.CompileClaims(expr, kind) })
}

func (v *configValidator) claimValidationRules(c *compiledAuthenticator, st *emailState, rules []ClaimValidationRule, p fieldPath) {
	seenClaims := make(map[string]bool)
	seenExprs := make(map[string]bool)
	for i, r := range rules {
		ip := p.index(i)
		switch {
		case r.Claim != "" && r.Expression != "":
			v.add(fieldInvalid(ip, r.Claim, "claim and expression can't both be set"))
		case r.Claim == "" && r.Expression == "":
			v.add(fieldRequired(ip, "claim or expression is required"))
		case r.Claim != "":
			if r.Message != "" {
				v.add(fieldInvalid(ip.child("message"), r.Message, "may not be specified when claim is set"))
			}
			if seenClaims[r.Claim] {
				v.add(fieldDuplicate(ip.child("claim"), r.Claim))
			}
			seenClaims[r.Claim] = true
			c.RequiredClaims = append(c.RequiredClaims, r)
		default:
			if r.RequiredValue != "" {
				v.add(fieldInvalid(ip.child("requiredValue"), r.RequiredValue, "may not be specified when expression is set"))
			}
			if seenExprs[r.Expression] {
				v.add(fieldDuplicate(ip.child("expression"), r.Expression))
				continue
			}
			seenExprs[r.Expression] = true
			prog := v.compileClaims(ip.child("expression"), r.Expression, celmap.BoolResult)
			if prog == nil {
				continue
			}
			c.ClaimRules = append(c.ClaimRules, compiledRule{Expression: r.Expression, Message: r.Message, Program: prog})
			st.usesEmailVerified = st.usesEmailVerified || prog.SelectsClaim("email_verified")
		}
	}
}

// emailVerifiedDetail is kube-apiserver's message for a username
// expression that reads claims.email without looking at email_verified.
const emailVerifiedDetail = "claims.email_verified must be used in claimMappings.username.expression or claimMappings.extra[*].valueExpression or claimValidationRules[*].expression when claims.email is used in claimMappings.username.expression"

func (v *configValidator) claimMappings(c *compiledAuthenticator, st *emailState, m *ClaimMappings, p fieldPath) {
	if prog, ok := v.prefixedClaimOrExpression(&m.Username, p.child("username"), true); ok && prog != nil {
		st.usesEmail = st.usesEmail || prog.SelectsClaim("email")
		st.usesEmailVerified = st.usesEmailVerified || prog.SelectsClaim("email_verified")
		c.Username = prog
	}
	if prog, ok := v.prefixedClaimOrExpression(&m.Groups, p.child("groups"), false); ok && prog != nil {
		c.Groups = prog
	}
	switch {
	case m.UID.Claim != "" && m.UID.Expression != "":
		v.add(fieldInvalid(p.child("uid"), "", "claim and expression can't both be set"))
	case m.UID.Expression != "":
		c.UID = v.compileClaims(p.child("uid", "expression"), m.UID.Expression, celmap.AnyResult)
	}

	seenKeys := make(map[string]bool, len(m.Extra))
	for i, x := range m.Extra {
		ip := p.child("extra").index(i)
		keyPath := ip.child("key")
		v.add(kubeIsDomainPrefixedPath(keyPath, x.Key)...)
		if x.Key != strings.ToLower(x.Key) {
			v.add(fieldInvalid(keyPath, x.Key, "must be lowercase"))
		}
		if kubeReservedDomain(x.Key) {
			v.add(fieldInvalid(keyPath, x.Key, "k8s.io, kubernetes.io and their subdomains are reserved for Kubernetes use"))
		}
		if seenKeys[x.Key] {
			v.add(fieldDuplicate(keyPath, x.Key))
			continue
		}
		seenKeys[x.Key] = true
		if x.ValueExpression == "" {
			v.add(fieldRequired(ip.child("valueExpression"), ""))
			continue
		}
		prog := v.compileClaims(ip.child("valueExpression"), x.ValueExpression, celmap.AnyResult)
		if prog == nil {
			continue
		}
		c.Extra = append(c.Extra, compiledExtra{Key: x.Key, Expression: x.ValueExpression, Program: prog})
		st.usesEmailVerified = st.usesEmailVerified || prog.SelectsClaim("email_verified")
	}

	if st.usesEmail && !st.usesEmailVerified {
		v.add(fieldInvalid(p.child("username", "expression"), m.Username.Expression, emailVerifiedDetail))
	}
}

// prefixedClaimOrExpression validates username or groups. ok is false
// when any problem was found; kube-apiserver then ignores the compiled
// expression for the email rule.
func (v *configValidator) prefixedClaimOrExpression(m *PrefixedClaimOrExpression, p fieldPath, required bool) (prog *celmap.Program, ok bool) {
	before := len(v.errs)
	switch {
	case m.Expression != "" && m.Claim != "":
		v.add(fieldInvalid(p, "", "claim and expression can't both be set"))
	case m.Expression == "" && m.Claim == "" && required:
		v.add(fieldRequired(p, "claim or expression is required"))
	case m.Expression != "":
		if m.Prefix != nil {
			v.add(fieldInvalid(p.child("prefix"), *m.Prefix, "may not be specified when expression is set"))
		}
		prog = v.compileClaims(p.child("expression"), m.Expression, celmap.AnyResult)
	case m.Claim != "":
		if m.Prefix == nil {
			v.add(fieldRequired(p.child("prefix"), "prefix is required when claim is set. It can be set to an empty string to disable prefixing"))
		}
	}
	return prog, len(v.errs) == before
}

func (v *configValidator) userValidationRules(c *compiledAuthenticator, rules []UserValidationRule, p fieldPath) {
	seen := make(map[string]bool, len(rules))
	for i, r := range rules {
		ep := p.index(i).child("expression")
		if r.Expression == "" {
			v.add(fieldRequired(ep, ""))
			continue
		}
		if seen[r.Expression] {
			v.add(fieldDuplicate(ep, r.Expression))
			continue
		}
		seen[r.Expression] = true
		prog := v.compile(ep, r.Expression, func() (*celmap.Program, error) { return v.env.CompileUser(r.Expression) })
		if prog != nil {
			c.UserRules = append(c.UserRules, compiledRule{Expression: r.Expression, Message: r.Message, Program: prog})
		}
	}
}

// AKS details. AKS's JWTAuthenticator resource has only the expression
// forms and no issuer options besides url and audiences
// (Microsoft.ContainerService managedClusters/jwtAuthenticators,
// 2025-10-02-preview).
const (
	aksExpressionMappingsOnly = "AKS supports only expression mappings"
	aksExpressionRulesOnly    = "AKS supports only expression claim validation rules"
	aksNotSupported           = "not supported by AKS"
)

func (v *configValidator) aksAuthenticator(a *JWTAuthenticator, p fieldPath) {
	ip := p.child("issuer")
	if a.Issuer.DiscoveryURL != "" {
		v.add(fieldForbidden(ip.child("discoveryURL"), aksNotSupported))
	}
	if a.Issuer.CertificateAuthority != "" {
		v.add(fieldForbidden(ip.child("certificateAuthority"), aksNotSupported+": the issuer must have a publicly trusted certificate"))
	}
	if a.Issuer.AudienceMatchPolicy != "" {
		v.add(fieldForbidden(ip.child("audienceMatchPolicy"), "not supported by AKS: AKS sets it (MatchAny when there are several audiences)"))
	}
	if a.Issuer.EgressSelectorType != "" {
		v.add(fieldForbidden(ip.child("egressSelectorType"), aksNotSupported))
	}
	for i, r := range a.ClaimValidationRules {
		if r.Claim != "" {
			v.add(fieldForbidden(p.child("claimValidationRules").index(i).child("claim"), aksExpressionRulesOnly))
		}
	}
	mp := p.child("claimMappings")
	for _, m := range []struct {
		name string
		pm   *PrefixedClaimOrExpression
	}{{"username", &a.ClaimMappings.Username}, {"groups", &a.ClaimMappings.Groups}} {
		if m.pm.Claim != "" {
			v.add(fieldForbidden(mp.child(m.name, "claim"), aksExpressionMappingsOnly))
		}
		if m.pm.Prefix != nil {
			v.add(fieldForbidden(mp.child(m.name, "prefix"), aksExpressionMappingsOnly))
		}
	}
	if a.ClaimMappings.UID.Claim != "" {
		v.add(fieldForbidden(mp.child("uid", "claim"), aksExpressionMappingsOnly))
	}
}
