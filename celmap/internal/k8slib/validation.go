package k8slib

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// This file re-implements the apimachinery and kube-openapi string
// validators used by the format library. Messages match upstream verbatim,
// including the "characters" vs "bytes" wording of the two upstream
// packages (k8s.io/apimachinery/pkg/util/validation for the DNS formats,
// k8s.io/apimachinery/pkg/api/validate/content for qualified names and
// label values).

const (
	dns1123LabelFmt     = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
	dns1123LabelErrMsg  = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"
	dns1123SubdomainFmt = dns1123LabelFmt + "(\\." + dns1123LabelFmt + ")*"
	dns1123SubdomainMsg = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
	dns1035LabelFmt     = "[a-z]([-a-z0-9]*[a-z0-9])?"
	dns1035LabelErrMsg  = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character"
	dnsLabelMaxLen      = 63
	dnsSubdomainMaxLen  = 253

	labelKeyFmt      = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
	labelKeyErrMsg   = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
	labelKeyMaxLen   = 63
	labelValueFmt    = "(" + labelKeyFmt + ")?"
	labelValueErrMsg = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
	labelValueMaxLen = 63

	// uuidPattern and dateTimePattern are kube-openapi strfmt's patterns;
	// their lengths also serve as regex size estimates.
	uuidPattern     = `(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$`
	dateTimePattern = `^([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))$`
	base64Pattern   = `^(?:[A-Za-z0-9+\/]{4})*(?:[A-Za-z0-9+\/]{2}==|[A-Za-z0-9+\/]{3}=|[A-Za-z0-9+\/]{4})$`
	fullDateLayout  = "2006-01-02"
)

var (
	dns1123LabelRe     = regexp.MustCompile("^" + dns1123LabelFmt + "$")
	dns1123SubdomainRe = regexp.MustCompile("^" + dns1123SubdomainFmt + "$")
	dns1035LabelRe     = regexp.MustCompile("^" + dns1035LabelFmt + "$")
	labelKeyRe         = regexp.MustCompile("^" + labelKeyFmt + "$")
	labelValueRe       = regexp.MustCompile("^" + labelValueFmt + "$")
	uuidRe             = regexp.MustCompile(uuidPattern)
	dateTimeRe         = regexp.MustCompile(dateTimePattern)
	base64Re           = regexp.MustCompile(base64Pattern)
)

// maxLenChars is util/validation's MaxLenError.
func maxLenChars(n int) string { return fmt.Sprintf("must be no more than %d characters", n) }

// maxLenBytes is validate/content's MaxLenError.
func maxLenBytes(n int) string { return fmt.Sprintf("must be no more than %d bytes", n) }

// regexError explains a regex validation failure, with optional examples.
func regexError(msg, re string, examples ...string) string {
	if len(examples) == 0 {
		return msg + " (regex used for validation is '" + re + "')"
	}
	var b strings.Builder
	b.WriteString(msg + " (e.g. ")
	for i, ex := range examples {
		if i > 0 {
			b.WriteString(" or ")
		}
		b.WriteString("'" + ex + "', ")
	}
	b.WriteString("regex used for validation is '" + re + "')")
	return b.String()
}

// maskTrailingDash lets generateName prefixes end in '-': like upstream it
// replaces the last two characters with "a".
func maskTrailingDash(name string) string {
	if len(name) > 1 && strings.HasSuffix(name, "-") {
		return name[:len(name)-2] + "a"
	}
	return name
}

func isDNS1123Label(value string) []string {
	var errs []string
	if len(value) > dnsLabelMaxLen {
		errs = append(errs, maxLenChars(dnsLabelMaxLen))
	}
	if !dns1123LabelRe.MatchString(value) {
		if dns1123SubdomainRe.MatchString(value) {
			errs = append(errs, "must not contain dots")
		} else {
			errs = append(errs, regexError(dns1123LabelErrMsg, dns1123LabelFmt, "my-name", "123-abc"))
		}
	}
	return errs
}

// isDNS1123Subdomain validates a subdomain; bytesMsg selects the
// validate/content wording of the length error.
func isDNS1123Subdomain(value string, bytesMsg bool) []string {
	var errs []string
	if len(value) > dnsSubdomainMaxLen {
		if bytesMsg {
			errs = append(errs, maxLenBytes(dnsSubdomainMaxLen))
		} else {
			errs = append(errs, maxLenChars(dnsSubdomainMaxLen))
		}
	}
	if !dns1123SubdomainRe.MatchString(value) {
		errs = append(errs, regexError(dns1123SubdomainMsg, dns1123SubdomainFmt, "example.com"))
	}
	return errs
}

func isDNS1035Label(value string) []string {
	var errs []string
	if len(value) > dnsLabelMaxLen {
		errs = append(errs, maxLenChars(dnsLabelMaxLen))
	}
	if !dns1035LabelRe.MatchString(value) {
		errs = append(errs, regexError(dns1035LabelErrMsg, dns1035LabelFmt, "my-name", "abc-123"))
	}
	return errs
}

// isQualifiedName validates an optionally DNS-subdomain-prefixed name such
// as a label key ("example.com/MyName").
func isQualifiedName(value string) []string {
	var errs []string
	parts := strings.Split(value, "/")
	var name string
	switch len(parts) {
	case 1:
		name = parts[0]
	case 2:
		prefix := parts[0]
		name = parts[1]
		if prefix == "" {
			errs = append(errs, "prefix part must be non-empty")
		} else {
			for _, msg := range isDNS1123Subdomain(prefix, true) {
				errs = append(errs, "prefix part "+msg)
			}
		}
	default:
		return append(errs, "a valid label key "+regexError(labelKeyErrMsg, labelKeyFmt, "MyName", "my.name", "123-abc")+
			" with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')")
	}
	if name == "" {
		errs = append(errs, "name part must be non-empty")
	} else if len(name) > labelKeyMaxLen {
		errs = append(errs, "name part "+maxLenBytes(labelKeyMaxLen))
	}
	if !labelKeyRe.MatchString(name) {
		errs = append(errs, "name part "+regexError(labelKeyErrMsg, labelKeyFmt, "MyName", "my.name", "123-abc"))
	}
	return errs
}

func isLabelValue(value string) []string {
	var errs []string
	if len(value) > labelValueMaxLen {
		errs = append(errs, maxLenBytes(labelValueMaxLen))
	}
	if !labelValueRe.MatchString(value) {
		errs = append(errs, regexError(labelValueErrMsg, labelValueFmt, "MyValue", "my_value", "12345"))
	}
	return errs
}

// isUUID accepts 32 hex digits, optionally dash-separated 8-4-4-4-12, any case.
func isUUID(s string) bool { return uuidRe.MatchString(s) }

// isBase64 accepts non-empty, padded standard-alphabet base64.
func isBase64(s string) bool { return base64Re.MatchString(s) }

// isDate accepts an RFC 3339 full-date (YYYY-MM-DD).
func isDate(s string) bool {
	_, err := time.Parse(fullDateLayout, s)
	return err == nil
}

// isDateTime is strfmt's lenient RFC 3339 date-time check: a valid date,
// 't' or 'T', then hh:mm:ss[.frac] and 'z' or an offset.
func isDateTime(s string) bool {
	if len(s) < 4 {
		return false
	}
	parts := strings.Split(strings.ToLower(s), "t")
	if len(parts) < 2 || !isDate(parts[0]) {
		return false
	}
	m := dateTimeRe.FindStringSubmatch(parts[1])
	if m == nil {
		return false
	}
	return m[1] <= "23" && m[2] <= "59" && m[3] <= "59"
}
