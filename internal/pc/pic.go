package pc

import "sync/atomic"

// The 8259A programmable interrupt controller pair as an AT-class PC wires
// it: the master at ports 0x20 (command) and 0x21 (data) takes IRQ 0-7,
// the slave at 0xa0/0xa1 takes IRQ 8-15 and drives the master's input 2
// (the cascade), and the edge/level control registers (ELCR) at 0x4d0
// (IRQ 0-7) and 0x4d1 (IRQ 8-15) choose per line whether it is level
// triggered (bit set) or edge triggered.
//
// Implemented: the initialisation sequence ICW1-ICW4 (single or cascaded,
// edge or level mode, the vector base, auto-EOI, special fully nested
// mode), OCW1 (the interrupt mask register), OCW2 (non-specific and
// specific EOI, rotation on EOI and in auto-EOI mode, set priority), OCW3
// (read IRR or ISR, poll mode, special mask mode), fully nested priority
// with rotation, and the spurious interrupt (IR7 of the chip) when the
// slave has nothing left when the master acknowledges the cascade. The
// 8080/8085 call mode (ICW4 bit 0 clear) and buffered mode are not
// modelled: the chip always answers with 8086 vectors.
//
// Edge-triggered inputs latch a rising edge in the IRR until the CPU
// acknowledges it (a device may pulse its line); lowering the line does
// not withdraw the request. The cascade input is the exception: the
// master's IRR bit 2 follows the slave's output, so a slave request that
// goes away (masked, or a level line lowered) is withdrawn from the master
// too and Ack reports nothing instead of a spurious IRQ 15.

// Ports of the PIC pair and its ELCR.
const (
	PortPICMaster = 0x20
	PortPICSlave  = 0xa0
	PortELCR      = 0x4d0
)

// picChip is one 8259A.
type picChip struct {
	base  uint8 // ICW2: the vector of IR0 (bits 7:3)
	imr   uint8 // interrupt mask register (OCW1)
	isr   uint8 // in-service register
	edge  uint8 // latched rising edges (IRR of the edge-triggered inputs)
	level uint8 // current input levels
	elcr  uint8 // per-line level mode (the board's ELCR)
	elcrW uint8 // the ELCR bits that may be written
	prio  uint8 // the IR with the highest priority (rotation)

	ltim       bool  // ICW1 LTIM: all inputs level triggered
	single     bool  // ICW1 SNGL
	icw4       bool  // ICW1 IC4: an ICW4 follows
	icw3       uint8 // ICW3 as written (master: slave lines; slave: its ID)
	initStep   int   // 0 running, 2-4: the ICW expected next on the data port
	aeoi       bool  // ICW4 AEOI
	sfnm       bool  // ICW4 special fully nested mode
	rotateAEOI bool  // OCW2 rotate in auto-EOI mode
	smm        bool  // OCW3 special mask mode
	readISR    bool  // OCW3: a command-port read returns the ISR (else the IRR)
	poll       bool  // OCW3 poll command: the next command-port read polls
	master     bool
}

// irr returns the interrupt request register: latched edges for the
// edge-triggered inputs, the current level for the level-triggered ones.
func (c *picChip) irr() uint8 {
	lvl := c.elcr
	if c.ltim {
		lvl = 0xff
	}
	return c.edge&^lvl | c.level&lvl
}

// rank is the priority of IR ir: 0 is the highest.
func (c *picChip) rank(ir int) int { return (ir - int(c.prio)) & 7 }

// best returns the IR of mask's highest-priority bit, -1 if mask is 0.
func (c *picChip) best(mask uint8) int {
	if mask == 0 {
		return -1
	}
	for i := 0; i < 8; i++ {
		ir := (int(c.prio) + i) & 7
		if mask&(1<<ir) != 0 {
			return ir
		}
	}
	return -1
}

// output returns the IR the chip requests service for (its INT output is
// high), or -1: the highest-priority unmasked request that is above every
// in-service level. In special mask mode masked levels do not inhibit; in
// special fully nested mode the master takes a new request on the cascade
// while the cascade is in service.
func (c *picChip) output() int {
	ir := c.best(c.irr() &^ c.imr)
	if ir < 0 {
		return -1
	}
	isr := c.isr
	if c.smm {
		isr &^= c.imr
	}
	if c.sfnm && c.master && ir == 2 {
		isr &^= 1 << 2
	}
	if in := c.best(isr); in >= 0 && c.rank(in) <= c.rank(ir) {
		return -1
	}
	return ir
}

