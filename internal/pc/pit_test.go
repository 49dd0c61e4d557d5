package pc

import (
	"testing"
	"time"
)

// edgeRecorder is an IRQ line that records the bus time of each rising
// edge and each lowering.
type edgeRecorder struct {
	bus   *Bus
	level bool
	rises []int64
	lows  int
}

func (e *edgeRecorder) line(level bool) {
	if level && !e.level {
		e.rises = append(e.rises, e.bus.Now())
	}
	if !level && e.level {
		e.lows++
	}
	e.level = level
}

func (e *edgeRecorder) snapshot() []int64 {
	e.bus.Mu.Lock()
	defer e.bus.Mu.Unlock()
	return append([]int64(nil), e.rises...)
}

func newPITRig() (*Bus, *PIT, *edgeRecorder) {
	b := NewBus()
	e := &edgeRecorder{bus: b, level: true}
	p := NewPIT(b, e.line)
	p.Map(b)
	return b, p, e
}

func TestPITTickConversion(t *testing.T) {
	if v := nsToTicks(1e9); v != PITHz {
		t.Fatalf("nsToTicks(1s) = %d", v)
	}
	if v := ticksToNs(PITHz); v != 1e9 {
		t.Fatalf("ticksToNs(PITHz) = %d", v)
	}
	// 4773 clocks (Linux's LATCH at HZ=250) last 4000227 ns (rounded up).
	if v := ticksToNs(4773); v != 4000228 {
		t.Fatalf("ticksToNs(4773) = %d, want 4000228", v)
	}
	for _, k := range []int64{0, 1, 2, 4773, 65536, PITHz - 1, 1 << 40} {
		if got := nsToTicks(ticksToNs(k)); got != k {
			t.Errorf("nsToTicks(ticksToNs(%d)) = %d", k, got)
		}
		if k > 0 && nsToTicks(ticksToNs(k)-1) != k-1 {
			t.Errorf("ticksToNs(%d) is not the first ns of clock %d", k, k)
		}
	}
}

// TestPITPeriodicHZ250 programs counter 0 as Linux's PIT clockevent does
// in periodic mode (mode 2, LATCH 4773 for HZ=250) and counts the IRQ 0
// edges over half a second of host time.
func TestPITPeriodicHZ250(t *testing.T) {
	b, p, e := newPITRig()
	b.Out(0x43, 1, 0x34)
	b.Out(0x40, 1, 4773&0xff)
	b.Out(0x40, 1, 4773>>8)
	b.Mu.Lock()
	start := p.ctr[0].start
	b.Mu.Unlock()
	time.Sleep(500 * time.Millisecond)
	b.Mu.Lock()
	end := b.Now()
	rises := append([]int64(nil), e.rises...)
	c := &p.ctr[0]
	// Edges due but not raised yet: the timer is late at end.
	overdue := c.elapsed(end)/4773 - c.edgeAt/4773 + 1
	if overdue < 0 {
		overdue = 0
	}
	lost := c.lost
	b.Mu.Unlock()
	period := ticksToNs(4773)
	// A host timer later than a whole period drops an edge (a loaded
	// machine): raised, dropped and overdue edges add up to the periods
	// exactly.
	want := int((end - start) / period)
	n := len(rises)
	if n+int(lost+overdue) != want || n == 0 {
		t.Fatalf("%d IRQ 0 edges raised, %d dropped, %d overdue in %v, want %d", n, lost, overdue, time.Duration(end-start), want)
	}
	t.Logf("%d IRQ 0 edges raised, %d dropped, %d overdue in %v, %d periods", n, lost, overdue, time.Duration(end-start), want)
	for i, r := range rises {
		// Edge k comes at start + k periods, never before.
		k := int64(i + 1)
		if at := start + ticksToNs(4773*k); r < at {
			t.Fatalf("edge %d at %d ns, before its time %d", k, r-start, at-start)
		}
	}
	// Shut down as Linux does: mode 0, count 0 (one edge 65536 clocks
	// later, then none).
	b.Out(0x43, 1, 0x30)
	b.Mu.Lock()
	if p.ctr[0].timer != nil {
		t.Error("a timer runs for mode 0 without a count")
	}
	n = len(e.rises)
	b.Mu.Unlock()
	time.Sleep(20 * time.Millisecond)
	if got := len(e.snapshot()); got != n {
		t.Errorf("%d edges after the shutdown, want none", got-n)
	}
}

