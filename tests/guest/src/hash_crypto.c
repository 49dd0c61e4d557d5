// Integer-heavy code: CRC32 (bitwise and table), SHA-256, xorshift, Adler-32,
// 64-bit multiply/rotate mixing (splitmix64), all over deterministic data.
#include "gt.h"

static uint32_t crc_table[256];

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
}

static uint32_t crc32_tab(const unsigned char *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++)
		c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

static uint32_t crc32_bit(const unsigned char *p, size_t n)
{
	uint32_t c = 0xffffffffu;
	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
	}
	return ~c;
}

static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void sha256(const unsigned char *msg, size_t len, unsigned char out[32])
{
	uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
			 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
	size_t total = ((len + 9 + 63) / 64) * 64;
	for (size_t off = 0; off < total; off += 64) {
		unsigned char blk[64];
		for (int i = 0; i < 64; i++) {
			size_t p = off + (size_t)i;
			if (p < len)
				blk[i] = msg[p];
			else if (p == len)
				blk[i] = 0x80;
			else if (p >= total - 8)
				blk[i] = (unsigned char)(((uint64_t)len * 8) >> (8 * (total - 1 - p)));
			else
				blk[i] = 0;
		}
		uint32_t w[64];
		for (int i = 0; i < 16; i++)
			w[i] = (uint32_t)blk[4 * i] << 24 | (uint32_t)blk[4 * i + 1] << 16 |
			       (uint32_t)blk[4 * i + 2] << 8 | blk[4 * i + 3];
		for (int i = 16; i < 64; i++) {
			uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
			uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
			w[i] = w[i - 16] + s0 + w[i - 7] + s1;
		}
		uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
		for (int i = 0; i < 64; i++) {
			uint32_t S1 = ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25);
			uint32_t ch = (e & f) ^ (~e & g);
			uint32_t t1 = hh + S1 + ch + K[i] + w[i];
			uint32_t S0 = ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22);
			uint32_t mj = (a & b) ^ (a & c) ^ (b & c);
			uint32_t t2 = S0 + mj;
			hh = g;
			g = f;
			f = e;
			e = d + t1;
			d = c;
			c = b;
			b = a;
			a = t1 + t2;
		}
		h[0] += a; h[1] += b; h[2] += c; h[3] += d;
		h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
	}
	for (int i = 0; i < 8; i++) {
		out[4 * i] = (unsigned char)(h[i] >> 24);
		out[4 * i + 1] = (unsigned char)(h[i] >> 16);
		out[4 * i + 2] = (unsigned char)(h[i] >> 8);
		out[4 * i + 3] = (unsigned char)h[i];
	}
}

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void hexout(const char *label, const unsigned char *d, int n)
{
	printf("%s ", label);
	for (int i = 0; i < n; i++)
		printf("%02x", d[i]);
	putchar('\n');
}

int main(void)
{
	static unsigned char data[200000];
	gt_srand(4242);
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (unsigned char)(gt_rand() >> 7);
	crc_init();
	printf("crc32(\"123456789\") = %08x\n", crc32_tab((const unsigned char *)"123456789", 9));
	printf("crc32 table=%08x bitwise(first 20000)=%08x table(first 20000)=%08x\n", crc32_tab(data, sizeof data),
	       crc32_bit(data, 20000), crc32_tab(data, 20000));
	unsigned char dig[32];
	sha256((const unsigned char *)"", 0, dig);
	hexout("sha256('')", dig, 32);
	sha256((const unsigned char *)"abc", 3, dig);
	hexout("sha256('abc')", dig, 32);
	static const size_t lens[] = {55, 56, 63, 64, 65, 1000, 200000};
	for (size_t i = 0; i < ARRAY_LEN(lens); i++) {
		char l[32];
		sha256(data, lens[i], dig);
		snprintf(l, sizeof l, "sha256(data[%zu])", lens[i]);
		hexout(l, dig, 32);
	}
	uint32_t a = 1, b = 0;
	for (size_t i = 0; i < sizeof data; i++) {
		a = (a + data[i]) % 65521;
		b = (b + a) % 65521;
	}
	printf("adler32 %08x\n", (b << 16) | a);
	uint64_t s = 1, acc = 0;
	for (int i = 0; i < 100000; i++)
		acc ^= splitmix(&s) * (uint64_t)(i | 1);
	printf("splitmix %016llx\n", (unsigned long long)acc);
	uint32_t x = 2463534242u, m = 0;
	for (int i = 0; i < 100000; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		m += x % 1000003u;
	}
	printf("xorshift %08x %u\n", x, m);
	int64_t sd = 0;
	for (int i = -5000; i < 5000; i++)
		sd += ((int64_t)i * 7919) / 13 - ((int64_t)i * 7919) % 13 + (i >> 3) - (int64_t)((uint32_t)i >> 29);
	printf("signed div/mod/shift %lld\n", (long long)sd);
	return 0;
}
