// Package httpauth is net/http middleware that authenticates bearer tokens
// (RFC 6750) with a jwtauth.Authenticator, or anything with the same
// Authenticate method, such as a tokencache.Cache in front of one.
//
//	auth, err := jwtauth.New(ctx, cfg, jwtauth.Options{})
//	...
//	mw := httpauth.New(auth, httpauth.Options{Realm: "my-api", OnError: logReason})
//	http.ListenAndServeTLS(addr, cert, key, mw(app))
//
//	// in app:
//	user, ok := httpauth.UserFrom(r.Context())
//
// For each request, in order:
//
//  1. The Authorization header is read. None at all is "no credentials":
//     401 with a challenge that has no error code (RFC 6750 §3.1), or, with
//     Options.Optional, the request goes on without a user. Another scheme
//     than Bearer (compared case-insensitively, RFC 7235 §2.1) is also "no
//     credentials", but is never let through.
//  2. The credentials must be one b64token (RFC 6750 §2.1) after the scheme
//     and one or more spaces, in a single Authorization header; anything else
//     is 400 with error="invalid_request".
//  3. The token is authenticated. A rejection is 401 with
//     error="invalid_token" (RFC 6750 §3.1); when the authenticator could not
//     check the token at all (jwtauth.ErrNotReady, jwtauth.ErrKeys) the answer
//     is 503, so that clients retry instead of discarding a good token.
//  4. The user is put in the request's context for UserFrom.
//
// The reason for a rejection goes to Options.OnError, for server-side logs;
// the client sees it only with Options.ErrorDescription. The token itself
// never appears in an error.
package httpauth
