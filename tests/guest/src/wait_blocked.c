// Waits with a timeout while a fast periodic timer's signal is blocked:
// nanosleep, clock_nanosleep (relative and TIMER_ABSTIME), poll, ppoll,
// select, pselect and epoll_wait must each run to their timeout (result 0,
// no EINTR), as a blocked signal does not interrupt a wait. Then the
// signal is unblocked during a sleep with a handler: EINTR, as natively.
// gemu used to restart such a wait with its whole timeout at every
// expiry of the timer, so none of them ever ended.
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

static volatile int count;

static void on_timer(int sig)
{
	(void)sig;
	count++;
}

static const char *res(int r)
{
	return r == 0 ? "0 (timed out)" : r == -1 && errno == EINTR ? "EINTR" : "other";
}

int main(void)
{
	int sig = SIGRTMIN + 1;
	struct sigaction sa = {0};
	sa.sa_handler = on_timer;
	sigaction(sig, &sa, NULL);
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_BLOCK, &set, NULL);

	struct sigevent ev = {0};
	ev.sigev_notify = SIGEV_SIGNAL;
	ev.sigev_signo = sig;
	timer_t t;
	timer_create(CLOCK_MONOTONIC, &ev, &t);
	struct itimerspec v = {{0, 1000000}, {0, 1000000}};
	timer_settime(t, 0, &v, NULL);

	struct timespec ts = {0, 40000000};
	printf("nanosleep: %s\n", res(nanosleep(&ts, NULL)));
	ts.tv_nsec = 40000000;
	int r = clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
	printf("clock_nanosleep: %s\n", r == 0 ? "0 (timed out)" : "error");
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	now.tv_nsec += 40000000;
	if (now.tv_nsec >= 1000000000) {
		now.tv_sec++;
		now.tv_nsec -= 1000000000;
	}
	r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &now, NULL);
	printf("clock_nanosleep abstime: %s\n", r == 0 ? "0 (timed out)" : "error");

	int fds[2];
	pipe(fds);
	struct pollfd pfd = {fds[0], POLLIN, 0};
	printf("poll: %s\n", res(poll(&pfd, 1, 40)));
	ts.tv_sec = 0;
	ts.tv_nsec = 40000000;
	printf("ppoll: %s\n", res(ppoll(&pfd, 1, &ts, NULL)));
	fd_set rs;
	FD_ZERO(&rs);
	FD_SET(fds[0], &rs);
	struct timeval tv = {0, 40000};
	printf("select: %s\n", res(select(fds[0] + 1, &rs, NULL, NULL, &tv)));
	FD_ZERO(&rs);
	FD_SET(fds[0], &rs);
	ts.tv_nsec = 40000000;
	printf("pselect: %s\n", res(pselect(fds[0] + 1, &rs, NULL, NULL, &ts, NULL)));
	int ep = epoll_create1(0);
	struct epoll_event e = {.events = EPOLLIN};
	epoll_ctl(ep, EPOLL_CTL_ADD, fds[0], &e);
	printf("epoll_wait: %s\n", res(epoll_wait(ep, &e, 1, 40)));
	printf("no handler ran while blocked: %s\n", count == 0 ? "yes" : "no");

	// Unblocked: the pending signal runs its handler at once; a long
	// sleep is then cut short by the next expiry.
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	ts.tv_sec = 5;
	ts.tv_nsec = 0;
	printf("nanosleep unblocked: %s\n", res(nanosleep(&ts, NULL)));
	printf("handler ran: %s\n", count > 0 ? "yes" : "no");
	return 0;
}
