package discovery

import "time"

// FetchKind says what a fetch was for.
type FetchKind string

// The kinds of fetch.
const (
	FetchDiscovery FetchKind = "discovery"
	FetchJWKS      FetchKind = "jwks"
)

// FetchTrigger says why a fetch was made.
type FetchTrigger string

// The triggers of a fetch. Discovery fetches are always FetchInitial.
const (
	// FetchInitial: the first fetch of the document or the keys (Discover,
	// Keys, or readiness checks built on them).
	FetchInitial FetchTrigger = "initial"
	// FetchScheduled: Run's background refresh, or its retry after a
	// failed refresh.
	FetchScheduled FetchTrigger = "scheduled"
	// FetchUnknownKID: RefreshKeysFor, for a token whose kid the set lacks.
	FetchUnknownKID FetchTrigger = "unknown-kid"
	// FetchRefresh: an explicit RefreshKeys.
	FetchRefresh FetchTrigger = "refresh"
	// FetchRetry: Keys retrying after a failed first fetch, or because
	// the set is older than Config.MaxStaleness.
	FetchRetry FetchTrigger = "retry"
)

// FetchEvent reports one discovery or JWKS request to
// Config.FetchObserver. Issuer, Kind, Trigger and Result have few
// values and suit metric labels; Err's text names remote URLs and must
// not be one.
type FetchEvent struct {
	// Issuer is Config.IssuerURL (configured, never taken from a token).
	Issuer  string
	Kind    FetchKind
	Trigger FetchTrigger
	// Err is nil when the fetch succeeded. A successful fetch may still
	// leave the key set unchanged: see ErrNoUsableKeys.
	Err error
	// Duration is the time from sending the request to having parsed
	// the response, by the runtime clock.
	Duration time.Duration
	// StatusCode is the HTTP status of the final response, 0 when there
	// was none (connection, TLS or redirect failure, timeout).
	StatusCode int
	// Keys is the number of usable keys in a JWKS fetched without error;
	// Skipped, the number of JWKs left out (see KeySet.Skipped).
	Keys, Skipped int
}

// Result is "ok" or "error".
func (e FetchEvent) Result() string {
	if e.Err == nil {
		return "ok"
	}
	return "error"
}

// observe reports a fetch to the configured observer, if any.
func (p *Provider) observe(kind FetchKind, trigger FetchTrigger, start time.Time, status int, ks *KeySet, err error) {
	if p.observer == nil {
		return
	}
	ev := FetchEvent{
		Issuer:     p.issuerURL,
		Kind:       kind,
		Trigger:    trigger,
		Err:        err,
		Duration:   time.Since(start),
		StatusCode: status,
	}
	if ks != nil {
		ev.Keys, ev.Skipped = ks.Len(), len(ks.skipped)
	}
	p.observer(ev)
}
