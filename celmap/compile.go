package celmap

import (
	"context"
	"fmt"
	"sync"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/interpreter"
)

// Variable names, as in kube-apiserver.
const (
	ClaimsVar = "claims"
	UserVar   = "user"
)

// PerCallLimit is kube-apiserver's runtime cost limit for one evaluation of
// one expression (k8s.io/apiserver/pkg/apis/cel.PerCallLimit).
const PerCallLimit = 1_000_000

// ResultKind says what an expression must produce, which decides the static
// type check done at compile time (kube-apiserver: claim and user
// validation rules must be statically bool; mappings may be anything).
type ResultKind int

const (
	// AnyResult is for username, groups, uid and extra expressions.
	AnyResult ResultKind = iota
	// BoolResult is for claimValidationRules and userValidationRules.
	BoolResult
)

// Env holds the two compilation environments of kube-apiserver's
// authentication CEL: one declaring `claims`, one declaring `user`.
// An Env is safe for concurrent use.
type Env struct {
	claims *cel.Env
	user   *cel.Env
}

var (
	defaultEnv     *Env
	defaultEnvErr  error
	defaultEnvOnce sync.Once
)

// DefaultEnv returns the shared environment, built on first use. Building
// it is expensive (milliseconds), so it is built once per process.
func DefaultEnv() (*Env, error) {
	defaultEnvOnce.Do(func() { defaultEnv, defaultEnvErr = NewEnv() })
	return defaultEnv, defaultEnvErr
}

// Program is one compiled expression, reusable and safe for concurrent use.
type Program struct {
	expr string
	ast  *cel.Ast
	prg  cel.Program
}

// Expression returns the source text.
func (p *Program) Expression() string { return p.expr }

// CompileError is returned by CompileClaims and CompileUser. Detail is the
// text kube-apiserver puts after "Invalid value: <expr>: ", either
// "must evaluate to bool" or a multi-line compiler report such as
//
//	compilation failed: ERROR: <input>:1:1: undeclared reference to 'foo' (in container '')
//	 | foo.bar
//	 | ^
type CompileError struct {
	Expression string
	Detail     string
}

func (e *CompileError) Error() string {
	return fmt.Sprintf("celmap: expression %q: %s", e.Expression, e.Detail)
}

// CompileClaims compiles an expression over `claims`.
func (e *Env) CompileClaims(expr string, kind ResultKind) (*Program, error) {
	return compile(e.claims, expr, kind)
}

// CompileUser compiles a userValidationRules expression over `user`; it must be bool.
func (e *Env) CompileUser(expr string) (*Program, error) {
	return compile(e.user, expr, BoolResult)
}

func compile(env *cel.Env, expr string, kind ResultKind) (*Program, error) {
	ast, iss := env.Compile(expr)
	if iss != nil { // cel-go returns issues only when there are errors
		return nil, &CompileError{Expression: expr, Detail: "compilation failed: " + iss.String()}
	}
	// The result check is an identity comparison of the checked type with
	// cel.BoolType, as upstream: an output type of any or dyn (for example
	// claims.?flag.orValue(true)) is not bool.
	if kind == BoolResult && ast.OutputType() != cel.BoolType {
		return nil, &CompileError{Expression: expr, Detail: "must evaluate to bool"}
	}
	if _, err := cel.AstToCheckedExpr(ast); err != nil {
		return nil, &CompileError{Expression: expr, Detail: "unexpected compilation error: " + err.Error()}
	}
	prg, err := env.Program(ast, programOptions()...)
	if err != nil {
		return nil, &CompileError{Expression: expr, Detail: "program instantiation failed: " + err.Error()}
	}
	return &Program{expr: expr, ast: ast, prg: prg}, nil
}

// EvalError wraps a runtime evaluation failure. Its Error text matches
// kube-apiserver's: "expression '<expr>' resulted in error: <cel error>".
type EvalError struct {
	Expression string
	Err        error
}

func (e *EvalError) Error() string {
	return fmt.Sprintf("expression '%s' resulted in error: %v", e.Expression, e.Err)
}

func (e *EvalError) Unwrap() error { return e.Err }

// Eval evaluates the program against one activation (see NewClaimsActivation,
// NewUserActivation). Evaluation is bounded by PerCallLimit and by ctx.
//
// act must have been built for this kind of program (claims or user); a
// nil act resolves no variable. Eval is safe for concurrent use with
// distinct activations.
func (p *Program) Eval(ctx context.Context, act Activation) (Value, error) {
	var vars interpreter.Activation = emptyActivation{}
	if act != nil {
		vars = act.activation()
	}
	out, _, err := p.prg.ContextEval(ctx, vars)
	if err != nil {
		return Value{}, &EvalError{Expression: p.expr, Err: err}
	}
	return Value{v: out}, nil
}

// Value is the result of one evaluation.
type Value struct{ v ref.Val }
