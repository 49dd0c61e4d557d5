package linux

import (
	"encoding/binary"
	"fmt"
	"os"
	"strings"
	"sync/atomic"

	"gemu/internal/linux/abi"
	"gemu/internal/mem"
	"gemu/internal/x86"
)

// Signal generation and delivery. A signal is generated (queued with its
// siginfo) by a CPU exception (HandleFault), by the guest sending it to
// itself (kill, tgkill, rt_sigqueueinfo...), by a write to a broken pipe,
// or asynchronously by an interval timer on another goroutine (posted to
// asyncSignals and merged by the guest's thread). Pending signals that the
// mask does not block are delivered where Linux delivers them: on the way
// back from a system call, after an exception, and (for asynchronous ones)
// at the next translation block boundary, reached through the engine's
// Interrupt hook. Delivery runs the handler on a signal frame
// (signal_frame.go) or carries out the default action.

// siginfoSize is the size of siginfo_t on both ABIs.
const siginfoSize = 128

// si_code values.
const (
	siUser    = 0
	siKernel  = 0x80
	siQueue   = -1
	siTimer   = -2
	siMesgq   = -3
	siAsyncio = -4
	siSigio   = -5
	siTkill   = -6

	segvMaperr = 1
	segvAccerr = 2
	busAdraln  = 1
	busAdrerr  = 2
	illIllopn  = 2
	fpeIntdiv  = 1
	fpeFltdiv  = 3
	fpeFltovf  = 4
	fpeFltund  = 5
	fpeFltres  = 6
	fpeFltinv  = 7
	trapTrace  = 2
)

// Internal restart codes (never seen by the guest), as the kernel's.
const (
	errRestartSys    = 512
	errRestartNoIntr = 513
	errRestartNoHand = 514
	errRestartBlock  = 516
)

// x86 exception vectors, reported as the sigcontext's trapno.
const (
	trapDE = 0
	trapDB = 1
	trapBP = 3
	trapOF = 4
	trapBR = 5
	trapUD = 6
	trapNP = 11
	trapSS = 12
	trapGP = 13
	trapPF = 14
	trapMF = 16
	trapAC = 17
	trapXM = 19
)

// siLayout says which siginfo union member a siginfo uses (the kernel's
// enum siginfo_layout, plus the guest's own bytes from rt_sigqueueinfo).
type siLayout uint8

const (
	silKill  siLayout = iota // si_pid, si_uid
	silRT                    // si_pid, si_uid, si_value
	silFault                 // si_addr
	silTimer                 // si_tid, si_overrun, si_value
	silChld                  // si_pid, si_uid, si_status, si_utime, si_stime
	silRaw                   // raw guest bytes (already in guest layout)
)

// sigInfo is a queued signal's siginfo in host form.
type sigInfo struct {
	signo, errno, code int32
	layout             siLayout
	pid, uid           uint32
	addr               uint64 // fault address
	value              uint64 // si_value (sigval)
	status             int32
	raw                []byte // silRaw: guest bytes of the whole siginfo
	forced             bool   // a synchronous exception: cannot be blocked or ignored
	tid                int32  // the thread it is pending for; 0: the process (signal_thread.go)
	seq                uint64 // when it was queued: the order among the process's and a thread's queues
	timer              *posixTimer
	timerGen           uint64 // the setting of timer that sent it (sys_ptimer.go)
}

// newSigInfo returns a siginfo with signal sig and code, in the layout the
// kernel picks for that code (siginfo_layout).
func newSigInfo(sig int, code int32) sigInfo {
	si := sigInfo{signo: int32(sig), code: code}
	switch {
	case code > siUser && code < siKernel:
		si.layout = silFault
		if sig == abi.SIGCHLD {
			si.layout = silChld
		}
	case code == siTimer:
		si.layout = silTimer
	case code < 0 && code != siTkill:
		// SI_TKILL is SIL_RT in the kernel, with a zero value: the
		// same bytes as SIL_KILL, which is how QEMU's strace shows it.
		si.layout = silRT
	default:
		si.layout = silKill
	}
	return si
}

