package x86

import "gemu/internal/softfloat"

// x87 arithmetic and compares.

// farith computes dst op src for the register and integer forms.
func farith(e *softfloat.Env, op uint8, dst, src softfloat.F80) softfloat.F80 {
	switch op & 7 {
	case fopAdd:
		return e.Add(dst, src)
	case fopMul:
		return e.Mul(dst, src)
	case fopSub:
		return e.Sub(dst, src)
	case fopSubr:
		return e.Sub(src, dst)
	case fopDiv:
		return e.Div(dst, src)
	default:
		return e.Div(src, dst)
	}
}

// farithMem computes ST(0) op m for a float32/float64 memory operand.
func farithMem(e *softfloat.Env, op uint8, dst softfloat.F80, m softfloat.Mem) softfloat.F80 {
	switch op & 7 {
	case fopAdd:
		return e.AddM(dst, m)
	case fopMul:
		return e.MulM(dst, m)
	case fopSub:
		return e.SubM(dst, m)
	case fopSubr:
		return e.SubRM(dst, m)
	case fopDiv:
		return e.DivM(dst, m)
	default:
		return e.DivRM(dst, m)
	}
}

// opFarithST is FADD/FSUB/FSUBR/FMUL/FDIV/FDIVR ST(a), ST(b) and their
// popping forms: ST(a) = ST(a) op ST(b).
func opFarithST(c *CPU, in *Inst) {
	c.fpWait()
	x := &c.X87
	pd, ps := x.phys(in.A[0].Reg), x.phys(in.A[1].Reg)
	if x.Empty[pd] || x.Empty[ps] {
		if !x.underflow() {
			c.fpLast(in)
			return
		}
		x.St[pd], x.Empty[pd] = indefinite, false
	} else {
		e := x.env()
		a, b := sf(x.St[pd]), sf(x.St[ps])
		r := farith(&e, in.Aux, a, b)
		if x.CW&(swOE|swUE) != swOE|swUE && x.wrapNeeded(&e, r) {
			r = x.wrapArith(&e, r, in.Aux, a, b)
		}
		if !x.finish(&e) {
			c.fpLast(in)
			return
		}
		x.St[pd] = F80(r)
	}
	if in.Aux&fauxPop != 0 {
		x.pop()
	}
	c.fpLast(in)
}

// fpMemOp finishes an arithmetic instruction with a memory operand b.
func (c *CPU) fpMemOp(in *Inst, off uint64, e *softfloat.Env, r, b softfloat.F80) {
	x := &c.X87
	if x.CW&(swOE|swUE) != swOE|swUE && x.wrapNeeded(e, r) {
		r = x.wrapArith(e, r, in.Aux, sf(x.St[x.Top]), b)
	}
	if x.finish(e) {
		x.St[x.Top] = F80(r)
	}
	c.fpLastM(in, off)
}

// fpUnderflow0 handles an empty ST(0) for one-operand results: the masked
// response writes the indefinite to ST(0).
func (x *X87) fpUnderflow0() {
	if x.underflow() {
		x.St[x.Top], x.Empty[x.Top] = indefinite, false
	}
}

// opFarithM is FADD/FSUB/... m32fp and m64fp.
func opFarithM(c *CPU, in *Inst) {
	c.fpWait()
	x := &c.X87
	ea, off := c.fpEA(in)
	var m softfloat.Mem
	if in.A[0].Size == 4 {
		m = softfloat.MemFloat32(c.Mem.Load32(ea))
	} else {
		m = softfloat.MemFloat64(c.Mem.Load64(ea))
	}
	if x.Empty[x.Top] {
		x.fpUnderflow0()
		c.fpLastM(in, off)
		return
	}
	e := x.env()
	c.fpMemOp(in, off, &e, farithMem(&e, in.Aux, sf(x.St[x.Top]), m), m.V)
}

