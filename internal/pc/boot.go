package pc

import (
	"encoding/binary"
	"errors"
	"fmt"

	"gemu/internal/x86"
)

// Direct Linux boot through the x86 boot protocol (the kernel's
// Documentation/arch/x86/boot.rst), without a BIOS and without running the
// kernel's real-mode setup code: the loader parses the bzImage's setup
// header, puts the protected-mode kernel, the initrd, the command line and
// boot_params (the "zero page", with the E820 map) into guest RAM, and
// returns the CPU state at the kernel's 32-bit entry (flat protected mode,
// paging off) or at its 64-bit entry (long mode with identity-mapped page
// tables). The loader works on guest RAM as a byte slice and knows nothing
// of the CPU: the board applies the Entry it returns (Entry.Apply).
//
// Where the loader puts its own data (all in usable conventional memory,
// below the EBDA):
//
//	0x01000  the GDT (null, null, __BOOT_CS 0x10, __BOOT_DS 0x18)
//	0x02000  multiboot information, its memory map and loader name
//	0x0f000  initial stack pointer (grows down; the kernel sets its own)
//	0x10000  boot_params (one 4 KiB page)
//	0x20000  the command line (up to 64 KiB)
//	0x30000  page tables of the 64-bit entry (PML4, PDPT, one PD a GiB)
const (
	BootGDTAddr       = 0x1000
	BootMBInfoAddr    = 0x2000
	BootStackTop      = 0xf000
	BootParamsAddr    = 0x10000
	BootCmdlineAddr   = 0x20000
	BootCmdlineMax    = 0x10000 // bytes, with the terminating NUL
	BootPageTableAddr = 0x30000
	bootPageTableEnd  = lowRAMEnd &^ 0xfff
)

// Selectors of the boot GDT: the boot protocol's __BOOT_CS and __BOOT_DS.
const (
	BootCS = 0x10
	BootDS = 0x18
)

// Offsets of the setup header's fields, from the start of the image and,
// the header being copied there at the same offsets, of boot_params.
const (
	hdrSetupSects      = 0x1f1
	hdrSysSize         = 0x1f4
	hdrBootFlag        = 0x1fe
	hdrJump            = 0x200
	hdrMagic           = 0x202
	hdrVersion         = 0x206
	hdrTypeOfLoader    = 0x210
	hdrLoadFlags       = 0x211
	hdrCode32Start     = 0x214
	hdrRamdiskImage    = 0x218
	hdrRamdiskSize     = 0x21c
	hdrCmdLinePtr      = 0x228
	hdrInitrdAddrMax   = 0x22c
	hdrKernelAlignment = 0x230
	hdrRelocatable     = 0x234
	hdrMinAlignment    = 0x235
	hdrXLoadFlags      = 0x236
	hdrCmdlineSize     = 0x238
	hdrPrefAddress     = 0x258
	hdrInitSize        = 0x260
	hdrEnd206          = 0x23c // the header of protocol 2.06 ends here at least (after cmdline_size)
	hdrEnd210          = 0x264 // and of 2.10 (after init_size)
)

// Fields of boot_params outside the setup header (zero-page.rst).
const (
	bpExtMemK         = 0x002 // screen_info.ext_mem_k
	bpOrigVideoIsVGA  = 0x00f // screen_info.orig_video_isVGA
	bpExtRamdiskImage = 0x0c0
	bpExtRamdiskSize  = 0x0c4
	bpExtCmdLinePtr   = 0x0c8
	bpAltMemK         = 0x1e0
	bpE820Entries     = 0x1e8
	bpE820Table       = 0x2d0
	bpSize            = 0x1000
)

// Bits of the setup header's loadflags and xloadflags.
const (
	LoadedHigh            = 1 << 0 // loadflags: the protected-mode code loads at 1 MiB or above
	XLFKernel64           = 1 << 0 // xloadflags: a 64-bit entry at load address + 0x200
	XLFCanBeLoadedAbove4G = 1 << 1 // xloadflags: kernel, boot_params, cmdline, initrd may be above 4 GiB
)

