package linux

import (
	"syscall"

	"gemu/internal/linux/abi"
)

// Sockets, passed through to the host. Socket addresses have the same
// layout on every ABI; message headers and control messages are
// converted for i386. i386's socketcall multiplexer dispatches to the
// same handlers. Socket descriptors are guest descriptors like any
// (fdtable.go), including those passed in SCM_RIGHTS messages.

func init() {
	reg(sysSocket, "socket")
	reg(sysSocketpair, "socketpair")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.bindConnect(a, syscall.SYS_BIND) }, "bind")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.bindConnect(a, syscall.SYS_CONNECT) }, "connect")
	reg(sysFDInt(syscall.SYS_LISTEN), "listen")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.accept(a, 0) }, "accept")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.accept(a, uint32(a[3])) }, "accept4")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.sockname(a, syscall.SYS_GETSOCKNAME) }, "getsockname")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.sockname(a, syscall.SYS_GETPEERNAME) }, "getpeername")
	reg(sysSendto, "sendto")
	reg(sysRecvfrom, "recvfrom")
	reg(sysFDInt(syscall.SYS_SHUTDOWN), "shutdown")
	reg(sysSetsockopt, "setsockopt")
	reg(sysGetsockopt, "getsockopt")
	reg(sysSendmsg, "sendmsg")
	reg(sysRecvmsg, "recvmsg")
	reg(sysSocketcall, "socketcall")
}

// maxSockaddr bounds socket address lengths (sizeof(sockaddr_storage)).
const maxSockaddr = 128

// sockCloexec is SOCK_CLOEXEC (O_CLOEXEC), in socket types and accept4
// flags; msgCmsgCloexec is MSG_CMSG_CLOEXEC, in recvmsg flags.
const (
	sockCloexec    = abi.O_CLOEXEC
	msgCmsgCloexec = 0x40000000
	msgCtrunc      = 0x8
	scmRights      = 1
)

// sysFDInt makes a handler for a call taking a descriptor and an int.
func sysFDInt(nr uintptr) sysFn {
	return func(t *Thread, a *[6]uint64) int64 {
		fd, e := t.fget(a[0])
		if e != 0 {
			return e
		}
		defer t.fput(fd)
		return host(nr, fd, uintptr(sint(a[1])))
	}
}

func sysSocket(t *Thread, a *[6]uint64) int64 {
	fd, e := t.reserveFD()
	if e != 0 {
		return e
	}
	typ := uint32(a[1])
	r := host(syscall.SYS_SOCKET, uintptr(sint(a[0])), uintptr(typ|sockCloexec), uintptr(sint(a[2])))
	return t.fillFD(fd, r, typ&sockCloexec != 0, nil)
}

func sysSocketpair(t *Thread, a *[6]uint64) int64 {
	if !t.writable(a[3], 8) {
		return -abi.EFAULT
	}
	s0, s1, e := t.reserveFDPair()
	if e != 0 {
		return e
	}
	b := hbuf(8)
	typ := uint32(a[1])
	if r := host(syscall.SYS_SOCKETPAIR, uintptr(sint(a[0])), uintptr(typ|sockCloexec), uintptr(sint(a[2])), uintptr(ptr(b))); r < 0 {
		t.fds.cancel(s0)
		t.fds.cancel(s1)
		return r
	}
	ce := typ&sockCloexec != 0
	t.fillFD(s0, int64(le32(b)), ce, nil)
	t.fillFD(s1, int64(le32(b[4:])), ce, nil)
	putLE32(b, uint32(s0))
	putLE32(b[4:], uint32(s1))
	return t.writeMem(a[3], b)
}

// sockaddrIn reads a socket address argument. An address in gemu's own
// abstract namespace (peerAddr: the sockets gemus serve their guests'
// memory on) is one the guest cannot reach: binding it is EADDRINUSE,
// sending to it or connecting ECONNREFUSED, as for a name in use or one
// nothing listens on.
func (p *Process) sockaddrIn(addr, n uint64) ([]byte, int64) {
	if addr == 0 {
		return nil, 0
	}
	if n > maxSockaddr {
		return nil, -abi.EINVAL
	}
	sa, e := p.readMem(addr, int(n))
	if e == 0 && gemuOwnAddr(sa) {
		return nil, -econnrefused
	}
	return sa, e
}

