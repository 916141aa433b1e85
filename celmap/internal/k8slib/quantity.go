package k8slib

import (
	"errors"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// This file ports the observable behaviour of apimachinery's
// resource.Quantity: which strings parse (and the error for those that do
// not), the exact value, and the int64-or-decimal internal representation,
// which upstream exposes through isInteger()/asInteger() and
// asApproximateFloat(). The canonical string form is not reproduced.

const quantityPattern = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$"

var (
	errQuantityFormat  = errors.New("quantities must match the regular expression '" + quantityPattern + "'")
	errQuantityNumeric = errors.New("unable to parse numeric part of quantity")
	errQuantitySuffix  = errors.New("unable to parse quantity's suffix")
)

// quantityFormat is the suffix family a quantity was written in.
type quantityFormat int

const (
	decimalExponent quantityFormat = iota // 12e6
	binarySI                              // 12Mi
	decimalSI                             // 12M
)

// nanoScale is the finest precision kept: values are rounded (away from
// zero) to 9 fractional digits.
const nanoScale = -9

// quantity is either an int64 amount (value * 10^scale) or, when that does
// not fit or is too fine, a decimal (unscaled * 10^-decScale) like inf.Dec.
type quantity struct {
	isDec    bool
	value    int64
	scale    int32
	unscaled *big.Int
	decScale int32
	format   quantityFormat
}

// interpretSuffix maps a suffix to base, exponent and format.
func interpretSuffix(s string) (base, exp int32, f quantityFormat, ok bool) {
	switch s {
	case "":
		return 10, 0, decimalSI, true
	case "n":
		return 10, -9, decimalSI, true
	case "u":
		return 10, -6, decimalSI, true
	case "m":
		return 10, -3, decimalSI, true
	case "k":
		return 10, 3, decimalSI, true
	case "M":
		return 10, 6, decimalSI, true
	case "G":
		return 10, 9, decimalSI, true
	case "T":
		return 10, 12, decimalSI, true
	case "P":
		return 10, 15, decimalSI, true
	case "E":
		return 10, 18, decimalSI, true
	case "Ki":
		return 2, 10, binarySI, true
	case "Mi":
		return 2, 20, binarySI, true
	case "Gi":
		return 2, 30, binarySI, true
	case "Ti":
		return 2, 40, binarySI, true
	case "Pi":
		return 2, 50, binarySI, true
	case "Ei":
		return 2, 60, binarySI, true
	}
	if len(s) > 1 && (s[0] == 'e' || s[0] == 'E') {
		n, err := strconv.ParseInt(s[1:], 10, 64)
		if err != nil {
			return 0, 0, decimalExponent, false
		}
		return 10, int32(n), decimalExponent, true
	}
	return 0, 0, decimalExponent, false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// splitQuantity splits str into the signed number text (value), its integer
// digits without leading zeroes (num), fraction digits (denom) and suffix.
func splitQuantity(str string) (positive bool, value, num, denom, suffix string, err error) {
	positive = true
	pos, end := 0, len(str)
	if pos < end && (str[0] == '-' || str[0] == '+') {
		positive = str[0] == '+'
		pos++
	}
	for pos < end && str[pos] == '0' {
		pos++
	}
	if pos >= end {
		return positive, "0", "0", "", "", nil
	}
	start := pos
	for pos < end && isDigit(str[pos]) {
		pos++
	}
	if pos >= end {
		return positive, str, str[start:], "", "", nil
	}
	num = str[start:pos]
	if num == "" {
		num = "0"
	}
	if str[pos] == '.' {
		pos++
		start = pos
		for pos < end && isDigit(str[pos]) {
			pos++
		}
		denom = str[start:pos]
		if pos >= end {
			return positive, str, num, denom, "", nil
		}
	}
	value = str[:pos]
	suffixStart := pos
	for pos < end && strings.IndexByte("eEinumkKMGTP", str[pos]) >= 0 {
		pos++
	}
	if pos < end && (str[pos] == '-' || str[pos] == '+') {
		pos++
	}
	for pos < end && isDigit(str[pos]) {
		pos++
	}
	if pos < end {
		return positive, value, num, denom, "", errQuantityFormat
	}
	return positive, value, num, denom, str[suffixStart:], nil
}

// parseQuantity ports resource.ParseQuantity.
func parseQuantity(str string) (*quantity, error) {
	if str == "" {
		return nil, errQuantityFormat
	}
	if str == "0" {
		return &quantity{format: decimalSI}, nil
	}
	positive, value, num, denom, suf, err := splitQuantity(str)
	if err != nil {
		return nil, err
	}
	base, exponent, format, ok := interpretSuffix(suf)
	if !ok {
		return nil, errQuantitySuffix
	}

	// Fast path: the value fits an int64 amount at nano precision or coarser.
	precision := int32(0)
	scale := int32(0)
	mantissa := int64(1)
	switch format {
	case decimalExponent, decimalSI:
		scale = exponent
		precision = 18 - int32(len(num)+len(denom))
	case binarySI:
		if exponent >= 0 && len(denom) == 0 {
			mantissa <<= uint64(exponent)
			precision = 15 - int32(len(num)) - int32(float32(exponent)*3/10) - 1
		} else {
			precision = -1
		}
	}
	if precision >= 0 {
		scale -= int32(len(denom))
		if scale >= nanoScale {
			v, err := strconv.ParseInt(num+denom, 10, 64)
			if err != nil {
				return nil, errQuantityNumeric
			}
			if r, ok := int64Multiply(v, mantissa); ok {
				if !positive {
					r = -r
				}
				return &quantity{value: r, scale: scale, format: format}, nil
			}
		}
	}

	// Slow path: exact decimal arithmetic.
	unscaled, decScale, ok := scanDecimal(value)
	if !ok {
		return nil, errQuantityNumeric
	}
	if base == 10 {
		decScale -= exponent
	} else if base == 2 {
		unscaled.Lsh(unscaled, uint(exponent))
	}
	neg := unscaled.Sign() < 0
	unscaled.Abs(unscaled)
	if unscaled.Sign() != 0 {
		unscaled, decScale = roundUpToScale(unscaled, decScale, -nanoScale)
	}
	if format == binarySI && decCmp(unscaled, decScale, big.NewInt(math.MaxInt64), 0) > 0 {
		unscaled, decScale = big.NewInt(math.MaxInt64), 0
	}
	if format == binarySI && unscaled.Sign() > 0 && decCmp(unscaled, decScale, big.NewInt(1), 0) < 0 {
		format = decimalSI
	}
	if neg {
		unscaled.Neg(unscaled)
	}
	return &quantity{isDec: true, unscaled: unscaled, decScale: decScale, format: format}, nil
}

// scanDecimal parses [sign]digits[.digits] like inf.Dec.SetString; the
// scale is the number of fraction digits.
func scanDecimal(s string) (*big.Int, int32, bool) {
	digits := s
	if digits != "" && (digits[0] == '+' || digits[0] == '-') {
		digits = digits[1:]
	}
	var scale int32
	if i := strings.IndexByte(digits, '.'); i >= 0 {
		scale = int32(len(digits) - i - 1)
		digits = digits[:i] + digits[i+1:]
	}
	if digits == "" {
		return nil, 0, false
	}
	sign := ""
	if s[0] == '-' {
		sign = "-"
	}
	n, ok := new(big.Int).SetString(sign+digits, 10)
	return n, scale, ok
}

// roundUpToScale rescales a non-negative decimal to exactly scale fraction
// digits, rounding any dropped digits away from zero.
func roundUpToScale(unscaled *big.Int, from, to int32) (*big.Int, int32) {
	if from <= to {
		return new(big.Int).Mul(unscaled, pow10(to-from)), to
	}
	q, r := new(big.Int).QuoRem(unscaled, pow10(from-to), new(big.Int))
	if r.Sign() != 0 {
		q.Add(q, big.NewInt(1))
	}
	return q, to
}

func pow10(n int32) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}

// decCmp compares a*10^-as with b*10^-bs.
func decCmp(a *big.Int, as int32, b *big.Int, bs int32) int {
	switch {
	case as < bs:
		a = new(big.Int).Mul(a, pow10(bs-as))
	case bs < as:
		b = new(big.Int).Mul(b, pow10(as-bs))
	}
	return a.Cmp(b)
}

// asDec returns the value as unscaled * 10^-scale.
func (q *quantity) asDec() (*big.Int, int32) {
	if q.isDec {
		return q.unscaled, q.decScale
	}
	return big.NewInt(q.value), -q.scale
}

// toDec switches q to the decimal representation, as upstream's Cmp does
// to its receiver when the operands' representations differ.
func (q *quantity) toDec() {
	if !q.isDec {
		q.unscaled, q.decScale = q.asDec()
		q.isDec, q.value, q.scale = true, 0, 0
	}
}

func (q *quantity) clone() *quantity {
	c := *q
	if q.unscaled != nil {
		c.unscaled = new(big.Int).Set(q.unscaled)
	}
	return &c
}

func (q *quantity) sign() int {
	if q.isDec {
		return q.unscaled.Sign()
	}
	switch {
	case q.value > 0:
		return 1
	case q.value < 0:
		return -1
	}
	return 0
}

func (q *quantity) isZero() bool { return q.sign() == 0 }

// cmp compares exactly. Like upstream it leaves the receiver in decimal
// form when exactly one operand is decimal.
func (q *quantity) cmp(o *quantity) int {
	if !q.isDec && !o.isDec {
		a, as := q.asDec()
		b, bs := o.asDec()
		return decCmp(a, as, b, bs)
	}
	q.toDec()
	b, bs := o.asDec()
	return decCmp(q.unscaled, q.decScale, b, bs)
}

// asInt64 succeeds only for int64 amounts with a non-negative scale whose
// value fits, so e.g. "1.0" is not an integer but "1k" is.
func (q *quantity) asInt64() (int64, bool) {
	if q.isDec {
		return 0, false
	}
	if q.scale == 0 {
		return q.value, true
	}
	if q.scale < 0 {
		return 0, false
	}
	return positiveScaleInt64(q.value, q.scale)
}

// approximateFloat computes base * 10^exponent from the representation.
func (q *quantity) approximateFloat() float64 {
	var base float64
	var exp int
	if q.isDec {
		base, _ = big.NewFloat(0).SetInt(q.unscaled).Float64()
		exp = int(-q.decScale)
	} else {
		base = float64(q.value)
		exp = int(q.scale)
	}
	if exp == 0 {
		return base
	}
	return base * math.Pow10(exp)
}

// String renders the exact decimal value (not upstream's canonical form).
func (q *quantity) String() string {
	u, s := q.asDec()
	if s <= 0 {
		return new(big.Int).Mul(u, pow10(-s)).String()
	}
	r := new(big.Rat).SetFrac(u, pow10(s))
	return strings.TrimRight(strings.TrimRight(r.FloatString(int(s)), "0"), ".")
}
