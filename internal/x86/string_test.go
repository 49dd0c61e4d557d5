package x86

import (
	"bytes"
	"math/rand"
	"testing"

	"gemu/internal/mem"
)

// String instruction encodings used below.
var (
	movsb    = []byte{0xa4}
	repMovsb = []byte{0xf3, 0xa4}
	repStosb = []byte{0xf3, 0xaa}
)

// fillData writes a recognizable pattern over the whole test data area.
func fillData(c *CPU) []byte {
	b := make([]byte, 0x10000)
	for i := range b {
		b[i] = byte(i*7 + i>>8)
	}
	c.Mem.Poke(testData, b)
	return b
}

func dataBytes(t *testing.T, c *CPU) []byte {
	t.Helper()
	b := make([]byte, 0x10000)
	if !c.Mem.Peek(testData, b) {
		t.Fatal("peek failed")
	}
	return b
}

func TestMovsSingle(t *testing.T) {
	for _, tc := range []struct {
		name string
		code []byte
		n    uint64
		df   bool
	}{
		{"movsb", []byte{0xa4}, 1, false},
		{"movsw", []byte{0x66, 0xa5}, 2, false},
		{"movsd", []byte{0xa5}, 4, false},
		{"movsq", []byte{0x48, 0xa5}, 8, false},
		{"std movsq", []byte{0x48, 0xa5}, 8, true},
		{"std movsb", []byte{0xa4}, 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, tr := runCode(t, 64, tc.code, func(c *CPU) {
				fillData(c)
				c.R[RSI], c.R[RDI] = testData+0x100, testData+0x800
				c.R[RCX] = 77 // untouched without REP
				if tc.df {
					c.SetFlags(FlagDF, FlagDF)
				}
			})
			if tr != nil {
				t.Fatal(tr)
			}
			d := dataBytes(t, c)
			if !bytes.Equal(d[0x800:0x800+tc.n], d[0x100:0x100+tc.n]) {
				t.Errorf("not copied: % x vs % x", d[0x800:0x800+tc.n], d[0x100:0x100+tc.n])
			}
			step := tc.n
			if tc.df {
				step = -tc.n
			}
			if c.R[RSI] != testData+0x100+step || c.R[RDI] != testData+0x800+step || c.R[RCX] != 77 {
				t.Errorf("rsi=%#x rdi=%#x rcx=%d", c.R[RSI], c.R[RDI], c.R[RCX])
			}
		})
	}
}

// TestRepMovsMatchesElementLoop compares REP MOVS (with its chunked fast
// path) against the same number of single MOVS instructions, over random
// sizes, counts, alignments, overlaps and page crossings in both modes.
func TestRepMovsMatchesElementLoop(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	sizes := []struct {
		n      uint64
		single []byte
	}{{1, []byte{0xa4}}, {2, []byte{0x66, 0xa5}}, {4, []byte{0xa5}}, {8, []byte{0x48, 0xa5}}}
	for iter := 0; iter < 400; iter++ {
		mode := 64
		sz := sizes[rng.Intn(4)]
		if sz.n != 8 && rng.Intn(2) == 0 {
			mode = 32
		}
		rep := append([]byte{0xf3}, sz.single...)
		cnt := uint64(rng.Intn(3000))
		if rng.Intn(4) == 0 {
			cnt = uint64(rng.Intn(20))
		}
		src := testData + uint64(rng.Intn(0x7000))
		var dst uint64
		switch rng.Intn(4) {
		case 0: // just above the source: replicating overlap
			dst = src + uint64(rng.Intn(24))
		case 1: // just below
			dst = src - uint64(rng.Intn(24))
		default:
			dst = testData + uint64(rng.Intn(0x7000))
		}
		for dst+cnt*sz.n > testData+0x10000 || src+cnt*sz.n > testData+0x10000 {
			cnt /= 2
		}
		setup := func(c *CPU) {
			fillData(c)
			c.R[RSI], c.R[RDI], c.R[RCX] = src, dst, cnt
		}
		fast, tr := runCode(t, mode, rep, setup)
		if tr != nil {
			t.Fatalf("rep: %v", tr)
		}
		slow := newTestCPU(t, mode, sz.single)
		setup(slow)
		single, err := Decode(mode, testCode, sz.single)
		if err != nil {
			t.Fatal(err)
		}
		for i := uint64(0); i < cnt; i++ {
			single.Fn(slow, &single)
		}
		slow.R[RCX] = 0
		if fast.R != slow.R {
			t.Fatalf("iter %d (mode %d size %d cnt %d src %#x dst %#x): regs %x, want %x",
				iter, mode, sz.n, cnt, src, dst, fast.R[:8], slow.R[:8])
		}
		if !bytes.Equal(dataBytes(t, fast), dataBytes(t, slow)) {
			t.Fatalf("iter %d (mode %d size %d cnt %d src %#x dst %#x): memory differs",
				iter, mode, sz.n, cnt, src, dst)
		}
	}
}

