package softfloat

import "math/bits"

// RoundInt rounds a to an integral value per RC (FRNDINT). Precision control
// does not apply. Inexact results raise PE; the sign of a is kept, also when
// the result is zero.
func (e *Env) RoundInt(a F80) F80 {
	e.C1 = false
	if r, ok := e.nan1(a); ok {
		return r
	}
	if a.IsZero() || a.IsInf() {
		return a
	}
	e.denormCheck(a, a, false)
	u := unpack(a)
	if u.exp-expBias >= 63 {
		return a
	}
	mag, _, inexact, up := intRound(u, e.RC)
	if inexact {
		e.Exc |= ExcPrecision
		e.C1 = up
	}
	if mag == 0 {
		return zero(u.sign)
	}
	return fromMag(u.sign, mag)
}

// scaleClamp bounds the FSCALE exponent adjustment; anything beyond it
// overflows or underflows every finite operand anyway.
const scaleClamp = 1 << 20

// Scale returns a * 2^trunc(b) (FSCALE: a is ST(0), b is ST(1)), rounded
// per RC at full precision (precision control does not apply) when the
// result overflows or becomes denormal. 0 * 2^+inf and inf * 2^-inf are
// invalid.
func (e *Env) Scale(a, b F80) F80 {
	e.C1 = false
	if r, ok := e.nan2(a, b); ok {
		return r
	}
	ai, bi := a.IsInf(), b.IsInf()
	az := a.IsZero()
	switch {
	case ai && bi && b.Sign(), az && bi && !b.Sign():
		return e.invalid()
	case ai, az:
		e.denormCheck(a, b, false)
		return a
	case bi:
		e.denormCheck(a, b, false)
		if b.Sign() {
			return zero(a.Sign())
		}
		return inf(a.Sign())
	}
	e.denormCheck(a, b, false)
	x := unpack(a)
	var n int32
	if !b.IsZero() {
		y := unpack(b)
		switch k := y.exp - expBias; {
		case k < 0:
		case k > 30:
			n = scaleClamp
		default:
			n = int32(min(y.mant>>(63-k), scaleClamp))
		}
		if y.sign {
			n = -n
		}
	}
	return e.round80(x.sign, x.exp+n, x.mant, 0, 64)
}

// Xtract splits a into its significand (exponent forced to 0, same sign) and
// its unbiased exponent as a value (FXTRACT: exp ends up in ST(1), sig in
// ST(0)). Denormals are normalized first. Zero raises ZE and gives exponent
// -inf; infinity gives +inf; NaNs and invalid operands yield the same NaN in
// both results.
func (e *Env) Xtract(a F80) (sig, exp F80) {
	e.C1 = false
	if r, ok := e.nan1(a); ok {
		return r, r
	}
	switch {
	case a.IsZero():
		e.Exc |= ExcZeroDivide
		return a, inf(true)
	case a.IsInf():
		return a, inf(false)
	}
	e.denormCheck(a, a, false)
	u := unpack(a)
	return F80{Mant: u.mant, SE: packSE(u.sign, expBias)}, FromInt64(int64(u.exp - expBias))
}

// Prem computes the partial remainder of a / b with the quotient truncated
// toward zero (FPREM: a is ST(0), b is ST(1)). When the exponents differ by
// 64 or more only a partial reduction is done and partial is true (C2 set),
// and the instruction must be repeated. q holds the three low bits of the
// quotient (C0 = bit 2, C3 = bit 1, C1 = bit 0); C1 is also left in e.C1.
// The remainder is exact; inf or a zero divisor is invalid.
func (e *Env) Prem(a, b F80) (r F80, q uint8, partial bool) {
	return e.prem(a, b, false)
}

// Prem1 is Prem with the quotient rounded to nearest-even (FPREM1, the IEEE
// remainder).
func (e *Env) Prem1(a, b F80) (r F80, q uint8, partial bool) {
	return e.prem(a, b, true)
}

func (e *Env) prem(a, b F80, nearest bool) (F80, uint8, bool) {
	e.C1 = false
	if r, ok := e.nan2(a, b); ok {
		return r, 0, false
	}
	if a.IsInf() || b.IsZero() {
		return e.invalid(), 0, false
	}
	e.denormCheck(a, b, false)
	if a.IsZero() {
		return a, 0, false
	}
	x := unpack(a)
	if b.IsInf() {
		return e.round80(x.sign, x.exp, x.mant, 0, 64), 0, false
	}
	y := unpack(b)
	d := x.exp - y.exp
	partial := false
	if d >= 64 {
		n := 32 + d%32
		y.exp = x.exp - n
		d = n
		partial = true
	}
	sign := x.sign
	var quo, rem uint64
	switch {
	case d < 0:
		rem = x.mant
		if nearest && d == -1 && x.mant > y.mant {
			// |a| > |b|/2: quotient 1, remainder b-a of opposite sign.
			quo = 1
			rem = y.mant - (x.mant - y.mant)
			sign = !sign
		}
		r := e.round80(sign, x.exp, rem, 0, 64)
		e.C1 = quo&1 != 0
		return r, uint8(quo), false
	default:
		quo, rem = bits.Div64(x.mant>>(64-uint(d)), x.mant<<uint(d), y.mant)
		if nearest && !partial && (rem > y.mant-rem || (rem == y.mant-rem && quo&1 != 0)) {
			quo++
			rem = y.mant - rem
			sign = !sign
		}
	}
	q := uint8(quo & 7)
	if partial {
		q = 0 // hardware clears C0, C3 and C1 after a partial reduction
	}
	var r F80
	if rem == 0 {
		r = zero(sign)
	} else {
		r = e.round80(sign, y.exp, rem, 0, 64)
	}
	e.C1 = q&1 != 0
	return r, q, partial
}
