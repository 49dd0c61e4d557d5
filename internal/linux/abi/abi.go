// Package abi holds the Linux user-space ABI of gemu's guests: system call
// numbers and names, constants, and the byte layouts of the structures that
// system calls exchange, for i386 (4-byte longs and pointers) and x86-64
// (8-byte). The host is x86-64 Linux, so an x86-64 guest's structures are
// the host's; i386 ones are converted field by field here.
package abi

import (
	"encoding/binary"
	"strings"
	"syscall"
)

var le = binary.LittleEndian

// Words is a little-endian encoder of guest "long" sized fields: 4 bytes for
// i386, 8 for x86-64. Many kernel structures are plain sequences of longs
// (timespec, timeval, iovec, rlimit, tms...) and differ only by that width.
type Words int

// Put stores v as a long at b[i*w:].
func (w Words) Put(b []byte, i int, v uint64) {
	if w == 4 {
		le.PutUint32(b[i*4:], uint32(v))
	} else {
		le.PutUint64(b[i*8:], v)
	}
}

// Get loads the unsigned long at b[i*w:].
func (w Words) Get(b []byte, i int) uint64 {
	if w == 4 {
		return uint64(le.Uint32(b[i*4:]))
	}
	return le.Uint64(b[i*8:])
}

// GetSigned loads the signed long at b[i*w:], sign-extended.
func (w Words) GetSigned(b []byte, i int) int64 {
	if w == 4 {
		return int64(int32(le.Uint32(b[i*4:])))
	}
	return int64(le.Uint64(b[i*8:]))
}

// Encode returns the longs vs as guest bytes.
func (w Words) Encode(vs ...uint64) []byte {
	b := make([]byte, int(w)*len(vs))
	for i, v := range vs {
		w.Put(b, i, v)
	}
	return b
}

// Timespec is a struct timespec (or timeval, with Nsec holding
// microseconds) in host form.
type Timespec struct {
	Sec, Nsec int64
}

// FitsLong reports whether t's fields fit a guest long of w bytes: a
// 32-bit time_t overflows in 2038.
func (t Timespec) FitsLong(w Words) bool {
	return w == 8 || (t.Sec == int64(int32(t.Sec)) && t.Nsec == int64(int32(t.Nsec)))
}

// Host64 encodes t as the host's (and x86-64's and i386 time64's)
// struct timespec: two 64-bit fields.
func (t Timespec) Host64() []byte { return Words(8).Encode(uint64(t.Sec), uint64(t.Nsec)) }

// DecodeTimespec decodes a timespec of longs of width w.
func DecodeTimespec(w Words, b []byte) Timespec {
	return Timespec{w.GetSigned(b, 0), w.GetSigned(b, 1)}
}

// Stat is the result of stat in host form (decoded from the x86-64 struct
// stat, 144 bytes).
type Stat struct {
	Dev, Ino, Nlink  uint64
	Mode, UID, GID   uint32
	Rdev             uint64
	Size             int64
	Blksize, Blocks  int64
	Atim, Mtim, Ctim Timespec
}

// HostStatSize is the size of the host's (x86-64) struct stat.
const HostStatSize = 144

// DecodeHostStat decodes an x86-64 struct stat.
func DecodeHostStat(b []byte) Stat {
	w := Words(8)
	return Stat{
		Dev: le.Uint64(b[0:]), Ino: le.Uint64(b[8:]), Nlink: le.Uint64(b[16:]),
		Mode: le.Uint32(b[24:]), UID: le.Uint32(b[28:]), GID: le.Uint32(b[32:]),
		Rdev: le.Uint64(b[40:]), Size: int64(le.Uint64(b[48:])),
		Blksize: int64(le.Uint64(b[56:])), Blocks: int64(le.Uint64(b[64:])),
		Atim: DecodeTimespec(w, b[72:]), Mtim: DecodeTimespec(w, b[88:]), Ctim: DecodeTimespec(w, b[104:]),
	}
}

// Stat64Size386 is the size of i386's struct stat64.
const Stat64Size386 = 96

