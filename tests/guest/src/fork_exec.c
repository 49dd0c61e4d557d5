// gemu-test: dyn=1
// Processes: fork with exit status and signal death reported by waitpid,
// pipes between parent and child, vfork+_exit, posix_spawn-like
// fork+execve of this same program (argv[0]) in a child mode, wait4 rusage,
// getppid relation, process groups.
#include "gt.h"
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "child")) {
		/* exec'd child mode */
		printf("exec child: argc=%d arg2=%s env GEMU_TEST_CHILD=%s\n", argc, argc > 2 ? argv[2] : "",
		       getenv("GEMU_TEST_CHILD") ? getenv("GEMU_TEST_CHILD") : "(unset)");
		char buf[64];
		ssize_t n = read(0, buf, sizeof buf);
		printf("exec child read from parent pipe: %.*s\n", (int)(n > 0 ? n : 0), buf);
		return 17;
	}
	fflush(stdout);
	pid_t me = getpid();
	int p[2];
	pipe(p);
	pid_t c = fork();
	if (c == 0) {
		close(p[0]);
		const char *m = getppid() == me ? "child sees parent pid" : "wrong ppid";
		write(p[1], m, strlen(m));
		_exit(7);
	}
	close(p[1]);
	char buf[128];
	ssize_t n = read(p[0], buf, sizeof buf);
	close(p[0]);
	int st;
	pid_t w = waitpid(c, &st, 0);
	printf("child said: %.*s\n", (int)n, buf);
	printf("waitpid matched: %s exited=%d status=%d\n", w == c ? "yes" : "no", WIFEXITED(st), WEXITSTATUS(st));

	c = fork();
	if (c == 0) {
		raise(SIGTERM);
		_exit(0);
	}
	waitpid(c, &st, 0);
	printf("child killed: signaled=%d sig=%d\n", WIFSIGNALED(st), WTERMSIG(st));

	c = fork();
	if (c == 0) {
		volatile int *z = NULL;
		*z = 0;
		_exit(0);
	}
	waitpid(c, &st, 0);
	printf("child segfault: signaled=%d sig=%d\n", WIFSIGNALED(st), WTERMSIG(st));

	/* memory is copied, not shared */
	static int value = 1;
	c = fork();
	if (c == 0) {
		value = 2;
		_exit(value);
	}
	waitpid(c, &st, 0);
	printf("copy-on-write: child exit=%d parent value=%d\n", WEXITSTATUS(st), value);

	/* several children, reaped in any order, results summed */
	int total = 0;
	for (int i = 1; i <= 5; i++)
		if (fork() == 0)
			_exit(i * 10);
	for (int i = 0; i < 5; i++) {
		wait(&st);
		total += WEXITSTATUS(st);
	}
	printf("5 children total: %d, no more children: %s\n", total, wait(&st) == -1 ? "yes" : "no");

	/* vfork */
	c = vfork();
	if (c == 0)
		_exit(3);
	waitpid(c, &st, 0);
	printf("vfork child exit: %d\n", WEXITSTATUS(st));

	/* fork + execve of ourselves with a pipe as stdin */
	int q[2];
	pipe(q);
	fflush(stdout);
	c = fork();
	if (c == 0) {
		dup2(q[0], 0);
		close(q[0]);
		close(q[1]);
		char *args[] = {argv[0], "child", "second", NULL};
		char *envs[] = {"GEMU_TEST_CHILD=yes", "PATH=/usr/bin:/bin", NULL};
		execve(argv[0], args, envs);
		_exit(127);
	}
	close(q[0]);
	write(q[1], "hello exec", 10);
	close(q[1]);
	struct rusage ru;
	w = wait4(c, &st, 0, &ru);
	printf("exec'd child exit: %d (wait4 matched: %s)\n", WEXITSTATUS(st), w == c ? "yes" : "no");

	c = fork();
	if (c == 0) {
		execl("/nonexistent/program", "x", (char *)NULL);
		_exit(99);
	}
	waitpid(c, &st, 0);
	printf("failed exec falls through: %d\n", WEXITSTATUS(st));

	/* process group */
	c = fork();
	if (c == 0) {
		setpgid(0, 0);
		_exit(getpgrp() == getpid() ? 1 : 0);
	}
	waitpid(c, &st, 0);
	printf("child became group leader: %d\n", WEXITSTATUS(st));
	return 0;
}
