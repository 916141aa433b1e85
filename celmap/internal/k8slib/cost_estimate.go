package k8slib

import (
	"math"

	"github.com/google/cel-go/checker"
	"github.com/google/cel-go/common"
	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
)

// EstimateSize implements checker.CostEstimator. It has no information
// beyond the expression itself, so it never provides an estimate.
func (CostEstimator) EstimateSize(checker.AstNode) *checker.SizeEstimate { return nil }

func fixedEstimate(n uint64) *checker.CallEstimate {
	return &checker.CallEstimate{CostEstimate: checker.CostEstimate{Min: n, Max: n}}
}

// ipBytes is the byte length range of an IPv4 or IPv6 address.
var ipBytes = checker.SizeEstimate{Min: 4, Max: 16}

// EstimateCallCost implements checker.CostEstimator. A nil result means
// cel-go's default estimate applies.
func (e CostEstimator) EstimateCallCost(function, overloadID string, target *checker.AstNode, args []checker.AstNode) *checker.CallEstimate {
	switch function {
	case "check":
		return fixedEstimate(authzCheckCost)
	case "serviceAccount", "path", "group", "resource", "subresource", "namespace", "name",
		"allowed", "reason", "error", "errored":
		return fixedEstimate(1)
	case "fieldSelector", "labelSelector":
		if len(args) == 1 {
			return &checker.CallEstimate{CostEstimate: selectorCost(e.sizeEstimate(args[0]))}
		}
	case "isSorted", "sum", "max", "min", "indexOf", "lastIndexOf", "includes":
		if target != nil {
			perElem := checker.CostEstimate{Min: 1, Max: 1}
			if elem := listElementNode(*target); elem != nil {
				// string and byte elements also pay for traversing them
				if k := elem.Type().Kind(); k == types.StringKind || k == types.BytesKind {
					perElem = perElem.Add(e.sizeEstimate(elem).MultiplyByCostFactor(common.StringTraversalCostFactor))
				}
				return &checker.CallEstimate{CostEstimate: e.sizeEstimate(*target).MultiplyByCost(perElem)}
			}
			if function == "includes" {
				// a dyn target may still be a list at runtime
				return &checker.CallEstimate{CostEstimate: e.sizeEstimate(*target).MultiplyByCost(perElem)}
			}
			// string targets (ext.Strings indexOf / lastIndexOf)
			return &checker.CallEstimate{CostEstimate: e.sizeEstimate(*target).MultiplyByCostFactor(common.StringTraversalCostFactor)}
		}
	case "url", "jsonpatch.escapeKey":
		if len(args) == 1 {
			sz := e.sizeEstimate(args[0])
			return &checker.CallEstimate{CostEstimate: sz.MultiplyByCostFactor(common.StringTraversalCostFactor), ResultSize: &sz}
		}
	case "lowerAscii", "upperAscii", "substring", "trim":
		if target != nil {
			sz := e.sizeEstimate(*target)
			return &checker.CallEstimate{CostEstimate: sz.MultiplyByCostFactor(common.StringTraversalCostFactor), ResultSize: &sz}
		}
	case "replace":
		if target != nil && len(args) >= 2 {
			return e.estimateReplace(*target, args[0], args[1])
		}
	case "split":
		if target != nil {
			sz := e.sizeEstimate(*target)
			// worst case: an empty separator yields one element per character
			maxElems := sz.Max
			if len(args) > 1 {
				if lit := args[1].Expr().AsLiteral(); lit != nil {
					if n, ok := lit.Value().(int64); ok {
						maxElems = uint64(n)
					}
				}
			}
			return &checker.CallEstimate{
				CostEstimate: sz.MultiplyByCostFactor(2 * common.StringTraversalCostFactor),
				ResultSize:   &checker.SizeEstimate{Min: 0, Max: maxElems},
			}
		}
	case "join":
		if target != nil {
			var sz checker.SizeEstimate
			listSize := e.sizeEstimate(*target)
			if elem := listElementNode(*target); elem != nil {
				sz = listSize.Multiply(e.sizeEstimate(elem))
			}
			if len(args) > 0 {
				var seps checker.SizeEstimate
				if listSize.Min > 0 {
					seps.Min = listSize.Min - 1
				}
				if listSize.Max > 0 {
					seps.Max = listSize.Max - 1
				}
				sz = sz.Add(e.sizeEstimate(args[0]).Multiply(seps))
			}
			return &checker.CallEstimate{CostEstimate: sz.MultiplyByCostFactor(common.StringTraversalCostFactor), ResultSize: &sz}
		}
	case "find", "findAll":
		if target != nil && len(args) >= 1 {
			sz := e.sizeEstimate(*target)
			strCost := sz.Add(checker.SizeEstimate{Min: 1, Max: 1}).MultiplyByCostFactor(common.StringTraversalCostFactor)
			reCost := e.sizeEstimate(args[0]).MultiplyByCostFactor(common.RegexStringLengthCostFactor)
			// worst case: every character is a separate match
			return &checker.CallEstimate{CostEstimate: strCost.Multiply(reCost), ResultSize: &checker.SizeEstimate{Min: 0, Max: sz.Max}}
		}
	case "cidr", "isIP", "isCIDR", "quantity", "isQuantity", "semver", "isSemver":
		if len(args) >= 1 {
			return &checker.CallEstimate{CostEstimate: e.sizeEstimate(args[0]).MultiplyByCostFactor(common.StringTraversalCostFactor)}
		}
	case "ip":
		if overloadID == "cidr_ip" {
			return fixedEstimate(1)
		}
		if len(args) >= 1 {
			return &checker.CallEstimate{CostEstimate: e.sizeEstimate(args[0]).MultiplyByCostFactor(common.StringTraversalCostFactor)}
		}
	case "ip.isCanonical":
		if len(args) >= 1 {
			return &checker.CallEstimate{CostEstimate: e.sizeEstimate(args[0]).MultiplyByCostFactor(2 * common.StringTraversalCostFactor)}
		}
	case "masked", "prefixLength", "family", "isUnspecified", "isLoopback",
		"isLinkLocalMulticast", "isLinkLocalUnicast", "isGlobalUnicast":
		return fixedEstimate(1)
	case "containsIP":
		if len(args) >= 1 {
			c := ipBytes.Add(ipBytes).MultiplyByCostFactor(common.StringTraversalCostFactor)
			if overloadID == "cidr_contains_ip_string" {
				c = c.Add(checker.CostEstimate(e.sizeEstimate(args[0])).MultiplyByCostFactor(common.StringTraversalCostFactor))
			}
			return &checker.CallEstimate{CostEstimate: c}
		}
	case "containsCIDR":
		if len(args) >= 1 {
			c := ipBytes.Add(ipBytes).MultiplyByCostFactor(common.StringTraversalCostFactor)
			c = c.Add(ipBytes.MultiplyByCostFactor(common.StringTraversalCostFactor))
			c = c.Add(checker.CostEstimate{Min: 1, Max: 1})
			if overloadID == "cidr_contains_cidr_string" {
				c = c.Add(checker.CostEstimate(e.sizeEstimate(args[0])).MultiplyByCostFactor(common.StringTraversalCostFactor))
			}
			return &checker.CallEstimate{CostEstimate: c}
		}
	case "validate":
		if len(args) >= 1 {
			c := e.sizeEstimate(args[0]).MultiplyByCostFactor(common.StringTraversalCostFactor).
				MultiplyByCostFactor(maxNameFormatRegexSize * common.RegexStringLengthCostFactor)
			return &checker.CallEstimate{CostEstimate: c}
		}
	case "format.named":
		return fixedEstimate(1)
	case "sign", "asInteger", "isInteger", "asApproximateFloat", "isGreaterThan", "isLessThan",
		"compareTo", "add", "sub", "major", "minor", "patch":
		return fixedEstimate(1)
	case "getScheme", "getHostname", "getHost", "getPort", "getEscapedPath", "getQuery":
		return fixedEstimate(1)
	case "_==_":
		if len(args) == 2 {
			return estimateEquality(args[0], args[1])
		}
	}
	return nil
}

