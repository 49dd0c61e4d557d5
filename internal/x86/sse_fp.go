package x86

import (
	"math"

	"golang.org/x/arch/x86/x86asm"
)

// SSE/SSE2 floating-point instructions: scalar (SS, SD) and packed (PS, PD)
// arithmetic, compares, COMIS/UCOMIS and conversions. The arithmetic itself
// is in sse_float.go; these handlers fetch operands, collect the MXCSR
// flags of every element, raise #XM for unmasked exceptions before
// anything is written, and then store the result.

// Arithmetic operations, in Inst.Aux.
const (
	fpAdd uint8 = iota
	fpSub
	fpMul
	fpDiv
	fpMin
	fpMax
	fpSqrt // unary: the result is the root of the second operand
)

// cmpPlain64 reports whether x is neither a NaN nor a denormal: such
// operands compare with host arithmetic and raise no flag.
func cmpPlain64(x uint64) bool {
	ex := x >> 52 & 0x7ff
	return (ex != 0 || x<<12 == 0) && (ex != 0x7ff || x<<12 == 0)
}

func cmpPlain32(x uint32) bool {
	ex := x >> 23 & 0xff
	return (ex != 0 || x<<9 == 0) && (ex != 0xff || x<<9 == 0)
}

func (e *fenv) cmp64(a, b uint64, signaling bool) uint8 {
	if cmpPlain64(a) && cmpPlain64(b) {
		x, y := math.Float64frombits(a), math.Float64frombits(b)
		switch {
		case x < y:
			return cmpLess
		case x > y:
			return cmpGreater
		}
		return cmpEqual
	}
	return e.fcmp(&fpDouble, a, b, signaling)
}

func (e *fenv) cmp32(a, b uint32, signaling bool) uint8 {
	if cmpPlain32(a) && cmpPlain32(b) {
		x, y := math.Float32frombits(a), math.Float32frombits(b)
		switch {
		case x < y:
			return cmpLess
		case x > y:
			return cmpGreater
		}
		return cmpEqual
	}
	return e.fcmp(&fpSingle, uint64(a), uint64(b), signaling)
}

func (e *fenv) op64(op uint8, a, b uint64) uint64 {
	switch op {
	case fpAdd:
		return e.add64(a, b)
	case fpSub:
		return e.sub64(a, b)
	case fpMul:
		return e.mul64(a, b)
	case fpDiv:
		return e.div64(a, b)
	case fpMin, fpMax:
		if cmpPlain64(a) && cmpPlain64(b) {
			x, y := math.Float64frombits(a), math.Float64frombits(b)
			if op == fpMin && x < y || op == fpMax && x > y {
				return a
			}
			return b
		}
		return e.fminmax(&fpDouble, a, b, op == fpMax)
	}
	return e.sqrt64(b)
}

func (e *fenv) op32(op uint8, a, b uint32) uint32 {
	switch op {
	case fpAdd:
		return e.add32(a, b)
	case fpSub:
		return e.sub32(a, b)
	case fpMul:
		return e.mul32(a, b)
	case fpDiv:
		return e.div32(a, b)
	case fpMin, fpMax:
		if cmpPlain32(a) && cmpPlain32(b) {
			x, y := math.Float32frombits(a), math.Float32frombits(b)
			if op == fpMin && x < y || op == fpMax && x > y {
				return a
			}
			return b
		}
		return uint32(e.fminmax(&fpSingle, uint64(a), uint64(b), op == fpMax))
	}
	return e.sqrt32(b)
}

// op32x2 applies op to the two single-precision lanes of a quadword.
func (e *fenv) op32x2(op uint8, a, b uint64) uint64 {
	return uint64(e.op32(op, uint32(a), uint32(b))) | uint64(e.op32(op, uint32(a>>32), uint32(b>>32)))<<32
}

func opFpSS(c *CPU, in *Inst) {
	s := c.src32(in, 1)
	d := &c.XMM[in.A[0].Reg]
	e := fenv{mx: c.MXCSR}
	r := e.op32(in.Aux, uint32(d[0]), s)
	c.fpFlags(&e)
	d[0] = d[0]&^0xffffffff | uint64(r)
}

func opFpSD(c *CPU, in *Inst) {
	s := c.src64(in, 1)
	d := &c.XMM[in.A[0].Reg]
	e := fenv{mx: c.MXCSR}
	r := e.op64(in.Aux, d[0], s)
	c.fpFlags(&e)
	d[0] = r
}

