package linux

import (
	"encoding/binary"

	"gemu/internal/linux/abi"
	"gemu/internal/x86"
)

// Thread-local storage: arch_prctl sets the FS and GS bases directly
// (x86-64); set_thread_area installs a GDT descriptor that the guest then
// selects with a segment register load (i386).

func init() {
	reg(sysArchPrctl, "arch_prctl")
	reg(sysSetThreadArea, "set_thread_area")
	reg(sysGetThreadArea, "get_thread_area")
}

// arch_prctl codes.
const (
	archSetGS = 0x1001
	archSetFS = 0x1002
	archGetFS = 0x1003
	archGetGS = 0x1004
)

func sysArchPrctl(t *Thread, a *[6]uint64) int64 {
	c := t.CPU
	switch sint(a[0]) {
	case archSetFS, archSetGS:
		if t.w == 4 {
			return -abi.EINVAL
		}
		if a[1] >= Limit64 {
			return -abi.EPERM
		}
		seg := x86.FS
		if sint(a[0]) == archSetGS {
			seg = x86.GS
		}
		c.SegBase[seg] = a[1]
		c.Seg[seg] = 0
		return 0
	case archGetFS, archGetGS:
		if t.w == 4 {
			return -abi.EINVAL
		}
		seg := x86.FS
		if sint(a[0]) == archGetGS {
			seg = x86.GS
		}
		return t.writeMem(a[1], t.w.Encode(c.SegBase[seg]))
	}
	t.unimpf("Unsupported arch_prctl code: %#x\n", a[0])
	return -abi.EINVAL
}

// TLS descriptors live in GDT entries 12..14, as on Linux.
const (
	tlsFirst = 12
	tlsLast  = 14
)

// user_desc flag bits.
const (
	udSeg32      = 1 << 0
	udContents   = 3 << 1
	udReadExec   = 1 << 3
	udLimitPages = 1 << 4
	udNotPresent = 1 << 5
	udUseable    = 1 << 6
	udLM         = 1 << 7
)

func sysSetThreadArea(t *Thread, a *[6]uint64) int64 {
	b, e := t.readMem(a[0], abi.UserDescSize)
	if e != 0 {
		return e
	}
	u := abi.DecodeUserDesc(b)
	c := t.CPU
	idx := u.Entry
	if idx == 0xffffffff {
		idx = 0
		for i := uint32(tlsFirst); i <= tlsLast; i++ {
			if !c.GDT[i].Present {
				idx = i
				break
			}
		}
		if idx == 0 {
			return -abi.ESRCH
		}
		u.Entry = idx
		if e := t.writeMem(a[0], u.Encode()); e != 0 {
			return e
		}
	}
	if idx < tlsFirst || idx > tlsLast {
		return -abi.EINVAL
	}
	empty := u.Base == 0 && u.Limit == 0 && u.Flags&(udSeg32|udContents|udLimitPages|udUseable) == 0 &&
		u.Flags&udReadExec != 0 && u.Flags&udNotPresent != 0
	if empty {
		c.GDT[idx] = x86.SegDesc{}
	} else {
		c.GDT[idx] = x86.SegDesc{Base: u.Base, Limit: u.Limit, Flags: u.Flags, Present: u.Flags&udNotPresent == 0}
	}
	// A segment register already holding this selector sees the change,
	// as Linux reloads it.
	sel := uint16(idx<<3 | 3)
	for _, s := range []int{x86.FS, x86.GS} {
		if c.Seg[s] == sel {
			c.SegBase[s] = uint64(c.GDT[idx].Base)
		}
	}
	return 0
}

func sysGetThreadArea(t *Thread, a *[6]uint64) int64 {
	b, e := t.readMem(a[0], abi.UserDescSize)
	if e != 0 {
		return e
	}
	u := abi.DecodeUserDesc(b)
	if u.Entry < tlsFirst || u.Entry > tlsLast {
		return -abi.EINVAL
	}
	d := t.CPU.GDT[u.Entry]
	u.Base, u.Limit, u.Flags = d.Base, d.Limit, d.Flags
	if !d.Present {
		u.Flags = udReadExec | udNotPresent
	}
	return t.writeMem(a[0], u.Encode())
}

