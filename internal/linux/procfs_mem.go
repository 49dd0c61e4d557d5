package linux

import (
	"gemu/internal/linux/abi"
)

// Descriptors that gemu serves itself: /proc/self/mem, whose reads and
// writes address the guest's memory, and a writable /proc/self/comm,
// whose writes rename the guest. Each is backed by a host descriptor (an
// anonymous file, see replaceWithMemfd) so that fstat, fcntl, poll and
// close behave as for any file; the calls that move data or the offset
// are served here. The object is the guest's descriptor table entry's
// (fdtable.go): a dup shares it, and with it the offset, as a dup shares
// the open file.

// procFile is a descriptor gemu serves.
type procFile struct {
	mem bool // /proc/self/mem; else a writable /proc/self/comm
	// peer is the memory of another process's mem file: a peer gemu's
	// guest (peer.go); nil for the guest's own.
	peer memTarget
	acc  int    // O_RDONLY, O_WRONLY or O_RDWR
	pos  uint64 // mem's offset: a guest address
}

// kind is fdKindHost: a forked or exec'd gemu gets the backing anonymous
// file as a plain descriptor.
func (f *procFile) kind() int { return fdKindHost }

// served returns the file gemu serves for guest descriptor fd, or nil.
func (p *Process) served(fd int) *procFile {
	e, ok := p.fds.lookup(int64(fd))
	if !ok {
		return nil
	}
	f, _ := e.file.(*procFile)
	return f
}

// emuOp is a system call that may act on a descriptor gemu serves.
type emuOp int

const (
	emuRead emuOp = iota
	emuWrite
	emuPread
	emuPwrite
	emuReadv
	emuWritev
	emuPreadv
	emuPwritev
	emuLseek
	emuLlseek
	emuMmap  // mmap on x86-64 (i386's mmap takes an argument block)
	emuMmap2 // mmap2
)

// reading reports whether op reads the file.
func (op emuOp) reading() bool {
	return op == emuRead || op == emuPread || op == emuReadv || op == emuPreadv
}

// served wraps the handler fn of system call op so that a call on a
// descriptor gemu serves itself is served by emuCall instead.
func served(op emuOp, fn sysFn) sysFn {
	return func(t *Thread, a *[6]uint64) int64 {
		if r, ok := t.emuCall(op, a); ok {
			return r
		}
		return fn(t, a)
	}
}

// emuCall serves system call op on a descriptor gemu serves itself, before
// its ordinary handler; ok is false when the descriptor is not one. close,
// dup and fcntl need nothing here: the served file is the descriptor table
// entry's, which dups share (and with it the offset).
func (t *Thread) emuCall(op emuOp, a *[6]uint64) (r int64, ok bool) {
	switch op {
	case emuMmap, emuMmap2:
		// The kernel's mem file cannot be mapped.
		if op == emuMmap && t.w == 4 || a[3]&abi.MAP_ANONYMOUS != 0 || t.served(int(sint(a[4]))) == nil {
			return 0, false
		}
		return -enodev, true
	}
	if r, ok := t.signalfdCall(op, a); ok {
		return r, true
	}
	f := t.served(int(sint(a[0])))
	if f == nil {
		return 0, false
	}
	if !f.mem {
		// comm: reads see the snapshot taken at open; writes rename.
		switch op {
		case emuWrite, emuPwrite:
			b, e := t.readMem(a[1], int(min(t.ulong(a[2]), 15)))
			if e != 0 {
				return e, true
			}
			t.setComm(b)
			return int64(t.ulong(a[2])), true
		case emuWritev, emuPwritev:
			iov, e := t.iovecs(a[1], sint(a[2]))
			if e != 0 {
				return e, true
			}
			var total int64
			for _, v := range iov {
				if v[1] == 0 {
					continue
				}
				b, e := t.readMem(v[0], int(min(v[1], 15)))
				if e != 0 {
					return e, true
				}
				t.setComm(b)
				total += int64(v[1])
			}
			return total, true
		}
		return 0, false
	}
	reading := op.reading()
	switch op {
	case emuRead, emuWrite, emuPread, emuPwrite, emuReadv, emuWritev, emuPreadv, emuPwritev:
		if reading && f.acc == abi.O_WRONLY || !reading && f.acc == abi.O_RDONLY {
			return -abi.EBADF, true
		}
	}
	switch op {
	case emuRead, emuWrite:
		r, f.pos = t.memRW(f, f.pos, a[1], t.ulong(a[2]), !reading)
		return r, true
	case emuPread, emuPwrite:
		off := t.offset64(a, 3)
		if off < 0 {
			return -abi.EINVAL, true
		}
		r, _ = t.memRW(f, uint64(off), a[1], t.ulong(a[2]), !reading)
		return r, true
	case emuReadv, emuWritev:
		iov, e := t.iovecs(a[1], sint(a[2]))
		if e != 0 {
			return e, true
		}
		r, f.pos = t.memRWv(f, f.pos, iov, !reading)
		return r, true
	case emuPreadv, emuPwritev:
		off := t.vecOffset(a)
		if off < 0 {
			return -abi.EINVAL, true
		}
		iov, e := t.iovecs(a[1], sint(a[2]))
		if e != 0 {
			return e, true
		}
		r, _ = t.memRWv(f, uint64(off), iov, !reading)
		return r, true
	case emuLseek:
		if !f.seek(uint64(t.slong(a[1])), uint32(a[2])) {
			return -abi.EINVAL, true
		}
		// Linux returns any offset of this file, even one that looks
		// negative.
		return int64(f.pos), true
	case emuLlseek:
		if !f.seek(a[1]<<32|a[2]&0xffffffff, uint32(a[4])) {
			return -abi.EINVAL, true
		}
		if int64(f.pos) < 0 {
			return int64(int32(f.pos)), true
		}
		b := make([]byte, 8)
		putLE64(b, f.pos)
		return t.writeMem(a[3], b), true
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

// memRW moves up to n bytes between the memory of the mem file's process
// at addr and the guest buffer buf, as a read or write of /proc/N/mem:
// page by page, stopping at the first inaccessible page (EIO if it is the
// first); any mapped page is accessible, whatever its protection (a
// debugger's access, accessMem). It returns the result and the address
// after the last byte moved. A peer that is gone (its process ended or
// exec'd) reads and writes nothing, as a mem file whose memory is gone.
func (p *Process) memRW(f *procFile, addr, buf, n uint64, write bool) (int64, uint64) {
	var t memTarget = selfTarget{p}
	if f.peer != nil {
		t = f.peer
	}
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
		moved := t.access(addr, b, write, true)
		if moved < 0 {
			return 0, addr
		}
		if moved == 0 {
			if done == 0 {
				return -abi.EIO, addr
			}
			break
		}
		if !write {
			if err := p.Mem.Write(buf+done, b[:moved]); err != nil {
				return -abi.EFAULT, addr
			}
		}
		done += uint64(moved)
		addr += uint64(moved)
		if uint64(moved) < k {
			break
		}
	}
	return int64(done), addr
}

// memRWv is readv/writev on /proc/self/mem: each iovec in turn, as the
// kernel does for a file without vectored operations, stopping at the
// first short transfer.
func (p *Process) memRWv(f *procFile, addr uint64, iov [][2]uint64, write bool) (int64, uint64) {
	var total int64
	for _, v := range iov {
		if v[1] == 0 {
			continue
		}
		r, next := p.memRW(f, addr, v[0], v[1], write)
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
