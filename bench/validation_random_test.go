package bench

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	sigsyaml "sigs.k8s.io/yaml"
)

// TestDifferentialValidationRandom is a seeded randomized version of
// TestDifferentialValidation: it builds AuthenticationConfiguration
// documents from a pool of valid and invalid pieces, mutates their
// structure (deleted, duplicated, retyped and unknown fields, bogus
// apiVersion and kind, YAML scalar spellings), serializes them as YAML or
// JSON and compares kubeLoad with ourLoad exactly as TestDifferentialValidation
// does: the same decode decision, the same validation decision and, when
// both reject, the same aggregate error text.
//
// The seed defaults to a constant; STRUCTAUTH_VDIFF_SEED overrides it
// ("time" picks one from the clock) and STRUCTAUTH_VDIFF_N the count;
// STRUCTAUTH_VDIFF_INPUT=file compares that one file and logs both results;
// STRUCTAUTH_VDIFF_REPORT=k reports k differences of each kind (default 3)
// and STRUCTAUTH_VDIFF_DUMP=file writes every difference, minimized, there.
// Unknown discrepancies are minimized (the generated tree is shrunk while
// the same kind of difference persists) and reported with the input.
func TestDifferentialValidationRandom(t *testing.T) {
	if f := os.Getenv("STRUCTAUTH_VDIFF_INPUT"); f != "" {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		d := vdiffCompare(data)
		t.Logf("%q\n kube: decode=%v validate=%v\n ours: decode=%v validate=%v", d.kind, d.kd, d.kv, d.od, d.ov)
		return
	}
	seed := int64(20261203)
	if s := os.Getenv("STRUCTAUTH_VDIFF_SEED"); s != "" {
		if s == "time" {
			seed = time.Now().UnixNano()
		} else {
			v, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				t.Fatalf("STRUCTAUTH_VDIFF_SEED: %v", err)
			}
			seed = v
		}
	}
	n := 20000
	if testing.Short() {
		n = 1500
	}
	if s := os.Getenv("STRUCTAUTH_VDIFF_N"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("STRUCTAUTH_VDIFF_N: %v", err)
		}
		n = v
	}
	if s := os.Getenv("STRUCTAUTH_VDIFF_REPORT"); s != "" {
		vdiffReportMax, _ = strconv.Atoi(s)
	}
	var dump *os.File
	if f := os.Getenv("STRUCTAUTH_VDIFF_DUMP"); f != "" {
		var err error
		if dump, err = os.Create(f); err != nil {
			t.Fatal(err)
		}
		defer dump.Close()
	}
	t.Logf("seed %d, %d inputs", seed, n)
	r := rand.New(rand.NewSource(seed))

	var agree, skipped, differ, bothDecodeErr, bothValid, bothInvalid int
	skipCounts := map[string]int{}
	reported := map[string]int{}
	start := time.Now()
	ran := 0
	for i := 0; i < n; i++ {
		if budget := 25 * time.Second; os.Getenv("STRUCTAUTH_VDIFF_N") == "" && time.Since(start) > budget {
			t.Logf("stopping after %d inputs: over the %v budget (a slow or busy machine)", i, budget)
			break
		}
		ran++
		g := &vgen{r: r}
		format := g.format()
		g.yaml = format.name != "json"
		tree := g.document()
		data := format.render(tree)
		d := vdiffCompare(data)
		if d.kind == "" {
			agree++
			switch {
			case d.kd != nil:
				bothDecodeErr++
			case d.kv == nil:
				bothValid++
			default:
				bothInvalid++
			}
			continue
		}
		if name := knownValidationDiscrepancy(tree, format, d); name != "" {
			skipped++
			skipCounts[name]++
			continue
		}
		differ++
		if dump != nil {
			min := vdiffMinimize(tree, format, d.kind)
			md := vdiffCompare(format.render(min))
			fmt.Fprintf(dump, "=== input %d (%s): %s\n%s\n kube: decode=%v validate=%v\n ours: decode=%v validate=%v\n",
				i, format.name, d.kind, format.render(min), md.kd, md.kv, md.od, md.ov)
		}
		if reported[d.kind] >= vdiffReportMax {
			continue
		}
		reported[d.kind]++
		min := vdiffMinimize(tree, format, d.kind)
		md := vdiffCompare(format.render(min))
		shown := string(data)
		if len(shown) > 2000 {
			shown = shown[:2000] + "..."
		}
		t.Errorf("input %d (%s): %s\n--- input:\n%s\n--- minimized:\n%s\n kube: decode=%v validate=%v\n ours: decode=%v validate=%v",
			i, format.name, d.kind, shown, format.render(min), md.kd, md.kv, md.od, md.ov)
	}
	t.Logf("%d inputs in %v: %d agree (%d both fail decoding, %d both valid, %d both invalid), %d known discrepancies, %d differ",
		ran, time.Since(start).Round(time.Millisecond), agree, bothDecodeErr, bothValid, bothInvalid, skipped, differ)
	if differ > 0 {
		t.Errorf("%d inputs differ from kube-apiserver (the first of each kind are reported above)", differ)
	}
	names := make([]string, 0, len(skipCounts))
	for k := range skipCounts {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		t.Logf("known discrepancy %q: %d", k, skipCounts[k])
	}
}

// vdiffReportMax bounds the reports (each minimized) per kind of difference.
var vdiffReportMax = 3

// vdiffKnown is the skip list: known, not yet fixed differences between
// kube-apiserver (the reference) and structauth, by short name. An input is
// skipped when knownValidationDiscrepancy explains its difference by entries
// of this list only; delete an entry once it is fixed and the test fails
// again on any input it would have excused.
var vdiffKnown = map[string]string{

	// Kube quirk; ours differs. install.Install registers the internal
	// version too, so the UniversalDecoder of kubeLoad (and of kube-apiserver's
	// loadAuthenticationConfigFromData, pkg/kubeapiserver/options/
	// authentication.go, same codecs) decodes apiVersion
	// apiserver.config.k8s.io/__internal into the internal struct, whose
	// fields have no json tags: Go names (JWT, Issuer, URL, ...) decode and
	// are validated, "jwt" is an unknown field. structauth rejects the version.
	"internal-apiversion": "apiserver.config.k8s.io/__internal is accepted by kube",
}

