package x86

import (
	"fmt"
	"reflect"
	"testing"
)

// fakeMMU records the MMUControl calls the privileged instructions make.
type fakeMMU struct{ calls []string }

func (m *fakeMMU) SetPaging(cr0, cr3, cr4, efer uint64) {
	m.calls = append(m.calls, fmt.Sprintf("paging %#x %#x %#x %#x", cr0, cr3, cr4, efer))
}
func (m *fakeMMU) SetUser(user bool)    { m.calls = append(m.calls, fmt.Sprintf("user %v", user)) }
func (m *fakeMMU) FlushTLB(global bool) { m.calls = append(m.calls, fmt.Sprintf("flush %v", global)) }
func (m *fakeMMU) FlushPage(va uint64)  { m.calls = append(m.calls, fmt.Sprintf("flushpage %#x", va)) }

// sysSetup returns a setup function for runCode that puts the test CPU in
// system mode with the given model (nil: Model64) at CPL 0, with a
// recording MMU and port bus, then runs more.
func sysSetup(model *CPUModel, mmu MMUControl, bus PortBus, more func(c *CPU)) func(c *CPU) {
	return func(c *CPU) {
		n := NewSystemCPU(model)
		c.Priv = n.Priv
		c.CR0 = n.CR0
		c.Priv.MMU = mmu
		c.Priv.IO = bus
		if more != nil {
			more(c)
		}
	}
}

// trapKind returns the kind of a trap value from runCode, or -1 for none.
func trapKind(tr any) int {
	if t, ok := tr.(*Trap); ok {
		return int(t.Kind)
	}
	if tr != nil {
		return -2
	}
	return -1
}

func TestNewSystemCPU(t *testing.T) {
	c := NewSystemCPU(nil)
	p := c.Priv
	if p == nil || p.Ctl.Model == nil || p.Ctl.Model.Name != "gemu64" {
		t.Fatalf("priv %+v", p)
	}
	got := []uint64{c.Flags(), c.CR0, c.CR4, c.EFER, p.DR[6], p.DR[7], c.RIP, c.SegBase[CS],
		uint64(c.Seg[CS]), c.R[RDX], p.PAT, p.APICBase, p.MiscEnable, p.Ctl.MTRRDefType,
		uint64(c.ProcMode), uint64(c.Mode), uint64(c.CPL), uint64(c.MXCSR), uint64(c.X87.CW)}
	want := []uint64{2, 0x60000010, 0, 0, 0xffff0ff0, 0x400, 0xfff0, 0xffff0000,
		0xf000, 0x6fb, 0x0007040600070406, 0xfee00900, 1, 0x806,
		64, 32, 0, 0x1f80, 0x37f}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("reset state\n got %#x\nwant %#x", got, want)
	}
	if c32 := NewSystemCPU(&Model32); c32.ProcMode != 32 {
		t.Fatalf("32-bit model: ProcMode %d", c32.ProcMode)
	}
	// The default model is a copy: setting APIC does not change Model64.
	c.Priv.Ctl.Model.APIC = true
	if Model64.APIC {
		t.Fatal("NewSystemCPU(nil) shares Model64")
	}
}

