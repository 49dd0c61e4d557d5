package x86

import (
	"math/bits"

	"golang.org/x/arch/x86/x86asm"
)

// Dead-flag elimination. Within a translation block, an instruction whose
// flag results are all overwritten before anything reads them (and before
// anything could fault and expose them to a signal handler) can run a
// variant that skips the flag bookkeeping. PruneFlags does the backward
// liveness pass over a block and swaps in those variants.

// Status flag bits as a compact mask, for liveness.
const (
	lfCF uint8 = 1 << iota
	lfPF
	lfAF
	lfZF
	lfSF
	lfOF
	lfAll = lfCF | lfPF | lfAF | lfZF | lfSF | lfOF
)

// flagEffects returns the status flags an instruction reads and the ones
// it always writes. Unknown instructions read everything and write nothing,
// the safe answer.
func flagEffects(in *Inst) (read, write uint8) {
	switch in.Op {
	case x86asm.ADD, x86asm.SUB, x86asm.CMP, x86asm.AND, x86asm.OR, x86asm.XOR,
		x86asm.TEST, x86asm.NEG:
		return 0, lfAll
	case x86asm.ADC, x86asm.SBB:
		return lfCF, lfAll
	case x86asm.INC, x86asm.DEC:
		return 0, lfAll &^ lfCF
	case x86asm.SHL, x86asm.SHR, x86asm.SAR, x86asm.ROL, x86asm.ROR:
		if in.A[1].Kind != KImm || shiftImmCount(in) == 0 {
			return lfAll, 0
		}
		if in.Op == x86asm.ROL || in.Op == x86asm.ROR {
			return 0, lfCF | lfOF
		}
		return 0, lfAll
	case x86asm.IMUL:
		// The two and three operand forms set CF and OF and leave the
		// other status flags as they were (as this project's reference
		// hardware does); the one operand form is left conservative.
		if in.NArgs >= 2 {
			return 0, lfCF | lfOF
		}
	case x86asm.MOV, x86asm.MOVZX, x86asm.MOVSX, x86asm.MOVSXD, x86asm.LEA, x86asm.NOT,
		x86asm.XCHG, x86asm.BSWAP, x86asm.NOP, x86asm.PUSH, x86asm.POP, x86asm.CALL,
		x86asm.JMP, x86asm.RET, x86asm.CDQ, x86asm.CDQE, x86asm.CQO, x86asm.CWDE,
		x86asm.MOVD, x86asm.MOVQ, x86asm.MOVDQA, x86asm.MOVDQU, x86asm.MOVAPS, x86asm.MOVUPS:
		return 0, 0
	}
	return lfAll, 0
}

func shiftImmCount(in *Inst) uint64 {
	if in.A[0].Size == 8 {
		return in.Imm & 63
	}
	return in.Imm & 31
}

// mayFault reports whether an instruction could raise an exception (and
// so expose the flags to a signal handler).
func mayFault(in *Inst) bool {
	if in.Op == x86asm.LEA || in.Op == x86asm.NOP {
		return false
	}
	for i := 0; i < int(in.NArgs); i++ {
		if k := in.A[i].Kind; k == KMem || k == KCR || k == KDR {
			return true
		}
	}
	switch in.Op {
	case x86asm.ADD, x86asm.SUB, x86asm.CMP, x86asm.AND, x86asm.OR, x86asm.XOR,
		x86asm.TEST, x86asm.NEG, x86asm.ADC, x86asm.SBB, x86asm.INC, x86asm.DEC,
		x86asm.SHL, x86asm.SHR, x86asm.SAR, x86asm.ROL, x86asm.ROR,
		x86asm.MOV, x86asm.MOVZX, x86asm.MOVSX, x86asm.MOVSXD, x86asm.NOT,
		x86asm.XCHG, x86asm.BSWAP, x86asm.CDQ, x86asm.CDQE, x86asm.CQO, x86asm.CWDE:
		return false
	case x86asm.IMUL:
		return in.NArgs < 2 // the one operand form is left conservative
	}
	return true
}

// AuxNoRegs marks an engine pseudo-instruction (Call set) whose callback
// cannot read the guest's registers: a plugin hook that has no way to
// (a C plugin that does not import qemulib_read_register). Flag liveness
// passes through it.
const AuxNoRegs uint8 = 1

