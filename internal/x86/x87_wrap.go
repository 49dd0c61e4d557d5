package x86

import "gemu/internal/softfloat"

// Unmasked overflow and underflow. With OE or UE unmasked, an arithmetic
// instruction whose result overflows or is tiny delivers the result
// rounded to the destination precision with its exponent wrapped: divided
// by 2^24576 on overflow and multiplied by it on underflow, so that an
// exception handler can rescale it. Unmasked underflow is signaled for
// every tiny result, exact or not.
//
// The wrapped result is obtained by redoing the operation on operands
// scaled by powers of two chosen so that the scaled result lies well inside
// the normal range, where its rounding is the unbounded-exponent rounding
// the x87 delivers.

// wrapBias is the exponent adjustment of a wrapped result.
const wrapBias = 24576

// scaleF80 multiplies a finite nonzero value by 2^s by adjusting its
// exponent (normalizing denormals first); zeros, infinities and NaNs are
// returned unchanged. A result below the normal range is replaced by a
// tiny normal value of the same sign: callers only scale down operands
// whose contribution to the result is then a sticky bit at most.
func scaleF80(v softfloat.F80, s int32) softfloat.F80 {
	exp := int32(v.Exp())
	if exp == 0x7fff || v.Mant == 0 {
		return v
	}
	m := v.Mant
	if exp == 0 {
		exp = 1
	}
	for m&(1<<63) == 0 {
		m <<= 1
		exp--
	}
	exp += s
	sign := v.SE & 0x8000
	switch {
	case exp < 1:
		return softfloat.F80{Mant: 1 << 63, SE: sign | 1}
	case exp > 0x7ffe:
		return softfloat.F80{Mant: 1 << 63, SE: sign | 0x7ffe}
	}
	return softfloat.F80{Mant: m, SE: sign | uint16(exp)}
}

// addExp adds s to the exponent of a normal value.
func addExp(v softfloat.F80, s int32) softfloat.F80 {
	return softfloat.F80{Mant: v.Mant, SE: v.SE&0x8000 | uint16(int32(v.Exp())+s)}
}

// mayBeTiny reports whether a masked result r could come from a tiny
// exact result: a denormal, a zero from an inexact operation, or the
// smallest normal reached by rounding up.
func mayBeTiny(e *softfloat.Env, r softfloat.F80) bool {
	switch r.Exp() {
	case 0:
		return r.Mant != 0 || e.Exc&softfloat.ExcPrecision != 0
	case 1:
		return r.Mant == 1<<63 && e.C1
	}
	return false
}

// wrapNeeded reports whether a masked arithmetic result needs the
// unmasked overflow or underflow treatment.
func (x *X87) wrapNeeded(e *softfloat.Env, r softfloat.F80) bool {
	um := ^x.CW
	return um&swOE != 0 && e.Exc&softfloat.ExcOverflow != 0 ||
		um&swUE != 0 && mayBeTiny(e, r)
}

// wrapArith redoes farith(op, a, b) for an unmasked overflow or underflow
// (see wrapNeeded) and returns the wrapped result, updating e's flags and
// C1. a and b are the exact operands (a the destination).
func (x *X87) wrapArith(e *softfloat.Env, r softfloat.F80, op uint8, a, b softfloat.F80) softfloat.F80 {
	over := e.Exc&softfloat.ExcOverflow != 0
	var sa, sb, adj int32
	switch op & 7 {
	case fopMul:
		sa, sb = -wrapBias/2, -wrapBias/2
	case fopDiv:
		sa, sb = -wrapBias/2, wrapBias/2
	case fopDivr:
		sa, sb = wrapBias/2, -wrapBias/2
	default: // add, sub, subr
		sa, sb, adj = -wrapBias/2, -wrapBias/2, -wrapBias/2
		if !over {
			sa, sb, adj = wrapBias, wrapBias, 0
		}
	}
	if !over {
		if op&7 != fopAdd && op&7 != fopSub && op&7 != fopSubr {
			sa, sb = -sa, -sb
		}
	}
	e2 := x.env()
	r2 := farith(&e2, op, scaleF80(a, sa), scaleF80(b, sb))
	return x.wrapped(e, r, e2, r2, adj, over)
}

// wrapped completes wrapArith and wrapScale: r2, computed in e2, is the
// result scaled by 2^-24576 (overflow) or 2^24576 (underflow) once its
// exponent is adjusted by adj.
func (x *X87) wrapped(e *softfloat.Env, r softfloat.F80, e2 softfloat.Env, r2 softfloat.F80, adj int32, over bool) softfloat.F80 {
	if r2.Exp() == 0 || r2.Exp() == 0x7fff {
		return r // out of reach even wrapped
	}
	r2 = addExp(r2, adj)
	keep := e.Exc &^ (softfloat.ExcOverflow | softfloat.ExcUnderflow | softfloat.ExcPrecision)
	inexact := e2.Exc & softfloat.ExcPrecision
	if over {
		e.Exc = keep | softfloat.ExcOverflow | inexact
		e.C1 = e2.C1
		return r2
	}
	// Tiny means below 2^-16382 before rounding, i.e. the scaled result
	// below 2^8194 (biased 0x6001), or rounded up to exactly that.
	const tinyExp = 0x6001
	tiny := r2.Exp() < tinyExp ||
		r2.Exp() == tinyExp && r2.Mant == 1<<63 && e2.C1 && inexact != 0
	if !tiny {
		return r
	}
	e.Exc = keep | softfloat.ExcUnderflow | inexact
	e.C1 = e2.C1
	return r2
}

// wrapScale redoes FSCALE(a, b) for an unmasked overflow or underflow.
func (x *X87) wrapScale(e *softfloat.Env, r softfloat.F80, a, b softfloat.F80) softfloat.F80 {
	over := e.Exc&softfloat.ExcOverflow != 0
	s := int32(wrapBias)
	if over {
		s = -s
	}
	if a.Exp() == 0 && !over {
		// Scale the denormal up exactly before FSCALE sees it.
		a = scaleF80(a, s)
	} else if int32(a.Exp())+s < 1 || int32(a.Exp())+s > 0x7ffe {
		return r
	} else {
		a = scaleF80(a, s)
	}
	e2 := x.env()
	r2 := e2.Scale(a, b)
	return x.wrapped(e, r, e2, r2, 0, over)
}
