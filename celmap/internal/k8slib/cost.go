package k8slib

import (
	"math"

	"github.com/google/cel-go/checker"
	"github.com/google/cel-go/common"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
	"github.com/google/cel-go/interpreter"
)

// CostEstimator mirrors k8s.io/apiserver/pkg/cel/library.CostEstimator: it implements
// interpreter.ActualCostEstimator (runtime) and checker.CostEstimator (static) for the
// Kubernetes library functions (and whatever else k8s's estimator special-cases).
//
// Besides the Kubernetes libraries, upstream also prices several cel-go
// ext.Strings functions (lowerAscii, upperAscii, substring, trim, replace,
// split, join) and equality on the Kubernetes value types; this mirror does
// the same. Upstream's optional SizeEstimator delegate (used for OpenAPI
// schemas) has no counterpart: kube-apiserver installs the estimator for
// runtime cost tracking without one, and sizes that are not computable from
// the expression itself are treated as unbounded.
type CostEstimator struct{}

var (
	_ interpreter.ActualCostEstimator = CostEstimator{}
	_ checker.CostEstimator           = CostEstimator{}
)

// Cost constants shared by the runtime and static estimators.
const (
	// authzCheckCost prices an authorization check so that only two fit in
	// the per-call limit.
	authzCheckCost = 350000
	// selectorRequirementsPerChar: the shortest repeatable requirement that
	// allocates a values slice is two characters ("k,").
	selectorRequirementsPerChar = 0.5
	// selectorRequirementCost: each requirement is a struct plus a slice.
	selectorRequirementCost = float64(common.ListCreateBaseCost + common.StructCreateBaseCost)
	// maxFormatSize bounds the size of a named format value.
	maxFormatSize = 64
	// maxNameFormatRegexSize is the regex size assumed for validate() when
	// the format is not known statically.
	maxNameFormatRegexSize = 128
)

func fixedCost(n uint64) *uint64 { return &n }

// traversal returns ceil(size * factor * StringTraversalCostFactor).
func traversal(size uint64, factor float64) uint64 {
	return uint64(math.Ceil(float64(size) * factor * common.StringTraversalCostFactor))
}

// regexCost is the cost of running a regex of regexSize over a string of
// strSize: (1+len(str)) traversal times a guess of one regex term per four
// pattern characters.
func regexCost(strSize, regexSize uint64) uint64 {
	strCost := uint64(math.Ceil((1.0 + float64(strSize)) * common.StringTraversalCostFactor))
	reCost := uint64(math.Ceil(float64(regexSize) * common.RegexStringLengthCostFactor))
	return strCost * reCost
}

