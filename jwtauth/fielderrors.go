package jwtauth

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// This file reproduces the parts of k8s.io/apimachinery and client-go that
// shape kube-apiserver's validation messages: field.Error and its
// ErrorBody, the aggregate's "[e1, e2]" rendering, IsDomainPrefixedPath
// with its RFC 1123 messages, and cert.ParseCertsPEM. The texts must stay byte-for-byte identical, because
// callers compare them with kube-apiserver's output.

// FieldErrorType says what is wrong with a field. The values are
// apimachinery's field.ErrorType values.
type FieldErrorType string

// The field error types kube-apiserver's authentication validation uses.
const (
	FieldValueRequired  FieldErrorType = "FieldValueRequired"
	FieldValueInvalid   FieldErrorType = "FieldValueInvalid"
	FieldValueDuplicate FieldErrorType = "FieldValueDuplicate"
	FieldValueForbidden FieldErrorType = "FieldValueForbidden"
	FieldValueTooMany   FieldErrorType = "FieldValueTooMany"
	FieldValueInternal  FieldErrorType = "InternalError"
)

// String returns the phrase printed in messages, as apimachinery does.
func (t FieldErrorType) String() string {
	switch t {
	case FieldValueRequired:
		return "Required value"
	case FieldValueInvalid:
		return "Invalid value"
	case FieldValueDuplicate:
		return "Duplicate value"
	case FieldValueForbidden:
		return "Forbidden"
	case FieldValueTooMany:
		return "Too many"
	case FieldValueInternal:
		return "Internal error"
	}
	return fmt.Sprintf("<unknown error %q>", string(t))
}

// FieldError is one configuration problem: the field's path (for example
// "jwt[0].issuer.url"), what is wrong, the offending value and a detail.
// Its Error text is identical to kube-apiserver's field.Error.
type FieldError struct {
	Type  FieldErrorType
	Field string
	// BadValue is the offending value: a string, a number, a bool, or a
	// NamedString for the fields whose Kubernetes type is a named string
	// type (audienceMatchPolicy, egressSelectorType).
	BadValue any
	Detail   string
}

// NamedString is a bad value of a field whose Kubernetes type is a named
// string type (AudienceMatchPolicyType, EgressSelectorType).
// apimachinery prints such values as JSON (json.Marshal escapes <, > and
// & and control characters) where a plain string is printed with %q;
// keeping the distinction keeps the error text identical.
type NamedString string

// Error returns "<field>: <body>".
func (e *FieldError) Error() string {
	return e.Field + ": " + e.ErrorBody()
}

