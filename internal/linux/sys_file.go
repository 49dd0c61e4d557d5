package linux

import (
	"syscall"

	"gemu/internal/linux/abi"
)

// Files and descriptors. Calls go to the host with guest buffers copied
// through Go memory. Guest descriptors are entries of the guest's own
// table (fdtable.go): each handler translates its descriptor arguments to
// the host descriptors they stand for (fget, held for the call and
// released by fput; dirget for the directory of an *at call) and installs
// the descriptors it creates (reserveFD, fillFD), so the guest never
// names one of gemu's own.

func init() {
	reg(served(emuRead, sysRead), "read")
	reg(served(emuWrite, sysWrite), "write")
	reg(served(emuPread, sysPread), "pread64")
	reg(served(emuPwrite, sysPwrite), "pwrite64")
	reg(served(emuReadv, sysReadv), "readv")
	reg(served(emuWritev, sysWritev), "writev")
	reg(served(emuPreadv, sysPreadv), "preadv")
	reg(served(emuPwritev, sysPwritev), "pwritev")
	reg(sysOpen, "open")
	reg(sysOpenat, "openat")
	reg(sysCreat, "creat")
	reg(sysClose, "close")
	reg(served(emuLseek, sysLseek), "lseek")
	reg(served(emuLlseek, sysLlseek), "_llseek")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.pipe(a[0], 0) }, "pipe")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.pipe(a[0], uint32(a[1])) }, "pipe2")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.fcntl(a, false) }, "fcntl")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.fcntl(a, true) }, "fcntl64")
	reg(sysIoctl, "ioctl")
	reg(sysGetdents64, "getdents64")
	reg(sysGetdents, "getdents")
	reg(sysGetcwd, "getcwd")
	reg(sysChdir, "chdir")
	reg(sysFD1(syscall.SYS_FCHDIR), "fchdir")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.access(a, false, false) }, "access")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.access(a, true, false) }, "faccessat")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.access(a, true, true) }, "faccessat2")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.readlink(atArgs(a, false)) }, "readlink")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.readlink(atArgs(a, true)) }, "readlinkat")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.unlink(cwdArg, a[0], 0) }, "unlink")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.unlinkat(a) }, "unlinkat")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.unlink(cwdArg, a[0], atRemoveDir) }, "rmdir")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.mkdir(atArgs(a, false)) }, "mkdir")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.mkdir(atArgs(a, true)) }, "mkdirat")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.rename(cwdArg, a[0], cwdArg, a[1], 0) }, "rename")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.rename(a[0], a[1], a[2], a[3], 0) }, "renameat")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.rename(a[0], a[1], a[2], a[3], uint64(uint32(a[4]))) }, "renameat2")
	reg(func(t *Thread, a *[6]uint64) int64 { return host(syscall.SYS_UMASK, uintptr(a[0]&0o777)) }, "umask")
	reg(sysFD1(syscall.SYS_FSYNC), "fsync")
	reg(sysFD1(syscall.SYS_FDATASYNC), "fdatasync")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.truncate(a[0], t.slong(a[1]), false) }, "truncate")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.truncate(a[0], t.off64(a), false) }, "truncate64")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.truncate(a[0], t.slong(a[1]), true) }, "ftruncate")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.truncate(a[0], t.off64(a), true) }, "ftruncate64")
	reg(sysFchmod, "fchmod")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.chmod(atArgs(a, false)) }, "chmod")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.chmod(atArgs(a, true)) }, "fchmodat")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.chown(a, false, t.w == 4) }, "chown")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.chown(a, true, t.w == 4) }, "lchown")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.fchown(a, t.w == 4) }, "fchown")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.chown(a, false, false) }, "chown32")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.chown(a, true, false) }, "lchown32")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.fchown(a, false) }, "fchown32")
	reg(sysFchownat, "fchownat")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.symlink(a[0], cwdArg, a[1]) }, "symlink")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.symlink(a[0], a[1], a[2]) }, "symlinkat")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.link(cwdArg, a[0], cwdArg, a[1], 0) }, "link")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.link(a[0], a[1], a[2], a[3], uint64(uint32(a[4]))) }, "linkat")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.utimensat(a, false) }, "utimensat")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.utimensat(a, true) }, "utimensat_time64")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.utimes(a, false) }, "utimes")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.utimes(a, true) }, "utime")
	reg(sysPoll, "poll")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.ppoll(a, false) }, "ppoll")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.ppoll(a, true) }, "ppoll_time64")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.selectWait(a, selectCall{block: t.w == 4}) }, "select")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.selectWait(a, selectCall{}) }, "_newselect")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.selectWait(a, selectCall{pselect: true}) }, "pselect6")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.selectWait(a, selectCall{pselect: true, time64: true}) }, "pselect6_time64")
	reg(sysFadvise, "fadvise64")
	reg(sysFadvise, "fadvise64_64") // i386's with a 64-bit length: the same checks
	reg(func(t *Thread, a *[6]uint64) int64 { return t.sendfile(a, t.w == 4) }, "sendfile")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.sendfile(a, false) }, "sendfile64")
}

const (
	// ioChunk bounds the Go buffer of one host read or write.
	ioChunk = 1 << 20
	// maxRW is Linux's MAX_RW_COUNT: the most one read or write moves.
	maxRW = 0x7ffff000
	// iovMax is the most iovecs readv and writev accept.
	iovMax = 1024
	// vecMax bounds the bytes one readv or writev moves in gemu.
	vecMax = 64 << 20

	atRemoveDir       = 0x200
	atSymlinkNoFollow = 0x100
	sysFaccessat2     = 439
	sysRenameat2      = 316
)

// path reads a path argument as a NUL-terminated host string. The guest's
// /proc/self/exe names the guest program, not gemu, and paths naming
// descriptors name the guest's (hostPath).
func (t *Thread) path(addr uint64) ([]byte, int64) {
	s, e := t.readPath(addr)
	if e != 0 {
		return nil, e
	}
	return cstr(t.hostPath(s)), 0
}

// isSelfExe reports whether path names the process's executable through
// /proc.
func (p *Process) isSelfExe(path string) bool {
	return p.procSelfName(path) == "exe"
}

// readLoop reads up to n bytes into guest memory at buf using rd, which
// reads into a Go buffer; done is how much was read before.
func (p *Process) readLoop(buf, n uint64, rd func(b []byte, done uint64) int64) int64 {
	n = min(n, maxRW)
	if n == 0 {
		return rd(nil, 0)
	}
	if !p.writable(buf, n) {
		return -abi.EFAULT
	}
	var done uint64
	for done < n {
		chunk := min(n-done, ioChunk)
		b := hbuf(int(chunk))
		r := rd(b, done)
		if r < 0 {
			if done > 0 {
				break
			}
			return r
		}
		if err := p.Mem.Write(buf+done, b[:r]); err != nil {
			return -abi.EFAULT
		}
		done += uint64(r)
		if uint64(r) < chunk {
			break
		}
	}
	return int64(done)
}

