package celmap

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// testClaims is a ClaimSource over a JSON object, keeping document order
// (later duplicates win, as in encoding/json).
type testClaims struct {
	names []string
	raw   map[string]json.RawMessage
}

func (c *testClaims) Names() []string { return c.names }

func (c *testClaims) Raw(name string) (json.RawMessage, bool) {
	r, ok := c.raw[name]
	return r, ok
}

func parseClaims(doc string) (*testClaims, error) {
	dec := json.NewDecoder(bytes.NewReader([]byte(doc)))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("not an object")
	}
	c := &testClaims{raw: map[string]json.RawMessage{}}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		name := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		if _, dup := c.raw[name]; !dup {
			c.names = append(c.names, name)
		}
		c.raw[name] = raw
	}
	return c, nil
}

func mustClaims(doc string) *testClaims {
	c, err := parseClaims(doc)
	if err != nil {
		panic(err)
	}
	return c
}