// userInfo is the siginfo of a signal the guest sends itself with code
// SI_USER or SI_TKILL: its own pid and uid.
func (p *Process) userInfo(sig int, code int32) sigInfo {
	si := newSigInfo(sig, code)
	si.pid = uint32(p.pid)
	si.uid = uint32(os.Getuid())
	return si
}

// encode stores the siginfo in guest layout for long width w into b (128
// bytes), zero-filled like the kernel's copy_siginfo_to_user.
func (si *sigInfo) encode(w abi.Words, b []byte) {
	le := binary.LittleEndian
	clear(b[:siginfoSize])
	if si.layout == silRaw {
		copy(b, si.raw)
		le.PutUint32(b[0:], uint32(si.signo))
		return
	}
	le.PutUint32(b[0:], uint32(si.signo))
	le.PutUint32(b[4:], uint32(si.errno))
	le.PutUint32(b[8:], uint32(si.code))
	u := 12
	if w == 8 {
		u = 16 // the union is 8-byte aligned
	}
	switch si.layout {
	case silKill:
		le.PutUint32(b[u:], si.pid)
		le.PutUint32(b[u+4:], si.uid)
	case silRT, silTimer:
		le.PutUint32(b[u:], si.pid)
		le.PutUint32(b[u+4:], si.uid)
		w.Put(b[u+8:], 0, si.value)
	case silFault:
		w.Put(b[u:], 0, si.addr)
	case silChld:
		le.PutUint32(b[u:], si.pid)
		le.PutUint32(b[u+4:], si.uid)
		le.PutUint32(b[u+8:], uint32(si.status))
	}
}

// decodeGuestInfo reads the fields strace shows from a guest siginfo.
func decodeGuestInfo(w abi.Words, b []byte) (code int32, pid, uid uint32, value uint64) {
	le := binary.LittleEndian
	u := 12
	if w == 8 {
		u = 16
	}
	return int32(le.Uint32(b[8:])), le.Uint32(b[u:]), le.Uint32(b[u+4:]), w.Get(b[u+8:], 0)
}

// siCodeName names si_code values the way QEMU's strace does.
func siCodeName(code int32) string {
	switch code {
	case siUser:
		return "SI_USER"
	case siKernel:
		return "SI_KERNEL"
	case siQueue:
		return "SI_QUEUE"
	case siTimer:
		return "SI_TIMER"
	case siMesgq:
		return "SI_MESGQ"
	case siAsyncio:
		return "SI_ASYNCIO"
	case siSigio:
		return "SI_SIGIO"
	case siTkill:
		return "SI_TKILL"
	}
	return fmt.Sprint(code)
}

// straceSignalName is a signal as QEMU's strace prints it: its name for
// the classic signals, its number for the real-time ones.
func straceSignalName(sig int) string {
	if sig >= 32 {
		return fmt.Sprint(sig)
	}
	return abi.SignalName(sig)
}

// straceSignal logs a signal being taken, like QEMU's -strace:
// "PID --- SIGSEGV {si_signo=SIGSEGV, si_code=1, si_addr=NULL} ---".
func (t *Thread) straceSignal(si *sigInfo) {
	var b strings.Builder
	name := straceSignalName(int(si.signo))
	fmt.Fprintf(&b, "%d --- %s {si_signo=%s, si_code=", t.gettid(), name, name)
	code, pid, uid, value := si.code, si.pid, si.uid, si.value
	layout := si.layout
	if layout == silRaw {
		code, pid, uid, value = decodeGuestInfo(t.w, si.raw)
		layout = newSigInfo(int(si.signo), code).layout
	}
	b.WriteString(siCodeName(code))
	switch layout {
	case silKill:
		fmt.Fprintf(&b, ", si_pid=%d, si_uid=%d", pid, uid)
	case silTimer:
		fmt.Fprintf(&b, ", si_timer1=%d, si_timer2=%d", pid, uid)
	case silFault:
		if si.addr == 0 {
			b.WriteString(", si_addr=NULL")
		} else {
			fmt.Fprintf(&b, ", si_addr=%#x", si.addr)
		}
	case silChld:
		fmt.Fprintf(&b, ", si_pid=%d, si_uid=%d, si_status=%d, si_utime=0, si_stime=0", pid, uid, si.status)
	case silRT:
		fmt.Fprintf(&b, ", si_pid=%d, si_uid=%d, si_sigval=%d", pid, uid, t.slong(value))
	}
	b.WriteString("} ---\n")
	t.logf("%s", b.String())
	t.flushLog()
}

