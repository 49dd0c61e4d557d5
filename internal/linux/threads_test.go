package linux

import (
	"testing"
	"time"

	"gemu/internal/linux/abi"
	"gemu/internal/mem"
	"gemu/internal/x86"
)

// futexTest is a process with a thread group whose second thread is a
// goroutine that makes futex calls, as a guest thread blocked in a system
// call would.
type futexTest struct {
	t    *testing.T
	p    *Thread // the main thread
	g    *threadGroup
	peer *Thread
}

const futexPage = 0x5000_0000

func newFutexTest(t *testing.T) *futexTest {
	p := newTestProcess(t, 64, []string{"prog"}, nil, Options{})
	if err := p.Mem.Map(futexPage, mem.PageSize, mem.Read|mem.Write); err != nil {
		t.Fatal(err)
	}
	g := p.threadGroup() // the test's goroutine holds the lock
	t.Cleanup(func() {
		activeGroup.Store(nil)
		g.mu.Unlock()
	})
	peer := &Thread{Process: p.Process, CPU: p.CPU.NewThread(), tid: 4242, w: p.w, sys: p.sys, mask: p.mask,
		sigs: threadSignals{wake: make(chan struct{}, 1)}}
	peer.CPU.Sys = peer
	// Listed as a thread, but not counted: the ticker leaves the test's
	// CPUs alone.
	l := append(g.list()[:1:1], peer)
	g.threads.Store(&l)
	return &futexTest{t: t, p: p, g: g, peer: peer}
}

// queued is the number of waiters on addr.
func (g *threadGroup) queued(addr uint64) int {
	g.qmu.Lock()
	defer g.qmu.Unlock()
	return len(g.futex[addr])
}

// futex makes the peer thread call futex with args and returns a channel
// that receives its result.
func (f *futexTest) futex(args ...uint64) <-chan int64 {
	res := make(chan int64, 1)
	go func() {
		f.g.acquire(f.peer)
		var a [6]uint64
		copy(a[:], args)
		r := f.peer.futex(&a, false)
		f.g.release()
		res <- r
	}()
	return res
}

// waiters lets the peer run until n waiters are queued on addr.
func (f *futexTest) waiters(addr uint64, n int) {
	f.t.Helper()
	for i := 0; i < 2000; i++ {
		if f.g.queued(addr) == n {
			return
		}
		t := f.g.release()
		time.Sleep(time.Millisecond)
		f.g.acquire(t)
	}
	f.t.Fatalf("%d waiters on %#x, want %d", f.g.queued(addr), addr, n)
}

// result waits for the peer's result without the lock.
func (f *futexTest) result(ch <-chan int64) int64 {
	t := f.g.release()
	defer f.g.acquire(t)
	select {
	case r := <-ch:
		return r
	case <-time.After(5 * time.Second):
		f.t.Fatal("futex call did not return")
		return 0
	}
}

func (f *futexTest) call(args ...uint64) int64 {
	var a [6]uint64
	copy(a[:], args)
	return f.p.futex(&a, false)
}

func TestFutexWaitWake(t *testing.T) {
	f := newFutexTest(t)
	w := uint64(futexPage)
	f.p.Mem.Write(w, p32(5))

	if r := f.result(f.futex(w, futexWait|futexPrivateFlag, 6)); r != -abi.EAGAIN {
		t.Errorf("wait on a changed value = %d, want EAGAIN", r)
	}
	if r := f.call(w+1, futexWake, 1); r != -abi.EINVAL {
		t.Errorf("wake at a misaligned address = %d, want EINVAL", r)
	}

	ch := f.futex(w, futexWait|futexPrivateFlag, 5)
	f.waiters(w, 1)
	if r := f.call(w, futexWakeBitset, 1, 0, 0, 0x2); r != 1 {
		// A plain wait has every bit of the bitset.
		t.Errorf("wake_bitset = %d, want 1", r)
	}
	if r := f.result(ch); r != 0 {
		t.Errorf("woken wait = %d, want 0", r)
	}

	// A bitset wait is not woken by a wake of other bits.
	ch = f.futex(w, futexWaitBitset, 5, 0, 0, 0x1)
	f.waiters(w, 1)
	if r := f.call(w, futexWakeBitset, 1, 0, 0, 0x2); r != 0 {
		t.Errorf("wake of other bits = %d, want 0", r)
	}
	if r := f.call(w, futexWake, 10); r != 1 {
		t.Errorf("wake = %d, want 1", r)
	}
	if r := f.result(ch); r != 0 {
		t.Errorf("woken bitset wait = %d, want 0", r)
	}
	if len(f.g.futex) != 0 {
		t.Errorf("waiters left: %v", f.g.futex)
	}
}

