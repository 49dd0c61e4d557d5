package x86

import (
	"math/bits"

	"golang.org/x/arch/x86/x86asm"
)

// Bit instructions: BT/BTS/BTR/BTC, BSF/BSR, TZCNT/LZCNT/POPCNT, BSWAP,
// the exchanges XADD/CMPXCHG/CMPXCHG8B/CMPXCHG16B, SETcc and CMOVcc.
//
// Their LOCK-prefixed forms are in locked.go.

// Bit test operations, in Inst.Aux.
const (
	btTest uint8 = iota
	btSet
	btReset
	btComplement
)

// eaPlus is EA with extra bytes added to the displacement, wrapping the
// way the address size does.
func (c *CPU) eaPlus(in *Inst, delta uint64) uint64 {
	a := in.Disp + delta
	if in.Base >= 0 {
		a += c.R[in.Base]
	}
	if in.Index >= 0 {
		a += c.R[in.Index] << in.Scale
	}
	switch in.ASize {
	case 4:
		a &= 0xffffffff
	case 2:
		a &= 0xffff
	}
	if in.Seg >= 0 {
		a = (a + c.SegBase[in.Seg]) & c.AddrMask
	}
	return a
}

// opBitTest executes BT, BTS, BTR and BTC. CF receives the selected bit;
// the host leaves the other status flags unchanged (they are undefined,
// except ZF which the manuals say is unaffected).
//
// With a register bit offset and a memory operand the offset is a signed
// number of bits from the operand's address, so it may address memory
// outside the operand; an immediate offset is taken modulo the size.
func opBitTest(c *CPU, in *Inst) {
	size := int(in.A[0].Size)
	w := uint64(size) * 8
	var off uint64
	if in.A[1].Kind == KImm {
		off = in.Imm & (w - 1)
	} else {
		off = c.getReg(&in.A[1])
	}
	var v, addr uint64
	if in.A[0].Kind == KMem {
		addr = c.bitAddr(in, off)
		v = c.Mem.LoadN(addr, size)
	} else {
		v = c.getReg(&in.A[0])
	}
	bit := uint64(1) << (off & (w - 1))
	cf := v&bit != 0
	var r uint64
	switch in.Aux {
	case btTest:
		c.SetCF(cf)
		return
	case btSet:
		r = v | bit
	case btReset:
		r = v &^ bit
	default:
		r = v ^ bit
	}
	if in.A[0].Kind == KMem {
		c.Mem.StoreN(addr, size, r)
	} else {
		c.setReg(&in.A[0], r)
	}
	c.SetCF(cf)
}

// bitAddr is the address of the operand-sized unit of memory holding the
// bit of a bit test with a memory operand and bit offset off.
func (c *CPU) bitAddr(in *Inst, off uint64) uint64 {
	if in.A[1].Kind == KImm {
		return c.EA(in)
	}
	// Signed offset: the byte displacement of the size-aligned unit
	// holding the bit.
	size := in.A[0].Size
	so := int64(signExtend(off, size))
	return c.eaPlus(in, uint64(so>>bits.TrailingZeros64(uint64(size)*8))*uint64(size))
}

// bitOperand returns the address and the bit mask of a bit test with a
// memory operand.
func (c *CPU) bitOperand(in *Inst) (addr, bit uint64) {
	w := uint64(in.A[0].Size) * 8
	var off uint64
	if in.A[1].Kind == KImm {
		off = in.Imm & (w - 1)
	} else {
		off = c.getReg(&in.A[1])
	}
	return c.bitAddr(in, off), uint64(1) << (off & (w - 1))
}

func buildBitTest(kind uint8) func(in *Inst) Handler {
	return func(in *Inst) Handler {
		in.Aux = kind
		if kind != btTest && lockedMem(in) {
			return bitTestLocked
		}
		return opBitTest
	}
}

// The bit scans BSF and BSR set ZF for a zero source and then leave the
// destination unchanged, as hardware does. The other flags are undefined;
// the host clears CF, OF, SF and AF and sets PF from the index found (from
// zero for a zero source), and so does gemu.

// opBsf is BSF: the index of the lowest set bit.
func opBsf(c *CPU, in *Inst) {
	src := c.get(in, 1)
	if src == 0 {
		c.SetFlags(FlagZF|FlagPF, StatusFlags)
		return
	}
	r := uint64(bits.TrailingZeros64(src))
	c.setReg(&in.A[0], r)
	c.scanFlags(r)
}

// opBsr is BSR: the index of the highest set bit.
func opBsr(c *CPU, in *Inst) {
	src := c.get(in, 1)
	if src == 0 {
		c.SetFlags(FlagZF|FlagPF, StatusFlags)
		return
	}
	r := uint64(63 - bits.LeadingZeros64(src))
	c.setReg(&in.A[0], r)
	c.scanFlags(r)
}

// scanFlags sets the flags of BSF/BSR with a nonzero source and result
// index r: PF from r, every other status flag clear.
func (c *CPU) scanFlags(r uint64) {
	var f uint64
	if parity(r) {
		f = FlagPF
	}
	c.SetFlags(f, StatusFlags)
}

