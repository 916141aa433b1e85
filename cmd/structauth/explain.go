package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/structauth/structauth/jwtauth"
)

const explainUsage = `Usage: structauth explain CONFIG TOKEN|- [flags]
       structauth explain CONFIG --claims FILE [flags]

Runs a token (or, with --claims, a claim set) through CONFIG's pipeline
and prints every step with its outcome: the token's format, the
authenticator chosen by "iss", algorithm and signature (alg and kid only),
registered claims, audience, exp and nbf against the clock, each claim
mapping with its value, each claim and user validation rule with its
expression and result, and the final user or the first failure. The
decision is exactly the one the library's Authenticate makes.

TOKEN is the token itself; "-" reads it from standard input (safer: it
stays out of your shell history). A leading "Bearer " is ignored.
CONFIG is an AuthenticationConfiguration or a single authenticator
object (as for lint).

Without --jwks, the issuer's discovery document and keys are fetched
over the network, as kube-apiserver would. With --jwks the command is
offline: the keys come from FILE for every issuer of CONFIG and nothing
is fetched. --claims needs no keys and is always offline; it skips the
signature, exp and nbf.

Flags:
  --claims FILE     explain a JSON claim set instead of a token ("-" for stdin)
  --jwks FILE       offline: use this JSON Web Key Set instead of discovery
  --now TIME        evaluate exp and nbf at TIME (RFC 3339), for reproducible output
  --output FORMAT   text (default) or json
  --aks             apply Azure Kubernetes Service's rules (aks:jwt: prefixes)
  --timeout DUR     bound the network fetches (default 30s)

Exit status: 0 accepted, 1 rejected, 2 usage or input error (including
an invalid CONFIG).
`

// maxTokenInput bounds a token or claims file read by explain; the
// library itself refuses tokens above jwtauth.DefaultMaxTokenSize.
const maxTokenInput = 1 << 20

func init() {
	register(&command{name: "explain", summary: "explain why a token (or claim set) is accepted or rejected", usage: explainUsage, run: runExplain})
}

func runExplain(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("explain", flag.ContinueOnError)
	claimsFile := fs.String("claims", "", "claim set JSON file")
	jwksFile := fs.String("jwks", "", "JWKS file (offline)")
	nowFlag := fs.String("now", "", "RFC 3339 time")
	output := fs.String("output", "text", "text or json")
	aks := fs.Bool("aks", false, "AKS rules")
	timeout := fs.Duration("timeout", 30*time.Second, "network timeout")
	pos, code, ok := parseFlags(fs, explainUsage, args, stdout, stderr)
	if !ok {
		return code
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "structauth explain: "+format+"\n", a...)
		return exitUsage
	}
	want := 2
	if *claimsFile != "" {
		want = 1
	}
	if len(pos) != want {
		if *claimsFile != "" {
			return fail("expected CONFIG only with --claims, got %d arguments\n\n%s", len(pos), explainUsage)
		}
		return fail("expected CONFIG and TOKEN (or - for standard input), got %d arguments\n\n%s", len(pos), explainUsage)
	}
	if *output != "text" && *output != "json" {
		return fail("--output must be text or json, got %q", *output)
	}
	if *timeout <= 0 {
		return fail("--timeout must be positive")
	}
	opts := jwtauth.Options{}
	if *aks {
		opts.Profile = jwtauth.ProfileAKS
	}
	if *nowFlag != "" {
		t, err := time.Parse(time.RFC3339, *nowFlag)
		if err != nil {
			return fail("--now: %v", err)
		}
		opts.Now = func() time.Time { return t }
	}
	if pos[0] == "-" && (len(pos) > 1 && pos[1] == "-" || *claimsFile == "-") {
		return fail("only one of CONFIG, TOKEN and --claims can be read from standard input")
	}
	cfg, err := loadConfig(pos[0], stdin, opts.Profile)
	if err != nil {
		return fail("%v", err)
	}

	var jwks []byte
	if *jwksFile != "" {
		if jwks, err = readInput(*jwksFile, stdin, maxConfigSize); err != nil {
			return fail("--jwks: %v", err)
		}
		if err := checkJWKS(jwks); err != nil {
			return fail("--jwks %s: %v", *jwksFile, err)
		}
	}
	if *jwksFile != "" || *claimsFile != "" {
		// Offline: the keys come from the file (or are not needed), so
		// certificateAuthority (transport only) is dropped; it cannot be
		// combined with Options.HTTPClient.
		opts.HTTPClient = &http.Client{Transport: newOfflineTransport(cfg, jwks)}
		for i := range cfg.JWT {
			cfg.JWT[i].Issuer.CertificateAuthority = ""
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	auth, err := jwtauth.New(ctx, cfg, opts)
	if err != nil {
		return fail("%v", err)
	}
	defer auth.Close()

	var x *jwtauth.Explanation
	if *claimsFile != "" {
		m, err := readClaims(*claimsFile, stdin)
		if err != nil {
			return fail("--claims: %v", err)
		}
		x = auth.ExplainClaims(ctx, m)
	} else {
		token, err := readToken(pos[1], stdin)
		if err != nil {
			return fail("%v", err)
		}
		x = auth.Explain(ctx, token)
	}

	if *output == "json" {
		b, err := json.MarshalIndent(x, "", "  ")
		if err != nil {
			return fail("%v", err)
		}
		if _, err := stdout.Write(append(b, '\n')); err != nil {
			return fail("%v", err)
		}
	} else if err := x.WriteText(stdout); err != nil {
		return fail("%v", err)
	}
	if !x.Accepted() {
		return exitFailed
	}
	return exitOK
}

// loadConfig reads and validates a configuration, or a single
// authenticator which it wraps in one.
func loadConfig(name string, stdin io.Reader, profile jwtauth.Profile) (*jwtauth.AuthenticationConfiguration, error) {
	data, err := readInput(name, stdin, maxConfigSize)
	if err != nil {
		return nil, err
	}
	res := lintConfig(data, profile)
	if len(res.problems) > 0 {
		lines := make([]string, len(res.problems))
		for i, p := range res.problems {
			lines[i] = p.format(displayName(name))
		}
		return nil, fmt.Errorf("invalid configuration (run structauth lint for details):\n%s", indent(strings.Join(lines, "\n"), "  "))
	}
	if res.single {
		a, err := jwtauth.ParseAuthenticator(data)
		if err != nil {
			return nil, err
		}
		return &jwtauth.AuthenticationConfiguration{APIVersion: jwtauth.APIVersionV1, Kind: jwtauth.Kind, JWT: []jwtauth.JWTAuthenticator{*a}}, nil
	}
	return jwtauth.ParseConfig(data)
}

// readToken returns the token argument, or reads it from stdin for "-".
func readToken(arg string, stdin io.Reader) (string, error) {
	tok := arg
	if arg == "-" {
		data, err := readInput("-", stdin, maxTokenInput)
		if err != nil {
			return "", err
		}
		tok = string(data)
	}
	tok = strings.TrimSpace(tok)
	if rest, ok := strings.CutPrefix(tok, "Bearer "); ok {
		tok = strings.TrimSpace(rest)
	}
	if tok == "" {
		if arg == "-" {
			return "", errors.New("no token on standard input")
		}
		return "", errors.New("empty TOKEN argument")
	}
	return tok, nil
}

// readClaims reads a JSON object, keeping numbers exact.
func readClaims(name string, stdin io.Reader) (map[string]any, error) {
	data, err := readInput(name, stdin, maxTokenInput)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s is empty", displayName(name))
		}
		return nil, fmt.Errorf("%s is not a JSON object: %v", displayName(name), err)
	}
	if m == nil {
		return nil, fmt.Errorf("%s is not a JSON object", displayName(name))
	}
	if dec.More() {
		return nil, fmt.Errorf("%s has data after the JSON object", displayName(name))
	}
	return m, nil
}

