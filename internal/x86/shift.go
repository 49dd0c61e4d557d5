package x86

import "golang.org/x/arch/x86/x86asm"

// Shifts and rotates: SHL/SAL, SHR, SAR, ROL, ROR, RCL, RCR by 1, CL or an
// immediate, and the double shifts SHLD/SHRD.
//
// The count is masked to 5 bits (6 for 64-bit operands); a masked count of
// zero changes no flag. Flags the manuals leave undefined follow the host
// these semantics were checked against (see testdata/genvec.c): shifts set
// AF, and OF is computed by the count-1 formula for every count.

// Shift kinds, in the order of the ModRM reg field of the group-2 opcodes.
const (
	shROL uint8 = iota
	shROR
	shRCL
	shRCR
	shSHL
	shSHR
	shSAL // the undocumented /6 alias of SHL
	shSAR
)

// intShiftCount returns the masked count of a shift or rotate: operand i is
// an immediate or CL.
func (c *CPU) intShiftCount(in *Inst, i int, size int) uint {
	var n uint
	if in.A[i].Kind == KImm {
		n = uint(in.Imm)
	} else {
		n = uint(c.R[RCX])
	}
	if size == 8 {
		return n & 63
	}
	return n & 31
}

// shiftResult computes a shift (SHL, SHR, SAR) of the size-byte value v by
// 1 <= n <= 63 and returns the result with CF, OF and AF as flag bits. ZF,
// SF and PF come from the result.
func shiftResult(kind uint8, size int, v uint64, n uint) (r, flags uint64) {
	w := uint(size) * 8
	m := sizeMask[size]
	sb := signBit[size]
	var cf, of bool
	switch kind {
	case shSHL, shSAL:
		r = v << n & m
		if n <= w {
			cf = v>>(w-n)&1 != 0
		}
		of = (r&sb != 0) != cf
	case shSHR:
		r = v >> n
		cf = v>>(n-1)&1 != 0
		// OF is the top bit of v for a count of one; the host keeps
		// the same formula, the XOR of the result's top two bits, for
		// larger counts.
		of = (r^r<<1)&sb != 0
	case shSAR:
		s := int64(signExtend(v, uint8(size)))
		r = uint64(s>>n) & m
		cf = uint64(s>>(n-1))&1 != 0
		of = false
	}
	f := FlagAF
	if cf {
		f |= FlagCF
	}
	if of {
		f |= FlagOF
	}
	return r, f
}

// rotateResult computes ROL, ROR, RCL or RCR of the size-byte value v by
// the masked count n >= 1 with carry-in cf. It returns the result and the
// new CF and OF. An RCL/RCR count that is a multiple of the width plus one
// leaves the value and CF unchanged but still sets OF.
func rotateResult(kind uint8, size int, v uint64, n uint, cf bool) (r uint64, ncf, of bool) {
	w := uint(size) * 8
	m := sizeMask[size]
	sb := signBit[size]
	switch kind {
	case shROL:
		k := n % w
		r = (v<<k | v>>(w-k)) & m
		ncf = r&1 != 0
		of = (r&sb != 0) != ncf
	case shROR:
		k := n % w
		r = (v>>k | v<<(w-k)) & m
		ncf = r&sb != 0
		of = (r^r<<1)&sb != 0
	case shRCL:
		k := n % (w + 1)
		if k == 0 {
			return v, cf, (v&sb != 0) != cf
		}
		var ci uint64
		if cf {
			ci = 1
		}
		// Rotate the (w+1)-bit quantity CF:v left by k. Go shifts by
		// w or more yield zero, which is what the edge cases need.
		r = (v<<k | ci<<(k-1) | v>>(w-k+1)) & m
		ncf = v>>(w-k)&1 != 0
		of = (r&sb != 0) != ncf
	case shRCR:
		k := n % (w + 1)
		if k == 0 {
			return v, cf, (v^v<<1)&sb != 0
		}
		var ci uint64
		if cf {
			ci = 1
		}
		r = (v>>k | ci<<(w-k) | v<<(w-k+1)) & m
		ncf = v>>(k-1)&1 != 0
		of = (r^r<<1)&sb != 0
	}
	return r, ncf, of
}

