// Far control transfers and segment register loads in user mode, with the
// selectors Linux gives (x86-64 kernel: 0x33 64-bit code, 0x23 32-bit
// code, 0x2b data; GDT entries below them are the kernel's, DPL 0): far
// RET (with and without an immediate), far CALL and JMP through memory
// (m16:32, m16:64) and direct (i386), IRET, MOV/POP to DS/ES/SS/GS, PUSH
// and POP of segment registers, LSS/LGS (0x23 in an x86-64 process, which
// needs a kernel with IA-32 emulation, is compat32's). A refused selector raises #GP
// with the selector as error code (SIGSEGV, SI_KERNEL, the instruction's
// address in the frame). The 64-bit far pointer forms (REX.W) are left
// out: AMD processors ignore REX.W there and read an m16:32, Intel's (and
// gemu, which presents itself as Intel) an m16:64. The trap number and error code are printed on
// x86-64 only: the i386 reference run here may come from qemu-i386, which
// does not fill them in.
#include "gt.h"
#include <setjmp.h>
#include <signal.h>
#include <ucontext.h>

static sigjmp_buf jb;
static volatile unsigned long start_pc;
static volatile unsigned long out1, out2;
static volatile unsigned char farptr[16];

#ifdef __x86_64__
#define PC REG_RIP
#define AX "rax"
#else
#define PC REG_EIP
#define AX "eax"
#endif

static void handler(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	printf("  sig %d code %d addr %s pc +%ld", sig, si->si_code, si->si_addr ? "set" : "0",
	       (long)(uc->uc_mcontext.gregs[PC] - start_pc));
#ifdef __x86_64__
	printf(" trap %lld err %#llx", (long long)uc->uc_mcontext.gregs[REG_TRAPNO],
	       (long long)uc->uc_mcontext.gregs[REG_ERR]);
#endif
	printf("\n");
	siglongjmp(jb, 1);
}

// TRY runs code, whose first instruction is at start_pc; it may set out1
// and out2 and must leave the stack as it found it.
#define TRY(name, code)                                                        \
	do {                                                                   \
		printf("%s:\n", name);                                         \
		out1 = out2 = 0;                                               \
		if (!sigsetjmp(jb, 1)) {                                       \
			asm volatile(RZ_IN "lea 1f, %%" AX "\n\t"              \
				     "mov %%" AX ", start_pc\n\t"               \
				     "1: " code "\n\t" RZ_OUT                   \
				     : : : "memory", "cc", "eax", "ecx", "edx"); \
			printf("  ok %#lx %#lx\n", out1, out2);                \
		}                                                              \
	} while (0)

static void setfar(unsigned long off, unsigned sel, int offsize)
{
	memcpy((void *)farptr, &off, offsize);
	memcpy((void *)(farptr + offsize), &sel, 2);
}

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, 0);
	sigaction(SIGBUS, &sa, 0);
	sigaction(SIGILL, &sa, 0);
	unsigned short cs, ds, ss;
	asm volatile("mov %%cs, %0; mov %%ds, %1; mov %%ss, %2" : "=r"(cs), "=r"(ds), "=r"(ss));
	printf("cs %#x ds %#x ss %#x\n", cs, ds, ss);

