/* The bundled demo guest: a small static program for `make demo`. */
#include <stdio.h>
#include <string.h>

static unsigned fib(unsigned n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

int main(int argc, char **argv)
{
    printf("hello from the guest, argc=%d, argv[0]=%s\n", argc, strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0]);
    printf("fib(20) = %u, 1/3 = %.6f\n", fib(20), 1.0 / 3.0);
    return 0;
}
