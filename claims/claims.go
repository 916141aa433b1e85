// Package claims decodes a JWT claim set strictly and gives typed access
// to its members.
//
// Parse accepts exactly one JSON object (RFC 8259) with no duplicate
// member names (compared after unescaping), keeps every member's raw JSON,
// and decodes a value only when it is asked for, so a claim that is never
// used costs nothing beyond the validation scan.
package claims

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"
)

var (
	// ErrMalformed: the payload is not one well-formed JSON object.
	ErrMalformed = errors.New("claims: malformed claim set")
	// ErrDuplicateClaim: a member name appears twice.
	ErrDuplicateClaim = errors.New("claims: duplicate claim")
	// ErrNotPresent: the claim is absent.
	ErrNotPresent = errors.New("claims: claim not present")
)

// MaxDepth bounds the nesting of arrays and objects in a claim set.
const MaxDepth = 64

// Set is a decoded claim set. It is not safe for concurrent mutation
// (Replace); concurrent reads are safe.
type Set struct {
	names []string
	raw   map[string]json.RawMessage
}

// Parse decodes payload, which must be one JSON object.
func Parse(payload []byte) (*Set, error) {
	s := &Set{raw: make(map[string]json.RawMessage, 16)}
	if err := scanObject(payload, s); err != nil {
		return nil, err
	}
	return s, nil
}

// FromMap builds a Set from Go values (each marshalled with
// encoding/json). Names() is sorted, for determinism.
func FromMap(m map[string]any) (*Set, error) {
	s := &Set{raw: make(map[string]json.RawMessage, len(m))}
	for k, v := range m {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("claims: claim %q: %w", k, err)
		}
		s.raw[k] = b
		s.names = append(s.names, k)
	}
	sort.Strings(s.names)
	return s, nil
}

// Names returns the member names in document order.
func (s *Set) Names() []string { return s.names }

// Len is the number of members.
func (s *Set) Len() int { return len(s.names) }

// Raw returns a member's raw JSON.
func (s *Set) Raw(name string) (json.RawMessage, bool) {
	r, ok := s.raw[name]
	return r, ok
}

// Has reports whether the member is present (even as JSON null).
func (s *Set) Has(name string) bool {
	_, ok := s.raw[name]
	return ok
}

// Replace sets a member's raw JSON, adding it when absent. It is used to
// substitute a resolved distributed claim.
func (s *Set) Replace(name string, raw json.RawMessage) {
	if _, ok := s.raw[name]; !ok {
		s.names = append(s.names, name)
	}
	s.raw[name] = slices.Clone(raw)
}

// Unmarshal decodes a member with encoding/json. It returns ErrNotPresent
// when absent, otherwise encoding/json's error unchanged (its text names
// types, never values).
func (s *Set) Unmarshal(name string, v any) error {
	r, ok := s.raw[name]
	if !ok {
		return ErrNotPresent
	}
	return json.Unmarshal(r, v)
}

// String decodes a string member.
func (s *Set) String(name string) (string, error) {
	var out string
	r, ok := s.raw[name]
	if !ok {
		return "", ErrNotPresent
	}
	if len(r) == 0 || r[0] != '"' {
		return "", fmt.Errorf("claims: claim %q is not a string", name)
	}
	if err := json.Unmarshal(r, &out); err != nil {
		return "", fmt.Errorf("claims: claim %q: %w", name, err)
	}
	return out, nil
}

// Bool decodes a boolean member.
func (s *Set) Bool(name string) (bool, error) {
	r, ok := s.raw[name]
	if !ok {
		return false, ErrNotPresent
	}
	switch string(r) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("claims: claim %q is not a boolean", name)
}

// Strings decodes a member that is an array of strings or a single string
// (tried in that order, as kube-apiserver's stringOrArray).
func (s *Set) Strings(name string) ([]string, error) {
	r, ok := s.raw[name]
	if !ok {
		return nil, ErrNotPresent
	}
	var list []string
	if err := json.Unmarshal(r, &list); err == nil {
		return list, nil
	}
	var one string
	if err := json.Unmarshal(r, &one); err != nil {
		return nil, fmt.Errorf("claims: claim %q is neither a string nor an array of strings", name)
	}
	return []string{one}, nil
}

// NumericDate decodes a NumericDate as go-oidc v2 (used by
// kube-apiserver) does: a JSON number or a numeric string; integral values
// exactly, others truncated to whole seconds. Values outside the int64
// range of seconds are rejected.
func (s *Set) NumericDate(name string) (time.Time, error) {
	r, ok := s.raw[name]
	if !ok {
		return time.Time{}, ErrNotPresent
	}
	var n json.Number
	if err := json.Unmarshal(r, &n); err != nil {
		return time.Time{}, fmt.Errorf("claims: claim %q is not a number", name)
	}
	if n == "" {
		return time.Time{}, fmt.Errorf("claims: claim %q is not a number", name)
	}
	if i, err := n.Int64(); err == nil {
		return time.Unix(i, 0), nil
	}
	f, err := n.Float64()
	if err != nil || math.IsNaN(f) || f >= 9.2e18 || f <= -9.2e18 {
		return time.Time{}, fmt.Errorf("claims: claim %q is not a number of seconds in range", name)
	}
	return time.Unix(int64(f), 0), nil
}