// knownValidationDiscrepancy names the known differences (entries of
// vdiffKnown, joined by "+") that explain d, or returns "". Each is
// checked by undoing it: the input matches when ours, corrected for the
// known differences, agrees with kube.
func knownValidationDiscrepancy(tree any, f vformat, d vdiff) string {
	known := func(names ...string) string {
		for _, n := range names {
			if _, ok := vdiffKnown[n]; !ok {
				return ""
			}
		}
		return strings.Join(names, "+")
	}
	if d.kind == "decode differs" && d.kd == nil && d.od != nil &&
		strings.Contains(d.od.Error(), `"apiserver.config.k8s.io/__internal"`) {
		return known("internal-apiversion")
	}

	type attempt struct {
		names  []string
		od, ov error
	}
	attempts := []attempt{{nil, d.od, d.ov}}
	if vhasTag(tree) {
		norm, kubeErr := vresolveTags(tree, map[string]any{})
		if kubeErr {
			if d.kd != nil && d.od == nil && (strings.Contains(d.kd.Error(), "cannot decode !!") || strings.Contains(d.kd.Error(), "!!binary")) {
				return known("yaml-explicit-tag")
			}
		} else {
			od, ov := ourLoad(f.render(norm))
			attempts = append(attempts, attempt{[]string{"yaml-explicit-tag"}, od, ov})
		}
	}
	for _, a := range attempts {
		if (d.kd == nil) != (a.od == nil) {
			continue
		}
		if d.kd != nil {
			if len(a.names) > 0 {
				return known(a.names...)
			}
			continue
		}
		if (d.kv == nil) != (a.ov == nil) {
			continue
		}
		if d.kv == nil || d.kv.Error() == a.ov.Error() {
			if len(a.names) > 0 {
				return known(a.names...)
			}
			continue
		}
		if fixed := vjsonBadValues(a.ov.Error()); fixed == d.kv.Error() {
			if k := known(append(a.names, "typed-string-badvalue")...); k != "" {
				return k
			}
		}
	}
	return ""
}

var vtypedBadValue = regexp.MustCompile(`(audienceMatchPolicy|egressSelectorType): Invalid value: ("(?:[^"\\]|\\.)*")`)

// vjsonBadValues re-renders ours' %q bad values of the typed-string fields
// the way kube does (json.Marshal).
func vjsonBadValues(msg string) string {
	return vtypedBadValue.ReplaceAllStringFunc(msg, func(m string) string {
		sub := vtypedBadValue.FindStringSubmatch(m)
		v, err := strconv.Unquote(sub[2])
		if err != nil {
			return m
		}
		j, _ := json.Marshal(v)
		return sub[1] + ": Invalid value: " + string(j)
	})
}

// vtagged reports whether v is a raw node with an explicit tag.
func vtagged(v any) bool {
	r, ok := v.(vraw)
	if def, anchored := strings.CutPrefix(string(r), "&"); ok && anchored {
		_, body, _ := strings.Cut(def, " ")
		return strings.Contains(body, "!")
	}
	return ok && strings.HasPrefix(string(r), "!")
}

func vhasTag(v any) bool {
	var slots []*any
	vcollect(v, &slots, &v)
	for _, s := range slots {
		if vtagged(*s) {
			return true
		}
	}
	return false
}

// vresolveTags returns a copy of v with tagged raw nodes (and anchors and
// aliases, recorded in anchors) replaced by the values sigs.k8s.io/yaml
// gives them; kubeErr when one of them fails.
func vresolveTags(v any, anchors map[string]any) (out any, kubeErr bool) {
	switch x := v.(type) {
	case vobj:
		c := make(vobj, len(x))
		for i, e := range x {
			nv, bad := vresolveTags(e.v, anchors)
			if bad {
				return nil, true
			}
			c[i] = vkv{e.k, nv}
		}
		return c, false
	case []any:
		c := make([]any, len(x))
		for i, e := range x {
			nv, bad := vresolveTags(e, anchors)
			if bad {
				return nil, true
			}
			c[i] = nv
		}
		return c, false
	case vraw:
		if name, ok := strings.CutPrefix(string(x), "*"); ok {
			if a, ok := anchors[name]; ok {
				return a, false
			}
			return v, false
		}
		if def, ok := strings.CutPrefix(string(x), "&"); ok {
			name, body, _ := strings.Cut(def, " ")
			if !strings.Contains(body, "!") {
				return v, false
			}
			r, bad := vresolveRaw(body)
			anchors[name] = r
			return r, bad
		}
	}
	if !vtagged(v) {
		return v, false
	}
	return vresolveRaw(string(v.(vraw)))
}

func vresolveRaw(raw string) (out any, kubeErr bool) {
	j, err := sigsyaml.YAMLToJSON([]byte("v: " + raw + "\n"))
	if err != nil {
		return nil, true
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, true
	}
	return vfromJSON(m["v"]), false
}

func vfromJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		o := vobj{}
		for _, k := range keys {
			o = append(o, vkv{k, vfromJSON(x[k])})
		}
		return o
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = vfromJSON(e)
		}
		return l
	case json.Number:
		return vnum(x.String())
	}
	return v
}

// vdiff is one comparison of kubeLoad and ourLoad.
type vdiff struct {
	kd, kv, od, ov error
	kind           string // "" when they agree
}

// vdiffCompare applies TestDifferentialValidation's comparison.
func vdiffCompare(data []byte) vdiff {
	var d vdiff
	d.kd, d.kv = kubeLoad(data)
	d.od, d.ov = ourLoad(data)
	switch {
	case (d.kd == nil) != (d.od == nil):
		d.kind = "decode differs"
	case d.kd != nil:
	case (d.kv == nil) != (d.ov == nil):
		d.kind = "validation decision differs"
	case d.kv != nil && d.kv.Error() != d.ov.Error():
		d.kind = "validation text differs"
	}
	return d
}

// vdiffMinimize shrinks tree (deleting mapping entries and list items,
// replacing values by simpler ones) while the difference stays of kind
// and is not explained by a known discrepancy.
func vdiffMinimize(tree any, f vformat, kind string) any {
	still := func(c any) bool {
		d := vdiffCompare(f.render(c))
		return d.kind == kind && knownValidationDiscrepancy(c, f, d) == ""
	}
	cur := tree
	for round := 0; round < 20; round++ {
		changed := false
		for _, c := range vshrinks(cur) {
			if still(c) {
				cur, changed = c, true
				break
			}
		}
		if !changed {
			break
		}
	}
	return cur
}

