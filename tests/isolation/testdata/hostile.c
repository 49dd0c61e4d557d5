// A guest that tries to reach the emulator through descriptors: it writes
// a marker to every number below its RLIMIT_NOFILE, closes them all,
// writes again, calls close_range(3, ~0U, 0), reopens every number by
// path (its own symbolic link to /proc/self/fd/N, a path through
// /proc/self/fd/0/.., a relative name inside /proc/self/fd), dup2s stdout
// over every number, writes to each, and must still work: open a file,
// fork, exit 3.
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
	// Reopen descriptors by path: through a symbolic link of its own,
	// from inside /proc/self/fd, and with more path after a number.
	int reopened = 0;
	char name[64], cwd[4096];
	getcwd(cwd, sizeof cwd);
	for (int fd = 3; fd < 1024; fd++) {
		snprintf(name, sizeof name, "/proc/self/fd/%d", fd);
		unlink("lnk");
		symlink(name, "lnk");
		int r = open("lnk", O_WRONLY | O_APPEND);
		if (r >= 0 && write(r, marker, sizeof marker - 1) > 0)
			reopened++;
		if (r >= 0)
			close(r);
		snprintf(name, sizeof name, "/proc/self/fd/0/../../self/fd/%d", fd);
		r = open(name, O_WRONLY | O_APPEND);
		if (r >= 0 && write(r, marker, sizeof marker - 1) > 0)
			reopened++;
		if (r >= 0)
			close(r);
	}
	unlink("lnk");
	if (chdir("/proc/self/fd") == 0) {
		for (int fd = 3; fd < 1024; fd++) {
			snprintf(name, sizeof name, "%d", fd);
			int r = open(name, O_WRONLY | O_APPEND);
			if (r >= 0 && write(r, marker, sizeof marker - 1) > 0)
				reopened++;
			if (r >= 0)
				close(r);
		}
		chdir(cwd);
	}
	for (int fd = 3; fd < lim; fd++)
		if (dup2(1, fd) == fd)
			dups++;
	for (int fd = 3; fd < lim; fd++)
		if (write(fd, marker, 0) == 0)
			empty++;
	printf("wrote %d, closed %d, writes after closing %d, close_range %ld, reopened by path %d, dup2 all: %s, "
	       "empty writes all: %s\n",
	       wrote, closed, after, cr, reopened, dups == lim - 3 ? "yes" : "no", empty == lim - 3 ? "yes" : "no");
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
