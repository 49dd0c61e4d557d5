package x86

import (
	"strings"
	"testing"
)

func TestCPUModels(t *testing.T) {
	type regs [4]uint32
	apic := Model64
	apic.APIC = true
	noTSC := Model64
	noTSC.TSCHz = 0
	tests := []struct {
		name      string
		model     *CPUModel
		leaf, sub uint32
		want      regs
	}{
		{"64 vendor", &Model64, 0, 0, regs{0x16, 0x756e6547, 0x6c65746e, 0x49656e69}},
		{"vendor without TSCHz", &noTSC, 0, 0, regs{7, 0x756e6547, 0x6c65746e, 0x49656e69}},
		// The TSC counts host nanoseconds: a 1 GHz crystal, ratio 1.
		{"64 TSC frequency", &Model64, 0x15, 0, regs{1, 1, 1000000000, 0}},
		{"32 TSC frequency", &Model32, 0x15, 0, regs{1, 1, 1000000000, 0}},
		{"no TSC frequency", &noTSC, 0x15, 0, regs{}},
		{"64 base frequency", &Model64, 0x16, 0, regs{1000, 1000, 0, 0}},
		{"no base frequency", &noTSC, 0x16, 0, regs{}},
		{"64 leaf 0xb (no topology)", &Model64, 0xb, 0, regs{}},
		{"64 leaf 0xa (no perfmon)", &Model64, 0xa, 0, regs{}},
		// Family 6 model 15 stepping 11; CLFLUSH 8 quadwords; ECX SSE3
		// SSSE3 CX16 SSE4.1 SSE4.2 MOVBE POPCNT; EDX FPU PSE TSC MSR PAE
		// CX8 SEP MTRR PGE CMOV PAT CLFSH MMX FXSR SSE SSE2.
		{"64 leaf 1", &Model64, 1, 0, regs{0x6fb, 0x800, 0x00d82201, 0x0789b979}},
		{"64 leaf 1 with APIC", &apic, 1, 0, regs{0x6fb, 0x800, 0x00d82201, 0x0789bb79}},
		// TSC_ADJUST BMI1 BMI2 ERMS; ARCH_CAPABILITIES.
		{"64 leaf 7", &Model64, 7, 0, regs{0, 0x30a, 0, 0x20000000}},
		{"64 leaf 7.1", &Model64, 7, 1, regs{}},
		{"64 leaf 5 (no MONITOR)", &Model64, 5, 0, regs{}},
		{"64 ext max", &Model64, 0x80000000, 0, regs{0x80000008, 0, 0, 0}},
		// LAHF ABM; SYSCALL NX Page1GB RDTSCP LM.
		{"64 ext features", &Model64, 0x80000001, 0, regs{0, 0, 0x21, 0x2c100800}},
		{"64 invariant TSC", &Model64, 0x80000007, 0, regs{0, 0, 0, 0x100}},
		{"64 address sizes", &Model64, 0x80000008, 0, regs{0x3027, 0, 0, 0}},
		{"32 leaf 1", &Model32, 1, 0, regs{0x6fb, 0x800, 0x00d82201, 0x0789b979}},
		{"32 ext features", &Model32, 0x80000001, 0, regs{0, 0, 0x20, 0}},
		{"32 address sizes", &Model32, 0x80000008, 0, regs{0x2024, 0, 0, 0}},
		{"32 L1d", &Model32, 4, 0, regs{0x121, 0x01c0003f, 63, 0}},
	}
	for _, tc := range tests {
		a, b, c, d := tc.model.CPUID(tc.leaf, tc.sub)
		if got := (regs{a, b, c, d}); got != tc.want {
			t.Errorf("%s: %#x, want %#x", tc.name, got, tc.want)
		}
	}
	for _, m := range []*CPUModel{&Model64, &Model32} {
		var brand []byte
		for l := uint32(0x80000002); l <= 0x80000004; l++ {
			a, b, c, d := m.CPUID(l, 0)
			for _, r := range []uint32{a, b, c, d} {
				brand = append(brand, byte(r), byte(r>>8), byte(r>>16), byte(r>>24))
			}
		}
		if s := strings.TrimRight(string(brand), "\x00"); s != m.Brand || len(brand) != 48 {
			t.Errorf("%s brand %q", m.Name, brand)
		}
	}
}

func TestModelByName(t *testing.T) {
	m, err := ModelByName("gemu32")
	if err != nil || m.LongMode() || m.NX() || m == &Model32 {
		t.Fatalf("gemu32: %v %+v", err, m)
	}
	m.APIC = true
	if Model32.APIC {
		t.Fatal("ModelByName returned the shared model")
	}
	if m, err := ModelByName("gemu64"); err != nil || !m.LongMode() || !m.NX() {
		t.Fatalf("gemu64: %v", err)
	}
	if _, err := ModelByName("pentium"); err == nil || !strings.Contains(err.Error(), "gemu64") {
		t.Fatalf("unknown model: %v", err)
	}
	if ms := Models(); len(ms) != 2 || ms[0].Name != "gemu64" {
		t.Fatalf("models %v", ms)
	}
}

func TestCPUIDInstruction(t *testing.T) {
	// cpuid in system mode answers from the model; in user mode as before.
	c, tr := runCode(t, 32, []byte{0x0f, 0xa2}, sysSetup(&Model32, nil, nil, func(c *CPU) { c.R[RAX] = 0x80000001 }))
	if tr != nil || c.R[RDX] != 0 || c.R[RCX] != 0x20 {
		t.Fatalf("system: %v ecx %#x edx %#x", tr, c.R[RCX], c.R[RDX])
	}
	c, tr = runCode(t, 32, []byte{0x0f, 0xa2}, func(c *CPU) { c.R[RAX] = 0x80000001 })
	if _, _, cx, d := cpuid(32, 0x80000001, 0); tr != nil || c.R[RDX] != uint64(d) || c.R[RCX] != uint64(cx) {
		t.Fatalf("user: %v ecx %#x edx %#x", tr, c.R[RCX], c.R[RDX])
	}
}
