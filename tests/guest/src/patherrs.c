// Path calls end as Linux ends them at the edges gemu's resolution (one
// O_PATH descriptor per call, or the directory and the last name) must
// keep: trailing slashes, empty paths, dangling links and link loops,
// "/", "." and "..", too-long names, links not followed (lstat, lchown,
// utimensat and linkat without following, l*xattr), AT_EMPTY_PATH on a
// descriptor, readlink of a file that is not a link.
// gemu-test: dyn=1
#define _FILE_OFFSET_BITS 64
#include "gt.h"
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <sys/time.h>
#include <unistd.h>

#include <sys/vfs.h>
static int statfs_ok(const char *p)
{
	struct statfs sf;
	return statfs(p, &sf);
}

static void show(const char *what, int r)
{
	printf("%-40s %s\n", what, r >= 0 ? "ok" : strerror(errno));
}

int main(void)
{
	struct stat st;
	struct statx sx;
	char buf[256], longname[300];
	struct timespec ts[2] = { { 1, 0 }, { 2, 0 } };
	memset(longname, 'n', sizeof longname - 1);
	longname[sizeof longname - 1] = 0;
	if (mkdir("dir", 0755) || close(open("file", O_CREAT | O_WRONLY, 0644)) || symlink("file", "lnk") ||
	    symlink("missing", "dangling") || symlink("loop2", "loop1") || symlink("loop1", "loop2") ||
	    symlink("dir", "dirlnk"))
		return 1;
	show("stat file", stat("file", &st));
	show("stat file/", stat("file/", &st));
	show("stat \"\"", stat("", &st));
	show("stat dangling", stat("dangling", &st));
	show("lstat dangling", lstat("dangling", &st));
	show("stat loop1", stat("loop1", &st));
	show("lstat loop1", lstat("loop1", &st));
	show("stat long name", stat(longname, &st));
	show("stat dirlnk/", stat("dirlnk/", &st));
	show("lstat dirlnk/ is dir", lstat("dirlnk/", &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1);
	show("lstat lnk is link", lstat("lnk", &st) == 0 && S_ISLNK(st.st_mode) ? 0 : -1);
	int d = open("dir", O_RDONLY | O_DIRECTORY);
	show("fstatat(d, \"\", AT_EMPTY_PATH)", fstatat(d, "", &st, AT_EMPTY_PATH));
	show("fstatat(d, \"\", 0)", fstatat(d, "", &st, 0));
	show("fstatat bad flags", fstatat(d, "x", &st, 0x40000));
	show("statx(d, \"\", AT_EMPTY_PATH)", statx(d, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &sx));
	show("statx lnk nofollow is link",
	     statx(AT_FDCWD, "lnk", AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx) == 0 && S_ISLNK(sx.stx_mode) ? 0 : -1);
	show("faccessat(d, \"\", AT_EMPTY_PATH)", faccessat(d, "", R_OK, AT_EMPTY_PATH));
	show("access dangling", access("dangling", F_OK));
	show("access loop1", access("loop1", F_OK));
	show("access bad mode", access("file", 8));
	show("readlink file", (int)readlink("file", buf, sizeof buf));
	show("readlink missing", (int)readlink("nothing", buf, sizeof buf));
	show("readlink dirlnk/", (int)readlink("dirlnk/", buf, sizeof buf));
	show("readlink lnk", (int)readlink("lnk", buf, sizeof buf));
	show("chdir file", chdir("file"));
	show("chdir missing", chdir("nothing"));
	show("chdir dirlnk", chdir("dirlnk"));
	show("chdir ..", chdir(".."));
	show("truncate dir", truncate("dir", 0));
	show("truncate lnk", truncate("lnk", 3));
	show("stat file size 3", stat("file", &st) == 0 && st.st_size == 3 ? 0 : -1);
	show("chmod lnk", chmod("lnk", 0600));
	show("stat file mode 600", stat("file", &st) == 0 && (st.st_mode & 0777) == 0600 ? 0 : -1);
	show("chmod dangling", chmod("dangling", 0600));
	show("lchown lnk", lchown("lnk", -1, -1));
	show("chown dangling", chown("dangling", -1, -1));
	show("lchown dangling", lchown("dangling", -1, -1));
	show("utimensat lnk nofollow", utimensat(AT_FDCWD, "lnk", ts, AT_SYMLINK_NOFOLLOW));
	show("lnk mtime 2", lstat("lnk", &st) == 0 && st.st_mtime == 2 ? 0 : -1);
	show("file mtime not 2", stat("file", &st) == 0 && st.st_mtime != 2 ? 0 : -1);
	show("utimensat dangling", utimensat(AT_FDCWD, "dangling", ts, 0));
	show("utimensat bad flags", utimensat(AT_FDCWD, "file", ts, 0x40000));
	struct timeval tv[2] = { { 5, 0 }, { 6, 0 } };
	show("utimes file", utimes("file", tv));
	show("file mtime 6", stat("file", &st) == 0 && st.st_mtime == 6 ? 0 : -1);
	show("getxattr missing attr", (int)getxattr("file", "user.none", buf, sizeof buf));
	show("lgetxattr dangling", (int)lgetxattr("dangling", "user.none", buf, sizeof buf));
	show("getxattr dangling", (int)getxattr("dangling", "user.none", buf, sizeof buf));
	show("listxattr loop1", (int)listxattr("loop1", buf, sizeof buf));
	show("link lnk lnk2 (the link)", link("lnk", "lnk2"));
	show("lstat lnk2 is link", lstat("lnk2", &st) == 0 && S_ISLNK(st.st_mode) ? 0 : -1);
	show("linkat follow lnk lnk3", linkat(AT_FDCWD, "lnk", AT_FDCWD, "lnk3", AT_SYMLINK_FOLLOW));
	show("lstat lnk3 is file", lstat("lnk3", &st) == 0 && S_ISREG(st.st_mode) ? 0 : -1);
	show("linkat follow dangling", linkat(AT_FDCWD, "dangling", AT_FDCWD, "x", AT_SYMLINK_FOLLOW));
	show("link to existing", link("file", "lnk3"));
	show("link dir", link("dir", "dir2"));
	show("mkdir dir/sub/", mkdir("dir/sub/", 0755));
	show("mkdir dangling", mkdir("dangling", 0755));
	show("mkdir dangling/", mkdir("dangling/", 0755));
	show("mkdir /", mkdir("/", 0755));
	show("mkdir \"\"", mkdir("", 0755));
	show("mkdir file/x", mkdir("file/x", 0755));
	show("mkdir long name", mkdir(longname, 0755));
	show("rmdir dir/sub/", rmdir("dir/sub/"));
	show("rmdir dir/.", rmdir("dir/."));
	show("rmdir dir/..", rmdir("dir/.."));
	show("rmdir /", rmdir("/"));
	show("rmdir dirlnk", rmdir("dirlnk"));
	show("rmdir dirlnk/", rmdir("dirlnk/"));
	show("unlink dirlnk/", unlink("dirlnk/"));
	show("unlink dir", unlink("dir"));
	show("unlink \"\"", unlink(""));
	show("unlinkat bad flags", unlinkat(AT_FDCWD, "file", 0x40000));
	show("rename lnk2 lnk4", rename("lnk2", "lnk4"));
	show("lstat lnk4 is link", lstat("lnk4", &st) == 0 && S_ISLNK(st.st_mode) ? 0 : -1);
	show("rename file/ x", rename("file/", "x"));
	show("rename dir dir3/", rename("dir", "dir3/"));
	show("rename dir3 dir3/sub", rename("dir3", "dir3/sub"));
	show("rename / x", rename("/", "x"));
	show("symlink dangling2 in missing dir", symlink("t", "nothing/s"));
	show("symlink over existing", symlink("t", "lnk"));
	show("symlink s/", symlink("t", "s/"));
	show("statfs file", statfs_ok("file"));
	close(d);
	const char *made[] = { "file", "lnk", "dangling", "loop1", "loop2", "dirlnk", "lnk3", "lnk4" };
	for (unsigned i = 0; i < sizeof made / sizeof made[0]; i++)
		if (unlink(made[i]))
			printf("cleanup %s: %s\n", made[i], strerror(errno));
	if (rmdir("dir3"))
		printf("cleanup dir3: %s\n", strerror(errno));
	return 0;
}
