package x86

import (
	"math/bits"

	"golang.org/x/arch/x86/x86asm"
)

// BMI1 and BMI2: the VEX-encoded general-register bit manipulation
// instructions (ANDN BEXTR BLSI BLSMSK BLSR BZHI; PDEP PEXT RORX SARX SHLX
// SHRX MULX). vex.go decodes them; operands are in Intel order with the
// VEX.vvvv register where the manuals put it. The operand size is 64 bits
// with VEX.W1 in 64-bit mode and 32 bits otherwise.
//
// Flags follow the Intel SDM. Those it calls undefined are set the way a
// logic instruction would (AF clear, PF from the result); MULX, RORX, the
// shifts and PDEP/PEXT leave every flag alone.

// bmiEntry is one BMI opcode: the map (2: 0F 38, 3: 0F 3A), the implied
// prefix, the opcode byte, the ModRM reg field for the group opcode F3
// (-1 otherwise) and where the vvvv register goes in the operand list
// (-1: vvvv must be unused, 1111b).
type bmiEntry struct {
	mmmmm, pp, opcode uint8
	reg               int8
	vpos              int8
	op                x86asm.Op
	h                 Handler
}

var bmiTable = []bmiEntry{
	{2, 0, 0xf2, -1, 1, x86asm.ANDN, opAndn},
	{2, 0, 0xf3, 1, 0, x86asm.BLSR, opBlsr},
	{2, 0, 0xf3, 2, 0, x86asm.BLSMSK, opBlsmsk},
	{2, 0, 0xf3, 3, 0, x86asm.BLSI, opBlsi},
	{2, 0, 0xf5, -1, 2, x86asm.BZHI, opBzhi},
	{2, 2, 0xf5, -1, 1, x86asm.PEXT, opPext},
	{2, 3, 0xf5, -1, 1, x86asm.PDEP, opPdep},
	{2, 3, 0xf6, -1, 1, x86asm.MULX, opMulx},
	{2, 0, 0xf7, -1, 2, x86asm.BEXTR, opBextr},
	{2, 1, 0xf7, -1, 2, x86asm.SHLX, opShlx},
	{2, 2, 0xf7, -1, 2, x86asm.SARX, opSarx},
	{2, 3, 0xf7, -1, 2, x86asm.SHRX, opShrx},
	{3, 3, 0xf0, -1, -1, x86asm.RORX, opRorx},
}

// bmiLookup finds the BMI instruction a VEX prefix and its opcode select,
// or nil for anything else (AVX, reserved encodings): those raise #UD.
func bmiLookup(v vexPrefix, code []byte) *bmiEntry {
	if v.illegal || v.l || v.op+1 >= len(code) {
		return nil
	}
	opc, reg := code[v.op], int8(code[v.op+1]>>3&7)
	for i := range bmiTable {
		e := &bmiTable[i]
		if e.mmmmm != v.mmmmm || e.pp != v.pp || e.opcode != opc || e.reg >= 0 && e.reg != reg {
			continue
		}
		if e.vpos < 0 && v.vvvv != 0 {
			return nil
		}
		return e
	}
	return nil
}

// bmiSize is the operand size in bits.
func bmiSize(in *Inst) uint { return uint(in.OSize) * 8 }

func opAndn(c *CPU, in *Inst) {
	size := int(in.OSize)
	r := ^c.get(in, 1) & c.get(in, 2) & sizeMask[size]
	c.put(in, 0, r)
	c.SetLazy(flagsLogic, size, r, r, r)
}

// opBextr extracts the bit field of the first source that starts at bit
// src2[7:0] and is src2[15:8] bits long (bits past the operand are zero).
func opBextr(c *CPU, in *Inst) {
	size := int(in.OSize)
	v, ctl := c.get(in, 1), c.get(in, 2)
	start, n := uint(ctl&0xff), uint(ctl>>8&0xff)
	var r uint64
	if start < bmiSize(in) {
		r = v >> start
		if n < 64 {
			r &= 1<<n - 1
		}
	}
	c.put(in, 0, r)
	c.SetLazy(flagsLogic, size, r, r, r)
}

