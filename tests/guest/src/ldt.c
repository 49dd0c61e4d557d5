// modify_ldt (read 0, write 1 and 0x11, read the default 2): descriptors
// read back in the hardware format (the kernel sets the accessed bit; the
// old mode 1 clears the available bit and takes base and limit 0 for an
// empty entry), the errors (the x86-64 system call returns its int result
// zero-extended, so an error is a large positive value there), and a
// forked child's copy of the LDT. ldt_segs uses the selectors.
#include "gt.h"
#include <asm/ldt.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

static sigjmp_buf jb;
static unsigned int data1[4] = {0x11111111, 0x22222222, 0x33333333, 0x44444444};
static unsigned int data2[4] = {0xaaaaaaaa, 0xbbbbbbbb, 0xcccccccc, 0xdddddddd};
static unsigned int big[8192 * 2 + 64];

#define SEL(i) ((i) << 3 | 7)

static void handler(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	printf("  sig %d code %d addr %s", sig, si->si_code, si->si_addr ? "set" : "0");
#ifdef __x86_64__
	printf(" trap %lld err %#llx", (long long)uc->uc_mcontext.gregs[REG_TRAPNO],
	       (long long)uc->uc_mcontext.gregs[REG_ERR]);
#else
	(void)uc;
#endif
	printf("\n");
	siglongjmp(jb, 1);
}

static long ldt(int func, void *p, unsigned long n)
{
	errno = 0;
	long r = syscall(SYS_modify_ldt, func, p, n);
	return r;
}

static void set(int func, unsigned entry, unsigned base, unsigned limit, unsigned flags, const char *what)
{
	struct user_desc u;
	memset(&u, 0, sizeof u);
	u.entry_number = entry;
	u.base_addr = base;
	u.limit = limit;
	memcpy((char *)&u + 12, &flags, 4);
	long r = ldt(func, &u, sizeof u);
	printf("write %#x entry %u %s: %ld errno %d\n", func, entry, what, r, errno);
}

// Flag words of struct user_desc.
#define F32 1u
#define FCONT(c) ((c) << 1)
#define FRO 8u
#define FPAGES 16u
#define FNP 32u
#define FUSE 64u

static void dump(const char *what, unsigned long n)
{
	unsigned int buf[64];
	memset(buf, 0x5a, sizeof buf);
	long r = ldt(0, buf, n);
	printf("%s: read %lu: %ld errno %d\n", what, n, r, errno);
	for (long i = 0; i < r / 8 && i < 32; i++) {
		unsigned lo = buf[2 * i], hi = buf[2 * i + 1];
		unsigned base = (lo >> 16) | (hi & 0xff) << 16 | (hi & 0xff000000);
		if (base == (unsigned)(unsigned long)data1 || base == (unsigned)(unsigned long)data2) {
			// Addresses: print which one, not the value.
			printf("  %ld: base %s", i, base == (unsigned)(unsigned long)data1 ? "data1" : "data2");
			lo &= 0xffff;
			hi &= 0x00ffff00;
		} else
			printf("  %ld:", i);
		printf(" %08x %08x\n", hi, lo);
	}
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, 0);
	sigaction(SIGBUS, &sa, 0);

	unsigned int buf[64];
	dump("no LDT yet", 64);
	memset(buf, 0x5a, sizeof buf);
	long r = ldt(2, buf, 200);
	unsigned nz = 0;
	for (int i = 0; i < 50; i++)
		nz += buf[i] != 0 && buf[i] != 0x5a5a5a5a;
	printf("read default 200: %ld errno %d, nonzero words %u, first untouched word %d\n", r, errno, nz,
	       buf[r / 4] == 0x5a5a5a5a);

	unsigned b1 = (unsigned)(unsigned long)data1, b2 = (unsigned)(unsigned long)data2;
	set(0x11, 0, b1, 15, F32 | FUSE, "data1");
	set(0x11, 1, b2, 15, F32 | FRO, "data2 read-only");
	set(0x11, 2, 0, 0xfffff, F32 | FCONT(2) | FPAGES, "flat code");
	set(0x11, 3, b1, 15, F32 | FNP, "not present");
	set(0x11, 4, 0x12345678, 0xabcde, FCONT(1) | FUSE, "16-bit expand-down");
	set(1, 5, 0x1000, 0x2000, F32 | FUSE, "old mode");
	set(0x11, 6, 0x1000, 0x2000, F32 | FCONT(3) | FNP, "conforming, not present");
	set(0x11, 7, 0, 0, FRO | FNP, "empty");
	set(0x11, 9, 0x5000, 0, F32, "entry 9");
	set(1, 9, 0, 0, F32 | FUSE, "old mode, base and limit 0");
	dump("after writes", 64);
	dump("short read", 20);
	dump("long read", 256);

	set(0x11, 10, 0, 0, FCONT(3), "conforming, present");
	set(1, 10, 0, 0, FCONT(3) | FNP, "old mode conforming");
	set(0x11, 8192, 0x1000, 1, F32, "beyond the table");
	set(0x11, 8191, 0x1000, 1, F32, "last entry");
	struct user_desc u;
	memset(&u, 0, sizeof u);
	r = ldt(0x11, &u, sizeof u - 1);
	printf("write short: %ld errno %d\n", r, errno);
	r = ldt(0x11, (void *)8, sizeof u);
	printf("write bad pointer: %ld errno %d\n", r, errno);
	r = ldt(0, (void *)8, 16);
	printf("read bad pointer: %ld errno %d\n", r, errno);
	r = ldt(3, buf, 16);
	printf("func 3: %ld errno %d\n", r, errno);
	r = ldt(0, buf, 0);
	printf("read 0: %ld errno %d\n", r, errno);
	set(0x11, 8191, 0, 0, FRO | FNP, "clear the last entry");
	r = ldt(0, big, sizeof big);
	printf("read whole table: %ld errno %d, last entry %#x\n", r, errno, big[8191 * 2 + 1]);

	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		dump("child", 24);
		set(0x11, 0, 0x4000, 1, F32, "in the child");
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	dump("parent after child", 24);
	return 0;
}
