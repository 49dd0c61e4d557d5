// LAR, LSL, VERR and VERW on every GDT selector of the first 16 entries
// with each RPL, 16 and 32-bit (and on x86-64 64-bit) destinations: ZF
// and the access rights or limit the kernel's descriptors give (the
// limit of 0x7b, the CPU number, is not printed); ARPL on i386. A failing
// LAR leaves its destination alone. The i386 build is a qemuRefGaps
// entry: qemu-i386's GDT is its own (TestInspectSelectors covers i386).
#include "gt.h"

int main(void)
{
	for (unsigned sel = 0; sel < 0x80; sel++) {
#ifdef __x86_64__
		// 0x23 (__USER32_CS) exists only where the kernel has IA-32
		// emulation: compat32 looks at it.
		if (sel >> 3 == 4)
			continue;
#endif
		unsigned long ar = 0x5a5a5a5a, lim = 0x5a5a5a5a;
		unsigned short ar16 = 0x5a5a;
		unsigned char zl, zs, zr, zw, z16;
		asm volatile("lar %2, %0\n\tsetz %1" : "+r"(ar), "=q"(zl) : "r"((unsigned long)sel) : "cc");
		asm volatile("lsl %2, %0\n\tsetz %1" : "+r"(lim), "=q"(zs) : "r"((unsigned long)sel) : "cc");
		asm volatile("larw %w2, %0\n\tsetz %1" : "+r"(ar16), "=q"(z16) : "r"(sel) : "cc");
		asm volatile("verr %w1\n\tsetz %0" : "=q"(zr) : "r"(sel) : "cc");
		asm volatile("verw %w1\n\tsetz %0" : "=q"(zw) : "r"(sel) : "cc");
		if (!zl && !zs && !zr && !zw && !z16 && ar == 0x5a5a5a5a && ar16 == 0x5a5a)
			continue;
		printf("sel %#04x: lar %d %#lx lar16 %d %#x lsl %d", sel, zl, ar, z16, ar16, zs);
		if (sel >> 3 != 15)
			printf(" %#lx", lim);
		printf(" verr %d verw %d\n", zr, zw);
	}
#ifndef __x86_64__
	unsigned short s[][2] = {{0x28, 3}, {0x2b, 0}, {0x29, 2}, {0x2b, 3}, {0, 1}};
	for (unsigned i = 0; i < sizeof s / sizeof s[0]; i++) {
		unsigned short d = s[i][0];
		unsigned char z;
		asm volatile("arpl %w2, %0\n\tsetz %1" : "+r"(d), "=q"(z) : "r"(s[i][1]) : "cc");
		printf("arpl %#x, %d: %#x zf %d\n", s[i][0], s[i][1], d, z);
	}
#endif
	return 0;
}
