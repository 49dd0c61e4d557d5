package pc

import "time"

// The 8254 programmable interval timer at ports 0x40-0x43, clocked at
// 1.193182 MHz, and the system control port B at 0x61, as a PC wires
// them: counter 0's output is IRQ 0, counter 1 is the (historical) DRAM
// refresh timer, counter 2 is gated by port 0x61 bit 0 and its output is
// readable at port 0x61 bit 5 (the speaker; Linux calibrates the TSC
// against it).
//
// The counters are not stepped: each one remembers when it started
// counting and works out its count and its output from the bus's clock
// (host monotonic time) when they are read, so reads track host time to
// the nanosecond. Counter 0 alone needs timers: one Bus.AfterFunc at the
// next rising edge of its output (the edge the PIC takes as IRQ 0), none
// when the output will not rise again. A periodic counter's edges are at
// fixed multiples of its period from the time it was loaded, so they do
// not drift; if the host delivers a timer late by more than a period, the
// missed edges are dropped (one interrupt is raised, the next edge is the
// next one in the future).
//
// Implemented: modes 0-5 (6 and 7 are 2 and 3), binary and BCD counting,
// LSB, MSB and LSB-then-MSB access with the read and write flip-flops, the
// counter latch command, the read-back command (count and status, null
// count), the gate of counter 2 (modes 0 and 4 pause, 2 and 3 restart, 1
// and 5 trigger on a rising gate). Simplifications: a count takes effect
// when written (hardware loads it on the next clock), except that a new
// count written to a counter counting in mode 2 or 3 waits for the end of
// the current period and one written during a one-shot of mode 1 or 5
// for the next trigger, as on hardware; the count read in mode 3 with an
// odd reload value is approximate.

// Ports of the PIT and port B.
const (
	PortPIT   = 0x40 // counters 0-2 at 0x40-0x42, control word at 0x43
	PortPortB = 0x61
)

// PITHz is the 8254's input clock on a PC.
const PITHz = 1193182

// refreshPeriod is how often port 0x61 bit 4 toggles: counter 1 as a BIOS
// programs it for DRAM refresh (mode 2, count 18: 15.085 microseconds).
const refreshPeriod = 18 * 1000000000 / PITHz

// pitMinTimer is the shortest wait of counter 0's periodic timer.
const pitMinTimer = 50000 // ns

// nsToTicks converts a duration in ns to whole PIT clocks (floor),
// without overflowing for long durations.
func nsToTicks(ns int64) int64 {
	return ns/1e9*PITHz + ns%1e9*PITHz/1e9
}

// ticksToNs returns the first time, in ns, at which t PIT clocks have
// passed (the ceiling of t clocks' duration); nsToTicks(ticksToNs(t)) == t.
func ticksToNs(t int64) int64 {
	return t/PITHz*1e9 + (t%PITHz*1e9+PITHz-1)/PITHz
}

// pitCounter is one of the 8254's three counters.
type pitCounter struct {
	mode uint8 // 0-5
	rw   uint8 // 1 LSB, 2 MSB, 3 LSB then MSB
	bcd  bool
	n    int64 // the reload value in clocks: 1-65536 (BCD: 1-10000)
	next int64 // modes 1 and 5: the count the next trigger loads; 2, 3: the next period's
	// Modes 2 and 3: a count written while counting takes over at the
	// end of the current period, clock pendTick, bus time pendAt.
	pend     bool
	pendTick int64
	pendAt   int64

	armed    bool  // a count was written since the control word
	gate     bool  // the GATE input
	trig     bool  // modes 1 and 5: triggered since the count was written
	counting bool  // the count is going down
	start    int64 // Bus time from which the clocks counted are measured
	stopped  int64 // clocks counted when counting stopped (counting false)
	loadedAt int64 // Bus time the count was written (null count)

	wHigh bool  // write flip-flop: the next byte is the MSB
	wLSB  uint8 // the LSB written first

	rHigh     bool   // read flip-flop: the next byte is the MSB
	latched   bool   // a count is latched
	latch     uint16 // the latched count
	stLatched bool   // a status byte is latched
	status    uint8  // the latched status

	// Counter 0 only: its output line and the timer at its next edge.
	line   IRQ
	level  bool
	timer  *Timer
	edgeAt int64 // the clock count of the edge the timer waits for
	lost   int64 // periodic edges dropped because the timer came late
}

// elapsed returns the clocks counted since the count was loaded or the
// counter triggered.
func (c *pitCounter) elapsed(now int64) int64 {
	if !c.counting {
		return c.stopped
	}
	return nsToTicks(now - c.start)
}

