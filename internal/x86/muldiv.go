package x86

import (
	"math/bits"

	"golang.org/x/arch/x86/x86asm"
)

// Multiplication and division: MUL, IMUL (one, two and three operands),
// DIV and IDIV in every operand size. The one-operand forms use the
// accumulator pair (AX, DX:AX, EDX:EAX, RDX:RAX); 64-bit operands use
// 128-bit arithmetic from math/bits.
//
// After a multiply only CF and OF are defined (set when the high half is
// significant); after a divide no flag is. For those undefined flags the
// code reproduces the host the semantics were checked against (an AMD Zen
// CPU, see testdata/genvec.c): multiplies leave SF, ZF, AF and PF
// unchanged, and divides are described at divFlags.

// mulFlags sets CF = OF = over and keeps the other status flags.
func (c *CPU) mulFlags(over bool) {
	c.materialize()
	if over {
		c.flags |= FlagCF | FlagOF
	} else {
		c.flags &^= FlagCF | FlagOF
	}
}

// opMul is the one-operand unsigned multiply.
func opMul(c *CPU, in *Inst) {
	size := int(in.A[0].Size)
	src := c.get(in, 0)
	switch size {
	case 1:
		p := (c.R[RAX] & 0xff) * src
		c.R[RAX] = c.R[RAX]&^0xffff | p
		c.mulFlags(p>>8 != 0)
	case 2:
		p := (c.R[RAX] & 0xffff) * src
		c.R[RAX] = c.R[RAX]&^0xffff | p&0xffff
		c.R[RDX] = c.R[RDX]&^0xffff | p>>16
		c.mulFlags(p>>16 != 0)
	case 4:
		p := (c.R[RAX] & 0xffffffff) * src
		c.R[RAX] = p & 0xffffffff
		c.R[RDX] = p >> 32
		c.mulFlags(p>>32 != 0)
	default:
		hi, lo := bits.Mul64(c.R[RAX], src)
		c.R[RAX], c.R[RDX] = lo, hi
		c.mulFlags(hi != 0)
	}
}

// mulSigned64 returns the 128-bit signed product of a and b.
func mulSigned64(a, b uint64) (hi, lo uint64) {
	hi, lo = bits.Mul64(a, b)
	if int64(a) < 0 {
		hi -= b
	}
	if int64(b) < 0 {
		hi -= a
	}
	return hi, lo
}

// opImul1 is the one-operand signed multiply into the accumulator pair.
func opImul1(c *CPU, in *Inst) {
	size := int(in.A[0].Size)
	src := int64(signExtend(c.get(in, 0), uint8(size)))
	switch size {
	case 1:
		p := int64(int8(c.R[RAX])) * src
		c.R[RAX] = c.R[RAX]&^0xffff | uint64(p)&0xffff
		c.mulFlags(p != int64(int8(p)))
	case 2:
		p := int64(int16(c.R[RAX])) * src
		c.R[RAX] = c.R[RAX]&^0xffff | uint64(p)&0xffff
		c.R[RDX] = c.R[RDX]&^0xffff | uint64(p)>>16&0xffff
		c.mulFlags(p != int64(int16(p)))
	case 4:
		p := int64(int32(c.R[RAX])) * src
		c.R[RAX] = uint64(p) & 0xffffffff
		c.R[RDX] = uint64(p) >> 32 & 0xffffffff
		c.mulFlags(p != int64(int32(p)))
	default:
		hi, lo := mulSigned64(c.R[RAX], uint64(src))
		c.R[RAX], c.R[RDX] = lo, hi
		c.mulFlags(hi != uint64(int64(lo)>>63))
	}
}

// imulTrunc multiplies a and b as signed size-byte values, returning the
// truncated product and whether it differs from the full one.
func imulTrunc(size int, a, b uint64) (r uint64, over bool) {
	if size == 8 {
		hi, lo := mulSigned64(a, b)
		return lo, hi != uint64(int64(lo)>>63)
	}
	p := int64(signExtend(a, uint8(size))) * int64(signExtend(b, uint8(size)))
	r = uint64(p) & sizeMask[size]
	return r, p != int64(signExtend(r, uint8(size)))
}

// opImul2 is IMUL r, r/m and IMUL r, r/m, imm: the destination receives
// the product truncated to its size.
func opImul2(c *CPU, in *Inst) {
	size := int(in.A[0].Size)
	var a, b uint64
	if in.NArgs == 3 {
		a, b = c.get(in, 1), in.Imm
	} else {
		a, b = c.getReg(&in.A[0]), c.get(in, 1)
	}
	r, over := imulTrunc(size, a, b)
	c.setReg(&in.A[0], r)
	c.mulFlags(over)
}

// imulRR64 is the common 64-bit IMUL r, r.
func imulRR64(c *CPU, in *Inst) {
	d := in.A[0].Reg
	hi, lo := mulSigned64(c.R[d], c.R[in.A[1].Reg])
	c.R[d] = lo
	c.mulFlags(hi != uint64(int64(lo)>>63))
}

