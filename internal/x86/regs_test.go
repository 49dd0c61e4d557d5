package x86

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
	"unsafe"

	"gemu/internal/mem"
)

// regCPU returns a CPU of the given mode whose registers hold distinct,
// recognizable values.
func regCPU(mode int) *CPU {
	c := New(mode, mem.New(1<<32))
	for i := range c.R {
		c.R[i] = 0x1111111111111111 * uint64(i+1) // R[RAX]=0x11.., R[RCX]=0x22..
	}
	c.RIP = 0x0123456789abcdef
	c.Seg = [6]uint16{0x2b, 0x23, 0x2a, 0x2c, 0x63, 0x6b} // es cs ss ds fs gs
	c.SegBase[FS] = 0x7fff00001000
	c.SegBase[GS] = 0xf7ff2000
	c.SetFlags(FlagCF|FlagZF|FlagDF, FlagCF|FlagZF|FlagDF)
	for i := range c.XMM {
		c.XMM[i] = [2]uint64{uint64(i) << 8, 0xa0a0a0a0a0a0a0a0 + uint64(i)}
	}
	c.MXCSR = 0x1fa0
	x := &c.X87
	x.Top = 6
	x.St[6] = F80{Mant: 0x8000000000000000, SE: 0x3fff} // ST(0) = 1.0, physical 6
	x.St[7] = F80{Mant: 0, SE: 0}                       // ST(1) = +0, physical 7
	x.St[0] = F80{Mant: 0xc000000000000000, SE: 0x7fff} // ST(2) = NaN, physical 0
	x.Empty = [8]bool{false, true, true, true, true, true, false, false}
	x.CW = 0x037f
	x.SW = 0x0021 // PE | IE, TOP is kept apart
	x.FIP = 0x0000123487654321
	x.FDP = 0x0000567811223344
	x.FOP = 0xfd9
	return c
}

func le(b []byte) uint64 {
	var v [8]byte
	copy(v[:], b)
	return binary.LittleEndian.Uint64(v[:])
}

func TestGDBRegisterI386(t *testing.T) {
	c := regCPU(32)
	flags := c.Flags()
	tests := []struct {
		num  int
		size int
		want uint64
	}{
		{0, 4, 0x11111111},  // eax
		{1, 4, 0x22222222},  // ecx
		{3, 4, 0x44444444},  // ebx
		{4, 4, 0x55555555},  // esp
		{7, 4, 0x88888888},  // edi
		{8, 4, 0x89abcdef},  // eip
		{9, 4, flags},       // eflags
		{10, 4, 0x23},       // cs
		{11, 4, 0x2a},       // ss
		{12, 4, 0x2c},       // ds
		{13, 4, 0x2b},       // es
		{14, 4, 0x63},       // fs
		{15, 4, 0x6b},       // gs
		{24, 4, 0x037f},     // fctrl
		{25, 4, 0x3021},     // fstat with TOP=6
		{26, 4, 0x4ffe},     // ftag: R7 zero, R6 valid, R0 special, rest empty
		{27, 4, 0x1234},     // fiseg
		{28, 4, 0x87654321}, // fioff
		{29, 4, 0x5678},     // foseg
		{30, 4, 0x11223344}, // fooff
		{31, 4, 0x7d9},      // fop (11 bits)
		{40, 4, 0x1fa0},     // mxcsr
		{41, 4, 0x00001000}, // fs_base, truncated to 4 bytes
		{42, 4, 0xf7ff2000}, // gs_base
		{43, 4, userCR0},    // cr0
		{46, 4, userCR4},    // cr4
	}
	for _, tt := range tests {
		val, size := c.GDBRegister(tt.num)
		if size != tt.size || le(val[:size]) != tt.want {
			t.Errorf("reg %d: got %#x size %d, want %#x size %d", tt.num, le(val[:size]), size, tt.want, tt.size)
		}
	}
	if flags&(FlagCF|FlagZF|FlagDF) != FlagCF|FlagZF|FlagDF {
		t.Errorf("eflags %#x lacks CF ZF DF", flags)
	}
	// st0 is the top of the stack (physical 6): 1.0.
	val, size := c.GDBRegister(16)
	if size != 10 || le(val[:8]) != 0x8000000000000000 || binary.LittleEndian.Uint16(val[8:]) != 0x3fff {
		t.Errorf("st0 = % x (size %d)", val[:size], size)
	}
	val, size = c.GDBRegister(18) // st2 = physical 0, the NaN
	if size != 10 || binary.LittleEndian.Uint16(val[8:]) != 0x7fff {
		t.Errorf("st2 = % x (size %d)", val[:size], size)
	}
	val, size = c.GDBRegister(32 + 5) // xmm5
	if size != 16 || le(val[:8]) != 0x500 || le(val[8:]) != 0xa0a0a0a0a0a0a0a5 {
		t.Errorf("xmm5 = % x (size %d)", val[:size], size)
	}
	for _, bad := range []int{-1, 47, 48, 1000} {
		if _, size := c.GDBRegister(bad); size != 0 {
			t.Errorf("reg %d: size %d, want 0", bad, size)
		}
	}
	if n := c.GDBNumRegs(); n != 47 {
		t.Errorf("GDBNumRegs = %d", n)
	}
	// Every number below GDBNumRegs is a register.
	for i := 0; i < c.GDBNumRegs(); i++ {
		if _, size := c.GDBRegister(i); size == 0 {
			t.Errorf("reg %d unknown", i)
		}
	}
}

