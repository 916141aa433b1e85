package httpauth_test

import (
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
	"github.com/structauth/structauth/jwtauth/httpauth"
	"github.com/structauth/structauth/jwtauth/jwtauthtest"
	"github.com/structauth/structauth/jwtauth/tokencache"
)

// whoami answers with the request's user as JSON, or "anonymous".
var whoami = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	u, ok := httpauth.UserFrom(r.Context())
	if !ok {
		_, _ = io.WriteString(w, "anonymous")
		return
	}
	_ = json.NewEncoder(w).Encode(u)
})

type fixture struct {
	iss  *jwtauthtest.Issuer
	auth *jwtauth.Authenticator
}

func newFixture(t *testing.T, prepare ...func(*jwtauthtest.Issuer)) *fixture {
	t.Helper()
	iss, err := jwtauthtest.NewIssuer(jwtauthtest.IssuerOptions{})
	require.NoError(t, err)
	t.Cleanup(iss.Close)
	for _, p := range prepare {
		p(iss)
	}
	cfg := &jwtauth.AuthenticationConfiguration{APIVersion: jwtauth.APIVersionV1, Kind: jwtauth.Kind,
		JWT: []jwtauth.JWTAuthenticator{iss.Authenticator("my-api")}}
	cfg.JWT[0].ClaimMappings.Groups = jwtauth.PrefixedClaimOrExpression{Expression: "has(claims.groups) ? claims.groups : []"}
	auth, err := jwtauth.New(context.Background(), cfg, jwtauth.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = auth.Close() })
	return &fixture{iss: iss, auth: auth}
}

func (f *fixture) sign(t *testing.T, edit func(map[string]any)) string {
	t.Helper()
	c := f.iss.Claims("my-api", "jane", time.Now())
	c["groups"] = []string{"dev", "ops"}
	if edit != nil {
		edit(c)
	}
	tok, err := f.iss.Sign("ES256", c)
	require.NoError(t, err)
	return tok
}

// server starts the middleware in front of whoami on a TLS test server
// and records what OnError saw.
func server(t *testing.T, a httpauth.TokenAuthenticator, opts httpauth.Options) (*httptest.Server, func() []error) {
	t.Helper()
	var mu sync.Mutex
	var seen []error
	opts.OnError = func(_ *http.Request, err error) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, err)
	}
	srv := httptest.NewTLSServer(httpauth.New(a, opts)(whoami))
	t.Cleanup(srv.Close)
	return srv, func() []error {
		mu.Lock()
		defer mu.Unlock()
		return append([]error(nil), seen...)
	}
}

type response struct {
	status    int
	challenge string
	body      string
}

func get(t *testing.T, srv *httptest.Server, authz ...string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+"/whoami", nil)
	require.NoError(t, err)
	for _, v := range authz {
		req.Header.Add("Authorization", v)
	}
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return response{status: resp.StatusCode, challenge: resp.Header.Get("WWW-Authenticate"), body: string(body)}
}

