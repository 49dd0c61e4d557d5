// Compatibility mode in an x86-64 process: 64-bit code enters 32-bit code
// through the kernel's __USER32_CS (0x23) by lcall (m16:32), lretq, iretq
// and ljmp (m16:32), and comes back to 0x33 by lret, iret, ljmp (direct
// and m16:32) and a direct lcall into 64-bit code that returns with lretl.
// The 32-bit code runs on a stack below 4 GiB (the program is static, not
// PIE) with DS and ES loaded with 0x2b (a null DS faults in compatibility
// mode) and checks what differs from 64-bit mode: one-byte inc/dec (REX
// prefixes in 64-bit mode), 4-byte pushes, pusha/popa, push/pop es, daa,
// arpl (movsxd in 64-bit mode), 32-bit moffs, addresses wrapping at 4 GiB,
// string instructions, loop on ecx. int $0x80 there is an i386 system
// call (getpid, write, kill): the signal kill sends is delivered on the
// way back, to a 64-bit handler. Faults in compatibility mode (page
// fault, ud2, int3, #GP for a refused selector) reach 64-bit handlers
// whose frame shows cs 0x23 and ss 0x2b; sigreturn resumes in
// compatibility mode, or in 64-bit code where the handler sets cs 0x33.
// Also 0x23 in GS and LAR/LSL/VERR of 0x20..0x23 from 64-bit code. The
// i386 build runs 64-bit code at 0x33 (a qemuRefGaps entry: qemu-i386
// runs no 64-bit code).
//
// This needs a kernel with IA-32 emulation: without it the kernel's
// 0x23 is not usable (see needsIA32 in guest_test.go).
#include "gt.h"
#include <signal.h>
#include <ucontext.h>
#include <unistd.h>

#ifdef __x86_64__

char lowstack[65536] __attribute__((aligned(16)));
unsigned long saved_rsp;
unsigned char farptr[16];
volatile unsigned int var32 = 0x12345678;
volatile unsigned int arr[4] = {0xa0, 0xa1, 0xa2, 0xa3};
volatile unsigned int out1, out2, out3;
char strbuf[32];

// c32call(fn, arg, how) runs the 32-bit function fn with eax = arg and
// returns its eax; fn returns by a far return to a 4-byte return frame
// (eip, cs) on its stack, or jumps to back64 (64-bit code) by other means.
// how: 0 lcall *m16:32, 1 lretq, 2 iretq, 3 ljmp *m16:32.
unsigned c32call(unsigned long fn, unsigned arg, int how);
asm(".text\n"
    ".globl c32call\n"
    "c32call:\n"
    "	push %rbx\n	push %rbp\n	push %r12\n	push %r13\n	push %r14\n	push %r15\n"
    "	mov %rsp, saved_rsp(%rip)\n"
    "	lea lowstack+65536(%rip), %rsp\n"
    "	mov $0x2b, %eax\n	mov %eax, %ds\n	mov %eax, %es\n"
    "	mov %esi, %eax\n"
    "	cmp $1, %edx\n	je 1f\n	cmp $2, %edx\n	je 2f\n	cmp $3, %edx\n	je 3f\n"
    "	mov %edi, farptr(%rip)\n	movw $0x23, farptr+4(%rip)\n"
    "	lcall *farptr(%rip)\n"
    "	jmp back64\n"
    "1:	sub $8, %rsp\n	movl $back64, (%rsp)\n	movl $0x33, 4(%rsp)\n"
    "	pushq $0x23\n	push %rdi\n	lretq\n"
    "2:	sub $8, %rsp\n	movl $back64, (%rsp)\n	movl $0x33, 4(%rsp)\n"
    "	mov %rsp, %rcx\n	pushq $0x2b\n	push %rcx\n	pushfq\n	pushq $0x23\n	push %rdi\n	iretq\n"
    "3:	sub $8, %rsp\n	movl $back64, (%rsp)\n	movl $0x33, 4(%rsp)\n"
    "	mov %edi, farptr(%rip)\n	movw $0x23, farptr+4(%rip)\n"
    "	ljmp *farptr(%rip)\n"
    ".globl back64\n"
    "back64:\n"
    "	mov %eax, %ebx\n"
    "	xor %eax, %eax\n	mov %eax, %ds\n	mov %eax, %es\n"
    "	mov %ebx, %eax\n"
    "	mov saved_rsp(%rip), %rsp\n"
    "	pop %r15\n	pop %r14\n	pop %r13\n	pop %r12\n	pop %rbp\n	pop %rbx\n"
    "	ret\n"
    // ret64: 64-bit code reached from compatibility mode with the far
    // return frame of the entry still on the stack.
    ".globl ret64\n"
    "ret64:\n"
    "	add $8, %rsp\n	jmp back64\n"
    // f64: 64-bit code called by a direct lcall from 32-bit code.
    "f64:\n"
    "	lea 0x64(%rax), %eax\n	mov %cs, %ecx\n	mov %ecx, out3(%rip)\n	lretl\n");

