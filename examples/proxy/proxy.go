package main

import (
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"

	"github.com/structauth/structauth/jwtauth"
	"github.com/structauth/structauth/jwtauth/httpauth"
)

// The identity headers of kube-apiserver's front-proxy (requestheader)
// authentication: --requestheader-username-headers=X-Remote-User,
// --requestheader-group-headers=X-Remote-Group,
// --requestheader-extra-headers-prefix=X-Remote-Extra-.
const (
	headerUser        = "X-Remote-User"
	headerUID         = "X-Remote-Uid"
	headerGroup       = "X-Remote-Group"
	headerExtraPrefix = "X-Remote-Extra-"
)

// proxyOptions configures newProxy.
type proxyOptions struct {
	// Upstream is where authenticated requests go.
	Upstream *url.URL
	// Transport reaches the upstream; nil means http.DefaultTransport.
	Transport http.RoundTripper
	// Auth authenticates the bearer tokens.
	Auth httpauth.TokenAuthenticator
	// Extra forwards the user's extra as X-Remote-Extra-<key> headers.
	Extra bool
	// OnError logs why a request was refused.
	OnError func(r *http.Request, err error)
}

// newProxy returns a handler that authenticates each request's bearer
// token and forwards it to the upstream with the user's identity in the
// X-Remote-* headers, and without the token.
func newProxy(o proxyOptions) http.Handler {
	rp := &httputil.ReverseProxy{
		Transport: o.Transport,
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(o.Upstream)
			pr.SetXForwarded()
			// The upstream trusts these headers: whatever the client sent
			// under their names is dropped, as is the token, which the
			// upstream has no business seeing.
			stripIdentityHeaders(pr.Out.Header)
			pr.Out.Header.Del("Authorization")
			if u, ok := httpauth.UserFrom(pr.In.Context()); ok {
				setIdentityHeaders(pr.Out.Header, u, o.Extra)
			}
		},
	}
	forward := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, _ := httpauth.UserFrom(r.Context())
		if !forwardable(u) {
			// A claim value with a line break or control character cannot
			// be put in a header; refuse rather than mangle the identity.
			if o.OnError != nil {
				o.OnError(r, errIdentityNotForwardable)
			}
			http.Error(w, http.StatusText(http.StatusForbidden), http.StatusForbidden)
			return
		}
		rp.ServeHTTP(w, r)
	})
	return httpauth.New(o.Auth, httpauth.Options{Realm: "proxy", OnError: o.OnError})(forward)
}

type proxyError string

func (e proxyError) Error() string { return string(e) }

const errIdentityNotForwardable = proxyError("proxy: identity cannot be carried in headers")

// isIdentityHeader reports whether a header name is, or could be read by
// an upstream as, one of the identity headers. Some servers (CGI, nginx
// with underscores_in_headers) treat "_" as "-", so X_Remote_User counts.
func isIdentityHeader(name string) bool {
	n := strings.ToLower(strings.ReplaceAll(name, "_", "-"))
	return n == "x-remote-user" || n == "x-remote-uid" || n == "x-remote-group" || strings.HasPrefix(n, "x-remote-extra-")
}

// stripIdentityHeaders deletes every identity header from h.
func stripIdentityHeaders(h http.Header) {
	for name := range h {
		if isIdentityHeader(name) {
			delete(h, name)
		}
	}
}

// setIdentityHeaders writes u into h as kube-apiserver's front-proxy
// authentication reads it: one X-Remote-Group value per group, and extra
// keys path-escaped (kube-apiserver unescapes and lower-cases them).
func setIdentityHeaders(h http.Header, u *jwtauth.User, extra bool) {
	h.Set(headerUser, u.Username)
	if u.UID != "" {
		h.Set(headerUID, u.UID)
	}
	for _, g := range u.Groups {
		h.Add(headerGroup, g)
	}
	if !extra {
		return
	}
	keys := make([]string, 0, len(u.Extra))
	for k := range u.Extra {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		name := headerExtraPrefix + escapeExtraKey(k)
		for _, v := range u.Extra[k] {
			h.Add(name, v)
		}
	}
}

// escapeExtraKey percent-encodes every byte of an extra key outside RFC
// 3986's unreserved set, as client-go does for X-Remote-Extra- headers, so
// that keys such as "example.com/team" make valid header names.
func escapeExtraKey(k string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(k); i++ {
		c := k[i]
		if ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// forwardable reports whether every value of u can be a header value.
func forwardable(u *jwtauth.User) bool {
	if u == nil {
		return true
	}
	ok := validValue(u.Username) && validValue(u.UID)
	for _, g := range u.Groups {
		ok = ok && validValue(g)
	}
	for _, vs := range u.Extra {
		for _, v := range vs {
			ok = ok && validValue(v)
		}
	}
	return ok
}

// validValue reports whether s is a header field value without control
// characters other than horizontal tab (RFC 9110 §5.5).
func validValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}
