package linux

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"gemu/internal/linux/abi"
	"gemu/internal/x86"
)

// Guest threads (clone with CLONE_VM|CLONE_THREAD).
//
// Every guest thread is a goroutine locked to its own host thread (so its
// host tid, which is also its guest tid, is unique) with its own x86.CPU,
// its own view of the shared mem.Space (mem.View: its TLB) and its own
// engine, and runs guest code in parallel with the others. The OS layer
// has a lock of its own (threadGroup.mu, a big kernel lock as in Linux
// 2.0 SMP): a thread takes it when it enters the OS layer (Syscall, a
// fault, Interrupt: enterOS) and releases it when it goes back to guest
// code (leaveOS), and around blocking host system calls (host), futex
// waits and signal waits. Guest code runs without it: what threads share
// there is made safe by the memory layer (locked instructions are host
// atomics, mappings change in exclusive sections that stop the running
// views, code writes are posted to the other engines). The engine leaves
// the CPU's view before it calls into the OS layer, so a thread holding
// mu inside an exclusive section (munmap) never waits for a vCPU that
// waits for mu. The futex queues and the thread list have a small lock of
// their own (threadGroup.qmu).
//
// The kernel state that is per thread in Linux (the CPU, the signal mask,
// the alternate stack, the gate and ABI of the current system call...)
// lives in each thread's Thread, which system call handlers, fault
// delivery and Interrupt receive (the CPU's Syscaller is its Thread); the
// lock hand-off copies nothing. Pending signals are queued per process,
// those sent to one thread (tgkill, SIGEV_THREAD_ID timers) marked with
// its id and taken by it alone (signal_thread.go). Asynchronous process
// signals kick only the main host thread out of blocking host calls; a
// signal for one thread kicks that thread's.
//
// A process that never clones a thread has no threadGroup (its first
// Thread exists from New on): the lock and the futex queues
// cost nothing on its paths but a nil check.

// Runner is an execution engine for one guest CPU: Run executes until the
// CPU stops or exits; InvalidatePage drops the engine's translations of a
// page of code that was written to (running says whether the write comes
// from the code this engine is executing, which must then stop after the
// current instruction).
type Runner interface {
	Run()
	InvalidatePage(addr uint64, running bool)
}

// SetEngineFactory sets how the engine of a new guest thread's CPU is
// made: with the options and instrumentation of the first CPU's, the CPU
// attached to the plugins. Without one, clone of a thread fails with
// ENOSYS. end (may be nil) is called when such a thread has ended, to
// detach its CPU from whatever the factory attached it to: after it,
// nothing refers to the thread's CPU and engine (with its translated
// blocks), which the garbage collector frees. Both run with the guest's
// lock held.
func (p *Process) SetEngineFactory(f func(c *x86.CPU) Runner, end func(c *x86.CPU)) {
	p.newEngine, p.endThread = f, end
}

// Thread is one guest thread: its CPU and the kernel state Linux keeps
// per thread. It embeds its Process, the state its threads share (address
// space, descriptors, signal dispositions and process-wide pending
// signals, credentials, limits, children...), so a handler reaches both
// through the Thread it is given. Its fields are the thread's own: only
// its goroutine, holding the OS lock, touches them, except where a
// field says otherwise.
type Thread struct {
	*Process

	// CPU is the thread's CPU; its Syscaller is this Thread. It never
	// changes, so goroutines without the lock (signal
	// posters) may read it to stop the CPU.
	CPU *x86.CPU

	// tid is the thread's id, 0 for the first thread (whose id is the
	// pid); clearTID its set_tid_address (CLONE_CHILD_CLEARTID) address.
	tid      int
	clearTID uint64
	// robustHead is the thread's robust futex list (set_robust_list,
	// robust.go), 0 if none.
	robustHead uint64
	// gate is how the current system call was entered; w and sys are its
	// ABI: the process's, or the i386 one in a 64-bit process's int $0x80
	// (syscall.go).
	gate x86.Gate
	w    abi.Words // guest long width of the call: 4 or 8
	sys  *sysABI

	// The thread's signal state: mask, alternate stack, the last
	// exception (reported in signal frames like the kernel's
	// thread.trap_nr, error_code and cr2).
	mask                 uint64
	altstack             altStack
	trapNo, errCode, cr2 uint64
	// regsLoaded is set by sigreturn: the system call return must not
	// store a result over the registers it loaded.
	regsLoaded bool
	// savedMask is the mask to put back after a sigsuspend-like call
	// (the kernel's saved_sigmask), when restoreMask is set.
	savedMask   uint64
	restoreMask bool

	main bool // the thread cmd/gemu runs (the process's first)
	run  Runner
	done bool // ended by exit while others go on
	// call is the clone it returns from first (observeChildReturn).
	call uint64
	// pend are the signals pending for this thread alone; sigs wakes it
	// for them (signal_thread.go).
	pend sigQueue
	sigs threadSignals
	// htid is the id of the host thread the thread's goroutine is locked
	// to (set once a thread group exists; read by codeWrite from any
	// thread). killed is set when another thread ended the process
	// (stopOthers): the thread must never act again.
	htid   atomic.Int32
	killed atomic.Bool
}

