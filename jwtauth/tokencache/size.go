package tokencache

import (
	"maps"
	"slices"

	"github.com/structauth/structauth/jwtauth"
)

// entryOverhead approximates what one entry costs besides its strings: the
// map slot (key and pointer), the entry, the User and their headers.
const entryOverhead = 256

// userSize estimates the memory held by u.
func userSize(u *jwtauth.User) int64 {
	n := int64(entryOverhead + len(u.Username) + len(u.UID))
	for _, g := range u.Groups {
		n += 16 + int64(len(g))
	}
	for k, vs := range u.Extra {
		n += 64 + int64(len(k))
		for _, v := range vs {
			n += 16 + int64(len(v))
		}
	}
	return n
}

// cloneUser copies u deeply.
func cloneUser(u *jwtauth.User) *jwtauth.User {
	c := &jwtauth.User{Username: u.Username, UID: u.UID, Groups: slices.Clone(u.Groups)}
	if u.Extra != nil {
		c.Extra = make(map[string][]string, len(u.Extra))
		for k, vs := range maps.All(u.Extra) {
			c.Extra[k] = slices.Clone(vs)
		}
	}
	return c
}
