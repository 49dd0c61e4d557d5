package linux

import (
	"io"
	"os"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"gemu/internal/linux/abi"
)

// Signals from outside. gemu is the process other processes signal: a
// terminal's ^C, kill(1), a parent's kill(pid, SIGUSR1), a process group
// signal. Each must reach the guest as it would the native process: the
// guest's handler runs (with the sender's siginfo), its default action
// happens (gemu dies by the signal, or stops), or nothing happens.
//
// Go's os/signal cannot do this for every signal: it does not tell a
// SIGURG sent from outside from the runtime's own preemption signal (or
// gemu's kick from an outside signal 62), it never delivers signal 34,
// and it hides the sender. So CatchSignals installs its own handler,
// hostSigHandler (signal_host_amd64.s), for nearly every signal: it
// passes the runtime's own thread-directed signals on and writes every
// other signal's whole siginfo to a pipe, which a goroutine reads and
// posts to the guest (postAsync), kicking it out of a blocking host call.
//
// Faults of gemu's own code and the signals the process sends its own
// threads (the runtime's preemption requests, gemu's kicks) are passed on
// to the Go runtime's handler. Left alone: SIGKILL and SIGSTOP, which
// nothing catches; 32 and 33, which glibc reserves; SIGPROF while gemu
// profiles itself. SIGCHLD of the guest's children (forked gemus) comes
// with the kernel's siginfo (CLD_EXITED, the child's pid and status...).

var (
	// hostPid is gemu's pid, for the handler to recognize its own
	// thread-directed signals.
	hostPid int32
	// hostSigPipe is the write end of the pipe the handler writes
	// siginfos to (-1: none yet).
	hostSigPipe int32 = -1
	// goSigHandler is the Go runtime's signal handler (one for every
	// signal), which the runtime's own signals are passed on to.
	goSigHandler uintptr
	// goFaultMask has bit sig set for the signals whose faults (positive
	// si_code) are the runtime's: a nil dereference in gemu's code...
	goFaultMask uint64 = 1<<abi.SIGSEGV | 1<<abi.SIGBUS | 1<<abi.SIGFPE | 1<<abi.SIGILL | 1<<abi.SIGTRAP
)

// hostSigHandler is the handler in signal_host_amd64.s; it is never
// called from Go.
func hostSigHandler()

// hostSigHandlerAddr returns hostSigHandler's address (its ABI0 entry).
func hostSigHandlerAddr() uintptr

// hostSigaction is the x86-64 kernel's struct sigaction.
type hostSigaction struct {
	handler, flags, restorer, mask uint64
}

// rtSigaction is the raw rt_sigaction system call.
func rtSigaction(sig int, act, old *hostSigaction) syscall.Errno {
	_, _, e := syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, uintptr(sig),
		uintptr(unsafe.Pointer(act)), uintptr(unsafe.Pointer(old)), 8, 0, 0)
	return e
}

// hostSignals is what CatchSignals set up.
var hostSignals struct {
	// caught are the signals with hostSigHandler; act their sigaction.
	caught uint64
	act    [abi.NSIG]hostSigaction
	// ignored are the signals that gemu found ignored when it started.
	ignored uint64
	// readFD is the pipe's read end.
	readFD int
	// selfSent counts, per signal, the copies of a process group signal
	// the guest sent (kill(0, sig)) that are still to reach gemu itself:
	// the guest had them queued at once, so they are dropped.
	selfSent [abi.NSIG]atomic.Int32
}

