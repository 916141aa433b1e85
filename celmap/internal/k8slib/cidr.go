package k8slib

import (
	"fmt"
	"math"
	"net/netip"
	"reflect"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
)

// cidrType is the CEL type of cidr() values; registered like upstream.
var cidrType = cel.OpaqueType("net.CIDR")

// cidrVal is the CEL value of a network prefix. The address is kept as
// written (not masked); masked() masks it.
type cidrVal struct {
	netip.Prefix
}

func (v cidrVal) ConvertToNative(typeDesc reflect.Type) (any, error) {
	if reflect.TypeOf(v.Prefix).AssignableTo(typeDesc) {
		return v.Prefix, nil
	}
	if reflect.TypeOf("").AssignableTo(typeDesc) {
		return v.Prefix.String(), nil
	}
	return nil, fmt.Errorf("type conversion error from 'CIDR' to '%v'", typeDesc)
}

func (v cidrVal) ConvertToType(typeVal ref.Type) ref.Val {
	switch typeVal {
	case cidrType:
		return v
	case types.TypeType:
		return cidrType
	case types.StringType:
		return types.String(v.Prefix.String())
	}
	return types.NewErr("type conversion error from '%s' to '%s'", cidrType, typeVal)
}

func (v cidrVal) Equal(other ref.Val) ref.Val {
	o, ok := other.(cidrVal)
	if !ok {
		return types.ValOrErr(other, "no such overload")
	}
	return types.Bool(v.Prefix == o.Prefix)
}

func (v cidrVal) Type() ref.Type { return cidrType }

func (v cidrVal) Value() any { return v.Prefix }

// Size is the prefix length in whole bytes; runtime cost tracking uses it.
func (v cidrVal) Size() ref.Val {
	return types.Int(int(math.Ceil(float64(v.Prefix.Bits()) / 8)))
}

// cidrLib mirrors the kubernetes.net.cidr library.
//
//	cidr(<string>) net.CIDR, isCIDR(<string>) bool
//	<net.CIDR>.containsIP(<string> | <net.IP>) bool
//	<net.CIDR>.containsCIDR(<string> | <net.CIDR>) bool
//	<net.CIDR>.ip() net.IP, masked() net.CIDR, prefixLength() int
//	string(<net.CIDR>) string
type cidrLib struct{}

func (cidrLib) LibraryName() string { return "kubernetes.net.cidr" }

func (cidrLib) CompileOptions() []cel.EnvOption {
	fs := functionSet{
		"cidr": {cel.Overload("string_to_cidr", []*cel.Type{cel.StringType}, cidrType,
			cel.UnaryBinding(stringToCIDR))},
		"containsIP": {
			cel.MemberOverload("cidr_contains_ip_string", []*cel.Type{cidrType, cel.StringType}, cel.BoolType,
				cel.BinaryBinding(func(c, s ref.Val) ref.Val { return cidrContainsIP(c, stringToIP(s)) })),
			cel.MemberOverload("cidr_contains_ip_ip", []*cel.Type{cidrType, ipType}, cel.BoolType,
				cel.BinaryBinding(cidrContainsIP)),
		},
		"containsCIDR": {
			cel.MemberOverload("cidr_contains_cidr_string", []*cel.Type{cidrType, cel.StringType}, cel.BoolType,
				cel.BinaryBinding(func(c, s ref.Val) ref.Val { return cidrContainsCIDR(c, stringToCIDR(s)) })),
			cel.MemberOverload("cidr_contains_cidr", []*cel.Type{cidrType, cidrType}, cel.BoolType,
				cel.BinaryBinding(cidrContainsCIDR)),
		},
		"ip": {cel.MemberOverload("cidr_ip", []*cel.Type{cidrType}, ipType,
			cel.UnaryBinding(cidrIP))},
		"prefixLength": {cel.MemberOverload("cidr_prefix_length", []*cel.Type{cidrType}, cel.IntType,
			cel.UnaryBinding(cidrPrefixLength))},
		"masked": {cel.MemberOverload("cidr_masked", []*cel.Type{cidrType}, cidrType,
			cel.UnaryBinding(cidrMasked))},
		"isCIDR": {cel.Overload("is_cidr", []*cel.Type{cel.StringType}, cel.BoolType,
			cel.UnaryBinding(isCIDR))},
		"string": {cel.Overload("cidr_to_string", []*cel.Type{cidrType}, cel.StringType,
			cel.UnaryBinding(cidrToString))},
	}
	return append([]cel.EnvOption{cel.Types(cidrType)}, fs.envOptions()...)
}

