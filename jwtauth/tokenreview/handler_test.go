package tokenreview_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/structauth/structauth/jwtauth"
	"github.com/structauth/structauth/jwtauth/jwtauthtest"
	"github.com/structauth/structauth/jwtauth/tokenreview"
)

// fixture is an issuer, an authenticator trusting it for audience
// "kubernetes", and a valid token.
type fixture struct {
	iss   *jwtauthtest.Issuer
	auth  *jwtauth.Authenticator
	token string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	iss, err := jwtauthtest.NewIssuer(jwtauthtest.IssuerOptions{})
	require.NoError(t, err)
	t.Cleanup(iss.Close)
	entry := iss.Authenticator("kubernetes")
	entry.ClaimMappings.Groups = jwtauth.PrefixedClaimOrExpression{Expression: "claims.groups"}
	entry.ClaimMappings.Extra = []jwtauth.ExtraMapping{{Key: "example.com/team", ValueExpression: "claims.team"}}
	cfg := &jwtauth.AuthenticationConfiguration{APIVersion: jwtauth.APIVersionV1, Kind: jwtauth.Kind,
		JWT: []jwtauth.JWTAuthenticator{entry}}
	auth, err := jwtauth.New(context.Background(), cfg, jwtauth.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = auth.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, auth.Ready(ctx))
	f := &fixture{iss: iss, auth: auth}
	f.token = f.sign(t, "kubernetes")
	return f
}

func (f *fixture) sign(t *testing.T, aud string) string {
	t.Helper()
	c := f.iss.Claims(aud, "jane", time.Now())
	c["groups"] = []string{"dev", "ops"}
	c["team"] = "blue"
	tok, err := f.iss.Sign("ES256", c)
	require.NoError(t, err)
	return tok
}

// serve starts the handler on a TLS server and returns its URL and a
// client that trusts it.
func serve(t *testing.T, a tokenreview.TokenAuthenticator, opts tokenreview.Options) (string, *http.Client) {
	t.Helper()
	h, err := tokenreview.NewHandler(a, opts)
	require.NoError(t, err)
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	return srv.URL + "/authenticate", srv.Client()
}

func post(t *testing.T, c *http.Client, url, contentType string, body []byte) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	require.NoError(t, err)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, data
}

// review sends a TokenReview as kube-apiserver's webhook client does
// (with its empty metadata and status) and decodes the answer.
func review(t *testing.T, c *http.Client, url, apiVersion, token string, auds []string) (*tokenreview.TokenReview, []byte) {
	t.Helper()
	body, err := json.Marshal(map[string]any{
		"kind": "TokenReview", "apiVersion": apiVersion,
		"metadata": map[string]any{"creationTimestamp": nil},
		"spec":     map[string]any{"token": token, "audiences": auds},
		"status":   map[string]any{"user": map[string]any{}},
	})
	require.NoError(t, err)
	resp, data := post(t, c, url, "application/json", body)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(data))
	require.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	var out tokenreview.TokenReview
	require.NoError(t, json.Unmarshal(data, &out))
	return &out, data
}

func TestHandlerVersions(t *testing.T) {
	f := newFixture(t)
	url, client := serve(t, f.auth, tokenreview.Options{})
	for _, v := range []string{tokenreview.APIVersionV1, tokenreview.APIVersionV1beta1} {
		t.Run(v, func(t *testing.T) {
			got, raw := review(t, client, url, v, f.token, nil)
			require.Equal(t, v, got.APIVersion)
			require.Equal(t, tokenreview.Kind, got.Kind)
			require.True(t, got.Status.Authenticated, got.Status.Error)
			require.Empty(t, got.Status.Error)
			require.Equal(t, tokenreview.UserInfo{
				Username: "jane",
				Groups:   []string{"dev", "ops"},
				Extra:    map[string][]string{"example.com/team": {"blue"}},
			}, got.Status.User)
			require.Empty(t, got.Status.Audiences)
			require.NotContains(t, string(raw), f.token, "the answer must not echo the token")
		})
	}
}

