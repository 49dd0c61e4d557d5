package x86

import "testing"

// Selector checks at CPL 3 with the expected exceptions and error codes
// from the Intel SDM (MOV Sreg, RET far, JMP/CALL far, IRET) for the GDT of
// an x86-64 kernel. The i386 cases matter most here: the differential test
// (farxfer) compares i386 against qemu-i386 on hosts without IA-32
// emulation, and qemu-i386 does not report trap numbers and error codes.
func TestSelectorChecks(t *testing.T) {
	type want struct {
		kind TrapKind
		code int
	}
	ok := want{kind: 255}
	for _, tc := range []struct {
		name string
		mode int
		code []byte
		want want
	}{
		// mov eax, imm32; mov ds/ss/es, eax
		{"i386 mov ds 0x10", 32, []byte{0xb8, 0x10, 0, 0, 0, 0x8e, 0xd8}, want{TrapGP, 0x10}},
		{"i386 mov ds 0x1003", 32, []byte{0xb8, 0x03, 0x10, 0, 0, 0x8e, 0xd8}, want{TrapGP, 0x1000}},
		{"i386 mov ds 0x2f (no LDT)", 32, []byte{0xb8, 0x2f, 0, 0, 0, 0x8e, 0xd8}, want{TrapGP, 0x2c}},
		{"i386 mov ds 0", 32, []byte{0xb8, 0, 0, 0, 0, 0x8e, 0xd8}, ok},
		{"i386 mov es 0x23", 32, []byte{0xb8, 0x23, 0, 0, 0, 0x8e, 0xc0}, ok},
		{"i386 mov ss 0", 32, []byte{0xb8, 0, 0, 0, 0, 0x8e, 0xd0}, want{TrapGP, 0}},
		{"i386 mov ss 0x23", 32, []byte{0xb8, 0x23, 0, 0, 0, 0x8e, 0xd0}, want{TrapGP, 0x20}},
		{"i386 mov ss 0x28 (RPL 0)", 32, []byte{0xb8, 0x28, 0, 0, 0, 0x8e, 0xd0}, want{TrapGP, 0x28}},
		{"i386 mov ds 0x28 (RPL 0)", 32, []byte{0xb8, 0x28, 0, 0, 0, 0x8e, 0xd8}, ok},
		{"i386 mov ss 0x7b (read-only)", 32, []byte{0xb8, 0x7b, 0, 0, 0, 0x8e, 0xd0}, want{TrapGP, 0x78}},
		{"i386 mov cs", 32, []byte{0xb8, 0x23, 0, 0, 0, 0x8e, 0xc8}, want{TrapInvalidOp, 0}},
		// push imm32 sel; push imm32 off; retf
		{"i386 lret 0x10", 32, []byte{0x68, 0x10, 0, 0, 0, 0x68, 0, 0, 1, 0, 0xcb}, want{TrapGP, 0x10}},
		{"i386 lret 0x21", 32, []byte{0x68, 0x21, 0, 0, 0, 0x68, 0, 0, 1, 0, 0xcb}, want{TrapGP, 0x20}},
		{"i386 lret 0x2b", 32, []byte{0x68, 0x2b, 0, 0, 0, 0x68, 0, 0, 1, 0, 0xcb}, want{TrapGP, 0x28}},
		{"i386 lret 0x33 (64-bit code)", 32, []byte{0x68, 0x33, 0, 0, 0, 0x68, 11, 0, 1, 0, 0xcb}, ok},
		{"i386 lret 0", 32, []byte{0x68, 0, 0, 0, 0, 0x68, 0, 0, 1, 0, 0xcb}, want{TrapGP, 0}},
		// ljmp ptr16:32
		{"i386 ljmp 0x13", 32, []byte{0xea, 0, 0, 1, 0, 0x13, 0}, want{TrapGP, 0x10}},
		{"i386 ljmp 0x20 (RPL 0)", 32, []byte{0xea, 7, 0, 1, 0, 0x20, 0}, ok},
		{"i386 lcall 0x2b", 32, []byte{0x9a, 0, 0, 1, 0, 0x2b, 0}, want{TrapGP, 0x28}},
		// pushf; push 0x10; push off; iret
		{"i386 iret 0x10", 32, []byte{0x9c, 0x68, 0x10, 0, 0, 0, 0x68, 0, 0, 1, 0, 0xcf}, want{TrapGP, 0x10}},
		// x86-64: push 0x23; push off; retfq: compatibility mode.
		{"x86-64 lretq 0x23", 64, []byte{0x6a, 0x23, 0x68, 9, 0, 1, 0, 0x48, 0xcb}, ok},
		{"x86-64 lretq 0x33", 64, []byte{0x6a, 0x33, 0x68, 9, 0, 1, 0, 0x48, 0xcb}, ok},
		{"x86-64 mov ss 0", 64, []byte{0xb8, 0, 0, 0, 0, 0x8e, 0xd0}, want{TrapGP, 0}},
		{"x86-64 mov gs 0x23", 64, []byte{0xb8, 0x23, 0, 0, 0, 0x8e, 0xe8}, ok},
	} {
		_, tr := runCode(t, tc.mode, tc.code, nil)
		if tc.want == ok {
			if tr != nil {
				t.Errorf("%s: trap %+v, want none", tc.name, tr)
			}
			continue
		}
		trap, isTrap := tr.(*Trap)
		if !isTrap || trap.Kind != tc.want.kind || trap.Code != tc.want.code {
			t.Errorf("%s: got %+v, want kind %d code %#x", tc.name, tr, tc.want.kind, tc.want.code)
		}
	}
}

