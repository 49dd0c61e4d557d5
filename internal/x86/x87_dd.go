package x86

import (
	"math"
	"math/bits"

	"gemu/internal/softfloat"
)

// Double-double arithmetic for the x87 transcendental instructions. A dd
// is the unevaluated sum hi + lo of two float64 with |lo| <= ulp(hi)/2,
// about 106 bits of precision: enough to round the x87's 64-bit results
// correctly in all but astronomically rare cases. The algorithms are the
// classic error-free transformations (Dekker, Knuth); products use FMA.

type dd struct{ hi, lo float64 }

// twoSum returns s = fl(a+b) and the exact error e = a+b-s.
func twoSum(a, b float64) (s, e float64) {
	s = a + b
	bb := s - a
	e = (a - (s - bb)) + (b - bb)
	return s, e
}

// quickTwoSum is twoSum for |a| >= |b|.
func quickTwoSum(a, b float64) dd {
	s := a + b
	return dd{s, b - (s - a)}
}

// twoProd returns p = fl(a*b) and the exact error e = a*b-p.
func twoProd(a, b float64) (p, e float64) {
	p = a * b
	return p, math.FMA(a, b, -p)
}

func ddF(f float64) dd { return dd{f, 0} }

func (x dd) add(y dd) dd {
	s, e := twoSum(x.hi, y.hi)
	t, f := twoSum(x.lo, y.lo)
	e += t
	r := quickTwoSum(s, e)
	r.lo += f
	return quickTwoSum(r.hi, r.lo)
}

func (x dd) neg() dd { return dd{-x.hi, -x.lo} }

func (x dd) sub(y dd) dd { return x.add(y.neg()) }

func (x dd) mul(y dd) dd {
	p, e := twoProd(x.hi, y.hi)
	e += x.hi*y.lo + x.lo*y.hi
	return quickTwoSum(p, e)
}

func (x dd) mulF(f float64) dd {
	p, e := twoProd(x.hi, f)
	e += x.lo * f
	return quickTwoSum(p, e)
}

func (x dd) div(y dd) dd {
	q1 := x.hi / y.hi
	r := x.sub(y.mulF(q1))
	q2 := r.hi / y.hi
	r = r.sub(y.mulF(q2))
	q3 := r.hi / y.hi
	q := quickTwoSum(q1, q2)
	return q.add(ddF(q3))
}

func (x dd) sqrt() dd {
	if x.hi <= 0 {
		return dd{}
	}
	s := math.Sqrt(x.hi)
	// One Newton step: s + (x - s^2) / 2s.
	p, e := twoProd(s, s)
	r := x.sub(dd{p, e})
	return quickTwoSum(s, r.hi/(2*s))
}

// ldexp multiplies by 2^k exactly (no overflow or underflow here).
func (x dd) ldexp(k int) dd { return dd{math.Ldexp(x.hi, k), math.Ldexp(x.lo, k)} }

// ddMant returns the significand of a finite nonzero F80 as an exact dd in
// [1, 2) and its unbiased exponent.
func ddMant(v softfloat.F80) (dd, int) {
	k := unbiased(v)
	m := v.Mant << uint(bits.LeadingZeros64(v.Mant))
	hi := float64(m&^0x7ff) * 0x1p-63
	lo := float64(m&0x7ff) * 0x1p-63
	return dd{hi, lo}, k
}

// ddValue returns the value of a finite F80 whose exponent is well inside
// the float64 range, exactly, with its sign.
func ddValue(v softfloat.F80) dd {
	if v.IsZero() {
		return dd{}
	}
	m, k := ddMant(v)
	m = m.ldexp(k)
	if v.Sign() {
		m = m.neg()
	}
	return m
}

// round rounds x * 2^k to an F80 per e's rounding control (at 64 bits,
// precision control does not apply), raising PE always, as the x87
// transcendental instructions do, and setting C1 to the rounding
// direction.
func (x dd) round(e *softfloat.Env, k int) softfloat.F80 {
	r := e.Add(softfloat.F80(fromF64(x.hi)), softfloat.F80(fromF64(x.lo)))
	e.Exc |= softfloat.ExcPrecision
	if k == 0 || r.IsZero() {
		return r
	}
	if exp := int(r.Exp()) + k; exp >= 1 && exp < 0x7fff {
		return softfloat.F80{Mant: r.Mant, SE: r.SE&0x8000 | uint16(exp)}
	}
	// Out of the normal range: FSCALE rounds it once more.
	c1 := e.C1
	r = e.Scale(r, softfloat.FromInt64(int64(k)))
	e.C1 = e.C1 || c1
	return r
}

// Constants, computed once at start-up with the dd routines themselves
// (see ddInit) so that no long literal has to be trusted.
var (
	ddLn2    dd // ln 2
	ddLog2e  dd // 1/ln 2
	ddPi     dd // pi
	ddPiHalf dd // pi/2
	ddOne    = ddF(1)
	// ddInvOdd[k] = 1/(2k+1) for the atanh and atan series.
	ddInvOdd [40]dd
	// ddInvFact[k] = 1/k! for the exp, sin and cos series.
	ddInvFact [32]dd
)

