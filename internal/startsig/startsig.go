// Package startsig tells which signals the process started with ignored.
//
// A program inherits SIG_IGN dispositions across execve (`nohup prog`,
// a shell's background jobs, a shell trap with an empty action), and a guest run by gemu must
// inherit them as it would natively. The Go runtime replaces most
// signals' dispositions with its own handler before any Go code runs, so
// only C code that runs earlier can see them: a constructor in this
// package records them when the C runtime starts gemu, before Go's
// runtime initializes. This is the one use of cgo outside plugin loading;
// gemu is linked with cgo for its C plugins anyway.
package startsig

/*
#include <signal.h>

static unsigned long long gemu_ignored_at_start;

__attribute__((constructor)) static void gemu_record_ignored(void)
{
	for (int sig = 1; sig <= 64; sig++) {
		struct sigaction a;
		if (sigaction(sig, NULL, &a) == 0 && a.sa_handler == SIG_IGN)
			gemu_ignored_at_start |= 1ull << (sig - 1);
	}
}

static unsigned long long gemu_start_ignored(void) { return gemu_ignored_at_start; }
*/
import "C"

// Ignored returns the signals whose disposition was SIG_IGN when the
// process started, as a mask with bit sig-1 for signal sig.
func Ignored() uint64 { return uint64(C.gemu_start_ignored()) }
