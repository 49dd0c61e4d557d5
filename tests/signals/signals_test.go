// Package signals tests that signals sent to gemu from outside reach the
// guest as they reach a native process. Each scenario of src/sigtest.c
// runs natively and under gemu; the test sends signals at the points the
// program announces on stdout ("ready", ...), watches the process with
// waitpid(WUNTRACED|WCONTINUED), and compares the two runs: stdout lines,
// stderr, stop and continue events, and how the process ended.
//
//	go test ./tests/signals/                       # builds gemu/cmd/gemu
//	GEMU=/path/to/gemu go test ./tests/signals/    # another build
package signals

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	tmpRoot string

	buildOnce sync.Once
	gemuPath  string
	progs     map[string]string // arch -> compiled sigtest
	buildErr  error
)

func TestMain(m *testing.M) {
	// Core-dumping default actions must not leave core files behind.
	_ = syscall.Setrlimit(syscall.RLIMIT_CORE, &syscall.Rlimit{})
	dir, err := os.MkdirTemp("", "gemu-signals-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	tmpRoot = dir
	code := m.Run()
	os.RemoveAll(tmpRoot)
	os.Exit(code)
}

// setup builds gemu (or takes $GEMU) and compiles sigtest.c for i386 and
// x86-64, once.
func setup(t *testing.T) {
	t.Helper()
	buildOnce.Do(func() {
		if g := os.Getenv("GEMU"); g != "" {
			gemuPath, buildErr = filepath.Abs(g)
		} else {
			gemuPath = filepath.Join(tmpRoot, "gemu")
			if b, err := exec.Command("go", "build", "-o", gemuPath, "gemu/cmd/gemu").CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("building gemu: %v\n%s", err, b)
				return
			}
		}
		progs = map[string]string{}
		for arch, flag := range map[string]string{"x86_64": "-m64", "i386": "-m32"} {
			out := filepath.Join(tmpRoot, "sigtest-"+arch)
			if b, err := exec.Command("gcc", flag, "-static", "-O1", "-o", out, "src/sigtest.c").CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("gcc %s (install gcc and gcc-multilib): %v\n%s", flag, err, b)
				return
			}
			progs[arch] = out
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
}

// Timeouts of one run's steps (gemu may share a busy machine).
const (
	lineTimeout = 20 * time.Second
	exitTimeout = 20 * time.Second
)

// proc is one run of a scenario, natively or under gemu.
type proc struct {
	t       *testing.T
	pid     int
	stdin   io.WriteCloser
	lines   chan string
	events  chan string // "stopped N", "continued", "exit N", "signal N"
	stderr  *strings.Builder
	errDone chan struct{}

	out     []string // stdout lines, in order
	evs     []string // stop/continue events and the end, in order
	failure string   // a step that timed out
	ended   bool
	exitIn  time.Duration // finish's wait, if not exitTimeout
}

// start runs argv in a process group of its own (so that job control
// stops take effect and group signals stay inside), with extra settings
// applied to the command first.
func start(t *testing.T, argv []string, prep func(*exec.Cmd)) *proc {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LANG=C", "LC_ALL=C"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if prep != nil {
		prep(cmd)
	}
	inR, inW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, errW
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	inR.Close()
	outW.Close()
	errW.Close()
	p := &proc{t: t, pid: cmd.Process.Pid, stdin: inW, lines: make(chan string, 64),
		events: make(chan string, 16), stderr: &strings.Builder{}, errDone: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		outR.Close()
		close(p.lines)
	}()
	go func() {
		io.Copy(p.stderr, errR)
		errR.Close()
		close(p.errDone)
	}()
	// The process is reaped here, not by exec.Cmd, to see stops too.
	go func() {
		for {
			var ws syscall.WaitStatus
			_, err := syscall.Wait4(p.pid, &ws, syscall.WUNTRACED|syscall.WCONTINUED, nil)
			switch {
			case err == syscall.EINTR:
				continue
			case err != nil:
				p.events <- "wait error " + err.Error()
			case ws.Stopped():
				p.events <- fmt.Sprintf("stopped %d", ws.StopSignal())
				continue
			case ws.Continued():
				p.events <- "continued"
				continue
			case ws.Signaled():
				p.events <- fmt.Sprintf("signal %d", ws.Signal())
			default:
				p.events <- fmt.Sprintf("exit %d", ws.ExitStatus())
			}
			close(p.events)
			return
		}
	}()
	return p
}

// fail records that a step could not be done; the run is then killed.
func (p *proc) fail(format string, args ...any) {
	if p.failure == "" {
		p.failure = fmt.Sprintf(format, args...)
	}
}

// event records a wait event; a stop is answered with SIGCONT.
func (p *proc) event(e string) {
	p.evs = append(p.evs, e)
	switch {
	case strings.HasPrefix(e, "stopped"):
		syscall.Kill(p.pid, syscall.SIGCONT)
	case e == "continued":
		// Not recorded: a process that ends soon after it was continued
		// may be reported as ended only.
		p.evs = p.evs[:len(p.evs)-1]
	default:
		p.ended = true
	}
}

// waitLine reads stdout until a line starting with prefix, and returns it.
func (p *proc) waitLine(prefix string) string {
	if p.failure != "" {
		return ""
	}
	timeout := time.After(lineTimeout)
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				p.fail("stdout closed before %q", prefix)
				return ""
			}
			p.out = append(p.out, l)
			if strings.HasPrefix(l, prefix) {
				return l
			}
		case e, ok := <-p.events:
			if ok {
				p.event(e)
			} else {
				p.events = nil
			}
		case <-timeout:
			p.fail("no line %q within %v", prefix, lineTimeout)
			return ""
		}
	}
}

