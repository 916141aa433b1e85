package jwtauth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/structauth/structauth/discovery"
	"github.com/structauth/structauth/jwtauth"
	"github.com/structauth/structauth/jwtauth/jwtauthtest"
	"github.com/structauth/structauth/jwtauth/reload"
)

// soakFlag lengthens TestSoak: go test -run TestSoak ./jwtauth -soak=5m
// (or STRUCTAUTH_SOAK=5m). The default is a few seconds, for CI.
var soakFlag = flag.Duration("soak", 0, "duration of TestSoak (default 3s, or $STRUCTAUTH_SOAK)")

func soakDuration(t *testing.T) time.Duration {
	if *soakFlag > 0 {
		return *soakFlag
	}
	if v := os.Getenv("STRUCTAUTH_SOAK"); v != "" {
		d, err := time.ParseDuration(v)
		require.NoError(t, err, "STRUCTAUTH_SOAK")
		return d
	}
	return 3 * time.Second
}

// soakKind is what a soak token is meant to be.
type soakKind int

const (
	soakValid      soakKind = iota
	soakForged              // a valid token with one signature character changed
	soakForeignKey          // signed by a key the issuer never published, with a published kid
	soakUnknownKID          // signed by the issuer's key under a kid it never published
	soakExpired             // validly signed, exp ten minutes ago
	soakKinds
)

var soakKindNames = [soakKinds]string{"valid", "forged", "foreign-key", "unknown-kid", "expired"}

// soakTokens is one generation of pre-minted tokens, re-minted after
// each key rotation (eager rotation: the new keys sign at once, before
// any verifier has fetched them).
type soakTokens struct {
	gen    int
	tokens [soakKinds][]string
}

// soakCounters are the soak's outcome counters.
type soakCounters struct {
	mu           sync.Mutex
	calls        [soakKinds]int
	accepted     [soakKinds]int
	byCheck      [soakKinds]map[jwtauth.Check]int
	fetches      map[string]int
	falseAccepts []string
	badRejects   []string
	// buckets marks each soakBucket-long interval of the run in which a
	// valid token was rejected (a documented window).
	buckets map[int64]bool
}

// soakBucket is the resolution at which windows of valid-token rejections
// are measured.
const soakBucket = 100 * time.Millisecond

func (c *soakCounters) record(kind soakKind, u *jwtauth.User, err error, wantUser string, at time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls[kind]++
	if err == nil {
		c.accepted[kind]++
		if kind != soakValid {
			c.falseAccepts = append(c.falseAccepts, soakKindNames[kind])
		} else if u == nil || u.Username != wantUser {
			c.badRejects = append(c.badRejects, "valid token mapped to the wrong user")
		}
		return
	}
	var je *jwtauth.Error
	check := jwtauth.Check("no *jwtauth.Error")
	if errors.As(err, &je) {
		check = je.Check
	}
	if c.byCheck[kind] == nil {
		c.byCheck[kind] = map[jwtauth.Check]int{}
	}
	c.byCheck[kind][check]++
	if kind == soakValid {
		c.buckets[int64(at/soakBucket)] = true
	}
	if kind == soakValid && !soakWindow(err, check) && len(c.badRejects) < 10 {
		c.badRejects = append(c.badRejects, fmt.Sprintf("valid token rejected outside a documented window: %v", err))
	}
}

// soakWindow reports whether a valid token's rejection is one of the
// documented windows: its kid is not in the verifier's key set yet
// (eager rotation, refreshes rate-limited by MinRefreshInterval) or no
// longer (abrupt rotation), or the issuer's keys cannot be fetched.
func soakWindow(err error, check jwtauth.Check) bool {
	switch check {
	case jwtauth.CheckSignature:
		return errors.Is(err, jwtauth.ErrUnknownKey)
	case jwtauth.CheckKeys, jwtauth.CheckReady:
		return true
	}
	return false
}

