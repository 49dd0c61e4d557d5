package x86

import (
	"gemu/internal/softfloat"

	"golang.org/x/arch/x86/x86asm"
)

// The x87 floating point unit: the register stack, tags, control and status
// words, and the instruction decoding glue. The arithmetic itself is done
// bit-exactly by package softfloat; this file and the other x87_*.go files
// handle what softfloat leaves to the emulator: stack TOP and tags, stack
// overflow and underflow, the condition codes, the sticky exception flags
// and unmasked exceptions, and the memory formats.
//
// Unmasked exceptions: when an exception occurs whose mask bit in CW is
// clear, ES and B are set in the status word and the next waiting x87
// instruction raises TrapFPU (#MF), as on hardware. For the pre-computation
// exceptions (IE, DE, ZE) the destination and the stack are left unchanged.
// For OE and UE the arithmetic instructions deliver the result with its
// exponent wrapped by 24576 (x87_wrap.go); stores to memory store nothing.

// x87 status word bits.
const (
	swIE  uint16 = 1 << 0
	swDE  uint16 = 1 << 1
	swZE  uint16 = 1 << 2
	swOE  uint16 = 1 << 3
	swUE  uint16 = 1 << 4
	swPE  uint16 = 1 << 5
	swSF  uint16 = 1 << 6 // stack fault (with IE)
	swES  uint16 = 1 << 7 // error summary: an unmasked exception is pending
	swC0  uint16 = 1 << 8
	swC1  uint16 = 1 << 9
	swC2  uint16 = 1 << 10
	swTop uint16 = 7 << 11
	swC3  uint16 = 1 << 14
	swB   uint16 = 1 << 15 // busy, mirrors ES

	swExc = swIE | swDE | swZE | swOE | swUE | swPE
	swCC  = swC0 | swC1 | swC2 | swC3
	// swPre are the exceptions detected before the result is computed:
	// when unmasked they leave the destination and the stack unchanged.
	swPre = swIE | swDE | swZE
)

// cwDefault is the control word after FNINIT: all exceptions masked,
// 64-bit precision, round to nearest.
const cwDefault = 0x037f

// indefinite is the real indefinite QNaN, the masked response to invalid
// operations and stack faults.
var indefinite = F80(softfloat.Indefinite)

// sf converts a register value to the softfloat type (same layout).
func sf(v F80) softfloat.F80 { return softfloat.F80(v) }

// phys returns the physical register number of ST(i).
func (x *X87) phys(i uint8) uint8 { return (x.Top + i) & 7 }

// env returns the softfloat environment selected by the control word.
func (x *X87) env() softfloat.Env {
	return softfloat.Env{RC: uint8(x.CW>>10) & 3, PC: uint8(x.CW>>8) & 3}
}

// setC1 sets condition code C1.
func (x *X87) setC1(on bool) {
	x.SW &^= swC1
	if on {
		x.SW |= swC1
	}
}

// setCC replaces C0, C1, C2 and C3 with the bits of cc (status word
// positions).
func (x *X87) setCC(cc uint16) { x.SW = x.SW&^swCC | cc&swCC }

// signal records exceptions exc (status word bits) and reports whether the
// instruction may complete: false when one of the pre-computation
// exceptions in exc is unmasked. Unmasked exceptions set ES and B.
func (x *X87) signal(exc uint16) bool {
	um := exc &^ x.CW & swExc
	if um&swPre != 0 {
		// The instruction stops at the first unmasked pre-computation
		// exception; lower priority ones are not detected.
		if um&swIE != 0 {
			exc &= swIE | swSF
		} else {
			exc &= swPre
		}
		x.SW |= exc | swES | swB
		return false
	}
	x.SW |= exc
	if um != 0 {
		x.SW |= swES | swB
	}
	return true
}

// finish folds the exceptions of e into the status word and sets C1 from
// it; it reports whether the result may be written (see signal).
func (x *X87) finish(e *softfloat.Env) bool {
	ok := x.signal(uint16(e.Exc))
	x.setC1(ok && e.C1)
	return ok
}

// finishStore is finish for stores to memory, where unmasked overflow and
// underflow also suppress the store.
func (x *X87) finishStore(e *softfloat.Env) bool {
	exc := uint16(e.Exc)
	if um := exc &^ x.CW & (swOE | swUE); um != 0 {
		x.SW = x.SW&^swC1 | exc&^swPE | swES | swB
		return false
	}
	return x.finish(e)
}

// underflow records a stack underflow (an empty register read as an
// operand): IE and SF set, C1 cleared. It reports whether the masked
// response applies (the caller then writes the indefinite).
func (x *X87) underflow() bool {
	x.SW &^= swC1
	return x.signal(swIE | swSF)
}

