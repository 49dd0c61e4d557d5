package softfloat

// Env is the part of the x87 control and status words that the arithmetic
// needs: rounding control, precision control, the sticky exception flags and
// condition code C1. The zero Env rounds to nearest with 24-bit precision;
// the Linux default (FNINIT) is Env{RC: RoundNearest, PC: Prec64}.
type Env struct {
	// RC is the rounding control (control word bits 10-11): RoundNearest,
	// RoundDown, RoundUp or RoundZero.
	RC uint8
	// PC is the precision control (control word bits 8-9): Prec24, Prec53 or
	// Prec64. The reserved value 1 is treated as Prec64. It only affects Add,
	// Sub, Mul, Div and Sqrt, like on hardware.
	PC uint8
	// Exc accumulates exception flags (ExcInvalid ... ExcPrecision) in status
	// word order; operations only ever set bits, never clear them.
	Exc uint8
	// C1 is the status word condition code C1 as the last operation left it:
	// for operations that round, whether the result was rounded up in
	// magnitude; for Prem/Prem1 quotient bit 0; false otherwise.
	C1 bool
}

// DefaultEnv returns the state after FNINIT (control word 0x037F): round to
// nearest, 64-bit precision, no exceptions.
func DefaultEnv() Env { return Env{RC: RoundNearest, PC: Prec64} }

// SetControlWord takes RC and PC from an x87 control word. The exception
// mask bits are ignored: the package always gives the masked responses.
func (e *Env) SetControlWord(cw uint16) {
	e.RC = uint8(cw>>10) & 3
	e.PC = uint8(cw>>8) & 3
}

// Rounding control values for Env.RC.
const (
	RoundNearest uint8 = 0 // round to nearest, ties to even
	RoundDown    uint8 = 1 // toward negative infinity
	RoundUp      uint8 = 2 // toward positive infinity
	RoundZero    uint8 = 3 // toward zero (truncate)
)

// Precision control values for Env.PC.
const (
	Prec24 uint8 = 0 // significand rounded to 24 bits (float32 precision)
	Prec53 uint8 = 2 // significand rounded to 53 bits (float64 precision)
	Prec64 uint8 = 3 // full 64-bit significand
)

// Exception flags for Env.Exc, with the bit positions of the x87 status word.
const (
	ExcInvalid    uint8 = 1 << 0 // IE: invalid operation
	ExcDenormal   uint8 = 1 << 1 // DE: denormal operand
	ExcZeroDivide uint8 = 1 << 2 // ZE: division by zero
	ExcOverflow   uint8 = 1 << 3 // OE: numeric overflow
	ExcUnderflow  uint8 = 1 << 4 // UE: numeric underflow (tiny and inexact)
	ExcPrecision  uint8 = 1 << 5 // PE: inexact result
)

// precBits returns the significand width selected by PC.
func (e *Env) precBits() uint {
	switch e.PC {
	case Prec24:
		return 24
	case Prec53:
		return 53
	}
	return 64
}

// invalid raises IE and returns the real indefinite.
func (e *Env) invalid() F80 {
	e.Exc |= ExcInvalid
	return Indefinite
}

// roundDir decides whether a discarded fraction rounds the kept value up in
// magnitude under rounding control rc. aboveHalf and exactHalf describe the
// fraction relative to half an ulp, odd is the parity of the kept value.
func roundDir(rc uint8, sign, inexact, aboveHalf, exactHalf, odd bool) bool {
	if !inexact {
		return false
	}
	switch rc {
	case RoundNearest:
		return aboveHalf || (exactHalf && odd)
	case RoundDown:
		return sign
	case RoundUp:
		return !sign
	}
	return false
}

// roundSig rounds the significand hi:lo (lo holding the bits below hi) to
// its top prec bits. It returns the kept bits (bits below the precision
// cleared), whether rounding up carried out of bit 63 (the kept bits are then
// zero), whether any discarded bit was set and whether it rounded up.
func roundSig(rc uint8, sign bool, hi, lo uint64, prec uint) (r uint64, carry, inexact, up bool) {
	var above, half, odd bool
	var mask uint64
	if prec >= 64 {
		inexact = lo != 0
		above = lo > 1<<63
		half = lo == 1<<63
		odd = hi&1 != 0
	} else {
		unit := uint64(1) << (64 - prec)
		mask = unit - 1
		frac := hi & mask
		h := unit >> 1
		inexact = frac != 0 || lo != 0
		above = frac > h || (frac == h && lo != 0)
		half = frac == h && lo == 0
		odd = hi&unit != 0
		hi &^= mask
	}
	up = roundDir(rc, sign, inexact, above, half, odd)
	if up {
		hi += mask + 1
		carry = hi == 0
	}
	return hi, carry, inexact, up
}

// round rounds the exact value (-1)^sign * (hi:lo) * 2^(exp-bias-127) to a
// significand of prec bits in a format whose finite biased exponents are
// 1..emax-1, with gradual underflow below 1. It returns the biased exponent
// field and the significand left-aligned in 64 bits (bit 63 set for normal
// results, clear for denormals and zero; overflow to infinity returns emax
// and intBit). It raises PE, UE and OE as the x87 does with those exceptions
// masked and sets C1 to whether the result was rounded up.
//
// The value must be nonzero. A result below the smallest normal is
// denormalized first and then rounded at the fixed denormal position, so
// with reduced precision control the rounding point of an 80-bit denormal is
// where the 24- or 53-bit mask puts it, exactly like hardware. Tininess (for
// UE) is detected after rounding: a value that rounds to the smallest normal
// when the exponent range is unbounded is not tiny.
func (e *Env) round(sign bool, exp int32, hi, lo uint64, prec uint, emax int32) (int32, uint64) {
	if hi == 0 {
		hi, lo = lo, 0
		exp -= 64
	}
	n := lz64(hi)
	if n != 0 {
		hi = hi<<n | lo>>(64-n)
		lo <<= n
		exp -= int32(n)
	}
	tiny := false
	if exp <= 0 {
		tiny = true
		if exp == 0 {
			if _, carry, _, _ := roundSig(e.RC, sign, hi, lo, prec); carry {
				tiny = false
			}
		}
		hi, lo = shr128Jam(hi, lo, uint(1-exp))
		exp = 0
	}
	hi, carry, inexact, up := roundSig(e.RC, sign, hi, lo, prec)
	e.C1 = up
	if carry {
		hi = intBit
		exp++
	}
	if exp == 0 && hi&intBit != 0 {
		exp = 1 // a denormal rounded up to the smallest normal
	}
	if inexact {
		e.Exc |= ExcPrecision
		if tiny {
			e.Exc |= ExcUnderflow
		}
	}
	if exp >= emax {
		e.Exc |= ExcOverflow | ExcPrecision
		toInf := false
		switch e.RC {
		case RoundNearest:
			toInf = true
		case RoundDown:
			toInf = sign
		case RoundUp:
			toInf = !sign
		}
		e.C1 = toInf
		if toInf {
			return emax, intBit
		}
		return emax - 1, ^(uint64(1)<<(64-prec) - 1)
	}
	return exp, hi
}

// round80 rounds to an F80 with the given significand width; see round.
func (e *Env) round80(sign bool, exp int32, hi, lo uint64, prec uint) F80 {
	x, m := e.round(sign, exp, hi, lo, prec, expMax)
	return F80{Mant: m, SE: packSE(sign, x)}
}
