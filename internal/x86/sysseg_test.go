package x86

import (
	"testing"

	"gemu/internal/mem"
)

// System-mode test machine: a GDT, an LDT, a TSS, an IDT and kernel
// stacks in flat (user-mode Space) memory at fixed addresses, on a CPU
// from newTestCPU with Priv set.
const (
	sysGDT    = 0x50000
	sysTSS    = 0x52000
	sysLDT    = 0x53000
	sysIDT    = 0x54000
	sysIST1   = 0x5e000
	sysKStack = 0x5f000
)

// GDT selectors of the test machine.
const (
	selKCode32 = 0x08
	selKData   = 0x10
	selUCode32 = 0x1b // index 3, RPL 3
	selUData   = 0x23 // index 4, RPL 3
	selTSS32   = 0x28
	selKCode64 = 0x30
	selUCode64 = 0x3b
	selNPData  = 0x40 // not present
	selLDTDesc = 0x48
	selCode16  = 0x50
	selROData  = 0x58
	selTSS64   = 0x60 // 16 bytes: entries 12 and 13
	selBased   = 0x70 // data at base 0x12345678, DPL 0
	selKCodeC  = 0x78 // conforming code, DPL 0
	selTSS2    = 0x80 // a second 32-bit TSS at sysTSS+0x100
)

// desc builds an 8-byte descriptor: base, limit (20 bits), access byte
// (P, DPL, S, type) and flags nibble (G, D/B, L, AVL).
func desc(base, limit uint32, access, flags uint8) uint64 {
	lo := uint64(limit&0xffff) | uint64(base&0xffff)<<16
	hi := uint64(base>>16&0xff) | uint64(access)<<8 | uint64(limit>>16&0xf)<<16 |
		uint64(flags)<<20 | uint64(base>>24)<<24
	return lo | hi<<32
}

// gate32 builds a protected-mode IDT gate.
func gate32(sel uint16, off uint32, typ, dpl uint8) uint64 {
	lo := uint64(off&0xffff) | uint64(sel)<<16
	hi := uint64(off&0xffff0000) | uint64(0x80|dpl<<5|typ)<<8
	return lo | hi<<32
}

// setGate64 writes a long-mode IDT gate.
func setGate64(c *CPU, v int, sel uint16, off uint64, typ, dpl uint8, ist int) {
	lo := gate32(sel, uint32(off), typ, dpl) | uint64(ist)<<32
	c.Mem.Store64(sysIDT+uint64(v)*16, lo)
	c.Mem.Store64(sysIDT+uint64(v)*16+8, off>>32)
}

// userMMU records the access mode the CPU set last.
type userMMU struct{ user bool }

func (m *userMMU) SetPaging(cr0, cr3, cr4, efer uint64) {}
func (m *userMMU) SetUser(user bool)                    { m.user = user }
func (m *userMMU) FlushTLB(global bool)                 {}
func (m *userMMU) FlushPage(va uint64)                  {}