// EncodeStat64386 encodes s as i386's struct stat64 (stat64, fstatat64...).
func EncodeStat64386(s *Stat) []byte {
	b := make([]byte, Stat64Size386)
	le.PutUint64(b[0:], s.Dev)
	le.PutUint32(b[12:], uint32(s.Ino))
	le.PutUint32(b[16:], s.Mode)
	le.PutUint32(b[20:], uint32(s.Nlink))
	le.PutUint32(b[24:], s.UID)
	le.PutUint32(b[28:], s.GID)
	le.PutUint64(b[32:], s.Rdev)
	le.PutUint64(b[44:], uint64(s.Size))
	le.PutUint32(b[52:], uint32(s.Blksize))
	le.PutUint64(b[56:], uint64(s.Blocks))
	le.PutUint32(b[64:], uint32(s.Atim.Sec))
	le.PutUint32(b[68:], uint32(s.Atim.Nsec))
	le.PutUint32(b[72:], uint32(s.Mtim.Sec))
	le.PutUint32(b[76:], uint32(s.Mtim.Nsec))
	le.PutUint32(b[80:], uint32(s.Ctim.Sec))
	le.PutUint32(b[84:], uint32(s.Ctim.Nsec))
	le.PutUint64(b[88:], s.Ino)
	return b
}

// StatSize386 is the size of i386's struct stat (stat, lstat, fstat).
const StatSize386 = 64

// EncodeStat386 encodes s as i386's struct stat. It reports false when a
// value does not fit (the kernel's EOVERFLOW).
func EncodeStat386(s *Stat) ([]byte, bool) {
	if s.Ino>>32 != 0 || s.Size>>31 != 0 || s.Nlink>>16 != 0 || s.Dev>>32 != 0 || s.Rdev>>32 != 0 {
		return nil, false
	}
	b := make([]byte, StatSize386)
	le.PutUint32(b[0:], uint32(s.Dev))
	le.PutUint32(b[4:], uint32(s.Ino))
	le.PutUint16(b[8:], uint16(s.Mode))
	le.PutUint16(b[10:], uint16(s.Nlink))
	le.PutUint16(b[12:], uint16(min(s.UID, 0xfffe)))
	le.PutUint16(b[14:], uint16(min(s.GID, 0xfffe)))
	le.PutUint32(b[16:], uint32(s.Rdev))
	le.PutUint32(b[20:], uint32(s.Size))
	le.PutUint32(b[24:], uint32(s.Blksize))
	le.PutUint32(b[28:], uint32(s.Blocks))
	le.PutUint32(b[32:], uint32(s.Atim.Sec))
	le.PutUint32(b[36:], uint32(s.Atim.Nsec))
	le.PutUint32(b[40:], uint32(s.Mtim.Sec))
	le.PutUint32(b[44:], uint32(s.Mtim.Nsec))
	le.PutUint32(b[48:], uint32(s.Ctim.Sec))
	le.PutUint32(b[52:], uint32(s.Ctim.Nsec))
	return b, true
}

// OldKernelStatSize is the size of struct __old_kernel_stat, the same
// for i386 and x86-64 processes: seven 16-bit fields, then 32-bit size
// and times.
const OldKernelStatSize = 32

// EncodeOldKernelStat encodes s as struct __old_kernel_stat as the
// kernel's cp_old_stat does: devices in the old 8:8 encoding, ids over
// 65535 as the overflow id 65534, size and times truncated. It reports
// false when the inode number or the link count does not fit (EOVERFLOW).
func EncodeOldKernelStat(s *Stat) ([]byte, bool) {
	if s.Ino>>16 != 0 || s.Nlink>>16 != 0 {
		return nil, false
	}
	id16 := func(id uint32) uint16 {
		if id>>16 != 0 {
			return 65534
		}
		return uint16(id)
	}
	b := make([]byte, OldKernelStatSize)
	le.PutUint16(b[0:], oldEncodeDev(s.Dev))
	le.PutUint16(b[2:], uint16(s.Ino))
	le.PutUint16(b[4:], uint16(s.Mode))
	le.PutUint16(b[6:], uint16(s.Nlink))
	le.PutUint16(b[8:], id16(s.UID))
	le.PutUint16(b[10:], id16(s.GID))
	le.PutUint16(b[12:], oldEncodeDev(s.Rdev))
	le.PutUint32(b[16:], uint32(s.Size))
	le.PutUint32(b[20:], uint32(s.Atim.Sec))
	le.PutUint32(b[24:], uint32(s.Mtim.Sec))
	le.PutUint32(b[28:], uint32(s.Ctim.Sec))
	return b, true
}

