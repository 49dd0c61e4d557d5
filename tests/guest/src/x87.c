// gemu-test: dyn=1
// x87 FPU instructions via inline asm: arithmetic under every precision and
// rounding control setting, fsqrt, frndint, fprem/fprem1, fscale, fxtract,
// fxam, ftst, fcomi/fucomi flags, fist/fistp (16/32/64, out of range),
// fbstp/fbld, constants, status word exception flags.
#include "gt.h"

static void pld(long double v)
{
	unsigned char b[16];
	uint64_t m;
	uint16_t se;
	memcpy(b, &v, 10);
	memcpy(&m, b, 8);
	memcpy(&se, b + 8, 2);
	printf("%04x:%016llx", se, (unsigned long long)m);
}

static uint16_t fstsw(void)
{
	uint16_t sw;
	__asm__ volatile("fnstsw %0" : "=a"(sw));
	return sw;
}

static void fclex(void) { __asm__ volatile("fnclex"); }

static void setcw(uint16_t cw) { __asm__ volatile("fldcw %0" : : "m"(cw)); }

/* exception flags (IE DE ZE OE UE PE) and C1 */
static void pex(void)
{
	uint16_t sw = fstsw();
	printf(" ex=%02x c1=%d", sw & 0x3f, (sw >> 9) & 1);
}

static volatile long double V[16];
static const char *vn[] = {"1", "-1", "0", "-0", "1/3", "pi", "huge", "denorm", "inf", "-inf",
			   "nan", "2^63", "-2.5", "1e19", "0.5", "7"};

static void init(void)
{
	volatile long double one = 1.0L, three = 3.0L;
	V[0] = 1.0L;
	V[1] = -1.0L;
	V[2] = 0.0L;
	V[3] = -0.0L;
	V[4] = one / three;
	V[5] = 3.14159265358979323846264338327950288L;
	V[6] = 1.0e4000L;
	V[7] = 3.0e-4940L;
	V[8] = __builtin_infl();
	V[9] = -__builtin_infl();
	V[10] = __builtin_nanl("");
	V[11] = 9223372036854775808.0L;
	V[12] = -2.5L;
	V[13] = 1e19L;
	V[14] = 0.5L;
	V[15] = 7.0L;
}

#define NV 16

