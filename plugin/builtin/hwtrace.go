package builtin

import (
	"fmt"
	"strconv"
	"strings"
	"sync"

	"gemu/plugin"
)

func init() { plugin.Register("hwtrace", newHwtrace) }

// The event classes hwtrace logs.
const (
	hwPorts = 1 << iota
	hwMMIO
	hwInt
	hwMode
	hwAll = hwPorts | hwMMIO | hwInt | hwMode
)

// hwClasses names the classes for args.
var hwClasses = map[string]int{"ports": hwPorts, "mmio": hwMMIO, "int": hwInt, "mode": hwMode, "all": hwAll}

// portRange is an inclusive range of I/O ports.
type portRange struct{ lo, hi uint16 }

// hwtrace is one instance's options, counts and line buffer.
type hwtrace struct {
	classes int
	ports   []portRange // nil: every port

	mu  sync.Mutex
	buf []byte
	// Counts of the events logged.
	in, out, mmioRead, mmioWrite uint64
	intr                         [3]uint64 // by plugin.IntKind
	mode                         [4]uint64 // by plugin.ModeReg
}

// newHwtrace logs the events of system mode (gemu-system), one line each:
//
//	out 0x3f8 <- 0x41 (1) pc=0xc1234567
//	in  0x64 -> 0x1c (1) pc=0xc1234570
//	mmio write 0xfec00000 <- 0x1 (4) ioapic pc=0xc1234580
//	mmio read  0xfec00010 -> 0x11 (4) ioapic pc=0xc1234590
//	int 0x20 hw from=0xc1000010 to=0xc1800000
//	int 0x80 sw from=0x8048012 to=0xc1800100
//	exc 0x0e err=0x2 from=0x8048010 to=0xc1800200
//	cr3 0x1000 -> 0x2000
//
// the direction, port or physical address, value, size in bytes, device
// ("unassigned" for an address no device serves) and pc for accesses;
// vector, kind, error code (when one is pushed), the
// interrupted or faulting pc and the handler's for interrupts and
// exceptions; the register, old and new value for writes of CR0, CR3, CR4
// and EFER. At exit one line counts what was logged per class:
//
//	hwtrace: ports 12 (in 5, out 7), mmio 3 (read 1, write 2), int 40 (hw 30, sw 2, exc 8), mode 6 (cr0 1, cr3 4, cr4 1, efer 0)
//
// args selects: classes among ports, mmio, int, mode (all by default),
// and port=N or port=LO-HI (numbers in C syntax: 0x3f8, 1016) to keep
// only those ports; items separated by '+' (or an escaped comma ",,"):
// args=ports+port=0x3f8-0x3ff logs only the first serial port.
// In user mode (gemu) none of these events happens: it logs nothing but
// the summary.
func newHwtrace(args string, host *plugin.Host) (*plugin.Hooks, error) {
	t := &hwtrace{}
	if err := t.parse(args); err != nil {
		return nil, fmt.Errorf("hwtrace: %v", err)
	}
	h := &plugin.Hooks{Exit: func() { host.Write(t.summary()) }}
	if t.classes&hwPorts != 0 {
		h.PortIO = func(c *plugin.CPU, pc uint64, port uint16, size int, write bool, v uint32) {
			if !t.wantPort(port) {
				return
			}
			t.mu.Lock()
			b := t.buf[:0]
			if write {
				t.out++
				b = append(b, "out 0x"...)
			} else {
				t.in++
				b = append(b, "in  0x"...)
			}
			b = strconv.AppendUint(b, uint64(port), 16)
			b = arrow(b, write)
			b = strconv.AppendUint(b, uint64(v), 16)
			b = sizePC(b, size, pc)
			host.Write(b)
			t.buf = b
			t.mu.Unlock()
		}
	}
	if t.classes&hwMMIO != 0 {
		h.MMIO = func(c *plugin.CPU, pc, addr uint64, size int, write bool, v uint64, device string) {
			t.mu.Lock()
			b := t.buf[:0]
			if write {
				t.mmioWrite++
				b = append(b, "mmio write 0x"...)
			} else {
				t.mmioRead++
				b = append(b, "mmio read  0x"...)
			}
			b = strconv.AppendUint(b, addr, 16)
			b = arrow(b, write)
			b = strconv.AppendUint(b, v, 16)
			b = append(b, " ("...)
			b = strconv.AppendInt(b, int64(size), 10)
			b = append(b, ") "...)
			if device == "" {
				device = "unassigned"
			}
			b = append(b, device...)
			b = append(b, " pc=0x"...)
			b = strconv.AppendUint(b, pc, 16)
			b = append(b, '\n')
			host.Write(b)
			t.buf = b
			t.mu.Unlock()
		}
	}
	if t.classes&hwInt != 0 {
		h.Interrupt = func(c *plugin.CPU, kind plugin.IntKind, vector uint8, errCode int64, from, to uint64) {
			t.mu.Lock()
			b := t.buf[:0]
			if int(kind) < len(t.intr) {
				t.intr[kind]++
			}
			if kind == plugin.IntException {
				b = append(b, "exc 0x"...)
			} else {
				b = append(b, "int 0x"...)
			}
			b = appendHex(b, uint64(vector), 2)
			if kind != plugin.IntException {
				b = append(b, ' ')
				b = append(b, kind.String()...)
			}
			if errCode != plugin.NoErrorCode {
				b = append(b, " err=0x"...)
				b = strconv.AppendUint(b, uint64(errCode), 16)
			}
			b = append(b, " from=0x"...)
			b = strconv.AppendUint(b, from, 16)
			b = append(b, " to=0x"...)
			b = strconv.AppendUint(b, to, 16)
			b = append(b, '\n')
			host.Write(b)
			t.buf = b
			t.mu.Unlock()
		}
	}
	if t.classes&hwMode != 0 {
		h.ModeChange = func(c *plugin.CPU, reg plugin.ModeReg, old, new uint64) {
			t.mu.Lock()
			b := t.buf[:0]
			if int(reg) < len(t.mode) {
				t.mode[reg]++
			}
			b = append(b, reg.String()...)
			b = append(b, " 0x"...)
			b = strconv.AppendUint(b, old, 16)
			b = append(b, " -> 0x"...)
			b = strconv.AppendUint(b, new, 16)
			b = append(b, '\n')
			host.Write(b)
			t.buf = b
			t.mu.Unlock()
		}
	}
	return h, nil
}

