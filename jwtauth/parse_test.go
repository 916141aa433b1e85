package jwtauth

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const ptConfigDir = "../testdata/config"

// ptHeader is the envelope shared by the decode tests.
const ptHeader = "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthenticationConfiguration\n"

// ptMinimalJWT is one valid authenticator, indented as a jwt item.
const ptMinimalJWT = `jwt:
- issuer:
    url: https://issuer.example.com
    audiences: [my-api]
  claimMappings:
    username: {claim: sub, prefix: ""}
`

func TestParseConfigVersions(t *testing.T) {
	for _, v := range []string{"v1alpha1", "v1beta1", "v1"} {
		t.Run("yaml "+v, func(t *testing.T) {
			cfg, err := ParseConfig([]byte("apiVersion: apiserver.config.k8s.io/" + v + "\nkind: AuthenticationConfiguration\n" + ptMinimalJWT))
			require.NoError(t, err)
			require.Equal(t, "apiserver.config.k8s.io/"+v, cfg.APIVersion)
			require.Equal(t, Kind, cfg.Kind)
			require.Len(t, cfg.JWT, 1)
			require.Equal(t, "https://issuer.example.com", cfg.JWT[0].Issuer.URL)
			require.Equal(t, []string{"my-api"}, cfg.JWT[0].Issuer.Audiences)
			require.NoError(t, ValidateConfig(cfg, ValidateOptions{}))
		})
		t.Run("json "+v, func(t *testing.T) {
			cfg, err := ParseConfig([]byte(`{"apiVersion": "apiserver.config.k8s.io/` + v + `", "kind": "AuthenticationConfiguration",
				"jwt": [{"issuer": {"url": "https://issuer.example.com", "audiences": ["my-api"]},
				         "claimMappings": {"username": {"claim": "sub", "prefix": ""}}}]}`))
			require.NoError(t, err)
			require.Equal(t, "apiserver.config.k8s.io/"+v, cfg.APIVersion)
			require.Equal(t, "sub", cfg.JWT[0].ClaimMappings.Username.Claim)
		})
	}
}

func TestParseConfigJSON(t *testing.T) {
	// JSON is read by a JSON parser, as kube-apiserver does: JSON escapes
	// YAML lacks (\/ and surrogate pairs) work, tabs are fine, and strict
	// errors carry the line of the offending key.
	in := "{\n\t\"apiVersion\": \"apiserver.config.k8s.io/v1\",\n\t\"kind\": \"AuthenticationConfiguration\",\n" +
		"\t\"jwt\": [{\n\t\t\"issuer\": {\"url\": \"https:\\/\\/x\", \"audiences\": [\"a\\u00e9\", \"\\ud83d\\ude00\", \"#c\", \"yes\", \"1\"], \"audienceMatchPolicy\": \"MatchAny\"},\n" +
		"\t\t\"claimMappings\": {\"username\": {\"expression\": \"claims.sub\"}}\n\t}]\n}\n"
	cfg, err := ParseConfig([]byte(in))
	require.NoError(t, err)
	require.Equal(t, "https://x", cfg.JWT[0].Issuer.URL)
	require.Equal(t, []string{"aé", "😀", "#c", "yes", "1"}, cfg.JWT[0].Issuer.Audiences)
	require.NoError(t, ValidateConfig(cfg, ValidateOptions{}))

	_, err = ParseConfig([]byte(strings.Replace(in, `"claimMappings"`, `"claimMapping"`, 1)))
	require.EqualError(t, err, `jwtauth: strict decoding error: unknown field "jwt[0].claimMapping" (line 6)`)
	_, err = ParseConfig([]byte(strings.Replace(in, `"MatchAny"`, `true`, 1)))
	require.EqualError(t, err, "jwtauth: line 5: json: cannot unmarshal bool into Go struct field Issuer.jwt.issuer.audienceMatchPolicy of type v1.AudienceMatchPolicyType")
	_, err = ParseConfig([]byte(strings.Replace(in, `"MatchAny"`, `1e400`, 1)))
	require.EqualError(t, err, "jwtauth: line 5: json: cannot unmarshal number into Go struct field Issuer.jwt.issuer.audienceMatchPolicy of type v1.AudienceMatchPolicyType")
	_, err = ParseConfig([]byte(`{"apiVersion": "apiserver.config.k8s.io/v1", "kind": "AuthenticationConfiguration", "jwt": [{"": 1, "<<": {}}]}`))
	require.EqualError(t, err, `jwtauth: strict decoding error: unknown field "jwt[0]." (line 1), unknown field "jwt[0].<<" (line 1)`)
}