func init() {
	for k := range ddInvOdd {
		ddInvOdd[k] = ddOne.div(ddF(float64(2*k + 1)))
	}
	f := ddOne
	for k := range ddInvFact {
		if k > 0 {
			f = f.mulF(float64(k))
		}
		ddInvFact[k] = ddOne.div(f)
	}
	// ln 2 = 2 atanh(1/3).
	ddLn2 = ddAtanhSeries(ddOne.div(ddF(3)), 40).mulF(2)
	ddLog2e = ddOne.div(ddLn2)
	// pi = 4 atan(1) = 16 atan(1/5) - 4 atan(1/239) (Machin).
	a5 := ddAtanSeries(ddOne.div(ddF(5)), 40)
	a239 := ddAtanSeries(ddOne.div(ddF(239)), 40)
	ddPi = a5.mulF(16).sub(a239.mulF(4))
	ddPiHalf = ddPi.ldexp(-1)
}

// ddAtanhSeries returns atanh(t) = t + t^3/3 + t^5/5 + ... with n terms.
func ddAtanhSeries(t dd, n int) dd {
	t2 := t.mul(t)
	s := ddInvOdd[n-1]
	for k := n - 2; k >= 0; k-- {
		s = s.mul(t2).add(ddInvOdd[k])
	}
	return s.mul(t)
}

// ddAtanSeries returns atan(t) = t - t^3/3 + t^5/5 - ... with n terms.
func ddAtanSeries(t dd, n int) dd {
	t2 := t.mul(t).neg()
	s := ddInvOdd[n-1]
	for k := n - 2; k >= 0; k-- {
		s = s.mul(t2).add(ddInvOdd[k])
	}
	return s.mul(t)
}

// ddLog2Mant returns log2(m) for m in [1, 2) given exactly, plus the
// exponent adjustment: m is folded into [sqrt(1/2), sqrt(2)] first.
func ddLog2Mant(m dd, k int) dd {
	if m.hi > math.Sqrt2 {
		m = m.ldexp(-1)
		k++
	}
	// ln m = 2 atanh((m-1)/(m+1)); m-1 is exact.
	t := m.sub(ddOne).div(m.add(ddOne))
	l := ddAtanhSeries(t, 24).mulF(2).mul(ddLog2e)
	return l.add(ddF(float64(k)))
}

// ddLog2 returns log2 of a finite positive F80.
func ddLog2(v softfloat.F80) dd {
	m, k := ddMant(v)
	return ddLog2Mant(m, k)
}

// ddLog2p1 returns log2(1 + x) for a finite x > -1 whose magnitude is
// at least 2^-60 and at most 2^60.
func ddLog2p1(x softfloat.F80) dd {
	xv := ddValue(x)
	if xv.hi > -0.29 && xv.hi < 0.41 {
		// ln(1+x) = 2 atanh(x/(2+x)), |x/(2+x)| < 0.171.
		t := xv.div(xv.add(ddF(2)))
		return ddAtanhSeries(t, 24).mulF(2).mul(ddLog2e)
	}
	// Here 1 + x is exact in a dd.
	u := xv.add(ddOne)
	k := math.Ilogb(u.hi)
	return ddLog2Mant(u.ldexp(-k), k)
}

// ddExp2m1 returns 2^x - 1 for |x| <= 1.
func ddExp2m1(x dd) dd {
	// expm1(y) for y = x ln2 / 2^10 by its Taylor series, then
	// expm1(2y) = expm1(y) (expm1(y) + 2) ten times.
	y := x.mul(ddLn2).ldexp(-10)
	s := ddInvFact[12]
	for k := 11; k >= 1; k-- {
		s = s.mul(y).add(ddInvFact[k])
	}
	s = s.mul(y)
	for range 10 {
		s = s.mul(s.add(ddF(2)))
	}
	return s
}

// ddAtan returns atan(t) for t in [0, 1].
func ddAtan(t dd) dd {
	// atan t = 2 atan(t / (1 + sqrt(1 + t^2))), three times: |t| <= 0.1.
	for range 3 {
		t = t.div(ddOne.add(ddOne.add(t.mul(t)).sqrt()))
	}
	return ddAtanSeries(t, 20).ldexp(3)
}

// ddSinCos returns sin r and cos r for |r| <= pi/4.
func ddSinCos(r dd) (s, c dd) {
	r2 := r.mul(r)
	// sin r = r (1 - r^2/3! + r^4/5! - ...), cos r = 1 - r^2/2! + ...
	s = ddInvFact[27]
	c = ddInvFact[26]
	for k := 25; k >= 1; k -= 2 {
		s = s.mul(r2).neg().add(ddInvFact[k])
		c = c.mul(r2).neg().add(ddInvFact[k-1])
	}
	return s.mul(r), c
}
