package x86

import (
	"fmt"

	"golang.org/x/arch/x86/x86asm"
)

// Operand kinds.
const (
	KNone uint8 = iota
	KReg        // general register R[Reg] (Hi: AH, CH, DH, BH)
	KMem        // memory at the instruction's effective address
	KImm        // Inst.Imm
	KXMM        // XMM register Reg
	KST         // x87 register ST(Reg)
	KSeg        // segment register Reg
	KMMX        // MMX register Reg
)

// Operand is one pre-decoded instruction operand.
type Operand struct {
	Kind uint8
	Size uint8 // bytes
	Reg  uint8
	Hi   bool // high byte register (AH..BH)
}

// Handler executes one pre-decoded instruction. It raises CPU exceptions by
// panicking with a *Trap (or a *mem.Fault from memory accesses).
type Handler func(c *CPU, in *Inst)

// Inst is one guest instruction, decoded once at translation time.
type Inst struct {
	Fn   Handler
	PC   uint64
	Next uint64 // address of the following instruction
	Imm  uint64 // immediate, sign-extended; branch target for relative branches

	// Memory operand: Seg:[Base + Index<<Scale + Disp], truncated to ASize.
	Disp  uint64
	Base  int8 // -1 if none
	Index int8 // -1 if none
	Scale uint8
	Seg   int8 // segment whose base applies (FS, GS, an explicit prefix), or -1

	ASize uint8 // address size in bytes (2, 4, 8)
	OSize uint8 // operand size in bytes (2, 4, 8)
	Rep   uint8 // RepNone, RepE, RepNE
	Aux   uint8 // handler-specific: condition code, sub-operation...
	Len   uint8
	Lock  bool
	NArgs uint8
	// Guest marks a guest instruction, as opposed to an engine
	// pseudo-instruction (hooks, logging, block exits).
	Guest bool
	// Fused marks a guest instruction that also performs the conditional
	// branch after it (see FuseBranches): it counts as two.
	Fused bool
	// CC is the condition code of a fused branch.
	CC uint8

	A [3]Operand // Intel order: destination first

	Op  x86asm.Op
	Raw *x86asm.Inst // the decoder's view, for disassembly and rare ops

	// Call is the callback of an engine pseudo-instruction (instrumentation
	// hooks, logging); nil for guest instructions.
	Call func(c *CPU, pc uint64)
}

// Rep prefix kinds.
const (
	RepNone uint8 = iota
	RepE
	RepNE
)