func TestParseConfigEmpty(t *testing.T) {
	for _, in := range []string{"", "   \n\t", "# only a comment\n", "---\n", "---\n...\n"} {
		_, err := ParseConfig([]byte(in))
		require.EqualError(t, err, "jwtauth: empty config data", "input %q", in)
	}
	cfg, err := ParseConfig([]byte(ptHeader))
	require.NoError(t, err, "no jwt at all is valid")
	require.Empty(t, cfg.JWT)
	require.NoError(t, ValidateConfig(cfg, ValidateOptions{}))
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // exact error text
	}{
		{"legacy group", "apiVersion: apiserver.k8s.io/v1beta1\nkind: AuthenticationConfiguration\n",
			`jwtauth: no kind "AuthenticationConfiguration" is registered for version "apiserver.k8s.io/v1beta1" (want kind AuthenticationConfiguration in apiserver.config.k8s.io/v1, apiserver.config.k8s.io/v1beta1 or apiserver.config.k8s.io/v1alpha1)`},
		{"unknown version", "apiVersion: apiserver.config.k8s.io/v2\nkind: AuthenticationConfiguration\n",
			`jwtauth: no kind "AuthenticationConfiguration" is registered for version "apiserver.config.k8s.io/v2" (want kind AuthenticationConfiguration in apiserver.config.k8s.io/v1, apiserver.config.k8s.io/v1beta1 or apiserver.config.k8s.io/v1alpha1)`},
		{"wrong kind", "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\n",
			`jwtauth: no kind "AuthorizationConfiguration" is registered for version "apiserver.config.k8s.io/v1" (want kind AuthenticationConfiguration in apiserver.config.k8s.io/v1, apiserver.config.k8s.io/v1beta1 or apiserver.config.k8s.io/v1alpha1)`},
		{"missing kind", "apiVersion: apiserver.config.k8s.io/v1\njwt: []\n",
			"jwtauth: Object 'Kind' is missing (want kind: AuthenticationConfiguration)"},
		{"missing apiVersion", "kind: AuthenticationConfiguration\n",
			"jwtauth: Object 'apiVersion' is missing (want apiVersion: apiserver.config.k8s.io/v1)"},
		{"kind not a string", "apiVersion: apiserver.config.k8s.io/v1\nkind: [a]\n",
			"jwtauth: line 2: couldn't get version/kind: kind must be a string, got array"},
		{"top level list", "- a\n- b\n", "jwtauth: line 1: config must be an object, got array"},
		{"top level scalar", "hello\n", "jwtauth: line 1: config must be an object, got string"},
		{"unknown field", ptHeader + "jwt:\n- issuer: {url: https://x, audiences: [a], foo: bar}\n",
			`jwtauth: strict decoding error: unknown field "jwt[0].issuer.foo" (line 4)`},
		{"unknown fields everywhere", ptHeader + "colour: blue\njwt:\n- {issuer: {url: https://x}, claimMappings: {extra: [{key: a/b, value: x}]}}\n- {Issuer: {}}\nanonymous: {enabled: true, conditions: [{path: /x, method: GET}]}\n",
			`jwtauth: strict decoding error: unknown field "colour" (line 3), unknown field "jwt[0].claimMappings.extra[0].value" (line 5), unknown field "jwt[1].Issuer" (line 6), unknown field "anonymous.conditions[0].method" (line 7)`},
		{"duplicate key", ptHeader + "jwt: []\njwt: []\n", `jwtauth: strict decoding error: duplicate field "jwt" (line 4)`},
		{"duplicate nested key", ptHeader + "jwt:\n- issuer:\n    url: https://a\n    url: https://b\n",
			`jwtauth: strict decoding error: duplicate field "jwt[0].issuer.url" (line 6)`},
		{"duplicate json key", `{"apiVersion": "apiserver.config.k8s.io/v1", "kind": "AuthenticationConfiguration", "jwt": [], "jwt": []}`,
			`jwtauth: strict decoding error: duplicate field "jwt" (line 1)`},
		{"string for list", ptHeader + "jwt:\n- issuer:\n    url: https://x\n    audiences: a\n",
			"jwtauth: line 6: json: cannot unmarshal string into Go struct field Issuer.jwt.issuer.audiences of type []string"},
		{"number for string", ptHeader + "jwt:\n- issuer:\n    url: 8443\n",
			"jwtauth: line 5: json: cannot unmarshal number into Go struct field Issuer.jwt.issuer.url of type string"},
		{"yaml 1.1 boolean for string", ptHeader + "jwt:\n- claimMappings:\n    username: {claim: sub, prefix: no}\n",
			"jwtauth: line 5: json: cannot unmarshal bool into Go struct field PrefixedClaimOrExpression.jwt.claimMappings.username.prefix of type string"},
		{"object for string", ptHeader + "jwt:\n- issuer: {url: {a: b}}\n",
			"jwtauth: line 4: json: cannot unmarshal object into Go struct field Issuer.jwt.issuer.url of type string"},
		{"list for struct", ptHeader + "jwt:\n- issuer: []\n",
			"jwtauth: line 4: json: cannot unmarshal array into Go struct field JWTAuthenticator.jwt.issuer of type v1.Issuer"},
		{"string for jwt list", "apiVersion: apiserver.config.k8s.io/v1beta1\nkind: AuthenticationConfiguration\njwt: x\n",
			"jwtauth: line 3: json: cannot unmarshal string into Go struct field AuthenticationConfiguration.jwt of type []v1beta1.JWTAuthenticator"},
		{"string for bool", ptHeader + "anonymous: {enabled: \"true\"}\n",
			"jwtauth: line 3: json: cannot unmarshal string into Go struct field AnonymousAuthConfig.anonymous.enabled of type bool"},
		{"string for pointer to struct", ptHeader + "anonymous: yes please\n",
			"jwtauth: line 3: json: cannot unmarshal string into Go struct field AuthenticationConfiguration.anonymous of type v1.AnonymousAuthConfig"},
		{"enum type name", ptHeader + "jwt:\n- issuer: {audienceMatchPolicy: 1}\n",
			"jwtauth: line 4: json: cannot unmarshal number into Go struct field Issuer.jwt.issuer.audienceMatchPolicy of type v1.AudienceMatchPolicyType"},
		{"first type error wins over strict errors", ptHeader + "foo: 1\njwt:\n- issuer: {url: 1, audiences: 2}\n",
			"jwtauth: line 5: json: cannot unmarshal number into Go struct field Issuer.jwt.issuer.url of type string"},
		{"json trailing comma", `{"apiVersion": "apiserver.config.k8s.io/v1", "kind": "AuthenticationConfiguration", "jwt": [],}`,
			"jwtauth: invalid JSON: invalid character '}' looking for beginning of object key string"},
		{"json trailing data", `{"apiVersion": "apiserver.config.k8s.io/v1", "kind": "AuthenticationConfiguration"} {}`,
			"jwtauth: invalid JSON: invalid character '{' after top-level value"},
		{"yaml syntax", ptHeader + "jwt:\n- issuer: {url: x\n", "jwtauth: yaml: line 3: did not find expected ',' or '}'"},
		{"tab indentation", ptHeader + "jwt:\n\t- issuer: {}\n", "jwtauth: yaml: line 4: found character that cannot start any token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ParseConfig([]byte(tt.in))
			require.Nil(t, cfg)
			require.EqualError(t, err, tt.want)
		})
	}
}

