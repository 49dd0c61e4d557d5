package linux

import (
	"os"
	"runtime"
	"syscall"
	"time"
	"unsafe"

	"gemu/internal/linux/abi"
)

// Signal system calls: dispositions, masks, the alternate stack, sending
// signals (to the guest itself, or to other host processes), waiting for
// them, and returning from handlers. Generation and delivery are in
// signal_deliver.go, frames in signal_frame.go, timers in signal_timer.go.

func init() {
	reg(sysRtSigaction, "rt_sigaction")
	reg(sysSigaction, "sigaction")
	reg(sysSignal, "signal")
	reg(sysRtSigprocmask, "rt_sigprocmask")
	reg(sysSigprocmask, "sigprocmask")
	reg(sysSigaltstack, "sigaltstack")
	reg(sysRtSigreturn, "rt_sigreturn")
	reg(sysSigreturn, "sigreturn")
	reg(sysKill, "kill")
	reg(sysTgkill, "tgkill")
	reg(sysTkill, "tkill")
	reg(sysRtSigpending, "rt_sigpending")
	reg(sysSigpending, "sigpending")
	reg(sysRtSigqueueinfo, "rt_sigqueueinfo")
	reg(sysRtTgsigqueueinfo, "rt_tgsigqueueinfo")
	reg(sysRtSigsuspend, "rt_sigsuspend")
	reg(sysSigsuspend, "sigsuspend")
	reg(sysPause, "pause")
	reg(func(p *Process, a *[6]uint64) int64 { return p.rtSigtimedwait(a, p.w == 8) }, "rt_sigtimedwait")
	reg(func(p *Process, a *[6]uint64) int64 { return p.rtSigtimedwait(a, true) }, "rt_sigtimedwait_time64")
	reg(sysRestartSyscall, "restart_syscall")

	for name, spec := range map[string]string{
		"rt_sigreturn": "", "sigreturn": "", "pause": "", "rt_sigsuspend": "p,u", "sigsuspend": "d,d,x",
		"rt_sigpending": "p,u", "sigpending": "p", "rt_sigqueueinfo": "d,S,p", "rt_tgsigqueueinfo": "d,d,S,p",
		"rt_sigtimedwait": "p,p,p,u", "rt_sigtimedwait_time64": "p,p,p,u", "sigaction": "S,p,p",
		"sigprocmask": "d,p,p", "signal": "S,p", "setitimer": "d,p,p", "getitimer": "d,p", "alarm": "u",
	} {
		straceSpec[name] = spec
	}
}

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
	prev := p.sig.act[sig]
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
		p.sig.act[sig] = sa
		p.syncHostIgnore(sig)
		// POSIX: setting a pending signal to be ignored discards it.
		if p.ignored(sig) {
			p.sig.pending &^= sigBit(sig)
			p.sig.queue[sig] = nil
		}
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
	old := p.sig.act[sig].Handler
	// SA_ONESHOT | SA_NOMASK, as the kernel does.
	p.sig.act[sig] = abi.Sigaction{Handler: a[1] & 0xffffffff, Flags: saResethand | saNodefer}
	p.syncHostIgnore(sig)
	if p.ignored(sig) {
		p.sig.pending &^= sigBit(sig)
		p.sig.queue[sig] = nil
	}
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
// sigprocmask (size 4), which changes only the first 32 signals. A signal
// it unblocks is delivered as the call returns.
func (p *Process) sigprocmask(how int, set, oset uint64, size int) int64 {
	old := p.sig.mask
	if set != 0 {
		b, e := p.readMem(set, size)
		if e != 0 {
			return e
		}
		var m uint64
		if size == 8 {
			m = le64(b)
		} else {
			m = uint64(le32(b))
		}
		switch how {
		case abi.SIG_BLOCK:
			p.setMask(old | m)
		case abi.SIG_UNBLOCK:
			p.setMask(old &^ m)
		case abi.SIG_SETMASK:
			if size == 4 {
				m |= old &^ 0xffffffff
			}
			p.setMask(m)
		default:
			return -abi.EINVAL
		}
	}
	if oset != 0 {
		b := make([]byte, 8)
		putLE64(b, old)
		if e := p.writeMem(oset, b[:size]); e != 0 {
			return e
		}
	}
	return 0
}

func sysRtSigpending(p *Process, a *[6]uint64) int64 {
	size := p.ulong(a[1])
	if size > 8 {
		return -abi.EINVAL
	}
	p.mergeAsync()
	b := make([]byte, 8)
	putLE64(b, p.pendingHere()&p.sig.mask)
	return p.writeMem(a[0], b[:size])
}

