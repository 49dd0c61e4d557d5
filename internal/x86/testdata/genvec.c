/* genvec prints test vectors for gemu's integer instruction semantics by
 * running each instruction natively on the host CPU.
 *
 * Build and run (from internal/x86):
 *   cc -O1 -mno-red-zone testdata/genvec.c -o /tmp/genvec64
 *   /tmp/genvec64 | gzip -9n > testdata/vectors64.txt.gz
 *   cc -m32 -O1 testdata/genvec.c -o /tmp/genvec32
 *   /tmp/genvec32 | gzip -9n > testdata/vectors32.txt.gz
 *
 * The 64-bit build covers shifts, rotates, double shifts, multiply, divide,
 * bit tests and bit scans in every operand size; the 32-bit build covers the
 * BCD instructions, which do not exist in 64-bit mode.
 *
 * Each line is
 *   name size fin in... : out... fout
 * in hexadecimal, where fin/fout are EFLAGS before/after (status flags and
 * bit 1 only) and the in/out registers depend on the instruction's kind
 * (see the kinds below). Registers hold their full width, including the
 * bits above the operand size, so merges and zero-extension are checked too.
 * The vectors record the host's undefined flags as well, and gemu follows
 * them. The committed vectors come from an AMD EPYC (Zen 4) host; an Intel
 * host differs in some undefined flags (and in the undefined results of
 * 16-bit SHLD/SHRD by more than 16).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef unsigned long reg; /* 64 bits on x86-64, 32 on i386 */

struct regs {
	reg a, b, c, d, f;
};

#define STATUS 0x8d5ul

#ifdef __x86_64__
#define GARBAGE 0xdeadbeefcafe0000ul
#else
#define GARBAGE 0xcafe0000ul
#endif

/* DEF defines a function that runs one instruction with RAX, RBX, RCX,
 * RDX and the flags taken from and stored back into *r. */
#define DEF(id, insn)                                                              \
	static void id(struct regs *r)                                             \
	{                                                                          \
		reg a = r->a, b = r->b, c = r->c, d = r->d, f = r->f;              \
		__asm__ volatile("push %[f]\n\tpopf\n\t" insn "\n\tpushf\n\tpop %[f]" \
				 : "+a"(a), "+b"(b), "+c"(c), "+d"(d), [f] "+S"(f) \
				 :                                                 \
				 : "cc", "memory");                                \
		r->a = a, r->b = b, r->c = c, r->d = d, r->f = f & STATUS;         \
	}

/* Kinds say which registers are inputs and outputs. */
enum kind {
	K_SHIFT, /* in a (value) c (count in CL);   out a */
	K_SHD,   /* in a (dest) d (source) c (CL);  out a */
	K_MUL,   /* in a b (source);                out a d */
	K_DIV,   /* in a d (dividend) b (divisor);  out a d */
	K_BT,    /* in a (dest) d (bit offset);     out a */
	K_SCAN,  /* in a (old dest) b (source);     out a */
	K_BSWAP, /* in a;                           out a */
	K_BCD,   /* in a;                           out a */
};

struct op {
	const char *name;
	int size;
	enum kind kind;
	void (*fn)(struct regs *);
	int sgn; /* K_DIV: signed */
};

