package pc

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// The local APIC of the one CPU, in xAPIC mode (Intel SDM vol. 3A ch. 10
// (11 in newer editions)): a 4 KiB register page at LAPICBase, each
// register 32 bits wide at a 16-byte aligned offset.
//
// Implemented: ID (writable, initial 0), version 0x50014 (an integrated
// APIC, six LVT entries, no EOI-broadcast suppression), TPR, APR (reads
// 0), PPR, EOI, LDR, DFR (flat and cluster logical destinations), SVR
// (software enable, spurious vector; focus checking stored, meaningless
// with one CPU), ISR, TMR and IRR, ESR (write to latch), the ICR for
// fixed interrupts to the CPU itself (the self shorthand, all-including-
// self, or a destination that names this APIC), the LVT entries timer,
// thermal, performance counter, LINT0, LINT1 and error, the timer in
// one-shot and periodic mode with its divide configuration, counting at
// Hz from the bus clock, and virtual wire mode: LINT0 unmasked in ExtINT
// mode passes the 8259A's INTR through, with the PIC giving the vector.
//
// Not implemented (refused, documented): TSC-deadline mode (CPUID does
// not claim it: timer mode 2 counts as one-shot), NMI, SMI, INIT and
// start-up deliveries (the CPU interface has no NMI or INIT pin: an ICR
// or LVT asking for them is dropped, and an IPI to another APIC ID has no
// one to reach), LINT0/LINT1 in fixed mode (no device drives them but the
// PIC in ExtINT mode), the thermal and performance counter sources (their
// LVT entries are stored only), relocation through IA32_APIC_BASE (the
// page stays at LAPICBase; Linux does not move it), and the CR8 mirror of the TPR (CR8 lives in the CPU's
// registers; Linux uses the memory-mapped TPR).
//
// The MSR's global enable (IA32_APIC_BASE bit 11) is GlobalEnable: while
// it is clear the CPU takes the PIC's interrupts directly, as a CPU whose
// APIC is disabled does, and the APIC's own requests wait.
//
// State changes happen with Bus.Mu held; Pending reads an atomic copy of
// the output, as the PIC's does.

// Physical addresses of the interrupt controllers' register pages.
const (
	LAPICBase  = 0xfee00000
	IOAPICBase = 0xfec00000
	apicPage   = 0x1000
)

// Local APIC register offsets.
const (
	lapicID      = 0x20
	lapicVersion = 0x30
	lapicTPR     = 0x80
	lapicAPR     = 0x90
	lapicPPR     = 0xa0
	lapicEOI     = 0xb0
	lapicLDR     = 0xd0
	lapicDFR     = 0xe0
	lapicSVR     = 0xf0
	lapicISR     = 0x100
	lapicTMR     = 0x180
	lapicIRR     = 0x200
	lapicESR     = 0x280
	lapicICRLo   = 0x300
	lapicICRHi   = 0x310
	lapicLVTT    = 0x320 // timer
	lapicLVTThm  = 0x330 // thermal sensor
	lapicLVTPC   = 0x340 // performance counter
	lapicLINT0   = 0x350
	lapicLINT1   = 0x360
	lapicLVTErr  = 0x370
	lapicTimerIC = 0x380 // initial count
	lapicTimerCC = 0x390 // current count
	lapicTimerDC = 0x3e0 // divide configuration
)

// LAPICVersion is the version register: version 0x14 (integrated APIC),
// maximum LVT entry 5 (bits 23:16).
const LAPICVersion = 0x50014

// LVT and ICR bits.
const (
	lvtMasked     = 1 << 16
	lvtLevel      = 1 << 15 // trigger mode
	lvtRemoteIRR  = 1 << 14
	lvtPolarity   = 1 << 13
	lvtPeriodic   = 1 << 17 // timer mode bit 17 (bit 18, TSC-deadline, not claimed)
	lvtModeMask   = 7 << 8
	lvtModeFixed  = 0 << 8
	lvtModeNMI    = 4 << 8
	lvtModeExtINT = 7 << 8
	icrDestLogic  = 1 << 11
	svrEnable     = 1 << 8
	svrFocus      = 1 << 9
)

