package x86

import (
	"reflect"
	"testing"
)

// rdmsrCode and wrmsrCode are RDMSR and WRMSR.
var (
	rdmsrCode = []byte{0x0f, 0x32}
	wrmsrCode = []byte{0x0f, 0x30}
)

func TestMSRReadWrite(t *testing.T) {
	tests := []struct {
		name  string
		model *CPUModel
		msr   uint32
		write uint64
		read  uint64 // what RDMSR returns after the write
		gp    bool   // the write raises #GP
	}{
		{"EFER SCE NXE", nil, MSREFER, EFERSCE | EFERNXE, EFERSCE | EFERNXE, false},
		{"EFER LMA ignored", nil, MSREFER, EFERLMA, 0, false},
		{"EFER reserved bit", nil, MSREFER, 1 << 1, 0, true},
		{"EFER on a 32-bit model", &Model32, MSREFER, 0, 0, true},
		{"STAR", nil, MSRSTAR, 0x0023001000000000, 0x0023001000000000, false},
		{"LSTAR", nil, MSRLSTAR, 0xffffffff81a00080, 0xffffffff81a00080, false},
		{"LSTAR non-canonical", nil, MSRLSTAR, 0x0000800000000000, 0, true},
		{"LSTAR on a 32-bit model", &Model32, MSRLSTAR, 0x1000, 0, true},
		{"CSTAR", nil, MSRCSTAR, 0xffffffff81a01000, 0xffffffff81a01000, false},
		{"SFMASK", nil, MSRSFMASK, 0x47700, 0x47700, false},
		{"SFMASK high half", nil, MSRSFMASK, 1 << 32, 0, true},
		{"FS base", nil, MSRFSBase, 0x7f0012345000, 0x7f0012345000, false},
		{"GS base", nil, MSRGSBase, 0xffff888007800000, 0xffff888007800000, false},
		{"GS base non-canonical", nil, MSRGSBase, 0xfff0888007800000, 0, true},
		{"kernel GS base", nil, MSRKernelGSBase, 0xffff888007a00000, 0xffff888007a00000, false},
		{"SYSENTER_CS", nil, MSRSysenterCS, 0x60, 0x60, false},
		{"SYSENTER_ESP", &Model32, MSRSysenterESP, 0xc1a05000, 0xc1a05000, false},
		{"SYSENTER_EIP", nil, MSRSysenterEIP, 0xffffffff81c01200, 0xffffffff81c01200, false},
		{"SYSENTER_EIP non-canonical", nil, MSRSysenterEIP, 1 << 60, 0, true},
		{"TSC_AUX", nil, MSRTSCAux, 7, 7, false},
		{"TSC_AUX high half", nil, MSRTSCAux, 1 << 32, 0, true},
		{"TSC_AUX without RDTSCP", &Model32, MSRTSCAux, 0, 0, true},
		{"PAT", nil, MSRPAT, 0x0007010600070106, 0x0007010600070106, false},
		{"PAT type 2", nil, MSRPAT, 0x0007040600070402, 0x0007040600070406, true},
		{"PAT type 8", nil, MSRPAT, 0x0807040600070406, 0x0007040600070406, true},
		{"APIC base moved, disabled", nil, MSRAPICBase, 0xfec00000, 0xfec00100, false},
		{"APIC base x2APIC", nil, MSRAPICBase, 0xfee00c00, 0xfee00900, true},
		{"APIC base above MAXPHYADDR", nil, MSRAPICBase, 1<<39 | 0xfee00800, 0xfee00900, true},
		{"MISC_ENABLE", nil, MSRMiscEnable, 0x1, 0x1, false},
		{"MTRRcap read-only", nil, MSRMTRRCap, 0, 0x508, true},
		{"MTRRdefType", nil, MSRMTRRDefType, 0xc06, 0xc06, false},
		{"MTRRdefType type 2", nil, MSRMTRRDefType, 0xc02, 0x806, true},
		{"MTRRdefType reserved", nil, MSRMTRRDefType, 0x1806, 0x806, true},
		{"MTRR physbase 3", nil, MSRMTRRPhysBase0 + 6, 0x80000000, 0x80000000, false},
		{"MTRR physmask 3", nil, MSRMTRRPhysBase0 + 7, 0x7f80000800, 0x7f80000800, false},
		{"MTRR physmask reserved", nil, MSRMTRRPhysBase0 + 1, 0x7f80000801, 0, true},
		{"MTRR physbase 32-bit model", &Model32, MSRMTRRPhysBase0, 0xf00000006, 0xf00000006, false},
		{"MTRR physbase above MAXPHYADDR", &Model32, MSRMTRRPhysBase0, 0x1000000006, 0, true},
		{"MTRR fix64K", nil, MSRMTRRFix64K, 0x0606060606060606, 0x0606060606060606, false},
		{"MTRR fix4K C8000", nil, MSRMTRRFix4K0 + 1, 0x0505050505050505, 0x0505050505050505, false},
		{"MTRR fix16K UC-", nil, MSRMTRRFix16K1, 0x07, 0, true},
		{"ARCH_CAPABILITIES read-only", nil, MSRArchCap, 0, 0x0d10e171, true},
		{"PLATFORM_ID read-only", nil, MSRPlatformID, 0, 0, true},
		{"BIOS_SIGN_ID write ignored", nil, MSRBIOSSignID, 0, 0, false},
		{"DEBUGCTL 0", nil, MSRDebugCtl, 0, 0, false},
		{"DEBUGCTL BTF", nil, MSRDebugCtl, 2, 0, true},
		{"MCG_CAP (no MCA)", nil, 0x179, 0, 0, true},
		{"FEATURE_CONTROL", nil, 0x3a, 0, 0, true},
	}
	for _, tc := range tests {
		code := append(append([]byte{}, wrmsrCode...), rdmsrCode...)
		if tc.gp {
			code = wrmsrCode
		}
		c, tr := runCode(t, 64, code, sysSetup(tc.model, &fakeMMU{}, nil, func(c *CPU) {
			c.R[RCX], c.R[RAX], c.R[RDX] = uint64(tc.msr), tc.write&0xffffffff|0xdead<<32, tc.write>>32
		}))
		if got := trapKind(tr) == int(TrapGP); got != tc.gp {
			t.Errorf("%s: wrmsr trap %v, want #GP %v", tc.name, tr, tc.gp)
			continue
		}
		if tc.gp {
			// The MSR kept its value (or does not exist).
			v, ok := c.ReadMSR(tc.msr)
			if ok && v != tc.read {
				t.Errorf("%s: after the #GP the MSR reads %#x, want %#x", tc.name, v, tc.read)
			}
			continue
		}
		if got := c.R[RDX]<<32 | c.R[RAX]; got != tc.read || c.R[RAX]>>32 != 0 {
			t.Errorf("%s: rdmsr %#x (rax %#x), want %#x", tc.name, got, c.R[RAX], tc.read)
		}
	}
}

