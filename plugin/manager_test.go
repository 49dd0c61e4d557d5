package plugin

import (
	"bytes"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"gemu/internal/engine"
	"gemu/internal/mem"
	"gemu/internal/x86"
	"gemu/plugin/internal/guesttest"
)

// newGuest and run are short for the guesttest helpers.
var (
	newGuest = guesttest.New
	run      = guesttest.Run
	loopCode = guesttest.Loop
	sysGate  = guesttest.Gate
)

// testPlugins registers Go plugins used by these tests once.
var events []string

func init() {
	// rec logs every block and instruction event with its name, and the
	// ecx value the hook sees (the state before the instruction).
	rec := func(args string, host *Host) (*Hooks, error) {
		name := args
		return &Hooks{
			Block: func(c *CPU, pc uint64) ExecFunc {
				return func(c *CPU, pc uint64) {
					events = append(events, fmt.Sprintf("%s tb %#x", name, pc))
				}
			},
			Insn: func(c *CPU, pc uint64) ExecFunc {
				return func(c *CPU, pc uint64) {
					if c.PC() != pc {
						events = append(events, fmt.Sprintf("%s: rip %#x != pc %#x", name, c.PC(), pc))
					}
					events = append(events, fmt.Sprintf("%s %#x ecx=%d", name, pc, c.Reg(x86.RCX)))
				}
			},
			Exit: func() { events = append(events, name+" exit") },
		}, nil
	}
	Register("test-rec", rec)
	// odd wants only instructions at odd addresses and no blocks.
	Register("test-odd", func(args string, host *Host) (*Hooks, error) {
		return &Hooks{
			Insn: func(c *CPU, pc uint64) ExecFunc {
				if pc%2 == 0 {
					return nil
				}
				return func(c *CPU, pc uint64) { events = append(events, fmt.Sprintf("odd %#x", pc)) }
			},
		}, nil
	})
	Register("test-fail", func(args string, host *Host) (*Hooks, error) {
		return nil, fmt.Errorf("bad args %q", args)
	})
	Register("test-log", func(args string, host *Host) (*Hooks, error) {
		host.Logf("init %s %s\n", args, host.Arch())
		return &Hooks{Exit: func() { host.Logf("bye\n") }}, nil
	})
}

func mustLoad(t *testing.T, arch string, specs ...Spec) (*Manager, *bytes.Buffer) {
	t.Helper()
	var log bytes.Buffer
	m, err := Load(specs, &log, arch)
	if err != nil {
		t.Fatal(err)
	}
	return m, &log
}

func TestHooksInOrder(t *testing.T) {
	for _, mode := range []int{32, 64} {
		events = nil
		arch := map[int]string{32: "i386", 64: "x86_64"}[mode]
		m, _ := mustLoad(t, arch, Spec{Name: "test-rec", Args: "A"}, Spec{Name: "test-odd"}, Spec{Name: "test-rec", Args: "B"})
		run(t, newGuest(t, mode, loopCode(mode, 3)), m.Instrumenter())
		m.Exit()
		m.Exit() // runs once
		want := []string{
			"A tb 0x1000", "B tb 0x1000",
			"A 0x1000 ecx=0", "B 0x1000 ecx=0",
			"A 0x1005 ecx=3", "odd 0x1005", "B 0x1005 ecx=3",
			"A 0x1007 ecx=2", "odd 0x1007", "B 0x1007 ecx=2",
		}
		for _, ecx := range []int{2, 1} {
			want = append(want,
				"A tb 0x1005", "B tb 0x1005",
				fmt.Sprintf("A 0x1005 ecx=%d", ecx), "odd 0x1005", fmt.Sprintf("B 0x1005 ecx=%d", ecx),
				fmt.Sprintf("A 0x1007 ecx=%d", ecx-1), "odd 0x1007", fmt.Sprintf("B 0x1007 ecx=%d", ecx-1))
		}
		want = append(want,
			"A tb 0x1009", "B tb 0x1009",
			"A 0x1009 ecx=0", "odd 0x1009", "B 0x1009 ecx=0",
			"A exit", "B exit")
		if !reflect.DeepEqual(events, want) {
			t.Errorf("mode %d events:\n%s\nwant:\n%s", mode, strings.Join(events, "\n"), strings.Join(want, "\n"))
		}
	}
}

