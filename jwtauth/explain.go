package jwtauth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/structauth/structauth/celmap"
	"github.com/structauth/structauth/claims"
	"github.com/structauth/structauth/internal/jose"
)

// Explain answers "why was my token rejected?" (or accepted). It runs
// token through the pipeline of Authenticate, calling the same check
// functions in the same order, and records every step with its outcome:
// the token's format, the authenticator chosen by "iss", the algorithm and
// signature (alg and kid, never the signature), the registered claims,
// the audience, exp and nbf against the clock, each claim mapping with its
// value, each claim and user validation rule with its expression and
// result, and the final user or the first failure. The decision (User and
// Err) is the one Authenticate makes for the same token at the same time.
//
// Explain does the same I/O as Authenticate (discovery and keys when they
// are missing) and evaluates some CEL expressions twice to show their
// values, so it is for debugging, not for the request path. The
// Explanation never holds the raw token or its signature; it does hold
// claim values that the mappings and rules read. Like Authenticate, it is
// safe for concurrent use.
//
// For an EntraAuthenticator, Explain on its Authenticator() shows the
// standard pipeline; the Entra-only checks NewEntra adds around it (the
// tenant of "tid", the signing key's issuer, groups overage) are not
// steps of the explanation.
func (a *Authenticator) Explain(ctx context.Context, token string) *Explanation {
	x := &Explanation{Input: "token", Authenticator: -1}
	now := a.now()
	x.Now = &now
	if len(token) > a.maxToken {
		return x.fail(Step{Check: CheckFormat}, newError(CheckFormat, ErrMalformedToken, "token is %d bytes, above the limit of %d", len(token), a.maxToken))
	}
	if e := a.fastUnknownIssuer(token); e != nil {
		return x.fail(Step{Check: CheckIssuer, Detail: "decided from the payload's iss alone, before the header and signature are read"}, e)
	}
	jws, err := jose.ParseCompact(token)
	if err != nil {
		return x.fail(Step{Check: CheckFormat}, newError(CheckFormat, ErrMalformedToken, "token is not a well-formed compact JWS").wrap(err))
	}
	format := Step{Check: CheckFormat, Signature: &SignatureInfo{Alg: truncate(jws.Header.Alg, 32), Typ: truncate(jws.Header.Typ, 32)}}
	if jws.Header.HasKid {
		kid := truncate(jws.Header.Kid, 128)
		format.Signature.Kid = &kid
	}
	cs, err := claims.Parse(jws.Payload)
	if err != nil {
		return x.fail(format, newError(CheckFormat, ErrMalformedToken, "token payload is not a well-formed JSON claim set").wrap(err))
	}
	format.Detail = "compact JWS, " + claimNames(cs)
	x.pass(format)
	ia := x.route(a, cs)
	if ia == nil {
		return x
	}
	sig := &SignatureInfo{Alg: format.Signature.Alg, Kid: format.Signature.Kid, Typ: format.Signature.Typ}
	if e := ia.checkAlgorithm(jws); e != nil {
		return x.fail(Step{Check: CheckAlgorithm, Signature: sig}, e)
	}
	x.pass(Step{Check: CheckAlgorithm, Detail: fmt.Sprintf("%s is allowed", jws.Header.Alg)})
	if err := ia.verifySignature(ctx, jws); err != nil {
		step := Step{Check: CheckSignature, Signature: sig}
		var e *Error
		if errors.As(err, &e) && e.Check != CheckSignature {
			step.Check = e.Check // ready or keys
		} else {
			ia.describeKeys(ctx, sig, jws)
		}
		return x.fail(step, err)
	}
	ia.describeKeys(ctx, sig, jws)
	x.pass(Step{Check: CheckSignature, Signature: sig, Detail: "verified with a key of the issuer"})
	if !x.registered(ia, cs, now, true) {
		return x
	}
	if ia.distributed != nil {
		step := Step{Check: CheckDistributed, Claim: ia.distributed.claim, Field: ia.field("claimMappings.groups.claim")}
		if err := ia.expandDistributedClaims(ctx, cs); err != nil {
			return x.fail(step, err)
		}
		step.Detail = "resolved or not needed"
		x.pass(step)
	}
	x.mapping(ctx, ia, cs)
	return x
}