#ifdef __x86_64__
	TRY("lretq to 0x33", "lea 2f(%%rip), %%rcx\n\tpushq $0x33\n\tpush %%rcx\n\tlretq\n\tud2\n2:\tmovq $1, out1");
	TRY("lretq $16 to 0x33", "lea 2f(%%rip), %%rcx\n\tpushq $0\n\tpushq $0\n\tpushq $0x33\n\tpush %%rcx\n\tlretq $16\n\tud2\n2:\tmovq $1, out1");
	TRY("lretl to 0x33", "lea 2f(%%rip), %%rcx\n\tsub $8, %%rsp\n\tmovl $0x33, 4(%%rsp)\n\tmovl %%ecx, (%%rsp)\n\tlretl\n\tud2\n2:\tmovq $1, out1");
	TRY("lretq to 0", "lea 2f(%%rip), %%rcx\n\tpushq $0\n\tpush %%rcx\n\tlretq\n2:\tud2");
	TRY("lretq to 3", "lea 2f(%%rip), %%rcx\n\tpushq $3\n\tpush %%rcx\n\tlretq\n2:\tud2");
	TRY("lretq to 0x10", "lea 2f(%%rip), %%rcx\n\tpushq $0x10\n\tpush %%rcx\n\tlretq\n2:\tud2");
	TRY("lretq to 0x2b", "lea 2f(%%rip), %%rcx\n\tpushq $0x2b\n\tpush %%rcx\n\tlretq\n2:\tud2");
	TRY("lretq to 0x31", "lea 2f(%%rip), %%rcx\n\tpushq $0x31\n\tpush %%rcx\n\tlretq\n2:\tud2");
	TRY("lretq to 0x1003", "lea 2f(%%rip), %%rcx\n\tpushq $0x1003\n\tpush %%rcx\n\tlretq\n2:\tud2");
	TRY("lretq to 0x7", "lea 2f(%%rip), %%rcx\n\tpushq $0x7\n\tpush %%rcx\n\tlretq\n2:\tud2");
	TRY("lretq to 0xffff", "lea 2f(%%rip), %%rcx\n\tpushq $0xffff\n\tpush %%rcx\n\tlretq\n2:\tud2");

	// Far CALL and JMP through a far pointer in farptr to a local label;
	// the called code records the return CS it finds on the stack.
