package x86

import "golang.org/x/arch/x86/x86asm"

// Segmentation in system mode (c.Priv != nil): descriptors come from the
// guest's own GDT and LDT in guest memory, selector loads and far
// transfers make the protected-mode checks of the Intel SDM (vol. 3,
// chapter 5) at the current privilege level, and a CS load sets the CPL,
// the mode (64-bit code from the L bit in long mode, 32-bit from D) and
// the address mask. segments.go dispatches here when Priv is set; its
// fixed user-mode model stays as it was.
//
// What is not modelled (each refused with #GP on the selector, so that
// a guest that needs it stops visibly): 16-bit code segments, call gates
// and task switches through a far JMP or CALL, returns to virtual-8086
// mode. Segment limits are not checked on accesses (only on the tables
// themselves), and the bases of ES, CS, SS and DS apply only as user
// mode applies them (a memory operand with an explicit prefix in 32-bit
// code); FS and GS bases always apply.
//
// Descriptor table, TSS and IDT accesses are supervisor accesses even at
// CPL 3 (supLoad, supStore: mem.View's LoadSup and StoreSup).

// CR4.UMIP: SGDT, SIDT, SLDT, STR and SMSW at CPL 0 only.
const segCR4UMIP = 1 << 11

// EFLAGS bits beyond those of cpu.go and sysctl.go that IRET restores.
const (
	segFlagVIF = 1 << 19
	segFlagVIP = 1 << 20
)

// Descriptor type field values (bits 43:40) of system descriptors.
const (
	sysTypeLDT       = 0x2
	sysTypeTSS16     = 0x1
	sysTypeTSS16Busy = 0x3
	sysTypeTSS       = 0x9 // 32-bit TSS, or 64-bit TSS in long mode
	sysTypeTSSBusy   = 0xb
	sysTypeTaskGate  = 0x5
	sysTypeIntGate   = 0xe
	sysTypeTrapGate  = 0xf
	sysTypeCallGate  = 0xc
)

// longMode reports whether EFER.LMA is set (IA-32e mode).
func (c *CPU) longMode() bool { return c.EFER&EFERLMA != 0 }

// linMask masks linear addresses of the descriptor tables and the TSS:
// 32 bits outside long mode.
func (c *CPU) linMask() uint64 {
	if c.longMode() {
		return ^uint64(0)
	}
	return 0xffffffff
}

// supLoad reads n bytes (1, 2, 4 or 8) at the linear address a as a
// supervisor access, whatever the CPL (mem.View's LoadSup accessors).
func (c *CPU) supLoad(a uint64, n int) uint64 {
	switch n {
	case 1:
		return uint64(c.Mem.LoadSup8(a))
	case 2:
		return uint64(c.Mem.LoadSup16(a))
	case 4:
		return uint64(c.Mem.LoadSup32(a))
	}
	return c.Mem.LoadSup64(a)
}

// supStore writes n bytes (1, 2, 4 or 8) at the linear address a as a
// supervisor access.
func (c *CPU) supStore(a uint64, n int, v uint64) {
	switch n {
	case 1:
		c.Mem.StoreSup8(a, uint8(v))
	case 2:
		c.Mem.StoreSup16(a, uint16(v))
	case 4:
		c.Mem.StoreSup32(a, uint32(v))
	default:
		c.Mem.StoreSup64(a, v)
	}
}

// setCPL changes the privilege level and tells the MMU when the CPU
// enters or leaves CPL 3.
func (c *CPU) setCPL(cpl int) {
	p := c.Priv
	if c.CPL == cpl {
		return
	}
	was := c.CPL == 3
	c.CPL = cpl
	if p.MMU != nil && was != (cpl == 3) {
		p.MMU.SetUser(cpl == 3)
	}
}

// sysDesc is a descriptor read from the GDT or LDT: its two dwords (and
// for a system descriptor in long mode the upper base), and where it is,
// so that the accessed and busy bits can be written back.
type sysDesc struct {
	lo, hi uint32
	hi64   uint32 // bits 95:64 of a 16-byte system descriptor
	addr   uint64
}