func TestGDBRegisterAMD64(t *testing.T) {
	c := regCPU(64)
	tests := []struct {
		num  int
		size int
		want uint64
	}{
		{0, 8, 0x1111111111111111},  // rax = R[0]
		{1, 8, 0x4444444444444444},  // rbx = R[3]
		{2, 8, 0x2222222222222222},  // rcx = R[1]
		{3, 8, 0x3333333333333333},  // rdx = R[2]
		{4, 8, 0x7777777777777777},  // rsi = R[6]
		{5, 8, 0x8888888888888888},  // rdi = R[7]
		{6, 8, 0x6666666666666666},  // rbp = R[5]
		{7, 8, 0x5555555555555555},  // rsp = R[4]
		{8, 8, 0x9999999999999999},  // r8
		{14, 8, 0xffffffffffffffff}, // r14
		{16, 8, 0x0123456789abcdef}, // rip
		{17, 4, c.Flags()},          // eflags
		{18, 4, 0x23},               // cs
		{23, 4, 0x6b},               // gs
		{32, 4, 0x037f},             // fctrl
		{33, 4, 0x3021},             // fstat
		{34, 4, 0x4ffe},             // ftag
		{39, 4, 0x7d9},              // fop
		{56, 4, 0x1fa0},             // mxcsr
		{57, 8, 0x7fff00001000},     // fs_base
		{58, 8, 0xf7ff2000},         // gs_base
		{59, 8, userCR0},            // cr0
		{62, 8, userCR4},            // cr4
	}
	for _, tt := range tests {
		val, size := c.GDBRegister(tt.num)
		if size != tt.size || le(val[:size]) != tt.want {
			t.Errorf("reg %d: got %#x size %d, want %#x size %d", tt.num, le(val[:size]), size, tt.want, tt.size)
		}
	}
	val, size := c.GDBRegister(24) // st0
	if size != 10 || le(val[:8]) != 0x8000000000000000 {
		t.Errorf("st0 = % x", val[:size])
	}
	val, size = c.GDBRegister(40 + 15) // xmm15
	if size != 16 || le(val[:8]) != 0xf00 || le(val[8:]) != 0xa0a0a0a0a0a0a0af {
		t.Errorf("xmm15 = % x (size %d)", val[:size], size)
	}
	for _, bad := range []int{-5, 63, 64} {
		if _, size := c.GDBRegister(bad); size != 0 {
			t.Errorf("reg %d: size %d, want 0", bad, size)
		}
	}
	if n := c.GDBNumRegs(); n != 63 {
		t.Errorf("GDBNumRegs = %d", n)
	}
	for i := 0; i < c.GDBNumRegs(); i++ {
		if _, size := c.GDBRegister(i); size == 0 {
			t.Errorf("reg %d unknown", i)
		}
	}
}

