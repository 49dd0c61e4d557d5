package pc

import "fmt"

// PCI configuration mechanism 1: CONFIG_ADDRESS and CONFIG_DATA ports.
const (
	PCIConfigAddress = 0xcf8
	PCIConfigData    = 0xcfc
)

// Where PCIHost.Add puts BARs, as a BIOS would before the kernel starts:
// I/O BARs upward from 0xc000 (above the ISA and legacy ranges, the first
// port QEMU's firmware uses too), memory BARs upward from 0xe0000000, so
// the board must keep RAM below that (its E820 map leaves
// 0xe0000000-0xffffffff to PCI, the IO-APIC and the local APIC).
const (
	PCIIOBase   = 0xc000
	PCIIOLimit  = 0x10000
	PCIMemBase  = 0xe0000000
	PCIMemLimit = 0xfec00000
)

// Configuration space header offsets (type 0).
const (
	pciVendor     = 0x00
	pciDevice     = 0x02
	pciCommand    = 0x04
	pciStatus     = 0x06
	pciRevision   = 0x08
	pciClass      = 0x09 // prog-if, subclass, class: 3 bytes
	pciCacheLine  = 0x0c
	pciLatency    = 0x0d
	pciHeaderType = 0x0e
	pciBAR0       = 0x10
	pciSubVendor  = 0x2c
	pciSubDevice  = 0x2e
	pciCapPtr     = 0x34
	pciIntLine    = 0x3c
	pciIntPin     = 0x3d
	pciCapStart   = 0x40 // where PCIFunction.Caps go
)

// Command and status bits.
const (
	PCICmdIO         = 0x0001
	PCICmdMemory     = 0x0002
	PCICmdBusMaster  = 0x0004
	PCICmdINTxDis    = 0x0400
	pciStatusIntr    = 0x0008
	pciStatusCapList = 0x0010
)

// BAR describes one base address register: its size (a power of two,
// at least 4 for I/O and 16 for memory; 0 for no BAR) and its space.
// Memory BARs are 32-bit and not prefetchable.
type BAR struct {
	Size uint32
	IO   bool
	Name string // the MMIO range's name in traces
}

// BARHandler is a PCI function's register blocks: off is the offset from
// the BAR's current base address, size 1, 2 or 4 (8 for memory).
type BARHandler interface {
	ReadBAR(bar int, off uint64, size int) uint64
	WriteBAR(bar int, off uint64, size int, v uint64)
}

// PCIFunction is function 0 of a device on bus 0: the fields describe it
// (set them before PCIHost.Add), the rest is its configuration space and
// the decoding of its BARs.
type PCIFunction struct {
	Vendor, Device       uint16
	Class                uint32 // base class<<16 | subclass<<8 | prog-if
	Revision             uint8
	SubVendor, SubDevice uint16
	Pin                  uint8 // interrupt pin: 0 none, 1 INTA# .. 4 INTD#
	BARs                 [6]BAR
	Handler              BARHandler
	// Caps is the capability list, placed at offset 0x40 (next pointers
	// are absolute offsets): read only. Empty: no list, status bit 4 clear.
	Caps []byte

	host  *PCIHost
	slot  int
	cfg   [256]byte
	wmask [256]byte // the bits of cfg a guest write may change

	mapped [6]bool   // whether BAR i is on the bus now
	base   [6]uint64 // and where
	ports  [6]*pciPorts
	mmio   [6]*pciMMIO
	level  bool // the function's INTx output (before the command register's disable)
}

// pciPorts puts an I/O BAR on the port bus.
type pciPorts struct {
	f *PCIFunction
	n int
}

func (p *pciPorts) ReadPort(port uint16, size int) uint32 {
	return uint32(p.f.Handler.ReadBAR(p.n, uint64(port)-p.f.base[p.n], size))
}

func (p *pciPorts) WritePort(port uint16, size int, v uint32) {
	p.f.Handler.WriteBAR(p.n, uint64(port)-p.f.base[p.n], size, uint64(v))
}

// pciMMIO puts a memory BAR on the MMIO bus.
type pciMMIO struct {
	f *PCIFunction
	n int
}

func (m *pciMMIO) ReadMMIO(off uint64, size int) uint64 { return m.f.Handler.ReadBAR(m.n, off, size) }
func (m *pciMMIO) WriteMMIO(off uint64, size int, v uint64) {
	m.f.Handler.WriteBAR(m.n, off, size, v)
}

