package engine

import (
	"bytes"
	"fmt"
	"strings"

	"golang.org/x/arch/x86/x86asm"

	"gemu/internal/ccall"
	"gemu/internal/mem"
	"gemu/internal/x86"
)

// translate decodes the guest code at pc into a new block, asking the
// instrumenter which hooks to place.
func (e *Engine) translate(pc uint64) *Block {
	limit := maxBlockInsts
	if e.opts.OneInsnPerTB {
		limit = 1
	}
	return e.translateN(pc, limit)
}

// translateN translates a block of at most limit guest instructions.
//
// The block's pages are marked as code (MarkCode) once it is decoded, and
// only stores after that are reported (OnCodeWrite): a store another
// thread made between the fetch and the mark would go unseen, the block
// keeping code that is no longer there. So the bytes are fetched again
// after the mark, and if they changed the block is translated again (up
// to twice; a store after the mark invalidates it as usual).
func (e *Engine) translateN(pc uint64, limit int) *Block {
	for try := 0; ; try++ {
		b := e.translateOnce(pc, limit)
		if try == 2 || e.codeUnchanged(pc) {
			return b
		}
	}
}

// codeUnchanged reports whether the guest bytes at pc are still those the
// last translation decoded (e.code).
func (e *Engine) codeUnchanged(pc uint64) bool {
	if cap(e.check) < len(e.code) {
		e.check = make([]byte, len(e.code))
	}
	got := e.check[:len(e.code)]
	return e.cpu.Mem.Fetch(pc, got) == len(got) && bytes.Equal(got, e.code)
}

// translateOnce is translateN without the check, recording in e.code the
// bytes of the instructions it decoded.
func (e *Engine) translateOnce(pc uint64, limit int) *Block {
	e.Translated++
	code := e.code[:0]
	c := e.cpu
	b := &Block{PC: pc, valid: true, pages: [2]uint64{pc >> mem.PageShift, ^uint64(0)}}
	insts := make([]x86.Inst, 0, 16)
	if e.opts.LogExec || e.opts.LogCPU {
		insts = append(insts, e.logInst(pc))
	}
	// place appends the hooks a DirectInstrumenter hands over for the
	// instruction (or block start) at hookAt. It is made only for one, so
	// that an uninstrumented translation allocates no closure.
	direct, _ := e.instr.(DirectInstrumenter)
	var hookAt uint64
	var place func(PlacedHook)
	if direct != nil {
		place = func(p PlacedHook) {
			var in x86.Inst
			switch {
			case p.C != nil:
				in = cHookInst(hookAt, p.C)
			case p.Go != nil:
				in = hookInst(hookAt, p.Go)
			default:
				return
			}
			if p.NoRegs {
				in.Aux = x86.AuxNoRegs
			}
			insts = append(insts, in)
		}
	}
	if direct != nil {
		hookAt = pc
		direct.PlaceBlockHooks(c, pc, place)
	} else if e.instr != nil {
		if h := e.instr.BlockHook(c, pc); h != nil {
			insts = append(insts, hookInst(pc, h))
		}
	}
	var asm strings.Builder
	var buf [x86.MaxInstLen]byte
	addr := pc
	shadow := false
	for b.Guest < limit || shadow {
		n := c.Mem.Fetch(addr, buf[:])
		if n == 0 {
			if b.Guest > 0 {
				break
			}
			// The block starts on unexecutable memory: fault when run.
			insts = append(insts, e.fetchFault(addr, addr))
			addr++
			b.Guest++
			break
		}
		in, err := x86.Decode(c.Mode, addr, buf[:n])
		if err != nil && n < x86.MaxInstLen {
			if full, ok := cutShort(c.Mode, addr, buf[:n]); ok {
				// The instruction runs into unexecutable memory: fetching
				// it faults there, when (and only if) it is reached.
				if b.Guest > 0 {
					break
				}
				insts = append(insts, e.fetchFault(addr, addr+uint64(n)))
				b.Guest++
				addr += uint64(full)
				break
			}
		}
		if err != nil && e.opts.LogUnimp {
			fmt.Fprintf(e.opts.Log, "gemu: %v\n", err)
		}
		if e.instr != nil {
			if direct != nil {
				hookAt = addr
				direct.PlaceInsnHooks(c, addr, place)
			} else if h := e.instr.InsnHook(c, addr); h != nil {
				insts = append(insts, hookInst(addr, h))
			}
			if t := e.instr.MemHook(c, addr); t != nil {
				in = traced(in, t)
			}
		}
		if e.sys != nil && !c.FPUAvailable() {
			// CR0.TS or EM: x87, MMX and SSE instructions fault; the
			// block is keyed by that state (sysKey.noFPU).
			c.GuardFPU(&in)
		}
		if isSyscall(&in) {
			in = leaving(in)
		}
		if e.opts.LogInAsm {
			fmt.Fprintf(&asm, "0x%08x:  %s\n", addr, in.String())
		}
		in.Guest = true
		insts = append(insts, in)
		code = append(code, buf[:in.Len]...)
		b.Guest++
		last := addr + uint64(in.Len) - 1
		if lp := last >> mem.PageShift; lp != b.pages[0] {
			b.pages[1] = lp
		}
		addr += uint64(in.Len)
		// In system mode the instruction after STI or a load of SS runs
		// before the interrupt check between blocks (the interrupt
		// shadow: Linux's "sti; hlt"), so a block does not end right
		// after one for its size or a page boundary.
		shadow = e.sys != nil && limit > 1 && (in.Op == x86asm.STI || loadsSS(&in))
		if in.IsBranch() || !shadow && addr>>mem.PageShift != pc>>mem.PageShift {
			break
		}
		if e.sys != nil && endsSysBlock(&in) {
			break
		}
	}
	b.End = addr
	if last := &insts[len(insts)-1]; !last.IsBranch() || last.Call != nil {
		insts = append(insts, jumpTo(addr))
	}
	if e.opts.CountInsns {
		n := uint64(0)
		for i := range insts {
			if insts[i].Guest {
				n++
			}
		}
		insts = append([]x86.Inst{countInsts(pc, n)}, insts...)
	}
	x86.PruneFlags(insts)
	insts = x86.FuseBranches(insts)
	b.Insts = insts
	b.n = len(insts)
	e.code = code
	for _, p := range b.pages {
		if p != ^uint64(0) {
			c.Mem.MarkCode(p << mem.PageShift)
		}
	}
	if e.sys != nil {
		e.physPages(b)
	}
	if e.opts.LogInAsm {
		fmt.Fprintf(e.opts.Log, "----------------\nIN: \n%s\n", asm.String())
	}
	return b
}

