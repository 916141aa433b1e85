// Package policytest runs declarative tests of a claim policy: a YAML file
// names an AuthenticationConfiguration and lists cases, "these claims (or
// a token signed with them) become this user" or "... are rejected by this
// check". Run executes a file inside go test, one subtest per case;
// RunFile returns the results for other callers (the `structauth test`
// command).
//
//	func TestClaimPolicy(t *testing.T) {
//		policytest.Run(t, "testdata/policies/github-actions.yaml")
//	}
//
// # File format
//
// The file is strict YAML: unknown fields, duplicate keys and wrong types
// are errors that name the line.
//
//	# The configuration: exactly one of config (inline) and configFile (a
//	# path relative to this file). Either holds an AuthenticationConfiguration
//	# (YAML or JSON, decoded strictly by jwtauth.ParseConfig) or a single
//	# jwt authenticator object, the JSON `az aks jwtauthenticator add
//	# --config-file` takes.
//	config:
//	  apiVersion: apiserver.config.k8s.io/v1
//	  kind: AuthenticationConfiguration
//	  jwt:
//	  - issuer: {url: https://token.actions.githubusercontent.com, audiences: [sts.example.com]}
//	    claimMappings:
//	      username: {expression: "'aks:jwt:' + claims.sub"}
//	profile: aks                 # optional: kubernetes (default) or aks (jwtauth.ProfileAKS)
//	now: 2026-03-01T12:00:00Z    # optional: the clock for exp/nbf (RFC 3339); default: the real time
//	defaults:                    # optional: claims merged into every case's claims
//	  iss: https://token.actions.githubusercontent.com
//	  aud: sts.example.com
//	cases:
//	- name: main branch          # required, unique in the file
//	  claims:                    # the claim set (merged over defaults; null removes a default)
//	    sub: repo:my-org/app:ref:refs/heads/main
//	  user:                      # expected user; a field left out is not compared
//	    username: aks:jwt:repo:my-org/app:ref:refs/heads/main
//	    groups: []               # [] requires no groups
//	- name: expired token
//	  sign: true                 # mint a real token (see below)
//	  claims: {sub: x, exp: 2026-03-01T11:00:00Z}
//	  reject:                    # expected rejection
//	    check: expiry            # a jwtauth.Check name; optional
//	    message: expired         # a substring of the error text; optional
//
// A case has claims (optionally with sign and alg) or token, and exactly
// one of user and reject. user has username, uid,
// groups (a list) and extra (a map of lists); each present field must
// equal the mapped user's, and an absent one is not compared. reject has
// check, the stage that must reject the claims (format, issuer, claims,
// audience, expiry, not-before, username, groups, uid, extra,
// required-claim, claim-rule, user-rule, aks-prefix, system-name, ...;
// see jwtauth.Check), and message, a substring of the error text; with
// neither, any rejection passes.
//
// Claim values are YAML values converted to JSON; an unquoted YAML
// timestamp (2026-03-01T12:00:00Z) becomes a NumericDate (seconds since
// the epoch), so exp, iat and nbf can be written as dates. Quote strings
// that YAML would read as numbers, booleans or dates: ver: "1.0", not
// ver: 1.0.
//
// # Claims, signed claims and captured tokens
//
// A case without sign runs its claims through
// jwtauth.Authenticator.MapClaims: routing by "iss", the registered
// claims' types, the audience, the mappings and the claim and user
// validation rules. Signature, exp and nbf are not checked.
//
// A case with token: runs a given compact JWT (one captured from a
// provider, say) through Authenticate. Its issuer's keys come from a JWKS
// file named by the file-level jwks map, "issuer URL: path relative to the
// test file"; pin now inside the token's lifetime:
//
//	jwks:
//	  https://token.actions.githubusercontent.com: keys/github.jwks.json
//	now: 2026-03-01T12:01:00Z
//	cases:
//	- name: captured token
//	  token: eyJhbGciOiJSUzI1NiIs...
//	  user: {username: "github:my-org/app"}
//
// A case with sign: true mints a token from its claims (with alg, RS256
// when empty) and runs it through Authenticate, so the signature, issuer,
// audience, exp and nbf checks run too, against the clock set by now.
// The token is signed by an in-process issuer (jwtauthtest.Issuer) that
// stands in for the configured issuer of the token's "iss": the
// Authenticator's HTTP client sends that issuer's discovery request to
// the fake, which answers with the configured issuer URL and its own
// keys (or, for an issuer in jwks, the file's keys: a token signed here
// then fails its signature check). A signed case with no "exp" gets "iat" = now and "exp" = now + 1h
// (write exp: null to leave it out).
//
// Nothing touches the network: requests to any other address fail.
// certificateAuthority is validated, then ignored (the fakes bring their
// own TLS certificates), and distributed claims are never fetched.
package policytest
