// inotify_init/init1/add_watch/rm_watch: events for creating, writing,
// closing, renaming and deleting files in a watched directory (names,
// cookies pairing a rename, masks), a watch on a file, IN_ONESHOT,
// IN_DONT_FOLLOW on a symbolic link (the link's own events), IN_ONLYDIR,
// the same watch descriptor for the same file, IN_MASK_ADD, IN_IGNORED
// after rm_watch, FIONREAD, IN_NONBLOCK's EAGAIN, poll readiness, and the
// errors (EINVAL, EBADF, ENOENT, ENOTDIR, EFAULT).
#include "gt.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static void result(const char *call, long r)
{
	printf("%-52s = %ld%s%s\n", call, r, r < 0 ? " " : "", r < 0 ? strerror(errno) : "");
	errno = 0;
}
#define ERR(call) result(#call, (long)(call))

static uint32_t first_cookie;

static void drain(int fd)
{
	char buf[4096] __attribute__((aligned(8)));
	int avail = -1;
	ioctl(fd, FIONREAD, &avail);
	long n = read(fd, buf, sizeof buf);
	printf("read %ld (FIONREAD said %d)%s%s\n", n, avail, n < 0 ? ": " : "", n < 0 ? strerror(errno) : "");
	for (long off = 0; off < n;) {
		struct inotify_event *e = (struct inotify_event *)(buf + off);
		if (e->cookie && !first_cookie)
			first_cookie = e->cookie;
		printf("  wd=%d mask=%x cookie=%s len=%u name=%s\n", e->wd, e->mask,
		       e->cookie == 0 ? "0" : e->cookie == first_cookie ? "A" : "B", e->len, e->len ? e->name : "");
		off += sizeof *e + e->len;
	}
	errno = 0;
}

int main(void)
{
	char dir[] = "/tmp/gemu-inotify-XXXXXX";
	if (!mkdtemp(dir))
		return 1;
	if (chdir(dir))
		return 1;
	int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	printf("cloexec %d nonblock %d\n", fcntl(in, F_GETFD) & FD_CLOEXEC, (fcntl(in, F_GETFL) & O_NONBLOCK) != 0);
	ERR(inotify_add_watch(in, ".", IN_ALL_EVENTS));
	ERR(inotify_add_watch(in, dir, IN_CREATE | IN_MASK_ADD));
	ERR(read(in, (char[64]){0}, 64));
	struct pollfd p = {.fd = in, .events = POLLIN};
	ERR(poll(&p, 1, 0));

	int f = open("a", O_CREAT | O_WRONLY, 0644);
	write(f, "x", 1);
	close(f);
	ERR(poll(&p, 1, 0));
	drain(in);
	rename("a", "b");
	mkdir("sub", 0755);
	drain(in);

	ERR(inotify_add_watch(in, "b", IN_MODIFY | IN_ONESHOT));
	f = open("b", O_WRONLY | O_APPEND);
	write(f, "y", 1);
	write(f, "z", 1);
	close(f);
	drain(in);
	ERR(inotify_add_watch(in, "b", IN_ATTRIB));
	ERR(inotify_add_watch(in, "b", IN_MODIFY | IN_MASK_ADD));
	chmod("b", 0600);
	drain(in);

	symlink("b", "lnk");
	drain(in);
	ERR(inotify_add_watch(in, "lnk", IN_ATTRIB | IN_DONT_FOLLOW));
	ERR(inotify_add_watch(in, "lnk", IN_ATTRIB | IN_ONLYDIR));
	ERR(inotify_add_watch(in, "sub", IN_ATTRIB | IN_ONLYDIR));
	ERR(inotify_rm_watch(in, 1));
	ERR(inotify_rm_watch(in, 1));
	drain(in);

	/* errors */
	ERR(inotify_init1(IN_NONBLOCK | 1));
	ERR(inotify_add_watch(in, "nonexistent", IN_ALL_EVENTS));
	ERR(inotify_add_watch(in, "b/x", IN_ALL_EVENTS));
	ERR(inotify_add_watch(in, (char *)8, IN_ALL_EVENTS));
	ERR(inotify_add_watch(in, ".", 0));
	ERR(inotify_add_watch(999, ".", IN_ALL_EVENTS));
	ERR(inotify_add_watch(999, "nonexistent", IN_ALL_EVENTS));
	ERR(inotify_add_watch(0, "nonexistent", IN_ALL_EVENTS));
	ERR(inotify_rm_watch(in, 12345));
	ERR(inotify_rm_watch(999, 1));
#ifdef SYS_inotify_init
	int old = syscall(SYS_inotify_init);
	printf("inotify_init: %s, cloexec %d\n", old >= 3 ? "ok" : strerror(errno), fcntl(old, F_GETFD) & FD_CLOEXEC);
#endif

	unlink("lnk");
	unlink("b");
	rmdir("sub");
	drain(in);
	chdir("/");
	rmdir(dir);
	return 0;
}
