package k8slib

import (
	"regexp"
	"testing"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/checker"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/ext"
	"github.com/google/cel-go/interpreter"
	"github.com/stretchr/testify/require"
)

// newTestEnv builds an environment shaped like kube-apiserver 1.37's base
// environment (pkg/cel/environment/base.go), without variables.
func newTestEnv(t *testing.T) *cel.Env {
	t.Helper()
	opts := []cel.EnvOption{
		cel.HomogeneousAggregateLiterals(),
		cel.EagerlyValidateDeclarations(true),
		cel.DefaultUTCTimeZone(true),
		cel.CostEstimatorOptions(checker.PresenceTestHasCost(false)),
		cel.CrossTypeNumericComparisons(true),
		cel.OptionalTypes(),
		cel.ASTValidators(
			cel.ValidateDurationLiterals(),
			cel.ValidateTimestampLiterals(),
			cel.ValidateRegexLiterals(),
			cel.ValidateHomogeneousAggregateLiterals(),
		),
		ext.Strings(ext.StringsVersion(2)),
		ext.Sets(),
		ext.TwoVarComprehensions(),
		ext.Lists(ext.ListsVersion(3)),
	}
	env, err := cel.NewEnv(append(opts, EnvOptions()...)...)
	require.NoError(t, err)
	return env
}

// evalResult is the outcome of compiling and running one expression.
type evalResult struct {
	val        ref.Val
	err        error
	cost       uint64
	estimate   checker.CostEstimate
	compileErr string
}

// evalExpr compiles, estimates and runs expr with kube-apiserver's program
// options (optimized, cost tracked).
func evalExpr(t *testing.T, env *cel.Env, expr string) evalResult {
	t.Helper()
	return evalExprOpts(t, env, expr, cel.OptOptimize|cel.OptTrackCost)
}

// evalExprOpts is evalExpr with explicit evaluation options. Upstream's cost
// tests run unoptimized, so constant list literals and conversions are
// charged at runtime there; the optimized production plan builds them once.
func evalExprOpts(t *testing.T, env *cel.Env, expr string, evalOpts cel.EvalOption) evalResult {
	t.Helper()
	ast, iss := env.Compile(expr)
	if iss.Err() != nil {
		return evalResult{compileErr: iss.Err().Error()}
	}
	est, err := env.EstimateCost(ast, CostEstimator{})
	require.NoError(t, err)
	prg, err := env.Program(ast,
		cel.EvalOptions(evalOpts),
		cel.CostTracking(CostEstimator{}),
		cel.CostTrackerOptions(interpreter.PresenceTestHasCost(false)),
	)
	if err != nil {
		return evalResult{err: err, estimate: est}
	}
	val, det, err := prg.Eval(cel.NoVars())
	r := evalResult{val: val, err: err, estimate: est}
	if det != nil && det.ActualCost() != nil {
		r.cost = *det.ActualCost()
	}
	return r
}

// evalCase is one table row: exactly one of want, wantErr, wantCompileErr
// is set. want may be a ref.Val or a native Go value.
type evalCase struct {
	expr           string
	want           any
	wantErr        string // exact runtime error message
	wantCompileErr string // regexp matched against the compile issues
}

func runCases(t *testing.T, cases []evalCase) {
	t.Helper()
	env := newTestEnv(t)
	for _, tc := range cases {
		t.Run(tc.expr, func(t *testing.T) {
			r := evalExpr(t, env, tc.expr)
			switch {
			case tc.wantCompileErr != "":
				require.Regexp(t, regexp.MustCompile(tc.wantCompileErr), r.compileErr)
			case tc.wantErr != "":
				require.Empty(t, r.compileErr)
				require.Error(t, r.err)
				require.Equal(t, tc.wantErr, r.err.Error())
			default:
				require.Empty(t, r.compileErr)
				require.NoError(t, r.err)
				want, ok := tc.want.(ref.Val)
				if !ok {
					want = types.DefaultTypeAdapter.NativeToValue(tc.want)
				}
				require.Equal(t, types.True, r.val.Equal(want),
					"got %v (%T), want %v (%T)", r.val, r.val, want, want)
			}
		})
	}
}
