package jwtauth

import (
	"context"
	"encoding/json"
	"errors"
	"strings"

	"github.com/structauth/structauth/celmap"
	"github.com/structauth/structauth/claims"
)

// CredentialIDKey is the extra key kube-apiserver (1.32+) fills from a
// non-empty string "jti" claim, as "JTI=<jti>".
const CredentialIDKey = "authentication.kubernetes.io/credential-id"

// mapUser runs, after verification, kube-apiserver's AuthenticateToken
// steps: distributed groups, username, groups, uid, extra, claim-form
// rules, expression rules, user rules (then our profile checks).
func (ia *issuerAuthenticator) mapUser(ctx context.Context, cs *claims.Set) (*User, error) {
	if err := ia.expandDistributedClaims(ctx, cs); err != nil {
		return nil, err
	}
	return ia.mapClaimsOnly(ctx, cs)
}

// mapClaimsOnly is mapUser without distributed claims.
func (ia *issuerAuthenticator) mapClaimsOnly(ctx context.Context, cs *claims.Set) (*User, error) {
	var act celmap.Activation
	if ia.usesCEL {
		act = celmap.NewClaimsActivation(cs)
	}
	u := &User{}
	var err *Error
	if u.Username, err = ia.username(ctx, cs, act); err != nil {
		return nil, err.at(ia)
	}
	if u.Groups, err = ia.groups(ctx, cs, act); err != nil {
		return nil, err.at(ia)
	}
	if u.UID, err = ia.uid(ctx, cs, act); err != nil {
		return nil, err.at(ia)
	}
	extra, err := ia.extra(ctx, cs, act)
	if err != nil {
		return nil, err.at(ia)
	}
	if len(extra) > 0 {
		u.Extra = extra
	}
	if err := ia.requiredClaims(cs); err != nil {
		return nil, err.at(ia)
	}
	if err := ia.claimRules(ctx, act); err != nil {
		return nil, err.at(ia)
	}
	if err := ia.userRules(ctx, u); err != nil {
		return nil, err.at(ia)
	}
	if err := ia.profileChecks(u); err != nil {
		return nil, err.at(ia)
	}
	return u, nil
}

func (ia *issuerAuthenticator) username(ctx context.Context, cs *claims.Set, act celmap.Activation) (string, *Error) {
	m := ia.cfg.ClaimMappings.Username
	if p := ia.prog.Username; p != nil {
		v, err := p.Eval(ctx, act)
		if err != nil {
			return "", newError(CheckUsername, ErrMapping, "error evaluating username claim expression").wrap(err).withExpr(p)
		}
		name, ok := v.String()
		if !ok {
			return "", newError(CheckUsername, ErrMapping, "error evaluating username claim expression: username claim expression must return a string").withExpr(p)
		}
		if name == "" {
			return "", newError(CheckUsername, ErrMapping, "empty username via CEL expression is not allowed").withExpr(p)
		}
		return name, nil
	}
	var name string
	if err := cs.Unmarshal(m.Claim, &name); err != nil {
		return "", newError(CheckUsername, ErrMapping, "parse username claims %q", m.Claim).wrap(claimErr(err))
	}
	if m.Claim == "email" && cs.Has("email_verified") {
		// Decoded into a bool as kube-apiserver does: JSON null reads as
		// false ("not verified"), a string is a type error.
		var verified bool
		if err := cs.Unmarshal("email_verified", &verified); err != nil {
			return "", newError(CheckUsername, ErrMapping, "parse 'email_verified' claim").wrap(err)
		}
		if !verified {
			return "", newError(CheckUsername, ErrEmailNotVerified, "email not verified")
		}
	}
	if m.Prefix != nil && *m.Prefix != "" {
		name = *m.Prefix + name
	}
	return name, nil
}

