// mul/imul (1, 2 and 3 operand forms) and div/idiv in all sizes.
// After mul/imul only CF and OF are defined; after div all flags are undefined.
// Quotient overflow cases live in divfault.c.
#include "gt.h"

#define MULDEF (FL_CF | FL_OF)

/* one-operand forms: result hi:lo */
#define DEF_MUL1(OP, BITS, T, LO, HI)                                                           \
	static void OP##BITS(uint64_t a_, uint64_t b_, uint64_t *lo, uint64_t *hi, unsigned long *fo) \
	{                                                                                       \
		T a = (T)a_, b = (T)b_, d = 0;                                                  \
		unsigned long f, fin = FIN_CLEAR;                                               \
		__asm__ volatile(RZ_IN SETFL #OP " %[b]\n\t" GETFL RZ_OUT                       \
				 : "+a"(a), "+d"(d), [fout] "=r"(f)                             \
				 : [b] "r"(b), [fin] "r"(fin)                                   \
				 : "cc", "memory");                                             \
		*lo = a;                                                                        \
		*hi = d;                                                                        \
		*fo = f;                                                                        \
	}
DEF_MUL1(mul, 16, uint16_t, , )
DEF_MUL1(mul, 32, uint32_t, , )
DEF_MUL1(imul, 16, uint16_t, , )
DEF_MUL1(imul, 32, uint32_t, , )
#ifdef __x86_64__
DEF_MUL1(mul, 64, uint64_t, , )
DEF_MUL1(imul, 64, uint64_t, , )
#endif
/* 8-bit: AX = AL * r/m8 */
#define DEF_MUL8(OP)                                                                            \
	static void OP##8(uint64_t a_, uint64_t b_, uint64_t *lo, uint64_t *hi, unsigned long *fo) \
	{                                                                                       \
		uint16_t a = (uint8_t)a_;                                                       \
		uint8_t b = (uint8_t)b_;                                                        \
		unsigned long f, fin = FIN_SET;                                                 \
		__asm__ volatile(RZ_IN SETFL #OP "b %[b]\n\t" GETFL RZ_OUT                      \
				 : "+a"(a), [fout] "=r"(f)                                      \
				 : [b] "q"(b), [fin] "r"(fin)                                   \
				 : "cc", "memory");                                             \
		*lo = a & 0xff;                                                                 \
		*hi = a >> 8;                                                                   \
		*fo = f;                                                                        \
	}
DEF_MUL8(mul)
DEF_MUL8(imul)

/* two-operand imul r, r/m */
#define DEF_IMUL2(BITS, T)                                                                      \
	static uint64_t imul2_##BITS(uint64_t a_, uint64_t b_, unsigned long *fo)               \
	{                                                                                       \
		T a = (T)a_, b = (T)b_;                                                         \
		unsigned long f, fin = FIN_CLEAR;                                               \
		__asm__ volatile(RZ_IN SETFL "imul %[b], %[a]\n\t" GETFL RZ_OUT                 \
				 : [a] "+r"(a), [fout] "=r"(f)                                  \
				 : [b] "r"(b), [fin] "r"(fin)                                   \
				 : "cc", "memory");                                             \
		*fo = f;                                                                        \
		return a;                                                                       \
	}
DEF_IMUL2(16, uint16_t)
DEF_IMUL2(32, uint32_t)
#ifdef __x86_64__
DEF_IMUL2(64, uint64_t)
#endif

