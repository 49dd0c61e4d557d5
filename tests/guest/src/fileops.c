// flock, fallocate, readahead, sync/syncfs/sync_file_range, mknod and
// mknodat (FIFOs and regular files, EEXIST, a dangling symlink's name),
// futimesat (times set and read back, a NULL path, bad microseconds),
// name_to_handle_at/open_by_handle_at (a handle that opens the same file,
// EOVERFLOW with the size needed, AT_EMPTY_PATH, a symbolic link with and
// without AT_SYMLINK_FOLLOW) and membarrier (QUERY, registration,
// a private expedited barrier, errors), with their error paths.
#define _FILE_OFFSET_BITS 64
#include "gt.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/membarrier.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static void result(const char *call, long r)
{
	printf("%-64s = %ld%s%s\n", call, r, r < 0 ? " " : "", r < 0 ? strerror(errno) : "");
	errno = 0;
}
#define ERR(call) result(#call, (long)(call))

struct handle {
	unsigned int bytes;
	int type;
	unsigned char h[128];
};

int main(void)
{
	char dir[] = "/tmp/gemu-fileops-XXXXXX";
	if (!mkdtemp(dir) || chdir(dir))
		return 1;
	int f = open("file", O_CREAT | O_RDWR, 0644);
	int g = open("file", O_RDWR);

	/* flock: the second open file description conflicts */
	ERR(flock(f, LOCK_EX));
	ERR(flock(g, LOCK_EX | LOCK_NB));
	ERR(flock(g, LOCK_SH | LOCK_NB));
	ERR(flock(f, LOCK_UN));
	ERR(flock(g, LOCK_SH | LOCK_NB));
	ERR(flock(f, LOCK_SH | LOCK_NB));
	ERR(flock(f, LOCK_EX | LOCK_NB));
	ERR(flock(f, 0));
	ERR(flock(999, LOCK_SH));
	fflush(stdout);
	if (fork() == 0) {
		int h = open("file", O_RDWR);
		printf("child: %d\n", flock(h, LOCK_EX | LOCK_NB) < 0 ? errno : 0);
		fflush(stdout);
		_exit(0);
	}
	wait(NULL);

	/* fallocate, readahead, syncs */
	ERR(fallocate(f, 0, 4096, 8192));
	struct stat st;
	fstat(f, &st);
	printf("size %lld\n", (long long)st.st_size);
	ERR(fallocate(f, FALLOC_FL_KEEP_SIZE, 0, 65536));
	fstat(f, &st);
	printf("size %lld, blocks >= 128: %d\n", (long long)st.st_size, st.st_blocks >= 128);
	ERR(fallocate(f, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096));
	ERR(fallocate(f, 0, -1, 10));
	ERR(fallocate(f, 0, 0, 0));
	ERR(fallocate(f, 0, 0x100000000ll, 4096));
	fstat(f, &st);
	printf("size %lld\n", (long long)st.st_size);
	ERR(ftruncate(f, 12288));
	ERR(fallocate(999, 0, 0, 10));
	ERR(readahead(f, 0, 4096));
	ERR(readahead(f, 0x100000000ll, 4096));
	ERR(readahead(999, 0, 4096));
	sync();
	printf("sync done\n");
	ERR(syncfs(f));
	ERR(syncfs(999));
	ERR(sync_file_range(f, 0, 4096, SYNC_FILE_RANGE_WRITE));
	ERR(sync_file_range(f, 0x100000000ll, 0x100000000ll, SYNC_FILE_RANGE_WAIT_AFTER));
	ERR(sync_file_range(f, -1, 10, 0));
	ERR(sync_file_range(f, 0, 10, 8));
	ERR(sync_file_range(999, 0, 10, 0));

	/* mknod, mknodat */
	ERR(mknod("fifo", S_IFIFO | 0640, 0));
	ERR(mknod("fifo", S_IFIFO | 0640, 0));
	ERR(mknod("reg", S_IFREG | 0600, 0));
	int d = open(".", O_DIRECTORY);
	ERR(mknodat(d, "fifo2", S_IFIFO | 0600, 0));
	ERR(mknodat(d, "chr", S_IFCHR | 0600, makedev(1, 3)));
	stat("chr", &st);
	printf("chr: %d %u:%u\n", S_ISCHR(st.st_mode), major(st.st_rdev), minor(st.st_rdev));
	stat("fifo", &st);
	printf("fifo: %d %o\n", S_ISFIFO(st.st_mode), st.st_mode & 0777);
	symlink("nowhere", "dangling");
	ERR(mknod("dangling", S_IFIFO | 0600, 0));
	ERR(mknod("missing/x", S_IFIFO | 0600, 0));
	ERR(mknod("bad", 0170000 | 0600, 0));
	ERR(mknodat(999, "x", S_IFIFO | 0600, 0));
	ERR(mknodat(d, (char *)8, S_IFIFO | 0600, 0));

	/* futimesat */
	struct timeval tv[2] = {{1000000, 5}, {2000000, 999999}};
	ERR(futimesat(d, "reg", tv));
	stat("reg", &st);
	printf("times %lld.%09ld %lld.%09ld\n", (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
	       (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	int r = open("reg", O_RDONLY);
	tv[1].tv_sec = 3000000;
	ERR(syscall(SYS_futimesat, r, NULL, tv));
	fstat(r, &st);
	printf("mtime %lld\n", (long long)st.st_mtim.tv_sec);
	tv[0].tv_usec = 1000000;
	ERR(futimesat(d, "reg", tv));
	tv[0].tv_usec = -1;
	ERR(futimesat(d, "reg", tv));
	ERR(syscall(SYS_futimesat, d, "reg", (void *)8));
	ERR(futimesat(d, "nonexistent", NULL));
	ERR(futimesat(999, "reg", NULL));

	/* file handles */
	struct handle h = {.bytes = 128};
	int mnt = -1;
	ERR(name_to_handle_at(d, "reg", (struct file_handle *)&h, &mnt, 0));
	int o = open_by_handle_at(d, (struct file_handle *)&h, O_RDONLY);
	struct stat a, b;
	fstat(o, &a);
	stat("reg", &b);
	printf("opened by handle: %s, same file %d, mount id ok %d\n", o >= 0 ? "yes" : strerror(errno),
	       a.st_ino == b.st_ino && a.st_dev == b.st_dev, mnt > 0);
	struct handle small = {.bytes = 1};
	ERR(name_to_handle_at(d, "reg", (struct file_handle *)&small, &mnt, 0));
	printf("needed: %d\n", small.bytes == h.bytes);
	struct handle e = {.bytes = 128};
	ERR(name_to_handle_at(r, "", (struct file_handle *)&e, &mnt, AT_EMPTY_PATH));
	printf("empty path: same handle %d\n", e.bytes == h.bytes && memcmp(e.h, h.h, h.bytes) == 0);
	symlink("reg", "lnk");
	struct handle l = {.bytes = 128};
	ERR(name_to_handle_at(d, "lnk", (struct file_handle *)&l, &mnt, AT_SYMLINK_FOLLOW));
	printf("followed: same handle %d\n", l.bytes == h.bytes && memcmp(l.h, h.h, h.bytes) == 0);
	l.bytes = 128;
	ERR(name_to_handle_at(d, "lnk", (struct file_handle *)&l, &mnt, 0));
	printf("link itself: same handle %d\n", l.bytes == h.bytes && memcmp(l.h, h.h, h.bytes) == 0);
	e.bytes = 129;
	ERR(name_to_handle_at(d, "reg", (struct file_handle *)&e, &mnt, 0));
	e.bytes = 128;
	long long mnt64 = -1;
	ERR(name_to_handle_at(d, "reg", (struct file_handle *)&e, (int *)&mnt64, 0x1) == 0 || errno == EINVAL);
	printf("unique mount id: 8 bytes written %d\n", mnt64 == -1 || (mnt64 >> 32) != -1);
	ERR(name_to_handle_at(d, "reg", (struct file_handle *)&e, &mnt, 0x10));
	ERR(name_to_handle_at(d, "nonexistent", (struct file_handle *)&e, &mnt, 0));
	ERR(name_to_handle_at(d, "reg", (struct file_handle *)8, &mnt, 0));
	ERR(name_to_handle_at(d, "reg", (struct file_handle *)&e, (int *)8, 0));
	ERR(open_by_handle_at(d, (struct file_handle *)8, O_RDONLY));
	struct handle z = {.bytes = 0};
	ERR(open_by_handle_at(d, (struct file_handle *)&z, O_RDONLY));
	ERR(open_by_handle_at(999, (struct file_handle *)&h, O_RDONLY));
	int oc = open_by_handle_at(d, (struct file_handle *)&h, O_RDONLY | O_CLOEXEC);
	printf("cloexec %d\n", fcntl(oc, F_GETFD) & FD_CLOEXEC);

	/* membarrier */
	long q = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
	printf("query: %s, private expedited %d\n", q >= 0 ? "ok" : strerror(errno),
	       q > 0 && (q & MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0);
	ERR(syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0));
	ERR(syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0));
	ERR(syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0));
	ERR(syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 1, 0));
	ERR(syscall(SYS_membarrier, 0x4000, 0, 0));

	unlink("lnk");
	unlink("dangling");
	unlink("chr");
	unlink("fifo2");
	unlink("fifo");
	unlink("reg");
	unlink("file");
	chdir("/");
	rmdir(dir);
	return 0;
}
