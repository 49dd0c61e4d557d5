package guest

// TestENOSYSMatchesDocs walks the whole system call table of each ABI
// under gemu (testdata/enosys_probe.c calls every number with every
// argument -1) and checks the answers against docs/syscalls.md, which is
// generated from gemu's tables: a call the document says gemu does not
// serve must answer ENOSYS, and a call it says gemu serves must not,
// unless the native kernel answers these arguments with ENOSYS too (an
// unknown sub-command: futex's, ipc's, modify_ldt's). A silent ENOSYS from
// a registered handler, or a stale line in the document, fails here.

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// docCall is a row of docs/syscalls.md.
type docCall struct {
	name   string
	nr     [2]int // i386, x86-64; -1 where the ABI has no such call
	served bool
}

func readSyscallsDoc(t *testing.T) []docCall {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "syscalls.md"))
	if err != nil {
		t.Fatal(err)
	}
	var calls []docCall
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Split(l, " | ")
		if len(f) < 5 || !strings.HasPrefix(l, "| ") || f[1] == "i386" || strings.HasPrefix(f[1], "---") {
			continue
		}
		c := docCall{name: strings.TrimPrefix(f[0], "| "), served: f[3] == "served"}
		for i, s := range f[1:3] {
			c.nr[i] = -1
			if n, err := strconv.Atoi(s); err == nil {
				c.nr[i] = n
			}
		}
		calls = append(calls, c)
	}
	if len(calls) < 300 {
		t.Fatalf("docs/syscalls.md: only %d calls read", len(calls))
	}
	return calls
}

// probeENOSYS runs the probe and returns the numbers answered with
// ENOSYS and the numbers it skipped.
func probeENOSYS(t *testing.T, argv []string) (enosys, skipped map[int]bool) {
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = t.TempDir()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, errb.Bytes())
	}
	enosys, skipped = map[int]bool{}, map[int]bool{}
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		l := sc.Text()
		m := enosys
		if s, ok := strings.CutPrefix(l, "skip "); ok {
			l, m = s, skipped
		}
		n, err := strconv.Atoi(l)
		if err != nil {
			t.Fatalf("probe output %q", sc.Text())
		}
		m[n] = true
	}
	return enosys, skipped
}

func TestENOSYSMatchesDocs(t *testing.T) {
	g := gemu(t)
	calls := readSyscallsDoc(t)
	for i, arch := range []string{"i386", "x86_64"} {
		t.Run(arch, func(t *testing.T) {
			checkToolchain(t, arch)
			bin := filepath.Join(t.TempDir(), "enosys_probe")
			flag := map[string]string{"i386": "-m32", "x86_64": "-m64"}[arch]
			if out, err := exec.Command("cc", flag, "-static", "-O1", "-o", bin, "testdata/enosys_probe.c").CombinedOutput(); err != nil {
				t.Fatalf("cannot build the probe: %v\n%s", err, out)
			}
			emu, skipped := probeENOSYS(t, append(append([]string{g}, gemuFlags()...), bin))
			// The native answers, where the kernel runs the ABI itself.
			var native map[int]bool
			if arch == "x86_64" || !i386ThroughQemu() {
				native, _ = probeENOSYS(t, []string{bin})
			}
			for _, c := range calls {
				nr := c.nr[i]
				if nr < 0 || skipped[nr] {
					continue
				}
				switch {
				case !c.served && !emu[nr]:
					t.Errorf("%s (%d): docs/syscalls.md says gemu does not serve it, but gemu answers it (not ENOSYS)", c.name, nr)
				case c.served && emu[nr] && native != nil && !native[nr]:
					t.Errorf("%s (%d): served per docs/syscalls.md, but gemu answers ENOSYS where the kernel does not", c.name, nr)
				}
			}
		})
	}
}