// TestFarTransfers checks what far CALL, RET and IRET leave in CS, the
// stack and the flags in 32-bit mode, the i386 forms qemu-i386 is the
// only other reference for.
func TestFarTransfers(t *testing.T) {
	// lcall 0x23:0x10000+7+1 (the next instruction is a nop at +7, the
	// target the ret at +8); nop; lret $4; the call pushes CS, then EIP.
	code := []byte{0x9a, 8, 0, 1, 0, 0x23, 0, 0x90, 0xca, 4, 0}
	c := newTestCPU(t, 32, code)
	sp := c.R[RSP]
	if tr := step(c); tr != nil {
		t.Fatal(tr)
	}
	if c.RIP != testCode+8 || c.R[RSP] != sp-8 || c.Mem.Load32(sp-4) != 0x23 || c.Mem.Load32(sp-8) != testCode+7 {
		t.Fatalf("after lcall: rip %#x sp %#x (was %#x) stack %#x %#x", c.RIP, c.R[RSP], sp, c.Mem.Load32(sp-4), c.Mem.Load32(sp-8))
	}
	if tr := step(c); tr != nil {
		t.Fatal(tr)
	}
	if c.RIP != testCode+7 || c.R[RSP] != sp+4 || c.Seg[CS] != 0x23 {
		t.Fatalf("after lret $4: rip %#x sp %#x (want %#x) cs %#x", c.RIP, c.R[RSP], sp+4, c.Seg[CS])
	}
	// push 0xcd5 (the six status flags and DF); push cs; push
	// off; iret: the status flags and DF come back, IF stays.
	code = []byte{0x68, 0xd5, 0x0c, 0, 0, 0x0e, 0x68, 0x10, 0, 1, 0, 0xcf, 0x90}
	c, tr := runCode(t, 32, code, nil)
	if tr != nil {
		t.Fatal(tr)
	}
	if c.Flags() != 0xed7 || c.R[RSP] != testStack-64 {
		t.Fatalf("after iret: flags %#x sp %#x", c.Flags(), c.R[RSP])
	}
}

