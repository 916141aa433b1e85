package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/structauth/structauth/jwtauth"
)

// The demo runs offline, forwards identities and drops spoofed headers.
func TestRun(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(context.Background(), &out, false, ""))
	s := out.String()
	for _, want := range []string{
		"a valid token:\n  200 OK\n  upstream saw:\n    X-Remote-Extra-Example.com%2ftenant: acme\n    X-Remote-Group: oidc:dev\n    X-Remote-Group: oidc:ops\n    X-Remote-User: oidc:jane\n",
		"an expired token:\n  proxy log: refused GET /api/things: check expiry",
		"a forged token:\n  proxy log: refused GET /api/things: check signature",
		"WWW-Authenticate: Bearer realm=\"proxy\", error=\"invalid_token\"",
		"no token, spoofed headers only:\n  proxy log: refused GET /api/things: httpauth: no bearer token\n  401 Unauthorized\n  WWW-Authenticate: Bearer realm=\"proxy\"\n",
		"400 Bad Request",
		"token cache: 2 hits, 3 misses, 1 entries",
	} {
		require.Contains(t, s, want)
	}
	for _, never := range []string{"system:admin", "system:masters", "Scopes", "Authorization: present"} {
		require.NotContains(t, s, never)
	}
}

// recorder is an upstream that records the requests it receives.
type recorder struct {
	mu   sync.Mutex
	reqs []*http.Request
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.reqs = append(rec.reqs, r.Clone(context.Background()))
	w.Header().Set("X-Upstream", "yes")
	w.WriteHeader(http.StatusTeapot)
}

func (rec *recorder) take() []*http.Request {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	r := rec.reqs
	rec.reqs = nil
	return r
}

