package x86

import (
	"math/bits"

	"gemu/internal/mem"

	"golang.org/x/arch/x86/x86asm"
)

// SSE and SSE2: the XMM moves, MXCSR access and the shared plumbing of the
// SSE instruction files (operand access, alignment checks, registration).
// Integer SIMD lives in sse_int.go, floating point in sse_fp.go (with the
// exact IEEE arithmetic behind it in sse_float.go).
//
// Opcodes that also have MMX forms (PADDB mm, mm...) register their XMM
// forms here and in the other sse files; the builders hand the MMX forms to
// buildMMX (mmx.go).

// MXCSR bits.
const (
	mxIE    uint32 = 1 << 0 // invalid operation flag
	mxDE    uint32 = 1 << 1 // denormal operand flag
	mxZE    uint32 = 1 << 2 // divide-by-zero flag
	mxOE    uint32 = 1 << 3 // overflow flag
	mxUE    uint32 = 1 << 4 // underflow flag
	mxPE    uint32 = 1 << 5 // precision (inexact) flag
	mxDAZ   uint32 = 1 << 6 // denormals are zeros
	mxFTZ   uint32 = 1 << 15
	mxFlags uint32 = 0x3f
	// The exception masks are the flags shifted left by mxMaskShift.
	mxMaskShift = 7
	mxRCShift   = 13
)

// MXCSRMask is the set of MXCSR bits this CPU implements, as FXSAVE
// reports it in MXCSR_MASK: everything in the low 16 bits, including DAZ.
// LDMXCSR (and FXRSTOR) of a value with other bits set raises #GP.
const MXCSRMask uint32 = 0xffff

// MXCSRDefault is the MXCSR value of a fresh process: all exceptions
// masked, round to nearest.
const MXCSRDefault uint32 = 0x1f80

// sseDef registers the XMM forms of op. A builder is used (rather than def)
// so that MMX forms of the same opcode go to buildMMX instead.
func sseDef(op x86asm.Op, h Handler) {
	sseDefAux(op, 0, h)
}

// sseDefAux is sseDef with a sub-operation stored in Inst.Aux.
func sseDefAux(op x86asm.Op, aux uint8, h Handler) {
	defBuild(op, func(in *Inst) Handler {
		if mmxForm(in) {
			return buildMMX(in)
		}
		in.Aux = aux
		return h
	})
}

// sseBuild registers a builder for the XMM forms of op.
func sseBuild(op x86asm.Op, b func(in *Inst) Handler) {
	defBuild(op, func(in *Inst) Handler {
		if mmxForm(in) {
			return buildMMX(in)
		}
		return b(in)
	})
}

func mmxForm(in *Inst) bool {
	for i := 0; i < int(in.NArgs); i++ {
		if in.A[i].Kind == KMMX {
			return true
		}
	}
	return false
}

// gpFault raises #GP, which Linux delivers as SIGSEGV.
func gpFault() {
	panic(&Trap{Kind: TrapGP})
}

// load128 reads 16 bytes at a; a is masked to the address size, so the
// second half wraps like the hardware in 32-bit mode. Nothing is changed
// if either half faults.
func (c *CPU) load128(a uint64) (lo, hi uint64) {
	lo = c.Mem.Load64(a)
	hi = c.Mem.Load64((a + 8) & c.AddrMask)
	return lo, hi
}

// load128a is load128 for instructions that require 16-byte alignment
// (MOVAPS, MOVDQA and every legacy-SSE m128 operand except the explicit
// unaligned moves): a misaligned address raises #GP.
func (c *CPU) load128a(a uint64) (lo, hi uint64) {
	if a&15 != 0 {
		gpFault()
	}
	return c.load128(a)
}

// store128 writes 16 bytes at a, all or nothing: if the store straddles
// pages, both are probed before any byte is written.
func (c *CPU) store128(a, lo, hi uint64) {
	a2 := (a + 8) & c.AddrMask
	if (a^(a+15))>>mem.PageShift != 0 || a2 < a {
		c.probeWrite(a)
		c.probeWrite((a + 15) & c.AddrMask &^ mem.PageMask) // faults at the page start
	}
	c.Mem.Store64(a, lo)
	c.Mem.Store64(a2, hi)
}

// store128a is store128 with the 16-byte alignment check.
func (c *CPU) store128a(a, lo, hi uint64) {
	if a&15 != 0 {
		gpFault()
	}
	c.Mem.Store64(a, lo)
	c.Mem.Store64(a+8, hi)
}

