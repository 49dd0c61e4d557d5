package x86

import (
	"fmt"

	"golang.org/x/arch/x86/x86asm"
)

// System mode: the control and debug registers, the instructions that
// change the interrupt flag (CLI, STI, POPF), HLT, INVLPG and the cache
// instructions, RDTSC with the TSC MSRs. MSRs are in sysmsr.go, port I/O
// in sysio.go, CPUID in syscpuid.go. Each handler here is reached in user
// mode too, where c.Priv is nil and the instruction behaves as before
// system mode existed (most fault as at CPL 3 under Linux).
//
// CR0.TS and EM take effect when code is translated (GuardFPU, at the end
// of this file), not in the FPU handlers. Not modelled: CR0.AM alignment
// checks, the debug registers' breakpoints (DR0-DR7 hold their values;
// nothing fires), CR0.CD/NW (caches are not modelled), CR4.OSFXSR as a
// condition for SSE.

// CR0 bits.
const (
	CR0PE = 1 << 0  // protection enable
	CR0MP = 1 << 1  // monitor coprocessor
	CR0EM = 1 << 2  // x87 emulation
	CR0TS = 1 << 3  // task switched
	CR0ET = 1 << 4  // extension type: hardwired to 1
	CR0NE = 1 << 5  // numeric error
	CR0WP = 1 << 16 // write protect
	CR0AM = 1 << 18 // alignment mask
	CR0NW = 1 << 29 // not write-through
	CR0CD = 1 << 30 // cache disable
	CR0PG = 1 << 31 // paging

	// cr0Bits are the defined bits; a write to the other bits of the
	// low half is ignored (they read as 0), one to the high half faults.
	cr0Bits = CR0PE | CR0MP | CR0EM | CR0TS | CR0ET | CR0NE | CR0WP | CR0AM | CR0NW | CR0CD | CR0PG
	// cr0Paging are the bits the MMU depends on.
	cr0Paging = CR0PE | CR0WP | CR0PG
)

// CR4 bits.
const (
	CR4TSD        = 1 << 2  // RDTSC at CPL 0 only
	CR4DE         = 1 << 3  // debugging extensions
	CR4PSE        = 1 << 4  // 4 MiB pages in 2-level paging
	CR4PAE        = 1 << 5  // physical address extension
	CR4MCE        = 1 << 6  // machine-check enable
	CR4PGE        = 1 << 7  // global pages
	CR4PCE        = 1 << 8  // RDPMC at any CPL
	CR4OSFXSR     = 1 << 9  // OS supports FXSAVE/FXRSTOR
	CR4OSXMMEXCPT = 1 << 10 // OS supports #XM

	cr4Paging = CR4PSE | CR4PAE | CR4PGE
)

// EFER bits.
const (
	EFERSCE = 1 << 0  // SYSCALL enable
	EFERLME = 1 << 8  // long mode enable
	EFERLMA = 1 << 10 // long mode active (read-only: set with CR0.PG)
	EFERNXE = 1 << 11 // execute-disable enable
)

// EFLAGS bits beyond cpu.go's.
const (
	FlagIOPL uint64 = 3 << 12
	FlagNT   uint64 = 1 << 14
	FlagRF   uint64 = 1 << 16
	FlagVM   uint64 = 1 << 17
)

// Operand kinds of MOV to and from control and debug registers.
const (
	KCR uint8 = iota + KMMX + 1 // control register Reg
	KDR                         // debug register Reg
)

// CtlState is the part of the privileged state kept by sysctl.go,
// sysmsr.go and syscpuid.go beyond System's named registers.
type CtlState struct {
	// Model is what CPUID reports and which features the checks of the
	// control registers and MSRs allow.
	Model *CPUModel
	// MTRRs: the default type, the 8 variable ranges (PHYSBASE0,
	// PHYSMASK0, ...) and the 11 fixed-range registers in MSR order.
	MTRRDefType uint64
	MTRRVar     [2 * mtrrVarCount]uint64
	MTRRFix     [11]uint64
	// TSCAdjust is IA32_TSC_ADJUST: the sum of the changes software made
	// to the TSC (through IA32_TSC or IA32_TSC_ADJUST).
	TSCAdjust uint64
}

