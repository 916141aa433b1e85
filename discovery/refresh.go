package discovery

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// runRefresh is Run's second phase: it refreshes the key set whenever
// its cache lifetime is over, until ctx ends. It waits while no set has
// been fetched, so keys stay lazy as in kube-apiserver.
func (p *Provider) runRefresh(ctx context.Context) {
	// Since Go 1.23 a stopped timer's channel never delivers a stale
	// value, so Stop and Reset need no draining.
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()

	var failedOn *KeySet // the set a failing refresh tried to replace
	failures := 0
	for {
		p.mu.Lock()
		ks, changed := p.keys.Load(), p.keysChanged
		p.mu.Unlock()

		var wait time.Duration
		switch {
		case ks == nil:
			// Until the first set arrives.
			select {
			case <-ctx.Done():
				return
			case <-changed:
			}
			continue
		case failures > 0 && ks == failedOn:
			wait = p.retryDelay(failures)
		default:
			failures = 0
			wait = ks.fetchedAt.Add(ks.refreshIn).Sub(p.now())
		}
		if wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				return
			case <-changed:
				// A new set (from any fetch) reschedules.
				timer.Stop()
				continue
			case <-timer.C:
			}
		}
		if p.keys.Load() != ks {
			continue
		}
		doc, ok := p.Document()
		if !ok {
			return // unreachable: Run discovers first
		}
		if _, _, err := p.fetchKeys(ctx, doc, modeScheduled, ""); err != nil {
			if ctx.Err() != nil {
				return
			}
			failedOn = ks
			failures++
		}
	}
}

// retryDelay is the wait before the n-th retry (n >= 1) of a failed
// background refresh: MinRefreshInterval doubling up to MinCacheTTL (or
// MinRefreshInterval, if larger), in the last 10% of that, as jitter.
func (p *Provider) retryDelay(n int) time.Duration {
	limit := max(p.minTTL, p.minRefresh)
	d := p.minRefresh
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	return jitter(min(d, limit))
}

// jitter returns a uniformly random duration in [0.9·d, d], so that
// replicas started together spread their fetches, and a refresh is never
// later than the issuer allowed.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return d
	}
	return d - rand.N(d/10+1)
}

// cacheTTL is how long a JWKS response may be used before Run refreshes
// it: its Cache-Control max-age less its Age (RFC 9111 §4.2), clamped to
// [minTTL, maxTTL]. no-cache, no-store, max-age=0 or an invalid max-age
// mean minTTL; no max-age means maxTTL. Expires is not read: every issuer
// we know sends Cache-Control.
func cacheTTL(h http.Header, minTTL, maxTTL time.Duration) time.Duration {
	maxAge, ok := parseMaxAge(h.Values("Cache-Control"))
	if !ok {
		return maxTTL
	}
	if age, err := strconv.ParseInt(strings.TrimSpace(h.Get("Age")), 10, 64); err == nil && age > 0 {
		maxAge -= age
	}
	const maxSeconds = int64(1<<63-1) / int64(time.Second)
	ttl := time.Duration(min(max(maxAge, 0), maxSeconds)) * time.Second
	return min(max(ttl, minTTL), maxTTL)
}

// parseMaxAge returns the smallest max-age in the Cache-Control values,
// in seconds, treating no-cache, no-store and unparsable max-age values
// as 0; ok is false when there is no such directive.
func parseMaxAge(values []string) (seconds int64, ok bool) {
	seconds = -1
	take := func(s int64) {
		if seconds < 0 || s < seconds {
			seconds = s
		}
	}
	for _, v := range values {
		for d := range strings.SplitSeq(v, ",") {
			name, arg, _ := strings.Cut(strings.TrimSpace(d), "=")
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "no-cache", "no-store":
				take(0)
			case "max-age":
				n, err := strconv.ParseInt(strings.Trim(strings.TrimSpace(arg), `"`), 10, 64)
				switch {
				case err == nil && n >= 0:
					take(n)
				case errors.Is(err, strconv.ErrRange) && !strings.HasPrefix(strings.TrimSpace(arg), "-"):
					take(1<<63 - 1) // huge: clamped to the ceiling
				default:
					take(0) // RFC 9111 §4.2.1: invalid means stale
				}
			}
		}
	}
	return seconds, seconds >= 0
}
