package x86

import (
	"fmt"
	"reflect"
	"testing"
)

// fakeBus records port accesses; reads return the port number plus the
// number of reads so far, in the low bytes.
type fakeBus struct {
	calls []string
	reads uint32
}

func (b *fakeBus) In(port uint16, size int) uint32 {
	b.calls = append(b.calls, fmt.Sprintf("in%d %#x", size, port))
	b.reads++
	return 0xabcd0000 | uint32(port)<<4 | b.reads
}

func (b *fakeBus) Out(port uint16, size int, v uint32) {
	b.calls = append(b.calls, fmt.Sprintf("out%d %#x %#x", size, port, v))
}

func TestInOut(t *testing.T) {
	tests := []struct {
		name     string
		mode     int
		code     []byte
		rax, rdx uint64
		wantRAX  uint64
		calls    []string
	}{
		{"in al, 0x60", 32, []byte{0xe4, 0x60}, 0x11223344, 0, 0x11223301, []string{"in1 0x60"}},
		{"in ax, 0x71", 32, []byte{0x66, 0xe5, 0x71}, 0x11223344, 0, 0x11220711, []string{"in2 0x71"}},
		{"in eax, dx", 64, []byte{0xed}, 0xffffffff11223344, 0x3f8, 0xabcd3f81, []string{"in4 0x3f8"}},
		{"in al, dx (port 0xcfc)", 32, []byte{0xec}, 0, 0x10cfc, 0xc1, []string{"in1 0xcfc"}},
		{"out 0x80, al", 32, []byte{0xe6, 0x80}, 0x1234, 0, 0x1234, []string{"out1 0x80 0x34"}},
		{"out dx, ax", 32, []byte{0x66, 0xef}, 0x12345678, 0x3f8, 0x12345678, []string{"out2 0x3f8 0x5678"}},
		{"out dx, eax", 64, []byte{0xef}, 0x1_12345678, 0xcf8, 0x1_12345678, []string{"out4 0xcf8 0x12345678"}},
	}
	for _, tc := range tests {
		bus := &fakeBus{}
		c, tr := runCode(t, tc.mode, tc.code, sysSetup(nil, nil, bus, func(c *CPU) { c.R[RAX], c.R[RDX] = tc.rax, tc.rdx }))
		if tr != nil {
			t.Errorf("%s: %v", tc.name, tr)
			continue
		}
		if c.R[RAX] != tc.wantRAX || !reflect.DeepEqual(bus.calls, tc.calls) {
			t.Errorf("%s: rax %#x (want %#x), calls %q (want %q)", tc.name, c.R[RAX], tc.wantRAX, bus.calls, tc.calls)
		}
	}
	// Without a bus: all ones in, writes dropped.
	c, tr := runCode(t, 32, []byte{0x66, 0xed, 0xee}, sysSetup(nil, nil, nil, nil))
	if tr != nil || c.R[RAX]&0xffff != 0xffff {
		t.Fatalf("no bus: %v rax %#x", tr, c.R[RAX])
	}
}

func TestIOPrivilege(t *testing.T) {
	for _, tc := range []struct {
		cpl  int
		iopl uint64
		want int
	}{
		{0, 0, -1}, {3, 0, int(TrapGP)}, {3, 3, -1}, {2, 1, int(TrapGP)}, {1, 1, -1},
	} {
		for _, code := range [][]byte{{0xe4, 0x60}, {0xee}, {0x6c}, {0x6e}} {
			bus := &fakeBus{}
			_, tr := runCode(t, 32, code, sysSetup(nil, nil, bus, func(c *CPU) {
				c.CPL = tc.cpl
				c.flags |= tc.iopl << 12
				c.Priv.TR = SegCache{} // no TSS: no I/O bitmap (TestIOBitmap)
				c.R[RDI], c.R[RSI] = testData, testData
			}))
			if trapKind(tr) != tc.want {
				t.Errorf("% x CPL %d IOPL %d: %v, want kind %d", code, tc.cpl, tc.iopl, tr, tc.want)
			}
			if tc.want >= 0 && len(bus.calls) != 0 {
				t.Errorf("% x CPL %d IOPL %d: faulting access reached the bus: %q", code, tc.cpl, tc.iopl, bus.calls)
			}
		}
	}
}

