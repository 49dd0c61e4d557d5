package pc

import "testing"

type kbdRig struct {
	t        *testing.T
	bus      *Bus
	k        *I8042
	resets   int
	kbd, aux []bool // line changes
}

func newKbdRig(t *testing.T) *kbdRig {
	r := &kbdRig{t: t, bus: NewBus()}
	r.k = NewI8042(
		func(l bool) { r.kbd = append(r.kbd, l) },
		func(l bool) { r.aux = append(r.aux, l) },
		func() { r.resets++ })
	r.k.Map(r.bus)
	return r
}

// command runs a controller command as Linux's i8042_command does and
// returns the reply byte, checking OBF (and the AUX bit) around it.
func (r *kbdRig) command(c uint8, reply bool) uint8 {
	r.t.Helper()
	if s := r.bus.In(0x64, 1); s&0x02 != 0 {
		r.t.Fatalf("IBF set before command %#x", c)
	}
	r.bus.Out(0x64, 1, uint32(c))
	s := r.bus.In(0x64, 1)
	if !reply {
		if s&0x01 != 0 {
			r.t.Fatalf("command %#x: OBF set, no reply expected", c)
		}
		return 0
	}
	if s&0x01 == 0 {
		r.t.Fatalf("command %#x: no reply (status %#x)", c, s)
	}
	if s&0x08 == 0 {
		r.t.Fatalf("command %#x: A2 clear after a command write (status %#x)", c, s)
	}
	v := uint8(r.bus.In(0x60, 1))
	if s := r.bus.In(0x64, 1); s&0x01 != 0 {
		r.t.Fatalf("command %#x: OBF still set after the read", c)
	}
	return v
}

func TestI8042Probe(t *testing.T) {
	r := newKbdRig(t)
	if s := r.bus.In(0x64, 1); s != 0x14 {
		t.Fatalf("status %#x, want 0x14 (SYS, not inhibited)", s)
	}
	// i8042_flush finds nothing; the self-test answers 0x55.
	if v := r.command(0xaa, true); v != 0x55 {
		t.Fatalf("self-test %#x, want 0x55", v)
	}
	ctr := r.command(0x20, true)
	if ctr != 0x47 {
		t.Fatalf("command byte %#x, want 0x47", ctr)
	}
	// i8042_controller_init: disable both ports and their interrupts.
	r.bus.Out(0x64, 1, 0x60)
	r.bus.Out(0x60, 1, 0x74)
	if s := r.bus.In(0x64, 1); s&0x08 != 0 {
		t.Fatalf("A2 set after a data write (status %#x)", s)
	}
	if v := r.command(0x20, true); v != 0x74 {
		t.Fatalf("command byte %#x after writing 0x74", v)
	}
	if v := r.command(0xab, true); v != 0 {
		t.Fatalf("keyboard interface test %#x, want 0", v)
	}
	if v := r.command(0xa9, true); v != 0 {
		t.Fatalf("aux interface test %#x, want 0", v)
	}
	// i8042_check_aux: enable, disable the aux port through the command
	// byte's bit 5.
	r.command(0xa8, false)
	if v := r.command(0x20, true); v&0x20 != 0 {
		t.Fatalf("aux still disabled: %#x", v)
	}
	r.command(0xa7, false)
	if v := r.command(0x20, true); v&0x20 == 0 {
		t.Fatalf("aux not disabled: %#x", v)
	}
	r.command(0xae, false)
	if v := r.command(0x20, true); v&0x10 != 0 {
		t.Fatalf("keyboard still disabled: %#x", v)
	}
	if r.resets != 0 {
		t.Fatalf("%d resets during the probe", r.resets)
	}
}