// gemuOwnAddr reports whether sa is an AF_UNIX address in gemu's own
// abstract namespace.
func gemuOwnAddr(sa []byte) bool {
	const prefix = "\x00gemu-peer-"
	return len(sa) >= 2+len(prefix) && le16(sa) == syscall.AF_UNIX && string(sa[2:2+len(prefix)]) == prefix
}

// bindConnect is bind or connect (host call nr) with the guest's address.
func (p *Process) bindConnect(a *[6]uint64, nr uintptr) int64 {
	fd, e := p.fget(a[0])
	if e != 0 {
		return e
	}
	defer p.fput(fd)
	sa, e := p.sockaddrIn(a[1], uint64(uint32(a[2])))
	if e == -econnrefused && nr == syscall.SYS_BIND {
		return -int64(syscall.EADDRINUSE)
	}
	if e != 0 {
		return e
	}
	return host(nr, fd, uintptr(ptr(sa)), uintptr(len(sa)))
}

// sockaddrOut prepares an (address, length pointer) result pair: it
// returns a host buffer and its length word, or nils when addr is NULL.
func (p *Process) sockaddrOut(addr, lenp uint64) (buf, lb []byte, e int64) {
	if addr == 0 || lenp == 0 {
		return nil, nil, 0
	}
	l, e := p.readMem(lenp, 4)
	if e != 0 {
		return nil, nil, e
	}
	if int32(le32(l)) < 0 {
		return nil, nil, -abi.EINVAL
	}
	lb = hbuf(4)
	copy(lb, l)
	return hbuf(maxSockaddr), lb, 0
}

// sockaddrDone copies a returned address back (truncated to the guest's
// buffer) and stores the full length.
func (p *Process) sockaddrDone(addr, lenp uint64, buf, lb []byte, guestLen uint32) int64 {
	if buf == nil {
		return 0
	}
	n := min(le32(lb), guestLen, maxSockaddr)
	if e := p.writeMem(addr, buf[:n]); e != 0 {
		return e
	}
	return p.writeMem(lenp, lb)
}

// accept is accept4 with flags (0 for accept).
func (p *Process) accept(a *[6]uint64, flags uint32) int64 {
	sock, e := p.fget(a[0])
	if e != 0 {
		return e
	}
	defer p.fput(sock)
	buf, lb, e := p.sockaddrOut(a[1], a[2])
	if e != 0 {
		return e
	}
	var guestLen uint32
	if lb != nil {
		guestLen = le32(lb)
		lb[0], lb[1], lb[2], lb[3] = maxSockaddr, 0, 0, 0
	}
	fd, e := p.reserveFD()
	if e != 0 {
		return e
	}
	r := host(syscall.SYS_ACCEPT4, sock, uintptr(ptr(buf)), uintptr(ptr(lb)), uintptr(flags|sockCloexec))
	if r = p.fillFD(fd, r, flags&sockCloexec != 0, nil); r < 0 {
		return r
	}
	if e := p.sockaddrDone(a[1], a[2], buf, lb, guestLen); e != 0 {
		return e
	}
	return r
}

// sockname is getsockname or getpeername (host call nr).
func (p *Process) sockname(a *[6]uint64, nr uintptr) int64 {
	fd, e := p.fget(a[0])
	if e != 0 {
		return e
	}
	defer p.fput(fd)
	buf, lb, e := p.sockaddrOut(a[1], a[2])
	if e != 0 {
		return e
	}
	if buf == nil {
		return -abi.EFAULT
	}
	guestLen := le32(lb)
	lb[0], lb[1], lb[2], lb[3] = maxSockaddr, 0, 0, 0
	if r := host(nr, fd, uintptr(ptr(buf)), uintptr(ptr(lb))); r < 0 {
		return r
	}
	return p.sockaddrDone(a[1], a[2], buf, lb, guestLen)
}