func TestRepMovsbReplicates(t *testing.T) {
	// memset idiom: copy a buffer onto itself shifted by one byte.
	c, tr := runCode(t, 64, repMovsb, func(c *CPU) {
		c.Mem.Poke(testData, []byte{0xab})
		c.R[RSI], c.R[RDI], c.R[RCX] = testData, testData+1, 5000
	})
	if tr != nil {
		t.Fatal(tr)
	}
	d := dataBytes(t, c)
	for i := 0; i <= 5000; i++ {
		if d[i] != 0xab {
			t.Fatalf("byte %d = %#x", i, d[i])
		}
	}
	if d[5001] != 0 || c.R[RCX] != 0 || c.R[RSI] != testData+5000 || c.R[RDI] != testData+5001 {
		t.Fatalf("d[5001]=%#x rcx=%d rsi=%#x rdi=%#x", d[5001], c.R[RCX], c.R[RSI], c.R[RDI])
	}
}

func TestRepMovsBackward(t *testing.T) {
	// std; rep movsb copying up by 3 bytes from the end: memmove-style.
	c, tr := runCode(t, 32, repMovsb, func(c *CPU) {
		fillData(c)
		c.R[RSI], c.R[RDI], c.R[RCX] = testData+99, testData+102, 100
		c.SetFlags(FlagDF, FlagDF)
	})
	if tr != nil {
		t.Fatal(tr)
	}
	d := dataBytes(t, c)
	want := make([]byte, 0x10000)
	for i := range want {
		want[i] = byte(i*7 + i>>8)
	}
	copy(want[3:103], want[0:100])
	if !bytes.Equal(d[:200], want[:200]) {
		t.Fatalf("got % x\nwant % x", d[:110], want[:110])
	}
	if c.R[RSI] != testData-1 || c.R[RDI] != testData+2 || c.R[RCX] != 0 {
		t.Fatalf("rsi=%#x rdi=%#x rcx=%d", c.R[RSI], c.R[RDI], c.R[RCX])
	}
}

func TestRepStos(t *testing.T) {
	for _, tc := range []struct {
		code []byte
		n    int
	}{
		{[]byte{0xf3, 0xaa}, 1}, {[]byte{0x66, 0xf3, 0xab}, 2},
		{[]byte{0xf3, 0xab}, 4}, {[]byte{0xf3, 0x48, 0xab}, 8},
	} {
		for _, cnt := range []int{0, 1, 7, 100, 3000} {
			start := uint64(testData + 0xff3) // crosses a page for large counts
			c, tr := runCode(t, 64, tc.code, func(c *CPU) {
				fillData(c)
				c.R[RAX] = 0x1122334455667788
				c.R[RDI], c.R[RCX] = start, uint64(cnt)
			})
			if tr != nil {
				t.Fatal(tr)
			}
			d := dataBytes(t, c)
			for i := 0; i < cnt*tc.n; i++ {
				if d[0xff3+i] != byte(uint64(0x1122334455667788)>>(8*(i%tc.n))) {
					t.Fatalf("size %d count %d: byte %d = %#x", tc.n, cnt, i, d[0xff3+i])
				}
			}
			if after := 0xff3 + cnt*tc.n; d[after] != byte(after*7+after>>8) {
				t.Fatalf("size %d count %d: wrote past the end", tc.n, cnt)
			}
			if c.R[RCX] != 0 || c.R[RDI] != start+uint64(cnt*tc.n) {
				t.Fatalf("size %d count %d: rcx=%d rdi=%#x", tc.n, cnt, c.R[RCX], c.R[RDI])
			}
		}
	}
}

