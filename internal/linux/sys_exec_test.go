package linux

import (
	"bytes"
	"debug/elf"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"gemu/internal/linux/abi"
	"gemu/internal/mem"
)

// parseShebang follows binfmt_script: one optional argument with its inner
// blanks, the line cut at 256 bytes, NULs ending words.
func TestParseShebang(t *testing.T) {
	long := "#!/bin/sh " + strings.Repeat("a", 300) + "\n"
	cases := []struct {
		in          string
		interp, arg string
		ok          bool
	}{
		{"#!/bin/sh\necho", "/bin/sh", "", true},
		{"#!/bin/sh -e\n", "/bin/sh", "-e", true},
		{"#! \t/usr/bin/env  python3 -u  \t\nx", "/usr/bin/env", "python3 -u", true},
		{"#!/bin/sh", "/bin/sh", "", true}, // no newline, NUL-padded
		{"#!\n", "", "", false},
		{"#!   \t \n", "", "", false},
		{"#!/bin/sh\t-x\r\n", "/bin/sh", "-x\r", true},
		{long, "/bin/sh", strings.Repeat("a", 245), true}, // the argument is cut
		{"#!/" + strings.Repeat("b", 300), "", "", false}, // the interpreter is cut
		{"#!/bin/sh\x00 -e\n", "/bin/sh", "", true},
		{"#!/bin/sh -e\x00x y\n", "/bin/sh", "-e", true},
	}
	for _, c := range cases {
		buf := make([]byte, binprmBufSize)
		copy(buf, c.in)
		interp, arg, ok := parseShebang(buf)
		if interp != c.interp || arg != c.arg || ok != c.ok {
			t.Errorf("parseShebang(%.40q) = %q, %q, %v; want %q, %q, %v", c.in, interp, arg, ok, c.interp, c.arg, c.ok)
		}
	}
}

func TestExecStateEncoding(t *testing.T) {
	st := execState{mask: 1<<14 | 1<<63, ignored: sigBit(abi.SIGPIPE) | sigBit(abi.SIGCHLD), pending: 2,
		rlimits: map[int][2]uint64{rlimitStack: {8 << 20, rlimInf}, rlimitAS: {1 << 30, 1 << 31}}}
	got, ok := decodeExecState(st.encode())
	if !ok || !reflect.DeepEqual(got, st) {
		t.Errorf("round trip: %+v, %v; want %+v", got, ok, st)
	}
	empty := execState{}
	if got, ok := decodeExecState(empty.encode()); !ok || got.mask != 0 || got.rlimits != nil {
		t.Errorf("empty state: %+v %v", got, ok)
	}
	for _, bad := range []string{"", "mask=1", "mask=1;ign=2;pend=3;rl=1:2", "mask=x;ign=2;pend=3;rl=",
		"mask=1;ign=2;pend=3;rl=;extra=1", "garbage"} {
		if _, ok := decodeExecState(bad); ok {
			t.Errorf("decodeExecState(%q) accepted", bad)
		}
	}
}

func TestTakeInherited(t *testing.T) {
	t.Setenv(envForkChild, "5")
	t.Setenv(envLogFD, "901")
	t.Setenv(envExecState, execState{mask: 4}.encode())
	in := TakeInherited()
	if in.ForkFD != 5 || in.LogFD != 901 || in.exec == nil || in.exec.mask != 4 || !in.Forked() {
		t.Errorf("inherited %+v", in)
	}
	for _, name := range []string{envForkChild, envLogFD, envExecState} {
		if _, ok := os.LookupEnv(name); ok {
			t.Errorf("%s left in the environment", name)
		}
		for _, kv := range os.Environ() {
			if strings.HasPrefix(kv, name+"=") {
				t.Errorf("%s in os.Environ", name)
			}
		}
	}
	if in := TakeInherited(); in.ForkFD != -1 || in.LogFD != -1 || in.exec != nil || in.Forked() {
		t.Errorf("nothing to inherit: %+v", in)
	}
}

// A gemu started by execve applies the state its predecessor kept.
func TestApplyInherited(t *testing.T) {
	st := execState{mask: sigBit(abi.SIGTERM) | sigBit(abi.SIGHUP), ignored: sigBit(abi.SIGUSR1) | sigBit(abi.SIGKILL),
		pending: sigBit(abi.SIGHUP), rlimits: map[int][2]uint64{rlimitStack: {1 << 20, rlimInf}}}
	p := newTestProcess(t, 64, nil, nil, Options{Inherited: &Inherited{ForkFD: -1, LogFD: -1, exec: &st}})
	if p.mask != st.mask || p.sig.act[abi.SIGUSR1].Handler != abi.SIG_IGN || p.sig.act[abi.SIGKILL].Handler != abi.SIG_DFL {
		t.Errorf("mask %#x, SIGUSR1 %#x, SIGKILL %#x", p.mask, p.sig.act[abi.SIGUSR1].Handler, p.sig.act[abi.SIGKILL].Handler)
	}
	if p.sig.q.pending != sigBit(abi.SIGHUP) || p.rlimits[rlimitStack] != st.rlimits[rlimitStack] {
		t.Errorf("pending %#x rlimits %v", p.sig.q.pending, p.rlimits)
	}
	// And its own state goes to the next program: handlers reset, ignored
	// signals stay ignored.
	p.sig.act[abi.SIGUSR2] = abi.Sigaction{Handler: 0x401000}
	next := p.execState()
	if next.ignored != sigBit(abi.SIGUSR1) || next.mask != st.mask || next.pending != st.pending {
		t.Errorf("next program's state %+v", next)
	}
}

