// Process descriptors (issue 15 item 3): pidfd_open of the process itself
// and of a forked child, poll/select/epoll seeing the child's end,
// waitid(P_PIDFD), pidfd_send_signal to a child (default action, a handler
// with the sender's siginfo: SI_QUEUE and its value) and to the process
// itself (the handler runs before the call returns; a positive si_code
// allowed from the main thread only), pidfd_getfd of a child's descriptor
// by the child's own number and of the process's own, and the error paths
// (EINVAL, ESRCH, EBADF, EPERM, EFAULT).
#include "gt.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define BAD ((void *)16)

static void res(const char *what, long r)
{
	if (r < 0)
		printf("%s: -1 %s\n", what, strerrorname_np(errno));
	else
		printf("%s: %ld\n", what, r);
}

static int pidfd_open(pid_t pid, unsigned flags) { return (int)syscall(SYS_pidfd_open, pid, flags); }

static long send_sig(int fd, int sig, siginfo_t *si, unsigned flags)
{
	return syscall(SYS_pidfd_send_signal, fd, sig, si, flags);
}

static volatile int got_sig, got_code, got_value;

static void handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	got_sig = sig;
	got_code = si->si_code;
	got_value = si->si_value.sival_int;
}

static int readable(int fd, int ms)
{
	struct pollfd p = {fd, POLLIN, 0};
	int r = poll(&p, 1, ms);
	return r < 0 ? -1 : r == 1 && (p.revents & POLLIN);
}

static siginfo_t queue_info(int sig, int code, int value)
{
	siginfo_t si;
	memset(&si, 0, sizeof si);
	si.si_signo = sig;
	si.si_code = code;
	si.si_pid = getpid();
	si.si_uid = getuid();
	si.si_value.sival_int = value;
	return si;
}

static void *other_thread(void *arg)
{
	int fd = *(int *)arg;
	siginfo_t si = queue_info(SIGUSR2, 1, 5);
	got_sig = 0;
	res("positive code to the process from another thread", send_sig(fd, SIGUSR2, &si, 0));
	return NULL;
}

static void self(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);

	int fd = pidfd_open(getpid(), 0);
	printf("pidfd_open self: %s\n", fd >= 0 ? "ok" : strerrorname_np(errno));
	printf("  close-on-exec: %s\n", fcntl(fd, F_GETFD) & FD_CLOEXEC ? "yes" : "no");
	printf("  readable while running: %d\n", readable(fd, 0));
	got_sig = 0;
	res("send SIGUSR1 to self", send_sig(fd, SIGUSR1, NULL, 0));
	printf("  handler ran before return: %s, code %s\n", got_sig == SIGUSR1 ? "yes" : "no",
	       got_code == SI_USER ? "SI_USER" : "other");
	siginfo_t si = queue_info(SIGUSR2, SI_QUEUE, 42);
	got_sig = 0;
	res("send SIGUSR2 with SI_QUEUE info to self", send_sig(fd, SIGUSR2, &si, 0));
	printf("  handler: %s, code %d, value %d\n", got_sig == SIGUSR2 ? "yes" : "no", got_code, got_value);
	si = queue_info(SIGUSR2, 1, 43);
	got_sig = 0;
	res("positive code to self from the main thread", send_sig(fd, SIGUSR2, &si, 0));
	// (No value: for a positive code the i386 kernel keeps only the kill fields.)
	printf("  handler: %s, code %d\n", got_sig == SIGUSR2 ? "yes" : "no", got_code);
	pthread_t th;
	pthread_create(&th, NULL, other_thread, &fd);
	pthread_join(th, NULL);
	si = queue_info(SIGUSR1, SI_QUEUE, 1);
	res("info signo differs", send_sig(fd, SIGUSR2, &si, 0));
	res("info bad pointer", send_sig(fd, SIGUSR2, BAD, 0));
	res("signal 0", send_sig(fd, 0, NULL, 0));
	res("signal 65", send_sig(fd, 65, NULL, 0));
	res("flags 8", send_sig(fd, SIGUSR1, NULL, 8));
	res("flags THREAD|THREAD_GROUP", send_sig(fd, SIGUSR1, NULL, 3));
	got_sig = 0;
	res("flags THREAD_GROUP", send_sig(fd, SIGUSR1, NULL, 2));
	printf("  handler ran: %s\n", got_sig == SIGUSR1 ? "yes" : "no");
	got_sig = 0;
	res("flags THREAD", send_sig(fd, SIGUSR1, NULL, 1));
	printf("  handler ran: %s, code %s\n", got_sig == SIGUSR1 ? "yes" : "no",
	       got_code == SI_TKILL ? "SI_TKILL" : "other");
	res("not a pidfd (stdout)", send_sig(1, SIGUSR1, NULL, 0));
	res("bad descriptor", send_sig(999, SIGUSR1, NULL, 0));

	// pidfd_getfd of our own descriptors.
	int p[2];
	pipe(p);
	int g = (int)syscall(SYS_pidfd_getfd, fd, p[1], 0);
	printf("pidfd_getfd own write end: %s\n", g >= 0 ? "ok" : strerrorname_np(errno));
	printf("  close-on-exec: %s\n", fcntl(g, F_GETFD) & FD_CLOEXEC ? "yes" : "no");
	char buf[8] = {0};
	if (write(g, "abc", 3) == 3)
		read(p[0], buf, sizeof buf - 1);
	printf("  read through the pipe: %s\n", buf);
	close(g), close(p[0]), close(p[1]);
	res("pidfd_getfd own closed descriptor", syscall(SYS_pidfd_getfd, fd, p[1], 0));
	res("pidfd_getfd flags 1", syscall(SYS_pidfd_getfd, fd, 1, 1));
	res("pidfd_getfd not a pidfd", syscall(SYS_pidfd_getfd, 1, 1, 0));
	res("pidfd_getfd -1", syscall(SYS_pidfd_getfd, fd, -1, 0));
	close(fd);
}