// opFiarith is FIADD/FISUB/... m16int and m32int.
func opFiarith(c *CPU, in *Inst) {
	c.fpWait()
	x := &c.X87
	ea, off := c.fpEA(in)
	n := in.A[0].Size
	v := int64(signExtend(c.Mem.LoadN(ea, int(n)), n))
	if x.Empty[x.Top] {
		x.fpUnderflow0()
		c.fpLastM(in, off)
		return
	}
	e := x.env()
	b := softfloat.FromInt64(v)
	c.fpMemOp(in, off, &e, farith(&e, in.Aux, sf(x.St[x.Top]), b), b)
}

// One-operand operations of fpUnary.
const (
	unarySqrt = iota
	unaryRndint
	unaryF2xm1
)

// fpUnary replaces ST(0) by op(ST(0)) (FSQRT, FRNDINT, F2XM1). The
// operation is chosen by a switch, not a function value, so that the
// environment stays on the stack.
func (c *CPU) fpUnary(in *Inst, op int) {
	c.fpWait()
	x := &c.X87
	if x.Empty[x.Top] {
		x.fpUnderflow0()
	} else {
		e := x.env()
		a := sf(x.St[x.Top])
		var r softfloat.F80
		switch op {
		case unarySqrt:
			r = e.Sqrt(a)
		case unaryRndint:
			r = e.RoundInt(a)
		default:
			r = f2xm1(&e, a)
		}
		if x.finish(&e) {
			x.St[x.Top] = F80(r)
		}
	}
	c.fpLast(in)
}

func opFsqrt(c *CPU, in *Inst) { c.fpUnary(in, unarySqrt) }

func opFrndint(c *CPU, in *Inst) { c.fpUnary(in, unaryRndint) }

// opFabs clears the sign of ST(0); it raises nothing but underflow.
func opFabs(c *CPU, in *Inst) {
	c.fpWait()
	x := &c.X87
	if x.Empty[x.Top] {
		x.fpUnderflow0()
	} else {
		x.St[x.Top].SE &^= 0x8000
		x.SW &^= swC1
	}
	c.fpLast(in)
}

// opFchs flips the sign of ST(0).
func opFchs(c *CPU, in *Inst) {
	c.fpWait()
	x := &c.X87
	if x.Empty[x.Top] {
		x.fpUnderflow0()
	} else {
		x.St[x.Top].SE ^= 0x8000
		x.SW &^= swC1
	}
	c.fpLast(in)
}

// st01 returns the physical numbers of ST(0) and ST(1) and whether both
// are valid; if not it has recorded the stack underflow and masked says
// whether the masked response applies.
func (x *X87) st01() (p0, p1 uint8, ok, masked bool) {
	p0, p1 = x.Top, x.phys(1)
	if x.Empty[p0] || x.Empty[p1] {
		return p0, p1, false, x.underflow()
	}
	return p0, p1, true, true
}

// opFscale is FSCALE: ST(0) = ST(0) * 2^trunc(ST(1)).
func opFscale(c *CPU, in *Inst) {
	c.fpWait()
	x := &c.X87
	p0, p1, ok, masked := x.st01()
	switch {
	case ok:
		e := x.env()
		a, b := sf(x.St[p0]), sf(x.St[p1])
		r := e.Scale(a, b)
		if x.CW&(swOE|swUE) != swOE|swUE && x.wrapNeeded(&e, r) {
			r = x.wrapScale(&e, r, a, b)
		}
		if x.finish(&e) {
			x.St[p0] = F80(r)
		}
	case masked:
		x.St[p0], x.Empty[p0] = indefinite, false
	}
	c.fpLast(in)
}

