package pc

import "testing"

// picRig is a bus with a PIC mapped on it, initialised as Linux's
// init_8259A (arch/x86/kernel/i8259.c) does: vectors 0x30 and 0x38,
// cascade on IR2, 8086 mode, normal EOI.
type picRig struct {
	t     *testing.T
	bus   *Bus
	pic   *PIC
	kicks int
}

func newPICRig(t *testing.T) *picRig {
	r := &picRig{t: t, bus: NewBus()}
	r.bus.Kick = func() { r.kicks++ }
	r.pic = NewPIC(r.bus)
	r.pic.Map(r.bus)
	for _, w := range [][2]uint32{
		{0x21, 0xff}, {0xa1, 0xff}, // mask all
		{0x20, 0x11}, {0x21, 0x30}, {0x21, 0x04}, {0x21, 0x01}, // master ICW1-4
		{0xa0, 0x11}, {0xa1, 0x38}, {0xa1, 0x02}, {0xa1, 0x01}, // slave ICW1-4
		{0x21, 0x00}, {0xa1, 0x00}, // unmask all
	} {
		r.bus.Out(uint16(w[0]), 1, w[1])
	}
	return r
}

// irq drives ISA line n as a device does, with Bus.Mu held.
func (r *picRig) irq(n int, level bool) {
	r.bus.Mu.Lock()
	r.pic.Line(n)(level)
	r.bus.Mu.Unlock()
}

// ack expects a pending interrupt with vector want and acknowledges it.
func (r *picRig) ack(want uint8) {
	r.t.Helper()
	if !r.pic.Pending() {
		r.t.Fatalf("no interrupt pending, want vector %#x", want)
	}
	v, ok := r.pic.Ack()
	if !ok || v != want {
		r.t.Fatalf("Ack = %#x, %v; want %#x", v, ok, want)
	}
}

func (r *picRig) none() {
	r.t.Helper()
	if r.pic.Pending() {
		r.t.Fatalf("interrupt pending, want none")
	}
	if v, ok := r.pic.Ack(); ok {
		r.t.Fatalf("Ack = %#x, true; want nothing", v)
	}
}

// reg reads the IRR (ocw3 0x0a) or ISR (0x0b) of the chip at cmd.
func (r *picRig) reg(cmd uint16, ocw3 uint32) uint32 {
	r.bus.Out(cmd, 1, ocw3)
	return r.bus.In(cmd, 1)
}

func TestPICProbe(t *testing.T) {
	// Linux's probe_8259A writes 0xa5 to the master's mask and reads it
	// back.
	b := NewBus()
	NewPIC(b).Map(b)
	b.Out(0xa1, 1, 0xff)
	b.Out(0x21, 1, 0xa5)
	if v := b.In(0x21, 1); v != 0xa5 {
		t.Fatalf("IMR read back %#x, want 0xa5", v)
	}
	if v := b.In(0xa1, 1); v != 0xff {
		t.Fatalf("slave IMR %#x, want 0xff", v)
	}
}

func TestPICMasterEdgeEOI(t *testing.T) {
	r := newPICRig(t)
	r.none()
	r.irq(0, true)
	if r.kicks != 1 {
		t.Fatalf("kicks = %d, want 1", r.kicks)
	}
	if irr := r.reg(0x20, 0x0a); irr != 0x01 {
		t.Fatalf("IRR = %#x, want 0x01", irr)
	}
	r.ack(0x30)
	if isr := r.reg(0x20, 0x0b); isr != 0x01 {
		t.Fatalf("ISR = %#x, want 0x01", isr)
	}
	if irr := r.reg(0x20, 0x0a); irr != 0 {
		t.Fatalf("IRR after ack = %#x, want 0", irr)
	}
	// IRQ 1 waits behind IRQ 0 in service.
	r.irq(1, true)
	r.none()
	r.bus.Out(0x20, 1, 0x20) // non-specific EOI
	r.ack(0x31)
	r.bus.Out(0x20, 1, 0x61) // specific EOI 1
	if isr := r.reg(0x20, 0x0b); isr != 0 {
		t.Fatalf("ISR after EOI = %#x", isr)
	}
	// The edge was consumed: the line still high gives nothing new.
	r.none()
	r.irq(1, false)
	r.irq(1, true)
	r.ack(0x31)
}

func TestPICPriorityAndNesting(t *testing.T) {
	r := newPICRig(t)
	r.irq(3, true)
	r.irq(1, true)
	r.ack(0x31)
	r.none() // 3 is lower than 1 in service
	r.irq(0, true)
	r.ack(0x30) // 0 nests above 1
	if isr := r.reg(0x20, 0x0b); isr != 0x03 {
		t.Fatalf("ISR = %#x, want 0x03", isr)
	}
	r.bus.Out(0x20, 1, 0x20) // clears IR0, the highest
	if isr := r.reg(0x20, 0x0b); isr != 0x02 {
		t.Fatalf("ISR = %#x, want 0x02", isr)
	}
	r.none()
	r.bus.Out(0x20, 1, 0x20)
	r.ack(0x33)
}

func TestPICPulseAndMask(t *testing.T) {
	r := newPICRig(t)
	// A pulse (raise then lower) is latched until acknowledged.
	r.irq(4, true)
	r.irq(4, false)
	r.ack(0x34)
	r.bus.Out(0x20, 1, 0x20)
	// A masked request stays in the IRR and is delivered once unmasked.
	r.bus.Out(0x21, 1, 0x20)
	r.irq(5, true)
	r.none()
	if irr := r.reg(0x20, 0x0a); irr != 0x20 {
		t.Fatalf("IRR = %#x, want 0x20", irr)
	}
	r.bus.Out(0x21, 1, 0x00)
	r.ack(0x35)
}

