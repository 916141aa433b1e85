// Package reload serves tokens with the AuthenticationConfiguration in a
// file and switches to a new configuration when the file changes, without
// dropping or failing a request:
//
//	a, err := reload.New(ctx, "/etc/structauth/config.yaml", reload.Options{
//		OnReload: func(ev reload.Event) { log.Printf("auth config %s: generation %d: %v", ev.Trigger, ev.Generation, ev.Err) },
//	})
//	defer a.Close()
//	user, err := a.Authenticate(ctx, token)
//
// Every Options.Interval the file is read (at most MaxConfigBytes) and
// hashed with SHA-256. When the content differs from the serving one:
//
//  1. it is parsed and built with jwtauth.New (Options.Auth, so the AKS
//     profile or an HTTP client apply to every generation); an invalid
//     configuration is reported and not retried until the content changes;
//  2. the new authenticator must become ready (discovery document and
//     keys of every issuer, jwtauth.Authenticator.Ready) within
//     Options.ReadyTimeout; if not, it is discarded, the failure is reported
//     and the same content is tried again at the next poll;
//  3. it is swapped in atomically (one atomic.Pointer). Calls that started
//     on the old authenticator finish on it: each call holds a reference,
//     and the old authenticator is closed when the last one is released,
//     never under a call (jwtauth.Authenticator.Close stops its key
//     refreshes, and Authenticate must not be called after it).
//
// A missing or unreadable file, invalid content or unready issuers keep
// the old configuration serving; Options.OnReload and Status say why.
// Reload checks the file at once (and retries content that failed).
//
// kube-apiserver reloads its --authentication-config file the same way:
// it builds the new authenticators, polls their health for a bounded time,
// swaps an atomic pointer and cancels the old ones (after a fixed minute
// rather than when the last request ends). See
// pkg/kubeapiserver/authenticator/config.go (updateAuthenticationConfig).
//
// Why polling rather than file notifications: the module has no fsnotify
// dependency, and polling also works where notifications are unreliable:
// Kubernetes ConfigMap and Secret volumes replace the file through a
// symlink swap, network file systems send no events, and an mtime can
// stay the same across two writes within its resolution. Hashing the
// content makes the decision exact; a configuration file is small, so
// reading it every few seconds costs nothing.
package reload