// sysSigpending is i386's sigpending: the first 32 signals.
func sysSigpending(p *Process, a *[6]uint64) int64 {
	p.mergeAsync()
	b := make([]byte, 8)
	putLE64(b, p.pendingHere()&p.sig.mask)
	return p.writeMem(a[0], b[:4])
}

func sysSigaltstack(p *Process, a *[6]uint64) int64 {
	c := p.CPU
	sp := c.R[4] & c.AddrMask
	as := p.sig.altstack
	old := p.w.Encode(as.sp, 0, as.size)
	le32put(old[int(p.w):], uint32(p.sasFlags(sp)|as.flags&ssAutodisarm))
	if a[0] != 0 {
		b, e := p.readMem(a[0], 3*int(p.w)) // ss_sp, ss_flags (int, padded on x86-64), ss_size
		if e != 0 {
			return e
		}
		ss := [3]uint64{p.w.Get(b, 0), uint64(le32(b[int(p.w):])), p.w.Get(b, 2)}
		if e := p.setAltstack(ss, sp); e != 0 {
			return e
		}
	}
	if a[1] != 0 {
		return p.writeMem(a[1], old)
	}
	return 0
}

func le32put(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

func sysKill(p *Process, a *[6]uint64) int64 {
	pid, sig := sint(a[0]), int(sint(a[1]))
	if sig < 0 || sig >= abi.NSIG {
		return -abi.EINVAL
	}
	if pid == int64(p.pid) {
		return p.raise(sig, siUser)
	}
	if pid == -1 {
		p.unimpf("gemu: kill(-1, %d) refused\n", sig)
		return -abi.EPERM
	}
	if pid == 0 || pid < 0 && -pid == int64(syscall.Getpgrp()) {
		return p.killOwnGroup(pid, sig)
	}
	return host(syscall.SYS_KILL, uintptr(pid), uintptr(sig))
}

// killOwnGroup sends sig to the process group gemu is in (pid 0 or minus
// its number): the host sends it to every process there, gemu included;
// the guest has its own copy queued at once, as the kernel delivers it
// before kill returns, and the copy gemu receives is dropped
// (hostSigInfo). SIGKILL, SIGSTOP and SIGCONT act on gemu itself through
// the host.
func (p *Process) killOwnGroup(pid int64, sig int) int64 {
	viaHost := hostCaught(sig)
	local := sig != 0 && sig != abi.SIGKILL && sig != abi.SIGSTOP
	if local && viaHost {
		hostSignals.selfSent[sig].Add(1)
	}
	r := host(syscall.SYS_KILL, uintptr(pid), uintptr(sig))
	if r < 0 {
		if local && viaHost {
			hostSignals.selfSent[sig].Add(-1)
		}
		return r
	}
	if local {
		p.raise(sig, siUser)
	}
	return r
}

func sysTgkill(p *Process, a *[6]uint64) int64 {
	tgid, tid, sig := sint(a[0]), sint(a[1]), int(sint(a[2]))
	if sig < 0 || sig >= abi.NSIG || tgid <= 0 || tid <= 0 {
		return -abi.EINVAL
	}
	if tgid == int64(p.pid) && p.isThread(tid) {
		return p.raiseTo(sig, siTkill, tid)
	}
	return -abi.ESRCH
}

func sysTkill(p *Process, a *[6]uint64) int64 {
	tid, sig := sint(a[0]), int(sint(a[1]))
	if sig < 0 || sig >= abi.NSIG || tid <= 0 {
		return -abi.EINVAL
	}
	if p.isThread(tid) {
		return p.raiseTo(sig, siTkill, tid)
	}
	return -abi.ESRCH
}

// raise sends sig to the guest itself with si_code code (SI_USER for
// kill, SI_TKILL for tkill and tgkill); it is delivered when the system
// call returns.
func (p *Process) raise(sig int, code int32) int64 {
	if sig == 0 {
		return 0
	}
	p.queueSignal(p.userInfo(sig, code))
	return 0
}

func sysRtSigqueueinfo(p *Process, a *[6]uint64) int64 {
	return p.sigqueueinfo(sint(a[0]), sint(a[0]), int(sint(a[1])), a[2], false)
}

func sysRtTgsigqueueinfo(p *Process, a *[6]uint64) int64 {
	if sint(a[0]) <= 0 || sint(a[1]) <= 0 {
		return -abi.EINVAL
	}
	return p.sigqueueinfo(sint(a[0]), sint(a[1]), int(sint(a[2])), a[3], true)
}

// sigqueueinfo sends sig with the guest's siginfo at uinfo (sigqueue).
// To itself the siginfo is queued as given; to another process it is
// converted and sent by the host, which allows only negative si_codes
// there, like Linux. toThread (rt_tgsigqueueinfo) directs it at thread tid
// alone.
func (p *Process) sigqueueinfo(tgid, tid int64, sig int, uinfo uint64, toThread bool) int64 {
	if sig < 0 || sig >= abi.NSIG {
		return -abi.EINVAL
	}
	b, e := p.readMem(uinfo, siginfoSize)
	if e != 0 {
		return e
	}
	code, pid, uid, value := decodeGuestInfo(p.w, b)
	if tgid == int64(p.pid) && p.isThread(tid) {
		if sig == 0 {
			return 0
		}
		si := sigInfo{signo: int32(sig), layout: silRaw, raw: b, code: code, pid: pid, uid: uid, value: value}
		if toThread {
			// For that thread alone, as tgkill's (pthread_sigqueue).
			p.directTo(&si, tid)
		}
		if p.queueSignal(si) && si.tid != 0 {
			p.notifyThread(si.tid)
		}
		return 0
	}
	if code >= 0 || code == siTkill {
		return -abi.EPERM
	}
	si := newSigInfo(sig, code)
	si.pid, si.uid, si.value = pid, uid, value
	h := hbuf(siginfoSize)
	si.encode(8, h)
	return host(syscall.SYS_RT_SIGQUEUEINFO, uintptr(tgid), uintptr(sig), uintptr(ptr(h)))
}

// sigsuspend replaces the mask with m until a signal is delivered; the
// handler's frame saves the old mask, so returning from it restores it.
func (p *Process) sigsuspend(m uint64) int64 {
	p.sig.savedMask = p.sig.mask
	p.sig.restoreMask = true
	p.setMask(m)
	p.waitSignal(0, 0)
	return -abi.EINTR
}

func sysRtSigsuspend(p *Process, a *[6]uint64) int64 {
	if p.ulong(a[1]) != 8 {
		return -abi.EINVAL
	}
	b, e := p.readMem(a[0], 8)
	if e != 0 {
		return e
	}
	return p.sigsuspend(le64(b))
}

// sysSigsuspend is i386's sigsuspend(int, int, old_sigset_t mask).
func sysSigsuspend(p *Process, a *[6]uint64) int64 {
	return p.sigsuspend(a[2] & 0xffffffff)
}

func sysPause(p *Process, a *[6]uint64) int64 {
	p.waitSignal(0, 0)
	return -abi.EINTR
}

// sysRestartSyscall is restart_syscall, which the kernel's restart blocks
// use; gemu never sets one up, so it fails as do_no_restart_syscall does.
func sysRestartSyscall(p *Process, a *[6]uint64) int64 { return -abi.EINTR }

// sysRtSigtimedwait waits for one of the signals in a set and takes it
// without running its handler (sigwaitinfo, sigtimedwait). A signal
// outside the set that the mask lets through ends the wait with EINTR.
// rtSigtimedwait is rt_sigtimedwait; t64 says its timeout has 64-bit
// fields (x86-64, or i386's rt_sigtimedwait_time64).
func (p *Process) rtSigtimedwait(a *[6]uint64, t64 bool) int64 {
	if p.ulong(a[3]) != 8 {
		return -abi.EINVAL
	}
	b, e := p.readMem(a[0], 8)
	if e != 0 {
		return e
	}
	set := le64(b) &^ unblockable
	var deadline int64
	poll := false
	if a[2] != 0 {
		ts, e := p.timespecs(a[2], 1, t64)
		if e != 0 {
			return e
		}
		t := abi.DecodeTimespec(8, ts)
		if t.Sec < 0 || t.Nsec < 0 || t.Nsec >= 1e9 {
			return -abi.EINVAL
		}
		d := time.Duration(t.Sec)*time.Second + time.Duration(t.Nsec)
		poll = d == 0
		deadline = time.Now().Add(d).UnixNano()
	}
	for {
		p.mergeAsync()
		sig := p.nextSignal(set)
		if sig == 0 {
			if poll {
				return -abi.EAGAIN
			}
			p.waitSignal(set, deadline)
			if sig = p.nextSignal(set); sig == 0 {
				if p.hasDeliverable() {
					return -abi.EINTR
				}
				return -abi.EAGAIN
			}
		}
		si := p.dequeue(sig)
		if si.signo == 0 {
			continue // a stale POSIX timer's signal, dropped
		}
		if a[1] != 0 {
			ib := make([]byte, siginfoSize)
			si.encode(p.w, ib)
			if e := p.writeMem(a[1], ib); e != 0 {
				return e
			}
		}
		return int64(sig)
	}
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
