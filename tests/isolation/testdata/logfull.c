/* Writes 2000 numbered lines with one write(2) each, so that a -strace
 * log gets far more than gemu's 64 KiB log buffer, then exits with 5. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void)
{
	char b[32];
	for (int i = 0; i < 2000; i++) {
		int n = snprintf(b, sizeof b, "line %d\n", i);
		if (write(1, b, n) != n)
			return 1;
	}
	return 5;
}
