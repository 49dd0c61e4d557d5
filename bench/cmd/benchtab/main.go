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
// gemu, qemu, base: another gemu to compare with, NAME@SIZE for the instrumentation workload, or KIND:Nw for
// a thread-scaling workload: KIND run with N worker threads), GROUP the
// set of variants whose outputs must agree (the first variant of a group
// is the reference), REPEAT how many times the command is run in a row
// for one timed unit (0: the variant is skipped and LABEL says why), and
// LABEL a short description. Empty lines and lines starting with # are
// ignored.
//
// Each timed unit is the wall-clock time from starting the first process
// to the exit of the last one, stdin from /dev/null, stdout and stderr to
// files; the CPU time (user + system) of the processes is recorded too. The variants of one spec are interleaved (round 1 of every
// variant, then round 2, ...), so that slow drifts of the machine affect
// them alike. A variant that fails (non-zero exit, signal, timeout) is not
// run again. The medians and all samples are appended to the results file
// as JSON lines, with the largest peak resident set (ru_maxrss) of the
// processes run, which report turns into tables.
//
// report makes one table of the plain workloads (native, gemu, qemu),
// one of the instrumentation workloads (NAME@SIZE variants), one per
// plugin-callback workload (RUNNER+HOOK...@SIZE variants: CPU time with
// and without each hook and its cost per call, see hookTable), one of the
// garbage-collector pauses of the variants run with GODEBUG=gctrace=1, one per
// thread-scaling workload (KIND:Nw variants: the wall time with each
// worker count and the speedup from the fewest to the most workers), and
// with -rss IDS (comma-separated workload ids) one of those workloads'
// peak memory.
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
	"slices"
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
		"       benchtab report [-format text|md] [-strict] [-rss IDS] RESULTS")
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
	// CPU time (user + system, seconds) of the processes of each timed
	// unit, and its median.
	CPU       []float64 `json:"cpu_samples,omitempty"`
	CPUMedian float64   `json:"cpu_median,omitempty"`
	Status    string    `json:"status"` // ok, skipped, failed, mismatch
	Detail    string    `json:"detail,omitempty"`
	Count     int64     `json:"count"`      // instruction count found in the output, -1 if none
	Calls     int64     `json:"calls"`      // a plugin's "count N" line (its calls), -1 if none
	MaxRSS    int64     `json:"max_rss_kb"` // largest peak resident set of the processes run, KiB
	OutHash   string    `json:"out_hash,omitempty"`
	// Garbage collector of a Go program run with GODEBUG=gctrace=1 in
	// its environment (the argv starts with env ... GODEBUG=gctrace=1):
	// the number of collections over all runs and the stop-the-world
	// pauses (ms) their trace lines give, two per collection; the same
	// for the late collections only, those that started lateGC or more
	// after the process (when its start-up is over).
	GCTrace bool      `json:"gctrace,omitempty"`
	GCs     int       `json:"gcs,omitempty"`
	STW     []float64 `json:"gc_stw_ms,omitempty"`
	GCsLate int       `json:"gcs_late,omitempty"`
	STWLate []float64 `json:"gc_stw_late_ms,omitempty"`
	// Failed reads a plugin reported ("read failures: N"), -1 if none
	// was reported: a callback whose reads fail is not measuring them.
	ReadFailures int64 `json:"read_failures"`
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
			Repeat: v.Repeat, Argv: v.Argv, Status: "ok", Count: -1, Calls: -1, ReadFailures: -1, GCTrace: gcTraced(v.Argv)}}
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
			u, err := timeUnit(st.v, base+".out", base+".err", *timeout)
			if err != nil {
				st.res.Status, st.res.Detail, st.stopped = "failed", err.Error()+tail(base+".err"), true
				line = append(line, fmt.Sprintf("%s FAILED (%v)", st.v.Name, err))
				continue
			}
			st.res.Samples = append(st.res.Samples, u.wall)
			st.res.CPU = append(st.res.CPU, u.cpu)
			st.res.MaxRSS = max(st.res.MaxRSS, u.rss)
			line = append(line, fmt.Sprintf("%s %.3fs", st.v.Name, u.wall))
			stdout, _ := os.ReadFile(base + ".out")
			stderr, _ := os.ReadFile(base + ".err")
			if st.res.GCTrace {
				for _, g := range parseGCTrace(stderr) {
					st.res.GCs++
					st.res.STW = append(st.res.STW, g.sweepTerm, g.markTerm)
					if g.at >= lateGC {
						st.res.GCsLate++
						st.res.STWLate = append(st.res.STWLate, g.sweepTerm, g.markTerm)
					}
				}
			}
			filtered := filterCount(stdout)
			if round == 1 {
				st.out = filtered
				sum := sha256.Sum256(filtered)
				st.res.OutHash = hex.EncodeToString(sum[:8])
				if n, ok := findCount(stderr, stdout); ok {
					st.res.Count = n
				}
				if n, ok := findCalls(stderr, stdout); ok {
					st.res.Calls = n
				}
			}
			if m := readFailuresLine.FindAllSubmatch(stderr, -1); len(m) > 0 {
				n, _ := strconv.ParseInt(string(m[len(m)-1][1]), 10, 64)
				st.res.ReadFailures = max(st.res.ReadFailures, n)
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
		st.res.CPUMedian = median(st.res.CPU)
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

// unit is what timeUnit measures.
type unit struct {
	wall, cpu float64 // seconds: wall time of the whole, CPU time (user + system) of the processes
	rss       int64   // largest peak resident set size of the processes, KiB
}

// timeUnit runs v.Argv v.Repeat times in a row and returns the wall time
// of the whole, the CPU time of the processes and their largest peak
// resident set. stdout of the last repetition and stderr of all go to the
// two files.
func timeUnit(v Variant, outPath, errPath string, timeout time.Duration) (unit, error) {
	var u unit
	out, err := os.Create(outPath)
	if err != nil {
		return u, err
	}
	defer out.Close()
	errf, err := os.Create(errPath)
	if err != nil {
		return u, err
	}
	defer errf.Close()

	deadline := time.Now().Add(timeout)
	start := time.Now()
	for i := 0; i < v.Repeat; i++ {
		if i > 0 {
			// Keep the output of one program run only: the outputs of
			// the repetitions are alike, and only one is compared.
			if err := out.Truncate(0); err != nil {
				return u, err
			}
			if _, err := out.Seek(0, io.SeekStart); err != nil {
				return u, err
			}
		}
		cmd := exec.Command(v.Argv[0], v.Argv[1:]...)
		cmd.Stdout, cmd.Stderr = out, errf
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			return u, err
		}
		var timedOut atomic.Bool
		timer := time.AfterFunc(time.Until(deadline), func() {
			timedOut.Store(true)
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		})
		err := cmd.Wait()
		timer.Stop()
		if timedOut.Load() {
			return u, fmt.Errorf("timed out after %v", timeout)
		}
		if err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
					return u, fmt.Errorf("killed by signal %v (repetition %d)", ws.Signal(), i+1)
				}
				return u, fmt.Errorf("exit status %d (repetition %d)", ee.ExitCode(), i+1)
			}
			return u, err
		}
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			u.rss = max(u.rss, int64(ru.Maxrss)) // KiB on Linux
		}
		u.cpu += (cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()).Seconds()
	}
	u.wall = time.Since(start).Seconds()
	return u, nil
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