// writeLoop writes up to n bytes of guest memory at buf using wr.
func (t *Thread) writeLoop(buf, n uint64, wr func(b []byte, done uint64) int64) int64 {
	n = min(n, maxRW)
	if n == 0 {
		return wr(nil, 0)
	}
	var done uint64
	for done < n {
		chunk := min(n-done, ioChunk)
		b, e := t.readMem(buf+done, int(chunk))
		if e != 0 {
			if done > 0 {
				break
			}
			return e
		}
		r := wr(b, done)
		if r < 0 {
			if r == -abi.EPIPE {
				t.sigpipe()
			}
			if done > 0 {
				break
			}
			return r
		}
		done += uint64(r)
		if uint64(r) < chunk {
			break
		}
	}
	return int64(done)
}

// sysFD1 makes a handler for a call whose only argument is a descriptor.
func sysFD1(nr uintptr) sysFn {
	return func(t *Thread, a *[6]uint64) int64 {
		fd, e := t.fget(a[0])
		if e != 0 {
			return e
		}
		defer t.fput(fd)
		return host(nr, fd)
	}
}

func sysRead(t *Thread, a *[6]uint64) int64 {
	fd, e := t.fget(a[0])
	if e != 0 {
		return e
	}
	defer t.fput(fd)
	return t.readLoop(a[1], t.ulong(a[2]), func(b []byte, _ uint64) int64 {
		return host(syscall.SYS_READ, fd, uintptr(ptr(b)), uintptr(len(b)))
	})
}

func sysWrite(t *Thread, a *[6]uint64) int64 {
	fd, e := t.fget(a[0])
	if e != 0 {
		return e
	}
	defer t.fput(fd)
	return t.writeLoop(a[1], t.ulong(a[2]), func(b []byte, _ uint64) int64 {
		return host(syscall.SYS_WRITE, fd, uintptr(ptr(b)), uintptr(len(b)))
	})
}

// offset64 returns a 64-bit file offset argument: one register on x86-64,
// a low/high register pair on i386.
func (t *Thread) offset64(a *[6]uint64, i int) int64 {
	if t.w == 8 {
		return int64(a[i])
	}
	return int64(a[i]&0xffffffff | a[i+1]<<32)
}

func sysPread(t *Thread, a *[6]uint64) int64 {
	fd, e := t.fget(a[0])
	if e != 0 {
		return e
	}
	defer t.fput(fd)
	off := t.offset64(a, 3)
	if off < 0 {
		return -abi.EINVAL
	}
	return t.readLoop(a[1], t.ulong(a[2]), func(b []byte, done uint64) int64 {
		return host(syscall.SYS_PREAD64, fd, uintptr(ptr(b)), uintptr(len(b)), uintptr(off+int64(done)))
	})
}

func sysPwrite(t *Thread, a *[6]uint64) int64 {
	fd, e := t.fget(a[0])
	if e != 0 {
		return e
	}
	defer t.fput(fd)
	off := t.offset64(a, 3)
	if off < 0 {
		return -abi.EINVAL
	}
	return t.writeLoop(a[1], t.ulong(a[2]), func(b []byte, done uint64) int64 {
		return host(syscall.SYS_PWRITE64, fd, uintptr(ptr(b)), uintptr(len(b)), uintptr(off+int64(done)))
	})
}

// iovecs reads a guest iovec array.
func (t *Thread) iovecs(addr uint64, cnt int64) ([][2]uint64, int64) {
	if cnt < 0 || cnt > iovMax {
		return nil, -abi.EINVAL
	}
	b, e := t.readMem(addr, int(cnt)*2*int(t.w))
	if e != 0 {
		return nil, e
	}
	v := make([][2]uint64, cnt)
	var total uint64
	for i := range v {
		v[i] = [2]uint64{t.w.Get(b, 2*i), t.w.Get(b, 2*i+1)}
		if int64(v[i][1]) < 0 || (t.w == 4 && v[i][1] > 0x7fffffff) {
			return nil, -abi.EINVAL
		}
		total += v[i][1]
	}
	if total > 0x7fffffff && t.w == 4 {
		return nil, -abi.EINVAL
	}
	return v, 0
}

// readVec reads with rd into one Go buffer, then scatters it to the
// iovecs: one host call, as atomic as the guest's readv.
func (p *Process) readVec(iov [][2]uint64, rd func(b []byte) int64) int64 {
	var total uint64
	for _, v := range iov {
		if !p.writable(v[0], v[1]) {
			return -abi.EFAULT
		}
		total += v[1]
	}
	b := hbuf(int(min(total, vecMax)))
	r := rd(b)
	if r <= 0 {
		return r
	}
	rest := b[:r]
	for _, v := range iov {
		if len(rest) == 0 {
			break
		}
		n := min(uint64(len(rest)), v[1])
		if err := p.Mem.Write(v[0], rest[:n]); err != nil {
			return -abi.EFAULT
		}
		rest = rest[n:]
	}
	return r
}

// writeVec gathers the iovecs into one Go buffer and writes it with wr.
func (t *Thread) writeVec(iov [][2]uint64, wr func(b []byte) int64) int64 {
	b := hbuf(0)
	for _, v := range iov {
		n := min(v[1], vecMax-uint64(len(b)))
		if n == 0 {
			continue
		}
		part, e := t.readMem(v[0], int(n))
		if e != 0 {
			return e
		}
		b = append(b, part...)
		if len(b) >= vecMax {
			break
		}
	}
	r := wr(b)
	if r == -abi.EPIPE {
		t.sigpipe()
	}
	return r
}

func sysReadv(t *Thread, a *[6]uint64) int64 {
	fd, e := t.fget(a[0])
	if e != 0 {
		return e
	}
	defer t.fput(fd)
	iov, e := t.iovecs(a[1], sint(a[2]))
	if e != 0 {
		return e
	}
	return t.readVec(iov, func(b []byte) int64 { return host(syscall.SYS_READ, fd, uintptr(ptr(b)), uintptr(len(b))) })
}

func sysWritev(t *Thread, a *[6]uint64) int64 {
	fd, e := t.fget(a[0])
	if e != 0 {
		return e
	}
	defer t.fput(fd)
	iov, e := t.iovecs(a[1], sint(a[2]))
	if e != 0 {
		return e
	}
	return t.writeVec(iov, func(b []byte) int64 { return host(syscall.SYS_WRITE, fd, uintptr(ptr(b)), uintptr(len(b))) })
}

// vecOffset is preadv's offset: a low/high pair on both ABIs (the high
// half is zero on x86-64).
func (t *Thread) vecOffset(a *[6]uint64) int64 {
	if t.w == 8 {
		return int64(a[3])
	}
	return int64(a[3]&0xffffffff | a[4]<<32)
}