// cutShort reports whether code, cut short by the end of executable
// memory, starts a longer valid instruction, and that instruction's length.
func cutShort(mode int, pc uint64, code []byte) (int, bool) {
	var probe [x86.MaxInstLen]byte
	copy(probe[:], code)
	full, err := x86.Decode(mode, pc, probe[:])
	return int(full.Len), err == nil && int(full.Len) > len(code)
}

// hookInst is a pseudo-instruction that calls h with RIP set to pc.
func hookInst(pc uint64, h Hook) x86.Inst {
	return x86.Inst{
		PC:   pc,
		Next: pc,
		Base: -1, Index: -1, Seg: -1,
		Call: h,
		Fn: func(c *x86.CPU, in *x86.Inst) {
			c.RIP = in.PC
			in.Call(c, in.PC)
		},
	}
}

// cHookInst is a pseudo-instruction that calls the C hook f with pc as
// its third argument, RIP set to pc: the C call is the pseudo-instruction
// itself (Call, for those that look at it, makes the same call).
func cHookInst(pc uint64, f *ccall.Func) x86.Inst {
	fn, sp, a0, a1 := f.Fn, f.SP, f.A0, f.A1
	return x86.Inst{
		PC:   pc,
		Next: pc,
		Base: -1, Index: -1, Seg: -1,
		Call: func(c *x86.CPU, pc uint64) { ccall.Call3(fn, sp, a0, a1, uintptr(pc)) },
		Fn: func(c *x86.CPU, in *x86.Inst) {
			c.RIP = in.PC
			ccall.Call3(fn, sp, a0, a1, uintptr(in.PC))
		},
	}
}

// jumpTo ends a block that stops without a branch.
func jumpTo(pc uint64) x86.Inst {
	return x86.Inst{
		PC: pc, Next: pc, Imm: pc, Base: -1, Index: -1, Seg: -1,
		Fn: func(c *x86.CPU, in *x86.Inst) { c.RIP = in.Imm },
	}
}

