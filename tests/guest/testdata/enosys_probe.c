/* Calls every system call number of its ABI with every argument -1 and
 * prints the numbers answered with ENOSYS, one a line. Calls that would
 * end, fork, block or hang up the caller are skipped (their numbers are
 * printed as "skip N"). Built and compared by enosys_test.go. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static const long skipped[] = {
	SYS_exit, SYS_exit_group, SYS_fork, SYS_vfork, SYS_clone, SYS_clone3, SYS_execve, SYS_execveat,
	SYS_pause, SYS_rt_sigreturn, SYS_restart_syscall, SYS_vhangup, SYS_rt_sigsuspend,
#ifdef SYS_sigsuspend
	SYS_sigsuspend,
#endif
#ifdef SYS_sigreturn
	SYS_sigreturn,
#endif
#ifdef __x86_64__
	335, 336, /* uretprobe, uprobe: SIGILL outside a probe trampoline */
#endif
};

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, SIG_IGN); /* alarm(-1) */
	for (long nr = 0; nr < 470; nr++) {
		int skip = 0;
		for (unsigned i = 0; i < sizeof skipped / sizeof skipped[0]; i++)
			skip |= skipped[i] == nr;
		if (skip) {
			printf("skip %ld\n", nr);
			continue;
		}
		errno = 0;
		long r = syscall(nr, -1L, -1L, -1L, -1L, -1L, -1L);
		if (r == -1 && errno == ENOSYS)
			printf("%ld\n", nr);
	}
	fflush(stdout);
	return 0;
}