// ExplainClaims explains MapClaims: the same steps as Explain without the
// token's format, algorithm, signature, exp and nbf, and without
// distributed claims. Its decision is the one MapClaims makes.
func (a *Authenticator) ExplainClaims(ctx context.Context, m map[string]any) *Explanation {
	x := &Explanation{Input: "claims", Authenticator: -1}
	cs, err := claims.FromMap(m)
	if err != nil {
		return x.fail(Step{Check: CheckFormat}, newError(CheckFormat, ErrMalformedToken, "claims cannot be encoded as JSON").wrap(err))
	}
	x.pass(Step{Check: CheckFormat, Detail: "claim set, " + claimNames(cs)})
	ia := x.route(a, cs)
	if ia == nil {
		return x
	}
	if !x.registered(ia, cs, time.Time{}, false) {
		return x
	}
	x.mapping(ctx, ia, cs)
	return x
}

// route runs the issuer step; nil means it failed (and was recorded).
func (x *Explanation) route(a *Authenticator, cs *claims.Set) *issuerAuthenticator {
	step := Step{Check: CheckIssuer}
	if iss, err := cs.String("iss"); err == nil {
		x.Issuer = truncate(iss, 256)
	}
	ia, e := a.route(cs)
	if e != nil {
		// Routing also refuses a case variant of a registered claim
		// ("iSs"), a format failure: the step names the check that failed.
		step.Check = e.Check
		x.fail(step, e)
		return nil
	}
	x.Authenticator = ia.index
	step.Field = ia.field("issuer.url")
	step.Detail = fmt.Sprintf("%q matches jwt[%d]", x.Issuer, ia.index)
	x.pass(step)
	return ia
}

// registered runs checkRegisteredClaims once and splits its result into
// the claims, audience, expiry and not-before steps.
func (x *Explanation) registered(ia *issuerAuthenticator, cs *claims.Set, now time.Time, checkTime bool) bool {
	err := ia.checkRegisteredClaims(cs, now, checkTime)
	failed := CheckSystemName // a check that checkRegisteredClaims never returns
	var e *Error
	if errors.As(err, &e) {
		failed = e.Check
	}
	steps := []Step{{Check: CheckClaims, Detail: "registered claims have valid types"}}
	aud := &AudienceInfo{Policy: ia.cfg.Issuer.AudienceMatchPolicy, Configured: ia.sortedAudiences}
	if aud.Policy == "" && len(aud.Configured) > 1 {
		aud.Policy = AudienceMatchPolicyMatchAny
	}
	if list, aerr := audienceOf(cs); aerr == nil {
		aud.Token = limitList(list)
		for _, s := range list {
			if ia.audienceMatches([]string{s}) {
				aud.Matched = truncate(s, 128)
				break
			}
		}
	}
	steps = append(steps, Step{Check: CheckAudience, Field: ia.field("issuer.audiences"), Audience: aud})
	if checkTime {
		t := timeInfo(cs, now)
		steps = append(steps, Step{Check: CheckExpiry, Time: t}, Step{Check: CheckNotBefore, Time: t})
	}
	for _, s := range steps {
		if s.Check == failed {
			if s.Check == CheckNotBefore {
				s.Time = nil // already shown with expiry
			}
			x.fail(s, err)
			return false
		}
		if s.Check == CheckNotBefore {
			s.Detail = "no nbf"
			if s.Time.Nbf != nil {
				s.Detail = fmt.Sprintf("nbf is not more than %s (the leeway) after now", nbfLeeway)
			}
			s.Time = nil
		}
		x.pass(s)
	}
	if err != nil { // a check without a step of its own
		x.fail(Step{Check: failed}, err)
		return false
	}
	return true
}

