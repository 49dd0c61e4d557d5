package linux

import (
	"syscall"

	"gemu/internal/linux/abi"
)

// epoll and eventfd. A guest epoll instance is a host epoll descriptor
// and a guest eventfd a host eventfd: epoll_ctl registers the host
// descriptor standing for the guest's, and the events the host reports
// carry the guest's own 64-bit data word back, so the guest never sees a
// host number. (gemu's dups share one host descriptor, so registering a
// guest dup of a registered descriptor fails with EEXIST where Linux
// would accept it.)

func init() {
	reg(sysEpollCreate, "epoll_create")
	reg(sysEpollCreate1, "epoll_create1")
	reg(sysEpollCtl, "epoll_ctl")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.epollWait(a, epollWaitCall{}) }, "epoll_wait")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.epollWait(a, epollWaitCall{sigmask: true}) }, "epoll_pwait")
	reg(func(t *Thread, a *[6]uint64) int64 {
		return t.epollWait(a, epollWaitCall{sigmask: true, timespec: true})
	}, "epoll_pwait2")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.eventfd(uint32(a[0]), 0) }, "eventfd")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.eventfd(uint32(a[0]), uint32(a[1])) }, "eventfd2")
}

const (
	// epollEventSize is struct epoll_event's size: packed on x86-64 and
	// naturally 12 bytes on i386, so the layouts agree.
	epollEventSize = 12
	epollCtlDel    = 2
	// epollMaxEvents is the most events one wait collects in gemu's
	// buffer; a guest asking for more gets at most this many per call, as
	// a guest may from Linux whenever fewer are ready.
	epollMaxEvents = 1024
	efdSemaphore   = 1
)

// sysEpollCreate is epoll_create(size): the size must be positive.
func sysEpollCreate(t *Thread, a *[6]uint64) int64 {
	if sint(a[0]) <= 0 {
		return -abi.EINVAL
	}
	return t.epollCreate(0)
}

func sysEpollCreate1(t *Thread, a *[6]uint64) int64 {
	flags := uint32(a[0])
	if flags&^abi.O_CLOEXEC != 0 {
		return -abi.EINVAL
	}
	return t.epollCreate(flags)
}

// epollCreate makes an epoll descriptor with flags (O_CLOEXEC).
func (p *Process) epollCreate(flags uint32) int64 {
	fd, e := p.reserveFD()
	if e != 0 {
		return e
	}
	r := host(syscall.SYS_EPOLL_CREATE1, syscall.EPOLL_CLOEXEC)
	return p.fillFD(fd, r, flags&abi.O_CLOEXEC != 0, nil)
}

func sysEpollCtl(t *Thread, a *[6]uint64) int64 {
	op := sint(a[1])
	var ev []byte
	if op != epollCtlDel {
		b, e := t.readMem(a[3], epollEventSize)
		if e != 0 {
			return e
		}
		ev = hbuf(epollEventSize)
		copy(ev, b)
	}
	ep, e := t.fget(a[0])
	if e != 0 {
		return e
	}
	defer t.fput(ep)
	fd, e := t.fget(a[2])
	if e != 0 {
		return e
	}
	defer t.fput(fd)
	return host(syscall.SYS_EPOLL_CTL, ep, uintptr(op), fd, uintptr(ptr(ev)))
}

// epollWaitCall is the variant of epoll_wait being served.
type epollWaitCall struct {
	sigmask  bool // epoll_pwait, epoll_pwait2: a signal mask argument
	timespec bool // epoll_pwait2: a timespec instead of milliseconds
}