func TestStringIO(t *testing.T) {
	// rep insw; std; rep outsb (count 0 now: nothing); cld; insd (no rep)
	code := []byte{0x66, 0xf3, 0x6d, 0xfd, 0xf3, 0x6e, 0xfc, 0x6d}
	bus := &fakeBus{}
	c, tr := runCode(t, 32, code, sysSetup(nil, nil, bus, func(c *CPU) {
		c.R[RDX], c.R[RCX], c.R[RDI] = 0x1f0, 3, testData
		c.Mem.Store32(testData+0x100, 0x44332211)
	}))
	if tr != nil {
		t.Fatal(tr)
	}
	_ = c
	want := []string{"in2 0x1f0", "in2 0x1f0", "in2 0x1f0", "in4 0x1f0"}
	if !reflect.DeepEqual(bus.calls, want) {
		t.Fatalf("calls %q", bus.calls)
	}
	for i, w := range []uint16{0x1f01, 0x1f02, 0x1f03} {
		if got := c.Mem.Load16(testData + uint64(2*i)); got != w {
			t.Errorf("word %d: %#x, want %#x", i, got, w)
		}
	}
	if c.R[RCX] != 0 || c.R[RDI] != testData+6+4 {
		t.Errorf("rcx %#x rdi %#x", c.R[RCX], c.R[RDI])
	}

	// outsb backwards, then a 16-bit address size wrap of SI.
	bus = &fakeBus{}
	c, tr = runCode(t, 32, []byte{0xfd, 0xf3, 0x6e}, sysSetup(nil, nil, bus, func(c *CPU) {
		c.R[RDX], c.R[RCX], c.R[RSI] = 0x3f8, 3, testData+0x102
		c.Mem.Store32(testData+0x100, 0x44332211)
	}))
	if tr != nil {
		t.Fatal(tr)
	}
	want = []string{"out1 0x3f8 0x33", "out1 0x3f8 0x22", "out1 0x3f8 0x11"}
	if !reflect.DeepEqual(bus.calls, want) || c.R[RSI] != testData+0xff || c.R[RCX] != 0 {
		t.Fatalf("calls %q rsi %#x rcx %#x", bus.calls, c.R[RSI], c.R[RCX])
	}

	// A fault in the middle of REP OUTSD leaves the count and pointer of
	// the elements done: backwards from the first dword of the code, then
	// unmapped memory.
	bus = &fakeBus{}
	c, tr = runCode(t, 32, []byte{0xfd, 0xf3, 0x6f}, sysSetup(nil, nil, bus, func(c *CPU) {
		c.R[RDX], c.R[RCX], c.R[RSI] = 0x80, 5, testCode
	}))
	if tr == nil || len(bus.calls) != 1 || c.R[RCX] != 4 || c.R[RSI] != testCode-4 {
		t.Fatalf("fault: %v calls %q rcx %d rsi %#x", tr, bus.calls, c.R[RCX], c.R[RSI])
	}

	// REP with a zero count does nothing.
	bus = &fakeBus{}
	_, tr = runCode(t, 64, []byte{0xf3, 0x6c}, sysSetup(nil, nil, bus, func(c *CPU) { c.R[RCX] = 0 }))
	if tr != nil || len(bus.calls) != 0 {
		t.Fatalf("rep count 0: %v %q", tr, bus.calls)
	}
}

func TestIOBitmap(t *testing.T) {
	const tss = testData + 0x1000
	// A 32-bit TSS with its I/O bitmap at 0x68: every port denied but
	// 0x70 and 0x3f8-0x3ff; the limit covers the bitmap of ports below
	// 0x400 and one more byte.
	setup := func(attr uint16, limit uint32, mapBase uint16) func(c *CPU) {
		return func(c *CPU) {
			c.CPL = 3
			c.Priv.TR = SegCache{Sel: 0x28, Base: tss, Limit: limit, Attr: attr}
			c.Mem.Store16(tss+0x66, mapBase)
			for i := uint64(0); i < 0x81; i++ {
				c.Mem.Store8(tss+0x68+i, 0xff)
			}
			c.Mem.Store8(tss+0x68+0x70/8, 0xfe)  // port 0x70
			c.Mem.Store8(tss+0x68+0x3f8/8, 0x00) // ports 0x3f8-0x3ff
		}
	}
	const busy32 = AttrP | 11
	for _, tc := range []struct {
		name  string
		code  []byte
		rdx   uint64
		attr  uint16
		limit uint32
		base  uint16
		want  int
	}{
		{"in al, 0x70", []byte{0xe4, 0x70}, 0, busy32, 0x68 + 0x80, 0x68, -1},
		{"in ax, 0x70 (0x71 denied)", []byte{0x66, 0xe5, 0x70}, 0, busy32, 0x68 + 0x80, 0x68, int(TrapGP)},
		{"in al, 0x71", []byte{0xe4, 0x71}, 0, busy32, 0x68 + 0x80, 0x68, int(TrapGP)},
		{"out dx, eax at 0x3f8", []byte{0xef}, 0x3f8, busy32, 0x68 + 0x80, 0x68, -1},
		{"out dx, eax at 0x3fe (0x400 denied)", []byte{0xef}, 0x3fe, busy32, 0x68 + 0x80, 0x68, int(TrapGP)},
		{"outsb at 0x3ff", []byte{0x6e}, 0x3ff, busy32, 0x68 + 0x80, 0x68, -1},
		{"available TSS", []byte{0xe4, 0x70}, 0, AttrP | 9, 0x68 + 0x80, 0x68, -1},
		{"16-bit TSS", []byte{0xe4, 0x70}, 0, AttrP | 3, 0x68 + 0x80, 0x68, int(TrapGP)},
		{"bitmap beyond the limit", []byte{0xe4, 0x70}, 0, busy32, 0x67, 0xffff, int(TrapGP)},
		{"second byte beyond the limit", []byte{0xe4, 0x70}, 0, busy32, 0x68 + 0x0e, 0x68, int(TrapGP)},
		{"both bytes within the limit", []byte{0xe4, 0x70}, 0, busy32, 0x68 + 0x0f, 0x68, -1},
	} {
		bus := &fakeBus{}
		_, tr := runCode(t, 32, tc.code, sysSetup(nil, nil, bus, func(c *CPU) {
			setup(tc.attr, tc.limit, tc.base)(c)
			c.R[RDX], c.R[RSI] = tc.rdx, testData
		}))
		if trapKind(tr) != tc.want {
			t.Errorf("%s: %v, want kind %d", tc.name, tr, tc.want)
		}
		if (len(bus.calls) == 0) != (tc.want >= 0) {
			t.Errorf("%s: bus calls %q", tc.name, bus.calls)
		}
	}
}
