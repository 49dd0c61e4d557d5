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
func (t *Thread) forThread(si *sigInfo) bool {
	return si.tid == 0 || int(si.tid) == t.gettid()
}

// pendingHere is the set of pending signals the calling thread may take:
// the process's and its own.
func (t *Thread) pendingHere() uint64 {
	x := t.sig.pending
	d := x & t.sig.directed
	for d != 0 {
		sig := lowestSig(d)
		d &^= sigBit(sig)
		mine := false
		for i := range t.sig.queue[sig] {
			if t.forThread(&t.sig.queue[sig][i]) {
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
func (t *Thread) directTo(si *sigInfo, tid int64) {
	if t.mt != nil && tid != int64(t.gettid()) {
		si.tid = int32(tid)
	}
}

// notifyThread wakes thread tid, for which a signal was just queued. It
// runs with the emulator lock held.
func (t *Thread) notifyThread(tid int32) {
	g := t.mt
	if g == nil || int(tid) == t.gettid() {
		return
	}
	if o := g.thread(tid, t.pid); o != nil {
		select {
		case o.sigs.wake <- struct{}{}:
		default:
		}
		o.CPU.Stop.Store(true)
		o.sigs.kick.Store(true)
		if kickReady() && o.sigs.kicking.CompareAndSwap(false, true) {
			go kickThread(t.pid, int(tid), o)
		}
	}
}

// thread finds the thread with guest id tid (the first thread's tid field
// holds 0: its id is the process id pid).
func (g *threadGroup) thread(tid int32, pid int) *Thread {
	for _, t := range g.list() {
		if id := t.tid; int32(id) == tid || id == 0 && tid == int32(pid) {
			return t
		}
	}
	return nil
}

// threadWake is t's wake channel (nil without threads: nothing sends on
// it then).
func (t *Thread) threadWake() chan struct{} {
	if t.mt != nil {
		return t.sigs.wake
	}
	return nil
}

// raiseTo sends sig with si_code code to thread tid of the guest (tkill,
// tgkill).
func (t *Thread) raiseTo(sig int, code int32, tid int64) int64 {
	if sig == 0 {
		return 0
	}
	si := t.userInfo(sig, code)
	t.directTo(&si, tid)
	if t.queueSignal(si) && si.tid != 0 {
		t.notifyThread(si.tid)
	}
	return 0
}

// kickThread sends kickSignal to t's host thread until t takes the lock.
func kickThread(pid, tid int, t *Thread) {
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
func (t *Thread) blockedIn(tid int32, sig int) bool {
	if g := t.mt; g != nil && tid != 0 && int(tid) != t.gettid() {
		if o := g.thread(tid, t.pid); o != nil {
			return o.mask&sigBit(sig) != 0
		}
	}
	return t.mask&sigBit(sig) != 0
}
