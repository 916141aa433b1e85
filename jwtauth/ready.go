package jwtauth

import (
	"context"
	"fmt"
	"strings"
	"sync"
)

// Ready reports whether every issuer can verify tokens: its discovery
// document has been fetched and it holds keys that are not stale. It
// fetches what is missing, for all issuers concurrently, each bounded by
// ctx and by the fetch timeout, and then returns nil or a *ReadyError
// naming every issuer that is not ready and why. Once everything is
// fetched, Ready does no I/O, so it suits a readiness probe; after a
// failure, key fetches are rate-limited (Options.MinRefreshInterval)
// while the discovery document is fetched on every call until it
// succeeds.
//
// kube-apiserver has no readiness check for JWT authenticators, and its
// health check covers discovery only; Ready also covers the keys, which
// it fetches eagerly (Authenticate fetches them lazily, as kube-apiserver
// does). Tokens never wait for Ready: until an issuer is ready, its tokens
// fail with ErrNotReady (no discovery document) or ErrKeys (no keys).
func (a *Authenticator) Ready(ctx context.Context) error {
	errs := make([]error, len(a.issuers))
	var wg sync.WaitGroup
	for i, ia := range a.issuers {
		wg.Go(func() { errs[i] = ia.ready(ctx) })
	}
	wg.Wait()
	var re ReadyError
	for i, err := range errs {
		if err != nil {
			ia := a.issuers[i]
			re.Issuers = append(re.Issuers, IssuerError{Issuer: ia.url, Authenticator: ia.index, Err: err})
		}
	}
	if len(re.Issuers) == 0 {
		return nil
	}
	re.total = len(a.issuers)
	return &re
}

// ready fetches the issuer's document and keys if needed.
func (ia *issuerAuthenticator) ready(ctx context.Context) error {
	if _, err := ia.provider.Discover(ctx); err != nil {
		return err
	}
	_, err := ia.provider.Keys(ctx)
	return err
}

// ReadyError is returned by Authenticator.Ready: the issuers that are not
// ready, in configuration order. errors.Is(err, ErrNotReady) is true, and
// errors.Is and errors.As also see each issuer's cause (for example
// discovery.ErrIssuerMismatch or discovery.ErrStaleKeys).
type ReadyError struct {
	Issuers []IssuerError
	total   int
}

// IssuerError is why one issuer is not ready.
type IssuerError struct {
	// Issuer is the configured issuer.url.
	Issuer string
	// Authenticator is its index in the jwt list.
	Authenticator int
	// Err is the discovery or key fetch error.
	Err error
}

func (e *ReadyError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "jwtauth: %d of %d issuers not ready", len(e.Issuers), max(e.total, len(e.Issuers)))
	for _, ie := range e.Issuers {
		fmt.Fprintf(&b, "; jwt[%d] issuer %q: %v", ie.Authenticator, ie.Issuer, ie.Err)
	}
	return b.String()
}

// Is makes errors.Is(err, ErrNotReady) true.
func (e *ReadyError) Is(target error) bool { return target == ErrNotReady }

// Unwrap returns each issuer's cause.
func (e *ReadyError) Unwrap() []error {
	out := make([]error, len(e.Issuers))
	for i, ie := range e.Issuers {
		out[i] = ie.Err
	}
	return out
}
