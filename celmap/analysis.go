package celmap

import (
	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/types"
)

// SelectsClaim reports whether the expression selects the top-level claim
// name with a field selection directly on the `claims` identifier:
// claims.<name>, claims.?<name>, or has(claims.<name>) (a presence test is
// a field selection too). The selection may sit anywhere: in call
// arguments or targets, list elements, map keys and values, comprehensions
// (so inside macros such as map or all), ternaries.
//
// It is the static test kube-apiserver's configuration validation uses for
// the email rule (a username expression that uses claims.email needs
// claims.email_verified in the username, an extra or a claim validation
// expression), and it has the same blind spots, which are part of the
// contract: index syntax (claims['email'], claims[?'email']), selections
// on anything other than the bare identifier (claims.other.claims.email),
// and other names (claims.email_ for "email") do not count.
//
// The walk is over the type-checked AST, after macro expansion.
func (p *Program) SelectsClaim(name string) bool {
	if p == nil || p.ast == nil || name == "" {
		return false
	}
	return selectsField(p.ast.NativeRep().Expr(), ClaimsVar, name)
}

// selectsField reports whether e contains operand.field or operand.?field
// where operand is the identifier itself.
func selectsField(e ast.Expr, operand, field string) bool {
	if e == nil {
		return false
	}
	switch e.Kind() {
	case ast.SelectKind:
		s := e.AsSelect()
		if isIdent(s.Operand(), operand) && s.FieldName() == field {
			return true
		}
		return selectsField(s.Operand(), operand, field)
	case ast.CallKind:
		c := e.AsCall()
		args := c.Args()
		if !c.IsMemberFunction() && c.FunctionName() == operators.OptSelect && len(args) == 2 &&
			isIdent(args[0], operand) && isStringLiteral(args[1], field) {
			return true
		}
		for _, a := range args {
			if selectsField(a, operand, field) {
				return true
			}
		}
		return c.IsMemberFunction() && selectsField(c.Target(), operand, field)
	case ast.ListKind:
		for _, el := range e.AsList().Elements() {
			if selectsField(el, operand, field) {
				return true
			}
		}
		return false
	case ast.MapKind:
		for _, entry := range e.AsMap().Entries() {
			me := entry.AsMapEntry()
			if selectsField(me.Key(), operand, field) || selectsField(me.Value(), operand, field) {
				return true
			}
		}
		return false
	case ast.StructKind:
		for _, entry := range e.AsStruct().Fields() {
			if selectsField(entry.AsStructField().Value(), operand, field) {
				return true
			}
		}
		return false
	case ast.ComprehensionKind:
		c := e.AsComprehension()
		return selectsField(c.IterRange(), operand, field) ||
			selectsField(c.AccuInit(), operand, field) ||
			selectsField(c.LoopCondition(), operand, field) ||
			selectsField(c.LoopStep(), operand, field) ||
			selectsField(c.Result(), operand, field)
	default: // identifiers, literals
		return false
	}
}

func isIdent(e ast.Expr, name string) bool {
	return e != nil && e.Kind() == ast.IdentKind && e.AsIdent() == name
}

func isStringLiteral(e ast.Expr, value string) bool {
	if e == nil || e.Kind() != ast.LiteralKind {
		return false
	}
	s, ok := e.AsLiteral().(types.String)
	return ok && string(s) == value
}
