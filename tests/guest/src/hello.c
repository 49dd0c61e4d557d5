// Minimal smoke test: write to stdout and stderr, return a status.
// gemu-test: pie=1 dyn=1
#include <stdio.h>

int main(void)
{
	printf("Hello, world!\n");
	fprintf(stderr, "hello on stderr\n");
	return 3;
}
