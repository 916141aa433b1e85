package policytest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/structauth/structauth/jwtauth"
)

// maxFileSize bounds a test file and a configuration file.
const maxFileSize = 4 << 20

// fileSpec is the YAML document.
type fileSpec struct {
	Config     yaml.Node         `yaml:"config"`
	ConfigFile string            `yaml:"configFile"`
	Profile    string            `yaml:"profile"`
	Now        string            `yaml:"now"`
	Defaults   map[string]any    `yaml:"defaults"`
	JWKS       map[string]string `yaml:"jwks"`
	Cases      []caseSpec        `yaml:"cases"`
}

type caseSpec struct {
	Name   string         `yaml:"name"`
	Claims map[string]any `yaml:"claims"`
	Sign   bool           `yaml:"sign"`
	Alg    string         `yaml:"alg"`
	Token  string         `yaml:"token"`
	User   *userSpec      `yaml:"user"`
	Reject *rejectSpec    `yaml:"reject"`

	line int
	// nulled are the claims the case sets to null.
	nulled map[string]bool
}

type userSpec struct {
	Username *string             `yaml:"username"`
	UID      *string             `yaml:"uid"`
	Groups   *[]string           `yaml:"groups"`
	Extra    map[string][]string `yaml:"extra"`
	// extraSet tells "extra: {}" (require none) from no extra field.
	extraSet bool
}

type rejectSpec struct {
	Check   string `yaml:"check"`
	Message string `yaml:"message"`
}

// suite is a parsed, checked test file.
type suite struct {
	path    string
	cfg     *jwtauth.AuthenticationConfiguration
	profile jwtauth.Profile
	now     time.Time // zero: the real clock
	// jwks maps an issuer URL to the key set (JSON) served for it.
	jwks  map[string][]byte
	cases []caseSpec
}

var knownChecks = map[jwtauth.Check]bool{
	jwtauth.CheckFormat: true, jwtauth.CheckIssuer: true, jwtauth.CheckReady: true, jwtauth.CheckAlgorithm: true,
	jwtauth.CheckKeys: true, jwtauth.CheckSignature: true, jwtauth.CheckClaims: true, jwtauth.CheckAudience: true,
	jwtauth.CheckExpiry: true, jwtauth.CheckNotBefore: true, jwtauth.CheckDistributed: true,
	jwtauth.CheckUsername: true, jwtauth.CheckGroups: true, jwtauth.CheckUID: true, jwtauth.CheckExtra: true,
	jwtauth.CheckRequiredClaim: true, jwtauth.CheckClaimRule: true, jwtauth.CheckUserRule: true,
	jwtauth.CheckAKSPrefix: true, jwtauth.CheckSystemName: true,
}

// loadSuite reads and checks a test file and its configuration.
func loadSuite(path string) (*suite, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	s, err := parseSuite(path, data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("%s: file larger than %d bytes", path, maxFileSize)
	}
	return data, nil
}

// typeNames turns yaml.v3's Go type names into the format's names.
var typeNames = strings.NewReplacer(
	"in type policytest.fileSpec", "in a test file",
	"in type policytest.caseSpec", "in a case",
	"in type policytest.userSpec", "in user",
	"in type policytest.rejectSpec", "in reject",
	"yaml: unmarshal errors:\n  ", "",
	"\n  ", "; ",
)

