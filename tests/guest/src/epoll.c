// epoll and eventfd: epoll_create/epoll_create1, epoll_ctl ADD/MOD/DEL
// with the guest's data word coming back in events, level and
// edge-triggered and one-shot registrations, epoll_wait/epoll_pwait (and
// epoll_pwait2 through syscall) with zero and short timeouts, a wait ended
// by another thread's eventfd write, errors (EEXIST, ENOENT, EBADF,
// EINVAL, EFAULT), eventfd counter and semaphore modes, EFD_NONBLOCK's
// EAGAIN, close-on-exec flags; descriptor numbers are the guest's.
#include "gt.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static int efd_thread;

static void *writer(void *arg)
{
	(void)arg;
	struct timespec ts = {0, 20 * 1000 * 1000};
	nanosleep(&ts, NULL);
	uint64_t v = 7;
	if (write(efd_thread, &v, 8) != 8)
		perror("thread write");
	return NULL;
}

static void show(const char *what, int n, struct epoll_event *ev)
{
	printf("%s: %d", what, n);
	if (n < 0)
		printf(" (%s)", strerror(errno));
	for (int i = 0; i < n; i++)
		printf(" [data=%llx events=%x]", (unsigned long long)ev[i].data.u64, ev[i].events);
	printf("\n");
}

static void sort_events(struct epoll_event *ev, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && ev[j - 1].data.u64 > ev[j].data.u64; j--) {
			struct epoll_event t = ev[j];
			ev[j] = ev[j - 1];
			ev[j - 1] = t;
		}
}

static void result(const char *call, long r)
{
	printf("%-36s = %ld%s%s\n", call, r, r < 0 ? " " : "", r < 0 ? strerror(errno) : "");
	errno = 0;
}
#define ERR(call) result(#call, (long)(call))

int main(void)
{
	struct epoll_event ev, out[8];
	int n;
	errno = 0;

	int ep = epoll_create1(0);
	int ep2 = epoll_create(16);
	int ep3 = epoll_create1(EPOLL_CLOEXEC);
	printf("epoll fds: %d %d %d cloexec %d %d %d\n", ep, ep2, ep3, fcntl(ep, F_GETFD), fcntl(ep2, F_GETFD),
	       fcntl(ep3, F_GETFD));
	ERR(epoll_create(0));
	ERR(epoll_create1(1));

	int efd = eventfd(3, 0);
	int efd2 = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC | EFD_SEMAPHORE);
	int p[2];
	if (pipe(p))
		return 1;
	printf("eventfds: %d %d cloexec %d %d nonblock %d %d\n", efd, efd2, fcntl(efd, F_GETFD), fcntl(efd2, F_GETFD),
	       !!(fcntl(efd, F_GETFL) & O_NONBLOCK), !!(fcntl(efd2, F_GETFL) & O_NONBLOCK));
	ERR(eventfd(0, 0x4000));

	uint64_t v = 0;
	printf("read efd: %zd %llu\n", read(efd, &v, 8), (unsigned long long)v);
	ERR(read(efd2, &v, 8));
	v = 3;
	printf("write efd2: %zd\n", write(efd2, &v, 8));
	for (int i = 0; i < 3; i++) {
		ssize_t r = read(efd2, &v, 8);
		printf("semaphore read %d: %zd %llu\n", i, r, (unsigned long long)v);
	}
	ERR(read(efd2, &v, 8));
	ERR(read(efd2, &v, 4));
	v = UINT64_MAX;
	ERR(write(efd2, &v, 8));

	ev.events = EPOLLIN;
	ev.data.u64 = 0x1122334455667788ull;
	ERR(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev));
	ev.events = EPOLLIN | EPOLLET;
	ev.data.u64 = 0xa0;
	ERR(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
	ev.events = EPOLLOUT;
	ev.data.u64 = 0xb0;
	ERR(epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &ev));
	ERR(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev));
	ERR(epoll_ctl(ep, EPOLL_CTL_MOD, efd2, &ev));
	ERR(epoll_ctl(ep, EPOLL_CTL_DEL, efd2, NULL));
	ERR(epoll_ctl(ep, EPOLL_CTL_ADD, 999, &ev));
	ERR(epoll_ctl(999, EPOLL_CTL_ADD, efd, &ev));
	ERR(epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev));
	ERR(epoll_ctl(ep, 77, efd, &ev));
	ERR(epoll_ctl(efd, EPOLL_CTL_ADD, efd2, &ev));
	ERR(epoll_ctl(ep, EPOLL_CTL_ADD, efd2, (struct epoll_event *)8));

	n = epoll_wait(ep, out, 8, 0);
	show("only the pipe's write end", n, out);
	v = 5;
	write(efd, &v, 8);
	write(p[1], "xy", 2);
	n = epoll_wait(ep, out, 8, 0);
	sort_events(out, n);
	show("all three", n, out);
	n = epoll_wait(ep, out, 8, 0);
	sort_events(out, n);
	show("edge-triggered pipe gone", n, out);
	n = epoll_wait(ep, out, 1, 0);
	show("maxevents 1", n, out);

	ev.events = EPOLLIN | EPOLLONESHOT;
	ev.data.u64 = 0xc0;
	ERR(epoll_ctl(ep, EPOLL_CTL_MOD, efd, &ev));
	ERR(epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL));
	n = epoll_wait(ep, out, 8, 0);
	show("one-shot", n, out);
	n = epoll_wait(ep, out, 8, 0);
	show("one-shot again", n, out);
	ERR(epoll_ctl(ep, EPOLL_CTL_MOD, efd, &ev));
	n = epoll_pwait(ep, out, 8, 10, NULL);
	show("one-shot rearmed (pwait)", n, out);

	read(efd, &v, 8);
	n = epoll_wait(ep, out, 8, 10);
	show("nothing ready, 10 ms", n, out);
