package plugins

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestInsnCountsWithParallelThreads runs worker threads that execute at
// the same time on several host threads under the insn tracer and the
// seed's insn_log (testdata/insnthreads.c): the counts stay exact (every
// worker adds the same number of instructions, whatever number run
// beside it, and a run is repeated with the same total), and insn_log's
// lines, written from every thread into one -D log, are whole lines, as
// many as insn's total.
func TestInsnCountsWithParallelThreads(t *testing.T) {
	line := regexp.MustCompile(`^executing instruction at [0-9a-fx]+$`)
	for _, mode := range modes {
		t.Run(archName(mode), func(t *testing.T) {
			arch := "-m64"
			if mode == 32 {
				arch = "-m32"
			}
			prog := buildOnce(t, fmt.Sprintf("insnthreads%d", mode), "cc", arch, "-static", "-O1", "-pthread", filepath.Join("testdata", "insnthreads.c"))
			count := func(n int, iters ...string) int {
				r := runGemu(t, true, append([]string{"-plugin", "insn", prog, strconv.Itoa(n)}, iters...)...)
				if r.status != 0 || r.stdout != "done\n" {
					t.Fatalf("%d workers: status %d, stdout %q, stderr %s", n, r.status, r.stdout, r.stderr)
				}
				last := r.log[len(r.log)-1]
				v, err := strconv.Atoi(strings.TrimPrefix(last, "insns: "))
				if err != nil {
					t.Fatalf("last log line %q, want insns: N", last)
				}
				return v
			}
			c := []int{count(1), count(2), count(3), count(4)}
			per := c[1] - c[0]
			for n := 2; n < 4; n++ {
				if d := c[n] - c[n-1]; d != per {
					t.Errorf("worker %d added %d instructions, worker 2 added %d (counts for 1..4 workers: %v)", n+1, d, per, c)
				}
			}
			if again := count(4); again != c[3] {
				t.Errorf("4 workers: %d instructions, then %d", c[3], again)
			}
			if per < 8000000 {
				t.Errorf("a worker added %d instructions, want its 2,000,000-iteration loop's", per)
			}

			// insn_log writes a line per instruction: a shorter loop.
			small := count(2, "20000")
			r := runGemu(t, true, "-plugin", "file="+example(t, "insn_log"), "-plugin", "insn", prog, "2", "20000")
			if r.status != 0 || r.stdout != "done\n" {
				t.Fatalf("insn_log run: status %d, stdout %q, stderr %s", r.status, r.stdout, r.stderr)
			}
			total, err := strconv.Atoi(strings.TrimPrefix(r.log[len(r.log)-1], "insns: "))
			if err != nil {
				t.Fatalf("last log line %q, want insns: N", r.log[len(r.log)-1])
			}
			body := r.log[:len(r.log)-1]
			if len(body) != total || total != small {
				t.Errorf("%d insn_log lines, insns %d, want both %d", len(body), total, small)
			}
			for i, l := range body {
				if !line.MatchString(l) {
					t.Fatalf("log line %d is not one whole insn_log line: %q", i, l)
				}
			}
		})
	}
}
