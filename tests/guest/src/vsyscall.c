// The x86-64 legacy vsyscall page at 0xffffffffff600000, execute-only as
// the host kernel offers it (vsyscall=xonly): calls to its three entries
// (gettimeofday, time, getcpu) work; reading, writing or jumping into the
// middle of an entry raise SIGSEGV; /proc/self/maps and smaps show it.
// i386 has no vsyscall page: the program says so.
#include "gt.h"
#include <setjmp.h>
#include <signal.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#ifdef __x86_64__
#define VSYS 0xffffffffff600000ul

static sigjmp_buf env;
static volatile int sig, code;
static volatile unsigned long addr;

static void handler(int s, siginfo_t *si, void *uc)
{
	(void)uc;
	sig = s;
	code = si->si_code;
	addr = (unsigned long)si->si_addr;
	siglongjmp(env, 1);
}

static void report(const char *what)
{
	printf("%s: signal %d, si_code %d, si_addr %s\n", what, sig, code,
	       addr == 0 ? "0" : addr >= VSYS && addr < VSYS + 4096 ? "in the page" : "elsewhere");
}

typedef long (*gtod_t)(struct timeval *, struct timezone *);
typedef long (*time_t_fn)(time_t *);
typedef long (*getcpu_t)(unsigned *, unsigned *, void *);

static void maps(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[512];
	int in = 0;
	while (f && fgets(line, sizeof line, f)) {
		if (strstr(line, "[vsyscall]")) {
			in = 1;
		}
		if (in) {
			printf("%s: %s", path, line);
		}
		if (strncmp(line, "VmFlags:", 8) == 0) {
			in = 0; /* the last line of an smaps entry */
		}
	}
	if (f) {
		fclose(f);
	}
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSEGV, &sa, 0);

	struct timeval tv = {0, 0};
	struct timezone tz = {1, 1};
	long r = ((gtod_t)VSYS)(&tv, &tz);
	time_t now = time(0);
	printf("gettimeofday: %ld, close to time(): %d, usec in range: %d, tz: %d %d\n", r,
	       tv.tv_sec >= now - 2 && tv.tv_sec <= now + 2, tv.tv_usec >= 0 && tv.tv_usec < 1000000,
	       tz.tz_minuteswest, tz.tz_dsttime);
	r = ((gtod_t)VSYS)(0, 0);
	printf("gettimeofday(NULL, NULL): %ld\n", r);

	time_t t = 0;
	r = ((time_t_fn)(VSYS + 0x400))(&t);
	printf("time: result equals stored: %d, close to time(): %d\n", r == t, t >= now - 2 && t <= now + 2);
	r = ((time_t_fn)(VSYS + 0x400))(0);
	printf("time(NULL): close to time(): %d\n", r >= now - 2 && r <= now + 2);

	unsigned cpu = 12345, node = 12345;
	r = ((getcpu_t)(VSYS + 0x800))(&cpu, &node, 0);
	printf("getcpu: %ld, cpu valid %d, node %u\n", r, cpu < 4096, node);
	r = ((getcpu_t)(VSYS + 0x800))(0, 0, 0);
	printf("getcpu(NULL, NULL): %ld\n", r);

	/* a pointer past the user address range: SIGSEGV at the pointer */
	if (!sigsetjmp(env, 1)) {
		r = ((time_t_fn)(VSYS + 0x400))((time_t *)0x800000000000ul);
		printf("time(kernel pointer): returned %ld\n", r);
	} else {
		printf("time(kernel pointer): signal %d, si_code %d, si_addr %s\n", sig, code, addr == 0x800000000000ul ? "the pointer" : "other");
	}
	/* an unmapped user pointer: the call fails with EFAULT, SIGSEGV */
	if (!sigsetjmp(env, 1)) {
		r = ((gtod_t)VSYS)((struct timeval *)0x1000, 0);
		printf("gettimeofday(unmapped): returned %ld\n", r);
	} else {
		report("gettimeofday(unmapped)");
	}
	if (!sigsetjmp(env, 1)) {
		volatile unsigned char *p = (unsigned char *)VSYS;
		printf("read: %d\n", *p);
	} else {
		report("read");
	}
	if (!sigsetjmp(env, 1)) {
		*(volatile unsigned char *)(VSYS + 8) = 1;
		printf("write: done\n");
	} else {
		report("write");
	}
	static const unsigned long bad[] = {1, 0x10, 0x3ff, 0x401, 0x7f0, 0x801, 0xc00, 0xfff};
	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char what[64];
		snprintf(what, sizeof what, "call to +%#lx", bad[i]);
		if (!sigsetjmp(env, 1)) {
			((time_t_fn)(VSYS + bad[i]))(0);
			printf("%s: returned\n", what);
		} else {
			report(what);
		}
	}
	maps("/proc/self/maps");
	maps("/proc/self/smaps");
	return 0;
}
#else
int main(void)
{
	printf("no vsyscall page on i386\n");
	return 0;
}
#endif