func (ia *issuerAuthenticator) groups(ctx context.Context, cs *claims.Set, act celmap.Activation) ([]string, *Error) {
	m := ia.cfg.ClaimMappings.Groups
	if m.Claim != "" {
		if raw, ok := cs.Raw(m.Claim); ok {
			prefix := ""
			if m.Prefix != nil {
				prefix = *m.Prefix
			}
			if groups, ok := claims.PlainStrings(raw, prefix); ok {
				return groups, nil
			}
			groups, err := stringOrArray(raw)
			if err != nil {
				return nil, newError(CheckGroups, ErrMapping, "parse groups claim %q", m.Claim).wrap(err)
			}
			if prefix != "" {
				for i, g := range groups {
					groups[i] = prefix + g
				}
			}
			return groups, nil
		}
	}
	p := ia.prog.Groups
	if p == nil {
		return nil, nil
	}
	v, err := p.Eval(ctx, act)
	if err != nil {
		return nil, newError(CheckGroups, ErrMapping, "error evaluating group claim expression").wrap(err).withExpr(p)
	}
	groups, err := v.StringList()
	if err != nil {
		return nil, newError(CheckGroups, ErrMapping, "error evaluating group claim expression").wrap(err).withExpr(p)
	}
	return groups, nil
}

// stringOrArray decodes a JSON array of strings, or a single string, in
// that order (kube-apiserver's stringOrArray).
func stringOrArray(raw json.RawMessage) ([]string, error) {
	var list []string
	if err := json.Unmarshal(raw, &list); err == nil {
		return list, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, err
	}
	return []string{s}, nil
}

func (ia *issuerAuthenticator) uid(ctx context.Context, cs *claims.Set, act celmap.Activation) (string, *Error) {
	m := ia.cfg.ClaimMappings.UID
	if m.Claim != "" {
		var uid string
		if err := cs.Unmarshal(m.Claim, &uid); err != nil {
			return "", newError(CheckUID, ErrMapping, "parse uid claim %q", m.Claim).wrap(claimErr(err))
		}
		return uid, nil
	}
	p := ia.prog.UID
	if p == nil {
		return "", nil
	}
	v, err := p.Eval(ctx, act)
	if err != nil {
		return "", newError(CheckUID, ErrMapping, "error evaluating uid claim expression").wrap(err).withExpr(p)
	}
	uid, ok := v.String()
	if !ok {
		return "", newError(CheckUID, ErrMapping, "error evaluating uid claim expression: uid claim expression must return a string").withExpr(p)
	}
	return uid, nil
}

func (ia *issuerAuthenticator) extra(ctx context.Context, cs *claims.Set, act celmap.Activation) (map[string][]string, *Error) {
	extra := make(map[string][]string)
	if raw, ok := cs.Raw("jti"); ok {
		var jti string
		if json.Unmarshal(raw, &jti) == nil && jti != "" {
			extra[CredentialIDKey] = []string{"JTI=" + jti}
		}
	}
	if len(ia.prog.Extra) == 0 {
		return extra, nil
	}
	// kube-apiserver evaluates every extra expression before looking at
	// any result, so the first evaluation error wins over a type error.
	values := make([]celmap.Value, len(ia.prog.Extra))
	for i, x := range ia.prog.Extra {
		v, err := x.Program.Eval(ctx, act)
		if err != nil {
			return nil, newError(CheckExtra, ErrMapping, "error evaluating extra claim expression for key %q", x.Key).wrap(err).withExpr(x.Program)
		}
		values[i] = v
	}
	for i, x := range ia.prog.Extra {
		list, err := values[i].StringList()
		if err != nil {
			return nil, newError(CheckExtra, ErrMapping, "error evaluating extra claim expression: %s", x.Expression).wrap(err).withExpr(x.Program)
		}
		if len(list) > 0 {
			extra[x.Key] = list
		}
	}
	return extra, nil
}

// requiredClaims checks the claim-form claimValidationRules. kube-apiserver
// iterates a Go map, so with several failures its report is random; we
// report the first failure in configuration order.
func (ia *issuerAuthenticator) requiredClaims(cs *claims.Set) *Error {
	for i := range ia.prog.RequiredClaims {
		if err := requiredClaim(cs, &ia.prog.RequiredClaims[i]); err != nil {
			return err
		}
	}
	return nil
}

