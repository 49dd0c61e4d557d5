package linux

import (
	"sync/atomic"
	"syscall"
	"time"
)

// Thread-directed signals. Pending signals live in one per-process queue
// (signalState.queue); an instance with a nonzero sigInfo.tid is pending
// for that thread only, as Linux's per-thread pending set: tgkill, tkill,
// rt_tgsigqueueinfo to another thread and timers with SIGEV_THREAD_ID.
// Only the thread it names dequeues it; signalState.directed marks the
// signals that have such instances, so that a process without any pays
// one test. glibc depends on this: its set*id broadcast (SIGSETXID) waits
// until each thread ran the handler itself, and its SIGEV_THREAD timers
// signal a helper thread that alone waits for that signal.
//
// The thread named is woken where it waits: in a futex wait or a signal
// wait through its wake channel, in a blocking host system call by
// kickSignal sent to its host thread (repeated until it has taken the
// lock again: a kick just before the call starts is lost), and if it
// waits for the lock, it looks when it gets it (threadGroup.acquire).

// threadSignals is the per-thread part of directed signals.
type threadSignals struct {
	wake    chan struct{} // a directed signal was queued for the thread
	kick    atomic.Bool   // kick the host thread until it takes the lock
	kicking atomic.Bool   // a goroutine is kicking it
}

// forThread reports whether the queued instance si may be taken by the
// calling thread.
func (p *Process) forThread(si *sigInfo) bool {
	return si.tid == 0 || int(si.tid) == p.gettid()
}

// pendingHere is the set of pending signals the calling thread may take:
// the process's and its own.
func (p *Process) pendingHere() uint64 {
	x := p.sig.pending
	d := x & p.sig.directed
	for d != 0 {
		sig := lowestSig(d)
		d &^= sigBit(sig)
		mine := false
		for i := range p.sig.queue[sig] {
			if p.forThread(&p.sig.queue[sig][i]) {
				mine = true
				break
			}
		}
		if !mine {
			x &^= sigBit(sig)
		}
	}
	return x
}

// lowestSig is the lowest signal in the nonzero set s.
func lowestSig(s uint64) int {
	sig := 1
	for s&1 == 0 {
		s >>= 1
		sig++
	}
	return sig
}

// noteQueued updates the summary bits after sig's queue changed.
func (p *Process) noteQueued(sig int) {
	q := p.sig.queue[sig]
	if len(q) == 0 {
		p.sig.pending &^= sigBit(sig)
		p.sig.directed &^= sigBit(sig)
		return
	}
	p.sig.pending |= sigBit(sig)
	p.sig.directed &^= sigBit(sig)
	for i := range q {
		if q[i].tid != 0 {
			p.sig.directed |= sigBit(sig)
			return
		}
	}
}

// directTo makes si pending for thread tid if that is another thread of
// a multithreaded process (a thread's own signals and a single thread's
// are taken by whoever checks first, which is the same).
func (p *Process) directTo(si *sigInfo, tid int64) {
	if p.mt != nil && tid != int64(p.gettid()) {
		si.tid = int32(tid)
	}
}

// notifyThread wakes thread tid, for which a signal was just queued. It
// runs with the emulator lock held.
func (p *Process) notifyThread(tid int32) {
	g := p.mt
	if g == nil || int(tid) == p.gettid() {
		return
	}
	if t := g.thread(tid, p.pid); t != nil {
		select {
		case t.sigs.wake <- struct{}{}:
		default:
		}
		t.cpu.Stop.Store(true)
		t.sigs.kick.Store(true)
		if kickReady() && t.sigs.kicking.CompareAndSwap(false, true) {
			go kickThread(p.pid, int(tid), t)
		}
	}
}

// thread finds the thread with guest id tid (the main thread's context
// holds 0: it is the process id pid).
func (g *threadGroup) thread(tid int32, pid int) *thread {
	for _, t := range g.threads {
		if id := t.ctx.tid; int32(id) == tid || id == 0 && tid == int32(pid) {
			return t
		}
	}
	return nil
}

// threadWake is the calling thread's wake channel (nil without threads).
func (p *Process) threadWake() chan struct{} {
	if g := p.mt; g != nil {
		if t := g.cur.Load(); t != nil {
			return t.sigs.wake
		}
	}
	return nil
}

// raiseTo sends sig with si_code code to thread tid of the guest (tkill,
// tgkill).
func (p *Process) raiseTo(sig int, code int32, tid int64) int64 {
	if sig == 0 {
		return 0
	}
	si := p.userInfo(sig, code)
	p.directTo(&si, tid)
	if p.queueSignal(si) && si.tid != 0 {
		p.notifyThread(si.tid)
	}
	return 0
}

// kickThread sends kickSignal to t's host thread until t takes the lock.
func kickThread(pid, tid int, t *thread) {
	d := 100 * time.Microsecond
	for {
		for t.sigs.kick.Load() {
			syscall.RawSyscall(syscall.SYS_TGKILL, uintptr(pid), uintptr(tid), kickSignal)
			time.Sleep(d)
			d = min(2*d, 20*time.Millisecond)
		}
		t.sigs.kicking.Store(false)
		if !t.sigs.kick.Load() || !t.sigs.kicking.CompareAndSwap(false, true) {
			return
		}
	}
}

// dropThreadSignals discards the signals pending for thread tid, which
// ended.
func (p *Process) dropThreadSignals(tid int32) {
	d := p.sig.pending & p.sig.directed
	for d != 0 {
		sig := lowestSig(d)
		d &^= sigBit(sig)
		q := p.sig.queue[sig][:0]
		for _, si := range p.sig.queue[sig] {
			if si.tid != tid {
				q = append(q, si)
			}
		}
		p.sig.queue[sig] = q
		p.noteQueued(sig)
	}
}

// blockedIn reports whether sig is blocked by thread tid (0: the calling
// thread), the thread a signal is generated for: as the kernel's
// sig_ignored, a signal that thread blocks is queued even if ignored,
// since sigwaitinfo may take it or the action may change before it is
// unblocked. glibc's SIGEV_THREAD timers depend on it: their helper thread
// blocks and waits for SIGCANCEL (32), which is ignored when gemu was
// started with it ignored (as GNU make starts its children).
func (p *Process) blockedIn(tid int32, sig int) bool {
	if g := p.mt; g != nil && tid != 0 && int(tid) != p.gettid() {
		if t := g.thread(tid, p.pid); t != nil {
			return t.ctx.mask&sigBit(sig) != 0
		}
	}
	return p.sig.mask&sigBit(sig) != 0
}
