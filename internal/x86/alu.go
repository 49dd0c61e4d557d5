package x86

import "golang.org/x/arch/x86/x86asm"

// Two-operand integer arithmetic and logic, moves and LEA.

const (
	aluAdd uint8 = iota
	aluOr
	aluAdc
	aluSbb
	aluAnd
	aluSub
	aluXor
	aluCmp
	aluTest
)

// alu computes one ALU operation and records its flags. It returns the
// result (meaningless for cmp/test, which do not write).
func (c *CPU) alu(op uint8, size int, a, b uint64) uint64 {
	m := sizeMask[size]
	var r uint64
	switch op {
	case aluAdd:
		r = (a + b) & m
		c.SetLazy(flagsAdd, size, r, a, b)
	case aluOr:
		r = a | b
		c.SetLazy(flagsLogic, size, r, a, b)
	case aluAdc:
		cin := uint64(0)
		if c.CF() {
			cin = 1
		}
		r = (a + b + cin) & m
		c.setLazyCarry(flagsAdc, size, r, a, b, cin)
	case aluSbb:
		cin := uint64(0)
		if c.CF() {
			cin = 1
		}
		r = (a - b - cin) & m
		c.setLazyCarry(flagsSbb, size, r, a, b, cin)
	case aluAnd, aluTest:
		r = a & b
		c.SetLazy(flagsLogic, size, r, a, b)
	case aluSub, aluCmp:
		r = (a - b) & m
		c.SetLazy(flagsSub, size, r, a, b)
	case aluXor:
		r = a ^ b
		c.SetLazy(flagsLogic, size, r, a, b)
	}
	return r
}

func aluGeneric(c *CPU, in *Inst) {
	size := int(in.A[0].Size)
	b := c.get(in, 1)
	if in.Aux == aluCmp || in.Aux == aluTest {
		c.alu(in.Aux, size, c.get(in, 0), b)
		return
	}
	a, addr := c.rmwGet(in)
	saved := c.lazy
	r := c.alu(in.Aux, size, a, b)
	if in.A[0].Kind == KMem {
		// Store before the flags change so a faulting store is precise.
		result := c.lazy
		c.lazy = saved
		c.Mem.StoreN(addr, size, r)
		c.lazy = result
		return
	}
	c.setReg(&in.A[0], r)
}

// Specialized forms for the hottest operand shapes.

func aluRR64(c *CPU, in *Inst) {
	d, s := in.A[0].Reg, in.A[1].Reg
	r := c.alu(in.Aux, 8, c.R[d], c.R[s])
	if in.Aux != aluCmp && in.Aux != aluTest {
		c.R[d] = r
	}
}

func aluRR32(c *CPU, in *Inst) {
	d, s := in.A[0].Reg, in.A[1].Reg
	r := c.alu(in.Aux, 4, c.R[d]&0xffffffff, c.R[s]&0xffffffff)
	if in.Aux != aluCmp && in.Aux != aluTest {
		c.R[d] = r
	}
}

func aluRI64(c *CPU, in *Inst) {
	d := in.A[0].Reg
	r := c.alu(in.Aux, 8, c.R[d], in.Imm)
	if in.Aux != aluCmp && in.Aux != aluTest {
		c.R[d] = r
	}
}

func aluRI32(c *CPU, in *Inst) {
	d := in.A[0].Reg
	r := c.alu(in.Aux, 4, c.R[d]&0xffffffff, in.Imm&0xffffffff)
	if in.Aux != aluCmp && in.Aux != aluTest {
		c.R[d] = r
	}
}

func aluRM64(c *CPU, in *Inst) {
	d := in.A[0].Reg
	r := c.alu(in.Aux, 8, c.R[d], c.Mem.Load64(c.EA(in)))
	if in.Aux != aluCmp && in.Aux != aluTest {
		c.R[d] = r
	}
}

func aluRM32(c *CPU, in *Inst) {
	d := in.A[0].Reg
	r := c.alu(in.Aux, 4, c.R[d]&0xffffffff, uint64(c.Mem.Load32(c.EA(in))))
	if in.Aux != aluCmp && in.Aux != aluTest {
		c.R[d] = r
	}
}

// aluM32 is a 32-bit ALU operation with a memory destination and a
// register or immediate source. The store happens before the flags change,
// so a faulting store leaves them as they were.
func aluM32(c *CPU, in *Inst) {
	addr := c.EA(in)
	a := uint64(c.Mem.Load32(addr))
	var b uint64
	if in.A[1].Kind == KImm {
		b = in.Imm & 0xffffffff
	} else {
		b = c.R[in.A[1].Reg] & 0xffffffff
	}
	if in.Aux == aluCmp || in.Aux == aluTest {
		c.alu(in.Aux, 4, a, b)
		return
	}
	saved := c.lazy
	r := c.alu(in.Aux, 4, a, b)
	result := c.lazy
	c.lazy = saved
	c.Mem.Store32(addr, uint32(r))
	c.lazy = result
}

