package x86

import (
	"testing"

	"gemu/internal/mem"
)

func TestBitTestVectors(t *testing.T) {
	runHostVectors(t, "testdata/vectors64.txt.gz", 64, vecNames("bt", "bts", "btr", "btc"), nil)
}

func TestBitScanVectors(t *testing.T) {
	runHostVectors(t, "testdata/vectors64.txt.gz", 64, vecNames("bsf", "bsr", "tzcnt", "lzcnt", "popcnt", "bswap"), nil)
}

func TestBitTestMemory(t *testing.T) {
	for _, tc := range []struct {
		name   string
		code   []byte
		off    uint64 // in RAX
		addr   uint64 // byte whose bit changes
		bit    uint
		wantCF bool
	}{
		// bts dword [rbx], eax with a large positive offset.
		{"bts +100", []byte{0x0f, 0xab, 0x03}, 100, testData + 0x100 + 12, 4, false},
		// negative offsets address below the operand.
		{"bts -1", []byte{0x0f, 0xab, 0x03}, 0xffffffff, testData + 0x100 - 1, 7, false},
		{"bts16 -17", []byte{0x66, 0x0f, 0xab, 0x03}, 0xffef, testData + 0x100 - 4 + 1, 7, false},
		{"bts64 -65", []byte{0x48, 0x0f, 0xab, 0x03}, ^uint64(64), testData + 0x100 - 16 + 7, 7, false},
		// btc on a set bit reports CF=1 and clears it.
		{"btc set", []byte{0x0f, 0xbb, 0x03}, 8*0x10 + 1, testData + 0x100 + 0x10, 1, true},
		// immediate offsets wrap at the operand size.
		{"bts imm 35", []byte{0x0f, 0xba, 0x2b, 35}, 0, testData + 0x100, 3, false},
	} {
		c, tr := runCode(t, 64, tc.code, func(c *CPU) {
			c.Mem.Poke(testData+0x110, []byte{0x02})
			c.R[RAX], c.R[RBX] = tc.off, testData+0x100
		})
		if tr != nil {
			t.Errorf("%s: %v", tc.name, tr)
			continue
		}
		if c.CF() != tc.wantCF {
			t.Errorf("%s: cf=%v", tc.name, c.CF())
		}
		var b [1]byte
		c.Mem.Peek(tc.addr, b[:])
		want := byte(1) << tc.bit
		if tc.wantCF {
			want = 0
		}
		if b[0] != want {
			t.Errorf("%s: byte at %#x = %#x, want %#x", tc.name, tc.addr, b[0], want)
		}
	}
	// bt with a register destination takes the offset modulo the size
	// and leaves the other flags alone.
	c, _ := runCode(t, 32, []byte{0x0f, 0xa3, 0xd8}, func(c *CPU) {
		c.R[RAX], c.R[RBX] = 0x80000000, 63
		c.SetFlags(FlagZF|FlagSF, StatusFlags)
	})
	if c.Flags()&StatusFlags != FlagZF|FlagSF|FlagCF {
		t.Fatalf("flags %#x", c.Flags())
	}
}