// checkJWKS rejects what is not a JSON object with a "keys" array early,
// with a clearer message than the key fetch would give.
func checkJWKS(data []byte) error {
	var set struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(data, &set); err != nil {
		return fmt.Errorf("not a JSON Web Key Set: %v", err)
	}
	if len(set.Keys) == 0 {
		return errors.New(`not a JSON Web Key Set: no "keys"`)
	}
	return nil
}

// offlineJWKSURL is where the offline discovery documents say the keys
// are; the offline transport serves it from the file.
const offlineJWKSURL = "https://jwks.offline.invalid/keys"

// offlineTransport answers every issuer's discovery request with a
// document naming offlineJWKSURL, and that URL with the JWKS file. Any
// other request fails, so an offline run never touches the network.
type offlineTransport struct {
	issuers map[string]string // discovery URL → issuer URL
	jwks    []byte            // nil: no keys (--claims)
}

func newOfflineTransport(cfg *jwtauth.AuthenticationConfiguration, jwks []byte) *offlineTransport {
	t := &offlineTransport{issuers: map[string]string{}, jwks: jwks}
	for _, j := range cfg.JWT {
		u := j.Issuer.DiscoveryURL
		if u == "" {
			u = strings.TrimSuffix(j.Issuer.URL, "/") + "/.well-known/openid-configuration"
		}
		t.issuers[u] = j.Issuer.URL
	}
	return t
}

func (t *offlineTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
	if t.jwks == nil {
		return nil, errors.New("offline: no keys (use --jwks FILE)")
	}
	u := req.URL.String()
	var body []byte
	if iss, ok := t.issuers[u]; ok {
		body, _ = json.Marshal(map[string]string{"issuer": iss, "jwks_uri": offlineJWKSURL})
	} else if u == offlineJWKSURL {
		body = t.jwks
	} else {
		return nil, fmt.Errorf("offline: refusing request to %s", req.URL.Host)
	}
	return &http.Response{
		Status: "200 OK", StatusCode: http.StatusOK, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header:        http.Header{"Content-Type": []string{"application/json"}},
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
	}, nil
}
