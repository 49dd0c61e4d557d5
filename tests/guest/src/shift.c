// shl/shr/sar/rol/ror/rcl/rcr by CL, by 1 and by imm8 in all sizes with
// defined flags only (undefined flags are printed as '-').
#include "gt.h"

typedef uint64_t (*shfn)(uint64_t, unsigned, unsigned long, unsigned long *);

#define DEF_SH(OP, BITS, T)                                                    \
	static uint64_t OP##BITS(uint64_t a_, unsigned cnt, unsigned long fin, \
				 unsigned long *fo)                            \
	{                                                                      \
		T a = (T)a_;                                                   \
		uint8_t c = (uint8_t)cnt;                                      \
		unsigned long f;                                               \
		__asm__ volatile(RZ_IN SETFL #OP " %%cl, %[a]\n\t" GETFL RZ_OUT \
				 : [a] "+q"(a), [fout] "=r"(f)                 \
				 : "c"(c), [fin] "r"(fin)                      \
				 : "cc", "memory");                            \
		*fo = f;                                                       \
		return a;                                                      \
	}
#ifdef __x86_64__
#define DEF_ALL(OP) DEF_SH(OP, 8, uint8_t) DEF_SH(OP, 16, uint16_t) DEF_SH(OP, 32, uint32_t) DEF_SH(OP, 64, uint64_t)
#define FN4(OP) {OP##8, OP##16, OP##32, OP##64}
#else
#define DEF_ALL(OP) DEF_SH(OP, 8, uint8_t) DEF_SH(OP, 16, uint16_t) DEF_SH(OP, 32, uint32_t)
#define FN4(OP) {OP##8, OP##16, OP##32, 0}
#endif
DEF_ALL(shl)
DEF_ALL(shr)
DEF_ALL(sar)
DEF_ALL(rol)
DEF_ALL(ror)
DEF_ALL(rcl)
DEF_ALL(rcr)

enum { K_SHIFT, K_ROT, K_RC };

static unsigned defined(int kind, int bits, unsigned cnt)
{
	unsigned mc = cnt & (bits == 64 ? 63 : 31);
	unsigned d;
	if (mc == 0)
		return FL_ALL6; /* nothing changes */
	switch (kind) {
	case K_SHIFT:
		d = FL_PF | FL_ZF | FL_SF;
		if (mc < (unsigned)bits)
			d |= FL_CF;
		break;
	default: /* rotates leave SF ZF AF PF alone */
		d = FL_PF | FL_ZF | FL_SF | FL_AF | FL_CF;
		break;
	}
	if (mc == 1)
		d |= FL_OF;
	return d;
}

static const uint64_t v8[] = {0, 1, 0x7f, 0x80, 0x81, 0xa5, 0xff};
static const uint64_t v16[] = {0, 1, 0x7fff, 0x8000, 0x8001, 0xa55a, 0xffff};
static const uint64_t v32[] = {0, 1, 0x7fffffff, 0x80000000, 0x80000001, 0xa55a3cc3, 0xffffffff};
static const uint64_t v64[] = {0, 1, 0x7fffffffffffffffull, 0x8000000000000000ull, 0x8000000000000001ull,
			       0xa55a3cc30ff0f00full, 0xffffffffffffffffull};
static const unsigned counts[] = {0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 18, 31, 32, 33, 63, 64, 65, 255};

