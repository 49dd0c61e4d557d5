// Package x86 is the guest CPU: its architectural state, the adapter that
// turns decoded x86 instructions into pre-decoded operations (Inst), and the
// semantics of those operations.
package x86

import (
	"sync/atomic"

	"gemu/internal/mem"
)

// General register numbers, in the hardware encoding order.
const (
	RAX = iota
	RCX
	RDX
	RBX
	RSP
	RBP
	RSI
	RDI
	R8
	R9
	R10
	R11
	R12
	R13
	R14
	R15
)

// Segment register numbers, in the hardware encoding order.
const (
	ES = iota
	CS
	SS
	DS
	FS
	GS
)

// EFLAGS bits.
const (
	FlagCF uint64 = 1 << 0
	FlagPF uint64 = 1 << 2
	FlagAF uint64 = 1 << 4
	FlagZF uint64 = 1 << 6
	FlagSF uint64 = 1 << 7
	FlagTF uint64 = 1 << 8
	FlagIF uint64 = 1 << 9
	FlagDF uint64 = 1 << 10
	FlagOF uint64 = 1 << 11
	FlagAC uint64 = 1 << 18
	FlagID uint64 = 1 << 21

	// StatusFlags are the six arithmetic flags computed lazily.
	StatusFlags = FlagCF | FlagPF | FlagAF | FlagZF | FlagSF | FlagOF
)

// Trap is why execution stopped at an instruction: a CPU exception or a
// request to the operating-system layer. It is raised with panic(Trap...)
// by instruction semantics and recovered by the engine.
type Trap struct {
	Kind TrapKind
	Addr uint64 // faulting data address for page faults
	Code int    // extra detail (e.g. the interrupt vector for INT n)
	Mem  *mem.Fault
}

// TrapKind enumerates CPU exceptions gemu raises.
type TrapKind uint8

// Trap kinds, named after the x86 exceptions.
const (
	TrapDivide     TrapKind = iota // #DE divide error
	TrapDebug                      // #DB single step (RIP after the instruction)
	TrapBreakpoint                 // #BP int3 (RIP already past it)
	TrapOverflow                   // #OF into
	TrapInvalidOp                  // #UD
	TrapGP                         // #GP general protection
	TrapPage                       // #PF page fault (see Mem)
	TrapFPU                        // #MF x87 error
	TrapSIMD                       // #XM SIMD exception
	TrapAlign                      // #AC
	TrapInt                        // INT n other than the syscall gate
	TrapBound                      // #BR BOUND range exceeded
	TrapNotPresent                 // #NP segment not present (Code: error code)
	TrapStack                      // #SS stack segment fault (Code: error code)
	// TrapResume is no exception: the instruction completed, RIP is
	// set, and the engine must leave the block (the trap flag was just
	// set, so single-stepping starts with the next instruction).
	TrapResume
)

// Syscaller is the operating-system layer behind SYSCALL, SYSENTER and
// INT 0x80. It runs with RIP already set to the instruction after the
// system call instruction (or the sysenter landing address) and may change
// any state, including stopping the CPU with Exit.
type Syscaller interface {
	Syscall(c *CPU, gate Gate)
}

// Gate says which instruction entered the kernel.
type Gate uint8

// System call gates.
const (
	GateSyscall  Gate = iota // x86-64 syscall
	GateInt80                // int $0x80
	GateSysenter             // sysenter (i386 vDSO)
)

// CPU is one guest hardware thread: its state and the run loop's stop
// request, the one field other goroutines write.
type CPU struct {
	state

	// Stop asks the engine to leave the run loop at the next block
	// boundary. It is atomic because other goroutines set it while the
	// CPU runs (the threads' fairness ticker, signals posted by timers,
	// child watchers and gemu's own signal handler); the run loop's check
	// is a plain load on amd64, as cheap as reading a bool.
	Stop atomic.Bool
}

