package linux

import (
	"syscall"

	"gemu/internal/linux/abi"
)

// Extended attributes: passed through to the host. Names and values are
// byte strings with no layout differences between the ABIs. Paths are
// the guest's, resolved once (onPath); descriptors are translated (fget).

func init() {
	reg(func(t *Thread, a *[6]uint64) int64 { return t.getxattr(a, false) }, "getxattr")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.getxattr(a, true) }, "lgetxattr")
	reg(sysFgetxattr, "fgetxattr")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.listxattr(a, false) }, "listxattr")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.listxattr(a, true) }, "llistxattr")
	reg(sysFlistxattr, "flistxattr")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.setxattr(a, false) }, "setxattr")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.setxattr(a, true) }, "lsetxattr")
	reg(sysFsetxattr, "fsetxattr")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.removexattr(a, false) }, "removexattr")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.removexattr(a, true) }, "lremovexattr")
	reg(sysFremovexattr, "fremovexattr")
}

// xattrMax bounds a value or name list, as the kernel does (XATTR_SIZE_MAX).
const xattrMax = 65536

// The path calls resolve the path once (onPath) and name the file through
// /proc/self/fd/K, which the following call turns into exactly that file,
// a link itself for the l-variants (nofollow: lgetxattr, lsetxattr,
// llistxattr, lremovexattr), which do not follow a final symbolic link.

// xattrOut runs a host call that fills a buffer of the guest's size and
// copies the result back; size 0 asks for the needed size.
func (p *Process) xattrOut(dst, size uint64, call func(buf []byte) int64) int64 {
	n := min(sint(size), xattrMax)
	if n < 0 {
		return -abi.E2BIG
	}
	var buf []byte
	if n > 0 {
		buf = hbuf(int(n))
	}
	r := call(buf)
	if r > 0 && n > 0 {
		if e := p.writeMem(dst, buf[:r]); e != 0 {
			return e
		}
	}
	return r
}

// getxattr is getxattr or, with nofollow, lgetxattr.
func (t *Thread) getxattr(a *[6]uint64, nofollow bool) int64 {
	path, e := t.readPath(a[0])
	if e != 0 {
		return e
	}
	name, e := t.readPath(a[1])
	if e != 0 {
		return e
	}
	cn := cstr(name)
	return t.onPath(cwdArg, path, nofollow, func(_ uintptr, kp []byte) int64 {
		return t.xattrOut(a[2], a[3], func(buf []byte) int64 {
			return host(syscall.SYS_GETXATTR, uintptr(ptr(kp)), uintptr(ptr(cn)), uintptr(ptr(buf)), uintptr(len(buf)))
		})
	})
}

func sysFgetxattr(t *Thread, a *[6]uint64) int64 {
	name, e := t.readPath(a[1])
	if e != 0 {
		return e
	}
	fd, e := t.fget(a[0])
	if e != 0 {
		return e
	}
	defer t.fput(fd)
	cn := cstr(name)
	return t.xattrOut(a[2], a[3], func(buf []byte) int64 {
		return host(syscall.SYS_FGETXATTR, fd, uintptr(ptr(cn)), uintptr(ptr(buf)), uintptr(len(buf)))
	})
}

// listxattr is listxattr or, with nofollow, llistxattr.
func (t *Thread) listxattr(a *[6]uint64, nofollow bool) int64 {
	path, e := t.readPath(a[0])
	if e != 0 {
		return e
	}
	return t.onPath(cwdArg, path, nofollow, func(_ uintptr, kp []byte) int64 {
		return t.xattrOut(a[1], a[2], func(buf []byte) int64 {
			return host(syscall.SYS_LISTXATTR, uintptr(ptr(kp)), uintptr(ptr(buf)), uintptr(len(buf)))
		})
	})
}

func sysFlistxattr(t *Thread, a *[6]uint64) int64 {
	fd, e := t.fget(a[0])
	if e != 0 {
		return e
	}
	defer t.fput(fd)
	return t.xattrOut(a[1], a[2], func(buf []byte) int64 {
		return host(syscall.SYS_FLISTXATTR, fd, uintptr(ptr(buf)), uintptr(len(buf)))
	})
}

func (p *Process) xattrValue(addr, size uint64) ([]byte, int64) {
	n := sint(size)
	if n < 0 || n > xattrMax {
		return nil, -abi.E2BIG
	}
	return p.readMem(addr, int(n))
}

// setxattr is setxattr or, with nofollow, lsetxattr.
func (t *Thread) setxattr(a *[6]uint64, nofollow bool) int64 {
	path, e := t.readPath(a[0])
	if e != 0 {
		return e
	}
	name, e := t.readPath(a[1])
	if e != 0 {
		return e
	}
	val, e := t.xattrValue(a[2], a[3])
	if e != 0 {
		return e
	}
	cn := cstr(name)
	return t.onPath(cwdArg, path, nofollow, func(_ uintptr, kp []byte) int64 {
		return host(syscall.SYS_SETXATTR, uintptr(ptr(kp)), uintptr(ptr(cn)), uintptr(ptr(val)), uintptr(len(val)), uintptr(sint(a[4])))
	})
}

func sysFsetxattr(t *Thread, a *[6]uint64) int64 {
	name, e := t.readPath(a[1])
	if e != 0 {
		return e
	}
	val, e := t.xattrValue(a[2], a[3])
	if e != 0 {
		return e
	}
	fd, e := t.fget(a[0])
	if e != 0 {
		return e
	}
	defer t.fput(fd)
	return host(syscall.SYS_FSETXATTR, fd, uintptr(ptr(cstr(name))), uintptr(ptr(val)), uintptr(len(val)), uintptr(sint(a[4])))
}

// removexattr is removexattr or, with nofollow, lremovexattr.
func (t *Thread) removexattr(a *[6]uint64, nofollow bool) int64 {
	path, e := t.readPath(a[0])
	if e != 0 {
		return e
	}
	name, e := t.readPath(a[1])
	if e != 0 {
		return e
	}
	cn := cstr(name)
	return t.onPath(cwdArg, path, nofollow, func(_ uintptr, kp []byte) int64 {
		return host(syscall.SYS_REMOVEXATTR, uintptr(ptr(kp)), uintptr(ptr(cn)))
	})
}

func sysFremovexattr(t *Thread, a *[6]uint64) int64 {
	name, e := t.readPath(a[1])
	if e != 0 {
		return e
	}
	fd, e := t.fget(a[0])
	if e != 0 {
		return e
	}
	defer t.fput(fd)
	return host(syscall.SYS_FREMOVEXATTR, fd, uintptr(ptr(cstr(name))))
}