func TestMemHooks(t *testing.T) {
	// 0x1000 mov dword [rdi], 0x11223344   c7 07 44 33 22 11
	// 0x1006 add [rdi], eax                01 07
	// 0x1008 mov ebx, [rdi]                8b 1f   (not traced: the plugin skips it)
	// 0x100a push rdi / push edi           57
	// 0x100b syscall / int $0x80
	for _, mode := range []int{32, 64} {
		code := append([]byte{0xc7, 0x07, 0x44, 0x33, 0x22, 0x11, 0x01, 0x07, 0x8b, 0x1f, 0x57}, sysGate(mode)...)
		c := newGuest(t, mode, code)
		c.R[x86.RDI] = guesttest.Data + 0x10
		c.R[x86.RAX] = 1
		var got []string
		Register(fmt.Sprintf("test-mem%d", mode), func(args string, host *Host) (*Hooks, error) {
			return &Hooks{Mem: func(c *CPU, pc uint64) MemFunc {
				if pc == 0x1008 {
					return nil
				}
				return func(addr uint64, size int, store bool, value uint64) {
					got = append(got, fmt.Sprintf("%#x %#x %d %v %#x", pc, addr, size, store, value))
				}
			}}, nil
		})
		m, _ := mustLoad(t, (*CPU)(c).Arch(), Spec{Name: fmt.Sprintf("test-mem%d", mode)})
		run(t, c, m.Instrumenter())
		sp := uint64(guesttest.Stack - mode/8)
		want := []string{
			"0x1000 0x8010 4 true 0x11223344",
			"0x1006 0x8010 4 false 0x11223344",
			"0x1006 0x8010 4 true 0x11223345",
			fmt.Sprintf("0x100a %#x %d true 0x8010", sp, mode/8),
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("mode %d accesses:\n%s\nwant:\n%s", mode, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if c.R[x86.RBX] != 0x11223345 {
			t.Errorf("ebx = %#x", c.R[x86.RBX])
		}
	}
}

func TestSyscallEvents(t *testing.T) {
	var got []string
	Register("test-sys", func(args string, host *Host) (*Hooks, error) {
		return &Hooks{
			Syscall: func(c *CPU, num int64, a [6]uint64) {
				got = append(got, fmt.Sprintf("%s %d %x", c.Arch(), num, a))
			},
			SyscallRet: func(c *CPU, num, ret int64) {
				got = append(got, fmt.Sprintf("%s %d = %d", c.Arch(), num, ret))
			},
		}, nil
	})
	m32, _ := mustLoad(t, "i386", Spec{Name: "test-sys"})
	if !m32.WantsSyscalls() || m32.Instrumenter() != nil {
		t.Fatalf("WantsSyscalls %v, Instrumenter %v", m32.WantsSyscalls(), m32.Instrumenter())
	}
	c32 := x86.New(32, mem.New(1<<32))
	m32.SyscallEntry(c32, 4, [6]uint64{1, 0xffffffff00001000, 3, 4, 5, 6})
	m32.SyscallExit(c32, 4, 0xfffffff2) // -14 in eax
	c64 := x86.New(64, mem.New(1<<47))
	m32.SyscallEntry(c64, 1, [6]uint64{1, 0xffffffff00001000, 3, 4, 5, 6})
	m32.SyscallExit(c64, 1, -14)
	want := []string{
		"i386 4 [1 1000 3 4 5 6]",
		"i386 4 = -14",
		"x86_64 1 [1 ffffffff00001000 3 4 5 6]",
		"x86_64 1 = -14",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		spec Spec
		want string
	}{
		{Spec{Name: "no-such-tracer"}, "plugin no-such-tracer: no such built-in plugin (known: "},
		{Spec{Name: "test-fail", Args: "x,y"}, `plugin test-fail: bad args "x,y"`},
		{Spec{}, "no plugin name or file given"},
	}
	for _, tt := range tests {
		_, err := Load([]Spec{{Name: "test-log"}, tt.spec}, &bytes.Buffer{}, "i386")
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) && !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: error %v, want %q", tt.spec, err, tt.want)
		}
	}
	if _, err := Load(nil, &bytes.Buffer{}, "arm"); err == nil {
		t.Error("arch arm accepted")
	}
	// A failed Load leaves an empty manager: the plugins loaded before
	// the failing one are dropped and their exit hooks never run.
	m := New()
	events = nil
	err := m.Load([]Spec{{Name: "test-rec", Args: "A"}, {Name: "test-fail"}}, &bytes.Buffer{}, "i386")
	if err == nil || m.Instrumenter() != nil || len(m.Plugins()) != 0 {
		t.Errorf("after failed Load: %v, %v, %q", err, m.Instrumenter(), m.Plugins())
	}
	m.Exit()
	if len(events) != 0 {
		t.Errorf("exit hooks ran after a failed Load: %q", events)
	}
	if err := m.Load(nil, &bytes.Buffer{}, "i386"); err == nil {
		t.Error("second Load accepted")
	}
	// Without a registered loader, files cannot be loaded.
	regMu.Lock()
	saved := loader
	loader = nil
	regMu.Unlock()
	_, err = Load([]Spec{{Path: "/x/libfoo.so"}}, &bytes.Buffer{}, "x86_64")
	RegisterLoader(saved)
	if err == nil || !strings.HasPrefix(err.Error(), "plugin /x/libfoo.so: cannot load: ") {
		t.Errorf("file without loader: %v", err)
	}
}