func TestI8042LoopbackAndIRQ(t *testing.T) {
	r := newKbdRig(t)
	// Aux loopback (i8042_check_aux writes 0x5a with 0xd3): AUX data,
	// IRQ 12.
	r.bus.Out(0x64, 1, 0xd3)
	r.bus.Out(0x60, 1, 0x5a)
	if s := r.bus.In(0x64, 1); s&0x21 != 0x21 {
		t.Fatalf("status %#x, want OBF and AUXDATA", s)
	}
	if len(r.aux) != 1 || !r.aux[0] {
		t.Fatalf("IRQ 12 changes %v, want a raise", r.aux)
	}
	if v := r.bus.In(0x60, 1); v != 0x5a {
		t.Fatalf("loopback %#x, want 0x5a", v)
	}
	if len(r.aux) != 2 || r.aux[1] {
		t.Fatalf("IRQ 12 changes %v, want it lowered", r.aux)
	}
	// Two keyboard bytes: IRQ 1 is lowered and raised between them.
	r.bus.Out(0x64, 1, 0xd2)
	r.bus.Out(0x60, 1, 0x1c)
	r.bus.Out(0x64, 1, 0xd2)
	r.bus.Out(0x60, 1, 0x9c)
	if a, b := r.bus.In(0x60, 1), r.bus.In(0x60, 1); a != 0x1c || b != 0x9c {
		t.Fatalf("keyboard bytes %#x %#x", a, b)
	}
	if want := []bool{true, false, true, false}; len(r.kbd) != 4 || r.kbd[0] != want[0] || r.kbd[1] != want[1] || r.kbd[2] != want[2] || r.kbd[3] != want[3] {
		t.Fatalf("IRQ 1 changes %v, want %v", r.kbd, want)
	}
	// The empty buffer reads the last byte again.
	if v := r.bus.In(0x60, 1); v != 0x9c {
		t.Fatalf("empty read %#x, want the last byte", v)
	}
	// No keyboard: a byte sent to it is answered 0xfe with the timeout bit.
	r.bus.Out(0x60, 1, 0xf2)
	if s := r.bus.In(0x64, 1); s&0x61 != 0x41 {
		t.Fatalf("status %#x, want OBF and timeout, not AUX", s)
	}
	if v := r.bus.In(0x60, 1); v != 0xfe {
		t.Fatalf("keyboard reply %#x, want 0xfe", v)
	}
	// With interrupts off in the command byte, no IRQ.
	r.bus.Out(0x64, 1, 0x60)
	r.bus.Out(0x60, 1, 0x44)
	n := len(r.kbd)
	r.bus.Out(0x64, 1, 0xd4)
	r.bus.Out(0x60, 1, 0xff)
	if s := r.bus.In(0x64, 1); s&0x61 != 0x61 {
		t.Fatalf("status %#x after a byte to the absent mouse", s)
	}
	r.bus.In(0x60, 1)
	if len(r.kbd) != n || len(r.aux) != 2 {
		t.Fatalf("IRQ changes with interrupts disabled: %v %v", r.kbd, r.aux)
	}
}

func TestI8042Reset(t *testing.T) {
	r := newKbdRig(t)
	r.bus.Out(0x64, 1, 0xff) // pulse nothing
	r.bus.Out(0x64, 1, 0xd1)
	r.bus.Out(0x60, 1, 0xdf) // bit 0 set: no reset
	if r.resets != 0 {
		t.Fatalf("reset without cause")
	}
	if v := r.command(0xd0, true); v != 0xcf {
		t.Fatalf("output port %#x, want 0xcf (written 0xdf, buffer-full bits from state)", v)
	}
	r.bus.Out(0x64, 1, 0xfe) // Linux's reboot=k
	if r.resets != 1 {
		t.Fatalf("0xfe: %d resets, want 1", r.resets)
	}
	r.bus.Out(0x64, 1, 0xd1)
	r.bus.Out(0x60, 1, 0xfe) // bit 0 clear
	if r.resets != 2 {
		t.Fatalf("output port bit 0 clear: %d resets, want 2", r.resets)
	}
	if r.k.A20() != true {
		t.Fatal("A20 off after writing 0xfe")
	}
	r.bus.Out(0x64, 1, 0xd1)
	r.bus.Out(0x60, 1, 0xfd)
	if r.k.A20() {
		t.Fatal("A20 on after writing 0xfd")
	}
}

func TestDebugPort(t *testing.T) {
	b := NewBus()
	d := &DebugPort{}
	d.Map(b)
	if v := b.In(0x80, 1); v != 0 {
		t.Fatalf("port 0x80 before a write: %#x", v)
	}
	b.Out(0x80, 1, 0x3c)
	if v := b.In(0x80, 1); v != 0x3c || d.Last() != 0x3c {
		t.Fatalf("port 0x80 = %#x, want 0x3c", v)
	}
}

// TestBoardLegacyDevices checks that the board maps the RTC, the i8042
// (its reset line being the board's reset) and port 0x80.
func TestBoardLegacyDevices(t *testing.T) {
	resets := 0
	b, err := NewBoard(BoardConfig{Reset: func() { resets++ }})
	if err != nil {
		t.Fatal(err)
	}
	bus := b.Bus
	bus.Out(0x70, 1, 0x0d)
	if v := bus.In(0x71, 1); v != 0x80 {
		t.Fatalf("RTC register D %#x, want 0x80", v)
	}
	bus.Out(0x64, 1, 0xaa)
	if v := bus.In(0x60, 1); v != 0x55 {
		t.Fatalf("i8042 self-test %#x, want 0x55", v)
	}
	bus.Out(0x64, 1, 0xfe)
	if resets != 1 {
		t.Fatalf("%d resets after 0xfe, want 1", resets)
	}
	bus.Out(0x80, 1, 0x42)
	if v := bus.In(0x80, 1); v != 0x42 {
		t.Fatalf("port 0x80 %#x, want 0x42", v)
	}
}
