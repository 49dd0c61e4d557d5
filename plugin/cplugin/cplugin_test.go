package cplugin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gemu/internal/engine"
	"gemu/internal/logbuf"
	"gemu/internal/x86"
	"gemu/plugin"
	"gemu/plugin/internal/guesttest"
)

// repoRoot is the module root, two levels up from this package.
var repoRoot, _ = filepath.Abs("../..")

// buildPlugin compiles src (a path) into a shared object the way plugin
// authors do, with nothing but include/, and returns its path.
func buildPlugin(t testing.TB, src string, extra ...string) string {
	t.Helper()
	if _, err := exec.LookPath("cc"); err != nil {
		t.Skip("no C compiler")
	}
	out := filepath.Join(t.TempDir(), "lib"+strings.TrimSuffix(filepath.Base(src), ".c")+".so")
	args := append([]string{"-shared", "-fPIC", "-O2", "-I" + filepath.Join(repoRoot, "include")}, extra...)
	args = append(args, src, "-o", out)
	if msg, err := exec.Command("cc", args...).CombinedOutput(); err != nil {
		t.Fatalf("cc %s: %v\n%s", src, err, msg)
	}
	return out
}

func testPlugin(t testing.TB, name string) string {
	return buildPlugin(t, filepath.Join("testdata", name+".c"), "-Wall", "-Wextra", "-Werror")
}

var newGuest = guesttest.New

// testLog is a log as gemu makes it (internal/logbuf over a file), which
// C plugins need: qemulib_log appends to its buffer from C.
type testLog struct {
	*logbuf.Writer
	path string
}

func newLog(t testing.TB) *testLog {
	path := filepath.Join(t.TempDir(), "log")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return &testLog{logbuf.New(f, 64<<10), path}
}

// String flushes the log and returns everything written to it.
func (l *testLog) String() string {
	l.Flush()
	b, _ := os.ReadFile(l.path)
	return string(b)
}

// run loads specs for c's architecture, runs c until its first system
// call and the plugins' exit hooks, and returns the log.
func run(t testing.TB, c *x86.CPU, ret int64, specs ...plugin.Spec) string {
	t.Helper()
	log := newLog(t)
	arch := map[int]string{32: "i386", 64: "x86_64"}[c.Mode]
	m, err := plugin.Load(specs, log, arch)
	if err != nil {
		t.Fatal(err)
	}
	c.Sys = &guesttest.Sys{Obs: m, Ret: ret}
	guesttest.Run(t, c, m.Instrumenter())
	m.Exit()
	return log.String()
}

var gate = guesttest.Gate

// eventCode is
//
//	0x1000 mov ecx, 2
//	0x1005 dec ecx
//	0x1007 jnz 0x1005
//	0x1009 push rcx / push ecx
//	0x100a syscall / int $0x80
func eventCode(mode int) []byte {
	return append([]byte{0xb9, 2, 0, 0, 0, 0xff, 0xc9, 0x75, 0xfc, 0x51}, gate(mode)...)
}

func TestEvents(t *testing.T) {
	lib := testPlugin(t, "events")
	for _, mode := range []int{32, 64} {
		c := newGuest(t, mode, eventCode(mode))
		var want string
		if mode == 64 {
			c.R[x86.RAX] = 39
			c.R[x86.RDI], c.R[x86.RSI], c.R[x86.RDX] = 0x1111, 0x2222, 0x3333
			c.R[x86.R10], c.R[x86.R8], c.R[x86.R9] = 0x4444, 0x5555, 0x6666
			want = `init [a,b] x86_64
tb 1000 ip=1000
insn 1000 ip=1000 cx=0
insn 1007 ip=1007 cx=1
tb 1005 ip=1005
insn 1007 ip=1007 cx=0
insn 1009 ip=1009 cx=0
mem 1009 87f8 8 1 0
insn 100a ip=100a cx=0
syscall 39 1111 2222 3333 4444 5555 6666 ax=27
ret 39 -14
exit
`
		} else {
			c.R[x86.RAX] = 20
			c.R[x86.RBX], c.R[x86.RDX] = 0xdead000000001111, 0x3333
			c.R[x86.RSI], c.R[x86.RDI], c.R[x86.RBP] = 0x4444, 0x5555, 0x6666
			want = `init [a,b] i386
tb 1000 ip=1000
insn 1000 ip=1000 cx=0
insn 1007 ip=1007 cx=1
tb 1005 ip=1005
insn 1007 ip=1007 cx=0
insn 1009 ip=1009 cx=0
mem 1009 87fc 4 1 0
insn 100a ip=100a cx=0
syscall 20 1111 0 3333 4444 5555 6666 ax=14
ret 20 -14
exit
`
		}
		if got := run(t, c, -14, plugin.Spec{Path: lib, Args: "a,b"}); got != want {
			t.Errorf("mode %d log:\n%s\nwant:\n%s", mode, got, want)
		}
	}
}

