package pc

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"
)

// irqProbe records an interrupt line's level and its number of edges.
type irqProbe struct {
	level bool
	rises int
}

func (p *irqProbe) line() IRQ {
	return func(l bool) {
		if l && !p.level {
			p.rises++
		}
		p.level = l
	}
}

// uartOp is one port access at an offset from COM1: a write of v, or a
// read whose result must be want.
type uartOp struct {
	write bool
	off   uint16
	v     uint8 // value written, or wanted
	irq   int   // -1: do not check; 0/1: wanted IRQ level after the access
	what  string
}

func uw(off uint16, v uint8, what string) uartOp { return uartOp{true, off, v, -1, what} }
func ur(off uint16, v uint8, what string) uartOp { return uartOp{false, off, v, -1, what} }
func uri(off uint16, v uint8, irq int, what string) uartOp {
	return uartOp{false, off, v, irq, what}
}

func runUART(t *testing.T, b *Bus, p *irqProbe, ops []uartOp) {
	t.Helper()
	for i, op := range ops {
		if op.write {
			b.Out(COM1Base+op.off, 1, uint32(op.v))
		} else if got := b.In(COM1Base+op.off, 1); got != uint32(op.v) {
			t.Fatalf("op %d (%s): read port %#x = %#02x, want %#02x", i, op.what, COM1Base+op.off, got, op.v)
		}
		if op.irq >= 0 && p.level != (op.irq == 1) {
			t.Fatalf("op %d (%s): IRQ level %v, want %d", i, op.what, p.level, op.irq)
		}
	}
}

func newTestUART() (*Bus, *UART, *irqProbe, *bytes.Buffer) {
	b := NewBus()
	p := &irqProbe{}
	var out bytes.Buffer
	u := NewUART(b, COM1Base, p.line(), &out)
	return b, u, p, &out
}

func TestUARTLinuxProbe(t *testing.T) {
	// The accesses of Linux's 8250 autoconfig and startup, with the values
	// a 16550A gives them.
	tests := []struct {
		name string
		ops  []uartOp
	}{
		{"power-on", []uartOp{
			ur(1, 0x00, "IER"), ur(2, 0x01, "IIR: none, no FIFOs"), ur(3, 0x00, "LCR"),
			ur(4, 0x00, "MCR"), ur(5, 0x60, "LSR: THRE|TEMT"), ur(6, 0xb0, "MSR: DCD|DSR|CTS"),
		}},
		{"IER test", []uartOp{
			uw(1, 0x00, "IER=0"), ur(1, 0x00, "IER reads 0"),
			uw(1, 0x0f, "IER=0f"), ur(1, 0x0f, "IER reads 0f"),
			uw(1, 0xff, "IER=ff: UUE and bits 4-7 do not exist"), ur(1, 0x0f, "IER reads 0f"),
			uw(1, 0x00, "IER=0"),
		}},
		{"scratch", []uartOp{uw(7, 0xa5, "SCR"), ur(7, 0xa5, "SCR"), uw(7, 0x5a, "SCR"), ur(7, 0x5a, "SCR")}},
		{"loopback", []uartOp{
			uw(4, 0x1a, "MCR=LOOP|OUT2|RTS"), ur(6, 0x92, "MSR: DCD|CTS, DSR dropped: DDSR"),
			ur(6, 0x90, "MSR: deltas cleared"),
			uw(4, 0x1f, "MCR=LOOP|all"), ur(6, 0xf2, "MSR: all lines, DDSR"),
			uw(4, 0x1b, "MCR: OUT1 off"), ur(6, 0xb4, "MSR: RI off: TERI"),
			uw(4, 0x00, "MCR=0"), ur(6, 0xb0, "MSR: CTS|DSR|DCD, unchanged"),
		}},
		{"FIFO detection", []uartOp{
			uw(2, 0x01, "FCR=enable"), ur(2, 0xc1, "IIR: FIFOs, none"),
			uw(3, 0x80, "LCR=DLAB (EFR probe)"), ur(2, 0xc1, "offset 2 is IIR with DLAB"),
			uw(3, 0xbf, "LCR=BF"), ur(2, 0xc1, "no EFR"),
			uw(3, 0xe0, "LCR=E0"), ur(2, 0xc1, "no EXCR1: bit 4 clear"),
			uw(3, 0x00, "LCR=0"),
			uw(2, 0x21, "FCR=enable|64-byte"), ur(2, 0xc1, "IIR bit 5 clear: not a 16750"),
			uw(2, 0x00, "FCR=0"), ur(2, 0x01, "IIR: FIFOs off"),
		}},
		{"divisor latch", []uartOp{
			uw(3, 0x83, "LCR=DLAB|8N1"), uw(0, 0x01, "DLL"), uw(1, 0x00, "DLM"),
			ur(0, 0x01, "DLL"), ur(1, 0x00, "DLM"), uw(3, 0x03, "LCR=8N1"), ur(1, 0x00, "IER untouched"),
		}},
		{"THRE test", []uartOp{
			uw(4, 0x08, "MCR=OUT2"),
			uw(1, 0x02, "IER=THRI"), uri(2, 0x02, 0, "IIR: THRE (read clears)"),
			uri(2, 0x01, 0, "IIR: none"),
			uw(1, 0x00, "IER=0"), uw(1, 0x02, "IER=THRI again"), uri(5, 0x60, 1, "LSR: TEMT|THRE, IRQ up"),
			uri(2, 0x02, 0, "IIR: THRE re-raised"),
			uw(0, 'a', "THR"), uri(2, 0x02, 0, "THRE after the byte left"),
			uw(1, 0x00, "IER=0"),
		}},
		{"OUT2 gates the IRQ", []uartOp{
			uw(1, 0x02, "IER=THRI"), uartOp{false, 5, 0x60, 0, "no OUT2: line low"},
			uw(4, 0x08, "MCR=OUT2"), uartOp{false, 5, 0x60, 1, "OUT2: line high"},
			uw(4, 0x18, "MCR=OUT2|LOOP"), uartOp{false, 5, 0x60, 0, "loopback: line low"},
			uw(4, 0x08, "MCR=OUT2"), uri(2, 0x02, 0, "IIR clears it"),
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, _, p, out := newTestUART()
			runUART(t, b, p, tc.ops)
			if tc.name == "THRE test" && out.String() != "a" {
				t.Errorf("output %q, want %q", out.String(), "a")
			}
		})
	}
}

