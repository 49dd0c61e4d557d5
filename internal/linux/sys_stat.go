package linux

import (
	"syscall"

	"gemu/internal/linux/abi"
)

// File status: the stat family, statx and statfs. The host fills its own
// (x86-64) structures, which an x86-64 guest receives as they are and an
// i386 guest converted to its struct stat, stat64 or statfs(64).

func init() {
	reg(sysStat, "stat", "lstat", "fstat", "stat64", "lstat64", "fstat64", "newfstatat", "fstatat64")
	reg(sysStatx, "statx")
	reg(sysStatfs, "statfs", "fstatfs", "statfs64", "fstatfs64")
}

const (
	atEmptyPath = 0x1000
	sysStatxNr  = 332
)

func sysStat(p *Process, a *[6]uint64) int64 {
	hb := hbuf(abi.HostStatSize)
	var r int64
	out := a[1]
	switch p.curName {
	case "fstat", "fstat64":
		fd, e := p.fget(a[0])
		if e != 0 {
			return e
		}
		defer p.fput(fd)
		r = host(syscall.SYS_FSTAT, fd, uintptr(ptr(hb)))
	case "newfstatat", "fstatat64":
		out = a[2]
		r = p.statAt(a[0], a[1], uint32(a[3]), func(d uintptr, path []byte, flags uintptr) int64 {
			return host(syscall.SYS_NEWFSTATAT, d, uintptr(ptr(path)), uintptr(ptr(hb)), flags)
		})
	default:
		var flags uint32
		if p.curName == "lstat" || p.curName == "lstat64" {
			flags = atSymlinkNoFollow
		}
		r = p.statAt(cwdArg, a[0], flags, func(d uintptr, path []byte, flags uintptr) int64 {
			return host(syscall.SYS_NEWFSTATAT, d, uintptr(ptr(path)), uintptr(ptr(hb)), flags)
		})
	}
	if r < 0 {
		return r
	}
	if p.w == 8 {
		return p.writeMem(out, hb)
	}
	st := abi.DecodeHostStat(hb)
	switch p.curName {
	case "stat", "lstat", "fstat":
		b, ok := abi.EncodeStat386(&st)
		if !ok {
			return -abi.EOVERFLOW
		}
		return p.writeMem(out, b)
	}
	return p.writeMem(out, abi.EncodeStat64386(&st))
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
// descriptor dirArg itself.
func (p *Process) statAt(dirArg, addr uint64, flags uint32, call func(d uintptr, path []byte, flags uintptr) int64) int64 {
	if flags&^(atSymlinkNoFollow|atNoAutomount|atEmptyPath|atStatxSync) != 0 {
		return -abi.EINVAL
	}
	var s string
	if addr != 0 || p.curName != "statx" {
		var e int64
		if s, e = p.readPath(addr); e != 0 {
			return e
		}
	}
	if addr == 0 || s == "" && flags&atEmptyPath != 0 {
		var path []byte
		if addr != 0 {
			path = emptyPath
		}
		d := p.dirget(dirArg)
		defer p.fput(d)
		return call(d, path, uintptr(flags))
	}
	return p.onPath(dirArg, s, flags&atSymlinkNoFollow != 0, func(k uintptr, _ []byte) int64 {
		return call(k, emptyPath, uintptr(flags&^atSymlinkNoFollow|atEmptyPath))
	})
}

func sysStatx(p *Process, a *[6]uint64) int64 {
	flags := uint32(a[2])
	if flags&atStatxSync == atStatxSync {
		return -abi.EINVAL
	}
	if !p.writable(a[4], statxSize) {
		return -abi.EFAULT
	}
	b := hbuf(statxSize)
	r := p.statAt(a[0], a[1], flags, func(d uintptr, path []byte, flags uintptr) int64 {
		return host(sysStatxNr, d, uintptr(ptr(path)), flags, uintptr(uint32(a[3])), uintptr(ptr(b)))
	})
	if r < 0 {
		return r
	}
	return p.writeMem(a[4], b)
}

func sysStatfs(p *Process, a *[6]uint64) int64 {
	hb := hbuf(abi.HostStatfsSize)
	is64 := p.curName == "statfs64" || p.curName == "fstatfs64"
	out := a[1]
	if is64 {
		// statfs64(path, size, buf): i386 passes the struct's size.
		if uint32(a[1]) != abi.Statfs64386Size && uint32(a[1]) != 88 {
			return -abi.EINVAL
		}
		out = a[2]
	}
	var r int64
	if p.curName == "fstatfs" || p.curName == "fstatfs64" {
		fd, e := p.fget(a[0])
		if e != 0 {
			return e
		}
		defer p.fput(fd)
		r = host(syscall.SYS_FSTATFS, fd, uintptr(ptr(hb)))
	} else {
		r = p.onPathArg(cwdArg, a[0], false, func(k uintptr, _ []byte) int64 {
			return host(syscall.SYS_FSTATFS, k, uintptr(ptr(hb)))
		})
	}
	if r < 0 {
		return r
	}
	if p.w == 8 {
		return p.writeMem(out, hb)
	}
	b, ok := abi.ConvertStatfs386(hb, is64)
	if !ok {
		return -abi.EOVERFLOW
	}
	return p.writeMem(out, b)
}