// The 32-bit functions.
unsigned long f_ident, f_incdec, f_stack, f_mem, f_string, f_misc, f_iret, f_ljmp, f_ljmpm, f_lcall64,
	f_getpid, f_write, f_kill, f_segv, f_ud2, f_int3, f_gp, f_lret2b, f_detour;
asm(".text\n"
    ".code32\n"
    // ident: eax = cs, out1 = ss, out2 = ds, out3 = es
    "g_ident:\n"
    "	mov %ss, %ecx\n	mov %ecx, out1\n	mov %ds, %ecx\n	mov %ecx, out2\n	mov %es, %ecx\n	mov %ecx, out3\n"
    "	xor %eax, %eax\n	mov %cs, %ax\n	lret\n"
    // incdec: 0x40-0x4f are inc/dec here
    "g_incdec:\n"
    "	mov $5, %ecx\n	inc %eax\n	inc %eax\n	dec %ecx\n	mov %ecx, out1\n"
    "	.byte 0x48\n"  // dec %eax
    "	lret\n"
    // stack: push widths, pusha/popa, push/pop es, call/ret, enter/leave
    "g_stack:\n"
    "	mov %esp, %ecx\n	push %eax\n	pushw $1\n	push %es\n	pushl $2\n	sub %esp, %ecx\n"
    "	add $14, %esp\n	mov %ecx, out1\n"
    "	pusha\n	mov %esp, out2\n	popa\n	mov %esp, %ecx\n	sub out2, %ecx\n	mov %ecx, out2\n"
    "	push %es\n	pop %es\n	mov %es, %edx\n	mov %edx, out3\n"
    "	mov %esp, %edx\n	call 1f\n"
    "1:	mov %edx, %ecx\n	sub %esp, %ecx\n	pop %edx\n	sub $1b, %edx\n	shl $8, %ecx\n	or %edx, %ecx\n"
    "	mov %esp, %edx\n	enter $8, $0\n	sub %esp, %edx\n	leave\n	shl $16, %edx\n	or %ecx, %edx\n"
    "	mov %edx, %eax\n	lret\n"
    // mem: moffs, 4 GiB wraparound, lea wrap, 16-bit operand
    "g_mem:\n"
    "	mov var32, %eax\n	add $1, %eax\n	mov %eax, var32\n"
    "	mov $arr+8, %ecx\n	mov $0xfffffff8, %edx\n	mov (%ecx,%edx), %ebx\n	mov %ebx, out1\n"
    "	lea 0x10(%edx), %ebx\n	mov %ebx, out2\n"
    "	movw $0xbeef, arr+12\n	mov $0x1234, %bx\n	mov %ebx, out3\n"
    "	lret\n"
    // string: rep movsb, rep stosl, repne scasb, lods
    "g_string:\n"
    "	cld\n	mov $2f, %esi\n	mov $strbuf, %edi\n	mov $12, %ecx\n	rep movsb\n"
    "	mov $0x2e2e2e2e, %eax\n	mov $2, %ecx\n	rep stosl\n	movb $0, (%edi)\n"
    "	mov $strbuf, %edi\n	mov $'l', %al\n	mov $32, %ecx\n	repne scasb\n	mov %ecx, out1\n"
    "	mov $strbuf+4, %esi\n	lodsl\n	lret\n"
    "2:	.ascii \"hello, world\"\n"
    // misc: daa, arpl, loop, jecxz, pushf width, far jump to 0x23 itself
    "g_misc:\n"
    "	mov $0x15, %al\n	add $0x27, %al\n	daa\n	movzbl %al, %ecx\n	mov %ecx, out1\n"
    "	mov $0x20, %dx\n	mov $3, %cx\n	arpl %cx, %dx\n	setz %cl\n	movzwl %dx, %edx\n	shl $8, %edx\n	or %cl, %dl\n	mov %edx, out2\n"
    "	xor %eax, %eax\n	mov $10, %ecx\n1:	add %ecx, %eax\n	loop 1b\n	jecxz 3f\n	mov $0, %eax\n"
    "3:	ljmp $0x23, $4f\n"
    "4:	mov %esp, %ecx\n	pushf\n	sub %esp, %ecx\n	popf\n	mov %ecx, out3\n	lret\n"
    // iret to 64-bit code
    "g_iret:\n"
    "	mov $0x51, %eax\n	pushf\n	push $0x33\n	push $ret64\n	iret\n"
    // ljmp ptr16:32 (opcode ea) to 64-bit code
    "g_ljmp:\n"
    "	mov $0x52, %eax\n	ljmp $0x33, $ret64\n"
    // ljmp m16:32 to 64-bit code
    "g_ljmpm:\n"
    "	mov $0x53, %eax\n	movl $ret64, farptr+8\n	movw $0x33, farptr+12\n	ljmp *farptr+8\n"
    // lcall ptr16:32 into 64-bit code, which returns with lretl
    "g_lcall64:\n"
    "	mov %esp, %ebx\n	lcall $0x33, $f64\n	sub %esp, %ebx\n	mov %ebx, out1\n	mov %cs, %ecx\n	mov %ecx, out2\n	lret\n"
    // i386 system calls by int $0x80
    "g_getpid:\n"
    "	mov $20, %eax\n	mov $0x5a5a5a5a, %edi\n	int $0x80\n	mov %edi, out1\n	lret\n"
    "g_write:\n"
    "	mov $4, %eax\n	mov $1, %ebx\n	mov $2f, %ecx\n	mov $3f-2f, %edx\n	int $0x80\n	lret\n"
    "2:	.ascii \"written by int $0x80 in compatibility mode\\n\"\n"
    "3:\n"
    "g_kill:\n"
    "	mov $20, %eax\n	int $0x80\n	mov %eax, %ebx\n	mov $37, %eax\n	mov $10, %ecx\n	int $0x80\n"
    "	mov %eax, out1\n	mov %cs, %ecx\n	mov %ecx, out2\n	mov $0x4b, %eax\n	lret\n"
    // faults: the handler skips the faulting instruction (2 bytes) and
    // sets eax to 0x77
    ".globl segv_at\n"
    "g_segv:\n"
    "	xor %ecx, %ecx\n"
    "segv_at:\n"
    "	mov (%ecx), %eax\n	mov %cs, %ecx\n	mov %ecx, out1\n	lret\n"
    ".globl ud2_at\n"
    "g_ud2:\n"
    "ud2_at:\n"
    "	ud2\n	mov %cs, %ecx\n	mov %ecx, out1\n	lret\n"
    ".globl int3_at\n"
    "g_int3:\n"
    "	mov $0x33, %eax\n"
    "int3_at:\n"
    "	int3\n	mov %cs, %ecx\n	mov %ecx, out1\n	lret\n"
    ".globl gp_at\n"
    "g_gp:\n"
    "	mov $0x10, %ecx\n"
    "gp_at:\n"
    "	mov %ecx, %ds\n	mov %ds, %ecx\n	mov %ecx, out1\n	lret\n"
    ".globl lret2b_at\n"
    "g_lret2b:\n"
    "	push $0x2b\n	push $1f\n"
    "lret2b_at:\n"
    "	lret\n"
    "	add $8, %esp\n	mov %cs, %ecx\n	mov %ecx, out1\n"
    "1:	lret\n"
    // detour: the SIGILL handler returns to 64-bit code (cs 0x33, ret64)
    ".globl detour_at\n"
    "g_detour:\n"
    "detour_at:\n"
    "	ud2\n	mov $0x99, %eax\n	lret\n"
    ".code64\n");

