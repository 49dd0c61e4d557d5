// Assorted instructions: xlat, loop/loope/loopne/jecxz, lea addressing forms,
// pusha/popa (i386), multi-byte nops, fences, indirect calls/jumps, ret imm16,
// jump tables, moffs moves, movabs, 16-bit operand forms.
#include "gt.h"

static unsigned char table[256];
#ifdef __i386__
volatile uint32_t misc_moffs = 0x600dcafe;
#endif

__attribute__((noinline)) static int target(int x) { return x * 3 + 1; }
static int (*volatile fptr)(int) = target;

/* a function that pops its stack arguments: ret $imm16 */
#ifdef __x86_64__
__asm__(".text\n"
	"retimm_fn:\n\t"
	"mov 8(%rsp), %rax\n\t"
	"add 16(%rsp), %rax\n\t"
	"ret $16\n");
#else
__asm__(".text\n"
	"retimm_fn:\n\t"
	"mov 4(%esp), %eax\n\t"
	"add 8(%esp), %eax\n\t"
	"ret $8\n");
#endif

static long call_retimm(long a, long b)
{
	long r;
#ifdef __x86_64__
	unsigned long before, after;
	__asm__ volatile(RZ_IN "mov %%rsp, %[bf]\n\t"
			 "push %[b]\n\tpush %[a]\n\tcall retimm_fn\n\t"
			 "mov %%rsp, %[af]\n\t" RZ_OUT
			 : "=a"(r), [bf] "=&r"(before), [af] "=&r"(after)
			 : [a] "r"(a), [b] "r"(b)
			 : "memory", "cc");
#else
	unsigned long before, after;
	__asm__ volatile("mov %%esp, %[bf]\n\t"
			 "push %[b]\n\tpush %[a]\n\tcall retimm_fn\n\t"
			 "mov %%esp, %[af]\n\t"
			 : "=a"(r), [bf] "=&r"(before), [af] "=&r"(after)
			 : [a] "r"(a), [b] "r"(b)
			 : "memory", "cc");
#endif
	printf("ret imm16: %ld stack balanced: %s\n", r, before == after ? "yes" : "no");
	return r;
}

static const char *sw(int x)
{
	switch (x) {
	case 0: return "zero";
	case 1: return "one";
	case 2: return "two";
	case 3: return "three";
	case 4: return "four";
	case 5: return "five";
	case 6: return "six";
	case 7: return "seven";
	case 8: return "eight";
	case 9: return "nine";
	case 10: return "ten";
	case 12: return "twelve";
	default: return "other";
	}
}