// newSysCPU returns a system-mode CPU running code at testCode in the
// given mode (64: long mode; 32 with long: compatibility mode) at
// privilege level cpl, with the test machine's tables loaded and flat
// segments for that level.
func newSysCPU(t *testing.T, mode int, long bool, cpl int, code []byte) (*CPU, *userMMU) {
	t.Helper()
	c := newTestCPU(t, mode, code)
	if err := c.Mem.Space.Map(0x50000, 0x10000, mem.Read|mem.Write); err != nil {
		t.Fatal(err)
	}
	mmu := &userMMU{user: cpl == 3}
	p := &System{MMU: mmu}
	c.CR0, c.CPL = CR0PE, cpl
	if long {
		c.CR0 |= 1 << 31
		c.EFER = EFERLMA | 1<<8 | EFERSCE
	}
	c.Priv = p
	gdt := map[uint16]uint64{
		selKCode32: desc(0, 0xfffff, 0x9a, 0xc),
		selKData:   desc(0, 0xfffff, 0x92, 0xc),
		selUCode32: desc(0, 0xfffff, 0xfa, 0xc),
		selUData:   desc(0, 0xfffff, 0xf2, 0xc),
		selTSS32:   desc(sysTSS, 0x67, 0x89, 0),
		selKCode64: desc(0, 0xfffff, 0x9a, 0xa),
		selUCode64: desc(0, 0xfffff, 0xfa, 0xa),
		selNPData:  desc(0, 0xfffff, 0x12, 0xc),
		selLDTDesc: desc(sysLDT, 0x17, 0x82, 0),
		selCode16:  desc(0, 0xffff, 0x9a, 0),
		selROData:  desc(0, 0xfffff, 0x90, 0xc),
		selTSS64:   desc(sysTSS, 0x67, 0x89, 0),
		selBased:   desc(0x12345678, 0xfff, 0x92, 0x4),
		selKCodeC:  desc(0, 0xfffff, 0x9e, 0xc),
		selTSS2:    desc(sysTSS+0x100, 0x67, 0x89, 0),
	}
	for sel, d := range gdt {
		c.Mem.Store64(sysGDT+uint64(sel&^7), d)
	}
	// LDT entry 1 (selector 0x0f): user data.
	c.Mem.Store64(sysLDT+8, desc(0x1000, 0xfffff, 0xf2, 0xc))
	p.GDTR = DescTable{Base: sysGDT, Limit: 32*8 - 1}
	if long {
		p.IDTR = DescTable{Base: sysIDT, Limit: 256*16 - 1}
		c.Mem.Store64(sysTSS+4, sysKStack+8) // RSP0, not 16-byte aligned
		c.Mem.Store64(sysTSS+0x24, sysIST1)  // IST1
		p.TR = SegCache{Sel: selTSS64, Base: sysTSS, Limit: 0x67, Attr: 0x8b}
	} else {
		p.IDTR = DescTable{Base: sysIDT, Limit: 256*8 - 1}
		c.Mem.Store32(sysTSS+4, sysKStack) // ESP0
		c.Mem.Store16(sysTSS+8, selKData)  // SS0
		p.TR = SegCache{Sel: selTSS32, Base: sysTSS, Limit: 0x67, Attr: 0x8b}
	}
	load := func(seg int, sel uint16) {
		d, ok := c.fetchDesc(sel, false)
		if !ok {
			t.Fatalf("selector %#x", sel)
		}
		c.putSeg(seg, d.cache(sel))
	}
	cs, ds := uint16(selKCode32), uint16(selKData)
	switch {
	case mode == 64 && cpl == 3:
		cs, ds = selUCode64, selUData
	case mode == 64:
		cs = selKCode64
	case cpl == 3:
		cs, ds = selUCode32, selUData
	}
	load(CS, cs)
	for _, s := range []int{SS, DS, ES} {
		load(s, ds)
	}
	if mode == 64 && cpl == 0 {
		c.putSeg(SS, SegCache{})
	}
	c.SetFlags(0x202, ^uint64(0))
	return c, mmu
}

// trapOf returns the kind and code of a panic value from step, or
// (255, 0) for none.
func trapOf(t *testing.T, r any) (TrapKind, int) {
	t.Helper()
	if r == nil {
		return 255, 0
	}
	tr, ok := r.(*Trap)
	if !ok {
		t.Fatalf("panic %v (%T), want a *Trap", r, r)
	}
	return tr.Kind, tr.Code
}

