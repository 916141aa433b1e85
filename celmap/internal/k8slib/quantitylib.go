package k8slib

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
)

// quantityType is the CEL type of quantity() values; an unregistered object
// type like upstream.
var quantityType = cel.ObjectType("kubernetes.Quantity")

// quantityVal is the CEL value of a quantity. quantity() yields a
// quantityVal while add() and sub() yield a *quantityVal, as upstream does;
// Equal only accepts the former as its argument, so for example
// `quantity("2") == quantity("1").add(1)` is a "no such overload" error
// while `quantity("1").add(1) == quantity("2")` is true, exactly as in
// kube-apiserver.
type quantityVal struct {
	q *quantity
}

func (v quantityVal) ConvertToNative(typeDesc reflect.Type) (any, error) {
	if reflect.TypeOf(v.q).AssignableTo(typeDesc) {
		return v.q, nil
	}
	if reflect.TypeOf("").AssignableTo(typeDesc) {
		return v.q.String(), nil
	}
	return nil, fmt.Errorf("type conversion error from 'Quantity' to '%v'", typeDesc)
}

func (v quantityVal) ConvertToType(typeVal ref.Type) ref.Val {
	switch typeVal {
	case quantityType:
		return v
	case types.TypeType:
		return quantityType
	}
	return types.NewErr("type conversion error from '%s' to '%s'", quantityType, typeVal)
}

func (v quantityVal) Equal(other ref.Val) ref.Val {
	o, ok := other.(quantityVal)
	if !ok {
		return types.MaybeNoSuchOverloadErr(other)
	}
	// upstream compares copies here, so neither operand changes form
	return types.Bool(v.q.clone().cmp(o.q) == 0)
}

func (v quantityVal) Type() ref.Type { return quantityType }

func (v quantityVal) Value() any { return v.q }

// quantityLib mirrors the kubernetes.quantity library.
//
//	quantity(<string>) Quantity, isQuantity(<string>) bool
//	sign(<Quantity>) int
//	<Quantity>.isGreaterThan(Quantity), isLessThan(Quantity) bool
//	<Quantity>.compareTo(Quantity) int
//	<Quantity>.asApproximateFloat() double, asInteger() int, isInteger() bool
//	<Quantity>.add(Quantity | int), sub(Quantity | int) Quantity
type quantityLib struct{}

func (quantityLib) LibraryName() string { return "kubernetes.quantity" }

func (quantityLib) CompileOptions() []cel.EnvOption {
	q := quantityType
	cmp := func(id string, result *cel.Type, conv func(int) ref.Val) cel.FunctionOpt {
		return cel.MemberOverload(id, []*cel.Type{q, q}, result, cel.BinaryBinding(func(a, b ref.Val) ref.Val {
			x, y, bad := twoQuantities(a, b)
			if bad != nil {
				return bad
			}
			return conv(x.cmp(y))
		}))
	}
	arith := func(id string, arg *cel.Type, op func(x, y *quantity)) cel.FunctionOpt {
		return cel.MemberOverload(id, []*cel.Type{q, arg}, q, cel.BinaryBinding(func(a, b ref.Val) ref.Val {
			x, ok := a.Value().(*quantity)
			if !ok {
				return types.MaybeNoSuchOverloadErr(a)
			}
			var y *quantity
			switch bv := b.Value().(type) {
			case *quantity:
				y = bv
			case int64:
				y = &quantity{value: bv, format: decimalExponent}
			default:
				return types.MaybeNoSuchOverloadErr(a)
			}
			r := x.clone()
			op(r, y)
			return &quantityVal{q: r}
		}))
	}
	return functionSet{
		"quantity": {cel.Overload("string_to_quantity", []*cel.Type{cel.StringType}, q,
			cel.UnaryBinding(stringToQuantity))},
		"isQuantity": {cel.Overload("is_quantity_string", []*cel.Type{cel.StringType}, cel.BoolType,
			cel.UnaryBinding(isQuantity))},
		"sign": {cel.Overload("quantity_sign", []*cel.Type{q}, cel.IntType,
			cel.UnaryBinding(withQuantity(func(x *quantity) ref.Val { return types.Int(x.sign()) })))},
		"isGreaterThan": {cmp("quantity_is_greater_than", cel.BoolType, func(c int) ref.Val { return types.Bool(c == 1) })},
		"isLessThan":    {cmp("quantity_is_less_than", cel.BoolType, func(c int) ref.Val { return types.Bool(c == -1) })},
		"compareTo":     {cmp("quantity_compare_to", cel.IntType, func(c int) ref.Val { return types.Int(c) })},
		"asApproximateFloat": {cel.MemberOverload("quantity_get_float", []*cel.Type{q}, cel.DoubleType,
			cel.UnaryBinding(withQuantity(func(x *quantity) ref.Val { return types.Double(x.approximateFloat()) })))},
		"asInteger": {cel.MemberOverload("quantity_get_int", []*cel.Type{q}, cel.IntType,
			cel.UnaryBinding(withQuantity(func(x *quantity) ref.Val {
				v, ok := x.asInt64()
				if !ok {
					return types.WrapErr(errors.New("cannot convert value to integer"))
				}
				return types.Int(v)
			})))},
		"isInteger": {cel.MemberOverload("quantity_is_integer", []*cel.Type{q}, cel.BoolType,
			cel.UnaryBinding(withQuantity(func(x *quantity) ref.Val {
				_, ok := x.asInt64()
				return types.Bool(ok)
			})))},
		"add": {
			arith("quantity_add", q, (*quantity).add),
			arith("quantity_add_int", cel.IntType, (*quantity).add),
		},
		"sub": {
			arith("quantity_sub", q, (*quantity).sub),
			arith("quantity_sub_int", cel.IntType, (*quantity).sub),
		},
	}.envOptions()
}

func (quantityLib) ProgramOptions() []cel.ProgramOption { return nil }

func withQuantity(f func(*quantity) ref.Val) func(ref.Val) ref.Val {
	return func(arg ref.Val) ref.Val {
		x, ok := arg.Value().(*quantity)
		if !ok {
			return types.MaybeNoSuchOverloadErr(arg)
		}
		return f(x)
	}
}

func twoQuantities(a, b ref.Val) (x, y *quantity, bad ref.Val) {
	x, ok := a.Value().(*quantity)
	if !ok {
		return nil, nil, types.MaybeNoSuchOverloadErr(a)
	}
	y, ok = b.Value().(*quantity)
	if !ok {
		return nil, nil, types.MaybeNoSuchOverloadErr(a)
	}
	return x, y, nil
}

func stringToQuantity(arg ref.Val) ref.Val {
	s, ok := arg.Value().(string)
	if !ok {
		return types.MaybeNoSuchOverloadErr(arg)
	}
	q, err := parseQuantity(s)
	if err != nil {
		return types.WrapErr(err)
	}
	return quantityVal{q: q}
}

func isQuantity(arg ref.Val) ref.Val {
	s, ok := arg.Value().(string)
	if !ok {
		return types.MaybeNoSuchOverloadErr(arg)
	}
	_, err := parseQuantity(s)
	return types.Bool(err == nil)
}
