package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
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
	_, _, err := timeUnit(v, filepath.Join(dir, "o"), filepath.Join(dir, "e"), 200*time.Millisecond)
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