func TestXadd(t *testing.T) {
	c, tr := runCode(t, 64, []byte{0xf0, 0x48, 0x0f, 0xc1, 0x03}, func(c *CPU) {
		c.Mem.Poke(testData, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
		c.R[RAX], c.R[RBX] = 1, testData
	})
	if tr != nil {
		t.Fatal(tr)
	}
	if c.R[RAX] != ^uint64(0) || c.Mem.Load64(testData) != 0 || !c.CF() || !c.ZF() {
		t.Fatalf("rax=%#x mem=%#x cf=%v zf=%v", c.R[RAX], c.Mem.Load64(testData), c.CF(), c.ZF())
	}
	// xadd eax, eax: the destination (written last) holds the sum.
	c, _ = runCode(t, 64, []byte{0x0f, 0xc1, 0xc0}, func(c *CPU) { c.R[RAX] = 0xffffffff00000021 })
	if c.R[RAX] != 0x42 {
		t.Fatalf("rax=%#x", c.R[RAX])
	}
	// xadd bl, ah: byte registers.
	c, _ = runCode(t, 32, []byte{0x0f, 0xc0, 0xe3}, func(c *CPU) { c.R[RAX], c.R[RBX] = 0x0500, 0x07 })
	if c.R[RAX] != 0x0700 || c.R[RBX] != 0x0c {
		t.Fatalf("eax=%#x ebx=%#x", c.R[RAX], c.R[RBX])
	}
}

func TestCmpxchg(t *testing.T) {
	// Equal: the destination receives the source, RAX is untouched.
	c, _ := runCode(t, 64, []byte{0x0f, 0xb1, 0xd1}, func(c *CPU) {
		c.R[RAX], c.R[RCX], c.R[RDX] = 0xffffffff00000005, 0xffffffff00000005, 7
	})
	if c.R[RCX] != 7 || c.R[RAX] != 0xffffffff00000005 || !c.ZF() {
		t.Fatalf("equal: rcx=%#x rax=%#x zf=%v", c.R[RCX], c.R[RAX], c.ZF())
	}
	// Different: EAX receives the destination (zero-extended); the
	// destination register is left whole.
	c, _ = runCode(t, 64, []byte{0x0f, 0xb1, 0xd1}, func(c *CPU) {
		c.R[RAX], c.R[RCX], c.R[RDX] = ^uint64(0)-1, ^uint64(0), 7
	})
	if c.R[RCX] != ^uint64(0) || c.R[RAX] != 0xffffffff || c.ZF() || !c.CF() {
		t.Fatalf("differ: rcx=%#x rax=%#x zf=%v cf=%v", c.R[RCX], c.R[RAX], c.ZF(), c.CF())
	}
	// A memory destination is written even when the values differ, so
	// a read-only page faults without changing anything.
	c, tr := runCode(t, 64, []byte{0xf0, 0x0f, 0xb0, 0x13}, func(c *CPU) {
		c.R[RAX], c.R[RBX], c.R[RDX] = 1, testCode, 2
		c.SetFlags(0, StatusFlags)
	})
	if f, ok := tr.(*mem.Fault); !ok || f.Access != mem.AccWrite {
		t.Fatalf("trap %v", tr)
	}
	if c.R[RAX] != 1 || c.ZF() {
		t.Fatalf("state changed: rax=%#x", c.R[RAX])
	}
}

func TestCmpxchg8b16b(t *testing.T) {
	// cmpxchg8b [rsi] equal, then different (64-bit mode zero-extends).
	c, tr := runCode(t, 64, []byte{0x0f, 0xc7, 0x0e, 0x0f, 0xc7, 0x0e}, func(c *CPU) {
		c.Mem.Poke(testData, []byte{1, 0, 0, 0, 2, 0, 0, 0})
		c.R[RSI] = testData
		c.R[RAX], c.R[RDX] = 0xaaaaaaaa00000001, 0xbbbbbbbb00000002
		c.R[RBX], c.R[RCX] = 0x33, 0x44
	})
	if tr != nil {
		t.Fatal(tr)
	}
	if got := c.Mem.Load64(testData); got != 0x4400000033 {
		t.Fatalf("memory %#x", got)
	}
	if c.R[RAX] != 0x33 || c.R[RDX] != 0x44 || c.ZF() {
		t.Fatalf("rax=%#x rdx=%#x zf=%v", c.R[RAX], c.R[RDX], c.ZF())
	}
	// cmpxchg16b: equal case, then misaligned #GP.
	c, tr = runCode(t, 64, []byte{0x48, 0x0f, 0xc7, 0x0e}, func(c *CPU) {
		c.Mem.Poke(testData+0x10, []byte{1, 0, 0, 0, 0, 0, 0, 0, 2})
		c.R[RSI] = testData + 0x10
		c.R[RAX], c.R[RDX], c.R[RBX], c.R[RCX] = 1, 2, 0x1111, 0x2222
		c.SetFlags(FlagCF, StatusFlags)
	})
	if tr != nil {
		t.Fatal(tr)
	}
	if c.Mem.Load64(testData+0x10) != 0x1111 || c.Mem.Load64(testData+0x18) != 0x2222 || !c.ZF() || !c.CF() {
		t.Fatalf("cmpxchg16b: %#x %#x flags %#x", c.Mem.Load64(testData+0x10), c.Mem.Load64(testData+0x18), c.Flags())
	}
	_, tr = runCode(t, 64, []byte{0x48, 0x0f, 0xc7, 0x0e}, func(c *CPU) { c.R[RSI] = testData + 8 })
	if trap, ok := tr.(*Trap); !ok || trap.Kind != TrapGP {
		t.Fatalf("misaligned cmpxchg16b: %v", tr)
	}
}

func TestSetccCmovcc(t *testing.T) {
	// cmp eax, ebx; setl ah; setb [rsi]; cmovg ecx, edx; cmovl r8w, dx
	code := []byte{0x39, 0xd8, 0x0f, 0x9c, 0xc4, 0x0f, 0x92, 0x06, 0x0f, 0x4f, 0xca, 0x66, 0x44, 0x0f, 0x4c, 0xc2}
	c, tr := runCode(t, 64, code, func(c *CPU) {
		c.R[RAX], c.R[RBX] = 0xfffffffe, 1 // -2 < 1 signed, > unsigned
		c.R[RSI] = testData
		c.Mem.Poke(testData, []byte{0x55})
		c.R[RCX], c.R[RDX] = 0xffffffffffffffff, 0x12345678
		c.R[R8] = 0x1111111111111111
	})
	if tr != nil {
		t.Fatal(tr)
	}
	var b [1]byte
	c.Mem.Peek(testData, b[:])
	if c.R[RAX] != 0xffff01fe || b[0] != 0 {
		t.Fatalf("setl ah: rax=%#x; setb [rsi]: %#x", c.R[RAX], b[0])
	}
	if c.R[RCX] != 0xffffffff {
		t.Fatalf("cmovg false must still zero-extend ecx: %#x", c.R[RCX])
	}
	if c.R[R8] != 0x1111111111115678 {
		t.Fatalf("cmovl r8w: %#x", c.R[R8])
	}
	// A memory source is read even when the condition is false.
	_, tr = runCode(t, 64, []byte{0x48, 0x0f, 0x44, 0x06}, func(c *CPU) {
		c.R[RSI] = 0x500000
		c.SetFlags(0, StatusFlags) // ZF clear: cmove does not move
	})
	if _, ok := tr.(*mem.Fault); !ok {
		t.Fatalf("cmove from unmapped memory: %v", tr)
	}
}
