package x86

import (
	"math"
	"math/bits"

	"gemu/internal/softfloat"
)

// x87 transcendental instructions. The functions are evaluated in
// double-double arithmetic (x87_dd.go, about 106 bits) and rounded once to
// the 64-bit result per RC, so results are the correctly rounded values.
// The AMD processors the tests were recorded on return those in about 97%
// of the cases and are 1 ulp off otherwise, so gemu is not bit-exact with
// them for the rest. Around that core the x87 behaviour is reproduced: the
// special operands (NaNs, infinities, zeros, unsupported encodings), the
// out-of-range responses of those processors (F2XM1 of |x| > 1 and FYL2XP1
// of -inf < x <= -1 return x; trigonometric arguments of 2^63 or more set
// C2 and leave ST(0) alone), the reduction of trigonometric arguments with
// a 66-bit pi, the full exponent range, the stack faults, and PE on every
// result but exact zeros and infinities (the x87 sets it even for results
// that happen to be exact). Precision control does not apply; C1 reports
// the rounding direction.

// fromF64 converts a float64 result to F80, exactly.
func fromF64(f float64) F80 {
	var e softfloat.Env
	return F80(e.FromFloat64(math.Float64bits(f)))
}

var (
	f80One  = softfloat.F80{Mant: 1 << 63, SE: 0x3fff}
	negOne  = softfloat.F80{Mant: 1 << 63, SE: 0xbfff}
	posZero = softfloat.F80{}
)

// unbiased returns the unbiased exponent of a finite nonzero value, with
// denormals normalized.
func unbiased(v softfloat.F80) int {
	exp := int(v.Exp())
	if exp == 0 {
		exp = 1
	}
	for m := v.Mant; m&(1<<63) == 0 && m != 0; m <<= 1 {
		exp--
	}
	return exp - 16383
}

// transNaN1 handles NaNs and unsupported operands for a one-operand
// transcendental: ok reports that r is final.
func transNaN1(e *softfloat.Env, a softfloat.F80) (softfloat.F80, bool) {
	if a.IsUnsupported() || a.IsNaN() {
		// Adding the value to itself applies the x87 NaN rules.
		return e.Add(a, a), true
	}
	return softfloat.F80{}, false
}

// transNaN2 is transNaN1 for two operands; of two NaNs the one with the
// larger significand wins, as in the arithmetic instructions.
func transNaN2(e *softfloat.Env, a, b softfloat.F80) (softfloat.F80, bool) {
	if a.IsUnsupported() || b.IsUnsupported() || a.IsNaN() || b.IsNaN() {
		return e.Add(a, b), true
	}
	return softfloat.F80{}, false
}

// inexact raises PE (and DE for a denormal operand) for a computed result
// r and returns it.
func inexact(e *softfloat.Env, r softfloat.F80, ops ...softfloat.F80) softfloat.F80 {
	for _, o := range ops {
		if o.IsDenormal() {
			e.Exc |= softfloat.ExcDenormal
		}
	}
	e.Exc |= softfloat.ExcPrecision
	return r
}

// yTimes returns y * l rounded, for a finite nonzero y of any magnitude
// and a dd l.
func yTimes(e *softfloat.Env, y softfloat.F80, l dd) softfloat.F80 {
	m, k := ddMant(y)
	if y.Sign() {
		m = m.neg()
	}
	return m.mul(l).round(e, k)
}

// f2xm1 computes 2^a - 1.
func f2xm1(e *softfloat.Env, a softfloat.F80) softfloat.F80 {
	e.PC = softfloat.Prec64 // precision control does not apply
	if r, ok := transNaN1(e, a); ok {
		return r
	}
	switch {
	case a.IsZero():
		return a
	case a.IsInf():
		if a.Sign() {
			return negOne
		}
		return a
	case a.Exp() >= 0x3fff && (a.Exp() > 0x3fff || a.Mant != 1<<63):
		// |a| > 1: out of range, the argument is returned.
		return inexact(e, a)
	case unbiased(a) < -60:
		// 2^a - 1 = y (1 + y/2 + ...) with y = a ln2: the next term is
		// below 2^-120. a may be denormal, so work on its significand.
		m, k := ddMant(a)
		if a.Sign() {
			m = m.neg()
		}
		y := m.mul(ddLn2)
		half := ddF(math.Ldexp(y.hi, k-1)) // y/2, 0 if far below
		return inexact(e, y.mul(ddOne.add(half)).round(e, k), a)
	}
	return ddExp2m1(ddValue(a)).round(e, 0)
}

func opF2xm1(c *CPU, in *Inst) { c.fpUnary(in, unaryF2xm1) }

