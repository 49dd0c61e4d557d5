/* gen records x87 test vectors for gemu by running short machine-code
 * snippets natively on the host FPU.
 *
 * Build and run (from internal/x86/testdata/x87gen):
 *
 *   gcc -O1 -m32 -no-pie -o /tmp/x87gen32 gen.c
 *   gcc -O1 -mno-red-zone -no-pie -o /tmp/x87gen64 gen.c
 *   (/tmp/x87gen32; /tmp/x87gen64) | gzip -9n > vectors.txt.gz
 *
 * An optional argument seeds the random generator (default 1).
 *
 * Every snippet runs at address 0x10000 with EBX/RBX pointing at a data
 * area at 0x20000, exactly where gemu's unit tests (run_test.go) put code
 * and data, so the instruction and data pointers that FNSTENV, FNSAVE and
 * FXSAVE record are the same natively and emulated (this needs
 * vm.mmap_min_addr <= 0x10000, the usual 4096 or 65536). Before the
 * snippet the FPU state is loaded with FRSTOR from a random image, EFLAGS
 * with POPF, EAX with a random value and MXCSR with its default 0x1f80;
 * afterwards EFLAGS is read with PUSHF and the whole FPU state with FNSAVE
 * (neither changes the x87 instruction pointers).
 *
 * Each output line is one vector, fields separated by blanks, all hex:
 *
 *   mode name code inimage inflags ineax indata outimage outflags outeax outdata
 *
 * mode is 32 or 64, code the snippet bytes, images the 108-byte FNSAVE
 * images (32-bit protected-mode layout), flags EFLAGS, eax the low 32 bits
 * of EAX, data the first bytes of the data area (as many as the snippet
 * touches) before and after. Snippets named with a "~" prefix compute
 * transcendental functions, which gemu rounds correctly while the hardware
 * is 1 ulp off in a few percent of the cases; the Go test compares their
 * results with a tolerance and counts the bit-exact ones.
 *
 * Random states never leave an unmasked exception pending when the snippet
 * has a waiting instruction, so that no SIGFPE is raised; snippets made of
 * non-waiting instructions get pending exceptions too.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define CODE 0x10000ul
#define DATA 0x20000ul

typedef unsigned long reg;

static uint64_t rng = 0x9E3779B97F4A7C15ull;

/* rnd is splitmix64. */
static uint64_t rnd(void) {
	uint64_t z = (rng += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static unsigned rn(unsigned n) { return (unsigned)(rnd() % n); }

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* Data kinds: what the snippet's memory operand holds. */
enum {
	DNONE,
	DF32,
	DF64,
	DF80,
	DI16,
	DI32,
	DI64,
	DBCD,
	DCW,    /* a control word */
	DOUT,   /* random bytes the snippet overwrites */
	DOUTENV, /* the same, room for an FNSAVE image */
	DOUTFX, /* the same, the FXSAVE image up to the XMM registers */
	DENV32, /* an FLDENV image */
	DENV16,
	DSAV32, /* an FRSTOR image */
	DSAV16,
	DFX,    /* random 512 bytes, then a valid FXRSTOR image */
};

/* Snippet flags. */
enum {
	NOWAIT = 1,  /* only non-waiting instructions: pending exceptions OK */
	TRANS = 2,   /* transcendental: results not bit-exact in gemu */
	CLEAN = 4,   /* start from a mostly valid, masked state */
	MULTI = 8,   /* several waiting instructions: exceptions all masked */
};

/* random80 returns an interesting 80-bit value into p. */
static void random80(uint8_t *p) {
	uint64_t m = rnd();
	int exp = 0x3fff + (int)rn(130) - 65;
	int sign = rn(2);
	switch (rn(24)) {
	case 0:
		m = 0, exp = 0;
		break;
	case 1: /* denormal */
		m = (m >> rn(64)) & ~(1ull << 63), exp = 0;
		if (m == 0)
			m = 1;
		break;
	case 2: /* pseudo-denormal */
		m |= 1ull << 63, exp = 0;
		break;
	case 3: /* infinity */
		m = 1ull << 63, exp = 0x7fff;
		break;
	case 4: /* QNaN */
		m |= 3ull << 62, exp = 0x7fff;
		break;
	case 5: /* SNaN */
		m = (m | 1ull << 63) & ~(1ull << 62), exp = 0x7fff;
		if ((m << 2) == 0)
			m |= 1;
		break;
	case 6: /* unnormal, pseudo-infinity, pseudo-NaN */
		m &= ~(1ull << 63);
		if (rn(3) == 0)
			exp = 0x7fff;
		break;
	case 7: /* near overflow */
		m |= 1ull << 63, exp = 0x7ffe - rn(3);
		break;
	case 8: /* near underflow */
		m |= 1ull << 63, exp = 1 + rn(3);
		break;
	case 9:
	case 10: { /* a small integer */
		uint64_t v = 1 + rn(1000);
		exp = 0x3fff + 63;
		while (!(v >> 63))
			v <<= 1, exp--;
		m = v;
		break;
	}
	case 11: /* few significand bits: halves, ties */
		m = (m & 0xff00000000000000ull) | 1ull << 63;
		exp = 0x3fff + rn(70) - 4;
		break;
	case 12: /* representable as a float64 */
		m = (m | 1ull << 63) & ~0x7ffull;
		break;
	case 13: /* representable as a float32 */
		m = (m | 1ull << 63) & ~0xffffffffffull;
		break;
	case 14: /* around the integer limits */
		m |= 1ull << 63;
		exp = 0x3fff + 14 + rn(3) + 16 * rn(4);
		if (rn(2))
			m = 1ull << 63 | (rn(2) ? 0 : ~0ull >> 1);
		break;
	case 15: /* huge or tiny exponent */
		m |= 1ull << 63;
		exp = rn(0x7fff);
		break;
	default:
		m |= 1ull << 63;
	}
	put64(p, m);
	put16(p + 8, (uint16_t)(exp | sign << 15));
}

static void random32(uint8_t *p) {
	uint32_t v = (uint32_t)rnd();
	switch (rn(12)) {
	case 0:
		v &= 0x80000000;
		break;
	case 1:
		v &= 0x807fffff;
		break;
	case 2:
		v = (v & 0x80000000) | 0x7f800000;
		break;
	case 3:
		v |= 0x7fc00000;
		break;
	case 4:
		v = (v | 0x7f800000) & ~0x00400000u;
		if (!(v & 0x3fffff))
			v |= 1;
		break;
	case 5:
		v = (v & 0x80ffffff) | 0x7f000000;
		break;
	default:
		v = (v & 0x807fffff) | (uint32_t)(127 + rn(40) - 20) << 23;
	}
	put32(p, v);
}

static void random64(uint8_t *p) {
	uint64_t v = rnd();
	switch (rn(12)) {
	case 0:
		v &= 1ull << 63;
		break;
	case 1:
		v &= 0x800fffffffffffffull;
		break;
	case 2:
		v = (v & 1ull << 63) | 0x7ff0000000000000ull;
		break;
	case 3:
		v |= 0x7ff8000000000000ull;
		break;
	case 4:
		v = (v | 0x7ff0000000000000ull) & ~0x0008000000000000ull;
		if (!(v & 0x7ffffffffffffull))
			v |= 1;
		break;
	case 5:
		v = (v & 0x800fffffffffffffull) | 0x7fe0000000000000ull;
		break;
	default:
		v = (v & 0x800fffffffffffffull) | (uint64_t)(1023 + rn(130) - 65) << 52;
	}
	put64(p, v);
}

static uint64_t randint(int bits) {
	uint64_t v = rnd();
	switch (rn(6)) {
	case 0:
		v = rn(21) - 10ull;
		break;
	case 1:
		v = 1ull << (bits - 1);
		break;
	case 2:
		v = (1ull << (bits - 1)) - 1;
		break;
	case 3:
		v >>= rn(64);
		if (rn(2))
			v = -v;
		break;
	}
	return v;
}

static void randombcd(uint8_t *p) {
	int n = 1 + rn(18);
	memset(p, 0, 10);
	for (int i = 0; i < n; i++) {
		int d = rn(10);
		if (rn(50) == 0)
			d = 10 + rn(6);
		p[i / 2] |= d << (4 * (i & 1));
	}
	p[9] = rn(2) ? 0x80 : 0;
	if (rn(10) == 0)
		p[9] |= rn(128);
}

/* randomcw returns a control word: usually all exceptions masked, with
 * random precision and rounding control. */
static uint16_t randomcw(int unmask) {
	uint16_t cw = 0x037f;
	if (rn(4) != 0)
		cw = 0x0040 | 0x3f | rn(4) << 8 | rn(4) << 10;
	if (unmask && rn(4) == 0)
		cw &= ~(1 << rn(6)) & ~(rn(2) ? 0 : 1 << rn(6));
	if (rn(20) == 0)
		cw ^= 1 << (rn(2) ? 6 : 12 + rn(4)) | (rn(2) ? 0x80 : 0);
	return cw;
}

/* randomstate fills an FRSTOR image. */
static void randomstate(uint8_t *img, int flags) {
	static const unsigned emptyodds[] = {0, 8, 2, 1};
	unsigned odds = emptyodds[rn(4)];
	int allempty = rn(16) == 0;
	int nowait = flags & NOWAIT;
	uint16_t cw = randomcw(1);
	if (flags & CLEAN && rn(2))
		cw = 0x037f | rn(4) << 10;
	uint16_t sw = (uint16_t)rnd() & 0x473f; /* C0-C3 and flags */
	int top = rn(8);
	sw = (sw & ~0x3800) | top << 11;
	if (!nowait || rn(2))
		sw &= ~(0x3f & ~cw);      /* nothing pending */
	if (!(sw & 1) && rn(2))
		sw &= ~0x40;
	if (nowait && rn(4) == 0)
		sw |= 0x8080;
	if (sw & ~cw & 0x3f)
		sw |= 0x8080;
	else if (!nowait || rn(2))
		sw &= ~0x8080;
	memset(img, 0, 108);
	uint16_t tw = 0;
	for (int i = 0; i < 8; i++) { /* stack order ST(i) */
		uint8_t *r = img + 28 + 10 * i;
		int phys = (top + i) & 7;
		int empty = allempty || (odds && rn(odds) == 0);
		if (i == 0 && flags & CLEAN)
			empty = rn(32) == 0;
		if (i == 1 && flags & CLEAN)
			empty = rn(16) == 0;
		int tag = empty ? 3 : rn(3);
		if (!empty || rn(4) == 0)
			random80(r);
		tw |= tag << (2 * phys);
	}
	put32(img + 0, 0xffff0000u | cw);
	put32(img + 4, 0xffff0000u | sw);
	put32(img + 8, 0xffff0000u | tw);
	/* Instruction and data pointers as a previous instruction left them. */
	if (rn(2)) {
		put32(img + 12, (uint32_t)rnd());
		put32(img + 16, 0x0023u | ((uint32_t)rnd() & 0x7ff) << 16);
		put32(img + 20, (uint32_t)rnd());
		put32(img + 24, 0xffff002bu);
	}
}

/* randomenv fills an FLDENV/FRSTOR image of the given layout in data. */
static void randomenv(uint8_t *d, int o16, int save) {
	uint8_t img[108];
	randomstate(img, NOWAIT);
	if (o16) {
		memset(d, 0, 94);
		put16(d + 0, img[0] | img[1] << 8);
		put16(d + 2, img[4] | img[5] << 8);
		put16(d + 4, img[8] | img[9] << 8);
		put16(d + 6, (uint16_t)rnd());
		put16(d + 8, 0x23);
		put16(d + 10, (uint16_t)rnd());
		put16(d + 12, 0x2b);
		if (save)
			memcpy(d + 14, img + 28, 80);
		return;
	}
	memcpy(d, img, save ? 108 : 28);
	if (rn(2)) { /* reserved halves need not be ones */
		put16(d + 2, (uint16_t)rnd());
		put16(d + 6, (uint16_t)rnd());
	}
}

/* randomfx fills a valid FXRSTOR image. */
static void randomfx(uint8_t *d) {
	uint8_t img[108];
	randomstate(img, NOWAIT);
	for (int i = 0; i < 512; i += 8)
		put64(d + i, rnd());
	memcpy(d + 0, img + 0, 2);
	memcpy(d + 2, img + 4, 2);
	uint16_t tw = img[8] | img[9] << 8;
	uint8_t ftw = 0;
	for (int i = 0; i < 8; i++)
		if ((tw >> (2 * i) & 3) != 3)
			ftw |= 1 << i;
	d[4] = ftw;
	put16(d + 6, rnd() & 0x7ff);
	put32(d + 24, (uint32_t)rnd() & 0xffbf); /* MXCSR (no DAZ: not on all CPUs) */
	for (int i = 0; i < 8; i++)
		memcpy(d + 32 + 16 * i, img + 28 + 10 * i, 10);
}

static int fillbytes(uint8_t *d, int n) {
	for (int i = 0; i < n; i++)
		d[i] = (uint8_t)rnd();
	return n;
}

/* filldata fills the data area for a kind and returns how many bytes of it
 * the vector records. */
static int filldata(uint8_t *d, int kind) {
	fillbytes(d, 64);
	switch (kind) {
	case DNONE:
		return 0;
	case DF32:
		random32(d);
		return 4;
	case DF64:
		random64(d);
		return 8;
	case DF80:
		random80(d);
		return 10;
	case DI16:
		put16(d, (uint16_t)randint(16));
		return 2;
	case DI32:
		put32(d, (uint32_t)randint(32));
		return 4;
	case DI64:
		put64(d, randint(64));
		return 8;
	case DBCD:
		randombcd(d);
		return 10;
	case DCW:
		put16(d, randomcw(1));
		return 2;
	case DOUT:
		return 16;
	case DOUTENV:
		fillbytes(d, 112);
		return 112;
	case DOUTFX:
		fillbytes(d, 512);
		return 160;
	case DENV32:
		randomenv(d, 0, 0);
		return 32;
	case DENV16:
		randomenv(d, 1, 0);
		return 16;
	case DSAV32:
		randomenv(d, 0, 1);
		return 112;
	case DSAV16:
		randomenv(d, 1, 1);
		return 96;
	case DFX:
		fillbytes(d, 512);
		randomfx(d + 512);
		return 1024;
	}
	return 0;
}

struct snippet {
	const char *name;
	int len;
	uint8_t code[16];
	int kind;
	int flags;
	int count;
};

static struct snippet snippets[600];
static int nsnippets;

static void add(const char *name, int kind, int flags, int count, int len, ...) {
	struct snippet *s = &snippets[nsnippets++];
	va_list ap;
	s->name = name;
	s->kind = kind;
	s->flags = flags;
	s->count = count;
	s->len = len;
	va_start(ap, len);
	for (int i = 0; i < len; i++)
		s->code[i] = (uint8_t)va_arg(ap, int);
	va_end(ap);
}

/* addreg adds a register form opcode op, base+i for i = 0..7. */
static void addreg(const char *name, int flags, int count, int op, int base) {
	for (int i = 0; i < 8; i++) {
		char *n = malloc(strlen(name) + 4);
		sprintf(n, "%s%d", name, i);
		add(n, DNONE, flags, count, 2, op, base + i);
	}
}

#define M(reg) ((reg) << 3 | 3) /* ModRM for [ebx] */

static void build(int mode) {
	static const char *arith[] = {"fadd", "fmul", "fcom", "fcomp", "fsub", "fsubr", "fdiv", "fdivr"};
	static const char *iarith[] = {"fiadd", "fimul", "ficom", "ficomp", "fisub", "fisubr", "fidiv", "fidivr"};
	char buf[64];
	int n = 40;
	if (mode == 64)
		n = 6;
	for (int r = 0; r < 8; r++) {
		sprintf(buf, "%s.m32", arith[r]);
		add(strdup(buf), DF32, CLEAN, n, 2, 0xd8, M(r));
		sprintf(buf, "%s.m64", arith[r]);
		add(strdup(buf), DF64, CLEAN, n, 2, 0xdc, M(r));
		sprintf(buf, "%s.m32", iarith[r]);
		add(strdup(buf), DI32, CLEAN, n, 2, 0xda, M(r));
		sprintf(buf, "%s.m16", iarith[r]);
		add(strdup(buf), DI16, CLEAN, n, 2, 0xde, M(r));
		sprintf(buf, "%s.st0,st", arith[r]);
		addreg(strdup(buf), CLEAN, n / 4 + 1, 0xd8, 0xc0 + 8 * r);
	}
	static const char *dcops[] = {"fadd", "fmul", 0, 0, "fsubr", "fsub", "fdivr", "fdiv"};
	static const char *deops[] = {"faddp", "fmulp", 0, 0, "fsubrp", "fsubp", "fdivrp", "fdivp"};
	for (int r = 0; r < 8; r++) {
		if (!dcops[r])
			continue;
		sprintf(buf, "%s.st,st0.", dcops[r]);
		addreg(strdup(buf), CLEAN, n / 4 + 1, 0xdc, 0xc0 + 8 * r);
		sprintf(buf, "%s.st,st0.", deops[r]);
		addreg(strdup(buf), CLEAN, n / 4 + 1, 0xde, 0xc0 + 8 * r);
	}
	add("fcompp", DNONE, CLEAN, n, 2, 0xde, 0xd9);
	add("fucompp", DNONE, CLEAN, n, 2, 0xda, 0xe9);
	addreg("fld.st", 0, n / 4 + 1, 0xd9, 0xc0);
	addreg("fxch.st", 0, n / 4 + 1, 0xd9, 0xc8);
	addreg("fst.st", 0, n / 4 + 1, 0xdd, 0xd0);
	addreg("fstp.st", 0, n / 4 + 1, 0xdd, 0xd8);
	addreg("ffree.st", 0, n / 8 + 1, 0xdd, 0xc0);
	addreg("ffreep.st", 0, n / 8 + 1, 0xdf, 0xc0);
	addreg("fucom.st", CLEAN, n / 4 + 1, 0xdd, 0xe0);
	addreg("fucomp.st", CLEAN, n / 4 + 1, 0xdd, 0xe8);
	addreg("fucomi.st0,st", CLEAN, n / 4 + 1, 0xdb, 0xe8);
	addreg("fcomi.st0,st", CLEAN, n / 4 + 1, 0xdb, 0xf0);
	addreg("fucomip.st0,st", CLEAN, n / 4 + 1, 0xdf, 0xe8);
	addreg("fcomip.st0,st", CLEAN, n / 4 + 1, 0xdf, 0xf0);
	static const char *fcmov[] = {"fcmovb", "fcmove", "fcmovbe", "fcmovu", "fcmovnb", "fcmovne", "fcmovnbe", "fcmovnu"};
	for (int r = 0; r < 8; r++) {
		sprintf(buf, "%s.st0,st", fcmov[r]);
		addreg(strdup(buf), 0, n / 8 + 2, r < 4 ? 0xda : 0xdb, 0xc0 + 8 * (r & 3));
	}
	/* Loads and stores. */
	add("fld.m32", DF32, 0, n, 2, 0xd9, M(0));
	add("fld.m64", DF64, 0, n, 2, 0xdd, M(0));
	add("fld.m80", DF80, 0, n, 2, 0xdb, M(5));
	add("fild.m16", DI16, 0, n, 2, 0xdf, M(0));
	add("fild.m32", DI32, 0, n, 2, 0xdb, M(0));
	add("fild.m64", DI64, 0, n, 2, 0xdf, M(5));
	add("fbld", DBCD, 0, n, 2, 0xdf, M(4));
	add("fst.m32", DOUT, CLEAN, n, 2, 0xd9, M(2));
	add("fstp.m32", DOUT, CLEAN, n, 2, 0xd9, M(3));
	add("fst.m64", DOUT, CLEAN, n, 2, 0xdd, M(2));
	add("fstp.m64", DOUT, CLEAN, n, 2, 0xdd, M(3));
	add("fstp.m80", DOUT, 0, n, 2, 0xdb, M(7));
	add("fist.m16", DOUT, CLEAN, n, 2, 0xdf, M(2));
	add("fistp.m16", DOUT, CLEAN, n, 2, 0xdf, M(3));
	add("fist.m32", DOUT, CLEAN, n, 2, 0xdb, M(2));
	add("fistp.m32", DOUT, CLEAN, n, 2, 0xdb, M(3));
	add("fistp.m64", DOUT, CLEAN, n, 2, 0xdf, M(7));
	add("fisttp.m16", DOUT, CLEAN, n, 2, 0xdf, M(1));
	add("fisttp.m32", DOUT, CLEAN, n, 2, 0xdb, M(1));
	add("fisttp.m64", DOUT, CLEAN, n, 2, 0xdd, M(1));
	add("fbstp", DOUT, CLEAN, n, 2, 0xdf, M(6));
	static const char *consts[] = {"fld1", "fldl2t", "fldl2e", "fldpi", "fldlg2", "fldln2", "fldz"};
	for (int i = 0; i < 7; i++)
		add(consts[i], DNONE, 0, n, 2, 0xd9, 0xe8 + i);
	add("fincstp", DNONE, 0, n / 2, 2, 0xd9, 0xf7);
	add("fdecstp", DNONE, 0, n / 2, 2, 0xd9, 0xf6);
	/* One-operand arithmetic. */
	add("fchs", DNONE, CLEAN, n, 2, 0xd9, 0xe0);
	add("fabs", DNONE, CLEAN, n, 2, 0xd9, 0xe1);
	add("ftst", DNONE, CLEAN, n, 2, 0xd9, 0xe4);
	add("fxam", DNONE, 0, 2 * n, 2, 0xd9, 0xe5);
	add("fsqrt", DNONE, CLEAN, 2 * n, 2, 0xd9, 0xfa);
	add("frndint", DNONE, CLEAN, 2 * n, 2, 0xd9, 0xfc);
	add("fscale", DNONE, CLEAN, 2 * n, 2, 0xd9, 0xfd);
	add("fxtract", DNONE, CLEAN, 2 * n, 2, 0xd9, 0xf4);
	add("fprem", DNONE, CLEAN, 2 * n, 2, 0xd9, 0xf8);
	add("fprem1", DNONE, CLEAN, 2 * n, 2, 0xd9, 0xf5);
	add("fnop", DNONE, 0, n / 4, 2, 0xd9, 0xd0);
	/* Transcendentals. */
	add("~f2xm1", DNONE, CLEAN | TRANS, n, 2, 0xd9, 0xf0);
	add("~fyl2x", DNONE, CLEAN | TRANS, n, 2, 0xd9, 0xf1);
	add("~fptan", DNONE, CLEAN | TRANS, n, 2, 0xd9, 0xf2);
	add("~fpatan", DNONE, CLEAN | TRANS, n, 2, 0xd9, 0xf3);
	add("~fyl2xp1", DNONE, CLEAN | TRANS, n, 2, 0xd9, 0xf9);
	add("~fsincos", DNONE, CLEAN | TRANS, n, 2, 0xd9, 0xfb);
	add("~fsin", DNONE, CLEAN | TRANS, n, 2, 0xd9, 0xfe);
	add("~fcos", DNONE, CLEAN | TRANS, n, 2, 0xd9, 0xff);
	/* Control. A leading fld1 or fadd m64 shows which control instructions
	 * keep the instruction and data pointers. */
	add("(none)", DNONE, NOWAIT, n, 0);
	add("fninit", DNONE, NOWAIT, n / 2, 2, 0xdb, 0xe3);
	add("fnclex", DNONE, NOWAIT, n, 2, 0xdb, 0xe2);
	add("fldcw", DCW, 0, n, 2, 0xd9, M(5));
	add("fnstcw", DOUT, NOWAIT, n / 2, 2, 0xd9, M(7));
	add("fnstsw.m16", DOUT, NOWAIT, n / 2, 2, 0xdd, M(7));
	add("fnstsw.ax", DNONE, NOWAIT, n / 2, 2, 0xdf, 0xe0);
	add("fnstenv", DOUTENV, NOWAIT, n, 2, 0xd9, M(6));
	add("fnstenv.16", DOUTENV, NOWAIT, n / 2, 3, 0x66, 0xd9, M(6));
	add("fldenv", DENV32, 0, n, 2, 0xd9, M(4));
	add("fldenv.16", DENV16, 0, n / 2, 3, 0x66, 0xd9, M(4));
	add("fnsave", DOUTENV, NOWAIT, n, 2, 0xdd, M(6));
	add("fnsave.16", DOUTENV, NOWAIT, n / 2, 3, 0x66, 0xdd, M(6));
	add("frstor", DSAV32, 0, n, 2, 0xdd, M(4));
	add("frstor.16", DSAV16, 0, n / 2, 3, 0x66, 0xdd, M(4));
	add("fxsave", DOUTFX, NOWAIT, n, 3, 0x0f, 0xae, M(0));
	add("fxrstor+fxsave", DFX, 0, n, 10, 0x0f, 0xae, 0x8b, 0, 2, 0, 0, 0x0f, 0xae, M(0));
	if (mode == 64)
		add("fxrstor64+fxsave64", DFX, 0, n, 12, 0x48, 0x0f, 0xae, 0x8b, 0, 2, 0, 0, 0x48, 0x0f, 0xae, M(0));
	add("fld1+fldcw", DCW, CLEAN | MULTI, n / 2, 4, 0xd9, 0xe8, 0xd9, M(5));
	add("fadd.m64+fnstcw", DOUT, CLEAN, n / 2, 4, 0xdc, M(0), 0xd9, M(7));
	add("fadd.m64+fnstsw", DOUT, CLEAN, n / 2, 4, 0xdc, M(0), 0xdd, M(7));
	add("fadd.m64+fnclex", DOUT, CLEAN, n / 2, 4, 0xdc, M(0), 0xdb, 0xe2);
	add("fadd.m64+fninit", DOUT, CLEAN, n / 2, 4, 0xdc, M(0), 0xdb, 0xe3);
	add("fadd.m64+fnstenv", DOUTENV, CLEAN, n / 2, 4, 0xdc, M(0), 0xd9, M(6));
	add("fadd.m64+fxsave", DOUTFX, CLEAN, n / 2, 5, 0xdc, M(0), 0x0f, 0xae, M(0));
	add("fld1+fnop", DNONE, CLEAN | MULTI, n / 4, 4, 0xd9, 0xe8, 0xd9, 0xd0);
	add("fld1+fwait", DNONE, CLEAN | MULTI, n / 4, 3, 0xd9, 0xe8, 0x9b);
	add("fld1+ffree", DNONE, CLEAN | MULTI, n / 4, 4, 0xd9, 0xe8, 0xdd, 0xc3);
	add("fld1+fincstp", DNONE, CLEAN | MULTI, n / 4, 4, 0xd9, 0xe8, 0xd9, 0xf7);
	add("fld.m64+fstp.m32", DF64, CLEAN | MULTI, n / 2, 4, 0xdd, M(0), 0xd9, M(3));
	add("fild.m32+fistp.m16", DI32, CLEAN | MULTI, n / 2, 4, 0xdb, M(0), 0xdf, M(3));
}

#ifdef __x86_64__
#define MODE 64
#else
#define MODE 32
#endif

static void hex(const uint8_t *p, int n) {
	putchar(' ');
	if (n == 0)
		putchar('-');
	for (int i = 0; i < n; i++)
		printf("%02x", p[i]);
}

static void run(void *in, void *out, reg *flags, reg *eax) {
	static const uint32_t mxcsr = 0x1f80;
	reg fl = *flags, ax = *eax;
	void *code = (void *)CODE;
	__asm__ volatile("ldmxcsr %0" : : "m"(mxcsr));
	__asm__ volatile(
	    "frstor (%[in])\n\t"
	    "push %[fl]\n\t"
	    "popf\n\t"
	    "call *%[code]\n\t"
	    "pushf\n\t"
	    "pop %[fl]\n\t"
	    "fnsave (%[out])\n\t"
	    : [fl] "+r"(fl), "+a"(ax)
	    : [in] "r"(in), [out] "r"(out), [code] "r"(code), "b"(DATA)
	    : "memory", "cc");
	*flags = fl;
	*eax = ax;
}

/* waitsafe reports whether the snippet can run from the state without a
 * SIGFPE: with several waiting instructions, the first must not leave an
 * unmasked exception pending for the next. */
static int waitsafe(const uint8_t *img, const struct snippet *s) {
	uint16_t cw = img[0] | img[1] << 8;
	return !(s->flags & MULTI) || (cw & 0x3f) == 0x3f;
}

int main(int argc, char **argv) {
	if (argc > 1)
		rng ^= strtoull(argv[1], 0, 0) * 0x2545F4914F6CDD1Dull;
	uint8_t *code = mmap((void *)CODE, 0x1000, PROT_READ | PROT_WRITE | PROT_EXEC,
	                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	uint8_t *data = mmap((void *)DATA, 0x10000, PROT_READ | PROT_WRITE,
	                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (code != (void *)CODE || data != (void *)DATA) {
		perror("mmap");
		return 1;
	}
	static uint8_t in[108] __attribute__((aligned(16)));
	static uint8_t out[108] __attribute__((aligned(16)));
	static uint8_t din[1024];
	build(MODE);
	for (int k = 0; k < nsnippets; k++) {
		struct snippet *s = &snippets[k];
		memcpy(code, s->code, s->len);
		code[s->len] = 0xc3;
		for (int v = 0; v < s->count; v++) {
			do
				randomstate(in, s->flags);
			while (!waitsafe(in, s));
			int n = filldata(data, s->kind);
			memcpy(din, data, n);
			reg fl = (rnd() & 0x8d5) | 0x202, ax = (uint32_t)rnd();
			reg fin = fl, axin = ax;
			run(in, out, &fl, &ax);
			printf("%d %s", MODE, s->name);
			hex(s->code, s->len);
			hex(in, 108);
			printf(" %08lx %08lx", (unsigned long)fin, (unsigned long)axin);
			hex(din, n);
			hex(out, 108);
			printf(" %08lx %08lx", (unsigned long)fl & 0xffffffff, (unsigned long)ax & 0xffffffff);
			hex(data, n);
			putchar('\n');
		}
	}
	return 0;
}