func TestProxy(t *testing.T) {
	ctx := context.Background()
	d, err := newDemo(ctx)
	require.NoError(t, err)
	t.Cleanup(d.Close)
	rec := &recorder{}
	upstream := httptest.NewTLSServer(rec)
	t.Cleanup(upstream.Close)
	upURL, err := url.Parse(upstream.URL + "/base")
	require.NoError(t, err)

	var logMu sync.Mutex
	var logged []error
	proxyFor := func(extra bool) *httptest.Server {
		srv := httptest.NewTLSServer(newProxy(proxyOptions{
			Upstream: upURL, Transport: upstream.Client().Transport, Auth: d.cache, Extra: extra,
			OnError: func(_ *http.Request, err error) {
				logMu.Lock()
				defer logMu.Unlock()
				logged = append(logged, err)
			},
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	withExtra, withoutExtra := proxyFor(true), proxyFor(false)

	good, err := d.token("jane", []string{"dev", "ops"}, time.Hour)
	require.NoError(t, err)
	noGroups, err := d.token("joe", nil, time.Hour)
	require.NoError(t, err)
	expired, err := d.token("jane", nil, -time.Minute)
	require.NoError(t, err)
	newline, err := d.token("eve\nX-Remote-Group: system:masters", nil, time.Hour)
	require.NoError(t, err)
	jane := http.Header{
		"X-Remote-User":                       {"oidc:jane"},
		"X-Remote-Group":                      {"oidc:dev", "oidc:ops"},
		"X-Remote-Extra-Example.com%2ftenant": {"acme"},
	}

	tests := []struct {
		name      string
		proxy     *httptest.Server
		headers   [][2]string
		status    int
		challenge string
		identity  http.Header // identity headers the upstream must see exactly
		refused   jwtauth.Check
	}{
		{name: "valid", proxy: withExtra, headers: [][2]string{{"Authorization", "Bearer " + good}}, status: http.StatusTeapot, identity: jane},
		{name: "without extra", proxy: withoutExtra, headers: [][2]string{{"Authorization", "Bearer " + good}}, status: http.StatusTeapot,
			identity: http.Header{"X-Remote-User": {"oidc:jane"}, "X-Remote-Group": {"oidc:dev", "oidc:ops"}}},
		{name: "no groups", proxy: withExtra, headers: [][2]string{{"Authorization", "Bearer " + noGroups}}, status: http.StatusTeapot,
			identity: http.Header{"X-Remote-User": {"oidc:joe"}, "X-Remote-Extra-Example.com%2ftenant": {"acme"}}},
		{name: "spoofed headers are replaced", proxy: withExtra, headers: [][2]string{
			{"Authorization", "Bearer " + good},
			{"X-Remote-User", "system:admin"}, {"x-remote-user", "root"}, {"X-Remote-Uid", "0"},
			{"X-Remote-Group", "system:masters"}, {"X_Remote_Group", "system:masters"}, {"x-rEMOTE-group", "admins"},
			{"X-Remote-Extra-Scopes", "*"}, {"X-Remote-Extra-Example.com%2ftenant", "evil"},
		}, status: http.StatusTeapot, identity: jane},
		{name: "spoofed headers without extra", proxy: withoutExtra, headers: [][2]string{
			{"Authorization", "Bearer " + good}, {"X-Remote-Extra-Scopes", "*"},
		}, status: http.StatusTeapot, identity: http.Header{"X-Remote-User": {"oidc:jane"}, "X-Remote-Group": {"oidc:dev", "oidc:ops"}}},
		{name: "no token", proxy: withExtra, headers: [][2]string{{"X-Remote-User", "system:admin"}}, status: 401, challenge: `Bearer realm="proxy"`},
		{name: "expired", proxy: withExtra, headers: [][2]string{{"Authorization", "Bearer " + expired}, {"X-Remote-User", "system:admin"}},
			status: 401, challenge: `Bearer realm="proxy", error="invalid_token"`, refused: jwtauth.CheckExpiry},
		{name: "forged", proxy: withExtra, headers: [][2]string{{"Authorization", "Bearer " + good[:len(good)-6] + "AAAAAA"}},
			status: 401, challenge: `Bearer realm="proxy", error="invalid_token"`, refused: jwtauth.CheckSignature},
		{name: "basic auth", proxy: withExtra, headers: [][2]string{{"Authorization", "Basic amFuZTpwdw=="}}, status: 401, challenge: `Bearer realm="proxy"`},
		{name: "two authorization headers", proxy: withExtra, headers: [][2]string{{"Authorization", "Bearer " + good}, {"Authorization", "Bearer " + good}},
			status: 400, challenge: `Bearer realm="proxy", error="invalid_request"`},
		{name: "identity with a line break", proxy: withExtra, headers: [][2]string{{"Authorization", "Bearer " + newline}}, status: http.StatusForbidden},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			logMu.Lock()
			logged = nil
			logMu.Unlock()
			req, err := http.NewRequest(http.MethodPost, tc.proxy.URL+"/api/things?x=1", strings.NewReader("payload"))
			require.NoError(t, err)
			for _, h := range tc.headers {
				req.Header[h[0]] = append(req.Header[h[0]], h[1]) // as sent, not canonicalized
			}
			resp, err := tc.proxy.Client().Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, tc.status, resp.StatusCode)
			require.Equal(t, tc.challenge, resp.Header.Get("WWW-Authenticate"))
			got := rec.take()
			if tc.identity == nil {
				require.Empty(t, got, "a refused request must not reach the upstream")
				logMu.Lock()
				defer logMu.Unlock()
				require.Len(t, logged, 1)
				if tc.refused != "" {
					require.ErrorAs(t, logged[0], new(*jwtauth.Error))
					var je *jwtauth.Error
					require.ErrorAs(t, logged[0], &je)
					require.Equal(t, tc.refused, je.Check)
				}
				return
			}
			require.Equal(t, "yes", resp.Header.Get("X-Upstream"))
			require.Len(t, got, 1)
			up := got[0]
			require.Equal(t, "/base/api/things", up.URL.Path)
			require.Equal(t, "x=1", up.URL.RawQuery)
			require.Empty(t, up.Header.Values("Authorization"), "the token must not reach the upstream")
			identity := http.Header{}
			for name, vals := range up.Header {
				if isIdentityHeader(name) {
					identity[name] = vals
				}
			}
			require.Equal(t, tc.identity, identity)
		})
	}
}

func TestEscapeExtraKey(t *testing.T) {
	tests := map[string]string{
		"example.com/tenant":                         "example.com%2Ftenant",
		"authentication.kubernetes.io/credential-id": "authentication.kubernetes.io%2Fcredential-id",
		"a b:c%d": "a%20b%3Ac%25d",
		"scopes":  "scopes",
	}
	for in, want := range tests {
		got := escapeExtraKey(in)
		require.Equal(t, want, got)
		back, err := url.PathUnescape(got)
		require.NoError(t, err)
		require.Equal(t, in, back, "kube-apiserver unescapes the key")
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// With -serve the proxy listens on a real port until interrupted.
func TestServe(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, &out, true, "127.0.0.1:0") }()

	var line string
	require.Eventually(t, func() bool {
		_, rest, ok := strings.Cut(out.String(), "curl -H 'Authorization: Bearer ")
		if ok {
			line, _, ok = strings.Cut(rest, "\n")
		}
		return ok
	}, 30*time.Second, 10*time.Millisecond)
	token, addr, ok := strings.Cut(line, "' ")
	require.True(t, ok, line)

	req, err := http.NewRequest(http.MethodGet, addr+"things", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("X-Remote-Group", "system:masters")
	status, _, body, err := do(http.DefaultClient, req)
	require.NoError(t, err)
	require.Equal(t, "200 OK", status)
	require.Equal(t, "X-Remote-Extra-Example.com%2ftenant: acme\nX-Remote-Group: oidc:dev\nX-Remote-Group: oidc:ops\nX-Remote-User: oidc:jane", body)

	req.Header.Del("Authorization")
	status, challenge, _, err := do(http.DefaultClient, req)
	require.NoError(t, err)
	require.Equal(t, "401 Unauthorized", status)
	require.Equal(t, `Bearer realm="proxy"`, challenge)

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after the context ended")
	}
}
