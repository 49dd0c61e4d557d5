package x86

import "golang.org/x/arch/x86/x86asm"

// Control transfer, the stack, and the system call gates. A control
// transfer writes RIP; everything else leaves RIP to the engine.

// CondOf maps a Jcc, SETcc or CMOVcc opcode to its condition code.
var CondOf = map[x86asm.Op]uint8{}

func init() {
	conds := []struct {
		cc            uint8
		jcc, set, mov x86asm.Op
	}{
		{0, x86asm.JO, x86asm.SETO, x86asm.CMOVO},
		{1, x86asm.JNO, x86asm.SETNO, x86asm.CMOVNO},
		{2, x86asm.JB, x86asm.SETB, x86asm.CMOVB},
		{3, x86asm.JAE, x86asm.SETAE, x86asm.CMOVAE},
		{4, x86asm.JE, x86asm.SETE, x86asm.CMOVE},
		{5, x86asm.JNE, x86asm.SETNE, x86asm.CMOVNE},
		{6, x86asm.JBE, x86asm.SETBE, x86asm.CMOVBE},
		{7, x86asm.JA, x86asm.SETA, x86asm.CMOVA},
		{8, x86asm.JS, x86asm.SETS, x86asm.CMOVS},
		{9, x86asm.JNS, x86asm.SETNS, x86asm.CMOVNS},
		{10, x86asm.JP, x86asm.SETP, x86asm.CMOVP},
		{11, x86asm.JNP, x86asm.SETNP, x86asm.CMOVNP},
		{12, x86asm.JL, x86asm.SETL, x86asm.CMOVL},
		{13, x86asm.JGE, x86asm.SETGE, x86asm.CMOVGE},
		{14, x86asm.JLE, x86asm.SETLE, x86asm.CMOVLE},
		{15, x86asm.JG, x86asm.SETG, x86asm.CMOVG},
	}
	for _, k := range conds {
		CondOf[k.jcc], CondOf[k.set], CondOf[k.mov] = k.cc, k.cc, k.cc
		cc := k.cc
		defBuild(k.jcc, func(in *Inst) Handler { in.Aux = cc; return opJcc })
	}
	def(x86asm.JMP, opJmp)
	defBuild(x86asm.JMP, func(in *Inst) Handler {
		if in.A[0].Kind == KImm {
			return opJmpDirect
		}
		return nil
	})
	def(x86asm.CALL, opCall)
	def(x86asm.RET, opRet)
	def(x86asm.JCXZ, opJcxz)
	def(x86asm.JECXZ, opJcxz)
	def(x86asm.JRCXZ, opJcxz)
	def(x86asm.LOOP, opLoop)
	def(x86asm.LOOPE, opLoop)
	def(x86asm.LOOPNE, opLoop)
	def(x86asm.PUSH, opPush)
	def(x86asm.POP, opPop)
	def(x86asm.SYSCALL, opSyscall)
	def(x86asm.SYSENTER, opSysenter)
	def(x86asm.INT, opInt)
	def(x86asm.INTO, opInto)
	def(x86asm.BOUND, opBound)
	def(x86asm.UD1, opUndefined)
	def(x86asm.UD2, opUndefined)
	def(x86asm.HLT, opHlt)
}

func opJcc(c *CPU, in *Inst) {
	if c.Cond(in.Aux) {
		c.RIP = in.Imm
	} else {
		c.RIP = in.Next
	}
}

func opJmpDirect(c *CPU, in *Inst) { c.RIP = in.Imm }

func opJmp(c *CPU, in *Inst) {
	c.RIP = c.get(in, 0) & c.AddrMask
}

// stackSize is the push/pop width of a near branch in this mode.
func (c *CPU) stackSize(in *Inst) int {
	if c.Mode == 64 {
		if in.OSize == 2 {
			return 2
		}
		return 8
	}
	return int(in.OSize)
}

func opCall(c *CPU, in *Inst) {
	var t uint64
	if in.A[0].Kind == KImm {
		t = in.Imm
	} else {
		t = c.get(in, 0)
	}
	c.push(in.Next, c.stackSize(in))
	c.RIP = t & c.AddrMask
}

func opRet(c *CPU, in *Inst) {
	n := c.stackSize(in)
	t := c.pop(n)
	if in.NArgs > 0 {
		c.setRegN(RSP, c.Mode/8, (c.R[RSP]+in.Imm&0xffff)&c.AddrMask)
	}
	c.RIP = t
}

// counter returns the count register as the address size sees it.
func (c *CPU) counter(in *Inst) uint64 { return c.R[RCX] & sizeMask[in.ASize] }

func opJcxz(c *CPU, in *Inst) {
	if c.counter(in) == 0 {
		c.RIP = in.Imm
	} else {
		c.RIP = in.Next
	}
}

func opLoop(c *CPU, in *Inst) {
	n := (c.counter(in) - 1) & sizeMask[in.ASize]
	c.setRegN(RCX, int(in.ASize), n)
	take := n != 0
	switch in.Op {
	case x86asm.LOOPE:
		take = take && c.ZF()
	case x86asm.LOOPNE:
		take = take && !c.ZF()
	}
	if take {
		c.RIP = in.Imm
	} else {
		c.RIP = in.Next
	}
}