#ifdef __x86_64__
#define SH4(n)                                          \
	DEF(n##8, #n "b %%cl,%%al")                     \
	DEF(n##16, #n "w %%cl,%%ax")                    \
	DEF(n##32, #n "l %%cl,%%eax")                   \
	DEF(n##64, #n "q %%cl,%%rax")
SH4(shl)
SH4(shr)
SH4(sar)
SH4(rol)
SH4(ror)
SH4(rcl)
SH4(rcr)
#define SHD3(n)                                         \
	DEF(n##16, #n "w %%cl,%%dx,%%ax")               \
	DEF(n##32, #n "l %%cl,%%edx,%%eax")             \
	DEF(n##64, #n "q %%cl,%%rdx,%%rax")
SHD3(shld)
SHD3(shrd)
#define MD4(n)                                          \
	DEF(n##8, #n "b %%bl")                          \
	DEF(n##16, #n "w %%bx")                         \
	DEF(n##32, #n "l %%ebx")                        \
	DEF(n##64, #n "q %%rbx")
MD4(mul)
MD4(imul)
MD4(div)
MD4(idiv)
DEF(imul2_16, "imulw %%bx,%%ax")
DEF(imul2_32, "imull %%ebx,%%eax")
DEF(imul2_64, "imulq %%rbx,%%rax")
#define BT3(n)                                          \
	DEF(n##16, #n "w %%dx,%%ax")                    \
	DEF(n##32, #n "l %%edx,%%eax")                  \
	DEF(n##64, #n "q %%rdx,%%rax")
BT3(bt)
BT3(bts)
BT3(btr)
BT3(btc)
#define SC3(n)                                          \
	DEF(n##16, #n "w %%bx,%%ax")                    \
	DEF(n##32, #n "l %%ebx,%%eax")                  \
	DEF(n##64, #n "q %%rbx,%%rax")
SC3(bsf)
SC3(bsr)
SC3(tzcnt)
SC3(lzcnt)
SC3(popcnt)
DEF(bswap16, ".byte 0x66,0x0f,0xc8")
DEF(bswap32, "bswapl %%eax")
DEF(bswap64, "bswapq %%rax")

#define O4(n, k)                                                                 \
	{#n, 1, k, n##8}, {#n, 2, k, n##16}, {#n, 4, k, n##32}, {#n, 8, k, n##64}
#define O3(n, k) {#n, 2, k, n##16}, {#n, 4, k, n##32}, {#n, 8, k, n##64}

static const struct op ops[] = {
	O4(shl, K_SHIFT), O4(shr, K_SHIFT), O4(sar, K_SHIFT), O4(rol, K_SHIFT),
	O4(ror, K_SHIFT), O4(rcl, K_SHIFT), O4(rcr, K_SHIFT), O3(shld, K_SHD),
	O3(shrd, K_SHD),  O4(mul, K_MUL),   O4(imul, K_MUL),  O3(imul2_, K_MUL),
	{"div", 1, K_DIV, div8, 0}, {"div", 2, K_DIV, div16, 0},
	{"div", 4, K_DIV, div32, 0}, {"div", 8, K_DIV, div64, 0},
	{"idiv", 1, K_DIV, idiv8, 1}, {"idiv", 2, K_DIV, idiv16, 1},
	{"idiv", 4, K_DIV, idiv32, 1}, {"idiv", 8, K_DIV, idiv64, 1},
	O3(bt, K_BT),     O3(bts, K_BT),    O3(btr, K_BT),    O3(btc, K_BT),
	O3(bsf, K_SCAN),  O3(bsr, K_SCAN),  O3(tzcnt, K_SCAN), O3(lzcnt, K_SCAN),
	O3(popcnt, K_SCAN), O3(bswap, K_BSWAP),
};
#else
DEF(daa, "daa")
DEF(das, "das")
DEF(aaa, "aaa")
DEF(aas, "aas")
DEF(aam10, "aam $10")
DEF(aam16, "aam $16")
DEF(aam7, "aam $7")
DEF(aam255, "aam $255")
DEF(aad10, "aad $10")
DEF(aad16, "aad $16")
DEF(aad7, "aad $7")
DEF(aad255, "aad $255")
static const struct op ops[] = {
	{"daa", 1, K_BCD, daa},       {"das", 1, K_BCD, das},
	{"aaa", 1, K_BCD, aaa},       {"aas", 1, K_BCD, aas},
	{"aam_0a", 1, K_BCD, aam10},  {"aam_10", 1, K_BCD, aam16},
	{"aam_07", 1, K_BCD, aam7},   {"aam_ff", 1, K_BCD, aam255},
	{"aad_0a", 1, K_BCD, aad10},  {"aad_10", 1, K_BCD, aad16},
	{"aad_07", 1, K_BCD, aad7},   {"aad_ff", 1, K_BCD, aad255},
};
#endif

#ifdef __x86_64__
static const uint64_t vals[] = {
	0,
	1,
	0x8000000000000000ull | 0x80000000ull | 0x8000 | 0x80, /* sign bit of every size */
	0xffffffffffffffffull,
	0x5555555555555555ull,
	0x8000000000000001ull | 0x80000001ull | 0x8001 | 0x81,
	0x123456789abcdef0ull,
	0x7fffffffffffffffull & ~0x80808080ull & ~0x8000ull, /* max positive of every size */
	0xfedcba9876543210ull,
};
#define NVALS (sizeof vals / sizeof vals[0])

static const int counts[] = {0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 63, 64, 65, 255};
#define NCOUNTS (sizeof counts / sizeof counts[0])

static reg mask(int size)
{
	return size >= (int)sizeof(reg) ? ~(reg)0 : ((reg)1 << (8 * size)) - 1;
}

/* place puts v in the low size bytes of a register full of garbage. */
static reg place(uint64_t v, int size)
{
	return (reg)(((reg)GARBAGE & ~mask(size)) | ((reg)v & mask(size)));
}
#endif

static void emit(const struct op *o, struct regs in)
{
	struct regs out = in;
	in.f |= 2;
	out.f = in.f;
	o->fn(&out);
	printf("%s %d %lx", o->name, o->size, in.f);
	switch (o->kind) {
	case K_SHIFT:
		printf(" %lx %lx : %lx", in.a, in.c, out.a);
		break;
	case K_SHD:
		printf(" %lx %lx %lx : %lx", in.a, in.d, in.c, out.a);
		break;
	case K_MUL:
		printf(" %lx %lx : %lx %lx", in.a, in.b, out.a, out.d);
		break;
	case K_DIV:
		printf(" %lx %lx %lx : %lx %lx", in.a, in.d, in.b, out.a, out.d);
		break;
	case K_BT:
		printf(" %lx %lx : %lx", in.a, in.d, out.a);
		break;
	case K_SCAN:
		printf(" %lx %lx : %lx", in.a, in.b, out.a);
		break;
	case K_BSWAP:
	case K_BCD:
		printf(" %lx : %lx", in.a, out.a);
		break;
	}
	printf(" %lx\n", out.f | 2);
}

#ifdef __x86_64__
/* divOK reports whether dividing hi:lo by d in size bytes does not fault. */
static int divOK(int sgn, int size, uint64_t hi, uint64_t lo, uint64_t d)
{
	int bits = 8 * size;
	if (d == 0)
		return 0;
	if (!sgn) {
		unsigned __int128 n = ((unsigned __int128)hi << bits) | lo;
		if (size == 1)
			n = lo & 0xffff;
		return n / d <= (unsigned __int128)mask(size);
	}
	__int128 n, dd;
	if (size == 1) {
		n = (int16_t)lo;
		dd = (int8_t)d;
	} else if (size == 8) {
		n = (__int128)(((unsigned __int128)hi << 64) | lo);
		dd = (int64_t)d;
	} else {
		n = (int64_t)(((uint64_t)hi << bits) | lo) << (64 - 2 * bits) >> (64 - 2 * bits);
		dd = (int64_t)(d << (64 - bits)) >> (64 - bits);
	}
	if (dd == 0)
		return 0;
	__int128 q = n / dd;
	__int128 lim = (__int128)1 << (bits - 1);
	return q >= -lim && q < lim;
}

/* lcg is a fixed pseudo-random sequence, so the output is reproducible. */
static uint64_t lcg(void)
{
	static uint64_t x = 0x853c49e6748fea9bull;
	x = x * 6364136223846793005ull + 1442695040888963407ull;
	return x ^ x >> 29;
}

static void gen(const struct op *o)
{
	struct regs in;
	int size = o->size;
	const reg fins[] = {0, STATUS, 1, STATUS & ~1ul};
	int nfin = (strcmp(o->name, "rcl") == 0 || strcmp(o->name, "rcr") == 0) ? 4 : 2;
	switch (o->kind) {
	case K_SHIFT:
		for (unsigned v = 0; v < NVALS; v++)
			for (unsigned k = 0; k < NCOUNTS; k++)
				for (int f = 0; f < nfin; f++) {
					memset(&in, 0, sizeof in);
					in.a = place(vals[v], size);
					in.c = 0xff00 | counts[k];
					in.f = fins[f];
					emit(o, in);
				}
		break;
	case K_SHD:
		/* Pseudo-random operands and counts, for the undefined 16-bit
		 * counts above 16 in particular. */
		for (int i = 0; i < 200; i++) {
			memset(&in, 0, sizeof in);
			in.a = place(lcg(), size);
			in.d = place(lcg(), size);
			in.c = 0xff00 | (lcg() >> 20 & 63);
			in.f = fins[lcg() >> 30 & 1];
			emit(o, in);
		}
		for (unsigned v = 0; v < NVALS; v += 2)
			for (unsigned w = 1; w < NVALS; w += 2)
				for (unsigned k = 0; k < NCOUNTS; k++)
					for (int f = 0; f < nfin; f++) {
						memset(&in, 0, sizeof in);
						in.a = place(vals[v], size);
						in.d = place(vals[w], size);
						in.c = 0xff00 | counts[k];
						in.f = fins[f];
						emit(o, in);
					}
		break;
	case K_MUL:
		for (unsigned v = 0; v < NVALS; v++)
			for (unsigned w = 0; w < NVALS; w++)
				for (int f = 0; f < nfin; f++) {
					memset(&in, 0, sizeof in);
					in.a = place(vals[v], size);
					in.b = place(vals[w] * 0x9e3779b97f4a7c15ull >> (w & 7), size);
					in.d = GARBAGE;
					in.f = fins[f];
					emit(o, in);
				}
		break;
	case K_DIV: {
		static const uint64_t ds[] = {1, 2, 3, 7, 10, 0x7f, 0x80, 0xff, 0x8000, 0xffff,
					      0x7fffffff, 0x80000000, 0xffffffff,
					      0x8000000000000000ull, 0xffffffffffffffffull,
					      0x123456789ull, 0xfffffffffffffff9ull};
		static const uint64_t his[] = {0, 1, 0xffffffffffffffffull};
		for (unsigned h = 0; h < sizeof his / sizeof his[0]; h++)
			for (unsigned v = 0; v < NVALS; v++)
				for (unsigned k = 0; k < sizeof ds / sizeof ds[0]; k++) {
					uint64_t hi = his[h] & mask(size), lo = vals[v] & mask(size);
					uint64_t d = ds[k] & mask(size);
					if (size == 1) {
						lo = (vals[v] & 0xff) | (his[h] & 0xff) << 8;
						if (h > 0 && his[h] == his[h - 1])
							continue;
					}
					if (!divOK(o->sgn, size, hi, lo, d))
						continue;
					for (int f = 0; f < nfin; f++) {
						memset(&in, 0, sizeof in);
						in.a = size == 1 ? place(lo, 2) : place(lo, size);
						in.d = size == 1 ? GARBAGE : place(hi, size);
						in.b = place(d, size);
						in.f = fins[f];
						emit(o, in);
					}
				}
		break;
	}
	case K_BT: {
		static const int64_t offs[] = {0, 1, 5, 15, 16, 17, 31, 32, 33, 63, 64, 100, -1, -17};
		for (unsigned v = 0; v < NVALS; v += 2)
			for (unsigned k = 0; k < sizeof offs / sizeof offs[0]; k++)
				for (int f = 0; f < nfin; f++) {
					memset(&in, 0, sizeof in);
					in.a = place(vals[v], size);
					in.d = place((uint64_t)offs[k], size);
					in.f = fins[f];
					emit(o, in);
				}
		break;
	}
	case K_SCAN:
		for (unsigned v = 0; v < NVALS; v++)
			for (int s = 0; s < 3; s++)
				for (int f = 0; f < nfin; f++) {
					memset(&in, 0, sizeof in);
					in.a = 0x1111111111111111ull;
					in.b = place(vals[v] << (4 * s), size);
					in.f = fins[f];
					emit(o, in);
				}
		break;
	case K_BSWAP:
		for (unsigned v = 0; v < NVALS; v++) {
			memset(&in, 0, sizeof in);
			in.a = vals[v];
			emit(o, in);
		}
		break;
	default:
		break;
	}
}
#else
static void gen(const struct op *o)
{
	struct regs in;
	const reg fins[] = {0, 0x001, 0x010, 0x011, 0x8c4, 0x8d5};
	if (strlen(o->name) == 3) {
		/* daa, das, aaa, aas: every AL with each CF/AF input. */
		for (int al = 0; al < 256; al++)
			for (int f = 0; f < 6; f++) {
				if (f >= 4 && al % 5 != 0)
					continue;
				memset(&in, 0, sizeof in);
				in.a = 0xcafe1200 | al;
				if (al % 3 == 0)
					in.a = 0xcafeff00 | al;
				in.f = fins[f];
				emit(o, in);
			}
		return;
	}
	/* aam, aad */
	for (int ax = 0; ax < 0x10000; ax += 0x1ed)
		for (int f = 0; f < 2; f++) {
			memset(&in, 0, sizeof in);
			in.a = 0xcafe0000 | ax;
			in.f = fins[f == 0 ? 0 : 5];
			emit(o, in);
		}
}
#endif

int main(void)
{
	for (unsigned i = 0; i < sizeof ops / sizeof ops[0]; i++)
		gen(&ops[i]);
	return 0;
}
