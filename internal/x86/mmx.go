package x86

import "golang.org/x/arch/x86/x86asm"

// MMX: the 64-bit integer SIMD instructions on MM0..MM7, and the SSE/SSE2
// instructions that move or convert between MMX and XMM registers.
//
// The MMX registers alias the x87 registers: MMn is the significand of
// physical register Rn (X87.St[n].Mant). Every MMX instruction first
// raises #MF if an unmasked x87 exception is pending, as a waiting x87
// instruction would, and then switches the x87 unit to MMX use: TOP
// becomes 0 and every tag valid. EMMS instead marks every tag empty (and
// also sets TOP to 0). Writing MMn sets the sign and exponent of Rn to all
// ones, so the register reads back as a NaN from x87 code. Measured on
// hardware: the switch happens even when a conversion then raises #XM,
// while CVTPI2PS and CVTPI2PD with a memory source are not MMX
// instructions at all (no #MF, no switch).
//
// The lane arithmetic is shared with the SSE integer instructions: every
// XMM operation there is computed one 64-bit quadword at a time (qop in
// sse_int.go), so an MMX instruction is the same function applied once.
// Opcodes with XMM forms reach this file through buildMMX, called by the
// SSE builders for operands of kind KMMX; MMX-only opcodes use def.

// mmxQops holds the binary lane operations of the MMX forms, indexed by
// Inst.Aux; mmxDefQ fills it at init.
var mmxQops []qop

// mmxBuilders chooses the handler for the MMX form of an opcode.
var mmxBuilders [numOps]func(in *Inst) Handler

// buildMMX returns the handler for an instruction with an MMX register
// operand, or nil (unimplemented) if the opcode has no MMX form here.
func buildMMX(in *Inst) Handler {
	if int(in.Op) < numOps {
		if b := mmxBuilders[in.Op]; b != nil {
			return b(in)
		}
	}
	return nil
}

// mmxDefQ registers the MMX form of op as mm = f(mm, src).
func mmxDefQ(op x86asm.Op, f qop) {
	aux := uint8(len(mmxQops))
	mmxQops = append(mmxQops, f)
	mmxBuilders[op] = func(in *Inst) Handler {
		in.Aux = aux
		return opMmxQ
	}
}

// mmxDef registers h as the MMX form of op.
func mmxDef(op x86asm.Op, h Handler) {
	mmxBuilders[op] = func(*Inst) Handler { return h }
}

// mmxEnter switches the x87 unit to MMX use: TOP 0, every tag valid.
func (c *CPU) mmxEnter() {
	c.X87.Top = 0
	c.X87.Empty = [8]bool{}
}

// mmx reads MMX register r.
func (c *CPU) mmx(r uint8) uint64 { return c.X87.St[r].Mant }

// setMMX writes MMX register r, switching to MMX use.
func (c *CPU) setMMX(r uint8, v uint64) {
	c.mmxEnter()
	c.X87.St[r] = F80{Mant: v, SE: 0xffff}
}

// mmxSrc reads source operand i zero-extended: an MMX register, the low
// quadword of an XMM register, a general register, an immediate (a shift
// count byte) or memory of the operand's size (m16, m32 or m64).
func (c *CPU) mmxSrc(in *Inst, i int) uint64 {
	o := &in.A[i]
	switch o.Kind {
	case KMMX:
		return c.X87.St[o.Reg].Mant
	case KXMM:
		return c.XMM[o.Reg][0]
	case KReg:
		return c.getReg(o)
	case KImm:
		return in.Imm & 0xff
	}
	a := c.EA(in)
	switch o.Size {
	case 2:
		return uint64(c.Mem.Load16(a))
	case 4:
		return uint64(c.Mem.Load32(a))
	}
	return c.Mem.Load64(a)
}