#define FN(name)                                                                     \
	do {                                                                         \
		extern char g_##name[];                                              \
		f_##name = (unsigned long)g_##name;                                  \
	} while (0)

extern char segv_at[], ud2_at[], int3_at[], gp_at[], lret2b_at[], detour_at[], ret64[];
static volatile int detour, skiplen = 2;

static const char *where(unsigned long pc)
{
	static char b[32];
	struct {
		const char *n;
		char *a;
	} t[] = {{"segv_at", segv_at}, {"ud2_at", ud2_at}, {"int3_at", int3_at},
		 {"gp_at", gp_at},     {"lret2b_at", lret2b_at}, {"detour_at", detour_at}};
	for (unsigned i = 0; i < sizeof t / sizeof t[0]; i++)
		if (pc >= (unsigned long)t[i].a && pc < (unsigned long)t[i].a + 8) {
			snprintf(b, sizeof b, "%s+%lu", t[i].n, pc - (unsigned long)t[i].a);
			return b;
		}
	return "elsewhere";
}

static void handler(int sig, siginfo_t *si, void *uc_)
{
	static int calls;
	if (++calls > 50) {
		printf("too many signals\n");
		fflush(stdout);
		_exit(3);
	}
	ucontext_t *uc = uc_;
	greg_t *g = uc->uc_mcontext.gregs;
	unsigned long csgsfs = g[REG_CSGSFS], rsp = g[REG_RSP];
	unsigned short cs, ss;
	asm volatile("mov %%cs, %0\n\tmov %%ss, %1" : "=r"(cs), "=r"(ss));
	printf("  sig %d code %d at %s: frame cs %#lx ss %#lx, low stack %s, uc_flags&6 %#lx",
	       sig, si->si_code, where(g[REG_RIP]), csgsfs & 0xffff, csgsfs >> 48,
	       rsp > (unsigned long)lowstack && rsp <= (unsigned long)lowstack + sizeof lowstack ? "yes" : "no",
	       uc->uc_flags & 6);
	if (sig == SIGSEGV || sig == SIGILL || sig == SIGTRAP)
		printf(" trap %lld err %#llx", (long long)g[REG_TRAPNO], (long long)g[REG_ERR]);
	if (sig == SIGSEGV && si->si_code == SEGV_MAPERR)
		printf(" addr %#lx", (unsigned long)si->si_addr);
	printf("; handler cs %#x ss %#x\n", cs, ss);
	if (sig == SIGUSR1)
		return;
	if (detour) {
		g[REG_CSGSFS] = (csgsfs & ~0xfffful) | 0x33;
		g[REG_RIP] = (greg_t)ret64;
		g[REG_RAX] = 0x64;
		return;
	}
	if (sig != SIGTRAP)
		g[REG_RIP] += skiplen;
	g[REG_RAX] = 0x77;
}