// TestSysDescTables checks LGDT/LIDT/SGDT/SIDT in their operand forms
// and their privilege checks.
func TestSysDescTables(t *testing.T) {
	for _, tc := range []struct {
		name       string
		mode       int
		code       []byte
		cpl        int
		base       uint64
		limit      uint32
		trap       TrapKind
		sidt, umip bool
	}{
		// lgdt [0x20000] (32-bit: 0f 01 15 disp32; 64-bit: RIP-relative
		// is awkward, so [rax] with rax set below)
		{name: "lgdt 32", mode: 32, code: []byte{0x0f, 0x01, 0x10}, base: 0x89abcdef, limit: 0x1234, trap: 255},
		{name: "lgdt o16", mode: 32, code: []byte{0x66, 0x0f, 0x01, 0x10}, base: 0xabcdef, limit: 0x1234, trap: 255},
		{name: "lgdt 64", mode: 64, code: []byte{0x0f, 0x01, 0x10}, base: 0xfedcba9889abcdef, limit: 0x1234, trap: 255},
		{name: "lgdt cpl3", mode: 32, code: []byte{0x0f, 0x01, 0x10}, cpl: 3, trap: TrapGP},
		{name: "lidt 32", mode: 32, code: []byte{0x0f, 0x01, 0x18}, base: 0x89abcdef, limit: 0x1234, trap: 255, sidt: true},
		{name: "lgdt reg", mode: 32, code: []byte{0x0f, 0x01, 0xd0}, trap: TrapInvalidOp},
	} {
		c, _ := newSysCPU(t, tc.mode, tc.mode == 64, tc.cpl, tc.code)
		c.R[RAX] = testData
		c.Mem.Store16(testData, 0x1234)
		c.Mem.Store64(testData+2, 0xfedcba9889abcdef)
		k, code := trapOf(t, step(c))
		if k != tc.trap || code != 0 {
			t.Errorf("%s: trap %d code %#x, want %d", tc.name, k, code, tc.trap)
			continue
		}
		if k != 255 {
			continue
		}
		got := c.Priv.GDTR
		if tc.sidt {
			got = c.Priv.IDTR
		}
		if got.Base != tc.base || got.Limit != tc.limit {
			t.Errorf("%s: table %#x/%#x, want %#x/%#x", tc.name, got.Base, got.Limit, tc.base, tc.limit)
		}
	}

	// sgdt [eax] at CPL 3 stores 6 bytes in 32-bit mode; with CR4.UMIP
	// it raises #GP(0).
	c, _ := newSysCPU(t, 32, false, 3, []byte{0x0f, 0x01, 0x00, 0x0f, 0x01, 0x00})
	c.R[RAX] = testData
	c.Mem.Store64(testData, ^uint64(0))
	if r := step(c); r != nil {
		t.Fatalf("sgdt: %v", r)
	}
	if v := c.Mem.Load64(testData); v != 0xffff000500000000|uint64(sysGDT)<<16|0xff {
		t.Errorf("sgdt stored %#x", v)
	}
	c.CR4 = segCR4UMIP
	if k, code := trapOf(t, step(c)); k != TrapGP || code != 0 {
		t.Errorf("sgdt with UMIP at CPL 3: %d %#x", k, code)
	}
	// sidt [rax] in 64-bit mode: 10 bytes.
	c, _ = newSysCPU(t, 64, true, 0, []byte{0x0f, 0x01, 0x08})
	c.R[RAX] = testData
	if r := step(c); r != nil {
		t.Fatalf("sidt: %v", r)
	}
	if l, b := c.Mem.Load16(testData), c.Mem.Load64(testData+2); l != 0xfff || b != sysIDT {
		t.Errorf("sidt 64 stored %#x %#x", l, b)
	}
}

// TestSysSegLoads checks MOV Sreg in system mode against the GDT and LDT
// with the SDM's exceptions and error codes.
func TestSysSegLoads(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode int
		cpl  int
		seg  byte // ModRM reg field: 0 ES, 2 SS, 3 DS, 4 FS, 5 GS
		sel  uint16
		kind TrapKind
		code int
		base uint64
	}{
		{"ds kdata cpl0", 32, 0, 3, selKData, 255, 0, 0},
		{"ds null", 32, 0, 3, 0, 255, 0, 0},
		{"ss null 32", 32, 0, 2, 0, TrapGP, 0, 0},
		{"ss null 64 cpl0", 64, 0, 2, 0, 255, 0, 0},
		{"ss null rpl1 64 cpl0", 64, 0, 2, 1, TrapGP, 0, 0},
		{"ss kdata cpl0", 32, 0, 2, selKData, 255, 0, 0},
		{"ss kdata rpl3 cpl0", 32, 0, 2, selKData | 3, TrapGP, selKData, 0},
		{"ss udata cpl0", 32, 0, 2, selUData, TrapGP, selUData &^ 3, 0},
		{"ss rodata", 32, 0, 2, selROData, TrapGP, selROData, 0},
		{"ss not present", 32, 0, 2, selNPData, TrapStack, selNPData, 0},
		{"ds not present", 32, 0, 3, selNPData, TrapNotPresent, selNPData, 0},
		{"ds kdata cpl3", 32, 3, 3, selKData | 3, TrapGP, selKData, 0},
		{"ds kcode (readable) cpl0", 32, 0, 3, selKCode32, 255, 0, 0},
		{"ds conforming code cpl3", 32, 3, 3, selKCodeC | 3, 255, 0, 0},
		{"ds tss", 32, 0, 3, selTSS32, TrapGP, selTSS32, 0},
		{"ds beyond gdt", 32, 0, 3, 0x100, TrapGP, 0x100, 0},
		{"ds ldt (no ldtr)", 32, 3, 3, 0x0f, TrapGP, 0x0c, 0},
		{"fs based", 32, 0, 4, selBased, 255, 0, 0x12345678},
		{"gs based 64", 64, 0, 5, selBased, 255, 0, 0x12345678},
		{"es udata cpl3", 32, 3, 0, selUData, 255, 0, 0},
	} {
		// mov eax, sel; mov sreg, eax
		code := []byte{0xb8, byte(tc.sel), byte(tc.sel >> 8), 0, 0, 0x8e, 0xc0 | tc.seg<<3}
		c, _ := newSysCPU(t, tc.mode, tc.mode == 64, tc.cpl, code)
		step(c)
		k, ec := trapOf(t, step(c))
		if k != tc.kind || ec != tc.code {
			t.Errorf("%s: trap %d code %#x, want %d %#x", tc.name, k, ec, tc.kind, tc.code)
			continue
		}
		if k != 255 {
			continue
		}
		seg := int(tc.seg)
		if c.Seg[seg] != tc.sel || c.SegBase[seg] != tc.base || c.Priv.Segs[seg].Sel != tc.sel {
			t.Errorf("%s: sel %#x base %#x, want %#x %#x", tc.name, c.Seg[seg], c.SegBase[seg], tc.sel, tc.base)
		}
		if tc.sel&^3 != 0 && c.Mem.Load8(sysGDT+uint64(tc.sel&^7)+5)&1 == 0 {
			t.Errorf("%s: accessed bit not set", tc.name)
		}
	}
}