/* division: returns quotient and remainder */
#define DEF_DIV(OP, BITS, T)                                                                    \
	static void OP##BITS(uint64_t hi_, uint64_t lo_, uint64_t d_, uint64_t *q, uint64_t *r) \
	{                                                                                       \
		T lo = (T)lo_, hi = (T)hi_, d = (T)d_;                                          \
		__asm__ volatile(#OP " %[d]" : "+a"(lo), "+d"(hi) : [d] "r"(d) : "cc");         \
		*q = lo;                                                                        \
		*r = hi;                                                                        \
	}
DEF_DIV(div, 16, uint16_t)
DEF_DIV(div, 32, uint32_t)
DEF_DIV(idiv, 16, uint16_t)
DEF_DIV(idiv, 32, uint32_t)
#ifdef __x86_64__
DEF_DIV(div, 64, uint64_t)
DEF_DIV(idiv, 64, uint64_t)
#endif
#define DEF_DIV8(OP)                                                                            \
	static void OP##8(uint64_t hi_, uint64_t lo_, uint64_t d_, uint64_t *q, uint64_t *r)    \
	{                                                                                       \
		uint16_t ax = (uint16_t)(((hi_ & 0xff) << 8) | (lo_ & 0xff));                   \
		uint8_t d = (uint8_t)d_;                                                        \
		__asm__ volatile(#OP "b %[d]" : "+a"(ax) : [d] "q"(d) : "cc");                  \
		*q = ax & 0xff;                                                                 \
		*r = ax >> 8;                                                                   \
	}
DEF_DIV8(div)
DEF_DIV8(idiv)

static const uint64_t vals[] = {0, 1, 2, 3, 7, 0x7f, 0x80, 0x81, 0xff, 0x7fff, 0x8000, 0xffff,
				0x7fffffff, 0x80000000, 0xffffffff, 0x7fffffffffffffffull,
				0x8000000000000000ull, 0xffffffffffffffffull, 0x0123456789abcdefull,
				0xfedcba9876543210ull};

static int64_t sext(uint64_t v, int bits)
{
	if (bits == 64)
		return (int64_t)v;
	uint64_t m = 1ull << (bits - 1);
	v &= (m << 1) - 1;
	return (int64_t)((v ^ m) - m);
}

/* does the (hi:lo)/d division fit? (computed in C, never faults) */
static int div_ok(int sign, int bits, uint64_t hi, uint64_t lo, uint64_t d)
{
	uint64_t mask = bits == 64 ? ~0ull : (1ull << bits) - 1;
	hi &= mask;
	lo &= mask;
	d &= mask;
	if (d == 0)
		return 0;
#ifdef __x86_64__
	typedef unsigned __int128 u128;
	typedef __int128 s128;
	u128 n = ((u128)hi << bits) | lo;
	if (bits == 64)
		n = ((u128)hi << 64) | lo;
	if (!sign)
		return (n / d) <= mask;
	s128 sn;
	if (bits == 64)
		sn = (s128)n;
	else {
		int64_t h = sext(hi, bits);
		sn = (s128)h * ((s128)1 << bits) + (s128)lo;
	}
	s128 q = sn / (s128)sext(d, bits);
	s128 lim = (s128)1 << (bits - 1);
	return q >= -lim && q < lim;
#else
	if (bits == 64)
		return 0;
	uint64_t n = (hi << bits) | lo;
	if (!sign)
		return (n / d) <= mask;
	int64_t sn = sext(hi, bits) * (int64_t)(1ull << bits) + (int64_t)lo;
	int64_t q = sn / sext(d, bits);
	int64_t lim = (int64_t)1 << (bits - 1);
	return q >= -lim && q < lim;
#endif
}

/* has the masked value vals[i] already appeared at an earlier index? */
static int seen(const uint64_t *v, size_t i, uint64_t mask)
{
	for (size_t k = 0; k < i; k++)
		if ((v[k] & mask) == (v[i] & mask))
			return 1;
	return 0;
}

typedef void (*mulfn)(uint64_t, uint64_t, uint64_t *, uint64_t *, unsigned long *);
typedef void (*divfn)(uint64_t, uint64_t, uint64_t, uint64_t *, uint64_t *);

int main(void)
{
	int nsizes = ARCH_BITS == 64 ? 4 : 3;
#ifdef __x86_64__
	mulfn mfn[2][4] = {{mul8, mul16, mul32, mul64}, {imul8, imul16, imul32, imul64}};
	divfn dfn[2][4] = {{div8, div16, div32, div64}, {idiv8, idiv16, idiv32, idiv64}};
#else
	mulfn mfn[2][4] = {{mul8, mul16, mul32, 0}, {imul8, imul16, imul32, 0}};
	divfn dfn[2][4] = {{div8, div16, div32, 0}, {idiv8, idiv16, idiv32, 0}};
#endif
	static const char *mn[2] = {"mul", "imul"}, *dn[2] = {"div", "idiv"};
	static const uint64_t his[] = {0, 1, 0x7f, 0xffffffffffffffffull, 0x12345};

	for (int op = 0; op < 2; op++)
		for (int s = 0; s < nsizes; s++) {
			int bits = 8 << s, w = hexw(bits);
			uint64_t mask = bits == 64 ? ~0ull : (1ull << bits) - 1;
			for (size_t i = 0; i < ARRAY_LEN(vals); i++)
				for (size_t j = 0; j < ARRAY_LEN(vals); j++) {
					uint64_t a = vals[i] & mask, b = vals[j] & mask, lo, hi;
					unsigned long f;
					if (seen(vals, i, mask) || seen(vals, j, mask))
						continue;
					mfn[op][s](a, b, &lo, &hi, &f);
					printf("%s%d %0*llx %0*llx: %0*llx:%0*llx", mn[op], bits, w,
					       (unsigned long long)a, w, (unsigned long long)b, w,
					       (unsigned long long)hi, w, (unsigned long long)lo);
					pflags(f, MULDEF);
					putchar('\n');
				}
		}
	for (int s = 1; s < nsizes; s++) {
		int bits = 8 << s, w = hexw(bits);
		uint64_t mask = bits == 64 ? ~0ull : (1ull << bits) - 1;
		for (size_t i = 0; i < ARRAY_LEN(vals); i += 2)
			for (size_t j = 0; j < ARRAY_LEN(vals); j++) {
				uint64_t a = vals[i] & mask, b = vals[j] & mask, r = 0;
				unsigned long f = 0;
				if (seen(vals, i, mask) || seen(vals, j, mask))
					continue;
				if (bits == 16)
					r = imul2_16(a, b, &f);
				else if (bits == 32)
					r = imul2_32(a, b, &f);
#ifdef __x86_64__
				else
					r = imul2_64(a, b, &f);
#endif
				printf("imul2_%d %0*llx %0*llx: %0*llx", bits, w, (unsigned long long)a, w,
				       (unsigned long long)b, w, (unsigned long long)r);
				pflags(f, MULDEF);
				putchar('\n');
			}
	}
	/* three-operand imul with imm8 and imm32 */
	for (size_t i = 0; i < ARRAY_LEN(vals); i++) {
		uint32_t a = (uint32_t)vals[i], r;
		uint16_t a16 = (uint16_t)vals[i], r16;
		unsigned long f, fin = FIN_CLEAR;
#define IMUL3(IMM)                                                                             \
	__asm__ volatile(RZ_IN SETFL "imul $" #IMM ", %[a], %[r]\n\t" GETFL RZ_OUT             \
			 : [r] "=&r"(r), [fout] "=r"(f)                                        \
			 : [a] "r"(a), [fin] "r"(fin)                                          \
			 : "cc", "memory");                                                    \
	printf("imul3_32 %08x * %s: %08x", a, #IMM, r);                                        \
	pflags(f, MULDEF);                                                                     \
	putchar('\n');
		IMUL3(3) IMUL3(-1) IMUL3(127) IMUL3(-128) IMUL3(0x7fffffff) IMUL3(-0x80000000)
		IMUL3(0x10001)
		__asm__ volatile(RZ_IN SETFL "imul $-3, %[a], %[r]\n\t" GETFL RZ_OUT
				 : [r] "=&r"(r16), [fout] "=r"(f)
				 : [a] "r"(a16), [fin] "r"(fin)
				 : "cc", "memory");
		printf("imul3_16 %04x * -3: %04x", a16, r16);
		pflags(f, MULDEF);
		putchar('\n');
#ifdef __x86_64__
		uint64_t a64 = vals[i], r64;
		__asm__ volatile(RZ_IN SETFL "imul $-0x12345678, %[a], %[r]\n\t" GETFL RZ_OUT
				 : [r] "=&r"(r64), [fout] "=r"(f)
				 : [a] "r"(a64), [fin] "r"(fin)
				 : "cc", "memory");
		printf("imul3_64 %016llx * -0x12345678: %016llx", (unsigned long long)a64,
		       (unsigned long long)r64);
		pflags(f, MULDEF);
		putchar('\n');
#endif
	}
	/* division */
	for (int op = 0; op < 2; op++)
		for (int s = 0; s < nsizes; s++) {
			int bits = 8 << s, w = hexw(bits);
			uint64_t mask = bits == 64 ? ~0ull : (1ull << bits) - 1;
			for (size_t h = 0; h < ARRAY_LEN(his); h++)
				for (size_t i = 0; i < ARRAY_LEN(vals); i++)
					for (size_t j = 0; j < ARRAY_LEN(vals); j++) {
						uint64_t hi = his[h] & mask, lo = vals[i] & mask, d = vals[j] & mask;
						uint64_t q, r;
						if (seen(vals, i, mask) || seen(vals, j, mask) || seen(his, h, mask))
							continue;
						if (!div_ok(op, bits, hi, lo, d))
							continue;
						dfn[op][s](hi, lo, d, &q, &r);
						printf("%s%d %0*llx:%0*llx / %0*llx = %0*llx r %0*llx\n", dn[op],
						       bits, w, (unsigned long long)hi, w, (unsigned long long)lo, w,
						       (unsigned long long)d, w, (unsigned long long)q, w,
						       (unsigned long long)r);
					}
		}
	return 0;
}
