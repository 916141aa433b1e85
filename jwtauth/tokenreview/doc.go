// Package tokenreview serves Kubernetes TokenReview requests, so that a
// cluster can use a structauth authenticator as its webhook token
// authenticator (kube-apiserver's --authentication-token-webhook-config-file).
//
//	auth, err := jwtauth.New(ctx, cfg, jwtauth.Options{})
//	h, err := tokenreview.NewHandler(auth, tokenreview.Options{
//		ImplicitAudiences: []string{"https://kubernetes.default.svc"},
//	})
//	http.Handle("POST /authenticate", h)
//
// The handler speaks authentication.k8s.io/v1 and v1beta1 (the answer has
// the request's apiVersion), with the small JSON types of this package
// instead of k8s.io/api. A request is checked in this order:
//
//  1. POST only (405), Content-Type application/json (415), body at most
//     Options.MaxBodyBytes (413);
//  2. one JSON object of kind TokenReview, a supported apiVersion and a
//     non-empty spec.token (400, see DecodeRequest);
//  3. audiences, as kube-apiserver's TokenReview API and its
//     WrapAudienceAgnosticToken do: empty spec.audiences means
//     Options.ImplicitAudiences; if the requested audiences share none of
//     the implicit ones, the token is refused unread; otherwise the answer's
//     status.audiences is their intersection;
//  4. the token, with the TokenAuthenticator.
//
// Every well-formed review is answered 200 OK: "authenticated": true with
// the user, or false with status.error (never containing the token), as
// kube-apiserver's webhook client expects. The answer does not echo
// spec.token, unlike kube-apiserver's own TokenReview API.
//
// Sources: kubernetes pkg/registry/authentication/tokenreview/storage.go,
// staging/src/k8s.io/apiserver/pkg/authentication/authenticator/audagnostic.go,
// staging/src/k8s.io/apiserver/plugin/pkg/authenticator/token/webhook, and
// https://kubernetes.io/docs/reference/access-authn-authz/authentication/#webhook-token-authentication.
package tokenreview
