// Package system holds gemu-system's tests against real machines: the
// freestanding test kernels in kernel/ (built with the host's gcc, booted
// as multiboot and as Linux boot protocol images) print one line per CPU
// check over COM1. The expected output in testdata/ is what qemu-system
// prints (TCG); these tests confirm it under qemu-system where installed
// and compare gemu-system's output with it once cmd/gemu-system exists.
// README.md says what the kernels check and how to run them.
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
	"sync"
	"syscall"
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

// gemu32Model is gemu-system's 32-bit-only CPU model (-cpu help).
const gemu32Model = "gemu32"

// gemuFormatGaps lists image formats gemu-system cannot boot yet, with the
// reason: their runs are skipped.
var gemuFormatGaps = map[string]string{}

// runTimeout bounds one boot; each kernel ends in about 3 s under qemu's
// TCG (the PIT checks wait for RTC second edges), even on a loaded host.
const runTimeout = 30 * time.Second

// header is the kernel's first line; what comes before it (the firmware's
// messages under qemu) is dropped.
const header = "gemu test kernel "

// The kernels and gemu-system are built once per test binary, into
// workDir (removed by TestMain).
var (
	workDir    string
	kernelOnce sync.Once
	kernelSkip string // why the kernels cannot be built here
	kernelErr  error
	gemuOnce   sync.Once
	gemuPath   string
	gemuSkip   string
	gemuErr    error
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gemu-testkernel-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	workDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildKernels runs the Makefile into workDir/kernels (once) and returns
// that directory.
func buildKernels(t *testing.T) string {
	t.Helper()
	out := filepath.Join(workDir, "kernels")
	kernelOnce.Do(func() {
		for _, tool := range []string{"make", "gcc", "objcopy"} {
			if _, err := exec.LookPath(tool); err != nil {
				kernelSkip = fmt.Sprintf("%s not installed: %v", tool, err)
				return
			}
		}
		cmd := exec.Command("make", "--no-print-directory", "OUT="+out)
		if b, err := cmd.CombinedOutput(); err != nil {
			kernelErr = fmt.Errorf("make: %v\n%s", err, b)
		}
	})
	if kernelSkip != "" {
		t.Skip(kernelSkip)
	}
	if kernelErr != nil {
		t.Fatal(kernelErr)
	}
	return out
}

// console turns a run's serial output into the kernel's lines: from the
// first occurrence of header on (qemu's firmware leaves its last message
// unterminated), CR LF as LF.
func console(b []byte, header string) string {
	s := strings.ReplaceAll(string(b), "\r\n", "\n")
	if i := strings.Index(s, header); i >= 0 {
		return s[i:]
	}
	return s
}

// run boots an image under the emulator at path and returns its console
// (from header on) and exit status (-1: it did not end within runTimeout,
// which is reported as an error).
func run(t *testing.T, header, path string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	out := console(stdout.Bytes(), header)
	if ctx.Err() != nil {
		t.Errorf("%s did not end within %v; console so far:\n%s", filepath.Base(path), runTimeout, out)
		return out, -1
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ee.ExitCode() != 1 || !strings.HasPrefix(filepath.Base(path), "qemu") {
			t.Logf("%s: %v\nstderr: %s", filepath.Base(path), err, stderr.Bytes())
		}
		return out, ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return out, 0
}

// qemuArgs are the options of every qemu-system run besides -kernel:
// isa-debug-exit ends qemu at the kernel's power-off with status 1.
var qemuArgs = []string{"-nographic", "-no-reboot", "-serial", "stdio", "-monitor", "none",
	"-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"}

// gemuArgs are the options of every gemu-system run besides -kernel.
var gemuArgs = []string{"-nographic", "-no-reboot", "-serial", "stdio"}

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
				got, status := run(t, header, qemu, append([]string{"-kernel", filepath.Join(dir, k.image+f.suffix)}, qemuArgs...)...)
				if status != 1 {
					t.Errorf("%s exit status %d, want 1 (isa-debug-exit)", k.qemu, status)
				}
				if os.Getenv("TESTKERNEL_UPDATE") == "1" && f.suffix == "" {
					if err := os.WriteFile(k.want, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want := readWant(t, k.want)
				if got != want {
					d := diff(want, got, false)
					if d == "" {
						d = "the same lines in another order"
					}
					t.Errorf("%s output differs from %s:\n%s", k.qemu, k.want, d)
				}
			})
		}
	}
}

