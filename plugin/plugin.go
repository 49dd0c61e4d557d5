// Package plugin is gemu's instrumentation interface for tracers written in
// Go and compiled into gemu, and the manager that loads every kind of
// plugin (Go, built-in and C shared objects) and places their hooks.
//
// A Go plugin registers a constructor under a name from an init function,
// the way database/sql drivers do, and is selected with `-plugin NAME`:
//
//	func init() {
//		plugin.Register("count", func(args string, host *plugin.Host) (*plugin.Hooks, error) {
//			var n uint64
//			count := func(*plugin.CPU, uint64) { n++ }
//			return &plugin.Hooks{
//				Insn: func(*plugin.CPU, uint64) plugin.ExecFunc { return count },
//				Exit: func() { host.Logf("count: %d\n", n) },
//			}, nil
//		})
//	}
//
// The model is the one of the C API (include/plugins.h): a translation-time
// question per instruction or block, whose answer is built into the
// translated code, and a run-time callback each time that code executes.
// In Go the answer is the callback itself (nil for "not here"), so a hook
// can close over what it computed at translation time (the instruction's
// text, a per-block counter) and pays a single indirect call at run time.
package plugin

import (
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"sync"

	"gemu/internal/ccall"
	"gemu/internal/linux/abi"
	"gemu/internal/x86"
)

// CPU is the guest CPU (vCPU) on whose behalf a hook runs. Its methods
// read guest state; a plugin must not modify the CPU or keep the pointer
// past the call that received it.
type CPU x86.CPU

// ExecFunc is a run-time hook for an instruction or a block: it is called
// each time the code at pc is about to execute, with the guest state
// exactly as before it (c.PC() == pc).
type ExecFunc func(c *CPU, pc uint64)

// MemFunc is a run-time hook for the memory accesses of one instruction:
// it is called after each data access the instruction makes, in order,
// with the guest virtual address (segment base included), the size in
// bytes, whether it is a store, and the value loaded or stored (its low 8
// bytes for wider accesses). Accesses that fault are not reported. The
// instruction's address and CPU are those given to Hooks.Mem; close over
// them if the hook needs them.
type MemFunc func(addr uint64, size int, store bool, value uint64)

// Hooks is what a plugin wants to observe. Every field is optional; a nil
// field costs nothing.
//
// Insn, Block and Mem are asked at translation time, possibly
// concurrently for different vCPUs and more than once for the same pc
// (after the code is modified or the translation cache is flushed); they
// must answer consistently, from pc and the code bytes rather than from
// register values, which at translation time say nothing about the state
// the code will later run in. The functions they return are called at run
// time, on the thread of the vCPU that runs the code; plugins that keep
// state shared between vCPUs must protect it.
type Hooks struct {
	// Insn is asked when the instruction at pc is translated. A non-nil
	// result is called each time that instruction is about to execute.
	Insn func(c *CPU, pc uint64) ExecFunc

	// Block is asked when a translation block starting at pc is
	// translated. A non-nil result is called each time the block starts,
	// whether it is entered from the dispatcher or by a chained jump, and
	// before any Insn hook of its first instruction. Where blocks start
	// and end is gemu's choice.
	Block func(c *CPU, pc uint64) ExecFunc

	// InsnC and BlockC are Insn and Block for hooks that are C functions
	// the engine calls itself (ccall.Func: gemu/plugin/cplugin's direct
	// path), one Go call fewer than an ExecFunc around the same call. A
	// plugin sets one of Insn and InsnC (Block and BlockC); the result is
	// called only on the vCPU c it was asked for.
	InsnC  func(c *CPU, pc uint64) *ccall.Func
	BlockC func(c *CPU, pc uint64) *ccall.Func
	// NoRegs says the plugin's instruction and block hooks never read the
	// guest's registers: the flags need not be exact where they run, so
	// gemu keeps skipping flag work that is overwritten unread. Set by the
	// C loader for a plugin that does not import qemulib_read_register.
	NoRegs bool
	// Mem is asked when the instruction at pc is translated. A non-nil
	// result is called for each memory access the instruction makes.
	Mem func(c *CPU, pc uint64) MemFunc

	// Syscall is called before each system call the guest makes, with
	// the state as right after the system call instruction. num is the
	// number in the guest ABI's numbering and args its six argument
	// registers in ABI order (zero-extended for i386 guests).
	Syscall func(c *CPU, num int64, args [6]uint64)

	// SyscallRet is called after each system call that returns, with the
	// guest registers already updated; ret is what the guest receives in
	// eax/rax (a negative errno on failure, sign-extended for i386).
	SyscallRet func(c *CPU, num, ret int64)

	// The events of system mode (gemu-system): the machine's hardware
	// and the CPU's privileged transitions. User mode (gemu) never calls
	// them. They are called at run time for every occurrence, with no
	// translation-time question: which instruction touches a device is
	// known only when it runs (any load or store may reach MMIO), the
	// events are rare next to instructions, each already costs a device
	// access, and a tracer filters them by port, address or vector
	// rather than by pc. pc is a guest virtual address (kernel code
	// included).

	// PortIO is called after each port access of an IN, OUT, INS or
	// OUTS instruction completed (a REP INS/OUTS: each element): pc is
	// the instruction's address, size 1, 2 or 4 bytes, write true for
	// OUT/OUTS, value the value read or written (zero-extended).
	PortIO func(c *CPU, pc uint64, port uint16, size int, write bool, value uint32)

	// MMIO is called after each access of an instruction to device
	// memory completed: addr is the physical address, size in bytes,
	// value the value read or written, device the name of the device
	// that serves the address ("virtio-blk", "ioapic", ...), "" for an
	// address no device serves (reads give all ones).
	MMIO func(c *CPU, pc, addr uint64, size int, write bool, value uint64, device string)

	// Interrupt is called after the CPU delivered an interrupt or an
	// exception through the IDT: the state seen through c is the
	// handler's entry state (c.PC() == to, the frame pushed). kind says
	// what it was; errCode is the error code pushed, or NoErrorCode;
	// from is where the CPU was: the interrupted instruction (hardware
	// interrupts), the faulting one (faults), or the one after a
	// software INT n, INT3 or INTO and after a trap.
	Interrupt func(c *CPU, kind IntKind, vector uint8, errCode int64, from, to uint64)

	// ModeChange is called after the guest wrote CR0, CR3, CR4 or EFER
	// (reg), with the register's value before and after the write.
	// A CR3 write is a switch of address space (a context switch, or a
	// TLB flush when old == new).
	ModeChange func(c *CPU, reg ModeReg, old, new uint64)

	// Exit is called once when the guest program ends, however it ends,
	// before the log is flushed.
	Exit func()

	// VCPUExit is called when a vCPU's guest thread ends while the
	// program goes on (the program's end is Exit), after the vCPU's last
	// event. A plugin that keeps state per vCPU drops what refers to c
	// here: c is not used again, and gemu frees it and its translated
	// code once no plugin holds it.
	VCPUExit func(c *CPU)

	// CountInsns asks gemu to count executed guest instructions itself,
	// for Host.InsnCount and CPU.InsnCount. The count is exact (an
	// instruction that faults counts once each time it is started, like
	// an Insn hook would see it) and costs one addition per block instead
	// of one call per instruction.
	CountInsns bool
}

