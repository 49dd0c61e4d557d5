package linux

import (
	"syscall"

	"gemu/internal/linux/abi"
)

// Old interfaces the host kernel still serves (issue 15): i386's
// sgetmask, ssetmask, olduname, oldolduname, oldstat, oldfstat, oldlstat
// and readdir, and on both ABIs sysfs and ustat. qemu-user 7.2 answers all
// but sgetmask and ssetmask with ENOSYS; an x86-64 kernel serves them to
// i386 and x86-64 processes as below, and gemu does the same:
//
//   - sgetmask/ssetmask read and replace the first word of the guest's
//     own blocked mask (on a 64-bit kernel that word holds all 64
//     signals, and ssetmask's int is sign-extended into it).
//   - olduname/oldolduname are uname's fields in the old layouts (five
//     fields of 65 bytes; five of 8 bytes and a NUL).
//   - oldstat and friends are the host's stat in struct __old_kernel_stat
//     (16-bit ids, 32-bit size and times), EOVERFLOW for an inode number
//     or link count that does not fit, as cp_old_stat.
//   - sysfs and ustat are the host's, their buffers copied.

func init() {
	reg(sysSgetmask, "sgetmask")
	reg(sysSsetmask, "ssetmask")
	reg(sysOlduname, "olduname")
	reg(sysOldolduname, "oldolduname")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.oldStatPath(a, 0) }, "oldstat")
	reg(func(t *Thread, a *[6]uint64) int64 { return t.oldStatPath(a, atSymlinkNoFollow) }, "oldlstat")
	reg(sysOldfstat, "oldfstat")
	reg(sysSysfs, "sysfs")
	reg(sysUstat, "ustat")
	reg(sysReaddir, "readdir")

	for name, spec := range map[string]string{
		"sgetmask": "", "ssetmask": "x", "olduname": "p", "oldolduname": "p", "oldstat": "s,p",
		"oldlstat": "s,p", "oldfstat": "d,p", "sysfs": "d,x,x", "ustat": "x,p", "readdir": "d,p,u",
	} {
		straceSpec[name] = spec
	}
}

// sysSgetmask returns the first word of the blocked mask.
func sysSgetmask(t *Thread, a *[6]uint64) int64 {
	return int64(t.mask)
}

// sysSsetmask sets the blocked mask to its int argument, sign-extended
// to the kernel's 64-bit word (so a negative mask blocks the real-time
// signals too, a positive one unblocks them), and returns the old mask.
func sysSsetmask(t *Thread, a *[6]uint64) int64 {
	old := t.mask
	t.setMask(uint64(sint(a[0])))
	return int64(old)
}

// sysOlduname is i386's olduname (the kernel's sys_uname): struct
// old_utsname, uname's first five fields.
func sysOlduname(t *Thread, a *[6]uint64) int64 {
	if a[0] == 0 {
		return -abi.EFAULT
	}
	u, e := hostUtsname()
	if e != 0 {
		return e
	}
	return t.writeMem(a[0], abi.Utsname(u[0], u[1], u[2], u[3], u[4], "")[:5*65])
}

// oldUTSLen is __OLD_UTS_LEN, the length of a struct oldold_utsname field
// without its NUL.
const oldUTSLen = 8

// sysOldolduname is i386's oldolduname (the kernel's sys_olduname):
// each of five fields is the first 8 bytes of uname's, then a NUL.
func sysOldolduname(t *Thread, a *[6]uint64) int64 {
	if a[0] == 0 {
		return -abi.EFAULT
	}
	u, e := hostUtsname()
	if e != 0 {
		return e
	}
	b := make([]byte, 5*(oldUTSLen+1))
	for i, s := range u[:5] {
		copy(b[i*(oldUTSLen+1):i*(oldUTSLen+1)+oldUTSLen], s)
	}
	return t.writeMem(a[0], b)
}

// oldStatPath is oldstat or oldlstat (AT_SYMLINK_NOFOLLOW).
func (t *Thread) oldStatPath(a *[6]uint64, flags uint32) int64 {
	hb := hbuf(abi.HostStatSize)
	r := t.statAt(cwdArg, a[0], flags, false, func(d uintptr, path []byte, flags uintptr) int64 {
		return host(syscall.SYS_NEWFSTATAT, d, uintptr(ptr(path)), uintptr(ptr(hb)), flags)
	})
	return t.oldStatOut(a[1], hb, r)
}

func sysOldfstat(t *Thread, a *[6]uint64) int64 {
	fd, e := t.fget(a[0])
	if e != 0 {
		return e
	}
	defer t.fput(fd)
	hb := hbuf(abi.HostStatSize)
	return t.oldStatOut(a[1], hb, host(syscall.SYS_FSTAT, fd, uintptr(ptr(hb))))
}

// oldStatOut stores the host's struct stat hb, filled by a call that
// returned r, at out as struct __old_kernel_stat.
func (t *Thread) oldStatOut(out uint64, hb []byte, r int64) int64 {
	if r < 0 {
		return r
	}
	st := abi.DecodeHostStat(hb)
	b, ok := abi.EncodeOldKernelStat(&st)
	if !ok {
		return -abi.EOVERFLOW
	}
	return t.writeMem(out, b)
}