func TestMSREffects(t *testing.T) {
	// FS/GS base MSRs are the segment bases the CPU uses.
	c := NewSystemCPU(nil)
	if ok, _ := c.WriteMSR(MSRFSBase, 0x1000); !ok || c.SegBase[FS] != 0x1000 || c.Priv.Segs[FS].Base != 0x1000 {
		t.Fatalf("fs base %#x", c.SegBase[FS])
	}
	c.SegBase[GS] = 0x2000
	if v, ok := c.ReadMSR(MSRGSBase); !ok || v != 0x2000 {
		t.Fatalf("gs base %#x", v)
	}
	// IA32_TSC sets the offset to the host counter.
	c.TSC = func() uint64 { return 5000 }
	if ok, _ := c.WriteMSR(MSRTSC, 100); !ok || c.ReadTSC() != 100 {
		t.Fatalf("tsc %d", c.ReadTSC())
	}
	c.TSC = func() uint64 { return 5100 }
	if v, _ := c.ReadMSR(MSRTSC); v != 200 {
		t.Fatalf("tsc after 100 ticks %d", v)
	}
	// IA32_TSC_ADJUST sums the changes (SDM vol. 3, 18.17.3): the write
	// of 100 at 5000 moved the TSC by -4900; writing the adjustment moves
	// the TSC by the difference.
	if v, ok := c.ReadMSR(MSRTSCAdjust); !ok || int64(v) != 100-5000 {
		t.Fatalf("tsc adjust %d", int64(v))
	}
	if ok, _ := c.WriteMSR(MSRTSCAdjust, 0); !ok || c.ReadTSC() != 5100 {
		t.Fatalf("tsc after adjust 0: %d", c.ReadTSC())
	}
	if ok, _ := c.WriteMSR(MSRTSCAdjust, 1000); !ok || c.ReadTSC() != 6100 {
		t.Fatalf("tsc after adjust 1000: %d", c.ReadTSC())
	}
	if ok, _ := c.WriteMSR(MSRTSC, 6000); !ok || c.ReadTSC() != 6000 {
		t.Fatalf("tsc after writing 6000: %d", c.ReadTSC())
	}
	if v, _ := c.ReadMSR(MSRTSCAdjust); v != 900 {
		t.Fatalf("tsc adjust after writing the TSC: %d", int64(v))
	}
	// EFER.NXE is a paging change: the MMU hears of it and WRMSR ends
	// its block; LME with paging on faults.
	mmu := &fakeMMU{}
	var changes []ModeChange
	c, tr := runCode(t, 64, wrmsrCode, sysSetup(nil, mmu, nil, func(c *CPU) {
		c.CR0, c.CR3, c.CR4, c.EFER = 0x80000011, 0x1000, CR4PAE, EFERLME|EFERLMA
		c.Priv.OnModeChange = func(c *CPU, w ModeChange) { changes = append(changes, w) }
		c.R[RCX], c.R[RAX] = MSREFER, EFERLME|EFERNXE|EFERSCE
	}))
	if tr != nil || c.EFER != 0xd01 || !reflect.DeepEqual(mmu.calls, []string{"paging 0x80000011 0x1000 0x20 0xd01"}) ||
		!reflect.DeepEqual(changes, []ModeChange{ChangeEFER}) {
		t.Fatalf("%v efer %#x calls %q changes %v", tr, c.EFER, mmu.calls, changes)
	}
	_, tr = runCode(t, 64, wrmsrCode, sysSetup(nil, mmu, nil, func(c *CPU) {
		c.CR0, c.CR4, c.EFER = 0x80000011, CR4PAE, EFERLME|EFERLMA
		c.R[RCX], c.R[RAX] = MSREFER, 0
	}))
	if trapKind(tr) != int(TrapGP) {
		t.Fatalf("LME cleared with paging on: %v", tr)
	}
	// CPL 3: #GP for both.
	for _, code := range [][]byte{rdmsrCode, wrmsrCode} {
		_, tr := runCode(t, 64, code, sysSetup(nil, nil, nil, func(c *CPU) { c.CPL = 3; c.R[RCX] = MSRTSC }))
		if trapKind(tr) != int(TrapGP) {
			t.Errorf("% x at CPL 3: %v", code, tr)
		}
	}
	// An unknown MSR: #GP on read.
	if _, tr := runCode(t, 64, rdmsrCode, sysSetup(nil, nil, nil, func(c *CPU) { c.R[RCX] = 0xc0010114 })); trapKind(tr) != int(TrapGP) {
		t.Errorf("rdmsr unknown: %v", tr)
	}
}
