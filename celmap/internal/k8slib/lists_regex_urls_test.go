package k8slib

import (
	"testing"
	"time"

	"github.com/google/cel-go/common/types"
)

func TestLists(t *testing.T) {
	runCases(t, []evalCase{
		// isSorted
		{expr: `[1, 2, 3].isSorted()`, want: true},
		{expr: `['a', 'b', 'b', 'c'].isSorted()`, want: true},
		{expr: `[2.0, 1.0].isSorted()`, want: false},
		{expr: `[1].isSorted()`, want: true},
		{expr: `[].isSorted()`, want: true},
		{expr: `[uint(1), uint(3), uint(2)].isSorted()`, want: false},
		{expr: `[false, true].isSorted()`, want: true},
		{expr: `[b'b', b'a'].isSorted()`, want: false},
		{expr: `[duration('1s'), duration('1m')].isSorted()`, want: true},
		{expr: `[timestamp('2000-01-02T00:00:00Z'), timestamp('2000-01-01T00:00:00Z')].isSorted()`, want: false},
		{expr: `[[1], [2]].isSorted()`, wantCompileErr: `found no matching overload for 'isSorted'`},

		// sum
		{expr: `[1, 3].sum()`, want: 4},
		{expr: `[uint(1), uint(3)].sum()`, want: uint64(4)},
		{expr: `[1.0, 3.0].sum()`, want: 4.0},
		{expr: `[duration('1m'), duration('1s')].sum()`, want: types.Duration{Duration: time.Minute + time.Second}},
		{expr: `[].sum()`, want: 0},
		{expr: `[9223372036854775807, 1].sum()`, wantErr: "integer overflow"},
		{expr: `['a'].sum()`, wantCompileErr: `found no matching overload for 'sum'`},

		// min / max
		{expr: `[1, 3].min()`, want: 1},
		{expr: `[1, 3].max()`, want: 3},
		{expr: `[1].min()`, want: 1},
		{expr: `[3, 1, 2].min()`, want: 1},
		{expr: `['b', 'c', 'a'].max()`, want: "c"},
		{expr: `[true, false].min()`, want: false},
		{expr: `[duration('1s'), duration('1m')].max()`, want: types.Duration{Duration: time.Minute}},
		{expr: `[].min()`, wantErr: "min called on empty list"},
		{expr: `[].max()`, wantErr: "max called on empty list"},
		{expr: `([0] + [1, 2].filter(x, x > 5)).min()`, want: 0},

		// indexOf / lastIndexOf
		{expr: `[1, 2, 2, 3].indexOf(2)`, want: 1},
		{expr: `[1, 2, 2, 3].lastIndexOf(2)`, want: 2},
		{expr: `['a', 'b', 'b', 'c'].lastIndexOf('b')`, want: 2},
		{expr: `[1.0].indexOf(1.1)`, want: -1},
		{expr: `[].indexOf('string')`, want: -1},
		{expr: `[].lastIndexOf('string')`, want: -1},
		{expr: `[[1], [2]].indexOf([2])`, want: 1},
		{expr: `[1, 2].indexOf('a')`, wantCompileErr: `found no matching overload for 'indexOf'`},
		// the ext.Strings overloads still apply to strings
		{expr: `'abcabc'.lastIndexOf('b')`, want: 4},

		// includes (lists v1)
		{expr: `[1, 2, 3].includes(2)`, want: true},
		{expr: `[1, 2, 3].includes(4)`, want: false},
		{expr: `'model-a'.includes('model-a')`, want: true},
		{expr: `'model-a'.includes('model-b')`, want: false},
		{expr: `[[1, 2], [3]].includes([3])`, want: true},
		{expr: `{'a': 1}.includes('a')`, want: false},
		{expr: `[1, 2].includes('a')`, want: false},
	})
}