// estimateEquality prices == between two operands of the same Kubernetes type.
func estimateEquality(lhs, rhs checker.AstNode) *checker.CallEstimate {
	if lhs.Type().Equal(rhs.Type()) != types.True {
		return nil
	}
	t := lhs.Type()
	if t.Kind() == types.OpaqueKind {
		switch t.TypeName() {
		case ipType.TypeName(), cidrType.TypeName():
			return fixedEstimate(1)
		}
	}
	if t.Kind() == types.StructKind {
		switch t {
		case quantityType, semverType, authorizerType, pathCheckType, groupCheckType, resourceCheckType, decisionType:
			return fixedEstimate(1)
		case formatType:
			c := checker.CostEstimate{Min: 1, Max: maxFormatSize}.MultiplyByCostFactor(common.StringTraversalCostFactor)
			return &checker.CallEstimate{CostEstimate: c}
		case urlType:
			size := checker.SizeEstimate{Min: 1, Max: 1}
			// Upstream reads the right operand's size twice; mirrored.
			rs, ls := rhs.ComputedSize(), rhs.ComputedSize()
			if rs != nil && ls != nil {
				size = rs.Union(*ls)
			}
			c := checker.CostEstimate{Min: 1, Max: size.Max}.MultiplyByCostFactor(common.StringTraversalCostFactor)
			return &checker.CallEstimate{CostEstimate: c}
		}
	}
	return nil
}

