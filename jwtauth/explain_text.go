package jwtauth

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// This file holds the Explanation's types and its JSON and text
// renderings; explain.go builds it.

// Outcome is the result of one step of an Explanation.
type Outcome string

// Step outcomes.
const (
	OutcomePass Outcome = "pass"
	OutcomeFail Outcome = "fail"
)

// Explanation is the step-by-step account of one decision, returned by
// Explain and ExplainClaims. It marshals to JSON with stable, lowercase
// field names (see MarshalJSON) and renders as text with WriteText.
type Explanation struct {
	// Input is "token" (Explain) or "claims" (ExplainClaims).
	Input string `json:"input"`
	// Now is the clock reading used for exp and nbf (tokens only).
	Now *time.Time `json:"now,omitempty"`
	// Issuer is the token's "iss", if it is a string (bounded).
	Issuer string `json:"issuer,omitempty"`
	// Authenticator is the index in the jwt list of the authenticator
	// that handled the token, or -1 when none was chosen.
	Authenticator int `json:"authenticator"`
	// Steps are the steps run, in pipeline order, up to the one that
	// failed. Checks that run together (the claim validation rules, the
	// user validation rules, the extra mappings) are all listed; the
	// decisive step is the failed one whose Error is Err's text.
	Steps []Step `json:"steps"`
	// User is the mapped user when the token is accepted.
	User *User `json:"-"`
	// Err is the error Authenticate (or MapClaims) returns for the same
	// input: an *Error, nil when accepted.
	Err error `json:"-"`
}

// Step is one check of the pipeline. Only the fields that apply to the
// check are set.
type Step struct {
	// Check names the step (the same names as Error.Check).
	Check Check `json:"check"`
	// Outcome is pass or fail.
	Outcome Outcome `json:"outcome"`
	// Field is the configuration path involved, such as
	// "jwt[0].claimValidationRules[1]".
	Field string `json:"field,omitempty"`
	// Detail is a human summary.
	Detail string `json:"detail,omitempty"`
	// Claim is the claim read by a claim-form mapping or rule.
	Claim string `json:"claim,omitempty"`
	// Key is the extra key of an extra mapping.
	Key string `json:"key,omitempty"`
	// Expression is the CEL expression of a mapping or rule, and Message
	// the rule's configured message.
	Expression string `json:"expression,omitempty"`
	Message    string `json:"message,omitempty"`
	// Type is the CEL type of the expression's result, Result the
	// result of a validation rule, Value the result of a mapping (a
	// string or a list of strings, bounded in length).
	Type   string `json:"type,omitempty"`
	Result *bool  `json:"result,omitempty"`
	Value  any    `json:"value,omitempty"`
	// Error is the error text of a failed step.
	Error string `json:"error,omitempty"`
	// Signature, Audience and Time detail those steps.
	Signature *SignatureInfo `json:"signature,omitempty"`
	Audience  *AudienceInfo  `json:"audience,omitempty"`
	Time      *TimeInfo      `json:"time,omitempty"`
}

// SignatureInfo is what the header says and what the key set holds. It
// never holds the signature.
type SignatureInfo struct {
	Alg string `json:"alg"`
	// Kid is the header's "kid", nil when absent.
	Kid *string `json:"kid,omitempty"`
	Typ string  `json:"typ,omitempty"`
	// KeysInSet is the number of usable keys of the issuer; KeysTried
	// the number with the token's kid (every key without a kid).
	KeysInSet int  `json:"keysInSet,omitempty"`
	KeysTried *int `json:"keysTried,omitempty"`
}

// AudienceInfo compares the token's "aud" with the configuration.
type AudienceInfo struct {
	// Policy is issuer.audienceMatchPolicy (MatchAny when several
	// audiences are configured).
	Policy     string   `json:"policy,omitempty"`
	Configured []string `json:"configured"`
	Token      []string `json:"token"`
	// Matched is the first token audience that is configured.
	Matched string `json:"matched,omitempty"`
}

// TimeInfo compares exp, nbf and iat with the clock. iat is shown but,
// as in kube-apiserver, not checked.
type TimeInfo struct {
	Now             time.Time  `json:"now"`
	Exp             *time.Time `json:"exp,omitempty"`
	Nbf             *time.Time `json:"nbf,omitempty"`
	Iat             *time.Time `json:"iat,omitempty"`
	ExpiresIn       string     `json:"expiresIn,omitempty"`
	NotBeforeLeeway string     `json:"notBeforeLeeway"`
}

// Accepted reports whether the input was accepted.
func (x *Explanation) Accepted() bool { return x.Err == nil && x.User != nil }

type jsonUser struct {
	Username string              `json:"username"`
	UID      string              `json:"uid,omitempty"`
	Groups   []string            `json:"groups,omitempty"`
	Extra    map[string][]string `json:"extra,omitempty"`
}

type jsonFailure struct {
	Check Check `json:"check"`
	// Reason is the sentinel's text without the package prefix.
	Reason     string `json:"reason,omitempty"`
	Error      string `json:"error"`
	Expression string `json:"expression,omitempty"`
	Message    string `json:"message,omitempty"`
}