// opFprem is FPREM and FPREM1 (Aux 1): partial remainder of ST(0) / ST(1)
// into ST(0), with C2 set when incomplete and the low quotient bits in C0,
// C3 and C1.
func opFprem(c *CPU, in *Inst) {
	c.fpWait()
	x := &c.X87
	p0, p1, ok, masked := x.st01()
	switch {
	case ok:
		e := x.env()
		var r softfloat.F80
		var q uint8
		var partial bool
		if in.Aux == 1 {
			r, q, partial = e.Prem1(sf(x.St[p0]), sf(x.St[p1]))
		} else {
			r, q, partial = e.Prem(sf(x.St[p0]), sf(x.St[p1]))
		}
		done := x.signal(uint16(e.Exc))
		switch {
		case e.Exc&softfloat.ExcInvalid != 0 || r.IsNaN():
			// No quotient: C1 and C2 are cleared, C0 and C3 kept.
			x.SW &^= swC1 | swC2
		case done:
			x.setCC(premCC(q, partial))
		}
		if done {
			x.St[p0] = F80(r)
		}
	case masked:
		x.St[p0], x.Empty[p0] = indefinite, false
		x.SW &^= swC2
	default:
		x.SW &^= swC2
	}
	c.fpLast(in)
}

// premCC returns the condition codes of FPREM: the quotient bits 2, 1, 0
// in C0, C3, C1 and C2 for an incomplete reduction.
func premCC(q uint8, partial bool) uint16 {
	var cc uint16
	if q&4 != 0 {
		cc |= swC0
	}
	if q&2 != 0 {
		cc |= swC3
	}
	if q&1 != 0 {
		cc |= swC1
	}
	if partial {
		cc |= swC2
	}
	return cc
}

// opFxtract is FXTRACT: ST(0) becomes the exponent and the significand is
// pushed.
func opFxtract(c *CPU, in *Inst) {
	c.fpWait()
	x := &c.X87
	p0 := x.Top
	if x.Empty[p0] {
		// Only the underflow is reported, even if ST(7) is in use.
		if x.underflow() {
			x.St[p0], x.Empty[p0] = indefinite, false
			x.push(indefinite)
		}
		c.fpLast(in)
		return
	}
	if !x.Empty[(x.Top-1)&7] {
		// Stack overflow: the masked response replaces ST(0) too.
		x.SW |= swC1
		if x.signal(swIE | swSF) {
			x.St[p0] = indefinite
			x.push(indefinite)
		}
		c.fpLast(in)
		return
	}
	e := x.env()
	sig, exp := e.Xtract(sf(x.St[p0]))
	if x.finish(&e) {
		x.St[p0] = F80(exp)
		x.push(F80(sig))
	}
	c.fpLast(in)
}

// fcomCC converts an ordering to condition codes C3, C2, C0 (C1 clear).
func fcomCC(o softfloat.Ordering) uint16 { return o.CC() }

// fpCompare finishes a compare: records exceptions and sets the condition
// codes, which are written even when an exception is unmasked. It reports
// whether the instruction completes (and may pop).
func (c *CPU) fpCompare(in *Inst, e *softfloat.Env, o softfloat.Ordering) bool {
	x := &c.X87
	x.setCC(fcomCC(o))
	return x.signal(uint16(e.Exc))
}

// fpComparePop pops after a compare as Aux says.
func (x *X87) fpComparePop(aux uint8) {
	switch {
	case aux&fauxPop2 != 0:
		x.pop()
		x.pop()
	case aux&fauxPop != 0:
		x.pop()
	}
}

// fpCompareEmpty handles a compare with an empty operand: masked, the
// result is unordered.
func (c *CPU) fpCompareEmpty(in *Inst) {
	x := &c.X87
	x.setCC(swC0 | swC2 | swC3)
	if x.underflow() {
		x.fpComparePop(in.Aux)
	}
}

// opFcomST is FCOM/FCOMP/FUCOM/FUCOMP ST(i) and FCOMPP/FUCOMPP.
func opFcomST(c *CPU, in *Inst) {
	c.fpWait()
	x := &c.X87
	i := uint8(1)
	if in.NArgs > 0 {
		i = in.A[0].Reg
	}
	p0, pi := x.Top, x.phys(i)
	if x.Empty[p0] || x.Empty[pi] {
		c.fpCompareEmpty(in)
	} else {
		e := x.env()
		o := e.Compare(sf(x.St[p0]), sf(x.St[pi]), in.Aux&fauxUnord == 0)
		if c.fpCompare(in, &e, o) {
			x.fpComparePop(in.Aux)
		}
	}
	c.fpLast(in)
}