// opShift executes every form of the group-2 shifts and rotates.
func opShift(c *CPU, in *Inst) {
	size := int(in.A[0].Size)
	n := c.intShiftCount(in, 1, size)
	v, addr := c.rmwGet(in)
	if n == 0 {
		c.zeroCountWrite(in)
		return
	}
	switch in.Aux {
	case shSHL, shSAL, shSHR, shSAR:
		r, f := shiftResult(in.Aux, size, v, n)
		c.rmwPut(in, addr, r)
		c.setResultBits(size, r, f)
	default:
		// A rotate changes CF and OF only: the flags are evaluated once,
		// for the carry in and for the others it keeps.
		fl := c.Flags()
		r, cf, of := rotateResult(in.Aux, size, v, n, fl&FlagCF != 0)
		c.rmwPut(in, addr, r)
		fl &^= FlagCF | FlagOF
		if cf {
			fl |= FlagCF
		}
		if of {
			fl |= FlagOF
		}
		c.flags = fl | 2
		c.lazy.op = flagsNone
	}
}

// zeroCountWrite is the only effect of a shift by zero besides reading the
// operand: a 32-bit register destination is still written, and so
// zero-extended, as on hardware. Memory is left alone.
func (c *CPU) zeroCountWrite(in *Inst) {
	if o := &in.A[0]; o.Kind == KReg && o.Size == 4 {
		c.R[o.Reg] &= 0xffffffff
	}
}

// setResultBits records flags whose ZF, SF and PF come from res and whose
// CF, OF and AF are given as flag bits.
func (c *CPU) setResultBits(size int, res, f uint64) {
	c.lazy = lazyFlags{op: flagsRes, size: uint8(size), res: res, a: f}
}

// Specialized register forms with an immediate count, the common case in
// compiled code (address arithmetic, hashing, bit fields). The builder has
// already masked the count and ruled out zero.

// shlRI64 is SHL r64, imm8.
func shlRI64(c *CPU, in *Inst) {
	d := in.A[0].Reg
	v := c.R[d]
	n := uint(in.Imm)
	r := v << n
	f := FlagAF | (v>>(64-n)&1)*FlagCF
	if (r>>63 != 0) != (f&FlagCF != 0) {
		f |= FlagOF
	}
	c.R[d] = r
	c.setResultBits(8, r, f)
}

// shrRI64 is SHR r64, imm8.
func shrRI64(c *CPU, in *Inst) {
	d := in.A[0].Reg
	v := c.R[d]
	n := uint(in.Imm)
	r := v >> n
	f := FlagAF | (v>>(n-1)&1)*FlagCF
	if (r^r<<1)>>63 != 0 {
		f |= FlagOF
	}
	c.R[d] = r
	c.setResultBits(8, r, f)
}

// sarRI64 is SAR r64, imm8.
func sarRI64(c *CPU, in *Inst) {
	d := in.A[0].Reg
	v := int64(c.R[d])
	n := uint(in.Imm)
	r := uint64(v >> n)
	c.R[d] = r
	c.setResultBits(8, r, FlagAF|uint64(v>>(n-1))&1*FlagCF)
}

// shiftRI32 is SHL, SHR or SAR r32, imm8.
func shiftRI32(c *CPU, in *Inst) {
	d := in.A[0].Reg
	r, f := shiftResult(in.Aux, 4, c.R[d]&0xffffffff, uint(in.Imm))
	c.R[d] = r
	c.setResultBits(4, r, f)
}

// rotRI is ROL or ROR r32/r64, imm8 with a nonzero count: CF and OF as
// rotateResult gives them, the other flags kept (evaluated once). It is
// the handler where the flags are live, as before every instrumented
// instruction; shiftRINF serves where they are not.
func rotRI(c *CPU, in *Inst) {
	d := in.A[0].Reg
	size := int(in.A[0].Size)
	fl := c.Flags()
	r, cf, of := rotateResult(in.Aux, size, c.R[d]&sizeMask[size], uint(in.Imm), false)
	c.R[d] = r
	fl &^= FlagCF | FlagOF
	if cf {
		fl |= FlagCF
	}
	if of {
		fl |= FlagOF
	}
	c.flags = fl | 2
	c.lazy.op = flagsNone
}

