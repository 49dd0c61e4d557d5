package softfloat

import "math/bits"

// denormCheck raises DE if either operand is a denormal or pseudo-denormal
// or if den says a memory operand was a denormal in its own format.
func (e *Env) denormCheck(a, b F80, den bool) {
	if den || a.IsDenormal() || b.IsDenormal() {
		e.Exc |= ExcDenormal
	}
}

// Add returns a + b (FADD), rounded per RC to the PC significand width.
func (e *Env) Add(a, b F80) F80 { return e.addSub(a, b, false, false) }

// Sub returns a - b (FSUB; FSUBR is Sub with the operands swapped), rounded
// per RC to the PC significand width.
func (e *Env) Sub(a, b F80) F80 { return e.addSub(a, b, true, false) }

// addSub computes a + b or a - b; den marks a denormal memory operand.
func (e *Env) addSub(a, b F80, sub, den bool) F80 {
	e.C1 = false
	if r, ok := e.nan2(a, b); ok {
		return r
	}
	sa, sb := a.Sign(), b.Sign() != sub
	ai, bi := a.IsInf(), b.IsInf()
	switch {
	case ai && bi:
		if sa != sb {
			return e.invalid()
		}
		return inf(sa)
	case ai:
		e.denormCheck(a, b, den)
		return inf(sa)
	case bi:
		e.denormCheck(a, b, den)
		return inf(sb)
	}
	e.denormCheck(a, b, den)
	az, bz := a.IsZero(), b.IsZero()
	switch {
	case az && bz:
		if sa == sb {
			return zero(sa)
		}
		return zero(e.RC == RoundDown)
	case az:
		u := unpack(b)
		return e.round80(sb, u.exp, u.mant, 0, e.precBits())
	case bz:
		u := unpack(a)
		return e.round80(sa, u.exp, u.mant, 0, e.precBits())
	}
	x, y := unpack(a), unpack(b)
	y.sign = sb
	// Order by magnitude so that x >= y.
	if y.exp > x.exp || (y.exp == x.exp && y.mant > x.mant) {
		x, y = y, x
	}
	yh, yl := shr128Jam(y.mant, 0, uint(x.exp-y.exp))
	hi, lo := x.mant, uint64(0)
	exp := x.exp
	if x.sign == y.sign {
		var c uint64
		lo, c = bits.Add64(lo, yl, 0)
		hi, c = bits.Add64(hi, yh, c)
		if c != 0 {
			hi, lo = shr128Jam(hi, lo, 1)
			hi |= intBit
			exp++
		}
	} else {
		var b uint64
		lo, b = bits.Sub64(lo, yl, 0)
		hi, _ = bits.Sub64(hi, yh, b)
		if hi|lo == 0 {
			return zero(e.RC == RoundDown)
		}
	}
	return e.round80(x.sign, exp, hi, lo, e.precBits())
}

// Mul returns a * b (FMUL), rounded per RC to the PC significand width.
func (e *Env) Mul(a, b F80) F80 { return e.mul(a, b, false) }

// mul computes a * b; den marks a denormal memory operand.
func (e *Env) mul(a, b F80, den bool) F80 {
	e.C1 = false
	if r, ok := e.nan2(a, b); ok {
		return r
	}
	sign := a.Sign() != b.Sign()
	ai, bi := a.IsInf(), b.IsInf()
	az, bz := a.IsZero(), b.IsZero()
	switch {
	case (ai && bz) || (bi && az):
		return e.invalid()
	case ai || bi:
		e.denormCheck(a, b, den)
		return inf(sign)
	}
	e.denormCheck(a, b, den)
	if az || bz {
		return zero(sign)
	}
	x, y := unpack(a), unpack(b)
	hi, lo := bits.Mul64(x.mant, y.mant)
	return e.round80(sign, x.exp+y.exp-expBias+1, hi, lo, e.precBits())
}

// Div returns a / b (FDIV; FDIVR is Div with the operands swapped), rounded
// per RC to the PC significand width. A finite nonzero a divided by zero
// raises ZE and gives a signed infinity; 0/0 and inf/inf are invalid.
func (e *Env) Div(a, b F80) F80 { return e.div(a, b, false) }

// div computes a / b; den marks a denormal memory operand.
func (e *Env) div(a, b F80, den bool) F80 {
	e.C1 = false
	if r, ok := e.nan2(a, b); ok {
		return r
	}
	sign := a.Sign() != b.Sign()
	ai, bi := a.IsInf(), b.IsInf()
	az, bz := a.IsZero(), b.IsZero()
	switch {
	case (ai && bi) || (az && bz):
		return e.invalid()
	case ai:
		e.denormCheck(a, b, den)
		return inf(sign)
	case bi:
		e.denormCheck(a, b, den)
		return zero(sign)
	}
	if bz {
		e.Exc |= ExcZeroDivide // no DE for a denormal dividend
		return inf(sign)
	}
	e.denormCheck(a, b, den)
	if az {
		return zero(sign)
	}
	x, y := unpack(a), unpack(b)
	exp := x.exp - y.exp + expBias
	var q1, r uint64
	if x.mant >= y.mant {
		q1, r = bits.Div64(x.mant>>1, x.mant<<63, y.mant)
	} else {
		q1, r = bits.Div64(x.mant, 0, y.mant)
		exp--
	}
	q2, r := bits.Div64(r, 0, y.mant)
	if r != 0 {
		q2 |= 1
	}
	return e.round80(sign, exp, q1, q2, e.precBits())
}

// Sqrt returns the square root of a (FSQRT), rounded per RC to the PC
// significand width. Negative nonzero operands (including -inf) are invalid;
// sqrt(-0) is -0.
func (e *Env) Sqrt(a F80) F80 {
	e.C1 = false
	if r, ok := e.nan1(a); ok {
		return r
	}
	if a.IsZero() {
		return a
	}
	if a.Sign() {
		return e.invalid() // no DE: the invalid operation takes precedence
	}
	if a.IsInf() {
		return a
	}
	e.denormCheck(a, a, false)
	u := unpack(a)
	k := u.exp - expBias
	var hi, lo uint64
	if k&1 != 0 {
		hi, lo = u.mant, 0
	} else {
		hi, lo = u.mant>>1, u.mant<<63
	}
	r, half, inexact := sqrt128(hi, lo)
	var rl uint64
	if half {
		rl = 1 << 63
	}
	if inexact {
		rl |= 1
	}
	return e.round80(false, expBias+k>>1, r, rl, e.precBits())
}
