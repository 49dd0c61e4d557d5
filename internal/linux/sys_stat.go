package linux

import (
	"syscall"

	"gemu/internal/linux/abi"
)

// File status: the stat family, statx and statfs. The host fills its own
// (x86-64) structures, which an x86-64 guest receives as they are and an
// i386 guest converted to its struct stat, stat64 or statfs(64).

func init() {
	// old: i386's original struct stat, not stat64 (x86-64's stat,
	// lstat and fstat fill the host's own struct either way).
	reg(func(t *Thread, a *[6]uint64) int64 { return t.statPath(a, 0, true) }, "stat")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.statPath(a, atSymlinkNoFollow, true) }, "lstat")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.fstat(a, true) }, "fstat")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.statPath(a, 0, false) }, "stat64")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.statPath(a, atSymlinkNoFollow, false) }, "lstat64")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.fstat(a, false) }, "fstat64")
	reg(sysFstatat, "newfstatat") // x86-64's name
	reg(sysFstatat, "fstatat64")  // i386's name of the same call
	reg(sysStatx, "statx")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.statfs(a, false, false) }, "statfs")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.statfs(a, true, false) }, "fstatfs")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.statfs(a, false, true) }, "statfs64")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.statfs(a, true, true) }, "fstatfs64")
}

const (
	atEmptyPath = 0x1000
	sysStatxNr  = 332
)

// fstat is fstat(fd, buf) or i386's fstat64 (old false).
func (t *Thread) fstat(a *[6]uint64, old bool) int64 {
	fd, e := t.fget(a[0])
	if e != 0 {
		return e
	}
	defer t.fput(fd)
	hb := hbuf(abi.HostStatSize)
	return t.statOut(a[1], hb, host(syscall.SYS_FSTAT, fd, uintptr(ptr(hb))), old)
}

// statPath is stat or lstat (flags AT_SYMLINK_NOFOLLOW) of a path, or
// i386's stat64 and lstat64 (old false).
func (t *Thread) statPath(a *[6]uint64, flags uint32, old bool) int64 {
	hb := hbuf(abi.HostStatSize)
	r := t.statAt(cwdArg, a[0], flags, false, func(d uintptr, path []byte, flags uintptr) int64 {
		return host(syscall.SYS_NEWFSTATAT, d, uintptr(ptr(path)), uintptr(ptr(hb)), flags)
	})
	return t.statOut(a[1], hb, r, old)
}

// sysFstatat is newfstatat (x86-64) and fstatat64 (i386).
func sysFstatat(t *Thread, a *[6]uint64) int64 {
	hb := hbuf(abi.HostStatSize)
	r := t.statAt(a[0], a[1], uint32(a[3]), false, func(d uintptr, path []byte, flags uintptr) int64 {
		return host(syscall.SYS_NEWFSTATAT, d, uintptr(ptr(path)), uintptr(ptr(hb)), flags)
	})
	return t.statOut(a[2], hb, r, false)
}

// statOut stores the host's struct stat hb, filled by a call that
// returned r, at out as the guest's struct: the host's own on x86-64,
// i386's struct stat (old) or stat64.
func (t *Thread) statOut(out uint64, hb []byte, r int64, old bool) int64 {
	if r < 0 {
		return r
	}
	if t.w == 8 {
		return t.writeMem(out, hb)
	}
	st := abi.DecodeHostStat(hb)
	if old {
		b, ok := abi.EncodeStat386(&st)
		if !ok {
			return -abi.EOVERFLOW
		}
		return t.writeMem(out, b)
	}
	return t.writeMem(out, abi.EncodeStat64386(&st))
}

// statxSize is the size of struct statx, the same on every ABI.
const statxSize = 256

// atNoAutomount and atStatxSync are the other flags of the stat calls
// (AT_NO_AUTOMOUNT, AT_STATX_SYNC_TYPE).
const (
	atNoAutomount = 0x800
	atStatxSync   = 0x6000
)

// statAt runs a stat call (call, given a host directory descriptor, a
// NUL-terminated name and flags) for the guest path at addr relative to
// guest directory dirArg with the guest's flags: the path resolved once
// (pathFD) and the call made on that descriptor with AT_EMPTY_PATH; an
// empty path with AT_EMPTY_PATH (or none, for statx) is the guest's
// descriptor dirArg itself. nullPath (statx) allows a NULL path.
func (t *Thread) statAt(dirArg, addr uint64, flags uint32, nullPath bool, call func(d uintptr, path []byte, flags uintptr) int64) int64 {
	if flags&^(atSymlinkNoFollow|atNoAutomount|atEmptyPath|atStatxSync) != 0 {
		return -abi.EINVAL
	}
	var s string
	if addr != 0 || !nullPath {
		var e int64
		if s, e = t.readPath(addr); e != 0 {
			return e
		}
	}
	if addr == 0 || s == "" && flags&atEmptyPath != 0 {
		var path []byte
		if addr != 0 {
			path = emptyPath
		}
		d := t.dirget(dirArg)
		defer t.fput(d)
		return call(d, path, uintptr(flags))
	}
	return t.onPath(dirArg, s, flags&atSymlinkNoFollow != 0, func(k uintptr, _ []byte) int64 {
		return call(k, emptyPath, uintptr(flags&^atSymlinkNoFollow|atEmptyPath))
	})
}

func sysStatx(t *Thread, a *[6]uint64) int64 {
	flags := uint32(a[2])
	if flags&atStatxSync == atStatxSync {
		return -abi.EINVAL
	}
	if !t.writable(a[4], statxSize) {
		return -abi.EFAULT
	}
	b := hbuf(statxSize)
	r := t.statAt(a[0], a[1], flags, true, func(d uintptr, path []byte, flags uintptr) int64 {
		return host(sysStatxNr, d, uintptr(ptr(path)), flags, uintptr(uint32(a[3])), uintptr(ptr(b)))
	})
	if r < 0 {
		return r
	}
	return t.writeMem(a[4], b)
}

// statfs is statfs (or of a descriptor: fstatfs) and i386's statfs64 and
// fstatfs64 (is64).
func (t *Thread) statfs(a *[6]uint64, fd, is64 bool) int64 {
	hb := hbuf(abi.HostStatfsSize)
	out := a[1]
	if is64 {
		// statfs64(path, size, buf): i386 passes the struct's size.
		if uint32(a[1]) != abi.Statfs64386Size && uint32(a[1]) != 88 {
			return -abi.EINVAL
		}
		out = a[2]
	}
	var r int64
	if fd {
		k, e := t.fget(a[0])
		if e != 0 {
			return e
		}
		defer t.fput(k)
		r = host(syscall.SYS_FSTATFS, k, uintptr(ptr(hb)))
	} else {
		r = t.onPathArg(cwdArg, a[0], false, func(k uintptr, _ []byte) int64 {
			return host(syscall.SYS_FSTATFS, k, uintptr(ptr(hb)))
		})
	}
	if r < 0 {
		return r
	}
	if t.w == 8 {
		return t.writeMem(out, hb)
	}
	b, ok := abi.ConvertStatfs386(hb, is64)
	if !ok {
		return -abi.EOVERFLOW
	}
	return t.writeMem(out, b)
}