func TestMovCR(t *testing.T) {
	const (
		movCR0EAX = "\x0f\x22\xc0" // mov cr0, eax (rax in 64-bit mode)
		movEAXCR0 = "\x0f\x20\xc0"
		movCR3EAX = "\x0f\x22\xd8"
		movCR4EAX = "\x0f\x22\xe0"
		movEAXCR4 = "\x0f\x20\xe0"
		movCR1EAX = "\x0f\x22\xc8"
	)
	type state struct{ cr0, cr3, cr4, efer uint64 }
	tests := []struct {
		name  string
		mode  int
		code  string
		cpl   int
		start state
		rax   uint64
		trap  int // trap kind, -1 none
		want  state
		rax2  uint64 // RAX after (reads)
		calls []string
	}{
		{"protected mode on", 32, movCR0EAX, 0, state{cr0: 0x60000010}, 0x11, -1,
			state{cr0: 0x11}, 0x11, []string{"paging 0x11 0x0 0x0 0x0"}},
		{"reserved low bits ignored, ET forced", 32, movCR0EAX, 0, state{cr0: 0x11}, 0x8001_0021 | 1<<20, -1,
			state{cr0: 0x80010031}, 0x80110021, []string{"paging 0x80010031 0x0 0x0 0x0"}},
		{"PG without PE", 32, movCR0EAX, 0, state{cr0: 0x11}, 0x80000010, int(TrapGP), state{cr0: 0x11}, 0x80000010, nil},
		{"NW without CD", 32, movCR0EAX, 0, state{cr0: 0x11}, 0x20000011, int(TrapGP), state{cr0: 0x11}, 0x20000011, nil},
		{"CPL 3", 32, movCR0EAX, 3, state{cr0: 0x11}, 0x13, int(TrapGP), state{cr0: 0x11}, 0x13, nil},
		{"high half reserved", 64, movCR0EAX, 0, state{cr0: 0x11}, 1<<32 | 0x11, int(TrapGP), state{cr0: 0x11}, 1<<32 | 0x11, nil},
		{"TS only: no paging change", 32, movCR0EAX, 0, state{cr0: 0x11}, 0x19, -1, state{cr0: 0x19}, 0x19, nil},
		{"long mode activation", 32, movCR0EAX, 0, state{cr0: 0x11, cr3: 0x5000, cr4: CR4PAE, efer: EFERLME}, 0x80000011, -1,
			state{0x80000011, 0x5000, CR4PAE, EFERLME | EFERLMA}, 0x80000011, []string{"paging 0x80000011 0x5000 0x20 0x500"}},
		{"LME without PAE", 32, movCR0EAX, 0, state{cr0: 0x11, efer: EFERLME}, 0x80000011, int(TrapGP),
			state{cr0: 0x11, efer: EFERLME}, 0x80000011, nil},
		{"paging off in 64-bit mode", 64, movCR0EAX, 0, state{0x80000011, 0x5000, CR4PAE, EFERLME | EFERLMA}, 0x11, int(TrapGP),
			state{0x80000011, 0x5000, CR4PAE, EFERLME | EFERLMA}, 0x11, nil},
		{"read cr0", 64, movEAXCR0, 0, state{cr0: 0x80050033}, 0xdead, -1, state{cr0: 0x80050033}, 0x80050033, nil},
		{"read cr0 at CPL 3", 64, movEAXCR0, 3, state{cr0: 0x80050033}, 0xdead, int(TrapGP), state{cr0: 0x80050033}, 0xdead, nil},
		{"cr3 legacy", 32, movCR3EAX, 0, state{cr0: 0x80000011}, 0x1234567, -1,
			state{cr0: 0x80000011, cr3: 0x1234567}, 0x1234567, []string{"paging 0x80000011 0x1234567 0x0 0x0"}},
		{"cr3 above MAXPHYADDR", 64, movCR3EAX, 0, state{0x80000011, 0x5000, CR4PAE, EFERLME | EFERLMA}, 1 << 39, int(TrapGP),
			state{0x80000011, 0x5000, CR4PAE, EFERLME | EFERLMA}, 1 << 39, nil},
		{"cr3 no-flush bit (no PCID)", 64, movCR3EAX, 0, state{0x80000011, 0x5000, CR4PAE, EFERLME | EFERLMA}, 1<<63 | 0x6000, int(TrapGP),
			state{0x80000011, 0x5000, CR4PAE, EFERLME | EFERLMA}, 1<<63 | 0x6000, nil},
		{"cr4 PGE toggles", 32, movCR4EAX, 0, state{cr0: 0x80000011, cr4: CR4PSE | CR4PGE}, CR4PSE, -1,
			state{cr0: 0x80000011, cr4: CR4PSE}, CR4PSE, []string{"paging 0x80000011 0x0 0x10 0x0"}},
		{"cr4 OSFXSR: no paging change", 32, movCR4EAX, 0, state{cr0: 0x11}, CR4OSFXSR | CR4OSXMMEXCPT | CR4TSD | CR4PCE, -1,
			state{cr0: 0x11, cr4: 0x704}, 0x704, nil},
		{"cr4 MCE not claimed", 32, movCR4EAX, 0, state{cr0: 0x11}, CR4MCE, int(TrapGP), state{cr0: 0x11}, CR4MCE, nil},
		{"cr4 DE not claimed", 32, movCR4EAX, 0, state{cr0: 0x11}, CR4DE, int(TrapGP), state{cr0: 0x11}, CR4DE, nil},
		{"cr4 PCIDE", 64, movCR4EAX, 0, state{0x80000011, 0, CR4PAE, EFERLME | EFERLMA}, CR4PAE | 1<<17, int(TrapGP),
			state{0x80000011, 0, CR4PAE, EFERLME | EFERLMA}, CR4PAE | 1<<17, nil},
		{"cr4 PAE cleared in long mode", 64, movCR4EAX, 0, state{0x80000011, 0, CR4PAE, EFERLME | EFERLMA}, 0, int(TrapGP),
			state{0x80000011, 0, CR4PAE, EFERLME | EFERLMA}, 0, nil},
		{"read cr4", 32, movEAXCR4, 0, state{cr0: 0x11, cr4: 0x6b0}, 0, -1, state{cr0: 0x11, cr4: 0x6b0}, 0x6b0, nil},
		{"cr1", 32, movCR1EAX, 0, state{cr0: 0x11}, 0, int(TrapInvalidOp), state{cr0: 0x11}, 0, nil},
		{"cr8 in 32-bit mode", 32, "\xf0\x0f\x22\xc0", 0, state{cr0: 0x11}, 0, int(TrapInvalidOp), state{cr0: 0x11}, 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mmu := &fakeMMU{}
			c, tr := runCode(t, tc.mode, []byte(tc.code), sysSetup(nil, mmu, nil, func(c *CPU) {
				c.CR0, c.CR3, c.CR4, c.EFER, c.CPL = tc.start.cr0, tc.start.cr3, tc.start.cr4, tc.start.efer, tc.cpl
				c.R[RAX] = tc.rax
			}))
			if k := trapKind(tr); k != tc.trap {
				t.Fatalf("trap %v (kind %d), want kind %d", tr, k, tc.trap)
			}
			if got := (state{c.CR0, c.CR3, c.CR4, c.EFER}); got != tc.want {
				t.Errorf("state %#x, want %#x", got, tc.want)
			}
			if c.R[RAX] != tc.rax2 {
				t.Errorf("rax %#x, want %#x", c.R[RAX], tc.rax2)
			}
			if !reflect.DeepEqual(mmu.calls, tc.calls) {
				t.Errorf("MMU calls %q, want %q", mmu.calls, tc.calls)
			}
			if tc.trap < 0 && c.RIP != testCode+uint64(len(tc.code)) {
				t.Errorf("rip %#x", c.RIP)
			}
		})
	}
}

