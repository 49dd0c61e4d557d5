// Package isolation checks that a guest cannot reach gemu itself through
// its descriptors: a guest that writes to, closes and dup2s over every
// descriptor number below its limit runs as it does natively, the -D log
// keeps every line gemu writes to it and none of the guest's bytes; path
// calls through the guest's own links to /proc/self/fd/N leave the log
// as it was.
package isolation

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

var (
	workDir  string
	gemuPath string
	buildErr error
)

func TestMain(m *testing.M) {
	if len(os.Args) > 2 && os.Args[1] == launcherFlag {
		launch(os.Args[2:])
	}
	var err error
	workDir, err = os.MkdirTemp("", "gemu-isolation-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	gemuPath = os.Getenv("GEMU")
	if gemuPath == "" {
		gemuPath = filepath.Join(workDir, "gemu")
		if out, err := exec.Command("go", "build", "-o", gemuPath, "gemu/cmd/gemu").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("%v\n%s", err, out)
		}
	}
	code := m.Run()
	os.RemoveAll(workDir)
	os.Exit(code)
}

// launcherFlag makes the test binary a launcher: it runs its arguments
// with standard input, output and error only, so that native and gemu
// runs see the same descriptors whatever the test's environment passed
// down (Go's exec keeps inherited descriptors that are not
// close-on-exec).
const launcherFlag = "-isolation-launch"

func launch(args []string) {
	if d, err := os.ReadDir("/proc/self/fd"); err == nil {
		for _, e := range d {
			if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
				syscall.CloseOnExec(fd)
			}
		}
	}
	err := syscall.Exec(args[0], args, os.Environ())
	fmt.Fprintln(os.Stderr, "launch:", err)
	os.Exit(127)
}

// marker is what the guest writes to every descriptor (testdata/hostile.c).
const marker = "GUEST-MARKER-b7f3"

// run is one run's output and exit status.
type run struct {
	stdout, stderr string
	status         string
}

func execute(t *testing.T, name string, args ...string) run {
	t.Helper()
	return executeIn(t, t.TempDir(), name, args...)
}

// executeIn runs name with args through the launcher in directory dir.
func executeIn(t *testing.T, dir, name string, args ...string) run {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{launcherFlag, name}, args...)...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	status := "exit status 0"
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		status = ee.ProcessState.String()
	case err != nil:
		t.Fatalf("%s: %v", name, err)
	}
	return run{out.String(), errb.String(), status}
}

func hostile(t *testing.T, mode string) string {
	t.Helper()
	bin := filepath.Join(workDir, "hostile"+mode)
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	if out, err := exec.Command("cc", "-m"+mode, "-static", "-O1", "-o", bin, "testdata/hostile.c").CombinedOutput(); err != nil {
		t.Fatalf("cannot build the i386/x86-64 guest (gcc-multilib installed?): %v\n%s", err, out)
	}
	return bin
}

var (
	exitLine  = regexp.MustCompile(`(?m)^\d+ exit_group\(3\)$`)
	insnsLine = regexp.MustCompile(`(?m)^insns: [1-9]\d*$`)
	closeLine = regexp.MustCompile(`(?m)^\d+ close\(\d+\) = -1 errno=9 \(Bad file descriptor\)$`)
)

