package linux

import (
	"fmt"
	"os"
	"runtime"
	"syscall"
	"time"
	"unsafe"

	"gemu/internal/linux/abi"
	"gemu/internal/x86"
)

// Signals. gemu records the guest's signal dispositions, mask and
// alternate stack, but does not yet deliver signals to guest handlers: a
// signal that would run a handler ends the guest as its default action
// would, with a note under -d unimp.

func init() {
	reg(sysRtSigaction, "rt_sigaction")
	reg(sysSigaction, "sigaction")
	reg(sysSignal, "signal")
	reg(sysRtSigprocmask, "rt_sigprocmask")
	reg(sysSigprocmask, "sigprocmask")
	reg(sysSigaltstack, "sigaltstack")
	reg(func(p *Process, a *[6]uint64) int64 {
		p.unimpf("gemu: %s is not supported yet\n", p.curName)
		return -abi.ENOSYS
	}, "rt_sigreturn", "sigreturn")
	reg(sysKill, "kill")
	reg(sysTgkill, "tgkill")
	reg(sysTkill, "tkill")
	reg(sysRtSigpending, "rt_sigpending")
}

// sigBit is the mask bit of signal sig.
func sigBit(sig int) uint64 { return 1 << (sig - 1) }

// unblockable are SIGKILL and SIGSTOP, which no mask can hold.
var unblockable = sigBit(abi.SIGKILL) | sigBit(abi.SIGSTOP)

func sysRtSigaction(p *Process, a *[6]uint64) int64 {
	if p.ulong(a[3]) != 8 {
		return -abi.EINVAL
	}
	return p.sigaction(int(sint(a[0])), a[1], a[2], false)
}

// sigaction implements rt_sigaction (old=false) and i386's old sigaction,
// whose struct is {handler, mask (32 bits), flags, restorer}.
func (p *Process) sigaction(sig int, act, oact uint64, old bool) int64 {
	if sig < 1 || sig >= abi.NSIG {
		return -abi.EINVAL
	}
	prev := p.sigact[sig]
	if act != 0 {
		if sig == abi.SIGKILL || sig == abi.SIGSTOP {
			return -abi.EINVAL
		}
		var sa abi.Sigaction
		if old {
			b, e := p.readMem(act, 16)
			if e != 0 {
				return e
			}
			sa = abi.Sigaction{Handler: uint64(le32(b)), Mask: uint64(le32(b[4:])), Flags: uint64(le32(b[8:])), Restorer: uint64(le32(b[12:]))}
		} else {
			b, e := p.readMem(act, abi.SigactionSize(p.w))
			if e != 0 {
				return e
			}
			sa = abi.DecodeSigaction(p.w, b)
		}
		sa.Mask &^= unblockable
		p.sigact[sig] = sa
	}
	if oact != 0 {
		var b []byte
		if old {
			b = abi.Words(4).Encode(prev.Handler, prev.Mask&0xffffffff, prev.Flags, prev.Restorer)
		} else {
			b = prev.Encode(p.w)
		}
		if e := p.writeMem(oact, b); e != 0 {
			return e
		}
	}
	return 0
}

func sysSigaction(p *Process, a *[6]uint64) int64 {
	return p.sigaction(int(sint(a[0])), a[1], a[2], true)
}

// sysSignal is i386's signal(2): set a handler and return the old one.
func sysSignal(p *Process, a *[6]uint64) int64 {
	sig := int(sint(a[0]))
	if sig < 1 || sig >= abi.NSIG || sig == abi.SIGKILL || sig == abi.SIGSTOP {
		return -abi.EINVAL
	}
	old := p.sigact[sig].Handler
	// SA_ONESHOT | SA_NOMASK, as the kernel does.
	p.sigact[sig] = abi.Sigaction{Handler: a[1], Flags: 0x80000000 | 0x40000000}
	return int64(old)
}

func sysRtSigprocmask(p *Process, a *[6]uint64) int64 {
	if p.ulong(a[3]) != 8 {
		return -abi.EINVAL
	}
	return p.sigprocmask(int(sint(a[0])), a[1], a[2], 8)
}

func sysSigprocmask(p *Process, a *[6]uint64) int64 {
	return p.sigprocmask(int(sint(a[0])), a[1], a[2], 4)
}

