package linux

import (
	"syscall"

	"gemu/internal/linux/abi"
)

// Files and memory: memfd_create, flock, fallocate, readahead, the sync
// family, mknod/mknodat, futimesat, name_to_handle_at/open_by_handle_at
// and membarrier. Each is the host's call on the host descriptors and
// resolved paths standing for the guest's; i386's 64-bit offsets come in
// register pairs (offset64), and its timevals have 32-bit fields.

func init() {
	reg(sysMemfdCreate, "memfd_create")
	reg(sysFlock, "flock")
	reg(sysFallocate, "fallocate")
	reg(sysReadahead, "readahead")
	reg(func(t *Thread, a *[6]uint64) int64 { return host(syscall.SYS_SYNC) }, "sync")
	reg(sysFD1(sysSyncfs), "syncfs")
	reg(sysSyncFileRange, "sync_file_range")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.mknodat(cwdArg, a[0], a[1], a[2]) }, "mknod")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.mknodat(a[0], a[1], a[2], a[3]) }, "mknodat")
	reg(sysFutimesat, "futimesat")
	reg(sysNameToHandleAt, "name_to_handle_at")
	reg(sysOpenByHandleAt, "open_by_handle_at")
	reg(sysMembarrier, "membarrier")
}

// Host system call numbers the syscall package lacks.
const (
	sysSyncfs          = 306
	hostNameToHandleAt = 303
	hostOpenByHandleAt = 304
	sysMemfdCreateHost = 319
	sysMembarrierHost  = 324
)

const (
	mfdCloexec = 1
	// mfdNameMax is the longest memfd name (MFD_NAME_MAX_LEN).
	mfdNameMax = 249
	// maxHandleSize is MAX_HANDLE_SZ, the largest file handle.
	maxHandleSize = 128
	atHandleFID   = 0x200
	// atHandleMntIDUnique asks for the 64-bit unique mount id (Linux
	// 6.12), stored in 8 bytes instead of the int.
	atHandleMntIDUnique = 0x1
)

// sysMemfdCreate is memfd_create(name, flags). The name is read as the
// kernel does (EFAULT, EINVAL beyond 249 bytes); the flags (MFD_CLOEXEC,
// MFD_ALLOW_SEALING, MFD_HUGETLB and its sizes, MFD_NOEXEC_SEAL,
// MFD_EXEC) are the host's to check. Seals are fcntl's F_ADD_SEALS and
// F_GET_SEALS, passed on as they are.
func sysMemfdCreate(t *Thread, a *[6]uint64) int64 {
	name, err := t.Mem.ReadString(a[0], mfdNameMax+1)
	if err != nil {
		return -abi.EFAULT
	}
	if len(name) > mfdNameMax {
		return -abi.EINVAL
	}
	flags := uint32(a[1])
	fd, e := t.reserveFD()
	if e != 0 {
		return e
	}
	r := host(sysMemfdCreateHost, uintptr(ptr(cstr(name))), uintptr(flags|mfdCloexec))
	return t.fillFD(fd, r, flags&mfdCloexec != 0, nil)
}

func sysFlock(t *Thread, a *[6]uint64) int64 {
	fd, e := t.fget(a[0])
	if e != 0 {
		return e
	}
	defer t.fput(fd)
	return host(syscall.SYS_FLOCK, fd, uintptr(uint32(a[1])))
}

// sysFallocate is fallocate(fd, mode, offset, len); on i386 offset and
// len are register pairs.
func sysFallocate(t *Thread, a *[6]uint64) int64 {
	off, n := t.offset64(a, 2), int64(a[3])
	if t.w == 4 {
		n = t.offset64(a, 4)
	}
	fd, e := t.fget(a[0])
	if e != 0 {
		return e
	}
	defer t.fput(fd)
	return host(syscall.SYS_FALLOCATE, fd, uintptr(uint32(a[1])), uintptr(off), uintptr(n))
}

// sysReadahead is readahead(fd, offset, count); on i386 the offset is a
// register pair.
func sysReadahead(t *Thread, a *[6]uint64) int64 {
	off, count := t.offset64(a, 1), a[2]
	if t.w == 4 {
		count = a[3] & 0xffffffff
	}
	fd, e := t.fget(a[0])
	if e != 0 {
		return e
	}
	defer t.fput(fd)
	return host(syscall.SYS_READAHEAD, fd, uintptr(off), uintptr(count))
}

// sysSyncFileRange is sync_file_range(fd, offset, nbytes, flags); on
// i386 offset and nbytes are register pairs.
func sysSyncFileRange(t *Thread, a *[6]uint64) int64 {
	off, n, flags := t.offset64(a, 1), int64(a[2]), uint32(a[3])
	if t.w == 4 {
		n, flags = t.offset64(a, 3), uint32(a[5])
	}
	fd, e := t.fget(a[0])
	if e != 0 {
		return e
	}
	defer t.fput(fd)
	return host(syscall.SYS_SYNC_FILE_RANGE, fd, uintptr(off), uintptr(n), uintptr(flags))
}