// NewSystemCPU returns a CPU for gemu-system in the state after RESET as
// far as a direct kernel boot needs it (SDM vol. 3, table 9-1): EFLAGS 2,
// CR0 CD|NW|ET, CR4 and EFER zero, DR6 0xffff0ff0, DR7 0x400, CS base
// 0xffff0000, EDX the CPUID signature, CPL 0; PAT, APIC base (enabled,
// bootstrap processor) and MISC_ENABLE (fast strings) at their reset
// values, and the MTRRs as firmware leaves them (enabled, default type
// write-back: without firmware Linux would otherwise take all RAM for
// uncachable and drop it). Real mode is not emulated: the code runs as
// 32-bit, and the boot loader sets protected or long mode with the
// setters (SetCR0, SetCR3, SetCR4, SetEFER) and the segment loads. The
// board sets c.Mem, Priv.MMU, Priv.IO and Priv.Intr. A nil model is the
// default, Model64; ProcMode (the register numbering plugins see) is 64
// for a long-mode model, 32 otherwise, and the board may change it.
func NewSystemCPU(model *CPUModel) *CPU {
	if model == nil {
		m := Model64
		model = &m
	}
	c := &CPU{}
	c.Regs = allocRegs(c)
	c.ProcMode = 32
	if model.LongMode() {
		c.ProcMode = 64
	}
	c.setMode(32)
	c.flags = 2
	c.lazy.op = flagsNone
	c.X87.reset()
	c.MXCSR = 0x1f80
	c.RIP = 0xfff0
	c.R[RDX] = uint64(model.Signature())
	c.LDT = &LDT{}
	c.CR0 = CR0CD | CR0NW | CR0ET
	p := &System{
		PAT:        0x0007040600070406,
		APICBase:   0xfee00000 | 1<<11 | 1<<8,
		MiscEnable: 1, // fast strings
	}
	p.DR[6], p.DR[7] = 0xffff0ff0, 0x400
	p.DR[4], p.DR[5] = p.DR[6], p.DR[7]
	p.GDTR.Limit, p.IDTR.Limit = 0xffff, 0xffff
	p.LDTR = SegCache{Limit: 0xffff, Attr: AttrP | 2}
	p.TR = SegCache{Limit: 0xffff, Attr: AttrP | 11}
	for i := range p.Segs {
		p.Segs[i] = SegCache{Limit: 0xffff, Attr: AttrP | AttrS | AttrAccessed | 2}
	}
	p.Segs[CS] = SegCache{Sel: 0xf000, Base: 0xffff0000, Limit: 0xffff, Attr: AttrP | AttrS | AttrAccessed | 10}
	c.Seg[CS], c.SegBase[CS] = 0xf000, 0xffff0000
	p.Ctl.Model = model
	p.Ctl.MTRRDefType = mtrrDefE | mtrrWB
	c.Priv = p
	return c
}

// sysError is what the exported setters return for a value the
// instruction would refuse with #GP(0).
func sysError(reg string, v uint64) error {
	return fmt.Errorf("x86: %s value %#x refused (#GP)", reg, v)
}

// gp0 raises #GP with error code 0.
func gp0() { panic(&Trap{Kind: TrapGP}) }

// ud raises #UD.
func ud() { panic(&Trap{Kind: TrapInvalidOp}) }

// needCPL0 raises #GP(0) unless the CPU runs at CPL 0.
func (c *CPU) needCPL0() {
	if c.CPL != 0 {
		gp0()
	}
}

// IOPL returns the I/O privilege level of EFLAGS.
func (c *CPU) IOPL() int { return int(c.flags>>12) & 3 }

// endBlock completes an instruction that changed how code is translated
// or addressed (paging, long mode): RIP moves past it and the engine
// leaves the block, so the next instruction is fetched under the new
// regime.
func endBlock(c *CPU, in *Inst) {
	c.RIP = in.Next
	panic(resume)
}

