// printf/snprintf of integers, characters and strings with flags, widths,
// precisions, length modifiers, %n, truncation; strtol family parsing.
#include "gt.h"
#pragma GCC diagnostic ignored "-Wformat-truncation"
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>

int main(void)
{
	static const long long vals[] = {0, 1, -1, 42, -42, 127, -128, 255, 32767, -32768, 65535,
					 INT_MAX, INT_MIN, UINT_MAX, LLONG_MAX, LLONG_MIN, 1234567890123ll};
	static const char *fmts[] = {"%d", "%5d", "%-5d|", "%05d", "%+d", "% d", "%.3d", "%8.3d", "%-+8.3d|",
				     "%x", "%#x", "%#10X", "%o", "%#o", "%u", "%hd", "%hhd", "%hu", "%hhx", "%c"};
	for (size_t i = 0; i < ARRAY_LEN(vals); i++) {
		int v = (int)vals[i];
		printf("[%lld]", vals[i]);
		for (size_t f = 0; f < ARRAY_LEN(fmts); f++) {
			char buf[64];
			if (!strcmp(fmts[f], "%c") && (v < 32 || v > 126))
				continue;
			snprintf(buf, sizeof buf, fmts[f], v);
			printf(" <%s>", buf);
		}
		printf(" ll: %lld %llu %llx %#llo %20lld|%-20lld|%+.25lld\n", vals[i], (unsigned long long)vals[i],
		       (unsigned long long)vals[i], (unsigned long long)vals[i], vals[i], vals[i], vals[i]);
		printf("  l: %ld %lu %lx z: %zd %zu j: %jd t: %td\n", (long)vals[i], (unsigned long)vals[i],
		       (unsigned long)vals[i], (ssize_t)vals[i], (size_t)vals[i], (intmax_t)vals[i],
		       (ptrdiff_t)vals[i]);
	}
	printf("%*d|%-*d|%.*d|%*.*d\n", 6, 42, 6, 42, 4, 42, 8, 5, -42);
	printf("%s|%10s|%-10s|%.3s|%10.2s|%c%c%c|%%|%5c|\n", "hello", "hi", "hi", "abcdef", "xyz", 'a', 'b', 'c', 'z');
	printf("%" PRId64 " %" PRIu64 " %" PRIx32 " %" PRIi8 "\n", INT64_MIN, UINT64_MAX, UINT32_MAX, (int8_t)-5);
	int n1 = 0, n2 = 0;
	printf("abc%nde%sf%n\n", &n1, "XYZ", &n2);
	printf("n: %d %d\n", n1, n2);
	char small[8];
	int r = snprintf(small, sizeof small, "%s-%d", "truncated", 12345);
	printf("snprintf ret=%d buf=%s\n", r, small);
	r = snprintf(NULL, 0, "%0100d", 7);
	printf("snprintf NULL ret=%d\n", r);
	printf("positional: %2$s %1$s %2$s\n", "world", "hello");
	char *dyn = NULL;
	r = asprintf(&dyn, "%d-%s-%x", 99, "dyn", 0xbeef);
	printf("asprintf ret=%d %s\n", r, dyn);
	free(dyn);

	static const char *nums[] = {"0", "123", "-123", "+77", "0x1f", "0X7FFFFFFF", "077", "  42abc",
				     "2147483648", "-2147483649", "9223372036854775807", "9223372036854775808",
				     "-9223372036854775809", "18446744073709551615", "18446744073709551616",
				     "zz", "", "  -0", "1e5"};
	for (size_t i = 0; i < ARRAY_LEN(nums); i++) {
		char *end;
		errno = 0;
		long l = strtol(nums[i], &end, 0);
		int e1 = errno;
		errno = 0;
		long long ll = strtoll(nums[i], NULL, 10);
		int e2 = errno;
		errno = 0;
		unsigned long long ull = strtoull(nums[i], NULL, 0);
		int e3 = errno;
		long b36 = strtol(nums[i], NULL, 36);
		printf("parse '%s': strtol=%ld end=%d erange=%d strtoll=%lld erange=%d strtoull=%llu erange=%d b36=%ld atoi=%d\n",
		       nums[i], l, (int)(end - nums[i]), e1 == ERANGE, ll, e2 == ERANGE, ull, e3 == ERANGE, b36,
		       (int)strlen(nums[i]) < 12 ? atoi(nums[i]) : 0);
	}
	int a, b;
	char w[16];
	int got = sscanf("  17 0x20 word rest", "%d %i %15s", &a, &b, w);
	printf("sscanf: %d %d %d %s\n", got, a, b, w);
	return 0;
}
