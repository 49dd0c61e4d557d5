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
		dirfd, path, e := p.atPath(a[0], a[1])
		if e != 0 {
			return e
		}
		defer p.fput(dirfd)
		out = a[2]
		r = host(syscall.SYS_NEWFSTATAT, dirfd, uintptr(ptr(path)), uintptr(ptr(hb)), uintptr(uint32(a[3])))
	default:
		path, e := p.path(a[0])
		if e != 0 {
			return e
		}
		var flags uintptr
		if p.curName == "lstat" || p.curName == "lstat64" {
			flags = atSymlinkNoFollow
		}
		r = host(syscall.SYS_NEWFSTATAT, atFDCWD, uintptr(ptr(path)), uintptr(ptr(hb)), flags)
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

func sysStatx(p *Process, a *[6]uint64) int64 {
	var path []byte
	dirfd := atFDCWD
	if a[1] != 0 {
		var e int64
		if dirfd, path, e = p.atPath(a[0], a[1]); e != 0 {
			return e
		}
	} else {
		dirfd = p.dirget(a[0])
	}
	defer p.fput(dirfd)
	if !p.writable(a[4], statxSize) {
		return -abi.EFAULT
	}
	b := hbuf(statxSize)
	r := host(sysStatxNr, dirfd, uintptr(ptr(path)), uintptr(uint32(a[2])), uintptr(uint32(a[3])), uintptr(ptr(b)))
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
		path, e := p.path(a[0])
		if e != 0 {
			return e
		}
		r = host(syscall.SYS_STATFS, uintptr(ptr(path)), uintptr(ptr(hb)))
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