// TestLDTDescriptors checks the hardware encoding of LDT entries against
// what an x86-64 kernel's modify_ldt read back for the same user_desc
// (the ldt differential program's values), and loads of LDT selectors in
// 64-bit mode, which the reference machines cannot run natively.
func TestLDTDescriptors(t *testing.T) {
	for _, tc := range []struct {
		d    SegDesc
		want uint64
	}{
		{SegDesc{Base: 0x12345678, Limit: 0xabcde, Flags: 1<<1 | UDUseable, Present: true}, 0x121af734_5678bcde},
		{SegDesc{Limit: 0xfffff, Flags: UDSeg32 | 2<<1 | UDLimitPages, Present: true}, 0x00cffb00_0000ffff},
		{SegDesc{Base: 0x1000, Limit: 0x2000, Flags: UDSeg32 | 3<<1}, 0x00407f00_10002000},
		{SegDesc{Base: 0x1000, Limit: 0x2000, Flags: UDSeg32, Present: true}, 0x0040f300_10002000},
		{SegDesc{Base: 0x1000, Limit: 0x2000, Flags: UDSeg32 | UDReadExec, Present: true}, 0x0040f100_10002000},
		{SegDesc{}, 0},
	} {
		if got := tc.d.Encode(); got != tc.want {
			t.Errorf("%+v: %#x, want %#x", tc.d, got, tc.want)
		}
	}

	ldt := []SegDesc{
		{Base: 0x20000, Limit: 15, Flags: UDSeg32, Present: true},              // 0x7
		{Base: 0x20000, Limit: 15, Flags: UDSeg32},                             // 0xf: not present
		{Base: 0x20000, Limit: 15, Flags: UDSeg32 | UDReadExec, Present: true}, // 0x17: read-only
		{Limit: 0xfffff, Flags: UDSeg32 | 2<<1 | UDLimitPages, Present: true},  // 0x1f: 32-bit code
		{Base: 0x20000, Limit: 15, Flags: UDSeg32 | 2<<1, Present: true},       // 0x27: based code
		{Limit: 0xfffff, Flags: 2 << 1, Present: true},                         // 0x2f: 16-bit code
	}
	for _, tc := range []struct {
		name string
		code []byte
		kind TrapKind
		err  int
	}{
		// mov eax, sel; mov gs, eax
		{"gs 0x7", []byte{0xb8, 7, 0, 0, 0, 0x8e, 0xe8}, 255, 0},
		{"gs 0xf", []byte{0xb8, 0xf, 0, 0, 0, 0x8e, 0xe8}, TrapNotPresent, 0xc},
		{"ss 0xf", []byte{0xb8, 0xf, 0, 0, 0, 0x8e, 0xd0}, TrapStack, 0xc},
		{"ss 0x17", []byte{0xb8, 0x17, 0, 0, 0, 0x8e, 0xd0}, TrapGP, 0x14},
		{"gs 0x37", []byte{0xb8, 0x37, 0, 0, 0, 0x8e, 0xe8}, TrapGP, 0x34},
		// push sel; push off; retfq: 32-bit code at base 0 is run in
		// compatibility mode, a based or a 16-bit code segment is not.
		{"lretq 0x1f", []byte{0x6a, 0x1f, 0x68, 9, 0, 1, 0, 0x48, 0xcb}, 254, 0},
		{"lretq 0x27", []byte{0x6a, 0x27, 0x68, 0, 0, 1, 0, 0x48, 0xcb}, TrapGP, 0x24},
		{"lretq 0x2f", []byte{0x6a, 0x2f, 0x68, 0, 0, 1, 0, 0x48, 0xcb}, TrapGP, 0x2c},
	} {
		c, tr := runCode(t, 64, tc.code, func(c *CPU) { c.LDT.Set(ldt) })
		if tc.kind == 254 {
			if tr != nil || c.Seg[CS] != 0x1f || c.Mode != 32 || c.RIP != testCode+9 {
				t.Errorf("%s: trap %v, cs %#x mode %d rip %#x", tc.name, tr, c.Seg[CS], c.Mode, c.RIP)
			}
			continue
		}
		if tc.kind == 255 {
			if tr != nil || c.Seg[GS] != 7 || c.SegBase[GS] != 0x20000 {
				t.Errorf("%s: trap %v, gs %#x base %#x", tc.name, tr, c.Seg[GS], c.SegBase[GS])
			}
			continue
		}
		trap, ok := tr.(*Trap)
		if !ok || trap.Kind != tc.kind || trap.Code != tc.err {
			t.Errorf("%s: got %+v, want kind %d code %#x", tc.name, tr, tc.kind, tc.err)
		}
	}
}