// LVT indices.
const (
	lvtTimer = iota
	lvtThermal
	lvtPerf
	lvtLINT0
	lvtLINT1
	lvtError
	nLVT
)

// lvtWritable are the writable bits of each LVT entry.
var lvtWritable = [nLVT]uint32{
	lvtTimer:   0xff | lvtMasked | lvtPeriodic,
	lvtThermal: 0xff | lvtModeMask | lvtMasked,
	lvtPerf:    0xff | lvtModeMask | lvtMasked,
	lvtLINT0:   0xff | lvtModeMask | lvtPolarity | lvtLevel | lvtMasked,
	lvtLINT1:   0xff | lvtModeMask | lvtPolarity | lvtLevel | lvtMasked,
	lvtError:   0xff | lvtMasked,
}

// ESR bits.
const (
	esrSendIllegal = 1 << 5
	esrRecvIllegal = 1 << 6
)

// vecSet is a 256-bit vector register (IRR, ISR, TMR).
type vecSet [4]uint64

func (s *vecSet) set(v uint8)      { s[v>>6] |= 1 << (v & 63) }
func (s *vecSet) clear(v uint8)    { s[v>>6] &^= 1 << (v & 63) }
func (s *vecSet) has(v uint8) bool { return s[v>>6]&(1<<(v&63)) != 0 }

// highest returns the highest vector set, or -1.
func (s *vecSet) highest() int {
	for i := 3; i >= 0; i-- {
		if s[i] != 0 {
			return i*64 + 63 - bits.LeadingZeros64(s[i])
		}
	}
	return -1
}

// word returns bits 32*i..32*i+31.
func (s *vecSet) word(i int) uint32 { return uint32(s[i/2] >> (32 * (i & 1))) }

// LAPIC is the CPU's local APIC; it is the CPU's interrupt controller
// (x86.InterruptController).
type LAPIC struct {
	bus *Bus
	// PIC is the 8259A pair on LINT0 (virtual wire mode); nil: none.
	PIC *PIC
	// OnEOI is called, with Bus.Mu held, when the CPU ends a level-
	// triggered interrupt: the EOI broadcast to the IO-APIC.
	OnEOI func(vector uint8)
	// GlobalEnable, if set, reports IA32_APIC_BASE's enable bit as the
	// CPU holds it; it is called on the CPU's goroutine only (Pending,
	// Ack).
	GlobalEnable func() bool

	id, tpr, ldr, dfr, svr uint32
	esr, esrPending        uint32
	icrLo, icrHi           uint32
	lvt                    [nLVT]uint32
	irr, isr, tmr          vecSet

	// The timer: Hz is its input clock (before the divide configuration);
	// initial is the initial count, div the divisor; start the bus time
	// the current period began at (periodic: the time of the first
	// period plus whole periods), running whether it counts.
	hz      int64
	initial uint32
	dcr     uint32
	div     int64
	running bool
	start   int64
	timer   *Timer

	// now and after are the bus clock and AfterFunc (tests replace them).
	now   func() int64
	after func(d time.Duration, f func()) *Timer

	// out mirrors whether an APIC interrupt is deliverable (IRR above
	// PPR), extINT whether LINT0 passes the PIC through; written with
	// Bus.Mu held, read by Pending without it.
	out, extINT atomic.Bool
}

// NewLAPIC returns the local APIC in the state a BIOS leaves the boot
// CPU's in: ID 0, software disabled (SVR 0xff), the LVT entries masked
// but LINT0 in ExtINT mode and LINT1 in NMI mode (virtual wire mode, so
// that the PIC's interrupts reach the CPU), its timer clocked at hz.
func NewLAPIC(b *Bus, hz int64) *LAPIC {
	l := &LAPIC{bus: b, hz: hz, now: b.Now, after: b.AfterFunc}
	l.dfr = 0xffffffff
	l.svr = 0xff
	for i := range l.lvt {
		l.lvt[i] = lvtMasked
	}
	l.lvt[lvtLINT0] = lvtModeExtINT
	l.lvt[lvtLINT1] = lvtModeNMI
	l.setDCR(0)
	l.update()
	return l
}

