// prctl(PR_SET_PDEATHSIG / PR_GET_PDEATHSIG): the value, EINVAL for a bad
// signal or pointer, cleared in a forked child, kept across execve;
// delivered (handler with its siginfo, or the default action) when the
// thread that forked the child exits while its process lives on, and
// when the parent process exits; cleared by the execve of a set-user-ID
// program that changes the effective uid (run as root only).
#include "gt.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int get(void)
{
	int v = -1;
	if (prctl(PR_GET_PDEATHSIG, &v) != 0)
		return -100 - errno;
	return v;
}

static void status(const char *what, int st)
{
	if (WIFEXITED(st))
		printf("%s: exit status %d\n", what, WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		printf("%s: killed by signal %d\n", what, WTERMSIG(st));
	else
		printf("%s: status %#x\n", what, st);
	fflush(stdout);
}

static volatile sig_atomic_t got, gotcode;

static void on_sig(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	got = sig;
	gotcode = si->si_code;
}

static int ready[2];
static int deathsig;

/* The thread that forks the child whose parent-death signal it is. */
static void *forker(void *arg)
{
	(void)arg;
	pid_t pid = fork();
	if (pid == 0) {
		struct sigaction sa = {0};
		sa.sa_sigaction = on_sig;
		sa.sa_flags = SA_SIGINFO;
		sigaction(SIGUSR1, &sa, 0);
		sigset_t block, old;
		sigemptyset(&block);
		sigaddset(&block, deathsig);
		sigprocmask(SIG_BLOCK, &block, &old);
		prctl(PR_SET_PDEATHSIG, deathsig);
		alarm(20); /* no parent-death signal: killed by SIGALRM */
		write(ready[1], "r", 1);
		while (!got)
			sigsuspend(&old);
		printf("grandchild: got signal %d code %d, parent still alive: %s\n", (int)got, (int)gotcode,
		       getppid() != 1 ? "yes" : "no");
		fflush(stdout);
		_exit(0);
	}
	char c;
	read(ready[0], &c, 1);
	return (void *)(long)pid; /* the thread exits: the signal goes */
}

/* The thread that forked a child exits, the process lives on. */
static void thread_exit_case(int sig)
{
	deathsig = sig;
	pid_t mid = fork();
	if (mid == 0) {
		pipe(ready);
		pthread_t t;
		void *ret;
		pthread_create(&t, 0, forker, 0);
		pthread_join(t, &ret);
		int st;
		waitpid((pid_t)(long)ret, &st, 0);
		status(sig == SIGUSR1 ? "grandchild with a SIGUSR1 handler" : "grandchild with SIGTERM's default action", st);
		_exit(0);
	}
	int st;
	waitpid(mid, &st, 0);
	status("middle process", st);
}

/* The parent process exits: its child gets the signal. */
static void process_exit_case(void)
{
	int out[2];
	pipe(out);
	pid_t mid = fork();
	if (mid == 0) {
		int r[2];
		pipe(r);
		if (fork() == 0) {
			close(out[0]);
			sigset_t block, old;
			sigemptyset(&block);
			sigaddset(&block, SIGUSR2);
			sigprocmask(SIG_BLOCK, &block, &old);
			struct sigaction sa = {0};
			sa.sa_sigaction = on_sig;
			sa.sa_flags = SA_SIGINFO;
			sigaction(SIGUSR2, &sa, 0);
			prctl(PR_SET_PDEATHSIG, SIGUSR2);
			alarm(20);
			write(r[1], "r", 1);
			while (!got)
				sigsuspend(&old);
			char msg[64];
			int n = snprintf(msg, sizeof msg, "orphan: got signal %d code %d\n", (int)got, (int)gotcode);
			write(out[1], msg, n);
			_exit(0);
		}
		char c;
		read(r[0], &c, 1);
		_exit(3);
	}
	close(out[1]);
	int st;
	waitpid(mid, &st, 0);
	status("parent of the orphan", st);
	char buf[128];
	int n = read(out[0], buf, sizeof buf - 1);
	if (n > 0) {
		buf[n] = 0;
		printf("%s", buf);
	} else {
		printf("orphan: nothing\n");
	}
	fflush(stdout);
}

static void exec_case(const char *path, const char *what, int sig)
{
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, sig);
		execl(path, path, "get", what, (char *)0);
		printf("execve %s: errno %d\n", what, errno);
		_exit(99);
	}
	int st;
	waitpid(pid, &st, 0);
	status(what, st);
}

/* PR_SET_PDEATHSIG, then what PR_GET_PDEATHSIG says. */
static void try_set(const char *what, int sig)
{
	errno = 0;
	int r = prctl(PR_SET_PDEATHSIG, sig);
	int e = errno;
	printf("set %s: %d errno %d, get: %d\n", what, r, e, get());
}

int main(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[1], "get")) {
		printf("after execve (%s): PR_GET_PDEATHSIG %d\n", argv[2], get());
		fflush(stdout);
		return 0;
	}
	printf("start: %d\n", get());
	try_set("SIGUSR1", SIGUSR1);
	try_set("65", 65);
	try_set("-1", -1);
	errno = 0;
	int r = prctl(PR_GET_PDEATHSIG, (void *)8);
	printf("get to a bad pointer: %d errno %d\n", r, errno);
	try_set("64", 64);
	try_set("0", 0);
	prctl(PR_SET_PDEATHSIG, SIGUSR1);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		printf("forked child: %d\n", get());
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	prctl(PR_SET_PDEATHSIG, 0);

	thread_exit_case(SIGUSR1);
	thread_exit_case(SIGTERM);
	process_exit_case();
	exec_case("/proc/self/exe", "same program", SIGHUP);

	if (geteuid() != 0) {
		printf("set-user-ID execve: not root, skipped\n");
		return 0;
	}
	/* A set-user-ID copy owned by nobody: the execve changes the
	 * effective uid, and the parent-death signal is cleared. */
	int in = open("/proc/self/exe", O_RDONLY), fd = open("setuid-copy", O_WRONLY | O_CREAT | O_TRUNC, 0755);
	char buf[65536];
	ssize_t n;
	while ((n = read(in, buf, sizeof buf)) > 0)
		write(fd, buf, n);
	close(in);
	close(fd);
	if (chown("setuid-copy", 65534, 65534) != 0 || chmod("setuid-copy", 04755) != 0) {
		printf("set-user-ID copy: errno %d\n", errno);
		return 1;
	}
	exec_case("./setuid-copy", "set-user-ID program owned by nobody", SIGHUP);
	chown("setuid-copy", 0, 0);
	chmod("setuid-copy", 04755);
	exec_case("./setuid-copy", "set-user-ID program owned by root", SIGHUP);
	chmod("setuid-copy", 0755);
	exec_case("./setuid-copy", "plain copy", SIGHUP);
	unlink("setuid-copy");
	return 0;
}