func (cidrLib) ProgramOptions() []cel.ProgramOption { return nil }

// parseCIDR accepts what netip.ParsePrefix accepts (which already rejects
// zones), except IPv4-mapped IPv6 addresses.
func parseCIDR(raw string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(raw)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("network address parse error during conversion from string: %v", err)
	}
	if p.Addr().Is4In6() {
		return netip.Prefix{}, fmt.Errorf("IPv4-mapped IPv6 address %q is not allowed", raw)
	}
	return p, nil
}

func stringToCIDR(arg ref.Val) ref.Val {
	s, ok := arg.Value().(string)
	if !ok {
		return types.MaybeNoSuchOverloadErr(arg)
	}
	p, err := parseCIDR(s)
	if err != nil {
		// Upstream prefixes the message a second time here; keep it identical.
		return types.NewErr("network address parse error during conversion from string: %v", err)
	}
	return cidrVal{Prefix: p}
}

func cidrToString(arg ref.Val) ref.Val {
	c, ok := arg.(cidrVal)
	if !ok {
		return types.MaybeNoSuchOverloadErr(arg)
	}
	return types.String(c.Prefix.String())
}

// cidrContainsIP is also reached with an error value as ip when the string
// overload failed to parse. Like upstream, that case reports "no such
// overload" (the receiver is passed to MaybeNoSuchOverloadErr), whereas
// cidrContainsCIDR returns the parse error.
func cidrContainsIP(cidr, ip ref.Val) ref.Val {
	c, ok := cidr.(cidrVal)
	if !ok {
		return types.MaybeNoSuchOverloadErr(ip)
	}
	a, ok := ip.(ipVal)
	if !ok {
		return types.MaybeNoSuchOverloadErr(cidr)
	}
	return types.Bool(c.Contains(a.Addr))
}

func cidrContainsCIDR(cidr, other ref.Val) ref.Val {
	c, ok := cidr.(cidrVal)
	if !ok {
		return types.MaybeNoSuchOverloadErr(cidr)
	}
	o, ok := other.(cidrVal)
	if !ok {
		return types.MaybeNoSuchOverloadErr(other)
	}
	return types.Bool(c.Overlaps(o.Prefix) && c.Prefix.Bits() <= o.Prefix.Bits())
}

func cidrIP(arg ref.Val) ref.Val {
	c, ok := arg.(cidrVal)
	if !ok {
		return types.MaybeNoSuchOverloadErr(arg)
	}
	return ipVal{Addr: c.Prefix.Addr()}
}

func cidrPrefixLength(arg ref.Val) ref.Val {
	c, ok := arg.(cidrVal)
	if !ok {
		return types.MaybeNoSuchOverloadErr(arg)
	}
	return types.Int(c.Prefix.Bits())
}

func cidrMasked(arg ref.Val) ref.Val {
	c, ok := arg.(cidrVal)
	if !ok {
		return types.MaybeNoSuchOverloadErr(arg)
	}
	return cidrVal{Prefix: c.Prefix.Masked()}
}

func isCIDR(arg ref.Val) ref.Val {
	s, ok := arg.Value().(string)
	if !ok {
		return types.MaybeNoSuchOverloadErr(arg)
	}
	_, err := parseCIDR(s)
	return types.Bool(err == nil)
}