// Map puts the register page at LAPICBase.
func (l *LAPIC) Map(b *Bus) { b.MapMMIO(LAPICBase, apicPage, "lapic", l) }

// enabled reports whether the APIC is software enabled (SVR bit 8).
func (l *LAPIC) enabled() bool { return l.svr&svrEnable != 0 }

// ppr returns the processor priority: the TPR if its class is at least
// that of the highest vector in service, else that vector's class.
func (l *LAPIC) ppr() uint32 {
	isrv := l.isr.highest()
	if isrv < 0 || l.tpr>>4 >= uint32(isrv)>>4 {
		return l.tpr & 0xff
	}
	return uint32(isrv) & 0xf0
}

// deliverable returns the highest requested vector whose priority class
// is above the processor priority's, or -1.
func (l *LAPIC) deliverable() int {
	v := l.irr.highest()
	if v < 0 || uint32(v)>>4 <= l.ppr()>>4 {
		return -1
	}
	return v
}

// update recomputes the outputs and kicks the CPU when an interrupt
// becomes deliverable.
func (l *LAPIC) update() {
	l.extINT.Store(l.lvt[lvtLINT0]&(lvtMasked|lvtModeMask) == lvtModeExtINT)
	out := l.deliverable() >= 0
	was := l.out.Swap(out)
	if out && !was && l.bus != nil && l.bus.Kick != nil {
		l.bus.Kick()
	}
}

// Pending reports whether the CPU has an interrupt to take: an APIC
// vector above the processor priority, or the PIC's INTR in virtual wire
// mode. Called without Bus.Mu.
func (l *LAPIC) Pending() bool {
	if l.GlobalEnable != nil && !l.GlobalEnable() {
		return l.PIC != nil && l.PIC.Pending()
	}
	return l.out.Load() || l.extINT.Load() && l.PIC != nil && l.PIC.Pending()
}

// Ack is the CPU's interrupt acknowledge: the PIC's vector in virtual
// wire mode (ExtINT is not subject to the APIC's priorities), else the
// highest deliverable vector, which moves from IRR to ISR. It takes
// Bus.Mu.
func (l *LAPIC) Ack() (uint8, bool) {
	l.bus.Mu.Lock()
	defer l.bus.Mu.Unlock()
	return l.ack()
}

func (l *LAPIC) ack() (uint8, bool) {
	if l.GlobalEnable != nil && !l.GlobalEnable() {
		if l.PIC == nil {
			return 0, false
		}
		return l.PIC.ack()
	}
	if l.extINT.Load() && l.PIC != nil && l.PIC.Pending() {
		if v, ok := l.PIC.ack(); ok {
			return v, true
		}
	}
	v := l.deliverable()
	if v < 0 {
		return 0, false
	}
	l.irr.clear(uint8(v))
	l.isr.set(uint8(v))
	l.update()
	return uint8(v), true
}

// accept takes a fixed interrupt for the CPU into the IRR (level: the TMR
// bit set, so that its EOI is broadcast). Vectors 0-15 are illegal: they
// set the ESR's receive error instead. A software-disabled APIC takes
// none.
func (l *LAPIC) accept(vec uint8, level bool) {
	if vec < 16 {
		l.esrPending |= esrRecvIllegal
		l.lvtError()
		return
	}
	if !l.enabled() {
		return
	}
	l.irr.set(vec)
	if level {
		l.tmr.set(vec)
	} else {
		l.tmr.clear(vec)
	}
	l.update()
}

// lvtError raises the error LVT's interrupt, if it is unmasked.
func (l *LAPIC) lvtError() {
	e := l.lvt[lvtError]
	if e&lvtMasked == 0 && uint8(e) >= 16 && l.enabled() {
		l.irr.set(uint8(e))
		l.tmr.clear(uint8(e))
		l.update()
	}
}

// matches reports whether a message for destination dest (physical or
// logical) is for this APIC.
func (l *LAPIC) matches(dest uint8, logical bool) bool {
	if dest == 0xff {
		return true
	}
	if !logical {
		return uint32(dest) == l.id>>24
	}
	ldr := uint8(l.ldr >> 24)
	if l.dfr>>28 == 0xf { // flat model
		return ldr&dest != 0
	}
	// Cluster model: bits 7:4 the cluster, 3:0 the APICs in it.
	return dest>>4 == ldr>>4 && dest&ldr&0xf != 0
}

