package jwtauthtest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"time"
)

// Fault handlers for SetJWKSHandler and SetDiscoveryHandler: the ways
// real identity providers misbehave (security.md §3 group E). Each is
// safe for concurrent use.

// StatusFault answers every request with code and a short text body.
func StatusFault(code int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, http.StatusText(code), code)
	}
}

// GarbageFault answers 200 OK with an HTML error page where JSON should be.
func GarbageFault() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = fmt.Fprint(w, "<html><body><h1>502 Bad Gateway</h1></body></html>")
	}
}

// EmptySetFault answers 200 OK with a key set without keys.
func EmptySetFault() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = fmt.Fprint(w, `{"keys":[]}`)
	}
}

// HugeFault answers 200 OK with a body of n bytes (an empty key set
// padded with spaces), streamed without Content-Length so that only the
// reader's own limit can stop it.
func HugeFault(n int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		head := `{"keys":[]`
		_, _ = fmt.Fprint(w, head)
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		pad := strings.Repeat(" ", 32<<10)
		for left := n - len(head) - 1; left > 0 && r.Context().Err() == nil; left -= len(pad) {
			if _, err := fmt.Fprint(w, pad[:min(left, len(pad))]); err != nil {
				return
			}
		}
		_, _ = fmt.Fprint(w, "}")
	}
}

// RedirectFault answers 302 Found to location (an http:// URL, say).
func RedirectFault(location string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, location, http.StatusFound)
	}
}

// DelayFault waits d, then serves next: a slow endpoint. If the client
// gives up first, the connection is dropped without a response. Inside a
// testing/synctest bubble (with InMemoryClient) the wait is on the fake
// clock.
func DelayFault(d time.Duration, next http.Handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			next.ServeHTTP(w, r)
		case <-r.Context().Done():
			abort()
		}
	}
}

// abort ends a handler without a response. Returning normally would make
// net/http send an empty 200 OK, which a client that is giving up at that
// very moment may still read.
func abort() { panic(http.ErrAbortHandler) }

// FlapFault serves the handlers in turn, one per request, cycling: for
// example FlapFault(i.KeysHandler(), StatusFault(500)) alternates good
// and failed responses.
func FlapFault(handlers ...http.Handler) http.HandlerFunc {
	var n atomic.Uint64
	return func(w http.ResponseWriter, r *http.Request) {
		handlers[(n.Add(1)-1)%uint64(len(handlers))].ServeHTTP(w, r)
	}
}

// HangFault never answers: it blocks until the client gives up (its
// context or timeout) or the issuer is closed, then drops the connection.
func (i *Issuer) HangFault() http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Context().Value(inMemoryKey{}) != nil {
			// Only the request's context: in a synctest bubble, waiting
			// on a channel from outside it would stop fake time.
			<-r.Context().Done()
			abort()
		}
		select {
		case <-r.Context().Done():
		case <-i.closed:
		}
		abort()
	}
}

// inMemoryKey marks requests served by InMemoryClient.
type inMemoryKey struct{}

// InMemoryClient returns an HTTP client that serves the issuer's URLs by
// calling its handlers on the calling goroutine: no sockets and no TLS.
// It is for tests inside testing/synctest bubbles, where a goroutine
// waiting on a real connection is never "durably blocked" and would stop
// fake time. Use it as Options.HTTPClient, with an issuer entry that has
// no certificateAuthority; the Issuer itself must be created outside
// the bubble. Requests to other hosts fail.
func (i *Issuer) InMemoryClient() *http.Client {
	u, err := url.Parse(i.server.URL)
	if err != nil {
		panic(err)
	}
	return &http.Client{Transport: inMemoryTransport{i: i, host: u.Host}}
}

type inMemoryTransport struct {
	i    *Issuer
	host string
}

// serve runs the issuer's handler; a handler that panics with
// http.ErrAbortHandler (as net/http allows) aborts the request.
func (t inMemoryTransport) serve(w http.ResponseWriter, r *http.Request) (aborted bool) {
	defer func() {
		if v := recover(); v != nil {
			if v != http.ErrAbortHandler {
				panic(v)
			}
			aborted = true
		}
	}()
	t.i.mux.ServeHTTP(w, r)
	return false
}

func (t inMemoryTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Scheme != "https" || r.URL.Host != t.host {
		return nil, fmt.Errorf("jwtauthtest: the in-memory client only reaches https://%s, not %s", t.host, r.URL.Redacted())
	}
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	sr := r.Clone(context.WithValue(r.Context(), inMemoryKey{}, true))
	sr.RequestURI = r.URL.RequestURI()
	sr.Host = t.host
	sr.RemoteAddr = "192.0.2.1:443"
	rec := httptest.NewRecorder()
	if aborted := t.serve(rec, sr); aborted {
		if err := r.Context().Err(); err != nil {
			return nil, err
		}
		return nil, errors.New("jwtauthtest: the handler aborted the connection")
	}
	if err := r.Context().Err(); err != nil {
		return nil, err
	}
	resp := rec.Result()
	resp.Request = r
	return resp, nil
}
