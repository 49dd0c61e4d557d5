package plugins

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestThreadLocalCounts: a plugin's __thread counter, incremented before
// every instruction, is per guest thread (each vCPU runs its callbacks on
// one host thread of its own), and the counts of all threads, added up
// at each thread's last system call, are the instruction count of the
// insn tracer in the same run.
func TestThreadLocalCounts(t *testing.T) {
	for _, mode := range modes {
		t.Run(archName(mode), func(t *testing.T) {
			arch := map[int]string{32: "-m32", 64: "-m64"}[mode]
			prog := buildOnce(t, fmt.Sprintf("tlsthreads%d", mode), "cc", arch, "-static", "-O1", "-pthread", filepath.Join("testdata", "tlsthreads.c"))
			r := runGemu(t, true, "-plugin", "file="+testPlugin(t, "tlscount"), "-plugin", "insn", prog, "4")
			if r.status != 0 || r.stdout != "joined 4\n" {
				t.Fatalf("status %d, stdout %q, stderr %s", r.status, r.stdout, r.stderr)
			}
			var total, insns uint64
			var threads, moved int
			for _, l := range r.log {
				fmt.Sscanf(l, "tls: total %d threads %d moved %d", &total, &threads, &moved)
				if rest, ok := strings.CutPrefix(l, "insns: "); ok {
					insns, _ = strconv.ParseUint(rest, 10, 64)
				}
			}
			if threads != 5 || moved != 0 {
				t.Errorf("%d threads counted (want 5: main and 4 workers), %d moved between host threads", threads, moved)
			}
			if total != insns || insns < 4*200000 {
				t.Errorf("__thread counts add up to %d, insn counted %d", total, insns)
			}
			t.Logf("total %d insns %d threads %d", total, insns, threads)
		})
	}
}

// TestReadMemoryRacesUnmap: qemulib_read_memory before every instruction
// of one guest thread, across two pages another thread maps, fills,
// protects and unmaps all the while, never faults gemu nor returns bytes
// that were not there: each read fails whole or returns the pages'
// contents.
func TestReadMemoryRacesUnmap(t *testing.T) {
	for _, mode := range modes {
		t.Run(archName(mode), func(t *testing.T) {
			arch := map[int]string{32: "-m32", 64: "-m64"}[mode]
			prog := buildOnce(t, fmt.Sprintf("unmaprace%d", mode), "cc", arch, "-static", "-O1", "-pthread", filepath.Join("testdata", "unmaprace.c"))
			r := runGemu(t, true, "-plugin", "file="+testPlugin(t, "readrace"), prog, "2000")
			if r.status != 0 || r.stdout != "rounds 2000\n" {
				t.Fatalf("status %d, stdout %q, stderr %s", r.status, r.stdout, r.stderr)
			}
			var ok, failed, bad uint64
			for _, l := range r.log {
				fmt.Sscanf(l, "readrace: ok %d failed %d bad %d", &ok, &failed, &bad)
			}
			if bad != 0 || ok+failed == 0 {
				t.Errorf("reads: %d ok, %d failed, %d returned bytes never written", ok, failed, bad)
			}
			if failed == 0 || ok == 0 {
				t.Errorf("reads: %d ok, %d failed: want both (the pages are mapped and unmapped all the while)", ok, failed)
			}
			t.Logf("reads: %d ok, %d failed", ok, failed)
		})
	}
}

// TestPluginLogToFullDevice: when qemulib_log, appending from C on the
// direct path, cannot write the log out (-D /dev/full), gemu says so once
// on stderr, as for its own lines, and the guest runs to its end.
func TestPluginLogToFullDevice(t *testing.T) {
	for _, mode := range modes {
		t.Run(archName(mode), func(t *testing.T) {
			r := runGemu(t, false, "-D", "/dev/full", "-plugin", "file="+example(t, "insn_log"), guest(t, mode))
			wantOK(t, r)
			const line = "gemu: log lost: write /dev/full: no space left on device\n"
			if r.stderr != line {
				t.Errorf("stderr %q, want %q", r.stderr, line)
			}
		})
	}
}

// TestPluginStdioFlushed: what a plugin prints with the C library's
// buffered stdio reaches stdout (a pipe here, so fully buffered) when the
// guest ends, though gemu does not end through the C library's exit.
func TestPluginStdioFlushed(t *testing.T) {
	for _, mode := range modes {
		t.Run(archName(mode), func(t *testing.T) {
			r := runGemu(t, false, "-plugin", "file="+testPlugin(t, "printf"), guest(t, mode))
			if r.status != 0 || strings.Count(r.stdout, "plugin tb ") != 3 {
				t.Errorf("status %d, stdout %q: want the guest's output and 3 plugin lines", r.status, r.stdout)
			}
		})
	}
}

// TestSleepingCallbacks: callbacks that sleep (block and system call
// callbacks, on the direct path, where gemu's runtime cannot stop the
// thread until they return) only make the run slower: the guest and the
// plugin see everything as without the sleeps.
func TestSleepingCallbacks(t *testing.T) {
	for _, mode := range modes {
		t.Run(archName(mode), func(t *testing.T) {
			r := runGemu(t, true, "-plugin", "file="+testPlugin(t, "sleepy"), "-strace", guest(t, mode))
			wantOK(t, r)
			names, _ := straceCalls(r.log)
			want := fmt.Sprintf("sleepy: %d sleeps", 20+len(names))
			if last := r.log[len(r.log)-1]; last != want {
				t.Errorf("last log line %q, want %q (%d system calls)", last, want, len(names))
			}
		})
	}
}
