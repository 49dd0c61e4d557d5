package x86

import (
	"sync/atomic"

	"golang.org/x/arch/x86/x86asm"
)

// Segmentation in user mode, as an x86-64 Linux kernel sets it up: the
// GDT's fixed entries (kernel code and data at DPL 0, user code and data at
// DPL 3), the three TLS entries of set_thread_area, and a process's LDT
// written with modify_ldt. Selector loads (MOV, POP, LDS...), far
// transfers (far JMP, CALL, RET, IRET) and their faults follow the
// protected-mode checks at CPL 3.
//
// Code segments set the mode (Mode, AddrMask): an x86-64 process runs
// 32-bit code in compatibility mode after a far transfer to 0x23
// (__USER32_CS), back in 64-bit mode after one to 0x33, and an i386
// process 64-bit code after one to 0x33, as on an x86-64 kernel. The
// engine translates blocks for one mode, so a CS load that changes it
// ends the block (TrapResume) and the engine starts over in the new mode.
//
// What gemu does not model: segment limits (never checked), bases of
// DS, ES and SS for the instructions that use them by default (a base is
// applied only to FS and GS, and in 32-bit code to a memory operand with
// an explicit segment prefix), a null DS or ES used in 32-bit code
// (hardware: #GP; gemu reads and writes flat memory), and 16-bit code
// segments or code segments with a nonzero base: a far transfer to one
// raises #GP with the selector, as a refused selector does.

// User-mode GDT selectors of an x86-64 kernel.
const (
	SelUserCS32 = 0x23 // __USER32_CS: 32-bit code
	SelUserDS   = 0x2b // __USER_DS
	SelUserCS64 = 0x33 // __USER_CS: 64-bit code
)

// gdtEntries is the size of the GDT: index 15 is the last one.
const gdtEntries = 16

// user_desc flag bits, the representation of SegDesc.Flags.
const (
	UDSeg32      = 1 << 0
	UDContents   = 3 << 1
	UDReadExec   = 1 << 3
	UDLimitPages = 1 << 4
	UDNotPresent = 1 << 5
	UDUseable    = 1 << 6
	UDLM         = 1 << 7
)

// LDT is a process's local descriptor table, shared by its threads. The
// table is replaced as a whole on each change (copy on write), so that a
// thread loading a selector never sees one half written.
type LDT struct {
	p atomic.Pointer[[]SegDesc]
}

// Entries returns the current table (do not modify it).
func (l *LDT) Entries() []SegDesc {
	if l == nil {
		return nil
	}
	if e := l.p.Load(); e != nil {
		return *e
	}
	return nil
}

// Set installs a new table.
func (l *LDT) Set(e []SegDesc) { l.p.Store(&e) }

// Encode returns d in the hardware's 8-byte descriptor format, as Linux
// builds it from a user_desc (fill_ldt): DPL 3, the accessed bit set,
// never the L bit; the zero SegDesc encodes as 0.
func (d SegDesc) Encode() uint64 {
	if d == (SegDesc{}) {
		return 0
	}
	f := d.Flags
	typ := uint64(1) | uint64(f&UDReadExec>>3^1)<<1 | uint64(f&UDContents>>1)<<2
	v := uint64(d.Limit&0xffff) | uint64(d.Base&0xffff)<<16
	hi := uint64(d.Base>>16&0xff) | typ<<8 | 1<<12 | 3<<13 | uint64(d.Limit>>16&0xf)<<16 |
		uint64(d.Base>>24)<<24
	if d.Present {
		hi |= 1 << 15
	}
	if f&UDUseable != 0 {
		hi |= 1 << 20
	}
	if f&UDSeg32 != 0 {
		hi |= 1 << 22
	}
	if f&UDLimitPages != 0 {
		hi |= 1 << 23
	}
	return v | hi<<32
}

// segKind classifies a descriptor for selector loads.
type segKind uint8

const (
	segNone segKind = iota // empty or a system descriptor: never loadable
	segData
	segCode
)

// descInfo is what the selector checks need of a descriptor.
type descInfo struct {
	kind       segKind
	present    bool
	dpl        uint8
	readable   bool // code: readable; data is always readable
	writable   bool // data only
	conforming bool
	long       bool // 64-bit code (L)
	big        bool // 32-bit code (D)
	base       uint32
}