// Deliver is an interrupt message from the IO-APIC: fixed or lowest
// priority delivery of vec to dest (physical, or logical), edge or level.
// It returns whether this APIC accepted it (a level interrupt not
// accepted leaves the IO-APIC's remote IRR clear). NMI, SMI, INIT and
// ExtINT messages are not accepted.
func (l *LAPIC) Deliver(mode uint32, vec uint8, level, logical bool, dest uint8) bool {
	if mode != 0 && mode != 1 || !l.matches(dest, logical) {
		return false
	}
	if !l.enabled() {
		return false
	}
	l.accept(vec, level)
	return true
}

// eoi ends the highest interrupt in service; a level-triggered one is
// broadcast to the IO-APIC.
func (l *LAPIC) eoi() {
	v := l.isr.highest()
	if v < 0 {
		return
	}
	l.isr.clear(uint8(v))
	if l.tmr.has(uint8(v)) && l.OnEOI != nil {
		l.OnEOI(uint8(v))
	}
	l.update()
}

// sendIPI is a write of the ICR's low half: only fixed interrupts reach
// a CPU, and the only CPU is this one.
func (l *LAPIC) sendIPI() {
	lo := l.icrLo
	vec := uint8(lo)
	if lo&lvtModeMask != lvtModeFixed {
		return // NMI, SMI, INIT, start-up, lowest priority: refused
	}
	var self bool
	switch lo >> 18 & 3 {
	case 0:
		self = l.matches(uint8(l.icrHi>>24), lo&icrDestLogic != 0)
	case 1, 2:
		self = true
	}
	if vec < 16 {
		l.esrPending |= esrSendIllegal
		l.lvtError()
		return
	}
	if self {
		l.accept(vec, false)
	}
}

// setDCR sets the divide configuration: bits 0, 1 and 3 select a divisor
// of 2, 4, ... 128, or 1 (0b1011).
func (l *LAPIC) setDCR(v uint32) {
	l.dcr = v & 0xb
	sel := l.dcr&3 | l.dcr>>1&4
	l.div = 1 << ((sel + 1) & 7)
}

// ticks converts bus nanoseconds to timer input clocks, exactly.
func (l *LAPIC) ticks(ns int64) int64 {
	const sec = int64(time.Second)
	return ns/sec*l.hz + ns%sec*l.hz/sec
}

// nsFor returns the bus nanoseconds after which n input clocks have
// passed (the first nanosecond at which ticks reaches n).
func (l *LAPIC) nsFor(n int64) int64 {
	const sec = int64(time.Second)
	whole, rem := n/l.hz, n%l.hz
	return whole*sec + (rem*sec+l.hz-1)/l.hz
}

// period returns the input clocks of one count-down.
func (l *LAPIC) period() int64 { return int64(l.initial) * l.div }

// current returns the timer's current count.
func (l *LAPIC) current() uint32 {
	if !l.running {
		return 0
	}
	el := l.ticks(l.now()-l.start) / l.div
	if el >= int64(l.initial) {
		return 0 // expired (a periodic one reloads at its timer)
	}
	return l.initial - uint32(el)
}

// arm (re)starts counting from the initial count now.
func (l *LAPIC) arm() {
	l.timer.Stop()
	l.timer = nil
	l.running = l.initial != 0
	if !l.running {
		return
	}
	l.start = l.now()
	l.schedule()
}

// schedule sets the AfterFunc at the end of the current count-down.
func (l *LAPIC) schedule() {
	at := l.start + l.nsFor(l.period())
	d := time.Duration(at - l.now())
	l.timer = l.after(max(d, 0), l.expire)
}