func TestMovCR2CR8CR3(t *testing.T) {
	// mov cr2, rax; mov rbx, cr2; mov cr8, rcx; mov rdx, cr8; mov cr3, rsi
	code := []byte{0x0f, 0x22, 0xd0, 0x0f, 0x20, 0xd3, 0x44, 0x0f, 0x22, 0xc1, 0x44, 0x0f, 0x20, 0xc2, 0x0f, 0x22, 0xde}
	mmu := &fakeMMU{}
	var changes []ModeChange
	c, tr := runCode(t, 64, code, sysSetup(nil, mmu, nil, func(c *CPU) {
		c.CR0, c.CR4, c.EFER = 0x80000011, CR4PAE, EFERLME|EFERLMA
		c.Priv.OnModeChange = func(c *CPU, w ModeChange) { changes = append(changes, w) }
		c.R[RAX], c.R[RCX], c.R[RSI] = 0xffffffff80001234, 0xa, 0x7000
	}))
	if tr != nil {
		t.Fatal(tr)
	}
	if c.CR2 != 0xffffffff80001234 || c.R[RBX] != c.CR2 || c.CR8 != 0xa || c.R[RDX] != 0xa ||
		c.CR3 != 0x7000 {
		t.Fatalf("cr2 %#x rbx %#x cr8 %#x rdx %#x cr3 %#x", c.CR2, c.R[RBX], c.CR8, c.R[RDX], c.CR3)
	}
	// The MMU keeps global translations when only CR3 changed.
	if !reflect.DeepEqual(mmu.calls, []string{"paging 0x80000011 0x7000 0x20 0x500"}) || !reflect.DeepEqual(changes, []ModeChange{ChangeCR3}) {
		t.Fatalf("MMU calls %q, changes %v", mmu.calls, changes)
	}
	// CR8 bits 63:4 are reserved.
	_, tr = runCode(t, 64, []byte{0x44, 0x0f, 0x22, 0xc0}, sysSetup(nil, &fakeMMU{}, nil, func(c *CPU) { c.R[RAX] = 0x10 }))
	if trapKind(tr) != int(TrapGP) {
		t.Fatalf("cr8 = 0x10: %v", tr)
	}
}