// arrow appends the direction of an access: " <- " for a write (the
// value goes to the device), " -> " for a read.
func arrow(b []byte, write bool) []byte {
	if write {
		return append(b, " <- 0x"...)
	}
	return append(b, " -> 0x"...)
}

// sizePC appends " (size) pc=0x..." and the newline.
func sizePC(b []byte, size int, pc uint64) []byte {
	b = append(b, " ("...)
	b = strconv.AppendInt(b, int64(size), 10)
	b = append(b, ") pc=0x"...)
	b = strconv.AppendUint(b, pc, 16)
	return append(b, '\n')
}

// parse reads args: classes and port filters separated by '+' or ','.
func (t *hwtrace) parse(args string) error {
	if args == "" {
		t.classes = hwAll
		return nil
	}
	for _, item := range strings.FieldsFunc(args, func(r rune) bool { return r == '+' || r == ',' }) {
		if v, ok := strings.CutPrefix(item, "port="); ok {
			r, err := parsePorts(v)
			if err != nil {
				return fmt.Errorf("bad port filter %q (want port=N or port=LO-HI, N in 0..0xffff)", item)
			}
			t.ports = append(t.ports, r)
			continue
		}
		c, ok := hwClasses[item]
		if !ok {
			return fmt.Errorf("bad args item %q (want ports, mmio, int, mode, all, port=N or port=LO-HI, separated by '+')", item)
		}
		t.classes |= c
	}
	if t.classes == 0 {
		// Only port filters: the ports they name.
		t.classes = hwPorts
	}
	if t.ports != nil && t.classes&hwPorts == 0 {
		return fmt.Errorf("a port filter without the ports class (%q)", args)
	}
	return nil
}

// parsePorts reads N or LO-HI.
func parsePorts(s string) (portRange, error) {
	lo, hi, isRange := strings.Cut(s, "-")
	if !isRange {
		hi = lo
	}
	l, err := strconv.ParseUint(lo, 0, 16)
	if err != nil {
		return portRange{}, err
	}
	h, err := strconv.ParseUint(hi, 0, 16)
	if err != nil || h < l {
		return portRange{}, fmt.Errorf("bad range")
	}
	return portRange{uint16(l), uint16(h)}, nil
}

// wantPort reports whether the port filters keep port.
func (t *hwtrace) wantPort(port uint16) bool {
	if t.ports == nil {
		return true
	}
	for _, r := range t.ports {
		if port >= r.lo && port <= r.hi {
			return true
		}
	}
	return false
}

// summary is the exit line: the counts of the selected classes.
func (t *hwtrace) summary() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	var parts []string
	if t.classes&hwPorts != 0 {
		parts = append(parts, fmt.Sprintf("ports %d (in %d, out %d)", t.in+t.out, t.in, t.out))
	}
	if t.classes&hwMMIO != 0 {
		parts = append(parts, fmt.Sprintf("mmio %d (read %d, write %d)", t.mmioRead+t.mmioWrite, t.mmioRead, t.mmioWrite))
	}
	if t.classes&hwInt != 0 {
		i := t.intr
		parts = append(parts, fmt.Sprintf("int %d (hw %d, sw %d, exc %d)", i[0]+i[1]+i[2], i[0], i[1], i[2]))
	}
	if t.classes&hwMode != 0 {
		m := t.mode
		parts = append(parts, fmt.Sprintf("mode %d (cr0 %d, cr3 %d, cr4 %d, efer %d)", m[0]+m[1]+m[2]+m[3], m[0], m[1], m[2], m[3]))
	}
	return []byte("hwtrace: " + strings.Join(parts, ", ") + "\n")
}