func TestHandlerRefusedTokens(t *testing.T) {
	f := newFixture(t)
	url, client := serve(t, f.auth, tokenreview.Options{})
	other, err := jwtauthtest.NewIssuer(jwtauthtest.IssuerOptions{})
	require.NoError(t, err)
	t.Cleanup(other.Close)
	foreign, err := other.Sign("RS256", other.Claims("kubernetes", "mallory", time.Now()))
	require.NoError(t, err)
	forged := f.token[:strings.LastIndexByte(f.token, '.')+1] + jwtauthtest.EncodeSegment(strings.Repeat("x", 64))

	tests := []struct {
		name, token string
		wantErr     error
	}{
		{"wrong audience", f.sign(t, "someone-else"), jwtauth.ErrAudience},
		{"unknown issuer", foreign, jwtauth.ErrUnknownIssuer},
		{"bad signature", forged, jwtauth.ErrSignature},
		{"garbage", "not-a-jwt-at-all-but-long", jwtauth.ErrMalformedToken},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, authErr := f.auth.Authenticate(context.Background(), tc.token)
			require.ErrorIs(t, authErr, tc.wantErr, "precondition: the authenticator refuses the token")
			got, raw := review(t, client, url, tokenreview.APIVersionV1, tc.token, nil)
			require.False(t, got.Status.Authenticated)
			require.Equal(t, tokenreview.UserInfo{}, got.Status.User)
			require.NotEmpty(t, got.Status.Error)
			require.NotContains(t, string(raw), tc.token)
			for part := range strings.SplitSeq(tc.token, ".") {
				if len(part) >= 8 {
					require.NotContains(t, string(raw), part)
				}
			}
		})
	}
}

func TestHandlerAudiences(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name      string
		implicit  []string
		requested []string
		wantAuth  bool
		wantAuds  []string
	}{
		{"no audiences anywhere", nil, nil, true, nil},
		{"implicit audiences used when none requested", []string{"api", "api2"}, nil, true, []string{"api", "api2"}},
		{"requested audience served", []string{"api", "api2"}, []string{"api2"}, true, []string{"api2"}},
		{"intersection in request order", []string{"api", "api2"}, []string{"x", "api2", "api"}, true, []string{"api2", "api"}},
		{"requested audience not served", []string{"api"}, []string{"vault"}, false, nil},
		{"requested audience without implicit audiences", nil, []string{"api"}, false, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var seen []tokenreview.Result
			var mu sync.Mutex
			url, client := serve(t, f.auth, tokenreview.Options{
				ImplicitAudiences: tc.implicit,
				OnReview: func(_ context.Context, r tokenreview.Result) {
					mu.Lock()
					defer mu.Unlock()
					seen = append(seen, r)
				},
			})
			got, _ := review(t, client, url, tokenreview.APIVersionV1, f.token, tc.requested)
			require.Equal(t, tc.wantAuth, got.Status.Authenticated, got.Status.Error)
			require.Equal(t, tc.wantAuds, got.Status.Audiences)
			mu.Lock()
			defer mu.Unlock()
			require.Len(t, seen, 1)
			require.Equal(t, tc.wantAuth, seen[0].Authenticated)
			if !tc.wantAuth {
				require.NotEmpty(t, got.Status.Error)
				require.ErrorIs(t, seen[0].Err, tokenreview.ErrAudiences)
				require.Nil(t, seen[0].User)
			} else {
				require.NoError(t, seen[0].Err)
				require.Equal(t, "jane", seen[0].User.Username)
			}
		})
	}
}

