package jwtauth

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Decoding follows kube-apiserver's strict universal decoder: YAML (1.1
// scalar rules, as sigs.k8s.io/yaml) or JSON, apiVersion and kind checked
// first, then JSON typing (a YAML number or boolean is not a string),
// then strictness (unknown and duplicate fields, case-sensitive names).
// yaml.v3 parses the text into nodes; the walk below applies those rules
// and keeps line numbers for the messages.

// ParseConfig decodes an AuthenticationConfiguration file (YAML or JSON,
// apiVersion apiserver.config.k8s.io/v1, v1beta1 or v1alpha1) strictly.
// It does not validate the content: see ValidateConfig (New does both).
func ParseConfig(data []byte) (*AuthenticationConfiguration, error) {
	root, err := parseYAMLDocument(data)
	if err != nil {
		return nil, err
	}
	version, err := checkTypeMeta(root)
	if err != nil {
		return nil, err
	}
	cfg := &AuthenticationConfiguration{}
	d := &configDecoder{version: version, budget: decodeBudget(data)}
	d.decodeStruct(root, reflect.ValueOf(cfg).Elem(), "", "")
	if err := d.err(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// ParseAuthenticator decodes one authenticator object (a single jwt entry
// without apiVersion, kind or list: the JSON file that `az aks
// jwtauthenticator add --config-file` takes) with the same strictness.
func ParseAuthenticator(data []byte) (*JWTAuthenticator, error) {
	root, err := parseYAMLDocument(data)
	if err != nil {
		return nil, err
	}
	a := &JWTAuthenticator{}
	d := &configDecoder{version: "v1", budget: decodeBudget(data)}
	d.decodeStruct(root, reflect.ValueOf(a).Elem(), "", "")
	if err := d.err(); err != nil {
		return nil, err
	}
	return a, nil
}

// decodeBudget bounds the work of expanding YAML aliases to a multiple of
// the input size: without aliases a node costs at most two visits and
// takes at least one byte, so only alias expansion can exhaust it.
func decodeBudget(data []byte) int { return 4*len(data) + 1<<16 }

// parseYAMLDocument returns the root mapping of the first document.
func parseYAMLDocument(data []byte) (*yaml.Node, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("jwtauth: empty config data")
	}
	// Like kube-apiserver, text that starts with "{" is JSON and is read
	// by a JSON parser: YAML's escapes and scalar rules differ.
	if trimmed := bytes.TrimLeft(data, " \t\r\n"); trimmed[0] == '{' {
		return parseJSONDocument(data)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("jwtauth: empty config data")
		}
		return nil, fmt.Errorf("jwtauth: %w", err)
	}
	// Like kube-apiserver (whose YAML-to-JSON step reads one document),
	// anything after the first document is ignored.
	if len(doc.Content) == 0 || isEmptyNull(doc.Content[0]) {
		return nil, errors.New("jwtauth: empty config data")
	}
	if err := resolveExplicitTags(doc.Content[0]); err != nil {
		return nil, err
	}
	root := resolveAlias(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("jwtauth: line %d: config must be an object, got %s", root.Line, jsonKindOf(root))
	}
	return root, nil
}

