package cplugin

/*
#include "cplugin.h"
*/
import "C"

import (
	"unsafe"

	"gemu/internal/ccall"
	"gemu/internal/x86"
)

// The direct path: how gemu calls into a C plugin while the guest runs.
//
// cgo's call into C costs ~30 ns, more than most callbacks take. While the
// guest runs, gemu instead calls the plugin through ccall.Call, which
// switches the stack pointer to a stack of the vCPU's own, outside the Go
// heap, and calls a C trampoline (qemulib.c) like any C caller would:
// about 4 ns. The rules that come with it (gemu/internal/ccall):
//
//   - The C code on this path never calls into Go: the qemulib_*
//     functions a callback uses are C, working on state the Go side keeps
//     where C can read it (the vCPU's register block, the guest page
//     directory, the log's shared buffer).
//   - The goroutine stays on its OS thread (vCPU goroutines are locked to
//     theirs), so a plugin's __thread variables are per vCPU.
//   - While a callback runs its goroutine cannot be stopped: a callback
//     that runs long delays the garbage collector's stop-the-world by as
//     long. Callbacks should be short.
//
// plugin_init and plugin_exit, which run once and may do anything, stay on
// cgo.

// vcpu is a vCPU as the direct path knows it: its C stack and the C
// record (struct gemu_vcpu, at the stack's top) the trampolines and
// qemulib_* read.
type vcpu struct {
	cpu   *x86.CPU // the vCPU it is the record of
	stack *ccall.Stack
	sp    uintptr             // the stack's top
	r     *C.struct_gemu_vcpu // in the top region
}

// rec is the address of the C record, as a ccall.Call argument.
func (v *vcpu) rec() uintptr { return uintptr(unsafe.Pointer(v.r)) }

// attach records where c's state is, for qemulib_* in C: its register
// block and the register table that applies (user or system mode), and
// its address space's page directory (user mode) or the machine's RAM
// (system mode, read through the guest's page tables), all outside the Go
// heap and fixed for the CPU's life.
func (v *vcpu) attach(c *x86.CPU) {
	v.cpu = c
	v.r.regs = C.uintptr_t(c.RegsAddr())
	v.r.regmap = regmapOf(c)
	if c.Mem != nil && c.Mem.Space.Phys() != nil {
		p := c.Mem.Space.Phys()
		if ram := p.RAM(); len(ram) > 0 {
			v.r.ram = C.uintptr_t(uintptr(unsafe.Pointer(&ram[0])))
			v.r.ram_size = C.uint64_t(len(ram))
		}
		v.r.phys_bits = C.int(p.AddrBits)
	} else if c.Mem != nil {
		levels, bits := c.Mem.Space.DirLayout()
		v.r.dir = C.uintptr_t(c.Mem.Space.Directory())
		v.r.dir_levels, v.r.dir_bits = C.int(levels), C.int(bits)
	}
}

// newVCPU maps a C stack and its record for the vCPU with the given
// plugin handle.
func newVCPU(handle uintptr) (*vcpu, error) {
	s, err := ccall.NewStack()
	if err != nil {
		return nil, err
	}
	lo, top := s.Bounds()
	v := &vcpu{stack: s, sp: top, r: (*C.struct_gemu_vcpu)(s.Top())}
	v.r.handle = C.uintptr_t(handle)
	v.r.stack_lo = C.uintptr_t(lo)
	v.r.stack_hi = C.uintptr_t(top)
	return v, nil
}

// free unmaps the stack; no call may be running on it, nor start.
func (v *vcpu) free() { v.stack.Free() }
