// Sign/zero extension: cbw/cwde/cdqe/cwd/cdq/cqo, movsx/movzx/movsxd in all
// forms; enter/leave with nesting levels 0..3; push/pop of immediates/memory.
#include "gt.h"

static const uint64_t vals[] = {0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff,
				0x80000000, 0xffffffff, 0x8000000000000000ull, 0x12345678c0de8081ull};

static void extend(void)
{
	for (size_t i = 0; i < ARRAY_LEN(vals); i++) {
		unsigned long a, d;
		unsigned long v = (unsigned long)vals[i];
		a = v;
		__asm__("cbtw" : "+a"(a));
		printf("cbw %lx: %lx\n", v, a);
		a = v;
		__asm__("cwtl" : "+a"(a));
		printf("cwde %lx: %lx\n", v, a);
		a = v;
		d = 0x5555;
		__asm__("cwtd" : "+a"(a), "+d"(d));
		printf("cwd %lx: dx=%lx ax=%lx\n", v, d, a);
		a = v;
		d = 0x5555;
		__asm__("cltd" : "+a"(a), "+d"(d));
		printf("cdq %lx: edx=%lx eax=%lx\n", v, d, a);
#ifdef __x86_64__
		a = v;
		__asm__("cltq" : "+a"(a));
		printf("cdqe %lx: %lx\n", v, a);
		a = v;
		d = 0x5555;
		__asm__("cqto" : "+a"(a), "+d"(d));
		printf("cqo %lx: rdx=%lx rax=%lx\n", v, d, a);
#endif
		unsigned long r8s, r8z, r16s, r16z;
		uint8_t b = (uint8_t)v;
		uint16_t w = (uint16_t)v;
		__asm__("movsbl %1, %k0" : "=r"(r8s) : "q"(b));
		__asm__("movzbl %1, %k0" : "=r"(r8z) : "q"(b));
		__asm__("movswl %1, %k0" : "=r"(r16s) : "r"(w));
		__asm__("movzwl %1, %k0" : "=r"(r16z) : "r"(w));
		printf("movsx/movzx %lx: %lx %lx %lx %lx", v, r8s & 0xffffffff, r8z & 0xffffffff,
		       r16s & 0xffffffff, r16z & 0xffffffff);
		uint16_t sw;
		__asm__("movsbw %1, %0" : "=r"(sw) : "q"(b));
		printf(" movsbw %x", sw);
#ifdef __x86_64__
		uint64_t q1, q2, q3, q4;
		uint32_t dw = (uint32_t)v;
		__asm__("movsbq %1, %0" : "=r"(q1) : "q"(b));
		__asm__("movswq %1, %0" : "=r"(q2) : "r"(w));
		__asm__("movslq %1, %0" : "=r"(q3) : "r"(dw));
		__asm__("movl %1, %k0" : "=r"(q4) : "r"(dw)); /* 32-bit mov zero extends */
		printf(" movsbq %llx movswq %llx movsxd %llx movl %llx", (unsigned long long)q1,
		       (unsigned long long)q2, (unsigned long long)q3, (unsigned long long)q4);
		uint64_t hi = 0xffffffffffffffffull;
		__asm__("movb %1, %b0" : "+q"(hi) : "q"(b));
		printf(" movb-merge %llx", (unsigned long long)hi);
		hi = 0xffffffffffffffffull;
		__asm__("movw %1, %w0" : "+r"(hi) : "r"(w));
		printf(" movw-merge %llx", (unsigned long long)hi);
#endif
		uint32_t hb = 0xa5a5a5a5;
		__asm__("movb %1, %h0" : "+Q"(hb) : "q"(b));
		printf(" movb-ah %x\n", hb);
	}
}

/* enter/leave: rbp points into a buffer of known values so copied frame
 * pointers are known. Everything is printed relative to the buffer/stack. */
static unsigned long fbuf[16];

