package policytest_test

import (
	"fmt"
	"strings"

	"github.com/structauth/structauth/jwtauth/policytest"
)

// RunFile for callers outside go test; inside a test, call
// policytest.Run(t, path) instead.
func ExampleRunFile() {
	res, err := policytest.RunFile("../../testdata/policies/failing/wrong-expectations.yaml")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range res.Cases[:3] {
		if c.Passed() {
			fmt.Printf("PASS %s\n", c.Name)
			continue
		}
		fmt.Printf("FAIL %s (line %d)\n    %s\n", c.Name, c.Line, strings.Join(c.Diff, "\n    "))
	}
	fmt.Printf("%d passed, %d failed\n", res.Passed(), res.Failed())
	// Output:
	// PASS passes (control)
	// FAIL wrong username (line 35)
	//     username: want "jane", got "idp:jane"
	// FAIL wrong groups and extra (line 39)
	//     groups: want ["idp:dev"], got ["idp:dev", "idp:ops"]
	//     extra["example.com/tenant"]: want ["other"], got ["acme"]
	// 1 passed, 7 failed
}
