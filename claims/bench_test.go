package claims

import (
	"encoding/json"
	"os"
	"testing"
)

// entraPayload is a 1.9 KB Entra v1 access-token claim set (33 members,
// 20 groups), the common large case.
func entraPayload(b *testing.B) []byte {
	p, err := os.ReadFile("testdata/entra_v1_access_token.json")
	if err != nil {
		b.Fatal(err)
	}
	return p
}

func BenchmarkParse(b *testing.B) {
	p := entraPayload(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		if _, err := Parse(p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseAndRead is Parse plus the reads a validation does.
func BenchmarkParseAndRead(b *testing.B) {
	p := entraPayload(b)
	b.ReportAllocs()
	for b.Loop() {
		s, err := Parse(p)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.String("iss"); err != nil {
			b.Fatal(err)
		}
		for _, n := range []string{"exp", "nbf", "iat"} {
			if _, err := s.NumericDate(n); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := s.Strings("aud"); err != nil {
			b.Fatal(err)
		}
		if _, err := s.Strings("groups"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJSONValid and BenchmarkUnmarshalMap are the baselines: a bare
// validation pass, and the usual decode into a map.
func BenchmarkJSONValid(b *testing.B) {
	p := entraPayload(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		if !json.Valid(p) {
			b.Fatal("invalid")
		}
	}
}

func BenchmarkUnmarshalMap(b *testing.B) {
	p := entraPayload(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(p)))
	for b.Loop() {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(p, &m); err != nil {
			b.Fatal(err)
		}
	}
}