// EA computes the effective (linear) address of the memory operand.
func (c *CPU) EA(in *Inst) uint64 {
	a := in.Disp
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

// IsBranch reports whether the instruction may transfer control, which
// ends a translation block.
func (in *Inst) IsBranch() bool { return int(in.Op) < len(endsBlock) && endsBlock[in.Op] }

// String disassembles the instruction in GNU syntax.
func (in *Inst) String() string {
	if in.Raw == nil {
		return "(bad)"
	}
	if in.Raw.Op == 0 {
		return "nop (hint)"
	}
	return x86asm.GNUSyntax(*in.Raw, in.PC, nil)
}

// numOps bounds the handler table: every non-AVX opcode x86asm knows.
const numOps = int(x86asm.XTEST) + 1

// handlers maps decoder opcodes to their semantics. Files that implement
// instruction families fill it from init functions with def.
var handlers [numOps]Handler

// builders, when set for an opcode, choose a specialized handler for the
// instruction's operands at translation time (e.g. register-register forms).
// A builder returning nil falls back to handlers.
var builders [numOps]func(in *Inst) Handler

var endsBlock [numOps + 1]bool

func def(op x86asm.Op, h Handler) {
	if handlers[op] != nil {
		panic(fmt.Sprintf("x86: handler for %v defined twice", op))
	}
	handlers[op] = h
}

func defBuild(op x86asm.Op, b func(in *Inst) Handler) {
	builders[op] = b
}

func init() {
	for _, op := range []x86asm.Op{
		x86asm.JMP, x86asm.LJMP, x86asm.CALL, x86asm.LCALL, x86asm.RET, x86asm.LRET,
		x86asm.JA, x86asm.JAE, x86asm.JB, x86asm.JBE, x86asm.JE, x86asm.JNE,
		x86asm.JG, x86asm.JGE, x86asm.JL, x86asm.JLE, x86asm.JO, x86asm.JNO,
		x86asm.JP, x86asm.JNP, x86asm.JS, x86asm.JNS, x86asm.JCXZ, x86asm.JECXZ,
		x86asm.JRCXZ, x86asm.LOOP, x86asm.LOOPE, x86asm.LOOPNE,
		x86asm.SYSCALL, x86asm.SYSENTER, x86asm.SYSEXIT, x86asm.SYSRET,
		x86asm.INT, x86asm.INTO, x86asm.IRET, x86asm.IRETD, x86asm.IRETQ,
		x86asm.UD1, x86asm.UD2, x86asm.HLT,
	} {
		endsBlock[op] = true
	}
}

// MaxInstLen is the longest legal x86 instruction.
const MaxInstLen = 15

// Decode pre-decodes the instruction at pc whose bytes start code (up to
// MaxInstLen bytes; fewer if the rest is not executable). An undecodable
// instruction still yields an Inst, whose handler raises #UD when executed,
// so that the fault happens only if it is reached. The error is non-nil
// in that case and says why, for -d unimp.
func Decode(mode int, pc uint64, code []byte) (Inst, error) {
	if v, ok := parseVEX(code, mode); ok {
		return decodeVEX(mode, pc, code, v)
	}
	in := Inst{PC: pc, Base: -1, Index: -1, Seg: -1}
	raw, err := x86asm.Decode(code, mode)
	if err != nil || raw.Op == 0 {
		// x86asm rejects most of the reserved-NOP space (ENDBR64 among
		// it) with an error, and returns Op 0 for some of the rest.
		if n, ok := hintNop(code, mode); ok {
			raw.Len = n
			in.Len = uint8(n)
			in.Next = pc + uint64(n)
			in.Raw = &raw
			in.Fn = func(*CPU, *Inst) {}
			in.Op = x86asm.NOP
			return in, nil
		}
		if err == nil {
			err = fmt.Errorf("undecodable")
		}
	}
	if err != nil {
		in.Len = 1
		in.Next = pc + 1
		in.Fn = opUndefined
		return in, fmt.Errorf("invalid instruction at %#x: % x: %v", pc, code[:min(len(code), 8)], err)
	}
	in.Raw = &raw
	in.Op = raw.Op
	in.Len = uint8(raw.Len)
	in.Next = pc + uint64(raw.Len)
	in.OSize = uint8(raw.DataSize / 8)
	in.ASize = uint8(raw.AddrSize / 8)
	if in.ASize == 0 {
		in.ASize = uint8(mode / 8)
	}
	if in.OSize == 0 {
		in.OSize = 4
	}
	for _, p := range raw.Prefix {
		if p == 0 {
			break
		}
		if p&x86asm.PrefixInvalid != 0 && p&0xff == x86asm.PrefixLOCK {
			// LOCK on an instruction that is not a locked
			// read-modify-write of memory: #UD when executed.
			in.Fn = opUndefined
			return in, fmt.Errorf("invalid LOCK prefix at %#x: % x", pc, code[:min(len(code), 8)])
		}
		if p&x86asm.PrefixIgnored != 0 {
			continue
		}
		switch p &^ x86asm.PrefixImplicit {
		case x86asm.PrefixREP:
			in.Rep = RepE
		case x86asm.PrefixREPN:
			in.Rep = RepNE
		case x86asm.PrefixLOCK:
			in.Lock = true
		}
	}
	for i, a := range raw.Args {
		if a == nil {
			break
		}
		if i >= len(in.A) {
			break
		}
		in.NArgs = uint8(i + 1)
		if err := in.setArg(i, a, &raw, mode); err != nil {
			in.Fn = opUndefined
			return in, err
		}
	}
	// x86asm also decodes EVEX (AVX-512) instructions, whose opcodes lie
	// beyond the tables: they stay unimplemented.
	if int(raw.Op) < numOps {
		if b := builders[raw.Op]; b != nil {
			in.Fn = b(&in)
		}
		if in.Fn == nil {
			in.Fn = handlers[raw.Op]
		}
	}
	if in.Fn == nil {
		in.Fn = opUnimplemented
		return in, fmt.Errorf("unimplemented instruction at %#x: %s", pc, in.String())
	}
	return in, nil
}

// hintNop recognizes the reserved-NOP space 0F 18..0F 1F (ENDBR32/64 live
// there) that the decoder does not know, returning its length.
func hintNop(code []byte, mode int) (int, bool) {
	i := 0
	for i < len(code) && i < MaxInstLen {
		b := code[i]
		if b == 0x66 || b == 0xf2 || b == 0xf3 || b == 0x2e || b == 0x3e || b == 0x26 ||
			b == 0x36 || b == 0x64 || b == 0x65 || b == 0x67 || (mode == 64 && b&0xf0 == 0x40) {
			i++
			continue
		}
		break
	}
	if i+2 >= len(code) || code[i] != 0x0f || code[i+1] < 0x18 || code[i+1] > 0x1f {
		return 0, false
	}
	// Reuse the decoder for the ModRM length with a plain NOP Ev opcode
	// (0F 1F /0: the reg field is cleared, as x86asm knows only /0).
	probe := append([]byte{0x0f, 0x1f}, code[i+2:]...)
	probe[2] &^= 0x38 // NOP Ev wants /0
	raw, err := x86asm.Decode(probe, mode)
	if err != nil {
		return 0, false
	}
	return i + raw.Len, true
}

func regSize(r x86asm.Reg) (idx uint8, size uint8, hi bool, ok bool) {
	switch {
	case r >= x86asm.AL && r <= x86asm.BL:
		return uint8(r - x86asm.AL), 1, false, true
	case r >= x86asm.AH && r <= x86asm.BH:
		return uint8(r - x86asm.AH), 1, true, true
	case r >= x86asm.SPB && r <= x86asm.R15B:
		return uint8(r-x86asm.SPB) + 4, 1, false, true
	case r >= x86asm.AX && r <= x86asm.R15W:
		return uint8(r - x86asm.AX), 2, false, true
	case r >= x86asm.EAX && r <= x86asm.R15L:
		return uint8(r - x86asm.EAX), 4, false, true
	case r >= x86asm.RAX && r <= x86asm.R15:
		return uint8(r - x86asm.RAX), 8, false, true
	}
	return 0, 0, false, false
}

// gpr returns the 64-bit register index of a general register, or -1.
func gpr(r x86asm.Reg) int8 {
	if r == 0 {
		return -1
	}
	idx, _, hi, ok := regSize(r)
	if !ok || hi {
		return -1
	}
	return int8(idx)
}

func (in *Inst) setArg(i int, a x86asm.Arg, raw *x86asm.Inst, mode int) error {
	op := &in.A[i]
	switch a := a.(type) {
	case x86asm.Reg:
		if idx, size, hi, ok := regSize(a); ok {
			*op = Operand{Kind: KReg, Size: size, Reg: idx, Hi: hi}
			return nil
		}
		switch {
		case a >= x86asm.X0 && a <= x86asm.X15:
			*op = Operand{Kind: KXMM, Size: 16, Reg: uint8(a - x86asm.X0)}
		case a >= x86asm.F0 && a <= x86asm.F7:
			*op = Operand{Kind: KST, Size: 10, Reg: uint8(a - x86asm.F0)}
		case a >= x86asm.M0 && a <= x86asm.M7:
			*op = Operand{Kind: KMMX, Size: 8, Reg: uint8(a - x86asm.M0)}
		case a >= x86asm.ES && a <= x86asm.GS:
			*op = Operand{Kind: KSeg, Size: 2, Reg: uint8(a - x86asm.ES)}
		case a >= x86asm.CR0 && a <= x86asm.CR15:
			*op = Operand{Kind: KCR, Size: 8, Reg: uint8(a - x86asm.CR0)}
		case a >= x86asm.DR0 && a <= x86asm.DR15:
			*op = Operand{Kind: KDR, Size: 8, Reg: uint8(a - x86asm.DR0)}
		default:
			return fmt.Errorf("unsupported register %v in %v", a, raw.Op)
		}
	case x86asm.Mem:
		*op = Operand{Kind: KMem, Size: uint8(raw.MemBytes)}
		if op.Size == 0 {
			op.Size = in.OSize
		}
		in.Disp = uint64(a.Disp)
		if op := raw.Opcode >> 24; mode == 64 && (op < 0xa0 || op > 0xa3) {
			// x86asm returns a ModRM disp32 zero-extended; the CPU
			// sign-extends it to 64 bits. (The A0-A3 moffs forms
			// carry a full 64-bit address and are left alone.)
			in.Disp = uint64(int64(int32(a.Disp)))
		}
		switch {
		case a.Base == x86asm.RIP || a.Base == x86asm.EIP:
			in.Disp += in.Next
			if a.Base == x86asm.EIP {
				in.Disp &= 0xffffffff
			}
		case a.Base != 0:
			if in.Base = gpr(a.Base); in.Base < 0 {
				return fmt.Errorf("unsupported base %v", a.Base)
			}
		}
		if a.Index != 0 {
			if in.Index = gpr(a.Index); in.Index < 0 {
				return fmt.Errorf("unsupported index %v", a.Index)
			}
			switch a.Scale {
			case 2:
				in.Scale = 1
			case 4:
				in.Scale = 2
			case 8:
				in.Scale = 3
			}
		}
		switch a.Segment {
		case x86asm.FS:
			in.Seg = FS
		case x86asm.GS:
			in.Seg = GS
		case x86asm.ES, x86asm.CS, x86asm.SS, x86asm.DS:
			// In 32-bit code an explicit prefix applies its segment's
			// base (an LDT or TLS descriptor's); 64-bit mode has none.
			if mode == 32 {
				in.Seg = int8(a.Segment - x86asm.ES)
			}
		}
	case x86asm.Imm:
		*op = Operand{Kind: KImm, Size: in.OSize}
		if i > 0 && in.A[0].Size != 0 && in.A[0].Size <= 8 {
			op.Size = in.A[0].Size
		}
		in.Imm = uint64(a)
	case x86asm.Rel:
		*op = Operand{Kind: KImm, Size: in.OSize}
		t := in.Next + uint64(int64(a))
		if in.OSize == 2 {
			t &= 0xffff
		} else if mode == 32 {
			t &= 0xffffffff
		}
		in.Imm = t
	default:
		return fmt.Errorf("unsupported operand %v", a)
	}
	return nil
}

func opUndefined(c *CPU, in *Inst) {
	panic(&Trap{Kind: TrapInvalidOp})
}

func opUnimplemented(c *CPU, in *Inst) {
	panic(&Trap{Kind: TrapInvalidOp, Code: 1})
}
