package linux

import (
	"encoding/binary"

	"gemu/internal/linux/abi"
	"gemu/internal/mem"
	"gemu/internal/x86"
)

// The x86-64 legacy vsyscall page. Linux keeps a page at a fixed address
// above the user address space, 0xffffffffff600000, whose three entries
// (gettimeofday at +0, time at +0x400, getcpu at +0x800) old programs call
// directly. Current kernels offer it execute-only (vsyscall=xonly): the
// page is not readable, and a call into it faults and is emulated by the
// kernel, which does the system call and the entry's ret. gemu does the
// same: the page lies past the guest's address space, so a jump there is
// an instruction fetch fault, which HandleFault hands to vsyscall before
// turning it into a signal. i386 has no vsyscall page.

// vsyscallAddr is the address of the x86-64 vsyscall page.
const vsyscallAddr = 0xffffffffff600000

// userTop is one past the highest user address the kernel's access_ok
// accepts on x86-64 (TASK_SIZE_MAX).
const userTop = 0x7ffffffff000

// vsyscall emulates a call to the vsyscall page if trap is the fetch
// fault of one, as the kernel's emulate_vsyscall does: a jump to an
// entry does the entry's system call with the guest's rdi and rsi and
// returns to the address on the stack; a jump elsewhere in the page, a
// stack that cannot be read or a system call that fails with EFAULT
// raise SIGSEGV (SI_KERNEL); a pointer argument outside the user address
// range raises SIGSEGV (SEGV_MAPERR) at that pointer. It reports whether
// it handled the trap; the signal it may have queued is the caller's to
// deliver.
func (t *Thread) vsyscall(c *x86.CPU, trap *x86.Trap) bool {
	f := trap.Mem
	if t.w != 8 || trap.Kind != x86.TrapPage || f == nil || f.Access != mem.AccExec ||
		f.Addr&^(pageSize-1) != vsyscallAddr || f.Addr != c.RIP {
		return false
	}
	segv := func(code int32, addr uint64) bool {
		si := newSigInfo(abi.SIGSEGV, code)
		si.addr = addr
		t.forceSignal(si)
		return true
	}
	type arg struct{ ptr, size uint64 }
	var name string
	var args []arg
	switch f.Addr - vsyscallAddr {
	case 0:
		name, args = "gettimeofday", []arg{{c.R[x86.RDI], 16}, {c.R[x86.RSI], 8}}
	case 0x400:
		name, args = "time", []arg{{c.R[x86.RDI], 8}}
	case 0x800:
		name, args = "getcpu", []arg{{c.R[x86.RDI], 4}, {c.R[x86.RSI], 4}}
	default:
		return segv(siKernel, 0)
	}
	var ret [8]byte
	if t.Mem.Read(c.R[x86.RSP], ret[:]) != nil {
		return segv(siKernel, 0)
	}
	for _, a := range args {
		if a.ptr+a.size < a.ptr || a.ptr+a.size > userTop {
			t.trapNo, t.cr2, t.errCode = trapPF, a.ptr, 6 // user-mode write
			return segv(segvMaperr, a.ptr)
		}
	}
	// getcpu's third argument (its cache) is passed as 0, as the kernel does.
	regs := [6]uint64{c.R[x86.RDI], c.R[x86.RSI]}
	r := handlers[name](t, &regs)
	if r == -abi.EFAULT {
		return segv(siKernel, 0)
	}
	c.R[x86.RAX] = uint64(r)
	c.RIP = binary.LittleEndian.Uint64(ret[:])
	c.R[x86.RSP] += 8
	return true
}