// CatchSignals makes gemu the receiver of the signals other processes
// send it, for a guest process to get them (Process.ForwardSignals).
// Call it once, early in main; keepProf leaves SIGPROF to Go's profiler.
// ignoredAtStart are the signals gemu started with ignored (package
// startsig sees them before Go's runtime replaced their dispositions): a
// guest process gemu starts takes them as ignored, as a native process
// inherits them across execve. Signals the host still shows ignored are
// added (across a guest's execve, gemu passes every ignored signal on
// itself: sys_exec.go).
func CatchSignals(keepProf bool, ignoredAtStart uint64) {
	hs := &hostSignals
	hs.ignored = ignoredAtStart
	var fds [2]int32
	if _, _, e := syscall.RawSyscall(syscall.SYS_PIPE2, uintptr(unsafe.Pointer(&fds)), syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0); e != 0 {
		return
	}
	// Close-on-exec: gemu's own, never in the guest's descriptor table.
	hs.readFD = int(fds[0])
	hostPid = int32(os.Getpid())
	atomic.StoreInt32(&hostSigPipe, fds[1])

	// The runtime's own handler (with its restorer) is the template.
	var goAct hostSigaction
	if rtSigaction(abi.SIGURG, nil, &goAct) != 0 || goAct.handler == abi.SIG_DFL || goAct.handler == abi.SIG_IGN {
		return
	}
	goSigHandler = uintptr(goAct.handler)
	act := hostSigaction{
		handler:  uint64(hostSigHandlerAddr()),
		flags:    saSiginfo | saOnstack | saRestorer | saRestart,
		restorer: goAct.restorer,
		mask:     ^uint64(0),
	}
	for sig := 1; sig < abi.NSIG; sig++ {
		var cur hostSigaction
		if rtSigaction(sig, nil, &cur) != 0 {
			continue
		}
		if cur.handler == abi.SIG_IGN {
			hs.ignored |= sigBit(sig)
		}
		if !hostCatchable(sig, keepProf) {
			continue
		}
		a := act
		if sig == kickSignal {
			// The kick must interrupt the blocking call it finds.
			a.flags &^= saRestart
		}
		if rtSigaction(sig, &a, nil) == 0 {
			hs.act[sig] = a
			hs.caught |= sigBit(sig)
		}
	}
}

// hostCatchable reports whether CatchSignals installs hostSigHandler for
// sig.
func hostCatchable(sig int, keepProf bool) bool {
	switch sig {
	case abi.SIGKILL, abi.SIGSTOP, 32, 33:
		return false
	case abi.SIGPROF:
		return !keepProf
	}
	return true
}

// hostCaught reports whether sig reaches gemu through hostSigHandler.
func hostCaught(sig int) bool {
	return sig > 0 && sig < abi.NSIG && hostSignals.caught&sigBit(sig) != 0
}

// ForwardSignals starts passing the signals gemu receives to the guest.
// A process that gemu starts (not a forked child, which has its parent's
// dispositions) first takes the signals gemu started with ignored as
// ignored, as a native process inherits them across execve.
func (p *Process) ForwardSignals(forked bool) {
	hs := &hostSignals
	if !forked {
		for sig := 1; sig < abi.NSIG; sig++ {
			if hs.ignored&sigBit(sig) != 0 && sig != abi.SIGKILL && sig != abi.SIGSTOP {
				p.sig.act[sig].Handler = abi.SIG_IGN
			}
		}
	}
	for _, sig := range []int{abi.SIGTTIN, abi.SIGTTOU, abi.SIGCHLD} {
		p.syncHostIgnore(sig)
	}

	if hs.caught == 0 {
		return
	}
	go func() {
		f := os.NewFile(uintptr(hs.readFD), "gemu-signals")
		b := make([]byte, siginfoSize)
		for {
			if _, err := io.ReadFull(f, b); err != nil {
				return
			}
			if si, ok := hostSigInfo(b); ok {
				p.postAsync(si)
				p.fatalWatch(int(si.signo))
			}
		}
	}()
}

// hostSigInfo converts a siginfo the handler recorded into the guest's
// signal; it reports false for one that gemu caused itself: the SIGPIPE
// of a write that found no reader (gemu raised it already), or a copy of
// a process group signal the guest sent (queued already).
func hostSigInfo(b []byte) (sigInfo, bool) {
	sig := int(le32(b))
	code := int32(le32(b[8:]))
	pid, uid := le32(b[16:]), le32(b[20:])
	if sig <= 0 || sig >= abi.NSIG {
		return sigInfo{}, false
	}
	if code == siUser && int32(pid) == hostPid && (sig == abi.SIGPIPE || takeSelfSent(sig)) {
		return sigInfo{}, false
	}
	si := newSigInfo(sig, code)
	si.pid, si.uid = pid, uid
	switch si.layout {
	case silFault:
		// A positive si_code from outside (SIGIO's POLL_IN...): only
		// the kill fields are known to be meaningful.
		si.layout = silKill
	case silChld:
		si.status = int32(le32(b[24:]))
	default:
		si.value = le64(b[24:])
	}
	return si, true
}

