package interop

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/structauth/structauth/discovery"
	"github.com/structauth/structauth/jwtauth"
)

// accessTokenConfig trusts op for the three resources' JWT access tokens
// and maps a client_credentials token to a user named after its client:
// what a user of this library would write for service-to-service calls.
func accessTokenConfig(op *opProcess) string {
	return `apiVersion: apiserver.config.k8s.io/v1
kind: AuthenticationConfiguration
jwt:
- issuer:
    url: ` + op.Issuer + `
    audiences:
    - ` + resources["RS256"] + `
    - ` + resources["ES256"] + `
    - ` + resources["PS256"] + `
    audienceMatchPolicy: MatchAny
    certificateAuthority: |
` + caYAML(op.CA.pem, "      ") + `
  claimValidationRules:
  - claim: client_id
    requiredValue: svc
  - expression: "claims.scope.split(' ').exists(s, s == 'api:read')"
    message: the api:read scope is required
  claimMappings:
    username:
      claim: sub
      prefix: "oidc-provider:"
    groups:
      expression: "claims.scope.split(' ').map(s, 'scope:' + s)"
    uid:
      claim: jti
    extra:
    - key: interop.structauth.io/audience
      valueExpression: claims.aud
  userValidationRules:
  - expression: "!user.username.startsWith('system:')"
    message: no system users
`
}

// idTokenConfig trusts op's ID tokens for the three web clients and maps
// them by email, as a kubectl OIDC login would.
func idTokenConfig(op *opProcess) string {
	return `apiVersion: apiserver.config.k8s.io/v1
kind: AuthenticationConfiguration
jwt:
- issuer:
    url: ` + op.Issuer + `
    audiences: [web-rs256, web-es256, web-ps256]
    audienceMatchPolicy: MatchAny
    certificateAuthority: |
` + caYAML(op.CA.pem, "      ") + `
  claimMappings:
    username:
      claim: email
      prefix: ""
    groups:
      claim: groups
      prefix: "oidc:"
    uid:
      claim: sub
`
}

// newAuthenticator parses and validates a YAML configuration as a user
// would and waits until its issuer is ready.
func newAuthenticator(t *testing.T, yaml string, opts jwtauth.Options) *jwtauth.Authenticator {
	t.Helper()
	cfg, err := jwtauth.ParseConfig([]byte(yaml))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	a, err := jwtauth.New(ctx, cfg, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = a.Close() })
	require.NoError(t, a.Ready(ctx))
	return a
}

func authenticate(a *jwtauth.Authenticator, token string) (*jwtauth.User, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return a.Authenticate(ctx, token)
}

// claimOf decodes one string claim of a token, to compare with the user.
func claimOf(t *testing.T, token, name string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	require.Len(t, parts, 3)
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	s, _ := m[name].(string)
	return s
}

// TestOIDCProvider validates tokens issued by oidc-provider, obtained over
// HTTPS from its real endpoints, with keys found through its discovery
// document.
func TestOIDCProvider(t *testing.T) {
	t.Parallel()
	op := startProvider(t)

	t.Run("client_credentials access tokens", func(t *testing.T) {
		a := newAuthenticator(t, accessTokenConfig(op), jwtauth.Options{})
		tests := []struct {
			alg     string
			scope   string
			groups  []string
			wantErr error
		}{
			{alg: "RS256", scope: "api:read", groups: []string{"scope:api:read"}},
			{alg: "ES256", scope: "api:read", groups: []string{"scope:api:read"}},
			{alg: "PS256", scope: "api:read", groups: []string{"scope:api:read"}},
			{alg: "ES256", scope: "api:read api:write", groups: []string{"scope:api:read", "scope:api:write"}},
			{alg: "RS256", scope: "api:write", wantErr: jwtauth.ErrClaimRule},
			{alg: "PS256", scope: "api:write", wantErr: jwtauth.ErrClaimRule},
		}
		for _, tt := range tests {
			t.Run(tt.alg+"/"+tt.scope, func(t *testing.T) {
				token := op.AccessToken(resources[tt.alg], tt.scope)
				h := jwtHeader(t, token)
				require.Equal(t, tt.alg, h["alg"])
				require.Equal(t, op.Kids[tt.alg], h["kid"])
				require.Equal(t, "at+jwt", h["typ"])

				u, err := authenticate(a, token)
				if tt.wantErr != nil {
					require.ErrorIs(t, err, tt.wantErr)
					var e *jwtauth.Error
					require.ErrorAs(t, err, &e)
					require.Equal(t, "the api:read scope is required", e.Message)
					require.NotContains(t, err.Error(), token)
					return
				}
				require.NoError(t, err)
				jti := claimOf(t, token, "jti")
				require.NotEmpty(t, jti)
				require.Equal(t, &jwtauth.User{
					Username: "oidc-provider:svc",
					UID:      jti,
					Groups:   tt.groups,
					Extra: map[string][]string{
						"interop.structauth.io/audience": {resources[tt.alg]},
						// kube-apiserver records the token's jti as its credential id.
						jwtauth.CredentialIDKey: {"JTI=" + jti},
					},
				}, u)
			})
		}
	})

	t.Run("ID tokens", func(t *testing.T) {
		a := newAuthenticator(t, idTokenConfig(op), jwtauth.Options{})
		for _, alg := range []string{"RS256", "ES256", "PS256"} {
			t.Run(alg, func(t *testing.T) {
				client := "web-" + strings.ToLower(alg)
				token := op.IDToken(client)
				h := jwtHeader(t, token)
				require.Equal(t, alg, h["alg"])
				require.Equal(t, op.Kids[alg], h["kid"])
				require.Equal(t, client, claimOf(t, token, "aud"))

				u, err := authenticate(a, token)
				require.NoError(t, err)
				require.Equal(t, &jwtauth.User{
					Username: "alice@interop.test",
					UID:      "alice",
					Groups:   []string{"oidc:dev", "oidc:ops"},
				}, u)
			})
		}
		// An access token is not an ID token: its audience is a resource.
		_, err := authenticate(a, op.AccessToken(resources["RS256"], "api:read"))
		require.ErrorIs(t, err, jwtauth.ErrAudience)
	})
}

