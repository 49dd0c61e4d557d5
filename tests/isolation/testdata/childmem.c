// Opens its forked child's /proc/PID/mem (and the task/TID form) and
// reads the child's copy of a global. Natively that reads the child's
// memory. Under gemu the child is another gemu, whose host memory is not
// the guest's: the file must show the child guest's memory (which the
// child's gemu serves), never that gemu's own.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile unsigned long marker = 0x1111;

static void try(const char *path)
{
	int fd = open(path, O_RDWR);
	if (fd < 0) {
		printf("%s: %s\n", strchr(path + 6, '/'), strerror(errno));
		return;
	}
	unsigned long v = 0;
	ssize_t r = pread(fd, &v, sizeof v, (off_t)(unsigned long)&marker);
	printf("%s: read %zd, child's value: %s\n", strchr(path + 6, '/'), r, v == 0x2222 ? "yes" : "no");
	close(fd);
}

int main(void)
{
	int p[2];
	if (pipe(p) != 0)
		return 1;
	pid_t pid = fork();
	if (pid == 0) {
		marker = 0x2222;
		write(p[1], "r", 1);
		pause();
		_exit(0);
	}
	char c;
	read(p[0], &c, 1);
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/mem", pid);
	try(path);
	snprintf(path, sizeof path, "/proc/%d/task/%d/mem", pid, pid);
	try(path);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return 0;
}
