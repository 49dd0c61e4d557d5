package pc

import (
	"io"
	"sync"
	"time"
)

// COM1's conventional resources on a PC.
const (
	COM1Base = 0x3f8
	COM1IRQ  = 4
)

// UART register offsets from the base port (DLAB is LCR bit 7: with it
// set, offsets 0 and 1 are the divisor latch instead of RBR/THR and IER).
const (
	uartRBR = 0 // receive buffer (read), transmit holding (write), DLL
	uartIER = 1 // interrupt enable, DLM
	uartIIR = 2 // interrupt identification (read), FIFO control (write)
	uartLCR = 3
	uartMCR = 4
	uartLSR = 5
	uartMSR = 6
	uartSCR = 7
)

// IER bits.
const (
	ierRDI  = 0x01 // received data available (and character timeout)
	ierTHRI = 0x02 // transmit holding register empty
	ierRLSI = 0x04 // receiver line status
	ierMSI  = 0x08 // modem status
)

// IIR values: bit 0 set means no interrupt is pending; bits 7:6 are set
// while the FIFOs are enabled.
const (
	iirNone    = 0x01
	iirMSI     = 0x00
	iirTHRI    = 0x02
	iirRDI     = 0x04
	iirRLSI    = 0x06
	iirTimeout = 0x0c
	iirFIFOs   = 0xc0
)

// FCR bits.
const (
	fcrEnable  = 0x01
	fcrClearRX = 0x02
	fcrClearTX = 0x04
)

// LSR bits.
const (
	lsrDR   = 0x01 // data ready
	lsrOE   = 0x02 // overrun error
	lsrBI   = 0x10 // break (with PE 0x04 and FE 0x08: never produced here)
	lsrTHRE = 0x20 // transmit holding register empty
	lsrTEMT = 0x40 // transmitter empty
	lsrErrs = 0x1e // OE|PE|FE|BI: the receiver line status interrupt's causes
)

// MCR bits.
const (
	mcrDTR  = 0x01
	mcrRTS  = 0x02
	mcrOUT1 = 0x04
	mcrOUT2 = 0x08
	mcrLoop = 0x10
)

// MSR bits: the deltas (low nibble) and the lines (high nibble).
const (
	msrDCTS = 0x01
	msrTERI = 0x04
	msrCTS  = 0x10
	msrDSR  = 0x20
	msrRI   = 0x40
	msrDCD  = 0x80
)

// uartFIFO is the depth of the 16550A's receive and transmit FIFOs.
const uartFIFO = 16

// uartClock is the UART's baud rate generator input divided by 16: the
// baud rate is uartClock / divisor (1.8432 MHz crystal on PCs).
const uartClock = 115200

// UART is a National Semiconductor 16550A serial port as a PC has it.
//
// Transmitted bytes go to the io.Writer given to NewUART at once, one
// Write per byte: the transmitter is infinitely fast, so THRE and TEMT
// read as set except that the THRE interrupt follows the 16550A's rules.
// Received bytes come from StartInput's reader. The receiver holds back
// host input while its FIFO (or, with FIFOs off, its holding register)
// is full or the guest holds RTS low, so pasted text is not lost to
// overruns; overruns happen only in loopback mode, where the guest feeds
// itself. A guest that reads the port without ever setting RTS gets no
// input.
//
// The interrupt output reaches the IRQ line only while MCR's OUT2 is set
// and loopback is off: on PCs OUT2 gates the UART's interrupt onto the
// ISA bus, and the 16550A forces its OUT pins inactive in loopback.
//
// The modem inputs read as a connected terminal (CTS, DSR and DCD set, RI
// clear); in loopback they follow MCR (CTS=RTS, DSR=DTR, RI=OUT1,
// DCD=OUT2). The UART knows nothing about terminals: the board puts the
// host terminal in raw mode and filters its escape keys (EscapeReader).
type UART struct {
	bus  *Bus
	base uint16
	irq  IRQ
	out  io.Writer

	ier, lcr, mcr, lsr, msr, scr uint8
	fcr                          uint8 // FIFO enable and trigger bits as last written
	dll, dlm                     uint8

	rx      [uartFIFO]byte // receive FIFO, a ring
	rxHead  int            // index of the oldest byte
	rxCount int

	thrIntr  bool   // THRE interrupt pending (cleared by IIR read or THR write)
	timeout  bool   // character timeout interrupt pending
	toTimer  *Timer // pending character timeout check
	irqLevel bool   // what the IRQ line was last set to

	space *sync.Cond // signalled (with Bus.Mu) when the receiver has room
	txb   [1]byte    // the byte being written to out
}

