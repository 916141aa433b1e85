package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/structauth/structauth/jwtauth/policytest"
)

const testUsage = `Usage:
  structauth test [-v] FILE|DIR...

Runs claim-policy test files (the YAML format of package
github.com/structauth/structauth/jwtauth/policytest): each case maps a claim
set, or a token signed by an in-process issuer, through the configuration
and compares the result with the expected user or rejection. A directory
stands for the *.yaml and *.yml files in it. Nothing touches the network.

Every failing case is printed with its differences, then a summary line
"N passed, M failed".

Flags:
  -v    also list the cases that pass

Exit status: 0 all cases passed, 1 some case failed, 2 usage error or a
file that cannot be read, parsed or configured (the other files still run).
`

func init() {
	register(&command{name: "test", summary: "run claim-policy test files (N passed, M failed)", usage: testUsage, run: runTest})
}

func runTest(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	verbose := fs.Bool("v", false, "also list the cases that pass")
	paths, status, ok := parseFlags(fs, testUsage, args, stdout, stderr)
	if !ok {
		return status
	}
	if len(paths) == 0 {
		fmt.Fprintf(stderr, "%s test: no test files given\n\n%s", programName, testUsage)
		return exitUsage
	}
	files, broken := expandTestPaths(paths, stderr)

	passed, failed := 0, 0
	for _, f := range files {
		res, err := policytest.RunFile(f)
		if err != nil {
			fmt.Fprintf(stderr, "%s test: %v\n", programName, err)
			broken = true
			continue
		}
		for _, c := range res.Cases {
			if c.Passed() {
				passed++
				if *verbose {
					fmt.Fprintf(stdout, "PASS %s:%d: %s\n", res.File, c.Line, c.Name)
				}
				continue
			}
			failed++
			fmt.Fprintf(stdout, "FAIL %s:%d: %s\n%s\n", res.File, c.Line, c.Name, indent(strings.Join(c.Diff, "\n"), "    "))
		}
	}
	fmt.Fprintf(stdout, "%d passed, %d failed\n", passed, failed)
	switch {
	case broken:
		return exitUsage
	case failed > 0:
		return exitFailed
	}
	return exitOK
}

// expandTestPaths replaces each directory by its YAML files. Paths that
// do not exist or directories without test files are reported.
func expandTestPaths(paths []string, stderr io.Writer) (files []string, broken bool) {
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			// RunFile reports unreadable files with their path.
			files = append(files, p)
			continue
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		var found []string
		for _, pattern := range []string{"*.yaml", "*.yml"} {
			m, _ := filepath.Glob(filepath.Join(p, pattern))
			found = append(found, m...)
		}
		if len(found) == 0 {
			fmt.Fprintf(stderr, "%s test: %s: no *.yaml or *.yml files\n", programName, p)
			broken = true
		}
		slices.Sort(found)
		files = append(files, found...)
	}
	return files, broken
}
