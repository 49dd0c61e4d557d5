// cpuid presence and baseline features (no vendor-specific values printed),
// EFLAGS.ID toggling.
#include "gt.h"
#include <cpuid.h>

static void cpuid(unsigned leaf, unsigned sub, unsigned r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

int main(void)
{
	unsigned long f0, f1, fin;
	/* EFLAGS.ID (bit 21) can be toggled iff cpuid exists */
	__asm__ volatile(RZ_IN "pushf\n\tpop %[fout]\n\t" RZ_OUT : [fout] "=r"(f0) : : "memory");
	fin = f0 ^ 0x200000;
	__asm__ volatile(RZ_IN SETFL GETFL RZ_OUT : [fout] "=r"(f1) : [fin] "r"(fin) : "memory", "cc");
	printf("ID flag toggles: %s\n", ((f0 ^ f1) & 0x200000) ? "yes" : "no");
	fin = f0;
	__asm__ volatile(RZ_IN SETFL GETFL RZ_OUT : [fout] "=r"(f1) : [fin] "r"(fin) : "memory", "cc");
	printf("ID flag restored: %s\n", ((f0 ^ f1) & 0x200000) ? "no" : "yes");

	unsigned r[4];
	cpuid(0, 0, r);
	printf("max basic leaf >= 1: %s\n", r[0] >= 1 ? "yes" : "no");
	char vendor[13];
	memcpy(vendor, &r[1], 4);
	memcpy(vendor + 4, &r[3], 4);
	memcpy(vendor + 8, &r[2], 4);
	vendor[12] = 0;
	int printable = 1;
	for (int i = 0; i < 12; i++)
		if (vendor[i] < 0x20 || vendor[i] > 0x7e)
			printable = 0;
	printf("vendor string printable: %s\n", printable ? "yes" : "no");
	cpuid(1, 0, r);
	printf("family nonzero: %s\n", ((r[0] >> 8) & 0xf) ? "yes" : "no");
	printf("fpu=%u cx8=%u cmov=%u mmx=%u fxsr=%u sse=%u sse2=%u\n", r[3] & 1, (r[3] >> 8) & 1, (r[3] >> 15) & 1, (r[3] >> 23) & 1, (r[3] >> 24) & 1,
	       (r[3] >> 25) & 1, (r[3] >> 26) & 1);
	/* the same through gcc's helper */
	unsigned a = 0, b = 0, c = 0, d = 0;
	printf("__get_cpuid(1): %s\n", __get_cpuid(1, &a, &b, &c, &d) ? "ok" : "failed");
	printf("matches inline: %s\n", (d == r[3] && c == r[2]) ? "yes" : "no");
	cpuid(0x80000000u, 0, r);
	printf("extended leaves present: %s\n", r[0] >= 0x80000001u ? "yes" : "no");
#ifdef __x86_64__
	cpuid(0x80000001u, 0, r);
	printf("long mode bit: %u\n", (r[3] >> 29) & 1);
#endif
	return 0;
}
