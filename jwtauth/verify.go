package jwtauth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/structauth/structauth/claims"
	"github.com/structauth/structauth/discovery"
	"github.com/structauth/structauth/internal/jose"
)

// nbfLeeway is go-oidc v2's fixed allowance for "nbf" in the future, as
// used by kube-apiserver. "exp" has no leeway.
const nbfLeeway = time.Minute

// registeredClaims are the claims kube-apiserver (through go-oidc v2)
// decodes into a typed struct on every token, so a wrong type rejects the
// token even when the claim is not used.
var registeredClaims = []string{"iss", "sub", "aud", "exp", "iat", "nbf", "nonce", "at_hash", "_claim_names", "_claim_sources"}

// rejectCaseVariants rejects a claim set with a member whose name differs
// from a registered claim only by case ("EXP", "Iss"). encoding/json
// matches struct fields case-insensitively, so kube-apiserver would read
// such a member as the registered claim; we refuse the ambiguity instead.
func rejectCaseVariants(cs *claims.Set) *Error {
	for _, name := range cs.Names() {
		if len(name) < 3 || len(name) > 15 {
			continue
		}
		for _, reg := range registeredClaims {
			if name != reg && strings.EqualFold(name, reg) {
				return newError(CheckFormat, ErrMalformedToken, "claim %q is a case variant of the registered claim %q", truncate(name, 32), reg)
			}
		}
	}
	return nil
}

// verify runs the token checks in kube-apiserver's order (go-oidc v2.5 as
// used by k8s.io/apiserver v0.37): algorithm allow-list, signature,
// registered claim types, distributed-claim names, audience, exp, nbf.
func (ia *issuerAuthenticator) verify(ctx context.Context, jws *jose.JWS, cs *claims.Set, now time.Time) error {
	if err := ia.checkAlgorithm(jws); err != nil {
		return err
	}
	if err := ia.verifySignature(ctx, jws); err != nil {
		return err
	}
	return ia.checkRegisteredClaims(cs, now, true)
}

// checkAlgorithm enforces the algorithm allow-list (a step of its own so
// that Explain runs the very same check).
func (ia *issuerAuthenticator) checkAlgorithm(jws *jose.JWS) *Error {
	if !slices.Contains(jose.Algorithms, jws.Header.Alg) {
		return newError(CheckAlgorithm, ErrUnsupportedAlgorithm, "token signed with unsupported algorithm %q, expected one of %q", truncate(jws.Header.Alg, 16), jose.Algorithms).at(ia)
	}
	return nil
}

// ensureReady makes sure the issuer's discovery document is known. When
// it is not, one request-path attempt per inlineDiscoveryInterval is
// allowed (shared by concurrent callers inside discovery); other tokens
// fail fast with ErrNotReady rather than blocking.
func (ia *issuerAuthenticator) ensureReady(ctx context.Context) *Error {
	if _, ok := ia.provider.Document(); ok {
		return nil
	}
	now := time.Now().UnixNano()
	last := ia.lastInlineDiscovery.Load()
	if now-last >= int64(inlineDiscoveryInterval) && ia.lastInlineDiscovery.CompareAndSwap(last, now) {
		if _, err := ia.provider.Discover(ctx); err != nil {
			return newError(CheckReady, ErrNotReady, "authenticator for issuer %q is not initialized", ia.url).wrap(err).at(ia)
		}
		return nil
	}
	e := newError(CheckReady, ErrNotReady, "authenticator for issuer %q is not initialized", ia.url).at(ia)
	if err := ia.provider.LastError(); err != nil {
		e.wrap(err)
	}
	return e
}

