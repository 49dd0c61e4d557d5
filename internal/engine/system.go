package engine

import (
	"golang.org/x/arch/x86/x86asm"

	"gemu/internal/mem"
	"gemu/internal/x86"
)

// System mode (gemu-system): the engine runs a whole machine's code, kernel
// and processes, under the guest's own page tables. What changes against
// user mode:
//
//   - Blocks are keyed by their virtual PC, the physical address it
//     translates to, the CPU mode and whether they were fetched at CPL 3:
//     the same virtual address holds other code in another address space,
//     and the same code may be mapped at several addresses (its relative
//     branches are resolved for one). A block's pages are physical, so a
//     store through any mapping of its code drops it.
//   - The jump cache and the chains hold only translations valid under the
//     current page tables: every change of them the CPU makes (CR3 load,
//     INVLPG, paging mode) calls TLBChanged, which empties the jump caches
//     and makes every chain stale at once (a generation number), so that
//     the next lookup translates the PC again. Chains never cross a change
//     of privilege level either.
//   - A block whose first instruction cannot be fetched is never cached:
//     it raises the page fault, the kernel maps the page, and the retried
//     fetch translates afresh.
//   - The loop leaves between blocks when an interrupt is pending and IF
//     allows it (System.IRQ), so that the board delivers it.

// SysMem is what the engine needs of a system-mode memory view (mem.View
// over guest-physical memory).
type SysMem interface {
	// CodePage returns the physical address that va translates to for an
	// instruction fetch at the current privilege level, or false if the
	// fetch would fault.
	CodePage(va uint64) (pa uint64, ok bool)
	// FetchFault returns the fault an instruction fetch at va takes, or
	// nil if it succeeds.
	FetchFault(va uint64) *mem.Fault
}

// sysEngine is the engine's system-mode state.
type sysEngine struct {
	mem SysMem
	// gen counts the changes of the page tables the CPU made; a chain
	// made under an older generation is not followed.
	gen uint64
	// jc holds the jump caches of supervisor (0) and user (1) code.
	jc     [2][1 << jmpCacheBits]*Block
	blocks map[sysKey]*Block
}

// sysKey identifies a system-mode block.
type sysKey struct {
	pc, pa uint64
	mode   int8
	user   bool
	// noFPU: translated while CR0.TS or EM made x87, MMX and SSE
	// instructions fault (x86.CPU.GuardFPU).
	noFPU bool
}

// TLBChanged tells the engine that the CPU changed its address translation
// (a CR3 load, INVLPG, a paging mode change) or something else blocks are
// keyed by (CR0.TS, EM, MP): cached code lookups must be redone. It must be called on the engine's goroutine (the CPU's
// instructions call it through the MMU control the board wraps).
func (e *Engine) TLBChanged() {
	if e.sys == nil {
		return
	}
	e.sys.gen++
	e.sys.jc[0] = [len(e.sys.jc[0])]*Block{}
	e.sys.jc[1] = [len(e.sys.jc[1])]*Block{}
}

func (e *Engine) loopSys() {
	c := e.cpu
	p := c.Priv
	s := e.sys
	if c.Mode != e.mode {
		// Blocks are keyed by mode; only the jump caches may hold
		// blocks of the old one.
		s.jc[0] = [len(s.jc[0])]*Block{}
		s.jc[1] = [len(s.jc[1])]*Block{}
		e.mode = c.Mode
	}
	var prev *Block
	for !c.Stop.Load() {
		if p.IRQ.Load() && c.IF() {
			// An interrupt waits and may be taken: Run offers the stop
			// to the board, which delivers it.
			c.Stop.Store(true)
			break
		}
		pc := c.RIP
		user := c.CPL == 3
		var b *Block
		if prev != nil && prev.chainGen == s.gen {
			if n := prev.succ[0]; n != nil && n.PC == pc && n.valid && n.user == user {
				b = n
			} else if n := prev.succ[1]; n != nil && n.PC == pc && n.valid && n.user == user {
				b = n
			}
		}
		if b == nil {
			b = e.lookupSys(pc, user)
			if prev != nil && prev.valid && b.cached && !e.opts.NoChain {
				if prev.chainGen != s.gen {
					prev.succ = [2]*Block{}
					prev.chainGen = s.gen
				}
				prev.chainTo(b)
			}
		}
		e.cur = b
		for i := 0; i < b.n; i++ {
			e.idx = i
			in := &b.Insts[i]
			in.Fn(c, in)
		}
		prev = b
	}
	e.cur = nil
}