func sysPreadv(t *Thread, a *[6]uint64) int64 {
	fd, e := t.fget(a[0])
	if e != 0 {
		return e
	}
	defer t.fput(fd)
	iov, e := t.iovecs(a[1], sint(a[2]))
	if e != 0 {
		return e
	}
	off := t.vecOffset(a)
	return t.readVec(iov, func(b []byte) int64 {
		return host(syscall.SYS_PREAD64, fd, uintptr(ptr(b)), uintptr(len(b)), uintptr(off))
	})
}

func sysPwritev(t *Thread, a *[6]uint64) int64 {
	fd, e := t.fget(a[0])
	if e != 0 {
		return e
	}
	defer t.fput(fd)
	iov, e := t.iovecs(a[1], sint(a[2]))
	if e != 0 {
		return e
	}
	off := t.vecOffset(a)
	return t.writeVec(iov, func(b []byte) int64 {
		return host(syscall.SYS_PWRITE64, fd, uintptr(ptr(b)), uintptr(len(b)), uintptr(off))
	})
}

// openat opens a guest path relative to the guest's directory descriptor
// dirArg as the lowest free guest descriptor. The host
// descriptor is always close-on-exec; the guest's flag is in its entry.
func (t *Thread) openat(dirArg, pathAddr, flags, mode uint64) int64 {
	s, e := t.readPath(pathAddr)
	if e != 0 {
		return e
	}
	dirfd, path, e := t.atPath(dirArg, pathAddr)
	if e != 0 {
		return e
	}
	defer t.fput(dirfd)
	fd, e := t.reserveFD()
	if e != 0 {
		return e
	}
	gs := s // the guest's path, for hostOpen's own resolution
	if s != "" && s[0] != '/' && t.isFdDir(sint(dirArg)) {
		gs = "/proc/self/fd/" + s
	}
	if flags&oNofollow != 0 {
		path = t.exeLink(s, path)
	}
	r := t.hostOpen(dirfd, gs, path, uint32(flags), uint32(mode))
	r, file := t.procOpen(r, flags) // the guest's own /proc files (procfs.go)
	if file == nil {
		file = emuFileOfKind(t.fdDirKind(s))
	}
	r = t.fdinfoOpen(s, r, flags)
	return t.fillFD(fd, r, flags&abi.O_CLOEXEC != 0, file)
}

func sysOpen(t *Thread, a *[6]uint64) int64 { return t.openat(cwdArg, a[0], a[1], a[2]) }

func sysOpenat(t *Thread, a *[6]uint64) int64 { return t.openat(a[0], a[1], a[2], a[3]) }

func sysCreat(t *Thread, a *[6]uint64) int64 {
	return t.openat(cwdArg, a[0], abi.O_CREAT|abi.O_WRONLY|abi.O_TRUNC, a[1])
}

// lseek moves the offset of guest descriptor v; an emulated directory
// listing keeps its own.
func (p *Process) lseek(v uint64, off int64, whence uint32) int64 {
	e, r := p.fentry(v)
	if r != 0 {
		return r
	}
	defer p.putHost(e.host)
	if d, ok := e.file.(*fdDir); ok {
		return d.seek(off, whence)
	}
	off = p.seekOffset(e.host, off, whence)
	return host(syscall.SYS_LSEEK, uintptr(e.host), uintptr(off), uintptr(whence))
}

func sysLseek(t *Thread, a *[6]uint64) int64 {
	r := t.lseek(a[0], t.slong(a[1]), uint32(a[2]))
	if t.w == 4 && r > 0x7fffffff {
		return -abi.EOVERFLOW
	}
	return r
}

func sysLlseek(t *Thread, a *[6]uint64) int64 {
	r := t.lseek(a[0], int64(a[1]<<32|a[2]&0xffffffff), uint32(a[4]))
	if r < 0 {
		return r
	}
	b := make([]byte, 8)
	putLE64(b, uint64(r))
	return t.writeMem(a[3], b)
}

// pipe is pipe2(fds, flags); pipe has no flags.
func (p *Process) pipe(fds uint64, flags uint32) int64 {
	b := hbuf(8)
	if !p.writable(fds, 8) {
		return -abi.EFAULT
	}
	rd, wr, e := p.reserveFDPair()
	if e != 0 {
		return e
	}
	r := host(syscall.SYS_PIPE2, uintptr(ptr(b)), uintptr(flags|abi.O_CLOEXEC))
	if r < 0 {
		p.fds.cancel(rd)
		p.fds.cancel(wr)
		return r
	}
	ce := flags&abi.O_CLOEXEC != 0
	p.fillFD(rd, int64(le32(b)), ce, nil)
	p.fillFD(wr, int64(le32(b[4:])), ce, nil)
	putLE32(b, uint32(rd))
	putLE32(b[4:], uint32(wr))
	return p.writeMem(fds, b)
}

// fcntl commands.
const (
	fGetlk     = 5
	fSetlk     = 6
	fSetlkw    = 7
	fGetlk64   = 12
	fSetlk64   = 13
	fSetlkw64  = 14
	fSetownEx  = 15
	fGetownEx  = 16
	fOfdGetlk  = 36
	fOfdSetlk  = 37
	fOfdSetlkw = 38
)

// fcntl is fcntl or i386's fcntl64 (is64), the only one of the two that
// takes the F_*LK64 commands there.
func (t *Thread) fcntl(a *[6]uint64, is64 bool) int64 {
	cmd := int(sint(a[1]))
	if r, ok := t.fcntlFD(sint(a[0]), cmd, a[2]); ok {
		return r
	}
	fd, e := t.fget(a[0])
	if e != 0 {
		return e
	}
	defer t.fput(fd)
	switch cmd {
	case 0, 1, 2, 3, 4, 8, 9, 10, 11, 1024, 1025, 1026, 1030, 1031, 1032, 1033, 1034:
		// Integer argument (or none).
		return host(syscall.SYS_FCNTL, fd, uintptr(cmd), uintptr(t.ulong(a[2])))
	case fGetlk, fSetlk, fSetlkw, fGetlk64, fSetlk64, fSetlkw64, fOfdGetlk, fOfdSetlk, fOfdSetlkw:
		layout := abi.HostFlockSize
		hcmd := cmd
		if t.w == 4 {
			switch {
			case cmd >= fGetlk64 && cmd <= fSetlkw64:
				if !is64 {
					return -abi.EINVAL
				}
				layout, hcmd = abi.Flock64386Size, cmd-fGetlk64+fGetlk
			case cmd >= fOfdGetlk:
				layout = abi.Flock64386Size
			default:
				layout = abi.Flock386Size
			}
		} else if cmd >= fGetlk64 && cmd <= fSetlkw64 {
			return -abi.EINVAL
		}
		gb, e := t.readMem(a[2], layout)
		if e != 0 {
			return e
		}
		f := abi.DecodeFlock(gb, layout)
		hb := hbuf(abi.HostFlockSize)
		copy(hb, f.Encode(abi.HostFlockSize))
		r := host(syscall.SYS_FCNTL, fd, uintptr(hcmd), uintptr(ptr(hb)))
		if r < 0 {
			return r
		}
		if hcmd == fGetlk || hcmd == fOfdGetlk {
			f = abi.DecodeFlock(hb, abi.HostFlockSize)
			if layout == abi.Flock386Size && (f.Start != int64(int32(f.Start)) || f.Len != int64(int32(f.Len))) {
				return -abi.EOVERFLOW
			}
			return t.writeMem(a[2], f.Encode(layout))
		}
		return r
	case fSetownEx, fGetownEx:
		b, e := t.readMem(a[2], 8)
		if e != 0 {
			return e
		}
		r := host(syscall.SYS_FCNTL, fd, uintptr(cmd), uintptr(ptr(b)))
		if r < 0 || cmd == fSetownEx {
			return r
		}
		return t.writeMem(a[2], b)
	}
	t.unimpf("Unsupported fcntl command: %d\n", cmd)
	return -abi.EINVAL
}

