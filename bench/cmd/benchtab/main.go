// Command benchtab times the workloads of gemu's benchmark suite and
// prints the result tables. It is driven by bench/run; see bench/README.md.
//
//	benchtab run -spec FILE -results FILE [-runs N] [-timeout D] [-outdir DIR]
//	benchtab report [-format text|md] RESULTS
//
// run reads a spec of variants for one workload, one per line, fields
// separated by tabs:
//
//	ID  VARIANT  GROUP  REPEAT  LABEL  ARGV0  ARGV1 ...
//
// ID is the workload (W1, W3-32, ...), VARIANT the way it is run (native,
// gemu, qemu, or NAME@SIZE for the instrumentation workload), GROUP the
// set of variants whose outputs must agree (the first variant of a group
// is the reference), REPEAT how many times the command is run in a row
// for one timed unit (0: the variant is skipped and LABEL says why), and
// LABEL a short description. Empty lines and lines starting with # are
// ignored.
//
// Each timed unit is the wall-clock time from starting the first process
// to the exit of the last one, stdin from /dev/null, stdout and stderr to
// files. The variants of one spec are interleaved (round 1 of every
// variant, then round 2, ...), so that slow drifts of the machine affect
// them alike. A variant that fails (non-zero exit, signal, timeout) is not
// run again. The medians and all samples are appended to the results file
// as JSON lines, which report turns into tables.
package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "run":
		err = cmdRun(os.Args[2:])
	case "report":
		err = cmdReport(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtab:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: benchtab run -spec FILE -results FILE [-runs N] [-timeout D] [-outdir DIR]\n"+
		"       benchtab report [-format text|md] [-strict] RESULTS")
	os.Exit(2)
}

// Variant is one line of a spec.
type Variant struct {
	ID, Name, Group, Label string
	Repeat                 int
	Argv                   []string
}

// Result is one line of the results file.
type Result struct {
	ID      string    `json:"id"`
	Variant string    `json:"variant"`
	Group   string    `json:"group"`
	Label   string    `json:"label"`
	Repeat  int       `json:"repeat"`
	Argv    []string  `json:"argv"`
	Samples []float64 `json:"samples"` // seconds per timed unit
	Median  float64   `json:"median"`  // seconds; 0 if no sample
	Status  string    `json:"status"`  // ok, skipped, failed, mismatch
	Detail  string    `json:"detail,omitempty"`
	Count   int64     `json:"count"` // instruction count found in the output, -1 if none
	OutHash string    `json:"out_hash,omitempty"`
}

func parseSpec(path string) ([]Variant, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var vs []Variant
	for i, line := range strings.Split(string(data), "\n") {
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) < 5 {
			return nil, fmt.Errorf("%s:%d: want ID VARIANT GROUP REPEAT LABEL ARGV..., got %d fields", path, i+1, len(f))
		}
		rep, err := strconv.Atoi(f[3])
		if err != nil || rep < 0 {
			return nil, fmt.Errorf("%s:%d: bad REPEAT %q", path, i+1, f[3])
		}
		if rep > 0 && len(f) < 6 {
			return nil, fmt.Errorf("%s:%d: no command", path, i+1)
		}
		vs = append(vs, Variant{ID: f[0], Name: f[1], Group: f[2], Repeat: rep, Label: f[4], Argv: f[5:]})
	}
	return vs, nil
}

// state of one variant while the rounds go on.
type state struct {
	v       Variant
	res     Result
	out     []byte // filtered stdout of the first run
	stopped bool
}

