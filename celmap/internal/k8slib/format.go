package k8slib

import (
	"fmt"
	"net/url"
	"reflect"
	"sort"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
)

// formatType is the CEL type of named formats; an unregistered object type
// like upstream.
var formatType = cel.ObjectType("kubernetes.NamedFormat")

// formatVal is a named string format with its validator.
type formatVal struct {
	name     string
	validate func(string) []string
	// maxRegexSize is the (estimated) size of an equivalent regex, used to
	// price validate() at runtime.
	maxRegexSize int
}

func (f formatVal) ConvertToNative(typeDesc reflect.Type) (any, error) {
	return nil, fmt.Errorf("type conversion error from 'Format' to '%v'", typeDesc)
}

func (f formatVal) ConvertToType(typeVal ref.Type) ref.Val {
	switch typeVal {
	case formatType:
		return f
	case types.TypeType:
		return formatType
	}
	return types.NewErr("type conversion error from '%s' to '%s'", formatType, typeVal)
}

// Equal compares formats by name.
func (f formatVal) Equal(other ref.Val) ref.Val {
	o, ok := other.(formatVal)
	if !ok {
		return types.MaybeNoSuchOverloadErr(other)
	}
	return types.Bool(f.name == o.name)
}

func (f formatVal) Type() ref.Type { return formatType }

func (f formatVal) Value() any { return f }

// Regex size estimates upstream uses for formats not implemented by a regex.
const (
	base64RegexSize = 84   // govalidator's base64 regex
	urlRegexSize    = 1103 // govalidator's URL regex
)

// namedFormats are the formats reachable as format.<key>() and
// format.named("<key>").
var namedFormats = map[string]formatVal{
	"dns1123Label": {"DNS1123Label", isDNS1123Label, 30},
	"dns1123Subdomain": {"DNS1123Subdomain",
		func(s string) []string { return isDNS1123Subdomain(s, false) }, 60},
	"dns1035Label":  {"DNS1035Label", isDNS1035Label, 30},
	"qualifiedName": {"QualifiedName", isQualifiedName, 60},
	"dns1123LabelPrefix": {"DNS1123LabelPrefix",
		func(s string) []string { return isDNS1123Label(maskTrailingDash(s)) }, 30},
	"dns1123SubdomainPrefix": {"DNS1123SubdomainPrefix",
		func(s string) []string { return isDNS1123Subdomain(maskTrailingDash(s), false) }, 60},
	"dns1035LabelPrefix": {"DNS1035LabelPrefix",
		func(s string) []string { return isDNS1035Label(maskTrailingDash(s)) }, 30},
	"labelValue": {"LabelValue", isLabelValue, 40},
	"uri": {"URI", func(s string) []string {
		if _, err := url.ParseRequestURI(s); err != nil {
			return []string{err.Error()}
		}
		return nil
	}, urlRegexSize},
	"uuid":     {"uuid", boolValidator(isUUID, "does not match the UUID format"), len(uuidPattern)},
	"byte":     {"byte", boolValidator(isBase64, "invalid base64"), base64RegexSize},
	"date":     {"date", boolValidator(isDate, "invalid date"), len(dateTimePattern)},
	"datetime": {"datetime", boolValidator(isDateTime, "invalid datetime"), len(dateTimePattern)},
}

func boolValidator(ok func(string) bool, msg string) func(string) []string {
	return func(s string) []string {
		if ok(s) {
			return nil
		}
		return []string{msg}
	}
}

// formatLib mirrors the kubernetes.format library.
//
//	format.named(<string>) optional<NamedFormat>
//	format.dns1123Label() NamedFormat, and likewise for every named format
//	<NamedFormat>.validate(<string>) optional<list<string>>   none when valid
type formatLib struct{}

func (formatLib) LibraryName() string { return "kubernetes.format" }

func (formatLib) CompileOptions() []cel.EnvOption {
	fs := functionSet{
		"validate": {cel.MemberOverload("format-validate", []*cel.Type{formatType, cel.StringType},
			cel.OptionalType(cel.ListType(cel.StringType)), cel.BinaryBinding(formatValidate))},
		"format.named": {cel.Overload("format-named", []*cel.Type{cel.StringType},
			cel.OptionalType(formatType), cel.UnaryBinding(formatNamed))},
	}
	keys := make([]string, 0, len(namedFormats))
	for k := range namedFormats {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		f := namedFormats[k]
		name := "format." + k
		fs[name] = []cel.FunctionOpt{cel.Overload(name, []*cel.Type{}, formatType,
			cel.FunctionBinding(func(...ref.Val) ref.Val { return f }))}
	}
	return fs.envOptions()
}

func (formatLib) ProgramOptions() []cel.ProgramOption { return nil }

func formatNamed(arg ref.Val) ref.Val {
	name, ok := arg.Value().(string)
	if !ok {
		return types.MaybeNoSuchOverloadErr(arg)
	}
	f, ok := namedFormats[name]
	if !ok {
		return types.OptionalNone
	}
	return types.OptionalOf(f)
}

func formatValidate(fmtArg, strArg ref.Val) ref.Val {
	f, ok := fmtArg.Value().(formatVal)
	if !ok {
		return types.MaybeNoSuchOverloadErr(fmtArg)
	}
	s, ok := strArg.Value().(string)
	if !ok {
		return types.MaybeNoSuchOverloadErr(strArg)
	}
	errs := f.validate(s)
	if len(errs) == 0 {
		return types.OptionalNone
	}
	return types.OptionalOf(types.NewStringList(types.DefaultTypeAdapter, errs))
}
