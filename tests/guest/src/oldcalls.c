// Old interfaces the kernel still serves (issue 15): sysfs (indices,
// names, the count; EINVAL, EFAULT) and ustat (EINVAL, EFAULT) on both
// ABIs; on i386 also sgetmask/ssetmask (the 64-bit mask word: a negative
// int blocks the real-time signals, a positive one unblocks them; a
// pending signal delivered when unblocked), olduname and oldolduname (the
// fields against uname's, NULL), and oldstat/oldlstat/oldfstat (the
// fields against stat's, EOVERFLOW for an inode over 65535, EBADF, ENOENT,
// EFAULT), and readdir (one entry a call against getdents64's order and
// lstat's inode, d_offset seeking back to the entry, the end, rewinding, EFAULT leaving the position, EBADF,
// ENOTDIR). All through raw calls: glibc has no wrappers.
#include "gt.h"
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

#define BAD ((void *)16)

static void res(const char *what, long r)
{
	if (r < 0)
		printf("%s: -1 %s\n", what, strerrorname_np(errno));
	else
		printf("%s: %ld\n", what, r);
}

struct ustat_ {
	int f_tfree;
	unsigned long f_tinode;
	char f_fname[6];
	char f_fpack[6];
};

static void test_sysfs(void)
{
	long n = syscall(SYS_sysfs, 3);
	printf("sysfs count > 0: %d\n", n > 0);
	for (long i = 0; i < n; i++) {
		char name[256];
		memset(name, 'x', sizeof name);
		long r = syscall(SYS_sysfs, 2, i, name);
		if (r != 0) {
			res("sysfs name", r);
			continue;
		}
		long back = syscall(SYS_sysfs, 1, name);
		printf("sysfs %ld: %s (index back %ld, byte after NUL '%c')\n", i, name, back,
		       name[strlen(name) + 1]);
	}
	char name[64];
	res("sysfs name past the end", syscall(SYS_sysfs, 2, n, name));
	res("sysfs name bad buffer", syscall(SYS_sysfs, 2, 0, BAD));
	res("sysfs index unknown", syscall(SYS_sysfs, 1, "no-such-fs"));
	res("sysfs index bad name", syscall(SYS_sysfs, 1, BAD));
	res("sysfs option 0", syscall(SYS_sysfs, 0));
	res("sysfs option 4", syscall(SYS_sysfs, 4, 0, 0));
}

static void test_ustat(void)
{
	struct stat st;
	if (stat("/", &st) != 0)
		perror("stat /");
	struct ustat_ u;
	memset(&u, 'x', sizeof u);
	long r = syscall(SYS_ustat, (unsigned)st.st_dev, &u);
	res("ustat /", r);
	if (r == 0) {
		printf("ustat names empty: %d %d\n", u.f_fname[0] == 0, u.f_fpack[0] == 0);
		printf("ustat tfree >= 0: %d\n", u.f_tfree >= 0);
		res("ustat / bad buffer", syscall(SYS_ustat, (unsigned)st.st_dev, BAD));
	}
	res("ustat unknown device", syscall(SYS_ustat, makedev(4095, 1048575), &u));
}

#ifdef __i386__
static volatile int got;
static void on_usr1(int sig)
{
	(void)sig;
	got++;
}

static void show_mask(const char *what)
{
	unsigned long long m = 0;
	syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &m, 8);
	printf("%s: mask %016llx, sgetmask %08lx\n", what, m, (unsigned long)syscall(SYS_sgetmask));
}