// threadGroup is the threads of a process that created one, and the
// locks between them.
//
// mu is the OS layer's lock. A thread holds it while it serves a system
// call, a fault or an interrupt (but around blocking host calls and
// waits), never while it runs guest code; it guards the Process's state
// and each Thread's fields (but those documented otherwise).
//
// qmu guards the futex queues (futex, and the addr and woken of each
// queued futexWaiter) and the changes of the thread list (threads, n). It
// is a leaf: no other lock is taken, nothing blocks and guest memory is
// at most read while it is held. The thread list is a copy-on-write
// snapshot that anyone may load without a lock (list). Neither depends on
// mu, so both stay correct once mu no longer serializes the threads.
type threadGroup struct {
	mu  sync.Mutex
	p   *Process
	cur atomic.Pointer[Thread] // the thread holding mu

	qmu sync.Mutex
	// threads are the live threads: replaced under qmu, never changed in
	// place once stored.
	threads atomic.Pointer[[]*Thread]
	n       atomic.Int32 // the number of threads, for /proc
	futex   map[uint64][]*futexWaiter
}

// list returns the live threads: a snapshot, not to be modified.
func (g *threadGroup) list() []*Thread {
	if l := g.threads.Load(); l != nil {
		return *l
	}
	return nil
}

// addThread adds t to the thread list.
func (g *threadGroup) addThread(t *Thread) {
	g.qmu.Lock()
	defer g.qmu.Unlock()
	old := g.list()
	l := append(old[:len(old):len(old)], t) // a new array: snapshots stay as they were
	g.threads.Store(&l)
	g.n.Add(1)
}

// removeThread takes t out of the thread list unless it is the last
// thread; it reports whether it did.
func (g *threadGroup) removeThread(t *Thread) bool {
	g.qmu.Lock()
	defer g.qmu.Unlock()
	old := g.list()
	if len(old) <= 1 {
		return false
	}
	l := make([]*Thread, 0, len(old)-1)
	for _, o := range old {
		if o != t {
			l = append(l, o)
		}
	}
	g.threads.Store(&l)
	g.n.Add(-1)
	return true
}

// activeGroup is the thread group of the process this gemu runs, once it
// has one: host() releases its lock around host system calls. A gemu runs
// one process.
var activeGroup atomic.Pointer[threadGroup]

// release releases the OS lock around a wait or a blocking host call; it
// returns the thread that held it, for acquire.
func (g *threadGroup) release() *Thread {
	t := g.cur.Load()
	g.cur.Store(nil)
	g.mu.Unlock()
	return t
}

// acquire takes the OS lock for t again after a wait. A signal that
// arrived meanwhile (a post stops every CPU, but t's stop may have been
// taken already) stops t's CPU at its next block boundary to act on it.
func (g *threadGroup) acquire(t *Thread) {
	g.lock(t)
	t.sigs.kick.Store(false)
	if g.p.sig.async.posted() || t.pend.pending != 0 && t.hasDeliverable() {
		t.CPU.Stop.Store(true)
	}
}

