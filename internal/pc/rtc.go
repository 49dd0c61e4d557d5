package pc

import "time"

// The MC146818 real-time clock and CMOS RAM at ports 0x70 (index; bit 7
// masks NMI) and 0x71 (data), with its interrupt on IRQ 8.
//
// The clock is the host's (UTC) plus whatever whole number of seconds the
// guest set it ahead or behind, so it keeps the host's pace and phase:
// the seconds change on the host's second boundaries. Registers 0-9 and
// the century byte (0x32, as PC BIOSes and ACPI's FADT place it) are
// computed from that clock when read, in BCD or binary and 12- or 24-hour
// form per register B. Register A's UIP bit is set for the 2228 us before
// each second boundary (244 us before the update cycle plus its 1984 us
// at 32.768 kHz), and clear while register B's SET bit holds the clock.
// With SET, writes go to the time fields and the clock restarts from them
// when SET is cleared (the guest's offset from the host is kept in whole
// seconds). The day of the week is derived from the date; a written one
// is not kept, and neither is daylight saving (register B's DSE).
//
// Register C's flags (periodic PF, alarm AF, update-ended UF) are set by
// the events as time passes, whether their interrupts are enabled or not,
// and cleared by reading C; IRQF and the IRQ 8 line follow the enabled
// ones. Timers run only while an enabled interrupt is awaited: at the
// next periodic edge (register A's rate), the next second boundary (UIE,
// or AIE, the alarm being matched at each boundary with 0xc0-0xff as
// "any" in an alarm byte).

// Ports of the RTC.
const PortRTC = 0x70

// Register numbers and bits of the MC146818.
const (
	rtcSec, rtcSecAlarm, rtcMin, rtcMinAlarm, rtcHour, rtcHourAlarm = 0, 1, 2, 3, 4, 5
	rtcDOW, rtcDay, rtcMonth, rtcYear                               = 6, 7, 8, 9
	rtcA, rtcB, rtcC, rtcD                                          = 0x0a, 0x0b, 0x0c, 0x0d
	rtcCentury                                                      = 0x32

	rtcUIP  = 0x80 // register A
	rtcSET  = 0x80 // register B
	rtcPIE  = 0x40
	rtcAIE  = 0x20
	rtcUIE  = 0x10
	rtcDM   = 0x04 // binary
	rtc24   = 0x02
	rtcIRQF = 0x80 // register C; PF, AF, UF share PIE, AIE, UIE's bits
	rtcVRT  = 0x80 // register D

	rtcUIPWindow = (244 + 1984) * int64(time.Microsecond)
)

// rtcFields is the clock as the time registers hold it, in binary.
type rtcFields struct {
	sec, min, hour, day, month, year int // year with the century
}

func fieldsOf(unix int64) rtcFields {
	t := time.Unix(unix, 0).UTC()
	return rtcFields{t.Second(), t.Minute(), t.Hour(), t.Day(), int(t.Month()), t.Year()}
}

func (f rtcFields) unix() int64 {
	return time.Date(f.year, time.Month(f.month), f.day, f.hour, f.min, f.sec, 0, time.UTC).Unix()
}

// RTC is the MC146818 and its CMOS RAM.
type RTC struct {
	bus   *Bus
	now   func() int64 // the bus clock (tests give another)
	irq   IRQ
	index uint8
	nmi   bool      // NMI masked (port 0x70 bit 7)
	ram   [128]byte // A, B, the alarms and the RAM bytes 0x0e-0x7f

	wallBase int64     // host Unix time in ns at bus time 0
	offset   int64     // the guest clock minus the host's, in seconds
	held     rtcFields // the fields while SET holds the clock

	flags uint8 // register C's PF, AF, UF
	mark  int64 // bus time up to which events are in flags
	line  bool
	timer *Timer
}

// NewRTC returns the RTC on irq8, its clock set to the host's, register A
// at 0x26 (32.768 kHz, 1024 Hz rate), B at 0x02 (24-hour BCD, no
// interrupts) and D's valid-RAM bit set.
func NewRTC(b *Bus, irq8 IRQ) *RTC {
	r := &RTC{bus: b, irq: irq8, now: b.Now}
	now := b.Now()
	r.wallBase = time.Now().UnixNano() - now
	r.mark = now
	r.ram[rtcA] = 0x26
	r.ram[rtcB] = rtc24
	return r
}

// Map gives the RTC ports 0x70-0x71.
func (r *RTC) Map(b *Bus) { b.MapPorts(PortRTC, PortRTC+1, r) }

// NMIMasked reports whether the guest masked NMI (port 0x70 bit 7).
func (r *RTC) NMIMasked() bool { return r.nmi }

// SetByte sets CMOS RAM byte i (0x0e-0x7f, but not the century) for the
// board; call it with Bus.Mu held or before the machine runs.
func (r *RTC) SetByte(i int, v uint8) {
	if i >= 0x0e && i < len(r.ram) && i != rtcCentury {
		r.ram[i] = v
	}
}

