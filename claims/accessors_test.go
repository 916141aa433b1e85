package claims

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// errType marks an expected error that is neither ErrNotPresent nor from
// encoding/json: the claim has the wrong JSON type or range.
var errType = errors.New("wrong type")

func parseOne(t *testing.T, raw string) *Set {
	t.Helper()
	s, err := Parse([]byte(`{"c":` + raw + `}`))
	require.NoError(t, err, raw)
	return s
}

func checkErr(t *testing.T, want, got error) {
	t.Helper()
	switch want {
	case nil:
		require.NoError(t, got)
	case errType:
		require.Error(t, got)
		require.NotErrorIs(t, got, ErrNotPresent)
		require.Contains(t, got.Error(), `claims: claim "c"`)
	default:
		require.ErrorIs(t, got, want)
	}
}

func TestString(t *testing.T) {
	cases := []struct {
		raw     string
		want    string
		wantErr error
	}{
		{`"jane"`, "jane", nil},
		{`""`, "", nil},
		{`"a\"b\\c\/\u00e9\n"`, "a\"b\\c/é\n", nil},
		{`"\ud83d\ude00"`, "\U0001F600", nil},
		{`null`, "", errType},
		{`1`, "", errType},
		{`true`, "", errType},
		{`["a"]`, "", errType},
		{`{"a":"b"}`, "", errType},
	}
	for _, tc := range cases {
		t.Run(tc.raw, func(t *testing.T) {
			got, err := parseOne(t, tc.raw).String("c")
			checkErr(t, tc.wantErr, err)
			require.Equal(t, tc.want, got)
		})
	}
	_, err := parseOne(t, `1`).String("missing")
	require.ErrorIs(t, err, ErrNotPresent)
}

func TestBool(t *testing.T) {
	cases := []struct {
		raw     string
		want    bool
		wantErr error
	}{
		{`true`, true, nil},
		{`false`, false, nil},
		{`null`, false, errType},
		{`"true"`, false, errType},
		{`1`, false, errType},
		{`[true]`, false, errType},
	}
	for _, tc := range cases {
		t.Run(tc.raw, func(t *testing.T) {
			got, err := parseOne(t, tc.raw).Bool("c")
			checkErr(t, tc.wantErr, err)
			require.Equal(t, tc.want, got)
		})
	}
	_, err := parseOne(t, `true`).Bool("missing")
	require.ErrorIs(t, err, ErrNotPresent)
}

func TestStrings(t *testing.T) {
	cases := []struct {
		raw     string
		want    []string
		wantErr error
	}{
		{`["a","b"]`, []string{"a", "b"}, nil},
		{`[]`, []string{}, nil},
		{`"g"`, []string{"g"}, nil},
		{`""`, []string{""}, nil},
		// kube's stringOrArray: null decodes as an empty (nil) array, and
		// null elements as "".
		{`null`, nil, nil},
		{`["a",null]`, []string{"a", ""}, nil},
		{`[1]`, nil, errType},
		{`["a",1]`, nil, errType},
		{`[["a"]]`, nil, errType},
		{`1`, nil, errType},
		{`true`, nil, errType},
		{`{"a":"b"}`, nil, errType},
	}
	for _, tc := range cases {
		t.Run(tc.raw, func(t *testing.T) {
			got, err := parseOne(t, tc.raw).Strings("c")
			checkErr(t, tc.wantErr, err)
			require.Equal(t, tc.want, got)
		})
	}
	_, err := parseOne(t, `1`).Strings("missing")
	require.ErrorIs(t, err, ErrNotPresent)
}

