// setcc / cmovcc / jcc for all 16 conditions over all combinations of
// CF PF ZF SF OF (flags loaded with popf), lahf/sahf, pushf/popf round trips,
// clc/stc/cmc/cld/std.
#include "gt.h"

#define CC_LIST(X) X(o) X(no) X(b) X(ae) X(e) X(ne) X(be) X(a) X(s) X(ns) X(p) X(np) X(l) X(ge) X(le) X(g)

#define DEF_SET(CC)                                                                 \
	static int set_##CC(unsigned long fin)                                      \
	{                                                                           \
		unsigned char r;                                                    \
		__asm__ volatile(RZ_IN SETFL "set" #CC " %[r]\n\t" RZ_OUT           \
				 : [r] "=q"(r)                                      \
				 : [fin] "r"(fin)                                   \
				 : "cc", "memory");                                 \
		return r;                                                           \
	}                                                                           \
	static int cmov_##CC(unsigned long fin)                                     \
	{                                                                           \
		unsigned long r = 0, one = 1;                                       \
		__asm__ volatile(RZ_IN SETFL "cmov" #CC " %[one], %[r]\n\t" RZ_OUT  \
				 : [r] "+r"(r)                                      \
				 : [fin] "r"(fin), [one] "r"(one)                   \
				 : "cc", "memory");                                 \
		return (int)r;                                                      \
	}                                                                           \
	static int cmov16_##CC(unsigned long fin)                                   \
	{                                                                           \
		static uint16_t one = 0x8001;                                       \
		uint16_t r = 0;                                                     \
		uint16_t *p = &one;                                                 \
		__asm__ volatile(RZ_IN SETFL "cmov" #CC "w (%[p]), %[r]\n\t" RZ_OUT \
				 : [r] "+r"(r)                                      \
				 : [fin] "r"(fin), [p] "r"(p)                       \
				 : "cc", "memory");                                 \
		return r == 0x8001;                                                 \
	}                                                                           \
	static int j_##CC(unsigned long fin)                                        \
	{                                                                           \
		int r;                                                              \
		__asm__ volatile(RZ_IN SETFL "j" #CC " 1f\n\t"                      \
				 "mov $0, %[r]\n\t"                                 \
				 "jmp 2f\n"                                         \
				 "1:\tmov $1, %[r]\n"                               \
				 "2:\n\t" RZ_OUT                                    \
				 : [r] "=r"(r)                                      \
				 : [fin] "r"(fin)                                   \
				 : "cc", "memory");                                 \
		return r;                                                           \
	}                                                                           \
	static int setm_##CC(unsigned long fin)                                     \
	{                                                                           \
		static unsigned char m;                                             \
		unsigned char *p = &m;                                              \
		m = 0x55;                                                           \
		__asm__ volatile(RZ_IN SETFL "set" #CC " (%[p])\n\t" RZ_OUT         \
				 :                                                  \
				 : [fin] "r"(fin), [p] "r"(p)                       \
				 : "cc", "memory");                                 \
		return m;                                                           \
	}
CC_LIST(DEF_SET)

typedef int (*ccfn)(unsigned long);
#define NAME(CC) #CC,
#define SETF(CC) set_##CC,
#define CMOVF(CC) cmov_##CC,
#define CMOV16F(CC) cmov16_##CC,
#define JF(CC) j_##CC,
#define SETMF(CC) setm_##CC,
static const char *names[] = {CC_LIST(NAME)};
static const ccfn setf[] = {CC_LIST(SETF)};
static const ccfn cmovf[] = {CC_LIST(CMOVF)};
static const ccfn cmov16f[] = {CC_LIST(CMOV16F)};
static const ccfn jf[] = {CC_LIST(JF)};
static const ccfn setmf[] = {CC_LIST(SETMF)};

static unsigned long combo(int i)
{
	unsigned long f = 0x2;
	if (i & 1) f |= FL_CF;
	if (i & 2) f |= FL_PF;
	if (i & 4) f |= FL_ZF;
	if (i & 8) f |= FL_SF;
	if (i & 16) f |= FL_OF;
	if (i & 32) f |= FL_AF;
	return f;
}

