package policytest

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/structauth/structauth/jwtauth"
)

// TestOfflineNet checks the routing: configured discovery URLs reach
// their fakes, which claim the configured issuer; everything else is
// refused without a connection.
func TestOfflineNet(t *testing.T) {
	cfg := &jwtauth.AuthenticationConfiguration{JWT: []jwtauth.JWTAuthenticator{
		{Issuer: jwtauth.Issuer{URL: "https://token.actions.githubusercontent.com"}},
		{Issuer: jwtauth.Issuer{URL: "https://sts.windows.net/t/", DiscoveryURL: "https://login.microsoftonline.com/t/.well-known/openid-configuration"}},
	}}
	tests := []struct {
		name      string
		fakes     bool
		url       string
		wantIss   string
		wantError string
	}{
		{name: "no fakes: issuer refused", url: "https://token.actions.githubusercontent.com/.well-known/openid-configuration", wantError: "policytest: no network access"},
		{name: "other host refused", fakes: true, url: "https://example.com/", wantError: "policytest: no network access (request to https://example.com/ refused)"},
		{name: "issuer path only for discovery", fakes: true, url: "https://token.actions.githubusercontent.com/jwks", wantError: "no network access"},
		{name: "default discovery URL", fakes: true, url: "https://token.actions.githubusercontent.com/.well-known/openid-configuration", wantIss: "https://token.actions.githubusercontent.com"},
		{name: "discoveryURL", fakes: true, url: "https://login.microsoftonline.com/t/.well-known/openid-configuration", wantIss: "https://sts.windows.net/t/"},
		{name: "issuer host not contacted when discoveryURL is set", fakes: true, url: "https://sts.windows.net/t/.well-known/openid-configuration", wantError: "no network access"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := newOfflineNet(cfg, tc.fakes, nil)
			require.NoError(t, err)
			defer n.close()
			resp, err := n.client().Get(tc.url)
			if tc.wantError != "" {
				require.ErrorContains(t, err, tc.wantError)
				return
			}
			require.NoError(t, err)
			defer resp.Body.Close()
			require.Equal(t, http.StatusOK, resp.StatusCode)
			var doc struct {
				Issuer  string `json:"issuer"`
				JWKSURI string `json:"jwks_uri"`
			}
			require.NoError(t, json.NewDecoder(resp.Body).Decode(&doc))
			require.Equal(t, tc.wantIss, doc.Issuer)
			// The key set is served by the fake at its own address.
			keys, err := n.client().Get(doc.JWKSURI)
			require.NoError(t, err)
			keys.Body.Close()
			require.Equal(t, http.StatusOK, keys.StatusCode)
		})
	}
}