// SetMemory records the RAM size where a PC BIOS does: base memory (0x15,
// 640 KiB), extended memory above 1 MiB in KiB (0x17 and 0x30, at most
// 0xffff), memory above 16 MiB in 64 KiB units (0x34, at most 0xffff)
// and memory above 4 GiB in 64 KiB units (0x5b-0x5d). low is the RAM
// below 4 GiB, high the RAM above, in bytes.
func (r *RTC) SetMemory(low, high uint64) {
	set16 := func(i int, v uint64) {
		if v > 0xffff {
			v = 0xffff
		}
		r.ram[i], r.ram[i+1] = uint8(v), uint8(v>>8)
	}
	set16(0x15, 640)
	var ext, ext16 uint64
	if low > 1<<20 {
		ext = (low - 1<<20) >> 10
	}
	if low > 16<<20 {
		ext16 = (low - 16<<20) >> 16
	}
	set16(0x17, ext)
	set16(0x30, ext)
	set16(0x34, ext16)
	hi := high >> 16
	r.ram[0x5b], r.ram[0x5c], r.ram[0x5d] = uint8(hi), uint8(hi>>8), uint8(hi>>16)
}

// hostSec returns the host's Unix time in whole seconds at bus time now.
func (r *RTC) hostSec(now int64) int64 { return floorDiv(r.wallBase+now, 1e9) }

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}

// clock returns the time fields at bus time now.
func (r *RTC) clock(now int64) rtcFields {
	if r.ram[rtcB]&rtcSET != 0 {
		return r.held
	}
	return fieldsOf(r.hostSec(now) + r.offset)
}

// enc and dec convert a field to and from the register format.
func (r *RTC) enc(v int) uint8 {
	if r.ram[rtcB]&rtcDM != 0 {
		return uint8(v)
	}
	return uint8(v/10%10<<4 | v%10)
}

func (r *RTC) dec(v uint8) int {
	if r.ram[rtcB]&rtcDM != 0 {
		return int(v)
	}
	return int(v>>4)*10 + int(v&15)
}

// encHour encodes an hour 0-23 in 12-hour form (1-12, bit 7 PM) unless
// register B says 24-hour.
func (r *RTC) encHour(h int) uint8 {
	if r.ram[rtcB]&rtc24 != 0 {
		return r.enc(h)
	}
	h12 := h % 12
	if h12 == 0 {
		h12 = 12
	}
	v := r.enc(h12)
	if h >= 12 {
		v |= 0x80
	}
	return v
}

func (r *RTC) decHour(v uint8) int {
	if r.ram[rtcB]&rtc24 != 0 {
		return r.dec(v)
	}
	h := r.dec(v&0x7f) % 12
	if v&0x80 != 0 {
		h += 12
	}
	return h
}

// timeReg returns a time register (0, 2, 4, 6-9, 0x32) from f.
func (r *RTC) timeReg(i uint8, f rtcFields) uint8 {
	switch i {
	case rtcSec:
		return r.enc(f.sec)
	case rtcMin:
		return r.enc(f.min)
	case rtcHour:
		return r.encHour(f.hour)
	case rtcDOW:
		return r.enc(int(time.Date(f.year, time.Month(f.month), f.day, 0, 0, 0, 0, time.UTC).Weekday()) + 1)
	case rtcDay:
		return r.enc(f.day)
	case rtcMonth:
		return r.enc(f.month)
	case rtcYear:
		return r.enc(f.year % 100)
	default: // century
		return r.enc(f.year / 100)
	}
}

// isTimeReg reports whether register i is computed from the clock.
func isTimeReg(i uint8) bool {
	switch i {
	case rtcSec, rtcMin, rtcHour, rtcDOW, rtcDay, rtcMonth, rtcYear, rtcCentury:
		return true
	}
	return false
}

// alarmMatches reports whether the alarm registers match the clock at
// guest second s.
func (r *RTC) alarmMatches(s int64) bool {
	f := fieldsOf(s)
	match := func(alarm, now uint8) bool { return alarm >= 0xc0 || alarm == now }
	return match(r.ram[rtcSecAlarm], r.enc(f.sec)) &&
		match(r.ram[rtcMinAlarm], r.enc(f.min)) &&
		match(r.ram[rtcHourAlarm], r.encHour(f.hour))
}

// periodTicks returns the periodic interrupt's period in 32.768 kHz
// clocks for register A's rate bits, 0 for none.
func (r *RTC) periodTicks() int64 {
	rs := r.ram[rtcA] & 15
	switch {
	case rs == 0 || r.ram[rtcA]&0x70 != 0x20: // no rate, or divider not running at 32.768 kHz
		return 0
	case rs <= 2:
		return 1 << (rs + 6) // 256 Hz, 128 Hz
	}
	return 1 << (rs - 1)
}

// clk32 converts host Unix ns to 32.768 kHz clocks.
func clk32(ns int64) int64 { return floorDiv(ns, 1e9)*32768 + (ns-floorDiv(ns, 1e9)*1e9)*32768/1e9 }

