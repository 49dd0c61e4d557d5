package linux

import (
	"syscall"
	"time"

	"gemu/internal/linux/abi"
)

// Clocks, sleeping and randomness. i386 has 32-bit time_t calls and their
// *_time64 successors; x86-64's are the host's.

func init() {
	reg(func(t *Thread, a *[6]uint64) int64 { return t.clockGettime(a, false, false) }, "clock_gettime")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.clockGettime(a, false, true) }, "clock_gettime64")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.clockGettime(a, true, false) }, "clock_getres")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.clockGettime(a, true, true) }, "clock_getres_time64")
	reg(sysGettimeofday, "gettimeofday")
	reg(sysTime, "time")
	reg(sysNanosleep, "nanosleep")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.clockNanosleep(a, t.w == 8) }, "clock_nanosleep")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.clockNanosleep(a, true) }, "clock_nanosleep_time64")
	reg(sysGetrandom, "getrandom")
}

// sysClockGettime serves clock_gettime and clock_getres. As in Linux, an
// invalid clock is EINVAL before the pointer is looked at; then a NULL
// pointer is allowed for clock_getres (it only checks the clock) but is
// EFAULT for clock_gettime, like any unwritable one. time64 says the
// call is i386's *_time64 one (64-bit time fields, as on x86-64).
func (t *Thread) clockGettime(a *[6]uint64, getres, time64 bool) int64 {
	nr := uintptr(syscall.SYS_CLOCK_GETTIME)
	if getres {
		nr = syscall.SYS_CLOCK_GETRES
	}
	b := hbuf(16)
	if r := host(nr, uintptr(sint(a[0])), uintptr(ptr(b))); r < 0 {
		return r
	}
	if a[1] == 0 {
		if getres {
			return 0
		}
		return -abi.EFAULT
	}
	return t.putTimespec(a[1], abi.DecodeTimespec(8, b), time64 || t.w == 8)
}

func sysGettimeofday(t *Thread, a *[6]uint64) int64 {
	tv, tz := hbuf(16), hbuf(8)
	if r := host(syscall.SYS_GETTIMEOFDAY, uintptr(ptr(tv)), uintptr(ptr(tz))); r < 0 {
		return r
	}
	if a[0] != 0 {
		tm := abi.DecodeTimespec(8, tv)
		if !tm.FitsLong(t.w) {
			return -abi.EOVERFLOW
		}
		if e := t.writeMem(a[0], t.w.Encode(uint64(tm.Sec), uint64(tm.Nsec))); e != 0 {
			return e
		}
	}
	if a[1] != 0 {
		return t.writeMem(a[1], tz)
	}
	return 0
}

func sysTime(t *Thread, a *[6]uint64) int64 {
	b := hbuf(16)
	if r := host(syscall.SYS_CLOCK_GETTIME, 0, uintptr(ptr(b))); r < 0 {
		return r
	}
	tm := int64(le64(b))
	if a[0] != 0 {
		if e := t.writeLong(a[0], uint64(tm)); e != 0 {
			return e
		}
	}
	return tm
}

// sleepArgs reads a request timespec and checks it like the kernel.
func (t *Thread) sleepArgs(addr uint64, t64 bool) ([]byte, int64) {
	ts, e := t.timespecs(addr, 1, t64)
	if e != 0 {
		return nil, e
	}
	spec := abi.DecodeTimespec(8, ts)
	if spec.Sec < 0 || spec.Nsec < 0 || spec.Nsec >= 1e9 {
		return nil, -abi.EINVAL
	}
	return ts, 0
}

func sysNanosleep(t *Thread, a *[6]uint64) int64 {
	ts, e := t.sleepArgs(a[0], false)
	if e != 0 {
		return e
	}
	rem := hbuf(16)
	r := t.resumeWait(func() int64 {
		r := host(syscall.SYS_NANOSLEEP, uintptr(ptr(ts)), uintptr(ptr(rem)))
		if r == -abi.EINTR {
			copy(ts, rem)
		}
		return r
	})
	if r == -abi.EINTR && a[1] != 0 {
		t.putTimespec(a[1], abi.DecodeTimespec(8, rem), false)
	}
	return r
}

func (t *Thread) clockNanosleep(a *[6]uint64, t64 bool) int64 {
	ts, e := t.sleepArgs(a[2], t64)
	if e != 0 {
		return e
	}
	rem := hbuf(16)
	relative := a[1]&1 == 0 // not TIMER_ABSTIME
	r := t.resumeWait(func() int64 {
		r := host(syscall.SYS_CLOCK_NANOSLEEP, uintptr(sint(a[0])), uintptr(uint32(a[1])), uintptr(ptr(ts)), uintptr(ptr(rem)))
		if r == -abi.EINTR && relative {
			copy(ts, rem)
		}
		return r
	})
	if r == -abi.EINTR && a[3] != 0 && relative {
		t.putTimespec(a[3], abi.DecodeTimespec(8, rem), t64)
	}
	return r
}

// resumeWait runs a blocking host call (a sleep, poll, select, epoll
// wait) until it ends or a signal the guest would take now is pending.
// gemu interrupts its host thread's calls to merge signals posted by
// other goroutines (timers, signals gemu received), also ones the guest
// blocks; the kernel's wait is not cut short by a blocked signal, so such
// a wake-up resumes the wait. call must resume with the time left (the
// host leaves it in the timespec of nanosleep, ppoll, pselect6 and select;
// msLeft and timespecLeft recompute it for the others). Restarting the
// guest's call instead would wait the whole time again at each wake-up: a
// blocked periodic timer faster than the wait made it last forever.
func (t *Thread) resumeWait(call func() int64) int64 {
	for {
		r := call()
		if r != -abi.EINTR {
			return r
		}
		t.mergeAsync()
		if t.hasDeliverable() || t.CPU.Exited {
			return r
		}
	}
}

// msLeft returns, for a poll-style timeout of ms milliseconds (negative:
// none) starting now, a function giving the timeout left for resuming it.
func msLeft(ms int32) func() int32 {
	if ms <= 0 {
		return func() int32 { return ms }
	}
	end := time.Now().Add(time.Duration(ms) * time.Millisecond)
	return func() int32 {
		left := time.Until(end)
		if left <= 0 {
			return 0
		}
		return int32((left + time.Millisecond - 1) / time.Millisecond)
	}
}

// timespecLeft returns, for the relative host timespec ts starting now
// (nil: no timeout), a function that rewrites ts to the time left.
func timespecLeft(ts []byte) func() {
	if ts == nil {
		return func() {}
	}
	t := abi.DecodeTimespec(8, ts)
	if t.Sec < 0 || t.Sec > 1<<32 {
		return func() {} // invalid (refused by the host) or beyond time.Duration: kept
	}
	end := time.Now().Add(time.Duration(t.Sec)*time.Second + time.Duration(t.Nsec))
	return func() {
		left := max(time.Until(end), 0)
		copy(ts, abi.Timespec{Sec: int64(left / time.Second), Nsec: int64(left % time.Second)}.Host64())
	}
}

func sysGetrandom(t *Thread, a *[6]uint64) int64 {
	n := min(t.ulong(a[1]), ioChunk)
	if !t.writable(a[0], n) {
		return -abi.EFAULT
	}
	b := hbuf(int(n))
	r := host(318 /* getrandom */, uintptr(ptr(b)), uintptr(n), uintptr(uint32(a[2])))
	if r <= 0 {
		return r
	}
	if e := t.writeMem(a[0], b[:r]); e != 0 {
		return e
	}
	return r
}
