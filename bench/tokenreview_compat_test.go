package bench

import (
	"context"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"k8s.io/apiserver/pkg/authentication/authenticator"
	utilwebhook "k8s.io/apiserver/pkg/util/webhook"
	k8swebhook "k8s.io/apiserver/plugin/pkg/authenticator/token/webhook"

	"github.com/structauth/structauth/jwtauth"
	"github.com/structauth/structauth/jwtauth/jwtauthtest"
	"github.com/structauth/structauth/jwtauth/tokenreview"
)

// TestTokenReviewWithKubeWebhookClient points kube-apiserver's own
// webhook token authenticator (the code behind
// --authentication-token-webhook-config-file), loaded from a kubeconfig
// file of the form the README shows, at tokenreview.Handler, for both
// webhook versions: kube must accept every answer and reach the user,
// audiences and refusals the handler means.
func TestTokenReviewWithKubeWebhookClient(t *testing.T) {
	iss, err := jwtauthtest.NewIssuer(jwtauthtest.IssuerOptions{})
	must(t, err)
	t.Cleanup(iss.Close)
	entry := iss.Authenticator("kubernetes")
	entry.ClaimMappings.Groups = jwtauth.PrefixedClaimOrExpression{Expression: "claims.groups"}
	entry.ClaimMappings.UID = jwtauth.ClaimOrExpression{Claim: "sub"}
	entry.ClaimMappings.Extra = []jwtauth.ExtraMapping{{Key: "example.com/team", ValueExpression: "claims.team"}}
	auth, err := jwtauth.New(context.Background(), &jwtauth.AuthenticationConfiguration{
		APIVersion: jwtauth.APIVersionV1, Kind: jwtauth.Kind, JWT: []jwtauth.JWTAuthenticator{entry}}, jwtauth.Options{})
	must(t, err)
	t.Cleanup(func() { _ = auth.Close() })

	const apiAudience = "https://kubernetes.default.svc"
	h, err := tokenreview.NewHandler(auth, tokenreview.Options{ImplicitAudiences: []string{apiAudience}})
	must(t, err)
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)

	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	kubeconfig := filepath.Join(t.TempDir(), "webhook.kubeconfig")
	must(t, os.WriteFile(kubeconfig, fmt.Appendf(nil, `apiVersion: v1
kind: Config
clusters:
- name: structauth-webhook
  cluster:
    server: %s/authenticate
    certificate-authority-data: %s
users:
- name: kube-apiserver
  user: {}
contexts:
- name: webhook
  context:
    cluster: structauth-webhook
    user: kube-apiserver
current-context: webhook
`, srv.URL, base64.StdEncoding.EncodeToString(caPEM)), 0o600))
	restConfig, err := utilwebhook.LoadKubeconfig(kubeconfig, nil)
	must(t, err)

	c := iss.Claims("kubernetes", "jane", time.Now())
	c["groups"], c["team"] = []string{"dev", "ops"}, "blue"
	valid, err := iss.Sign("ES256", c)
	must(t, err)
	wrongAud, err := iss.Sign("ES256", iss.Claims("another-api", "jane", time.Now()))
	must(t, err)

	tests := []struct {
		name      string
		token     string
		audiences authenticator.Audiences // nil: a context without audiences
		wantOK    bool
		wantAuds  authenticator.Audiences
		wantErr   bool
	}{
		{"valid token", valid, nil, true, nil, false},
		{"valid token, API audience", valid, authenticator.Audiences{apiAudience}, true, authenticator.Audiences{apiAudience}, false},
		{"valid token, audience intersection", valid, authenticator.Audiences{"vault", apiAudience}, true, authenticator.Audiences{apiAudience}, false},
		{"valid token, audience not served", valid, authenticator.Audiences{"vault"}, false, nil, false},
		{"token for another audience", wrongAud, nil, false, nil, true},
		{"garbage", "garbage", nil, false, nil, true},
	}
	for _, version := range []string{"v1", "v1beta1"} {
		kube, err := k8swebhook.New(restConfig, version, authenticator.Audiences{apiAudience}, utilwebhook.DefaultRetryBackoffWithInitialDelay(time.Millisecond))
		must(t, err)
		for _, tc := range tests {
			t.Run(version+"/"+tc.name, func(t *testing.T) {
				ctx := context.Background()
				if tc.audiences != nil {
					ctx = authenticator.WithAudiences(ctx, tc.audiences)
				}
				resp, ok, err := kube.AuthenticateToken(ctx, tc.token)
				if ok != tc.wantOK {
					t.Fatalf("authenticated = %v, want %v (err %v)", ok, tc.wantOK, err)
				}
				switch {
				case tc.wantErr && err == nil:
					t.Fatal("no error for a refused token")
				case tc.wantErr && (strings.Contains(err.Error(), "webhook") || strings.Contains(err.Error(), tc.token)):
					// Refusals must arrive as status.error, not as an
					// outage, and must not quote the token.
					t.Fatalf("error %q", err)
				case !tc.wantErr && err != nil:
					t.Fatal(err)
				}
				if !tc.wantOK {
					if resp != nil {
						t.Fatalf("a response for a refused token: %+v", resp)
					}
					return
				}
				u := resp.User
				if u.GetName() != "jane" || u.GetUID() != "jane" || !reflect.DeepEqual(u.GetGroups(), []string{"dev", "ops"}) ||
					!reflect.DeepEqual(u.GetExtra(), map[string][]string{"example.com/team": {"blue"}}) {
					t.Fatalf("user %+v", u)
				}
				if !reflect.DeepEqual(resp.Audiences, tc.wantAuds) {
					t.Fatalf("audiences %q, want %q", resp.Audiences, tc.wantAuds)
				}
			})
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