// opBlsi isolates the lowest set bit; CF is set for a nonzero source.
func opBlsi(c *CPU, in *Inst) {
	size := int(in.OSize)
	v := c.get(in, 1)
	r := -v & v & sizeMask[size]
	c.put(in, 0, r)
	c.SetResultFlags(size, r, v != 0, false, false)
}

// opBlsmsk masks up to and including the lowest set bit; CF is set for a
// zero source (ZF is always clear: the result is never zero).
func opBlsmsk(c *CPU, in *Inst) {
	size := int(in.OSize)
	v := c.get(in, 1)
	r := ((v - 1) ^ v) & sizeMask[size]
	c.put(in, 0, r)
	c.SetResultFlags(size, r, v == 0, false, false)
}

// opBlsr clears the lowest set bit; CF is set for a zero source.
func opBlsr(c *CPU, in *Inst) {
	size := int(in.OSize)
	v := c.get(in, 1)
	r := (v - 1) & v
	c.put(in, 0, r)
	c.SetResultFlags(size, r, v == 0, false, false)
}

// opBzhi clears the bits of the source from index src2[7:0] up; CF is set
// when the index is beyond the operand (the source is then unchanged).
func opBzhi(c *CPU, in *Inst) {
	size := int(in.OSize)
	v, n := c.get(in, 1), uint(c.get(in, 2)&0xff)
	r := v
	if n < bmiSize(in) {
		r = v & (1<<n - 1)
	}
	c.put(in, 0, r)
	c.SetResultFlags(size, r, n > bmiSize(in)-1, false, false)
}

// opPdep deposits the low bits of the first source at the positions of the
// mask's set bits, lowest first.
func opPdep(c *CPU, in *Inst) {
	v, m := c.get(in, 1), c.get(in, 2)
	var r uint64
	for k := uint64(1); m != 0; k <<= 1 {
		low := m & -m
		if v&k != 0 {
			r |= low
		}
		m &^= low
	}
	c.put(in, 0, r)
}

// opPext gathers the bits of the first source at the mask's set bits into
// the low bits of the result, lowest first.
func opPext(c *CPU, in *Inst) {
	v, m := c.get(in, 1), c.get(in, 2)
	var r uint64
	for k := uint64(1); m != 0; k <<= 1 {
		low := m & -m
		if v&low != 0 {
			r |= k
		}
		m &^= low
	}
	c.put(in, 0, r)
}

// opMulx multiplies EDX/RDX by the source without touching the flags: the
// low half goes to the vvvv register, then the high half to the ModRM reg
// register (which wins when they are the same register).
func opMulx(c *CPU, in *Inst) {
	src := c.get(in, 2)
	var hi, lo uint64
	if in.OSize == 8 {
		hi, lo = bits.Mul64(c.R[RDX], src)
	} else {
		p := (c.R[RDX] & 0xffffffff) * src
		hi, lo = p>>32, p&0xffffffff
	}
	c.put(in, 1, lo)
	c.put(in, 0, hi)
}

// opRorx rotates right by an immediate count, flags unchanged.
func opRorx(c *CPU, in *Inst) {
	v := c.get(in, 1)
	var r uint64
	if in.OSize == 8 {
		r = bits.RotateLeft64(v, -int(in.Imm&63))
	} else {
		r = uint64(bits.RotateLeft32(uint32(v), -int(in.Imm&31)))
	}
	c.put(in, 0, r)
}

// bmiCount is the shift count of SARX/SHLX/SHRX: the vvvv register modulo
// the operand size.
func bmiCount(c *CPU, in *Inst) uint {
	return uint(c.get(in, 2)) & (uint(bmiSize(in)) - 1)
}

func opShlx(c *CPU, in *Inst) {
	c.put(in, 0, c.get(in, 1)<<bmiCount(c, in))
}

func opShrx(c *CPU, in *Inst) {
	c.put(in, 0, c.get(in, 1)>>bmiCount(c, in))
}

func opSarx(c *CPU, in *Inst) {
	v := signExtend(c.get(in, 1), in.OSize)
	c.put(in, 0, uint64(int64(v)>>bmiCount(c, in)))
}
