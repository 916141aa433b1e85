package interop

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// resources are the resource indicators provider.mjs knows, by the
// algorithm its JWT access tokens for that resource are signed with. Each
// token's audience is the resource URL.
var resources = map[string]string{
	"RS256": "https://rs256.api.interop.test",
	"ES256": "https://es256.api.interop.test",
	"PS256": "https://ps256.api.interop.test",
}

// opProcess is one oidc-provider process (node/provider.mjs).
type opProcess struct {
	t      *testing.T
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	events chan map[string]any
	done   chan struct{} // closed when the process has exited
	stderr *lockedBuffer

	Issuer string
	CA     *testCA
	Secret string
	// Kids are the kids of the current signing keys, by algorithm.
	Kids   map[string]string
	Client *http.Client
}

// startProvider starts provider.mjs and waits for its ready line. The
// process is stopped when the test ends.
func startProvider(t *testing.T) *opProcess {
	t.Helper()
	node := requireNode(t)
	ca := newTestCA(t)
	secret := rand.Text()

	cmd := exec.Command(node, "provider.mjs")
	cmd.Dir = nodeDir
	cmd.Env = append(os.Environ(),
		"INTEROP_TLS_CERT="+ca.certFile,
		"INTEROP_TLS_KEY="+ca.keyFile,
		"INTEROP_CLIENT_SECRET="+secret,
	)
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())

	op := &opProcess{
		t: t, cmd: cmd, stdin: stdin, events: make(chan map[string]any, 16), done: make(chan struct{}),
		stderr: stderr, CA: ca, Secret: secret,
		Client: &http.Client{
			Timeout:   10 * time.Second,
			Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.pool}},
		},
	}
	go readLines(bufio.NewScanner(stdout), op.events)
	go func() {
		_ = cmd.Wait()
		close(op.done)
	}()
	t.Cleanup(func() {
		op.Stop()
		if t.Failed() {
			t.Logf("provider.mjs stderr:\n%s", op.stderr.String())
		}
	})

	ready := op.await("ready")
	op.Issuer = ready["issuer"].(string)
	op.Kids = kidMap(ready["kids"])
	require.True(t, strings.HasPrefix(op.Issuer, "https://127.0.0.1:"), "issuer %q", op.Issuer)
	return op
}

// await returns the next event, which must be named name.
func (op *opProcess) await(name string) map[string]any {
	op.t.Helper()
	select {
	case ev, ok := <-op.events:
		require.True(op.t, ok, "provider.mjs exited before %q: %s", name, op.stderr.String())
		require.Equal(op.t, name, ev["event"], "provider.mjs event: %v", ev)
		return ev
	case <-time.After(20 * time.Second):
		op.t.Fatalf("provider.mjs: no %q event within 20s: %s", name, op.stderr.String())
		return nil
	}
}

func kidMap(v any) map[string]string {
	out := map[string]string{}
	for alg, kid := range v.(map[string]any) {
		out[alg] = kid.(string)
	}
	return out
}

// Rotate makes the provider sign with new keys from now on; keepOld keeps
// the old keys published after the new ones. It returns the new kids.
func (op *opProcess) Rotate(keepOld bool) map[string]string {
	op.t.Helper()
	cmd := "rotate-drop\n"
	if keepOld {
		cmd = "rotate\n"
	}
	_, err := io.WriteString(op.stdin, cmd)
	require.NoError(op.t, err)
	op.Kids = kidMap(op.await("rotated")["kids"])
	return op.Kids
}

// Stop ends the process (closing stdin makes it exit; a kill follows if
// it does not) and waits for it. It is idempotent.
func (op *opProcess) Stop() {
	_ = op.stdin.Close()
	select {
	case <-op.done:
	case <-time.After(5 * time.Second):
		_ = op.cmd.Process.Kill()
		<-op.done
	}
}

