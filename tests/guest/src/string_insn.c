// String instructions movs/stos/lods/cmps/scas in all sizes with rep/repe/repne,
// both directions, overlapping copies (byte-wise semantics) and count 0.
#include "gt.h"

#define BUFSZ 96
static unsigned char buf[BUFSZ] __attribute__((aligned(16)));
static unsigned char buf2[BUFSZ] __attribute__((aligned(16)));

static void fill(void)
{
	for (int i = 0; i < BUFSZ; i++) {
		buf[i] = (unsigned char)(i * 7 + 1);
		buf2[i] = buf[i];
	}
}

static void dump(const unsigned char *b)
{
	for (int i = 0; i < BUFSZ; i++)
		printf("%02x", b[i]);
	putchar('\n');
}

static const int sizes[] = {1, 2, 4, 8};
static const unsigned long counts[] = {0, 1, 5, 17};

/* rep movs of `n` elements of size `sz` from buf+so to buf+dof, direction down if `down` */
static void do_movs(int sz, int down, unsigned long n, int so, int dof, int rep)
{
	unsigned char *s = buf + so, *d = buf + dof;
	unsigned long c = n;
	if (down && n) {
		s += (n - 1) * sz;
		d += (n - 1) * sz;
	}
	unsigned char *s0 = s, *d0 = d;
#define MOVS(I)                                                                               \
	if (down)                                                                             \
		__asm__ volatile("std\n\t" I "\n\tcld" : "+S"(s), "+D"(d), "+c"(c) : : "memory"); \
	else                                                                                  \
		__asm__ volatile(I : "+S"(s), "+D"(d), "+c"(c) : : "memory");
	if (rep) {
		switch (sz) {
		case 1: MOVS("rep movsb") break;
		case 2: MOVS("rep movsw") break;
		case 4: MOVS("rep movsl") break;
#ifdef __x86_64__
		case 8: MOVS("rep movsq") break;
#endif
		}
	} else {
		switch (sz) {
		case 1: MOVS("movsb") break;
		case 2: MOVS("movsw") break;
		case 4: MOVS("movsl") break;
#ifdef __x86_64__
		case 8: MOVS("movsq") break;
#endif
		}
	}
	printf("%smovs%d %s n=%lu %d->%d: dsi=%ld ddi=%ld c=%lu ", rep ? "rep " : "", sz * 8,
	       down ? "std" : "cld", n, so, dof, (long)(s - s0), (long)(d - d0), c);
	dump(buf);
}

static void do_stos(int sz, int down, unsigned long n, int off)
{
	unsigned char *d = buf + off;
	unsigned long c = n;
	unsigned long v = (unsigned long)0x8877665544332211ull;
	if (down && n)
		d += (n - 1) * sz;
	unsigned char *d0 = d;
#define STOS(I)                                                                             \
	if (down)                                                                           \
		__asm__ volatile("std\n\t" I "\n\tcld" : "+D"(d), "+c"(c) : "a"(v) : "memory"); \
	else                                                                                \
		__asm__ volatile(I : "+D"(d), "+c"(c) : "a"(v) : "memory");
	switch (sz) {
	case 1: STOS("rep stosb") break;
	case 2: STOS("rep stosw") break;
	case 4: STOS("rep stosl") break;
#ifdef __x86_64__
	case 8: STOS("rep stosq") break;
#endif
	}
	printf("rep stos%d %s n=%lu at %d: ddi=%ld c=%lu ", sz * 8, down ? "std" : "cld", n, off,
	       (long)(d - d0), c);
	dump(buf);
}

