package x86

import (
	"golang.org/x/arch/x86/x86asm"

	"gemu/internal/mem"
)

// LOCK-prefixed read-modify-writes of memory, and XCHG with memory (always
// locked): atomic with respect to every other guest thread. They run on
// mem.Locked operands: ADD, SUB, INC, DEC and XADD as one host LOCK XADD,
// XCHG as one host XCHG, CMPXCHG/CMPXCHG8B/CMPXCHG16B as one host
// compare-and-swap, and the others (AND, OR, XOR, ADC, SBB, NEG, NOT,
// BTS, BTR, BTC) as a compare-and-swap loop: the result is computed from
// the value read and stored only if the operand still holds it, else
// computed again from the fresh value, so a store another thread makes in
// between is never lost; the flags are those of the attempt that stored.
//
// The locked forms get their handlers at translation time (the builders
// below); the unlocked ones keep theirs and pay nothing for this. A locked
// operand is checked for write access before anything is read, so a
// fault leaves memory, registers and flags as they were.

// lockedMem reports whether in is a LOCK-prefixed instruction with a
// memory destination, which runs a locked handler.
func lockedMem(in *Inst) bool { return in.Lock && in.A[0].Kind == KMem }

// aluLocked is LOCK ADD/OR/ADC/SBB/AND/SUB/XOR with a memory destination.
func aluLocked(c *CPU, in *Inst) {
	size := int(in.A[0].Size)
	b := c.get(in, 1)
	l := c.Mem.LockedAt(c.EA(in), size)
	switch in.Aux {
	case aluAdd:
		c.alu(aluAdd, size, l.Xadd(b), b)
		return
	case aluSub:
		c.alu(aluSub, size, l.Xadd(-b&sizeMask[size]), b)
		return
	}
	saved := c.lazy // ADC and SBB read CF: every attempt starts from it
	a := l.Load()
	for {
		r := c.alu(in.Aux, size, a, b)
		prev := l.CompareAndSwap(a, r)
		if prev == a {
			l.Report(a, r)
			return
		}
		a = prev
		c.lazy = saved
	}
}

// incDecLocked is LOCK INC and LOCK DEC of memory.
func incDecLocked(c *CPU, in *Inst) {
	size := int(in.A[0].Size)
	m := sizeMask[size]
	l := c.Mem.LockedAt(c.EA(in), size)
	cin := uint64(0)
	if c.CF() {
		cin = 1
	}
	if in.Op == x86asm.INC {
		a := l.Xadd(1)
		c.setLazyCarry(flagsInc, size, (a+1)&m, a, 1, cin)
	} else {
		a := l.Xadd(m) // -1 in the operand's width
		c.setLazyCarry(flagsDec, size, (a-1)&m, a, 1, cin)
	}
}

// negNotLocked is LOCK NEG and LOCK NOT of memory.
func negNotLocked(c *CPU, in *Inst) {
	size := int(in.A[0].Size)
	m := sizeMask[size]
	l := c.Mem.LockedAt(c.EA(in), size)
	a := l.Load()
	for {
		r := ^a & m
		if in.Op == x86asm.NEG {
			r = -a & m
		}
		prev := l.CompareAndSwap(a, r)
		if prev == a {
			l.Report(a, r)
			if in.Op == x86asm.NEG {
				c.SetLazy(flagsSub, size, r, 0, a)
			}
			return
		}
		a = prev
	}
}

// bitTestLocked is LOCK BTS/BTR/BTC of memory: the operand-sized unit
// holding the bit is updated by a compare-and-swap loop; CF receives the
// bit as it was when the update landed.
func bitTestLocked(c *CPU, in *Inst) {
	size := int(in.A[0].Size)
	addr, bit := c.bitOperand(in)
	l := c.Mem.LockedAt(addr, size)
	v := l.Load()
	for {
		var r uint64
		switch in.Aux {
		case btSet:
			r = v | bit
		case btReset:
			r = v &^ bit
		default:
			r = v ^ bit
		}
		prev := l.CompareAndSwap(v, r)
		if prev == v {
			l.Report(v, r)
			c.SetCF(v&bit != 0)
			return
		}
		v = prev
	}
}

// xaddLocked is LOCK XADD with a memory destination.
func xaddLocked(c *CPU, in *Inst) {
	size := int(in.A[0].Size)
	s := c.getReg(&in.A[1])
	d := c.Mem.LockedAt(c.EA(in), size).Xadd(s)
	c.setReg(&in.A[1], d)
	c.SetLazy(flagsAdd, size, (d+s)&sizeMask[size], d, s)
}

