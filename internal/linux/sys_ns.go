package linux

import (
	"syscall"

	"gemu/internal/linux/abi"
)

// Capabilities, kcmp and namespaces: capget, capset, kcmp, unshare, setns.
//
// Guest processes and threads are host ones (same ids, same
// credentials), so these go to the host kernel, which applies them to
// the calling host thread, the guest thread's own. What gemu changes:
//
//   - descriptors are translated: kcmp's KCMP_FILE indices (the guest's
//     own, and another gemu's guest's through that gemu, peer.go; a
//     process that does not run gemu has its own numbers), KCMP_EPOLL_TFD's
//     of the guest itself, setns's descriptor.
//   - unshare's CLONE_THREAD, CLONE_SIGHAND and CLONE_VM are the guest's
//     business: a no-op when the guest process has one thread, EINVAL
//     otherwise, as the kernel decides for a native process, whatever
//     threads gemu itself runs. CLONE_FILES and CLONE_FS are a no-op for
//     a guest with one thread (nothing shares them); with more threads
//     gemu's one descriptor table and working directory stay shared
//     (a -d unimp line says so).
//   - the rest (CLONE_NEW*, CLONE_SYSVSEM) is the host's, as qemu-user
//     passes it: CLONE_NEWUSER, and setns into a user or mount
//     namespace, need a single-threaded caller, which gemu's host process
//     never is (Go's runtime threads), so they fail with EINVAL under gemu
//     where a single-threaded native process succeeds (docs/syscalls.md).

func init() {
	reg(sysCapget, "capget")
	reg(sysCapset, "capset")
	reg(sysKcmp, "kcmp")
	reg(sysUnshare, "unshare")
	reg(sysSetns, "setns")

	for name, spec := range map[string]string{
		"capget": "p,p", "capset": "p,p", "kcmp": "d,d,d,u,u", "unshare": "x", "setns": "d,x",
	} {
		straceSpec[name] = spec
	}
}

// Capability header versions and the number of struct
// __user_cap_data_struct (three u32s) each carries.
const (
	capVersion1  = 0x19980330
	capDataSize  = 12
	capHeaderLen = 8
)

// capDataCount is the number of data structures the header's version
// says the guest passes (1 for the first version, 2 for the others; an
// unknown version is refused by the host before data is used).
func capDataCount(hdr []byte) int {
	if le32(hdr) == capVersion1 {
		return 1
	}
	return 2
}

// sysCapget is capget(hdr, data): the host reads and may rewrite the
// header (its preferred version, with EINVAL, for one it does not know),
// which is copied back; the data is stored only on success.
func sysCapget(t *Thread, a *[6]uint64) int64 {
	hdr, bad := t.guestIn(a[0], capHeaderLen)
	if bad || hdr == nil {
		return -abi.EFAULT // the kernel's first read
	}
	var data []byte
	if a[1] != 0 {
		data = hbuf(2 * capDataSize)
	}
	old := le32(hdr)
	r := host(syscall.SYS_CAPGET, uintptr(ptr(hdr)), uintptr(ptr(data)))
	if le32(hdr) != old {
		if e := t.writeMem(a[0], hdr[:4]); e != 0 {
			return e
		}
	}
	if r < 0 || a[1] == 0 {
		return r
	}
	if e := t.writeMem(a[1], data[:capDataCount(hdr)*capDataSize]); e != 0 {
		return e
	}
	return r
}

// sysCapset is capset(hdr, data).
func sysCapset(t *Thread, a *[6]uint64) int64 {
	hdr, bad := t.guestIn(a[0], capHeaderLen)
	if bad || hdr == nil {
		return -abi.EFAULT // the kernel's first read
	}
	data, dbad := t.guestIn(a[1], capDataCount(hdr)*capDataSize)
	old := le32(hdr)
	var r int64
	if dbad {
		r = host(syscall.SYS_CAPSET, uintptr(ptr(hdr)), hostBadAddr)
	} else {
		r = host(syscall.SYS_CAPSET, uintptr(ptr(hdr)), uintptr(ptr(data)))
	}
	if le32(hdr) != old {
		if e := t.writeMem(a[0], hdr[:4]); e != 0 {
			return e
		}
	}
	return r
}

// kcmp types whose indices are descriptors.
const (
	kcmpFile     = 0
	kcmpEpollTFD = 7
	sysKcmpNr    = 312 // the host's (x86-64) kcmp
)