// overflow checks a push: if ST(7) is not empty it records a stack
// overflow (IE, SF, C1 set) and, when IE is masked, pushes the indefinite.
// It reports whether the push must be skipped by the caller.
func (x *X87) overflow() bool {
	if x.Empty[(x.Top-1)&7] {
		return false
	}
	x.SW |= swC1
	if x.signal(swIE | swSF) {
		x.push(indefinite)
	}
	return true
}

// push pushes v without checks.
func (x *X87) push(v F80) {
	x.Top = (x.Top - 1) & 7
	x.St[x.Top] = v
	x.Empty[x.Top] = false
}

// pop marks ST(0) empty and increments TOP.
func (x *X87) pop() {
	x.Empty[x.Top] = true
	x.Top = (x.Top + 1) & 7
}

// set writes ST(i) and marks it valid.
func (x *X87) set(i uint8, v F80) {
	p := x.phys(i)
	x.St[p] = v
	x.Empty[p] = false
}

// fpWait is the check every waiting x87 instruction makes first: a pending
// unmasked exception (ES) raises #MF before the instruction executes.
func (c *CPU) fpWait() {
	if c.X87.SW&swES != 0 {
		panic(&Trap{Kind: TrapFPU})
	}
}

// fpLast records the instruction pointer, selector and opcode that
// FNSTENV, FNSAVE and FXSAVE report; every non-control x87 instruction
// sets them.
func (c *CPU) fpLast(in *Inst) {
	x := &c.X87
	x.FIP = in.PC
	x.FCS = c.Seg[CS]
	x.FOP = uint16(in.Imm) & 0x7ff
}

// fpLastM is fpLast for an instruction with a memory operand at offset
// off, which also records the data pointer and its segment selector.
func (c *CPU) fpLastM(in *Inst, off uint64) {
	c.fpLast(in)
	x := &c.X87
	x.FDP = off
	x.FDS = c.Seg[in.Imm>>16&7]
}

// fpEA returns the effective address of the memory operand and its offset
// in its segment (the data pointer FNSTENV reports).
func (c *CPU) fpEA(in *Inst) (ea, off uint64) {
	ea = c.EA(in)
	off = ea
	if in.Seg >= 0 {
		off = (ea - c.SegBase[in.Seg]) & c.AddrMask
	}
	return ea, off
}

// updateES recomputes ES and B after the control word or the exception
// flags were loaded: they are set while an unmasked exception flag is set.
func (x *X87) updateES() {
	if x.SW&^x.CW&swExc != 0 {
		x.SW |= swES | swB
	} else {
		x.SW &^= swES | swB
	}
}

// x87 operation numbers kept in Inst.Aux for the arithmetic instructions;
// they follow the reg field of the D8 opcode group.
const (
	fopAdd  = 0
	fopMul  = 1
	fopCom  = 2
	fopComp = 3
	fopSub  = 4
	fopSubr = 5
	fopDiv  = 6
	fopDivr = 7

	fauxPop   = 1 << 3 // pop once after the operation
	fauxPop2  = 1 << 4 // pop twice (FCOMPP, FUCOMPP)
	fauxUnord = 1 << 5 // unordered compare (FUCOM*): QNaNs do not raise IE
)

// x87MemSize returns the memory operand size in bytes of an x87 escape
// opcode (D8..DF) with ModRM reg field reg; the decoder does not report
// the 80-bit and environment sizes. Environment and state images report
// their 32-bit sizes.
func x87MemSize(op byte, reg uint8) uint8 {
	switch op {
	case 0xd8, 0xda:
		return 4
	case 0xdc:
		return 8
	case 0xde:
		return 2
	case 0xd9:
		switch reg {
		case 4, 6:
			return 28
		case 5, 7:
			return 2
		}
		return 4
	case 0xdb:
		if reg >= 4 {
			return 10
		}
		return 4
	case 0xdd:
		switch reg {
		case 4, 6:
			return 108
		case 7:
			return 2
		}
		return 8
	case 0xdf:
		switch reg {
		case 4, 6:
			return 10
		case 5, 7:
			return 8
		}
		return 2
	}
	return 0
}

// x87Builder wraps the choice of an x87 handler at translation time: it
// records the FOP value (the low 11 bits of the opcode bytes) in in.Imm,
// which x87 instructions do not otherwise use, with the memory operand's
// segment register in bits 16-18; it fixes the memory operand size, and
// lets choose pick the handler.
func x87Builder(choose func(in *Inst) Handler) func(in *Inst) Handler {
	return func(in *Inst) Handler {
		op := byte(in.Raw.Opcode >> 24)
		modrm := byte(in.Raw.Opcode >> 16)
		in.Imm = uint64(op&7)<<8 | uint64(modrm)
		for i := 0; i < int(in.NArgs); i++ {
			if in.A[i].Kind == KMem {
				in.A[i].Size = x87MemSize(op, modrm>>3&7)
				m, _ := in.Raw.Args[i].(x86asm.Mem)
				in.Imm |= uint64(memSegment(m)) << 16
			}
		}
		return choose(in)
	}
}