func TestParseConfigPrefixNullVsEmpty(t *testing.T) {
	parse := func(prefix string) *string {
		t.Helper()
		cfg, err := ParseConfig([]byte(ptHeader + "jwt:\n- claimMappings:\n    username:\n      claim: sub\n" + prefix))
		require.NoError(t, err)
		return cfg.JWT[0].ClaimMappings.Username.Prefix
	}
	require.Nil(t, parse(""), "absent")
	require.Nil(t, parse("      prefix: null\n"))
	require.Nil(t, parse("      prefix: ~\n"))
	require.Nil(t, parse("      prefix:\n"))
	p := parse("      prefix: \"\"\n")
	require.NotNil(t, p)
	require.Equal(t, "", *p)
	p = parse("      prefix: ''\n")
	require.NotNil(t, p)
	require.Equal(t, "", *p)
	p = parse("      prefix: \"oidc:\"\n")
	require.Equal(t, "oidc:", *p)

	// JSON too.
	cfg, err := ParseConfig([]byte(`{"apiVersion": "apiserver.config.k8s.io/v1", "kind": "AuthenticationConfiguration",
		"jwt": [{"claimMappings": {"username": {"claim": "sub", "prefix": null}, "groups": {"claim": "g", "prefix": ""}}}]}`))
	require.NoError(t, err)
	require.Nil(t, cfg.JWT[0].ClaimMappings.Username.Prefix)
	require.NotNil(t, cfg.JWT[0].ClaimMappings.Groups.Prefix)
	require.Equal(t, "", *cfg.JWT[0].ClaimMappings.Groups.Prefix)
}