func buildALU(op uint8) func(in *Inst) Handler {
	return func(in *Inst) Handler {
		in.Aux = op
		d, s := &in.A[0], &in.A[1]
		if lockedMem(in) && op != aluCmp && op != aluTest {
			return aluLocked
		}
		if d.Kind == KMem && d.Size == 4 && (s.Kind == KImm || s.Kind == KReg && !s.Hi && s.Size == 4) {
			return aluM32
		}
		if d.Kind == KReg && !d.Hi && s.Kind == KMem && d.Size == s.Size {
			switch d.Size {
			case 8:
				return aluRM64
			case 4:
				return aluRM32
			}
		}
		if d.Kind == KReg && !d.Hi && (s.Kind == KReg && !s.Hi || s.Kind == KImm) && d.Size >= 4 {
			switch {
			case s.Kind == KReg && d.Size == 8:
				return aluRR64
			case s.Kind == KReg:
				return aluRR32
			case d.Size == 8:
				return aluRI64
			default:
				return aluRI32
			}
		}
		return aluGeneric
	}
}

func opIncDec(c *CPU, in *Inst) {
	size := int(in.A[0].Size)
	a, addr := c.rmwGet(in)
	cin := uint64(0)
	if c.CF() {
		cin = 1
	}
	if in.Op == x86asm.INC {
		r := (a + 1) & sizeMask[size]
		c.rmwPut(in, addr, r)
		c.setLazyCarry(flagsInc, size, r, a, 1, cin)
	} else {
		r := (a - 1) & sizeMask[size]
		c.rmwPut(in, addr, r)
		c.setLazyCarry(flagsDec, size, r, a, 1, cin)
	}
}

func opNeg(c *CPU, in *Inst) {
	size := int(in.A[0].Size)
	a, addr := c.rmwGet(in)
	r := (-a) & sizeMask[size]
	c.rmwPut(in, addr, r)
	c.SetLazy(flagsSub, size, r, 0, a)
}

func opNot(c *CPU, in *Inst) {
	a, addr := c.rmwGet(in)
	c.rmwPut(in, addr, ^a&sizeMask[in.A[0].Size])
}

func opMov(c *CPU, in *Inst) { c.put(in, 0, c.get(in, 1)) }

func movRR(c *CPU, in *Inst) {
	c.setReg(&in.A[0], c.getReg(&in.A[1]))
}

func movRR64(c *CPU, in *Inst) { c.R[in.A[0].Reg] = c.R[in.A[1].Reg] }
func movRR32(c *CPU, in *Inst) { c.R[in.A[0].Reg] = c.R[in.A[1].Reg] & 0xffffffff }

func movRI(c *CPU, in *Inst) {
	c.setReg(&in.A[0], in.Imm)
}

func movRM64(c *CPU, in *Inst) { c.R[in.A[0].Reg] = c.Mem.Load64(c.EA(in)) }
func movRM32(c *CPU, in *Inst) { c.R[in.A[0].Reg] = uint64(c.Mem.Load32(c.EA(in))) }
func movMR64(c *CPU, in *Inst) { c.Mem.Store64(c.EA(in), c.R[in.A[1].Reg]) }
func movMR32(c *CPU, in *Inst) { c.Mem.Store32(c.EA(in), uint32(c.R[in.A[1].Reg])) }

func buildMov(in *Inst) Handler {
	d, s := &in.A[0], &in.A[1]
	switch {
	case d.Kind == KReg && s.Kind == KReg && !d.Hi && !s.Hi && d.Size == 8:
		return movRR64
	case d.Kind == KReg && s.Kind == KReg && !d.Hi && !s.Hi && d.Size == 4:
		return movRR32
	case d.Kind == KReg && s.Kind == KReg:
		return movRR
	case d.Kind == KReg && s.Kind == KImm:
		in.Imm &= sizeMask[d.Size]
		return movRI
	case d.Kind == KReg && !d.Hi && s.Kind == KMem && d.Size == 8:
		return movRM64
	case d.Kind == KReg && !d.Hi && s.Kind == KMem && d.Size == 4:
		return movRM32
	case d.Kind == KMem && s.Kind == KReg && !s.Hi && s.Size == 8:
		return movMR64
	case d.Kind == KMem && s.Kind == KReg && !s.Hi && s.Size == 4:
		return movMR32
	case d.Kind == KSeg || s.Kind == KSeg:
		return opMovSeg
	case d.Kind == KCR || s.Kind == KCR || d.Kind == KDR || s.Kind == KDR:
		return opMovCR
	}
	return nil
}

