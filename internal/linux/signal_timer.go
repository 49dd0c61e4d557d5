package linux

import (
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"gemu/internal/linux/abi"
	"gemu/internal/x86"
)

// Asynchronous signals: interval timers (setitimer, alarm) run on host
// timers in other goroutines and post their signals to asyncSignals. The
// guest's thread merges posted signals into the pending set when it
// returns from a system call, at a block boundary (the poster sets Stop
// of the CPU running guest code, which makes the engine call
// Process.Interrupt; with threads, of the one holding the lock), or while it
// waits in sigsuspend/pause/sigtimedwait. A guest blocked in a host system
// call (a read from a pipe, a sleep) is woken by a host signal, kickSignal,
// sent to its thread: its handler is Go's, reinstalled without SA_RESTART,
// so the call fails with EINTR and is then restarted or reported to the
// guest under Linux's rules (syscallExit).

// kickSignal is the host signal that interrupts the guest thread's
// blocking host system calls: a real-time signal that neither Go nor glibc
// uses, which Go's runtime handles and otherwise ignores.
const kickSignal = 62

// asyncSignals receives signals generated on other goroutines for the
// guest's thread.
type asyncSignals struct {
	mu    sync.Mutex
	queue []sigInfo
	wakeC chan struct{}
	// group is the process's threads once it has some (set under mu):
	// a post then stops the thread that runs, not the first thread's
	// CPU, which it stops before.
	group *threadGroup

	gen     atomic.Uint64 // signals posted so far
	seen    atomic.Uint64 // posts merged by the guest thread
	kicking atomic.Bool   // a goroutine is kicking the guest thread
	tid     atomic.Int32  // host thread of the guest, once locked to it
}

// wakeChan returns the channel a post wakes a waiting guest thread with.
func (a *asyncSignals) wakeChan() chan struct{} {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.wakeC == nil {
		a.wakeC = make(chan struct{}, 1)
	}
	return a.wakeC
}

// wait blocks until something is posted, a signal is queued for the
// thread (on its wake channel, nil without threads) or, with a nonzero
// deadline (Unix nanoseconds), until then; it reports false on timeout.
func (a *asyncSignals) wait(deadline int64, wake chan struct{}) bool {
	ch := a.wakeChan()
	if a.gen.Load() != a.seen.Load() {
		return true
	}
	if deadline == 0 {
		select {
		case <-ch:
		case <-wake:
		}
		return true
	}
	d := time.Until(time.Unix(0, deadline))
	if d <= 0 {
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ch:
		return true
	case <-wake:
		return true
	case <-t.C:
		return false
	}
}

// postAsync generates a signal from another goroutine: it is queued for
// the guest thread, which is woken if it waits, stopped at the next block
// boundary if it runs, and kicked out of a blocking host call.
func (p *Process) postAsync(si sigInfo) {
	a := &p.sig.async
	ch := a.wakeChan()
	a.mu.Lock()
	a.queue = append(a.queue, si)
	g := a.group
	var c *x86.CPU
	if g == nil {
		// Read under mu: once group is set, it stops the running thread.
		c = p.main.CPU
	}
	a.mu.Unlock()
	a.gen.Add(1)
	select {
	case ch <- struct{}{}:
	default:
	}
	if g != nil {
		g.stopAll()
	} else {
		c.Stop.Store(true)
	}
	a.kick(p.pid)
}

// setGroup makes posts stop the running thread of g from now on.
func (a *asyncSignals) setGroup(g *threadGroup) {
	a.mu.Lock()
	a.group = g
	a.mu.Unlock()
}

// posted reports whether signals were posted that the guest has not
// merged yet.
func (a *asyncSignals) posted() bool { return a.gen.Load() != a.seen.Load() }

// PostSignal hands the guest a signal that gemu itself received from the
// host (SIGINT from the terminal, SIGTERM from kill...), as Linux would
// deliver it: si_code SI_USER, the guest's handler or default action.
// It may be called from any goroutine, typically an os/signal loop.
func (p *Process) PostSignal(sig int) {
	if sig <= 0 || sig >= abi.NSIG {
		return
	}
	p.postAsync(newSigInfo(sig, siUser))
}

// mergeAsync moves posted signals into the pending set; it runs on the
// guest's thread and costs two atomic loads when nothing was posted.
func (t *Thread) mergeAsync() {
	a := &t.sig.async
	g := a.gen.Load()
	if g == a.seen.Load() {
		return
	}
	a.mu.Lock()
	q := a.queue
	a.queue = nil
	a.mu.Unlock()
	for _, si := range q {
		if si.timer != nil && !t.timerSignalMerge(&si) {
			continue
		}
		if t.queueSignal(si) && si.tid != 0 {
			t.notifyThread(si.tid)
		}
	}
	a.seen.Store(g)
}

