// x87 FPREM and FPREM1 over many operand pairs: every pair of a set of
// values with exponents from the denormal range to the largest finite one
// (exponent differences from -32766 to 32766, so most pairs need many
// partial reductions), signs, significands with long runs of ones and zeros,
// zeros, infinities and NaNs. Each reduction step is run on its own: the
// partial remainder, C0..C3 and the exception flags of every step go into a
// checksum, and the steps are counted until C2 clears. One line per
// dividend, then a few pairs in full.
#include "gt.h"

/* mk builds a long double from its sign/exponent word and significand. */
static long double mk(uint16_t se, uint64_t m)
{
	long double v = 0;
	memcpy(&v, &m, 8);
	memcpy((char *)&v + 8, &se, 2);
	return v;
}

static void pld(long double v)
{
	uint64_t m;
	uint16_t se;
	memcpy(&m, &v, 8);
	memcpy(&se, (char *)&v + 8, 2);
	printf("%04x:%016llx", se, (unsigned long long)m);
}

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v;
	h *= 0x100000001b3ull;
	return h ^ (h >> 29);
}

/* fold adds a long double's ten bytes to the checksum. */
static uint64_t fold(uint64_t h, long double v)
{
	uint64_t m;
	uint16_t se;
	memcpy(&m, &v, 8);
	memcpy(&se, (char *)&v + 8, 2);
	return mix(mix(h, m), se);
}

/* The status word bits an FPREM defines or may raise: C3 C2 C1 C0, SF and
 * the six exception flags (TOP and ES/B are not compared). */
#define SWBITS 0x477f

static uint16_t step(long double *r, long double y, int ieee)
{
	uint16_t sw;
	__asm__ volatile("fnclex");
	if (ieee)
		__asm__ volatile("fprem1\n\tfnstsw %1" : "+t"(*r), "=a"(sw) : "u"(y));
	else
		__asm__ volatile("fprem\n\tfnstsw %1" : "+t"(*r), "=a"(sw) : "u"(y));
	return sw & SWBITS;
}

/* reduce runs FPREM (ieee 0) or FPREM1 until C2 clears, at most 2000
 * steps; it returns the number of steps and adds every step to *h. */
static int reduce(long double x, long double y, int ieee, uint64_t *h, long double *out, uint16_t *lastsw)
{
	long double r = x;
	uint16_t sw;
	int n = 0;
	do {
		sw = step(&r, y, ieee);
		*h = fold(mix(*h, sw), r);
		n++;
	} while ((sw & 0x400) && n < 2000);
	*out = r;
	*lastsw = sw;
	return n;
}

static long double vals[64];
static int nvals;

static void add(uint16_t se, uint64_t m) { vals[nvals++] = mk(se, m); }

int main(void)
{
	static const uint16_t exps[] = {0x0001, 0x0002, 0x1234, 0x3f00, 0x3ffe, 0x3fff, 0x4000,
					0x403e, 0x403f, 0x4040, 0x405f, 0x4060, 0x407e, 0x4800,
					0x7ffe};
	static const uint64_t mants[] = {0x8000000000000000ull, 0xffffffffffffffffull,
					 0xc90fdaa22168c235ull, 0x8000000000000001ull,
					 0xb504f333f9de6484ull};
	uint64_t seed = 0x2545f4914f6cdd1dull;
	for (size_t i = 0; i < ARRAY_LEN(exps); i++) {
		/* three significands an exponent, in turn, and a pseudo-random one */
		for (int k = 0; k < 2; k++)
			add(exps[i] | ((i + k) & 1 ? 0x8000 : 0), mants[(i * 2 + k) % ARRAY_LEN(mants)]);
		seed ^= seed << 13;
		seed ^= seed >> 7;
		seed ^= seed << 17;
		add(exps[i] | (i & 2 ? 0x8000 : 0), seed | 0x8000000000000000ull);
	}
	add(0x0000, 0x0000000000000001ull); /* denormals */
	add(0x8000, 0x4000000000000000ull);
	add(0x0000, 0x7fffffffffffffffull);
	add(0x0000, 0);                     /* zeros */
	add(0x8000, 0);
	add(0x7fff, 0x8000000000000000ull); /* infinities */
	add(0xffff, 0x8000000000000000ull);
	add(0x7fff, 0xc000000000000001ull); /* quiet NaN */
	add(0x4000, 0x4000000000000000ull); /* unnormals */
	add(0x7ffe, 0x0000000000000001ull);
	add(0x0000, 0x8000000000000001ull); /* pseudo-denormal */
	add(0x7fff, 0x0000000000000000ull); /* pseudo-infinity */
	add(0x7fff, 0x4000000000000000ull); /* pseudo-NaN */

	uint64_t total = 0;
	long total_steps = 0;
	for (int i = 0; i < nvals; i++) {
		uint64_t h = 0xcbf29ce484222325ull, h1 = h;
		long steps = 0, steps1 = 0;
		for (int j = 0; j < nvals; j++) {
			long double r;
			uint16_t sw;
			steps += reduce(vals[i], vals[j], 0, &h, &r, &sw);
			steps1 += reduce(vals[i], vals[j], 1, &h1, &r, &sw);
		}
		printf("x%02d ", i);
		pld(vals[i]);
		printf(" fprem %016llx steps %ld fprem1 %016llx steps %ld\n", (unsigned long long)h,
		       steps, (unsigned long long)h1, steps1);
		total = mix(mix(total, h), h1);
		total_steps += steps + steps1;
	}
	printf("total %016llx steps %ld\n", (unsigned long long)total, total_steps);

	/* Precision and rounding control do not apply to FPREM: single
	 * precision rounding up, double precision toward zero. */
	static const uint16_t cws[] = {0x087f, 0x0e7f};
	for (size_t c = 0; c < ARRAY_LEN(cws); c++) {
		uint64_t h = 0xcbf29ce484222325ull;
		long steps = 0;
		__asm__ volatile("fldcw %0" : : "m"(cws[c]));
		for (int i = 0; i < nvals; i += 3)
			for (int j = 1; j < nvals; j += 2) {
				long double r;
				uint16_t sw;
				steps += reduce(vals[i], vals[j], 0, &h, &r, &sw);
				steps += reduce(vals[i], vals[j], 1, &h, &r, &sw);
			}
		printf("cw %04x: %016llx steps %ld\n", cws[c], (unsigned long long)h, steps);
	}
	{
		static const uint16_t cw = 0x037f;
		__asm__ volatile("fldcw %0" : : "m"(cw));
	}

	/* a few pairs in full: result, quotient bits and flags of the last step */
	static const int pairs[][2] = {{44, 0}, {44, 1}, {0, 44}, {30, 3}, {40, 2}, {20, 19},
				       {45, 46}, {47, 12}, {12, 47}, {49, 12}, {12, 49}, {52, 5}};
	for (size_t p = 0; p < ARRAY_LEN(pairs); p++) {
		int i = pairs[p][0], j = pairs[p][1];
		if (i >= nvals || j >= nvals)
			continue;
		for (int ieee = 0; ieee < 2; ieee++) {
			uint64_t h = 0;
			long double r;
			uint16_t sw;
			int n = reduce(vals[i], vals[j], ieee, &h, &r, &sw);
			printf("%s x%02d y%02d: ", ieee ? "fprem1" : "fprem ", i, j);
			pld(r);
			printf(" sw %04x steps %d\n", sw, n);
		}
	}
	return 0;
}
