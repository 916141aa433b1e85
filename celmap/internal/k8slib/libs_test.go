package k8slib

import (
	"strings"
	"sync"
	"testing"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/checker"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/stretchr/testify/require"
)

// TestFunctionNames checks that every function upstream's
// library_compatibility_test lists (except jsonpatch.escapeKey, which is not
// part of the base environment) is declared.
func TestFunctionNames(t *testing.T) {
	known := []string{
		"isSorted", "sum", "max", "min", "indexOf", "lastIndexOf", "find", "findAll", "url", "getScheme",
		"getHost", "getHostname", "getPort", "getEscapedPath", "getQuery", "isURL",
		"path", "group", "serviceAccount", "resource", "subresource", "namespace", "name", "check", "allowed", "reason",
		"errored", "error",
		"add", "asApproximateFloat", "asInteger", "compareTo", "isGreaterThan", "isInteger", "isLessThan",
		"isQuantity", "quantity", "sign", "sub",
		"ip", "family", "isUnspecified", "isLoopback", "isLinkLocalMulticast", "isLinkLocalUnicast",
		"isGlobalUnicast", "ip.isCanonical", "isIP", "cidr", "containsIP", "containsCIDR", "masked",
		"prefixLength", "isCIDR", "string",
		"fieldSelector", "labelSelector", "validate", "format.named", "isSemver", "major", "minor", "patch", "semver",
		"includes",
	}
	env := newTestEnv(t)
	fns := env.Functions()
	for _, name := range known {
		require.Contains(t, fns, name)
	}
	for key := range namedFormats {
		require.Contains(t, fns, "format."+key)
	}
	require.Len(t, EnvOptions(), 10)
}

func TestAuthzDeclarations(t *testing.T) {
	runCases(t, []evalCase{
		{expr: `'x'.name('y')`, wantCompileErr: `found no matching overload for 'name' applied to 'string.\(string\)'`},
		{expr: `'x'.check('get')`, wantCompileErr: `found no matching overload for 'check'`},
		{expr: `authorizer.path('/healthz')`, wantCompileErr: `undeclared reference to 'authorizer'`},
	})
	// the bindings exist but no receiver value can reach them
	require.Equal(t, "no such overload", authzUnavailable().(*types.Err).Error())
}

func TestAuthzCosts(t *testing.T) {
	e := CostEstimator{}
	rc := authzVal{typ: resourceCheckType}
	selector := types.String("spec.nodeName=example-node-name.fully.qualified.domain.name.example.com")
	for fn, want := range map[string]uint64{"check": 350000, "path": 1, "name": 1, "errored": 1} {
		require.Equal(t, want, *e.CallCost(fn, "", []ref.Val{rc, types.String("x")}, nil), fn)
		require.Equal(t, checker.CostEstimate{Min: want, Max: want},
			e.EstimateCallCost(fn, "", nil, nil).CostEstimate, fn)
	}
	// upstream: 10 + ceil(71/2)*50 + ceil(71*0.1) = 1818 for the selector call
	require.Equal(t, uint64(1818), *e.CallCost("fieldSelector", "", []ref.Val{rc, selector}, nil))
	n := uint64(len(selector))
	require.Equal(t, checker.CostEstimate{Min: 1818, Max: 1818},
		e.EstimateCallCost("labelSelector", "", nil, []checker.AstNode{sizedNode{checker.SizeEstimate{Min: n, Max: n}}}).CostEstimate)
}

// TestTypeEquality mirrors upstream: == on every Kubernetes type is priced.
func TestTypeEquality(t *testing.T) {
	q, err := parseQuantity("1")
	require.NoError(t, err)
	examples := map[*types.Type]ref.Val{
		urlType:           urlVal{},
		quantityType:      quantityVal{q: q},
		ipType:            ipVal{},
		cidrType:          cidrVal{},
		formatType:        namedFormats["uri"],
		semverType:        semverVal{},
		authorizerType:    authzVal{typ: authorizerType},
		pathCheckType:     authzVal{typ: pathCheckType},
		groupCheckType:    authzVal{typ: groupCheckType},
		resourceCheckType: authzVal{typ: resourceCheckType},
		decisionType:      authzVal{typ: decisionType},
	}
	e := CostEstimator{}
	for typ, ex := range examples {
		node := typedNode{sizedNode{checker.SizeEstimate{Min: 10, Max: 100}}, typ}
		r := e.EstimateCallCost("_==_", "", nil, []checker.AstNode{node, node})
		require.NotNil(t, r, typ.TypeName())
		c := e.CallCost("_==_", "", []ref.Val{ex, ex}, nil)
		require.NotNil(t, c, typ.TypeName())
		require.Equal(t, uint64(1), *c)
	}
	node := typedNode{sizedNode{checker.SizeEstimate{Min: 10, Max: 100}}, urlType}
	require.Equal(t, checker.CostEstimate{Min: 1, Max: 10},
		e.EstimateCallCost("_==_", "", nil, []checker.AstNode{node, node}).CostEstimate)
	require.Nil(t, e.CallCost("_==_", "", []ref.Val{types.Int(1), types.Int(1)}, nil))
	require.Nil(t, e.CallCost("size", "", []ref.Val{types.String("x")}, nil))
}

type typedNode struct {
	sizedNode
	typ *types.Type
}

func (n typedNode) Type() *types.Type { return n.typ }

// TestConcurrentEvaluation runs one program from many goroutines; run with -race.
func TestConcurrentEvaluation(t *testing.T) {
	env := newTestEnv(t)
	ast, iss := env.Compile(strings.Join([]string{
		`[quantity("1"), quantity("1.5Gi")].all(q, q.isLessThan(quantity("2Gi")))`,
		`cidr("10.0.0.0/8").containsIP(ip("10.1.2.3"))`,
		`semver("1.2.3").isLessThan(semver("1.10.0"))`,
		`url("https://a.b/c").getHost() == "a.b"`,
		`format.dns1123Label().validate("ok").hasValue() == false`,
		`"a1b2".findAll('[0-9]') == ['1', '2']`,
		`[3, 1, 2].min() == 1`,
	}, " && "))
	require.NoError(t, iss.Err())
	prg, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize, cel.OptTrackCost), cel.CostTracking(CostEstimator{}))
	require.NoError(t, err)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				out, _, err := prg.Eval(cel.NoVars())
				if err != nil || out != types.True {
					t.Errorf("got %v, %v", out, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
