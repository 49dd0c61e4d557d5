/* mmxgen prints test vectors for gemu's MMX semantics (mmx_test.go) by
 * running each instruction natively on the host CPU (x86-64).
 *
 * Build and run (from internal/x86):
 *   cc -O1 -mno-red-zone -o /tmp/mmxgen testdata/mmxgen/gen.c
 *   /tmp/mmxgen > testdata/mmx_vectors.txt
 *
 * Every instruction runs with MM0, MM1, RAX, XMM0, XMM1 and MXCSR from a
 * state and RSI = RDI = the address of a 16-byte buffer (aligned) holding
 * the state's memory; afterwards MM0, RAX, XMM0, the buffer and MXCSR are
 * recorded. Each instruction runs on every state of its group. Lines:
 *   S name mm0 mm1 rax xmm0 xmm1 mem mxcsr
 *     a state; 128-bit values as hi:lo, everything in hex;
 *   E name hexbytes
 *     an instruction's encoding, followed by its vectors:
 *   V state [mm0=X] [rax=X] [xmm0=HI:LO] [mem=HI:LO] [mxcsr=X]
 *     the outputs that differ from the state's inputs.
 * No vector raises an exception; the x87 side effects (TOP, tags, #MF) are
 * checked by hand-written tests.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

struct io {
	uint64_t mm0, mm1, rax, x0lo, x0hi, x1lo, x1hi; /* 0..48 */
	uint32_t mx, pad;                               /* 56 */
	uint64_t omm0, orax, ox0lo, ox0hi;              /* 64..88 */
	uint32_t omx, pad2;                             /* 96 */
	uint64_t pad3, s, e;                            /* 104, 112, 120 */
};
uint64_t mem[2] __attribute__((aligned(16)));
static const uint32_t defmx = 0x1f80;

#define DEF(id, insn)                                                         \
	static void id(struct io *t)                                          \
	{                                                                     \
		register struct io *p __asm__("r8") = t;                      \
		__asm__ volatile("lea 1f(%%rip), %%rcx\n\t"                   \
				 "mov %%rcx, 112(%%r8)\n\t"                   \
				 "lea 2f(%%rip), %%rcx\n\t"                   \
				 "mov %%rcx, 120(%%r8)\n\t"                   \
				 "movq 0(%%r8), %%mm0\n\t"                    \
				 "movq 8(%%r8), %%mm1\n\t"                    \
				 "mov 16(%%r8), %%rax\n\t"                    \
				 "movdqu 24(%%r8), %%xmm0\n\t"                \
				 "movdqu 40(%%r8), %%xmm1\n\t"                \
				 "ldmxcsr 56(%%r8)\n\t"                       \
				 "lea mem(%%rip), %%rsi\n\t"                  \
				 "mov %%rsi, %%rdi\n\t"                       \
				 "1:\n\t" insn "\n"                           \
				 "2:\n\t"                                     \
				 "movq %%mm0, 64(%%r8)\n\t"                   \
				 "mov %%rax, 72(%%r8)\n\t"                    \
				 "movdqu %%xmm0, 80(%%r8)\n\t"                \
				 "stmxcsr 96(%%r8)\n\t"                       \
				 "ldmxcsr %[def]\n\t"                         \
				 "emms\n\t"                                   \
				 :                                            \
				 : "r"(p), [def] "m"(defmx)                   \
				 : "rax", "rcx", "rsi", "rdi", "xmm0", "xmm1", \
				   "mm0", "mm1", "memory");                   \
	}

