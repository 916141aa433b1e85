package claims

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"slices"
	"sort"
)

var (
	// ErrMalformed is wrapped by every Parse error that is not a
	// duplicate: the payload is not exactly one well-formed JSON object
	// in UTF-8, or it nests deeper than MaxDepth.
	ErrMalformed = errors.New("claims: malformed claim set")
	// ErrDuplicateClaim: a top-level member name appears twice (names are
	// compared after unescaping).
	ErrDuplicateClaim = errors.New("claims: duplicate claim")
	// ErrNotPresent: the claim is absent.
	ErrNotPresent = errors.New("claims: claim not present")
	// ErrOutOfRange: a NumericDate that is a valid number but too large
	// or too small for time.Unix (see Set.NumericDate).
	ErrOutOfRange = errors.New("out of range")
)

// MaxDepth bounds the nesting of objects and arrays in a claim set; the
// claim set itself is depth 1. encoding/json allows 10 000 levels, and
// deep values make every later recursive consumer (CEL conversion) pay.
const MaxDepth = 64

// indexThreshold is the member count above which a Set uses its hash
// index; below it a linear scan is as fast and allocates nothing.
const indexThreshold = 8

// Set is a claim set: each top-level member's name and raw JSON, in
// document order. Values are decoded only when asked for.
//
// A Set is safe for concurrent reads. Replace must not run concurrently
// with anything else on the same Set.
type Set struct {
	names []string
	raws  []json.RawMessage
	index index // empty while len(names) <= indexThreshold
}

// Parse decodes payload, which must be exactly one JSON object in UTF-8
// with nothing but JSON whitespace around it, no two top-level members
// with the same name (after unescaping, so "exp" and "e\u0078p" clash),
// no escaped unpaired UTF-16 surrogate, and no nesting deeper than
// MaxDepth. Errors wrap ErrMalformed or ErrDuplicateClaim and never
// contain the payload.
//
// The raw values returned by Raw are sub-slices of payload, which must
// therefore not be modified while the Set is in use.
func Parse(payload []byte) (*Set, error) {
	var buf [64]member // on the stack: most claim sets have fewer members
	members, err := parseObject(payload, buf[:0])
	if err != nil {
		return nil, err
	}
	n := len(members)
	s := &Set{names: make([]string, n), raws: make([]json.RawMessage, n)}
	// Unescaped names are substrings of one copy of the payload: one
	// allocation instead of one per member.
	var text string
	for i, m := range members {
		if m.escaped {
			if s.names[i], err = unescapeName(payload[m.nameStart:m.nameEnd]); err != nil {
				return nil, err
			}
		} else {
			if text == "" {
				text = string(payload)
			}
			s.names[i] = text[m.nameStart+1 : m.nameEnd-1]
		}
		s.raws[i] = json.RawMessage(payload[m.valStart:m.valEnd:m.valEnd])
	}
	if dup, ok := s.reindex(); ok {
		return nil, fmt.Errorf("%w: %q", ErrDuplicateClaim, shorten(dup))
	}
	return s, nil
}

// FromMap builds a Set from Go values, each marshalled with encoding/json.
// It is meant for tests of claim policies. Names() is sorted, so the
// order is deterministic.
func FromMap(m map[string]any) (*Set, error) {
	s := &Set{names: make([]string, 0, len(m)), raws: make([]json.RawMessage, 0, len(m))}
	for k := range m {
		s.names = append(s.names, k)
	}
	sort.Strings(s.names)
	for _, k := range s.names {
		b, err := json.Marshal(m[k])
		if err != nil {
			return nil, fmt.Errorf("claims: claim %q: %w", shorten(k), err)
		}
		s.raws = append(s.raws, b)
	}
	s.reindex() // map keys are distinct
	return s, nil
}

