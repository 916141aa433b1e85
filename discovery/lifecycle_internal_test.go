package discovery

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/structauth/structauth/internal/jose"
)

// security.md E31: Cache-Control is honoured within [floor, ceiling].
func TestCacheTTL(t *testing.T) {
	const floor, ceiling = time.Minute, time.Hour
	cases := []struct {
		name    string
		headers map[string][]string
		want    time.Duration
	}{
		{"no header: the ceiling", nil, ceiling},
		{"max-age within bounds", map[string][]string{"Cache-Control": {"public, max-age=300"}}, 5 * time.Minute},
		{"max-age=0: the floor", map[string][]string{"Cache-Control": {"max-age=0"}}, floor},
		{"no-store", map[string][]string{"Cache-Control": {"no-store"}}, floor},
		{"no-cache beats max-age", map[string][]string{"Cache-Control": {"max-age=600, no-cache"}}, floor},
		{"a year: the ceiling", map[string][]string{"Cache-Control": {"max-age=31536000"}}, ceiling},
		{"overflowing max-age: the ceiling", map[string][]string{"Cache-Control": {"max-age=99999999999999999999999"}}, ceiling},
		{"negative max-age: invalid, the floor", map[string][]string{"Cache-Control": {"max-age=-5"}}, floor},
		{"garbage max-age: the floor", map[string][]string{"Cache-Control": {"max-age=soon"}}, floor},
		{"quoted, upper case", map[string][]string{"Cache-Control": {`MAX-AGE="900"`}}, 15 * time.Minute},
		{"smallest of several", map[string][]string{"Cache-Control": {"max-age=900", "max-age=600"}}, 10 * time.Minute},
		{"s-maxage ignored", map[string][]string{"Cache-Control": {"s-maxage=60"}}, ceiling},
		{"Age is subtracted", map[string][]string{"Cache-Control": {"max-age=900"}, "Age": {"300"}}, 10 * time.Minute},
		{"Age beyond max-age: the floor", map[string][]string{"Cache-Control": {"max-age=900"}, "Age": {"3000"}}, floor},
		{"bad Age ignored", map[string][]string{"Cache-Control": {"max-age=900"}, "Age": {"x"}}, 15 * time.Minute},
		{"other directives only", map[string][]string{"Cache-Control": {"public, must-revalidate"}}, ceiling},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			for k, vs := range tc.headers {
				for _, v := range vs {
					h.Add(k, v)
				}
			}
			require.Equal(t, tc.want, cacheTTL(h, floor, ceiling))
		})
	}
}

func TestJitter(t *testing.T) {
	for range 1000 {
		d := jitter(time.Minute)
		require.GreaterOrEqual(t, d, 54*time.Second)
		require.LessOrEqual(t, d, time.Minute)
	}
	require.Zero(t, jitter(0))
}

func TestRetryDelay(t *testing.T) {
	p := &Provider{minRefresh: 10 * time.Second, minTTL: time.Minute}
	for n, want := range []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, time.Minute, time.Minute, time.Minute} {
		got := p.retryDelay(n + 1)
		require.LessOrEqual(t, got, want, "retry %d", n+1)
		require.GreaterOrEqual(t, got, want-want/10, "retry %d", n+1)
	}
}

// The negative cache is bounded: the oldest kids are forgotten first.
func TestUnknownKIDsBounded(t *testing.T) {
	u := newUnknownKIDs(time.Minute, MaxUnknownKIDs)
	t0 := time.Unix(1000, 0)
	for i := range MaxUnknownKIDs + 500 {
		u.add(fmt.Sprintf("kid-%d", i), t0)
	}
	require.Equal(t, MaxUnknownKIDs, u.len())
	require.Len(t, u.order, MaxUnknownKIDs)
	require.False(t, u.has("kid-0", t0), "the oldest entries were evicted")
	require.False(t, u.has("kid-499", t0))
	require.True(t, u.has("kid-500", t0))
	require.True(t, u.has(fmt.Sprintf("kid-%d", MaxUnknownKIDs+499), t0))

	// Entries expire, and a clock that went backwards is not a hit.
	require.True(t, u.has("kid-600", t0.Add(time.Minute-1)))
	require.False(t, u.has("kid-600", t0.Add(time.Minute)))
	require.False(t, u.has("kid-600", t0.Add(-time.Second)))

	// Re-adding refreshes the time without growing the cache.
	u.add("kid-600", t0.Add(time.Minute))
	require.True(t, u.has("kid-600", t0.Add(90*time.Second)))
	require.Equal(t, MaxUnknownKIDs, u.len())

	// A huge kid costs 8 bytes.
	u.add(string(make([]byte, 1<<20)), t0)
	require.Equal(t, MaxUnknownKIDs, u.len())
}

// Duplicate kids: distinct keys are all kept, in document order (as
// kube-apiserver tries them all); exact repeats are skipped; at most
// MaxKeys keys are kept.
func TestKeySetDuplicatesAndCap(t *testing.T) {
	newEC := func() *ecdsa.PublicKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, err)
		return &k.PublicKey
	}
	a, b := newEC(), newEC()
	parsed := []jose.Key{
		{ID: "dup", Algorithm: "ES256", Public: a},
		{ID: "dup", Algorithm: "ES256", Public: b},
		{ID: "dup", Algorithm: "ES256", Public: a}, // exact repeat
		{ID: "dup", Public: a},                     // same key, other alg: kept
		{ID: "other", Algorithm: "ES256", Public: a},
	}
	ks := newKeySet(parsed, nil, time.Unix(0, 0))
	got := ks.Lookup("dup")
	require.Len(t, got, 3)
	require.Same(t, a, got[0].Public)
	require.Same(t, b, got[1].Public)
	require.Equal(t, "", got[2].Algorithm)
	require.Len(t, ks.Lookup("other"), 1)
	require.Len(t, ks.Skipped(), 1)
	require.ErrorContains(t, ks.Skipped()[0], `kid "dup": repeats an earlier key`)

	many := make([]jose.Key, MaxKeys+20)
	for i := range many {
		many[i] = jose.Key{ID: fmt.Sprint(i), Public: newEC()}
	}
	ks = newKeySet(many, nil, time.Unix(0, 0))
	require.Equal(t, MaxKeys, ks.Len())
	require.Len(t, ks.Lookup(fmt.Sprint(MaxKeys-1)), 1)
	require.Empty(t, ks.Lookup(fmt.Sprint(MaxKeys)))
	require.Len(t, ks.Skipped(), 1)
	require.ErrorContains(t, ks.Skipped()[0], fmt.Sprintf("more than %d usable keys", MaxKeys))
}
