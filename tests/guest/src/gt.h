/* Common helpers for the gemu differential guest tests.
 * Everything printed must be deterministic: no pointers, times, pids. */
#ifndef GT_H
#define GT_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdint.h>
#include <sys/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FL_CF 0x001u
#define FL_PF 0x004u
#define FL_AF 0x010u
#define FL_ZF 0x040u
#define FL_SF 0x080u
#define FL_DF 0x400u
#define FL_OF 0x800u
#define FL_ALL6 (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)
/* flag input states used with popf: everything clear / all six set */
#define FIN_CLEAR 0x002ul
#define FIN_SET (0x002ul | FL_ALL6)

/* On x86-64 inline asm that pushes must skip the red zone below %rsp.
 * Never combine with "m" operands (they may be %rsp-relative): pass
 * pointers in registers instead. */
#ifdef __x86_64__
#define RZ_IN "lea -128(%%rsp), %%rsp\n\t"
#define RZ_OUT "lea 128(%%rsp), %%rsp\n\t"
#define ARCH_BITS 64
#else
#define RZ_IN ""
#define RZ_OUT ""
#define ARCH_BITS 32
#endif
/* set flags from operand [fin], capture flags into operand [fout] */
#define SETFL "push %[fin]\n\tpopf\n\t"
#define GETFL "pushf\n\tpop %[fout]\n\t"

/* Print the six status flags; those not in `defined` print as '-'. */
static inline void pflags(unsigned long f, unsigned defined)
{
	static const struct {
		const char *n;
		unsigned b;
	} t[] = {{"CF", FL_CF}, {"PF", FL_PF}, {"AF", FL_AF},
		 {"ZF", FL_ZF}, {"SF", FL_SF}, {"OF", FL_OF}};
	for (int i = 0; i < 6; i++) {
		if (defined & t[i].b)
			printf(" %s=%d", t[i].n, (f & t[i].b) ? 1 : 0);
		else
			printf(" %s=-", t[i].n);
	}
}

static inline const char *fin_name(unsigned long fin)
{
	return fin == FIN_CLEAR ? "fi=0" : "fi=1";
}

/* hex width for a size in bits */
static inline int hexw(int bits) { return bits / 4; }

/* deterministic pseudo random numbers (64-bit LCG, Knuth MMIX) */
static uint64_t gt_lcg_state = 0x853c49e6748fea9bull;
static inline void gt_srand(uint64_t s) { gt_lcg_state = s ^ 0x853c49e6748fea9bull; }
static inline uint32_t gt_rand(void)
{
	gt_lcg_state = gt_lcg_state * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(gt_lcg_state >> 33);
}

/* FNV-1a checksum */
static inline uint32_t gt_fnv(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 16777619u;
	}
	return h;
}

#define CHECK(cond) printf("%-50s %s\n", #cond, (cond) ? "yes" : "NO")
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