// TestKernelQemuMax runs the kernels under qemu's -cpu max, whose CPUID
// has what the default models lack (NX on i386, 1 GiB pages, SMEP, SMAP,
// XSAVE, RDTSCP): the checks behind those CPUID bits must pass too, so no
// FAIL line and a summary of none. (No expected file: the skips differ.)
func TestKernelQemuMax(t *testing.T) {
	dir := buildKernels(t)
	for _, k := range kernels {
		t.Run(k.name, func(t *testing.T) {
			qemu, err := exec.LookPath(k.qemu)
			if err != nil {
				t.Skipf("%s not installed", k.qemu)
			}
			got, status := run(t, header, qemu, append([]string{"-cpu", "max", "-kernel", filepath.Join(dir, k.image)}, qemuArgs...)...)
			if status != 1 || !strings.HasPrefix(got, header+k.name+"\n") || !strings.HasSuffix(got, "\ndone, 0 failed\n") || strings.Contains(got, "\nFAIL") {
				t.Errorf("%s -cpu max: status %d, console:\n%s", k.qemu, status, got)
			}
			for _, name := range []string{"ok xsave", "ok paging4-1g", "ok pae-pf-nx-fetch", "ok paging4-smep", "ok paging2-smap"} {
				if strings.Contains(got, name[3:]) && !strings.Contains(got, name+"\n") {
					t.Errorf("%s -cpu max: want %q", k.qemu, name)
				}
			}
		})
	}
}

// gemuSystem returns a gemu-system binary: $GEMU_SYSTEM if set, else a
// build of ../../cmd/gemu-system (once); it skips the test while that
// command does not exist yet.
func gemuSystem(t *testing.T) string {
	t.Helper()
	gemuOnce.Do(func() {
		if p := os.Getenv("GEMU_SYSTEM"); p != "" {
			gemuPath = p
			return
		}
		if _, err := os.Stat("../../cmd/gemu-system"); err != nil {
			gemuSkip = "cmd/gemu-system does not exist yet"
			return
		}
		gemuPath = filepath.Join(workDir, "gemu-system")
		cmd := exec.Command("go", "build", "-o", gemuPath, "../../cmd/gemu-system")
		if b, err := cmd.CombinedOutput(); err != nil {
			gemuErr = fmt.Errorf("go build ./cmd/gemu-system: %v\n%s", err, b)
		}
	})
	if gemuSkip != "" {
		t.Skip(gemuSkip)
	}
	if gemuErr != nil {
		t.Fatal(gemuErr)
	}
	return gemuPath
}

// gemuGaps lists checks gemu-system is known to get wrong, "KERNEL/CHECK"
// (e.g. "i386/pit-ch2-rtc") with the reason: whatever gemu-system prints
// for them (FAIL, skip, nothing) is logged and taken as the expected line,
// and the summary's count leaves their failures out. A group a crash ended
// is "KERNEL/group-NAME" (its FAIL line is dropped; list the checks it cut
// off too), the crash's own report "KERNEL/unexpected-exception". Use it
// only for honest, documented gaps, and empty it as they close.
var gemuGaps = map[string]string{
	// The debug exception: the DR0-DR3 breakpoints do nothing.
	"i386/exc-db-dr0":   noDRx,
	"x86_64/exc-db-dr0": noDRx,
}

const noDRx = "the DR0-DR3 breakpoints of DR7 raise nothing"

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
				got, status := run(t, header, gemu, append([]string{"-kernel", filepath.Join(dir, k.image+f.suffix)}, gemuArgs...)...)
				if status != 0 {
					t.Errorf("gemu-system exit status %d, want 0 (halted with interrupts off)", status)
				}
				got = allowGaps(t, k.name, want, got)
				if d := diff(want, got, true); d != "" {
					t.Errorf("gemu-system output differs from %s:\n%s", k.want, d)
				}
			})
		}
	}
	// The i386 kernel on the 32-bit-only CPU model too (the default is
	// the 64-bit one).
	t.Run("i386/"+gemu32Model, func(t *testing.T) {
		want := readWant(t, kernels[0].want)
		got, status := run(t, header, gemu, append([]string{"-cpu", gemu32Model, "-kernel", filepath.Join(dir, kernels[0].image)}, gemuArgs...)...)
		if status != 0 {
			t.Errorf("gemu-system exit status %d, want 0", status)
		}
		got = allowGaps(t, "i386", want, got)
		if d := diff(want, got, true); d != "" {
			t.Errorf("gemu-system -cpu %s output differs from %s:\n%s", gemu32Model, kernels[0].want, d)
		}
	})
}

