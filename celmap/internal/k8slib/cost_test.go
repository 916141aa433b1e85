package k8slib

import (
	"fmt"
	"testing"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/checker"
	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
	"github.com/stretchr/testify/require"
)

// costCase expects a runtime cost and, when est is set, a static estimate.
// Expected values come from kube's pkg/cel/library/cost_test.go, except
// where its test-only size estimator would bound string sizes (those rows
// check the runtime cost only).
type costCase struct {
	expr string
	est  *checker.CostEstimate
	cost uint64
}

func est(min, max uint64) *checker.CostEstimate { return &checker.CostEstimate{Min: min, Max: max} }

func runCostCases(t *testing.T, cases []costCase) {
	t.Helper()
	env := newTestEnv(t)
	for _, tc := range cases {
		t.Run(tc.expr, func(t *testing.T) {
			r := evalExprOpts(t, env, tc.expr, cel.OptTrackCost)
			require.Empty(t, r.compileErr)
			require.NoError(t, r.err)
			if tc.est != nil {
				require.Equal(t, *tc.est, r.estimate, "estimated cost")
			}
			require.Equal(t, tc.cost, r.cost, "runtime cost")
		})
	}
}

const (
	intList      = "[1, 2, 3, 4, 5]"
	uintList     = "[uint(1), uint(2), uint(3), uint(4), uint(5)]"
	doubleList   = "[1.0, 2.0, 3.0, 4.0, 5.0]"
	boolList     = "[false, true, false, true, false]"
	stringList   = "['012345678901', '012345678901', '012345678901', '012345678901', '012345678901']"
	bytesList    = "[bytes('012345678901'), bytes('012345678901'), bytes('012345678901'), bytes('012345678901'), bytes('012345678901')]"
	durationList = "[duration('1s'), duration('2s'), duration('3s'), duration('4s'), duration('5s')]"
	timeList     = "[timestamp('2011-01-01T00:00:00.000+01:00'), timestamp('2011-01-02T00:00:00.000+01:00'), " +
		"timestamp('2011-01-03T00:00:00.000+01:00'), timestamp('2011-01-04T00:00:00.000+01:00'), " +
		"timestamp('2011-01-05T00:00:00.000+01:00')]"
	longString = "'01234567890123456789012345678901234567890123456789'"
)

func TestListsCost(t *testing.T) {
	var cases []costCase
	cases = append(cases,
		costCase{intList + ".sum()", est(15, 15), 15},
		costCase{uintList + ".sum()", est(20, 20), 20},
		costCase{doubleList + ".sum()", est(15, 15), 15},
		costCase{durationList + ".sum()", est(20, 20), 20},
	)
	for _, op := range []string{".isSorted()", ".max()", ".min()"} {
		cases = append(cases,
			costCase{intList + op, est(15, 15), 15},
			costCase{uintList + op, est(20, 20), 20},
			costCase{doubleList + op, est(15, 15), 15},
			costCase{boolList + op, est(15, 15), 15},
			costCase{stringList + op, nil, 15},
			costCase{bytesList + op, nil, 25},
			costCase{durationList + op, est(20, 20), 20},
			costCase{timeList + op, est(20, 20), 20},
		)
	}
	for _, op := range []string{".indexOf(%s)", ".lastIndexOf(%s)", ".includes(%s)"} {
		cases = append(cases,
			costCase{intList + fmt.Sprintf(op, "3"), est(15, 15), 15},
			costCase{uintList + fmt.Sprintf(op, "uint(3)"), est(21, 21), 21},
			costCase{doubleList + fmt.Sprintf(op, "3.0"), est(15, 15), 15},
			costCase{boolList + fmt.Sprintf(op, "true"), est(15, 15), 15},
			costCase{stringList + fmt.Sprintf(op, "'x'"), nil, 15},
			costCase{bytesList + fmt.Sprintf(op, "bytes('x')"), nil, 26},
			costCase{durationList + fmt.Sprintf(op, "duration('3s')"), est(21, 21), 21},
			costCase{timeList + fmt.Sprintf(op, "timestamp('2011-01-03T00:00:00.000+01:00')"), est(21, 21), 21},
		)
	}
	cases = append(cases,
		costCase{longString + ".indexOf('123')", est(5, 5), 5},
		costCase{longString + ".lastIndexOf('123')", est(5, 5), 5},
		costCase{longString + ".includes('123')", est(50, 50), 5},
	)
	runCostCases(t, cases)
}