// MinBootProtocol is the oldest boot protocol the loader accepts: 2.06
// is the first with cmdline_size, and the 32-bit entry without the
// real-mode setup code needs 2.03's initrd_addr_max and 2.05's
// relocatable kernels.
const MinBootProtocol = 0x206

// LinuxKernel is a parsed bzImage: the image and its setup header.
type LinuxKernel struct {
	Name  string // the file, for messages
	Image []byte

	SetupSects      int    // 512-byte sectors of real-mode setup code after the boot sector (0 read as 4)
	SysSize         uint32 // size of the protected-mode code in 16-byte units
	Version         uint16 // boot protocol version, e.g. 0x20f
	LoadFlags       uint8
	Code32Start     uint32 // the 32-bit entry for a load at the default address
	InitrdAddrMax   uint32 // highest address the initrd may occupy
	KernelAlignment uint32 // alignment a relocatable kernel needs
	Relocatable     bool
	MinAlignment    uint8 // log2 of the smallest alignment it accepts
	XLoadFlags      uint16
	CmdlineSize     uint32 // longest command line, without its NUL
	PrefAddress     uint64 // preferred (non-relocatable: runtime) load address
	InitSize        uint32 // bytes the kernel needs from its runtime start before it reads the memory map
	HeaderEnd       int    // end of the setup header in the image (0x202 + the jump's offset)
}

// ParseBzImage reads the setup header of a bzImage. name is the file, for
// the error, which says what is wrong with it.
func ParseBzImage(name string, img []byte) (*LinuxKernel, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%s: not a bootable bzImage: %s", name, fmt.Sprintf(format, a...))
	}
	if len(img) < 0x400 {
		return nil, bad("%d bytes, too short for a setup header", len(img))
	}
	le := binary.LittleEndian
	if string(img[hdrMagic:hdrMagic+4]) != "HdrS" {
		return nil, bad("no \"HdrS\" setup header at 0x202")
	}
	if le.Uint16(img[hdrBootFlag:]) != 0xaa55 {
		return nil, bad("boot_flag at 0x1fe is %#04x, not 0xaa55", le.Uint16(img[hdrBootFlag:]))
	}
	k := &LinuxKernel{
		Name:        name,
		Image:       img,
		SetupSects:  int(img[hdrSetupSects]),
		SysSize:     le.Uint32(img[hdrSysSize:]),
		Version:     le.Uint16(img[hdrVersion:]),
		LoadFlags:   img[hdrLoadFlags],
		Code32Start: le.Uint32(img[hdrCode32Start:]),
	}
	if k.Version < MinBootProtocol {
		return nil, bad("boot protocol %d.%02d, older than the %d.%02d this loader needs",
			k.Version>>8, k.Version&0xff, MinBootProtocol>>8, MinBootProtocol&0xff)
	}
	if k.LoadFlags&LoadedHigh == 0 {
		return nil, bad("a zImage (loadflags LOADED_HIGH clear), which loads below 1 MiB")
	}
	// The jump at 0x200 is a short jump over the header: its offset says
	// where the header ends.
	k.HeaderEnd = hdrMagic + int(img[hdrJump+1])
	minEnd := hdrEnd206
	if k.Version >= 0x20a {
		minEnd = hdrEnd210
	}
	if img[hdrJump] != 0xeb || k.HeaderEnd < minEnd || k.HeaderEnd > bpE820Table {
		return nil, bad("the jump at 0x200 (%#02x %#02x) does not end a setup header", img[hdrJump], img[hdrJump+1])
	}
	if k.SetupSects == 0 {
		k.SetupSects = 4
	}
	k.InitrdAddrMax = le.Uint32(img[hdrInitrdAddrMax:])
	k.KernelAlignment = le.Uint32(img[hdrKernelAlignment:])
	k.Relocatable = img[hdrRelocatable] != 0
	k.MinAlignment = img[hdrMinAlignment]
	k.XLoadFlags = le.Uint16(img[hdrXLoadFlags:])
	k.CmdlineSize = le.Uint32(img[hdrCmdlineSize:])
	if k.Version >= 0x20a {
		k.PrefAddress = le.Uint64(img[hdrPrefAddress:])
		k.InitSize = le.Uint32(img[hdrInitSize:])
	}
	if k.Relocatable && (k.KernelAlignment == 0 || k.KernelAlignment&(k.KernelAlignment-1) != 0) {
		return nil, bad("kernel_alignment %#x is not a power of two", k.KernelAlignment)
	}
	off := k.setupSize()
	if off >= len(img) {
		return nil, bad("%d setup sectors, but the file ends at %d", k.SetupSects, len(img))
	}
	if uint64(k.SysSize)*16 > uint64(len(img)-off) {
		return nil, bad("truncated: syssize says %d bytes of protected-mode code, the file has %d",
			uint64(k.SysSize)*16, len(img)-off)
	}
	return k, nil
}

