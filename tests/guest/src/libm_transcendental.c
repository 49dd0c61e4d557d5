// Transcendental libm functions printed with %.17g / %a. glibc picks
// FMA/AVX2 variants by CPUID, and on i386 some use x87 instructions, so this
// program may legitimately differ under emulation and can be skipped.
#include "gt.h"
#include <math.h>

static volatile double X[] = {0.0, -0.0, 1e-300, 1e-8, 0.1, 0.5, 0.7853981633974483, 1.0, 1.5707963267948966,
			      2.0, 3.141592653589793, 10.0, 100.0, 709.0, 1e6, 1e22, -0.5, -3.0, -745.0,
			      INFINITY, NAN};

int main(void)
{
	for (size_t i = 0; i < ARRAY_LEN(X); i++) {
		double x = X[i];
		printf("x=%a\n", x);
		printf("  sin %.17g cos %.17g tan %.17g\n", sin(x), cos(x), tan(x));
		printf("  exp %.17g exp2 %.17g expm1 %.17g\n", exp(x), exp2(x), expm1(x));
		printf("  log %.17g log2 %.17g log10 %.17g log1p %.17g\n", log(x), log2(x), log10(x), log1p(x));
		printf("  asin %.17g acos %.17g atan %.17g atan2 %.17g\n", asin(x), acos(x), atan(x), atan2(x, -1.5));
		printf("  sinh %.17g cosh %.17g tanh %.17g asinh %.17g\n", sinh(x), cosh(x), tanh(x), asinh(x));
		printf("  pow %.17g pow2 %.17g cbrt %.17g erf %.17g tgamma %.17g lgamma %.17g\n", pow(x, 1.5),
		       pow(2.5, x), cbrt(x), erf(x), tgamma(x), lgamma(x));
		float f = (float)x;
		printf("  f: sin %a cos %a exp %a log %a pow %a atan2 %a\n", (double)sinf(f), (double)cosf(f),
		       (double)expf(f), (double)logf(f), (double)powf(f, 0.75f), (double)atan2f(f, 2.0f));
		long double l = x;
		printf("  l: sin %.21Lg exp %.21Lg log %.21Lg\n", sinl(l), expl(l), logl(l));
	}
	double s = 0;
	for (int i = 1; i < 2000; i++)
		s += sin(i * 0.001) * exp(-i * 0.0005) + log(i);
	printf("mixed sum %.17g\n", s);
	return 0;
}
