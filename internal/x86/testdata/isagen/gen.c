/* isagen prints test vectors for gemu's SSSE3, SSE4.1, SSE4.2, BMI1/BMI2,
 * CRC32, MOVBE, LZCNT/TZCNT/POPCNT and SSE3 semantics by running each instruction
 * (or a short sequence) natively on the host CPU (x86-64).
 *
 * Build and run (from internal/x86), one file per family:
 *   cc -O1 -mno-red-zone -o /tmp/isagen testdata/isagen/gen.c
 *   /tmp/isagen 1 bmi | gzip -9n > testdata/isa_bmi.txt.gz
 * Families: bmi, gpr (lzcnt tzcnt popcnt movbe crc32), sse3, ssse3,
 * sse41, sse42. An optional third argument multiplies the number of random vectors.
 *
 * Every sequence runs with XMM0 = a, XMM1 = b, XMM2 = c, RAX, RCX, RDX as
 * given, RBX pointing to 16 bytes of memory m (followed by a copy of m, for
 * unaligned operands), the status flags fl and
 * MXCSR = mx. Afterwards XMM0, XMM1, RAX, RCX, RDX, m, the status flags and
 * MXCSR are recorded. Lines:
 *   E name hexbytes flagmask
 *     the encoding, printed before the first vector, and the status flags
 *     the instructions define (the others are not compared);
 *   V name mx fl a b c rax rcx rdx m : r0 r1 rax rcx rdx m fl mx trap
 *     one vector, 128-bit values as hi:lo, everything in hex; trap is 1 if
 *     the sequence raised SIGFPE, and the outputs are then from the signal
 *     context (m as in memory).
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
	x128 a, b, c;
	uint64_t rax, rcx, rdx;
	x128 m;
	/* outputs */
	x128 r0, r1;
	uint64_t rrax, rrcx, rrdx, rfl;
	uint32_t mxo;
	int trap;
	x128 mem[2] __attribute__((aligned(16))); /* m, twice: unaligned operands read past m */
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
	memcpy(&cur->r0, &uc->uc_mcontext.fpregs->_xmm[0], 16);
	memcpy(&cur->r1, &uc->uc_mcontext.fpregs->_xmm[1], 16);
	cur->rrax = uc->uc_mcontext.gregs[REG_RAX];
	cur->rrcx = uc->uc_mcontext.gregs[REG_RCX];
	cur->rrdx = uc->uc_mcontext.gregs[REG_RDX];
	cur->rfl = uc->uc_mcontext.gregs[REG_EFL] & STATUS;
	siglongjmp(jb, 1);
}

struct insn {
	const char *name;
	void (*fn)(struct io *);
	unsigned flags; /* defined status flags */
	int printed;
};

/* DEF defines a function running insn on the state in *t. */
#define DEF(id, insn)                                                                   \
	static void t_##id(struct io *t)                                                \
	{                                                                               \
		__asm__ volatile("lea 1f(%%rip), %%rax\n\t"                            \
				 "mov %%rax, %[s]\n\t"                                 \
				 "lea 2f(%%rip), %%rax\n\t"                            \
				 "mov %%rax, %[e]\n\t"                                 \
				 "movdqu %[a], %%xmm0\n\t"                             \
				 "movdqu %[b], %%xmm1\n\t"                             \
				 "movdqu %[c], %%xmm2\n\t"                             \
				 "lea %[mem], %%rbx\n\t"                               \
				 "mov %[rax], %%rax\n\t"                               \
				 "mov %[rcx], %%rcx\n\t"                               \
				 "mov %[rdx], %%rdx\n\t"                               \
				 "push %[fl]\n\t"                                      \
				 "popfq\n\t"                                           \
				 "ldmxcsr %[mx]\n\t"                                   \
				 "1:\n\t" insn "\n"                                    \
				 "2:\n\t"                                              \
				 "pushfq\n\t"                                          \
				 "pop %[rfl]\n\t"                                      \
				 "stmxcsr %[mxo]\n\t"                                  \
				 "ldmxcsr %[def]\n\t"                                  \
				 "movdqu %%xmm0, %[r0]\n\t"                            \
				 "movdqu %%xmm1, %[r1]\n\t"                            \
				 "mov %%rax, %[rrax]\n\t"                              \
				 "mov %%rcx, %[rrcx]\n\t"                              \
				 "mov %%rdx, %[rrdx]\n\t"                              \
				 : [s] "=m"(enc_s), [e] "=m"(enc_e), [rfl] "=m"(t->rfl),     \
				   [mxo] "=m"(t->mxo), [r0] "=m"(t->r0), [r1] "=m"(t->r1), \
				   [rrax] "=m"(t->rrax), [rrcx] "=m"(t->rrcx),             \
				   [rrdx] "=m"(t->rrdx), [mem] "+m"(t->mem)                \
				 : [a] "m"(t->a), [b] "m"(t->b), [c] "m"(t->c),            \
				   [rax] "m"(t->rax), [rcx] "m"(t->rcx), [rdx] "m"(t->rdx), \
				   [fl] "m"(t->fl), [mx] "m"(t->mx), [def] "m"(defmx)      \
				 : "rax", "rbx", "rcx", "rdx", "xmm0", "xmm1", "xmm2",    \
				   "mm0", "mm1", "memory", "cc");                         \
		t->rfl &= STATUS;                                                       \
	}

