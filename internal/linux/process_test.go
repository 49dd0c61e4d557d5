package linux

import (
	"bytes"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"os"
	"strings"
	"testing"

	"gemu/internal/linux/abi"
	"gemu/internal/x86"
)

// newTestProcess loads simpleELF for bits with fixed random bytes and
// returns the process's first thread (the tests call it p: it embeds the
// process).
func newTestProcess(t *testing.T, bits int, args, env []string, opts Options) *Thread {
	t.Helper()
	opts.Env = env
	opts.Random = bytes.NewReader(bytes.Repeat([]byte{0x5a}, 16))
	p, err := NewFromImage("/bin/prog", simpleELF(t, bits, elf.ET_EXEC), args, opts)
	if err != nil {
		t.Fatal(err)
	}
	return p.main
}

// word reads a guest long.
func word(t *testing.T, p *Thread, addr uint64) uint64 {
	t.Helper()
	b := make([]byte, p.w)
	if !p.Mem.Peek(addr, b) {
		t.Fatalf("unmapped %#x", addr)
	}
	return p.w.Get(b, 0)
}

func cstring(t *testing.T, p *Thread, addr uint64) string {
	t.Helper()
	s, err := p.Mem.ReadString(addr, 4096)
	if err != nil {
		t.Fatalf("string at %#x: %v", addr, err)
	}
	return s
}

func TestInitialStack(t *testing.T) {
	for _, bits := range []int{32, 64} {
		args := []string{"prog", "one", "two words"}
		env := []string{"A=1", "PATH=/bin"}
		p := newTestProcess(t, bits, args, env, Options{Argv0: "argv-zero"})
		ws := uint64(bits / 8)
		sp := p.CPU.R[x86.RSP]
		if sp%16 != 0 || sp != p.Stack.SP {
			t.Fatalf("%d: sp %#x not 16-aligned", bits, sp)
		}
		if p.CPU.RIP != p.Image.Entry {
			t.Errorf("%d: rip %#x", bits, p.CPU.RIP)
		}
		if argc := word(t, p, sp); argc != 3 {
			t.Fatalf("%d: argc %d", bits, argc)
		}
		wantArgs := []string{"argv-zero", "one", "two words"}
		for i, want := range wantArgs {
			if got := cstring(t, p, word(t, p, sp+ws*uint64(1+i))); got != want {
				t.Errorf("%d: argv[%d] = %q", bits, i, got)
			}
		}
		if word(t, p, sp+4*ws) != 0 {
			t.Errorf("%d: argv not NULL-terminated", bits)
		}
		envp := sp + 5*ws
		for i, want := range env {
			if got := cstring(t, p, word(t, p, envp+ws*uint64(i))); got != want {
				t.Errorf("%d: envp[%d] = %q", bits, i, got)
			}
		}
		auxp := envp + 3*ws
		if auxp != p.Stack.Auxv || word(t, p, envp+2*ws) != 0 {
			t.Fatalf("%d: auxv at %#x, recorded %#x", bits, auxp, p.Stack.Auxv)
		}
		aux := map[uint64]uint64{}
		var order []uint64
		for a := auxp; ; a += 2 * ws {
			typ, val := word(t, p, a), word(t, p, a+ws)
			if typ == abi.AT_NULL {
				break
			}
			aux[typ] = val
			order = append(order, typ)
		}
		want := map[uint64]uint64{
			abi.AT_SYSINFO_EHDR: p.Layout.VDSO, abi.AT_MINSIGSTKSZ: minSigStackSize,
			abi.AT_HWCAP: uint64(x86.CPUIDHWCap()), abi.AT_PAGESZ: 4096, abi.AT_CLKTCK: 100,
			abi.AT_PHDR: p.Image.Phdr, abi.AT_PHENT: p.Image.Phent, abi.AT_PHNUM: 2, abi.AT_BASE: 0,
			abi.AT_FLAGS: 0, abi.AT_ENTRY: p.Image.Entry, abi.AT_UID: uint64(os.Getuid()),
			abi.AT_EUID: uint64(os.Geteuid()), abi.AT_GID: uint64(os.Getgid()),
			abi.AT_EGID: uint64(os.Getegid()), abi.AT_SECURE: 0, abi.AT_HWCAP2: 0,
		}
		if bits == 32 {
			want[abi.AT_SYSINFO] = p.Layout.VDSO + vdsoCodeOff
		}
		for k, v := range want {
			if got, ok := aux[k]; !ok || got != v {
				t.Errorf("%d: auxv[%d] = %#x (present %v), want %#x", bits, k, got, ok, v)
			}
		}
		// Linux's order: arch entries first, then HWCAP ... AT_RANDOM,
		// AT_HWCAP2, AT_EXECFN, AT_PLATFORM.
		n := len(order)
		if n < 4 || order[n-4] != abi.AT_RANDOM || order[n-3] != abi.AT_HWCAP2 || order[n-2] != abi.AT_EXECFN || order[n-1] != abi.AT_PLATFORM {
			t.Errorf("%d: auxv order %v", bits, order)
		}
		if bits == 32 && (order[0] != abi.AT_SYSINFO || order[1] != abi.AT_SYSINFO_EHDR) {
			t.Errorf("i386 auxv starts %v", order[:2])
		}
		platform := map[int]string{32: "i686", 64: "x86_64"}[bits]
		if got := cstring(t, p, aux[abi.AT_PLATFORM]); got != platform {
			t.Errorf("%d: platform %q", bits, got)
		}
		if got := cstring(t, p, aux[abi.AT_EXECFN]); got != "/bin/prog" {
			t.Errorf("%d: execfn %q", bits, got)
		}
		rnd := make([]byte, 16)
		p.Mem.Peek(aux[abi.AT_RANDOM], rnd)
		if !bytes.Equal(rnd, bytes.Repeat([]byte{0x5a}, 16)) {
			t.Errorf("%d: random % x", bits, rnd)
		}
		// Layout from the top: a null word, the file name, the environment
		// strings, the argument strings; below them the platform string
		// and the random bytes, all above the pointer arrays.
		top := p.Layout.StackTop
		if word(t, p, top-ws) != 0 || aux[abi.AT_EXECFN] != top-ws-uint64(len("/bin/prog")+1) {
			t.Errorf("%d: execfn at %#x, top %#x", bits, aux[abi.AT_EXECFN], top)
		}
		if e0 := word(t, p, envp); e0 != aux[abi.AT_EXECFN]-uint64(len("A=1\x00PATH=/bin\x00")) {
			t.Errorf("%d: envp[0] at %#x", bits, e0)
		}
		a0 := word(t, p, sp+ws)
		if a0+uint64(len("argv-zero\x00one\x00two words\x00")) != word(t, p, envp) {
			t.Errorf("%d: argument strings not contiguous below the environment", bits)
		}
		if !(aux[abi.AT_RANDOM] < aux[abi.AT_PLATFORM] && aux[abi.AT_PLATFORM] < a0 && aux[abi.AT_RANDOM] > auxp) {
			t.Errorf("%d: random %#x platform %#x strings %#x auxv %#x", bits, aux[abi.AT_RANDOM], aux[abi.AT_PLATFORM], a0, auxp)
		}
		if aux[abi.AT_PLATFORM]+uint64(len(platform)+1) != a0&^15 {
			t.Errorf("%d: platform string not just below the 16-aligned strings", bits)
		}
	}
}

