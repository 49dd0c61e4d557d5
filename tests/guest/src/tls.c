// Thread-local storage in the main thread: initialized and zero-initialized
// __thread variables, large TLS arrays, the thread pointer self-reference
// (%fs:0 on x86-64, %gs:0 on i386), errno being thread-local, set by syscalls.
// gemu-test: pie=1
#include "gt.h"
#include <errno.h>
#include <unistd.h>

static __thread int a = 42;
static __thread long long b = 0x1122334455667788ll;
static __thread int zeroed;
static __thread char big[10000] = {1, 2, 3};
__thread int exported_tls = 7;

static __attribute__((noinline)) int *addr_a(void) { return &a; }

int main(void)
{
	printf("initial: a=%d b=%llx zeroed=%d big[0..3]=%d%d%d%d big[9999]=%d exported=%d\n", a, b, zeroed, big[0],
	       big[1], big[2], big[3], big[9999], exported_tls);
	a++;
	b <<= 4;
	zeroed = -1;
	for (int i = 0; i < 10000; i++)
		big[i] = (char)(big[i] + i);
	printf("modified: a=%d b=%llx zeroed=%d big checksum=%08x\n", a, b, zeroed, gt_fnv(big, sizeof big));
	printf("&a stable: %s\n", addr_a() == &a ? "yes" : "no");
	void *tp, *self;
#ifdef __x86_64__
	__asm__("mov %%fs:0, %0" : "=r"(self));
	tp = __builtin_thread_pointer();
#else
	__asm__("mov %%gs:0, %0" : "=r"(self));
	__asm__("mov %%gs:0, %0" : "=r"(tp));
#endif
	printf("thread pointer self-reference: %s\n", self == tp ? "yes" : "no");
	/* variant II TLS layout: variables live just below the thread pointer */
	printf("TLS below thread pointer: %s\n", (char *)&a < (char *)tp && (char *)tp - (char *)&a < 65536 ? "yes" : "no");
	errno = 0;
	int r = close(-1);
	printf("errno after close(-1): %d %s\n", r, errno == EBADF ? "EBADF" : "?");
	return 0;
}