// opMovSeg moves to or from a segment register; a load checks the
// selector (LoadSeg).
func opMovSeg(c *CPU, in *Inst) {
	if in.A[1].Kind == KSeg {
		v := uint64(c.Seg[in.A[1].Reg])
		if in.A[0].Kind == KMem {
			c.Mem.Store16(c.EA(in), uint16(v))
		} else {
			c.setReg(&in.A[0], v)
		}
		return
	}
	sel := uint16(c.get(in, 1))
	c.LoadSeg(int(in.A[0].Reg), sel)
}

func opMovzx(c *CPU, in *Inst) { c.put(in, 0, c.get(in, 1)) }

// The common sign and zero extensions from memory into a 32 or 64-bit
// register (a 32-bit destination zero-fills the upper half).
func movzxRM8(c *CPU, in *Inst)  { c.R[in.A[0].Reg] = uint64(c.Mem.Load8(c.EA(in))) }
func movzxRM16(c *CPU, in *Inst) { c.R[in.A[0].Reg] = uint64(c.Mem.Load16(c.EA(in))) }
func movsxRM8(c *CPU, in *Inst) {
	c.R[in.A[0].Reg] = uint64(int64(int8(c.Mem.Load8(c.EA(in))))) & sizeMask[in.A[0].Size]
}
func movsxRM16(c *CPU, in *Inst) {
	c.R[in.A[0].Reg] = uint64(int64(int16(c.Mem.Load16(c.EA(in))))) & sizeMask[in.A[0].Size]
}

func buildExtend(signed bool) func(in *Inst) Handler {
	return func(in *Inst) Handler {
		d, s := &in.A[0], &in.A[1]
		if d.Kind != KReg || d.Hi || d.Size < 4 || s.Kind != KMem {
			return nil
		}
		switch {
		case s.Size == 1 && signed:
			return movsxRM8
		case s.Size == 2 && signed:
			return movsxRM16
		case s.Size == 1:
			return movzxRM8
		case s.Size == 2:
			return movzxRM16
		}
		return nil
	}
}

func opMovsx(c *CPU, in *Inst) {
	c.put(in, 0, signExtend(c.get(in, 1), in.A[1].Size)&sizeMask[in.A[0].Size])
}

func opLea(c *CPU, in *Inst) {
	// LEA computes an offset, without segment base.
	a := in.Disp
	if in.Base >= 0 {
		a += c.R[in.Base]
	}
	if in.Index >= 0 {
		a += c.R[in.Index] << in.Scale
	}
	c.setReg(&in.A[0], a&sizeMask[in.A[0].Size]&sizeMask[in.ASize])
}

// opXchg exchanges two registers; with memory it is xchgMem (locked.go).
func opXchg(c *CPU, in *Inst) {
	a, b := c.getReg(&in.A[0]), c.getReg(&in.A[1])
	c.setReg(&in.A[0], b)
	c.setReg(&in.A[1], a)
}

func opNop(c *CPU, in *Inst) {}

func init() {
	for op, a := range map[x86asm.Op]uint8{
		x86asm.ADD: aluAdd, x86asm.OR: aluOr, x86asm.ADC: aluAdc, x86asm.SBB: aluSbb,
		x86asm.AND: aluAnd, x86asm.SUB: aluSub, x86asm.XOR: aluXor, x86asm.CMP: aluCmp,
		x86asm.TEST: aluTest,
	} {
		defBuild(op, buildALU(a))
	}
	def(x86asm.INC, opIncDec)
	def(x86asm.DEC, opIncDec)
	def(x86asm.NEG, opNeg)
	def(x86asm.NOT, opNot)
	def(x86asm.MOV, opMov)
	defBuild(x86asm.MOV, buildMov)
	def(x86asm.MOVZX, opMovzx)
	def(x86asm.MOVSX, opMovsx)
	defBuild(x86asm.MOVZX, buildExtend(false))
	defBuild(x86asm.MOVSX, buildExtend(true))
	def(x86asm.MOVSXD, opMovsx)
	def(x86asm.LEA, opLea)
	def(x86asm.XCHG, opXchg)
	def(x86asm.NOP, opNop)
	def(x86asm.PAUSE, opNop)
}
