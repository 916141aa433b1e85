// Command webhook is a TokenReview server: kube-apiserver's webhook token
// authenticator (--authentication-token-webhook-config-file) can send it
// bearer tokens, and it answers with the user that structauth maps them to.
//
// By default it runs offline and exits: it starts an in-process OIDC
// issuer, writes an AuthenticationConfiguration for it to a temporary
// file, serves the webhook over TLS with live reload of that file, prints
// the kubeconfig-format file kube-apiserver would take, sends a few
// TokenReviews with a real HTTP client and prints the answers.
//
//	go run ./examples/webhook            # demo, then exit
//	go run ./examples/webhook -serve     # keep serving on -addr
package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/template"
	"time"

	"github.com/structauth/structauth/jwtauth/jwtauthtest"
	"github.com/structauth/structauth/jwtauth/reload"
	"github.com/structauth/structauth/jwtauth/tokenreview"
)

// options are the command-line flags.
type options struct {
	serve       bool
	addr        string
	apiAudience string
}

func main() {
	var o options
	flag.BoolVar(&o.serve, "serve", false, "keep serving after the demo requests, until interrupted")
	flag.StringVar(&o.addr, "addr", "127.0.0.1:8443", "listen address with -serve (without -serve an ephemeral port is used)")
	flag.StringVar(&o.apiAudience, "api-audience", "https://kubernetes.default.svc", "the webhook's implicit audience, like kube-apiserver's --api-audiences")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Stdout, o); err != nil {
		fmt.Fprintln(os.Stderr, "webhook:", err)
		os.Exit(1)
	}
}

// configTemplate is the AuthenticationConfiguration the demo serves: the
// file a cluster would pass to --authentication-config, here read by the
// webhook instead.
var configTemplate = template.Must(template.New("config").Parse(`apiVersion: apiserver.config.k8s.io/v1
kind: AuthenticationConfiguration
jwt:
- issuer:
    url: {{.URL}}
    audiences: ["kubernetes"]
    certificateAuthority: |
{{.CA}}
  claimMappings:
    username:
      claim: sub
      prefix: "{{.Prefix}}"
    groups:
      claim: groups
      prefix: "{{.Prefix}}"
`))