// stopAll stops every thread's CPU at its next block boundary, so that
// each looks at the signals posted from outside (Interrupt); it may be
// called from any goroutine. Those that block the signals go on; the
// first that merges them queues them for the process (mergeAsync).
func (g *threadGroup) stopAll() {
	for _, t := range g.list() {
		t.CPU.Stop.Store(true)
	}
}

// enterOS is the start of the OS layer's work for thread t (a system
// call, a fault, an interrupt): it takes the OS lock if the process has
// threads. The thread's memory view must be left before (it may wait
// for a thread that is in an exclusive section of the address space).
func (t *Thread) enterOS() {
	if g := t.mt; g != nil {
		g.lock(t)
		t.sigs.kick.Store(false) // it will look at its signals
	}
}

// lock takes the OS lock for t. A thread that another thread ended
// (stopOthers) never acts again: it parks, without the lock, which the
// ending thread may still release around host calls of its own.
func (g *threadGroup) lock(t *Thread) {
	g.mu.Lock()
	if t.killed.Load() {
		g.mu.Unlock()
		select {}
	}
	g.cur.Store(t)
}

// leaveOS is the end of the OS layer's work, back to guest code: it
// releases the OS lock, unless the CPU exited: a thread that ends (exit
// of one thread, exit_group, a fatal signal) keeps it until threadMain
// or cmd/gemu has finished with it. The process may have gained threads
// since enterOS (the first clone made the thread group, its lock held).
func (t *Thread) leaveOS() {
	if g := t.mt; g != nil && !t.CPU.Exited {
		g.cur.Store(nil)
		g.mu.Unlock()
	}
}

// unlocked runs f (which must not touch guest memory or process state)
// without the OS lock if the process has threads.
func (p *Process) unlocked(f func()) {
	g := p.mt
	if g == nil {
		f()
		return
	}
	t := g.release()
	defer g.acquire(t)
	f()
}

// gettid is the thread's id: the process id for the first thread.
func (t *Thread) gettid() int {
	if t.tid != 0 {
		return t.tid
	}
	return t.pid
}

// threadGroup returns the process's thread group, creating it for a first
// clone (by t, the only thread so far, which then holds the lock).
func (t *Thread) threadGroup() *threadGroup {
	p := t.Process
	if p.mt != nil {
		return p.mt
	}
	g := &threadGroup{p: p, futex: map[uint64][]*futexWaiter{}}
	if r, ok := t.CPU.Engine.(Runner); ok {
		t.run = r
	}
	// The first thread's goroutine stays on its host thread (it already
	// does once the guest made a system call: lockGuestThread), whose id
	// tells code writes from it apart (codeWrite).
	runtime.LockOSThread()
	t.htid.Store(gettid())
	g.mu.Lock()
	g.cur.Store(t)
	g.addThread(t)
	p.mt = g
	p.sig.async.setGroup(g)
	p.setCodeWrite(g.codeWrite)
	activeGroup.Store(g)
	return g
}

// codeWrite is the address space's OnCodeWrite with threads, called on
// the goroutine of the thread that wrote (guest code or a system call):
// the writer's engine drops its blocks of the page at once (and stops the
// block it runs if that was written to), every other engine is posted
// the page and drops its blocks before it runs another. The writer is
// told by its host thread: each thread's goroutine is locked to its own.
func (g *threadGroup) codeWrite(addr uint64) {
	self := gettid()
	for _, t := range g.list() {
		if t.run != nil {
			t.run.InvalidatePage(addr, t.htid.Load() == self)
		}
	}
}

// gettid is the calling host thread's id.
func gettid() int32 {
	tid, _, _ := syscall.RawSyscall(syscall.SYS_GETTID, 0, 0, 0)
	return int32(tid)
}

// stopOthers ends every other thread of the process, wherever it is, for
// exit_group, a fatal signal or execve: in an exclusive section of the
// address space (no other vCPU runs guest code meanwhile) each CPU is
// marked exited and stopped, so none runs another block; a thread that
// then reaches the OS layer waits for the lock, which the caller keeps to
// the end, and one whose run loop ends parks (killed). Counters of the
// other CPUs (instructions, plugins' per-CPU state) are final when it
// returns. It runs with the OS lock held, the caller's view left.
func (t *Thread) stopOthers() {
	g := t.mt
	if g == nil {
		return
	}
	t.Mem.Exclusive(func() {
		for _, o := range g.list() {
			if o != t {
				o.killed.Store(true)
				o.CPU.Exited = true
				o.CPU.Stop.Store(true)
			}
		}
	})
}

