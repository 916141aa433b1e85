// Command proxy is an authenticating reverse proxy: it checks each
// request's bearer token with structauth (behind a token cache) and
// forwards the request to an upstream with the user's identity in the
// X-Remote-User, X-Remote-Group and X-Remote-Extra-* headers that
// kube-apiserver's front-proxy authentication (and many other servers)
// read. The client's own copies of those headers, and the token, are
// removed before forwarding.
//
// By default it runs offline: it starts an in-process OIDC issuer, a demo
// upstream that echoes the identity it receives, and the proxy, sends a few
// requests, prints what happened and exits.
//
//	go run ./examples/proxy
//	go run ./examples/proxy -serve -addr 127.0.0.1:8080   # keep serving
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strings"
	"time"

	"github.com/structauth/structauth/jwtauth"
	"github.com/structauth/structauth/jwtauth/jwtauthtest"
	"github.com/structauth/structauth/jwtauth/tokencache"
)

func main() {
	serve := flag.Bool("serve", false, "keep serving after the demo requests, until interrupted")
	addr := flag.String("addr", "127.0.0.1:8080", "with -serve, the proxy's listen address (plain HTTP, for local tries)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Stdout, *serve, *addr); err != nil {
		fmt.Fprintln(os.Stderr, "proxy:", err)
		os.Exit(1)
	}
}

// demo is the in-process world: issuer, authenticator, cache and upstream.
type demo struct {
	iss      *jwtauthtest.Issuer
	auth     *jwtauth.Authenticator
	cache    *tokencache.Cache
	upstream *httptest.Server
}

func newDemo(ctx context.Context) (*demo, error) {
	iss, err := jwtauthtest.NewIssuer(jwtauthtest.IssuerOptions{Path: "/realms/demo"})
	if err != nil {
		return nil, err
	}
	jwt := iss.Authenticator("proxy")
	jwt.ClaimMappings.Username = jwtauth.PrefixedClaimOrExpression{Expression: "'oidc:' + claims.sub"}
	jwt.ClaimMappings.Groups = jwtauth.PrefixedClaimOrExpression{Expression: "has(claims.groups) ? dyn(claims.groups).map(g, 'oidc:' + g) : []"}
	jwt.ClaimMappings.Extra = []jwtauth.ExtraMapping{{Key: "example.com/tenant", ValueExpression: "has(claims.tenant) ? claims.tenant : ''"}}
	cfg := &jwtauth.AuthenticationConfiguration{APIVersion: jwtauth.APIVersionV1, Kind: jwtauth.Kind, JWT: []jwtauth.JWTAuthenticator{jwt}}
	auth, err := jwtauth.New(ctx, cfg, jwtauth.Options{})
	if err != nil {
		iss.Close()
		return nil, err
	}
	cache, err := tokencache.New(auth, tokencache.Options{TTL: 30 * time.Second})
	if err != nil {
		_ = auth.Close()
		iss.Close()
		return nil, err
	}
	return &demo{iss: iss, auth: auth, cache: cache, upstream: httptest.NewTLSServer(echoIdentity())}, nil
}

func (d *demo) Close() {
	d.upstream.Close()
	_ = d.auth.Close()
	d.iss.Close()
}

// token mints a token for sub with the given groups and lifetime.
func (d *demo) token(sub string, groups []string, life time.Duration) (string, error) {
	now := time.Now()
	c := d.iss.Claims("proxy", sub, now)
	c["exp"] = now.Add(life).Unix()
	if groups != nil {
		c["groups"] = groups
	}
	c["tenant"] = "acme"
	return d.iss.Sign("ES256", c)
}

// proxy returns the proxy handler in front of the demo upstream.
func (d *demo) proxy(logf func(format string, args ...any)) http.Handler {
	u, _ := url.Parse(d.upstream.URL)
	return newProxy(proxyOptions{
		Upstream:  u,
		Transport: d.upstream.Client().Transport,
		Auth:      d.cache,
		Extra:     true,
		OnError: func(r *http.Request, err error) {
			var je *jwtauth.Error
			if errors.As(err, &je) {
				logf("refused %s %s: check %s: %v", r.Method, r.URL.Path, je.Check, err)
				return
			}
			logf("refused %s %s: %v", r.Method, r.URL.Path, err)
		},
	})
}

