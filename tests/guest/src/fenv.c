// <fenv.h>: rounding mode get/set, exception flags raised by arithmetic
// (inexact, underflow, overflow, divbyzero, invalid), feholdexcept/feupdateenv,
// rounding-dependent results of + - * / and conversions.
#include "gt.h"
#include <fenv.h>
#include <math.h>

static volatile double one = 1.0, zero = 0.0, three = 3.0, big = 1e308, tiny = 1e-308, mone = -1.0;
static volatile float fone = 1.0f, fthree = 3.0f;

static void pexc(const char *what)
{
	int e = fetestexcept(FE_ALL_EXCEPT);
	printf("%-22s inexact=%d underflow=%d overflow=%d divbyzero=%d invalid=%d\n", what,
	       !!(e & FE_INEXACT), !!(e & FE_UNDERFLOW), !!(e & FE_OVERFLOW), !!(e & FE_DIVBYZERO),
	       !!(e & FE_INVALID));
	feclearexcept(FE_ALL_EXCEPT);
}

int main(void)
{
	volatile double r;
	volatile float rf;
	volatile int ri;
	feclearexcept(FE_ALL_EXCEPT);
	pexc("initial");
	r = one + one;
	pexc("1+1");
	r = one / three;
	pexc("1/3");
	r = big * big;
	pexc("big*big");
	r = tiny * tiny;
	pexc("tiny*tiny");
	r = one / zero;
	pexc("1/0");
	r = zero / zero;
	pexc("0/0");
	r = sqrt(mone);
	pexc("sqrt(-1)");
	r = big * 10.0;
	pexc("overflow to inf");
	rf = fone / fthree;
	pexc("float 1/3");
	rf = (float)big;
	pexc("(float)1e308");
	ri = (int)(big);
	pexc("(int)1e308");
	ri = (int)(one / three * 3.0);
	pexc("(int)(1/3*3)");
	(void)r;
	(void)rf;
	(void)ri;
	feraiseexcept(FE_OVERFLOW | FE_INEXACT);
	pexc("feraiseexcept");

	static const int modes[] = {FE_TONEAREST, FE_DOWNWARD, FE_UPWARD, FE_TOWARDZERO};
	static const char *mn[] = {"nearest", "down", "up", "zero"};
	for (int m = 0; m < 4; m++) {
		int rc = fesetround(modes[m]);
		printf("fesetround(%s)=%d fegetround matches=%d\n", mn[m], rc, fegetround() == modes[m]);
		volatile double a = one / three, b = -one / three, c = big * 10.0, d = -big * 10.0;
		volatile double e = one + 1e-17, f = one - 1e-17;
		volatile float g = fone / fthree;
		volatile long double h = (long double)one / 3.0L;
		volatile long long i = llrint(2.5), j = llrint(-2.5);
		printf("  %a %a %a %a %a %a %a %La %lld %lld\n", a, b, c, d, e, f, (double)g,
		       (long double)h, (long long)i, (long long)j);
		volatile double k = 0.1 + 0.2;
		volatile double l = 1e16 + 1.0;
		printf("  %.17g %.17g %a\n", k, l, (double)(float)0.1);
		feclearexcept(FE_ALL_EXCEPT);
	}
	fesetround(FE_TONEAREST);
	printf("invalid rounding mode rejected: %s\n", fesetround(0x1234) != 0 ? "yes" : "no");

	fenv_t env;
	feraiseexcept(FE_DIVBYZERO);
	feholdexcept(&env);
	pexc("after feholdexcept");
	r = one / three;
	feupdateenv(&env);
	pexc("after feupdateenv");
	fexcept_t fl;
	feraiseexcept(FE_UNDERFLOW);
	fegetexceptflag(&fl, FE_ALL_EXCEPT);
	feclearexcept(FE_ALL_EXCEPT);
	fesetexceptflag(&fl, FE_UNDERFLOW);
	pexc("fesetexceptflag");
	return 0;
}
