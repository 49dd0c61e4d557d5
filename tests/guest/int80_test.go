package guest

// int $0x80 in 64-bit code: what an x86-64 Linux kernel with IA-32
// emulation gives 64-bit programs (the i386 system calls). The reference
// kernels of this project have IA-32 emulation switched off (natively int
// $0x80 in a 64-bit process is SIGSEGV there), so this test is not
// differential: the expected output is fixed by the Linux ABI, and the
// native run is compared only where the kernel serves it.

import (
	"bytes"
	"errors"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// int80Want is testdata/int80.c's output: i386 numbers (1 is exit, 4
// write, 20 getpid), arguments' low 32 bits only (a buffer above 4 GiB is
// EFAULT, upper halves of the number, descriptor and count are ignored),
// i386 structure layouts (gettimeofday's two 32-bit longs), mappings
// below 4 GiB, errors as 64-bit negative numbers, and every register but
// rax preserved (r8-r11 included).
const int80Want = `getpid via int $0x80 equals getpid: yes
written by int $0x80
write returned 21
written 
write with upper halves set returned 8
write from above 4 GiB: -14 (EFAULT is -14)
HIGH
the same write by syscall: 0
gettimeofday: 0, seconds close: yes, usec < 1e6: yes, 8 bytes written: yes
uname: 0 sysname Linux
mmap2: mapped, below 4 GiB: yes
mapping writable: yes
i386 number 500: -38
`

// TestInt80From64BitCode: int $0x80 in an x86-64 program is an i386
// system call, and the program ends through the i386 exit with status 7.
func TestInt80From64BitCode(t *testing.T) {
	g := gemu(t)
	bin := filepath.Join(t.TempDir(), "int80")
	if out, err := exec.Command("cc", "-m64", "-static", "-no-pie", "-O1", "-o", bin, "testdata/int80.c").CombinedOutput(); err != nil {
		t.Fatalf("cannot build the guest: %v\n%s", err, out)
	}
	for _, native := range []bool{false, true} {
		var cmd *exec.Cmd
		if native {
			cmd = exec.Command(bin)
		} else {
			cmd = exec.Command(g, bin)
		}
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		status := cmd.ProcessState.Sys().(syscall.WaitStatus)
		if native && status.Signaled() && status.Signal() == syscall.SIGSEGV {
			t.Logf("natively int $0x80 is SIGSEGV: this kernel has no IA-32 emulation, the native run is not compared")
			continue
		}
		name := map[bool]string{false: "gemu", true: "native"}[native]
		if got := out.String(); got != int80Want || errb.Len() != 0 || status.ExitStatus() != 7 {
			t.Errorf("%s: %s\nstdout:\n%s\nstderr:\n%s\nwant exit status 7 and\n%s", name, cmd.ProcessState, got, errb.String(), int80Want)
		}
	}
}
