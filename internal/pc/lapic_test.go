package pc

import (
	"testing"
	"time"
)

// fakeClock drives a LAPIC's timer by hand: now is the bus time, pending
// the AfterFunc the APIC asked for (nil: none) and due its bus time.
type fakeClock struct {
	now     int64
	pending func()
	due     int64
	t       *Timer
}

func newTestLAPIC(t *testing.T, hz int64) (*LAPIC, *fakeClock) {
	t.Helper()
	b := NewBus()
	kicks := 0
	b.Kick = func() { kicks++ }
	l := NewLAPIC(b, hz)
	clk := &fakeClock{}
	l.now = func() int64 { return clk.now }
	l.after = func(d time.Duration, f func()) *Timer {
		tm := &Timer{t: time.AfterFunc(time.Hour, func() {})}
		clk.pending, clk.due, clk.t = f, clk.now+int64(d), tm
		t.Cleanup(func() { tm.t.Stop() })
		return tm
	}
	return l, clk
}

// advance moves the clock to at, running the timer if it is due.
func (c *fakeClock) advance(at int64) {
	for c.pending != nil && c.due <= at && !c.t.stopped {
		c.now = c.due
		f := c.pending
		c.pending = nil
		f()
	}
	c.now = at
}

func lapicRead(l *LAPIC, r uint32) uint32 { return uint32(l.ReadMMIO(uint64(r), 4)) }
func lapicWrite(l *LAPIC, r, v uint32)    { l.WriteMMIO(uint64(r), 4, uint64(v)) }

func TestLAPICReset(t *testing.T) {
	l, _ := newTestLAPIC(t, 1e9)
	for _, c := range []struct {
		reg  uint32
		want uint32
	}{
		{lapicID, 0},
		{lapicVersion, 0x50014},
		{lapicTPR, 0},
		{lapicPPR, 0},
		{lapicDFR, 0xffffffff},
		{lapicSVR, 0xff},
		{lapicLVTT, 0x10000},
		{lapicLINT0, 0x700},
		{lapicLINT1, 0x400},
		{lapicLVTErr, 0x10000},
		{lapicTimerDC, 0},
		{0x400, 0},
	} {
		if got := lapicRead(l, c.reg); got != c.want {
			t.Errorf("register %#x = %#x, want %#x", c.reg, got, c.want)
		}
	}
	// Software disabling masks every LVT entry, and they stay masked.
	lapicWrite(l, lapicSVR, 0x0ff)
	lapicWrite(l, lapicLINT0, 0x700)
	if got := lapicRead(l, lapicLINT0); got != 0x10700 {
		t.Errorf("LINT0 while disabled = %#x, want 0x10700", got)
	}
	lapicWrite(l, lapicSVR, 0x1ff)
	lapicWrite(l, lapicLINT0, 0x700)
	if got := lapicRead(l, lapicLINT0); got != 0x700 {
		t.Errorf("LINT0 = %#x, want 0x700", got)
	}
}