// TestRepStosFaultIsPrecise stores into a region whose second page is
// read-only: the fault must come with RDI at the page boundary, RCX
// counting the elements left, and every earlier element written.
func TestRepStosFaultIsPrecise(t *testing.T) {
	for _, code := range [][]byte{repStosb, {0xf3, 0x48, 0xab}} {
		n := uint64(1)
		if len(code) == 3 {
			n = 8
		}
		c, tr := runCode(t, 64, code, func(c *CPU) {
			if err := c.Mem.Protect(testData+0x2000, 0x1000, mem.Read); err != nil {
				t.Fatal(err)
			}
			c.R[RAX] = ^uint64(0)
			c.R[RDI], c.R[RCX] = testData+0x1800, 0x1000/n
		})
		f, ok := tr.(*mem.Fault)
		if !ok {
			t.Fatalf("trap %v, want a write fault", tr)
		}
		if f.Addr != testData+0x2000 || f.Access != mem.AccWrite {
			t.Fatalf("fault %+v", f)
		}
		if c.R[RDI] != testData+0x2000 || c.R[RCX] != (0x1000-0x800)/n {
			t.Fatalf("rdi=%#x rcx=%#x", c.R[RDI], c.R[RCX])
		}
		d := dataBytes(t, c)
		if d[0x1800] != 0xff || d[0x1fff] != 0xff || d[0x17ff] != 0 {
			t.Fatalf("memory % x", d[0x17fe:0x1802])
		}
	}
}

// TestRepMovsFaultIsPrecise reads into a page without read permission.
func TestRepMovsFaultIsPrecise(t *testing.T) {
	c, tr := runCode(t, 32, []byte{0xf3, 0xa5}, func(c *CPU) {
		fillData(c)
		if err := c.Mem.Protect(testData+0x2000, 0x1000, 0); err != nil {
			t.Fatal(err)
		}
		c.R[RSI], c.R[RDI], c.R[RCX] = testData+0x1f00, testData+0x8000, 0x100
	})
	f, ok := tr.(*mem.Fault)
	if !ok || f.Addr != testData+0x2000 || f.Access != mem.AccRead || f.Unmapped {
		t.Fatalf("trap %v", tr)
	}
	if c.R[RSI] != testData+0x2000 || c.R[RDI] != testData+0x8100 || c.R[RCX] != 0x100-0x40 {
		t.Fatalf("rsi=%#x rdi=%#x rcx=%#x", c.R[RSI], c.R[RDI], c.R[RCX])
	}
	d := dataBytes(t, c)
	if !bytes.Equal(d[0x8000:0x8100], d[0x1f00:0x2000]) || d[0x8100] != byte((0x8100*7+0x81)&0xff) {
		t.Fatal("copied the wrong part")
	}
}