// setPaging tells the MMU the paging registers after a change of one of
// them (it flushes its cached translations: all of them, or all but the
// global ones when only CR3 changed).
func (c *CPU) setPaging() {
	if c.Priv.MMU != nil {
		c.Priv.MMU.SetPaging(c.CR0, c.CR3, c.CR4, c.EFER)
	}
}

// modeChanged reports a write that changed CR0, CR4 or EFER, or any CR3
// load, to OnModeChange (after the MMU heard of it).
func (c *CPU) modeChanged(which ModeChange) {
	if c.Priv.OnModeChange != nil {
		c.Priv.OnModeChange(c, which)
	}
}

// canonical reports whether v is a canonical linear address for the model.
func (c *CPU) canonical(v uint64) bool {
	s := 64 - c.Priv.Ctl.Model.VirtBits
	return uint64(int64(v<<s)>>s) == v
}

// writeCR0 loads CR0 as MOV to CR0 does, reporting false for a value that
// raises #GP(0) and whether the paging regime changed.
func (c *CPU) writeCR0(v uint64) (ok, changed bool) {
	if v>>32 != 0 {
		return false, false
	}
	v = v&cr0Bits | CR0ET
	if v&CR0PG != 0 && v&CR0PE == 0 || v&CR0NW != 0 && v&CR0CD == 0 {
		return false, false
	}
	old, efer := c.CR0, c.EFER
	if v&CR0PG != 0 && old&CR0PG == 0 && efer&EFERLME != 0 {
		// Activating long mode needs PAE paging.
		if c.CR4&CR4PAE == 0 {
			return false, false
		}
		efer |= EFERLMA
	}
	if v&CR0PG == 0 && old&CR0PG != 0 && efer&EFERLMA != 0 {
		// Leaving long mode: only from compatibility mode.
		if c.Mode == 64 {
			return false, false
		}
		efer &^= EFERLMA
	}
	oldEFER := c.EFER
	c.CR0, c.EFER = v, efer
	changed = (old^v)&cr0Paging != 0 || efer != oldEFER
	if changed {
		c.setPaging()
	}
	if v != old {
		c.modeChanged(ChangeCR0)
	}
	if efer != oldEFER {
		c.modeChanged(ChangeEFER)
	}
	return true, changed
}

// writeCR3 loads CR3 (the page-table base): in long mode the bits above
// MAXPHYADDR are reserved (bit 63 too: no PCID); in legacy mode only the
// low 32 bits exist.
func (c *CPU) writeCR3(v uint64) bool {
	p := c.Priv
	if c.EFER&EFERLMA != 0 {
		if v>>p.Ctl.Model.PhysBits != 0 {
			return false
		}
	} else {
		v &= 0xffffffff
	}
	c.CR3 = v
	c.setPaging()
	c.modeChanged(ChangeCR3)
	return true
}

// cr4Allowed returns the CR4 bits the model supports.
func (c *CPU) cr4Allowed() uint64 {
	m := c.Priv.Ctl.Model
	a := uint64(CR4PCE)
	for _, f := range []struct {
		feat uint32
		bit  uint64
	}{
		{cpuid1EdxTSC, CR4TSD},
		{cpuid1EdxPSE, CR4PSE},
		{cpuid1EdxPAE, CR4PAE},
		{cpuid1EdxPGE, CR4PGE},
		{cpuid1EdxFXSR, CR4OSFXSR},
		{cpuid1EdxSSE, CR4OSXMMEXCPT},
	} {
		if m.has(f.feat) {
			a |= f.bit
		}
	}
	return a
}

// writeCR4 loads CR4: bits of features the model lacks are reserved, and
// PAE cannot be cleared in long mode.
func (c *CPU) writeCR4(v uint64) (ok, changed bool) {
	if v&^c.cr4Allowed() != 0 || v&CR4PAE == 0 && c.EFER&EFERLMA != 0 {
		return false, false
	}
	old := c.CR4
	c.CR4 = v
	changed = (old^v)&cr4Paging != 0
	if changed {
		c.setPaging()
	}
	if v != old {
		c.modeChanged(ChangeCR4)
	}
	return true, changed
}

// writeCR8 sets the task priority (bits 3:0; the rest is reserved).
func (c *CPU) writeCR8(v uint64) bool {
	if v>>4 != 0 {
		return false
	}
	c.CR8 = v
	return true
}