// TestSysLdtTr checks LLDT and LTR: the busy bit, the caches, an LDT
// selector load afterwards, and the refusals.
func TestSysLdtTr(t *testing.T) {
	// mov ax, 0x48; lldt ax; mov ax, 0x28; ltr ax; mov ax, 0x0f;
	// mov ds, ax; sldt ecx; str edx
	code := []byte{
		0x66, 0xb8, selLDTDesc, 0, 0x0f, 0x00, 0xd0,
		0x66, 0xb8, selTSS32, 0, 0x0f, 0x00, 0xd8,
		0x66, 0xb8, 0x0f, 0, 0x8e, 0xd8,
		0x0f, 0x00, 0xc1, 0x0f, 0x00, 0xca,
	}
	c, _ := newSysCPU(t, 32, false, 0, code)
	c.Priv.TR = SegCache{}
	for i := 0; i < 8; i++ {
		if r := step(c); r != nil {
			t.Fatalf("step %d: %v", i, r)
		}
	}
	p := c.Priv
	if p.LDTR.Base != sysLDT || p.LDTR.Limit != 0x17 || p.LDTR.Sel != selLDTDesc {
		t.Errorf("LDTR %+v", p.LDTR)
	}
	if p.TR.Base != sysTSS || p.TR.Limit != 0x67 || p.TR.Attr&0xf != sysTypeTSSBusy {
		t.Errorf("TR %+v", p.TR)
	}
	if c.TRBase != sysTSS {
		t.Errorf("Regs.TRBase %#x, want TR's base %#x", c.TRBase, sysTSS)
	}
	if typ := c.Mem.Load8(sysGDT+selTSS32+5) & 0xf; typ != sysTypeTSSBusy {
		t.Errorf("TSS type in the GDT %#x, want busy", typ)
	}
	if c.SegBase[DS] != 0x1000 || c.Seg[DS] != 0x0f {
		t.Errorf("DS from the LDT: %#x base %#x", c.Seg[DS], c.SegBase[DS])
	}
	if c.R[RCX] != selLDTDesc || c.R[RDX] != selTSS32 {
		t.Errorf("sldt %#x str %#x", c.R[RCX], c.R[RDX])
	}
	// A second LTR of the now busy TSS: #GP(sel); LTR of a data
	// segment: #GP(sel); LLDT at CPL 3: #GP(0); LTR of an LDT selector.
	for _, tc := range []struct {
		name string
		cpl  int
		code []byte
		kind TrapKind
		ec   int
	}{
		{"ltr busy", 0, []byte{0x66, 0xb8, selTSS32, 0, 0x0f, 0x00, 0xd8}, TrapGP, selTSS32},
		{"ltr data", 0, []byte{0x66, 0xb8, selKData, 0, 0x0f, 0x00, 0xd8}, TrapGP, selKData},
		{"ltr ti", 0, []byte{0x66, 0xb8, 0x0c, 0, 0x0f, 0x00, 0xd8}, TrapGP, 0x0c},
		{"lldt cpl3", 3, []byte{0x66, 0xb8, selLDTDesc, 0, 0x0f, 0x00, 0xd0}, TrapGP, 0},
		{"lldt tss", 0, []byte{0x66, 0xb8, selTSS64, 0, 0x0f, 0x00, 0xd0}, TrapGP, selTSS64},
	} {
		c, _ := newSysCPU(t, 32, false, tc.cpl, tc.code)
		c.Mem.Store8(sysGDT+selTSS32+5, 0x8b)
		step(c)
		if k, ec := trapOf(t, step(c)); k != tc.kind || ec != tc.ec {
			t.Errorf("%s: %d %#x, want %d %#x", tc.name, k, ec, tc.kind, tc.ec)
		}
	}
	// Long mode: LTR reads the 16-byte TSS descriptor's upper base.
	c, _ = newSysCPU(t, 64, true, 0, []byte{0x66, 0xb8, selTSS64, 0, 0x0f, 0x00, 0xd8})
	c.Mem.Store32(sysGDT+selTSS64+8, 0xffff8000)
	step(c)
	if r := step(c); r != nil {
		t.Fatal(r)
	}
	if c.Priv.TR.Base != 0xffff8000_00000000|sysTSS {
		t.Errorf("64-bit TR base %#x", c.Priv.TR.Base)
	}
}

