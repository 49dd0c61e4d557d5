// A guest that tries to reach the emulator through descriptors: it writes
// a marker to every number below its RLIMIT_NOFILE, closes them all,
// writes again, calls close_range(3, ~0U, 0), dup2s stdout over every
// number, writes to each, and must still work: open a file, fork, exit 3.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

static const char marker[] = "GUEST-MARKER-b7f3\n";

int main(void)
{
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur > 65536) {
		rl.rlim_cur = 65536;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	int lim = (int)rl.rlim_cur;
	int wrote = 0, closed = 0, after = 0, dups = 0, empty = 0;
	for (int fd = 3; fd < lim; fd++)
		if (write(fd, marker, sizeof marker - 1) > 0)
			wrote++;
	for (int fd = 3; fd < lim; fd++)
		if (close(fd) == 0)
			closed++;
	for (int fd = 3; fd < lim; fd++)
		if (write(fd, marker, sizeof marker - 1) >= 0 || errno != EBADF)
			after++;
	long cr = syscall(SYS_close_range, 3, ~0U, 0);
	for (int fd = 3; fd < lim; fd++)
		if (dup2(1, fd) == fd)
			dups++;
	for (int fd = 3; fd < lim; fd++)
		if (write(fd, marker, 0) == 0)
			empty++;
	printf("wrote %d, closed %d, writes after closing %d, close_range %ld, dup2 all: %s, empty writes all: %s\n",
	       wrote, closed, after, cr, dups == lim - 3 ? "yes" : "no", empty == lim - 3 ? "yes" : "no");
	syscall(SYS_close_range, 3, ~0U, 0);
	int f = open("/dev/null", O_RDONLY);
	printf("open after all that: %d\n", f);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		printf("child writes\n");
		return 4;
	}
	int st;
	waitpid(pid, &st, 0);
	printf("child exit %d\n", WEXITSTATUS(st));
	return 3;
}
