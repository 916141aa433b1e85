package jwtauth

// The v2.0 key sets of Entra attach an "issuer" to every key, for
// example "https://login.microsoftonline.com/{tenantid}/v2.0" for the keys
// all tenants share and a concrete issuer for keys of personal accounts;
// a key may only sign tokens of its issuer
// (https://learn.microsoft.com/entra/identity-platform/access-tokens,
// "Validate the signing key issuer"). The key sets are fetched by the
// discovery providers, which keep the keys only; entraKeyIssuers sits in
// their HTTP client and records each key's issuer from the very same
// responses, so the check costs no extra request and sees exactly the
// keys that verify tokens.

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// entraMaxKeyBody bounds how much of a key set response is read to
// record issuers; a larger body is passed through unread (and then the
// provider refuses it by its own limit).
const entraMaxKeyBody = 1 << 20

// entraMaxRecordedKIDs bounds the recorded kids per key set URL.
const entraMaxRecordedKIDs = 256

// entraKeyIssuers is an http.RoundTripper that records, for every 200
// response to a ".../discovery/..." (Entra keys) URL, each key's kid and
// issuer member ("" when absent).
type entraKeyIssuers struct {
	next http.RoundTripper

	mu    sync.RWMutex
	byURL map[string]map[string][]string // URL -> kid -> issuers
}

func (t *entraKeyIssuers) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusOK || req.Method != http.MethodGet || !strings.Contains(req.URL.Path, "/discovery/") {
		return resp, err
	}
	head, rerr := io.ReadAll(io.LimitReader(resp.Body, entraMaxKeyBody+1))
	if rerr != nil || len(head) > entraMaxKeyBody {
		// Hand the provider what was read followed by the rest (or the
		// read error), so it applies its own limits and reports errors.
		resp.Body = &entraReplayBody{Reader: io.MultiReader(bytes.NewReader(head), &entraErrReader{resp.Body, rerr}), closer: resp.Body}
		return resp, nil
	}
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(head))
	t.record(req.URL.String(), head)
	return resp, nil
}

// CloseIdleConnections forwards to the wrapped transport.
func (t *entraKeyIssuers) CloseIdleConnections() {
	if c, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// record parses the key set leniently: a body that is not a key set is
// ignored here, and the provider reports it.
func (t *entraKeyIssuers) record(url string, body []byte) {
	var set struct {
		Keys []struct {
			Kid    string `json:"kid"`
			Issuer string `json:"issuer"`
		} `json:"keys"`
	}
	if json.Unmarshal(body, &set) != nil || set.Keys == nil {
		return
	}
	m := make(map[string][]string, len(set.Keys))
	for _, k := range set.Keys {
		if len(m) == entraMaxRecordedKIDs {
			break
		}
		m[k.Kid] = append(m[k.Kid], k.Issuer)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	// Keep kids of the previous response too: the provider may keep
	// verifying with its current set while a refresh fails, and a kid
	// does not change issuer.
	if old, ok := t.byURL[url]; ok {
		for kid, iss := range old {
			if _, ok := m[kid]; !ok && len(m) < entraMaxRecordedKIDs {
				m[kid] = iss
			}
		}
	}
	t.byURL[url] = m
}

// lookup returns the issuers recorded for kid in the key set at url.
func (t *entraKeyIssuers) lookup(url, kid string) ([]string, bool) {
	if url == "" {
		return nil, false
	}
	if u, err := parseURLString(url); err == nil {
		url = u
	}
	t.mu.RLock()
	defer t.mu.RUnlock()
	iss, ok := t.byURL[url][kid]
	return iss, ok
}

// parseURLString normalises a URL the way http.NewRequest does, so that
// a jwks_uri and the request URL compare equal.
func parseURLString(raw string) (string, error) {
	req, err := http.NewRequest(http.MethodGet, raw, nil)
	if err != nil {
		return "", err
	}
	return req.URL.String(), nil
}

type entraReplayBody struct {
	io.Reader
	closer io.Closer
}

func (b *entraReplayBody) Close() error { return b.closer.Close() }

// entraErrReader continues a partly read body, or returns the error that
// interrupted the first read.
type entraErrReader struct {
	r   io.Reader
	err error
}

func (r *entraErrReader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	return r.r.Read(p)
}

// entraDefaultTransport is http.DefaultTransport's settings with TLS 1.2
// as the minimum and the system roots, for NewEntra without an HTTP
// client (the generated configuration has no certificateAuthority).
func entraDefaultTransport() *http.Transport {
	return &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: (&net.Dialer{
			Timeout:   30 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		TLSClientConfig:       &tls.Config{MinVersion: tls.VersionTLS12},
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          10,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}