func sysIoctl(t *Thread, a *[6]uint64) int64 {
	req, arg := uint32(a[1]), t.ulong(a[2])
	if req == abi.FIOCLEX || req == abi.FIONCLEX {
		// The close-on-exec flag is the guest's, in its table.
		if !t.fds.setCloexec(sint(a[0]), req == abi.FIOCLEX) {
			return -abi.EBADF
		}
		return 0
	}
	fd, e := t.fget(a[0])
	if e != 0 {
		return e
	}
	defer t.fput(fd)
	// in/out: bytes the request reads from and writes to *arg.
	var in, out int
	switch req {
	case abi.TCGETS:
		out = abi.TermiosSize
	case abi.TCSETS, abi.TCSETSW, abi.TCSETSF:
		in = abi.TermiosSize
	case abi.TIOCGWINSZ:
		out = abi.WinsizeSize
	case abi.TIOCSWINSZ:
		in = abi.WinsizeSize
	case abi.TIOCGPGRP, abi.FIONREAD, abi.TIOCOUTQ, abi.TIOCGSID, abi.TIOCGPTN:
		out = 4
	case abi.TIOCSPGRP, abi.FIONBIO, abi.FIOASYNC:
		in = 4
	case abi.TIOCNOTTY, abi.TCSBRK, abi.TCXONC, abi.TCFLSH, abi.TIOCSCTTY:
		// The argument, if any, is a plain integer.
		return host(syscall.SYS_IOCTL, fd, uintptr(req), uintptr(arg))
	default:
		t.unimpf("Unsupported ioctl: cmd=%#x\n", req)
		return -abi.ENOTTY
	}
	b := hbuf(max(in, out))
	if in > 0 {
		g, e := t.readMem(arg, in)
		if e != 0 {
			return e
		}
		copy(b, g)
	}
	if out > 0 && !t.writable(arg, uint64(out)) {
		return -abi.EFAULT
	}
	r := host(syscall.SYS_IOCTL, fd, uintptr(req), uintptr(ptr(b)))
	if r < 0 || out == 0 {
		return r
	}
	if e := t.writeMem(arg, b[:out]); e != 0 {
		return e
	}
	return r
}

// readDirents reads the host's getdents64 records for the guest's
// getdents(64)(fd, buf, count), with i386 directory offsets replaced by
// cookies. It returns the records, or nil and the result to return.
func (t *Thread) readDirents(a *[6]uint64) ([]byte, int64) {
	return t.direntsOf(a[0], a[1], uint64(uint32(a[2])), true)
}

// direntsOf reads at most n bytes of getdents64 records of guest
// descriptor fd as readDirents does; with check, the guest buffer at buf
// must be writable for n bytes first (EFAULT), as getdents checks it.
func (t *Thread) direntsOf(fd, buf, n uint64, check bool) ([]byte, int64) {
	ent, e := t.fentry(fd)
	if e != 0 {
		return nil, e
	}
	defer t.putHost(ent.host)
	n = min(n, ioChunk)
	if check && !t.writable(buf, n) {
		return nil, -abi.EFAULT
	}
	if d, ok := ent.file.(*fdDir); ok {
		b, r := d.dirents(t.fds.list(), n)
		if r <= 0 {
			return nil, r
		}
		return b, r
	}
	b := hbuf(int(n))
	r := host(syscall.SYS_GETDENTS64, uintptr(ent.host), uintptr(ptr(b)), uintptr(n))
	r = t.procDirents(ent.host, b, r) // only guest threads in its task directory (procfs.go)
	if r <= 0 {
		return nil, r
	}
	if t.w == 4 {
		t.cookieDirents(ent.host, b[:r])
	}
	return b[:r], r
}

func sysGetdents64(t *Thread, a *[6]uint64) int64 {
	b, r := t.readDirents(a)
	if b == nil {
		return r
	}
	if e := t.writeMem(a[1], b); e != 0 {
		return e
	}
	return r
}

// Directory offsets for i386 guests. A 64-bit process reads 64-bit hash
// offsets from ext4 directories, where a 32-bit process would get 32-bit
// ones, and glibc's i386 readdir fails with EOVERFLOW on a d_off that does
// not fit 32 bits. gemu replaces such offsets with small cookies and
// translates them back when the guest seeks the directory. They belong
// to the open directory, so they are kept by host descriptor (which dups
// of the guest descriptor share) and dropped when it is closed.
type dirCookies struct {
	offs  []int64         // cookie i+1 stands for offs[i]
	byOff map[int64]int64 // host offset -> cookie
}

// cookieDirents rewrites the d_off fields of a getdents64 buffer in place.
func (p *Process) cookieDirents(fd int, b []byte) {
	for off := 0; off+19 <= len(b); {
		reclen := int(b[off+16]) | int(b[off+17])<<8
		if reclen < 19 || off+reclen > len(b) {
			return
		}
		putLE64(b[off+8:], uint64(p.dirCookie(fd, int64(le64(b[off+8:])))))
		off += reclen
	}
}

// dirCookie returns the i386 guest's directory offset for host offset d
// of host descriptor fd: d itself when it fits 32 bits, else its cookie.
func (p *Process) dirCookie(fd int, d int64) int64 {
	if d == int64(int32(d)) {
		return d
	}
	if p.dirs == nil {
		p.dirs = map[int]*dirCookies{}
	}
	dc := p.dirs[fd]
	if dc == nil {
		dc = &dirCookies{byOff: map[int64]int64{}}
		p.dirs[fd] = dc
	}
	c, ok := dc.byOff[d]
	if !ok {
		dc.offs = append(dc.offs, d)
		c = int64(len(dc.offs))
		dc.byOff[d] = c
	}
	return c
}