func opFpPS(c *CPU, in *Inst) {
	lo, hi := c.src128(in)
	d := &c.XMM[in.A[0].Reg]
	e := fenv{mx: c.MXCSR}
	r0 := e.op32x2(in.Aux, d[0], lo)
	r1 := e.op32x2(in.Aux, d[1], hi)
	c.fpFlags(&e)
	d[0], d[1] = r0, r1
}

func opFpPD(c *CPU, in *Inst) {
	lo, hi := c.src128(in)
	d := &c.XMM[in.A[0].Reg]
	e := fenv{mx: c.MXCSR}
	r0 := e.op64(in.Aux, d[0], lo)
	r1 := e.op64(in.Aux, d[1], hi)
	c.fpFlags(&e)
	d[0], d[1] = r0, r1
}

// cmpTrue evaluates CMPPS predicate p (0..7: EQ, LT, LE, UNORD, NEQ, NLT,
// NLE, ORD) on a comparison result.
func cmpTrue(p, r uint8) bool {
	var t bool
	switch p & 3 {
	case 0:
		t = r == cmpEqual
	case 1:
		t = r == cmpLess
	case 2:
		t = r == cmpLess || r == cmpEqual
	case 3:
		t = r == cmpUnordered
	}
	return t != (p&4 != 0)
}

// cmpSignals reports whether predicate p raises IE for a QNaN (LT, LE,
// NLT, NLE).
func cmpSignals(p uint8) bool { return p&3 == 1 || p&3 == 2 }

func cmpMask(b bool) uint64 {
	if b {
		return ^uint64(0)
	}
	return 0
}

func (e *fenv) cmpLane64(p uint8, a, b uint64) uint64 {
	return cmpMask(cmpTrue(p, e.cmp64(a, b, cmpSignals(p))))
}

func (e *fenv) cmpLane32(p uint8, a, b uint64) uint64 {
	lo := cmpTrue(p, e.cmp32(uint32(a), uint32(b), cmpSignals(p)))
	hi := cmpTrue(p, e.cmp32(uint32(a>>32), uint32(b>>32), cmpSignals(p)))
	return cmpMask(lo)&0xffffffff | cmpMask(hi)<<32
}

func opCmpSS(c *CPU, in *Inst) {
	s := c.src32(in, 1)
	d := &c.XMM[in.A[0].Reg]
	e := fenv{mx: c.MXCSR}
	r := e.cmpLane32(in.Aux, d[0], uint64(s))
	c.fpFlags(&e)
	d[0] = d[0]&^0xffffffff | r&0xffffffff
}

func opCmpSD(c *CPU, in *Inst) {
	s := c.src64(in, 1)
	d := &c.XMM[in.A[0].Reg]
	e := fenv{mx: c.MXCSR}
	r := e.cmpLane64(in.Aux, d[0], s)
	c.fpFlags(&e)
	d[0] = r
}

func opCmpPS(c *CPU, in *Inst) {
	lo, hi := c.src128(in)
	d := &c.XMM[in.A[0].Reg]
	e := fenv{mx: c.MXCSR}
	r0 := e.cmpLane32(in.Aux, d[0], lo)
	r1 := e.cmpLane32(in.Aux, d[1], hi)
	c.fpFlags(&e)
	d[0], d[1] = r0, r1
}

func opCmpPD(c *CPU, in *Inst) {
	lo, hi := c.src128(in)
	d := &c.XMM[in.A[0].Reg]
	e := fenv{mx: c.MXCSR}
	r0 := e.cmpLane64(in.Aux, d[0], lo)
	r1 := e.cmpLane64(in.Aux, d[1], hi)
	c.fpFlags(&e)
	d[0], d[1] = r0, r1
}

// setCompareFlags sets ZF, PF and CF from an ordered or unordered
// comparison the way COMISS and UCOMISS do, clearing OF, SF and AF.
func (c *CPU) setCompareFlags(r uint8) {
	var f uint64
	switch r {
	case cmpUnordered:
		f = FlagZF | FlagPF | FlagCF
	case cmpLess:
		f = FlagCF
	case cmpEqual:
		f = FlagZF
	}
	c.SetFlags(f, StatusFlags)
}

