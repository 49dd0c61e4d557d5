// Edge cases of time and memory calls, made with syscall() so the libc
// and vDSO paths are out of the way: clock_gettime/clock_getres/
// gettimeofday with NULL and unmapped pointers, brk(-1) (its page rounding
// wraps on x86-64), and mmap at the last user page.
#include "gt.h"
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static void show(const char *what, long r)
{
	printf("%-36s %ld %s\n", what, r, r < 0 ? strerror(errno) : "");
}

static char keep[] = "data still mapped";

int main(void)
{
	struct timespec ts;
	void *bad = (void *)16; // never mapped
	errno = 0;
	show("clock_gettime(REALTIME, NULL)", syscall(SYS_clock_gettime, CLOCK_REALTIME, NULL));
	show("clock_gettime(REALTIME, bad)", syscall(SYS_clock_gettime, CLOCK_REALTIME, bad));
	show("clock_gettime(-1, NULL)", syscall(SYS_clock_gettime, -1, NULL));
	show("clock_gettime(MONOTONIC, &ts)", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts));
	show("clock_getres(REALTIME, NULL)", syscall(SYS_clock_getres, CLOCK_REALTIME, NULL));
	show("clock_getres(REALTIME, bad)", syscall(SYS_clock_getres, CLOCK_REALTIME, bad));
	show("clock_getres(-1, NULL)", syscall(SYS_clock_getres, -1, NULL));
	show("gettimeofday(NULL, NULL)", syscall(SYS_gettimeofday, NULL, NULL));
	show("gettimeofday(bad, NULL)", syscall(SYS_gettimeofday, bad, NULL));
	show("gettimeofday(NULL, bad)", syscall(SYS_gettimeofday, NULL, bad));

	long cur = syscall(SYS_brk, 0);
	long r = syscall(SYS_brk, -1L);
	printf("brk(-1) returns the break: %s\n", r == cur ? "yes" : "no");
	r = syscall(SYS_brk, -4096L);
	printf("brk(-4096) returns the break: %s\n", r == cur ? "yes" : "no");
	printf("brk(0) unchanged: %s; %s\n", syscall(SYS_brk, 0) == cur ? "yes" : "no", keep);

	uintptr_t last = sizeof(long) == 8 ? (uintptr_t)0x7ffffffff000ULL : 0xfffff000u;
	// Only the last page itself: the pages below it may hold gemu's stack
	// (natively the stack lies lower, at a random address).
	int flags[] = {MAP_FIXED, MAP_FIXED_NOREPLACE, 0};
	const char *fn[] = {"FIXED", "NOREPLACE", "hint"};
	for (size_t j = 0; j < ARRAY_LEN(flags); j++) {
		errno = 0;
		void *m = mmap((void *)last, 0x1000, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | flags[j], -1, 0);
		printf("mmap last page %-9s: %s %s\n", fn[j],
		       m == MAP_FAILED ? "failed" : (uintptr_t)m == last ? "at hint" : "elsewhere",
		       m == MAP_FAILED ? strerror(errno) : "");
		if (m != MAP_FAILED)
			munmap(m, 0x1000);
	}
	return 0;
}
