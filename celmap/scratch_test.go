package celmap

import (
	"context"
	"fmt"
	"testing"
)

func TestScratch(t *testing.T) {
	env, err := NewEnv()
	if err != nil {
		t.Fatal(err)
	}
	act := NewUserActivation("jane", "", nil, map[string][]string{"example.org/a": {"v"}, "authentication.kubernetes.io/credential-id": {"JTI=1"}})
	for _, e := range []string{
		"user.username", "user.unknown == 'foo'", "claims.sub == 'x'", "user.uid == ''", "!('bar' in user.groups)", "!('bar' in user.extra)",
		"user.extra.example__dot__org__slash__a[0] == 'v'", "user.extra['example.org/a'][0] == 'v'", "'system:authenticated' in user.groups",
		"has(user.username)", "user.groups.size() == 0", "user.extra[?'authentication.kubernetes.io/credential-id'].orValue([])[0] == 'JTI=1'",
		"user.all(v, true)", "size(user.extra) == 2", "type(user) == kubernetes.UserInfo", "user.groups == []", "user.extra.size() == 2",
		"user.extra.nope.size() == 0", "user.extra.exists(k, k == 'example.org/a')",
	} {
		p, err := env.CompileUser(e)
		if err != nil {
			fmt.Printf("%-50s COMPILE %v\n", e, err)
			continue
		}
		v, err := p.Eval(context.Background(), act)
		if err != nil {
			fmt.Printf("%-50s EVAL %v\n", e, err)
			continue
		}
		fmt.Printf("%-50s => %v (%s)\n", e, v.v, v.TypeName())
	}
}
