// Command entra is a gateway in front of an API that accepts Microsoft
// Entra ID access tokens, v1.0 and v2.0, from one tenant. It validates the
// bearer token, derives the user and an email (AKS access tokens carry no
// "email" claim: the gateway falls back to the UPN, never to a #EXT# guest
// UPN, and never claims the email is verified), and forwards them to the
// upstream as headers; or refuses the request with the reason.
//
// It runs offline: Entra is simulated in-process (jwtauthtest.NewEntra)
// under its real host names, and the demo sends itself requests.
//
//	go run ./examples/entra
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/structauth/structauth/jwtauth"
	"github.com/structauth/structauth/jwtauth/jwtauthtest"
)

const (
	tenant = "8eaef023-2b34-4da1-9baa-8bc8c9d6a490" // our tenant
	api    = "6e74172b-be56-4843-9ff4-e66a39bb12e3" // our API's client ID
)

func main() {
	if err := run(context.Background(), os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "entra:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, out io.Writer) error {
	fake, err := jwtauthtest.NewEntra(jwtauthtest.EntraOptions{})
	if err != nil {
		return err
	}
	defer fake.Close()

	// The gateway: one tenant, v1.0 and v2.0 tokens, the API's audiences
	// (GUID, api://GUID, api://GUID/), email fallback for tokens without
	// "email". A real deployment passes no HTTPClient.
	auth, err := jwtauth.NewEntra(ctx, jwtauth.EntraConfig{
		Cloud:         jwtauth.EntraPublic,
		TenantIDs:     []string{tenant},
		ClientID:      api,
		EmailFallback: true,
	}, jwtauth.Options{HTTPClient: fake.Client()})
	if err != nil {
		return err
	}
	defer auth.Close()
	gateway := httptest.NewServer(&gatewayHandler{auth: auth})
	defer gateway.Close()

	fmt.Fprintf(out, "gateway for API %s, tenant %s (Entra simulated in-process)\n\n", api, tenant)
	now := time.Now()
	for _, d := range demoTokens(now) {
		tok, err := fake.Sign(d.sign, d.claims)
		if err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, gateway.URL+"/api/things", nil)
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := gateway.Client().Do(req)
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Fprintf(out, "%s:\n  %s %s", d.what, resp.Status, body)
	}
	return nil
}

// gatewayHandler authenticates and, in place of proxying, shows the
// headers the upstream would receive.
type gatewayHandler struct{ auth *jwtauth.EntraAuthenticator }

func (g *gatewayHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		http.Error(w, "no bearer token", http.StatusUnauthorized)
		return
	}
	u, err := g.auth.Authenticate(r.Context(), token)
	if err != nil {
		// A real gateway logs the reason and answers a plain 401; the demo
		// shows it. Errors never contain the token.
		reason := "rejected"
		for _, s := range []struct {
			err  error
			name string
		}{
			{jwtauth.ErrEntraTokenVersion, "token version"}, {jwtauth.ErrEntraTenantNotAllowed, "tenant not allowed"},
			{jwtauth.ErrEntraUnverifiable, "not a token for this API"}, {jwtauth.ErrAudience, "audience"},
			{jwtauth.ErrExpired, "expired"},
		} {
			if errors.Is(err, s.err) {
				reason = s.name
				break
			}
		}
		http.Error(w, reason+": "+err.Error(), http.StatusUnauthorized)
		return
	}
	id := u.Identity
	h := map[string]string{
		"X-Forwarded-User":           u.Username,
		"X-Forwarded-User-Id":        u.UID, // tid/oid: the stable key
		"X-Forwarded-Email":          id.Email,
		"X-Forwarded-Email-Verified": id.EmailVerified.String(),
		"X-Forwarded-Groups":         strings.Join(u.Groups, ","),
	}
	if !u.GroupsComplete {
		h["X-Forwarded-Groups"] = "(incomplete: groups overage, resolve with Microsoft Graph)"
	}
	if id.App {
		h["X-Forwarded-User"] += " (application " + id.ClientID + ")"
	}
	fmt.Fprintf(w, "v%s token from %s\n", id.Version, u.Extra[jwtauth.EntraExtraTenantID][0])
	for _, k := range []string{"X-Forwarded-User", "X-Forwarded-User-Id", "X-Forwarded-Email", "X-Forwarded-Email-Verified", "X-Forwarded-Groups"} {
		v := h[k]
		if v == "" {
			v = "(none)"
		}
		if k == "X-Forwarded-Email" && id.EmailClaim != "" && id.EmailClaim != "email" {
			v += " (from " + id.EmailClaim + ")"
		}
		fmt.Fprintf(w, "    %s: %s\n", k, v)
	}
}