// seekOffset translates a guest lseek offset on a directory with cookies
// (fd is the host descriptor).
func (p *Process) seekOffset(fd int, off int64, whence uint32) int64 {
	if dc := p.dirs[fd]; dc != nil && whence == 0 && off > 0 && off <= int64(len(dc.offs)) {
		return dc.offs[off-1]
	}
	return off
}

// sysGetdents serves the old getdents, whose records have long-sized
// inode and offset fields and the file type in the last byte; the host's
// getdents64 records are never smaller, so the converted ones fit.
func sysGetdents(t *Thread, a *[6]uint64) int64 {
	b, r := t.readDirents(a)
	if b == nil {
		return r
	}
	var out []byte
	for _, d := range abi.ParseDirents64(b) {
		rec, ok := abi.EncodeDirent(t.w, d)
		if !ok {
			if len(out) == 0 {
				return -abi.EOVERFLOW
			}
			break
		}
		out = append(out, rec...)
	}
	if uint64(len(out)) > min(uint64(uint32(a[2])), ioChunk) {
		return -abi.EINVAL
	}
	if e := t.writeMem(a[1], out); e != 0 {
		return e
	}
	return int64(len(out))
}

func sysGetcwd(t *Thread, a *[6]uint64) int64 {
	size := min(t.ulong(a[1]), pathMax)
	b := hbuf(int(size))
	r := host(syscall.SYS_GETCWD, uintptr(ptr(b)), uintptr(size))
	if r < 0 {
		return r
	}
	if e := t.writeMem(a[0], b[:r]); e != 0 {
		return e
	}
	return r
}

// sysChdir changes to the directory the guest's path resolves to
// (fchdir takes O_PATH descriptors).
func sysChdir(t *Thread, a *[6]uint64) int64 {
	return t.onPathArg(cwdArg, a[0], false, func(k uintptr, _ []byte) int64 {
		return host(syscall.SYS_FCHDIR, k)
	})
}

// atArgs splits the arguments of a call that has an *at form: the *at
// call (at) takes a directory fd first (the guest's, for atPath); the
// plain one is relative to the current directory.
func atArgs(a *[6]uint64, at bool) (dirArg uint64, rest []uint64) {
	if at {
		return a[0], a[1:]
	}
	return cwdArg, a[:]
}

// cwdArg is AT_FDCWD as a guest argument.
const cwdArg = uint64(0xffffff9c)

// atPath reads the path argument at addr of an *at call whose directory
// argument is dirArg and returns the host directory descriptor (held:
// the caller releases it with fput) and the host path. A relative path
// under an open /proc/self/fd (or fdinfo), whose listing is the guest's,
// names a guest descriptor: it is translated as the absolute path.
func (t *Thread) atPath(dirArg, addr uint64) (uintptr, []byte, int64) {
	s, e := t.readPath(addr)
	if e != 0 {
		return atFDCWD, nil, e
	}
	return t.atPathString(dirArg, s)
}

// atPathString is atPath for a path already read.
func (t *Thread) atPathString(dirArg uint64, s string) (uintptr, []byte, int64) {
	if s != "" && s[0] != '/' {
		if ent, ok := t.fds.lookup(sint(dirArg)); ok {
			if d, ok := ent.file.(*fdDir); ok {
				dir := "/proc/self/fd/"
				if d.info {
					dir = "/proc/self/fdinfo/"
				}
				return atFDCWD, cstr(t.fdPath(dir + s)), 0
			}
		}
	}
	return t.dirget(dirArg), cstr(t.hostPath(s)), 0
}

const atEaccess = 0x200

// access serves access, faccessat (at) and faccessat2 (at, withFlags).
func (t *Thread) access(a *[6]uint64, at, withFlags bool) int64 {
	dirArg, r := atArgs(a, at)
	var flags uint64
	if withFlags {
		flags = uint64(uint32(r[2]))
	}
	mode := uintptr(uint32(r[1]))
	if flags&^(atEaccess|atSymlinkNoFollow|atEmptyPath) != 0 || mode&^7 != 0 {
		return -abi.EINVAL
	}
	if flags&atEmptyPath != 0 {
		if s, e := t.readPath(r[0]); e != 0 || s == "" {
			dirfd, path, e := t.atPath(dirArg, r[0])
			if e != 0 {
				return e
			}
			defer t.fput(dirfd)
			return host(sysFaccessat2, dirfd, uintptr(ptr(path)), mode, uintptr(flags))
		}
	}
	return t.onPathArg(dirArg, r[0], flags&atSymlinkNoFollow != 0, func(_ uintptr, kpath []byte) int64 {
		return host(sysFaccessat2, atFDCWD, uintptr(ptr(kpath)), mode, uintptr(flags&atEaccess))
	})
}

// readlink is readlink or readlinkat, its arguments split by atArgs.
func (t *Thread) readlink(dirArg uint64, r []uint64) int64 {
	s, e := t.readPath(r[0])
	if e != 0 {
		return e
	}
	size := sint(r[2])
	if size <= 0 {
		return -abi.EINVAL
	}
	size = min(size, pathMax)
	var target []byte
	if t.isSelfExe(s) {
		target = []byte(t.ExePath)
	} else {
		b := hbuf(int(size))
		n := t.onPath(dirArg, s, true, func(k uintptr, _ []byte) int64 {
			n := host(syscall.SYS_READLINKAT, k, uintptr(ptr(emptyPath)), uintptr(ptr(b)), uintptr(size))
			if n == -abi.ENOENT {
				// The empty name of a file that is not a link.
				n = -abi.EINVAL
			}
			return n
		})
		if n < 0 {
			return n
		}
		target = t.signalfdLink(s, b[:n])
	}
	if int64(len(target)) > size {
		target = target[:size]
	}
	if e := t.writeMem(r[1], target); e != 0 {
		return e
	}
	return int64(len(target))
}

func (t *Thread) unlinkat(a *[6]uint64) int64 {
	flags := uint64(uint32(a[2]))
	if flags&^atRemoveDir != 0 {
		return -abi.EINVAL
	}
	return t.unlink(a[0], a[1], flags)
}

// unlink is unlinkat(dirArg, path, flags): unlink, or rmdir with
// AT_REMOVEDIR.
func (t *Thread) unlink(dirArg, path, flags uint64) int64 {
	return t.inDir(dirArg, path, func(d uintptr, name []byte) int64 {
		return host(syscall.SYS_UNLINKAT, d, uintptr(ptr(name)), uintptr(flags))
	})
}

// mkdir is mkdir or mkdirat, its arguments split by atArgs.
func (t *Thread) mkdir(dirArg uint64, r []uint64) int64 {
	return t.inDir(dirArg, r[0], func(d uintptr, name []byte) int64 {
		return host(syscall.SYS_MKDIRAT, d, uintptr(ptr(name)), uintptr(uint32(r[1])))
	})
}

