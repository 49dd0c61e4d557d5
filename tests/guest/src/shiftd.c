// Double-precision shifts shld/shrd (CL and imm8, reg and mem) in 16/32/64
// bits. Results/flags for count > operand size are undefined: not printed.
#include "gt.h"

typedef uint64_t (*shdfn)(uint64_t, uint64_t, unsigned, unsigned long, unsigned long *);

#define DEF_SHD(OP, BITS, T)                                                                 \
	static uint64_t OP##BITS(uint64_t a_, uint64_t b_, unsigned cnt, unsigned long fin,  \
				 unsigned long *fo)                                          \
	{                                                                                    \
		T a = (T)a_, b = (T)b_;                                                      \
		uint8_t c = (uint8_t)cnt;                                                    \
		unsigned long f;                                                             \
		__asm__ volatile(RZ_IN SETFL #OP " %%cl, %[b], %[a]\n\t" GETFL RZ_OUT        \
				 : [a] "+r"(a), [fout] "=r"(f)                               \
				 : [b] "r"(b), "c"(c), [fin] "r"(fin)                        \
				 : "cc", "memory");                                          \
		*fo = f;                                                                     \
		return a;                                                                    \
	}
DEF_SHD(shld, 16, uint16_t)
DEF_SHD(shld, 32, uint32_t)
DEF_SHD(shrd, 16, uint16_t)
DEF_SHD(shrd, 32, uint32_t)
#ifdef __x86_64__
DEF_SHD(shld, 64, uint64_t)
DEF_SHD(shrd, 64, uint64_t)
#endif

/* returns 0 if the result is undefined (don't print) */
static int defined(int bits, unsigned cnt, unsigned *d)
{
	unsigned mc = cnt & (bits == 64 ? 63 : 31);
	if (mc == 0) {
		*d = FL_ALL6;
		return 1;
	}
	if (mc > (unsigned)bits)
		return 0;
	*d = FL_CF | FL_PF | FL_ZF | FL_SF;
	if (mc == 1)
		*d |= FL_OF;
	return 1;
}

static const uint64_t vals[] = {0, 1, 0x8000000000000001ull, 0x7fffffffffffffffull,
				0xa55a3cc30ff0f00full, 0xffffffffffffffffull, 0x0123456789abcdefull};
static const unsigned counts[] = {0, 1, 2, 4, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 48, 63, 64, 65};

int main(void)
{
	const struct {
		const char *name;
		shdfn fn[3];
	} ops[] = {
#ifdef __x86_64__
		{"shld", {shld16, shld32, shld64}}, {"shrd", {shrd16, shrd32, shrd64}},
#else
		{"shld", {shld16, shld32, 0}}, {"shrd", {shrd16, shrd32, 0}},
#endif
	};
	int nsizes = ARCH_BITS == 64 ? 3 : 2;
	for (size_t o = 0; o < ARRAY_LEN(ops); o++)
		for (int s = 0; s < nsizes; s++) {
			int bits = 16 << s, w = hexw(bits);
			uint64_t mask = bits == 64 ? ~0ull : (1ull << bits) - 1;
			for (size_t i = 0; i < ARRAY_LEN(vals); i++)
				for (size_t j = 0; j < ARRAY_LEN(vals); j += 2)
					for (size_t c = 0; c < ARRAY_LEN(counts); c++)
						for (int k = 0; k < 2; k++) {
							unsigned long fin = k ? FIN_SET : FIN_CLEAR, f;
							unsigned d;
							uint64_t a = vals[i] & mask, b = vals[j] & mask;
							if (!defined(bits, counts[c], &d))
								continue;
							uint64_t r = ops[o].fn[s](a, b, counts[c], fin, &f);
							printf("%s%d %0*llx %0*llx cl=%u %s: %0*llx", ops[o].name, bits,
							       w, (unsigned long long)a, w, (unsigned long long)b,
							       counts[c], fin_name(fin), w, (unsigned long long)r);
							pflags(f, d);
							putchar('\n');
						}
		}

	/* immediate count and memory destination forms */
	for (int k = 0; k < 2; k++) {
		unsigned long fin = k ? FIN_SET : FIN_CLEAR, f;
		uint32_t m, b = 0xdeadbeef, *p = &m;
		uint16_t a16, b16 = 0xbeef;
		unsigned d;
#define IMM32(OP, N)                                                                     \
	m = 0x81234567;                                                                  \
	__asm__ volatile(RZ_IN SETFL OP " $" #N ", %[b], (%[p])\n\t" GETFL RZ_OUT        \
			 : [fout] "=r"(f)                                                \
			 : [b] "r"(b), [p] "r"(p), [fin] "r"(fin)                        \
			 : "cc", "memory");                                              \
	defined(32, N, &d);                                                              \
	printf("%s mem $%d %s: %08x", OP, N, fin_name(fin), m);                          \
	pflags(f, d);                                                                    \
	putchar('\n');
#define IMM16(OP, N)                                                                     \
	a16 = 0x8123;                                                                    \
	__asm__ volatile(RZ_IN SETFL OP " $" #N ", %[b], %[a]\n\t" GETFL RZ_OUT          \
			 : [fout] "=r"(f), [a] "+r"(a16)                                 \
			 : [b] "r"(b16), [fin] "r"(fin)                                  \
			 : "cc", "memory");                                              \
	defined(16, N, &d);                                                              \
	printf("%s r16 $%d %s: %04x", OP, N, fin_name(fin), a16);                        \
	pflags(f, d);                                                                    \
	putchar('\n');
		IMM32("shldl", 0) IMM32("shldl", 1) IMM32("shldl", 12) IMM32("shldl", 31)
		IMM32("shldl", 32) IMM32("shldl", 35) IMM32("shrdl", 1) IMM32("shrdl", 8)
		IMM32("shrdl", 31) IMM32("shrdl", 33)
		IMM16("shldw", 1) IMM16("shldw", 4) IMM16("shldw", 15) IMM16("shldw", 16)
		IMM16("shrdw", 1) IMM16("shrdw", 9) IMM16("shrdw", 16)
	}
	return 0;
}