// TestPITOneShot checks mode 0 (interrupt on terminal count) and mode 4
// (Linux's one-shot clockevent, control word 0x38): exactly one edge,
// not before the count has run out.
func TestPITOneShot(t *testing.T) {
	for _, cw := range []uint32{0x30, 0x38} {
		b, p, e := newPITRig()
		b.Out(0x43, 1, cw)
		b.Out(0x40, 1, 11932&0xff) // 10 ms
		b.Out(0x40, 1, 11932>>8)
		b.Mu.Lock()
		start := p.ctr[0].start
		b.Mu.Unlock()
		for t0 := time.Now(); len(e.snapshot()) == 0 && time.Since(t0) < 5*time.Second; {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(30 * time.Millisecond)
		rises := e.snapshot()
		if len(rises) != 1 {
			t.Fatalf("cw %#x: %d edges, want 1", cw, len(rises))
		}
		edge := int64(11932)
		if cw == 0x38 {
			edge++ // mode 4: OUT is low for the clock at terminal count
		}
		// Not early; how late is up to the host's scheduler.
		if d := rises[0] - start; d < ticksToNs(edge) {
			t.Fatalf("cw %#x: edge after %v, want 10 ms", cw, time.Duration(d))
		}
		b.Mu.Lock()
		if p.ctr[0].timer != nil {
			t.Errorf("cw %#x: a timer is left after the one-shot", cw)
		}
		b.Mu.Unlock()
	}
}

// TestPITCalibrate runs Linux's pit_calibrate_tsc loop: counter 2 in
// mode 0 with a 10 ms count, gate on through port 0x61, polling port
// 0x61 bit 5 until the output rises.
func TestPITCalibrate(t *testing.T) {
	b, p, _ := newPITRig()
	const latch = 11932 // 10 ms of PIT clocks
	b.Out(0x61, 1, b.In(0x61, 1)&^0x02|0x01)
	b.Out(0x43, 1, 0xb0)
	b.Out(0x42, 1, latch&0xff)
	b.Out(0x42, 1, latch>>8)
	t0 := time.Now()
	b.Mu.Lock()
	edge := p.ctr[2].start + ticksToNs(latch)
	b.Mu.Unlock()
	polls := 0
	for {
		before := b.Now()
		high := b.In(0x61, 1)&0x20 != 0
		after := b.Now()
		// Exact against the bus clock: low only before the edge, high
		// only after it.
		if !high && before >= edge || high && after < edge {
			t.Fatalf("bit 5 = %v between %d and %d ns, the edge is at %d", high, before, after, edge)
		}
		if high {
			break
		}
		polls++
		if time.Since(t0) > time.Second {
			t.Fatal("port 0x61 bit 5 never rose")
		}
	}
	d := time.Since(t0)
	if d < 9900*time.Microsecond || d > 50*time.Millisecond { // wall time: loose (loaded hosts); the bus clock check above is exact
		t.Fatalf("output rose after %v (%d polls), want 10 ms", d, polls)
	}
	// It stays high (mode 0 after terminal count).
	if b.In(0x61, 1)&0x20 == 0 {
		t.Fatal("bit 5 fell again")
	}
}

// TestPITQuickCalibrate reads counter 2's count as quick_pit_calibrate
// does (mode 0 from 0xffff, LSB then MSB without latching) and checks it
// against the bus clock.
func TestPITQuickCalibrate(t *testing.T) {
	b, p, _ := newPITRig()
	b.Out(0x61, 1, 0x01)
	b.Out(0x43, 1, 0xb0)
	b.Out(0x42, 1, 0xff)
	b.Out(0x42, 1, 0xff)
	b.Mu.Lock()
	start := p.ctr[2].start
	b.Mu.Unlock()
	last := 0x10000
	for i := 0; i < 40; i++ {
		before := b.Now()
		if before-start > int64(40*time.Millisecond) {
			break // stay clear of the wrap at 65536 clocks (55 ms)
		}
		v := int(b.In(0x42, 1))
		v |= int(b.In(0x42, 1)) << 8
		after := b.Now()
		// The LSB is read first, the MSB a moment later.
		hi := 0xffff - int(nsToTicks(before-start))
		lo := 0xffff - int(nsToTicks(after-start)) - 0x100
		if v > hi || v < lo || v > last {
			t.Fatalf("read %#x, want within [%#x, %#x] and not above %#x", v, lo, hi, last)
		}
		last = v | 0xff
		time.Sleep(50 * time.Microsecond)
	}
}

func TestPITLatchStatusReadback(t *testing.T) {
	b, _, _ := newPITRig()
	b.Out(0x43, 1, 0xb0) // counter 2, LSB/MSB, mode 0, binary; gate low
	b.Out(0x43, 1, 0xe8) // read-back status of counter 2
	if v := b.In(0x42, 1); v != 0x70 {
		t.Fatalf("status after control word %#x, want 0x70 (OUT low, null count, RW 3, mode 0)", v)
	}
	b.Out(0x42, 1, 0x34)
	b.Out(0x42, 1, 0x12)
	time.Sleep(time.Millisecond)
	// The gate is low: the count holds.
	b.Out(0x43, 1, 0x80) // latch counter 2
	b.Out(0x43, 1, 0x80) // ignored: already latched
	if lo, hi := b.In(0x42, 1), b.In(0x42, 1); lo != 0x34 || hi != 0x12 {
		t.Fatalf("latched count %#x%02x, want 0x1234", hi, lo)
	}
	// Count and status together: the status comes first.
	b.Out(0x43, 1, 0xc8)
	if s, lo, hi := b.In(0x42, 1), b.In(0x42, 1), b.In(0x42, 1); s != 0x30 || lo != 0x34 || hi != 0x12 {
		t.Fatalf("read-back %#x %#x %#x, want 0x30 0x34 0x12", s, lo, hi)
	}
	// Gate on, a short count: OUT high after terminal count.
	b.Out(0x42, 1, 100)
	b.Out(0x42, 1, 0)
	b.Out(0x61, 1, 0x01)
	time.Sleep(time.Millisecond)
	b.Out(0x43, 1, 0xe8)
	if v := b.In(0x42, 1); v != 0xb0 {
		t.Fatalf("status after terminal count %#x, want 0xb0", v)
	}
	// Gate off in mode 0: the count pauses.
	b.Out(0x42, 1, 0xff)
	b.Out(0x42, 1, 0xff)
	time.Sleep(100 * time.Microsecond)
	b.Out(0x61, 1, 0x00)
	b.Out(0x43, 1, 0x80)
	a := b.In(0x42, 1) | b.In(0x42, 1)<<8
	time.Sleep(2 * time.Millisecond)
	b.Out(0x43, 1, 0x80)
	c := b.In(0x42, 1) | b.In(0x42, 1)<<8
	if a != c || a == 0xffff {
		t.Fatalf("paused count moved: %#x then %#x", a, c)
	}
}

func TestPITAccessModesBCD(t *testing.T) {
	b, _, _ := newPITRig()
	b.Out(0x43, 1, 0x90) // counter 2, LSB only, mode 0
	b.Out(0x42, 1, 0x55)
	if v := b.In(0x42, 1); v != 0x55 {
		t.Fatalf("LSB-only count %#x, want 0x55", v)
	}
	b.Out(0x43, 1, 0xa0) // MSB only
	b.Out(0x42, 1, 0x12)
	if v := b.In(0x42, 1); v != 0x12 {
		t.Fatalf("MSB-only count %#x, want 0x12", v)
	}
	b.Out(0x43, 1, 0xb1) // LSB/MSB, mode 0, BCD
	b.Out(0x42, 1, 0x99)
	b.Out(0x42, 1, 0x99)
	if lo, hi := b.In(0x42, 1), b.In(0x42, 1); lo != 0x99 || hi != 0x99 {
		t.Fatalf("BCD count %#x%02x, want 0x9999", hi, lo)
	}
	b.Out(0x43, 1, 0xb1)
	b.Out(0x42, 1, 0)
	b.Out(0x42, 1, 0) // 0 is 10000 in BCD: reads as 0000
	if lo, hi := b.In(0x42, 1), b.In(0x42, 1); lo != 0 || hi != 0 {
		t.Fatalf("BCD count %#x%02x, want 0", hi, lo)
	}
	// Mode 2 with the gate on: counts N..1.
	b.Out(0x61, 1, 0x01)
	b.Out(0x43, 1, 0xb4)
	b.Out(0x42, 1, 1000&0xff)
	b.Out(0x42, 1, 1000>>8)
	for i := 0; i < 50; i++ {
		b.Out(0x43, 1, 0x80)
		v := b.In(0x42, 1) | b.In(0x42, 1)<<8
		if v < 1 || v > 1000 {
			t.Fatalf("mode 2 count %d outside 1..1000", v)
		}
	}
	// Mode 3 with the gate off: OUT high.
	b.Out(0x43, 1, 0xb6)
	b.Out(0x42, 1, 0)
	b.Out(0x42, 1, 0)
	b.Out(0x61, 1, 0x00)
	if b.In(0x61, 1)&0x20 == 0 {
		t.Fatal("mode 3 with the gate low: OUT low")
	}
}

func TestPITPortB(t *testing.T) {
	b, _, _ := newPITRig()
	b.Out(0x61, 1, 0xff)
	if v := b.In(0x61, 1) & 0xcf; v != 0x0f {
		t.Fatalf("port 0x61 = %#x, want bits 0-3 set and 6-7 clear", v)
	}
	// The refresh bit toggles about every 15 us.
	seen := [2]bool{}
	t0 := time.Now()
	for time.Since(t0) < 5*time.Millisecond {
		seen[b.In(0x61, 1)>>4&1] = true
	}
	if !seen[0] || !seen[1] {
		t.Fatalf("refresh bit never toggled: %v", seen)
	}
	if v := b.In(0x43, 1); v != 0xff {
		t.Fatalf("control word register read %#x, want 0xff", v)
	}
}

// TestPITMode1 checks counter 2 as a one-shot triggered by its gate: OUT
// low from the trigger for the count, a new count waiting for the next
// trigger.
func TestPITMode1(t *testing.T) {
	b, p, _ := newPITRig()
	b.Out(0x43, 1, 0xb2) // counter 2, LSB/MSB, mode 1
	b.Out(0x42, 1, 100)
	b.Out(0x42, 1, 0)
	if b.In(0x61, 1)&0x20 == 0 {
		t.Fatal("mode 1 before a trigger: OUT low")
	}
	b.Out(0x61, 1, 0x01) // trigger
	b.Mu.Lock()
	start := p.ctr[2].start
	b.Mu.Unlock()
	before := b.Now()
	out := b.In(0x61, 1)&0x20 != 0
	if before-start < ticksToNs(100) && out {
		t.Fatal("OUT high right after the trigger")
	}
	time.Sleep(time.Millisecond)
	if b.In(0x61, 1)&0x20 == 0 {
		t.Fatal("OUT still low after 100 clocks")
	}
	// A new count waits for the next trigger.
	b.Out(0x42, 1, 0x60)
	b.Out(0x42, 1, 0xea) // 60000 clocks, 50 ms
	if b.In(0x61, 1)&0x20 == 0 {
		t.Fatal("OUT fell on a count write without a trigger")
	}
	b.Out(0x61, 1, 0x00)
	b.Out(0x61, 1, 0x01)
	b.Mu.Lock()
	start = p.ctr[2].start
	b.Mu.Unlock()
	time.Sleep(time.Millisecond)
	before = b.Now()
	if out := b.In(0x61, 1)&0x20 != 0; out && before-start < ticksToNs(60000) {
		t.Fatal("retriggered one-shot of 60000 clocks ended within 1 ms")
	}
}

// TestPITThroughPIC runs counter 0 into the PIC as the board wires them:
// programming a periodic mode raises nothing by itself, and each period
// gives vector 0x30 once the previous one had its EOI.
func TestPITThroughPIC(t *testing.T) {
	r := newPICRig(t)
	p := NewPIT(r.bus, r.pic.Line(0))
	p.Map(r.bus)
	r.bus.Out(0x43, 1, 0x34)
	r.bus.Out(0x40, 1, 0)
	r.bus.Out(0x40, 1, 0) // 65536 clocks: 55 ms
	if r.pic.Pending() {
		t.Fatal("IRQ 0 pending right after programming the PIT")
	}
	r.bus.Out(0x40, 1, 1193&0xff) // 1 kHz
	r.bus.Out(0x40, 1, 1193>>8)
	n := 0
	for t0 := time.Now(); time.Since(t0) < 100*time.Millisecond; {
		if !r.pic.Pending() {
			time.Sleep(100 * time.Microsecond)
			continue
		}
		v, ok := r.pic.Ack()
		if !ok || v != 0x30 {
			t.Fatalf("Ack = %#x, %v; want 0x30", v, ok)
		}
		r.bus.Out(0x20, 1, 0x20)
		n++
	}
	if n == 0 || n > 101 {
		t.Fatalf("%d timer interrupts in 100 ms at 1 kHz", n)
	}
	r.bus.Mu.Lock()
	kicks := r.kicks
	r.bus.Mu.Unlock()
	if kicks < n {
		t.Fatalf("%d kicks for %d interrupts", kicks, n)
	}
}

// TestPITModeTwoNewCount writes a new count into counters running in
// mode 2: the period under way ends with the old count, the next ones
// use the new count.
func TestPITModeTwoNewCount(t *testing.T) {
	b, p, e := newPITRig()
	// Counter 2, read through the latch.
	b.Out(0x61, 1, 0x01)
	b.Out(0x43, 1, 0xb4)
	b.Out(0x42, 1, 60000&0xff)
	b.Out(0x42, 1, 60000>>8) // 50 ms
	b.Mu.Lock()
	start := p.ctr[2].start
	b.Mu.Unlock()
	time.Sleep(2 * time.Millisecond)
	b.Out(0x42, 1, 1000&0xff)
	b.Out(0x42, 1, 1000>>8)
	b.Out(0x43, 1, 0x80)
	v := b.In(0x42, 1) | b.In(0x42, 1)<<8
	if b.Now()-start < ticksToNs(59000) && v <= 1000 {
		t.Fatalf("count %d: the new count cut the period under way short", v)
	}
	for b.Now()-start < ticksToNs(60000)+int64(time.Millisecond) {
		time.Sleep(time.Millisecond)
	}
	b.Out(0x43, 1, 0x80)
	if v := b.In(0x42, 1) | b.In(0x42, 1)<<8; v < 1 || v > 1000 {
		t.Fatalf("count %d after the period, want 1..1000", v)
	}

	// Counter 0: IRQ 0's edges follow the old period, then the new one.
	b.Out(0x43, 1, 0x34)
	b.Out(0x40, 1, 11932&0xff)
	b.Out(0x40, 1, 11932>>8) // 10 ms
	b.Mu.Lock()
	start = p.ctr[0].start
	b.Mu.Unlock()
	time.Sleep(time.Millisecond)
	b.Out(0x40, 1, 1193&0xff)
	b.Out(0x40, 1, 1193>>8) // 1 ms from the end of the first period
	b.Mu.Lock()
	n0 := len(e.rises)
	pendAt := start + ticksToNs(p.ctr[0].pendTick)
	b.Mu.Unlock()
	time.Sleep(30 * time.Millisecond)
	rises := e.snapshot()[n0:]
	if len(rises) == 0 {
		t.Fatal("no IRQ 0 edge after the new count")
	}
	for j, r := range rises {
		// Edge j is at the end of the old period plus j new periods, or
		// later (a late host timer).
		if at := pendAt + ticksToNs(int64(j)*1193); r < at {
			t.Fatalf("edge %d at %v, before %v", j, time.Duration(r-start), time.Duration(at-start))
		}
	}
	b.Mu.Lock()
	n := p.ctr[0].n
	b.Mu.Unlock()
	if n != 1193 {
		t.Fatalf("counter 0 reload %d after the old period, want 1193", n)
	}
}

// TestPITTinyPeriod programs counter 0 with a count of 2 (596 kHz): the
// host timer is held to 20 kHz and the rest counted as lost.
func TestPITTinyPeriod(t *testing.T) {
	b, p, e := newPITRig()
	b.Out(0x43, 1, 0x34)
	b.Out(0x40, 1, 2)
	b.Out(0x40, 1, 0)
	time.Sleep(50 * time.Millisecond)
	b.Out(0x43, 1, 0x30) // stop
	b.Mu.Lock()
	lost, n := p.ctr[0].lost, len(e.rises)
	b.Mu.Unlock()
	if n > 1001 {
		t.Fatalf("%d edges raised in 50 ms, want at most 1000 (20 kHz)", n)
	}
	if lost < 10000 {
		t.Fatalf("%d edges lost, want about 29800 (596 kHz for 50 ms)", lost)
	}
}