// PCIRoute is where one of the board's four PCI interrupt lines (PIRQA-D)
// goes: the PIC input number written into interrupt line registers, and
// the line itself. The board makes these inputs level triggered (ELCR).
type PCIRoute struct {
	Line uint8
	IRQ  IRQ
}

// PCIHost is the host bridge and bus 0 behind configuration mechanism 1
// (ports 0xcf8-0xcff), with a BIOS's work done at Add time: BARs assigned
// and enabled, interrupt lines filled in.
//
// Interrupts: INTx# of the device in slot s goes to PIRQ (s-1+pin-1) mod 4
// (slot 1's INTA# to PIRQA), and the routes given to NewPCIHost take
// PIRQA-D to PIC inputs. The lines are shared: a PIC input is high while
// any function on any PIRQ routed to it asserts its pin (routes with the
// same Line must have the same IRQ). A kernel without ACPI and without a $PIR
// table (this board has neither) takes a device's IRQ from its interrupt
// line register: Linux's pirq_enable_irq keeps dev->irq, read from there
// at probe time, when no routing table and no IO-APIC routing exist; no
// kernel parameter is needed. With an IO-APIC the MP table or ACPI must
// list these routes instead.
//
// Port 0xcf9 is the PIIX reset control register: a byte write with bit 2
// (reset CPU) set calls Reset, which Linux's reboot=pci uses.
type PCIHost struct {
	Reset func() // called with Bus.Mu held

	bus    *Bus
	addr   uint32 // CONFIG_ADDRESS
	rc     uint8  // reset control register
	funcs  [32]*PCIFunction
	bridge PCIFunction
	route  [4]PCIRoute
	lines  [256]bool // each PIC input's level as last driven, by Line

	ioNext  uint64
	memNext uint64
}

// NewPCIHost makes bus 0 with the host bridge at 00:00.0 (an Intel 440FX,
// 8086:1237, class 0x060000) and maps configuration mechanism 1 on bus.
func NewPCIHost(bus *Bus, route [4]PCIRoute) *PCIHost {
	h := &PCIHost{bus: bus, route: route, ioNext: PCIIOBase, memNext: PCIMemBase}
	h.bridge = PCIFunction{Vendor: 0x8086, Device: 0x1237, Class: 0x060000, Revision: 0x02}
	h.Add(0, &h.bridge)
	// The 440FX's power-on command and status: memory and bus master
	// enabled, medium DEVSEL timing, fast back-to-back capable.
	h.bridge.put16(pciCommand, PCICmdMemory|PCICmdBusMaster)
	h.bridge.put16(pciStatus, 0x0280)
	bus.MapPorts(PCIConfigAddress, PCIConfigData+3, h)
	return h
}

// Lines returns the PIC inputs the PCI interrupts use, each once: the
// board sets them level triggered.
func (h *PCIHost) Lines() []uint8 {
	var l []uint8
	seen := map[uint8]bool{}
	for _, r := range h.route {
		if !seen[r.Line] {
			seen[r.Line] = true
			l = append(l, r.Line)
		}
	}
	return l
}