// PruneFlags runs flag liveness backwards over a block's instructions and
// replaces the handlers of instructions whose flag results are dead with
// variants that skip computing them. Instructions with Call set (engine
// pseudo-instructions such as plugin hooks) are treated as reading every
// flag, unless marked AuxNoRegs. Flags are live at the end of the block.
func PruneFlags(insts []Inst) {
	live := lfAll
	for i := len(insts) - 1; i >= 0; i-- {
		in := &insts[i]
		if in.Call != nil && in.Raw == nil && in.Aux == AuxNoRegs {
			continue
		}
		if in.Call != nil || in.Raw == nil {
			live = lfAll
			continue
		}
		r, w := flagEffects(in)
		if w != 0 && w&live == 0 {
			if h := noFlagsVariant(in); h != nil {
				in.Fn = h
			}
		} else if (in.Op == x86asm.INC || in.Op == x86asm.DEC) && live&lfCF == 0 && in.A[0].Kind == KReg && !in.A[0].Hi {
			in.Fn = incDecNoCarry
		}
		live = live&^w | r
		if mayFault(in) {
			live = lfAll
		}
	}
}

// noFlagsVariant returns a handler computing in's result without flags, or
// nil if there is none for its form.
func noFlagsVariant(in *Inst) Handler {
	d, s := &in.A[0], &in.A[1]
	if d.Kind != KReg || d.Hi || d.Size < 4 {
		return nil
	}
	switch in.Op {
	case x86asm.CMP, x86asm.TEST:
		if s.Kind == KReg || s.Kind == KImm {
			return opNop
		}
	case x86asm.ADD, x86asm.SUB, x86asm.AND, x86asm.OR, x86asm.XOR:
		if s.Kind == KReg && !s.Hi {
			if d.Size == 8 {
				return aluRR64NF
			}
			return aluRR32NF
		}
		if s.Kind == KImm {
			if d.Size == 8 {
				return aluRI64NF
			}
			return aluRI32NF
		}
	case x86asm.INC, x86asm.DEC:
		return incDecNF
	case x86asm.SHL, x86asm.SHR, x86asm.SAR, x86asm.ROL, x86asm.ROR:
		if s.Kind == KImm {
			return shiftRINF
		}
	case x86asm.IMUL:
		if in.NArgs == 2 && s.Kind == KReg && !s.Hi || in.NArgs == 3 && s.Kind == KReg && !s.Hi && in.A[2].Kind == KImm {
			return imulNF
		}
	}
	return nil
}

// imulNF is the two or three operand IMUL on registers when CF and OF are
// dead: the low half of the product is the same signed or unsigned.
func imulNF(c *CPU, in *Inst) {
	d := in.A[0].Reg
	b := in.Imm
	a := c.R[in.A[1].Reg]
	if in.NArgs == 2 {
		a, b = c.R[d], c.R[in.A[1].Reg]
	}
	if in.A[0].Size == 8 {
		c.R[d] = a * b
	} else {
		c.R[d] = (a * b) & 0xffffffff
	}
}

func aluNF(op x86asm.Op, a, b uint64) uint64 {
	switch op {
	case x86asm.ADD:
		return a + b
	case x86asm.SUB:
		return a - b
	case x86asm.AND:
		return a & b
	case x86asm.OR:
		return a | b
	}
	return a ^ b
}

func aluRR64NF(c *CPU, in *Inst) {
	c.R[in.A[0].Reg] = aluNF(in.Op, c.R[in.A[0].Reg], c.R[in.A[1].Reg])
}

func aluRR32NF(c *CPU, in *Inst) {
	c.R[in.A[0].Reg] = aluNF(in.Op, c.R[in.A[0].Reg], c.R[in.A[1].Reg]) & 0xffffffff
}

func aluRI64NF(c *CPU, in *Inst) {
	c.R[in.A[0].Reg] = aluNF(in.Op, c.R[in.A[0].Reg], in.Imm)
}

func aluRI32NF(c *CPU, in *Inst) {
	c.R[in.A[0].Reg] = aluNF(in.Op, c.R[in.A[0].Reg], in.Imm) & 0xffffffff
}

func incDecNF(c *CPU, in *Inst) {
	d := in.A[0].Reg
	if in.Op == x86asm.INC {
		c.R[d] = (c.R[d] + 1) & sizeMask[in.A[0].Size]
	} else {
		c.R[d] = (c.R[d] - 1) & sizeMask[in.A[0].Size]
	}
}