func TestLoaderGetsArgs(t *testing.T) {
	regMu.Lock()
	saved := loader
	regMu.Unlock()
	defer RegisterLoader(saved)
	var gotPath, gotArgs, gotArch string
	RegisterLoader(func(path, args string, host *Host) (*Hooks, error) {
		gotPath, gotArgs, gotArch = path, args, host.Arch()
		return nil, nil
	})
	m, _ := mustLoad(t, "x86_64", Spec{Path: "/p/lib.so", Args: "a,b"})
	if gotPath != "/p/lib.so" || gotArgs != "a,b" || gotArch != "x86_64" {
		t.Errorf("loader got %q %q %q", gotPath, gotArgs, gotArch)
	}
	if m.Instrumenter() != nil || m.WantsSyscalls() {
		t.Error("a plugin without hooks instruments")
	}
	if got := m.Plugins(); !reflect.DeepEqual(got, []string{"/p/lib.so"}) {
		t.Errorf("Plugins() = %q", got)
	}
}

func TestHostLog(t *testing.T) {
	m, log := mustLoad(t, "x86_64", Spec{Name: "test-log", Args: "a,b"}, Spec{Name: "test-log", Args: "c"})
	m.Exit()
	m.Exit()
	if got, want := log.String(), "init a,b x86_64\ninit c x86_64\nbye\nbye\n"; got != want {
		t.Errorf("log %q, want %q", got, want)
	}
	var nilM *Manager
	nilM.Exit() // no plugins: nothing to do
	if nilM.Instrumenter() != nil || nilM.WantsSyscalls() {
		t.Error("nil manager instruments")
	}
	// An empty manager (before Load) observes nothing and places nothing.
	empty := New()
	c := x86.New(64, mem.New(1<<47))
	empty.SyscallEntry(c, 1, [6]uint64{})
	empty.SyscallExit(c, 1, 0)
	empty.Exit()
	if empty.Instrumenter() != nil || empty.WantsSyscalls() {
		t.Error("empty manager instruments")
	}
}

func TestSyscallName(t *testing.T) {
	tests := []struct {
		arch string
		num  int64
		want string
	}{
		{"i386", 4, "write"},
		{"x86_64", 1, "write"},
		{"i386", 252, "exit_group"},
		{"x86_64", 231, "exit_group"},
		{"x86_64", -1, ""},
		{"x86_64", 100000, ""},
		{"i386", 1 << 40, ""},
	}
	for _, tt := range tests {
		h := &Host{arch: tt.arch}
		if got := h.SyscallName(tt.num); got != tt.want {
			t.Errorf("%s SyscallName(%d) = %q, want %q", tt.arch, tt.num, got, tt.want)
		}
	}
}