// state is everything of a CPU that only its own thread touches (or
// others while it is parked under the emulator lock): what a new guest
// thread starts with a copy of. Its register file lives in a Regs block
// outside the Go heap (regsalloc.go), reached through the embedded pointer
// so that c.R, c.RIP, c.X87... read as fields of the CPU.
type state struct {
	*Regs

	// GDT holds the thread-local-storage descriptors set with
	// set_thread_area (i386): entries 12..14 as Linux uses them.
	GDT [16]SegDesc
	// LDT is the process's local descriptor table (modify_ldt), shared
	// by its threads; nil until the first write.
	LDT *LDT

	// Mem is the CPU's view of its address space: its own translation
	// caches over the Space its threads share.
	Mem *mem.View

	Sys Syscaller

	// Priv is the privileged state of a CPU in system mode (system.go);
	// nil in user mode, where privileged instructions fault.
	Priv *System

	// TSC counter source for RDTSC (monotonic, host based).
	TSC func() uint64

	// Icount counts executed guest instructions when the engine is asked
	// to (engine.Options.CountInsns): exact, including an instruction that
	// faults, and cheap (one addition per block).
	Icount uint64

	// Engine bookkeeping, owned by the engine.
	Engine any
	// Exited is set by the OS layer when the process is done.
	Exited bool
	// ExitCode is the status for exit/exit_group.
	ExitCode int
}

// Regs is a CPU's register file: every piece of architectural state a
// register read needs, as plain data with no Go pointers, so that it can
// live in memory the garbage collector does not manage (regsalloc.go) and
// be read by code that is not Go (C plugin callbacks, later generated
// code) at the address RegsAddr gives. Its layout is pinned by
// TestRegsLayout; as a C struct on amd64 it is:
//
//	struct gemu_regs {                 // offset
//	    uint64_t r[16];                //   0  rax rcx rdx rbx rsp rbp rsi rdi r8..r15
//	    uint64_t rip;                  // 128
//	    uint8_t  lazy_op, lazy_size;   // 136  lazy flags (flags.go)
//	    uint8_t  pad0[6];
//	    uint64_t lazy_res, lazy_a, lazy_b, lazy_cin; // 144
//	    uint64_t flags;                // 176  EFLAGS bits other than the six status flags
//	    uint64_t addr_mask;            // 184
//	    int64_t  mode, proc_mode;      // 192  32 or 64
//	    uint64_t seg_base[6];          // 208  es cs ss ds fs gs
//	    uint16_t seg[6];               // 256
//	    uint32_t mxcsr;                // 268
//	    uint64_t xmm[16][2];           // 272  low quadword first
//	    struct {                       // 528  x87
//	        struct { uint64_t mant; uint16_t se; uint8_t pad[6]; } st[8]; // physical R0..R7
//	        uint8_t  top;              // 656
//	        uint8_t  empty[8];         // 657  1: physical register empty
//	        uint8_t  pad1;
//	        uint16_t cw, sw;           // 666, 668 (sw without TOP)
//	        uint8_t  pad2[2];
//	        uint64_t fip, fdp;         // 672, 680
//	        uint16_t fop, fcs, fds;    // 688, 690, 692
//	        uint8_t  pad3[2];
//	    } x87;
//	    uint64_t cr3;                  // 696
//	    uint64_t cr0, cr2, cr4, cr8;   // 704  system mode (x86.System)
//	    uint64_t efer;                 // 736
//	    uint64_t kernel_gs_base;       // 744
//	    int64_t  cpl;                  // 752
//	    uint64_t tr_base;              // 760  system mode: the task register's base
//	};                                 // size 768
//
// A pointer into a Regs (&c.X87, &c.R[0]) is valid only while its CPU is
// reachable: the block is recycled once the CPU is collected.
type Regs struct {
	R   [16]uint64 // general registers; in 32-bit mode only the low half matters
	RIP uint64

	// Lazy arithmetic flags: the last flag-setting operation and its
	// operands. See flags.go.
	lazy lazyFlags

	// flags holds every EFLAGS bit other than the six status flags
	// (DF, IF, ID, AC, reserved bit 1...).
	flags uint64

	// AddrMask masks linear addresses: 0xffffffff in 32-bit mode.
	AddrMask uint64
	// Mode is the width of the code running now, 32 or 64: what the
	// descriptor of CS says (segments.go). A far transfer or sigreturn
	// may change it: an x86-64 process runs 32-bit code in compatibility
	// mode after loading CS with 0x23, an i386 one 64-bit code after
	// loading 0x33.
	Mode int
	// ProcMode is the process's width, 32 (i386) or 64 (x86-64), fixed
	// at New: its system call ABI, signal frames and register numbering.
	ProcMode int

	// SegBase holds the segments' bases (segments.go): FS and GS apply to
	// their memory operands; in 32-bit code the others only to a memory
	// operand with an explicit segment prefix.
	SegBase [6]uint64
	Seg     [6]uint16 // selectors
	// MXCSR is the SSE control and status register.
	MXCSR uint32

	XMM [16][2]uint64 // SSE registers, low quadword first
	X87 X87

	// CR3 is what the cr3 register reads: in user mode a value of the
	// process's own (UserCR3), which the OS layer sets; in system mode
	// the page-table base the guest loaded.
	CR3 uint64

	// The privileged registers of system mode (system.go), kept here
	// rather than in System so that code outside Go (C plugins reading
	// registers, later generated code) reads them where it reads the
	// others. Zero in user mode, where nothing writes them.
	CR0, CR2, CR4, CR8 uint64
	EFER               uint64 // MSR 0xc0000080: SCE, LME, LMA, NXE
	KernelGSBase       uint64 // MSR 0xc0000102, swapped with GS's base by SWAPGS
	// CPL is the current privilege level, 0 to 3 (always 3 in user mode
	// in effect; left 0 there as nothing reads it).
	CPL int
	// TRBase mirrors System.TR.Base (LTR and task switches keep it: set
	// it wherever System.TR changes), for register reads
	// from outside Go (a plugin's tr_base); zero in user mode.
	TRBase uint64
}

