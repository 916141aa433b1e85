package celmap

import (
	"fmt"
	"reflect"

	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
)

// The runtime types of the two top-level variables. Like kube-apiserver's
// lazy map values, they are object types that only carry the indexer,
// field-tester and iterable traits. That is the source of the documented
// quirks: without the sizer and container traits, claims.size() and
// 'k' in claims find no runtime overload even though both type-check
// against map(string, any).
var (
	// types.NewObjectType always adds the indexer and field-tester traits.
	claimsObjectType = types.NewObjectType("kubernetes.claims", traits.IterableType)
	userObjectType   = types.NewObjectType(userTypeName, traits.IterableType)
)

// fieldSource supplies the fields of a lazyObject.
type fieldSource interface {
	// fieldNames lists every field, in iteration order, without duplicates.
	fieldNames() []string
	// hasField reports whether name is a field.
	hasField(name string) bool
	// loadField produces the CEL value of an existing field. It is called
	// at most once per field; the result (an error value included) is kept.
	loadField(name string) ref.Val
}

// lazyObject is the CEL value bound to `claims` or `user`: a map-like
// object whose fields are converted on first access and then cached.
// It reproduces kube-apiserver's lazy.MapValue, including behaviour that
// looks accidental but is observable from expressions:
//
//   - every key is unescaped before lookup, and a key with an invalid
//     escape sequence is missing;
//   - iteration yields field values, not names (each name goes through
//     the same unescaping lookup, so an escaped-looking name yields an
//     error value);
//   - equality is identity, conversions other than to its own type fail.
//
// A lazyObject is not safe for concurrent use; one is built per token.
type lazyObject struct {
	typ    *types.Type
	src    fieldSource
	loaded map[string]ref.Val
}

var (
	_ ref.Val       = (*lazyObject)(nil)
	_ traits.Mapper = (*lazyObject)(nil)
)

func newLazyObject(typ *types.Type, src fieldSource) *lazyObject {
	return &lazyObject{typ: typ, src: src}
}

func (o *lazyObject) Type() ref.Type { return o.typ }

// Value has no native form; upstream returns a no-such-overload error
// value here, and so do we.
func (o *lazyObject) Value() any { return types.NoSuchOverloadErr() }

func (o *lazyObject) ConvertToNative(typeDesc reflect.Type) (any, error) {
	return nil, fmt.Errorf("disallowed conversion from %q to %q", o.typ.TypeName(), typeDesc.Name())
}

func (o *lazyObject) ConvertToType(t ref.Type) ref.Val {
	switch t {
	case o.typ:
		return o
	case types.TypeType:
		return o.typ
	}
	return types.NewErr("disallowed conversion from %q to %q", o.typ.TypeName(), t.TypeName())
}

func (o *lazyObject) Equal(other ref.Val) ref.Val {
	oo, ok := other.(*lazyObject)
	if !ok {
		return types.MaybeNoSuchOverloadErr(other)
	}
	return types.Bool(o == oo)
}

// Size counts the fields. It is not reachable from CEL (the runtime type
// lacks the sizer trait) but completes traits.Mapper.
func (o *lazyObject) Size() ref.Val { return types.Int(len(o.src.fieldNames())) }

func (o *lazyObject) Contains(key ref.Val) ref.Val {
	v, found := o.Find(key)
	if v != nil && types.IsUnknownOrError(v) {
		return v
	}
	return types.Bool(found)
}

func (o *lazyObject) Find(key ref.Val) (ref.Val, bool) {
	s, ok := key.(types.String)
	if !ok {
		return types.NewErr("no such overload"), true
	}
	name, ok := Unescape(string(s))
	if !ok || !o.src.hasField(name) {
		return nil, false
	}
	if v, seen := o.loaded[name]; seen {
		return v, true
	}
	v := o.src.loadField(name)
	if o.loaded == nil {
		o.loaded = make(map[string]ref.Val, 4)
	}
	o.loaded[name] = v
	return v, true
}

func (o *lazyObject) Get(key ref.Val) ref.Val {
	if v, found := o.Find(key); found {
		return v
	}
	return types.ValOrErr(key, "no such key: %v", key)
}

func (o *lazyObject) Iterator() traits.Iterator {
	return &lazyIterator{obj: o, names: o.src.fieldNames()}
}

// lazyIterator walks a lazyObject's fields and, like upstream, returns
// each field's value rather than its name.
type lazyIterator struct {
	obj   *lazyObject
	names []string
	next  int
}

func (it *lazyIterator) Type() ref.Type { return types.IteratorType }
func (it *lazyIterator) Value() any     { return nil }

func (it *lazyIterator) ConvertToNative(typeDesc reflect.Type) (any, error) {
	return nil, fmt.Errorf("disallowed conversion to %q", typeDesc.Name())
}

func (it *lazyIterator) ConvertToType(t ref.Type) ref.Val {
	return types.NewErr("disallowed conversion to %q", t.TypeName())
}

func (it *lazyIterator) Equal(other ref.Val) ref.Val {
	oi, ok := other.(*lazyIterator)
	if !ok {
		return types.MaybeNoSuchOverloadErr(other)
	}
	return types.Bool(oi == it)
}

func (it *lazyIterator) HasNext() ref.Val { return types.Bool(it.next < len(it.names)) }

func (it *lazyIterator) Next() ref.Val {
	if it.next >= len(it.names) {
		return nil
	}
	name := it.names[it.next]
	it.next++
	return it.obj.Get(types.String(name))
}