// allowGaps applies gemuGaps to gemu-system's console for kernel.
func allowGaps(t *testing.T, kernel, want, got string) string {
	expected := map[string]string{}
	var order []string
	for _, l := range strings.Split(want, "\n") {
		if name := checkName(l); name != "" {
			expected[name] = l
			order = append(order, name)
		}
	}
	var out []string
	present := map[string]bool{}
	failed := 0 // FAIL lines of gaps
	for _, l := range strings.Split(got, "\n") {
		name := checkName(l)
		if name == "" && strings.HasPrefix(l, "FAIL unexpected exception") {
			name = "unexpected-exception"
		}
		why, gap := gemuGaps[kernel+"/"+name]
		if !gap {
			out = append(out, l)
			present[name] = true
			continue
		}
		if e := expected[name]; l == e || l == "ok "+name {
			t.Logf("gemuGaps: %s/%s passes now: take it out of the list", kernel, name)
		}
		t.Logf("known gap (%s): %q", why, l)
		if strings.HasPrefix(l, "FAIL ") && checkName(l) != "" {
			failed++
		}
		if e := expected[name]; e != "" {
			out = append(out, e)
			present[name] = true
		}
	}
	var missing []string
	for _, name := range order {
		if why, gap := gemuGaps[kernel+"/"+name]; gap && !present[name] {
			t.Logf("known gap (%s): %s printed nothing", why, name)
			missing = append(missing, expected[name])
		}
	}
	// The missing lines go before the summary (diff compares checks by
	// name, the other lines in order).
	for i := range out {
		var n int
		if _, err := fmt.Sscanf(out[i], "done, %d failed", &n); err == nil {
			out[i] = fmt.Sprintf("done, %d failed", n-failed)
			out = append(out[:i], append(missing, out[i:]...)...)
			missing = nil
			break
		}
	}
	out = append(out, missing...)
	return strings.Join(out, "\n")
}

// TestTripleFault boots a kernel that prints one line and triple-faults,
// and one that asks the keyboard controller for a reset: with -no-reboot
// the emulator ends with status 0 after that line.
func TestTripleFault(t *testing.T) {
	resetTest(t, "triplefault", "triple fault next\n")
}

func TestKbdReset(t *testing.T) {
	resetTest(t, "kbdreset", "keyboard controller reset next\n")
}

func resetTest(t *testing.T, kernel, want string) {
	dir := buildKernels(t)
	image := filepath.Join(dir, kernel)
	t.Run("qemu", func(t *testing.T) {
		qemu, err := exec.LookPath("qemu-system-i386")
		if err != nil {
			t.Skip("qemu-system-i386 not installed")
		}
		got, status := run(t, want, qemu, append([]string{"-kernel", image}, qemuArgs...)...)
		if got != want || status != 0 {
			t.Errorf("console %q status %d, want %q and 0", got, status, want)
		}
	})
	t.Run("gemu", func(t *testing.T) {
		gemu := gemuSystem(t)
		got, status := run(t, want, gemu, append([]string{"-kernel", image}, gemuArgs...)...)
		if got != want || status != 0 {
			t.Errorf("console %q status %d, want %q and 0", got, status, want)
		}
	})
}

