// and/or/xor/test/inc/dec/not over edge values in all sizes with flags,
// plus memory, immediate and accumulator encodings of the ALU group.
#include "gt.h"

typedef uint64_t (*binfn)(uint64_t, uint64_t, unsigned long, unsigned long *);

#define DEF_BIN(OP, BITS, T)                                                   \
	static uint64_t OP##BITS(uint64_t a_, uint64_t b_, unsigned long fin,  \
				 unsigned long *fo)                            \
	{                                                                      \
		T a = (T)a_, b = (T)b_;                                        \
		unsigned long f;                                               \
		__asm__ volatile(RZ_IN SETFL #OP " %[b], %[a]\n\t" GETFL RZ_OUT \
				 : [a] "+q"(a), [fout] "=r"(f)                 \
				 : [b] "q"(b), [fin] "r"(fin)                  \
				 : "cc", "memory");                            \
		*fo = f;                                                       \
		return a;                                                      \
	}
#define DEF_UN(OP, BITS, T)                                                    \
	static uint64_t OP##BITS(uint64_t a_, uint64_t b_, unsigned long fin,  \
				 unsigned long *fo)                            \
	{                                                                      \
		T a = (T)a_;                                                   \
		unsigned long f;                                               \
		(void)b_;                                                      \
		__asm__ volatile(RZ_IN SETFL #OP " %[a]\n\t" GETFL RZ_OUT      \
				 : [a] "+q"(a), [fout] "=r"(f)                 \
				 : [fin] "r"(fin)                              \
				 : "cc", "memory");                            \
		*fo = f;                                                       \
		return a;                                                      \
	}
#ifdef __x86_64__
#define DEF_ALL(D, OP) D(OP, 8, uint8_t) D(OP, 16, uint16_t) D(OP, 32, uint32_t) D(OP, 64, uint64_t)
#define FN4(OP) {OP##8, OP##16, OP##32, OP##64}
#else
#define DEF_ALL(D, OP) D(OP, 8, uint8_t) D(OP, 16, uint16_t) D(OP, 32, uint32_t)
#define FN4(OP) {OP##8, OP##16, OP##32, 0}
#endif

DEF_ALL(DEF_BIN, and)
DEF_ALL(DEF_BIN, or)
DEF_ALL(DEF_BIN, xor)
DEF_ALL(DEF_BIN, test)
DEF_ALL(DEF_UN, inc)
DEF_ALL(DEF_UN, dec)
DEF_ALL(DEF_UN, not)

static const uint64_t v8[] = {0, 1, 0x0f, 0x7f, 0x80, 0x81, 0xaa, 0xfe, 0xff};
static const uint64_t v16[] = {0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xaaaa, 0xffff};
static const uint64_t v32[] = {0, 1, 0x80, 0xff, 0x7fffffff, 0x80000000, 0xaaaa5555, 0xfffffffe, 0xffffffff};
static const uint64_t v64[] = {0, 1, 0xff, 0xffffffff, 0x7fffffffffffffffull, 0x8000000000000000ull,
			       0xaaaa5555aaaa5555ull, 0xfffffffffffffffeull, 0xffffffffffffffffull};

struct op {
	const char *name;
	binfn fn[4];
	int unary;
	unsigned defined;
};

/* ---- encodings: memory destination, memory source, immediates, accumulator ---- */
static unsigned defmask(const char *insn)
{
	if (!strncmp(insn, "and", 3) || !strncmp(insn, "or", 2) || !strncmp(insn, "xor", 3) ||
	    !strncmp(insn, "test", 4))
		return FL_ALL6 & ~FL_AF;
	return FL_ALL6;
}