// A plugin's own count of its calls, as the callback yardsticks log it at
// exit: a line "count N".
var callsLine = regexp.MustCompile(`(?m)^count ([0-9]+)\s*$`)

// findCalls returns the last "count N" of the first text that has one.
func findCalls(texts ...[]byte) (int64, bool) {
	for _, t := range texts {
		ms := callsLine.FindAllSubmatch(t, -1)
		if len(ms) == 0 {
			continue
		}
		if n, err := strconv.ParseInt(string(ms[len(ms)-1][1]), 10, 64); err == nil {
			return n, true
		}
	}
	return 0, false
}

// gcTraced tells whether argv runs a program with GODEBUG=gctrace=1 in its
// environment, through env(1): env [NAME=VALUE...] PROGRAM ...
func gcTraced(argv []string) bool {
	if len(argv) == 0 || filepath.Base(argv[0]) != "env" {
		return false
	}
	for _, a := range argv[1:] {
		val, isGodebug := strings.CutPrefix(a, "GODEBUG=")
		if !isGodebug {
			if strings.Contains(a, "=") && !strings.HasPrefix(a, "-") {
				continue
			}
			return false
		}
		if slices.Contains(strings.Split(val, ","), "gctrace=1") {
			return true
		}
	}
	return false
}

// A gctrace line of the Go runtime (GODEBUG=gctrace=1):
//
//	gc 7 @0.968s 1%: 0.30+8.5+0.20 ms clock, 0.61+0/5.4/4.5+0.40 ms cpu, ...
//
// The three clock times are the stop-the-world sweep termination, the
// concurrent mark and scan, and the stop-the-world mark termination.
var gcLine = regexp.MustCompile(`(?:^|[^A-Za-z_])gc [0-9]+ @([0-9.]+)s [0-9]+%: ([0-9.]+)\+[0-9.]+\+([0-9.]+) ms clock`)

