// gemu-test: dyn=1
// The VEX-encoded BMI1/BMI2 instructions (andn bextr blsi blsmsk blsr bzhi
// pdep pext rorx sarx shlx shrx mulx), 32-bit and native-width operands,
// over edge values with both flag inputs; flags the manuals leave
// undefined are masked, and those they leave unchanged are checked.
#include "gt.h"
#include <cpuid.h>

static uint32_t hsh;
static void mixv(unsigned long v)
{
	for (size_t i = 0; i < sizeof v; i++, v >>= 8)
		hsh = (hsh ^ (unsigned char)v) * 16777619u;
}

static const unsigned long gv[] = {0, 1, 2, 3, 0x80, 0xff00, 0x7fffffff, 0x80000000, 0xffffffff,
				   (unsigned long)0x123456789abcdef0ull, (unsigned long)-1, (unsigned long)-2,
				   0x1001, 0x0802, 0x2008, 0xf0f0f0f0, 0x5555, 0x1f08, 0x2010, 0x4000};
#define NG ARRAY_LEN(gv)

/* one instruction: r = insn(b, c) with r's old value a, flags in and out */
#define GOP(name, insn, defined)                                                                  \
	static void g_##name(unsigned long a, unsigned long b, unsigned long c, unsigned long fin)  \
	{                                                                                          \
		unsigned long r = a, f;                                                            \
		__asm__ volatile(RZ_IN SETFL insn "\n\t" GETFL RZ_OUT                              \
				 : [fout] "=&r"(f), [r] "+&r"(r)                                    \
				 : [b] "r"(b), [c] "r"(c), [fin] "r"(fin)                           \
				 : "memory", "cc");                                                 \
		mixv(r), mixv(f & (defined));                                                       \
	}
GOP(andn, "andn %[c], %[b], %[r]", FL_CF | FL_ZF | FL_SF | FL_OF)
GOP(bextr, "bextr %[c], %[b], %[r]", FL_CF | FL_ZF | FL_OF)
GOP(blsi, "blsi %[b], %[r]", FL_CF | FL_ZF | FL_SF | FL_OF)
GOP(blsmsk, "blsmsk %[b], %[r]", FL_CF | FL_ZF | FL_SF | FL_OF)
GOP(blsr, "blsr %[b], %[r]", FL_CF | FL_ZF | FL_SF | FL_OF)
GOP(bzhi, "bzhi %[c], %[b], %[r]", FL_CF | FL_ZF | FL_SF | FL_OF)
GOP(pdep, "pdep %[c], %[b], %[r]", FL_ALL6)
GOP(pext, "pext %[c], %[b], %[r]", FL_ALL6)
GOP(rorx, "rorx $7, %[b], %[r]", FL_ALL6)
GOP(sarx, "sarx %[c], %[b], %[r]", FL_ALL6)
GOP(shlx, "shlx %[c], %[b], %[r]", FL_ALL6)
GOP(shrx, "shrx %[c], %[b], %[r]", FL_ALL6)
GOP(andn32, "andn %k[c], %k[b], %k[r]", FL_CF | FL_ZF | FL_SF | FL_OF)
GOP(bzhi32, "bzhi %k[c], %k[b], %k[r]", FL_CF | FL_ZF | FL_SF | FL_OF)
GOP(pdep32, "pdep %k[c], %k[b], %k[r]", FL_ALL6)
GOP(shrx32, "shrx %k[c], %k[b], %k[r]", FL_ALL6)
GOP(blsi32m, "blsil (%[b]), %k[r]", FL_CF | FL_ZF | FL_SF | FL_OF)
GOP(shlxm, "shlx %[c], (%[b]), %[r]", FL_ALL6)

int main(void)
{
	unsigned a, b, c, d;
	__get_cpuid_count(7, 0, &a, &b, &c, &d);
	printf("cpuid.7 ebx: bmi1=%u bmi2=%u\n", b >> 3 & 1, b >> 8 & 1);
	static const struct {
		const char *name;
		void (*fn)(unsigned long, unsigned long, unsigned long, unsigned long);
		int mem;
	} ops[] = {
		{"andn", g_andn}, {"bextr", g_bextr}, {"blsi", g_blsi}, {"blsmsk", g_blsmsk},
		{"blsr", g_blsr}, {"bzhi", g_bzhi}, {"pdep", g_pdep}, {"pext", g_pext}, {"rorx", g_rorx},
		{"sarx", g_sarx}, {"shlx", g_shlx}, {"shrx", g_shrx}, {"andn32", g_andn32},
		{"bzhi32", g_bzhi32}, {"pdep32", g_pdep32}, {"shrx32", g_shrx32},
		{"blsi32 mem", g_blsi32m, 1}, {"shlx mem", g_shlxm, 1},
	};
	for (size_t k = 0; k < ARRAY_LEN(ops); k++) {
		hsh = 2166136261u;
		for (size_t i = 0; i < NG; i++)
			for (size_t j = 0; j < NG; j++) {
				unsigned long x = gv[i], y = gv[j] ^ (j << 8);
				ops[k].fn(gv[(i + j) % NG], ops[k].mem ? (unsigned long)&x : x, y, FIN_CLEAR);
				y = gv[(i * 7 + j) % NG] + j;
				x = gv[j];
				ops[k].fn(gv[i], ops[k].mem ? (unsigned long)&x : x, y, FIN_SET);
			}
		printf("%-16s %08x\n", ops[k].name, hsh);
	}
	/* mulx: the high half in the first destination, flags unchanged */
	hsh = 2166136261u;
	for (size_t i = 0; i < NG; i++)
		for (size_t j = 0; j < NG; j++) {
			unsigned long hi, lo, d = gv[i];
			__asm__("mulx %[s], %[lo], %[hi]" : [hi] "=&r"(hi), [lo] "=&r"(lo) : [s] "r"(gv[j]), "d"(d));
			mixv(hi), mixv(lo);
		}
	printf("mulx             %08x\n", hsh);
	/* a few results in full */
	unsigned long r1, r2, r3;
	unsigned long v = (unsigned long)0xf0e1d2c3b4a59687ull;
	__asm__("pext %[m], %[v], %[r1]\n\tpdep %[m], %[r1], %[r2]\n\tbextr %[ctl], %[v], %[r3]"
		: [r1] "=&r"(r1), [r2] "=&r"(r2), [r3] "=&r"(r3)
		: [v] "r"(v), [m] "r"((unsigned long)0x0ff000f0f00ff00full), [ctl] "r"(0x0c04ul));
	printf("pext %lx pdep %lx bextr %lx\n", r1, r2, r3);
	return 0;
}