// sigprocmask implements rt_sigprocmask (size 8) and the old 32-bit
// sigprocmask (size 4). Unblocking a pending signal acts on it.
func (p *Process) sigprocmask(how int, set, oset uint64, size int) int64 {
	old := p.sigmask
	if set != 0 {
		b, e := p.readMem(set, size)
		if e != 0 {
			return e
		}
		var m uint64
		if size == 8 {
			m = le64(b)
		} else {
			m = uint64(le32(b)) | old&^0xffffffff
		}
		switch how {
		case abi.SIG_BLOCK:
			p.sigmask |= m
		case abi.SIG_UNBLOCK:
			p.sigmask &^= m
		case abi.SIG_SETMASK:
			p.sigmask = m
		default:
			return -abi.EINVAL
		}
		p.sigmask &^= unblockable
	}
	if oset != 0 {
		b := make([]byte, 8)
		putLE64(b, old)
		if e := p.writeMem(oset, b[:size]); e != 0 {
			return e
		}
	}
	p.deliverPending()
	return 0
}

func sysRtSigpending(p *Process, a *[6]uint64) int64 {
	size := p.ulong(a[1])
	if size > 8 {
		return -abi.EINVAL
	}
	b := make([]byte, 8)
	putLE64(b, p.pending&p.sigmask)
	return p.writeMem(a[0], b[:size])
}

func sysSigaltstack(p *Process, a *[6]uint64) int64 {
	n := 3 * int(p.w) // ss_sp, ss_flags (int, padded on x86-64), ss_size
	if a[0] != 0 {
		b, e := p.readMem(a[0], n)
		if e != 0 {
			return e
		}
		ss := [3]uint64{p.w.Get(b, 0), p.w.Get(b, 1) & 0xffffffff, p.w.Get(b, 2)}
		const ssDisable, ssAutodisarm = 2, 1 << 31
		if ss[1]&^(ssDisable|ssAutodisarm) != 0 {
			return -abi.EINVAL
		}
		if ss[1]&ssDisable == 0 && ss[2] < minSigStackSize {
			return -abi.ENOMEM
		}
		if a[1] != 0 {
			if e := p.writeMem(a[1], p.w.Encode(p.altstack[0], p.altstack[1], p.altstack[2])); e != 0 {
				return e
			}
		}
		p.altstack = ss
		return 0
	}
	if a[1] != 0 {
		flags := p.altstack[1]
		if p.altstack[2] == 0 {
			flags = 2 // SS_DISABLE
		}
		return p.writeMem(a[1], p.w.Encode(p.altstack[0], flags, p.altstack[2]))
	}
	return 0
}

// self reports whether pid names the guest process itself.
func (p *Process) self(pid int64) bool { return pid == int64(p.pid) || pid == 0 }

func sysKill(p *Process, a *[6]uint64) int64 {
	pid, sig := sint(a[0]), int(sint(a[1]))
	if sig < 0 || sig >= abi.NSIG {
		return -abi.EINVAL
	}
	if p.self(pid) || pid == -int64(p.pid) {
		return p.raise(sig)
	}
	if pid == -1 {
		p.unimpf("gemu: kill(-1, %d) refused\n", sig)
		return -abi.EPERM
	}
	return host(syscall.SYS_KILL, uintptr(pid), uintptr(sig))
}

func sysTgkill(p *Process, a *[6]uint64) int64 {
	tgid, tid, sig := sint(a[0]), sint(a[1]), int(sint(a[2]))
	if sig < 0 || sig >= abi.NSIG || tgid <= 0 || tid <= 0 {
		return -abi.EINVAL
	}
	if tgid == int64(p.pid) && tid == int64(p.pid) {
		return p.raise(sig)
	}
	return -abi.ESRCH
}

func sysTkill(p *Process, a *[6]uint64) int64 {
	tid, sig := sint(a[0]), int(sint(a[1]))
	if sig < 0 || sig >= abi.NSIG || tid <= 0 {
		return -abi.EINVAL
	}
	if tid == int64(p.pid) {
		return p.raise(sig)
	}
	return -abi.ESRCH
}

// raise sends sig to the guest itself.
func (p *Process) raise(sig int) int64 {
	if sig == 0 {
		return 0
	}
	if sig != abi.SIGKILL && sig != abi.SIGSTOP && p.sigmask&sigBit(sig) != 0 {
		p.pending |= sigBit(sig)
		return 0
	}
	p.act(sig, fmt.Sprintf("%s sent to itself", abi.SignalName(sig)))
	return 0
}

// deliverPending acts on pending signals that are no longer blocked.
func (p *Process) deliverPending() {
	for sig := 1; sig < abi.NSIG && !p.CPU.Exited; sig++ {
		if p.pending&sigBit(sig) != 0 && p.sigmask&sigBit(sig) == 0 {
			p.pending &^= sigBit(sig)
			p.act(sig, fmt.Sprintf("pending %s unblocked", abi.SignalName(sig)))
		}
	}
}