// Add puts f in slot (1-31; 0 is the host bridge), assigns its BARs from
// the I/O and memory windows, fills its interrupt line, enables its
// decoding and maps its BARs. A taken slot, a bad BAR or full windows are
// board bugs: Add panics.
func (h *PCIHost) Add(slot int, f *PCIFunction) {
	if slot < 0 || slot > 31 || h.funcs[slot] != nil || (slot == 0) != (f == &h.bridge) {
		panic(fmt.Sprintf("pc: PCI slot %d taken or invalid", slot))
	}
	f.host, f.slot = h, slot
	f.put16(pciVendor, f.Vendor)
	f.put16(pciDevice, f.Device)
	f.cfg[pciRevision] = f.Revision
	f.cfg[pciClass] = uint8(f.Class)
	f.cfg[pciClass+1] = uint8(f.Class >> 8)
	f.cfg[pciClass+2] = uint8(f.Class >> 16)
	f.put16(pciSubVendor, f.SubVendor)
	f.put16(pciSubDevice, f.SubDevice)
	f.cfg[pciIntPin] = f.Pin
	if len(f.Caps) > 0 {
		if len(f.Caps) > 256-pciCapStart {
			panic("pc: PCI capabilities too long")
		}
		copy(f.cfg[pciCapStart:], f.Caps)
		f.cfg[pciCapPtr] = pciCapStart
		f.put16(pciStatus, pciStatusCapList)
	}
	f.wmask[pciCommand] = uint8(PCICmdIO | PCICmdMemory | PCICmdBusMaster | 0x40) // and parity
	f.wmask[pciCommand+1] = uint8((PCICmdINTxDis | 0x0100) >> 8)                  // and SERR#
	f.wmask[pciCacheLine] = 0xff
	f.wmask[pciLatency] = 0xff
	f.wmask[pciIntLine] = 0xff
	var cmd uint16
	for i, b := range f.BARs {
		if b.Size == 0 {
			continue
		}
		if b.Size&(b.Size-1) != 0 || (b.IO && b.Size < 4) || (!b.IO && b.Size < 16) || (b.IO && b.Size > 256) {
			panic(fmt.Sprintf("pc: PCI BAR %d size %#x invalid", i, b.Size))
		}
		mask := ^(b.Size - 1)
		var addr uint64
		if b.IO {
			addr = alignUp(h.ioNext, uint64(b.Size))
			h.ioNext = addr + uint64(b.Size)
			if h.ioNext > PCIIOLimit {
				panic("pc: PCI I/O window full")
			}
			f.put32(pciBAR0+4*i, uint32(addr)|1)
			cmd |= PCICmdIO
		} else {
			addr = alignUp(h.memNext, max(uint64(b.Size), 4096))
			h.memNext = addr + uint64(b.Size)
			if h.memNext > PCIMemLimit {
				panic("pc: PCI memory window full")
			}
			f.put32(pciBAR0+4*i, uint32(addr))
			mask &^= 0xf
			cmd |= PCICmdMemory
		}
		if b.IO {
			mask &^= 0x3
			f.ports[i] = &pciPorts{f, i}
		} else {
			f.mmio[i] = &pciMMIO{f, i}
		}
		for k := 0; k < 4; k++ {
			f.wmask[pciBAR0+4*i+k] = uint8(mask >> (8 * k))
		}
	}
	if f.Pin != 0 {
		f.cfg[pciIntLine] = h.route[f.pirq()].Line
	}
	h.funcs[slot] = f
	f.put16(pciCommand, cmd)
	f.remap()
}

func (f *PCIFunction) put16(off int, v uint16) {
	f.cfg[off], f.cfg[off+1] = uint8(v), uint8(v>>8)
}

func (f *PCIFunction) put32(off int, v uint32) {
	f.put16(off, uint16(v))
	f.put16(off+2, uint16(v>>16))
}

func (f *PCIFunction) get16(off int) uint16 { return uint16(f.cfg[off]) | uint16(f.cfg[off+1])<<8 }

func (f *PCIFunction) get32(off int) uint32 {
	return uint32(f.get16(off)) | uint32(f.get16(off+2))<<16
}

// Command returns the command register.
func (f *PCIFunction) Command() uint16 { return f.get16(pciCommand) }

// BusMaster says whether the guest let the device access memory (DMA).
func (f *PCIFunction) BusMaster() bool { return f.Command()&PCICmdBusMaster != 0 }

// BARBase returns where BAR n is decoded now and whether it is.
func (f *PCIFunction) BARBase(n int) (uint64, bool) { return f.base[n], f.mapped[n] }

// pirq is the PIRQ line the function's pin is wired to.
func (f *PCIFunction) pirq() int { return (f.slot - 1 + int(f.Pin) - 1) & 3 }

// SetIRQ drives the function's interrupt pin (level triggered, true is
// asserted). The command register's interrupt disable bit masks it; the
// status register's interrupt bit shows it either way. Call with Bus.Mu
// held.
func (f *PCIFunction) SetIRQ(level bool) {
	f.level = level
	st := f.get16(pciStatus) &^ pciStatusIntr
	if level {
		st |= pciStatusIntr
	}
	f.put16(pciStatus, st)
	if f.host != nil && f.Pin != 0 {
		f.host.updatePIRQ(f.pirq())
	}
}

// asserting says whether the function drives its pin now.
func (f *PCIFunction) asserting() bool {
	return f.level && f.Command()&PCICmdINTxDis == 0
}

// updatePIRQ drives the PIC input PIRQ n goes to from every function
// wired to it, through any PIRQ routed to the same input: two PIRQs
// sharing an input are one wire-OR'd line.
func (h *PCIHost) updatePIRQ(n int) {
	line := h.route[n].Line
	level := false
	for _, f := range h.funcs {
		if f != nil && f.Pin != 0 && h.route[f.pirq()].Line == line && f.asserting() {
			level = true
			break
		}
	}
	if level != h.lines[line] {
		h.lines[line] = level
		if h.route[n].IRQ != nil {
			h.route[n].IRQ(level)
		}
	}
}