// NewUART makes a 16550A at ports base..base+7 interrupting on irq and
// maps it on bus. out receives the transmitted bytes (nil: discarded).
// It starts as after a hardware reset: interrupts disabled, FIFOs off,
// LCR and MCR 0, THR empty; the divisor latch reads 0 until the guest
// programs it.
func NewUART(bus *Bus, base uint16, irq IRQ, out io.Writer) *UART {
	if out == nil {
		out = io.Discard
	}
	u := &UART{bus: bus, base: base, irq: irq, out: out}
	u.space = sync.NewCond(&bus.Mu)
	u.lsr = lsrTHRE | lsrTEMT
	u.msr = u.modemLines()
	bus.MapPorts(base, base+7, u)
	return u
}

// StartInput starts a goroutine that reads r and hands its bytes to the
// receiver as the guest makes room for them, raising the receive
// interrupts. It returns at once; the goroutine ends at r's EOF or error.
func (u *UART) StartInput(r io.Reader) {
	go func() {
		buf := make([]byte, 256)
		for {
			n, err := r.Read(buf)
			if n > 0 {
				u.bus.Mu.Lock()
				for _, c := range buf[:n] {
					for !u.canReceive() {
						u.space.Wait()
					}
					u.receive(c)
				}
				u.bus.Mu.Unlock()
			}
			if err != nil {
				return
			}
		}
	}()
}

// Receive hands bytes to the receiver as if they had arrived on the line,
// dropping those that find it full (setting OE); call it with Bus.Mu held.
// StartInput is the flow-controlled way; this is for tests and boards.
func (u *UART) Receive(b []byte) {
	for _, c := range b {
		u.receive(c)
	}
}

// rxCap is how many received bytes the UART holds: the FIFO, or the
// receive holding register alone with FIFOs off.
func (u *UART) rxCap() int {
	if u.fcr&fcrEnable != 0 {
		return uartFIFO
	}
	return 1
}

// canReceive says whether host input may be delivered now: not in
// loopback (the line is disconnected), not into a full receiver, and only
// while the guest asserts RTS, as a terminal with RTS/CTS handshaking
// would wait. Linux raises RTS when a program opens the port, after its
// startup has cleared the FIFO: input typed or piped earlier waits on the
// host instead of being lost to that clear.
func (u *UART) canReceive() bool {
	return u.mcr&(mcrLoop|mcrRTS) == mcrRTS && u.rxCount < u.rxCap()
}

// receive puts one byte that came off the line into the receiver.
func (u *UART) receive(c byte) {
	if u.rxCount >= u.rxCap() {
		// Overrun. FIFO mode keeps the FIFO and loses the new byte; the
		// 16450 mode overwrites the holding register.
		u.lsr |= lsrOE
		if u.fcr&fcrEnable == 0 {
			u.rx[u.rxHead] = c
		}
	} else {
		u.rx[(u.rxHead+u.rxCount)%uartFIFO] = c
		u.rxCount++
		u.lsr |= lsrDR
	}
	u.armTimeout()
	u.update()
}

// trigger is the receive FIFO's interrupt trigger level (FCR bits 7:6).
func (u *UART) trigger() int {
	if u.fcr&fcrEnable == 0 {
		return 1
	}
	return [4]int{1, 4, 8, 14}[u.fcr>>6]
}

// charTime is the time one character takes on the line at the current
// divisor and LCR format (start bit, 5-8 data bits, parity, stop bits).
func (u *UART) charTime() time.Duration {
	div := int64(u.dlm)<<8 | int64(u.dll)
	if div == 0 {
		div = 1
	}
	bits := int64(1 + 5 + u.lcr&3 + 1)
	if u.lcr&0x08 != 0 {
		bits++ // parity
	}
	if u.lcr&0x04 != 0 {
		bits++ // second stop bit (1.5 for 5 data bits: rounded up)
	}
	return time.Duration(bits * div * int64(time.Second) / uartClock)
}

