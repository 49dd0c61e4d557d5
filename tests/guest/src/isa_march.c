// gemu-test: cflags=-march=x86-64-v2 dyn=1
// A whole program built with -march=x86-64-v2: gcc itself picks POPCNT,
// SSE4.1 ROUNDSD/ROUNDSS (floor, ceil, trunc, rint), PTEST, PINSR/PEXTR,
// PMOVZX/PMOVSX and the SSE4.2 CRC32 intrinsics wherever they fit.
#include "gt.h"
#include <math.h>
#include <nmmintrin.h>

static volatile double vd[] = {0.5, -0.5, 1.5, 2.5, -2.5, 1e15 + 0.5, -0.0, 3.7, -3.7, 123456.789};
static volatile float vf[] = {0.5f, -0.5f, 1.5f, 2.5f, -2.5f, 1e7f + 0.5f, -0.0f, 3.7f, -3.7f, 1234.5f};

__attribute__((noinline)) static int pop(unsigned long long x) { return __builtin_popcountll(x); }
__attribute__((noinline)) static uint32_t crc(const unsigned char *p, size_t n)
{
	uint32_t c = ~0u;
	for (size_t i = 0; i < n; i++)
		c = _mm_crc32_u8(c, p[i]);
	return ~c;
}
__attribute__((noinline)) static void widen(const unsigned char *in, short *out, int n)
{
	for (int i = 0; i < n; i++)
		out[i] = (short)(signed char)in[i] * 3 + in[i];
}

int main(void)
{
	for (size_t i = 0; i < ARRAY_LEN(vd); i++)
		printf("%-22.17g floor %g ceil %g trunc %g rint %g round %g | %g %g %g %g\n", vd[i], floor(vd[i]),
		       ceil(vd[i]), trunc(vd[i]), rint(vd[i]), round(vd[i]), (double)floorf(vf[i]), (double)ceilf(vf[i]),
		       (double)truncf(vf[i]), (double)rintf(vf[i]));
	uint64_t h = 0;
	for (uint64_t x = 1; x < (1ull << 62); x = x * 3 + 1)
		h = h * 31 + (uint64_t)pop(x) + (uint64_t)pop(~x);
	printf("popcount mix %llx\n", (unsigned long long)h);
	unsigned char buf[1000];
	for (int i = 0; i < 1000; i++)
		buf[i] = (unsigned char)(i * 7 + i / 13);
	printf("crc32c %08x %08x\n", crc((const unsigned char *)"123456789", 9), crc(buf, sizeof buf));
	short w[1000];
	widen(buf, w, 1000);
	printf("widen %08x\n", gt_fnv(w, sizeof w));
	return 0;
}