// rename is renameat2: rename and renameat are it with fewer arguments.
func (t *Thread) rename(oldDir, oldP, newDir, newP, flags uint64) int64 {
	return t.inDir(oldDir, oldP, func(od uintptr, op []byte) int64 {
		return t.inDir(newDir, newP, func(nd uintptr, np []byte) int64 {
			return host(sysRenameat2, od, uintptr(ptr(op)), nd, uintptr(ptr(np)), uintptr(flags))
		})
	})
}

// off64 is the length argument of truncate64 and ftruncate64: two
// registers on i386, one on x86-64.
func (t *Thread) off64(a *[6]uint64) int64 {
	if t.w == 4 {
		return int64(a[1]&0xffffffff | a[2]<<32)
	}
	return t.slong(a[1])
}

// truncate is truncate (of a path at arg) or ftruncate (fd, of the
// descriptor arg) to length.
func (t *Thread) truncate(arg uint64, length int64, fd bool) int64 {
	if fd {
		fd, e := t.fget(arg)
		if e != 0 {
			return e
		}
		defer t.fput(fd)
		return host(syscall.SYS_FTRUNCATE, fd, uintptr(length))
	}
	return t.onPathArg(cwdArg, arg, false, func(_ uintptr, kpath []byte) int64 {
		return host(syscall.SYS_TRUNCATE, uintptr(ptr(kpath)), uintptr(length))
	})
}

func sysFchmod(t *Thread, a *[6]uint64) int64 {
	fd, e := t.fget(a[0])
	if e != 0 {
		return e
	}
	defer t.fput(fd)
	return host(syscall.SYS_FCHMOD, fd, uintptr(uint32(a[1])))
}

// chmod is chmod or fchmodat, its arguments split by atArgs.
func (t *Thread) chmod(dirArg uint64, r []uint64) int64 {
	return t.onPathArg(dirArg, r[0], false, func(_ uintptr, kpath []byte) int64 {
		return host(syscall.SYS_FCHMODAT, atFDCWD, uintptr(ptr(kpath)), uintptr(uint32(r[1])))
	})
}

// id converts a uid or gid argument; i386's 16-bit calls (narrow: chown,
// not chown32) use 0xffff for "unchanged" (-1).
func id(v uint64, narrow bool) uintptr {
	if narrow {
		v &= 0xffff
		if v == 0xffff {
			return uintptr(0xffffffff)
		}
		return uintptr(v)
	}
	return uintptr(uint32(v))
}

// fchown is fchown or i386's fchown32 (narrow false).
func (p *Process) fchown(a *[6]uint64, narrow bool) int64 {
	fd, e := p.fget(a[0])
	if e != 0 {
		return e
	}
	defer p.fput(fd)
	return host(syscall.SYS_FCHOWN, fd, id(a[1], narrow), id(a[2], narrow))
}

// sysFchownat takes 32-bit ids on both ABIs.
func sysFchownat(t *Thread, a *[6]uint64) int64 {
	flags := uintptr(uint32(a[4]))
	if flags&^(atSymlinkNoFollow|atEmptyPath) != 0 {
		return -abi.EINVAL
	}
	uid, gid := id(a[2], false), id(a[3], false)
	if s, e := t.readPath(a[1]); e == 0 && s == "" && flags&atEmptyPath != 0 {
		dirfd := t.dirget(a[0])
		defer t.fput(dirfd)
		return host(syscall.SYS_FCHOWNAT, dirfd, uintptr(ptr(emptyPath)), uid, gid, flags)
	}
	return t.onPathArg(a[0], a[1], flags&atSymlinkNoFollow != 0, func(k uintptr, _ []byte) int64 {
		return host(syscall.SYS_FCHOWNAT, k, uintptr(ptr(emptyPath)), uid, gid, atEmptyPath)
	})
}

// chown is chown or lchown (nofollow), and i386's chown32 and lchown32
// (narrow false).
func (t *Thread) chown(a *[6]uint64, nofollow, narrow bool) int64 {
	uid, gid := id(a[1], narrow), id(a[2], narrow)
	return t.onPathArg(cwdArg, a[0], nofollow, func(k uintptr, _ []byte) int64 {
		return host(syscall.SYS_FCHOWNAT, k, uintptr(ptr(emptyPath)), uid, gid, atEmptyPath)
	})
}

// emptyPath is the empty name of AT_EMPTY_PATH calls.
var emptyPath = []byte{0}

// symlink is symlinkat(target, dirArg, linkp); symlink's dirArg is the
// current directory.
func (t *Thread) symlink(targetp, dirArg, linkp uint64) int64 {
	target, e := t.readPath(targetp)
	if e != 0 {
		return e
	}
	tb := cstr(target)
	return t.inDir(dirArg, linkp, func(d uintptr, lp []byte) int64 {
		return host(syscall.SYS_SYMLINKAT, uintptr(ptr(tb)), d, uintptr(ptr(lp)))
	})
}

// link is linkat; link is it relative to the current directory.
func (t *Thread) link(oldDir, oldP, newDir, newP, flags uint64) int64 {
	if flags&^(atSymlinkFollow|atEmptyPath) != 0 {
		return -abi.EINVAL
	}
	if s, e := t.readPath(oldP); e == 0 && s == "" && flags&atEmptyPath != 0 {
		// The guest's descriptor itself (which needs
		// CAP_DAC_READ_SEARCH, natively too).
		od := t.dirget(oldDir)
		defer t.fput(od)
		return t.inDir(newDir, newP, func(nd uintptr, np []byte) int64 {
			return host(syscall.SYS_LINKAT, od, uintptr(ptr(emptyPath)), nd, uintptr(ptr(np)), uintptr(flags))
		})
	}
	// The old file resolved once, linked through its /proc/self/fd name
	// (which AT_SYMLINK_FOLLOW follows to that file, a symbolic link
	// itself when not following).
	return t.onPathArg(oldDir, oldP, flags&atSymlinkFollow == 0, func(_ uintptr, kpath []byte) int64 {
		return t.inDir(newDir, newP, func(nd uintptr, np []byte) int64 {
			return host(syscall.SYS_LINKAT, atFDCWD, uintptr(ptr(kpath)), nd, uintptr(ptr(np)), atSymlinkFollow)
		})
	})
}

const atSymlinkFollow = 0x400

// timespecs reads n guest timespecs (64-bit fields when t64) into host
// layout.
func (t *Thread) timespecs(addr uint64, n int, t64 bool) ([]byte, int64) {
	w := t.w
	if t64 {
		w = 8
	}
	g, e := t.readMem(addr, n*2*int(w))
	if e != 0 {
		return nil, e
	}
	h := hbuf(16 * n)
	for i := 0; i < n; i++ {
		spec := abi.DecodeTimespec(w, g[i*2*int(w):])
		copy(h[16*i:], spec.Host64())
	}
	return h, 0
}