// remap puts the BARs on the bus where the command register and the BARs
// say, and takes them off where they no longer are. A BAR at 0, one
// holding the all-ones sizing pattern, one beyond its space or one that
// would overlap another device stays off the bus.
func (f *PCIFunction) remap() {
	cmd := f.Command()
	b := f.host.bus
	for i, bar := range f.BARs {
		if bar.Size == 0 {
			continue
		}
		reg := f.get32(pciBAR0 + 4*i)
		mask := uint32(f.wmask[pciBAR0+4*i]) | uint32(f.wmask[pciBAR0+4*i+1])<<8 |
			uint32(f.wmask[pciBAR0+4*i+2])<<16 | uint32(f.wmask[pciBAR0+4*i+3])<<24
		addr := uint64(reg & mask)
		size := uint64(bar.Size)
		want := addr != 0 && uint32(addr) != mask
		if bar.IO {
			want = want && cmd&PCICmdIO != 0 && addr+size <= 0x10000
		} else {
			want = want && cmd&PCICmdMemory != 0 && addr+size <= 1<<32
		}
		if f.mapped[i] && (!want || f.base[i] != addr) {
			if bar.IO {
				b.UnmapPorts(uint16(f.base[i]), f.ports[i])
			} else {
				b.UnmapMMIO(f.base[i], f.mmio[i])
			}
			f.mapped[i] = false
		}
		if !want || f.mapped[i] {
			continue
		}
		if bar.IO {
			lo, hi := uint16(addr), uint16(addr+size-1)
			for _, r := range b.ports {
				if lo <= r.hi && r.lo <= hi {
					want = false
				}
			}
			if want {
				b.MapPorts(lo, hi, f.ports[i])
			}
		} else {
			for _, r := range b.mmio {
				if addr < r.base+r.size && r.base < addr+size {
					want = false
				}
			}
			if want {
				b.MapMMIO(addr, size, bar.Name, f.mmio[i])
			}
		}
		f.mapped[i], f.base[i] = want, addr
	}
}

// readConfig reads size bytes of configuration space at off.
func (f *PCIFunction) readConfig(off, size int) uint32 {
	var v uint32
	for i := 0; i < size; i++ {
		v |= uint32(f.cfg[(off+i)&0xff]) << (8 * i)
	}
	return v
}

// writeConfig writes size bytes at off through the write mask, then
// follows changes of the command register and the BARs.
func (f *PCIFunction) writeConfig(off, size int, v uint32) {
	remap := false
	for i := 0; i < size; i++ {
		o := (off + i) & 0xff
		m := f.wmask[o]
		nv := f.cfg[o]&^m | uint8(v>>(8*i))&m
		if nv != f.cfg[o] && (o == pciCommand || o == pciCommand+1 || o >= pciBAR0 && o < pciBAR0+24) {
			remap = true
		}
		f.cfg[o] = nv
	}
	if remap {
		f.remap()
		if f.Pin != 0 {
			f.host.updatePIRQ(f.pirq())
		}
	}
}

// target returns the function CONFIG_ADDRESS selects, or nil: disabled,
// another bus, an empty slot or a function other than 0.
func (h *PCIHost) target() *PCIFunction {
	a := h.addr
	if a&0x80000000 == 0 || a>>16&0xff != 0 || a>>8&7 != 0 {
		return nil
	}
	return h.funcs[a>>11&0x1f]
}

// ReadPort implements PortDevice for ports 0xcf8-0xcff.
func (h *PCIHost) ReadPort(port uint16, size int) uint32 {
	switch {
	case port == PCIConfigAddress && size == 4:
		return h.addr
	case port == PCIConfigAddress+1 && size == 1:
		return uint32(h.rc)
	case port >= PCIConfigData:
		if f := h.target(); f != nil {
			return f.readConfig(int(h.addr&0xfc)+int(port-PCIConfigData), size)
		}
	}
	return ^uint32(0)
}

// WritePort implements PortDevice for ports 0xcf8-0xcff.
func (h *PCIHost) WritePort(port uint16, size int, v uint32) {
	switch {
	case port == PCIConfigAddress && size == 4:
		h.addr = v & 0x80fffffc
	case port == PCIConfigAddress+1 && size == 1:
		h.rc = uint8(v) & 0x0a
		if v&0x04 != 0 && h.Reset != nil {
			h.Reset()
		}
	case port >= PCIConfigData:
		if f := h.target(); f != nil {
			f.writeConfig(int(h.addr&0xfc)+int(port-PCIConfigData), size, v)
		}
	}
}
