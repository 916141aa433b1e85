package jwtauth

import (
	"errors"
	"fmt"
)

// Sentinel errors, matched with errors.Is. Every error returned by
// Authenticate and MapClaims is an *Error that matches exactly one of the
// "check" sentinels below (plus ErrUnknownKey, which also matches
// ErrSignature). None of them ever contains the token or its signature.
var (
	// ErrUnknownIssuer: no authenticator is configured for the token's
	// "iss" (or the token has no string "iss"). kube-apiserver treats this
	// as "not mine" and moves on to its other authenticators.
	ErrUnknownIssuer = errors.New("jwtauth: no authenticator for the token's issuer")
	// ErrMalformedToken: the token is not a well-formed compact JWS with a
	// JSON object payload, or is hostile (see the README for where we are
	// deliberately stricter than kube-apiserver).
	ErrMalformedToken = errors.New("jwtauth: malformed token")
	// ErrNotReady: the issuer's discovery document could not be fetched
	// yet (kube-apiserver: "authenticator not initialized").
	ErrNotReady = errors.New("jwtauth: issuer not ready")
	// ErrKeys: the issuer's signing keys could not be fetched.
	ErrKeys = errors.New("jwtauth: signing keys unavailable")
	// ErrUnsupportedAlgorithm: the header "alg" is not one of the nine
	// asymmetric algorithms (RS/PS/ES 256/384/512).
	ErrUnsupportedAlgorithm = errors.New("jwtauth: unsupported signing algorithm")
	// ErrSignature: no key of the issuer verifies the signature.
	ErrSignature = errors.New("jwtauth: invalid signature")
	// ErrUnknownKey: the token's "kid" is not in the issuer's key set, even
	// after a refresh. It also matches ErrSignature.
	ErrUnknownKey = errors.New("jwtauth: unknown signing key")
	// ErrInvalidClaims: a registered claim has the wrong JSON type (for
	// example "sub" is a number), which kube-apiserver rejects even when
	// the claim is not used, or distributed-claim names are inconsistent.
	ErrInvalidClaims = errors.New("jwtauth: invalid registered claims")
	// ErrIssuerMismatch: the token's "iss" differs from the issuer's URL.
	ErrIssuerMismatch = errors.New("jwtauth: issuer mismatch")
	// ErrAudience: no configured audience is in the token's "aud".
	ErrAudience = errors.New("jwtauth: audience mismatch")
	// ErrExpired: "exp" is missing or in the past (no leeway, as kube-apiserver).
	ErrExpired = errors.New("jwtauth: token expired")
	// ErrNotYetValid: "nbf" is more than one minute in the future.
	ErrNotYetValid = errors.New("jwtauth: token not yet valid")
	// ErrDistributedClaims: a distributed groups claim could not be resolved.
	ErrDistributedClaims = errors.New("jwtauth: distributed claims")
	// ErrMapping: a claim mapping (username, groups, uid, extra) failed.
	ErrMapping = errors.New("jwtauth: claim mapping failed")
	// ErrEmailNotVerified: username.claim is "email" and "email_verified"
	// is present but not true.
	ErrEmailNotVerified = errors.New("jwtauth: email not verified")
	// ErrRequiredClaim: a claim-form claimValidationRule failed.
	ErrRequiredClaim = errors.New("jwtauth: required claim")
	// ErrClaimRule: an expression claimValidationRule was false or failed.
	ErrClaimRule = errors.New("jwtauth: claim validation rule failed")
	// ErrUserRule: a userValidationRule was false or failed.
	ErrUserRule = errors.New("jwtauth: user validation rule failed")
	// ErrAKSPrefix: under ProfileAKS, a mapped username or group lacks
	// the "aks:jwt:" prefix.
	ErrAKSPrefix = errors.New("jwtauth: missing aks:jwt: prefix")
	// ErrSystemName: with Options.RejectSystemNames, a mapped username or
	// group starts with "system:".
	ErrSystemName = errors.New("jwtauth: reserved system: name")
)

// Check names the stage of the pipeline that rejected a token.
type Check string

// The checks, in pipeline order.
const (
	CheckFormat        Check = "format"
	CheckIssuer        Check = "issuer"
	CheckReady         Check = "ready"
	CheckAlgorithm     Check = "algorithm"
	CheckKeys          Check = "keys"
	CheckSignature     Check = "signature"
	CheckClaims        Check = "claims"
	CheckAudience      Check = "audience"
	CheckExpiry        Check = "expiry"
	CheckNotBefore     Check = "not-before"
	CheckDistributed   Check = "distributed-claims"
	CheckUsername      Check = "username"
	CheckGroups        Check = "groups"
	CheckUID           Check = "uid"
	CheckExtra         Check = "extra"
	CheckRequiredClaim Check = "required-claim"
	CheckClaimRule     Check = "claim-rule"
	CheckUserRule      Check = "user-rule"
	CheckAKSPrefix     Check = "aks-prefix"
	CheckSystemName    Check = "system-name"
)

// Error is the detailed error returned by Authenticate and MapClaims.
// Read it with errors.As; branch on its class with errors.Is and the
// sentinels above.
type Error struct {
	// Check is the stage that failed.
	Check Check
	// Issuer is the issuer.url of the authenticator that handled the
	// token; empty when no authenticator was chosen.
	Issuer string
	// Authenticator is the index of that authenticator in the jwt list,
	// or -1.
	Authenticator int
	// Expression is the CEL expression involved, if any.
	Expression string
	// Message is the rule's configured message, if any.
	Message string
	// Err is the underlying cause, if any (for example a *celmap.EvalError).
	Err error

	kind   error
	detail string
}

func (e *Error) Error() string {
	if e.Err != nil {
		return "jwtauth: " + e.detail + ": " + e.Err.Error()
	}
	return "jwtauth: " + e.detail
}

// Is reports whether target is the sentinel of this error's class.
func (e *Error) Is(target error) bool {
	if target == e.kind {
		return true
	}
	return e.kind == ErrUnknownKey && target == ErrSignature
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

func newError(check Check, kind error, format string, args ...any) *Error {
	return &Error{Check: check, kind: kind, Authenticator: -1, detail: fmt.Sprintf(format, args...)}
}

// wrap sets the cause.
func (e *Error) wrap(err error) *Error {
	e.Err = err
	return e
}

// at records which authenticator produced the error.
func (e *Error) at(ia *issuerAuthenticator) *Error {
	if ia != nil {
		e.Issuer = ia.url
		e.Authenticator = ia.index
	}
	return e
}
