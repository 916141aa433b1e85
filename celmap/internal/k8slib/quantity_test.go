package k8slib

import (
	"testing"
)

func TestQuantity(t *testing.T) {
	const formatErr = `quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`
	runCases(t, []evalCase{
		// cases from the kube library tests
		{expr: `quantity("12Mi") == quantity("12582912")`, want: true},
		{expr: `quantity("10Mo")`, wantErr: formatErr},
		{expr: `quantity("10Mm")`, wantErr: "unable to parse quantity's suffix"},
		{expr: `isQuantity("20")`, want: true},
		{expr: `isQuantity("20M")`, want: true},
		{expr: `isQuantity("20Mi")`, want: true},
		{expr: `isQuantity("20Mo")`, want: false},
		{expr: `isQuantity("10Mm")`, want: false},
		{expr: `isQuantity([1, 2, 3])`, wantCompileErr: `found no matching overload for 'isQuantity' applied to`},
		{expr: `quantity("200M") == quantity("200M")`, want: true},
		{expr: `quantity("200M") == quantity("0.2G") && quantity("0.2G") == quantity("200M")`, want: true},
		{expr: `quantity("2M") == quantity("0.002G") && quantity("2000k") == quantity("2M") && quantity("0.002G") == quantity("2000k")`, want: true},
		{expr: `quantity("200M") == quantity("0.3G")`, want: false},
		{expr: `quantity("50M").isLessThan(quantity("50Mi"))`, want: true},
		{expr: `quantity("50M").isLessThan(quantity("100M"))`, want: true},
		{expr: `quantity("100M").isLessThan(quantity("50M"))`, want: false},
		{expr: `quantity("50Mi").isGreaterThan(quantity("50M"))`, want: true},
		{expr: `quantity("150Mi").isGreaterThan(quantity("100Mi"))`, want: true},
		{expr: `quantity("50M").isGreaterThan(quantity("100M"))`, want: false},
		{expr: `quantity("200M").compareTo(quantity("0.2G"))`, want: 0},
		{expr: `quantity("50M").compareTo(quantity("50Mi"))`, want: -1},
		{expr: `quantity("50Mi").compareTo(quantity("50M"))`, want: 1},
		{expr: `quantity("50k").add(quantity("20")) == quantity("50.02k")`, want: true},
		{expr: `quantity("50k").add(20).isLessThan(quantity("50020"))`, want: false},
		{expr: `quantity("50k").sub(quantity("20")) == quantity("49.98k")`, want: true},
		{expr: `quantity("50k").sub(20) == quantity("49980")`, want: true},
		{expr: `quantity("50k").add(20).sub(quantity("100k")).asInteger()`, want: -49980},
		{expr: `quantity("50k").add(20).sub(quantity("100k")).sub(-50000).asInteger()`, want: 20},
		{expr: `quantity("50k").asInteger()`, want: 50000},
		{expr: `quantity("9999999999999999999999999999999999999G").asInteger()`, wantErr: "cannot convert value to integer"},
		{expr: `quantity("9999999999999999999999999999999999999G").isInteger()`, want: false},
		{expr: `quantity("50").isInteger()`, want: true},
		{expr: `quantity("50.703k").asApproximateFloat()`, want: 50703.0},
		{expr: `[quantity("9999999999999999999999999999999999999")].all(x, x.add(quantity("1")).compareTo(x.add(quantity("2"))) == -1)`, want: true},

		// parsing
		{expr: `quantity("")`, wantErr: formatErr},
		{expr: `quantity(" 1")`, wantErr: formatErr},
		{expr: `quantity("1.2.3")`, wantErr: formatErr},
		{expr: `quantity("5i")`, wantErr: "unable to parse quantity's suffix"},
		{expr: `quantity(".e-20")`, wantErr: "unable to parse numeric part of quantity"},
		{expr: `quantity("1e3") == quantity("1k")`, want: true},
		{expr: `quantity("1E3") == quantity("1k")`, want: true},
		{expr: `quantity("1E") == quantity("1000P")`, want: true},
		{expr: `quantity("1e-3") == quantity("1m")`, want: true},
		{expr: `quantity("1Ki").asInteger()`, want: 1024},
		{expr: `quantity("+5").asInteger()`, want: 5},
		{expr: `quantity("-0.5").asApproximateFloat()`, want: -0.5},
		{expr: `sign(quantity("-0.5"))`, want: -1},
		{expr: `sign(quantity("0"))`, want: 0},
		{expr: `sign(quantity("3n"))`, want: 1},
		{expr: `quantity("1").sign()`, wantCompileErr: `found no matching overload for 'sign'`},
		// values finer than nano are rounded away from zero
		{expr: `quantity("0.000000000001") == quantity("1n")`, want: true},
		{expr: `quantity("-0.0000000000001") == quantity("-1n")`, want: true},
		// BinarySI values are capped at the int64 maximum
		{expr: `quantity("9999999999999999999Ei") == quantity("9223372036854775807")`, want: true},
		// oddities accepted upstream
		{expr: `quantity(".") == quantity("0")`, want: true},
		{expr: `quantity("M") == quantity("0")`, want: true},
		{expr: `quantity("-") == quantity("0")`, want: true},

		// integer-ness follows upstream's internal representation
		{expr: `quantity("1.0").isInteger()`, want: false},
		{expr: `quantity("1k").isInteger()`, want: true},
		{expr: `quantity("1.5Gi").isInteger()`, want: false},
		{expr: `quantity("1000000000000000000").isInteger()`, want: false},
		{expr: `quantity("100000000000000000").isInteger()`, want: true},
		{expr: `quantity("9223372036854775807").add(1).isInteger()`, want: false},
		// comparing an int64-form receiver with a decimal-form argument
		// converts the receiver in place, as upstream's Quantity.Cmp does
		{expr: `[quantity("1")].all(q, q.isLessThan(quantity("1.5Gi")) && q.isInteger())`, want: false},
		{expr: `[quantity("1")].all(q, q.isLessThan(quantity("2")) && q.isInteger())`, want: true},

		// add/sub results only compare equal from the left, as upstream
		{expr: `quantity("1").add(1) == quantity("2")`, want: true},
		{expr: `quantity("2") == quantity("1").add(1)`, wantErr: "no such overload"},
		{expr: `quantity("1").add(quantity("1")) == quantity("1").add(1)`, wantErr: "no such overload"},
	})
}

func TestParseQuantityRepresentation(t *testing.T) {
	cases := []struct {
		in       string
		isDec    bool
		value    int64
		scale    int32
		unscaled string
		decScale int32
	}{
		{in: "12Mi", value: 12 << 20},
		{in: "1.5", value: 15, scale: -1},
		{in: "1.5k", value: 15, scale: 2},
		{in: "100m", value: 100, scale: -3},
		{in: "0.1n", isDec: true, unscaled: "1", decScale: 9},
		{in: "1.5Gi", isDec: true, unscaled: "1610612736000000000", decScale: 9},
		{in: "-1e-12", isDec: true, unscaled: "-1", decScale: 9},
	}
	for _, tc := range cases {
		q, err := parseQuantity(tc.in)
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		if q.isDec != tc.isDec {
			t.Errorf("%s: isDec = %v", tc.in, q.isDec)
			continue
		}
		if tc.isDec {
			if q.unscaled.String() != tc.unscaled || q.decScale != tc.decScale {
				t.Errorf("%s: got %s scale %d", tc.in, q.unscaled, q.decScale)
			}
		} else if q.value != tc.value || q.scale != tc.scale {
			t.Errorf("%s: got %d scale %d", tc.in, q.value, q.scale)
		}
	}
}
