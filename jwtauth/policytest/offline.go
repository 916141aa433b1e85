package policytest

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/structauth/structauth/jwtauth"
	"github.com/structauth/structauth/jwtauth/jwtauthtest"
)

// offlineNet stands in for the configured issuers: one in-process
// jwtauthtest.Issuer per jwt entry (only when a case needs Authenticate),
// serving its own keys or the file-level jwks, reached
// through an HTTP client that routes each entry's discovery URL to its
// fake and refuses every other request.
type offlineNet struct {
	fakes []*jwtauthtest.Issuer
	// byIssuer maps a configured issuer URL to its fake.
	byIssuer map[string]*jwtauthtest.Issuer
	// byDiscovery maps a configured discovery URL to its fake.
	byDiscovery map[string]*jwtauthtest.Issuer
	// byHost maps a fake's host:port to it (for its JWKS URL).
	byHost map[string]*jwtauthtest.Issuer
}

// jwks holds key sets to serve instead of the fakes' own, by issuer URL.
func newOfflineNet(cfg *jwtauth.AuthenticationConfiguration, withFakes bool, jwks map[string][]byte) (*offlineNet, error) {
	n := &offlineNet{
		byIssuer:    map[string]*jwtauthtest.Issuer{},
		byDiscovery: map[string]*jwtauthtest.Issuer{},
		byHost:      map[string]*jwtauthtest.Issuer{},
	}
	if !withFakes {
		return n, nil
	}
	for _, a := range cfg.JWT {
		f, err := jwtauthtest.NewIssuer(jwtauthtest.IssuerOptions{DiscoveryIssuer: a.Issuer.URL})
		if err != nil {
			n.close()
			return nil, fmt.Errorf("cannot start an in-process issuer: %w", err)
		}
		n.fakes = append(n.fakes, f)
		n.byIssuer[a.Issuer.URL] = f
		if keys, ok := jwks[a.Issuer.URL]; ok {
			f.SetJWKSHandler(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write(keys)
			})
		}
		d := a.Issuer.DiscoveryURL
		if d == "" {
			d = strings.TrimSuffix(a.Issuer.URL, "/") + "/.well-known/openid-configuration"
		}
		n.byDiscovery[d] = f
		u, err := url.Parse(f.ServerURL())
		if err != nil {
			n.close()
			return nil, err
		}
		n.byHost[u.Host] = f
	}
	return n, nil
}

func (n *offlineNet) close() {
	for _, f := range n.fakes {
		f.Close()
	}
}

// sign mints a token with the fake of the claims' issuer; a token whose
// issuer is not configured is signed by the first fake (any key will do:
// it is rejected before its signature is checked).
func (n *offlineNet) sign(alg string, claims map[string]any) (string, error) {
	iss, _ := claims["iss"].(string)
	f := n.byIssuer[iss]
	if f == nil {
		if len(n.fakes) == 0 {
			return "", fmt.Errorf("the configuration has no issuer")
		}
		f = n.fakes[0]
	}
	return f.Sign(alg, claims)
}

func (n *offlineNet) client() *http.Client {
	return &http.Client{Transport: n}
}

// RoundTrip sends a configured discovery URL to its fake, a request to a
// fake's own address (its JWKS) to it, and refuses anything else.
func (n *offlineNet) RoundTrip(req *http.Request) (*http.Response, error) {
	u := *req.URL
	u.RawQuery, u.Fragment = "", ""
	if f := n.byDiscovery[u.String()]; f != nil {
		target, err := url.Parse(f.DiscoveryURL())
		if err != nil {
			return nil, err
		}
		r := req.Clone(req.Context())
		r.URL = target
		r.Host = target.Host
		return f.Client().Transport.RoundTrip(r)
	}
	if f := n.byHost[req.URL.Host]; f != nil {
		return f.Client().Transport.RoundTrip(req)
	}
	return nil, fmt.Errorf("policytest: no network access (request to %s refused)", req.URL.Redacted())
}
