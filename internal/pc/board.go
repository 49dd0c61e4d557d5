package pc

import (
	"fmt"
	"io"
	"os"
)

// Board is the PC: the bus and the devices a Linux kernel needs to reach a
// shell on the serial console, wired as on a PC with no ACPI and no
// IO-APIC (yet): ISA interrupts through the 8259A pair, PCI interrupts on
// PIC inputs 10 and 11 (level triggered), COM1 at 0x3f8 on IRQ 4.
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
}

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
	var routes [4]PCIRoute
	var elcr uint16
	for i, irq := range pciIRQs {
		routes[i] = PCIRoute{Line: uint8(irq), IRQ: b.PIC.Line(irq)}
		elcr |= 1 << irq
	}
	b.PIC.SetELCR(elcr)
	b.PCI = NewPCIHost(b.Bus, routes)
	b.PCI.Reset = b.reset
	b.UART = NewUART(b.Bus, 0x3f8, b.PIC.Line(4), cfg.Console)
	if cfg.ConsoleIn != nil {
		b.UART.StartInput(cfg.ConsoleIn)
	}
	b.PIT = NewPIT(b.Bus, b.PIC.Line(0))
	b.PIT.Map(b.Bus)
	b.RTC = NewRTC(b.Bus, b.PIC.Line(8))
	b.RTC.Map(b.Bus)
	b.KBD = NewI8042(b.PIC.Line(1), b.PIC.Line(12), b.reset)
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
	return b, nil
}