// fpCompareMem compares ST(0) with a widened memory operand.
func (c *CPU) fpCompareMem(in *Inst, off uint64, m softfloat.Mem) {
	x := &c.X87
	if x.Empty[x.Top] {
		c.fpCompareEmpty(in)
	} else {
		e := x.env()
		o := e.CompareM(sf(x.St[x.Top]), m)
		if c.fpCompare(in, &e, o) {
			x.fpComparePop(in.Aux)
		}
	}
	c.fpLastM(in, off)
}

func opFcomM32(c *CPU, in *Inst) {
	c.fpWait()
	ea, off := c.fpEA(in)
	c.fpCompareMem(in, off, softfloat.MemFloat32(c.Mem.Load32(ea)))
}

func opFcomM64(c *CPU, in *Inst) {
	c.fpWait()
	ea, off := c.fpEA(in)
	c.fpCompareMem(in, off, softfloat.MemFloat64(c.Mem.Load64(ea)))
}

// opFicom is FICOM/FICOMP m16int and m32int.
func opFicom(c *CPU, in *Inst) {
	c.fpWait()
	x := &c.X87
	ea, off := c.fpEA(in)
	n := in.A[0].Size
	v := int64(signExtend(c.Mem.LoadN(ea, int(n)), n))
	if x.Empty[x.Top] {
		c.fpCompareEmpty(in)
	} else {
		e := x.env()
		o := e.Compare(sf(x.St[x.Top]), softfloat.FromInt64(v), true)
		if c.fpCompare(in, &e, o) {
			x.fpComparePop(in.Aux)
		}
	}
	c.fpLastM(in, off)
}

// opFtst compares ST(0) with +0.
func opFtst(c *CPU, in *Inst) {
	c.fpWait()
	x := &c.X87
	if x.Empty[x.Top] {
		c.fpCompareEmpty(in)
	} else {
		e := x.env()
		o := e.Compare(sf(x.St[x.Top]), softfloat.F80{}, true)
		c.fpCompare(in, &e, o)
	}
	c.fpLast(in)
}

// opFxam classifies ST(0) into C3, C2, C0 with its sign in C1.
func opFxam(c *CPU, in *Inst) {
	c.fpWait()
	x := &c.X87
	v := x.St[x.Top]
	k := softfloat.ClassEmpty
	if !x.Empty[x.Top] {
		k = sf(v).Classify()
	}
	var cc uint16
	if k&4 != 0 {
		cc |= swC3
	}
	if k&2 != 0 {
		cc |= swC2
	}
	if k&1 != 0 {
		cc |= swC0
	}
	if v.SE&0x8000 != 0 {
		cc |= swC1
	}
	x.setCC(cc)
	c.fpLast(in)
}

// comiFlags are the EFLAGS an FCOMI ordering produces (ZF, PF, CF).
var comiFlags = [4]uint64{
	softfloat.Less:      FlagCF,
	softfloat.Equal:     FlagZF,
	softfloat.Greater:   0,
	softfloat.Unordered: FlagZF | FlagPF | FlagCF,
}

// opFcomi is FCOMI/FCOMIP/FUCOMI/FUCOMIP ST(0), ST(i): the result goes to
// ZF, PF and CF; OF, SF and AF are cleared.
func opFcomi(c *CPU, in *Inst) {
	c.fpWait()
	x := &c.X87
	p0, pi := x.Top, x.phys(in.A[1].Reg)
	// EFLAGS are written even when an exception is unmasked.
	if x.Empty[p0] || x.Empty[pi] {
		c.SetFlags(comiFlags[softfloat.Unordered], StatusFlags)
		if x.underflow() {
			x.fpComparePop(in.Aux)
		}
	} else {
		e := x.env()
		o := e.Compare(sf(x.St[p0]), sf(x.St[pi]), in.Aux&fauxUnord == 0)
		c.SetFlags(comiFlags[o], StatusFlags)
		if x.signal(uint16(e.Exc)) {
			x.fpComparePop(in.Aux)
		}
	}
	c.fpLast(in)
}