// interrupt sends SIGUSR1 until the program prints a line starting with
// prefix (the result of the call it interrupts): one that arrives before
// the program is in the call only runs the handler, and the call then
// waits for the next.
func (p *proc) interrupt(prefix string) {
	for i := 0; i < 40 && p.failure == ""; i++ {
		p.signal(p.pid, syscall.SIGUSR1)
		if p.tryLine(prefix, 500*time.Millisecond) {
			return
		}
	}
	p.fail("no line %q after 40 signals", prefix)
}

// tryLine is waitLine with a timeout that is not a failure.
func (p *proc) tryLine(prefix string, d time.Duration) bool {
	timeout := time.After(d)
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				p.fail("stdout closed before %q", prefix)
				return false
			}
			p.out = append(p.out, l)
			if strings.HasPrefix(l, prefix) {
				return true
			}
		case <-timeout:
			return false
		}
	}
}

// signal sends sig to the process (pid > 0) or to another pid.
func (p *proc) signal(pid int, sig syscall.Signal) {
	if p.failure == "" {
		syscall.Kill(pid, sig)
	}
}

// deadline sets how long finish waits for the end (default exitTimeout).
func (p *proc) deadline(d time.Duration) { p.exitIn = d }

// finish waits for the process to end (killing it after exitTimeout or
// the deadline) and returns the run's transcript.
func (p *proc) finish() string {
	p.stdin.Close()
	d := exitTimeout
	if p.exitIn > 0 {
		d = p.exitIn
	}
	timeout := time.After(d)
	for p.lines != nil || !p.ended {
		if p.failure != "" && !p.ended {
			syscall.Kill(p.pid, syscall.SIGKILL)
		}
		select {
		case l, ok := <-p.lines:
			if !ok {
				p.lines = nil
				continue
			}
			p.out = append(p.out, l)
		case e, ok := <-p.events:
			if !ok {
				p.events = nil
				p.ended = true
				continue
			}
			p.event(e)
		case <-timeout:
			p.fail("still running after %v", d)
			timeout = nil
		}
	}
	<-p.errDone
	var b strings.Builder
	for _, l := range p.out {
		fmt.Fprintf(&b, "out: %s\n", l)
	}
	if p.stderr.Len() > 0 {
		fmt.Fprintf(&b, "stderr: %q\n", p.stderr.String())
	}
	for _, e := range p.evs {
		fmt.Fprintf(&b, "event: %s\n", e)
	}
	if p.failure != "" {
		fmt.Fprintf(&b, "FAILED: %s\n", p.failure)
	}
	return b.String()
}

