// A guest that tries to reach the emulator's descriptors through path
// calls other than open: for every number N in 3..1023 it names
// /proc/self/fd/N (and /proc/<pid>/fd/N) through a symbolic link of its
// own, through a current directory inside /proc/self/fd (chdir and
// fchdir) and through a directory link on the way, and calls truncate,
// chmod, chown, utimensat, setxattr, stat, lstat, statx, access, chdir,
// readlink, unlink, rename, linkat (following) and mkdir on it. It has only 0, 1 and 2
// open (the test's launcher sees to that natively), so every call must
// find nothing: it prints how each call ended, counted by result.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

enum { TRUNCATE, CHMOD, CHOWN, UTIMENSAT, SETXATTR, STAT, LSTATDIR, STATX,
       ACCESS, CHDIR, READLINK, UNLINK, RENAME, LINK, MKDIR, NOPS };
static const char *names[NOPS] = { "truncate", "chmod", "chown", "utimensat",
	"setxattr", "stat", "lstat", "statx", "access", "chdir", "readlink",
	"unlink", "rename", "link", "mkdir" };

static char base[4096];

// op runs call i on path p and returns 0 or the errno.
static int op(int i, const char *p)
{
	char buf[4096], sub[4200];
	struct timespec ts[2] = { { 0, 0 }, { 0, 0 } };
	struct stat st;
	struct statx stx;
	int r = -1;
	snprintf(sub, sizeof sub, "%s/x", p);
	switch (i) {
	case TRUNCATE: r = truncate(p, 0); break;
	case CHMOD: r = chmod(p, 0777); break;
	case CHOWN: r = chown(p, -1, -1); break;
	case UTIMENSAT: r = utimensat(AT_FDCWD, p, ts, 0); break;
	case SETXATTR: r = setxattr(p, "user.gemu", "x", 1, 0); break;
	case STAT: r = stat(p, &st); break;
	case LSTATDIR: r = lstat(sub, &st); break;
	case STATX: r = statx(AT_FDCWD, p, 0, STATX_BASIC_STATS, &stx); break;
	case ACCESS: r = access(p, W_OK); break;
	case CHDIR:
		r = chdir(p);
		if (r == 0 && chdir(base) != 0)
			exit(9);
		break;
	case READLINK: r = readlink(sub, buf, sizeof buf) < 0 ? -1 : 0; break;
	case UNLINK: r = unlink(sub); break;
	case RENAME:
		r = rename(sub, "renamed");
		unlink("renamed");
		break;
	case LINK:
		r = linkat(AT_FDCWD, p, AT_FDCWD, "linked", AT_SYMLINK_FOLLOW);
		unlink("linked");
		break;
	case MKDIR: r = mkdir(sub, 0700); break;
	}
	return r == 0 ? 0 : errno;
}

static int counts[NOPS][256];

static void tally(int i, int e) { counts[i][e < 256 ? e : 255]++; }

static void report(const char *how)
{
	for (int i = 0; i < NOPS; i++) {
		printf("%s %s:", how, names[i]);
		for (int e = 0; e < 256; e++)
			if (counts[i][e])
				printf(" %s x%d", e ? strerror(e) : "ok", counts[i][e]);
		printf("\n");
		memset(counts[i], 0, sizeof counts[i]);
	}
	fflush(stdout);
}

int main(void)
{
	char link[64], target[64];
	if (!getcwd(base, sizeof base))
		return 1;
	// Links of the guest's own: to /proc/self/fd/N and to /proc/PID/fd/N,
	// and a link to the directory, with the name after it.
	const char *forms[2] = { "/proc/self/fd/%d", "/proc/%d/fd/%d" };
	for (int f = 0; f < 2; f++) {
		for (int n = 3; n < 1024; n++) {
			if (f == 0)
				snprintf(target, sizeof target, forms[0], n);
			else
				snprintf(target, sizeof target, forms[1], getpid(), n);
			for (int i = 0; i < NOPS; i++) {
				unlink("l");
				if (symlink(target, "l") != 0)
					return 2;
				tally(i, op(i, "l"));
			}
		}
		report(f == 0 ? "link-self" : "link-pid");
	}
	unlink("l");
	if (symlink("/proc/self/fd", "d") != 0)
		return 2;
	for (int n = 3; n < 1024; n++) {
		char p[64];
		snprintf(p, sizeof p, "d/%d", n);
		for (int i = 0; i < NOPS; i++)
			tally(i, op(i, p));
	}
	report("dirlink");
	// A current directory inside /proc/self/fd, by chdir and by fchdir.
	for (int how = 0; how < 2; how++) {
		for (int n = 3; n < 1024; n++) {
			char p[16];
			snprintf(p, sizeof p, "%d", n);
			for (int i = 0; i < NOPS; i++) {
				if (how == 0 && chdir("/proc/self/fd") != 0)
					return 3;
				if (how == 1) {
					int d = open("/proc/self/fd", O_RDONLY | O_DIRECTORY);
					if (d < 0 || fchdir(d) != 0)
						return 3;
					close(d);
				}
				tally(i, op(i, p));
				if (chdir(base) != 0)
					return 3;
			}
		}
		report(how == 0 ? "cwd-chdir" : "cwd-fchdir");
	}
	unlink("d");
	printf("done\n");
	return 5;
}
