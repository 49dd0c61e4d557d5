package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestBadInput runs gemu-system on bad input of each kind: it must print
// one line naming the problem on stderr and end with status 1, never a Go
// panic or a runtime dump.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "gemu-system")
	if b, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, b)
	}
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	notKernel := write("notkernel", []byte("#!/bin/sh\necho hello\n"))
	// A bzImage header claiming protocol 2.00 (too old).
	old := make([]byte, 4096)
	copy(old[0x202:], "HdrS")
	old[0x206], old[0x207] = 0x00, 0x02
	old[0x1fe], old[0x1ff] = 0x55, 0xaa
	old[0x1f1] = 4
	oldKernel := write("oldkernel", old)
	// A valid multiboot kernel is not needed for the RAM checks: the
	// Debian kernel, if fetched, is.
	debian, _ := filepath.Abs("../../out/sys/vmlinuz-amd64")
	big := write("big.initrd", make([]byte, 20<<20))
	for _, tc := range []struct {
		name string
		args []string
		want string
		need string // a file the case needs, skipped without it
	}{
		{"no kernel", nil, "no kernel given", ""},
		{"missing kernel", []string{"-kernel", filepath.Join(dir, "absent")}, "cannot read kernel", ""},
		{"not a kernel", []string{"-kernel", notKernel}, "not a bzImage", ""},
		{"old protocol", []string{"-kernel", oldKernel}, "notkernel", ""},
		{"missing initrd", []string{"-kernel", notKernel, "-initrd", filepath.Join(dir, "absent")}, "cannot read initrd", ""},
		{"bad option", []string{"-kernel", notKernel, "-smp", "4"}, "one CPU", ""},
		{"bad cpu", []string{"-kernel", notKernel, "-cpu", "pentium9"}, "unknown CPU model", ""},
		{"bad drive", []string{"-kernel", notKernel, "-drive", "file=" + filepath.Join(dir, "absent") + ",format=raw,if=virtio"}, "-drive", ""},
		{"kernel too big for RAM", []string{"-kernel", debian, "-m", "32M"}, "MiB", debian},
		{"initrd too big for RAM", []string{"-kernel", debian, "-m", "96M", "-initrd", big}, "initrd", debian},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.need != "" {
				if _, err := os.Stat(tc.need); err != nil {
					t.Skipf("%s not fetched (scripts/sysdeps)", tc.need)
				}
			}
			cmd := exec.Command(bin, append(tc.args, "-nographic", "-serial", "none")...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			ee, ok := err.(*exec.ExitError)
			if !ok || ee.ExitCode() != 1 {
				t.Fatalf("status: %v, want exit status 1; stderr %q", err, stderr.String())
			}
			msg := stderr.String()
			if strings.Count(msg, "\n") != 1 || !strings.HasPrefix(msg, "gemu-system: ") {
				t.Fatalf("stderr %q, want one line starting with gemu-system:", msg)
			}
			if tc.name == "old protocol" {
				tc.want = filepath.Base(oldKernel)
			}
			if !strings.Contains(msg, tc.want) || strings.Contains(msg, "goroutine") {
				t.Fatalf("stderr %q, want it to mention %q", msg, tc.want)
			}
		})
	}
}

// idleKernel returns a multiboot (a.out kludge) image that enables
// interrupts and halts forever: a machine with nothing to do.
func idleKernel() []byte {
	const load = 0x100000
	img := make([]byte, 36)
	put := func(off int, v uint32) {
		img[off], img[off+1], img[off+2], img[off+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
	}
	const magic, flags = 0x1badb002, 1 << 16
	put(0, magic)
	put(4, flags)
	sum := uint32(magic + flags)
	put(8, -sum)                                   // the three fields sum to zero
	put(12, load)                                  // header_addr
	put(16, load)                                  // load_addr
	put(20, 0)                                     // load_end_addr: the whole file
	put(24, 0)                                     // bss_end_addr: none
	put(28, load+32)                               // entry_addr
	copy(img[32:], []byte{0xfb, 0xf4, 0xeb, 0xfd}) // sti; hlt; jmp hlt
	return img
}

// TestQuit ends an idle machine with Ctrl-A X on the console and with
// SIGTERM: status 0 both times, the plugins' exit callbacks run (the insn
// counter's summary reaches the log).
func TestQuit(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "gemu-system")
	if b, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, b)
	}
	kernel := filepath.Join(dir, "idle")
	if err := os.WriteFile(kernel, idleKernel(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, how := range []string{"ctrl-a x", "sigterm"} {
		t.Run(how, func(t *testing.T) {
			log := filepath.Join(dir, strings.ReplaceAll(how, " ", "")+".log")
			cmd := exec.Command(bin, "-kernel", kernel, "-nographic", "-plugin", "insn", "-D", log)
			stdin, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(500 * time.Millisecond)
			if how == "sigterm" {
				cmd.Process.Signal(syscall.SIGTERM)
			} else {
				stdin.Write([]byte("\x01x"))
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("gemu-system: %v, want status 0", err)
				}
			case <-time.After(30 * time.Second):
				cmd.Process.Kill()
				t.Fatal("gemu-system did not end")
			}
			b, _ := os.ReadFile(log)
			if !strings.Contains(string(b), "insns: ") {
				t.Errorf("log %q lacks the insn plugin's summary", b)
			}
		})
	}
}
