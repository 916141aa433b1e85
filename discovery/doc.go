// Package discovery fetches one OpenID Connect issuer's discovery document
// and JSON Web Key Set, with kube-apiserver's semantics for JWT
// authenticators and stricter bounds on what it accepts from the network.
//
// A [Provider] serves one issuer. [New] validates the [Config] and builds
// the HTTP client but does no I/O. The discovery document is fetched once
// (on [Provider.Discover], or in the background by [Provider.Run], which
// retries every 10 seconds as kube-apiserver does) and kept; the keys are
// fetched on the first [Provider.Keys], refreshed in the background by
// Run, and re-fetched by [Provider.RefreshKeysFor] when a token names a
// kid the set does not have:
//
//	p, err := discovery.New(discovery.Config{
//		IssuerURL:            "https://issuer.example.com",
//		CertificateAuthority: caPEM, // optional
//	})
//	if err != nil { ... }
//	go p.Run(ctx) // discovery, then background key refresh, until ctx ends
//
//	ks, err := p.Keys(ctx)
//	keys := ks.Lookup(kid)
//	if len(keys) == 0 {
//		ks, _, err = p.RefreshKeysFor(ctx, kid) // rate-limited, shared, negative-cached
//		keys = ks.Lookup(kid)
//	}
//
// # Checks, in order
//
// Discovery (kube-apiserver, https://kubernetes.io/docs/reference/access-authn-authz/authentication/#using-authentication-configuration):
//
//  1. GET Config.DiscoveryURL if set, else
//     strings.TrimSuffix(Config.IssuerURL, "/") + "/.well-known/openid-configuration"
//     (OpenID Connect Discovery 1.0 §4). With DiscoveryURL set the
//     issuer's own host is never contacted.
//  2. The response must be 200 OK ([*StatusError] otherwise, with a short
//     sanitised snippet of the body) and at most Config.MaxBodyBytes
//     ([ErrResponseTooLarge]; the body is never truncated and parsed).
//     Content-Type is not checked.
//  3. The body must decode as JSON ([ErrMalformedResponse]).
//  4. "issuer" must equal Config.IssuerURL exactly, trailing slash
//     included ([ErrIssuerMismatch]; Discovery 1.0 §4.3).
//  5. "jwks_uri" must be present ([ErrNoJWKSURL], kube-apiserver 1.35+)
//     and an https URL ([ErrInsecureURL]). kube-apiserver and go-oidc
//     accept any scheme here; we do not, so keys cannot be replaced on
//     the wire.
//
// Keys (RFC 7517): GET jwks_uri with the same status and size rules; the
// set is parsed by internal/jose, which skips keys it cannot use (see
// [KeySet.Skipped]); exact repeats and keys beyond [MaxKeys] are skipped
// too, while distinct keys sharing a kid are all kept, in document order,
// and all tried (kube-apiserver's behaviour). A set with no usable key is
// an error ([ErrNoUsableKeys]) and, like every failed fetch, leaves the
// current set in place.
//
// # Key lifecycle
//
//   - Background refresh: Run refetches the keys when the JWKS response's
//     Cache-Control max-age, clamped to [Config.MinCacheTTL,
//     Config.MaxCacheTTL] (1 min, 1 h), runs out, at a random point in
//     its last 10%. A failed refresh is retried after
//     Config.MinRefreshInterval, doubling up to MinCacheTTL.
//   - Unknown kid: [Provider.RefreshKeysFor] shares one fetch among all
//     callers, starts at most one per Config.MinRefreshInterval (10 s;
//     the first fetch and Run's refreshes do not count) and remembers, for
//     Config.UnknownKIDTTL (1 min, at most [MaxUnknownKIDs] kids), each kid
//     that a fetch started after the request proved absent. In any time
//     window T, tokens cause at most 2 + T/MinRefreshInterval fetches
//     (the first fetch, then one per interval), whatever their kids.
//   - Faults: a failed fetch never replaces the keys. They are used until
//     Config.MaxStaleness (24 h) after the last successful fetch; then
//     Keys fails with [ErrStaleKeys].
//   - Observability: Config.FetchObserver sees every fetch ([FetchEvent]).
//
// # Transport
//
// Requests use TLS 1.2 or later and trust Config.CertificateAuthority
// instead of the system roots when it is set. Each request, body
// included, is bounded by Config.Timeout (30 s by default, as
// kube-apiserver). Redirects are followed at most 5 times and only to
// https URLs ([ErrInsecureURL], [ErrTooManyRedirects]); a refused target
// receives no request.
//
// # Concurrency
//
// All methods are safe for concurrent use. Concurrent Discover calls share
// one request, as do concurrent key fetches; each waiter honours its own
// context, and a fetch abandoned because its caller's context ended is
// retried by the waiters that remain. No goroutine is started except by
// Run, whose caller owns it. On-demand fetches happen at most once per
// Config.MinRefreshInterval, so tokens with random kids cannot turn into a
// flood of requests to the issuer. Key sets and the unknown-kid cache are
// never shared between Providers.
//
// Errors never contain tokens or key material; remote text (an "issuer"
// value, an error body) is quoted, sanitised and truncated.
package discovery