func TestUARTOutput(t *testing.T) {
	b, _, p, out := newTestUART()
	runUART(t, b, p, []uartOp{uw(3, 0x83, "DLAB"), uw(0, 0x01, "DLL, not output"), uw(3, 0x03, "8N1")})
	b.Out(COM1Base, 1, 'o')
	b.Out(COM1Base, 1, 'k')
	b.Out(COM1Base, 2, '\n'|'!'<<8) // a word write: THR then IER
	if got := out.String(); got != "ok\n" {
		t.Errorf("output %q, want %q", got, "ok\n")
	}
	if ier := b.In(COM1Base+1, 1); ier != '!'&0x0f {
		t.Errorf("IER after the word write = %#x, want %#x", ier, '!'&0x0f)
	}
}

func TestUARTReceive(t *testing.T) {
	b, u, p, _ := newTestUART()
	runUART(t, b, p, []uartOp{
		uw(3, 0x03, "8N1"), uw(2, 0x81, "FCR: FIFO, trigger 8"), uw(4, 0x0b, "MCR: DTR|RTS|OUT2"),
		uw(1, 0x05, "IER: RDI|RLSI"),
	})
	b.Mu.Lock()
	u.Receive([]byte("abc"))
	b.Mu.Unlock()
	runUART(t, b, p, []uartOp{uri(2, 0xc1, 0, "3 bytes: below the trigger"), ur(5, 0x61, "LSR: DR")})
	// Four character times at 115200/1 baud are about 350 µs.
	deadline := time.Now().Add(2 * time.Second)
	for b.In(COM1Base+2, 1) != 0xcc {
		if time.Now().After(deadline) {
			t.Fatal("no character timeout interrupt")
		}
		time.Sleep(100 * time.Microsecond)
	}
	runUART(t, b, p, []uartOp{
		uri(2, 0xcc, 1, "timeout, IRQ up"), uri(0, 'a', 0, "RBR clears the timeout"),
		ur(0, 'b', "RBR"), ur(0, 'c', "RBR"), ur(5, 0x60, "LSR: empty"), ur(0, 0, "empty RBR"),
	})
	// A slow line from here on (divisor 0xffff: a timeout takes 23 s), so
	// that no character timeout comes between the checks.
	runUART(t, b, p, []uartOp{uw(3, 0x83, "DLAB"), uw(0, 0xff, "DLL"), uw(1, 0xff, "DLM"), uw(3, 0x03, "8N1")})
	b.Mu.Lock()
	u.Receive([]byte("0123456789"))
	b.Mu.Unlock()
	runUART(t, b, p, []uartOp{
		uri(2, 0xc4, 1, "10 bytes: data available"),
		ur(0, '0', ""), ur(0, '1', ""), uri(2, 0xc4, 1, "8 left"),
		uri(0, '2', 0, "7 left: below trigger"), ur(2, 0xc1, ""),
		uw(2, 0x83, "FCR: clear RX"), ur(5, 0x60, "LSR: empty"),
	})
	// Overruns, in loopback with FIFOs off: the second byte overwrites.
	runUART(t, b, p, []uartOp{
		uw(2, 0x00, "FIFOs off"), uw(4, 0x18, "loopback"),
		uw(0, 'x', "THR"), uw(0, 'y', "THR"), ur(2, 0x06, "IIR: line status"),
		ur(5, 0x63, "LSR: DR|OE|THRE|TEMT"), ur(5, 0x61, "OE cleared"), ur(2, 0x04, "IIR: data"),
		ur(0, 'y', "the newer byte"), ur(2, 0x01, "none"),
	})
}

