package k8slib

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/cel-go/common/types"
)

func someErrs(msgs ...string) any {
	return types.OptionalOf(types.NewStringList(types.DefaultTypeAdapter, msgs))
}

func TestFormat(t *testing.T) {
	const (
		labelMsg = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
		subMsg   = `a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`
		d1035Msg = `a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`
		nameMsg  = `name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`
		valueMsg = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
	)
	long := strings.Repeat("a", 64)
	cases := []evalCase{
		{expr: `format.dns1123Label().validate("my-label-name")`, want: types.OptionalNone},
		{expr: `format.dns1123Subdomain().validate("apiextensions.k8s.io")`, want: types.OptionalNone},
		{expr: `format.qualifiedName().validate("apiextensions.k8s.io/v1beta1")`, want: types.OptionalNone},
		{expr: `format.dns1123LabelPrefix().validate("my-label-prefix-")`, want: types.OptionalNone},
		{expr: `format.dns1123SubdomainPrefix().validate("mysubdomain.prefix.-")`, want: types.OptionalNone},
		{expr: `format.dns1035LabelPrefix().validate("my-label-prefix-")`, want: types.OptionalNone},
		{expr: `format.uri().validate("http://example.com")`, want: types.OptionalNone},
		{expr: `format.uuid().validate("123e4567-e89b-12d3-a456-426614174000")`, want: types.OptionalNone},
		{expr: `format.byte().validate("aGVsbG8=")`, want: types.OptionalNone},
		{expr: `format.date().validate("2021-01-01")`, want: types.OptionalNone},
		{expr: `format.datetime().validate("2021-01-01T00:00:00Z")`, want: types.OptionalNone},
		{expr: `format.dns1123Label().validate("contains a space")`, want: someErrs(labelMsg)},
		{expr: `format.dns1123Label().validate("a.b")`, want: someErrs("must not contain dots")},
		{expr: fmt.Sprintf(`format.dns1123Label().validate("%s")`, long), want: someErrs("must be no more than 63 characters")},
		{expr: `format.dns1123Subdomain().validate("contains a space")`, want: someErrs(subMsg)},
		{expr: `format.dns1035Label().validate("contains a space")`, want: someErrs(d1035Msg)},
		{expr: `format.dns1035Label().validate("1abc")`, want: someErrs(d1035Msg)},
		{expr: `format.qualifiedName().validate("contains a space")`, want: someErrs(nameMsg)},
		{expr: fmt.Sprintf(`format.qualifiedName().validate("%s")`, long),
			want: someErrs("name part must be no more than 63 bytes")},
		{expr: `format.qualifiedName().validate("/name")`, want: someErrs("prefix part must be non-empty")},
		{expr: `format.qualifiedName().validate("Example.com/name")`, want: someErrs("prefix part " + subMsg)},
		{expr: `format.qualifiedName().validate("a/b/c")`, want: someErrs("a valid label key must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')")},
		{expr: `format.qualifiedName().validate("example.com/")`, want: someErrs("name part must be non-empty", nameMsg)},
		{expr: `format.dns1123LabelPrefix().validate("contains a space-")`, want: someErrs(labelMsg)},
		{expr: `format.dns1123SubdomainPrefix().validate("contains a space-")`, want: someErrs(subMsg)},
		{expr: `format.dns1035LabelPrefix().validate("contains a space-")`, want: someErrs(d1035Msg)},
		{expr: `format.labelValue().validate("my-cool-label-Value")`, want: types.OptionalNone},
		{expr: `format.labelValue().validate("")`, want: types.OptionalNone},
		{expr: `format.labelValue().validate("my-cool-label-Value!!\n\n!!!")`, want: someErrs(valueMsg)},
		{expr: `format.uri().validate("example")`, want: someErrs(`parse "example": invalid URI for request`)},
		{expr: `format.uuid().validate("123e4567e89b12d3a456426614174000")`, want: types.OptionalNone},
		{expr: `format.uuid().validate("not-a-uuid")`, want: someErrs("does not match the UUID format")},
		{expr: `format.byte().validate("aGVsbG8")`, want: someErrs("invalid base64")},
		{expr: `format.byte().validate("")`, want: someErrs("invalid base64")},
		{expr: `format.date().validate("2020-01-32")`, want: someErrs("invalid date")},
		{expr: `format.datetime().validate("2020-01-01t23:59:59.5+01:00")`, want: types.OptionalNone},
		{expr: `format.datetime().validate("2020-01-32T00:00:00Z")`, want: someErrs("invalid datetime")},
		{expr: `format.datetime().validate("2020-01-01T24:00:00Z")`, want: someErrs("invalid datetime")},
		{expr: `format.named("unknown").hasValue()`, want: false},
		{expr: `format.named("dns1123subdomain").hasValue()`, want: false},
		{expr: `format.named("dns1123Label").value().validate("a_b").hasValue()`, want: true},
		{expr: `format.dns1123Label() == format.dns1035Label()`, want: false},
		{expr: `format.validate("x")`, wantCompileErr: `undeclared reference to 'format'|found no matching overload`},
	}
	for key := range namedFormats {
		cases = append(cases,
			evalCase{expr: fmt.Sprintf(`format.named(%q).hasValue()`, key), want: true},
			evalCase{expr: fmt.Sprintf(`format.named(%q).value() == format.%s()`, key, key), want: true},
		)
	}
	runCases(t, cases)
}

