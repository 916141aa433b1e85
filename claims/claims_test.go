package claims

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	cases := []struct {
		name    string
		in      string
		names   []string
		wantErr error
	}{
		{"empty object", `{}`, nil, nil},
		{"members in order", `{"b":1,"a":[1,{"x":"}"}],"c":{"d":null}}`, []string{"b", "a", "c"}, nil},
		{"whitespace", " \n{ \"a\" : true ,\t\"b\":\"x\" } \r\n", []string{"a", "b"}, nil},
		{"duplicate", `{"a":1,"a":2}`, nil, ErrDuplicateClaim},
		{"escaped duplicate", `{"exp":1,"e\u0078p":2}`, nil, ErrDuplicateClaim},
		{"nested duplicate is the value's business", `{"a":{"x":1,"x":2}}`, []string{"a"}, nil},
		{"array", `[1]`, nil, ErrMalformed},
		{"string", `"a"`, nil, ErrMalformed},
		{"trailing garbage", `{"a":1}x`, nil, ErrMalformed},
		{"two objects", `{"a":1}{"b":2}`, nil, ErrMalformed},
		{"truncated", `{"a":1`, nil, ErrMalformed},
		{"invalid utf8", "{\"a\":\"\xff\"}", nil, ErrMalformed},
		{"empty", ``, nil, ErrMalformed},
		{"too deep", `{"a":` + strings.Repeat("[", 64) + strings.Repeat("]", 64) + `}`, nil, ErrMalformed},
		{"deep but fine", `{"a":` + strings.Repeat("[", 62) + strings.Repeat("]", 62) + `}`, []string{"a"}, nil},
		{"escaped quote in value", `{"a":"x\"y","b":2}`, []string{"a", "b"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse([]byte(tc.in))
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.names, s.Names())
			for _, n := range s.Names() {
				raw, ok := s.Raw(n)
				require.True(t, ok)
				require.True(t, json.Valid(raw), "%s: %s", n, raw)
			}
		})
	}
}

func TestAccessors(t *testing.T) {
	s, err := Parse([]byte(`{"s":"x","n":1.5,"ns":"1700000000","b":true,"arr":["a","b"],"one":"g","bad":[1],"nul":null,"big":1e300,"neg":-5}`))
	require.NoError(t, err)

	v, err := s.String("s")
	require.NoError(t, err)
	require.Equal(t, "x", v)
	_, err = s.String("n")
	require.Error(t, err)
	_, err = s.String("missing")
	require.ErrorIs(t, err, ErrNotPresent)

	b, err := s.Bool("b")
	require.NoError(t, err)
	require.True(t, b)
	_, err = s.Bool("s")
	require.Error(t, err)

	l, err := s.Strings("arr")
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b"}, l)
	l, err = s.Strings("one")
	require.NoError(t, err)
	require.Equal(t, []string{"g"}, l)
	_, err = s.Strings("bad")
	require.Error(t, err)

	d, err := s.NumericDate("n")
	require.NoError(t, err)
	require.Equal(t, time.Unix(1, 0), d)
	d, err = s.NumericDate("ns")
	require.NoError(t, err)
	require.Equal(t, time.Unix(1700000000, 0), d)
	d, err = s.NumericDate("neg")
	require.NoError(t, err)
	require.Equal(t, time.Unix(-5, 0), d)
	for _, n := range []string{"s", "b", "nul", "big", "arr"} {
		_, err = s.NumericDate(n)
		require.Error(t, err, n)
	}

	var x []int
	require.ErrorIs(t, s.Unmarshal("missing", &x), ErrNotPresent)
	require.Error(t, s.Unmarshal("s", &x))

	s.Replace("groups", json.RawMessage(`["a"]`))
	require.True(t, s.Has("groups"))
	require.Equal(t, "groups", s.Names()[len(s.Names())-1])
}

