package pc

import (
	"encoding/binary"
	"testing"
)

func ioRead(a *IOAPIC, idx uint32) uint32 {
	a.WriteMMIO(0, 4, uint64(idx))
	return uint32(a.ReadMMIO(0x10, 4))
}

func ioWrite(a *IOAPIC, idx, v uint32) {
	a.WriteMMIO(0, 4, uint64(idx))
	a.WriteMMIO(0x10, 4, uint64(v))
}

func newTestIOAPIC(t *testing.T) (*IOAPIC, *LAPIC) {
	l, _ := newTestLAPIC(t, 1e9)
	lapicWrite(l, lapicSVR, 0x1ff)
	a := NewIOAPIC(l, 1)
	l.OnEOI = a.EOI
	return a, l
}

func TestIOAPICRegisters(t *testing.T) {
	a, _ := newTestIOAPIC(t)
	if got := ioRead(a, 0); got != 0x01000000 {
		t.Errorf("ID = %#x, want 0x01000000", got)
	}
	if got := ioRead(a, 1); got != 0x00170020 {
		t.Errorf("version = %#x, want 0x00170020", got)
	}
	if got := ioRead(a, 2); got != 0x01000000 {
		t.Errorf("arbitration = %#x, want 0x01000000", got)
	}
	for pin := uint32(0); pin < 24; pin++ {
		if lo, hi := ioRead(a, 0x10+2*pin), ioRead(a, 0x11+2*pin); lo != 0x10000 || hi != 0 {
			t.Errorf("entry %d = %#x:%#x, want masked 0:0x10000", pin, hi, lo)
		}
	}
	ioWrite(a, 0, 0xffffffff)
	if got := ioRead(a, 0); got != 0x0f000000 {
		t.Errorf("ID after writing ones = %#x, want 0x0f000000", got)
	}
	// Delivery status (12) and remote IRR (14) are read-only.
	ioWrite(a, 0x10+2*5, 0xffffffff)
	ioWrite(a, 0x11+2*5, 0xffffffff)
	if lo, hi := ioRead(a, 0x10+2*5), ioRead(a, 0x11+2*5); lo != 0x1afff || hi != 0xff000000 {
		t.Errorf("entry 5 after writing ones = %#x:%#x, want 0xff000000:0x1afff", hi, lo)
	}
	if got := a.ReadMMIO(0, 4); got != 0x11+2*5 {
		t.Errorf("IOREGSEL = %#x, want %#x", got, 0x11+2*5)
	}
}

func TestIOAPICEdge(t *testing.T) {
	a, l := newTestIOAPIC(t)
	pin := a.Line(2)
	pin(true) // masked: lost
	pin(false)
	if l.Pending() {
		t.Fatal("masked edge delivered")
	}
	ioWrite(a, 0x11+2*2, 0x00000000) // physical destination 0
	ioWrite(a, 0x10+2*2, 0x30)       // fixed, edge, unmasked
	if l.Pending() {
		t.Fatal("delivered without an edge")
	}
	pin(true)
	if v, ok := l.Ack(); !ok || v != 0x30 {
		t.Fatalf("Ack = %#x %v, want 0x30", v, ok)
	}
	pin(true) // no new edge
	lapicWrite(l, lapicEOI, 0)
	if l.Pending() {
		t.Error("a held edge input delivered twice")
	}
	pin(false)
	pin(true)
	if v, ok := l.Ack(); !ok || v != 0x30 {
		t.Fatalf("second edge: Ack = %#x %v, want 0x30", v, ok)
	}
	// A destination that is not this APIC: nothing.
	lapicWrite(l, lapicEOI, 0)
	ioWrite(a, 0x11+2*2, 0x03000000)
	pin(false)
	pin(true)
	if l.Pending() {
		t.Error("delivered to physical destination 3")
	}
}

// TestIOAPICLevel: a level input delivers once, sets remote IRR until the
// EOI, and delivers again after the EOI while still asserted.
func TestIOAPICLevel(t *testing.T) {
	a, l := newTestIOAPIC(t)
	lapicWrite(l, lapicLDR, 0x01000000)
	pin := a.Line(11)
	ioWrite(a, 0x11+2*11, 0x01000000)         // logical destination 1
	ioWrite(a, 0x10+2*11, 0x8000|0x800|0x141) // level, logical, lowest priority, 0x41
	pin(true)
	if got := ioRead(a, 0x10+2*11); got != 0xc941 {
		t.Errorf("entry 11 = %#x, want 0xc941 (remote IRR set)", got)
	}
	if v, ok := l.Ack(); !ok || v != 0x41 {
		t.Fatalf("Ack = %#x %v, want 0x41", v, ok)
	}
	if got := lapicRead(l, lapicTMR+0x20); got != 2 {
		t.Errorf("TMR[95:64] = %#x, want 2", got)
	}
	lapicWrite(l, lapicEOI, 0) // still asserted: again
	if got := ioRead(a, 0x10+2*11); got != 0xc941 {
		t.Errorf("entry 11 after EOI with the line high = %#x, want 0xc941", got)
	}
	if v, ok := l.Ack(); !ok || v != 0x41 {
		t.Fatalf("re-assertion: Ack = %#x %v, want 0x41", v, ok)
	}
	pin(false)
	lapicWrite(l, lapicEOI, 0)
	if got := ioRead(a, 0x10+2*11); got != 0x8941 {
		t.Errorf("entry 11 after EOI with the line low = %#x, want 0x8941", got)
	}
	if l.Pending() {
		t.Error("pending with the line low")
	}
	// Masked while asserted, then unmasked: delivered at the unmask.
	ioWrite(a, 0x10+2*11, 0x18941)
	pin(true)
	if l.Pending() {
		t.Fatal("masked level input delivered")
	}
	ioWrite(a, 0x10+2*11, 0x8941)
	if v, ok := l.Ack(); !ok || v != 0x41 {
		t.Fatalf("unmask: Ack = %#x %v, want 0x41", v, ok)
	}
}