// armTimeout (re)starts the character timeout: with FIFOs on, bytes that
// sit below the trigger level for four character times with no reads and
// no new bytes raise the timeout interrupt.
func (u *UART) armTimeout() {
	u.toTimer.Stop()
	u.toTimer = nil
	if u.fcr&fcrEnable == 0 || u.rxCount == 0 {
		return
	}
	u.toTimer = u.bus.AfterFunc(4*u.charTime(), func() {
		u.toTimer = nil
		if u.rxCount > 0 && u.fcr&fcrEnable != 0 {
			u.timeout = true
			u.update()
		}
	})
}

// modemLines is the high nibble of MSR: the modem inputs.
func (u *UART) modemLines() uint8 {
	if u.mcr&mcrLoop == 0 {
		return msrCTS | msrDSR | msrDCD
	}
	var v uint8
	if u.mcr&mcrRTS != 0 {
		v |= msrCTS
	}
	if u.mcr&mcrDTR != 0 {
		v |= msrDSR
	}
	if u.mcr&mcrOUT1 != 0 {
		v |= msrRI
	}
	if u.mcr&mcrOUT2 != 0 {
		v |= msrDCD
	}
	return v
}

// setModemLines updates MSR's lines and sets the delta bits for those that
// changed (TERI only on RI's trailing edge, as the 16550A does).
func (u *UART) setModemLines(v uint8) {
	old := u.msr & 0xf0
	ch := old ^ v
	d := ch >> 4 & 0x0b // DCTS, DDSR, DDCD
	if ch&msrRI != 0 && v&msrRI == 0 {
		d |= msrTERI
	}
	u.msr = v | u.msr&0x0f | d
}

// iir computes the interrupt identification: the highest priority source
// that is pending and enabled.
func (u *UART) iir() uint8 {
	id := uint8(iirNone)
	switch {
	case u.ier&ierRLSI != 0 && u.lsr&lsrErrs != 0:
		id = iirRLSI
	case u.ier&ierRDI != 0 && u.rxCount > 0 && u.rxCount >= u.trigger():
		id = iirRDI
	case u.ier&ierRDI != 0 && u.timeout:
		id = iirTimeout
	case u.ier&ierTHRI != 0 && u.thrIntr:
		id = iirTHRI
	case u.ier&ierMSI != 0 && u.msr&0x0f != 0:
		id = iirMSI
	}
	if u.fcr&fcrEnable != 0 {
		id |= iirFIFOs
	}
	return id
}

// update drives the IRQ line from the interrupt state, changing it only
// when its level changes.
func (u *UART) update() {
	level := u.iir()&iirNone == 0 && u.mcr&(mcrOUT2|mcrLoop) == mcrOUT2
	if level != u.irqLevel {
		u.irqLevel = level
		if u.irq != nil {
			u.irq(level)
		}
	}
}

// transmit sends one byte: to the receiver in loopback, else to out.
func (u *UART) transmit(c byte) {
	if u.mcr&mcrLoop != 0 {
		u.receive(c)
	} else {
		u.txb[0] = c
		u.out.Write(u.txb[:])
	}
	// The transmitter is done at once: THR empty, THRE interrupt pending.
	u.lsr |= lsrTHRE | lsrTEMT
	u.thrIntr = true
}

// clearRX empties the receive FIFO.
func (u *UART) clearRX() {
	u.rxHead, u.rxCount = 0, 0
	u.lsr &^= lsrDR
	u.timeout = false
	u.toTimer.Stop()
	u.toTimer = nil
	u.space.Broadcast()
}

// ReadPort implements PortDevice. Wider accesses read consecutive
// registers, as the ISA bus splits them.
func (u *UART) ReadPort(port uint16, size int) uint32 {
	var v uint32
	for i := 0; i < size; i++ {
		b := uint32(0xff)
		if off := int(port) + i - int(u.base); off < 8 {
			b = uint32(u.readReg(off))
		}
		v |= b << (8 * i)
	}
	return v
}

