package x86

import (
	"testing"

	"golang.org/x/arch/x86/x86asm"
)

// TestVEXUndefined: VEX encodings gemu does not implement (AVX) decode to
// an instruction of the right length that raises #UD when executed, in
// both modes, and so do VEX forms the hardware rejects.
func TestVEXUndefined(t *testing.T) {
	for _, tc := range []struct {
		mode int
		code []byte
		what string
	}{
		{64, []byte{0xc5, 0xf9, 0xef, 0xc0}, "vpxor xmm0, xmm0, xmm0"},
		{32, []byte{0xc5, 0xf9, 0xef, 0xc0}, "vpxor xmm0, xmm0, xmm0"},
		{64, []byte{0xc4, 0xe2, 0x7d, 0x58, 0x03}, "vpbroadcastd ymm0, [rbx]"},
		{32, []byte{0xc5, 0xfc, 0x77}, "vzeroall"},
		{64, []byte{0xc5, 0xf8, 0x77}, "vzeroupper"},
		{64, []byte{0x66, 0xc4, 0xe2, 0x70, 0xf2, 0xc2}, "andn with a 66 prefix"},
		{64, []byte{0xf3, 0xc4, 0xe2, 0x70, 0xf2, 0xc2}, "andn with an F3 prefix"},
		{64, []byte{0x48, 0xc4, 0xe2, 0x70, 0xf2, 0xc2}, "andn with a REX prefix"},
		{64, []byte{0xc4, 0xe2, 0x74, 0xf2, 0xc2}, "andn with VEX.L=1"},
		{64, []byte{0xc4, 0xe3, 0x73, 0xf0, 0xc1, 0x05}, "rorx with vvvv in use"},
		{64, []byte{0xc4, 0xe2, 0x70, 0xf3, 0xe1}, "group 17 /4 (no such BMI instruction)"},
		{64, []byte{0xc4, 0xe2, 0x71, 0xf5, 0xc2}, "bzhi with a 66 implied prefix"},
	} {
		_, tr := runCode(t, tc.mode, tc.code, nil)
		trap, ok := tr.(*Trap)
		if !ok || trap.Kind != TrapInvalidOp {
			t.Errorf("%d-bit %s (% x): got %v, want #UD", tc.mode, tc.what, tc.code, tr)
			continue
		}
		in, err := Decode(tc.mode, testCode, tc.code)
		if err == nil {
			t.Errorf("%d-bit %s: no decode error", tc.mode, tc.what)
		}
		// The length matters only for disassembly: the fault is reported
		// at the instruction's address.
		if in.Len == 0 || in.Len > MaxInstLen || in.IsBranch() || in.PC != testCode {
			t.Errorf("%d-bit %s: length %d, branch %v", tc.mode, tc.what, in.Len, in.IsBranch())
		}
		// The engine runs flag liveness over every block it translates.
		PruneFlags([]Inst{in})
	}
}

// TestLESLDS: in 32-bit mode C4/C5 with a memory operand (ModRM mod other
// than 11) are LES/LDS, not VEX; with mod 11 they are VEX.
func TestLESLDS(t *testing.T) {
	for _, tc := range []struct {
		code []byte
		op   x86asm.Op
		seg  int
	}{
		{[]byte{0xc4, 0x03}, x86asm.LES, ES}, // les eax, [ebx]
		{[]byte{0xc5, 0x03}, x86asm.LDS, DS}, // lds eax, [ebx]
		{[]byte{0xc5, 0x43, 0x02}, x86asm.LDS, DS},
		{[]byte{0x66, 0xc4, 0x83, 0x00, 0x01, 0x00, 0x00}, x86asm.LES, ES}, // les ax, [ebx+0x100]
	} {
		in, err := Decode(32, testCode, tc.code)
		if err != nil || in.Op != tc.op || int(in.Len) != len(tc.code) {
			t.Errorf("% x: %v %v len %d", tc.code, in.Op, err, in.Len)
			continue
		}
		c, tr := runCode(t, 32, tc.code, func(c *CPU) {
			c.R[RBX] = testData
			c.R[RAX] = 0x11111111
			c.Mem.Store32(testData, 0xcafef00d)
			c.Mem.Store32(testData+4, 0x2b)
			c.Mem.Store32(testData+0x100, 0x4321)
			c.Mem.Store32(testData+0x102, 0)
			c.Mem.Store32(testData+6, 0)
		})
		if tr != nil {
			t.Errorf("% x: trap %v", tc.code, tr)
			continue
		}
		want, wantSel := uint64(0xcafef00d), uint16(0x2b)
		switch {
		case tc.code[0] == 0x66: // 16-bit offset at [ebx+0x100], selector 0
			want, wantSel = 0x11114321, 0
		case tc.code[1] == 0x43: // [ebx+2]: offset 0x002bcafe, selector 0
			want, wantSel = 0x002bcafe, 0
		}
		if c.R[RAX] != want || c.Seg[tc.seg] != wantSel {
			t.Errorf("% x: eax %#x seg %#x, want %#x %#x", tc.code, c.R[RAX], c.Seg[tc.seg], want, wantSel)
		}
	}
	// An unusable selector (in the LDT) faults and leaves the register.
	c, tr := runCode(t, 32, []byte{0xc4, 0x03}, func(c *CPU) {
		c.R[RBX] = testData
		c.R[RAX] = 7
		c.Mem.Store32(testData, 0x1234)
		c.Mem.Store16(testData+4, 0x0f)
	})
	if trap, ok := tr.(*Trap); !ok || trap.Kind != TrapGP || c.R[RAX] != 7 {
		t.Errorf("les with selector 0x0f: %v, eax %#x", tr, c.R[RAX])
	}
	// In 64-bit mode C4 is always VEX (here ANDN).
	if in, err := Decode(64, testCode, []byte{0xc4, 0xe2, 0x70, 0xf2, 0xc2}); err != nil || in.Op != x86asm.ANDN {
		t.Errorf("64-bit andn: %v %v", in.Op, err)
	}
}
