// Package celmap is kube-apiserver's authentication CEL, outside
// kube-apiserver: the environment in which claimValidationRules,
// claimMappings (username, groups, uid, extra) and userValidationRules
// expressions are compiled, the per-token values of `claims` and `user`,
// and the interpretation of results. It reproduces Kubernetes 1.37
// (k8s.io/apiserver v0.37) down to error texts, because configurations
// written for kube-apiserver must be accepted, rejected and evaluated the
// same way here.
//
// Usage: compile when the configuration is loaded, evaluate per token.
//
//	env, err := celmap.DefaultEnv()
//	groups, err := env.CompileClaims(`dyn(claims.groups).map(g, 'oidc:' + g)`, celmap.AnyResult)
//	rule, err := env.CompileClaims(`claims.?email_verified.orValue(true) == true`, celmap.BoolResult)
//	...
//	act := celmap.NewClaimsActivation(claimSet) // one per token
//	v, err := groups.Eval(ctx, act)             // *EvalError on a CEL error
//	names, err := v.StringList()                // kube-apiserver's groups/extra rules
//
// # Environment
//
// NewEnv builds the Kubernetes base environment in its StoredExpressions
// flavour (every option the 1.37 binary knows, whatever the emulated
// version): cel-go's standard library with homogeneous aggregate literals,
// default UTC time zone, cross-type numeric comparisons, optional types,
// literal validators (duration, timestamp, regex, homogeneous literals),
// ext strings v2, sets, two-variable comprehensions and ext lists v3, and
// the Kubernetes libraries (URLs, regex find/findAll, lists v1, quantity,
// IP, CIDR, format, semver v1, authz declarations) from internal/k8slib.
// Programs constant-fold and track cost; one evaluation may cost at most
// PerCallLimit (1,000,000), has() costs nothing, and there is no static
// cost check. Unlike kube-apiserver, a cancelled ctx stops a running
// comprehension.
//
// The claims environment declares `claims` as map(string, any); the user
// environment declares `user` as the object kubernetes.UserInfo {username:
// string, uid: string, groups: list(string), extra: map(string,
// list(string))}. Neither sees the other's variable. A BoolResult
// expression must have the checked type bool, exactly.
//
// # Quirks reproduced on purpose
//
// These follow from kube-apiserver's types and lazy values, and held-out
// comparisons against it depend on them:
//
//   - Claim values are typed any: claims.groups.map(...) does not compile
//     ("expression of type 'any' cannot be range of a comprehension"),
//     dyn(claims.groups).map(...) does; claims.flag alone is not bool.
//   - JSON numbers are doubles: string(claims.exp) is "1.893456e+09".
//   - A missing claim is a runtime error "no such key: <name>"; use has()
//     or claims.?name.
//   - 'k' in claims and claims.size() fail at runtime with "no such
//     overload"; iterating claims yields the claim values, not the names.
//   - Names are unescaped on field selection and on indexing, at every
//     level and in user.extra (see Unescape): claims.kubernetes__dot__io
//     and claims['kubernetes__dot__io'] both read "kubernetes.io", a claim
//     literally named "a__dash__b" is unreachable, and at the top level a
//     name with an invalid escape sequence is missing. `in`, size() and
//     iteration of nested maps see the raw keys.
//   - Value.StringList accepts only the list representations upstream
//     accepts: a bare split() result is rejected, split(...).map(x, x) is
//     not.
//   - Program.SelectsClaim has the blind spots of the upstream email rule
//     check: claims['email'] does not count.
//
// The top-level iteration order is the document order given by the
// ClaimSource; kube-apiserver's is random.
//
// References: pkg/authentication/cel, pkg/cel/environment/base.go,
// pkg/cel/lazy, pkg/cel/escaping.go, plugin/pkg/authenticator/token/oidc
// and the email check in pkg/apis/apiserver/validation of
// https://github.com/kubernetes/apiserver, and
// https://kubernetes.io/docs/reference/access-authn-authz/authentication/#using-authentication-configuration
package celmap
