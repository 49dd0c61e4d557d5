package linux

import (
	"syscall"

	"gemu/internal/linux/abi"
)

// System V semaphores: semget, semop, semtimedop (and i386's
// semtimedop_time64), semctl, and the ipc multiplexer's calls for them
// (sysIpcSemMsg, also message queues).
//
// As for shared memory (sys_shm.go) the sets are the host's: keys, ids,
// permissions, values, waiters, SEM_UNDO adjustments (undone when the
// gemu process, the guest's process, ends) and removal are the host
// kernel's, shared with every other process. gemu converts the structures
// of the guest's ABI (i386's ipc64 and old layouts) and keeps the
// kernel's order of checks and copies. A wait cut short by gemu's own
// wake-ups resumes (resumeWait); one cut short by a guest signal returns
// EINTR, never restarted, as signal(7) says of semop.

func init() {
	reg(sysSemget, "semget")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.semtimedop(sint(a[0]), a[1], t.ulong(a[2]), 0, false) }, "semop")
	reg(func(t *Thread, a *[6]uint64) int64 {
		return t.semtimedop(sint(a[0]), a[1], t.ulong(a[2]), a[3], t.w == 8)
	}, "semtimedop")
	reg(func(t *Thread, a *[6]uint64) int64 {
		return t.semtimedop(sint(a[0]), a[1], t.ulong(a[2]), a[3], true)
	}, "semtimedop_time64")
	reg(func(t *Thread, a *[6]uint64) int64 {
		id, cmd := sint(a[0]), sint(a[2])
		return directStatResult(t, id, cmd, t.semctl(id, sint(a[1]), directIpcCmd(t, cmd), t.ulong(a[3]), true))
	}, "semctl")
	for _, name := range []string{"semop", "semtimedop", "semtimedop_time64"} {
		restartClasses[name] = abi.EINTR
	}
	// The multiplexer's message queue calls restart only without a
	// handler (ERESTARTNOHAND); its semaphore calls should not restart
	// at all, its shared memory calls do not wait.
	restartClasses["ipc"] = errRestartNoHand
	for name, spec := range map[string]string{
		"semget": "x,d,x", "semop": "d,p,u", "semtimedop": "d,p,u,p", "semtimedop_time64": "d,p,u,p",
		"semctl": "d,d,d,x",
	} {
		straceSpec[name] = spec
	}
}

// Semaphore commands and sizes.
const (
	semGetpid    = 11
	semGetval    = 12
	semGetall    = 13
	semGetncnt   = 14
	semGetzcnt   = 15
	semSetval    = 16
	semSetall    = 17
	semStat      = 18
	semInfo      = 19
	semStatAny   = 20
	sembufSize   = 6   // struct sembuf: u16 num, s16 op, s16 flg (both ABIs)
	semoptMax    = 500 // SEMOPM: the kernel's most operations per call (E2BIG)
	hostSemidDS  = 104 // x86-64 struct semid64_ds
	seminfoSize  = 40  // struct seminfo: ten ints (both ABIs)
	semMaxNsems  = 32000
	hostSemtimed = 220 // the host's (x86-64) semtimedop

	// The ipc multiplexer's semaphore calls (i386).
	ipcSemop      = 1
	ipcSemget     = 2
	ipcSemctl     = 3
	ipcSemtimedop = 4
)

// directIpcCmd is the command of a direct semctl or msgctl: i386's
// (Linux 5.1's calls) always use the ipc64 structures and ignore an
// IPC_64 bit, as the x86-64 kernel's compat calls do; on x86-64 the bit
// makes an unknown command (EINVAL). (shmctl differs: sysShmctl.)
func directIpcCmd(t *Thread, cmd int64) int64 {
	if t.w == 4 {
		return cmd &^ ipc64
	}
	return cmd
}

// directStatResult is the result of a direct semctl or msgctl: on i386
// an IPC_STAT with the IPC_64 bit returns the id, as SEM_STAT and
// MSG_STAT do (the x86-64 kernel's compat calls compare the command with
// the bit still set when they choose the result).
func directStatResult(t *Thread, id, cmd, r int64) int64 {
	if t.w == 4 && r == 0 && cmd&ipc64 != 0 && cmd&^ipc64 == ipcStat {
		return id
	}
	return r
}

func sysSemget(t *Thread, a *[6]uint64) int64 {
	return host(syscall.SYS_SEMGET, uintptr(int32(a[0])), uintptr(int32(a[1])), uintptr(int32(a[2])))
}