// ack is the chip's part of an interrupt acknowledge for IR ir: the
// request becomes in service (unless auto-EOI) and an edge is consumed.
func (c *picChip) ack(ir int) {
	c.edge &^= 1 << ir
	if c.aeoi {
		if c.rotateAEOI {
			c.prio = uint8(ir+1) & 7
		}
		return
	}
	c.isr |= 1 << ir
}

// setLevel drives input ir: a rise latches an edge.
func (c *picChip) setLevel(ir int, high bool) {
	bit := uint8(1) << ir
	if high {
		if c.level&bit == 0 {
			c.edge |= bit
		}
		c.level |= bit
	} else {
		c.level &^= bit
	}
}

// writeCommand is a write to the command port (A0=0): ICW1, OCW2 or OCW3.
func (c *picChip) writeCommand(v uint8) {
	switch {
	case v&0x10 != 0: // ICW1
		c.ltim = v&0x08 != 0
		c.single = v&0x02 != 0
		c.icw4 = v&0x01 != 0
		c.imr, c.isr, c.edge, c.prio = 0, 0, 0, 0
		c.smm, c.readISR, c.poll = false, false, false
		c.aeoi, c.sfnm, c.rotateAEOI = false, false, false
		c.initStep = 2
	case v&0x08 != 0: // OCW3
		if v&0x04 != 0 {
			c.poll = true
		}
		if v&0x02 != 0 {
			c.readISR = v&0x01 != 0
		}
		if v&0x40 != 0 {
			c.smm = v&0x20 != 0
		}
	default: // OCW2
		l := int(v & 7)
		switch v >> 5 {
		case 0: // rotate in auto-EOI mode: clear
			c.rotateAEOI = false
		case 4: // rotate in auto-EOI mode: set
			c.rotateAEOI = true
		case 1, 5: // non-specific EOI (5: and rotate)
			if ir := c.best(c.isr); ir >= 0 {
				c.isr &^= 1 << ir
				if v>>5 == 5 {
					c.prio = uint8(ir+1) & 7
				}
			}
		case 3: // specific EOI
			c.isr &^= 1 << l
		case 7: // specific EOI and rotate
			c.isr &^= 1 << l
			c.prio = uint8(l+1) & 7
		case 6: // set priority: L becomes the lowest
			c.prio = uint8(l+1) & 7
		}
		// 2: no operation.
	}
}

// writeData is a write to the data port (A0=1): an ICW during
// initialisation, else OCW1 (the mask).
func (c *picChip) writeData(v uint8) {
	switch c.initStep {
	case 0:
		c.imr = v
	case 2:
		c.base = v &^ 7
		switch {
		case !c.single:
			c.initStep = 3
		case c.icw4:
			c.initStep = 4
		default:
			c.initStep = 0
		}
	case 3:
		c.icw3 = v
		if c.icw4 {
			c.initStep = 4
		} else {
			c.initStep = 0
		}
	case 4:
		c.aeoi = v&0x02 != 0
		c.sfnm = v&0x10 != 0
		c.initStep = 0
	}
}

// readCommand is a read of the command port: the poll word after a poll
// command (the read acknowledges the interrupt), else the IRR or the ISR.
func (c *picChip) readCommand() uint8 {
	if c.poll {
		c.poll = false
		if ir := c.output(); ir >= 0 {
			c.ack(ir)
			return 0x80 | uint8(ir)
		}
		return 0
	}
	if c.readISR {
		return c.isr
	}
	return c.irr()
}

// PIC is the 8259A master/slave pair: it implements PortDevice for its
// ports and x86.InterruptController for the CPU.
type PIC struct {
	bus  *Bus
	chip [2]picChip // master, slave
	// out mirrors the master's INT output, written with Bus.Mu held and
	// read by Pending without the lock.
	out atomic.Bool
}

// NewPIC returns the PIC pair in the state a BIOS leaves it in: vectors
// 0x08 and 0x70, every line masked but the cascade, all lines edge
// triggered. b's Kick is called when an interrupt becomes pending.
func NewPIC(b *Bus) *PIC {
	p := &PIC{bus: b}
	p.chip[0] = picChip{base: 0x08, imr: 0xfb, master: true, icw3: 1 << 2, elcrW: 0xf8}
	p.chip[1] = picChip{base: 0x70, imr: 0xff, icw3: 2, elcrW: 0xde}
	return p
}

// Map gives the PIC its ports: 0x20-0x21, 0xa0-0xa1 and the ELCR at
// 0x4d0-0x4d1.
func (p *PIC) Map(b *Bus) {
	b.MapPorts(PortPICMaster, PortPICMaster+1, p)
	b.MapPorts(PortPICSlave, PortPICSlave+1, p)
	b.MapPorts(PortELCR, PortELCR+1, p)
}