func TestVDSOImage(t *testing.T) {
	for _, bits := range []int{32, 64} {
		img := buildVDSO(bits)
		f, err := elf.NewFile(bytes.NewReader(img))
		if err != nil {
			t.Fatalf("%d: %v", bits, err)
		}
		if f.Type != elf.ET_DYN || len(f.Progs) != 2 || f.Progs[0].Type != elf.PT_LOAD || f.Progs[1].Type != elf.PT_DYNAMIC {
			t.Fatalf("%d: type %v progs %v", bits, f.Type, f.Progs)
		}
		// Walk the dynamic section and the hash table like glibc does.
		dyn := img[f.Progs[1].Off : f.Progs[1].Off+f.Progs[1].Filesz]
		ws := bits / 8
		tags := map[elf.DynTag]uint64{}
		for i := 0; i+2*ws <= len(dyn); i += 2 * ws {
			tag, val := abi.Words(ws).Get(dyn[i:], 0), abi.Words(ws).Get(dyn[i:], 1)
			if tag == 0 {
				break
			}
			tags[elf.DynTag(tag)] = val
		}
		for _, tag := range []elf.DynTag{elf.DT_HASH, elf.DT_STRTAB, elf.DT_SYMTAB, elf.DT_STRSZ, elf.DT_SYMENT, elf.DT_VERSYM, elf.DT_VERDEF, elf.DT_VERDEFNUM} {
			if _, ok := tags[tag]; !ok {
				t.Errorf("%d: no %v", bits, tag)
			}
		}
		le := binary.LittleEndian
		h := tags[elf.DT_HASH]
		nbucket, nchain := le.Uint32(img[h:]), le.Uint32(img[h+4:])
		if nbucket != 1 || nchain < 2 {
			t.Fatalf("%d: hash %d %d", bits, nbucket, nchain)
		}
		str := func(off uint64) string {
			s := img[tags[elf.DT_STRTAB]+off:]
			return string(s[:bytes.IndexByte(s, 0)])
		}
		// The version definitions, walked as the Go runtime and glibc
		// do: index -> name; the base one names the object.
		vers := map[uint16]string{}
		for d, n := tags[elf.DT_VERDEF], 0; ; n++ {
			if le.Uint16(img[d:]) != 1 || le.Uint16(img[d+6:]) != 1 {
				t.Fatalf("%d: verdef at %#x: version %d, count %d", bits, d, le.Uint16(img[d:]), le.Uint16(img[d+6:]))
			}
			name := str(uint64(le.Uint32(img[d+uint64(le.Uint32(img[d+12:])):])))
			if le.Uint32(img[d+8:]) != elfHash(name) {
				t.Errorf("%d: version %s hash %#x", bits, name, le.Uint32(img[d+8:]))
			}
			ndx := le.Uint16(img[d+4:])
			if base := le.Uint16(img[d+2:])&uint16(elf.VER_FLG_BASE) != 0; base != (ndx == 1) {
				t.Errorf("%d: version %s index %d base %v", bits, name, ndx, base)
			}
			vers[ndx] = name
			next := uint64(le.Uint32(img[d+16:]))
			if next == 0 {
				if n+1 != int(tags[elf.DT_VERDEFNUM]) {
					t.Errorf("%d: %d version definitions, DT_VERDEFNUM %d", bits, n+1, tags[elf.DT_VERDEFNUM])
				}
				break
			}
			d += next
		}
		wantVers := map[uint16]string{1: "linux-vdso.so.1", 2: "LINUX_2.6"}
		if bits == 32 {
			wantVers = map[uint16]string{1: "linux-gate.so.1", 2: "LINUX_2.6", 3: "LINUX_2.5"}
		}
		if fmt.Sprint(vers) != fmt.Sprint(wantVers) {
			t.Errorf("%d: versions %v, want %v", bits, vers, wantVers)
		}
		// The Go runtime's hash of the name it looks for.
		if elfHash("LINUX_2.6") != 0x3ae75f6 {
			t.Errorf("elfHash(LINUX_2.6) = %#x", elfHash("LINUX_2.6"))
		}
		// Follow the single bucket's chain collecting names and versions.
		names := map[string]uint64{}
		symVers := map[string]string{}
		for i := le.Uint32(img[h+8:]); i != 0; i = le.Uint32(img[h+12+4*uint64(i):]) {
			sym := tags[elf.DT_SYMTAB] + uint64(i)*tags[elf.DT_SYMENT]
			name := le.Uint32(img[sym:])
			var value uint64
			if bits == 64 {
				value = le.Uint64(img[sym+8:])
			} else {
				value = uint64(le.Uint32(img[sym+4:]))
			}
			names[str(uint64(name))] = value
			symVers[str(uint64(name))] = vers[le.Uint16(img[tags[elf.DT_VERSYM]+2*uint64(i):])]
		}
		wantSyms := map[string]string{"__vdso_rt_sigreturn": "LINUX_2.6", "LINUX_2.6": "LINUX_2.6"}
		if bits == 32 {
			wantSyms = map[string]string{"__kernel_vsyscall": "LINUX_2.5", "__kernel_sigreturn": "LINUX_2.5",
				"__kernel_rt_sigreturn": "LINUX_2.5", "LINUX_2.6": "LINUX_2.6", "LINUX_2.5": "LINUX_2.5"}
		}
		if fmt.Sprint(symVers) != fmt.Sprint(wantSyms) {
			t.Errorf("%d: symbol versions %v, want %v", bits, symVers, wantSyms)
		}
		if bits == 32 {
			off, ok := names["__kernel_vsyscall"]
			if !ok || off != vdsoCodeOff {
				t.Errorf("__kernel_vsyscall at %#x (%v); symbols %v", off, ok, names)
			}
			want := []byte{0x51, 0x52, 0x55, 0x89, 0xe5, 0x0f, 0x34, 0xcd, 0x80, 0x5d, 0x5a, 0x59, 0xc3}
			if !bytes.Equal(img[off:off+13], want) {
				t.Errorf("__kernel_vsyscall code % x", img[off:off+13])
			}
			if img[vdsoSysenterReturn] != 0x5d {
				t.Errorf("sysenter return lands on %#x, not pop %%ebp", img[vdsoSysenterReturn])
			}
		}
	}
}