// semtimedop is semop (ts 0) or semtimedop, with the timeout as a 64-bit
// timespec (t64) or i386's 32-bit one.
func (t *Thread) semtimedop(id int64, sops, nsops, ts uint64, t64 bool) int64 {
	if nsops < 1 || id < 0 {
		return -abi.EINVAL
	}
	if nsops > semoptMax {
		return -abi.E2BIG
	}
	g, e := t.readMem(sops, int(nsops)*sembufSize)
	if e != 0 {
		return e
	}
	ops := hbuf(len(g))
	copy(ops, g)
	var hts []byte
	if ts != 0 {
		if hts, e = t.timespecs(ts, 1, t64); e != 0 {
			return e
		}
	}
	left := timespecLeft(hts)
	resumed := false
	return t.resumeWait(func() int64 {
		if resumed {
			left()
		}
		resumed = true
		return host(hostSemtimed, uintptr(id), uintptr(ptr(ops)), uintptr(nsops), uintptr(ptr(hts)))
	})
}

// hostSemStat returns the host's struct semid64_ds of set id (IPC_STAT,
// or SEM_STAT/SEM_STAT_ANY with an index) and the call's result.
func hostSemStat(id, cmd int64) ([]byte, int64) {
	b := hbuf(hostSemidDS)
	r := host(syscall.SYS_SEMCTL, uintptr(id), 0, uintptr(cmd), uintptr(ptr(b)))
	return b, r
}

// semctl is semctl(id, num, cmd, arg) with cmd stripped of IPC_64; ipc64
// says which of i386's layouts arg points at (x86-64 has one).
func (t *Thread) semctl(id, num, cmd int64, arg uint64, ipc64 bool) int64 {
	if id < 0 {
		return -abi.EINVAL
	}
	switch cmd {
	case ipcRmid, semGetval, semGetpid, semGetncnt, semGetzcnt:
		return host(syscall.SYS_SEMCTL, uintptr(id), uintptr(num), uintptr(cmd), 0)
	case semSetval:
		return host(syscall.SYS_SEMCTL, uintptr(id), uintptr(num), uintptr(cmd), uintptr(uint32(arg)))
	case ipcInfo, semInfo:
		b := hbuf(seminfoSize)
		r := host(syscall.SYS_SEMCTL, uintptr(id), uintptr(num), uintptr(cmd), uintptr(ptr(b)))
		if r < 0 {
			return r
		}
		if e := t.writeMem(arg, b); e != 0 {
			return e
		}
		return r
	case ipcStat, semStat, semStatAny:
		st, r := hostSemStat(id, cmd)
		if r < 0 {
			return r
		}
		if e := t.writeMem(arg, t.guestSemidDS(st, ipc64)); e != 0 {
			return e
		}
		return r
	case ipcSet:
		hb, e := t.hostIpcSet(arg, ipc64, hostSemidDS, -1)
		if e != 0 {
			return e
		}
		return host(syscall.SYS_SEMCTL, uintptr(id), 0, ipcSet, uintptr(ptr(hb)))
	case semGetall, semSetall:
		st, r := hostSemStat(id, ipcStat)
		if r < 0 {
			return r
		}
		n := int(min(le64(st[80:]), semMaxNsems))
		b := hbuf(2 * n)
		if cmd == semSetall {
			g, e := t.readMem(arg, len(b))
			if e != 0 {
				return e
			}
			copy(b, g)
		}
		r = host(syscall.SYS_SEMCTL, uintptr(id), 0, uintptr(cmd), uintptr(ptr(b)))
		if r < 0 || cmd == semSetall {
			return r
		}
		if e := t.writeMem(arg, b); e != 0 {
			return e
		}
		return r
	}
	return -abi.EINVAL
}

// ipcPermOld is the old (i386, without IPC_64) struct ipc_perm: a key and
// 16-bit ids, mode and sequence number (16 bytes).
func ipcPermOld(h []byte) []byte {
	id16 := func(v uint32) uint16 {
		if v > 0xffff {
			return 65534 // the kernel's overflow id
		}
		return uint16(v)
	}
	g := make([]byte, 16)
	putLE32(g, le32(h))
	for i := 0; i < 4; i++ {
		putLE16(g[4+2*i:], id16(le32(h[4+4*i:])))
	}
	putLE16(g[12:], uint16(le32(h[20:])))
	putLE16(g[14:], uint16(le32(h[24:])))
	return g
}

// ipcPerm64 is i386's struct ipc64_perm (36 bytes) from the host's (48).
func ipcPerm64(h []byte) []byte {
	g := make([]byte, 36)
	copy(g[:20], h[:20])
	putLE16(g[20:], uint16(le32(h[20:])))
	putLE16(g[24:], uint16(le32(h[24:])))
	return g
}