func init() {
	for _, d := range []struct {
		op x86asm.Op
		f  qop
	}{
		{x86asm.PADDB, paddb}, {x86asm.PADDW, qops[qPaddW]}, {x86asm.PADDD, qops[qPaddD]},
		{x86asm.PADDQ, qops[qPaddQ]},
		{x86asm.PSUBB, psubb}, {x86asm.PSUBW, qops[qPsubW]}, {x86asm.PSUBD, qops[qPsubD]},
		{x86asm.PSUBQ, qops[qPsubQ]},
		{x86asm.PADDSB, qops[qPaddSB]}, {x86asm.PADDSW, qops[qPaddSW]},
		{x86asm.PADDUSB, qops[qPaddUSB]}, {x86asm.PADDUSW, qops[qPaddUSW]},
		{x86asm.PSUBSB, qops[qPsubSB]}, {x86asm.PSUBSW, qops[qPsubSW]},
		{x86asm.PSUBUSB, qops[qPsubUSB]}, {x86asm.PSUBUSW, qops[qPsubUSW]},
		{x86asm.PCMPEQB, pcmpeqb}, {x86asm.PCMPEQW, qops[qPcmpeqW]}, {x86asm.PCMPEQD, qops[qPcmpeqD]},
		{x86asm.PCMPGTB, qops[qPcmpgtB]}, {x86asm.PCMPGTW, qops[qPcmpgtW]},
		{x86asm.PCMPGTD, qops[qPcmpgtD]},
		{x86asm.PAND, func(a, b uint64) uint64 { return a & b }},
		{x86asm.PANDN, func(a, b uint64) uint64 { return ^a & b }},
		{x86asm.POR, func(a, b uint64) uint64 { return a | b }},
		{x86asm.PXOR, func(a, b uint64) uint64 { return a ^ b }},
		{x86asm.PMULLW, qops[qPmullW]}, {x86asm.PMULHW, qops[qPmulhW]},
		{x86asm.PMULHUW, qops[qPmulhUW]}, {x86asm.PMULUDQ, qops[qPmulUDQ]},
		{x86asm.PMADDWD, qops[qPmaddWD]},
		{x86asm.PAVGB, qops[qPavgB]}, {x86asm.PAVGW, qops[qPavgW]},
		{x86asm.PMINUB, pminub}, {x86asm.PMAXUB, qops[qPmaxUB]},
		{x86asm.PMINSW, qops[qPminSW]}, {x86asm.PMAXSW, qops[qPmaxSW]},
		{x86asm.PSADBW, qops[qPsadBW]},
		{x86asm.PACKSSWB, packsswb}, {x86asm.PACKSSDW, packssdw}, {x86asm.PACKUSWB, packuswb},
		// The low interleaves read only the low halves (an m32 source);
		// the high ones the high halves.
		{x86asm.PUNPCKLBW, func(a, b uint64) uint64 { lo, _ := interleave(a, b, 1); return lo }},
		{x86asm.PUNPCKLWD, func(a, b uint64) uint64 { lo, _ := interleave(a, b, 2); return lo }},
		{x86asm.PUNPCKLDQ, func(a, b uint64) uint64 { lo, _ := interleave(a, b, 4); return lo }},
		{x86asm.PUNPCKHBW, func(a, b uint64) uint64 { _, hi := interleave(a, b, 1); return hi }},
		{x86asm.PUNPCKHWD, func(a, b uint64) uint64 { _, hi := interleave(a, b, 2); return hi }},
		{x86asm.PUNPCKHDQ, func(a, b uint64) uint64 { _, hi := interleave(a, b, 4); return hi }},
		// Shifts: the count is an immediate or a whole mm/m64 quadword.
		{x86asm.PSLLW, func(a, n uint64) uint64 { return psllLanes(a, n, 16) }},
		{x86asm.PSLLD, func(a, n uint64) uint64 { return psllLanes(a, n, 32) }},
		{x86asm.PSLLQ, func(a, n uint64) uint64 { return psllLanes(a, n, 64) }},
		{x86asm.PSRLW, func(a, n uint64) uint64 { return psrlLanes(a, n, 16) }},
		{x86asm.PSRLD, func(a, n uint64) uint64 { return psrlLanes(a, n, 32) }},
		{x86asm.PSRLQ, func(a, n uint64) uint64 { return psrlLanes(a, n, 64) }},
		{x86asm.PSRAW, func(a, n uint64) uint64 { return psraLanes(a, n, 16) }},
		{x86asm.PSRAD, func(a, n uint64) uint64 { return psraLanes(a, n, 32) }},
	} {
		mmxDefQ(d.op, d.f)
	}
	mmxBuilders[x86asm.MOVD] = buildMmxMov
	mmxBuilders[x86asm.MOVQ] = buildMmxMov
	mmxDef(x86asm.PINSRW, opMmxPinsrw)
	mmxDef(x86asm.PEXTRW, opMmxPextrw)
	mmxDef(x86asm.PMOVMSKB, opMmxPmovmskb)

	def(x86asm.EMMS, opEmms)
	def(x86asm.MOVQ2DQ, opMovq2dq)
	def(x86asm.MOVDQ2Q, opMovdq2q)
	def(x86asm.MOVNTQ, opMmxStore)
	def(x86asm.MASKMOVQ, opMaskmovq)
	def(x86asm.PSHUFW, opPshufw)
	def(x86asm.CVTPI2PS, opCvtpi2ps)
	def(x86asm.CVTPI2PD, opCvtpi2pd)
	for _, cv := range []struct {
		op  x86asm.Op
		aux uint8
		h   Handler
	}{
		{x86asm.CVTPS2PI, 0, opCvtps2pi}, {x86asm.CVTTPS2PI, 1, opCvtps2pi},
		{x86asm.CVTPD2PI, 0, opCvtpd2pi}, {x86asm.CVTTPD2PI, 1, opCvtpd2pi},
	} {
		aux, h := cv.aux, cv.h
		defBuild(cv.op, func(in *Inst) Handler {
			in.Aux = aux
			return h
		})
	}
}

// opMmxQ is every binary MMX operation: mm = mmxQops[Aux](mm, source).
func opMmxQ(c *CPU, in *Inst) {
	c.fpWait()
	s := c.mmxSrc(in, 1)
	r := in.A[0].Reg
	c.setMMX(r, mmxQops[in.Aux](c.mmx(r), s))
}

