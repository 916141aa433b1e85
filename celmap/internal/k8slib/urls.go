package k8slib

import (
	"fmt"
	"net/url"
	"reflect"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
)

// urlType is the CEL type of url() values. Like upstream it is an object
// type that is not registered with the type provider.
var urlType = cel.ObjectType("kubernetes.URL")

// urlVal is the CEL value of a parsed URL.
type urlVal struct {
	*url.URL
}

func (u urlVal) ConvertToNative(typeDesc reflect.Type) (any, error) {
	if reflect.TypeOf(u.URL).AssignableTo(typeDesc) {
		return u.URL, nil
	}
	if reflect.TypeOf("").AssignableTo(typeDesc) {
		return u.URL.String(), nil
	}
	return nil, fmt.Errorf("type conversion error from 'URL' to '%v'", typeDesc)
}

func (u urlVal) ConvertToType(typeVal ref.Type) ref.Val {
	switch typeVal {
	case urlType:
		return u
	case types.TypeType:
		return urlType
	}
	return types.NewErr("type conversion error from '%s' to '%s'", urlType, typeVal)
}

// Equal compares the string forms of two URLs.
func (u urlVal) Equal(other ref.Val) ref.Val {
	o, ok := other.(urlVal)
	if !ok {
		return types.MaybeNoSuchOverloadErr(other)
	}
	return types.Bool(u.URL.String() == o.URL.String())
}

func (u urlVal) Type() ref.Type { return urlType }

func (u urlVal) Value() any { return u.URL }

// urlsLib mirrors the kubernetes.urls library.
//
//	url(<string>) URL        requires an absolute URI or absolute path
//	isURL(<string>) bool
//	<URL>.getScheme(), getHost(), getHostname(), getPort(), getEscapedPath() string
//	<URL>.getQuery() map<string, list<string>>
type urlsLib struct{}

func (urlsLib) LibraryName() string { return "kubernetes.urls" }

func (urlsLib) CompileOptions() []cel.EnvOption {
	accessor := func(id string, get func(*url.URL) string) cel.FunctionOpt {
		return cel.MemberOverload(id, []*cel.Type{urlType}, cel.StringType,
			cel.UnaryBinding(func(arg ref.Val) ref.Val {
				u, ok := arg.Value().(*url.URL)
				if !ok {
					return types.MaybeNoSuchOverloadErr(arg)
				}
				return types.String(get(u))
			}))
	}
	return functionSet{
		"url": {cel.Overload("string_to_url", []*cel.Type{cel.StringType}, urlType,
			cel.UnaryBinding(stringToURL))},
		"getScheme":      {accessor("url_get_scheme", func(u *url.URL) string { return u.Scheme })},
		"getHost":        {accessor("url_get_host", func(u *url.URL) string { return u.Host })},
		"getHostname":    {accessor("url_get_hostname", (*url.URL).Hostname)},
		"getPort":        {accessor("url_get_port", (*url.URL).Port)},
		"getEscapedPath": {accessor("url_get_escaped_path", (*url.URL).EscapedPath)},
		"getQuery": {cel.MemberOverload("url_get_query", []*cel.Type{urlType},
			cel.MapType(cel.StringType, cel.ListType(cel.StringType)), cel.UnaryBinding(urlQuery))},
		"isURL": {cel.Overload("is_url_string", []*cel.Type{cel.StringType}, cel.BoolType,
			cel.UnaryBinding(isURL))},
	}.envOptions()
}

func (urlsLib) ProgramOptions() []cel.ProgramOption { return nil }

func stringToURL(arg ref.Val) ref.Val {
	s, ok := arg.Value().(string)
	if !ok {
		return types.MaybeNoSuchOverloadErr(arg)
	}
	// ParseRequestURI is the acceptance test (absolute URI or absolute path,
	// as for the OpenAPI "uri" format) ...
	if _, err := url.ParseRequestURI(s); err != nil {
		return types.NewErr("URL parse error during conversion from string: %v", err)
	}
	// ... but url.Parse gives the right components when a fragment is present.
	u, err := url.Parse(s)
	if err != nil {
		return types.NewErr("URL parse error during conversion from string: %v", err)
	}
	return urlVal{URL: u}
}

func urlQuery(arg ref.Val) ref.Val {
	u, ok := arg.Value().(*url.URL)
	if !ok {
		return types.MaybeNoSuchOverloadErr(arg)
	}
	m := map[ref.Val]ref.Val{}
	for k, v := range u.Query() {
		m[types.String(k)] = types.NewStringList(types.DefaultTypeAdapter, v)
	}
	return types.NewRefValMap(types.DefaultTypeAdapter, m)
}

func isURL(arg ref.Val) ref.Val {
	s, ok := arg.Value().(string)
	if !ok {
		return types.MaybeNoSuchOverloadErr(arg)
	}
	_, err := url.ParseRequestURI(s)
	return types.Bool(err == nil)
}
