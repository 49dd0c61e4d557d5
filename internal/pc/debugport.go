package pc

// Port 0x80, the POST diagnostic port: firmware writes progress codes
// there and Linux writes it as a short I/O delay (outb_p, io_delay). A
// write is otherwise ignored; a read returns the last byte written (as
// the POST-card latch of many chipsets does), 0 before the first write.

// PortPOST is the POST code port.
const PortPOST = 0x80

// DebugPort is port 0x80.
type DebugPort struct {
	last uint8
}

// Map gives the debug port its port, 0x80.
func (d *DebugPort) Map(b *Bus) { b.MapPorts(PortPOST, PortPOST, d) }

// Last returns the last POST code written.
func (d *DebugPort) Last() uint8 { return d.last }

// ReadPort returns the last byte written, in each byte of a wider read.
func (d *DebugPort) ReadPort(port uint16, size int) uint32 {
	return uint32(d.last) * 0x01010101
}

// WritePort keeps the low byte of v.
func (d *DebugPort) WritePort(port uint16, size int, v uint32) { d.last = uint8(v) }
