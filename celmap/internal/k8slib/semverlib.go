package k8slib

import (
	"fmt"
	"reflect"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
)

// semverType is the CEL type of semver() values; an unregistered object type
// like upstream.
var semverType = cel.ObjectType("kubernetes.Semver")

// semverVal is the CEL value of a semantic version.
type semverVal struct {
	v semverVersion
}

func (s semverVal) ConvertToNative(typeDesc reflect.Type) (any, error) {
	if reflect.TypeOf(s.v).AssignableTo(typeDesc) {
		return s.v, nil
	}
	if reflect.TypeOf("").AssignableTo(typeDesc) {
		return s.v.String(), nil
	}
	return nil, fmt.Errorf("type conversion error from 'Semver' to '%v'", typeDesc)
}

func (s semverVal) ConvertToType(typeVal ref.Type) ref.Val {
	switch typeVal {
	case semverType:
		return s
	case types.TypeType:
		return semverType
	}
	return types.NewErr("type conversion error from '%s' to '%s'", semverType, typeVal)
}

// Equal compares by precedence, so build metadata is ignored.
func (s semverVal) Equal(other ref.Val) ref.Val {
	o, ok := other.(semverVal)
	if !ok {
		return types.MaybeNoSuchOverloadErr(other)
	}
	return types.Bool(s.v.compare(o.v) == 0)
}

func (s semverVal) Type() ref.Type { return semverType }

func (s semverVal) Value() any { return s.v }

// semverLib mirrors the kubernetes.Semver library.
//
//	semver(<string>) Semver, isSemver(<string>) bool
//	semver(<string>, <bool>), isSemver(<string>, <bool>)   version >= 1; true normalizes
//	<Semver>.major(), minor(), patch() int
//	<Semver>.isLessThan(Semver), isGreaterThan(Semver) bool
//	<Semver>.compareTo(Semver) int
type semverLib struct {
	version uint32
}

func (semverLib) LibraryName() string { return "kubernetes.Semver" }

func (l semverLib) CompileOptions() []cel.EnvOption {
	part := func(id string, get func(semverVersion) uint64) cel.FunctionOpt {
		return cel.MemberOverload(id, []*cel.Type{semverType}, cel.IntType,
			cel.UnaryBinding(func(arg ref.Val) ref.Val {
				v, ok := arg.Value().(semverVersion)
				if !ok {
					return types.MaybeNoSuchOverloadErr(arg)
				}
				return types.Int(get(v))
			}))
	}
	cmp := func(id string, result *cel.Type, conv func(int) ref.Val) cel.FunctionOpt {
		return cel.MemberOverload(id, []*cel.Type{semverType, semverType}, result,
			cel.BinaryBinding(func(a, b ref.Val) ref.Val {
				v, ok := a.Value().(semverVersion)
				if !ok {
					return types.MaybeNoSuchOverloadErr(a)
				}
				w, ok := b.Value().(semverVersion)
				if !ok {
					return types.MaybeNoSuchOverloadErr(a)
				}
				return conv(v.compare(w))
			}))
	}
	fs := functionSet{
		"semver": {cel.Overload("string_to_semver", []*cel.Type{cel.StringType}, semverType,
			cel.UnaryBinding(func(s ref.Val) ref.Val { return stringToSemver(s, types.False) }))},
		"isSemver": {cel.Overload("is_semver_string", []*cel.Type{cel.StringType}, cel.BoolType,
			cel.UnaryBinding(func(s ref.Val) ref.Val { return isSemver(s, types.False) }))},
		"isGreaterThan": {cmp("semver_is_greater_than", cel.BoolType, func(c int) ref.Val { return types.Bool(c == 1) })},
		"isLessThan":    {cmp("semver_is_less_than", cel.BoolType, func(c int) ref.Val { return types.Bool(c == -1) })},
		"compareTo":     {cmp("semver_compare_to", cel.IntType, func(c int) ref.Val { return types.Int(c) })},
		"major":         {part("semver_major", func(v semverVersion) uint64 { return v.major })},
		"minor":         {part("semver_minor", func(v semverVersion) uint64 { return v.minor })},
		"patch":         {part("semver_patch", func(v semverVersion) uint64 { return v.patch })},
	}
	if l.version >= 1 {
		fs["semver"] = append(fs["semver"], cel.Overload("string_bool_to_semver",
			[]*cel.Type{cel.StringType, cel.BoolType}, semverType, cel.BinaryBinding(stringToSemver)))
		fs["isSemver"] = append(fs["isSemver"], cel.Overload("is_semver_string_bool",
			[]*cel.Type{cel.StringType, cel.BoolType}, cel.BoolType, cel.BinaryBinding(isSemver)))
	}
	return fs.envOptions()
}

func (semverLib) ProgramOptions() []cel.ProgramOption { return nil }

// parseSemverArg parses str, normalizing it first when normalize is true.
// bad is set when the arguments have unexpected types.
func parseSemverArg(str, normalize ref.Val) (v semverVersion, bad ref.Val, err error) {
	s, ok := str.Value().(string)
	if !ok {
		return semverVersion{}, types.MaybeNoSuchOverloadErr(str), nil
	}
	norm, ok := normalize.Value().(bool)
	if !ok {
		return semverVersion{}, types.MaybeNoSuchOverloadErr(str), nil
	}
	if norm {
		v, err = normalizeAndParseSemver(s)
	} else {
		v, err = parseSemver(s)
	}
	return v, nil, err
}

func stringToSemver(str, normalize ref.Val) ref.Val {
	v, bad, err := parseSemverArg(str, normalize)
	if bad != nil {
		return bad
	}
	if err != nil {
		return types.WrapErr(err)
	}
	return semverVal{v: v}
}

func isSemver(str, normalize ref.Val) ref.Val {
	_, bad, err := parseSemverArg(str, normalize)
	if bad != nil {
		return bad
	}
	return types.Bool(err == nil)
}
