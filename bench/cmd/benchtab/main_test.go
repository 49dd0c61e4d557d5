package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestFindCount(t *testing.T) {
	for _, c := range []struct {
		text string
		want int64
		ok   bool
	}{
		{"insns: 123456\n", 123456, true},
		{"some log\ninstructions executed = 1,234,567\n", 1234567, true},
		{"total: 42 insns\n", 42, true},
		{"insn count: 7\ninsns: 9\n", 9, true},
		{"e2b0c...  /tmp/file\n", 0, false},
		{"", 0, false},
		{"gemu: unsupported instruction 0f 0b at 0x401000\n", 0, false},
		{"instructions executed: 99.\n", 99, true},
		{"0x12 insns\n", 0, false},
	} {
		got, ok := findCount([]byte(c.text))
		if got != c.want || ok != c.ok {
			t.Errorf("findCount(%q) = %d, %v; want %d, %v", c.text, got, ok, c.want, c.ok)
		}
	}
	// The first text that has a count wins.
	if n, _ := findCount([]byte("insns: 5\n"), []byte("insns: 6\n")); n != 5 {
		t.Errorf("findCount order: got %d", n)
	}
}

func TestFilterCount(t *testing.T) {
	in := "abc  file\ninsns: 12345\n"
	if got := string(filterCount([]byte(in))); got != "abc  file\n" {
		t.Errorf("filterCount = %q", got)
	}
	in = "checksum: d058\n"
	if got := string(filterCount([]byte(in))); got != in {
		t.Errorf("filterCount changed %q to %q", in, got)
	}
}

func TestMedian(t *testing.T) {
	if m := median([]float64{3, 1, 2}); m != 2 {
		t.Errorf("median odd = %v", m)
	}
	if m := median([]float64{4, 1, 2, 3}); m != 2.5 {
		t.Errorf("median even = %v", m)
	}
	if m := median(nil); m != 0 {
		t.Errorf("median empty = %v", m)
	}
}

func TestRunAndReport(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "spec")
	lines := []string{
		"W9\tnative\tout\t1\techo test\techo\thello",
		"W9\tgemu\tout\t2\techo test\techo\thello",
		"W9\tqemu\tout\t1\techo test\techo\tbye",
		"W7\tnative\tout\t1\tother id\techo\tbye",
		"W7\tgemu\tout\t1\tother id\techo\tbye",
		"W8\tnative@1M\t1M\t1\tsh\tsh\t-c\techo x",
		"W8\tgemu@1M\t1M\t1\tsh\tsh\t-c\techo x",
		"W8\tinsn@1M\t1M\t1\tsh\tsh\t-c\techo x; echo 'insns: 1000' >&2",
		"W8\tgocount@1M\t1M\t0\tno such plugin",
		"W8\tbad@1M\t1M\t1\tsh\tsh\t-c\texit 7",
		"W6\tnative:1w\tout\t1\tworkers\tsh\t-c\tsleep 0.2; echo sum",
		"W6\tnative:2w\tout\t1\tworkers\tsh\t-c\tsleep 0.1; echo sum",
		"W6\tgemu:1w\tout\t1\tworkers\tsh\t-c\techo sum",
		"W6\tgemu:2w\tout\t1\tworkers\tsh\t-c\techo other",
	}
	if err := os.WriteFile(spec, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	results := filepath.Join(dir, "results.jsonl")
	if err := cmdRun([]string{"-spec", spec, "-results", results, "-runs", "2", "-outdir", dir}); err != nil {
		t.Fatal(err)
	}
	rs, err := readResults(results)
	if err != nil {
		t.Fatal(err)
	}
	status := map[string]string{}
	for _, r := range rs {
		status[r.ID+" "+r.Variant] = r.Status
		if r.Variant == "insn@1M" && r.Count != 1000 {
			t.Errorf("insn count = %d", r.Count)
		}
		if r.Status == "ok" && len(r.Samples) != 2 {
			t.Errorf("%s: %d samples", r.Variant, len(r.Samples))
		}
	}
	want := map[string]string{"W9 native": "ok", "W9 gemu": "ok", "W9 qemu": "mismatch",
		"W8 insn@1M": "ok", "W7 native": "ok", "W7 gemu": "ok", "W8 gocount@1M": "skipped", "W8 bad@1M": "failed"}
	for k, v := range want {
		if status[k] != v {
			t.Errorf("%s: status %q, want %q", k, status[k], v)
		}
	}
	var plain bytes.Buffer
	report(&plain, rs, false)
	if strings.Contains(plain.String(), "base") {
		t.Errorf("a base column without a base variant:\n%s", plain.String())
	}
	var b bytes.Buffer
	if n := report(&b, rs, true, "W7"); n != 3 {
		t.Errorf("report found %d problems, want 3\n%s", n, b.String())
	}
	for _, s := range []string{"| W9 ", "qemu output differs", "| insn@1M ", "1000 |", "skipped: no such plugin",
		"**W6: workers**", "| 1 worker s | 2 workers s | speedup 1->2 |", "WARNING: 2w output differs",
		"**Peak memory**", "| W7       | other id |", "| ok    |"} {
		if !strings.Contains(b.String(), s) {
			t.Errorf("report lacks %q:\n%s", s, b.String())
		}
	}
	// The W6 rows: the native speedup is 0.2 s over 0.1 s, about 2.
	if !regexp.MustCompile(`\| native +\| +0\.2\d\d \| +0\.1\d\d \| +(1\.[5-9]\d|2\.\d\d)x \| ok`).MatchString(b.String()) {
		t.Errorf("no native row with a speedup near 2:\n%s", b.String())
	}
	for _, r := range rs {
		if r.ID == "W7" && r.Status == "ok" && r.MaxRSS <= 0 {
			t.Errorf("W7 %s: peak RSS %d KiB", r.Variant, r.MaxRSS)
		}
	}
}

