package celmap

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// userValidationRules against the mapped user (3.8; 49, 50, 57, 60, 79,
// 81, 82, 93, 284-286).
func TestEvalUser(t *testing.T) {
	full := NewUserActivation("oidc:jane", "007", []string{"system:masters", "dev"}, map[string][]string{
		"example.org/a": {"v"},
		"authentication.kubernetes.io/credential-id": {"JTI=1234"},
		"bio.snorlax.org/3":                          {"true", "a", "b", "c"},
	})
	// 81: everything empty but the username.
	bare := NewUserActivation(" ", "", nil, nil)

	tests := []struct {
		name, expr string
		act        Activation
		want       bool
		wantErr    string
	}{
		{"49 username prefix", "!user.username.startsWith('oidc:')", full, false, ""},
		{"50 groups", "user.groups.all(group, !group.startsWith('system:'))", full, false, ""},
		{"57 escaped extra size", "user.extra.bio__dot__snorlax__dot__org__slash__3.size() == 4", full, true, ""},
		{"79 extra membership", "'v' in user.extra['example.org/a']", full, true, ""},
		{"81 empty uid", "user.uid == ''", bare, true, ""},
		{"81 empty groups", "!('bar' in user.groups)", bare, true, ""},
		{"81 empty extra", "!('bar' in user.extra)", bare, true, ""},
		{"81 username", "user.username == ' '", bare, true, ""},
		{"nil groups is an empty list", "user.groups == [] && size(user.groups) == 0", bare, true, ""},
		{"nil extra is an empty map", "user.extra == {} && user.extra.size() == 0", bare, true, ""},
		{"has is always true", "has(user.username) && has(user.uid) && has(user.groups) && has(user.extra)", bare, true, ""},
		{"284 not authenticated yet", "'system:authenticated' in user.groups", full, false, ""},
		{"285 credential id", "user.extra['authentication.kubernetes.io/credential-id'] == ['JTI=1234']", full, true, ""},
		{"286 escaped extra", "user.extra.example__dot__org__slash__a[0] == 'v'", full, true, ""},
		{"93 revocation", "!(user.extra[?'authentication.kubernetes.io/credential-id'][0].orValue('') in ['JTI=1234'])", full, false, ""},
		{"optional extra default", "user.extra[?'missing.org/x'].orValue([]).size() == 0", full, true, ""},
		{"extra keys iterate unescaped", "user.extra.exists(k, k == 'example.org/a')", full, true, ""},
		{"missing extra key", "user.extra.missing__dot__org[0] == 'x'", full, false, "resulted in error: no such key: missing__dot__org"},
	}
	env := testEnv(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := env.CompileUser(tc.expr)
			require.NoError(t, err)
			v, err := p.Eval(context.Background(), tc.act)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			b, ok := v.Bool()
			require.True(t, ok)
			require.Equal(t, tc.want, b)
		})
	}
}

// A user program evaluated against a claims activation (a caller bug)
// fails cleanly.
func TestEvalUserWrongActivation(t *testing.T) {
	p, err := testEnv(t).CompileUser("user.username == 'x'")
	require.NoError(t, err)
	_, err = p.Eval(context.Background(), NewClaimsActivation(mustClaims(`{"sub": "x"}`)))
	require.ErrorContains(t, err, "no such attribute")
}