// fetchLog records the JWKS fetches an Authenticator makes.
type fetchLog struct {
	mu     sync.Mutex
	events []discovery.FetchEvent
}

func (l *fetchLog) observe(ev discovery.FetchEvent) {
	if ev.Kind != discovery.FetchJWKS {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, ev)
}

func (l *fetchLog) snapshot() []discovery.FetchEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]discovery.FetchEvent(nil), l.events...)
}

// TestOIDCProviderKeyLifecycle rotates oidc-provider's keys while an
// Authenticator runs, then stops the provider: new kids are fetched on
// demand, dropped keys stop verifying, and once the provider is gone the
// cached keys keep verifying the tokens they signed while a new key cannot
// arrive.
func TestOIDCProviderKeyLifecycle(t *testing.T) {
	t.Parallel()
	op := startProvider(t)
	var log fetchLog
	// The unknown-kid cooldown is shortened from 10 s so the test need not
	// wait between rotations; everything else is the default.
	const cooldown = 200 * time.Millisecond
	a := newAuthenticator(t, accessTokenConfig(op), jwtauth.Options{
		MinRefreshInterval: cooldown,
		FetchObserver:      log.observe,
	})
	algs := []string{"RS256", "ES256", "PS256"}
	issue := func() map[string]string {
		out := map[string]string{}
		for _, alg := range algs {
			out[alg] = op.AccessToken(resources[alg], "api:read")
			require.Equal(t, op.Kids[alg], jwtHeader(t, out[alg])["kid"])
		}
		return out
	}
	requireValid := func(tokens map[string]string) {
		t.Helper()
		for _, alg := range algs {
			u, err := authenticate(a, tokens[alg])
			require.NoError(t, err, alg)
			require.Equal(t, "oidc-provider:svc", u.Username)
		}
	}

	gen1 := issue()
	requireValid(gen1)
	require.Len(t, log.snapshot(), 1, "one JWKS fetch before any rotation")

	// Graceful rotation: new keys sign, old keys stay published.
	old := op.Kids
	fresh := op.Rotate(true)
	for _, alg := range algs {
		require.NotEqual(t, old[alg], fresh[alg])
	}
	gen2 := issue()
	requireValid(gen2)
	requireValid(gen1)
	fetches := log.snapshot()
	require.Len(t, fetches, 2, "the three new kids cost one JWKS fetch")
	require.Equal(t, discovery.FetchUnknownKID, fetches[1].Trigger)
	require.Equal(t, 6, fetches[1].Keys)

	// Hard rotation: the provider publishes only the new keys. Once a new
	// kid makes us refetch, the dropped keys no longer verify.
	time.Sleep(cooldown)
	op.Rotate(false)
	gen3 := issue()
	requireValid(gen3)
	for _, dropped := range []map[string]string{gen1, gen2} {
		for _, alg := range algs {
			_, err := authenticate(a, dropped[alg])
			require.ErrorIs(t, err, jwtauth.ErrUnknownKey, alg)
			require.ErrorIs(t, err, jwtauth.ErrSignature, alg)
		}
	}

	// The provider goes away. Tokens it signed with keys we hold still
	// verify; a token signed with a key it published only after our last
	// fetch cannot, and the error says the key is unknown.
	time.Sleep(cooldown)
	op.Rotate(true)
	gen4 := issue()
	op.Stop()
	requireValid(gen3)
	before := len(log.snapshot())
	for _, alg := range algs {
		_, err := authenticate(a, gen4[alg])
		require.ErrorIs(t, err, jwtauth.ErrUnknownKey, alg)
		var e *jwtauth.Error
		require.ErrorAs(t, err, &e)
		require.Equal(t, jwtauth.CheckSignature, e.Check)
		require.Contains(t, err.Error(), "key")
		if alg == algs[0] {
			t.Logf("a new key after the provider stopped: %v", err)
		}
		time.Sleep(cooldown)
	}
	failed := 0
	for _, ev := range log.snapshot()[before:] {
		if ev.Err != nil {
			failed++
		}
	}
	require.Positive(t, failed, "a refetch for the new kids was attempted and failed")
	requireValid(gen3)
}