func TestParseConfigNulls(t *testing.T) {
	// JSON null leaves strings and structs alone and clears lists and
	// pointers, as encoding/json does for kube-apiserver.
	cfg, err := ParseConfig([]byte(ptHeader + "jwt:\n- issuer: {url: null, audiences: null}\n  claimMappings: null\n  claimValidationRules: [null]\nanonymous: null\n"))
	require.NoError(t, err)
	require.Nil(t, cfg.Anonymous)
	require.Equal(t, "", cfg.JWT[0].Issuer.URL)
	require.Nil(t, cfg.JWT[0].Issuer.Audiences)
	require.Equal(t, []ClaimValidationRule{{}}, cfg.JWT[0].ClaimValidationRules)

	cfg, err = ParseConfig([]byte(ptHeader + "anonymous: {}\n"))
	require.NoError(t, err)
	require.NotNil(t, cfg.Anonymous, "an empty anonymous section is present")
}

func TestParseConfigYAML11Scalars(t *testing.T) {
	// Plain scalars resolve as in YAML 1.1 (sigs.k8s.io/yaml), so these
	// are booleans or numbers and not strings.
	for _, v := range []string{"yes", "No", "on", "OFF", "y", "true", "12345", "0x1F", "0o17", "1_000", "1.5", "-.5e3", ".inf", "0b101", "123456789012345678901234567890"} {
		_, err := ParseConfig([]byte(ptHeader + "jwt:\n- issuer:\n    audiences: [" + v + "]\n"))
		require.Error(t, err, v)
		require.Contains(t, err.Error(), "json: cannot unmarshal", v)
	}
	// These stay strings.
	for _, v := range []string{"'123'", `"yes"`, "2001-12-14", "1.2.3", "0x", "+", "!!str 42", "abc", "a1", "yes please", "!custom 7"} {
		cfg, err := ParseConfig([]byte(ptHeader + "jwt:\n- issuer:\n    audiences: [" + v + "]\n"))
		require.NoError(t, err, v)
		require.Len(t, cfg.JWT[0].Issuer.Audiences, 1, v)
	}
	cfg, err := ParseConfig([]byte(ptHeader + "anonymous: {enabled: yes}\n"))
	require.NoError(t, err)
	require.True(t, cfg.Anonymous.Enabled)
	cfg, err = ParseConfig([]byte(ptHeader + "anonymous: {enabled: !!bool true}\n"))
	require.NoError(t, err)
	require.True(t, cfg.Anonymous.Enabled)
}

