// Package plugins holds gemu's end-to-end plugin tests: they build
// cmd/gemu, static i386 and x86-64 guest programs and C plugins, run
// `gemu -plugin ...` and check the logs against each other and against
// -strace.
//
// They expect from cmd/gemu: `-plugin file=PATH[,args=STRING]` and
// `-plugin NAME` (repeatable, in order), `-D FILE` receiving the plugin
// logs and -strace output in one stream (QEMU's format, one
// `PID name(args...) = result` line per call), `-strace`, and errors as one
// stderr line `gemu: plugin PATH: reason` with exit status 1.
package plugins

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"gemu/internal/linux/abi"
)

var (
	workDir  string // temporary files of the whole run
	gemuPath string
	buildErr error
	repoRoot string
)

func TestMain(m *testing.M) {
	var err error
	workDir, err = os.MkdirTemp("", "gemu-plugin-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	repoRoot, _ = filepath.Abs("../..")
	// $GEMU selects another build (a -race one in `make test-race`).
	if gemuPath = os.Getenv("GEMU"); gemuPath == "" {
		gemuPath = filepath.Join(workDir, "gemu")
		if out, err := exec.Command("go", "build", "-o", gemuPath, "gemu/cmd/gemu").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("%v\n%s", err, out)
		}
	}
	code := m.Run()
	os.RemoveAll(workDir)
	os.Exit(code)
}

var (
	wiredOnce sync.Once
	wiredErr  error
)

// needGemu fails the test unless gemu builds and loads plugins. The probe
// asks for a built-in tracer that does not exist: a gemu that loads
// plugins refuses it before running the program.
func needGemu(t *testing.T) {
	t.Helper()
	if buildErr != nil {
		t.Fatalf("cannot build cmd/gemu, which the end-to-end plugin tests run: %v", buildErr)
	}
	prog := guest(t, 64)
	wiredOnce.Do(func() {
		out, err := exec.Command(gemuPath, "-plugin", "nosuchtracer", prog).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "gemu: plugin nosuchtracer: ") {
			wiredErr = fmt.Errorf("gemu -plugin nosuchtracer PROG ran the program (%v, output %q): "+
				"cmd/gemu parses -plugin but does not load plugins (plugin.New/Load, see the plugin "+
				"brief's report for the wiring)", err, out)
		}
	})
	if wiredErr != nil {
		t.Fatal(wiredErr)
	}
}

var (
	buildMu sync.Mutex
	built   = map[string]string{}
)

// buildOnce runs a compiler command producing out once per test run.
func buildOnce(t *testing.T, out string, args ...string) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if p, ok := built[out]; ok {
		if p == "" {
			t.Fatalf("building %s failed earlier", out)
		}
		return p
	}
	path := filepath.Join(workDir, out)
	built[out] = ""
	cmd := exec.Command(args[0], append(args[1:], "-o", path)...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, msg)
	}
	built[out] = path
	return path
}

// guest returns the static hello program for the mode (32 or 64).
func guest(t *testing.T, mode int) string {
	arch := "-m64"
	if mode == 32 {
		arch = "-m32"
	}
	return buildOnce(t, fmt.Sprintf("hello%d", mode), "cc", arch, "-static", "-O1", "testdata/hello.c")
}

// cplugin builds a plugin the way its authors do: cc -shared -fPIC with
// nothing but include/.
func cplugin(t *testing.T, src string) string {
	name := "lib" + strings.TrimSuffix(filepath.Base(src), ".c") + ".so"
	return buildOnce(t, name, "cc", "-shared", "-fPIC", "-O2", "-I"+filepath.Join(repoRoot, "include"), src)
}

func example(t *testing.T, name string) string {
	return cplugin(t, filepath.Join(repoRoot, "examples", name+".c"))
}

func testPlugin(t *testing.T, name string) string {
	return cplugin(t, filepath.Join("testdata", name+".c"))
}

// result is what one gemu run produced.
type result struct {
	stdout, stderr string
	log            []string // the -D file's lines
	status         int      // exit status, or 128+signal
	signal         syscall.Signal
}

// runGemu runs gemu with args (options, program, arguments), adding
// -D with a fresh log file first if withLog.
func runGemu(t *testing.T, withLog bool, args ...string) result {
	t.Helper()
	needGemu(t)
	logPath := filepath.Join(t.TempDir(), "gemu.log")
	if withLog {
		args = append([]string{"-D", logPath}, args...)
	}
	cmd := exec.Command(gemuPath, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		ws := ee.Sys().(syscall.WaitStatus)
		if ws.Signaled() {
			r.signal = ws.Signal()
			r.status = 128 + int(ws.Signal())
		} else {
			r.status = ws.ExitStatus()
		}
	default:
		t.Fatalf("running gemu: %v", err)
	}
	if withLog {
		data, err := os.ReadFile(logPath)
		if err != nil {
			t.Fatalf("gemu %s: no log: %v\nstderr: %s", strings.Join(args, " "), err, r.stderr)
		}
		r.log = lines(string(data))
	}
	return r
}