// opComiss is COMISS (Aux 1: any NaN is invalid) and UCOMISS (Aux 0).
func opComiss(c *CPU, in *Inst) {
	s := c.src32(in, 1)
	e := fenv{mx: c.MXCSR}
	r := e.cmp32(uint32(c.XMM[in.A[0].Reg][0]), s, in.Aux == 1)
	c.fpFlags(&e)
	c.setCompareFlags(r)
}

func opComisd(c *CPU, in *Inst) {
	s := c.src64(in, 1)
	e := fenv{mx: c.MXCSR}
	r := e.cmp64(c.XMM[in.A[0].Reg][0], s, in.Aux == 1)
	c.fpFlags(&e)
	c.setCompareFlags(r)
}

// Conversions.

// i2f64 converts a signed integer to double precision.
func (e *fenv) i2f64(v int64) uint64 {
	if v >= -1<<53 && v <= 1<<53 {
		return math.Float64bits(float64(v)) // exact
	}
	return e.fromInt(&fpDouble, v)
}

// i2f32 converts a signed integer to single precision.
func (e *fenv) i2f32(v int64) uint32 {
	if v >= -1<<24 && v <= 1<<24 {
		return math.Float32bits(float32(v)) // exact
	}
	return uint32(e.fromInt(&fpSingle, v))
}

// f2i64 converts a double to an integer of width bits, rounding per rc
// (truncating, or the MXCSR mode).
func (e *fenv) f2i64(a uint64, width uint, rc uint8) uint64 {
	// Host conversion for in-range normal values and zeros when MXCSR is
	// in its usual state: truncation, or round to nearest even.
	if (rc == rcZero || rc == e.rc()) && e.fast() && plain64(a) {
		x := math.Float64frombits(a)
		if lim := float64(uint64(1) << (width - 1)); x < lim && x > -lim {
			r := x
			if rc == rcNearest {
				r = math.RoundToEven(x)
			}
			// Just below 2^(width-1), rounding up leaves the range.
			if r != lim {
				v := int64(r)
				if e.needPE() && float64(v) != x {
					e.fl |= mxPE
				}
				return uint64(v) & (1<<(width-1)<<1 - 1)
			}
		}
	}
	return e.toInt(&fpDouble, a, width, rc)
}

// f2i32 is f2i64 for a single-precision source.
func (e *fenv) f2i32(a uint32, width uint, rc uint8) uint64 {
	if plain32(a) {
		// Widening a normal single is exact.
		return e.f2i64(math.Float64bits(float64(math.Float32frombits(a))), width, rc)
	}
	return e.toInt(&fpSingle, uint64(a), width, rc)
}

// cvt32to64 widens a single to a double (exact except for NaN handling).
func (e *fenv) cvt32to64(a uint32) uint64 {
	if plain32(a) {
		return math.Float64bits(float64(math.Float32frombits(a)))
	}
	return e.fcvt(&fpDouble, &fpSingle, uint64(a))
}

// cvt64to32 narrows a double to a single in the current rounding mode.
func (e *fenv) cvt64to32(a uint64) uint32 {
	if e.fast() && plain64(a) {
		x := math.Float64frombits(a)
		r := float32(x)
		rb := math.Float32bits(r)
		if big32(rb) || rb<<1 == 0 && a<<1 == 0 {
			if e.needPE() && float64(r) != x {
				e.fl |= mxPE
			}
			return rb
		}
	}
	return uint32(e.fcvt(&fpSingle, &fpDouble, a))
}

func opCvtsi2ss(c *CPU, in *Inst) {
	v := c.srcInt(in, 1)
	e := fenv{mx: c.MXCSR}
	r := e.i2f32(v)
	c.fpFlags(&e)
	d := &c.XMM[in.A[0].Reg]
	d[0] = d[0]&^0xffffffff | uint64(r)
}

func opCvtsi2sd(c *CPU, in *Inst) {
	v := c.srcInt(in, 1)
	e := fenv{mx: c.MXCSR}
	r := e.i2f64(v)
	c.fpFlags(&e)
	c.XMM[in.A[0].Reg][0] = r
}

// opCvtss2si is CVTSS2SI and CVTTSS2SI (Aux 1: truncate).
func opCvtss2si(c *CPU, in *Inst) {
	a := c.src32(in, 1)
	e := fenv{mx: c.MXCSR}
	rc := e.cvtRC(in.Aux)
	r := e.f2i32(a, uint(in.A[0].Size)*8, rc)
	c.fpFlags(&e)
	c.R[in.A[0].Reg] = r
}