// kick starts, unless one runs, a goroutine that signals the guest thread
// until it has merged every post: a kick that arrives just before the
// thread enters a blocking call is lost, so it is repeated, less and less
// often.
func (a *asyncSignals) kick(pid int) {
	tid := a.tid.Load()
	if tid == 0 || !kickReady() || !a.kicking.CompareAndSwap(false, true) {
		return
	}
	go func() {
		for {
			d := 100 * time.Microsecond
			for a.seen.Load() < a.gen.Load() {
				syscall.RawSyscall(syscall.SYS_TGKILL, uintptr(pid), uintptr(tid), kickSignal)
				time.Sleep(d)
				d = min(2*d, 20*time.Millisecond)
			}
			a.kicking.Store(false)
			// A post between the loop's last check and the store
			// found kicking set: look again.
			if a.seen.Load() >= a.gen.Load() || !a.kicking.CompareAndSwap(false, true) {
				return
			}
		}
	}()
}

var (
	kickOnce sync.Once
	kickOK   bool
)

// kickReady prepares kickSignal once: Go's runtime installed its handler
// with SA_RESTART, which would make the kernel resume an interrupted read;
// it is installed again without that flag. If Go has no handler there
// (the signal would kill gemu), kicking is off.
func kickReady() bool {
	kickOnce.Do(func() {
		var sa [4]uint64 // handler, flags, restorer, mask
		_, _, e := syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, kickSignal, 0, uintptr(unsafe.Pointer(&sa)), 8, 0, 0)
		if e != 0 || sa[0] == abi.SIG_DFL || sa[0] == abi.SIG_IGN {
			return
		}
		sa[1] &^= saRestart
		_, _, e = syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, kickSignal, uintptr(unsafe.Pointer(&sa)), 0, 8, 0, 0)
		kickOK = e == 0
	})
	return kickOK
}

// lockGuestThread binds the guest's goroutine to its host thread, so that
// kicks and the thread CPU-time clocks of the virtual timers find it. It
// runs on the guest's goroutine before the first asynchronous source
// starts.
func (p *Process) lockGuestThread() {
	a := &p.sig.async
	if a.tid.Load() != 0 {
		return
	}
	runtime.LockOSThread()
	tid, _, _ := syscall.RawSyscall(syscall.SYS_GETTID, 0, 0, 0)
	a.tid.Store(int32(tid))
}

// Interval timers.
const (
	itimerReal    = 0
	itimerVirtual = 1
	itimerProf    = 2
)

// itimerSignal is the signal each interval timer sends.
var itimerSignal = [3]int{abi.SIGALRM, abi.SIGVTALRM, abi.SIGPROF}

// itimer is one interval timer: its deadline on its clock (nanoseconds)
// and reload interval. gen changes at every setting, retiring the
// goroutine of the previous one.
type itimer struct {
	armed    bool
	deadline int64
	interval int64
	gen      uint64
	stop     chan struct{}
}

// itimers are the three interval timers of the process.
type itimers struct {
	mu   sync.Mutex
	t    [3]itimer
	base time.Time // origin of ITIMER_REAL's clock
}

// timerNow reads timer which's clock: monotonic time for ITIMER_REAL, the
// guest thread's user CPU time for ITIMER_VIRTUAL, its user and system
// CPU time for ITIMER_PROF (the guest has one thread).
func (p *Process) timerNow(which int) int64 {
	ts := &p.sig.timers
	if which == itimerReal {
		return int64(time.Since(ts.base))
	}
	tid := int64(p.sig.async.tid.Load())
	clock := (^tid)<<3 | 4 // CPUCLOCK_PERTHREAD_MASK | CPUCLOCK_PROF
	if which == itimerVirtual {
		clock |= 1 // CPUCLOCK_VIRT
	}
	var t [2]int64
	if _, _, e := syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, uintptr(int32(clock)), uintptr(unsafe.Pointer(&t)), 0); e != 0 {
		return 0
	}
	return t[0]*1e9 + t[1]
}

// getitimer returns timer which's time left and interval in nanoseconds.
// The caller holds the timers' lock.
func (p *Process) getitimer(which int) (value, interval int64) {
	t := &p.sig.timers.t[which]
	if !t.armed {
		return 0, t.interval
	}
	left := t.deadline - p.timerNow(which)
	if left <= 0 {
		left = 1000 // still armed: never report zero
	}
	return left, t.interval
}