// setupSize returns the bytes of the boot sector and setup code, where the
// protected-mode kernel starts in the file.
func (k *LinuxKernel) setupSize() int { return (k.SetupSects + 1) * 512 }

// ProtectedMode returns the protected-mode kernel: the part of the image
// the loader puts at the load address.
func (k *LinuxKernel) ProtectedMode() []byte { return k.Image[k.setupSize():] }

// Is64 reports whether the kernel has the 64-bit entry (a 64-bit kernel).
func (k *LinuxKernel) Is64() bool { return k.XLoadFlags&XLFKernel64 != 0 }

// BootConfig is what the machine adds to a kernel at boot.
type BootConfig struct {
	Cmdline    string
	Initrd     []byte // nil: no initrd
	InitrdName string // for messages
	// LongMode says the CPU model has long mode. A 64-bit kernel enters
	// at its 64-bit entry then, unless Entry32 asks for the 32-bit one;
	// on a CPU without long mode a 64-bit kernel is refused.
	LongMode bool
	Entry32  bool
	// Reserved ranges for the memory map, beyond the PC's fixed ones:
	// the board's MMIO (IO-APIC, local APIC, ...).
	Reserved []E820Entry
}

// Entry is the CPU state a loader leaves for the kernel, for the board
// to apply. General registers not named are zero.
type Entry struct {
	// Long says the entry is in 64-bit mode (long mode, paging on);
	// otherwise it is 32-bit protected mode with paging off.
	Long bool

	RIP, RSP, RFLAGS uint64
	RAX, RBX, RSI    uint64

	CR0, CR3, CR4, EFER uint64

	// GDT is the table the loader put in RAM; Segs the descriptors loaded
	// from it, indexed x86.ES .. x86.GS, for the segment caches (their
	// selectors and bases also belong in Regs.Seg and Regs.SegBase).
	GDT  x86.DescTable
	Segs [6]x86.SegCache

	// Where the loader put things, for logs and tests.
	LoadAddr               uint64 // protected-mode kernel (Linux) or lowest segment (multiboot)
	KernelEnd              uint64 // first byte after what the kernel may use at boot
	InitrdAddr, InitrdSize uint64 // InitrdSize 0: no initrd
	BootParams             uint64 // boot_params (Linux) or multiboot information
	Cmdline                uint64
	E820                   []E820Entry
}

// Control register and EFER bits the entry states use.
const (
	cr0PE    = 1 << 0
	cr0ET    = 1 << 4
	cr0PG    = 1 << 31
	cr4PAE   = 1 << 5
	eferLME  = 1 << 8
	eferLMA  = 1 << 10
	flagsFix = 1 << 1 // EFLAGS bit 1 always reads as one
)

// Boot GDT descriptors: flat 4 GiB segments, accessed bit set (so the CPU
// never writes the table), G=1, P=1, DPL 0.
const (
	descCode32 = 0x00cf9b000000ffff // D=1, type 0xb: execute/read
	descCode64 = 0x00af9b000000ffff // L=1, D=0
	descData   = 0x00cf93000000ffff // B=1, type 3: read/write
	attrCode32 = x86.AttrG | x86.AttrDB | x86.AttrP | x86.AttrS | 0xb
	attrCode64 = x86.AttrG | x86.AttrL | x86.AttrP | x86.AttrS | 0xb
	attrData   = x86.AttrG | x86.AttrDB | x86.AttrP | x86.AttrS | 0x3
)