// ErrorBody returns the message without the field path, formatted as
// apimachinery's field.Error.ErrorBody: strings are quoted with %q, simple
// numbers and booleans printed plainly, anything else as JSON.
func (e *FieldError) ErrorBody() string {
	var s string
	switch e.Type {
	case FieldValueRequired, FieldValueForbidden, FieldValueInternal:
		s = e.Type.String()
	default:
		switch v := e.BadValue.(type) {
		case int64, int32, float64, float32, bool:
			s = fmt.Sprintf("%s: %v", e.Type, v)
		case string:
			s = fmt.Sprintf("%s: %q", e.Type, v)
		default:
			var valstr string
			if b, err := json.Marshal(v); err == nil {
				valstr = string(b)
			} else if st, ok := v.(fmt.Stringer); ok {
				valstr = st.String()
			} else {
				valstr = fmt.Sprintf("%#v", v)
			}
			s = fmt.Sprintf("%s: %s", e.Type, valstr)
		}
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// ValidationError lists every problem found in a configuration. Its Error
// text is kube-apiserver's aggregate: one problem prints alone, several
// print as "[e1, e2, …]". Problems with identical text are listed once.
type ValidationError struct {
	Errors []*FieldError
}

func (v *ValidationError) Error() string {
	seen := make(map[string]bool, len(v.Errors))
	msgs := make([]string, 0, len(v.Errors))
	for _, e := range v.Errors {
		if msg := e.Error(); !seen[msg] {
			seen[msg] = true
			msgs = append(msgs, msg)
		}
	}
	if len(msgs) == 1 {
		return msgs[0]
	}
	if len(msgs) == 0 {
		return ""
	}
	return "[" + strings.Join(msgs, ", ") + "]"
}

// fieldErrorList accumulates problems in order.
type fieldErrorList []*FieldError

// toError returns nil or a *ValidationError without duplicate messages
// (apimachinery's ErrorList.ToAggregate drops repeated texts too).
func (l fieldErrorList) toError() *ValidationError {
	if len(l) == 0 {
		return nil
	}
	seen := make(map[string]bool, len(l))
	out := make([]*FieldError, 0, len(l))
	for _, e := range l {
		msg := e.Error()
		if seen[msg] {
			continue
		}
		seen[msg] = true
		out = append(out, e)
	}
	return &ValidationError{Errors: out}
}

// fieldPath is a rendered apimachinery field.Path ("jwt[0].issuer.url").
// The empty path is the root: its first child has no leading dot.
type fieldPath string

func (p fieldPath) child(names ...string) fieldPath {
	for _, n := range names {
		if p == "" {
			p = fieldPath(n)
		} else {
			p = p + "." + fieldPath(n)
		}
	}
	return p
}

func (p fieldPath) index(i int) fieldPath {
	return fieldPath(fmt.Sprintf("%s[%d]", p, i))
}

func fieldRequired(p fieldPath, detail string) *FieldError {
	return &FieldError{Type: FieldValueRequired, Field: string(p), BadValue: "", Detail: detail}
}

func fieldInvalid(p fieldPath, value any, detail string) *FieldError {
	return &FieldError{Type: FieldValueInvalid, Field: string(p), BadValue: value, Detail: detail}
}

func fieldDuplicate(p fieldPath, value any) *FieldError {
	return &FieldError{Type: FieldValueDuplicate, Field: string(p), BadValue: value}
}

func fieldForbidden(p fieldPath, detail string) *FieldError {
	return &FieldError{Type: FieldValueForbidden, Field: string(p), BadValue: "", Detail: detail}
}

func fieldTooMany(p fieldPath, actual, maxItems int) *FieldError {
	items := "items"
	if maxItems == 1 {
		items = "item"
	}
	return &FieldError{Type: FieldValueTooMany, Field: string(p), BadValue: actual,
		Detail: fmt.Sprintf("must have at most %d %s", maxItems, items)}
}

// apimachinery's k8s.io/apimachinery/pkg/util/validation formats.
const (
	kubeDNS1123LabelFmt          = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
	kubeDNS1123SubdomainFmt      = kubeDNS1123LabelFmt + "(\\." + kubeDNS1123LabelFmt + ")*"
	kubeDNS1123SubdomainErrMsg   = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
	kubeDNS1123SubdomainMaxLen   = 253
	kubeHTTPPathFmt              = `[A-Za-z0-9/\-._~%!$&'()*+,;=:]+`
	kubeDomainPrefixedPathDetail = `must be a domain-prefixed path (such as "acme.io/foo")`
)

var (
	kubeDNS1123SubdomainRegexp = regexp.MustCompile("^" + kubeDNS1123SubdomainFmt + "$")
	kubeHTTPPathRegexp         = regexp.MustCompile("^" + kubeHTTPPathFmt + "$")
)

// kubeRegexError is apimachinery's validation.RegexError.
func kubeRegexError(msg, re string, examples ...string) string {
	if len(examples) == 0 {
		return msg + " (regex used for validation is '" + re + "')"
	}
	msg += " (e.g. "
	for i, ex := range examples {
		if i > 0 {
			msg += " or "
		}
		msg += "'" + ex + "', "
	}
	return msg + "regex used for validation is '" + re + "')"
}

// kubeIsDNS1123Subdomain is apimachinery's validation.IsDNS1123Subdomain.
func kubeIsDNS1123Subdomain(value string) []string {
	var errs []string
	if len(value) > kubeDNS1123SubdomainMaxLen {
		errs = append(errs, fmt.Sprintf("must be no more than %d characters", kubeDNS1123SubdomainMaxLen))
	}
	if !kubeDNS1123SubdomainRegexp.MatchString(value) {
		errs = append(errs, kubeRegexError(kubeDNS1123SubdomainErrMsg, kubeDNS1123SubdomainFmt, "example.com"))
	}
	return errs
}

// kubeIsDomainPrefixedPath is apimachinery's validation.IsDomainPrefixedPath:
// everything before the first "/" must be an RFC 1123 subdomain, everything
// after it non-empty RFC 3986 path characters.
func kubeIsDomainPrefixedPath(p fieldPath, dpPath string) fieldErrorList {
	if dpPath == "" {
		return fieldErrorList{fieldRequired(p, "")}
	}
	host, path, ok := strings.Cut(dpPath, "/")
	if !ok || host == "" || path == "" {
		return fieldErrorList{fieldInvalid(p, dpPath, kubeDomainPrefixedPathDetail)}
	}
	var errs fieldErrorList
	for _, msg := range kubeIsDNS1123Subdomain(host) {
		errs = append(errs, fieldInvalid(p, host, msg))
	}
	if !kubeHTTPPathRegexp.MatchString(path) {
		errs = append(errs, fieldInvalid(p, path, kubeRegexError("Invalid path", kubeHTTPPathFmt)))
	}
	return errs
}

// kubeReservedDomain reports whether an extra key's domain is k8s.io,
// kubernetes.io or a subdomain of either.
func kubeReservedDomain(key string) bool {
	domain, _, ok := strings.Cut(key, "/")
	if !ok {
		return false
	}
	for _, reserved := range []string{"kubernetes.io", "k8s.io"} {
		if domain == reserved || strings.HasSuffix(domain, "."+reserved) {
			return true
		}
	}
	return false
}

// kubeParseCertsPEM mirrors client-go's cert.ParseCertsPEM: only
// "CERTIFICATE" blocks without headers count; the first unparsable one is
// an error; none at all is an error.
func kubeParseCertsPEM(data []byte) error {
	found := false
	for len(data) > 0 {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" || len(block.Headers) != 0 {
			continue
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			return err
		}
		found = true
	}
	if !found {
		return errors.New("data does not contain any valid RSA or ECDSA certificates")
	}
	return nil
}