// call runs system call name with args through the process's ABI.
func call(t *testing.T, p *Thread, gate x86.Gate, name string, args ...uint64) int64 {
	t.Helper()
	nr := -1
	for n, s := range p.sys.names {
		if s == name {
			nr = n
		}
	}
	if nr < 0 {
		t.Fatalf("no system call %s", name)
	}
	c := p.CPU
	c.R[x86.RAX] = uint64(nr)
	regs := []int{x86.RDI, x86.RSI, x86.RDX, x86.R10, x86.R8, x86.R9}
	if p.w == 4 {
		regs = []int{x86.RBX, x86.RCX, x86.RDX, x86.RSI, x86.RDI, x86.RBP}
	}
	for i, v := range args {
		c.R[regs[i]] = v
	}
	p.Syscall(c, gate)
	if p.w == 4 {
		return int64(int32(c.R[x86.RAX]))
	}
	return int64(c.R[x86.RAX])
}

func TestSysenterConvention(t *testing.T) {
	p := newTestProcess(t, 32, nil, nil, Options{})
	c := p.CPU
	// As __kernel_vsyscall leaves it: ebp = esp, pointing at the saved
	// ebp, which is the sixth argument.
	sp := p.Stack.SP - 64
	p.Mem.Poke(sp, []byte{0x78, 0x56, 0x34, 0x12})
	c.R[x86.RSP] = sp
	c.R[x86.RBP] = sp
	c.R[x86.RAX] = 20 // getpid
	c.RIP = p.Layout.VDSO + vdsoCodeOff + 7
	p.Syscall(c, x86.GateSysenter)
	if c.R[x86.RAX] != uint64(os.Getpid()) {
		t.Errorf("eax %d", c.R[x86.RAX])
	}
	if c.R[x86.RSP] != sp || c.R[x86.RBP] != 0x12345678 || c.RIP != p.Layout.VDSO+vdsoSysenterReturn {
		t.Errorf("esp %#x ebp %#x eip %#x", c.R[x86.RSP], c.R[x86.RBP], c.RIP)
	}
}

