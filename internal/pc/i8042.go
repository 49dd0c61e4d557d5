package pc

// The 8042 keyboard controller at ports 0x60 (data) and 0x64 (status
// read, command write), with no keyboard or mouse behind it. It answers
// what Linux's i8042 driver asks of the controller itself, so that the
// driver either finds a controller with two empty ports or, without
// firmware (PNP/ACPI) describing one, leaves it alone: the status
// register, the command byte (read 0x20, write 0x60), the self-test
// (0xaa -> 0x55), the interface tests (0xab, 0xa9 -> 0x00), disabling and
// enabling the ports (0xad/0xae, 0xa7/0xa8), the output port (read 0xd0,
// write 0xd1), the loopback writes (0xd2 keyboard, 0xd3 aux: the byte
// comes back as if the device had sent it) and the pulse commands
// 0xf0-0xff. A byte sent to the keyboard (a data write with no command
// pending) or to the aux device (0xd4) is answered by 0xfe with the
// timeout bit, as a controller does when no device answers, so a probe
// fails at once instead of waiting for its timeout.
//
// The reset line: the pulse command 0xfe, or an output port write (0xd1)
// with bit 0 clear, calls the reset callback the board gives (Linux's
// reboot=k). IRQ 1 is raised while a keyboard byte waits in the output
// buffer with command byte bit 0 set, IRQ 12 for an aux byte with bit 1.

// Ports of the i8042.
const (
	PortKbdData   = 0x60
	PortKbdStatus = 0x64
)

// Status register bits.
const (
	kbdOBF     = 0x01 // output buffer full
	kbdSYS     = 0x04 // system flag (self-test passed)
	kbdA2      = 0x08 // the last write was a command
	kbdUnlock  = 0x10 // keyboard not inhibited
	kbdAuxData = 0x20 // the output buffer holds aux data
	kbdTimeout = 0x40
)

// Command byte bits.
const (
	ctrKbdInt  = 0x01
	ctrAuxInt  = 0x02
	ctrSys     = 0x04
	ctrKbdDis  = 0x10
	ctrAuxDis  = 0x20
	ctrXlate   = 0x40
	i8042Queue = 16 // bytes the output queue holds (Linux flushes at most 16)
)

// kbdByte is a byte in the output buffer and where it came from.
type kbdByte struct {
	v       uint8
	aux     bool
	timeout bool
}

// I8042 is the keyboard controller.
type I8042 struct {
	kbdIRQ, auxIRQ IRQ
	reset          func()

	ctr     uint8     // command byte
	outPort uint8     // output port (bit 0 reset, bit 1 A20)
	a2      bool      // the last write was to the command port
	cmd     uint8     // a command waiting for its data byte, 0 if none
	out     []kbdByte // the output buffer (and the bytes queued behind it)
	last    uint8     // the last byte read from the data port

	kbdLine, auxLine bool
}

// NewI8042 returns the controller as firmware leaves it (command byte
// 0x47: keyboard and aux interrupts, system flag, translation; A20 on)
// with its interrupt lines (IRQ 1 and 12) and the reset callback, which
// is called with Bus.Mu held and must only signal.
func NewI8042(kbdIRQ, auxIRQ IRQ, reset func()) *I8042 {
	return &I8042{
		kbdIRQ: kbdIRQ, auxIRQ: auxIRQ, reset: reset,
		ctr:     ctrKbdInt | ctrAuxInt | ctrSys | ctrXlate,
		outPort: 0xcf,
	}
}

// Map gives the controller ports 0x60 and 0x64.
func (k *I8042) Map(b *Bus) {
	b.MapPorts(PortKbdData, PortKbdData, k)
	b.MapPorts(PortKbdStatus, PortKbdStatus, k)
}

// A20 reports whether the output port enables the A20 gate.
func (k *I8042) A20() bool { return k.outPort&0x02 != 0 }

// push queues a byte for the data port.
func (k *I8042) push(b kbdByte) {
	if len(k.out) < i8042Queue {
		k.out = append(k.out, b)
	}
	k.update()
}