// guestSemidDS converts the host's struct semid64_ds to the guest's: the
// same on x86-64; i386's ipc64 one (64 bytes: times split in halves) or
// the old one (44 bytes: 32-bit times, kernel pointers as zeros, a 16-bit
// count).
func (t *Thread) guestSemidDS(h []byte, ipc64 bool) []byte {
	if t.w == 8 {
		return h
	}
	otime, ctime, nsems := le64(h[48:]), le64(h[64:]), le64(h[80:])
	if ipc64 {
		g := make([]byte, 64)
		copy(g, ipcPerm64(h))
		putLE32(g[36:], uint32(otime))
		putLE32(g[40:], uint32(otime>>32))
		putLE32(g[44:], uint32(ctime))
		putLE32(g[48:], uint32(ctime>>32))
		putLE32(g[52:], uint32(nsems))
		return g
	}
	g := make([]byte, 44)
	copy(g, ipcPermOld(h))
	putLE32(g[16:], uint32(otime))
	putLE32(g[20:], uint32(ctime))
	putLE16(g[40:], uint16(nsems))
	return g
}

// hostIpcSet reads the guest's structure for an IPC_SET (semctl,
// msgctl), of which the kernel takes the owner's uid and gid and the
// mode, and for msgctl the queue's size (qbytes: the offsets of the
// field in the host's, i386's ipc64 and old layouts, or -1), into a host
// structure of hostSize bytes.
func (t *Thread) hostIpcSet(buf uint64, ipc64 bool, hostSize int, qbytes ...int) ([]byte, int64) {
	hb := hbuf(hostSize)
	var n int
	switch {
	case t.w == 8:
		n = hostSize
	case ipc64:
		n = 36
	default:
		n = 16
	}
	if len(qbytes) == 3 && qbytes[0] >= 0 {
		switch {
		case t.w == 8:
		case ipc64:
			n = qbytes[1] + 4
		default:
			n = qbytes[2] + 2
		}
	}
	g, e := t.readMem(buf, n)
	if e != 0 {
		return nil, e
	}
	switch {
	case t.w == 8:
		copy(hb, g)
		return hb, 0
	case ipc64:
		putLE32(hb[4:], le32(g[4:]))
		putLE32(hb[8:], le32(g[8:]))
		putLE32(hb[20:], uint32(le16(g[20:])))
		if len(qbytes) == 3 && qbytes[0] >= 0 {
			putLE64(hb[qbytes[0]:], uint64(le32(g[qbytes[1]:])))
		}
	default:
		putLE32(hb[4:], uint32(le16(g[4:])))
		putLE32(hb[8:], uint32(le16(g[6:])))
		putLE32(hb[20:], uint32(le16(g[12:])))
		if len(qbytes) == 3 && qbytes[0] >= 0 {
			putLE64(hb[qbytes[0]:], uint64(le16(g[qbytes[2]:])))
		}
	}
	return hb, 0
}

// sysIpcSemMsg serves the ipc multiplexer's (i386) semaphore and message
// queue calls; ok is false for other calls.
func (t *Thread) sysIpcSemMsg(call, version uint64, first, second, third, p, fifth uint64) (int64, bool) {
	switch call {
	case ipcSemop:
		return t.semtimedop(sint(first), p, second&0xffffffff, 0, false), true
	case ipcSemtimedop:
		return t.semtimedop(sint(first), p, second&0xffffffff, fifth, false), true
	case ipcSemget:
		return sysSemget(t, &[6]uint64{first, second, third}), true
	case ipcSemctl:
		// The union semun argument is read through ptr.
		if p == 0 {
			return -abi.EINVAL, true
		}
		arg, e := t.readMem(p, 4)
		if e != 0 {
			return e, true
		}
		cmd := sint(third)
		return t.semctl(sint(first), sint(second), cmd&^ipc64, uint64(le32(arg)), cmd&ipc64 != 0), true
	case ipcMsgsnd:
		return t.msgsnd(sint(first), p, uint64(sint(second)), sint(third)), true
	case ipcMsgrcv:
		if version == 0 {
			// struct ipc_kludge {msgp, msgtyp} at ptr.
			if p == 0 {
				return -abi.EINVAL, true
			}
			k, e := t.readMem(p, 8)
			if e != 0 {
				return e, true
			}
			return t.msgrcv(sint(first), uint64(le32(k)), uint64(sint(second)), int64(int32(le32(k[4:]))), sint(third)), true
		}
		return t.msgrcv(sint(first), p, uint64(sint(second)), int64(int32(fifth)), sint(third)), true
	case ipcMsgget:
		return sysMsgget(t, &[6]uint64{first, second}), true
	case ipcMsgctl:
		cmd := sint(second)
		return t.msgctl(sint(first), cmd&^ipc64, p, cmd&ipc64 != 0), true
	}
	return 0, false
}