// altStack is the alternate signal stack (sigaltstack): base, flags as the
// guest set them (SS_DISABLE, SS_AUTODISARM), size.
type altStack struct {
	sp, flags, size uint64
}

// signalState is the signal part of a process: dispositions, queue of
// pending signals and the asynchronous sources. The mask, the alternate
// stack and the last exception are each thread's (Thread).
type signalState struct {
	act [abi.NSIG]abi.Sigaction
	// q are the signals pending for the process (any thread may take
	// them); each thread's own are its Thread.pend.
	q sigQueue
	// seq numbers the signals queued so far (sigInfo.seq).
	seq uint64

	async   asyncSignals
	timers  itimers
	ptimers posixTimers

	// fatal are the signals that would end the guest now (default action
	// terminate or core, not blocked), as of the entry of its latest
	// system call: what a signal gemu receives from outside is checked
	// against while the guest's thread is busy in that call (fatalWatch).
	fatal atomic.Uint64
}

// defaultFatal are the signals whose default action ends the process.
var defaultFatal = func() uint64 {
	var m uint64
	for sig := 1; sig < abi.NSIG; sig++ {
		if d := abi.DefaultAction(sig); d == abi.DefTerm || d == abi.DefCore {
			m |= sigBit(sig)
		}
	}
	return m
}()

// noteFatal records which signals would end the guest now (signalState.
// fatal), at the entry of a system call of a guest that receives signals
// from outside.
func (t *Thread) noteFatal() {
	if hostSignals.caught == 0 {
		return
	}
	var dfl uint64
	for sig := 1; sig < abi.NSIG; sig++ {
		if t.sig.act[sig].Handler == abi.SIG_DFL {
			dfl |= sigBit(sig)
		}
	}
	if f := dfl & defaultFatal &^ t.mask; f != t.sig.fatal.Load() {
		t.sig.fatal.Store(f)
	}
}

// sigBit is the mask bit of signal sig.
func sigBit(sig int) uint64 { return 1 << (sig - 1) }

// unblockable are SIGKILL and SIGSTOP, which no mask can hold.
var unblockable = sigBit(abi.SIGKILL) | sigBit(abi.SIGSTOP)

// synchronousMask are the signals the kernel dequeues first: those that
// CPU exceptions raise.
var synchronousMask = sigBit(abi.SIGSEGV) | sigBit(abi.SIGBUS) | sigBit(abi.SIGILL) |
	sigBit(abi.SIGTRAP) | sigBit(abi.SIGFPE) | sigBit(abi.SIGSYS)

// setMask sets the signal mask; SIGKILL and SIGSTOP cannot be blocked.
func (t *Thread) setMask(m uint64) { t.mask = m &^ unblockable }

// onSigStack reports whether sp is on the alternate stack, as the
// kernel's on_sig_stack (never with SS_AUTODISARM).
func (t *Thread) onSigStack(sp uint64) bool {
	if t.altstack.flags&ssAutodisarm != 0 {
		return false
	}
	return t.inSigStack(sp)
}

// inSigStack is the kernel's __on_sig_stack.
func (t *Thread) inSigStack(sp uint64) bool {
	as := &t.altstack
	return sp > as.sp && sp-as.sp <= as.size
}

// sasFlags is the kernel's sas_ss_flags: SS_DISABLE without an alternate
// stack, SS_ONSTACK while running on it, else 0.
func (t *Thread) sasFlags(sp uint64) uint64 {
	if t.altstack.size == 0 {
		return ssDisable
	}
	if t.onSigStack(sp) {
		return ssOnstack
	}
	return 0
}