// opTzcnt counts trailing zero bits: the operand size for zero, which also
// sets CF; ZF is set when the count is zero.
func opTzcnt(c *CPU, in *Inst) {
	size := int(in.A[0].Size)
	src := c.get(in, 1)
	r := uint64(size) * 8
	if src != 0 {
		r = uint64(bits.TrailingZeros64(src))
	}
	c.setReg(&in.A[0], r)
	c.cntFlags(src == 0, r == 0)
}

// opLzcnt counts leading zero bits within the operand size.
func opLzcnt(c *CPU, in *Inst) {
	size := int(in.A[0].Size)
	src := c.get(in, 1)
	r := uint64(bits.LeadingZeros64(src) - (64 - 8*size))
	c.setReg(&in.A[0], r)
	c.cntFlags(src == 0, r == 0)
}

// cntFlags sets CF and ZF for TZCNT/LZCNT. Of the undefined flags the
// host keeps OF and clears SF, AF and PF.
func (c *CPU) cntFlags(cf, zf bool) {
	var f uint64
	if cf {
		f |= FlagCF
	}
	if zf {
		f |= FlagZF
	}
	c.SetFlags(f, FlagCF|FlagZF|FlagSF|FlagAF|FlagPF)
}

// opPopcnt counts set bits; ZF is set for a zero source and the other
// status flags are cleared.
func opPopcnt(c *CPU, in *Inst) {
	src := c.get(in, 1)
	r := uint64(bits.OnesCount64(src))
	c.setReg(&in.A[0], r)
	var f uint64
	if src == 0 {
		f = FlagZF
	}
	c.SetFlags(f, StatusFlags)
}

// opBswap reverses the bytes of a 32 or 64-bit register. The 16-bit form
// is undefined; hardware clears the low word, and so does gemu.
func opBswap(c *CPU, in *Inst) {
	o := &in.A[0]
	switch o.Size {
	case 8:
		c.R[o.Reg] = bits.ReverseBytes64(c.R[o.Reg])
	case 4:
		c.R[o.Reg] = uint64(bits.ReverseBytes32(uint32(c.R[o.Reg])))
	default:
		c.R[o.Reg] &^= 0xffff
	}
}

// opXadd exchanges and adds: the destination receives the sum, the source
// register the destination's old value. Flags are those of the ADD.
func opXadd(c *CPU, in *Inst) {
	size := int(in.A[0].Size)
	d, addr := c.rmwGet(in)
	s := c.getReg(&in.A[1])
	r := (d + s) & sizeMask[size]
	if in.A[0].Kind == KMem {
		c.Mem.StoreN(addr, size, r)
		c.setReg(&in.A[1], d)
	} else {
		c.setReg(&in.A[1], d)
		c.setReg(&in.A[0], r)
	}
	c.SetLazy(flagsAdd, size, r, d, s)
}

// opCmpxchg compares the accumulator with the destination: if equal the
// destination receives the source, otherwise the accumulator receives the
// destination. A memory destination is written in both cases, as on
// hardware; a register destination is left alone when they differ (its
// upper half included).
func opCmpxchg(c *CPU, in *Inst) {
	size := int(in.A[0].Size)
	d, addr := c.rmwGet(in)
	acc := c.R[RAX] & sizeMask[size]
	eq := acc == d
	if in.A[0].Kind == KMem {
		v := d
		if eq {
			v = c.getReg(&in.A[1])
		}
		c.Mem.StoreN(addr, size, v)
	} else if eq {
		c.setReg(&in.A[0], c.getReg(&in.A[1]))
	}
	if !eq {
		c.setRegN(RAX, size, d)
	}
	c.SetLazy(flagsSub, size, (acc-d)&sizeMask[size], acc, d)
}

// opCmpxchg8b compares EDX:EAX with the 64-bit memory operand; if equal it
// stores ECX:EBX there, otherwise it loads the operand into EDX:EAX. Only
// ZF changes. The REX.W form is CMPXCHG16B (RDX:RAX, RCX:RBX), whose
// operand must be 16-byte aligned.
func opCmpxchg8b(c *CPU, in *Inst) {
	if in.A[0].Kind != KMem {
		panic(&Trap{Kind: TrapInvalidOp})
	}
	addr := c.EA(in)
	lo := c.Mem.Load32(addr)
	hi := c.Mem.Load32(addr + 4)
	if lo == uint32(c.R[RAX]) && hi == uint32(c.R[RDX]) {
		c.Mem.Store64(addr, c.R[RCX]<<32|c.R[RBX]&0xffffffff)
		c.SetFlags(FlagZF, FlagZF)
		return
	}
	// Write the old value back (a locked access writes either way), then
	// load it into EDX:EAX.
	c.Mem.Store64(addr, uint64(hi)<<32|uint64(lo))
	c.R[RAX], c.R[RDX] = uint64(lo), uint64(hi)
	c.SetFlags(0, FlagZF)
}

