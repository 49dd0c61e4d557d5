package x86

import (
	"gemu/internal/mem"
	"gemu/internal/softfloat"
)

// x87 loads, stores, constants and register-stack housekeeping.

// load80 reads an 80-bit value from guest memory.
func (c *CPU) load80(a uint64) F80 {
	if a&mem.PageMask <= mem.PageSize-10 {
		return F80{Mant: c.Mem.Load64(a), SE: c.Mem.Load16(a + 8)}
	}
	var b [10]byte
	c.Mem.LoadBytes(a, b[:])
	return F80(softfloat.FromBytes(b[:]))
}

// store80 writes an 80-bit value to guest memory, all or nothing.
func (c *CPU) store80(a uint64, v F80) {
	if a&mem.PageMask <= mem.PageSize-10 {
		// One page: if the first store succeeds so does the second.
		c.Mem.Store64(a, v.Mant)
		c.Mem.Store16(a+8, v.SE)
		return
	}
	var b [10]byte
	softfloat.F80(v).Bytes(b[:])
	c.Mem.StoreBytes(a, b[:])
}

// fpLoad pushes v, a value just converted with exceptions in e.
func (c *CPU) fpLoad(e *softfloat.Env, v F80) {
	x := &c.X87
	if x.overflow() {
		return
	}
	if x.signal(uint16(e.Exc)) {
		x.SW &^= swC1
		x.push(v)
	}
}

func opFldM32(c *CPU, in *Inst) {
	c.fpWait()
	ea, off := c.fpEA(in)
	v := c.Mem.Load32(ea)
	e := c.X87.env()
	c.fpLoad(&e, F80(e.FromFloat32(v)))
	c.fpLastM(in, off)
}

func opFldM64(c *CPU, in *Inst) {
	c.fpWait()
	ea, off := c.fpEA(in)
	v := c.Mem.Load64(ea)
	e := c.X87.env()
	c.fpLoad(&e, F80(e.FromFloat64(v)))
	c.fpLastM(in, off)
}

func opFldM80(c *CPU, in *Inst) {
	c.fpWait()
	ea, off := c.fpEA(in)
	v := c.load80(ea)
	var e softfloat.Env
	c.fpLoad(&e, v)
	c.fpLastM(in, off)
}

func opFild(c *CPU, in *Inst) {
	c.fpWait()
	ea, off := c.fpEA(in)
	n := in.A[0].Size
	v := int64(signExtend(c.Mem.LoadN(ea, int(n)), n))
	var e softfloat.Env
	c.fpLoad(&e, F80(softfloat.FromInt64(v)))
	c.fpLastM(in, off)
}

func opFbld(c *CPU, in *Inst) {
	c.fpWait()
	ea, off := c.fpEA(in)
	var b [10]byte
	c.Mem.LoadBytes(ea, b[:])
	var e softfloat.Env
	c.fpLoad(&e, F80(softfloat.FromBCD(b[:])))
	c.fpLastM(in, off)
}

// opFldST is FLD ST(i): push a copy of ST(i).
func opFldST(c *CPU, in *Inst) {
	c.fpWait()
	x := &c.X87
	p := x.phys(in.A[0].Reg)
	if x.Empty[p] {
		if !x.underflow() {
			c.fpLast(in)
			return
		}
		// The masked response pushes the indefinite, over ST(7) even if
		// that is not empty: only the underflow is reported.
		x.push(indefinite)
		c.fpLast(in)
		return
	}
	v := x.St[p]
	if !x.overflow() {
		x.SW &^= swC1
		x.push(v)
	}
	c.fpLast(in)
}

func opFldConst(c *CPU, in *Inst) {
	c.fpWait()
	x := &c.X87
	e := x.env()
	v := F80(e.LoadConst(softfloat.Constant(in.Aux)))
	if !x.overflow() {
		x.SW &^= swC1
		x.push(v)
	}
	c.fpLast(in)
}

// st0 returns ST(0), or ok=false after recording a stack underflow; then
// masked reports whether the masked response (using the indefinite)
// applies.
func (x *X87) st0() (v F80, ok, masked bool) {
	if x.Empty[x.Top] {
		return indefinite, false, x.underflow()
	}
	return x.St[x.Top], true, true
}

// opFstM is FST/FSTP m32fp and m64fp, rounding ST(0) to the operand's
// format.
func opFstM(c *CPU, in *Inst) {
	c.fpWait()
	x := &c.X87
	ea, off := c.fpEA(in)
	v, ok, masked := x.st0()
	if !masked {
		c.fpLastM(in, off)
		return
	}
	e := x.env()
	var r uint64
	if in.A[0].Size == 4 {
		r = uint64(e.ToFloat32(sf(v)))
	} else {
		r = e.ToFloat64(sf(v))
	}
	if ok && !x.finishStore(&e) {
		c.fpLastM(in, off)
		return
	}
	c.Mem.StoreN(ea, int(in.A[0].Size), r)
	if in.Aux&fauxPop != 0 {
		x.pop()
	}
	c.fpLastM(in, off)
}

