package pc

import (
	"fmt"
	"io"
	"os"
)

// Board is the PC: the bus and the devices a Linux kernel needs to reach a
// shell on the serial console, wired as on a PC with no ACPI: ISA
// interrupts through the 8259A pair, PCI interrupts on PIC inputs 10 and
// 11 (level triggered), COM1 at 0x3f8 on IRQ 4. With BoardConfig.APIC
// the CPU has a local APIC (its interrupt controller, taking the PIC's
// INTR on LINT0 in virtual wire mode) and an IO-APIC sees the same lines
// as the PIC, as on a PC: ISA IRQ n on input n but IRQ 0 (the PIT) on
// input 2, the PCI lines on inputs 10 and 11 (level); an MP table in the
// BIOS area says so.
type Board struct {
	Bus  *Bus
	PIC  *PIC
	UART *UART
	PCI  *PCIHost
	PIT  *PIT
	// RTC is the CMOS clock on IRQ 8 (the board's owner records the
	// memory size with RTC.SetMemory); KBD the i8042, whose reset line
	// is the board's reset; POST port 0x80.
	RTC  *RTC
	KBD  *I8042
	POST *DebugPort
	// Disks are the virtio-blk devices, in -drive order, in PCI slots
	// from 3 on.
	Disks []*VirtioBlk
	// LAPIC and IOAPIC are the APICs (nil without BoardConfig.APIC).
	LAPIC  *LAPIC
	IOAPIC *IOAPIC

	// reset is the guest's reset request (keyboard controller pulse, PCI
	// reset control, triple fault): the machine ends or reboots.
	reset func()
}

// BoardConfig says how to build a Board.
type BoardConfig struct {
	// Bus is the bus to build on (nil: a new one), so that the memory
	// that sends MMIO to it can be made first.
	Bus *Bus
	// Console receives COM1's output (nil: discarded); ConsoleIn, if not
	// nil, is read for its input.
	Console   io.Writer
	ConsoleIn io.Reader
	// Reset is called, with Bus.Mu held, when the guest resets the
	// machine. It must only signal.
	Reset func()
	// Disks are raw images for virtio-blk devices; RAM is the memory
	// their DMA reaches.
	Disks []Disk
	RAM   GuestRAM

	// APIC gives the board a local APIC and an IO-APIC, and writes the
	// MP table into RAM (which must then be set); APICHz is the local
	// APIC timer's input clock (the CPU model's TSCHz: Linux takes it
	// from CPUID leaf 0x15), CPUSignature and CPUFeatures CPUID leaf 1's
	// EAX and EDX for the MP table's processor entry.
	APIC                      bool
	APICHz                    int64
	CPUSignature, CPUFeatures uint32
}

// ioapicID is the IO-APIC's ID (the boot CPU's local APIC has ID 0).
const boardIOAPICID = 1

// Disk is one raw disk image.
type Disk struct {
	File     *os.File
	ReadOnly bool
}

// PCI interrupt routing: PIRQA-D to PIC inputs, as a PC BIOS would pick
// them (two lines, shared).
var pciIRQs = [4]int{11, 10, 11, 10}

// firstDiskSlot is the PCI slot of the first disk, as on QEMU's PC (slot
// 1 is the ISA bridge there, 2 the display).
const firstDiskSlot = 3

// NewBoard builds the devices and maps them on a new bus.
func NewBoard(cfg BoardConfig) (*Board, error) {
	b := &Board{Bus: cfg.Bus, reset: cfg.Reset}
	if b.Bus == nil {
		b.Bus = NewBus()
	}
	if b.reset == nil {
		b.reset = func() {}
	}
	b.PIC = NewPIC(b.Bus)
	b.PIC.Map(b.Bus)
	if cfg.APIC {
		hz := cfg.APICHz
		if hz <= 0 {
			hz = 1_000_000_000
		}
		b.LAPIC = NewLAPIC(b.Bus, hz)
		b.LAPIC.PIC = b.PIC
		b.LAPIC.Map(b.Bus)
		b.IOAPIC = NewIOAPIC(b.LAPIC, boardIOAPICID)
		b.IOAPIC.Map(b.Bus)
		b.LAPIC.OnEOI = b.IOAPIC.EOI
	}
	var routes [4]PCIRoute
	var elcr uint16
	for i, irq := range pciIRQs {
		routes[i] = PCIRoute{Line: uint8(irq), IRQ: b.isa(irq)}
		elcr |= 1 << irq
	}
	b.PIC.SetELCR(elcr)
	b.PCI = NewPCIHost(b.Bus, routes)
	b.PCI.Reset = b.reset
	b.UART = NewUART(b.Bus, 0x3f8, b.isa(4), cfg.Console)
	if cfg.ConsoleIn != nil {
		b.UART.StartInput(cfg.ConsoleIn)
	}
	b.PIT = NewPIT(b.Bus, b.isa(0))
	b.PIT.Map(b.Bus)
	b.RTC = NewRTC(b.Bus, b.isa(8))
	b.RTC.Map(b.Bus)
	b.KBD = NewI8042(b.isa(1), b.isa(12), b.reset)
	b.KBD.Map(b.Bus)
	b.POST = &DebugPort{}
	b.POST.Map(b.Bus)
	for i, d := range cfg.Disks {
		v, err := NewVirtioBlk(cfg.RAM, d.File, d.ReadOnly, fmt.Sprintf("gemu-disk%d", i))
		if err != nil {
			return nil, err
		}
		b.PCI.Add(firstDiskSlot+i, &v.Fn)
		b.Disks = append(b.Disks, v)
	}
	if cfg.APIC && cfg.RAM != nil {
		cfg.RAM.WritePhys(MPFloatAddr, MPTable(b.mpConfig(cfg)))
	}
	return b, nil
}

// isa returns ISA IRQ n's line: the PIC's input and, with an IO-APIC, its
// input too (IRQ 0 on input 2).
func (b *Board) isa(n int) IRQ {
	pic := b.PIC.Line(n)
	if b.IOAPIC == nil {
		return pic
	}
	pin := n
	if n == 0 {
		pin = 2
	}
	io := b.IOAPIC.Line(pin)
	return func(level bool) {
		pic(level)
		io(level)
	}
}

// mpConfig describes the board's interrupt wiring for the MP table.
func (b *Board) mpConfig(cfg BoardConfig) MPConfig {
	c := MPConfig{CPUSignature: cfg.CPUSignature, CPUFeatures: cfg.CPUFeatures, IOAPICID: boardIOAPICID}
	pci := map[int]bool{}
	for _, irq := range pciIRQs {
		pci[irq] = true
	}
	for irq := range c.ISA {
		switch {
		case irq == 0:
			c.ISA[irq] = 2
		case irq == 2 || pci[irq]:
			c.ISA[irq] = -1
		default:
			c.ISA[irq] = irq
		}
	}
	for slot, f := range b.PCI.funcs {
		if f == nil || slot == 0 {
			continue
		}
		for pin := 1; pin <= 4; pin++ {
			c.PCI = append(c.PCI, MPPCIIntr{Slot: slot, Pin: pin, IOAPICPin: pciIRQs[(slot-1+pin-1)&3]})
		}
	}
	return c
}

// Reserved returns the memory map's reserved ranges for the board's MMIO
// below 4 GiB that the kernel must not take for RAM or PCI: the IO-APIC's
// and the local APIC's register pages (BootConfig.Reserved).
func (b *Board) Reserved() []E820Entry {
	if b.LAPIC == nil {
		return nil
	}
	return []E820Entry{
		{IOAPICBase, apicPage, E820Reserved},
		{LAPICBase, apicPage, E820Reserved},
	}
}