// info turns a user_desc-style descriptor (TLS and LDT entries, always
// DPL 3) into descInfo; the zero SegDesc is an empty entry.
func (d SegDesc) info() descInfo {
	if d == (SegDesc{}) {
		return descInfo{}
	}
	i := descInfo{present: d.Present, dpl: 3, base: d.Base, big: d.Flags&UDSeg32 != 0}
	switch d.Flags & UDContents >> 1 {
	case 0, 1:
		i.kind = segData
		i.writable = d.Flags&UDReadExec == 0
	case 2, 3:
		// Never 64-bit: Linux does not set the L bit from user_desc's lm.
		i.kind = segCode
		i.readable = d.Flags&UDReadExec == 0
		i.conforming = d.Flags&UDContents>>1 == 3
	}
	return i
}

// desc looks up the descriptor sel selects; ok is false if sel lies
// beyond its table.
func (c *CPU) desc(sel uint16) (d descInfo, ok bool) {
	idx := int(sel >> 3)
	if sel&4 != 0 {
		e := c.LDT.Entries()
		if idx >= len(e) {
			return descInfo{}, false
		}
		return e[idx].info(), true
	}
	switch idx {
	case 1: // kernel 32-bit code
		return descInfo{kind: segCode, present: true, readable: true, big: true}, true
	case 2: // kernel code
		return descInfo{kind: segCode, present: true, readable: true, long: true}, true
	case 3: // kernel data
		return descInfo{kind: segData, present: true, writable: true}, true
	case 4: // user 32-bit code
		return descInfo{kind: segCode, present: true, dpl: 3, readable: true, big: true}, true
	case 5: // user data
		return descInfo{kind: segData, present: true, dpl: 3, writable: true}, true
	case 6: // user 64-bit code
		return descInfo{kind: segCode, present: true, dpl: 3, readable: true, long: true}, true
	case 15: // CPU and node number (read by LSL), read-only data
		return descInfo{kind: segData, present: true, dpl: 3}, true
	}
	if idx >= gdtEntries {
		return descInfo{}, false
	}
	return c.GDT[idx].info(), true
}

// segFault raises #GP (or another selector exception) with the selector's
// error code: its index and table bit.
func segFault(kind TrapKind, sel uint16) {
	panic(&Trap{Kind: kind, Code: int(sel &^ 3)})
}

// LoadSeg loads a data segment register (DS, ES, FS, GS or SS) with sel at
// CPL 3, as MOV Sreg, POP Sreg and LDS-style loads do: #GP(sel) for a
// selector beyond its table, an empty or system descriptor, execute-only
// code, a descriptor of DPL below 3 (or RPL above a data segment's DPL);
// SS needs writable data with RPL and DPL 3 and refuses the null selector;
// a valid but not-present descriptor raises #NP (#SS for SS). A null
// selector loads into the others. Loading CS is #UD.
func (c *CPU) LoadSeg(seg int, sel uint16) {
	if c.Priv != nil {
		c.sysLoadSeg(seg, sel)
		return
	}
	if seg == CS {
		panic(&Trap{Kind: TrapInvalidOp})
	}
	if sel&^3 == 0 {
		if seg == SS {
			segFault(TrapGP, 0)
		}
		c.Seg[seg] = sel
		if c.Mode == 32 || seg != FS && seg != GS {
			c.SegBase[seg] = 0
		}
		return
	}
	d, ok := c.desc(sel)
	if !ok || d.kind == segNone {
		segFault(TrapGP, sel)
	}
	rpl := uint8(sel & 3)
	if seg == SS {
		if d.kind != segData || !d.writable || rpl != 3 || d.dpl != 3 {
			segFault(TrapGP, sel)
		}
		if !d.present {
			segFault(TrapStack, sel)
		}
	} else {
		if d.kind == segCode && !d.readable {
			segFault(TrapGP, sel)
		}
		if !(d.kind == segCode && d.conforming) && (d.dpl < 3 || d.dpl < rpl) {
			segFault(TrapGP, sel)
		}
		if !d.present {
			segFault(TrapNotPresent, sel)
		}
	}
	c.Seg[seg] = sel
	// 64-bit code ignores the bases of DS, ES and SS, but the CPU loads
	// them all the same: compatibility mode uses them.
	c.SegBase[seg] = uint64(d.base)
}

// farTarget checks sel as the new CS of a far JMP or CALL (ret false) or
// a far RET or IRET (ret true) at CPL 3 and returns the selector CS gets
// (its RPL set to 3) and the mode of its code.
func (c *CPU) farTarget(sel uint16, ret bool) (uint16, int) {
	if sel&^3 == 0 {
		segFault(TrapGP, 0)
	}
	d, ok := c.desc(sel)
	if !ok || d.kind != segCode {
		segFault(TrapGP, sel)
	}
	if ret && sel&3 != 3 {
		// A return to a more privileged level.
		segFault(TrapGP, sel)
	}
	if !d.conforming && d.dpl != 3 {
		segFault(TrapGP, sel)
	}
	if !d.present {
		segFault(TrapNotPresent, sel)
	}
	mode := d.codeMode()
	if mode == 0 {
		// 16-bit code or a based code segment: not emulated.
		segFault(TrapGP, sel)
	}
	return sel | 3, mode
}

