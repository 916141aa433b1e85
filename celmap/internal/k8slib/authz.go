package k8slib

import (
	"fmt"
	"reflect"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
)

// The authorization types of the kubernetes.authz library. Upstream declares
// them as object types without registering them with the type provider.
var (
	authorizerType    = cel.ObjectType("kubernetes.authorization.Authorizer")
	pathCheckType     = cel.ObjectType("kubernetes.authorization.PathCheck")
	groupCheckType    = cel.ObjectType("kubernetes.authorization.GroupCheck")
	resourceCheckType = cel.ObjectType("kubernetes.authorization.ResourceCheck")
	decisionType      = cel.ObjectType("kubernetes.authorization.Decision")
)

// authzVal stands for a value of one of the authorization types. The
// authentication environment never binds an authorizer, so no such value is
// ever produced; the type exists so the cost estimator can name it.
type authzVal struct {
	typ *types.Type
}

func (v authzVal) ConvertToNative(typeDesc reflect.Type) (any, error) {
	return nil, fmt.Errorf("type conversion error from '%s' to '%v'", v.typ, typeDesc)
}

func (v authzVal) ConvertToType(typeVal ref.Type) ref.Val {
	if typeVal == types.TypeType {
		return v.typ
	}
	return types.NewErr("type conversion error from '%s' to '%s'", v.typ, typeVal)
}

func (v authzVal) Equal(other ref.Val) ref.Val { return types.Bool(v == other) }
func (v authzVal) Type() ref.Type              { return v.typ }
func (v authzVal) Value() any                  { return v }

// authzUnavailable is the binding of every authorization function: with no
// authorizer there is no receiver value it could accept.
func authzUnavailable(args ...ref.Val) ref.Val {
	if len(args) > 0 {
		return types.MaybeNoSuchOverloadErr(args[0])
	}
	return types.NoSuchOverloadErr()
}

// member declares a receiver-style overload bound to authzUnavailable.
func authzMember(id string, args []*cel.Type, result *cel.Type) cel.FunctionOpt {
	return cel.MemberOverload(id, args, result, cel.FunctionBinding(authzUnavailable))
}

// authzLib declares the kubernetes.authz library's functions so that type
// checking matches kube-apiserver (e.g. the same overload resolution errors).
//
//	<Authorizer>.path(string) PathCheck
//	<Authorizer>.group(string) GroupCheck
//	<Authorizer>.serviceAccount(string, string) Authorizer
//	<GroupCheck>.resource(string) ResourceCheck
//	<ResourceCheck>.subresource/namespace/name(string) ResourceCheck
//	<PathCheck|ResourceCheck>.check(string) Decision
//	<Decision>.allowed(), errored() bool; reason(), error() string
type authzLib struct{}

func (authzLib) LibraryName() string { return "kubernetes.authz" }

func (authzLib) CompileOptions() []cel.EnvOption {
	s := cel.StringType
	return functionSet{
		"path":           {authzMember("authorizer_path", []*cel.Type{authorizerType, s}, pathCheckType)},
		"group":          {authzMember("authorizer_group", []*cel.Type{authorizerType, s}, groupCheckType)},
		"serviceAccount": {authzMember("authorizer_serviceaccount", []*cel.Type{authorizerType, s, s}, authorizerType)},
		"resource":       {authzMember("groupcheck_resource", []*cel.Type{groupCheckType, s}, resourceCheckType)},
		"subresource":    {authzMember("resourcecheck_subresource", []*cel.Type{resourceCheckType, s}, resourceCheckType)},
		"namespace":      {authzMember("resourcecheck_namespace", []*cel.Type{resourceCheckType, s}, resourceCheckType)},
		"name":           {authzMember("resourcecheck_name", []*cel.Type{resourceCheckType, s}, resourceCheckType)},
		"check": {
			authzMember("pathcheck_check", []*cel.Type{pathCheckType, s}, decisionType),
			authzMember("resourcecheck_check", []*cel.Type{resourceCheckType, s}, decisionType),
		},
		"errored": {authzMember("decision_errored", []*cel.Type{decisionType}, cel.BoolType)},
		"error":   {authzMember("decision_error", []*cel.Type{decisionType}, cel.StringType)},
		"allowed": {authzMember("decision_allowed", []*cel.Type{decisionType}, cel.BoolType)},
		"reason":  {authzMember("decision_reason", []*cel.Type{decisionType}, cel.StringType)},
	}.envOptions()
}

func (authzLib) ProgramOptions() []cel.ProgramOption { return nil }

// authzSelectorsLib declares the kubernetes.authzSelectors library.
//
//	<ResourceCheck>.fieldSelector(string), labelSelector(string) ResourceCheck
type authzSelectorsLib struct{}

func (authzSelectorsLib) LibraryName() string { return "kubernetes.authzSelectors" }

func (authzSelectorsLib) CompileOptions() []cel.EnvOption {
	args := []*cel.Type{resourceCheckType, cel.StringType}
	return functionSet{
		"fieldSelector": {authzMember("authorizer_fieldselector", args, resourceCheckType)},
		"labelSelector": {authzMember("authorizer_labelselector", args, resourceCheckType)},
	}.envOptions()
}

func (authzSelectorsLib) ProgramOptions() []cel.ProgramOption { return nil }
