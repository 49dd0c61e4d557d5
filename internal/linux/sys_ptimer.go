package linux

import (
	"encoding/binary"
	"runtime"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"gemu/internal/linux/abi"
)

// POSIX per-process timers: timer_create, timer_settime, timer_gettime,
// timer_getoverrun, timer_delete (and i386's *_time64 forms).
//
// Like the interval timers (signal_timer.go), an armed timer that signals
// is a goroutine that sleeps until the deadline on the timer's clock and
// posts the signal to the guest (asyncSignals). The siginfo is Linux's:
// SI_TIMER, si_timerid, si_overrun, si_value. SIGEV_THREAD_ID makes the
// signal pending for the thread named (signal_thread.go); glibc's
// SIGEV_THREAD is built on that (a helper thread waits for the signal in
// sigwaitinfo and starts the function's thread). SIGEV_NONE timers have
// no goroutine: timer_gettime computes where they are.
//
// Overruns: Linux queues a timer's signal once; expirations while it is
// queued count as overruns, and the count is handed over when the signal
// is taken (si_overrun, and timer_getoverrun from then on). Here every
// expiration is posted with the number of periods it covers (a goroutine
// that woke late covers several); merging one while the timer's signal is
// queued adds to the timer's count instead of queueing (timerSignalMerge),
// and taking the signal moves the count into si_overrun
// (timerSignalTaken). As since Linux 6.13, a queued signal of a timer that
// was set again or deleted since is dropped when it would be taken (it
// stays in sigpending's set until then).
//
// Clocks: which clocks have timers, and the errors for the others (EINVAL,
// EOPNOTSUPP, EPERM for the alarm clocks without CAP_WAKE_ALARM), is asked
// of the host by creating and deleting a SIGEV_NONE timer on the clock. A
// timer's clock is read with the host's clock_gettime; the guest's
// CLOCK_THREAD_CPUTIME_ID is the CPU clock of the calling thread's host
// thread, which is the guest thread's own.

// sigevent notify values.
const (
	sigevSignal   = 0
	sigevNone     = 1
	sigevThread   = 2
	sigevThreadID = 4

	timerAbstime  = 1
	delaytimerMax = 1<<31 - 1
	eopnotsupp    = 95

	clockProcessCPU = 2
	clockThreadCPU  = 3
)

// posixTimer is one timer of the process.
type posixTimer struct {
	id     int32
	clock  int32 // the host clock it runs on
	cpu    bool  // a process CPU-time clock: it may run faster than real time
	notify int32
	signo  int32
	value  uint64 // sigev_value
	tid    int32  // SIGEV_THREAD_ID's thread

	// Under posixTimers.mu (the goroutine reads them):
	armed    bool
	deadline int64 // on clock, in nanoseconds
	interval int64
	gen      uint64 // changes at every setting and at deletion
	deleted  bool
	stop     chan struct{}

	// With the OS lock (the guest's side):
	overrun     int64 // expirations while its signal was queued
	overrunLast int64 // of the last signal taken: timer_getoverrun
}

// posixTimers are the process's timers by id.
type posixTimers struct {
	mu   sync.Mutex
	m    map[int32]*posixTimer
	next int32
}

func init() {
	reg(sysTimerCreate, "timer_create")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.timerSettime(a, t.w == 8) }, "timer_settime")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.timerSettime(a, true) }, "timer_settime64")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.timerGettime(a, t.w == 8) }, "timer_gettime")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.timerGettime(a, true) }, "timer_gettime64")
	reg(sysTimerGetoverrun, "timer_getoverrun")
	reg(sysTimerDelete, "timer_delete")
}

// clockNow reads a host clock in nanoseconds (0 if it cannot be read).
func clockNow(clock int32) int64 {
	var ts [2]int64
	if _, _, e := syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, uintptr(clock), uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		return 0
	}
	return ts[0]*1e9 + ts[1]
}

// probeClock asks the host whether clock has timers: 0 or its error.
func probeClock(clock int32) int64 {
	sev := hbuf(64)
	binary.LittleEndian.PutUint32(sev[12:], sigevNone)
	id := hbuf(4)
	if r := host(syscall.SYS_TIMER_CREATE, uintptr(clock), uintptr(ptr(sev)), uintptr(ptr(id))); r < 0 {
		return r
	}
	host(syscall.SYS_TIMER_DELETE, uintptr(le32(id)))
	return 0
}

// lookupTimer finds timer id (a timer_t, an int).
func (p *Process) lookupTimer(id uint64) *posixTimer {
	pt := &p.sig.ptimers
	pt.mu.Lock()
	defer pt.mu.Unlock()
	return pt.m[int32(id)]
}