func opCmpxchg16b(c *CPU, in *Inst) {
	if in.A[0].Kind != KMem {
		panic(&Trap{Kind: TrapInvalidOp})
	}
	addr := c.EA(in)
	if addr&15 != 0 {
		panic(&Trap{Kind: TrapGP})
	}
	lo := c.Mem.Load64(addr)
	hi := c.Mem.Load64(addr + 8)
	if lo == c.R[RAX] && hi == c.R[RDX] {
		// Probe the second half first so that the store is all or
		// nothing (an aligned 16 bytes never crosses a page, but keep
		// the order safe anyway).
		c.Mem.Store64(addr+8, c.R[RCX])
		c.Mem.Store64(addr, c.R[RBX])
		c.SetFlags(FlagZF, FlagZF)
		return
	}
	c.Mem.Store64(addr+8, hi)
	c.Mem.Store64(addr, lo)
	c.R[RAX], c.R[RDX] = lo, hi
	c.SetFlags(0, FlagZF)
}

// opSetcc stores 1 or 0 in a byte according to the condition in Aux.
func opSetcc(c *CPU, in *Inst) {
	var v uint64
	if c.Cond(in.Aux) {
		v = 1
	}
	if o := &in.A[0]; o.Kind == KReg {
		c.setReg(o, v)
		return
	}
	c.Mem.Store8(c.EA(in), uint8(v))
}

// opCmovcc moves when the condition in Aux holds. The source is read
// either way (a memory source can fault), and a 32-bit destination is
// zero-extended even when nothing moves.
func opCmovcc(c *CPU, in *Inst) {
	v := c.get(in, 1)
	o := &in.A[0]
	if c.Cond(in.Aux) {
		c.setReg(o, v)
	} else if o.Size == 4 {
		c.R[o.Reg] &= 0xffffffff
	}
}

// cmovRR64 is the common 64-bit register-to-register CMOVcc.
func cmovRR64(c *CPU, in *Inst) {
	if c.Cond(in.Aux) {
		c.R[in.A[0].Reg] = c.R[in.A[1].Reg]
	}
}

func init() {
	for op, k := range map[x86asm.Op]uint8{
		x86asm.BT: btTest, x86asm.BTS: btSet, x86asm.BTR: btReset, x86asm.BTC: btComplement,
	} {
		def(op, opBitTest)
		defBuild(op, buildBitTest(k))
	}
	def(x86asm.BSF, opBsf)
	def(x86asm.BSR, opBsr)
	def(x86asm.TZCNT, opTzcnt)
	def(x86asm.LZCNT, opLzcnt)
	def(x86asm.POPCNT, opPopcnt)
	def(x86asm.BSWAP, opBswap)
	def(x86asm.MOVBE, opMovbe)
	def(x86asm.XADD, opXadd)
	def(x86asm.CMPXCHG, opCmpxchg)
	def(x86asm.CMPXCHG8B, opCmpxchg8b)
	def(x86asm.CMPXCHG16B, opCmpxchg16b)
	for cc, ops := range [16][2]x86asm.Op{
		{x86asm.SETO, x86asm.CMOVO}, {x86asm.SETNO, x86asm.CMOVNO},
		{x86asm.SETB, x86asm.CMOVB}, {x86asm.SETAE, x86asm.CMOVAE},
		{x86asm.SETE, x86asm.CMOVE}, {x86asm.SETNE, x86asm.CMOVNE},
		{x86asm.SETBE, x86asm.CMOVBE}, {x86asm.SETA, x86asm.CMOVA},
		{x86asm.SETS, x86asm.CMOVS}, {x86asm.SETNS, x86asm.CMOVNS},
		{x86asm.SETP, x86asm.CMOVP}, {x86asm.SETNP, x86asm.CMOVNP},
		{x86asm.SETL, x86asm.CMOVL}, {x86asm.SETGE, x86asm.CMOVGE},
		{x86asm.SETLE, x86asm.CMOVLE}, {x86asm.SETG, x86asm.CMOVG},
	} {
		cc := uint8(cc)
		def(ops[0], opSetcc)
		defBuild(ops[0], func(in *Inst) Handler { in.Aux = cc; return nil })
		def(ops[1], opCmovcc)
		defBuild(ops[1], func(in *Inst) Handler {
			in.Aux = cc
			if in.A[0].Size == 8 && in.A[1].Kind == KReg {
				return cmovRR64
			}
			return nil
		})
	}
}

// opMovbe moves between a general register and memory (16, 32 or 64 bits)
// with the bytes reversed. A 16-bit load keeps the register's upper bits,
// a 32-bit one zero-extends, as MOV does; flags are unchanged.
func opMovbe(c *CPU, in *Inst) {
	size := int(in.A[0].Size)
	swap := func(v uint64) uint64 { return bits.ReverseBytes64(v) >> (64 - 8*size) }
	if in.A[0].Kind == KReg {
		c.setReg(&in.A[0], swap(c.Mem.LoadN(c.EA(in), size)))
		return
	}
	c.Mem.StoreN(c.EA(in), size, swap(c.getReg(&in.A[1])))
}
