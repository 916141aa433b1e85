package policytest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/structauth/structauth/jwtauth"
)

// caseTimeout bounds one case (signed cases make local HTTP requests).
const caseTimeout = 30 * time.Second

// Result is the outcome of one test file.
type Result struct {
	// File is the path of the test file.
	File string
	// Cases are the outcomes in file order.
	Cases []CaseResult
}

// Passed counts the cases that passed.
func (r *Result) Passed() int {
	n := 0
	for _, c := range r.Cases {
		if c.Passed() {
			n++
		}
	}
	return n
}

// Failed counts the cases that failed.
func (r *Result) Failed() int { return len(r.Cases) - r.Passed() }

// CaseResult is the outcome of one case.
type CaseResult struct {
	// Name and Line identify the case in the file.
	Name string
	Line int
	// Signed is true for a case that went through Authenticate (sign:
	// true or token).
	Signed bool
	// User and Err are what the authenticator returned.
	User *jwtauth.User
	Err  error
	// Diff lists the differences from the expectation, one per line
	// ("username: want \"a\", got \"b\""); empty when the case passed.
	Diff []string
}

// Passed reports whether the case met its expectation.
func (c *CaseResult) Passed() bool { return len(c.Diff) == 0 }

// Run runs the test file at path inside a Go test: one subtest per case,
// each failing with the case's differences. A file that cannot be read,
// parsed or configured fails t.
func Run(t *testing.T, path string) {
	t.Helper()
	res, err := RunFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Cases {
		t.Run(c.Name, func(t *testing.T) {
			if !c.Passed() {
				t.Errorf("%s:%d: case %q:\n\t%s", res.File, c.Line, c.Name, strings.Join(c.Diff, "\n\t"))
			}
		})
	}
}

// RunFile runs the test file at path and returns every case's outcome.
// The error is for a file that cannot be read or parsed, an invalid
// configuration (a *jwtauth.ValidationError, in the message) or a failure
// to start the in-process issuers; failing cases are not errors.
func RunFile(path string) (*Result, error) {
	s, err := loadSuite(path)
	if err != nil {
		return nil, err
	}
	return s.run()
}

func (s *suite) run() (*Result, error) {
	// Validate the configuration as written (certificateAuthority
	// included), before the fakes replace the issuers' TLS.
	if err := jwtauth.ValidateConfig(s.cfg, jwtauth.ValidateOptions{Profile: s.profile}); err != nil {
		return nil, fmt.Errorf("%s: invalid configuration: %w", s.path, err)
	}
	signed := slices.ContainsFunc(s.cases, func(c caseSpec) bool { return c.Sign || c.Token != "" })
	net, err := newOfflineNet(s.cfg, signed, s.jwks)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.path, err)
	}
	defer net.close()

	cfg := withoutCAs(s.cfg)
	now := time.Now
	if !s.now.IsZero() {
		now = func() time.Time { return s.now }
	}
	auth, err := jwtauth.New(context.Background(), cfg, jwtauth.Options{
		Profile:    s.profile,
		HTTPClient: net.client(),
		Now:        now,
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.path, err)
	}
	defer auth.Close()

	res := &Result{File: s.path}
	for i := range s.cases {
		res.Cases = append(res.Cases, s.runCase(auth, net, &s.cases[i], now()))
	}
	return res, nil
}

func (s *suite) runCase(auth *jwtauth.Authenticator, net *offlineNet, c *caseSpec, now time.Time) CaseResult {
	r := CaseResult{Name: c.Name, Line: c.line, Signed: c.Sign}
	ctx, cancel := context.WithTimeout(context.Background(), caseTimeout)
	defer cancel()
	switch {
	case c.Token != "":
		r.Signed = true
		r.User, r.Err = auth.Authenticate(ctx, strings.TrimSpace(c.Token))
	case c.Sign:
		claims := make(map[string]any, len(c.Claims)+2)
		for k, v := range c.Claims {
			claims[k] = v
		}
		if _, ok := claims["exp"]; !ok && !c.nulled["exp"] {
			claims["exp"] = now.Add(time.Hour).Unix()
			if _, ok := claims["iat"]; !ok && !c.nulled["iat"] {
				claims["iat"] = now.Unix()
			}
		}
		tok, err := net.sign(c.Alg, claims)
		if err != nil {
			r.Diff = []string{"cannot sign the token: " + err.Error()}
			return r
		}
		r.User, r.Err = auth.Authenticate(ctx, tok)
	default:
		r.User, r.Err = auth.MapClaims(ctx, c.Claims)
	}
	r.Diff = compare(c, r.User, r.Err)
	return r
}