// SetCR0 loads CR0 for the boot loader with MOV's checks and effects
// (EFER.LMA follows CR0.PG when EFER.LME is set: set CR4.PAE, EFER.LME and
// CR3 first).
func (c *CPU) SetCR0(v uint64) error {
	if ok, _ := c.writeCR0(v); !ok {
		return sysError("CR0", v)
	}
	return nil
}

// SetCR3 loads CR3 for the boot loader.
func (c *CPU) SetCR3(v uint64) error {
	if !c.writeCR3(v) {
		return sysError("CR3", v)
	}
	return nil
}

// SetCR4 loads CR4 for the boot loader.
func (c *CPU) SetCR4(v uint64) error {
	if ok, _ := c.writeCR4(v); !ok {
		return sysError("CR4", v)
	}
	return nil
}

// SetEFER loads EFER for the boot loader as WRMSR does (LMA is read-only:
// it follows CR0.PG).
func (c *CPU) SetEFER(v uint64) error {
	if ok, _ := c.writeEFER(v); !ok {
		return sysError("EFER", v)
	}
	return nil
}

// readCR returns control register n, raising #UD for one that does not
// exist.
func (c *CPU) readCR(n uint8) uint64 {
	switch n {
	case 0:
		return c.CR0
	case 2:
		return c.CR2
	case 3:
		return c.CR3
	case 4:
		return c.CR4
	case 8:
		if c.Mode == 64 {
			return c.CR8
		}
	}
	ud()
	return 0
}

// debugReg maps a debug register number to its slot, raising #UD for
// DR8-DR15 and for DR4/DR5 with CR4.DE (without it they alias DR6/DR7).
func (c *CPU) debugReg(n uint8) int {
	switch {
	case n < 4 || n == 6 || n == 7:
		return int(n)
	case n == 4 || n == 5:
		if c.CR4&CR4DE != 0 {
			ud()
		}
		return int(n) + 2
	}
	ud()
	return 0
}

// opMovCR moves to or from a control or debug register: CPL 0 only; the
// register operand is 64 bits in 64-bit mode and 32 bits otherwise. In
// user mode it is #UD, as before system mode (Linux would give #GP).
func opMovCR(c *CPU, in *Inst) {
	p := c.Priv
	if p == nil {
		opUndefined(c, in)
	}
	d, s := &in.A[0], &in.A[1]
	switch {
	case s.Kind == KCR:
		n := s.Reg
		c.needCPL0()
		c.setReg(d, c.readCR(n))
	case s.Kind == KDR:
		slot := c.debugReg(s.Reg)
		c.needCPL0()
		c.setReg(d, p.DR[slot])
	case d.Kind == KCR:
		v := c.getReg(s)
		c.readCR(d.Reg) // #UD for a register that does not exist
		c.needCPL0()
		var ok, end bool
		switch d.Reg {
		case 0:
			ok, end = c.writeCR0(v)
		case 2:
			c.CR2, ok = v, true
		case 3:
			ok, end = c.writeCR3(v), true
		case 4:
			ok, end = c.writeCR4(v)
		case 8:
			ok = c.writeCR8(v)
		}
		if !ok {
			gp0()
		}
		if end {
			endBlock(c, in)
		}
	case d.Kind == KDR:
		v := c.getReg(s)
		slot := c.debugReg(d.Reg)
		c.needCPL0()
		switch slot {
		case 6:
			if v>>32 != 0 {
				gp0()
			}
			// Bits 4-11 and 16-31 read as 1, 12 and 13 as 0 (BLD, BD
			// are not modelled).
			v = v&0xe00f | 0xffff0ff0
		case 7:
			if v>>32 != 0 {
				gp0()
			}
			// Bit 10 reads as 1, 11-12 and 14-15 as 0.
			v = v&^0xd800 | 0x400
		}
		p.DR[slot] = v
		if slot >= 6 {
			p.DR[slot-2] = v
		}
	default:
		ud()
	}
}