func TestReadMemory(t *testing.T) {
	s := mem.New(1 << 32)
	// Two adjacent pages, the second one PROT_NONE, then a hole.
	if err := s.Map(0x10000, mem.PageSize, mem.Read|mem.Write); err != nil {
		t.Fatal(err)
	}
	if err := s.Map(0x11000, mem.PageSize, 0); err != nil {
		t.Fatal(err)
	}
	s.Poke(0x10ffe, []byte{1, 2, 3, 4})
	c := (*CPU)(x86.New(32, s))
	tests := []struct {
		addr uint64
		n    int
		ok   bool
	}{
		{0x10ffe, 4, true}, // crosses into the PROT_NONE page
		{0x10000, 2 * mem.PageSize, true},
		{0x10001, 2 * mem.PageSize, false}, // runs into the hole
		{0x12000, 1, false},                // unmapped
		{0x0, 0, true},                     // empty read of an unmapped address
		{1 << 40, 1, false},                // beyond the address space
		{^uint64(0) - 1, 4, false},         // wraps around
	}
	for _, tt := range tests {
		buf := make([]byte, tt.n)
		for i := range buf {
			buf[i] = 0xee
		}
		err := c.ReadMemory(tt.addr, buf)
		if (err == nil) != tt.ok {
			t.Errorf("ReadMemory(%#x, %d) = %v", tt.addr, tt.n, err)
		}
		if err != nil {
			// A failed read leaves the buffer alone.
			for i, b := range buf {
				if b != 0xee {
					t.Fatalf("ReadMemory(%#x, %d) failed but wrote buf[%d]", tt.addr, tt.n, i)
				}
			}
		}
	}
	buf := make([]byte, 4)
	if c.ReadMemory(0x10ffe, buf) != nil || !bytes.Equal(buf, []byte{1, 2, 3, 4}) {
		t.Errorf("page-crossing read got % x", buf)
	}
}

func TestReadRegister(t *testing.T) {
	c64 := x86.New(64, mem.New(1<<47))
	c64.R[x86.RBX] = 0x1122334455667788
	c64.RIP = 0x401000
	c := (*CPU)(c64)
	buf := make([]byte, 16)
	if n := c.ReadRegister(1, buf); n != 8 || !bytes.Equal(buf[:8], []byte{0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11}) {
		t.Errorf("rbx: %d % x", n, buf)
	}
	if n := c.ReadRegister(16, buf); n != 8 || buf[0] != 0x00 || buf[1] != 0x10 || buf[2] != 0x40 {
		t.Errorf("rip: %d % x", n, buf)
	}
	if n := c.ReadRegister(AMD64XMM0, buf[:8]); n != 0 {
		t.Errorf("xmm0 into 8 bytes: %d", n)
	}
	for _, gap := range []int{66, 71, 74, 153, AMD64NumRegs} {
		if n := c.ReadRegister(gap, buf); n != 0 {
			t.Errorf("reg %d: %d", gap, n)
		}
	}
	c32 := (*CPU)(x86.New(32, mem.New(1<<32)))
	c32.R[x86.RBX] = 0xffffffff12345678
	if n := c32.ReadRegister(3, buf); n != 4 || !bytes.Equal(buf[:4], []byte{0x78, 0x56, 0x34, 0x12}) {
		t.Errorf("ebx: %d % x", n, buf)
	}
	if c32.Reg(x86.RBX) != 0x12345678 || c32.Arch() != "i386" || c.Arch() != "x86_64" {
		t.Errorf("Reg %#x, arch %s %s", c32.Reg(x86.RBX), c32.Arch(), c.Arch())
	}
}

// Benchmarks: the engine runs a tight loop (dec ecx; jnz) with every
// instruction instrumented; ns/op is per guest instruction, which is also
// per hook call where every instruction is hooked.

const benchLoop = 1 << 24

// Guest counts the loop's guest instructions: mov, syscall and two per
// iteration.
func guestInsns(n int) int { return 2 + 2*n }