// memSegment returns the segment register a memory operand uses: the
// override, or SS for stack-based addressing, or DS.
func memSegment(m x86asm.Mem) int {
	switch {
	case m.Segment >= x86asm.ES && m.Segment <= x86asm.GS:
		return int(m.Segment - x86asm.ES)
	case m.Base == x86asm.ESP || m.Base == x86asm.EBP || m.Base == x86asm.RSP ||
		m.Base == x86asm.RBP || m.Base == x86asm.SP || m.Base == x86asm.BP:
		return SS
	}
	return DS
}

// defX87 registers an x87 instruction whose handler does not depend on
// the operands.
func defX87(op x86asm.Op, h Handler) {
	defBuild(op, x87Builder(func(*Inst) Handler { return h }))
}

// memArg reports whether the instruction's first operand is in memory.
func (in *Inst) memArg() bool { return in.NArgs > 0 && in.A[0].Kind == KMem }

func init() {
	// Loads and stores.
	defBuild(x86asm.FLD, x87Builder(func(in *Inst) Handler {
		if !in.memArg() {
			return opFldST
		}
		switch in.A[0].Size {
		case 4:
			return opFldM32
		case 8:
			return opFldM64
		}
		return opFldM80
	}))
	defBuild(x86asm.FILD, x87Builder(func(in *Inst) Handler { return opFild }))
	defBuild(x86asm.FBLD, x87Builder(func(in *Inst) Handler { return opFbld }))
	for op, k := range map[x86asm.Op]softfloat.Constant{
		x86asm.FLD1: softfloat.ConstOne, x86asm.FLDL2T: softfloat.ConstL2T,
		x86asm.FLDL2E: softfloat.ConstL2E, x86asm.FLDPI: softfloat.ConstPi,
		x86asm.FLDLG2: softfloat.ConstLG2, x86asm.FLDLN2: softfloat.ConstLN2,
		x86asm.FLDZ: softfloat.ConstZero,
	} {
		defBuild(op, x87Builder(func(in *Inst) Handler {
			in.Aux = uint8(k)
			return opFldConst
		}))
	}
	for _, op := range []x86asm.Op{x86asm.FST, x86asm.FSTP} {
		pop := op == x86asm.FSTP
		defBuild(op, x87Builder(func(in *Inst) Handler {
			if pop {
				in.Aux = fauxPop
			}
			if !in.memArg() {
				return opFstST
			}
			if in.A[0].Size == 4 || in.A[0].Size == 8 {
				return opFstM
			}
			return opFstpM80
		}))
	}
	for _, op := range []x86asm.Op{x86asm.FIST, x86asm.FISTP, x86asm.FISTTP} {
		aux := uint8(0)
		switch op {
		case x86asm.FISTP:
			aux = fauxPop
		case x86asm.FISTTP:
			aux = fauxPop | 1 // bit 0: truncate
		}
		defBuild(op, x87Builder(func(in *Inst) Handler {
			in.Aux = aux
			return opFist
		}))
	}
	defBuild(x86asm.FBSTP, x87Builder(func(in *Inst) Handler { return opFbstp }))
	defX87(x86asm.FXCH, opFxch)
	defBuild(x86asm.FFREE, x87Builder(func(in *Inst) Handler { return opFfree }))
	defBuild(x86asm.FFREEP, x87Builder(func(in *Inst) Handler {
		in.Aux = fauxPop
		return opFfree
	}))
	defX87(x86asm.FINCSTP, opFincstp)
	defX87(x86asm.FDECSTP, opFdecstp)

	// Arithmetic.
	arith := []struct {
		op, pop, iop x86asm.Op
		n            uint8
	}{
		{x86asm.FADD, x86asm.FADDP, x86asm.FIADD, fopAdd},
		{x86asm.FMUL, x86asm.FMULP, x86asm.FIMUL, fopMul},
		{x86asm.FSUB, x86asm.FSUBP, x86asm.FISUB, fopSub},
		{x86asm.FSUBR, x86asm.FSUBRP, x86asm.FISUBR, fopSubr},
		{x86asm.FDIV, x86asm.FDIVP, x86asm.FIDIV, fopDiv},
		{x86asm.FDIVR, x86asm.FDIVRP, x86asm.FIDIVR, fopDivr},
	}
	for _, a := range arith {
		n := a.n
		defBuild(a.op, x87Builder(func(in *Inst) Handler {
			in.Aux = n
			if !in.memArg() {
				return opFarithST
			}
			return opFarithM
		}))
		defBuild(a.pop, x87Builder(func(in *Inst) Handler {
			in.Aux = n | fauxPop
			return opFarithST
		}))
		defBuild(a.iop, x87Builder(func(in *Inst) Handler {
			in.Aux = n
			return opFiarith
		}))
	}
	defX87(x86asm.FSQRT, opFsqrt)
	defX87(x86asm.FABS, opFabs)
	defX87(x86asm.FCHS, opFchs)
	defX87(x86asm.FRNDINT, opFrndint)
	defX87(x86asm.FSCALE, opFscale)
	defX87(x86asm.FXTRACT, opFxtract)
	defBuild(x86asm.FPREM, x87Builder(func(in *Inst) Handler { return opFprem }))
	defBuild(x86asm.FPREM1, x87Builder(func(in *Inst) Handler {
		in.Aux = 1
		return opFprem
	}))

	// Compares.
	cmps := []struct {
		op  x86asm.Op
		aux uint8
	}{
		{x86asm.FCOM, 0},
		{x86asm.FCOMP, fauxPop},
		{x86asm.FCOMPP, fauxPop2},
		{x86asm.FUCOM, fauxUnord},
		{x86asm.FUCOMP, fauxUnord | fauxPop},
		{x86asm.FUCOMPP, fauxUnord | fauxPop2},
	}
	for _, k := range cmps {
		aux := k.aux
		defBuild(k.op, x87Builder(func(in *Inst) Handler {
			in.Aux = aux
			if !in.memArg() {
				return opFcomST
			}
			if in.A[0].Size == 4 {
				return opFcomM32
			}
			return opFcomM64
		}))
	}
	for _, op := range []x86asm.Op{x86asm.FICOM, x86asm.FICOMP} {
		aux := uint8(0)
		if op == x86asm.FICOMP {
			aux = fauxPop
		}
		defBuild(op, x87Builder(func(in *Inst) Handler {
			in.Aux = aux
			return opFicom
		}))
	}
	comis := []struct {
		op  x86asm.Op
		aux uint8
	}{
		{x86asm.FCOMI, 0},
		{x86asm.FCOMIP, fauxPop},
		{x86asm.FUCOMI, fauxUnord},
		{x86asm.FUCOMIP, fauxUnord | fauxPop},
	}
	for _, k := range comis {
		aux := k.aux
		defBuild(k.op, x87Builder(func(in *Inst) Handler {
			in.Aux = aux
			return opFcomi
		}))
	}
	defX87(x86asm.FTST, opFtst)
	defX87(x86asm.FXAM, opFxam)
	fcmovs := map[x86asm.Op]uint8{
		x86asm.FCMOVB: 2, x86asm.FCMOVNB: 3, x86asm.FCMOVE: 4, x86asm.FCMOVNE: 5,
		x86asm.FCMOVBE: 6, x86asm.FCMOVNBE: 7, x86asm.FCMOVU: 10, x86asm.FCMOVNU: 11,
	}
	for op, cc := range fcmovs {
		defBuild(op, x87Builder(func(in *Inst) Handler {
			in.Aux = cc
			return opFcmov
		}))
	}

	// Control.
	defX87(x86asm.FNINIT, opFninit)
	defX87(x86asm.FNCLEX, opFnclex)
	defX87(x86asm.FLDCW, opFldcw)
	defX87(x86asm.FNSTCW, opFnstcw)
	defX87(x86asm.FNSTSW, opFnstsw)
	defX87(x86asm.FNSTENV, opFnstenv)
	defX87(x86asm.FLDENV, opFldenv)
	defX87(x86asm.FNSAVE, opFnsave)
	defX87(x86asm.FRSTOR, opFrstor)
	defX87(x86asm.FWAIT, opFwait)
	defX87(x86asm.FNOP, opFnop)
	def(x86asm.FXSAVE, opFxsave)
	def(x86asm.FXSAVE64, opFxsave)
	def(x86asm.FXRSTOR, opFxrstor)
	def(x86asm.FXRSTOR64, opFxrstor)

	// Transcendentals (float64 accuracy, see x87_trans.go).
	defX87(x86asm.F2XM1, opF2xm1)
	defX87(x86asm.FYL2X, opFyl2x)
	defX87(x86asm.FYL2XP1, opFyl2xp1)
	defX87(x86asm.FPTAN, opFptan)
	defX87(x86asm.FPATAN, opFpatan)
	defX87(x86asm.FSIN, opFsin)
	defX87(x86asm.FCOS, opFcos)
	defX87(x86asm.FSINCOS, opFsincos)
}