// requiredClaim checks one claim-form claimValidationRule.
func requiredClaim(cs *claims.Set, r *ClaimValidationRule) *Error {
	if !cs.Has(r.Claim) {
		return newError(CheckRequiredClaim, ErrRequiredClaim, "required claim %s not present in ID token", r.Claim)
	}
	var got string
	if err := cs.Unmarshal(r.Claim, &got); err != nil {
		return newError(CheckRequiredClaim, ErrRequiredClaim, "parse claim %s", r.Claim).wrap(err)
	}
	if got != r.RequiredValue {
		return newError(CheckRequiredClaim, ErrRequiredClaim, "required claim %s value does not match. Got = %s, want = %s", r.Claim, truncate(got, 128), r.RequiredValue)
	}
	return nil
}

// claimRules evaluates every expression claimValidationRule (the first
// evaluation error wins), then reports the first that is false.
func (ia *issuerAuthenticator) claimRules(ctx context.Context, act celmap.Activation) *Error {
	return evalRules(ctx, ia.prog.ClaimRules, act, CheckClaimRule, ErrClaimRule, "error evaluating claim validation expression")
}

func (ia *issuerAuthenticator) userRules(ctx context.Context, u *User) *Error {
	if len(ia.prog.UserRules) == 0 {
		return nil
	}
	act := celmap.NewUserActivation(u.Username, u.UID, u.Groups, u.Extra)
	return evalRules(ctx, ia.prog.UserRules, act, CheckUserRule, ErrUserRule, "error evaluating user info validation rule")
}

func evalRules(ctx context.Context, rules []compiledRule, act celmap.Activation, check Check, kind error, what string) *Error {
	if len(rules) == 0 {
		return nil
	}
	results := make([]bool, len(rules))
	for i, r := range rules {
		v, err := r.Program.Eval(ctx, act)
		if err != nil {
			return newError(check, kind, "%s", what).wrap(err).withExpr(r.Program)
		}
		b, ok := v.Bool()
		if !ok {
			return newError(check, kind, "%s: validation expression must return a boolean", what).withExpr(r.Program)
		}
		results[i] = b
	}
	for i, r := range rules {
		if !results[i] {
			e := newError(check, kind, "%s: validation expression '%s' failed: %s", what, r.Expression, r.Message).withExpr(r.Program)
			e.Message = r.Message
			return e
		}
	}
	return nil
}

// profileChecks applies the rules that kube-apiserver does not have: the
// AKS prefix (ProfileAKS) and the opt-in system: guard.
func (ia *issuerAuthenticator) profileChecks(u *User) *Error {
	if ia.profile == ProfileAKS {
		if !strings.HasPrefix(u.Username, AKSPrefix) {
			return newError(CheckAKSPrefix, ErrAKSPrefix, "mapped username %q does not start with %q", truncate(u.Username, 128), AKSPrefix)
		}
		for _, g := range u.Groups {
			if !strings.HasPrefix(g, AKSPrefix) {
				return newError(CheckAKSPrefix, ErrAKSPrefix, "mapped group %q does not start with %q", truncate(g, 128), AKSPrefix)
			}
		}
	}
	if ia.rejectSystem {
		if strings.HasPrefix(u.Username, "system:") {
			return newError(CheckSystemName, ErrSystemName, "mapped username %q starts with the reserved prefix \"system:\"", truncate(u.Username, 128))
		}
		for _, g := range u.Groups {
			if strings.HasPrefix(g, "system:") {
				return newError(CheckSystemName, ErrSystemName, "mapped group %q starts with the reserved prefix \"system:\"", truncate(g, 128))
			}
		}
	}
	return nil
}

// claimErr gives claims.ErrNotPresent kube-apiserver's wording.
func claimErr(err error) error {
	if errors.Is(err, claims.ErrNotPresent) {
		return errors.New("claim not present")
	}
	return err
}

func (e *Error) withExpr(p *celmap.Program) *Error {
	if p != nil {
		e.Expression = p.Expression()
	}
	return e
}
