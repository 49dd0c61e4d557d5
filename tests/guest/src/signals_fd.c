// signalfd/signalfd4 read the program's own pending signals: blocked
// signals of the mask make the descriptor readable (poll, select, epoll
// with the guest's data word) and are taken by reads as signalfd_siginfo
// records (signo, code, pid/uid comparisons, sigqueue values, real-time
// ones queued in order, several per read), a signal taken there is no
// longer pending and never delivered; signals outside the mask stay
// pending until signalfd changes the mask; a blocking read is woken by
// another thread's kill, by an interval timer, and ended by a handled
// signal (EINTR); a forked child reads its own signals through the
// inherited descriptor, not its parent's; errors (EINVAL for size, flags,
// short reads, writes and a descriptor that is no signalfd, EBADF, EFAULT,
// EAGAIN); its /proc/self/fd link names a signalfd, its fdinfo shows
// the mask.
#include "gt.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void result(const char *call, long r)
{
	printf("%-44s = %ld%s%s\n", call, r, r < 0 ? " " : "", r < 0 ? strerror(errno) : "");
	errno = 0;
}
#define ERR(call) result(#call, (long)(call))

static volatile int handled;
static void handler(int sig) { handled = sig; }

static void show(const char *what, struct signalfd_siginfo *si, long n)
{
	printf("%s: read %ld", what, n);
	if (n < 0)
		printf(" (%s)", strerror(errno));
	for (long i = 0; i < n / (long)sizeof *si; i++)
		printf(" [signo=%u code=%d pid_is_me=%d uid_ok=%d int=%d ptr=%llx]", si[i].ssi_signo, si[i].ssi_code,
		       si[i].ssi_pid == (uint32_t)getpid(), si[i].ssi_uid == (uint32_t)getuid(), si[i].ssi_int,
		       (unsigned long long)si[i].ssi_ptr);
	printf("\n");
	errno = 0;
}

static int readable(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	return poll(&p, 1, 0) == 1 ? p.revents : 0;
}

static void *killer(void *arg)
{
	struct timespec d = {0, 20 * 1000 * 1000};
	nanosleep(&d, NULL);
	kill(getpid(), (int)(long)arg);
	return NULL;
}

static void pending(const char *what)
{
	sigset_t p;
	sigpending(&p);
	printf("%s: pending USR1 %d USR2 %d RTMIN %d ALRM %d\n", what, sigismember(&p, SIGUSR1),
	       sigismember(&p, SIGUSR2), sigismember(&p, SIGRTMIN), sigismember(&p, SIGALRM));
}