// utimensat is utimensat or i386's utimensat_time64 (t64).
func (t *Thread) utimensat(a *[6]uint64, t64 bool) int64 {
	flags := uintptr(uint32(a[3]))
	if flags&^(atSymlinkNoFollow|atEmptyPath) != 0 {
		return -abi.EINVAL
	}
	var s string
	if a[1] != 0 {
		var e int64
		if s, e = t.readPath(a[1]); e != 0 {
			return e
		}
	}
	var ts []byte
	if a[2] != 0 {
		var e int64
		if ts, e = t.timespecs(a[2], 2, t64); e != 0 {
			return e
		}
	}
	if a[1] == 0 || s == "" && flags&atEmptyPath != 0 {
		// The guest's descriptor itself.
		var path []byte
		if a[1] != 0 {
			path = emptyPath
		}
		dirfd := t.dirget(a[0])
		defer t.fput(dirfd)
		return host(syscall.SYS_UTIMENSAT, dirfd, uintptr(ptr(path)), uintptr(ptr(ts)), flags)
	}
	return t.onPath(a[0], s, flags&atSymlinkNoFollow != 0, func(_ uintptr, kpath []byte) int64 {
		return host(syscall.SYS_UTIMENSAT, atFDCWD, uintptr(ptr(kpath)), uintptr(ptr(ts)), 0)
	})
}

// sysUtimes serves utimes (two timevals) and utime (struct utimbuf: two
// longs of seconds: utimbuf) through utimensat.
func (t *Thread) utimes(a *[6]uint64, utimbuf bool) int64 {
	var ts []byte
	if a[1] != 0 {
		n := 4
		if utimbuf {
			n = 2
		}
		g, e := t.readMem(a[1], n*int(t.w))
		if e != 0 {
			return e
		}
		ts = hbuf(32)
		for i := 0; i < 2; i++ {
			var spec abi.Timespec
			if n == 2 {
				spec.Sec = t.w.GetSigned(g, i)
			} else {
				spec = abi.DecodeTimespec(t.w, g[i*2*int(t.w):])
				if spec.Nsec < 0 || spec.Nsec >= 1000000 {
					return -abi.EINVAL
				}
				spec.Nsec *= 1000
			}
			copy(ts[16*i:], spec.Host64())
		}
	}
	return t.onPathArg(cwdArg, a[0], false, func(_ uintptr, kpath []byte) int64 {
		return host(syscall.SYS_UTIMENSAT, atFDCWD, uintptr(ptr(kpath)), uintptr(ptr(ts)), 0)
	})
}

// pollFDs translates the descriptors of a pollfd array (fd, events,
// revents: 8 bytes each) in place to host descriptors, held; a descriptor
// the guest does not have becomes badHostFD, which the host reports as
// POLLNVAL, as Linux does for the guest's. It returns the guest's numbers
// and the held host descriptors for pollDone.
func (p *Process) pollFDs(fds []byte) (guest []int32, held []int) {
	guest = make([]int32, len(fds)/8)
	for i := range guest {
		fd := int32(le32(fds[8*i:]))
		guest[i] = fd
		if fd < 0 {
			continue // ignored, as by Linux
		}
		h := badHostFD
		if e, ok := p.fds.hold(int64(fd)); ok {
			h = e.host
			held = append(held, h)
		}
		putLE32(fds[8*i:], uint32(h))
	}
	return guest, held
}

// pollDone puts the guest's numbers back and releases the descriptors.
func (p *Process) pollDone(fds []byte, guest []int32, held []int) {
	for i, fd := range guest {
		putLE32(fds[8*i:], uint32(fd))
	}
	for _, h := range held {
		p.putHost(h)
	}
}

func sysPoll(t *Thread, a *[6]uint64) int64 {
	n := uint64(uint32(a[1]))
	if n > 65536 {
		return -abi.EINVAL
	}
	fds, e := t.readMem(a[0], int(n)*8)
	if e != 0 {
		return e
	}
	guest, held := t.pollFDs(fds)
	left := msLeft(int32(a[2]))
	r := t.resumeWait(func() int64 {
		return host(syscall.SYS_POLL, uintptr(ptr(fds)), uintptr(n), uintptr(left()))
	})
	t.pollDone(fds, guest, held)
	if r < 0 {
		return r
	}
	if e := t.writeMem(a[0], fds); e != 0 {
		return e
	}
	return r
}

// ppoll is ppoll or i386's ppoll_time64 (t64).
func (t *Thread) ppoll(a *[6]uint64, t64 bool) (r int64) {
	defer func() { r = t.endWaitMask(r) }()
	n := uint64(uint32(a[1]))
	if n > 65536 {
		return -abi.EINVAL
	}
	fds, e := t.readMem(a[0], int(n)*8)
	if e != 0 {
		return e
	}
	var ts []byte
	if a[2] != 0 {
		if ts, e = t.timespecs(a[2], 1, t64); e != 0 {
			return e
		}
	}
	if e := t.setWaitMask(a[3], t.ulong(a[4])); e != 0 {
		return e
	}
	guest, held := t.pollFDs(fds)
	if t.waitInterrupted() {
		// A signal the mask unblocks is pending: descriptors ready
		// now, else EINTR even for a zero timeout, as do_poll decides.
		r = host(syscall.SYS_PPOLL, uintptr(ptr(fds)), uintptr(n), uintptr(ptr(hbuf(16))), 0, 8)
		if r == 0 {
			r = -abi.EINTR
		}
	} else {
		r = t.resumeWait(func() int64 { // the host leaves the time left in ts
			return host(syscall.SYS_PPOLL, uintptr(ptr(fds)), uintptr(n), uintptr(ptr(ts)), 0, 8)
		})
	}
	t.pollDone(fds, guest, held)
	if r < 0 {
		return r
	}
	if e := t.writeMem(a[0], fds); e != 0 {
		return e
	}
	if ts != nil {
		t.putTimespec(a[2], abi.DecodeTimespec(8, ts), t64)
	}
	return r
}

// putTimespec stores a timespec in the guest's layout (64-bit fields for
// the *_time64 calls).
func (t *Thread) putTimespec(addr uint64, spec abi.Timespec, t64 bool) int64 {
	w := t.w
	if t64 {
		w = 8
	}
	if !spec.FitsLong(w) {
		return -abi.EOVERFLOW
	}
	return t.writeMem(addr, w.Encode(uint64(spec.Sec), uint64(spec.Nsec)))
}

// sysFadvise: advice changes nothing gemu's guest can observe; the
// descriptor must be the guest's.
func sysFadvise(t *Thread, a *[6]uint64) int64 {
	if _, ok := t.fds.lookup(sint(a[0])); !ok {
		return -abi.EBADF
	}
	return 0
}

// selectCall is the variant of select being served.
type selectCall struct {
	block   bool // i386's old select: one pointer to its five arguments
	pselect bool // pselect6: a timespec and a signal mask argument
	time64  bool // i386's pselect6_time64: a 64-bit timespec
}

