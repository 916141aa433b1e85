package interop

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/structauth/structauth/jwtauth"
	"github.com/structauth/structauth/jwtauth/jwtauthtest"
)

// joseOutput is what node/jose.mjs prints.
type joseOutput struct {
	Versions map[string]string `json:"versions"`
	JWKS     struct {
		Keys []map[string]any `json:"keys"`
	} `json:"jwks"`
	Tokens []struct {
		Alg   string `json:"alg"`
		Kid   string `json:"kid"`
		Sub   string `json:"sub"`
		Token string `json:"token"`
	} `json:"tokens"`
	Negative []joseTwin `json:"negative"`
}

// joseTwin is a token that must be rejected; Want names the check that
// must reject it ("signature", "algorithm" or "malformed").
type joseTwin struct {
	Name  string `json:"name"`
	Alg   string `json:"alg"`
	Want  string `json:"want"`
	Token string `json:"token"`
}

// allAlgs are the nine algorithms kube-apiserver accepts.
var allAlgs = []string{"RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512"}

const joseAudience = "jose-interop"

// TestJoseInterop checks our verify path against tokens and key sets made
// by the npm jose package: every algorithm, with and without kid, through
// a real Authenticator whose issuer serves jose's JWKS over TLS; and the
// negative twins, which must all be rejected by the check they target.
func TestJoseInterop(t *testing.T) {
	t.Parallel()
	requireNode(t)
	iss, err := jwtauthtest.NewIssuer(jwtauthtest.IssuerOptions{})
	require.NoError(t, err)
	t.Cleanup(iss.Close)

	var out joseOutput
	runNode(t, "jose.mjs", []string{"INTEROP_ISSUER=" + iss.URL, "INTEROP_AUDIENCE=" + joseAudience}, &out)
	t.Logf("jose %s on node %s", out.Versions["jose"], out.Versions["node"])
	require.Len(t, out.JWKS.Keys, len(allAlgs))
	require.Len(t, out.Tokens, 2*len(allAlgs))
	var algs []string
	for _, tok := range out.Tokens {
		algs = append(algs, tok.Alg)
	}
	for _, alg := range allAlgs {
		require.Contains(t, algs, alg)
	}
	require.True(t, slices.ContainsFunc(out.Negative, func(n joseTwin) bool { return n.Name == "none" }),
		"jose.mjs made no unsecured twin")

	// Two key sets: as jose exported them with kid, alg and use added, and
	// with only kid (alg and use are optional in RFC 7517), where a token
	// without kid can only be matched by trying every key.
	stripped := make([]map[string]any, 0, len(out.JWKS.Keys))
	for _, k := range out.JWKS.Keys {
		c := map[string]any{}
		for name, v := range k {
			if name != "alg" && name != "use" {
				c[name] = v
			}
		}
		stripped = append(stripped, c)
	}
	variants := []struct {
		name string
		keys []map[string]any
	}{
		{"jwks with alg", out.JWKS.Keys},
		{"jwks without alg", stripped},
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			body := []byte(mustJSON(map[string]any{"keys": v.keys}))
			iss.SetJWKSHandler(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/jwk-set+json")
				_, _ = w.Write(body)
			})
			t.Cleanup(func() { iss.SetJWKSHandler(nil) })

			entry := iss.Authenticator(joseAudience)
			prefix := "jose:"
			entry.ClaimMappings.Groups = jwtauth.PrefixedClaimOrExpression{Claim: "groups", Prefix: &prefix}
			a, err := jwtauth.New(context.Background(), &jwtauth.AuthenticationConfiguration{
				APIVersion: jwtauth.GroupName + "/v1",
				Kind:       "AuthenticationConfiguration",
				JWT:        []jwtauth.JWTAuthenticator{entry},
			}, jwtauth.Options{MinRefreshInterval: time.Millisecond})
			require.NoError(t, err)
			t.Cleanup(func() { _ = a.Close() })
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			require.NoError(t, a.Ready(ctx))

			for _, tok := range out.Tokens {
				name := tok.Alg + "/kid"
				if tok.Kid == "" {
					name = tok.Alg + "/no-kid"
				}
				t.Run(name, func(t *testing.T) {
					require.Equal(t, tok.Kid, headerString(t, tok.Token, "kid"))
					u, err := a.Authenticate(ctx, tok.Token)
					require.NoError(t, err)
					require.Equal(t, tok.Sub, u.Username)
					require.Equal(t, []string{"jose:jose", "jose:" + strings.ToLower(tok.Alg)}, u.Groups)
				})
			}

			for _, neg := range out.Negative {
				t.Run("reject/"+neg.Name, func(t *testing.T) {
					u, err := a.Authenticate(ctx, neg.Token)
					require.Error(t, err)
					require.Nil(t, u)
					var e *jwtauth.Error
					require.ErrorAs(t, err, &e)
					switch neg.Want {
					case "signature":
						require.ErrorIs(t, err, jwtauth.ErrSignature)
						require.Equal(t, jwtauth.CheckSignature, e.Check)
						if strings.Contains(neg.Name, "wrong-key") && headerString(t, neg.Token, "kid") != "" {
							// The kid is known: this is a bad signature,
							// not a missing key.
							require.False(t, errors.Is(err, jwtauth.ErrUnknownKey))
						}
					case "algorithm":
						require.ErrorIs(t, err, jwtauth.ErrUnsupportedAlgorithm)
						require.Equal(t, jwtauth.CheckAlgorithm, e.Check)
					case "malformed":
						// An unsecured JWS has an empty signature, which
						// the front door rejects before looking at alg.
						require.ErrorIs(t, err, jwtauth.ErrMalformedToken)
						require.Equal(t, jwtauth.CheckFormat, e.Check)
					default:
						t.Fatalf("jose.mjs: unknown expectation %q", neg.Want)
					}
					sig := neg.Token[strings.LastIndexByte(neg.Token, '.')+1:]
					if sig != "" {
						require.NotContains(t, err.Error(), sig)
					}
				})
			}
		})
	}
}

// headerString returns a string member of a token's protected header, or
// "" when it is absent.
func headerString(t *testing.T, token, name string) string {
	t.Helper()
	s, _ := jwtHeader(t, token)[name].(string)
	return s
}
