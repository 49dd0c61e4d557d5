// Package system holds gemu-system's tests against real machines: the
// freestanding test kernels in kernel/ (built with the host's gcc, booted
// as multiboot and as Linux boot protocol images) print one line per CPU
// check over COM1. The
// expected output in testdata/ is what qemu-system prints (TCG); this test
// confirms it under qemu-system where installed and compares gemu-system's
// output with it once cmd/gemu-system exists.
package system

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// kernels: the image name the Makefile builds, the qemu-system command for
// it, and the expected output file.
var kernels = []struct {
	name, image, qemu, want string
}{
	{"i386", "testkernel32", "qemu-system-i386", "testdata/testkernel32.out"},
	{"x86_64", "testkernel64", "qemu-system-x86_64", "testdata/testkernel64.out"},
}

// formats: each kernel is built as a multiboot ELF32 image (no suffix) and
// as a Linux boot protocol image (".bzimage"); both print the same.
var formats = []struct{ name, suffix string }{
	{"multiboot", ""},
	{"bzimage", ".bzimage"},
}

// gemuFormatGaps lists image formats gemu-system cannot boot yet, with the
// reason: their runs are skipped.
var gemuFormatGaps = map[string]string{}

// runTimeout bounds one boot; each kernel ends in well under a second
// under qemu's TCG.
const runTimeout = 30 * time.Second

// header is the kernel's first line; what comes before it (the firmware's
// messages under qemu) is dropped.
const header = "gemu test kernel "

// buildKernels runs the Makefile into a temporary directory.
func buildKernels(t *testing.T) string {
	t.Helper()
	for _, tool := range []string{"make", "gcc", "objcopy"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: %v", tool, err)
		}
	}
	out := t.TempDir()
	cmd := exec.Command("make", "--no-print-directory", "OUT="+out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make: %v\n%s", err, b)
	}
	return out
}

// console turns a run's serial output into the kernel's lines: from the
// header on, CR LF as LF.
func console(b []byte) string {
	s := strings.ReplaceAll(string(b), "\r\n", "\n")
	if i := strings.Index(s, header); i >= 0 {
		return s[i:]
	}
	return s
}

// run boots image under the emulator at path and returns its console.
func run(t *testing.T, path string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Errorf("%s did not end within %v; console so far:\n%s", filepath.Base(path), runTimeout, console(stdout.Bytes()))
		return console(stdout.Bytes())
	}
	var ee *exec.ExitError
	// qemu's isa-debug-exit makes the status (0<<1)|1 = 1 at power-off.
	if err != nil && !(errors.As(err, &ee) && ee.ExitCode() == 1 && strings.HasPrefix(filepath.Base(path), "qemu")) {
		t.Errorf("%s: %v\nstderr: %s", filepath.Base(path), err, stderr.Bytes())
	}
	return console(stdout.Bytes())
}

