package linux

import (
	"encoding/binary"
	"runtime"
	"syscall"
	"unsafe"

	"gemu/internal/linux/abi"
)

// Moving data between descriptors in the kernel: splice, tee, vmsplice
// and copy_file_range. The descriptors are the host's standing for the
// guest's; the loff_t offsets (8 bytes in both ABIs) are copied in and
// out; vmsplice's guest iovecs go through memory of gemu's own.

func init() {
	reg(sysSplice, "splice")
	reg(sysTee, "tee")
	reg(sysVmsplice, "vmsplice")
	reg(sysCopyFileRange, "copy_file_range")
}

const (
	sysCopyFileRangeHost = 326
	spliceFGift          = 8
	spliceFAll           = 0xf
	// vmspliceMax bounds what one vmsplice moves through gemu's memory
	// (a pipe holds at most 1 MiB by default anyway; a shorter count is
	// a result the guest must expect from a pipe).
	vmspliceMax = 1 << 20
	// unmappedHostAddr is a host address never mapped (below
	// mmap_min_addr): handed to the host for a guest pointer gemu could
	// not read, so the host fails with EFAULT exactly where the kernel
	// would have touched the guest's pointer, after its other checks.
	unmappedHostAddr = 8
)

// offsetArg is an optional loff_t pointer argument: its host copy (nil
// for a null guest pointer, which the host gets as null).
type offsetArg struct {
	guest uint64
	buf   []byte
	bad   bool // the guest's pointer cannot be read
}

func (t *Thread) offsetIn(addr uint64) offsetArg {
	o := offsetArg{guest: addr}
	if addr == 0 {
		return o
	}
	b, e := t.readMem(addr, 8)
	if e != 0 {
		o.bad = true
		return o
	}
	o.buf = hbuf(8)
	copy(o.buf, b)
	return o
}

// arg is the host argument for o: null, its host copy's address, or an
// address the host cannot read. The copy is heap memory, which does not
// move; the caller keeps it alive across the host call with
// runtime.KeepAlive(o).
func (o *offsetArg) arg() uintptr {
	switch {
	case o.buf != nil:
		return uintptr(unsafe.Pointer(&o.buf[0]))
	case o.bad:
		return unmappedHostAddr
	}
	return 0
}

// offsetOut stores the offset the host left back in the guest's loff_t.
func (t *Thread) offsetOut(o *offsetArg) int64 {
	if o.buf == nil {
		return 0
	}
	return t.writeMem(o.guest, o.buf)
}

// sysSplice is splice(fd_in, off_in, fd_out, off_out, len, flags).
func sysSplice(t *Thread, a *[6]uint64) int64 { return t.moveBetween(syscall.SYS_SPLICE, a) }

// moveBetween is a host call nr(fd_in, off_in, fd_out, off_out, len,
// flags) that moves bytes between two descriptors, with the offsets read
// from and stored back to the guest's loff_t (splice, copy_file_range).
func (t *Thread) moveBetween(nr uintptr, a *[6]uint64) int64 {
	in, e := t.fget(a[0])
	if e != 0 {
		return e
	}
	defer t.fput(in)
	out, e := t.fget(a[2])
	if e != 0 {
		return e
	}
	defer t.fput(out)
	offIn, offOut := t.offsetIn(a[1]), t.offsetIn(a[3])
	r := host(nr, in, offIn.arg(), out, offOut.arg(), uintptr(t.ulong(a[4])), uintptr(uint32(a[5])))
	runtime.KeepAlive(&offIn)
	runtime.KeepAlive(&offOut)
	return t.moved(r, &offIn, &offOut)
}

// moved finishes a call that moved r bytes with offsets: SIGPIPE for
// EPIPE as a write raises it, and the offsets stored back.
func (t *Thread) moved(r int64, offs ...*offsetArg) int64 {
	if r == -abi.EPIPE {
		t.sigpipe()
	}
	if r < 0 {
		return r
	}
	for _, o := range offs {
		if e := t.offsetOut(o); e != 0 {
			return e
		}
	}
	return r
}

