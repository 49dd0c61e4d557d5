// Package isolation checks that a guest cannot reach gemu itself through
// its descriptors: a guest that writes to, closes and dup2s over every
// descriptor number below its limit runs as it does natively, the -D log
// keeps every line gemu writes to it and none of the guest's bytes.
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
	cmd := exec.Command(os.Args[0], append([]string{launcherFlag, name}, args...)...)
	cmd.Dir = t.TempDir()
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
// its /proc/PID/mem is gemu's memory, not the guest's; opening it must
// fail. Natively the same program reads the child's copy of a global.
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
	want := "/mem: Permission denied\n/task/"
	if !strings.Contains(emu.stdout, want) || strings.Count(emu.stdout, "Permission denied") != 2 || emu.status != "exit status 0" {
		t.Fatalf("under gemu the child's mem files must be refused; got %s:\n%s%s", emu.status, emu.stdout, emu.stderr)
	}
}