func (d sysDesc) present() bool    { return d.hi&(1<<15) != 0 }
func (d sysDesc) dpl() int         { return int(d.hi>>13) & 3 }
func (d sysDesc) typ() uint32      { return d.hi >> 8 & 0xf }
func (d sysDesc) isSeg() bool      { return d.hi&(1<<12) != 0 } // S: code or data
func (d sysDesc) isCode() bool     { return d.isSeg() && d.hi&(1<<11) != 0 }
func (d sysDesc) isData() bool     { return d.isSeg() && d.hi&(1<<11) == 0 }
func (d sysDesc) conforming() bool { return d.isCode() && d.hi&(1<<10) != 0 }

// readable: data, or code with the R bit. writable: data with the W bit.
func (d sysDesc) readable() bool { return d.isData() || d.hi&(1<<9) != 0 }
func (d sysDesc) writable() bool { return d.isData() && d.hi&(1<<9) != 0 }

// limit returns the segment limit in bytes (granularity applied).
func (d sysDesc) limit() uint32 {
	l := d.lo&0xffff | d.hi&0xf0000
	if d.hi&(1<<23) != 0 {
		l = l<<12 | 0xfff
	}
	return l
}

// base returns the segment base (with the upper half of a 16-byte
// system descriptor).
func (d sysDesc) base() uint64 {
	return uint64(d.lo>>16|(d.hi&0xff)<<16|d.hi&0xff000000) | uint64(d.hi64)<<32
}

// cache returns the hidden part of a segment register loaded with sel
// from d.
func (d sysDesc) cache(sel uint16) SegCache {
	return SegCache{
		Sel:   sel,
		Base:  d.base(),
		Limit: d.limit(),
		Attr:  uint16(d.hi>>8&0xff) | uint16(d.hi>>20&0xf)<<12,
	}
}

// codeMode returns the mode of the code the descriptor holds: 64 for
// the L bit in long mode, 32 for D, 0 for 16-bit code (not run).
func (c *CPU) descMode(d sysDesc) int {
	switch {
	case c.longMode() && d.hi&(1<<21) != 0:
		return 64
	case d.hi&(1<<22) != 0:
		return 32
	}
	return 0
}

// fetchDesc reads the descriptor sel selects; ok is false if its table
// is not loaded (a null LDTR) or sel lies beyond the table's limit. A
// system descriptor in long mode (wide) is 16 bytes long.
func (c *CPU) fetchDesc(sel uint16, wide bool) (d sysDesc, ok bool) {
	p := c.Priv
	base, limit := p.GDTR.Base, p.GDTR.Limit
	if sel&4 != 0 {
		if p.LDTR.Sel&^3 == 0 || p.LDTR.Attr&AttrP == 0 {
			return d, false
		}
		base, limit = p.LDTR.Base, p.LDTR.Limit
	}
	off := uint64(sel &^ 7)
	size := uint64(8)
	if wide {
		size = 16
	}
	if off+size-1 > uint64(limit) {
		return d, false
	}
	d.addr = (base + off) & c.linMask()
	v := c.supLoad(d.addr, 8)
	d.lo, d.hi = uint32(v), uint32(v>>32)
	if wide && !d.isSeg() {
		d.hi64 = uint32(c.supLoad((d.addr+8)&c.linMask(), 4))
	}
	return d, true
}

// setAccessed sets the accessed bit of a code or data descriptor in its
// table, as the CPU does on a segment load.
func (c *CPU) setAccessed(d *sysDesc) {
	if d.hi&(1<<8) == 0 {
		d.hi |= 1 << 8
		c.supStore((d.addr+5)&c.linMask(), 1, uint64(d.hi>>8&0xff))
	}
}

// protected reports whether CR0.PE is set.
func (c *CPU) protected() bool { return c.CR0&CR0PE != 0 }

