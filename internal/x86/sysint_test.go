package x86

import (
	"errors"
	"testing"

	"gemu/internal/mem"
)

// setGate32 writes a protected-mode IDT gate of the test machine.
func setGate32(c *CPU, v int, sel uint16, off uint32, typ, dpl uint8) {
	c.Mem.Store64(sysIDT+uint64(v)*8, gate32(sel, off, typ, dpl))
}

// frame32 reads n dwords from sp up.
func frame32(c *CPU, sp uint64, n int) []uint64 {
	f := make([]uint64, n)
	for i := range f {
		f[i] = uint64(c.Mem.Load32(sp + 4*uint64(i)))
	}
	return f
}

// frame64 reads n qwords from sp up.
func frame64(c *CPU, sp uint64, n int) []uint64 {
	f := make([]uint64, n)
	for i := range f {
		f[i] = c.Mem.Load64(sp + 8*uint64(i))
	}
	return f
}

func eq(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestSysInt32 runs int $0x80 at CPL 3 through a DPL 3 trap gate (the
// stack switch to SS0:ESP0 of the TSS, the five-dword frame) and the
// IRET back to CPL 3, in 32-bit protected mode.
func TestSysInt32(t *testing.T) {
	code := []byte{0xcd, 0x80}
	c, mmu := newSysCPU(t, 32, false, 3, code)
	c.Mem.Space.Poke(0x10100, []byte{0xcf}) // the handler: iret
	setGate32(c, 0x80, selKCode32, 0x10100, sysTypeTrapGate, 3)
	usp := c.R[RSP]
	if r := step(c); r != nil {
		t.Fatal(r)
	}
	if mmu.user {
		t.Error("after int: the MMU still makes user accesses")
	}
	if c.CPL != 0 || c.Seg[CS] != selKCode32 || c.Seg[SS] != selKData || c.RIP != 0x10100 {
		t.Fatalf("after int: cpl %d cs %#x ss %#x rip %#x", c.CPL, c.Seg[CS], c.Seg[SS], c.RIP)
	}
	if c.R[RSP] != sysKStack-20 {
		t.Fatalf("esp %#x, want %#x", c.R[RSP], sysKStack-20)
	}
	want := []uint64{0x10002, selUCode32, 0x202, usp, selUData}
	if f := frame32(c, c.R[RSP], 5); !eq(f, want) {
		t.Errorf("frame %#x, want %#x", f, want)
	}
	if c.Flags()&FlagIF == 0 {
		t.Error("a trap gate cleared IF")
	}
	// Kernel data in DS, as the handler would load: IRET to CPL 3 must
	// null it.
	c.sysLoadSeg(DS, selKData)
	if r := step(c); r != nil {
		t.Fatal(r)
	}
	if c.CPL != 3 || c.Seg[CS] != selUCode32 || c.Seg[SS] != selUData || c.R[RSP] != usp || c.RIP != 0x10002 {
		t.Errorf("after iret: cpl %d cs %#x ss %#x esp %#x rip %#x", c.CPL, c.Seg[CS], c.Seg[SS], c.R[RSP], c.RIP)
	}
	if c.Seg[DS] != 0 || c.Seg[ES] != selUData {
		t.Errorf("after iret: ds %#x es %#x, want 0 and %#x", c.Seg[DS], c.Seg[ES], selUData)
	}
	if !mmu.user {
		t.Error("after iret: the MMU was not switched to user accesses")
	}

	// A gate of DPL 0: #GP(0x80*8+2), nothing changed.
	c, _ = newSysCPU(t, 32, false, 3, code)
	setGate32(c, 0x80, selKCode32, 0x10100, sysTypeTrapGate, 0)
	if k, ec := trapOf(t, step(c)); k != TrapGP || ec != 0x402 {
		t.Errorf("int through a DPL 0 gate: %d %#x", k, ec)
	}
	if c.CPL != 3 || c.R[RSP] != usp {
		t.Errorf("refused int changed state: cpl %d esp %#x", c.CPL, c.R[RSP])
	}
	// A bad TSS stack segment: #TS(sel).
	c, _ = newSysCPU(t, 32, false, 3, code)
	setGate32(c, 0x80, selKCode32, 0x10100, sysTypeIntGate, 3)
	c.Mem.Store16(sysTSS+8, selUData)
	if k, ec := trapOf(t, step(c)); k != TrapTS || ec != selUData&^3 {
		t.Errorf("int with SS0 = user data: %d %#x", k, ec)
	}
	// int3 at CPL 0 through an interrupt gate: no stack switch, IF
	// cleared, the frame holds the next EIP.
	c, _ = newSysCPU(t, 32, false, 0, []byte{0xcc})
	setGate32(c, 3, selKCode32, 0x10200, sysTypeIntGate, 3)
	sp := c.R[RSP]
	if r := step(c); r != nil {
		t.Fatal(r)
	}
	if f := frame32(c, sp-12, 3); !eq(f, []uint64{0x10001, selKCode32, 0x202}) || c.R[RSP] != sp-12 || c.Flags()&FlagIF != 0 {
		t.Errorf("int3: frame %#x esp %#x flags %#x", f, c.R[RSP], c.Flags())
	}
}

// TestSysExceptions32 delivers exceptions with DeliverTrap: error codes,
// CR2, a fault during delivery (EXT set), #DF and the triple fault.
func TestSysExceptions32(t *testing.T) {
	setup := func() *CPU {
		c, _ := newSysCPU(t, 32, false, 0, []byte{0x90})
		for _, v := range []int{0, 6, 8, 11, 13, 14} {
			setGate32(c, v, selKCode32, 0x11000+uint32(v), sysTypeIntGate, 0)
		}
		c.RIP = 0x10000
		return c
	}
	for _, tc := range []struct {
		name  string
		trap  *Trap
		edit  func(c *CPU)
		rip   uint64
		frame []uint64 // from ESP up
		cr2   uint64
	}{
		{name: "gp with code", trap: &Trap{Kind: TrapGP, Code: 0x28}, rip: 0x1100d,
			frame: []uint64{0x28, 0x10000, selKCode32, 0x202}},
		{name: "de no code", trap: &Trap{Kind: TrapDivide}, rip: 0x11000,
			frame: []uint64{0x10000, selKCode32, 0x202}},
		{name: "pf", trap: &Trap{Kind: TrapPage, Mem: &mem.Fault{Addr: 0xdead000, Code: 6}}, rip: 0x1100e,
			frame: []uint64{6, 0x10000, selKCode32, 0x202}, cr2: 0xdead000},
		{name: "ud gate not present -> np(EXT)", trap: &Trap{Kind: TrapInvalidOp},
			edit: func(c *CPU) { c.Mem.Store8(sysIDT+6*8+5, 0x0e) }, rip: 0x1100b,
			frame: []uint64{6*8 + 2 + 1, 0x10000, selKCode32, 0x202}},
		{name: "gp gate not present -> df", trap: &Trap{Kind: TrapGP},
			edit: func(c *CPU) { c.Mem.Store8(sysIDT+13*8+5, 0x0e) }, rip: 0x11008,
			frame: []uint64{0, 0x10000, selKCode32, 0x202}},
		{name: "pf gate beyond idt limit -> df", trap: &Trap{Kind: TrapPage, Mem: &mem.Fault{Addr: 0x1000, Code: 2}},
			edit: func(c *CPU) { c.Priv.IDTR.Limit = 14*8 - 1 }, rip: 0x11008,
			frame: []uint64{0, 0x10000, selKCode32, 0x202}, cr2: 0x1000},
		{name: "ud gate selector beyond gdt -> gp(sel|EXT)", trap: &Trap{Kind: TrapInvalidOp},
			edit: func(c *CPU) { c.Mem.Store16(sysIDT+6*8+2, 0x88) }, rip: 0x1100d,
			frame: []uint64{0x89, 0x10000, selKCode32, 0x202}},
	} {
		c := setup()
		if tc.edit != nil {
			tc.edit(c)
		}
		sp := c.R[RSP]
		if err := c.DeliverTrap(tc.trap); err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		n := len(tc.frame)
		if f := frame32(c, sp-4*uint64(n), n); !eq(f, tc.frame) || c.R[RSP] != sp-4*uint64(n) {
			t.Errorf("%s: frame %#x esp %#x, want %#x", tc.name, f, c.R[RSP], tc.frame)
		}
		if c.RIP != tc.rip || c.CR2 != tc.cr2 || c.Flags()&FlagIF != 0 {
			t.Errorf("%s: rip %#x cr2 %#x flags %#x", tc.name, c.RIP, c.CR2, c.Flags())
		}
	}
	// The single-step trap sets DR6.BS and keeps DR6's other bits.
	c := setup()
	setGate32(c, 1, selKCode32, 0x11001, sysTypeIntGate, 0)
	c.Priv.DR[6] = 0xffff0ff1
	if err := c.DeliverTrap(&Trap{Kind: TrapDebug}); err != nil || c.Priv.DR[6] != 0xffff4ff1 || c.RIP != 0x11001 {
		t.Errorf("single-step #DB: %v, DR6 %#x rip %#x", err, c.Priv.DR[6], c.RIP)
	}
	// #GP with gates 13 and 8 not present: a triple fault.
	c = setup()
	c.Mem.Store8(sysIDT+13*8+5, 0x0e)
	c.Mem.Store8(sysIDT+8*8+5, 0x0e)
	if err := c.DeliverTrap(&Trap{Kind: TrapGP}); !errors.Is(err, ErrTripleFault) {
		t.Errorf("triple fault: %v", err)
	}
	// A page fault while pushing the frame (unmapped stack) during a
	// hardware interrupt: the #PF is delivered (benign first), on the
	// same broken stack it faults again: #DF, and then the triple fault.
	c = setup()
	c.R[RSP] = 0x70000
	if err := c.Interrupt(0x20); !errors.Is(err, ErrTripleFault) {
		t.Errorf("interrupt on an unmapped stack: %v", err)
	}
	if c.CR2 != 0x6fffc {
		t.Errorf("CR2 %#x, want 0x6fffc", c.CR2)
	}
}

// TestSysInterrupt64 delivers a hardware interrupt at CPL 3 in long mode
// (RSP0, 16-byte alignment, null SS), through an IST entry, and returns
// with IRETQ.
func TestSysInterrupt64(t *testing.T) {
	c, mmu := newSysCPU(t, 64, true, 3, []byte{0x90})
	c.Mem.Space.Poke(0x10100, []byte{0x48, 0xcf}) // iretq
	setGate64(c, 0x20, selKCode64, 0x10100, sysTypeIntGate, 0, 0)
	c.Priv.Halted = true
	c.R[RSP] = 0x3fff8
	c.RIP = 0x10000
	if err := c.Interrupt(0x20); err != nil {
		t.Fatal(err)
	}
	p := c.Priv
	if p.Halted || c.CPL != 0 || c.Seg[CS] != selKCode64 || c.Seg[SS] != 0 || c.RIP != 0x10100 {
		t.Fatalf("after interrupt: halted %v cpl %d cs %#x ss %#x rip %#x", p.Halted, c.CPL, c.Seg[CS], c.Seg[SS], c.RIP)
	}
	if c.R[RSP] != sysKStack-40 {
		t.Errorf("rsp %#x, want %#x (RSP0 aligned down)", c.R[RSP], sysKStack-40)
	}
	want := []uint64{0x10000, selUCode64, 0x202, 0x3fff8, selUData}
	if f := frame64(c, c.R[RSP], 5); !eq(f, want) {
		t.Errorf("frame %#x, want %#x", f, want)
	}
	if r := step(c); r != nil {
		t.Fatal(r)
	}
	if c.CPL != 3 || c.Seg[CS] != selUCode64 || c.Seg[SS] != selUData || c.R[RSP] != 0x3fff8 || c.RIP != 0x10000 || c.Flags()&FlagIF == 0 {
		t.Errorf("after iretq: cpl %d cs %#x ss %#x rsp %#x rip %#x flags %#x", c.CPL, c.Seg[CS], c.Seg[SS], c.R[RSP], c.RIP, c.Flags())
	}
	if !mmu.user {
		t.Error("after iretq: the MMU was not switched to user accesses")
	}

	// IST 1 at CPL 0 with an error code (#GP): the stack switches to
	// IST1 though the privilege stays.
	c, _ = newSysCPU(t, 64, true, 0, []byte{0x90})
	setGate64(c, 13, selKCode64, 0xffffffff81000000, sysTypeIntGate, 0, 1)
	c.R[RSP] = 0x3fff8
	c.RIP = 0x10000
	if err := c.DeliverTrap(&Trap{Kind: TrapGP, Code: 0x18}); err != nil {
		t.Fatal(err)
	}
	want = []uint64{0x18, 0x10000, selKCode64, 0x202, 0x3fff8, 0}
	if f := frame64(c, c.R[RSP], 6); !eq(f, want) || c.R[RSP] != sysIST1-48 || c.RIP != 0xffffffff81000000 {
		t.Errorf("ist frame %#x at %#x rip %#x, want %#x at %#x", f, c.R[RSP], c.RIP, want, sysIST1-48)
	}
	// A non-canonical address: #GP(0), or #SS(0) next to a
	// non-canonical RSP (a push).
	for _, tc := range []struct {
		rsp, addr uint64
		rip       uint64
	}{
		{0x3fff8, 0x8000000000001000, 0x10d00},
		{0x8000000000000000, 0x7ffffffffffffff8, 0x10c00},
	} {
		c, _ = newSysCPU(t, 64, true, 0, []byte{0x90})
		setGate64(c, 12, selKCode64, 0x10c00, sysTypeIntGate, 0, 1)
		setGate64(c, 13, selKCode64, 0x10d00, sysTypeIntGate, 0, 1)
		c.R[RSP] = tc.rsp
		f := &mem.Fault{Addr: tc.addr, NonCanonical: true}
		if err := c.DeliverTrap(&Trap{Kind: TrapPage, Addr: tc.addr, Mem: f}); err != nil || c.RIP != tc.rip || c.Mem.Load64(c.R[RSP]) != 0 || c.CR2 != 0 {
			t.Errorf("non-canonical %#x with rsp %#x: %v, rip %#x, cr2 %#x", tc.addr, tc.rsp, err, c.RIP, c.CR2)
		}
	}
	// Same privilege without IST: the current stack, aligned down.
	c, _ = newSysCPU(t, 64, true, 0, []byte{0xcd, 0x21})
	setGate64(c, 0x21, selKCode64, 0x10100, sysTypeTrapGate, 0, 0)
	c.R[RSP] = 0x3fff8
	if r := step(c); r != nil {
		t.Fatal(r)
	}
	if c.R[RSP] != 0x3fff0-40 || c.Mem.Load64(0x3fff0-40) != 0x10002 || c.Mem.Load64(0x3fff0-8) != 0 {
		t.Errorf("same-level int: rsp %#x", c.R[RSP])
	}
	// A 32-bit code segment in a long-mode gate: #GP(sel).
	c, _ = newSysCPU(t, 64, true, 0, []byte{0xcd, 0x21})
	setGate64(c, 0x21, selKCode32, 0x10100, sysTypeTrapGate, 0, 0)
	if k, ec := trapOf(t, step(c)); k != TrapGP || ec != selKCode32 {
		t.Errorf("gate to 32-bit code: %d %#x", k, ec)
	}
	// From compatibility mode: the handler runs in 64-bit mode.
	c, _ = newSysCPU(t, 32, true, 3, []byte{0xcd, 0x80})
	setGate64(c, 0x80, selKCode64, 0x10100, sysTypeTrapGate, 3, 0)
	if r := step(c); r != nil {
		t.Fatal(r)
	}
	if c.Mode != 64 || c.CPL != 0 || c.RIP != 0x10100 || c.Mem.Load64(c.R[RSP]+8) != selUCode32 {
		t.Errorf("int from compatibility mode: mode %d cpl %d rip %#x", c.Mode, c.CPL, c.RIP)
	}
}

// TestSysSysenter checks SYSENTER and SYSEXIT (32-bit, and SYSEXIT with
// REX.W in long mode).
func TestSysSysenter(t *testing.T) {
	c, mmu := newSysCPU(t, 32, false, 3, []byte{0x0f, 0x34})
	p := c.Priv
	p.SysenterCS, p.SysenterESP, p.SysenterEIP = 0x60, 0x5f000, 0x10100
	c.Mem.Space.Poke(0x10100, []byte{0x0f, 0x35}) // sysexit
	if r := step(c); r != nil {
		t.Fatal(r)
	}
	if mmu.user {
		t.Error("after sysenter: the MMU still makes user accesses")
	}
	if c.CPL != 0 || c.Seg[CS] != 0x60 || c.Seg[SS] != 0x68 || c.R[RSP] != 0x5f000 || c.RIP != 0x10100 || c.Flags()&FlagIF != 0 {
		t.Errorf("sysenter: cpl %d cs %#x ss %#x esp %#x rip %#x flags %#x", c.CPL, c.Seg[CS], c.Seg[SS], c.R[RSP], c.RIP, c.Flags())
	}
	if p.Segs[CS].Attr != 0xc09b || p.Segs[SS].Attr != 0xc093 || p.Segs[SS].Limit != 0xffffffff {
		t.Errorf("sysenter caches: cs %#x ss %#x", p.Segs[CS].Attr, p.Segs[SS].Attr)
	}
	c.R[RCX], c.R[RDX] = 0xbfff0000, 0x8048000
	if r := step(c); r != nil {
		t.Fatal(r)
	}
	if c.CPL != 3 || c.Seg[CS] != 0x73 || c.Seg[SS] != 0x7b || c.R[RSP] != 0xbfff0000 || c.RIP != 0x8048000 {
		t.Errorf("sysexit: cpl %d cs %#x ss %#x esp %#x rip %#x", c.CPL, c.Seg[CS], c.Seg[SS], c.R[RSP], c.RIP)
	}
	if !mmu.user {
		t.Error("after sysexit: the MMU was not switched to user accesses")
	}
	// SYSEXIT at CPL 3 and with a null SYSENTER_CS: #GP(0); SYSENTER
	// with a null SYSENTER_CS: #GP(0).
	for _, tc := range []struct {
		code []byte
		cpl  int
		cs   uint64
	}{{[]byte{0x0f, 0x35}, 3, 0x60}, {[]byte{0x0f, 0x35}, 0, 0}, {[]byte{0x0f, 0x34}, 3, 3}} {
		c, _ := newSysCPU(t, 32, false, tc.cpl, tc.code)
		c.Priv.SysenterCS = tc.cs
		if k, ec := trapOf(t, step(c)); k != TrapGP || ec != 0 {
			t.Errorf("% x at CPL %d, cs %#x: %d %#x", tc.code, tc.cpl, tc.cs, k, ec)
		}
	}
	// Long mode: sysenter from compatibility mode enters 64-bit code;
	// sysexit with REX.W returns to 64-bit code at CS + 32.
	c, _ = newSysCPU(t, 32, true, 3, []byte{0x0f, 0x34})
	p = c.Priv
	p.SysenterCS, p.SysenterESP, p.SysenterEIP = 0x10, 0xffff880000001000, 0xffffffff81000000
	if r := step(c); r != nil {
		t.Fatal(r)
	}
	if c.Mode != 64 || c.RIP != 0xffffffff81000000 || c.R[RSP] != 0xffff880000001000 || c.Seg[CS] != 0x10 {
		t.Errorf("64-bit sysenter: mode %d rip %#x rsp %#x cs %#x", c.Mode, c.RIP, c.R[RSP], c.Seg[CS])
	}
	c, _ = newSysCPU(t, 64, true, 0, []byte{0x48, 0x0f, 0x35})
	c.Priv.SysenterCS = 0x10
	c.R[RCX], c.R[RDX] = 0x7fffffffe000, 0x401000
	if r := step(c); r != nil {
		t.Fatal(r)
	}
	if c.Mode != 64 || c.Seg[CS] != 0x33 || c.Seg[SS] != 0x3b || c.RIP != 0x401000 || c.R[RSP] != 0x7fffffffe000 || c.CPL != 3 {
		t.Errorf("sysexit64: mode %d cs %#x ss %#x rip %#x rsp %#x", c.Mode, c.Seg[CS], c.Seg[SS], c.RIP, c.R[RSP])
	}
}

// TestSysSyscall checks SYSCALL and SYSRET (to 64-bit and to
// compatibility mode) and SWAPGS.
func TestSysSyscall(t *testing.T) {
	c, _ := newSysCPU(t, 64, true, 3, []byte{0x0f, 0x05})
	p := c.Priv
	// Linux's STAR: kernel CS 0x10, user base 0x23 (SYSRET CS 0x33, SS 0x2b).
	p.STAR = 0x0023001000000000
	p.LSTAR = 0xffffffff81a00000
	p.SFMASK = 0x47700 // TF DF IF IOPL NT AC
	c.SetFlags(0x302|FlagCF|FlagDF, ^uint64(0))
	if r := step(c); r != nil {
		t.Fatal(r)
	}
	if c.CPL != 0 || c.Seg[CS] != 0x10 || c.Seg[SS] != 0x18 || c.RIP != 0xffffffff81a00000 ||
		c.R[RCX] != 0x10002 || c.R[R11] != 0x703 {
		t.Errorf("syscall: cpl %d cs %#x ss %#x rip %#x rcx %#x r11 %#x", c.CPL, c.Seg[CS], c.Seg[SS], c.RIP, c.R[RCX], c.R[R11])
	}
	if f := c.Flags(); f != 0x3 {
		t.Errorf("syscall flags %#x, want 0x3", f)
	}
	// sysretq and sysretl.
	c.Mem.Space.Poke(0x10100, []byte{0x48, 0x0f, 0x07, 0x0f, 0x07})
	c.RIP = 0x10100
	c.R[RCX], c.R[R11] = 0x400123, 0x10246|0x100000
	if r := step(c); r != nil {
		t.Fatal(r)
	}
	if c.CPL != 3 || c.Mode != 64 || c.Seg[CS] != 0x33 || c.Seg[SS] != 0x2b || c.RIP != 0x400123 || c.Flags() != 0x100246 {
		t.Errorf("sysretq: cpl %d mode %d cs %#x ss %#x rip %#x flags %#x", c.CPL, c.Mode, c.Seg[CS], c.Seg[SS], c.RIP, c.Flags())
	}
	c.setCPL(0)
	c.RIP = 0x10103
	c.R[RCX] = 0xffffffff08049000
	if r := step(c); r != nil {
		t.Fatal(r)
	}
	if c.Mode != 32 || c.Seg[CS] != 0x23 || c.RIP != 0x08049000 || c.AddrMask != 0xffffffff {
		t.Errorf("sysretl: mode %d cs %#x rip %#x", c.Mode, c.Seg[CS], c.RIP)
	}
	// The refusals: SYSCALL with EFER.SCE clear (#UD), SYSRET at CPL 3
	// and to a non-canonical RIP (#GP(0)).
	c, _ = newSysCPU(t, 64, true, 3, []byte{0x0f, 0x05})
	c.EFER &^= EFERSCE
	if k, _ := trapOf(t, step(c)); k != TrapInvalidOp {
		t.Errorf("syscall without SCE: %d", k)
	}
	c, _ = newSysCPU(t, 64, true, 3, []byte{0x48, 0x0f, 0x07})
	if k, _ := trapOf(t, step(c)); k != TrapGP {
		t.Errorf("sysret at CPL 3: %d", k)
	}
	c, _ = newSysCPU(t, 64, true, 0, []byte{0x48, 0x0f, 0x07})
	c.R[RCX] = 0x0000800000000000
	if k, _ := trapOf(t, step(c)); k != TrapGP || c.CPL != 0 {
		t.Errorf("sysret to a non-canonical rip: %d", k)
	}
	// swapgs.
	c, _ = newSysCPU(t, 64, true, 0, []byte{0x0f, 0x01, 0xf8, 0x0f, 0x01, 0xf8})
	c.SegBase[GS], c.KernelGSBase = 0x7000, 0xffff888000000000
	if r := step(c); r != nil {
		t.Fatal(r)
	}
	if c.SegBase[GS] != 0xffff888000000000 || c.KernelGSBase != 0x7000 {
		t.Errorf("swapgs: gs %#x kernel %#x", c.SegBase[GS], c.KernelGSBase)
	}
	c.setCPL(3)
	if k, _ := trapOf(t, step(c)); k != TrapGP {
		t.Errorf("swapgs at CPL 3: %d", k)
	}
}

// TestUserModeUnchanged checks that the system-mode instructions keep
// their user-mode behaviour when Priv is nil.
func TestUserModeUnchanged(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode int
		code []byte
		kind TrapKind
		ec   int
	}{
		{"lgdt", 32, []byte{0x0f, 0x01, 0x10}, TrapInvalidOp, 1},
		{"ltr", 32, []byte{0x0f, 0x00, 0xd8}, TrapInvalidOp, 1},
		{"swapgs", 64, []byte{0x0f, 0x01, 0xf8}, TrapInvalidOp, 1},
		{"sysexit", 32, []byte{0x0f, 0x35}, TrapInvalidOp, 1},
		{"sysret", 64, []byte{0x0f, 0x07}, TrapInvalidOp, 1},
		{"icebp", 32, []byte{0xf1}, TrapInvalidOp, 1},
		{"int 0x21", 32, []byte{0xcd, 0x21}, TrapInt, 0x21},
		{"int3", 32, []byte{0xcc}, TrapBreakpoint, 0},
	} {
		_, r := runCode(t, tc.mode, tc.code, func(c *CPU) { c.R[RAX] = testData })
		if k, ec := trapOf(t, r); k != tc.kind || ec != tc.ec {
			t.Errorf("%s: %d %#x, want %d %#x", tc.name, k, ec, tc.kind, tc.ec)
		}
	}
	// int $0x80 still goes to the Syscaller.
	c, r := runCode(t, 32, []byte{0xcd, 0x80}, nil)
	if r != nil || c.Sys.(*testSys).calls != 1 {
		t.Errorf("int 0x80 in user mode: %v, %d calls", r, c.Sys.(*testSys).calls)
	}
}

// TestSysOnInterrupt checks the deliveries OnInterrupt reports (software,
// hardware, an exception replaced by #DF) and TrapVector.
func TestSysOnInterrupt(t *testing.T) {
	type rec struct {
		kind     DeliveryKind
		vector   uint8
		code     int64
		from, to uint64
	}
	var got []rec
	hook := func(c *CPU, kind DeliveryKind, vector uint8, code int64, from, to uint64) {
		got = append(got, rec{kind, vector, code, from, to})
	}
	c, _ := newSysCPU(t, 32, false, 3, []byte{0xcd, 0x80})
	c.Priv.OnInterrupt = hook
	setGate32(c, 0x80, selKCode32, 0x10100, sysTypeTrapGate, 3)
	setGate32(c, 0x20, selKCode32, 0x10200, sysTypeIntGate, 0)
	setGate32(c, 8, selKCode32, 0x10300, sysTypeIntGate, 0)
	if r := step(c); r != nil {
		t.Fatal(r)
	}
	c.RIP = 0x10040
	if err := c.Interrupt(0x20); err != nil {
		t.Fatal(err)
	}
	c.RIP = 0x10050
	if err := c.DeliverTrap(&Trap{Kind: TrapGP, Code: 0x10}); err != nil { // gate 13 empty: #DF
		t.Fatal(err)
	}
	want := []rec{
		{DeliverySoftware, 0x80, NoErrorCode, 0x10002, 0x10100},
		{DeliveryHardware, 0x20, NoErrorCode, 0x10040, 0x10200},
		{DeliveryException, 8, 0, 0x10050, 0x10300},
	}
	if len(got) != len(want) {
		t.Fatalf("events %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	for _, tc := range []struct {
		t    *Trap
		v    uint8
		code int64
	}{
		{&Trap{Kind: TrapPage, Mem: &mem.Fault{Code: 6}}, 14, 6},
		{&Trap{Kind: TrapDivide}, 0, NoErrorCode},
		{&Trap{Kind: TrapGP, Code: 0x28}, 13, 0x28},
		{&Trap{Kind: TrapNM}, 7, NoErrorCode},
		{&Trap{Kind: TrapDF}, 8, 0},
	} {
		if v, code := TrapVector(tc.t); v != tc.v || code != tc.code {
			t.Errorf("TrapVector(%+v) = %d %d, want %d %d", tc.t, v, code, tc.v, tc.code)
		}
	}
}

// TestTrapEventNonCanonical: the MMU's fault for a non-canonical address
// is #GP(0), not a page fault.
func TestTrapEventNonCanonical(t *testing.T) {
	for _, c := range []struct {
		f      mem.Fault
		vector uint8
		code   uint32
	}{
		{mem.Fault{Addr: 0x0000800000000000, NonCanonical: true}, vecGP, 0},
		{mem.Fault{Addr: 0x1000, Code: 5}, vecPF, 5},
	} {
		f := c.f
		ev, ok := trapEvent(&Trap{Kind: TrapPage, Addr: f.Addr, Mem: &f})
		if !ok || ev.vector != c.vector || !ev.hasErr || ev.code != c.code {
			t.Errorf("%+v: vector %d code %#x ok %v", c.f, ev.vector, ev.code, ok)
		}
	}
}

// TestSysIretChecks checks IRET's refusals in 32-bit protected mode at
// CPL 0 (SDM, IRET: protected-mode exceptions) and that a refused IRET
// changes nothing.
func TestSysIretChecks(t *testing.T) {
	for _, tc := range []struct {
		name      string
		cs, ss    uint16
		flags     uint32
		kind      TrapKind
		ec        int
		cpl       int
		wantFlags uint64
		npCS      bool // clear the P bit of CS's descriptor
		npSS      bool // and of SS's
	}{
		{name: "to cpl3", cs: selUCode32, ss: selUData, flags: 0x3202, kind: 255, cpl: 3, wantFlags: 0x3202},
		{name: "ss rpl != cs rpl", cs: selUCode32, ss: selUData &^ 3, kind: TrapGP, ec: selUData &^ 3},
		{name: "ss dpl 0", cs: selUCode32, ss: selKData | 3, kind: TrapGP, ec: selKData},
		{name: "ss null", cs: selUCode32, ss: 0, kind: TrapGP, ec: 0},
		{name: "ss read-only", cs: selUCode32, ss: selROData | 3, kind: TrapGP, ec: selROData},
		{name: "cs data", cs: selUData, ss: selUData, kind: TrapGP, ec: selUData &^ 3},
		{name: "cs 16-bit", cs: selCode16, kind: TrapGP, ec: selCode16},
		{name: "cs not-present data", cs: selNPData | 3, ss: selUData, kind: TrapGP, ec: selNPData},
		{name: "cs not present", cs: selUCode32, ss: selUData, npCS: true, kind: TrapNotPresent, ec: selUCode32 &^ 3},
		{name: "ss not present", cs: selUCode32, ss: selUData, npSS: true, kind: TrapStack, ec: selUData &^ 3},
		{name: "same level", cs: selKCode32, flags: 0x3002, kind: 255, cpl: 0, wantFlags: 0x3002},
		{name: "rf not kept", cs: selKCode32, flags: 0x10202, kind: 255, cpl: 0, wantFlags: 0x202},
		{name: "vm86", cs: selUCode32, ss: selUData, flags: 0x20202, kind: TrapGP, ec: 0},
	} {
		c, _ := newSysCPU(t, 32, false, 0, []byte{0xcf})
		if tc.npCS {
			c.Mem.Store8(sysGDT+uint64(tc.cs&^7)+5, 0x7a)
		}
		if tc.npSS {
			c.Mem.Store8(sysGDT+uint64(tc.ss&^7)+5, 0x72)
		}
		sp := c.R[RSP]
		for i, v := range []uint32{0x10100, uint32(tc.cs), tc.flags | 2, 0x3f000, uint32(tc.ss)} {
			c.Mem.Store32(sp+4*uint64(i), v)
		}
		k, ec := trapOf(t, step(c))
		if k != tc.kind || ec != tc.ec {
			t.Errorf("%s: %d %#x, want %d %#x", tc.name, k, ec, tc.kind, tc.ec)
			continue
		}
		if k != 255 {
			if c.CPL != 0 || c.R[RSP] != sp || c.Seg[CS] != selKCode32 || c.Seg[SS] != selKData || c.Flags() != 0x202 {
				t.Errorf("%s: refused iret changed cpl %d esp %#x cs %#x ss %#x flags %#x", tc.name, c.CPL, c.R[RSP], c.Seg[CS], c.Seg[SS], c.Flags())
			}
			continue
		}
		if c.CPL != tc.cpl || c.RIP != 0x10100 || c.Flags() != tc.wantFlags {
			t.Errorf("%s: cpl %d rip %#x flags %#x", tc.name, c.CPL, c.RIP, c.Flags())
		}
	}
	// At CPL 3 IRET keeps IF and IOPL (IOPL 0), and a return to CPL 0
	// is #GP(sel).
	c, _ := newSysCPU(t, 32, false, 3, []byte{0xcf, 0xcf})
	sp := c.R[RSP]
	for i, v := range []uint32{0x10001, selUCode32, 0x3000 | 0x2 | 0x1, 0x10100, selKCode32, 0x202} {
		c.Mem.Store32(sp+4*uint64(i), v)
	}
	if r := step(c); r != nil {
		t.Fatal(r)
	}
	if c.Flags() != 0x203 {
		t.Errorf("iret at CPL 3: flags %#x, want 0x203 (IF, IOPL kept, CF)", c.Flags())
	}
	if k, ec := trapOf(t, step(c)); k != TrapGP || ec != selKCode32 {
		t.Errorf("iret from CPL 3 to CPL 0: %d %#x", k, ec)
	}
}

// TestSysTaskGate delivers #DF through a task gate to a second 32-bit TSS
// (the state saved in the old TSS, the new task's registers, back link,
// busy bits, NT, CR0.TS, the error code on the new stack) and returns
// with IRET (NT set: a task return).
func TestSysTaskGate(t *testing.T) {
	const tss2 = sysTSS + 0x100
	c, _ := newSysCPU(t, 32, false, 0, []byte{0x90})
	c.Mem.Space.Poke(0x10300, []byte{0xcf}) // the #DF task: iret
	c.Mem.Store8(sysGDT+selTSS32+5, 0x8b)   // the current task is busy
	c.Mem.Store64(sysIDT+8*8, gate32(selTSS2, 0, sysTypeTaskGate, 0))
	for off, v := range map[uint64]uint32{
		tssEIP: 0x10300, tssEFLAGS: 0x2,
		tssEAX: 1, tssEAX + 4: 2, tssEAX + 8: 3, tssEAX + 12: 4, tssEAX + 16: 0x5d000, tssEAX + 20: 6, tssEAX + 24: 7, tssEAX + 28: 8,
		tssES: selKData, tssES + 4: selKCode32, tssES + 8: selKData, tssES + 12: selKData, tssES + 16: selBased, tssES + 20: 0,
	} {
		c.Mem.Store32(tss2+off, v)
	}
	c.R[RAX], c.R[RDI], c.RIP = 0xaaaa, 0xdddd, 0x10000
	sp := c.R[RSP]
	if err := c.DeliverTrap(&Trap{Kind: TrapDF}); err != nil {
		t.Fatal(err)
	}
	p := c.Priv
	if p.TR.Sel != selTSS2 || p.TR.Base != tss2 || c.RIP != 0x10300 || c.R[RAX] != 1 || c.R[RDI] != 8 {
		t.Errorf("after the switch: tr %#x base %#x rip %#x eax %#x edi %#x", p.TR.Sel, p.TR.Base, c.RIP, c.R[RAX], c.R[RDI])
	}
	if c.TRBase != tss2 {
		t.Errorf("after the switch: Regs.TRBase %#x, want %#x", c.TRBase, tss2)
	}
	if c.R[RSP] != 0x5d000-4 || c.Mem.Load32(0x5d000-4) != 0 {
		t.Errorf("error code: esp %#x", c.R[RSP])
	}
	if c.Flags() != 0x2|FlagNT || c.CR0&CR0TS == 0 || c.SegBase[FS] != 0x12345678 || c.Seg[CS] != selKCode32 {
		t.Errorf("flags %#x cr0 %#x fs base %#x cs %#x", c.Flags(), c.CR0, c.SegBase[FS], c.Seg[CS])
	}
	if l := c.Mem.Load16(tss2); l != selTSS32 {
		t.Errorf("back link %#x", l)
	}
	if ty := c.Mem.Load8(sysGDT+selTSS2+5) & 0xf; ty != sysTypeTSSBusy {
		t.Errorf("new TSS type %#x, want busy", ty)
	}
	if eip, eax, edi, esp := c.Mem.Load32(sysTSS+tssEIP), c.Mem.Load32(sysTSS+tssEAX), c.Mem.Load32(sysTSS+tssEAX+28), c.Mem.Load32(sysTSS+tssEAX+16); eip != 0x10000 || eax != 0xaaaa || edi != 0xdddd || uint64(esp) != sp {
		t.Errorf("saved old task: eip %#x eax %#x edi %#x esp %#x", eip, eax, edi, esp)
	}
	if r := step(c); r != nil {
		t.Fatal(r)
	}
	if p.TR.Sel != selTSS32 || c.RIP != 0x10000 || c.R[RAX] != 0xaaaa || c.R[RSP] != sp || c.Flags()&FlagNT != 0 {
		t.Errorf("after the task return: tr %#x rip %#x eax %#x esp %#x flags %#x", p.TR.Sel, c.RIP, c.R[RAX], c.R[RSP], c.Flags())
	}
	if ty := c.Mem.Load8(sysGDT+selTSS2+5) & 0xf; ty != sysTypeTSS {
		t.Errorf("the returning task's TSS type %#x, want available", ty)
	}
	if eip := c.Mem.Load32(tss2 + tssEIP); eip != 0x10301 {
		t.Errorf("saved #DF task eip %#x", eip)
	}
	// A gate to a busy TSS: #GP(sel|EXT) while delivering #DF: triple.
	c, _ = newSysCPU(t, 32, false, 0, []byte{0x90})
	c.Mem.Store64(sysIDT+8*8, gate32(selTSS32, 0, sysTypeTaskGate, 0))
	c.Mem.Store8(sysGDT+selTSS32+5, 0x8b)
	if err := c.DeliverTrap(&Trap{Kind: TrapDF}); !errors.Is(err, ErrTripleFault) {
		t.Errorf("task gate to a busy TSS: %v", err)
	}
}
