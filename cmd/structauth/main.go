// Command structauth checks and debugs Kubernetes structured
// authentication configurations outside kube-apiserver.
//
//	structauth lint CONFIG [--aks]            validate a configuration
//	structauth explain CONFIG TOKEN|-         why is this token accepted or rejected?
//	structauth explain CONFIG --claims FILE   the same for a claim set, without a token
//	structauth demo                           offline walkthrough with an in-process issuer
//	structauth help [COMMAND]                 usage
//
// Install it with
//
//	go install github.com/structauth/structauth/cmd/structauth@latest
//
// Exit status: 0 success (configuration valid, token accepted), 1 the
// check failed (problems found, token rejected), 2 usage or input error
// (bad flags, unreadable file, invalid configuration given to explain).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// Exit codes shared by every command.
const (
	exitOK      = 0
	exitFailed  = 1
	exitUsage   = 2
	programName = "structauth"
)

// command is one subcommand. Each command file registers its own in
// init(), so commands are added without editing this file.
type command struct {
	name, summary, usage string
	run                  func(args []string, stdin io.Reader, stdout, stderr io.Writer) int
}

var commands = map[string]*command{}

func register(c *command) {
	if _, dup := commands[c.name]; dup {
		panic("structauth: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run dispatches args to a command and returns the exit status.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		writeUsage(stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 && name == "help" {
			c, ok := commands[args[1]]
			if !ok {
				fmt.Fprintf(stderr, "%s: unknown command %q\n", programName, args[1])
				return exitUsage
			}
			fmt.Fprint(stdout, c.usage)
			return exitOK
		}
		writeUsage(stdout)
		return exitOK
	}
	c, ok := commands[name]
	if !ok {
		fmt.Fprintf(stderr, "%s: unknown command %q\n\n", programName, name)
		writeUsage(stderr)
		return exitUsage
	}
	return c.run(args[1:], stdin, stdout, stderr)
}

func writeUsage(w io.Writer) {
	fmt.Fprintf(w, "%s checks and debugs Kubernetes structured authentication configurations.\n\nUsage:\n  %s COMMAND [ARGS]\n\nCommands:\n", programName, programName)
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-9s %s\n", n, commands[n].summary)
	}
	fmt.Fprintf(w, "  %-9s %s\n", "help", "show usage of a command: help COMMAND")
	fmt.Fprintf(w, "\nExit status: 0 success, 1 check failed (problems found, token rejected), 2 usage or input error.\n")
}

// parseFlags parses args with fs, allowing flags after positional
// arguments ("lint file.yaml --aks"); "--" ends the flags. It returns the
// positional arguments, or the exit status to return: exitOK after
// -h/--help (usage printed to stdout), exitUsage after a flag error.
func parseFlags(fs *flag.FlagSet, usage string, args []string, stdout, stderr io.Writer) ([]string, int, bool) {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	var positional []string
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, usage)
			return nil, exitOK, false
		}
		if err != nil {
			fmt.Fprintf(stderr, "%s %s: %v\n\n%s", programName, fs.Name(), err, usage)
			return nil, exitUsage, false
		}
		rest := fs.Args()
		// fs.Parse stops at the first non-flag or after "--".
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), 0, true
		}
		if len(rest) == 0 {
			return positional, 0, true
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// readInput reads a file, or stdin for "-", bounded to limit bytes.
func readInput(name string, stdin io.Reader, limit int64) ([]byte, error) {
	var r io.Reader
	if name == "-" {
		r = stdin
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: larger than %d bytes", displayName(name), limit)
	}
	return data, nil
}

func displayName(name string) string {
	if name == "-" {
		return "standard input"
	}
	return name
}

// indent prefixes every line of s.
func indent(s, prefix string) string {
	return prefix + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+prefix)
}
