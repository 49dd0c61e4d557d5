// Package engine runs guest code through translation blocks: it decodes each
// guest instruction once, groups instructions into blocks that end at a
// branch or page boundary, caches the blocks by guest address, chains blocks
// that follow one another, invalidates blocks whose code is overwritten, and
// places instrumentation hooks at translation time.
package engine

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"golang.org/x/arch/x86/x86asm"

	"gemu/internal/ccall"
	"gemu/internal/mem"
	"gemu/internal/x86"
)

// Hook is an instrumentation callback run before a guest instruction or
// block; pc is its address and the CPU state is exactly as before it.
type Hook func(c *x86.CPU, pc uint64)

// Instrumenter is asked at translation time which hooks to place. A nil
// result places nothing, so an uninstrumented instruction costs nothing.
type Instrumenter interface {
	InsnHook(c *x86.CPU, pc uint64) Hook
	BlockHook(c *x86.CPU, pc uint64) Hook
	// MemHook returns the callback for the memory accesses made by the
	// instruction at pc, or nil.
	MemHook(c *x86.CPU, pc uint64) mem.Tracer
}

// PlacedHook is one hook an instrumenter places: a Go hook or a C one
// (ccall.Func, which the engine calls itself: one Go call fewer than a
// Hook wrapping the same call). NoRegs says the hook cannot read the
// guest's registers, so the flags need not be exact where it runs and
// the engine keeps skipping flag work that is overwritten unread.
type PlacedHook struct {
	Go     Hook
	C      *ccall.Func
	NoRegs bool
}

// DirectInstrumenter is an Instrumenter that places its hooks one by one,
// Go or C. When the instrumenter has these methods the engine uses them
// instead of InsnHook and BlockHook: place is called for each hook to run
// before the instruction (or at the block's start), in order. A C hook
// placed for c runs only on c: an Engine runs one CPU, and blocks are
// never shared between engines.
type DirectInstrumenter interface {
	Instrumenter
	PlaceInsnHooks(c *x86.CPU, pc uint64, place func(PlacedHook))
	PlaceBlockHooks(c *x86.CPU, pc uint64, place func(PlacedHook))
}

// FaultHandler receives the CPU exceptions of the guest, with RIP at the
// faulting instruction (after it for traps like int3). It normally
// delivers a signal or ends the process.
type FaultHandler func(c *x86.CPU, trap *x86.Trap)

// Options select engine behaviour, mostly from -d and -one-insn-per-tb.
type Options struct {
	OneInsnPerTB bool
	NoChain      bool
	Log          io.Writer
	LogInAsm     bool // disassemble each block when translated
	LogExec      bool // a line per executed block
	LogCPU       bool // registers before each block
	LogUnimp     bool // undecodable or unimplemented instructions
	// CountInsns keeps CPU.Icount, the number of executed guest
	// instructions, at the cost of one addition per block.
	CountInsns bool
}

// Block is a translation block: guest instructions from PC up to a branch
// or page end, pre-decoded, with any instrumentation pseudo-instructions.
type Block struct {
	PC, End uint64
	Insts   []x86.Inst
	n       int // instructions to run; shortened if the block rewrites itself
	valid   bool
	succ    [2]*Block // chained successors, checked against RIP
	pages   [2]uint64 // page numbers of its code (physical in system mode)
	Guest   int       // number of guest instructions

	// System mode (system.go): the key the block is cached under,
	// whether it is (a block that faults on its first fetch is not),
	// whether it was fetched at CPL 3, and the generation of page
	// tables its chains were made under.
	key      sysKey
	cached   bool
	user     bool
	chainGen uint64
}

const (
	maxBlockInsts = 256
	jmpCacheBits  = 12
)

// Engine executes one CPU.
type Engine struct {
	cpu    *x86.CPU
	opts   Options
	instr  Instrumenter
	fault  FaultHandler
	blocks map[uint64]*Block
	byPage map[uint64][]*Block
	jcache [1 << jmpCacheBits]*Block

	cur *Block
	idx int

	// Invalidations posted by other goroutines (PostInvalidate): page
	// numbers, or all blocks once more pages came than maxPosted, applied
	// by the engine's own goroutine at its next block boundary.
	postMu    sync.Mutex
	posted    []uint64
	postedAll bool
	hasPosted atomic.Bool
	spare     []uint64 // the other buffer, so that applying allocates nothing

	// mode is the CPU mode (32 or 64) the cached blocks were translated
	// for; see flushForMode.
	mode int

	// kicked is set when an exclusive section of the address space
	// stopped the CPU (its view's kick), not the OS layer.
	kicked atomic.Bool

	// code and check hold a block's guest bytes while it is translated
	// (translateN), reused from block to block.
	code, check []byte

	// Translated counts blocks translated, for statistics and tests.
	Translated int

	// sys is the system-mode state (system.go); nil in user mode.
	sys *sysEngine
}

