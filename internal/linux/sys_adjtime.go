package linux

import (
	"gemu/internal/linux/abi"
)

// adjtimex, clock_adjtime and i386's clock_adjtime64, read-only (issue
// 15): a query (modes 0, or ADJ_OFFSET_SS_READ) is the host kernel's
// answer, the clock state and the struct timex it fills, which glibc's
// ntp_gettime and ntp_adjtime, timedatectl and adjtimex -p read. A call
// that would change the host's clock or its NTP state is refused with
// EPERM, as for a native process without CAP_SYS_TIME: a guest under
// emulation does not administer the machine running it (qemu-user 7.2
// passes these to the host, so under qemu a root guest sets the host's
// clock). The invalid ADJ_ADJTIME combinations are EINVAL first, as the
// kernel's timekeeping_validate_timex checks them before privilege.
//
// Layouts: struct timex has 21 fields (modes, offset, freq, maxerror,
// esterror, status, constant, precision, tolerance, time.tv_sec,
// time.tv_usec, tick, ppsfreq, jitter, shift, stabil, jitcnt, calcnt,
// errcnt, stbcnt, tai) then 44 bytes of padding. On x86-64, and in i386's
// 64-bit struct __kernel_timex (clock_adjtime64), each field is 8 bytes
// (the ints in the low half); in i386's struct timex (adjtimex,
// clock_adjtime) each is 4 bytes.

func init() {
	reg(func(t *Thread, a *[6]uint64) int64 { return t.adjtime(0, a[0], t.w == 8) }, "adjtimex")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.adjtime(a[0], a[1], t.w == 8) }, "clock_adjtime")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.adjtime(a[0], a[1], true) }, "clock_adjtime64")
	for name, spec := range map[string]string{"adjtimex": "p", "clock_adjtime": "d,p", "clock_adjtime64": "d,p"} {
		straceSpec[name] = spec
	}
}

const (
	timexFields      = 21
	timexSize64      = 208 // 21 fields of 8 bytes and the padding
	timexSize32      = 128 // 21 fields of 4 bytes and the padding
	adjOffsetSS      = 0x0001
	adjAdjtime       = 0x8000
	adjOffsetRO      = 0x2000
	adjOffsetSSRO    = adjAdjtime | adjOffsetRO | adjOffsetSS // ADJ_OFFSET_SS_READ
	hostClockAdjtime = 305                                    // x86-64's clock_adjtime (not in package syscall)
)

// adjtime is clock_adjtime(clock, tx) (adjtimex is clock CLOCK_REALTIME);
// wide says tx is the 64-bit layout.
func (t *Thread) adjtime(clock, addr uint64, wide bool) int64 {
	size := timexSize32
	if wide {
		size = timexSize64
	}
	g, e := t.readMem(addr, size)
	if e != 0 {
		return e
	}
	hb := hbuf(timexSize64)
	if wide {
		copy(hb, g)
	} else {
		for i := 0; i < timexFields; i++ {
			v := uint64(le32(g[4*i:]))
			if i != 0 { // the longs are signed; modes is not
				v = uint64(int64(int32(v)))
			}
			putLE64(hb[8*i:], v)
		}
	}
	id := sint(clock)
	if id < 0 && id&7 == 3 { // a clock of a descriptor (FD_TO_CLOCKID)
		fd, e := t.fget(uint64(uint32(^id >> 3)))
		if e != 0 {
			return -abi.EINVAL // the kernel's answer for a descriptor that is no clock
		}
		defer t.fput(fd)
		id = int64(^int32(fd)<<3 | 3)
	}
	if modes := le32(hb); modes != 0 && modes != adjOffsetSSRO {
		// The kernel checks the clock first (EINVAL, EOPNOTSUPP): a
		// query of it answers that without changing anything.
		q := hbuf(timexSize64)
		if r := host(hostClockAdjtime, uintptr(id), uintptr(ptr(q))); r < 0 {
			return r
		}
		if modes&adjAdjtime != 0 && modes&adjOffsetSS == 0 {
			return -abi.EINVAL
		}
		return -abi.EPERM
	}
	r := host(hostClockAdjtime, uintptr(id), uintptr(ptr(hb)))
	if r < 0 {
		return r
	}
	out := hb
	if !wide {
		out = make([]byte, timexSize32)
		for i := 0; i < timexFields; i++ {
			le32put(out[4*i:], uint32(le64(hb[8*i:])))
		}
	}
	if e := t.writeMem(addr, out); e != 0 {
		return e
	}
	return r
}
