// process_vm_readv / process_vm_writev on the calling process: scatter and
// gather over several local and remote iovecs, zero lengths, a remote
// range that runs into an unmapped or unreadable page (a partial transfer
// up to the page), a remote write to a read-only page, bad local buffers,
// bad iovec arrays, flags, iovec counts, pids that do not exist, and a
// thread's id as the pid. Raw system calls, so the i386 build passes
// 32-bit iovecs. Variant child: a forked child's memory, read and written
// by its parent through process_vm_readv/writev and /proc/PID/mem (page
// permissions, partial transfers, a debugger's access to read-only and
// PROT_NONE pages), its parent's by the child, and both after the child
// ended.
// gemu-test: variant=self
// gemu-test: variant=child arg=child
#include "gt.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static long vm(int write, long pid, struct iovec *l, long ln, struct iovec *r, long rn, long flags)
{
	errno = 0;
	long ret = syscall(write ? SYS_process_vm_writev : SYS_process_vm_readv, pid, l, ln, r, rn, flags);
	return ret < 0 ? -errno : ret;
}

static char src[64] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+/";
static char dst[64];
static long self;

static void show(const char *what, long r)
{
	printf("%s: %ld dst=\"%.*s\"\n", what, r, 64, dst);
	memset(dst, '.', sizeof dst);
}

static void *thread_main(void *arg)
{
	long tid = syscall(SYS_gettid);
	struct iovec l = {dst, 5}, r = {src + 5, 5};
	long n = vm(0, tid, &l, 1, &r, 1, 0);
	*(long *)arg = n;
	return 0;
}

static volatile long marker = 0x1111;
static volatile long parent_secret = 0x5eC12e7;
static volatile long parent_box;

/* What the child tells its parent: where its pages are. */
struct layout {
	char *big;	/* 3 pages of a pattern */
	char *edge;	/* page 0 read-write, page 1 PROT_NONE, page 2 read-only */
};

static unsigned sum(const unsigned char *b, long n)
{
	unsigned s = 0;
	for (long i = 0; i < n; i++)
		s = s * 31 + b[i];
	return s;
}

/* The parent reads and writes its forked child's memory, through
 * process_vm_readv/writev and /proc/PID/mem, and the child its parent's. */