func benchRun(b *testing.B, instr engine.Instrumenter) {
	n := b.N/2 + 1
	c := newGuest(b, 64, loopCode(64, uint32(n)))
	b.ResetTimer()
	run(b, c, instr)
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(guestInsns(n)), "ns/insn")
}

// nilInstr places no hook anywhere.
type nilInstr struct{}

func (nilInstr) InsnHook(*x86.CPU, uint64) engine.Hook  { return nil }
func (nilInstr) BlockHook(*x86.CPU, uint64) engine.Hook { return nil }
func (nilInstr) MemHook(*x86.CPU, uint64) mem.Tracer    { return nil }

func BenchmarkNoPlugin(b *testing.B)        { benchRun(b, nil) }
func BenchmarkNilInstrumenter(b *testing.B) { benchRun(b, nilInstr{}) }

var benchCount uint64

func init() {
	count := func(*CPU, uint64) { benchCount++ }
	Register("test-count", func(string, *Host) (*Hooks, error) {
		return &Hooks{Insn: func(*CPU, uint64) ExecFunc { return count }}, nil
	})
}

// BenchmarkGoInsnHook measures a trivial Go hook on every instruction;
// subtract BenchmarkNoPlugin's ns/insn for the cost of one call.
func BenchmarkGoInsnHook(b *testing.B) {
	m, err := Load([]Spec{{Name: "test-count"}}, &bytes.Buffer{}, "x86_64")
	if err != nil {
		b.Fatal(err)
	}
	benchCount = 0
	benchRun(b, m.Instrumenter())
	if want := uint64(guestInsns(b.N/2 + 1)); benchCount != want {
		b.Fatalf("%d calls, want %d", benchCount, want)
	}
}

// BenchmarkGoHookCall calls the hook the manager gives the engine for a
// trivial Go plugin directly, without the engine around it: the cost of
// the call path itself.
func BenchmarkGoHookCall(b *testing.B) {
	m, err := Load([]Spec{{Name: "test-count"}}, &bytes.Buffer{}, "x86_64")
	if err != nil {
		b.Fatal(err)
	}
	c := x86.New(64, mem.New(1<<47))
	h := m.InsnHook(c, 0x1000)
	benchCount = 0
	for i := 0; i < b.N; i++ {
		h(c, 0x1000)
	}
	if benchCount != uint64(b.N) {
		b.Fatalf("%d calls, want %d", benchCount, b.N)
	}
}

func TestDetachCPUKeepsCount(t *testing.T) {
	m := New()
	h := &Host{mgr: m}
	a, b := new(x86.CPU), new(x86.CPU)
	a.Icount, b.Icount = 5, 7
	m.AttachCPU(a)
	m.AttachCPU(b)
	b.Icount = 10
	m.DetachCPU(b) // its thread ended: counted, then forgotten
	a.Icount = 6
	if got := h.InsnCount(); got != 16 {
		t.Fatalf("InsnCount after detaching one vCPU = %d, want 16", got)
	}
	if len(m.cpus) != 1 || m.cpus[0] != a {
		t.Fatalf("attached vCPUs after detach: %v", m.cpus)
	}
	m.DetachCPU(b) // unknown: nothing changes
	if got := h.InsnCount(); got != 16 {
		t.Fatalf("second detach changed the count to %d", got)
	}
}

// TestDetachCPUCallsVCPUExit: every plugin that set VCPUExit hears of a
// vCPU whose thread ended, in command-line order, with that vCPU.
func TestDetachCPUCallsVCPUExit(t *testing.T) {
	m := New()
	var got []string
	for _, name := range []string{"first", "second"} {
		m.add(name, &Hooks{VCPUExit: func(c *CPU) { got = append(got, fmt.Sprintf("%s:%d", name, c.Icount)) }})
	}
	m.add("none", &Hooks{})
	c := new(x86.CPU)
	c.Icount = 42
	m.AttachCPU(c)
	m.DetachCPU(c)
	if want := "first:42 second:42"; strings.Join(got, " ") != want {
		t.Fatalf("VCPUExit calls: %q, want %q", strings.Join(got, " "), want)
	}
}