// probeWrite raises the page fault a store to a would raise, without
// storing anything if the page is writable.
func (c *CPU) probeWrite(a uint64) {
	if p, ok := c.Mem.PermAt(a); !ok || p&mem.Write == 0 {
		// The store faults before writing: this panics.
		c.Mem.Store8(a, 0)
	}
}

// src128 reads operand 1 as 128 bits: an XMM register or an aligned m128.
func (c *CPU) src128(in *Inst) (lo, hi uint64) {
	o := &in.A[1]
	if o.Kind == KXMM {
		x := &c.XMM[o.Reg]
		return x[0], x[1]
	}
	return c.load128a(c.EA(in))
}

// src64 reads the low 64 bits of operand i: an XMM register's low
// quadword or an m64.
func (c *CPU) src64(in *Inst, i int) uint64 {
	o := &in.A[i]
	if o.Kind == KXMM {
		return c.XMM[o.Reg][0]
	}
	return c.Mem.Load64(c.EA(in))
}

// src32 reads the low 32 bits of operand i: an XMM register's low
// doubleword or an m32.
func (c *CPU) src32(in *Inst, i int) uint32 {
	o := &in.A[i]
	if o.Kind == KXMM {
		return uint32(c.XMM[o.Reg][0])
	}
	return c.Mem.Load32(c.EA(in))
}

// srcInt reads a general register or memory integer operand i of its
// operand size (4 or 8 bytes), sign-extended.
func (c *CPU) srcInt(in *Inst, i int) int64 {
	o := &in.A[i]
	if o.Kind == KReg {
		if o.Size == 8 {
			return int64(c.R[o.Reg])
		}
		return int64(int32(c.R[o.Reg]))
	}
	if o.Size == 8 {
		return int64(c.Mem.Load64(c.EA(in)))
	}
	return int64(int32(c.Mem.Load32(c.EA(in))))
}

func init() {
	// Full-register moves.
	for _, op := range []x86asm.Op{x86asm.MOVAPS, x86asm.MOVAPD, x86asm.MOVDQA} {
		sseBuild(op, buildMov128(true))
	}
	for _, op := range []x86asm.Op{x86asm.MOVUPS, x86asm.MOVUPD, x86asm.MOVDQU} {
		sseBuild(op, buildMov128(false))
	}
	// Non-temporal stores are plain stores here (there is no cache to
	// bypass); MOVNTPS/PD/DQ still require alignment.
	for _, op := range []x86asm.Op{x86asm.MOVNTPS, x86asm.MOVNTPD, x86asm.MOVNTDQ} {
		sseBuild(op, buildMov128(true))
	}
	sseDef(x86asm.MOVNTI, opMovnti)

	sseBuild(x86asm.MOVD, buildMovdq)
	sseBuild(x86asm.MOVQ, buildMovdq)
	sseBuild(x86asm.MOVSS, buildMovScalar(4))
	sseBuild(x86asm.MOVSD_XMM, buildMovScalar(8))

	// Half-register moves.
	sseDefAux(x86asm.MOVLPS, 0, opMovHalf)
	sseDefAux(x86asm.MOVLPD, 0, opMovHalf)
	sseDefAux(x86asm.MOVHPS, 1, opMovHalf)
	sseDefAux(x86asm.MOVHPD, 1, opMovHalf)
	sseDef(x86asm.MOVHLPS, opMovhlps)
	sseDef(x86asm.MOVLHPS, opMovlhps)

	sseDef(x86asm.MOVMSKPS, opMovmskps)
	sseDef(x86asm.MOVMSKPD, opMovmskpd)
	sseDef(x86asm.PMOVMSKB, opPmovmskb)
	sseDef(x86asm.MASKMOVDQU, opMaskmovdqu)

	sseDef(x86asm.LDMXCSR, opLdmxcsr)
	sseDef(x86asm.STMXCSR, opStmxcsr)
}

// buildMov128 picks the register, load or store form of a 16-byte move.
func buildMov128(aligned bool) func(in *Inst) Handler {
	return func(in *Inst) Handler {
		switch {
		case in.A[0].Kind == KXMM && in.A[1].Kind == KXMM:
			return opMovRR
		case in.A[0].Kind == KXMM && aligned:
			return opMovLoadA
		case in.A[0].Kind == KXMM:
			return opMovLoadU
		case aligned:
			return opMovStoreA
		}
		return opMovStoreU
	}
}