// CallCost implements interpreter.ActualCostEstimator. A nil result means
// cel-go's default cost applies.
func (CostEstimator) CallCost(function, overloadID string, args []ref.Val, result ref.Val) *uint64 {
	switch function {
	case "check":
		return fixedCost(authzCheckCost)
	case "serviceAccount", "path", "group", "resource", "subresource", "namespace", "name",
		"allowed", "reason", "error", "errored":
		return fixedCost(1)
	case "fieldSelector", "labelSelector":
		if len(args) >= 2 {
			n := actualSize(args[1])
			c := selectorCost(checker.SizeEstimate{Min: n, Max: n})
			return &c.Max
		}
	case "isSorted", "sum", "max", "min", "indexOf", "lastIndexOf", "includes":
		var c uint64
		if len(args) > 0 {
			c = traversalCost(args[0])
		}
		return &c
	case "url", "lowerAscii", "upperAscii", "substring", "trim", "jsonpatch.escapeKey":
		if len(args) >= 1 {
			return fixedCost(traversal(actualSize(args[0]), 1))
		}
	case "replace", "split":
		if len(args) >= 1 {
			return fixedCost(traversal(actualSize(args[0]), 2))
		}
	case "join":
		if len(args) >= 1 {
			return fixedCost(traversal(actualSize(result), 2))
		}
	case "find", "findAll":
		if len(args) >= 2 {
			return fixedCost(regexCost(actualSize(args[0]), actualSize(args[1])))
		}
	case "cidr", "isIP", "isCIDR":
		if len(args) >= 1 {
			return fixedCost(traversal(actualSize(args[0]), 1))
		}
	case "ip":
		if len(args) >= 1 {
			if overloadID == "cidr_ip" {
				return fixedCost(1)
			}
			return fixedCost(traversal(actualSize(args[0]), 1))
		}
	case "ip.isCanonical":
		if len(args) >= 1 {
			// parse, then compare with the input: twice the traversal.
			return fixedCost(traversal(actualSize(args[0]), 2))
		}
	case "masked", "prefixLength", "family", "isUnspecified", "isLoopback",
		"isLinkLocalMulticast", "isLinkLocalUnicast", "isGlobalUnicast":
		return fixedCost(1)
	case "containsIP":
		if len(args) >= 2 {
			cidrSize := actualSize(args[0])
			// compare up to the prefix length of both byte strings
			c := traversal(cidrSize+cidrSize, 1)
			if overloadID == "cidr_contains_ip_string" {
				c += traversal(actualSize(args[1]), 1)
			}
			return &c
		}
	case "containsCIDR":
		if len(args) >= 2 {
			cidrSize := actualSize(args[0])
			c := traversal(cidrSize+cidrSize, 1)
			// masking the base prefix and comparing the prefix bits
			c += traversal(cidrSize, 1) + 1
			if overloadID == "cidr_contains_cidr_string" {
				c += traversal(actualSize(args[1]), 1)
			}
			return &c
		}
	case "quantity", "isQuantity", "semver", "isSemver":
		if len(args) >= 1 {
			return fixedCost(traversal(actualSize(args[0]), 1))
		}
	case "validate":
		if len(args) >= 2 {
			if f, ok := args[0].Value().(formatVal); ok {
				return fixedCost(regexCost(actualSize(args[1]), uint64(f.maxRegexSize)))
			}
		}
	case "format.named":
		return fixedCost(1)
	case "sign", "asInteger", "isInteger", "asApproximateFloat", "isGreaterThan", "isLessThan",
		"compareTo", "add", "sub", "major", "minor", "patch":
		return fixedCost(1)
	case "getScheme", "getHostname", "getHost", "getPort", "getEscapedPath", "getQuery":
		return fixedCost(1)
	case "_==_":
		if len(args) == 2 && isKubeValue(args[0]) {
			return fixedCost(1)
		}
	}
	return nil
}

// isKubeValue reports whether v is one of this package's value types, whose
// equality upstream prices at a nominal 1.
func isKubeValue(v ref.Val) bool {
	switch v.(type) {
	case quantityVal, *quantityVal, ipVal, *ipVal, cidrVal, *cidrVal, formatVal, *formatVal,
		urlVal, *urlVal, semverVal, *semverVal, authzVal, *authzVal:
		return true
	}
	return false
}

// actualSize is the size() of a value, or 1 for values without a size.
func actualSize(v ref.Val) uint64 {
	if sz, ok := v.(traits.Sizer); ok {
		if n, ok := sz.Size().(types.Int); ok {
			return uint64(n)
		}
	}
	return 1
}

// traversalCost is the cost of walking a value as a data tree: strings and
// bytes cost a tenth per unit (truncated), other leaves 1.
func traversalCost(v ref.Val) uint64 {
	switch t := v.(type) {
	case types.String:
		return uint64(float64(len(string(t))) * common.StringTraversalCostFactor)
	case types.Bytes:
		return uint64(float64(len(t)) * common.StringTraversalCostFactor)
	case traits.Lister:
		var c uint64
		for it := t.Iterator(); it.HasNext() == types.True; {
			c += traversalCost(it.Next())
		}
		return c
	case traits.Mapper:
		var c uint64
		for it := t.Iterator(); it.HasNext() == types.True; {
			k := it.Next()
			c += traversalCost(k) + traversalCost(t.Get(k))
		}
		return c
	}
	return 1
}

// selectorCost estimates parsing a field or label selector of the given
// length: a list allocation, a traversal, and a struct+slice per requirement.
func selectorCost(length checker.SizeEstimate) checker.CostEstimate {
	parse := length.MultiplyByCostFactor(common.StringTraversalCostFactor)
	reqs := length.MultiplyByCostFactor(selectorRequirementsPerChar)
	reqCost := reqs.MultiplyByCostFactor(selectorRequirementCost)
	base := checker.CostEstimate{Min: common.ListCreateBaseCost, Max: common.ListCreateBaseCost}
	return base.Add(parse).Add(reqCost)
}
