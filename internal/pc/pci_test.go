package pc

import (
	"fmt"
	"testing"
)

// barLog is a BARHandler that records accesses and answers with a value
// made of the BAR number and offset.
type barLog struct{ log []string }

func (l *barLog) ReadBAR(bar int, off uint64, size int) uint64 {
	l.log = append(l.log, fmt.Sprintf("r%d:%#x/%d", bar, off, size))
	return uint64(bar)<<8 | off
}

func (l *barLog) WriteBAR(bar int, off uint64, size int, v uint64) {
	l.log = append(l.log, fmt.Sprintf("w%d:%#x/%d=%#x", bar, off, size, v))
}

func cfgAddr(slot, fn, reg int) uint32 {
	return 0x80000000 | uint32(slot)<<11 | uint32(fn)<<8 | uint32(reg)
}

func cfgRead(b *Bus, slot, reg, size int) uint32 {
	b.Out(PCIConfigAddress, 4, cfgAddr(slot, 0, reg&^3))
	return b.In(PCIConfigData+uint16(reg&3), size)
}

func cfgWrite(b *Bus, slot, reg, size int, v uint32) {
	b.Out(PCIConfigAddress, 4, cfgAddr(slot, 0, reg&^3))
	b.Out(PCIConfigData+uint16(reg&3), size, v)
}

type pciBoard struct {
	bus  *Bus
	host *PCIHost
	irqA *irqProbe
	irqB *irqProbe
	dev  *PCIFunction
	h    *barLog
}

func newPCIBoard() *pciBoard {
	p := &pciBoard{bus: NewBus(), irqA: &irqProbe{}, irqB: &irqProbe{}, h: &barLog{}}
	p.host = NewPCIHost(p.bus, [4]PCIRoute{{10, p.irqA.line()}, {11, p.irqB.line()}, {10, p.irqA.line()}, {11, p.irqB.line()}})
	p.dev = &PCIFunction{
		Vendor: 0x1af4, Device: 0x1001, Class: 0x010000, SubVendor: 0x1af4, SubDevice: 2, Pin: 1,
		BARs:    [6]BAR{{Size: 64, IO: true}, {Size: 4096, Name: "test"}},
		Handler: p.h,
	}
	p.host.Add(1, p.dev)
	return p
}

func TestPCIConfigReads(t *testing.T) {
	p := newPCIBoard()
	b := p.bus
	// Linux's pci_check_type1: CONFIG_ADDRESS holds a 32-bit value.
	b.Out(PCIConfigAddress, 4, 0x80000000)
	if v := b.In(PCIConfigAddress, 4); v != 0x80000000 {
		t.Fatalf("CONFIG_ADDRESS = %#x, want 0x80000000", v)
	}
	b.Out(PCIConfigAddress+3, 1, 0x01) // a byte write is not CONFIG_ADDRESS
	if v := b.In(PCIConfigAddress, 4); v != 0x80000000 {
		t.Fatalf("CONFIG_ADDRESS after a byte write to 0xcfb = %#x", v)
	}
	if v := b.In(PCIConfigAddress, 1); v != 0xff {
		t.Errorf("byte read of 0xcf8 = %#x, want 0xff", v)
	}
	tests := []struct {
		slot, reg, size int
		want            uint32
		what            string
	}{
		{0, 0x00, 4, 0x12378086, "bridge vendor/device"},
		{0, 0x04, 4, 0x02800006, "bridge command/status"},
		{0, 0x08, 4, 0x06000002, "bridge class/revision"},
		{0, 0x0a, 2, 0x0600, "bridge class (Linux's sanity check)"},
		{0, 0x0e, 1, 0x00, "bridge header type"},
		{0, 0x10, 4, 0, "bridge BAR0"},
		{1, 0x00, 4, 0x10011af4, "device vendor/device"},
		{1, 0x02, 2, 0x1001, "device ID by word"},
		{1, 0x03, 1, 0x10, "device ID high byte"},
		{1, 0x04, 2, PCICmdIO | PCICmdMemory, "device command: decoding enabled"},
		{1, 0x06, 2, 0, "device status"},
		{1, 0x08, 4, 0x01000000, "device class"},
		{1, 0x10, 4, 0xc001, "BAR0: I/O at 0xc000"},
		{1, 0x14, 4, 0xe0000000, "BAR1: memory at 0xe0000000"},
		{1, 0x18, 4, 0, "BAR2: none"},
		{1, 0x2c, 4, 0x00021af4, "subsystem"},
		{1, 0x34, 1, 0, "no capabilities"},
		{1, 0x3c, 2, 0x010a, "interrupt line 10, pin INTA#"},
		{2, 0x00, 4, 0xffffffff, "empty slot"},
	}
	for _, tc := range tests {
		if got := cfgRead(b, tc.slot, tc.reg, tc.size); got != tc.want {
			t.Errorf("%s: 00:%02x.0 reg %#x/%d = %#x, want %#x", tc.what, tc.slot, tc.reg, tc.size, got, tc.want)
		}
	}
	for _, a := range []uint32{cfgAddr(1, 1, 0), cfgAddr(1, 0, 0) | 1<<16, cfgAddr(1, 0, 0) &^ 0x80000000} {
		b.Out(PCIConfigAddress, 4, a)
		if v := b.In(PCIConfigData, 4); v != 0xffffffff {
			t.Errorf("CONFIG_ADDRESS %#x: read %#x, want all ones", a, v)
		}
	}
}

