// gemu-test: dyn=1
// printf of doubles/floats with %e %f %g %a (and upper case) over edge
// values, widths, precisions and flags; strtod/strtof parsing incl. hex
// floats, denormals, halfway cases, overflow.
#include "gt.h"
#include <errno.h>
#include <float.h>
#include <math.h>

static volatile double V[] = {0.0, -0.0, 1.0, -1.0, 0.1, 0.5, 1.5, 2.5, 0.125, 1e-5, 123456.789, 1e15, 1e16,
			      1e21, 1e22, 1e100, 1.7976931348623157e308, 2.2250738585072014e-308, 4.9e-324,
			      0.3, 2.0 / 3.0, 1e-320, 9.999999999999999e22, 5e-324, INFINITY, -INFINITY, NAN, -NAN};

int main(void)
{
	static const char *fmts[] = {"%e", "%f", "%g", "%a", "%E", "%G", "%A", "%.0e", "%.0f", "%.0g",
				     "%.1f", "%.3e", "%.17g", "%.20f", "%#.0f", "%#g", "%+.2e", "% .4f", "%12.4f",
				     "%-12.3g|", "%012.3f", "%.13a", "%.3a", "%.0a", "%La"};
	for (size_t i = 0; i < ARRAY_LEN(V); i++) {
		double v = V[i];
		printf("[%zu]", i);
		for (size_t f = 0; f < ARRAY_LEN(fmts); f++) {
			char buf[512];
			if (!strcmp(fmts[f], "%La"))
				snprintf(buf, sizeof buf, fmts[f], (long double)v);
			else
				snprintf(buf, sizeof buf, fmts[f], v);
			printf(" <%s>", buf);
		}
		putchar('\n');
	}
	printf("%.0f %.0f %.0f %.0f %.0f\n", 0.5, 1.5, 2.5, 3.5, -0.5);
	printf("%.1f %.1f %.1f %.2f %.2f\n", 0.05, 0.15, 0.25, 1.005, 1.015);
	printf("%f %e %g\n", (double)FLT_MAX, (double)FLT_MIN, (double)FLT_EPSILON);
	printf("%.40f\n", 1.0 / 3.0);
	printf("%.60e\n", 4.9e-324);
	printf("%f\n", 1e300);
	printf("%*.*f|%-*.*e|\n", 15, 3, 3.14159, 15, 2, 2.71828);

	static const char *strs[] = {"0", "-0", "1", "0.1", "1e-400", "1e400", "-1e400", "4.9e-324",
				     "2.4703282292062327e-324", "2.4703282292062328e-324", "0x1p-1074",
				     "0x1.fffffffffffffp1023", "0x1.0000000000000bp0", "9007199254740993",
				     "9007199254740993.0000000001", "1.7976931348623158e308", "inf", "-Infinity",
				     "nan", "nan(0x123)", "  +3.5e+2xyz", ".5", "5.", "e5", "0x", "1e", "123456789e-5",
				     "3.4028235e38", "3.4028236e38", "1.17549435e-38", "7.0064923e-46"};
	for (size_t i = 0; i < ARRAY_LEN(strs); i++) {
		char *end;
		errno = 0;
		double d = strtod(strs[i], &end);
		int e = errno;
		errno = 0;
		float f = strtof(strs[i], NULL);
		int ef = errno;
		printf("strtod '%s': %a end=%d erange=%d strtof: %a erange=%d\n", strs[i], d,
		       (int)(end - strs[i]), e == ERANGE, (double)f, ef == ERANGE);
	}
	double x;
	int n = sscanf("3.25e2 rest", "%lf", &x);
	printf("sscanf %d %g\n", n, x);
	printf("atof %g\n", atof("-12.5e-1"));
	return 0;
}