func TestParseConfigExplicitTags(t *testing.T) {
	// An explicit standard tag resolves the text as yaml.v2 does, quoted
	// or not (kube-apiserver decodes with sigs.k8s.io/yaml): checked side
	// by side with kube in bench/validation_random_test.go.
	for _, tc := range []struct {
		name, yaml string
		want       func(*testing.T, *AuthenticationConfiguration)
		wantErr    string
	}{
		{name: "null from a quoted empty string", yaml: "jwt:\n- issuer: {url: https://a, audiences: [x]}\n  claimMappings: {uid: !!null ''}\n",
			want: func(t *testing.T, c *AuthenticationConfiguration) {
				require.Equal(t, ClaimOrExpression{}, c.JWT[0].ClaimMappings.UID)
			}},
		{name: "binary decoded", yaml: "jwt:\n- issuer: {url: !!binary \"aHR0cHM6Ly9h\", audiences: [x]}\n",
			want: func(t *testing.T, c *AuthenticationConfiguration) { require.Equal(t, "https://a", c.JWT[0].Issuer.URL) }},
		{name: "bool from quoted text", yaml: "anonymous: {enabled: !!bool 'yes'}\n",
			want: func(t *testing.T, c *AuthenticationConfiguration) { require.True(t, c.Anonymous.Enabled) }},
		{name: "str keeps text", yaml: "jwt:\n- issuer: {url: https://a, audiences: [!!str 42, !!str true]}\n",
			want: func(t *testing.T, c *AuthenticationConfiguration) {
				require.Equal(t, []string{"42", "true"}, c.JWT[0].Issuer.Audiences)
			}},
		{name: "quoted int is a number", yaml: "jwt:\n- issuer: {url: !!int \"0x10\"}\n", wantErr: "json: cannot unmarshal number"},
		{name: "float accepts an int", yaml: "jwt:\n- issuer: {url: !!float '1'}\n", wantErr: "json: cannot unmarshal number"},
		{name: "int refuses a float", yaml: "jwt:\n- issuer: {url: !!int '1.5'}\n", wantErr: `cannot decode "1.5" as a !!int`},
		{name: "kind as int", yaml: "", wantErr: `cannot decode "AuthenticationConfiguration" as a !!int`},
		{name: "null refuses text", yaml: "jwt:\n- issuer: {url: !!null 'x'}\n", wantErr: `cannot decode "x" as a !!null`},
		{name: "null refuses a bool", yaml: "anonymous: {enabled: !!null true}\n", wantErr: `cannot decode "true" as a !!null`},
		{name: "timestamp refuses text", yaml: "jwt:\n- issuer: {url: !!timestamp 'x'}\n", wantErr: `cannot decode "x" as a !!timestamp`},
		{name: "bad base64", yaml: "jwt:\n- issuer: {url: !!binary '!!'}\n", wantErr: "invalid base64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := ptHeader + tc.yaml
			if tc.name == "kind as int" {
				doc = "apiVersion: apiserver.config.k8s.io/v1\nkind: !!int \"AuthenticationConfiguration\"\n"
			}
			cfg, err := ParseConfig([]byte(doc))
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			tc.want(t, cfg)
		})
	}
}

