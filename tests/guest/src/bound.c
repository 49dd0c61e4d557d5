// BOUND (i386 only): an index inside the signed bounds passes, one below
// or above raises #BR, which Linux delivers as SIGSEGV with si_code
// SI_KERNEL; 16-bit and 32-bit forms, negative bounds, the edges. On
// x86-64 the opcode is EVEX and the program prints a note.
#include "gt.h"
#include <setjmp.h>
#include <signal.h>

static sigjmp_buf jb;

static void handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	printf("sig %d code %d addr %s\n", sig, si->si_code, si->si_addr ? "set" : "0");
	siglongjmp(jb, 1);
}

int main(void)
{
#ifdef __x86_64__
	printf("BOUND does not exist in 64-bit mode\n");
#else
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, 0);
	static int b32[2] = {-3, 10};
	static short b16[2] = {-300, 7};
	static const int idx[] = {-4, -3, 0, 10, 11, 0x7fffffff, (int)0x80000000};
	for (unsigned i = 0; i < sizeof idx / sizeof idx[0]; i++) {
		printf("bound32 %d: ", idx[i]);
		if (!sigsetjmp(jb, 1)) {
			asm volatile("bound %0, (%1)" ::"r"(idx[i]), "r"(b32) : "memory");
			printf("in bounds\n");
		}
		printf("bound16 %d: ", (short)idx[i]);
		if (!sigsetjmp(jb, 1)) {
			asm volatile("boundw %0, (%1)" ::"r"((short)idx[i]), "r"(b16) : "memory");
			printf("in bounds\n");
		}
	}
#endif
	return 0;
}