// TestLAPICPriority follows SDM 10.8.3: an interrupt is delivered when its
// class is above the PPR's, the PPR being the TPR or the class of the
// highest vector in service, and EOI ends the highest in service.
func TestLAPICPriority(t *testing.T) {
	l, _ := newTestLAPIC(t, 1e9)
	lapicWrite(l, lapicSVR, 0x1ff)
	lapicWrite(l, lapicLINT0, 0x10700) // no PIC in this test anyway
	l.accept(0x41, false)
	l.accept(0x35, false)
	if !l.Pending() {
		t.Fatal("no interrupt pending after two were accepted")
	}
	if got := lapicRead(l, lapicIRR+0x20); got != 1<<(0x41-0x40) {
		t.Errorf("IRR[95:64] = %#x, want %#x", got, 1<<1)
	}
	if got := lapicRead(l, lapicIRR+0x10); got != 1<<(0x35-0x20) {
		t.Errorf("IRR[63:32] = %#x, want %#x", got, 1<<(0x35-0x20))
	}
	// TPR 0x40 holds back class 4 and below.
	lapicWrite(l, lapicTPR, 0x40)
	if l.Pending() {
		t.Error("pending with TPR 0x40 and the highest request 0x41")
	}
	if got := lapicRead(l, lapicPPR); got != 0x40 {
		t.Errorf("PPR = %#x, want 0x40", got)
	}
	lapicWrite(l, lapicTPR, 0x3f)
	v, ok := l.Ack()
	if !ok || v != 0x41 {
		t.Fatalf("Ack = %#x %v, want 0x41", v, ok)
	}
	// 0x41 in service: PPR 0x40 (its class, above the TPR's 3), 0x35 held.
	if got := lapicRead(l, lapicPPR); got != 0x40 {
		t.Errorf("PPR with 0x41 in service = %#x, want 0x40", got)
	}
	if got := lapicRead(l, lapicISR+0x20); got != 2 {
		t.Errorf("ISR[95:64] = %#x, want 2", got)
	}
	if l.Pending() {
		t.Error("0x35 pending below 0x41 in service")
	}
	if _, ok := l.Ack(); ok {
		t.Error("Ack gave a vector with nothing deliverable")
	}
	// A higher class nests.
	l.accept(0x61, false)
	if v, ok := l.Ack(); !ok || v != 0x61 {
		t.Fatalf("Ack = %#x %v, want 0x61", v, ok)
	}
	lapicWrite(l, lapicEOI, 0) // ends 0x61
	if got := lapicRead(l, lapicISR+0x30); got != 0 {
		t.Errorf("ISR[127:96] after EOI = %#x, want 0", got)
	}
	if got := lapicRead(l, lapicISR+0x20); got != 2 {
		t.Errorf("ISR[95:64] after the first EOI = %#x, want 2 (0x41 still in service)", got)
	}
	lapicWrite(l, lapicTPR, 0x30) // PPR 0x40 from the ISR still
	if l.Pending() {
		t.Error("0x35 pending with 0x41 in service")
	}
	lapicWrite(l, lapicEOI, 0) // ends 0x41: PPR 0x30, 0x35 is class 3: held
	if got := lapicRead(l, lapicPPR); got != 0x30 {
		t.Errorf("PPR = %#x, want 0x30", got)
	}
	if l.Pending() {
		t.Error("0x35 pending with TPR 0x30 (same class)")
	}
	lapicWrite(l, lapicTPR, 0)
	if v, ok := l.Ack(); !ok || v != 0x35 {
		t.Fatalf("Ack = %#x %v, want 0x35", v, ok)
	}
	lapicWrite(l, lapicEOI, 0)
	if l.Pending() || lapicRead(l, lapicPPR) != 0 {
		t.Error("state not idle after the last EOI")
	}
}

func TestLAPICLevelEOIBroadcast(t *testing.T) {
	l, _ := newTestLAPIC(t, 1e9)
	var eois []uint8
	l.OnEOI = func(v uint8) { eois = append(eois, v) }
	lapicWrite(l, lapicSVR, 0x1ff)
	if !l.Deliver(0, 0x51, true, false, 0) {
		t.Fatal("physical destination 0 not accepted")
	}
	if got := lapicRead(l, lapicTMR+0x20); got != 1<<(0x51-0x40) {
		t.Errorf("TMR[95:64] = %#x, want %#x", got, 1<<(0x51-0x40))
	}
	if v, _ := l.Ack(); v != 0x51 {
		t.Fatalf("Ack = %#x, want 0x51", v)
	}
	l.Deliver(0, 0x62, false, false, 0)
	if v, _ := l.Ack(); v != 0x62 {
		t.Fatalf("Ack = %#x, want 0x62 (nested)", v)
	}
	lapicWrite(l, lapicEOI, 0) // 0x62, edge
	lapicWrite(l, lapicEOI, 0) // 0x51, level
	if len(eois) != 1 || eois[0] != 0x51 {
		t.Errorf("EOI broadcasts %#x, want [0x51]", eois)
	}
}

func TestLAPICDestinations(t *testing.T) {
	l, _ := newTestLAPIC(t, 1e9)
	lapicWrite(l, lapicSVR, 0x1ff)
	lapicWrite(l, lapicLDR, 0x01000000)
	for _, c := range []struct {
		logical bool
		dest    uint8
		dfr     uint32
		want    bool
	}{
		{false, 0, 0xffffffff, true},
		{false, 1, 0xffffffff, false},
		{false, 0xff, 0xffffffff, true},
		{true, 1, 0xffffffff, true},
		{true, 2, 0xffffffff, false},
		{true, 3, 0xffffffff, true},
		{true, 0x01, 0x0fffffff, true},  // cluster 0, APIC bit 0
		{true, 0x11, 0x0fffffff, false}, // cluster 1
	} {
		lapicWrite(l, lapicDFR, c.dfr)
		if got := l.Deliver(1, 0x40, false, c.logical, c.dest); got != c.want {
			t.Errorf("logical %v dest %#x DFR %#x: accepted %v, want %v", c.logical, c.dest, c.dfr, got, c.want)
		}
	}
	if l.Deliver(4, 0x40, false, false, 0) {
		t.Error("NMI message accepted")
	}
}

