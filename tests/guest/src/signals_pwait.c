// The signal mask argument of epoll_pwait, epoll_pwait2 (x86-64), ppoll
// and pselect6 replaces the thread's mask for the wait: a signal the
// thread blocks but the wait's mask lets through ends the wait with EINTR
// and runs its handler (also one pending before the call: no sleep; with
// a zero timeout the call returns 0 and the signal stays pending), the
// handler sees the wait's mask plus its own signal, and the mask from
// before the call is back afterwards; a mask that blocks a signal the
// thread lets through keeps the wait going (the signal is delivered after
// it). Also the errors: a wrong sigset size (EINVAL), a bad mask pointer
// (EFAULT), and EPOLLEXCLUSIVE (ADD only: MOD is EINVAL).
#include "gt.h"
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile int got;
static sigset_t block1;
static volatile int usr2_blocked_in_handler, usr1_blocked_in_handler;

static void handler(int sig)
{
	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	got = sig;
	usr1_blocked_in_handler = sigismember(&cur, SIGUSR1);
	usr2_blocked_in_handler = sigismember(&cur, SIGUSR2);
}

static void report(const char *what, long r)
{
	int e = errno;
	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	printf("%-34s = %ld%s%s; handler ran for %d", what, r, r < 0 ? " " : "", r < 0 ? strerror(e) : "", got);
	if (got)
		printf(" (USR1 blocked there: %d, USR2: %d)", usr1_blocked_in_handler, usr2_blocked_in_handler);
	sigset_t pend;
	sigpending(&pend);
	printf("; after: USR1 blocked %d, USR2 blocked %d, USR1 pending %d\n", sigismember(&cur, SIGUSR1),
	       sigismember(&cur, SIGUSR2), sigismember(&pend, SIGUSR1));
	got = 0;
	errno = 0;
}

/* take a pending USR1 if there is one */
static void drain(void)
{
	struct timespec z = {0, 0};
	sigtimedwait(&block1, NULL, &z);
}

static void alarm_in(int ms)
{
	struct itimerval it = {{0, 0}, {0, ms * 1000}};
	setitimer(ITIMER_REAL, &it, NULL);
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);

	sigset_t none, block2;
	sigemptyset(&block1);
	sigaddset(&block1, SIGUSR1);
	sigemptyset(&none);
	sigemptyset(&block2);
	sigaddset(&block2, SIGUSR2);
	sigprocmask(SIG_SETMASK, &block1, NULL);

	int ep = epoll_create1(0);
	int efd = eventfd(0, 0);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0x1122334455667788ull}, out[4];
	epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev);
	struct pollfd pfd = {.fd = efd, .events = POLLIN};
	fd_set rs;

	/* pending before the call, unblocked by the wait's mask */
	raise(SIGUSR1);
	report("epoll_pwait, USR1 pending", epoll_pwait(ep, out, 4, 1000, &none));
	raise(SIGUSR1);
	report("epoll_pwait, USR1 pending, 0 ms", epoll_pwait(ep, out, 4, 0, &none));
	drain();
	raise(SIGUSR1);
	report("epoll_pwait, NULL mask", epoll_pwait(ep, out, 4, 10, NULL));
	drain();
	raise(SIGUSR1);
	report("ppoll, USR1 pending", ppoll(&pfd, 1, NULL, &none));
	raise(SIGUSR1);
	struct timespec zero = {0, 0};
	report("ppoll, USR1 pending, 0 ms", ppoll(&pfd, 1, &zero, &none));
	raise(SIGUSR1);
	FD_ZERO(&rs);
	FD_SET(efd, &rs);
	report("pselect, USR1 pending", pselect(efd + 1, &rs, NULL, NULL, NULL, &none));

	/* an event already there wins over the pending signal */
	uint64_t v = 1;
	write(efd, &v, 8);
	raise(SIGUSR1);
	long n = epoll_pwait(ep, out, 4, 1000, &none);
	printf("ready and USR1 pending: %ld data=%llx\n", n, n > 0 ? (unsigned long long)out[0].data.u64 : 0ull);
	report("  then", 0);
	read(efd, &v, 8);
	drain();

	/* arriving during the wait (SIGALRM after 20 ms), USR2 blocked by the wait's mask */
	sigset_t alrm_only = block2;
	sigaddset(&alrm_only, SIGUSR1);
	alarm_in(20);
	report("epoll_pwait, alarm during", epoll_pwait(ep, out, 4, 2000, &alrm_only));
	alarm_in(20);
	report("ppoll, alarm during", ppoll(&pfd, 1, NULL, &alrm_only));
	alarm_in(20);
	FD_ZERO(&rs);
	FD_SET(efd, &rs);
	report("pselect, alarm during", pselect(efd + 1, &rs, NULL, NULL, NULL, &alrm_only));
