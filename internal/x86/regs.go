package x86

import (
	"encoding/binary"
	"unsafe"
)

// Register access by number, for plugins (qemulib_read_register). The
// numbering is the contract spelled out in include/regnum.h: that of ISP
// RAS SWAT's QEMU (its gdbstub's, GDB's order up to the segment selectors,
// then segment bases, control registers, x87, SSE and SWAT's cs_base,
// ss_base and tr_base), so that plugins built for SWAT read the same
// registers in gemu.

// STReg returns x87 stack register ST(i) (0 <= i < 8): the physical
// register TOP+i, as an FSTP or a debugger would see it.
func (x *X87) STReg(i int) F80 {
	return x.St[(int(x.Top)+i)&7]
}

// FullStatus returns the x87 status word with the TOP field (bits 11-13)
// filled in, as FNSTSW stores it.
func (x *X87) FullStatus() uint16 {
	return x.SW&^0x3800 | uint16(x.Top&7)<<11
}

// FullTag returns the full 16-bit x87 tag word, as FNSTENV stores it: two
// bits per physical register R0..R7, 00 valid, 01 zero, 10 special (NaN,
// infinity, denormal, unsupported) and 11 empty.
func (x *X87) FullTag() uint16 {
	var tw uint16
	for i := 7; i >= 0; i-- {
		tw <<= 2
		if x.Empty[i] {
			tw |= 3
			continue
		}
		tw |= uint16(x.St[i].tag())
	}
	return tw
}

// tag classifies a non-empty register for the tag word.
func (f F80) tag() uint8 {
	exp := f.SE & 0x7fff
	switch {
	case exp == 0x7fff:
		return 2
	case exp == 0 && f.Mant == 0:
		return 1
	case exp == 0:
		return 2 // denormal or pseudo-denormal
	case f.Mant>>63 == 0:
		return 2 // unnormal: unsupported format
	}
	return 0
}

// The system registers of a user-mode process as gemu models it, a Linux
// process on an x86-64 kernel (for i386 programs too, as with IA-32
// emulation): paging and protection on (CR0 PG|AM|WP|NE|ET|MP|PE), CR4
// PSE|PAE|MCE|PGE|OSFXSR|OSXMMEXCPT, EFER SCE|LME|LMA|NXE (long mode, NX as
// CPUID announces), and the task register's base at a fixed kernel address
// the guest cannot map (x86-64: in the kernel half; i386: the last page,
// above the highest address a 32-bit process gets). include/regnum.h
// documents them; system mode reads the real ones (SysRegTable).
const (
	userCR0      = 0x80050033
	userCR4      = 0x6f0
	userEFER     = 0xd01
	userTRBase64 = 0xfffffe0000003000
	userTRBase32 = 0xfffff000
)

// UserCR3 returns the cr3 value of the user-mode process pid of the given
// mode (32 or 64): non-zero and different for each process, as per-process
// tables keyed on cr3 need. It is pid*4096 for x86-64 and pid*1024 for
// i386, so that every Linux pid (below 2^22) fits the 4 bytes an i386
// plugin reads.
func UserCR3(procMode, pid int) uint64 {
	if procMode == 64 {
		return uint64(pid) << 12
	}
	return uint64(pid) << 10
}

// RegKind says how a RegSlot's register is read from a Regs block.
type RegKind uint8

