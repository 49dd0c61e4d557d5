package linux

import (
	"syscall"

	"gemu/internal/linux/abi"
)

// settimeofday, clock_settime (and i386's clock_settime64) and i386's
// stime (issue 15): the guest's arguments are checked as the kernel
// checks them (EFAULT, EINVAL for a clock that cannot be set or a time
// out of range), and then the call is refused with EPERM, as for a
// process without CAP_SYS_TIME: a guest under emulation does not set the
// clock of the machine running it. This is adjtimex's rule for changes
// (sys_adjtime.go); qemu-user 7.2 passes these calls to the host, so under
// qemu a root guest sets the machine's clock.

func init() {
	reg(sysSettimeofday, "settimeofday")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.clockSettime(a, t.w == 8) }, "clock_settime")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.clockSettime(a, true) }, "clock_settime64")
	reg(sysStime, "stime")
	for name, spec := range map[string]string{
		"settimeofday": "p,p", "clock_settime": "d,p", "clock_settime64": "d,p", "stime": "p",
	} {
		straceSpec[name] = spec
	}
}

// settodSecMax is TIME_SETTOD_SEC_MAX: KTIME_SEC_MAX less 30 years of
// uptime, the latest time the kernel lets the clock be set to.
const settodSecMax = 9223372036 - 946080000

const clockRealtime = 0

// validSettod is the kernel's timespec64_valid_settod.
func validSettod(sec, nsec int64) bool {
	return sec >= 0 && nsec >= 0 && nsec < 1e9 && uint64(sec) < settodSecMax
}

// readTimePair reads two signed fields of width 4 or 8 at addr.
func (t *Thread) readTimePair(addr uint64, wide bool) (int64, int64, int64) {
	if !wide {
		b, e := t.readMem(addr, 8)
		if e != 0 {
			return 0, 0, e
		}
		return int64(int32(le32(b))), int64(int32(le32(b[4:]))), 0
	}
	b, e := t.readMem(addr, 16)
	if e != 0 {
		return 0, 0, e
	}
	return int64(le64(b)), int64(le64(b[8:])), 0
}

func sysSettimeofday(t *Thread, a *[6]uint64) int64 {
	if a[0] != 0 {
		sec, usec, e := t.readTimePair(a[0], t.w == 8)
		if e != 0 {
			return e
		}
		if usec > 1e6 || usec < 0 {
			return -abi.EINVAL
		}
		if !validSettod(sec, usec*1000) {
			return -abi.EINVAL
		}
	}
	if a[1] != 0 {
		if _, e := t.readMem(a[1], 8); e != 0 {
			return e
		}
	}
	return -abi.EPERM
}

// clockSettime is clock_settime(clock, tp); wide says tp is a 64-bit
// timespec. Of the fixed clocks only CLOCK_REALTIME can be set (the
// others are EINVAL before tp is read); a CPU-time clock (a negative id)
// of a missing process or thread, or a descriptor clock of a bad
// descriptor, is EINVAL after tp is read, as in the kernel.
func (t *Thread) clockSettime(a *[6]uint64, wide bool) int64 {
	id := sint(a[0])
	if id != clockRealtime && id >= 0 {
		return -abi.EINVAL
	}
	sec, nsec, e := t.readTimePair(a[1], wide)
	if e != 0 {
		return e
	}
	switch {
	case id == clockRealtime:
		if !validSettod(sec, nsec) {
			return -abi.EINVAL
		}
	case id&7 == 3: // a descriptor's clock (FD_TO_CLOCKID)
		fd, e := t.fget(uint64(uint32(^id >> 3)))
		if e != 0 {
			return -abi.EINVAL
		}
		t.fput(fd)
	default: // a CPU-time clock: the host knows its pid or tid
		b := hbuf(16)
		if r := host(syscall.SYS_CLOCK_GETRES, uintptr(id), uintptr(ptr(b))); r < 0 {
			return r
		}
	}
	return -abi.EPERM
}

// sysStime is i386's stime(&t): a 32-bit time.
func sysStime(t *Thread, a *[6]uint64) int64 {
	if _, e := t.readMem(a[0], 4); e != 0 {
		return e
	}
	return -abi.EPERM
}