// sysfs options (sysfs(2)): a file system type's index by name, its name
// by index, the number of types.
const (
	sysfsIndex = 1
	sysfsName  = 2
	sysfsCount = 3
)

// sysfsNameMax bounds a file system type name (the kernel's longest are
// a few dozen bytes; it copies the name and its NUL without a limit).
const sysfsNameMax = 256

func sysSysfs(t *Thread, a *[6]uint64) int64 {
	switch opt := sint(a[0]); opt {
	case sysfsIndex:
		name, err := t.Mem.ReadString(a[1], pageSize)
		if err != nil {
			return -abi.EFAULT
		}
		if len(name) >= pageSize {
			return -abi.ENAMETOOLONG // strndup_user's answer
		}
		n := cstr(name)
		return host(syscall.SYS_SYSFS, sysfsIndex, uintptr(ptr(n)))
	case sysfsName:
		b := hbuf(sysfsNameMax)
		if r := host(syscall.SYS_SYSFS, sysfsName, uintptr(uint32(a[1])), uintptr(ptr(b))); r < 0 {
			return r
		}
		n := 0
		for n < len(b)-1 && b[n] != 0 {
			n++
		}
		return t.writeMem(t.ulong(a[2]), b[:n+1])
	case sysfsCount:
		return host(syscall.SYS_SYSFS, sysfsCount)
	default:
		return -abi.EINVAL
	}
}

// Sizes of struct ustat: the host's (int, pad, unsigned long, two char
// [6], padded to 8) and i386's compat_ustat (32-bit inode count).
const (
	ustatHostSize = 32
	ustat386Size  = 20
)

// sysUstat is ustat(dev, ubuf): the host's answer for the device, the
// counts narrowed to i386's struct for an i386 guest as compat_sys_ustat
// does.
func sysUstat(t *Thread, a *[6]uint64) int64 {
	hb := hbuf(ustatHostSize)
	if r := host(syscall.SYS_USTAT, uintptr(uint32(a[0])), uintptr(ptr(hb))); r < 0 {
		return r
	}
	if t.w == 8 {
		return t.writeMem(a[1], hb)
	}
	b := make([]byte, ustat386Size)
	copy(b[0:4], hb[0:4])    // f_tfree
	copy(b[4:8], hb[8:12])   // f_tinode, its low 32 bits
	copy(b[8:20], hb[16:28]) // f_fname, f_fpack
	return t.writeMem(t.ulong(a[1]), b)
}

// readdirMax is a getdents64 buffer that holds at least one entry (a
// 255-byte name makes a 280-byte record).
const readdirMax = 512

// lseek's whence values.
const (
	seekSet = 0
	seekCur = 1
)

// sysReaddir is i386's readdir (the kernel's compat old_readdir): one
// entry a call, struct old_linux_dirent {d_ino, d_offset (the entry's own
// position), unsigned short d_namlen, the name and a NUL}; 1 for an
// entry, 0 at the end. d_offset is the directory's position before the
// call, which seeks back to the entry as the kernel's does; the kernel's
// value differs for the first entry of a hashed (ext4 htree) directory,
// its hash where gemu gives 0. The host's getdents64 reads from the directory's
// position (the guest's, cookies and gemu's own directories included),
// and the position is then set just past the one entry used. An
// unwritable buffer (EFAULT) or an inode number over 32 bits (EOVERFLOW)
// leaves the position where it was, as the kernel's.
func sysReaddir(t *Thread, a *[6]uint64) int64 {
	fd := uint64(uint32(a[0]))
	pos := t.lseek(fd, 0, seekCur)
	if pos < 0 && pos != -abi.ESPIPE {
		return pos
	}
	b, r := t.direntsOf(fd, 0, readdirMax, false)
	if b == nil {
		return r
	}
	d := abi.ParseDirents64(b)[0]
	restore := func() {
		if pos >= 0 {
			t.lseek(fd, pos, seekSet)
		}
	}
	if d.Ino>>32 != 0 {
		restore()
		return -abi.EOVERFLOW
	}
	off := pos // the guest's offset: a cookie for a host one over 32 bits
	if ent, e := t.fentry(fd); e == 0 {
		if _, emu := ent.file.(*fdDir); !emu {
			off = t.dirCookie(ent.host, pos)
		}
		t.putHost(ent.host)
	}
	rec := make([]byte, 10+len(d.Name)+1)
	le32put(rec, uint32(d.Ino))
	le32put(rec[4:], uint32(off))
	rec[8], rec[9] = byte(len(d.Name)), byte(len(d.Name)>>8)
	copy(rec[10:], d.Name)
	if e := t.writeMem(t.ulong(a[1]), rec); e != 0 {
		restore()
		return e
	}
	t.lseek(fd, d.Off, seekSet)
	return 1
}
