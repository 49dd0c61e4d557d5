// A symbolic link of the program's own to /proc/self/exe (and to
// /proc/PID/exe, and a link to that link) names the program itself, as
// the literal path does: opening it reads the program's own ELF file,
// stat, access, statx, truncate's permission check and readlink through
// it agree with the executable's path, and execve through it runs the
// program again.
// gemu-test: pie=1 dyn=1
#define _FILE_OFFSET_BITS 64
#include "gt.h"
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char exe[4096];
static unsigned char want[4096];
static ssize_t wantn;

static ssize_t head(const char *path, unsigned char *buf)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, 4096);
	close(fd);
	return n;
}

static void check(const char *link)
{
	unsigned char got[4096];
	struct stat a, b, l;
	struct statx x;
	ssize_t n = head(link, got);
	printf("%s: open+read: %s", link, n == wantn && !memcmp(got, want, n) ? "the program's own bytes" : "other bytes");
	if (n >= 4)
		printf(" (ELF magic: %s)", !memcmp(got, "\177ELF", 4) ? "yes" : "no");
	printf("\n");
	int same = stat(link, &a) == 0 && stat(exe, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev && a.st_size == b.st_size;
	printf("  stat is the program's: %s\n", same ? "yes" : "no");
	int sx = statx(AT_FDCWD, link, 0, STATX_INO, &x) == 0 && x.stx_ino == b.st_ino;
	printf("  statx is the program's: %s\n", sx ? "yes" : "no");
	printf("  lstat is a link: %s\n", lstat(link, &l) == 0 && S_ISLNK(l.st_mode) ? "yes" : "no");
	printf("  access X_OK: %d\n", access(link, X_OK));
	int fd = openat(AT_FDCWD, link, O_RDONLY | O_NOFOLLOW);
	printf("  O_NOFOLLOW open: %s\n", fd < 0 ? strerror(errno) : "opened");
	if (fd >= 0)
		close(fd);
}

// run execs the program through link in a child, which prints what it
// is, and reports how the child ended.
static void run(const char *link)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		execl(link, "exelink", "child", link, (char *)0);
		printf("exec %s: %s\n", link, strerror(errno));
		exit(127);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("exec through %s: %s %d\n", link, WIFEXITED(st) ? "exit" : "signal",
	       WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "child")) {
		printf("child through %s: the program ran\n", argv[2]);
		return 7;
	}
	ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (k <= 0)
		return 1;
	exe[k] = 0;
	wantn = head(exe, want);
	printf("the program's file read: %s\n", wantn > 64 ? "yes" : "no");
	char pidexe[64];
	snprintf(pidexe, sizeof pidexe, "/proc/%d/exe", (int)getpid());
	if (symlink("/proc/self/exe", "self") || symlink(pidexe, "pid") || symlink("self", "chain") ||
	    symlink("/proc/thread-self/exe", "thread"))
		return 2;
	check("/proc/self/exe");
	check("self");
	check("pid");
	check("chain");
	check("thread");
	char t[64];
	k = readlink("chain", t, sizeof t - 1);
	t[k > 0 ? k : 0] = 0;
	printf("readlink(chain): %s\n", t);
	run("self");
	run("chain");
	unlink("self");
	unlink("pid");
	unlink("chain");
	unlink("thread");
	return 0;
}