// echoIdentity is the demo upstream: it answers with the identity headers
// it received, sorted, and whether a token reached it.
func echoIdentity() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var lines []string
		for name, vals := range r.Header {
			if isIdentityHeader(name) {
				for _, v := range vals {
					lines = append(lines, name+": "+v)
				}
			}
		}
		slices.Sort(lines)
		if r.Header.Get("Authorization") != "" {
			lines = append(lines, "Authorization: present")
		}
		_, _ = io.WriteString(w, strings.Join(lines, "\n"))
	})
}

func run(ctx context.Context, out io.Writer, serve bool, addr string) error {
	d, err := newDemo(ctx)
	if err != nil {
		return err
	}
	defer d.Close()
	logf := func(format string, args ...any) { fmt.Fprintf(out, "  proxy log: "+format+"\n", args...) }
	proxy := httptest.NewTLSServer(d.proxy(logf))
	defer proxy.Close()

	good, err := d.token("jane", []string{"dev", "ops"}, time.Hour)
	if err != nil {
		return err
	}
	expired, err := d.token("jane", []string{"dev"}, -time.Minute)
	if err != nil {
		return err
	}
	requests := []struct {
		what    string
		headers [][2]string
	}{
		{"a valid token", [][2]string{{"Authorization", "Bearer " + good}}},
		{"the same token again (a cache hit)", [][2]string{{"Authorization", "bearer " + good}}},
		{"a valid token with spoofed identity headers", [][2]string{{"Authorization", "Bearer " + good},
			{"X-Remote-User", "system:admin"}, {"X-Remote-Group", "system:masters"}, {"X_Remote_Group", "system:masters"},
			{"X-Remote-Extra-Scopes", "all"}}},
		{"an expired token", [][2]string{{"Authorization", "Bearer " + expired}}},
		{"a forged token", [][2]string{{"Authorization", "Bearer " + good[:len(good)-6] + "AAAAAA"}}},
		{"no token, spoofed headers only", [][2]string{{"X-Remote-User", "system:admin"}}},
		{"two Authorization headers", [][2]string{{"Authorization", "Bearer " + good}, {"Authorization", "Bearer " + good}}},
	}
	fmt.Fprintf(out, "issuer %s, upstream %s, proxy %s (all in-process)\n", d.iss.URL, d.upstream.URL, proxy.URL)
	for _, rq := range requests {
		fmt.Fprintf(out, "\n%s:\n", rq.what)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, proxy.URL+"/api/things", nil)
		if err != nil {
			return err
		}
		for _, h := range rq.headers {
			req.Header.Add(h[0], h[1])
		}
		status, challenge, body, err := do(proxy.Client(), req)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "  %s\n", status)
		if challenge != "" {
			fmt.Fprintf(out, "  WWW-Authenticate: %s\n", challenge)
		}
		if strings.HasPrefix(status, "200") {
			fmt.Fprintf(out, "  upstream saw:\n    %s\n", strings.ReplaceAll(body, "\n", "\n    "))
		}
	}
	st := d.cache.Stats()
	fmt.Fprintf(out, "\ntoken cache: %d hits, %d misses, %d entries\n", st.Hits, st.Misses, st.Entries)
	if !serve {
		return nil
	}
	return serveUntilDone(ctx, out, d, addr, good)
}

func do(c *http.Client, req *http.Request) (status, challenge, body string, err error) {
	resp, err := c.Do(req)
	if err != nil {
		return "", "", "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	return resp.Status, resp.Header.Get("WWW-Authenticate"), string(b), err
}

// serveUntilDone serves the proxy on addr until ctx ends.
func serveUntilDone(ctx context.Context, out io.Writer, d *demo, addr, token string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           d.proxy(func(format string, args ...any) { log.Printf(format, args...) }),
		ReadHeaderTimeout: 10 * time.Second,
	}
	fmt.Fprintf(out, "\nserving on http://%s (Ctrl-C to stop); try:\n  curl -H 'Authorization: Bearer %s' http://%s/\n", ln.Addr(), token, ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}
