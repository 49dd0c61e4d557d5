package linux

import (
	"os"
	"strconv"
	"strings"
	"syscall"

	"gemu/internal/linux/abi"
)

// System V message queues: msgget, msgsnd, msgrcv, msgctl (and the ipc
// multiplexer's calls, sysIpcSemMsg). The queues are the host's, as
// semaphores and shared memory are; gemu converts struct msgbuf (its
// mtype is a long: 4 bytes on i386) and struct msqid_ds, and keeps the
// kernel's order of checks and copies (a message is taken off the queue
// before it is stored, so a bad buffer loses it, as natively). A wait cut
// short by gemu's own wake-ups resumes; by a guest signal with a handler
// it is EINTR, without one it restarts (ERESTARTNOHAND).

func init() {
	reg(sysMsgget, "msgget")
	reg(func(t *Thread, a *[6]uint64) int64 {
		return t.msgsnd(sint(a[0]), a[1], uint64(t.slong(a[2])), sint(a[3]))
	}, "msgsnd")
	reg(func(t *Thread, a *[6]uint64) int64 {
		return t.msgrcv(sint(a[0]), a[1], uint64(t.slong(a[2])), t.slong(a[3]), sint(a[4]))
	}, "msgrcv")
	reg(func(t *Thread, a *[6]uint64) int64 {
		id, cmd := sint(a[0]), sint(a[1])
		return directStatResult(t, id, cmd, t.msgctl(id, directIpcCmd(t, cmd), t.ulong(a[2]), true))
	}, "msgctl")
	for _, name := range []string{"msgsnd", "msgrcv"} {
		restartClasses[name] = errRestartNoHand
	}
	for name, spec := range map[string]string{
		"msgget": "x,x", "msgsnd": "d,p,u,x", "msgrcv": "d,p,u,d,x", "msgctl": "d,d,p",
	} {
		straceSpec[name] = spec
	}
}

const (
	msgStat     = 11
	msgInfo     = 12
	msgStatAny  = 13
	hostMsqidDS = 120 // x86-64 struct msqid64_ds
	msginfoSize = 32  // struct msginfo: seven ints and a short (both ABIs)

	// The ipc multiplexer's message queue calls (i386).
	ipcMsgsnd = 11
	ipcMsgrcv = 12
	ipcMsgget = 13
	ipcMsgctl = 14
)

func sysMsgget(t *Thread, a *[6]uint64) int64 {
	return host(syscall.SYS_MSGGET, uintptr(int32(a[0])), uintptr(int32(a[1])))
}

// msgLimit is the largest message the host takes or holds: the larger of
// its msgmax and msgmnb (a queue's size bounds its messages), at least
// the defaults.
func msgLimit() uint64 {
	n := uint64(16384)
	for _, f := range []string{"msgmax", "msgmnb"} {
		b, err := os.ReadFile("/proc/sys/kernel/" + f)
		if err != nil {
			continue
		}
		if v, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64); err == nil {
			n = max(n, v)
		}
	}
	return n
}

// msgsnd sends the guest's struct msgbuf at p with sz bytes of text (a
// size_t the kernel takes as signed: i386's sign-extended).
func (t *Thread) msgsnd(id int64, p, sz uint64, flg int64) int64 {
	mtype, e := t.readLong(p)
	if e != 0 {
		return e
	}
	if id < 0 || int64(sz) < 0 || sz > msgLimit() {
		return -abi.EINVAL // refused by its size (or id) before the text is read
	}
	if t.slong(mtype) < 1 {
		return -abi.EINVAL
	}
	text, e := t.readMem(p+uint64(t.w), int(sz))
	if e != 0 {
		return e
	}
	b := hbuf(8 + int(sz))
	putLE64(b, uint64(t.slong(mtype)))
	copy(b[8:], text)
	return t.resumeWait(func() int64 {
		return host(syscall.SYS_MSGSND, uintptr(id), uintptr(ptr(b)), uintptr(sz), uintptr(flg))
	})
}