func TestX87FullTagEmpty(t *testing.T) {
	c := New(32, mem.New(1<<32))
	if tw := c.X87.FullTag(); tw != 0xffff {
		t.Errorf("fresh tag word %#x, want 0xffff", tw)
	}
	if sw := c.X87.FullStatus(); sw != 0 {
		t.Errorf("fresh status %#x", sw)
	}
}

// NewThread copies the state a new guest thread starts with and never
// reads Stop, which the fairness ticker and signal posters write from
// other goroutines while the parent runs (go test -race checks that).
func TestNewThread(t *testing.T) {
	c := New(64, nil)
	c.R[RBX], c.RIP, c.XMM[3][1], c.SegBase[FS] = 7, 0x401000, 9, 0x7000
	c.Icount, c.Engine, c.Exited = 1234, "engine", true
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 1000; i++ {
			c.Stop.Store(true)
		}
	}()
	var n *CPU
	for i := 0; i < 100; i++ {
		n = c.NewThread()
	}
	<-done
	if n.R[RBX] != 7 || n.RIP != 0x401000 || n.XMM[3][1] != 9 || n.SegBase[FS] != 0x7000 || n.Mode != 64 {
		t.Errorf("state not copied: rbx %d rip %#x xmm3 %d fs %#x mode %d", n.R[RBX], n.RIP, n.XMM[3][1], n.SegBase[FS], n.Mode)
	}
	if n.Stop.Load() || n.Exited || n.Engine != nil || n.Icount != 0 {
		t.Errorf("new thread: stop %v exited %v engine %v icount %d; want all clear", n.Stop.Load(), n.Exited, n.Engine, n.Icount)
	}
}

