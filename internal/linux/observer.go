package linux

import "gemu/internal/x86"

// Plugins see a fork-like system call return twice. The parent's return
// goes through Syscall like any other; the new thread's (threads.go) and
// the forked child's (sys_fork.go, reported by cmd/gemu once the child's
// plugins are loaded) are reported here, with 0, before the new thread or
// process runs its first instruction.

// callNumber is the number of the system call the CPU is in, as Syscall
// read it from eax/rax before the handler ran.
func (t *Thread) callNumber(c *x86.CPU) uint64 {
	if t.gate == x86.GateSyscall {
		return c.R[x86.RAX]
	}
	return c.R[x86.RAX] & 0xffffffff
}

// observeChildReturn tells the observer that system call nr returned 0 on
// c, a new thread or the CPU of a forked child.
func (p *Process) observeChildReturn(c *x86.CPU, nr uint64) {
	if obs := p.opts.Observer; obs != nil {
		obs.SyscallExit(c, nr, 0)
	}
}

// ReportForkReturn tells the observer that the fork, vfork or clone this
// forked child comes from returned 0 in it. cmd/gemu calls it once, after
// the child's plugins are loaded and before the guest runs; it does
// nothing in a process that is not a forked child.
func (t *Thread) ReportForkReturn() {
	if nr := t.fork.childCall; nr != nil {
		t.fork.childCall = nil
		t.observeChildReturn(t.CPU, *nr)
	}
}
