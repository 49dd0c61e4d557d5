package softfloat

// Mem is a float32 or float64 memory operand of an arithmetic or compare
// instruction (FADD m32fp, FCOM m64fp, ...), widened exactly to F80.
//
// It exists because such an instruction is not the same as FLD followed by
// the register form: the widening raises nothing by itself, a signaling NaN
// stays signaling for the x87 NaN selection rules, and a denormal source
// raises DE only if the operation gets past its invalid-operand checks
// (its widened value is a normal F80, so the flag is carried alongside).
type Mem struct {
	V        F80  // exact value; NaNs keep their quiet bit as stored
	Denormal bool // the source was a denormal in its own format
}

// MemFloat32 widens a float32 bit pattern without raising exceptions.
func MemFloat32(v uint32) Mem {
	return widen(v>>31 != 0, int32(v>>23&0xFF), uint64(v&(1<<23-1)), 23, 127)
}

// MemFloat64 widens a float64 bit pattern without raising exceptions.
func MemFloat64(v uint64) Mem {
	return widen(v>>63 != 0, int32(v>>52&0x7FF), v&(1<<52-1), 52, 1023)
}

// widen converts a binary float with fbits fraction bits and the given
// exponent bias exactly.
func widen(sign bool, exp int32, frac uint64, fbits uint, bias int32) Mem {
	switch emax := 2*bias + 1; {
	case exp == emax && frac == 0:
		return Mem{V: inf(sign)}
	case exp == emax:
		return Mem{V: F80{Mant: intBit | frac<<(63-fbits), SE: packSE(sign, expMax)}}
	case exp == 0 && frac == 0:
		return Mem{V: zero(sign)}
	case exp == 0:
		n := lz64(frac)
		// frac bit 63-n has weight 2^(63-n-fbits+1-bias).
		k := 63 - int32(n) - int32(fbits) + 1 - bias
		return Mem{V: F80{Mant: frac << n, SE: packSE(sign, expBias+k)}, Denormal: true}
	}
	return Mem{V: F80{Mant: intBit | frac<<(63-fbits), SE: packSE(sign, exp-bias+expBias)}}
}

// AddM returns a + m (FADD m32fp/m64fp).
func (e *Env) AddM(a F80, m Mem) F80 { return e.addSub(a, m.V, false, m.Denormal) }

// SubM returns a - m (FSUB m32fp/m64fp).
func (e *Env) SubM(a F80, m Mem) F80 { return e.addSub(a, m.V, true, m.Denormal) }

// SubRM returns m - a (FSUBR m32fp/m64fp).
func (e *Env) SubRM(a F80, m Mem) F80 { return e.addSub(m.V, a, true, m.Denormal) }

// MulM returns a * m (FMUL m32fp/m64fp).
func (e *Env) MulM(a F80, m Mem) F80 { return e.mul(a, m.V, m.Denormal) }

// DivM returns a / m (FDIV m32fp/m64fp).
func (e *Env) DivM(a F80, m Mem) F80 { return e.div(a, m.V, m.Denormal) }

// DivRM returns m / a (FDIVR m32fp/m64fp).
func (e *Env) DivRM(a F80, m Mem) F80 { return e.div(m.V, a, m.Denormal) }

// CompareM orders a against m (FCOM m32fp/m64fp, which is signaling: any
// NaN raises IE).
func (e *Env) CompareM(a F80, m Mem) Ordering { return e.compare(a, m.V, true, m.Denormal) }
