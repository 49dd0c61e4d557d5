package plugins

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// procsEvent is one line of the procs plugin's log.
type procsEvent struct {
	kind     string // init, syscall, ret, exit
	pid, tid int
	num, ret int64
	insns    uint64
	line     string
}

func parseProcs(t *testing.T, log []string) []procsEvent {
	t.Helper()
	var evs []procsEvent
	for _, l := range log {
		if !strings.HasPrefix(l, "PROCS ") {
			continue
		}
		var e procsEvent
		e.line = l
		switch {
		case strings.HasPrefix(l, "PROCS init "):
			e.kind = "init"
			_, err := fmt.Sscanf(l, "PROCS init pid=%d", &e.pid)
			check(t, err, l)
		case strings.HasPrefix(l, "PROCS exit "):
			e.kind = "exit"
			_, err := fmt.Sscanf(l, "PROCS exit pid=%d insns=%d", &e.pid, &e.insns)
			check(t, err, l)
		case strings.Contains(l, " ret "):
			e.kind = "ret"
			_, err := fmt.Sscanf(l, "PROCS pid=%d tid=%d ret %d %d", &e.pid, &e.tid, &e.num, &e.ret)
			check(t, err, l)
			if strings.HasSuffix(l, ")") {
				t.Errorf("plugin_syscall_ret before eax/rax held the result: %s", l)
			}
		default:
			e.kind = "syscall"
			_, err := fmt.Sscanf(l, "PROCS pid=%d tid=%d syscall %d", &e.pid, &e.tid, &e.num)
			check(t, err, l)
		}
		evs = append(evs, e)
	}
	return evs
}

func check(t *testing.T, err error, line string) {
	t.Helper()
	if err != nil {
		t.Fatalf("bad log line %q: %v", line, err)
	}
}

// TestForkAndThreadWithPlugin runs a guest that forks and starts a thread
// under a plugin logging every system call with its process and thread
// ids. The documented semantics (include/plugins.h, docs/plugins.md): the
// forked child runs a fresh instance of the plugin (plugin_init again, its
// counters from zero, its own plugin_exit), whose first event is
// plugin_syscall_ret of the fork with 0; a new thread's first event is
// plugin_syscall_ret of its clone with 0, on its own thread.
func TestForkAndThreadWithPlugin(t *testing.T) {
	for _, mode := range modes {
		t.Run(archName(mode), func(t *testing.T) {
			arch := "-m64"
			if mode == 32 {
				arch = "-m32"
			}
			prog := buildOnce(t, fmt.Sprintf("forkthread%d", mode), "cc", arch, "-static", "-O1", "-pthread", filepath.Join("testdata", "forkthread.c"))
			r := runGemu(t, true, "-plugin", "file="+testPlugin(t, "procs"), prog)
			if want := "child\nchild status 3\nthread done 2050177040\n"; r.status != 0 || r.stdout != want {
				t.Fatalf("status %d, stdout %q, want 0 and %q; stderr %s", r.status, r.stdout, want, r.stderr)
			}
			evs := parseProcs(t, r.log)
			if len(evs) == 0 || evs[0].kind != "init" {
				t.Fatalf("log does not start with the parent's plugin_init:\n%s", strings.Join(r.log, "\n"))
			}
			parent := evs[0].pid
			clone := int64(56) // clone on x86-64; glibc's fork and pthread_create use it
			if mode == 32 {
				clone = 120
			}
			// The parent's clone returns: the child's pid, then the thread's tid.
			var news []int
			for _, e := range evs {
				if e.kind == "ret" && e.pid == parent && e.num == clone && e.ret > 0 {
					news = append(news, int(e.ret))
				}
			}
			if len(news) != 2 {
				t.Fatalf("%d clone returns in the parent (want the child's pid and the thread's tid):\n%s", len(news), strings.Join(r.log, "\n"))
			}
			child, thread := news[0], news[1]

			// The child: plugin_init, then the fork's return of 0 before
			// any other event, its own exit with a count from zero.
			var ce []procsEvent
			for _, e := range evs {
				if e.pid == child {
					ce = append(ce, e)
				}
			}
			if len(ce) < 3 || ce[0].kind != "init" {
				t.Fatalf("child %d's events do not start with plugin_init: %q", child, lineOf(ce))
			}
			if e := ce[1]; e.kind != "ret" || e.tid != child || e.num != clone || e.ret != 0 {
				t.Errorf("child's first event after plugin_init: %q, want its plugin_syscall_ret of clone (%d) = 0", e.line, clone)
			}
			last := ce[len(ce)-1]
			if last.kind != "exit" {
				t.Fatalf("child's last event %q, want its plugin_exit", last.line)
			}
			var parentExit *procsEvent
			for i, e := range evs {
				if e.kind == "exit" && e.pid == parent {
					parentExit = &evs[i]
				}
			}
			if parentExit == nil {
				t.Fatalf("no plugin_exit in the parent")
			}
			// The parent ran a loop of 300,000 iterations before the fork;
			// the child only writes and exits.
			if parentExit.insns < 1000000 || last.insns > 20000 {
				t.Errorf("insns: parent %d, child %d; want the child's count to start at 0 (child < 20000 < 1000000 < parent)", parentExit.insns, last.insns)
			}
			t.Logf("insns: parent %d, forked child %d", parentExit.insns, last.insns)

			// The thread: its first event is its clone's return of 0.
			var te []procsEvent
			for _, e := range evs {
				if e.tid == thread {
					te = append(te, e)
				}
			}
			if len(te) == 0 {
				t.Fatalf("no event of thread %d", thread)
			}
			if e := te[0]; e.kind != "ret" || e.pid != parent || e.num != clone || e.ret != 0 {
				t.Errorf("thread's first event: %q, want its plugin_syscall_ret of clone (%d) = 0", e.line, clone)
			}
			// One plugin_init and one plugin_exit per process.
			count := map[string]int{}
			for _, e := range evs {
				if e.kind == "init" || e.kind == "exit" {
					count[fmt.Sprintf("%s %d", e.kind, e.pid)]++
				}
			}
			for _, k := range []string{"init", "exit"} {
				for _, p := range []int{parent, child} {
					if n := count[fmt.Sprintf("%s %d", k, p)]; n != 1 {
						t.Errorf("%d plugin_%s in process %d", n, k, p)
					}
				}
			}
		})
	}
}

func lineOf(evs []procsEvent) []string {
	var s []string
	for _, e := range evs {
		s = append(s, e.line)
	}
	return s
}