struct insn {
	const char *name;
	void (*fn)(struct io *);
	char group;
};
/* The instructions: name, AT&T assembly, state group (see states). */
#define INSNS(X) \
	X(paddb, "paddb %%mm1, %%mm0", 'A') \
	X(paddw, "paddw %%mm1, %%mm0", 'A') \
	X(paddd, "paddd %%mm1, %%mm0", 'A') \
	X(paddq, "paddq %%mm1, %%mm0", 'A') \
	X(psubb, "psubb %%mm1, %%mm0", 'A') \
	X(psubw, "psubw %%mm1, %%mm0", 'A') \
	X(psubd, "psubd %%mm1, %%mm0", 'A') \
	X(psubq, "psubq %%mm1, %%mm0", 'A') \
	X(paddsb, "paddsb %%mm1, %%mm0", 'A') \
	X(paddsw, "paddsw %%mm1, %%mm0", 'A') \
	X(paddusb, "paddusb %%mm1, %%mm0", 'A') \
	X(paddusw, "paddusw %%mm1, %%mm0", 'A') \
	X(psubsb, "psubsb %%mm1, %%mm0", 'A') \
	X(psubsw, "psubsw %%mm1, %%mm0", 'A') \
	X(psubusb, "psubusb %%mm1, %%mm0", 'A') \
	X(psubusw, "psubusw %%mm1, %%mm0", 'A') \
	X(pcmpeqb, "pcmpeqb %%mm1, %%mm0", 'A') \
	X(pcmpeqw, "pcmpeqw %%mm1, %%mm0", 'A') \
	X(pcmpeqd, "pcmpeqd %%mm1, %%mm0", 'A') \
	X(pcmpgtb, "pcmpgtb %%mm1, %%mm0", 'A') \
	X(pcmpgtw, "pcmpgtw %%mm1, %%mm0", 'A') \
	X(pcmpgtd, "pcmpgtd %%mm1, %%mm0", 'A') \
	X(pand, "pand %%mm1, %%mm0", 'A') \
	X(pandn, "pandn %%mm1, %%mm0", 'A') \
	X(por, "por %%mm1, %%mm0", 'A') \
	X(pxor, "pxor %%mm1, %%mm0", 'A') \
	X(pmullw, "pmullw %%mm1, %%mm0", 'A') \
	X(pmulhw, "pmulhw %%mm1, %%mm0", 'A') \
	X(pmulhuw, "pmulhuw %%mm1, %%mm0", 'A') \
	X(pmuludq, "pmuludq %%mm1, %%mm0", 'A') \
	X(pmaddwd, "pmaddwd %%mm1, %%mm0", 'A') \
	X(punpcklbw, "punpcklbw %%mm1, %%mm0", 'A') \
	X(punpcklwd, "punpcklwd %%mm1, %%mm0", 'A') \
	X(punpckldq, "punpckldq %%mm1, %%mm0", 'A') \
	X(punpckhbw, "punpckhbw %%mm1, %%mm0", 'A') \
	X(punpckhwd, "punpckhwd %%mm1, %%mm0", 'A') \
	X(punpckhdq, "punpckhdq %%mm1, %%mm0", 'A') \
	X(packsswb, "packsswb %%mm1, %%mm0", 'A') \
	X(packssdw, "packssdw %%mm1, %%mm0", 'A') \
	X(packuswb, "packuswb %%mm1, %%mm0", 'A') \
	X(pavgb, "pavgb %%mm1, %%mm0", 'A') \
	X(pavgw, "pavgw %%mm1, %%mm0", 'A') \
	X(pminub, "pminub %%mm1, %%mm0", 'A') \
	X(pmaxub, "pmaxub %%mm1, %%mm0", 'A') \
	X(pminsw, "pminsw %%mm1, %%mm0", 'A') \
	X(pmaxsw, "pmaxsw %%mm1, %%mm0", 'A') \
	X(psadbw, "psadbw %%mm1, %%mm0", 'A') \
	X(paddw_m, "paddw (%%rsi), %%mm0", 'A') \
	X(psubusb_m, "psubusb (%%rsi), %%mm0", 'A') \
	X(pmaddwd_m, "pmaddwd (%%rsi), %%mm0", 'A') \
	X(punpcklbw_m, "punpcklbw (%%rsi), %%mm0", 'A') \
	X(punpckhdq_m, "punpckhdq (%%rsi), %%mm0", 'A') \
	X(packsswb_m, "packsswb (%%rsi), %%mm0", 'A') \
	X(psadbw_m, "psadbw (%%rsi), %%mm0", 'A') \
	X(pmulhuw_m, "pmulhuw (%%rsi), %%mm0", 'A') \
	X(pcmpgtb_m, "pcmpgtb (%%rsi), %%mm0", 'A') \
	X(pxor_m, "pxor (%%rsi), %%mm0", 'A') \
	X(pavgb_m, "pavgb (%%rsi), %%mm0", 'A') \
	X(pminsw_m, "pminsw (%%rsi), %%mm0", 'A') \
	X(psllw, "psllw %%mm1, %%mm0", 'H') \
	X(pslld, "pslld %%mm1, %%mm0", 'H') \
	X(psllq, "psllq %%mm1, %%mm0", 'H') \
	X(psrlw, "psrlw %%mm1, %%mm0", 'H') \
	X(psrld, "psrld %%mm1, %%mm0", 'H') \
	X(psrlq, "psrlq %%mm1, %%mm0", 'H') \
	X(psraw, "psraw %%mm1, %%mm0", 'H') \
	X(psrad, "psrad %%mm1, %%mm0", 'H') \
	X(psrlq_m, "psrlq (%%rsi), %%mm0", 'H') \
	X(psraw_m, "psraw (%%rsi), %%mm0", 'H') \
	X(pslld_m, "pslld (%%rsi), %%mm0", 'H') \
	X(psllw_i0, "psllw $0, %%mm0", 'I') \
	X(psllw_i1, "psllw $1, %%mm0", 'I') \
	X(psllw_i15, "psllw $15, %%mm0", 'I') \
	X(psllw_i16, "psllw $16, %%mm0", 'I') \
	X(psllw_i200, "psllw $200, %%mm0", 'I') \
	X(pslld_i7, "pslld $7, %%mm0", 'I') \
	X(pslld_i31, "pslld $31, %%mm0", 'I') \
	X(pslld_i32, "pslld $32, %%mm0", 'I') \
	X(psllq_i1, "psllq $1, %%mm0", 'I') \
	X(psllq_i63, "psllq $63, %%mm0", 'I') \
	X(psllq_i64, "psllq $64, %%mm0", 'I') \
	X(psrlw_i3, "psrlw $3, %%mm0", 'I') \
	X(psrlw_i15, "psrlw $15, %%mm0", 'I') \
	X(psrlw_i16, "psrlw $16, %%mm0", 'I') \
	X(psrld_i1, "psrld $1, %%mm0", 'I') \
	X(psrld_i31, "psrld $31, %%mm0", 'I') \
	X(psrld_i32, "psrld $32, %%mm0", 'I') \
	X(psrlq_i9, "psrlq $9, %%mm0", 'I') \
	X(psrlq_i63, "psrlq $63, %%mm0", 'I') \
	X(psrlq_i64, "psrlq $64, %%mm0", 'I') \
	X(psraw_i1, "psraw $1, %%mm0", 'I') \
	X(psraw_i15, "psraw $15, %%mm0", 'I') \
	X(psraw_i16, "psraw $16, %%mm0", 'I') \
	X(psraw_i99, "psraw $99, %%mm0", 'I') \
	X(psrad_i5, "psrad $5, %%mm0", 'I') \
	X(psrad_i31, "psrad $31, %%mm0", 'I') \
	X(psrad_i32, "psrad $32, %%mm0", 'I') \
	X(pshufw_1b, "pshufw $0x1b, %%mm1, %%mm0", 'M') \
	X(pshufw_e4, "pshufw $0xe4, %%mm1, %%mm0", 'M') \
	X(pshufw_00, "pshufw $0x0, %%mm1, %%mm0", 'M') \
	X(pshufw_93, "pshufw $0x93, %%mm1, %%mm0", 'M') \
	X(pshufw_4e_m, "pshufw $0x4e, (%%rsi), %%mm0", 'M') \
	X(pinsrw_0, "pinsrw $0, %%eax, %%mm0", 'M') \
	X(pinsrw_1, "pinsrw $1, %%eax, %%mm0", 'M') \
	X(pinsrw_2, "pinsrw $2, %%eax, %%mm0", 'M') \
	X(pinsrw_3, "pinsrw $3, %%eax, %%mm0", 'M') \
	X(pinsrw_7, "pinsrw $7, %%eax, %%mm0", 'M') \
	X(pinsrw_2_m, "pinsrw $2, (%%rsi), %%mm0", 'M') \
	X(pextrw_0, "pextrw $0, %%mm1, %%eax", 'A') \
	X(pextrw_3, "pextrw $3, %%mm1, %%eax", 'A') \
	X(pextrw_6, "pextrw $6, %%mm1, %%eax", 'A') \
	X(pmovmskb, "pmovmskb %%mm1, %%eax", 'A') \
	X(movd_from_r32, "movd %%eax, %%mm0", 'M') \
	X(movd_from_m32, "movd (%%rsi), %%mm0", 'M') \
	X(movq_from_r64, "movq %%rax, %%mm0", 'M') \
	X(movq_from_m64, "movq (%%rsi), %%mm0", 'M') \
	X(movd_to_r32, "movd %%mm1, %%eax", 'M') \
	X(movd_to_m32, "movd %%mm1, (%%rsi)", 'M') \
	X(movq_to_r64, "movq %%mm1, %%rax", 'M') \
	X(movq_mm_6f, "movq %%mm1, %%mm0", 'M') \
	X(movq_mm_7f, ".byte 0x0f, 0x7f, 0xc8", 'M') \
	X(movq_to_m64, "movq %%mm1, (%%rsi)", 'M') \
	X(movq2dq, "movq2dq %%mm1, %%xmm0", 'M') \
	X(movdq2q, "movdq2q %%xmm1, %%mm0", 'M') \
	X(movntq, "movntq %%mm1, (%%rsi)", 'M') \
	X(emms, "emms", 'M') \
	X(maskmovq, "maskmovq %%mm1, %%mm0", 'A') \
	X(cvtpi2ps, "cvtpi2ps %%mm1, %%xmm0", 'C') \
	X(cvtpi2ps_m, "cvtpi2ps (%%rsi), %%xmm0", 'C') \
	X(cvtps2pi, "cvtps2pi %%xmm1, %%mm0", 'C') \
	X(cvtps2pi_m, "cvtps2pi (%%rsi), %%mm0", 'C') \
	X(cvttps2pi, "cvttps2pi %%xmm1, %%mm0", 'C') \
	X(cvttps2pi_m, "cvttps2pi (%%rsi), %%mm0", 'C') \
	X(cvtpi2pd, "cvtpi2pd %%mm1, %%xmm0", 'C') \
	X(cvtpi2pd_m, "cvtpi2pd (%%rsi), %%xmm0", 'C') \
	X(cvtpd2pi, "cvtpd2pi %%xmm1, %%mm0", 'C') \
	X(cvtpd2pi_m, "cvtpd2pi (%%rsi), %%mm0", 'C') \
	X(cvttpd2pi, "cvttpd2pi %%xmm1, %%mm0", 'C') \
	X(cvttpd2pi_m, "cvttpd2pi (%%rsi), %%mm0", 'C')

