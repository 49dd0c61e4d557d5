// Integer add/adc/sub/sbb/cmp/neg over edge values in all sizes with flags.
#include "gt.h"

typedef uint64_t (*binfn)(uint64_t, uint64_t, unsigned long, unsigned long *);

#define DEF_BIN(OP, BITS, T)                                                   \
	static uint64_t OP##BITS(uint64_t a_, uint64_t b_, unsigned long fin,  \
				 unsigned long *fo)                            \
	{                                                                      \
		T a = (T)a_, b = (T)b_;                                        \
		unsigned long f;                                               \
		__asm__ volatile(RZ_IN SETFL #OP " %[b], %[a]\n\t" GETFL RZ_OUT \
				 : [a] "+q"(a), [fout] "=r"(f)                 \
				 : [b] "q"(b), [fin] "r"(fin)                  \
				 : "cc", "memory");                            \
		*fo = f;                                                       \
		return a;                                                      \
	}
#ifdef __x86_64__
#define DEF_BIN_ALL(OP)                                                        \
	DEF_BIN(OP, 8, uint8_t)                                                \
	DEF_BIN(OP, 16, uint16_t)                                              \
	DEF_BIN(OP, 32, uint32_t) DEF_BIN(OP, 64, uint64_t)
#define FN4(OP) {OP##8, OP##16, OP##32, OP##64}
#else
#define DEF_BIN_ALL(OP)                                                        \
	DEF_BIN(OP, 8, uint8_t)                                                \
	DEF_BIN(OP, 16, uint16_t) DEF_BIN(OP, 32, uint32_t)
#define FN4(OP) {OP##8, OP##16, OP##32, 0}
#endif

DEF_BIN_ALL(add)
DEF_BIN_ALL(adc)
DEF_BIN_ALL(sub)
DEF_BIN_ALL(sbb)
DEF_BIN_ALL(cmp)

/* neg as a unary op (b ignored) */
#define DEF_NEG(BITS, T)                                                       \
	static uint64_t neg##BITS(uint64_t a_, uint64_t b_, unsigned long fin, \
				  unsigned long *fo)                           \
	{                                                                      \
		T a = (T)a_;                                                   \
		unsigned long f;                                               \
		(void)b_;                                                      \
		__asm__ volatile(RZ_IN SETFL "neg %[a]\n\t" GETFL RZ_OUT       \
				 : [a] "+q"(a), [fout] "=r"(f)                 \
				 : [fin] "r"(fin)                              \
				 : "cc", "memory");                            \
		*fo = f;                                                       \
		return a;                                                      \
	}
DEF_NEG(8, uint8_t)
DEF_NEG(16, uint16_t)
DEF_NEG(32, uint32_t)
#ifdef __x86_64__
DEF_NEG(64, uint64_t)
#endif

static const uint64_t v8[] = {0, 1, 2, 0x0f, 0x10, 0x7f, 0x80, 0x81, 0xfe, 0xff};
static const uint64_t v16[] = {0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0x8001, 0xfffe, 0xffff};
static const uint64_t v32[] = {0, 1, 0x7f, 0x80, 0xffff, 0x10000, 0x7fffffff, 0x80000000,
			       0x80000001, 0xfffffffe, 0xffffffff, 0x12345678};
static const uint64_t v64[] = {0, 1, 0x7f, 0xffffffff, 0x100000000ull, 0x7fffffffffffffffull,
			       0x8000000000000000ull, 0x8000000000000001ull, 0xfffffffffffffffeull,
			       0xffffffffffffffffull, 0x0123456789abcdefull};

struct op {
	const char *name;
	binfn fn[4];
	int unary;
};

int main(void)
{
	const struct op ops[] = {
		{"add", FN4(add), 0}, {"adc", FN4(adc), 0}, {"sub", FN4(sub), 0},
		{"sbb", FN4(sbb), 0}, {"cmp", FN4(cmp), 0}, {"neg", FN4(neg), 1},
	};
	const uint64_t *vals[4] = {v8, v16, v32, v64};
	const size_t nv[4] = {ARRAY_LEN(v8), ARRAY_LEN(v16), ARRAY_LEN(v32), ARRAY_LEN(v64)};
	const unsigned long fins[2] = {FIN_CLEAR, FIN_SET};
	int nsizes = ARCH_BITS == 64 ? 4 : 3;

	for (size_t o = 0; o < ARRAY_LEN(ops); o++) {
		for (int s = 0; s < nsizes; s++) {
			int bits = 8 << s;
			int w = hexw(bits);
			for (size_t i = 0; i < nv[s]; i++) {
				for (size_t j = 0; j < (ops[o].unary ? 1 : nv[s]); j++) {
					for (int k = 0; k < 2; k++) {
						unsigned long f;
						uint64_t a = vals[s][i], b = vals[s][j];
						uint64_t r = ops[o].fn[s](a, b, fins[k], &f);
						if (ops[o].unary)
							printf("%s%d %0*llx %s: %0*llx", ops[o].name, bits, w,
							       (unsigned long long)a, fin_name(fins[k]), w,
							       (unsigned long long)r);
						else
							printf("%s%d %0*llx %0*llx %s: %0*llx", ops[o].name, bits,
							       w, (unsigned long long)a, w, (unsigned long long)b,
							       fin_name(fins[k]), w, (unsigned long long)r);
						pflags(f, FL_ALL6);
						putchar('\n');
					}
				}
			}
		}
	}
	return 0;
}