#define ALLF 0x8d5u
#define CF 0x001u
#define PF 0x004u
#define AF 0x010u
#define ZF 0x040u
#define SF 0x080u
#define OF 0x800u

/* MMX forms run between register copies through MM0 and MM1. */
#define MMX(insn) "movdq2q %%xmm0, %%mm0\n\tmovdq2q %%xmm1, %%mm1\n\t" insn "\n\tmovq2dq %%mm0, %%xmm0\n\temms"

/* ---- BMI1/BMI2 (GNU operand order: sources first) ---- */
#define BMI(X)                                                                  \
	X(andn_l, "andn %%edx, %%ecx, %%eax", CF | ZF | SF | OF)                \
	X(andn_q, "andn %%rdx, %%rcx, %%rax", CF | ZF | SF | OF)                \
	X(andn_m, "andn (%%rbx), %%rcx, %%rax", CF | ZF | SF | OF)              \
	X(bextr_l, "bextr %%edx, %%ecx, %%eax", CF | ZF | OF)                   \
	X(bextr_q, "bextr %%rdx, %%rcx, %%rax", CF | ZF | OF)                   \
	X(bextr_m, "bextr %%edx, (%%rbx), %%eax", CF | ZF | OF)                 \
	X(blsi_l, "blsi %%ecx, %%eax", CF | ZF | SF | OF)                       \
	X(blsi_q, "blsi %%rcx, %%rax", CF | ZF | SF | OF)                       \
	X(blsi_m, "blsiq (%%rbx), %%rax", CF | ZF | SF | OF)                    \
	X(blsmsk_l, "blsmsk %%ecx, %%eax", CF | ZF | SF | OF)                   \
	X(blsmsk_q, "blsmsk %%rcx, %%rax", CF | ZF | SF | OF)                   \
	X(blsr_l, "blsr %%ecx, %%eax", CF | ZF | SF | OF)                       \
	X(blsr_q, "blsr %%rcx, %%rax", CF | ZF | SF | OF)                       \
	X(blsr_m, "blsrl (%%rbx), %%eax", CF | ZF | SF | OF)                    \
	X(bzhi_l, "bzhi %%edx, %%ecx, %%eax", CF | ZF | SF | OF)                \
	X(bzhi_q, "bzhi %%rdx, %%rcx, %%rax", CF | ZF | SF | OF)                \
	X(bzhi_m, "bzhi %%rdx, (%%rbx), %%rax", CF | ZF | SF | OF)              \
	X(pdep_l, "pdep %%edx, %%ecx, %%eax", ALLF)                             \
	X(pdep_q, "pdep %%rdx, %%rcx, %%rax", ALLF)                             \
	X(pdep_m, "pdep (%%rbx), %%rcx, %%rax", ALLF)                           \
	X(pext_l, "pext %%edx, %%ecx, %%eax", ALLF)                             \
	X(pext_q, "pext %%rdx, %%rcx, %%rax", ALLF)                             \
	X(pext_m, "pext (%%rbx), %%ecx, %%eax", ALLF)                           \
	X(mulx_l, "mulx %%ecx, %%ecx, %%eax", ALLF)                             \
	X(mulx_q, "mulx %%rcx, %%rcx, %%rax", ALLF)                             \
	X(mulx_same, "mulx %%rcx, %%rax, %%rax", ALLF)                          \
	X(mulx_m, "mulx (%%rbx), %%rax, %%rcx", ALLF)                           \
	X(mulx_ml, "mulx (%%rbx), %%eax, %%ecx", ALLF)                          \
	X(rorx_l5, "rorx $5, %%ecx, %%eax", ALLF)                               \
	X(rorx_l0, "rorx $0, %%ecx, %%eax", ALLF)                               \
	X(rorx_l33, "rorx $33, %%ecx, %%eax", ALLF)                             \
	X(rorx_q1, "rorx $1, %%rcx, %%rax", ALLF)                               \
	X(rorx_q63, "rorx $63, %%rcx, %%rax", ALLF)                             \
	X(rorx_m, "rorx $17, (%%rbx), %%rax", ALLF)                             \
	X(sarx_l, "sarx %%edx, %%ecx, %%eax", ALLF)                             \
	X(sarx_q, "sarx %%rdx, %%rcx, %%rax", ALLF)                             \
	X(sarx_m, "sarx %%edx, (%%rbx), %%eax", ALLF)                           \
	X(shlx_l, "shlx %%edx, %%ecx, %%eax", ALLF)                             \
	X(shlx_q, "shlx %%rdx, %%rcx, %%rax", ALLF)                             \
	X(shlx_m, "shlx %%rdx, (%%rbx), %%rax", ALLF)                           \
	X(shrx_l, "shrx %%edx, %%ecx, %%eax", ALLF)                             \
	X(shrx_q, "shrx %%rdx, %%rcx, %%rax", ALLF)                             \
	X(shrx_m, "shrx %%edx, (%%rbx), %%eax", ALLF)

