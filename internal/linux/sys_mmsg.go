package linux

import (
	"time"

	"gemu/internal/linux/abi"
)

// recvmmsg and sendmmsg: a vector of struct mmsghdr (a struct msghdr of
// the guest's ABI, then the unsigned int msg_len: 32 bytes on i386, 64 on
// x86-64), served one message at a time by recvmsg and sendmsg
// (sys_socket.go: the same translation of addresses, iovecs and control
// messages, SCM_RIGHTS included), with the kernel's rules for the
// vector: at most UIO_MAXIOV messages; an error after some messages were
// done ends the call with their count; recvmmsg's MSG_WAITFORONE makes
// every receive after the first non-blocking, and its timeout is checked
// after each message and written back with the time left.

func init() {
	reg(sysSendmmsg, "sendmmsg")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.recvmmsg(a, t.w == 8) }, "recvmmsg")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.recvmmsg(a, true) }, "recvmmsg_time64")
	for name, spec := range map[string]string{
		"sendmmsg": "d,p,u,x", "recvmmsg": "d,p,u,x,p", "recvmmsg_time64": "d,p,u,x,p",
	} {
		straceSpec[name] = spec
	}
}

const (
	uioMaxIOV     = 1024
	msgDontwait   = 0x40
	msgWaitforone = 0x10000
)

// mmsgSize is the size of the guest's struct mmsghdr.
func (t *Thread) mmsgSize() uint64 {
	if t.w == 4 {
		return 32
	}
	return 64
}

// sysSendmmsg is sendmmsg(fd, vec, vlen, flags).
func sysSendmmsg(t *Thread, a *[6]uint64) int64 {
	fd, vec, vlen, flags := a[0], a[1], min(uint64(uint32(a[2])), uioMaxIOV), uint64(uint32(a[3]))
	h, e := t.fget(fd)
	if e != 0 {
		return e
	}
	t.fput(h)
	var n int64
	for ; uint64(n) < vlen; n++ {
		m := vec + uint64(n)*t.mmsgSize()
		r := sysSendmsg(t, &[6]uint64{fd, m, flags})
		if r < 0 {
			if n > 0 {
				return n
			}
			return r
		}
		if e := t.writeMem(m+uint64(t.msghdrSize()), u32le(uint32(r))); e != 0 {
			if n > 0 {
				return n
			}
			return e
		}
	}
	return n
}

// recvmmsg is recvmmsg(fd, vec, vlen, flags, timeout), with a 64-bit
// timespec (t64) or i386's 32-bit one.
func (t *Thread) recvmmsg(a *[6]uint64, t64 bool) int64 {
	fd, vec, vlen, flags := a[0], a[1], min(uint64(uint32(a[2])), uioMaxIOV), uint64(uint32(a[3]))
	var deadline time.Time
	if a[4] != 0 {
		b, e := t.timespecs(a[4], 1, t64)
		if e != 0 {
			return e
		}
		ts := abi.DecodeTimespec(8, b)
		if ts.Sec < 0 || ts.Nsec < 0 || ts.Nsec >= 1e9 {
			return -abi.EINVAL
		}
		deadline = time.Now().Add(time.Duration(min(ts.Sec, 1<<32))*time.Second + time.Duration(ts.Nsec))
	}
	// The timeout is checked first, then the descriptor.
	h, e := t.fget(fd)
	if e != 0 {
		return e
	}
	t.fput(h)
	var n int64
	for ; uint64(n) < vlen; n++ {
		m := vec + uint64(n)*t.mmsgSize()
		r := sysRecvmsg(t, &[6]uint64{fd, m, flags &^ msgWaitforone})
		if r < 0 {
			if n > 0 {
				break
			}
			return r
		}
		if e := t.writeMem(m+uint64(t.msghdrSize()), u32le(uint32(r))); e != 0 {
			if n > 0 {
				break
			}
			return e
		}
		if flags&msgWaitforone != 0 {
			flags |= msgDontwait
		}
		if a[4] != 0 && !time.Now().Before(deadline) {
			n++
			break
		}
	}
	if a[4] != 0 {
		left := max(time.Until(deadline), 0)
		if e := t.putTimespec(a[4], abi.Timespec{Sec: int64(left / time.Second), Nsec: int64(left % time.Second)}, t64); e != 0 {
			return e
		}
	}
	return n
}

func u32le(v uint32) []byte {
	b := make([]byte, 4)
	putLE32(b, v)
	return b
}
