// bt/bts/btr/btc (register, immediate and memory forms including bit offsets
// outside the addressed operand), bsf/bsr (nonzero inputs), popcnt, bswap.
#include "gt.h"

typedef uint64_t (*btfn)(uint64_t, uint64_t, unsigned long *);

#define DEF_BT(OP, BITS, T)                                                               \
	static uint64_t OP##BITS(uint64_t a_, uint64_t b_, unsigned long *fo)             \
	{                                                                                 \
		T a = (T)a_, b = (T)b_;                                                   \
		unsigned long f, fin = FIN_CLEAR;                                         \
		__asm__ volatile(RZ_IN SETFL #OP " %[b], %[a]\n\t" GETFL RZ_OUT           \
				 : [a] "+r"(a), [fout] "=r"(f)                            \
				 : [b] "r"(b), [fin] "r"(fin)                             \
				 : "cc", "memory");                                       \
		*fo = f;                                                                  \
		return a;                                                                 \
	}
#ifdef __x86_64__
#define DEF_ALL(OP) DEF_BT(OP, 16, uint16_t) DEF_BT(OP, 32, uint32_t) DEF_BT(OP, 64, uint64_t)
#define FN3(OP) {OP##16, OP##32, OP##64}
#else
#define DEF_ALL(OP) DEF_BT(OP, 16, uint16_t) DEF_BT(OP, 32, uint32_t)
#define FN3(OP) {OP##16, OP##32, 0}
#endif
DEF_ALL(bt)
DEF_ALL(bts)
DEF_ALL(btr)
DEF_ALL(btc)
DEF_ALL(bsf)
DEF_ALL(bsr)
DEF_ALL(popcnt)

static unsigned char mem[64] __attribute__((aligned(16)));

static void dumpmem(void)
{
	for (size_t i = 0; i < sizeof mem; i++)
		printf("%02x", mem[i]);
	putchar('\n');
}

static void fillmem(void)
{
	for (size_t i = 0; i < sizeof mem; i++)
		mem[i] = (unsigned char)(i * 37 + 11);
}