func sysSendto(t *Thread, a *[6]uint64) int64 {
	fd, e := t.fget(a[0])
	if e != 0 {
		return e
	}
	defer t.fput(fd)
	sa, e := t.sockaddrIn(a[4], uint64(uint32(a[5])))
	if e != 0 {
		return e
	}
	flags := uintptr(uint32(a[3]))
	return t.writeLoop(a[1], min(t.ulong(a[2]), ioChunk), func(b []byte, _ uint64) int64 {
		return host(syscall.SYS_SENDTO, fd, uintptr(ptr(b)), uintptr(len(b)), flags, uintptr(ptr(sa)), uintptr(len(sa)))
	})
}

func sysRecvfrom(t *Thread, a *[6]uint64) int64 {
	fd, e := t.fget(a[0])
	if e != 0 {
		return e
	}
	defer t.fput(fd)
	buf, lb, e := t.sockaddrOut(a[4], a[5])
	if e != 0 {
		return e
	}
	var guestLen uint32
	if lb != nil {
		guestLen = le32(lb)
		lb[0], lb[1], lb[2], lb[3] = maxSockaddr, 0, 0, 0
	}
	flags := uintptr(uint32(a[3]))
	r := t.readLoop(a[1], min(t.ulong(a[2]), ioChunk), func(b []byte, _ uint64) int64 {
		return host(syscall.SYS_RECVFROM, fd, uintptr(ptr(b)), uintptr(len(b)), flags, uintptr(ptr(buf)), uintptr(ptr(lb)))
	})
	if r < 0 {
		return r
	}
	if e := t.sockaddrDone(a[4], a[5], buf, lb, guestLen); e != 0 {
		return e
	}
	return r
}

// Socket options whose values hold a struct timeval (long-sized fields).
const (
	solSocket      = 1
	soRcvtimeoOld  = 20
	soSndtimeoOld  = 21
	maxSockoptSize = 1024
)

func (t *Thread) timevalOpt(level, name int64) bool {
	return t.w == 4 && level == solSocket && (name == soRcvtimeoOld || name == soSndtimeoOld)
}

func sysSetsockopt(t *Thread, a *[6]uint64) int64 {
	fd, e := t.fget(a[0])
	if e != 0 {
		return e
	}
	defer t.fput(fd)
	level, name, n := sint(a[1]), sint(a[2]), uint64(uint32(a[4]))
	if n > maxSockoptSize {
		return -abi.EINVAL
	}
	v, e := t.readMem(a[3], int(n))
	if e != 0 {
		return e
	}
	if t.timevalOpt(level, name) && len(v) >= 8 {
		v = abi.DecodeTimespec(4, v).Host64()
	}
	hv := hbuf(len(v))
	copy(hv, v)
	return host(syscall.SYS_SETSOCKOPT, fd, uintptr(level), uintptr(name), uintptr(ptr(hv)), uintptr(len(hv)))
}

func sysGetsockopt(t *Thread, a *[6]uint64) int64 {
	fd, e := t.fget(a[0])
	if e != 0 {
		return e
	}
	defer t.fput(fd)
	level, name := sint(a[1]), sint(a[2])
	l, e := t.readMem(a[4], 4)
	if e != 0 {
		return e
	}
	glen := le32(l)
	if int32(glen) < 0 {
		return -abi.EINVAL
	}
	lb := hbuf(4)
	putLE32(lb, maxSockoptSize)
	v := hbuf(maxSockoptSize)
	if r := host(syscall.SYS_GETSOCKOPT, fd, uintptr(level), uintptr(name), uintptr(ptr(v)), uintptr(ptr(lb))); r < 0 {
		return r
	}
	out := v[:min(le32(lb), maxSockoptSize)]
	if t.timevalOpt(level, name) && len(out) == 16 {
		out = abi.Words(4).Encode(le64(out), le64(out[8:]))
	}
	n := min(uint32(len(out)), glen)
	if e := t.writeMem(a[3], out[:n]); e != 0 {
		return e
	}
	putLE32(lb, n)
	return t.writeMem(a[4], lb)
}

