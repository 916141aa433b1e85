package celmap

import (
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
)

// reservedWords are the CEL lexer's reserved symbols. A claim or extra key
// spelled exactly like one of them can only be selected in its escaped form
// __<word>__ (for example claims.__namespace__), because the parser rejects
// the bare word after a dot.
var reservedWords = map[string]bool{
	"true": true, "false": true, "null": true, "in": true,
	"as": true, "break": true, "const": true, "continue": true, "else": true,
	"for": true, "function": true, "if": true, "import": true, "let": true,
	"loop": true, "package": true, "namespace": true, "return": true,
	"var": true, "void": true, "while": true,
}

// Unescape turns a CEL field name written with Kubernetes escape sequences
// back into the map key it stands for:
//
//	__dot__ -> .    __dash__ -> -    __slash__ -> /    __underscores__ -> __
//	__<reserved word>__ -> <reserved word> (only when it is the whole name)
//
// Every "__x__" run (two underscores, one or more non-underscore bytes, two
// underscores; runs are found left to right and do not overlap) must be one
// of these, otherwise ok is false. Names without any such run come back
// unchanged. This is the rule kube-apiserver applies to every field
// selection and index on claims and on user.extra, which is why a claim
// literally named "a__dash__b" can never be read: the lookup is always for
// "a-b".
func Unescape(escaped string) (name string, ok bool) {
	var out []byte // allocated on the first escape sequence only
	ok = true
	last := 0 // start of the not yet copied tail of escaped
	for i := 0; i+1 < len(escaped); {
		end := escapeRunEnd(escaped, i)
		if end < 0 {
			i++
			continue
		}
		word := escaped[i+2 : end-2]
		var repl string
		switch word {
		case "underscores":
			repl = "__"
		case "dot":
			repl = "."
		case "dash":
			repl = "-"
		case "slash":
			repl = "/"
		default:
			// A reserved word is only an escape when it is the entire name;
			// "__in__x" is rejected rather than read as "inx".
			if !reservedWords[word] || end-i != len(escaped) {
				ok = false
			}
			repl = word
		}
		out = append(out, escaped[last:i]...)
		out = append(out, repl...)
		last, i = end, end
	}
	if !ok {
		return "", false
	}
	if out == nil {
		return escaped, true
	}
	return string(append(out, escaped[last:]...)), true
}

// escapeRunEnd reports whether an escape run "__x__" starts at s[i] and,
// if so, returns the index just past it; otherwise -1. The middle part is
// the maximal run of non-underscore bytes, so there is at most one
// candidate per start position. Multi-byte UTF-8 sequences never contain
// the byte '_', so scanning bytes is the same as scanning runes.
func escapeRunEnd(s string, i int) int {
	if s[i] != '_' || s[i+1] != '_' {
		return -1
	}
	j := i + 2
	for j < len(s) && s[j] != '_' {
		j++
	}
	if j == i+2 || j+1 >= len(s) || s[j+1] != '_' {
		return -1
	}
	return j + 2
}

// unescapedKey returns the unescaped form of a string key when unescaping
// succeeds and changes it. In nested maps a key with an invalid escape
// sequence is looked up as written (unlike at the top level of claims,
// where it is simply missing).
func unescapedKey(key ref.Val) (ref.Val, bool) {
	s, isString := key.(types.String)
	if !isString {
		return nil, false
	}
	name, ok := Unescape(string(s))
	if !ok || name == string(s) {
		return nil, false
	}
	return types.String(name), true
}

// unescapingMap is a JSON object (or user.extra) whose key lookups go
// through Unescape. Only Find is overridden: the interpreter resolves both
// m.f and m['k'] through Find, while `in`, size() and iteration see the
// plain keys, exactly as in kube-apiserver.
type unescapingMap struct {
	traits.Mapper
}

func (m *unescapingMap) Find(key ref.Val) (ref.Val, bool) {
	if name, changed := unescapedKey(key); changed {
		key = name
	}
	v, found := m.Mapper.Find(key)
	return withUnescaping(v), found
}

// unescapingList is a JSON array whose indexed elements keep the
// unescaping behaviour. Elements reached by iteration (map, all, …) come
// from the inner list's iterator and are not wrapped, as upstream.
type unescapingList struct {
	traits.Lister
}

func (l *unescapingList) Get(index ref.Val) ref.Val {
	return withUnescaping(l.Lister.Get(index))
}

// withUnescaping wraps maps and lists so that nested field selection
// unescapes names; other values (and nil) pass through.
func withUnescaping(v ref.Val) ref.Val {
	switch v := v.(type) {
	case traits.Mapper:
		return &unescapingMap{Mapper: v}
	case traits.Lister:
		return &unescapingList{Lister: v}
	default:
		return v
	}
}

// nativeWithUnescaping converts a decoded JSON value or a user field with
// cel-go's default adapter and adds the unescaping wrappers.
func nativeWithUnescaping(v any) ref.Val {
	return withUnescaping(types.DefaultTypeAdapter.NativeToValue(v))
}
