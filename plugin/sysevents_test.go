package plugin

import (
	"fmt"
	"reflect"
	"testing"

	"gemu/internal/x86"
)

// hwLog is what the test-hw plugins saw, in call order.
var hwLog []string

func init() {
	// test-hw NAME observes every system-mode event and logs it with the
	// plugin's name and the vCPU's RIP at the call.
	Register("test-hw", func(args string, host *Host) (*Hooks, error) {
		name := args
		return &Hooks{
			PortIO: func(c *CPU, pc uint64, port uint16, size int, write bool, v uint32) {
				hwLog = append(hwLog, fmt.Sprintf("%s io pc=%#x port=%#x size=%d write=%v v=%#x", name, pc, port, size, write, v))
			},
			MMIO: func(c *CPU, pc, addr uint64, size int, write bool, v uint64, dev string) {
				hwLog = append(hwLog, fmt.Sprintf("%s mmio pc=%#x addr=%#x size=%d write=%v v=%#x dev=%s", name, pc, addr, size, write, v, dev))
			},
			Interrupt: func(c *CPU, kind IntKind, vector uint8, errCode int64, from, to uint64) {
				hwLog = append(hwLog, fmt.Sprintf("%s int %v vec=%#x err=%d from=%#x to=%#x rip=%#x", name, kind, vector, errCode, from, to, c.PC()))
			},
			ModeChange: func(c *CPU, reg ModeReg, old, new uint64) {
				hwLog = append(hwLog, fmt.Sprintf("%s mode %v %#x -> %#x", name, reg, old, new))
			},
		}, nil
	})
	// test-io observes port I/O only.
	Register("test-io", func(args string, host *Host) (*Hooks, error) {
		return &Hooks{
			PortIO: func(c *CPU, pc uint64, port uint16, size int, write bool, v uint32) {
				hwLog = append(hwLog, fmt.Sprintf("io-only port=%#x", port))
			},
		}, nil
	})
}

// TestSystemEvents: each system-mode entry point reaches the plugins that
// define the event, in command-line order, with every value as given.
func TestSystemEvents(t *testing.T) {
	m, _ := mustLoad(t, "x86_64", Spec{Name: "test-hw", Args: "a"}, Spec{Name: "test-io"}, Spec{Name: "test-hw", Args: "b"})
	if !m.WantsPortIO() || !m.WantsMMIO() || !m.WantsInterrupts() || !m.WantsModeChanges() {
		t.Fatalf("Wants*: %v %v %v %v, want all true", m.WantsPortIO(), m.WantsMMIO(), m.WantsInterrupts(), m.WantsModeChanges())
	}
	c := newGuest(t, 64, loopCode(64, 1))
	hwLog = nil
	m.PortIO(c, 0xffffffff81001234, 0x3f8, 1, true, 0x41)
	m.PortIO(c, 0x1000, 0xcfc, 4, false, 0x10011af4)
	m.MMIO(c, 0xffffffff81005678, 0xfec00010, 4, true, 0x1, "ioapic")
	c.RIP = 0xffffffff81800000 // the handler's entry state
	m.Interrupt(c, IntHardware, 0x20, NoErrorCode, 0xffffffff81000010, 0xffffffff81800000)
	m.Interrupt(c, IntException, 0x0e, 2, 0x401000, 0xffffffff81800000)
	m.ModeChange(c, x86.ChangeCR3, 0x1000, 0x2000)
	m.ModeChange(c, x86.ChangeEFER, 0, 0xd01)
	want := []string{
		"a io pc=0xffffffff81001234 port=0x3f8 size=1 write=true v=0x41",
		"io-only port=0x3f8",
		"b io pc=0xffffffff81001234 port=0x3f8 size=1 write=true v=0x41",
		"a io pc=0x1000 port=0xcfc size=4 write=false v=0x10011af4",
		"io-only port=0xcfc",
		"b io pc=0x1000 port=0xcfc size=4 write=false v=0x10011af4",
		"a mmio pc=0xffffffff81005678 addr=0xfec00010 size=4 write=true v=0x1 dev=ioapic",
		"b mmio pc=0xffffffff81005678 addr=0xfec00010 size=4 write=true v=0x1 dev=ioapic",
		"a int hw vec=0x20 err=-1 from=0xffffffff81000010 to=0xffffffff81800000 rip=0xffffffff81800000",
		"b int hw vec=0x20 err=-1 from=0xffffffff81000010 to=0xffffffff81800000 rip=0xffffffff81800000",
		"a int exc vec=0xe err=2 from=0x401000 to=0xffffffff81800000 rip=0xffffffff81800000",
		"b int exc vec=0xe err=2 from=0x401000 to=0xffffffff81800000 rip=0xffffffff81800000",
		"a mode cr3 0x1000 -> 0x2000",
		"b mode cr3 0x1000 -> 0x2000",
		"a mode efer 0x0 -> 0xd01",
		"b mode efer 0x0 -> 0xd01",
	}
	if !reflect.DeepEqual(hwLog, want) {
		t.Errorf("events:\n%q\nwant:\n%q", hwLog, want)
	}
}

