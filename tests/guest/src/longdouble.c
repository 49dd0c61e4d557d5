// long double (x87 extended precision) arithmetic, comparisons, conversions
// and printing (%La, %.21Lg, %Lf), strtold.
#include "gt.h"
#include <float.h>
#include <math.h>

static volatile long double L[] = {0.0L, -0.0L, 1.0L, -1.0L, 0.1L, 1.0L / 3.0L, 2.5L, 1e4000L,
				   -1e-4000L, LDBL_MAX, LDBL_MIN, 3.6e-4951L, 18446744073709551615.0L,
				   9223372036854775807.0L, HUGE_VALL, NAN};

int main(void)
{
	size_t n = ARRAY_LEN(L);
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j += 2) {
			long double a = L[i], b = L[j];
			volatile long double s = a + b, m = a * b, q = a / b;
			printf("%zu %zu: %La %La %La %d%d%d\n", i, j, (long double)s, (long double)m,
			       (long double)q, a == b, a < b, a > b);
		}
	for (size_t i = 0; i < n; i++) {
		long double a = L[i];
		volatile double d = (double)a;
		volatile float f = (float)a;
		volatile long long ll = (long long)a;
		volatile unsigned long long ull = (unsigned long long)a;
		printf("cvt %zu: %.21Lg %.25Le %a %a %lld %llu\n", i, a, a, (double)d, (double)f, ll, ull);
	}
	printf("%Lf\n", 1234567890.123456789L);
	printf("%.30Lf\n", 1.0L / 7.0L);
	printf("%.0Lf %.0Lf %.0Lf %.0Lf\n", 0.5L, 1.5L, 2.5L, -2.5L);
	printf("%30.20Le|%-30.3Lg|%+Lg\n", 3.14159265358979323846L, 1e-4950L, 123456789.0L);
	static const char *strs[] = {"0.1", "1e4932", "1e4933", "1e-4951", "3.64519953188247460252841e-4951",
				     "0x1.fffffffffffffffep16383", "-inf", "nan", "123456789012345678901234567890",
				     "2.5", "0x1p-16445"};
	for (size_t i = 0; i < ARRAY_LEN(strs); i++) {
		char *end;
		long double v = strtold(strs[i], &end);
		printf("strtold %s: %La consumed=%d\n", strs[i], v, (int)(end - strs[i]));
	}
	long double acc = 0;
	for (int i = 1; i <= 1000; i++)
		acc += 1.0L / ((long double)i * i);
	printf("basel: %.21Lg\n", acc);
	printf("sizeof long double: %zu LDBL_MANT_DIG %d\n", sizeof(long double), LDBL_MANT_DIG);
	return 0;
}
