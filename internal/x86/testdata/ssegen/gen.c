/* ssegen prints test vectors for gemu's SSE/SSE2 semantics by running each
 * instruction natively on the host CPU (x86-64).
 *
 * Build and run (from internal/x86):
 *   cc -O1 -mno-red-zone -o /tmp/ssegen testdata/ssegen/gen.c
 *   /tmp/ssegen 1 | gzip -9n > testdata/sse_vectors.txt.gz
 * The first argument is the random seed. Without a second argument the
 * output is the reduced set committed to the repository (about 60,000
 * vectors); with one, every pair of special values is run in two modes and
 * the random sections are multiplied by that scale factor (the Go test's
 * SSE_LIVE mode uses this). The output depends only on the arguments and on
 * the CPU's SSE implementation, which is architecturally specified (no
 * approximations such as RCPPS are included).
 *
 * Every instruction runs with XMM0 = a, XMM1 = b, RAX = rax, the status
 * flags fl and MXCSR = mx; afterwards XMM0, RAX, the status flags and MXCSR
 * are recorded. Lines:
 *   E name hexbytes
 *     the instruction's encoding, printed before its first vector;
 *   V name mx fl a b rax : r rax fl mx trap
 *     one vector, 128-bit values as hi:lo, everything in hex; trap is 1 if
 *     the instruction raised SIGFPE (an unmasked exception), in which case
 *     the outputs are the state at the fault, from the signal context.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

typedef struct {
	uint64_t lo, hi;
} x128;

struct io {
	uint32_t mx;
	uint64_t fl;
	x128 a, b;
	uint64_t rax;
	/* outputs */
	x128 r;
	uint64_t rrax, rfl;
	uint32_t mxo;
	int trap;
};

#define STATUS 0x8d5ul

static uint64_t enc_s, enc_e;
static const uint32_t defmx = 0x1f80;
static sigjmp_buf jb;
static struct io *cur;

static void onfpe(int sig, siginfo_t *si, void *p)
{
	ucontext_t *uc = p;
	(void)sig;
	(void)si;
	cur->trap = 1;
	cur->mxo = uc->uc_mcontext.fpregs->mxcsr;
	memcpy(&cur->r, &uc->uc_mcontext.fpregs->_xmm[0], 16);
	cur->rrax = uc->uc_mcontext.gregs[REG_RAX];
	cur->rfl = uc->uc_mcontext.gregs[REG_EFL] & STATUS;
	siglongjmp(jb, 1);
}

/* DEF defines a function running insn on the state in *t. */
#define DEF(id, insn)                                                               \
	static void id(struct io *t)                                                \
	{                                                                           \
		__asm__ volatile("lea 1f(%%rip), %%rcx\n\t"                        \
				 "mov %%rcx, %[s]\n\t"                             \
				 "lea 2f(%%rip), %%rcx\n\t"                        \
				 "mov %%rcx, %[e]\n\t"                             \
				 "movdqu %[a], %%xmm0\n\t"                         \
				 "movdqu %[b], %%xmm1\n\t"                         \
				 "mov %[rax], %%rax\n\t"                           \
				 "mov %[fl], %%rcx\n\t"                            \
				 "push %%rcx\n\t"                                  \
				 "popfq\n\t"                                       \
				 "ldmxcsr %[mx]\n\t"                               \
				 "1:\n\t" insn "\n"                                \
				 "2:\n\t"                                          \
				 "pushfq\n\t"                                      \
				 "pop %%rcx\n\t"                                   \
				 "mov %%rcx, %[rfl]\n\t"                           \
				 "stmxcsr %[mxo]\n\t"                              \
				 "ldmxcsr %[def]\n\t"                              \
				 "movdqu %%xmm0, %[r]\n\t"                         \
				 "mov %%rax, %[rrax]\n\t"                          \
				 : [s] "=m"(enc_s), [e] "=m"(enc_e), [rfl] "=m"(t->rfl), \
				   [mxo] "=m"(t->mxo), [r] "=m"(t->r), [rrax] "=m"(t->rrax) \
				 : [a] "m"(t->a), [b] "m"(t->b), [rax] "m"(t->rax),  \
				   [fl] "m"(t->fl), [mx] "m"(t->mx), [def] "m"(defmx) \
				 : "rax", "rcx", "xmm0", "xmm1", "memory", "cc");   \
		t->rfl &= STATUS;                                                   \
	}