func putLE32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

// msghdr is a decoded struct msghdr.
type msghdr struct {
	name, namelen, iov, iovlen, control, controllen, flags uint64
}

// msghdrSize is the size of the guest's struct msghdr.
func (t *Thread) msghdrSize() int { return 7 * int(t.w) }

func (t *Thread) readMsghdr(addr uint64) (msghdr, int64) {
	b, e := t.readMem(addr, t.msghdrSize())
	if e != 0 {
		return msghdr{}, e
	}
	w := t.w
	if w == 4 {
		return msghdr{w.Get(b, 0), w.Get(b, 1), w.Get(b, 2), w.Get(b, 3), w.Get(b, 4), w.Get(b, 5), w.Get(b, 6)}, 0
	}
	// x86-64: name, namelen (u32, padded), iov, iovlen, control,
	// controllen, flags (int).
	return msghdr{le64(b), uint64(le32(b[8:])), le64(b[16:]), le64(b[24:]), le64(b[32:]), le64(b[40:]), uint64(le32(b[48:]))}, 0
}

// cmsg is one control message.
type cmsg struct {
	level, typ int32
	data       []byte
}

// parseCmsgs splits a control buffer laid out with long width w.
func parseCmsgs(w abi.Words, b []byte) []cmsg {
	hdr := int(w) + 8
	var out []cmsg
	for len(b) >= hdr {
		l := int(w.Get(b, 0))
		if l < hdr || l > len(b) {
			break
		}
		out = append(out, cmsg{int32(le32(b[int(w):])), int32(le32(b[int(w)+4:])), b[hdr:l]})
		adv := (l + int(w) - 1) &^ (int(w) - 1)
		if adv > len(b) {
			break
		}
		b = b[adv:]
	}
	return out
}

// encodeCmsgs lays control messages out with long width w.
func encodeCmsgs(w abi.Words, msgs []cmsg) []byte {
	hdr := int(w) + 8
	var out []byte
	for _, m := range msgs {
		l := hdr + len(m.data)
		rec := make([]byte, (l+int(w)-1)&^(int(w)-1))
		w.Put(rec, 0, uint64(l))
		putLE32(rec[int(w):], uint32(m.level))
		putLE32(rec[int(w)+4:], uint32(m.typ))
		copy(rec[hdr:], m.data)
		out = append(out, rec...)
	}
	return out
}

// hostMsghdr builds the host's struct msghdr (56 bytes).
func hostMsghdr(name []byte, iov []byte, niov int, control []byte, flags uint32) []byte {
	h := hbuf(56)
	putLE64(h, uint64(uintptr(ptr(name))))
	putLE32(h[8:], uint32(len(name)))
	putLE64(h[16:], uint64(uintptr(ptr(iov))))
	putLE64(h[24:], uint64(niov))
	putLE64(h[32:], uint64(uintptr(ptr(control))))
	putLE64(h[40:], uint64(len(control)))
	putLE32(h[48:], flags)
	return h
}

// rightsToHost translates the guest descriptors of SCM_RIGHTS messages to
// host descriptors, held: it returns them for putting, EBADF if one is
// not the guest's.
func (p *Process) rightsToHost(msgs []cmsg) ([]int, int64) {
	var held []int
	for _, m := range msgs {
		if m.level != solSocket || m.typ != scmRights {
			continue
		}
		for i := 0; i+4 <= len(m.data); i += 4 {
			e, ok := p.fds.hold(int64(int32(le32(m.data[i:]))))
			if !ok {
				for _, h := range held {
					p.putHost(h)
				}
				return nil, -abi.EBADF
			}
			held = append(held, e.host)
			putLE32(m.data[i:], uint32(e.host))
		}
	}
	return held, 0
}

