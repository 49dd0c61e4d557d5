package linux

import (
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

func sysArchPrctl(p *Process, a *[6]uint64) int64 {
	c := p.CPU
	switch sint(a[0]) {
	case archSetFS, archSetGS:
		if p.w == 4 {
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
		if p.w == 4 {
			return -abi.EINVAL
		}
		seg := x86.FS
		if sint(a[0]) == archGetGS {
			seg = x86.GS
		}
		return p.writeMem(a[1], p.w.Encode(c.SegBase[seg]))
	}
	p.unimpf("Unsupported arch_prctl code: %#x\n", a[0])
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
)

func sysSetThreadArea(p *Process, a *[6]uint64) int64 {
	b, e := p.readMem(a[0], abi.UserDescSize)
	if e != 0 {
		return e
	}
	u := abi.DecodeUserDesc(b)
	c := p.CPU
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
		if e := p.writeMem(a[0], u.Encode()); e != 0 {
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

func sysGetThreadArea(p *Process, a *[6]uint64) int64 {
	b, e := p.readMem(a[0], abi.UserDescSize)
	if e != 0 {
		return e
	}
	u := abi.DecodeUserDesc(b)
	if u.Entry < tlsFirst || u.Entry > tlsLast {
		return -abi.EINVAL
	}
	d := p.CPU.GDT[u.Entry]
	u.Base, u.Limit, u.Flags = d.Base, d.Limit, d.Flags
	if !d.Present {
		u.Flags = udReadExec | udNotPresent
	}
	return p.writeMem(a[0], u.Encode())
}