// vshrinks returns the one-step simplifications of v, largest first.
func vshrinks(v any) []any {
	var out []any
	switch x := v.(type) {
	case vobj:
		for i := range x {
			c := append(append(vobj{}, x[:i]...), x[i+1:]...)
			out = append(out, c)
		}
		for i, e := range x {
			for _, s := range vshrinks(e.v) {
				c := append(vobj{}, x...)
				c[i] = vkv{e.k, s}
				out = append(out, c)
			}
		}
	case []any:
		for i := range x {
			c := append(append([]any{}, x[:i]...), x[i+1:]...)
			out = append(out, c)
		}
		for i, e := range x {
			for _, s := range vshrinks(e) {
				c := append([]any{}, x...)
				c[i] = s
				out = append(out, c)
			}
		}
	case string:
		if len(x) > 1 {
			out = append(out, x[:len(x)/2], "a")
		}
	}
	return out
}

// ---- document trees ----

// vobj is a mapping that keeps order and may hold duplicate keys.
type vobj []vkv

type vkv struct {
	k string
	v any
}

// vraw is emitted verbatim (YAML plain scalars such as yes, 0x10, ~).
type vraw string

// vnum is a number, emitted verbatim in both formats.
type vnum string

// ---- serialization ----

type vformat struct {
	name   string
	render func(any) []byte
}

func (g *vgen) format() vformat {
	switch g.r.Intn(7) {
	case 0, 1:
		return vformat{"json", func(v any) []byte { var b bytes.Buffer; vjson(&b, v); return b.Bytes() }}
	case 5:
		// JSON with text-level variations
		pre := g.pickS("", " ", "\n", "\ufeff", "\t")
		post := g.pickS("", "\n", " x", "{}", "\n\n", ",", "]", "\u0000")
		return vformat{"json-text", func(v any) []byte {
			var b bytes.Buffer
			b.WriteString(pre)
			vjson(&b, v)
			b.WriteString(post)
			return b.Bytes()
		}}
	case 2:
		return vformat{"yaml-flow", func(v any) []byte {
			var b bytes.Buffer
			b.WriteString("# flow\n")
			vjson(&b, v)
			b.WriteString("\n")
			return b.Bytes()
		}}
	case 3:
		// YAML with text-level variations around the document
		pre := g.pickS("---\n", "%YAML 1.1\n---\n", "\ufeff", "# c\n", "\n\n", "--- # c\n", "---\n---\n", " ", "\t")
		post := g.pickS("", "...\n", "---\n", "---\nfoo: bar\n", "---\napiVersion: x\n", "# end", "\n...\n---\n")
		crlf := g.p(0.2)
		return vformat{"yaml-text", func(v any) []byte {
			var b bytes.Buffer
			b.WriteString(pre)
			vyaml(&b, v, 0)
			b.WriteString(post)
			if crlf {
				return bytes.ReplaceAll(b.Bytes(), []byte("\n"), []byte("\r\n"))
			}
			return b.Bytes()
		}}
	default:
		return vformat{"yaml", func(v any) []byte { var b bytes.Buffer; vyaml(&b, v, 0); return b.Bytes() }}
	}
}

func vquote(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s)
	// DEL is valid raw in JSON but not in YAML: escape it for both
	return strings.ReplaceAll(strings.TrimSuffix(b.String(), "\n"), "\x7f", `\u007f`)
}

func vjson(b *bytes.Buffer, v any) {
	switch x := v.(type) {
	case vobj:
		b.WriteByte('{')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(vjsonKey(e.k))
			b.WriteByte(':')
			vjson(b, e.v)
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteByte(',')
			}
			vjson(b, e)
		}
		b.WriteByte(']')
	case string:
		b.WriteString(vquote(x))
	case vraw:
		b.WriteString(string(x))
	case vnum:
		b.WriteString(string(x))
	case bool:
		b.WriteString(strconv.FormatBool(x))
	case nil:
		b.WriteString("null")
	default:
		panic(fmt.Sprintf("vjson: %T", v))
	}
}