func opEmms(c *CPU, in *Inst) {
	c.fpWait()
	c.X87.Top = 0
	c.X87.Empty = [8]bool{true, true, true, true, true, true, true, true}
}

// buildMmxMov picks the MMX forms of MOVD and MOVQ: into an MMX register
// (from r/m32 zero-extended, r/m64 or mm), to a general register, or to
// memory.
func buildMmxMov(in *Inst) Handler {
	switch in.A[0].Kind {
	case KMMX:
		return opMmxLoad
	case KReg:
		return opMmxToReg
	}
	return opMmxStore
}

func opMmxLoad(c *CPU, in *Inst) {
	c.fpWait()
	c.setMMX(in.A[0].Reg, c.mmxSrc(in, 1))
}

func opMmxToReg(c *CPU, in *Inst) {
	c.fpWait()
	v := c.mmx(in.A[1].Reg)
	if in.A[0].Size != 8 {
		v &= 0xffffffff
	}
	c.R[in.A[0].Reg] = v
	c.mmxEnter()
}

// opMmxStore stores the low 4 or 8 bytes of an MMX register (MOVD, MOVQ,
// MOVNTQ); the switch to MMX use follows the store, so a fault leaves the
// x87 state alone.
func opMmxStore(c *CPU, in *Inst) {
	c.fpWait()
	c.Mem.StoreN(c.EA(in), int(in.A[0].Size), c.mmx(in.A[1].Reg))
	c.mmxEnter()
}

func opMovq2dq(c *CPU, in *Inst) {
	c.fpWait()
	c.XMM[in.A[0].Reg] = [2]uint64{c.mmx(in.A[1].Reg), 0}
	c.mmxEnter()
}

func opMovdq2q(c *CPU, in *Inst) {
	c.fpWait()
	c.setMMX(in.A[0].Reg, c.XMM[in.A[1].Reg][0])
}

func opMaskmovq(c *CPU, in *Inst) {
	c.fpWait()
	c.maskStore(in, c.mmx(in.A[0].Reg), 0, byteSigns(c.mmx(in.A[1].Reg)))
	c.mmxEnter()
}

func opPshufw(c *CPU, in *Inst) {
	c.fpWait()
	s := c.mmxSrc(in, 1)
	c.setMMX(in.A[0].Reg, shufWords(s, in.Imm))
}

func opMmxPinsrw(c *CPU, in *Inst) {
	c.fpWait()
	v := c.mmxSrc(in, 1)
	r := in.A[0].Reg
	c.setMMX(r, insertWord(c.mmx(r), v, in.Imm&3))
}

func opMmxPextrw(c *CPU, in *Inst) {
	c.fpWait()
	c.R[in.A[0].Reg] = c.mmx(in.A[1].Reg) >> (16 * (in.Imm & 3)) & 0xffff
	c.mmxEnter()
}

func opMmxPmovmskb(c *CPU, in *Inst) {
	c.fpWait()
	c.R[in.A[0].Reg] = byteSigns(c.mmx(in.A[1].Reg))
	c.mmxEnter()
}

// opCvtpi2ps converts two doublewords from mm/m64 to singles in the low
// half of the XMM destination; the high half is kept.
func opCvtpi2ps(c *CPU, in *Inst) {
	mm := in.A[1].Kind == KMMX
	if mm {
		c.fpWait()
	}
	s := c.mmxSrc(in, 1)
	if mm {
		c.mmxEnter()
	}
	e := fenv{mx: c.MXCSR}
	r := e.cvtI32x2F32(s)
	c.fpFlags(&e)
	c.XMM[in.A[0].Reg][0] = r
}

// opCvtpi2pd converts two doublewords from mm/m64 to doubles (exactly).
func opCvtpi2pd(c *CPU, in *Inst) {
	mm := in.A[1].Kind == KMMX
	if mm {
		c.fpWait()
	}
	s := c.mmxSrc(in, 1)
	if mm {
		c.mmxEnter()
	}
	e := fenv{mx: c.MXCSR}
	lo, hi := e.cvtI32x2F64(s)
	c.XMM[in.A[0].Reg] = [2]uint64{lo, hi}
}

// opCvtps2pi is CVTPS2PI and CVTTPS2PI (Aux 1): two singles from the low
// half of xmm/m64 to doublewords in an MMX register.
func opCvtps2pi(c *CPU, in *Inst) {
	c.fpWait()
	s := c.src64(in, 1)
	c.mmxEnter()
	e := fenv{mx: c.MXCSR}
	r := e.cvtF32x2I32(s, e.cvtRC(in.Aux))
	c.fpFlags(&e)
	c.setMMX(in.A[0].Reg, r)
}

// opCvtpd2pi is CVTPD2PI and CVTTPD2PI (Aux 1): two doubles from xmm or an
// aligned m128 to doublewords in an MMX register.
func opCvtpd2pi(c *CPU, in *Inst) {
	c.fpWait()
	lo, hi := c.src128(in)
	c.mmxEnter()
	e := fenv{mx: c.MXCSR}
	r := e.cvtF64x2I32(lo, hi, e.cvtRC(in.Aux))
	c.fpFlags(&e)
	c.setMMX(in.A[0].Reg, r)
}