// expire is the timer reaching 0: the interrupt (unless masked), and in
// periodic mode the next count-down from the end of this one, so that no
// period is lost or stretched by a late timer (periods that passed
// entirely while the timer was late give one interrupt, as the IRR holds
// one).
func (l *LAPIC) expire() {
	l.timer = nil
	if !l.running {
		return
	}
	e := l.lvt[lvtTimer]
	if e&lvtMasked == 0 {
		l.accept(uint8(e), false)
	}
	if e&lvtPeriodic == 0 {
		l.running = false
		return
	}
	p := l.nsFor(l.period())
	n := max((l.now()-l.start)/p, 1)
	l.start += n * p
	l.schedule()
}

// ReadMMIO reads a register; accesses narrower than 32 bits read part of
// it, offsets without a register read 0.
func (l *LAPIC) ReadMMIO(off uint64, size int) uint64 {
	v := uint64(l.read(uint32(off) &^ 0xf))
	return v >> (8 * (off & 3))
}

func (l *LAPIC) read(r uint32) uint32 {
	switch {
	case r == lapicID:
		return l.id
	case r == lapicVersion:
		return LAPICVersion
	case r == lapicTPR:
		return l.tpr
	case r == lapicAPR:
		return 0
	case r == lapicPPR:
		return l.ppr()
	case r == lapicLDR:
		return l.ldr
	case r == lapicDFR:
		return l.dfr
	case r == lapicSVR:
		return l.svr
	case r >= lapicISR && r < lapicISR+0x80:
		return l.isr.word(int(r-lapicISR) >> 4)
	case r >= lapicTMR && r < lapicTMR+0x80:
		return l.tmr.word(int(r-lapicTMR) >> 4)
	case r >= lapicIRR && r < lapicIRR+0x80:
		return l.irr.word(int(r-lapicIRR) >> 4)
	case r == lapicESR:
		return l.esr
	case r == lapicICRLo:
		return l.icrLo
	case r == lapicICRHi:
		return l.icrHi
	case r >= lapicLVTT && r <= lapicLVTErr:
		return l.lvt[(r-lapicLVTT)>>4]
	case r == lapicTimerIC:
		return l.initial
	case r == lapicTimerCC:
		return l.current()
	case r == lapicTimerDC:
		return l.dcr
	}
	return 0
}

// WriteMMIO writes a register (32-bit accesses; narrower ones write the
// low bytes of it, as the only sensible reading of an access the SDM
// leaves undefined).
func (l *LAPIC) WriteMMIO(off uint64, size int, v uint64) {
	if off&0xf != 0 {
		return
	}
	l.write(uint32(off), uint32(v))
}

func (l *LAPIC) write(r, v uint32) {
	switch {
	case r == lapicID:
		l.id = v & 0xff000000
	case r == lapicTPR:
		l.tpr = v & 0xff
	case r == lapicEOI:
		l.eoi()
	case r == lapicLDR:
		l.ldr = v & 0xff000000
	case r == lapicDFR:
		l.dfr = v | 0x0fffffff
	case r == lapicSVR:
		l.svr = v & (0xff | svrEnable | svrFocus)
		if !l.enabled() {
			// Software disabled: every LVT entry masked (SDM 10.4.7.2).
			for i := range l.lvt {
				l.lvt[i] |= lvtMasked
			}
		}
	case r == lapicESR:
		l.esr, l.esrPending = l.esrPending, 0
	case r == lapicICRLo:
		l.icrLo = v & 0xcdfff // bits 19:18, 15:14, 11:0 (delivery status reads idle)
		l.sendIPI()
	case r == lapicICRHi:
		l.icrHi = v & 0xff000000
	case r >= lapicLVTT && r <= lapicLVTErr:
		i := (r - lapicLVTT) >> 4
		w := lvtWritable[i]
		if !l.enabled() {
			v |= lvtMasked
		}
		l.lvt[i] = l.lvt[i]&^w | v&w
	case r == lapicTimerIC:
		l.initial = v
		l.arm()
	case r == lapicTimerDC:
		cur := l.current()
		l.setDCR(v)
		if l.running && cur != 0 {
			// Go on from the current count with the new divisor; the
			// next period reloads the initial count.
			l.timer.Stop()
			l.start = l.now() - l.nsFor(int64(l.initial-cur)*l.div)
			l.schedule()
		}
	default:
		return // read-only or no register
	}
	l.update()
}