func TestParseConfigAliasesAndMerge(t *testing.T) {
	_, err := ParseConfig([]byte(ptHeader + `jwt:
- issuer: &iss
    url: https://a.example.com
    audiences: &auds [aud1, aud2]
    audienceMatchPolicy: MatchAny
  claimMappings: &cm
    username: {expression: claims.sub}
- issuer:
    <<: *iss
    url: https://b.example.com
  claimMappings: *cm
`))
	require.Error(t, err, "a merged key repeated explicitly is a duplicate in strict mode")
	require.Contains(t, err.Error(), `duplicate field "jwt[1].issuer.url"`)

	cfg, err := ParseConfig([]byte(ptHeader + `jwt:
- issuer: &iss
    url: https://a.example.com
    audiences: &auds [aud1, aud2]
    audienceMatchPolicy: MatchAny
  claimMappings: &cm
    username: {expression: claims.sub}
- issuer:
    <<: {audiences: *auds, audienceMatchPolicy: MatchAny}
    url: https://b.example.com
  claimMappings: *cm
`))
	require.NoError(t, err)
	require.Equal(t, []string{"aud1", "aud2"}, cfg.JWT[1].Issuer.Audiences)
	require.Equal(t, "https://b.example.com", cfg.JWT[1].Issuer.URL)
	require.Equal(t, "claims.sub", cfg.JWT[1].ClaimMappings.Username.Expression)
	require.NoError(t, ValidateConfig(cfg, ValidateOptions{}))
}

func TestParseConfigAliasBomb(t *testing.T) {
	// Aliases multiply: 2,000 references to an authenticator with 1,000
	// rules would be two million rules. The decoder gives up instead of
	// exhausting memory.
	var b strings.Builder
	b.WriteString(ptHeader + "x: &au\n  claimValidationRules:\n")
	for i := range 1000 {
		fmt.Fprintf(&b, "  - {expression: e%d}\n", i)
	}
	b.WriteString("jwt: [")
	for i := range 2000 {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("*au")
	}
	b.WriteString("]\n")
	start := time.Now()
	_, err := ParseConfig([]byte(b.String()))
	require.EqualError(t, err, "jwtauth: config too large after expanding YAML aliases")
	require.Less(t, time.Since(start), 10*time.Second)
}

func TestParseAuthenticator(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(ptConfigDir, "aks-authenticator.json"))
	require.NoError(t, err)
	a, err := ParseAuthenticator(data)
	require.NoError(t, err)
	require.Equal(t, "https://idp.example.com/oauth2/default", a.Issuer.URL)
	require.Equal(t, "'aks:jwt:' + claims.sub", a.ClaimMappings.Username.Expression)
	require.NoError(t, ValidateAuthenticator(a, ValidateOptions{Profile: ProfileAKS}))
	// Two audiences without audienceMatchPolicy: only AKS implies MatchAny.
	require.EqualError(t, ValidateAuthenticator(a, ValidateOptions{}),
		`issuer.audienceMatchPolicy: Invalid value: "": audienceMatchPolicy must be MatchAny for multiple audiences`)

	for _, tt := range []struct{ in, want string }{
		{`{"apiVersion": "v1", "issuer": {"url": "https://x"}}`, `jwtauth: strict decoding error: unknown field "apiVersion" (line 1)`},
		{`{"issuer": {"url": "https://x", "audiences": ["a"]}, "claimMappings": {"username": {"expression": "claims.sub", "prefx": ""}}}`,
			`jwtauth: strict decoding error: unknown field "claimMappings.username.prefx" (line 1)`},
		{`{"issuer": {"url": 1}}`, "jwtauth: line 1: json: cannot unmarshal number into Go struct field Issuer.issuer.url of type string"},
		{`[]`, "jwtauth: line 1: config must be an object, got array"},
		{``, "jwtauth: empty config data"},
	} {
		_, err := ParseAuthenticator([]byte(tt.in))
		require.EqualError(t, err, tt.want, tt.in)
	}
}

