// File descriptor operations: dup/dup2/dup3, pipe/pipe2, fcntl (flags,
// FD_CLOEXEC, F_DUPFD), nonblocking reads (EAGAIN), poll/select, FIONREAD,
// EPIPE with SIGPIPE ignored, socketpair (socketcall on i386), sendmsg/recvmsg.
#include "gt.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
	int p[2];
	printf("pipe: %d\n", pipe(p));
	int d = dup(p[1]);
	printf("dup > fds: %s\n", d > p[1] ? "yes" : "no");
	write(d, "via dup ", 8);
	int d2 = dup2(p[1], 100);
	printf("dup2 to 100: %d\n", d2);
	write(100, "via 100", 7);
	close(d);
	close(100);
	char buf[128];
	ssize_t n = read(p[0], buf, sizeof buf);
	printf("read %zd: %.*s\n", n, (int)n, buf);

	int fl = fcntl(p[0], F_GETFL);
	printf("F_GETFL accmode=%d nonblock=%d\n", fl & O_ACCMODE, !!(fl & O_NONBLOCK));
	fcntl(p[0], F_SETFL, fl | O_NONBLOCK);
	fl = fcntl(p[0], F_GETFL);
	printf("after F_SETFL nonblock=%d\n", !!(fl & O_NONBLOCK));
	n = read(p[0], buf, sizeof buf);
	printf("nonblocking empty read: %zd errno=%s\n", n, errno == EAGAIN ? "EAGAIN" : "?");
	printf("F_GETFD: %d\n", fcntl(p[0], F_GETFD));
	fcntl(p[0], F_SETFD, FD_CLOEXEC);
	printf("F_GETFD after set: %d\n", fcntl(p[0], F_GETFD));
	int fd50 = fcntl(p[1], F_DUPFD, 50);
	printf("F_DUPFD >= 50: %d\n", fd50);
	int fdc = fcntl(p[1], F_DUPFD_CLOEXEC, 60);
	printf("F_DUPFD_CLOEXEC: %d cloexec=%d\n", fdc, fcntl(fdc, F_GETFD));
	int r, fd3 = dup3(p[1], 70, O_CLOEXEC);
	printf("dup3: %d cloexec=%d\n", fd3, fcntl(fd3, F_GETFD));
	close(fd50);
	close(fdc);
	close(fd3);
	r = fcntl(fd3, F_GETFD);
	printf("fcntl on closed fd: %d errno=%s\n", r, errno == EBADF ? "EBADF" : "?");

	/* poll and select */
	struct pollfd pf[2] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}};
	r = poll(pf, 2, 0);
	printf("poll empty: %d in=%d out=%d\n", r, !!(pf[0].revents & POLLIN), !!(pf[1].revents & POLLOUT));
	write(p[1], "abc", 3);
	r = poll(pf, 2, 1000);
	printf("poll data: %d in=%d\n", r, !!(pf[0].revents & POLLIN));
	int avail = 0;
	ioctl(p[0], FIONREAD, &avail);
	printf("FIONREAD: %d\n", avail);
	fd_set rs;
	FD_ZERO(&rs);
	FD_SET(p[0], &rs);
	struct timeval tv = {1, 0};
	r = select(p[0] + 1, &rs, NULL, NULL, &tv);
	printf("select: %d set=%d\n", r, FD_ISSET(p[0], &rs) != 0);
	read(p[0], buf, 3);
	FD_ZERO(&rs);
	FD_SET(p[0], &rs);
	tv.tv_sec = 0;
	tv.tv_usec = 1000;
	r = select(p[0] + 1, &rs, NULL, NULL, &tv);
	printf("select timeout: %d\n", r);

	/* pipe capacity and EPIPE */
	signal(SIGPIPE, SIG_IGN);
	long total = 0;
	fcntl(p[1], F_SETFL, O_NONBLOCK);
	static char big[4096];
	for (;;) {
		n = write(p[1], big, sizeof big);
		if (n < 0)
			break;
		total += n;
	}
	printf("pipe filled: %s errno=%s\n", total >= 4096 ? "yes" : "no", errno == EAGAIN ? "EAGAIN" : "?");
	close(p[0]);
	n = write(p[1], "x", 1);
	printf("write to broken pipe: %zd errno=%s\n", n, errno == EPIPE ? "EPIPE" : "?");
	close(p[1]);

	int q[2];
	printf("pipe2: %d\n", pipe2(q, O_CLOEXEC | O_NONBLOCK));
	printf("pipe2 flags: cloexec=%d nonblock=%d\n", fcntl(q[0], F_GETFD), !!(fcntl(q[1], F_GETFL) & O_NONBLOCK));
	close(q[0]);
	close(q[1]);

	/* socketpair */
	int sv[2];
	printf("socketpair: %d\n", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	send(sv[0], "ping", 4, 0);
	n = recv(sv[1], buf, sizeof buf, 0);
	printf("recv: %.*s\n", (int)n, buf);
	struct iovec iov[2] = {{"scatter ", 8}, {"gather", 6}};
	struct msghdr mh = {0};
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;
	printf("sendmsg: %zd\n", sendmsg(sv[1], &mh, 0));
	n = read(sv[0], buf, sizeof buf);
	printf("read: %.*s\n", (int)n, buf);
	shutdown(sv[1], SHUT_WR);
	n = read(sv[0], buf, sizeof buf);
	printf("read after shutdown: %zd\n", n);
	close(sv[0]);
	close(sv[1]);
	int dg[2];
	socketpair(AF_UNIX, SOCK_DGRAM, 0, dg);
	send(dg[0], "one", 3, 0);
	send(dg[0], "three", 5, 0);
	n = recv(dg[1], buf, sizeof buf, 0);
	ssize_t n2 = recv(dg[1], buf + 10, sizeof buf - 10, 0);
	printf("datagrams: %zd %zd\n", n, n2);
	close(dg[0]);
	close(dg[1]);
	return 0;
}