// setitimer arms (value > 0) or disarms timer which and returns the old
// setting, as the kernel's do_setitimer.
func (p *Process) setitimer(which int, value, interval int64) (oldValue, oldInterval int64) {
	p.lockGuestThread()
	ts := &p.sig.timers
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.base.IsZero() {
		ts.base = time.Now()
	}
	oldValue, oldInterval = p.getitimer(which)
	it := &ts.t[which]
	if it.stop != nil {
		close(it.stop)
		it.stop = nil
	}
	it.gen++
	it.armed = value > 0
	it.interval = interval
	if !it.armed {
		return
	}
	it.deadline = p.timerNow(which) + value
	it.stop = make(chan struct{})
	go p.runTimer(which, it.gen, it.stop)
	return
}

// runTimer is the goroutine of an armed interval timer: it sleeps until
// the deadline on the timer's clock (a CPU-time clock advances no faster
// than real time, so sleeping the time left never oversleeps), posts the
// signal and reloads the interval.
func (p *Process) runTimer(which int, gen uint64, stop chan struct{}) {
	ts := &p.sig.timers
	for {
		ts.mu.Lock()
		t := &ts.t[which]
		if t.gen != gen || !t.armed {
			ts.mu.Unlock()
			return
		}
		now := p.timerNow(which)
		if left := t.deadline - now; left > 0 {
			ts.mu.Unlock()
			sl := time.NewTimer(time.Duration(max(left, int64(50*time.Microsecond))))
			select {
			case <-stop:
				sl.Stop()
				return
			case <-sl.C:
			}
			continue
		}
		if t.interval > 0 {
			t.deadline += t.interval
			if t.deadline <= now {
				t.deadline = now + t.interval
			}
		} else {
			t.armed = false
		}
		ts.mu.Unlock()
		p.postAsync(newSigInfo(itimerSignal[which], siKernel))
	}
}

// timevalNs converts a guest struct timeval (longs) at b to nanoseconds;
// it reports false for a field out of range.
func (t *Thread) timevalNs(b []byte, i int) (int64, bool) {
	sec, usec := t.w.GetSigned(b, 2*i), t.w.GetSigned(b, 2*i+1)
	if sec < 0 || usec < 0 || usec >= 1e6 {
		return 0, false
	}
	return sec*1e9 + usec*1e3, true
}

// putItimerval encodes an itimerval {interval, value} for the guest.
func (t *Thread) putItimerval(value, interval int64) []byte {
	return t.w.Encode(uint64(interval/1e9), uint64(interval%1e9/1e3), uint64(value/1e9), uint64(value%1e9/1e3))
}

func init() {
	reg(sysSetitimer, "setitimer")
	reg(sysGetitimer, "getitimer")
	reg(sysAlarm, "alarm")
}

func sysSetitimer(t *Thread, a *[6]uint64) int64 {
	which := sint(a[0])
	if which < 0 || which > 2 {
		return -abi.EINVAL
	}
	var value, interval int64
	if a[1] != 0 {
		b, e := t.readMem(a[1], 4*int(t.w))
		if e != 0 {
			return e
		}
		var ok1, ok2 bool
		interval, ok1 = t.timevalNs(b, 0)
		value, ok2 = t.timevalNs(b, 1)
		if !ok1 || !ok2 {
			return -abi.EINVAL
		}
	}
	if a[2] != 0 && !t.writable(a[2], 4*uint64(t.w)) {
		return -abi.EFAULT
	}
	ov, oi := t.setitimer(int(which), value, interval)
	if a[2] != 0 {
		return t.writeMem(a[2], t.putItimerval(ov, oi))
	}
	return 0
}

func sysGetitimer(t *Thread, a *[6]uint64) int64 {
	which := sint(a[0])
	if which < 0 || which > 2 {
		return -abi.EINVAL
	}
	ts := &t.sig.timers
	ts.mu.Lock()
	v, i := t.getitimer(int(which))
	ts.mu.Unlock()
	return t.writeMem(a[1], t.putItimerval(v, i))
}

// sysAlarm is alarm(2): ITIMER_REAL in whole seconds; it returns the
// seconds left of the previous alarm, rounded as the kernel does.
func sysAlarm(t *Thread, a *[6]uint64) int64 {
	secs := a[0] & 0xffffffff
	if t.w == 4 && secs > 1<<31-1 {
		secs = 1<<31 - 1
	}
	old, _ := t.setitimer(itimerReal, int64(secs)*1e9, 0)
	s, ns := old/1e9, old%1e9
	if s == 0 && ns != 0 || ns >= 5e8 {
		s++
	}
	return s
}