// mapping runs mapClaimsOnly's steps, in its order, with the same functions.
func (x *Explanation) mapping(ctx context.Context, ia *issuerAuthenticator, cs *claims.Set) {
	var act celmap.Activation
	if ia.usesCEL {
		act = celmap.NewClaimsActivation(cs)
	}
	m := ia.cfg.ClaimMappings
	u := &User{}
	var e *Error

	step := mappingStep(ctx, CheckUsername, ia.field("claimMappings.username"), m.Username.Claim, ia.prog.Username, act)
	if m.Username.Claim != "" && m.Username.Prefix != nil && *m.Username.Prefix != "" {
		step.Detail = fmt.Sprintf("prefix %q", *m.Username.Prefix)
	}
	if u.Username, e = ia.username(ctx, cs, act); e != nil {
		x.fail(step, e.at(ia))
		return
	}
	step.Value = u.Username
	x.pass(step)

	step = mappingStep(ctx, CheckGroups, ia.field("claimMappings.groups"), m.Groups.Claim, ia.prog.Groups, act)
	if u.Groups, e = ia.groups(ctx, cs, act); e != nil {
		x.fail(step, e.at(ia))
		return
	}
	if m.Groups.Claim != "" {
		switch {
		case !cs.Has(m.Groups.Claim):
			step.Detail = "claim absent"
		case m.Groups.Prefix != nil && *m.Groups.Prefix != "":
			step.Detail = fmt.Sprintf("prefix %q", *m.Groups.Prefix)
		}
	}
	step.Value = limitList(u.Groups)
	x.pass(step)

	step = mappingStep(ctx, CheckUID, ia.field("claimMappings.uid"), m.UID.Claim, ia.prog.UID, act)
	if u.UID, e = ia.uid(ctx, cs, act); e != nil {
		x.fail(step, e.at(ia))
		return
	}
	if m.UID.Claim != "" || ia.prog.UID != nil {
		step.Value = u.UID
	}
	x.pass(step)

	// Extra: every expression is shown with its value; the decision is
	// ia.extra's.
	steps := make([]Step, 0, len(ia.prog.Extra))
	for i, xm := range ia.prog.Extra {
		s := mappingStep(ctx, CheckExtra, ia.field(fmt.Sprintf("claimMappings.extra[%d]", i)), "", xm.Program, act)
		s.Key = xm.Key
		steps = append(steps, s)
	}
	extra, e := ia.extra(ctx, cs, act)
	if e != nil {
		x.failAmong(steps, e.at(ia))
		return
	}
	if v, ok := extra[CredentialIDKey]; ok {
		x.pass(Step{Check: CheckExtra, Key: CredentialIDKey, Claim: "jti", Value: v})
	}
	for _, s := range steps {
		s.Value = limitList(extra[s.Key])
		x.pass(s)
	}
	if len(extra) > 0 {
		u.Extra = extra
	}

	for i := range ia.prog.RequiredClaims {
		r := &ia.prog.RequiredClaims[i]
		s := Step{Check: CheckRequiredClaim, Field: ia.field(fmt.Sprintf("claimValidationRules[%d]", ia.ruleIndex(false, i))), Claim: r.Claim, Detail: fmt.Sprintf("requiredValue %q", r.RequiredValue)}
		if e := requiredClaim(cs, r); e != nil {
			x.fail(s, e.at(ia))
			return
		}
		x.pass(s)
	}
	if ia.prog.ClaimRules != nil {
		steps = ruleSteps(ctx, ia, CheckClaimRule, "claimValidationRules", ia.prog.ClaimRules, act)
		if e := ia.claimRules(ctx, act); e != nil {
			x.failAmong(steps, e.at(ia))
			return
		}
		x.passAll(steps)
	}
	if ia.prog.UserRules != nil {
		uact := celmap.NewUserActivation(u.Username, u.UID, u.Groups, u.Extra)
		steps = ruleSteps(ctx, ia, CheckUserRule, "userValidationRules", ia.prog.UserRules, uact)
		if e := ia.userRules(ctx, u); e != nil {
			x.failAmong(steps, e.at(ia))
			return
		}
		x.passAll(steps)
	}
	if ia.profile == ProfileAKS || ia.rejectSystem {
		check := CheckAKSPrefix
		detail := fmt.Sprintf("username and groups start with %q", AKSPrefix)
		if ia.profile != ProfileAKS {
			check, detail = CheckSystemName, `username and groups do not start with "system:"`
		}
		if e := ia.profileChecks(u); e != nil {
			x.fail(Step{Check: e.Check}, e.at(ia))
			return
		}
		if ia.profile == ProfileAKS && ia.rejectSystem {
			detail += `, and not with "system:"`
		}
		x.pass(Step{Check: check, Detail: detail})
	}
	x.User = u
}

// mappingStep describes one mapping before its decision: the claim, or
// the expression with the type and value of its result.
func mappingStep(ctx context.Context, check Check, field, claim string, p *celmap.Program, act celmap.Activation) Step {
	s := Step{Check: check, Field: field, Claim: claim}
	if p == nil {
		if claim == "" {
			s.Detail = "not configured"
		}
		return s
	}
	s.Expression = p.Expression()
	if v, err := p.Eval(ctx, act); err == nil {
		s.Type = v.TypeName()
	} else {
		s.Outcome, s.Error = OutcomeFail, err.Error()
	}
	return s
}