func TestLAPICSelfIPIAndErrors(t *testing.T) {
	l, _ := newTestLAPIC(t, 1e9)
	lapicWrite(l, lapicSVR, 0x1ff)
	lapicWrite(l, lapicICRLo, 0x40000|0x66) // self shorthand, fixed
	if v, ok := l.Ack(); !ok || v != 0x66 {
		t.Fatalf("self IPI: Ack = %#x %v, want 0x66", v, ok)
	}
	lapicWrite(l, lapicICRLo, 0xc0000|0x67) // all excluding self: nobody
	lapicWrite(l, lapicICRHi, 0x05000000)
	lapicWrite(l, lapicICRLo, 0x68) // physical destination 5: nobody
	if got := lapicRead(l, lapicIRR+0x60); got != 0 {
		t.Errorf("IRR[255:224] = %#x after IPIs to others, want 0", got)
	}
	lapicWrite(l, lapicICRLo, 0x40000|0x05) // illegal vector
	if got := lapicRead(l, lapicESR); got != 0 {
		t.Errorf("ESR before the latching write = %#x, want 0", got)
	}
	lapicWrite(l, lapicESR, 0)
	if got := lapicRead(l, lapicESR); got != esrSendIllegal {
		t.Errorf("ESR = %#x, want %#x", got, esrSendIllegal)
	}
	lapicWrite(l, lapicESR, 0)
	if got := lapicRead(l, lapicESR); got != 0 {
		t.Errorf("ESR after a second write = %#x, want 0", got)
	}
}

// TestLAPICTimerOneShot counts at 100 MHz (10 ns a clock) with divide by
// 16: an initial count of 1000 runs 160 us of bus time.
func TestLAPICTimerOneShot(t *testing.T) {
	l, clk := newTestLAPIC(t, 100_000_000)
	lapicWrite(l, lapicSVR, 0x1ff)
	lapicWrite(l, lapicTimerDC, 0x3) // divide by 16
	lapicWrite(l, lapicLVTT, 0x30)
	clk.now = 5000
	lapicWrite(l, lapicTimerIC, 1000)
	if clk.due != 5000+160_000 {
		t.Fatalf("timer due at %d, want %d", clk.due, 5000+160_000)
	}
	for _, c := range []struct {
		at   int64
		want uint32
	}{
		{5000, 1000},
		{5000 + 159, 1000}, // 15 clocks: not yet one count
		{5000 + 160, 999},
		{5000 + 80_000, 500},
		{5000 + 159_999, 1},
	} {
		clk.advance(c.at)
		if got := lapicRead(l, lapicTimerCC); got != c.want {
			t.Errorf("current count at %d = %d, want %d", c.at, got, c.want)
		}
	}
	if l.Pending() {
		t.Fatal("interrupt before the count ran out")
	}
	clk.advance(5000 + 160_000)
	if got := lapicRead(l, lapicTimerCC); got != 0 {
		t.Errorf("current count at expiry = %d, want 0", got)
	}
	if v, ok := l.Ack(); !ok || v != 0x30 {
		t.Fatalf("Ack = %#x %v, want 0x30", v, ok)
	}
	lapicWrite(l, lapicEOI, 0)
	clk.advance(10_000_000)
	if l.Pending() || clk.pending != nil || lapicRead(l, lapicTimerCC) != 0 {
		t.Error("one-shot timer fired again or counts again")
	}
}