// codeMode returns the mode of the code a code descriptor holds: 64 for
// a 64-bit segment (L), 32 for a 32-bit one (D) at base 0, and 0 for
// what gemu does not run (16-bit code, a nonzero base).
func (d descInfo) codeMode() int {
	switch {
	case d.base != 0:
		return 0
	case d.long:
		return 64
	case d.big:
		return 32
	}
	return 0
}

// setMode makes the CPU run 32- or 64-bit code.
func (c *CPU) setMode(mode int) {
	c.Mode = mode
	if mode == 32 {
		c.AddrMask = 0xffffffff
	} else {
		c.AddrMask = ^uint64(0)
	}
}

// loadCS loads CS with sel, a code segment of the given mode, and jumps
// to off. RIP keeps the low 32 bits of off in 32-bit code. Entering
// 32-bit code from 64-bit code also drops the upper half of RSP: in
// compatibility mode only ESP exists, and the frame of a later exception
// or system call shows RSP zero-extended from it, as hardware saves it.
// It reports whether the mode changed: the caller then ends the block
// (the engine translated it for the old mode).
func (c *CPU) loadCS(sel uint16, mode int, off uint64) bool {
	c.Seg[CS] = sel
	if mode == 32 {
		off &= 0xffffffff
	}
	c.RIP = off
	if mode == c.Mode {
		return false
	}
	c.setMode(mode)
	if mode == 32 {
		c.R[RSP] &= 0xffffffff
	}
	return true
}

// farJump finishes a far transfer to sel:off: it loads CS and, if the
// mode changed, leaves the block.
func (c *CPU) farJump(sel uint16, mode int, off uint64) {
	if c.loadCS(sel, mode, off) {
		panic(resume)
	}
}

// SetCS loads CS with sel as the OS layer does when it returns to user
// code (sigreturn's frame, signal delivery, a forked child's state):
// sel's RPL is forced to 3 and its descriptor must be a code segment
// gemu runs; if not, SetCS changes nothing and returns false. A mode
// change sets c.Stop, so that the engine leaves the blocks of the old
// mode before running the new one.
func (c *CPU) SetCS(sel uint16) bool {
	sel |= 3
	d, ok := c.desc(sel)
	if !ok || d.kind != segCode || !d.present || !d.conforming && d.dpl != 3 {
		return false
	}
	mode := d.codeMode()
	if mode == 0 {
		return false
	}
	if c.loadCS(sel, mode, c.RIP) {
		c.Stop.Store(true)
	}
	return true
}

// opLret is a far return (RET FAR, with an optional stack release): pop
// the offset and CS, each of the operand size.
func opLret(c *CPU, in *Inst) {
	if c.Priv != nil {
		c.sysFarRet(in)
		return
	}
	n := uint64(in.OSize)
	mask := c.AddrMask
	sp := c.R[RSP] & mask
	off := c.Mem.LoadN(sp, int(n))
	sel := uint16(c.Mem.LoadN((sp+n)&mask, int(n)))
	cs, mode := c.farTarget(sel, true)
	sp += 2 * n
	if in.NArgs > 0 {
		sp += in.Imm & 0xffff
	}
	c.setRegN(RSP, c.Mode/8, sp&mask)
	c.farJump(cs, mode, off)
}

// farPointer returns the target of a far JMP or CALL: the direct
// ptr16:16/32 form keeps the selector in Disp (buildFar), the indirect
// form reads m16:16/32/64 (the offset, then the selector).
func (c *CPU) farPointer(in *Inst) (off uint64, sel uint16) {
	if in.A[0].Kind == KImm {
		return in.Imm, uint16(in.Disp)
	}
	if in.A[0].Kind != KMem {
		panic(&Trap{Kind: TrapInvalidOp})
	}
	n := uint64(in.OSize)
	off = c.Mem.LoadN(c.EA(in), int(n))
	sel = c.Mem.Load16(c.eaPlus(in, n))
	return off, sel
}

func opLjmp(c *CPU, in *Inst) {
	off, sel := c.farPointer(in)
	if c.Priv != nil {
		c.sysFarJump(off, sel)
		return
	}
	cs, mode := c.farTarget(sel, false)
	c.farJump(cs, mode, off)
}