// TestKernelQemu confirms the expected files: qemu-system's TCG prints
// exactly them. With TESTKERNEL_UPDATE=1 it writes qemu's output into them
// instead (after a change to the kernels; review the diff).
func TestKernelQemu(t *testing.T) {
	dir := buildKernels(t)
	for _, k := range kernels {
		for _, f := range formats {
			t.Run(k.name+"/"+f.name, func(t *testing.T) {
				qemu, err := exec.LookPath(k.qemu)
				if err != nil {
					t.Skipf("%s not installed", k.qemu)
				}
				got := run(t, qemu, "-kernel", filepath.Join(dir, k.image+f.suffix), "-nographic", "-no-reboot",
					"-serial", "stdio", "-monitor", "none", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04")
				if os.Getenv("TESTKERNEL_UPDATE") == "1" && f.suffix == "" {
					if err := os.WriteFile(k.want, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want := readWant(t, k.want)
				if got != want {
					t.Errorf("%s output differs from %s:\n%s", k.qemu, k.want, diff(want, got, false))
				}
			})
		}
	}
}

// gemuSystem returns a gemu-system binary: $GEMU_SYSTEM if set, else a
// build of ../../cmd/gemu-system; it skips the test while that command
// does not exist yet.
func gemuSystem(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("GEMU_SYSTEM"); p != "" {
		return p
	}
	if _, err := os.Stat("../../cmd/gemu-system"); err != nil {
		t.Skip("cmd/gemu-system does not exist yet")
	}
	bin := filepath.Join(t.TempDir(), "gemu-system")
	cmd := exec.Command("go", "build", "-o", bin, "../../cmd/gemu-system")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/gemu-system: %v\n%s", err, b)
	}
	return bin
}

// gemuGaps lists checks gemu-system is known to fail, "KERNEL/CHECK"
// (e.g. "i386/pit-ch2-oneshot") with the reason: their FAIL lines are
// logged, not errors, and the summary line may count them. Use it only for
// honest, documented gaps, and empty it as they close.
var gemuGaps = map[string]string{}

// TestKernelGemu boots both kernels under gemu-system and compares their
// consoles with qemu's. A check qemu's TCG skips (its reason in the
// expected line) may pass under gemu-system: "ok NAME" matches
// "skip NAME: ..." (the summary line then counts the same failures).
func TestKernelGemu(t *testing.T) {
	dir := buildKernels(t)
	gemu := gemuSystem(t)
	for _, k := range kernels {
		for _, f := range formats {
			t.Run(k.name+"/"+f.name, func(t *testing.T) {
				if why, ok := gemuFormatGaps[f.name]; ok {
					t.Skip(why)
				}
				want := readWant(t, k.want)
				got := run(t, gemu, "-kernel", filepath.Join(dir, k.image+f.suffix), "-nographic", "-no-reboot", "-serial", "stdio")
				got = allowGaps(t, k.name, want, got)
				if d := diff(want, got, true); d != "" {
					t.Errorf("gemu-system output differs from %s:\n%s", k.want, d)
				}
			})
		}
	}
}

// allowGaps replaces the FAIL lines of the checks in gemuGaps by the
// expected lines and takes them out of the summary's count.
func allowGaps(t *testing.T, kernel, want, got string) string {
	w := strings.Split(want, "\n")
	g := strings.Split(got, "\n")
	gaps := 0
	for i := range g {
		name, _, found := strings.Cut(strings.TrimPrefix(g[i], "FAIL "), ":")
		if !found || !strings.HasPrefix(g[i], "FAIL ") {
			continue
		}
		why, ok := gemuGaps[kernel+"/"+name]
		if !ok || i >= len(w) || !(strings.HasPrefix(w[i], "ok "+name) || strings.HasPrefix(w[i], "skip "+name+":")) {
			continue
		}
		t.Logf("known gap (%s): %s", why, g[i])
		g[i] = w[i]
		gaps++
	}
	for i := range g {
		var n int
		if _, err := fmt.Sscanf(g[i], "done, %d failed", &n); err == nil && gaps > 0 {
			g[i] = fmt.Sprintf("done, %d failed", n-gaps)
		}
	}
	return strings.Join(g, "\n")
}

func readWant(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// diff compares the expected and actual consoles line by line and
// describes every difference ("" when they match). With okForSkip an
// "ok NAME" line matches an expected "skip NAME: reason".
func diff(want, got string, okForSkip bool) string {
	w := strings.Split(want, "\n")
	g := strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl == gl {
			continue
		}
		if okForSkip && strings.HasPrefix(wl, "skip ") && strings.HasPrefix(gl, "ok ") {
			name := strings.TrimPrefix(gl, "ok ")
			if strings.HasPrefix(wl, "skip "+name+":") {
				continue
			}
		}
		fmt.Fprintf(&b, "line %d: want %q\n         got  %q\n", i+1, wl, gl)
	}
	return b.String()
}

// TestDiff pins the comparison rules: an "ok" may stand for an expected
// "skip" of the same check only under okForSkip, and nothing else differs.
func TestDiff(t *testing.T) {
	gemuGaps["i386/b"] = "a test gap"
	defer delete(gemuGaps, "i386/b")
	gapped := allowGaps(t, "i386", "ok a\nok b\nok c\ndone, 0 failed\n", "ok a\nFAIL b: x\nok c\ndone, 1 failed\n")
	if gapped != "ok a\nok b\nok c\ndone, 0 failed\n" {
		t.Errorf("allowGaps left %q", gapped)
	}
	if g := allowGaps(t, "i386", "ok a\nok b\nok c\ndone, 0 failed\n", "ok a\nok b\nFAIL c: y\ndone, 1 failed\n"); g != "ok a\nok b\nFAIL c: y\ndone, 1 failed\n" {
		t.Errorf("allowGaps hid a failure outside the gaps: %q", g)
	}
	want := "gemu test kernel i386\nok a\nskip b: qemu cannot\ndone, 0 failed\n"
	for _, c := range []struct {
		got       string
		okForSkip bool
		same      bool
	}{
		{want, false, true},
		{want, true, true},
		{"gemu test kernel i386\nok a\nok b\ndone, 0 failed\n", true, true},
		{"gemu test kernel i386\nok a\nok b\ndone, 0 failed\n", false, false},
		{"gemu test kernel i386\nok a\nok bb\ndone, 0 failed\n", true, false},
		{"gemu test kernel i386\nok a\nFAIL b: x\ndone, 1 failed\n", true, false},
		{"gemu test kernel i386\nok a\nskip b: qemu cannot\n", true, false},
	} {
		if d := diff(want, c.got, c.okForSkip); (d == "") != c.same {
			t.Errorf("diff(%q, okForSkip %v) = %q, want same=%v", c.got, c.okForSkip, d, c.same)
		}
	}
}