func TestPCIBARs(t *testing.T) {
	p := newPCIBoard()
	b := p.bus
	if v := b.In(0xc004, 2); v != 0x0004 {
		t.Errorf("I/O BAR read = %#x, want 0x0004", v)
	}
	b.Out(0xc010, 1, 0x5a)
	if v := b.ReadMMIO(0xe0000020, 4); v != 0x120 {
		t.Errorf("memory BAR read = %#x, want 0x120", v)
	}
	want := []string{"r0:0x4/2", "w0:0x10/1=0x5a", "r1:0x20/4"}
	if fmt.Sprint(p.h.log) != fmt.Sprint(want) {
		t.Errorf("accesses %v, want %v", p.h.log, want)
	}
	// Sizing as Linux does it: decoding off, all ones, read, restore.
	cfgWrite(b, 1, 0x04, 2, 0)
	if v := b.In(0xc004, 2); v != 0xffff {
		t.Errorf("I/O BAR with decoding off = %#x, want 0xffff", v)
	}
	if b.IsMMIO(0xe0000000) {
		t.Error("memory BAR still mapped with decoding off")
	}
	sizes := []struct {
		reg  int
		want uint32
	}{{0x10, 0xffffffc1}, {0x14, 0xfffff000}, {0x18, 0}, {0x30, 0}}
	for _, s := range sizes {
		cfgWrite(b, 1, s.reg, 4, 0xffffffff)
		if v := cfgRead(b, 1, s.reg, 4); v != s.want {
			t.Errorf("sizing reg %#x: %#x, want %#x", s.reg, v, s.want)
		}
	}
	// Move both BARs, then enable decoding.
	cfgWrite(b, 1, 0x10, 4, 0xd000)
	cfgWrite(b, 1, 0x14, 4, 0xe0100000)
	cfgWrite(b, 1, 0x04, 2, PCICmdIO|PCICmdMemory|PCICmdBusMaster)
	if v := cfgRead(b, 1, 0x10, 4); v != 0xd001 {
		t.Errorf("BAR0 after the move = %#x, want 0xd001", v)
	}
	p.h.log = nil
	if v := b.In(0xd008, 1); v != 0x08 {
		t.Errorf("moved I/O BAR read = %#x, want 0x08", v)
	}
	if v := b.In(0xc008, 1); v != 0xff {
		t.Errorf("old I/O BAR address read = %#x, want 0xff", v)
	}
	if v := b.ReadMMIO(0xe0100010, 4); v != 0x110 {
		t.Errorf("moved memory BAR read = %#x, want 0x1ffc", v)
	}
	if b.IsMMIO(0xe0000000) {
		t.Error("old memory BAR address still mapped")
	}
	if !p.dev.BusMaster() {
		t.Error("bus master bit not set")
	}
	if base, ok := p.dev.BARBase(0); !ok || base != 0xd000 {
		t.Errorf("BARBase(0) = %#x, %v", base, ok)
	}
	// A BAR moved onto another device's ports stays off the bus.
	b.MapPorts(0xb000, 0xb0ff, &barPortsStub{})
	cfgWrite(b, 1, 0x10, 4, 0xb000)
	if _, ok := p.dev.BARBase(0); ok {
		t.Error("BAR0 mapped over another device")
	}
}

type barPortsStub struct{}

