// memfd_create and file sealing: names (the /proc/self/fd link), flags
// (MFD_CLOEXEC, MFD_ALLOW_SEALING), data through write/read, ftruncate
// and a shared mapping, the seals (F_ADD_SEALS, F_GET_SEALS): F_SEAL_WRITE
// (writes and writable shared mappings refused; EBUSY while one exists),
// F_SEAL_SHRINK, F_SEAL_GROW, F_SEAL_SEAL, a memfd without
// MFD_ALLOW_SEALING (sealed against sealing), seals on a file that is no
// memfd (EINVAL), and the errors of memfd_create (name too long, bad
// flags, bad name pointer).
#include "gt.h"
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static void result(const char *call, long r)
{
	printf("%-52s = %ld%s%s\n", call, r, r < 0 ? " " : "", r < 0 ? strerror(errno) : "");
	errno = 0;
}
#define ERR(call) result(#call, (long)(call))

static int mfd(const char *name, unsigned flags) { return syscall(SYS_memfd_create, name, flags); }

static void link_of(int fd)
{
	char p[64], l[256];
	snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(p, l, sizeof l - 1);
	l[n < 0 ? 0 : n] = 0;
	printf("link: %s\n", l);
}

int main(void)
{
	int a = mfd("gemu-test", 0);
	printf("memfd: %s cloexec %d\n", a >= 3 ? "ok" : strerror(errno), fcntl(a, F_GETFD) & FD_CLOEXEC);
	link_of(a);
	ERR(write(a, "hello memfd", 11));
	struct stat st;
	fstat(a, &st);
	printf("size %lld regular %d mode %o\n", (long long)st.st_size, S_ISREG(st.st_mode), st.st_mode & 07777);
	char buf[32] = {0};
	ERR(pread(a, buf, sizeof buf - 1, 6));
	printf("read: %s\n", buf);
	ERR(ftruncate(a, 8192));
	char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, a, 0);
	printf("mmap: %s\n", m == MAP_FAILED ? strerror(errno) : "ok");
	strcpy(m + 4096, "through the mapping");
	ERR(pread(a, buf, 19, 4096));
	printf("read: %.19s\n", buf);
	ERR(fcntl(a, F_GET_SEALS));
	ERR(fcntl(a, F_ADD_SEALS, F_SEAL_WRITE));

	int s = mfd("sealed", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	printf("sealable: cloexec %d\n", fcntl(s, F_GETFD) & FD_CLOEXEC);
	link_of(s);
	ERR(fcntl(s, F_GET_SEALS));
	ERR(write(s, "0123456789", 10));
	char *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, s, 0);
	ERR(fcntl(s, F_ADD_SEALS, F_SEAL_WRITE));
	munmap(w, 4096);
	ERR(fcntl(s, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK));
	ERR(fcntl(s, F_GET_SEALS));
	ERR(write(s, "x", 1));
	ERR(pwrite(s, "x", 1, 0));
	ERR(ftruncate(s, 5));
	ERR(ftruncate(s, 100));
	ERR(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, s, 0) == MAP_FAILED);
	ERR(mmap(NULL, 4096, PROT_READ, MAP_SHARED, s, 0) == MAP_FAILED);
	ERR(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, s, 0) == MAP_FAILED);
	ERR(fcntl(s, F_ADD_SEALS, F_SEAL_GROW | F_SEAL_SEAL));
	ERR(ftruncate(s, 200));
	ERR(fcntl(s, F_ADD_SEALS, F_SEAL_SHRINK));
	ERR(fcntl(s, F_GET_SEALS));
	ERR(fcntl(s, F_ADD_SEALS, 0x1000));

	/* not a memfd */
	char tmpl[] = "/tmp/gemu-memfd-XXXXXX";
	int f = mkstemp(tmpl);
	unlink(tmpl);
	ERR(fcntl(f, F_GET_SEALS));
	ERR(fcntl(f, F_ADD_SEALS, F_SEAL_WRITE));

	/* errors */
	char longname[300];
	memset(longname, 'n', sizeof longname);
	longname[249] = 0;
	ERR(mfd(longname, 0) >= 0);
	longname[249] = 'n';
	longname[250] = 0;
	ERR(mfd(longname, 0));
	ERR(mfd("x", 0x1000));
	ERR(mfd((char *)8, 0));
	ERR(mfd("", 0) >= 0);
	return 0;
}
