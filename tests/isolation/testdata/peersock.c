// Tries to reach the abstract unix sockets gemus serve their guests'
// memory on ("\0gemu-peer-PID", for its own pid and its parent's): connect
// with a stream and a seqpacket socket, sendto with a datagram socket,
// and bind (which would let a guest squat the name of a gemu about to
// start). Under gemu every attempt must fail as for a name in use or one
// nothing listens on; natively bind succeeds (no such name exists).
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static socklen_t name(struct sockaddr_un *a, int pid)
{
	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	int n = snprintf(a->sun_path + 1, sizeof a->sun_path - 1, "gemu-peer-%d", pid);
	return offsetof(struct sockaddr_un, sun_path) + 1 + n;
}

static void attempt(const char *who, int pid)
{
	struct sockaddr_un a;
	socklen_t n = name(&a, pid);
	int types[] = {SOCK_STREAM, SOCK_SEQPACKET};
	const char *tn[] = {"stream", "seqpacket"};
	for (int i = 0; i < 2; i++) {
		int s = socket(AF_UNIX, types[i], 0);
		int r = connect(s, (struct sockaddr *)&a, n);
		printf("%s connect %s: %s\n", who, tn[i], r == 0 ? "connected" : strerrorname_np(errno));
		close(s);
	}
	int d = socket(AF_UNIX, SOCK_DGRAM, 0);
	int r = sendto(d, "x", 1, 0, (struct sockaddr *)&a, n);
	printf("%s sendto: %s\n", who, r >= 0 ? "sent" : strerrorname_np(errno));
	close(d);
	int s = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	r = bind(s, (struct sockaddr *)&a, n);
	printf("%s bind: %s\n", who, r == 0 ? "bound" : strerrorname_np(errno));
	close(s);
}

int main(void)
{
	attempt("own", getpid());
	attempt("parent", getppid());
	return 0;
}