#define FP32(lbl, sel) "lea " lbl ", %%ecx\n\tmov %%ecx, farptr\n\tmovw $" sel ", farptr+4\n\t"
	TRY("lcall *m16:32", FP32("3f", "0x33") "lcall *farptr\n\tjmp 4f\n3:\tmov 4(%%rsp), %%ecx\n\tmov %%rcx, out1\n\tlretl\n4:\tmovq $1, out2");
	TRY("lcall *m16:32 to 0x2b", FP32("3f", "0x2b") "lcall *farptr\n3:\tud2");
	TRY("lcall *m16:32 to 0x10", FP32("3f", "0x10") "lcall *farptr\n3:\tud2");
	TRY("ljmp *m16:32", FP32("3f", "0x33") "ljmp *farptr\n\tud2\n3:\tmovq $1, out1");
	TRY("ljmp *m16:32 to 0", FP32("3f", "0") "ljmp *farptr\n3:\tud2");
	TRY("ljmp *m16:32 to 0x13", FP32("3f", "0x13") "ljmp *farptr\n3:\tud2");
	TRY("ljmp *m16:32 to 0x2b", FP32("3f", "0x2b") "ljmp *farptr\n3:\tud2");
	TRY("ljmp *m16:32 to 0x4007", FP32("3f", "0x4007") "ljmp *farptr\n3:\tud2");
	TRY("iretq same cs", "mov %%rsp, %%rcx\n\tpushq $0x2b\n\tpush %%rcx\n\tpushfq\n\tpushq $0x33\n\tlea 2f(%%rip), %%rcx\n\tpush %%rcx\n\tiretq\n\tud2\n2:\tmovq $1, out1");
	TRY("iretq cs 0x10", "mov %%rsp, %%rcx\n\tpushq $0x2b\n\tpush %%rcx\n\tpushfq\n\tpushq $0x10\n\tlea 2f(%%rip), %%rcx\n\tpush %%rcx\n\tiretq\n2:\tud2");
	TRY("iretq ss 0", "mov %%rsp, %%rcx\n\tpushq $0\n\tpush %%rcx\n\tpushfq\n\tpushq $0x33\n\tlea 2f(%%rip), %%rcx\n\tpush %%rcx\n\tiretq\n2:\tud2");
	TRY("iretq ss 0x33", "mov %%rsp, %%rcx\n\tpushq $0x33\n\tpush %%rcx\n\tpushfq\n\tpushq $0x33\n\tlea 2f(%%rip), %%rcx\n\tpush %%rcx\n\tiretq\n2:\tud2");

	TRY("mov ds, 0", "mov %%ds, %%ecx\n\tmov $0, %%eax\n\tmov %%eax, %%ds\n\tmov %%ds, %%edx\n\tmov %%edx, out1\n\tmov %%ecx, %%ds");
	TRY("mov es, 0x33", "mov %%es, %%ecx\n\tmov $0x33, %%eax\n\tmov %%eax, %%es\n\tmov %%es, %%edx\n\tmov %%edx, out1\n\tmov %%ecx, %%es");
	TRY("mov ds, 0x10", "mov $0x10, %%eax\n\tmov %%eax, %%ds");
	TRY("mov ds, 0x1003", "mov $0x1003, %%eax\n\tmov %%eax, %%ds");
	TRY("mov ds, 0x2f", "mov $0x2f, %%eax\n\tmov %%eax, %%ds");
	TRY("mov ss, 0", "mov $0, %%eax\n\tmov %%eax, %%ss");
	TRY("mov ss, 3", "mov $3, %%eax\n\tmov %%eax, %%ss");
	TRY("mov ss, 0x33", "mov $0x33, %%eax\n\tmov %%eax, %%ss");
	TRY("mov ss, 0x2b", "mov $0x2b, %%eax\n\tmov %%eax, %%ss\n\tmov %%ss, %%edx\n\tmov %%edx, out1");
	TRY("mov gs, 0x2b", "mov $0x2b, %%eax\n\tmov %%eax, %%gs\n\tmov %%gs, %%edx\n\tmov %%edx, out1\n\tmov $0, %%eax\n\tmov %%eax, %%gs");
	TRY("mov gs, 0x28", "mov $0x28, %%eax\n\tmov %%eax, %%gs");
	TRY("push/pop gs", "mov $0x2b, %%eax\n\tmov %%eax, %%gs\n\tpushq $0\n\tpush %%gs\n\tpopq %%rcx\n\tmov %%rcx, out1\n\tpop %%gs\n\tmov %%gs, %%edx\n\tmov %%edx, out2");
	TRY("pop gs 0x10", "pushq $0x10\n\tpop %%gs");
	TRY("pushw fs", "xor %%ecx, %%ecx\n\tpushw %%fs\n\tpopw %%cx\n\tmov %%rcx, out1");
	setfar(0x1234, 0x2b, 4);
	TRY("lss m16:32", "mov %%ss, %%ecx\n\tmov %%rsp, %%rdx\n\tlea farptr, %%rax\n\tlss (%%rax), %%esp\n\tmov %%rsp, out1\n\tmov %%rdx, %%rsp");
	setfar(0x1234, 0, 4);
	TRY("lss m16:32 null", "mov %%rsp, %%rdx\n\tlea farptr, %%rax\n\tlss (%%rax), %%esp\n\tmov %%rdx, %%rsp");
	setfar(0x1234, 0x33, 2);
	TRY("lgs m16:16", "xor %%ecx, %%ecx\n\tlea farptr, %%rax\n\t.byte 0x66, 0x0f, 0xb5, 0x08 /* lgs (%%rax), %%cx */\n\tmov %%rcx, out1\n\tmov %%gs, %%ecx\n\tmov %%rcx, out2\n\tmov $0, %%eax\n\tmov %%eax, %%gs");
	setfar(0x1234, 0x10, 4);
	TRY("lgs m16:32 0x10", "lea farptr, %%rax\n\t.byte 0x0f, 0xb5, 0x08 /* lgs (%%rax), %%ecx */");
#else
	TRY("lret to 0x23", "push $0x23\n\tpush $2f\n\tlret\n\tud2\n2:\tmovl $1, out1");
	TRY("lret $8 to 0x23", "push $0\n\tpush $0\n\tpush $0x23\n\tpush $2f\n\tlret $8\n\tud2\n2:\tmovl $1, out1");
	TRY("lret to 0", "push $0\n\tpush $2f\n\tlret\n2:\tud2");
	TRY("lret to 0x10", "push $0x10\n\tpush $2f\n\tlret\n2:\tud2");
	TRY("lret to 0x2b", "push $0x2b\n\tpush $2f\n\tlret\n2:\tud2");
	TRY("lret to 0x21", "push $0x21\n\tpush $2f\n\tlret\n2:\tud2");
	TRY("lret to 0x1003", "push $0x1003\n\tpush $2f\n\tlret\n2:\tud2");