func TestRegex(t *testing.T) {
	runCases(t, []evalCase{
		{expr: `"abc 123".find('[0-9]+')`, want: "123"},
		{expr: `"abc 123".find('[0-9]*')`, want: ""},
		{expr: `"abc 123".find('xyz')`, want: ""},
		{expr: `"123 abc 456".findAll('[0-9]+')`, want: []string{"123", "456"}},
		{expr: `"123 abc 456".findAll('[0-9]+', 1)`, want: []string{"123"}},
		{expr: `"123 abc 456".findAll('[0-9]+', 0)`, want: []string{}},
		{expr: `"123 abc 456".findAll('[0-9]+', -1)`, want: []string{"123", "456"}},
		{expr: `"123 abc 456".findAll('xyz')`, want: []string{}},
		// dynamic patterns are compiled at evaluation time
		{expr: `"abc".find(['['][0])`, wantErr: "Illegal regex: error parsing regexp: missing closing ]: `[`"},
		{expr: `"abc".findAll(['['][0])`, wantErr: "Illegal regex: error parsing regexp: missing closing ]: `[`"},
		{expr: `"abc".findAll(['['][0], 1)`, wantErr: "Illegal regex: error parsing regexp: missing closing ]: `[`"},
		{expr: `"a1b2".find(['[0-9]'][0])`, want: "1"},
		{expr: `"a1b2".findAll(['[0-9]'][0], 5)`, want: []string{"1", "2"}},
		{expr: `1.find('a')`, wantCompileErr: `found no matching overload for 'find'`},
	})
}

func TestRegexConstantPatternRejectedAtProgramCreation(t *testing.T) {
	env := newTestEnv(t)
	for _, expr := range []string{`"abc".find('[')`, `"abc".findAll('[')`, `"abc".findAll('[', 2)`} {
		r := evalExpr(t, env, expr)
		if r.compileErr != "" || r.err == nil || r.err.Error() != "error parsing regexp: missing closing ]: `[`" {
			t.Errorf("%s: got compile error %q, error %v", expr, r.compileErr, r.err)
		}
	}
}

func TestURLs(t *testing.T) {
	runCases(t, []evalCase{
		{expr: `url('https://kubernetes.io/').getScheme()`, want: "https"},
		{expr: `url('https://example.com:80/').getHost()`, want: "example.com:80"},
		{expr: `url('https://example.com:80/').getHostname()`, want: "example.com"},
		{expr: `url('https://example.com:80/').getPort()`, want: "80"},
		{expr: `url('https://example.com/').getPort()`, want: ""},
		{expr: `url('https://[::1]:80/').getHost()`, want: "[::1]:80"},
		{expr: `url('https://[::1]:80/').getHostname()`, want: "::1"},
		{expr: `url('https://example.com/path with spaces/').getEscapedPath()`, want: "/path%20with%20spaces/"},
		{expr: `url('https://example.com/a%2Fb').getEscapedPath()`, want: "/a%2Fb"},
		{expr: `url('https://example.com/#frag').getEscapedPath()`, want: "/"},
		{expr: `url('https://example.com/p?x=1#frag').getQuery()`, want: map[string][]string{"x": {"1"}}},
		{expr: `url('https://example.com/?k=v&k=v2&e=').getQuery()`,
			want: map[string][]string{"k": {"v", "v2"}, "e": {""}}},
		{expr: `url('https://example.com/').getQuery()`, want: map[string][]string{}},
		{expr: `url('/absolute-path').getScheme()`, want: ""},
		{expr: `url('/absolute-path').getEscapedPath()`, want: "/absolute-path"},
		{expr: `url('https://a.b/') == url('https://a.b/')`, want: true},
		{expr: `url('https://a.b/') == url('https://a.b')`, want: false},
		{expr: `isURL('https://kubernetes.io/')`, want: true},
		{expr: `isURL('/absolute-path')`, want: true},
		{expr: `isURL('../relative-path')`, want: false},
		{expr: `isURL('')`, want: false},
		{expr: `isURL('https://a b/')`, want: false},
		{expr: `url('../relative-path')`,
			wantErr: `URL parse error during conversion from string: parse "../relative-path": invalid URI for request`},
		{expr: `url('')`, wantErr: `URL parse error during conversion from string: parse "": empty url`},
		{expr: `url(1)`, wantCompileErr: `found no matching overload for 'url'`},
		{expr: `'https://a.b/'.getScheme()`, wantCompileErr: `found no matching overload for 'getScheme'`},
	})
}
