// gemu-test: dyn=1
// float/double arithmetic, comparisons and conversions over edge values:
// zeros, denormals, inf, nan, huge, tiny, halfway cases; float<->int
// conversions including out-of-range values (printed as raw results).
#include "gt.h"
#include <float.h>
#include <math.h>

static volatile double D[] = {0.0, -0.0, 1.0, -1.0, 0.1, 0.5, 1.5, 2.5, -2.5, 3.0, 1e308, -1e308,
			      DBL_MAX, DBL_MIN, 4.9e-324, 2.2250738585072009e-308, 1e-300,
			      9007199254740993.0, 4503599627370496.5, 2147483647.5, 2147483648.0,
			      -2147483649.0, 4294967296.0, 9.3e18, 1.8446744073709552e19, 1e20,
			      HUGE_VAL, -HUGE_VAL, NAN};
static volatile float F[] = {0.0f, -0.0f, 1.0f, -1.0f, 0.1f, 0.5f, 1.5f, 2.5f, 3.0f, 16777217.0f,
			     FLT_MAX, FLT_MIN, 1.4e-45f, 1e-40f, 2147483648.0f, 1e10f, -1e10f,
			     HUGE_VALF, NAN};

static uint64_t dbits(double d)
{
	uint64_t u;
	memcpy(&u, &d, 8);
	return u;
}
static uint32_t fbits(float f)
{
	uint32_t u;
	memcpy(&u, &f, 4);
	return u;
}

int main(void)
{
	size_t nd = ARRAY_LEN(D), nf = ARRAY_LEN(F);
	for (size_t i = 0; i < nd; i++)
		for (size_t j = 0; j < nd; j++) {
			double a = D[i], b = D[j];
			volatile double s = a + b, d = a - b, m = a * b, q = a / b;
			printf("d %zu %zu: %016llx %016llx %016llx %016llx %d%d%d%d%d%d\n", i, j,
			       (unsigned long long)dbits(s), (unsigned long long)dbits(d),
			       (unsigned long long)dbits(m), (unsigned long long)dbits(q), a == b, a != b,
			       a < b, a <= b, a > b, isunordered(a, b) ? 1 : 0);
		}
	for (size_t i = 0; i < nf; i++)
		for (size_t j = 0; j < nf; j++) {
			float a = F[i], b = F[j];
			volatile float s = a + b, d = a - b, m = a * b, q = a / b;
			printf("f %zu %zu: %08x %08x %08x %08x %d%d%d\n", i, j, fbits(s), fbits(d), fbits(m),
			       fbits(q), a == b, a < b, a >= b);
		}
	/* conversions; out-of-range float->int is undefined in C, but the
	 * instructions the compiler emits produce fixed values natively */
	for (size_t i = 0; i < nd; i++) {
		double a = D[i];
		volatile float f = (float)a;
		volatile int si = (int)a;
		volatile long long sll = (long long)a;
		volatile unsigned ui = (unsigned)a;
		volatile unsigned long long ull = (unsigned long long)a;
		volatile short ss = (short)a;
		volatile long double ld = a;
		printf("cvt d%zu %a: f=%08x i=%d ll=%lld u=%u ull=%llu s=%d ld=%La\n", i, a, fbits(f), si,
		       sll, ui, ull, ss, (long double)ld);
	}
	for (size_t i = 0; i < nf; i++) {
		float a = F[i];
		volatile double d = a;
		volatile int si = (int)a;
		volatile long long sll = (long long)a;
		volatile unsigned long long ull = (unsigned long long)a;
		printf("cvt f%zu %a: d=%016llx i=%d ll=%lld ull=%llu\n", i, (double)a,
		       (unsigned long long)dbits(d), si, sll, ull);
	}
	static volatile long long L[] = {0, 1, -1, 9007199254740993ll, -9007199254740993ll,
					 0x7fffffffffffffffll, (long long)0x8000000000000000ull,
					 16777217, 0x7fffffff, 123456789012345678ll};
	for (size_t i = 0; i < ARRAY_LEN(L); i++) {
		long long v = L[i];
		volatile double d = (double)v;
		volatile float f = (float)v;
		volatile double du = (double)(unsigned long long)v;
		volatile float fu = (float)(unsigned long long)v;
		printf("i2f %lld: d=%016llx f=%08x du=%016llx fu=%08x\n", v, (unsigned long long)dbits(d),
		       fbits(f), (unsigned long long)dbits(du), fbits(fu));
	}
	/* accumulated rounding */
	{
		volatile double s = 0;
		volatile float sf = 0;
		for (int i = 1; i <= 10000; i++) {
			s += 1.0 / i;
			sf += 1.0f / (float)i;
		}
		printf("harmonic: %016llx %08x\n", (unsigned long long)dbits(s), fbits(sf));
		volatile double x = 1.0;
		for (int i = 0; i < 1100; i++)
			x *= 0.5;
		printf("underflow chain: %016llx\n", (unsigned long long)dbits(x));
		volatile double y = 1.0;
		for (int i = 0; i < 1100; i++)
			y *= 2.0;
		printf("overflow chain: %016llx\n", (unsigned long long)dbits(y));
	}
	return 0;
}