static void run(const char *name, unsigned long fn, unsigned arg, int how)
{
	out1 = out2 = out3 = 0xdeadbeef;
	fflush(stdout);
	unsigned r = c32call(fn, arg, how);
	printf("%s: eax %#x out %#x %#x %#x\n", name, r, out1, out2, out3);
}

int main(void)
{
	FN(ident);
	FN(incdec);
	FN(stack);
	FN(mem);
	FN(string);
	FN(misc);
	FN(iret);
	FN(ljmp);
	FN(ljmpm);
	FN(lcall64);
	FN(getpid);
	FN(write);
	FN(kill);
	FN(segv);
	FN(ud2);
	FN(int3);
	FN(gp);
	FN(lret2b);
	FN(detour);
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, 0);
	sigaction(SIGBUS, &sa, 0);
	sigaction(SIGILL, &sa, 0);
	sigaction(SIGTRAP, &sa, 0);
	sigaction(SIGUSR1, &sa, 0);

	printf("below 4 GiB: code %s, stack %s\n", (unsigned long)c32call < 1ul << 32 ? "yes" : "no",
	       (unsigned long)lowstack < 1ul << 32 ? "yes" : "no");
	const char *how[] = {"lcall", "lretq", "iretq", "ljmp"};
	for (int h = 0; h < 4; h++) {
		char n[32];
		snprintf(n, sizeof n, "ident by %s", how[h]);
		run(n, f_ident, 0, h);
	}
	run("incdec", f_incdec, 41, 0);
	run("stack", f_stack, 7, 0);
	run("mem", f_mem, 0, 0);
	printf("  var32 %#x arr[3] %#x\n", var32, arr[3]);
	run("string", f_string, 0, 1);
	printf("  strbuf '%s'\n", strbuf);
	run("misc", f_misc, 0, 2);
	run("iret to 0x33", f_iret, 0, 0);
	run("ljmp ptr16:32 to 0x33", f_ljmp, 0, 0);
	run("ljmp m16:32 to 0x33", f_ljmpm, 0, 3);
	run("lcall ptr16:32 to 0x33", f_lcall64, 0x10, 0);
	unsigned pid = c32call(f_getpid, 0, 0);
	printf("int $0x80 getpid: equals getpid %s, edi kept %s\n", pid == (unsigned)getpid() ? "yes" : "no",
	       out1 == 0x5a5a5a5a ? "yes" : "no");
	run("int $0x80 write", f_write, 0, 0);
	run("int $0x80 kill SIGUSR1", f_kill, 0, 0);
	run("page fault", f_segv, 0, 0);
	run("ud2", f_ud2, 0, 0);
	run("int3", f_int3, 0, 0);
	run("mov ds, 0x10", f_gp, 0, 0);
	skiplen = 1;
	run("lret to 0x2b", f_lret2b, 0, 0);
	skiplen = 2;
	detour = 1;
	run("handler returns to 0x33", f_detour, 0, 0);
	detour = 0;

	// 0x23 seen from 64-bit code.
	unsigned long gs = 0xdead;
	asm volatile("mov $0x23, %%eax\n\tmov %%eax, %%gs\n\tmov %%gs, %%eax\n\tmov %%rax, %0\n\t"
		     "xor %%eax, %%eax\n\tmov %%eax, %%gs"
		     : "=r"(gs) : : "rax");
	printf("mov gs, 0x23: %#lx\n", gs);
	for (unsigned sel = 0x20; sel < 0x24; sel++) {
		unsigned long ar = 0x5a5a5a5a, lim = 0x5a5a5a5a;
		unsigned char zl, zs, zr, zw;
		asm volatile("lar %2, %0\n\tsetz %1" : "+r"(ar), "=q"(zl) : "r"((unsigned long)sel) : "cc");
		asm volatile("lsl %2, %0\n\tsetz %1" : "+r"(lim), "=q"(zs) : "r"((unsigned long)sel) : "cc");
		asm volatile("verr %w1\n\tsetz %0" : "=q"(zr) : "r"(sel) : "cc");
		asm volatile("verw %w1\n\tsetz %0" : "=q"(zw) : "r"(sel) : "cc");
		printf("sel %#x: lar %d %#lx lsl %d %#lx verr %d verw %d\n", sel, zl, ar, zs, lim, zr, zw);
	}
	return 0;
}

