// gemu-test: dyn=1
// gemu-test: variant=main
// gemu-test: variant=vexud arg=vexud
// The instructions of x86-64-v2/v3 programs: SSE3, SSSE3, SSE4.1, SSE4.2
// (string compares, crc32, pcmpgtq), POPCNT/LZCNT/TZCNT and MOVBE, each
// over edge values (flags the manuals leave undefined are masked), then
// glibc's string functions, which pick their SSSE3/SSE4.2 versions when
// CPUID announces them. Variant vexud: a VEX prefix after an F3 prefix
// raises SIGILL. BMI1/BMI2 are in isa_bmi.c.
#pragma GCC target("sse4.2,ssse3,sse3,popcnt")
#include "gt.h"
#include <cpuid.h>
#include <signal.h>
#include <unistd.h>

typedef unsigned char v16[16] __attribute__((aligned(16)));

static uint32_t hsh;
static void mixb(const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		hsh = (hsh ^ b[i]) * 16777619u;
}
static void mixv(unsigned long v) { mixb(&v, sizeof v); }

static void pv(const char *name, const unsigned char *v)
{
	printf("%-16s", name);
	for (int i = 15; i >= 0; i--)
		printf("%02x%s", v[i], i == 8 ? "_" : "");
	printf("\n");
}

/* ---- inputs ---- */
#define NV 12
static v16 vin[NV];
static void init_vectors(void)
{
	static const unsigned char fill[] = {0x00, 0xff, 0x80, 0x7f, 0x01, 0x81};
	for (int k = 0; k < 6; k++)
		memset(vin[k], fill[k], 16);
	for (int i = 0; i < 16; i++) {
		vin[6][i] = (unsigned char)i;
		vin[7][i] = (unsigned char)(0xf0 + i * 3);
		vin[8][i] = (unsigned char)(i & 1 ? 0x80 : 0x7f);
		vin[9][i] = (unsigned char)(i & 2 ? 0x00 : 0xff ^ i);
	}
	gt_srand(42);
	for (int k = 10; k < NV; k++)
		for (int i = 0; i < 16; i++)
			vin[k][i] = (unsigned char)gt_rand();
}

/* Binary XMM operations: r = insn(a, b) with a in xmm0 and b in xmm1. */
#define XBIN(name, insn)                                                                   \
	static void x_##name(const unsigned char *a, const unsigned char *b, unsigned char *r) \
	{                                                                                  \
		__asm__ volatile("movdqu (%1), %%xmm0\n\tmovdqu (%2), %%xmm1\n\t" insn        \
				 " %%xmm1, %%xmm0\n\tmovdqu %%xmm0, (%0)"                     \
				 :                                                            \
				 : "r"(r), "r"(a), "r"(b)                                     \
				 : "xmm0", "xmm1", "memory");                                 \
	}
/* MMX forms: the low 8 bytes. */
#define MBIN(name, insn)                                                                   \
	static void m_##name(const unsigned char *a, const unsigned char *b, unsigned char *r) \
	{                                                                                  \
		__asm__ volatile("movq (%1), %%mm0\n\tmovq (%2), %%mm1\n\t" insn              \
				 " %%mm1, %%mm0\n\tmovq %%mm0, (%0)\n\temms"                  \
				 :                                                            \
				 : "r"(r), "r"(a), "r"(b)                                     \
				 : "mm0", "mm1", "memory");                                   \
	}
#define BIN(X)                                                                              \
	X(pshufb) X(pabsb) X(pabsw) X(pabsd) X(phaddw) X(phaddd) X(phaddsw) X(phsubw) X(phsubd) \
	X(phsubsw) X(pmaddubsw) X(pmulhrsw) X(psignb) X(psignw) X(psignd)