// update drives IRQ 1 and 12 from the byte at the head of the buffer.
func (k *I8042) update() {
	kbd, aux := false, false
	if len(k.out) > 0 {
		if k.out[0].aux {
			aux = k.ctr&ctrAuxInt != 0
		} else {
			kbd = k.ctr&ctrKbdInt != 0
		}
	}
	if kbd != k.kbdLine {
		k.kbdLine = kbd
		if k.kbdIRQ != nil {
			k.kbdIRQ(kbd)
		}
	}
	if aux != k.auxLine {
		k.auxLine = aux
		if k.auxIRQ != nil {
			k.auxIRQ(aux)
		}
	}
}

func (k *I8042) status() uint8 {
	s := uint8(kbdUnlock)
	if k.ctr&ctrSys != 0 {
		s |= kbdSYS
	}
	if k.a2 {
		s |= kbdA2
	}
	if len(k.out) > 0 {
		s |= kbdOBF
		if k.out[0].aux {
			s |= kbdAuxData
		}
		if k.out[0].timeout {
			s |= kbdTimeout
		}
	}
	return s
}

// ReadPort reads the status register (0x64) or the output buffer (0x60:
// the next byte, or the last one again when the buffer is empty).
func (k *I8042) ReadPort(port uint16, size int) uint32 {
	if port == PortKbdStatus {
		return uint32(k.status())
	}
	if len(k.out) > 0 {
		k.last = k.out[0].v
		k.out = k.out[1:]
		// Lower the lines so that a following byte is a new edge.
		if k.kbdLine && k.kbdIRQ != nil {
			k.kbdIRQ(false)
		}
		if k.auxLine && k.auxIRQ != nil {
			k.auxIRQ(false)
		}
		k.kbdLine, k.auxLine = false, false
		k.update()
	}
	return uint32(k.last)
}

// WritePort takes a command (0x64) or a data byte (0x60).
func (k *I8042) WritePort(port uint16, size int, v uint32) {
	b := uint8(v)
	if port == PortKbdStatus {
		k.a2 = true
		k.command(b)
		return
	}
	k.a2 = false
	cmd := k.cmd
	k.cmd = 0
	switch {
	case cmd == 0x60: // write the command byte
		k.ctr = b &^ 0x80
		k.update()
	case cmd > 0x60 && cmd < 0x80: // other internal RAM: not kept
	case cmd == 0xd1: // write the output port
		k.outPort = b
		if b&1 == 0 {
			k.pulseReset()
		}
	case cmd == 0xd2: // loopback as keyboard data
		k.push(kbdByte{v: b})
	case cmd == 0xd3: // loopback as aux data
		k.push(kbdByte{v: b, aux: true})
	case cmd == 0xd4: // to the aux device: there is none
		k.push(kbdByte{v: 0xfe, aux: true, timeout: true})
	default: // to the keyboard: there is none
		k.push(kbdByte{v: 0xfe, timeout: true})
	}
}

// command runs a controller command written to port 0x64.
func (k *I8042) command(c uint8) {
	k.cmd = 0
	switch {
	case c == 0x20:
		k.push(kbdByte{v: k.ctr})
	case c > 0x20 && c < 0x40: // other internal RAM: none kept
		k.push(kbdByte{})
	case c >= 0x60 && c < 0x80, c == 0xd1, c == 0xd2, c == 0xd3, c == 0xd4:
		k.cmd = c
	case c == 0xa7:
		k.ctr |= ctrAuxDis
	case c == 0xa8:
		k.ctr &^= ctrAuxDis
	case c == 0xa9, c == 0xab: // aux, keyboard interface test: no error
		k.push(kbdByte{})
	case c == 0xaa: // self-test
		k.ctr |= ctrSys
		k.push(kbdByte{v: 0x55})
	case c == 0xad:
		k.ctr |= ctrKbdDis
	case c == 0xae:
		k.ctr &^= ctrKbdDis
	case c == 0xc0: // input port
		k.push(kbdByte{})
	case c == 0xd0: // output port, with the buffer-full bits as they are
		v := k.outPort &^ 0x30
		if k.kbdLine {
			v |= 0x10
		}
		if k.auxLine {
			v |= 0x20
		}
		k.push(kbdByte{v: v})
	case c == 0xe0: // test inputs
		k.push(kbdByte{})
	case c >= 0xf0: // pulse output port bits 0-3 where the command's are 0
		if c&1 == 0 {
			k.pulseReset()
		}
	}
}

func (k *I8042) pulseReset() {
	if k.reset != nil {
		k.reset()
	}
}
