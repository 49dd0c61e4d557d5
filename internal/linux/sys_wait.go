package linux

import (
	"encoding/binary"
	"syscall"

	"gemu/internal/linux/abi"
)

// Waiting for children: the guest's children are real host processes
// (forked gemus), so wait4, waitpid and waitid go to the host. Status
// words pass through unchanged: a child whose guest died by a signal
// died by that signal itself (DieBySignal). struct rusage and the
// siginfo of waitid are converted for i386.

func init() {
	reg(sysWait4, "wait4")
	reg(sysWaitpid, "waitpid")
	reg(sysWaitid, "waitid")
	for name, spec := range map[string]string{"wait4": "d,p,x,p", "waitpid": "d,p,x", "waitid": "d,d,p,x,p"} {
		if _, ok := straceSpec[name]; !ok {
			straceSpec[name] = spec
		}
	}
}

// wait4 options the kernel accepts.
const (
	wUntraced  = 2
	wNothread  = 0x20000000
	wAll       = 0x40000000
	wClone     = 0x80000000
	wait4Flags = wNohang | wUntraced | wContinue | wNothread | wAll | wClone
	waitidOpts = wNohang | wStopped | wExited | wContinue | wNowait | wNothread | wAll | wClone
)

func sysWait4(t *Thread, a *[6]uint64) int64 {
	return t.wait4(sint(a[0]), a[1], a[2]&0xffffffff, a[3])
}

// sysWaitpid is i386's waitpid: wait4 without rusage.
func sysWaitpid(t *Thread, a *[6]uint64) int64 {
	return t.wait4(sint(a[0]), a[1], a[2]&0xffffffff, 0)
}

// rusageSize is the size of the guest's struct rusage: two timevals and
// fourteen longs.
func (t *Thread) rusageSize() uint64 { return 18 * uint64(t.w) }

func (t *Thread) wait4(pid int64, status, options, rusage uint64) int64 {
	if options&^wait4Flags != 0 {
		return -abi.EINVAL
	}
	// Refuse bad buffers before a child is reaped and lost.
	if status != 0 && !t.writable(status, 4) || rusage != 0 && !t.writable(rusage, t.rusageSize()) {
		return -abi.EFAULT
	}
	st := hbuf(4)
	var ru []byte
	if rusage != 0 {
		ru = hbuf(abi.HostRusageSize)
	}
	r := host(syscall.SYS_WAIT4, uintptr(pid), uintptr(ptr(st)), uintptr(options), uintptr(ptr(ru)))
	if r <= 0 {
		return r
	}
	if status != 0 {
		if e := t.writeMem(status, st); e != 0 {
			return e
		}
	}
	if rusage != 0 {
		if e := t.writeMem(rusage, abi.ConvertRusage(t.w, ru)); e != 0 {
			return e
		}
	}
	return r
}

// pPidfd is waitid's idtype for a process named by a pidfd.
const pPidfd = 3

// sysWaitid is waitid(idtype, id, infop, options, rusage). Like the
// kernel, it stores only siginfo's signo, errno, code, pid, uid and status
// (all zero when WNOHANG found no child), and rusage only for a child.
func sysWaitid(t *Thread, a *[6]uint64) int64 {
	idtype, id, infop, options, rusage := sint(a[0]), sint(a[1]), a[2], a[3]&0xffffffff, a[4]
	if options&^waitidOpts != 0 || options&(wExited|wStopped|wContinue) == 0 {
		return -abi.EINVAL
	}
	if idtype == pPidfd && id >= 0 {
		// The guest's pidfd (sys_pidfd.go) stands for a host one.
		h, e := t.fget(uint64(id))
		if e != 0 {
			return e
		}
		defer t.fput(h)
		id = int64(h)
	}
	if infop != 0 && !t.writable(infop, siginfoSize) || rusage != 0 && !t.writable(rusage, t.rusageSize()) {
		return -abi.EFAULT
	}
	si := hbuf(siginfoSize)
	ru := hbuf(abi.HostRusageSize)
	r := host(syscall.SYS_WAITID, uintptr(idtype), uintptr(id), uintptr(ptr(si)), uintptr(options), uintptr(ptr(ru)))
	if r < 0 {
		return r
	}
	found := le32(si[0:]) == abi.SIGCHLD
	if found && rusage != 0 {
		if e := t.writeMem(rusage, abi.ConvertRusage(t.w, ru)); e != 0 {
			return e
		}
	}
	if infop != 0 {
		head, union := waitidInfo(t.w, si)
		if e := t.writeMem(infop, head); e != 0 {
			return e
		}
		if e := t.writeMem(infop+uint64(unionOffset(t.w)), union); e != 0 {
			return e
		}
	}
	return r
}

// unionOffset is where siginfo's union starts: after signo, errno and
// code, aligned for a long.
func unionOffset(w abi.Words) int {
	if w == 8 {
		return 16
	}
	return 12
}

// waitidInfo converts the fields waitid stores from a host (x86-64)
// siginfo to the guest's: the head (signo, errno, code) and the start of
// the union (pid, uid, status), which the caller stores at unionOffset.
// Other bytes, padding included, keep their contents, as the kernel
// leaves them.
func waitidInfo(w abi.Words, h []byte) (head, union []byte) {
	le := binary.LittleEndian
	head = append([]byte(nil), h[:12]...)
	union = make([]byte, 12)
	le.PutUint32(union[0:], le.Uint32(h[16:]))
	le.PutUint32(union[4:], le.Uint32(h[20:]))
	le.PutUint32(union[8:], le.Uint32(h[24:]))
	return head, union
}
