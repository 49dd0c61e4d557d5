package pc

import "encoding/binary"

// The MP configuration tables of the Intel MultiProcessor Specification
// 1.4, which tell a kernel without ACPI where the local APIC and the
// IO-APIC are and how the interrupt lines reach the IO-APIC's inputs.
//
// The MP floating pointer structure (16 bytes: "_MP_", the configuration
// table's physical address, its own length in 16-byte units (1), the
// specification revision (4: 1.4), a checksum making its bytes sum to 0,
// feature byte 1 = 0 (a configuration table follows) and feature byte 2 =
// 0 (IMCRP clear: virtual wire mode, no IMCR)) sits at MPFloatAddr in
// the BIOS area, which Linux scans and the E820 map reserves; the
// configuration table follows it. The table: a 44-byte header ("PCMP",
// base table length, revision 4, checksum, OEM and product IDs, entry
// count, the local APIC's address) and the entries in type order:
// processor (type 0, 20 bytes), buses (1: PCI as bus 0, ISA as bus 1),
// the IO-APIC (2), I/O interrupt assignments (3) and local interrupt
// assignments (4), 8 bytes each.

// MPFloatAddr is where the board puts the floating pointer; the table
// follows at MPFloatAddr+16.
const MPFloatAddr = biosStart

// MP table entry types, interrupt types and bus IDs.
const (
	mpProcessor = 0
	mpBus       = 1
	mpIOAPIC    = 2
	mpIOIntr    = 3
	mpLocalIntr = 4

	mpINT    = 0
	mpNMI    = 1
	mpExtINT = 3

	mpBusPCI = 0
	mpBusISA = 1
)

// MPConfig is what the MP table describes.
type MPConfig struct {
	// CPUSignature and CPUFeatures are CPUID leaf 1's EAX (family, model,
	// stepping) and EDX of the one processor (APIC ID 0, the boot one).
	CPUSignature, CPUFeatures uint32
	IOAPICID                  uint8
	// ISA maps each ISA IRQ (0-15) to the IO-APIC input it reaches, -1
	// for none (the cascade IRQ 2, lines the PCI interrupts use).
	ISA [16]int
	// PCI lists the PCI interrupt pins in use.
	PCI []MPPCIIntr
}

// MPPCIIntr is one PCI interrupt pin: the device's slot on bus 0, its pin
// (1 INTA# .. 4 INTD#) and the IO-APIC input its line reaches (level
// triggered, active low: the PCI bus's convention).
type MPPCIIntr struct {
	Slot, Pin int
	IOAPICPin int
}

// MPTable returns the floating pointer followed by the configuration
// table, to be written at MPFloatAddr.
func MPTable(c MPConfig) []byte {
	le := binary.LittleEndian
	var t []byte
	// Header, filled in below.
	t = append(t, "PCMP"...)
	t = append(t, make([]byte, 40)...)
	t[6] = 4 // revision 1.4
	copy(t[8:16], "GEMU    ")
	copy(t[16:28], "GEMU-SYSTEM ")
	le.PutUint32(t[36:], LAPICBase)

	n := 0
	entry := func(b ...byte) {
		t = append(t, b...)
		n++
	}
	// Processor: APIC ID 0, version, enabled and boot processor.
	p := make([]byte, 20)
	p[0], p[1], p[2], p[3] = mpProcessor, 0, LAPICVersion&0xff, 3
	le.PutUint32(p[4:], c.CPUSignature)
	le.PutUint32(p[8:], c.CPUFeatures)
	entry(p...)
	entry(append([]byte{mpBus, mpBusPCI}, "PCI   "...)...)
	entry(append([]byte{mpBus, mpBusISA}, "ISA   "...)...)
	io := make([]byte, 8)
	io[0], io[1], io[2], io[3] = mpIOAPIC, c.IOAPICID, IOAPICVersion&0xff, 1
	le.PutUint32(io[4:], IOAPICBase)
	entry(io...)
	// Flags 0: polarity and trigger mode conform to the bus (ISA: edge,
	// active high; PCI: level, active low).
	for irq, pin := range c.ISA {
		if pin >= 0 {
			entry(mpIOIntr, mpINT, 0, 0, mpBusISA, byte(irq), c.IOAPICID, byte(pin))
		}
	}
	for _, i := range c.PCI {
		entry(mpIOIntr, mpINT, 0, 0, mpBusPCI, byte(i.Slot<<2|(i.Pin-1)), c.IOAPICID, byte(i.IOAPICPin))
	}
	// LINT0 takes the PIC (ExtINT), LINT1 NMI, on every local APIC.
	entry(mpLocalIntr, mpExtINT, 0, 0, mpBusISA, 0, 0xff, 0)
	entry(mpLocalIntr, mpNMI, 0, 0, mpBusISA, 0, 0xff, 1)

	le.PutUint16(t[4:], uint16(len(t)))
	le.PutUint16(t[34:], uint16(n))
	t[7] = -sum8(t)

	f := make([]byte, 16)
	copy(f, "_MP_")
	le.PutUint32(f[4:], MPFloatAddr+16)
	f[8], f[9] = 1, 4
	f[10] = -sum8(f)
	return append(f, t...)
}

// sum8 returns the sum of b's bytes modulo 256.
func sum8(b []byte) byte {
	var s byte
	for _, x := range b {
		s += x
	}
	return s
}