func opMovRR(c *CPU, in *Inst) {
	c.XMM[in.A[0].Reg] = c.XMM[in.A[1].Reg]
}

func opMovLoadA(c *CPU, in *Inst) {
	lo, hi := c.load128a(c.EA(in))
	c.XMM[in.A[0].Reg] = [2]uint64{lo, hi}
}

func opMovLoadU(c *CPU, in *Inst) {
	lo, hi := c.load128(c.EA(in))
	c.XMM[in.A[0].Reg] = [2]uint64{lo, hi}
}

func opMovStoreA(c *CPU, in *Inst) {
	x := &c.XMM[in.A[1].Reg]
	c.store128a(c.EA(in), x[0], x[1])
}

func opMovStoreU(c *CPU, in *Inst) {
	x := &c.XMM[in.A[1].Reg]
	c.store128(c.EA(in), x[0], x[1])
}

// buildMovdq handles MOVD and MOVQ: between an XMM register and a general
// register or memory (zero-extending into the XMM register), and MOVQ's
// XMM-to-XMM and XMM-to-m64 forms.
func buildMovdq(in *Inst) Handler {
	d, s := &in.A[0], &in.A[1]
	if d.Kind == KXMM {
		if s.Kind == KXMM {
			return opMovqXX
		}
		if s.Size == 8 {
			return opMovqToX
		}
		return opMovdToX
	}
	if d.Kind == KMem && d.Size == 8 || d.Kind == KReg && d.Size == 8 {
		return opMovqFromX
	}
	return opMovdFromX
}

func opMovqXX(c *CPU, in *Inst) {
	c.XMM[in.A[0].Reg] = [2]uint64{c.XMM[in.A[1].Reg][0], 0}
}

func opMovqToX(c *CPU, in *Inst) {
	var v uint64
	if in.A[1].Kind == KReg {
		v = c.R[in.A[1].Reg]
	} else {
		v = c.Mem.Load64(c.EA(in))
	}
	c.XMM[in.A[0].Reg] = [2]uint64{v, 0}
}

func opMovdToX(c *CPU, in *Inst) {
	var v uint64
	if in.A[1].Kind == KReg {
		v = c.R[in.A[1].Reg] & 0xffffffff
	} else {
		v = uint64(c.Mem.Load32(c.EA(in)))
	}
	c.XMM[in.A[0].Reg] = [2]uint64{v, 0}
}

func opMovqFromX(c *CPU, in *Inst) {
	v := c.XMM[in.A[1].Reg][0]
	if in.A[0].Kind == KReg {
		c.R[in.A[0].Reg] = v
		return
	}
	c.Mem.Store64(c.EA(in), v)
}

func opMovdFromX(c *CPU, in *Inst) {
	v := uint32(c.XMM[in.A[1].Reg][0])
	if in.A[0].Kind == KReg {
		c.R[in.A[0].Reg] = uint64(v)
		return
	}
	c.Mem.Store32(c.EA(in), v)
}

// buildMovScalar handles MOVSS (size 4) and MOVSD (size 8): a register
// source replaces only the low element, a memory source zeroes the rest of
// the register, a memory destination receives the low element.
func buildMovScalar(size int) func(in *Inst) Handler {
	return func(in *Inst) Handler {
		d, s := &in.A[0], &in.A[1]
		switch {
		case d.Kind == KXMM && s.Kind == KXMM && size == 4:
			return opMovssRR
		case d.Kind == KXMM && s.Kind == KXMM:
			return opMovsdRR
		case d.Kind == KXMM && size == 4:
			return opMovssLoad
		case d.Kind == KXMM:
			return opMovsdLoad
		case size == 4:
			return opMovssStore
		}
		return opMovsdStore
	}
}

func opMovssRR(c *CPU, in *Inst) {
	d := &c.XMM[in.A[0].Reg]
	d[0] = d[0]&^0xffffffff | c.XMM[in.A[1].Reg][0]&0xffffffff
}

func opMovsdRR(c *CPU, in *Inst) {
	c.XMM[in.A[0].Reg][0] = c.XMM[in.A[1].Reg][0]
}

func opMovssLoad(c *CPU, in *Inst) {
	v := c.Mem.Load32(c.EA(in))
	c.XMM[in.A[0].Reg] = [2]uint64{uint64(v), 0}
}

func opMovsdLoad(c *CPU, in *Inst) {
	v := c.Mem.Load64(c.EA(in))
	c.XMM[in.A[0].Reg] = [2]uint64{v, 0}
}