func TestUARTModemStatusInterrupt(t *testing.T) {
	b, _, p, _ := newTestUART()
	runUART(t, b, p, []uartOp{
		uw(4, 0x10, "loopback"), ur(6, 0x0b, "MSR: all lines dropped"), uw(1, 0x08, "IER=MSI"),
		ur(2, 0x01, "none"), uw(4, 0x12, "RTS"), ur(2, 0x00, "modem status"),
		ur(6, 0x11, "CTS, DCTS"), ur(2, 0x01, "none"),
	})
}

func TestUARTStartInput(t *testing.T) {
	b, u, _, _ := newTestUART()
	pr, pw := io.Pipe()
	u.StartInput(pr)
	msg := strings.Repeat("0123456789abcdef", 5) // 80 bytes: five FIFOs full
	go func() {
		pw.Write([]byte(msg))
		pw.Close()
	}()
	b.Out(COM1Base+2, 1, 0x01)
	// Nothing arrives while RTS is low, and a FIFO clear then (Linux's
	// startup) loses nothing.
	time.Sleep(20 * time.Millisecond)
	if lsr := b.In(COM1Base+5, 1); lsr&lsrDR != 0 {
		t.Fatalf("data ready (LSR %#x) with RTS low", lsr)
	}
	b.Out(COM1Base+2, 1, 0x03)
	b.Out(COM1Base+4, 1, 0x0b) // DTR, RTS, OUT2
	var got []byte
	deadline := time.Now().Add(5 * time.Second)
	for len(got) < len(msg) && time.Now().Before(deadline) {
		lsr := b.In(COM1Base+5, 1)
		if lsr&lsrOE != 0 {
			t.Fatalf("overrun after %d bytes", len(got))
		}
		if lsr&lsrDR != 0 {
			got = append(got, byte(b.In(COM1Base, 1)))
		} else {
			time.Sleep(50 * time.Microsecond)
		}
	}
	if string(got) != msg {
		t.Fatalf("received %q, want %q", got, msg)
	}
}

func TestEscapeReader(t *testing.T) {
	tests := []struct {
		in, want string
		quit     int
	}{
		{"hello", "hello", 0},
		{"a\x01xb", "ab", 1},
		{"\x01X", "", 1},
		{"a\x01\x01b", "a\x01b", 0},
		{"a\x01hb", "ab", 0},
	}
	for _, tc := range tests {
		quits := 0
		e := &EscapeReader{R: strings.NewReader(tc.in), Quit: func() { quits++ }}
		got, err := io.ReadAll(e)
		if err != nil || string(got) != tc.want || quits != tc.quit {
			t.Errorf("%q: got %q, %v, %d quits; want %q, %d", tc.in, got, err, quits, tc.want, tc.quit)
		}
	}
	// An escape split across two reads.
	quits := 0
	e := &EscapeReader{R: io.MultiReader(strings.NewReader("a\x01"), strings.NewReader("\x01"), strings.NewReader("\x01x")), Quit: func() { quits++ }}
	got, _ := io.ReadAll(e)
	if string(got) != "a\x01" || quits != 1 {
		t.Errorf("split escapes: got %q, %d quits", got, quits)
	}
}