// opCvtsd2si is CVTSD2SI and CVTTSD2SI (Aux 1: truncate).
func opCvtsd2si(c *CPU, in *Inst) {
	a := c.src64(in, 1)
	e := fenv{mx: c.MXCSR}
	rc := e.cvtRC(in.Aux)
	r := e.f2i64(a, uint(in.A[0].Size)*8, rc)
	c.fpFlags(&e)
	c.R[in.A[0].Reg] = r
}

func opCvtss2sd(c *CPU, in *Inst) {
	a := c.src32(in, 1)
	e := fenv{mx: c.MXCSR}
	r := e.cvt32to64(a)
	c.fpFlags(&e)
	c.XMM[in.A[0].Reg][0] = r
}

func opCvtsd2ss(c *CPU, in *Inst) {
	a := c.src64(in, 1)
	e := fenv{mx: c.MXCSR}
	r := e.cvt64to32(a)
	c.fpFlags(&e)
	d := &c.XMM[in.A[0].Reg]
	d[0] = d[0]&^0xffffffff | uint64(r)
}

// cvtI32x2F32 converts the two signed doublewords of q to singles (the
// lanes of CVTDQ2PS and CVTPI2PS).
func (e *fenv) cvtI32x2F32(q uint64) uint64 {
	return uint64(e.i2f32(int64(int32(q)))) | uint64(e.i2f32(int64(int32(q>>32))))<<32
}

// cvtF32x2I32 converts the two singles of q to signed doublewords rounded
// per rc (CVTPS2DQ, CVTPS2PI and their truncating forms).
func (e *fenv) cvtF32x2I32(q uint64, rc uint8) uint64 {
	return e.f2i32(uint32(q), 32, rc) | e.f2i32(uint32(q>>32), 32, rc)<<32
}

// cvtF64x2I32 converts two doubles to signed doublewords packed in one
// quadword, lo's first (CVTPD2DQ, CVTPD2PI).
func (e *fenv) cvtF64x2I32(lo, hi uint64, rc uint8) uint64 {
	return e.f2i64(lo, 32, rc) | e.f2i64(hi, 32, rc)<<32
}

// cvtI32x2F64 converts the two signed doublewords of q to doubles, which
// is exact (CVTDQ2PD, CVTPI2PD).
func (e *fenv) cvtI32x2F64(q uint64) (lo, hi uint64) {
	return e.i2f64(int64(int32(q))), e.i2f64(int64(int32(q >> 32)))
}

// cvtRC is the rounding of a float-to-integer conversion whose Inst.Aux is
// aux: 1 for the truncating forms (CVTT...), else MXCSR.RC.
func (e *fenv) cvtRC(aux uint8) uint8 {
	if aux == 1 {
		return rcZero
	}
	return e.rc()
}

func opCvtdq2ps(c *CPU, in *Inst) {
	lo, hi := c.src128(in)
	e := fenv{mx: c.MXCSR}
	r0, r1 := e.cvtI32x2F32(lo), e.cvtI32x2F32(hi)
	c.fpFlags(&e)
	c.XMM[in.A[0].Reg] = [2]uint64{r0, r1}
}

// opCvtps2dq is CVTPS2DQ and CVTTPS2DQ (Aux 1: truncate).
func opCvtps2dq(c *CPU, in *Inst) {
	lo, hi := c.src128(in)
	e := fenv{mx: c.MXCSR}
	rc := e.cvtRC(in.Aux)
	r0, r1 := e.cvtF32x2I32(lo, rc), e.cvtF32x2I32(hi, rc)
	c.fpFlags(&e)
	c.XMM[in.A[0].Reg] = [2]uint64{r0, r1}
}

func opCvtdq2pd(c *CPU, in *Inst) {
	s := c.src64(in, 1)
	e := fenv{mx: c.MXCSR}
	r0, r1 := e.cvtI32x2F64(s)
	c.XMM[in.A[0].Reg] = [2]uint64{r0, r1}
}

// opCvtpd2dq is CVTPD2DQ and CVTTPD2DQ (Aux 1: truncate); the upper half
// of the destination is cleared.
func opCvtpd2dq(c *CPU, in *Inst) {
	lo, hi := c.src128(in)
	e := fenv{mx: c.MXCSR}
	r := e.cvtF64x2I32(lo, hi, e.cvtRC(in.Aux))
	c.fpFlags(&e)
	c.XMM[in.A[0].Reg] = [2]uint64{r, 0}
}

