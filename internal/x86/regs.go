package x86

import "encoding/binary"

// Register access by GDB register number, for plugins (qemulib_read_register)
// and debuggers. The numbering is GDB's for the guest's architecture
// (i386_regnum / amd64_regnum), followed by a few gemu extensions; it is
// the contract spelled out in include/regnum.h.

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

// Plausible control register values for a user-mode process: paging and
// protection on (CR0 PG|AM|WP|NE|ET|MP|PE) and CR4 PSE|PAE|MCE|PGE|OSFXSR|
// OSXMMEXCPT. System mode will hold real ones.
const (
	userCR0 = 0x80050033
	userCR4 = 0x6f0
)

// Register groups after the general registers and the instruction pointer,
// in GDB's order. Their numbers differ between the architectures only by an
// offset: i386 eflags is 9, amd64 eflags is 17.
const (
	gdbEflags = iota
	gdbCS
	gdbSS
	gdbDS
	gdbES
	gdbFS
	gdbGS
	gdbST0 // st0..st7, then the eight x87 control registers
)

// gdbSeg maps GDB's segment order (cs, ss, ds, es, fs, gs) to Seg indexes.
var gdbSeg = [6]int{CS, SS, DS, ES, FS, GS}

// gdbAMD64 maps amd64 GDB numbers 0..15 (rax, rbx, rcx, rdx, rsi, rdi,
// rbp, rsp, r8..r15) to R indexes; i386 numbers 0..7 are already in
// hardware order.
var gdbAMD64 = [16]int{RAX, RBX, RCX, RDX, RSI, RDI, RBP, RSP, R8, R9, R10, R11, R12, R13, R14, R15}

// GDBRegister returns register num of the guest's architecture (c.ProcMode) in
// GDB's numbering, little-endian in val, and its size in bytes; size is 0
// for a number that names no register. See include/regnum.h for the table.
func (c *CPU) GDBRegister(num int) (val [16]byte, size int) {
	if num < 0 {
		return val, 0
	}
	ngpr, word := 8, 4 // i386
	nxmm := 8
	if c.ProcMode == 64 {
		ngpr, word, nxmm = 16, 8, 16
	}
	put := func(v uint64, n int) ([16]byte, int) {
		binary.LittleEndian.PutUint64(val[:8], v)
		for i := n; i < 8; i++ {
			val[i] = 0
		}
		return val, n
	}
	if num < ngpr {
		r := num
		if c.ProcMode == 64 {
			r = gdbAMD64[num]
		}
		return put(c.R[r], word)
	}
	num -= ngpr
	if num == 0 {
		return put(c.RIP, word)
	}
	num-- // now relative to eflags
	switch {
	case num == gdbEflags:
		return put(c.Flags(), 4)
	case num >= gdbCS && num <= gdbGS:
		return put(uint64(c.Seg[gdbSeg[num-gdbCS]]), 4)
	case num >= gdbST0 && num < gdbST0+8:
		f := c.X87.STReg(num - gdbST0)
		binary.LittleEndian.PutUint64(val[:8], f.Mant)
		binary.LittleEndian.PutUint16(val[8:10], f.SE)
		return val, 10
	}
	x := &c.X87
	switch num - (gdbST0 + 8) {
	case 0: // fctrl
		return put(uint64(x.CW), 4)
	case 1: // fstat
		return put(uint64(x.FullStatus()), 4)
	case 2: // ftag
		return put(uint64(x.FullTag()), 4)
	case 3: // fiseg: bits 32-47 of the last instruction pointer, as GDB
		// reads them from a 64-bit FXSAVE image (0 for i386 guests)
		return put(x.FIP>>32&0xffff, 4)
	case 4: // fioff
		return put(x.FIP&0xffffffff, 4)
	case 5: // foseg
		return put(x.FDP>>32&0xffff, 4)
	case 6: // fooff
		return put(x.FDP&0xffffffff, 4)
	case 7: // fop
		return put(uint64(x.FOP&0x7ff), 4)
	}
	num -= gdbST0 + 16 // now relative to xmm0
	if num < nxmm {
		binary.LittleEndian.PutUint64(val[:8], c.XMM[num][0])
		binary.LittleEndian.PutUint64(val[8:], c.XMM[num][1])
		return val, 16
	}
	switch num - nxmm {
	case 0:
		return put(uint64(c.MXCSR), 4)
	case 1:
		return put(c.SegBase[FS], word)
	case 2:
		return put(c.SegBase[GS], word)
	case 3:
		return put(userCR0, word)
	case 4:
		return put(0, word) // cr2: no page fault address is recorded
	case 5:
		return put(0, word) // cr3: no page table in user mode
	case 6:
		return put(userCR4, word)
	}
	return [16]byte{}, 0
}

// GDBNumRegs returns how many register numbers GDBRegister answers for the
// process's mode: I386_NUM_REGS (47) or AMD64_NUM_REGS (63) of regnum.h.
func (c *CPU) GDBNumRegs() int {
	if c.ProcMode == 64 {
		return 63
	}
	return 47
}