// oldEncodeDev turns a stat st_dev (the kernel's new_encode_dev: minor's
// low byte, major's 12 bits, minor's upper bits, major's upper bits)
// into the old 16-bit encoding, major<<8|minor, truncated as the kernel's.
func oldEncodeDev(d uint64) uint16 {
	major := (d>>8)&0xfff | (d>>32)&^0xfff
	minor := d&0xff | (d>>12)&^0xff
	return uint16(major<<8 | minor)
}

// HostStatfsSize is the size of the host's struct statfs.
const HostStatfsSize = 120

// Statfs386Size and Statfs64386Size are the sizes of i386's struct statfs
// and struct statfs64 (the latter packed to 4-byte alignment).
const (
	Statfs386Size   = 64
	Statfs64386Size = 84
)

// ConvertStatfs386 converts a host struct statfs into i386's struct statfs
// (64 bit = false) or struct statfs64 (true). It reports false on
// overflow of a 32-bit field.
func ConvertStatfs386(h []byte, is64 bool) ([]byte, bool) {
	f := func(i int) uint64 { return le.Uint64(h[i*8:]) }
	// Host fields: type bsize blocks bfree bavail files ffree fsid namelen
	// frsize flags spare[4], all 8 bytes.
	if !is64 {
		b := make([]byte, Statfs386Size)
		for i := 0; i < 7; i++ {
			v := f(i)
			if i >= 2 && v>>32 != 0 {
				if v == ^uint64(0) {
					v = 0xffffffff
				} else {
					return nil, false
				}
			}
			le.PutUint32(b[i*4:], uint32(v))
		}
		copy(b[28:36], h[56:64])
		le.PutUint32(b[36:], uint32(f(8)))
		le.PutUint32(b[40:], uint32(f(9)))
		le.PutUint32(b[44:], uint32(f(10)))
		return b, true
	}
	b := make([]byte, Statfs64386Size)
	le.PutUint32(b[0:], uint32(f(0)))
	le.PutUint32(b[4:], uint32(f(1)))
	for i := 2; i < 7; i++ {
		le.PutUint64(b[8+(i-2)*8:], f(i))
	}
	copy(b[48:56], h[56:64])
	le.PutUint32(b[56:], uint32(f(8)))
	le.PutUint32(b[60:], uint32(f(9)))
	le.PutUint32(b[64:], uint32(f(10)))
	return b, true
}

// HostSysinfoSize is the size of the host's struct sysinfo.
const HostSysinfoSize = 112

// Sysinfo386Size is the size of i386's struct sysinfo.
const Sysinfo386Size = 64

// ConvertSysinfo386 converts a host struct sysinfo to i386's layout. Like
// the kernel's compat code, memory sizes that do not fit 32 bits are
// scaled down by raising mem_unit (up to the page size).
func ConvertSysinfo386(h []byte) []byte {
	q := func(off int) uint64 { return le.Uint64(h[off:]) }
	uptime := q(0)
	loads := [3]uint64{q(8), q(16), q(24)}
	mems := [8]uint64{q(32), q(40), q(48), q(56), q(64), q(72), q(88), q(96)} // total free shared buffer tswap fswap thigh fhigh
	unit := uint64(le.Uint32(h[104:]))
	if unit == 0 {
		unit = 1
	}
	over := func() bool {
		for _, v := range mems {
			if v>>32 != 0 {
				return true
			}
		}
		return false
	}
	for over() && unit < 4096 {
		unit <<= 1
		for i := range mems {
			mems[i] >>= 1
		}
	}
	b := make([]byte, Sysinfo386Size)
	le.PutUint32(b[0:], uint32(uptime))
	for i, l := range loads {
		le.PutUint32(b[4+4*i:], uint32(l))
	}
	for i := 0; i < 6; i++ {
		le.PutUint32(b[16+4*i:], uint32(mems[i]))
	}
	le.PutUint16(b[40:], le.Uint16(h[80:]))
	le.PutUint32(b[44:], uint32(mems[6]))
	le.PutUint32(b[48:], uint32(mems[7]))
	le.PutUint32(b[52:], uint32(unit))
	return b
}