// tokenResponse is the token endpoint's answer (RFC 6749 section 5.1).
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	IDToken     string `json:"id_token"`
	TokenType   string `json:"token_type"`
	Scope       string `json:"scope"`
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// postToken calls the token endpoint as clientID (client_secret_basic).
func (op *opProcess) postToken(clientID string, form url.Values) tokenResponse {
	op.t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, op.Issuer+"/token", strings.NewReader(form.Encode()))
	require.NoError(op.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(op.Secret))
	resp, err := op.Client.Do(req)
	require.NoError(op.t, err)
	defer resp.Body.Close()
	var tr tokenResponse
	require.NoError(op.t, json.NewDecoder(resp.Body).Decode(&tr))
	require.Equal(op.t, http.StatusOK, resp.StatusCode, "token endpoint: %s: %s", tr.Error, tr.Description)
	return tr
}

// AccessToken obtains a JWT access token for resource with the
// client_credentials grant of the "svc" client.
func (op *opProcess) AccessToken(resource, scope string) string {
	op.t.Helper()
	tr := op.postToken("svc", url.Values{
		"grant_type": {"client_credentials"},
		"resource":   {resource},
		"scope":      {scope},
	})
	require.Equal(op.t, "Bearer", tr.TokenType)
	require.Equal(op.t, 3, strings.Count(tr.AccessToken, ".")+1, "access token is not a compact JWS")
	return tr.AccessToken
}

// IDToken runs the authorization code flow with PKCE for clientID
// (web-rs256, web-es256 or web-ps256) and returns the ID token. The
// provider logs the user "alice" in without a page.
func (op *opProcess) IDToken(clientID string) string {
	op.t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(op.t, err)
	redirectURI := op.Issuer + "/cb"
	var callback *url.URL
	browser := &http.Client{
		Timeout:   10 * time.Second,
		Transport: op.Client.Transport,
		Jar:       jar,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > 10 {
				return errors.New("too many redirects")
			}
			if req.URL.Path == "/cb" {
				callback = req.URL
				return http.ErrUseLastResponse
			}
			return nil
		},
	}
	verifier := rand.Text() + rand.Text()
	sum := sha256.Sum256([]byte(verifier))
	state, nonce := rand.Text(), rand.Text()
	q := url.Values{
		"client_id":             {clientID},
		"response_type":         {"code"},
		"scope":                 {"openid email groups"},
		"redirect_uri":          {redirectURI},
		"state":                 {state},
		"nonce":                 {nonce},
		"code_challenge":        {base64.RawURLEncoding.EncodeToString(sum[:])},
		"code_challenge_method": {"S256"},
	}
	resp, err := browser.Get(op.Issuer + "/auth?" + q.Encode())
	require.NoError(op.t, err)
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	resp.Body.Close()
	require.NotNil(op.t, callback, "authorization flow did not reach the redirect URI: %d %s", resp.StatusCode, body)
	require.Equal(op.t, state, callback.Query().Get("state"))
	code := callback.Query().Get("code")
	require.NotEmpty(op.t, code, "no code in the callback: %s", callback.Query().Get("error_description"))

	tr := op.postToken(clientID, url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {redirectURI},
		"code_verifier": {verifier},
	})
	require.NotEmpty(op.t, tr.IDToken, "no id_token in the token response")
	return tr.IDToken
}

// caYAML indents a PEM block for a YAML literal at the given indent.
func caYAML(pemText, indent string) string {
	lines := strings.Split(strings.TrimSpace(pemText), "\n")
	return indent + strings.Join(lines, "\n"+indent)
}

// jwtHeader decodes a token's protected header.
func jwtHeader(t *testing.T, token string) map[string]any {
	t.Helper()
	seg, _, _ := strings.Cut(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	require.NoError(t, err)
	var h map[string]any
	require.NoError(t, json.Unmarshal(raw, &h))
	return h
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("interop: %v", err))
	}
	return string(b)
}
