package x86

import "golang.org/x/arch/x86/x86asm"

// Model-specific registers in system mode: RDMSR and WRMSR at CPL 0. The
// set is what Linux uses on a CPU with the features the model claims
// (SDM vol. 4, the architectural MSRs); any other MSR, a reserved bit set
// or a read-only MSR written raises #GP(0), which Linux's rdmsr_safe and
// wrmsr_safe rely on to probe.

// MSR numbers.
const (
	MSRTSC           = 0x10
	MSRPlatformID    = 0x17
	MSRTSCAdjust     = 0x3b
	MSRAPICBase      = 0x1b
	MSRBIOSSignID    = 0x8b // microcode revision (IA32_BIOS_SIGN_ID)
	MSRMTRRCap       = 0xfe
	MSRArchCap       = 0x10a
	MSRSysenterCS    = 0x174
	MSRSysenterESP   = 0x175
	MSRSysenterEIP   = 0x176
	MSRMiscEnable    = 0x1a0
	MSRDebugCtl      = 0x1d9
	MSRMTRRPhysBase0 = 0x200
	MSRMTRRFix64K    = 0x250
	MSRMTRRFix16K0   = 0x258
	MSRMTRRFix16K1   = 0x259
	MSRMTRRFix4K0    = 0x268 // to 0x26f
	MSRPAT           = 0x277
	MSRMTRRDefType   = 0x2ff
	MSREFER          = 0xc0000080
	MSRSTAR          = 0xc0000081
	MSRLSTAR         = 0xc0000082
	MSRCSTAR         = 0xc0000083
	MSRSFMASK        = 0xc0000084
	MSRFSBase        = 0xc0000100
	MSRGSBase        = 0xc0000101
	MSRKernelGSBase  = 0xc0000102
	MSRTSCAux        = 0xc0000103
)

// MTRRs: 8 variable ranges; fixed ranges and write-combining supported.
const (
	mtrrVarCount = 8
	mtrrCap      = 1<<10 | 1<<8 | mtrrVarCount // WC, FIX, VCNT
	mtrrDefE     = 1 << 11                     // MTRRs enabled
	mtrrDefFE    = 1 << 10                     // fixed ranges enabled
	mtrrWB       = 6
)

// archCapabilities is IA32_ARCH_CAPABILITIES: the "not affected" bits of
// the speculative-execution flaws, all true of an interpreter: RDCL_NO
// (0, Meltdown), SSB_NO (4), MDS_NO (5), PSCHANGE_MC_NO (6), TAA_NO (8),
// SBDR_SSDP_NO (13), FBSDP_NO (14), PSDP_NO (15), BHI_NO (20), PBRSB_NO
// (24), GDS_NO (26), RFDS_NO (27).
const archCapabilities = 1<<0 | 1<<4 | 1<<5 | 1<<6 | 1<<8 | 1<<13 | 1<<14 | 1<<15 |
	1<<20 | 1<<24 | 1<<26 | 1<<27

// validMemType reports whether t is a memory type an MTRR (pat false) or
// a PAT entry (pat true) may hold: UC 0, WC 1, WT 4, WP 5, WB 6, and
// UC- 7 in the PAT only.
func validMemType(t uint64, pat bool) bool {
	switch t {
	case 0, 1, 4, 5, 6:
		return true
	case 7:
		return pat
	}
	return false
}

// validTypes reports whether each byte of v is a valid memory type.
func validTypes(v uint64, pat bool) bool {
	for i := 0; i < 8; i++ {
		if !validMemType(v>>(8*i)&0xff, pat) {
			return false
		}
	}
	return true
}

// mtrrFixIndex returns the slot of a fixed-range MTRR, or -1.
func mtrrFixIndex(msr uint32) int {
	switch {
	case msr == MSRMTRRFix64K:
		return 0
	case msr == MSRMTRRFix16K0 || msr == MSRMTRRFix16K1:
		return int(msr-MSRMTRRFix16K0) + 1
	case msr >= MSRMTRRFix4K0 && msr <= MSRMTRRFix4K0+7:
		return int(msr-MSRMTRRFix4K0) + 3
	}
	return -1
}

