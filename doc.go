// Package structauth decides who a bearer token belongs to, with the
// semantics of Kubernetes structured authentication
// (AuthenticationConfiguration, jwt authenticators) but outside
// kube-apiserver: in Go services, authenticating proxies, TokenReview
// webhooks and unit tests.
//
// The packages:
//
//   - jwtauth: the authenticator. ParseConfig reads an
//     AuthenticationConfiguration (apiserver.config.k8s.io/v1alpha1,
//     v1beta1 or v1); New validates it with kube-apiserver's rules and
//     compiles its CEL once; Authenticate verifies a token and maps it to
//     a User; MapClaims runs a claim set through the same mapping for
//     policy tests; Explain shows every step of that decision.
//   - jwtauth/jwtauthtest: an in-process OIDC issuer for tests, with
//     presets for common providers' token shapes.
//   - jwtauth/policytest: declarative YAML policy tests run by go test.
//   - jwtauth/httpauth: net/http bearer-token middleware.
//   - jwtauth/tokencache: a result cache in front of an authenticator.
//   - jwtauth/tokenreview: a Kubernetes TokenReview webhook handler.
//   - jwtauth/reload: an authenticator that follows a configuration file.
//   - cmd/structauth: the command-line tool (lint, explain, test, demo).
//   - claims: strict decoding of a JWT claim set and typed access to it.
//   - celmap: kube-apiserver's authentication CEL environment.
//   - discovery: OIDC discovery and JWKS with bounded, verified fetches.
//
// Each check, in kube-apiserver's order: routing by exact "iss", the
// signing algorithm (RS/PS/ES 256/384/512 only), the signature, the
// registered claims' types, the audience, exp (no leeway), nbf (one
// minute of leeway), then username, groups, uid and extra mappings,
// claim-form validation rules, expression validation rules and user
// validation rules. See
// https://kubernetes.io/docs/reference/access-authn-authz/authentication/#using-authentication-configuration
package structauth