func TestFutexTimeout(t *testing.T) {
	f := newFutexTest(t)
	w := uint64(futexPage)
	ts := uint64(futexPage + 0x100)
	f.p.Mem.Write(ts, abi.Words(8).Encode(0, 20_000_000)) // 20 ms
	start := time.Now()
	if r := f.result(f.futex(w, futexWait, 0, ts)); r != -etimedout {
		t.Errorf("timed wait = %d, want ETIMEDOUT", r)
	}
	if d := time.Since(start); d < 20*time.Millisecond {
		t.Errorf("timed wait returned after %v, before its timeout", d)
	}
	if len(f.g.futex) != 0 {
		t.Errorf("waiters left after a timeout: %v", f.g.futex)
	}
	// WAIT_BITSET's timeout is absolute: one in the past times out at once.
	f.p.Mem.Write(ts, abi.Words(8).Encode(1, 0))
	if r := f.result(f.futex(w, futexWaitBitset, 0, ts, 0, ^uint64(0))); r != -etimedout {
		t.Errorf("wait_bitset with a past deadline = %d, want ETIMEDOUT", r)
	}
}

func TestFutexRequeue(t *testing.T) {
	f := newFutexTest(t)
	w, w2 := uint64(futexPage), uint64(futexPage+8)
	f.p.Mem.Write(w, p32(1))
	ch := f.futex(w, futexWait, 1)
	f.waiters(w, 1)
	if r := f.call(w, futexCmpRequeue, 0, 1, w2, 2); r != -abi.EAGAIN {
		t.Errorf("cmp_requeue with a changed value = %d, want EAGAIN", r)
	}
	if r := f.call(w, futexCmpRequeue, 0, 1, w2, 1); r != 1 {
		t.Errorf("cmp_requeue = %d, want 1 (requeued)", r)
	}
	if f.g.queued(w) != 0 || f.g.queued(w2) != 1 {
		t.Fatalf("after requeue: %d waiters on the first word, %d on the second", f.g.queued(w), f.g.queued(w2))
	}
	if r := f.call(w2, futexWake, 1); r != 1 {
		t.Errorf("wake of the second word = %d, want 1", r)
	}
	if r := f.result(ch); r != 0 {
		t.Errorf("requeued wait = %d, want 0", r)
	}
}

func TestFutexWakeOp(t *testing.T) {
	f := newFutexTest(t)
	w, w2 := uint64(futexPage), uint64(futexPage+8)
	f.p.Mem.Write(w2, p32(3))
	ch := f.futex(w2, futexWait, 3)
	f.waiters(w2, 1)
	// *w2 += 1; wake 1 on w (none), and 1 on w2 if the old value > 2.
	op := uint64(1<<28 | 1<<12 | 4<<24 | 2)
	if r := f.call(w, futexWakeOp, 1, 1, w2, op); r != 1 {
		t.Errorf("wake_op = %d, want 1", r)
	}
	b := make([]byte, 4)
	f.p.Mem.Read(w2, b)
	if le32(b) != 4 {
		t.Errorf("wake_op left %d, want 4", le32(b))
	}
	if r := f.result(ch); r != 0 {
		t.Errorf("wait woken by wake_op = %d, want 0", r)
	}
}

// A signal posted from another goroutine (a timer, a child watcher) stops
// the CPU of every thread, which run in parallel: each looks at it at its
// next block boundary, and one that does not block it takes it. One posted
// while a thread waits without the lock stops it again when it takes the
// lock back, in case its CPU's stop was taken meanwhile. Under -race this
// also checks that posters read only what they may.
func TestPostStopsEveryThread(t *testing.T) {
	f := newFutexTest(t)
	main := f.p
	post := func() {
		done := make(chan struct{})
		go func() {
			f.p.postAsync(newSigInfo(abi.SIGUSR1, siKernel))
			close(done)
		}()
		<-done
	}
	post()
	if !main.CPU.Stop.Load() || !f.peer.CPU.Stop.Load() {
		t.Errorf("post: stop main %v, peer %v; want both", main.CPU.Stop.Load(), f.peer.CPU.Stop.Load())
	}
	main.CPU.Stop.Store(false)
	f.peer.CPU.Stop.Store(false)
	f.p.mergeAsync()

	f.g.release()
	post()
	f.peer.CPU.Stop.Store(false) // as if the peer's engine had taken it
	f.g.acquire(f.peer)
	if !f.peer.CPU.Stop.Load() {
		t.Error("the thread taking the lock after a post was not stopped")
	}
	f.peer.mergeAsync()
	f.g.release()
	f.g.acquire(main)
}