static int child_case(void)
{
	int go[2], back[2];
	pipe(go);
	pipe(back);
	long ps = sysconf(_SC_PAGESIZE);
	pid_t pid = fork();
	char c;
	if (pid == 0) {
		struct layout lay;
		lay.big = mmap(0, 3 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		for (long i = 0; i < 3 * ps; i++)
			lay.big[i] = (char)(i * 7 + i / 251);
		lay.edge = mmap(0, 3 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		memset(lay.edge, 'e', 3 * ps);
		mprotect(lay.edge + ps, ps, PROT_NONE);
		mprotect(lay.edge + 2 * ps, ps, PROT_READ);
		marker = 0x2222;
		write(back[1], &lay, sizeof lay);
		read(go[0], &c, 1);
		printf("child sees %#lx, edge %.4s, read-only page %.4s\n", marker, lay.edge, lay.edge + 2 * ps);
		/* The child's turn: its parent waits in read(). */
		long v = 0, w = 0xb0b;
		pid_t pp = getppid();
		struct iovec l = {&v, sizeof v}, r = {(void *)&parent_secret, sizeof v};
		long n = vm(0, pp, &l, 1, &r, 1, 0);
		printf("child reads parent: %ld, value %#lx\n", n, v);
		l.iov_base = &w;
		r.iov_base = (void *)&parent_box;
		printf("child writes parent: %ld\n", vm(1, pp, &l, 1, &r, 1, 0));
		fflush(stdout);
		write(back[1], "d", 1);
		_exit(0);
	}
	struct layout lay;
	read(back[0], &lay, sizeof lay);
	long v = 0, w = 0x3333;
	struct iovec l = {&v, sizeof v}, r = {(void *)&marker, sizeof marker};
	long n = vm(0, pid, &l, 1, &r, 1, 0);
	printf("read child: %ld, value %#lx\n", n, v);
	l.iov_base = &w;
	printf("write child: %ld\n", vm(1, pid, &l, 1, &r, 1, 0));
	printf("own marker: %#lx\n", marker);

	/* Three pages in three pieces of two local buffers. */
	static unsigned char big[3 * 4096], mine[3 * 4096];
	for (long i = 0; i < 3 * ps; i++)
		mine[i] = (unsigned char)(i * 7 + i / 251);
	struct iovec ls[2] = {{big, 5000}, {big + 5000, 3 * ps - 5000}};
	struct iovec rs[3] = {{lay.big, 100}, {lay.big + 100, 2 * ps}, {lay.big + 100 + 2 * ps, ps - 100}};
	n = vm(0, pid, ls, 2, rs, 3, 0);
	printf("read 3 pages: %ld, same: %s, sum %#x\n", n, memcmp(big, mine, 3 * ps) ? "no" : "yes", sum(big, 3 * ps));
	struct iovec l1 = {big, 64}, r1 = {lay.edge + ps - 10, 64};
	memset(big, '.', 64);
	n = vm(0, pid, &l1, 1, &r1, 1, 0);
	printf("read into PROT_NONE: %ld %.12s\n", n, big);
	r1.iov_base = lay.edge + ps;
	printf("read PROT_NONE: %ld\n", vm(0, pid, &l1, 1, &r1, 1, 0));
	memcpy(big, "WXYZ", 4);
	l1.iov_len = r1.iov_len = 4;
	r1.iov_base = lay.edge + 2 * ps;
	printf("write read-only: %ld\n", vm(1, pid, &l1, 1, &r1, 1, 0));
	r1.iov_base = lay.edge + 2 * ps - 2;
	printf("write into read-only: %ld\n", vm(1, pid, &l1, 1, &r1, 1, 0));

	/* /proc/PID/mem: a debugger's access, read-only and PROT_NONE pages too. */
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/mem", (int)pid);
	int fd = open(path, O_RDWR);
	printf("open mem: %s\n", fd >= 0 ? "ok" : strerror(errno));
	char b[16] = {0};
	long r2 = pread(fd, b, 8, (off_t)(uintptr_t)lay.edge);
	printf("pread: %ld %.8s\n", r2, b);
	r2 = pread(fd, b, 8, (off_t)(uintptr_t)(lay.edge + ps));
	printf("pread PROT_NONE: %ld\n", r2);
	r2 = pwrite(fd, "mem!", 4, (off_t)(uintptr_t)(lay.edge + 2 * ps));
	printf("pwrite read-only: %ld\n", r2);
	r2 = pwrite(fd, "MEM", 3, (off_t)(uintptr_t)lay.edge);
	printf("pwrite: %ld\n", r2);
	lseek(fd, (off_t)(uintptr_t)(lay.big + ps - 4), SEEK_SET);
	memset(big, 0, 16);
	r2 = read(fd, big, 8);
	printf("read across a page: %ld same: %s\n", r2, memcmp(big, mine + ps - 4, 8) ? "no" : "yes");
	errno = 0;
	r2 = pread(fd, b, 8, 0);
	printf("pread unmapped: %ld %s\n", r2, strerror(errno));
	fflush(stdout);

	write(go[1], "g", 1);
	read(back[0], &c, 1);
	printf("parent box: %#lx\n", parent_box);
	int st;
	waitpid(pid, &st, 0);
	l.iov_base = &v;
	r.iov_base = (void *)&marker;
	printf("child gone: read %ld\n", vm(0, pid, &l, 1, &r, 1, 0));
	r2 = pread(fd, b, 8, (off_t)(uintptr_t)lay.edge);
	printf("child gone: pread %ld\n", r2);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		return child_case();
	self = getpid();
	memset(dst, '.', sizeof dst);
	struct iovec l[4], r[4];

	l[0] = (struct iovec){dst, 10};
	r[0] = (struct iovec){src, 10};
	show("read 10", vm(0, self, l, 1, r, 1, 0));

	/* Gather: three remote pieces into two local ones. */
	l[0] = (struct iovec){dst, 4};
	l[1] = (struct iovec){dst + 20, 8};
	r[0] = (struct iovec){src + 10, 3};
	r[1] = (struct iovec){src + 30, 0};
	r[2] = (struct iovec){src + 40, 6};
	r[3] = (struct iovec){src + 50, 3};
	show("gather", vm(0, self, l, 2, r, 4, 0));

	/* Local space smaller than remote: only what fits. */
	l[0] = (struct iovec){dst, 3};
	r[0] = (struct iovec){src, 10};
	show("local shorter", vm(0, self, l, 1, r, 1, 0));
	l[0] = (struct iovec){dst, 10};
	r[0] = (struct iovec){src, 4};
	show("remote shorter", vm(0, self, l, 1, r, 1, 0));

	/* Write: local source into a remote destination. */
	l[0] = (struct iovec){src + 26, 6};
	l[1] = (struct iovec){src, 2};
	r[0] = (struct iovec){dst + 1, 3};
	r[1] = (struct iovec){dst + 10, 5};
	show("write", vm(1, self, l, 2, r, 2, 0));

	/* Page edges: a mapped page followed by an unmapped one, then by a
	 * PROT_NONE one, then a read-only page. */
	long ps = sysconf(_SC_PAGESIZE);
	char *m = mmap(0, 3 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(m, 'm', 3 * ps);
	munmap(m + ps, ps);
	mprotect(m + 2 * ps, ps, PROT_NONE);
	l[0] = (struct iovec){dst, 20};
	r[0] = (struct iovec){m + ps - 7, 20};
	show("remote runs into an unmapped page", vm(0, self, l, 1, r, 1, 0));
	r[0] = (struct iovec){m, 2};
	r[1] = (struct iovec){m + ps, 5};
	r[2] = (struct iovec){m, 3};
	show("second remote iovec unmapped", vm(0, self, l, 1, r, 3, 0));
	r[0] = (struct iovec){m + ps, 5};
	show("first remote iovec unmapped", vm(0, self, l, 1, r, 1, 0));
	r[0] = (struct iovec){m + 2 * ps, 5};
	show("remote PROT_NONE", vm(0, self, l, 1, r, 1, 0));
	mprotect(m + 2 * ps, ps, PROT_READ);
	l[0] = (struct iovec){src, 5};
	r[0] = (struct iovec){m + 2 * ps, 5};
	show("remote write to a read-only page", vm(1, self, l, 1, r, 1, 0));
	printf("read-only page kept: %s\n", m[2 * ps] == 'm' ? "yes" : "no");
	r[0] = (struct iovec){m + ps - 3, 5};
	show("remote write runs into an unmapped page", vm(1, self, l, 1, r, 1, 0));
	printf("bytes written before the page: %.3s\n", m + ps - 3);

	/* Local side faults. */
	l[0] = (struct iovec){dst, 4};
	l[1] = (struct iovec){m + ps, 4};
	r[0] = (struct iovec){src, 8};
	show("second local iovec unmapped", vm(0, self, l, 2, r, 1, 0));
	l[0] = (struct iovec){m + ps, 4};
	show("first local iovec unmapped", vm(0, self, l, 1, r, 1, 0));
	l[0] = (struct iovec){m + 2 * ps, 4};
	show("local read-only destination", vm(0, self, l, 1, r, 1, 0));
	l[0] = (struct iovec){m + ps - 2, 6};
	r[0] = (struct iovec){src, 6};
	show("local runs into an unmapped page", vm(0, self, l, 1, r, 1, 0));
	printf("bytes read before the page: %.2s\n", m + ps - 2);

	/* Arguments. */
	l[0] = (struct iovec){dst, 4};
	r[0] = (struct iovec){src, 4};
	show("flags 1", vm(0, self, l, 1, r, 1, 1));
	show("riovcnt 1025", vm(0, self, l, 1, r, 1025, 0));
	show("liovcnt 1025", vm(0, self, l, 1025, r, 1, 0));
	show("bad remote iovec array", vm(0, self, l, 1, (struct iovec *)(m + ps), 1, 0));
	show("bad local iovec array", vm(0, self, (struct iovec *)(m + ps), 1, r, 1, 0));
	l[1] = (struct iovec){dst, (size_t)-1};
	show("negative local length", vm(0, self, l, 2, r, 1, 0));
	r[1] = (struct iovec){src, (size_t)-1};
	show("negative remote length", vm(0, self, l, 1, r, 2, 0));
	show("zero counts", vm(0, self, l, 0, r, 0, 0));
	r[0] = (struct iovec){src, 0};
	show("zero remote length", vm(0, 0x3fffffff, l, 1, r, 1, 0));
	r[0] = (struct iovec){src, 4};
	show("pid that does not exist", vm(0, 0x3fffffff, l, 1, r, 1, 0));
	show("pid 0", vm(0, 0, l, 1, r, 1, 0));
	show("pid -1", vm(0, -1, l, 1, r, 1, 0));

	pthread_t t;
	long tr = 0;
	pthread_create(&t, 0, thread_main, &tr);
	pthread_join(t, 0);
	show("a thread's id as pid", tr);
	return 0;
}