// TestInspectSelectors checks LAR, LSL, VERW and ARPL in 32-bit mode,
// whose differential reference (qemu-i386) has a GDT of its own: the
// values are those of an x86-64 kernel's descriptors (0x23 is 32-bit
// code in an i386 process) and the SDM's rules.
func TestInspectSelectors(t *testing.T) {
	for _, tc := range []struct {
		name string
		code []byte
		reg  uint64
		zf   bool
	}{
		// mov ecx, sel; mov eax, 0x5a; lar/lsl eax, ecx
		{"lar 0x23", []byte{0xb9, 0x23, 0, 0, 0, 0xb8, 0x5a, 0, 0, 0, 0x0f, 0x02, 0xc1}, 0xcffb00, true},
		{"lar 0x10", []byte{0xb9, 0x10, 0, 0, 0, 0xb8, 0x5a, 0, 0, 0, 0x0f, 0x02, 0xc1}, 0x5a, false},
		{"lar 0x2f", []byte{0xb9, 0x2f, 0, 0, 0, 0xb8, 0x5a, 0, 0, 0, 0x0f, 0x02, 0xc1}, 0x5a, false},
		{"lsl 0x63 (TLS)", []byte{0xb9, 0x63, 0, 0, 0, 0xb8, 0x5a, 0, 0, 0, 0x0f, 0x03, 0xc1}, 0x1fff, true},
		{"lar 0x63 (TLS)", []byte{0xb9, 0x63, 0, 0, 0, 0xb8, 0x5a, 0, 0, 0, 0x0f, 0x02, 0xc1}, 0xd0f300, true},
		// mov eax, sel; verw ax
		{"verw 0x23", []byte{0xb8, 0x23, 0, 0, 0, 0x0f, 0x00, 0xe8}, 0x23, false},
		{"verw 0x2b", []byte{0xb8, 0x2b, 0, 0, 0, 0x0f, 0x00, 0xe8}, 0x2b, true},
		{"verr 0x23", []byte{0xb8, 0x23, 0, 0, 0, 0x0f, 0x00, 0xe0}, 0x23, true},
		// mov eax, 0x28; mov ecx, 3; arpl ax, cx
		{"arpl", []byte{0xb8, 0x28, 0, 0, 0, 0xb9, 3, 0, 0, 0, 0x63, 0xc8}, 0x2b, true},
		{"arpl no change", []byte{0xb8, 0x2b, 0, 0, 0, 0xb9, 1, 0, 0, 0, 0x63, 0xc8}, 0x2b, false},
	} {
		c, tr := runCode(t, 32, tc.code, func(c *CPU) {
			c.GDT[12] = SegDesc{Base: 0x1000, Limit: 1, Flags: UDSeg32 | UDLimitPages | UDUseable, Present: true}
		})
		if tr != nil {
			t.Errorf("%s: trap %+v", tc.name, tr)
			continue
		}
		if c.R[RAX] != tc.reg || c.ZF() != tc.zf {
			t.Errorf("%s: eax %#x zf %v, want %#x %v", tc.name, c.R[RAX], c.ZF(), tc.reg, tc.zf)
		}
	}
}