func TestLibraryCosts(t *testing.T) {
	runCostCases(t, []costCase{
		// urls
		{"url('https:://kubernetes.io/').getScheme()", est(4, 4), 4},
		{"url('https:://kubernetes.io/').getQuery()", est(4, 4), 4},
		{"url('https:://kubernetes.io/') == url('https:://kubernetes.io/')", est(7, 9), 7},
		{"url('https:://kubernetes.io/') == url('http://x.b')", est(5, 5), 5},
		// regex
		{"'abc 123 def 123'.find('123')", est(2, 2), 2},
		{"'abc 123 def 123'.findAll('123')", est(2, 2), 2},
		{"'abc 123 def 123'.findAll('123', 1)", est(2, 2), 2},
		// ext.Strings functions priced by the kube estimator
		{"'ABCDEFGHIJ abcdefghij'.lowerAscii()", est(3, 3), 3},
		{"'abc 123 def 123'.replace('123', '456')", est(3, 3), 3},
		{"'abc 123 def 123'.split(' ')", est(3, 3), 3},
		{"'abc 123 def 123'.substring(5)", est(2, 2), 2},
		{"'  abc 123 def 123  '.trim()", est(2, 2), 2},
		// element sizes are unbounded without a size estimator
		{"['aa', 'bb', 'cc', 'd', 'e', 'f', 'g', 'h', 'i', 'j'].join(' ')", nil, 15},
		// ip
		{"ip('192.168.0.1')", est(2, 2), 2},
		{"ip('2001:db8:3333:4444:5555:6666:7777:8888')", est(4, 4), 4},
		{"ip('192.168.0.1').family()", est(3, 3), 3},
		{"ip('2001:db8:3333:4444:5555:6666:7777:8888').isLoopback()", est(5, 5), 5},
		{"ip('192.168.0.1') == ip('192.168.0.1')", est(5, 5), 5},
		{"ip.isCanonical('192.168.0.1')", est(3, 3), 3},
		{"ip.isCanonical('2001:db8:3333:4444:5555:6666:7777:8888')", est(8, 8), 8},
		{"ip.isCanonical('2001:db8::abcd')", est(3, 3), 3},
		// cidr
		{"cidr('192.168.0.0/16')", est(2, 2), 2},
		{"cidr('192.168.0.0/16').ip()", est(3, 3), 3},
		{"cidr('192.168.0.0/16').masked()", est(3, 3), 3},
		{"cidr('192.168.0.0/16') == cidr('2001:db8::/32')", est(5, 5), 5},
		{"cidr('192.168.0.0/16').containsCIDR(cidr('192.0.0.0/30'))", est(7, 11), 7},
		{"cidr('192.168.0.0/16').containsCIDR('192.168.0.0/16')", est(7, 11), 7},
		{"cidr('192.168.0.0/16').containsIP(ip('192.0.0.1'))", est(4, 7), 4},
		{"cidr('192.168.0.0/16').containsIP(ip('192.169.169.250'))", est(5, 8), 5},
		{"cidr('192.168.0.0/16').containsIP('192.169.0.1')", est(5, 8), 5},
		{"cidr('2001:db8::/32').containsCIDR('2001:db8::/126')", est(7, 11), 7},
		{"cidr('2001:db8::/32').containsIP(ip('2001:db8:3333:4444:5555:6666:7777:8888'))", est(7, 10), 7},
		{"cidr('2001:db8::/32').containsIP('2001:db8::1')", est(5, 8), 5},
		// quantity
		{`quantity("12Mi")`, est(1, 1), 1},
		{`isQuantity("20M")`, est(1, 1), 1},
		{`quantity("200M") == quantity("200M")`, est(3, 3), 3},
		{`quantity("2M") == quantity("0.002G") && quantity("2000k") == quantity("2M") && quantity("0.002G") == quantity("2000k")`, est(3, 9), 9},
		{`quantity("50M").isLessThan(quantity("50Mi"))`, est(3, 3), 3},
		{`quantity("200M").compareTo(quantity("0.2G")) > 0`, est(4, 4), 4},
		{`quantity("50k").add(quantity("20")) == quantity("50.02k")`, est(5, 5), 5},
		{`quantity("50k").sub(20) == quantity("49980")`, est(4, 4), 4},
		{`quantity("50k").add(20).sub(quantity("100k")).sub(-50000).asInteger() > 0`, est(7, 7), 7},
		{`quantity("50").isInteger()`, est(2, 2), 2},
		{`quantity("50.703k").asApproximateFloat() > 0.0`, est(3, 3), 3},
		// format
		{`format.named("dns1123subdomain")`, est(1, 1), 1},
		{`format.named("dns1123Subdomain").value().validate("my-name")`, est(34, 34), 17},
		{`format.named("dns1123Label").value().validate("my-name")`, est(34, 34), 10},
		{`format.named("dns1123Label").value() == format.named("dns1123Label").value()`, est(5, 11), 5},
		// semver
		{`semver("1.0.0")`, est(1, 1), 1},
		{`semver("1234.56789012345.67890123456789")`, est(4, 4), 4},
		{`isSemver("1234.56789012345.67890123456789")`, est(4, 4), 4},
		{`semver("1.2.3").major()`, est(2, 2), 2},
		{`semver("1.0.0").isLessThan(semver("1.1.0"))`, est(3, 3), 3},
		{`semver("1.0.0").compareTo(semver("1.2.3"))`, est(3, 3), 3},
	})
}

