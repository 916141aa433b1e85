// Package tokencache caches the results of a token authenticator, as
// kube-apiserver's cached token authenticator
// (k8s.io/apiserver/pkg/authentication/token/cache) does in front of its
// token authenticators.
//
//	auth, err := jwtauth.New(ctx, cfg, jwtauth.Options{})
//	...
//	cached, err := tokencache.New(auth, tokencache.Options{})
//	user, err := cached.Authenticate(ctx, token)
//
// What it does, in order, for each token:
//
//  1. The token is hashed with HMAC-SHA256 under a random key drawn when the
//     cache is built. The 32-byte digest is the cache key: tokens are never
//     kept in memory in the clear, and a memory dump of the cache does not
//     reveal which tokens it has seen.
//  2. The digest picks one of up to 32 shards, each with its own lock, so
//     that concurrent requests for different tokens do not contend.
//  3. A live entry is a hit: its user (or error) is returned without calling
//     the authenticator. A hit allocates nothing.
//  4. On a miss, concurrent requests for the same token wait for one call of
//     the authenticator (single flight), as kube-apiserver does. The call
//     runs with the first request's context (kube-apiserver detaches it);
//     if that request is canceled, the waiting ones ask again rather than
//     fail, and each waiting request still gives up when its own context
//     ends.
//  5. A success is stored for Options.TTL (kube-apiserver's default is
//     10 s), but never beyond the token's "exp", which is read from the
//     payload only after the authenticator accepted the token (kube-apiserver's
//     cache does not look at "exp"). A token whose "exp" cannot be read is not
//     cached. Failures are not cached unless
//     Options.FailureTTL is set, and failures that say nothing about the
//     token (an issuer not ready, keys unavailable, a canceled request) never
//     are.
//  6. Each shard is bounded in entries and in bytes (an estimate of what the
//     user occupies); when a new entry would exceed a bound, sampled entries
//     are evicted, expired ones and then those closest to expiry first.
//
// A cached result can outlive a configuration change or a key rotation by at
// most the TTL: that is the trade kube-apiserver makes too. Cache.Purge drops
// every result, for example when a new configuration is swapped in.
package tokencache