// scenario is one differential case: a program run and what the test
// does to it.
type scenario struct {
	name   string
	argv   []string // program arguments after the program
	prep   func(*exec.Cmd)
	script func(p *proc)
	// wrap, if set, is a command the program is run through (natively
	// and with gemu in its place), like nohup.
	wrap []string
}

// runBoth runs sc natively and under gemu and returns both transcripts.
// The native run is always the x86-64 build's: not every x86-64 host runs
// i386 code (this one has no IA32 emulation and hands it to qemu-i386,
// whose signal handling is not the kernel's), and the program's output
// does not depend on the architecture.
func runBoth(t *testing.T, arch string, sc scenario) (native, emulated string) {
	run := func(emu bool) string {
		argv := append([]string{progs["x86_64"]}, sc.argv...)
		if emu {
			argv = append([]string{gemuPath, progs[arch]}, sc.argv...)
		}
		argv = append(append([]string{}, sc.wrap...), argv...)
		p := start(t, argv, sc.prep)
		sc.script(p)
		return p.finish()
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		native = run(false)
	}()
	emulated = run(true)
	wg.Wait()
	return native, emulated
}

// runAll runs the scenarios with up to par at a time (most of their time
// is spent waiting) and compares each pair in a subtest.
func runAll(t *testing.T, arch string, scs []scenario, par int) {
	type result struct{ native, emulated string }
	res := make([]result, len(scs))
	sem := make(chan struct{}, par)
	var wg sync.WaitGroup
	for i := range scs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			res[i].native, res[i].emulated = runBoth(t, arch, scs[i])
		}()
	}
	wg.Wait()
	for i, sc := range scs {
		t.Run(sc.name, func(t *testing.T) {
			r := res[i]
			if strings.Contains(r.native, "FAILED") {
				t.Fatalf("the native run did not go as the test expects:\n%s", r.native)
			}
			if r.native != r.emulated {
				t.Errorf("native and gemu differ\n--- native\n%s--- gemu\n%s", r.native, r.emulated)
			}
		})
	}
}

// reserved are the signals the matrix leaves out: SIGKILL and SIGSTOP
// cannot be caught, glibc keeps 32 and 33 for itself.
func reserved(sig int) bool { return sig == 9 || sig == 19 || sig == 32 || sig == 33 }

// TestSignalMatrix sends every catchable signal from outside to a guest
// that handles it (h), leaves it at its default action (d), ignores it
// (i), or blocks it (b: it must then be pending, and act when unblocked).
// A second signal, the probe, ends the guest's wait. Stops are answered
// with SIGCONT and recorded.
func TestSignalMatrix(t *testing.T) {
	setup(t)
	for _, arch := range []string{"x86_64", "i386"} {
		t.Run(arch, func(t *testing.T) {
			var scs []scenario
			for sig := 1; sig <= 64; sig++ {
				if reserved(sig) {
					continue
				}
				probe := syscall.SIGUSR1
				if sig == int(syscall.SIGUSR1) {
					probe = syscall.SIGUSR2
				}
				for _, mode := range []string{"h", "d", "i", "b"} {
					if arch == "i386" && mode != "h" && mode != "d" {
						continue // the host side is the same for both
					}
					s := syscall.Signal(sig)
					scs = append(scs, scenario{
						name: fmt.Sprintf("%d-%s", sig, mode),
						argv: []string{"case", mode, fmt.Sprint(sig), fmt.Sprint(int(probe))},
						script: func(p *proc) {
							p.waitLine("ready")
							p.signal(p.pid, s)
							// The probe must come second: after the
							// handler ran, or after a fatal signal
							// had time to act.
							if mode == "h" {
								p.waitLine("handler")
							} else {
								time.Sleep(300 * time.Millisecond)
							}
							p.signal(p.pid, probe)
						},
					})
				}
			}
			runAll(t, arch, scs, 16)
		})
	}
}