// TestSysLarLsl checks LAR, LSL, VERR and VERW against the real GDT.
func TestSysLarLsl(t *testing.T) {
	for _, tc := range []struct {
		name string
		cpl  int
		op   []byte // applied to eax (result) and ecx (selector)
		sel  uint16
		zf   bool
		val  uint64
	}{
		{"lar kcode cpl0", 0, []byte{0x0f, 0x02, 0xc1}, selKCode32, true, 0x00cf9a00},
		{"lar kcode cpl3", 3, []byte{0x0f, 0x02, 0xc1}, selKCode32 | 3, false, 0},
		{"lar ucode cpl3", 3, []byte{0x0f, 0x02, 0xc1}, selUCode32, true, 0x00cffa00},
		{"lar tss cpl0", 0, []byte{0x0f, 0x02, 0xc1}, selTSS32, true, 0x00008900},
		{"lsl based", 0, []byte{0x0f, 0x03, 0xc1}, selBased, true, 0xfff},
		{"lsl kdata", 0, []byte{0x0f, 0x03, 0xc1}, selKData, true, 0xffffffff},
		{"lsl null", 0, []byte{0x0f, 0x03, 0xc1}, 0, false, 0},
		{"verr kcode", 0, []byte{0x0f, 0x00, 0xe1}, selKCode32, true, 0},
		{"verw kcode", 0, []byte{0x0f, 0x00, 0xe9}, selKCode32, false, 0},
		{"verw kdata", 0, []byte{0x0f, 0x00, 0xe9}, selKData, true, 0},
		{"verw rodata", 0, []byte{0x0f, 0x00, 0xe9}, selROData, false, 0},
		{"verr conforming cpl3", 3, []byte{0x0f, 0x00, 0xe1}, selKCodeC | 3, true, 0},
		{"verr tss", 0, []byte{0x0f, 0x00, 0xe1}, selTSS32, false, 0},
	} {
		c, _ := newSysCPU(t, 32, false, tc.cpl, tc.op)
		c.R[RCX] = uint64(tc.sel)
		c.R[RAX] = 0x5555
		if r := step(c); r != nil {
			t.Fatalf("%s: %v", tc.name, r)
		}
		if c.ZF() != tc.zf {
			t.Errorf("%s: ZF %v", tc.name, c.ZF())
			continue
		}
		if tc.op[1] != 0x00 && tc.zf && c.R[RAX] != tc.val {
			t.Errorf("%s: %#x, want %#x", tc.name, c.R[RAX], tc.val)
		}
		if tc.op[1] != 0x00 && !tc.zf && c.R[RAX] != 0x5555 {
			t.Errorf("%s: destination written", tc.name)
		}
	}
}

