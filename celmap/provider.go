package celmap

import (
	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
)

// userTypeName is the object type of the `user` variable.
const userTypeName = "kubernetes.UserInfo"

// declKind tells how a declared type answers field lookups.
type declKind int

const (
	declScalar declKind = iota // no fields
	declList                   // no fields
	declMap                    // every field name has the element type
	declObject                 // fixed field set
)

// declaredType is a type the environment declares beyond cel-go's own: the
// `user` object, its nested list/map types, and the `claims` map type.
type declaredType struct {
	kind   declKind
	cel    *cel.Type
	elem   *cel.Type            // declMap only
	fields map[string]*cel.Type // declObject only
}

// userFields are the fields of kubernetes.UserInfo, as kube-apiserver
// declares them; all four always exist at runtime.
var userFields = map[string]*cel.Type{
	"username": cel.StringType,
	"uid":      cel.StringType,
	"groups":   cel.ListType(cel.StringType),
	"extra":    cel.MapType(cel.StringType, cel.ListType(cel.StringType)),
}

// userDeclarations names the user object and, like Kubernetes' schema
// based type registry, each nested list or map by its path.
func userDeclarations() map[string]declaredType {
	return map[string]declaredType{
		userTypeName:                  {kind: declObject, cel: cel.ObjectType(userTypeName), fields: userFields},
		userTypeName + ".groups":      {kind: declList, cel: userFields["groups"]},
		userTypeName + ".extra":       {kind: declMap, cel: userFields["extra"], elem: cel.ListType(cel.StringType)},
		userTypeName + ".extra.@elem": {kind: declList, cel: cel.ListType(cel.StringType)},
	}
}

// claimsDeclarations registers the claims map type. Kubernetes registers
// an unnamed map type under the name "map", which shadows the generic map
// entry of scalarDeclarations in the claims environment.
func claimsDeclarations() map[string]declaredType {
	return map[string]declaredType{
		"map": {kind: declMap, cel: claimsVarType, elem: cel.AnyType},
	}
}

// scalarDeclarations are the names Kubernetes' type provider also answers
// for, after its own declarations and before the wrapped provider.
var scalarDeclarations = map[string]declaredType{
	"bool":      {cel: cel.BoolType},
	"bytes":     {cel: cel.BytesType},
	"double":    {cel: cel.DoubleType},
	"duration":  {cel: cel.DurationType},
	"int":       {cel: cel.IntType},
	"null_type": {cel: cel.NullType},
	"string":    {cel: cel.StringType},
	"timestamp": {cel: cel.TimestampType},
	"uint":      {cel: cel.UintType},
	"list":      {kind: declList, cel: cel.ListType(cel.AnyType)},
	"map":       {kind: declMap, cel: cel.MapType(cel.AnyType, cel.AnyType), elem: cel.AnyType},
}

// typeProvider layers declared types over an environment's own provider,
// the way kube-apiserver's DeclTypeProvider does: declared names win, field
// lookups on declared objects use the declaration, and everything else is
// delegated. Values are converted by the wrapped environment's adapter.
type typeProvider struct {
	base     types.Provider
	adapter  types.Adapter
	declared map[string]declaredType
}

var (
	_ types.Provider = (*typeProvider)(nil)
	_ types.Adapter  = (*typeProvider)(nil)
)

// typeOptions installs a typeProvider wrapping env's provider and adapter.
func typeOptions(env *cel.Env, declared map[string]declaredType) []cel.EnvOption {
	adapter := types.Adapter(types.DefaultTypeAdapter)
	if a, ok := env.CELTypeProvider().(types.Adapter); ok {
		adapter = a
	}
	tp := &typeProvider{base: env.CELTypeProvider(), adapter: adapter, declared: declared}
	return []cel.EnvOption{cel.CustomTypeProvider(tp), cel.CustomTypeAdapter(tp)}
}

func (p *typeProvider) lookup(name string) (declaredType, bool) {
	if d, ok := p.declared[name]; ok {
		return d, true
	}
	d, ok := scalarDeclarations[name]
	return d, ok
}

func (p *typeProvider) EnumValue(name string) ref.Val { return p.base.EnumValue(name) }

func (p *typeProvider) FindIdent(name string) (ref.Val, bool) { return p.base.FindIdent(name) }

func (p *typeProvider) FindStructType(name string) (*types.Type, bool) {
	if d, ok := p.lookup(name); ok {
		return types.NewTypeTypeWithParam(d.cel), true
	}
	return p.base.FindStructType(name)
}

// FindStructFieldNames reports nothing, for declared and delegated types
// alike, as upstream does.
func (p *typeProvider) FindStructFieldNames(string) ([]string, bool) {
	return []string{}, false
}

func (p *typeProvider) FindStructFieldType(typeName, field string) (*types.FieldType, bool) {
	d, ok := p.lookup(typeName)
	if !ok {
		return p.base.FindStructFieldType(typeName, field)
	}
	switch d.kind {
	case declObject:
		t, found := d.fields[field]
		if !found && reservedWords[field] {
			// Kubernetes stores fields named like reserved words in their
			// escaped form; none of the user fields is, but keep the rule.
			t, found = d.fields["__"+field+"__"]
		}
		if found {
			return &types.FieldType{Type: t}, true
		}
	case declMap:
		return &types.FieldType{Type: d.elem}, true
	}
	return nil, false
}

func (p *typeProvider) NewValue(typeName string, fields map[string]ref.Val) ref.Val {
	return p.base.NewValue(typeName, fields)
}

func (p *typeProvider) NativeToValue(v any) ref.Val { return p.adapter.NativeToValue(v) }