// Register kinds. Each names one way of reading a register; Go
// (GDBRegister) and the C plugin library interpret them alike.
const (
	// RegAbsent: no register has this number (size 0).
	RegAbsent RegKind = iota
	// RegPlain: load SrcSize bytes little-endian at Off, shift right by
	// Shift, AND with Mask, store Size bytes little-endian.
	RegPlain
	// RegEflags: EFLAGS as Flags computes it from the lazy flag fields
	// (RegsOffLazy*) and the other flag bits (RegsOffFlags); Size bytes.
	RegEflags
	// RegST: x87 stack register ST(i) with i = Shift: the 10 bytes (F80
	// Mant then SE) of physical register (TOP+i)&7 of the array at Off
	// (RegsOffX87St, F80Size bytes apart), TOP the byte at RegsOffX87Top.
	RegST
	// RegFstat: the x87 status word with TOP in bits 11-13 (FullStatus):
	// the uint16 at Off (RegsOffX87SW) and TOP; Size bytes.
	RegFstat
	// RegFtag: the full x87 tag word (FullTag), computed from the empty
	// flags (RegsOffX87Empty) and the physical registers' classes; Size
	// bytes.
	RegFtag
	// RegXMM: Size (16) bytes copied from Off.
	RegXMM
	// RegConst: the value Mask, Size bytes little-endian (control
	// registers in user mode).
	RegConst
)

// RegSlot describes one register number: where its value is in a Regs
// block and how to turn it into the bytes qemulib_read_register stores.
// Its layout (16 bytes) is the C struct
//
//	struct gemu_reg_slot { uint8_t kind, size, src_size, shift; uint32_t off; uint64_t mask; };
type RegSlot struct {
	Kind    RegKind
	Size    uint8  // bytes stored (the register's size); 0 for RegAbsent
	SrcSize uint8  // RegPlain: bytes loaded at Off (1, 2, 4 or 8)
	Shift   uint8  // RegPlain: right shift after the load; RegST: i of ST(i)
	Off     uint32 // offset in Regs
	Mask    uint64 // RegPlain: mask after the shift; RegConst: the value
}

// Layout facts of Regs for code that is not Go, pinned by TestRegsLayout
// (see the C struct in Regs's comment).
const (
	RegsOffR        = unsafe.Offsetof(Regs{}.R)
	RegsOffRIP      = unsafe.Offsetof(Regs{}.RIP)
	RegsOffLazyOp   = unsafe.Offsetof(Regs{}.lazy) + unsafe.Offsetof(lazyFlags{}.op)
	RegsOffLazySize = unsafe.Offsetof(Regs{}.lazy) + unsafe.Offsetof(lazyFlags{}.size)
	RegsOffLazyRes  = unsafe.Offsetof(Regs{}.lazy) + unsafe.Offsetof(lazyFlags{}.res)
	RegsOffLazyA    = unsafe.Offsetof(Regs{}.lazy) + unsafe.Offsetof(lazyFlags{}.a)
	RegsOffLazyB    = unsafe.Offsetof(Regs{}.lazy) + unsafe.Offsetof(lazyFlags{}.b)
	RegsOffLazyCin  = unsafe.Offsetof(Regs{}.lazy) + unsafe.Offsetof(lazyFlags{}.cin)
	RegsOffFlags    = unsafe.Offsetof(Regs{}.flags)
	RegsOffAddrMask = unsafe.Offsetof(Regs{}.AddrMask)
	RegsOffMode     = unsafe.Offsetof(Regs{}.Mode)
	RegsOffProcMode = unsafe.Offsetof(Regs{}.ProcMode)
	RegsOffSegBase  = unsafe.Offsetof(Regs{}.SegBase)
	RegsOffSeg      = unsafe.Offsetof(Regs{}.Seg)
	RegsOffMXCSR    = unsafe.Offsetof(Regs{}.MXCSR)
	RegsOffXMM      = unsafe.Offsetof(Regs{}.XMM)
	RegsOffX87      = unsafe.Offsetof(Regs{}.X87)
	RegsOffX87St    = RegsOffX87 + unsafe.Offsetof(X87{}.St)
	RegsOffX87Top   = RegsOffX87 + unsafe.Offsetof(X87{}.Top)
	RegsOffX87Empty = RegsOffX87 + unsafe.Offsetof(X87{}.Empty)
	RegsOffX87CW    = RegsOffX87 + unsafe.Offsetof(X87{}.CW)
	RegsOffX87SW    = RegsOffX87 + unsafe.Offsetof(X87{}.SW)
	RegsOffX87FIP   = RegsOffX87 + unsafe.Offsetof(X87{}.FIP)
	RegsOffX87FDP   = RegsOffX87 + unsafe.Offsetof(X87{}.FDP)
	RegsOffX87FOP   = RegsOffX87 + unsafe.Offsetof(X87{}.FOP)
	RegsOffCR3      = unsafe.Offsetof(Regs{}.CR3)
	// F80Size is the distance between two x87 registers in X87.St: Mant
	// (8 bytes) at 0, SE (2 bytes) at 8, padding.
	F80Size = unsafe.Sizeof(F80{})
	// RegSlotSize is the size of a RegSlot (the C struct gemu_reg_slot).
	RegSlotSize = unsafe.Sizeof(RegSlot{})
)