func (ia *issuerAuthenticator) verifySignature(ctx context.Context, jws *jose.JWS) error {
	if err := ia.ensureReady(ctx); err != nil {
		return err
	}
	ks, err := ia.provider.Keys(ctx)
	if err != nil {
		if errors.Is(err, discovery.ErrStaleKeys) {
			return newError(CheckKeys, ErrKeys, "the issuer's keys are too old to use: every refresh has failed for longer than the maximum staleness").wrap(err).at(ia)
		}
		return newError(CheckKeys, ErrKeys, "fetching the issuer's keys failed").wrap(err).at(ia)
	}
	if verifyWithAny(ks, jws) {
		return ia.signatureVerified(jws)
	}
	// A key the set does not have (or, without a kid, no key that
	// verifies) may have been rotated in: refresh once. The provider
	// shares the fetch with concurrent callers, rate-limits it and
	// remembers kids that a fresh set proved absent.
	kid := jws.Header.Kid
	var refreshErr error
	if !jws.Header.HasKid || len(ks.Lookup(kid)) == 0 {
		fresh, _, rerr := ia.provider.RefreshKeysFor(ctx, kid)
		refreshErr = rerr
		if fresh != nil && fresh != ks {
			ks = fresh
			if verifyWithAny(ks, jws) {
				return ia.signatureVerified(jws)
			}
		}
	}
	if jws.Header.HasKid && len(ks.Lookup(kid)) == 0 {
		// The refresh error, if any, says why the key may be missing.
		return newError(CheckSignature, ErrUnknownKey, "no key with the token's kid in the issuer's key set").wrap(refreshErr).at(ia)
	}
	return newError(CheckSignature, ErrSignature, "failed to verify the token's signature").wrap(refreshErr).at(ia)
}

// signatureVerified runs the header check that waits for a verified
// signature: the x5c certificates must parse, as go-jose (hence
// kube-apiserver) requires of every token. Parsing them only now means
// that X.509 data is parsed only when the issuer signed it.
func (ia *issuerAuthenticator) signatureVerified(jws *jose.JWS) error {
	if err := jws.CheckCertificates(); err != nil {
		return newError(CheckFormat, ErrMalformedToken, "token header is malformed").wrap(err).at(ia)
	}
	return nil
}

// verifyWithAny tries the candidate keys: those with the token's kid, or
// every key when the token has none (as go-oidc does). A key that
// declares an "alg" is used only for that algorithm.
func verifyWithAny(ks *discovery.KeySet, jws *jose.JWS) bool {
	if ks == nil {
		return false
	}
	for _, k := range ks.Lookup(jws.Header.Kid) {
		if k.Algorithm != "" && k.Algorithm != jws.Header.Alg {
			continue
		}
		if jose.Verify(jws.Header.Alg, k.Public, jws.SigningInput, jws.Signature) == nil {
			return true
		}
	}
	return false
}

// checkRegisteredClaims reproduces go-oidc v2's decode of the registered
// claims (type errors reject the token), its distributed-claims sanity
// check, Kubernetes' audience check, and (when checkTime) exp and nbf.
func (ia *issuerAuthenticator) checkRegisteredClaims(cs *claims.Set, now time.Time, checkTime bool) error {
	for _, name := range [...]string{"sub", "nonce", "at_hash"} {
		if raw, ok := cs.Raw(name); ok {
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return newError(CheckClaims, ErrInvalidClaims, "claim %s must be a string", name).at(ia)
			}
		}
	}
	aud, err := audienceOf(cs)
	if err != nil {
		return newError(CheckClaims, ErrInvalidClaims, "claim aud must be a string or an array of strings").at(ia)
	}
	exp, hasExp, err := numericDate(cs, "exp", false)
	if err != nil {
		return newError(CheckClaims, ErrInvalidClaims, "claim exp must be a number").wrap(err).at(ia)
	}
	if _, _, err := numericDate(cs, "iat", false); err != nil {
		return newError(CheckClaims, ErrInvalidClaims, "claim iat must be a number").wrap(err).at(ia)
	}
	nbf, hasNbf, err := numericDate(cs, "nbf", true)
	if err != nil {
		return newError(CheckClaims, ErrInvalidClaims, "claim nbf must be a number").wrap(err).at(ia)
	}
	if err := checkDistributedNames(cs); err != nil {
		return err.at(ia)
	}
	if !ia.audienceMatches(aud) {
		if len(ia.sortedAudiences) == 1 {
			return newError(CheckAudience, ErrAudience, "expected audience %q got %q", ia.sortedAudiences[0], limitList(aud)).at(ia)
		}
		return newError(CheckAudience, ErrAudience, "expected audience in %q got %q", ia.sortedAudiences, limitList(aud)).at(ia)
	}
	if !checkTime {
		return nil
	}
	if !hasExp {
		return newError(CheckExpiry, ErrExpired, "token has no exp claim").at(ia)
	}
	if exp.Before(now) {
		return newError(CheckExpiry, ErrExpired, "token is expired (exp %s, now %s)", formatDate(exp), now.UTC().Format(time.RFC3339)).at(ia)
	}
	if hasNbf && now.Add(nbfLeeway).Before(nbf) {
		return newError(CheckNotBefore, ErrNotYetValid, "current time %s is before the nbf (not before) time %s", now.UTC().Format(time.RFC3339), formatDate(nbf)).at(ia)
	}
	return nil
}