// ram is guest RAM as the loader writes it.
type ram struct {
	b []byte
	l RAMLayout
}

// slice returns the RAM at physical [pa, pa+n); the caller made sure it is
// RAM (the fixed low areas always are: RAM is at least 2 MiB).
func (r ram) slice(pa, n uint64) []byte {
	off, ok := r.l.Offset(pa, n)
	if !ok {
		panic(fmt.Sprintf("pc: boot loader writes outside RAM at %#x+%#x", pa, n))
	}
	return r.b[off : off+n : off+n]
}

func (r ram) put(pa uint64, data []byte) { copy(r.slice(pa, uint64(len(data))), data) }

func (r ram) zero(pa, n uint64) { clear(r.slice(pa, n)) }

func (r ram) put32(pa uint64, v uint32) { binary.LittleEndian.PutUint32(r.slice(pa, 4), v) }

func (r ram) put64(pa uint64, v uint64) { binary.LittleEndian.PutUint64(r.slice(pa, 8), v) }

// fits reports whether physical [pa, pa+n) is RAM.
func (r ram) fits(pa, n uint64) bool { _, ok := r.l.Offset(pa, n); return ok }

func alignUp(v, a uint64) uint64   { return (v + a - 1) &^ (a - 1) }
func alignDown(v, a uint64) uint64 { return v &^ (a - 1) }

func mib(n uint64) uint64 { return n >> 20 }