// rightsToGuest installs the host descriptors received in SCM_RIGHTS
// messages as guest descriptors and puts their numbers in the messages.
// A descriptor the guest's table has no room for is closed and left out,
// and MSG_CTRUNC reported, as Linux does.
func (p *Process) rightsToGuest(msgs []cmsg, cloexec bool) (out []cmsg, trunc bool) {
	for _, m := range msgs {
		if m.level != solSocket || m.typ != scmRights {
			out = append(out, m)
			continue
		}
		var data []byte
		for i := 0; i+4 <= len(m.data); i += 4 {
			h := int(int32(le32(m.data[i:])))
			fd := p.installFD(h, cloexec)
			if fd < 0 {
				trunc = true
				continue
			}
			data = append(data, p32(uint32(fd))...)
		}
		if len(data) > 0 {
			out = append(out, cmsg{m.level, m.typ, data})
		}
	}
	return out, trunc
}

// closeRights closes the guest descriptors of SCM_RIGHTS messages that did
// not fit the guest's control buffer.
func (p *Process) closeRights(msgs []cmsg) {
	for _, m := range msgs {
		if m.level == solSocket && m.typ == scmRights {
			for i := 0; i+4 <= len(m.data); i += 4 {
				p.closeFD(int64(int32(le32(m.data[i:]))))
			}
		}
	}
}

func sysSendmsg(t *Thread, a *[6]uint64) int64 {
	fd, e := t.fget(a[0])
	if e != 0 {
		return e
	}
	defer t.fput(fd)
	m, e := t.readMsghdr(a[1])
	if e != 0 {
		return e
	}
	name, e := t.sockaddrIn(m.name, m.namelen)
	if e != 0 {
		return e
	}
	iov, e := t.iovecs(m.iov, int64(m.iovlen))
	if e != 0 {
		return e
	}
	var control []byte
	if m.control != 0 && m.controllen > 0 {
		if m.controllen > 64<<10 {
			return -abi.ENOBUFS
		}
		g, e := t.readMem(m.control, int(m.controllen))
		if e != 0 {
			return e
		}
		msgs := parseCmsgs(t.w, g)
		held, e := t.rightsToHost(msgs)
		if e != 0 {
			return e
		}
		defer func() {
			for _, h := range held {
				t.putHost(h)
			}
		}()
		c := encodeCmsgs(8, msgs)
		control = hbuf(len(c))
		copy(control, c)
	}
	flags := uintptr(uint32(a[2]))
	return t.writeVec(iov, func(b []byte) int64 {
		hiov := hbuf(16)
		putLE64(hiov, uint64(uintptr(ptr(b))))
		putLE64(hiov[8:], uint64(len(b)))
		h := hostMsghdr(name, hiov, 1, control, 0)
		r := host(syscall.SYS_SENDMSG, fd, uintptr(ptr(h)), flags)
		keep(name, hiov, control, b)
		return r
	})
}