// altstackDelivered disarms an SS_AUTODISARM alternate stack once a
// handler has been set up (the kernel's sas_ss_reset).
func (t *Thread) altstackDelivered() {
	if t.altstack.flags&ssAutodisarm != 0 {
		t.altstack = altStack{flags: ssDisable}
	}
}

// setAltstack is the setting half of sigaltstack, with sp the current
// stack pointer; it returns 0 or a negative errno.
func (t *Thread) setAltstack(ss [3]uint64, sp uint64) int64 {
	if t.onSigStack(sp) {
		return -abi.EPERM
	}
	flags := ss[1] & 0xffffffff
	mode := flags &^ ssAutodisarm
	if mode != ssDisable && mode != ssOnstack && mode != 0 {
		return -abi.EINVAL
	}
	if mode == ssDisable {
		ss[0], ss[2] = 0, 0
	} else if ss[2] < minSigStackSize {
		return -abi.ENOMEM
	}
	t.altstack = altStack{sp: ss[0], flags: flags, size: ss[2]}
	return 0
}

// handlerOf returns sig's handler address (or SIG_DFL/SIG_IGN).
func (p *Process) handlerOf(sig int) uint64 { return p.sig.act[sig].Handler }

// ignored reports whether sig would be discarded now: ignored explicitly
// or by default.
func (p *Process) ignored(sig int) bool {
	h := p.handlerOf(sig)
	if h == abi.SIG_IGN {
		return true
	}
	return h == abi.SIG_DFL && (abi.DefaultAction(sig) == abi.DefIgnore || abi.DefaultAction(sig) == abi.DefCont)
}

// queueSignal generates a signal: it is discarded if ignored and not
// blocked, coalesced with a pending instance (for the same thread) for
// the classic signals, and queued in order for the real-time ones.
// SIGKILL ends the guest at once. It reports whether si was queued.
func (t *Thread) queueSignal(si sigInfo) bool {
	sig := int(si.signo)
	if sig <= 0 || sig >= abi.NSIG {
		return false
	}
	if sig == abi.SIGKILL {
		t.terminate(sig, "SIGKILL sent to itself")
		return false
	}
	if !si.forced && !t.blockedIn(si.tid, sig) && t.ignored(sig) {
		return false
	}
	if sig == abi.SIGCHLD && (si.code == cldStopped || si.code == cldContinued) && t.sig.act[sig].Flags&saNocldstop != 0 {
		// SA_NOCLDSTOP: no SIGCHLD for a child's stop or continue.
		return false
	}
	// As the kernel's prepare_signal: SIGCONT discards pending stop
	// signals, a stop signal discards a pending SIGCONT.
	switch {
	case sig == abi.SIGCONT:
		for _, s := range []int{abi.SIGSTOP, abi.SIGTSTP, abi.SIGTTIN, abi.SIGTTOU} {
			t.discardPending(s)
		}
	case abi.DefaultAction(sig) == abi.DefStop:
		t.discardPending(abi.SIGCONT)
	}
	q := &t.sig.q
	if si.tid != 0 && int(si.tid) != t.gettid() {
		var o *Thread
		if t.mt != nil {
			o = t.mt.thread(si.tid, t.pid)
		}
		if o == nil {
			return false // the thread has ended
		}
		q = &o.pend
	} else if si.tid != 0 {
		q = &t.pend
	}
	if sig < 32 && q.pending&sigBit(sig) != 0 {
		return false
	}
	t.sig.seq++
	si.seq = t.sig.seq
	q.put(si)
	if q == &t.sig.q && t.mask&sigBit(sig) != 0 {
		t.wakeTaker(sig)
	}
	t.syncSignalfds()
	return true
}

// discardPending drops every queued instance of sig, for the process and
// for each thread.
func (p *Process) discardPending(sig int) {
	p.eachQueue(func(q *sigQueue) { q.discard(sig) })
	p.syncSignalfds()
}

