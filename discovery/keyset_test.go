package discovery

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/structauth/structauth/internal/jose"
)

// Lookup's contract, independent of the JWKS parser's policy on
// duplicate kids: every key with the kid, in document order; all keys
// for an empty kid; copies, not the parser's slices.
func TestKeySetLookup(t *testing.T) {
	ops := []string{"verify"}
	parsed := []jose.Key{
		{ID: "a", Algorithm: "RS256", Public: "k0"},
		{ID: "b", Public: "k1", Ops: ops},
		{ID: "a", Algorithm: "ES256", Public: "k2"},
		{ID: "", Public: "k3"},
	}
	at := time.Unix(100, 0)
	ks := newKeySet(parsed, []error{errors.New("skipped")}, at)

	pub := func(keys []Key) []any {
		var out []any
		for _, k := range keys {
			out = append(out, k.Public)
		}
		return out
	}
	require.Equal(t, []any{"k0", "k1", "k2", "k3"}, pub(ks.Lookup("")))
	require.Equal(t, []any{"k0", "k2"}, pub(ks.Lookup("a")))
	require.Equal(t, []any{"k1"}, pub(ks.Lookup("b")))
	require.Nil(t, ks.Lookup("c"))
	require.Equal(t, 4, ks.Len())
	require.Equal(t, at, ks.FetchedAt())
	require.Len(t, ks.Skipped(), 1)

	ops[0] = "changed"
	require.Equal(t, []string{"verify"}, ks.Lookup("b")[0].Ops, "Ops is copied")

	// Appending to a returned slice must not write into the set.
	got := ks.Lookup("a")
	_ = append(got, Key{ID: "x"})
	require.Equal(t, []any{"k0", "k1", "k2", "k3"}, pub(ks.Lookup("")))
	require.Zero(t, testing.AllocsPerRun(100, func() { _ = ks.Lookup("a") }))
}