func TestTimeout(t *testing.T) {
	dir := t.TempDir()
	v := Variant{ID: "T", Name: "sleep", Repeat: 1, Argv: []string{"sleep", "5"}}
	start := time.Now()
	_, err := timeUnit(v, filepath.Join(dir, "o"), filepath.Join(dir, "e"), 200*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "timed out") {
		t.Errorf("err = %v", err)
	}
	if time.Since(start) > 3*time.Second {
		t.Errorf("timeout took %v", time.Since(start))
	}
}

func TestReportBase(t *testing.T) {
	rs := []Result{
		{ID: "W1", Variant: "native", Label: "l", Status: "ok", Samples: []float64{0.1}, Median: 0.1},
		{ID: "W1", Variant: "gemu", Label: "l", Status: "ok", Samples: []float64{4.2}, Median: 4.2},
		{ID: "W1", Variant: "qemu", Label: "l", Status: "ok", Samples: []float64{0.3}, Median: 0.3},
		{ID: "W1", Variant: "base", Label: "l", Status: "ok", Samples: []float64{4.0}, Median: 4.0},
		{ID: "W4", Variant: "native", Label: "m", Status: "ok", Samples: []float64{0.2}, Median: 0.2},
	}
	var b bytes.Buffer
	if n := report(&b, rs, false); n != 0 {
		t.Errorf("%d problems", n)
	}
	out := b.String()
	for _, s := range []string{"base s", "gemu/base", "4.000", "1.05x"} {
		if !strings.Contains(out, s) {
			t.Errorf("report lacks %q:\n%s", s, out)
		}
	}
}

