package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/structauth/structauth/jwtauth"
)

const lintUsage = `Usage: structauth lint CONFIG [--aks]

Validates CONFIG with kube-apiserver's rules: strict decoding (unknown,
duplicate and mistyped fields), every field rule, and a compile of every
CEL expression. All problems are printed, one per line, as
CONFIG:LINE: FIELD: PROBLEM.

CONFIG is an AuthenticationConfiguration (YAML or JSON; apiVersion
apiserver.config.k8s.io/v1, v1beta1 or v1alpha1), or a single
authenticator object as taken by "az aks jwtauthenticator add
--config-file" (no apiVersion, kind or jwt list). "-" reads standard input.

Flags:
  --aks   also apply Azure Kubernetes Service's rules (expression-only
          mappings and rules, "aks:jwt:" prefixes, no discoveryURL,
          certificateAuthority, audienceMatchPolicy, egressSelectorType
          or anonymous section)

Exit status: 0 valid, 1 problems found, 2 usage or I/O error.
`

// maxConfigSize bounds configuration files read by the commands.
const maxConfigSize = 4 << 20

func init() {
	register(&command{name: "lint", summary: "validate a configuration (kube-apiserver's rules, --aks for AKS's)", usage: lintUsage, run: runLint})
}

func runLint(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("lint", flag.ContinueOnError)
	aks := fs.Bool("aks", false, "apply AKS's rules")
	pos, code, ok := parseFlags(fs, lintUsage, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "structauth lint: expected one CONFIG argument, got %d\n\n%s", len(pos), lintUsage)
		return exitUsage
	}
	name := pos[0]
	data, err := readInput(name, stdin, maxConfigSize)
	if err != nil {
		fmt.Fprintf(stderr, "structauth lint: %v\n", err)
		return exitUsage
	}
	profile := jwtauth.ProfileKubernetes
	if *aks {
		profile = jwtauth.ProfileAKS
	}
	res := lintConfig(data, profile)
	for _, p := range res.problems {
		fmt.Fprintln(stdout, p.format(displayName(name)))
	}
	if len(res.problems) > 0 {
		fmt.Fprintf(stdout, "%s: %d problem%s (%s rules)\n", displayName(name), len(res.problems), plural(len(res.problems)), profile)
		return exitFailed
	}
	fmt.Fprintf(stdout, "%s: ok: %s, %s rules\n", displayName(name), res.summary, profile)
	if res.single && !*aks {
		fmt.Fprintf(stdout, "note: a single-authenticator file is AKS's format; add --aks to apply AKS's rules\n")
	}
	return exitOK
}

// problem is one finding: a line (0 if unknown), a field path (empty for
// decoding errors) and the text.
type problem struct {
	line  int
	field string
	text  string
}

func (p problem) format(file string) string {
	loc := file
	if p.line > 0 {
		loc += ":" + strconv.Itoa(p.line)
	}
	if p.field != "" {
		return loc + ": " + p.field + ": " + p.text
	}
	return loc + ": " + p.text
}

type lintResult struct {
	problems []problem
	single   bool // a single authenticator object
	summary  string
}

// lineRE and lineSuffixRE find the "line N: " and " (line N)" that
// yaml.v3 and jwtauth's decoder put in their messages.
var (
	lineRE       = regexp.MustCompile(`line (\d+): `)
	lineSuffixRE = regexp.MustCompile(` \(line (\d+)\)$`)
)

// lintConfig decodes and validates data, returning every problem.
func lintConfig(data []byte, profile jwtauth.Profile) lintResult {
	var res lintResult
	root := yamlRoot(data)
	res.single = isSingleAuthenticator(root)
	opts := jwtauth.ValidateOptions{Profile: profile}
	var verr error
	if res.single {
		a, err := jwtauth.ParseAuthenticator(data)
		if err != nil {
			res.problems = decodeProblems(err)
			return res
		}
		verr = jwtauth.ValidateAuthenticator(a, opts)
		res.summary = fmt.Sprintf("1 authenticator (issuer %s)", a.Issuer.URL)
	} else {
		cfg, err := jwtauth.ParseConfig(data)
		if err != nil {
			res.problems = decodeProblems(err)
			for i, p := range res.problems {
				// The apiVersion/kind check names no line: point at the field.
				if p.line == 0 && strings.Contains(p.text, "is registered for version") {
					res.problems[i].line = lineOf(root, "apiVersion")
				}
			}
			return res
		}
		verr = jwtauth.ValidateConfig(cfg, opts)
		res.summary = fmt.Sprintf("%d authenticator%s (%s)", len(cfg.JWT), plural(len(cfg.JWT)), cfg.APIVersion)
	}
	if verr == nil {
		return res
	}
	var ve *jwtauth.ValidationError
	if !errors.As(verr, &ve) {
		res.problems = []problem{{text: verr.Error()}}
		return res
	}
	seen := map[string]bool{}
	for _, fe := range ve.Errors {
		if seen[fe.Error()] {
			continue
		}
		seen[fe.Error()] = true
		res.problems = append(res.problems, problem{line: lineOf(root, fe.Field), field: fe.Field, text: fe.ErrorBody()})
	}
	return res
}

