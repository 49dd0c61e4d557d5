// syslog(2) read-only (issue 15): the buffer size, reading all of the log
// (whole, and into a short buffer: its newest whole lines), open and close, and the
// errors: a NULL or unwritable buffer, a negative length, an unknown
// action. The log's contents change between runs, so only their shape is
// printed. Nothing here clears or consumes the log (the native reference
// run may be root's).
#include "gt.h"
#include <errno.h>
#include <sys/klog.h>
#include <sys/syscall.h>
#include <unistd.h>

#define BAD ((void *)16)

static void res(const char *what, long r)
{
	if (r < 0)
		printf("%s: -1 %s\n", what, strerrorname_np(errno));
	else
		printf("%s: %ld\n", what, r);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	long size = syscall(SYS_syslog, 10, NULL, 0);
	printf("size buffer > 0: %d, power of two: %d\n", size > 0, size > 0 && (size & (size - 1)) == 0);
	// The text has a "[time] " prefix on each line, so it can be longer
	// than the buffer's size; 8 times is room enough.
	char *b = malloc(8 * size);
	memset(b, 0x55, 8 * size);
	long r = klogctl(3, b, 8 * size);
	printf("read all: > 0 %d, < 8 * size %d, byte after untouched %d\n", r > 0, r < 8 * size,
	       r >= 0 && r < 8 * size && (unsigned char)b[r] == 0x55);
	memset(b, 0x55, 512);
	r = klogctl(3, b, 400);
	printf("read all into 400 bytes: at most 400 %d, whole lines %d, byte after untouched %d\n",
	       r >= 0 && r <= 400, r == 0 || (r > 0 && b[r - 1] == '\n'), (unsigned char)b[400] == 0x55);
	long unread = syscall(SYS_syslog, 9, NULL, 0);
	printf("size unread >= 0: %d\n", unread >= 0);
	res("open", syscall(SYS_syslog, 1, NULL, 0));
	res("close", syscall(SYS_syslog, 0, NULL, 0));
	res("read all, length 0", syscall(SYS_syslog, 3, b, 0));
	res("read all, NULL", syscall(SYS_syslog, 3, NULL, 10));
	res("read all, length -1", syscall(SYS_syslog, 3, b, -1));
	res("read all, unwritable", syscall(SYS_syslog, 3, BAD, 100));
	res("action 11", syscall(SYS_syslog, 11, NULL, 0));
	res("action -1", syscall(SYS_syslog, -1, NULL, 0));
	free(b);
	return 0;
}
