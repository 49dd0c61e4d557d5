package guest

import (
	"bytes"
	"fmt"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// Resource tests: gemu's own memory stays bounded where the guest's does.
// They run gemu (not a differential run: the native side is not the point)
// and read its peak resident set from wait4's rusage, which the kernel
// keeps for the child whatever the guest does with /proc.

// peakRSS runs argv with no input and returns its stdout and peak resident
// set size in bytes (rusage ru_maxrss), failing t if it does not exit 0.
func peakRSS(t *testing.T, argv []string, timeout time.Duration) (string, int64) {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = t.TempDir()
	cmd.Env = baseEnv(cmd.Dir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(timeout, func() { cmd.Process.Kill() })
	err := cmd.Wait()
	if !timer.Stop() {
		t.Fatalf("%v: timed out after %v", argv, timeout)
	}
	if err != nil {
		t.Fatalf("%v: %v\nstderr: %s", argv, err, clip(stderr.Bytes(), 500))
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		t.Fatal("no rusage for the child")
	}
	return stdout.String(), ru.Maxrss << 10 // kilobytes on Linux
}

// TestThreadChurnRSS creates and joins 20,000 guest threads, one at a time
// and in batches of 8, and checks that gemu's peak memory stays under
// 100 MB: an ended thread must leave nothing behind (its CPU, engine and
// translated blocks), and the stacks glibc maps and unmaps for batches must
// cost gemu nothing while untouched. Before the fix each thread kept about
// 230 KB (4.6 GB for 20,000).
func TestThreadChurnRSS(t *testing.T) {
	const threads, limit = 20000, 100 << 20
	prog := &program{name: "thread_churn", path: filepath.Join(srcDir, "thread_churn.c")}
	for _, batch := range []int{1, 8} {
		t.Run(fmt.Sprintf("batch%d", batch), func(t *testing.T) {
			t.Parallel()
			bin := buildProgram(t, prog, archs[1]) // x86_64
			argv := append(append([]string{gemu(t)}, gemuFlags()...), bin, fmt.Sprint(threads), fmt.Sprint(batch))
			start := time.Now()
			out, rss := peakRSS(t, argv, 5*runTimeout())
			t.Logf("%d threads, %d at a time: gemu peak RSS %.1f MB in %v", threads, batch, float64(rss)/(1<<20), time.Since(start).Round(10*time.Millisecond))
			want := fmt.Sprintf("threads %d batch %d: joined %d failed 0 ", threads, batch, threads)
			if !bytes.HasPrefix([]byte(out), []byte(want)) {
				t.Errorf("guest printed %q, want a line starting %q", out, want)
			}
			if rss >= limit {
				t.Errorf("gemu peak RSS %d bytes for %d threads, want < %d", rss, threads, limit)
			}
		})
	}
}