int main(void)
{
	init();
	static const uint16_t pcs[] = {0x000, 0x200, 0x300}; /* 24, 53, 64 bit */
	static const char *rcn[] = {"near", "down", "up", "zero"};
	for (int pc = 0; pc < 3; pc++)
		for (int rc = 0; rc < 4; rc++) {
			uint16_t cw = (uint16_t)(0x037f & ~0x300) | pcs[pc] | (uint16_t)(rc << 10);
			printf("== pc=%d rc=%s\n", pc == 0 ? 24 : pc == 1 ? 53 : 64, rcn[rc]);
			for (int i = 0; i < NV; i += (pc == 2 ? 1 : 3))
				for (int j = 0; j < NV; j += (pc == 2 ? 1 : 2)) {
					long double a = V[i], b = V[j], r;
					setcw(cw);
					fclex();
#define BIN(N, I)                                                                    \
	__asm__ volatile(I : "=t"(r) : "0"(a), "u"(b));                              \
	printf("%s %s %s: ", N, vn[i], vn[j]);                                      \
	pld(r);                                                                      \
	pex();                                                                       \
	putchar('\n');                                                               \
	fclex();
					BIN("fadd", "fadd %%st(1), %%st")
					BIN("fsub", "fsub %%st(1), %%st")
					BIN("fmul", "fmul %%st(1), %%st")
					BIN("fdiv", "fdiv %%st(1), %%st")
					setcw(0x037f);
				}
			for (int i = 0; i < NV; i++) {
				long double a = V[i], r;
				setcw(cw);
				fclex();
#define UN(N, I)                                                                     \
	__asm__ volatile(I : "=t"(r) : "0"(a));                                      \
	printf("%s %s: ", N, vn[i]);                                                 \
	pld(r);                                                                      \
	pex();                                                                       \
	putchar('\n');                                                               \
	fclex();
				UN("fsqrt", "fsqrt")
				UN("frndint", "frndint")
				setcw(0x037f);
			}
			setcw(cw);
			long double c;
#define CONST(I)                                         \
	__asm__ volatile(I : "=t"(c));                   \
	printf("%s: ", I);                               \
	pld(c);                                          \
	putchar('\n');
			CONST("fld1") CONST("fldz") CONST("fldpi") CONST("fldl2e") CONST("fldl2t")
			CONST("fldlg2") CONST("fldln2")
			setcw(0x037f);
		}
	/* unary ops that don't depend on rounding */
	for (int i = 0; i < NV; i++) {
		long double a = V[i], r, r2;
		fclex();
		UN("fabs", "fabs")
		UN("fchs", "fchs")
		__asm__ volatile("fxtract" : "=t"(r), "=u"(r2) : "0"(a));
		printf("fxtract %s: ", vn[i]);
		pld(r);
		putchar(' ');
		pld(r2);
		pex();
		putchar('\n');
		fclex();
		uint16_t sw;
		__asm__ volatile("fxam\n\tfnstsw %0" : "=a"(sw) : "t"(a));
		printf("fxam %s: c3=%d c2=%d c1=%d c0=%d\n", vn[i], (sw >> 14) & 1, (sw >> 10) & 1,
		       (sw >> 9) & 1, (sw >> 8) & 1);
		__asm__ volatile("ftst\n\tfnstsw %0" : "=a"(sw) : "t"(a));
		printf("ftst %s: c3=%d c2=%d c0=%d ie=%d\n", vn[i], (sw >> 14) & 1, (sw >> 10) & 1,
		       (sw >> 8) & 1, sw & 1);
		fclex();
	}
	/* fprem / fprem1 loops until C2 clear; fscale */
	{
		static const long double xs[] = {10.0L, -10.0L, 1e300L, 7.5L, -7.5L, 1e4000L, 5.0L};
		static const long double ys[] = {3.0L, -3.0L, 2.0L, 0.7L, 1e-300L};
		for (size_t i = 0; i < ARRAY_LEN(xs); i++)
			for (size_t j = 0; j < ARRAY_LEN(ys); j++) {
				long double r = xs[i], r1 = xs[i], y = ys[j];
				uint16_t sw;
				int it = 0, it1 = 0;
				do {
					__asm__ volatile("fprem\n\tfnstsw %1" : "+t"(r), "=a"(sw) : "u"(y));
					it++;
				} while ((sw & 0x400) && it < 10000);
				printf("fprem x%zu y%zu: ", i, j);
				pld(r);
				printf(" q=%d%d%d iters=%d", (sw >> 8) & 1, (sw >> 14) & 1, (sw >> 9) & 1, it);
				do {
					__asm__ volatile("fprem1\n\tfnstsw %1" : "+t"(r1), "=a"(sw) : "u"(y));
					it1++;
				} while ((sw & 0x400) && it1 < 10000);
				printf(" fprem1: ");
				pld(r1);
				printf(" q=%d%d%d iters=%d\n", (sw >> 8) & 1, (sw >> 14) & 1, (sw >> 9) & 1, it1);
			}
		static const long double sc[] = {0.0L, 1.0L, -1.0L, 2.9L, -2.9L, 100.0L, -16500.0L, 20000.0L};
		for (size_t i = 0; i < ARRAY_LEN(sc); i++) {
			long double r = 1.5L;
			fclex();
			__asm__ volatile("fscale" : "+t"(r) : "u"(sc[i]));
			printf("fscale 1.5 %zu: ", i);
			pld(r);
			pex();
			putchar('\n');
			fclex();
		}
	}
	/* comparisons */
	for (int i = 0; i < NV; i += 2)
		for (int j = 0; j < NV; j += 3) {
			long double a = V[i], b = V[j];
			unsigned long f, fin = FIN_SET;
			uint16_t sw;
			fclex();
			__asm__ volatile(RZ_IN SETFL "fucomi %%st(1), %%st\n\t" GETFL RZ_OUT
					 : [fout] "=r"(f)
					 : "t"(a), "u"(b), [fin] "r"(fin)
					 : "cc", "memory");
			printf("fucomi %s %s:", vn[i], vn[j]);
			pflags(f, FL_ALL6);
			pex();
			fclex();
			__asm__ volatile(RZ_IN SETFL "fcomi %%st(1), %%st\n\t" GETFL RZ_OUT
					 : [fout] "=r"(f)
					 : "t"(a), "u"(b), [fin] "r"(fin)
					 : "cc", "memory");
			printf(" | fcomi");
			pflags(f, FL_ALL6);
			pex();
			fclex();
			__asm__ volatile("fcom %%st(1)\n\tfnstsw %0" : "=a"(sw) : "t"(a), "u"(b));
			printf(" | fcom c3=%d c2=%d c0=%d", (sw >> 14) & 1, (sw >> 10) & 1, (sw >> 8) & 1);
			pex();
			putchar('\n');
			fclex();
		}
	/* integer stores with each rounding mode, including out-of-range */
	{
		static const long double iv[] = {0.5L, 1.5L, 2.5L, -0.5L, -1.5L, -2.5L, 32767.5L, 32768.0L,
						 -32768.5L, 2147483647.5L, -2147483648.0L, 2147483648.0L,
						 9.2233720368547758e18L, -9223372036854775808.0L, 1e30L};
		for (int rc = 0; rc < 4; rc++)
			for (size_t i = 0; i < ARRAY_LEN(iv); i++) {
				int16_t s16;
				int32_t s32;
				int64_t s64;
				uint16_t cw = (uint16_t)(0x037f | (rc << 10));
				long double v = iv[i];
				setcw(cw);
				fclex();
				__asm__ volatile("fists %0" : "=m"(s16) : "t"(v));
				__asm__ volatile("fistl %0" : "=m"(s32) : "t"(v));
				__asm__ volatile("fistpll %0" : "=m"(s64) : "t"(v) : "st");
				uint16_t sw = fstsw();
				setcw(0x037f);
				printf("fist %s %zu: %d %d %lld ie=%d pe=%d\n", rcn[rc], i, s16, s32, (long long)s64,
				       sw & 1, (sw >> 5) & 1);
				fclex();
			}
		for (int i = 0; i < 4; i++) {
			int16_t a16 = (int16_t)(-32768 + i * 12345);
			int32_t a32 = (int32_t)(0x80000000u + (unsigned)i * 0x12345678u);
			int64_t a64 = (int64_t)(0x8000000000000001ull * (unsigned)(i + 1));
			long double r1, r2, r3;
			__asm__ volatile("filds %1" : "=t"(r1) : "m"(a16));
			__asm__ volatile("fildl %1" : "=t"(r2) : "m"(a32));
			__asm__ volatile("fildll %1" : "=t"(r3) : "m"(a64));
			printf("fild %d: ", i);
			pld(r1);
			putchar(' ');
			pld(r2);
			putchar(' ');
			pld(r3);
			putchar('\n');
		}
	}
	/* packed BCD */
	{
		static const long double bv[] = {0.0L, 1.0L, -1234567.0L, 999999999999999999.0L, 12.5L, 13.5L};
		for (size_t i = 0; i < ARRAY_LEN(bv); i++) {
			unsigned char bcd[10];
			long double back;
			fclex();
			__asm__ volatile("fbstp %0" : "=m"(bcd) : "t"(bv[i]) : "st");
			__asm__ volatile("fbld %1" : "=t"(back) : "m"(bcd));
			printf("fbstp %zu:", i);
			for (int k = 9; k >= 0; k--)
				printf(" %02x", bcd[k]);
			printf(" back=");
			pld(back);
			pex();
			putchar('\n');
			fclex();
		}
	}
	/* stack manipulation: fxch, fld st(i), fstp to float/double */
	{
		long double a = V[4], b = V[5];
		float f32;
		double f64;
		__asm__ volatile("fxch %%st(1)" : "+t"(a), "+u"(b));
		printf("fxch: ");
		pld(a);
		putchar(' ');
		pld(b);
		putchar('\n');
		for (int rc = 0; rc < 4; rc++) {
			setcw((uint16_t)(0x037f | (rc << 10)));
			__asm__ volatile("fsts %0" : "=m"(f32) : "t"(V[4]));
			__asm__ volatile("fstl %0" : "=m"(f64) : "t"(V[4]));
			uint32_t u32;
			uint64_t u64;
			memcpy(&u32, &f32, 4);
			memcpy(&u64, &f64, 8);
			printf("fst %s: %08x %016llx\n", rcn[rc], u32, (unsigned long long)u64);
		}
		setcw(0x037f);
		uint16_t cw;
		__asm__ volatile("fnstcw %0" : "=m"(cw));
		printf("fnstcw: %04x\n", cw);
		uint16_t sw = fstsw();
		printf("top after all: %d\n", (sw >> 11) & 7);
	}
	return 0;
}