func TestSoak(t *testing.T) {
	duration := soakDuration(t)
	iss, err := jwtauthtest.NewIssuer(jwtauthtest.IssuerOptions{Path: "/soak"})
	require.NoError(t, err)
	defer iss.Close()
	client := iss.Client()
	foreign, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)

	cfg := iss.Authenticator("soak-api")
	cfg.Issuer.CertificateAuthority = "" // trust through Options.HTTPClient
	cfg.ClaimMappings.Username = jwtauth.PrefixedClaimOrExpression{Expression: "'soak:' + claims.sub"}
	cfg.ClaimMappings.Groups = jwtauth.PrefixedClaimOrExpression{Expression: "dyn(claims.groups).map(g, 'oidc:' + g)"}
	cfg.ClaimValidationRules = []jwtauth.ClaimValidationRule{{Expression: "claims.?tier.orValue('') != 'blocked'", Message: "blocked"}}
	conf := &jwtauth.AuthenticationConfiguration{APIVersion: jwtauth.APIVersionV1, Kind: jwtauth.Kind, JWT: []jwtauth.JWTAuthenticator{cfg}}

	counters := &soakCounters{fetches: map[string]int{}, buckets: map[int64]bool{}}
	opts := jwtauth.Options{
		HTTPClient:         client,
		MinRefreshInterval: 50 * time.Millisecond,
		MinCacheTTL:        100 * time.Millisecond,
		MaxCacheTTL:        300 * time.Millisecond,
		MaxStaleness:       time.Minute,
		UnknownKIDTTL:      200 * time.Millisecond,
		FetchObserver: func(e discovery.FetchEvent) {
			counters.mu.Lock()
			counters.fetches[string(e.Kind)+" "+e.Result()]++
			counters.mu.Unlock()
		},
	}

	// Goroutines before any Authenticator exists (the issuer's server is
	// already running).
	goroutinesBefore := runtime.NumGoroutine()

	// The configuration lives in a file served by reload.Authenticator,
	// as in production; each rebuild rewrites it with a new rule message
	// (new content, same policy) and asks for an immediate reload.
	cfgPath := filepath.Join(t.TempDir(), "authentication-config.json")
	writeConfig := func(gen int64) {
		conf.JWT[0].ClaimValidationRules[0].Message = fmt.Sprintf("blocked (generation %d)", gen)
		data, err := json.Marshal(conf)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(cfgPath, data, 0o600))
	}

	mint := func(gen int) (*soakTokens, error) {
		st := &soakTokens{gen: gen}
		now := time.Now()
		algs := []string{"RS256", "ES256", "PS256", "ES384"}
		for n := range 8 {
			alg := algs[n%len(algs)]
			c := map[string]any{"iss": iss.URL, "aud": "soak-api", "sub": fmt.Sprintf("u%d", n),
				"exp": now.Add(time.Hour).Unix(), "iat": now.Unix(), "groups": []string{"a", "b"}}
			tok, err := iss.Sign(alg, c)
			if err != nil {
				return nil, err
			}
			st.tokens[soakValid] = append(st.tokens[soakValid], tok)
			// Change one character in the middle of the signature, to
			// another base64url character.
			b := []byte(tok)
			i := len(b) - 12
			if b[i] == 'A' {
				b[i] = 'B'
			} else {
				b[i] = 'A'
			}
			st.tokens[soakForged] = append(st.tokens[soakForged], string(b))
			tok, err = iss.SignWith(jwtauthtest.SignOptions{Alg: "ES256", Signer: foreign}, c)
			if err != nil {
				return nil, err
			}
			st.tokens[soakForeignKey] = append(st.tokens[soakForeignKey], tok)
			tok, err = iss.SignWith(jwtauthtest.SignOptions{Alg: alg, KeyID: fmt.Sprintf("unknown-%d-%d", gen, n)}, c)
			if err != nil {
				return nil, err
			}
			st.tokens[soakUnknownKID] = append(st.tokens[soakUnknownKID], tok)
			e := map[string]any{"iss": iss.URL, "aud": "soak-api", "sub": fmt.Sprintf("u%d", n), "exp": now.Add(-10 * time.Minute).Unix()}
			tok, err = iss.Sign(alg, e)
			if err != nil {
				return nil, err
			}
			st.tokens[soakExpired] = append(st.tokens[soakExpired], tok)
		}
		return st, nil
	}

	ctx := context.Background()
	writeConfig(0)
	live, err := reload.New(ctx, cfgPath, reload.Options{Auth: opts, Interval: -1, ReadyTimeout: 2 * time.Second})
	require.NoError(t, err)
	require.NoError(t, live.Status().LastError)
	var pool atomic.Pointer[soakTokens]
	tokens, err := mint(0)
	require.NoError(t, err)
	pool.Store(tokens)

	// Warm up, then take the heap baseline with one live Authenticator.
	for _, tok := range pool.Load().tokens[soakValid] {
		_, err := live.Authenticate(ctx, tok)
		require.NoError(t, err)
	}
	heapBefore := soakHeap()

	stop, stopTickers := make(chan struct{}), make(chan struct{})
	// faultTickers (JWKS faults, key rotations) stop before the endpoint
	// is healed; reloadTicker may be waiting up to ReadyTimeout for a new
	// configuration, so it is waited for after the healing.
	var wg, faultTickers, reloadTicker sync.WaitGroup
	var reloads, failedReloads, rotations, faults atomic.Int64

	start := time.Now()
	// Workers: 4 per CPU, each cycling through the kinds (60 % valid).
	workers := 4 * runtime.GOMAXPROCS(0)
	schedule := []soakKind{soakValid, soakValid, soakForged, soakValid, soakUnknownKID, soakValid, soakForeignKey, soakValid, soakExpired, soakValid}
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := w; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				kind := schedule[n%len(schedule)]
				toks := pool.Load().tokens[kind]
				i := n % len(toks)
				u, err := live.Authenticate(ctx, toks[i])
				counters.record(kind, u, err, fmt.Sprintf("soak:u%d", i), time.Since(start))
			}
		}()
	}

	// JWKS faults: the endpoint changes behaviour every 150 ms.
	faultModes := []http.HandlerFunc{
		nil, // the real key set
		jwtauthtest.FlapFault(iss.KeysHandler(), jwtauthtest.StatusFault(http.StatusInternalServerError)),
		jwtauthtest.StatusFault(http.StatusServiceUnavailable),
		jwtauthtest.DelayFault(80*time.Millisecond, iss.KeysHandler()),
		jwtauthtest.GarbageFault(),
		jwtauthtest.EmptySetFault(),
		jwtauthtest.FlapFault(jwtauthtest.StatusFault(http.StatusBadGateway), iss.KeysHandler(), iss.KeysHandler()),
	}
	ticker := func(group *sync.WaitGroup, every time.Duration, f func()) {
		group.Add(1)
		go func() {
			defer group.Done()
			tk := time.NewTicker(every)
			defer tk.Stop()
			for {
				select {
				case <-stopTickers:
					return
				case <-tk.C:
					f()
				}
			}
		}()
	}
	ticker(&faultTickers, 150*time.Millisecond, func() {
		n := faults.Add(1)
		iss.SetJWKSHandler(faultModes[int(n)%len(faultModes)])
	})
	// Key rotation: alternately graceful (old keys stay published) and
	// abrupt (old keys removed), then re-mint at once.
	ticker(&faultTickers, 700*time.Millisecond, func() {
		n := rotations.Add(1)
		if err := iss.RotateKeys(n%2 == 1); err != nil {
			t.Errorf("RotateKeys: %v", err)
			return
		}
		tokens, err := mint(int(n))
		if err != nil {
			t.Errorf("minting tokens: %v", err)
			return
		}
		pool.Store(tokens)
	})
	// Configuration reloads through the reload package: the new
	// Authenticator is swapped in once Ready, the old one closed when its
	// last in-flight call returns; a reload whose keys cannot be fetched in
	// time keeps the old one serving.
	var gens atomic.Int64
	reloadNow := func() bool {
		writeConfig(gens.Add(1))
		if err := live.Reload(ctx); err != nil {
			failedReloads.Add(1)
			return false
		}
		reloads.Add(1)
		return true
	}
	ticker(&reloadTicker, 400*time.Millisecond, func() { reloadNow() })

	time.Sleep(duration)
	// Stop the faults, rotations and reloads; reload once more with a
	// healthy endpoint while the workers still run (so that every run
	// swaps at least once under load), then stop the workers.
	close(stopTickers)
	faultTickers.Wait()
	iss.SetJWKSHandler(nil)
	reloadTicker.Wait()
	require.True(t, reloadNow(), "reload with a healthy JWKS endpoint")
	time.Sleep(100 * time.Millisecond)
	close(stop)
	wg.Wait()
	elapsed := time.Since(start)
	require.Equal(t, reloads.Load()+1, int64(live.Status().Generation), "every successful reload swapped once")

	heapAfter := soakHeap()
	require.NoError(t, live.Close())
	client.CloseIdleConnections()
	goroutinesAfter := soakSettle(goroutinesBefore, 5*time.Second)

	// Report.
	counters.mu.Lock()
	defer counters.mu.Unlock()
	total := 0
	for k := range soakKinds {
		total += counters.calls[k]
	}
	t.Logf("soak: %v, %d workers, %d tokens, %.0f tokens/s", elapsed.Round(time.Millisecond), workers, total, float64(total)/elapsed.Seconds())
	for k := range soakKinds {
		t.Logf("  %-12s calls=%d accepted=%d rejected by check: %s", soakKindNames[k], counters.calls[k], counters.accepted[k], soakFormat(counters.byCheck[k]))
	}
	t.Logf("  JWKS/discovery fetches: %s", soakFormat(counters.fetches))
	t.Logf("  JWKS requests served: %d, fault switches: %d, key rotations: %d, reloads: %d (failed: %d)",
		iss.JWKSRequests(), faults.Load(), rotations.Load(), reloads.Load(), failedReloads.Load())
	t.Logf("  goroutines before=%d after=%d; heap before=%d KiB after=%d KiB", goroutinesBefore, goroutinesAfter, heapBefore>>10, heapAfter>>10)
	windowed, longest := soakWindows(counters.buckets)
	t.Logf("  valid-token rejection windows: %d of %d intervals of %v, longest %v",
		windowed, int64(elapsed/soakBucket)+1, soakBucket, longest)

	require.Empty(t, counters.falseAccepts, "false accepts")
	require.Empty(t, counters.badRejects, "valid tokens rejected outside the documented windows")
	for k := range soakKinds {
		require.NotZero(t, counters.calls[k], "no %s tokens were tried", soakKindNames[k])
	}
	require.NotZero(t, counters.accepted[soakValid], "no valid token was accepted")
	require.NotZero(t, reloads.Load(), "the configuration was never rebuilt")
	require.NotZero(t, rotations.Load(), "the keys never rotated")
	require.LessOrEqual(t, goroutinesAfter, goroutinesBefore, "goroutines leaked")
	// A rotated key is fetched at most MinRefreshInterval after a token
	// needs it, once the endpoint answers; the longest run of faulty
	// endpoint modes is a few hundred milliseconds.
	require.Less(t, longest, 3*time.Second, "a valid-token rejection window lasted too long")
	// Heap: the same number of live objects (one Authenticator, one
	// token pool) before and after; allow for allocator noise.
	require.Less(t, int64(heapAfter)-int64(heapBefore), int64(16<<20), "heap grew")
}

// soakWindows counts the intervals with valid-token rejections and
// returns the longest run of consecutive ones.
func soakWindows(buckets map[int64]bool) (int, time.Duration) {
	idx := make([]int64, 0, len(buckets))
	for b := range buckets {
		idx = append(idx, b)
	}
	sort.Slice(idx, func(i, j int) bool { return idx[i] < idx[j] })
	longest, run := 0, 0
	for i, b := range idx {
		if i > 0 && b == idx[i-1]+1 {
			run++
		} else {
			run = 1
		}
		longest = max(longest, run)
	}
	return len(idx), time.Duration(longest) * soakBucket
}

// soakHeap returns the live heap after two collections.
func soakHeap() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// soakSettle waits up to limit for the goroutine count to fall to want
// (connections and timers wind down asynchronously) and returns the last
// count.
func soakSettle(want int, limit time.Duration) int {
	deadline := time.Now().Add(limit)
	for {
		n := runtime.NumGoroutine()
		if n <= want || time.Now().After(deadline) {
			return n
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func soakFormat[K ~string](m map[K]int) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, string(k))
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s=%d", k, m[K(k)])
	}
	return b.String()
}