#define BIN41(X)                                                                            \
	X(pminsb) X(pminuw) X(pminsd) X(pminud) X(pmaxsb) X(pmaxuw) X(pmaxsd) X(pmaxud)         \
	X(pmuldq) X(pmulld) X(packusdw) X(pcmpeqq) X(phminposuw) X(pmovzxbw) X(pmovzxbd)        \
	X(pmovzxbq) X(pmovzxwd) X(pmovzxwq) X(pmovzxdq) X(pmovsxbw) X(pmovsxbd) X(pmovsxbq)     \
	X(pmovsxwd) X(pmovsxwq) X(pmovsxdq) X(pcmpgtq)
#define BIN3(X) X(addsubps) X(addsubpd) X(haddps) X(haddpd) X(hsubps) X(hsubpd) X(movddup) X(movshdup) X(movsldup)
#define IMMS(X)                                                                             \
	X(palignr_5, "palignr $5,") X(palignr_16, "palignr $16,") X(palignr_27, "palignr $27,") \
	X(pblendw_a9, "pblendw $0xa9,") X(blendps_6, "blendps $6,") X(blendpd_2, "blendpd $2,") \
	X(mpsadbw_0, "mpsadbw $0,") X(mpsadbw_6, "mpsadbw $6,") X(insertps_9c, "insertps $0x9c,") \
	X(insertps_63, "insertps $0x63,")
#define XDEF(op) XBIN(op, #op)
#define MDEF(op) MBIN(op, #op)
#define IDEF(name, insn) XBIN(name, insn)
BIN(XDEF)
BIN(MDEF)
BIN41(XDEF)
BIN3(XDEF)
IMMS(IDEF)
MBIN(palignr_3, "palignr $3,")
MBIN(palignr_11, "palignr $11,")

struct binop {
	const char *name;
	void (*fn)(const unsigned char *, const unsigned char *, unsigned char *);
	int mmx;
};
#define XENT(op) {#op, x_##op, 0},
#define MENT(op) {#op " mm", m_##op, 1},
#define IENT(name, insn) {#name, x_##name, 0},
static const struct binop binops[] = {
	BIN(XENT) BIN(MENT) BIN41(XENT) BIN3(XENT) IMMS(IENT)
	{"palignr_3 mm", m_palignr_3, 1}, {"palignr_11 mm", m_palignr_11, 1},
};

static void blendv(const unsigned char *m, const unsigned char *a, const unsigned char *b, unsigned char *r, int k)
{
	if (k == 0)
		__asm__ volatile("movdqu (%1), %%xmm0\n\tmovdqu (%2), %%xmm1\n\tmovdqu (%3), %%xmm2\n\t"
				 "pblendvb %%xmm0, %%xmm2, %%xmm1\n\tmovdqu %%xmm1, (%0)"
				 : : "r"(r), "r"(m), "r"(a), "r"(b) : "xmm0", "xmm1", "xmm2", "memory");
	else if (k == 1)
		__asm__ volatile("movdqu (%1), %%xmm0\n\tmovdqu (%2), %%xmm1\n\tmovdqu (%3), %%xmm2\n\t"
				 "blendvps %%xmm0, %%xmm2, %%xmm1\n\tmovdqu %%xmm1, (%0)"
				 : : "r"(r), "r"(m), "r"(a), "r"(b) : "xmm0", "xmm1", "xmm2", "memory");
	else
		__asm__ volatile("movdqu (%1), %%xmm0\n\tmovdqu (%2), %%xmm1\n\tmovdqu (%3), %%xmm2\n\t"
				 "blendvpd %%xmm0, %%xmm2, %%xmm1\n\tmovdqu %%xmm1, (%0)"
				 : : "r"(r), "r"(m), "r"(a), "r"(b) : "xmm0", "xmm1", "xmm2", "memory");
}