func readWant(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// checkName returns the check a console line reports on ("ok NAME",
// "skip NAME: why", "FAIL NAME: what"), or "".
func checkName(line string) string {
	for _, kind := range []string{"ok ", "skip ", "FAIL "} {
		if rest, found := strings.CutPrefix(line, kind); found {
			name, _, _ := strings.Cut(rest, ":")
			if name != "" && !strings.Contains(name, " ") {
				return name
			}
		}
	}
	return ""
}

// diff compares the expected and actual consoles check by check and
// describes every difference ("" when they match): checks missing,
// different or unexpected, and any other line that is not the same in
// both (the header, the summary, a report of an unexpected exception).
// With okForSkip an "ok NAME" matches an expected "skip NAME: reason".
func diff(want, got string, okForSkip bool) string {
	type line struct{ name, text string }
	parse := func(s string) (checks []line, other []string) {
		for _, l := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
			if name := checkName(l); name != "" {
				checks = append(checks, line{name, l})
			} else {
				other = append(other, l)
			}
		}
		return
	}
	wc, wo := parse(want)
	gc, gotOther := parse(got)
	gotLine := map[string]string{}
	for _, c := range gc {
		if _, dup := gotLine[c.name]; dup {
			gotLine[c.name] += " (and again)"
			continue
		}
		gotLine[c.name] = c.text
	}
	var b strings.Builder
	seen := map[string]bool{}
	for _, c := range wc {
		seen[c.name] = true
		g, found := gotLine[c.name]
		switch {
		case !found:
			fmt.Fprintf(&b, "missing:    %q\n", c.text)
		case g == c.text:
		case okForSkip && strings.HasPrefix(c.text, "skip ") && g == "ok "+c.name:
		default:
			fmt.Fprintf(&b, "want %q\n     got  %q\n", c.text, g)
		}
	}
	for _, c := range gc {
		if !seen[c.name] {
			fmt.Fprintf(&b, "unexpected: %q\n", c.text)
		}
	}
	if strings.Join(wo, "\n") != strings.Join(gotOther, "\n") {
		fmt.Fprintf(&b, "other lines: want %q\n             got  %q\n", wo, gotOther)
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
	// A crash in b's group: the report and the group line go, b comes back.
	gemuGaps["i386/group-g"] = "a test gap"
	gemuGaps["i386/unexpected-exception"] = "a test gap"
	defer delete(gemuGaps, "i386/group-g")
	defer delete(gemuGaps, "i386/unexpected-exception")
	crash := allowGaps(t, "i386", "h\nok a\nok b\nok c\ndone, 0 failed\n",
		"h\nok a\nFAIL unexpected exception 14 at 8:1000\nFAIL group-g: stopped\nok c\ndone, 1 failed\n")
	if d := diff("h\nok a\nok b\nok c\ndone, 0 failed\n", crash, false); d != "" {
		t.Errorf("allowGaps after a crash left %q: %s", crash, d)
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
		{"gemu test kernel i386\nskip b: qemu cannot\nok a\ndone, 0 failed\n", false, true},
		{"gemu test kernel i386\nok a\nFAIL unexpected exception 14\nskip b: qemu cannot\ndone, 0 failed\n", false, false},
		{"gemu test kernel i386\nok a\nok a\nskip b: qemu cannot\ndone, 0 failed\n", false, false},
		{"gemu test kernel i386\nok a\nok c\nskip b: qemu cannot\ndone, 0 failed\n", false, false},
	} {
		if d := diff(want, c.got, c.okForSkip); (d == "") != c.same {
			t.Errorf("diff(%q, okForSkip %v) = %q, want same=%v", c.got, c.okForSkip, d, c.same)
		}
	}
}

// TestExpectedFiles keeps the expected files honest: a header, then only
// "ok NAME" and "skip NAME: reason" lines with unique names, and a summary
// of no failures (a FAIL written by TESTKERNEL_UPDATE fails here).
func TestExpectedFiles(t *testing.T) {
	for _, k := range kernels {
		lines := strings.Split(strings.TrimSuffix(readWant(t, k.want), "\n"), "\n")
		if len(lines) < 3 || lines[0] != header+k.name || lines[len(lines)-1] != "done, 0 failed" {
			t.Errorf("%s: first line %q, last %q", k.want, lines[0], lines[len(lines)-1])
			continue
		}
		seen := map[string]bool{}
		for i, l := range lines[1 : len(lines)-1] {
			kind, rest, _ := strings.Cut(l, " ")
			name, reason, hasReason := strings.Cut(rest, ": ")
			switch {
			case kind != "ok" && kind != "skip":
				t.Errorf("%s:%d: %q is neither ok nor skip", k.want, i+2, l)
			case kind == "ok" && hasReason, kind == "skip" && (!hasReason || reason == ""):
				t.Errorf("%s:%d: %q: ok takes no reason, skip needs one", k.want, i+2, l)
			case name == "" || strings.ContainsAny(name, " :"):
				t.Errorf("%s:%d: bad check name in %q", k.want, i+2, l)
			case seen[name]:
				t.Errorf("%s:%d: check %s twice", k.want, i+2, name)
			}
			seen[name] = true
		}
	}
}

// TestReboot runs the triple-faulting kernel without -no-reboot: each
// triple fault reboots the machine, which prints its line again, until
// SIGTERM ends gemu-system with status 0. The machines a reboot replaces
// are let go (their RAM unmapped): the process stays small however many
// times it reboots, and the insn plugin's count covers every boot.
func TestReboot(t *testing.T) {
	dir := buildKernels(t)
	gemu := gemuSystem(t)
	log := filepath.Join(t.TempDir(), "insn.log")
	cmd := exec.Command(gemu, "-kernel", filepath.Join(dir, "triplefault"), "-nographic", "-serial", "stdio",
		"-plugin", "insn", "-D", log)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second)
	status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("gemu-system after SIGTERM: %v, want status 0", err)
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatal("gemu-system did not end on SIGTERM while rebooting")
	}
	boots := strings.Count(stdout.String(), "triple fault next")
	var rssKB int
	for _, l := range strings.Split(string(status), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			fmt.Sscanf(strings.TrimPrefix(l, "VmRSS:"), "%d", &rssKB)
		}
	}
	b, _ := os.ReadFile(log)
	var insns int
	fmt.Sscanf(string(b), "insns: %d", &insns)
	t.Logf("%d boots in 3 s, RSS %d KiB, %d instructions", boots, rssKB, insns)
	if boots < 3 {
		t.Errorf("%d boots, want the kernel rebooted again and again", boots)
	}
	// 128 MiB of RAM a machine: without letting go of them, a few
	// thousand reboots would take gigabytes.
	if rssKB == 0 || rssKB > 512<<10 {
		t.Errorf("RSS %d KiB after %d reboots", rssKB, boots)
	}
	if insns < boots*100 {
		t.Errorf("insn counted %d instructions over %d boots", insns, boots)
	}
}