// HostRusageSize is the size of the host's struct rusage: two timevals
// and fourteen longs.
const HostRusageSize = 144

// ConvertRusage converts a host struct rusage to a guest one of long width
// w (72 bytes for i386).
func ConvertRusage(w Words, h []byte) []byte {
	b := make([]byte, 18*int(w))
	for i := 0; i < 18; i++ {
		w.Put(b, i, le.Uint64(h[i*8:]))
	}
	return b
}

// ConvertLongs converts n host longs to guest longs of width w (struct
// tms, and anything else made only of longs).
func ConvertLongs(w Words, h []byte, n int) []byte {
	b := make([]byte, n*int(w))
	for i := 0; i < n; i++ {
		w.Put(b, i, le.Uint64(h[i*8:]))
	}
	return b
}

// Utsname builds a struct utsname: six 65-byte NUL-padded fields, the same
// on every ABI.
func Utsname(sysname, nodename, release, version, machine, domain string) []byte {
	b := make([]byte, 6*65)
	for i, s := range []string{sysname, nodename, release, version, machine, domain} {
		copy(b[i*65:i*65+64], s)
	}
	return b
}

// Sigaction is a guest k_sigaction, the structure rt_sigaction takes on
// both i386 and x86-64: handler, flags, restorer, then the 64-bit mask.
type Sigaction struct {
	Handler, Flags, Restorer uint64
	Mask                     uint64
}

// SigactionSize returns the size of the k_sigaction for long width w.
func SigactionSize(w Words) int { return 3*int(w) + 8 }

// DecodeSigaction decodes a k_sigaction of width w.
func DecodeSigaction(w Words, b []byte) Sigaction {
	return Sigaction{w.Get(b, 0), w.Get(b, 1), w.Get(b, 2), le.Uint64(b[3*int(w):])}
}

// Encode encodes the k_sigaction for width w.
func (s Sigaction) Encode(w Words) []byte {
	b := make([]byte, SigactionSize(w))
	w.Put(b, 0, s.Handler)
	w.Put(b, 1, s.Flags)
	w.Put(b, 2, s.Restorer)
	le.PutUint64(b[3*int(w):], s.Mask)
	return b
}

// UserDesc is i386's struct user_desc (set_thread_area): entry number,
// base, limit and a word of flag bits.
type UserDesc struct {
	Entry uint32
	Base  uint32
	Limit uint32
	Flags uint32
}

// UserDescSize is the size of struct user_desc.
const UserDescSize = 16

// DecodeUserDesc decodes a struct user_desc.
func DecodeUserDesc(b []byte) UserDesc {
	return UserDesc{le.Uint32(b), le.Uint32(b[4:]), le.Uint32(b[8:]), le.Uint32(b[12:])}
}

// Encode encodes a struct user_desc.
func (u UserDesc) Encode() []byte {
	b := make([]byte, UserDescSize)
	le.PutUint32(b, u.Entry)
	le.PutUint32(b[4:], u.Base)
	le.PutUint32(b[8:], u.Limit)
	le.PutUint32(b[12:], u.Flags)
	return b
}

// Dirent64 is one entry of getdents64 output, decoded.
type Dirent64 struct {
	Ino  uint64
	Off  int64
	Type uint8
	Name []byte
}

