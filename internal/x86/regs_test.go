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
	c.SegBase[CS] = 0x7fff00011000 // not flat: cs_base and ss_base read them
	c.SegBase[SS] = 0x22000
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

// regWant is one register number's expected size and value: its low 8
// bytes in want, and for st and xmm registers all of its bytes in full.
type regWant struct {
	num  int
	size int
	want uint64
	full []byte
}

func f80Bytes(f F80) []byte {
	b := make([]byte, 10)
	binary.LittleEndian.PutUint64(b, f.Mant)
	binary.LittleEndian.PutUint16(b[8:], f.SE)
	return b
}

func xmmBytes(v [2]uint64) []byte {
	b := make([]byte, 16)
	binary.LittleEndian.PutUint64(b, v[0])
	binary.LittleEndian.PutUint64(b[8:], v[1])
	return b
}

// checkRegs reads every number from -1 to past the table: the ones in
// tests must read as listed, every other one must read nothing.
func checkRegs(t *testing.T, c *CPU, tests []regWant) {
	t.Helper()
	want := map[int]regWant{}
	for _, tt := range tests {
		if _, dup := want[tt.num]; dup {
			t.Fatalf("reg %d listed twice", tt.num)
		}
		want[tt.num] = tt
	}
	for num := -1; num < 300; num++ {
		val, size := c.GDBRegister(num)
		tt, ok := want[num]
		switch {
		case !ok:
			if size != 0 {
				t.Errorf("reg %d: size %d (% x), want nothing", num, size, val[:size])
			}
		case tt.full != nil:
			if size != tt.size || string(val[:size]) != string(tt.full) {
				t.Errorf("reg %d: got % x size %d, want % x", num, val[:size], size, tt.full)
			}
		case size != tt.size || le(val[:size]) != tt.want:
			t.Errorf("reg %d: got %#x size %d, want %#x size %d", num, le(val[:size]), size, tt.want, tt.size)
		}
	}
}

func TestGDBRegisterI386(t *testing.T) {
	c := regCPU(32)
	c.CR3 = UserCR3(32, 4321)
	flags := c.Flags()
	if flags&(FlagCF|FlagZF|FlagDF) != FlagCF|FlagZF|FlagDF {
		t.Errorf("eflags %#x lacks CF ZF DF", flags)
	}
	tests := []regWant{
		{num: 0, size: 4, want: 0x11111111},  // eax
		{num: 1, size: 4, want: 0x22222222},  // ecx
		{num: 2, size: 4, want: 0x33333333},  // edx
		{num: 3, size: 4, want: 0x44444444},  // ebx
		{num: 4, size: 4, want: 0x55555555},  // esp
		{num: 5, size: 4, want: 0x66666666},  // ebp
		{num: 6, size: 4, want: 0x77777777},  // esi
		{num: 7, size: 4, want: 0x88888888},  // edi
		{num: 8, size: 4, want: 0x89abcdef},  // eip
		{num: 9, size: 4, want: flags},       // eflags
		{num: 10, size: 4, want: 0x23},       // cs
		{num: 11, size: 4, want: 0x2a},       // ss
		{num: 12, size: 4, want: 0x2c},       // ds
		{num: 13, size: 4, want: 0x2b},       // es
		{num: 14, size: 4, want: 0x63},       // fs
		{num: 15, size: 4, want: 0x6b},       // gs
		{num: 16, size: 4, want: 0x1000},     // fs_base, truncated to 4 bytes
		{num: 17, size: 4, want: 0xf7ff2000}, // gs_base
		{num: 18, size: 4, want: 0},          // kernel_gs_base
		{num: 19, size: 4, want: 0x80050033}, // cr0
		{num: 20, size: 4, want: 0},          // cr2
		{num: 21, size: 4, want: 4321 << 10}, // cr3
		{num: 22, size: 4, want: 0x6f0},      // cr4
		{num: 23, size: 4, want: 0},          // cr8
		{num: 24, size: 4, want: 0xd01},      // efer
		{num: 33, size: 4, want: 0x037f},     // fctrl
		{num: 34, size: 4, want: 0x3021},     // fstat with TOP=6
		{num: 35, size: 4, want: 0x4ffe},     // ftag: R7 zero, R6 valid, R0 special, rest empty
		{num: 36, size: 4, want: 0x1234},     // fiseg
		{num: 37, size: 4, want: 0x87654321}, // fioff
		{num: 38, size: 4, want: 0x5678},     // foseg
		{num: 39, size: 4, want: 0x11223344}, // fooff
		{num: 40, size: 4, want: 0x7d9},      // fop (11 bits)
		{num: 49, size: 4, want: 0x1fa0},     // mxcsr
		{num: 72, size: 4, want: 0x11000},    // cs_base, truncated
		{num: 73, size: 4, want: 0x22000},    // ss_base
		{num: 74, size: 4, want: 0xfffff000}, // tr_base
		{num: 106, size: 4, want: 3},         // cpl
	}
	// st0..st7 from the top of the stack (physical 6): 1.0, +0, the NaN
	// in physical 0, then physical 1..5.
	for i := 0; i < 8; i++ {
		tests = append(tests, regWant{num: 25 + i, size: 10, full: f80Bytes(c.X87.St[(6+i)&7])})
	}
	for i := 0; i < 8; i++ {
		tests = append(tests, regWant{num: 41 + i, size: 16, full: xmmBytes(c.XMM[i])})
	}
	checkRegs(t, c, tests)
	// Spelled out: st0 is 1.0 and st2 the NaN.
	if val, _ := c.GDBRegister(25); le(val[:8]) != 0x8000000000000000 || binary.LittleEndian.Uint16(val[8:]) != 0x3fff {
		t.Errorf("st0 = % x", val[:10])
	}
	if val, _ := c.GDBRegister(27); le(val[:8]) != 0xc000000000000000 || binary.LittleEndian.Uint16(val[8:]) != 0x7fff {
		t.Errorf("st2 = % x", val[:10])
	}
	if n := c.GDBNumRegs(); n != 107 {
		t.Errorf("GDBNumRegs = %d", n)
	}
}