func TestNumericDate(t *testing.T) {
	cases := []struct {
		raw     string
		want    int64
		wantErr error
	}{
		{`1700000000`, 1700000000, nil},
		{`0`, 0, nil},
		{`-0`, 0, nil},
		{`-5`, -5, nil},
		{`1700000000.999`, 1700000000, nil}, // truncated, as go-oidc v2
		{`-1.5`, -1, nil},                   // toward zero
		{`1.7e9`, 1700000000, nil},
		{`1E3`, 1000, nil},
		{`"1700000000"`, 1700000000, nil}, // numeric string, as go-oidc v2
		{`"1.5"`, 1, nil},
		{`"-2"`, -2, nil},
		{`9223372036854775807`, 0, errType}, // int64, but time.Unix overflows
		{strconv.FormatInt(maxUnix, 10), maxUnix, nil},
		{strconv.FormatInt(maxUnix+1, 10), 0, errType},
		{`-9223372036854775808`, math.MinInt64, nil},
		{`9223372036854775808`, 0, errType}, // above int64
		{`-9223372036854775809`, math.MinInt64, nil},
		{`-9.3e18`, 0, errType},
		{`1e19`, 0, errType},
		{`1e20`, 0, errType},
		{`1e300`, 0, errType},
		{`1e999`, 0, errType},
		{`123456789012345678901234567890`, 0, errType},
		{`"2099-01-01T00:00:00Z"`, 0, errType},
		{`""`, 0, errType},
		{`" 1"`, 0, errType},
		{`"0x10"`, 0, errType},
		{`"Inf"`, 0, errType},
		{`null`, 0, errType},
		{`true`, 0, errType},
		{`{}`, 0, errType},
		{`[1]`, 0, errType},
	}
	for _, tc := range cases {
		t.Run(tc.raw, func(t *testing.T) {
			got, err := parseOne(t, tc.raw).NumericDate("c")
			checkErr(t, tc.wantErr, err)
			if tc.wantErr == nil {
				require.Equal(t, tc.want, got.Unix())
				require.Equal(t, time.Unix(tc.want, 0), got)
			}
		})
	}
	_, err := parseOne(t, `1`).NumericDate("missing")
	require.ErrorIs(t, err, ErrNotPresent)
}

// TestNumericDateMatchesGoOIDC compares with go-oidc v2's jsonTime
// (reproduced below) on every value where go-oidc's result is defined.
func TestNumericDateMatchesGoOIDC(t *testing.T) {
	goOIDC := func(b []byte) (time.Time, error) {
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return time.Time{}, err
		}
		var unix int64
		if t, err := n.Int64(); err == nil {
			unix = t
		} else {
			f, err := n.Float64()
			if err != nil {
				return time.Time{}, err
			}
			unix = int64(f)
		}
		return time.Unix(unix, 0), nil
	}
	for _, raw := range []string{`0`, `1`, `-1`, `1.9`, `-1.9`, `1700000000`, `"1700000000"`, `"17e8"`, `2.5e9`,
		`4102444800`, `253402300799`, `-62135596800`, `null`, `""`, `"x"`, `true`, `[]`, `1e999`} {
		want, wantErr := goOIDC([]byte(raw))
		got, err := parseOne(t, raw).NumericDate("c")
		require.Equal(t, wantErr != nil, err != nil, raw)
		require.Equal(t, want, got, raw)
	}
}

func TestUnmarshal(t *testing.T) {
	s := parseOne(t, `{"a":[1,2]}`)
	var v struct{ A []int }
	require.NoError(t, s.Unmarshal("c", &v))
	require.Equal(t, []int{1, 2}, v.A)

	var x []int
	require.ErrorIs(t, s.Unmarshal("missing", &x), ErrNotPresent)
	require.Equal(t, "claims: claim not present", ErrNotPresent.Error())
	// encoding/json's error comes back unchanged.
	err := s.Unmarshal("c", &x)
	var typeErr *json.UnmarshalTypeError
	require.ErrorAs(t, err, &typeErr)
}

func TestAccessorsAfterReplaceWithOddBytes(t *testing.T) {
	s := parseOne(t, `1`)
	// Replace takes any bytes; accessors must not be fooled or panic.
	for _, raw := range []string{``, `"`, `"a`, `"\xff"`, `1x`, `-Inf`, `tru`} {
		s.Replace("c", json.RawMessage(raw))
		_, err := s.NumericDate("c")
		require.Error(t, err, raw)
		_, _ = s.String("c")
		_, _ = s.Bool("c")
		_, _ = s.Strings("c")
	}
	s.Replace("c", json.RawMessage("\"\xff\""))
	v, err := s.String("c")
	require.NoError(t, err)
	require.Equal(t, "\ufffd", v) // encoding/json's replacement, not raw bytes
}