func (c *CPU) pushSize(in *Inst) int {
	if c.Mode == 64 && in.OSize != 2 {
		return 8
	}
	return int(in.OSize)
}

func opPush(c *CPU, in *Inst) {
	o := &in.A[0]
	n := c.pushSize(in)
	var v uint64
	switch o.Kind {
	case KImm:
		v = in.Imm
	case KSeg:
		v = uint64(c.Seg[o.Reg])
	default:
		v = c.get(in, 0)
	}
	c.push(v, n)
}

func opPop(c *CPU, in *Inst) {
	o := &in.A[0]
	n := c.pushSize(in)
	sp := c.R[RSP] & c.AddrMask
	v := c.Mem.LoadN(sp, n)
	switch o.Kind {
	case KSeg:
		c.LoadSeg(int(o.Reg), uint16(v))
		c.setRegN(RSP, c.Mode/8, (sp+uint64(n))&c.AddrMask)
	case KMem:
		// The address is computed with the incremented stack pointer.
		old := c.R[RSP]
		c.setRegN(RSP, c.Mode/8, (sp+uint64(n))&c.AddrMask)
		func() {
			defer func() {
				if r := recover(); r != nil {
					c.R[RSP] = old
					panic(r)
				}
			}()
			c.Mem.StoreN(c.EA(in), n, v)
		}()
	default:
		c.setRegN(RSP, c.Mode/8, (sp+uint64(n))&c.AddrMask)
		c.setReg(o, v)
	}
}

func opSyscall(c *CPU, in *Inst) {
	if c.Priv != nil {
		c.sysSyscall(in)
		return
	}
	if c.Mode != 64 {
		panic(&Trap{Kind: TrapInvalidOp})
	}
	c.RIP = in.Next
	// The hardware's effects: RCX = return address, R11 = RFLAGS.
	c.R[RCX] = in.Next
	c.R[R11] = c.Flags()
	c.Sys.Syscall(c, GateSyscall)
}

func opSysenter(c *CPU, in *Inst) {
	if c.Priv != nil {
		c.sysSysenter(in)
		return
	}
	if c.Mode != 32 {
		panic(&Trap{Kind: TrapInvalidOp})
	}
	c.RIP = in.Next
	c.Sys.Syscall(c, GateSysenter)
}

func opInt(c *CPU, in *Inst) {
	if c.Priv != nil {
		c.sysInt(in)
		return
	}
	v := int(in.Imm & 0xff)
	if in.Raw != nil && in.Raw.Opcode>>24 == 0xcc {
		// int3: the trap reports the address after it, like hardware.
		c.RIP = in.Next
		panic(&Trap{Kind: TrapBreakpoint})
	}
	if v == 0x80 { // from 64-bit code too: the i386 system calls (IA-32 emulation)
		c.RIP = in.Next
		c.Sys.Syscall(c, GateInt80)
		return
	}
	if v == 3 {
		c.RIP = in.Next
		panic(&Trap{Kind: TrapBreakpoint})
	}
	if v == 4 {
		// Linux's overflow gate is open to user mode, like int3's: int $4
		// raises #OF (after the instruction), as INTO does on overflow.
		c.RIP = in.Next
		panic(&Trap{Kind: TrapOverflow})
	}
	// Any other vector is a general protection fault in user mode.
	panic(&Trap{Kind: TrapInt, Code: v})
}

func opInto(c *CPU, in *Inst) {
	if c.Mode == 64 {
		panic(&Trap{Kind: TrapInvalidOp})
	}
	if c.OF() {
		if c.Priv != nil {
			c.softInt(in, vecOF, true)
			return
		}
		c.RIP = in.Next
		panic(&Trap{Kind: TrapOverflow})
	}
	c.RIP = in.Next
}

// opBound is BOUND (not in 64-bit mode, where its opcode is EVEX): the
// signed index in the register operand must lie within the signed lower
// and upper bounds stored at the memory operand, each of the operand
// size; otherwise #BR.
func opBound(c *CPU, in *Inst) {
	if c.Mode == 64 || in.A[1].Kind != KMem {
		panic(&Trap{Kind: TrapInvalidOp})
	}
	a := c.EA(in)
	var idx, lo, hi int64
	if in.OSize == 2 {
		idx = int64(int16(c.getReg(&in.A[0])))
		lo = int64(int16(c.Mem.Load16(a)))
		hi = int64(int16(c.Mem.Load16((a + 2) & c.AddrMask)))
	} else {
		idx = int64(int32(c.getReg(&in.A[0])))
		lo = int64(int32(c.Mem.Load32(a)))
		hi = int64(int32(c.Mem.Load32((a + 4) & c.AddrMask)))
	}
	if idx < lo || idx > hi {
		panic(&Trap{Kind: TrapBound})
	}
}

func opPrivileged(c *CPU, in *Inst) { panic(&Trap{Kind: TrapGP}) }