func buildImul(in *Inst) Handler {
	switch in.NArgs {
	case 1:
		return opImul1
	case 2:
		if in.A[0].Size == 8 && in.A[1].Kind == KReg {
			return imulRR64
		}
	}
	return opImul2
}

// divideError raises #DE.
func divideError() { panic(&Trap{Kind: TrapDivide}) }

// divFlags sets the flags a divide leaves, which the architecture leaves
// undefined. The host clears SF, ZF and PF, sets AF and keeps CF and OF:
// recorded here as a function of the old flags only, so that a program
// that (wrongly) tests them sees the same thing natively and under gemu.
func (c *CPU) divFlags() {
	f := c.Flags()
	c.SetFlags(FlagAF|f&(FlagCF|FlagOF), StatusFlags)
}

// opDiv is the unsigned divide of the accumulator pair.
func opDiv(c *CPU, in *Inst) {
	size := int(in.A[0].Size)
	d := c.get(in, 0)
	if d == 0 {
		divideError()
	}
	switch size {
	case 1:
		n := c.R[RAX] & 0xffff
		q, r := n/d, n%d
		if q > 0xff {
			divideError()
		}
		c.R[RAX] = c.R[RAX]&^0xffff | r<<8 | q
	case 2:
		n := c.R[RDX]&0xffff<<16 | c.R[RAX]&0xffff
		q, r := n/d, n%d
		if q > 0xffff {
			divideError()
		}
		c.R[RAX] = c.R[RAX]&^0xffff | q
		c.R[RDX] = c.R[RDX]&^0xffff | r
	case 4:
		n := c.R[RDX]&0xffffffff<<32 | c.R[RAX]&0xffffffff
		q, r := n/d, n%d
		if q > 0xffffffff {
			divideError()
		}
		c.R[RAX], c.R[RDX] = q, r
	default:
		hi := c.R[RDX]
		if hi >= d {
			divideError()
		}
		c.R[RAX], c.R[RDX] = bits.Div64(hi, c.R[RAX], d)
	}
	c.divFlags()
}

// opIdiv is the signed divide of the accumulator pair. The quotient
// truncates toward zero and the remainder has the dividend's sign; a
// quotient outside the signed range (INT_MIN / -1 included) raises #DE.
func opIdiv(c *CPU, in *Inst) {
	size := int(in.A[0].Size)
	d := int64(signExtend(c.get(in, 0), uint8(size)))
	if d == 0 {
		divideError()
	}
	if size == 8 {
		q, r, ok := idiv128(c.R[RDX], c.R[RAX], d)
		if !ok {
			divideError()
		}
		c.R[RAX], c.R[RDX] = uint64(q), uint64(r)
		c.divFlags()
		return
	}
	var n int64
	switch size {
	case 1:
		n = int64(int16(c.R[RAX]))
	case 2:
		n = int64(int32(uint32(c.R[RDX])<<16 | uint32(c.R[RAX])&0xffff))
	case 4:
		n = int64(c.R[RDX]<<32 | c.R[RAX]&0xffffffff)
	}
	if n == -1<<63 && d == -1 {
		divideError() // only reachable for 32-bit operands
	}
	q, r := n/d, n%d
	lim := int64(1) << (8*size - 1)
	if q < -lim || q >= lim {
		divideError()
	}
	m := sizeMask[size]
	switch size {
	case 1:
		c.R[RAX] = c.R[RAX]&^0xffff | (uint64(r)&m)<<8 | uint64(q)&m
	case 2:
		c.R[RAX] = c.R[RAX]&^0xffff | uint64(q)&m
		c.R[RDX] = c.R[RDX]&^0xffff | uint64(r)&m
	case 4:
		c.R[RAX], c.R[RDX] = uint64(q)&m, uint64(r)&m
	}
	c.divFlags()
}

// idiv128 divides the signed 128-bit hi:lo by d, reporting false if the
// quotient does not fit in 64 signed bits.
func idiv128(hi, lo uint64, d int64) (q, r int64, ok bool) {
	neg := int64(hi) < 0
	if neg {
		// Negate the 128-bit dividend.
		lo = -lo
		hi = ^hi
		if lo == 0 {
			hi++
		}
	}
	ud := uint64(d)
	if d < 0 {
		ud = -ud
	}
	if hi >= ud {
		return 0, 0, false
	}
	uq, ur := bits.Div64(hi, lo, ud)
	if neg != (d < 0) {
		if uq > 1<<63 {
			return 0, 0, false
		}
		q = -int64(uq)
	} else {
		if uq >= 1<<63 {
			return 0, 0, false
		}
		q = int64(uq)
	}
	r = int64(ur)
	if neg {
		r = -r
	}
	return q, r, true
}

func init() {
	def(x86asm.MUL, opMul)
	def(x86asm.IMUL, opImul2)
	defBuild(x86asm.IMUL, buildImul)
	def(x86asm.DIV, opDiv)
	def(x86asm.IDIV, opIdiv)
}