// TestCompatMode checks the mode switches of far transfers: an x86-64
// process entering 32-bit code at 0x23 decodes 0x40 as INC and pushes 4
// bytes, IRET there pops no SS:ESP, and far returns bring it back to
// 64-bit code at 0x33; an i386 process runs 64-bit code at 0x33.
func TestCompatMode(t *testing.T) {
	code := []byte{
		// 64-bit: push 0x23; push off32; retfq (to +9)
		0x6a, 0x23, 0x68, 9, 0, 1, 0, 0x48, 0xcb,
		// +9, 32-bit: inc eax; push eax; pop ecx; mov edx, esp
		0x40, 0x50, 0x59, 0x89, 0xe2,
		// +14: pushf; push 0x33; push off (+26); iret
		0x9c, 0x6a, 0x33, 0x68, 26, 0, 1, 0, 0xcf,
		// +23: int3 padding, never reached
		0xcc, 0xcc, 0xcc,
		// +26, 64-bit: inc rax (REX.W FF /0)
		0x48, 0xff, 0xc0,
	}
	c, tr := runCode(t, 64, code, func(c *CPU) { c.R[RAX] = 0xffffffff_00000010 })
	if tr != nil {
		t.Fatal(tr)
	}
	sp := uint64(testStack - 64)
	if c.Mode != 64 || c.AddrMask != ^uint64(0) || c.Seg[CS] != 0x33 || c.RIP != testCode+29 {
		t.Errorf("back in 64-bit code: mode %d mask %#x cs %#x rip %#x", c.Mode, c.AddrMask, c.Seg[CS], c.RIP)
	}
	// inc eax in compatibility mode zero-extends: 0x11, then inc rax.
	if c.R[RAX] != 0x12 || c.R[RCX] != 0x11 || c.R[RDX] != sp {
		t.Errorf("rax %#x rcx %#x rdx %#x, want 0x12 0x11 %#x", c.R[RAX], c.R[RCX], c.R[RDX], sp)
	}
	// The 32-bit IRET popped three dwords, the stack is balanced.
	if c.R[RSP] != sp {
		t.Errorf("rsp %#x, want %#x", c.R[RSP], sp)
	}

	// i386 process: ljmp 0x33:+7; then 64-bit mov rax, imm64; push 0x23;
	// push +26; retfq; (+26) nop in 32-bit code.
	code32 := []byte{
		0xea, 7, 0, 1, 0, 0x33, 0,
		0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8,
		0x6a, 0x23, 0x68, 26, 0, 1, 0, 0x48, 0xcb,
		0x90,
	}
	c, tr = runCode(t, 32, code32, nil)
	if tr != nil {
		t.Fatal(tr)
	}
	if c.Mode != 32 || c.AddrMask != 0xffffffff || c.Seg[CS] != 0x23 || c.RIP != testCode+27 || c.R[RAX] != 0x0807060504030201 {
		t.Errorf("i386 through 64-bit code: mode %d cs %#x rip %#x rax %#x", c.Mode, c.Seg[CS], c.RIP, c.R[RAX])
	}
	if c.ProcMode != 32 {
		t.Errorf("ProcMode %d, want 32", c.ProcMode)
	}
}

// TestSetCS checks the OS layer's CS loads: compatibility mode keeps the
// low halves of RIP and RSP and asks the engine to stop; refused
// selectors change nothing.
func TestSetCS(t *testing.T) {
	c := newTestCPU(t, 64, nil)
	c.RIP, c.R[RSP] = 0x1_0000_2000, 0x7fff_0000_1000
	for _, sel := range []uint16{0x2b, 0x10, 0x18, 0, 0x1007} {
		if c.SetCS(sel) || c.Mode != 64 || c.Seg[CS] != 0x33 || c.Stop.Load() {
			t.Errorf("SetCS(%#x) accepted: cs %#x mode %d", sel, c.Seg[CS], c.Mode)
		}
	}
	if !c.SetCS(0x20) || c.Seg[CS] != 0x23 || c.Mode != 32 || c.AddrMask != 0xffffffff ||
		c.RIP != 0x2000 || c.R[RSP] != 0x1000 || !c.Stop.Swap(false) {
		t.Errorf("SetCS(0x20): cs %#x mode %d rip %#x rsp %#x", c.Seg[CS], c.Mode, c.RIP, c.R[RSP])
	}
	if !c.SetCS(0x23) || c.Stop.Load() {
		t.Errorf("SetCS(0x23) again: a mode change")
	}
	if !c.SetCS(0x33) || c.Mode != 64 || c.AddrMask != ^uint64(0) || !c.Stop.Load() {
		t.Errorf("SetCS(0x33): cs %#x mode %d", c.Seg[CS], c.Mode)
	}
	if c.ProcMode != 64 || c.GDBNumRegs() != 251 {
		t.Errorf("ProcMode %d", c.ProcMode)
	}
}
