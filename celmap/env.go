package celmap

import (
	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/checker"
	"github.com/google/cel-go/ext"
	"github.com/google/cel-go/interpreter"

	"github.com/structauth/structauth/celmap/internal/k8slib"
)

// claimsVarType is the declared type of `claims`. The values are `any`
// (google.protobuf.Any), not `dyn`: that is why a comprehension directly
// over a claim does not compile and a validation rule must compare a claim
// to get a statically bool result.
var claimsVarType = cel.MapType(cel.StringType, cel.AnyType)

// interruptCheckFrequency is how many comprehension iterations run between
// two looks at ctx. kube-apiserver sets none, so there a cancelled request
// still runs its expressions to the end (bounded by the cost limit); we
// stop early, which changes nothing for an evaluation that is not cancelled.
const interruptCheckFrequency = 100

// NewEnv builds a fresh environment. Most callers want DefaultEnv.
//
// The environment is kube-apiserver 1.37's authentication environment in
// its StoredExpressions flavour: the Kubernetes base environment with every
// option introduced up to 1.37 and not removed by then, extended once with
// `claims` and once with `user`. See doc.go for the list.
func NewEnv() (*Env, error) {
	base, err := newBaseEnv()
	if err != nil {
		return nil, err
	}
	claimsEnv, err := extendEnv(base, cel.Variable(ClaimsVar, claimsVarType), claimsDeclarations())
	if err != nil {
		return nil, err
	}
	userEnv, err := extendEnv(base, cel.Variable(UserVar, cel.ObjectType(userTypeName)), userDeclarations())
	if err != nil {
		return nil, err
	}
	return &Env{claims: claimsEnv, user: userEnv}, nil
}

// newBaseEnv is the Kubernetes base CEL environment: cel-go's standard
// library, extended with one library holding the versioned options.
func newBaseEnv() (*cel.Env, error) {
	std, err := cel.NewEnv()
	if err != nil {
		return nil, err
	}
	return std.Extend(cel.Lib(&optionSet{compile: baseEnvOptions(), program: baseProgramOptions()}))
}

// baseEnvOptions lists, in Kubernetes' order, the compile options of every
// base-environment entry in force at 1.37 (entries with a removal version
// of 1.37 or lower, like ext.Strings v0 and the lists library v0, are
// left out). The Kubernetes function libraries come from k8slib and are
// registered after cel-go's own extensions; no library depends on
// another's declarations, so the relative order does not show.
func baseEnvOptions() []cel.EnvOption {
	opts := []cel.EnvOption{
		// Since 1.0 (the CEL epoch is 1.23, recorded as 1.0).
		cel.HomogeneousAggregateLiterals(),
		cel.EagerlyValidateDeclarations(true),
		cel.DefaultUTCTimeZone(true),
		// has() costs 0, the pre-v0.17.7 cel-go convention Kubernetes keeps.
		cel.CostEstimatorOptions(checker.PresenceTestHasCost(false)),
		// Since 1.28.
		cel.CrossTypeNumericComparisons(true),
		cel.OptionalTypes(),
		// Since 1.29.
		cel.ASTValidators(
			cel.ValidateDurationLiterals(),
			cel.ValidateTimestampLiterals(),
			cel.ValidateRegexLiterals(),
			cel.ValidateHomogeneousAggregateLiterals(),
		),
		ext.Strings(ext.StringsVersion(2)),
		ext.Sets(),
		// Since 1.32.
		ext.TwoVarComprehensions(),
		// Since 1.34.
		ext.Lists(ext.ListsVersion(3)),
	}
	// URLs, Regex (1.0), Authz (1.27), Quantity (1.28), IP and CIDR (1.30),
	// Format and AuthzSelectors (1.31), Semver v1 (1.33), Lists v1 (1.37).
	return append(opts, k8slib.EnvOptions()...)
}

// baseProgramOptions are the base environment's program options: constant
// folding, cost tracking with the per-call limit, has() at cost 0, and the
// Kubernetes libraries' call costs.
func baseProgramOptions() []cel.ProgramOption {
	return []cel.ProgramOption{
		cel.EvalOptions(cel.OptOptimize, cel.OptTrackCost),
		cel.CostLimit(PerCallLimit),
		cel.CostTrackerOptions(interpreter.PresenceTestHasCost(false)),
		cel.CostTracking(&k8slib.CostEstimator{}),
	}
}

// programOptions are added to the environment's own program options when
// a Program is built.
func programOptions() []cel.ProgramOption {
	return []cel.ProgramOption{cel.InterruptCheckFrequency(interruptCheckFrequency)}
}

// extendEnv adds one variable and the type declarations it needs, wrapping
// base's type provider as Kubernetes does for declared types.
func extendEnv(base *cel.Env, variable cel.EnvOption, declared map[string]declaredType) (*cel.Env, error) {
	opts := append([]cel.EnvOption{variable}, typeOptions(base, declared)...)
	return base.Extend(cel.Lib(&optionSet{compile: opts}))
}

// optionSet bundles options as one cel.Library, the shape in which
// Kubernetes applies each environment extension.
type optionSet struct {
	compile []cel.EnvOption
	program []cel.ProgramOption
}

func (o *optionSet) CompileOptions() []cel.EnvOption     { return o.compile }
func (o *optionSet) ProgramOptions() []cel.ProgramOption { return o.program }