func TestEdgeCases(t *testing.T) {
	lib := testPlugin(t, "edges")
	for _, mode := range []int{32, 64} {
		got := run(t, newGuest(t, mode, eventCode(mode)), 0, plugin.Spec{Path: lib})
		regs := "reg-xmm 16\nreg-st0 10\n" // xmm0, st0 on x86-64
		if mode == 32 {
			regs = "reg-xmm 4\nreg-st0 4\n" // mxcsr, fctrl on i386
		}
		want := `unmapped err untouched=1
partly-unmapped err untouched=1
huge err untouched=1
negative err untouched=1
zero-len-null ok untouched=1
zero-len-unmapped ok untouched=1
null-buf err untouched=1
null-cpu err untouched=1
bad-cpu err untouched=1
wrap err untouched=1
cross 0 11 22 33 44 ee
reg-unknown 0 0 0 untouched=1
reg-null-buf 0
reg-null-cpu 0
` + regs + "big " + strings.Repeat("x", 2999) + " end\n"
		if got != want {
			t.Errorf("mode %d log:\n%s\nwant:\n%s", mode, got, want)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(text, []byte(strings.Repeat("this is not a shared object\n", 10)), 0o644); err != nil {
		t.Fatal(err)
	}
	events := testPlugin(t, "events")
	tests := []struct {
		path, args string
		want       string // regexp
	}{
		{filepath.Join(dir, "libmissing.so"), "", `^plugin \S+/libmissing.so: cannot load: no such file or directory$`},
		{text, "", `^plugin \S+/notes.txt: cannot load: invalid ELF header$`},
		{dir, "", `^plugin \S+: cannot load: not a regular file$`},
		{testPlugin(t, "empty"), "", `^plugin \S+/libempty.so: not a gemu plugin: it defines none of the plugin functions \(plugin_init, `},
		{testPlugin(t, "undef"), "", `^plugin \S+/libundef.so: cannot load: .*undefined symbol: qemulib_no_such_function`},
		{events, "fail", `^plugin \S+/libevents.so: plugin_init returned false$`},
	}
	for _, tt := range tests {
		_, err := plugin.Load([]plugin.Spec{{Path: tt.path, Args: tt.args}}, newLog(t), "x86_64")
		if err == nil || !regexp.MustCompile(tt.want).MatchString(err.Error()) {
			t.Errorf("%s: error %v, want %s", tt.path, err, tt.want)
		}
	}
}

func TestRelativePath(t *testing.T) {
	lib := testPlugin(t, "counter")
	wd, _ := os.Getwd()
	defer os.Chdir(wd)
	if err := os.Chdir(filepath.Dir(lib)); err != nil {
		t.Fatal(err)
	}
	// A bare file name is a file in the current directory, not a library
	// to search for.
	got := run(t, newGuest(t, 64, eventCode(64)), 0, plugin.Spec{Path: filepath.Base(lib), Args: "7"})
	if got != "instance 7: 3 blocks\n" {
		t.Errorf("log %q", got)
	}
}

func TestTwoInstances(t *testing.T) {
	lib := testPlugin(t, "counter")
	got := run(t, newGuest(t, 64, eventCode(64)), 0,
		plugin.Spec{Path: lib, Args: "1"}, plugin.Spec{Path: lib, Args: "2"})
	if want := "instance 1: 3 blocks\ninstance 2: 3 blocks\n"; got != want {
		t.Errorf("log %q, want %q", got, want)
	}
}

func TestCallbackWithoutNeeds(t *testing.T) {
	lib := testPlugin(t, "onlycb")
	got := run(t, newGuest(t, 64, eventCode(64)), 0, plugin.Spec{Path: lib})
	want := fmt.Sprintf("gemu: plugin %s: defines plugin_before_insn but not plugin_needs_before_insn: it will never be called\n", lib)
	if got != want {
		t.Errorf("log %q, want %q", got, want)
	}
}

// seedExamples returns the seed document's example plugins: from the
// shared seed folder (next to the repository, or the workplace's) when it
// exists, else the copies in examples/.
func seedExamples(t *testing.T) []string {
	dir := filepath.Join(repoRoot, "examples")
	for _, d := range []string{filepath.Join(repoRoot, "..", "shared", "seed", "examples"), "/work/shared/seed/examples"} {
		if _, err := os.Stat(filepath.Join(d, "insn_log.c")); err == nil {
			dir = d
			break
		}
	}
	t.Logf("seed examples from %s", dir)
	return []string{filepath.Join(dir, "insn_log.c"), filepath.Join(dir, "syscall_log.c")}
}

func TestSeedExamples(t *testing.T) {
	srcs := seedExamples(t)
	insnLog := buildPlugin(t, srcs[0])
	syscallLog := buildPlugin(t, srcs[1])

	// insn_log: one line per executed instruction, in order.
	got := run(t, newGuest(t, 64, eventCode(64)), 0, plugin.Spec{Path: insnLog})
	want := ""
	for _, pc := range []int{0x1000, 0x1005, 0x1007, 0x1005, 0x1007, 0x1009, 0x100a} {
		want += fmt.Sprintf("executing instruction at %x\n", pc)
	}
	if got != want {
		t.Errorf("insn_log:\n%s\nwant:\n%s", got, want)
	}

	// syscall_log: finds sysenter by its bytes and logs eax.
	//	0x1000 mov eax, 0x14
	//	0x1005 sysenter
	c := newGuest(t, 32, []byte{0xb8, 0x14, 0, 0, 0, 0x0f, 0x34})
	if got := run(t, c, 0, plugin.Spec{Path: syscallLog}); got != "sysenter 14\n" {
		t.Errorf("syscall_log: %q", got)
	}
}

// TestExamples builds every example plugin warning-free and runs them all
// at once.
func TestExamples(t *testing.T) {
	srcs, _ := filepath.Glob(filepath.Join(repoRoot, "examples", "*.c"))
	if len(srcs) < 5 {
		t.Fatalf("examples: %q", srcs)
	}
	var specs []plugin.Spec
	for _, src := range srcs {
		flags := []string{"-Wall", "-Wextra", "-Werror"}
		if b := filepath.Base(src); b == "insn_log.c" || b == "syscall_log.c" {
			flags = append(flags, "-Wno-unused-parameter")
		}
		specs = append(specs, plugin.Spec{Path: buildPlugin(t, src, flags...)})
	}
	c := newGuest(t, 32, eventCode(32))
	c.R[x86.RAX] = 4
	got := run(t, c, 3, specs...)
	for _, frag := range []string{
		"executing instruction at 100a\n",
		"store  4 @ 000087fc = 00000000\n",
		"mem_trace: 0 loads (0 bytes), 1 stores (4 bytes)\n",
		"tb 1000: ip=00001000 sp=00008800",
		"regdump: 3 blocks executed\n",
		"syscall write(0, 0, 0, 0, 0, 0)\n",
		"syscall write = 3 (0x3)\n",
	} {
		if !strings.Contains(got, frag) {
			t.Errorf("log lacks %q:\n%s", frag, got)
		}
	}
	if strings.Contains(got, "<--") {
		t.Errorf("regdump saw ip != pc:\n%s", got)
	}
}

// BenchmarkCInsnHook measures a no-op C plugin_before_insn on every
// instruction of a tight loop (ns/op is per guest instruction, so per
// call); subtract BenchmarkNoPluginLoop for the cost of the call.
func BenchmarkCInsnHook(b *testing.B) {
	lib := testPlugin(b, "nop")
	benchLoop(b, plugin.Spec{Path: lib})
}

// BenchmarkNoPluginLoop is the same loop without instrumentation.
func BenchmarkNoPluginLoop(b *testing.B) { benchLoop(b) }

func benchLoop(b *testing.B, specs ...plugin.Spec) {
	n := b.N/2 + 1
	code := append([]byte{0xb9, byte(n), byte(n >> 8), byte(n >> 16), byte(n >> 24), 0xff, 0xc9, 0x75, 0xfc}, gate(64)...)
	c := newGuest(b, 64, code)
	log := newLog(b)
	m, err := plugin.Load(specs, log, "x86_64")
	if err != nil {
		b.Fatal(err)
	}
	e := engine.New(c, engine.Options{}, m.Instrumenter(), func(c *x86.CPU, trap *x86.Trap) {
		c.Exited = true
		b.Errorf("guest fault %+v", trap)
	})
	b.ResetTimer()
	e.Run()
	b.StopTimer()
	m.Exit()
	if len(specs) > 0 {
		if want := fmt.Sprintf("nop: %d calls\n", 2*n+2); log.String() != want {
			b.Fatalf("log %q, want %q", log.String(), want)
		}
	}
}

// BenchmarkCHookCall calls the hook the manager gives the engine for the
// no-op C plugin directly, without the engine around it: the cost of the
// call path (a switch to the vCPU's C stack and a C call) itself.
func BenchmarkCHookCall(b *testing.B) {
	lib := testPlugin(b, "nop")
	log := newLog(b)
	m, err := plugin.Load([]plugin.Spec{{Path: lib}}, log, "x86_64")
	if err != nil {
		b.Fatal(err)
	}
	c := newGuest(b, 64, nil)
	h := m.InsnHook(c, 0x1000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h(c, 0x1000)
	}
	b.StopTimer()
	m.Exit()
	if want := fmt.Sprintf("nop: %d calls\n", b.N); log.String() != want {
		b.Fatalf("log %q, want %q", log.String(), want)
	}
}

// TestReleaseHandle: each vCPU has a record of its own with a handle that
// is never reused, release forgets it, and a released vCPU that reaches a
// plugin again gets a new one.
func TestReleaseHandle(t *testing.T) {
	a, b := new(plugin.CPU), new(plugin.CPU)
	va, vb := vcpuOf(a), vcpuOf(b)
	ha, hb := uintptr(va.r.handle), uintptr(vb.r.handle)
	if vcpuOf(a) != va || ha == hb || ha == 0 || hb == 0 {
		t.Fatalf("handles %d, %d", ha, hb)
	}
	release(a)
	if vcpuOf(b) != vb {
		t.Fatal("releasing a changed b's record")
	}
	if hc := uintptr(vcpuOf(a).r.handle); hc == ha || hc == hb {
		t.Fatalf("a released handle was reused: %d", hc)
	}
	release(a)
	release(a) // twice: nothing happens
	release(b)
}

// TestMayReadRegisters: a plugin that imports qemulib_read_register, or
// could reach it through dlsym, may read registers; one that only counts
// and logs cannot, so its hooks are placed as reading none.
func TestMayReadRegisters(t *testing.T) {
	dir := t.TempDir()
	dl := filepath.Join(dir, "dl.c")
	if err := os.WriteFile(dl, []byte(`#include <dlfcn.h>
#include "plugins.h"
bool plugin_needs_before_insn(uint64_t pc, void *cpu) { (void)pc; (void)cpu; return dlsym(RTLD_DEFAULT, "x") != 0; }
void plugin_before_insn(uint64_t pc, void *cpu) { (void)pc; (void)cpu; }
`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		lib  string
		want bool
	}{
		{testPlugin(t, "nop"), false},
		{testPlugin(t, "counter"), false},
		{testPlugin(t, "events"), true},
		{buildPlugin(t, dl), true},
		{filepath.Join(dir, "missing.so"), true},
	} {
		if got := mayReadRegisters(tc.lib); got != tc.want {
			t.Errorf("%s: may read registers %v, want %v", filepath.Base(tc.lib), got, tc.want)
		}
	}
}

// TestSystemEvents: the system-mode events reach a C plugin's
// plugin_port_io, plugin_mmio, plugin_interrupt and plugin_mode_change
// through the manager's entry points and the direct path (the trampolines
// on the vCPU's C stack), with every value as given (sizes, the write
// bit, a 16-bit port, a 64-bit address and value, the device name, the
// kind and vector, an error code or none) and a cpu handle that works
// during the call (registers and memory read through it).
func TestSystemEvents(t *testing.T) {
	lib := testPlugin(t, "hwevents")
	for _, mode := range []int{32, 64} {
		c := newGuest(t, mode, eventCode(mode))
		log := newLog(t)
		m, err := plugin.Load([]plugin.Spec{{Path: lib}}, log, map[int]string{32: "i386", 64: "x86_64"}[mode])
		if err != nil {
			t.Fatal(err)
		}
		if !m.WantsPortIO() || !m.WantsMMIO() || !m.WantsInterrupts() || !m.WantsModeChanges() {
			t.Fatal("the plugin defines every system-mode event, Wants* say otherwise")
		}
		m.PortIO(c, 0x1000, 0x3f8, 1, true, 0x41)
		m.PortIO(c, 0x1005, 0xfffe, 4, false, 0xfffffffe)
		m.PortIO(c, 0x1007, 0x64, 2, false, 0x1c)
		m.MMIO(c, 0x1009, 0xfec00010, 4, true, 0xdeadbeef, "ioapic")
		m.MMIO(c, 0x1000, 0xfebf1000_0000_0008, 8, false, 0x8877665544332211, "virtio-blk")
		m.MMIO(c, 0x1000, 0xfee000b0, 4, true, 0, "ioapic")
		m.MMIO(c, 0x1000, 0xfed00000, 1, false, 0xff, "")
		c.RIP = 0x1005
		m.Interrupt(c, plugin.IntHardware, 0x20, plugin.NoErrorCode, 0x1000, 0x1005)
		m.Interrupt(c, plugin.IntException, 0xe, 6, 0x1009, 0x1005)
		m.Interrupt(c, plugin.IntSoftware, 0xff, plugin.NoErrorCode, 0x100c, 0x1005)
		m.Interrupt(c, plugin.IntException, 8, 0, 0x1007, 0x1005)
		c.CR3 = 0x2000
		m.ModeChange(c, x86.ChangeCR3, 0x1000, 0x2000)
		m.ModeChange(c, x86.ChangeCR0, 0x11, 0x80000011)
		m.ModeChange(c, x86.ChangeCR4, 0, 0x20)
		m.ModeChange(c, x86.ChangeEFER, 0x100, 0xd01)
		m.Exit()
		want := `io pc=1000 port=3f8 size=1 write=1 value=41 ip=1000 code=b9
io pc=1005 port=fffe size=4 write=0 value=fffffffe ip=1000 code=ff
io pc=1007 port=64 size=2 write=0 value=1c ip=1000 code=75
mmio pc=1009 paddr=fec00010 size=4 write=1 value=deadbeef device=ioapic code=51
mmio pc=1000 paddr=febf100000000008 size=8 write=0 value=8877665544332211 device=virtio-blk code=b9
mmio pc=1000 paddr=fee000b0 size=4 write=1 value=0 device=ioapic code=b9
mmio pc=1000 paddr=fed00000 size=1 write=0 value=ff device= code=b9
int hw vector=20 err=-1(none) from=1000 to=1005 ip=1005
int exc vector=e err=6 from=1009 to=1005 ip=1005
int sw vector=ff err=-1(none) from=100c to=1005 ip=1005
int exc vector=8 err=0 from=1007 to=1005 ip=1005
mode cr3 1000 -> 2000 cr3=2000
mode cr0 11 -> 80000011 cr3=2000
mode cr4 0 -> 20 cr3=2000
mode efer 100 -> d01 cr3=2000
`
		if got := log.String(); got != want {
			t.Errorf("mode %d log:\n%s\nwant:\n%s", mode, got, want)
		}
	}
}

// TestSystemEventsOnly: a plugin that defines only system-mode events is
// a plugin (not refused as defining none of the functions) and places no
// instrumentation: user mode runs it at full speed, never calling it.
func TestSystemEventsOnly(t *testing.T) {
	src := filepath.Join(t.TempDir(), "ioonly.c")
	code := "#include \"plugins.h\"\nvoid plugin_port_io(uint64_t pc, void *cpu, uint16_t port, int size, int w, uint32_t v)\n" +
		"{ (void)pc; (void)cpu; (void)size; (void)w; qemulib_log(\"port %x %x\\n\", port, v); }\n"
	if err := os.WriteFile(src, []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	lib := buildPlugin(t, src)
	log := newLog(t)
	m, err := plugin.Load([]plugin.Spec{{Path: lib}}, log, "x86_64")
	if err != nil {
		t.Fatal(err)
	}
	if m.Instrumenter() != nil || m.WantsSyscalls() || !m.WantsPortIO() || m.WantsMMIO() || m.WantsInterrupts() || m.WantsModeChanges() {
		t.Errorf("instrumenter %v, syscalls %v, port I/O %v, MMIO %v, interrupts %v, mode %v: want only port I/O",
			m.Instrumenter(), m.WantsSyscalls(), m.WantsPortIO(), m.WantsMMIO(), m.WantsInterrupts(), m.WantsModeChanges())
	}
	c := newGuest(t, 64, eventCode(64))
	m.PortIO(c, 0x1000, 0x80, 1, true, 0x99)
	m.Exit()
	if got := log.String(); got != "port 80 99\n" {
		t.Errorf("log %q", got)
	}
}

// TestSystemEventsNoAlloc: once a device's name is known, the events of
// system mode reach a C plugin without allocating.
func TestSystemEventsNoAlloc(t *testing.T) {
	m, c := loadNop(t)
	m.MMIO(c, 0x1000, 0xfec00000, 4, true, 1, "ioapic") // the name's C string
	allocs := testing.AllocsPerRun(100, func() {
		m.PortIO(c, 0x1000, 0x3f8, 1, true, 0x41)
		m.MMIO(c, 0x1000, 0xfec00000, 4, true, 1, "ioapic")
		m.Interrupt(c, plugin.IntHardware, 0x20, plugin.NoErrorCode, 0x1000, 0x1005)
		m.ModeChange(c, x86.ChangeCR3, 0x1000, 0x2000)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per four events", allocs)
	}
}

// loadNop loads sysnop.c, which defines the four system-mode callbacks
// with empty bodies, on a 64-bit guest CPU.
func loadNop(t testing.TB) (*plugin.Manager, *x86.CPU) {
	src := filepath.Join(t.TempDir(), "sysnop.c")
	code := `#include "plugins.h"
void plugin_port_io(uint64_t pc, void *cpu, uint16_t port, int size, int w, uint32_t v) {}
void plugin_mmio(uint64_t pc, void *cpu, uint64_t a, int size, int w, uint64_t v, const char *d) {}
void plugin_interrupt(void *cpu, int kind, int vector, int64_t err, uint64_t from, uint64_t to) {}
void plugin_mode_change(void *cpu, int reg, uint64_t old, uint64_t new) {}
`
	if err := os.WriteFile(src, []byte(code), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := plugin.Load([]plugin.Spec{{Path: buildPlugin(t, src)}}, newLog(t), "x86_64")
	if err != nil {
		t.Fatal(err)
	}
	return m, newGuest(t, 64, eventCode(64))
}

func BenchmarkPortIOC(b *testing.B) {
	m, c := loadNop(b)
	for b.Loop() {
		m.PortIO(c, 0x1000, 0x3f8, 1, true, 0x41)
	}
}

func BenchmarkMMIOC(b *testing.B) {
	m, c := loadNop(b)
	for b.Loop() {
		m.MMIO(c, 0x1000, 0xfec00000, 4, true, 1, "ioapic")
	}
}

func BenchmarkInterruptC(b *testing.B) {
	m, c := loadNop(b)
	for b.Loop() {
		m.Interrupt(c, plugin.IntHardware, 0x20, plugin.NoErrorCode, 0x1000, 0x1005)
	}
}