func TestModeChangeEvents(t *testing.T) {
	// mov cr0, eax (TS); clts; clts (TS clear: no event); mov cr4, ebx
	// (same value); mov cr4, ecx (OSFXSR); mov cr0, edx (PE PG with LME:
	// long mode)
	code := []byte{0x0f, 0x22, 0xc0, 0x0f, 0x06, 0x0f, 0x06, 0x0f, 0x22, 0xe3, 0x0f, 0x22, 0xe1, 0x0f, 0x22, 0xc2}
	mmu := &fakeMMU{}
	var changes []ModeChange
	c, tr := runCode(t, 32, code, sysSetup(nil, mmu, nil, func(c *CPU) {
		c.CR0, c.CR4, c.EFER = 0x11, CR4PAE, EFERLME
		c.Priv.OnModeChange = func(c *CPU, w ModeChange) { changes = append(changes, w) }
		c.R[RAX], c.R[RBX], c.R[RCX], c.R[RDX] = 0x19, CR4PAE, CR4PAE|CR4OSFXSR, 0x80000011
	}))
	if tr != nil {
		t.Fatal(tr)
	}
	want := []ModeChange{ChangeCR0, ChangeCR0, ChangeCR4, ChangeCR0, ChangeEFER}
	if !reflect.DeepEqual(changes, want) || c.EFER != EFERLME|EFERLMA ||
		!reflect.DeepEqual(mmu.calls, []string{"paging 0x80000011 0x0 0x220 0x500"}) {
		t.Fatalf("changes %v (want %v), efer %#x, MMU calls %q", changes, want, c.EFER, mmu.calls)
	}
}

func TestMovDR(t *testing.T) {
	// mov dr7, eax; mov ebx, dr7; mov dr6, eax; mov ecx, dr6; mov dr0, edx; mov esi, dr0; mov edi, dr4
	code := []byte{0x0f, 0x23, 0xf8, 0x0f, 0x21, 0xfb, 0x0f, 0x23, 0xf0, 0x0f, 0x21, 0xf1, 0x0f, 0x23, 0xc2, 0x0f, 0x21, 0xc6, 0x0f, 0x21, 0xe7}
	c, tr := runCode(t, 32, code, sysSetup(nil, nil, nil, func(c *CPU) {
		c.R[RAX], c.R[RDX] = 0, 0xc0001000
	}))
	if tr != nil {
		t.Fatal(tr)
	}
	if c.R[RBX] != 0x400 || c.R[RCX] != 0xffff0ff0 || c.R[RSI] != 0xc0001000 || c.R[RDI] != 0xffff0ff0 {
		t.Fatalf("dr7 %#x dr6 %#x dr0 %#x dr4 %#x", c.R[RBX], c.R[RCX], c.R[RSI], c.R[RDI])
	}
	for _, tc := range []struct {
		name string
		mode int
		code []byte
		cpl  int
		rax  uint64
		want int
	}{
		{"CPL 3", 32, []byte{0x0f, 0x23, 0xf8}, 3, 0, int(TrapGP)},
		{"DR7 high half", 64, []byte{0x0f, 0x23, 0xf8}, 0, 1 << 32, int(TrapGP)},
		{"DR8", 64, []byte{0x44, 0x0f, 0x23, 0xc0}, 0, 0, int(TrapInvalidOp)},
	} {
		_, tr := runCode(t, tc.mode, tc.code, sysSetup(nil, nil, nil, func(c *CPU) { c.CPL = tc.cpl; c.R[RAX] = tc.rax }))
		if trapKind(tr) != tc.want {
			t.Errorf("%s: %v, want kind %d", tc.name, tr, tc.want)
		}
	}
}