func TestHostileGuestCannotReachGemu(t *testing.T) {
	if buildErr != nil {
		t.Fatalf("cannot build cmd/gemu: %v", buildErr)
	}
	for _, mode := range []string{"32", "64"} {
		prog := hostile(t, mode)
		native := execute(t, prog)
		if native.status != "exit status 3" || !strings.Contains(native.stdout, "child exit 4") {
			t.Fatalf("%s: the native run did not end as expected: %s\n%s%s", mode, native.status, native.stdout, native.stderr)
		}
		for _, opts := range [][]string{{"-strace"}, {"-plugin", "insn"}, {"-d", "strace,unimp", "-plugin", "insn"}} {
			name := mode + " " + strings.Join(opts, " ")
			logPath := filepath.Join(t.TempDir(), "log.txt")
			args := append([]string{"-D", logPath}, opts...)
			got := execute(t, gemuPath, append(args, prog)...)
			if got != native {
				t.Errorf("%s: gemu run differs from the native one:\ngemu:   %s\n%s%s\nnative: %s\n%s%s", name,
					got.status, got.stdout, got.stderr, native.status, native.stdout, native.stderr)
			}
			b, err := os.ReadFile(logPath)
			if err != nil {
				t.Fatal(err)
			}
			log := string(b)
			if strings.Contains(log, marker) {
				t.Errorf("%s: the guest's bytes reached the -D log", name)
			}
			if strings.Contains(opts[len(opts)-1], "strace") || opts[0] == "-d" {
				if !exitLine.MatchString(log) {
					t.Errorf("%s: the log lacks exit_group(3); it ends with %q", name, tail(log))
				}
				// The second round of writes and the closes of the
				// dup2'd numbers are all logged: at least one EBADF
				// close per number up to 1024 (the limit is higher).
				if n := len(closeLine.FindAllString(log, -1)); n < 1000 {
					t.Errorf("%s: %d failed closes logged", name, n)
				}
			}
			if strings.Contains(strings.Join(opts, " "), "insn") {
				if m := insnsLine.FindAllString(log, -1); len(m) != 2 {
					// The parent's and the forked child's counts.
					t.Errorf("%s: %d insns lines in the log, want 2; it ends with %q", name, len(m), tail(log))
				} else {
					t.Logf("%s: %s, %d log bytes", name, strings.Join(m, ", "), len(log))
				}
			}
		}
	}
}

func tail(s string) string {
	if len(s) > 300 {
		return s[len(s)-300:]
	}
	return s
}

// TestChildMemIsNotGemus: a forked child of the guest is another gemu, so
// the host's /proc/PID/mem of it is that gemu's memory, not the guest's.
// The guest's open of it must give the child guest's memory (served by
// the child's gemu, peer.go), exactly as natively: the output of the two
// runs is the same.
func TestChildMemIsNotGemus(t *testing.T) {
	if buildErr != nil {
		t.Fatalf("cannot build cmd/gemu: %v", buildErr)
	}
	bin := filepath.Join(workDir, "childmem")
	if out, err := exec.Command("cc", "-static", "-O1", "-o", bin, "testdata/childmem.c").CombinedOutput(); err != nil {
		t.Fatalf("cannot build the guest: %v\n%s", err, out)
	}
	native := execute(t, bin)
	t.Logf("native:\n%s", native.stdout)
	if strings.Count(native.stdout, "child's value: yes") != 2 {
		t.Fatalf("the native run does not read its child's memory, so this check means nothing here:\n%s", native.stdout)
	}
	emu := execute(t, gemuPath, bin)
	tid := regexp.MustCompile(`/task/[0-9]+/`)
	if tid.ReplaceAllString(emu.stdout, "/task/T/") != tid.ReplaceAllString(native.stdout, "/task/T/") || emu.status != "exit status 0" {
		t.Fatalf("under gemu the child's mem files must show the child guest's memory, as natively; got %s:\n%s%s", emu.status, emu.stdout, emu.stderr)
	}
}

// TestPeerSocketsUnreachable: the abstract sockets gemus serve their
// guests' memory on are gemu's own: a guest can neither connect to them
// nor bind their names (testdata/peersock.c).
func TestPeerSocketsUnreachable(t *testing.T) {
	if buildErr != nil {
		t.Fatalf("cannot build cmd/gemu: %v", buildErr)
	}
	bin := filepath.Join(workDir, "peersock")
	if out, err := exec.Command("cc", "-static", "-O1", "-o", bin, "testdata/peersock.c").CombinedOutput(); err != nil {
		t.Fatalf("cannot build the guest: %v\n%s", err, out)
	}
	native := execute(t, bin)
	if !strings.Contains(native.stdout, "own bind: bound") {
		t.Fatalf("natively the name is free, so this check means nothing here:\n%s", native.stdout)
	}
	// The parent is the test binary (no gemu), so only the guest's own
	// gemu listens; every attempt on either name must fail alike.
	emu := execute(t, gemuPath, bin)
	want := ""
	for _, who := range []string{"own", "parent"} {
		want += who + " connect stream: ECONNREFUSED\n" + who + " connect seqpacket: ECONNREFUSED\n" +
			who + " sendto: ECONNREFUSED\n" + who + " bind: EADDRINUSE\n"
	}
	if emu.stdout != want || emu.status != "exit status 0" {
		t.Fatalf("under gemu: %s\n%s%s\nwant:\n%s", emu.status, emu.stdout, emu.stderr, want)
	}
}