func lines(s string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

// wantOK checks that the guest ran to its normal end.
func wantOK(t *testing.T, r result) {
	t.Helper()
	if r.status != 0 || r.stdout != "hello from pid>0: 1\nwritten\n" {
		t.Fatalf("guest failed: status %d\nstdout: %q\nstderr: %s", r.status, r.stdout, r.stderr)
	}
}

var modes = []int{32, 64}

func archName(mode int) string {
	if mode == 64 {
		return "x86_64"
	}
	return "i386"
}

func sysNames(mode int) map[int]string {
	if mode == 64 {
		return abi.Names64
	}
	return abi.Names32
}

func sysNumbers(mode int) map[string]int {
	m := map[string]int{}
	for n, s := range sysNames(mode) {
		m[s] = n
	}
	return m
}

var straceLine = regexp.MustCompile(`^\d+ ([a-z_0-9]+)\(`)

// straceCalls returns the system call names of the -strace lines of log,
// with their line indexes.
func straceCalls(log []string) (names []string, at []int) {
	for i, l := range log {
		if m := straceLine.FindStringSubmatch(l); m != nil {
			names = append(names, m[1])
			at = append(at, i)
		}
	}
	return names, at
}

func parseHex(t *testing.T, s string) uint64 {
	t.Helper()
	v, err := strconv.ParseUint(s, 16, 64)
	if err != nil {
		t.Fatalf("bad hex %q in log", s)
	}
	return v
}

// TestInsnLogMatchesTracers runs the seed's insn_log with the insn and
// execlog tracers: every executed instruction gets an insn_log line then
// an execlog line for the same address, and their number is insn's total.
func TestInsnLogMatchesTracers(t *testing.T) {
	for _, mode := range modes {
		t.Run(archName(mode), func(t *testing.T) {
			r := runGemu(t, true, "-plugin", "file="+example(t, "insn_log"), "-plugin", "insn", "-plugin", "execlog", guest(t, mode))
			wantOK(t, r)
			log := r.log
			if len(log) < 3 {
				t.Fatalf("log too short: %q", log)
			}
			last := log[len(log)-1]
			total, err := strconv.Atoi(strings.TrimPrefix(last, "insns: "))
			if err != nil || !strings.HasPrefix(last, "insns: ") {
				t.Fatalf("last log line %q, want insns: N", last)
			}
			body := log[:len(log)-1]
			if len(body) != 2*total {
				t.Fatalf("%d log lines for %d instructions", len(body), total)
			}
			for i := 0; i < len(body); i += 2 {
				a, ok := strings.CutPrefix(body[i], "executing instruction at ")
				if !ok {
					t.Fatalf("line %d: %q, want insn_log's", i, body[i])
				}
				b, _, ok := strings.Cut(body[i+1], ":")
				if !ok {
					t.Fatalf("line %d: %q, want execlog's", i+1, body[i+1])
				}
				if parseHex(t, a) != parseHex(t, b) {
					t.Fatalf("instruction %d: insn_log says %s, execlog says %s", i/2, a, body[i+1])
				}
			}
		})
	}
}

// TestSyscallLogSysenter runs the seed's syscall_log on a static i386
// program: each system call made through the vDSO's sysenter gets one
// "sysenter N" line just before the -strace line of call N.
func TestSyscallLogSysenter(t *testing.T) {
	r := runGemu(t, true, "-strace", "-plugin", "file="+example(t, "syscall_log"), guest(t, 32))
	wantOK(t, r)
	names, at := straceCalls(r.log)
	if len(names) == 0 {
		t.Fatalf("no -strace lines in the -D log (the plugin log and -strace must share it):\n%s", strings.Join(r.log, "\n"))
	}
	nums := sysNumbers(32)
	sysenters := 0
	for i, l := range r.log {
		v, ok := strings.CutPrefix(l, "sysenter ")
		if !ok {
			continue
		}
		sysenters++
		num := parseHex(t, v)
		// The next -strace line is this call's.
		k := 0
		for k < len(at) && at[k] < i {
			k++
		}
		if k == len(at) {
			t.Fatalf("log line %d %q: no -strace line follows", i, l)
		}
		if got, ok := nums[names[k]]; !ok || uint64(got) != num {
			t.Errorf("log line %d %q is followed by the -strace line %q", i, l, r.log[at[k]])
		}
	}
	// The program's own calls (getpid, write, write, exit_group) at least
	// go through the vDSO once glibc has set up TLS.
	if sysenters < 4 {
		t.Errorf("%d sysenter lines for %d system calls:\n%s", sysenters, len(names), strings.Join(r.log, "\n"))
	}
	for _, l := range r.log {
		if strings.HasPrefix(l, "sysexit") {
			t.Errorf("user-mode guest logged %q", l)
		}
	}
}

// TestExtraEvents checks the gemu additions to the C API on a real
// program: args with ",,", system call entry and return (against
// -strace), blocks, memory accesses and plugin_exit as the last word.
func TestExtraEvents(t *testing.T) {
	for _, mode := range modes {
		t.Run(archName(mode), func(t *testing.T) {
			r := runGemu(t, true, "-strace", "-plugin", "file="+testPlugin(t, "e2e")+",args=a,,b", guest(t, mode))
			wantOK(t, r)
			log := r.log
			if want := "E2E init [a,b] " + archName(mode); len(log) == 0 || log[0] != want {
				t.Fatalf("first log line %q, want %q", log[:min(1, len(log))], want)
			}
			names, _ := straceCalls(log)
			type call struct{ num, v int64 } // v: first argument or result
			var entries, rets []call
			for _, l := range log {
				var c call
				var a0 uint64
				if _, err := fmt.Sscanf(l, "E2E syscall %d %x", &c.num, &a0); err == nil {
					c.v = int64(a0)
					entries = append(entries, c)
				} else if _, err := fmt.Sscanf(l, "E2E ret %d %d", &c.num, &c.v); err == nil {
					rets = append(rets, c)
					if strings.HasSuffix(l, ")") {
						t.Errorf("plugin_syscall_ret ran before the guest's eax/rax held the result "+
							"(the OS layer must call SyscallExit after writing it): %s", l)
					}
				}
			}
			if len(entries) != len(names) || len(names) == 0 {
				t.Fatalf("%d plugin_syscall calls, %d -strace lines", len(entries), len(names))
			}
			for i, c := range entries {
				if sysNames(mode)[int(c.num)] != names[i] {
					t.Errorf("call %d: plugin_syscall says %d (%s), -strace says %s", i, c.num, sysNames(mode)[int(c.num)], names[i])
				}
			}
			// Single-threaded: every call but the final exit_group returns,
			// in order.
			if names[len(names)-1] != "exit_group" || len(rets) != len(entries)-1 {
				t.Fatalf("%d returns for %d calls ending with %s", len(rets), len(entries), names[len(names)-1])
			}
			writes := 0
			for i, r := range rets {
				if r.num != entries[i].num {
					t.Errorf("return %d is of call %d, entry was %d", i, r.num, entries[i].num)
				}
				if names[i] == "write" && entries[i].v == 1 {
					writes++
					if r.v != 8 && r.v != 20 { // "written\n", "hello from pid>0: 1\n"
						t.Errorf("write to stdout returned %d", r.v)
					}
				}
			}
			if writes != 2 {
				t.Errorf("%d writes to stdout, want 2", writes)
			}
			last := log[len(log)-1]
			var blocks, accesses int
			if _, err := fmt.Sscanf(last, "E2E exit blocks=%d accesses=%d", &blocks, &accesses); err != nil || blocks < 100 || accesses < 100 {
				t.Errorf("last log line %q, want the exit summary", last)
			}
		})
	}
}

// TestBuiltinSyscalls compares the syscalls tracer with -strace.
func TestBuiltinSyscalls(t *testing.T) {
	for _, mode := range modes {
		t.Run(archName(mode), func(t *testing.T) {
			r := runGemu(t, true, "-strace", "-plugin", "syscalls", guest(t, mode))
			wantOK(t, r)
			names, _ := straceCalls(r.log)
			var traced []string
			line := regexp.MustCompile(`^([a-z_0-9]+)\((0x[0-9a-f]+, ){5}0x[0-9a-f]+\) = (-?\d+|0x[0-9a-f]+|\?|-1 errno=\d+ \(.*\))$`)
			for _, l := range r.log {
				if m := line.FindStringSubmatch(l); m != nil {
					traced = append(traced, m[1])
				}
			}
			if strings.Join(traced, " ") != strings.Join(names, " ") {
				t.Errorf("syscalls tracer: %q\n-strace: %q", traced, names)
			}
			if l := r.log[len(r.log)-1]; !strings.HasPrefix(l, "exit_group(0x0, ") || !strings.HasSuffix(l, ") = ?") {
				t.Errorf("last line %q", l)
			}
		})
	}
}

// TestBuiltinHotblocks checks the hotblocks summary's shape.
func TestBuiltinHotblocks(t *testing.T) {
	r := runGemu(t, true, "-plugin", "hotblocks", guest(t, 64))
	wantOK(t, r)
	head := regexp.MustCompile(`^hotblocks: (\d+) blocks executed (\d+) times; top 20:$`)
	if len(r.log) != 21 || !head.MatchString(r.log[0]) {
		t.Fatalf("log:\n%s", strings.Join(r.log, "\n"))
	}
	prev := uint64(1 << 63)
	for _, l := range r.log[1:] {
		var pc, n uint64
		if _, err := fmt.Sscanf(l, "%16x %d", &pc, &n); err != nil || n > prev || n == 0 {
			t.Fatalf("bad or unsorted line %q", l)
		}
		prev = n
	}
}

// TestBuiltinMemtrace runs the memtrace tracer with the mem_trace.c
// example, which prints the same line format: each access gives two
// identical lines in a row.
func TestBuiltinMemtrace(t *testing.T) {
	for _, mode := range modes {
		t.Run(archName(mode), func(t *testing.T) {
			r := runGemu(t, true, "-plugin", "memtrace", "-plugin", "file="+example(t, "mem_trace"), guest(t, mode))
			wantOK(t, r)
			log := r.log
			if len(log) < 1001 || !strings.HasPrefix(log[len(log)-1], "mem_trace: ") {
				t.Fatalf("log: %d lines, ending %q", len(log), log[len(log)-1:])
			}
			body := log[:len(log)-1]
			if len(body)%2 != 0 {
				t.Fatalf("%d access lines: not pairs", len(body))
			}
			format := regexp.MustCompile(`^[0-9a-f]+: (load |store) +\d+ @ [0-9a-f]+ = [0-9a-f]+$`)
			for i := 0; i < len(body); i += 2 {
				c := strings.TrimSuffix(body[i+1], " (low 8 bytes)")
				if body[i] != c || !format.MatchString(body[i]) {
					t.Fatalf("lines %d-%d differ:\n%s\n%s", i, i+1, body[i], body[i+1])
				}
			}
		})
	}
}

// TestFatalSignalFlushesLog: a guest killed by SIGSEGV still gets the
// plugins' exit output into the -D log.
func TestFatalSignalFlushesLog(t *testing.T) {
	r := runGemu(t, true, "-plugin", "insn", "-plugin", "file="+testPlugin(t, "e2e"), guest(t, 32), "crash")
	if r.signal != syscall.SIGSEGV && r.status != 128+int(syscall.SIGSEGV) {
		t.Errorf("status %d signal %v, want SIGSEGV", r.status, r.signal)
	}
	if !strings.Contains(r.stdout, "written\n") {
		t.Errorf("stdout %q", r.stdout)
	}
	n := len(r.log)
	if n < 2 || !strings.HasPrefix(r.log[n-2], "insns: ") || !strings.HasPrefix(r.log[n-1], "E2E exit ") {
		t.Errorf("log ends %q, want the insn total then e2e's exit line", r.log[max(0, n-2):])
	}
}

// TestLogWithoutD: without -D, plugin output goes to stderr.
func TestLogWithoutD(t *testing.T) {
	r := runGemu(t, false, "-plugin", "insn", guest(t, 64))
	wantOK(t, r)
	if !regexp.MustCompile(`(^|\n)insns: \d+\n$`).MatchString(r.stderr) {
		t.Errorf("stderr %q, want the insn total", r.stderr)
	}
}

// TestBadPlugins: each bad -plugin gives one clear error line and exit
// status 1 before the guest runs.
func TestBadPlugins(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(text, []byte(strings.Repeat("not a shared object\n", 10)), 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "libmissing.so")
	empty := testPlugin(t, "empty")
	initFalse := testPlugin(t, "initfalse")
	tests := []struct {
		plugin string
		want   string
	}{
		{"file=" + missing, "gemu: plugin " + missing + ": cannot load: no such file or directory"},
		{"file=" + text, "gemu: plugin " + text + ": cannot load: invalid ELF header"},
		{"file=" + empty, "gemu: plugin " + empty + ": not a gemu plugin: it defines none of the plugin functions"},
		{"file=" + initFalse, "gemu: plugin " + initFalse + ": plugin_init returned false"},
		{"nosuchtracer", "gemu: plugin nosuchtracer: no such built-in plugin (known: execlog, gocount, hotblocks, hwtrace, insn, memtrace, syscalls"},
	}
	for _, tt := range tests {
		r := runGemu(t, false, "-plugin", tt.plugin, guest(t, 64))
		errLines := lines(r.stderr)
		if r.status != 1 || r.stdout != "" || len(errLines) == 0 || !strings.HasPrefix(errLines[len(errLines)-1], tt.want) {
			t.Errorf("-plugin %s: status %d, stdout %q, stderr %q; want status 1 and %q", tt.plugin, r.status, r.stdout, r.stderr, tt.want)
		}
		// Only the plugin's own log may come before the error line.
		for _, l := range errLines[:max(0, len(errLines)-1)] {
			if l != "initfalse: refusing" {
				t.Errorf("-plugin %s: extra stderr line %q", tt.plugin, l)
			}
		}
	}
}