// sysKcmp is kcmp(pid1, pid2, type, idx1, idx2).
func sysKcmp(t *Thread, a *[6]uint64) int64 {
	pid1, pid2, typ := sint(a[0]), sint(a[1]), sint(a[2])
	idx1, idx2 := uintptr(t.ulong(a[3])), uintptr(t.ulong(a[4]))
	own := func(pid int64) bool { return pid == int64(t.pid) || t.isThread(pid) }
	// hostFD is the host descriptor standing for the guest's fd, or one
	// that is never open.
	hostFD := func(fd uint64) uintptr {
		if e, ok := t.fds.lookup(int64(fd)); ok && fd <= 0x7fffffff {
			return uintptr(e.host)
		}
		return badHostFD
	}
	// fdOf is the host descriptor of process pid's descriptor idx: the
	// guest's own translated, another gemu's guest's asked of that gemu
	// (peer.go), another process's as it is.
	fdOf := func(pid int64, idx uintptr) uintptr {
		if own(pid) {
			return hostFD(uint64(idx))
		}
		m, e := t.peerTarget(int(pid))
		if c, ok := m.(*peerConn); ok && e == 0 {
			if h := c.hostFD(int64(idx)); h >= 0 && uint64(idx) <= 0x7fffffff {
				return uintptr(h)
			}
			return badHostFD
		}
		return idx
	}
	switch typ {
	case kcmpFile:
		idx1, idx2 = fdOf(pid1, idx1), fdOf(pid2, idx2)
	case kcmpEpollTFD:
		// idx2 points at struct kcmp_epoll_slot {u32 efd, tfd, toff}:
		// the epoll descriptor of pid2 and the target descriptor as it
		// was registered there (a host one under gemu).
		if own(pid1) {
			idx1 = hostFD(uint64(idx1))
		}
		slot, bad := t.guestIn(a[4], 12)
		if !bad && slot != nil && own(pid2) {
			putLE32(slot, uint32(hostFD(uint64(le32(slot)))))
			putLE32(slot[4:], uint32(hostFD(uint64(le32(slot[4:])))))
		}
		if bad {
			return host(sysKcmpNr, uintptr(pid1), uintptr(pid2), uintptr(typ), idx1, hostBadAddr)
		}
		return host(sysKcmpNr, uintptr(pid1), uintptr(pid2), uintptr(typ), idx1, uintptr(ptr(slot)))
	}
	return host(sysKcmpNr, uintptr(pid1), uintptr(pid2), uintptr(typ), idx1, idx2)
}

// unshare flags (besides sys_fork.go's clone flags).
const (
	// unshareValid is every flag unshare knows (check_unshare_flags).
	unshareValid = cloneThread | cloneFS | cloneNewns | cloneSighand | cloneVM | cloneFiles |
		cloneSysvsem | 0x4000000 /* NEWUTS */ | 0x8000000 /* NEWIPC */ |
		0x40000000 /* NEWNET */ | cloneNewuser | 0x20000000 /* NEWPID */ |
		0x2000000 /* NEWCGROUP */ | 0x80 /* NEWTIME */
)

// sysUnshare is unshare(flags); see the file comment.
func sysUnshare(t *Thread, a *[6]uint64) int64 {
	flags := uint32(a[0])
	if flags&^unshareValid != 0 {
		return -abi.EINVAL
	}
	// The implications the kernel adds first.
	if flags&cloneNewuser != 0 {
		flags |= cloneThread | cloneFS
	}
	if flags&cloneVM != 0 {
		flags |= cloneSighand
	}
	if flags&cloneSighand != 0 {
		flags |= cloneThread
	}
	if flags&cloneNewns != 0 {
		flags |= cloneFS
	}
	threads := t.mt != nil && t.mt.n.Load() > 1
	if flags&(cloneThread|cloneSighand|cloneVM) != 0 && threads {
		return -abi.EINVAL
	}
	hflags := flags &^ (cloneThread | cloneSighand | cloneVM | cloneFiles | cloneFS)
	if flags&(cloneFiles|cloneFS) != 0 && threads {
		t.unimpf("gemu: unshare(%#x): the guest's threads keep sharing their descriptors and directories\n", flags)
	}
	if flags&cloneNewns != 0 || flags&cloneNewuser != 0 {
		hflags |= cloneFS // the host needs it with these
	}
	if hflags == 0 {
		return 0
	}
	return host(syscall.SYS_UNSHARE, uintptr(hflags))
}

// sysSetns is setns(fd, nstype) with the guest's descriptor.
func sysSetns(t *Thread, a *[6]uint64) int64 {
	fd, e := t.fget(a[0])
	if e != 0 {
		return e
	}
	defer t.fput(fd)
	return host(sysSetnsNr, fd, uintptr(sint(a[1])))
}

const sysSetnsNr = 308 // the host's (x86-64) setns