// formatDate renders a token's NumericDate for an error message: RFC 3339
// for years 0001-9999, and the plain number of seconds otherwise (a hostile
// exp such as -2^63 would print a wrapped, meaningless date).
func formatDate(t time.Time) string {
	if t.Equal(distantPast) {
		return "out of range, read as the distant past"
	}
	if y := t.UTC().Year(); y < 1 || y > 9999 {
		return strconv.FormatInt(t.Unix(), 10) + " seconds since 1970"
	}
	return t.UTC().Format(time.RFC3339)
}

func (ia *issuerAuthenticator) audienceMatches(aud []string) bool {
	for _, a := range aud {
		if _, ok := ia.audiences[a]; ok {
			return true
		}
	}
	return false
}

// audienceOf decodes "aud" as go-oidc v2 does: a string, or an array of
// strings; JSON null reads as [""] and null array members as "".
func audienceOf(cs *claims.Set) ([]string, error) {
	raw, ok := cs.Raw("aud")
	if !ok {
		return nil, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []string{s}, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, err
	}
	return list, nil
}

// numericDate decodes a NumericDate as go-oidc v2 does: a JSON number or
// a numeric string, truncated to whole seconds. JSON null is an error,
// except where nullable (nbf is a pointer in go-oidc, so null means absent).
func numericDate(cs *claims.Set, name string, nullable bool) (time.Time, bool, error) {
	raw, ok := cs.Raw(name)
	if !ok {
		return time.Time{}, false, nil
	}
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		if nullable {
			return time.Time{}, false, nil
		}
		return time.Time{}, false, errors.New("null is not a number")
	}
	t, err := cs.NumericDate(name)
	if errors.Is(err, claims.ErrOutOfRange) {
		// go-oidc v2 turns such a number into a time in the distant past
		// on every platform (int64(f) is MinInt64 on amd64 and saturates
		// on arm64, and time.Unix wraps past its range): exp is expired,
		// nbf passes, iat is not checked. kube-apiserver decides so.
		return distantPast, true, nil
	}
	if err != nil {
		return time.Time{}, false, err
	}
	return t, true, nil
}

// distantPast stands for a NumericDate out of time.Unix's range. Its one
// nanosecond tells it from an exp of exactly -2^63 seconds (NumericDate
// returns whole seconds).
var distantPast = time.Unix(-1<<63, 1)

// claimSource mirrors an entry of "_claim_sources".
type claimSource struct {
	Endpoint    string `json:"endpoint"`
	AccessToken string `json:"access_token"`
}

// distributedNames decodes "_claim_names" and "_claim_sources" with
// go-oidc's types.
func distributedNames(cs *claims.Set) (map[string]string, map[string]claimSource, error) {
	var names map[string]string
	var sources map[string]claimSource
	if raw, ok := cs.Raw("_claim_names"); ok {
		if err := json.Unmarshal(raw, &names); err != nil {
			return nil, nil, err
		}
	}
	if raw, ok := cs.Raw("_claim_sources"); ok {
		if err := json.Unmarshal(raw, &sources); err != nil {
			return nil, nil, err
		}
	}
	return names, sources, nil
}

// checkDistributedNames: every "_claim_names" entry must name a source
// in "_claim_sources", for every token, as go-oidc v2 checks.
func checkDistributedNames(cs *claims.Set) *Error {
	names, sources, err := distributedNames(cs)
	if err != nil {
		return newError(CheckClaims, ErrInvalidClaims, "claims _claim_names and _claim_sources are malformed")
	}
	for _, src := range names {
		if src == "" {
			return newError(CheckClaims, ErrInvalidClaims, "failed to obtain source from claim name")
		}
		if _, ok := sources[src]; !ok {
			return newError(CheckClaims, ErrInvalidClaims, "distributed claim source does not exist")
		}
	}
	return nil
}

func sortedCopy(in []string) []string {
	out := slices.Clone(in)
	slices.Sort(out)
	return out
}

// truncate bounds attacker-controlled text placed in error messages.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// limitList bounds an attacker-controlled list placed in error messages.
func limitList(in []string) []string {
	const maxItems = 10
	out := make([]string, 0, min(len(in), maxItems))
	for i, s := range in {
		if i == maxItems {
			out = append(out, fmt.Sprintf("… %d more", len(in)-maxItems))
			break
		}
		out = append(out, truncate(s, 128))
	}
	return out
}