// opLcall pushes CS and the return offset, each of the operand size, and
// jumps; nothing changes if the target is refused or a push faults.
func opLcall(c *CPU, in *Inst) {
	off, sel := c.farPointer(in)
	if c.Priv != nil {
		c.sysFarCall(in, off, sel)
		return
	}
	cs, mode := c.farTarget(sel, false)
	n := uint64(in.OSize)
	mask := c.AddrMask
	sp := c.R[RSP] & mask
	c.Mem.StoreN((sp-n)&mask, int(n), uint64(c.Seg[CS]))
	c.Mem.StoreN((sp-2*n)&mask, int(n), in.Next)
	c.setRegN(RSP, c.Mode/8, (sp-2*n)&mask)
	c.farJump(cs, mode, off)
}

// buildFar keeps the selector of a direct far JMP or CALL (ptr16:16 or
// ptr16:32, decoded as two immediates) in Disp and the offset in Imm.
func buildFar(in *Inst) Handler {
	if in.Raw != nil && in.NArgs == 2 {
		if s, ok := in.Raw.Args[0].(x86asm.Imm); ok {
			if o, ok := in.Raw.Args[1].(x86asm.Imm); ok {
				in.Disp, in.Imm = uint64(s)&0xffff, uint64(o)
				in.A[0] = Operand{Kind: KImm, Size: in.OSize}
			}
		}
	}
	return nil
}

// iretMask is what IRET may change in EFLAGS at CPL 3: what POPF may.
const iretMask = popfMask

// opIret returns from an interrupt at the same privilege level: it pops
// the offset, CS and EFLAGS and, in 64-bit mode, RSP and SS, each of the
// operand size; CS and SS are checked before anything changes.
func opIret(c *CPU, in *Inst) {
	if c.Priv != nil {
		c.sysIret(in)
		return
	}
	n := uint64(in.OSize)
	mask := c.AddrMask
	sp := c.R[RSP] & mask
	at := func(i uint64) uint64 { return c.Mem.LoadN((sp+i*n)&mask, int(n)) }
	off, sel, fl := at(0), uint16(at(1)), at(2)
	cs, mode := c.farTarget(sel, true)
	newSP := (sp + 3*n) & mask
	ss, loadSS := uint16(0), c.Mode == 64
	if loadSS {
		newSP, ss = at(3), uint16(at(4))
		if n == 4 {
			newSP &= 0xffffffff
		}
		if n == 2 {
			newSP = c.R[RSP]&^0xffff | newSP&0xffff
		}
	}
	if loadSS {
		c.LoadSeg(SS, ss)
	}
	m := iretMask
	if n == 2 {
		m &= 0xffff
	}
	tf := c.TF()
	c.SetFlags(fl, m)
	c.setRegN(RSP, c.Mode/8, newSP)
	if c.loadCS(cs, mode, off) || !tf && c.TF() {
		panic(resume)
	}
}

// opLoadFarPtr loads a far pointer (offset, then a 16-bit selector) into
// a segment register and a general register (LDS, LES, LFS, LGS, LSS).
// The segment is loaded first, so a refused selector (#GP, SIGSEGV)
// leaves the register unchanged. In 32-bit mode C4 and C5 with a memory
// operand are LES and LDS (see vex.go).
func opLoadFarPtr(c *CPU, in *Inst) {
	if in.A[1].Kind != KMem {
		panic(&Trap{Kind: TrapInvalidOp})
	}
	size := uint64(in.A[0].Size)
	off := c.Mem.LoadN(c.EA(in), int(size))
	sel := c.Mem.Load16(c.eaPlus(in, size))
	var seg int
	switch in.Op {
	case x86asm.LES:
		seg = ES
	case x86asm.LDS:
		seg = DS
	case x86asm.LSS:
		seg = SS
	case x86asm.LFS:
		seg = FS
	default:
		seg = GS
	}
	c.LoadSeg(seg, sel)
	c.setReg(&in.A[0], off)
}

func init() {
	def(x86asm.LRET, opLret)
	def(x86asm.LJMP, opLjmp)
	defBuild(x86asm.LJMP, buildFar)
	def(x86asm.LCALL, opLcall)
	defBuild(x86asm.LCALL, buildFar)
	def(x86asm.IRET, opIret)
	def(x86asm.IRETD, opIret)
	def(x86asm.IRETQ, opIret)
	for _, op := range []x86asm.Op{x86asm.LES, x86asm.LDS, x86asm.LSS, x86asm.LFS, x86asm.LGS} {
		def(op, opLoadFarPtr)
	}
}