func cmdRun(args []string) error {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	spec := fs.String("spec", "", "spec file")
	results := fs.String("results", "", "results file (JSON lines, appended)")
	runs := fs.Int("runs", 5, "timed units per variant")
	timeout := fs.Duration("timeout", 10*time.Minute, "time limit for one timed unit")
	outdir := fs.String("outdir", ".", "where the outputs of the runs go")
	fs.Parse(args)
	if *spec == "" || *results == "" || *runs < 1 {
		usage()
	}
	vs, err := parseSpec(*spec)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*outdir, 0o755); err != nil {
		return err
	}

	var sts []*state
	for _, v := range vs {
		st := &state{v: v, res: Result{ID: v.ID, Variant: v.Name, Group: v.Group, Label: v.Label,
			Repeat: v.Repeat, Argv: v.Argv, Status: "ok", Count: -1}}
		if v.Repeat == 0 {
			st.res.Status, st.res.Detail, st.stopped = "skipped", v.Label, true
		}
		sts = append(sts, st)
	}

	for round := 1; round <= *runs; round++ {
		var line []string
		lineID := ""
		flush := func() {
			if len(line) > 0 {
				fmt.Fprintf(os.Stderr, "  %-7s [%d/%d] %s\n", lineID, round, *runs, strings.Join(line, "  "))
			}
			line = nil
		}
		for _, st := range sts {
			if st.stopped {
				continue
			}
			if st.v.ID != lineID {
				flush()
				lineID = st.v.ID
			}
			base := filepath.Join(*outdir, fileName(st.v.ID+"."+st.v.Name))
			secs, err := timeUnit(st.v, base+".out", base+".err", *timeout)
			if err != nil {
				st.res.Status, st.res.Detail, st.stopped = "failed", err.Error()+tail(base+".err"), true
				line = append(line, fmt.Sprintf("%s FAILED (%v)", st.v.Name, err))
				continue
			}
			st.res.Samples = append(st.res.Samples, secs)
			line = append(line, fmt.Sprintf("%s %.3fs", st.v.Name, secs))
			stdout, _ := os.ReadFile(base + ".out")
			stderr, _ := os.ReadFile(base + ".err")
			filtered := filterCount(stdout)
			if round == 1 {
				st.out = filtered
				sum := sha256.Sum256(filtered)
				st.res.OutHash = hex.EncodeToString(sum[:8])
				if n, ok := findCount(stderr, stdout); ok {
					st.res.Count = n
				}
			} else if !bytes.Equal(filtered, st.out) {
				st.res.Status, st.res.Detail = "mismatch", fmt.Sprintf("output of run %d differs from run 1", round)
			}
		}
		flush()
	}

	// Compare outputs within each group, against its first variant.
	ref := map[string]*state{}
	for _, st := range sts {
		if st.res.Status == "skipped" {
			continue
		}
		key := st.v.ID + "\x00" + st.v.Group
		r, ok := ref[key]
		if !ok {
			ref[key] = st
			continue
		}
		if st.res.Status != "ok" || r.res.Status == "failed" {
			continue
		}
		if !bytes.Equal(st.out, r.out) {
			st.res.Status = "mismatch"
			st.res.Detail = fmt.Sprintf("output differs from %s (%q vs %q)", r.v.Name, short(st.out), short(r.out))
		}
	}

	f, err := os.OpenFile(*results, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	for _, st := range sts {
		st.res.Median = median(st.res.Samples)
		if err := enc.Encode(&st.res); err != nil {
			f.Close()
			return err
		}
		if st.res.Status != "ok" {
			fmt.Fprintf(os.Stderr, "  %-7s %s: %s: %s\n", st.v.ID, st.v.Name, strings.ToUpper(st.res.Status), st.res.Detail)
		}
	}
	return f.Close()
}

func fileName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == ' ' || r == '@' {
			return '_'
		}
		return r
	}, s)
}

// timeUnit runs v.Argv v.Repeat times in a row and returns the wall time
// of the whole. stdout of the last repetition and stderr of all go to the
// two files.
func timeUnit(v Variant, outPath, errPath string, timeout time.Duration) (float64, error) {
	out, err := os.Create(outPath)
	if err != nil {
		return 0, err
	}
	defer out.Close()
	errf, err := os.Create(errPath)
	if err != nil {
		return 0, err
	}
	defer errf.Close()

	deadline := time.Now().Add(timeout)
	start := time.Now()
	for i := 0; i < v.Repeat; i++ {
		if i > 0 {
			// Keep the output of one program run only: the outputs of
			// the repetitions are alike, and only one is compared.
			if err := out.Truncate(0); err != nil {
				return 0, err
			}
			if _, err := out.Seek(0, io.SeekStart); err != nil {
				return 0, err
			}
		}
		cmd := exec.Command(v.Argv[0], v.Argv[1:]...)
		cmd.Stdout, cmd.Stderr = out, errf
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			return 0, err
		}
		var timedOut atomic.Bool
		timer := time.AfterFunc(time.Until(deadline), func() {
			timedOut.Store(true)
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		})
		err := cmd.Wait()
		timer.Stop()
		if timedOut.Load() {
			return 0, fmt.Errorf("timed out after %v", timeout)
		}
		if err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
					return 0, fmt.Errorf("killed by signal %v (repetition %d)", ws.Signal(), i+1)
				}
				return 0, fmt.Errorf("exit status %d (repetition %d)", ee.ExitCode(), i+1)
			}
			return 0, err
		}
	}
	return time.Since(start).Seconds(), nil
}

// tail returns the last line of a file, to explain a failure.
func tail(path string) string {
	data, _ := os.ReadFile(path)
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return ""
	}
	if i := bytes.LastIndexByte(data, '\n'); i >= 0 {
		data = data[i+1:]
	}
	if len(data) > 160 {
		data = append(data[:160], "..."...)
	}
	return ": " + string(data)
}

func short(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 60 {
		s = s[:60] + "..."
	}
	return s
}