#ifdef __x86_64__
	/* (qemu-i386 7.2, the i386 reference here, has no epoll_pwait2) */
	struct timespec ts = {0, 5 * 1000 * 1000};
	n = syscall(SYS_epoll_pwait2, ep, out, 8, &ts, NULL, 8);
	show("pwait2 5 ms", n, out);
	ts.tv_nsec = -1;
	ERR(syscall(SYS_epoll_pwait2, ep, out, 8, &ts, NULL, 8));
#endif

	ERR(epoll_wait(ep, out, 0, 0));
	ERR(epoll_wait(ep, out, -1, 0));
	ERR(epoll_wait(efd, out, 8, 0));
	ERR(epoll_wait(999, out, 8, 0));
	/* an unwritable buffer fails only when there is an event to store */
	ev.events = EPOLLIN;
	ev.data.u64 = 0xe0;
	ERR(epoll_ctl(ep, EPOLL_CTL_MOD, efd, &ev));
	v = 1;
	write(efd, &v, 8);
	ERR(epoll_wait(ep, (struct epoll_event *)8, 8, 0));
	n = epoll_wait(ep, out, 8, 0);
	show("the event is still there", n, out);
	read(efd, &v, 8);
	ERR(epoll_pwait(ep, out, 8, 0, (sigset_t *)8));

	/* a wait without a timeout ended by another thread's write */
	efd_thread = eventfd(0, 0);
	ev.events = EPOLLIN;
	ev.data.u64 = 0xd0;
	ERR(epoll_ctl(ep2, EPOLL_CTL_ADD, efd_thread, &ev));
	pthread_t th;
	pthread_create(&th, NULL, writer, NULL);
	n = epoll_wait(ep2, out, 8, -1);
	show("woken by the thread", n, out);
	pthread_join(th, NULL);
	read(efd_thread, &v, 8);
	printf("thread wrote %llu\n", (unsigned long long)v);

	/* closing a registered descriptor removes it */
	close(p[0]);
	close(p[1]);
	n = epoll_wait(ep, out, 8, 0);
	show("after closing the pipe", n, out);
	printf("closes: %d %d %d\n", close(ep), close(ep2), close(ep3));
	return 0;
}