#define FP32(lbl, sel) "movl $" lbl ", farptr\n\tmovw $" sel ", farptr+4\n\t"
	TRY("lcall direct", "lcall $0x23, $3f\n\tjmp 4f\n3:\tmov 4(%%esp), %%ecx\n\tmov %%ecx, out1\n\tlret\n4:\tmovl $1, out2");
	TRY("lcall direct to 0x2b", "lcall $0x2b, $3f\n3:\tud2");
	TRY("ljmp direct", "ljmp $0x23, $3f\n\tud2\n3:\tmovl $1, out1");
	TRY("ljmp direct to 0", "ljmp $0, $3f\n3:\tud2");
	TRY("lcall *m16:32", FP32("3f", "0x23") "lcall *farptr\n\tjmp 4f\n3:\tmov 4(%%esp), %%ecx\n\tmov %%ecx, out1\n\tlret\n4:\tmovl $1, out2");
	TRY("ljmp *m16:32", FP32("3f", "0x23") "ljmp *farptr\n\tud2\n3:\tmovl $1, out1");
	TRY("ljmp *m16:32 to 0x2b", FP32("3f", "0x2b") "ljmp *farptr\n3:\tud2");
	TRY("ljmp *m16:32 to 0x10", FP32("3f", "0x10") "ljmp *farptr\n3:\tud2");
	TRY("iret same cs", "pushf\n\tpush $0x23\n\tpush $2f\n\tiret\n\tud2\n2:\tmovl $1, out1");
	TRY("iret cs 0x10", "pushf\n\tpush $0x10\n\tpush $2f\n\tiret\n2:\tud2");

	TRY("mov ds, 0", "mov %%ds, %%ecx\n\tmov $0, %%eax\n\tmov %%eax, %%ds\n\tmov %%ds, %%edx\n\tmov %%ecx, %%ds\n\tmov %%edx, out1");
	TRY("mov es, 0x23", "mov %%es, %%ecx\n\tmov $0x23, %%eax\n\tmov %%eax, %%es\n\tmov %%es, %%edx\n\tmov %%edx, out1\n\tmov %%ecx, %%es");
	TRY("mov ds, 0x10", "mov $0x10, %%eax\n\tmov %%eax, %%ds");
	TRY("mov ds, 0x1003", "mov $0x1003, %%eax\n\tmov %%eax, %%ds");
	TRY("mov ss, 0", "mov $0, %%eax\n\tmov %%eax, %%ss");
	TRY("mov ss, 0x23", "mov $0x23, %%eax\n\tmov %%eax, %%ss");
	TRY("mov ss, 0x2b", "mov $0x2b, %%eax\n\tmov %%eax, %%ss\n\tmov %%ss, %%edx\n\tmov %%edx, out1");
	TRY("push/pop ds", "push %%ds\n\tpop %%ecx\n\tmov %%ecx, out1\n\tpush %%ds\n\tpop %%es\n\tmov %%es, %%edx\n\tmov %%edx, out2");
	TRY("push/pop es ss", "push %%es\n\tpop %%es\n\tpush %%ss\n\tpop %%ss\n\tmov %%ss, %%edx\n\tmov %%edx, out1");
	TRY("pop es 0x10", "push $0x10\n\tpop %%es");
	setfar(0x1234, 0x2b, 4);
	TRY("lss m16:32", "mov %%esp, %%edx\n\tlea farptr, %%eax\n\tlss (%%eax), %%esp\n\tmov %%esp, out1\n\tmov %%edx, %%esp");
	TRY("lgs m16:32", "lea farptr, %%eax\n\tmov %%gs, %%edx\n\tlgs (%%eax), %%ecx\n\tmov %%ecx, out1\n\tmov %%gs, %%ecx\n\tmov %%ecx, out2\n\tmov %%edx, %%gs");
	setfar(0x1234, 0x10, 4);
	TRY("les m16:32 0x10", "lea farptr, %%eax\n\tles (%%eax), %%ecx");
#endif
	return 0;
}