// gdtRights returns the access-rights dword (the descriptor's high
// dword: type, S, DPL, P, limit 19:16, AVL, L, D/B, G) of the fixed GDT
// entries as an x86-64 kernel sets them, and their limits, for LAR and
// LSL; ok is false for entries with nothing user mode may inspect.
func (c *CPU) gdtRights(idx int) (hi, limit uint32, ok bool) {
	switch idx {
	case 4:
		return 0x00cffb00, 0xffffffff, true
	case 5:
		return 0x00cff300, 0xffffffff, true
	case 6:
		return 0x00affb00, 0xffffffff, true
	case 15:
		// The limit is the CPU number (and node): gemu says CPU 0.
		return 0x0040f500, 0, true
	}
	if idx >= tlsFirstEntry && idx <= tlsLastEntry {
		return c.GDT[idx].rights()
	}
	return 0, 0, false
}

// TLS entries of the GDT.
const (
	tlsFirstEntry = 12
	tlsLastEntry  = 14
)

// rights returns what LAR and LSL see of a user_desc-style descriptor.
func (d SegDesc) rights() (hi, limit uint32, ok bool) {
	if d == (SegDesc{}) {
		return 0, 0, false
	}
	hi = uint32(d.Encode() >> 32)
	limit = d.Limit & 0xfffff
	if d.Flags&UDLimitPages != 0 {
		limit = limit<<12 | 0xfff
	}
	return hi, limit, true
}

// inspect looks sel up for LAR, LSL, VERR and VERW at CPL 3: the
// descriptor must exist, be a code or data segment, and be visible at
// CPL 3 and sel's RPL (conforming code always is).
func (c *CPU) inspect(sel uint16) (d descInfo, hi, limit uint32, ok bool) {
	if sel&^3 == 0 {
		return d, 0, 0, false
	}
	d, ok = c.desc(sel)
	if !ok || d.kind == segNone {
		return d, 0, 0, false
	}
	if !d.conforming && (d.dpl < 3 || d.dpl < uint8(sel&3)) {
		return d, 0, 0, false
	}
	idx := int(sel >> 3)
	if sel&4 != 0 {
		hi, limit, ok = c.LDT.Entries()[idx].rights()
	} else {
		hi, limit, ok = c.gdtRights(idx)
	}
	return d, hi, limit, ok
}

// opLarLsl is LAR (the access rights, masked to 0x00ffff00, or 0xff00
// for a 16-bit operand) and LSL (the limit in bytes): ZF says whether
// the selector was valid, and only then is the register written.
func opLarLsl(c *CPU, in *Inst) {
	if c.Priv != nil {
		c.sysLarLsl(in)
		return
	}
	sel := uint16(c.get(in, 1))
	_, hi, limit, ok := c.inspect(sel)
	if !ok {
		c.SetFlags(0, FlagZF)
		return
	}
	v := uint64(limit)
	if in.Op == x86asm.LAR {
		v = uint64(hi & 0x00ffff00)
	}
	if in.A[0].Size == 2 {
		v &= 0xffff
	}
	c.setReg(&in.A[0], v)
	c.SetFlags(FlagZF, FlagZF)
}

// opVerify is VERR and VERW: ZF says whether the segment is readable
// (data, readable code) or writable (writable data) at CPL 3.
func opVerify(c *CPU, in *Inst) {
	if c.Priv != nil {
		c.sysVerify(in)
		return
	}
	d, _, _, ok := c.inspect(uint16(c.get(in, 0)))
	if in.Op == x86asm.VERR {
		ok = ok && (d.kind == segData || d.readable)
	} else {
		ok = ok && d.kind == segData && d.writable
	}
	if ok {
		c.SetFlags(FlagZF, FlagZF)
	} else {
		c.SetFlags(0, FlagZF)
	}
}

// opArpl raises the RPL of the destination selector to the source's
// (i386; in 64-bit mode the opcode is MOVSXD): ZF says whether it did.
func opArpl(c *CPU, in *Inst) {
	dst, src := c.get(in, 0), c.get(in, 1)
	if dst&3 < src&3 {
		c.put(in, 0, dst&^3|src&3)
		c.SetFlags(FlagZF, FlagZF)
		return
	}
	c.SetFlags(0, FlagZF)
}

func init() {
	def(x86asm.LAR, opLarLsl)
	def(x86asm.LSL, opLarLsl)
	def(x86asm.VERR, opVerify)
	def(x86asm.VERW, opVerify)
	def(x86asm.ARPL, opArpl)
}