// Lazy flag operations as stored at RegsOffLazyOp, for code that computes
// EFLAGS from a Regs block (flags.go has the rules; the operands at
// RegsOffLazyRes/A/B/Cin are truncated to the operand size in bytes at
// RegsOffLazySize).
const (
	LazyNone  = flagsNone
	LazyAdd   = flagsAdd
	LazyAdc   = flagsAdc
	LazySub   = flagsSub
	LazySbb   = flagsSbb
	LazyLogic = flagsLogic
	LazyInc   = flagsInc
	LazyDec   = flagsDec
	LazyRes   = flagsRes
)

// The register tables of the two architectures, built once, for user
// mode and for system mode.
var (
	regTable32, regTable64       = buildRegTable(32, false), buildRegTable(64, false)
	sysRegTable32, sysRegTable64 = buildRegTable(32, true), buildRegTable(64, true)
)

// RegTable returns the register table of a user-mode process of the given
// mode (32: i386, 64: x86-64), indexed by register number
// (include/regnum.h): entry n says how to read register n from a Regs
// block (RegAbsent for a number in a gap of the table). The slice is
// shared: callers must not modify it.
func RegTable(procMode int) []RegSlot {
	if procMode == 64 {
		return regTable64
	}
	return regTable32
}

// SysRegTable is RegTable for a system-mode CPU (gemu-system, CPU.Priv
// set): the numbering is the same, but the control registers, EFER,
// kernel_gs_base, tr_base and the privilege level are read from the
// block (the guest's own values) instead of user mode's constants.
func SysRegTable(procMode int) []RegSlot {
	if procMode == 64 {
		return sysRegTable64
	}
	return sysRegTable32
}

// regTable is the table that applies to c: SysRegTable in system mode.
func (c *CPU) regTable() []RegSlot {
	if c.Priv != nil {
		return SysRegTable(c.ProcMode)
	}
	return RegTable(c.ProcMode)
}

// gdbSeg maps GDB's segment order (cs, ss, ds, es, fs, gs) to Seg indexes.
var gdbSeg = [6]int{CS, SS, DS, ES, FS, GS}

// gdbAMD64 maps amd64 GDB numbers 0..15 (rax, rbx, rcx, rdx, rsi, rdi,
// rbp, rsp, r8..r15) to R indexes; i386 numbers 0..7 are already in
// hardware order.
var gdbAMD64 = [16]int{RAX, RBX, RCX, RDX, RSI, RDI, RBP, RSP, R8, R9, R10, R11, R12, R13, R14, R15}

// Numbers of the registers past the general ones and the instruction
// pointer that are not laid out alike in both tables (include/regnum.h).
const (
	i386NumRegs  = 75 // I386_NUM_REGS
	amd64NumRegs = 155
	regCSBase    = 72 // both architectures
	regSSBase    = 73
	i386TRBase   = 74
	amd64TRBase  = 154
	// The privilege level, a number of gemu's own after every number
	// regnum.h had (I386_PKRU_REGNUM 105, AMD64_PKRU_REGNUM 249), so
	// that no number SWAT's plugins use moves.
	i386CPL  = 106 // I386_CPL_REGNUM
	amd64CPL = 250 // AMD64_CPL_REGNUM
)

