package builtin

import (
	"bytes"
	"strings"
	"testing"

	"gemu/internal/x86"
	"gemu/plugin"
	"gemu/plugin/internal/guesttest"
)

// hwEvents feeds m one event of each kind and direction, as gemu-system's
// machine reports them, and ends the run.
func hwEvents(t *testing.T, m *plugin.Manager) {
	c := guesttest.New(t, 32, guesttest.Loop(32, 1))
	m.PortIO(c, 0xc1234567, 0x3f8, 1, true, 0x41)
	m.PortIO(c, 0xc1234570, 0x64, 1, false, 0x1c)
	m.PortIO(c, 0xc1234575, 0xcfc, 4, false, 0xffffffff)
	m.PortIO(c, 0xc1234578, 0x3fd, 1, false, 0x60)
	m.MMIO(c, 0xc1234580, 0xfec00000, 4, true, 0x1, "ioapic")
	m.MMIO(c, 0xc1234590, 0xfec00010, 4, false, 0x11, "ioapic")
	m.MMIO(c, 0xc1234598, 0xfed00000, 8, false, 0xffffffffffffffff, "")
	m.Interrupt(c, plugin.IntHardware, 0x20, plugin.NoErrorCode, 0xc1000010, 0xc1800000)
	m.Interrupt(c, plugin.IntSoftware, 0x80, plugin.NoErrorCode, 0x8048012, 0xc1800100)
	m.Interrupt(c, plugin.IntException, 0x0e, 2, 0x8048010, 0xc1800200)
	m.Interrupt(c, plugin.IntException, 0x06, plugin.NoErrorCode, 0x8048020, 0xc1800300)
	m.Interrupt(c, plugin.IntException, 0x08, 0, 0x8048030, 0xc1800400)
	m.ModeChange(c, x86.ChangeCR3, 0x1000, 0x2000)
	m.ModeChange(c, x86.ChangeCR0, 0x11, 0x80000011)
	m.ModeChange(c, x86.ChangeEFER, 0, 0xd01)
	m.Exit()
}

func hwtraceLog(t *testing.T, args string) string {
	t.Helper()
	var log bytes.Buffer
	m, err := plugin.Load([]plugin.Spec{{Name: "hwtrace", Args: args}}, &log, "i386")
	if err != nil {
		t.Fatal(err)
	}
	hwEvents(t, m)
	return log.String()
}