func opCvtps2pd(c *CPU, in *Inst) {
	s := c.src64(in, 1)
	e := fenv{mx: c.MXCSR}
	r0, r1 := e.cvt32to64(uint32(s)), e.cvt32to64(uint32(s>>32))
	c.fpFlags(&e)
	c.XMM[in.A[0].Reg] = [2]uint64{r0, r1}
}

func opCvtpd2ps(c *CPU, in *Inst) {
	lo, hi := c.src128(in)
	e := fenv{mx: c.MXCSR}
	r := uint64(e.cvt64to32(lo)) | uint64(e.cvt64to32(hi))<<32
	c.fpFlags(&e)
	c.XMM[in.A[0].Reg] = [2]uint64{r, 0}
}

func init() {
	for _, a := range []struct {
		ss, sd, ps, pd x86asm.Op
		op             uint8
	}{
		{x86asm.ADDSS, x86asm.ADDSD, x86asm.ADDPS, x86asm.ADDPD, fpAdd},
		{x86asm.SUBSS, x86asm.SUBSD, x86asm.SUBPS, x86asm.SUBPD, fpSub},
		{x86asm.MULSS, x86asm.MULSD, x86asm.MULPS, x86asm.MULPD, fpMul},
		{x86asm.DIVSS, x86asm.DIVSD, x86asm.DIVPS, x86asm.DIVPD, fpDiv},
		{x86asm.MINSS, x86asm.MINSD, x86asm.MINPS, x86asm.MINPD, fpMin},
		{x86asm.MAXSS, x86asm.MAXSD, x86asm.MAXPS, x86asm.MAXPD, fpMax},
		{x86asm.SQRTSS, x86asm.SQRTSD, x86asm.SQRTPS, x86asm.SQRTPD, fpSqrt},
	} {
		sseDefAux(a.ss, a.op, opFpSS)
		sseDefAux(a.sd, a.op, opFpSD)
		sseDefAux(a.ps, a.op, opFpPS)
		sseDefAux(a.pd, a.op, opFpPD)
	}
	for _, cm := range []struct {
		op x86asm.Op
		h  Handler
	}{
		{x86asm.CMPSS, opCmpSS}, {x86asm.CMPSD_XMM, opCmpSD},
		{x86asm.CMPPS, opCmpPS}, {x86asm.CMPPD, opCmpPD},
	} {
		h := cm.h
		sseBuild(cm.op, func(in *Inst) Handler {
			in.Aux = uint8(in.Imm & 7)
			return h
		})
	}
	sseDefAux(x86asm.COMISS, 1, opComiss)
	sseDefAux(x86asm.UCOMISS, 0, opComiss)
	sseDefAux(x86asm.COMISD, 1, opComisd)
	sseDefAux(x86asm.UCOMISD, 0, opComisd)

	sseDef(x86asm.CVTSI2SS, opCvtsi2ss)
	sseDef(x86asm.CVTSI2SD, opCvtsi2sd)
	sseDefAux(x86asm.CVTSS2SI, 0, opCvtss2si)
	sseDefAux(x86asm.CVTTSS2SI, 1, opCvtss2si)
	sseDefAux(x86asm.CVTSD2SI, 0, opCvtsd2si)
	sseDefAux(x86asm.CVTTSD2SI, 1, opCvtsd2si)
	sseDef(x86asm.CVTSS2SD, opCvtss2sd)
	sseDef(x86asm.CVTSD2SS, opCvtsd2ss)
	sseDef(x86asm.CVTDQ2PS, opCvtdq2ps)
	sseDefAux(x86asm.CVTPS2DQ, 0, opCvtps2dq)
	sseDefAux(x86asm.CVTTPS2DQ, 1, opCvtps2dq)
	sseDef(x86asm.CVTDQ2PD, opCvtdq2pd)
	sseDefAux(x86asm.CVTPD2DQ, 0, opCvtpd2dq)
	sseDefAux(x86asm.CVTTPD2DQ, 1, opCvtpd2dq)
	sseDef(x86asm.CVTPS2PD, opCvtps2pd)
	sseDef(x86asm.CVTPD2PS, opCvtpd2ps)
}