static void test_sigmask(void)
{
	signal(SIGUSR1, on_usr1);
	unsigned long long m = (1ull << (SIGUSR1 - 1)) | (1ull << (SIGRTMIN + 2 - 1));
	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &m, NULL, 8);
	show_mask("blocked USR1 and RTMIN+2");
	raise(SIGUSR1);
	printf("raised, handler ran %d times\n", got);
	long old = syscall(SYS_ssetmask, (1L << (SIGTERM - 1)) | (1L << (SIGINT - 1)));
	printf("ssetmask returned %08lx, handler ran %d times\n", (unsigned long)old, got);
	show_mask("ssetmask TERM|INT");
	old = syscall(SYS_ssetmask, -1L);
	printf("ssetmask(-1) returned %08lx\n", (unsigned long)old);
	show_mask("ssetmask -1");
	old = syscall(SYS_ssetmask, 0L);
	printf("ssetmask(0) returned %08lx\n", (unsigned long)old);
	show_mask("ssetmask 0");
}

struct old_utsname {
	char f[5][65];
};
struct oldold_utsname {
	char f[5][9];
};

static void test_uname(void)
{
	struct utsname u;
	uname(&u);
	const char *want[5] = {u.sysname, u.nodename, u.release, u.version, u.machine};
	struct old_utsname o;
	memset(&o, 'x', sizeof o);
	res("olduname", syscall(SYS_olduname, &o));
	for (int i = 0; i < 5; i++)
		printf("olduname field %d equal: %d\n", i, memcmp(o.f[i], want[i], 65) == 0);
	printf("olduname: %s %s\n", o.f[0], o.f[4]);
	struct oldold_utsname oo;
	memset(&oo, 'x', sizeof oo);
	res("oldolduname", syscall(SYS_oldolduname, &oo));
	for (int i = 0; i < 5; i++)
		printf("oldolduname field %d: NUL at 8 %d, equal %d\n", i, oo.f[i][8] == 0,
		       strncmp(oo.f[i], want[i], 8) == 0);
	printf("oldolduname: %s %s\n", oo.f[0], oo.f[4]);
	res("olduname NULL", syscall(SYS_olduname, NULL));
	res("olduname bad", syscall(SYS_olduname, BAD));
	res("oldolduname NULL", syscall(SYS_oldolduname, NULL));
	res("oldolduname bad", syscall(SYS_oldolduname, BAD));
}

struct old_kernel_stat {
	unsigned short st_dev, st_ino, st_mode, st_nlink, st_uid, st_gid, st_rdev;
	unsigned long st_size, st_atime_, st_mtime_, st_ctime_;
};

static void compare(const char *what, long r, const struct old_kernel_stat *o, const struct stat *st)
{
	res(what, r);
	if (r != 0)
		return;
	printf("  dev %d ino %d mode %o nlink %d uid %d gid %d rdev %d size %d times %d\n",
	       o->st_dev == (unsigned short)((major(st->st_dev) << 8) | minor(st->st_dev)),
	       o->st_ino == st->st_ino, o->st_mode, o->st_nlink == st->st_nlink, o->st_uid == st->st_uid,
	       o->st_gid == st->st_gid, o->st_rdev == (unsigned short)((major(st->st_rdev) << 8) | minor(st->st_rdev)),
	       o->st_size == (unsigned long)st->st_size,
	       o->st_atime_ == (unsigned long)st->st_atime && o->st_mtime_ == (unsigned long)st->st_mtime &&
		       o->st_ctime_ == (unsigned long)st->st_ctime);
}

static void test_stat(const char *self)
{
	struct old_kernel_stat o;
	struct stat st;
	const char *paths[] = {"/", "/bin", "/dev/null", self};
	for (unsigned i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		char what[300];
		stat(paths[i], &st);
		snprintf(what, sizeof what, "oldstat %s", i == 3 ? "self" : paths[i]);
		memset(&o, 0, sizeof o);
		compare(what, syscall(SYS_oldstat, paths[i], &o), &o, &st);
		lstat(paths[i], &st);
		snprintf(what, sizeof what, "oldlstat %s", i == 3 ? "self" : paths[i]);
		memset(&o, 0, sizeof o);
		compare(what, syscall(SYS_oldlstat, paths[i], &o), &o, &st);
		int fd = open(paths[i], O_RDONLY);
		fstat(fd, &st);
		snprintf(what, sizeof what, "oldfstat %s", i == 3 ? "self" : paths[i]);
		memset(&o, 0, sizeof o);
		compare(what, syscall(SYS_oldfstat, fd, &o), &o, &st);
		close(fd);
	}
	res("oldstat missing", syscall(SYS_oldstat, "/no/such/file", &o));
	res("oldstat bad path", syscall(SYS_oldstat, BAD, &o));
	res("oldstat bad buffer", syscall(SYS_oldstat, "/", BAD));
	res("oldlstat bad buffer", syscall(SYS_oldlstat, "/", BAD));
	res("oldfstat bad fd", syscall(SYS_oldfstat, -1, &o));
	res("oldfstat bad buffer", syscall(SYS_oldfstat, 0, BAD));
}
struct old_dirent {
	unsigned long d_ino, d_offset;
	unsigned short d_namlen;
	char d_name[256];
};