// Two-operand operations of fpBinaryPop.
const (
	binaryFyl2x = iota
	binaryFyl2xp1
	binaryFpatan
)

// fpBinaryPop computes ST(1) = op(ST(0), ST(1)) and pops (FYL2X, FYL2XP1,
// FPATAN).
func (c *CPU) fpBinaryPop(in *Inst, op int) {
	c.fpWait()
	x := &c.X87
	p0, p1, ok, masked := x.st01()
	switch {
	case ok:
		e := x.env()
		a, b := sf(x.St[p0]), sf(x.St[p1])
		var r softfloat.F80
		switch op {
		case binaryFyl2x:
			r = fyl2x(&e, a, b)
		case binaryFyl2xp1:
			r = fyl2xp1(&e, a, b)
		default:
			r = fpatan(&e, a, b)
		}
		if !x.finish(&e) {
			c.fpLast(in)
			return
		}
		x.St[p1] = F80(r)
	case masked:
		x.St[p1], x.Empty[p1] = indefinite, false
	default:
		c.fpLast(in)
		return
	}
	x.pop()
	c.fpLast(in)
}

// fyl2x computes y * log2(x).
func fyl2x(e *softfloat.Env, x, y softfloat.F80) softfloat.F80 {
	e.PC = softfloat.Prec64 // precision control does not apply
	if r, ok := transNaN2(e, x, y); ok {
		return r
	}
	switch {
	case x.Sign() && !x.IsZero():
		e.Exc |= softfloat.ExcInvalid
		return softfloat.Indefinite
	case x.IsZero():
		if y.IsZero() {
			e.Exc |= softfloat.ExcInvalid
			return softfloat.Indefinite
		}
		if !y.IsInf() {
			e.Exc |= softfloat.ExcZeroDivide
		}
		return infF80(!y.Sign())
	case x.IsInf():
		if y.IsZero() {
			e.Exc |= softfloat.ExcInvalid
			return softfloat.Indefinite
		}
		return infF80(y.Sign())
	}
	l := ddLog2(x)
	switch {
	case y.IsInf():
		if l.hi == 0 {
			e.Exc |= softfloat.ExcInvalid
			return softfloat.Indefinite
		}
		return infF80(y.Sign() != (l.hi < 0))
	case y.IsZero() || l.hi == 0:
		if x.IsDenormal() || y.IsDenormal() {
			e.Exc |= softfloat.ExcDenormal
		}
		return zeroF80(y.Sign() != (l.hi < 0))
	}
	r := yTimes(e, y, l)
	return inexact(e, r, x, y)
}

func opFyl2x(c *CPU, in *Inst) { c.fpBinaryPop(in, binaryFyl2x) }

// fyl2xp1 computes y * log2(x + 1).
func fyl2xp1(e *softfloat.Env, x, y softfloat.F80) softfloat.F80 {
	e.PC = softfloat.Prec64 // precision control does not apply
	if r, ok := transNaN2(e, x, y); ok {
		return r
	}
	outOfRange := x.Sign() && !x.IsZero() && !x.IsInf() && unbiased(x) >= 0 // -inf < x <= -1
	switch {
	case x.IsInf():
		if y.IsZero() || x.Sign() {
			e.Exc |= softfloat.ExcInvalid
			return softfloat.Indefinite
		}
		return infF80(y.Sign())
	case y.IsInf() && !outOfRange:
		if x.IsZero() {
			e.Exc |= softfloat.ExcInvalid
			return softfloat.Indefinite
		}
		return infF80(y.Sign() != x.Sign())
	case x.IsZero() || y.IsZero():
		if x.IsDenormal() || y.IsDenormal() {
			e.Exc |= softfloat.ExcDenormal
		}
		return zeroF80(x.Sign() != y.Sign())
	case outOfRange:
		// The argument is returned, as AMD processors do.
		return inexact(e, x)
	}
	switch k := unbiased(x); {
	case k < -60:
		// log2(1 + x) = x log2(e) (1 - x/2 + ...): the next term is
		// below 2^-120. x may be denormal, so work on its significand.
		m, k := ddMant(x)
		if x.Sign() {
			m = m.neg()
		}
		half := ddF(math.Ldexp(m.hi, k-1)) // x/2, 0 if far below
		l := m.mul(ddOne.sub(half)).mul(ddLog2e)
		ym, ky := ddMant(y)
		if y.Sign() {
			ym = ym.neg()
		}
		return inexact(e, l.mul(ym).round(e, k+ky), x, y)
	case k > 60:
		// log2(1 + x) = log2(x) + log2(1 + 1/x): the second term is far
		// below the rounding of the first.
		return inexact(e, yTimes(e, y, ddLog2(x)), x, y)
	}
	return inexact(e, yTimes(e, y, ddLog2p1(x)), x, y)
}