// parseJSONDocument reads a JSON object into the same node tree the YAML
// path produces, with JSON types as explicit tags and line numbers.
func parseJSONDocument(data []byte) (*yaml.Node, error) {
	var raw json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("jwtauth: invalid JSON: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	// Offsets only grow, so lines are counted incrementally.
	lineNo, lineOff := 1, 0
	line := func(off int) int {
		off = min(off, len(data))
		lineNo += bytes.Count(data[lineOff:off], []byte("\n"))
		lineOff = off
		return lineNo
	}
	var root *yaml.Node
	// stack holds the open objects and arrays.
	var stack []*yaml.Node
	for {
		off := int(dec.InputOffset())
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("jwtauth: invalid JSON: %w", err)
		}
		// InputOffset is before any separator; skip it to find the line.
		for off < len(data) && strings.IndexByte(" \t\r\n,:", data[off]) >= 0 {
			off++
		}
		n := &yaml.Node{Line: line(off)}
		switch v := tok.(type) {
		case json.Delim:
			if v == '}' || v == ']' {
				stack = stack[:len(stack)-1]
				continue
			}
			n.Kind, n.Tag = yaml.MappingNode, "!!map"
			if v == '[' {
				n.Kind, n.Tag = yaml.SequenceNode, "!!seq"
			}
		case string:
			n.Kind, n.Tag, n.Value, n.Style = yaml.ScalarNode, "!!str", v, yaml.DoubleQuotedStyle
		case json.Number:
			n.Kind, n.Tag, n.Value, n.Style = yaml.ScalarNode, "!!float", v.String(), yaml.TaggedStyle
		case bool:
			n.Kind, n.Tag, n.Value, n.Style = yaml.ScalarNode, "!!bool", strconv.FormatBool(v), yaml.TaggedStyle
		case nil:
			n.Kind, n.Tag, n.Value, n.Style = yaml.ScalarNode, "!!null", "null", yaml.TaggedStyle
		}
		if len(stack) == 0 {
			root = n
		} else {
			top := stack[len(stack)-1]
			top.Content = append(top.Content, n)
		}
		if n.Kind != yaml.ScalarNode {
			stack = append(stack, n)
		}
	}
	if root == nil || root.Kind != yaml.MappingNode {
		return nil, errors.New("jwtauth: invalid JSON: not an object")
	}
	return root, nil
}

// isEmptyNull reports whether n is an absent document body ("---" alone).
func isEmptyNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Style == 0 && n.Value == "" && n.Tag == "!!null"
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// Accepted apiVersion values, mapped to the package name kube-apiserver
// prints in type errors.
var configVersions = map[string]string{
	APIVersionV1:    "v1",
	APIVersionBeta:  "v1beta1",
	APIVersionAlpha: "v1alpha1",
}

// checkTypeMeta checks apiVersion and kind in kube-apiserver's order.
func checkTypeMeta(root *yaml.Node) (version string, err error) {
	get := func(name string) (string, error) {
		for i := 0; i+1 < len(root.Content); i += 2 {
			if k := root.Content[i]; k.Kind == yaml.ScalarNode && k.Value == name {
				v := resolveAlias(root.Content[i+1])
				kind, s := scalarJSONKind(v)
				switch kind {
				case "string":
					return s, nil
				case "null":
					return "", nil
				}
				return "", fmt.Errorf("jwtauth: line %d: couldn't get version/kind: %s must be a string, got %s", v.Line, name, kind)
			}
		}
		return "", nil
	}
	apiVersion, err := get("apiVersion")
	if err != nil {
		return "", err
	}
	kind, err := get("kind")
	if err != nil {
		return "", err
	}
	if kind == "" {
		return "", errors.New("jwtauth: Object 'Kind' is missing (want kind: " + Kind + ")")
	}
	if apiVersion == "" {
		return "", errors.New("jwtauth: Object 'apiVersion' is missing (want apiVersion: " + APIVersionV1 + ")")
	}
	version, ok := configVersions[apiVersion]
	if !ok || kind != Kind {
		return "", fmt.Errorf("jwtauth: no kind %q is registered for version %q (want kind %s in %s, %s or %s)",
			kind, apiVersion, Kind, APIVersionV1, APIVersionBeta, APIVersionAlpha)
	}
	return version, nil
}

// configDecoder walks yaml nodes into the config structs with JSON
// semantics. It records the first type error (encoding/json reports the
// earliest one) and every strictness error.
type configDecoder struct {
	version string
	budget  int
	typeErr string
	strict  []string
}

func (d *configDecoder) err() error {
	if d.budget < 0 {
		return errors.New("jwtauth: config too large after expanding YAML aliases")
	}
	if d.typeErr != "" {
		return errors.New("jwtauth: " + d.typeErr)
	}
	if len(d.strict) > 0 {
		return errors.New("jwtauth: strict decoding error: " + strings.Join(d.strict, ", "))
	}
	return nil
}

