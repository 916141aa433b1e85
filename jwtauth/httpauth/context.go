package httpauth

import (
	"context"

	"github.com/structauth/structauth/jwtauth"
)

type userKey struct{}

// WithUser returns a copy of ctx that carries u, as the middleware does
// for an authenticated request. Handlers' tests use it to fake one.
func WithUser(ctx context.Context, u *jwtauth.User) context.Context {
	return context.WithValue(ctx, userKey{}, u)
}

// UserFrom returns the user the middleware authenticated, and false when
// the request went through without one (Options.Optional) or did not go
// through the middleware. The user may be shared with other requests (by a
// token cache): treat it as read-only.
func UserFrom(ctx context.Context) (*jwtauth.User, bool) {
	u, ok := ctx.Value(userKey{}).(*jwtauth.User)
	return u, ok && u != nil
}
