// gemu-test: dyn=1
// SSE/SSE2 (and a little MMX) integer and floating point vector instructions,
// MXCSR rounding modes, FTZ/DAZ, NaN operand order rules, comisd/ucomisd flags.
#pragma GCC target("sse2")
#include "gt.h"
#include <emmintrin.h>
#include <mmintrin.h>

/* hide values from the optimizer so operations happen at run time in SSE */
static __m128 ops(__m128 v)
{
	__asm__ volatile("" : "+x"(v));
	return v;
}
static __m128i opi(__m128i v)
{
	__asm__ volatile("" : "+x"(v));
	return v;
}

static void p128(const char *name, __m128i v)
{
	uint32_t w[4];
	_mm_storeu_si128((__m128i *)w, v);
	printf("%-14s %08x %08x %08x %08x\n", name, w[3], w[2], w[1], w[0]);
}

static void pps(const char *name, __m128 v)
{
	uint32_t w[4];
	_mm_storeu_ps((float *)w, v);
	printf("%-14s %08x %08x %08x %08x\n", name, w[3], w[2], w[1], w[0]);
}

static void ppd(const char *name, __m128d v)
{
	uint64_t w[2];
	_mm_storeu_pd((double *)w, v);
	printf("%-14s %016llx %016llx\n", name, (unsigned long long)w[1], (unsigned long long)w[0]);
}

static volatile float fsrc[8] = {1.5f, -2.5f, 0.0f, -0.0f, 1e30f, -1e-40f, 3.4e38f, 2.5f};
static volatile double dsrc[4] = {1.0 / 3.0, -2.5, 1e300, 4.9e-324};