// stop freezes the count; resume lets it go on from there.
func (c *pitCounter) stop(now int64) {
	c.stopped = c.elapsed(now)
	c.counting = false
}

func (c *pitCounter) resume(now int64) {
	c.start = now - ticksToNs(c.stopped)
	c.counting = true
}

// restart begins counting from the reload value at now.
func (c *pitCounter) restart(now int64) {
	c.start = now
	c.stopped = 0
	c.counting = true
}

// settle starts the period a count written in mode 2 or 3 waits for,
// once its time has come. Every entry point calls it before it looks at
// the counter.
func (c *pitCounter) settle(now int64) {
	if !c.pend || !c.counting || now < c.pendAt {
		return
	}
	c.pend = false
	c.n = c.next
	c.start, c.stopped = c.pendAt, 0
	// The edge awaited is counted from the new start.
	if c.edgeAt -= c.pendTick; c.edgeAt < 0 {
		c.edgeAt = 0
	}
}

// modulus is the counter's range: 2^16 binary, 10^4 BCD.
func (c *pitCounter) modulus() int64 {
	if c.bcd {
		return 10000
	}
	return 0x10000
}

// active reports whether the counter is running a count: armed and, for
// the gate-triggered modes, triggered.
func (c *pitCounter) active() bool {
	if c.mode == 1 || c.mode == 5 {
		return c.armed && c.trig
	}
	return c.armed
}

// out returns the counter's OUT pin at now.
func (c *pitCounter) out(now int64) bool {
	if !c.active() {
		return c.mode != 0 // mode 0 waits low, the others high
	}
	el := c.elapsed(now)
	switch c.mode {
	case 0, 1:
		return el >= c.n
	case 2:
		if !c.gate {
			return true
		}
		return el%c.n != c.n-1
	case 3:
		if !c.gate {
			return true
		}
		return el%c.n < (c.n+1)/2
	default: // 4, 5: low for the one clock at terminal count
		return el != c.n
	}
}

// count returns the counting element's value at now, in binary.
func (c *pitCounter) count(now int64) int64 {
	if !c.active() {
		return c.n % c.modulus()
	}
	el := c.elapsed(now)
	switch c.mode {
	case 2:
		return c.n - el%c.n
	case 3:
		// Down by two each clock, twice a period.
		p := el % c.n
		if half := (c.n + 1) / 2; p >= half {
			p -= half
		}
		v := c.n&^1 - 2*p
		if v <= 0 {
			v += c.n &^ 1
		}
		return v % c.modulus()
	default:
		m := c.modulus()
		return ((c.n-el)%m + m) % m
	}
}

// nextEdge returns the clock count at which OUT next rises after el
// clocks, or -1 if it will not rise while nothing changes.
func (c *pitCounter) nextEdge(el int64) int64 {
	if !c.active() || !c.counting {
		return -1
	}
	switch c.mode {
	case 0, 1:
		if el < c.n {
			return c.n
		}
	case 2, 3:
		return (el/c.n + 1) * c.n
	default:
		if el <= c.n {
			return c.n + 1
		}
	}
	return -1
}

// statusByte is the read-back status: OUT, null count, then the control
// word's RW, mode and BCD bits.
func (c *pitCounter) statusByte(now int64) uint8 {
	var s uint8
	if c.out(now) {
		s |= 0x80
	}
	if !c.armed || nsToTicks(now-c.loadedAt) < 1 {
		s |= 0x40
	}
	s |= c.rw<<4 | c.mode<<1
	if c.bcd {
		s |= 1
	}
	return s
}

// PIT is the 8254 and port 0x61.
type PIT struct {
	bus  *Bus
	ctr  [3]pitCounter
	ctrl uint8 // port 0x61 bits 0-3 as written
}

// NewPIT returns the PIT with counter 0's output on irq0. The counters
// wait for a control word and a count (as after a reset: no timer runs);
// the gate of counters 0 and 1 is tied high, counter 2's is port 0x61
// bit 0, initially low.
func NewPIT(b *Bus, irq0 IRQ) *PIT {
	p := &PIT{bus: b}
	for i := range p.ctr {
		c := &p.ctr[i]
		c.rw, c.mode, c.n = 3, 3, 0x10000
		c.gate = i != 2
	}
	// IRQ 0 is taken as high (a BIOS leaves counter 0 running), so
	// that programming a periodic mode does not itself raise an edge.
	p.ctr[0].line, p.ctr[0].level = irq0, true
	return p
}