// TestSysFarTransfers checks far JMP, CALL and RET in system mode: mode
// switches, the privilege checks, and a far return to CPL 3.
func TestSysFarTransfers(t *testing.T) {
	// ljmp 0x30:0x10007 from 32-bit kernel code in long mode
	// (compatibility mode) enters 64-bit code.
	c, _ := newSysCPU(t, 32, true, 0, []byte{0xea, 7, 0, 1, 0, selKCode64, 0})
	if r := step(c); r != nil {
		t.Fatal(r)
	}
	if c.Mode != 64 || c.RIP != 0x10007 || c.Seg[CS] != selKCode64 || c.AddrMask != ^uint64(0) {
		t.Errorf("ljmp to 64-bit code: mode %d rip %#x cs %#x", c.Mode, c.RIP, c.Seg[CS])
	}
	for _, tc := range []struct {
		name string
		cpl  int
		sel  uint16
		kind TrapKind
		ec   int
	}{
		{"ljmp ucode from cpl0", 0, selUCode32, TrapGP, selUCode32 &^ 3},
		{"ljmp kcode from cpl3", 3, selKCode32 | 3, TrapGP, selKCode32},
		{"ljmp conforming from cpl3", 3, selKCodeC | 3, 255, 0},
		{"ljmp data", 0, selKData, TrapGP, selKData},
		{"ljmp 16-bit code", 0, selCode16, TrapGP, selCode16},
		{"ljmp tss", 0, selTSS32, TrapGP, selTSS32},
		{"ljmp null", 0, 0, TrapGP, 0},
	} {
		c, _ := newSysCPU(t, 32, false, tc.cpl, []byte{0xea, 7, 0, 1, 0, byte(tc.sel), 0})
		if k, ec := trapOf(t, step(c)); k != tc.kind || ec != tc.ec {
			t.Errorf("%s: %d %#x, want %d %#x", tc.name, k, ec, tc.kind, tc.ec)
		}
		if tc.kind == 255 && (c.Seg[CS] != selKCodeC|3 || c.CPL != 3) {
			t.Errorf("%s: cs %#x cpl %d", tc.name, c.Seg[CS], c.CPL)
		}
	}
	// lcall 0x08:0x10008 at CPL 0 pushes CS and EIP; then a far return
	// to CPL 3: push 0x23 (ss); push 0x3000 (esp); push 0x1b; push off;
	// lret.
	code := []byte{0x9a, 8, 0, 1, 0, selKCode32, 0, 0x90,
		0x6a, selUData, 0x68, 0, 0x30, 0, 0, 0x6a, selUCode32, 0x68, 0x40, 0, 1, 0, 0xcb}
	c, mmu := newSysCPU(t, 32, false, 0, code)
	sp := c.R[RSP]
	if r := step(c); r != nil {
		t.Fatal(r)
	}
	if c.RIP != 0x10008 || c.R[RSP] != sp-8 || c.Mem.Load32(sp-4) != selKCode32 || c.Mem.Load32(sp-8) != 0x10007 {
		t.Errorf("lcall: rip %#x sp %#x frame %#x %#x", c.RIP, c.R[RSP], c.Mem.Load32(sp-4), c.Mem.Load32(sp-8))
	}
	c.Priv.Segs[DS] = SegCache{Sel: selKData, Attr: 0x93 | AttrDB | AttrG}
	c.Seg[DS] = selKData
	for i := 0; i < 5; i++ {
		if r := step(c); r != nil {
			t.Fatal(r)
		}
	}
	if c.CPL != 3 || c.Seg[CS] != selUCode32 || c.Seg[SS] != selUData || c.R[RSP] != 0x3000 || c.RIP != 0x10040 {
		t.Errorf("lret to CPL 3: cpl %d cs %#x ss %#x esp %#x rip %#x", c.CPL, c.Seg[CS], c.Seg[SS], c.R[RSP], c.RIP)
	}
	if c.Seg[DS] != 0 || c.Seg[ES] != 0 {
		t.Errorf("lret to CPL 3 kept DS %#x ES %#x (DPL 0)", c.Seg[DS], c.Seg[ES])
	}
	if !mmu.user {
		t.Error("the MMU was not switched to user accesses")
	}
}
