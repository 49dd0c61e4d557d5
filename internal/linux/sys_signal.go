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
	reg(func(t *Thread, a *[6]uint64) int64 { return t.rtSigtimedwait(a, t.w == 8) }, "rt_sigtimedwait")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.rtSigtimedwait(a, true) }, "rt_sigtimedwait_time64")
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

func sysRtSigaction(t *Thread, a *[6]uint64) int64 {
	if t.ulong(a[3]) != 8 {
		return -abi.EINVAL
	}
	return t.sigaction(int(sint(a[0])), a[1], a[2], false)
}

// sigaction implements rt_sigaction (old=false) and i386's old sigaction,
// whose struct is {handler, mask (32 bits), flags, restorer}.
func (t *Thread) sigaction(sig int, act, oact uint64, old bool) int64 {
	if sig < 1 || sig >= abi.NSIG {
		return -abi.EINVAL
	}
	prev := t.sig.act[sig]
	if act != 0 {
		if sig == abi.SIGKILL || sig == abi.SIGSTOP {
			return -abi.EINVAL
		}
		var sa abi.Sigaction
		if old {
			b, e := t.readMem(act, 16)
			if e != 0 {
				return e
			}
			sa = abi.Sigaction{Handler: uint64(le32(b)), Mask: uint64(le32(b[4:])), Flags: uint64(le32(b[8:])), Restorer: uint64(le32(b[12:]))}
		} else {
			b, e := t.readMem(act, abi.SigactionSize(t.w))
			if e != 0 {
				return e
			}
			sa = abi.DecodeSigaction(t.w, b)
		}
		sa.Mask &^= unblockable
		t.sig.act[sig] = sa
		t.syncHostIgnore(sig)
		// POSIX: setting a pending signal to be ignored discards it.
		if t.ignored(sig) {
			t.discardPending(sig)
		}
	}
	if oact != 0 {
		var b []byte
		if old {
			b = abi.Words(4).Encode(prev.Handler, prev.Mask&0xffffffff, prev.Flags, prev.Restorer)
		} else {
			b = prev.Encode(t.w)
		}
		if e := t.writeMem(oact, b); e != 0 {
			return e
		}
	}
	return 0
}

func sysSigaction(t *Thread, a *[6]uint64) int64 {
	return t.sigaction(int(sint(a[0])), a[1], a[2], true)
}

// sysSignal is i386's signal(2): set a handler and return the old one.
func sysSignal(t *Thread, a *[6]uint64) int64 {
	sig := int(sint(a[0]))
	if sig < 1 || sig >= abi.NSIG || sig == abi.SIGKILL || sig == abi.SIGSTOP {
		return -abi.EINVAL
	}
	old := t.sig.act[sig].Handler
	// SA_ONESHOT | SA_NOMASK, as the kernel does.
	t.sig.act[sig] = abi.Sigaction{Handler: a[1] & 0xffffffff, Flags: saResethand | saNodefer}
	t.syncHostIgnore(sig)
	if t.ignored(sig) {
		t.discardPending(sig)
	}
	return int64(old)
}

func sysRtSigprocmask(t *Thread, a *[6]uint64) int64 {
	if t.ulong(a[3]) != 8 {
		return -abi.EINVAL
	}
	return t.sigprocmask(int(sint(a[0])), a[1], a[2], 8)
}

func sysSigprocmask(t *Thread, a *[6]uint64) int64 {
	return t.sigprocmask(int(sint(a[0])), a[1], a[2], 4)
}

// sigprocmask implements rt_sigprocmask (size 8) and the old 32-bit
// sigprocmask (size 4), which changes only the first 32 signals. A signal
// it unblocks is delivered as the call returns.
func (t *Thread) sigprocmask(how int, set, oset uint64, size int) int64 {
	old := t.mask
	if set != 0 {
		b, e := t.readMem(set, size)
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
			t.setMask(old | m)
		case abi.SIG_UNBLOCK:
			t.setMask(old &^ m)
		case abi.SIG_SETMASK:
			if size == 4 {
				m |= old &^ 0xffffffff
			}
			t.setMask(m)
		default:
			return -abi.EINVAL
		}
	}
	if oset != 0 {
		b := make([]byte, 8)
		putLE64(b, old)
		if e := t.writeMem(oset, b[:size]); e != 0 {
			return e
		}
	}
	return 0
}