func TestMPTable(t *testing.T) {
	c := MPConfig{CPUSignature: 0x663, CPUFeatures: 0x0781abfd, IOAPICID: 1}
	for i := range c.ISA {
		c.ISA[i] = i
	}
	c.ISA[0], c.ISA[2] = 2, -1
	c.PCI = []MPPCIIntr{{Slot: 3, Pin: 1, IOAPICPin: 11}}
	b := MPTable(c)
	le := binary.LittleEndian
	f := b[:16]
	if string(f[:4]) != "_MP_" || le.Uint32(f[4:]) != 0xf0010 || f[8] != 1 || f[9] != 4 || f[11] != 0 || f[12] != 0 {
		t.Errorf("floating pointer % x", f)
	}
	if sum8(f) != 0 {
		t.Errorf("floating pointer checksum: bytes sum to %#x", sum8(f))
	}
	h := b[16:]
	// 44 header + 20 processor + 2 buses + IO-APIC + 15 ISA + 1 PCI + 2 local, 8 bytes each.
	wantLen := 44 + 20 + 8*(2+1+15+1+2)
	if string(h[:4]) != "PCMP" || int(le.Uint16(h[4:])) != wantLen || len(h) != wantLen || h[6] != 4 {
		t.Fatalf("header % x (length %d, want %d)", h[:8], len(h), wantLen)
	}
	if sum8(h) != 0 {
		t.Errorf("table checksum: bytes sum to %#x", sum8(h))
	}
	if n := le.Uint16(h[34:]); n != 1+2+1+15+1+2 {
		t.Errorf("entry count %d, want 22", n)
	}
	if a := le.Uint32(h[36:]); a != 0xfee00000 {
		t.Errorf("local APIC address %#x", a)
	}
	e := h[44:]
	wantProc := []byte{0, 0, 0x14, 3, 0x63, 0x06, 0, 0, 0xfd, 0xab, 0x81, 0x07, 0, 0, 0, 0, 0, 0, 0, 0}
	if string(e[:20]) != string(wantProc) {
		t.Errorf("processor entry % x, want % x", e[:20], wantProc)
	}
	e = e[20:]
	for i, want := range [][]byte{
		{1, 0, 'P', 'C', 'I', ' ', ' ', ' '},
		{1, 1, 'I', 'S', 'A', ' ', ' ', ' '},
		{2, 1, 0x20, 1, 0, 0, 0xc0, 0xfe},
		{3, 0, 0, 0, 1, 0, 1, 2}, // ISA IRQ 0 -> pin 2
		{3, 0, 0, 0, 1, 1, 1, 1},
		{3, 0, 0, 0, 1, 3, 1, 3}, // IRQ 2 left out
	} {
		if string(e[8*i:8*i+8]) != string(want) {
			t.Errorf("entry %d: % x, want % x", i+1, e[8*i:8*i+8], want)
		}
	}
	tail := e[len(e)-24:]
	for i, want := range [][]byte{
		{3, 0, 0, 0, 0, 3<<2 | 0, 1, 11}, // PCI slot 3 INTA#
		{4, 3, 0, 0, 1, 0, 0xff, 0},      // ExtINT -> LINT0
		{4, 1, 0, 0, 1, 0, 0xff, 1},      // NMI -> LINT1
	} {
		if string(tail[8*i:8*i+8]) != string(want) {
			t.Errorf("tail entry %d: % x, want % x", i, tail[8*i:8*i+8], want)
		}
	}
}

// TestBoardAPIC: the board's ISA lines reach both the PIC and the
// IO-APIC (IRQ 0 on input 2), the MP table is written at 0xf0000, and the
// APIC pages are reserved.
func TestBoardAPIC(t *testing.T) {
	ram := &testRAM{b: make([]byte, 1<<20)}
	b, err := NewBoard(BoardConfig{APIC: true, APICHz: 1e9, RAM: ram})
	if err != nil {
		t.Fatal(err)
	}
	if string(ram.b[0xf0000:0xf0004]) != "_MP_" || string(ram.b[0xf0010:0xf0014]) != "PCMP" {
		t.Errorf("no MP table at 0xf0000: % x", ram.b[0xf0000:0xf0014])
	}
	if r := b.Reserved(); len(r) != 2 || r[0] != (E820Entry{0xfec00000, 0x1000, E820Reserved}) || r[1] != (E820Entry{0xfee00000, 0x1000, E820Reserved}) {
		t.Errorf("Reserved() = %v", r)
	}
	b.Bus.Mu.Lock()
	defer b.Bus.Mu.Unlock()
	lapicWrite(b.LAPIC, lapicSVR, 0x1ff)
	ioWrite(b.IOAPIC, 0x10+2*2, 0x31)
	b.isa(0)(true)
	if !b.LAPIC.out.Load() {
		t.Error("ISA IRQ 0 did not reach IO-APIC input 2")
	}
	if b.PIC.chip[0].edge&1 == 0 {
		t.Error("ISA IRQ 0 did not reach the PIC")
	}
	if got := b.Bus.findMMIO(0xfee00030); got == nil || got.dev != b.LAPIC {
		t.Error("LAPIC not mapped at 0xfee00000")
	}
}

// testRAM is a GuestRAM over a byte slice.
type testRAM struct{ b []byte }

func (r *testRAM) ReadPhys(pa uint64, dst []byte)  { copy(dst, r.b[pa:]) }
func (r *testRAM) WritePhys(pa uint64, src []byte) { copy(r.b[pa:], src) }
