package linux

import (
	"syscall"

	"gemu/internal/linux/abi"
)

// Credentials: the set*id family. The guest's ids are gemu's own (the
// get*id calls in sys_proc.go read them from the host), so changing them
// changes gemu's.
//
// Linux keeps credentials per thread and glibc's setuid and friends make
// them the process's by repeating the call on every thread (the SIGSETXID
// broadcast). gemu's guest threads are host threads, but so are the Go
// runtime's, and a host file operation of the guest's may run on any of
// them: a raw host system call would leave them with the old ids. So the
// calls that glibc broadcasts go through Go's syscall.Setresuid etc., which
// apply the change to every host thread of gemu (through the C library's
// own broadcast in a cgo binary, AllThreadsSyscall otherwise). setfsuid and
// setfsgid, which glibc makes on the calling thread only, stay per thread:
// a raw call on the guest thread's host thread (every guest thread is
// locked to its own). A guest whose own glibc broadcasts with SIGSETXID
// makes each of its threads repeat the call: idempotent.
//
// i386 has two generations of these calls: the original ones (setuid,
// setgroups...) take 16-bit ids, where 0xffff stands for -1 ("unchanged"),
// and the ones suffixed 32 (setuid32...) take 32-bit ids as x86-64's do.

func init() {
	regID(sysSetuid, "setuid", "setgid")
	regID(sysSetreuid, "setreuid", "setregid")
	regID(sysSetresuid, "setresuid", "setresgid")
	regID(sysSetgroups, "setgroups", "")
	regID(sysSetfsuid, "setfsuid", "setfsgid")
}

// idCall is the variant of a credentials call being served.
type idCall struct {
	gid  bool // the group-id call (setgid, getresgid...), not the user-id one
	wide bool // i386's "32" call (setuid32...): 32-bit ids
}

// idFn is a credentials call handler, told its variant.
type idFn func(t *Thread, a *[6]uint64, k idCall) int64

// regID registers fn under a credentials family's names: uid and gid
// (gid may be empty for a family without one) and their i386 "32"
// versions, each with its own handler telling fn which variant it is.
func regID(fn idFn, uid, gid string) {
	for _, k := range []idCall{{}, {wide: true}, {gid: true}, {gid: true, wide: true}} {
		name := uid
		if k.gid {
			if gid == "" {
				continue
			}
			name = gid
		}
		if k.wide {
			name += "32"
		}
		reg(func(t *Thread, a *[6]uint64) int64 { return fn(t, a, k) }, name)
	}
}

// ngroupsMax is Linux's NGROUPS_MAX, the most supplementary groups.
const ngroupsMax = 65536

// id16 reports whether a call of variant k takes i386's 16-bit ids: an
// original i386 call (setuid, not setuid32) made through the i386 ABI.
// The x86-64 calls of the same names take 32-bit ids.
func (t *Thread) id16(k idCall) bool {
	return t.sys == &abi32 && !k.wide
}

// idArg converts an id argument to the value the host's 32-bit call
// takes, as the int Go's syscall package wants: 16-bit ids widen with
// 0xffff becoming -1 (the kernel's low2highuid).
func (t *Thread) idArg(k idCall, v uint64) int {
	if t.id16(k) {
		v &= 0xffff
		if v == 0xffff {
			return -1
		}
		return int(v)
	}
	return int(int32(uint32(v)))
}

func sysSetuid(t *Thread, a *[6]uint64, k idCall) int64 {
	if k.gid {
		return errno(syscall.Setgid(t.idArg(k, a[0])))
	}
	return errno(syscall.Setuid(t.idArg(k, a[0])))
}

func sysSetreuid(t *Thread, a *[6]uint64, k idCall) int64 {
	r, e := t.idArg(k, a[0]), t.idArg(k, a[1])
	if k.gid {
		return errno(syscall.Setregid(r, e))
	}
	return errno(syscall.Setreuid(r, e))
}

func sysSetresuid(t *Thread, a *[6]uint64, k idCall) int64 {
	r, e, s := t.idArg(k, a[0]), t.idArg(k, a[1]), t.idArg(k, a[2])
	if k.gid {
		return errno(syscall.Setresgid(r, e, s))
	}
	return errno(syscall.Setresuid(r, e, s))
}

// sysSetgroups checks the size and reads the list as Linux does (EINVAL
// for a size over NGROUPS_MAX, then EFAULT), then sets the groups of every
// host thread.
func sysSetgroups(t *Thread, a *[6]uint64, k idCall) int64 {
	n := uint32(a[0])
	if n > ngroupsMax {
		return -abi.EINVAL
	}
	elem := 4
	if t.id16(k) {
		elem = 2
	}
	b, e := t.readMem(t.ulong(a[1]), int(n)*elem)
	if n > 0 && e != 0 {
		return e
	}
	gids := make([]int, n)
	for i := range gids {
		if elem == 2 {
			gids[i] = t.idArg(k, uint64(b[2*i])|uint64(b[2*i+1])<<8)
		} else {
			gids[i] = t.idArg(k, uint64(le32(b[4*i:])))
		}
	}
	return errno(syscall.Setgroups(gids))
}

// sysSetfsuid is setfsuid and setfsgid: per thread, as in glibc, and never
// an error: the result is the previous id.
func sysSetfsuid(t *Thread, a *[6]uint64, k idCall) int64 {
	nr := uintptr(syscall.SYS_SETFSUID)
	if k.gid {
		nr = syscall.SYS_SETFSGID
	}
	id := t.idArg(k, a[0])
	t.lockGuestThread() // the goroutine keeps the host thread it changes
	r, _, _ := syscall.RawSyscall(nr, uintptr(uint32(int32(id))), 0, 0)
	return int64(uint32(r))
}
