package linux

import (
	"runtime"
	"unsafe"

	"gemu/internal/linux/abi"
)

// POSIX message queues: mq_open, mq_unlink, mq_timedsend, mq_timedreceive
// (and i386's _time64 ones), mq_getsetattr, mq_notify.
//
// The queues are the host's (its mqueue file system, shared with every
// process), and a guest queue descriptor is a host one, so poll, select
// and epoll see it. gemu converts struct mq_attr (four longs) and
// struct sigevent, and copies messages in and out in the kernel's
// order. mq_notify registers the host process, gemu, for the guest: the
// host sends SIGEV_SIGNAL's signal (SI_MESGQ, the sender's pid, the
// guest's sigev_value) to gemu, which delivers it to the guest as any
// signal from outside; SIGEV_THREAD (glibc's: a netlink socket and a
// cookie) gets the host descriptor standing for the guest's socket and a
// copy of the cookie.

func init() {
	reg(sysMqOpen, "mq_open")
	reg(sysMqUnlink, "mq_unlink")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.mqTimedsend(a, t.w == 8) }, "mq_timedsend")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.mqTimedsend(a, true) }, "mq_timedsend_time64")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.mqTimedreceive(a, t.w == 8) }, "mq_timedreceive")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.mqTimedreceive(a, true) }, "mq_timedreceive_time64")
	reg(sysMqGetsetattr, "mq_getsetattr")
	reg(sysMqNotify, "mq_notify")
	for name, spec := range map[string]string{
		"mq_open": "s,x,o,p", "mq_unlink": "s", "mq_timedsend": "d,p,u,u,p", "mq_timedsend_time64": "d,p,u,u,p",
		"mq_timedreceive": "d,p,u,p,p", "mq_timedreceive_time64": "d,p,u,p,p", "mq_getsetattr": "d,p,p",
		"mq_notify": "d,p",
	} {
		straceSpec[name] = spec
	}
}

// Host (x86-64) numbers.
const (
	hostMqOpen         = 240
	hostMqUnlink       = 241
	hostMqTimedsend    = 242
	hostMqTimedreceive = 243
	hostMqNotify       = 244
	hostMqGetsetattr   = 245
	mqAttrHost         = 64 // struct mq_attr: four longs and four reserved
	notifyCookieLen    = 32
)

// guestMqAttr reads the guest's struct mq_attr at addr (four longs of
// its width, then reserved ones) as the host's.
func (t *Thread) guestMqAttr(addr uint64) ([]byte, int64) {
	g, e := t.readMem(addr, 8*int(t.w))
	if e != 0 {
		return nil, e
	}
	h := hbuf(mqAttrHost)
	for i := 0; i < 4; i++ {
		putLE64(h[8*i:], uint64(t.w.GetSigned(g, i)))
	}
	return h, 0
}

// putMqAttr stores the host's struct mq_attr h at guest address addr.
func (t *Thread) putMqAttr(addr uint64, h []byte) int64 {
	g := make([]byte, 8*int(t.w))
	for i := 0; i < 4; i++ {
		t.w.Put(g, i, le64(h[8*i:]))
	}
	return t.writeMem(addr, g)
}

// sysMqOpen is mq_open(name, oflag, mode, attr).
func sysMqOpen(t *Thread, a *[6]uint64) int64 {
	name, e := t.readPath(a[0])
	if e != 0 {
		return e
	}
	oflag, mode := uint32(a[1]), uint32(a[2])
	var attr []byte
	if oflag&abi.O_CREAT != 0 && a[3] != 0 {
		if attr, e = t.guestMqAttr(a[3]); e != 0 {
			return e
		}
	}
	fd, e := t.reserveFD()
	if e != 0 {
		return e
	}
	n := cstr(name)
	r := host(hostMqOpen, uintptr(ptr(n)), uintptr(oflag), uintptr(mode), uintptr(ptr(attr)))
	return t.fillFD(fd, r, true, nil) // the kernel's queue descriptors are always close-on-exec
}

func sysMqUnlink(t *Thread, a *[6]uint64) int64 {
	name, e := t.readPath(a[0])
	if e != 0 {
		return e
	}
	n := cstr(name)
	return host(hostMqUnlink, uintptr(ptr(n)))
}

// mqMsgsize returns the queue's message size (its attributes from the
// host), or the host's error for a descriptor that is not a queue.
func mqMsgsize(h uintptr) (uint64, int64) {
	attr := hbuf(mqAttrHost)
	if r := host(hostMqGetsetattr, h, 0, uintptr(ptr(attr))); r < 0 {
		return 0, r
	}
	return le64(attr[16:]), 0
}

// mqTimeout reads the absolute timeout at addr (0: none) as a host
// timespec; bad is true for an unreadable one.
func (t *Thread) mqTimeout(addr uint64, t64 bool) (ts []byte, bad bool) {
	if addr == 0 {
		return nil, false
	}
	ts, e := t.timespecs(addr, 1, t64)
	return ts, e != 0
}