func sysRtSigpending(t *Thread, a *[6]uint64) int64 {
	size := t.ulong(a[1])
	if size > 8 {
		return -abi.EINVAL
	}
	t.mergeAsync()
	b := make([]byte, 8)
	putLE64(b, t.pendingHere()&t.mask)
	return t.writeMem(a[0], b[:size])
}

// sysSigpending is i386's sigpending: the first 32 signals.
func sysSigpending(t *Thread, a *[6]uint64) int64 {
	t.mergeAsync()
	b := make([]byte, 8)
	putLE64(b, t.pendingHere()&t.mask)
	return t.writeMem(a[0], b[:4])
}

func sysSigaltstack(t *Thread, a *[6]uint64) int64 {
	c := t.CPU
	sp := c.R[4] & c.AddrMask
	as := t.altstack
	old := t.w.Encode(as.sp, 0, as.size)
	le32put(old[int(t.w):], uint32(t.sasFlags(sp)|as.flags&ssAutodisarm))
	if a[0] != 0 {
		b, e := t.readMem(a[0], 3*int(t.w)) // ss_sp, ss_flags (int, padded on x86-64), ss_size
		if e != 0 {
			return e
		}
		ss := [3]uint64{t.w.Get(b, 0), uint64(le32(b[int(t.w):])), t.w.Get(b, 2)}
		if e := t.setAltstack(ss, sp); e != 0 {
			return e
		}
	}
	if a[1] != 0 {
		return t.writeMem(a[1], old)
	}
	return 0
}

func le32put(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

func sysKill(t *Thread, a *[6]uint64) int64 {
	pid, sig := sint(a[0]), int(sint(a[1]))
	if sig < 0 || sig >= abi.NSIG {
		return -abi.EINVAL
	}
	if pid == int64(t.pid) {
		return t.raise(sig, siUser)
	}
	if pid == -1 {
		t.unimpf("gemu: kill(-1, %d) refused\n", sig)
		return -abi.EPERM
	}
	if pid == 0 || pid < 0 && -pid == int64(syscall.Getpgrp()) {
		return t.killOwnGroup(pid, sig)
	}
	return host(syscall.SYS_KILL, uintptr(pid), uintptr(sig))
}

// killOwnGroup sends sig to the process group gemu is in (pid 0 or minus
// its number): the host sends it to every process there, gemu included;
// the guest has its own copy queued at once, as the kernel delivers it
// before kill returns, and the copy gemu receives is dropped
// (hostSigInfo). SIGKILL, SIGSTOP and SIGCONT act on gemu itself through
// the host.
func (t *Thread) killOwnGroup(pid int64, sig int) int64 {
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
		t.raise(sig, siUser)
	}
	return r
}

func sysTgkill(t *Thread, a *[6]uint64) int64 {
	tgid, tid, sig := sint(a[0]), sint(a[1]), int(sint(a[2]))
	if sig < 0 || sig >= abi.NSIG || tgid <= 0 || tid <= 0 {
		return -abi.EINVAL
	}
	if tgid == int64(t.pid) && t.isThread(tid) {
		return t.raiseTo(sig, siTkill, tid)
	}
	return -abi.ESRCH
}

func sysTkill(t *Thread, a *[6]uint64) int64 {
	tid, sig := sint(a[0]), int(sint(a[1]))
	if sig < 0 || sig >= abi.NSIG || tid <= 0 {
		return -abi.EINVAL
	}
	if t.isThread(tid) {
		return t.raiseTo(sig, siTkill, tid)
	}
	return -abi.ESRCH
}

// raise sends sig to the guest itself with si_code code (SI_USER for
// kill, SI_TKILL for tkill and tgkill); it is delivered when the system
// call returns.
func (t *Thread) raise(sig int, code int32) int64 {
	if sig == 0 {
		return 0
	}
	t.queueSignal(t.userInfo(sig, code))
	return 0
}

func sysRtSigqueueinfo(t *Thread, a *[6]uint64) int64 {
	return t.sigqueueinfo(sint(a[0]), sint(a[0]), int(sint(a[1])), a[2], false)
}

func sysRtTgsigqueueinfo(t *Thread, a *[6]uint64) int64 {
	if sint(a[0]) <= 0 || sint(a[1]) <= 0 {
		return -abi.EINVAL
	}
	return t.sigqueueinfo(sint(a[0]), sint(a[1]), int(sint(a[2])), a[3], true)
}

