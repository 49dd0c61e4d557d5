package startsig

import (
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
)

// TestIgnored runs this test binary again with SIGQUIT, SIGUSR1 and
// SIGTERM ignored (a child inherits SIG_IGN across execve) and checks that
// the child sees those (and not SIGUSR2, reset to the default), though the Go runtime installed its own
// handlers for them before any Go code ran.
func TestIgnored(t *testing.T) {
	if os.Getenv("STARTSIG_CHILD") != "" {
		os.Stdout.WriteString(strconv.FormatUint(Ignored(), 16))
		os.Exit(0)
	}
	want := uint64(1)<<(syscall.SIGQUIT-1) | 1<<(syscall.SIGUSR1-1) | 1<<(syscall.SIGTERM-1)
	cmd := exec.Command("sh", "-c", `trap "" QUIT USR1 TERM; trap - USR2; exec "$0" -test.run=TestIgnored`, os.Args[0])
	cmd.Env = append(os.Environ(), "STARTSIG_CHILD=1")
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	got, err := strconv.ParseUint(string(out), 16, 64)
	if err != nil {
		t.Fatalf("child printed %q", out)
	}
	if got&want != want {
		t.Fatalf("ignored at start %#x, want %#x among them", got, want)
	}
	if usr2 := uint64(1) << (syscall.SIGUSR2 - 1); got&usr2 != 0 {
		t.Fatalf("ignored at start %#x includes SIGUSR2, which the shell reset to the default", got)
	}
}