func TestMiddleware(t *testing.T) {
	f := newFixture(t)
	good := f.sign(t, nil)
	expired := f.sign(t, func(c map[string]any) { c["exp"] = time.Now().Add(-time.Minute).Unix() })
	otherAud := f.sign(t, func(c map[string]any) { c["aud"] = "someone-else" })
	unknownIss := f.sign(t, func(c map[string]any) { c["iss"] = "https://elsewhere.example" })
	forged := good[:len(good)-6] + "AAAAAA"
	const janeJSON = `{"Username":"jane","UID":"","Groups":["dev","ops"],"Extra":null}` + "\n"

	tests := []struct {
		name      string
		opts      httpauth.Options
		authz     []string
		status    int
		challenge string
		body      string
		reason    error // what OnError sees; nil means it is not called
		check     jwtauth.Check
	}{
		{name: "valid", authz: []string{"Bearer " + good}, status: 200, body: janeJSON},
		{name: "scheme lower case", authz: []string{"bearer " + good}, status: 200, body: janeJSON},
		{name: "scheme upper case", authz: []string{"BEARER " + good}, status: 200, body: janeJSON},
		{name: "several spaces", authz: []string{"Bearer   " + good}, status: 200, body: janeJSON},
		{name: "no header", authz: nil, status: 401, challenge: `Bearer`, reason: httpauth.ErrNoToken},
		{name: "no header, realm", opts: httpauth.Options{Realm: "my-api"}, status: 401, challenge: `Bearer realm="my-api"`, reason: httpauth.ErrNoToken},
		{name: "realm is quoted", opts: httpauth.Options{Realm: "a \"b\" \\c\n"}, status: 401, challenge: `Bearer realm="a \"b\" \\c"`, reason: httpauth.ErrNoToken},
		{name: "basic scheme", authz: []string{"Basic amFuZTpwdw=="}, status: 401, challenge: `Bearer`, reason: httpauth.ErrNoToken},
		{name: "bearer prefix of another scheme", authz: []string{"Bearerx " + good}, status: 401, challenge: `Bearer`, reason: httpauth.ErrNoToken},
		{name: "no token", authz: []string{"Bearer"}, status: 400, challenge: `Bearer error="invalid_request"`, reason: httpauth.ErrMalformedHeader},
		{name: "only spaces", authz: []string{"Bearer    "}, status: 400, challenge: `Bearer error="invalid_request"`, reason: httpauth.ErrMalformedHeader},
		{name: "two tokens", authz: []string{"Bearer " + good + " " + good}, status: 400, challenge: `Bearer error="invalid_request"`, reason: httpauth.ErrMalformedHeader},
		{name: "comma list", authz: []string{"Bearer " + good + ", Basic amFuZQ=="}, status: 400, challenge: `Bearer error="invalid_request"`, reason: httpauth.ErrMalformedHeader},
		{name: "garbage characters", authz: []string{"Bearer ab<c>"}, status: 400, challenge: `Bearer error="invalid_request"`, reason: httpauth.ErrMalformedHeader},
		{name: "padding in the middle", authz: []string{"Bearer ab=c"}, status: 400, challenge: `Bearer error="invalid_request"`, reason: httpauth.ErrMalformedHeader},
		{name: "two headers", authz: []string{"Bearer " + good, "Bearer " + good}, status: 400, challenge: `Bearer error="invalid_request"`, reason: httpauth.ErrMalformedHeader},
		{name: "empty header", authz: []string{""}, status: 400, challenge: `Bearer error="invalid_request"`, reason: httpauth.ErrMalformedHeader},
		{name: "expired", authz: []string{"Bearer " + expired}, status: 401, challenge: `Bearer error="invalid_token"`, reason: jwtauth.ErrExpired, check: jwtauth.CheckExpiry},
		{name: "audience", opts: httpauth.Options{Realm: "r"}, authz: []string{"Bearer " + otherAud}, status: 401, challenge: `Bearer realm="r", error="invalid_token"`, reason: jwtauth.ErrAudience, check: jwtauth.CheckAudience},
		{name: "forged", authz: []string{"Bearer " + forged}, status: 401, challenge: `Bearer error="invalid_token"`, reason: jwtauth.ErrSignature, check: jwtauth.CheckSignature},
		{name: "unknown issuer", authz: []string{"Bearer " + unknownIss}, status: 401, challenge: `Bearer error="invalid_token"`, reason: jwtauth.ErrUnknownIssuer, check: jwtauth.CheckIssuer},
		{name: "not a jwt", authz: []string{"Bearer abc.def"}, status: 401, challenge: `Bearer error="invalid_token"`, reason: jwtauth.ErrMalformedToken, check: jwtauth.CheckFormat},
		{name: "description on request", opts: httpauth.Options{Realm: "r", ErrorDescription: true}, authz: []string{"Bearer " + expired}, status: 401,
			challenge: `Bearer realm="r", error="invalid_token", error_description="jwtauth: token is expired (exp `, reason: jwtauth.ErrExpired, check: jwtauth.CheckExpiry},
		{name: "optional, no header", opts: httpauth.Options{Optional: true}, status: 200, body: "anonymous"},
		{name: "optional, valid", opts: httpauth.Options{Optional: true}, authz: []string{"Bearer " + good}, status: 200, body: janeJSON},
		{name: "optional, expired", opts: httpauth.Options{Optional: true}, authz: []string{"Bearer " + expired}, status: 401, challenge: `Bearer error="invalid_token"`, reason: jwtauth.ErrExpired, check: jwtauth.CheckExpiry},
		{name: "optional, basic scheme", opts: httpauth.Options{Optional: true}, authz: []string{"Basic amFuZTpwdw=="}, status: 401, challenge: `Bearer`, reason: httpauth.ErrNoToken},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, seen := server(t, f.auth, tc.opts)
			got := get(t, srv, tc.authz...)
			require.Equal(t, tc.status, got.status, got.body)
			if tc.opts.ErrorDescription {
				require.True(t, strings.HasPrefix(got.challenge, tc.challenge), got.challenge)
				require.True(t, strings.HasSuffix(got.challenge, `"`), got.challenge)
			} else {
				require.Equal(t, tc.challenge, got.challenge)
			}
			if tc.status == 200 {
				require.Equal(t, tc.body, got.body)
				require.Empty(t, seen())
				return
			}
			// The client never learns more than the status (and, when
			// enabled, the description); never the token.
			require.Equal(t, http.StatusText(tc.status)+"\n", got.body)
			if !tc.opts.ErrorDescription {
				require.NotContains(t, got.challenge, "error_description")
			}
			errs := seen()
			require.Len(t, errs, 1)
			require.ErrorIs(t, errs[0], tc.reason)
			require.NotContains(t, errs[0].Error(), good[:20])
			if tc.check != "" {
				var je *jwtauth.Error
				require.True(t, errors.As(errs[0], &je))
				require.Equal(t, tc.check, je.Check)
			}
		})
	}
}