func TestPICSlaveCascade(t *testing.T) {
	r := newPICRig(t)
	r.irq(12, true)
	r.ack(0x3c)
	if isr := r.reg(0x20, 0x0b); isr != 0x04 {
		t.Fatalf("master ISR = %#x, want 0x04", isr)
	}
	if isr := r.reg(0xa0, 0x0b); isr != 0x10 {
		t.Fatalf("slave ISR = %#x, want 0x10", isr)
	}
	// A higher slave request waits for the cascade's EOI (no SFNM).
	r.irq(8, true)
	r.none()
	// Linux's mask_and_ack_8259A: specific EOI on the slave, then on the
	// master's cascade line.
	r.bus.Out(0xa0, 1, 0x60|4)
	r.bus.Out(0x20, 1, 0x60|2)
	r.ack(0x38)
	r.bus.Out(0xa0, 1, 0x60)
	r.bus.Out(0x20, 1, 0x62)
	r.none()
	// Line(2) is IRQ 9.
	r.irq(2, true)
	r.ack(0x39)
}

func TestPICLevelELCR(t *testing.T) {
	r := newPICRig(t)
	r.bus.Out(0x4d0, 1, 0xff)
	r.bus.Out(0x4d1, 1, 0xff)
	if v := r.bus.In(0x4d0, 2); v != 0xdef8 {
		t.Fatalf("ELCR = %#x, want 0xdef8 (IRQ 0, 1, 2, 8, 13 edge only)", v)
	}
	r.bus.Out(0x4d0, 2, 0x0400) // IRQ 10 level
	r.irq(10, true)
	r.ack(0x3a)
	r.bus.Out(0xa0, 1, 0x20)
	r.bus.Out(0x20, 1, 0x20)
	r.ack(0x3a) // still high: again
	r.irq(10, false)
	r.bus.Out(0xa0, 1, 0x20)
	r.bus.Out(0x20, 1, 0x20)
	r.none()
	// A level request withdrawn before the acknowledge is not delivered.
	r.irq(10, true)
	if !r.pic.Pending() {
		t.Fatal("IRQ 10 not pending")
	}
	r.irq(10, false)
	r.none()
}

func TestPICAutoEOIAndPoll(t *testing.T) {
	r := newPICRig(t)
	for _, w := range [][2]uint32{{0x20, 0x11}, {0x21, 0x30}, {0x21, 0x04}, {0x21, 0x03}, {0x21, 0}} {
		r.bus.Out(uint16(w[0]), 1, w[1])
	}
	r.irq(6, true)
	r.ack(0x36)
	if isr := r.reg(0x20, 0x0b); isr != 0 {
		t.Fatalf("ISR in auto-EOI = %#x, want 0", isr)
	}
	// Poll mode: the read acknowledges and returns 0x80|level.
	r.irq(7, true)
	r.bus.Out(0x20, 1, 0x0c)
	if v := r.bus.In(0x20, 1); v != 0x87 {
		t.Fatalf("poll word %#x, want 0x87", v)
	}
	r.bus.Out(0x20, 1, 0x0c)
	if v := r.bus.In(0x20, 1); v != 0 {
		t.Fatalf("empty poll word %#x, want 0", v)
	}
	r.none()
}

func TestPICSpecialMaskAndRotate(t *testing.T) {
	r := newPICRig(t)
	r.irq(3, true)
	r.ack(0x33)
	r.irq(5, true)
	r.none()
	r.bus.Out(0x20, 1, 0x68) // special mask mode on
	r.bus.Out(0x21, 1, 0x08) // mask IR3: it no longer inhibits
	r.ack(0x35)
	r.bus.Out(0x20, 1, 0x65)
	r.bus.Out(0x20, 1, 0x63)
	r.bus.Out(0x20, 1, 0x48) // special mask mode off
	r.bus.Out(0x21, 1, 0x00)
	// Rotate on non-specific EOI: IR0 becomes the lowest priority.
	r.irq(0, true)
	r.ack(0x30)
	r.bus.Out(0x20, 1, 0xa0)
	r.irq(0, false)
	r.irq(0, true)
	r.irq(6, true)
	r.ack(0x36)
	r.bus.Out(0x20, 1, 0x20)
	r.ack(0x30)
	r.bus.Out(0x20, 1, 0x20)
	// Set priority: IR6 lowest, so IR7 is the highest.
	r.bus.Out(0x20, 1, 0xc6)
	r.irq(1, true)
	r.irq(7, true)
	r.ack(0x37)
}

func TestPICSingleNoICW3(t *testing.T) {
	b := NewBus()
	p := NewPIC(b)
	p.Map(b)
	// ICW1 single, ICW4 needed: ICW2 then ICW4, no ICW3.
	for _, w := range [][2]uint32{{0x20, 0x13}, {0x21, 0x40}, {0x21, 0x01}, {0x21, 0xfe}} {
		b.Out(uint16(w[0]), 1, w[1])
	}
	if v := b.In(0x21, 1); v != 0xfe {
		t.Fatalf("IMR %#x, want 0xfe (the sequence took a byte too many or too few)", v)
	}
	b.Mu.Lock()
	p.Line(0)(true)
	b.Mu.Unlock()
	if v, ok := p.Ack(); !ok || v != 0x40 {
		t.Fatalf("Ack = %#x, %v; want 0x40", v, ok)
	}
}