func TestHandlerProtocolErrors(t *testing.T) {
	f := newFixture(t)
	url, client := serve(t, f.auth, tokenreview.Options{MaxBodyBytes: 4096})
	valid := func(mut func(m map[string]any)) []byte {
		m := map[string]any{"kind": "TokenReview", "apiVersion": tokenreview.APIVersionV1,
			"spec": map[string]any{"token": f.token}}
		mut(m)
		b, err := json.Marshal(m)
		require.NoError(t, err)
		return b
	}
	tests := []struct {
		name        string
		method      string
		contentType string
		body        []byte
		chunked     bool
		wantCode    int
	}{
		{"GET", http.MethodGet, "application/json", nil, false, http.StatusMethodNotAllowed},
		{"PUT", http.MethodPut, "application/json", valid(func(map[string]any) {}), false, http.StatusMethodNotAllowed},
		{"no content type", http.MethodPost, "", valid(func(map[string]any) {}), false, http.StatusUnsupportedMediaType},
		{"form content type", http.MethodPost, "application/x-www-form-urlencoded", valid(func(map[string]any) {}), false, http.StatusUnsupportedMediaType},
		{"oversized with length", http.MethodPost, "application/json", bytes.Repeat([]byte(" "), 5000), false, http.StatusRequestEntityTooLarge},
		{"oversized chunked", http.MethodPost, "application/json", append(valid(func(map[string]any) {}), bytes.Repeat([]byte(" "), 5000)...), true, http.StatusRequestEntityTooLarge},
		{"empty body", http.MethodPost, "application/json", nil, false, http.StatusBadRequest},
		{"malformed JSON", http.MethodPost, "application/json", []byte(`{"kind":"TokenReview",`), false, http.StatusBadRequest},
		{"JSON array", http.MethodPost, "application/json", []byte(`[1,2]`), false, http.StatusBadRequest},
		{"trailing data", http.MethodPost, "application/json", append(valid(func(map[string]any) {}), []byte(` {}`)...), false, http.StatusBadRequest},
		{"wrong kind", http.MethodPost, "application/json", valid(func(m map[string]any) { m["kind"] = "SubjectAccessReview" }), false, http.StatusBadRequest},
		{"unsupported apiVersion", http.MethodPost, "application/json", valid(func(m map[string]any) { m["apiVersion"] = "authentication.k8s.io/v2" }), false, http.StatusBadRequest},
		{"missing apiVersion", http.MethodPost, "application/json", valid(func(m map[string]any) { delete(m, "apiVersion") }), false, http.StatusBadRequest},
		{"missing token", http.MethodPost, "application/json", valid(func(m map[string]any) { m["spec"] = map[string]any{} }), false, http.StatusBadRequest},
		{"token not a string", http.MethodPost, "application/json", valid(func(m map[string]any) { m["spec"] = map[string]any{"token": 42} }), false, http.StatusBadRequest},
		{"too many audiences", http.MethodPost, "application/json", valid(func(m map[string]any) {
			m["spec"] = map[string]any{"token": "t", "audiences": make([]string, tokenreview.MaxAudiences+1)}
		}), false, http.StatusBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader = bytes.NewReader(tc.body)
			if tc.chunked {
				body = io.MultiReader(bytes.NewReader(tc.body)) // no length: sent chunked
			}
			req, err := http.NewRequest(tc.method, url, body)
			require.NoError(t, err)
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			resp, err := client.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			data, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			require.Equal(t, tc.wantCode, resp.StatusCode, string(data))
			var st struct {
				Kind, Status, Message string
				Code                  int
			}
			require.NoError(t, json.Unmarshal(data, &st))
			require.Equal(t, "Status", st.Kind)
			require.Equal(t, "Failure", st.Status)
			require.Equal(t, tc.wantCode, st.Code)
			require.NotEmpty(t, st.Message)
			require.NotContains(t, string(data), f.token)
			if tc.wantCode == http.StatusMethodNotAllowed {
				require.Equal(t, http.MethodPost, resp.Header.Get("Allow"))
			}
		})
	}
}

// leakyAuthenticator returns errors that quote the token, as a careless
// custom authenticator might.
type leakyAuthenticator struct{}

func (leakyAuthenticator) Authenticate(_ context.Context, token string) (*jwtauth.User, error) {
	parts := strings.Split(token, ".")
	return nil, errors.New("bad signature " + parts[len(parts)-1])
}

// nilAuthenticator returns neither a user nor an error.
type nilAuthenticator struct{}

func (nilAuthenticator) Authenticate(context.Context, string) (*jwtauth.User, error) {
	return nil, nil
}