// cloneThread creates a thread (clone with CLONE_THREAD) as a copy of t.
func (t *Thread) cloneThread(ca cloneArgs) int64 {
	p := t.Process
	f := ca.Flags
	if f&cloneVM == 0 || f&cloneVfork != 0 {
		return -abi.EINVAL
	}
	if p.newEngine == nil {
		p.unimpf("clone: threads need an engine factory (SetEngineFactory)\n")
		return -abi.ENOSYS
	}
	if f&cloneParentSettid != 0 && !t.writable(ca.Ptid, 4) {
		return -abi.EFAULT
	}
	g := t.threadGroup()
	nc := t.CPU.NewThread() // a signal poster may be stopping t.CPU meanwhile
	// The parent's state, then the child's differences.
	nt := &Thread{Process: p, CPU: nc, gate: t.gate, w: t.w, sys: t.sys, mask: t.mask,
		altstack: altStack{flags: ssDisable}, trapNo: t.trapNo, errCode: t.errCode, cr2: t.cr2,
		call: t.callNumber(t.CPU), sigs: threadSignals{wake: make(chan struct{}, 1)}}
	nc.Sys = nt
	if nc.ProcMode == 64 { // a clone made by int $0x80: the child is an x86-64 thread
		nt.w, nt.sys = 8, &abi64
	}

	// The child returns 0 from clone, on its new stack, with its TLS.
	if t.gate == x86.GateSysenter {
		sp := nc.R[x86.RBP] & 0xffffffff
		var b [4]byte
		p.Mem.Peek(sp, b[:])
		p.sysenterReturn(nc, sp, uint64(le32(b[:])), 0)
	} else {
		nc.R[x86.RAX] = 0
	}
	if ca.Stack != 0 {
		nc.R[x86.RSP] = ca.Stack
	}
	if f&cloneSettls != 0 {
		if t.w == 8 {
			nc.SegBase[x86.FS] = ca.TLS
		} else {
			// set_thread_area on the child's CPU, in the parent's ABI.
			w, sys := nt.w, nt.sys
			nt.w, nt.sys = t.w, t.sys
			e := sysSetThreadArea(nt, &[6]uint64{ca.TLS})
			nt.w, nt.sys = w, sys
			if e != 0 {
				return e
			}
		}
	}
	// A new engine sets the address space's OnCodeWrite to its own,
	// which the other threads read as they store: it is made and the
	// group's put back while none of them runs guest code.
	p.Mem.Exclusive(func() {
		nt.run = p.newEngine(nc)
		p.setCodeWrite(g.codeWrite)
	})
	if r, ok := nc.Engine.(Runner); ok && nt.run == nil {
		nt.run = r
	}

	tidC := make(chan int)
	go g.threadMain(nt, tidC)
	tid := <-tidC
	nt.tid = tid
	if f&cloneChildCleartid != 0 {
		nt.clearTID = ca.Ctid
	}
	if f&cloneChildSettid != 0 {
		t.writeMem(ca.Ctid, p32(uint32(tid)))
	}
	if f&cloneParentSettid != 0 {
		t.writeMem(ca.Ptid, p32(uint32(tid)))
	}
	g.addThread(nt)
	return int64(tid)
}