// incDecNoCarry is INC/DEC on a register when the preserved carry is dead.
func incDecNoCarry(c *CPU, in *Inst) {
	o := &in.A[0]
	a := c.getReg(o)
	size := int(o.Size)
	if in.Op == x86asm.INC {
		r := (a + 1) & sizeMask[size]
		c.setReg(o, r)
		c.setLazyCarry(flagsInc, size, r, a, 1, 0)
	} else {
		r := (a - 1) & sizeMask[size]
		c.setReg(o, r)
		c.setLazyCarry(flagsDec, size, r, a, 1, 0)
	}
}

// shiftRINF shifts or rotates a 32/64-bit register by a nonzero immediate.
func shiftRINF(c *CPU, in *Inst) {
	d := in.A[0].Reg
	v := c.R[d]
	n := int(shiftImmCount(in))
	if in.A[0].Size == 8 {
		switch in.Op {
		case x86asm.SHL:
			v <<= n
		case x86asm.SHR:
			v >>= n
		case x86asm.SAR:
			v = uint64(int64(v) >> n)
		case x86asm.ROL:
			v = bits.RotateLeft64(v, n)
		case x86asm.ROR:
			v = bits.RotateLeft64(v, -n)
		}
		c.R[d] = v
		return
	}
	w := uint32(v)
	switch in.Op {
	case x86asm.SHL:
		w <<= n
	case x86asm.SHR:
		w >>= n
	case x86asm.SAR:
		w = uint32(int32(w) >> n)
	case x86asm.ROL:
		w = bits.RotateLeft32(w, n)
	case x86asm.ROR:
		w = bits.RotateLeft32(w, -n)
	}
	c.R[d] = uint64(w)
}

// FuseBranches merges a register compare or test with the conditional
// branch right after it, the usual end of a loop or if, into one
// instruction that sets the flags and branches, saving a dispatch. It
// returns the shortened slice. Only adjacent guest instructions fuse, so a
// hook placed on the branch keeps them apart.
func FuseBranches(insts []Inst) []Inst {
	n := len(insts)
	if n < 2 {
		return insts
	}
	cmp, jcc := &insts[n-2], &insts[n-1]
	if !cmp.Guest || !jcc.Guest || cmp.Call != nil || jcc.Call != nil || cmp.Fused {
		return insts
	}
	if cmp.Op != x86asm.CMP && cmp.Op != x86asm.TEST {
		return insts
	}
	cc, ok := CondOf[jcc.Op]
	if !ok || !endsBlock[jcc.Op] || jcc.A[0].Kind != KImm {
		return insts
	}
	// Any register width fuses, AH..BH included: byte compares are what
	// character scanners and the x87 "fnstsw; test $imm, %ah" idiom branch
	// on.
	if d, s := &cmp.A[0], &cmp.A[1]; d.Kind != KReg || s.Kind != KImm && s.Kind != KReg {
		return insts
	}
	cmp.Fused = true
	cmp.CC = cc
	cmp.Disp = jcc.Imm
	cmp.Next = jcc.Next
	if cmp.Op == x86asm.CMP {
		cmp.Fn = fusedCmpJcc
	} else {
		cmp.Fn = fusedTestJcc
	}
	return insts[:n-1]
}

func fusedOperands(c *CPU, in *Inst) (a, b uint64, size int) {
	size = int(in.A[0].Size)
	a = c.getReg(&in.A[0])
	if in.A[1].Kind == KImm {
		b = in.Imm & sizeMask[size]
	} else {
		b = c.getReg(&in.A[1])
	}
	return a, b, size
}

func fusedCmpJcc(c *CPU, in *Inst) {
	a, b, size := fusedOperands(c, in)
	c.SetLazy(flagsSub, size, (a-b)&sizeMask[size], a, b)
	if c.Cond(in.CC) {
		c.RIP = in.Disp
	} else {
		c.RIP = in.Next
	}
}

// logicCond evaluates condition cc after a logic operation with result r
// (CF = OF = 0), without going through the lazy flags.
func logicCond(cc uint8, r uint64, size int) bool {
	zf := r == 0
	sf := r&signBit[size] != 0
	var t bool
	switch cc >> 1 {
	case 0, 1: // O, B: always clear
		t = false
	case 2, 3: // E, BE
		t = zf
	case 4, 6: // S, L
		t = sf
	case 5:
		t = parity(r)
	case 7: // LE
		t = zf || sf
	}
	return t != (cc&1 != 0)
}

func fusedTestJcc(c *CPU, in *Inst) {
	a, b, size := fusedOperands(c, in)
	c.SetLazy(flagsLogic, size, a&b, a, b)
	if logicCond(in.CC, a&b, size) {
		c.RIP = in.Disp
	} else {
		c.RIP = in.Next
	}
}