static void vector_ops(void)
{
	v16 r;
	for (size_t k = 0; k < ARRAY_LEN(binops); k++) {
		hsh = 2166136261u;
		for (int i = 0; i < NV; i++)
			for (int j = 0; j < NV; j++) {
				memset(r, 0xcc, 16);
				binops[k].fn(vin[i], vin[j], r);
				mixb(r, binops[k].mmx ? 8 : 16);
			}
		binops[k].fn(vin[10], vin[11], r);
		printf("%-16s %08x  ", binops[k].name, hsh);
		pv("", r);
	}
	static const char *bn[] = {"pblendvb", "blendvps", "blendvpd"};
	for (int k = 0; k < 3; k++) {
		hsh = 2166136261u;
		for (int i = 0; i < NV; i++)
			for (int j = 0; j < NV; j += 3) {
				blendv(vin[i], vin[j], vin[(j + 5) % NV], r, k);
				mixb(r, 16);
			}
		printf("%-16s %08x\n", bn[k], hsh);
	}
	/* ptest: ZF and CF, the other flags cleared */
	hsh = 2166136261u;
	for (int i = 0; i < NV; i++)
		for (int j = 0; j < NV; j++) {
			unsigned long f, fin = (i + j) & 1 ? FIN_SET : FIN_CLEAR;
			__asm__ volatile(RZ_IN "movdqu (%[a]), %%xmm0\n\tmovdqu (%[b]), %%xmm1\n\t" SETFL
					 "ptest %%xmm1, %%xmm0\n\t" GETFL RZ_OUT
					 : [fout] "=&r"(f)
					 : [a] "r"(vin[i]), [b] "r"(vin[j]), [fin] "r"(fin)
					 : "xmm0", "xmm1", "memory", "cc");
			mixv(f & FL_ALL6);
		}
	printf("ptest            %08x\n", hsh);
	/* inserts and extracts, register and memory */
	hsh = 2166136261u;
	for (int i = 0; i < NV; i++) {
		unsigned char m[16];
		unsigned long x = 0x1122334455667788ull & (unsigned long)-1;
		memcpy(r, vin[i], 16);
		__asm__ volatile("movdqu (%0), %%xmm0\n\tpinsrb $13, %k1, %%xmm0\n\tpinsrd $2, %k1, %%xmm0\n\t"
				 "pinsrb $3, 5(%2), %%xmm0\n\tpinsrd $1, 4(%2), %%xmm0\n\tmovdqu %%xmm0, (%0)"
				 : : "r"(r), "r"(x), "r"(vin[(i + 1) % NV]) : "xmm0", "memory");
		mixb(r, 16);
		unsigned long e1, e2, e3, e4;
		memset(m, 0x5a, 16);
		__asm__ volatile("movdqu (%4), %%xmm1\n\tpextrb $7, %%xmm1, %k0\n\tpextrw $5, %%xmm1, %k1\n\t"
				 "pextrd $3, %%xmm1, %k2\n\textractps $2, %%xmm1, %k3\n\t"
				 "pextrb $15, %%xmm1, 1(%5)\n\tpextrw $6, %%xmm1, 4(%5)\n\tpextrd $1, %%xmm1, 8(%5)\n\t"
				 "extractps $0, %%xmm1, 12(%5)"
				 : "=&r"(e1), "=&r"(e2), "=&r"(e3), "=&r"(e4)
				 : "r"(vin[i]), "r"(m) : "xmm1", "memory");
		mixv(e1), mixv(e2), mixv(e3), mixv(e4), mixb(m, 16);
#ifdef __x86_64__
		__asm__ volatile("movdqu (%1), %%xmm1\n\tpextrq $1, %%xmm1, %0\n\tpinsrq $0, %0, %%xmm1\n\t"
				 "pextrq $0, %%xmm1, 8(%2)\n\tmovdqu %%xmm1, (%1)"
				 : "=&r"(e1) : "r"(r), "r"(m) : "xmm1", "memory");
		mixv(e1), mixb(r, 16), mixb(m, 16);
#endif
		/* pmovzx/pmovsx from unaligned memory */
		__asm__ volatile("pmovsxbw 3(%1), %%xmm0\n\tpmovzxwq 5(%1), %%xmm1\n\tpaddq %%xmm1, %%xmm0\n\t"
				 "pmovsxdq 1(%1), %%xmm1\n\tpxor %%xmm1, %%xmm0\n\tmovdqu %%xmm0, (%0)"
				 : : "r"(r), "r"(vin[i]) : "xmm0", "xmm1", "memory");
		mixb(r, 16);
	}
	printf("insert/extract   %08x\n", hsh);
}