// sysLoadSeg loads ES, SS, DS, FS or GS with sel in system mode, as MOV,
// POP and LDS-style loads do (SDM, MOV: protected-mode exceptions). A
// null selector loads (marking the register unusable) except into SS,
// which takes one only in 64-bit mode at CPL < 3 with RPL = CPL. SS
// needs a writable data segment with RPL = DPL = CPL (#SS if not
// present); the others a data or readable code segment that CPL and RPL
// may use (#NP if not present). In real mode (CR0.PE clear) the base is
// the selector times 16.
func (c *CPU) sysLoadSeg(seg int, sel uint16) {
	p := c.Priv
	if seg == CS {
		panic(&Trap{Kind: TrapInvalidOp})
	}
	if !c.protected() {
		c.Seg[seg] = sel
		c.SegBase[seg] = uint64(sel) << 4
		p.Segs[seg] = SegCache{Sel: sel, Base: uint64(sel) << 4, Limit: 0xffff, Attr: AttrP | AttrS | 3}
		return
	}
	if sel&^3 == 0 {
		if seg == SS && !(c.Mode == 64 && c.CPL != 3 && int(sel&3) == c.CPL) {
			segFault(TrapGP, 0)
		}
		c.Seg[seg] = sel
		c.SegBase[seg] = 0
		p.Segs[seg] = SegCache{Sel: sel}
		return
	}
	d, ok := c.fetchDesc(sel, false)
	if !ok {
		segFault(TrapGP, sel)
	}
	rpl, dpl := int(sel&3), d.dpl()
	if seg == SS {
		if rpl != c.CPL || !d.writable() || dpl != c.CPL {
			segFault(TrapGP, sel)
		}
		if !d.present() {
			segFault(TrapStack, sel)
		}
	} else {
		if !d.isSeg() || !d.readable() {
			segFault(TrapGP, sel)
		}
		if !d.conforming() && (rpl > dpl || c.CPL > dpl) {
			segFault(TrapGP, sel)
		}
		if !d.present() {
			segFault(TrapNotPresent, sel)
		}
	}
	c.setAccessed(&d)
	c.putSeg(seg, d.cache(sel))
}

// putSeg installs a loaded segment: its cache, selector and base.
func (c *CPU) putSeg(seg int, s SegCache) {
	c.Priv.Segs[seg] = s
	c.Seg[seg] = s.Sel
	c.SegBase[seg] = s.Base
}

// sysLoadCS makes s (a code segment of the given mode, 32 or 64) CS at
// privilege level cpl and jumps to off: RIP keeps the low 32 bits of off
// in 32-bit code. It reports whether the mode changed (the caller then
// leaves the block: the engine translated it for the old mode).
func (c *CPU) sysLoadCS(s SegCache, cpl, mode int, off uint64) bool {
	s.Sel = s.Sel&^3 | uint16(cpl)
	c.putSeg(CS, s)
	c.setCPL(cpl)
	if mode == 32 {
		off &= 0xffffffff
	}
	c.RIP = off
	if mode == c.Mode {
		return false
	}
	c.setMode(mode)
	return true
}

// codeTarget checks sel as the new CS of a far JMP or CALL at the
// current privilege level (no call gates, no task switches: #GP) and
// returns its descriptor and mode; the CPL stays.
func (c *CPU) codeTarget(sel uint16) (sysDesc, int) {
	if sel&^3 == 0 {
		segFault(TrapGP, 0)
	}
	d, ok := c.fetchDesc(sel, false)
	if !ok || !d.isCode() {
		// Call gates, task gates and TSS descriptors land here too.
		segFault(TrapGP, sel)
	}
	if d.conforming() {
		if d.dpl() > c.CPL {
			segFault(TrapGP, sel)
		}
	} else if int(sel&3) > c.CPL || d.dpl() != c.CPL {
		segFault(TrapGP, sel)
	}
	if !d.present() {
		segFault(TrapNotPresent, sel)
	}
	mode := c.descMode(d)
	if mode == 0 {
		segFault(TrapGP, sel) // 16-bit code: not emulated
	}
	return d, mode
}