static void do_lods(int sz, int down, unsigned long n, int off, int rep)
{
	unsigned char *s = buf + off, *s0 = s;
	unsigned long c = n;
	unsigned long v = (unsigned long)0x1122334455667788ull;
#define LODS(I)                                                                              \
	if (down)                                                                            \
		__asm__ volatile("std\n\t" I "\n\tcld" : "+S"(s), "+c"(c), "+a"(v) : : "memory"); \
	else                                                                                 \
		__asm__ volatile(I : "+S"(s), "+c"(c), "+a"(v) : : "memory");
	if (rep) {
		switch (sz) {
		case 1: LODS("rep lodsb") break;
		case 2: LODS("rep lodsw") break;
		case 4: LODS("rep lodsl") break;
#ifdef __x86_64__
		case 8: LODS("rep lodsq") break;
#endif
		}
	} else {
		switch (sz) {
		case 1: LODS("lodsb") break;
		case 2: LODS("lodsw") break;
		case 4: LODS("lodsl") break;
#ifdef __x86_64__
		case 8: LODS("lodsq") break;
#endif
		}
	}
	printf("%slods%d %s n=%lu at %d: acc=%llx dsi=%ld c=%lu\n", rep ? "rep " : "", sz * 8,
	       down ? "std" : "cld", n, off, (unsigned long long)v, (long)(s - s0), c);
}

/* kind: 0 = repe cmps, 1 = repne cmps, 2 = cmps (single) */
static void do_cmps(int sz, int down, unsigned long n, int off, int kind, unsigned long fin)
{
	unsigned char *s = buf + off, *d = buf2 + off;
	unsigned long c = n, f;
	if (down && n) {
		s += (n - 1) * sz;
		d += (n - 1) * sz;
	}
	unsigned char *s0 = s, *d0 = d;
#define CMPS(I)                                                                                        \
	if (down)                                                                                      \
		__asm__ volatile(RZ_IN SETFL "std\n\t" I "\n\tcld\n\t" GETFL RZ_OUT                     \
				 : "+S"(s), "+D"(d), "+c"(c), [fout] "=r"(f)                           \
				 : [fin] "r"(fin)                                                      \
				 : "memory", "cc");                                                    \
	else                                                                                           \
		__asm__ volatile(RZ_IN SETFL I "\n\t" GETFL RZ_OUT                                     \
				 : "+S"(s), "+D"(d), "+c"(c), [fout] "=r"(f)                           \
				 : [fin] "r"(fin)                                                      \
				 : "memory", "cc");
#define CMPS_SZ(P)                                         \
	switch (sz) {                                      \
	case 1: CMPS(P "cmpsb") break;                     \
	case 2: CMPS(P "cmpsw") break;                     \
	case 4: CMPS(P "cmpsl") break;                     \
	default: CMPS(P "cmpsl") break;                    \
	}
#ifdef __x86_64__
#undef CMPS_SZ
#define CMPS_SZ(P)                                         \
	switch (sz) {                                      \
	case 1: CMPS(P "cmpsb") break;                     \
	case 2: CMPS(P "cmpsw") break;                     \
	case 4: CMPS(P "cmpsl") break;                     \
	default: CMPS(P "cmpsq") break;                    \
	}
#endif
	if (kind == 0) {
		CMPS_SZ("repe ")
	} else if (kind == 1) {
		CMPS_SZ("repne ")
	} else {
		CMPS_SZ("")
	}
	static const char *kn[] = {"repe ", "repne ", ""};
	printf("%scmps%d %s n=%lu at %d %s: dsi=%ld ddi=%ld c=%lu", kn[kind], sz * 8,
	       down ? "std" : "cld", n, off, fin_name(fin), (long)(s - s0), (long)(d - d0), c);
	pflags(f, FL_ALL6);
	putchar('\n');
}

