// BCD adjust instructions daa/das/aaa/aas/aam/aad (i386 only; invalid in
// 64-bit mode, where the program just says so). Only defined flags printed.
#include "gt.h"

#ifdef __i386__
static void run(const char *name, int op, unsigned imm)
{
	for (int ax = 0; ax < 256; ax++) {
		for (int fi = 0; fi < 4; fi++) {
			unsigned long fin = 0x2 | ((fi & 1) ? FL_CF : 0) | ((fi & 2) ? FL_AF : 0), f = 0;
			unsigned long a = 0x1200 | (unsigned)ax; /* AH = 0x12 */
			unsigned def = 0;
			switch (op) {
			case 0:
				__asm__ volatile(SETFL "daa\n\t" GETFL : "+a"(a), [fout] "=r"(f) : [fin] "r"(fin) : "cc");
				def = FL_ALL6 & ~FL_OF;
				break;
			case 1:
				__asm__ volatile(SETFL "das\n\t" GETFL : "+a"(a), [fout] "=r"(f) : [fin] "r"(fin) : "cc");
				def = FL_ALL6 & ~FL_OF;
				break;
			case 2:
				/* old CPUs add 6 to AL only, newer add 0x106 to AX: skip ambiguous inputs */
				if (ax > 0xf9)
					continue;
				__asm__ volatile(SETFL "aaa\n\t" GETFL : "+a"(a), [fout] "=r"(f) : [fin] "r"(fin) : "cc");
				def = FL_CF | FL_AF;
				break;
			case 3:
				if (ax < 6)
					continue;
				__asm__ volatile(SETFL "aas\n\t" GETFL : "+a"(a), [fout] "=r"(f) : [fin] "r"(fin) : "cc");
				def = FL_CF | FL_AF;
				break;
			case 4:
				if (fi)
					continue;
				if (imm == 10)
					__asm__ volatile(SETFL ".byte 0xd4, 10\n\t" GETFL : "+a"(a), [fout] "=r"(f) : [fin] "r"(fin) : "cc");
				else if (imm == 16)
					__asm__ volatile(SETFL ".byte 0xd4, 16\n\t" GETFL : "+a"(a), [fout] "=r"(f) : [fin] "r"(fin) : "cc");
				else
					__asm__ volatile(SETFL ".byte 0xd4, 7\n\t" GETFL : "+a"(a), [fout] "=r"(f) : [fin] "r"(fin) : "cc");
				def = FL_SF | FL_ZF | FL_PF;
				break;
			case 5:
				if (fi)
					continue;
				a = ((unsigned)(ax * 7 + 3) & 0xff) << 8 | (unsigned)ax;
				if (imm == 10)
					__asm__ volatile(SETFL ".byte 0xd5, 10\n\t" GETFL : "+a"(a), [fout] "=r"(f) : [fin] "r"(fin) : "cc");
				else if (imm == 16)
					__asm__ volatile(SETFL ".byte 0xd5, 16\n\t" GETFL : "+a"(a), [fout] "=r"(f) : [fin] "r"(fin) : "cc");
				else
					__asm__ volatile(SETFL ".byte 0xd5, 7\n\t" GETFL : "+a"(a), [fout] "=r"(f) : [fin] "r"(fin) : "cc");
				def = FL_SF | FL_ZF | FL_PF;
				break;
			}
			printf("%s %02x cf=%d af=%d: ax=%04lx", name, ax, fi & 1, (fi >> 1) & 1, a & 0xffff);
			pflags(f, def);
			putchar('\n');
		}
	}
}
#endif

int main(void)
{
#ifdef __i386__
	run("daa", 0, 0);
	run("das", 1, 0);
	run("aaa", 2, 0);
	run("aas", 3, 0);
	run("aam10", 4, 10);
	run("aam16", 4, 16);
	run("aam7", 4, 7);
	run("aad10", 5, 10);
	run("aad16", 5, 16);
	run("aad7", 5, 7);
	/* a decimal addition using daa */
	{
		unsigned sum = 0;
		for (unsigned i = 0; i < 100; i++) {
			unsigned long a = sum & 0xff, b = (i % 10) | ((i / 10 % 10) << 4);
			__asm__("add %b1, %b0\n\tdaa" : "+a"(a) : "q"(b) : "cc");
			sum = (unsigned)a & 0xff;
		}
		printf("bcd sum: %02x\n", sum);
	}
#else
	printf("BCD instructions are invalid in 64-bit mode; nothing to test\n");
#endif
	return 0;
}