// ReadMSR returns the value of an MSR as RDMSR does (without the CPL
// check), or false for one that raises #GP(0).
func (c *CPU) ReadMSR(msr uint32) (uint64, bool) {
	p := c.Priv
	m := p.Ctl.Model
	lm := m.LongMode()
	switch {
	case msr == MSRTSC:
		return c.ReadTSC(), true
	case msr == MSRTSCAdjust && m.Leaf7EBX&cpuid7EbxTSCAdjust != 0:
		return p.Ctl.TSCAdjust, true
	case msr == MSRPlatformID, msr == MSRBIOSSignID:
		return 0, true
	case msr == MSRAPICBase:
		return p.APICBase, true
	case msr == MSRMTRRCap && m.has(cpuid1EdxMTRR):
		return mtrrCap, true
	case msr == MSRArchCap && m.Leaf7EDX&cpuid7EdxArchCap != 0:
		return archCapabilities, true
	case msr == MSRSysenterCS && m.has(cpuid1EdxSEP):
		return p.SysenterCS, true
	case msr == MSRSysenterESP && m.has(cpuid1EdxSEP):
		return p.SysenterESP, true
	case msr == MSRSysenterEIP && m.has(cpuid1EdxSEP):
		return p.SysenterEIP, true
	case msr == MSRMiscEnable:
		return p.MiscEnable, true
	case msr == MSRDebugCtl:
		return 0, true
	case msr >= MSRMTRRPhysBase0 && msr < MSRMTRRPhysBase0+2*mtrrVarCount && m.has(cpuid1EdxMTRR):
		return p.Ctl.MTRRVar[msr-MSRMTRRPhysBase0], true
	case mtrrFixIndex(msr) >= 0 && m.has(cpuid1EdxMTRR):
		return p.Ctl.MTRRFix[mtrrFixIndex(msr)], true
	case msr == MSRPAT && m.has(cpuid1EdxPAT):
		return p.PAT, true
	case msr == MSRMTRRDefType && m.has(cpuid1EdxMTRR):
		return p.Ctl.MTRRDefType, true
	case msr == MSREFER && c.eferAllowed() != 0:
		return c.EFER, true
	case msr == MSRSTAR && lm:
		return p.STAR, true
	case msr == MSRLSTAR && lm:
		return p.LSTAR, true
	case msr == MSRCSTAR && lm:
		return p.CSTAR, true
	case msr == MSRSFMASK && lm:
		return p.SFMASK, true
	case msr == MSRFSBase && lm:
		return c.SegBase[FS], true
	case msr == MSRGSBase && lm:
		return c.SegBase[GS], true
	case msr == MSRKernelGSBase && lm:
		return c.KernelGSBase, true
	case msr == MSRTSCAux && m.Ext1EDX&cpuidExtEdxRDTSP != 0:
		return p.TSCAux, true
	}
	return 0, false
}

// eferAllowed returns the EFER bits the model has (none: no EFER).
func (c *CPU) eferAllowed() uint64 {
	m := c.Priv.Ctl.Model
	var a uint64
	if m.Ext1EDX&cpuidExtEdxSCALL != 0 {
		a |= EFERSCE
	}
	if m.LongMode() {
		a |= EFERLME | EFERLMA
	}
	if m.NX() {
		a |= EFERNXE
	}
	return a
}

// writeEFER loads EFER: bits the model lacks are reserved, LME cannot
// change while paging is on, and LMA is read-only (a written value is
// ignored). It reports whether the paging regime changed (NXE).
func (c *CPU) writeEFER(v uint64) (ok, changed bool) {
	a := c.eferAllowed()
	if a == 0 || v&^a != 0 {
		return false, false
	}
	if c.CR0&CR0PG != 0 && (v^c.EFER)&EFERLME != 0 {
		return false, false
	}
	old := c.EFER
	c.EFER = v&^EFERLMA | old&EFERLMA
	changed = (old^c.EFER)&EFERNXE != 0
	if changed {
		c.setPaging()
	}
	if c.EFER != old {
		c.modeChanged(ChangeEFER)
	}
	return true, changed
}

// physOK reports whether v has no bit set at or above MAXPHYADDR.
func (c *CPU) physOK(v uint64) bool { return v>>c.Priv.Ctl.Model.PhysBits == 0 }

