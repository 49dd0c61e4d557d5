// splice, tee, vmsplice and copy_file_range: file to pipe and pipe to file
// with and without loff_t offsets (the offset advanced, the file offset
// untouched), tee duplicating a pipe's bytes, vmsplice of several guest
// iovecs into a pipe and out of one into several buffers, SPLICE_F_NONBLOCK
// on an empty pipe (EAGAIN), copy_file_range with and without offsets,
// EPIPE and SIGPIPE for a pipe without readers, and the errors (ESPIPE
// for an offset on a pipe, EINVAL for no pipe and bad flags, EBADF,
// EFAULT for bad offset and iovec pointers).
#include "gt.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

static void result(const char *call, long r)
{
	printf("%-60s = %ld%s%s\n", call, r, r < 0 ? " " : "", r < 0 ? strerror(errno) : "");
	errno = 0;
}
#define ERR(call) result(#call, (long)(call))

static volatile int sigpipes;
static void onpipe(int sig) { (void)sig; sigpipes++; }

static void contents(const char *what, int fd)
{
	char buf[128] = {0};
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
	for (ssize_t i = 0; i < n; i++)
		if (!buf[i])
			buf[i] = '.';
	printf("%s: %zd \"%s\" offset %lld\n", what, n, buf, (long long)lseek(fd, 0, SEEK_CUR));
}

int main(void)
{
	signal(SIGPIPE, onpipe);
	char t1[] = "/tmp/gemu-splice-XXXXXX", t2[] = "/tmp/gemu-splice-XXXXXX";
	int f = mkstemp(t1), g = mkstemp(t2);
	unlink(t1);
	unlink(t2);
	write(f, "0123456789abcdefghij", 20);
	int p[2];
	pipe(p);

	/* file to pipe */
	loff_t off = 5;
	ERR(splice(f, &off, p[1], NULL, 6, 0));
	printf("off now %lld\n", (long long)off);
	lseek(f, 2, SEEK_SET);
	ERR(splice(f, NULL, p[1], NULL, 3, 0));
	printf("file offset now %lld\n", (long long)lseek(f, 0, SEEK_CUR));
	/* tee a copy, then pipe to file */
	int q[2];
	pipe(q);
	ERR(tee(p[0], q[1], 100, 0));
	off = 4;
	ERR(splice(p[0], NULL, g, &off, 100, 0));
	printf("off now %lld\n", (long long)off);
	contents("g", g);
	char buf[64] = {0};
	ERR(read(q[0], buf, sizeof buf));
	printf("tee copy: %s\n", buf);

	/* vmsplice */
	struct iovec iv[3] = {{"one ", 4}, {"two ", 4}, {"three", 5}};
	ERR(vmsplice(p[1], iv, 3, 0));
	char b1[3] = {0}, b2[5] = {0}, b3[32] = {0};
	struct iovec ov[3] = {{b1, 2}, {b2, 4}, {b3, 31}};
	ERR(vmsplice(p[0], ov, 3, 0));
	printf("out: [%s] [%s] [%s]\n", b1, b2, b3);
	ERR(vmsplice(p[0], ov, 3, SPLICE_F_NONBLOCK));
	ERR(vmsplice(p[1], iv, 0, 0));
	ERR(vmsplice(f, iv, 1, 0));
	ERR(vmsplice(p[1], iv, 1, 0x100));
	ERR(vmsplice(p[1], (void *)8, 1, 0));
	struct iovec badv = {(void *)8, 4};
	ERR(vmsplice(p[1], &badv, 1, 0));
	ERR(vmsplice(999, iv, 1, 0));

	/* copy_file_range */
	ERR(ftruncate(g, 0));
	loff_t oi = 10, oo = 0;
	ERR(syscall(SYS_copy_file_range, f, &oi, g, &oo, 6, 0));
	printf("offsets %lld %lld\n", (long long)oi, (long long)oo);
	lseek(f, 0, SEEK_SET);
	lseek(g, 6, SEEK_SET);
	ERR(syscall(SYS_copy_file_range, f, NULL, g, NULL, 4, 0));
	contents("g", g);
	ERR(syscall(SYS_copy_file_range, f, NULL, g, NULL, 4, 1));
	ERR(syscall(SYS_copy_file_range, f, (void *)8, g, NULL, 4, 0));
	ERR(syscall(SYS_copy_file_range, 999, NULL, g, NULL, 4, 0));

	/* errors */
	off = 0;
	ERR(splice(p[0], &off, g, NULL, 4, 0));
	ERR(splice(f, NULL, g, NULL, 4, 0));
	ERR(splice(f, (void *)8, p[1], NULL, 4, 0));
	ERR(splice(999, NULL, p[1], NULL, 4, 0));
	ERR(splice(p[0], NULL, g, NULL, 4, SPLICE_F_NONBLOCK));
	ERR(tee(p[0], g, 4, 0));
	ERR(tee(p[0], q[1], 4, SPLICE_F_NONBLOCK));
	close(q[0]);
	ERR(splice(f, &oi, q[1], NULL, 4, 0));
	ERR(vmsplice(q[1], iv, 1, 0));
	printf("SIGPIPEs: %d\n", sigpipes);
	return 0;
}