// epollWait serves epoll_wait, epoll_pwait and epoll_pwait2 (k says
// which). The signal mask of epoll_pwait and epoll_pwait2 replaces the
// guest's for the wait, as the kernel's set_user_sigmask does
// (setWaitMask).
func (t *Thread) epollWait(a *[6]uint64, k epollWaitCall) (r int64) {
	defer func() { r = t.endWaitMask(r) }()
	if k.sigmask {
		if e := t.setWaitMask(a[4], t.ulong(a[5])); e != 0 {
			return e
		}
	}
	n := sint(a[2])
	if n <= 0 || n > 0x7fffffff/epollEventSize {
		return -abi.EINVAL
	}
	// Like Linux, only the range is checked before the wait: an
	// unwritable buffer is EFAULT when there is an event to store.
	if end := a[1] + uint64(n)*epollEventSize; end < a[1] || end > t.Mem.Limit {
		return -abi.EFAULT
	}
	var ts []byte
	if k.timespec && a[3] != 0 {
		var e int64
		if ts, e = t.timespecs(a[3], 1, true); e != 0 {
			return e
		}
	}
	ep, e := t.fget(a[0])
	if e != 0 {
		return e
	}
	defer t.fput(ep)
	hn := min(n, epollMaxEvents)
	buf := hbuf(int(hn) * epollEventSize)
	if t.waitInterrupted() {
		// A signal the wait's mask unblocks is pending: events already
		// there are returned, else EINTR (0 for a zero timeout), as
		// the kernel's ep_poll looks before it sleeps.
		r = host(syscall.SYS_EPOLL_PWAIT, ep, uintptr(ptr(buf)), uintptr(hn), 0, 0, 8)
		if r == 0 && (k.timespec && !zeroTimespec(ts) || !k.timespec && sint(a[3]) != 0) {
			r = -abi.EINTR
		}
		return t.epollStore(a[1], buf, r)
	}
	tsLeft, left := timespecLeft(ts), msLeft(int32(a[3]))
	resumed := false
	r = t.resumeWait(func() int64 {
		if k.timespec {
			if resumed {
				tsLeft() // the host does not leave the time left in ts
			}
			resumed = true
			return host(sysEpollPwait2, ep, uintptr(ptr(buf)), uintptr(hn), uintptr(ptr(ts)), 0, 8)
		}
		return host(syscall.SYS_EPOLL_PWAIT, ep, uintptr(ptr(buf)), uintptr(hn), uintptr(left()), 0, 8)
	})
	return t.epollStore(a[1], buf, r)
}

// epollStore copies the r events a wait found in buf to the guest at
// addr.
func (t *Thread) epollStore(addr uint64, buf []byte, r int64) int64 {
	if r <= 0 {
		return r
	}
	if e := t.writeMem(addr, buf[:r*epollEventSize]); e != 0 {
		return e
	}
	return r
}

// setWaitMask applies the signal mask argument of a wait (epoll_pwait,
// epoll_pwait2, ppoll, pselect6) at addr, of size bytes, as the kernel's
// set_user_sigmask: nothing without one, EINVAL for a size other than
// the sigset's, EFAULT for a bad pointer; else the mask replaces the
// guest's until the call returns, or, when it ends with EINTR, until the
// handler of the signal that ended it returns (its frame saves the mask
// from before the call; syscallExit's finishSuspend puts it back if no
// handler runs), exactly as for sigsuspend.
func (t *Thread) setWaitMask(addr, size uint64) int64 {
	if addr == 0 {
		return 0
	}
	if size != 8 {
		return -abi.EINVAL
	}
	b, e := t.readMem(addr, 8)
	if e != 0 {
		return e
	}
	t.savedMask = t.mask
	t.restoreMask = true
	t.setMask(le64(b))
	return 0
}

// endWaitMask ends the mask a wait set (setWaitMask) for its result r:
// unless the wait was interrupted, the mask from before the call is back
// before pending signals are looked at, so one that only the wait's mask
// let through stays pending (the kernel's restore_saved_sigmask_unless).
func (t *Thread) endWaitMask(r int64) int64 {
	if r != -abi.EINTR && t.restoreMask {
		t.restoreMask = false
		t.setMask(t.savedMask)
	}
	return r
}

// zeroTimespec reports whether the host timespec ts is a zero timeout
// (nil: none, wait for ever).
func zeroTimespec(ts []byte) bool { return ts != nil && le64(ts) == 0 && le64(ts[8:]) == 0 }

// waitInterrupted reports whether a wait that replaced the signal mask
// (setWaitMask) must not sleep: a signal the new mask lets through is
// pending already. (Without a new mask, such a signal was delivered
// before the call.)
func (t *Thread) waitInterrupted() bool {
	if !t.restoreMask {
		return false
	}
	t.mergeAsync()
	return t.hasDeliverable()
}

// sysEpollPwait2 is the host's (x86-64) epoll_pwait2 number.
const sysEpollPwait2 = 441

// eventfd is eventfd2(initval, flags); eventfd has no flags.
func (p *Process) eventfd(initval, flags uint32) int64 {
	if flags&^(efdSemaphore|abi.O_CLOEXEC|abi.O_NONBLOCK) != 0 {
		return -abi.EINVAL
	}
	fd, e := p.reserveFD()
	if e != 0 {
		return e
	}
	r := host(syscall.SYS_EVENTFD2, uintptr(initval), uintptr(flags|abi.O_CLOEXEC))
	return p.fillFD(fd, r, flags&abi.O_CLOEXEC != 0, nil)
}