// forceSignal generates a synchronous signal (the kernel's
// force_sig_info): if the guest blocks or ignores it, the handler is reset
// to the default action and the signal unblocked, so it cannot be lost.
func (t *Thread) forceSignal(si sigInfo) {
	sig := int(si.signo)
	if t.mask&sigBit(sig) != 0 || t.handlerOf(sig) == abi.SIG_IGN {
		t.sig.act[sig].Handler = abi.SIG_DFL
		t.mask &^= sigBit(sig)
	}
	si.forced = true
	t.queueSignal(si)
}

// nextSignal picks the pending signal to deliver among those in set:
// synchronous ones first, then the lowest number. It returns 0 if none.
func (t *Thread) nextSignal(set uint64) int {
	x := t.pendingHere() & set
	if x == 0 {
		return 0
	}
	if x&synchronousMask != 0 {
		x &= synchronousMask
	}
	for sig := 1; sig < abi.NSIG; sig++ {
		if x&sigBit(sig) != 0 {
			return sig
		}
	}
	return 0
}

// dequeue removes the oldest queued instance of sig that the calling
// thread may take (nextSignal found one). A signal of a POSIX timer that
// was set again or deleted since is dropped: then signo is 0.
func (t *Thread) dequeue(sig int) sigInfo {
	q := &t.sig.q
	if o := t.pend.queue[sig]; len(o) > 0 && (q.pending&sigBit(sig) == 0 || o[0].seq < q.queue[sig][0].seq) {
		q = &t.pend
	}
	si := q.take(sig)
	t.syncSignalfds()
	if si.timer != nil && !t.timerSignalTaken(&si) {
		si.signo = 0
	}
	return si
}

// hasDeliverable reports whether a pending signal is not blocked.
func (t *Thread) hasDeliverable() bool {
	return t.pendingHere()&^t.mask != 0
}

// deliverSignals delivers every pending unblocked signal, as the kernel's
// return to user mode does: each handler gets a frame on top of the
// previous one, so the last delivered runs first. It reports whether a
// handler was set up.
func (t *Thread) deliverSignals(c *x86.CPU) bool {
	ran := false
	for !c.Exited {
		sig := t.nextSignal(^t.mask)
		if sig == 0 {
			break
		}
		si := t.dequeue(sig)
		if si.signo == 0 {
			continue
		}
		if t.opts.Strace {
			t.straceSignal(&si)
		}
		sa := t.sig.act[sig]
		switch sa.Handler {
		case abi.SIG_IGN:
			continue
		case abi.SIG_DFL:
			t.defaultAction(&si)
			continue
		}
		mask := t.mask
		if t.restoreMask {
			mask = t.savedMask
			t.restoreMask = false
		}
		if !t.setupFrame(c, &si, &sa, mask) {
			t.unimpf("gemu: cannot build the frame for %s at sp %#x: forcing SIGSEGV\n", abi.SignalName(sig), c.R[x86.RSP]&c.AddrMask)
			if sig == abi.SIGSEGV {
				t.sig.act[sig].Handler = abi.SIG_DFL
			}
			t.forceSignal(newSigInfo(abi.SIGSEGV, siKernel))
			continue
		}
		ran = true
		// The kernel's signal_delivered: block sa_mask and the signal
		// itself (unless SA_NODEFER), reset a one-shot handler.
		blocked := t.mask | sa.Mask
		if sa.Flags&saNodefer == 0 {
			blocked |= sigBit(sig)
		}
		t.setMask(blocked)
		if sa.Flags&saResethand != 0 {
			t.sig.act[sig].Handler = abi.SIG_DFL
		}
		// Handlers start with DF clear (the ABI's function entry state)
		// and a fresh FPU.
		c.SetFlags(0, x86.FlagDF|x86.FlagTF)
		resetFPU(c)
	}
	return ran
}

// defaultAction carries out a signal's default action at delivery.
func (t *Thread) defaultAction(si *sigInfo) {
	sig := int(si.signo)
	switch abi.DefaultAction(sig) {
	case abi.DefIgnore, abi.DefCont:
		return
	case abi.DefStop:
		// Stop gemu itself; the parent can continue it.
		t.stopHost(sig)
		return
	}
	why := fmt.Sprintf("%s sent to itself", abi.SignalName(sig))
	if si.forced {
		why = t.faultDesc(si)
	}
	t.terminate(sig, why)
}