// threadMain is a new thread's goroutine: it waits for the lock, runs the
// guest, and ends the thread or, if the guest ended, the process.
func (g *threadGroup) threadMain(t *Thread, tidC chan<- int) {
	runtime.LockOSThread() // never unlocked: the host thread ends with it
	tid := gettid()
	t.htid.Store(tid)
	tidC <- int(tid)
	g.acquire(t)
	p := g.p
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(os.Stderr, "gemu: internal error: %v at pc %#x (thread %d)\n", r, t.CPU.RIP, tid)
			if p.opts.LogFaults {
				os.Stderr.Write(debug.Stack())
			}
			p.RunExitHooks()
			os.Exit(1)
		}
	}()
	t.observeChildReturn(t.CPU, t.call)
	t.leaveOS()
	t.run.Run()
	if t.killed.Load() {
		// Another thread ends the process (stopOthers) and keeps the
		// lock until it exits.
		select {}
	}
	// Run returns when the CPU exited: the OS lock is held (leaveOS).
	if t.done {
		// The thread is out of g.threads and the futex queues; once the
		// factory's attachments are gone and g.cur no longer names it,
		// its CPU, engine and blocks are garbage.
		if p.endThread != nil {
			p.endThread(t.CPU)
		}
		t.CPU.Mem.Close() // its translation caches go with it
		g.cur.Store(nil)
		g.mu.Unlock()
		return
	}
	// exit_group, the last thread's exit or a fatal signal: the lock is
	// kept, no other thread runs again.
	p.finish()
}

// threadExit ends thread t (exit) if others remain, as Linux's exit does;
// it reports false for the last thread, whose exit ends the process.
func (t *Thread) threadExit(code int) bool {
	g := t.mt
	if g == nil || !g.removeThread(t) {
		return false
	}
	t.dropThreadSignals()
	t.exitRobustList()
	if t.clearTID != 0 {
		if t.writeMem(t.clearTID, p32(0)) == 0 {
			g.wake(t.clearTID, 1, ^uint32(0))
		}
	}
	if t.main {
		// cmd/gemu's goroutine must not return (it would end the
		// process): it waits for the end of the process without the lock.
		g.release()
		select {}
	}
	t.done = true
	t.CPU.Exited = true
	t.CPU.Stop.Store(true)
	t.CPU.ExitCode = code
	return true
}

// Futexes. Waiters queue by guest address under the queue lock (qmu): the
// check of the futex word and the enqueue happen under it, and a waker
// (who changed the word before its wake, like the kernel's futex_wake)
// takes it too, so a wake cannot be lost.

// futexWaiter is a thread waiting in futex.
type futexWaiter struct {
	addr   uint64
	bitset uint32
	ch     chan struct{}
	woken  bool
}

// Futex operations and flags.
const (
	futexWait          = 0
	futexWake          = 1
	futexRequeue       = 3
	futexCmpRequeue    = 4
	futexWakeOp        = 5
	futexWaitBitset    = 9
	futexWakeBitset    = 10
	futexPrivateFlag   = 128
	futexClockRealtime = 256
	futexCmdMask       = 0x7f
	etimedout          = 110
)