#else

unsigned int o[4];

static void handler(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	greg_t *g = uc->uc_mcontext.gregs;
	unsigned short cs;
	asm volatile("mov %%cs, %0" : "=r"(cs));
	printf("  sig %d code %d: frame cs %#x ss %#x, handler cs %#x\n", sig, si->si_code,
	       (unsigned)g[REG_CS] & 0xffff, (unsigned)g[REG_SS] & 0xffff, cs);
	g[REG_EIP] += 2;
}

int main(void)
{
	// An i386 process far-jumps to 0x33 (__USER_CS) and runs 64-bit
	// code: 64-bit arithmetic, SYSCALL (the x86-64 table: 39 is getpid),
	// a ud2 whose SIGILL reaches the 32-bit handler with cs 0x33 in the
	// frame (sigreturn resumes in 64-bit code), and a far return (lretq)
	// to 0x23.
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGILL, &sa, 0);
	fflush(stdout);
	asm volatile("mov $o, %%esi\n\t"
		     "ljmp $0x33, $1f\n\t"
		     ".code64\n"
		     "1:	mov %%esi, %%esi\n\t"
		     "ud2\n\t"
		     "movabs $0x100000005, %%rax\n\t"
		     "shr $16, %%rax\n\t"
		     "mov %%eax, (%%rsi)\n\t"
		     "mov %%cs, %%eax\n\t"
		     "mov %%eax, 4(%%rsi)\n\t"
		     "mov $39, %%eax\n\t"
		     "syscall\n\t"
		     "mov %%eax, 8(%%rsi)\n\t"
		     "lea 2f(%%rip), %%rax\n\t"
		     "pushq $0x23\n\t"
		     "push %%rax\n\t"
		     "lretq\n\t"
		     ".code32\n"
		     "2:	mov %%cs, %%eax\n\t"
		     "mov %%eax, 12(%%esi)\n"
		     :
		     :
		     : "eax", "ecx", "edx", "esi", "memory");
	printf("64-bit code in an i386 process: %#x cs %#x, syscall getpid %s, back to cs %#x\n", o[0], o[1],
	       o[2] == (unsigned)getpid() ? "ok" : "wrong", o[3]);
	return 0;
}

#endif
