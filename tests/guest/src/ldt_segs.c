// LDT selectors in i386 code (QEMU's test_segs, written anew): entries
// written with modify_ldt loaded into FS, GS, ES and DS, their bases
// applied to FS/GS operands and to explicit segment prefixes, LFS, a far
// CALL and RET through an LDT code segment, and the loads that fault: SS
// with read-only data or RPL 0, not-present entries (#NP, #SS: SIGBUS),
// empty, cleared or missing entries (#GP: SIGSEGV). On x86-64 the program
// prints a note only: the reference machines' kernel (a paravirtualized
// guest) accepts modify_ldt but refuses every LDT selector load, so there
// is no native reference; internal/x86's unit tests cover 64-bit loads.
#include "gt.h"
#include <asm/ldt.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifdef __x86_64__
int main(void)
{
	printf("x86-64: LDT selectors are not tested (no native reference)\n");
	return 0;
}
#else
static sigjmp_buf jb;
static unsigned int data1[4] = {0x11111111, 0x22222222, 0x33333333, 0x44444444};
static unsigned int data2[4] = {0xaaaaaaaa, 0xbbbbbbbb, 0xcccccccc, 0xdddddddd};
static unsigned char far2[6];

#define SEL(i) ((i) << 3 | 7)

static void handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	printf("  sig %d code %d addr %s\n", sig, si->si_code, si->si_addr ? "set" : "0");
	siglongjmp(jb, 1);
}

static void set(int func, unsigned entry, unsigned base, unsigned limit, unsigned flags)
{
	struct user_desc u;
	memset(&u, 0, sizeof u);
	u.entry_number = entry;
	u.base_addr = base;
	u.limit = limit;
	memcpy((char *)&u + 12, &flags, 4);
	if (syscall(SYS_modify_ldt, func, &u, sizeof u) != 0)
		printf("modify_ldt %#x entry %u failed\n", func, entry);
}

// Flag words of struct user_desc.
#define F32 1u
#define FCONT(c) ((c) << 1)
#define FRO 8u
#define FPAGES 16u
#define FNP 32u
#define FUSE 64u

int main(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGSEGV, &sa, 0);
	sigaction(SIGBUS, &sa, 0);

	unsigned b1 = (unsigned)(unsigned long)data1, b2 = (unsigned)(unsigned long)data2;
	set(0x11, 0, b1, 15, F32 | FUSE);
	set(0x11, 1, b2, 15, F32 | FRO);
	set(0x11, 2, 0, 0xfffff, F32 | FCONT(2) | FPAGES);
	set(0x11, 3, b1, 15, F32 | FNP);
	set(0x11, 4, 0x12345678, 0xabcde, FCONT(1) | FUSE);
	set(0x11, 6, 0x1000, 0x2000, F32 | FCONT(3) | FNP);
	set(0x11, 7, 0, 0, FRO | FNP);
	set(0x11, 9, 0x5000, 0, F32);
	set(1, 9, 0, 0, F32 | FUSE);

	unsigned v = 0, w = 0;
	unsigned short s = 0;
	asm volatile("mov %%gs, %%cx\n\tmov %3, %%gs\n\tmov %%gs:4, %0\n\tmov %%gs, %2\n\tmov %%cx, %%gs\n\t"
		     "mov %4, %%fs\n\tmov %%fs:8, %1\n\t"
		     : "=&r"(v), "=&r"(w), "=&r"(s) : "r"(SEL(0)), "r"(SEL(1)) : "ecx");
	printf("gs data1[1] %#x fs data2[2] %#x sel %#x\n", v, w, s);
	asm volatile("mov %2, %%es\n\tmov %%es:12, %0\n\tmov %%es, %1\n\tmov $0x2b, %%ecx\n\tmov %%ecx, %%es"
		     : "=&r"(v), "=&r"(s) : "r"(SEL(0)) : "ecx");
	printf("es: prefix data1[3] %#x sel %#x\n", v, s);
	asm volatile("mov %2, %%ds\n\t.byte 0x3e /* ds */\n\tmov 0, %0\n\tmov $0x2b, %%ecx\n\tmov %%ecx, %%ds\n\tmov %%ds, %1"
		     : "=&r"(v), "=&r"(s) : "r"(SEL(1)) : "ecx");
	printf("ds: prefix data2[0] %#x ds back %#x\n", v, s);
	memcpy(far2, &(unsigned){0x1234}, 4);
	*(unsigned short *)(far2 + 4) = SEL(1);
	asm volatile("lfs (%2), %0\n\tmov %%fs:12, %1" : "=&r"(v), "=&r"(w) : "r"(far2));
	printf("lfs %#x data2[3] %#x\n", v, w);
	asm volatile("lcall %2, $1f\n\tjmp 2f\n1:\tmov %%cs, %0\n\tmov 4(%%esp), %1\n\tlret\n2:"
		     : "=&r"(s), "=&r"(v) : "i"(SEL(2)));
	printf("lcall LDT code: cs inside %#x, caller cs %#x\n", s, v);
	asm volatile("push %2\n\tpush $1f\n\tlret\n1:\tmov %%cs, %0\n\tljmp $0x23, $2f\n2:" : "=&r"(s), "=&r"(v) : "i"(SEL(2)));
	printf("lret to LDT code: cs %#x\n", s);
	struct {
		const char *name;
		int seg; // 0 ds, 1 ss, 2 fs
		unsigned sel;
	} bad[] = {
		{"ss read-only", 1, SEL(1)}, {"ss data1", 1, SEL(0)}, {"ss 16-bit expand-down", 1, SEL(4)},
		{"fs not present", 2, SEL(3)}, {"ss not present", 1, SEL(3)}, {"fs empty", 2, SEL(7)},
		{"fs cleared", 2, SEL(9)}, {"fs beyond", 2, SEL(200)}, {"fs conforming np", 2, SEL(6)},
		{"fs code", 2, SEL(2)}, {"fs RPL 0", 2, SEL(0) & ~3}, {"ss RPL 0", 1, SEL(0) & ~3},
	};
	for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		printf("%s:\n", bad[i].name);
		if (!sigsetjmp(jb, 1)) {
			unsigned short o = 0;
			if (bad[i].seg == 1)
				asm volatile("mov %%ss, %0\n\tmov %1, %%ss\n\tmov %0, %%ss" : "=&r"(o) : "r"(bad[i].sel));
			else
				asm volatile("mov %%fs, %0\n\tmov %1, %%fs\n\tmov %0, %%fs" : "=&r"(o) : "r"(bad[i].sel));
			printf("  ok\n");
		}
	}
	return 0;
}
#endif