// futex serves futex and futex_time64 (time64: the timeout's fields are
// 64-bit on i386 too).
func (t *Thread) futex(a *[6]uint64, time64 bool) int64 {
	op := sint(a[1])
	addr, val := t.ulong(a[0]), uint32(a[2])
	if addr&3 != 0 {
		return -abi.EINVAL
	}
	g := t.mt
	switch op & futexCmdMask {
	case futexWake, futexWakeBitset:
		bits := ^uint32(0)
		if op&futexCmdMask == futexWakeBitset {
			if bits = uint32(a[5]); bits == 0 {
				return -abi.EINVAL
			}
		}
		if g == nil {
			return 0
		}
		return int64(g.wake(addr, int(val), bits))
	case futexWait, futexWaitBitset:
		bits := ^uint32(0)
		if op&futexCmdMask == futexWaitBitset {
			if bits = uint32(a[5]); bits == 0 {
				return -abi.EINVAL
			}
		}
		var deadline time.Time
		if a[3] != 0 {
			ts, e := t.timespecs(a[3], 1, time64)
			if e != 0 {
				return e
			}
			sec, nsec := int64(le64(ts)), int64(le64(ts[8:]))
			if sec < 0 || nsec < 0 || nsec >= 1e9 {
				return -abi.EINVAL
			}
			d := time.Duration(sec)*time.Second + time.Duration(nsec)
			if op&futexCmdMask == futexWaitBitset {
				// Absolute, on CLOCK_MONOTONIC or CLOCK_REALTIME.
				clock := 1
				if op&futexClockRealtime != 0 {
					clock = 0
				}
				now := hbuf(16)
				syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, uintptr(clock), uintptr(ptr(now)), 0)
				d -= time.Duration(int64(le64(now)))*time.Second + time.Duration(int64(le64(now[8:])))
			}
			deadline = time.Now().Add(d)
		}
		if g != nil {
			return g.wait(t, addr, val, bits, deadline)
		}
		b, e := t.readMem(addr, 4)
		if e != 0 {
			return e
		}
		if le32(b) != val {
			return -abi.EAGAIN
		}
		// No other thread can wake it: wait for the timeout or a signal.
		// Without a timeout, look at the word now and then: another
		// process sharing the memory may change it (a wake may return
		// early).
		for deadline.IsZero() {
			if t.waitSignal(0, time.Now().Add(20*time.Millisecond).UnixNano()) {
				return -abi.EINTR
			}
			if b, e := t.readMem(addr, 4); e != 0 || le32(b) != val {
				return 0
			}
		}
		if t.waitSignal(0, deadline.UnixNano()) {
			return -abi.EINTR
		}
		return -etimedout
	case futexRequeue, futexCmpRequeue:
		if op&futexCmdMask == futexCmpRequeue {
			b, e := t.readMem(addr, 4)
			if e != 0 {
				return e
			}
			if le32(b) != uint32(a[5]) {
				return -abi.EAGAIN
			}
		}
		if g == nil {
			return 0
		}
		return int64(g.requeue(addr, t.ulong(a[4]), int(val), int(uint32(a[3]))))
	case futexWakeOp:
		return t.futexWakeOp(addr, t.ulong(a[4]), int(val), int(uint32(a[3])), uint32(a[5]))
	}
	t.unimpf("Unsupported futex operation: %d\n", op)
	return -abi.ENOSYS
}

// wait queues thread t on addr if the word there still holds val (else
// EAGAIN) and waits without the OS lock for a wake, the deadline
// (zero: none) or a signal.
func (g *threadGroup) wait(t *Thread, addr uint64, val, bits uint32, deadline time.Time) int64 {
	w := &futexWaiter{addr: addr, bitset: bits, ch: make(chan struct{}, 1)}
	g.qmu.Lock()
	b, e := t.readMem(addr, 4)
	if e == 0 && le32(b) != val {
		e = -abi.EAGAIN
	}
	if e != 0 {
		g.qmu.Unlock()
		return e
	}
	g.futex[addr] = append(g.futex[addr], w)
	g.qmu.Unlock()
	p := g.p
	sigC := p.sig.async.wakeChan()
	pending := p.sig.async.gen.Load() != p.sig.async.seen.Load() || t.hasDeliverable()
	var timeout <-chan time.Time
	if !deadline.IsZero() {
		tm := time.NewTimer(time.Until(deadline))
		defer tm.Stop()
		timeout = tm.C
	}
	result := int64(0)
	if !pending {
		g.release()
		select {
		case <-w.ch:
		case <-timeout:
			result = -etimedout
		case <-sigC:
			result = -abi.EINTR
		case <-t.sigs.wake:
			result = -abi.EINTR
		}
		g.acquire(t)
	} else {
		result = -abi.EINTR
	}
	g.qmu.Lock()
	defer g.qmu.Unlock()
	if w.woken {
		return 0
	}
	q := g.futex[w.addr]
	for i, o := range q {
		if o == w {
			q = append(q[:i:i], q[i+1:]...)
			break
		}
	}
	if len(q) == 0 {
		delete(g.futex, w.addr)
	} else {
		g.futex[w.addr] = q
	}
	return result
}

// wake wakes up to n waiters on addr whose bitset meets bits and returns
// how many it woke.
func (g *threadGroup) wake(addr uint64, n int, bits uint32) int {
	g.qmu.Lock()
	defer g.qmu.Unlock()
	return g.wakeLocked(addr, n, bits)
}