static void imm_forms(void)
{
	static const uint32_t vals[] = {0x80000001, 0x40000000, 0xa55a3cc3};
	for (size_t i = 0; i < ARRAY_LEN(vals); i++) {
		for (int k = 0; k < 2; k++) {
			unsigned long fin = k ? FIN_SET : FIN_CLEAR, f;
			uint32_t a;
			uint16_t a16;
			uint8_t a8;
#define IMM(INSN, N, KIND)                                                                     \
	a = vals[i];                                                                           \
	__asm__ volatile(RZ_IN SETFL INSN " $" #N ", %[a]\n\t" GETFL RZ_OUT                    \
			 : [fout] "=r"(f), [a] "+r"(a)                                         \
			 : [fin] "r"(fin)                                                      \
			 : "cc", "memory");                                                    \
	printf("%s $%s %08x %s: %08x", INSN, #N, vals[i], fin_name(fin), a);                   \
	pflags(f, defined(KIND, 32, N));                                                       \
	putchar('\n');
#define ONE(INSN, KIND)                                                                        \
	a = vals[i];                                                                           \
	a16 = (uint16_t)vals[i];                                                               \
	a8 = (uint8_t)vals[i];                                                                 \
	__asm__ volatile(RZ_IN SETFL INSN "l %[a]\n\t" GETFL RZ_OUT                            \
			 : [fout] "=r"(f), [a] "+r"(a)                                         \
			 : [fin] "r"(fin)                                                      \
			 : "cc", "memory");                                                    \
	printf("%s1 %08x %s: %08x", INSN, vals[i], fin_name(fin), a);                          \
	pflags(f, defined(KIND, 32, 1));                                                       \
	__asm__ volatile(RZ_IN SETFL INSN "w %[a]\n\t" GETFL RZ_OUT                            \
			 : [fout] "=r"(f), [a] "+r"(a16)                                       \
			 : [fin] "r"(fin)                                                      \
			 : "cc", "memory");                                                    \
	printf(" | w %04x", a16);                                                              \
	pflags(f, defined(KIND, 16, 1));                                                       \
	__asm__ volatile(RZ_IN SETFL INSN "b %[a]\n\t" GETFL RZ_OUT                            \
			 : [fout] "=r"(f), [a] "+q"(a8)                                        \
			 : [fin] "r"(fin)                                                      \
			 : "cc", "memory");                                                    \
	printf(" | b %02x", a8);                                                               \
	pflags(f, defined(KIND, 8, 1));                                                        \
	putchar('\n');
			IMM("shll", 1, K_SHIFT) IMM("shll", 4, K_SHIFT) IMM("shrl", 31, K_SHIFT)
			IMM("sarl", 31, K_SHIFT) IMM("sarl", 33, K_SHIFT) IMM("shll", 32, K_SHIFT)
			IMM("roll", 1, K_ROT) IMM("roll", 13, K_ROT) IMM("rorl", 31, K_ROT)
			IMM("rcll", 1, K_RC) IMM("rcrl", 5, K_RC) IMM("rcrl", 32, K_RC)
			ONE("shl", K_SHIFT) ONE("shr", K_SHIFT) ONE("sar", K_SHIFT)
			ONE("rol", K_ROT) ONE("ror", K_ROT) ONE("rcl", K_RC) ONE("rcr", K_RC)
		}
	}
	/* memory operand with CL count */
	for (unsigned c = 0; c < 40; c += 3) {
		uint32_t m = 0x81234567;
		uint32_t *p = &m;
		uint8_t cl = (uint8_t)c;
		unsigned long f, fin = FIN_SET;
		__asm__ volatile(RZ_IN SETFL "rcrl %%cl, (%[p])\n\t" GETFL RZ_OUT
				 : [fout] "=r"(f)
				 : [p] "r"(p), "c"(cl), [fin] "r"(fin)
				 : "cc", "memory");
		printf("rcrl mem cl=%u: %08x", c, m);
		pflags(f, defined(K_RC, 32, c));
		putchar('\n');
	}
}

int main(void)
{
	const struct {
		const char *name;
		shfn fn[4];
		int kind;
	} ops[] = {
		{"shl", FN4(shl), K_SHIFT}, {"shr", FN4(shr), K_SHIFT}, {"sar", FN4(sar), K_SHIFT},
		{"rol", FN4(rol), K_ROT},   {"ror", FN4(ror), K_ROT},   {"rcl", FN4(rcl), K_RC},
		{"rcr", FN4(rcr), K_RC},
	};
	const uint64_t *vals[4] = {v8, v16, v32, v64};
	const size_t nv[4] = {ARRAY_LEN(v8), ARRAY_LEN(v16), ARRAY_LEN(v32), ARRAY_LEN(v64)};
	int nsizes = ARCH_BITS == 64 ? 4 : 3;
	for (size_t o = 0; o < ARRAY_LEN(ops); o++)
		for (int s = 0; s < nsizes; s++) {
			int bits = 8 << s, w = hexw(bits);
			for (size_t i = 0; i < nv[s]; i++)
				for (size_t c = 0; c < ARRAY_LEN(counts); c++)
					for (int k = 0; k < 2; k++) {
						unsigned long fin = k ? FIN_SET : FIN_CLEAR, f;
						uint64_t r = ops[o].fn[s](vals[s][i], counts[c], fin, &f);
						printf("%s%d %0*llx cl=%u %s: %0*llx", ops[o].name, bits, w,
						       (unsigned long long)vals[s][i], counts[c], fin_name(fin), w,
						       (unsigned long long)r);
						pflags(f, defined(ops[o].kind, bits, counts[c]));
						putchar('\n');
					}
		}
	imm_forms();
	return 0;
}