// TestLAPICTimerPeriodic: divide by 1 at 1 GHz, 1000 clocks a period;
// the periods follow each other exactly even when the timer runs late,
// and a masked timer still counts.
func TestLAPICTimerPeriodic(t *testing.T) {
	l, clk := newTestLAPIC(t, 1e9)
	lapicWrite(l, lapicSVR, 0x1ff)
	lapicWrite(l, lapicTimerDC, 0xb) // divide by 1
	lapicWrite(l, lapicLVTT, 0x20031)
	lapicWrite(l, lapicTimerIC, 1000)
	n := 0
	take := func() {
		if _, ok := l.Ack(); ok {
			n++
			lapicWrite(l, lapicEOI, 0)
		}
	}
	for at := int64(0); at <= 10_000; at += 250 {
		clk.advance(at)
		take()
	}
	if n != 10 {
		t.Errorf("%d interrupts in 10 periods, want 10", n)
	}
	// The timer fires 300 ns late: the next period still ends at 12000.
	clk.now = 11_300
	clk.pending()
	take()
	if clk.due != 12_000 {
		t.Errorf("next expiry at %d, want 12000", clk.due)
	}
	clk.advance(11_500)
	if got := lapicRead(l, lapicTimerCC); got != 500 {
		t.Errorf("current count at 11500 = %d, want 500", got)
	}
	lapicWrite(l, lapicLVTT, 0x30031) // masked
	clk.advance(20_000)
	take()
	if n != 11 {
		t.Errorf("%d interrupts, want 11 (none while masked)", n)
	}
	if got := lapicRead(l, lapicTimerCC); got != 1000 {
		t.Errorf("current count at 20000 = %d, want 1000 (a new period)", got)
	}
	lapicWrite(l, lapicTimerIC, 0)
	if clk.t != nil && !clk.t.stopped {
		t.Error("initial count 0 left the timer running")
	}
	if got := lapicRead(l, lapicTimerCC); got != 0 {
		t.Errorf("stopped timer's count = %d, want 0", got)
	}
}

func TestLAPICDivide(t *testing.T) {
	l, _ := newTestLAPIC(t, 1e9)
	for dcr, want := range map[uint32]int64{0x0: 2, 0x1: 4, 0x2: 8, 0x3: 16, 0x8: 32, 0x9: 64, 0xa: 128, 0xb: 1} {
		lapicWrite(l, lapicTimerDC, dcr)
		if l.div != want {
			t.Errorf("DCR %#x: divide by %d, want %d", dcr, l.div, want)
		}
	}
}

// TestLAPICVirtualWire: with LINT0 in ExtINT mode the PIC's interrupt
// reaches the CPU with the PIC's vector, bypassing the APIC's priorities;
// masked, it does not.
func TestLAPICVirtualWire(t *testing.T) {
	l, _ := newTestLAPIC(t, 1e9)
	p := NewPIC(l.bus)
	l.PIC = p
	p.chip[0].imr = 0
	p.Line(3)(true)
	if !l.Pending() {
		t.Fatal("PIC interrupt not pending through LINT0 at reset")
	}
	lapicWrite(l, lapicTPR, 0xf0)
	if v, ok := l.Ack(); !ok || v != 0x0b {
		t.Fatalf("Ack = %#x %v, want the PIC's 0x0b", v, ok)
	}
	p.writeByte(PortPICMaster, 0x20) // EOI
	p.Line(3)(false)
	p.Line(3)(true)
	lapicWrite(l, lapicSVR, 0x1ff)
	lapicWrite(l, lapicLINT0, 0x10700)
	if l.Pending() {
		t.Error("PIC interrupt pending with LINT0 masked")
	}
}

// TestLAPICGlobalDisable: with IA32_APIC_BASE.EN clear the PIC reaches
// the CPU even with LINT0 masked, and the APIC's own requests wait.
func TestLAPICGlobalDisable(t *testing.T) {
	l, _ := newTestLAPIC(t, 1e9)
	p := NewPIC(l.bus)
	l.PIC = p
	en := false
	l.GlobalEnable = func() bool { return en }
	lapicWrite(l, lapicSVR, 0x1ff)
	lapicWrite(l, lapicLINT0, 0x10700)
	l.accept(0x40, false)
	if l.Pending() {
		t.Fatal("APIC request pending with the APIC globally disabled")
	}
	p.chip[0].imr = 0
	p.Line(4)(true)
	if v, ok := l.Ack(); !ok || v != 0x0c {
		t.Fatalf("Ack = %#x %v, want the PIC's 0x0c", v, ok)
	}
	en = true
	if v, ok := l.Ack(); !ok || v != 0x40 {
		t.Fatalf("Ack after enabling = %#x %v, want 0x40", v, ok)
	}
}