/* ---- SSE4.1 rounding and dot products ---- */
static void fp_ops(void)
{
	static const double dv[] = {0.5, -0.5, 1.5, 2.5, -2.5, 0.49999999999999994, -0.0, 1e300,
				    4503599627370495.5, -4503599627370497.0, 2.7, -3.3};
	static const float fv[] = {0.5f, -0.5f, 1.5f, 2.5f, -1.5f, 8388607.5f, -0.0f, 3.4e38f, 0.2f, -7.7f, 9.5f, -9.5f};
	static const unsigned mx[] = {0x1f80, 0x3f80, 0x5f80, 0x7f80};
	unsigned save;
	__asm__ volatile("stmxcsr %0" : "=m"(save));
	for (unsigned m = 0; m < 4; m++) {
		hsh = 2166136261u;
		for (size_t i = 0; i < ARRAY_LEN(dv); i++) {
			double d[2] = {dv[i], dv[(i + 5) % ARRAY_LEN(dv)]}, r[8];
			float f[4] = {fv[i], fv[(i + 1) % 12], fv[(i + 7) % 12], fv[(i + 3) % 12]}, g[4];
			unsigned out;
			__asm__ volatile("ldmxcsr %[mx]\n\tmovupd (%[d]), %%xmm1\n\t"
					 "roundsd $0, %%xmm1, %%xmm0\n\tmovsd %%xmm0, 0(%[r])\n\t"
					 "roundsd $1, %%xmm1, %%xmm0\n\tmovsd %%xmm0, 8(%[r])\n\t"
					 "roundsd $2, %%xmm1, %%xmm0\n\tmovsd %%xmm0, 16(%[r])\n\t"
					 "roundsd $3, %%xmm1, %%xmm0\n\tmovsd %%xmm0, 24(%[r])\n\t"
					 "roundsd $4, %%xmm1, %%xmm0\n\tmovsd %%xmm0, 32(%[r])\n\t"
					 "roundpd $12, %%xmm1, %%xmm0\n\tmovupd %%xmm0, 40(%[r])\n\t"
					 "movups (%[f]), %%xmm1\n\troundps $4, %%xmm1, %%xmm0\n\tmovups %%xmm0, (%[g])\n\t"
					 "stmxcsr %[out]\n\tldmxcsr %[save]"
					 : [out] "=m"(out)
					 : [mx] "m"(mx[m]), [d] "r"(d), [r] "r"(r), [f] "r"(f), [g] "r"(g), [save] "m"(save)
					 : "xmm0", "xmm1", "memory");
			mixb(r, 56), mixb(g, 16), mixv(out);
			if (m == 0 && i < 6)
				printf("round %-22.17g nearest %g down %g up %g trunc %g; mxcsr %04x\n", dv[i], r[0], r[1], r[2], r[3], out);
		}
		printf("round mode %u    %08x\n", m, hsh);
	}
	static const float a[4] = {1.5f, -2.0f, 3.25f, 1e-3f}, b[4] = {4.0f, 0.5f, -1.0f, 1e3f};
	static const double c[2] = {1.5, -1e-300}, e[2] = {2.0, 1e-300};
	float rs[4];
	double rd[2];
	__asm__ volatile("movups (%2), %%xmm0\n\tmovups (%3), %%xmm1\n\tdpps $0xf3, %%xmm1, %%xmm0\n\tmovups %%xmm0, (%0)\n\t"
			 "movupd (%4), %%xmm0\n\tmovupd (%5), %%xmm1\n\tdppd $0x32, %%xmm1, %%xmm0\n\tmovupd %%xmm0, (%1)"
			 : : "r"(rs), "r"(rd), "r"(a), "r"(b), "r"(c), "r"(e) : "xmm0", "xmm1", "memory");
	printf("dpps %g %g %g %g dppd %g %g\n", rs[0], rs[1], rs[2], rs[3], rd[0], rd[1]);
}