func opMovssStore(c *CPU, in *Inst) {
	c.Mem.Store32(c.EA(in), uint32(c.XMM[in.A[1].Reg][0]))
}

func opMovsdStore(c *CPU, in *Inst) {
	c.Mem.Store64(c.EA(in), c.XMM[in.A[1].Reg][0])
}

// opMovHalf is MOVLPS/MOVLPD (Aux 0) and MOVHPS/MOVHPD (Aux 1): one
// quadword between memory and the low or high half of a register.
func opMovHalf(c *CPU, in *Inst) {
	if in.A[0].Kind == KXMM {
		c.XMM[in.A[0].Reg][in.Aux] = c.Mem.Load64(c.EA(in))
		return
	}
	c.Mem.Store64(c.EA(in), c.XMM[in.A[1].Reg][in.Aux])
}

func opMovhlps(c *CPU, in *Inst) {
	c.XMM[in.A[0].Reg][0] = c.XMM[in.A[1].Reg][1]
}

func opMovlhps(c *CPU, in *Inst) {
	c.XMM[in.A[0].Reg][1] = c.XMM[in.A[1].Reg][0]
}

func opMovnti(c *CPU, in *Inst) {
	s := &in.A[1]
	if s.Size == 8 {
		c.Mem.Store64(c.EA(in), c.R[s.Reg])
		return
	}
	c.Mem.Store32(c.EA(in), uint32(c.R[s.Reg]))
}

// setMask writes a MOVMSK result to the destination general register,
// zero-extended to its full width.
func (c *CPU) setMask(in *Inst, v uint64) {
	c.R[in.A[0].Reg] = v
}

func opMovmskps(c *CPU, in *Inst) {
	x := &c.XMM[in.A[1].Reg]
	v := x[0]>>31&1 | x[0]>>62&2 | x[1]>>29&4 | x[1]>>60&8
	c.setMask(in, v)
}

func opMovmskpd(c *CPU, in *Inst) {
	x := &c.XMM[in.A[1].Reg]
	c.setMask(in, x[0]>>63|x[1]>>63<<1)
}

// byteSigns gathers the top bit of each byte of x into an 8-bit mask,
// byte 0 in bit 0.
func byteSigns(x uint64) uint64 {
	return (x & 0x8080808080808080) * 0x0002040810204081 >> 56
}

func opPmovmskb(c *CPU, in *Inst) {
	x := &c.XMM[in.A[1].Reg]
	c.setMask(in, byteSigns(x[0])|byteSigns(x[1])<<8)
}

// opMaskmovdqu stores the bytes of the first operand whose mask byte (in
// the second operand) has its top bit set, at DS:rDI.
func opMaskmovdqu(c *CPU, in *Inst) {
	src, msk := c.XMM[in.A[0].Reg], c.XMM[in.A[1].Reg]
	c.maskStore(in, src[0], src[1], byteSigns(msk[0])|byteSigns(msk[1])<<8)
}

// maskStore is MASKMOVDQU and MASKMOVQ: it stores byte i of the 128-bit
// value hi:lo at DS:rDI+i for each bit i set in m. Every page the selected
// bytes touch is probed first, so a fault writes nothing.
func (c *CPU) maskStore(in *Inst, lo, hi, m uint64) {
	if m == 0 {
		return
	}
	a := c.R[RDI] & sizeMask[in.ASize]
	if in.Seg >= 0 {
		a += c.SegBase[in.Seg]
	}
	first := uint64(bits.TrailingZeros64(m))
	last := uint64(63 - bits.LeadingZeros64(m))
	c.probeWrite((a + first) & c.AddrMask)
	c.probeWrite(max((a+first)&c.AddrMask, (a+last)&c.AddrMask&^mem.PageMask))
	src := [2]uint64{lo, hi}
	for i := first; i <= last; i++ {
		if m>>i&1 != 0 {
			c.Mem.Store8((a+i)&c.AddrMask, uint8(src[i/8]>>(8*(i%8))))
		}
	}
}

func opLdmxcsr(c *CPU, in *Inst) {
	v := c.Mem.Load32(c.EA(in))
	if v&^MXCSRMask != 0 {
		gpFault()
	}
	c.MXCSR = v
}

func opStmxcsr(c *CPU, in *Inst) {
	c.Mem.Store32(c.EA(in), c.MXCSR)
}