func TestHwtrace(t *testing.T) {
	got := hwtraceLog(t, "")
	want := `out 0x3f8 <- 0x41 (1) pc=0xc1234567
in  0x64 -> 0x1c (1) pc=0xc1234570
in  0xcfc -> 0xffffffff (4) pc=0xc1234575
in  0x3fd -> 0x60 (1) pc=0xc1234578
mmio write 0xfec00000 <- 0x1 (4) ioapic pc=0xc1234580
mmio read  0xfec00010 -> 0x11 (4) ioapic pc=0xc1234590
mmio read  0xfed00000 -> 0xffffffffffffffff (8) unassigned pc=0xc1234598
int 0x20 hw from=0xc1000010 to=0xc1800000
int 0x80 sw from=0x8048012 to=0xc1800100
exc 0x0e err=0x2 from=0x8048010 to=0xc1800200
exc 0x06 from=0x8048020 to=0xc1800300
exc 0x08 err=0x0 from=0x8048030 to=0xc1800400
cr3 0x1000 -> 0x2000
cr0 0x11 -> 0x80000011
efer 0x0 -> 0xd01
hwtrace: ports 4 (in 3, out 1), mmio 3 (read 2, write 1), int 5 (hw 1, sw 1, exc 3), mode 3 (cr0 1, cr3 1, cr4 0, efer 1)
`
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestHwtraceArgs(t *testing.T) {
	for _, tt := range []struct{ args, want string }{
		{"int+mode", `int 0x20 hw from=0xc1000010 to=0xc1800000
int 0x80 sw from=0x8048012 to=0xc1800100
exc 0x0e err=0x2 from=0x8048010 to=0xc1800200
exc 0x06 from=0x8048020 to=0xc1800300
exc 0x08 err=0x0 from=0x8048030 to=0xc1800400
cr3 0x1000 -> 0x2000
cr0 0x11 -> 0x80000011
efer 0x0 -> 0xd01
hwtrace: int 5 (hw 1, sw 1, exc 3), mode 3 (cr0 1, cr3 1, cr4 0, efer 1)
`},
		// A port filter alone selects the ports it names; ranges and
		// single ports, hex and decimal, ',' as a separator.
		{"port=0x3f8-0x3ff,port=100", `out 0x3f8 <- 0x41 (1) pc=0xc1234567
in  0x64 -> 0x1c (1) pc=0xc1234570
in  0x3fd -> 0x60 (1) pc=0xc1234578
hwtrace: ports 3 (in 2, out 1)
`},
		{"mmio+ports+port=0xcfc", `in  0xcfc -> 0xffffffff (4) pc=0xc1234575
mmio write 0xfec00000 <- 0x1 (4) ioapic pc=0xc1234580
mmio read  0xfec00010 -> 0x11 (4) ioapic pc=0xc1234590
mmio read  0xfed00000 -> 0xffffffffffffffff (8) unassigned pc=0xc1234598
hwtrace: ports 1 (in 1, out 0), mmio 3 (read 2, write 1)
`},
	} {
		if got := hwtraceLog(t, tt.args); got != tt.want {
			t.Errorf("args %q got:\n%s\nwant:\n%s", tt.args, got, tt.want)
		}
	}
}

func TestHwtraceBadArgs(t *testing.T) {
	for _, tt := range []struct{ args, want string }{
		{"irq", `plugin hwtrace: hwtrace: bad args item "irq" (want ports, mmio, int, mode, all, port=N or port=LO-HI, separated by '+')`},
		{"port=0x10000", `plugin hwtrace: hwtrace: bad port filter "port=0x10000" (want port=N or port=LO-HI, N in 0..0xffff)`},
		{"port=0x40-0x20", `plugin hwtrace: hwtrace: bad port filter "port=0x40-0x20" (want port=N or port=LO-HI, N in 0..0xffff)`},
		{"port=x", `plugin hwtrace: hwtrace: bad port filter "port=x" (want port=N or port=LO-HI, N in 0..0xffff)`},
		{"int+port=0x80", `plugin hwtrace: hwtrace: a port filter without the ports class ("int+port=0x80")`},
	} {
		_, err := plugin.Load([]plugin.Spec{{Name: "hwtrace", Args: tt.args}}, &bytes.Buffer{}, "x86_64")
		if err == nil || err.Error() != tt.want {
			t.Errorf("args %q: error %v, want %s", tt.args, err, tt.want)
		}
	}
}

// TestHwtraceUserMode: in user mode no system-mode event happens, and
// hwtrace places no instrumentation: it prints only its summary.
func TestHwtraceUserMode(t *testing.T) {
	got := trace(t, 64, guesttest.Loop(64, 3), nil, 0, plugin.Spec{Name: "hwtrace"})
	want := "hwtrace: ports 0 (in 0, out 0), mmio 0 (read 0, write 0), int 0 (hw 0, sw 0, exc 0), mode 0 (cr0 0, cr3 0, cr4 0, efer 0)\n"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	var log bytes.Buffer
	m, err := plugin.Load([]plugin.Spec{{Name: "hwtrace"}}, &log, "x86_64")
	if err != nil {
		t.Fatal(err)
	}
	if m.Instrumenter() != nil || m.WantsSyscalls() {
		t.Error("hwtrace places instrumentation or observes system calls")
	}
	if !strings.Contains(strings.Join(plugin.Names(), " "), "hwtrace") {
		t.Error("hwtrace is not registered")
	}
}