func (barPortsStub) ReadPort(uint16, int) uint32   { return 0x42 }
func (barPortsStub) WritePort(uint16, int, uint32) {}

func TestPCIInterrupts(t *testing.T) {
	p := newPCIBoard()
	b := p.bus
	other := &PCIFunction{Vendor: 0x1234, Device: 0x11, Pin: 1, Handler: p.h}
	p.host.Add(5, other) // slot 5 INTA# -> PIRQ (4+0)&3 = A, like slot 1
	third := &PCIFunction{Vendor: 0x1234, Device: 0x11, Pin: 1, Handler: p.h}
	p.host.Add(2, third) // slot 2 INTA# -> PIRQB
	if v := cfgRead(b, 2, 0x3c, 1); v != 11 {
		t.Errorf("slot 2 interrupt line = %d, want 11", v)
	}
	b.Mu.Lock()
	p.dev.SetIRQ(true)
	b.Mu.Unlock()
	if !p.irqA.level || p.irqB.level {
		t.Fatalf("after slot 1 asserts: A=%v B=%v", p.irqA.level, p.irqB.level)
	}
	if v := cfgRead(b, 1, 0x06, 2); v != pciStatusIntr {
		t.Errorf("status = %#x, want the interrupt bit", v)
	}
	b.Mu.Lock()
	other.SetIRQ(true)
	p.dev.SetIRQ(false)
	b.Mu.Unlock()
	if !p.irqA.level || p.irqA.rises != 1 {
		t.Errorf("shared line: level %v, %d rises; want high, 1", p.irqA.level, p.irqA.rises)
	}
	cfgWrite(b, 5, 0x04, 2, PCICmdINTxDis)
	if p.irqA.level {
		t.Error("interrupt disable bit did not mask the line")
	}
	cfgWrite(b, 5, 0x04, 2, 0)
	if !p.irqA.level || p.irqA.rises != 2 {
		t.Errorf("after re-enabling: level %v, %d rises", p.irqA.level, p.irqA.rises)
	}
	// Slot 3's INTA# is PIRQC, routed to input 10 like PIRQA: one wire.
	fourth := &PCIFunction{Vendor: 0x1234, Device: 0x11, Pin: 1, Handler: p.h}
	p.host.Add(3, fourth)
	b.Mu.Lock()
	fourth.SetIRQ(true)
	fourth.SetIRQ(false)
	b.Mu.Unlock()
	if !p.irqA.level || p.irqA.rises != 2 {
		t.Errorf("PIRQC dropping input 10 while PIRQA holds it: level %v, %d rises", p.irqA.level, p.irqA.rises)
	}
	b.Mu.Lock()
	other.SetIRQ(false)
	b.Mu.Unlock()
	if p.irqA.level {
		t.Error("input 10 high with no function asserting")
	}
	if l := p.host.Lines(); fmt.Sprint(l) != "[10 11]" {
		t.Errorf("Lines() = %v", l)
	}
}

func TestPCICapsAndReset(t *testing.T) {
	b := NewBus()
	h := NewPCIHost(b, [4]PCIRoute{})
	resets := 0
	h.Reset = func() { resets++ }
	f := &PCIFunction{Vendor: 0x1af4, Device: 0x1000, Caps: []byte{0x09, 0x00, 0x04, 0xaa}, Handler: &barLog{}}
	h.Add(3, f)
	if v := cfgRead(b, 3, 0x06, 2); v != pciStatusCapList {
		t.Errorf("status = %#x, want the capability list bit", v)
	}
	if v := cfgRead(b, 3, 0x34, 1); v != 0x40 {
		t.Errorf("capabilities pointer = %#x", v)
	}
	if v := cfgRead(b, 3, 0x40, 4); v != 0xaa040009 {
		t.Errorf("capability = %#x", v)
	}
	cfgWrite(b, 3, 0x40, 4, 0)
	if v := cfgRead(b, 3, 0x40, 4); v != 0xaa040009 {
		t.Errorf("capability after a write = %#x (read only)", v)
	}
	b.Out(0xcf9, 1, 0x02)
	if v := b.In(0xcf9, 1); v != 0x02 || resets != 0 {
		t.Errorf("0xcf9 = %#x, %d resets", v, resets)
	}
	b.Out(0xcf9, 1, 0x06)
	if resets != 1 {
		t.Errorf("%d resets after writing 6 to 0xcf9, want 1", resets)
	}
}