// faultDesc describes an exception for the -d log.
func (t *Thread) faultDesc(si *sigInfo) string {
	desc := fmt.Sprintf("fault: %s at pc %#x", abi.SignalName(int(si.signo)), t.CPU.RIP)
	if t.trapNo == trapPF {
		desc += fmt.Sprintf(" (address %#x)", t.cr2)
	}
	return desc
}

// terminate ends the guest by a fatal signal.
func (t *Thread) terminate(sig int, why string) {
	if t.opts.LogFaults || t.opts.LogUnimp {
		t.logf("gemu: guest %s: terminated by %s\n", why, abi.SignalName(sig))
	}
	t.syncSharedOut()
	t.termSig = sig
	t.CPU.Exited = true
	t.CPU.Stop.Store(true)
	t.stopOthers()
}

// sigpipe acts on a write that found no reader, which raises SIGPIPE.
func (t *Thread) sigpipe() {
	t.queueSignal(t.userInfo(abi.SIGPIPE, siUser))
}

// faultInfo maps a CPU exception to the signal Linux sends for it, and
// records the exception for the frame's trapno, err and cr2.
func (t *Thread) faultInfo(c *x86.CPU, trap *x86.Trap) sigInfo {
	t.errCode = 0
	var si sigInfo
	switch trap.Kind {
	case x86.TrapPage:
		addr, f := trap.Addr, trap.Mem
		if f != nil {
			addr = f.Addr
		}
		t.trapNo, t.cr2 = trapPF, addr
		t.errCode = 4 // user mode
		if f != nil {
			if !f.Unmapped {
				t.errCode |= 1 // protection violation
			}
			switch f.Access {
			case mem.AccWrite:
				t.errCode |= 2
			case mem.AccExec:
				t.errCode |= 0x10
			}
		}
		switch {
		case t.isBusPage(addr):
			si = newSigInfo(abi.SIGBUS, busAdrerr)
		case f != nil && !f.Unmapped:
			si = newSigInfo(abi.SIGSEGV, segvAccerr)
		default:
			si = newSigInfo(abi.SIGSEGV, segvMaperr)
		}
		si.addr = addr
	case x86.TrapGP:
		t.trapNo, t.errCode = trapGP, uint64(trap.Code)&0xfffc
		si = newSigInfo(abi.SIGSEGV, siKernel)
	case x86.TrapNotPresent, x86.TrapStack:
		// Segment not present and stack segment faults: SIGBUS through
		// do_error_trap with no si_code, the selector as error code.
		t.trapNo, t.errCode = trapNP, uint64(trap.Code)&0xfffc
		if trap.Kind == x86.TrapStack {
			t.trapNo = trapSS
		}
		si = newSigInfo(abi.SIGBUS, siKernel)
	case x86.TrapInt:
		// INT n through a kernel-only gate: #GP with the IDT entry's
		// error code.
		t.trapNo, t.errCode = trapGP, uint64(trap.Code)<<3|2
		si = newSigInfo(abi.SIGSEGV, siKernel)
	case x86.TrapOverflow:
		t.trapNo = trapOF
		si = newSigInfo(abi.SIGSEGV, siKernel)
	case x86.TrapBound:
		t.trapNo = trapBR
		si = newSigInfo(abi.SIGSEGV, siKernel)
	case x86.TrapInvalidOp:
		t.trapNo = trapUD
		si = newSigInfo(abi.SIGILL, illIllopn)
		si.addr = c.RIP
	case x86.TrapDivide:
		t.trapNo = trapDE
		si = newSigInfo(abi.SIGFPE, fpeIntdiv)
		si.addr = c.RIP
	case x86.TrapFPU:
		t.trapNo = trapMF
		si = newSigInfo(abi.SIGFPE, fpeCode(c.X87.FullStatus()&^c.X87.CW))
		si.addr = c.RIP
	case x86.TrapSIMD:
		t.trapNo = trapXM
		m := uint16(c.MXCSR)
		si = newSigInfo(abi.SIGFPE, fpeCode(^(m>>7)&m))
		si.addr = c.RIP
	case x86.TrapAlign:
		t.trapNo = trapAC
		si = newSigInfo(abi.SIGBUS, busAdraln)
		si.addr = trap.Addr
	case x86.TrapBreakpoint:
		// int3 is a trap through do_trap with no si_code: SI_KERNEL.
		t.trapNo = trapBP
		si = newSigInfo(abi.SIGTRAP, siKernel)
	case x86.TrapDebug:
		// A single-step trap: TRAP_TRACE at the next instruction.
		t.trapNo = trapDB
		si = newSigInfo(abi.SIGTRAP, trapTrace)
		si.addr = c.RIP
	default:
		t.trapNo = trapGP
		si = newSigInfo(abi.SIGSEGV, siKernel)
	}
	return si
}