// LoadLinux puts the kernel k, the initrd and the command line of cfg into
// guest RAM b as the boot protocol says and returns the entry state.
// RAM is laid out as NewRAMLayout(len(b)) says. Only the areas the loader
// uses are written; the rest of RAM is left as it is.
func LoadLinux(b []byte, k *LinuxKernel, cfg *BootConfig) (*Entry, error) {
	r := ram{b, NewRAMLayout(uint64(len(b)))}
	e820, err := E820Map(r.l, cfg.Reserved)
	if err != nil {
		return nil, err
	}
	long := k.Is64() && !cfg.Entry32
	if k.Is64() && !cfg.LongMode {
		return nil, fmt.Errorf("%s: a 64-bit kernel, and the CPU model has no long mode", k.Name)
	}
	if uint64(len(cfg.Cmdline)) > uint64(k.CmdlineSize) || len(cfg.Cmdline) >= BootCmdlineMax {
		lim := min(uint64(k.CmdlineSize), BootCmdlineMax-1)
		return nil, fmt.Errorf("command line of %d bytes: %s takes at most %d", len(cfg.Cmdline), k.Name, lim)
	}

	// The protected-mode kernel: a relocatable one at pref_address
	// (aligned), where it runs; a fixed one at 1 MiB, from where it moves
	// itself to pref_address. Either needs init_size bytes from where it
	// runs. (Loading a relocatable kernel lower does not save RAM: its
	// decompressor never runs below LOAD_PHYSICAL_ADDR, which is what
	// pref_address holds.)
	pm := k.ProtectedMode()
	size := uint64(len(pm))
	var load, run uint64
	if k.Relocatable {
		load = alignUp(max(k.PrefAddress, highRAMBase), uint64(k.KernelAlignment))
		run = load
	} else {
		load = highRAMBase
		run = k.PrefAddress
		if run == 0 {
			run = highRAMBase
		}
	}
	kend := max(load+size, run+uint64(k.InitSize))
	if kend > r.l.Low {
		return nil, fmt.Errorf("%s: the kernel needs %d MiB of RAM (%d bytes loaded at %#x, init_size %d from %#x), more than the %d MiB given",
			k.Name, (kend+1<<20-1)>>20, size, load, k.InitSize, run, mib(r.l.Size))
	}

	// The initrd: at the top of RAM below initrd_addr_max, page aligned,
	// above the kernel; above 4 GiB if it does not fit below and the
	// kernel allows it.
	var rdAddr uint64
	rdSize := uint64(len(cfg.Initrd))
	if rdSize > 0 {
		top := min(r.l.Low, uint64(k.InitrdAddrMax)+1)
		ok := false
		if rdSize <= top {
			rdAddr = alignDown(top-rdSize, 0x1000)
			ok = rdAddr >= kend
		}
		if !ok && r.l.High() >= rdSize && k.XLoadFlags&XLFCanBeLoadedAbove4G != 0 {
			rdAddr = alignDown(r.l.End()-rdSize, 0x1000)
			ok = rdAddr >= fourGiB
		}
		if !ok {
			name := cfg.InitrdName
			if name == "" {
				name = "initrd"
			}
			return nil, fmt.Errorf("%s: initrd (%d bytes) does not fit in %d MiB of RAM (above the kernel, which needs up to %#x)",
				name, rdSize, mib(r.l.Size), kend)
		}
	}

	var pt ptables
	if long {
		if pt, err = planPageTables(r.l); err != nil {
			return nil, err
		}
	}

	// Everything is checked: write.
	r.put(load, pm)
	if rdSize > 0 {
		r.put(rdAddr, cfg.Initrd)
	}
	r.zero(BootCmdlineAddr, uint64(len(cfg.Cmdline))+1)
	r.put(BootCmdlineAddr, []byte(cfg.Cmdline))

	bp := BootParamsAddr
	r.zero(uint64(bp), bpSize)
	r.put(uint64(bp+hdrSetupSects), k.Image[hdrSetupSects:k.HeaderEnd])
	p := r.slice(uint64(bp), bpSize)
	le := binary.LittleEndian
	p[hdrTypeOfLoader] = 0xff // a loader with no assigned id
	le.PutUint32(p[hdrCode32Start:], uint32(load))
	le.PutUint32(p[hdrRamdiskImage:], uint32(rdAddr))
	le.PutUint32(p[hdrRamdiskSize:], uint32(rdSize))
	le.PutUint32(p[bpExtRamdiskImage:], uint32(rdAddr>>32))
	le.PutUint32(p[bpExtRamdiskSize:], uint32(rdSize>>32))
	le.PutUint32(p[hdrCmdLinePtr:], BootCmdlineAddr)
	le.PutUint32(p[bpExtCmdLinePtr:], 0)
	// A serial-only machine: no VGA (orig_video_isVGA 0 and the rest of
	// screen_info zero, so no VGA console). ext_mem_k and alt_mem_k say
	// the KiB of RAM above 1 MiB for kernels that look there (the BIOS's
	// INT 15h 88h answer is at most 0xfc00).
	p[bpOrigVideoIsVGA] = 0
	extK := (r.l.Low - highRAMBase) >> 10
	le.PutUint16(p[bpExtMemK:], uint16(min(extK, 0xfc00)))
	le.PutUint32(p[bpAltMemK:], uint32(min(extK, 0xffffffff)))
	p[bpE820Entries] = byte(len(e820))
	for i, m := range e820 {
		o := bpE820Table + 20*i
		le.PutUint64(p[o:], m.Addr)
		le.PutUint64(p[o+8:], m.Size)
		le.PutUint32(p[o+16:], m.Type)
	}

	e := &Entry{
		Long:       long,
		RSP:        BootStackTop,
		RFLAGS:     flagsFix,
		RSI:        uint64(bp),
		LoadAddr:   load,
		KernelEnd:  kend,
		InitrdAddr: rdAddr,
		InitrdSize: rdSize,
		BootParams: uint64(bp),
		Cmdline:    BootCmdlineAddr,
		E820:       e820,
	}
	if long {
		pt.write(r)
		e.writeGDT(r, descCode64, attrCode64)
		e.RIP = load + 0x200
		e.CR0 = cr0PE | cr0ET | cr0PG
		e.CR3 = BootPageTableAddr
		e.CR4 = cr4PAE
		e.EFER = eferLME | eferLMA
	} else {
		e.writeGDT(r, descCode32, attrCode32)
		e.RIP = load
		e.CR0 = cr0PE | cr0ET
	}
	return e, nil
}