// ruleSteps evaluates each rule for display; the decision is made by the
// caller with the pipeline's own function.
func ruleSteps(ctx context.Context, ia *issuerAuthenticator, check Check, list string, rules []compiledRule, act celmap.Activation) []Step {
	steps := make([]Step, len(rules))
	for i, r := range rules {
		idx := i
		if check == CheckClaimRule {
			idx = ia.ruleIndex(true, i)
		}
		s := Step{Check: check, Expression: r.Expression, Message: r.Message, Field: ia.field(fmt.Sprintf("%s[%d]", list, idx))}
		v, err := r.Program.Eval(ctx, act)
		switch {
		case err != nil:
			s.Outcome, s.Error = OutcomeFail, err.Error()
		default:
			s.Type = v.TypeName()
			if b, ok := v.Bool(); ok {
				s.Result = &b
				if !b {
					s.Outcome = OutcomeFail
				}
			} else {
				s.Outcome = OutcomeFail
			}
		}
		steps[i] = s
	}
	return steps
}

// field returns the configuration path of a field of ia's jwt entry.
func (ia *issuerAuthenticator) field(path string) string {
	return fmt.Sprintf("jwt[%d].%s", ia.index, path)
}

// ruleIndex returns the claimValidationRules index of the n-th rule of
// one form (claim form or expression form): compileConfig keeps each
// form's rules in configuration order.
func (ia *issuerAuthenticator) ruleIndex(expressionForm bool, n int) int {
	seen := 0
	for i, r := range ia.cfg.ClaimValidationRules {
		if (r.Expression != "") != expressionForm {
			continue
		}
		if seen == n {
			return i
		}
		seen++
	}
	return n
}

// describeKeys adds what the key set says about the token's kid. It is
// called only after the signature step obtained fresh keys, so Keys
// returns them from the cache without I/O.
func (ia *issuerAuthenticator) describeKeys(ctx context.Context, sig *SignatureInfo, jws *jose.JWS) {
	ks, err := ia.provider.Keys(ctx)
	if err != nil || ks == nil {
		return
	}
	sig.KeysInSet = ks.Len()
	n := len(ks.Lookup(jws.Header.Kid))
	sig.KeysTried = &n
}

func timeInfo(cs *claims.Set, now time.Time) *TimeInfo {
	t := &TimeInfo{Now: now.UTC(), NotBeforeLeeway: nbfLeeway.String()}
	if exp, ok, err := numericDate(cs, "exp", false); err == nil && ok {
		exp = exp.UTC()
		t.Exp = &exp
		t.ExpiresIn = exp.Sub(now).Round(time.Second).String()
	}
	if nbf, ok, err := numericDate(cs, "nbf", true); err == nil && ok {
		nbf = nbf.UTC()
		t.Nbf = &nbf
	}
	if iat, ok, err := numericDate(cs, "iat", false); err == nil && ok {
		iat = iat.UTC()
		t.Iat = &iat
	}
	return t
}

// claimNames lists the claim names (not values), bounded.
func claimNames(cs *claims.Set) string {
	names := cs.Names()
	return fmt.Sprintf("%d claims %q", len(names), limitList(names))
}

func (x *Explanation) pass(s Step) {
	s.Outcome = OutcomePass
	x.Steps = append(x.Steps, s)
}

// fail records the failed step and the decision, and returns x.
func (x *Explanation) fail(s Step, err error) *Explanation {
	s.Outcome = OutcomeFail
	s.Error = err.Error()
	x.Steps = append(x.Steps, s)
	x.Err = err
	return x
}

// failAmong records steps evaluated together (rules, extra) of which the
// one matching err's expression is the failure.
func (x *Explanation) failAmong(steps []Step, err *Error) {
	found := false
	for _, s := range steps {
		if !found && err.Expression != "" && s.Expression == err.Expression {
			found = true
			s.Outcome, s.Error = OutcomeFail, err.Error()
		} else if s.Outcome == "" {
			s.Outcome = OutcomePass
		}
		x.Steps = append(x.Steps, s)
	}
	if !found {
		x.fail(Step{Check: err.Check}, err)
		return
	}
	x.Err = err
}

func (x *Explanation) passAll(steps []Step) {
	for _, s := range steps {
		x.pass(s)
	}
}
