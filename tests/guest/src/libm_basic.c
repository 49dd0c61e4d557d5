// gemu-test: dyn=1
// Exactly-rounded libm functions: sqrt, floor, ceil, trunc, round, fabs,
// fmod, remainder, rint, nearbyint, lrint, llrint, frexp, ldexp, modf,
// copysign, fmin/fmax, fma, in every rounding mode where it matters.
#include "gt.h"
#include <fenv.h>
#include <math.h>

static volatile double D[] = {0.0, -0.0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 3.5, 0.49999999999999994,
			      1e-310, 2.0, 10.0, 1e15 + 0.5, 4503599627370497.0, 1e300, -7.75,
			      INFINITY, -INFINITY, NAN};
static volatile float F[] = {0.0f, -0.5f, 1.5f, 2.5f, 8388609.0f, 1e-40f, 3.0f, 1e30f, INFINITY};

static void pd(double v) { printf(" %a", v); }

int main(void)
{
	static const int modes[] = {FE_TONEAREST, FE_DOWNWARD, FE_UPWARD, FE_TOWARDZERO};
	static const char *mn[] = {"nearest", "down", "up", "zero"};
	size_t n = ARRAY_LEN(D);
	for (size_t i = 0; i < n; i++) {
		double x = D[i];
		printf("x=%a:", x);
		pd(sqrt(x));
		pd(floor(x));
		pd(ceil(x));
		pd(trunc(x));
		pd(round(x));
		pd(fabs(x));
		pd(copysign(3.0, x));
		int e;
		double fr = frexp(x, &e);
		printf(" frexp=%a,%d", fr, isfinite(x) ? e : 0);
		double ip;
		double fp = modf(x, &ip);
		printf(" modf=%a,%a", fp, ip);
		pd(ldexp(x, 1000));
		pd(ldexp(x, -1070));
		printf(" ilogb=%d", isfinite(x) && x != 0 ? ilogb(x) : 0);
		printf(" signbit=%d isnan=%d isinf=%d fpclassify=%d\n", signbit(x) != 0, isnan(x) != 0,
		       isinf(x) != 0, fpclassify(x));
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j += 3) {
			double x = D[i], y = D[j];
			printf("x=%a y=%a:", x, y);
			pd(fmod(x, y));
			pd(remainder(x, y));
			int q;
			double r = remquo(x, y, &q);
			printf(" remquo=%a,%d", r, isnan(r) ? 0 : q & 7);
			pd(fmin(x, y));
			pd(fmax(x, y));
			pd(fdim(x, y));
			pd(hypot(x, 0.0));
			pd(fma(x, y, 1.0));
			pd(fma(x, y, -x * y));
			putchar('\n');
		}
	for (int m = 0; m < 4; m++) {
		fesetround(modes[m]);
		for (size_t i = 0; i < n; i++) {
			double x = D[i];
			printf("%s x=%a: rint", mn[m], x);
			pd(rint(x));
			pd(nearbyint(x));
			long l = isfinite(x) && fabs(x) < 1e15 ? lrint(x) : 0;
			long long ll = isfinite(x) && fabs(x) < 1e18 ? llrint(x) : 0;
			printf(" lrint=%ld llrint=%lld", l, ll);
			pd(sqrt(x + 0.1));
			pd(x / 3.0);
			pd(x * 1.1);
			printf(" %af", (double)(float)x);
			putchar('\n');
		}
		for (size_t i = 0; i < ARRAY_LEN(F); i++) {
			float x = F[i];
			printf("%s f=%a:", mn[m], (double)x);
			printf(" %a %a %a %a %a %ld\n", (double)sqrtf(x), (double)rintf(x), (double)floorf(x),
			       (double)fmaf(x, x, 1.0f), (double)(x / 3.0f), isfinite(x) && x < 1e9f ? lrintf(x) : 0);
		}
	}
	fesetround(FE_TONEAREST);
	return 0;
}