type recObserver struct{ entries, exits []uint64 }

func (r *recObserver) SyscallEntry(c *x86.CPU, num uint64, args [6]uint64) {
	r.entries = append(r.entries, num, args[0])
}
func (r *recObserver) SyscallExit(c *x86.CPU, num uint64, ret int64) {
	r.exits = append(r.exits, num, uint64(ret))
}

func TestSyscallsBasic(t *testing.T) {
	var log strings.Builder
	obs := &recObserver{}
	p := newTestProcess(t, 32, nil, nil, Options{Log: &log, Strace: true, LogUnimp: true, Observer: obs})
	g := x86.GateInt80
	scratch := p.Stack.SP - 4096

	// uname reports x86_64, as an x86-64 kernel does to i386 programs,
	// and i686 under PER_LINUX32 (setarch linux32).
	for i, c := range []struct {
		persona uint64
		machine string
	}{{0, "x86_64"}, {perLinux32, "i686"}, {0, "x86_64"}} {
		if i > 0 { // the first call is the observer's first below
			call(t, p, g, "personality", c.persona)
		}
		if r := call(t, p, g, "uname", scratch); r != 0 {
			t.Fatalf("uname %d", r)
		}
		if m := cstring(t, p, scratch+4*65); m != c.machine {
			t.Errorf("personality %#x: machine %q, want %q", c.persona, m, c.machine)
		}
	}
	// brk grows from the end of the image and refuses to shrink below it.
	start := p.Image.BrkStart
	if r := call(t, p, g, "brk", 0); uint64(r) != start {
		t.Errorf("brk(0) = %#x want %#x", r, start)
	}
	if r := call(t, p, g, "brk", start+0x1800); uint64(r) != start+0x1800 {
		t.Errorf("brk grow = %#x", r)
	}
	if _, ok := p.Mem.PermAt(start + 0x1000); !ok {
		t.Error("brk pages not mapped")
	}
	if r := call(t, p, g, "brk", start-0x1000); uint64(r) != start+0x1800 {
		t.Errorf("brk below start = %#x", r)
	}
	// mmap2 anonymous picks addresses top-down below the vDSO.
	r := call(t, p, g, "mmap2", 0, 0x3000, abi.PROT_READ|abi.PROT_WRITE, abi.MAP_PRIVATE|abi.MAP_ANONYMOUS, 0xffffffff, 0)
	if uint64(uint32(r)) != p.Layout.MmapTop-0x3000 {
		t.Errorf("mmap2 = %#x, want %#x", r, p.Layout.MmapTop-0x3000)
	}
	if e := call(t, p, g, "munmap", uint64(uint32(r))+1, 0x1000); e != -abi.EINVAL {
		t.Errorf("unaligned munmap = %d", e)
	}
	if e := call(t, p, g, "mprotect", uint64(uint32(r)), 0x1000, abi.PROT_READ); e != 0 {
		t.Errorf("mprotect = %d", e)
	}
	// set_thread_area with entry -1 picks 12 and writes it back.
	ud := abi.UserDesc{Entry: 0xffffffff, Base: 0x1234000, Limit: 0xfffff, Flags: 0x51}
	p.Mem.Poke(scratch, ud.Encode())
	if e := call(t, p, g, "set_thread_area", scratch); e != 0 {
		t.Fatalf("set_thread_area = %d", e)
	}
	b := make([]byte, 16)
	p.Mem.Peek(scratch, b)
	if got := abi.DecodeUserDesc(b); got.Entry != 12 || p.CPU.GDT[12].Base != 0x1234000 || !p.CPU.GDT[12].Present {
		t.Errorf("entry %d gdt %+v", got.Entry, p.CPU.GDT[12])
	}
	// rt_sigaction stores the i386 k_sigaction and returns it.
	sa := abi.Sigaction{Handler: 0x8049000, Flags: 0x4000000, Restorer: 0x8049100, Mask: 1<<8 | 1<<1}
	p.Mem.Poke(scratch, sa.Encode(4))
	if e := call(t, p, g, "rt_sigaction", abi.SIGUSR1, scratch, 0, 8); e != 0 {
		t.Fatalf("rt_sigaction = %d", e)
	}
	if e := call(t, p, g, "rt_sigaction", abi.SIGUSR1, 0, scratch+64, 8); e != 0 {
		t.Fatalf("rt_sigaction old = %d", e)
	}
	old := make([]byte, 20)
	p.Mem.Peek(scratch+64, old)
	if got := abi.DecodeSigaction(4, old); got != (abi.Sigaction{Handler: 0x8049000, Flags: 0x4000000, Restorer: 0x8049100, Mask: 1 << 1}) {
		// SIGKILL's bit (9) cannot be blocked and is dropped.
		t.Errorf("old action %+v", got)
	}
	if e := call(t, p, g, "rt_sigaction", abi.SIGKILL, scratch, 0, 8); e != -abi.EINVAL {
		t.Errorf("sigaction(SIGKILL) = %d", e)
	}
	// Errors: a bad pointer is EFAULT, an unknown call ENOSYS.
	if e := call(t, p, g, "uname", 0x10); e != -abi.EFAULT {
		t.Errorf("uname(bad) = %d", e)
	}
	c := p.CPU
	c.R[x86.RAX] = 450
	p.Syscall(c, g)
	if int32(c.R[x86.RAX]) != -abi.ENOSYS {
		t.Errorf("unknown syscall = %d", int32(c.R[x86.RAX]))
	}
	// kill(self, 0) succeeds; SIGCHLD to self is ignored.
	if e := call(t, p, g, "kill", uint64(os.Getpid()), 0); e != 0 || c.Exited {
		t.Errorf("kill 0 = %d", e)
	}
	if e := call(t, p, g, "kill", uint64(os.Getpid()), abi.SIGCHLD); e != 0 || c.Exited {
		t.Errorf("kill SIGCHLD = %d exited %v", e, c.Exited)
	}
	// SIGABRT to self ends the guest by that signal.
	call(t, p, g, "tgkill", uint64(os.Getpid()), uint64(os.Getpid()), abi.SIGABRT)
	if code, sig := p.ExitStatus(); sig != abi.SIGABRT || !c.Exited || code != 0 {
		t.Errorf("after SIGABRT: code %d sig %d exited %v", code, sig, c.Exited)
	}

	out := log.String()
	for _, want := range []string{
		"uname(0x",
		"mmap2(NULL,12288,PROT_READ|PROT_WRITE,MAP_PRIVATE|MAP_ANONYMOUS,-1,0) = 0xf7ff",
		"uname(0x10) = -1 errno=14 (Bad address)",
		"Unsupported syscall: 450",
		"kill(",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if len(obs.entries) == 0 || obs.entries[0] != 122 || len(obs.exits) == 0 || obs.exits[1] != 0 {
		t.Errorf("observer saw %v / %v", obs.entries, obs.exits)
	}
}

func TestExitStatus(t *testing.T) {
	p := newTestProcess(t, 64, nil, nil, Options{})
	called := 0
	p.opts.OnExit = func() { called++ }
	call(t, p, x86.GateSyscall, "exit_group", 300)
	if code, sig := p.ExitStatus(); code != 300&0xff || sig != 0 || !p.CPU.Exited || !p.CPU.Stop.Load() {
		t.Errorf("code %d sig %d", code, sig)
	}
	p.RunExitHooks()
	p.RunExitHooks()
	if called != 1 {
		t.Errorf("OnExit ran %d times", called)
	}
}

func TestFaultSignals(t *testing.T) {
	for _, c := range []struct {
		trap x86.Trap
		sig  int
	}{
		{x86.Trap{Kind: x86.TrapPage, Addr: 0}, abi.SIGSEGV},
		{x86.Trap{Kind: x86.TrapInvalidOp}, abi.SIGILL},
		{x86.Trap{Kind: x86.TrapDivide}, abi.SIGFPE},
		{x86.Trap{Kind: x86.TrapBreakpoint}, abi.SIGTRAP},
		{x86.Trap{Kind: x86.TrapGP}, abi.SIGSEGV},
		{x86.Trap{Kind: x86.TrapInt, Code: 0x81}, abi.SIGSEGV},
		{x86.Trap{Kind: x86.TrapFPU}, abi.SIGFPE},
		{x86.Trap{Kind: x86.TrapSIMD}, abi.SIGFPE},
		{x86.Trap{Kind: x86.TrapOverflow}, abi.SIGSEGV},
		{x86.Trap{Kind: x86.TrapDebug}, abi.SIGTRAP},
		{x86.Trap{Kind: x86.TrapNotPresent, Code: 0xc}, abi.SIGBUS},
		{x86.Trap{Kind: x86.TrapStack, Code: 0xc}, abi.SIGBUS},
	} {
		var log strings.Builder
		p := newTestProcess(t, 64, nil, nil, Options{Log: &log, LogFaults: true})
		p.CPU.RIP = 0x401234
		p.handleFault(p.CPU, &c.trap)
		if _, sig := p.ExitStatus(); sig != c.sig || !p.CPU.Exited {
			t.Errorf("trap %d: signal %d", c.trap.Kind, sig)
		}
		if want := "gemu: guest fault: " + abi.SignalName(c.sig) + " at pc 0x401234"; !strings.Contains(log.String(), want) {
			t.Errorf("log %q lacks %q", log.String(), want)
		}
	}
}

func TestReadlinkSelfExe(t *testing.T) {
	p := newTestProcess(t, 64, nil, nil, Options{})
	scratch := p.Stack.SP - 8192
	p.Mem.Poke(scratch, []byte("/proc/self/exe\x00"))
	n := call(t, p, x86.GateSyscall, "readlink", scratch, scratch+100, 4096)
	b := make([]byte, n)
	p.Mem.Peek(scratch+100, b)
	if n <= 0 || string(b) != p.ExePath || !strings.HasPrefix(p.ExePath, "/") {
		t.Errorf("readlink = %d %q (exe %q)", n, b, p.ExePath)
	}
}

func TestDirentCookies(t *testing.T) {
	p := newTestProcess(t, 32, nil, nil, Options{})
	rec := func(off int64, name string) []byte {
		b := make([]byte, 24)
		putLE64(b[8:], uint64(off))
		b[16] = 24
		copy(b[19:], name)
		return b
	}
	buf := append(rec(0x7fff0000aaaa, "a"), rec(42, "b")...)
	p.cookieDirents(5, buf)
	if got := int64(le64(buf[8:])); got != 1 {
		t.Errorf("big offset became %d, want cookie 1", got)
	}
	if got := int64(le64(buf[24+8:])); got != 42 {
		t.Errorf("small offset changed to %d", got)
	}
	if off := p.seekOffset(5, 1, 0); off != 0x7fff0000aaaa {
		t.Errorf("cookie 1 seeks to %#x", off)
	}
	if off := p.seekOffset(6, 1, 0); off != 1 {
		t.Errorf("other fd translated: %d", off)
	}
}