// TestParseConfigFixtures checks every file in testdata/config: valid-* and
// aks* files parse and validate; invalid-* files carry their expected
// error on the first line, "# want-parse: <text>" or "# want-validate: <text>".
func TestParseConfigFixtures(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(ptConfigDir, "*"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(f)
			require.NoError(t, err)
			switch {
			case name == "aks-authenticator.json":
				a, err := ParseAuthenticator(data)
				require.NoError(t, err)
				require.NoError(t, ValidateAuthenticator(a, ValidateOptions{Profile: ProfileAKS}))
			case strings.HasPrefix(name, "aks"):
				cfg, err := ParseConfig(data)
				require.NoError(t, err)
				require.NoError(t, ValidateConfig(cfg, ValidateOptions{Profile: ProfileAKS}))
			case strings.HasPrefix(name, "valid"):
				cfg, err := ParseConfig(data)
				require.NoError(t, err)
				require.NoError(t, ValidateConfig(cfg, ValidateOptions{}))
				compiled, err := compileConfig(cfg, ValidateOptions{})
				require.NoError(t, err)
				require.Len(t, compiled, len(cfg.JWT))
			case strings.HasPrefix(name, "invalid"):
				first, _, _ := bytes.Cut(data, []byte("\n"))
				if want, ok := strings.CutPrefix(string(first), "# want-parse: "); ok {
					_, err := ParseConfig(data)
					require.EqualError(t, err, want)
					return
				}
				want, ok := strings.CutPrefix(string(first), "# want-validate: ")
				require.True(t, ok, "invalid fixture without a # want- line")
				cfg, err := ParseConfig(data)
				require.NoError(t, err)
				err = ValidateConfig(cfg, ValidateOptions{})
				require.EqualError(t, err, want)
				var verr *ValidationError
				require.True(t, errors.As(err, &verr))
			default:
				t.Fatalf("unexpected fixture %s", name)
			}
		})
	}
}

func FuzzParseConfig(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(ptConfigDir, "*"))
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte(ptHeader + ptMinimalJWT))
	f.Add([]byte(ptHeader + "jwt:\n- issuer:\n    <<: {url: x}\n  claimMappings: {username: {expression: 'claims.?email'}}\n"))
	// Explicit tags: quoted, aliased, mismatched and binary.
	f.Add([]byte(ptHeader + "jwt:\n- issuer: {url: &u !!binary \"aHR0cHM6Ly9h\", audiences: [!!str 1, !!int '0b1', *u]}\n  claimMappings: {uid: !!null '', username: !!float \"x\"}\nanonymous: {enabled: !!bool 'yes'}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseConfig(data)
		if err != nil {
			if cfg != nil {
				t.Fatal("config returned with an error")
			}
			return
		}
		// Keep the fuzzer fast: CEL compiles are the costly part.
		if len(cfg.JWT) > 4 {
			cfg.JWT = cfg.JWT[:4]
		}
		verr := ValidateConfig(cfg, ValidateOptions{})
		_ = ValidateConfig(cfg, ValidateOptions{Profile: ProfileAKS, DisallowedIssuers: []string{"https://x"}})
		if verr != nil {
			var ve *ValidationError
			if !errors.As(verr, &ve) || len(ve.Errors) == 0 || ve.Error() == "" {
				t.Fatalf("bad validation error %T %v", verr, verr)
			}
		}
		if a, err := ParseAuthenticator(data); err == nil {
			_ = ValidateAuthenticator(a, ValidateOptions{})
		}
	})
}

// Like kube-apiserver, only the first YAML document is read.
func TestParseConfigFirstDocumentOnly(t *testing.T) {
	cfg, err := ParseConfig([]byte(ptHeader + "jwt: []\n---\nthis: [is ignored\n"))
	require.NoError(t, err)
	require.Equal(t, APIVersionV1, cfg.APIVersion)
	_, err = ParseConfig([]byte("---\n" + ptHeader))
	require.NoError(t, err)
}