static void errors(void)
{
	res("pidfd_open -1", pidfd_open(-1, 0));
	res("pidfd_open 0", pidfd_open(0, 0));
	res("pidfd_open no such pid", pidfd_open(0x3fffffff, 0));
	res("pidfd_open flags 1", pidfd_open(getpid(), 1));
	int fd = pidfd_open(getpid(), O_NONBLOCK);
	printf("pidfd_open PIDFD_NONBLOCK: %s, O_NONBLOCK %s\n", fd >= 0 ? "ok" : strerrorname_np(errno),
	       fcntl(fd, F_GETFL) & O_NONBLOCK ? "set" : "clear");
	close(fd);
}

static void child_signals(void)
{
	int go[2];
	pipe(go);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		char x;
		read(go[0], &x, 1);
		for (;;)
			pause();
	}
	int fd = pidfd_open(c, 0);
	printf("pidfd_open child: %s\n", fd >= 0 ? "ok" : strerrorname_np(errno));
	printf("  readable while it runs: %d\n", readable(fd, 0));
	fd_set rs;
	FD_ZERO(&rs);
	FD_SET(fd, &rs);
	struct timeval tv = {0, 0};
	printf("  select while it runs: %d\n", select(fd + 1, &rs, NULL, NULL, &tv));
	siginfo_t si = queue_info(SIGTERM, 1, 0);
	res("positive code to a child", send_sig(fd, SIGTERM, &si, 0));
	res("signal 0 to the child", send_sig(fd, 0, NULL, 0));
	long r = send_sig(fd, SIGTERM, NULL, 0);
	res("SIGTERM to the child", r);
	if (r < 0)
		kill(c, SIGTERM); /* no endless wait below */
	int ep = epoll_create1(0);
	struct epoll_event ev = {EPOLLIN, {.u64 = 7}}, out;
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	int n = epoll_wait(ep, &out, 1, 5000);
	printf("  epoll: %d event(s), data %llu\n", n, n == 1 ? (unsigned long long)out.data.u64 : 0ULL);
	printf("  readable after its end: %d\n", readable(fd, 5000));
	res("signal to the ended child (a zombie)", send_sig(fd, SIGTERM, NULL, 0));
	siginfo_t w;
	memset(&w, 0, sizeof w);
	res("waitid P_PIDFD", syscall(SYS_waitid, 3 /* P_PIDFD */, fd, &w, WEXITED, NULL));
	printf("  code %s status %d pid matches %s\n", w.si_code == CLD_KILLED ? "CLD_KILLED" : "other",
	       w.si_status, w.si_pid == c ? "yes" : "no");
	res("signal to the reaped child", send_sig(fd, SIGTERM, NULL, 0));
	res("waitid P_PIDFD again", syscall(SYS_waitid, 3, fd, &w, WEXITED | WNOHANG, NULL));
	res("waitid P_PIDFD bad descriptor", syscall(SYS_waitid, 3, 999, &w, WEXITED, NULL));
	close(ep), close(fd), close(go[0]), close(go[1]);

	// A child with a handler gets the sender's SI_QUEUE value.
	int rep[2];
	pipe(go);
	pipe(rep);
	fflush(stdout);
	c = fork();
	if (c == 0) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_sigaction = handler;
		sa.sa_flags = SA_SIGINFO;
		sigaction(SIGUSR1, &sa, NULL);
		got_sig = 0;
		write(rep[1], "r", 1);
		for (int i = 0; i < 5000 && !got_sig; i++)
			usleep(1000);
		char line[80];
		int len = snprintf(line, sizeof line, "child handler: signal %d code %d value %d\n", got_sig,
				   got_code, got_value);
		write(rep[1], line, len);
		_exit(3);
	}
	char x;
	read(rep[0], &x, 1);
	fd = pidfd_open(c, 0);
	si = queue_info(SIGUSR1, SI_QUEUE, 1234);
	res("SIGUSR1 with SI_QUEUE info to the child", send_sig(fd, SIGUSR1, &si, 0));
	/* If that failed, the child gives up after 5 s. */
	char line[80] = {0};
	read(rep[0], line, sizeof line - 1);
	printf("%s", line);
	memset(&w, 0, sizeof w);
	res("waitid P_PIDFD", syscall(SYS_waitid, 3, fd, &w, WEXITED, NULL));
	printf("  code %s status %d\n", w.si_code == CLD_EXITED ? "CLD_EXITED" : "other", w.si_status);
	close(fd), close(go[0]), close(go[1]), close(rep[0]), close(rep[1]);
}

