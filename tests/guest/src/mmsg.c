// recvmmsg and sendmmsg (issue 15 item 4): several datagrams with
// scattered iovecs in one call, each message's msg_len, senders'
// addresses (UDP loopback), SCM_RIGHTS in one of the messages,
// MSG_WAITFORONE, MSG_DONTWAIT, the timeout written back, a vector whose
// second entry is unmapped (the count so far), and errors (EBADF, EFAULT,
// EINVAL, EAGAIN); on i386 also through socketcall (calls 19 and 20).
#include "gt.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define BAD ((void *)16)

static void res(const char *what, long r)
{
	if (r < 0)
		printf("%s: -1 %s\n", what, strerrorname_np(errno));
	else
		printf("%s: %ld\n", what, r);
}

static long sendmmsg_(int fd, struct mmsghdr *v, unsigned n, int flags)
{
	return syscall(SYS_sendmmsg, fd, v, n, flags);
}

static long recvmmsg_(int fd, struct mmsghdr *v, unsigned n, int flags, void *ts)
{
#ifdef SYS_recvmmsg_time64
	return syscall(SYS_recvmmsg_time64, fd, v, n, flags, ts);
#else
	return syscall(SYS_recvmmsg, fd, v, n, flags, ts);
#endif
}

static char bufs[4][2][16];
static struct iovec iovs[4][2];
static struct mmsghdr mm[4];

static void prepare(int n)
{
	memset(bufs, 0, sizeof bufs);
	memset(mm, 0, sizeof mm);
	for (int i = 0; i < n; i++) {
		for (int j = 0; j < 2; j++) {
			iovs[i][j].iov_base = bufs[i][j];
			iovs[i][j].iov_len = j == 0 ? 3 : 16;
		}
		mm[i].msg_hdr.msg_iov = iovs[i];
		mm[i].msg_hdr.msg_iovlen = 2;
		mm[i].msg_len = 0xeeee;
	}
}

static void unix_pair(void)
{
	int sv[2];
	socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
	prepare(3);
	const char *text[3] = {"one-first", "two-second", "three-third"};
	for (int i = 0; i < 3; i++) {
		memcpy(bufs[i][0], text[i], 3);
		strcpy(bufs[i][1], text[i] + 3);
		iovs[i][1].iov_len = strlen(text[i] + 3);
	}
	// SCM_RIGHTS with the second message: a pipe's write end.
	int p[2];
	pipe(p);
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	memset(&ctl, 0, sizeof ctl);
	mm[1].msg_hdr.msg_control = ctl.b;
	mm[1].msg_hdr.msg_controllen = sizeof ctl.b;
	struct cmsghdr *c = CMSG_FIRSTHDR(&mm[1].msg_hdr);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &p[1], sizeof(int));
	res("sendmmsg 3", sendmmsg_(sv[0], mm, 3, 0));
	for (int i = 0; i < 3; i++)
		printf("  msg_len %u\n", mm[i].msg_len);
	close(p[1]);

	prepare(4);
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} rctl[4];
	memset(rctl, 0, sizeof rctl);
	for (int i = 0; i < 4; i++) {
		mm[i].msg_hdr.msg_control = rctl[i].b;
		mm[i].msg_hdr.msg_controllen = sizeof rctl[i].b;
	}
	res("recvmmsg 4, MSG_DONTWAIT", recvmmsg_(sv[1], mm, 4, MSG_DONTWAIT, NULL));
	for (int i = 0; i < 4; i++) {
		printf("  msg_len %u [%.3s|%s] controllen %lu flags %#x\n", mm[i].msg_len, bufs[i][0], bufs[i][1],
		       (unsigned long)mm[i].msg_hdr.msg_controllen, mm[i].msg_hdr.msg_flags);
	}
	struct cmsghdr *rc = CMSG_FIRSTHDR(&mm[1].msg_hdr);
	if (rc && rc->cmsg_type == SCM_RIGHTS) {
		int fd;
		memcpy(&fd, CMSG_DATA(rc), sizeof fd);
		write(fd, "via", 3);
		close(fd);
		char got[4] = {0};
		read(p[0], got, 3);
		printf("  descriptor passed: wrote %s through it\n", got);
	} else {
		printf("  no descriptor\n");
	}
	close(p[0]);
	res("recvmmsg empty, MSG_DONTWAIT", recvmmsg_(sv[1], mm, 4, MSG_DONTWAIT, NULL));

	prepare(4);
	sendmmsg_(sv[0], mm, 2, 0);
	res("recvmmsg 4, MSG_WAITFORONE with 2 queued", recvmmsg_(sv[1], mm, 4, MSG_WAITFORONE, NULL));
	prepare(4);
	sendmmsg_(sv[0], mm, 3, 0);
	long long ts[2] = {5, 0};
	res("recvmmsg 2 with a timeout", recvmmsg_(sv[1], mm, 2, 0, ts));
	printf("  time left sane: %s\n", ts[0] >= 0 && ts[0] <= 5 && ts[1] >= 0 && ts[1] < 1000000000 ? "yes" : "no");
	ts[1] = 1000000000;
	res("recvmmsg bad timeout", recvmmsg_(sv[1], mm, 2, 0, ts));
	res("recvmmsg bad timeout pointer", recvmmsg_(sv[1], mm, 2, 0, BAD));
	res("recvmmsg bad timeout pointer, bad descriptor", recvmmsg_(999, mm, 2, 0, BAD));
	res("recvmmsg 1 (the last)", recvmmsg_(sv[1], mm, 1, 0, NULL));
