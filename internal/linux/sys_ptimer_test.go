package linux

import (
	"testing"
	"time"

	"gemu/internal/linux/abi"
	"gemu/internal/x86"
)

// A signal pending for another thread is invisible to the calling one:
// not deliverable, not dequeued; its own thread takes it, in the order
// the signals were generated among the process's and its own.
func TestDirectedSignalQueue(t *testing.T) {
	f := newFutexTest(t)
	p, peer := f.p, f.peer
	p.queueSignal(newSigInfo(40, siTkill)) // one for the process
	si := newSigInfo(40, siTkill)
	si.tid = int32(peer.tid)
	if !p.queueSignal(si) {
		t.Fatal("not queued")
	}
	p.queueSignal(newSigInfo(40, siTkill)) // a second one for the process
	if peer.pend.pending != sigBit(40) || len(peer.pend.queue[40]) != 1 || len(p.sig.q.queue[40]) != 2 {
		t.Fatalf("queues: thread %#x (%d), process %d", peer.pend.pending, len(peer.pend.queue[40]), len(p.sig.q.queue[40]))
	}
	if got := p.dequeue(p.nextSignal(^uint64(0))); got.tid != 0 {
		t.Fatalf("took the other thread's instance (tid %d)", got.tid)
	}
	if got := peer.dequeue(peer.nextSignal(^uint64(0))); got.tid != int32(peer.tid) {
		t.Fatalf("the thread took tid %d first, want its own, queued before the process's second", got.tid)
	}
	if !p.hasDeliverable() || peer.pend.pending != 0 {
		t.Fatalf("after: main deliverable %v, thread pending %#x", p.hasDeliverable(), peer.pend.pending)
	}
	if got := p.dequeue(40); got.tid != 0 || p.sig.q.pending != 0 || p.hasDeliverable() || peer.hasDeliverable() {
		t.Fatalf("last: tid %d pending %#x", got.tid, p.sig.q.pending)
	}
	// A signal for the thread while it blocks it waits in its queue.
	peer.setMask(sigBit(41))
	si = newSigInfo(41, siTkill)
	si.tid = int32(peer.tid)
	p.queueSignal(si)
	if peer.hasDeliverable() || p.hasDeliverable() || p.pendingHere() != 0 || peer.pendingHere() != sigBit(41) {
		t.Fatalf("blocked directed signal: thread deliverable %v, main %v", peer.hasDeliverable(), p.hasDeliverable())
	}
	peer.dropThreadSignals()
	if p.allPending() != 0 {
		t.Fatalf("pending after the thread ended: %#x", p.allPending())
	}
}

// A periodic timer whose signal stays blocked counts the expirations as
// overruns, delivered with the one signal; setting it again drops the
// pending signal when it would be taken.
func TestPosixTimerOverrunAndStale(t *testing.T) {
	p := newTestProcess(t, 64, nil, nil, Options{})
	buf := p.Stack.SP - 0x200
	p.setMask(sigBit(35))
	// sigevent: value 77, SIGRTMIN+1, SIGEV_SIGNAL
	p.Mem.Poke(buf, append(p.w.Encode(77), 35, 0, 0, 0, 0, 0, 0, 0))
	idp := buf + 0x80
	if r := call(t, p, x86.GateSyscall, "timer_create", 1, buf, idp); r != 0 {
		t.Fatalf("timer_create = %d", r)
	}
	id := word(t, p, idp) & 0xffffffff
	spec := buf + 0x100
	p.Mem.Poke(spec, p.w.Encode(0, 1e6, 0, 1e6)) // 1 ms, every 1 ms
	start := time.Now()
	if r := call(t, p, x86.GateSyscall, "timer_settime", id, 0, spec, 0); r != 0 {
		t.Fatalf("timer_settime = %d", r)
	}
	queued := func() int {
		for i := 0; i < 5000 && len(p.sig.q.queue[35]) == 0; i++ {
			time.Sleep(time.Millisecond)
			p.mergeAsync()
		}
		return len(p.sig.q.queue[35])
	}
	queued()
	time.Sleep(time.Until(start.Add(30 * time.Millisecond)))
	p.mergeAsync()
	sig := p.nextSignal(^uint64(0))
	if sig != 35 || len(p.sig.q.queue[sig]) != 1 {
		t.Fatalf("next signal %d, queued %d", sig, len(p.sig.q.queue[35]))
	}
	si := p.dequeue(sig)
	if si.signo == 0 || si.code != siTimer || si.value != 77 || si.pid != uint32(id) || si.uid < 20 {
		t.Fatalf("siginfo %+v", si)
	}
	if r := call(t, p, x86.GateSyscall, "timer_getoverrun", id); r != int64(si.uid) {
		t.Errorf("timer_getoverrun = %d, si_overrun %d", r, si.uid)
	}
	if n := queued(); n != 1 {
		t.Fatalf("queued %d after the next expiry", n)
	}
	p.Mem.Poke(spec, p.w.Encode(0, 0, 100, 0))
	if r := call(t, p, x86.GateSyscall, "timer_settime", id, 0, spec, 0); r != 0 {
		t.Fatalf("timer_settime = %d", r)
	}
	if si := p.dequeue(sig); si.signo != 0 {
		t.Errorf("the signal of the previous setting was taken: %+v", si)
	}
	if r := call(t, p, x86.GateSyscall, "timer_delete", id); r != 0 {
		t.Errorf("timer_delete = %d", r)
	}
	if r := call(t, p, x86.GateSyscall, "timer_delete", id); r != -abi.EINVAL {
		t.Errorf("timer_delete again = %d", r)
	}
}
