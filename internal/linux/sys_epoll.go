package linux

import (
	"sync"
	"syscall"

	"gemu/internal/linux/abi"
)

// epoll and eventfd. A guest epoll instance is a host epoll descriptor
// and a guest eventfd a host eventfd: epoll_ctl registers the host
// descriptor standing for the guest's, and the events the host reports
// carry the guest's own 64-bit data word back, so the guest never sees a
// host number.
//
// Linux keys a registration by file and descriptor number, so a program
// may register a file under two of its numbers (a descriptor and its
// dup). gemu's dups share one host descriptor, which the host would
// register once (EEXIST): the second registration is made with a host
// duplicate of its own (epollFile.regs), which gemu closes when the file
// is closed in the guest (dropEpollDups), as Linux drops registrations
// with their file. The epoll instance remembers which host descriptor
// each guest number was registered with; a forked or exec'd gemu does not
// (the host instance keeps its registrations, but registering a dup there
// is EEXIST again).

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
	epollCtlAdd    = 1
	epollCtlDel    = 2
	// epollDupFloor is where gemu's duplicates for registrations are
	// numbered from: out of the way of the guest's host descriptors,
	// which are allocated lowest first.
	epollDupFloor = 1000
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
	return p.fillFD(fd, r, flags&abi.O_CLOEXEC != 0, &epollFile{regs: map[epollKey]int{}})
}

// epollFile is a guest epoll instance's registrations: for each guest
// descriptor number and the host descriptor it stood for, the host
// descriptor registered (the same, or a duplicate gemu owns).
type epollFile struct {
	mu   sync.Mutex
	regs map[epollKey]int
}

// epollKey is a registration as Linux keys it: the file (the host
// descriptor standing for it) and the guest's number.
type epollKey struct {
	fd   int64
	base int
}

// kind is fdKindHost: a forked or exec'd gemu gets the host instance.
func (f *epollFile) kind() int { return fdKindHost }

// hostFor returns the host descriptor to pass for op on guest descriptor
// fd standing for host descriptor base, and a duplicate to close after a
// successful EPOLL_CTL_DEL (or -1). For EPOLL_CTL_ADD of a file already
// registered under another guest number it makes the duplicate (EEXIST
// for the same number comes from the host).
func (f *epollFile) hostFor(op int64, fd int64, base int) (h, drop int, e int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := epollKey{fd, base}
	if r, ok := f.regs[k]; ok {
		if op == epollCtlDel && r != base {
			return r, r, 0
		}
		return r, -1, 0
	}
	if op != epollCtlAdd {
		return base, -1, 0
	}
	for o := range f.regs {
		if o.base == base {
			// A raw call: host() would give up the OS lock with mu
			// held, and closeHost takes mu under the OS lock.
			d, _, errno := syscall.RawSyscall(syscall.SYS_FCNTL, uintptr(base), fDupfdCloexec, epollDupFloor)
			if errno != 0 {
				return 0, -1, -int64(errno)
			}
			return int(d), -1, 0
		}
	}
	return base, -1, 0
}

// done records the result r of op on (fd, base) made with host
// descriptor h.
func (f *epollFile) done(p *Process, op int64, fd int64, base, h int, r int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k := epollKey{fd, base}
	switch {
	case op == epollCtlAdd && r == 0:
		f.regs[k] = h
		p.fds.epollRegs.Store(true)
	case op == epollCtlAdd && h != base && f.regs[k] != h:
		syscall.Close(h) // a new duplicate that was not needed
	case op == epollCtlDel && r == 0:
		delete(f.regs, k)
		if h != base {
			syscall.Close(h)
		}
	}
}

// dropEpollDups forgets the registrations of the file host descriptor h
// stood for, which the guest closed (closeHost), so that a later file on
// the same host number is not taken for it, and closes the duplicates
// gemu made for them: with them goes the last reference and the host
// drops the registrations, as Linux does when a file is released.
func (p *Process) dropEpollDups(h int) {
	if !p.fds.epollRegs.Load() {
		return
	}
	p.fds.mu.Lock()
	var eps []*epollFile
	for _, e := range p.fds.ents {
		if f, ok := e.file.(*epollFile); ok && e.host >= 0 {
			eps = append(eps, f)
		}
	}
	p.fds.mu.Unlock()
	for _, f := range eps {
		f.mu.Lock()
		for k, r := range f.regs {
			if k.base == h {
				delete(f.regs, k)
				if r != h {
					syscall.Close(r)
				}
			}
		}
		f.mu.Unlock()
	}
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
	ep, e := t.fentry(a[0])
	if e != 0 {
		return e
	}
	defer t.putHost(ep.host)
	fd, e := t.fget(a[2])
	if e != 0 {
		return e
	}
	defer t.fput(fd)
	f, ok := ep.file.(*epollFile)
	if !ok || int(fd) == ep.host {
		// Not an epoll instance, or itself: the host's error.
		return host(syscall.SYS_EPOLL_CTL, uintptr(ep.host), uintptr(op), fd, uintptr(ptr(ev)))
	}
	h, _, e := f.hostFor(op, sint(a[2]), int(fd))
	if e != 0 {
		return e
	}
	r := host(syscall.SYS_EPOLL_CTL, uintptr(ep.host), uintptr(op), uintptr(h), uintptr(ptr(ev)))
	f.done(t.Process, op, sint(a[2]), int(fd), h, r)
	return r
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
