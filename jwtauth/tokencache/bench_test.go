package tokencache

import (
	"context"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// benchEnv is a cache holding one real RS256 token (about 1 KB, like a
// typical provider token) that has been authenticated once.
func benchEnv(b *testing.B) (*Cache, string) {
	e := newEnv(b)
	c, err := New(e.inner, Options{Now: e.clk.Now, TTL: time.Hour})
	require.NoError(b, err)
	claims := e.iss.Claims("my-api", "jane@example.com", e.clk.Now())
	claims["groups"] = []string{"dev", "ops", "platform", "oncall", "readers", "writers", "admins", "auditors"}
	claims["email"] = "jane@example.com"
	claims["name"] = "Jane Doe"
	claims["roles"] = []string{"reader", "writer", "deployer", "viewer"}
	claims["tenant"] = "acme-production-eu-west-1"
	tok, err := e.iss.Sign("RS256", claims)
	require.NoError(b, err)
	b.Logf("token: %d bytes", len(tok))
	_, err = c.Authenticate(context.Background(), tok)
	require.NoError(b, err)
	return c, tok
}

func BenchmarkCacheHit(b *testing.B) {
	c, tok := benchEnv(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Authenticate(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCacheHitParallel(b *testing.B) {
	c, tok := benchEnv(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.Authenticate(ctx, tok); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkHashFloor is the floor of a hit: the keyed hash of the token
// alone, and a plain SHA-256 of it, to compare BenchmarkCacheHit with on a
// loaded machine.
func BenchmarkHashFloor(b *testing.B) {
	c, tok := benchEnv(b)
	b.Run("hmac", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = c.key(tok)
		}
	})
	b.Run("sha256", func(b *testing.B) {
		data := []byte(tok)
		b.ReportAllocs()
		for b.Loop() {
			_ = sha256.Sum256(data)
		}
	})
}