// An instruction count as a plugin may print it: "insns: 123",
// "instructions executed = 1,234", "123456 insns", ...
var (
	countAfter  = regexp.MustCompile(`(?i)\b(?:insns?|instructions?|instrs?)\b[^0-9\n:=]{0,40}[:=]\s*([0-9][0-9,_']*)(?:[^0-9a-z]|$)`)
	countBefore = regexp.MustCompile(`(?i)(?:^|[^0-9a-z])([0-9][0-9,_']*)\s+(?:guest\s+)?(?:insns?|instructions?|instrs?)\b`)
	countLine   = regexp.MustCompile(`(?i)\b(?:insns?|instructions?|instrs?)\b`)
)

// findCount returns the last instruction count found in the texts, which
// are searched in order until one has a count.
func findCount(texts ...[]byte) (int64, bool) {
	for _, t := range texts {
		var found string
		for _, line := range strings.Split(string(t), "\n") {
			if m := countAfter.FindStringSubmatch(line); m != nil {
				found = m[1]
			} else if m := countBefore.FindStringSubmatch(line); m != nil {
				found = m[1]
			}
		}
		if found != "" {
			n, err := strconv.ParseInt(strings.NewReplacer(",", "", "_", "", "'", "").Replace(found), 10, 64)
			if err == nil {
				return n, true
			}
		}
	}
	return 0, false
}