func TestLods(t *testing.T) {
	c, tr := runCode(t, 64, []byte{0xac, 0x66, 0xad, 0xad, 0x48, 0xad}, func(c *CPU) {
		c.Mem.Poke(testData, []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
		c.R[RAX] = 0xffffffffffffffff
		c.R[RSI] = testData
	})
	if tr != nil {
		t.Fatal(tr)
	}
	if c.R[RAX] != 0x0f0e0d0c0b0a0908 || c.R[RSI] != testData+15 {
		t.Fatalf("rax=%#x rsi=%#x", c.R[RAX], c.R[RSI])
	}
	// Byte and word loads merge; the dword load zero-extends.
	c, _ = runCode(t, 64, []byte{0xac}, func(c *CPU) {
		c.Mem.Poke(testData, []byte{0x42})
		c.R[RAX], c.R[RSI] = 0x1111111111111111, testData
	})
	if c.R[RAX] != 0x1111111111111142 {
		t.Fatalf("lodsb rax=%#x", c.R[RAX])
	}
	c, _ = runCode(t, 64, []byte{0xad}, func(c *CPU) {
		c.R[RAX], c.R[RSI] = 0x1111111111111111, testData
	})
	if c.R[RAX] != 0 {
		t.Fatalf("lodsd rax=%#x", c.R[RAX])
	}
}

func TestRepeCmps(t *testing.T) {
	// repe cmpsb over "hello world" vs "hello there": stops after the
	// first difference ('w' vs 't') with the flags of 'w' - 't'.
	c, tr := runCode(t, 64, []byte{0xf3, 0xa6}, func(c *CPU) {
		c.Mem.Poke(testData, []byte("hello world"))
		c.Mem.Poke(testData+0x100, []byte("hello there"))
		c.R[RSI], c.R[RDI], c.R[RCX] = testData, testData+0x100, 11
	})
	if tr != nil {
		t.Fatal(tr)
	}
	if c.R[RCX] != 4 || c.R[RSI] != testData+7 || c.R[RDI] != testData+0x107 {
		t.Fatalf("rcx=%d rsi=%#x rdi=%#x", c.R[RCX], c.R[RSI], c.R[RDI])
	}
	// 'w' (0x77) - 't' (0x74) = 3: no carry, not zero, parity even.
	if f := c.Flags() & StatusFlags; f != FlagPF {
		t.Fatalf("flags %#x", f)
	}
	// Equal strings run to the end with ZF set.
	c, _ = runCode(t, 32, []byte{0xf3, 0xa7}, func(c *CPU) {
		c.Mem.Poke(testData, []byte("abcdefgh"))
		c.Mem.Poke(testData+0x100, []byte("abcdefgh"))
		c.R[RSI], c.R[RDI], c.R[RCX] = testData, testData+0x100, 2
	})
	if c.R[RCX] != 0 || !c.ZF() || c.R[RSI] != testData+8 {
		t.Fatalf("rcx=%d zf=%v rsi=%#x", c.R[RCX], c.ZF(), c.R[RSI])
	}
	// A zero count compares nothing and keeps the flags.
	c, _ = runCode(t, 64, []byte{0xf3, 0xa6}, func(c *CPU) {
		c.SetFlags(FlagCF|FlagSF, StatusFlags)
		c.R[RSI], c.R[RDI] = testData, testData+1
	})
	if c.Flags()&StatusFlags != FlagCF|FlagSF || c.R[RSI] != testData {
		t.Fatalf("flags %#x rsi=%#x", c.Flags(), c.R[RSI])
	}
}

func TestRepneScas(t *testing.T) {
	// strlen: repne scasb with AL=0 and RCX=-1.
	c, tr := runCode(t, 64, []byte{0xf2, 0xae}, func(c *CPU) {
		c.Mem.Poke(testData, []byte("gemu\x00xyz"))
		c.R[RAX], c.R[RDI], c.R[RCX] = 0, testData, ^uint64(0)
	})
	if tr != nil {
		t.Fatal(tr)
	}
	if n := ^c.R[RCX] - 1; n != 4 || c.R[RDI] != testData+5 || !c.ZF() {
		t.Fatalf("len=%d rdi=%#x zf=%v", n, c.R[RDI], c.ZF())
	}
	// repe scasw stops at the first word that differs from AX.
	c, _ = runCode(t, 32, []byte{0x66, 0xf3, 0xaf}, func(c *CPU) {
		c.Mem.Poke(testData, []byte{1, 2, 1, 2, 1, 3})
		c.R[RAX], c.R[RDI], c.R[RCX] = 0x0201, testData, 10
	})
	if c.R[RCX] != 7 || c.R[RDI] != testData+6 || c.ZF() || !c.CF() {
		t.Fatalf("rcx=%d rdi=%#x zf=%v cf=%v", c.R[RCX], c.R[RDI], c.ZF(), c.CF())
	}
}

func TestStringAddressSize(t *testing.T) {
	// 16-bit addressing (67 prefix in 32-bit mode): SI and DI wrap at
	// 64 KiB and only their low halves change.
	c, tr := runCode(t, 32, []byte{0x67, 0xa4}, func(c *CPU) {
		c.R[RSI], c.R[RDI] = 0x1234ffff, 0x56780000
		if err := c.Mem.Map(0, 0x10000, mem.Read|mem.Write); err != nil {
			t.Fatal(err)
		}
		c.Mem.Poke(0xffff, []byte{0x5a})
	})
	if tr != nil {
		t.Fatal(tr)
	}
	if c.R[RSI] != 0x12340000 || c.R[RDI] != 0x56780001 {
		t.Fatalf("rsi=%#x rdi=%#x", c.R[RSI], c.R[RDI])
	}
	var b [1]byte
	c.Mem.Peek(0, b[:])
	if b[0] != 0x5a {
		t.Fatalf("copied %#x", b[0])
	}
	// 32-bit addressing in 64-bit mode: registers are zero-extended.
	c, tr = runCode(t, 64, []byte{0x67, 0xf3, 0xaa}, func(c *CPU) {
		c.R[RDI], c.R[RCX] = 0xffffffff00000000|testData, 0xffffffff00000003
	})
	if tr != nil {
		t.Fatal(tr)
	}
	if c.R[RDI] != testData+3 || c.R[RCX] != 0 {
		t.Fatalf("rdi=%#x rcx=%#x", c.R[RDI], c.R[RCX])
	}
}

func TestStringSegmentOverride(t *testing.T) {
	// fs movsb reads FS:[RSI]; the destination stays ES:[RDI].
	c, tr := runCode(t, 64, []byte{0x64, 0xa4, 0x65, 0xac}, func(c *CPU) {
		c.SegBase[FS] = 0x1000
		c.SegBase[GS] = 0x2000
		c.Mem.Poke(testData+0x1000, []byte{0x77})
		c.Mem.Poke(testData+0x2001, []byte{0x66})
		c.R[RSI], c.R[RDI] = testData, testData+0x500
	})
	if tr != nil {
		t.Fatal(tr)
	}
	d := dataBytes(t, c)
	if d[0x500] != 0x77 || c.R[RAX]&0xff != 0x66 {
		t.Fatalf("dst %#x al %#x", d[0x500], c.R[RAX]&0xff)
	}
}

func TestMovsbNoRepIgnoresCount(t *testing.T) {
	c, tr := runCode(t, 32, movsb, func(c *CPU) {
		c.R[RSI], c.R[RDI], c.R[RCX] = testData, testData+1, 0
	})
	if tr != nil || c.R[RSI] != testData+1 {
		t.Fatalf("trap %v rsi=%#x", tr, c.R[RSI])
	}
}

func benchString(b *testing.B, code []byte, count uint64) {
	c := newTestCPU(b, 64, code)
	in, err := Decode(64, testCode, code)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(count))
	for b.Loop() {
		c.R[RSI], c.R[RDI], c.R[RCX] = testData, testData+0x8000, count
		c.R[RAX] = 0xff // not found by scas in zeroed memory
		in.Fn(c, &in)
	}
}

func BenchmarkRepMovsb32K(b *testing.B) { benchString(b, []byte{0xf3, 0xa4}, 0x8000) }
func BenchmarkRepStosb32K(b *testing.B) { benchString(b, []byte{0xf3, 0xaa}, 0x8000) }
func BenchmarkRepMovsb256(b *testing.B) { benchString(b, []byte{0xf3, 0xa4}, 256) }
func BenchmarkRepneScasb4K(b *testing.B) {
	benchString(b, []byte{0xf2, 0xae}, 4096)
}