// New returns an engine for c. instr may be nil.
func New(c *x86.CPU, opts Options, instr Instrumenter, fault FaultHandler) *Engine {
	e := &Engine{
		cpu:    c,
		opts:   opts,
		instr:  instr,
		fault:  fault,
		blocks: make(map[uint64]*Block),
		byPage: make(map[uint64][]*Block),
		mode:   c.Mode,
	}
	c.Engine = e
	if c.Priv != nil {
		m, ok := any(c.Mem).(SysMem)
		if !ok {
			panic("engine: a system-mode CPU needs a system-mode memory view")
		}
		e.sys = &sysEngine{mem: m, blocks: make(map[sysKey]*Block)}
	}
	c.Mem.OnCodeWrite = e.invalidateRunning
	c.Mem.SetKick(func() {
		e.kicked.Store(true)
		c.Stop.Store(true)
	})
	return e
}

// invalidateRunning is the address space's code-write callback of a CPU
// with a single engine: the write comes from the code it runs.
func (e *Engine) invalidateRunning(addr uint64) { e.invalidatePage(addr, true) }

// InvalidatePage drops the engine's blocks holding code from the page at
// addr, for an OS layer whose several CPUs (guest threads) share one
// address space and so must all forget code any of them overwrites.
// running says whether this engine's CPU made the write, from its own
// goroutine: then the blocks are dropped at once, and if the current block
// is among them it stops after the writing instruction. Otherwise the
// invalidation is posted (PostInvalidate): the engine may be running on
// another goroutine.
func (e *Engine) InvalidatePage(addr uint64, running bool) {
	if running {
		e.invalidatePage(addr, true)
		return
	}
	e.PostInvalidate(addr)
}

// maxPosted bounds the queue of posted pages; past it, the engine drops
// all its blocks when it applies the queue.
const maxPosted = 64

// PostInvalidate asks the engine to drop its blocks of the page at addr
// before it runs any more code; safe from any goroutine. The page is
// queued and the CPU stopped (c.Stop): the engine applies the queue at its
// next block boundary, or when Run starts, before it runs another block.
// The block running when the code was written finishes (as a cross-
// modifying write on hardware is seen only after the executing CPU
// serializes). Run still offers the stop to the Syscaller's Interrupt,
// which must take a stop with nothing to do in its stride.
func (e *Engine) PostInvalidate(addr uint64) {
	pn := addr >> mem.PageShift
	e.postMu.Lock()
	if !e.postedAll && !containsPage(e.posted, pn) {
		if len(e.posted) < maxPosted {
			e.posted = append(e.posted, pn)
		} else {
			e.postedAll = true
		}
	}
	e.hasPosted.Store(true)
	e.postMu.Unlock()
	e.cpu.Stop.Store(true)
}

func containsPage(list []uint64, pn uint64) bool {
	for _, p := range list {
		if p == pn {
			return true
		}
	}
	return false
}

// applyPosted drops the blocks of the pages posted so far; only on the
// engine's goroutine, between blocks.
func (e *Engine) applyPosted() {
	e.postMu.Lock()
	pages, all := e.posted, e.postedAll
	e.posted, e.postedAll = e.spare[:0], false
	e.hasPosted.Store(false)
	e.postMu.Unlock()
	if all {
		e.invalidateAll()
	} else {
		for _, pn := range pages {
			e.invalidatePage(pn<<mem.PageShift, false)
		}
	}
	e.spare = pages[:0]
}

// invalidateAll drops every block.
func (e *Engine) invalidateAll() {
	for _, list := range e.byPage {
		for _, b := range list {
			b.valid = false
		}
	}
	for _, b := range e.blocks {
		b.valid = false
	}
	clear(e.blocks)
	clear(e.byPage)
	e.jcache = [len(e.jcache)]*Block{}
	if e.sys != nil {
		for _, b := range e.sys.blocks {
			b.valid = false
		}
		clear(e.sys.blocks)
		e.sys.jc[0] = [len(e.sys.jc[0])]*Block{}
		e.sys.jc[1] = [len(e.sys.jc[1])]*Block{}
	}
}

// Interrupter is implemented by an OS layer (the CPU's Syscaller) that
// stops the CPU to act on asynchronous events, like Linux signals from
// timers: it sets c.Stop, possibly from another goroutine, and Run calls
// Interrupt at the next block boundary, then goes on unless it returns
// false. Checking costs nothing: the run loop already tests c.Stop (an
// atomic load, a plain load on amd64) once per block.
type Interrupter interface {
	Interrupt(c *x86.CPU) bool
}