var vplainKey = func(k string) bool {
	if k == "" {
		return false
	}
	for _, c := range k {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// vrawKey marks a key that is emitted verbatim (already quoted or escaped).
const vrawKey = "\x00"

func vjsonKey(k string) string {
	if raw, ok := strings.CutPrefix(k, vrawKey); ok {
		return raw
	}
	return vquote(k)
}

func vyamlKey(k string) string {
	if raw, ok := strings.CutPrefix(k, vrawKey); ok {
		return raw
	}
	if vplainKey(k) {
		return k
	}
	return vquote(k)
}

// vyaml writes v as block YAML; indent is the column of v's keys or items.
func vyaml(b *bytes.Buffer, v any, indent int) {
	pad := strings.Repeat(" ", indent)
	switch x := v.(type) {
	case vobj:
		if len(x) == 0 {
			b.WriteString(pad + "{}\n")
			return
		}
		for _, e := range x {
			b.WriteString(pad + vyamlKey(e.k) + ":")
			vyamlValue(b, e.v, indent+2)
		}
	case []any:
		if len(x) == 0 {
			b.WriteString(pad + "[]\n")
			return
		}
		for _, e := range x {
			b.WriteString(pad + "-")
			if o, ok := e.(vobj); ok && len(o) > 0 {
				// first key on the dash line, the rest aligned under it
				var sub bytes.Buffer
				vyaml(&sub, o, indent+2)
				b.WriteString(" " + strings.TrimPrefix(sub.String(), pad+"  "))
				continue
			}
			vyamlValue(b, e, indent+2)
		}
	default:
		var s bytes.Buffer
		vjson(&s, v)
		b.WriteString(pad + s.String() + "\n")
	}
}

// vyamlValue writes the value after "key:" or "-".
func vyamlValue(b *bytes.Buffer, v any, indent int) {
	switch x := v.(type) {
	case vobj:
		if len(x) == 0 {
			b.WriteString(" {}\n")
			return
		}
		b.WriteString("\n")
		vyaml(b, x, indent)
	case []any:
		if len(x) == 0 {
			b.WriteString(" []\n")
			return
		}
		b.WriteString("\n")
		vyaml(b, x, indent)
	case string:
		if strings.Contains(x, "\n") && strings.HasSuffix(x, "\n") && !strings.ContainsAny(x, "\t\r") && !strings.HasPrefix(x, " ") {
			// literal block, as real files write PEM
			pad := strings.Repeat(" ", indent)
			b.WriteString(" |\n")
			for _, l := range strings.Split(strings.TrimSuffix(x, "\n"), "\n") {
				if l == "" {
					b.WriteString("\n")
				} else {
					b.WriteString(pad + l + "\n")
				}
			}
			return
		}
		b.WriteString(" " + vquote(x) + "\n")
	default:
		var s bytes.Buffer
		vjson(&s, v)
		b.WriteString(" " + s.String() + "\n")
	}
}

// ---- generation ----

type vgen struct {
	r    *rand.Rand
	yaml bool // the document is rendered as YAML: YAML-only mutations apply
	anch int

	discovery []string // discoveryURLs generated so far in this document
}

func (g *vgen) p(prob float64) bool { return g.r.Float64() < prob }

func (g *vgen) pick(xs ...any) any { return xs[g.r.Intn(len(xs))] }

func (g *vgen) pickS(xs ...string) string { return xs[g.r.Intn(len(xs))] }

const vdiffCA = `-----BEGIN CERTIFICATE-----
MIIBkDCCATegAwIBAgIUS2L75t2r5roZpyTBUAnniy/O3jowCgYIKoZIzj0EAwIw
HTEbMBkGA1UEAwwSc3RydWN0YXV0aCB0ZXN0IENBMCAXDTI2MTEyMjE4NTYwOVoY
DzIxMjYxMDI5MTg1NjA5WjAdMRswGQYDVQQDDBJzdHJ1Y3RhdXRoIHRlc3QgQ0Ew
WTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAS8dWB0Huv0RKZQNT+IYYZvFwV7r0uW
JlZun2HG4cikGpaka/uR0Z7/AqIPVfIxCVGNUabYpaHdjUeqcgRPqS1no1MwUTAd
BgNVHQ4EFgQUReX9x4gSNFJCssvQ7/FWM7caoYkwHwYDVR0jBBgwFoAUReX9x4gS
NFJCssvQ7/FWM7caoYkwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNHADBE
AiA0Vw1zDydEgma9ydwEfAoFV+PmExUKG9zpWSUx6dWHoQIgY8m+GItwlU0odNuY
zMMS8btqC48QYp61Oq8aUzQtMe8=
-----END CERTIFICATE-----
`

func (g *vgen) document() any {
	if g.p(0.01) {
		return g.pick(vobj{}, []any{}, "x", nil, vnum("1"), vraw(""), vraw("---"))
	}
	doc := vobj{}
	if !g.p(0.04) {
		av := "apiserver.config.k8s.io/" + g.pickS("v1", "v1beta1", "v1alpha1")
		if g.p(0.08) {
			av = g.pickS("apiserver.config.k8s.io/v2", "apiserver.k8s.io/v1", "v1", "", "apiserver.config.k8s.io/V1",
				"apiserver.config.k8s.io", "apiserver.config.k8s.io/v1/", "/v1", "APISERVER.config.k8s.io/v1", "apiserver.config.k8s.io/v1beta2",
				"apiserver.config.k8s.io/__internal", "apiserver.config.k8s.io/v1 ", " apiserver.config.k8s.io/v1", "apiserver.config.k8s.io/v1alpha1/x")
		}
		doc = append(doc, vkv{"apiVersion", av})
	}
	if !g.p(0.04) {
		kind := "AuthenticationConfiguration"
		if g.p(0.08) {
			kind = g.pickS("authenticationConfiguration", "AuthorizationConfiguration", "EgressSelectorConfiguration",
				"EncryptionConfiguration", "AdmissionConfiguration", "TracingConfiguration", "", "Foo", "AuthenticationConfigurationList",
				"AuthenticationConfiguration ")
		}
		doc = append(doc, vkv{"kind", kind})
	}
	if g.p(0.2) {
		doc.shuffle(g.r)
	}
	if g.p(0.9) {
		var jwt []any
		switch k := g.r.Intn(10); {
		case k == 0:
		case k < 6:
			jwt = append(jwt, g.authenticator(nil))
		default:
			m := 2 + g.r.Intn(3)
			var prev []string
			for j := 0; j < m; j++ {
				jwt = append(jwt, g.authenticator(prev))
				prev = append(prev, vissuerURL(jwt[len(jwt)-1]))
			}
		}
		if g.p(0.005) {
			for len(jwt) < 65 {
				jwt = append(jwt, g.authenticator(nil))
			}
		}
		if jwt == nil {
			doc = append(doc, vkv{"jwt", g.pick([]any{}, nil)})
		} else {
			doc = append(doc, vkv{"jwt", jwt})
		}
	}
	if g.p(0.3) {
		doc = append(doc, vkv{"anonymous", g.anonymous()})
	}
	if g.p(0.03) {
		doc = append(doc, vkv{"authorizers", []any{}})
	}
	var out any = doc
	for m := g.mutations(); m > 0; m-- {
		out = g.mutate(out)
	}
	return out
}

func vissuerURL(a any) string {
	o, _ := a.(vobj)
	for _, e := range o {
		if e.k == "issuer" {
			is, _ := e.v.(vobj)
			for _, f := range is {
				if f.k == "url" {
					s, _ := f.v.(string)
					return s
				}
			}
		}
	}
	return ""
}

func (o *vobj) shuffle(r *rand.Rand) {
	r.Shuffle(len(*o), func(i, j int) { (*o)[i], (*o)[j] = (*o)[j], (*o)[i] })
}

func (g *vgen) mutations() int {
	switch x := g.r.Intn(10); {
	case x < 6:
		return 0
	case x < 9:
		return 1
	default:
		return 2 + g.r.Intn(3)
	}
}

func (g *vgen) anonymous() any {
	a := vobj{}
	if g.p(0.8) {
		a = append(a, vkv{"enabled", g.p(0.6)})
	}
	if g.p(0.6) {
		var cs []any
		for n := g.r.Intn(3); n > 0; n-- {
			cs = append(cs, vobj{{"path", g.pickS("/livez", "/readyz", "/healthz", "", "livez", "/livez", "/<a&b>", "/\x01\x7f\u0085")}})
		}
		if g.p(0.1) {
			cs = append(cs, vobj{})
		}
		if cs == nil {
			a = append(a, vkv{"conditions", g.pick([]any{}, nil)})
		} else {
			a = append(a, vkv{"conditions", cs})
		}
	}
	return a
}

var vlong = "https://" + strings.Repeat("a", 300) + ".example.com/" + strings.Repeat("p", 5000)

func (g *vgen) url() string {
	if g.p(0.6) {
		return g.pickS("https://issuer.example.com", "https://idp.example.com/realms/k8s", "https://a", "https://b.example.org/x")
	}
	return g.pickS("https://issuer.example.com/", "http://issuer.example.com", "https://u:p@issuer.example.com",
		"https://u@issuer.example.com", "https://issuer.example.com?x=1", "https://issuer.example.com?", "https://issuer.example.com#f",
		"https://issuer.example.com#", "issuer.example.com", "not a url", "::", "https://", "", "HTTPS://issuer.example.com",
		"https://issuer.example.com:99999", "https://[::1", "https://%zz", "https://issuer.example.com/%zz", " https://a",
		"https://a\n", "https://a b", "ftp://a", "//a", "https:a", "https://a//", "https://a/.well-known/openid-configuration",
		vlong, "http://u:p@x?q#f", "https://ünicode.example", "\x7f", "https://[::1]:443", "https://[fe80::1%25en0]/x",
		"https://a:0", "https://a:port", "https://a:-1", "https://a/%2F", "https://a/\u2028", "https://a\x00", "https:///x",
		"https://a/?", "https://a/#", "https://@a", "https://:@a", "https://a/p?q=1#f")
}

func (g *vgen) authenticator(prev []string) any {
	is := vobj{}
	u := g.url()
	if len(g.discovery) > 0 && g.p(0.2) {
		u = g.discovery[g.r.Intn(len(g.discovery))] // an issuer URL equal to another's discoveryURL
	}
	if len(prev) > 0 && g.p(0.3) {
		u = prev[g.r.Intn(len(prev))]
		if g.p(0.3) {
			u += "/"
		}
	}
	if !g.p(0.03) {
		is = append(is, vkv{"url", u})
	}
	if g.p(0.3) {
		var d string
		switch g.r.Intn(5) {
		case 0:
			d = u
		case 1:
			d = u + "/"
		case 2:
			d = strings.TrimRight(u, "/") + "//"
		case 3:
			d = g.pickS("https://disc.example.com/.well-known/openid-configuration", "https://d", "")
		default:
			d = g.url()
		}
		if len(g.discovery) > 0 && g.p(0.4) {
			d = g.discovery[g.r.Intn(len(g.discovery))]
		}
		g.discovery = append(g.discovery, d)
		is = append(is, vkv{"discoveryURL", d})
	}
	if !g.p(0.05) {
		var auds []any
		switch g.r.Intn(10) {
		case 0:
		case 1:
			auds = []any{"a", "a"}
		case 2:
			auds = []any{""}
		case 3:
			auds = []any{"a", "", "b", ""}
		case 4:
			for i := 0; i < 70; i++ {
				auds = append(auds, fmt.Sprintf("aud-%d", i%60))
			}
		case 5, 6:
			auds = []any{"x", "y"}
		default:
			auds = []any{g.pickS("my-api", "kubectl", "a")}
		}
		if auds == nil {
			is = append(is, vkv{"audiences", g.pick([]any{}, nil)})
		} else {
			is = append(is, vkv{"audiences", auds})
		}
	}
	if g.p(0.45) {
		odd := []string{"MatchAny", "MatchAny", "", "matchany", "MatchAll", "MATCHANY"}
		if g.p(0.1) {
			odd = []string{"<Match&Any>", "Match\x01Any", "MatchAny\x7f", "Match\u0085Any", "MatchAny\u2028", "'\"MatchAny\"'"}
		}
		is = append(is, vkv{"audienceMatchPolicy", g.pickS(odd...)})
	}
	if g.p(0.2) {
		is = append(is, vkv{"certificateAuthority", g.pickS(vdiffCA, vdiffCA+vdiffCA, "garbage",
			"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", strings.Replace(vdiffCA, "MIIB", "MIIC", 1), "", "\n",
			"-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIE\n-----END PRIVATE KEY-----\n")})
	}
	if g.p(0.2) {
		odd := []string{"controlplane", "cluster", "ControlPlane", "", "etcd", "master"}
		if g.p(0.1) {
			odd = []string{"<cluster>", "a&b", "cluster\x00", "\x1b[31mred"}
		}
		is = append(is, vkv{"egressSelectorType", g.pickS(odd...)})
	}
	if g.p(0.1) {
		is.shuffle(g.r)
	}
	a := vobj{{"issuer", is}}
	if g.p(0.4) {
		var rules []any
		for n := 1 + g.r.Intn(3); n > 0; n-- {
			rules = append(rules, g.claimRule())
		}
		if g.p(0.1) && len(rules) > 0 {
			rules = append(rules, rules[0])
		}
		a = append(a, vkv{"claimValidationRules", rules})
	}
	if !g.p(0.05) {
		a = append(a, vkv{"claimMappings", g.claimMappings()})
	}
	if g.p(0.3) {
		var rules []any
		for n := 1 + g.r.Intn(3); n > 0; n-- {
			r := vobj{{"expression", g.userExpr()}}
			if g.p(0.4) {
				r = append(r, vkv{"message", g.pickS("no", "")})
			}
			rules = append(rules, r)
		}
		if g.p(0.1) {
			rules = append(rules, rules[0])
		}
		a = append(a, vkv{"userValidationRules", rules})
	}
	if g.p(0.1) {
		a.shuffle(g.r)
	}
	return a
}

// claimsExpr returns a CEL expression over claims; want is the result
// type the context expects ("bool", "string", "list", "any").
func (g *vgen) claimsExpr(want string) string {
	if g.p(0.001) {
		// past cel-go's default expression size limit (100k code points)
		return "claims.sub == '" + strings.Repeat("a", 100001) + "'"
	}
	if g.p(0.6) {
		switch want {
		case "bool":
			if g.p(0.3) {
				return g.pickS("claims['email_verified'] == true", "has(claims.email_verified)", "dyn(claims).email_verified == true",
					"claims.?email_verified == optional.of(true)", "[claims.email_verified][0] == true",
					"{'k': claims.email_verified}.k == true", "claims.x.email_verified == true", "claims.email_verified",
					"claims.groups.all(g, claims.email_verified == true)", "cel.bind(v, claims.email_verified, v == true)")
			}
			return g.pickS("claims.exp - claims.iat <= 3600", "claims.?email_verified.orValue(true) == true", "has(claims.sub)",
				"true", "claims.email_verified == true", "claims.sub != ''", "claims.?tenant.orValue('') == 'acme'")
		case "string":
			if g.p(0.3) {
				// the forms kube's hasSelectExp does or does not see as claims.email / claims.email_verified
				return g.pickS("claims['email']", "dyn(claims).email", "cel.bind(e, claims.email, e)", "[claims.email][0]",
					"{'a': claims.email}['a']", "claims.email.lowerAscii()", "has(claims.email) ? claims.email : claims.sub",
					"claims.?email.orValue(claims.sub)", "claims.email_verified ? claims.email : claims.sub", "claims.emails",
					"claims.email_verified_x", "claims.email + string(claims['email_verified'])",
					"claims.email + string(has(claims.email_verified))", "claims.email + string(dyn(claims).email_verified)",
					"claims.email + string(claims.?email_verified.orValue(false))", "claims.email + string([claims.email_verified][0])",
					"claims.email + string({'k': claims.email_verified}.k)", "[claims.email_verified].map(v, claims.email)[0]",
					"claims.groups.exists(g, claims.email_verified) ? claims.email : ''", "claims.x.email", "claims.email.email_verified")
			}
			return g.pickS("claims.sub", "'idp:' + claims.email", "claims.email", "claims.?email.orValue('')",
				"claims.email_verified ? claims.email : ''", "'%s'.format([claims.sub])", "claims.tenant")
		case "list":
			return g.pickS("claims.groups", "has(claims.groups) ? dyn(claims.groups).map(g, 'x:' + g) : []", "['a', 'b']",
				"claims.?roles.orValue([])", "claims.groups.map(g, g)")
		default:
			return g.pickS("claims.tenant", "claims.?roles.orValue([])", "[claims.sub]", "claims.email", "string(claims.?email_verified.orValue(false))")
		}
	}
	return g.pickS("claims.a ==", "claims.", "(", "'unterminated", "1 + 'a'", "claims.a + 1 == 'x' + 1", "1", "'s'",
		"true", "[1, 2]", "{'a': 1}", "user.username", "foo.bar", "request.x", "claims.email", "claims.email_verified",
		"size(claims) > 0", "claims.sub.startsWith(1)", "null", "dyn(1)", "claims['email']", "claims.?email",
		"claims.email + claims.email_verified", "duration('1h')", "1.5", "b'x'", "uint(1)", "claims.exp > 1",
		"[claims.email, claims.email_verified][0]", "has(claims.email_verified) && claims.email != ''", " ", "\t",
		vcelLibrary[g.r.Intn(len(vcelLibrary))], vcelLibrary[g.r.Intn(len(vcelLibrary))], vcelLibrary[g.r.Intn(len(vcelLibrary))],
		vcelOdd[g.r.Intn(len(vcelOdd))], vcelOdd[g.r.Intn(len(vcelOdd))])
}

// vcelLibrary uses the Kubernetes CEL libraries and cel-go extensions of
// the StoredExpressions environment, with results of various types.
var vcelLibrary = []string{
	"isURL(claims.sub)", "url('https://a/b').getHost() == 'a'", "url(claims.iss).getScheme()",
	"claims.sub.matches('^a.*')", "claims.sub.find('[0-9]+')", "claims.sub.findAll('[0-9]+')",
	"'a,b'.split(',')", "claims.sub.lowerAscii()", "claims.sub.upperAscii() == 'A'", "claims.sub.replace('a', 'b')",
	"claims.sub.indexOf('a') >= 0", "claims.sub.substring(1)", "claims.sub.trim()", "'abc'.reverse()",
	"strings.quote(claims.sub)", "claims.groups.join(',')", "['b', 'a'].sort()", "[1, 2].isSorted()",
	"claims.groups.sum()", "[1, 2].min() == 1", "[3, 1].max()", "claims.groups.indexOf('a')",
	"quantity('1Gi').isGreaterThan(quantity('1'))", "isQuantity(claims.sub)", "ip('1.2.3.4').family() == 4",
	"isIP(claims.sub)", "cidr('10.0.0.0/8').containsIP('10.1.1.1')", "string(ip('::1'))", "semver('1.0.0').major() == 1",
	"isSemver(claims.sub)", "'%d'.format([1])", "'%s-%s'.format([claims.sub])", "base64.encode(b'x')",
	"string(base64.decode('eA=='))", "math.greatest(1, 2) == 2", "math.least([1, 2])", "math.ceil(1.5) == 2.0",
	"math.isNaN(0.0/0.0)", "math.bitOr(1, 2) == 3", "sets.contains([1], [1])", "sets.intersects(claims.groups, ['a'])",
	"lists.range(3).size() == 3", "optional.of(1).hasValue()", "optional.none().orValue('x')",
	"claims.?a.?b.orValue('') == ''", "claims.groups.all(i, g, g != '')", "[1, 2].transformList(i, v, v * 2)",
	"{'a': 1}.transformMap(k, v, v + 1)", "cel.bind(x, claims.sub, x + x)", "claims.groups.exists_one(g, g == 'a')",
	"claims.groups.filter(g, g.startsWith('a'))", "type(claims.sub) == string", "int(claims.exp) > 0",
	"timestamp(claims.iat) < timestamp('2030-01-01T00:00:00Z')", "duration('1h') > duration('1m')",
	"now > 0", "authorizer.path('/x').check('get').allowed()", "claims.exp < now()", "jsonpatch.escapeKey('a/b')",
	"format.dns1123Label().validate('a').hasValue()", "claims.groups.distinct()", "claims.groups.flatten()",
	"[[1], [2]].flatten()", "lists.range(2).reverse()", "claims.sub.charAt(0)", "claims.sub.lastIndexOf('a')",
	"dyn(claims).sub", "claims.map(k, k)", "claims.all(k, k != '')", "claims.exists(k, k == 'sub')",
	"claims.sub in ['a', 'b']", "'a' in claims", "claims.groups.size() > 0 ? claims.groups[0] : ''",
	"user.username == claims.sub", "claims.email_verified && claims.email.endsWith('@example.com')",
}

// vcelOdd are expressions that stress the parser and the error printer.
var vcelOdd = []string{
	strings.Repeat("(", 260) + "true" + strings.Repeat(")", 260),
	strings.Repeat("'a' + ", 200) + "'a'",
	strings.Repeat("!", 300) + "true",
	"claims.sub ==\n'x' &&\n claims.", "claims.é == 'x'", "'é' + 1", "\u00e9", "claims.sub == 'x' // comment",
	`claims.sub == "x"`, "claims.sub == r'x'", `claims.sub == '''x'''`, `b'\xff' == b'\xff'`,
	"1 + + 1", "claims[", "[", "{", "claims.sub.", ".claims", "claims..sub", "has(claims)", "has(claims.a.b)",
	"claims.a.b.c.d.e == 1", "9223372036854775808", "-9223372036854775809 < 0", "1u + 1", "0x10 == 16",
	"1.0 == 1", "'a' < 1", "[1, 'a']", "{'a': 1, 'a': 2}", "{1: 'a', 'b': 2}", "claims.sub +", "\x00",
}

func (g *vgen) userExpr() string {
	if g.p(0.5) {
		return g.pickS("user.username != ''", "!user.username.startsWith('system:')", "user.groups.all(g, !g.startsWith('system:'))",
			"user.extra.size() >= 0", "user.uid == ''", "true")
	}
	return g.pickS("claims.sub == 'x'", "user.foo == 1", "user.username", "1", "user.username ==", "", "user", "user.groups",
		"has(user.uid)", "user.extra['a'].size() > 0", "'x'", "null", "users.username == ''", " ",
		"user.username.matches('^a')", "user.groups.exists(g, g == 'x')", "user.extra.all(k, k != '')",
		"'a' in user.extra", "user.username == claims.sub", "user.groups.all(i, g, g != '')", "user.uid.size()",
		"has(user.extra.x)", "user.extra.x.size() > 0", "user.groups.isSorted()", "user['username'] == ''",
		"type(user) == kubernetes.UserInfo", "user == user", "user.groups + ['a'] == []", "user.username > 1",
		vcelOdd[g.r.Intn(len(vcelOdd))])
}

func (g *vgen) claimRule() any {
	r := vobj{}
	switch g.r.Intn(6) {
	case 0:
		r = append(r, vkv{"claim", g.pickS("tenant", "hd", "email", "")}, vkv{"requiredValue", g.pickS("acme", "", "x")})
	case 1:
		r = append(r, vkv{"expression", g.claimsExpr("bool")})
	case 2:
		r = append(r, vkv{"claim", "tenant"}, vkv{"expression", g.claimsExpr("bool")})
	case 3:
		r = append(r, vkv{"expression", g.claimsExpr("bool")}, vkv{"requiredValue", "x"})
	case 4:
		// neither
		if g.p(0.5) {
			r = append(r, vkv{"message", "m"})
		}
	default:
		r = append(r, vkv{"claim", "tenant"})
	}
	if g.p(0.3) {
		r = append(r, vkv{"message", g.pickS("must", "", "token lifetime must be at most one hour")})
	}
	return r
}

func (g *vgen) prefixed(required bool, claims ...string) any {
	m := vobj{}
	want := "string"
	if !required {
		want = "list"
	}
	switch g.r.Intn(9) {
	case 0, 1:
		m = append(m, vkv{"claim", g.pickS(claims...)}, vkv{"prefix", g.pickS("", "", "idp:", "oidc:")})
	case 2:
		m = append(m, vkv{"claim", g.pickS(claims...)}) // missing prefix
	case 3:
		m = append(m, vkv{"claim", g.pickS(claims...)}, vkv{"prefix", nil})
	case 4, 5:
		m = append(m, vkv{"expression", g.claimsExpr(want)})
	case 6:
		m = append(m, vkv{"expression", g.claimsExpr(want)}, vkv{"prefix", g.pickS("", "p:")})
	case 7:
		m = append(m, vkv{"claim", g.pickS(claims...)}, vkv{"expression", g.claimsExpr(want)})
		if g.p(0.5) {
			m = append(m, vkv{"prefix", ""})
		}
	default:
		if g.p(0.5) {
			m = append(m, vkv{"expression", ""})
		}
		if g.p(0.5) {
			m = append(m, vkv{"claim", ""})
		}
		if g.p(0.3) {
			m = append(m, vkv{"prefix", "x"})
		}
	}
	return m
}

func (g *vgen) claimMappings() any {
	cm := vobj{}
	if !g.p(0.05) {
		cm = append(cm, vkv{"username", g.prefixed(true, "sub", "email", "email", "preferred_username")})
	}
	if g.p(0.5) {
		cm = append(cm, vkv{"groups", g.prefixed(false, "groups", "roles")})
	}
	if g.p(0.4) {
		uid := vobj{}
		switch g.r.Intn(5) {
		case 0, 1:
			uid = append(uid, vkv{"claim", g.pickS("sub", "oid", "")})
		case 2, 3:
			uid = append(uid, vkv{"expression", g.claimsExpr("string")})
		default:
			uid = append(uid, vkv{"claim", "sub"}, vkv{"expression", g.claimsExpr("string")})
		}
		cm = append(cm, vkv{"uid", uid})
	}
	if g.p(0.4) {
		var ex []any
		for n := g.r.Intn(4); n > 0; n-- {
			e := vobj{}
			if !g.p(0.05) {
				e = append(e, vkv{"key", g.pickS("example.org/a", "example.com/tenant", "Example.org/A", "foo",
					"kubernetes.io/x", "sub.k8s.io/x", "k8s.io/x", "example.org/", "/x", "", "example.org/a b",
					"a.b/c/d", "example.org/a", "notkubernetes.io/x", "k8s.io", "x.kubernetes.io/y", "EXAMPLE.org/a",
					"example.org/"+strings.Repeat("x", 300), strings.Repeat("a", 64)+".org/x", strings.Repeat("a.", 130)+"org/x",
					"a..b/c", "-a.org/x", "exa_mple.org/x", "example.org//x", "example.org/a%20b", "kubernetes.io", "/",
					"example.org/é", "k8s.io/", "xk8s.io/a", "sub.xkubernetes.io/a")})
			}
			if !g.p(0.05) {
				if g.p(0.15) {
					e = append(e, vkv{"valueExpression", ""})
				} else {
					e = append(e, vkv{"valueExpression", g.claimsExpr("any")})
				}
			}
			ex = append(ex, e)
		}
		if len(ex) > 0 && g.p(0.2) {
			ex = append(ex, ex[0])
		}
		if ex == nil {
			cm = append(cm, vkv{"extra", []any{}})
		} else {
			cm = append(cm, vkv{"extra", ex})
		}
	}
	return cm
}

// ---- structural mutations ----

// vscalars are the replacement values for type changes.
func (g *vgen) scalar() any {
	switch g.r.Intn(7) {
	case 0:
		return g.pick("", "x", "1", "true", "null")
	case 1:
		return vnum(g.pickS("1", "0", "-1", "1.5", "1e3", "-0", "1e400", "12345678901234567890"))
	case 2:
		return g.r.Intn(2) == 0
	case 3:
		return nil
	case 4:
		return []any{g.pick("a", vnum("1"), true)}
	case 5:
		return vobj{{"a", "b"}}
	default:
		// YAML-only spellings; in JSON they are syntax errors
		return vraw(g.pickS("yes", "no", "on", "off", "y", "n", "True", "FALSE", "~", "Null", "0x10", "010", "0o10",
			"1_000", ".inf", "-.Inf", ".nan", "1:20", "2001-12-14", "!!str 1", "!!int \"1\"", "!!binary aGk=",
			"&a x", "*a", "''", "'single'", "plain text", "|\n  x", "[]", "{}", "=", "<<: {a: 1}", "!!null ''"))
	}
}

// collect lists every mapping or list node with a way to rebuild it.
func vcollect(v any, out *[]*any, slot *any) {
	*out = append(*out, slot)
	switch x := v.(type) {
	case vobj:
		for i := range x {
			vcollect(x[i].v, out, &x[i].v)
		}
	case []any:
		for i := range x {
			vcollect(x[i], out, &x[i])
		}
	}
}

func (g *vgen) mutate(root any) any {
	var slots []*any
	rootSlot := root
	vcollect(rootSlot, &slots, &rootSlot)
	si := g.r.Intn(len(slots))
	s := slots[si]
	op := g.r.Intn(8)
	if g.yaml && g.p(0.3) {
		op = 8 + g.r.Intn(4)
	}
	if g.p(0.06) {
		op = 12
	} else if g.p(0.003) {
		op = 13
	}
	switch op {
	case 8, 9: // YAML tag on a scalar
		*s = g.tagged(*s)
	case 10: // anchor and alias
		if si+1 < len(slots) {
			t := slots[si+1+g.r.Intn(len(slots)-si-1)]
			var b bytes.Buffer
			vjson(&b, *s)
			g.anch++
			name := fmt.Sprintf("a%d", g.anch)
			if !vcontains(*s, t) {
				*s = vraw("&" + name + " " + b.String())
				*t = vraw("*" + name)
			}
		}
	case 11: // merge key
		if x, ok := (*s).(vobj); ok && len(x) > 0 {
			i := g.r.Intn(len(x) + 1)
			var b bytes.Buffer
			vjson(&b, x[:i])
			rest := append(vobj{}, x[i:]...)
			if g.p(0.3) && i > 0 {
				rest = append(rest, x[0]) // an explicit key overrides a merged one
			}
			*s = append(vobj{{"<<", vraw(b.String())}}, rest...)
		}
	case 0: // change type
		*s = g.scalar()
	case 1: // delete a field / list item
		switch x := (*s).(type) {
		case vobj:
			if len(x) > 0 {
				i := g.r.Intn(len(x))
				*s = append(append(vobj{}, x[:i]...), x[i+1:]...)
			}
		case []any:
			if len(x) > 0 {
				i := g.r.Intn(len(x))
				*s = append(append([]any{}, x[:i]...), x[i+1:]...)
			}
		}
	case 2: // duplicate a key (same or different value)
		if x, ok := (*s).(vobj); ok && len(x) > 0 {
			e := x[g.r.Intn(len(x))]
			if g.p(0.5) {
				e.v = g.scalar()
			}
			*s = append(append(vobj{}, x...), e)
		}
	case 3: // unknown field
		if x, ok := (*s).(vobj); ok {
			k := g.pickS("unknown", "foo", "metadata", "status", "Issuer", "URL", "Url", "audience", "claim_mappings", "apiversion", "Kind", "jwt ", "")
			var v any = "x"
			if k == "metadata" {
				v = vobj{{"name", "x"}}
			}
			*s = append(append(vobj{}, x...), vkv{k, v})
		}
	case 4: // empty string or unusual escapes
		if _, ok := (*s).(string); ok && g.p(0.5) {
			*s = ""
		} else if ok {
			*s = vraw(g.pickS(`"a\ud800b"`, `"\u0000"`, `"\u2028"`, `"a\u0085b"`, `"\ufeffx"`, `"\ud83d\ude00"`,
				`"\/x"`, `"a\tb"`, `"\x41"`, `"\N"`, `"\e"`, `"\U0001F600"`, `"a\
  b"`, `'it''s'`, `"\u00e9"`))
		} else {
			*s = g.scalar()
		}
	case 5: // wrong case of a key
		if x, ok := (*s).(vobj); ok && len(x) > 0 {
			c := append(vobj{}, x...)
			i := g.r.Intn(len(c))
			if c[i].k == "" {
				break
			}
			c[i].k = g.pickS(strings.ToUpper(c[i].k[:1])+c[i].k[1:], strings.ToLower(c[i].k), strings.ToUpper(c[i].k))
			*s = c
		}
	case 12: // spell a key differently: escapes, other quotes
		if x, ok := (*s).(vobj); ok && len(x) > 0 {
			c := append(vobj{}, x...)
			i := g.r.Intn(len(c))
			k := strings.TrimPrefix(c[i].k, vrawKey)
			var esc strings.Builder
			for _, ch := range k {
				fmt.Fprintf(&esc, "\\u%04x", ch)
			}
			forms := []string{`"` + esc.String() + `"`, `"` + k + `"`}
			if g.yaml {
				forms = append(forms, "'"+k+"'", k+" ", "!!str "+k, "&k"+k+" "+k)
			}
			c[i].k = vrawKey + g.pickS(forms...)
			*s = c
		}
	case 13: // very deep nesting
		depth := g.pickS("100", "1000", "10001", "100001")
		n, _ := strconv.Atoi(depth)
		*s = vraw(strings.Repeat("[", n) + strings.Repeat("]", n))
	case 6: // wrap a scalar in a list or a list in a mapping
		switch x := (*s).(type) {
		case []any:
			*s = vobj{{"items", x}}
		default:
			*s = []any{x}
		}
	default: // null
		*s = nil
	}
	return rootSlot
}

// vcontains reports whether slot lies inside v.
func vcontains(v any, slot *any) bool {
	var slots []*any
	vcollect(v, &slots, &v)
	for _, s := range slots[1:] {
		if s == slot {
			return true
		}
	}
	return false
}

// tagged returns v with an explicit YAML tag, sometimes a mismatched one.
func (g *vgen) tagged(v any) any {
	var b bytes.Buffer
	vjson(&b, v)
	text := b.String()
	switch x := v.(type) {
	case string:
		switch g.r.Intn(8) {
		case 0:
			return vraw("!!str " + text)
		case 1:
			return vraw("!!binary " + vquote(base64.StdEncoding.EncodeToString([]byte(x))))
		case 2:
			return vraw("!<tag:yaml.org,2002:str> " + text)
		case 3:
			return vraw("!custom " + text)
		case 4:
			return vraw("!!null " + text)
		case 5:
			return vraw("!!int " + text)
		case 6:
			return vraw("!!bool " + text)
		default:
			return vraw("! " + text)
		}
	case bool, vnum, nil:
		tag := g.pickS("!!str", "!!int", "!!float", "!!bool", "!!null", "!!binary", "!!timestamp")
		if g.p(0.5) {
			text = "'" + text + "'"
		}
		return vraw(tag + " " + text)
	case vobj:
		return vraw(g.pickS("!!map ", "!!omap ", "!!set ", "!!seq ") + text)
	case []any:
		return vraw(g.pickS("!!seq ", "!!map ", "!!omap ") + text)
	}
	return v
}