func TestSemver(t *testing.T) {
	v123, err := parseSemver("1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	runCases(t, []evalCase{
		{expr: `semver("1.2.3")`, want: semverVal{v123}},
		{expr: `semver("v1.0")`, wantErr: "No Major.Minor.Patch elements found"},
		{expr: `semver("")`, wantErr: "Version string empty"},
		{expr: `semver("01.2.3")`, wantErr: `Major number must not contain leading zeroes "01"`},
		{expr: `semver("1.02.3")`, wantErr: `Minor number must not contain leading zeroes "02"`},
		{expr: `semver("1.2.03")`, wantErr: `Patch number must not contain leading zeroes "03"`},
		{expr: `semver("1.x.3")`, wantErr: `Invalid character(s) found in minor number "x"`},
		{expr: `semver("1.2.3-01")`, wantErr: `Numeric PreRelease version must not contain leading zeroes "01"`},
		{expr: `semver("1.2.3-a..b")`, wantErr: "Prerelease is empty"},
		{expr: `semver("1.2.3-a_b")`, wantErr: `Invalid character(s) found in prerelease "a_b"`},
		{expr: `semver("1.2.3+")`, wantErr: "Build meta data is empty"},
		{expr: `semver("1.2.3+a_b")`, wantErr: `Invalid character(s) found in build meta data "a_b"`},
		{expr: `semver("1..3")`, wantErr: `strconv.ParseUint: parsing "": invalid syntax`},
		{expr: `semver("99999999999999999999.0.0")`, wantErr: `strconv.ParseUint: parsing "99999999999999999999": value out of range`},
		{expr: `semver("1", true)`, want: semverVal{semverVersion{major: 1}}},
		{expr: `semver("1-rc", true)`, wantErr: "short version cannot contain PreRelease/Build meta data"},
		{expr: `isSemver("1.2.3-beta.1+build.1")`, want: true},
		{expr: `isSemver("")`, want: false},
		{expr: `isSemver("v1.0.0")`, want: false},
		{expr: `isSemver(" 1.0.0")`, want: false},
		{expr: `isSemver("1. 0.0")`, want: false},
		{expr: `isSemver("1.0.0 ")`, want: false},
		{expr: `isSemver("01.01.01")`, want: false},
		{expr: `isSemver("1")`, want: false},
		{expr: `isSemver("1.1")`, want: false},
		{expr: `isSemver("", true)`, want: false},
		{expr: `isSemver(" 1.0.0", true)`, want: false},
		{expr: `isSemver("1. 0.0", true)`, want: false},
		{expr: `isSemver("1.0.0 ", true)`, want: false},
		{expr: `isSemver("v1.0.0", true)`, want: true},
		{expr: `isSemver("01.01.01", true)`, want: true},
		{expr: `isSemver("1", true)`, want: true},
		{expr: `isSemver("1.1", true)`, want: true},
		{expr: `isSemver("1.0.0", false)`, want: true},
		{expr: `isSemver([1, 2, 3])`, wantCompileErr: `found no matching overload for 'isSemver' applied to`},
		{expr: `semver("v01.01", true) == semver("1.1.0")`, want: true},
		{expr: `semver("1.2.3") == semver("1.2.3")`, want: true},
		{expr: `semver("1.2.3") == semver("1.0.0")`, want: false},
		{expr: `semver("1.2.3+a") == semver("1.2.3+b")`, want: true},
		{expr: `semver("1.0.0").isLessThan(semver("1.2.3"))`, want: true},
		{expr: `semver("1.0.0").isLessThan(semver("1.0.0"))`, want: false},
		{expr: `semver("1.2.3").isGreaterThan(semver("1.0.0"))`, want: true},
		{expr: `semver("1.0.0").isGreaterThan(semver("1.0.0"))`, want: false},
		{expr: `semver("1.2.3").compareTo(semver("1.2.3"))`, want: 0},
		{expr: `semver("1.0.0").compareTo(semver("1.2.3"))`, want: -1},
		{expr: `semver("1.2.3").compareTo(semver("1.0.0"))`, want: 1},
		{expr: `semver("1.0.0-alpha").compareTo(semver("1.0.0"))`, want: -1},
		{expr: `semver("1.0.0-alpha").compareTo(semver("1.0.0-alpha.1"))`, want: -1},
		{expr: `semver("1.0.0-alpha.1").compareTo(semver("1.0.0-alpha.beta"))`, want: -1},
		{expr: `semver("1.0.0-beta.11").compareTo(semver("1.0.0-beta.2"))`, want: 1},
		{expr: `semver("1.0.0-rc.1").compareTo(semver("1.0.0-beta.11"))`, want: 1},
		{expr: `semver("1.2.3").major()`, want: 1},
		{expr: `semver("1.2.3").minor()`, want: 2},
		{expr: `semver("1.2.3").patch()`, want: 3},
	})
}
