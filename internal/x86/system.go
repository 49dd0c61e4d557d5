package x86

import "sync/atomic"

// System-mode state: what a CPU has beyond a user process's view of it
// when gemu emulates a whole PC (gemu-system). A CPU runs in system mode
// when its Priv field is non-nil; in user mode it is nil and the privileged
// instructions fault as they do at CPL 3 under Linux, at the cost of one
// nil test in instructions that are rare in programs (privileged ones,
// INT, IRET, far transfers, segment loads).
//
// The split of the work on this state:
//   - sysseg.go, sysint.go: descriptor tables and segment loads with the
//     protected-mode checks, CPL, far transfers across privilege levels,
//     the delivery of exceptions and interrupts through the IDT (with the
//     TSS stack switch, IST, error codes), IRET, INT n, SYSENTER/SYSEXIT,
//     SYSCALL/SYSRET and SWAPGS in system mode; systask.go: task switches
//     through task gates and IRET with NT.
//   - sysctl.go, sysmsr.go, sysio.go: control and debug registers, MSRs,
//     CPUID for a kernel, port I/O, HLT/CLI/STI and the interrupt flag,
//     INVLPG and the cache instructions.
//
// The board (internal/pc) fills in the interfaces below; the MMU is the
// CPU's memory view (mem.View), told about every change of the paging
// registers and of the privilege level through MMUControl.

// System is a CPU's privileged state in system mode, but for the registers
// plugins read, which live in Regs with the others: CR0, CR2, CR3, CR4,
// CR8 (the task-priority register), EFER, KernelGSBase and CPL (c.CR0,
// c.CPL...).
type System struct {
	// DR holds DR0-DR7 (DR4/DR5 alias DR6/DR7 as on hardware with
	// CR4.DE clear).
	DR [8]uint64

	// Descriptor tables: GDTR and IDTR (base, limit), LDTR and TR with
	// their cached descriptors.
	GDTR, IDTR DescTable
	LDTR, TR   SegCache
	// Segs caches the descriptors of ES, CS, SS, DS, FS and GS as loaded;
	// their bases are also in Regs.SegBase and the selectors in
	// Regs.Seg, which the rest of the CPU reads.
	Segs [6]SegCache

	// MSRs Linux uses (others: sysmsr.go).
	SysenterCS, SysenterESP, SysenterEIP uint64
	STAR, LSTAR, CSTAR, SFMASK           uint64
	TSCAux                               uint64
	PAT                                  uint64
	APICBase                             uint64
	MiscEnable                           uint64
	// TSCOffset is added to the host-based counter for RDTSC (WRMSR to
	// IA32_TSC sets it).
	TSCOffset uint64
	// Ctl holds the CPUID model and the rest of the state of sysctl.go
	// and sysmsr.go (MTRRs).
	Ctl CtlState

	// Halted is set by HLT and cleared by the next interrupt delivered
	// (or a reset). The board's run loop sleeps while it is set.
	Halted bool
	// IRQ is set by the board while the interrupt controller has an
	// interrupt pending (Intr.Pending), so that the engine's run loop
	// can leave between blocks once IF allows it to be taken, with one
	// atomic load a block and no lock.
	IRQ atomic.Bool
	// IntShadow is set by STI (when it set IF) and MOV/POP SS: interrupts
	// are not taken before the next instruction completes.
	IntShadow bool

	IO   PortBus
	Intr InterruptController
	MMU  MMUControl
	// OnModeChange is called after the CPU changed one of CR0, CR3, CR4
	// or EFER (which), so that the engine can drop cached translations
	// and plugins see a new address space; may be nil.
	OnModeChange func(c *CPU, which ModeChange)
	// OnInterrupt is called after each interrupt or exception the CPU
	// delivered through the IDT (sysint.go), with the handler's entry
	// state in c: software INT n, INT3, INTO and INT1 (delivered by their
	// instructions, which the board does not see), hardware interrupts
	// (Interrupt) and exceptions (DeliverTrap, including a #DF or the
	// fault that replaced the exception asked for). code is the error
	// code pushed or -1; from is the RIP saved in the frame, to the
	// handler's. May be nil.
	OnInterrupt func(c *CPU, kind DeliveryKind, vector uint8, code int64, from, to uint64)
}

// ModeChange says which register a mode change event is about.
type ModeChange uint8

// Mode change kinds.
const (
	ChangeCR0 ModeChange = iota
	ChangeCR3
	ChangeCR4
	ChangeEFER
)

// DescTable is the base and limit of the GDT or the IDT.
type DescTable struct {
	Base  uint64
	Limit uint32
}

// SegCache is the hidden part of a segment register: the descriptor it was
// loaded from, as the CPU keeps it.
type SegCache struct {
	Sel   uint16
	Base  uint64
	Limit uint32 // in bytes, granularity applied
	// Attr holds descriptor bits 40-47 and 52-55 as the VMX access-rights
	// format does: type (3:0), S (4), DPL (6:5), P (7), AVL (12), L (13),
	// D/B (14), G (15).
	Attr uint16
}

// Segment attribute bits of SegCache.Attr.
const (
	AttrAccessed = 1 << 0
	AttrS        = 1 << 4 // code or data (not a system descriptor)
	AttrP        = 1 << 7
	AttrL        = 1 << 13
	AttrDB       = 1 << 14
	AttrG        = 1 << 15
)

// DPL returns the descriptor privilege level of the cached descriptor.
func (s *SegCache) DPL() int { return int(s.Attr>>5) & 3 }

// PortBus is the machine's I/O port space. Size is 1, 2 or 4 bytes. Reads
// of ports no device claims return all ones, writes to them are dropped.
type PortBus interface {
	In(port uint16, size int) uint32
	Out(port uint16, size int, v uint32)
}

// InterruptController is what the CPU asks for hardware interrupts: the
// PIC pair or the local APIC. Pending reports whether an interrupt waits
// for delivery (the CPU takes it only when IF is set and no shadow holds
// it off); Ack takes it and returns its vector, or false if it was
// withdrawn in between (then nothing is delivered). The board also sets
// CPU.Stop when a new interrupt becomes pending, so that the run loop
// looks at Pending between blocks.
type InterruptController interface {
	Pending() bool
	Ack() (vector uint8, ok bool)
}

// MMUControl is the CPU's memory view as the privileged instructions see
// it (implemented by mem.View in system mode).
type MMUControl interface {
	// SetPaging sets the translation regime from the registers that
	// define it, flushing every cached translation. Paging is off unless
	// CR0.PG; with it, CR4.PAE selects PAE, and EFER.LMA 4-level paging;
	// CR4.PSE allows 4 MiB pages in 2-level paging, CR0.WP makes
	// read-only pages read-only to the kernel too, EFER.NXE enables the
	// execute-disable bit, CR4.PGE keeps global pages across CR3 loads.
	SetPaging(cr0, cr3, cr4, efer uint64)
	// SetUser says whether the CPU runs at CPL 3 (user accesses: pages
	// must have the U/S bit) or below.
	SetUser(user bool)
	// FlushTLB drops the cached translations of a CR3 load: all but the
	// global ones (all of them if global is true, as for a CR4 change).
	FlushTLB(global bool)
	// FlushPage drops the cached translations of the page holding the
	// linear address va (INVLPG).
	FlushPage(va uint64)
}

// IF reports whether the interrupt flag is set (maskable interrupts are
// taken).
func (c *CPU) IF() bool { return c.flags&FlagIF != 0 }