// execFixture writes files for resolveExec into a temporary directory.
func execFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	write := func(name string, data []byte, mode os.FileMode) {
		if err := os.WriteFile(filepath.Join(dir, name), data, mode); err != nil {
			t.Fatal(err)
		}
	}
	write("prog", simpleELF(t, 64, elf.ET_EXEC), 0o755)
	write("prog32", simpleELF(t, 32, elf.ET_DYN), 0o755)
	write("noexec", simpleELF(t, 64, elf.ET_EXEC), 0o644)
	write("text", []byte("echo hi\n"), 0o755)
	write("empty", nil, 0o755)
	write("badelf", []byte("\x7fELF\x02\x01\x01garbage"), 0o755)
	write("script", []byte("#!"+dir+"/prog -x\n"), 0o755)
	write("nested", []byte("#!"+dir+"/script\n"), 0o755)
	write("badinterp", []byte("#!"+dir+"/missing\n"), 0o755)
	write("textinterp", []byte("#!"+dir+"/text\n"), 0o755)
	write("loop", []byte("#!"+dir+"/loop\n"), 0o755)
	if err := os.Mkdir(filepath.Join(dir, "dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestResolveExec(t *testing.T) {
	dir := execFixture(t)
	var log bytes.Buffer
	p := newTestProcess(t, 64, nil, nil, Options{Log: &log, LogUnimp: true})
	argv := []string{"a0", "a1", "a 2"}
	cases := []struct {
		file     string
		prog     string
		args     []string
		errno    syscall.Errno
		unimpLog string
	}{
		{file: "prog", prog: "prog", args: argv},
		{file: "prog32", prog: "prog32", args: argv},
		{file: "script", prog: "prog", args: []string{dir + "/prog", "-x", dir + "/script", "a1", "a 2"}},
		{file: "nested", prog: "prog", args: []string{dir + "/prog", "-x", dir + "/script", dir + "/nested", "a1", "a 2"}},
		{file: "missing", errno: syscall.ENOENT},
		{file: "noexec", errno: syscall.EACCES},
		{file: "dir", errno: syscall.EACCES},
		{file: "prog/x", errno: syscall.ENOTDIR},
		{file: "text", errno: syscall.ENOEXEC, unimpLog: "not an executable format"},
		{file: "empty", errno: syscall.ENOEXEC},
		{file: "badelf", errno: syscall.ENOEXEC, unimpLog: "truncated"},
		{file: "badinterp", errno: syscall.ENOENT},
		{file: "textinterp", errno: syscall.ENOEXEC},
		{file: "loop", errno: syscall.ELOOP},
	}
	for _, c := range cases {
		log.Reset()
		file := filepath.Join(dir, c.file)
		prog, args, e := p.resolveExec(file, file, argv, 0)
		if c.errno != 0 {
			if e != -int64(c.errno) {
				t.Errorf("%s: errno %d, want %d (%v)", c.file, -e, int(c.errno), c.errno)
			}
			if !strings.Contains(log.String(), c.unimpLog) {
				t.Errorf("%s: logged %q, want %q", c.file, log.String(), c.unimpLog)
			}
			continue
		}
		if e != 0 || prog != filepath.Join(dir, c.prog) || !reflect.DeepEqual(args, c.args) {
			t.Errorf("%s: %q %q %d; want %q %q", c.file, prog, args, e, c.prog, c.args)
		}
	}
	// A dynamically linked executable needs its interpreter, like on
	// Linux: ENOENT without it.
	dyn := func(interp string) string {
		b := craftELF(t, 64, elf.EM_X86_64, elf.ET_EXEC, 0x400000, []testSeg{
			{typ: elf.PT_INTERP, data: []byte(interp + "\x00")},
			{typ: elf.PT_LOAD, flags: elf.PF_R | elf.PF_X, vaddr: 0x400000, data: make([]byte, 0x100)},
		})
		name := filepath.Join(dir, "dyn"+filepath.Base(interp))
		if err := os.WriteFile(name, b, 0o755); err != nil {
			t.Fatal(err)
		}
		return name
	}
	{
		f := dyn(dir + "/no-ld.so")
		if _, _, e := p.resolveExec(f, f, argv, 0); e != -abi.ENOENT {
			t.Errorf("missing interpreter: %d", e)
		}
	}
	{
		f := dyn(dir + "/prog32")
		if prog, _, e := p.resolveExec(f, f, argv, 0); e != 0 || prog != f {
			t.Errorf("dynamic executable: %q %d", prog, e)
		}
	}
}

func TestExecTarget(t *testing.T) {
	p := newTestProcess(t, 64, nil, nil, Options{})
	p.ExePath = "/abs/prog"
	cases := []struct {
		dirfd      int64
		hdir       int64 // the host descriptor standing for dirfd
		path       string
		flags      int64
		file, name string
		e          int64
	}{
		{abi.AT_FDCWD, abi.AT_FDCWD, "rel/x", 0, "rel/x", "rel/x", 0},
		{3, 13, "/abs/x", 0, "/abs/x", "/abs/x", 0},
		{3, 13, "rel", 0, "/proc/self/fd/13/rel", "/dev/fd/3/rel", 0},
		{4, 14, "", atEmptyPath, "/proc/self/fd/14", "/dev/fd/4", 0},
		{4, 14, "", 0, "", "", -abi.ENOENT},
		{abi.AT_FDCWD, abi.AT_FDCWD, "/proc/self/exe", 0, "/abs/prog", "/proc/self/exe", 0},
	}
	for _, c := range cases {
		file, name, e := p.execTarget(c.dirfd, c.hdir, c.path, c.flags)
		if file != c.file || name != c.name || e != c.e {
			t.Errorf("execTarget(%d, %q, %#x) = %q, %q, %d; want %q, %q, %d", c.dirfd, c.path, c.flags, file, name, e, c.file, c.name, c.e)
		}
	}
	f, err := os.Open("/bin")
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	fd := int(f.Fd())
	if got := stablePath("/proc/self/fd/" + strconv.Itoa(fd) + "/sh"); got != "/bin/sh" && !strings.HasSuffix(got, "/bin/sh") {
		t.Errorf("stablePath = %q", got)
	}
	if got := stablePath("/usr/bin/x"); got != "/usr/bin/x" {
		t.Errorf("stablePath changed a plain path: %q", got)
	}
}

func TestReadStringArray(t *testing.T) {
	for _, bits := range []int{32, 64} {
		p := newTestProcess(t, bits, nil, nil, Options{})
		base := uint64(0x10000000)
		if err := p.Mem.Map(base, 2*pageSize, mem.Read|mem.Write); err != nil {
			t.Fatal(err)
		}
		w := uint64(p.w)
		p.Mem.Poke(base+0x100, []byte("one\x00two words\x00\x00"))
		p.Mem.Poke(base, p.w.Encode(base+0x100, base+0x104, base+0x10e, 0))
		got, e := p.readStringArray(base)
		if e != 0 || !reflect.DeepEqual(got, []string{"one", "two words", ""}) {
			t.Errorf("%d: %q %d", bits, got, e)
		}
		if got, e := p.readStringArray(0); e != 0 || got != nil {
			t.Errorf("%d: null array: %q %d", bits, got, e)
		}
		p.Mem.Poke(base+3*w, p.w.Encode(0x20000000))
		if _, e := p.readStringArray(base); e != -abi.EFAULT {
			t.Errorf("%d: bad string pointer: %d", bits, e)
		}
		p.Mem.Poke(base+2*pageSize-w, p.w.Encode(base+0x100))
		if _, e := p.readStringArray(base + 2*pageSize - w); e != -abi.EFAULT {
			t.Errorf("%d: array running off the mapping: %d", bits, e)
		}
	}
}

// A failed execve returns to the guest with the kernel's errno. (Only
// failures can be tested here: a successful one replaces the test.)
func TestExecveErrors(t *testing.T) {
	dir := execFixture(t)
	p := newTestProcess(t, 64, nil, nil, Options{})
	base := uint64(0x10000000)
	if err := p.Mem.Map(base, pageSize, mem.Read|mem.Write); err != nil {
		t.Fatal(err)
	}
	path := func(s string) uint64 {
		p.Mem.Poke(base+0x200, append([]byte(s), 0))
		return base + 0x200
	}
	p.Mem.Poke(base, p.w.Encode(0))
	if e := sysExecve(p, &[6]uint64{path(dir + "/missing"), base, base}); e != -abi.ENOENT {
		t.Errorf("missing: %d", e)
	}
	if e := sysExecve(p, &[6]uint64{path(dir + "/text"), base, base}); e != -int64(syscall.ENOEXEC) {
		t.Errorf("text: %d", e)
	}
	if e := sysExecve(p, &[6]uint64{path(dir + "/prog"), 0x20000000, base}); e != -abi.EFAULT {
		t.Errorf("bad argv: %d", e)
	}
	if e := sysExecveat(p, &[6]uint64{uint64(0xffffff9c), path(dir + "/prog"), base, base, 0x8}); e != -abi.EINVAL {
		t.Errorf("bad flags: %d", e)
	}
	if err := os.Symlink(dir+"/prog", dir+"/link"); err != nil {
		t.Fatal(err)
	}
	if e := sysExecveat(p, &[6]uint64{uint64(0xffffff9c), path(dir + "/link"), base, base, atSymlinkNoFollow}); e != -int64(syscall.ELOOP) {
		t.Errorf("symlink with AT_SYMLINK_NOFOLLOW: %d", e)
	}
}
