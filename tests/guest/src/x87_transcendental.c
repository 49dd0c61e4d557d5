// x87 transcendental instructions (fsin, fcos, fsincos, fptan, fpatan, fyl2x,
// fyl2xp1, f2xm1). Hardware results are implementation specific in the last
// bits, so this program is kept separate and may be marked known-failing.
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

int main(void)
{
	static const long double xs[] = {0.0L, -0.0L, 1e-10L, 0.25L, 0.5L, -0.5L, 0.75L, 1.0L, 2.0L, 3.0L, 10.0L, 100.0L, 1e18L, -7.25L};
	for (size_t i = 0; i < ARRAY_LEN(xs); i++) {
		long double x = xs[i], s, c, t, one, s2, c2;
		uint16_t sw;
		__asm__ volatile("fsin" : "=t"(s) : "0"(x));
		__asm__ volatile("fcos" : "=t"(c) : "0"(x));
		__asm__ volatile("fsincos" : "=t"(c2), "=u"(s2) : "0"(x));
		__asm__ volatile("fptan\n\tfnstsw %2" : "=t"(one), "=u"(t), "=a"(sw) : "0"(x));
		printf("x%zu fsin ", i);
		pld(s);
		printf(" fcos ");
		pld(c);
		printf(" fsincos %s", (s == s2 && c == c2) ? "same" : "differs");
		printf(" fptan ");
		pld(t);
		printf(" c2=%d\n", (sw >> 10) & 1);
		if (x > -1 && x < 1) {
			long double r;
			__asm__ volatile("f2xm1" : "=t"(r) : "0"(x));
			printf("x%zu f2xm1 ", i);
			pld(r);
			long double y = 1.5L;
			__asm__ volatile("fyl2xp1" : "=t"(r) : "0"(x), "u"(y) : "st(1)");
			printf(" fyl2xp1 ");
			pld(r);
			putchar('\n');
		}
		if (x > 0) {
			long double r, y = 1.0L;
			__asm__ volatile("fyl2x" : "=t"(r) : "0"(x), "u"(y) : "st(1)");
			printf("x%zu fyl2x ", i);
			pld(r);
			long double one1 = 1.0L;
			__asm__ volatile("fpatan" : "=t"(r) : "0"(x), "u"(one1) : "st(1)");
			printf(" fpatan ");
			pld(r);
			putchar('\n');
		}
	}
	return 0;
}
