// Self-modifying code: generate code in RWX memory, run it, patch immediates
// and run again; code that patches its own next instruction; a loop that
// rewrites an instruction inside its own body on every iteration; code in a
// static buffer made executable with mprotect; rewriting with different
// lengths; an instruction that straddles a page boundary.
// gemu-test: pie=1
#include "gt.h"
#include <sys/mman.h>
#include <unistd.h>

typedef int (*fn_t)(void);

static void put32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); }

static int call(unsigned char *code)
{
	__builtin___clear_cache((char *)code, (char *)code + 64);
	return ((fn_t)(void *)code)();
}

/* mov eax, imm32; ret */
static void gen_const(unsigned char *p, uint32_t v)
{
	p[0] = 0xb8;
	put32(p + 1, v);
	p[5] = 0xc3;
}

/* store to a byte inside this code: "mov byte [target], imm8" */
static int gen_store_byte(unsigned char *p, unsigned char *target, unsigned char imm)
{
	p[0] = 0xc6;
	p[1] = 0x05;
#ifdef __x86_64__
	put32(p + 2, (uint32_t)(target - (p + 7))); /* rip-relative */
#else
	put32(p + 2, (uint32_t)(uintptr_t)target); /* absolute */
#endif
	p[6] = imm;
	return 7;
}

/* inc byte [target] */
static int gen_inc_byte(unsigned char *p, unsigned char *target)
{
	p[0] = 0xfe;
	p[1] = 0x05;
#ifdef __x86_64__
	put32(p + 2, (uint32_t)(target - (p + 6)));
#else
	put32(p + 2, (uint32_t)(uintptr_t)target);
#endif
	return 6;
}

static unsigned char staticbuf[3 * 4096] __attribute__((aligned(4096)));

int main(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	unsigned char *buf = mmap(NULL, (size_t)pg * 4, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		printf("RWX mmap failed\n");
		return 1;
	}
	/* 1. patch an immediate between calls */
	gen_const(buf, 1234);
	printf("const: %d\n", call(buf));
	put32(buf + 1, 5678);
	printf("patched: %d\n", call(buf));
	long sum = 0;
	for (uint32_t i = 0; i < 2000; i++) {
		put32(buf + 1, i * 3);
		sum += call(buf);
	}
	printf("2000 patches sum: %ld\n", sum);

	/* 2. code that rewrites the immediate of its next instruction */
	unsigned char *c = buf + 64;
	int n = gen_store_byte(c, c + 8, 0x42);
	c[n] = 0xb8; /* mov eax, 0x11 */
	put32(c + n + 1, 0x11);
	c[n + 5] = 0xc3;
	printf("self-patching next insn: %#x\n", call(c));
	c[8] = 0x11;
	c[6] = 0x77;
	printf("self-patching again: %#x\n", call(c));

	/* 3. a loop whose body increments one of its own immediates each iteration */
	unsigned char *l = buf + 256;
	int k = 0;
	l[k++] = 0x31; l[k++] = 0xc0;                       /* xor eax, eax */
	l[k++] = 0xb9; put32(l + k, 10); k += 4;            /* mov ecx, 10 */
	int loop = k;
	l[k++] = 0x83; l[k++] = 0xc0; l[k++] = 0x01;        /* L: add eax, 1 */
	k += gen_inc_byte(l + k, l + loop + 2);             /* inc byte [L+2] */
	l[k++] = 0xff; l[k++] = 0xc9;                       /* dec ecx */
	l[k++] = 0x75; l[k] = (unsigned char)(loop - (k + 1)); k++; /* jnz L */
	l[k++] = 0xc3;                                      /* ret */
	printf("loop rewriting itself: %d (55 if every store is seen)\n", call(l));
	printf("immediate left behind: %d\n", l[loop + 2]);
	l[loop + 2] = 1;
	printf("loop again after reset: %d\n", call(l));

	/* 4. replace a function with code of a different length */
	unsigned char *r = buf + 512;
	gen_const(r, 1);
	printf("before replace: %d\n", call(r));
	/* xor eax,eax; mov ecx,7; L: add eax,ecx; loop L; ret -> 28 */
	unsigned char longer[] = {0x31, 0xc0, 0xb9, 7, 0, 0, 0, 0x01, 0xc8, 0xe2, 0xfc, 0xc3};
	memcpy(r, longer, sizeof longer);
	printf("after replace: %d\n", call(r));
	gen_const(r, 3);
	printf("replaced back: %d\n", call(r));

	/* 5. instruction straddling a page boundary; patch the half on the second page */
	unsigned char *s = buf + pg - 3;
	gen_const(s, 0x01020304);
	printf("straddling: %#x\n", call(s));
	s[4] = 0x7f; /* highest immediate byte, on the second page */
	printf("straddling patched: %#x\n", call(s));

	/* 6. static buffer made executable with mprotect, then rewritten */
	unsigned char *sb = staticbuf + 4096;
	gen_const(sb, 99);
	printf("mprotect RWX: %d\n", mprotect(sb, 4096, PROT_READ | PROT_WRITE | PROT_EXEC));
	printf("static buffer code: %d\n", call(sb));
	sb[1] = 100;
	printf("static buffer patched: %d\n", call(sb));
	printf("mprotect RX: %d\n", mprotect(sb, 4096, PROT_READ | PROT_EXEC));
	printf("still runs: %d\n", call(sb));
	mprotect(sb, 4096, PROT_READ | PROT_WRITE);
	sb[1] = 101;
	mprotect(sb, 4096, PROT_READ | PROT_EXEC);
	printf("after W^X flip: %d\n", call(sb));

	/* 7. unmap and map new code at the same address */
	munmap(buf, (size_t)pg * 4);
	unsigned char *again = mmap(buf, (size_t)pg, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	gen_const(again, 4242);
	printf("remapped same address: %s result %d\n", again == buf ? "yes" : "no", call(again));
	return 0;
}