// msgrcv receives into the guest's struct msgbuf at p, with room for sz
// bytes of text.
func (t *Thread) msgrcv(id int64, p, sz uint64, typ, flg int64) int64 {
	if id < 0 || int64(sz) < 0 {
		return -abi.EINVAL
	}
	n := min(sz, msgLimit())
	b := hbuf(8 + int(n))
	r := t.resumeWait(func() int64 {
		return host(syscall.SYS_MSGRCV, uintptr(id), uintptr(ptr(b)), uintptr(n), uintptr(typ), uintptr(flg))
	})
	if r < 0 {
		return r
	}
	if e := t.writeLong(p, le64(b)); e != 0 {
		return e
	}
	if e := t.writeMem(p+uint64(t.w), b[8:8+r]); e != 0 {
		return e
	}
	return r
}

// msgctl is msgctl(id, cmd, buf) with cmd stripped of IPC_64; ipc64 says
// which of i386's layouts buf has.
func (t *Thread) msgctl(id, cmd int64, buf uint64, ipc64 bool) int64 {
	if id < 0 || cmd < 0 {
		return -abi.EINVAL
	}
	switch cmd {
	case ipcRmid:
		return host(syscall.SYS_MSGCTL, uintptr(id), uintptr(cmd), 0)
	case ipcInfo, msgInfo:
		b := hbuf(msginfoSize)
		r := host(syscall.SYS_MSGCTL, uintptr(id), uintptr(cmd), uintptr(ptr(b)))
		if r < 0 {
			return r
		}
		if e := t.writeMem(buf, b); e != 0 {
			return e
		}
		return r
	case ipcStat, msgStat, msgStatAny:
		b := hbuf(hostMsqidDS)
		r := host(syscall.SYS_MSGCTL, uintptr(id), uintptr(cmd), uintptr(ptr(b)))
		if r < 0 {
			return r
		}
		if e := t.writeMem(buf, t.guestMsqidDS(b, ipc64)); e != 0 {
			return e
		}
		return r
	case ipcSet:
		// msg_qbytes: at 88 (host), 68 (i386 ipc64), 48 (old, 16 bits).
		hb, e := t.hostIpcSet(buf, ipc64, hostMsqidDS, 88, 68, 48)
		if e != 0 {
			return e
		}
		return host(syscall.SYS_MSGCTL, uintptr(id), ipcSet, uintptr(ptr(hb)))
	}
	return -abi.EINVAL
}

// guestMsqidDS converts the host's struct msqid64_ds to the guest's: the
// same on x86-64; i386's ipc64 one (88 bytes, times split in halves) or
// the old one (56 bytes: 32-bit times, kernel pointers as zeros, 16-bit
// counts and pids besides 32-bit byte counts).
func (t *Thread) guestMsqidDS(h []byte, ipc64 bool) []byte {
	if t.w == 8 {
		return h
	}
	stime, rtime, ctime := le64(h[48:]), le64(h[56:]), le64(h[64:])
	cbytes, qnum, qbytes := le64(h[72:]), le64(h[80:]), le64(h[88:])
	lspid, lrpid := le32(h[96:]), le32(h[100:])
	if ipc64 {
		g := make([]byte, 88)
		copy(g, ipcPerm64(h))
		for i, v := range []uint64{stime, rtime, ctime} {
			putLE32(g[36+8*i:], uint32(v))
			putLE32(g[40+8*i:], uint32(v>>32))
		}
		for i, v := range []uint32{uint32(cbytes), uint32(qnum), uint32(qbytes), lspid, lrpid} {
			putLE32(g[60+4*i:], v)
		}
		return g
	}
	g := make([]byte, 56)
	copy(g, ipcPermOld(h))
	putLE32(g[24:], uint32(stime))
	putLE32(g[28:], uint32(rtime))
	putLE32(g[32:], uint32(ctime))
	// msg_lcbytes and msg_lqbytes (36, 40) stay 0, as the kernel leaves them.
	for i, v := range []uint64{cbytes, qnum, qbytes, uint64(lspid), uint64(lrpid)} {
		putLE16(g[44+2*i:], uint16(v))
	}
	return g
}