// filterCount drops the lines that report an instruction count, so that
// a plugin printing its count on stdout does not make the output differ.
func filterCount(out []byte) []byte {
	if !countLine.Match(out) {
		return out
	}
	var b bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<30)
	for sc.Scan() {
		line := sc.Bytes()
		if countLine.Match(line) && (countAfter.Match(line) || countBefore.Match(line)) {
			continue
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// ---------------------------------------------------------------- report

func readResults(path string) ([]Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var rs []Result
	dec := json.NewDecoder(f)
	for {
		var r Result
		if err := dec.Decode(&r); err == io.EOF {
			return rs, nil
		} else if err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		rs = append(rs, r)
	}
}

func cmdReport(args []string) error {
	fs := flag.NewFlagSet("report", flag.ExitOnError)
	format := fs.String("format", "text", "text or md")
	strict := fs.Bool("strict", false, "exit with status 3 if a result failed or differs")
	fs.Parse(args)
	if fs.NArg() != 1 || (*format != "text" && *format != "md") {
		usage()
	}
	rs, err := readResults(fs.Arg(0))
	if err != nil {
		return err
	}
	problems := report(os.Stdout, rs, *format == "md")
	if *strict && problems > 0 {
		os.Exit(3)
	}
	return nil
}

type workload struct {
	id, label string
	vars      map[string]*Result
	order     []string
}

func group(rs []Result) []*workload {
	var ws []*workload
	byID := map[string]*workload{}
	for i := range rs {
		r := &rs[i]
		w := byID[r.ID]
		if w == nil {
			w = &workload{id: r.ID, vars: map[string]*Result{}}
			byID[r.ID] = w
			ws = append(ws, w)
		}
		if w.label == "" && r.Label != "" && r.Status != "skipped" {
			w.label = r.Label
		}
		if _, dup := w.vars[r.Variant]; !dup {
			w.order = append(w.order, r.Variant)
		}
		w.vars[r.Variant] = r
	}
	return ws
}

// report writes the tables and returns the number of problems (failures
// and mismatches).
func report(w io.Writer, rs []Result, md bool) int {
	problems := 0
	var notes []string
	ws := group(rs)

	rows := [][]string{{"workload", "what", "native s", "gemu s", "qemu s", "gemu/native", "gemu/qemu", "qemu/native", "check"}}
	var instr []*workload
	for _, w := range ws {
		if strings.Contains(strings.Join(w.order, " "), "@") {
			instr = append(instr, w)
			continue
		}
		n, g, q := w.vars["native"], w.vars["gemu"], w.vars["qemu"]
		var check []string
		for _, name := range w.order {
			r := w.vars[name]
			switch r.Status {
			case "ok":
			case "skipped":
				notes = append(notes, fmt.Sprintf("%s %s: skipped: %s", w.id, name, r.Detail))
			default:
				problems++
				check = append(check, name+" "+shortStatus(r))
				notes = append(notes, fmt.Sprintf("%s %s: %s: %s", w.id, name, r.Status, r.Detail))
			}
		}
		c := "ok"
		if len(check) > 0 {
			c = "WARNING: " + strings.Join(check, ", ")
		}
		rows = append(rows, []string{w.id, w.label, secs(n), secs(g), secs(q),
			ratio(g, n), ratio(g, q), ratio(q, n), c})
	}
	if len(rows) > 1 {
		table(w, rows, md, 2)
	}

	for _, wl := range instr {
		if len(rows) > 1 {
			fmt.Fprintln(w)
		}
		if md {
			fmt.Fprintf(w, "**%s: instrumentation overhead** (gemu with a hook against gemu without, same input)\n\n", wl.id)
		} else {
			fmt.Fprintf(w, "%s: instrumentation overhead (gemu with a hook against gemu without, same input)\n", wl.id)
		}
		t := [][]string{{"variant", "what", "input", "native s", "gemu s", "gemu+hook s", "hook/gemu", "hook calls", "ns/call", "check"}}
		for _, name := range wl.order {
			r := wl.vars[name]
			kind, size, _ := strings.Cut(name, "@")
			if r.Status == "skipped" {
				notes = append(notes, fmt.Sprintf("%s %s: skipped: %s", wl.id, name, r.Detail))
				t = append(t, []string{name, r.Label, size, "", "", "skipped", "", "", "", ""})
				continue
			}
			c := "ok"
			if r.Status != "ok" {
				problems++
				c = "WARNING: " + shortStatus(r)
				notes = append(notes, fmt.Sprintf("%s %s: %s: %s", wl.id, name, r.Status, r.Detail))
			}
			if kind == "native" || kind == "gemu" {
				if c != "ok" {
					t = append(t, []string{name, r.Label, size, "", "", "", "", "", "", c})
				}
				continue
			}
			base := wl.vars["gemu@"+size]
			nat := wl.vars["native@"+size]
			count := int64(-1)
			if ic := wl.vars["insn@"+size]; ic != nil && ic.Status == "ok" {
				count = ic.Count
			}
			calls, per := "unknown", "n/a"
			if count >= 0 {
				calls = strconv.FormatInt(count, 10)
			}
			if count > 0 && ok(r) && ok(base) {
				per = fmt.Sprintf("%.2f", (r.Median-base.Median)*1e9/float64(count))
				if per == "-0.00" {
					per = "0.00"
				}
			}
			t = append(t, []string{name, r.Label, size, secs(nat), secs(base), secs(r), ratio(r, base), calls, per, c})
		}
		table(w, t, md, 3)
	}

	if len(notes) > 0 {
		fmt.Fprintln(w)
		if md {
			fmt.Fprintln(w, "Notes:")
			fmt.Fprintln(w)
		} else {
			fmt.Fprintln(w, "notes:")
		}
		for _, n := range notes {
			fmt.Fprintf(w, "- %s\n", n)
		}
	}
	return problems
}

func ok(r *Result) bool { return r != nil && r.Status != "skipped" && len(r.Samples) > 0 }

func shortStatus(r *Result) string {
	switch {
	case r.Status == "mismatch":
		return "output differs"
	case strings.HasPrefix(r.Detail, "timed out"):
		return "timeout"
	case strings.HasPrefix(r.Detail, "killed by signal"), strings.HasPrefix(r.Detail, "exit status"):
		d, _, _ := strings.Cut(r.Detail, " (")
		return "failed: " + d
	}
	return r.Status
}

func secs(r *Result) string {
	switch {
	case r == nil:
		return "-"
	case r.Status == "skipped":
		return "skipped"
	case r.Status == "failed":
		return "FAIL"
	case len(r.Samples) == 0:
		return "-"
	}
	return fmt.Sprintf("%.3f", r.Median)
}

func ratio(a, b *Result) string {
	if !ok(a) || !ok(b) || b.Median <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.2fx", a.Median/b.Median)
}

// table prints rows with the first as header, aligned for a terminal or
// as a Markdown table.
// Columns from firstNum to the last but one are right-aligned.
func table(w io.Writer, rows [][]string, md bool, firstNum int) {
	width := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			if len(c) > width[i] {
				width[i] = len(c)
			}
		}
	}
	numeric := func(i int) bool { return i >= firstNum && i < len(rows[0])-1 }
	for k, r := range rows {
		var b strings.Builder
		for i, c := range r {
			if md {
				b.WriteString("| ")
			} else if i > 0 {
				b.WriteString("  ")
			}
			if numeric(i) {
				fmt.Fprintf(&b, "%*s", width[i], c)
			} else {
				fmt.Fprintf(&b, "%-*s", width[i], c)
			}
			if md {
				b.WriteString(" ")
			}
		}
		if md {
			b.WriteString("|")
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
		if k == 0 {
			b.Reset()
			for i := range r {
				if md {
					if numeric(i) {
						b.WriteString("| " + strings.Repeat("-", width[i]-1) + ": ")
					} else {
						b.WriteString("| " + strings.Repeat("-", width[i]) + " ")
					}
				} else {
					if i > 0 {
						b.WriteString("  ")
					}
					b.WriteString(strings.Repeat("-", width[i]))
				}
			}
			if md {
				b.WriteString("|")
			}
			fmt.Fprintln(w, b.String())
		}
	}
}
