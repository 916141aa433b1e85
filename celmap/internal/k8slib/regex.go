package k8slib

import (
	"regexp"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/interpreter"
)

// regexLib mirrors the kubernetes.regex library.
//
//	<string>.find(<string>) string                  first match, or ""
//	<string>.findAll(<string>) list<string>         all matches
//	<string>.findAll(<string>, <int>) list<string>  at most n matches when n >= 0
//
// Like upstream it installs regex optimizations, so with cel.OptOptimize a
// constant pattern is compiled (and rejected if invalid) at program creation.
type regexLib struct{}

func (regexLib) LibraryName() string { return "kubernetes.regex" }

func (regexLib) CompileOptions() []cel.EnvOption {
	return functionSet{
		"find": {cel.MemberOverload("string_find_string",
			[]*cel.Type{cel.StringType, cel.StringType}, cel.StringType, cel.BinaryBinding(regexFind))},
		"findAll": {
			cel.MemberOverload("string_find_all_string",
				[]*cel.Type{cel.StringType, cel.StringType}, cel.ListType(cel.StringType),
				cel.BinaryBinding(func(s, re ref.Val) ref.Val { return regexFindAll(s, re, types.IntNegOne) })),
			cel.MemberOverload("string_find_all_string_int",
				[]*cel.Type{cel.StringType, cel.StringType, cel.IntType}, cel.ListType(cel.StringType),
				cel.FunctionBinding(func(args ...ref.Val) ref.Val {
					if len(args) != 3 {
						return types.NoSuchOverloadErr()
					}
					return regexFindAll(args[0], args[1], args[2])
				})),
		},
	}.envOptions()
}

func (regexLib) ProgramOptions() []cel.ProgramOption {
	return []cel.ProgramOption{cel.OptimizeRegex(findOptimization, findAllOptimization)}
}

func compilePattern(v ref.Val) (*regexp.Regexp, ref.Val) {
	pattern, ok := v.Value().(string)
	if !ok {
		return nil, types.MaybeNoSuchOverloadErr(v)
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, types.NewErr("Illegal regex: %v", err.Error())
	}
	return re, nil
}

func regexFind(str, pattern ref.Val) ref.Val {
	s, ok := str.Value().(string)
	if !ok {
		return types.MaybeNoSuchOverloadErr(str)
	}
	re, errVal := compilePattern(pattern)
	if errVal != nil {
		return errVal
	}
	return types.String(re.FindString(s))
}

func regexFindAll(str, pattern, limit ref.Val) ref.Val {
	s, ok := str.Value().(string)
	if !ok {
		return types.MaybeNoSuchOverloadErr(str)
	}
	if _, ok := pattern.Value().(string); !ok {
		return types.MaybeNoSuchOverloadErr(pattern)
	}
	n, ok := limit.Value().(int64)
	if !ok {
		return types.MaybeNoSuchOverloadErr(limit)
	}
	re, errVal := compilePattern(pattern)
	if errVal != nil {
		return errVal
	}
	return types.NewStringList(types.DefaultTypeAdapter, re.FindAllString(s, int(n)))
}

// findOptimization precompiles a constant pattern passed to find().
var findOptimization = &interpreter.RegexOptimization{
	Function:   "find",
	RegexIndex: 1,
	Factory: func(call interpreter.InterpretableCall, pattern string) (interpreter.InterpretableCall, error) {
		re, err := regexp.Compile(pattern)
		if err != nil {
			return nil, err
		}
		return interpreter.NewCall(call.ID(), call.Function(), call.OverloadID(), call.Args(),
			func(args ...ref.Val) ref.Val {
				if len(args) != 2 {
					return types.NoSuchOverloadErr()
				}
				s, ok := args[0].Value().(string)
				if !ok {
					return types.MaybeNoSuchOverloadErr(args[0])
				}
				return types.String(re.FindString(s))
			}), nil
	},
}

// findAllOptimization precompiles a constant pattern passed to findAll().
var findAllOptimization = &interpreter.RegexOptimization{
	Function:   "findAll",
	RegexIndex: 1,
	Factory: func(call interpreter.InterpretableCall, pattern string) (interpreter.InterpretableCall, error) {
		re, err := regexp.Compile(pattern)
		if err != nil {
			return nil, err
		}
		return interpreter.NewCall(call.ID(), call.Function(), call.OverloadID(), call.Args(),
			func(args ...ref.Val) ref.Val {
				if len(args) < 2 || len(args) > 3 {
					return types.NoSuchOverloadErr()
				}
				s, ok := args[0].Value().(string)
				if !ok {
					return types.MaybeNoSuchOverloadErr(args[0])
				}
				n := int64(-1)
				if len(args) == 3 {
					if n, ok = args[2].Value().(int64); !ok {
						return types.MaybeNoSuchOverloadErr(args[2])
					}
				}
				return types.NewStringList(types.DefaultTypeAdapter, re.FindAllString(s, int(n)))
			}), nil
	},
}