// TestRegsLayout pins the offsets of Regs that code outside Go (the C
// plugin library, later generated code) hard-codes: the C struct in Regs's
// comment. A change here must be mirrored there.
func TestRegsLayout(t *testing.T) {
	pins := []struct {
		name      string
		got, want uintptr
	}{
		{"R", RegsOffR, 0},
		{"RIP", RegsOffRIP, 128},
		{"lazy op", RegsOffLazyOp, 136},
		{"lazy size", RegsOffLazySize, 137},
		{"lazy res", RegsOffLazyRes, 144},
		{"lazy a", RegsOffLazyA, 152},
		{"lazy b", RegsOffLazyB, 160},
		{"lazy cin", RegsOffLazyCin, 168},
		{"flags", RegsOffFlags, 176},
		{"AddrMask", RegsOffAddrMask, 184},
		{"Mode", RegsOffMode, 192},
		{"ProcMode", RegsOffProcMode, 200},
		{"SegBase", RegsOffSegBase, 208},
		{"Seg", RegsOffSeg, 256},
		{"MXCSR", RegsOffMXCSR, 268},
		{"XMM", RegsOffXMM, 272},
		{"X87", RegsOffX87, 528},
		{"X87 St", RegsOffX87St, 528},
		{"X87 Top", RegsOffX87Top, 656},
		{"X87 Empty", RegsOffX87Empty, 657},
		{"X87 CW", RegsOffX87CW, 666},
		{"X87 SW", RegsOffX87SW, 668},
		{"X87 FIP", RegsOffX87FIP, 672},
		{"X87 FDP", RegsOffX87FDP, 680},
		{"X87 FOP", RegsOffX87FOP, 688},
		{"X87 FCS", RegsOffX87 + unsafe.Offsetof(X87{}.FCS), 690},
		{"X87 FDS", RegsOffX87 + unsafe.Offsetof(X87{}.FDS), 692},
		{"F80 SE", unsafe.Offsetof(F80{}.SE), 8},
		{"F80 size", F80Size, 16},
		{"Regs size", RegsSize, 696},
		{"RegSlot Off", unsafe.Offsetof(RegSlot{}.Off), 4},
		{"RegSlot Mask", unsafe.Offsetof(RegSlot{}.Mask), 8},
		{"RegSlot size", RegSlotSize, 16},
	}
	for _, p := range pins {
		if p.got != p.want {
			t.Errorf("%s at %d, the C side expects %d", p.name, p.got, p.want)
		}
	}
	// The same facts seen through a live CPU's block: a write through Go
	// lands at the pinned offset of RegsAddr.
	c := New(64, nil)
	c.R[RBX], c.RIP, c.MXCSR, c.X87.Top = 0x1122334455667788, 0x401000, 0x1fa5, 5
	c.SetLazy(flagsAdd, 4, 3, 1, 2)
	b := c.regsBytes()
	if a := uintptr(unsafe.Pointer(&b[0])); a != c.RegsAddr() {
		t.Fatalf("regsBytes at %#x, RegsAddr %#x", a, c.RegsAddr())
	}
	if got := binary.LittleEndian.Uint64(b[RegsOffR+RBX*8:]); got != 0x1122334455667788 {
		t.Errorf("rbx in the block: %#x", got)
	}
	if got := binary.LittleEndian.Uint64(b[RegsOffRIP:]); got != 0x401000 {
		t.Errorf("rip in the block: %#x", got)
	}
	if got := binary.LittleEndian.Uint32(b[RegsOffMXCSR:]); got != 0x1fa5 {
		t.Errorf("mxcsr in the block: %#x", got)
	}
	if b[RegsOffX87Top] != 5 || b[RegsOffLazyOp] != LazyAdd || b[RegsOffLazySize] != 4 ||
		binary.LittleEndian.Uint64(b[RegsOffLazyB:]) != 2 {
		t.Errorf("top %d, lazy op %d size %d b %d in the block", b[RegsOffX87Top], b[RegsOffLazyOp], b[RegsOffLazySize], b[RegsOffLazyB])
	}
	if LazyNone != 0 || LazyAdd != 1 || LazyAdc != 2 || LazySub != 3 || LazySbb != 4 ||
		LazyLogic != 5 || LazyInc != 6 || LazyDec != 7 || LazyRes != 8 {
		t.Errorf("lazy flag operation numbers moved: the C side hard-codes 0..8")
	}
}

// TestRegTableSlots checks the table's shape: one slot per register
// number, sizes as regnum.h lists them, and every offset inside Regs.
func TestRegTableSlots(t *testing.T) {
	for _, mode := range []int{32, 64} {
		tab := RegTable(mode)
		c := New(mode, nil)
		if len(tab) != c.GDBNumRegs() {
			t.Errorf("mode %d: %d slots, GDBNumRegs %d", mode, len(tab), c.GDBNumRegs())
		}
		word := uint8(mode / 8)
		eflags := 9
		if mode == 64 {
			eflags = 17
		}
		for n, s := range tab {
			if s.Kind == RegAbsent || s.Size == 0 || s.Size > 16 {
				t.Errorf("mode %d reg %d: kind %d size %d", mode, n, s.Kind, s.Size)
			}
			if uintptr(s.Off)+uintptr(max(s.SrcSize, s.Size)) > RegsSize && s.Kind != RegConst {
				t.Errorf("mode %d reg %d: offset %d beyond Regs", mode, n, s.Off)
			}
			if n == 0 && (s.Kind != RegPlain || s.Size != word || s.Off != 0) {
				t.Errorf("mode %d reg 0: %+v", mode, s)
			}
		}
		if tab[eflags].Kind != RegEflags || tab[eflags].Size != 4 {
			t.Errorf("mode %d: eflags slot %+v", mode, tab[eflags])
		}
	}
}