#ifdef __x86_64__
	/* (qemu-i386 7.2 has no epoll_pwait2) */
	raise(SIGUSR1);
	report("epoll_pwait2, USR1 pending", syscall(SYS_epoll_pwait2, ep, out, 4, NULL, &none, 8));
	alarm_in(20);
	struct timespec two = {2, 0};
	report("epoll_pwait2, alarm during", syscall(SYS_epoll_pwait2, ep, out, 4, &two, &alrm_only, 8));
#endif

	/* the wait's mask blocks a signal the thread lets through: the wait
	   times out, then USR2 runs */
	sigprocmask(SIG_SETMASK, &none, NULL);
	sigset_t both = block1;
	sigaddset(&both, SIGUSR2);
	/* (the child sends USR2, then makes the eventfd readable, which
	   ends the wait: no timing; the handler may run a moment later
	   under an emulator that forwards the signal, so wait for it) */
	if (fork() == 0) {
		kill(getppid(), SIGUSR2);
		uint64_t one = 1;
		write(efd, &one, 8);
		_exit(0);
	}
	long w = epoll_pwait(ep, out, 4, -1, &both);
	for (int i = 0; i < 2000 && !got; i++) {
		struct timespec d = {0, 1000 * 1000};
		nanosleep(&d, NULL);
	}
	report("epoll_pwait, USR2 blocked by it", w);
	read(efd, &v, 8);
	wait(NULL);
	report("then", 0);

	/* errors */
	report("epoll_pwait, sigsetsize 4", syscall(SYS_epoll_pwait, ep, out, 4, 0, &none, 4));
	report("epoll_pwait, bad mask", syscall(SYS_epoll_pwait, ep, out, 4, 0, (void *)8, 8));
	report("ppoll, sigsetsize 16", syscall(SYS_ppoll, &pfd, 1, &zero, &none, 16));
	report("ppoll, bad mask", syscall(SYS_ppoll, &pfd, 1, &zero, (void *)8, 8));
	struct { void *ss; size_t len; } pack = {&none, 4};
#ifdef SYS_pselect6
	struct timespec z2 = {0, 0};
	report("pselect6, sigsetsize 4", syscall(SYS_pselect6, 0, NULL, NULL, NULL, &z2, &pack));
	pack.ss = (void *)8;
	pack.len = 8;
	report("pselect6, bad mask", syscall(SYS_pselect6, 0, NULL, NULL, NULL, &z2, &pack));
	report("pselect6, bad pack", syscall(SYS_pselect6, 0, NULL, NULL, NULL, &z2, (void *)8));
#else
	(void)pack;
#endif

	/* EPOLLEXCLUSIVE: ADD only */
	int efd2 = eventfd(0, 0);
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	report("ADD EPOLLEXCLUSIVE", epoll_ctl(ep, EPOLL_CTL_ADD, efd2, &ev));
	report("MOD EPOLLEXCLUSIVE", epoll_ctl(ep, EPOLL_CTL_MOD, efd2, &ev));
	ev.events = EPOLLIN;
	report("MOD of an exclusive one", epoll_ctl(ep, EPOLL_CTL_MOD, efd2, &ev));
	v = 3;
	write(efd2, &v, 8);
	n = epoll_wait(ep, out, 4, 0);
	printf("exclusive ready: %ld data=%llx events=%x\n", n, n > 0 ? (unsigned long long)out[0].data.u64 : 0ull,
	       n > 0 ? out[0].events : 0);
	printf("sizeof(struct epoll_event) = %zu\n", sizeof(struct epoll_event));
	return 0;
}
