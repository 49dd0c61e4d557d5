package plugins

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestPluginsDropEndedVCPUs creates and joins 3,000 guest threads, one at
// a time, under a C plugin and a Go tracer that hook every vCPU, and checks
// that gemu's peak memory stays under 100 MB: when a thread ends, the
// plugins drop their vCPU (Hooks.VCPUExit), so its CPU, engine and
// translated code are freed. Kept, they cost about 230 KB a thread (690
// MB here). Its name keeps it out of make test-race's Thread pattern: the
// -race gemu needs several times the memory.
func TestPluginsDropEndedVCPUs(t *testing.T) {
	needGemu(t)
	const limit = 100 << 20
	prog := buildOnce(t, "thread_churn", "cc", "-static", "-O1", "-pthread", "-I"+filepath.Join(repoRoot, "tests/guest/src"),
		filepath.Join(repoRoot, "tests/guest/src/thread_churn.c"))
	lib := testPlugin(t, "tbcount")
	logPath := filepath.Join(t.TempDir(), "gemu.log")
	cmd := exec.Command(gemuPath, "-D", logPath, "-plugin", "file="+lib, "-plugin", "gocount", prog, "3000", "1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%v\nstderr: %s", err, stderr.String())
	}
	if !strings.HasPrefix(stdout.String(), "threads 3000 batch 1: joined 3000 failed 0 ") {
		t.Fatalf("guest printed %q", stdout.String())
	}
	rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10
	t.Logf("3000 threads under a C plugin and gocount: gemu peak RSS %.1f MB", float64(rss)/(1<<20))
	if rss >= limit {
		t.Errorf("gemu peak RSS %d bytes, want < %d", rss, limit)
	}
}
