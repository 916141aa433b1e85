package celmap

import (
	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/interpreter"
)

// NewEnv builds a fresh environment. Most callers want DefaultEnv.
//
// TODO(celmap owner): full kube-apiserver base environment (libraries,
// user object type, cost estimator, validators). This minimal version only
// declares the variables so that dependent packages compile.
func NewEnv() (*Env, error) {
	claimsEnv, err := cel.NewEnv(cel.Variable(ClaimsVar, cel.MapType(cel.StringType, cel.AnyType)))
	if err != nil {
		return nil, err
	}
	userEnv, err := cel.NewEnv(cel.Variable(UserVar, cel.MapType(cel.StringType, cel.DynType)))
	if err != nil {
		return nil, err
	}
	return &Env{claims: claimsEnv, user: userEnv}, nil
}

func programOptions() []cel.ProgramOption {
	return []cel.ProgramOption{cel.CostLimit(PerCallLimit)}
}

// Activation supplies the one variable an expression reads.
type Activation interface {
	activation() interpreter.Activation
}

type varActivation struct {
	name  string
	value ref.Val
}

func (a *varActivation) activation() interpreter.Activation { return a }

func (a *varActivation) ResolveName(name string) (any, bool) {
	if name != a.name {
		return nil, false
	}
	return a.value, true
}

func (a *varActivation) Parent() interpreter.Activation { return nil }