// fpeCode is the kernel's fpu__exception_code: the si_code of a floating
// point exception from its unmasked pending exception bits.
func fpeCode(err uint16) int32 {
	switch {
	case err&0x001 != 0:
		return fpeFltinv
	case err&0x004 != 0:
		return fpeFltdiv
	case err&0x008 != 0:
		return fpeFltovf
	case err&0x012 != 0:
		return fpeFltund
	case err&0x020 != 0:
		return fpeFltres
	}
	return 0
}

// HandleFault is the engine's fault handler: a CPU exception becomes the
// signal Linux sends for it, forced through any mask or SIG_IGN, and is
// delivered at once: the handler runs with RIP at the faulting instruction
// (after it for int3) saved in its frame, or the default action ends the
// guest. A call into the x86-64 vsyscall page is emulated instead
// (vsyscall.go). The fault is the thread's whose CPU c is: c's Syscaller,
// which must be a Thread of this package.
func HandleFault(c *x86.CPU, trap *x86.Trap) {
	c.Sys.(*Thread).handleFault(c, trap)
}

// handleFault is HandleFault on the thread that faulted.
func (t *Thread) handleFault(c *x86.CPU, trap *x86.Trap) {
	t.enterOS()
	defer t.leaveOS()
	if t.vsyscall(c, trap) {
		t.mergeAsync()
		t.deliverSignals(c)
		return
	}
	si := t.faultInfo(c, trap)
	t.mergeAsync()
	t.forceSignal(si)
	t.deliverSignals(c)
}

// Interrupt runs at a translation block boundary after an asynchronous
// signal asked the engine to stop (engine.Interrupter): pending signals
// are delivered and execution goes on.
func (t *Thread) Interrupt(c *x86.CPU) bool {
	// The lock first: a CPU that another thread marked exited
	// (stopOthers) may be read only under it, and must wait there.
	t.enterOS()
	defer t.leaveOS()
	if c.Exited {
		return false
	}
	t.mergeAsync()
	t.deliverSignals(c)
	return !c.Exited
}

// Restart classes of system calls interrupted by a signal, after the
// kernel's -ERESTARTSYS (restart with SA_RESTART), -ERESTARTNOHAND (EINTR
// if a handler runs) and -ERESTART_RESTARTBLOCK (likewise; the kernel
// would resume a sleep with the time left, gemu sleeps the whole time
// again: only when a signal was pending that the guest takes without a
// handler, since the waits resume by themselves after gemu's own
// wake-ups, resumeWait). Calls not listed restart like ERESTARTSYS. Each
// ABI's table holds the class of every number (sysABI.restart), which
// Syscall hands to syscallExit.
var restartClasses = map[string]int{
	"pause": errRestartNoHand, "rt_sigsuspend": errRestartNoHand, "sigsuspend": errRestartNoHand,
	"poll": errRestartNoHand, "ppoll": errRestartNoHand, "ppoll_time64": errRestartNoHand,
	"select": errRestartNoHand, "_newselect": errRestartNoHand, "pselect6": errRestartNoHand,
	"pselect6_time64": errRestartNoHand, "epoll_wait": errRestartNoHand, "epoll_pwait": errRestartNoHand,
	"epoll_pwait2": errRestartNoHand,
	"nanosleep":    errRestartBlock, "clock_nanosleep": errRestartBlock, "clock_nanosleep_time64": errRestartBlock,
	// These return EINTR without any restart.
	"rt_sigtimedwait": abi.EINTR, "rt_sigtimedwait_time64": abi.EINTR,
}