int main(void)
{
	struct signalfd_siginfo si[4];
	sigset_t blk, m;
	sigemptyset(&blk);
	sigaddset(&blk, SIGUSR1);
	sigaddset(&blk, SIGUSR2);
	sigaddset(&blk, SIGRTMIN);
	sigaddset(&blk, SIGALRM);
	sigprocmask(SIG_BLOCK, &blk, NULL);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);

	sigemptyset(&m);
	sigaddset(&m, SIGUSR1);
	sigaddset(&m, SIGRTMIN);
	sigaddset(&m, SIGKILL); /* ignored silently */
	int sfd = signalfd(-1, &m, SFD_NONBLOCK | SFD_CLOEXEC);
	printf("signalfd: %s cloexec %d nonblock %d\n", sfd >= 3 ? "ok" : strerror(errno), fcntl(sfd, F_GETFD) & FD_CLOEXEC,
	       (fcntl(sfd, F_GETFL) & O_NONBLOCK) != 0);
	char lp[64], lt[64] = {0};
	snprintf(lp, sizeof lp, "/proc/self/fd/%d", sfd);
	readlink(lp, lt, sizeof lt - 1);
	printf("link: %s\n", lt);
	snprintf(lp, sizeof lp, "/proc/self/fdinfo/%d", sfd);
	FILE *fi = fopen(lp, "r");
	char line[128];
	while (fi && fgets(line, sizeof line, fi))
		if (!strncmp(line, "flags:", 6) || !strncmp(line, "sigmask:", 8) || !strncmp(line, "eventfd", 7))
			printf("fdinfo %s", line);
	if (fi)
		fclose(fi);
	show("nothing pending", si, read(sfd, si, sizeof si));
	show("short buffer", si, read(sfd, si, 100));
	printf("readable: %x\n", readable(sfd));

	raise(SIGUSR1);
	printf("after raise: readable %x\n", readable(sfd));
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0x5151515151ull}, out[2];
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
	int n = epoll_wait(ep, out, 2, 0);
	printf("epoll: %d data=%llx\n", n, n > 0 ? (unsigned long long)out[0].data.u64 : 0ull);
	fd_set rs;
	FD_ZERO(&rs);
	FD_SET(sfd, &rs);
	struct timeval tv = {0, 0};
	printf("select: %d\n", select(sfd + 1, &rs, NULL, NULL, &tv));
	show("USR1", si, read(sfd, si, sizeof si));
	pending("after the read");
	printf("readable: %x, epoll: %d\n", readable(sfd), epoll_wait(ep, out, 2, 0));
	sigprocmask(SIG_UNBLOCK, &blk, NULL);
	sigprocmask(SIG_BLOCK, &blk, NULL);
	printf("handler ran: %d\n", handled);

	/* several per read, in the kernel's order */
	union sigval v;
	for (int i = 0; i < 3; i++) {
		v.sival_int = 42 + i;
		sigqueue(getpid(), SIGRTMIN, v);
	}
	raise(SIGUSR2);
	raise(SIGUSR1);
	show("three RTMIN, USR1 (USR2 not in the mask)", si, read(sfd, si, sizeof si));
	pending("then");
	show("again", si, read(sfd, si, sizeof si));
	sigaddset(&m, SIGUSR2);
	printf("signalfd(sfd) with USR2: %d\n", signalfd(sfd, &m, 0) == sfd);
	printf("readable: %x\n", readable(sfd));
	show("USR2", si, read(sfd, si, sizeof si));

	/* blocking reads */
	int bfd = signalfd(-1, &m, 0);
	pthread_t th;
	pthread_create(&th, NULL, killer, (void *)(long)SIGUSR1);
	show("blocking, another thread's kill", si, read(bfd, si, sizeof si));
	pthread_join(th, NULL);
	sigaddset(&m, SIGALRM);
	signalfd(bfd, &m, 0);
	struct itimerval it = {{0, 0}, {0, 20 * 1000}};
	setitimer(ITIMER_REAL, &it, NULL);
	show("blocking, timer", si, read(bfd, si, sizeof si));
	pid_t c = fork();
	if (c == 0) {
		struct timespec d = {0, 20 * 1000 * 1000};
		nanosleep(&d, NULL);
		kill(getppid(), SIGINT);
		_exit(0);
	}
	handled = 0;
	show("blocking, ended by a handled SIGINT", si, read(bfd, si, sizeof si));
	printf("handler ran for %d\n", handled);
	waitpid(c, NULL, 0);

	/* fork: the child's own signals */
	raise(SIGUSR2);
	fflush(stdout);
	c = fork();
	if (c == 0) {
		printf("child: readable %x\n", readable(sfd));
		show("child, nothing of its own", si, read(sfd, si, sizeof si));
		raise(SIGUSR1);
		printf("child: readable %x\n", readable(sfd));
		show("child, its USR1", si, read(sfd, si, sizeof si));
		fflush(stdout);
		_exit(0);
	}
	waitpid(c, NULL, 0);
	printf("parent: readable %x\n", readable(sfd));
	show("parent, its USR2", si, read(sfd, si, sizeof si));

	/* errors */
	ERR(signalfd(-1, &m, 0x10));
	ERR(syscall(SYS_signalfd4, -1, &m, 4, 0));
	ERR(syscall(SYS_signalfd4, -1, (void *)8, 8, 0));
	ERR(signalfd(999, &m, 0));
	int efd = eventfd(0, 0);
	ERR(signalfd(efd, &m, 0));
	ERR(write(sfd, si, sizeof si));
	ERR(pread(sfd, si, sizeof si, 0));
	raise(SIGUSR1);
	ERR(syscall(SYS_read, sfd, (void *)8, sizeof si));
	pending("after EFAULT");
#ifdef SYS_signalfd
	ERR(syscall(SYS_signalfd, -1, &m, 8) >= 3);
#endif
	return 0;
}
