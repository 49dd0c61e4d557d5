package builtin

import (
	"bytes"
	"strings"
	"testing"

	"gemu/internal/engine"
	"gemu/internal/x86"
	"gemu/plugin"
	"gemu/plugin/internal/guesttest"
)

func arch(mode int) string {
	if mode == 64 {
		return "x86_64"
	}
	return "i386"
}

// trace runs code under the given built-in tracers and returns the log.
func trace(t *testing.T, mode int, code []byte, setup func(c *x86.CPU), ret int64, specs ...plugin.Spec) string {
	t.Helper()
	var log bytes.Buffer
	m, err := plugin.Load(specs, &log, arch(mode))
	if err != nil {
		t.Fatal(err)
	}
	c := guesttest.New(t, mode, code)
	c.Sys = &guesttest.Sys{Obs: m, Ret: ret}
	if setup != nil {
		setup(c)
	}
	m.AttachCPU(c)
	guesttest.RunOpts(t, c, m.Instrumenter(), engine.Options{CountInsns: m.CountInsns()})
	m.Exit()
	return log.String()
}

func TestInsn(t *testing.T) {
	for _, mode := range []int{32, 64} {
		got := trace(t, mode, guesttest.Loop(mode, 5), nil, 0, plugin.Spec{Name: "insn"})
		if got != "insns: 12\n" {
			t.Errorf("mode %d: %q", mode, got)
		}
	}
}

func TestExeclog(t *testing.T) {
	got := trace(t, 64, guesttest.Loop(64, 2), nil, 0, plugin.Spec{Name: "execlog"}, plugin.Spec{Name: "insn"})
	want := `0000000000001000: b9 02 00 00 00           mov $0x2,%ecx
0000000000001005: ff c9                    dec %ecx
0000000000001007: 75 fc                    jne 0x1005
0000000000001005: ff c9                    dec %ecx
0000000000001007: 75 fc                    jne 0x1005
0000000000001009: 0f 05                    syscall
insns: 6
`
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	got = trace(t, 32, guesttest.Loop(32, 1), nil, 0, plugin.Spec{Name: "execlog"})
	want = `00001000: b9 01 00 00 00           mov $0x1,%ecx
00001005: ff c9                    dec %ecx
00001007: 75 fc                    jne 0x1005
00001009: cd 80                    int $0x80
`
	if got != want {
		t.Errorf("i386 got:\n%s\nwant:\n%s", got, want)
	}
}

func TestHotblocks(t *testing.T) {
	got := trace(t, 64, guesttest.Loop(64, 5), nil, 0, plugin.Spec{Name: "hotblocks"})
	want := `hotblocks: 3 blocks executed 6 times; top 20:
0000000000001005 4
0000000000001000 1
0000000000001009 1
`
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	got = trace(t, 32, guesttest.Loop(32, 5), nil, 0, plugin.Spec{Name: "hotblocks", Args: "top=1"})
	want = "hotblocks: 3 blocks executed 6 times; top 1:\n00001005 4\n"
	if got != want {
		t.Errorf("top=1 got:\n%s\nwant:\n%s", got, want)
	}
}

// memCode stores, adds to memory, loads and pushes:
//
//	0x1000 mov dword [rdi], 0x11223344
//	0x1006 add [rdi], eax
//	0x1008 mov ebx, [rdi]
//	0x100a push rdi / push edi
//	0x100b syscall / int $0x80
func memCode(mode int) []byte {
	return append([]byte{0xc7, 0x07, 0x44, 0x33, 0x22, 0x11, 0x01, 0x07, 0x8b, 0x1f, 0x57}, guesttest.Gate(mode)...)
}

func memSetup(c *x86.CPU) {
	c.R[x86.RDI] = guesttest.Data + 0x10
	c.R[x86.RAX] = 1
}

func TestMemtrace(t *testing.T) {
	got := trace(t, 64, memCode(64), memSetup, 0, plugin.Spec{Name: "memtrace"})
	want := `0000000000001000: store  4 @ 0000000000008010 = 11223344
0000000000001006: load   4 @ 0000000000008010 = 11223344
0000000000001006: store  4 @ 0000000000008010 = 11223345
0000000000001008: load   4 @ 0000000000008010 = 11223345
000000000000100a: store  8 @ 00000000000087f8 = 0000000000008010
`
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	got = trace(t, 32, memCode(32), memSetup, 0, plugin.Spec{Name: "memtrace", Args: "loads"})
	want = `00001006: load   4 @ 00008010 = 11223344
00001008: load   4 @ 00008010 = 11223345
`
	if got != want {
		t.Errorf("loads got:\n%s\nwant:\n%s", got, want)
	}
}