// TestSystemEventsWanted: Wants* say false when no plugin defines the
// event (the machine then skips the call), and on a nil Manager, whose
// entry points do nothing.
func TestSystemEventsWanted(t *testing.T) {
	m, _ := mustLoad(t, "i386", Spec{Name: "test-io"}, Spec{Name: "test-rec"})
	if !m.WantsPortIO() || m.WantsMMIO() || m.WantsInterrupts() || m.WantsModeChanges() {
		t.Errorf("Wants*: %v %v %v %v, want true false false false", m.WantsPortIO(), m.WantsMMIO(), m.WantsInterrupts(), m.WantsModeChanges())
	}
	var none *Manager
	if none.WantsPortIO() || none.WantsMMIO() || none.WantsInterrupts() || none.WantsModeChanges() {
		t.Error("a nil Manager wants events")
	}
	c := newGuest(t, 32, loopCode(32, 1))
	hwLog = nil
	none.PortIO(c, 0, 0x80, 1, true, 0)
	none.MMIO(c, 0, 0, 4, false, 0, "x")
	none.Interrupt(c, IntSoftware, 0x80, NoErrorCode, 0, 0)
	none.ModeChange(c, x86.ChangeCR0, 0, 1)
	m.MMIO(c, 0, 0xfee00000, 4, false, 0, "lapic")
	if len(hwLog) != 0 {
		t.Errorf("events with no plugin for them: %q", hwLog)
	}
}

// TestModeRegValues: ModeReg is x86.ModeChange as plugins see it (the
// manager converts by value) and the GEMU_MODE_* numbers of plugins.h.
func TestModeRegValues(t *testing.T) {
	for _, tt := range []struct {
		x    x86.ModeChange
		r    ModeReg
		name string
		c    int // GEMU_MODE_*
	}{
		{x86.ChangeCR0, ModeCR0, "cr0", 0},
		{x86.ChangeCR3, ModeCR3, "cr3", 1},
		{x86.ChangeCR4, ModeCR4, "cr4", 2},
		{x86.ChangeEFER, ModeEFER, "efer", 3},
	} {
		if ModeReg(tt.x) != tt.r || tt.r.String() != tt.name || int(tt.r) != tt.c {
			t.Errorf("%v: ModeReg %d %q, want %d %q", tt.x, ModeReg(tt.x), ModeReg(tt.x).String(), tt.c, tt.name)
		}
	}
	for k, name := range map[IntKind]string{IntHardware: "hw", IntSoftware: "sw", IntException: "exc", 7: "IntKind(7)"} {
		if k.String() != name {
			t.Errorf("IntKind %d: %q, want %q", k, k.String(), name)
		}
	}
}

// TestModeObserver: the observer for x86's OnModeChange reports the old
// value it kept and the register's new one, starting from the values at
// its creation; nil when no plugin observes mode changes.
func TestModeObserver(t *testing.T) {
	m, _ := mustLoad(t, "x86_64", Spec{Name: "test-hw", Args: "a"})
	c := newGuest(t, 64, loopCode(64, 1))
	c.CR0, c.CR3, c.CR4, c.EFER = 0x11, 0x1000, 0, 0
	obs := m.ModeObserver(c)
	hwLog = nil
	c.CR4 = 0x20
	obs(c, x86.ChangeCR4)
	c.CR3 = 0x9000
	obs(c, x86.ChangeCR3)
	c.EFER = 0x100
	obs(c, x86.ChangeEFER)
	c.CR0 = 0x80000011
	c.EFER = 0x500 // LMA, set by the CR0 write: x86 reports CR0, then EFER
	obs(c, x86.ChangeCR0)
	obs(c, x86.ChangeEFER)
	c.CR3 = 0xa000
	obs(c, x86.ChangeCR3)
	obs(c, x86.ChangeCR3) // a reload of the same value
	want := []string{
		"a mode cr4 0x0 -> 0x20",
		"a mode cr3 0x1000 -> 0x9000",
		"a mode efer 0x0 -> 0x100",
		"a mode cr0 0x11 -> 0x80000011",
		"a mode efer 0x100 -> 0x500",
		"a mode cr3 0x9000 -> 0xa000",
		"a mode cr3 0xa000 -> 0xa000",
	}
	if !reflect.DeepEqual(hwLog, want) {
		t.Errorf("events:\n%q\nwant:\n%q", hwLog, want)
	}
	m2, _ := mustLoad(t, "x86_64", Spec{Name: "test-io"})
	if m2.ModeObserver(c) != nil {
		t.Error("an observer with no plugin observing mode changes")
	}
}

