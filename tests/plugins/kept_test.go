package plugins

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// TestKeptHandle: a plugin thread that calls qemulib_read_register and
// qemulib_read_memory with a cpu handle kept from a callback, while the
// guest runs, gets failures (never a crash or a Go runtime error), and so
// does plugin_exit with it; the same calls inside the callback succeed;
// qemulib_log works from the plugin's thread.
func TestKeptHandle(t *testing.T) {
	for _, mode := range modes {
		t.Run(archName(mode), func(t *testing.T) {
			r := runGemu(t, true, "-plugin", "file="+testPlugin(t, "hammer"), guest(t, mode))
			wantOK(t, r)
			if r.stderr != "" {
				t.Errorf("stderr: %s", r.stderr)
			}
			if !slices.Contains(r.log, "HAMMER thread logging") {
				t.Errorf("qemulib_log from the plugin's thread is not in the log:\n%s", strings.Join(r.log, "\n"))
			}
			var calls, regOK, memOK, insideOK, insideBad uint64
			var exitReg, exitMem int
			found := false
			for _, l := range r.log {
				if _, err := fmt.Sscanf(l, "HAMMER calls=%d reg_ok=%d mem_ok=%d inside_ok=%d inside_bad=%d exit_reg=%d exit_mem=%d",
					&calls, &regOK, &memOK, &insideOK, &insideBad, &exitReg, &exitMem); err == nil {
					found = true
				}
			}
			if !found {
				t.Fatalf("no HAMMER summary in the log:\n%s", strings.Join(r.log, "\n"))
			}
			t.Logf("thread: %d calls with the kept handle, %d register and %d memory reads succeeded; in the callback %d succeeded, %d failed; after the run: read_register %d, read_memory %d",
				calls, regOK, memOK, insideOK, insideBad, exitReg, exitMem)
			if calls < 1000 || regOK != 0 || memOK != 0 {
				t.Errorf("kept handle from another thread: %d calls, %d register and %d memory reads succeeded; want >= 1000 calls, all failing", calls, regOK, memOK)
			}
			if insideOK == 0 || insideBad != 0 {
				t.Errorf("inside plugin_before_tb: %d reads succeeded, %d failed; want all to succeed", insideOK, insideBad)
			}
			if exitReg != 0 || exitMem == 0 {
				t.Errorf("kept handle in plugin_exit: read_register returned %d, read_memory %d; want 0 and non-zero", exitReg, exitMem)
			}
		})
	}
}
