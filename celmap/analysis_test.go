package celmap

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// The static email / email_verified detection (2.9; 114-127, 169-171,
// 194-202, 325-328).
func TestSelectsClaim(t *testing.T) {
	tests := []struct {
		name, expr          string
		email, emailVerfied bool
	}{
		{"114 email", "claims.email", true, false},
		{"115 almost email", "claims.email_", false, false},
		{"116 join", `['yay', string(claims.email), 'panda'].join(' ')`, true, false},
		{"117 optional", "claims.?email", true, false},
		{"118 map key", `{claims.?email: "panda"}`, true, false},
		{"119 map value", `{"fancy": claims.?email}`, true, false},
		{"120 comprehension", `["a"].map(i, i + claims.email)`, true, false},
		{"121 rule", `string(claims.email_verified) == "panda"`, false, true},
		{"122 extra", "claims.email_verified.upperAscii()", false, true},
		{"123 extra optional", "claims.?email_verified", false, true},
		{"124 ternary true", "claims.?email_verified.orValue(true) ? claims.email : claims.sub", true, true},
		{"125 ternary false", "claims.?email_verified.orValue(false) ? claims.email : claims.sub", true, true},
		{"126 rule", "claims.?email_verified.orValue(true) == true", false, true},
		{"169 has", "has(claims.email_verified)", false, true},
		{"170 almost has", "has(claims.email_verified_)", false, false},
		{"195 has email", "has(claims.email) ? claims.email : claims.sub", true, false},
		{"196 method target", "claims.email.trim()", true, false},
		{"198 extra", `has(claims.email_verified) ? string(claims.email_verified) : "false"`, false, true},
		{"199 almost", `has(claims.email_verified_) ? string(claims.email_verified_) : "false"`, false, false},
		{"202 nested", "claims.other.claims.email", false, false},
		{"326 index", "claims['email']", false, false},
		{"optional index", "claims[?'email'].orValue('')", false, false},
		{"327 list", "[claims.email]", true, false},
		{"nested selection below", "claims.email.x", true, false},
		{"dyn wrapped", "dyn(claims).email", false, false},
		{"two-var comprehension", "dyn(claims.m).all(k, v, k == claims.email)", true, false},
		{"exists macro", "['a'].exists(x, claims.?email_verified.orValue(false) == true)", false, true},
		{"bind-like nesting", "[[claims.email]].map(l, l)", true, false},
	}
	env := testEnv(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := env.CompileClaims(tc.expr, AnyResult)
			require.NoError(t, err)
			require.Equal(t, tc.email, p.SelectsClaim("email"), "email")
			require.Equal(t, tc.emailVerfied, p.SelectsClaim("email_verified"), "email_verified")
		})
	}
}

func TestSelectsClaimEdges(t *testing.T) {
	env := testEnv(t)
	p, err := env.CompileClaims("claims.email", AnyResult)
	require.NoError(t, err)
	require.False(t, p.SelectsClaim(""))
	require.False(t, (*Program)(nil).SelectsClaim("email"))

	u, err := env.CompileUser("user.username == 'claims.email'")
	require.NoError(t, err)
	require.False(t, u.SelectsClaim("email"))
}