func sysRecvmsg(t *Thread, a *[6]uint64) int64 {
	fd, e := t.fget(a[0])
	if e != 0 {
		return e
	}
	defer t.fput(fd)
	m, e := t.readMsghdr(a[1])
	if e != 0 {
		return e
	}
	iov, e := t.iovecs(m.iov, int64(m.iovlen))
	if e != 0 {
		return e
	}
	var name []byte
	if m.name != 0 {
		name = hbuf(maxSockaddr)
	}
	var control []byte
	if m.control != 0 && m.controllen > 0 {
		control = hbuf(int(min(m.controllen*2, 128<<10)))
	}
	gflags := uint32(a[2])
	flags := uintptr(gflags | msgCmsgCloexec)
	var h []byte
	r := t.readVec(iov, func(b []byte) int64 {
		hiov := hbuf(16)
		putLE64(hiov, uint64(uintptr(ptr(b))))
		putLE64(hiov[8:], uint64(len(b)))
		h = hostMsghdr(name, hiov, 1, control, 0)
		r := host(syscall.SYS_RECVMSG, fd, uintptr(ptr(h)), flags)
		keep(name, hiov, control, b)
		return r
	})
	if r < 0 || h == nil {
		return r
	}
	// Write back the address, control messages, their lengths and flags.
	// The host reports the MSG_CMSG_CLOEXEC gemu adds among the flags,
	// as the kernel reports the caller's.
	outFlags := le32(h[48:])&^msgCmsgCloexec | gflags&msgCmsgCloexec
	var nameLen uint64
	if name != nil {
		nameLen = uint64(le32(h[8:]))
		if e := t.writeMem(m.name, name[:min(nameLen, m.namelen, maxSockaddr)]); e != 0 {
			return e
		}
	}
	var clen uint64
	if control != nil {
		msgs, trunc := t.rightsToGuest(parseCmsgs(8, control[:le64(h[40:])]), gflags&msgCmsgCloexec != 0)
		if trunc {
			outFlags |= msgCtrunc
		}
		// Whole messages that fit the guest's buffer; descriptors in the
		// others are closed.
		var c []byte
		for i, cm := range msgs {
			rec := encodeCmsgs(t.w, msgs[i:i+1])
			if uint64(len(c)+len(rec)) > m.controllen {
				if cm.level != solSocket || cm.typ != scmRights {
					c = append(c, rec[:m.controllen-uint64(len(c))]...)
					i++
				}
				t.closeRights(msgs[i:])
				outFlags |= msgCtrunc
				break
			}
			c = append(c, rec...)
		}
		if e := t.writeMem(m.control, c); e != 0 {
			return e
		}
		clen = uint64(len(c))
	}
	m.namelen, m.controllen, m.flags = nameLen, clen, uint64(outFlags)
	var out []byte
	if t.w == 4 {
		out = abi.Words(4).Encode(m.name, m.namelen, m.iov, m.iovlen, m.control, m.controllen, m.flags)
	} else {
		out = make([]byte, 56)
		putLE64(out, m.name)
		putLE32(out[8:], uint32(m.namelen))
		putLE64(out[16:], m.iov)
		putLE64(out[24:], m.iovlen)
		putLE64(out[32:], m.control)
		putLE64(out[40:], m.controllen)
		putLE32(out[48:], uint32(m.flags))
	}
	if e := t.writeMem(a[1], out); e != 0 {
		return e
	}
	return r
}

// keep holds buffers referenced from a host structure alive until the
// host call that uses them has returned.
//
//go:noinline
func keep(...[]byte) {}

// socketcallArgs is the number of arguments of each socketcall call.
var socketcallArgs = [...]int{0, 3, 3, 3, 2, 3, 3, 3, 4, 4, 4, 6, 6, 2, 5, 5, 3, 3, 4, 5, 4}

var socketcallNames = [...]string{"", "socket", "bind", "connect", "listen", "accept", "getsockname",
	"getpeername", "socketpair", "send", "recv", "sendto", "recvfrom", "shutdown", "setsockopt",
	"getsockopt", "sendmsg", "recvmsg", "accept4", "recvmmsg", "sendmmsg"}

// sysSocketcall is i386's socket multiplexer: call number and a pointer
// to the call's arguments.
func sysSocketcall(t *Thread, a *[6]uint64) int64 {
	call := int(sint(a[0]))
	if call < 1 || call >= len(socketcallArgs) {
		t.unimpf("Unsupported socketcall: %d\n", call)
		return -abi.EINVAL
	}
	b, e := t.readMem(a[1], 4*socketcallArgs[call])
	if e != 0 {
		return e
	}
	var args [6]uint64
	for i := 0; i < socketcallArgs[call]; i++ {
		args[i] = uint64(le32(b[4*i:]))
	}
	name := socketcallNames[call]
	switch name {
	case "send":
		name, args[4], args[5] = "sendto", 0, 0
	case "recv":
		name, args[4], args[5] = "recvfrom", 0, 0
	}
	return handlers[name](t, &args)
}
