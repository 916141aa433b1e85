package bench

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	api "k8s.io/apiserver/pkg/apis/apiserver"
	"k8s.io/apiserver/pkg/apis/apiserver/install"
	"k8s.io/apiserver/pkg/apis/apiserver/validation"
	authcel "k8s.io/apiserver/pkg/authentication/cel"

	"github.com/structauth/structauth/jwtauth"
)

// kubeLoad decodes and validates a configuration file the way
// kube-apiserver does (strict universal decoder, then validation).
func kubeLoad(data []byte) (decodeErr, validateErr error) {
	scheme := runtime.NewScheme()
	install.Install(scheme)
	codecs := serializer.NewCodecFactory(scheme, serializer.EnableStrict)
	obj, _, err := codecs.UniversalDecoder().Decode(data, nil, nil)
	if err != nil {
		return err, nil
	}
	cfg, ok := obj.(*api.AuthenticationConfiguration)
	if !ok {
		return errWrongKind, nil
	}
	return nil, validation.ValidateAuthenticationConfiguration(authcel.NewDefaultCompiler(), cfg, nil).ToAggregate()
}

type constErr string

func (e constErr) Error() string { return string(e) }

const errWrongKind = constErr("decoded a different kind")

func ourLoad(data []byte) (decodeErr, validateErr error) {
	cfg, err := jwtauth.ParseConfig(data)
	if err != nil {
		return err, nil
	}
	return nil, jwtauth.ValidateConfig(cfg, jwtauth.ValidateOptions{})
}

// validationInputs are extra configurations beyond testdata/config.
var validationInputs = map[string]string{
	"kitchen sink": `apiVersion: apiserver.config.k8s.io/v1
kind: AuthenticationConfiguration
jwt:
- issuer:
    url: http://u:p@x?q#f
    discoveryURL: https://x/
    audiences: ["a", "", "a"]
    certificateAuthority: not pem
    egressSelectorType: etcd
  claimValidationRules:
  - claim: c
    expression: "true"
  - requiredValue: x
  - expression: "claims.a"
  - expression: "claims.a =="
  claimMappings:
    username:
      expression: "claims.email"
      prefix: ""
    groups:
      claim: g
    uid:
      claim: u
      expression: "claims.u"
    extra:
    - key: Example.org/A
      valueExpression: ""
    - key: kubernetes.io/x
      valueExpression: claims.x
    - key: example.org
      valueExpression: "claims.x"
  userValidationRules:
  - expression: "user.foo == 1"
  - expression: "user.username"
  - expression: ""
`,
	"email verified via extra": `apiVersion: apiserver.config.k8s.io/v1beta1
kind: AuthenticationConfiguration
jwt:
- issuer: {url: "https://a", audiences: [x]}
  claimMappings:
    username: {expression: "claims.email"}
    extra: [{key: "example.org/v", valueExpression: "string(claims.?email_verified.orValue(false))"}]
`,
	"dyn needed": `apiVersion: apiserver.config.k8s.io/v1alpha1
kind: AuthenticationConfiguration
jwt:
- issuer: {url: "https://a", audiences: [x, y], audienceMatchPolicy: MatchAny}
  claimMappings:
    username: {claim: sub, prefix: ""}
    groups: {expression: "claims.groups.map(g, g)"}
`,
	"format over claims": `apiVersion: apiserver.config.k8s.io/v1
kind: AuthenticationConfiguration
jwt:
- issuer: {url: "https://a", audiences: [x]}
  claimMappings:
    username: {expression: "'%s'.format([claims.sub])"}
`,
	"mixed list literal": `apiVersion: apiserver.config.k8s.io/v1
kind: AuthenticationConfiguration
jwt:
- issuer: {url: "https://a", audiences: [x]}
  claimMappings:
    username: {expression: "string(['a', 3])"}
`,
	"duplicate urls": `apiVersion: apiserver.config.k8s.io/v1
kind: AuthenticationConfiguration
jwt:
- issuer: {url: "https://a", discoveryURL: "https://d", audiences: [x]}
  claimMappings: {username: {claim: sub, prefix: ""}}
- issuer: {url: "https://a", discoveryURL: "https://d", audiences: [x]}
  claimMappings: {username: {claim: sub, prefix: ""}}
- issuer: {url: "https://a/", audiences: [x]}
  claimMappings: {username: {claim: sub, prefix: ""}}
`,
	"anonymous conditions disabled": `apiVersion: apiserver.config.k8s.io/v1
kind: AuthenticationConfiguration
anonymous:
  enabled: false
  conditions: [{path: /healthz}]
`,
	"json": `{"apiVersion":"apiserver.config.k8s.io/v1","kind":"AuthenticationConfiguration","jwt":[{"issuer":{"url":"https://a","audiences":["x"]},"claimMappings":{"username":{"claim":"sub","prefix":null}}}]}`,
}

// TestDifferentialValidation compares decode and validation results with
// kube-apiserver's on every file in testdata/config and the inputs above:
// the same accept/reject, and for validation the same error text.
func TestDifferentialValidation(t *testing.T) {
	inputs := map[string][]byte{}
	files, _ := filepath.Glob("../testdata/config/*")
	for _, f := range files {
		if strings.HasSuffix(f, "aks-authenticator.json") {
			continue // a single authenticator, not a configuration file
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs[filepath.Base(f)] = b
	}
	for k, v := range validationInputs {
		inputs[k] = []byte(v)
	}
	for name, data := range inputs {
		t.Run(name, func(t *testing.T) {
			kd, kv := kubeLoad(data)
			od, ov := ourLoad(data)
			if (kd == nil) != (od == nil) {
				t.Fatalf("decode differs\n kube: %v\n ours: %v", kd, od)
			}
			if kd != nil {
				t.Logf("both reject decoding\n kube: %v\n ours: %v", kd, od)
				return
			}
			if (kv == nil) != (ov == nil) {
				t.Fatalf("validation decision differs\n kube: %v\n ours: %v", kv, ov)
			}
			if kv != nil && kv.Error() != ov.Error() {
				t.Errorf("validation text differs\n kube: %v\n ours: %v", kv, ov)
			}
		})
	}
}