func opFyl2xp1(c *CPU, in *Inst) { c.fpBinaryPop(in, binaryFyl2xp1) }

// fpatan computes atan2(y, x) with y = ST(1) and x = ST(0).
func fpatan(e *softfloat.Env, x, y softfloat.F80) softfloat.F80 {
	e.PC = softfloat.Prec64 // precision control does not apply
	if r, ok := transNaN2(e, x, y); ok {
		return r
	}
	if x.IsInf() || y.IsInf() || x.IsZero() || y.IsZero() {
		// The IEEE atan2 special cases: multiples of pi/4.
		var r dd
		switch {
		case y.IsZero() && !x.Sign():
			return y // +-0
		case y.IsZero():
			r = ddPi
		case x.IsZero() || y.IsInf() && !x.IsInf():
			r = ddPiHalf
		case !y.IsInf(): // y finite, x infinite
			if !x.Sign() {
				return zeroF80(y.Sign())
			}
			r = ddPi
		case x.Sign(): // both infinite
			r = ddPi.sub(ddPi.ldexp(-2))
		default:
			r = ddPi.ldexp(-2)
		}
		if y.Sign() {
			r = r.neg()
		}
		return inexact(e, r.round(e, 0), x, y)
	}
	if unbiased(y)-unbiased(x) < -62 && !x.Sign() {
		// atan(t) = t (1 - t^2/3 + ...) for the tiny ratio t = y/x.
		return inexact(e, e.Div(y, x), x, y)
	}
	// atan2 from atan of the ratio of the magnitudes, at most 1.
	d := unbiased(y) - unbiased(x)
	var r dd
	switch {
	case d > 80:
		r = ddPiHalf // the ratio x/y is below the rounding of pi/2
	case d < -80:
		// r = 0: y/x is below the rounding of pi (x < 0 here)
	default:
		mx, _ := ddMant(x)
		my, _ := ddMant(y)
		my = my.ldexp(d)
		if my.hi <= mx.hi {
			r = ddAtan(my.div(mx))
		} else {
			r = ddPiHalf.sub(ddAtan(mx.div(my)))
		}
	}
	if x.Sign() {
		r = ddPi.sub(r)
	}
	if y.Sign() {
		r = r.neg()
	}
	return inexact(e, r.round(e, 0), x, y)
}

func opFpatan(c *CPU, in *Inst) { c.fpBinaryPop(in, binaryFpatan) }

// trigArg checks ST(0) for FSIN, FCOS, FSINCOS and FPTAN. ok is false when
// the operation is not performed: an empty register (stack underflow
// already recorded) or an operand of 2^63 or more (C2 set, nothing
// changed).
func (c *CPU) trigArg() (v softfloat.F80, ok bool) {
	x := &c.X87
	if x.Empty[x.Top] {
		x.fpUnderflow0()
		x.SW &^= swC2
		return v, false
	}
	v = sf(x.St[x.Top])
	if !v.IsNaN() && !v.IsInf() && !v.IsUnsupported() && v.Exp() >= 16383+63 {
		x.SW = x.SW&^swC1 | swC2
		return v, false
	}
	return v, true
}

// Trigonometric argument reduction. The x87 reduces arguments modulo
// pi/2 using pi rounded to 66 bits (2 integer and 64 fraction bits), not
// the true pi; for large arguments that decides the result, so it is
// reproduced exactly here: r = x - k * pi66/2 is computed in integer
// arithmetic, and only the final sin/cos of r uses float64.
const (
	pi66Hi = 0x3                // pi66 = (pi66Hi:pi66Lo) * 2^-64
	pi66Lo = 0x243F6A8885A308D3 // (the next bits of pi are 1319...)
)

