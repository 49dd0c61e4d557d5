// gen.c generates x87 test vectors for package gemu/internal/softfloat by
// running the real x87 instructions on the host FPU (x86 or x86-64, gcc).
//
// Build and run (see ../README.md):
//
//	gcc -O2 -o /tmp/x87gen gen.c && /tmp/x87gen [seed] [scale] | gzip -9n > ../x87.txt.gz
//
// Every output line is one vector:
//
//	op cw in1 in2 out1 out2 sw
//
// cw is the x87 control word used (all exceptions masked), sw the status
// word right after the instruction (TOP field cleared). Operands are hex:
// 80-bit values (floating point or packed BCD) as 20 digits, the sign/exponent
// word first and then the 64-bit significand (i.e. the 10 memory bytes in
// reverse order); integers and float32/float64 bit patterns at their width.
// Unused fields are "-".
//
// Before every instruction the FPU is reset with fninit, the control word is
// loaded, the operands are loaded with fld (80-bit loads never raise
// exceptions) and the sticky exception flags are cleared with fnclex, so the
// recorded status word belongs to the one instruction under test.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	unsigned char b[10];
} t10;

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

// rnd is splitmix64: small, fast and reproducible for a given seed.
static uint64_t rnd(void) {
	uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static unsigned rn(unsigned n) { return (unsigned)(rnd() % n); }

static t10 mk(uint16_t se, uint64_t m) {
	t10 t;
	memcpy(t.b, &m, 8);
	memcpy(t.b + 8, &se, 2);
	return t;
}

static uint16_t se_of(const t10 *t) {
	uint16_t se;
	memcpy(&se, t->b + 8, 2);
	return se;
}

static uint64_t m_of(const t10 *t) {
	uint64_t m;
	memcpy(&m, t->b, 8);
	return m;
}

static void pr10(const t10 *t) { printf(" %04x%016llx", se_of(t), (unsigned long long)m_of(t)); }

/* ---------- x87 instruction wrappers ---------- */

#define PRE "fninit\n\tfldcw %[cw]\n\t"
#define POST "fninit\n\t"

// Binary: st0 = a, st1 = b, then insn, result st0 (and st1 popped).
#define BIN(name, insn)                                                                                  \
	static uint16_t name(uint16_t cw, const t10 *a, const t10 *b, t10 *r) {                          \
		uint16_t sw;                                                                             \
		__asm__ volatile(PRE "fldt %[b]\n\tfldt %[a]\n\tfnclex\n\t" insn "\n\t"                   \
				     "fnstsw %[sw]\n\tfstpt %[r]\n\tfstp %%st(0)\n\t" POST                        \
				 : [sw] "=m"(sw), [r] "=m"(*r)                                           \
				 : [cw] "m"(cw), [a] "m"(*a), [b] "m"(*b)                                \
				 : "memory");                                                            \
		return sw;                                                                               \
	}

BIN(x_add, "fadd %%st(1), %%st")
BIN(x_sub, "fsub %%st(1), %%st")
BIN(x_mul, "fmul %%st(1), %%st")
BIN(x_div, "fdiv %%st(1), %%st")
BIN(x_scale, "fscale")
BIN(x_prem, "fprem")
BIN(x_prem1, "fprem1")
BIN(x_fcom, "fcom %%st(1)")
BIN(x_fucom, "fucom %%st(1)")

// Binary with a memory operand: st0 = a, then insn with m32/m64 b.
#define BINM(name, T, insn)                                                                              \
	static uint16_t name(uint16_t cw, const t10 *a, const T *b, t10 *r) {                            \
		uint16_t sw;                                                                             \
		__asm__ volatile(PRE "fldt %[a]\n\tfnclex\n\t" insn " %[b]\n\t"                           \
				     "fnstsw %[sw]\n\tfstpt %[r]\n\t" POST                                        \
				 : [sw] "=m"(sw), [r] "=m"(*r)                                           \
				 : [cw] "m"(cw), [a] "m"(*a), [b] "m"(*b)                                \
				 : "memory");                                                            \
		return sw;                                                                               \
	}

BINM(x_adds, uint32_t, "fadds")
BINM(x_addl, uint64_t, "faddl")
BINM(x_subrs, uint32_t, "fsubrs")
BINM(x_subl, uint64_t, "fsubl")
BINM(x_muls, uint32_t, "fmuls")
BINM(x_divs, uint32_t, "fdivs")
BINM(x_divrl, uint64_t, "fdivrl")
BINM(x_coms, uint32_t, "fcoms")
BINM(x_coml, uint64_t, "fcoml")
BINM(x_iaddl, uint32_t, "fiaddl")
BINM(x_idivrs, uint16_t, "fidivrs")

// Unary on st0.
#define UN(name, insn)                                                                                   \
	static uint16_t name(uint16_t cw, const t10 *a, t10 *r) {                                        \
		uint16_t sw;                                                                             \
		__asm__ volatile(PRE "fldt %[a]\n\tfnclex\n\t" insn "\n\t"                                \
				     "fnstsw %[sw]\n\tfstpt %[r]\n\t" POST                                        \
				 : [sw] "=m"(sw), [r] "=m"(*r)                                           \
				 : [cw] "m"(cw), [a] "m"(*a)                                             \
				 : "memory");                                                            \
		return sw;                                                                               \
	}

UN(x_sqrt, "fsqrt")
UN(x_rndint, "frndint")
UN(x_fxam, "fxam")

static uint16_t x_xtract(uint16_t cw, const t10 *a, t10 *sig, t10 *ex) {
	uint16_t sw;
	__asm__ volatile(PRE "fldt %[a]\n\tfnclex\n\tfxtract\n\t"
			     "fnstsw %[sw]\n\tfstpt %[s]\n\tfstpt %[e]\n\t" POST
			 : [sw] "=m"(sw), [s] "=m"(*sig), [e] "=m"(*ex)
			 : [cw] "m"(cw), [a] "m"(*a)
			 : "memory");
	return sw;
}

// Store st0 = a to memory of type T with insn (a popping form).
#define STORE(name, T, insn)                                                                             \
	static uint16_t name(uint16_t cw, const t10 *a, T *r) {                                          \
		uint16_t sw;                                                                             \
		__asm__ volatile(PRE "fldt %[a]\n\tfnclex\n\t" insn " %[r]\n\t"                           \
				     "fnstsw %[sw]\n\t" POST                                                      \
				 : [sw] "=m"(sw), [r] "=m"(*r)                                           \
				 : [cw] "m"(cw), [a] "m"(*a)                                             \
				 : "memory");                                                            \
		return sw;                                                                               \
	}

STORE(x_fst32, uint32_t, "fstps")
STORE(x_fst64, uint64_t, "fstpl")
STORE(x_fist16, uint16_t, "fistps")
STORE(x_fist32, uint32_t, "fistpl")
STORE(x_fist64, uint64_t, "fistpll")
STORE(x_fisttp16, uint16_t, "fisttps")
STORE(x_fisttp32, uint32_t, "fisttpl")
STORE(x_fisttp64, uint64_t, "fisttpll")
STORE(x_fbstp, t10, "fbstp")

// Load memory of type T with insn, store the 80-bit result.
#define LOAD(name, T, insn)                                                                              \
	static uint16_t name(uint16_t cw, const T *a, t10 *r) {                                          \
		uint16_t sw;                                                                             \
		__asm__ volatile(PRE "fnclex\n\t" insn " %[a]\n\t"                                        \
				     "fnstsw %[sw]\n\tfstpt %[r]\n\t" POST                                        \
				 : [sw] "=m"(sw), [r] "=m"(*r)                                           \
				 : [cw] "m"(cw), [a] "m"(*a)                                             \
				 : "memory");                                                            \
		return sw;                                                                               \
	}

LOAD(x_fld32, uint32_t, "flds")
LOAD(x_fld64, uint64_t, "fldl")
LOAD(x_fild16, uint16_t, "filds")
LOAD(x_fild32, uint32_t, "fildl")
LOAD(x_fild64, uint64_t, "fildll")
LOAD(x_fbld, t10, "fbld")

#define CONST(name, insn)                                                                                \
	static uint16_t name(uint16_t cw, t10 *r) {                                                      \
		uint16_t sw;                                                                             \
		__asm__ volatile(PRE "fnclex\n\t" insn "\n\t"                                             \
				     "fnstsw %[sw]\n\tfstpt %[r]\n\t" POST                                        \
				 : [sw] "=m"(sw), [r] "=m"(*r)                                           \
				 : [cw] "m"(cw)                                                          \
				 : "memory");                                                            \
		return sw;                                                                               \
	}

CONST(x_fld1, "fld1")
CONST(x_fldl2t, "fldl2t")
CONST(x_fldl2e, "fldl2e")
CONST(x_fldpi, "fldpi")
CONST(x_fldlg2, "fldlg2")
CONST(x_fldln2, "fldln2")
CONST(x_fldz, "fldz")

/* ---------- operand generation ---------- */

// SWMASK keeps exceptions, SF and C0..C3; drops TOP, ES and B.
#define SWMASK 0x477F

// rand_cw picks a rounding control and a precision control (24, 53 or 64
// bits; now and then the reserved value 1) with all exceptions masked.
static uint16_t rand_cw(void) {
	unsigned pc = rn(3) == 0 ? 0 : rn(2) + 2;
	if (rn(32) == 0)
		pc = 1;
	return 0x007F | (uint16_t)(rn(4) << 10) | (uint16_t)(pc << 8);
}

// pattern returns 64-bit significand whose top k bits are random (bit 63
// set) and whose low 64-k bits are one of the interesting rounding
// patterns: zero, exactly half, just above/below half, all ones, random.
static uint64_t pattern(int k) {
	uint64_t top, low, lowmask;
	if (k <= 0) {
		k = 0;
	}
	if (k >= 64) {
		return rnd() | (1ull << 63);
	}
	lowmask = (k == 0) ? ~0ull : ((1ull << (64 - k)) - 1);
	top = (rnd() & ~lowmask) | (1ull << 63);
	if (k == 0) {
		top = 0;
	}
	uint64_t half = 1ull << (63 - k);
	switch (rn(8)) {
	case 0:
		low = 0;
		break;
	case 1:
		low = half;
		break;
	case 2:
		low = half + 1;
		break;
	case 3:
		low = half - 1;
		break;
	case 4:
		low = lowmask;
		break;
	case 5:
		low = 1;
		break;
	default:
		low = rnd();
		break;
	}
	return top | (low & lowmask);
}

static uint64_t rand_mant(void) {
	uint64_t m;
	int i, j;
	switch (rn(14)) {
	case 0:
		return 1ull << 63;
	case 1:
		return ~0ull;
	case 2: // sparse
		m = 1ull << 63;
		for (i = rn(4); i > 0; i--)
			m |= 1ull << rn(64);
		return m;
	case 3: // short significand (exact products)
		i = 1 + rn(30);
		return (rnd() | (1ull << 63)) & ~((1ull << (64 - i)) - 1);
	case 4:
		return pattern(rn(3) == 0 ? 24 : rn(2) ? 53 : (int)rn(65));
	case 5: // a run of ones
		i = rn(64);
		j = rn(64);
		if (i > j) {
			int t = i;
			i = j;
			j = t;
		}
		m = (j == 63 ? ~0ull : ((1ull << (j + 1)) - 1)) & ~((1ull << i) - 1);
		return m | (1ull << 63);
	case 6:
		return rnd(); // may lack the integer bit (unnormal)
	default:
		return rnd() | (1ull << 63);
	}
}

static t10 rand_f80(void) {
	uint16_t e;
	uint64_t m = rand_mant();
	switch (rn(20)) {
	case 0:
	case 1: // zero, denormal, pseudo-denormal
		e = 0;
		switch (rn(6)) {
		case 0:
			m = 0;
			break;
		case 1:
			break; // pseudo-denormal when bit 63 set
		case 2:
			m = 1ull << rn(63);
			break;
		default:
			m &= ~(1ull << 63);
			m >>= rn(64);
			if (m == 0 && rn(2))
				m = 1;
			break;
		}
		break;
	case 2: // infinities and NaNs
		e = 0x7FFF;
		switch (rn(8)) {
		case 0:
			m = 1ull << 63;
			break; // inf
		case 1:
			m = 0xC000000000000000ull;
			break; // indefinite (with sign)
		case 2:
			m = 0xC000000000000000ull | rnd();
			break; // QNaN
		case 3:
			m = (0x8000000000000000ull | (rnd() >> 2)) | 1;
			break; // SNaN
		case 4:
			m = 0x8000000000000000ull | (1ull << rn(62)); // SNaN
			break;
		case 5:
			m = rnd() & 0x7FFFFFFFFFFFFFFFull;
			break; // pseudo-NaN / pseudo-inf
		default:
			m = rnd() | (1ull << 63);
			break;
		}
		break;
	case 3:
		e = 1 + rn(70);
		break;
	case 4:
		e = 0x7FFE - rn(70);
		break;
	case 5:
	case 6:
		e = rn(0x8000);
		break;
	case 7: // around float32/float64 limits
		e = (rn(2) ? 0x3FFF - 126 : 0x3FFF - 1022) - 70 + rn(90);
		break;
	case 8:
		e = (rn(2) ? 0x3FFF + 127 : 0x3FFF + 1023) - 3 + rn(6);
		break;
	default:
		e = 0x3FFF - 70 + rn(140);
		break;
	}
	if (m == 0 && e != 0 && e != 0x7FFF)
		m = 1ull << 63;
	if (e != 0 && e != 0x7FFF && !(m >> 63) && rn(3))
		m |= 1ull << 63; // keep unnormals rarer
	return mk((uint16_t)(e | (rn(2) << 15)), m);
}

// rel returns an operand related to a: near its exponent, sharing bits, or
// a negation, to provoke cancellation, ties and equal comparisons.
static t10 rel(const t10 *a) {
	uint16_t se = se_of(a);
	uint64_t m = m_of(a);
	int d;
	switch (rn(6)) {
	case 0:
		return mk(se ^ 0x8000, m);
	case 1:
		return mk(se ^ (rn(2) << 15), m ^ (1ull << rn(64)));
	case 2:
		return mk(se ^ (rn(2) << 15), m + (rnd() >> rn(64)));
	default:
		d = (int)rn(140) - 70;
		if (rn(2))
			d = (int)rn(7) - 3;
		d += (se & 0x7FFF);
		if (d < 0)
			d = 0;
		if (d > 0x7FFF)
			d = 0x7FFF;
		m = rand_mant();
		if (d != 0 && d != 0x7FFF)
			m |= 1ull << 63;
		return mk((uint16_t)(d | (rn(2) << 15)), m);
	}
}

static t10 rand_b(const t10 *a) { return rn(2) ? rand_f80() : rel(a); }

// rounding-interesting value: exponent chosen so the rounding position
// falls at k bits (k from ks), low bits follow a pattern.
static t10 near_int(int maxbits) {
	int k = (int)rn((unsigned)maxbits + 4) - 2; // integer bits
	uint16_t e = (uint16_t)(0x3FFF + k - 1);
	uint64_t m = pattern(k < 0 ? 0 : k);
	if (k <= 0) {
		m = rnd() | (1ull << 63);
		if (rn(2))
			m = 1ull << 63;
	}
	return mk((uint16_t)(e | (rn(2) << 15)), m);
}

// rand_f32 and rand_f64 return float bit patterns biased toward zeros,
// denormals, infinities and NaNs.
static uint32_t rand_f32(void) {
	uint32_t v = (uint32_t)rnd();
	switch (rn(4)) {
	case 0:
		v &= 0x807FFFFF; // zero / denormal
		break;
	case 1:
		v |= 0x7F800000; // inf / NaN
		if (rn(3) == 0)
			v &= 0xFF800000 | (rn(2) ? 0 : 1u << rn(23));
		break;
	}
	return v;
}

static uint64_t rand_f64(void) {
	uint64_t v = rnd();
	switch (rn(4)) {
	case 0:
		v &= 0x800FFFFFFFFFFFFFull;
		break;
	case 1:
		v |= 0x7FF0000000000000ull;
		if (rn(3) == 0)
			v &= 0xFFF0000000000000ull | (rn(2) ? 0 : 1ull << rn(52));
		break;
	}
	return v;
}

/* ---------- vector emitters ---------- */

typedef uint16_t (*binfn)(uint16_t, const t10 *, const t10 *, t10 *);

static void emit_bin(const char *name, binfn f, const t10 *a, const t10 *b) {
	t10 r;
	uint16_t cw = rand_cw();
	uint16_t sw = f(cw, a, b, &r) & SWMASK;
	printf("%s %04x", name, cw);
	pr10(a);
	pr10(b);
	pr10(&r);
	printf(" - %04x\n", sw);
}

static void gen_bin(const char *name, binfn f, int n) {
	for (int i = 0; i < n; i++) {
		t10 a = rand_f80();
		t10 b = rand_b(&a);
		if (rn(2)) {
			t10 t = a;
			a = b;
			b = t;
		}
		emit_bin(name, f, &a, &b);
	}
}

typedef uint16_t (*unfn)(uint16_t, const t10 *, t10 *);

static void emit_un(const char *name, unfn f, const t10 *a) {
	t10 r;
	uint16_t cw = rand_cw();
	uint16_t sw = f(cw, a, &r) & SWMASK;
	printf("%s %04x", name, cw);
	pr10(a);
	printf(" -");
	pr10(&r);
	printf(" - %04x\n", sw);
}

static t10 special(int i) {
	static const uint16_t es[] = {0, 0, 0, 0, 1, 1, 0x3FFF, 0x3FFF, 0x7FFE, 0x7FFF, 0x7FFF, 0x7FFF, 0x7FFF, 0x7FFF, 0x4000, 0x3FFE, 0x3FFF};
	static const uint64_t ms[] = {0, 1, 0x8000000000000000ull, 0x7FFFFFFFFFFFFFFFull, 0x8000000000000000ull, 0xFFFFFFFFFFFFFFFFull,
				      0x8000000000000000ull, 0xC000000000000000ull, 0xFFFFFFFFFFFFFFFFull, 0x8000000000000000ull,
				      0xC000000000000000ull, 0x8000000000000001ull, 0xC000000000000001ull, 0x4000000000000000ull,
				      0x4000000000000000ull, 0x0000000000000000ull, 0xFFFFFFFFFFFFFFFFull};
	int n = (int)(sizeof(es) / sizeof(es[0]));
	return mk((uint16_t)(es[i % n] | ((i / n) % 2) << 15), ms[i % n]);
}
#define NSPECIAL 34

int main(int argc, char **argv) {
	uint64_t seed = argc > 1 ? strtoull(argv[1], 0, 0) : 1;
	double scale = argc > 2 ? atof(argv[2]) : 1.0;
	int i, j, n;
	rng_state ^= seed * 0xD1B54A32D192ED03ull;
#define N(x) ((int)((x) * scale))

	// Exhaustive special x special for the binary ops, one random cw each.
	{
		binfn fs[] = {x_add, x_sub, x_mul, x_div, x_scale, x_prem, x_prem1, x_fcom, x_fucom};
		const char *ns[] = {"add", "sub", "mul", "div", "scale", "prem", "prem1", "fcom", "fucom"};
		for (int k = 0; k < 9; k++)
			for (i = 0; i < NSPECIAL; i++)
				for (j = 0; j < NSPECIAL; j++) {
					t10 a = special(i), b = special(j);
					if (scale < 1 && rn(4))
						continue;
					emit_bin(ns[k], fs[k], &a, &b);
				}
		unfn us[] = {x_sqrt, x_rndint, x_fxam};
		const char *un[] = {"sqrt", "rndint", "fxam"};
		for (int k = 0; k < 3; k++)
			for (i = 0; i < NSPECIAL; i++) {
				t10 a = special(i);
				emit_un(un[k], us[k], &a);
			}
	}

	gen_bin("add", x_add, N(4000));
	gen_bin("sub", x_sub, N(2000));
	gen_bin("mul", x_mul, N(4000));
	gen_bin("div", x_div, N(4000));
	gen_bin("fcom", x_fcom, N(1000));
	gen_bin("fucom", x_fucom, N(1000));

	// Sums that land exactly on PC rounding boundaries.
	n = N(2000);
	for (i = 0; i < n; i++) {
		int k = rn(3) == 0 ? 24 : rn(2) ? 53 : 64;
		t10 a = mk((uint16_t)((0x3FFF + rn(20) - 10) | (rn(2) << 15)), pattern(k));
		int d = k - 2 + (int)rn(6);
		uint16_t eb = (uint16_t)((se_of(&a) & 0x7FFF) - d);
		t10 b = mk((uint16_t)(eb | (rn(2) << 15)), pattern((int)rn(65)));
		if (rn(8) == 0) { // near the denormal boundary
			a = mk((uint16_t)(rn(3) | (se_of(&a) & 0x8000)), m_of(&a));
			b = mk((uint16_t)(rn(2) | (se_of(&b) & 0x8000)), m_of(&b));
		}
		if (rn(2))
			emit_bin("add", x_add, &a, &b);
		else
			emit_bin("sub", x_sub, &a, &b);
	}
	// Products/quotients near overflow and underflow.
	n = N(2000);
	for (i = 0; i < n; i++) {
		t10 a = rand_f80(), b = rand_f80();
		int ea = 0x3FFF + (int)rn(0x4000) - 0x2000;
		int eb;
		int mul = rn(2);
		if (rn(2)) {
			eb = (mul ? (0x7FFE - ea + 0x3FFF) : (ea - 0x7FFE + 0x3FFF)) + (int)rn(5) - 2;
		} else {
			eb = (mul ? (0x3FFF + 1 - ea) : (ea - 1 + 0x3FFF)) + (int)rn(140) - 70;
		}
		if (eb < 1)
			eb = 1;
		if (eb > 0x7FFE)
			eb = 0x7FFE;
		a = mk((uint16_t)(ea | (se_of(&a) & 0x8000)), m_of(&a) | (1ull << 63));
		b = mk((uint16_t)(eb | (se_of(&b) & 0x8000)), m_of(&b) | (1ull << 63));
		emit_bin(mul ? "mul" : "div", mul ? x_mul : x_div, &a, &b);
	}

	n = N(3000);
	for (i = 0; i < n; i++) {
		t10 a = rand_f80();
		emit_un("sqrt", x_sqrt, &a);
	}
	n = N(2500);
	for (i = 0; i < n; i++) {
		t10 a = rn(3) ? near_int(66) : rand_f80();
		emit_un("rndint", x_rndint, &a);
	}
	n = N(1000);
	for (i = 0; i < n; i++) {
		t10 a = rand_f80();
		emit_un("fxam", x_fxam, &a);
	}
	n = N(1000);
	for (i = 0; i < n; i++) {
		t10 a = rand_f80(), s, e;
		uint16_t cw = rand_cw();
		uint16_t sw = x_xtract(cw, &a, &s, &e) & SWMASK;
		printf("xtract %04x", cw);
		pr10(&a);
		printf(" -");
		pr10(&s);
		pr10(&e);
		printf(" %04x\n", sw);
	}

	// fscale: scale factors that are small integers, fractions, huge.
	n = N(3000);
	for (i = 0; i < n; i++) {
		t10 a = rand_f80(), b;
		switch (rn(5)) {
		case 0:
			b = rand_f80();
			break;
		case 1:
			b = near_int(16);
			break;
		case 2: { // scale a to the limits
			int want = rn(2) ? 0x7FFE + (int)rn(5) - 2 : (int)rn(140) - 70;
			int s = want - (int)(se_of(&a) & 0x7FFF);
			uint64_t v = (uint64_t)(s < 0 ? -s : s);
			if (v == 0) {
				b = mk(0, 0);
				break;
			}
			int lz = __builtin_clzll(v);
			b = mk((uint16_t)((0x3FFF + 63 - lz) | (s < 0 ? 0x8000 : 0)), v << lz);
			break;
		}
		case 3:
			b = mk((uint16_t)((0x3FFF + 10 + rn(60)) | (rn(2) << 15)), rnd() | (1ull << 63));
			break;
		default:
			b = near_int(20);
			break;
		}
		emit_bin("scale", x_scale, &a, &b);
	}

	// fprem/fprem1: exponent differences around 0..64 and huge.
	for (int k = 0; k < 2; k++) {
		n = N(3000);
		for (i = 0; i < n; i++) {
			t10 a = rand_f80(), b = rand_f80();
			if (rn(4)) {
				int ea = (int)(se_of(&a) & 0x7FFF), d, eb;
				switch (rn(4)) {
				case 0:
					d = (int)rn(8) - 3;
					break;
				case 1:
					d = 55 + (int)rn(15);
					break;
				case 2:
					d = (int)rn(300);
					break;
				default:
					d = (int)rn(70);
					break;
				}
				if (ea == 0 || ea == 0x7FFF)
					ea = 0x3FFF + (int)rn(0x3000) - 0x1000;
				eb = ea - d;
				if (eb < 0)
					eb = (int)rn(3);
				if (ea > 0x7FFE)
					ea = 0x7FFE;
				a = mk((uint16_t)(ea | (se_of(&a) & 0x8000)), m_of(&a) | (ea ? 1ull << 63 : 0));
				b = mk((uint16_t)(eb | (se_of(&b) & 0x8000)), m_of(&b) | (eb ? 1ull << 63 : 0));
			}
			emit_bin(k ? "prem1" : "prem", k ? x_prem1 : x_prem, &a, &b);
		}
	}

	// Narrowing stores.
	for (int k = 0; k < 2; k++) {
		n = N(3000);
		for (i = 0; i < n; i++) {
			t10 a = rand_f80(), r;
			uint16_t cw = rand_cw(), sw;
			if (rn(2)) {
				int bits = k ? 53 : 24;
				int emin = k ? 0x3FFF - 1022 : 0x3FFF - 126;
				int emax = k ? 0x3FFF + 1023 : 0x3FFF + 127;
				int e;
				switch (rn(4)) {
				case 0:
					e = emin - 1 - (int)rn(bits + 3);
					bits -= (emin - e);
					break;
				case 1:
					e = emax - 1 + (int)rn(3);
					break;
				case 2:
					e = emin + (int)rn(3) - 1;
					break;
				default:
					e = 0x3FFF + (int)rn(40) - 20;
					break;
				}
				a = mk((uint16_t)(e | (se_of(&a) & 0x8000)), pattern(bits));
			}
			if (k) {
				uint64_t v;
				sw = x_fst64(cw, &a, &v) & SWMASK;
				printf("fst64 %04x", cw);
				pr10(&a);
				printf(" - %016llx - %04x\n", (unsigned long long)v, sw);
			} else {
				uint32_t v;
				sw = x_fst32(cw, &a, &v) & SWMASK;
				printf("fst32 %04x", cw);
				pr10(&a);
				printf(" - %08x - %04x\n", v, sw);
			}
			(void)r;
		}
	}
	// Widening loads.
	n = N(1000);
	for (i = 0; i < n; i++) {
		t10 r;
		uint16_t cw = rand_cw();
		uint32_t v = rand_f32();
		uint16_t sw = x_fld32(cw, &v, &r) & SWMASK;
		printf("fld32 %04x %08x -", cw, v);
		pr10(&r);
		printf(" - %04x\n", sw);
	}
	n = N(1000);
	for (i = 0; i < n; i++) {
		t10 r;
		uint16_t cw = rand_cw();
		uint64_t v = rand_f64();
		uint16_t sw = x_fld64(cw, &v, &r) & SWMASK;
		printf("fld64 %04x %016llx -", cw, (unsigned long long)v);
		pr10(&r);
		printf(" - %04x\n", sw);
	}

	// Arithmetic with float32/float64 memory operands (FADD m32fp etc.).
	{
		typedef uint16_t (*m32fn)(uint16_t, const t10 *, const uint32_t *, t10 *);
		typedef uint16_t (*m64fn)(uint16_t, const t10 *, const uint64_t *, t10 *);
		const char *names[] = {"adds", "addl", "subrs", "subl", "muls", "divs", "divrl", "coms", "coml"};
		m32fn f32[] = {x_adds, 0, x_subrs, 0, x_muls, x_divs, 0, x_coms, 0};
		m64fn f64[] = {0, x_addl, 0, x_subl, 0, 0, x_divrl, 0, x_coml};
		for (int k = 0; k < 9; k++) {
			n = N(300);
			for (i = 0; i < n; i++) {
				t10 a = rand_f80(), r;
				uint16_t cw = rand_cw(), sw;
				printf("%s %04x", names[k], cw);
				pr10(&a);
				if (f32[k]) {
					uint32_t v = rand_f32();
					sw = f32[k](cw, &a, &v, &r);
					printf(" %08x", v);
				} else {
					uint64_t v = rand_f64();
					sw = f64[k](cw, &a, &v, &r);
					printf(" %016llx", (unsigned long long)v);
				}
				pr10(&r);
				printf(" - %04x\n", sw & SWMASK);
			}
		}
	}

	// Arithmetic with integer memory operands (FIADD m32int, FIDIVR m16int).
	n = N(300);
	for (i = 0; i < n; i++) {
		t10 a = rn(4) ? near_int(40) : rand_f80(), r;
		uint16_t cw = rand_cw();
		uint32_t v = (uint32_t)(rnd() >> rn(64));
		uint16_t v16 = (uint16_t)v;
		if (rn(2))
			v = -v;
		uint16_t sw = x_iaddl(cw, &a, &v, &r) & SWMASK;
		printf("iaddl %04x", cw);
		pr10(&a);
		printf(" %08x", v);
		pr10(&r);
		printf(" - %04x\n", sw);
		sw = x_idivrs(cw, &a, &v16, &r) & SWMASK;
		printf("idivrs %04x", cw);
		pr10(&a);
		printf(" %04x", v16);
		pr10(&r);
		printf(" - %04x\n", sw);
	}

	// Integer stores.
	{
		const char *names[] = {"fist16", "fist32", "fist64", "fisttp16", "fisttp32", "fisttp64"};
		for (int k = 0; k < 6; k++) {
			int bits = (k % 3 == 0) ? 16 : (k % 3 == 1) ? 32 : 64;
			n = N(k < 3 ? 1500 : 1000);
			for (i = 0; i < n; i++) {
				t10 a = rn(4) ? near_int(bits + 1) : rand_f80();
				uint16_t cw = rand_cw(), sw = 0;
				uint64_t v = 0;
				uint16_t v16;
				uint32_t v32;
				switch (k) {
				case 0:
					sw = x_fist16(cw, &a, &v16), v = v16;
					break;
				case 1:
					sw = x_fist32(cw, &a, &v32), v = v32;
					break;
				case 2:
					sw = x_fist64(cw, &a, &v);
					break;
				case 3:
					sw = x_fisttp16(cw, &a, &v16), v = v16;
					break;
				case 4:
					sw = x_fisttp32(cw, &a, &v32), v = v32;
					break;
				case 5:
					sw = x_fisttp64(cw, &a, &v);
					break;
				}
				printf("%s %04x", names[k], cw);
				pr10(&a);
				printf(" - %0*llx - %04x\n", bits / 4, (unsigned long long)v, sw & SWMASK);
			}
		}
	}
	// Integer loads.
	n = N(200);
	for (i = 0; i < n; i++) {
		t10 r;
		uint16_t cw = rand_cw(), sw;
		uint64_t v = rnd() >> rn(64);
		if (rn(2))
			v = -v;
		uint16_t v16 = (uint16_t)v;
		uint32_t v32 = (uint32_t)v;
		sw = x_fild16(cw, &v16, &r) & SWMASK;
		printf("fild16 %04x %04x -", cw, v16);
		pr10(&r);
		printf(" - %04x\n", sw);
		sw = x_fild32(cw, &v32, &r) & SWMASK;
		printf("fild32 %04x %08x -", cw, v32);
		pr10(&r);
		printf(" - %04x\n", sw);
		sw = x_fild64(cw, &v, &r) & SWMASK;
		printf("fild64 %04x %016llx -", cw, (unsigned long long)v);
		pr10(&r);
		printf(" - %04x\n", sw);
	}

	// Packed BCD.
	n = N(500);
	for (i = 0; i < n; i++) {
		t10 a, r;
		uint16_t cw = rand_cw();
		int nd = (int)rn(19);
		memset(a.b, 0, 10);
		for (j = 0; j < nd; j++) {
			unsigned d = rn(10);
			a.b[j / 2] |= (unsigned char)(d << (4 * (j % 2)));
		}
		a.b[9] = rn(2) ? 0x80 : 0;
		uint16_t sw = x_fbld(cw, &a, &r) & SWMASK;
		printf("fbld %04x", cw);
		pr10(&a);
		printf(" -");
		pr10(&r);
		printf(" - %04x\n", sw);
	}
	n = N(1500);
	for (i = 0; i < n; i++) {
		t10 a, r;
		uint16_t cw = rand_cw();
		switch (rn(4)) {
		case 0:
			a = rand_f80();
			break;
		case 1: // around 10^18
			a = mk((uint16_t)((0x3FFF + 59) | (rn(2) << 15)), 0xDE0B6B3A76400000ull + (rnd() >> (40 + rn(24))) - (rnd() >> (40 + rn(24))));
			break;
		default:
			a = near_int(60);
			break;
		}
		uint16_t sw = x_fbstp(cw, &a, &r) & SWMASK;
		printf("fbstp %04x", cw);
		pr10(&a);
		printf(" -");
		pr10(&r);
		printf(" - %04x\n", sw);
	}

	// Constants under every rounding and precision control.
	{
		uint16_t (*cs[])(uint16_t, t10 *) = {x_fld1, x_fldl2t, x_fldl2e, x_fldpi, x_fldlg2, x_fldln2, x_fldz};
		for (int k = 0; k < 7; k++)
			for (int rc = 0; rc < 4; rc++)
				for (int pc = 0; pc < 4; pc++) {
					t10 r;
					uint16_t cw = (uint16_t)(0x007F | rc << 10 | pc << 8);
					if (pc == 1)
						continue;
					uint16_t sw = cs[k](cw, &r) & SWMASK;
					printf("const %04x %d -", cw, k);
					pr10(&r);
					printf(" - %04x\n", sw);
				}
	}
	return 0;
}