// TestThreadStateIsPerThread checks that each thread's kernel state is its
// own with no hand-off copying: the CPU's Syscaller is its Thread, a fault
// on the peer's CPU is delivered on that CPU with the peer's mask saved in
// the frame and the exception recorded in the peer, and sigprocmask in one
// thread leaves the other's mask alone.
func TestThreadStateIsPerThread(t *testing.T) {
	f := newFutexTest(t)
	main, peer := f.p, f.peer
	if main.CPU.Sys != main || peer.CPU.Sys != peer {
		t.Fatalf("Syscallers: main %T %v, peer %v; want each CPU's own Thread", main.CPU.Sys, main.CPU.Sys == main, peer.CPU.Sys == peer)
	}
	main.setMask(sigBit(abi.SIGUSR1))
	peer.setMask(sigBit(abi.SIGUSR2))
	setAction(main, abi.SIGSEGV, abi.Sigaction{Handler: 0x401100, Flags: saSiginfo | saRestorer, Restorer: 0x401200})
	mainRIP, mainSP := main.CPU.RIP, main.CPU.R[x86.RSP]
	peer.CPU.RIP = 0x401000
	// The fault comes from guest code, outside the OS layer: HandleFault
	// takes the OS lock itself.
	f.g.mu.Unlock()
	HandleFault(peer.CPU, &x86.Trap{Kind: x86.TrapPage, Addr: 0x10, Mem: &mem.Fault{Addr: 0x10, Access: mem.AccRead, Unmapped: true}})
	f.g.mu.Lock()
	if peer.CPU.Exited || peer.CPU.RIP != 0x401100 || peer.CPU.R[x86.RDI] != abi.SIGSEGV {
		t.Fatalf("peer after the fault: exited %v rip %#x rdi %d; want the handler with SIGSEGV", peer.CPU.Exited, peer.CPU.RIP, peer.CPU.R[x86.RDI])
	}
	if main.CPU.RIP != mainRIP || main.CPU.R[x86.RSP] != mainSP {
		t.Errorf("main's CPU moved: rip %#x sp %#x, want %#x %#x", main.CPU.RIP, main.CPU.R[x86.RSP], mainRIP, mainSP)
	}
	if peer.trapNo != trapPF || peer.cr2 != 0x10 || main.trapNo != 0 || main.cr2 != 0 {
		t.Errorf("exception recorded: peer trap %d cr2 %#x, main trap %d cr2 %#x; want 14 0x10 in the peer only",
			peer.trapNo, peer.cr2, main.trapNo, main.cr2)
	}
	// The frame's uc_sigmask (the ucontext is at rdx) is the peer's mask
	// before the handler.
	if got := rd(t, peer, peer.CPU.R[x86.RDX]+uc64Sigmask, 8); got != sigBit(abi.SIGUSR2) {
		t.Errorf("saved mask %#x, want the peer's %#x", got, sigBit(abi.SIGUSR2))
	}
	if main.mask != sigBit(abi.SIGUSR1) {
		t.Errorf("main's mask %#x after the peer's signal, want %#x", main.mask, sigBit(abi.SIGUSR1))
	}
	if peer.mask&sigBit(abi.SIGSEGV) == 0 {
		t.Errorf("peer's mask %#x during the handler lacks SIGSEGV", peer.mask)
	}
}

// TestThreadList checks the copy-on-write thread list: a snapshot taken
// before a change keeps its threads, and the last thread is never removed.
func TestThreadList(t *testing.T) {
	f := newFutexTest(t)
	g, main := f.g, f.p
	before := g.list()
	other := &Thread{Process: main.Process, tid: 77}
	g.addThread(other)
	after := g.list()
	if len(before) != 2 || len(after) != 3 || after[2] != other || g.n.Load() != 2 {
		t.Fatalf("add: snapshot %d threads, list %d, n %d; want 2, 3 with the new one last, 2 counted", len(before), len(after), g.n.Load())
	}
	if !g.removeThread(other) || len(g.list()) != 2 || len(after) != 3 || g.n.Load() != 1 {
		t.Fatalf("remove: list %d, old snapshot %d, n %d; want 2, 3, 1", len(g.list()), len(after), g.n.Load())
	}
	if !g.removeThread(f.peer) || g.removeThread(main) || len(g.list()) != 1 || g.list()[0] != main {
		t.Fatalf("removing down to the last thread: list %v", g.list())
	}
}