// reindex rebuilds the index after names changed, and reports a
// duplicate name if there is one.
func (s *Set) reindex() (dup string, found bool) {
	if len(s.names) <= indexThreshold {
		s.index = index{}
		for i := 1; i < len(s.names); i++ {
			for _, prev := range s.names[:i] {
				if prev == s.names[i] {
					return prev, true
				}
			}
		}
		return "", false
	}
	return s.index.build(s.names)
}

// lookup returns the position of name, or -1.
func (s *Set) lookup(name string) int {
	if len(s.names) > indexThreshold {
		return s.index.find(s.names, name)
	}
	for i, n := range s.names {
		if n == name {
			return i
		}
	}
	return -1
}

// Names returns the member names in document order (sorted for a Set
// from FromMap; a member added by Replace comes last). The slice belongs
// to the Set: do not modify it.
func (s *Set) Names() []string { return s.names[:len(s.names):len(s.names)] }

// Len is the number of members.
func (s *Set) Len() int { return len(s.names) }

// Raw returns a member's raw JSON, without surrounding whitespace. The
// bytes belong to the Set: do not modify them.
func (s *Set) Raw(name string) (json.RawMessage, bool) {
	if i := s.lookup(name); i >= 0 {
		return s.raws[i], true
	}
	return nil, false
}

// Has reports whether the member is present, even as JSON null.
func (s *Set) Has(name string) bool { return s.lookup(name) >= 0 }

// Replace sets a member's raw JSON (copied), appending the member when it
// is absent. It is used to substitute a resolved distributed claim, whose
// value comes from another parsed Set; raw must be valid JSON.
func (s *Set) Replace(name string, raw json.RawMessage) {
	raw = slices.Clip(slices.Clone(raw))
	if i := s.lookup(name); i >= 0 {
		s.raws[i] = raw
		return
	}
	s.names = append(s.names, name)
	s.raws = append(s.raws, raw)
	if len(s.names) > indexThreshold && !s.index.insert(s.names, len(s.names)-1) {
		s.reindex()
	}
}

// shorten bounds a claim name quoted in an error: names come from the
// token, so they are attacker-chosen.
func shorten(name string) string {
	const limit = 40
	if len(name) <= limit {
		return name
	}
	return name[:limit] + "…"
}

// index is a small open-addressing hash table from member name to
// position, used once a Set has more than indexThreshold members. It
// costs one allocation (a Go map costs several) and is rebuilt, not
// updated in place, when it fills up.
//
// The hash is seeded randomly per process (hash/maphash), so an attacker
// cannot choose claim names that collide; and with the load kept at or
// below one half, probes stay short anyway.
type index struct {
	slots []uint32 // position+1 of a name, 0 for an empty slot; len is a power of two
}

var indexSeed = maphash.MakeSeed()

// build indexes names from scratch and reports the first duplicate.
func (ix *index) build(names []string) (dup string, found bool) {
	size := 16
	for size < 2*len(names)+2 {
		size <<= 1
	}
	ix.slots = make([]uint32, size)
	for i := range names {
		if !ix.insert(names, i) {
			return names[i], true
		}
	}
	return "", false
}

// insert adds names[i]. It returns false when the name is already present
// or the table would become more than half full (then the caller
// rebuilds).
func (ix *index) insert(names []string, i int) bool {
	if len(ix.slots) == 0 || 2*(i+1) > len(ix.slots) {
		return false
	}
	mask := uint64(len(ix.slots) - 1)
	for h := maphash.String(indexSeed, names[i]) & mask; ; h = (h + 1) & mask {
		p := ix.slots[h]
		if p == 0 {
			ix.slots[h] = uint32(i + 1)
			return true
		}
		if names[p-1] == names[i] {
			return false
		}
	}
}

// find returns the position of name in names, or -1.
func (ix *index) find(names []string, name string) int {
	if len(ix.slots) == 0 {
		return -1
	}
	mask := uint64(len(ix.slots) - 1)
	for h := maphash.String(indexSeed, name) & mask; ; h = (h + 1) & mask {
		p := ix.slots[h]
		if p == 0 {
			return -1
		}
		if names[p-1] == name {
			return int(p - 1)
		}
	}
}
