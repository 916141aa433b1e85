package claims

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	nest := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	cases := []struct {
		name    string
		in      string
		names   []string
		wantErr error
	}{
		{"empty object", `{}`, []string{}, nil},
		{"members in document order", `{"b":1,"a":[1,{"x":"}"}],"c":{"d":null}}`, []string{"b", "a", "c"}, nil},
		{"JSON whitespace around and inside", " \n\t{ \"a\" : true ,\r\"b\":\"x\" } \r\n", []string{"a", "b"}, nil},
		{"escaped names unescaped", `{"\u0061":1,"b\/c":2,"\ud83d\ude00":3}`, []string{"a", "b/c", "\U0001F600"}, nil},
		{"escaped quote in value", `{"a":"x\"y}","b":2}`, []string{"a", "b"}, nil},
		{"every literal and number form", `{"a":true,"b":false,"c":null,"d":-0,"e":1.5e+10,"f":0.1E-2,"g":123}`, []string{"a", "b", "c", "d", "e", "f", "g"}, nil},
		{"big numbers are not decoded", `{"a":1e400,"b":123456789012345678901234567890}`, []string{"a", "b"}, nil},
		{"nested duplicates are the value's business", `{"a":{"x":1,"x":2}}`, []string{"a"}, nil},
		{"case variants are different names", `{"tid":"a","TID":"b"}`, []string{"tid", "TID"}, nil},
		{"depth 64 accepted", `{"a":` + nest(63) + `}`, []string{"a"}, nil},
		{"multi-byte UTF-8", `{"name":"Zoë 日本"}`, []string{"name"}, nil},

		{"duplicate", `{"a":1,"a":2}`, nil, ErrDuplicateClaim},
		{"escaped duplicate", `{"exp":1,"e\u0078p":2}`, nil, ErrDuplicateClaim},
		{"duplicate after many members", `{"a":1,"b":1,"c":1,"d":1,"e":1,"f":1,"g":1,"h":1,"i":1,"j":1,"a":2}`, nil, ErrDuplicateClaim},
		{"solidus escape duplicate", `{"a/b":1,"a\/b":2}`, nil, ErrDuplicateClaim},

		{"empty input", ``, nil, ErrMalformed},
		{"whitespace only", " \n", nil, ErrMalformed},
		{"array", `[{"a":1}]`, nil, ErrMalformed},
		{"string", `"a"`, nil, ErrMalformed},
		{"number", `1`, nil, ErrMalformed},
		{"null", `null`, nil, ErrMalformed},
		{"trailing garbage", `{"a":1}x`, nil, ErrMalformed},
		{"two objects", `{"a":1}{"b":2}`, nil, ErrMalformed},
		{"trailing NUL", "{\"a\":1}\x00", nil, ErrMalformed},
		{"non-JSON whitespace", "{\"a\":1}\v", nil, ErrMalformed},
		{"BOM", "\xef\xbb\xbf{}", nil, ErrMalformed},
		{"truncated", `{"a":1`, nil, ErrMalformed},
		{"truncated string", `{"a":"x`, nil, ErrMalformed},
		{"trailing comma", `{"a":1,}`, nil, ErrMalformed},
		{"single quotes", `{'a':1}`, nil, ErrMalformed},
		{"comment", `{"a":1 /* c */}`, nil, ErrMalformed},
		{"NaN", `{"a":NaN}`, nil, ErrMalformed},
		{"Infinity", `{"a":-Infinity}`, nil, ErrMalformed},
		{"leading zero", `{"a":01}`, nil, ErrMalformed},
		{"bare minus", `{"a":-}`, nil, ErrMalformed},
		{"dot without digits", `{"a":1.}`, nil, ErrMalformed},
		{"exponent without digits", `{"a":1e+}`, nil, ErrMalformed},
		{"hex number", `{"a":0x10}`, nil, ErrMalformed},
		{"bad literal", `{"a":tru}`, nil, ErrMalformed},
		{"unquoted name", `{a:1}`, nil, ErrMalformed},
		{"missing colon", `{"a" 1}`, nil, ErrMalformed},
		{"control character in string", "{\"a\":\"x\ty\"}", nil, ErrMalformed},
		{"invalid escape", `{"a":"\x"}`, nil, ErrMalformed},
		{"short unicode escape", `{"a":"\u12"}`, nil, ErrMalformed},
		{"invalid UTF-8 in a value", "{\"a\":\"alice\xff\"}", nil, ErrMalformed},
		{"invalid UTF-8 in a name", "{\"\xc3\":1}", nil, ErrMalformed},
		{"UTF-8 encoded surrogate", "{\"a\":\"\xed\xa0\x80\"}", nil, ErrMalformed},
		{"overlong UTF-8", "{\"a\":\"\xc0\xaf\"}", nil, ErrMalformed},
		{"lone high surrogate escape", `{"a":"\ud800"}`, nil, ErrMalformed},
		{"lone low surrogate escape", `{"a":"\udc00x"}`, nil, ErrMalformed},
		{"high surrogate then non-surrogate", `{"a":"\ud800\u0041"}`, nil, ErrMalformed},
		{"lone surrogate in a name", `{"\ud800":1}`, nil, ErrMalformed},
		{"depth 65 rejected", `{"a":` + nest(64) + `}`, nil, ErrMalformed},
		{"objects count toward depth", `{"a":` + strings.Repeat(`{"b":`, 64) + `1` + strings.Repeat(`}`, 64) + `}`, nil, ErrMalformed},
		{"20000 levels rejected", `{"a":` + nest(20000) + `}`, nil, ErrMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse([]byte(tc.in))
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				require.Nil(t, s)
				// The other sentinel is not matched, and no input leaks.
				other := ErrMalformed
				if tc.wantErr == ErrMalformed {
					other = ErrDuplicateClaim
				}
				require.False(t, errors.Is(err, other))
				if len(tc.in) > 12 {
					require.NotContains(t, err.Error(), tc.in)
				}
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.names, s.Names())
			require.Equal(t, len(tc.names), s.Len())
			// Raw values are exactly what encoding/json sees for each member.
			var ref map[string]json.RawMessage
			require.NoError(t, json.Unmarshal([]byte(tc.in), &ref))
			require.Len(t, ref, s.Len())
			for _, n := range s.Names() {
				raw, ok := s.Raw(n)
				require.True(t, ok)
				require.True(t, s.Has(n))
				require.True(t, json.Valid(raw), "%s: %s", n, raw)
				require.Equal(t, string(ref[n]), string(raw))
			}
		})
	}
}