func TestFromMap(t *testing.T) {
	s, err := FromMap(map[string]any{"b": 1, "a": []string{"x"}})
	require.NoError(t, err)
	require.Equal(t, []string{"a", "b"}, s.Names())
	raw, _ := s.Raw("b")
	require.JSONEq(t, "1", string(raw))
	_, err = FromMap(map[string]any{"f": func() {}})
	require.Error(t, err)
}

func FuzzParse(f *testing.F) {
	for _, seed := range []string{`{}`, `{"a":1}`, `{"a":{"b":[1,2,{"c":"}"}]}}`, `{"a":1,"a":2}`, `[]`, `{"a":"\u0041"}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		s, err := Parse(in)
		if err != nil {
			return
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(in, &m); err != nil {
			t.Fatalf("accepted %q that encoding/json rejects: %v", in, err)
		}
		if len(m) != s.Len() {
			t.Fatalf("member count %d, encoding/json %d", s.Len(), len(m))
		}
		for _, n := range s.Names() {
			raw, _ := s.Raw(n)
			if !json.Valid(raw) {
				t.Fatalf("member %q raw %q not valid JSON", n, raw)
			}
		}
	})
}

var benchPayload = []byte(`{"aud":"api://6e74172b-be56-4843-9ff4-e66a39bb12e3","iss":"https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0","iat":1700000000,"nbf":1700000000,"exp":1700003600,"aio":"AWQAm/8TAAAAbFhsIGc2cmFuZG9tIGJhc2U2NCB0ZXh0IHRoYXQgaXMgbG9uZw==","azp":"6e74172b-be56-4843-9ff4-e66a39bb12e3","azpacr":"0","email":"jane.doe@contoso.com","groups":["0ef2a4c1-6e3f-4b7a-9d21-1f2e3d4c5b6a","1a2b3c4d-5e6f-7081-92a3-b4c5d6e7f809","2b3c4d5e-6f70-8192-a3b4-c5d6e7f8091a","3c4d5e6f-7081-92a3-b4c5-d6e7f8091a2b","4d5e6f70-8192-a3b4-c5d6-e7f8091a2b3c","5e6f7081-92a3-b4c5-d6e7-f8091a2b3c4d","6f708192-a3b4-c5d6-e7f8-091a2b3c4d5e","708192a3-b4c5-d6e7-f809-1a2b3c4d5e6f","8192a3b4-c5d6-e7f8-091a-2b3c4d5e6f70","92a3b4c5-d6e7-f809-1a2b-3c4d5e6f7081"],"name":"Jane Doe","oid":"00000000-0000-0000-0000-000000000001","preferred_username":"jane.doe@contoso.com","rh":"0.AXoAv4j5cvGGr0GRqy180BHbR2uVEm5WvkNIn_TmajmLEuN6AAA.","roles":["Reader","Writer"],"scp":"access_as_user","sub":"hUgJZJ8uH6_vXfQZJ9mX1c3oDq2m9Yv3s0sWj9Kc4qE","tid":"72f988bf-86f1-41af-91ab-2d7cd011db47","uti":"AbCdEfGhIjKlMnOpQrStUv","ver":"2.0","wids":["b79fbf4d-3ef9-4689-8143-76b194e85509"],"xms_tcdt":1234567890,"unique_name":"jane.doe@contoso.com","upn":"jane.doe@contoso.com","acr":"1","amr":["pwd","mfa"],"appid":"6e74172b-be56-4843-9ff4-e66a39bb12e3","appidacr":"0","family_name":"Doe","given_name":"Jane","ipaddr":"203.0.113.7","onprem_sid":"S-1-5-21-1234567890-1234567890-1234567890-1234","xms_pdl":"EUR","xms_pl":"en-US"}`)

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchPayload)))
	for b.Loop() {
		if _, err := Parse(benchPayload); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUnmarshalMap(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchPayload)))
	for b.Loop() {
		var m map[string]any
		if err := json.Unmarshal(benchPayload, &m); err != nil {
			b.Fatal(err)
		}
	}
}