// WritePort implements PortDevice.
func (u *UART) WritePort(port uint16, size int, v uint32) {
	for i := 0; i < size; i++ {
		if off := int(port) + i - int(u.base); off < 8 {
			u.writeReg(off, uint8(v>>(8*i)))
		}
	}
}

func (u *UART) readReg(off int) uint8 {
	dlab := u.lcr&0x80 != 0
	switch off {
	case uartRBR:
		if dlab {
			return u.dll
		}
		var c byte
		if u.rxCount > 0 {
			c = u.rx[u.rxHead]
			u.rxHead = (u.rxHead + 1) % uartFIFO
			u.rxCount--
			if u.rxCount == 0 {
				u.lsr &^= lsrDR
			}
			u.space.Broadcast()
		}
		u.timeout = false
		u.armTimeout()
		u.update()
		return c
	case uartIER:
		if dlab {
			return u.dlm
		}
		return u.ier
	case uartIIR:
		id := u.iir()
		if id&0x0f == iirTHRI {
			u.thrIntr = false
			u.update()
		}
		return id
	case uartLCR:
		return u.lcr
	case uartMCR:
		return u.mcr
	case uartLSR:
		v := u.lsr
		u.lsr &^= lsrErrs
		u.update()
		return v
	case uartMSR:
		v := u.msr
		u.msr &= 0xf0
		u.update()
		return v
	default:
		return u.scr
	}
}

func (u *UART) writeReg(off int, v uint8) {
	dlab := u.lcr&0x80 != 0
	switch off {
	case uartRBR:
		if dlab {
			u.dll = v
			return
		}
		u.thrIntr = false
		u.transmit(v)
	case uartIER:
		if dlab {
			u.dlm = v
			return
		}
		old := u.ier
		u.ier = v & 0x0f
		// Enabling the THRE interrupt while THR is empty raises it at
		// once: Linux's 8250 driver probes for exactly that.
		if old&ierTHRI == 0 && u.ier&ierTHRI != 0 && u.lsr&lsrTHRE != 0 {
			u.thrIntr = true
		}
	case uartIIR: // FCR
		if (v^u.fcr)&fcrEnable != 0 {
			// Switching between FIFO and 16450 mode empties the FIFOs.
			u.clearRX()
		}
		if v&fcrEnable == 0 {
			u.fcr = 0
		} else {
			u.fcr = v & 0xc9 // enable, DMA mode, trigger level
			if v&fcrClearRX != 0 {
				u.clearRX()
			}
		}
		u.armTimeout()
	case uartLCR:
		u.lcr = v
	case uartMCR:
		old := u.mcr
		u.mcr = v & 0x1f
		if (old^u.mcr)&(mcrLoop|mcrRTS) != 0 {
			u.space.Broadcast()
		}
		u.setModemLines(u.modemLines())
	case uartLSR:
		// Writing LSR is for factory tests; ignored.
	case uartMSR:
		// Read only.
	default:
		u.scr = v
	}
	u.update()
}

// EscapeReader wraps the host's console input for the board, with QEMU's
// escape key: Ctrl-A X calls Quit, Ctrl-A Ctrl-A passes one Ctrl-A, and
// Ctrl-A followed by any other byte is swallowed (QEMU ignores escape
// commands it does not know). Other bytes pass unchanged. It is separate
// from the UART, which knows nothing about host keys.
type EscapeReader struct {
	R    io.Reader
	Quit func() // called from Read's goroutine when Ctrl-A X is typed

	esc bool // the previous byte was Ctrl-A
}

// Read implements io.Reader. It never returns 0 bytes with a nil error.
func (e *EscapeReader) Read(p []byte) (int, error) {
	for {
		n, err := e.R.Read(p)
		out := 0 // out <= the index of the byte being looked at
		for _, c := range p[:n] {
			if e.esc {
				e.esc = false
				switch c {
				case 'x', 'X':
					if e.Quit != nil {
						e.Quit()
					}
				case 0x01:
					p[out] = c
					out++
				}
				continue
			}
			if c == 0x01 {
				e.esc = true
				continue
			}
			p[out] = c
			out++
		}
		if out > 0 || err != nil || len(p) == 0 {
			return out, err
		}
	}
}