// opFstpM80 is FSTP m80fp: a raw copy that raises nothing.
func opFstpM80(c *CPU, in *Inst) {
	c.fpWait()
	x := &c.X87
	ea, off := c.fpEA(in)
	v, ok, masked := x.st0()
	if !masked {
		c.fpLastM(in, off)
		return
	}
	c.store80(ea, v)
	if ok {
		x.SW &^= swC1
	}
	x.pop()
	c.fpLastM(in, off)
}

// opFstST is FST/FSTP ST(i).
func opFstST(c *CPU, in *Inst) {
	c.fpWait()
	x := &c.X87
	v, ok, masked := x.st0()
	if !masked {
		c.fpLast(in)
		return
	}
	if ok {
		x.SW &^= swC1
	}
	x.set(in.A[0].Reg, v)
	if in.Aux&fauxPop != 0 {
		x.pop()
	}
	c.fpLast(in)
}

// opFist is FIST, FISTP and FISTTP (Aux bit 0) for m16int, m32int and
// m64int.
func opFist(c *CPU, in *Inst) {
	c.fpWait()
	x := &c.X87
	ea, off := c.fpEA(in)
	n := in.A[0].Size
	v, ok, masked := x.st0()
	if !masked {
		c.fpLastM(in, off)
		return
	}
	e := x.env()
	if in.Aux&1 != 0 {
		e.RC = softfloat.RoundZero
	}
	var r uint64
	switch n {
	case 2:
		r = uint64(e.ToInt16(sf(v)))
	case 4:
		r = uint64(e.ToInt32(sf(v)))
	default:
		r = uint64(e.ToInt64(sf(v)))
	}
	if ok && !x.finishStore(&e) {
		c.fpLastM(in, off)
		return
	}
	c.Mem.StoreN(ea, int(n), r)
	if in.Aux&fauxPop != 0 {
		x.pop()
	}
	c.fpLastM(in, off)
}

// opFbstp is FBSTP m80bcd.
func opFbstp(c *CPU, in *Inst) {
	c.fpWait()
	x := &c.X87
	ea, off := c.fpEA(in)
	v, ok, masked := x.st0()
	if !masked {
		c.fpLastM(in, off)
		return
	}
	e := x.env()
	var b [10]byte
	e.ToBCD(sf(v), b[:])
	if ok && !x.finishStore(&e) {
		c.fpLastM(in, off)
		return
	}
	c.Mem.StoreBytes(ea, b[:])
	x.pop()
	c.fpLastM(in, off)
}

// opFxch exchanges ST(0) and ST(i). Empty operands raise a stack
// underflow and, masked, are replaced by the indefinite first.
func opFxch(c *CPU, in *Inst) {
	c.fpWait()
	x := &c.X87
	p0, pi := x.Top, x.phys(in.A[0].Reg)
	if x.Empty[p0] || x.Empty[pi] {
		if !x.underflow() {
			c.fpLast(in)
			return
		}
		if x.Empty[p0] {
			x.St[p0] = indefinite
		}
		if x.Empty[pi] {
			x.St[pi] = indefinite
		}
		x.Empty[p0], x.Empty[pi] = false, false
	} else {
		x.SW &^= swC1
	}
	x.St[p0], x.St[pi] = x.St[pi], x.St[p0]
	c.fpLast(in)
}

// opFfree is FFREE ST(i) and FFREEP ST(i) (Aux pop): tag the register empty.
func opFfree(c *CPU, in *Inst) {
	c.fpWait()
	x := &c.X87
	x.Empty[x.phys(in.A[0].Reg)] = true
	x.SW &^= swC1
	if in.Aux&fauxPop != 0 {
		x.pop()
	}
	c.fpLast(in)
}

func opFincstp(c *CPU, in *Inst) {
	c.fpWait()
	x := &c.X87
	x.Top = (x.Top + 1) & 7
	x.SW &^= swC1
	c.fpLast(in)
}

func opFdecstp(c *CPU, in *Inst) {
	c.fpWait()
	x := &c.X87
	x.Top = (x.Top - 1) & 7
	x.SW &^= swC1
	c.fpLast(in)
}

// opFcmov is FCMOVcc ST(0), ST(i) with the condition code in Aux.
func opFcmov(c *CPU, in *Inst) {
	c.fpWait()
	x := &c.X87
	p0, pi := x.Top, x.phys(in.A[1].Reg)
	if x.Empty[p0] || x.Empty[pi] {
		if x.underflow() {
			x.St[p0], x.Empty[p0] = indefinite, false
		}
		c.fpLast(in)
		return
	}
	if c.Cond(in.Aux) {
		x.St[p0] = x.St[pi]
	}
	c.fpLast(in)
}
