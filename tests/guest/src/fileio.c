// gemu-test: dyn=1
// File I/O in a private mkdtemp directory: open/creat, write, read, pread,
// pwrite, readv/writev, lseek (incl. holes and SEEK_END), ftruncate, stat /
// fstat / lstat (size and mode bits only), rename, link, symlink/readlink,
// unlink, access, chmod, openat/fstatat, O_APPEND, O_EXCL, stdio FILE I/O.
#include "gt.h"
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

static char dir[64];

static const char *P(const char *name)
{
	static char buf[4][128];
	static int k;
	k = (k + 1) % 4;
	snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
	return buf[k];
}

static void pstat(const char *label, const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		printf("%s: stat failed errno=%d\n", label, errno);
		return;
	}
	/* directory sizes and link counts are file system specific: not printed */
	printf("%s: size=%lld mode=%o reg=%d dir=%d nlink=%lu\n", label,
	       S_ISREG(st.st_mode) ? (long long)st.st_size : -1LL, (unsigned)(st.st_mode & 07777),
	       S_ISREG(st.st_mode) != 0, S_ISDIR(st.st_mode) != 0,
	       S_ISREG(st.st_mode) ? (unsigned long)st.st_nlink : 0ul);
}

int main(void)
{
	umask(022);
	strcpy(dir, "/tmp/gemu-fileio-XXXXXX");
	if (!mkdtemp(dir)) {
		printf("mkdtemp failed\n");
		return 1;
	}
	int fd = open(P("a.txt"), O_CREAT | O_WRONLY | O_TRUNC, 0644);
	printf("open: %s\n", fd >= 0 ? "ok" : "failed");
	const char *msg = "hello, file\nsecond line\n";
	printf("write: %zd\n", write(fd, msg, strlen(msg)));
	close(fd);
	pstat("a.txt", P("a.txt"));

	char buf[256];
	fd = open(P("a.txt"), O_RDONLY);
	ssize_t n = read(fd, buf, sizeof buf - 1);
	buf[n > 0 ? n : 0] = 0;
	printf("read %zd: %s", n, buf);
	printf("read at eof: %zd\n", read(fd, buf, 10));
	printf("lseek cur: %lld\n", (long long)lseek(fd, 0, SEEK_CUR));
	printf("lseek set 7: %lld\n", (long long)lseek(fd, 7, SEEK_SET));
	n = read(fd, buf, 4);
	buf[n] = 0;
	printf("read after seek: %s\n", buf);
	printf("lseek end -5: %lld\n", (long long)lseek(fd, -5, SEEK_END));
	long long lr = lseek(fd, -100, SEEK_SET);
	printf("lseek negative: %lld errno=%s\n", lr, errno == EINVAL ? "EINVAL" : "?");
	n = pread(fd, buf, 5, 14);
	buf[n] = 0;
	printf("pread: %s cur=%lld\n", buf, (long long)lseek(fd, 0, SEEK_CUR));
	n = write(fd, "x", 1);
	printf("write to O_RDONLY: %zd errno=%s\n", n, errno == EBADF ? "EBADF" : "?");
	close(fd);

	/* holes, pwrite, ftruncate */
	fd = open(P("holes"), O_CREAT | O_RDWR, 0600);
	lseek(fd, 100000, SEEK_SET);
	write(fd, "end", 3);
	pwrite(fd, "mid", 3, 50000);
	struct stat st;
	fstat(fd, &st);
	printf("holes size=%lld mode=%o\n", (long long)st.st_size, (unsigned)(st.st_mode & 07777));
	pread(fd, buf, 8, 49998);
	printf("hole bytes: %02x %02x %c%c%c %02x\n", buf[0], buf[1], buf[2], buf[3], buf[4], buf[5]);
	ftruncate(fd, 10);
	fstat(fd, &st);
	printf("after ftruncate size=%lld\n", (long long)st.st_size);
	ftruncate(fd, 70000);
	fstat(fd, &st);
	printf("after extend size=%lld\n", (long long)st.st_size);
	close(fd);

	/* writev/readv */
	fd = open(P("vec"), O_CREAT | O_RDWR | O_TRUNC, 0640);
	struct iovec iov[3] = {{"one ", 4}, {"two ", 4}, {"three\n", 6}};
	printf("writev: %zd\n", writev(fd, iov, 3));
	lseek(fd, 0, SEEK_SET);
	char r1[3], r2[5], r3[20];
	struct iovec riov[3] = {{r1, 3}, {r2, 5}, {r3, 20}};
	n = readv(fd, riov, 3);
	printf("readv: %zd [%.3s][%.5s][%.*s]\n", n, r1, r2, (int)(n - 8), r3);
	close(fd);
	pstat("vec", P("vec"));

	/* O_APPEND, O_EXCL */
	fd = open(P("a.txt"), O_WRONLY | O_APPEND);
	lseek(fd, 0, SEEK_SET);
	write(fd, "appended\n", 9);
	close(fd);
	pstat("a.txt appended", P("a.txt"));
	fd = open(P("a.txt"), O_CREAT | O_EXCL | O_WRONLY, 0644);
	printf("O_EXCL on existing: %d errno=%s\n", fd, errno == EEXIST ? "EEXIST" : "?");
	fd = open(P("missing"), O_RDONLY);
	printf("open missing: %d errno=%s\n", fd, errno == ENOENT ? "ENOENT" : "?");

	/* rename, link, symlink, readlink, chmod, access */
	printf("rename: %d\n", rename(P("a.txt"), P("b.txt")));
	printf("old name gone: %d\n", access(P("a.txt"), F_OK) != 0);
	printf("link: %d\n", link(P("b.txt"), P("c.txt")));
	pstat("b.txt linked", P("b.txt"));
	printf("symlink: %d\n", symlink("b.txt", P("sym")));
	n = readlink(P("sym"), buf, sizeof buf);
	printf("readlink: %.*s\n", (int)n, buf);
	struct stat lst;
	lstat(P("sym"), &lst);
	printf("lstat is link: %d, stat follows: ", S_ISLNK(lst.st_mode) != 0);
	pstat("sym", P("sym"));
	printf("chmod: %d\n", chmod(P("b.txt"), 0600));
	pstat("b.txt chmod", P("b.txt"));
	printf("access R_OK: %d F_OK: %d\n", access(P("b.txt"), R_OK), access(P("b.txt"), F_OK));

	/* mkdir, openat, fstatat */
	printf("mkdir: %d\n", mkdir(P("sub"), 0755));
	pstat("sub", P("sub"));
	int dfd = open(P("sub"), O_RDONLY | O_DIRECTORY);
	int f2 = openat(dfd, "inner", O_CREAT | O_WRONLY, 0600);
	write(f2, "12345", 5);
	close(f2);
	fstatat(dfd, "inner", &st, 0);
	printf("fstatat inner: size=%lld mode=%o\n", (long long)st.st_size, (unsigned)(st.st_mode & 07777));
	int rr = rmdir(P("sub"));
	printf("rmdir non-empty: %d errno=%s\n", rr, errno == ENOTEMPTY || errno == EEXIST ? "ENOTEMPTY" : "?");
	printf("unlinkat: %d\n", unlinkat(dfd, "inner", 0));
	close(dfd);

	/* stdio */
	FILE *f = fopen(P("stdio.txt"), "w+");
	for (int i = 0; i < 1000; i++)
		fprintf(f, "line %d %x\n", i, i * i);
	fflush(f);
	printf("ftell: %ld\n", ftell(f));
	rewind(f);
	int lines = 0;
	long sum = 0;
	while (fgets(buf, sizeof buf, f)) {
		int a;
		unsigned b;
		if (sscanf(buf, "line %d %x", &a, &b) == 2)
			sum += a + (long)b;
		lines++;
	}
	printf("fgets lines=%d sum=%ld feof=%d\n", lines, sum, feof(f) != 0);
	fseek(f, -8, SEEK_END);
	printf("fseek end: %ld getc=%c\n", ftell(f), getc(f));
	fclose(f);
	pstat("stdio.txt", P("stdio.txt"));

	/* cleanup */
	int ok = 1;
	const char *files[] = {"b.txt", "c.txt", "sym", "holes", "vec", "stdio.txt"};
	for (size_t i = 0; i < ARRAY_LEN(files); i++)
		ok &= unlink(P(files[i])) == 0;
	ok &= rmdir(P("sub")) == 0;
	ok &= rmdir(dir) == 0;
	printf("cleanup ok: %d\n", ok);
	return 0;
}