// returnTarget checks sel as the CS of a far RET or IRET: its RPL is the
// privilege level returned to, never more privileged than the CPL.
func (c *CPU) returnTarget(sel uint16) (sysDesc, int) {
	if sel&^3 == 0 {
		segFault(TrapGP, 0)
	}
	rpl := int(sel & 3)
	if rpl < c.CPL {
		segFault(TrapGP, sel)
	}
	d, ok := c.fetchDesc(sel, false)
	if !ok || !d.isCode() {
		segFault(TrapGP, sel)
	}
	if d.conforming() && d.dpl() > rpl || !d.conforming() && d.dpl() != rpl {
		segFault(TrapGP, sel)
	}
	if !d.present() {
		segFault(TrapNotPresent, sel)
	}
	mode := c.descMode(d)
	if mode == 0 {
		segFault(TrapGP, sel)
	}
	return d, mode
}

// stackTarget checks sel as the SS of a return to privilege level rpl
// (far RET, IRET) or of an interrupt handler's stack: #GP(sel) unless a
// writable data segment with RPL = DPL = rpl, #SS(sel) if not present. A
// null selector is allowed only where nullOK says so (64-bit mode at
// CPL < 3); then the cache is the null one.
func (c *CPU) stackTarget(sel uint16, rpl int, nullOK bool) SegCache {
	if sel&^3 == 0 {
		if !nullOK || int(sel&3) != rpl {
			segFault(TrapGP, 0)
		}
		return SegCache{Sel: sel}
	}
	if int(sel&3) != rpl {
		segFault(TrapGP, sel)
	}
	d, ok := c.fetchDesc(sel, false)
	if !ok || !d.writable() || d.dpl() != rpl {
		segFault(TrapGP, sel)
	}
	if !d.present() {
		segFault(TrapStack, sel)
	}
	c.setAccessed(&d)
	return d.cache(sel)
}

// nullOuterSegs clears ES, DS, FS and GS on a return to an outer
// privilege level where they hold a data or non-conforming code segment
// more privileged than the new CPL (SDM, RET and IRET).
func (c *CPU) nullOuterSegs() {
	p := c.Priv
	for _, seg := range [...]int{ES, DS, FS, GS} {
		s := &p.Segs[seg]
		conforming := s.Attr&(AttrS|8|4) == AttrS|8|4
		if s.Attr&AttrS != 0 && !conforming && s.DPL() < c.CPL {
			c.Seg[seg] = 0
			*s = SegCache{}
			if c.Mode != 64 || seg != FS && seg != GS {
				c.SegBase[seg] = 0
			}
		}
	}
}

// sysFarJump is a far JMP in system mode.
func (c *CPU) sysFarJump(off uint64, sel uint16) {
	d, mode := c.codeTarget(sel)
	c.setAccessed(&d)
	if c.sysLoadCS(d.cache(sel), c.CPL, mode, off) {
		panic(resume)
	}
}

// sysFarCall is a far CALL in system mode: the push of CS and the return
// offset (operand size) happens before anything changes.
func (c *CPU) sysFarCall(in *Inst, off uint64, sel uint16) {
	d, mode := c.codeTarget(sel)
	n := uint64(in.OSize)
	mask := c.AddrMask
	sp := c.R[RSP] & mask
	c.Mem.StoreN((sp-n)&mask, int(n), uint64(c.Seg[CS]))
	c.Mem.StoreN((sp-2*n)&mask, int(n), in.Next)
	c.setAccessed(&d)
	c.setRegN(RSP, c.Mode/8, (sp-2*n)&mask)
	if c.sysLoadCS(d.cache(sel), c.CPL, mode, off) {
		panic(resume)
	}
}