// sysTee is tee(fd_in, fd_out, len, flags).
func sysTee(t *Thread, a *[6]uint64) int64 {
	in, e := t.fget(a[0])
	if e != 0 {
		return e
	}
	defer t.fput(in)
	out, e := t.fget(a[1])
	if e != 0 {
		return e
	}
	defer t.fput(out)
	return t.moved(host(syscall.SYS_TEE, in, out, uintptr(t.ulong(a[2])), uintptr(uint32(a[3]))))
}

// sysCopyFileRange is copy_file_range(fd_in, off_in, fd_out, off_out,
// len, flags).
func sysCopyFileRange(t *Thread, a *[6]uint64) int64 {
	return t.moveBetween(sysCopyFileRangeHost, a)
}

// sysVmsplice is vmsplice(fd, iov, nr_segs, flags). Into a pipe (a
// descriptor open for writing) the guest's bytes are gathered into
// memory gemu maps for the call and spliced from there: the pipe may keep
// references to those pages (SPLICE_F_GIFT is dropped, so it never takes
// them over), which is why they are not Go memory, and unmapping them
// after the call leaves the pipe's references valid. Out of a pipe the
// host copies into such memory and gemu scatters it to the iovecs.
func sysVmsplice(t *Thread, a *[6]uint64) int64 {
	flags := uint32(a[3])
	if flags&^spliceFAll != 0 {
		return -abi.EINVAL
	}
	fd, e := t.fget(a[0])
	if e != 0 {
		return e
	}
	defer t.fput(fd)
	fl := host(syscall.SYS_FCNTL, fd, syscall.F_GETFL)
	if fl < 0 {
		return fl
	}
	toPipe := fl&syscall.O_ACCMODE != syscall.O_RDONLY
	iov, e := t.iovecs(a[1], int64(min(t.ulong(a[2]), iovMax+1)))
	if e != 0 {
		return e
	}
	var total uint64
	for _, v := range iov {
		if int64(v[1]) < 0 || t.w == 4 && int32(v[1]) < 0 {
			return -abi.EINVAL
		}
		total += v[1]
	}
	total = min(total, vmspliceMax)
	if total == 0 {
		return 0
	}
	m, err := syscall.Mmap(-1, 0, int(total), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANONYMOUS)
	if err != nil {
		return -abi.ENOMEM
	}
	defer syscall.Munmap(m)
	hiov := hbuf(16)
	if toPipe {
		n := 0
		for _, v := range iov {
			k := int(min(v[1], uint64(len(m)-n)))
			if k == 0 {
				continue
			}
			if t.Mem.Read(v[0], m[n:n+k]) != nil {
				break // a short splice of what could be read, EFAULT for none
			}
			n += k
			if n == len(m) {
				break
			}
		}
		if n == 0 {
			return -abi.EFAULT
		}
		binary.LittleEndian.PutUint64(hiov, uint64(uintptr(unsafe.Pointer(&m[0]))))
		binary.LittleEndian.PutUint64(hiov[8:], uint64(n))
		return t.moved(host(syscall.SYS_VMSPLICE, fd, uintptr(ptr(hiov)), 1, uintptr(flags&^spliceFGift)))
	}
	binary.LittleEndian.PutUint64(hiov, uint64(uintptr(unsafe.Pointer(&m[0]))))
	binary.LittleEndian.PutUint64(hiov[8:], total)
	r := host(syscall.SYS_VMSPLICE, fd, uintptr(ptr(hiov)), 1, uintptr(flags))
	if r <= 0 {
		return r
	}
	off := 0
	for _, v := range iov {
		if off == int(r) {
			break
		}
		k := min(int(v[1]), int(r)-off)
		if e := t.writeMem(v[0], m[off:off+k]); e != 0 {
			if off == 0 {
				return e
			}
			return int64(off)
		}
		off += k
	}
	return r
}