func TestCR0ShortForms(t *testing.T) {
	// clts; lmsw ax (ax = 0xe: MP EM TS, PE kept); smsw ebx; smsw [0x20000]
	code := []byte{0x0f, 0x06, 0x0f, 0x01, 0xf0, 0x0f, 0x01, 0xe3, 0x0f, 0x01, 0x25, 0x00, 0x00, 0x02, 0x00}
	mmu := &fakeMMU{}
	c, tr := runCode(t, 32, code, sysSetup(nil, mmu, nil, func(c *CPU) {
		c.CR0 = 0x80050039 // PG AM WP ET TS PE
		c.R[RAX] = 0xfffe
	}))
	if tr != nil {
		t.Fatal(tr)
	}
	if c.CR0 != 0x8005003f || c.R[RBX] != 0x8005003f || c.Mem.Load16(0x20000) != 0x003f {
		t.Fatalf("cr0 %#x smsw %#x [mem] %#x", c.CR0, c.R[RBX], c.Mem.Load16(0x20000))
	}
	if len(mmu.calls) != 0 {
		t.Fatalf("MMU calls %q", mmu.calls)
	}
	// LMSW sets PE (a paging-regime change) but never clears it.
	c, tr = runCode(t, 32, []byte{0x0f, 0x01, 0xf0}, sysSetup(nil, mmu, nil, func(c *CPU) { c.R[RAX] = 1 }))
	if tr != nil || c.CR0 != 0x60000011 {
		t.Fatalf("lmsw 1: %v cr0 %#x", tr, c.CR0)
	}
	c, tr = runCode(t, 32, []byte{0x0f, 0x01, 0xf0}, sysSetup(nil, nil, nil, func(c *CPU) { c.CR0 = 0x11; c.R[RAX] = 0 }))
	if tr != nil || c.CR0 != 0x11 {
		t.Fatalf("lmsw 0: %v cr0 %#x", tr, c.CR0)
	}
	for _, code := range [][]byte{{0x0f, 0x06}, {0x0f, 0x01, 0xf0}} {
		if _, tr := runCode(t, 32, code, sysSetup(nil, nil, nil, func(c *CPU) { c.CPL = 3 })); trapKind(tr) != int(TrapGP) {
			t.Errorf("% x at CPL 3: %v", code, tr)
		}
	}
}

