package linux

import (
	"syscall"

	"gemu/internal/linux/abi"
)

// inotify: a guest inotify instance is a host one. Watches name the files
// the guest's paths resolve to (the guest's view of /proc/self and its
// descriptors, as every path call), watch descriptors are the host
// instance's own (numbered from 1 as for the guest), and the events read
// from it have the same layout on both ABIs (struct inotify_event: three
// 32-bit fields and the name), so reads and polls are the host's.

func init() {
	reg(func(t *Thread, a *[6]uint64) int64 { return t.inotifyInit(0) }, "inotify_init")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.inotifyInit(uint32(a[0])) }, "inotify_init1")
	reg(sysInotifyAddWatch, "inotify_add_watch")
	reg(sysInotifyRmWatch, "inotify_rm_watch")
}

const (
	inDontFollow = 0x02000000
	inAllEvents  = 0xfff
)

// inotifyInit makes an inotify descriptor with flags IN_CLOEXEC and
// IN_NONBLOCK (O_CLOEXEC, O_NONBLOCK).
func (p *Process) inotifyInit(flags uint32) int64 {
	if flags&^(abi.O_CLOEXEC|abi.O_NONBLOCK) != 0 {
		return -abi.EINVAL
	}
	fd, e := p.reserveFD()
	if e != 0 {
		return e
	}
	r := host(syscall.SYS_INOTIFY_INIT1, uintptr(flags|abi.O_CLOEXEC))
	return p.fillFD(fd, r, flags&abi.O_CLOEXEC != 0, nil)
}

// sysInotifyAddWatch is inotify_add_watch(fd, path, mask). The kernel
// checks the mask and the descriptor before it looks the path up; the
// host does the same for a null path (EFAULT once the descriptor is
// right), so that probe gives the guest the kernel's order of errors.
// The path is resolved by gemu (IN_DONT_FOLLOW: without following its
// last link) and watched through the resolved file's descriptor link,
// which the host follows to that file.
func sysInotifyAddWatch(t *Thread, a *[6]uint64) int64 {
	mask := uint32(a[2])
	fd, e := t.fget(a[0])
	if mask&inAllEvents == 0 {
		if e == 0 {
			t.fput(fd)
		}
		return -abi.EINVAL
	}
	if e != 0 {
		return e
	}
	defer t.fput(fd)
	if r := host(syscall.SYS_INOTIFY_ADD_WATCH, fd, 0, uintptr(mask)); r != -abi.EFAULT {
		return r
	}
	return t.onPathArg(cwdArg, a[1], mask&inDontFollow != 0, func(_ uintptr, kpath []byte) int64 {
		return host(syscall.SYS_INOTIFY_ADD_WATCH, fd, uintptr(ptr(kpath)), uintptr(mask&^inDontFollow))
	})
}

func sysInotifyRmWatch(t *Thread, a *[6]uint64) int64 {
	fd, e := t.fget(a[0])
	if e != 0 {
		return e
	}
	defer t.fput(fd)
	return host(syscall.SYS_INOTIFY_RM_WATCH, fd, uintptr(int32(a[1])))
}