func sysTimerCreate(t *Thread, a *[6]uint64) int64 {
	clock := int32(a[0])
	tm := &posixTimer{clock: clock, notify: sigevSignal, signo: abi.SIGALRM}
	haveEvent := a[1] != 0
	if haveEvent {
		b, e := t.readMem(t.ulong(a[1]), 64)
		if e != 0 {
			return e
		}
		w := int(t.w)
		tm.value = t.w.Get(b, 0)
		tm.signo = int32(le32(b[w:]))
		tm.notify = int32(le32(b[w+4:]))
		tm.tid = int32(le32(b[w+8:]))
	}
	if r := probeClock(clock); r < 0 {
		return r
	}
	switch clock {
	case clockProcessCPU:
		tm.cpu = true
	case clockThreadCPU:
		tm.clock = int32((^int64(t.gettid()))<<3 | 6) // CPUCLOCK_PERTHREAD_MASK | CPUCLOCK_SCHED
	default:
		// A CPU clock of a process (not a thread) by its id.
		tm.cpu = clock < 0 && clock&4 == 0
	}
	switch tm.notify {
	case sigevThreadID:
		if tm.tid <= 0 || !t.isThread(int64(tm.tid)) {
			return -abi.EINVAL
		}
		fallthrough
	case sigevSignal, sigevThread:
		if tm.signo <= 0 || tm.signo >= abi.NSIG {
			return -abi.EINVAL
		}
	case sigevNone:
	default:
		return -abi.EINVAL
	}
	if tm.notify != sigevThreadID {
		tm.tid = 0
	}
	pt := &t.sig.ptimers
	pt.mu.Lock()
	if pt.m == nil {
		pt.m = map[int32]*posixTimer{}
	}
	for pt.m[pt.next] != nil {
		pt.next = (pt.next + 1) & delaytimerMax
	}
	tm.id = pt.next
	pt.next = (pt.next + 1) & delaytimerMax
	pt.m[tm.id] = tm
	pt.mu.Unlock()
	if !haveEvent {
		tm.value = uint64(tm.id)
	}
	if e := t.writeMem(t.ulong(a[2]), p32(uint32(tm.id))); e != 0 {
		t.deleteTimer(tm)
		return e
	}
	return 0
}

// deleteTimer removes t: its goroutine ends (and its queued signal will
// be dropped).
func (p *Process) deleteTimer(t *posixTimer) {
	pt := &p.sig.ptimers
	pt.mu.Lock()
	delete(pt.m, t.id)
	t.deleted = true
	t.armed = false
	t.gen++
	if t.stop != nil {
		close(t.stop)
		t.stop = nil
	}
	pt.mu.Unlock()
}

// timerSignalQueued reports whether t's signal of setting gen is pending.
func (p *Process) timerSignalQueued(t *posixTimer, gen uint64) bool {
	found := false
	p.eachQueue(func(q *sigQueue) {
		for i := range q.queue[t.signo] {
			if si := &q.queue[t.signo][i]; si.timer == t && si.timerGen == gen {
				found = true
			}
		}
	})
	return found
}

// timerSignalMerge decides, when a posted timer signal is merged, whether
// it is queued: not if the timer was set again or deleted since, nor if
// its signal is still queued (the expirations count as overruns then).
// The posted siginfo's status holds the number of expirations it covers.
func (p *Process) timerSignalMerge(si *sigInfo) bool {
	t := si.timer
	pt := &p.sig.ptimers
	pt.mu.Lock()
	stale := t.deleted || t.gen != si.timerGen
	pt.mu.Unlock()
	if stale {
		return false
	}
	n := int64(si.status)
	si.status = 0
	if p.timerSignalQueued(t, si.timerGen) {
		t.overrun += n
		return false
	}
	t.overrun = n - 1
	if p.mt == nil {
		si.tid = 0 // one thread: it is the target
	}
	return true
}

// timerSignalTaken hands the overrun count to the signal being taken; it
// reports false for the signal of a timer deleted or set again since,
// which is dropped.
func (p *Process) timerSignalTaken(si *sigInfo) bool {
	t := si.timer
	si.timer = nil
	pt := &p.sig.ptimers
	pt.mu.Lock()
	stale := t.deleted || t.gen != si.timerGen
	if !stale && t.armed && t.interval > 0 {
		// The expirations up to now that the goroutine has not posted
		// yet count too, as in Linux, which forwards the timer here.
		if now := clockNow(t.clock); now >= t.deadline {
			k := 1 + (now-t.deadline)/t.interval
			t.deadline += k * t.interval
			t.overrun += k
		}
	}
	pt.mu.Unlock()
	if stale {
		return false
	}
	ov := min(max(t.overrun, 0), delaytimerMax)
	si.uid = uint32(ov) // si_overrun
	t.overrunLast = ov
	t.overrun = 0
	return true
}

// timerValue returns t's time left and interval in nanoseconds, as Linux's
// timer_gettime: a periodic timer past its deadline (its signal pending,
// or never signalling) shows the time to its next period; a one-shot one
// shows 1 ns until its signal is sent, SIGEV_NONE's 0. pt.mu is held.
func (t *posixTimer) timerValue() (value, interval int64) {
	if !t.armed {
		return 0, t.interval
	}
	left := t.deadline - clockNow(t.clock)
	switch {
	case left > 0:
	case t.interval > 0:
		left = t.interval - (-left)%t.interval
	case t.notify == sigevNone:
		left = 0
	default:
		left = 1
	}
	return left, t.interval
}