/* ---- SSE4.2 string compares ---- */
static void str_ops(void)
{
	static const char *strs[] = {"hello world", "lo", "xyz", "", "aaaaaaaaaaaaaaaaaa", "az09", "world",
				     "o w", "HELLO", "needle in hay", "hay", "AZaz"};
	v16 s[ARRAY_LEN(strs)];
	for (size_t i = 0; i < ARRAY_LEN(strs); i++) {
		memset(s[i], 0, 16);
		memcpy(s[i], strs[i], strlen(strs[i]) < 16 ? strlen(strs[i]) : 16);
	}
	struct {
		v16 a, b, m;
		unsigned la, ld, idx, f;
	} io __attribute__((aligned(16)));
	unsigned long t;
	/* io is addressed by offsets: a 0, b 16, m 32, la 48, ld 52, idx 56, f 60 */
#define STR(imm)                                                                                           \
	hsh = 2166136261u;                                                                                 \
	for (size_t i = 0; i < ARRAY_LEN(strs); i++)                                                       \
		for (size_t j = 0; j < ARRAY_LEN(strs); j++) {                                             \
			memcpy(io.a, s[i], 16);                                                            \
			memcpy(io.b, s[j], 16);                                                            \
			io.la = (unsigned)(i * 3) % 19;                                                    \
			io.ld = (unsigned)((j * 5) % 21) - 3;                                              \
			__asm__ volatile(RZ_IN "movdqu 0(%[p]), %%xmm1\n\tmovdqu 16(%[p]), %%xmm2\n\t"      \
					 "pcmpistri $" #imm ", %%xmm2, %%xmm1\n\tpushf\n\tpop %[t]\n\t"      \
					 "mov %k[t], 60(%[p])\n\tmov %%ecx, 56(%[p])\n\t"                     \
					 "pcmpistrm $" #imm ", 16(%[p]), %%xmm1\n\tmovdqu %%xmm0, 32(%[p])\n\t" RZ_OUT \
					 : [t] "=&r"(t)                                                    \
					 : [p] "r"(&io)                                                    \
					 : "ecx", "xmm0", "xmm1", "xmm2", "memory", "cc");                 \
			mixv(io.idx), mixv(io.f & FL_ALL6), mixb(io.m, 16);                                \
			__asm__ volatile(RZ_IN "movdqu 0(%[p]), %%xmm1\n\tmov 48(%[p]), %%eax\n\tmov 52(%[p]), %%edx\n\t" \
					 "pcmpestri $" #imm ", 16(%[p]), %%xmm1\n\tpushf\n\tpop %[t]\n\t"   \
					 "mov %k[t], 60(%[p])\n\tmov %%ecx, 56(%[p])\n\t"                     \
					 "pcmpestrm $" #imm ", %%xmm1, %%xmm1\n\tmovdqu %%xmm0, 32(%[p])\n\t" RZ_OUT \
					 : [t] "=&r"(t)                                                    \
					 : [p] "r"(&io)                                                    \
					 : "eax", "ecx", "edx", "xmm0", "xmm1", "memory", "cc");           \
			mixv(io.idx), mixv(io.f & FL_ALL6), mixb(io.m, 16);                                \
		}                                                                                          \
	printf("pcmpXstrX $%-5s %08x\n", #imm, hsh);
	STR(0x00) STR(0x01) STR(0x02) STR(0x03) STR(0x04) STR(0x05) STR(0x08) STR(0x09) STR(0x0c)
	STR(0x0d) STR(0x10) STR(0x14) STR(0x18) STR(0x1a) STR(0x30) STR(0x34) STR(0x38) STR(0x3c)
	STR(0x40) STR(0x44) STR(0x48) STR(0x4c) STR(0x6c) STR(0x72)
}

/* ---- general registers ---- */
static const unsigned long gv[] = {0, 1, 2, 3, 0x80, 0xff00, 0x7fffffff, 0x80000000, 0xffffffff,
				   (unsigned long)0x123456789abcdef0ull, (unsigned long)-1, (unsigned long)-2,
				   0x1001, 0x0802, 0x2008, 0xf0f0f0f0, 0x5555};
#define NG ARRAY_LEN(gv)

static uint32_t crc32c_sw(uint32_t crc, const unsigned char *p, size_t n)
{
	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = crc >> 1 ^ (0x82f63b78u & -(crc & 1));
	}
	return crc;
}

