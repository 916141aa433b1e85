package k8slib

import (
	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
)

// listsLib mirrors the kubernetes.lists library.
//
//	<list<T>>.isSorted() bool          T comparable
//	<list<T>>.sum() T                  T in int, uint, double, duration
//	<list<T>>.min() T, .max() T        T comparable; error on an empty list
//	<list<T>>.indexOf(T) int           -1 when absent
//	<list<T>>.lastIndexOf(T) int       -1 when absent
//	<dyn>.includes(<dyn>) bool         version >= 1: list membership, or equality
//	                                   when the target is not a list
type listsLib struct {
	version uint32
}

func (listsLib) LibraryName() string { return "kubernetes.lists" }

func (l listsLib) CompileOptions() []cel.EnvOption {
	return l.functions().envOptions()
}

func (listsLib) ProgramOptions() []cel.ProgramOption { return nil }

// elemType names a list element type used to expand the per-type overloads.
type elemType struct {
	name string
	typ  *cel.Type
}

// summable lists the element types sum() is declared for, in overload order.
var summable = []elemType{
	{"int", cel.IntType},
	{"uint", cel.UintType},
	{"double", cel.DoubleType},
	{"duration", cel.DurationType},
}

// orderable lists the element types isSorted/min/max are declared for.
var orderable = []elemType{
	{"int", cel.IntType},
	{"uint", cel.UintType},
	{"double", cel.DoubleType},
	{"bool", cel.BoolType},
	{"duration", cel.DurationType},
	{"timestamp", cel.TimestampType},
	{"string", cel.StringType},
	{"bytes", cel.BytesType},
}

// sumZero is the result of sum() on an empty list, per element type.
var sumZero = map[string]ref.Val{
	"int":      types.Int(0),
	"uint":     types.Uint(0),
	"double":   types.Double(0),
	"duration": types.Duration{},
}

var typeParamA = cel.TypeParamType("A")

func (l listsLib) functions() functionSet {
	fs := functionSet{}
	for _, et := range orderable {
		list := []*cel.Type{cel.ListType(et.typ)}
		fs["isSorted"] = append(fs["isSorted"], cel.MemberOverload(
			"list_"+et.name+"_is_sorted_bool", list, cel.BoolType, cel.UnaryBinding(listIsSorted)))
		fs["max"] = append(fs["max"], cel.MemberOverload(
			"list_"+et.name+"_max_"+et.name, list, et.typ, cel.UnaryBinding(listExtreme("max", types.IntNegOne))))
		fs["min"] = append(fs["min"], cel.MemberOverload(
			"list_"+et.name+"_min_"+et.name, list, et.typ, cel.UnaryBinding(listExtreme("min", types.IntOne))))
	}
	for _, et := range summable {
		zero := sumZero[et.name]
		fs["sum"] = append(fs["sum"], cel.MemberOverload(
			"list_"+et.name+"_sum_"+et.name, []*cel.Type{cel.ListType(et.typ)}, et.typ,
			cel.UnaryBinding(func(list ref.Val) ref.Val { return listSum(zero, list) })))
	}
	fs["indexOf"] = []cel.FunctionOpt{cel.MemberOverload("list_a_index_of_int",
		[]*cel.Type{cel.ListType(typeParamA), typeParamA}, cel.IntType, cel.BinaryBinding(listIndexOf))}
	fs["lastIndexOf"] = []cel.FunctionOpt{cel.MemberOverload("list_a_last_index_of_int",
		[]*cel.Type{cel.ListType(typeParamA), typeParamA}, cel.IntType, cel.BinaryBinding(listLastIndexOf))}
	if l.version >= 1 {
		fs["includes"] = []cel.FunctionOpt{cel.MemberOverload("list_includes_dyn_dyn",
			[]*cel.Type{cel.DynType, cel.DynType}, cel.BoolType, cel.BinaryBinding(includes))}
	}
	return fs
}

// listIsSorted reports whether no element compares greater than its successor.
func listIsSorted(val ref.Val) ref.Val {
	it, ok := val.(traits.Iterable)
	if !ok {
		return types.MaybeNoSuchOverloadErr(val)
	}
	var prev traits.Comparer
	for i := it.Iterator(); i.HasNext() == types.True; {
		cur := i.Next()
		cmp, ok := cur.(traits.Comparer)
		if !ok {
			return types.MaybeNoSuchOverloadErr(cur)
		}
		if prev != nil && prev.Compare(cur) == types.IntOne {
			return types.False
		}
		prev = cmp
	}
	return types.True
}

// listSum adds the elements up, starting from the type's zero value so that
// an empty list sums to zero.
func listSum(zero ref.Val, val ref.Val) ref.Val {
	it, ok := val.(traits.Iterable)
	if !ok {
		return types.MaybeNoSuchOverloadErr(val)
	}
	acc, ok := zero.(traits.Adder)
	if !ok {
		return types.MaybeNoSuchOverloadErr(zero)
	}
	for i := it.Iterator(); i.HasNext() == types.True; {
		cur := i.Next()
		if _, ok := cur.(traits.Adder); !ok {
			return types.MaybeNoSuchOverloadErr(cur)
		}
		next := acc.Add(cur)
		nextAdder, ok := next.(traits.Adder)
		if !ok {
			// An error (e.g. overflow) from the addition surfaces here.
			return types.MaybeNoSuchOverloadErr(next)
		}
		acc = nextAdder
	}
	return acc.(ref.Val)
}

// listExtreme returns min (replace when the current best compares as 1) or
// max (replace when it compares as -1). Ties keep the first element.
func listExtreme(name string, replaceOn ref.Val) func(ref.Val) ref.Val {
	return func(val ref.Val) ref.Val {
		it, ok := val.(traits.Iterable)
		if !ok {
			return types.MaybeNoSuchOverloadErr(val)
		}
		var best traits.Comparer
		for i := it.Iterator(); i.HasNext() == types.True; {
			cur := i.Next()
			cmp, ok := cur.(traits.Comparer)
			if !ok {
				return types.MaybeNoSuchOverloadErr(cur)
			}
			if best == nil || best.Compare(cur) == replaceOn {
				best = cmp
			}
		}
		if best == nil {
			return types.NewErr("%s called on empty list", name)
		}
		return best.(ref.Val)
	}
}

func listIndexOf(list, item ref.Val) ref.Val {
	l, ok := list.(traits.Lister)
	if !ok {
		return types.MaybeNoSuchOverloadErr(list)
	}
	n := l.Size().(types.Int)
	for i := types.Int(0); i < n; i++ {
		if l.Get(i).Equal(item) == types.True {
			return i
		}
	}
	return types.IntNegOne
}

func listLastIndexOf(list, item ref.Val) ref.Val {
	l, ok := list.(traits.Lister)
	if !ok {
		return types.MaybeNoSuchOverloadErr(list)
	}
	for i := l.Size().(types.Int) - 1; i >= 0; i-- {
		if l.Get(i).Equal(item) == types.True {
			return i
		}
	}
	return types.IntNegOne
}

// includes reports list membership when target is a list, otherwise whether
// target equals arg.
func includes(target, arg ref.Val) ref.Val {
	if l, ok := target.(traits.Lister); ok {
		for i := l.Iterator(); i.HasNext() == types.True; {
			if i.Next().Equal(arg) == types.True {
				return types.True
			}
		}
		return types.False
	}
	return types.Bool(target.Equal(arg) == types.True)
}