func TestSetters(t *testing.T) {
	// The boot loader's order for a 64-bit entry.
	c := NewSystemCPU(nil)
	mmu := &fakeMMU{}
	c.Priv.MMU = mmu
	for _, err := range []error{c.SetCR4(CR4PAE), c.SetEFER(EFERLME | EFERLMA), c.SetCR3(0x9000), c.SetCR0(CR0PE | CR0PG)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	if c.EFER != EFERLME|EFERLMA || c.CR0 != 0x80000011 || c.CR3 != 0x9000 {
		t.Fatalf("efer %#x cr0 %#x cr3 %#x", c.EFER, c.CR0, c.CR3)
	}
	want := []string{"paging 0x60000010 0x0 0x20 0x0", "paging 0x60000010 0x9000 0x20 0x100", "paging 0x80000011 0x9000 0x20 0x500"}
	if !reflect.DeepEqual(mmu.calls, want) {
		t.Fatalf("MMU calls %q, want %q", mmu.calls, want)
	}
	if err := c.SetEFER(0); err == nil {
		t.Fatal("LME cleared with paging on")
	}
	if err := c.SetCR0(0x80000000); err == nil {
		t.Fatal("PG without PE")
	}
	if err := NewSystemCPU(&Model32).SetEFER(EFERNXE); err == nil {
		t.Fatal("EFER on a model without it")
	}
}

func TestHltCliSti(t *testing.T) {
	// sti; cli; sti; hlt
	c, tr := runCode(t, 32, []byte{0xfb, 0xfa, 0xfb, 0xf4}, sysSetup(nil, nil, nil, nil))
	if tr != nil {
		t.Fatal(tr)
	}
	p := c.Priv
	if !p.Halted || !c.Stop.Load() || c.RIP != testCode+4 || c.Flags()&FlagIF == 0 || !p.IntShadow {
		t.Fatalf("halted %v stop %v rip %#x flags %#x shadow %v", p.Halted, c.Stop.Load(), c.RIP, c.Flags(), p.IntShadow)
	}
	// STI with IF already set makes no shadow.
	c, _ = runCode(t, 32, []byte{0xfb}, sysSetup(nil, nil, nil, func(c *CPU) { c.flags |= FlagIF }))
	if c.Priv.IntShadow {
		t.Fatal("shadow from sti with IF set")
	}
	for _, tc := range []struct {
		name     string
		code     byte
		cpl      int
		iopl     uint64
		user     bool
		wantTrap int
	}{
		{"cli CPL 3 IOPL 0", 0xfa, 3, 0, false, int(TrapGP)},
		{"sti CPL 3 IOPL 0", 0xfb, 3, 0, false, int(TrapGP)},
		{"cli CPL 3 IOPL 3", 0xfa, 3, 3, false, -1},
		{"sti CPL 1 IOPL 1", 0xfb, 1, 1, false, -1},
		{"hlt CPL 1", 0xf4, 1, 3, false, int(TrapGP)},
		{"hlt user mode", 0xf4, 0, 0, true, int(TrapGP)},
		{"cli user mode", 0xfa, 0, 0, true, int(TrapGP)},
	} {
		setup := sysSetup(nil, nil, nil, func(c *CPU) { c.CPL = tc.cpl; c.flags |= tc.iopl << 12 })
		if tc.user {
			setup = nil
		}
		c, tr := runCode(t, 32, []byte{tc.code}, setup)
		if trapKind(tr) != tc.wantTrap {
			t.Errorf("%s: %v, want kind %d", tc.name, tr, tc.wantTrap)
		}
		if c.Stop.Load() {
			t.Errorf("%s: stopped", tc.name)
		}
	}
}

func TestSysPopf(t *testing.T) {
	// popfd
	const all = StatusFlags | FlagTF | FlagIF | FlagDF | FlagIOPL | FlagNT | FlagRF | FlagVM | FlagAC | FlagID
	for _, tc := range []struct {
		name       string
		cpl        int
		iopl, push uint64
		want       uint64
	}{
		{"CPL 0 changes IOPL and IF, not VM, RF cleared", 0, 0, all, all&^(FlagVM|FlagRF|FlagTF) | 2},
		{"CPL 0 clears everything", 0, 3, 0, 2},
		{"CPL 3 IOPL 0 keeps IF and IOPL", 3, 0, all, all&^(FlagVM|FlagRF|FlagTF|FlagIF|FlagIOPL) | 2},
		{"CPL 3 IOPL 3 changes IF, not IOPL", 3, 3, FlagIF, FlagIF | FlagIOPL | 2},
	} {
		c, tr := runCode(t, 32, []byte{0x9d}, sysSetup(nil, nil, nil, func(c *CPU) {
			c.CPL = tc.cpl
			c.flags = 2 | tc.iopl<<12
			c.Push(tc.push &^ FlagTF)
		}))
		if tr != nil {
			t.Fatalf("%s: %v", tc.name, tr)
		}
		if got := c.Flags(); got != tc.want {
			t.Errorf("%s: flags %#x, want %#x", tc.name, got, tc.want)
		}
	}
	// User mode is unchanged: IF and IOPL are not writable.
	c, _ := runCode(t, 32, []byte{0x9d}, func(c *CPU) { c.Push(FlagIOPL) })
	if c.Flags() != 0x202 {
		t.Errorf("user popf: flags %#x", c.Flags())
	}
}

func TestInvlpgAndCaches(t *testing.T) {
	// invlpg [eax+0x10]; wbinvd; invd
	mmu := &fakeMMU{}
	c, tr := runCode(t, 32, []byte{0x0f, 0x01, 0x78, 0x10, 0x0f, 0x09, 0x0f, 0x08}, sysSetup(nil, mmu, nil, func(c *CPU) { c.R[RAX] = 0xc0100ff8 }))
	if tr != nil || !reflect.DeepEqual(mmu.calls, []string{"flushpage 0xc0101008"}) {
		t.Fatalf("%v %q", tr, mmu.calls)
	}
	_ = c
	for _, code := range [][]byte{{0x0f, 0x01, 0x38}, {0x0f, 0x09}, {0x0f, 0x08}} {
		if _, tr := runCode(t, 32, code, sysSetup(nil, mmu, nil, func(c *CPU) { c.CPL = 3 })); trapKind(tr) != int(TrapGP) {
			t.Errorf("% x at CPL 3: %v", code, tr)
		}
		// User mode: as before system mode (unimplemented: #UD, code 1).
		if _, tr := runCode(t, 32, code, nil); trapKind(tr) != int(TrapInvalidOp) || tr.(*Trap).Code != 1 {
			t.Errorf("% x in user mode: %v", code, tr)
		}
	}
}

func TestSysRdtsc(t *testing.T) {
	// rdtscp
	c, tr := runCode(t, 64, []byte{0x0f, 0x01, 0xf9}, sysSetup(nil, nil, nil, func(c *CPU) {
		c.TSC = func() uint64 { return 1000 }
		c.Priv.TSCOffset = 0x100000000 - 1000 + 5
		c.Priv.TSCAux = 3
	}))
	if tr != nil || c.R[RAX] != 5 || c.R[RDX] != 1 || c.R[RCX] != 3 {
		t.Fatalf("%v rax %#x rdx %#x rcx %#x", tr, c.R[RAX], c.R[RDX], c.R[RCX])
	}
	for _, tc := range []struct {
		name  string
		model *CPUModel
		code  []byte
		cpl   int
		cr4   uint64
		want  int
	}{
		{"rdtsc TSD CPL 3", nil, []byte{0x0f, 0x31}, 3, CR4TSD, int(TrapGP)},
		{"rdtsc TSD CPL 0", nil, []byte{0x0f, 0x31}, 0, CR4TSD, -1},
		{"rdtsc CPL 3", nil, []byte{0x0f, 0x31}, 3, 0, -1},
		{"rdtscp TSD CPL 3", nil, []byte{0x0f, 0x01, 0xf9}, 3, CR4TSD, int(TrapGP)},
		{"rdtscp 32-bit model", &Model32, []byte{0x0f, 0x01, 0xf9}, 0, 0, int(TrapInvalidOp)},
	} {
		_, tr := runCode(t, 32, tc.code, sysSetup(tc.model, nil, nil, func(c *CPU) { c.CPL = tc.cpl; c.CR4 = tc.cr4 }))
		if trapKind(tr) != tc.want {
			t.Errorf("%s: %v, want kind %d", tc.name, tr, tc.want)
		}
	}
}

func TestUserModePrivilegedUnchanged(t *testing.T) {
	for _, tc := range []struct {
		code  []byte
		kind  TrapKind
		code1 bool
	}{
		{[]byte{0x0f, 0x22, 0xc0}, TrapInvalidOp, false}, // mov cr0, eax
		{[]byte{0x0f, 0x21, 0xf8}, TrapInvalidOp, false}, // mov eax, dr7
		{[]byte{0x0f, 0x32}, TrapInvalidOp, true},        // rdmsr
		{[]byte{0x0f, 0x30}, TrapInvalidOp, true},        // wrmsr
		{[]byte{0x0f, 0x06}, TrapInvalidOp, true},        // clts
		{[]byte{0x0f, 0x01, 0xe0}, TrapInvalidOp, true},  // smsw eax
		{[]byte{0xe4, 0x60}, TrapGP, false},              // in al, 0x60
		{[]byte{0xee}, TrapGP, false},                    // out dx, al
		{[]byte{0x6c}, TrapGP, false},                    // insb
		{[]byte{0xf3, 0x6f}, TrapGP, false},              // rep outsd
		{[]byte{0xfb}, TrapGP, false},                    // sti
	} {
		_, tr := runCode(t, 32, tc.code, nil)
		tp, ok := tr.(*Trap)
		if !ok || tp.Kind != tc.kind || (tp.Code == 1) != tc.code1 {
			t.Errorf("% x: %v, want kind %d (code 1: %v)", tc.code, tr, tc.kind, tc.code1)
		}
	}
}

func TestGuardFPU(t *testing.T) {
	const (
		nm   = int(TrapNM)
		ud   = int(TrapInvalidOp)
		none = -1
	)
	insts := []struct {
		name string
		code []byte
	}{
		{"fninit", []byte{0xdb, 0xe3}},
		{"fld1", []byte{0xd9, 0xe8}},
		{"fxsave [0x20000]", []byte{0x0f, 0xae, 0x05, 0x00, 0x00, 0x02, 0x00}},
		{"fwait", []byte{0x9b}},
		{"addps xmm0, xmm1", []byte{0x0f, 0x58, 0xc1}},
		{"movd mm0, eax", []byte{0x0f, 0x6e, 0xc0}},
		{"stmxcsr [0x20000]", []byte{0x0f, 0xae, 0x1d, 0x00, 0x00, 0x02, 0x00}},
		{"emms", []byte{0x0f, 0x77}},
		{"add eax, ebx", []byte{0x01, 0xd8}},
		{"popcnt eax, ebx", []byte{0xf3, 0x0f, 0xb8, 0xc3}},
		{"lfence", []byte{0x0f, 0xae, 0xe8}},
	}
	// Expected trap per instruction (in the order above) for each CR0.
	for _, tc := range []struct {
		cr0  uint64
		want []int
	}{
		{CR0PE | CR0ET, []int{none, none, none, none, none, none, none, none, none, none, none}},
		{CR0PE | CR0ET | CR0TS, []int{nm, nm, nm, none, nm, nm, nm, nm, none, none, none}},
		{CR0PE | CR0ET | CR0TS | CR0MP, []int{nm, nm, nm, nm, nm, nm, nm, nm, none, none, none}},
		{CR0PE | CR0ET | CR0EM, []int{nm, nm, nm, none, ud, ud, ud, ud, none, none, none}},
		{CR0PE | CR0ET | CR0EM | CR0TS | CR0MP, []int{nm, nm, nm, nm, ud, ud, ud, ud, none, none, none}},
	} {
		for i, x := range insts {
			c := newTestCPU(t, 32, x.code)
			sysSetup(nil, nil, nil, nil)(c)
			c.CR0 = tc.cr0
			if avail := c.FPUAvailable(); avail != (tc.cr0&(CR0TS|CR0EM) == 0) {
				t.Errorf("cr0 %#x: FPUAvailable %v", tc.cr0, avail)
			}
			in, err := Decode(32, testCode, x.code)
			if err != nil {
				t.Fatalf("%s: %v", x.name, err)
			}
			c.GuardFPU(&in)
			got := func() (k int) {
				defer func() { k = trapKind(recover()) }()
				in.Fn(c, &in)
				return
			}()
			if got != tc.want[i] {
				t.Errorf("cr0 %#x, %s: trap kind %d, want %d", tc.cr0, x.name, got, tc.want[i])
			}
		}
	}
	// User mode: never guarded.
	c := newTestCPU(t, 32, nil)
	c.CR0 = CR0TS
	in, _ := Decode(32, testCode, []byte{0xdb, 0xe3})
	fn := in.Fn
	c.GuardFPU(&in)
	if !c.FPUAvailable() || reflect.ValueOf(in.Fn).Pointer() != reflect.ValueOf(fn).Pointer() {
		t.Fatal("user mode guarded")
	}
}
