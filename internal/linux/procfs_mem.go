package linux

import (
	"syscall"

	"gemu/internal/linux/abi"
)

// Descriptors that gemu serves itself: /proc/self/mem, whose reads and
// writes address the guest's memory, and a writable /proc/self/comm,
// whose writes rename the guest. Each is backed by a host descriptor (an
// anonymous file, see replaceWithMemfd) so that fstat, fcntl, poll and
// close behave as for any file; the calls that move data or the offset
// are served here, keyed by the guest's descriptor number. A dup shares
// the object, and with it the offset, as a dup shares the open file.

// procFile is a descriptor gemu serves.
type procFile struct {
	mem bool   // /proc/self/mem; else a writable /proc/self/comm
	acc int    // O_RDONLY, O_WRONLY or O_RDWR
	pos uint64 // mem's offset: a guest address
	ino uint64 // the backing anonymous file's inode
}

// setEmu makes fd a served descriptor.
func (p *Process) setEmu(fd int, f *procFile) {
	if f.ino == 0 {
		var st syscall.Stat_t
		if syscall.Fstat(fd, &st) != nil {
			return
		}
		f.ino = st.Ino
	}
	if p.proc.emu == nil {
		p.proc.emu = map[int]*procFile{}
	}
	p.proc.emu[fd] = f
}

// served returns fd's served object, or nil. An entry whose number has
// since been closed or reused by a path gemu does not watch (close_range,
// execve) is dropped: the descriptor no longer holds its anonymous file.
func (p *Process) served(fd int) *procFile {
	f := p.proc.emu[fd]
	if f == nil {
		return nil
	}
	var st syscall.Stat_t
	if syscall.Fstat(fd, &st) != nil || st.Ino != f.ino {
		delete(p.proc.emu, fd)
		return nil
	}
	return f
}

// emuCall serves a system call on a descriptor gemu serves itself, before
// its ordinary handler; ok is false when the call is not one.
func (p *Process) emuCall(a *[6]uint64) (r int64, ok bool) {
	if len(p.proc.emu) == 0 {
		return 0, false
	}
	fd := int(sint(a[0]))
	f := p.served(fd)
	switch p.curName {
	case "mmap", "mmap2":
		// The kernel's mem file cannot be mapped.
		if p.curName == "mmap" && p.w == 4 || p.served(int(sint(a[4]))) == nil {
			return 0, false
		}
		return -enodev, true
	case "close":
		if f == nil {
			return 0, false
		}
		r = host(syscall.SYS_CLOSE, uintptr(fd))
		if r == 0 {
			delete(p.proc.emu, fd)
		}
		return r, true
	case "dup", "dup2", "dup3", "fcntl", "fcntl64":
		return p.emuDup(f, fd, a)
	}
	if f == nil {
		return 0, false
	}
	if !f.mem {
		// comm: reads see the snapshot taken at open; writes rename.
		switch p.curName {
		case "write", "pwrite64":
			b, e := p.readMem(a[1], int(min(p.ulong(a[2]), 15)))
			if e != 0 {
				return e, true
			}
			p.setComm(b)
			return int64(p.ulong(a[2])), true
		case "writev", "pwritev":
			iov, e := p.iovecs(a[1], sint(a[2]))
			if e != 0 {
				return e, true
			}
			var total int64
			for _, v := range iov {
				if v[1] == 0 {
					continue
				}
				b, e := p.readMem(v[0], int(min(v[1], 15)))
				if e != 0 {
					return e, true
				}
				p.setComm(b)
				total += int64(v[1])
			}
			return total, true
		}
		return 0, false
	}
	reading := p.curName == "read" || p.curName == "pread64" || p.curName == "readv" || p.curName == "preadv"
	switch p.curName {
	case "read", "write", "pread64", "pwrite64", "readv", "writev", "preadv", "pwritev":
		if reading && f.acc == abi.O_WRONLY || !reading && f.acc == abi.O_RDONLY {
			return -abi.EBADF, true
		}
	}
	switch p.curName {
	case "read", "write":
		r, f.pos = p.memRW(f.pos, a[1], p.ulong(a[2]), !reading)
		return r, true
	case "pread64", "pwrite64":
		off := p.offset64(a, 3)
		if off < 0 {
			return -abi.EINVAL, true
		}
		r, _ = p.memRW(uint64(off), a[1], p.ulong(a[2]), !reading)
		return r, true
	case "readv", "writev":
		iov, e := p.iovecs(a[1], sint(a[2]))
		if e != 0 {
			return e, true
		}
		r, f.pos = p.memRWv(f.pos, iov, !reading)
		return r, true
	case "preadv", "pwritev":
		off := p.vecOffset(a)
		if off < 0 {
			return -abi.EINVAL, true
		}
		iov, e := p.iovecs(a[1], sint(a[2]))
		if e != 0 {
			return e, true
		}
		r, _ = p.memRWv(uint64(off), iov, !reading)
		return r, true
	case "lseek":
		if !f.seek(uint64(p.slong(a[1])), uint32(a[2])) {
			return -abi.EINVAL, true
		}
		// Linux returns any offset of this file, even one that looks
		// negative.
		return int64(f.pos), true
	case "_llseek":
		if !f.seek(a[1]<<32|a[2]&0xffffffff, uint32(a[4])) {
			return -abi.EINVAL, true
		}
		if int64(f.pos) < 0 {
			return int64(int32(f.pos)), true
		}
		b := make([]byte, 8)
		putLE64(b, f.pos)
		return p.writeMem(a[3], b), true
	}
	return 0, false
}