// ParseDirents64 splits a getdents64 buffer into entries.
func ParseDirents64(b []byte) []Dirent64 {
	var out []Dirent64
	for len(b) >= 19 {
		reclen := int(le.Uint16(b[16:]))
		if reclen < 19 || reclen > len(b) {
			break
		}
		name := b[19:reclen]
		if i := indexZero(name); i >= 0 {
			name = name[:i]
		}
		out = append(out, Dirent64{le.Uint64(b), int64(le.Uint64(b[8:])), b[18], name})
		b = b[reclen:]
	}
	return out
}

func indexZero(b []byte) int {
	for i, c := range b {
		if c == 0 {
			return i
		}
	}
	return -1
}

// EncodeDirent encodes an entry in the old getdents layout for long width
// w: ino, off (longs), reclen (u16), name, NUL, padding, and the type in
// the last byte. ok is false if ino does not fit.
func EncodeDirent(w Words, d Dirent64) (rec []byte, ok bool) {
	if w == 4 && d.Ino>>32 != 0 {
		return nil, false
	}
	hdr := 2*int(w) + 2
	n := hdr + len(d.Name) + 2
	n = (n + int(w) - 1) &^ (int(w) - 1)
	rec = make([]byte, n)
	w.Put(rec, 0, d.Ino)
	w.Put(rec, 1, uint64(d.Off))
	le.PutUint16(rec[2*int(w):], uint16(n))
	copy(rec[hdr:], d.Name)
	rec[n-1] = d.Type
	return rec, true
}

// Flock is a struct flock in host form.
type Flock struct {
	Type, Whence int16
	Start, Len   int64
	Pid          int32
}

// HostFlockSize is the size of the host's struct flock (and i386's
// struct flock64 is FlockSize64386).
const (
	HostFlockSize  = 32
	Flock386Size   = 16
	Flock64386Size = 24
)

// DecodeFlock decodes a guest flock: host layout (x86-64), i386 flock
// (32-bit offsets) or i386 flock64 (packed 64-bit offsets).
func DecodeFlock(b []byte, layout int) Flock {
	f := Flock{Type: int16(le.Uint16(b)), Whence: int16(le.Uint16(b[2:]))}
	switch layout {
	case HostFlockSize:
		f.Start, f.Len, f.Pid = int64(le.Uint64(b[8:])), int64(le.Uint64(b[16:])), int32(le.Uint32(b[24:]))
	case Flock386Size:
		f.Start, f.Len, f.Pid = int64(int32(le.Uint32(b[4:]))), int64(int32(le.Uint32(b[8:]))), int32(le.Uint32(b[12:]))
	default:
		f.Start, f.Len, f.Pid = int64(le.Uint64(b[4:])), int64(le.Uint64(b[12:])), int32(le.Uint32(b[20:]))
	}
	return f
}

// Encode encodes f in the given layout (a size constant).
func (f Flock) Encode(layout int) []byte {
	b := make([]byte, layout)
	le.PutUint16(b, uint16(f.Type))
	le.PutUint16(b[2:], uint16(f.Whence))
	switch layout {
	case HostFlockSize:
		le.PutUint64(b[8:], uint64(f.Start))
		le.PutUint64(b[16:], uint64(f.Len))
		le.PutUint32(b[24:], uint32(f.Pid))
	case Flock386Size:
		le.PutUint32(b[4:], uint32(f.Start))
		le.PutUint32(b[8:], uint32(f.Len))
		le.PutUint32(b[12:], uint32(f.Pid))
	default:
		le.PutUint64(b[4:], uint64(f.Start))
		le.PutUint64(b[12:], uint64(f.Len))
		le.PutUint32(b[20:], uint32(f.Pid))
	}
	return b
}

// FdSetBytes returns the size in bytes of an fd_set covering n
// descriptors for long width w: whole longs, as the kernel reads it.
func FdSetBytes(w Words, n int) int {
	bits := 8 * int(w)
	return (n + bits - 1) / bits * int(w)
}

// ErrnoName returns the message for errno e as glibc's strerror prints it
// ("No such file or directory").
func ErrnoName(e int) string {
	s := syscall.Errno(e).Error()
	if s == "" || strings.HasPrefix(s, "errno ") {
		return "Unknown error " + itoa(e)
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	if neg {
		b = append([]byte{'-'}, b...)
	}
	return string(b)
}
