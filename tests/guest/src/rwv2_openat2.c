// Calls qemu-user 7.2 refuses although Linux has them (issue 15 item 5):
// preadv2/pwritev2 (an offset, -1 for the file position, RWF_APPEND,
// RWF_DSYNC, RWF_NOWAIT, unknown flags), openat2 (struct open_how sizes,
// flags and modes it refuses, RESOLVE_BENEATH, RESOLVE_NO_SYMLINKS,
// RESOLVE_IN_ROOT, RESOLVE_NO_XDEV, errors), mlock2 and the pkey calls a
// CPU without protection keys answers the same way as one with them
// (pkey_mprotect with key -1, bad arguments).
#include "gt.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define BAD ((void *)16)

static void res(const char *what, long r)
{
	if (r < 0)
		printf("%s: -1 %s\n", what, strerrorname_np(errno));
	else
		printf("%s: %ld\n", what, r);
}

static long rw2(long nr, int fd, struct iovec *v, int n, long long off, int flags)
{
#ifdef __x86_64__
	return syscall(nr, fd, v, n, (long)off, 0L, flags);
#else
	return syscall(nr, fd, v, n, (long)(unsigned)off, (long)(off >> 32), flags);
#endif
}

static void rwv2(void)
{
	int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0600);
	char a[4] = "abc", b[6] = "defgh";
	struct iovec w[2] = {{a, 3}, {b, 5}};
	res("pwritev2 at 4", rw2(SYS_pwritev2, fd, w, 2, 4, 0));
	res("position still", lseek(fd, 0, SEEK_CUR));
	res("pwritev2 at -1 (position)", rw2(SYS_pwritev2, fd, w, 1, -1, 0));
	res("position now", lseek(fd, 0, SEEK_CUR));
	res("pwritev2 RWF_DSYNC at 12", rw2(SYS_pwritev2, fd, w, 2, 12, RWF_DSYNC));
	res("pwritev2 RWF_APPEND at 0", rw2(SYS_pwritev2, fd, w, 1, 0, RWF_APPEND));
	res("size", lseek(fd, 0, SEEK_END));
	char r1[8], r2[16];
	memset(r1, 0, sizeof r1);
	memset(r2, 0, sizeof r2);
	struct iovec r[2] = {{r1, 4}, {r2, 15}};
	res("preadv2 at 0", rw2(SYS_preadv2, fd, r, 2, 0, 0));
	for (int i = 0; i < 4; i++)
		if (!r1[i])
			r1[i] = '.';
	for (int i = 0; i < 15; i++)
		if (!r2[i])
			r2[i] = '.';
	printf("  [%s][%s]\n", r1, r2);
	lseek(fd, 2, SEEK_SET);
	memset(r1, 0, sizeof r1);
	res("preadv2 at -1", rw2(SYS_preadv2, fd, r, 1, -1, 0));
	printf("  [%s] position %ld\n", r1, (long)lseek(fd, 0, SEEK_CUR));
	res("preadv2 RWF_HIPRI at 4", rw2(SYS_preadv2, fd, r, 1, 4, RWF_HIPRI));
	res("preadv2 RWF_NOWAIT at 4", rw2(SYS_preadv2, fd, r, 1, 4, RWF_NOWAIT));
	res("preadv2 flags 0x100000", rw2(SYS_preadv2, fd, r, 1, 4, 0x100000));
	res("pwritev2 flags 0x100000", rw2(SYS_pwritev2, fd, w, 1, 4, 0x100000));
	res("preadv2 offset -2", rw2(SYS_preadv2, fd, r, 1, -2, RWF_HIPRI));
	res("preadv2 bad iovec", rw2(SYS_preadv2, fd, BAD, 1, 0, RWF_HIPRI));
	res("preadv2 bad buffer", rw2(SYS_preadv2, fd, (struct iovec[]){{BAD, 4}}, 1, 0, RWF_HIPRI));
	res("preadv2 bad descriptor", rw2(SYS_preadv2, 999, r, 1, 0, RWF_HIPRI));
	int p[2];
	pipe(p);
	res("preadv2 RWF_NOWAIT empty pipe", rw2(SYS_preadv2, p[0], r, 1, -1, RWF_NOWAIT));
	res("pwritev2 pipe at 0", rw2(SYS_pwritev2, p[1], w, 1, 0, RWF_DSYNC));
	close(p[0]), close(p[1]);
	close(fd);
}

static long openat2_(int dir, const char *path, struct open_how *how, size_t size)
{
	return syscall(SYS_openat2, dir, path, how, size);
}

