// Memory management syscalls: anonymous mmap (private/shared), write/read,
// partial munmap, mprotect (return values only), MAP_FIXED over an existing
// mapping, mremap grow/shrink/move, madvise(MADV_DONTNEED) zeroing, file
// mappings (shared write-back and private copy-on-write), error cases, and
// brk growth/shrink via sbrk. Addresses are never printed.
#include "gt.h"
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

static long pg;

static uint32_t sum(const unsigned char *p, size_t n) { return gt_fnv(p, n); }

int main(void)
{
	pg = sysconf(_SC_PAGESIZE);
	size_t len = (size_t)pg * 16;
	unsigned char *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("mmap anon: %s aligned: %s\n", m != MAP_FAILED ? "ok" : "failed", ((uintptr_t)m % (uintptr_t)pg) == 0 ? "yes" : "no");
	int zero = 1;
	for (size_t i = 0; i < len; i++)
		zero &= m[i] == 0;
	printf("initially zero: %s\n", zero ? "yes" : "no");
	for (size_t i = 0; i < len; i++)
		m[i] = (unsigned char)(i * 7);
	printf("checksum: %08x\n", sum(m, len));
	printf("mprotect RO: %d\n", mprotect(m, len, PROT_READ));
	printf("still readable: %08x\n", sum(m, len));
	printf("mprotect RW: %d\n", mprotect(m, len, PROT_READ | PROT_WRITE));
	m[5] = 99;
	int rc = mprotect(m + 1, 10, PROT_READ);
	printf("mprotect unaligned: %d errno=%s\n", rc, errno == EINVAL ? "EINVAL" : "?");
	printf("munmap middle page: %d\n", munmap(m + pg * 4, (size_t)pg));
	unsigned char vec[4];
	int mc = mincore(m + pg * 4, (size_t)pg, vec);
	printf("mincore unmapped: %d errno=%s\n", mc, errno == ENOMEM ? "ENOMEM" : "?");
	/* MAP_FIXED over part of the mapping */
	unsigned char *f = mmap(m + pg * 8, (size_t)pg * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	printf("MAP_FIXED: at requested address: %s, zeroed: %s, neighbour intact: %s\n", f == m + pg * 8 ? "yes" : "no",
	       f[0] == 0 && f[pg * 2 - 1] == 0 ? "yes" : "no", m[pg * 10] == (unsigned char)(pg * 10 * 7) ? "yes" : "no");
	/* MAP_FIXED_NOREPLACE over an existing mapping fails */
	void *nr = mmap(m, (size_t)pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	printf("MAP_FIXED_NOREPLACE on existing: %s errno=%s\n", nr == MAP_FAILED ? "failed" : "mapped", errno == EEXIST ? "EEXIST" : "?");
	/* madvise DONTNEED zero-fills private anonymous memory */
	rc = madvise(m + pg * 12, (size_t)pg, MADV_DONTNEED);
	printf("madvise: %d first byte after: %d\n", rc, m[pg * 12]);
	/* mremap */
	unsigned char *g = mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(g, 0x5a, (size_t)pg * 2);
	unsigned char *g2 = mremap(g, (size_t)pg * 2, (size_t)pg * 64, MREMAP_MAYMOVE);
	printf("mremap grow: %s contents kept: %s new part zero: %s\n", g2 != MAP_FAILED ? "ok" : "failed",
	       g2[0] == 0x5a && g2[pg * 2 - 1] == 0x5a ? "yes" : "no", g2[pg * 63] == 0 ? "yes" : "no");
	unsigned char *g3 = mremap(g2, (size_t)pg * 64, (size_t)pg, 0);
	printf("mremap shrink in place: %s\n", g3 == g2 ? "yes" : "no");
	munmap(g3, (size_t)pg);
	int u1 = munmap(m, (size_t)pg * 4);
	int u2 = munmap(m + pg * 5, (size_t)pg * 11);
	int u3 = munmap(m, len); /* already unmapped: still succeeds */
	printf("munmap rest: %d %d %d\n", u1, u2, u3);

	/* error cases */
	void *e = mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	printf("mmap len 0: %s errno=%s\n", e == MAP_FAILED ? "failed" : "ok", errno == EINVAL ? "EINVAL" : "?");
	e = mmap(NULL, (size_t)pg, PROT_READ, MAP_PRIVATE, 12345, 0);
	printf("mmap bad fd: %s errno=%s\n", e == MAP_FAILED ? "failed" : "ok", errno == EBADF ? "EBADF" : "?");
	rc = munmap((void *)(uintptr_t)(pg + 1), (size_t)pg);
	printf("munmap unaligned: %d errno=%s\n", rc, errno == EINVAL ? "EINVAL" : "?");

	/* shared anonymous mapping */
	unsigned char *sh = mmap(NULL, (size_t)pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	strcpy((char *)sh, "shared anon");
	printf("shared anon: %s\n", sh);
	munmap(sh, (size_t)pg);

	/* file mappings */
	char path[] = "/tmp/gemu-mmap-XXXXXX";
	int fd = mkstemp(path);
	unlink(path);
	ftruncate(fd, pg * 3);
	unsigned char *fm = mmap(NULL, (size_t)pg * 3, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	memcpy(fm + pg, "written through mapping", 23);
	msync(fm, (size_t)pg * 3, MS_SYNC);
	char buf[64] = {0};
	pread(fd, buf, 23, pg);
	printf("MAP_SHARED write visible via pread: %s\n", buf);
	pwrite(fd, "PWRITE", 6, pg * 2);
	printf("pwrite visible via mapping: %.6s\n", fm + pg * 2);
	unsigned char *pm = mmap(NULL, (size_t)pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, pg);
	memcpy(pm, "PRIVATE", 7);
	memset(buf, 0, sizeof buf);
	pread(fd, buf, 7, pg);
	printf("MAP_PRIVATE write not in file: %s, mapping has: %.7s\n", buf, pm);
	unsigned char *ofs = mmap(NULL, (size_t)pg, PROT_READ, MAP_SHARED, fd, pg * 2);
	printf("offset mapping: %.6s\n", ofs);
	munmap(fm, (size_t)pg * 3);
	munmap(pm, (size_t)pg);
	munmap(ofs, (size_t)pg);
	close(fd);

	/* many mappings */
	void *maps[64];
	for (int i = 0; i < 64; i++) {
		maps[i] = mmap(NULL, (size_t)pg * (size_t)(1 + i % 5), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		memset(maps[i], i, (size_t)pg);
	}
	int okm = 1;
	for (int i = 0; i < 64; i++) {
		okm &= ((unsigned char *)maps[i])[pg - 1] == i;
		okm &= munmap(maps[i], (size_t)pg * (size_t)(1 + i % 5)) == 0;
	}
	printf("64 mappings ok: %s\n", okm ? "yes" : "no");

	/* brk */
	char *b0 = sbrk(0);
	char *b1 = sbrk(pg * 10);
	printf("sbrk grow returns old break: %s\n", b1 == b0 ? "yes" : "no");
	memset(b1, 0x77, (size_t)pg * 10);
	char *b2 = sbrk(0);
	printf("break advanced by %ld\n", (long)(b2 - b0));
	char *b3 = sbrk(100000);
	memset(b3, 1, 100000);
	printf("sbrk 100000 usable, break advanced by %ld\n", (long)((char *)sbrk(0) - b0));
	sbrk(-(100000 + pg * 5));
	printf("after shrink advanced by %ld, still intact: %s\n", (long)((char *)sbrk(0) - b0), b1[pg * 5 - 1] == 0x77 ? "yes" : "no");
	printf("brk back to start: %d\n", brk(b0));
	printf("sbrk(0) == start: %s\n", sbrk(0) == b0 ? "yes" : "no");
	return 0;
}