// mknodat makes the node named by the guest path at addr (its last
// component not followed, as the kernel creates it) with mode and the
// device number dev (a 32-bit unsigned int in both ABIs).
func (t *Thread) mknodat(dirArg, addr, mode, dev uint64) int64 {
	return t.inDir(dirArg, addr, func(d uintptr, name []byte) int64 {
		return host(syscall.SYS_MKNODAT, d, uintptr(ptr(name)), uintptr(uint32(mode)), uintptr(uint32(dev)))
	})
}

// sysFutimesat is futimesat(dirfd, path, times): two timevals in the
// guest's longs (NULL: now), microseconds checked as the kernel does;
// a NULL path is dirfd itself. It is utimensat on the host.
func sysFutimesat(t *Thread, a *[6]uint64) int64 {
	var ts []byte
	if a[2] != 0 {
		g, e := t.readMem(a[2], 4*int(t.w))
		if e != 0 {
			return e
		}
		ts = hbuf(32)
		for i := 0; i < 2; i++ {
			spec := abi.DecodeTimespec(t.w, g[i*2*int(t.w):])
			if spec.Nsec < 0 || spec.Nsec >= 1000000 {
				return -abi.EINVAL
			}
			spec.Nsec *= 1000
			copy(ts[16*i:], spec.Host64())
		}
	}
	if a[1] == 0 {
		d, e := t.fget(a[0])
		if e != 0 {
			return e
		}
		defer t.fput(d)
		return host(syscall.SYS_UTIMENSAT, d, 0, uintptr(ptr(ts)), 0)
	}
	return t.onPathArg(a[0], a[1], false, func(k uintptr, _ []byte) int64 {
		return host(syscall.SYS_UTIMENSAT, k, uintptr(ptr(emptyPath)), uintptr(ptr(ts)), atEmptyPath)
	})
}

// sysNameToHandleAt is name_to_handle_at(dirfd, path, handle, mount_id,
// flags). struct file_handle (handle_bytes, handle_type, the bytes) and
// the int mount id have one layout for both ABIs. The path is resolved
// once (pathFD) and the host asked for that descriptor's file; as the
// kernel, a handle buffer too small is EOVERFLOW with the size needed
// stored, and the mount id is stored in both cases (an int, or a 64-bit
// one for AT_HANDLE_MNT_ID_UNIQUE).
func sysNameToHandleAt(t *Thread, a *[6]uint64) int64 {
	flags := uint32(a[4])
	if flags&^(atSymlinkFollow|atEmptyPath|atHandleFID|atHandleMntIDUnique) != 0 {
		return -abi.EINVAL
	}
	hdr, e := t.readMem(a[2], 4)
	if e != 0 {
		return e
	}
	size := le32(hdr)
	if size > maxHandleSize {
		return -abi.EINVAL
	}
	fh := hbuf(8 + int(size))
	putLE32(fh, size)
	mnt := hbuf(8)
	call := func(d uintptr, path []byte, fl uintptr) int64 {
		return host(hostNameToHandleAt, d, uintptr(ptr(path)), uintptr(ptr(fh)), uintptr(ptr(mnt)), fl)
	}
	s, e := t.readPath(a[1])
	if e != 0 {
		return e
	}
	var r int64
	if s == "" && flags&atEmptyPath != 0 {
		d := t.dirget(a[0])
		r = call(d, emptyPath, uintptr(flags))
		t.fput(d)
	} else {
		r = t.onPath(a[0], s, flags&atSymlinkFollow == 0, func(k uintptr, _ []byte) int64 {
			return call(k, emptyPath, uintptr(flags&^atSymlinkFollow|atEmptyPath))
		})
	}
	if r != 0 && r != -abi.EOVERFLOW {
		return r
	}
	if flags&atHandleMntIDUnique == 0 {
		mnt = mnt[:4]
	}
	if e := t.writeMem(a[3], mnt); e != 0 {
		return e
	}
	n := 8 + int(size)
	if r != 0 {
		n = 8 // only the size needed
	}
	if e := t.writeMem(a[2], fh[:n]); e != 0 {
		return e
	}
	return r
}

// sysOpenByHandleAt is open_by_handle_at(mount_fd, handle, flags): a new
// guest descriptor for the file the handle names (the host checks the
// privilege, CAP_DAC_READ_SEARCH, and the handle).
func sysOpenByHandleAt(t *Thread, a *[6]uint64) int64 {
	hdr, e := t.readMem(a[1], 8)
	if e != 0 {
		return e
	}
	size := le32(hdr)
	if size > maxHandleSize || size == 0 {
		return -abi.EINVAL
	}
	fh, e := t.readMem(a[1], 8+int(size))
	if e != 0 {
		return e
	}
	m := t.dirget(a[0])
	defer t.fput(m)
	flags := uint32(a[2])
	fd, e := t.reserveFD()
	if e != 0 {
		return e
	}
	r := host(hostOpenByHandleAt, m, uintptr(ptr(fh)), uintptr(flags|abi.O_CLOEXEC))
	return t.fillFD(fd, r, flags&abi.O_CLOEXEC != 0, nil)
}

// sysMembarrier is membarrier(cmd, flags, cpu_id): the guest's threads
// are host threads of gemu's process, so the host's barrier (and its
// registrations, which are per process) covers them.
func sysMembarrier(t *Thread, a *[6]uint64) int64 {
	return host(sysMembarrierHost, uintptr(int32(a[0])), uintptr(uint32(a[1])), uintptr(int32(a[2])))
}
