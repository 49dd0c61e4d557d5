package abi

import (
	"bytes"
	"testing"
)

func hostStat() []byte {
	b := make([]byte, HostStatSize)
	le.PutUint64(b[0:], 0x803)          // dev
	le.PutUint64(b[8:], 0x1_0000_1234)  // ino (over 32 bits)
	le.PutUint64(b[16:], 3)             // nlink
	le.PutUint32(b[24:], 0o100644)      // mode
	le.PutUint32(b[28:], 1000)          // uid
	le.PutUint32(b[32:], 100)           // gid
	le.PutUint64(b[40:], 0x501)         // rdev
	le.PutUint64(b[48:], 0x1_2345_6789) // size (over 32 bits)
	le.PutUint64(b[56:], 4096)          // blksize
	le.PutUint64(b[64:], 77)            // blocks
	le.PutUint64(b[72:], 1700000001)    // atime
	le.PutUint64(b[80:], 11)
	le.PutUint64(b[88:], 1700000002) // mtime
	le.PutUint64(b[96:], 22)
	le.PutUint64(b[104:], 1700000003) // ctime
	le.PutUint64(b[112:], 33)
	return b
}

func TestStat64386(t *testing.T) {
	st := DecodeHostStat(hostStat())
	b := EncodeStat64386(&st)
	if len(b) != 96 {
		t.Fatalf("size %d", len(b))
	}
	checks := []struct {
		off, size int
		want      uint64
	}{
		{0, 8, 0x803}, {12, 4, 0x1234}, {16, 4, 0o100644}, {20, 4, 3}, {24, 4, 1000}, {28, 4, 100},
		{32, 8, 0x501}, {44, 8, 0x1_2345_6789}, {52, 4, 4096}, {56, 8, 77},
		{64, 4, 1700000001}, {68, 4, 11}, {72, 4, 1700000002}, {76, 4, 22},
		{80, 4, 1700000003}, {84, 4, 33}, {88, 8, 0x1_0000_1234},
	}
	for _, c := range checks {
		var got uint64
		if c.size == 4 {
			got = uint64(le.Uint32(b[c.off:]))
		} else {
			got = le.Uint64(b[c.off:])
		}
		if got != c.want {
			t.Errorf("offset %d: %#x want %#x", c.off, got, c.want)
		}
	}
}

func TestStat386Overflow(t *testing.T) {
	st := DecodeHostStat(hostStat())
	if _, ok := EncodeStat386(&st); ok {
		t.Error("64-bit inode and size fit the old struct stat")
	}
	st.Ino, st.Size = 0x1234, 999
	b, ok := EncodeStat386(&st)
	if !ok || len(b) != 64 {
		t.Fatalf("ok %v len %d", ok, len(b))
	}
	if le.Uint32(b[4:]) != 0x1234 || le.Uint16(b[8:]) != 0o100644 || le.Uint16(b[10:]) != 3 ||
		le.Uint16(b[12:]) != 1000 || le.Uint32(b[20:]) != 999 || le.Uint32(b[40:]) != 1700000002 {
		t.Errorf("fields % x", b)
	}
}

func TestSysinfo386Scaling(t *testing.T) {
	h := make([]byte, HostSysinfoSize)
	le.PutUint64(h[0:], 12345)   // uptime
	le.PutUint64(h[8:], 65536)   // load 1
	le.PutUint64(h[32:], 16<<30) // totalram: 16 GiB, over 32 bits
	le.PutUint64(h[40:], 8<<30)  // freeram
	le.PutUint16(h[80:], 321)    // procs
	le.PutUint32(h[104:], 1)     // mem_unit
	b := ConvertSysinfo386(h)
	if len(b) != 64 {
		t.Fatalf("size %d", len(b))
	}
	unit := le.Uint32(b[52:])
	total := uint64(le.Uint32(b[16:])) * uint64(unit)
	if unit <= 1 || total != 16<<30 || uint64(le.Uint32(b[20:]))*uint64(unit) != 8<<30 {
		t.Errorf("unit %d total %d", unit, total)
	}
	if le.Uint32(b[0:]) != 12345 || le.Uint32(b[4:]) != 65536 || le.Uint16(b[40:]) != 321 {
		t.Errorf("fields % x", b[:44])
	}
}

func TestStatfs386(t *testing.T) {
	h := make([]byte, HostStatfsSize)
	for i := 0; i < 11; i++ {
		le.PutUint64(h[i*8:], uint64(i+1))
	}
	le.PutUint64(h[16:], 1<<33) // blocks over 32 bits
	if _, ok := ConvertStatfs386(h, false); ok {
		t.Error("statfs accepted 2^33 blocks")
	}
	b, ok := ConvertStatfs386(h, true)
	if !ok || len(b) != 84 {
		t.Fatalf("statfs64 ok %v len %d", ok, len(b))
	}
	if le.Uint32(b[0:]) != 1 || le.Uint32(b[4:]) != 2 || le.Uint64(b[8:]) != 1<<33 || le.Uint64(b[16:]) != 4 ||
		le.Uint32(b[56:]) != 9 || le.Uint32(b[60:]) != 10 || le.Uint32(b[64:]) != 11 {
		t.Errorf("statfs64 % x", b)
	}
}