// writeGDT puts the boot GDT in RAM (null, unused, code at 0x10, data at
// 0x18) and sets e's GDTR and segment caches from it: CS the code
// segment, the others the flat data segment.
func (e *Entry) writeGDT(r ram, code uint64, codeAttr uint16) {
	r.zero(BootGDTAddr, 32)
	r.put64(BootGDTAddr+BootCS, code)
	r.put64(BootGDTAddr+BootDS, descData)
	e.GDT = x86.DescTable{Base: BootGDTAddr, Limit: 31}
	for i := range e.Segs {
		e.Segs[i] = x86.SegCache{Sel: BootDS, Limit: 0xffffffff, Attr: attrData}
	}
	e.Segs[x86.CS] = x86.SegCache{Sel: BootCS, Limit: 0xffffffff, Attr: codeAttr}
}

// ptables is the identity map of the 64-bit entry: a PML4, one PDPT and
// a page directory of 2 MiB pages for each GiB from 0 up to the end of
// RAM or 4 GiB, whichever is higher (so the kernel, boot_params, the
// command line, the initrd and the low MMIO are all mapped).
type ptables struct{ gib uint64 }

// Page table entry bits.
const (
	pteP  = 1 << 0
	pteRW = 1 << 1
	ptePS = 1 << 7
)

func planPageTables(l RAMLayout) (ptables, error) {
	gib := alignUp(max(l.End(), fourGiB), 1<<30) >> 30
	if BootPageTableAddr+(2+gib)*0x1000 > bootPageTableEnd || gib > 512 {
		return ptables{}, fmt.Errorf("%d MiB of RAM: too much to identity-map for the 64-bit entry", mib(l.Size))
	}
	return ptables{gib}, nil
}

func (t ptables) write(r ram) {
	const pml4, pdpt, pd0 = BootPageTableAddr, BootPageTableAddr + 0x1000, BootPageTableAddr + 0x2000
	r.zero(pml4, 0x2000)
	r.put64(pml4, pdpt|pteP|pteRW)
	for g := uint64(0); g < t.gib; g++ {
		pd := pd0 + g*0x1000
		r.put64(pdpt+8*g, pd|pteP|pteRW)
		for j := uint64(0); j < 512; j++ {
			r.put64(pd+8*j, g<<30|j<<21|pteP|pteRW|ptePS)
		}
	}
}

// Apply puts the entry state into a system-mode CPU fresh from
// x86.NewSystemCPU: the paging registers through the CPU's setters (CR4,
// CR3 and EFER before CR0, so that CR0.PG with EFER.LME activates long
// mode and sets LMA), the GDTR, every segment register from Segs, the
// general registers, RIP and RFLAGS. It refuses a long-mode entry on a CPU
// model without long mode.
func (e *Entry) Apply(c *x86.CPU) error {
	if c.Priv == nil {
		return errors.New("pc: the boot entry state needs a system-mode CPU")
	}
	if err := c.SetCR4(e.CR4); err != nil {
		return err
	}
	if err := c.SetCR3(e.CR3); err != nil {
		return err
	}
	if e.EFER != 0 || c.EFER != 0 { // a model without EFER takes no write
		if err := c.SetEFER(e.EFER); err != nil {
			return err
		}
	}
	if err := c.SetCR0(e.CR0); err != nil {
		return err
	}
	if c.EFER != e.EFER {
		return fmt.Errorf("pc: EFER is %#x after the boot state's CR0, not %#x", c.EFER, e.EFER)
	}
	c.Priv.GDTR = e.GDT
	// CS last: its mode depends on the segments' cache only.
	for _, s := range []int{x86.ES, x86.SS, x86.DS, x86.FS, x86.GS, x86.CS} {
		if err := c.BootSegment(s, e.Segs[s]); err != nil {
			return err
		}
	}
	clear(c.R[:])
	c.R[x86.RAX], c.R[x86.RBX], c.R[x86.RSI], c.R[x86.RSP] = e.RAX, e.RBX, e.RSI, e.RSP
	c.RIP = e.RIP
	c.SetFlags(e.RFLAGS, ^uint64(0))
	return nil
}
