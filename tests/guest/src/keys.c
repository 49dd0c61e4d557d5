// Kernel keyrings (issue 15), through the raw calls: add_key into the
// process keyring, keyctl read (whole and into a short buffer),
// describe (the needed length, a short buffer left alone, NULL), update,
// search, request_key, get_keyring_id, setperm, set_timeout, link,
// unlink, invalidate, revoke, clear, capabilities; instantiate and
// instantiate_iov without the authority (EPERM, also with an unreadable
// payload); the errors of add_key (empty, dot and unknown types, bad
// pointers, too long a payload, an unknown keyring), EFAULT for output
// buffers and EOPNOTSUPP for an unknown command. Key serials are random:
// only their relations are printed.
#include "gt.h"
#include <errno.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define BAD ((void *)16)
#define PROC_RING (-2) /* KEY_SPEC_PROCESS_KEYRING */

static void res(const char *what, long r)
{
	if (r < 0)
		printf("%s: -1 %s\n", what, strerrorname_np(errno));
	else
		printf("%s: %ld\n", what, r);
}

static long kc(long cmd, long a2, long a3, long a4, long a5)
{
	return syscall(SYS_keyctl, cmd, a2, a3, a4, a5);
}

static long add(const char *type, const char *desc, const void *p, size_t n, long ring)
{
	return syscall(SYS_add_key, type, desc, p, n, ring);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	long k = add("user", "gemu:a", "hello", 5, PROC_RING);
	printf("add_key: %s\n", k > 0 ? "a serial" : strerrorname_np(errno));
	char buf[200];
	memset(buf, 0, sizeof buf);
	res("read", kc(11, k, (long)buf, sizeof buf, 0));
	printf("  %s\n", buf);
	memset(buf, '.', sizeof buf);
	res("read into 3 bytes", kc(11, k, (long)buf, 3, 0));
	printf("  %.8s\n", buf);
	memset(buf, 0, sizeof buf);
	long n = kc(6, k, (long)buf, sizeof buf, 0);
	res("describe", n);
	printf("  %s\n", buf);
	memset(buf, '.', sizeof buf);
	res("describe into 5 bytes", kc(6, k, (long)buf, 5, 0));
	printf("  %.8s\n", buf);
	res("describe NULL", kc(6, k, 0, 0, 0));
	res("update", kc(2, k, (long)"world!", 6, 0));
	memset(buf, 0, sizeof buf);
	res("read after update", kc(11, k, (long)buf, sizeof buf, 0));
	printf("  %s\n", buf);
	printf("search finds it: %d\n", kc(10, PROC_RING, (long)"user", (long)"gemu:a", 0) == k);
	printf("request_key finds it: %d\n", syscall(SYS_request_key, "user", "gemu:a", NULL, 0) == k);
	printf("process keyring id > 0: %d\n", kc(0, PROC_RING, 0, 0, 0) > 0);
	res("setperm", kc(5, k, 0x3f3f0000, 0, 0));
	memset(buf, 0, sizeof buf);
	kc(6, k, (long)buf, sizeof buf, 0);
	printf("  %s\n", buf);
	res("set_timeout", kc(15, k, 1000, 0, 0));
	res("instantiate without authority", kc(12, k, (long)"x", 1, 0));
	res("instantiate unreadable payload", kc(12, k, (long)BAD, 10, 0));
	struct iovec iov[2] = {{"ab", 2}, {"cd", 2}};
	res("instantiate_iov without authority", kc(20, k, (long)iov, 2, 0));
	res("update unreadable payload", kc(2, k, (long)BAD, 10, 0));
	res("read unwritable", kc(11, k, (long)BAD, 100, 0));
	res("describe unwritable", kc(6, k, (long)BAD, 100, 0));
	res("describe unwritable, too short to copy", kc(6, k, (long)BAD, 2, 0));

	res("add_key user key without payload", add("user", "gemu:b", NULL, 0, PROC_RING));
	long k2 = add("user", "gemu:b", "p", 1, PROC_RING);
	printf("add_key second: %s\n", k2 > 0 && k2 != k ? "another serial" : strerrorname_np(errno));
	res("unlink", kc(9, k2, PROC_RING, 0, 0));
	res("search after unlink", kc(10, PROC_RING, (long)"user", (long)"gemu:b", 0));
	res("link", kc(8, k2, PROC_RING, 0, 0));
	printf("search after link: %d\n", kc(10, PROC_RING, (long)"user", (long)"gemu:b", 0) == k2);
	res("invalidate", kc(21, k2, 0, 0, 0));
	res("revoke", kc(3, k, 0, 0, 0));
	res("read revoked", kc(11, k, (long)buf, sizeof buf, 0));
	res("clear", kc(7, PROC_RING, 0, 0, 0));
	res("search after clear", kc(10, PROC_RING, (long)"user", (long)"gemu:a", 0));
	unsigned char caps[16];
	memset(caps, 0xaa, sizeof caps);
	long c = kc(31, (long)caps, sizeof caps, 0, 0);
	res("capabilities", c);
	printf("  %02x %02x, then %02x %02x\n", caps[0], caps[1], caps[2], caps[15]);

	res("add_key empty type", add("", "d", "x", 1, PROC_RING));
	res("add_key dot type", add(".user", "d", "x", 1, PROC_RING));
	res("add_key unknown type", add("no-such-type", "d", "x", 1, PROC_RING));
	res("add_key long type", add("a-type-name-of-more-than-32-bytes-long", "d", "x", 1, PROC_RING));
	res("add_key bad type", add(BAD, "d", "x", 1, PROC_RING));
	res("add_key bad description", add("user", BAD, "x", 1, PROC_RING));
	res("add_key bad payload", add("user", "d", BAD, 5, PROC_RING));
	res("add_key 2 MiB payload", add("user", "d", "x", 2 << 20, PROC_RING));
	res("add_key unknown keyring", add("user", "d", "x", 1, 0x7ffffff0));
	res("request_key missing", syscall(SYS_request_key, "user", "gemu:none", NULL, 0));
	res("request_key bad description", syscall(SYS_request_key, "user", BAD, NULL, 0));
	res("keyctl unknown command", kc(99, 0, 0, 0, 0));
	return 0;
}