static void memforms(void)
{
	static const long offs[] = {-250, -129, -65, -33, -17, -1, 0, 1, 15, 16, 31, 32, 63, 64, 100, 200, 255};
	for (size_t i = 0; i < ARRAY_LEN(offs); i++) {
		unsigned char *base = mem + 32;
		unsigned long f, fin = FIN_CLEAR;
		long off = offs[i];
		int16_t off16 = (int16_t)off;
		int32_t off32 = (int32_t)off;
#define BTM(OP, SFX, REG)                                                                   \
	fillmem();                                                                          \
	__asm__ volatile(RZ_IN SETFL OP SFX " %[o], (%[p])\n\t" GETFL RZ_OUT                \
			 : [fout] "=r"(f)                                                   \
			 : [o] "r"(REG), [p] "r"(base), [fin] "r"(fin)                      \
			 : "cc", "memory");                                                 \
	printf("%s%s mem off=%ld: CF=%d ", OP, SFX, off, (int)(f & 1));                     \
	dumpmem();
		BTM("bt", "w", off16) BTM("bts", "w", off16) BTM("btr", "w", off16) BTM("btc", "w", off16)
		BTM("bt", "l", off32) BTM("bts", "l", off32) BTM("btr", "l", off32) BTM("btc", "l", off32)
#ifdef __x86_64__
		BTM("bt", "q", off) BTM("bts", "q", off) BTM("btr", "q", off) BTM("btc", "q", off)
#endif
	}
	/* immediate forms: offset taken modulo operand size */
	{
		unsigned char *base = mem + 32;
		unsigned long f, fin = FIN_SET;
#define BTI(OP, N)                                                                           \
	fillmem();                                                                           \
	__asm__ volatile(RZ_IN SETFL OP " $" #N ", (%[p])\n\t" GETFL RZ_OUT                  \
			 : [fout] "=r"(f)                                                    \
			 : [p] "r"(base), [fin] "r"(fin)                                     \
			 : "cc", "memory");                                                  \
	printf("%s $%s mem: CF=%d ", OP, #N, (int)(f & 1));                                  \
	dumpmem();
		BTI("btw", 3) BTI("btsw", 17) BTI("btrw", 31) BTI("btcl", 33) BTI("btsl", 7)
		BTI("btrl", 63) BTI("btl", 255)
#ifdef __x86_64__
		BTI("btsq", 63) BTI("btcq", 64) BTI("btrq", 100)
#endif
		uint32_t r = 0x80000001;
		__asm__ volatile(RZ_IN SETFL "btcl $31, %[r]\n\t" GETFL RZ_OUT
				 : [fout] "=r"(f), [r] "+r"(r)
				 : [fin] "r"(fin)
				 : "cc", "memory");
		printf("btcl $31 reg: %08x CF=%d\n", r, (int)(f & 1));
	}
}

static const uint64_t vals[] = {1, 2, 0x80, 0x8000, 0x8001, 0x10000, 0x7fffffff, 0x80000000,
				0xffffffff, 0x100000000ull, 0x8000000000000000ull, 0x0123456789abcdefull,
				0xfedcba9876543210ull, 0xffffffffffffffffull, 0x00f0000000000000ull};
static const uint64_t idx[] = {0, 1, 7, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 0xffffffff};

int main(void)
{
	int nsz = ARCH_BITS == 64 ? 3 : 2;
	const struct {
		const char *n;
		btfn fn[3];
	} btops[] = {{"bt", FN3(bt)}, {"bts", FN3(bts)}, {"btr", FN3(btr)}, {"btc", FN3(btc)}};
	for (size_t o = 0; o < ARRAY_LEN(btops); o++)
		for (int s = 0; s < nsz; s++) {
			int bits = 16 << s, w = hexw(bits);
			uint64_t mask = bits == 64 ? ~0ull : (1ull << bits) - 1;
			for (size_t i = 0; i < ARRAY_LEN(vals); i += 3)
				for (size_t j = 0; j < ARRAY_LEN(idx); j++) {
					unsigned long f;
					uint64_t r = btops[o].fn[s](vals[i] & mask, idx[j] & mask, &f);
					printf("%s%d %0*llx bit=%llu: %0*llx CF=%d\n", btops[o].n, bits, w,
					       (unsigned long long)(vals[i] & mask), (unsigned long long)(idx[j] & mask),
					       w, (unsigned long long)r, (int)(f & 1));
				}
		}
	const struct {
		const char *n;
		btfn fn[3];
		unsigned def;
	} scans[] = {{"bsf", FN3(bsf), FL_ZF}, {"bsr", FN3(bsr), FL_ZF}, {"popcnt", FN3(popcnt), FL_ALL6}};
	for (size_t o = 0; o < ARRAY_LEN(scans); o++)
		for (int s = 0; s < nsz; s++) {
			int bits = 16 << s, w = hexw(bits);
			uint64_t mask = bits == 64 ? ~0ull : (1ull << bits) - 1;
			for (size_t i = 0; i < ARRAY_LEN(vals); i++) {
				uint64_t v = vals[i] & mask;
				unsigned long f;
				if (v == 0)
					continue; /* bsf/bsr destination undefined for 0 */
				uint64_t r = scans[o].fn[s](0x5555555555555555ull, v, &f);
				printf("%s%d %0*llx: %llu", scans[o].n, bits, w, (unsigned long long)v,
				       (unsigned long long)(r & mask));
				pflags(f, scans[o].def);
				putchar('\n');
			}
			unsigned long f;
			uint64_t r = popcnt32(0, 0, &f);
			if (o == 2 && s == 1) {
				printf("popcnt32 0: %llu", (unsigned long long)r);
				pflags(f, FL_ALL6);
				putchar('\n');
			}
		}
	for (size_t i = 0; i < ARRAY_LEN(vals); i++) {
		uint32_t v = (uint32_t)vals[i];
		__asm__("bswap %0" : "+r"(v));
		printf("bswap32 %08x: %08x\n", (uint32_t)vals[i], v);
#ifdef __x86_64__
		uint64_t q = vals[i];
		__asm__("bswap %0" : "+r"(q));
		printf("bswap64 %016llx: %016llx\n", (unsigned long long)vals[i], (unsigned long long)q);
#endif
	}
	memforms();
	return 0;
}
