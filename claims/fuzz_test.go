package claims

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"regexp"
	"slices"
	"testing"
	"time"
	"unicode/utf8"
)

// surrogateEscape finds \u escapes of UTF-16 surrogates (an over-match:
// paired ones are fine), the one thing Parse rejects that encoding/json
// accepts apart from depth, duplicates and invalid UTF-8.
var surrogateEscape = regexp.MustCompile(`\\u[dD][89abcdefABCDEF]`)

// refDepth is the maximum nesting depth of valid JSON, by encoding/json.
func refDepth(in []byte) int {
	dec := json.NewDecoder(bytes.NewReader(in))
	depth, maxDepth := 0, 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return maxDepth
		}
		if err != nil {
			return -1
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
			maxDepth = max(maxDepth, depth)
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
}

// FuzzParse checks Parse against encoding/json: no panic; an accepted
// payload is valid JSON whose members are exactly encoding/json's, each
// Raw value valid JSON; a rejected payload has a reason encoding/json
// does not check (depth, duplicates, invalid UTF-8, surrogate escapes)
// or is not a valid JSON object at all.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		`{}`, `{"a":1}`, `{"a":{"b":[1,2,{"c":"}"}]}}`, `{"a":1,"a":2}`, `{"exp":1,"e\u0078p":2}`,
		`[]`, `{"a":"\u0041\ud83d\ude00"}`, `{"a":"\ud800"}`, `{"a":1}x`, `{"a":-0.5e+3,"b":null,"c":true}`,
		"{\"a\":\"\xff\"}", `{"a":[[[[[[[[[[]]]]]]]]]]}`,
	} {
		f.Add([]byte(seed))
	}
	if b, err := os.ReadFile("testdata/entra_v1_access_token.json"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		s, err := Parse(in)
		if err != nil {
			if errors.Is(err, ErrDuplicateClaim) {
				return // TestParse covers the duplicate cases
			}
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error wraps no sentinel: %v", err)
			}
			var obj map[string]json.RawMessage
			if json.Unmarshal(in, &obj) == nil && obj != nil && utf8.Valid(in) &&
				refDepth(in) <= MaxDepth && !surrogateEscape.Match(in) {
				t.Fatalf("rejected %q that encoding/json accepts: %v", in, err)
			}
			return
		}
		if !json.Valid(in) || !utf8.Valid(in) {
			t.Fatalf("accepted invalid JSON %q", in)
		}
		var ref map[string]json.RawMessage
		if err := json.Unmarshal(in, &ref); err != nil || ref == nil {
			t.Fatalf("accepted %q that encoding/json does not decode as an object: %v", in, err)
		}
		if len(ref) != s.Len() {
			t.Fatalf("member count %d, encoding/json %d", s.Len(), len(ref))
		}
		if d := refDepth(in); d > MaxDepth {
			t.Fatalf("accepted depth %d", d)
		}
		for _, n := range s.Names() {
			raw, _ := s.Raw(n)
			if !json.Valid(raw) || !bytes.Equal(raw, ref[n]) {
				t.Fatalf("member %q: raw %q, encoding/json %q", n, raw, ref[n])
			}
		}
	})
}

// FuzzAccessors compares the accessors, fast paths included, with the
// reference decodings they mirror: kube's stringOrArray for Strings,
// go-oidc v2's jsonTime for NumericDate, encoding/json for String and
// Bool.
func FuzzAccessors(f *testing.F) {
	for _, seed := range []string{
		`"a"`, `["a","b"]`, `[ "a" , "b" ]`, `[]`, `[ ]`, `null`, `["a",null]`, `["\u00e9"]`, `["a",1]`,
		`[["a"]]`, `1700000000`, `-5`, `1.5`, `"17e8"`, `1e19`, `-0`, `true`, `"\ud83d\ude00"`, `["日本"]`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		s, err := Parse([]byte(`{"c":` + raw + `}`))
		if err != nil {
			return
		}
		rawJSON, _ := s.Raw("c")

		// Strings: array of strings first, then string.
		var want []string
		var wantErr error
		if err := json.Unmarshal(rawJSON, &want); err != nil {
			var one string
			if wantErr = json.Unmarshal(rawJSON, &one); wantErr == nil {
				want = []string{one}
			} else {
				want = nil
			}
		}
		got, err := s.Strings("c")
		if (err != nil) != (wantErr != nil) || !slices.Equal(got, want) || (got == nil) != (want == nil) {
			t.Fatalf("Strings(%s) = %q, %v; want %q, %v", raw, got, err, want, wantErr)
		}

		// String and Bool: encoding/json, except that null is an error.
		var wantS string
		errS := json.Unmarshal(rawJSON, &wantS)
		gotS, err := s.String("c")
		isNull := string(rawJSON) == "null"
		if (err != nil) != (errS != nil || isNull) || gotS != wantS {
			t.Fatalf("String(%s) = %q, %v; want %q, %v", raw, gotS, err, wantS, errS)
		}
		var wantB bool
		errB := json.Unmarshal(rawJSON, &wantB)
		gotB, err := s.Bool("c")
		if (err != nil) != (errB != nil || isNull) || gotB != wantB {
			t.Fatalf("Bool(%s) = %v, %v; want %v, %v", raw, gotB, err, wantB, errB)
		}

		// NumericDate: go-oidc v2 wherever its result is defined.
		var n json.Number
		gotT, err := s.NumericDate("c")
		if json.Unmarshal(rawJSON, &n) != nil {
			if err == nil {
				t.Fatalf("NumericDate(%s) accepted a non-number", raw)
			}
			return
		}
		sec, ierr := n.Int64()
		if ierr != nil {
			fl, ferr := n.Float64()
			if ferr != nil || fl >= 1<<63 || fl < -(1<<63) {
				if err == nil {
					t.Fatalf("NumericDate(%s) = %v, want an error", raw, gotT)
				}
				return
			}
			sec = int64(fl)
		}
		if sec > maxUnix {
			if err == nil {
				t.Fatalf("NumericDate(%s) accepted %d", raw, sec)
			}
			return
		}
		if err != nil || !gotT.Equal(time.Unix(sec, 0)) {
			t.Fatalf("NumericDate(%s) = %v, %v; want %v", raw, gotT, err, time.Unix(sec, 0))
		}
	})
}
