package httpauth

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/structauth/structauth/jwtauth"
)

// TokenAuthenticator authenticates a bearer token: jwtauth's interface,
// satisfied by *jwtauth.Authenticator, *tokencache.Cache and
// *reload.Authenticator.
type TokenAuthenticator = jwtauth.TokenAuthenticator

var _ TokenAuthenticator = (*jwtauth.Authenticator)(nil)

// Errors given to Options.OnError for requests rejected before the token
// reached the authenticator. Match them with errors.Is.
var (
	// ErrNoToken: the request has no Authorization header, or one with
	// another scheme than Bearer.
	ErrNoToken = errors.New("httpauth: no bearer token")
	// ErrMalformedHeader: the Authorization header is repeated, empty, or
	// its Bearer credentials are not exactly one b64token.
	ErrMalformedHeader = errors.New("httpauth: malformed authorization header")
)

// Options tunes the middleware. Every zero value is documented and safe.
type Options struct {
	// Realm is the realm attribute of the WWW-Authenticate challenge.
	// Empty means the challenge has no realm.
	Realm string
	// Optional lets a request that has no Authorization header at all
	// through without a user (UserFrom reports false), for handlers that
	// serve anonymous requests too. A request with credentials is
	// authenticated, and rejected if they fail, either way.
	Optional bool
	// ErrorDescription adds the reason for a rejection to the challenge as
	// error_description (RFC 6750 §3). The zero value, false, tells the
	// client only "invalid_token", so that it learns nothing about the
	// configuration; the reason still goes to OnError.
	ErrorDescription bool
	// OnError, when set, is called for every rejected request with the
	// reason: ErrNoToken, ErrMalformedHeader, or the authenticator's error
	// (a *jwtauth.Error from jwtauth, whose Check says which check failed).
	// It runs on the request's goroutine before the response is written.
	OnError func(r *http.Request, err error)
}

// New returns middleware that authenticates every request with a and
// passes it on, with the user in its context, to the next handler. It is
// safe for concurrent use if a is.
func New(a TokenAuthenticator, opts Options) func(http.Handler) http.Handler {
	if a == nil {
		panic("httpauth: nil authenticator")
	}
	m := &middleware{auth: a, opts: opts}
	m.challenge = "Bearer"
	if opts.Realm != "" {
		m.challenge += " realm=" + quote(opts.Realm)
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			m.serve(w, r, next)
		})
	}
}

type middleware struct {
	auth      TokenAuthenticator
	opts      Options
	challenge string // "Bearer" plus the realm
}

func (m *middleware) serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	token, err := BearerToken(r)
	switch {
	case errors.Is(err, ErrNoToken):
		if m.opts.Optional && len(r.Header.Values("Authorization")) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		m.reject(w, r, err, http.StatusUnauthorized, "")
		return
	case err != nil:
		m.reject(w, r, err, http.StatusBadRequest, "invalid_request")
		return
	}
	u, err := m.auth.Authenticate(r.Context(), token)
	if err == nil && u == nil {
		err = errors.New("httpauth: authenticator returned no user")
	}
	if err != nil {
		if errors.Is(err, jwtauth.ErrNotReady) || errors.Is(err, jwtauth.ErrKeys) {
			m.reject(w, r, err, http.StatusServiceUnavailable, "")
			return
		}
		m.reject(w, r, err, http.StatusUnauthorized, "invalid_token")
		return
	}
	next.ServeHTTP(w, r.WithContext(WithUser(r.Context(), u)))
}

// reject answers a request that failed authentication.
func (m *middleware) reject(w http.ResponseWriter, r *http.Request, err error, status int, code string) {
	if m.opts.OnError != nil {
		m.opts.OnError(r, err)
	}
	h := w.Header()
	if status == http.StatusServiceUnavailable {
		// The token may be good: ask the client to retry, not to log in.
		h.Set("Retry-After", "1")
	} else {
		c := m.challenge
		if code != "" {
			c += sep(c) + `error="` + code + `"`
			if m.opts.ErrorDescription {
				c += `, error_description=` + quote(description(err))
			}
		}
		h.Set("WWW-Authenticate", c)
	}
	h.Set("Cache-Control", "no-store")
	http.Error(w, http.StatusText(status), status)
}

// sep separates the first auth-param from the scheme, later ones by commas.
func sep(challenge string) string {
	if strings.Contains(challenge, "=") {
		return ", "
	}
	return " "
}

// BearerToken returns the token of the request's Authorization header. It
// returns ErrNoToken when there is no such header or its scheme is not
// Bearer, and an error matching ErrMalformedHeader when the header is
// repeated or the credentials are not one b64token (RFC 6750 §2.1). Errors
// never contain the header's value.
func BearerToken(r *http.Request) (string, error) {
	vals := r.Header.Values("Authorization")
	switch {
	case len(vals) == 0:
		return "", ErrNoToken
	case len(vals) > 1:
		return "", fmt.Errorf("%w: %d Authorization headers", ErrMalformedHeader, len(vals))
	}
	v := strings.Trim(vals[0], " \t") // OWS (RFC 9110 §5.6.3)
	if v == "" {
		return "", fmt.Errorf("%w: empty", ErrMalformedHeader)
	}
	scheme, token, _ := strings.Cut(v, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", ErrNoToken
	}
	token = strings.TrimLeft(token, " ")
	if token == "" {
		return "", fmt.Errorf("%w: no token after the Bearer scheme", ErrMalformedHeader)
	}
	if !isB64Token(token) {
		return "", fmt.Errorf("%w: the Bearer credentials are not a single b64token", ErrMalformedHeader)
	}
	return token, nil
}

// isB64Token reports whether s matches RFC 6750's
// b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func isB64Token(s string) bool {
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') ||
			c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/' {
			continue
		}
		break
	}
	if i == 0 {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] != '=' {
			return false
		}
	}
	return true
}
