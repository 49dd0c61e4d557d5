// The trap flag: POPF setting TF makes the CPU raise a debug trap after
// each following instruction, which Linux delivers as SIGTRAP (si_code
// TRAP_TRACE, si_addr and the saved instruction pointer at the next
// instruction, trapno 1, TF set in the saved flags); the handler runs
// with TF clear, and stepping goes on after it returns until a handler
// clears TF in the saved context; the POPF that clears TF still traps.
// PUSHF shows TF; stepping across a system call instruction (no trap
// after it), a far return, IRET setting TF, a faulting instruction and
// int3 (SIGTRAP SI_KERNEL, no step trap for it); MOV and POP to SS hold
// the trap off for one instruction (POP GS does not). The trap number, error
// code and si_code are printed on x86-64 only: the i386 reference run
// here may come from qemu-i386, which does not fill the first two in and
// reports a single step as TRAP_BRKPT.
#include "gt.h"
#include <setjmp.h>
#include <signal.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#ifdef __x86_64__
#define PC REG_RIP
#define FL REG_EFL
#else
#define PC REG_EIP
#define FL REG_EFL
#endif
#define TF 0x100

static volatile unsigned long base_pc;
static volatile int steps, limit;
static volatile unsigned long seen_flags;
static sigjmp_buf jb;

static void on_trap(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	unsigned long pc = uc->uc_mcontext.gregs[PC];
	unsigned long fl;
	asm volatile("pushf\n\tpop %0" : "=r"(fl));
#ifdef __x86_64__
	printf("  %d: sig %d code %d", steps, sig, si->si_code);
#else
	// qemu-i386, the i386 reference here, reports TRAP_BRKPT (1) for a
	// single step instead of the kernel's TRAP_TRACE (2).
	printf("  %d: sig %d code %s", steps, sig, si->si_code == 0x80 ? "SI_KERNEL" : "trap");
#endif
	printf(" pc +%ld addr %s tf %d handler tf %d", (long)(pc - base_pc), (unsigned long)si->si_addr == pc ? "pc" : si->si_addr ? "other" : "0",
	       !!(uc->uc_mcontext.gregs[FL] & TF), !!(fl & TF));
#ifdef __x86_64__
	printf(" trap %lld err %lld", (long long)uc->uc_mcontext.gregs[REG_TRAPNO], (long long)uc->uc_mcontext.gregs[REG_ERR]);
#endif
	printf("\n");
	if (++steps >= limit)
		uc->uc_mcontext.gregs[FL] &= ~TF;
}

static void on_segv(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	printf("  sig %d code %d pc +%ld tf %d\n", sig, si->si_code, (long)(uc->uc_mcontext.gregs[PC] - base_pc),
	       !!(uc->uc_mcontext.gregs[FL] & TF));
	uc->uc_mcontext.gregs[FL] &= ~TF;
	siglongjmp(jb, 1);
}

#ifdef __x86_64__
#define AX "rax"
#define CX "rcx"
#define SP "rsp"
#define CLOB "r11"
#else
#define AX "eax"
#define CX "ecx"
#define SP "esp"
#define CLOB "ebx"
#endif
#define STR(x) #x
#define XSTR(x) STR(x)

// STEP runs code with TF set by POPF; base_pc is the instruction after
// the POPF. The handler stops stepping after n traps; the code ends by
// clearing TF with POPF.
#define STEP(name, n, code) STEP_SET(name, n, SET_TF, code)
#define SET_TF "pushf\n\torl $0x100, (%%" SP ")\n\tpopf\n"

// STEP_SET runs setup, then code from base_pc (the trap flag may be set
// by the code itself).
#define STEP_SET(name, n, setup, code)                                         \
	do {                                                                   \
		printf("%s:\n", name);                                         \
		steps = 0;                                                     \
		limit = n;                                                     \
		out = 0;                                                       \
		if (!sigsetjmp(jb, 1)) {                                       \
			asm volatile(RZ_IN "lea 1f, %%" AX "\n\t"              \
				     "mov %%" AX ", base_pc\n\t"                \
				     setup "1:\t" code "\n\t"                   \
				     "pushf\n\tandl $~0x100, (%%" SP ")\n\t"    \
				     "popf\n\tnop\n\tnop\n\t" RZ_OUT            \
				     : : : "memory", "cc", "eax", "ecx", "edx", CLOB); \
		}                                                              \
		printf("  steps %d out %#lx\n", steps, out);                   \
	} while (0)

static volatile unsigned long out;

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_trap;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGTRAP, &sa, 0);
	sa.sa_sigaction = on_segv;
	sigaction(SIGSEGV, &sa, 0);

	STEP("straight line", 100, "nop\n\tmov $1, %%ecx\n\tadd %%ecx, %%ecx\n\tmov %%" CX ", out");
	STEP("pushf", 100, "pushf\n\tpop %%" CX "\n\tmov %%" CX ", out");
	STEP("handler clears TF", 2, "nop\n\tnop\n\tnop\n\tnop\n\tnop");
	STEP("loop", 100, "mov $3, %%ecx\n2:\tdec %%ecx\n\tjnz 2b");
	STEP("call and ret", 100, "call 3f\n\tjmp 4f\n3:\tret\n4:\tnop");
#ifdef __x86_64__
	STEP("syscall", 100, "mov $" XSTR(SYS_getuid) ", %%eax\n\tsyscall\n\tnop");
	STEP("far return", 100, "pushq $0x33\n\tlea 3f, %%rcx\n\tpush %%rcx\n\tlretq\n3:\tnop");
#else
	STEP("int $0x80", 100, "mov $" XSTR(SYS_getuid) ", %%eax\n\tint $0x80\n\tnop");
	STEP("far return", 100, "push $0x23\n\tpush $3f\n\tlret\n3:\tnop");
#endif
	STEP("int3", 100, "nop\n\tint3\n\tnop");
	STEP("fault", 100, "nop\n\tmov 0, %%eax\n\tnop");
#ifdef __x86_64__
	STEP_SET("iretq sets TF", 100, "", "mov %%rsp, %%rcx\n\tpushq $0x2b\n\tpush %%rcx\n\tpushf\n\torl $0x100, (%%rsp)\n\t"
		 "pushq $0x33\n\tlea 3f, %%rcx\n\tpush %%rcx\n\tiretq\n3:\tnop\n\tnop");
#else
	STEP_SET("iret sets TF", 100, "", "pushf\n\torl $0x100, (%%esp)\n\tpush $0x23\n\tpush $3f\n\tiret\n3:\tnop\n\tnop");
#endif
	STEP("popf sets TF again", 100, "nop\n\t" SET_TF "nop");
	STEP("mov ss delays the trap", 100, "mov %%ss, %%ecx\n\tmov %%ecx, %%ss\n\tnop\n\tnop");
#ifndef __x86_64__
	STEP("pop ss delays the trap", 100, "push %%ss\n\tpop %%ss\n\tnop\n\tnop");
#else
	STEP("pop gs does not", 100, "push %%gs\n\tpop %%gs\n\tnop\n\tnop");
#endif
	return 0;
}
