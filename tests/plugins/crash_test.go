package plugins

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// TestPluginCrash: a C plugin that crashes ends gemu with exactly one
// stderr line naming the plugin and the signal (never the Go runtime's
// dump), the status of a process killed by that signal, and a -D log
// holding everything written before the crash: the plugin's lines and
// gemu's own (-strace).
func TestPluginCrash(t *testing.T) {
	at := `at pc 0x[0-9a-f]+ \(libcrash\.so\+0x[0-9a-f]+\) `
	tests := []struct {
		mode   string
		sig    syscall.Signal
		line   string // the stderr line after "gemu: plugin LIB crashed: "
		strace bool   // the guest ran: -strace lines precede the crash
	}{
		{"segv", syscall.SIGSEGV, `SIGSEGV \(segmentation fault\) ` + at + `in plugin_before_insn`, false},
		{"abort", syscall.SIGABRT, `SIGABRT \(aborted\) in plugin_init`, false},
		{"overflow", syscall.SIGSEGV, `SIGSEGV \(stack overflow\) ` + at + `in plugin_before_tb`, false},
		{"aborttb", syscall.SIGABRT, `SIGABRT \(aborted\) in plugin_before_tb`, false},
		{"nullmem", syscall.SIGSEGV, `SIGSEGV \(segmentation fault\) ` + at + `in plugin_mem_access`, false},
		{"fpe", syscall.SIGFPE, `SIGFPE \(integer divide by zero\) ` + at + `in plugin_before_insn`, false},
		{"bus", syscall.SIGBUS, `SIGBUS \(bus error\) ` + at + `in plugin_before_insn`, false},
		{"ill", syscall.SIGILL, `SIGILL \(illegal instruction\) ` + at + `in plugin_before_insn`, false},
		{"libc", syscall.SIGSEGV, `SIGSEGV \(segmentation fault\) at pc 0x[0-9a-f]+ in plugin_syscall`, false},
		{"thread", syscall.SIGSEGV, `SIGSEGV \(segmentation fault\) ` + at + `in a thread of the plugin`, true},
		{"vcpu", syscall.SIGSEGV, `SIGSEGV \(stack overflow\) ` + at + `in plugin_syscall_ret`, true},
	}
	for _, tt := range tests {
		for _, mode := range modes {
			t.Run(tt.mode+"/"+archName(mode), func(t *testing.T) {
				lib := testPlugin(t, "crash")
				prog := guest(t, mode)
				arch := map[int]string{32: "-m32", 64: "-m64"}[mode]
				switch tt.mode {
				case "thread":
					prog = buildOnce(t, fmt.Sprintf("sleeper%d", mode), "cc", arch, "-static", "-O1", filepath.Join("testdata", "sleeper.c"))
				case "vcpu":
					prog = buildOnce(t, fmt.Sprintf("forkthread%d", mode), "cc", arch, "-static", "-O1", "-pthread", filepath.Join("testdata", "forkthread.c"))
				}
				r := runGemu(t, true, "-strace", "-plugin", "file="+lib+",args="+tt.mode, prog)
				want := regexp.MustCompile(`^gemu: plugin ` + regexp.QuoteMeta(lib) + ` crashed: ` + tt.line + "\n$")
				if !want.MatchString(r.stderr) {
					t.Errorf("stderr:\n%s\nwant one line matching %s", r.stderr, want)
				}
				for _, bad := range []string{"goroutine", "runtime", "panic"} {
					if strings.Contains(r.stderr, bad) {
						t.Errorf("stderr mentions %q: %s", bad, r.stderr)
					}
				}
				if r.signal != tt.sig {
					t.Errorf("gemu ended with status %d (signal %v), want killed by %v", r.status, r.signal, tt.sig)
				}
				for i := 1; i <= 3; i++ {
					// A line may follow an -strace call's start, whose end
					// never comes.
					l := fmt.Sprintf("CRASH %s line %d", tt.mode, i)
					if !slices.ContainsFunc(r.log, func(s string) bool { return strings.HasSuffix(s, l) }) {
						t.Errorf("the -D log lacks %q:\n%s", l, strings.Join(r.log, "\n"))
					}
				}
				if names, _ := straceCalls(r.log); tt.strace && len(names) == 0 {
					t.Errorf("the -D log lacks gemu's -strace lines:\n%s", strings.Join(r.log, "\n"))
				}
				t.Logf("status %d, stderr %q, %d log lines", r.status, r.stderr, len(r.log))
			})
		}
	}
}