static void forms(void)
{
	static const uint32_t vals[] = {0, 1, 0x7f, 0x80, 0xff, 0x7fffffff, 0x80000000, 0xffffffff};
	for (size_t i = 0; i < ARRAY_LEN(vals); i++) {
		for (int k = 0; k < 2; k++) {
			unsigned long fin = k ? FIN_SET : FIN_CLEAR, f;
			uint32_t m, a, b = 0x0f0f00ff;
			uint32_t *p = &m;
#define MEMDST(INSN)                                                                          \
	m = vals[i];                                                                          \
	__asm__ volatile(RZ_IN SETFL INSN " %[b], (%[p])\n\t" GETFL RZ_OUT                    \
			 : [fout] "=r"(f)                                                     \
			 : [b] "r"(b), [p] "r"(p), [fin] "r"(fin)                             \
			 : "cc", "memory");                                                   \
	printf("%-6s m,r  %08x %s: %08x", INSN, vals[i], fin_name(fin), m);                   \
	pflags(f, defmask(INSN));                                                                   \
	putchar('\n');
			MEMDST("add") MEMDST("adc") MEMDST("sub") MEMDST("sbb") MEMDST("and")
			MEMDST("or") MEMDST("xor")
#define MEMSRC(INSN)                                                                          \
	m = b;                                                                                \
	a = vals[i];                                                                          \
	__asm__ volatile(RZ_IN SETFL INSN " (%[p]), %[a]\n\t" GETFL RZ_OUT                    \
			 : [fout] "=r"(f), [a] "+r"(a)                                        \
			 : [p] "r"(p), [fin] "r"(fin)                                         \
			 : "cc", "memory");                                                   \
	printf("%-6s r,m  %08x %s: %08x", INSN, vals[i], fin_name(fin), a);                   \
	pflags(f, defmask(INSN));                                                                   \
	putchar('\n');
			MEMSRC("add") MEMSRC("sbb") MEMSRC("cmp") MEMSRC("xor")
#define IMM(INSN, IMMV)                                                                       \
	a = vals[i];                                                                          \
	__asm__ volatile(RZ_IN SETFL INSN " $" #IMMV ", %[a]\n\t" GETFL RZ_OUT                \
			 : [fout] "=r"(f), [a] "+r"(a)                                        \
			 : [fin] "r"(fin)                                                     \
			 : "cc", "memory");                                                   \
	printf("%-6s r,%-11s %08x %s: %08x", INSN, #IMMV, vals[i], fin_name(fin), a);        \
	pflags(f, defmask(INSN));                                                                   \
	putchar('\n');
			IMM("addl", 1) IMM("addl", -1) IMM("addl", 0x12345) IMM("subl", -128)
			IMM("adcl", 127) IMM("sbbl", 0x7fffffff) IMM("cmpl", -2147483648)
			IMM("andl", -16) IMM("orl", 0x80) IMM("xorl", -1)
#define ACC(INSN, IMMV, T, CONS)                                                              \
	{                                                                                     \
		T acc = (T)vals[i];                                                           \
		__asm__ volatile(RZ_IN SETFL INSN " $" #IMMV ", %[a]\n\t" GETFL RZ_OUT        \
				 : [fout] "=r"(f), [a] "+a"(acc)                              \
				 : [fin] "r"(fin)                                             \
				 : "cc", "memory");                                           \
		printf("%-6s acc,%-9s %08x %s: %08x", INSN, #IMMV, vals[i], fin_name(fin),   \
		       (uint32_t)acc);                                                        \
		pflags(f, defmask(INSN));                                                           \
		putchar('\n');                                                                \
	}
			ACC("addb", 0x81, uint8_t, "a") ACC("subw", 0x1234, uint16_t, "a")
			ACC("adcl", 0x7ffffff0, uint32_t, "a") ACC("testb", 0x80, uint8_t, "a")
			ACC("testl", 0x80000001, uint32_t, "a") ACC("cmpw", -1, uint16_t, "a")
#define MEMIMM(INSN, IMMV)                                                                    \
	m = vals[i];                                                                          \
	__asm__ volatile(RZ_IN SETFL INSN " $" #IMMV ", (%[p])\n\t" GETFL RZ_OUT              \
			 : [fout] "=r"(f)                                                     \
			 : [p] "r"(p), [fin] "r"(fin)                                         \
			 : "cc", "memory");                                                   \
	printf("%-6s m,%-11s %08x %s: %08x", INSN, #IMMV, vals[i], fin_name(fin), m);        \
	pflags(f, defmask(INSN));                                                                   \
	putchar('\n');
			MEMIMM("addb", 0x80) MEMIMM("addw", 0x8001) MEMIMM("subl", 1)
			MEMIMM("orl", -1)
#define MEMUN(INSN)                                                                           \
	m = vals[i];                                                                          \
	__asm__ volatile(RZ_IN SETFL INSN " (%[p])\n\t" GETFL RZ_OUT                          \
			 : [fout] "=r"(f)                                                     \
			 : [p] "r"(p), [fin] "r"(fin)                                         \
			 : "cc", "memory");                                                   \
	printf("%-6s m  %08x %s: %08x", INSN, vals[i], fin_name(fin), m);                    \
	pflags(f, defmask(INSN));                                                                   \
	putchar('\n');
			MEMUN("incl") MEMUN("decw") MEMUN("notb") MEMUN("negl") MEMUN("negw")
			MEMUN("incb")
		}
	}
}

int main(void)
{
	const unsigned logic = FL_ALL6 & ~FL_AF; /* AF undefined for logic ops */
	const struct op ops[] = {
		{"and", FN4(and), 0, logic}, {"or", FN4(or), 0, logic},
		{"xor", FN4(xor), 0, logic}, {"test", FN4(test), 0, logic},
		{"inc", FN4(inc), 1, FL_ALL6}, {"dec", FN4(dec), 1, FL_ALL6},
		{"not", FN4(not), 1, FL_ALL6},
	};
	const uint64_t *vals[4] = {v8, v16, v32, v64};
	const size_t nv[4] = {ARRAY_LEN(v8), ARRAY_LEN(v16), ARRAY_LEN(v32), ARRAY_LEN(v64)};
	const unsigned long fins[2] = {FIN_CLEAR, FIN_SET};
	int nsizes = ARCH_BITS == 64 ? 4 : 3;

	for (size_t o = 0; o < ARRAY_LEN(ops); o++) {
		for (int s = 0; s < nsizes; s++) {
			int bits = 8 << s;
			int w = hexw(bits);
			for (size_t i = 0; i < nv[s]; i++) {
				for (size_t j = 0; j < (ops[o].unary ? 1 : nv[s]); j++) {
					for (int k = 0; k < 2; k++) {
						unsigned long f;
						uint64_t a = vals[s][i], b = vals[s][j];
						uint64_t r = ops[o].fn[s](a, b, fins[k], &f);
						printf("%s%d %0*llx", ops[o].name, bits, w, (unsigned long long)a);
						if (!ops[o].unary)
							printf(" %0*llx", w, (unsigned long long)b);
						printf(" %s: %0*llx", fin_name(fins[k]), w, (unsigned long long)r);
						pflags(f, ops[o].defined);
						putchar('\n');
					}
				}
			}
		}
	}
	forms();
	return 0;
}