// wakeLocked is wake with qmu held.
func (g *threadGroup) wakeLocked(addr uint64, n int, bits uint32) int {
	q := g.futex[addr]
	woken := 0
	var rest []*futexWaiter
	for _, w := range q {
		if woken < n && w.bitset&bits != 0 {
			w.woken = true
			w.ch <- struct{}{}
			woken++
			continue
		}
		rest = append(rest, w)
	}
	if len(rest) == 0 {
		delete(g.futex, addr)
	} else {
		g.futex[addr] = rest
	}
	return woken
}

// requeue wakes up to n waiters on addr and moves up to n2 of the others
// to addr2; it returns the number woken and moved.
func (g *threadGroup) requeue(addr, addr2 uint64, n, n2 int) int {
	g.qmu.Lock()
	defer g.qmu.Unlock()
	woken := g.wakeLocked(addr, n, ^uint32(0))
	q := g.futex[addr]
	moved := min(n2, len(q))
	for _, w := range q[:moved] {
		w.addr = addr2
	}
	g.futex[addr2] = append(g.futex[addr2], q[:moved]...)
	if moved == len(q) {
		delete(g.futex, addr)
	} else {
		g.futex[addr] = q[moved:]
	}
	return woken + moved
}

// futexWakeOp is FUTEX_WAKE_OP: it changes the word at addr2 by the
// operation encoded in op, wakes n waiters on addr and, if the old value
// at addr2 passes op's comparison, n2 waiters on addr2. The change of the
// word is one atomic read-modify-write (a compare-and-swap loop on the
// page, as the kernel's arch_futex_atomic_op_inuser), since other threads
// may change it with locked instructions meanwhile.
func (t *Thread) futexWakeOp(addr, addr2 uint64, n, n2 int, op uint32) int64 {
	if addr2&3 != 0 {
		return -abi.EINVAL
	}
	oparg := uint32(int32(op<<8) >> 20)
	cmparg := uint32(int32(op<<20) >> 20)
	if op>>28&8 != 0 { // FUTEX_OP_OPARG_SHIFT
		oparg = 1 << (oparg & 31)
	}
	kind := op >> 28 & 7
	if kind > 4 {
		return -abi.ENOSYS
	}
	if !t.writable(addr2, 4) {
		return -abi.EFAULT
	}
	old := t.atomicUpdate32(addr2, func(old uint32) uint32 {
		switch kind {
		case 0:
			return oparg
		case 1:
			return old + oparg
		case 2:
			return old | oparg
		case 3:
			return old &^ oparg
		}
		return old ^ oparg
	})
	p := t.Process
	g := p.mt
	if g == nil {
		return 0
	}
	woken := g.wake(addr, n, ^uint32(0))
	var ok bool
	switch op >> 24 & 15 {
	case 0:
		ok = old == cmparg
	case 1:
		ok = old != cmparg
	case 2:
		ok = int32(old) < int32(cmparg)
	case 3:
		ok = int32(old) <= int32(cmparg)
	case 4:
		ok = int32(old) > int32(cmparg)
	case 5:
		ok = int32(old) >= int32(cmparg)
	default:
		return -abi.ENOSYS
	}
	if ok {
		woken += g.wake(addr2, n2, ^uint32(0))
	}
	return int64(woken)
}

// atomicUpdate32 replaces the word at addr (writable: checked by the
// caller) by f of its value, atomically with respect to the other
// threads' locked instructions, and returns the value it replaced. The
// thread's memory view is entered for the access (the OS layer runs with
// it left): with the OS lock held this waits at most for another
// thread's exclusive section, which never waits for the lock.
func (t *Thread) atomicUpdate32(addr uint64, f func(uint32) uint32) uint32 {
	v := t.CPU.Mem
	v.Enter()
	defer v.Leave()
	l := v.LockedAt(addr, 4)
	cur := l.Load()
	for {
		prev := l.CompareAndSwap(cur, uint64(f(uint32(cur))))
		if prev == cur {
			return uint32(cur)
		}
		cur = prev
	}
}

// isThread reports whether tid is a live thread of the process.
func (p *Process) isThread(tid int64) bool {
	if tid == int64(p.pid) {
		return true
	}
	if p.mt != nil {
		for _, t := range p.mt.list() {
			if int64(t.tid) == tid {
				return true
			}
		}
	}
	return false
}
