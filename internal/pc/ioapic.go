package pc

// The I/O APIC, an Intel 82093AA at IOAPICBase: two registers in memory,
// IOREGSEL (offset 0x00: the index of the register IOWIN shows) and IOWIN
// (offset 0x10), behind which sit the ID (index 0, bits 27:24), the
// version (index 1: version 0x20, 24 redirection entries), the arbitration
// ID (index 2, read-only, the ID) and the redirection table (index
// 0x10+2n: entry n's low half, 0x11+2n its high half).
//
// A redirection entry: vector (7:0), delivery mode (10:8), destination
// mode (11, logical if set), delivery status (12, read-only: always idle,
// messages are delivered at once), polarity (13, stored: the inputs here
// are already "asserted or not", as the MP table's polarity describes the
// wire), remote IRR (14, read-only), trigger mode (15, level if set), mask
// (16), destination (63:56).
//
// An edge-triggered input sends a message on each rising edge while it
// is unmasked (an edge while masked is lost). A level-triggered input
// sends one while it is asserted, unmasked and its remote IRR clear, and
// sets remote IRR when the local APIC accepts it; the local APIC's EOI of
// that vector clears remote IRR, and an input still asserted sends again.
// Fixed and lowest-priority deliveries go to the local APIC; NMI, SMI,
// INIT and ExtINT entries are refused (nothing is sent: the CPU interface
// has no NMI or INIT pin, and the PIC reaches the CPU through LINT0).

// IOAPIC register indices and sizes.
const (
	ioapicID      = 0x00
	ioapicVersion = 0x01
	ioapicArb     = 0x02
	ioapicRedir   = 0x10
	// IOAPICPins is the number of inputs (redirection entries).
	IOAPICPins = 24
	// IOAPICVersion is the version register: version 0x20, maximum
	// redirection entry 23 (bits 23:16).
	IOAPICVersion = (IOAPICPins-1)<<16 | 0x20
)

// Redirection entry bits beyond the LVT's.
const (
	redirDestLogical = 1 << 11
	redirRemoteIRR   = 1 << 14
	redirLevel       = 1 << 15
	redirMasked      = 1 << 16
	// redirWritable: vector, delivery mode, destination mode, polarity,
	// trigger mode, mask; destination.
	redirWritable = 0xff | 7<<8 | 1<<11 | 1<<13 | 1<<15 | 1<<16 | 0xff<<56
)

// IOAPIC is the I/O APIC, delivering to one local APIC.
type IOAPIC struct {
	lapic *LAPIC
	sel   uint32
	id    uint32
	redir [IOAPICPins]uint64
	level [IOAPICPins]bool // each input as last driven
}

// NewIOAPIC returns the IO-APIC with ID id (as the MP table names it) and
// every entry masked, sending to lapic.
func NewIOAPIC(lapic *LAPIC, id uint8) *IOAPIC {
	a := &IOAPIC{lapic: lapic, id: uint32(id&0xf) << 24}
	for i := range a.redir {
		a.redir[i] = redirMasked
	}
	return a
}

// Map puts the registers at IOAPICBase.
func (a *IOAPIC) Map(b *Bus) { b.MapMMIO(IOAPICBase, apicPage, "ioapic", a) }

// Line returns input pin's interrupt line.
func (a *IOAPIC) Line(pin int) IRQ {
	if pin < 0 || pin >= IOAPICPins {
		panic("pc: IO-APIC pin out of range")
	}
	return func(level bool) { a.setLevel(pin, level) }
}

// setLevel drives input pin.
func (a *IOAPIC) setLevel(pin int, level bool) {
	rise := level && !a.level[pin]
	a.level[pin] = level
	e := a.redir[pin]
	if e&redirLevel != 0 {
		a.service(pin)
	} else if rise && e&redirMasked == 0 {
		a.send(pin)
	}
}

// service sends a level input's message if it is asserted, unmasked and
// not waiting for its EOI.
func (a *IOAPIC) service(pin int) {
	e := a.redir[pin]
	if e&redirLevel == 0 || !a.level[pin] || e&(redirMasked|redirRemoteIRR) != 0 {
		return
	}
	if a.send(pin) {
		a.redir[pin] |= redirRemoteIRR
	}
}

// send delivers entry pin's message; it reports whether the local APIC
// accepted it.
func (a *IOAPIC) send(pin int) bool {
	e := a.redir[pin]
	if a.lapic == nil {
		return false
	}
	return a.lapic.Deliver(uint32(e>>8)&7, uint8(e), e&redirLevel != 0, e&redirDestLogical != 0, uint8(e>>56))
}

// EOI is the local APIC's EOI broadcast for vector: level entries with
// that vector and remote IRR set are ready again.
func (a *IOAPIC) EOI(vector uint8) {
	for pin := range a.redir {
		e := a.redir[pin]
		if e&redirRemoteIRR != 0 && uint8(e) == vector {
			a.redir[pin] &^= redirRemoteIRR
			a.service(pin)
		}
	}
}

// ReadMMIO reads IOREGSEL or IOWIN (32-bit registers; other offsets read
// 0).
func (a *IOAPIC) ReadMMIO(off uint64, size int) uint64 {
	switch off &^ 3 {
	case 0x00:
		return uint64(a.sel) >> (8 * (off & 3))
	case 0x10:
		return uint64(a.read()) >> (8 * (off & 3))
	}
	return 0
}

func (a *IOAPIC) read() uint32 {
	switch r := a.sel; {
	case r == ioapicID, r == ioapicArb:
		return a.id
	case r == ioapicVersion:
		return IOAPICVersion
	case r >= ioapicRedir && r < ioapicRedir+2*IOAPICPins:
		e := a.redir[(r-ioapicRedir)/2]
		return uint32(e >> (32 * (r & 1)))
	}
	return 0
}

// WriteMMIO writes IOREGSEL or IOWIN.
func (a *IOAPIC) WriteMMIO(off uint64, size int, v uint64) {
	switch off {
	case 0x00:
		a.sel = uint32(v) & 0xff
	case 0x10:
		a.write(uint32(v))
	}
}

func (a *IOAPIC) write(v uint32) {
	switch r := a.sel; {
	case r == ioapicID:
		a.id = v & 0x0f000000
	case r >= ioapicRedir && r < ioapicRedir+2*IOAPICPins:
		pin := int(r-ioapicRedir) / 2
		old := a.redir[pin]
		w := uint64(v) << (32 * (r & 1))
		mask := uint64(0xffffffff) << (32 * (r & 1)) & redirWritable
		e := old&^mask | w&mask
		if e&redirLevel == 0 {
			e &^= redirRemoteIRR
		}
		a.redir[pin] = e
		a.service(pin)
	}
}