// TestPathCallsCannotReachGemu: a guest calls truncate, chmod, chown,
// utimensat, setxattr, the stat calls, access, chdir, readlink, unlink,
// rename, link and mkdir through its own links to /proc/self/fd/N and
// /proc/PID/fd/N and through a current directory inside /proc/self/fd
// (testdata/pathcalls.c). Natively it has only 0, 1 and 2 open, so all
// of them find nothing; under gemu the host numbers are gemu's (the -D
// log among them), which the calls must not reach either: the output is
// the native one and the log keeps its mode, its lines from the start
// and no attribute of the guest's.
func TestPathCallsCannotReachGemu(t *testing.T) {
	if buildErr != nil {
		t.Fatalf("cannot build cmd/gemu: %v", buildErr)
	}
	exit5 := regexp.MustCompile(`(?m)^\d+ exit_group\(5\)$`)
	first := regexp.MustCompile(`^\d+ [a-z_0-9]+\(`)
	for _, mode := range []string{"32", "64"} {
		bin := filepath.Join(workDir, "pathcalls"+mode)
		if out, err := exec.Command("cc", "-m"+mode, "-static", "-O1", "-o", bin, "testdata/pathcalls.c").CombinedOutput(); err != nil {
			t.Fatalf("cannot build the i386/x86-64 guest (gcc-multilib installed?): %v\n%s", err, out)
		}
		native := execute(t, bin)
		lines := strings.Split(strings.TrimSuffix(native.stdout, "done\n"), "\n")
		if native.status != "exit status 5" || len(lines) != 76 {
			t.Fatalf("%s: the native run did not end as expected: %s\n%s%s", mode, native.status, native.stdout, native.stderr)
		}
		for _, l := range lines[:75] {
			if !strings.HasSuffix(l, ": No such file or directory x1021") {
				t.Fatalf("%s: natively a call found something, so this check means less here: %q", mode, l)
			}
		}
		dir := t.TempDir()
		logPath := filepath.Join(t.TempDir(), "log.txt")
		if err := os.WriteFile(logPath, nil, 0o640); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(logPath, 0o640); err != nil {
			t.Fatal(err)
		}
		got := executeIn(t, dir, gemuPath, "-D", logPath, "-strace", bin)
		if got != native {
			t.Errorf("%s: gemu run differs from the native one:\ngemu:   %s\n%s%s\nnative: %s\n%s%s", mode,
				got.status, got.stdout, got.stderr, native.status, native.stdout, native.stderr)
		}
		b, err := os.ReadFile(logPath)
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(logPath)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o640 {
			t.Errorf("%s: the guest changed the log's mode to %v", mode, fi.Mode())
		}
		if i := bytes.IndexByte(b, 0); i >= 0 || !first.Match(b) {
			t.Errorf("%s: the log was truncated under gemu (NUL at %d of %d bytes; it starts with %q)", mode, i, len(b), b[:min(len(b), 40)])
		}
		if !exit5.Match(b) {
			t.Errorf("%s: the log lacks exit_group(5); it ends with %q", mode, tail(string(b)))
		}
		if n, err := syscall.Getxattr(logPath, "user.gemu", make([]byte, 16)); err == nil {
			t.Errorf("%s: the guest set an attribute of the log (%d bytes)", mode, n)
		}
		t.Logf("%s: %d log bytes, %d lines, mode %v", mode, len(b), bytes.Count(b, []byte("\n")), fi.Mode().Perm())
	}
}