// MarshalJSON puts "accepted", "user" (username, uid, groups, extra) and
// "failure" (check, reason, error, expression, message) before the
// fields.
func (x *Explanation) MarshalJSON() ([]byte, error) {
	type plain Explanation
	out := struct {
		Accepted bool         `json:"accepted"`
		User     *jsonUser    `json:"user,omitempty"`
		Failure  *jsonFailure `json:"failure,omitempty"`
		*plain
	}{plain: (*plain)(x), Accepted: x.Accepted()}
	if x.User != nil {
		out.User = &jsonUser{x.User.Username, x.User.UID, x.User.Groups, x.User.Extra}
	}
	if x.Err != nil {
		out.Failure = &jsonFailure{Error: x.Err.Error()}
		var e *Error
		if errors.As(x.Err, &e) {
			out.Failure.Check, out.Failure.Expression, out.Failure.Message = e.Check, e.Expression, e.Message
			out.Failure.Reason = e.reason()
		}
	}
	return json.Marshal(out)
}

// reason is the class sentinel's text without "jwtauth: ".
func (e *Error) reason() string {
	if e.kind == nil {
		return ""
	}
	return strings.TrimPrefix(e.kind.Error(), "jwtauth: ")
}

// String renders the explanation as text (see WriteText).
func (x *Explanation) String() string {
	var b strings.Builder
	_ = x.WriteText(&b)
	return b.String()
}

// WriteText writes a human-readable rendering: one line per step
// ("ok" or "FAIL", the check, the configuration field), its details
// indented below, then the decision.
func (x *Explanation) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	ew.printf("input: %s", x.Input)
	if x.Now != nil {
		ew.printf(" (now %s)", x.Now.UTC().Format(time.RFC3339))
	}
	ew.printf("\n")
	for _, s := range x.Steps {
		mark := "ok  "
		if s.Outcome == OutcomeFail {
			mark = "FAIL"
		}
		ew.printf("%s\n", strings.TrimRight(fmt.Sprintf("%s %-18s %s", mark, s.Check, s.Field), " "))
		if x.Err != nil && s.Error == x.Err.Error() {
			s.Error = "" // printed once, with the result
		}
		s.writeDetails(ew)
	}
	switch {
	case x.Accepted():
		u := x.User
		ew.printf("result: accepted\n  username: %q\n", u.Username)
		if u.UID != "" {
			ew.printf("  uid: %q\n", u.UID)
		}
		if len(u.Groups) > 0 {
			ew.printf("  groups: %q\n", u.Groups)
		}
		for _, k := range sortedKeys(u.Extra) {
			ew.printf("  extra[%q]: %q\n", k, u.Extra[k])
		}
	case x.Err != nil:
		var e *Error
		if errors.As(x.Err, &e) {
			ew.printf("result: rejected at %s (%s)\n", e.Check, e.reason())
		} else {
			ew.printf("result: rejected\n")
		}
		ew.printf("  %s\n", x.Err)
	}
	return ew.err
}

func (s *Step) writeDetails(ew *errWriter) {
	const in = "       "
	if s.Detail != "" {
		ew.printf("%s%s\n", in, s.Detail)
	}
	if s.Claim != "" {
		ew.printf("%sclaim: %s\n", in, s.Claim)
	}
	if s.Key != "" {
		ew.printf("%skey: %s\n", in, s.Key)
	}
	if s.Expression != "" {
		ew.printf("%sexpression: %s\n", in, s.Expression)
	}
	if s.Message != "" {
		ew.printf("%smessage: %s\n", in, s.Message)
	}
	if sig := s.Signature; sig != nil {
		ew.printf("%salg: %s", in, sig.Alg)
		if sig.Kid != nil {
			ew.printf(", kid: %q", *sig.Kid)
		} else {
			ew.printf(", no kid")
		}
		if sig.Typ != "" {
			ew.printf(", typ: %s", sig.Typ)
		}
		if sig.KeysTried != nil {
			ew.printf("; %d of the issuer's %d keys tried", *sig.KeysTried, sig.KeysInSet)
		}
		ew.printf("\n")
	}
	if a := s.Audience; a != nil {
		if a.Policy != "" {
			ew.printf("%spolicy: %s\n", in, a.Policy)
		}
		ew.printf("%sconfigured: %q\n%stoken aud: %q\n", in, a.Configured, in, a.Token)
		if a.Matched != "" {
			ew.printf("%smatched: %q\n", in, a.Matched)
		}
	}
	if t := s.Time; t != nil {
		if t.Exp != nil {
			if ago, past := strings.CutPrefix(t.ExpiresIn, "-"); past {
				ew.printf("%sexp: %s (expired %s ago)\n", in, t.Exp.Format(time.RFC3339), ago)
			} else {
				ew.printf("%sexp: %s (expires in %s)\n", in, t.Exp.Format(time.RFC3339), t.ExpiresIn)
			}
		} else {
			ew.printf("%sexp: absent\n", in)
		}
		if t.Nbf != nil {
			ew.printf("%snbf: %s (leeway %s)\n", in, t.Nbf.Format(time.RFC3339), t.NotBeforeLeeway)
		}
		if t.Iat != nil {
			ew.printf("%siat: %s (not checked)\n", in, t.Iat.Format(time.RFC3339))
		}
	}
	if s.Type != "" {
		ew.printf("%stype: %s\n", in, s.Type)
	}
	if s.Result != nil {
		ew.printf("%sresult: %t\n", in, *s.Result)
	}
	switch v := s.Value.(type) {
	case string:
		ew.printf("%svalue: %q\n", in, v)
	case []string:
		ew.printf("%svalue: %q\n", in, v)
	}
	if s.Error != "" {
		ew.printf("%serror: %s\n", in, s.Error)
	}
}

type errWriter struct {
	w   io.Writer
	err error
}

func (ew *errWriter) printf(format string, args ...any) {
	if ew.err == nil {
		_, ew.err = fmt.Fprintf(ew.w, format, args...)
	}
}

func sortedKeys(m map[string][]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
