package linux

import (
	"syscall"

	"gemu/internal/linux/abi"
)

// timerfd: a guest timer descriptor is a host one. Its clock, expiry
// count, reads (8 bytes), poll readiness and TFD_TIMER_CANCEL_ON_SET are
// the host kernel's, which keeps the same clocks as the guest sees; gemu
// only translates i386's struct itimerspec (32-bit fields, or 64-bit ones
// for the *_time64 calls) to the host's.

func init() {
	reg(sysTimerfdCreate, "timerfd_create")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.timerfdSettime(a, t.w == 8) }, "timerfd_settime")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.timerfdSettime(a, true) }, "timerfd_settime64")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.timerfdGettime(a, t.w == 8) }, "timerfd_gettime")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.timerfdGettime(a, true) }, "timerfd_gettime64")
}

// itimerspecHostSize is the host's struct itimerspec: two timespecs.
const itimerspecHostSize = 32

// sysTimerfdCreate is timerfd_create(clockid, flags): TFD_CLOEXEC and
// TFD_NONBLOCK are O_CLOEXEC and O_NONBLOCK.
func sysTimerfdCreate(t *Thread, a *[6]uint64) int64 {
	flags := uint32(a[1])
	if flags&^(abi.O_CLOEXEC|abi.O_NONBLOCK) != 0 {
		return -abi.EINVAL
	}
	fd, e := t.reserveFD()
	if e != 0 {
		return e
	}
	r := host(syscall.SYS_TIMERFD_CREATE, uintptr(int32(a[0])), uintptr(flags|abi.O_CLOEXEC))
	return t.fillFD(fd, r, flags&abi.O_CLOEXEC != 0, nil)
}

// timerfdSettime is timerfd_settime(fd, flags, new, old); t64 says the
// guest's itimerspecs have 64-bit fields.
func (t *Thread) timerfdSettime(a *[6]uint64, t64 bool) int64 {
	nv, e := t.timespecs(a[2], 2, t64)
	if e != 0 {
		return e
	}
	fd, e := t.fget(a[0])
	if e != 0 {
		return e
	}
	defer t.fput(fd)
	var old []byte
	if a[3] != 0 {
		old = hbuf(itimerspecHostSize)
	}
	r := host(syscall.SYS_TIMERFD_SETTIME, fd, uintptr(uint32(a[1])), uintptr(ptr(nv)), uintptr(ptr(old)))
	if r < 0 || old == nil {
		return r
	}
	return t.putHostItimerspec(a[3], old, t64)
}

// timerfdGettime is timerfd_gettime(fd, cur).
func (t *Thread) timerfdGettime(a *[6]uint64, t64 bool) int64 {
	fd, e := t.fget(a[0])
	if e != 0 {
		return e
	}
	defer t.fput(fd)
	cur := hbuf(itimerspecHostSize)
	if r := host(syscall.SYS_TIMERFD_GETTIME, fd, uintptr(ptr(cur))); r < 0 {
		return r
	}
	return t.putHostItimerspec(a[1], cur, t64)
}

// putHostItimerspec stores the host itimerspec h at guest address addr
// in the guest's layout: 0, or EFAULT.
func (t *Thread) putHostItimerspec(addr uint64, h []byte, t64 bool) int64 {
	w := t.w
	if t64 {
		w = 8
	}
	interval, value := abi.DecodeTimespec(8, h), abi.DecodeTimespec(8, h[16:])
	return t.writeMem(addr, w.Encode(uint64(interval.Sec), uint64(interval.Nsec), uint64(value.Sec), uint64(value.Nsec)))
}