// lookupSys finds or translates the block at pc for the current page
// tables and privilege.
func (e *Engine) lookupSys(pc uint64, user bool) *Block {
	s := e.sys
	u := 0
	if user {
		u = 1
	}
	jc := &s.jc[u]
	h := jhash(pc)
	if b := jc[h]; b != nil && b.PC == pc && b.valid {
		return b
	}
	pa, ok := s.mem.CodePage(pc)
	if !ok {
		// Faults when run; not cached (see the package comment).
		b := e.translate(pc)
		b.user = user
		return b
	}
	key := sysKey{pc: pc, pa: pa, mode: int8(e.cpu.Mode), user: user, noFPU: !e.cpu.FPUAvailable()}
	b := s.blocks[key]
	if b != nil && !e.samePages(b) {
		e.dropBlock(b)
		b = nil
	}
	if b == nil {
		b = e.translate(pc)
		b.user = user
		b.cached = true
		b.key = key
		s.blocks[key] = b
		for _, p := range b.pages {
			if p != ^uint64(0) {
				e.byPage[p] = append(e.byPage[p], b)
			}
		}
	}
	jc[h] = b
	return b
}

// samePages reports whether the second page of b (if it spans two) still
// translates to the physical page it was translated from; the first one
// is part of the key.
func (e *Engine) samePages(b *Block) bool {
	if b.pages[1] == ^uint64(0) {
		return true
	}
	pa, ok := e.sys.mem.CodePage(b.End - 1)
	return ok && pa>>mem.PageShift == b.pages[1]
}

// dropBlock forgets one block (its pages' lists keep it, marked invalid).
func (e *Engine) dropBlock(b *Block) {
	b.valid = false
	if e.sys.blocks[b.key] == b {
		delete(e.sys.blocks, b.key)
	}
	if h := jhash(b.PC); e.sys.jc[0][h] == b {
		e.sys.jc[0][h] = nil
	}
	if h := jhash(b.PC); e.sys.jc[1][h] == b {
		e.sys.jc[1][h] = nil
	}
}

// physPages turns the virtual page numbers of a block just translated into
// the physical ones its code came from (system mode).
func (e *Engine) physPages(b *Block) {
	for i, p := range b.pages {
		if p == ^uint64(0) {
			continue
		}
		if pa, ok := e.sys.mem.CodePage(p << mem.PageShift); ok {
			b.pages[i] = pa >> mem.PageShift
		} else {
			b.pages[i] = ^uint64(0)
		}
	}
}

// endsSysBlock reports whether a system-mode block must end after in: an
// instruction that may change the translation of the code after it or the
// privilege it runs at (control register and MSR writes, INVLPG, loads of
// descriptor tables), so that the next block is looked up afresh.
func endsSysBlock(in *x86.Inst) bool {
	switch in.Op {
	case x86asm.MOV:
		if in.Raw == nil {
			return false
		}
		r, ok := in.Raw.Args[0].(x86asm.Reg)
		return ok && (r >= x86asm.CR0 && r <= x86asm.CR15 || r >= x86asm.DR0 && r <= x86asm.DR15)
	case x86asm.WRMSR, x86asm.INVLPG, x86asm.LGDT, x86asm.LIDT, x86asm.LLDT, x86asm.LTR,
		x86asm.LMSW, x86asm.CLTS, x86asm.XSETBV, x86asm.RSM:
		return true
	}
	return false
}

// invalidateBlockAt drops the running block, whose first instruction
// could not be fetched when it was translated but can now, and stops it
// with RIP at that instruction so that it is translated afresh.
func (e *Engine) invalidateBlockAt(pc uint64) {
	b := e.cur
	if b.cached {
		e.dropBlock(b)
	} else {
		b.valid = false
	}
	e.stopCurrent()
	e.cpu.RIP = pc
}