// WriteMSR sets an MSR as WRMSR does (without the CPL check), reporting
// false for a write that raises #GP(0) and whether it changed the paging
// regime (the instruction then ends its block).
func (c *CPU) WriteMSR(msr uint32, v uint64) (ok, changed bool) {
	p := c.Priv
	m := p.Ctl.Model
	lm := m.LongMode()
	mtrr := m.has(cpuid1EdxMTRR)
	// 64-bit addresses held in MSRs must be canonical on a long-mode
	// CPU; a 32-bit one keeps their low half.
	addr := func(dst *uint64) bool {
		if lm && !c.canonical(v) {
			return false
		}
		if !lm {
			v &= 0xffffffff
		}
		*dst = v
		return true
	}
	switch {
	case msr == MSRTSC:
		// The change also adds to IA32_TSC_ADJUST (SDM vol. 3, 18.17.3).
		p.Ctl.TSCAdjust += v - c.ReadTSC()
		p.TSCOffset = v - c.readTSC()
		return true, false
	case msr == MSRTSCAdjust && m.Leaf7EBX&cpuid7EbxTSCAdjust != 0:
		// The TSC moves by the change of the adjustment.
		p.TSCOffset += v - p.Ctl.TSCAdjust
		p.Ctl.TSCAdjust = v
		return true, false
	case msr == MSRBIOSSignID:
		// Linux writes 0 before CPUID to read the microcode revision.
		return true, false
	case msr == MSRAPICBase:
		// BSP (8) is read-only, EN (11) and the base are writable;
		// EXTD (10, x2APIC) is not claimed.
		const bsp, en = 1 << 8, 1 << 11
		if v&^(en|bsp|^uint64(0xfff)) != 0 || !c.physOK(v) {
			return false, false
		}
		p.APICBase = v&^bsp | p.APICBase&bsp
		return true, false
	case msr == MSRSysenterCS && m.has(cpuid1EdxSEP):
		p.SysenterCS = v & 0xffffffff
		return true, false
	case msr == MSRSysenterESP && m.has(cpuid1EdxSEP):
		return addr(&p.SysenterESP), false
	case msr == MSRSysenterEIP && m.has(cpuid1EdxSEP):
		return addr(&p.SysenterEIP), false
	case msr == MSRMiscEnable:
		p.MiscEnable = v
		return true, false
	case msr == MSRDebugCtl:
		// No LBR or BTF: only 0 is accepted.
		return v == 0, false
	case msr >= MSRMTRRPhysBase0 && msr < MSRMTRRPhysBase0+2*mtrrVarCount && mtrr:
		i := msr - MSRMTRRPhysBase0
		if !c.physOK(v) {
			return false, false
		}
		if i&1 == 0 { // PHYSBASE: type in 7:0, 11:8 reserved
			if v&0xf00 != 0 || !validMemType(v&0xff, false) {
				return false, false
			}
		} else if v&0x7ff != 0 { // PHYSMASK: V is bit 11, 10:0 reserved
			return false, false
		}
		p.Ctl.MTRRVar[i] = v
		return true, false
	case mtrrFixIndex(msr) >= 0 && mtrr:
		if !validTypes(v, false) {
			return false, false
		}
		p.Ctl.MTRRFix[mtrrFixIndex(msr)] = v
		return true, false
	case msr == MSRPAT && m.has(cpuid1EdxPAT):
		if !validTypes(v, true) {
			return false, false
		}
		p.PAT = v
		return true, false
	case msr == MSRMTRRDefType && mtrr:
		if v&^uint64(mtrrDefE|mtrrDefFE|0xff) != 0 || !validMemType(v&0xff, false) {
			return false, false
		}
		p.Ctl.MTRRDefType = v
		return true, false
	case msr == MSREFER:
		return c.writeEFER(v)
	case msr == MSRSTAR && lm:
		p.STAR = v
		return true, false
	case msr == MSRLSTAR && lm:
		return addr(&p.LSTAR), false
	case msr == MSRCSTAR && lm:
		return addr(&p.CSTAR), false
	case msr == MSRSFMASK && lm:
		if v>>32 != 0 {
			return false, false
		}
		p.SFMASK = v
		return true, false
	case (msr == MSRFSBase || msr == MSRGSBase) && lm:
		if !c.canonical(v) {
			return false, false
		}
		seg := FS
		if msr == MSRGSBase {
			seg = GS
		}
		c.SegBase[seg] = v
		p.Segs[seg].Base = v
		return true, false
	case msr == MSRKernelGSBase && lm:
		return addr(&c.KernelGSBase), false
	case msr == MSRTSCAux && m.Ext1EDX&cpuidExtEdxRDTSP != 0:
		if v>>32 != 0 {
			return false, false
		}
		p.TSCAux = v
		return true, false
	}
	return false, false
}

// opRdmsr reads the MSR ECX into EDX:EAX (CPL 0). User mode keeps the
// behaviour from before system mode.
func opRdmsr(c *CPU, in *Inst) {
	if c.Priv == nil {
		opUnimplemented(c, in)
	}
	c.needCPL0()
	v, ok := c.ReadMSR(uint32(c.R[RCX]))
	if !ok {
		gp0()
	}
	c.R[RAX], c.R[RDX] = v&0xffffffff, v>>32
}

// opWrmsr writes EDX:EAX to the MSR ECX (CPL 0); a change of EFER.NXE
// ends the block.
func opWrmsr(c *CPU, in *Inst) {
	if c.Priv == nil {
		opUnimplemented(c, in)
	}
	c.needCPL0()
	v := c.R[RDX]<<32 | c.R[RAX]&0xffffffff
	ok, changed := c.WriteMSR(uint32(c.R[RCX]), v)
	if !ok {
		gp0()
	}
	if changed {
		endBlock(c, in)
	}
}

func init() {
	def(x86asm.RDMSR, opRdmsr)
	def(x86asm.WRMSR, opWrmsr)
}
