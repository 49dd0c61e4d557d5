// Stack frames and deep recursion: ackermann, naive fib, mutual recursion,
// deep linear recursion with locals, varargs, struct passing/returning, VLAs,
// alloca, function pointers, tail calls.
#include "gt.h"
#include <alloca.h>
#include <stdarg.h>

static unsigned ack(unsigned m, unsigned n)
{
	if (m == 0)
		return n + 1;
	if (n == 0)
		return ack(m - 1, 1);
	return ack(m - 1, ack(m, n - 1));
}

static unsigned fib(unsigned n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static int is_odd(unsigned n);
static int is_even(unsigned n) { return n == 0 ? 1 : is_odd(n - 1); }
static int is_odd(unsigned n) { return n == 0 ? 0 : is_even(n - 1); }

/* linear recursion with a local array so each frame has real stack usage */
static __attribute__((noinline)) uint64_t deep(unsigned n, uint64_t acc)
{
	volatile unsigned char pad[40];
	for (int i = 0; i < 40; i++)
		pad[i] = (unsigned char)(n + i);
	if (n == 0)
		return acc;
	uint64_t r = deep(n - 1, acc * 31 + pad[n % 40]);
	return r ^ pad[(n * 7) % 40];
}

struct big {
	int a[9];
	double d;
	char c;
};

static __attribute__((noinline)) struct big mkbig(int seed)
{
	struct big b;
	for (int i = 0; i < 9; i++)
		b.a[i] = seed * (i + 1);
	b.d = seed / 4.0;
	b.c = (char)('a' + seed % 26);
	return b;
}

static __attribute__((noinline)) int sumbig(struct big b, struct big c)
{
	int s = 0;
	for (int i = 0; i < 9; i++)
		s += b.a[i] - c.a[i];
	return s + (int)(b.d * 8) + b.c - c.c;
}

static long vsum(int n, ...)
{
	va_list ap;
	long s = 0;
	va_start(ap, n);
	for (int i = 0; i < n; i++) {
		if (i % 3 == 2)
			s += (long)(va_arg(ap, double) * 10);
		else if (i % 3 == 1)
			s += va_arg(ap, long long) % 1000;
		else
			s += va_arg(ap, int);
	}
	va_end(ap);
	return s;
}

static __attribute__((noinline)) int vla(int n)
{
	int arr[n];
	for (int i = 0; i < n; i++)
		arr[i] = i * i;
	int *p = alloca(n * sizeof(int));
	for (int i = 0; i < n; i++)
		p[i] = arr[n - 1 - i];
	int s = 0;
	for (int i = 0; i < n; i++)
		s += p[i] * (i & 3);
	return s;
}

static unsigned long gcd(unsigned long a, unsigned long b) { return b ? gcd(b, a % b) : a; }

static int hanoi_moves;
static void hanoi(int n, int from, int to, int via)
{
	if (!n)
		return;
	hanoi(n - 1, from, via, to);
	hanoi_moves++;
	hanoi(n - 1, via, to, from);
}

int main(void)
{
	printf("ack(2,3)=%u ack(3,5)=%u ack(3,6)=%u\n", ack(2, 3), ack(3, 5), ack(3, 6));
	printf("fib(25)=%u\n", fib(25));
	printf("even(10001)=%d odd(7777)=%d\n", is_even(10001), is_odd(7777));
	printf("deep(50000)=%016llx\n", (unsigned long long)deep(50000, 1));
	struct big b1 = mkbig(7), b2 = mkbig(3);
	printf("structs: %d %c %g\n", sumbig(b1, b2), b1.c, b2.d);
	printf("varargs: %ld\n", vsum(9, 1, 2000000000123ll, 0.55, 4, -5ll, 1.25, 7, 8ll, -9.5));
	printf("vla: %d %d %d\n", vla(1), vla(100), vla(1000));
	printf("gcd: %lu %lu\n", gcd(1071, 462), gcd(832040, 514229));
	hanoi(16, 1, 3, 2);
	printf("hanoi(16): %d moves\n", hanoi_moves);
	unsigned (*fp[2])(unsigned) = {fib, 0};
	fp[1] = fib;
	printf("fnptr: %u\n", fp[1](20) - fp[0](19));
	return 0;
}