func init() {
	reg(sysModifyLDT, "modify_ldt")
}

// LDT size limits, as Linux's.
const (
	ldtEntries   = 8192
	ldtEntrySize = 8
)

// sysModifyLDT is modify_ldt: func 0 reads the LDT in the hardware format
// (zero-filling past its entries), 1 and 0x11 write one entry from a
// user_desc (1 is the old mode: base and limit 0 clear the entry and the
// available bit is dropped), 2 reads the kernel's default LDT: zeros,
// 128 bytes at most on an x86-64 kernel. The kernel returns an int in a
// long, so on x86-64 an error arrives zero-extended (0xffffffea for
// EINVAL) and the C library does not take it for an error.
func sysModifyLDT(t *Thread, a *[6]uint64) int64 {
	r := modifyLDT(t, a)
	if t.w == 8 {
		return int64(uint32(r))
	}
	return r
}

func modifyLDT(t *Thread, a *[6]uint64) int64 {
	c := t.CPU
	ptr, n := a[1], a[2]
	switch uint32(a[0]) {
	case 0:
		e := c.LDT.Entries()
		if len(e) == 0 {
			return 0
		}
		n = min(n, ldtEntries*ldtEntrySize)
		b := hbuf(int(n))
		for i := range b {
			b[i] = 0
		}
		for i := 0; i < len(e) && (i+1)*ldtEntrySize <= len(b); i++ {
			binary.LittleEndian.PutUint64(b[i*ldtEntrySize:], e[i].Encode())
		}
		if len(e)*ldtEntrySize > len(b) {
			// A partial last entry.
			var tm [ldtEntrySize]byte
			i := len(b) / ldtEntrySize
			binary.LittleEndian.PutUint64(tm[:], e[i].Encode())
			copy(b[i*ldtEntrySize:], tm[:])
		}
		if e := t.writeMem(ptr, b); e != 0 {
			return e
		}
		return int64(n)
	case 1, 0x11:
		return writeLDT(t, ptr, n, uint32(a[0]) == 1)
	case 2:
		n = min(n, 128)
		if e := t.writeMem(ptr, make([]byte, n)); e != 0 {
			return e
		}
		return int64(n)
	}
	return -abi.ENOSYS
}

func writeLDT(t *Thread, ptr, n uint64, old bool) int64 {
	if n != abi.UserDescSize {
		return -abi.EINVAL
	}
	b, e := t.readMem(ptr, abi.UserDescSize)
	if e != 0 {
		return e
	}
	u := abi.DecodeUserDesc(b)
	if u.Entry >= ldtEntries {
		return -abi.EINVAL
	}
	if u.Flags&udContents == udContents && (old || u.Flags&udNotPresent == 0) {
		// Conforming code: only new-mode and not present.
		return -abi.EINVAL
	}
	var d x86.SegDesc
	empty := u.Base == 0 && u.Limit == 0 && u.Flags&(udSeg32|udContents|udLimitPages|udUseable|udLM) == 0 &&
		u.Flags&udReadExec != 0 && u.Flags&udNotPresent != 0
	if !empty && !(old && u.Base == 0 && u.Limit == 0) {
		f := u.Flags &^ udLM
		if old {
			f &^= udUseable
		}
		d = x86.SegDesc{Base: u.Base, Limit: u.Limit & 0xfffff, Flags: f & 0xff, Present: u.Flags&udNotPresent == 0}
	}
	c := t.CPU
	cur := c.LDT.Entries()
	next := make([]x86.SegDesc, max(len(cur), int(u.Entry)+1))
	copy(next, cur)
	next[u.Entry] = d
	c.LDT.Set(next)
	// Segment registers already holding the selector see the new base, as
	// Linux reloads them.
	for s := range c.Seg {
		if s != x86.CS && c.Seg[s]&^3 == uint16(u.Entry<<3|4) {
			c.SegBase[s] = uint64(d.Base)
		}
	}
	return 0
}