#define X(n, insn, g) DEF(t_##n, insn)
INSNS(X)
#undef X

static struct insn insns[] = {
#define X(n, insn, g) {#n, t_##n, g},
	INSNS(X)
#undef X
};

struct st {
	const char *name;
	char group;
	uint64_t mm0, mm1, rax, x0lo, x0hi, x1lo, x1hi, m0, m1;
	uint32_t mx;
};

#define X0L 0x1111111111111111ull
#define X0H 0x2222222222222222ull
#define X1L 0x3333333333333333ull
#define X1H 0x4444444444444444ull
#define RAXV 0xdeadbeefcafe8001ull
#define MH 0x5555555555555555ull
#define ARITH(n, a, b) {n, 'A', a, b, RAXV, X0L, X0H, X1L, X1H, b, MH, 0x1f80}
#define SHIFT(n, c) {n, 'H', 0x8123456789abcdefull, c, RAXV, X0L, X0H, X1L, X1H, c, MH, 0x1f80}
static struct st states[] = {
	ARITH("A0", 0x80007fffff010080ull, 0x7fff80000102fffeull),
	ARITH("A1", 0x0123456789abcdefull, 0xfedcba9876543210ull),
	ARITH("A2", 0xffffffffffffffffull, 0x0000000000000001ull),
	ARITH("A3", 0x80807f7f0000ffffull, 0x808080807f7f0001ull),
	ARITH("A4", 0x7fff7fff80008000ull, 0x7fff800080007fffull),
	SHIFT("H0", 0), SHIFT("H1", 1), SHIFT("H2", 7), SHIFT("H3", 15), SHIFT("H4", 16),
	SHIFT("H5", 17), SHIFT("H6", 31), SHIFT("H7", 32), SHIFT("H8", 33), SHIFT("H9", 63),
	SHIFT("H10", 64), SHIFT("H11", 65), SHIFT("H12", 0x100000000ull), SHIFT("H13", ~0ull),
	{"I0", 'I', 0x8123456789abcdefull, 0, RAXV, X0L, X0H, X1L, X1H, 0, 0, 0x1f80},
	{"M0", 'M', 0x0123456789abcdefull, 0xfedcba9876543210ull, RAXV, X0L, X0H, X1L, X1H,
	 0x8899aabbccddeeffull, 0x7766554433221100ull, 0x1f80},
	{"C0", 'C', 0x0123456789abcdefull, 0xfffffffb00000003ull, RAXV, X0L, X0H,
	 0xc02000003fc00000ull, 0x4004000000000000ull, 0x7fffffff80000000ull, 0xc00c000000000000ull, 0x1f80},
	{"C1", 'C', 0x0123456789abcdefull, 0xfffffffb00000003ull, RAXV, X0L, X0H,
	 0xc02000003fc00000ull, 0x4004000000000000ull, 0x7fffffff80000000ull, 0xc00c000000000000ull, 0x3f80},
	{"C2", 'C', 0x0123456789abcdefull, 0xfffffffb00000003ull, RAXV, X0L, X0H,
	 0xc02000003fc00000ull, 0x4004000000000000ull, 0x7fffffff80000000ull, 0xc00c000000000000ull, 0x5f80},
	{"C3", 'C', 0x0123456789abcdefull, 0xfffffffb00000003ull, RAXV, X0L, X0H,
	 0xc02000003fc00000ull, 0x4004000000000000ull, 0x7fffffff80000000ull, 0xc00c000000000000ull, 0x7f80},
	{"C4", 'C', 0x0123456789abcdefull, 0x7fffffff01000001ull, RAXV, X0L, X0H,
	 0x7fc000004f000000ull, 0x41e0000000000000ull, 0xc1e0000000000000ull, 0x41dfffffffc00000ull, 0x1f80},
	{"C5", 'C', 0x0123456789abcdefull, 0x8000000000000000ull, RAXV, X0L, X0H,
	 0x4effffffcf000000ull, 0xc1e0000000100000ull, 0xff800000bf000000ull, 0x3fe0000000000000ull, 0x1fbf},
};

