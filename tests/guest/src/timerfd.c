// timerfd_create/settime/gettime (and i386's *_time64 calls): one-shot
// and periodic timers read as expiry counts (8 bytes; EINVAL for less),
// TFD_TIMER_ABSTIME in the past, the old value returned by settime,
// disarming, gettime's value and interval, TFD_NONBLOCK's EAGAIN, poll and
// epoll readiness, close-on-exec, and the errors (bad clock, flags,
// timespec, descriptor, pointer). Times are printed as comparisons only.
#include "gt.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static void result(const char *call, long r)
{
	printf("%-48s = %ld%s%s\n", call, r, r < 0 ? " " : "", r < 0 ? strerror(errno) : "");
	errno = 0;
}
#define ERR(call) result(#call, (long)(call))

static const long ms = 1000 * 1000;

int main(void)
{
	int tf = timerfd_create(CLOCK_MONOTONIC, 0);
	printf("create: %s\n", tf >= 3 ? "ok" : strerror(errno));
	/* (a long timer for gettime's check, so that a loaded machine's
	   delays cannot make it expire first) */
	struct itimerspec its = {{0, 0}, {100, 0}}, old, cur;
	ERR(timerfd_settime(tf, 0, &its, NULL));
	ERR(timerfd_gettime(tf, &cur));
	printf("armed: value in (0, 100 s]: %d, interval 0: %d\n",
	       cur.it_value.tv_sec < 100 && (cur.it_value.tv_sec > 0 || cur.it_value.tv_nsec > 0) ||
		       cur.it_value.tv_sec == 100 && cur.it_value.tv_nsec == 0,
	       cur.it_interval.tv_sec == 0 && cur.it_interval.tv_nsec == 0);
	its.it_value.tv_sec = 0;
	its.it_value.tv_nsec = 20 * ms;
	ERR(timerfd_settime(tf, 0, &its, NULL));
	uint64_t n = 0;
	ERR(read(tf, &n, 8));
	printf("one-shot expirations: %llu\n", (unsigned long long)n);
	ERR(timerfd_gettime(tf, &cur));
	printf("after: value 0: %d\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);

	/* periodic, 5 ms */
	struct itimerspec per = {{0, 5 * ms}, {0, 5 * ms}};
	ERR(timerfd_settime(tf, 0, &per, &old));
	printf("old value was disarmed: %d\n", old.it_value.tv_sec == 0 && old.it_value.tv_nsec == 0);
	struct timespec d = {0, 32 * ms};
	nanosleep(&d, NULL);
	ERR(read(tf, &n, 8));
	printf("periodic: at least 5: %d\n", n >= 5);
	ERR(timerfd_gettime(tf, &cur));
	printf("periodic: interval 5 ms: %d, value <= 5 ms: %d\n", cur.it_interval.tv_nsec == 5 * ms,
	       cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec <= 5 * ms);
	struct itimerspec off = {{0, 0}, {0, 0}};
	ERR(timerfd_settime(tf, 0, &off, &old));
	printf("old: interval 5 ms: %d\n", old.it_interval.tv_nsec == 5 * ms);

	/* poll and epoll readiness */
	struct pollfd p = {.fd = tf, .events = POLLIN};
	ERR(poll(&p, 1, 0));
	its.it_value.tv_nsec = 10 * ms;
	timerfd_settime(tf, 0, &its, NULL);
	ERR(poll(&p, 1, 1000));
	printf("revents %x\n", p.revents);
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0xabcdef0123ull}, out[2];
	ERR(epoll_ctl(ep, EPOLL_CTL_ADD, tf, &ev));
	int r = epoll_wait(ep, out, 2, 0);
	printf("epoll: %d data=%llx\n", r, r > 0 ? (unsigned long long)out[0].data.u64 : 0ull);
	ERR(read(tf, &n, 8));
	ERR(epoll_wait(ep, out, 2, 0));

	/* absolute time in the past: expires at once */
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	int tr = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
	printf("flags: cloexec %d nonblock %d\n", fcntl(tr, F_GETFD) & FD_CLOEXEC, (fcntl(tr, F_GETFL) & O_NONBLOCK) != 0);
	ERR(read(tr, &n, 8));
	struct itimerspec abs = {{0, 0}, {now.tv_sec - 10, 0}};
	ERR(timerfd_settime(tr, TFD_TIMER_ABSTIME, &abs, NULL));
	ERR(read(tr, &n, 8));
	printf("past absolute: %llu\n", (unsigned long long)n);
	ERR(read(tr, &n, 4));

	/* errors */
	ERR(timerfd_create(12345, 0));
	ERR(timerfd_create(CLOCK_MONOTONIC, 1));
	struct itimerspec bad = {{0, 0}, {0, 1000000000}};
	ERR(timerfd_settime(tf, 0, &bad, NULL));
	ERR(timerfd_settime(tf, 8, &its, NULL));
	ERR(timerfd_settime(999, 0, &its, NULL));
	ERR(timerfd_settime(ep, 0, &its, NULL));
	/* (raw calls: i386's glibc converts the structures itself) */
	ERR(syscall(SYS_timerfd_settime, tf, 0, (void *)8, NULL));
	ERR(syscall(SYS_timerfd_settime, tf, 0, &off, (void *)8));
	ERR(syscall(SYS_timerfd_gettime, tf, (void *)8));
	ERR(timerfd_gettime(ep, &cur));
	ERR(timerfd_gettime(-1, &cur));
#if defined(__i386__) && defined(SYS_timerfd_settime64)
	/* the 64-bit time calls of i386 */
	long long its64[4] = {0, 0, 100, 0}, cur64[4];
	ERR(syscall(SYS_timerfd_settime64, tf, 0, its64, NULL));
	ERR(syscall(SYS_timerfd_gettime64, tf, cur64));
	printf("time64: value in (0, 100 s]: %d\n", cur64[2] < 100 && (cur64[2] > 0 || cur64[3] > 0) || cur64[2] == 100 && cur64[3] == 0);
	its64[2] = 0;
	its64[3] = 15 * ms;
	ERR(syscall(SYS_timerfd_settime64, tf, 0, its64, NULL));
	ERR(read(tf, &n, 8));
#else
	printf("%-48s = 0\n%-48s = 0\ntime64: value in (0, 100 s]: 1\n%-48s = 0\n%-48s = 8\n",
	       "syscall(SYS_timerfd_settime64, tf, 0, its64, NULL)", "syscall(SYS_timerfd_gettime64, tf, cur64)",
	       "syscall(SYS_timerfd_settime64, tf, 0, its64, NULL)", "read(tf, &n, 8)");
#endif
	return 0;
}
