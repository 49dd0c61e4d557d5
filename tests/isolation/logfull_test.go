package isolation

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestUnwritableLog: a -D log that cannot be written (/dev/full) is
// reported once, as one line on gemu's stderr, and the guest runs to its
// end with its own output and exit status (it was silently dropped).
func TestUnwritableLog(t *testing.T) {
	if buildErr != nil {
		t.Fatalf("cannot build cmd/gemu: %v", buildErr)
	}
	var want strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&want, "line %d\n", i)
	}
	for _, mode := range []string{"32", "64"} {
		bin := filepath.Join(workDir, "logfull"+mode)
		if out, err := exec.Command("cc", "-m"+mode, "-static", "-O1", "-o", bin, "testdata/logfull.c").CombinedOutput(); err != nil {
			t.Fatalf("cannot build the guest (gcc-multilib installed?): %v\n%s", err, out)
		}
		for _, opts := range [][]string{{"-strace"}, {"-d", "in_asm,exec"}} {
			args := append(append([]string{"-D", "/dev/full"}, opts...), bin)
			r := execute(t, gemuPath, args...)
			name := mode + " " + strings.Join(opts, " ")
			if r.status != "exit status 5" || r.stdout != want.String() {
				t.Errorf("%s: %s, stdout %d bytes (want exit status 5 and %d bytes)", name, r.status, len(r.stdout), want.Len())
			}
			const line = "gemu: log lost: write /dev/full: no space left on device\n"
			if r.stderr != line {
				t.Errorf("%s: stderr %q, want %q", name, tail(r.stderr), line)
			}
		}
	}
}