// mqTimedsend is mq_timedsend(mqdes, msg, len, prio, abs_timeout).
func (t *Thread) mqTimedsend(a *[6]uint64, t64 bool) int64 {
	size, prio := t.ulong(a[2]), uint32(a[3])
	ts, tsBad := t.mqTimeout(a[4], t64)
	if tsBad {
		return -abi.EFAULT // the kernel reads the timeout first
	}
	h, e := t.fget(a[0])
	if e != 0 {
		return e
	}
	defer t.fput(h)
	msgsize, e := mqMsgsize(h)
	if e != 0 {
		return e
	}
	if size > msgsize {
		// The host refuses it by its size (or an earlier check).
		return host(hostMqTimedsend, h, 0, uintptr(size), uintptr(prio), uintptr(ptr(ts)))
	}
	msg, e := t.readMem(a[1], int(size))
	if e != 0 {
		return host(hostMqTimedsend, h, unmappedHostAddr, uintptr(size), uintptr(prio), uintptr(ptr(ts)))
	}
	b := hbuf(int(size))
	copy(b, msg)
	return t.resumeWait(func() int64 {
		return host(hostMqTimedsend, h, uintptr(ptr(b)), uintptr(size), uintptr(prio), uintptr(ptr(ts)))
	})
}

// mqTimedreceive is mq_timedreceive(mqdes, msg, len, prio*, abs_timeout).
func (t *Thread) mqTimedreceive(a *[6]uint64, t64 bool) int64 {
	size := t.ulong(a[2])
	ts, tsBad := t.mqTimeout(a[4], t64)
	if tsBad {
		return -abi.EFAULT
	}
	h, e := t.fget(a[0])
	if e != 0 {
		return e
	}
	defer t.fput(h)
	msgsize, e := mqMsgsize(h)
	if e != 0 {
		return e
	}
	if size < msgsize {
		return host(hostMqTimedreceive, h, 0, uintptr(size), 0, uintptr(ptr(ts)))
	}
	b := hbuf(int(msgsize))
	prio := hbuf(4)
	r := t.resumeWait(func() int64 {
		return host(hostMqTimedreceive, h, uintptr(ptr(b)), uintptr(msgsize), uintptr(ptr(prio)), uintptr(ptr(ts)))
	})
	if r < 0 {
		return r
	}
	if a[3] != 0 {
		if e := t.writeMem(a[3], prio); e != 0 {
			return e
		}
	}
	if e := t.writeMem(a[1], b[:r]); e != 0 {
		return e
	}
	return r
}

// sysMqGetsetattr is mq_getsetattr(mqdes, newattr, oldattr).
func sysMqGetsetattr(t *Thread, a *[6]uint64) int64 {
	var na []byte
	if a[1] != 0 {
		var e int64
		if na, e = t.guestMqAttr(a[1]); e != 0 {
			return e
		}
	}
	h, e := t.fget(a[0])
	if e != 0 {
		return e
	}
	defer t.fput(h)
	old := hbuf(mqAttrHost)
	if r := host(hostMqGetsetattr, h, uintptr(ptr(na)), uintptr(ptr(old))); r < 0 {
		return r
	}
	if a[2] != 0 {
		return t.putMqAttr(a[2], old)
	}
	return 0
}

// sysMqNotify is mq_notify(mqdes, sevp).
func sysMqNotify(t *Thread, a *[6]uint64) int64 {
	var sev []byte
	var cookie []byte
	if a[1] != 0 {
		g, e := t.readMem(a[1], 64)
		if e != 0 {
			return e
		}
		w := int(t.w)
		value := t.w.Get(g, 0)
		signo, notify := le32(g[w:]), le32(g[w+4:])
		sev = hbuf(64)
		putLE64(sev, value)
		putLE32(sev[8:], signo)
		putLE32(sev[12:], notify)
		switch notify {
		case sigevThread:
			// glibc's: sigev_signo is a netlink socket, sigev_value
			// points at the cookie to send on it.
			c, e := t.readMem(value, notifyCookieLen)
			if e != 0 {
				return e
			}
			cookie = hbuf(notifyCookieLen)
			copy(cookie, c)
			sock, e := t.fget(uint64(signo))
			if e != 0 {
				return e
			}
			defer t.fput(sock)
			putLE32(sev[8:], uint32(sock))
			// The host reads the cookie during the call; the heap does
			// not move it, and KeepAlive below keeps it allocated.
			putLE64(sev, uint64(uintptr(unsafe.Pointer(&cookie[0]))))
		case sigevSignal, sigevNone:
		default:
			return -abi.EINVAL
		}
	}
	h, e := t.fget(a[0])
	if e != 0 {
		return e
	}
	defer t.fput(h)
	r := host(hostMqNotify, h, uintptr(ptr(sev)))
	runtime.KeepAlive(cookie)
	return r
}