#ifdef __x86_64__
#define ENTER(N, L)                                                                            \
	{                                                                                      \
		unsigned long res[8];                                                          \
		unsigned long *rp = res;                                                       \
		unsigned long *bp = &fbuf[8];                                                  \
		__asm__ volatile(RZ_IN "push %%rbp\n\t"                                        \
				 "mov %%rsp, %%r8\n\t"                                         \
				 "mov %[bp], %%rbp\n\t"                                        \
				 "enter $" #N ", $" #L "\n\t"                                  \
				 "mov %%rsp, %%r9\n\t"                                         \
				 "mov %%rbp, %%r10\n\t"                                        \
				 "mov (%%r10), %%rax\n\tmov %%rax, 0(%[rp])\n\t"               \
				 "mov -8(%%r10), %%rax\n\tmov %%rax, 8(%[rp])\n\t"             \
				 "mov -16(%%r10), %%rax\n\tmov %%rax, 16(%[rp])\n\t"           \
				 "mov -24(%%r10), %%rax\n\tmov %%rax, 24(%[rp])\n\t"           \
				 "leave\n\t"                                                   \
				 "mov %%rsp, %%r11\n\t" /* sp after leave: unused */                                        \
				 "mov %%rbp, %%rax\n\tmov %%rax, 32(%[rp])\n\t"                \
				 "mov %%r8, %%rsp\n\t"                                         \
				 "pop %%rbp\n\t" RZ_OUT                                        \
				 "mov %%r8, 40(%[rp])\n\t"                                     \
				 "mov %%r9, 48(%[rp])\n\t"                                     \
				 "mov %%r10, 56(%[rp])\n\t"                                    \
				 : [bp] "+r"(bp)                                               \
				 : [rp] "r"(rp)                                                \
				 : "rax", "r8", "r9", "r10", "r11", "memory");                 \
		report(#N, #L, res);                                                           \
	}
#else
#define ENTER(N, L)                                                                            \
	{                                                                                      \
		unsigned long res[8];                                                          \
		unsigned long *rp = res;                                                       \
		unsigned long *bp = &fbuf[8];                                                  \
		__asm__ volatile("push %%ebp\n\t"                                               \
				 "mov %%esp, %%ecx\n\t"                                        \
				 "mov %[bp], %%ebp\n\t"                                        \
				 "enter $" #N ", $" #L "\n\t"                                  \
				 "mov %%esp, 24(%[rp])\n\t"                                    \
				 "mov %%ebp, 28(%[rp])\n\t"                                    \
				 "mov (%%ebp), %%eax\n\tmov %%eax, 0(%[rp])\n\t"               \
				 "mov -4(%%ebp), %%eax\n\tmov %%eax, 4(%[rp])\n\t"             \
				 "mov -8(%%ebp), %%eax\n\tmov %%eax, 8(%[rp])\n\t"             \
				 "mov -12(%%ebp), %%eax\n\tmov %%eax, 12(%[rp])\n\t"           \
				 "leave\n\t"                                                   \
				 "mov %%ebp, 16(%[rp])\n\t"                                    \
				 "mov %%ecx, %%esp\n\t"                                        \
				 "pop %%ebp\n\t"                                               \
				 "mov %%ecx, 20(%[rp])\n\t"                                    \
				 : [bp] "+S"(bp)                                               \
				 : [rp] "D"(rp)                                                \
				 : "eax", "ecx", "memory");                                    \
		report(#N, #L, res);                                                           \
	}
#endif

static const char *rel(unsigned long v, unsigned long sp, char *tmp)
{
	unsigned long fb = (unsigned long)fbuf;
	if (v >= fb && v < fb + sizeof fbuf)
		sprintf(tmp, "fbuf+%lu", v - fb);
	else if (v <= sp && v > sp - 4096)
		sprintf(tmp, "sp-%lu", sp - v);
	else
		sprintf(tmp, "%lx", v);
	return tmp;
}

static void report(const char *n, const char *l, const unsigned long *res)
{
	char t[64];
	unsigned long sp = res[5];
	int words = atoi(l) + 1; /* old frame pointer, L-1 copies, frame temp */
	/* res: [0..3] = words at the new frame pointer going down, [4] = bp after
	 * leave, [5] = sp before enter, [6] = sp after enter, [7] = bp after enter */
	printf("enter $%s,$%s: sp=%s", n, l, rel(res[6], sp, t));
	printf(" bp=%s frame=[", rel(res[7], sp, t));
	for (int i = 0; i < words && i < 4; i++)
		printf("%s%s", i ? " " : "", rel(res[i], sp, t));
	printf("] leave-bp=%s\n", rel(res[4], sp, t));
}

int main(void)
{
	extend();
	for (int i = 0; i < 16; i++)
		fbuf[i] = 0x1000 + (unsigned long)i * 0x111;
	ENTER(0, 0)
	ENTER(24, 0)
	ENTER(16, 1)
	ENTER(8, 2)
	ENTER(32, 3)
	/* push imm / push mem / pop mem */
	{
		unsigned long out[3], src = 0xabcdef, *sp = &src, *op = out;
		__asm__ volatile(RZ_IN "push $-5\n\tpop (%[o])\n\t"
				 "push $0x12345678\n\tpop %c[w](%[o])\n\t"
				 "push (%[s])\n\tpop %c[w2](%[o])\n\t" RZ_OUT
				 :
				 : [o] "r"(op), [s] "r"(sp), [w] "i"(sizeof(long)), [w2] "i"(2 * sizeof(long))
				 : "memory");
		printf("push/pop: %lx %lx %lx\n", out[0], out[1], out[2]);
	}
	return 0;
}
