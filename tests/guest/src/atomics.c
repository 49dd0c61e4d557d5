// xadd, cmpxchg (all sizes, success/failure), cmpxchg8b, cmpxchg16b (x86-64),
// xchg and lock-prefixed read-modify-write instructions, with flags.
#include "gt.h"

static const uint64_t vals[] = {0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffffffff,
				0x7fffffffffffffffull, 0xffffffffffffffffull};

#define XADD(SFX, T)                                                                       \
	static void xadd_##SFX(uint64_t a_, uint64_t b_)                                   \
	{                                                                                  \
		T m = (T)a_, r = (T)b_, *p = &m;                                           \
		unsigned long f, fin = FIN_CLEAR;                                          \
		__asm__ volatile(RZ_IN SETFL "lock xadd" #SFX " %[r], (%[p])\n\t" GETFL RZ_OUT \
				 : [r] "+q"(r), [fout] "=r"(f)                             \
				 : [p] "r"(p), [fin] "r"(fin)                              \
				 : "cc", "memory");                                        \
		printf("xadd%s %llx %llx: mem=%llx reg=%llx", #SFX, (unsigned long long)(T)a_,      \
		       (unsigned long long)(T)b_, (unsigned long long)m, (unsigned long long)r);   \
		pflags(f, FL_ALL6);                                                        \
		putchar('\n');                                                             \
		T x = (T)a_, y = (T)b_;                                                    \
		__asm__ volatile(RZ_IN SETFL "xadd %[y], %[x]\n\t" GETFL RZ_OUT            \
				 : [x] "+q"(x), [y] "+q"(y), [fout] "=r"(f)                \
				 : [fin] "r"(fin)                                          \
				 : "cc", "memory");                                        \
		printf("xadd%s reg: %llx %llx", #SFX, (unsigned long long)x, (unsigned long long)y); \
		pflags(f, FL_ALL6);                                                        \
		putchar('\n');                                                             \
	}
XADD(b, uint8_t)
XADD(w, uint16_t)
XADD(l, uint32_t)
#ifdef __x86_64__
XADD(q, uint64_t)
#endif

#define CMPXCHG(SFX, T)                                                                        \
	static void cmpxchg_##SFX(uint64_t mem_, uint64_t acc_, uint64_t new_)                \
	{                                                                                      \
		T m = (T)mem_, a = (T)acc_, n = (T)new_, *p = &m;                              \
		unsigned long f, fin = FIN_CLEAR;                                              \
		__asm__ volatile(RZ_IN SETFL "lock cmpxchg" #SFX " %[n], (%[p])\n\t" GETFL RZ_OUT \
				 : "+a"(a), [fout] "=r"(f)                                     \
				 : [n] "q"(n), [p] "r"(p), [fin] "r"(fin)                      \
				 : "cc", "memory");                                            \
		printf("cmpxchg%s m=%llx a=%llx n=%llx: m=%llx a=%llx", #SFX,                  \
		       (unsigned long long)(T)mem_, (unsigned long long)(T)acc_,               \
		       (unsigned long long)(T)new_, (unsigned long long)m, (unsigned long long)a); \
		pflags(f, FL_ALL6);                                                            \
		putchar('\n');                                                                 \
	}
CMPXCHG(b, uint8_t)
CMPXCHG(w, uint16_t)
CMPXCHG(l, uint32_t)
#ifdef __x86_64__
CMPXCHG(q, uint64_t)
#endif

static void cx8(uint64_t mem, uint64_t expect, uint64_t newv)
{
	static uint64_t m __attribute__((aligned(8)));
	uint64_t *p = &m;
	uint32_t lo = (uint32_t)expect, hi = (uint32_t)(expect >> 32);
	uint32_t nlo = (uint32_t)newv, nhi = (uint32_t)(newv >> 32);
	unsigned long f, fin = FIN_SET;
	m = mem;
	__asm__ volatile(RZ_IN SETFL "lock cmpxchg8b (%[p])\n\t" GETFL RZ_OUT
			 : "+a"(lo), "+d"(hi), [fout] "=r"(f)
			 : "b"(nlo), "c"(nhi), [p] "r"(p), [fin] "r"(fin)
			 : "cc", "memory");
	printf("cmpxchg8b m=%016llx e=%016llx n=%016llx: m=%016llx edx:eax=%08x%08x ZF=%d\n",
	       (unsigned long long)mem, (unsigned long long)expect, (unsigned long long)newv,
	       (unsigned long long)m, hi, lo, (int)((f >> 6) & 1));
}

#ifdef __x86_64__
static void cx16(uint64_t mlo, uint64_t mhi, uint64_t elo, uint64_t ehi, uint64_t nlo, uint64_t nhi)
{
	static uint64_t m[2] __attribute__((aligned(16)));
	uint64_t *p = m;
	unsigned long f, fin = FIN_SET;
	m[0] = mlo;
	m[1] = mhi;
	__asm__ volatile(RZ_IN SETFL "lock cmpxchg16b (%[p])\n\t" GETFL RZ_OUT
			 : "+a"(elo), "+d"(ehi), [fout] "=r"(f)
			 : "b"(nlo), "c"(nhi), [p] "r"(p), [fin] "r"(fin)
			 : "cc", "memory");
	printf("cmpxchg16b: m=%016llx%016llx rdx:rax=%016llx%016llx ZF=%d\n", (unsigned long long)m[1],
	       (unsigned long long)m[0], (unsigned long long)ehi, (unsigned long long)elo,
	       (int)((f >> 6) & 1));
}
#endif

static unsigned lockdef(const char *insn)
{
	if (!strncmp(insn, "and", 3) || !strncmp(insn, "or", 2) || !strncmp(insn, "xor", 3))
		return FL_ALL6 & ~FL_AF;
	if (!strncmp(insn, "bt", 2))
		return FL_CF;
	return FL_ALL6;
}

int main(void)
{
	for (size_t i = 0; i < ARRAY_LEN(vals); i++)
		for (size_t j = 0; j < ARRAY_LEN(vals); j += 3) {
			xadd_b(vals[i], vals[j]);
			xadd_w(vals[i], vals[j]);
			xadd_l(vals[i], vals[j]);
#ifdef __x86_64__
			xadd_q(vals[i], vals[j]);
#endif
		}
	for (size_t i = 0; i < ARRAY_LEN(vals); i++)
		for (size_t j = 0; j < ARRAY_LEN(vals); j += 2) {
			uint64_t n = 0x5a5a5a5a5a5a5a5aull;
			cmpxchg_b(vals[i], vals[j], n);
			cmpxchg_w(vals[i], vals[j], n);
			cmpxchg_l(vals[i], vals[j], n);
#ifdef __x86_64__
			cmpxchg_q(vals[i], vals[j], n);
#endif
		}
	cx8(0x0123456789abcdefull, 0x0123456789abcdefull, 0xfedcba9876543210ull);
	cx8(0x0123456789abcdefull, 0x0123456789abcdeeull, 0xfedcba9876543210ull);
	cx8(0x0123456789abcdefull, 0x1123456789abcdefull, 0xfedcba9876543210ull);
	cx8(0, 0, ~0ull);
#ifdef __x86_64__
	cx16(1, 2, 1, 2, 0xaaaa, 0xbbbb);
	cx16(1, 2, 1, 3, 0xaaaa, 0xbbbb);
	cx16(1, 2, 0, 2, 0xaaaa, 0xbbbb);
	cx16(~0ull, ~0ull, ~0ull, ~0ull, 0, 0);
#else
	printf("cmpxchg16b: x86-64 only\n");
#endif
	/* xchg register/register and register/memory */
	{
		unsigned long a = 0x11111111, b = 0x22222222, m = 0x33333333, *p = &m;
		__asm__ volatile("xchg %0, %1" : "+r"(a), "+r"(b));
		__asm__ volatile("xchg %0, (%1)" : "+r"(a), "+r"(p)::"memory");
		printf("xchg: a=%lx b=%lx m=%lx\n", a, b, m);
		uint16_t w1 = 0x1234, w2 = 0xabcd;
		uint8_t b1 = 0x12, b2 = 0xef;
		__asm__ volatile("xchg %0, %1" : "+r"(w1), "+r"(w2));
		__asm__ volatile("xchg %0, %1" : "+q"(b1), "+q"(b2));
		printf("xchg16: %04x %04x xchg8: %02x %02x\n", w1, w2, b1, b2);
		uint32_t eax = 0xaaaa, other = 0xbbbb;
		__asm__ volatile("xchg %%eax, %1" : "+a"(eax), "+r"(other));
		printf("xchg eax: %x %x\n", eax, other);
	}
	/* lock-prefixed RMW instructions on memory */
	{
		uint32_t m = 0x7ffffffe, *p = &m;
		unsigned long f, fin = FIN_CLEAR;
#define LOCKOP(I)                                                                     \
	__asm__ volatile(RZ_IN SETFL "lock " I "\n\t" GETFL RZ_OUT                    \
			 : [fout] "=r"(f)                                             \
			 : [p] "r"(p), [fin] "r"(fin)                                 \
			 : "cc", "memory");                                           \
	printf("lock %-20s: %08x", I, m);                                             \
	pflags(f, lockdef(I));                                                        \
	putchar('\n');
		LOCKOP("incl (%[p])") LOCKOP("incl (%[p])") LOCKOP("addl $5, (%[p])")
		LOCKOP("subl $0x10, (%[p])") LOCKOP("andl $0xf0f0f0f0, (%[p])")
		LOCKOP("orl $0x3, (%[p])") LOCKOP("xorl $-1, (%[p])") LOCKOP("decl (%[p])")
		LOCKOP("negl (%[p])") LOCKOP("notl (%[p])") LOCKOP("adcl $1, (%[p])")
		LOCKOP("sbbl $1, (%[p])") LOCKOP("btsl $4, (%[p])") LOCKOP("btrl $31, (%[p])")
	}
	/* gcc atomic builtins */
	{
		long v = 10;
		long old = __atomic_fetch_add(&v, 5, __ATOMIC_SEQ_CST);
		long exp = 15;
		int ok = __atomic_compare_exchange_n(&v, &exp, 99, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		long long ll = 0x100000000ll;
		long long llold = __atomic_fetch_add(&ll, 0xffffffffll, __ATOMIC_SEQ_CST);
		printf("builtins: old=%ld ok=%d v=%ld ll=%llx llold=%llx\n", old, ok, v, ll, llold);
	}
	return 0;
}