// opClts clears CR0.TS (a mode change event when it was set).
func opClts(c *CPU, in *Inst) {
	if c.Priv == nil {
		opUnimplemented(c, in)
	}
	c.needCPL0()
	if c.CR0&CR0TS != 0 {
		c.CR0 &^= CR0TS
		c.modeChanged(ChangeCR0)
	}
}

// opLmsw loads the low four bits of CR0 (PE, MP, EM, TS) from a 16-bit
// operand; it can set PE but not clear it.
func opLmsw(c *CPU, in *Inst) {
	p := c.Priv
	if p == nil {
		opUnimplemented(c, in)
	}
	v := c.get(in, 0) & 0xf
	c.needCPL0()
	v |= c.CR0 & CR0PE
	if ok, end := c.writeCR0(c.CR0&^0xf | v); !ok {
		gp0()
	} else if end {
		endBlock(c, in)
	}
}

// opSmsw stores the machine status word: CR0's low 16 bits to memory, to
// a register as much of CR0 as the operand holds. It is allowed at any
// CPL (UMIP is not claimed).
func opSmsw(c *CPU, in *Inst) {
	p := c.Priv
	if p == nil {
		opUnimplemented(c, in)
	}
	if in.A[0].Kind == KMem {
		c.Mem.Store16(c.EA(in), uint16(c.CR0))
		return
	}
	c.setReg(&in.A[0], c.CR0&sizeMask[in.A[0].Size])
}

// opHlt halts the CPU until the next interrupt (CPL 0; #GP otherwise and
// in user mode). The board's run loop sees Stop and sleeps while Halted.
func opHlt(c *CPU, in *Inst) {
	p := c.Priv
	if p == nil || c.CPL != 0 {
		opPrivileged(c, in)
	}
	c.RIP = in.Next
	p.Halted = true
	c.Stop.Store(true)
}

// opCli clears IF when CPL <= IOPL (no VME/PVI: #GP otherwise).
func opCli(c *CPU, in *Inst) {
	p := c.Priv
	if p == nil || c.CPL > c.IOPL() {
		opPrivileged(c, in)
	}
	c.flags &^= FlagIF
}

// opSti sets IF when CPL <= IOPL. If IF was clear, interrupts stay held
// off until the next instruction completes (IntShadow; the engine never
// ends a block at STI, so the board's check between blocks comes after
// it).
func opSti(c *CPU, in *Inst) {
	p := c.Priv
	if p == nil || c.CPL > c.IOPL() {
		opPrivileged(c, in)
	}
	if c.flags&FlagIF == 0 {
		c.flags |= FlagIF
		p.IntShadow = true
	}
}

// sysPopf is POPF in system mode (protected mode, no virtual-8086): RF is
// cleared and VM, VIF, VIP kept; IOPL changes only at CPL 0, IF only when
// CPL <= IOPL (silently kept otherwise); a 16-bit POPF changes the low
// word only.
func sysPopf(c *CPU, in *Inst) {
	n := c.pushSize(in)
	v := c.pop(n)
	mask := StatusFlags | FlagTF | FlagDF | FlagNT | FlagAC | FlagID | FlagRF
	cpl := c.CPL
	if cpl == 0 {
		mask |= FlagIOPL
	}
	if cpl <= c.IOPL() {
		mask |= FlagIF
	}
	if n == 2 {
		mask &= 0xffff
	}
	v &^= FlagRF
	tf := c.TF()
	c.SetFlags(v, mask)
	if !tf && c.TF() {
		c.RIP = in.Next
		panic(resume)
	}
}

// opInvlpg drops the cached translation of the page holding the memory
// operand (CPL 0).
func opInvlpg(c *CPU, in *Inst) {
	p := c.Priv
	if p == nil {
		opUnimplemented(c, in)
	}
	c.needCPL0()
	if p.MMU != nil {
		p.MMU.FlushPage(c.EA(in))
	}
}

// opCacheCtl is INVD and WBINVD: no caches are modelled, so nothing to do
// beyond the CPL 0 check.
func opCacheCtl(c *CPU, in *Inst) {
	if c.Priv == nil {
		opUnimplemented(c, in)
	}
	c.needCPL0()
}