int main(void)
{
	printf("conds:");
	for (int c = 0; c < 16; c++)
		printf(" %s", names[c]);
	putchar('\n');
	for (int i = 0; i < 64; i++) {
		unsigned long fin = combo(i);
		printf("flags %03lx set  ", fin);
		for (int c = 0; c < 16; c++)
			putchar('0' + setf[c](fin));
		printf(" cmov ");
		for (int c = 0; c < 16; c++)
			putchar('0' + cmovf[c](fin));
		printf(" cmov16 ");
		for (int c = 0; c < 16; c++)
			putchar('0' + cmov16f[c](fin));
		printf(" jcc ");
		for (int c = 0; c < 16; c++)
			putchar('0' + jf[c](fin));
		printf(" setm ");
		for (int c = 0; c < 16; c++)
			printf("%d", setmf[c](fin));
		putchar('\n');
	}

	/* sahf then lahf for every AH value; OF preserved */
	for (int ah = 0; ah < 256; ah++) {
		for (int of = 0; of < 2; of++) {
			unsigned long fin = of ? (0x2 | FL_OF) : 0x2, f;
			unsigned long ax = (unsigned long)ah << 8, out;
			__asm__ volatile(RZ_IN SETFL "sahf\n\tmov $0, %%ah\n\tlahf\n\tmov %%eax, %k[out]\n\t" GETFL RZ_OUT
					 : [out] "=r"(out), [fout] "=r"(f), "+a"(ax)
					 : [fin] "r"(fin)
					 : "cc", "memory");
			if (ah % 8 == 0 && of == 0)
				printf("sahf/lahf %02x:", ah);
			printf(" %02lx/%03lx", (out >> 8) & 0xff, f & (FL_ALL6 | 0x2));
			if (ah % 8 == 7 && of == 1)
				putchar('\n');
		}
	}

	/* popf/pushf round trip of user-modifiable bits (no TF, no AC, no NT) */
	{
		static const unsigned long pats[] = {0x0, 0x1, 0x4, 0x10, 0x40, 0x80, 0x400, 0x800,
						     0x8d5, 0xcd5, 0x200000, 0x2008d5, 0x3000, 0x200};
		const unsigned long show = FL_ALL6 | FL_DF | 0x2 | 0x200 | 0x200000;
		for (size_t i = 0; i < ARRAY_LEN(pats); i++) {
			unsigned long fin = pats[i] | 0x2, f;
			__asm__ volatile(RZ_IN SETFL GETFL "cld\n\t" RZ_OUT
					 : [fout] "=r"(f)
					 : [fin] "r"(fin)
					 : "cc", "memory");
			/* bit 1 always 1, IF (0x200) always set in user mode; IOPL (0x3000) not writable */
			printf("popf %06lx -> pushf %06lx\n", fin, f & show);
		}
	}
	/* clc/stc/cmc, cld/std */
	{
		unsigned long f1, f2, f3, f4, f5, fin = FIN_CLEAR;
		__asm__ volatile(RZ_IN SETFL "stc\n\tpushf\n\tpop %[a]\n\tcmc\n\tpushf\n\tpop %[b]\n\t"
				 "cmc\n\tclc\n\tpushf\n\tpop %[c]\n\tstd\n\tpushf\n\tpop %[d]\n\tcld\n\t"
				 "pushf\n\tpop %[e]\n\t" RZ_OUT
				 : [a] "=&r"(f1), [b] "=&r"(f2), [c] "=&r"(f3), [d] "=&r"(f4), [e] "=&r"(f5)
				 : [fin] "r"(fin)
				 : "cc", "memory");
		printf("stc %lx cmc %lx clc %lx std %lx cld %lx\n", f1 & 0xfff, f2 & 0xfff, f3 & 0xfff,
		       f4 & 0xfff, f5 & 0xfff);
	}
	return 0;
}