// compare lists how the outcome differs from the case's expectation.
func compare(c *caseSpec, u *jwtauth.User, err error) []string {
	if c.Reject != nil {
		if err == nil {
			return []string{"want rejection" + describeReject(c.Reject) + ", got user " + describeUser(u)}
		}
		var diff []string
		if c.Reject.Check != "" {
			if got := checkOf(err); got != jwtauth.Check(c.Reject.Check) {
				diff = append(diff, fmt.Sprintf("check: want %q, got %q", c.Reject.Check, got))
			}
		}
		if c.Reject.Message != "" && !strings.Contains(err.Error(), c.Reject.Message) {
			diff = append(diff, fmt.Sprintf("message: want text containing %q", c.Reject.Message))
		}
		if diff != nil {
			diff = append(diff, "error: "+err.Error())
		}
		return diff
	}
	if err != nil {
		return []string{fmt.Sprintf("want user, got rejection (check %q): %v", checkOf(err), err)}
	}
	var diff []string
	w := c.User
	if w.Username != nil && *w.Username != u.Username {
		diff = append(diff, fmt.Sprintf("username: want %q, got %q", *w.Username, u.Username))
	}
	if w.UID != nil && *w.UID != u.UID {
		diff = append(diff, fmt.Sprintf("uid: want %q, got %q", *w.UID, u.UID))
	}
	if w.Groups != nil && !slices.Equal(*w.Groups, u.Groups) {
		diff = append(diff, fmt.Sprintf("groups: want %s, got %s", quoteList(*w.Groups), quoteList(u.Groups)))
	}
	if w.extraSet || w.Extra != nil {
		keys := map[string]bool{}
		for k := range w.Extra {
			keys[k] = true
		}
		for k := range u.Extra {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		slices.Sort(sorted)
		for _, k := range sorted {
			want, wok := w.Extra[k]
			got, gok := u.Extra[k]
			switch {
			case !gok:
				diff = append(diff, fmt.Sprintf("extra[%q]: want %s, got none", k, quoteList(want)))
			case !wok:
				diff = append(diff, fmt.Sprintf("extra[%q]: want none, got %s", k, quoteList(got)))
			case !slices.Equal(want, got):
				diff = append(diff, fmt.Sprintf("extra[%q]: want %s, got %s", k, quoteList(want), quoteList(got)))
			}
		}
	}
	return diff
}

func checkOf(err error) jwtauth.Check {
	var e *jwtauth.Error
	if errors.As(err, &e) {
		return e.Check
	}
	return ""
}

func describeReject(r *rejectSpec) string {
	var parts []string
	if r.Check != "" {
		parts = append(parts, "check "+r.Check)
	}
	if r.Message != "" {
		parts = append(parts, fmt.Sprintf("message containing %q", r.Message))
	}
	if parts == nil {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

func describeUser(u *jwtauth.User) string {
	s := fmt.Sprintf("username %q", u.Username)
	if u.UID != "" {
		s += fmt.Sprintf(", uid %q", u.UID)
	}
	if len(u.Groups) > 0 {
		s += ", groups " + quoteList(u.Groups)
	}
	return s
}

func quoteList(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// withoutCAs returns a copy of cfg without certificateAuthority, which
// the in-process issuers replace (Options.HTTPClient excludes it).
func withoutCAs(cfg *jwtauth.AuthenticationConfiguration) *jwtauth.AuthenticationConfiguration {
	c := *cfg
	c.JWT = slices.Clone(cfg.JWT)
	for i := range c.JWT {
		c.JWT[i].Issuer.CertificateAuthority = ""
	}
	return &c
}