// lateGC is when a collection counts as late (seconds after the process
// started): gemu's start-up, during which the runtime collects several
// times on a small heap, is over by then and the guest code runs.
const lateGC = 0.1

// gcEvent is one collection of a gctrace output.
type gcEvent struct {
	at                  float64 // seconds since the process started
	sweepTerm, markTerm float64 // the stop-the-world phases, ms
}

// parseGCTrace returns the collections of a gctrace output, in order.
func parseGCTrace(text []byte) []gcEvent {
	var gs []gcEvent
	for _, line := range strings.Split(string(text), "\n") {
		m := gcLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		at, err0 := strconv.ParseFloat(m[1], 64)
		a, err1 := strconv.ParseFloat(m[2], 64)
		c, err2 := strconv.ParseFloat(m[3], 64)
		if err0 != nil || err1 != nil || err2 != nil {
			continue
		}
		gs = append(gs, gcEvent{at, a, c})
	}
	return gs
}

// A plugin's count of its failed reads (cb-count.c logs it at exit).
var readFailuresLine = regexp.MustCompile(`(?m)^read failures: ([0-9]+)`)

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
	rssIDs := fs.String("rss", "", "comma-separated workload ids whose peak memory is tabled")
	fs.Parse(args)
	if fs.NArg() != 1 || (*format != "text" && *format != "md") {
		usage()
	}
	rs, err := readResults(fs.Arg(0))
	if err != nil {
		return err
	}
	var rss []string
	if *rssIDs != "" {
		rss = strings.Split(*rssIDs, ",")
	}
	problems := report(os.Stdout, rs, *format == "md", rss...)
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
// and mismatches). The workloads named in rssIDs get a table of their
// peak memory too.
func report(w io.Writer, rs []Result, md bool, rssIDs ...string) int {
	problems := 0
	var notes []string
	ws := group(rs)

	// A "base" variant (another gemu, e.g. the build before a change, run
	// interleaved with the others) adds a column and gemu/base.
	hasBase := false
	for _, r := range rs {
		hasBase = hasBase || r.Variant == "base"
	}
	head := []string{"workload", "what", "native s", "gemu s", "qemu s"}
	if hasBase {
		head = append(head, "base s")
	}
	head = append(head, "gemu/native", "gemu/qemu", "qemu/native")
	if hasBase {
		head = append(head, "gemu/base")
	}
	rows := [][]string{append(head, "check")}
	var instr, scaling, hooks, boots []*workload
	for _, w := range ws {
		vs := strings.Join(w.order, " ")
		if w.vars["gemu-system"] != nil {
			boots = append(boots, w)
			continue
		}
		if strings.Contains(vs, "+") {
			hooks = append(hooks, w)
			continue
		}
		if strings.Contains(vs, "@") {
			instr = append(instr, w)
			continue
		}
		if strings.Contains(vs, ":") {
			scaling = append(scaling, w)
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
		row := []string{w.id, w.label, secs(n), secs(g), secs(q)}
		if hasBase {
			row = append(row, secs(w.vars["base"]))
		}
		row = append(row, ratio(g, n), ratio(g, q), ratio(q, n))
		if hasBase {
			row = append(row, ratio(g, w.vars["base"]))
		}
		rows = append(rows, append(row, c))
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

	for _, wl := range hooks {
		if len(rows) > 1 || len(instr) > 0 || wl != hooks[0] {
			fmt.Fprintln(w)
		}
		problems += hookTable(w, wl, md, &notes)
	}
	problems += gcTable(w, ws, md, &notes)
	if len(boots) > 0 {
		fmt.Fprintln(w)
		problems += bootTable(w, boots, md, &notes)
	}
	for _, wl := range scaling {
		fmt.Fprintln(w)
		problems += scalingTable(w, wl, md, &notes)
	}
	var rssRows [][]string
	for _, wl := range ws {
		if slices.Contains(rssIDs, wl.id) {
			c := "ok"
			for _, r := range wl.vars {
				if r.Status != "ok" && r.Status != "skipped" {
					c = "WARNING: see the notes"
				}
			}
			rssRows = append(rssRows, []string{wl.id, wl.label, mib(wl.vars["native"]), mib(wl.vars["gemu"]), mib(wl.vars["qemu"]), c})
		}
	}
	if len(rssRows) > 0 {
		fmt.Fprintln(w)
		if md {
			fmt.Fprint(w, "**Peak memory** (largest ru_maxrss of the processes of a timed unit, over all runs)\n\n")
		} else {
			fmt.Fprintln(w, "peak memory (largest ru_maxrss of the processes of a timed unit, over all runs)")
		}
		table(w, append([][]string{{"workload", "what", "native MiB", "gemu MiB", "qemu MiB", "check"}}, rssRows...), md, 2)
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

// scalingTable writes the table of a thread-scaling workload, whose
// variants are KIND:Nw (KIND run with N workers): one row per KIND with
// its time for each N and the speedup from the fewest workers to the most
// (time with the fewest over time with the most). It returns the number
// of problems and adds notes for them.
func scalingTable(w io.Writer, wl *workload, md bool, notes *[]string) int {
	problems := 0
	var kinds []string
	var counts []int
	res := map[string]map[int]*Result{}
	for _, name := range wl.order {
		kind, nw, _ := strings.Cut(name, ":")
		n, err := strconv.Atoi(strings.TrimSuffix(nw, "w"))
		if err != nil || !strings.HasSuffix(nw, "w") {
			*notes = append(*notes, fmt.Sprintf("%s %s: not a KIND:Nw variant name, left out", wl.id, name))
			continue
		}
		if res[kind] == nil {
			res[kind] = map[int]*Result{}
			kinds = append(kinds, kind)
		}
		res[kind][n] = wl.vars[name]
		if !slices.Contains(counts, n) {
			counts = append(counts, n)
		}
	}
	if len(counts) == 0 {
		return 0
	}
	slices.Sort(counts)
	lo, hi := counts[0], counts[len(counts)-1]
	if md {
		fmt.Fprintf(w, "**%s: %s** (the same total work split among the workers; speedup = time with %d over time with %d)\n\n", wl.id, wl.label, lo, hi)
	} else {
		fmt.Fprintf(w, "%s: %s (the same total work split among the workers; speedup = time with %d over time with %d)\n", wl.id, wl.label, lo, hi)
	}
	head := []string{"run by"}
	for _, n := range counts {
		if n == 1 {
			head = append(head, "1 worker s")
		} else {
			head = append(head, fmt.Sprintf("%d workers s", n))
		}
	}
	head = append(head, fmt.Sprintf("speedup %d->%d", lo, hi), "check")
	t := [][]string{head}
	for _, kind := range kinds {
		row := []string{kind}
		var check []string
		for _, n := range counts {
			r := res[kind][n]
			row = append(row, secs(r))
			if r == nil {
				continue
			}
			switch r.Status {
			case "ok":
			case "skipped":
				*notes = append(*notes, fmt.Sprintf("%s %s:%dw: skipped: %s", wl.id, kind, n, r.Detail))
			default:
				problems++
				check = append(check, fmt.Sprintf("%dw %s", n, shortStatus(r)))
				*notes = append(*notes, fmt.Sprintf("%s %s:%dw: %s: %s", wl.id, kind, n, r.Status, r.Detail))
			}
		}
		c := "ok"
		if len(check) > 0 {
			c = "WARNING: " + strings.Join(check, ", ")
		}
		row = append(row, ratio(res[kind][lo], res[kind][hi]), c)
		t = append(t, row)
	}
	table(w, t, md, 1)
	return problems
}

// cpu is a result's median CPU time in seconds, or its median wall time if
// it has no CPU times (results written before they were recorded).
func cpu(r *Result) float64 {
	if len(r.CPU) > 0 {
		return r.CPUMedian
	}
	return r.Median
}

// perCall is (CPU time of r - CPU time of base) / calls in ns, formatted,
// or "n/a".
func perCall(r, base *Result, calls int64) (string, float64, bool) {
	if !ok(r) || !ok(base) || calls <= 0 {
		return "n/a", 0, false
	}
	ns := (cpu(r) - cpu(base)) * 1e9 / float64(calls)
	s := fmt.Sprintf("%.2f", ns)
	if s == "-0.00" {
		s = "0.00"
	}
	return s, ns, true
}

// hookTable writes the table of a plugin-callback workload, whose
// variants are named RUNNER[+HOOK...]@SIZE: RUNNER@SIZE runs the program
// on input SIZE without a plugin; RUNNER+A@SIZE adds hook A, and
// RUNNER+A+B@SIZE does what RUNNER+A@SIZE does and B more. Each hook row
// gives the CPU time without any hook and with the hook, the number of
// calls, ns per call = (with - without) / calls, and, when the variant
// extends another (A+B over A), the ns per call it adds to that one.
// calls is the instruction count of RUNNER+insn@SIZE (gemu's -plugin
// insn) when there is one, else the plugin's own "count N". Beside a row
// of another runner whose first hook is A, qemu+A@SIZE is the yardstick:
// its ns per call and the ratio. Variants run with gctrace and native
// rows (there to check the outputs) are left out. It returns the number
// of problems and adds notes for them.
func hookTable(w io.Writer, wl *workload, md bool, notes *[]string) int {
	problems := 0
	title := fmt.Sprintf("%s: %s: plugin callbacks, CPU time (user+system) with and without each hook; ns/call = (with - without) / calls", wl.id, wl.label)
	if md {
		fmt.Fprintf(w, "**%s**\n\n", title)
	} else {
		fmt.Fprintln(w, title)
	}
	t := [][]string{{"variant", "what", "input", "calls", "without s", "with s", "with/without", "ns/call", "more than", "+ns/call", "qemu ns/call", "gemu/qemu", "check"}}
	// calls of a hook row, and whether they came from an instruction count.
	callsOf := func(runner, size string, r *Result) int64 {
		if ic := wl.vars[runner+"+insn@"+size]; ic != nil && ok(ic) && ic.Count > 0 {
			return ic.Count
		}
		if r.Calls > 0 {
			return r.Calls
		}
		return r.Count
	}
	for _, name := range wl.order {
		r := wl.vars[name]
		if r.GCTrace {
			continue // in the GC table
		}
		spec, size, _ := strings.Cut(name, "@")
		parts := strings.Split(spec, "+")
		runner := parts[0]
		c := "ok"
		switch r.Status {
		case "ok":
		case "skipped":
			*notes = append(*notes, fmt.Sprintf("%s %s: skipped: %s", wl.id, name, r.Detail))
			t = append(t, []string{name, r.Label, size, "", "", "skipped", "", "", "", "", "", "", ""})
			continue
		default:
			problems++
			c = "WARNING: " + shortStatus(r)
			*notes = append(*notes, fmt.Sprintf("%s %s: %s: %s", wl.id, name, r.Status, r.Detail))
		}
		if r.ReadFailures > 0 && r.Status == "ok" {
			problems++
			c = "WARNING: reads failed"
			*notes = append(*notes, fmt.Sprintf("%s %s: the plugin's reads failed %d times: its time is not the cost of reads that work", wl.id, name, r.ReadFailures))
		}
		if len(parts) == 1 {
			if c != "ok" {
				t = append(t, []string{name, r.Label, size, "", "", cpuSecs(r), "", "", "", "", "", "", c})
			}
			continue
		}
		plain := wl.vars[runner+"@"+size]
		calls := callsOf(runner, size, r)
		if r.Calls > 0 && calls > 0 && r.Calls != calls {
			if d := float64(r.Calls-calls) / float64(calls); d > 0.001 || d < -0.001 {
				*notes = append(*notes, fmt.Sprintf("%s %s: the plugin counted %d calls, the instruction count is %d", wl.id, name, r.Calls, calls))
			}
		}
		callStr := "unknown"
		if calls > 0 {
			callStr = strconv.FormatInt(calls, 10)
		}
		per, ns, _ := perCall(r, plain, calls)
		more, morePer := "", ""
		if len(parts) > 2 {
			more = strings.Join(parts[:len(parts)-1], "+")
			morePer, _, _ = perCall(r, wl.vars[more+"@"+size], calls)
		}
		yPer, yRatio := "", ""
		if y := wl.vars["qemu+"+parts[1]+"@"+size]; runner != "qemu" && y != nil {
			yc := callsOf("qemu", size, y)
			var yns float64
			var yok bool
			yPer, yns, yok = perCall(y, wl.vars["qemu@"+size], yc)
			if _, _, gok := perCall(r, plain, calls); gok && yok && yns > 0 {
				yRatio = fmt.Sprintf("%.1fx", ns/yns)
			}
		}
		without := "-"
		if plain != nil {
			without = cpuSecs(plain)
		}
		ratio := "-"
		if ok(r) && ok(plain) && cpu(plain) > 0 {
			ratio = fmt.Sprintf("%.2fx", cpu(r)/cpu(plain))
		}
		t = append(t, []string{name, r.Label, size, callStr, without, cpuSecs(r), ratio, per, more, morePer, yPer, yRatio, c})
	}
	table(w, t, md, 3)
	return problems
}

// gcTable writes the table of the garbage-collector pauses of the
// variants run with GODEBUG=gctrace=1, if there are any: per variant the
// collections per run and the median and largest stop-the-world pause.
// It returns the number of problems and adds notes for them.
func gcTable(w io.Writer, ws []*workload, md bool, notes *[]string) int {
	problems := 0
	late := fmt.Sprintf("after %gs", lateGC)
	t := [][]string{{"workload", "variant", "what", "runs", "GCs/run", "STW pauses", "median ms", "max ms", "GCs/run " + late, "max ms " + late, "cpu s", "check"}}
	for _, wl := range ws {
		for _, name := range wl.order {
			r := wl.vars[name]
			if !r.GCTrace {
				continue
			}
			if r.Status == "skipped" {
				t = append(t, []string{wl.id, name, r.Label, "", "", "", "", "", "", "", "skipped", ""})
				continue
			}
			c := "ok"
			if r.Status != "ok" {
				problems++
				c = "WARNING: " + shortStatus(r)
				*notes = append(*notes, fmt.Sprintf("%s %s: %s: %s", wl.id, name, r.Status, r.Detail))
			}
			runs := len(r.Samples)
			perRun, med, mx, latePerRun, lateMax := "-", "-", "-", "-", "-"
			if runs > 0 {
				perRun = fmt.Sprintf("%.1f", float64(r.GCs)/float64(runs))
				latePerRun = fmt.Sprintf("%.1f", float64(r.GCsLate)/float64(runs))
				lateMax = "no GC"
			}
			if len(r.STWLate) > 0 {
				lateMax = fmt.Sprintf("%.3f", slices.Max(r.STWLate))
			}
			if len(r.STW) > 0 {
				med = fmt.Sprintf("%.3f", median(r.STW))
				mx = fmt.Sprintf("%.3f", slices.Max(r.STW))
			} else if runs > 0 {
				med, mx = "no GC", "no GC"
			}
			t = append(t, []string{wl.id, name, r.Label, strconv.Itoa(runs), perRun, strconv.Itoa(len(r.STW)), med, mx, latePerRun, lateMax, cpuSecs(r), c})
		}
	}
	if len(t) == 1 {
		return 0
	}
	fmt.Fprintln(w)
	title := "garbage-collector pauses (GODEBUG=gctrace=1; the stop-the-world phases are the first and third clock times of each collection)"
	if md {
		fmt.Fprintf(w, "**%s**\n\n", strings.ToUpper(title[:1])+title[1:])
	} else {
		fmt.Fprintln(w, title)
	}
	table(w, t, md, 3)
	return problems
}

// bootTable writes the table of the system-mode workloads (W10), whose
// variants are gemu-system and qemu-system booting the same kernel and
// initramfs: for each, the median wall time and CPU time (user + system)
// of a boot to power-off, and gemu-system's over qemu-system's of both.
// On a shared machine the CPU times are the figures to compare: wall time
// also counts the time the process waited for a processor. It returns
// the number of problems and adds notes for them.
func bootTable(w io.Writer, boots []*workload, md bool, notes *[]string) int {
	problems := 0
	if md {
		fmt.Fprint(w, "**System mode: boot to power-off** (gemu-system against qemu-system, TCG; wall and CPU time of the whole process)\n\n")
	} else {
		fmt.Fprintln(w, "system mode: boot to power-off (gemu-system against qemu-system, TCG; wall and CPU time of the whole process)")
	}
	t := [][]string{{"workload", "what", "gemu-system s", "qemu-system s", "gemu/qemu", "gemu-system cpu s", "qemu-system cpu s", "gemu/qemu cpu", "check"}}
	for _, wl := range boots {
		g, q := wl.vars["gemu-system"], wl.vars["qemu-system"]
		var check []string
		for _, name := range wl.order {
			r := wl.vars[name]
			switch r.Status {
			case "ok":
			case "skipped":
				*notes = append(*notes, fmt.Sprintf("%s %s: skipped: %s", wl.id, name, r.Detail))
			default:
				problems++
				check = append(check, name+" "+shortStatus(r))
				*notes = append(*notes, fmt.Sprintf("%s %s: %s: %s", wl.id, name, r.Status, r.Detail))
			}
		}
		c := "ok"
		if len(check) > 0 {
			c = "WARNING: " + strings.Join(check, ", ")
		}
		cpuRatio := "-"
		if ok(g) && ok(q) && cpu(q) > 0 {
			cpuRatio = fmt.Sprintf("%.2fx", cpu(g)/cpu(q))
		}
		t = append(t, []string{wl.id, wl.label, secs(g), secs(q), ratio(g, q), cpuSecs(g), cpuSecs(q), cpuRatio, c})
	}
	table(w, t, md, 2)
	return problems
}

// cpuSecs is a result's median CPU time, formatted like secs.
func cpuSecs(r *Result) string {
	if r == nil || r.Status == "skipped" || r.Status == "failed" || len(r.Samples) == 0 {
		return secs(r)
	}
	return fmt.Sprintf("%.3f", cpu(r))
}

// mib is a result's peak memory in MiB.
func mib(r *Result) string {
	if !ok(r) || r.MaxRSS <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f", float64(r.MaxRSS)/1024)
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