func parseSuite(path string, data []byte) (*suite, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("empty test file")
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, err
	}
	if len(root.Content) == 0 {
		return nil, errors.New("empty test file")
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var spec fileSpec
	if err := dec.Decode(&spec); err != nil {
		return nil, errors.New(typeNames.Replace(err.Error()))
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("line %d: a test file must be a mapping", doc.Line)
	}
	s := &suite{path: path, cases: spec.Cases}

	switch strings.ToLower(spec.Profile) {
	case "", "kubernetes":
	case "aks":
		s.profile = jwtauth.ProfileAKS
	default:
		return nil, fmt.Errorf("line %d: profile: %q is not kubernetes or aks", valueLine(doc, "profile"), spec.Profile)
	}
	if spec.Now != "" {
		t, err := time.Parse(time.RFC3339, spec.Now)
		if err != nil {
			return nil, fmt.Errorf("line %d: now: not an RFC 3339 time: %q", valueLine(doc, "now"), spec.Now)
		}
		s.now = t
	}

	hasInline := spec.Config.Kind != 0 && !(spec.Config.Kind == yaml.ScalarNode && spec.Config.Tag == "!!null")
	switch {
	case hasInline && spec.ConfigFile != "":
		return nil, fmt.Errorf("line %d: config and configFile are mutually exclusive", valueLine(doc, "configFile"))
	case hasInline:
		cfg, err := parseConfig(inlineText(data, doc, &spec.Config))
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		s.cfg = cfg
	case spec.ConfigFile != "":
		p := spec.ConfigFile
		if !filepath.IsAbs(p) {
			p = filepath.Join(filepath.Dir(path), p)
		}
		cdata, err := readFile(p)
		if err != nil {
			return nil, fmt.Errorf("configFile: %w", err)
		}
		cfg, err := parseConfig(cdata)
		if err != nil {
			return nil, fmt.Errorf("configFile %s: %w", p, err)
		}
		s.cfg = cfg
	default:
		return nil, errors.New("config or configFile is required")
	}

	if len(spec.JWKS) > 0 {
		s.jwks = map[string][]byte{}
		configured := map[string]bool{}
		for _, a := range s.cfg.JWT {
			configured[a.Issuer.URL] = true
		}
		for iss, p := range spec.JWKS {
			if !configured[iss] {
				return nil, fmt.Errorf("line %d: jwks: %q is not a configured issuer URL", valueLine(doc, "jwks"), iss)
			}
			if !filepath.IsAbs(p) {
				p = filepath.Join(filepath.Dir(path), p)
			}
			keys, err := readFile(p)
			if err != nil {
				return nil, fmt.Errorf("jwks: %w", err)
			}
			s.jwks[iss] = keys
		}
	}

	defaults, err := jsonValue(spec.Defaults)
	if err != nil {
		return nil, fmt.Errorf("line %d: defaults: %w", valueLine(doc, "defaults"), err)
	}
	spec.Defaults, _ = defaults.(map[string]any)

	if len(spec.Cases) == 0 {
		return nil, errors.New("no cases")
	}
	var caseNodes []*yaml.Node
	if n := value(doc, "cases"); n != nil && n.Kind == yaml.SequenceNode {
		caseNodes = n.Content
	}
	seen := map[string]int{}
	for i := range s.cases {
		c := &s.cases[i]
		if i < len(caseNodes) {
			c.line = caseNodes[i].Line
			if u := value(caseNodes[i], "user"); u != nil && value(u, "extra") != nil {
				if c.User != nil {
					c.User.extraSet = true
				}
			}
		}
		if err := checkCase(c, spec.Defaults, seen); err != nil {
			return nil, fmt.Errorf("line %d: case %q: %w", c.line, c.Name, err)
		}
		seen[c.Name] = c.line
	}
	return s, nil
}

func checkCase(c *caseSpec, defaults map[string]any, seen map[string]int) error {
	if c.Name == "" {
		return errors.New("name is required")
	}
	if l, dup := seen[c.Name]; dup {
		return fmt.Errorf("duplicate name (first at line %d)", l)
	}
	if (c.User == nil) == (c.Reject == nil) {
		return errors.New("exactly one of user and reject is required")
	}
	if c.Reject != nil && c.Reject.Check != "" && !knownChecks[jwtauth.Check(c.Reject.Check)] {
		return fmt.Errorf("reject.check: unknown check %q", c.Reject.Check)
	}
	if c.Alg != "" && !c.Sign {
		return errors.New("alg needs sign: true")
	}
	if c.Token != "" {
		if c.Sign || c.Claims != nil {
			return errors.New("token excludes claims and sign")
		}
		return nil
	}
	if c.Claims == nil && defaults == nil {
		return errors.New("claims is required (or file-level defaults)")
	}
	v, err := jsonValue(c.Claims)
	if err != nil {
		return fmt.Errorf("claims: %w", err)
	}
	own, _ := v.(map[string]any)
	merged := make(map[string]any, len(defaults)+len(own))
	for k, v := range defaults {
		merged[k] = v
	}
	c.nulled = map[string]bool{}
	for k, v := range own {
		if v == nil {
			delete(merged, k)
			c.nulled[k] = true
			continue
		}
		merged[k] = v
	}
	c.Claims = merged
	return nil
}