#ifndef __x86_64__
	/* i386's recvmmsg with a 32-bit timespec (glibc uses _time64). */
	prepare(2);
	sendmmsg_(sv[0], mm, 2, 0);
	int ts32[2] = {5, 0};
	res("i386 recvmmsg (32-bit timespec)", syscall(SYS_recvmmsg, sv[1], mm, 2, 0, ts32));
	printf("  time left sane: %s\n", ts32[0] >= 0 && ts32[0] <= 5 && ts32[1] >= 0 && ts32[1] < 1000000000 ? "yes" : "no");
	ts32[1] = -1;
	res("i386 recvmmsg bad 32-bit timeout", syscall(SYS_recvmmsg, sv[1], mm, 2, 0, ts32));
#endif

	// A vector whose second entry is on an unmapped page.
	char *page = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(page + 4096, 4096);
	struct mmsghdr *edge = (struct mmsghdr *)(page + 4096 - sizeof(struct mmsghdr));
	prepare(1);
	*edge = mm[0];
	res("sendmmsg 2, second unmapped", sendmmsg_(sv[0], edge, 2, 0));
	res("recvmmsg 2, second unmapped", recvmmsg_(sv[1], edge, 2, MSG_DONTWAIT, NULL));
	res("sendmmsg bad vector", sendmmsg_(sv[0], BAD, 2, 0));
	res("recvmmsg bad vector", recvmmsg_(sv[1], BAD, 2, MSG_DONTWAIT, NULL));
	res("sendmmsg bad descriptor", sendmmsg_(999, mm, 1, 0));
	res("recvmmsg bad descriptor", recvmmsg_(999, mm, 1, 0, NULL));
	res("sendmmsg 0 messages", sendmmsg_(sv[0], mm, 0, 0));
	res("sendmmsg not a socket", sendmmsg_(1, mm, 1, 0));
#ifndef __x86_64__
	prepare(2);
	strcpy(bufs[0][0], "ab");
	strcpy(bufs[1][0], "cd");
	long args[5] = {sv[0], (long)mm, 2, 0, 0};
	res("socketcall SENDMMSG", syscall(SYS_socketcall, 20, args));
	prepare(2);
	args[0] = sv[1];
	args[3] = MSG_DONTWAIT;
	res("socketcall RECVMMSG", syscall(SYS_socketcall, 19, args));
	printf("  [%s] [%s]\n", bufs[0][0], bufs[1][0]);
#endif
	munmap(page, 4096);
	close(sv[0]), close(sv[1]);
}

static void udp(void)
{
	int a = socket(AF_INET, SOCK_DGRAM, 0), b = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = {AF_INET, 0, {htonl(INADDR_LOOPBACK)}, {0}}, sb = sa;
	bind(a, (struct sockaddr *)&sa, sizeof sa);
	bind(b, (struct sockaddr *)&sb, sizeof sb);
	socklen_t l = sizeof sa;
	getsockname(a, (struct sockaddr *)&sa, &l);
	getsockname(b, (struct sockaddr *)&sb, &l);
	prepare(2);
	for (int i = 0; i < 2; i++) {
		mm[i].msg_hdr.msg_name = &sb;
		mm[i].msg_hdr.msg_namelen = sizeof sb;
		strcpy(bufs[i][0], i ? "BB" : "AA");
	}
	res("udp sendmmsg 2", sendmmsg_(a, mm, 2, 0));
	struct sockaddr_in from[2];
	prepare(2);
	for (int i = 0; i < 2; i++) {
		mm[i].msg_hdr.msg_name = &from[i];
		mm[i].msg_hdr.msg_namelen = sizeof from[i];
	}
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	res("udp recvmmsg 2", recvmmsg_(b, mm, 2, 0, NULL));
	for (int i = 0; i < 2; i++)
		printf("  %s from the sender: %s namelen %u\n", bufs[i][0],
		       from[i].sin_port == sa.sin_port ? "yes" : "no", mm[i].msg_hdr.msg_namelen);
	close(a), close(b);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	unix_pair();
	udp();
	return 0;
}