// sysFarRet is a far RET in system mode: to the same privilege level, or
// to an outer one, popping SS:ESP after the release of imm bytes.
func (c *CPU) sysFarRet(in *Inst) {
	n := uint64(in.OSize)
	mask := c.AddrMask
	sp := c.R[RSP] & mask
	off := c.Mem.LoadN(sp, int(n))
	sel := uint16(c.Mem.LoadN((sp+n)&mask, int(n)))
	d, mode := c.returnTarget(sel)
	rel := uint64(0)
	if in.NArgs > 0 {
		rel = in.Imm & 0xffff
	}
	sp += 2*n + rel
	rpl := int(sel & 3)
	if rpl == c.CPL {
		c.setAccessed(&d)
		c.setRegN(RSP, c.Mode/8, sp&mask)
		if c.sysLoadCS(d.cache(sel), rpl, mode, off) {
			panic(resume)
		}
		return
	}
	newSP := c.Mem.LoadN(sp&mask, int(n))
	ssSel := uint16(c.Mem.LoadN((sp+n)&mask, int(n)))
	ss := c.stackTarget(ssSel, rpl, c.longMode() && mode == 64 && rpl != 3)
	c.setAccessed(&d)
	changed := c.sysLoadCS(d.cache(sel), rpl, mode, off)
	c.putSeg(SS, ss)
	c.setRegN(RSP, mode/8, (newSP+rel)&c.AddrMask)
	c.nullOuterSegs()
	if changed {
		panic(resume)
	}
}

// iretFlagsMask is what IRET may change in EFLAGS at privilege level cpl
// with the given IOPL (SDM, IRET): IF only at CPL <= IOPL, IOPL, VIF
// and VIP only at CPL 0. RF is left clear: gemu does not model it (the
// CPU would clear it after the next instruction), and a set RF would
// stay in every frame pushed later.
func iretFlagsMask(cpl, iopl int) uint64 {
	m := StatusFlags | FlagTF | FlagDF | FlagNT | FlagAC | FlagID
	if cpl <= iopl {
		m |= FlagIF
	}
	if cpl == 0 {
		m |= FlagIOPL | segFlagVIF | segFlagVIP
	}
	return m
}

// sysIret is IRET, IRETD and IRETQ in system mode: a return to the same
// privilege level or to an outer one (popping SS:ESP), and in 64-bit mode
// always popping SS:RSP. With NT set it returns to the task its TSS
// links back to (protected mode; #GP(0) in long mode). Returns to
// virtual-8086 mode are not supported: #GP(0).
func (c *CPU) sysIret(in *Inst) {
	if !c.protected() {
		segFault(TrapGP, 0)
	}
	if c.flags&FlagNT != 0 {
		if c.longMode() {
			segFault(TrapGP, 0)
		}
		link := uint16(c.tssLoad(tssBackLink, 2))
		c.taskSwitch(link, false, in.Next)
		return
	}
	n := uint64(in.OSize)
	mask := c.AddrMask
	sp := c.R[RSP] & mask
	at := func(i uint64) uint64 { return c.Mem.LoadN((sp+i*n)&mask, int(n)) }
	off, sel, fl := at(0), uint16(at(1)), at(2)
	if fl&FlagVM != 0 && c.CPL == 0 && !c.longMode() {
		segFault(TrapGP, 0) // return to virtual-8086 mode: not supported
	}
	d, mode := c.returnTarget(sel)
	rpl := int(sel & 3)
	var ss SegCache
	loadSS := c.Mode == 64 || rpl != c.CPL
	var newSP uint64
	if loadSS {
		newSP, ss = at(3), c.stackTarget(uint16(at(4)), rpl, c.longMode() && mode == 64 && rpl != 3)
		if n == 2 {
			newSP = c.R[RSP]&^0xffff | newSP&0xffff
		}
	} else {
		newSP = (sp + 3*n) & mask
	}
	m := iretFlagsMask(c.CPL, int(c.flags>>12&3))
	if n == 2 {
		m &= 0xffff
	}
	c.setAccessed(&d)
	oldCPL := c.CPL
	tf := c.TF()
	c.SetFlags(fl, m)
	changed := c.sysLoadCS(d.cache(sel), rpl, mode, off)
	if loadSS {
		c.putSeg(SS, ss)
	}
	c.setRegN(RSP, mode/8, newSP)
	if rpl != oldCPL {
		c.nullOuterSegs()
	}
	if changed || !tf && c.TF() {
		panic(resume)
	}
}

