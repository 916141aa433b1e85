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

// ipType is the CEL type of ip() values; upstream registers it with the type
// provider, so `type(ip("::1")) == net.IP` type-checks.
var ipType = cel.OpaqueType("net.IP")

// ipVal is the CEL value of an IP address.
type ipVal struct {
	netip.Addr
}

func (v ipVal) ConvertToNative(typeDesc reflect.Type) (any, error) {
	if reflect.TypeOf(v.Addr).AssignableTo(typeDesc) {
		return v.Addr, nil
	}
	if reflect.TypeOf("").AssignableTo(typeDesc) {
		return v.Addr.String(), nil
	}
	return nil, fmt.Errorf("type conversion error from 'IP' to '%v'", typeDesc)
}

func (v ipVal) ConvertToType(typeVal ref.Type) ref.Val {
	switch typeVal {
	case ipType:
		return v
	case types.TypeType:
		return ipType
	case types.StringType:
		return types.String(v.Addr.String())
	}
	return types.NewErr("type conversion error from '%s' to '%s'", ipType, typeVal)
}

func (v ipVal) Equal(other ref.Val) ref.Val {
	o, ok := other.(ipVal)
	if !ok {
		return types.ValOrErr(other, "no such overload")
	}
	return types.Bool(v.Addr == o.Addr)
}

func (v ipVal) Type() ref.Type { return ipType }

func (v ipVal) Value() any { return v.Addr }

// Size is the address length in bytes; runtime cost tracking uses it.
func (v ipVal) Size() ref.Val {
	return types.Int(int(math.Ceil(float64(v.Addr.BitLen()) / 8)))
}

// ipLib mirrors the kubernetes.net.ip library.
//
//	ip(<string>) net.IP, isIP(<string>) bool, ip.isCanonical(<string>) bool
//	<net.IP>.family() int
//	<net.IP>.isUnspecified(), isLoopback(), isLinkLocalMulticast(),
//	         isLinkLocalUnicast(), isGlobalUnicast() bool
//	string(<net.IP>) string
type ipLib struct{}

func (ipLib) LibraryName() string { return "kubernetes.net.ip" }

func (ipLib) CompileOptions() []cel.EnvOption {
	pred := func(id string, test func(netip.Addr) bool) cel.FunctionOpt {
		return cel.MemberOverload(id, []*cel.Type{ipType}, cel.BoolType,
			cel.UnaryBinding(func(arg ref.Val) ref.Val {
				ip, ok := arg.(ipVal)
				if !ok {
					return types.MaybeNoSuchOverloadErr(arg)
				}
				return types.Bool(test(ip.Addr))
			}))
	}
	fs := functionSet{
		"ip": {cel.Overload("string_to_ip", []*cel.Type{cel.StringType}, ipType,
			cel.UnaryBinding(stringToIP))},
		"family": {cel.MemberOverload("ip_family", []*cel.Type{ipType}, cel.IntType,
			cel.UnaryBinding(ipFamily))},
		"ip.isCanonical": {cel.Overload("ip_is_canonical", []*cel.Type{cel.StringType}, cel.BoolType,
			cel.UnaryBinding(ipIsCanonical))},
		"isUnspecified":        {pred("ip_is_unspecified", netip.Addr.IsUnspecified)},
		"isLoopback":           {pred("ip_is_loopback", netip.Addr.IsLoopback)},
		"isLinkLocalMulticast": {pred("ip_is_link_local_multicast", netip.Addr.IsLinkLocalMulticast)},
		"isLinkLocalUnicast":   {pred("ip_is_link_local_unicast", netip.Addr.IsLinkLocalUnicast)},
		"isGlobalUnicast":      {pred("ip_is_global_unicast", netip.Addr.IsGlobalUnicast)},
		"isIP": {cel.Overload("is_ip", []*cel.Type{cel.StringType}, cel.BoolType,
			cel.UnaryBinding(isIP))},
		"string": {cel.Overload("ip_to_string", []*cel.Type{ipType}, cel.StringType,
			cel.UnaryBinding(ipToString))},
	}
	return append([]cel.EnvOption{cel.Types(ipType)}, fs.envOptions()...)
}

func (ipLib) ProgramOptions() []cel.ProgramOption { return nil }

// parseIP accepts what netip.ParseAddr accepts, except addresses with a zone
// and IPv4-mapped IPv6 addresses.
func parseIP(raw string) (netip.Addr, error) {
	addr, err := netip.ParseAddr(raw)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("IP Address %q parse error during conversion from string: %v", raw, err)
	}
	if addr.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("IP address %q with zone value is not allowed", raw)
	}
	if addr.Is4In6() {
		return netip.Addr{}, fmt.Errorf("IPv4-mapped IPv6 address %q is not allowed", raw)
	}
	return addr, nil
}

func stringToIP(arg ref.Val) ref.Val {
	s, ok := arg.Value().(string)
	if !ok {
		return types.MaybeNoSuchOverloadErr(arg)
	}
	addr, err := parseIP(s)
	if err != nil {
		return types.NewErr("%v", err)
	}
	return ipVal{Addr: addr}
}

func ipToString(arg ref.Val) ref.Val {
	ip, ok := arg.(ipVal)
	if !ok {
		return types.MaybeNoSuchOverloadErr(arg)
	}
	return types.String(ip.Addr.String())
}

func ipFamily(arg ref.Val) ref.Val {
	ip, ok := arg.(ipVal)
	if !ok {
		return types.MaybeNoSuchOverloadErr(arg)
	}
	switch {
	case ip.Addr.Is4():
		return types.Int(4)
	case ip.Addr.Is6():
		return types.Int(6)
	}
	return types.NewErr("IP address %q is not an IPv4 or IPv6 address", ip.Addr.String())
}

// ipIsCanonical reports whether the string is already in netip's canonical
// text form; invalid addresses are an error, not false.
func ipIsCanonical(arg ref.Val) ref.Val {
	s, ok := arg.Value().(string)
	if !ok {
		return types.MaybeNoSuchOverloadErr(arg)
	}
	addr, err := parseIP(s)
	if err != nil {
		return types.NewErr("%v", err)
	}
	return types.Bool(addr.String() == s)
}

func isIP(arg ref.Val) ref.Val {
	s, ok := arg.Value().(string)
	if !ok {
		return types.MaybeNoSuchOverloadErr(arg)
	}
	_, err := parseIP(s)
	return types.Bool(err == nil)
}