func TestGDBRegisterAMD64(t *testing.T) {
	c := regCPU(64)
	c.CR3 = UserCR3(64, 4194303) // the highest Linux pid
	flags := c.Flags()
	tests := []regWant{
		{num: 0, size: 8, want: 0x1111111111111111},   // rax = R[0]
		{num: 1, size: 8, want: 0x4444444444444444},   // rbx = R[3]
		{num: 2, size: 8, want: 0x2222222222222222},   // rcx = R[1]
		{num: 3, size: 8, want: 0x3333333333333333},   // rdx = R[2]
		{num: 4, size: 8, want: 0x7777777777777777},   // rsi = R[6]
		{num: 5, size: 8, want: 0x8888888888888888},   // rdi = R[7]
		{num: 6, size: 8, want: 0x6666666666666666},   // rbp = R[5]
		{num: 7, size: 8, want: 0x5555555555555555},   // rsp = R[4]
		{num: 8, size: 8, want: 0x9999999999999999},   // r8
		{num: 9, size: 8, want: 0xaaaaaaaaaaaaaaaa},   // r9
		{num: 10, size: 8, want: 0xbbbbbbbbbbbbbbbb},  // r10
		{num: 11, size: 8, want: 0xcccccccccccccccc},  // r11
		{num: 12, size: 8, want: 0xdddddddddddddddd},  // r12
		{num: 13, size: 8, want: 0xeeeeeeeeeeeeeeee},  // r13
		{num: 14, size: 8, want: 0xffffffffffffffff},  // r14
		{num: 15, size: 8, want: 0x1111111111111110},  // r15 (16 * 0x11.. wraps)
		{num: 16, size: 8, want: 0x0123456789abcdef},  // rip
		{num: 17, size: 4, want: flags},               // eflags
		{num: 18, size: 4, want: 0x23},                // cs
		{num: 19, size: 4, want: 0x2a},                // ss
		{num: 20, size: 4, want: 0x2c},                // ds
		{num: 21, size: 4, want: 0x2b},                // es
		{num: 22, size: 4, want: 0x63},                // fs
		{num: 23, size: 4, want: 0x6b},                // gs
		{num: 24, size: 8, want: 0x7fff00001000},      // fs_base
		{num: 25, size: 8, want: 0xf7ff2000},          // gs_base
		{num: 26, size: 8, want: 0},                   // kernel_gs_base
		{num: 27, size: 8, want: 0x80050033},          // cr0
		{num: 28, size: 8, want: 0},                   // cr2
		{num: 29, size: 8, want: 4194303 << 12},       // cr3
		{num: 30, size: 8, want: 0x6f0},               // cr4
		{num: 31, size: 8, want: 0},                   // cr8
		{num: 32, size: 8, want: 0xd01},               // efer
		{num: 41, size: 4, want: 0x037f},              // fctrl
		{num: 42, size: 4, want: 0x3021},              // fstat
		{num: 43, size: 4, want: 0x4ffe},              // ftag
		{num: 44, size: 4, want: 0x1234},              // fiseg
		{num: 45, size: 4, want: 0x87654321},          // fioff
		{num: 46, size: 4, want: 0x5678},              // foseg
		{num: 47, size: 4, want: 0x11223344},          // fooff
		{num: 48, size: 4, want: 0x7d9},               // fop
		{num: 65, size: 4, want: 0x1fa0},              // mxcsr
		{num: 72, size: 8, want: 0x7fff00011000},      // cs_base
		{num: 73, size: 8, want: 0x22000},             // ss_base
		{num: 154, size: 8, want: 0xfffffe0000003000}, // tr_base
		{num: 250, size: 4, want: 3},                  // cpl
	}
	for i := 0; i < 8; i++ {
		tests = append(tests, regWant{num: 33 + i, size: 10, full: f80Bytes(c.X87.St[(6+i)&7])})
	}
	for i := 0; i < 16; i++ {
		tests = append(tests, regWant{num: 49 + i, size: 16, full: xmmBytes(c.XMM[i])})
	}
	checkRegs(t, c, tests)
	if n := c.GDBNumRegs(); n != 251 {
		t.Errorf("GDBNumRegs = %d", n)
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
		{"CR3", RegsOffCR3, 696},
		{"CR0", unsafe.Offsetof(Regs{}.CR0), 704},
		{"CR2", unsafe.Offsetof(Regs{}.CR2), 712},
		{"CR4", unsafe.Offsetof(Regs{}.CR4), 720},
		{"CR8", unsafe.Offsetof(Regs{}.CR8), 728},
		{"EFER", unsafe.Offsetof(Regs{}.EFER), 736},
		{"KernelGSBase", unsafe.Offsetof(Regs{}.KernelGSBase), 744},
		{"CPL", unsafe.Offsetof(Regs{}.CPL), 752},
		{"TRBase", unsafe.Offsetof(Regs{}.TRBase), 760},
		{"F80 SE", unsafe.Offsetof(F80{}.SE), 8},
		{"F80 size", F80Size, 16},
		{"Regs size", RegsSize, 768},
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
// number, sizes as regnum.h lists them, every offset inside Regs, and
// absent slots exactly in the gaps of the numbering.
func TestRegTableSlots(t *testing.T) {
	for _, tc := range []struct {
		mode int
		sys  bool
	}{{32, false}, {64, false}, {32, true}, {64, true}} {
		mode, tab := tc.mode, RegTable(tc.mode)
		c := New(mode, nil)
		if tc.sys {
			tab, c.Priv = SysRegTable(mode), &System{}
		}
		if len(tab) != c.GDBNumRegs() {
			t.Errorf("mode %d: %d slots, GDBNumRegs %d", mode, len(tab), c.GDBNumRegs())
		}
		word := uint8(mode / 8)
		eflags, gap := 9, func(n int) bool { return n >= 50 && n < 72 || n >= 75 && n < 106 }
		if mode == 64 {
			eflags, gap = 17, func(n int) bool { return n >= 66 && n < 72 || n >= 74 && n < 154 || n >= 155 && n < 250 }
		}
		for n, s := range tab {
			if gap(n) {
				if s != (RegSlot{}) {
					t.Errorf("mode %d reg %d (a gap): %+v", mode, n, s)
				}
				continue
			}
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

// gdbRegisterRef reads register num field by field, following the
// numbering of include/regnum.h: the reference the table-driven reader
// must match.
func gdbRegisterRef(c *CPU, num int) (val [16]byte, size int) {
	ngpr, word, nxmm := 8, 4, 8
	tr, trBase, cplNum := 74, uint64(0xfffff000), 106
	if c.ProcMode == 64 {
		ngpr, word, nxmm = 16, 8, 16
		tr, trBase, cplNum = 154, 0xfffffe0000003000, 250
	}
	sysRegs := [9]uint64{c.SegBase[FS], c.SegBase[GS], 0, 0x80050033, 0, c.CR3, 0x6f0, 0, 0xd01}
	cpl := uint64(3)
	if c.Priv != nil {
		sysRegs = [9]uint64{c.SegBase[FS], c.SegBase[GS], c.KernelGSBase, c.CR0, c.CR2, c.CR3, c.CR4, c.CR8, c.EFER}
		trBase, cpl = c.TRBase, uint64(c.CPL)
	}
	put := func(v uint64, n int) ([16]byte, int) {
		binary.LittleEndian.PutUint64(val[:8], v&sizeMask[n])
		return val, n
	}
	x := &c.X87
	seg := ngpr + 2 // cs
	sys := seg + 6  // fs_base
	st := sys + 9   // st0
	xmm := st + 16  // xmm0
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
	case num < sys:
		return put(uint64(c.Seg[gdbSeg[num-seg]]), 4)
	case num < st:
		return put(sysRegs[num-sys], word)
	case num < st+8:
		f := x.STReg(num - st)
		binary.LittleEndian.PutUint64(val[:8], f.Mant)
		binary.LittleEndian.PutUint16(val[8:10], f.SE)
		return val, 10
	case num < xmm:
		v := [8]uint64{uint64(x.CW), uint64(x.FullStatus()), uint64(x.FullTag()),
			x.FIP >> 32 & 0xffff, x.FIP & 0xffffffff, x.FDP >> 32 & 0xffff, x.FDP & 0xffffffff,
			uint64(x.FOP & 0x7ff)}
		return put(v[num-st-8], 4)
	case num < xmm+nxmm:
		i := num - xmm
		binary.LittleEndian.PutUint64(val[:8], c.XMM[i][0])
		binary.LittleEndian.PutUint64(val[8:], c.XMM[i][1])
		return val, 16
	case num == xmm+nxmm:
		return put(uint64(c.MXCSR), 4)
	case num == 72:
		return put(c.SegBase[CS], word)
	case num == 73:
		return put(c.SegBase[SS], word)
	case num == tr:
		return put(trBase, word)
	case num == cplNum:
		return put(cpl, 4)
	}
	return val, 0
}

// TestGDBRegisterMatchesReference fills every register with random bits
// (and random lazy flags and x87 stack) and compares every register
// number of both tables, in user and in system mode (the control
// registers, EFER, kernel_gs_base, tr_base and CPL random too), with the
// field-by-field reference.
func TestGDBRegisterMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 13))
	for _, mode := range []int{32, 64, 32 + 1, 64 + 1} {
		sys := mode&1 != 0
		mode &^= 1
		for round := 0; round < 200; round++ {
			c := New(mode, nil)
			c.CR0, c.CR2, c.CR4, c.CR8 = rng.Uint64(), rng.Uint64(), rng.Uint64(), rng.Uint64()
			c.EFER, c.KernelGSBase, c.TRBase = rng.Uint64(), rng.Uint64(), rng.Uint64()
			c.CPL = rng.IntN(4)
			if sys {
				c.Priv = &System{}
			}
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
			c.CR3 = rng.Uint64()
			size := []int{1, 2, 4, 8}[rng.IntN(4)]
			c.SetLazy(uint8(rng.IntN(int(LazyRes)+1)), size, rng.Uint64()&sizeMask[size],
				rng.Uint64()&sizeMask[size], rng.Uint64()&sizeMask[size])
			for num := -1; num <= c.GDBNumRegs(); num++ {
				gv, gs := c.GDBRegister(num)
				wv, ws := gdbRegisterRef(c, num)
				if gv != wv || gs != ws {
					t.Fatalf("mode %d system %v reg %d: got % x size %d, want % x size %d", mode, sys, num, gv, gs, wv, ws)
				}
			}
		}
	}
}

// TestGDBRegisterSystem: in system mode the control registers, EFER,
// kernel_gs_base, tr_base and cpl are the CPU's (values as an amd64
// Linux kernel runs with), under the same numbers as in user mode.
func TestGDBRegisterSystem(t *testing.T) {
	for _, mode := range []int{32, 64} {
		c := New(mode, nil)
		c.Priv = &System{}
		c.CR0, c.CR2, c.CR3, c.CR4 = 0x80050033, 0xffffc90000123458, 0x10e2000, 0x3506f0
		c.CR8, c.EFER, c.KernelGSBase = 0, 0xd01, 0xffff88800f600000
		c.TRBase, c.CPL = 0xfffffe0000003000, 3
		c.SegBase[CS], c.SegBase[SS] = 0, 0x1000
		type want struct {
			num  int
			size int
			v    uint64
		}
		tests := []want{{19, 4, 0x80050033}, {20, 4, 0x00123458}, {21, 4, 0x10e2000}, {22, 4, 0x3506f0},
			{23, 4, 0}, {24, 4, 0xd01}, {18, 4, 0x0f600000}, {73, 4, 0x1000}, {74, 4, 0x00003000}, {106, 4, 3}}
		if mode == 64 {
			tests = []want{{27, 8, 0x80050033}, {28, 8, 0xffffc90000123458}, {29, 8, 0x10e2000}, {30, 8, 0x3506f0},
				{31, 8, 0}, {32, 8, 0xd01}, {26, 8, 0xffff88800f600000}, {73, 8, 0x1000},
				{154, 8, 0xfffffe0000003000}, {250, 4, 3}}
		}
		for _, w := range tests {
			val, size := c.GDBRegister(w.num)
			if size != w.size || binary.LittleEndian.Uint64(val[:8]) != w.v {
				t.Errorf("mode %d reg %d: % x size %d, want %#x size %d", mode, w.num, val[:size], size, w.v, w.size)
			}
		}
		// CPL 0: the kernel.
		c.CPL = 0
		num := 106
		if mode == 64 {
			num = 250
		}
		if val, size := c.GDBRegister(num); size != 4 || val[0] != 0 {
			t.Errorf("mode %d: cpl 0 reads % x", mode, val[:size])
		}
	}
}
