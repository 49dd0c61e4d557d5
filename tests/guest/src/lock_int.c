// LOCK prefixes and the INT n vectors Linux opens to user mode: LOCK on
// anything but a read-modify-write of memory by one of the lockable
// instructions raises #UD (SIGILL, ILL_ILLOPN at the instruction), a
// valid locked instruction works; int $3 and int $4 raise #BP and #OF
// (SIGTRAP and SIGSEGV with si_code SI_KERNEL, trap numbers 3 and 4),
// any other vector a #GP with the vector in the error code. The trap
// number and error code (the signal frame's trapno and err) are printed
// on x86-64 only: the i386 reference run here may come from qemu-i386,
// which does not fill them in.
#include "gt.h"
#include <setjmp.h>
#include <signal.h>
#include <ucontext.h>

static sigjmp_buf jb;
static volatile void *fault_pc;

static void handler(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	printf("  sig %d code %d addr %s", sig, si->si_code,
	       si->si_addr == 0 ? "0" : si->si_addr == fault_pc ? "at the instruction" : "elsewhere");
#ifdef __x86_64__
	printf(" trap %lld err %lld", (long long)uc->uc_mcontext.gregs[REG_TRAPNO], (long long)uc->uc_mcontext.gregs[REG_ERR]);
#else
	(void)uc;
#endif
	printf("\n");
	siglongjmp(jb, 1);
}

#define TRY(name, code)                                                        \
	do {                                                                   \
		printf("%s:\n", name);                                         \
		if (!sigsetjmp(jb, 1)) {                                       \
			asm volatile("lea 1f, %%" AX "\n\t"                    \
				     "mov %%" AX ", %0\n\t"                     \
				     "1: " code "\n\t"                          \
				     : "=m"(fault_pc) : "r"(&word) : "memory", "cc", AX_REG); \
			printf("  completed, word=%u\n", word);                \
		}                                                              \
	} while (0)

#ifdef __x86_64__
#define AX "rax"
#define AX_REG "rax"
#else
#define AX "eax"
#define AX_REG "eax"
#endif

static volatile unsigned word = 5;

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, 0);
	sigaction(SIGILL, &sa, 0);
	sigaction(SIGTRAP, &sa, 0);
	TRY("lock nop", ".byte 0xf0, 0x90");
	TRY("lock add reg,reg", ".byte 0xf0, 0x01, 0xc9");
	TRY("lock mov [mem],reg", "lock; movl %%ecx, (%1)");
	TRY("lock add [mem],imm", "lock; addl $3, (%1)");
	TRY("lock inc [mem]", "lock; incl (%1)");
	TRY("lock xadd [mem],reg", "mov $1, %%ecx\n\tlock; xaddl %%ecx, (%1)");
	TRY("lock cmp [mem],imm", "lock; cmpl $3, (%1)");
	TRY("int $3", "int $3");
	TRY("int $4", "int $4");
	TRY("int $5", "int $5");
	TRY("int $0x21", "int $0x21");
	return 0;
}
