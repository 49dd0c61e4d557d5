// epoll registrations are keyed by file and descriptor number: a file
// registered under two numbers (a descriptor and its dup) gives an event
// for each, with its own data word; MOD and DEL act on one number's
// registration; ADD of the same number again is EEXIST, DEL of one not
// registered ENOENT; closing one number keeps both registrations while the
// file is open through the other, closing the last drops them and releases
// the file (the pipe's writer then gets EPIPE); numbers reused for new
// files register afresh. Also an epoll instance in another epoll set.
#include "gt.h"
#include <errno.h>
#include <signal.h>
#include <sys/epoll.h>
#include <unistd.h>

static void result(const char *call, long r)
{
	printf("%-40s = %ld%s%s\n", call, r, r < 0 ? " " : "", r < 0 ? strerror(errno) : "");
	errno = 0;
}
#define ERR(call) result(#call, (long)(call))

static void wait_show(int ep, const char *what)
{
	struct epoll_event out[8];
	int n = epoll_wait(ep, out, 8, 0);
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && out[j - 1].data.u64 > out[j].data.u64; j--) {
			struct epoll_event t = out[j];
			out[j] = out[j - 1];
			out[j - 1] = t;
		}
	printf("%s: %d", what, n);
	for (int i = 0; i < n; i++)
		printf(" [%llx %x]", (unsigned long long)out[i].data.u64, out[i].events);
	printf("\n");
}

static int add(int ep, int op, int fd, unsigned long long data)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = data};
	return epoll_ctl(ep, op, fd, &ev);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	int ep = epoll_create1(0);
	int p[2];
	pipe(p);
	int d = dup(p[0]);
	ERR(add(ep, EPOLL_CTL_ADD, p[0], 0xa));
	ERR(add(ep, EPOLL_CTL_ADD, d, 0xb));
	ERR(add(ep, EPOLL_CTL_ADD, d, 0xbb));
	wait_show(ep, "empty");
	write(p[1], "x", 1);
	wait_show(ep, "both");
	ERR(add(ep, EPOLL_CTL_MOD, d, 0xc));
	wait_show(ep, "d modified");
	ERR(add(ep, EPOLL_CTL_DEL, p[0], 0));
	wait_show(ep, "p[0] deleted");
	ERR(add(ep, EPOLL_CTL_DEL, d, 0));
	ERR(add(ep, EPOLL_CTL_DEL, d, 0));
	wait_show(ep, "none");

	/* closing one number keeps both while the file is open */
	ERR(add(ep, EPOLL_CTL_ADD, p[0], 0xa));
	ERR(add(ep, EPOLL_CTL_ADD, d, 0xb));
	int d2 = dup(d);
	ERR(add(ep, EPOLL_CTL_ADD, d2, 0xd));
	close(p[0]);
	wait_show(ep, "p[0] closed");
	ERR(add(ep, EPOLL_CTL_MOD, d2, 0xe));
	close(d);
	wait_show(ep, "d closed");
	close(d2);
	wait_show(ep, "all closed");
	ERR(write(p[1], "y", 1));
	close(p[1]);

	/* the numbers again, for new files */
	int q[2];
	pipe(q);
	int e = dup(q[0]);
	printf("same numbers: %d\n", q[0] == p[0] && e == d);
	ERR(add(ep, EPOLL_CTL_ADD, q[0], 0x1a));
	ERR(add(ep, EPOLL_CTL_ADD, e, 0x1b));
	write(q[1], "z", 1);
	wait_show(ep, "new pipe");

	/* an epoll set in an epoll set, and itself */
	int outer = epoll_create1(0);
	ERR(add(outer, EPOLL_CTL_ADD, ep, 0xee));
	int ep2 = dup(ep);
	ERR(add(outer, EPOLL_CTL_ADD, ep2, 0xef));
	wait_show(outer, "outer");
	ERR(add(ep, EPOLL_CTL_ADD, ep, 1));
	ERR(add(ep, EPOLL_CTL_ADD, ep2, 1));
	ERR(add(q[0], EPOLL_CTL_ADD, e, 1));
	return 0;
}