// Descriptor table instructions.

// requireCPL0 raises #GP(0) unless the CPU runs at CPL 0 in system mode.
func (c *CPU) requireCPL0() {
	if c.Priv == nil || c.CPL != 0 {
		panic(&Trap{Kind: TrapGP})
	}
}

// umipCheck raises #GP(0) for SGDT, SIDT, SLDT, STR and SMSW above CPL 0
// when CR4.UMIP is set.
func (c *CPU) umipCheck() {
	if c.CPL > 0 && c.CR4&segCR4UMIP != 0 {
		panic(&Trap{Kind: TrapGP})
	}
}

// opDescTable is LGDT, LIDT, SGDT and SIDT: a 16-bit limit, then the
// base: 8 bytes in 64-bit mode, else 4 (with a 16-bit operand LGDT and
// LIDT keep 24 bits of it; SGDT and SIDT store all 32). In user mode
// they stay unimplemented (#UD), as before.
func opDescTable(c *CPU, in *Inst) {
	if c.Priv == nil {
		opUnimplemented(c, in)
		return
	}
	if in.A[0].Kind != KMem {
		panic(&Trap{Kind: TrapInvalidOp})
	}
	p := c.Priv
	a := c.EA(in)
	bsize := 4
	if c.Mode == 64 {
		bsize = 8
	}
	t := &p.GDTR
	if in.Op == x86asm.LIDT || in.Op == x86asm.SIDT {
		t = &p.IDTR
	}
	switch in.Op {
	case x86asm.LGDT, x86asm.LIDT:
		c.requireCPL0()
		limit := c.Mem.Load16(a)
		base := c.Mem.LoadN((a+2)&c.AddrMask, bsize)
		if in.OSize == 2 && c.Mode != 64 {
			base &= 0xffffff
		}
		t.Base, t.Limit = base, uint32(limit)
	default:
		c.umipCheck()
		c.Mem.Store16(a, uint16(t.Limit))
		c.Mem.StoreN((a+2)&c.AddrMask, bsize, t.Base)
	}
}

// opLdtTr is LLDT, SLDT, LTR and STR. LLDT and LTR take a GDT selector
// of an LDT or an available TSS descriptor (16 bytes in long mode); LTR
// marks the TSS busy in the GDT. SLDT and STR store the selector
// (zero-extended into a register). User mode: unimplemented (#UD).
func opLdtTr(c *CPU, in *Inst) {
	if c.Priv == nil {
		opUnimplemented(c, in)
		return
	}
	p := c.Priv
	if !c.protected() {
		panic(&Trap{Kind: TrapInvalidOp})
	}
	switch in.Op {
	case x86asm.SLDT:
		c.umipCheck()
		c.put(in, 0, uint64(p.LDTR.Sel))
		return
	case x86asm.STR:
		c.umipCheck()
		c.put(in, 0, uint64(p.TR.Sel))
		return
	}
	c.requireCPL0()
	sel := uint16(c.get(in, 0))
	if in.Op == x86asm.LLDT && sel&^3 == 0 {
		p.LDTR = SegCache{Sel: sel}
		return
	}
	if sel&4 != 0 || sel&^3 == 0 {
		segFault(TrapGP, sel)
	}
	d, ok := c.fetchDesc(sel, c.longMode())
	if !ok || d.isSeg() {
		segFault(TrapGP, sel)
	}
	switch in.Op {
	case x86asm.LLDT:
		if d.typ() != sysTypeLDT {
			segFault(TrapGP, sel)
		}
	default:
		if d.typ() != sysTypeTSS && (d.typ() != sysTypeTSS16 || c.longMode()) {
			segFault(TrapGP, sel)
		}
	}
	if !d.present() {
		segFault(TrapNotPresent, sel)
	}
	if in.Op == x86asm.LLDT {
		p.LDTR = d.cache(sel)
		return
	}
	d.hi |= 2 << 8 // busy
	c.supStore((d.addr+5)&c.linMask(), 1, uint64(d.hi>>8&0xff))
	p.TR = d.cache(sel)
	c.TRBase = p.TR.Base
}

