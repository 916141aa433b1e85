package discovery

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Sentinel errors for the classes of failure callers branch on. Errors
// returned by this package wrap them; match with [errors.Is].
var (
	// ErrIssuerMismatch means the discovery document's "issuer" is not
	// exactly Config.IssuerURL (OpenID Connect Discovery 1.0 §4.3). The
	// text is kube-apiserver's, so health messages read the same.
	ErrIssuerMismatch = errors.New("issuer did not match the issuer returned by provider")

	// ErrNoJWKSURL means the discovery document has no "jwks_uri"
	// (kube-apiserver 1.35+ reports the same text).
	ErrNoJWKSURL = errors.New("provider did not return JWKS URL")

	// ErrInsecureURL means a jwks_uri or a redirect target is not an
	// https URL with a host.
	ErrInsecureURL = errors.New("URL must use https")

	// ErrTooManyRedirects means a fetch was redirected more than 5
	// times.
	ErrTooManyRedirects = errors.New("too many redirects")

	// ErrResponseTooLarge means a response body exceeded
	// Config.MaxBodyBytes. Such a body is never parsed.
	ErrResponseTooLarge = errors.New("response body too large")

	// ErrMalformedResponse means a discovery document or JWKS is not the
	// JSON it should be.
	ErrMalformedResponse = errors.New("malformed response")

	// ErrNoUsableKeys means a JWKS was well formed but held no key this
	// library can verify with. The previous key set is kept.
	ErrNoUsableKeys = errors.New("key set has no usable keys")

	// ErrStaleKeys means every JWKS fetch has failed for longer than
	// Config.MaxStaleness since the last one that succeeded, so the keys
	// that one returned are no longer used.
	ErrStaleKeys = errors.New("keys are stale")

	// ErrStatus is matched by every [*StatusError].
	ErrStatus = errors.New("unexpected HTTP status")
)

// StatusError reports a response whose status was not 200 OK. Body is at
// most a short, sanitised prefix of the response body (printable
// characters only), enough to recognise an error page without copying
// whatever the server sent into logs.
type StatusError struct {
	URL        string
	StatusCode int
	Status     string // as in http.Response.Status, e.g. "500 Internal Server Error"
	Body       string
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("GET %q: %s", e.URL, e.Status)
	if e.Body != "" {
		msg += ": " + e.Body
	}
	return msg
}

// Is makes errors.Is(err, ErrStatus) true for any status error.
func (e *StatusError) Is(target error) bool { return target == ErrStatus }

// maxSnippet bounds the body text kept in a StatusError, in runes.
const maxSnippet = 100

// sanitize makes untrusted response text safe to put in an error: valid
// UTF-8, printable runes only, whitespace collapsed, at most max runes.
func sanitize(b []byte, max int) string {
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return ' '
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	n := 0
	for i := range s {
		if n == max {
			return s[:i] + "…"
		}
		n++
	}
	return s
}