// buildShift picks the handler for one shift or rotate kind.
func buildShift(kind uint8) func(in *Inst) Handler {
	return func(in *Inst) Handler {
		in.Aux = kind
		d := &in.A[0]
		if in.A[1].Kind == KImm {
			if d.Size == 8 {
				in.Imm &= 63
			} else {
				in.Imm &= 31
			}
			if in.Imm != 0 && d.Kind == KReg && !d.Hi {
				switch {
				case d.Size == 8 && kind == shSHL:
					return shlRI64
				case d.Size == 8 && kind == shSHR:
					return shrRI64
				case d.Size == 8 && kind == shSAR:
					return sarRI64
				case d.Size == 4 && (kind == shSHL || kind == shSHR || kind == shSAR):
					return shiftRI32
				case d.Size >= 4 && (kind == shROL || kind == shROR):
					return rotRI
				}
			}
		}
		return opShift
	}
}

// opShiftDouble executes SHLD and SHRD (Aux 0 and 1): the destination is
// shifted with bits coming in from the source register.
func opShiftDouble(c *CPU, in *Inst) {
	size := int(in.A[0].Size)
	n := c.intShiftCount(in, 2, size)
	d, addr := c.rmwGet(in)
	if n == 0 {
		c.zeroCountWrite(in)
		return
	}
	s := c.getReg(&in.A[1])
	r, f := shiftDoubleResult(in.Aux == 0, size, d, s, n)
	c.rmwPut(in, addr, r)
	c.setResultBits(size, r, f)
}

// shiftDoubleResult computes SHLD (left) or SHRD of d with bits from s by
// 1 <= n <= 63, returning the result and CF, OF, AF as flag bits.
//
// OF is defined only for a count of one; for other counts the host's
// formula is kept: SHLD sets OF to MSB(result) XOR CF, SHRD to the XOR of
// the result's two top bits. A 16-bit count above 16 gives an undefined
// result; the host then shifts s:s (SHLD) or s:s:d (SHRD) and clears CF.
func shiftDoubleResult(left bool, size int, d, s uint64, n uint) (r, f uint64) {
	w := uint(size) * 8
	m := sizeMask[size]
	sb := signBit[size]
	var cf, of bool
	switch {
	case left && size == 2 && n >= 16:
		if n == 16 {
			r, cf = s, d&1 != 0
		} else {
			r = (s<<16 | s) >> (32 - n) & m
		}
		of = cf
	case left:
		r = (d<<n | s>>(w-n)) & m
		cf = d>>(w-n)&1 != 0
		of = (r&sb != 0) != cf
	default:
		if size == 2 && n > 16 {
			r = (s<<32 | s<<16 | d) >> n & m
		} else {
			r = (d>>n | s<<(w-n)) & m
			cf = d>>(n-1)&1 != 0
		}
		of = (r^r<<1)&sb != 0
	}
	f = FlagAF
	if cf {
		f |= FlagCF
	}
	if of {
		f |= FlagOF
	}
	return r, f
}

func init() {
	for op, k := range map[x86asm.Op]uint8{
		x86asm.ROL: shROL, x86asm.ROR: shROR, x86asm.RCL: shRCL, x86asm.RCR: shRCR,
		x86asm.SHL: shSHL, x86asm.SHR: shSHR, x86asm.SAR: shSAR,
	} {
		def(op, opShift)
		defBuild(op, buildShift(k))
	}
	def(x86asm.SHLD, opShiftDouble)
	def(x86asm.SHRD, opShiftDouble)
	defBuild(x86asm.SHLD, func(in *Inst) Handler { in.Aux = 0; return nil })
	defBuild(x86asm.SHRD, func(in *Inst) Handler { in.Aux = 1; return nil })
}
