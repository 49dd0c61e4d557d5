package linux

import (
	"sync/atomic"
	"syscall"
	"time"

	"gemu/internal/linux/abi"
)

// Thread-directed signals. A signal generated for the process is pending
// in the process's queue (signalState.q), which any thread that does not
// block it may take; one generated for one thread (an instance with a
// nonzero sigInfo.tid: tgkill, tkill, rt_tgsigqueueinfo to another
// thread, timers with SIGEV_THREAD_ID) is pending in that thread's own
// queue (Thread.pend), as Linux's per-thread pending set, and only that
// thread takes it. A thread picks among both as if they were one queue in
// the order the signals were generated (sigInfo.seq). glibc depends on
// this: its set*id broadcast (SIGSETXID) waits until each thread ran the
// handler itself, and its SIGEV_THREAD timers signal a helper thread that
// alone waits for that signal.
//
// The thread named is woken where it waits: in a futex wait or a signal
// wait through its wake channel, in a blocking host system call by
// kickSignal sent to its host thread (repeated until it has taken the
// lock again: a kick just before the call starts is lost), and if it
// waits for the lock, it looks when it gets it (threadGroup.acquire).

// sigQueue is a set of pending signals and their queued instances, in the
// order they were generated.
type sigQueue struct {
	pending uint64 // signals with a queued siginfo
	queue   [abi.NSIG][]sigInfo
}

// put queues si.
func (q *sigQueue) put(si sigInfo) {
	sig := int(si.signo)
	q.queue[sig] = append(q.queue[sig], si)
	q.pending |= sigBit(sig)
}

// take removes and returns the oldest instance of sig, which is queued.
func (q *sigQueue) take(sig int) sigInfo {
	l := q.queue[sig]
	si := l[0]
	copy(l, l[1:])
	l = l[:len(l)-1]
	q.queue[sig] = l
	if len(l) == 0 {
		q.pending &^= sigBit(sig)
	}
	return si
}

// discard drops every queued instance of sig.
func (q *sigQueue) discard(sig int) {
	q.pending &^= sigBit(sig)
	q.queue[sig] = nil
}

// threadSignals is the per-thread part of directed signals (the queue of
// them is Thread.pend).
type threadSignals struct {
	wake    chan struct{} // a directed signal was queued for the thread
	kick    atomic.Bool   // kick the host thread until it takes the lock
	kicking atomic.Bool   // a goroutine is kicking it
}

// pendingHere is the set of pending signals the calling thread may take:
// the process's and its own.
func (t *Thread) pendingHere() uint64 {
	return t.sig.q.pending | t.pend.pending
}

// allPending is the set of signals pending for the process or any of its
// threads.
func (p *Process) allPending() uint64 {
	x := p.sig.q.pending
	if p.mt == nil {
		return x | p.main.pend.pending
	}
	for _, t := range p.mt.list() {
		x |= t.pend.pending
	}
	return x
}

// eachQueue calls f for the process's queue and every thread's own.
func (p *Process) eachQueue(f func(q *sigQueue)) {
	f(&p.sig.q)
	if p.mt == nil {
		f(&p.main.pend)
		return
	}
	for _, t := range p.mt.list() {
		f(&t.pend)
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
// runs with the OS lock held.
func (t *Thread) notifyThread(tid int32) {
	g := t.mt
	if g == nil || int(tid) == t.gettid() {
		return
	}
	if o := g.thread(tid, t.pid); o != nil {
		o.notify()
	}
}

// notify makes thread o look at its pending signals soon: it wakes it
// from a futex or signal wait, stops its CPU if it runs guest code, and
// kicks its host thread out of a blocking host call.
func (o *Thread) notify() {
	select {
	case o.sigs.wake <- struct{}{}:
	default:
	}
	o.CPU.Stop.Store(true)
	o.sigs.kick.Store(true)
	if kickReady() && o.sigs.kicking.CompareAndSwap(false, true) {
		go kickThread(o.pid, o.gettid(), o)
	}
}

// wakeTaker finds, for a process-directed signal sig that thread t blocks,
// another thread that does not and notifies it, as the kernel's
// complete_signal picks a thread that wants the signal. It runs with the
// OS lock held (the threads' masks change only under it).
func (t *Thread) wakeTaker(sig int) {
	g := t.mt
	if g == nil {
		return
	}
	for _, o := range g.list() {
		if o != t && !o.done && o.mask&sigBit(sig) == 0 {
			o.notify()
			return
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

// dropThreadSignals discards the signals pending for thread t, which
// ended.
func (t *Thread) dropThreadSignals() {
	t.pend = sigQueue{}
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