// restartClassOf is the restart class of the system call named name.
func restartClassOf(name string) int {
	if c, ok := restartClasses[name]; ok {
		return c
	}
	return errRestartSys
}

// vdsoInt80 is the "int $0x80" of the i386 vDSO's __kernel_vsyscall, just
// before the SYSENTER return point: a system call made with SYSENTER is
// restarted there, as on Linux.
const vdsoInt80 = vdsoCodeOff + 7

// syscallExit is the end of every system call that did not end the guest:
// asynchronous signals are merged, and pending ones delivered; a call that
// failed with EINTR because of a signal is restarted (RIP moved back to the
// system call instruction, RAX holding its number again) unless a handler
// runs that the call's restart rules say it must report EINTR to (class:
// the call's restart class, restartClassOf).
func (t *Thread) syscallExit(c *x86.CPU, gate x86.Gate, nr uint64, class int, ret int64) {
	if t.sig.async.tid.Load() == 0 {
		// The guest has run: bind it to its thread for kicks.
		t.lockGuestThread()
	}
	if t.regsLoaded {
		t.regsLoaded = false
		t.mergeAsync()
		t.deliverSignals(c)
		return
	}
	t.mergeAsync()
	if ret != -abi.EINTR {
		if t.hasDeliverable() {
			t.deliverSignals(c)
		}
		t.finishSuspend()
		return
	}
	if class != abi.EINTR {
		// Decide as the kernel's handle_signal does for the signal about
		// to run: its handler's SA_RESTART matters for ERESTARTSYS only.
		restart := true
		if sig := t.nextSignal(^t.mask); sig != 0 {
			sa := &t.sig.act[sig]
			if sa.Handler != abi.SIG_DFL && sa.Handler != abi.SIG_IGN {
				restart = class == errRestartNoIntr || class == errRestartSys && sa.Flags&saRestart != 0
			}
		}
		if restart {
			t.restartSyscall(c, gate, nr)
		}
	}
	t.deliverSignals(c)
	t.finishSuspend()
}

// finishSuspend puts back the mask a sigsuspend replaced if no handler
// took it over (the kernel's restore_saved_sigmask).
func (t *Thread) finishSuspend() {
	if t.restoreMask {
		t.restoreMask = false
		t.setMask(t.savedMask)
	}
}

// restartSyscall makes the guest execute the system call instruction
// again.
func (p *Process) restartSyscall(c *x86.CPU, gate x86.Gate, nr uint64) {
	c.R[x86.RAX] = nr
	switch gate {
	case x86.GateSysenter:
		c.RIP = p.Layout.VDSO + vdsoInt80
	default:
		c.RIP -= 2 // syscall and int $0x80 are both two bytes
	}
}

// waitSignal blocks the guest's thread until a signal that the current
// mask lets through is pending, or until the deadline (zero: none). It
// reports whether one is pending.
func (t *Thread) waitSignal(set uint64, deadline int64) bool {
	for {
		t.mergeAsync()
		if t.pendingHere()&set != 0 || t.hasDeliverable() {
			return true
		}
		var ok bool
		wake := t.threadWake()
		t.unlocked(func() { ok = t.sig.async.wait(deadline, wake) })
		if !ok {
			t.mergeAsync()
			return t.pendingHere()&set != 0 || t.hasDeliverable()
		}
	}
}

// resetSignalsForFork applies fork's rules to the child: no pending
// signals and no interval timers; dispositions, mask and alternate stack
// are inherited. For the fork implementation to call in the child.
func (p *Process) resetSignalsForFork() {
	p.eachQueue(func(q *sigQueue) { *q = sigQueue{} })
	p.sig.timers = itimers{}
	p.sig.ptimers = posixTimers{}
	p.sig.async = asyncSignals{}
}