static void child_getfd(void)
{
	int rep[2], go[2];
	pipe(rep);
	pipe(go);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		int f = open("child.txt", O_RDWR | O_CREAT | O_TRUNC, 0600);
		dup2(f, 42);
		close(f);
		write(42, "from the child", 14);
		write(rep[1], "r", 1);
		char x;
		read(go[0], &x, 1);
		_exit(0);
	}
	char x;
	read(rep[0], &x, 1);
	int fd = pidfd_open(c, 0);
	int g = (int)syscall(SYS_pidfd_getfd, fd, 42, 0);
	printf("pidfd_getfd child's 42: %s\n", g >= 0 ? "ok" : strerrorname_np(errno));
	struct stat a, b;
	fstat(g, &a);
	stat("child.txt", &b);
	printf("  same file: %s\n", a.st_ino == b.st_ino && a.st_dev == b.st_dev ? "yes" : "no");
	printf("  offset shared: %ld\n", (long)lseek(g, 0, SEEK_CUR));
	char buf[32] = {0};
	pread(g, buf, sizeof buf - 1, 0);
	printf("  content: %s\n", buf);
	res("pidfd_getfd child's 43 (not open)", syscall(SYS_pidfd_getfd, fd, 43, 0));
	res("pidfd_getfd child's stdout is open", syscall(SYS_pidfd_getfd, fd, 1, 0) >= 0);
	write(go[1], "g", 1);
	waitpid(c, NULL, 0);
	res("pidfd_getfd after the child ended", syscall(SYS_pidfd_getfd, fd, 42, 0));
	close(g), close(fd);
	unlink("child.txt");
	close(rep[0]), close(rep[1]), close(go[0]), close(go[1]);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	errors();
	self();
	child_signals();
	child_getfd();
	return 0;
}