// Map gives the PIT ports 0x40-0x43 and 0x61.
func (p *PIT) Map(b *Bus) {
	b.MapPorts(PortPIT, PortPIT+3, p)
	b.MapPorts(PortPortB, PortPortB, p)
}

// ReadPort reads a counter (0x40-0x42) or port B (0x61). The control
// word register (0x43) cannot be read: 0xff. Wider accesses read
// consecutive ports.
func (p *PIT) ReadPort(port uint16, size int) uint32 {
	var v uint32
	for i := 0; i < size; i++ {
		v |= uint32(p.readByte(port+uint16(i))) << (8 * i)
	}
	return v
}

// WritePort writes a counter, the control word (0x43) or port B.
func (p *PIT) WritePort(port uint16, size int, v uint32) {
	for i := 0; i < size; i++ {
		p.writeByte(port+uint16(i), uint8(v>>(8*i)))
	}
}

func (p *PIT) readByte(port uint16) uint8 {
	now := p.bus.Now()
	p.settle(now)
	switch port {
	case PortPIT, PortPIT + 1, PortPIT + 2:
		return p.readCounter(&p.ctr[port-PortPIT], now)
	case PortPortB:
		v := p.ctrl & 0x0f
		if now/refreshPeriod&1 != 0 {
			v |= 0x10
		}
		if p.ctr[2].out(now) {
			v |= 0x20
		}
		return v
	}
	return 0xff
}

func (p *PIT) writeByte(port uint16, v uint8) {
	now := p.bus.Now()
	p.settle(now)
	switch port {
	case PortPIT, PortPIT + 1, PortPIT + 2:
		p.writeCounter(int(port-PortPIT), v, now)
	case PortPIT + 3:
		p.control(v, now)
	case PortPortB:
		p.ctrl = v & 0x0f
		p.setGate2(v&1 != 0, now)
	}
}

func (p *PIT) settle(now int64) {
	for i := range p.ctr {
		p.ctr[i].settle(now)
	}
}

// toBCD and fromBCD convert a 4-digit count.
func toBCD(v int64) uint16 {
	return uint16(v/1000%10<<12 | v/100%10<<8 | v/10%10<<4 | v%10)
}

func fromBCD(v uint16) int64 {
	return int64(v>>12&15)*1000 + int64(v>>8&15)*100 + int64(v>>4&15)*10 + int64(v&15)
}

// readCounter returns the next byte of a counter: a latched status, then
// a latched count, else the live count, in the programmed byte order.
func (p *PIT) readCounter(c *pitCounter, now int64) uint8 {
	if c.stLatched {
		c.stLatched = false
		return c.status
	}
	var v uint16
	if c.latched {
		v = c.latch
	} else {
		v = c.value(now)
	}
	high := c.rw == 2 || c.rw == 3 && c.rHigh
	if c.rw == 3 {
		c.rHigh = !c.rHigh
	}
	if c.latched && (c.rw != 3 || !c.rHigh) {
		c.latched = false
	}
	if high {
		return uint8(v >> 8)
	}
	return uint8(v)
}

// value is the count as the guest reads it (BCD in BCD mode).
func (c *pitCounter) value(now int64) uint16 {
	v := c.count(now)
	if c.bcd {
		return toBCD(v)
	}
	return uint16(v)
}

// control handles a write to port 0x43: a control word, a counter latch
// command or a read-back command.
func (p *PIT) control(v uint8, now int64) {
	sel := v >> 6
	if sel == 3 { // read-back
		for i := range p.ctr {
			if v&(2<<i) == 0 {
				continue
			}
			c := &p.ctr[i]
			if v&0x20 == 0 && !c.latched {
				c.latched, c.latch, c.rHigh = true, c.value(now), false
			}
			if v&0x10 == 0 && !c.stLatched {
				c.stLatched, c.status = true, c.statusByte(now)
			}
		}
		return
	}
	c := &p.ctr[sel]
	rw := v >> 4 & 3
	if rw == 0 { // counter latch command
		if !c.latched {
			c.latched, c.latch, c.rHigh = true, c.value(now), false
		}
		return
	}
	c.rw = rw
	c.mode = v >> 1 & 7
	if c.mode > 5 {
		c.mode -= 4
	}
	c.bcd = v&1 != 0
	c.armed, c.trig, c.counting, c.stopped = false, false, false, 0
	c.pend = false
	c.wHigh, c.rHigh, c.latched, c.stLatched = false, false, false, false
	if sel == 0 {
		p.retime(now)
	}
}