func TestParseErrorTextIsBounded(t *testing.T) {
	long := strings.Repeat("x", 1000)
	_, err := Parse([]byte(`{"` + long + `":1,"` + long + `":2}`))
	require.ErrorIs(t, err, ErrDuplicateClaim)
	require.Less(t, len(err.Error()), 100)
}

func TestRawIsCapped(t *testing.T) {
	s, err := Parse([]byte(`{"a":[1],"b":2}`))
	require.NoError(t, err)
	raw, _ := s.Raw("a")
	_ = append(raw, 'X') // must not overwrite the next member's bytes
	rawB, _ := s.Raw("b")
	require.Equal(t, "2", string(rawB))
	names := s.Names()
	_ = append(names, "c")
	require.Equal(t, 2, s.Len())
}

func TestFromMap(t *testing.T) {
	s, err := FromMap(map[string]any{"b": 1, "a": []string{"x"}, "c": nil})
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b", "c"}, s.Names())
	raw, ok := s.Raw("b")
	require.True(t, ok)
	require.Equal(t, "1", string(raw))
	require.True(t, s.Has("c"))

	// Enough members to switch to the index map.
	m := map[string]any{}
	for _, k := range strings.Split("k j i h g f e d c b a", " ") {
		m[k] = k
	}
	s, err = FromMap(m)
	require.NoError(t, err)
	require.Equal(t, strings.Split("a b c d e f g h i j k", " "), s.Names())
	v, err := s.String("j")
	require.NoError(t, err)
	require.Equal(t, "j", v)

	_, err = FromMap(map[string]any{"f": func() {}})
	require.Error(t, err)
	s, err = FromMap(nil)
	require.NoError(t, err)
	require.Zero(t, s.Len())
}

func TestReplace(t *testing.T) {
	for _, n := range []int{2, 20} { // below and above the index threshold
		m := map[string]any{}
		for i := range n {
			m[string(rune('a'+i))] = i
		}
		s, err := FromMap(m)
		require.NoError(t, err)

		src := json.RawMessage(`["g1","g2"]`)
		s.Replace("groups", src)
		src[2] = 'X' // Replace copied its argument
		got, err := s.Strings("groups")
		require.NoError(t, err)
		require.Equal(t, []string{"g1", "g2"}, got)
		require.Equal(t, "groups", s.Names()[s.Len()-1])
		require.Equal(t, n+1, s.Len())

		s.Replace("a", json.RawMessage(`"now a string"`))
		require.Equal(t, n+1, s.Len())
		v, err := s.String("a")
		require.NoError(t, err)
		require.Equal(t, "now a string", v)
		require.Equal(t, "a", s.Names()[0])
	}
}