// jsonValue converts a decoded YAML value to what encoding/json produces:
// string-keyed maps, and timestamps as NumericDates.
func jsonValue(v any) (any, error) {
	switch v := v.(type) {
	case nil, string, bool, int, int64, uint64, float64:
		return v, nil
	case time.Time:
		return v.Unix(), nil
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			c, err := jsonValue(e)
			if err != nil {
				return nil, err
			}
			m[k] = c
		}
		return m, nil
	case map[any]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			ks, ok := k.(string)
			if !ok {
				return nil, fmt.Errorf("map key %v is not a string", k)
			}
			c, err := jsonValue(e)
			if err != nil {
				return nil, err
			}
			m[ks] = c
		}
		return m, nil
	case []any:
		s := make([]any, len(v))
		for i, e := range v {
			c, err := jsonValue(e)
			if err != nil {
				return nil, err
			}
			s[i] = c
		}
		return s, nil
	}
	return nil, fmt.Errorf("unsupported value of type %T", v)
}

// value returns the value node of key in mapping m.
func value(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func valueLine(m *yaml.Node, key string) int {
	if n := value(m, key); n != nil {
		return n.Line
	}
	return m.Line
}

// inlineText returns the source text of the inline config node v with
// every other line blanked, so that the line numbers in
// jwtauth.ParseConfig's errors are the test file's.
func inlineText(data []byte, doc, v *yaml.Node) []byte {
	lines := strings.SplitAfter(string(data), "\n")
	end := len(lines)
	// The config ends where the next top-level key starts.
	for i := 0; i+1 < len(doc.Content); i += 2 {
		if doc.Content[i+1] == v && i+2 < len(doc.Content) {
			end = doc.Content[i+2].Line - 1
		}
	}
	var b strings.Builder
	for i := range lines {
		switch {
		case i+1 < v.Line || i >= end:
			b.WriteString("\n")
		case i+1 == v.Line:
			l := lines[i]
			pad := min(v.Column-1, len(l))
			lead := strings.Repeat(" ", pad)
			if v.Style&yaml.FlowStyle != 0 && pad >= 4 {
				// A document that starts with "{" would be read as JSON;
				// the document marker keeps it YAML, on the same line.
				lead = "--- " + lead[4:]
			}
			b.WriteString(lead + l[pad:])
		default:
			b.WriteString(lines[i])
		}
	}
	return []byte(b.String())
}

// parseConfig reads an AuthenticationConfiguration or a single jwt
// authenticator (an object with "issuer" and no "kind").
func parseConfig(data []byte) (*jwtauth.AuthenticationConfiguration, error) {
	var peek map[string]any
	if yaml.Unmarshal(data, &peek) == nil {
		_, hasKind := peek["kind"]
		_, hasIssuer := peek["issuer"]
		if !hasKind && hasIssuer {
			a, err := jwtauth.ParseAuthenticator(data)
			if err != nil {
				return nil, err
			}
			return &jwtauth.AuthenticationConfiguration{APIVersion: jwtauth.APIVersionV1, Kind: jwtauth.Kind, JWT: []jwtauth.JWTAuthenticator{*a}}, nil
		}
	}
	return jwtauth.ParseConfig(data)
}