func TestNotReadyIsUnavailable(t *testing.T) {
	f := newFixture(t, func(iss *jwtauthtest.Issuer) {
		iss.SetDiscoveryHandler(jwtauthtest.StatusFault(http.StatusInternalServerError))
	})
	tok := f.sign(t, nil)
	srv, seen := server(t, f.auth, httpauth.Options{})
	got := get(t, srv, "Bearer "+tok)
	require.Equal(t, http.StatusServiceUnavailable, got.status)
	require.Empty(t, got.challenge)
	require.Len(t, seen(), 1)
	require.ErrorIs(t, seen()[0], jwtauth.ErrNotReady)

	// Once the issuer answers, the same token is accepted.
	f.iss.SetDiscoveryHandler(nil)
	require.Eventually(t, func() bool { return get(t, srv, "Bearer "+tok).status == http.StatusOK }, 10*time.Second, 50*time.Millisecond)
}

func TestWithCache(t *testing.T) {
	f := newFixture(t)
	cache, err := tokencache.New(f.auth, tokencache.Options{})
	require.NoError(t, err)
	srv, _ := server(t, cache, httpauth.Options{})
	tok := f.sign(t, nil)
	for range 3 {
		got := get(t, srv, "Bearer "+tok)
		require.Equal(t, http.StatusOK, got.status)
		require.Contains(t, got.body, `"Username":"jane"`)
	}
	require.Equal(t, http.StatusUnauthorized, get(t, srv, "Bearer "+tok[:len(tok)-4]+"AAAA").status)
	st := cache.Stats()
	require.EqualValues(t, 2, st.Hits)
	require.EqualValues(t, 2, st.Misses)
}

func TestBearerToken(t *testing.T) {
	tests := []struct {
		header []string
		token  string
		err    error
	}{
		{header: []string{"Bearer abc"}, token: "abc"},
		{header: []string{"bEaReR a-b.c_d~e+f/g=="}, token: "a-b.c_d~e+f/g=="},
		{header: nil, err: httpauth.ErrNoToken},
		{header: []string{"Negotiate abc"}, err: httpauth.ErrNoToken},
		{header: []string{"Bearer\tabc"}, err: httpauth.ErrNoToken},
		{header: []string{"Bearer =="}, err: httpauth.ErrMalformedHeader},
		{header: []string{"Bearer a\tb"}, err: httpauth.ErrMalformedHeader},
		{header: []string{"Bearer é"}, err: httpauth.ErrMalformedHeader},
		{header: []string{"Bearer abc \t"}, token: "abc"},
		{header: []string{"Bearer abc\u00a0"}, err: httpauth.ErrMalformedHeader},
		{header: []string{"Bearer secret-token", "Basic c2VjcmV0"}, err: httpauth.ErrMalformedHeader},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.header, "|"), func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			for _, v := range tc.header {
				r.Header.Add("Authorization", v)
			}
			tok, err := httpauth.BearerToken(r)
			require.ErrorIs(t, err, tc.err)
			require.Equal(t, tc.token, tok)
			if err != nil {
				for _, v := range tc.header {
					if len(v) > 7 {
						require.NotContains(t, err.Error(), v[7:])
					}
				}
			}
		})
	}
}

func TestUserContext(t *testing.T) {
	_, ok := httpauth.UserFrom(context.Background())
	require.False(t, ok)
	_, ok = httpauth.UserFrom(httpauth.WithUser(context.Background(), nil))
	require.False(t, ok)
	u := &jwtauth.User{Username: "jane"}
	got, ok := httpauth.UserFrom(httpauth.WithUser(context.Background(), u))
	require.True(t, ok)
	require.Same(t, u, got)
}
