// Package k8slib re-implements the Kubernetes-specific CEL function libraries
// that kube-apiserver 1.37 (k8s.io/apiserver v0.37) adds to its base CEL
// environment, without depending on k8s.io/apiserver or k8s.io/apimachinery.
//
// EnvOptions returns the libraries in the order the kube base environment
// registers them:
//
//   - kubernetes.urls: url(), isURL() and the URL accessors
//   - kubernetes.regex: find(), findAll()
//   - kubernetes.authz: authorizer builder/check declarations (see below)
//   - kubernetes.quantity: quantity(), isQuantity() and quantity arithmetic
//   - kubernetes.net.ip: ip(), isIP(), ip.isCanonical() and IP accessors
//   - kubernetes.net.cidr: cidr(), isCIDR() and CIDR accessors
//   - kubernetes.format: format.named(), format.<name>() and validate()
//   - kubernetes.authzSelectors: fieldSelector(), labelSelector() declarations
//   - kubernetes.Semver (version 1): semver(), isSemver() and comparisons
//   - kubernetes.lists (version 1): sum, min, max, isSorted, indexOf,
//     lastIndexOf and includes
//
// Function names, overload IDs, argument and result types, runtime error
// messages and costs (see CostEstimator) follow the upstream libraries.
//
// The authorization libraries are declared so that type checking behaves as
// in kube-apiserver, but the authentication environment has no authorizer
// variable, so no value of the authorization types can ever exist; their
// bindings only report "no such overload".
package k8slib