static void do_scas(int sz, int down, unsigned long n, int off, unsigned long val, int kind)
{
	unsigned char *d = buf + off;
	unsigned long c = n, f, fin = FIN_SET;
	if (down && n)
		d += (n - 1) * sz;
	unsigned char *d0 = d;
#define SCAS(I)                                                                                        \
	if (down)                                                                                      \
		__asm__ volatile(RZ_IN SETFL "std\n\t" I "\n\tcld\n\t" GETFL RZ_OUT                     \
				 : "+D"(d), "+c"(c), [fout] "=r"(f)                                    \
				 : "a"(val), [fin] "r"(fin)                                            \
				 : "memory", "cc");                                                    \
	else                                                                                           \
		__asm__ volatile(RZ_IN SETFL I "\n\t" GETFL RZ_OUT                                     \
				 : "+D"(d), "+c"(c), [fout] "=r"(f)                                    \
				 : "a"(val), [fin] "r"(fin)                                            \
				 : "memory", "cc");
#ifdef __x86_64__
#define SCAS_SZ(P)                                         \
	switch (sz) {                                      \
	case 1: SCAS(P "scasb") break;                     \
	case 2: SCAS(P "scasw") break;                     \
	case 4: SCAS(P "scasl") break;                     \
	default: SCAS(P "scasq") break;                    \
	}
#else
#define SCAS_SZ(P)                                         \
	switch (sz) {                                      \
	case 1: SCAS(P "scasb") break;                     \
	case 2: SCAS(P "scasw") break;                     \
	default: SCAS(P "scasl") break;                    \
	}
#endif
	if (kind == 0) {
		SCAS_SZ("repe ")
	} else if (kind == 1) {
		SCAS_SZ("repne ")
	} else {
		SCAS_SZ("")
	}
	static const char *kn[] = {"repe ", "repne ", ""};
	printf("%sscas%d %s n=%lu at %d val=%lx: ddi=%ld c=%lu", kn[kind], sz * 8,
	       down ? "std" : "cld", n, off, val, (long)(d - d0), c);
	pflags(f, FL_ALL6);
	putchar('\n');
}

int main(void)
{
	int nsz = ARCH_BITS == 64 ? 4 : 3;
	static const int offs[][2] = {{8, 48}, {8, 9}, {9, 8}, {8, 12}, {20, 16}};
	for (int si = 0; si < nsz; si++)
		for (int down = 0; down < 2; down++)
			for (size_t ci = 0; ci < ARRAY_LEN(counts); ci++)
				for (size_t oi = 0; oi < ARRAY_LEN(offs); oi++) {
					fill();
					do_movs(sizes[si], down, counts[ci], offs[oi][0], offs[oi][1], 1);
				}
	for (int si = 0; si < nsz; si++)
		for (int down = 0; down < 2; down++) {
			fill();
			do_movs(sizes[si], down, 1, 3, 40, 0);
		}
	for (int si = 0; si < nsz; si++)
		for (int down = 0; down < 2; down++)
			for (size_t ci = 0; ci < ARRAY_LEN(counts); ci++) {
				fill();
				do_stos(sizes[si], down, counts[ci], 5);
			}
	fill();
	for (int si = 0; si < nsz; si++)
		for (int down = 0; down < 2; down++)
			for (int rep = 0; rep < 2; rep++)
				do_lods(sizes[si], down, rep ? 3 : 1, 17, rep);
	/* cmps: buf2 differs at byte 37 and 61 */
	fill();
	buf2[37] ^= 0x80;
	buf2[61] += 1;
	for (int si = 0; si < nsz; si++)
		for (int down = 0; down < 2; down++)
			for (int kind = 0; kind < 3; kind++)
				for (unsigned long n = 0; n < 12; n += 5)
					for (int off = 24; off <= 40; off += 8)
						for (int k = 0; k < 2; k++)
							do_cmps(sizes[si], down, kind == 2 ? 1 : n * (8 / sizes[si]),
								off, kind, k ? FIN_SET : FIN_CLEAR);
	/* scas: find / skip values */
	fill();
	memset(buf + 30, 0x5a, 20);
	buf[44] = 0;
	for (int si = 0; si < nsz; si++)
		for (int down = 0; down < 2; down++)
			for (int kind = 0; kind < 3; kind++) {
				do_scas(sizes[si], down, 40 / sizes[si], 30, 0x5a5a5a5a5a5a5a5aull & ~0ul, kind);
				do_scas(sizes[si], down, 40 / sizes[si], 30, 0, kind);
				do_scas(sizes[si], down, 0, 30, 0, kind);
				do_scas(sizes[si], down, 48 / sizes[si], 0, buf[13], kind);
			}
	/* strlen via repne scasb */
	{
		const char *str = "differential testing of string instructions";
		const char *p = str;
		unsigned long c = ~0ul;
		__asm__ volatile("repne scasb" : "+D"(p), "+c"(c) : "a"(0) : "memory", "cc");
		printf("strlen via scasb: %lu\n", ~c - 1);
	}
	return 0;
}