// accumulate sets register C's flags for the events between mark and
// now.
func (r *RTC) accumulate(now int64) {
	if now <= r.mark {
		return
	}
	wf, wt := r.wallBase+r.mark, r.wallBase+now
	if r.ram[rtcB]&rtcSET == 0 {
		s0, s1 := floorDiv(wf, 1e9), floorDiv(wt, 1e9)
		if s1 > s0 {
			r.flags |= rtcUIE
			// Every alarm pattern matches within a day.
			if s1-s0 > 86400 {
				s0 = s1 - 86400
			}
			for s := s0 + 1; s <= s1 && r.flags&rtcAIE == 0; s++ {
				if r.alarmMatches(s + r.offset) {
					r.flags |= rtcAIE
				}
			}
		}
	}
	if p := r.periodTicks(); p != 0 && floorDiv(clk32(wt), p) > floorDiv(clk32(wf), p) {
		r.flags |= rtcPIE
	}
	r.mark = now
}

// update drives IRQ 8 from the enabled flags and sets a timer for the
// next enabled event while none is raised.
func (r *RTC) update(now int64) {
	irqf := r.flags&r.ram[rtcB]&0x70 != 0
	if irqf != r.line {
		r.line = irqf
		if r.irq != nil {
			r.irq(irqf)
		}
	}
	r.timer.Stop()
	r.timer = nil
	if irqf {
		return
	}
	var next int64 = -1
	en := r.ram[rtcB]
	w := r.wallBase + now
	if en&(rtcUIE|rtcAIE) != 0 && en&rtcSET == 0 {
		next = (floorDiv(w, 1e9)+1)*1e9 - w
	}
	if p := r.periodTicks(); p != 0 && en&rtcPIE != 0 {
		// The first ns at which the 32 kHz clock reaches the next edge.
		e := (floorDiv(clk32(w), p) + 1) * p
		at := floorDiv(e, 32768)*1e9 + ((e%32768)*1e9+32767)/32768
		if d := at - w; next < 0 || d < next {
			next = d
		}
	}
	if next >= 0 {
		r.timer = r.bus.AfterFunc(time.Duration(next), r.fire)
	}
}

func (r *RTC) fire() {
	r.timer = nil
	now := r.now()
	r.accumulate(now)
	r.update(now)
}

// ReadPort reads port 0x71 (the indexed register); port 0x70 reads as
// 0xff (write only).
func (r *RTC) ReadPort(port uint16, size int) uint32 {
	if port != PortRTC+1 {
		return 0xff
	}
	now := r.now()
	i := r.index
	switch {
	case isTimeReg(i):
		return uint32(r.timeReg(i, r.clock(now)))
	case i == rtcA:
		v := r.ram[rtcA] &^ rtcUIP
		if r.ram[rtcB]&rtcSET == 0 && (r.wallBase+now)%1e9 >= 1e9-rtcUIPWindow {
			v |= rtcUIP
		}
		return uint32(v)
	case i == rtcC:
		r.accumulate(now)
		v := r.flags
		if r.line {
			v |= rtcIRQF
		}
		r.flags = 0
		r.update(now)
		return uint32(v)
	case i == rtcD:
		return rtcVRT
	}
	return uint32(r.ram[i])
}

// WritePort selects a register (0x70, bit 7 masking NMI) or writes it
// (0x71).
func (r *RTC) WritePort(port uint16, size int, v uint32) {
	if port == PortRTC {
		r.index = uint8(v) & 0x7f
		r.nmi = v&0x80 != 0
		return
	}
	now := r.now()
	r.accumulate(now)
	b := uint8(v)
	i := r.index
	switch {
	case isTimeReg(i):
		f := r.clock(now)
		switch i {
		case rtcSec:
			f.sec = r.dec(b)
		case rtcMin:
			f.min = r.dec(b)
		case rtcHour:
			f.hour = r.decHour(b)
		case rtcDay:
			f.day = r.dec(b)
		case rtcMonth:
			f.month = r.dec(b)
		case rtcYear:
			f.year = f.year/100*100 + r.dec(b)%100
		case rtcCentury:
			f.year = r.dec(b)*100 + f.year%100
		}
		if r.ram[rtcB]&rtcSET != 0 {
			r.held = f
		} else {
			r.offset = f.unix() - r.hostSec(now)
		}
	case i == rtcA:
		r.ram[rtcA] = b &^ rtcUIP
	case i == rtcB:
		old := r.ram[rtcB]
		if b&rtcSET != 0 {
			b &^= rtcUIE // SET clears UIE
			if old&rtcSET == 0 {
				r.held = r.clock(now)
			}
		} else if old&rtcSET != 0 {
			r.offset = r.held.unix() - r.hostSec(now)
		}
		r.ram[rtcB] = b
	case i == rtcC, i == rtcD:
		return // read only
	default:
		r.ram[i] = b
		return
	}
	r.update(now)
}
