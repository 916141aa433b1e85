package k8slib

import (
	"sort"

	"github.com/google/cel-go/cel"
)

// EnvOptions returns the Kubernetes CEL libraries that kube-apiserver 1.37's base
// environment adds on top of cel-go's standard library and ext libraries.
//
// The order matches the order in which the kube base environment registers
// them. The environment is expected to also enable cel.OptionalTypes(), which
// the format library's result types require.
func EnvOptions() []cel.EnvOption {
	return []cel.EnvOption{
		cel.Lib(urlsLib{}),
		cel.Lib(regexLib{}),
		cel.Lib(authzLib{}),
		cel.Lib(quantityLib{}),
		cel.Lib(ipLib{}),
		cel.Lib(cidrLib{}),
		cel.Lib(formatLib{}),
		cel.Lib(authzSelectorsLib{}),
		cel.Lib(semverLib{version: 1}),
		cel.Lib(listsLib{version: 1}),
	}
}

// functionSet is a set of function declarations keyed by function name.
type functionSet map[string][]cel.FunctionOpt

// envOptions turns the declarations into cel.Function options, in name order
// so that environment construction is deterministic.
func (fs functionSet) envOptions() []cel.EnvOption {
	names := make([]string, 0, len(fs))
	for name := range fs {
		names = append(names, name)
	}
	sort.Strings(names)
	opts := make([]cel.EnvOption, 0, len(fs))
	for _, name := range names {
		opts = append(opts, cel.Function(name, fs[name]...))
	}
	return opts
}
