package linux

import (
	"strings"

	"gemu/internal/linux/abi"
)

// Calls qemu-user 7.2 answers with ENOSYS although the host has them
// (issue 15 item 5): preadv2, pwritev2, openat2, mlock2 and the pkey
// calls are served; rseq, io_uring, userfaultfd, seccomp, bpf,
// perf_event_open and ptrace are refused with ENOSYS, as a kernel built
// without them does, each with a -d unimp line giving the reason
// (refusedCalls; docs/syscalls.md lists them).

func init() {
	reg(func(t *Thread, a *[6]uint64) int64 { return t.rwv2(a, false) }, "preadv2")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.rwv2(a, true) }, "pwritev2")
	reg(sysOpenat2Guest, "openat2")
	reg(sysMlock2, "mlock2")
	reg(sysPkeyAlloc, "pkey_alloc")
	reg(sysPkeyFree, "pkey_free")
	reg(sysPkeyMprotect, "pkey_mprotect")
	for name, reason := range refusedCalls {
		reg(func(t *Thread, a *[6]uint64) int64 {
			t.unimpf("gemu: %s refused (ENOSYS): %s\n", name, reason)
			return -abi.ENOSYS
		}, name)
	}
	for name, spec := range map[string]string{
		"preadv2": "d,p,d,x,x,x", "pwritev2": "d,p,d,x,x,x", "openat2": "F,s,p,u", "mlock2": "p,u,x",
		"pkey_alloc": "x,x", "pkey_free": "d", "pkey_mprotect": "p,u,P,d",
	} {
		straceSpec[name] = spec
	}
}

// refusedCalls are the calls gemu deliberately answers with ENOSYS, and
// why (the reason is the -d unimp line's and docs/syscalls.md's).
var refusedCalls = map[string]string{
	"rseq": "restartable sequences need the critical section aborted whenever the thread is " +
		"preempted, migrated or signalled, and cpu_id kept current in guest memory; gemu cannot see " +
		"its host thread's preemption, so it refuses registration as a kernel without CONFIG_RSEQ " +
		"does (glibc then runs without it, sched_getcpu uses getcpu)",
	"io_uring_setup": "the rings are memory the kernel reads asynchronously, with guest pointers, " +
		"guest descriptor numbers and guest structure layouts in every entry; callers fall back " +
		"to epoll and threads on ENOSYS",
	"io_uring_enter":    "see io_uring_setup",
	"io_uring_register": "see io_uring_setup",
	"userfaultfd": "the guest's page faults are gemu's own (its software TLB), never the host " +
		"kernel's, so a host userfaultfd would see none of them",
	"seccomp": "a filter installed in the host would filter gemu's own host calls, not the " +
		"guest's (other numbers, other arguments) and could kill gemu; gemu has no filter " +
		"interpreter of its own",
	"bpf": "programs and maps live in the host kernel and attach to host events; the attribute " +
		"unions carry guest pointers and descriptors per command",
	"perf_event_open": "counters would count gemu's host instructions and events, not the " +
		"guest's; use gemu's plugins to count guest instructions",
	"ptrace": "a tracer would need another gemu's emulated CPU state and guest memory through the " +
		"ptrace requests; the host's ptrace shows gemu itself. gemu's -strace and plugins " +
		"observe a guest instead",
}

const (
	hostPreadv2  = 327
	hostPwritev2 = 328
	hostMlock2   = 325
	mlockOnfault = 1
	// openHowSize is struct open_how's first size (flags, mode,
	// resolve: three u64s, the same on both ABIs).
	openHowSize = 24
	// openat2's resolve flags (validOpenFlags: fdtable_sys.go).
	validResolveFlags = 0x3f
	resolveBeneath    = 0x08
	resolveInRoot     = 0x10
	resolveNoSymlinks = 0x04
)