// SegDesc is a segment descriptor as set_thread_area and modify_ldt
// install it; the zero SegDesc is an empty entry.
type SegDesc struct {
	Base    uint32
	Limit   uint32
	Flags   uint32 // the user_desc flag bits (UDSeg32...)
	Present bool
}

// X87 is the floating point unit state.
type X87 struct {
	St  [8]F80 // physical registers R0..R7
	Top uint8  // TOP field of the status word
	// Tag: true means the physical register is empty.
	Empty [8]bool
	CW    uint16 // control word
	SW    uint16 // status word without TOP
	// Last instruction and operand pointers, kept for fnstenv/fxsave.
	FIP, FDP uint64
	FOP      uint16
	// Selectors of the last instruction and operand (fnstenv/frstor).
	FCS, FDS uint16
}

// F80 is an 80-bit extended precision value as stored in an x87 register;
// it converts directly to softfloat.F80.
type F80 struct {
	Mant uint64 // significand with explicit integer bit 63
	SE   uint16 // sign (bit 15) and biased exponent
}

// New returns a CPU in the state Linux gives a fresh process of the given
// mode (32 or 64) using m as its address space, through a new view (none
// if m is nil).
func New(mode int, m *mem.Space) *CPU {
	c := &CPU{}
	c.Regs = allocRegs(c)
	c.ProcMode = mode
	if m != nil {
		c.Mem = m.NewView()
	}
	c.setMode(mode)
	if mode == 32 {
		c.Seg = [6]uint16{0x2b, 0x23, 0x2b, 0x2b, 0, 0}
	} else {
		c.Seg = [6]uint16{0, 0x33, 0x2b, 0, 0, 0}
	}
	c.LDT = &LDT{}
	c.flags = 0x202
	c.lazy.op = flagsNone
	c.X87.reset()
	c.MXCSR = 0x1f80
	return c
}

// NewThread returns a CPU for a new guest thread: a copy of c's state
// (registers, segments, FPU and SSE state, address space, system call
// layer), not exited, not stopped, with no engine, a zero instruction
// count and a view of the address space of its own. It never reads
// c.Stop, which another goroutine may be setting. It must not be called
// while c's view runs guest code (it waits for an exclusive section).
func (c *CPU) NewThread() *CPU {
	n := &CPU{state: c.state}
	n.Regs = allocRegs(n)
	*n.Regs = *c.Regs // registers are copied, never shared
	n.Exited, n.Engine, n.Icount = false, nil, 0
	if c.Mem != nil {
		n.Mem = c.Mem.Space.NewView()
	}
	return n
}

func (x *X87) reset() {
	x.CW = 0x037f
	x.SW = 0
	x.Top = 0
	x.Empty = [8]bool{true, true, true, true, true, true, true, true}
}

// Reg returns general register r truncated to the mode's width.
func (c *CPU) Reg(r int) uint64 {
	return c.R[r] & c.AddrMask
}