// writeCounter takes a byte of a new count for counter i.
func (p *PIT) writeCounter(i int, v uint8, now int64) {
	c := &p.ctr[i]
	var raw uint16
	switch c.rw {
	case 1:
		raw = uint16(v)
	case 2:
		raw = uint16(v) << 8
	default:
		if !c.wHigh {
			c.wHigh, c.wLSB = true, v
			if c.mode == 0 && c.armed {
				// Mode 0: the first byte of a new count stops counting
				// and sets OUT low.
				c.armed = false
				if i == 0 {
					p.retime(now)
				}
			}
			return
		}
		c.wHigh = false
		raw = uint16(v)<<8 | uint16(c.wLSB)
	}
	n := int64(raw)
	if c.bcd {
		n = fromBCD(raw)
	}
	if n == 0 {
		n = c.modulus()
	}
	c.next = n
	c.loadedAt = now
	switch c.mode {
	case 1, 5:
		// Takes effect at the next trigger; a one-shot under way runs
		// out with the count it started with.
		if !c.armed {
			c.n = n
			c.armed, c.trig = true, false
		}
	case 2, 3:
		if c.armed && c.counting {
			// The period under way ends with the old count.
			el := c.elapsed(now)
			c.pend = true
			c.pendTick = (el/c.n + 1) * c.n
			c.pendAt = c.start + ticksToNs(c.pendTick)
			break
		}
		c.pend = false
		c.n = n
		c.armed = true
		c.stopped = 0
		c.counting = false
		if c.gate {
			c.restart(now)
		}
	default:
		c.pend = false
		c.n = n
		c.armed = true
		c.stopped = 0
		c.counting = false
		if c.gate {
			c.restart(now)
		}
	}
	if i == 0 {
		p.retime(now)
	}
}

// setGate2 drives counter 2's gate (port 0x61 bit 0).
func (p *PIT) setGate2(g bool, now int64) {
	c := &p.ctr[2]
	if g == c.gate {
		return
	}
	c.gate = g
	switch c.mode {
	case 0, 4:
		if !c.armed {
			return
		}
		if g {
			c.resume(now)
		} else {
			c.stop(now)
		}
	case 2, 3:
		if !c.armed {
			return
		}
		if g {
			if c.pend {
				c.n, c.pend = c.next, false
			}
			c.restart(now)
		} else {
			c.stop(now)
		}
	case 1, 5:
		if g && c.armed {
			c.n = c.next
			c.trig = true
			c.restart(now)
		}
	}
}

// retime brings IRQ 0 to counter 0's output at now and sets the timer
// for its next rising edge. In modes 2-5 the line stays high between
// the rising edges (the PIC sees only those): the low clock of modes 2,
// 4 and 5 and the low half of mode 3 are an instant's pulse at the edge.
func (p *PIT) retime(now int64) {
	c := &p.ctr[0]
	c.timer.Stop()
	c.timer = nil
	p.setLine(c.mode > 1 || c.out(now))
	p.schedule(now)
}

// schedule sets counter 0's timer at its next rising edge, if any.
func (p *PIT) schedule(now int64) {
	c := &p.ctr[0]
	edge := c.nextEdge(c.elapsed(now))
	if edge < 0 {
		return
	}
	c.edgeAt = edge
	d := c.start + ticksToNs(edge) - now
	if (c.mode == 2 || c.mode == 3) && d < pitMinTimer {
		// A tiny count would fire the host timer nonstop: at most
		// 20,000 edges a second, the others counted as lost.
		d = pitMinTimer
	}
	c.timer = p.bus.AfterFunc(time.Duration(d), p.fire)
}

// fire is counter 0's timer: it raises IRQ 0 with the edge of the output
// (a pulse for modes 2-5, a rise for modes 0 and 1) and sets the next.
func (p *PIT) fire() {
	c := &p.ctr[0]
	c.timer = nil
	now := p.bus.Now()
	c.settle(now)
	if el := c.elapsed(now); el >= c.edgeAt {
		p.setLine(false)
		p.setLine(true)
		if c.mode == 2 || c.mode == 3 {
			c.lost += el/c.n - c.edgeAt/c.n
		}
	}
	p.schedule(now)
}

// setLine drives IRQ 0 when counter 0's line level changes.
func (p *PIT) setLine(level bool) {
	c := &p.ctr[0]
	if level == c.level {
		return
	}
	c.level = level
	if c.line != nil {
		c.line(level)
	}
}