// IntKind says what an Interrupt event delivered.
type IntKind uint8

// Interrupt kinds. Their values are the GEMU_INT_* of include/plugins.h.
const (
	// IntHardware is an external interrupt from the interrupt
	// controller (PIC or APIC).
	IntHardware IntKind = iota
	// IntSoftware is an INT n, INT3 or INTO instruction.
	IntSoftware
	// IntException is a CPU exception (fault, trap or abort), #PF, #GP,
	// #DF and the others.
	IntException
)

// String returns "hw", "sw" or "exc".
func (k IntKind) String() string {
	switch k {
	case IntHardware:
		return "hw"
	case IntSoftware:
		return "sw"
	case IntException:
		return "exc"
	}
	return fmt.Sprintf("IntKind(%d)", uint8(k))
}

// NoErrorCode is the errCode of an Interrupt event that pushed no error
// code.
const NoErrorCode int64 = -1

// ModeReg says which register a ModeChange event is about.
type ModeReg uint8

// Mode change registers. Their values are the GEMU_MODE_* of
// include/plugins.h and those of x86.ModeChange.
const (
	ModeCR0 ModeReg = iota
	ModeCR3
	ModeCR4
	ModeEFER
)

// String returns the register's name in lower case: "cr0", "cr3", "cr4"
// or "efer".
func (r ModeReg) String() string {
	switch r {
	case ModeCR0:
		return "cr0"
	case ModeCR3:
		return "cr3"
	case ModeCR4:
		return "cr4"
	case ModeEFER:
		return "efer"
	}
	return fmt.Sprintf("ModeReg(%d)", uint8(r))
}

// Factory creates an instance of a registered plugin. args is the
// plugin's argument string ("" when none was given); host gives access to
// the log and the guest architecture. An error stops gemu before the guest
// runs, with the plugin's name and the error's text.
type Factory func(args string, host *Host) (*Hooks, error)

// Loader loads a plugin from a file, such as a C shared object. It is
// provided by a package that gemu links in (gemu/plugin/cplugin), so that
// this package stays free of cgo.
type Loader func(path, args string, host *Host) (*Hooks, error)

var (
	regMu     sync.Mutex
	factories = map[string]Factory{}
	loader    Loader
)

// Register makes a Go plugin available under name, for `-plugin NAME`. It
// is meant to be called from an init function and panics if name is empty
// or already registered.
func Register(name string, f Factory) {
	regMu.Lock()
	defer regMu.Unlock()
	if name == "" || f == nil {
		panic("plugin: Register with an empty name or nil factory")
	}
	if _, dup := factories[name]; dup {
		panic("plugin: Register called twice for " + name)
	}
	factories[name] = f
}

