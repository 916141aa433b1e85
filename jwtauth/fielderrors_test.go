package jwtauth

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

type feStringer struct{ C chan int }

func (feStringer) String() string { return "stringer" }

func TestValidateFieldErrorFormatting(t *testing.T) {
	tests := []struct {
		err  *FieldError
		want string
	}{
		{fieldRequired("a.b", ""), "a.b: Required value"},
		{fieldRequired("a.b", "claim or expression is required"), "a.b: Required value: claim or expression is required"},
		{fieldInvalid("a", "x\"y\n", "bad"), `a: Invalid value: "x\"y\n": bad`},
		{fieldInvalid("a", "", "empty"), `a: Invalid value: "": empty`},
		{fieldInvalid("a", int64(3), "int64"), "a: Invalid value: 3: int64"},
		{fieldInvalid("a", 2.5, "float"), "a: Invalid value: 2.5: float"},
		{fieldInvalid("a", true, "bool"), "a: Invalid value: true: bool"},
		{fieldInvalid("a", "<a&b>\x01", "plain"), `a: Invalid value: "<a&b>\x01": plain`},
		{fieldInvalid("a", NamedString("<a&b>\x01\u0085"), "named"), "a: Invalid value: \"\\u003ca\\u0026b\\u003e\\u0001\u0085\": named"}, // U+0085 stays raw, as in kube
		{fieldInvalid("a", []kubeAnonymousCondition{{Path: "/healthz"}}, "json"), `a: Invalid value: [{"Path":"/healthz"}]: json`},
		{fieldInvalid("a", feStringer{}, "stringer"), "a: Invalid value: stringer: stringer"},
		{fieldInvalid("a", map[[2]int]int{}, "gostring"), "a: Invalid value: map[[2]int]int{}: gostring"},
		{fieldDuplicate("jwt[1].issuer.url", "https://x"), `jwt[1].issuer.url: Duplicate value: "https://x"`},
		{fieldForbidden("anonymous", "not here"), "anonymous: Forbidden: not here"},
		{fieldTooMany("jwt", 65, 64), "jwt: Too many: 65: must have at most 64 items"},
		{fieldTooMany("jwt", 2, 1), "jwt: Too many: 2: must have at most 1 item"},
		{&FieldError{Type: FieldValueInternal, Field: "x", BadValue: "v", Detail: "boom"}, "x: Internal error: boom"},
		{&FieldError{Type: "Odd", Field: "x", BadValue: "v"}, `x: <unknown error "Odd">: "v"`},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, tt.err.Error())
	}
}

func TestValidationErrorAggregate(t *testing.T) {
	a := fieldRequired("a", "")
	b := fieldInvalid("b", "v", "bad")
	require.Nil(t, fieldErrorList{}.toError())
	require.Equal(t, "a: Required value", fieldErrorList{a}.toError().Error())
	require.Equal(t, `[a: Required value, b: Invalid value: "v": bad]`, fieldErrorList{a, b}.toError().Error())

	// Repeated texts are listed once, and a single distinct text has no brackets.
	verr := fieldErrorList{a, fieldRequired("a", ""), b, a}.toError()
	require.Len(t, verr.Errors, 2)
	require.Equal(t, "a: Required value", (&ValidationError{Errors: []*FieldError{a, a}}).Error())
	require.Equal(t, "", (&ValidationError{}).Error())

	var err error = verr
	var target *ValidationError
	require.True(t, errors.As(err, &target))
}

func TestValidateFieldPath(t *testing.T) {
	require.Equal(t, fieldPath("issuer.url"), fieldPath("").child("issuer", "url"))
	require.Equal(t, fieldPath("jwt[3].claimMappings.extra[0].key"), fieldPath("jwt").index(3).child("claimMappings", "extra").index(0).child("key"))
}

func TestValidateDomainPrefixedPath(t *testing.T) {
	const rfc1123 = `a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`
	longHost := strings.Repeat("a", 254)
	tests := []struct{ in, want string }{
		{"acme.io/foo", ""},
		{"acme.io/foo/bar:baz~x", ""},
		{"a/b", ""},
		{"", "k: Required value"},
		{"acme.io", `k: Invalid value: "acme.io": must be a domain-prefixed path (such as "acme.io/foo")`},
		{"/foo", `k: Invalid value: "/foo": must be a domain-prefixed path (such as "acme.io/foo")`},
		{"acme.io/", `k: Invalid value: "acme.io/": must be a domain-prefixed path (such as "acme.io/foo")`},
		{"-acme.io/foo", `k: Invalid value: "-acme.io": ` + rfc1123},
		{"acme.io/a b", `k: Invalid value: "a b": Invalid path (regex used for validation is '[A-Za-z0-9/\-._~%!$&'()*+,;=:]+')`},
		{"Acme.io/a b", `[k: Invalid value: "Acme.io": ` + rfc1123 + `, k: Invalid value: "a b": Invalid path (regex used for validation is '[A-Za-z0-9/\-._~%!$&'()*+,;=:]+')]`},
		{longHost + "/x", `k: Invalid value: "` + longHost + `": must be no more than 253 characters`},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, vtListString(kubeIsDomainPrefixedPath("k", tt.in)), tt.in)
	}
}
