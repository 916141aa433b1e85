package httpauth

import "strings"

// maxDescription bounds error_description.
const maxDescription = 200

// quote returns s as an RFC 9110 quoted-string, with control characters
// (which a header value cannot carry) dropped.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 && c != '\t', c == 0x7f:
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// description turns err into an error_description: RFC 6750 §3 allows only
// %x20-21 / %x23-5B / %x5D-7E, so '"', '\' and anything outside printable
// ASCII become '?'. It is cut to maxDescription bytes.
func description(err error) string {
	s := err.Error()
	if len(s) > maxDescription {
		s = s[:maxDescription]
	}
	b := []byte(s)
	for i, c := range b {
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			b[i] = '?'
		}
	}
	return string(b)
}