int main(void)
{
	for (size_t s = 0; s < sizeof states / sizeof states[0]; s++) {
		struct st *x = &states[s];
		printf("S %s %llx %llx %llx %llx:%llx %llx:%llx %llx:%llx %x\n", x->name,
		       (unsigned long long)x->mm0, (unsigned long long)x->mm1, (unsigned long long)x->rax,
		       (unsigned long long)x->x0hi, (unsigned long long)x->x0lo, (unsigned long long)x->x1hi,
		       (unsigned long long)x->x1lo, (unsigned long long)x->m1, (unsigned long long)x->m0, x->mx);
	}
	for (size_t i = 0; i < sizeof insns / sizeof insns[0]; i++) {
		int first = 1;
		for (size_t s = 0; s < sizeof states / sizeof states[0]; s++) {
			struct st *x = &states[s];
			if (x->group != insns[i].group)
				continue;
			struct io t = {x->mm0, x->mm1, x->rax, x->x0lo, x->x0hi, x->x1lo, x->x1hi, x->mx};
			mem[0] = x->m0;
			mem[1] = x->m1;
			insns[i].fn(&t);
			if (first) {
				printf("E %s ", insns[i].name);
				for (uint64_t a = t.s; a < t.e; a++)
					printf("%02x", *(unsigned char *)a);
				printf("\n");
				first = 0;
			}
			printf("V %s", x->name);
			if (t.omm0 != x->mm0)
				printf(" mm0=%llx", (unsigned long long)t.omm0);
			if (t.orax != x->rax)
				printf(" rax=%llx", (unsigned long long)t.orax);
			if (t.ox0lo != x->x0lo || t.ox0hi != x->x0hi)
				printf(" xmm0=%llx:%llx", (unsigned long long)t.ox0hi, (unsigned long long)t.ox0lo);
			if (mem[0] != x->m0 || mem[1] != x->m1)
				printf(" mem=%llx:%llx", (unsigned long long)mem[1], (unsigned long long)mem[0]);
			if (t.omx != x->mx)
				printf(" mxcsr=%x", t.omx);
			printf("\n");
		}
	}
	return 0;
}