// Run executes guest code from c.RIP until the CPU stops (c.Stop or
// c.Exited). Faults go to the fault handler, then execution continues
// unless the handler stopped the CPU. A stop is first offered to the
// Syscaller's Interrupt, if it has one. While the trap flag is set, Run
// single-steps (step); the flag is looked at only here, so blocks run
// at no extra cost: what sets it leaves the block (x86.TrapResume) or
// stops the CPU.
//
// Run holds the CPU's memory view entered (mem.View.Enter) while it runs
// guest code, and leaves it around everything that calls out to the OS
// layer (system call instructions, the fault handler, Interrupt), which
// may wait for other threads or change the address space. A stop asked
// by an exclusive section of the address space (the view's kick) just
// leaves and enters again, then offers the stop to Interrupt as any
// other: with no Interrupter, a kick does not end Run.
func (e *Engine) Run() {
	c := e.cpu
	c.Mem.Enter()
	defer c.Mem.Leave()
	for !c.Exited {
		// Posted invalidations first: their stop may have been consumed
		// (by the Store below, at the end of an earlier Run).
		if e.hasPosted.Load() {
			e.applyPosted()
		}
		// Swap, not a load and a store: a stop requested between the two
		// would be lost.
		if c.Stop.Swap(false) {
			kicked := e.kicked.Swap(false)
			c.Mem.Leave()
			in, ok := c.Sys.(Interrupter)
			more := ok && in.Interrupt(c) || !ok && kicked
			c.Mem.Enter()
			if !more {
				break
			}
			continue
		}
		if c.TF() {
			e.step()
			continue
		}
		e.runProtected()
	}
	c.Stop.Store(false)
}

func (e *Engine) runProtected() {
	defer func() {
		if r := recover(); r != nil {
			e.recoverFault(r)
		}
	}()
	if e.sys != nil {
		e.loopSys()
		return
	}
	e.loop()
}

// step runs one guest instruction, in a block of its own translated for
// the purpose (not cached), and then raises the single-step trap (#DB)
// the CPU raises after an instruction that began with TF set. A system
// call instruction raises none (on Linux the kernel returns from it past
// the trap), nor does an instruction that faults or traps itself; after
// a load of SS (MOV, POP) the trap waits for the next instruction.
func (e *Engine) step() {
	defer func() {
		if r := recover(); r != nil {
			e.recoverFault(r)
		}
	}()
	c := e.cpu
	b := e.translateN(c.RIP, 1)
	e.cur = b
	quiet := false
	for i := 0; i < b.n; i++ {
		e.idx = i
		in := &b.Insts[i]
		if in.Guest {
			quiet = isSyscall(in) || loadsSS(in)
		}
		in.Fn(c, in)
	}
	e.cur = nil
	if !quiet && !c.Exited {
		e.deliver(&stepTrap)
	}
}

// stepTrap is the single-step trap step raises (never modified).
var stepTrap = x86.Trap{Kind: x86.TrapDebug}

// loadsSS reports whether in is MOV or POP to SS, after which the CPU
// holds off debug traps (and interrupts) for one instruction.
func loadsSS(in *x86.Inst) bool {
	return (in.Op == x86asm.MOV || in.Op == x86asm.POP) && in.A[0].Kind == x86.KSeg && in.A[0].Reg == x86.SS
}

// isSyscall reports whether in enters the OS layer: SYSCALL, SYSENTER
// or INT 0x80.
func isSyscall(in *x86.Inst) bool {
	switch in.Op {
	case x86asm.SYSCALL, x86asm.SYSENTER:
		return true
	case x86asm.INT:
		return in.Imm&0xff == 0x80 && in.Raw != nil && in.Raw.Opcode>>24 == 0xcd
	}
	return false
}

func (e *Engine) recoverFault(r any) {
	c := e.cpu
	var trap *x86.Trap
	switch v := r.(type) {
	case *x86.Trap:
		trap = v
	case *mem.Fault:
		trap = &x86.Trap{Kind: x86.TrapPage, Addr: v.Addr, Mem: v}
	default:
		panic(r)
	}
	if trap.Kind == x86.TrapResume {
		// Not an exception: leave the block after the instruction that
		// raised it (it set RIP), then Run single-steps.
		if e.cur != nil && e.opts.CountInsns {
			c.Icount -= guestAfter(e.cur, e.idx)
		}
		e.cur = nil
		return
	}
	if e.cur != nil && e.idx < len(e.cur.Insts) {
		in := &e.cur.Insts[e.idx]
		if e.opts.CountInsns {
			// The block counted all its instructions on entry; those after
			// the faulting one did not run.
			c.Icount -= guestAfter(e.cur, e.idx)
		}
		switch trap.Kind {
		case x86.TrapBreakpoint, x86.TrapOverflow:
			// Traps report the next instruction; the handler set RIP.
		default:
			c.RIP = in.PC
		}
		if trap.Kind == x86.TrapInvalidOp && trap.Code == 1 && e.opts.LogUnimp {
			fmt.Fprintf(e.opts.Log, "gemu: unimplemented instruction at %#x: %s\n", in.PC, in.String())
		}
	}
	e.cur = nil
	e.deliver(trap)
}