// takeSelfSent consumes one expected copy of a process group signal the
// guest sent, if any.
func takeSelfSent(sig int) bool {
	c := &hostSignals.selfSent[sig]
	for {
		n := c.Load()
		if n <= 0 {
			return false
		}
		if c.CompareAndSwap(n, n-1) {
			return true
		}
	}
}

// syncHostIgnore makes the host ignore SIGTTIN, SIGTTOU or SIGCHLD while
// the guest does, where the kernel acts on that: the terminal lets an
// ignoring process read or write from the background (and sends the
// signal, restarting the call, to one that does not), and a process that
// ignores SIGCHLD, or sets SA_NOCLDWAIT, has its children reaped at once.
func (p *Process) syncHostIgnore(sig int) {
	if sig != abi.SIGTTIN && sig != abi.SIGTTOU && sig != abi.SIGCHLD || !hostCaught(sig) {
		return
	}
	a := hostSignals.act[sig]
	ga := &p.sig.act[sig]
	switch {
	case ga.Handler == abi.SIG_IGN:
		a = hostSigaction{handler: abi.SIG_IGN}
	case sig == abi.SIGCHLD && ga.Flags&saNocldwait != 0:
		a.flags |= saNocldwait
	}
	rtSigaction(sig, &a, nil)
}

// SIGCHLD's sigaction flags and the si_codes of a child's stop and
// continue.
const (
	saNocldstop  = 1
	saNocldwait  = 2
	cldStopped   = 5
	cldContinued = 6
)

// stopHost stops gemu as the default action of stop signal sig: the
// signal is sent again to this thread with the host's default action, so
// that the parent sees gemu stopped by sig (and a stop the kernel
// discards, in an orphaned process group, is discarded here too). It
// returns once gemu is continued.
func (p *Process) stopHost(sig int) {
	p.flushLog()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var old hostSigaction
	dfl := hostSigaction{handler: abi.SIG_DFL}
	restore := rtSigaction(sig, &dfl, &old) == 0
	mask := sigBit(sig)
	syscall.RawSyscall6(syscall.SYS_RT_SIGPROCMASK, abi.SIG_UNBLOCK, uintptr(unsafe.Pointer(&mask)), 0, 8, 0, 0)
	tid, _, _ := syscall.RawSyscall(syscall.SYS_GETTID, 0, 0, 0)
	syscall.RawSyscall(syscall.SYS_TGKILL, uintptr(p.pid), tid, uintptr(sig))
	if restore {
		rtSigaction(sig, &old, nil)
	}
}

// fatalGrace is how long a fatal signal from outside may wait for the
// guest's thread to take it before gemu dies by it without the thread.
const fatalGrace = 200 * time.Millisecond

// fatalWatch makes sure that a signal from outside that ends the guest
// (as of its current system call's entry) acts promptly, as the kernel
// kills a process at once whatever it is doing. The guest's thread takes
// a posted signal within microseconds when it runs guest code or waits
// (at a block boundary, or kicked out of a blocking host call); one busy
// inside gemu for longer (a huge mapping) has not taken it after
// fatalGrace, and gemu then dies by the signal from here, its log
// flushed (the plugins' exit callbacks are not run: the thread may be in
// a plugin).
func (p *Process) fatalWatch(sig int) {
	if p.sig.fatal.Load()&sigBit(sig) == 0 {
		return
	}
	a := &p.sig.async
	gen := a.gen.Load()
	time.AfterFunc(fatalGrace, func() {
		if a.seen.Load() >= gen || p.sig.fatal.Load()&sigBit(sig) == 0 {
			return
		}
		if p.opts.LogFaults || p.opts.LogUnimp {
			p.logf("gemu: guest busy in a system call: terminated by %s\n", abi.SignalName(sig))
		}
		p.flushLog()
		DieBySignal(sig)
	})
}