// reduceTrig returns r and the quadrant q (mod 4) with x = r + q*pi66/2
// and |r| <= pi66/4, for a finite x below 2^63 in magnitude.
func reduceTrig(x softfloat.F80) (r dd, q uint64) {
	k := unbiased(x)
	if k < -2 {
		return ddValue(x), 0
	}
	m := x.Mant
	if x.Exp() == 0 {
		m <<= uint(bits.LeadingZeros64(m))
	}
	// |x| = N * 2^-65 with N = m << s, s = k + 2 in [0, 64].
	s := uint(k + 2)
	nh, nl := m>>(64-s), m<<s
	if s == 0 {
		nh = 0
	}
	// q = floor(N / pi66): estimate with the top 64 bits of the divisor
	// (an over-estimate by at most a few units), then correct.
	qt, _ := bits.Div64(nh>>2, nh<<62|nl>>2, pi66Hi<<62|pi66Lo>>2)
	// rem = N - qt * pi66, as a signed 3-word value (top word signed).
	p1, p0 := bits.Mul64(qt, pi66Lo)
	p2hi, p2 := bits.Mul64(qt, pi66Hi)
	p1, c := bits.Add64(p1, p2, 0)
	p2 = p2hi + c
	r0, b := bits.Sub64(nl, p0, 0)
	r1, b := bits.Sub64(nh, p1, b)
	r2 := -p2 - b
	for int64(r2) < 0 { // over-estimated: add pi66 back
		qt--
		r0, c = bits.Add64(r0, pi66Lo, 0)
		r1, c = bits.Add64(r1, pi66Hi, c)
		r2 += c
	}
	// Round to the nearest quotient: rem > pi66/2 becomes negative.
	neg := false
	if r2 != 0 || r1 > pi66Hi/2 || r1 == pi66Hi/2 && r0 > pi66Lo>>1|(pi66Hi&1)<<63 {
		qt++
		r0, b = bits.Sub64(pi66Lo, r0, 0)
		r1, _ = bits.Sub64(pi66Hi, r1, b)
		neg = true
	}
	r = u128ToDD(r1, r0).ldexp(-65)
	if neg != x.Sign() {
		r = r.neg()
	}
	if x.Sign() {
		qt = -qt
	}
	return r, qt & 3
}

// u128ToDD converts hi:lo (below 2^106) to a dd exactly.
func u128ToDD(hi, lo uint64) dd {
	n := 128 - bits.LeadingZeros64(hi)
	if hi == 0 {
		n = 64 - bits.LeadingZeros64(lo)
	}
	if n <= 53 {
		return dd{float64(lo), 0}
	}
	// Split below the top 53 bits; both parts are exact float64 values.
	cut := uint(n - 53)
	var th, tl, bh, bl uint64 // top and bottom parts, as 128-bit values
	if cut >= 64 {
		th, tl = hi&^(1<<(cut-64)-1), 0
		bh, bl = hi&(1<<(cut-64)-1), lo
	} else {
		th, tl = hi, lo&^(1<<cut-1)
		bh, bl = 0, lo&(1<<cut-1)
	}
	return quickTwoSum(float64(th)*0x1p64+float64(tl), float64(bh)*0x1p64+float64(bl))
}

// sincos returns sin and cos of a finite x below 2^63 in magnitude, as the
// x87 computes them (see reduceTrig).
func sincos(x softfloat.F80) (s, c dd) {
	r, q := reduceTrig(x)
	sr, cr := ddSinCos(r)
	switch q {
	case 1:
		return cr, sr.neg()
	case 2:
		return sr.neg(), cr.neg()
	case 3:
		return cr.neg(), sr
	}
	return sr, cr
}

// tinyTrig rounds a function whose value is v(1 - delta) (below) or
// v(1 + delta) (not below) for a tiny positive delta to 64 bits per RC:
// the result is v or its neighbour, and C1 says whether it was rounded up
// in magnitude.
func tinyTrig(e *softfloat.Env, v softfloat.F80, below bool) softfloat.F80 {
	e.Exc |= softfloat.ExcPrecision
	if v.IsDenormal() {
		e.Exc |= softfloat.ExcDenormal
		if v.Mant>>63 == 0 {
			e.Exc |= softfloat.ExcUnderflow
		} else {
			v.SE++ // a pseudo-denormal: the same value, normalized
		}
	}
	neg := v.Sign()
	magDown := e.RC == softfloat.RoundZero ||
		e.RC == softfloat.RoundDown && !neg || e.RC == softfloat.RoundUp && neg
	magUp := e.RC == softfloat.RoundDown && neg || e.RC == softfloat.RoundUp && !neg
	switch {
	case below && magDown:
		e.C1 = false
		return nextDown(v)
	case below:
		e.C1 = true
		return v
	case magUp:
		e.C1 = true
		return nextUp(v)
	}
	e.C1 = false
	return v
}

// nextDown returns the finite nonzero v with its magnitude decreased by
// one unit in the last place.
func nextDown(v softfloat.F80) softfloat.F80 {
	switch {
	case v.Mant != 1<<63 || v.Exp() == 0:
		v.Mant--
		return v
	case v.Exp() == 1:
		return softfloat.F80{Mant: 1<<63 - 1, SE: v.SE - 1} // largest denormal
	}
	return softfloat.F80{Mant: ^uint64(0), SE: v.SE - 1}
}