// TestModeObserverOnSystemCPU: wired into a system-mode CPU's
// OnModeChange, the observer turns x86's reports of a boot into long mode
// (CR4.PAE, CR3, EFER.LME, CR0.PG|PE, which sets EFER.LMA) and a CR3
// reload into events with the right old and new values.
func TestModeObserverOnSystemCPU(t *testing.T) {
	m, _ := mustLoad(t, "x86_64", Spec{Name: "test-hw", Args: "a"})
	c := x86.NewSystemCPU(nil)
	c.Priv.OnModeChange = m.ModeObserver(c)
	hwLog = nil
	cr0 := c.CR0
	steps := []error{
		c.SetCR4(x86.CR4PAE),
		c.SetCR3(0x9000),
		c.SetEFER(x86.EFERLME),
		c.SetCR0(x86.CR0PG | x86.CR0PE),
		c.SetCR3(0x9000),
	}
	for i, err := range steps {
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	want := []string{
		"a mode cr4 0x0 -> 0x20",
		"a mode cr3 0x0 -> 0x9000",
		"a mode efer 0x0 -> 0x100",
		fmt.Sprintf("a mode cr0 %#x -> %#x", cr0, c.CR0),
		"a mode efer 0x100 -> 0x500",
		"a mode cr3 0x9000 -> 0x9000",
	}
	if !reflect.DeepEqual(hwLog, want) {
		t.Errorf("events:\n%q\nwant:\n%q", hwLog, want)
	}
}

// TestInterruptObserver: the observer for x86's OnInterrupt passes every
// value through, x86's delivery kinds and no-error-code value being the
// plugin API's; nil when no plugin observes interrupts.
func TestInterruptObserver(t *testing.T) {
	for _, tt := range []struct {
		x x86.DeliveryKind
		k IntKind
	}{
		{x86.DeliveryHardware, IntHardware},
		{x86.DeliverySoftware, IntSoftware},
		{x86.DeliveryException, IntException},
	} {
		if IntKind(tt.x) != tt.k {
			t.Errorf("x86.DeliveryKind %d is IntKind %v, want %v", tt.x, IntKind(tt.x), tt.k)
		}
	}
	if x86.NoErrorCode != NoErrorCode {
		t.Errorf("x86.NoErrorCode %d, plugin.NoErrorCode %d", x86.NoErrorCode, NoErrorCode)
	}
	m, _ := mustLoad(t, "i386", Spec{Name: "test-hw", Args: "a"})
	c := newGuest(t, 32, loopCode(32, 1))
	obs := m.InterruptObserver()
	hwLog = nil
	c.RIP = 0xc1800000
	obs(c, x86.DeliverySoftware, 0x80, x86.NoErrorCode, 0x8048012, 0xc1800000)
	obs(c, x86.DeliveryException, 0x0d, 0x102, 0xc1000000, 0xc1800000)
	want := []string{
		"a int sw vec=0x80 err=-1 from=0x8048012 to=0xc1800000 rip=0xc1800000",
		"a int exc vec=0xd err=258 from=0xc1000000 to=0xc1800000 rip=0xc1800000",
	}
	if !reflect.DeepEqual(hwLog, want) {
		t.Errorf("events:\n%q\nwant:\n%q", hwLog, want)
	}
	m2, _ := mustLoad(t, "i386", Spec{Name: "test-io"})
	if m2.InterruptObserver() != nil {
		t.Error("an observer with no plugin observing interrupts")
	}
}