struct insn {
	const char *name;
	void (*fn)(struct io *);
	int printed;
};

/* ---- the instructions ---- */

#define BINOPS(X)                                                            \
	X(addss) X(subss) X(mulss) X(divss) X(minss) X(maxss) X(sqrtss)      \
	X(addsd) X(subsd) X(mulsd) X(divsd) X(minsd) X(maxsd) X(sqrtsd)      \
	X(addps) X(subps) X(mulps) X(divps) X(minps) X(maxps) X(sqrtps)      \
	X(addpd) X(subpd) X(mulpd) X(divpd) X(minpd) X(maxpd) X(sqrtpd)      \
	X(comiss) X(ucomiss) X(comisd) X(ucomisd)                            \
	X(cvtss2sd) X(cvtsd2ss) X(cvtps2pd) X(cvtpd2ps)                      \
	X(cvtdq2ps) X(cvtps2dq) X(cvttps2dq) X(cvtdq2pd) X(cvtpd2dq) X(cvttpd2dq) \
	X(andps) X(andnps) X(orps) X(xorps) X(andpd) X(andnpd) X(orpd) X(xorpd) \
	X(pand) X(pandn) X(por) X(pxor)                                      \
	X(paddb) X(paddw) X(paddd) X(paddq) X(psubb) X(psubw) X(psubd) X(psubq) \
	X(paddsb) X(paddsw) X(paddusb) X(paddusw)                            \
	X(psubsb) X(psubsw) X(psubusb) X(psubusw)                            \
	X(pcmpeqb) X(pcmpeqw) X(pcmpeqd) X(pcmpgtb) X(pcmpgtw) X(pcmpgtd)    \
	X(pminub) X(pmaxub) X(pminsw) X(pmaxsw) X(pavgb) X(pavgw)            \
	X(pmullw) X(pmulhw) X(pmulhuw) X(pmuludq) X(pmaddwd) X(psadbw)       \
	X(psllw) X(pslld) X(psllq) X(psrlw) X(psrld) X(psrlq) X(psraw) X(psrad) \
	X(punpcklbw) X(punpcklwd) X(punpckldq) X(punpcklqdq)                 \
	X(punpckhbw) X(punpckhwd) X(punpckhdq) X(punpckhqdq)                 \
	X(unpcklps) X(unpckhps) X(unpcklpd) X(unpckhpd)                      \
	X(packsswb) X(packssdw) X(packuswb)                                  \
	X(movhlps) X(movlhps) X(movss) X(movsd) X(movq) X(movaps) X(movdqu)

#define X(op) DEF(t_##op, #op " %%xmm1, %%xmm0")
BINOPS(X)
#undef X