/* one general-register instruction: dst op= src (and src2 for 3-operand
 * forms), flags in and out */
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
GOP(popcnt, "popcnt %[b], %[r]", FL_ALL6)
GOP(lzcnt, "lzcnt %[b], %[r]", FL_CF | FL_ZF)
GOP(tzcnt, "tzcnt %[b], %[r]", FL_CF | FL_ZF)
GOP(lzcntw, "lzcnt %w[b], %w[r]", FL_CF | FL_ZF)
GOP(tzcntw, "tzcnt %w[b], %w[r]", FL_CF | FL_ZF)
GOP(crc32b, "crc32b %b[b], %k[r]", FL_ALL6)
GOP(crc32w, "crc32w %w[b], %k[r]", FL_ALL6)
GOP(crc32l, "crc32l %k[b], %k[r]", FL_ALL6)

static void gpr_ops(void)
{
	static const struct {
		const char *name;
		void (*fn)(unsigned long, unsigned long, unsigned long, unsigned long);
	} ops[] = {
		{"popcnt", g_popcnt}, {"lzcnt", g_lzcnt}, {"tzcnt", g_tzcnt}, {"lzcnt16", g_lzcntw},
		{"tzcnt16", g_tzcntw}, {"crc32b", g_crc32b}, {"crc32w", g_crc32w}, {"crc32l", g_crc32l},
	};
	for (size_t k = 0; k < ARRAY_LEN(ops); k++) {
		hsh = 2166136261u;
		for (size_t i = 0; i < NG; i++)
			for (size_t j = 0; j < NG; j++) {
				ops[k].fn(gv[(i + j) % NG], gv[i], gv[j] ^ (j << 8), FIN_CLEAR);
				ops[k].fn(gv[j], gv[i], gv[(i * 7 + j) % NG] + j, FIN_SET);
			}
		printf("%-16s %08x\n", ops[k].name, hsh);
	}
	/* movbe loads and stores */
	unsigned char buf[16];
	for (int i = 0; i < 16; i++)
		buf[i] = (unsigned char)(0x10 + i);
	unsigned long l = 0;
	unsigned short w = 0xaaaa;
	unsigned int d = 0;
	__asm__ volatile("movbe 1(%[p]), %[l]\n\tmovbe 3(%[p]), %[w]\n\tmovbe 5(%[p]), %[d]\n\t"
			 "movbe %[d], 9(%[p])\n\tmovbe %[w], 0(%[p])"
			 : [l] "=&r"(l), [w] "+&r"(w), [d] "=&r"(d) : [p] "r"(buf) : "memory");
	printf("movbe %lx %x %x ", l, w, d);
	for (int i = 0; i < 16; i++)
		printf("%02x", buf[i]);
	printf("\n");
	/* crc32 against a software CRC-32C over many lengths */
	static unsigned char data[300];
	for (int i = 0; i < 300; i++)
		data[i] = (unsigned char)(i * 37 + 11);
	int bad = 0;
	for (int n = 0; n < 300; n += 7) {
		uint32_t crc = ~0u;
		int i = 0;
		for (; i + 4 <= n; i += 4)
			__asm__("crc32l (%1), %0" : "+r"(crc) : "r"(data + i), "m"(data[i]));
		for (; i < n; i++)
			__asm__("crc32b (%1), %0" : "+r"(crc) : "r"(data + i), "m"(data[i]));
		bad += crc != crc32c_sw(~0u, data, n);
	}
	printf("crc32 vs software: %d mismatches; crc32c(\"123456789\") = %08x\n", bad,
	       ~crc32c_sw(~0u, (const unsigned char *)"123456789", 9));
}