int main(void)
{
	__m128i a = _mm_set_epi32((int)0x80000000, 0x7fffffff, (int)0xffff0001, 0x00ff80fe);
	__m128i b = _mm_set_epi32(1, (int)0xffffffff, 0x7fff8000, 0x01020304);
	p128("paddb", _mm_add_epi8(a, b));
	p128("paddw", _mm_add_epi16(a, b));
	p128("paddd", _mm_add_epi32(a, b));
	p128("paddq", _mm_add_epi64(a, b));
	p128("paddsb", _mm_adds_epi8(a, b));
	p128("paddusb", _mm_adds_epu8(a, b));
	p128("paddsw", _mm_adds_epi16(a, b));
	p128("paddusw", _mm_adds_epu16(a, b));
	p128("psubb", _mm_sub_epi8(a, b));
	p128("psubsw", _mm_subs_epi16(a, b));
	p128("psubusb", _mm_subs_epu8(a, b));
	p128("pmullw", _mm_mullo_epi16(a, b));
	p128("pmulhw", _mm_mulhi_epi16(a, b));
	p128("pmulhuw", _mm_mulhi_epu16(a, b));
	p128("pmuludq", _mm_mul_epu32(a, b));
	p128("pmaddwd", _mm_madd_epi16(a, b));
	p128("pavgb", _mm_avg_epu8(a, b));
	p128("pavgw", _mm_avg_epu16(a, b));
	p128("psadbw", _mm_sad_epu8(a, b));
	p128("pminsw", _mm_min_epi16(a, b));
	p128("pmaxub", _mm_max_epu8(a, b));
	p128("pcmpeqb", _mm_cmpeq_epi8(a, b));
	p128("pcmpgtw", _mm_cmpgt_epi16(a, b));
	p128("pcmpgtd", _mm_cmpgt_epi32(a, b));
	p128("pand", _mm_and_si128(a, b));
	p128("pandn", _mm_andnot_si128(a, b));
	p128("por", _mm_or_si128(a, b));
	p128("pxor", _mm_xor_si128(a, b));
	p128("packsswb", _mm_packs_epi16(a, b));
	p128("packuswb", _mm_packus_epi16(a, b));
	p128("packssdw", _mm_packs_epi32(a, b));
	p128("punpcklbw", _mm_unpacklo_epi8(a, b));
	p128("punpckhwd", _mm_unpackhi_epi16(a, b));
	p128("punpckldq", _mm_unpacklo_epi32(a, b));
	p128("punpckhqdq", _mm_unpackhi_epi64(a, b));
	p128("pshufd 1b", _mm_shuffle_epi32(a, 0x1b));
	p128("pshuflw 93", _mm_shufflelo_epi16(a, 0x93));
	p128("pshufhw 4e", _mm_shufflehi_epi16(a, 0x4e));
	p128("pslldq 3", _mm_slli_si128(a, 3));
	p128("psrldq 5", _mm_srli_si128(a, 5));
	for (int c = 0; c <= 65; c += (c < 17 ? 1 : 16)) {
		char n[32];
		__m128i cnt = _mm_cvtsi32_si128(c);
		snprintf(n, sizeof n, "psllw %d", c);
		p128(n, _mm_sll_epi16(a, cnt));
		snprintf(n, sizeof n, "psrad %d", c);
		p128(n, _mm_sra_epi32(a, cnt));
		snprintf(n, sizeof n, "psrlq %d", c);
		p128(n, _mm_srl_epi64(a, cnt));
	}
	p128("psraw imm 15", _mm_srai_epi16(a, 15));
	p128("pslld imm 7", _mm_slli_epi32(a, 7));
	printf("pmovmskb %04x movmskps %x movmskpd %x\n", _mm_movemask_epi8(a),
	       _mm_movemask_ps(_mm_castsi128_ps(a)), _mm_movemask_pd(_mm_castsi128_pd(a)));
	printf("pextrw %x\n", _mm_extract_epi16(a, 5));
	p128("pinsrw", _mm_insert_epi16(a, 0xbeef, 2));

	/* single precision */
	__m128 x = _mm_set_ps(fsrc[0], fsrc[1], fsrc[2], fsrc[3]);
	__m128 y = _mm_set_ps(fsrc[4], fsrc[5], fsrc[6], fsrc[7]);
	__m128 qnan = _mm_castsi128_ps(_mm_set1_epi32(0x7fc00001));
	pps("addps", _mm_add_ps(x, y));
	pps("subps", _mm_sub_ps(x, y));
	pps("mulps", _mm_mul_ps(x, y));
	pps("divps", _mm_div_ps(x, y));
	pps("sqrtps", _mm_sqrt_ps(x));
	pps("rcp-ish", _mm_and_ps(_mm_cmpgt_ps(x, y), x));
	pps("minps", _mm_min_ps(x, y));
	pps("maxps", _mm_max_ps(x, y));
	pps("minps nan,x", _mm_min_ps(qnan, x)); /* result is second operand */
	pps("minps x,nan", _mm_min_ps(x, qnan));
	pps("maxps 0,-0", _mm_max_ps(_mm_set1_ps(0.0f), _mm_set1_ps(-0.0f)));
	pps("addps nan", _mm_add_ps(x, qnan));
	pps("cmpeqps", _mm_cmpeq_ps(x, y));
	pps("cmpltps", _mm_cmplt_ps(x, y));
	pps("cmpunordps", _mm_cmpunord_ps(x, qnan));
	pps("cmpneqps", _mm_cmpneq_ps(x, qnan));
	pps("shufps", _mm_shuffle_ps(x, y, 0xb1));
	pps("unpcklps", _mm_unpacklo_ps(x, y));
	pps("movhlps", _mm_movehl_ps(x, y));
	pps("andnps", _mm_andnot_ps(x, y));
	p128("cvtps2dq", _mm_cvtps_epi32(y));
	p128("cvttps2dq", _mm_cvttps_epi32(y));
	pps("cvtdq2ps", _mm_cvtepi32_ps(a));
	pps("addss", _mm_add_ss(x, y));
	pps("sqrtss", _mm_sqrt_ss(y));

	/* double precision */
	__m128d d1 = _mm_set_pd(dsrc[0], dsrc[1]);
	__m128d d2 = _mm_set_pd(dsrc[2], dsrc[3]);
	ppd("addpd", _mm_add_pd(d1, d2));
	ppd("mulpd", _mm_mul_pd(d1, d2));
	ppd("divpd", _mm_div_pd(d1, d2));
	ppd("sqrtpd", _mm_sqrt_pd(d2));
	ppd("minpd", _mm_min_pd(d1, d2));
	ppd("cvtps2pd", _mm_cvtps_pd(y));
	pps("cvtpd2ps", _mm_cvtpd_ps(d2));
	p128("cvtpd2dq", _mm_cvtpd_epi32(d1));
	p128("cvttpd2dq", _mm_cvttpd_epi32(d2));
	ppd("cvtdq2pd", _mm_cvtepi32_pd(a));
	ppd("shufpd", _mm_shuffle_pd(d1, d2, 1));
	ppd("unpckhpd", _mm_unpackhi_pd(d1, d2));
	printf("cvtsd2si %d cvttsd2si %d\n", _mm_cvtsd_si32(d1), _mm_cvttsd_si32(d2));

	/* comisd/ucomisd flags */
	double cv[] = {1.0, 2.0, -0.0, 0.0, __builtin_nan("")};
	for (size_t i = 0; i < ARRAY_LEN(cv); i++)
		for (size_t j = 0; j < ARRAY_LEN(cv); j++) {
			__m128d p = _mm_set_sd(cv[i]), q = _mm_set_sd(cv[j]);
			unsigned long f, fin = FIN_SET;
			__asm__ volatile(RZ_IN SETFL "ucomisd %[q], %[p]\n\t" GETFL RZ_OUT
					 : [fout] "=r"(f)
					 : [p] "x"(p), [q] "x"(q), [fin] "r"(fin)
					 : "cc", "memory");
			printf("ucomisd %g %g:", cv[i], cv[j]);
			pflags(f, FL_ALL6);
			putchar('\n');
		}

	/* MXCSR rounding modes */
	unsigned csr0 = _mm_getcsr();
	printf("mxcsr default: %04x\n", csr0 & 0xffc0); /* exception flags masked off */
	static const char *rn[] = {"nearest", "down", "up", "zero"};
	for (int m = 0; m < 4; m++) {
		_mm_setcsr((csr0 & ~0x6000u) | ((unsigned)m << 13));
		__m128 third = _mm_div_ps(ops(_mm_set_ps(1, -1, 2, -2)), ops(_mm_set1_ps(3.0f)));
		char n[32];
		snprintf(n, sizeof n, "div %s", rn[m]);
		pps(n, third);
		snprintf(n, sizeof n, "cvtps2dq %s", rn[m]);
		p128(n, _mm_cvtps_epi32(ops(_mm_set_ps(2.5f, -2.5f, 3.5f, -0.5f))));
		snprintf(n, sizeof n, "cvtsd2ss %s", rn[m]);
		pps(n, _mm_cvtsd_ss(_mm_setzero_ps(), (__m128d)opi((__m128i)_mm_set_sd(dsrc[0]))));
	}
	/* exception flags */
	_mm_setcsr(csr0 & ~0x3fu);
	volatile __m128 r = _mm_div_ps(ops(_mm_set1_ps(1.0f)), ops(_mm_setzero_ps()));
	(void)r;
	printf("mxcsr after 1/0: %02x\n", _mm_getcsr() & 0x3f);
	_mm_setcsr(csr0 & ~0x3fu);
	r = _mm_sqrt_ps(ops(_mm_set1_ps(-1.0f)));
	printf("mxcsr after sqrt(-1): %02x\n", _mm_getcsr() & 0x3f);
	_mm_setcsr(csr0 & ~0x3fu);
	r = _mm_mul_ps(ops(_mm_set1_ps(1e-30f)), ops(_mm_set1_ps(1e-30f)));
	printf("mxcsr after underflow: %02x\n", _mm_getcsr() & 0x3f);
	/* FTZ and DAZ */
	_mm_setcsr((csr0 & ~0x3fu) | 0x8040);
	pps("ftz+daz mul", _mm_mul_ps(ops(_mm_set1_ps(1e-20f)), ops(_mm_set1_ps(1e-20f))));
	pps("daz add", _mm_add_ps(_mm_castsi128_ps(opi(_mm_set1_epi32(1))), ops(_mm_setzero_ps())));
	_mm_setcsr(csr0);
	pps("no daz add", _mm_add_ps(_mm_castsi128_ps(opi(_mm_set1_epi32(1))), ops(_mm_setzero_ps())));

	/* MMX */
	{
		__m64 m1 = _mm_set_pi16(0x7fff, -1, 0x1234, -32768);
		__m64 m2 = _mm_set_pi16(1, 1, 0x1111, -1);
		__m64 s = _mm_adds_pi16(m1, m2);
		__m64 t = _mm_mullo_pi16(m1, m2);
		__m64 u = _mm_unpacklo_pi8(m1, m2);
		uint64_t vs, vt, vu;
		memcpy(&vs, &s, 8);
		memcpy(&vt, &t, 8);
		memcpy(&vu, &u, 8);
		_mm_empty();
		printf("mmx paddsw %016llx pmullw %016llx punpcklbw %016llx\n", (unsigned long long)vs,
		       (unsigned long long)vt, (unsigned long long)vu);
	}
	return 0;
}
