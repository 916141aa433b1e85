package claims

import (
	"strings"
	"unicode/utf8"
)

// PlainStrings decodes the common case of a list claim (groups), a non-empty
// JSON array of plain strings (no escapes, no control characters, valid
// UTF-8), decoded with the prefix applied in two allocations: one backing
// string for every group and the slice of them. ok is false for anything
// else (null, a single string, escapes, other types), for which callers
// use encoding/json; for the inputs accepted here both give the same
// strings, with the prefix in front of each.
func PlainStrings(raw []byte, prefix string) (groups []string, ok bool) {
	// First pass: validate and measure.
	i, n, size := 0, 0, 0
	skip := func() {
		for i < len(raw) && (raw[i] == ' ' || raw[i] == '\t' || raw[i] == '\n' || raw[i] == '\r') {
			i++
		}
	}
	skip()
	if i >= len(raw) || raw[i] != '[' {
		return nil, false
	}
	i++
	skip()
	if i < len(raw) && raw[i] == ']' {
		return nil, false // empty: let the general path decide its shape
	}
	for {
		skip()
		if i >= len(raw) || raw[i] != '"' {
			return nil, false
		}
		i++
		start := i
		for i < len(raw) && raw[i] != '"' {
			if raw[i] == '\\' || raw[i] < 0x20 {
				return nil, false
			}
			i++
		}
		if i >= len(raw) || !utf8.Valid(raw[start:i]) {
			return nil, false
		}
		size += len(prefix) + i - start
		n++
		i++ // closing quote
		skip()
		if i < len(raw) && raw[i] == ',' {
			i++
			continue
		}
		if i < len(raw) && raw[i] == ']' {
			i++
			break
		}
		return nil, false
	}
	skip()
	if i != len(raw) {
		return nil, false
	}
	// Second pass: copy every prefixed element into one buffer.
	var b strings.Builder
	b.Grow(size)
	var stack [64]int
	ends := stack[:0]
	for j := 0; j < len(raw); j++ {
		if raw[j] != '"' {
			continue
		}
		k := j + 1
		for raw[k] != '"' {
			k++
		}
		b.WriteString(prefix)
		b.Write(raw[j+1 : k])
		ends = append(ends, b.Len())
		j = k
	}
	all := b.String()
	groups = make([]string, n)
	from := 0
	for x, end := range ends {
		groups[x] = all[from:end]
		from = end
	}
	return groups, true
}
