package celmap

import (
	"encoding/json"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/interpreter"
)

// Activation supplies the one variable an expression reads. Build one per
// token with NewClaimsActivation or NewUserActivation and pass it to every
// Program of that token: decoded claims are cached in it, so an
// Activation is not safe for concurrent use.
type Activation interface {
	activation() interpreter.Activation
}

// ClaimSource is the token payload as NewClaimsActivation reads it;
// *claims.Set implements it. Names lists each top-level claim once, in
// document order (that is the order in which an expression iterating
// `claims` sees the values; kube-apiserver's order is random). Raw returns
// a claim's JSON text.
type ClaimSource interface {
	Names() []string
	Raw(name string) (json.RawMessage, bool)
}

// NewClaimsActivation binds `claims` to the token's claims. Nothing is
// decoded up front: a top-level claim is decoded with encoding/json into
// `any` the first time an expression touches it (so every JSON number is a
// CEL double), converted with cel-go's default adapter and wrapped so that
// nested field selections unescape names (see Unescape). A claim that is
// not valid JSON becomes an error value for the expressions that read it.
// A nil src yields an empty claim set.
func NewClaimsActivation(src ClaimSource) Activation {
	if src == nil {
		src = noClaims{}
	}
	return &varActivation{name: ClaimsVar, value: newLazyObject(claimsObjectType, claimFields{src})}
}

// NewUserActivation binds `user` for userValidationRules to the mapped
// user. A nil groups reads as [] and a nil extra as {}, as an unset
// field of kube-apiserver's user.DefaultInfo does; user.extra keys are
// unescaped on selection (user.extra.example__dot__org__slash__a).
func NewUserActivation(username, uid string, groups []string, extra map[string][]string) Activation {
	u := &userFieldSet{username: username, uid: uid, groups: groups, extra: extra}
	return &varActivation{name: UserVar, value: newLazyObject(userObjectType, u)}
}

// varActivation resolves a single variable name.
type varActivation struct {
	name  string
	value ref.Val
}

func (a *varActivation) activation() interpreter.Activation { return a }

func (a *varActivation) ResolveName(name string) (any, bool) {
	if name != a.name {
		return nil, false
	}
	return a.value, true
}

func (a *varActivation) Parent() interpreter.Activation { return nil }

// emptyActivation resolves nothing; Eval uses it for a nil Activation so
// that a missing activation is an evaluation error, not a panic.
type emptyActivation struct{}

func (emptyActivation) ResolveName(string) (any, bool) { return nil, false }
func (emptyActivation) Parent() interpreter.Activation { return nil }

// claimFields adapts a ClaimSource to the lazy object.
type claimFields struct{ src ClaimSource }

func (c claimFields) fieldNames() []string { return c.src.Names() }

func (c claimFields) hasField(name string) bool {
	_, ok := c.src.Raw(name)
	return ok
}

func (c claimFields) loadField(name string) ref.Val {
	raw, _ := c.src.Raw(name)
	if raw == nil {
		raw = json.RawMessage("null") // what RawMessage.MarshalJSON gives for nil
	}
	v, ok := decodeSimple(raw)
	if !ok {
		if err := json.Unmarshal(raw, &v); err != nil {
			return types.NewErr("claim %q failed to unmarshal: %w", name, err)
		}
	}
	return nativeWithUnescaping(v)
}

type noClaims struct{}

func (noClaims) Names() []string                    { return nil }
func (noClaims) Raw(string) (json.RawMessage, bool) { return nil, false }

// userFieldSet holds the user fields; each converts on first access.
type userFieldSet struct {
	username, uid string
	groups        []string
	extra         map[string][]string
}

// userFieldNames is the upstream field order, which is what iterating
// `user` yields.
var userFieldNames = []string{"username", "uid", "groups", "extra"}

func (u *userFieldSet) fieldNames() []string { return userFieldNames }

func (u *userFieldSet) hasField(name string) bool {
	switch name {
	case "username", "uid", "groups", "extra":
		return true
	}
	return false
}

func (u *userFieldSet) loadField(name string) ref.Val {
	// The typed nil slice and map convert to an empty list and map.
	switch name {
	case "username":
		return nativeWithUnescaping(u.username)
	case "uid":
		return nativeWithUnescaping(u.uid)
	case "groups":
		return nativeWithUnescaping(u.groups)
	default:
		return nativeWithUnescaping(u.extra)
	}
}
