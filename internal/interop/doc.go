// Package interop tests structauth against software that nobody in this
// project wrote: a certified OpenID Provider (the Node.js oidc-provider
// package) started on a loopback port with TLS, and tokens and key sets
// made by an independent JOSE implementation (the npm jose package).
//
// The package has no API; everything is in its tests. They need Node.js
// and the packages pinned by node/package-lock.json:
//
//	npm ci --prefix internal/interop/node
//	go test ./internal/interop/
//
// Without node on PATH the tests are skipped; with node but without the
// packages they are skipped too, naming the npm command, except under CI
// (CI set in the environment), where that is a failure.
package interop
