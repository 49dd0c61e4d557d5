package linuxboot

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"gemu/internal/cpio"
)

// buildSeedPlugin compiles one of the seed's example plugins, unmodified
// (examples/ holds them as the seed gives them).
func buildSeedPlugin(t *testing.T, name, dir string) string {
	t.Helper()
	src := filepath.Join("../../examples", name+".c")
	inc, _ := filepath.Abs("../../include")
	out := filepath.Join(dir, "lib"+name+".so")
	if b, err := exec.Command("cc", "-shared", "-fPIC", "-O2", "-I"+inc, "-o", out, src).CombinedOutput(); err != nil {
		t.Fatalf("building %s: %v\n%s", name, err, b)
	}
	return out
}

// quickInit runs a few programs (each one system calls through the vDSO's
// sysenter on i386) and powers off.
const quickInit = `#!/bin/sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
echo "=== ran $(ls / | wc -l) entries"
poweroff -f
`

// TestSystemPlugins boots Debian's i386 kernel with the seed's syscall_log
// plugin, unchanged, and the built-in hwtrace: syscall_log logs both the
// sysenter and the sysexit instructions (the kernel's own, which a user
// mode emulator never sees), hwtrace shows the UART's transmitter being
// written on port 0x3f8 and the timer's interrupt (IRQ 0, vector 0x30 as
// Linux sets up the 8259A) arriving.
func TestSystemPlugins(t *testing.T) {
	sys := sysDir(t)
	g := gemuSystem(t)
	dir := t.TempDir()
	f := flavours(sys)[0]
	bb, err := os.ReadFile(f.busybox)
	if err != nil {
		t.Fatal(err)
	}
	rd := filepath.Join(dir, "initrd.gz")
	out, err := os.Create(rd)
	if err != nil {
		t.Fatal(err)
	}
	if err := cpio.Initramfs(out, bb, []byte(quickInit), nil); err != nil {
		t.Fatal(err)
	}
	out.Close()
	lib := buildSeedPlugin(t, "syscall_log", dir)
	log := filepath.Join(dir, "plugins.log")
	ctx, cancel := context.WithTimeout(context.Background(), bootTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, g, "-kernel", f.kernel, "-initrd", rd, "-append", cmdline, "-m", "256M",
		"-nographic", "-no-reboot", "-serial", "none",
		"-plugin", "file="+lib, "-plugin", "hwtrace,args=ports+int", "-D", log)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("gemu-system: %v\n%s", err, stderr.String())
	}
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	count := func(re string) int { return len(regexp.MustCompile("(?m)"+re).FindAllStringIndex(text, -1)) }
	enter, exit := count(`^sysenter [0-9a-f]+$`), count(`^sysexit [0-9a-f]+$`)
	uart := count(`^out 0x3f8 <- `)
	timer := count(`^int 0x30 hw `)
	t.Logf("sysenter %d, sysexit %d, UART writes %d, timer interrupts %d", enter, exit, uart, timer)
	// Every program's system calls enter through sysenter; most return
	// through sysexit (some through IRET: exec, signals, a new task).
	if enter < 50 || exit < enter/2 || exit > enter {
		t.Errorf("sysenter %d and sysexit %d lines, want many of each, no more exits than entries", enter, exit)
	}
	// "=== ran N entries\r\n" at least went through the UART.
	if uart < 18 {
		t.Errorf("%d writes to port 0x3f8, want the console's", uart)
	}
	if timer < 10 {
		t.Errorf("%d timer interrupts (vector 0x30), want the PIT's ticks", timer)
	}
}

// TestInsnLogCount runs the test kernel that triple-faults after one line
// with the seed's insn_log plugin and the built-in insn counter: insn_log
// logs one line per executed instruction, kernel code included, and the
// counts agree.
func TestInsnLogCount(t *testing.T) {
	g := gemuSystem(t)
	dir := t.TempDir()
	if b, err := exec.Command("make", "--no-print-directory", "-C", "../system", "OUT="+dir).CombinedOutput(); err != nil {
		t.Fatalf("building the test kernels: %v\n%s", err, b)
	}
	lib := buildSeedPlugin(t, "insn_log", dir)
	log := filepath.Join(dir, "insn.log")
	cmd := exec.Command(g, "-kernel", filepath.Join(dir, "triplefault"), "-nographic", "-no-reboot",
		"-serial", "none", "-plugin", "file="+lib, "-plugin", "insn", "-D", log)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("gemu-system: %v\n%s", err, b)
	}
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Count(string(b), "executing instruction at ")
	m := regexp.MustCompile(`(?m)^insns: (\d+)$`).FindStringSubmatch(string(b))
	if m == nil {
		t.Fatalf("no insns: line in the log:\n%s", tail(string(b)))
	}
	n, _ := strconv.Atoi(m[1])
	t.Logf("insn_log lines %d, insn count %d", lines, n)
	if lines != n || n < 100 {
		t.Errorf("insn_log logged %d instructions, -plugin insn counted %d", lines, n)
	}
}