// Offsets of the system registers in Regs (the C struct of Regs's
// comment), pinned by TestRegsLayout.
const (
	RegsOffCR0          = unsafe.Offsetof(Regs{}.CR0)
	RegsOffCR2          = unsafe.Offsetof(Regs{}.CR2)
	RegsOffCR4          = unsafe.Offsetof(Regs{}.CR4)
	RegsOffCR8          = unsafe.Offsetof(Regs{}.CR8)
	RegsOffEFER         = unsafe.Offsetof(Regs{}.EFER)
	RegsOffKernelGSBase = unsafe.Offsetof(Regs{}.KernelGSBase)
	RegsOffCPL          = unsafe.Offsetof(Regs{}.CPL)
	RegsOffTRBase       = unsafe.Offsetof(Regs{}.TRBase)
)

// buildRegTable lays out one architecture's numbering: the general
// registers, the instruction pointer, eflags, the selectors (cs ss ds es fs
// gs), fs_base, gs_base, kernel_gs_base, cr0, cr2, cr3, cr4, cr8, efer,
// st0..st7, the eight x87 control registers, the xmm registers, mxcsr; a
// gap; cs_base and ss_base at 72 and 73, tr_base at 74 (i386) or 154
// (x86-64); a gap (the registers gemu does not have); cpl at 106 (i386)
// or 250 (x86-64). sys says system mode: the system registers come from
// the block rather than being user mode's constants.
func buildRegTable(procMode int, sys bool) []RegSlot {
	ngpr, word, nxmm := 8, uint8(4), 8
	trNum, trBase, cplNum := i386TRBase, uint64(userTRBase32), i386CPL
	if procMode == 64 {
		ngpr, word, nxmm = 16, 8, 16
		trNum, trBase, cplNum = amd64TRBase, userTRBase64, amd64CPL
	}
	wordMask := sizeMask[word]
	plain := func(off uintptr, src, size uint8, shift uint8, mask uint64) RegSlot {
		return RegSlot{Kind: RegPlain, Size: size, SrcSize: src, Shift: shift, Off: uint32(off), Mask: mask}
	}
	word64 := func(off uintptr) RegSlot { return plain(off, 8, word, 0, wordMask) }
	constant := func(v uint64) RegSlot { return RegSlot{Kind: RegConst, Size: word, Mask: v & wordMask} }
	// system is register off in system mode, the constant v in user mode.
	system := func(off uintptr, v uint64) RegSlot {
		if sys {
			return word64(off)
		}
		return constant(v)
	}
	var t []RegSlot
	for i := 0; i < ngpr; i++ {
		r := i
		if procMode == 64 {
			r = gdbAMD64[i]
		}
		t = append(t, word64(RegsOffR+uintptr(r)*8))
	}
	t = append(t, word64(RegsOffRIP))
	t = append(t, RegSlot{Kind: RegEflags, Size: 4})
	for _, s := range gdbSeg {
		t = append(t, plain(RegsOffSeg+uintptr(s)*2, 2, 4, 0, 0xffff))
	}
	t = append(t,
		word64(RegsOffSegBase+FS*8), // fs_base
		word64(RegsOffSegBase+GS*8), // gs_base
		// kernel_gs_base: in user mode the kernel's, swapped out
		system(RegsOffKernelGSBase, 0),
		system(RegsOffCR0, userCR0),
		system(RegsOffCR2, 0), // user mode: no page fault address is recorded
		word64(RegsOffCR3),
		system(RegsOffCR4, userCR4),
		system(RegsOffCR8, 0), // user mode: task priority 0
		system(RegsOffEFER, userEFER),
	)
	for i := 0; i < 8; i++ {
		t = append(t, RegSlot{Kind: RegST, Size: 10, Shift: uint8(i), Off: uint32(RegsOffX87St)})
	}
	t = append(t,
		plain(RegsOffX87CW, 2, 4, 0, 0xffff), // fctrl
		RegSlot{Kind: RegFstat, Size: 4, Off: uint32(RegsOffX87SW)},
		RegSlot{Kind: RegFtag, Size: 4, Off: uint32(RegsOffX87Empty)},
		// fiseg: bits 32-47 of the last instruction pointer, as GDB
		// reads them from a 64-bit FXSAVE image (0 for i386 guests)
		plain(RegsOffX87FIP, 8, 4, 32, 0xffff),
		plain(RegsOffX87FIP, 8, 4, 0, 0xffffffff), // fioff
		plain(RegsOffX87FDP, 8, 4, 32, 0xffff),    // foseg
		plain(RegsOffX87FDP, 8, 4, 0, 0xffffffff), // fooff
		plain(RegsOffX87FOP, 2, 4, 0, 0x7ff),      // fop
	)
	for i := 0; i < nxmm; i++ {
		t = append(t, RegSlot{Kind: RegXMM, Size: 16, Off: uint32(RegsOffXMM + uintptr(i)*16)})
	}
	t = append(t, plain(RegsOffMXCSR, 4, 4, 0, 0xffffffff))
	t = append(t, make([]RegSlot, cplNum+1-len(t))...) // the gaps read nothing
	t[regCSBase] = word64(RegsOffSegBase + CS*8)
	t[regSSBase] = word64(RegsOffSegBase + SS*8)
	t[trNum] = system(RegsOffTRBase, trBase)
	// cpl: 4 bytes; a user-mode process runs at 3.
	if sys {
		t[cplNum] = plain(RegsOffCPL, 8, 4, 0, 3)
	} else {
		t[cplNum] = RegSlot{Kind: RegConst, Size: 4, Mask: 3}
	}
	return t
}