// typeError records kube's "json: cannot unmarshal …" text for a value of
// the wrong JSON type.
func (d *configDecoder) typeError(n *yaml.Node, structName, jsonPath string, t reflect.Type) {
	if d.typeErr != "" {
		return
	}
	d.typeErr = fmt.Sprintf("line %d: json: cannot unmarshal %s into Go struct field %s.%s of type %s",
		n.Line, jsonKindOf(n), structName, jsonPath, d.typeName(t, jsonPath))
}

// typeName renders t as kube-apiserver's external types print.
func (d *configDecoder) typeName(t reflect.Type, jsonPath string) string {
	switch t.Kind() {
	case reflect.Pointer:
		return d.typeName(t.Elem(), jsonPath)
	case reflect.Slice:
		return "[]" + d.typeName(t.Elem(), "")
	case reflect.Struct:
		return d.version + "." + t.Name()
	case reflect.String:
		switch {
		case strings.HasSuffix(jsonPath, "issuer.audienceMatchPolicy"):
			return d.version + ".AudienceMatchPolicyType"
		case strings.HasSuffix(jsonPath, "issuer.egressSelectorType"):
			return d.version + ".EgressSelectorType"
		}
	}
	return t.String()
}

// decodeStruct decodes mapping n into struct v. jsonPath is the dotted
// JSON path used by type errors ("jwt.issuer"), strictPath the indexed
// path used by strict errors ("jwt[0].issuer").
func (d *configDecoder) decodeStruct(n *yaml.Node, v reflect.Value, jsonPath, strictPath string) {
	t := v.Type()
	seen := make(map[string]bool, len(n.Content)/2)
	for _, kv := range d.mappingPairs(n, 0) {
		key, ok := mappingKey(kv[0])
		if !ok {
			d.strict = append(d.strict, fmt.Sprintf("unsupported map key of type %s (line %d)", jsonKindOf(kv[0]), kv[0].Line))
			continue
		}
		fp := joinPath(strictPath, key)
		if seen[key] {
			d.strict = append(d.strict, fmt.Sprintf("duplicate field %q (line %d)", fp, kv[0].Line))
		}
		seen[key] = true
		f, ok := fieldByJSONName(t, key)
		if !ok {
			d.strict = append(d.strict, fmt.Sprintf("unknown field %q (line %d)", fp, kv[0].Line))
			continue
		}
		d.decodeValue(kv[1], v.FieldByIndex(f.Index), t.Name(), joinPath(jsonPath, key), fp)
	}
}

// mappingPairs returns n's key/value pairs with YAML merge keys ("<<")
// expanded in place, as yaml.v2 does.
func (d *configDecoder) mappingPairs(n *yaml.Node, depth int) [][2]*yaml.Node {
	var out [][2]*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if d.budget--; d.budget < 0 {
			break
		}
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" && depth < 10 {
			v = resolveAlias(v)
			switch v.Kind {
			case yaml.MappingNode:
				out = append(out, d.mappingPairs(v, depth+1)...)
				continue
			case yaml.SequenceNode:
				for _, m := range v.Content {
					if m = resolveAlias(m); m.Kind == yaml.MappingNode {
						out = append(out, d.mappingPairs(m, depth+1)...)
					}
				}
				continue
			}
		}
		out = append(out, [2]*yaml.Node{k, v})
	}
	return out
}