// act carries out a signal's disposition for an asynchronous signal.
func (p *Process) act(sig int, why string) {
	h := p.sigact[sig].Handler
	switch {
	case sig == abi.SIGKILL:
	case h == abi.SIG_IGN:
		return
	case h != abi.SIG_DFL:
		p.unimpf("gemu: delivery of %s to the guest handler at %#x is not supported yet: terminating\n", abi.SignalName(sig), h)
	default:
		switch abi.DefaultAction(sig) {
		case abi.DefIgnore, abi.DefCont:
			return
		case abi.DefStop:
			// Stop gemu itself; the parent can continue it.
			p.flushLog()
			host(syscall.SYS_KILL, uintptr(p.pid), uintptr(sig))
			return
		}
	}
	p.terminate(sig, why)
}

// terminate ends the guest by a fatal signal.
func (p *Process) terminate(sig int, why string) {
	if p.opts.LogFaults || p.opts.LogUnimp {
		p.logf("gemu: guest %s: terminated by %s\n", why, abi.SignalName(sig))
	}
	p.syncSharedOut()
	p.termSig = sig
	p.CPU.Exited = true
	p.CPU.Stop = true
}

// sigpipe acts on a write that found no reader, which raises SIGPIPE.
func (p *Process) sigpipe() {
	p.raise(abi.SIGPIPE)
}

// trapSignal maps a CPU exception to the signal Linux sends for it.
func trapSignal(t *x86.Trap) int {
	switch t.Kind {
	case x86.TrapPage, x86.TrapGP, x86.TrapInt, x86.TrapOverflow:
		return abi.SIGSEGV
	case x86.TrapInvalidOp:
		return abi.SIGILL
	case x86.TrapDivide, x86.TrapFPU, x86.TrapSIMD:
		return abi.SIGFPE
	case x86.TrapBreakpoint, x86.TrapDebug:
		return abi.SIGTRAP
	case x86.TrapAlign:
		return abi.SIGBUS
	}
	return abi.SIGSEGV
}

// HandleFault is the engine's fault handler: a CPU exception becomes the
// signal Linux would send. Synchronous signals cannot be ignored or
// blocked; without handler delivery every one ends the guest.
func (p *Process) HandleFault(c *x86.CPU, t *x86.Trap) {
	sig := trapSignal(t)
	if t.Kind == x86.TrapPage && t.Mem != nil && p.isBusPage(t.Mem.Addr) {
		sig = abi.SIGBUS
	}
	desc := fmt.Sprintf("fault: %s at pc %#x", abi.SignalName(sig), c.RIP)
	if t.Kind == x86.TrapPage {
		addr := t.Addr
		if t.Mem != nil {
			addr = t.Mem.Addr
		}
		desc += fmt.Sprintf(" (address %#x)", addr)
	}
	if h := p.sigact[sig].Handler; h != abi.SIG_DFL && h != abi.SIG_IGN {
		p.unimpf("gemu: delivery of %s to the guest handler at %#x is not supported yet: terminating\n", abi.SignalName(sig), h)
	}
	if p.opts.LogFaults || p.opts.LogUnimp {
		p.logf("gemu: guest %s\n", desc)
	}
	// The kernel keeps what was written through shared mappings.
	p.syncSharedOut()
	p.termSig = sig
	c.Exited = true
	c.Stop = true
}

// DieBySignal terminates gemu by signal sig, so that its parent sees the
// guest's termination (a shell reports 128+sig), without a core file. The
// Go runtime has handlers for most signals, so the default disposition is
// restored with a raw rt_sigaction, the signal unblocked on this thread,
// and then sent to this thread. It does not return.
func DieBySignal(sig int) {
	runtime.LockOSThread()
	var rl syscall.Rlimit
	syscall.Setrlimit(syscall.RLIMIT_CORE, &rl)
	var sa [4]uint64 // handler SIG_DFL, flags, restorer, mask
	syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&sa)), 0, 8, 0, 0)
	mask := sigBit(sig)
	syscall.RawSyscall6(syscall.SYS_RT_SIGPROCMASK, abi.SIG_UNBLOCK, uintptr(unsafe.Pointer(&mask)), 0, 8, 0, 0)
	pid, _, _ := syscall.RawSyscall(syscall.SYS_GETPID, 0, 0, 0)
	tid, _, _ := syscall.RawSyscall(syscall.SYS_GETTID, 0, 0, 0)
	syscall.RawSyscall(syscall.SYS_TGKILL, pid, tid, uintptr(sig))
	time.Sleep(100 * time.Millisecond)
	os.Exit(128 + sig)
}