// decodeProblems turns a decoding error into problems: a strict decoding
// error lists several, each possibly with a line.
func decodeProblems(err error) []problem {
	msg := strings.TrimPrefix(err.Error(), "jwtauth: ")
	var parts []string
	if rest, ok := strings.CutPrefix(msg, "strict decoding error: "); ok {
		parts = splitTopLevel(rest)
	} else {
		parts = []string{msg}
	}
	out := make([]problem, 0, len(parts))
	for _, p := range parts {
		pr := problem{text: p}
		if m := lineRE.FindStringSubmatchIndex(p); m != nil {
			pr.line, _ = strconv.Atoi(p[m[2]:m[3]])
			pr.text = p[:m[0]] + p[m[1]:]
		} else if m := lineSuffixRE.FindStringSubmatchIndex(p); m != nil {
			pr.line, _ = strconv.Atoi(p[m[2]:m[3]])
			pr.text = p[:m[0]]
		}
		out = append(out, pr)
	}
	return out
}

// splitTopLevel splits the strict decoder's ", "-joined list, ignoring
// separators inside quotes.
func splitTopLevel(s string) []string {
	var out []string
	start, inQuote := 0, false
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && inQuote:
			i++
		case s[i] == '"':
			inQuote = !inQuote
		case !inQuote && strings.HasPrefix(s[i:], ", "):
			out = append(out, s[start:i])
			start = i + 2
			i++
		}
	}
	return append(out, s[start:])
}

// yamlRoot parses data for line numbers (JSON is YAML too); nil when it
// does not parse.
func yamlRoot(data []byte) *yaml.Node {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil || len(doc.Content) == 0 {
		return nil
	}
	return deref(doc.Content[0])
}

func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 16; i++ {
		n = n.Alias
	}
	return n
}

// isSingleAuthenticator reports whether the document is one jwt entry
// (it has "issuer" and none of apiVersion, kind, jwt).
func isSingleAuthenticator(root *yaml.Node) bool {
	if root == nil || root.Kind != yaml.MappingNode {
		return false
	}
	keys := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		keys[root.Content[i].Value] = true
	}
	return keys["issuer"] && !keys["apiVersion"] && !keys["kind"] && !keys["jwt"]
}

// lineOf maps a field path such as "jwt[0].claimMappings.username.prefix"
// to the line of the deepest node of the path present in the document.
func lineOf(root *yaml.Node, path string) int {
	line := 0
	n := root
	for _, seg := range splitPath(path) {
		if n == nil {
			break
		}
		var next *yaml.Node
		var at int
		if seg.index >= 0 {
			if n.Kind == yaml.SequenceNode && seg.index < len(n.Content) {
				next = deref(n.Content[seg.index])
				at = next.Line
			}
		} else if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == seg.name {
					next, at = deref(n.Content[i+1]), n.Content[i].Line
					break
				}
			}
		}
		if next == nil {
			break
		}
		n, line = next, at
	}
	return line
}

type pathSeg struct {
	name  string
	index int // -1 for a name
}

// splitPath splits "a.b[1].c" into a, b, [1], c.
func splitPath(path string) []pathSeg {
	var out []pathSeg
	for _, part := range strings.Split(path, ".") {
		name, rest, _ := strings.Cut(part, "[")
		if name != "" {
			out = append(out, pathSeg{name: name, index: -1})
		}
		for rest != "" {
			idx, after, ok := strings.Cut(rest, "]")
			if !ok {
				break
			}
			if i, err := strconv.Atoi(idx); err == nil {
				out = append(out, pathSeg{index: i})
			}
			rest = strings.TrimPrefix(after, "[")
		}
	}
	return out
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