// seek moves mem's offset as the kernel's mem_lseek: SEEK_SET and
// SEEK_CUR only, with no bound.
func (f *procFile) seek(off uint64, whence uint32) bool {
	switch whence {
	case 0:
		f.pos = off
	case 1:
		f.pos += off
	default:
		return false
	}
	return true
}

// emuDup serves dup, dup2, dup3 and fcntl's F_DUPFD(_CLOEXEC) when the
// source or the target is a served descriptor: the host duplicates the
// backing descriptor and the new number shares the served object.
func (p *Process) emuDup(f *procFile, fd int, a *[6]uint64) (int64, bool) {
	var r int64
	switch p.curName {
	case "dup":
		if f == nil {
			return 0, false
		}
		r = host(syscall.SYS_DUP, uintptr(fd))
	case "dup2", "dup3":
		nfd := int(sint(a[1]))
		if f == nil && p.served(nfd) == nil {
			return 0, false
		}
		if p.curName == "dup2" {
			r = host(syscall.SYS_DUP2, uintptr(fd), uintptr(nfd))
		} else {
			r = host(syscall.SYS_DUP3, uintptr(fd), uintptr(nfd), uintptr(uint32(a[2])))
		}
		if r >= 0 && nfd != fd {
			delete(p.proc.emu, nfd)
		}
	default: // fcntl
		cmd := sint(a[1])
		if f == nil || cmd != 0 && cmd != 1030 { // F_DUPFD, F_DUPFD_CLOEXEC
			return 0, false
		}
		r = host(syscall.SYS_FCNTL, uintptr(fd), uintptr(cmd), uintptr(p.ulong(a[2])))
	}
	if r >= 0 && f != nil {
		p.setEmu(int(r), f)
	}
	return r, true
}

// memAccessible reports whether the guest page holding addr can be read
// or written through /proc/self/mem: mapped, whatever its protection (a
// debugger's access), but not a file mapping's page past the end of its
// file, which has nothing behind it.
func (p *Process) memAccessible(addr uint64) bool {
	if addr >= p.Mem.Limit {
		return false
	}
	_, ok := p.Mem.PermAt(addr)
	return ok && !p.isBusPage(addr)
}

// memRW moves up to n bytes between the guest's memory at addr and the
// guest buffer buf, as a read or write of /proc/self/mem: page by page,
// stopping at the first inaccessible page (EIO if it is the first). A
// write goes through the address space's Poke, so it lands on read-only
// pages too and invalidates translated code on the pages it changes, as
// a guest store would. It returns the result and the address after the
// last byte moved.
func (p *Process) memRW(addr, buf, n uint64, write bool) (int64, uint64) {
	n = min(n, maxRW)
	var done uint64
	var page [pageSize]byte
	for done < n {
		k := min(n-done, pageSize-addr&(pageSize-1))
		b := page[:k]
		if write {
			if err := p.Mem.Read(buf+done, b); err != nil {
				return -abi.EFAULT, addr
			}
		}
		if !p.memAccessible(addr) {
			if done == 0 {
				return -abi.EIO, addr
			}
			break
		}
		if write {
			p.Mem.Poke(addr, b)
		} else {
			p.Mem.Peek(addr, b)
			if err := p.Mem.Write(buf+done, b); err != nil {
				return -abi.EFAULT, addr
			}
		}
		done += k
		addr += k
	}
	return int64(done), addr
}

// memRWv is readv/writev on /proc/self/mem: each iovec in turn, as the
// kernel does for a file without vectored operations, stopping at the
// first short transfer.
func (p *Process) memRWv(addr uint64, iov [][2]uint64, write bool) (int64, uint64) {
	var total int64
	for _, v := range iov {
		if v[1] == 0 {
			continue
		}
		r, next := p.memRW(addr, v[0], v[1], write)
		if r < 0 {
			if total == 0 {
				return r, addr
			}
			break
		}
		total += r
		addr = next
		if uint64(r) < v[1] {
			break
		}
	}
	return total, addr
}

// enodev is ENODEV: what mmap of a file that cannot be mapped fails with.
const enodev = 19