static void openat2s(void)
{
	mkdir("d", 0700);
	mkdir("d/sub", 0700);
	close(open("d/sub/file", O_CREAT | O_WRONLY, 0600));
	symlink("sub/file", "d/link");
	symlink("/etc/passwd", "d/abs");
	int d = open("d", O_RDONLY | O_DIRECTORY);
	struct open_how how = {O_RDONLY, 0, 0};
	long fd = openat2_(d, "sub/file", &how, sizeof how);
	res("openat2 plain >= 0", fd >= 0);
	close((int)fd);
	how.flags = O_RDWR | O_CREAT | O_EXCL;
	how.mode = 0640;
	fd = openat2_(d, "new", &how, sizeof how);
	res("openat2 O_CREAT 0640 >= 0", fd >= 0);
	struct stat st;
	fstat((int)fd, &st);
	printf("  mode %o\n", st.st_mode & 0777);
	close((int)fd);
	how.flags = O_RDONLY;
	res("openat2 mode without O_CREAT", openat2_(d, "new", &how, sizeof how));
	how.mode = 0;
	how.flags = 1ULL << 40;
	res("openat2 flag bit 40", openat2_(d, "new", &how, sizeof how));
	how.flags = O_RDONLY | O_CREAT;
	how.mode = 010000;
	res("openat2 mode 010000", openat2_(d, "new", &how, sizeof how));
	how.flags = O_RDONLY;
	how.mode = 0;
	res("openat2 size 16", openat2_(d, "new", &how, 16));
	res("openat2 size 8192", openat2_(d, "new", &how, 8192));
	struct {
		struct open_how h;
		uint64_t extra;
	} big = {{O_RDONLY, 0, 0}, 0};
	fd = openat2_(d, "new", &big.h, sizeof big);
	res("openat2 size 32, zero tail >= 0", fd >= 0);
	close((int)fd);
	big.extra = 1;
	res("openat2 size 32, nonzero tail", openat2_(d, "new", &big.h, sizeof big));
	res("openat2 bad how", openat2_(d, "new", BAD, sizeof how));
	res("openat2 bad path", openat2_(d, BAD, &how, sizeof how));
	res("openat2 missing", openat2_(d, "missing", &how, sizeof how));
	res("openat2 bad dir", openat2_(999, "new", &how, sizeof how));
	how.resolve = RESOLVE_BENEATH;
	fd = openat2_(d, "sub/file", &how, sizeof how);
	res("RESOLVE_BENEATH inside >= 0", fd >= 0);
	close((int)fd);
	res("RESOLVE_BENEATH ..", openat2_(d, "../d/new", &how, sizeof how));
	res("RESOLVE_BENEATH absolute", openat2_(d, "/etc/passwd", &how, sizeof how));
	res("RESOLVE_BENEATH absolute link", openat2_(d, "abs", &how, sizeof how));
	fd = openat2_(d, "link", &how, sizeof how);
	res("RESOLVE_BENEATH relative link >= 0", fd >= 0);
	close((int)fd);
	how.resolve = RESOLVE_NO_SYMLINKS;
	res("RESOLVE_NO_SYMLINKS on a link", openat2_(d, "link", &how, sizeof how));
	how.resolve = RESOLVE_IN_ROOT;
	fd = openat2_(d, "/sub/file", &how, sizeof how);
	res("RESOLVE_IN_ROOT /sub/file >= 0", fd >= 0);
	close((int)fd);
	res("RESOLVE_IN_ROOT /etc/passwd", openat2_(d, "/etc/passwd", &how, sizeof how));
	how.resolve = RESOLVE_NO_XDEV;
	res("RESOLVE_NO_XDEV into /proc", openat2_(AT_FDCWD, "/proc/self/status", &how, sizeof how));
	how.resolve = RESOLVE_BENEATH | RESOLVE_IN_ROOT;
	res("RESOLVE_BENEATH|RESOLVE_IN_ROOT", openat2_(d, "new", &how, sizeof how));
	how.resolve = 0x100;
	res("resolve 0x100", openat2_(d, "new", &how, sizeof how));
	how.resolve = RESOLVE_NO_MAGICLINKS;
	res("RESOLVE_NO_MAGICLINKS /proc/self/exe", openat2_(AT_FDCWD, "/proc/self/exe", &how, sizeof how));
	how.resolve = 0;
	how.flags = O_RDONLY | O_CLOEXEC;
	fd = openat2_(d, "new", &how, sizeof how);
	printf("openat2 O_CLOEXEC: close-on-exec %s\n", fcntl((int)fd, F_GETFD) & FD_CLOEXEC ? "yes" : "no");
	close((int)fd);
	unlink("d/new"), unlink("d/link"), unlink("d/abs"), unlink("d/sub/file"), rmdir("d/sub"), rmdir("d");
	close(d);
}

static void mem(void)
{
	char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	res("mlock2 0", syscall(SYS_mlock2, m, 4096, 0));
	res("mlock2 MLOCK_ONFAULT", syscall(SYS_mlock2, m, 8192, 1));
	res("mlock2 flags 2", syscall(SYS_mlock2, m, 4096, 2));
	munlock(m, 8192);
	res("pkey_mprotect key -1 read-only", syscall(SYS_pkey_mprotect, m, 4096, PROT_READ, -1));
	unsigned char vec[2];
	res("still mapped", mincore(m, 8192, vec));
	res("pkey_mprotect key 15", syscall(SYS_pkey_mprotect, m, 4096, PROT_READ, 15));
	res("pkey_alloc flags 1", syscall(SYS_pkey_alloc, 1, 0));
	res("pkey_alloc access rights 4", syscall(SYS_pkey_alloc, 0, 4));
	res("pkey_free 15", syscall(SYS_pkey_free, 15));
	munmap(m, 8192);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	rwv2();
	openat2s();
	mem();
	return 0;
}