/* ---- general-register extras ---- */
#define GPR(X)                                                                  \
	X(lzcnt_w, "lzcnt %%cx, %%ax", CF | ZF)                                 \
	X(lzcnt_l, "lzcnt %%ecx, %%eax", CF | ZF)                               \
	X(lzcnt_q, "lzcnt %%rcx, %%rax", CF | ZF)                               \
	X(lzcnt_m, "lzcntl (%%rbx), %%eax", CF | ZF)                            \
	X(tzcnt_w, "tzcnt %%cx, %%ax", CF | ZF)                                 \
	X(tzcnt_l, "tzcnt %%ecx, %%eax", CF | ZF)                               \
	X(tzcnt_q, "tzcnt %%rcx, %%rax", CF | ZF)                               \
	X(tzcnt_m, "tzcntq (%%rbx), %%rax", CF | ZF)                            \
	X(popcnt_w, "popcnt %%cx, %%ax", ALLF)                                  \
	X(popcnt_l, "popcnt %%ecx, %%eax", ALLF)                                \
	X(popcnt_q, "popcnt %%rcx, %%rax", ALLF)                                \
	X(popcnt_m, "popcntw (%%rbx), %%ax", ALLF)                              \
	X(movbe_lw, "movbe (%%rbx), %%ax", ALLF)                                \
	X(movbe_ll, "movbe (%%rbx), %%eax", ALLF)                               \
	X(movbe_lq, "movbe (%%rbx), %%rax", ALLF)                               \
	X(movbe_sw, "movbe %%cx, (%%rbx)", ALLF)                                \
	X(movbe_sl, "movbe %%ecx, 4(%%rbx)", ALLF)                              \
	X(movbe_sq, "movbe %%rcx, 8(%%rbx)", ALLF)                              \
	X(crc32_b, "crc32b %%cl, %%eax", ALLF)                                  \
	X(crc32_w, "crc32w %%cx, %%eax", ALLF)                                  \
	X(crc32_l, "crc32l %%ecx, %%eax", ALLF)                                 \
	X(crc32_q, "crc32q %%rcx, %%rax", ALLF)                                 \
	X(crc32_bq, "crc32b %%cl, %%rax", ALLF)                                 \
	X(crc32_mb, "crc32b 3(%%rbx), %%eax", ALLF)                             \
	X(crc32_mw, "crc32w (%%rbx), %%eax", ALLF)                              \
	X(crc32_ml, "crc32l 4(%%rbx), %%eax", ALLF)                             \
	X(crc32_mq, "crc32q (%%rbx), %%rax", ALLF)

/* ---- SSSE3 ---- */
#define SSSE3_OPS(Y)                                                            \
	Y(pshufb) Y(pabsb) Y(pabsw) Y(pabsd) Y(phaddw) Y(phaddd) Y(phaddsw)    \
	Y(phsubw) Y(phsubd) Y(phsubsw) Y(pmaddubsw) Y(pmulhrsw) Y(psignb)       \
	Y(psignw) Y(psignd)