// fetchFault raises the page fault of executing unfetchable code at addr,
// the first guest instruction of its block (pc). The block stays cached,
// so the page may have become executable since it was translated (a
// SIGSEGV handler that calls mprotect or mmap and returns to retry the
// jump); then the block is dropped instead and the code at pc is
// translated afresh. The address space cannot report that change itself:
// a page without execute permission holds no translated code to drop.
func (e *Engine) fetchFault(pc, addr uint64) x86.Inst {
	return x86.Inst{
		PC: pc, Next: pc, Imm: addr, Base: -1, Index: -1, Seg: -1,
		Fn: func(c *x86.CPU, in *x86.Inst) {
			if e.sys != nil {
				// Raises the page fault; if the code became fetchable
				// since, translates afresh.
				if f := e.sys.mem.FetchFault(in.Imm); f != nil {
					panic(f)
				}
				e.invalidateBlockAt(in.PC)
				return
			}
			perm, mapped := c.Mem.PermAt(in.Imm)
			if mapped && perm&mem.Exec != 0 && in.Imm < c.Mem.Limit {
				e.invalidatePage(in.PC, true) // stops the block with RIP = pc
				return
			}
			panic(&mem.Fault{Addr: in.Imm, Access: mem.AccExec, Unmapped: !mapped})
		},
	}
}

// leaving wraps a system call instruction so that the CPU's memory view
// is left while the OS layer serves the call, which may wait for other
// threads (futexes, the emulator lock) or change the address space in
// exclusive sections that must not wait for this CPU.
func leaving(in x86.Inst) x86.Inst {
	inner := in.Fn
	in.Fn = func(c *x86.CPU, in *x86.Inst) {
		c.Mem.Leave()
		defer c.Mem.Enter()
		inner(c, in)
	}
	return in
}

// traced wraps an instruction so that its memory accesses are reported.
func traced(in x86.Inst, t mem.Tracer) x86.Inst {
	inner := in.Fn
	in.Fn = func(c *x86.CPU, in *x86.Inst) {
		c.Mem.SetTracer(t)
		defer c.Mem.SetTracer(nil)
		inner(c, in)
	}
	return in
}

func (e *Engine) logInst(pc uint64) x86.Inst {
	return x86.Inst{
		PC: pc, Next: pc, Base: -1, Index: -1, Seg: -1,
		Call: func(c *x86.CPU, pc uint64) {},
		Fn: func(c *x86.CPU, in *x86.Inst) {
			c.RIP = in.PC
			if e.opts.LogExec {
				fmt.Fprintf(e.opts.Log, "Trace 0: %p [%016x]\n", e.cur, in.PC)
			}
			if e.opts.LogCPU {
				fmt.Fprint(e.opts.Log, DumpCPU(c))
			}
		},
	}
}

// DumpCPU formats the registers like QEMU's -d cpu.
func DumpCPU(c *x86.CPU) string {
	var s strings.Builder
	if c.ProcMode == 64 {
		names := []string{"RAX", "RBX", "RCX", "RDX", "RSI", "RDI", "RBP", "RSP", "R8", "R9", "R10", "R11", "R12", "R13", "R14", "R15"}
		order := []int{0, 3, 1, 2, 6, 7, 5, 4, 8, 9, 10, 11, 12, 13, 14, 15}
		for i, r := range order {
			fmt.Fprintf(&s, "%-3s=%016x", names[i], c.R[r])
			if i%4 == 3 {
				s.WriteByte('\n')
			} else {
				s.WriteByte(' ')
			}
		}
		fmt.Fprintf(&s, "RIP=%016x RFL=%08x FS=%016x GS=%016x\n", c.RIP, c.Flags(), c.SegBase[x86.FS], c.SegBase[x86.GS])
		return s.String()
	}
	fmt.Fprintf(&s, "EAX=%08x EBX=%08x ECX=%08x EDX=%08x\nESI=%08x EDI=%08x EBP=%08x ESP=%08x\nEIP=%08x EFL=%08x GS=%04x base %08x\n",
		uint32(c.R[0]), uint32(c.R[3]), uint32(c.R[1]), uint32(c.R[2]), uint32(c.R[6]), uint32(c.R[7]),
		uint32(c.R[5]), uint32(c.R[4]), uint32(c.RIP), uint32(c.Flags()), c.Seg[x86.GS], uint32(c.SegBase[x86.GS]))
	return s.String()
}

// countInsts is the block-entry pseudo-instruction that adds the block's
// guest instruction count to CPU.Icount.
func countInsts(pc, n uint64) x86.Inst {
	return x86.Inst{
		PC: pc, Next: pc, Imm: n, Base: -1, Index: -1, Seg: -1,
		Fn: func(c *x86.CPU, in *x86.Inst) { c.Icount += in.Imm },
	}
}