// TestBlockingCalls interrupts blocking system calls with a signal whose
// handler has no SA_RESTART (EINTR), and a read whose handler has it (the
// read goes on and returns what the test writes after the handler ran);
// SIGTERM must end a huge mapping within 3 s.
func TestBlockingCalls(t *testing.T) {
	setup(t)
	var scs []scenario
	for _, op := range []string{"nanosleep", "pause", "sigsuspend", "wait4", "futex", "select"} {
		scs = append(scs, scenario{
			name: op,
			argv: []string{"block", op},
			script: func(p *proc) {
				p.waitLine("ready")
				p.interrupt(op + "=")
			},
		})
	}
	scs = append(scs, scenario{
		name: "mmap-term",
		argv: []string{"block", "mmap"},
		script: func(p *proc) {
			p.waitLine("ready")
			time.Sleep(300 * time.Millisecond)
			p.signal(p.pid, syscall.SIGTERM)
			p.deadline(3 * time.Second)
		},
	}, scenario{
		name: "read-eintr",
		argv: []string{"read", "0"},
		script: func(p *proc) {
			p.waitLine("ready")
			p.interrupt("read=")
		},
	}, scenario{
		name: "read-restart",
		argv: []string{"read", "1"},
		script: func(p *proc) {
			p.waitLine("ready")
			p.signal(p.pid, syscall.SIGUSR1)
			p.waitLine("handler")
			io.WriteString(p.stdin, "data\n")
			p.waitLine("read=")
		},
	})
	runAll(t, "x86_64", scs, 8)
}

// TestProcessGroup: kill(0, sig) and kill(-pgrp, sig) from a guest reach
// it and its forked child (two gemu processes under gemu).
func TestProcessGroup(t *testing.T) {
	setup(t)
	runAll(t, "x86_64", []scenario{{
		name:   "group",
		argv:   []string{"group"},
		script: func(p *proc) { p.waitLine("child exited") },
	}}, 1)
}

// TestStopContinueChild: a guest's child stopped and continued from
// outside is reported by waitpid with WUNTRACED and WCONTINUED.
func TestStopContinueChild(t *testing.T) {
	setup(t)
	runAll(t, "x86_64", []scenario{{
		name: "stopchild",
		argv: []string{"stopchild"},
		script: func(p *proc) {
			l := p.waitLine("child ")
			var pid int
			if _, err := fmt.Sscanf(l, "child %d", &pid); err != nil || pid <= 0 {
				p.fail("bad line %q", l)
				return
			}
			p.out[len(p.out)-1] = "child PID"
			p.signal(pid, syscall.SIGSTOP)
			p.waitLine("waitpid=")
			p.signal(pid, syscall.SIGCONT)
			p.waitLine("waitpid=")
		},
	}}, 1)
}

// TestInheritedIgnore: signals ignored by the process that starts gemu
// (nohup, a shell's trap "") or by a guest before execve stay ignored,
// and the guest survives them.
func TestInheritedIgnore(t *testing.T) {
	setup(t)
	survive := func(sigs ...syscall.Signal) func(p *proc) {
		return func(p *proc) {
			p.waitLine("ready")
			for _, s := range sigs {
				p.signal(p.pid, s)
			}
			time.Sleep(100 * time.Millisecond)
			p.signal(p.pid, syscall.SIGUSR1)
		}
	}
	nohup, err := exec.LookPath("nohup")
	if err != nil {
		t.Fatalf("nohup: %v", err)
	}
	runAll(t, "x86_64", []scenario{{
		name:   "nohup",
		wrap:   []string{nohup},
		argv:   []string{"disp"},
		script: survive(syscall.SIGHUP),
	}, {
		name:   "trap",
		wrap:   []string{"/bin/sh", "-c", `trap "" HUP INT TSTP TTOU; exec "$@"`, "sh"},
		argv:   []string{"disp"},
		script: survive(syscall.SIGHUP, syscall.SIGINT, syscall.SIGTSTP, syscall.SIGTTOU),
	}, {
		// Signals whose disposition Go's runtime replaces at start: gemu
		// sees them ignored through package startsig.
		name:   "trap-runtime",
		wrap:   []string{"/bin/sh", "-c", `trap "" QUIT TERM USR2 ALRM PIPE; exec "$@"`, "sh"},
		argv:   []string{"disp"},
		script: survive(syscall.SIGQUIT, syscall.SIGTERM, syscall.SIGUSR2, syscall.SIGALRM, syscall.SIGPIPE),
	}, {
		name:   "execve",
		argv:   []string{"execign"},
		script: survive(syscall.SIGHUP, syscall.SIGUSR2, syscall.SIGWINCH),
	}}, 3)
}
