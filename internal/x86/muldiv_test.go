package x86

import "testing"

func TestMulVectors(t *testing.T) {
	runHostVectors(t, "testdata/vectors64.txt.gz", 64, vecNames("mul", "imul", "imul2_"), nil)
}

func TestDivVectors(t *testing.T) {
	runHostVectors(t, "testdata/vectors64.txt.gz", 64, vecNames("div", "idiv"), nil)
}

func TestDivideErrors(t *testing.T) {
	for _, tc := range []struct {
		name     string
		mode     int
		code     []byte
		rax, rdx uint64
		rbx      uint64
	}{
		{"div8 by zero", 32, []byte{0xf6, 0xf3}, 0x1234, 0, 0},
		{"div8 overflow", 32, []byte{0xf6, 0xf3}, 0x0100, 0, 1},
		{"idiv8 -128*-1", 32, []byte{0xf6, 0xfb}, 0xff80, 0, 0xff},
		{"idiv8 +128", 32, []byte{0xf6, 0xfb}, 0x0100, 0, 2},
		{"div16 overflow", 32, []byte{0x66, 0xf7, 0xf3}, 0, 1, 1},
		{"idiv16 INT_MIN/-1", 32, []byte{0x66, 0xf7, 0xfb}, 0x8000, 0xffff, 0xffff},
		{"div32 by zero", 32, []byte{0xf7, 0xf3}, 5, 0, 0},
		{"div32 overflow", 32, []byte{0xf7, 0xf3}, 0, 7, 7},
		{"idiv32 INT_MIN/-1", 32, []byte{0xf7, 0xfb}, 0x80000000, 0xffffffff, 0xffffffff},
		{"idiv32 -2^32/1", 64, []byte{0xf7, 0xfb}, 0, 0xffffffff, 1},
		{"div64 by zero", 64, []byte{0x48, 0xf7, 0xf3}, 1, 0, 0},
		{"div64 overflow", 64, []byte{0x48, 0xf7, 0xf3}, 0, 5, 5},
		{"idiv64 INT_MIN/-1", 64, []byte{0x48, 0xf7, 0xfb}, 1 << 63, ^uint64(0), ^uint64(0)},
		{"idiv64 +2^63", 64, []byte{0x48, 0xf7, 0xfb}, 1 << 63, 0, 1},
		{"idiv64 -2^63-1", 64, []byte{0x48, 0xf7, 0xfb}, 1<<63 - 1, ^uint64(0), 1},
		{"idiv64 huge", 64, []byte{0x48, 0xf7, 0xfb}, 0, 1 << 62, 3},
	} {
		c, tr := runCode(t, tc.mode, tc.code, func(c *CPU) {
			c.R[RAX], c.R[RDX], c.R[RBX] = tc.rax, tc.rdx, tc.rbx
			c.SetFlags(FlagZF|FlagCF, StatusFlags)
		})
		trap, ok := tr.(*Trap)
		if !ok || trap.Kind != TrapDivide {
			t.Errorf("%s: trap %v, want #DE", tc.name, tr)
			continue
		}
		// Precise: nothing changed.
		if c.R[RAX] != tc.rax || c.R[RDX] != tc.rdx || c.Flags()&StatusFlags != FlagZF|FlagCF {
			t.Errorf("%s: state changed: rax=%#x rdx=%#x flags=%#x", tc.name, c.R[RAX], c.R[RDX], c.Flags())
		}
	}
}

func TestDivideLimits(t *testing.T) {
	for _, tc := range []struct {
		name          string
		code          []byte
		rax, rdx, rbx uint64
		wantA, wantD  uint64
	}{
		// -128 is a representable quotient.
		{"idiv8 -256/2", []byte{0xf6, 0xfb}, 0xff00, 0, 2, 0x0080, 0},
		{"idiv8 -7/2", []byte{0xf6, 0xfb}, 0xfff9, 0, 2, 0xfffd, 0},
		{"idiv64 INT_MIN/1", []byte{0x48, 0xf7, 0xfb}, 1 << 63, ^uint64(0), 1, 1 << 63, 0},
		{"idiv64 -2^64/2^62", []byte{0x48, 0xf7, 0xfb}, 0, ^uint64(0), 1 << 62, ^uint64(3), 0},
		{"idiv64 remainder sign", []byte{0x48, 0xf7, 0xfb}, ^uint64(6), ^uint64(0), 2, ^uint64(2), ^uint64(0)},
		{"div64 max", []byte{0x48, 0xf7, 0xf3}, ^uint64(0), 4, 5, ^uint64(0), 4},
		{"div mem", []byte{0x48, 0xf7, 0x35, 0xf9, 0xff, 0x00, 0x00}, 100, 0, 0, 33, 1},
	} {
		c, tr := runCode(t, 64, tc.code, func(c *CPU) {
			c.R[RAX], c.R[RDX], c.R[RBX] = tc.rax, tc.rdx, tc.rbx
			c.Mem.Poke(testData, []byte{3, 0, 0, 0, 0, 0, 0, 0})
		})
		if tr != nil {
			t.Errorf("%s: trap %v", tc.name, tr)
			continue
		}
		if c.R[RAX] != tc.wantA || c.R[RDX] != tc.wantD {
			t.Errorf("%s: rax=%#x rdx=%#x, want %#x %#x", tc.name, c.R[RAX], c.R[RDX], tc.wantA, tc.wantD)
		}
	}
}

func TestImulForms(t *testing.T) {
	// imul ecx, [rip+data], -3 in 64-bit mode: 3-operand with a memory
	// source; the 32-bit result zero-extends.
	c, tr := runCode(t, 64, []byte{0x6b, 0x0d, 0xf9, 0xff, 0x00, 0x00, 0xfd}, func(c *CPU) {
		c.Mem.Poke(testData, []byte{7, 0, 0, 0})
		c.R[RCX] = ^uint64(0)
	})
	if tr != nil {
		t.Fatal(tr)
	}
	if c.R[RCX] != 0xffffffeb || c.CF() || c.OF() {
		t.Fatalf("rcx=%#x cf=%v of=%v", c.R[RCX], c.CF(), c.OF())
	}
	// imul rax, rbx overflowing 64 bits sets CF and OF.
	c, _ = runCode(t, 64, []byte{0x48, 0x0f, 0xaf, 0xc3}, func(c *CPU) {
		c.R[RAX], c.R[RBX] = 1<<62, 2
	})
	if c.R[RAX] != 1<<63 || !c.CF() || !c.OF() {
		t.Fatalf("rax=%#x cf=%v of=%v", c.R[RAX], c.CF(), c.OF())
	}
	// mul with a memory operand in 32-bit mode.
	c, _ = runCode(t, 32, []byte{0xf7, 0x25, 0x00, 0x00, 0x02, 0x00}, func(c *CPU) {
		c.Mem.Poke(testData, []byte{0, 0, 0, 0x80})
		c.R[RAX] = 6
	})
	if c.R[RAX] != 0 || c.R[RDX] != 3 || !c.CF() {
		t.Fatalf("eax=%#x edx=%#x cf=%v", c.R[RAX], c.R[RDX], c.CF())
	}
}