// deliver hands a trap to the fault handler, with the CPU's memory view
// left: delivering a signal may wait for other threads.
func (e *Engine) deliver(trap *x86.Trap) {
	c := e.cpu
	c.Mem.Leave()
	defer c.Mem.Enter()
	e.fault(c, trap)
}

func (e *Engine) loop() {
	c := e.cpu
	if c.Mode != e.mode {
		e.flushForMode()
	}
	var prev *Block
	for !c.Stop.Load() {
		pc := c.RIP
		var b *Block
		if prev != nil {
			if s := prev.succ[0]; s != nil && s.PC == pc && s.valid {
				b = s
			} else if s := prev.succ[1]; s != nil && s.PC == pc && s.valid {
				b = s
			}
		}
		if b == nil {
			b = e.lookup(pc)
			if prev != nil && prev.valid && !e.opts.NoChain {
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

// chainTo records b as a successor of prev (the first free slot, else the
// second), so that the run loop follows it without a lookup.
func (prev *Block) chainTo(b *Block) {
	if prev.succ[0] == nil {
		prev.succ[0] = b
	} else {
		prev.succ[1] = b
	}
}

func jhash(pc uint64) uint64 { return (pc ^ pc>>jmpCacheBits) & (1<<jmpCacheBits - 1) }

// lookup finds or translates the block at pc.
func (e *Engine) lookup(pc uint64) *Block {
	h := jhash(pc)
	if b := e.jcache[h]; b != nil && b.PC == pc && b.valid {
		return b
	}
	b := e.blocks[pc]
	if b == nil {
		b = e.translate(pc)
		e.blocks[pc] = b
		for _, p := range b.pages {
			if p != ^uint64(0) {
				e.byPage[p] = append(e.byPage[p], b)
			}
		}
	}
	e.jcache[h] = b
	return b
}

// flushForMode drops every block when the CPU's mode changed (a far
// transfer or sigreturn between 64-bit code and compatibility mode): a
// block is decoded for one mode, and the same bytes mean other
// instructions in the other. Whatever changes the mode leaves the run
// loop (x86.TrapResume, or c.Stop from the OS layer), and loop checks the
// mode on entry, so no block of the old mode runs or is chained to in the
// new one. Flushing rather than keying the cache by mode keeps the hot
// paths (chaining, the jump cache) as they are; programs switch modes
// rarely (a thunk into 32-bit code and back), and each switch costs the
// retranslation of the blocks run after it.
func (e *Engine) flushForMode() {
	e.invalidateAll()
	e.mode = e.cpu.Mode
}

// invalidatePage drops the blocks holding code from the page at addr. If
// the running block is among them it stops after the current instruction.
func (e *Engine) invalidatePage(addr uint64, running bool) {
	pn := addr >> mem.PageShift
	list := e.byPage[pn]
	delete(e.byPage, pn)
	for _, b := range list {
		if !b.valid {
			continue
		}
		if e.sys != nil {
			e.dropBlock(b)
		} else {
			b.valid = false
			if e.blocks[b.PC] == b {
				delete(e.blocks, b.PC)
			}
			if h := jhash(b.PC); e.jcache[h] == b {
				e.jcache[h] = nil
			}
		}
		if running && b == e.cur {
			e.stopCurrent()
		}
	}
}

// stopCurrent ends the running block after its current instruction, which
// resumes at that instruction's successor unless it branches.
func (e *Engine) stopCurrent() {
	b := e.cur
	if e.opts.CountInsns {
		e.cpu.Icount -= guestAfter(b, e.idx)
	}
	b.n = e.idx + 1
	e.cpu.RIP = b.Insts[e.idx].Next
}

// CurrentPC returns the address of the instruction being executed (for the
// OS layer's diagnostics).
func (e *Engine) CurrentPC() uint64 {
	if e.cur != nil {
		return e.cur.Insts[e.idx].PC
	}
	return e.cpu.RIP
}

// guestAfter counts the guest instructions of b after index idx that are
// still to run.
func guestAfter(b *Block, idx int) uint64 {
	var n uint64
	for i := idx + 1; i < b.n; i++ {
		if b.Insts[i].Guest {
			n++
		}
		if b.Insts[i].Fused {
			n++
		}
	}
	return n
}