// nextUp returns the finite v with its magnitude increased by one unit in
// the last place.
func nextUp(v softfloat.F80) softfloat.F80 {
	v.Mant++
	switch {
	case v.Mant == 0:
		return softfloat.F80{Mant: 1 << 63, SE: v.SE + 1}
	case v.Exp() == 0 && v.Mant == 1<<63:
		v.SE++ // the largest denormal steps to the smallest normal
	}
	return v
}

// trigSpecial handles NaN, unsupported and infinite trig operands.
func trigSpecial(e *softfloat.Env, a softfloat.F80) (softfloat.F80, bool) {
	if r, ok := transNaN1(e, a); ok {
		return r, true
	}
	if a.IsInf() {
		e.Exc |= softfloat.ExcInvalid
		return softfloat.Indefinite, true
	}
	return softfloat.F80{}, false
}

// trig computes sin (fn 0), cos (1) or tan (2) of a finite argument.
func trig(e *softfloat.Env, a softfloat.F80, fn int) softfloat.F80 {
	e.PC = softfloat.Prec64 // precision control does not apply
	if a.IsZero() {
		if fn == 1 {
			return f80One
		}
		return a
	}
	if unbiased(a) < -32 {
		// sin a = a(1 - a^2/6), cos a = 1 - a^2/2.
		switch fn {
		case 0:
			return tinyTrig(e, a, true)
		case 1:
			if a.IsDenormal() {
				e.Exc |= softfloat.ExcDenormal
			}
			return tinyTrig(e, f80One, true)
		}
		// tan a = a(1 + a^2/3) is above a, but AMD processors round it
		// as if it were below, like sin.
		return tinyTrig(e, a, true)
	}
	s, c := sincos(a)
	r := s
	switch fn {
	case 1:
		r = c
	case 2:
		r = s.div(c)
	}
	return r.round(e, 0)
}

// fpTrig runs FSIN or FCOS.
func (c *CPU) fpTrig(in *Inst, fn int) {
	c.fpWait()
	x := &c.X87
	a, ok := c.trigArg()
	if ok {
		e := x.env()
		r, done := trigSpecial(&e, a)
		if !done {
			r = trig(&e, a, fn)
		}
		if x.finish(&e) {
			x.St[x.Top] = F80(r)
		}
		x.SW &^= swC2
	}
	c.fpLast(in)
}

func opFsin(c *CPU, in *Inst) { c.fpTrig(in, 0) }

func opFcos(c *CPU, in *Inst) { c.fpTrig(in, 1) }

// fpTrigPush runs FPTAN (tan, then push 1.0) and FSINCOS (sin in ST(1),
// cos in ST(0)).
func (c *CPU) fpTrigPush(in *Inst, tan bool) {
	c.fpWait()
	x := &c.X87
	if x.Empty[x.Top] {
		// Stack underflow: the masked response is two indefinites, pushed
		// even over a valid ST(7).
		x.SW &^= swC2
		if x.underflow() {
			x.St[x.Top], x.Empty[x.Top] = indefinite, false
			x.push(indefinite)
		}
		c.fpLast(in)
		return
	}
	if !x.Empty[(x.Top-1)&7] {
		// Stack overflow: the masked response replaces ST(0) too.
		x.SW = x.SW&^swC2 | swC1
		if x.signal(swIE | swSF) {
			x.St[x.Top] = indefinite
			x.push(indefinite)
		}
		c.fpLast(in)
		return
	}
	a, ok := c.trigArg()
	if !ok {
		c.fpLast(in)
		return
	}
	e := x.env()
	r1, done := trigSpecial(&e, a)
	r2 := r1
	if !done {
		if tan {
			r1, r2 = trig(&e, a, 2), f80One
		} else {
			// C1 reports the rounding of the sine.
			r2 = trig(&e, a, 1)
			r1 = trig(&e, a, 0)
		}
	}
	if x.finish(&e) {
		x.St[x.Top] = F80(r1)
		x.push(F80(r2))
	}
	x.SW &^= swC2
	c.fpLast(in)
}

func opFptan(c *CPU, in *Inst) { c.fpTrigPush(in, true) }

func opFsincos(c *CPU, in *Inst) { c.fpTrigPush(in, false) }

func infF80(neg bool) softfloat.F80 {
	if neg {
		return softfloat.F80{Mant: 1 << 63, SE: 0xffff}
	}
	return softfloat.F80{Mant: 1 << 63, SE: 0x7fff}
}

func zeroF80(neg bool) softfloat.F80 {
	if neg {
		return softfloat.F80{SE: 0x8000}
	}
	return posZero
}