// gdbRegisterRef is GDBRegister as it was before RegTable: field by
// field, the reference the table-driven reader must match.
func gdbRegisterRef(c *CPU, num int) (val [16]byte, size int) {
	ngpr, word, nxmm := 8, 4, 8
	if c.ProcMode == 64 {
		ngpr, word, nxmm = 16, 8, 16
	}
	put := func(v uint64, n int) ([16]byte, int) {
		binary.LittleEndian.PutUint64(val[:8], v&sizeMask[n])
		return val, n
	}
	x := &c.X87
	switch {
	case num < 0:
		return val, 0
	case num < ngpr:
		r := num
		if c.ProcMode == 64 {
			r = gdbAMD64[num]
		}
		return put(c.R[r], word)
	case num == ngpr:
		return put(c.RIP, word)
	case num == ngpr+1:
		return put(c.Flags(), 4)
	case num < ngpr+8:
		return put(uint64(c.Seg[gdbSeg[num-ngpr-2]]), 4)
	case num < ngpr+16:
		f := x.STReg(num - ngpr - 8)
		binary.LittleEndian.PutUint64(val[:8], f.Mant)
		binary.LittleEndian.PutUint16(val[8:10], f.SE)
		return val, 10
	case num < ngpr+24:
		v := [8]uint64{uint64(x.CW), uint64(x.FullStatus()), uint64(x.FullTag()),
			x.FIP >> 32 & 0xffff, x.FIP & 0xffffffff, x.FDP >> 32 & 0xffff, x.FDP & 0xffffffff,
			uint64(x.FOP & 0x7ff)}
		return put(v[num-ngpr-16], 4)
	case num < ngpr+24+nxmm:
		i := num - ngpr - 24
		binary.LittleEndian.PutUint64(val[:8], c.XMM[i][0])
		binary.LittleEndian.PutUint64(val[8:], c.XMM[i][1])
		return val, 16
	case num == ngpr+24+nxmm:
		return put(uint64(c.MXCSR), 4)
	case num < ngpr+24+nxmm+7:
		v := [6]uint64{c.SegBase[FS], c.SegBase[GS], userCR0, 0, 0, userCR4}
		return put(v[num-ngpr-24-nxmm-1], word)
	}
	return val, 0
}

// TestGDBRegisterMatchesReference fills every register with random bits
// (and random lazy flags and x87 stack) and compares every register
// number of both tables with the field-by-field reference.
func TestGDBRegisterMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 13))
	for _, mode := range []int{32, 64} {
		for round := 0; round < 200; round++ {
			c := New(mode, nil)
			for i := range c.R {
				c.R[i] = rng.Uint64()
			}
			c.RIP = rng.Uint64()
			for i := range c.Seg {
				c.Seg[i], c.SegBase[i] = uint16(rng.Uint32()), rng.Uint64()
			}
			for i := range c.XMM {
				c.XMM[i] = [2]uint64{rng.Uint64(), rng.Uint64()}
			}
			c.MXCSR = rng.Uint32()
			x := &c.X87
			for i := range x.St {
				x.St[i] = F80{Mant: rng.Uint64(), SE: uint16(rng.Uint32())}
				x.Empty[i] = rng.IntN(2) == 0
			}
			x.Top, x.CW, x.SW, x.FOP = uint8(rng.IntN(8)), uint16(rng.Uint32()), uint16(rng.Uint32()), uint16(rng.Uint32())
			x.FIP, x.FDP = rng.Uint64(), rng.Uint64()
			c.SetFlags(rng.Uint64(), ^uint64(0))
			size := []int{1, 2, 4, 8}[rng.IntN(4)]
			c.SetLazy(uint8(rng.IntN(int(LazyRes)+1)), size, rng.Uint64()&sizeMask[size],
				rng.Uint64()&sizeMask[size], rng.Uint64()&sizeMask[size])
			for num := -1; num <= c.GDBNumRegs(); num++ {
				gv, gs := c.GDBRegister(num)
				wv, ws := gdbRegisterRef(c, num)
				if gv != wv || gs != ws {
					t.Fatalf("mode %d reg %d: got % x size %d, want % x size %d", mode, num, gv, gs, wv, ws)
				}
			}
		}
	}
}