// selectWait serves select, _newselect, i386's old select (one pointer to
// its five arguments) and pselect6. The guest's fd_sets (arrays of longs:
// bit fd of the little-endian array is descriptor fd) name guest
// descriptors; the host's sets name the host descriptors they stand for,
// and the results are mapped back.
func (t *Thread) selectWait(a *[6]uint64, k selectCall) (r int64) {
	defer func() { r = t.endWaitMask(r) }()
	args := *a
	if k.block {
		b, e := t.readMem(a[0], 20)
		if e != 0 {
			return e
		}
		for i := 0; i < 5; i++ {
			args[i] = uint64(le32(b[4*i:]))
		}
	}
	n := sint(args[0])
	if n < 0 || n > 65536 {
		return -abi.EINVAL
	}
	gsize := abi.FdSetBytes(t.w, int(n))
	var gsets [3][]byte
	for i := 0; i < 3; i++ {
		if args[1+i] == 0 {
			continue
		}
		g, e := t.readMem(args[1+i], gsize)
		if e != 0 {
			return e
		}
		gsets[i] = g
	}
	pairs, e := t.selectFDs(gsets, int(n))
	if e != 0 {
		return e
	}
	hn := 0
	for _, pr := range pairs {
		hn = max(hn, pr[1]+1)
	}
	hsize := abi.FdSetBytes(8, hn)
	var sets [3][]byte
	for i := range gsets {
		if gsets[i] == nil {
			continue
		}
		sets[i] = hbuf(max(hsize, 8))
		for _, pr := range pairs {
			if bitSet(gsets[i], pr[0]) {
				sets[i][pr[1]/8] |= 1 << (pr[1] % 8)
			}
		}
	}
	pselect, t64 := k.pselect, k.time64
	var tb []byte
	if args[4] != 0 {
		if pselect {
			var e int64
			if tb, e = t.timespecs(args[4], 1, t64); e != 0 {
				return e
			}
		} else {
			g, e := t.readMem(args[4], 2*int(t.w))
			if e != 0 {
				return e
			}
			tb = hbuf(16)
			copy(tb, abi.DecodeTimespec(t.w, g).Host64())
		}
	}
	if pselect && args[5] != 0 {
		g, e := t.readMem(args[5], 2*int(t.w))
		if e != 0 {
			return e
		}
		if e := t.setWaitMask(t.w.Get(g, 0), t.w.Get(g, 1)); e != 0 {
			return e
		}
	}
	if t.waitInterrupted() {
		// A signal the mask unblocks is pending: descriptors ready
		// now, else EINTR even for a zero timeout, as do_select decides.
		r = host(syscall.SYS_PSELECT6, uintptr(hn), uintptr(ptr(sets[0])), uintptr(ptr(sets[1])), uintptr(ptr(sets[2])), uintptr(ptr(hbuf(16))), 0)
		if r == 0 {
			r = -abi.EINTR
		}
	} else {
		r = t.resumeWait(func() int64 { // the host leaves the time left in tb
			if pselect {
				return host(syscall.SYS_PSELECT6, uintptr(hn), uintptr(ptr(sets[0])), uintptr(ptr(sets[1])), uintptr(ptr(sets[2])), uintptr(ptr(tb)), 0)
			}
			return host(syscall.SYS_SELECT, uintptr(hn), uintptr(ptr(sets[0])), uintptr(ptr(sets[1])), uintptr(ptr(sets[2])), uintptr(ptr(tb)))
		})
	}
	for _, pr := range pairs {
		t.putHost(pr[1])
	}
	if r < 0 {
		return r
	}
	// Two guest descriptors may stand for one host descriptor: count the
	// guest's bits.
	r = 0
	for i := 0; i < 3; i++ {
		if gsets[i] == nil {
			continue
		}
		out := make([]byte, gsize)
		for _, pr := range pairs {
			if bitSet(gsets[i], pr[0]) && bitSet(sets[i], pr[1]) {
				out[pr[0]/8] |= 1 << (pr[0] % 8)
				r++
			}
		}
		if e := t.writeMem(args[1+i], out); e != 0 {
			return e
		}
	}
	if tb != nil {
		spec := abi.DecodeTimespec(8, tb)
		if pselect {
			t.putTimespec(args[4], spec, t64)
		} else {
			t.writeMem(args[4], t.w.Encode(uint64(spec.Sec), uint64(spec.Nsec)))
		}
	}
	return r
}

// selectFDs returns the guest descriptors below n that are in any of the
// sets with their host descriptors, held: EBADF if one is not open (within
// the size of the table Linux would have).
func (p *Process) selectFDs(sets [3][]byte, n int) ([][2]int, int64) {
	var pairs [][2]int
	// Like Linux, ignore descriptors beyond the table's size.
	for fd := 0; fd < min(n, p.fds.capacity()); fd++ {
		if !bitSet(sets[0], fd) && !bitSet(sets[1], fd) && !bitSet(sets[2], fd) {
			continue
		}
		e, ok := p.fds.hold(int64(fd))
		if !ok {
			for _, pr := range pairs {
				p.putHost(pr[1])
			}
			return nil, -abi.EBADF
		}
		pairs = append(pairs, [2]int{fd, e.host})
	}
	return pairs, 0
}

// bitSet reports whether bit i of a little-endian bit array is set.
func bitSet(b []byte, i int) bool { return i/8 < len(b) && b[i/8]&(1<<(i%8)) != 0 }

// sendfile is sendfile64, or i386's sendfile (off32: a 32-bit offset).
func (t *Thread) sendfile(a *[6]uint64, off32 bool) int64 {
	out, e := t.fget(a[0])
	if e != 0 {
		return e
	}
	defer t.fput(out)
	in, e := t.fget(a[1])
	if e != 0 {
		return e
	}
	defer t.fput(in)
	count := t.ulong(a[3])
	if a[2] == 0 {
		r := host(syscall.SYS_SENDFILE, out, in, 0, uintptr(min(count, maxRW)))
		if r == -abi.EPIPE {
			t.sigpipe()
		}
		return r
	}
	size := 8
	if off32 {
		size = 4
	}
	g, e := t.readMem(a[2], size)
	if e != 0 {
		return e
	}
	off := hbuf(8)
	if size == 4 {
		putLE64(off, uint64(int64(int32(le32(g)))))
	} else {
		copy(off, g)
	}
	r := host(syscall.SYS_SENDFILE, out, in, uintptr(ptr(off)), uintptr(min(count, maxRW)))
	if r == -abi.EPIPE {
		t.sigpipe()
	}
	if r < 0 {
		return r
	}
	if e := t.writeMem(a[2], off[:size]); e != 0 {
		return e
	}
	return r
}

// atFDCWD is AT_FDCWD as a host system call argument.
var atFDCWD = func() uintptr { v := int64(abi.AT_FDCWD); return uintptr(v) }()