func writeConfig(path string, iss *jwtauthtest.Issuer, prefix string) error {
	var ca strings.Builder
	for line := range strings.Lines(iss.CertificateAuthority()) {
		ca.WriteString("      " + line)
	}
	var b bytes.Buffer
	if err := configTemplate.Execute(&b, map[string]string{"URL": iss.URL, "CA": strings.TrimRight(ca.String(), "\n"), "Prefix": prefix}); err != nil {
		return err
	}
	// Replace the file in one step, so the poller never reads half of it.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b.Bytes(), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// kubeconfigTemplate is the file kube-apiserver's
// --authentication-token-webhook-config-file takes: "clusters" is the
// webhook, "users" how kube-apiserver authenticates to it.
var kubeconfigTemplate = template.Must(template.New("kubeconfig").Parse(`apiVersion: v1
kind: Config
clusters:
- name: structauth-webhook
  cluster:
    server: {{.Server}}
    certificate-authority-data: {{.CA}}
users:
- name: kube-apiserver
  user: {}   # client-certificate / client-key for mutual TLS, if the webhook asks for it
contexts:
- name: webhook
  context:
    cluster: structauth-webhook
    user: kube-apiserver
current-context: webhook
`))

func run(ctx context.Context, out io.Writer, o options) error {
	iss, err := jwtauthtest.NewIssuer(jwtauthtest.IssuerOptions{Path: "/realms/demo"})
	if err != nil {
		return err
	}
	defer iss.Close()

	dir, err := os.MkdirTemp("", "structauth-webhook")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	configPath := filepath.Join(dir, "authentication-config.yaml")
	if err := writeConfig(configPath, iss, "demo:"); err != nil {
		return err
	}

	auth, err := reload.New(ctx, configPath, reload.Options{
		Interval: time.Second,
		OnReload: func(ev reload.Event) {
			if ev.Err != nil {
				fmt.Fprintf(out, "config %s: keeping generation %d: %v\n", ev.Trigger, ev.Generation, ev.Err)
				return
			}
			fmt.Fprintf(out, "config %s: serving generation %d (sha256 %s)\n", ev.Trigger, ev.Generation, ev.Hash[:12])
		},
	})
	if err != nil {
		return err
	}
	defer auth.Close()

	h, err := tokenreview.NewHandler(auth, tokenreview.Options{ImplicitAudiences: []string{o.apiAudience}})
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle("/authenticate", h)
	srv := httptest.NewUnstartedServer(mux)
	// A fresh certificate for this run: httptest's built-in one has a
	// private key published in the Go sources.
	cert, err := selfSignedCert(time.Now())
	if err != nil {
		return err
	}
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if o.serve {
		l, err := net.Listen("tcp", o.addr)
		if err != nil {
			return err
		}
		_ = srv.Listener.Close()
		srv.Listener = l
	}
	srv.StartTLS()
	defer srv.Close()
	endpoint := srv.URL + "/authenticate"

	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	fmt.Fprintln(out, "# kube-apiserver --authentication-token-webhook-config-file=webhook.kubeconfig --authentication-token-webhook-version=v1")
	if err := kubeconfigTemplate.Execute(out, map[string]string{
		"Server": endpoint, "CA": base64.StdEncoding.EncodeToString(caPEM),
	}); err != nil {
		return err
	}
	fmt.Fprintln(out)

	client := srv.Client()
	now := time.Now()
	claims := func(aud string) map[string]any {
		c := iss.Claims(aud, "jane", now)
		c["groups"] = []string{"dev", "ops"}
		return c
	}
	valid, err := iss.Sign("RS256", claims("kubernetes"))
	if err != nil {
		return err
	}
	wrongAud, err := iss.Sign("RS256", claims("some-other-api"))
	if err != nil {
		return err
	}
	cases := []struct {
		name, apiVersion, token string
		audiences               []string
	}{
		{"valid token (v1)", tokenreview.APIVersionV1, valid, nil},
		{"valid token (v1beta1)", tokenreview.APIVersionV1beta1, valid, nil},
		{"valid token, requested audience served", tokenreview.APIVersionV1, valid, []string{"vault", o.apiAudience}},
		{"valid token, requested audience not served", tokenreview.APIVersionV1, valid, []string{"vault"}},
		{"token for another audience", tokenreview.APIVersionV1, wrongAud, nil},
		{"garbage", tokenreview.APIVersionV1, "not-a-token", nil},
	}
	for _, c := range cases {
		line, err := reviewLine(ctx, client, endpoint, c.apiVersion, c.token, c.audiences)
		if err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
		fmt.Fprintf(out, "%-44s %s\n", c.name+":", line)
	}

	// Live reload: change the prefix in the file; the next review sees it.
	if err := writeConfig(configPath, iss, "reloaded:"); err != nil {
		return err
	}
	if err := auth.Reload(ctx); err != nil {
		return err
	}
	line, err := reviewLine(ctx, client, endpoint, tokenreview.APIVersionV1, valid, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%-44s %s\n", "valid token after reload:", line)

	if !o.serve {
		return nil
	}
	fmt.Fprintf(out, "serving TokenReviews on %s (config %s); SIGHUP reloads, interrupt stops\n", endpoint, configPath)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-hup:
			if err := auth.Reload(ctx); err != nil {
				fmt.Fprintln(out, "reload:", err)
			}
		}
	}
}

// reviewLine sends one TokenReview, as kube-apiserver's webhook client
// does, and describes the answer.
func reviewLine(ctx context.Context, c *http.Client, url, apiVersion, token string, audiences []string) (string, error) {
	body, err := json.Marshal(tokenreview.TokenReview{APIVersion: apiVersion, Kind: tokenreview.Kind,
		Spec: tokenreview.Spec{Token: token, Audiences: audiences}})
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	var tr tokenreview.TokenReview
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil {
		return "", err
	}
	if tr.APIVersion != apiVersion {
		return "", fmt.Errorf("answered with %s", tr.APIVersion)
	}
	if !tr.Status.Authenticated {
		return "refused: " + tr.Status.Error, nil
	}
	s := fmt.Sprintf("%s groups=%v", tr.Status.User.Username, tr.Status.User.Groups)
	if len(tr.Status.Audiences) > 0 {
		s += fmt.Sprintf(" audiences=%v", tr.Status.Audiences)
	}
	return s, nil
}

// selfSignedCert makes a P-256 certificate for 127.0.0.1, ::1 and
// localhost, valid for a day.
func selfSignedCert(now time.Time) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "structauth webhook demo"},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