#define CMPS(X) X(eq, 0) X(lt, 1) X(le, 2) X(unord, 3) X(neq, 4) X(nlt, 5) X(nle, 6) X(ord, 7)
#define X(p, n)                                           \
	DEF(t_cmp##p##ss, "cmp" #p "ss %%xmm1, %%xmm0")  \
	DEF(t_cmp##p##sd, "cmp" #p "sd %%xmm1, %%xmm0")  \
	DEF(t_cmp##p##ps, "cmp" #p "ps %%xmm1, %%xmm0")  \
	DEF(t_cmp##p##pd, "cmp" #p "pd %%xmm1, %%xmm0")
CMPS(X)
#undef X

/* Float <-> integer with general registers. */
DEF(t_cvtsd2si_l, "cvtsd2si %%xmm1, %%eax")
DEF(t_cvtsd2si_q, "cvtsd2si %%xmm1, %%rax")
DEF(t_cvttsd2si_l, "cvttsd2si %%xmm1, %%eax")
DEF(t_cvttsd2si_q, "cvttsd2si %%xmm1, %%rax")
DEF(t_cvtss2si_l, "cvtss2si %%xmm1, %%eax")
DEF(t_cvtss2si_q, "cvtss2si %%xmm1, %%rax")
DEF(t_cvttss2si_l, "cvttss2si %%xmm1, %%eax")
DEF(t_cvttss2si_q, "cvttss2si %%xmm1, %%rax")
DEF(t_cvtsi2sd_l, "cvtsi2sd %%eax, %%xmm0")
DEF(t_cvtsi2sd_q, "cvtsi2sd %%rax, %%xmm0")
DEF(t_cvtsi2ss_l, "cvtsi2ss %%eax, %%xmm0")
DEF(t_cvtsi2ss_q, "cvtsi2ss %%rax, %%xmm0")

/* Immediate forms. */
#define IMMS(X)                                                               \
	X(psllw_1, "psllw $1") X(psllw_15, "psllw $15") X(psllw_16, "psllw $16") \
	X(pslld_7, "pslld $7") X(pslld_31, "pslld $31") X(pslld_40, "pslld $40") \
	X(psllq_1, "psllq $1") X(psllq_63, "psllq $63") X(psllq_64, "psllq $64") \
	X(psrlw_3, "psrlw $3") X(psrlw_15, "psrlw $15") X(psrlw_200, "psrlw $200") \
	X(psrld_1, "psrld $1") X(psrld_31, "psrld $31") X(psrld_32, "psrld $32") \
	X(psrlq_9, "psrlq $9") X(psrlq_63, "psrlq $63") X(psrlq_64, "psrlq $64") \
	X(psraw_1, "psraw $1") X(psraw_15, "psraw $15") X(psraw_99, "psraw $99") \
	X(psrad_5, "psrad $5") X(psrad_31, "psrad $31") X(psrad_32, "psrad $32") \
	X(pslldq_1, "pslldq $1") X(pslldq_7, "pslldq $7") X(pslldq_8, "pslldq $8") \
	X(pslldq_15, "pslldq $15") X(pslldq_16, "pslldq $16")                \
	X(psrldq_1, "psrldq $1") X(psrldq_8, "psrldq $8") X(psrldq_13, "psrldq $13") \
	X(psrldq_16, "psrldq $16") X(psrldq_255, "psrldq $255")
#define X(id, insn) DEF(t_##id, insn ", %%xmm0")
IMMS(X)
#undef X

#define IMM3(X)                                                            \
	X(pshufd_1b, "pshufd $0x1b") X(pshufd_e4, "pshufd $0xe4")          \
	X(pshufd_00, "pshufd $0x00") X(pshufd_9c, "pshufd $0x9c")          \
	X(pshuflw_1b, "pshuflw $0x1b") X(pshuflw_a5, "pshuflw $0xa5")      \
	X(pshufhw_1b, "pshufhw $0x1b") X(pshufhw_72, "pshufhw $0x72")      \
	X(shufps_1b, "shufps $0x1b") X(shufps_e4, "shufps $0xe4")          \
	X(shufps_4e, "shufps $0x4e") X(shufps_b1, "shufps $0xb1")          \
	X(shufpd_0, "shufpd $0") X(shufpd_1, "shufpd $1") X(shufpd_2, "shufpd $2") \
	X(shufpd_3, "shufpd $3")
#define X(id, insn) DEF(t_##id, insn ", %%xmm1, %%xmm0")
IMM3(X)
#undef X

DEF(t_pinsrw_0, "pinsrw $0, %%eax, %%xmm0")
DEF(t_pinsrw_5, "pinsrw $5, %%eax, %%xmm0")
DEF(t_pinsrw_f, "pinsrw $15, %%eax, %%xmm0")
DEF(t_pextrw_2, "pextrw $2, %%xmm1, %%eax")
DEF(t_pextrw_7, "pextrw $7, %%xmm1, %%eax")
DEF(t_pextrw_q, "pextrw $4, %%xmm1, %%rax")
DEF(t_pmovmskb, "pmovmskb %%xmm1, %%eax")
DEF(t_movmskps, "movmskps %%xmm1, %%eax")
DEF(t_movmskpd, "movmskpd %%xmm1, %%eax")
DEF(t_movd_from, "movd %%xmm1, %%eax")
DEF(t_movq_from, "movq %%xmm1, %%rax")
DEF(t_movd_to, "movd %%eax, %%xmm0")
DEF(t_movq_to, "movq %%rax, %%xmm0")

/* ---- values ---- */

static uint64_t rng = 88172645463325252ull;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static const uint64_t spec64[] = {
	0x0000000000000000, 0x8000000000000000, 0x3ff0000000000000, 0xbff0000000000000,
	0x3ff8000000000000, 0x4000000000000000, 0x4008000000000000, 0x3fb999999999999a,
	0xbfb999999999999a, 0x3fd5555555555555, 0x3ff0000000000001, 0x3fffffffffffffff,
	0x7fefffffffffffff, 0xffefffffffffffff, 0x0010000000000000, 0x8010000000000000,
	0x0010000000000001, 0x0000000000000001, 0x8000000000000001, 0x000fffffffffffff,
	0x0008000000000000, 0x8004000000000003, 0x7ff0000000000000, 0xfff0000000000000,
	0x7ff8000000000000, 0x7ff8dead00000001, 0xfff8000000000123, 0x7ff0000000000001,
	0xfff4000000000abc, 0x43e0000000000000, 0xc3e0000000000000, 0x41e0000000000000,
	0xc1e0000000100000, 0x41dfffffffe00000, 0x4004000000000000, 0xc004000000000000,
	0x3fe0000000000000, 0x7fe1ccf385ebc8a0, 0x0170000000000000, 0x7e70000000000000,
	0x1e60000000000000, 0x3ca0000000000000, 0x4330000000000001, 0x001fffffffffffff,
	0xc3dfffffffffffff, 0x7fdfffffffffffff,
};
#define NSPEC64 (sizeof spec64 / sizeof spec64[0])

static const uint32_t spec32[] = {
	0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x3fc00000, 0x40000000,
	0x40400000, 0x3dcccccd, 0xbdcccccd, 0x3eaaaaab, 0x3f800001, 0x3fffffff,
	0x7f7fffff, 0xff7fffff, 0x00800000, 0x80800000, 0x00800001, 0x00000001,
	0x80000001, 0x007fffff, 0x00400000, 0x80200003, 0x7f800000, 0xff800000,
	0x7fc00000, 0x7fc0dead, 0xffc00123, 0x7f800001, 0xffa00abc, 0x5f000000,
	0xdf000000, 0x4f000000, 0xcf000001, 0x4effffff, 0x40200000, 0xc0200000,
	0x3f000000, 0x7e967699, 0x0d800000, 0x71800000, 0x1f800000, 0x33800000,
	0x4b000001, 0x00ffffff, 0xceffffff, 0x7effffff,
};
#define NSPEC32 (sizeof spec32 / sizeof spec32[0])

/* A random double with its exponent in an interesting band. */
static uint64_t rnd64(void)
{
	uint64_t r = rnd(), m = rnd() & 0xfffffffffffffull, e;
	switch (r % 8) {
	case 0: e = r >> 8 & 0x7ff; break;                 /* anything */
	case 1: e = r >> 8 & 0x3f; break;                  /* near underflow */
	case 2: e = 0x7ff - 1 - (r >> 8 & 0x3f); break;    /* near overflow */
	case 3: e = 0; break;                              /* denormal */
	case 4: m &= ~0ull << (r >> 8 & 63); e = 0x3ff + (r >> 16 & 0x3f); break;
	default: e = 0x3f0 + (r >> 8 & 0x1f); break;       /* near one */
	}
	if (r >> 30 & 1)
		m |= 0xfffffffff0000ull >> (r >> 32 & 31);
	return (r >> 63) << 63 | e << 52 | m;
}

static uint32_t rnd32(void)
{
	uint64_t r = rnd();
	uint32_t m = rnd() & 0x7fffff, e;
	switch (r % 8) {
	case 0: e = r >> 8 & 0xff; break;
	case 1: e = r >> 8 & 0x1f; break;
	case 2: e = 0xff - 1 - (r >> 8 & 0x1f); break;
	case 3: e = 0; break;
	case 4: m &= ~0u << (r >> 8 & 31); e = 0x7f + (r >> 16 & 0x1f); break;
	default: e = 0x78 + (r >> 8 & 0xf); break;
	}
	if (r >> 30 & 1)
		m |= 0x7ff000u >> (r >> 32 & 15);
	return (uint32_t)(r >> 63) << 31 | e << 23 | m;
}

/* A random 128-bit integer value biased toward interesting bytes. */
static x128 rndvec(void)
{
	static const uint8_t sp[] = {0, 1, 0x7f, 0x80, 0x81, 0xfe, 0xff, 0x55};
	x128 v = {rnd(), rnd()};
	uint64_t sel = rnd();
	uint8_t *b = (uint8_t *)&v;
	for (int i = 0; i < 16; i++, sel >>= 4)
		if (sel & 8)
			b[i] = sp[sel & 7];
	return v;
}

static const uint32_t modes[] = {
	0x1f80, /* nearest */
	0x3f80, /* down */
	0x5f80, /* up */
	0x7f80, /* toward zero */
	0x9f80, /* FTZ */
	0x1fc0, /* DAZ */
	0xffc0, /* FTZ, DAZ, toward zero */
	0x1fa0, /* PE already set */
	0x9fc0, /* FTZ, DAZ */
};
#define NMODES (sizeof modes / sizeof modes[0])

/* Unmasked-exception modes: the instruction may trap. */
static const uint32_t trapmodes[] = {0x0000, 0x1f00, 0x1e80, 0x1d80, 0x1b80, 0x1780, 0x0f80, 0x8f80};
#define NTRAP (sizeof trapmodes / sizeof trapmodes[0])

static void run(struct insn *in, uint32_t mx, x128 a, x128 b, uint64_t rax)
{
	struct io t;
	memset(&t, 0, sizeof t);
	t.mx = mx;
	t.fl = 0x202 | (rnd() & 1 ? STATUS : 0);
	t.a = a;
	t.b = b;
	t.rax = rax;
	cur = &t;
	if (sigsetjmp(jb, 1) == 0)
		in->fn(&t);
	__asm__ volatile("ldmxcsr %0" ::"m"(defmx));
	if (!in->printed) {
		printf("E %s ", in->name);
		for (uint8_t *p = (uint8_t *)enc_s; p < (uint8_t *)enc_e; p++)
			printf("%02x", *p);
		printf("\n");
		in->printed = 1;
	}
	printf("V %s %x %lx %016lx:%016lx %016lx:%016lx %016lx : %016lx:%016lx %016lx %lx %x %d\n",
	       in->name, t.mx, t.fl & STATUS, t.a.hi, t.a.lo, t.b.hi, t.b.lo, t.rax, t.r.hi, t.r.lo,
	       t.rrax, t.rfl, t.mxo, t.trap);
}

#define INSN(id) {#id, t_##id, 0}

/* Scalar floating point: every pair of special values. */
static struct insn sd_bin[] = {
	INSN(addsd), INSN(subsd), INSN(mulsd), INSN(divsd), INSN(minsd), INSN(maxsd),
	INSN(comisd), INSN(ucomisd),
};
static struct insn ss_bin[] = {
	INSN(addss), INSN(subss), INSN(mulss), INSN(divss), INSN(minss), INSN(maxss),
	INSN(comiss), INSN(ucomiss),
};
static struct insn sd_cmp[] = {
	INSN(cmpeqsd), INSN(cmpltsd), INSN(cmplesd), INSN(cmpunordsd),
	INSN(cmpneqsd), INSN(cmpnltsd), INSN(cmpnlesd), INSN(cmpordsd),
};
static struct insn ss_cmp[] = {
	INSN(cmpeqss), INSN(cmpltss), INSN(cmpless), INSN(cmpunordss),
	INSN(cmpneqss), INSN(cmpnltss), INSN(cmpnless), INSN(cmpordss),
};
/* Unary on the low element of XMM1 (or RAX for the integer sources). */
static struct insn sd_un[] = {
	INSN(sqrtsd), INSN(cvtsd2ss), INSN(cvtsd2si_l), INSN(cvtsd2si_q),
	INSN(cvttsd2si_l), INSN(cvttsd2si_q),
};
static struct insn ss_un[] = {
	INSN(sqrtss), INSN(cvtss2sd), INSN(cvtss2si_l), INSN(cvtss2si_q),
	INSN(cvttss2si_l), INSN(cvttss2si_q),
};
static struct insn int_src[] = {
	INSN(cvtsi2sd_l), INSN(cvtsi2sd_q), INSN(cvtsi2ss_l), INSN(cvtsi2ss_q),
};
static struct insn pd_ops[] = {
	INSN(addpd), INSN(subpd), INSN(mulpd), INSN(divpd), INSN(minpd), INSN(maxpd),
	INSN(sqrtpd), INSN(cmpeqpd), INSN(cmpltpd), INSN(cmplepd), INSN(cmpunordpd),
	INSN(cmpneqpd), INSN(cmpnltpd), INSN(cmpnlepd), INSN(cmpordpd),
	INSN(cvtpd2ps), INSN(cvtpd2dq), INSN(cvttpd2dq),
};
static struct insn ps_ops[] = {
	INSN(addps), INSN(subps), INSN(mulps), INSN(divps), INSN(minps), INSN(maxps),
	INSN(sqrtps), INSN(cmpeqps), INSN(cmpltps), INSN(cmpleps), INSN(cmpunordps),
	INSN(cmpneqps), INSN(cmpnltps), INSN(cmpnleps), INSN(cmpordps),
	INSN(cvtps2pd), INSN(cvtps2dq), INSN(cvttps2dq),
};
static struct insn int_vec[] = {
	INSN(cvtdq2ps), INSN(cvtdq2pd),
	INSN(andps), INSN(andnps), INSN(orps), INSN(xorps), INSN(andpd), INSN(andnpd),
	INSN(orpd), INSN(xorpd), INSN(pand), INSN(pandn), INSN(por), INSN(pxor),
	INSN(paddb), INSN(paddw), INSN(paddd), INSN(paddq), INSN(psubb), INSN(psubw),
	INSN(psubd), INSN(psubq), INSN(paddsb), INSN(paddsw), INSN(paddusb), INSN(paddusw),
	INSN(psubsb), INSN(psubsw), INSN(psubusb), INSN(psubusw),
	INSN(pcmpeqb), INSN(pcmpeqw), INSN(pcmpeqd), INSN(pcmpgtb), INSN(pcmpgtw), INSN(pcmpgtd),
	INSN(pminub), INSN(pmaxub), INSN(pminsw), INSN(pmaxsw), INSN(pavgb), INSN(pavgw),
	INSN(pmullw), INSN(pmulhw), INSN(pmulhuw), INSN(pmuludq), INSN(pmaddwd), INSN(psadbw),
	INSN(punpcklbw), INSN(punpcklwd), INSN(punpckldq), INSN(punpcklqdq),
	INSN(punpckhbw), INSN(punpckhwd), INSN(punpckhdq), INSN(punpckhqdq),
	INSN(unpcklps), INSN(unpckhps), INSN(unpcklpd), INSN(unpckhpd),
	INSN(packsswb), INSN(packssdw), INSN(packuswb),
	INSN(movhlps), INSN(movlhps), INSN(movss), INSN(movsd), INSN(movq), INSN(movaps),
	INSN(movdqu),
#define X(id, insn) INSN(id),
	IMMS(X) IMM3(X)
#undef X
	INSN(pinsrw_0), INSN(pinsrw_5), INSN(pinsrw_f), INSN(pextrw_2), INSN(pextrw_7),
	INSN(pextrw_q), INSN(pmovmskb), INSN(movmskps), INSN(movmskpd), INSN(movd_from),
	INSN(movq_from), INSN(movd_to), INSN(movq_to),
};
/* Shifts by an XMM count. */
static struct insn shifts[] = {
	INSN(psllw), INSN(pslld), INSN(psllq), INSN(psrlw), INSN(psrld), INSN(psrlq),
	INSN(psraw), INSN(psrad),
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static x128 q(uint64_t lo) { return (x128){lo, 0x0123456789abcdefull}; }

int main(int argc, char **argv)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = onfpe;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGFPE, &sa, 0);
	if (argc > 1)
		rng ^= strtoull(argv[1], 0, 0) * 0x9e3779b97f4a7c15ull;
	int full = argc > 2;
	double scale = full ? atof(argv[2]) : 0.4;
	int nrand = 1500 * scale, npacked = 300 * scale, ntrap = 500 * scale, nint = 60 * scale;
	const uint64_t garbage = 0xdeadbeefcafef00dull;

	/* Scalars: all pairs in round-to-nearest and one other mode. */
	for (size_t i = 0; i < NSPEC64; i++)
		for (size_t j = 0; j < NSPEC64; j++)
			for (size_t k = 0; k < N(sd_bin); k++) {
				uint32_t other = modes[1 + rnd() % (NMODES - 1)];
				if (full || rnd() & 1)
					run(&sd_bin[k], modes[0], q(spec64[i]), q(spec64[j]), garbage);
				if (full || rnd() & 1)
					run(&sd_bin[k], other, q(spec64[i]), q(spec64[j]), garbage);
			}
	for (size_t i = 0; i < NSPEC32; i++)
		for (size_t j = 0; j < NSPEC32; j++)
			for (size_t k = 0; k < N(ss_bin); k++) {
				uint32_t other = modes[1 + rnd() % (NMODES - 1)];
				if (full || rnd() & 1)
					run(&ss_bin[k], modes[0], q(spec32[i] | 0xabcdef0100000000ull), q(spec32[j]), garbage);
				if (full || rnd() & 1)
					run(&ss_bin[k], other, q(spec32[i] | 0xabcdef0100000000ull),
					    q(spec32[j] | 0x5555555500000000ull), garbage);
			}
	/* Compare predicates: all pairs, one random mode. */
	for (size_t i = 0; i < NSPEC64; i += 2)
		for (size_t j = 0; j < NSPEC64; j++)
			for (size_t k = 0; k < N(sd_cmp); k++)
				run(&sd_cmp[k], modes[rnd() % NMODES], q(spec64[i + (j & 1)]), q(spec64[j]), garbage);
	for (size_t i = 0; i < NSPEC32; i += 2)
		for (size_t j = 0; j < NSPEC32; j++)
			for (size_t k = 0; k < N(ss_cmp); k++)
				run(&ss_cmp[k], modes[rnd() % NMODES], q(spec32[i + (j & 1)]), q(spec32[j]), garbage);
	/* Unary operations: every special value in every mode. */
	for (size_t i = 0; i < NSPEC64; i++)
		for (size_t m = 0; m < NMODES; m++)
			for (size_t k = 0; k < N(sd_un); k++)
				run(&sd_un[k], modes[m], q(0x4045000000000000), q(spec64[i]), garbage);
	for (size_t i = 0; i < NSPEC32; i++)
		for (size_t m = 0; m < NMODES; m++)
			for (size_t k = 0; k < N(ss_un); k++)
				run(&ss_un[k], modes[m], q(0x4045000042280000), q(spec32[i]), garbage);
	/* Random operands in random modes. */
	for (int n = 0; n < nrand; n++) {
		uint64_t a = rnd64(), b = rnd64();
		if (n % 3 == 0) /* close exponents: cancellation and rounding */
			b = (b & 0x800fffffffffffffull) | (a & 0x7ff0000000000000ull);
		for (size_t k = 0; k < 4; k++)
			run(&sd_bin[k], modes[rnd() % NMODES], q(a), q(b), garbage);
		run(&sd_un[rnd() % N(sd_un)], modes[rnd() % NMODES], q(garbage), q(a), garbage);
		uint32_t c = rnd32(), d = rnd32();
		if (n % 3 == 0)
			d = (d & 0x807fffff) | (c & 0x7f800000);
		for (size_t k = 0; k < 4; k++)
			run(&ss_bin[k], modes[rnd() % NMODES], q(c), q(d), garbage);
		run(&ss_un[rnd() % N(ss_un)], modes[rnd() % NMODES], q(garbage), q(c), garbage);
	}
	/* Integer sources for CVTSI2SS/SD. */
	static const uint64_t ints[] = {
		0, 1, -1ull, 0x7fffffff, 0x80000000, 0xffffffff80000000, 16777217, 16777219,
		0x20000001, 0x7fffffffffffffff, 0x8000000000000000, 0x0020000000000001,
		0xffdfffffffffffff, 0x123456789abcdef1, 0xfedcba987654321f, 0xffffff7fffffffff,
	};
	for (size_t i = 0; i < N(ints); i++)
		for (size_t m = 0; m < NMODES; m++)
			for (size_t k = 0; k < N(int_src); k++)
				run(&int_src[k], modes[m], q(0x4045000042280000), q(0), ints[i]);
	for (int n = 0; n < nrand / 5; n++)
		for (size_t k = 0; k < N(int_src); k++)
			run(&int_src[k], modes[rnd() % NMODES], q(0x4045000042280000), q(0), rnd() >> (rnd() & 63));
	/* Packed floating point: lanes from the special values and random. */
	for (int n = 0; n < npacked; n++) {
		x128 a, b;
		for (size_t k = 0; k < N(pd_ops); k++) {
			a.lo = n & 1 ? rnd64() : spec64[rnd() % NSPEC64];
			a.hi = spec64[rnd() % NSPEC64];
			b.lo = spec64[rnd() % NSPEC64];
			b.hi = n & 2 ? rnd64() : spec64[rnd() % NSPEC64];
			run(&pd_ops[k], modes[rnd() % NMODES], a, b, garbage);
		}
		for (size_t k = 0; k < N(ps_ops); k++) {
			uint32_t v[8];
			for (int l = 0; l < 8; l++)
				v[l] = (n + l) & 1 ? rnd32() : spec32[rnd() % NSPEC32];
			a = (x128){v[0] | (uint64_t)v[1] << 32, v[2] | (uint64_t)v[3] << 32};
			b = (x128){v[4] | (uint64_t)v[5] << 32, v[6] | (uint64_t)v[7] << 32};
			run(&ps_ops[k], modes[rnd() % NMODES], a, b, garbage);
		}
	}
	/* Unmasked exceptions: traps. */
	for (int n = 0; n < ntrap; n++) {
		uint32_t mx = trapmodes[rnd() % NTRAP];
		uint64_t a = rnd() & 1 ? rnd64() : spec64[rnd() % NSPEC64];
		uint64_t b = rnd() & 1 ? rnd64() : spec64[rnd() % NSPEC64];
		run(&sd_bin[rnd() % N(sd_bin)], mx, q(a), q(b), garbage);
		run(&sd_un[rnd() % N(sd_un)], mx, q(a), q(b), garbage);
		uint32_t c = rnd() & 1 ? rnd32() : spec32[rnd() % NSPEC32];
		uint32_t d = rnd() & 1 ? rnd32() : spec32[rnd() % NSPEC32];
		run(&ss_bin[rnd() % N(ss_bin)], mx, q(c), q(d), garbage);
		x128 pa = {rnd64(), spec64[rnd() % NSPEC64]}, pb = {spec64[rnd() % NSPEC64], rnd64()};
		run(&pd_ops[rnd() % N(pd_ops)], mx, pa, pb, garbage);
	}
	/* Integer and data movement: random vectors. */
	for (size_t k = 0; k < N(int_vec); k++)
		for (int n = 0; n < nint; n++)
			run(&int_vec[k], modes[0], rndvec(), rndvec(), rnd());
	for (size_t k = 0; k < N(shifts); k++)
		for (int n = 0; n < nint; n++) {
			x128 cnt = rndvec();
			uint64_t r = rnd();
			cnt.lo = r & 1 ? r >> 1 & 0x7f : r >> (r >> 1 & 63);
			run(&shifts[k], modes[0], rndvec(), cnt, rnd());
		}
	return 0;
}