func (d *configDecoder) decodeValue(n *yaml.Node, v reflect.Value, structName, jsonPath, strictPath string) {
	n = resolveAlias(n)
	if d.budget--; d.budget < 0 {
		return
	}
	kind, s := scalarJSONKind(n)
	if kind == "null" {
		// JSON null sets pointers and slices to nil and leaves the rest.
		if v.Kind() == reflect.Pointer || v.Kind() == reflect.Slice {
			v.SetZero()
		}
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		elem := reflect.New(v.Type().Elem())
		d.decodeValue(n, elem.Elem(), structName, jsonPath, strictPath)
		v.Set(elem)
	case reflect.String:
		if kind != "string" {
			d.typeError(n, structName, jsonPath, v.Type())
			return
		}
		v.SetString(s)
	case reflect.Bool:
		if kind != "bool" {
			d.typeError(n, structName, jsonPath, v.Type())
			return
		}
		v.SetBool(s == "true")
	case reflect.Slice:
		if kind != "array" {
			d.typeError(n, structName, jsonPath, v.Type())
			return
		}
		sl := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.decodeValue(item, sl.Index(i), structName, jsonPath, fmt.Sprintf("%s[%d]", strictPath, i))
		}
		v.Set(sl)
	case reflect.Struct:
		if kind != "object" {
			d.typeError(n, structName, jsonPath, v.Type())
			return
		}
		d.decodeStruct(n, v, jsonPath, strictPath)
	default:
		panic("jwtauth: unexpected config field kind " + v.Kind().String())
	}
}

func joinPath(base, name string) string {
	if base == "" {
		return name
	}
	return base + "." + name
}

// fieldByJSONName finds the struct field whose json tag name is exactly
// name (kube-apiserver's decoder is case-sensitive).
func fieldByJSONName(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if tag == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// mappingKey renders a mapping key as sigs.k8s.io/yaml does when it turns
// YAML into JSON: booleans and numbers become their text.
func mappingKey(k *yaml.Node) (string, bool) {
	k = resolveAlias(k)
	kind, s := scalarJSONKind(k)
	switch kind {
	case "string", "bool":
		return s, true
	case "number":
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return strconv.FormatInt(i, 10), true
		}
		return s, true
	}
	return "", false
}

// jsonKindOf names n's JSON type as encoding/json does in type errors.
func jsonKindOf(n *yaml.Node) string {
	kind, _ := scalarJSONKind(resolveAlias(n))
	return kind
}

// yaml11Float is yaml.v2's float syntax.
var yaml11Float = regexp.MustCompile(`^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`)

// scalarJSONKind returns the JSON type ("string", "number", "bool",
// "null", "array" or "object") that sigs.k8s.io/yaml gives n, resolving
// plain scalars with YAML 1.1 rules (yes/no/on/off are booleans, 0x1F and
// 1_000 are numbers). For strings s is the text; for booleans "true" or
// "false"; for numbers the canonical text.
func scalarJSONKind(n *yaml.Node) (kind, s string) {
	switch n.Kind {
	case yaml.MappingNode:
		return "object", ""
	case yaml.SequenceNode:
		return "array", ""
	case yaml.ScalarNode:
	default:
		return "null", ""
	}
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return "string", n.Value
	}
	if n.Style&yaml.TaggedStyle != 0 {
		switch n.Tag {
		case "!!int", "!!float":
			return "number", n.Value
		case "!!bool":
			if b, ok := yaml11Bools[n.Value]; ok {
				return "bool", strconv.FormatBool(b)
			}
			return "string", n.Value
		case "!!null":
			return "null", ""
		}
		return "string", n.Value
	}
	return resolveYAML11(n.Value)
}

var yaml11Bools = map[string]bool{
	"y": true, "Y": true, "yes": true, "Yes": true, "YES": true,
	"true": true, "True": true, "TRUE": true,
	"on": true, "On": true, "ON": true,
	"n": false, "N": false, "no": false, "No": false, "NO": false,
	"false": false, "False": false, "FALSE": false,
	"off": false, "Off": false, "OFF": false,
}

// resolveYAML11 follows yaml.v2's resolve for an untagged plain scalar.
func resolveYAML11(in string) (kind, s string) {
	switch in {
	case "", "~", "null", "Null", "NULL":
		return "null", ""
	case ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF":
		return "number", in
	}
	if b, ok := yaml11Bools[in]; ok {
		return "bool", strconv.FormatBool(b)
	}
	switch c := in[0]; {
	case c == '.':
		if _, err := strconv.ParseFloat(in, 64); err == nil {
			return "number", in
		}
	case c == '+' || c == '-' || (c >= '0' && c <= '9'):
		if yaml11Timestamp(in) {
			return "string", in // yaml.v2 keeps timestamps as text
		}
		plain := strings.ReplaceAll(in, "_", "")
		if yaml11Int(plain) {
			return "number", plain
		}
		if yaml11Float.MatchString(plain) {
			if _, err := strconv.ParseFloat(plain, 64); err == nil {
				return "number", plain
			}
		}
		if _, err := strconv.ParseInt(plain, 0, 64); errors.Is(err, strconv.ErrRange) {
			if _, ok := new(big.Int).SetString(plain, 0); ok {
				return "number", plain
			}
		}
	}
	return "string", in
}