// cmpxchgLocked is LOCK CMPXCHG with a memory destination. When the
// values differ the hardware writes the destination's value back; the
// failed compare-and-swap writes nothing, which no other thread can tell
// apart, and is reported as that store.
func cmpxchgLocked(c *CPU, in *Inst) {
	size := int(in.A[0].Size)
	m := sizeMask[size]
	acc := c.R[RAX] & m
	src := c.getReg(&in.A[1])
	l := c.Mem.LockedAt(c.EA(in), size)
	d := l.CompareAndSwap(acc, src)
	if d == acc {
		l.Report(d, src)
	} else {
		l.Report(d, d)
		c.setRegN(RAX, size, d)
	}
	c.SetLazy(flagsSub, size, (acc-d)&m, acc, d)
}

// cmpxchg8bLocked is LOCK CMPXCHG8B (and LOCK CMPXCHG16B, its REX.W form,
// which must be 16-byte aligned: #GP otherwise).
func cmpxchg8bLocked(c *CPU, in *Inst) {
	if in.Op == x86asm.CMPXCHG16B {
		addr := c.EA(in)
		if addr&15 != 0 {
			panic(&Trap{Kind: TrapGP})
		}
		lo, hi := c.Mem.CmpXchg16(addr, c.R[RAX], c.R[RDX], c.R[RBX], c.R[RCX])
		if lo == c.R[RAX] && hi == c.R[RDX] {
			c.SetFlags(FlagZF, FlagZF)
			return
		}
		c.R[RAX], c.R[RDX] = lo, hi
		c.SetFlags(0, FlagZF)
		return
	}
	l := c.Mem.LockedAt(c.EA(in), 8)
	old := c.R[RDX]<<32 | c.R[RAX]&0xffffffff
	v := c.R[RCX]<<32 | c.R[RBX]&0xffffffff
	prev := l.CompareAndSwap(old, v)
	if prev == old {
		l.Report(old, v)
		c.SetFlags(FlagZF, FlagZF)
		return
	}
	l.Report(prev, prev)
	c.R[RAX], c.R[RDX] = prev&0xffffffff, prev>>32
	c.SetFlags(0, FlagZF)
}

// xchgMem is XCHG between a register and memory, locked by definition.
func xchgMem(c *CPU, in *Inst) {
	mi, ri := 0, 1
	if in.A[1].Kind == KMem {
		mi, ri = 1, 0
	}
	l := c.Mem.LockedAt(c.EA(in), int(in.A[mi].Size))
	c.setReg(&in.A[ri], l.Swap(c.getReg(&in.A[ri])))
}

// lockedBuilder returns a builder that picks h for the locked memory form
// and leaves the others to the opcode's handler.
func lockedBuilder(h Handler) func(in *Inst) Handler {
	return func(in *Inst) Handler {
		if lockedMem(in) {
			return h
		}
		return nil
	}
}

// opFence is MFENCE, LFENCE or SFENCE: the host's own, in Aux.
func opFence(c *CPU, in *Inst) {
	switch in.Aux {
	case 0:
		mem.MFence()
	case 1:
		mem.LFence()
	default:
		mem.SFence()
	}
}

func init() {
	defBuild(x86asm.INC, lockedBuilder(incDecLocked))
	defBuild(x86asm.DEC, lockedBuilder(incDecLocked))
	defBuild(x86asm.NEG, lockedBuilder(negNotLocked))
	defBuild(x86asm.NOT, lockedBuilder(negNotLocked))
	defBuild(x86asm.XADD, lockedBuilder(xaddLocked))
	defBuild(x86asm.CMPXCHG, lockedBuilder(cmpxchgLocked))
	defBuild(x86asm.CMPXCHG8B, lockedBuilder(cmpxchg8bLocked))
	defBuild(x86asm.CMPXCHG16B, lockedBuilder(cmpxchg8bLocked))
	defBuild(x86asm.XCHG, func(in *Inst) Handler {
		if in.A[0].Kind == KMem || in.A[1].Kind == KMem {
			return xchgMem
		}
		return nil
	})
	for i, op := range []x86asm.Op{x86asm.MFENCE, x86asm.LFENCE, x86asm.SFENCE} {
		def(op, opFence)
		defBuild(op, func(in *Inst) Handler { in.Aux = uint8(i); return nil })
	}
}