func TestTimeUnitCPU(t *testing.T) {
	dir := t.TempDir()
	// A busy loop of the shell: its CPU time is most of its wall time; a
	// sleep: almost none.
	busy := Variant{ID: "T", Name: "busy", Repeat: 1, Argv: []string{"sh", "-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done"}}
	u, err := timeUnit(busy, filepath.Join(dir, "o"), filepath.Join(dir, "e"), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if u.cpu <= 0.02 || u.cpu > u.wall*1.05+0.01 {
		t.Errorf("busy loop: cpu %.3fs, wall %.3fs", u.cpu, u.wall)
	}
	sleep := Variant{ID: "T", Name: "sleep", Repeat: 2, Argv: []string{"sleep", "0.2"}}
	u, err = timeUnit(sleep, filepath.Join(dir, "o"), filepath.Join(dir, "e"), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if u.wall < 0.4 || u.cpu > 0.1 {
		t.Errorf("2 x sleep 0.2: cpu %.3fs, wall %.3fs", u.cpu, u.wall)
	}
}

func TestFindCalls(t *testing.T) {
	for _, c := range []struct {
		text string
		want int64
		ok   bool
	}{
		{"count 144942818\n", 144942818, true},
		{"abc\ncount 5\ncount 7\n", 7, true},
		{"count 12 \n", 12, true},
		{"account 5\n", 0, false},
		{"count 5 calls\n", 0, false},
		{"count: 5\n", 0, false},
		{"", 0, false},
	} {
		got, ok := findCalls([]byte(c.text))
		if got != c.want || ok != c.ok {
			t.Errorf("findCalls(%q) = %d, %v; want %d, %v", c.text, got, ok, c.want, c.ok)
		}
	}
	if n, _ := findCalls([]byte("nothing\n"), []byte("count 3\n")); n != 3 {
		t.Errorf("findCalls second text: got %d", n)
	}
}

func TestGCTraced(t *testing.T) {
	for _, c := range []struct {
		argv []string
		want bool
	}{
		{[]string{"env", "GODEBUG=gctrace=1", "/x/gemu", "prog"}, true},
		{[]string{"/usr/bin/env", "GOGC=1", "GODEBUG=madvdontneed=1,gctrace=1", "gemu"}, true},
		{[]string{"env", "GODEBUG=gctrace=2", "gemu"}, false},
		{[]string{"env", "GOGC=1", "gemu", "GODEBUG=gctrace=1"}, false},
		{[]string{"gemu", "GODEBUG=gctrace=1"}, false},
		{[]string{"env", "-i", "GODEBUG=gctrace=1", "gemu"}, false},
		{nil, false},
	} {
		if got := gcTraced(c.argv); got != c.want {
			t.Errorf("gcTraced(%q) = %v, want %v", c.argv, got, c.want)
		}
	}
}

func TestParseGCTrace(t *testing.T) {
	text := "a36c...  r2M.bin\n" +
		"gc 1 @0.011s 1%: 0.030+0.73+0.004 ms clock, 0.061+0.10/0.31/0+0.008 ms cpu, 3->4->0 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 2 P\n" +
		"gc 2 @0.968s 1%: 0.30+8.5+0.20 ms clock, 0.61+0/5.4/4.5+0.40 ms cpu, 6->6->5 MB, 6 MB goal, 0 MB stacks, 0 MB globals, 2 P\n" +
		"count 42gc 3 @2.925s 0%: 2.1+7.7+12 ms clock, 4.2+4.2/3.0/8.3+0.009 ms cpu, 6->6->5 MB, 6 MB goal, 2 P (forced)\n" +
		"gc 4 @3s 0%: x+1+2 ms clock\n" +
		"bgc 5 @3s 0%: 1+1+2 ms clock\n"
	got := parseGCTrace([]byte(text))
	want := []gcEvent{{0.011, 0.030, 0.004}, {0.968, 0.30, 0.20}, {2.925, 2.1, 12}}
	if !slices.Equal(got, want) {
		t.Errorf("parseGCTrace = %v; want %v", got, want)
	}
	if got := parseGCTrace(nil); got != nil {
		t.Errorf("parseGCTrace(nil) = %v", got)
	}
}

// res makes a result with one sample: wall and CPU time secs.
func res(id, variant string, secs float64, count, calls int64) Result {
	return Result{ID: id, Variant: variant, Label: variant, Status: "ok", Samples: []float64{secs * 2}, Median: secs * 2,
		CPU: []float64{secs}, CPUMedian: secs, Count: count, Calls: calls}
}

func TestHookTable(t *testing.T) {
	rs := []Result{
		res("W9-64", "native@2M", 0.01, -1, -1),
		res("W9-64", "gemu@2M", 0.5, -1, -1),
		res("W9-64", "gemu+insn@2M", 0.6, 100_000_000, -1),
		res("W9-64", "gemu+cb@2M", 4.5, -1, 100_000_050),
		res("W9-64", "gemu+cb+reg@2M", 10.5, -1, 100_000_000),
		res("W9-64", "gemu+cb+reg+mem@2M", 12.5, -1, 90_000_000),
		res("W9-64", "qemu@2M", 0.1, -1, -1),
		res("W9-64", "qemu+cb@2M", 0.3, -1, 100_000_000),
		{ID: "W9-64", Variant: "gemu+gocount@2M", Label: "gocount", Status: "skipped", Detail: "no gocount", Count: -1, Calls: -1},
		{ID: "W9-64", Variant: "gemu+log@1K", Label: "log", Status: "failed", Detail: "exit status 2 (repetition 1)", Count: -1, Calls: -1},
		res("W9-64", "gc-gemu@2M", 0.5, -1, -1),
		res("W9-64", "gc-gemu+cb@2M", 4.6, -1, -1),
	}
	rs[10].GCTrace, rs[10].GCs, rs[10].STW = true, 2, []float64{0.3, 0.2, 0.26, 0.21}
	rs[10].GCsLate, rs[10].STWLate = 1, []float64{0.26, 0.21}
	rs[11].GCTrace = true
	var b bytes.Buffer
	if n := report(&b, rs, false); n != 1 {
		t.Errorf("report found %d problems, want 1 (the failed run)", n)
	}
	out := b.String()
	rows := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[0] == "W9-64" {
			rows[f[1]] = line // the GC table
		} else if len(f) > 0 {
			rows[f[0]] = line
		}
	}
	for name, want := range map[string]*regexp.Regexp{
		// (4.5 - 0.5) s / 100M calls = 40 ns; qemu: (0.3 - 0.1) s / 100M = 2 ns; 40 / 2 = 20x.
		"gemu+cb@2M":         regexp.MustCompile(`100000000 +0\.500 +4\.500 +9\.00x +40\.00 +2\.00 +20\.0x +ok$`),
		"gemu+cb+reg@2M":     regexp.MustCompile(`100000000 +0\.500 +10\.500 +21\.00x +100\.00 +gemu\+cb +60\.00 +2\.00 +50\.0x +ok$`),
		"gemu+cb+reg+mem@2M": regexp.MustCompile(`120\.00 +gemu\+cb\+reg +20\.00 +2\.00 +60\.0x +ok$`),
		"gemu+insn@2M":       regexp.MustCompile(`100000000 +0\.500 +0\.600 +1\.20x +1\.00 +ok$`),
		"qemu+cb@2M":         regexp.MustCompile(`100000000 +0\.100 +0\.300 +3\.00x +2\.00 +ok$`),
		"gemu+gocount@2M":    regexp.MustCompile(`skipped`),
		"gemu+log@1K":        regexp.MustCompile(`FAIL +- +n/a .*WARNING: failed: exit status 2$`),
		// The GC table: median of 0.3 0.2 0.26 0.21 = 0.235, max 0.3.
		"gc-gemu@2M":    regexp.MustCompile(`gc-gemu@2M +1 +2\.0 +4 +0\.235 +0\.300 +1\.0 +0\.260 +0\.500 +ok$`),
		"gc-gemu+cb@2M": regexp.MustCompile(`gc-gemu\+cb@2M +1 +0\.0 +0 +no GC +no GC +0\.0 +no GC +4\.600 +ok$`),
	} {
		if !want.MatchString(rows[name]) {
			t.Errorf("row %s: %q does not match %v\n%s", name, rows[name], want, out)
		}
	}
	for _, s := range []string{"the plugin counted 90000000 calls, the instruction count is 100000000", "skipped: no gocount"} {
		if !strings.Contains(out, s) {
			t.Errorf("report lacks %q:\n%s", s, out)
		}
	}
	// 100000050 calls against 100000000 instructions: within 0.1%, no note.
	if strings.Contains(out, "counted 100000050") {
		t.Errorf("a note for a count within 0.1%%:\n%s", out)
	}
	// The native and plain rows are only there for the outputs and the base times.
	for _, name := range []string{"native@2M", "gemu@2M", "qemu@2M"} {
		if _, ok := rows[name]; ok {
			t.Errorf("row %s in the table:\n%s", name, out)
		}
	}
	var md bytes.Buffer
	report(&md, rs, true)
	if !strings.Contains(md.String(), "| gemu+cb@2M ") || !strings.Contains(md.String(), "**Garbage-collector pauses") {
		t.Errorf("markdown report:\n%s", md.String())
	}
}

func TestRunCallsAndGC(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "spec")
	// Two lines, printed with printf (a spec line cannot hold a newline).
	gcl := "gc 1 @0.01s 9%%: 0.75+1+0.125 ms clock, 1+0/1/1+1 ms cpu, 4->4->0 MB, 4 MB goal, 2 P\\n" +
		"gc 2 @0.1s 1%%: 0.5+1+0.25 ms clock, 1+0/1/1+1 ms cpu, 4->4->0 MB, 4 MB goal, 2 P\\n"
	lines := []string{
		"W9\tnative@1\t1\t1\tx\techo\tsum",
		"W9\tgemu+cb@1\t1\t1\tx\tsh\t-c\techo sum; echo count 42 >&2",
		"W9\tgc-gemu@1\t1\t1\tx\tenv\tGODEBUG=gctrace=1\tsh\t-c\techo sum; printf '" + gcl + "' >&2",
		"W9\tgemu+cb+reg@1\t1\t1\tx\tsh\t-c\techo sum; printf 'count 42\\nread failures: 7 (sink 0)\\n' >&2",
	}
	if err := os.WriteFile(spec, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	results := filepath.Join(dir, "results.jsonl")
	if err := cmdRun([]string{"-spec", spec, "-results", results, "-runs", "2", "-outdir", dir}); err != nil {
		t.Fatal(err)
	}
	rs, err := readResults(results)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 4 {
		t.Fatalf("%d results", len(rs))
	}
	for _, r := range rs {
		if r.Status != "ok" || len(r.CPU) != 2 {
			t.Errorf("%s: status %s, %d CPU samples", r.Variant, r.Status, len(r.CPU))
		}
	}
	if rs[1].Calls != 42 || rs[0].Calls != -1 {
		t.Errorf("calls: %d, %d", rs[1].Calls, rs[0].Calls)
	}
	if !rs[2].GCTrace || rs[2].GCs != 4 || !slices.Equal(rs[2].STW, []float64{0.75, 0.125, 0.5, 0.25, 0.75, 0.125, 0.5, 0.25}) || rs[1].GCTrace {
		t.Errorf("gc: %+v", rs[2])
	}
	if rs[2].GCsLate != 2 || !slices.Equal(rs[2].STWLate, []float64{0.5, 0.25, 0.5, 0.25}) {
		t.Errorf("late gc: %d, %v", rs[2].GCsLate, rs[2].STWLate)
	}
	if rs[3].ReadFailures != 7 || rs[1].ReadFailures != -1 {
		t.Errorf("read failures: %d, %d", rs[3].ReadFailures, rs[1].ReadFailures)
	}
	var b bytes.Buffer
	if n := report(&b, rs, false); n != 1 || !strings.Contains(b.String(), "WARNING: reads failed") ||
		!strings.Contains(b.String(), "gemu+cb+reg@1: the plugin's reads failed 7 times") {
		t.Errorf("report: %d problems, want 1 (the failed reads):\n%s", n, b.String())
	}
}

func TestReportBoot(t *testing.T) {
	rs := []Result{
		{ID: "W10-64", Variant: "gemu-system", Label: "boot", Status: "ok", Samples: []float64{60}, Median: 60, CPU: []float64{30}, CPUMedian: 30},
		{ID: "W10-64", Variant: "qemu-system", Label: "boot", Status: "ok", Samples: []float64{15}, Median: 15, CPU: []float64{5}, CPUMedian: 5},
		{ID: "W10-32", Variant: "gemu-system", Label: "boot32", Status: "failed", Detail: "exit status 1", Samples: []float64{9}, Median: 9},
		{ID: "W10-32", Variant: "qemu-system", Label: "boot32", Status: "ok", Samples: []float64{8}, Median: 8, CPU: []float64{4}, CPUMedian: 4},
	}
	var b bytes.Buffer
	if n := report(&b, rs, false); n != 1 {
		t.Errorf("%d problems, want 1 (the failed boot)", n)
	}
	out := b.String()
	for _, s := range []string{"gemu-system cpu s", "60.000", "30.000", "4.00x", "6.00x", "WARNING: gemu-system failed: exit status 1"} {
		if !strings.Contains(out, s) {
			t.Errorf("report lacks %q:\n%s", s, out)
		}
	}
	if strings.Contains(out, "native s") {
		t.Errorf("boot workloads went into the native/gemu/qemu table:\n%s", out)
	}
}