// TestOptimizedRuntimeCost checks production (optimized) plans: constant
// literals are built at plan time and are not charged per evaluation.
func TestOptimizedRuntimeCost(t *testing.T) {
	env := newTestEnv(t)
	for expr, want := range map[string]uint64{
		intList + ".sum()":            5,
		uintList + ".max()":           5,
		stringList + ".indexOf('x')":  5,
		"ip('192.168.0.1').family()":  3,
		`quantity("50k").asInteger()`: 2,
		"'abc 123'.findAll('[0-9]+')": 2,
	} {
		r := evalExpr(t, env, expr)
		require.NoError(t, r.err, expr)
		require.Equal(t, want, r.cost, expr)
	}
}

func TestReplaceResultSize(t *testing.T) {
	exact := func(n uint64) checker.SizeEstimate { return checker.SizeEstimate{Min: n, Max: n} }
	cases := []struct {
		name           string
		target         checker.SizeEstimate
		oldSz, newSz   checker.SizeEstimate
		expectedResult checker.SizeEstimate
	}{
		{"replace empty with char", exact(3), exact(0), exact(1), exact(7)},
		{"maybe replace char with empty", exact(3), exact(1), exact(0), checker.SizeEstimate{Min: 0, Max: 3}},
		{"maybe replace repeated", exact(4), exact(2), exact(4), checker.SizeEstimate{Min: 4, Max: 8}},
		{"maybe replace empty", exact(4), checker.SizeEstimate{Min: 0, Max: 1}, checker.SizeEstimate{Min: 0, Max: 2}, checker.SizeEstimate{Min: 0, Max: 14}},
		{"non-empty range, maybe larger", exact(4), exact(1), checker.SizeEstimate{Min: 1, Max: 2}, checker.SizeEstimate{Min: 4, Max: 8}},
		{"non-empty range, maybe smaller", exact(4), checker.SizeEstimate{Min: 1, Max: 2}, exact(1), checker.SizeEstimate{Min: 2, Max: 4}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var target checker.AstNode = sizedNode{tc.target}
			r := CostEstimator{}.EstimateCallCost("replace", "", &target, []checker.AstNode{sizedNode{tc.oldSz}, sizedNode{tc.newSz}})
			require.NotNil(t, r)
			require.NotNil(t, r.ResultSize)
			require.Equal(t, tc.expectedResult, *r.ResultSize)
		})
	}
}

// sizedNode is an AST node with only a computed size.
type sizedNode struct{ size checker.SizeEstimate }

func (n sizedNode) Path() []string                      { return nil }
func (n sizedNode) Type() *types.Type                   { return nil }
func (n sizedNode) Expr() ast.Expr                      { return nil }
func (n sizedNode) ComputedSize() *checker.SizeEstimate { return &n.size }