// regsBytes returns c's register block as bytes, the memory RegTable's
// offsets index.
func (c *CPU) regsBytes() []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(c.Regs)), RegsSize)
}

// GDBRegister returns register num of the guest's architecture (c.ProcMode),
// numbered as in include/regnum.h, little-endian in val, and its size in
// bytes; size is 0 for a number that names no register. In system mode
// (c.Priv set) the control registers, EFER, kernel_gs_base, tr_base and
// cpl are the guest's (SysRegTable); in user mode the constants of a
// Linux process. See
// include/regnum.h for the table; the register is read as its RegTable slot says, the way the C plugin
// library reads it.
func (c *CPU) GDBRegister(num int) (val [16]byte, size int) {
	t := c.regTable()
	if num < 0 || num >= len(t) {
		return val, 0
	}
	s := &t[num]
	b := c.regsBytes()
	var v uint64
	switch s.Kind {
	case RegPlain:
		switch src := b[s.Off:]; s.SrcSize {
		case 1:
			v = uint64(src[0])
		case 2:
			v = uint64(binary.LittleEndian.Uint16(src))
		case 4:
			v = uint64(binary.LittleEndian.Uint32(src))
		default:
			v = binary.LittleEndian.Uint64(src)
		}
		v = v >> s.Shift & s.Mask
	case RegEflags:
		v = c.Flags()
	case RegFstat:
		v = uint64(c.X87.FullStatus())
	case RegFtag:
		v = uint64(c.X87.FullTag())
	case RegConst:
		v = s.Mask
	case RegST:
		top := b[RegsOffX87Top]
		copy(val[:10], b[s.Off+uint32((top+s.Shift)&7)*uint32(F80Size):])
		return val, 10
	case RegXMM:
		copy(val[:16], b[s.Off:s.Off+16])
		return val, 16
	default:
		return val, 0
	}
	binary.LittleEndian.PutUint64(val[:8], v)
	clear(val[s.Size:8])
	return val, int(s.Size)
}

// GDBNumRegs returns one past the highest register number GDBRegister
// answers for the process's mode: one past the cpl register of regnum.h
// (I386_CPL_REGNUM 106, AMD64_CPL_REGNUM 250), beyond the NUM_REGS of
// SWAT's numbering (75, 155). Numbers below it in the gaps of the table
// read nothing.
func (c *CPU) GDBNumRegs() int {
	return len(c.regTable())
}
