package pc

import (
	"testing"
	"time"
)

type rtcRig struct {
	t    *testing.T
	bus  *Bus
	rtc  *RTC
	irqs chan bool
}

func newRTCRig(t *testing.T) *rtcRig {
	r := &rtcRig{t: t, bus: NewBus(), irqs: make(chan bool, 64)}
	r.rtc = NewRTC(r.bus, func(level bool) {
		select {
		case r.irqs <- level:
		default:
		}
	})
	r.rtc.Map(r.bus)
	return r
}

func (r *rtcRig) read(i uint8) uint8 {
	r.bus.Out(0x70, 1, uint32(i))
	return uint8(r.bus.In(0x71, 1))
}

func (r *rtcRig) write(i, v uint8) {
	r.bus.Out(0x70, 1, uint32(i))
	r.bus.Out(0x71, 1, uint32(v))
}

func bcd(v uint8) int { return int(v>>4)*10 + int(v&15) }

// readTime reads the clock as Linux's mc146818_get_time does: wait for
// UIP to clear, read, and read again if the seconds moved meanwhile.
func (r *rtcRig) readTime(conv func(uint8) int) time.Time {
	for {
		for r.read(0x0a)&0x80 != 0 {
		}
		sec := r.read(0)
		min, hour := r.read(2), r.read(4)
		day, mon, year, cent := r.read(7), r.read(8), r.read(9), r.read(0x32)
		if r.read(0x0a)&0x80 != 0 || r.read(0) != sec {
			continue
		}
		return time.Date(conv(cent)*100+conv(year), time.Month(conv(mon)), conv(day),
			conv(hour), conv(min), conv(sec), 0, time.UTC)
	}
}

func near(t *testing.T, got time.Time, want time.Time, tol time.Duration) {
	t.Helper()
	if d := got.Sub(want); d < -tol || d > tol {
		t.Fatalf("clock %v, want %v within %v", got, want, tol)
	}
}

func TestRTCHostTime(t *testing.T) {
	r := newRTCRig(t)
	if v := r.read(0x0b); v != 0x02 {
		t.Fatalf("register B %#x, want 0x02", v)
	}
	if v := r.read(0x0d); v != 0x80 {
		t.Fatalf("register D %#x, want 0x80", v)
	}
	near(t, r.readTime(bcd), time.Now().UTC().Truncate(time.Second), time.Second)
	r.write(0x0b, 0x06) // binary, 24 h
	near(t, r.readTime(func(v uint8) int { return int(v) }), time.Now().UTC().Truncate(time.Second), time.Second)
	dow := int(r.read(6))
	if now := time.Now().UTC(); dow != int(now.Weekday())+1 && now.Second() != 0 {
		t.Fatalf("day of week %d, want %d", dow, now.Weekday()+1)
	}
}

// TestRTCSet sets the clock with SET as Linux's mc146818_set_time does
// (year first) to a leap day and reads it in each format.
func TestRTCSet(t *testing.T) {
	r := newRTCRig(t)
	r.write(0x0b, 0x82) // SET, 24 h, BCD
	for _, w := range [][2]uint8{{0x32, 0x20}, {9, 0x24}, {8, 0x02}, {7, 0x29}, {4, 0x13}, {2, 0x45}, {0, 0x30}} {
		r.write(w[0], w[1])
	}
	if v := r.read(0x0a); v&0x80 != 0 {
		t.Fatal("UIP set while SET holds the clock")
	}
	time.Sleep(20 * time.Millisecond)
	if v := r.read(0); v != 0x30 {
		t.Fatalf("seconds moved under SET: %#x", v)
	}
	r.write(0x0b, 0x02)
	want := time.Date(2024, 2, 29, 13, 45, 30, 0, time.UTC)
	near(t, r.readTime(bcd), want, time.Second)
	if v := r.read(6); v != 5 {
		t.Fatalf("day of week %d, want 5 (Thursday)", v)
	}
	r.write(0x0b, 0x00) // 12 h BCD
	if v := r.read(4); v != 0x81 {
		t.Fatalf("12-hour hour %#x, want 0x81 (1 PM)", v)
	}
	r.write(0x0b, 0x06) // binary 24 h
	if h, y, c := r.read(4), r.read(9), r.read(0x32); h != 13 || y != 24 || c != 20 {
		t.Fatalf("binary hour, year, century = %d, %d, %d", h, y, c)
	}
	// A write without SET moves the clock at once: 11 PM in 12-hour
	// binary form.
	r.write(0x0b, 0x04)
	r.write(4, 0x8b)
	r.write(0x0b, 0x06)
	if h := r.read(4); h != 23 {
		t.Fatalf("hour after writing 11 PM: %d", h)
	}
	// The clock runs on from what was set.
	time.Sleep(1100 * time.Millisecond)
	r.write(0x0b, 0x02)
	near(t, r.readTime(bcd), time.Date(2024, 2, 29, 23, 45, 31, 0, time.UTC), 2*time.Second)
}