func TestSyscalls(t *testing.T) {
	setup64 := func(c *x86.CPU) {
		c.R[x86.RAX] = 1 // write
		c.R[x86.RDI], c.R[x86.RSI], c.R[x86.RDX] = 1, 0x8000, 13
	}
	got := trace(t, 64, guesttest.Gate(64), setup64, 13, plugin.Spec{Name: "syscalls"})
	if want := "write(0x1, 0x8000, 0xd, 0x0, 0x0, 0x0) = 13\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	setup32 := func(c *x86.CPU) {
		c.R[x86.RAX] = 5 // open
		c.R[x86.RBX], c.R[x86.RCX] = 0xffffffff00008000, 0
	}
	got = trace(t, 32, guesttest.Gate(32), setup32, -2, plugin.Spec{Name: "syscalls"})
	if want := "open(0x8000, 0x0, 0x0, 0x0, 0x0, 0x0) = -1 errno=2 (No such file or directory)\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	setup32 = func(c *x86.CPU) { c.R[x86.RAX] = 192 } // mmap2
	got = trace(t, 32, guesttest.Gate(32), setup32, 0xf7ff0000, plugin.Spec{Name: "syscalls"})
	if want := "mmap2(0x0, 0x0, 0x0, 0x0, 0x0, 0x0) = 0xf7ff0000\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}

	// A call that never returns is printed at exit.
	var log bytes.Buffer
	m, err := plugin.Load([]plugin.Spec{{Name: "syscalls"}}, &log, "x86_64")
	if err != nil {
		t.Fatal(err)
	}
	c := guesttest.New(t, 64, nil)
	m.SyscallEntry(c, 9999, [6]uint64{7})
	m.SyscallEntry(c, 231, [6]uint64{3})
	m.Exit()
	if want := "exit_group(0x3, 0x0, 0x0, 0x0, 0x0, 0x0) = ?\n"; log.String() != want {
		t.Errorf("exit: %q, want %q", log.String(), want)
	}
}

func TestBadArgs(t *testing.T) {
	for _, s := range []plugin.Spec{
		{Name: "insn", Args: "x"},
		{Name: "execlog", Args: "x"},
		{Name: "syscalls", Args: "x"},
		{Name: "hotblocks", Args: "top=0"},
		{Name: "hotblocks", Args: "x"},
		{Name: "memtrace", Args: "both"},
	} {
		_, err := plugin.Load([]plugin.Spec{s}, &bytes.Buffer{}, "x86_64")
		if err == nil || !strings.HasPrefix(err.Error(), "plugin "+s.Name+": ") {
			t.Errorf("%+v: %v", s, err)
		}
	}
	want := []string{"execlog", "hotblocks", "insn", "memtrace", "syscalls"}
	names := strings.Join(plugin.Names(), " ")
	for _, n := range want {
		if !strings.Contains(names, n) {
			t.Errorf("%s not registered: %s", n, names)
		}
	}
}

func TestAppendHex(t *testing.T) {
	tests := []struct {
		v      uint64
		digits int
		want   string
	}{{0, 0, "0"}, {0, 4, "0000"}, {0xabc, 2, "abc"}, {^uint64(0), 16, "ffffffffffffffff"}, {0x1f, 8, "0000001f"}}
	for _, tt := range tests {
		if got := string(appendHex([]byte("x"), tt.v, tt.digits)); got != "x"+tt.want {
			t.Errorf("appendHex(%#x, %d) = %q", tt.v, tt.digits, got)
		}
	}
}

// BenchmarkInsnTracer is the insn tracer on a tight loop: ns/op is per
// guest instruction.
func BenchmarkInsnTracer(b *testing.B) {
	var log bytes.Buffer
	m, err := plugin.Load([]plugin.Spec{{Name: "insn"}}, &log, "x86_64")
	if err != nil {
		b.Fatal(err)
	}
	n := b.N/2 + 1
	c := guesttest.New(b, 64, guesttest.Loop(64, uint32(n)))
	b.ResetTimer()
	guesttest.Run(b, c, m.Instrumenter())
	b.StopTimer()
	m.Exit()
}

func TestGoCountMatchesInsn(t *testing.T) {
	for _, mode := range []int{32, 64} {
		got := trace(t, mode, guesttest.Loop(mode, 5), nil, 0, plugin.Spec{Name: "gocount"}, plugin.Spec{Name: "insn"})
		if got != "gocount: 12\ninsns: 12\n" {
			t.Errorf("mode %d: %q", mode, got)
		}
	}
}

// TestPerCPUDrop: a dropped vCPU is no longer held, its value still counts.
func TestPerCPUDrop(t *testing.T) {
	p := &perCPU[int]{}
	a, b := new(plugin.CPU), new(plugin.CPU)
	*p.get(a), *p.get(b) = 1, 2
	p.drop(a)
	if _, held := p.m[a]; held || len(p.m) != 1 {
		t.Fatalf("after drop the map holds %d vCPUs (a held: %v)", len(p.m), held)
	}
	sum := 0
	p.each(func(v *int) { sum += *v })
	if sum != 3 {
		t.Fatalf("each after drop sums %d, want 3", sum)
	}
	if *p.get(a) != 0 {
		t.Fatal("a vCPU seen again after drop must get a fresh value")
	}
}
