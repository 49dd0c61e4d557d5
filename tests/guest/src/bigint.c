// Arbitrary precision arithmetic with 32-bit limbs: factorials, powers of
// two in decimal, Fibonacci numbers, a pi digit spigot; exercises 64-bit
// multiply/divide helpers on i386 (__udivdi3 etc.).
#include "gt.h"

#define LIMBS 400

typedef struct {
	int n;
	uint32_t d[LIMBS];
} big;

static void bset(big *a, uint32_t v)
{
	a->n = 1;
	a->d[0] = v;
}

static void bmul_small(big *a, uint32_t m)
{
	uint64_t carry = 0;
	for (int i = 0; i < a->n; i++) {
		uint64_t t = (uint64_t)a->d[i] * m + carry;
		a->d[i] = (uint32_t)t;
		carry = t >> 32;
	}
	if (carry)
		a->d[a->n++] = (uint32_t)carry;
}

static void badd(big *r, const big *a, const big *b)
{
	uint64_t carry = 0;
	int n = a->n > b->n ? a->n : b->n;
	for (int i = 0; i < n; i++) {
		uint64_t t = carry + (i < a->n ? a->d[i] : 0) + (i < b->n ? b->d[i] : 0);
		r->d[i] = (uint32_t)t;
		carry = t >> 32;
	}
	r->n = n;
	if (carry)
		r->d[r->n++] = (uint32_t)carry;
}

static uint32_t bdiv_small(big *a, uint32_t m)
{
	uint64_t rem = 0;
	for (int i = a->n - 1; i >= 0; i--) {
		uint64_t cur = (rem << 32) | a->d[i];
		a->d[i] = (uint32_t)(cur / m);
		rem = cur % m;
	}
	while (a->n > 1 && a->d[a->n - 1] == 0)
		a->n--;
	return (uint32_t)rem;
}

static void bprint(const char *label, const big *a)
{
	static big t;
	static char buf[LIMBS * 10 + 1];
	t = *a;
	int pos = sizeof buf - 1;
	buf[pos] = 0;
	do {
		uint32_t r = bdiv_small(&t, 1000000000u);
		for (int k = 0; k < 9; k++) {
			buf[--pos] = (char)('0' + r % 10);
			r /= 10;
		}
	} while (t.n > 1 || t.d[0]);
	while (buf[pos] == '0' && buf[pos + 1])
		pos++;
	printf("%s = %s\n", label, buf + pos);
}

int main(void)
{
	static big a, b, c;
	bset(&a, 1);
	for (uint32_t i = 2; i <= 300; i++)
		bmul_small(&a, i);
	bprint("300!", &a);
	bset(&a, 1);
	for (int i = 0; i < 2000; i++)
		bmul_small(&a, 2);
	bprint("2^2000", &a);
	bset(&a, 0);
	bset(&b, 1);
	for (int i = 0; i < 1500; i++) {
		badd(&c, &a, &b);
		a = b;
		b = c;
	}
	bprint("fib(1501)", &b);
	/* Rabinowitz-Wagon spigot for 300 digits of pi */
	{
		enum { DIGITS = 300, LEN = DIGITS * 10 / 3 + 1 };
		static uint32_t r[LEN];
		for (int i = 0; i < LEN; i++)
			r[i] = 2;
		char out[DIGITS + 2];
		int o = 0, nines = 0, predigit = 0;
		for (int j = 0; j < DIGITS; j++) {
			uint32_t q = 0;
			for (int i = LEN - 1; i >= 0; i--) {
				uint32_t x = 10 * r[i] + q * (uint32_t)(i + 1);
				r[i] = x % (2 * (uint32_t)i + 1);
				q = x / (2 * (uint32_t)i + 1);
			}
			r[0] = q % 10;
			q /= 10;
			if (q == 9)
				nines++;
			else if (q == 10) {
				if (o < DIGITS)
					out[o++] = (char)('0' + predigit + 1);
				for (; nines; nines--)
					if (o < DIGITS)
						out[o++] = '0';
				predigit = 0;
			} else {
				if (j && o < DIGITS)
					out[o++] = (char)('0' + predigit);
				predigit = (int)q;
				for (; nines; nines--)
					if (o < DIGITS)
						out[o++] = '9';
			}
		}
		out[o] = 0;
		printf("pi = %s\n", out);
	}
	/* 64-bit division edge cases (libgcc helpers on i386) */
	static volatile uint64_t nums[] = {0, 1, 0xffffffffull, 0x100000000ull, 0xffffffffffffffffull,
					   0x8000000000000000ull, 12345678901234567ull};
	static volatile int64_t dens[] = {1, -1, 3, -7, 0x100000001ll, (int64_t)0x8000000000000000ull, 1000000007};
	for (size_t i = 0; i < ARRAY_LEN(nums); i++)
		for (size_t j = 0; j < ARRAY_LEN(dens); j++) {
			uint64_t n = nums[i], d = (uint64_t)dens[j];
			int64_t sn = (int64_t)n, sd = dens[j];
			int sok = !(sn == (int64_t)0x8000000000000000ull && sd == -1);
			printf("%llx/%llx: u %llx %llx s %lld %lld\n", (unsigned long long)n, (unsigned long long)d,
			       (unsigned long long)(n / d), (unsigned long long)(n % d), sok ? (long long)(sn / sd) : 0,
			       sok ? (long long)(sn % sd) : 0);
		}
	return 0;
}
