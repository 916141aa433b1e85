package k8slib

import "math/big"

// Overflow-checked int64 helpers ported from apimachinery's resource
// package; their exact overflow behaviour decides when a sum stays an int64
// amount (and so remains usable by asInteger()).

func int64Add(a, b int64) (int64, bool) {
	c := a + b
	switch {
	case a > 0 && b > 0:
		if c < 0 {
			return 0, false
		}
	case a < 0 && b < 0:
		if c > 0 {
			return 0, false
		}
		if a == minInt64 && b == minInt64 {
			return 0, false
		}
	}
	return c, true
}

const minInt64 = -1 << 63

func int64Multiply(a, b int64) (int64, bool) {
	if a == 0 || b == 0 || a == 1 || b == 1 {
		return a * b, true
	}
	if a == minInt64 || b == minInt64 {
		return 0, false
	}
	c := a * b
	return c, c/b == a
}

// int64MultiplyScale multiplies by a positive power of ten b.
func int64MultiplyScale(a, b int64) (int64, bool) {
	if a == 0 || a == 1 {
		return a * b, true
	}
	if a == minInt64 && b != 1 {
		return 0, false
	}
	c := a * b
	return c, c/b == a
}

// positiveScaleInt64 returns base * 10^scale for scale >= 0.
func positiveScaleInt64(base int64, scale int32) (int64, bool) {
	switch scale {
	case 0:
		return base, true
	case 1:
		return int64MultiplyScale(base, 10)
	case 2:
		return int64MultiplyScale(base, 100)
	case 3:
		return int64MultiplyScale(base, 1000)
	case 6:
		return int64MultiplyScale(base, 1000000)
	case 9:
		return int64MultiplyScale(base, 1000000000)
	}
	v := base
	for i := int32(0); i < scale; i++ {
		var ok bool
		if v, ok = int64MultiplyScale(v, 10); !ok {
			return 0, false
		}
	}
	return v, true
}

// addInt64Amount adds b to the int64 amount (av, as) in place; false means
// the sum does not fit and the caller must use decimal arithmetic.
func addInt64Amount(av *int64, as *int32, bv int64, bs int32) bool {
	switch {
	case bv == 0:
		return true
	case *av == 0:
		*av, *as = bv, bs
		return true
	case *as == bs:
		c, ok := int64Add(*av, bv)
		if !ok {
			return false
		}
		*av = c
	case *as > bs:
		c, ok := positiveScaleInt64(*av, *as-bs)
		if !ok {
			return false
		}
		if c, ok = int64Add(c, bv); !ok {
			return false
		}
		*av, *as = c, bs
	default:
		c, ok := positiveScaleInt64(bv, bs-*as)
		if !ok {
			return false
		}
		if c, ok = int64Add(*av, c); !ok {
			return false
		}
		*av = c
	}
	return true
}

// add sets q to q+y following upstream's representation rules: int64
// amounts stay int64 while the sum fits, otherwise the result is decimal
// with the larger of the two scales.
func (q *quantity) add(y *quantity) {
	if !q.isDec && !y.isDec {
		if q.value == 0 {
			q.format = y.format
		}
		v, s := q.value, q.scale
		if addInt64Amount(&v, &s, y.value, y.scale) {
			q.value, q.scale = v, s
			return
		}
	} else if q.isZero() {
		q.format = y.format
	}
	q.decOp(y, (*big.Int).Add)
}

// sub sets q to q-y; see add.
func (q *quantity) sub(y *quantity) {
	if q.isZero() {
		q.format = y.format
	}
	if !q.isDec && !y.isDec {
		v, s := q.value, q.scale
		if addInt64Amount(&v, &s, -y.value, y.scale) {
			q.value, q.scale = v, s
			return
		}
	}
	q.decOp(y, (*big.Int).Sub)
}

// decOp applies op in decimal form at the larger scale.
func (q *quantity) decOp(y *quantity, op func(z, a, b *big.Int) *big.Int) {
	q.toDec()
	b, bs := y.asDec()
	a, as := q.unscaled, q.decScale
	switch {
	case as < bs:
		a = new(big.Int).Mul(a, pow10(bs-as))
		as = bs
	case bs < as:
		b = new(big.Int).Mul(b, pow10(as-bs))
	}
	q.unscaled = op(new(big.Int), a, b)
	q.decScale = as
}