// inspectSys looks sel up for LAR, LSL, VERR and VERW in system mode: the
// descriptor must exist and be visible at the CPL and sel's RPL
// (conforming code always is); lsl selects the system types LSL accepts
// (no gates). It returns the descriptor and whether it may be inspected.
func (c *CPU) inspectSys(sel uint16, lar bool) (sysDesc, bool) {
	if sel&^3 == 0 {
		return sysDesc{}, false
	}
	d, ok := c.fetchDesc(sel, false)
	if !ok {
		return d, false
	}
	if !d.isSeg() {
		var valid bool
		switch t := d.typ(); {
		case c.longMode():
			valid = t == sysTypeLDT || t == sysTypeTSS || t == sysTypeTSSBusy || lar && t == sysTypeCallGate
		default:
			valid = t == sysTypeTSS16 || t == sysTypeLDT || t == sysTypeTSS16Busy ||
				t == sysTypeTSS || t == sysTypeTSSBusy ||
				lar && (t == 4 || t == sysTypeTaskGate || t == sysTypeCallGate)
		}
		if !valid {
			return d, false
		}
	}
	if !d.conforming() && (d.dpl() < c.CPL || d.dpl() < int(sel&3)) {
		return d, false
	}
	return d, true
}

// sysLarLsl is LAR and LSL in system mode (see opLarLsl).
func (c *CPU) sysLarLsl(in *Inst) {
	sel := uint16(c.get(in, 1))
	d, ok := c.inspectSys(sel, in.Op == x86asm.LAR)
	if !ok {
		c.SetFlags(0, FlagZF)
		return
	}
	v := uint64(d.limit())
	if in.Op == x86asm.LAR {
		v = uint64(d.hi & 0x00ffff00)
	}
	if in.A[0].Size == 2 {
		v &= 0xffff
	}
	c.setReg(&in.A[0], v)
	c.SetFlags(FlagZF, FlagZF)
}

// sysVerify is VERR and VERW in system mode: code and data segments
// only; readable conforming code passes VERR at any privilege level.
func (c *CPU) sysVerify(in *Inst) {
	sel := uint16(c.get(in, 0))
	ok := false
	if d, found := c.fetchDescOK(sel); found && d.isSeg() {
		visible := d.conforming() || d.dpl() >= c.CPL && d.dpl() >= int(sel&3)
		if in.Op == x86asm.VERR {
			ok = visible && d.readable()
		} else {
			ok = visible && d.writable()
		}
	}
	if ok {
		c.SetFlags(FlagZF, FlagZF)
	} else {
		c.SetFlags(0, FlagZF)
	}
}

// fetchDescOK is fetchDesc for a non-null selector's 8-byte descriptor.
func (c *CPU) fetchDescOK(sel uint16) (sysDesc, bool) {
	if sel&^3 == 0 {
		return sysDesc{}, false
	}
	return c.fetchDesc(sel, false)
}

// opSwapgs exchanges the GS base with IA32_KERNEL_GS_BASE: 64-bit mode
// only (#UD otherwise), CPL 0 (#GP(0) otherwise). User mode: #UD.
func opSwapgs(c *CPU, in *Inst) {
	if c.Priv == nil {
		opUnimplemented(c, in)
		return
	}
	if c.Mode != 64 {
		panic(&Trap{Kind: TrapInvalidOp})
	}
	c.requireCPL0()
	p := c.Priv
	c.SegBase[GS], c.KernelGSBase = c.KernelGSBase, c.SegBase[GS]
	p.Segs[GS].Base = c.SegBase[GS]
}

func init() {
	for _, op := range []x86asm.Op{x86asm.LGDT, x86asm.LIDT, x86asm.SGDT, x86asm.SIDT} {
		def(op, opDescTable)
	}
	for _, op := range []x86asm.Op{x86asm.LLDT, x86asm.SLDT, x86asm.LTR, x86asm.STR} {
		def(op, opLdtTr)
	}
	def(x86asm.SWAPGS, opSwapgs)
}