// yaml11Timestamp reports whether yaml.v2 resolves in as a timestamp
// (which sigs.k8s.io/yaml then keeps as a string).
func yaml11Timestamp(in string) bool {
	i := 0
	for i < len(in) && in[i] >= '0' && in[i] <= '9' {
		i++
	}
	if i != 4 || i == len(in) || in[i] != '-' {
		return false
	}
	for _, layout := range []string{"2006-1-2T15:4:5.999999999Z07:00", "2006-1-2t15:4:5.999999999Z07:00", "2006-1-2 15:4:5.999999999", "2006-1-2"} {
		if _, err := time.Parse(layout, in); err == nil {
			return true
		}
	}
	return false
}

// resolveExplicitTags gives every scalar written with an explicit standard
// tag (`!!null ""`, `!!int "1"`, `!!binary aGk=`) the value yaml.v2, which
// sigs.k8s.io/yaml uses, gives it: the text is resolved as a plain scalar,
// quoted or not, and must then be of the tag's type (an int is also a
// float; anything is a !!str); !!binary is base64-decoded. A mismatch is
// an error, as in kube-apiserver. Resolved nodes are rewritten in the form
// the JSON path uses (type as tag, canonical text), so a node reached
// again through an alias resolves to the same value.
func resolveExplicitTags(top *yaml.Node) error {
	stack := []*yaml.Node{top}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n.Kind != yaml.ScalarNode {
			stack = append(stack, n.Content...)
			continue
		}
		if n.Style&yaml.TaggedStyle == 0 {
			continue
		}
		in := n.Value
		mismatch := func() error {
			return fmt.Errorf("jwtauth: line %d: cannot decode %q as a %s", n.Line, truncate(in, 64), n.Tag)
		}
		switch n.Tag {
		case "!!str":
			n.Style = yaml.DoubleQuotedStyle
			continue
		case "!!binary":
			data, err := base64.StdEncoding.DecodeString(in)
			if err != nil {
				return fmt.Errorf("jwtauth: line %d: !!binary value contains invalid base64 data", n.Line)
			}
			n.Tag, n.Value, n.Style = "!!str", string(data), yaml.DoubleQuotedStyle
			continue
		case "!!timestamp":
			if !yaml11Timestamp(in) {
				return mismatch()
			}
			n.Tag, n.Style = "!!str", yaml.DoubleQuotedStyle
			continue
		case "!!null", "!!bool", "!!int", "!!float":
		default:
			continue // other tags keep their text, as in yaml.v2
		}
		kind, text := resolveYAML11(in)
		switch {
		case n.Tag == "!!null" && kind == "null":
			n.Value = "null"
		case n.Tag == "!!bool" && kind == "bool",
			n.Tag == "!!float" && kind == "number",
			n.Tag == "!!int" && kind == "number" && yaml11Int(text):
			n.Value = text
		default:
			return mismatch()
		}
		n.Style = yaml.TaggedStyle
	}
	return nil
}

// yaml11Int reports whether yaml.v2 resolves plain (a scalar's text
// without underscores) as an integer rather than a float. Base prefixes
// 0x, 0o and 0b, with a sign, are part of strconv's base 0, so yaml.v2's
// separate 0b/-0b attempts never add anything.
func yaml11Int(plain string) bool {
	if _, err := strconv.ParseInt(plain, 0, 64); err == nil {
		return true
	}
	_, err := strconv.ParseUint(plain, 0, 64)
	return err == nil
}