static void test_readdir(void)
{
	mkdir("oldcalls.dir", 0755);
	const char *names[] = {"a", "bb", "a-much-longer-name-than-the-others-in-this-directory", "c"};
	for (unsigned i = 0; i < 4; i++) {
		char p[300];
		snprintf(p, sizeof p, "oldcalls.dir/%s", names[i]);
		close(open(p, O_CREAT | O_WRONLY, 0644));
	}
	int fd = open("oldcalls.dir", O_RDONLY | O_DIRECTORY);
	// The order getdents64 gives, for comparison.
	char gbuf[4096];
	long gn = syscall(SYS_getdents64, fd, gbuf, sizeof gbuf);
	lseek(fd, 0, SEEK_SET);
	long goff = 0;
	struct old_dirent d;
	for (int i = 0; i < 8; i++) {
		memset(&d, 0x55, sizeof d);
		long r = syscall(SYS_readdir, fd, &d, 1);
		if (r != 1) {
			res("readdir at the end", r);
			break;
		}
		struct dirent64 *g = goff < gn ? (struct dirent64 *)(gbuf + goff) : NULL;
		char p[300];
		struct stat st;
		snprintf(p, sizeof p, "oldcalls.dir/%s", d.d_name);
		lstat(p, &st);
		// d_offset is the entry's own position: seeking there reads it again.
		struct old_dirent again;
		lseek(fd, d.d_offset, SEEK_SET);
		long r2 = syscall(SYS_readdir, fd, &again, 1);
		printf("readdir %d: %s namlen %d NUL %d same as getdents64 %d ino %d again at d_offset %d\n", i,
		       d.d_name, d.d_namlen, d.d_name[d.d_namlen] == 0, g && strcmp(g->d_name, d.d_name) == 0,
		       d.d_ino == (unsigned long)st.st_ino, r2 == 1 && strcmp(again.d_name, d.d_name) == 0);
		if (g)
			goff += g->d_reclen;
		if (i == 1) {
			res("readdir unwritable", syscall(SYS_readdir, fd, BAD, 1));
		}
	}
	lseek(fd, 0, SEEK_SET);
	memset(&d, 0x55, sizeof d);
	res("readdir after rewinding", syscall(SYS_readdir, fd, &d, 1));
	printf("  first again: %d\n", strcmp(d.d_name, ((struct dirent64 *)gbuf)->d_name) == 0);
	close(fd);
	res("readdir bad fd", syscall(SYS_readdir, -1, &d, 1));
	fd = open("/dev/null", O_RDONLY);
	res("readdir not a directory", syscall(SYS_readdir, fd, &d, 1));
	close(fd);
	for (unsigned i = 0; i < 4; i++) {
		char p[300];
		snprintf(p, sizeof p, "oldcalls.dir/%s", names[i]);
		unlink(p);
	}
	rmdir("oldcalls.dir");
}
#endif

int main(int argc, char **argv)
{
	(void)argc;
	setvbuf(stdout, NULL, _IONBF, 0);
	test_sysfs();
	test_ustat();
#ifdef __i386__
	test_sigmask();
	test_uname();
	test_stat(argv[0]);
	test_readdir();
#else
	(void)argv;
#endif
	return 0;
}