// putItimerspec stores an itimerspec {interval, value} for the guest.
func (t *Thread) putItimerspec(addr uint64, value, interval int64, t64 bool) int64 {
	w := t.w
	if t64 {
		w = 8
	}
	return t.writeMem(addr, w.Encode(uint64(interval/1e9), uint64(interval%1e9), uint64(value/1e9), uint64(value%1e9)))
}

// timerSettime is timer_settime; t64 says its itimerspecs have 64-bit
// fields (x86-64, or i386's timer_settime64).
func (t *Thread) timerSettime(a *[6]uint64, t64 bool) int64 {
	if a[2] == 0 {
		return -abi.EINVAL
	}
	b, e := t.timespecs(t.ulong(a[2]), 2, t64)
	if e != 0 {
		return e
	}
	var ns [2]int64
	for i := range ns {
		ts := abi.DecodeTimespec(8, b[16*i:])
		if ts.Sec < 0 || ts.Nsec < 0 || ts.Nsec >= 1e9 {
			return -abi.EINVAL
		}
		ns[i] = ts.Sec*1e9 + ts.Nsec
		if ts.Sec >= (1<<63-1)/int64(time.Second) {
			ns[i] = 1<<63 - 1
		}
	}
	interval, value := ns[0], ns[1]
	tm := t.lookupTimer(a[0])
	if tm == nil {
		return -abi.EINVAL
	}
	pt := &t.sig.ptimers
	pt.mu.Lock()
	oldValue, oldInterval := tm.timerValue()
	tm.gen++
	if tm.stop != nil {
		close(tm.stop)
		tm.stop = nil
	}
	// As Linux: the interval is kept only for an armed timer, and the
	// overrun count starts again.
	tm.armed = value != 0
	tm.interval = 0
	if tm.armed {
		tm.interval = interval
	}
	tm.overrunLast = 0
	if tm.armed {
		if sint(a[1])&timerAbstime != 0 {
			tm.deadline = value
		} else {
			tm.deadline = clockNow(tm.clock) + value
		}
		if tm.notify != sigevNone {
			tm.stop = make(chan struct{})
			go t.runPosixTimer(tm, tm.gen, tm.stop)
		}
	}
	pt.mu.Unlock()
	tm.overrun = 0
	if a[3] != 0 {
		return t.putItimerspec(t.ulong(a[3]), oldValue, oldInterval, t64)
	}
	return 0
}

// timerGettime is timer_gettime, t64 as for timerSettime.
func (t *Thread) timerGettime(a *[6]uint64, t64 bool) int64 {
	tm := t.lookupTimer(a[0])
	if tm == nil {
		return -abi.EINVAL
	}
	pt := &t.sig.ptimers
	pt.mu.Lock()
	v, i := tm.timerValue()
	pt.mu.Unlock()
	return t.putItimerspec(t.ulong(a[1]), v, i, t64)
}

func sysTimerGetoverrun(t *Thread, a *[6]uint64) int64 {
	tm := t.lookupTimer(a[0])
	if tm == nil {
		return -abi.EINVAL
	}
	return tm.overrunLast
}

func sysTimerDelete(t *Thread, a *[6]uint64) int64 {
	tm := t.lookupTimer(a[0])
	if tm == nil {
		return -abi.EINVAL
	}
	t.deleteTimer(tm)
	return 0
}

// runPosixTimer is the goroutine of an armed timer that signals: it sleeps
// until the deadline on the timer's clock (a process CPU-time clock may
// advance by as many nanoseconds per nanosecond as there are CPUs, so it
// sleeps that fraction of the time left), then posts the signal with the
// number of periods that have passed and moves the deadline past now, or
// disarms a one-shot timer.
func (p *Process) runPosixTimer(t *posixTimer, gen uint64, stop chan struct{}) {
	pt := &p.sig.ptimers
	for {
		pt.mu.Lock()
		if t.gen != gen || !t.armed {
			pt.mu.Unlock()
			return
		}
		now := clockNow(t.clock)
		if left := t.deadline - now; left > 0 {
			pt.mu.Unlock()
			if t.cpu {
				left /= int64(runtime.NumCPU())
			}
			sl := time.NewTimer(time.Duration(max(left, int64(50*time.Microsecond))))
			select {
			case <-stop:
				sl.Stop()
				return
			case <-sl.C:
			}
			continue
		}
		n := int64(1)
		if t.interval > 0 {
			n += (now - t.deadline) / t.interval
			t.deadline += n * t.interval
		} else {
			t.armed = false
		}
		si := newSigInfo(int(t.signo), siTimer)
		si.pid = uint32(t.id) // si_timerid
		si.value = t.value
		si.tid = t.tid
		si.timer, si.timerGen = t, gen
		si.status = int32(min(n, delaytimerMax))
		pt.mu.Unlock()
		p.postAsync(si)
	}
}