/* ---- glibc string functions ---- */
static void libc_strings(void)
{
	static char a[400], b[400];
	hsh = 2166136261u;
	int bad = 0;
	for (int len = 0; len < 200; len += 1 + len / 20)
		for (int al = 0; al < 16; al += 3) {
			char *s = a + al, *t = b + (al * 5) % 16;
			for (int i = 0; i < len; i++)
				s[i] = (char)('a' + (i * 11 + len) % 23);
			s[len] = 0;
			memcpy(t, s, len + 1);
			mixv(strlen(s)), mixv(strcmp(s, t) == 0);
			bad += strlen(s) != (size_t)len;
			if (len > 2) {
				t[len / 2] = 'A';
				bad += (strcmp(s, t) > 0) != 1 || (memcmp(s, t, len) > 0) != 1 || strncmp(s, t, len / 2) != 0;
				mixv(strcasecmp(s, t) > 0), mixv(strncasecmp(s, t, len) == 0);
				t[len / 2] = s[len / 2];
			}
			char *p = strchr(s, 'k'), *q = memchr(s, 'k', len);
			bad += p != q;
			mixv(p ? p - s : -1);
			mixv(strcspn(s, "xyz")), mixv(strspn(s, "abcdefghijklmnop")), mixv(strcspn(s, "")),
			    mixv(strspn(s, "a"));
			p = strpbrk(s, "qw");
			mixv(p ? p - s : -1);
			char needle[8];
			memcpy(needle, s + len / 3, 5);
			needle[len > 10 ? 5 : 0] = 0;
			p = strstr(s, needle);
			mixv(p ? p - s : -1);
			bad += len > 10 && (!p || memcmp(p, needle, 5) != 0);
			p = strcasestr(s, "KLM");
			mixv(p ? p - s : -1);
			p = memmem(s, len, "bm", 2);
			mixv(p ? p - s : -1);
			p = strrchr(s, 'c');
			mixv(p ? p - s : -1);
		}
	printf("libc strings: %d wrong, checksum %08x\n", bad, hsh);
}

static void onill(int sig)
{
	printf("SIGILL (%d) as expected\n", sig);
	fflush(stdout);
	_exit(0);
}

int main(int argc, char **argv)
{
	unsigned a, b, c, d;
	__get_cpuid(1, &a, &b, &c, &d);
	printf("cpuid.1 ecx: sse3=%u ssse3=%u sse4.1=%u sse4.2=%u movbe=%u popcnt=%u\n", c & 1, c >> 9 & 1,
	       c >> 19 & 1, c >> 20 & 1, c >> 22 & 1, c >> 23 & 1);
	__get_cpuid(0x80000001, &a, &b, &c, &d);
	printf("cpuid.80000001 ecx: lzcnt=%u\n", c >> 5 & 1);
	if (argc > 1 && !strcmp(argv[1], "vexud")) {
		signal(SIGILL, onill);
		/* F3 before a VEX prefix (andn): #UD on every CPU */
		__asm__ volatile(".byte 0xf3, 0xc4, 0xe2, 0x70, 0xf2, 0xc2" ::: "eax", "cc");
		printf("no SIGILL\n");
		return 1;
	}
	init_vectors();
	vector_ops();
	fp_ops();
	str_ops();
	gpr_ops();
	libc_strings();
	return 0;
}
