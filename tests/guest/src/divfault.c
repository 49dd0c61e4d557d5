// Integer division faults: divide by zero and quotient overflow for div/idiv
// in each size; each variant is expected to die with SIGFPE. "aam0" is
// SIGFPE on i386 and SIGILL on x86-64 (aam is invalid in 64-bit mode).
// gemu-test: variant=div0_8 arg=div0_8
// gemu-test: variant=div0_16 arg=div0_16
// gemu-test: variant=div0_32 arg=div0_32
// gemu-test: variant=div0_64 arg=div0_64
// gemu-test: variant=divovf8 arg=divovf8
// gemu-test: variant=divovf16 arg=divovf16
// gemu-test: variant=divovf32 arg=divovf32
// gemu-test: variant=divovf64 arg=divovf64
// gemu-test: variant=idivovf8 arg=idivovf8
// gemu-test: variant=idivovf8pos arg=idivovf8pos
// gemu-test: variant=idivovf32 arg=idivovf32
// gemu-test: variant=idivovf64 arg=idivovf64
// gemu-test: variant=idivmem arg=idivmem
// gemu-test: variant=aam0 arg=aam0
#include "gt.h"

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	const char *v = argv[1];
	printf("about to %s\n", v);
	fflush(stdout);
	fprintf(stderr, "stderr before %s\n", v);
	volatile uint32_t zero = 0, one = 1, m1 = 0xffffffff;
	if (!strcmp(v, "div0_8")) {
		uint16_t ax = 100;
		uint8_t d = (uint8_t)zero;
		__asm__ volatile("divb %1" : "+a"(ax) : "q"(d));
	} else if (!strcmp(v, "div0_16")) {
		uint16_t ax = 100, dx = 0, d = (uint16_t)zero;
		__asm__ volatile("divw %2" : "+a"(ax), "+d"(dx) : "r"(d));
	} else if (!strcmp(v, "div0_32")) {
		uint32_t eax = 100, edx = 0, d = zero;
		__asm__ volatile("divl %2" : "+a"(eax), "+d"(edx) : "r"(d));
	} else if (!strcmp(v, "div0_64")) {
#ifdef __x86_64__
		uint64_t rax = 100, rdx = 0, d = zero;
		__asm__ volatile("divq %2" : "+a"(rax), "+d"(rdx) : "r"(d));
#else
		uint32_t eax = 100, edx = 0, d = zero;
		__asm__ volatile("idivl %2" : "+a"(eax), "+d"(edx) : "r"(d));
#endif
	} else if (!strcmp(v, "divovf8")) {
		uint16_t ax = 0x100;
		uint8_t d = (uint8_t)one;
		__asm__ volatile("divb %1" : "+a"(ax) : "q"(d));
	} else if (!strcmp(v, "divovf16")) {
		uint16_t ax = 0, dx = 2, d = (uint16_t)one + 1;
		__asm__ volatile("divw %2" : "+a"(ax), "+d"(dx) : "r"(d));
	} else if (!strcmp(v, "divovf32")) {
		uint32_t eax = 0, edx = 0xffffffff, d = m1;
		__asm__ volatile("divl %2" : "+a"(eax), "+d"(edx) : "r"(d));
	} else if (!strcmp(v, "divovf64")) {
#ifdef __x86_64__
		uint64_t rax = 0, rdx = 5, d = 5 * one;
		__asm__ volatile("divq %2" : "+a"(rax), "+d"(rdx) : "r"(d));
#else
		uint32_t eax = 0, edx = 5, d = 5 * one;
		__asm__ volatile("divl %2" : "+a"(eax), "+d"(edx) : "r"(d));
#endif
	} else if (!strcmp(v, "idivovf8")) {
		uint16_t ax = 0xff80; /* -128 / -1 */
		uint8_t d = (uint8_t)m1;
		__asm__ volatile("idivb %1" : "+a"(ax) : "q"(d));
	} else if (!strcmp(v, "idivovf8pos")) {
		uint16_t ax = 0x0080; /* +128 / 1 */
		uint8_t d = (uint8_t)one;
		__asm__ volatile("idivb %1" : "+a"(ax) : "q"(d));
	} else if (!strcmp(v, "idivovf32")) {
		uint32_t eax = 0x80000000, edx = 0xffffffff, d = m1; /* INT_MIN / -1 */
		__asm__ volatile("idivl %2" : "+a"(eax), "+d"(edx) : "r"(d));
	} else if (!strcmp(v, "idivovf64")) {
#ifdef __x86_64__
		uint64_t rax = 0x8000000000000000ull, rdx = ~0ull, d = (int32_t)m1;
		__asm__ volatile("idivq %2" : "+a"(rax), "+d"(rdx) : "r"(d));
#else
		uint32_t eax = 0, edx = 0x40000000, d = one;
		__asm__ volatile("idivl %2" : "+a"(eax), "+d"(edx) : "r"(d));
#endif
	} else if (!strcmp(v, "idivmem")) {
		static volatile int32_t dm;
		uint32_t eax = 7, edx = 0;
		volatile int32_t *p = &dm;
		dm = (int32_t)zero;
		__asm__ volatile("idivl (%2)" : "+a"(eax), "+d"(edx) : "r"(p) : "memory");
	} else if (!strcmp(v, "aam0")) {
		__asm__ volatile(".byte 0xd4, 0x00" ::: "eax", "cc");
	} else {
		printf("unknown variant\n");
		return 2;
	}
	printf("survived %s\n", v);
	return 0;
}