// rwv2 is preadv2 (write false) or pwritev2: an offset of -1 means the
// current file position; flags are RWF_*. Without flags it is preadv or
// readv (and pwritev, writev), which also serve gemu's emulated files;
// with flags the host's call does the transfer on the host descriptor.
func (t *Thread) rwv2(a *[6]uint64, write bool) int64 {
	off, flags := t.vecOffset(a), uint32(a[5])
	if flags == 0 {
		name := map[[2]bool]string{{false, false}: "preadv", {false, true}: "readv",
			{true, false}: "pwritev", {true, true}: "writev"}[[2]bool{write, off == -1}]
		return handlers[name](t, a)
	}
	fd, e := t.fget(a[0])
	if e != 0 {
		return e
	}
	defer t.fput(fd)
	iov, e := t.iovecs(a[1], sint(a[2]))
	if e != 0 {
		return e
	}
	one := func(nr uintptr, b []byte) int64 {
		hiov := hbuf(16)
		putLE64(hiov, uint64(uintptr(ptr(b))))
		putLE64(hiov[8:], uint64(len(b)))
		r := host(nr, fd, uintptr(ptr(hiov)), 1, uintptr(off), 0, uintptr(flags))
		keep(hiov, b)
		return r
	}
	if write {
		return t.writeVec(iov, func(b []byte) int64 { return one(hostPwritev2, b) })
	}
	return t.readVec(iov, func(b []byte) int64 { return one(hostPreadv2, b) })
}

// sysOpenat2Guest is openat2(dirfd, path, how, size). The structure is checked
// as the kernel checks it (size, unknown flags, a mode without O_CREAT or
// O_TMPFILE); without resolve flags the open is openat's (gemu's path
// resolution and emulated /proc files); with them the host resolves the
// path under its rules, and never through a magic link (RESOLVE_NO_MAGICLINKS
// added, as hostOpen does, so /proc/self/fd/N cannot reach gemu's own
// descriptors): such a path is ELOOP here even without that flag.
func sysOpenat2Guest(t *Thread, a *[6]uint64) int64 {
	size := t.ulong(a[3])
	if size < openHowSize {
		return -abi.EINVAL
	}
	if size > pageSize {
		return -abi.E2BIG
	}
	g, e := t.readMem(a[2], int(size))
	if e != 0 {
		return e
	}
	for _, c := range g[openHowSize:] {
		if c != 0 {
			return -abi.E2BIG
		}
	}
	flags, mode, resolve := le64(g), le64(g[8:]), le64(g[16:])
	switch {
	case flags&^validOpenFlags != 0, resolve&^validResolveFlags != 0,
		flags&(abi.O_CREAT|abi.O_TMPFILE) == 0 && mode != 0, mode&^0o7777 != 0,
		resolve&resolveBeneath != 0 && resolve&resolveInRoot != 0:
		return -abi.EINVAL
	}
	if resolve == 0 {
		return t.openat(a[0], a[1], flags, mode)
	}
	dirfd, path, e := t.atPath(a[0], a[1])
	if e != 0 {
		return e
	}
	defer t.fput(dirfd)
	if resolve&(resolveNoMagiclinks|resolveNoSymlinks) != 0 {
		// gemu's translation of its guest's /proc links (the program's
		// exe, its descriptors) must not turn a magic link the guest
		// refuses into a plain path: the host sees the guest's path.
		if s, _ := t.readPath(a[1]); strings.HasPrefix(s, "/proc/") {
			path = cstr(s)
		}
	}
	fd, e := t.reserveFD()
	if e != 0 {
		return e
	}
	how := hbuf(openHowSize)
	putLE64(how, flags|abi.O_CLOEXEC)
	putLE64(how[8:], mode)
	putLE64(how[16:], resolve|resolveNoMagiclinks)
	r := host(sysOpenat2, dirfd, uintptr(ptr(path)), uintptr(ptr(how)), openHowSize)
	return t.fillFD(fd, r, flags&abi.O_CLOEXEC != 0, nil)
}

// sysMlock2 is mlock2(addr, len, flags): nothing is paged out of gemu's
// guest memory, so only the flags are checked (MLOCK_ONFAULT).
func sysMlock2(t *Thread, a *[6]uint64) int64 {
	if uint32(a[2])&^mlockOnfault != 0 {
		return -abi.EINVAL
	}
	return 0
}

// The pkey calls are served as by a kernel on a CPU without protection
// keys (gemu's CPUID has no PKU/OSPKE): pkey_alloc finds no key
// (ENOSPC after checking its arguments), pkey_free has none to free, and
// pkey_mprotect with key -1 is mprotect.
func sysPkeyAlloc(t *Thread, a *[6]uint64) int64 {
	if a[0] != 0 || uint32(a[1])&^3 != 0 { // flags must be 0; PKEY_DISABLE_ACCESS|WRITE
		return -abi.EINVAL
	}
	return -enospc
}

func sysPkeyFree(t *Thread, a *[6]uint64) int64 { return -abi.EINVAL }

func sysPkeyMprotect(t *Thread, a *[6]uint64) int64 {
	if sint(a[3]) != -1 {
		return -abi.EINVAL
	}
	return sysMprotect(t, a)
}

const enospc = 28