type demoToken struct {
	what   string
	sign   jwtauthtest.EntraSignOptions
	claims map[string]any
}

func demoTokens(now time.Time) []demoToken {
	v1 := func(extra map[string]any) map[string]any {
		c := map[string]any{
			"iss": "https://sts.windows.net/" + tenant + "/", "aud": "api://" + api, "ver": "1.0",
			"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(time.Hour).Unix(),
			"tid": tenant, "oid": "2cf0521c-c76d-4e7c-b41f-863674057db3", "sub": "l3_roISQU222bULS9yi2k0XpqpOiMz5H3ZACo1GeXA",
			"appid": "75dbe77f-10a3-4e59-85fd-8c127544f17c", "appidacr": "0", "scp": "access_as_user",
			"upn": "jane@contoso.com", "unique_name": "jane@contoso.com",
			"groups": []string{"73fdccdf-e10d-45f9-b7f6-31848842999f", "5988d043-3af9-4e81-b041-90b3456f9f4e"},
		}
		for k, v := range extra {
			if v == nil {
				delete(c, k)
			} else {
				c[k] = v
			}
		}
		return c
	}
	v2 := func(extra map[string]any) map[string]any {
		c := v1(map[string]any{
			"iss": "https://login.microsoftonline.com/" + tenant + "/v2.0", "aud": api, "ver": "2.0",
			"appid": nil, "appidacr": nil, "upn": nil, "unique_name": nil, "groups": nil,
			"azp": "75dbe77f-10a3-4e59-85fd-8c127544f17c", "azpacr": "0", "preferred_username": "jane@contoso.com",
		})
		for k, v := range extra {
			if v == nil {
				delete(c, k)
			} else {
				c[k] = v
			}
		}
		return c
	}
	v1h := jwtauthtest.EntraSignOptions{V1Header: true}
	v2h := jwtauthtest.EntraSignOptions{}
	return []demoToken{
		{"a v1.0 access token (the app manifest's default), no email claim", v1h, v1(nil)},
		{"a v2.0 access token for the same user", v2h, v2(nil)},
		{"a guest (B2B) with an email and a verified domain", v1h, v1(map[string]any{
			"oid": "05802cc5-811e-46bd-b1b6-5946e668822f", "upn": nil, "unique_name": "alice@fabrikam.com",
			"email": "alice@fabrikam.com", "xms_edov": true, "idp": "https://sts.windows.net/82229342-1101-4ab6-817b-70c0747630f3/", "groups": nil,
		})},
		{"a guest whose UPN has the #EXT# form", v2h, v2(map[string]any{
			"oid": "2546e741-6fc6-4d24-8654-f92479324f37", "preferred_username": "bob@outlook.com",
			"upn": "bob_outlook.com#EXT#@contoso.onmicrosoft.com", "email": "bob@outlook.com", "acct": 1,
		})},
		{"a user in more than 200 groups (groups overage)", v1h, v1(map[string]any{
			"groups":         nil,
			"_claim_names":   map[string]any{"groups": "src1"},
			"_claim_sources": map[string]any{"src1": map[string]any{"endpoint": "https://graph.windows.net/" + tenant + "/users/2cf0521c-c76d-4e7c-b41f-863674057db3/getMemberObjects"}},
		})},
		{"a daemon (client credentials, app-only)", v2h, v2(map[string]any{
			"idtyp": "app", "azp": "3f1b9c2e-7d44-4a0b-9e55-8c2d1f6a7b90", "azpacr": "1", "scp": nil, "preferred_username": nil,
			"oid": "c2a1b5d4-9e8f-4a7b-8c6d-5e4f3a2b1c0d", "sub": "c2a1b5d4-9e8f-4a7b-8c6d-5e4f3a2b1c0d", "roles": []string{"Tasks.Read.All"},
		})},
		{"a Microsoft Graph token forwarded by mistake", jwtauthtest.EntraSignOptions{V1Header: true, Nonce: "AQABAAAAAABnfiG-mA6NTae7CdWW7QfdR_vA1td_KJ55uewzV8uA"},
			v1(map[string]any{"aud": "00000003-0000-0000-c000-000000000000", "scp": "User.Read"})},
		{"a token from another tenant", v2h, v2(map[string]any{
			"iss": "https://login.microsoftonline.com/82229342-1101-4ab6-817b-70c0747630f3/v2.0", "tid": "82229342-1101-4ab6-817b-70c0747630f3",
		})},
	}
}