// sigqueueinfo sends sig with the guest's siginfo at uinfo (sigqueue).
// To itself the siginfo is queued as given; to another process it is
// converted and sent by the host, which allows only negative si_codes
// there, like Linux. toThread (rt_tgsigqueueinfo) directs it at thread tid
// alone.
func (t *Thread) sigqueueinfo(tgid, tid int64, sig int, uinfo uint64, toThread bool) int64 {
	if sig < 0 || sig >= abi.NSIG {
		return -abi.EINVAL
	}
	b, e := t.readMem(uinfo, siginfoSize)
	if e != 0 {
		return e
	}
	code, pid, uid, value := decodeGuestInfo(t.w, b)
	if tgid == int64(t.pid) && t.isThread(tid) {
		if sig == 0 {
			return 0
		}
		si := sigInfo{signo: int32(sig), layout: silRaw, raw: b, code: code, pid: pid, uid: uid, value: value}
		if toThread {
			// For that thread alone, as tgkill's (pthread_sigqueue).
			t.directTo(&si, tid)
		}
		if t.queueSignal(si) && si.tid != 0 {
			t.notifyThread(si.tid)
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
func (t *Thread) sigsuspend(m uint64) int64 {
	t.savedMask = t.mask
	t.restoreMask = true
	t.setMask(m)
	t.waitSignal(0, 0)
	return -abi.EINTR
}

func sysRtSigsuspend(t *Thread, a *[6]uint64) int64 {
	if t.ulong(a[1]) != 8 {
		return -abi.EINVAL
	}
	b, e := t.readMem(a[0], 8)
	if e != 0 {
		return e
	}
	return t.sigsuspend(le64(b))
}

// sysSigsuspend is i386's sigsuspend(int, int, old_sigset_t mask).
func sysSigsuspend(t *Thread, a *[6]uint64) int64 {
	return t.sigsuspend(a[2] & 0xffffffff)
}

func sysPause(t *Thread, a *[6]uint64) int64 {
	t.waitSignal(0, 0)
	return -abi.EINTR
}

// sysRestartSyscall is restart_syscall, which the kernel's restart blocks
// use; gemu never sets one up, so it fails as do_no_restart_syscall does.
func sysRestartSyscall(t *Thread, a *[6]uint64) int64 { return -abi.EINTR }

// sysRtSigtimedwait waits for one of the signals in a set and takes it
// without running its handler (sigwaitinfo, sigtimedwait). A signal
// outside the set that the mask lets through ends the wait with EINTR.
// rtSigtimedwait is rt_sigtimedwait; t64 says its timeout has 64-bit
// fields (x86-64, or i386's rt_sigtimedwait_time64).
func (t *Thread) rtSigtimedwait(a *[6]uint64, t64 bool) int64 {
	if t.ulong(a[3]) != 8 {
		return -abi.EINVAL
	}
	b, e := t.readMem(a[0], 8)
	if e != 0 {
		return e
	}
	set := le64(b) &^ unblockable
	var deadline int64
	poll := false
	if a[2] != 0 {
		ts, e := t.timespecs(a[2], 1, t64)
		if e != 0 {
			return e
		}
		spec := abi.DecodeTimespec(8, ts)
		if spec.Sec < 0 || spec.Nsec < 0 || spec.Nsec >= 1e9 {
			return -abi.EINVAL
		}
		d := time.Duration(spec.Sec)*time.Second + time.Duration(spec.Nsec)
		poll = d == 0
		deadline = time.Now().Add(d).UnixNano()
	}
	for {
		t.mergeAsync()
		sig := t.nextSignal(set)
		if sig == 0 {
			if poll {
				return -abi.EAGAIN
			}
			t.waitSignal(set, deadline)
			if sig = t.nextSignal(set); sig == 0 {
				if t.hasDeliverable() {
					return -abi.EINTR
				}
				return -abi.EAGAIN
			}
		}
		si := t.dequeue(sig)
		if si.signo == 0 {
			continue // a stale POSIX timer's signal, dropped
		}
		if a[1] != 0 {
			ib := make([]byte, siginfoSize)
			si.encode(t.w, ib)
			if e := t.writeMem(a[1], ib); e != 0 {
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