// Line returns the interrupt line of ISA IRQ n (0-15). IRQ 2 is the
// cascade on a PC: an ISA card's IRQ 2 pin is wired to IRQ 9, and so is
// Line(2).
func (p *PIC) Line(n int) IRQ {
	if n < 0 || n > 15 {
		panic("pc: PIC line out of range")
	}
	if n == 2 {
		n = 9
	}
	c, ir := &p.chip[n>>3], n&7
	return func(level bool) {
		c.setLevel(ir, level)
		p.update()
	}
}

// SetELCR sets the edge/level control registers as a board or firmware
// would: bit n of mask is IRQ n, set for level triggered. IRQ 0, 1, 2, 8
// and 13 are always edge triggered.
func (p *PIC) SetELCR(mask uint16) {
	p.chip[0].elcr = uint8(mask) & p.chip[0].elcrW
	p.chip[1].elcr = uint8(mask>>8) & p.chip[1].elcrW
	p.update()
}

// update recomputes the cascade and the master's output, and kicks the
// CPU when an interrupt becomes pending.
func (p *PIC) update() {
	m := &p.chip[0]
	if p.chip[1].output() >= 0 {
		m.setLevel(2, true)
	} else {
		m.level &^= 1 << 2
		m.edge &^= 1 << 2
	}
	out := m.output() >= 0
	if out == p.out.Load() {
		return
	}
	p.out.Store(out)
	if out && p.bus != nil && p.bus.Kick != nil {
		p.bus.Kick()
	}
}

// Pending reports whether the master's INT output is high. It is called
// by the CPU's goroutine without Bus.Mu and reads a copy of the output
// that every state change under Mu keeps current; Ack decides under the
// lock.
func (p *PIC) Pending() bool { return p.out.Load() }

// Ack is the CPU's interrupt acknowledge cycle: it returns the vector of
// the highest-priority pending interrupt and marks it in service. It
// takes Bus.Mu itself (the CPU calls it without the lock). ok is false
// if no interrupt is pending any more. A slave request withdrawn between
// the master's and the slave's acknowledge gives the slave's IR7 vector
// (a spurious IRQ 15) with the cascade in service, as on hardware.
func (p *PIC) Ack() (vector uint8, ok bool) {
	p.bus.Mu.Lock()
	defer p.bus.Mu.Unlock()
	return p.ack()
}

func (p *PIC) ack() (uint8, bool) {
	m := &p.chip[0]
	ir := m.output()
	if ir < 0 {
		return 0, false
	}
	m.ack(ir)
	vec := m.base | uint8(ir)
	if ir == 2 {
		s := &p.chip[1]
		if sir := s.output(); sir >= 0 {
			s.ack(sir)
			vec = s.base | uint8(sir)
		} else {
			vec = s.base | 7
		}
	}
	p.update()
	return vec, true
}

// ReadPort reads the PIC's registers: the command ports give the IRR,
// the ISR or a poll word (OCW3), the data ports the mask, the ELCR ports
// the ELCR. Wider accesses read consecutive ports.
func (p *PIC) ReadPort(port uint16, size int) uint32 {
	var v uint32
	for i := 0; i < size; i++ {
		v |= uint32(p.readByte(port+uint16(i))) << (8 * i)
	}
	return v
}

func (p *PIC) readByte(port uint16) uint8 {
	var v uint8
	switch port {
	case PortPICMaster, PortPICSlave:
		v = p.chip[port>>7&1].readCommand()
		p.update()
	case PortPICMaster + 1, PortPICSlave + 1:
		v = p.chip[port>>7&1].imr
	case PortELCR, PortELCR + 1:
		v = p.chip[port&1].elcr
	default:
		v = 0xff
	}
	return v
}

// WritePort writes the PIC's registers (see ReadPort).
func (p *PIC) WritePort(port uint16, size int, v uint32) {
	for i := 0; i < size; i++ {
		p.writeByte(port+uint16(i), uint8(v>>(8*i)))
	}
}

func (p *PIC) writeByte(port uint16, v uint8) {
	switch port {
	case PortPICMaster, PortPICSlave:
		p.chip[port>>7&1].writeCommand(v)
	case PortPICMaster + 1, PortPICSlave + 1:
		p.chip[port>>7&1].writeData(v)
	case PortELCR, PortELCR + 1:
		c := &p.chip[port&1]
		c.elcr = v & c.elcrW
	default:
		return
	}
	p.update()
}