func TestWordsAndSmallStructs(t *testing.T) {
	if b := Words(4).Encode(1, 0xffffffff); !bytes.Equal(b, []byte{1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff}) {
		t.Errorf("words % x", b)
	}
	if v := Words(4).GetSigned([]byte{0xfe, 0xff, 0xff, 0xff}, 0); v != -2 {
		t.Errorf("signed %d", v)
	}
	ts := DecodeTimespec(4, []byte{0x10, 0, 0, 0, 0x20, 0, 0, 0})
	if ts != (Timespec{16, 32}) || !bytes.Equal(ts.Host64()[8:], []byte{0x20, 0, 0, 0, 0, 0, 0, 0}) {
		t.Errorf("timespec %+v", ts)
	}
	if (Timespec{Sec: 1 << 33}).FitsLong(4) {
		t.Error("2^33 seconds fit a 32-bit time_t")
	}
	sa := Sigaction{Handler: 0x8048000, Flags: 0x04000000, Restorer: 0x8048100, Mask: 0x1_0000_0002}
	b := sa.Encode(4)
	if len(b) != 20 || le.Uint32(b[8:]) != 0x8048100 || le.Uint64(b[12:]) != 0x1_0000_0002 || DecodeSigaction(4, b) != sa {
		t.Errorf("i386 sigaction % x", b)
	}
	if len(sa.Encode(8)) != 32 || DecodeSigaction(8, sa.Encode(8)) != sa {
		t.Error("x86-64 sigaction round trip")
	}
	r := make([]byte, HostRusageSize)
	le.PutUint64(r[0:], 5)    // utime.sec
	le.PutUint64(r[8:], 6)    // utime.usec
	le.PutUint64(r[32:], 777) // maxrss
	g := ConvertRusage(4, r)
	if len(g) != 72 || le.Uint32(g[0:]) != 5 || le.Uint32(g[4:]) != 6 || le.Uint32(g[16:]) != 777 {
		t.Errorf("rusage % x", g[:20])
	}
	f := Flock{Type: 1, Whence: 0, Start: 1 << 32, Len: 10, Pid: 42}
	if got := DecodeFlock(f.Encode(Flock64386Size), Flock64386Size); got != f {
		t.Errorf("flock64 round trip %+v", got)
	}
	if b := f.Encode(Flock64386Size); len(b) != 24 || le.Uint64(b[4:]) != 1<<32 {
		t.Errorf("flock64 layout % x", b)
	}
	if n := FdSetBytes(4, 33); n != 8 {
		t.Errorf("fd_set bytes %d", n)
	}
	if n := FdSetBytes(8, 33); n != 8 {
		t.Errorf("host fd_set bytes %d", n)
	}
	if s := ErrnoName(ENOENT); s != "No such file or directory" {
		t.Errorf("errno name %q", s)
	}
	if SignalName(SIGSEGV) != "SIGSEGV" || SignalName(34) != "SIGRT2" {
		t.Error("signal names")
	}
}

func TestDirentConversion(t *testing.T) {
	rec := make([]byte, 24)
	le.PutUint64(rec, 99)
	le.PutUint64(rec[8:], 7)
	le.PutUint16(rec[16:], 24)
	rec[18] = 8 // DT_REG
	copy(rec[19:], "abc")
	ds := ParseDirents64(rec)
	if len(ds) != 1 || string(ds[0].Name) != "abc" || ds[0].Ino != 99 || ds[0].Off != 7 || ds[0].Type != 8 {
		t.Fatalf("parsed %+v", ds)
	}
	out, ok := EncodeDirent(4, ds[0])
	// 4+4+2 header, "abc", NUL, type byte = 15, rounded to 16.
	if !ok || len(out) != 16 || le.Uint32(out) != 99 || le.Uint32(out[4:]) != 7 || le.Uint16(out[8:]) != 16 ||
		string(out[10:13]) != "abc" || out[13] != 0 || out[15] != 8 {
		t.Errorf("i386 dirent % x", out)
	}
	ds[0].Ino = 1 << 40
	if _, ok := EncodeDirent(4, ds[0]); ok {
		t.Error("64-bit inode fit an i386 dirent")
	}
}

func TestEncodeOldKernelStat(t *testing.T) {
	// st_dev 8:1 in the new encoding is 0x801; major 259 minor 0x12345
	// is (0x12345&0xff) | 259<<8 | (0x12345>>8)<<20, old-encoded with
	// the major's and minor's high bits cut to 16 bits.
	s := Stat{Dev: 0x801, Ino: 2, Mode: 0o40755, Nlink: 3, UID: 70000, GID: 100,
		Rdev: 0x45 | 259<<8 | 0x123<<20, Size: 1<<32 | 5,
		Atim: Timespec{Sec: 11}, Mtim: Timespec{Sec: 12}, Ctim: Timespec{Sec: 13}}
	b, ok := EncodeOldKernelStat(&s)
	if !ok || len(b) != OldKernelStatSize {
		t.Fatalf("ok %v len %d", ok, len(b))
	}
	u16 := func(o int) uint16 { return le.Uint16(b[o:]) }
	u32 := func(o int) uint32 { return le.Uint32(b[o:]) }
	if u16(0) != 0x801 || u16(2) != 2 || u16(4) != 0o40755 || u16(6) != 3 || u16(8) != 65534 || u16(10) != 100 {
		t.Errorf("dev %#x ino %d mode %o nlink %d uid %d gid %d", u16(0), u16(2), u16(4), u16(6), u16(8), u16(10))
	}
	if want := uint16((259<<8 | 0x12345) & 0xffff); u16(12) != want {
		t.Errorf("rdev %#x, want %#x", u16(12), want)
	}
	if u32(16) != 5 || u32(20) != 11 || u32(24) != 12 || u32(28) != 13 {
		t.Errorf("size %d times %d %d %d", u32(16), u32(20), u32(24), u32(28))
	}
	for _, bad := range []Stat{{Ino: 65536}, {Nlink: 65536}} {
		if _, ok := EncodeOldKernelStat(&bad); ok {
			t.Errorf("%+v: no EOVERFLOW", bad)
		}
	}
}