// RegisterLoader installs the loader used for plugins given by file path.
// gemu/plugin/cplugin calls it from its init function.
func RegisterLoader(l Loader) {
	regMu.Lock()
	defer regMu.Unlock()
	loader = l
}

// Names returns the names of the registered Go plugins, sorted.
func Names() []string {
	regMu.Lock()
	defer regMu.Unlock()
	names := make([]string, 0, len(factories))
	for n := range factories {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ErrUnmapped is returned by CPU.ReadMemory when part of the range is not
// mapped in the guest.
var ErrUnmapped = errors.New("guest memory not mapped")

// Arch returns the guest architecture: "i386" or "x86_64".
func (c *CPU) Arch() string {
	if c.ProcMode == 64 {
		return "x86_64"
	}
	return "i386"
}

// PC returns the address of the instruction about to execute (during a
// Block or Insn hook, the hook's pc).
func (c *CPU) PC() uint64 { return c.RIP }

// InsnCount returns the guest instructions this vCPU has executed, when
// some plugin set Hooks.CountInsns (0 otherwise).
func (c *CPU) InsnCount() uint64 { return c.Icount }

// Reg returns general register r in hardware order (0 ax, 1 cx, 2 dx,
// 3 bx, 4 sp, 5 bp, 6 si, 7 di, 8..15 r8..r15), truncated to the guest's
// width. It is the cheap way to read a register from a hot hook.
func (c *CPU) Reg(r int) uint64 { return (*x86.CPU)(c).Reg(r & 15) }

// ReadRegister stores register num (numbered as in include/regnum.h for
// the guest's architecture: the constants I386* and AMD64*) little-endian
// in buf and returns its size in bytes. It returns 0, writing nothing, for
// an unknown number or a buf shorter than the register.
func (c *CPU) ReadRegister(num int, buf []byte) int {
	val, size := (*x86.CPU)(c).GDBRegister(num)
	if size == 0 || len(buf) < size {
		return 0
	}
	return copy(buf, val[:size])
}

// ReadMemory copies guest memory at the virtual address addr into buf the
// way a debugger reads: page protections are ignored and nothing is
// signalled to the guest. It returns ErrUnmapped, leaving buf unspecified,
// if any byte of the range is not mapped. In system mode (gemu-system)
// addr is translated through the guest's current page tables, without
// setting their accessed or dirty flags, and only RAM is read: a page
// that is not present, or is device memory, is unmapped.
func (c *CPU) ReadMemory(addr uint64, buf []byte) error {
	if c.Priv != nil {
		if c.Mem.ReadVirt(addr, buf) != nil {
			return ErrUnmapped
		}
		return nil
	}
	if !readGuest(c.Mem.Space, addr, buf) {
		return ErrUnmapped
	}
	return nil
}

// Host is a plugin's access to gemu: the log and facts about the guest.
// It stays valid for the whole run.
type Host struct {
	name string
	arch string
	log  *logWriter
	mgr  *Manager
}

// InsnCount returns the number of guest instructions executed so far by
// every vCPU, when some plugin set Hooks.CountInsns (0 otherwise).
func (h *Host) InsnCount() uint64 {
	var n uint64
	if h.mgr != nil {
		n = h.mgr.retired
		for _, c := range h.mgr.cpus {
			n += c.Icount
		}
	}
	return n
}

// Name returns the plugin's name (its path for a file plugin).
func (h *Host) Name() string { return h.name }

// Arch returns the guest architecture: "i386" or "x86_64".
func (h *Host) Arch() string { return h.arch }

// Write appends p to gemu's log (the -D file, or stderr) in one piece,
// never interleaved with another writer's text. It does not allocate.
func (h *Host) Write(p []byte) (int, error) { return h.log.Write(p) }

// Log returns the stream under the log, the writer given to
// Manager.Load. A loader that writes to the log without Go (C plugins,
// gemu/plugin/cplugin) needs it to be gemu's own (internal/logbuf), which
// it can reach from C.
func (h *Host) Log() io.Writer { return h.log.w }

// Logf formats like fmt.Printf and appends the text to the log in one
// piece. No newline is added.
func (h *Host) Logf(format string, args ...any) {
	h.log.Write(fmt.Appendf(nil, format, args...))
}

// SyscallName returns the Linux name of system call num in the guest's
// ABI ("write" is 4 on i386 and 1 on x86-64), or "" for an unknown number.
func (h *Host) SyscallName(num int64) string {
	if num < 0 || num > math.MaxInt32 {
		return ""
	}
	if h.arch == "x86_64" {
		return abi.Names64[int(num)]
	}
	return abi.Names32[int(num)]
}

// logWriter serializes writes to the shared log so that each call's text
// stays in one piece.
type logWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *logWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	n, err := l.w.Write(p)
	l.mu.Unlock()
	return n, err
}