// estimateReplace estimates str.replace(old, new): the cost is two traversals
// of str; the result size accounts for the extreme replacement counts.
func (e CostEstimator) estimateReplace(target, oldNode, newNode checker.AstNode) *checker.CallEstimate {
	sz := e.sizeEstimate(target)
	oldSz := e.sizeEstimate(oldNode)
	newSz := e.sizeEstimate(newNode)

	var count, kept checker.SizeEstimate
	// largest result
	switch {
	case oldSz.Min == 0:
		// an empty pattern matches around every character
		count.Max = sz.Max
		if sz.Max < math.MaxUint64 {
			count.Max = sz.Max + 1
		}
		kept.Max = sz.Max
	case newSz.Max <= oldSz.Min:
		kept.Max = sz.Max
	default:
		count.Max = uint64(math.Ceil(float64(sz.Max) / float64(oldSz.Min)))
	}
	// smallest result
	switch {
	case oldSz.Max == 0:
		count.Min = sz.Min
		if sz.Min < math.MaxUint64 {
			count.Min = sz.Min + 1
		}
		kept.Min = sz.Min
	case oldSz.Max <= newSz.Min:
		kept.Min = sz.Min
	default:
		count.Min = uint64(math.Ceil(float64(sz.Min) / float64(oldSz.Max)))
	}
	size := count.Multiply(newSz).Add(kept)
	return &checker.CallEstimate{
		CostEstimate: sz.MultiplyByCostFactor(2 * common.StringTraversalCostFactor),
		ResultSize:   &size,
	}
}

// sizeEstimate is the node's computed size, or unbounded when unknown.
func (e CostEstimator) sizeEstimate(n checker.AstNode) checker.SizeEstimate {
	if sz := n.ComputedSize(); sz != nil {
		return *sz
	}
	if sz := e.EstimateSize(n); sz != nil {
		return *sz
	}
	return checker.SizeEstimate{Min: 0, Max: math.MaxUint64}
}

// listElementNode returns a node standing for the elements of a list-typed
// (or otherwise parameterized) node, or nil if the type has no parameters.
func listElementNode(list checker.AstNode) checker.AstNode {
	params := list.Type().Parameters()
	if len(params) == 0 {
		return nil
	}
	var path []string
	if p := list.Path(); p != nil {
		path = append(append(make([]string, 0, len(p)+1), p...), "@items")
	}
	return itemsNode{path: path, typ: params[0]}
}

// itemsNode is a synthetic AST node for list elements.
type itemsNode struct {
	path []string
	typ  *types.Type
}

func (n itemsNode) Path() []string                      { return n.path }
func (n itemsNode) Type() *types.Type                   { return n.typ }
func (n itemsNode) Expr() ast.Expr                      { return nil }
func (n itemsNode) ComputedSize() *checker.SizeEstimate { return nil }