int main(void)
{
	for (int i = 0; i < 256; i++)
		table[i] = (unsigned char)(255 - i * 3);
	/* xlat */
	for (int i = 0; i < 256; i += 37) {
		unsigned long a = 0xabcd00 | (unsigned)i;
		unsigned char *t = table;
		__asm__("xlat" : "+a"(a) : "b"(t) : "memory");
		printf("xlat %02x: %lx\n", i, a);
	}
	/* loop family */
	{
		unsigned long c = 10, n = 0;
		__asm__ volatile("1: inc %[n]\n\tloop 1b" : [n] "+r"(n), "+c"(c) : : "cc");
		printf("loop: n=%lu c=%lu\n", n, c);
		c = 10;
		n = 0;
		/* loope: continue while ZF=1 */
		__asm__ volatile("1: inc %[n]\n\tcmp $4, %[n]\n\tloopne 1b" : [n] "+r"(n), "+c"(c) : : "cc");
		printf("loopne: n=%lu c=%lu\n", n, c);
		c = 10;
		n = 0;
		__asm__ volatile("1: inc %[n]\n\ttest $0, %[n]\n\tloope 1b" : [n] "+r"(n), "+c"(c) : : "cc");
		printf("loope: n=%lu c=%lu\n", n, c);
		c = 0;
		n = 0;
		__asm__ volatile("jecxz 1f\n\tmov $5, %[n]\n1:" : [n] "+r"(n), "+c"(c) : : "cc");
		printf("jecxz taken: %s\n", n == 0 ? "yes" : "no");
#ifdef __x86_64__
		c = 0x100000000ull; /* ecx == 0 but rcx != 0 */
		n = 0;
		__asm__ volatile("jrcxz 1f\n\tmov $5, %[n]\n1:" : [n] "+r"(n), "+c"(c) : : "cc");
		printf("jrcxz with rcx=2^32 taken: %s\n", n == 0 ? "yes" : "no");
		n = 0;
		__asm__ volatile("jecxz 1f\n\tmov $5, %[n]\n1:" : [n] "+r"(n), "+c"(c) : : "cc");
		printf("jecxz with rcx=2^32 taken: %s\n", n == 0 ? "yes" : "no");
#endif
		c = 0; /* loop with count 0 wraps: decrement to all-ones, so run a bounded variant */
		n = 0;
		__asm__ volatile("1: inc %[n]\n\tcmp $3, %[n]\n\tje 2f\n\tloop 1b\n2:" : [n] "+r"(n), "+c"(c) : : "cc");
		printf("loop from 0: n=%lu c=%lx\n", n, c);
	}
	/* lea forms */
	{
		unsigned long b = 1000, i = 7, r1, r2, r3, r4;
		__asm__("lea 12(%1,%2,4), %0" : "=r"(r1) : "r"(b), "r"(i));
		__asm__("lea -1(,%1,8), %0" : "=r"(r2) : "r"(i));
		__asm__("lea (%1,%1,2), %0" : "=r"(r3) : "r"(i));
		__asm__("lea 0x7fffffff(%1), %0" : "=r"(r4) : "r"(b));
		printf("lea: %lu %lu %lu %lx\n", r1, r2, r3, r4);
		uint16_t w;
		__asm__("lea 0xfffe(%1,%2), %0" : "=r"(w) : "r"(b), "r"(i));
		printf("lea16: %x\n", w);
		uint32_t d;
		unsigned long big = (unsigned long)-1;
		__asm__("lea 2(%1), %0" : "=r"(d) : "r"(big));
		printf("lea32 wrap: %x\n", d);
	}
#ifdef __i386__
	{
		static unsigned long regs[8];
		unsigned long *rp = regs;
		__asm__ volatile("push %%ebp\n\t"
				 "mov $0x11, %%eax\n\tmov $0x22, %%ecx\n\tmov $0x33, %%edx\n\t"
				 "mov $0x55, %%ebp\n\tmov $0x66, %%esi\n\t"
				 "pusha\n\t"
				 "mov $0, %%eax\n\tmov $0, %%ecx\n\tmov $0, %%edx\n\tmov $0, %%ebp\n\tmov $0, %%esi\n\t"
				 "mov 0(%%esp), %%eax\n\tmov %%eax, 0(%%edi)\n\t" /* edi slot holds rp */
				 "mov 4(%%esp), %%eax\n\tmov %%eax, 4(%%edi)\n\t"
				 "mov 16(%%esp), %%eax\n\tmov %%eax, 16(%%edi)\n\t"
				 "popa\n\t"
				 "mov %%eax, 20(%%edi)\n\tmov %%ecx, 24(%%edi)\n\tmov %%esi, 28(%%edi)\n\t"
				 "mov %%ebp, 8(%%edi)\n\tmov %%edx, 12(%%edi)\n\t"
				 "pop %%ebp\n\t"
				 :
				 : "D"(rp)
				 : "eax", "ecx", "edx", "esi", "memory");
		printf("pusha edi-slot ok: %s esi=%lx popa: ebp=%lx edx=%lx eax=%lx ecx=%lx esi=%lx\n",
		       regs[0] == (unsigned long)regs ? "yes" : "no", regs[1], regs[2], regs[3], regs[5],
		       regs[6], regs[7]);
		(void)regs[4]; /* saved esp slot: address, not printed */
	}
	{
		uint16_t w = 0x1234, w2;
		__asm__ volatile("pushw %1\n\tpopw %0" : "=r"(w2) : "r"(w) : "memory");
		printf("pushw/popw: %x\n", w2);
	}
#endif
	/* nops, fences, hints */
	__asm__ volatile("nop\n\t"
			 ".byte 0x66, 0x90\n\t"
			 ".byte 0x0f, 0x1f, 0x00\n\t"
			 ".byte 0x0f, 0x1f, 0x40, 0x00\n\t"
			 ".byte 0x0f, 0x1f, 0x44, 0x00, 0x00\n\t"
			 ".byte 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00\n\t"
			 ".byte 0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00\n\t"
			 ".byte 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00\n\t"
			 ".byte 0x66, 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00\n\t"
			 "pause\n\tlfence\n\tmfence\n\tsfence\n\t"
			 "prefetcht0 (%0)\n\tprefetchnta (%0)\n\t" ::"r"(table)
			 : "memory");
	printf("nops and fences executed\n");
	/* indirect call through register and memory, indirect jump through memory */
	{
		int s = 0;
		for (int i = 0; i < 10; i++)
			s += fptr(i);
		printf("indirect calls: %d\n", s);
		for (int i = 0; i < 14; i++)
			printf("switch %d: %s\n", i, sw(i));
	}
	call_retimm(40, 2);
	/* 16-bit operand size arithmetic and moves */
	{
		uint16_t a = 0xfff0, b = 0x0020;
		unsigned long f, fin = FIN_CLEAR;
		__asm__ volatile(RZ_IN SETFL "addw %[b], %[a]\n\t" GETFL RZ_OUT
				 : [a] "+r"(a), [fout] "=r"(f)
				 : [b] "r"(b), [fin] "r"(fin)
				 : "cc", "memory");
		printf("addw: %04x", a);
		pflags(f, FL_ALL6);
		putchar('\n');
		unsigned long full = (unsigned long)0xaaaaaaaaaaaaaaaaull;
		__asm__("movw $0x1234, %w0" : "+r"(full));
		printf("movw preserves upper: %lx\n", full);
		full = (unsigned long)0xaaaaaaaaaaaaaaaaull;
		__asm__("movb $0x12, %b0" : "+q"(full));
		printf("movb preserves upper: %lx\n", full);
		full = (unsigned long)0xaaaaaaaaaaaaaaaaull;
		__asm__("incw %w0" : "+r"(full)::"cc");
		printf("incw preserves upper: %lx\n", full);
	}
#ifdef __x86_64__
	{
		uint64_t v;
		__asm__("movabs $0x123456789abcdef0, %0" : "=r"(v));
		printf("movabs: %llx\n", (unsigned long long)v);
		uint32_t e = 0xffffffff;
		uint64_t r = 0xaaaaaaaaaaaaaaaaull;
		__asm__("addl %1, %k0" : "+r"(r) : "r"(e) : "cc");
		printf("32-bit op zero-extends: %llx\n", (unsigned long long)r);
		/* REX prefixes: high byte regs vs sil/dil */
		uint64_t s = 0x1122334455667788ull, t = 0;
		__asm__("mov %%sil, %%dil" : "+S"(s), "+D"(t));
		printf("sil->dil: %llx\n", (unsigned long long)t);
		/* r8-r15 */
		uint64_t out;
		__asm__("mov $7, %%r13\n\tlea (%%r13,%%r13,4), %%r14\n\tmov %%r14, %0" : "=r"(out) : : "r13", "r14");
		printf("r13/r14: %llu\n", (unsigned long long)out);
	}
#else
	{
		uint32_t v, w = 0x12345678;
		__asm__ volatile("movl misc_moffs, %%eax" : "=a"(v) : : "memory");
		printf("moffs load: %x\n", v);
		__asm__ volatile("movl %%eax, misc_moffs" : : "a"(w) : "memory");
		printf("moffs store: %x\n", misc_moffs);
	}
#endif
	return 0;
}