// ReadTSC returns the guest's time-stamp counter: the host-based counter
// plus the offset WRMSR to IA32_TSC set.
func (c *CPU) ReadTSC() uint64 {
	if c.Priv == nil {
		return c.readTSC()
	}
	return c.readTSC() + c.Priv.TSCOffset
}

// sysRdtsc is RDTSC and RDTSCP in system mode: CR4.TSD restricts them to
// CPL 0; RDTSCP exists only if the model claims it and returns TSC_AUX in
// ECX.
func sysRdtsc(c *CPU, in *Inst) {
	p := c.Priv
	if in.Op == x86asm.RDTSCP && p.Ctl.Model.Ext1EDX&cpuidExtEdxRDTSP == 0 {
		ud()
	}
	if c.CR4&CR4TSD != 0 && c.CPL != 0 {
		gp0()
	}
	t := c.ReadTSC()
	c.R[RAX], c.R[RDX] = t&0xffffffff, t>>32
	if in.Op == x86asm.RDTSCP {
		c.R[RCX] = p.TSCAux & 0xffffffff
	}
}

func init() {
	def(x86asm.CLTS, opClts)
	def(x86asm.LMSW, opLmsw)
	def(x86asm.SMSW, opSmsw)
	def(x86asm.INVLPG, opInvlpg)
	def(x86asm.INVD, opCacheCtl)
	def(x86asm.WBINVD, opCacheCtl)
}

// CR0.TS and CR0.EM: x87, MMX and SSE instructions raise #NM (or #UD) while
// they say so. Checking CR0 in every such handler would cost user mode a
// test per FPU instruction, so the check is made when a block is
// translated instead: in system mode the engine calls GuardFPU on each
// instruction it translates while FPUAvailable is false, and drops its
// translations when CR0.TS, EM or MP change (OnModeChange(ChangeCR0) with
// the old and new values).

// FPUAvailable reports whether x87, MMX and SSE instructions run as
// translated: always in user mode; in system mode while CR0.TS and CR0.EM
// are clear.
func (c *CPU) FPUAvailable() bool {
	return c.Priv == nil || c.CR0&(CR0TS|CR0EM) == 0
}

// FPUControlBits are the CR0 bits whose change must drop translations
// made with GuardFPU (or without it).
const FPUControlBits = CR0MP | CR0EM | CR0TS

// GuardFPU replaces the handler of an x87, MMX or SSE instruction by the
// exception the current CR0 gives it (SDM vol. 3, table 2-2): with EM, #NM
// for x87 instructions (FXSAVE and FXRSTOR too) and #UD for MMX and SSE
// ones; with TS, #NM for all of them, WAIT/FWAIT only when MP is set too.
// Other instructions are left alone.
func (c *CPU) GuardFPU(in *Inst) {
	if c.Priv == nil || in.Raw == nil {
		return
	}
	x87, simd := fpuClass(in)
	switch {
	case in.Op == x86asm.FWAIT:
		if c.CR0&(CR0TS|CR0MP) == CR0TS|CR0MP {
			in.Fn = opDeviceNotAvailable
		}
	case c.CR0&CR0EM != 0 && simd:
		in.Fn = opUndefined
	case c.CR0&(CR0EM|CR0TS) != 0 && (x87 || simd):
		in.Fn = opDeviceNotAvailable
	}
}

// fpuClass reports whether an instruction uses the x87 unit (its opcode
// names start with F: FXSAVE and FXRSTOR too) or the MMX/SSE state (an
// MMX or XMM operand, or MXCSR).
func fpuClass(in *Inst) (x87, simd bool) {
	if s := in.Op.String(); len(s) > 0 && s[0] == 'F' {
		return true, false
	}
	switch in.Op {
	case x86asm.LDMXCSR, x86asm.STMXCSR, x86asm.EMMS:
		return false, true
	}
	for i := 0; i < int(in.NArgs); i++ {
		if k := in.A[i].Kind; k == KXMM || k == KMMX {
			return false, true
		}
	}
	return false, false
}

// opDeviceNotAvailable raises #NM.
func opDeviceNotAvailable(c *CPU, in *Inst) { panic(&Trap{Kind: TrapNM}) }
