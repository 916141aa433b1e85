package jwtauth

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"

	"github.com/structauth/structauth/claims"
	"github.com/structauth/structauth/discovery"
	"github.com/structauth/structauth/internal/jose"
)

// maxDistributedIssuers bounds how many distinct issuers of distributed
// claim JWTs one authenticator will discover and remember.
const maxDistributedIssuers = 16

// distributedResolver resolves a distributed groups claim (OpenID Connect
// Core 1.0 §5.6.2) as kube-apiserver does: only for the claim named by
// claimMappings.groups.claim, only when that claim is absent from the
// token, and only for sources with an endpoint (aggregated claims are
// ignored). The endpoint returns a JWT whose issuer is discovered on
// first use and which must pass the same checks as a token (algorithm,
// signature, registered claims, audience, exp, nbf).
type distributedResolver struct {
	claim  string
	client *http.Client

	mu        sync.Mutex
	verifiers map[string]*issuerAuthenticator
}

func (ia *issuerAuthenticator) expandDistributedClaims(ctx context.Context, cs *claims.Set) error {
	r := ia.distributed
	if r == nil || cs.Has(r.claim) {
		return nil
	}
	rawNames, ok := cs.Raw("_claim_names")
	if !ok {
		return nil
	}
	var names map[string]string
	if err := json.Unmarshal(rawNames, &names); err != nil {
		return ia.distErr("error parsing distributed claim names").wrap(err)
	}
	rawSources, ok := cs.Raw("_claim_sources")
	if !ok {
		return ia.distErr("no claim sources")
	}
	var sources map[string]struct {
		Endpoint    string `json:"endpoint"`
		AccessToken string `json:"access_token"`
		JWT         string `json:"JWT"`
	}
	if err := json.Unmarshal(rawSources, &sources); err != nil {
		return ia.distErr("could not parse claim sources").wrap(err)
	}
	src, ok := names[r.claim]
	if !ok {
		return nil
	}
	ep, ok := sources[src]
	if !ok {
		return ia.distErr("id token _claim_names contained a source %s missing in _claim_sources", truncate(src, 64))
	}
	if ep.Endpoint == "" {
		// An aggregated claim (a JWT embedded in the token): not supported
		// by kube-apiserver either, and silently ignored there.
		return nil
	}
	token, err := r.fetch(ctx, ep.Endpoint, ep.AccessToken, ia.maxToken)
	if err != nil {
		return ia.distErr("while getting distributed claim %q", r.claim).wrap(err)
	}
	value, derr := ia.verifyDistributed(ctx, token)
	if derr != nil {
		return derr
	}
	raw, ok := value.Raw(r.claim)
	if !ok {
		return ia.distErr("jwt returned by distributed claim endpoint %q did not contain claim: %s", ep.Endpoint, r.claim)
	}
	cs.Replace(r.claim, raw)
	return nil
}

func (ia *issuerAuthenticator) distErr(format string, args ...any) *Error {
	return newError(CheckDistributed, ErrDistributedClaims, "could not expand distributed claims: "+format, args...).at(ia)
}

// fetch GETs the endpoint with the access token as a bearer token and
// returns the body, which must be at most max bytes and a 2xx (200-226).
func (r *distributedResolver) fetch(ctx context.Context, endpoint, accessToken string, max int) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil || u.Scheme != "https" {
		return "", fmt.Errorf("endpoint must be an https URL")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint, nil)
	if err != nil {
		return "", err
	}
	if accessToken != "" {
		req.Header.Set("Authorization", "Bearer "+accessToken)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode < http.StatusOK || resp.StatusCode > http.StatusIMUsed {
		return "", fmt.Errorf("error while getting distributed claim JWT: %s", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, int64(max)+1))
	if err != nil {
		return "", fmt.Errorf("could not read distributed claim response")
	}
	if len(body) > max {
		return "", fmt.Errorf("distributed claim response is above %d bytes", max)
	}
	return string(body), nil
}

// verifyDistributed checks a distributed-claim JWT with a verifier for
// its own issuer and returns its claims.
func (ia *issuerAuthenticator) verifyDistributed(ctx context.Context, token string) (*claims.Set, *Error) {
	jws, err := jose.ParseCompact(strings.TrimSpace(token))
	if err != nil {
		return nil, ia.distErr("distributed claim token is malformed").wrap(err)
	}
	cs, err := claims.Parse(jws.Payload)
	if err != nil {
		return nil, ia.distErr("distributed claim token is malformed").wrap(err)
	}
	iss, err := cs.String("iss")
	if err != nil {
		return nil, ia.distErr("distributed claim token has no string iss")
	}
	v, verr := ia.distributed.verifier(iss, ia)
	if verr != nil {
		return nil, ia.distErr("verifying untrusted issuer %q failed", truncate(iss, 256)).wrap(verr)
	}
	if err := v.verify(ctx, jws, cs, ia.now()); err != nil {
		return nil, ia.distErr("verify distributed claim token").wrap(err)
	}
	return cs, nil
}

// verifier returns the (cached) verifier for a distributed-claim issuer:
// the same audiences and checks as the parent, the issuer's own keys.
func (r *distributedResolver) verifier(iss string, parent *issuerAuthenticator) (*issuerAuthenticator, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if v, ok := r.verifiers[iss]; ok {
		return v, nil
	}
	if len(r.verifiers) >= maxDistributedIssuers {
		return nil, fmt.Errorf("too many distinct distributed claim issuers (limit %d)", maxDistributedIssuers)
	}
	u, err := url.Parse(iss)
	if err != nil || u.Scheme != "https" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("issuer must be an https URL without user info, query or fragment")
	}
	p, err := discovery.New(discovery.Config{IssuerURL: iss, HTTPClient: r.client})
	if err != nil {
		return nil, err
	}
	v := &issuerAuthenticator{
		index:           parent.index,
		url:             iss,
		cfg:             parent.cfg,
		audiences:       parent.audiences,
		sortedAudiences: parent.sortedAudiences,
		provider:        p,
		now:             parent.now,
		maxToken:        parent.maxToken,
	}
	r.verifiers[iss] = v
	return v, nil
}
