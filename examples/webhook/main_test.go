package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/structauth/structauth/jwtauth/tokenreview"
)

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
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

// kubeconfig is the part of the printed file kube-apiserver reads.
type kubeconfig struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Clusters   []struct {
		Name    string `yaml:"name"`
		Cluster struct {
			Server                   string `yaml:"server"`
			CertificateAuthorityData string `yaml:"certificate-authority-data"`
		} `yaml:"cluster"`
	} `yaml:"clusters"`
	Users []struct {
		Name string `yaml:"name"`
	} `yaml:"users"`
	Contexts []struct {
		Name    string `yaml:"name"`
		Context struct {
			Cluster string `yaml:"cluster"`
			User    string `yaml:"user"`
		} `yaml:"context"`
	} `yaml:"contexts"`
	CurrentContext string `yaml:"current-context"`
}

// parseKubeconfig extracts the kubeconfig document from the output.
func parseKubeconfig(t *testing.T, out string) kubeconfig {
	t.Helper()
	start := strings.Index(out, "apiVersion: v1\n")
	require.GreaterOrEqual(t, start, 0, out)
	end := strings.Index(out[start:], "\n\n")
	require.Positive(t, end, out)
	var kc kubeconfig
	require.NoError(t, yaml.Unmarshal([]byte(out[start:start+end]), &kc))
	require.Equal(t, "Config", kc.Kind)
	require.Len(t, kc.Clusters, 1)
	require.Len(t, kc.Users, 1)
	require.Len(t, kc.Contexts, 1)
	require.Equal(t, kc.Contexts[0].Name, kc.CurrentContext)
	require.Equal(t, kc.Clusters[0].Name, kc.Contexts[0].Context.Cluster)
	require.Equal(t, kc.Users[0].Name, kc.Contexts[0].Context.User)
	return kc
}

func TestDemo(t *testing.T) {
	var out syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	require.NoError(t, run(ctx, &out, options{apiAudience: "https://kubernetes.default.svc"}))
	got := out.String()
	parseKubeconfig(t, got)
	for _, want := range []string{
		"--authentication-token-webhook-version=v1",
		"valid token (v1):                            demo:jane groups=[demo:dev demo:ops] audiences=[https://kubernetes.default.svc]",
		"valid token (v1beta1):                       demo:jane groups=[demo:dev demo:ops]",
		"valid token, requested audience served:      demo:jane",
		"valid token, requested audience not served:  refused: ",
		"token for another audience:                  refused: jwtauth: expected audience",
		"garbage:                                     refused: jwtauth: token is not a well-formed compact JWS",
		"serving generation 2",
		"valid token after reload:                    reloaded:jane groups=[reloaded:dev reloaded:ops]",
	} {
		require.Contains(t, got, want)
	}
	require.NotContains(t, got, "serving TokenReviews on")
}

// TestServeWithPrintedKubeconfig runs the server with -serve and talks to
// it the way kube-apiserver would: with only the printed kubeconfig.
func TestServeWithPrintedKubeconfig(t *testing.T) {
	var out syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		errc <- run(ctx, &out, options{serve: true, addr: "127.0.0.1:0", apiAudience: "api"})
	}()
	require.Eventually(t, func() bool { return strings.Contains(out.String(), "serving TokenReviews on") }, 30*time.Second, 10*time.Millisecond)
	kc := parseKubeconfig(t, out.String())

	pemCA, err := base64.StdEncoding.DecodeString(kc.Clusters[0].Cluster.CertificateAuthorityData)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(pemCA))
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()

	for _, v := range []string{tokenreview.APIVersionV1, tokenreview.APIVersionV1beta1} {
		body, err := json.Marshal(tokenreview.TokenReview{APIVersion: v, Kind: tokenreview.Kind, Spec: tokenreview.Spec{Token: "a.b.c"}})
		require.NoError(t, err)
		resp, err := client.Post(kc.Clusters[0].Cluster.Server, "application/json", bytes.NewReader(body))
		require.NoError(t, err)
		var tr tokenreview.TokenReview
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&tr))
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Equal(t, v, tr.APIVersion)
		require.False(t, tr.Status.Authenticated)
		require.NotEmpty(t, tr.Status.Error)
	}
	// Only POST.
	resp, err := client.Get(kc.Clusters[0].Cluster.Server)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)

	cancel()
	select {
	case err := <-errc:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not stop")
	}
}