#define SSSE3(X)                                                                \
	SSSE3_OPS(X##_XMM) SSSE3_OPS(X##_MMX)                                   \
	X(palignr_0, "palignr $0, %%xmm1, %%xmm0", ALLF)                        \
	X(palignr_1, "palignr $1, %%xmm1, %%xmm0", ALLF)                        \
	X(palignr_7, "palignr $7, %%xmm1, %%xmm0", ALLF)                        \
	X(palignr_15, "palignr $15, %%xmm1, %%xmm0", ALLF)                      \
	X(palignr_16, "palignr $16, %%xmm1, %%xmm0", ALLF)                      \
	X(palignr_17, "palignr $17, %%xmm1, %%xmm0", ALLF)                      \
	X(palignr_31, "palignr $31, %%xmm1, %%xmm0", ALLF)                      \
	X(palignr_32, "palignr $32, %%xmm1, %%xmm0", ALLF)                      \
	X(palignr_200, "palignr $200, %%xmm1, %%xmm0", ALLF)                    \
	X(palignr_mem, "palignr $3, (%%rbx), %%xmm0", ALLF)                     \
	X(pshufb_mem, "pshufb (%%rbx), %%xmm0", ALLF)                           \
	X(palignr_m3, MMX("palignr $3, %%mm1, %%mm0"), ALLF)                    \
	X(palignr_m8, MMX("palignr $8, %%mm1, %%mm0"), ALLF)                    \
	X(palignr_m13, MMX("palignr $13, %%mm1, %%mm0"), ALLF)                  \
	X(palignr_m16, MMX("palignr $16, %%mm1, %%mm0"), ALLF)                  \
	X(pshufb_mmem, MMX("pshufb (%%rbx), %%mm0"), ALLF)

/* ---- SSE4.1 ---- */
#define ROUNDI(X, op, reg)                                                       \
	X(op##_0, #op " $0, %%xmm1, %%xmm0", ALLF)                               \
	X(op##_1, #op " $1, %%xmm1, %%xmm0", ALLF)                               \
	X(op##_2, #op " $2, %%xmm1, %%xmm0", ALLF)                               \
	X(op##_3, #op " $3, %%xmm1, %%xmm0", ALLF)                               \
	X(op##_4, #op " $4, %%xmm1, %%xmm0", ALLF)                               \
	X(op##_8, #op " $8, %%xmm1, %%xmm0", ALLF)                               \
	X(op##_9, #op " $9, %%xmm1, %%xmm0", ALLF)                               \
	X(op##_a, #op " $10, %%xmm1, %%xmm0", ALLF)                              \
	X(op##_b, #op " $11, %%xmm1, %%xmm0", ALLF)                              \
	X(op##_c, #op " $12, %%xmm1, %%xmm0", ALLF)                              \
	X(op##_f3, #op " $0xf3, %%xmm1, %%xmm0", ALLF)
#define SSE41_BIN(Y)                                                             \
	Y(pminsb) Y(pminuw) Y(pminsd) Y(pminud) Y(pmaxsb) Y(pmaxuw) Y(pmaxsd)    \
	Y(pmaxud) Y(pmuldq) Y(pmulld) Y(packusdw) Y(pcmpeqq) Y(phminposuw)       \
	Y(pmovzxbw) Y(pmovzxbd) Y(pmovzxbq) Y(pmovzxwd) Y(pmovzxwq) Y(pmovzxdq)  \
	Y(pmovsxbw) Y(pmovsxbd) Y(pmovsxbq) Y(pmovsxwd) Y(pmovsxwq) Y(pmovsxdq)
#define SSE41(X)                                                                 \
	SSE41_BIN(X##_XMM)                                                       \
	ROUNDI(X, roundss, 0) ROUNDI(X, roundsd, 0) ROUNDI(X, roundps, 0)        \
	ROUNDI(X, roundpd, 0)                                                    \
	X(roundsd_m, "roundsd $4, (%%rbx), %%xmm0", ALLF)                        \
	X(roundps_m, "roundps $1, (%%rbx), %%xmm0", ALLF)                        \
	X(pinsrb_0, "pinsrb $0, %%ecx, %%xmm0", ALLF)                            \
	X(pinsrb_f, "pinsrb $15, %%ecx, %%xmm0", ALLF)                           \
	X(pinsrb_m, "pinsrb $9, 2(%%rbx), %%xmm0", ALLF)                         \
	X(pinsrd_1, "pinsrd $1, %%ecx, %%xmm0", ALLF)                            \
	X(pinsrd_7, "pinsrd $7, %%ecx, %%xmm0", ALLF)                            \
	X(pinsrd_m, "pinsrd $2, 4(%%rbx), %%xmm0", ALLF)                         \
	X(pinsrq_1, "pinsrq $1, %%rcx, %%xmm0", ALLF)                            \
	X(pinsrq_m, "pinsrq $0, 8(%%rbx), %%xmm0", ALLF)                         \
	X(pextrb_3, "pextrb $3, %%xmm1, %%eax", ALLF)                            \
	X(pextrb_q, "pextrb $14, %%xmm1, %%rax", ALLF)                           \
	X(pextrb_m, "pextrb $31, %%xmm1, 5(%%rbx)", ALLF)                        \
	X(pextrw_6, "pextrw $6, %%xmm1, %%eax", ALLF)                            \
	X(pextrw_m, "pextrw $5, %%xmm1, 6(%%rbx)", ALLF)                         \
	X(pextrd_2, "pextrd $2, %%xmm1, %%eax", ALLF)                            \
	X(pextrd_m, "pextrd $7, %%xmm1, 4(%%rbx)", ALLF)                         \
	X(pextrq_1, "pextrq $1, %%xmm1, %%rax", ALLF)                            \
	X(pextrq_m, "pextrq $0, %%xmm1, 8(%%rbx)", ALLF)                         \
	X(extractps_1, "extractps $1, %%xmm1, %%eax", ALLF)                      \
	X(extractps_m, "extractps $3, %%xmm1, 4(%%rbx)", ALLF)                   \
	X(insertps_1b, "insertps $0x1b, %%xmm1, %%xmm0", ALLF)                   \
	X(insertps_c6, "insertps $0xc6, %%xmm1, %%xmm0", ALLF)                   \
	X(insertps_70, "insertps $0x70, %%xmm1, %%xmm0", ALLF)                   \
	X(insertps_m, "insertps $0xe5, 4(%%rbx), %%xmm0", ALLF)                  \
	X(pblendvb, "pblendvb %%xmm0, %%xmm2, %%xmm1", ALLF)                     \
	X(blendvps, "blendvps %%xmm0, %%xmm2, %%xmm1", ALLF)                     \
	X(blendvpd, "blendvpd %%xmm0, %%xmm2, %%xmm1", ALLF)                     \
	X(blendps_5, "blendps $5, %%xmm1, %%xmm0", ALLF)                         \
	X(blendps_e, "blendps $0xe, %%xmm1, %%xmm0", ALLF)                       \
	X(blendpd_1, "blendpd $1, %%xmm1, %%xmm0", ALLF)                         \
	X(blendpd_2, "blendpd $2, %%xmm1, %%xmm0", ALLF)                         \
	X(pblendw_a5, "pblendw $0xa5, %%xmm1, %%xmm0", ALLF)                     \
	X(pblendw_3c, "pblendw $0x3c, %%xmm1, %%xmm0", ALLF)                     \
	X(ptest, "ptest %%xmm1, %%xmm0", ALLF)                                   \
	X(ptest_m, "ptest (%%rbx), %%xmm0", ALLF)                                \
	X(pmovzxbw_m, "pmovzxbw (%%rbx), %%xmm0", ALLF)                          \
	X(pmovsxbq_m, "pmovsxbq 2(%%rbx), %%xmm0", ALLF)                         \
	X(pmovsxwd_m, "pmovsxwd 8(%%rbx), %%xmm0", ALLF)                         \
	X(pmovzxdq_m, "pmovzxdq 4(%%rbx), %%xmm0", ALLF)                         \
	X(pmovsxbd_m, "pmovsxbd 1(%%rbx), %%xmm0", ALLF)                         \
	X(pmovzxwq_m, "pmovzxwq 3(%%rbx), %%xmm0", ALLF)                         \
	X(dpps_ff, "dpps $0xff, %%xmm1, %%xmm0", ALLF)                           \
	X(dpps_71, "dpps $0x71, %%xmm1, %%xmm0", ALLF)                           \
	X(dpps_a6, "dpps $0xa6, %%xmm1, %%xmm0", ALLF)                           \
	X(dpps_3f, "dpps $0x3f, %%xmm1, %%xmm0", ALLF)                           \
	X(dppd_31, "dppd $0x31, %%xmm1, %%xmm0", ALLF)                           \
	X(dppd_12, "dppd $0x12, %%xmm1, %%xmm0", ALLF)                           \
	X(dppd_23, "dppd $0x23, %%xmm1, %%xmm0", ALLF)                           \
	X(mpsadbw_0, "mpsadbw $0, %%xmm1, %%xmm0", ALLF)                         \
	X(mpsadbw_5, "mpsadbw $5, %%xmm1, %%xmm0", ALLF)                         \
	X(mpsadbw_7, "mpsadbw $7, %%xmm1, %%xmm0", ALLF)                         \
	X(mpsadbw_2, "mpsadbw $2, %%xmm1, %%xmm0", ALLF)                         \
	X(movntdqa, "movntdqa (%%rbx), %%xmm0", ALLF)

/* ---- SSE4.2 ---- */
#define STRI(X, imm)                                                             \
	X(pcmpistri_##imm, "pcmpistri $" #imm ", %%xmm1, %%xmm0", ALLF)          \
	X(pcmpistrm_##imm, "pcmpistrm $" #imm ", %%xmm1, %%xmm0", ALLF)          \
	X(pcmpestri_##imm, "pcmpestri $" #imm ", %%xmm1, %%xmm0", ALLF)          \
	X(pcmpestrm_##imm, "pcmpestrm $" #imm ", %%xmm1, %%xmm0", ALLF)
#define SSE42(X)                                                                 \
	X(pcmpgtq, "pcmpgtq %%xmm1, %%xmm0", ALLF)                               \
	STRI(X, 0x00) STRI(X, 0x01) STRI(X, 0x02) STRI(X, 0x03)                  \
	STRI(X, 0x04) STRI(X, 0x05) STRI(X, 0x06) STRI(X, 0x07)                  \
	STRI(X, 0x08) STRI(X, 0x09) STRI(X, 0x0a) STRI(X, 0x0b)                  \
	STRI(X, 0x0c) STRI(X, 0x0d) STRI(X, 0x0e) STRI(X, 0x0f)                  \
	STRI(X, 0x10) STRI(X, 0x18) STRI(X, 0x1a) STRI(X, 0x2c)                  \
	STRI(X, 0x30) STRI(X, 0x3a) STRI(X, 0x3d) STRI(X, 0x40)                  \
	STRI(X, 0x44) STRI(X, 0x4c) STRI(X, 0x59) STRI(X, 0x62)                  \
	STRI(X, 0x6f) STRI(X, 0x71) STRI(X, 0x7e) STRI(X, 0x14)                  \
	X(pcmpistri_mem, "pcmpistri $0x0c, 3(%%rbx), %%xmm0", ALLF)              \
	X(pcmpestrm_mem, "pcmpestrm $0x44, 1(%%rbx), %%xmm0", ALLF)              \
	X(pcmpestri_q, "pcmpestriq $0x08, %%xmm1, %%xmm0", ALLF)

/* ---- SSE3 ---- */
#define SSE3(X)                                                                  \
	X(addsubps, "addsubps %%xmm1, %%xmm0", ALLF)                             \
	X(addsubpd, "addsubpd %%xmm1, %%xmm0", ALLF)                             \
	X(haddps, "haddps %%xmm1, %%xmm0", ALLF)                                 \
	X(haddpd, "haddpd %%xmm1, %%xmm0", ALLF)                                 \
	X(hsubps, "hsubps %%xmm1, %%xmm0", ALLF)                                 \
	X(hsubpd, "hsubpd %%xmm1, %%xmm0", ALLF)                                 \
	X(haddps_same, "haddps %%xmm0, %%xmm0", ALLF)                            \
	X(movddup, "movddup %%xmm1, %%xmm0", ALLF)                               \
	X(movddup_m, "movddup 4(%%rbx), %%xmm0", ALLF)                           \
	X(movshdup, "movshdup %%xmm1, %%xmm0", ALLF)                             \
	X(movsldup, "movsldup %%xmm1, %%xmm0", ALLF)                             \
	X(movsldup_m, "movsldup (%%rbx), %%xmm0", ALLF)                          \
	X(lddqu, "lddqu 3(%%rbx), %%xmm0", ALLF)

#define D(id, insn, fl) DEF(id, insn)
#define D_XMM(op) DEF(op, #op " %%xmm1, %%xmm0")
#define D_MMX(op) DEF(op##_mm, MMX(#op " %%mm1, %%mm0"))
BMI(D)
GPR(D)
SSSE3(D)
SSE41(D)
SSE42(D)
SSE3(D)
#undef D
#undef D_XMM
#undef D_MMX

#define I(id, insn, fl) {#id, t_##id, fl, 0},
#define I_XMM(op) {#op, t_##op, ALLF, 0},
#define I_MMX(op) {#op "_mm", t_##op##_mm, ALLF, 0},
static struct insn bmi[] = {BMI(I)};
static struct insn gpr[] = {GPR(I)};
static struct insn ssse3[] = {SSSE3(I)};
static struct insn sse41[] = {SSE41(I)};
static struct insn sse42[] = {SSE42(I)};
static struct insn sse3[] = {SSE3(I)};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- values ---- */

static uint64_t rng = 88172645463325252ull;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* A 64-bit value biased toward edge cases: small, powers of two, all ones,
 * sign boundaries, sparse and dense bit patterns. */
static uint64_t rndgpr(void)
{
	uint64_t r = rnd();
	switch (r % 10) {
	case 0: return r >> 8 & 0x3f;
	case 1: return 1ull << (r >> 8 & 63);
	case 2: return -1ull << (r >> 8 & 63);
	case 3: return rnd() & rnd() & rnd();
	case 4: return rnd() | rnd();
	case 5: return (r >> 8 & 0xff) | (rnd() & 0xff) << 8; /* start/length pairs */
	case 6: return r >> 16 & 1 ? 0 : -1ull;
	case 7: return 0x80000000ull << (r >> 8 & 1) | (r >> 9 & 1);
	default: return rnd();
	}
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
	if ((sel & 3) == 0) {
		/* word/dword edge values */
		uint16_t *w = (uint16_t *)&v;
		for (int i = 0; i < 8; i++)
			if (rnd() & 1)
				w[i] = (uint16_t[]){0, 1, 0x7fff, 0x8000, 0xffff, 0x8001}[rnd() % 6];
	}
	return v;
}

/* A string-like vector: letters from a small alphabet and some NULs, so
 * that the string compares find matches and ends. */
static x128 rndstr(void)
{
	x128 v;
	uint8_t *b = (uint8_t *)&v;
	uint64_t r = rnd();
	int word = r & 1;
	for (int i = 0; i < 16; i++)
		b[i] = "abcab\x80\xff\x61" [rnd() % 8];
	if (r >> 1 & 1) {
		int z = rnd() % 18;
		if (word)
			z &= ~1;
		for (int i = z; i < 16; i++)
			if (i == z || rnd() % 4 == 0)
				b[i] = 0;
	}
	if (word && (r >> 2 & 1))
		for (int i = 1; i < 16; i += 2)
			b[i] = 0x61 + rnd() % 2;
	return v;
}

static const uint64_t spec64[] = {
	0x0000000000000000, 0x8000000000000000, 0x3ff0000000000000, 0xbff0000000000000,
	0x3ff8000000000000, 0xbff8000000000000, 0x4004000000000000, 0xc004000000000000,
	0x3fe0000000000000, 0xbfe0000000000000, 0x3fe0000000000001, 0x3fdfffffffffffff,
	0x4330000000000001, 0xc330000000000000, 0x4340000000000000, 0x7fefffffffffffff,
	0x0000000000000001, 0x8010000000000000, 0x7ff0000000000000, 0xfff0000000000000,
	0x7ff8000000000000, 0x7ff4000000000001, 0xfff8000000000123, 0x3fb999999999999a,
	0x4002000000000000, 0x400c000000000000, 0xc00c000000000000, 0x432fffffffffffff,
};
static const uint32_t spec32[] = {
	0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x3fc00000, 0xbfc00000,
	0x40200000, 0xc0200000, 0x3f000000, 0xbf000000, 0x3f000001, 0x3effffff,
	0x4b000001, 0xcb000000, 0x4b800000, 0x7f7fffff, 0x00000001, 0x80800000,
	0x7f800000, 0xff800000, 0x7fc00000, 0x7fa00001, 0xffc00123, 0x3dcccccd,
	0x40100000, 0x40600000, 0xc0600000, 0x4affffff,
};

static uint64_t rndf64(void)
{
	uint64_t r = rnd();
	if (r & 1)
		return spec64[rnd() % N(spec64)];
	uint64_t e = 0x3f0 + (r >> 8 & 0x7f);
	if ((r >> 20 & 7) == 0)
		e = r >> 24 & 0x7ff;
	return (r >> 63) << 63 | e << 52 | (rnd() & 0xfffffffffffffull);
}

static uint32_t rndf32(void)
{
	uint64_t r = rnd();
	if (r & 1)
		return spec32[rnd() % N(spec32)];
	uint32_t e = 0x70 + (r >> 8 & 0x3f);
	if ((r >> 20 & 7) == 0)
		e = r >> 24 & 0xff;
	return (uint32_t)(r >> 63) << 31 | e << 23 | (rnd() & 0x7fffff);
}

static x128 vf64(void) { return (x128){rndf64(), rndf64()}; }
static x128 vf32(void)
{
	return (x128){rndf32() | (uint64_t)rndf32() << 32, rndf32() | (uint64_t)rndf32() << 32};
}

static const uint32_t modes[] = {0x1f80, 0x3f80, 0x5f80, 0x7f80, 0x9fc0, 0x1fa0};
static const uint32_t trapmodes[] = {0x0000, 0x1f00, 0x1780, 0x1d80};

static void run(struct insn *in, uint32_t mx, x128 a, x128 b, x128 c, uint64_t rax, uint64_t rcx,
		uint64_t rdx, x128 m)
{
	struct io t;
	memset(&t, 0, sizeof t);
	t.mx = mx;
	t.fl = 0x202 | (rnd() & STATUS);
	t.a = a;
	t.b = b;
	t.c = c;
	t.rax = rax;
	t.rcx = rcx;
	t.rdx = rdx;
	t.m = m;
	t.mem[0] = t.mem[1] = m;
	cur = &t;
	if (sigsetjmp(jb, 1) == 0)
		in->fn(&t);
	__asm__ volatile("ldmxcsr %0\n\temms" ::"m"(defmx));
	if (!in->printed) {
		printf("E %s ", in->name);
		for (uint8_t *p = (uint8_t *)enc_s; p < (uint8_t *)enc_e; p++)
			printf("%02x", *p);
		printf(" %x\n", in->flags);
		in->printed = 1;
	}
	printf("V %s %x %lx %016lx:%016lx %016lx:%016lx %016lx:%016lx %lx %lx %lx %016lx:%016lx : "
	       "%016lx:%016lx %016lx:%016lx %lx %lx %lx %016lx:%016lx %lx %x %d\n",
	       in->name, t.mx, t.fl & STATUS, t.a.hi, t.a.lo, t.b.hi, t.b.lo, t.c.hi, t.c.lo, t.rax,
	       t.rcx, t.rdx, t.m.hi, t.m.lo, t.r0.hi, t.r0.lo, t.r1.hi, t.r1.lo, t.rrax, t.rrcx,
	       t.rrdx, t.mem[0].hi, t.mem[0].lo, t.rfl & in->flags, t.mxo, t.trap);
}

/* isfp reports whether an instruction takes floating-point operands. */
static int isfp(const char *name)
{
	return strstr(name, "round") || strstr(name, "dpp") || strstr(name, "add") || strstr(name, "sub") ||
	       strstr(name, "dup");
}

static void family(struct insn *set, size_t n, int count)
{
	for (size_t k = 0; k < n; k++) {
		struct insn *in = &set[k];
		int fp = isfp(in->name);
		int str = strncmp(in->name, "pcmp", 4) == 0 && strstr(in->name, "str");
		for (int i = 0; i < count * (fp ? 3 : 1); i++) {
			x128 a = rndvec(), b = rndvec(), c = rndvec(), m = rndvec();
			uint32_t mx = 0x1f80;
			if (fp) {
				int pd = strstr(in->name, "sd") || strstr(in->name, "pd");
				a = pd ? vf64() : vf32();
				b = pd ? vf64() : vf32();
				m = pd ? vf64() : vf32();
				mx = i % 8 == 7 ? trapmodes[rnd() % N(trapmodes)] : modes[rnd() % N(modes)];
			}
			if (str) {
				a = rndstr();
				b = rndstr();
				m = rndstr();
				if (rnd() % 4 == 0)
					b = a;
			}
			uint64_t rax = rndgpr(), rcx = rndgpr(), rdx = rndgpr();
			if (str) {
				/* explicit lengths: mostly small, sometimes beyond the register */
				int64_t la = (int64_t)(rnd() % 40) - 20, ld = (int64_t)(rnd() % 40) - 20;
				if (rnd() % 8 == 0)
					la = rnd();
				rax = la;
				rdx = ld;
			}
			run(in, mx, a, b, c, rax, rcx, rdx, m);
		}
	}
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = onfpe;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGFPE, &sa, 0);
	if (argc < 3) {
		fprintf(stderr, "usage: isagen seed bmi|gpr|sse3|ssse3|sse41|sse42 [scale]\n");
		return 2;
	}
	rng ^= strtoull(argv[1], 0, 0) * 0x9e3779b97f4a7c15ull;
	double scale = argc > 3 ? atof(argv[3]) : 1;
	int count = 40 * scale;
	if (!strcmp(argv[2], "bmi"))
		family(bmi, N(bmi), count);
	else if (!strcmp(argv[2], "gpr"))
		family(gpr, N(gpr), count);
	else if (!strcmp(argv[2], "ssse3"))
		family(ssse3, N(ssse3), count);
	else if (!strcmp(argv[2], "sse41"))
		family(sse41, N(sse41), count);
	else if (!strcmp(argv[2], "sse42"))
		family(sse42, N(sse42), count);
	else if (!strcmp(argv[2], "sse3"))
		family(sse3, N(sse3), count);
	else {
		fprintf(stderr, "isagen: unknown family %s\n", argv[2]);
		return 2;
	}
	return 0;
}