func TestHandlerErrorMessages(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name    string
		auth    tokenreview.TokenAuthenticator
		opts    tokenreview.Options
		token   string
		wantErr string
	}{
		{"authenticator quotes the signature", leakyAuthenticator{}, tokenreview.Options{}, f.token, "token not authenticated"},
		{"ErrorMessage quotes the token", f.auth, tokenreview.Options{ErrorMessage: func(error) string { return "rejected " + f.token }}, f.sign(t, "x"), "token not authenticated"},
		{"ErrorMessage hides the reason", f.auth, tokenreview.Options{ErrorMessage: func(error) string { return "denied" }}, f.sign(t, "x"), "denied"},
		{"empty message", f.auth, tokenreview.Options{ErrorMessage: func(error) string { return "" }}, f.sign(t, "x"), "token not authenticated"},
		{"default message is the jwtauth error", f.auth, tokenreview.Options{}, f.sign(t, "x"), "audience"},
		{"nil user and nil error", nilAuthenticator{}, tokenreview.Options{}, f.token, "no user"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			url, client := serve(t, tc.auth, tc.opts)
			got, raw := review(t, client, url, tokenreview.APIVersionV1beta1, tc.token, nil)
			require.False(t, got.Status.Authenticated)
			require.Contains(t, got.Status.Error, tc.wantErr)
			require.NotContains(t, string(raw), tc.token)
		})
	}
}

func TestNewHandlerOptions(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name string
		auth tokenreview.TokenAuthenticator
		opts tokenreview.Options
	}{
		{"nil authenticator", nil, tokenreview.Options{}},
		{"negative body limit", f.auth, tokenreview.Options{MaxBodyBytes: -1}},
		{"empty implicit audience", f.auth, tokenreview.Options{ImplicitAudiences: []string{"api", ""}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, err := tokenreview.NewHandler(tc.auth, tc.opts)
			require.Error(t, err)
			require.Nil(t, h)
		})
	}
}

// TestHandlerConcurrent reviews many tokens at once under -race.
func TestHandlerConcurrent(t *testing.T) {
	f := newFixture(t)
	url, client := serve(t, f.auth, tokenreview.Options{ImplicitAudiences: []string{"api"}})
	bad := f.sign(t, "x")
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 32 {
		wg.Go(func() {
			tok, want := f.token, true
			if i%2 == 1 {
				tok, want = bad, false
			}
			body, _ := json.Marshal(tokenreview.TokenReview{APIVersion: tokenreview.APIVersionV1, Kind: tokenreview.Kind,
				Spec: tokenreview.Spec{Token: tok}})
			resp, err := client.Post(url, "application/json; charset=utf-8", bytes.NewReader(body))
			if err != nil {
				errs <- err
				return
			}
			defer resp.Body.Close()
			var out tokenreview.TokenReview
			if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
				errs <- err
				return
			}
			if out.Status.Authenticated != want {
				errs <- errors.New("wrong answer: " + out.Status.Error)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

// BenchmarkServeHTTP reviews a valid token without a network: decoding,
// authentication and encoding.
func BenchmarkServeHTTP(b *testing.B) {
	iss, err := jwtauthtest.NewIssuer(jwtauthtest.IssuerOptions{})
	require.NoError(b, err)
	defer iss.Close()
	cfg := &jwtauth.AuthenticationConfiguration{APIVersion: jwtauth.APIVersionV1, Kind: jwtauth.Kind,
		JWT: []jwtauth.JWTAuthenticator{iss.Authenticator("kubernetes")}}
	auth, err := jwtauth.New(context.Background(), cfg, jwtauth.Options{})
	require.NoError(b, err)
	defer auth.Close()
	require.NoError(b, auth.Ready(context.Background()))
	h, err := tokenreview.NewHandler(auth, tokenreview.Options{ImplicitAudiences: []string{"api"}})
	require.NoError(b, err)
	tok, err := iss.Sign("ES256", iss.Claims("kubernetes", "jane", time.Now()))
	require.NoError(b, err)
	body, err := json.Marshal(tokenreview.TokenReview{APIVersion: tokenreview.APIVersionV1, Kind: tokenreview.Kind,
		Spec: tokenreview.Spec{Token: tok}})
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || !bytes.Contains(rec.Body.Bytes(), []byte(`"authenticated":true`)) {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
}