// TestRTCUIP steps a fake clock across a second boundary: UIP is set
// for the 2228 us before it, and the seconds change when it clears.
func TestRTCUIP(t *testing.T) {
	r := newRTCRig(t)
	var now int64
	r.bus.Mu.Lock()
	r.rtc.now = func() int64 { return now }
	// Bus time 10 s is 12:00:00.000 on a day in 2031.
	base := time.Date(2031, 5, 6, 12, 0, 0, 0, time.UTC).UnixNano()
	r.rtc.wallBase = base - 10e9
	r.bus.Mu.Unlock()
	for _, c := range []struct {
		at  int64 // ns after 12:00:00
		uip bool
		sec uint8
	}{
		{500e6, false, 0x00},
		{1e9 - 2228001, false, 0x00},
		{1e9 - 2228000, true, 0x00},
		{1e9 - 1, true, 0x00},
		{1e9, false, 0x01},
		{1e9 + 1984000, false, 0x01},
		{2e9 - 1000, true, 0x01},
	} {
		now = 10e9 + c.at
		if uip, sec := r.read(0x0a)&0x80 != 0, r.read(0); uip != c.uip || sec != c.sec {
			t.Fatalf("at 12:00:00 + %d ns: UIP %v, seconds %#x; want %v, %#x", c.at, uip, sec, c.uip, c.sec)
		}
	}
	// SET holds the clock and clears UIP.
	r.write(0x0b, 0x82)
	if r.read(0x0a)&0x80 != 0 {
		t.Fatal("UIP set under SET")
	}
}

// waitIRQ waits for IRQ 8 to rise and reads register C.
func (r *rtcRig) waitIRQ(d time.Duration) (uint8, bool) {
	timeout := time.After(d)
	for {
		select {
		case up := <-r.irqs:
			if up {
				return r.read(0x0c), true
			}
		case <-timeout:
			return 0, false
		}
	}
}

func TestRTCPeriodic(t *testing.T) {
	r := newRTCRig(t)
	r.write(0x0a, 0x2a) // 64 Hz: 15.625 ms
	r.read(0x0c)
	r.write(0x0b, 0x42) // PIE
	n := 0
	t0 := time.Now()
	for time.Since(t0) < 500*time.Millisecond {
		c, ok := r.waitIRQ(time.Second)
		if !ok {
			t.Fatal("no periodic interrupt")
		}
		if c&0xc0 != 0xc0 {
			t.Fatalf("register C %#x, want IRQF and PF", c)
		}
		n++
	}
	// 32 periods in 500 ms, never more (one more for the last read); a
	// loaded host merges some.
	if n < 4 || n > 33 {
		t.Fatalf("%d periodic interrupts in 500 ms, want 32", n)
	}
	r.write(0x0b, 0x02)
	r.rtc.bus.Mu.Lock()
	if r.rtc.timer != nil {
		t.Error("a timer runs with no interrupt enabled")
	}
	r.rtc.bus.Mu.Unlock()
}

func TestRTCUpdateAndAlarm(t *testing.T) {
	r := newRTCRig(t)
	r.write(0x0a, 0x20) // no periodic rate
	r.read(0x0c)
	r.write(0x0b, 0x12) // UIE
	c, ok := r.waitIRQ(5 * time.Second)
	if !ok || c != 0x90 {
		t.Fatalf("update-ended interrupt: C = %#x, %v; want 0x90", c, ok)
	}
	// The alarm: any hour and minute, the next second.
	r.write(0x0b, 0x02)
	for r.read(0x0a)&0x80 != 0 {
	}
	next := uint8(bcd(r.read(0))+1) % 60
	r.write(1, next/10<<4|next%10)
	r.write(3, 0xff)
	r.write(5, 0xc0)
	r.read(0x0c)
	r.write(0x0b, 0x22) // AIE
	c, ok = r.waitIRQ(5 * time.Second)
	if !ok || c&0xa0 != 0xa0 {
		t.Fatalf("alarm interrupt: C = %#x, %v; want IRQF and AF", c, ok)
	}
	if s := bcd(r.read(0)); s != int(next) && s != (int(next)+1)%60 {
		t.Fatalf("alarm at second %d, set for %d", s, next)
	}
	// C was cleared by the read; UF is set without UIE by the next second.
	time.Sleep(1100 * time.Millisecond)
	if c := r.read(0x0c); c&0x90 != 0x10 {
		t.Fatalf("C = %#x, want UF without IRQF", c)
	}
}

func TestRTCRAMAndNMI(t *testing.T) {
	r := newRTCRig(t)
	r.write(0x40, 0x5a)
	if v := r.read(0x40); v != 0x5a {
		t.Fatalf("CMOS RAM byte %#x, want 0x5a", v)
	}
	r.rtc.SetMemory(128<<20, 0)
	if lo, hi := r.read(0x34), r.read(0x35); lo != 0x00 || hi != 0x07 {
		t.Fatalf("0x34/0x35 = %#x %#x, want 0x00 0x07 (112 MiB in 64 KiB units)", lo, hi)
	}
	if lo, hi := r.read(0x30), r.read(0x31); lo != 0xff || hi != 0xff {
		t.Fatalf("0x30/0x31 = %#x %#x, want the 0xffff cap", lo, hi)
	}
	if lo, hi := r.read(0x15), r.read(0x16); lo != 0x80 || hi != 0x02 {
		t.Fatalf("base memory %#x %#x, want 640", lo, hi)
	}
	r.rtc.SetMemory(3<<30, 1<<30)
	if a, b, c := r.read(0x5b), r.read(0x5c), r.read(0x5d); a != 0 || b != 0x40 || c != 0 {
		t.Fatalf("0x5b-0x5d = %#x %#x %#x, want 0x004000", a, b, c)
	}
	r.bus.Out(0x70, 1, 0x8d)
	if !r.rtc.NMIMasked() || r.bus.In(0x71, 1) != 0x80 {
		t.Fatal("index 0x8d: NMI masked and register D")
	}
	r.bus.Out(0x70, 1, 0x0d)
	if r.rtc.NMIMasked() {
		t.Fatal("NMI still masked")
	}
}
