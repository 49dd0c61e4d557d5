// madvise(MADV_DONTNEED): a private file mapping drops its private copy
// (the next read sees the file's current contents, zeros past its end),
// a private anonymous mapping reads zeros, shared file and shared
// anonymous mappings keep their data. Whole and partial ranges, a
// mapping at a file offset, a read-only mapping, a file changed after
// the mapping was written.
#include "gt.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#define PG 4096

/* what the file holds at byte i */
static unsigned char fbyte(size_t i) { return (unsigned char)(0x80 | ((i * 7 + i / PG) & 0x7f)); /* never 0 or X */ }

/* describe n bytes at p: runs of file bytes (from offset off), zeros, or other */
static void show(const char *what, const unsigned char *p, size_t n, size_t off)
{
	printf("%s:", what);
	size_t i = 0;
	while (i < n) {
		int kind = p[i] == fbyte(off + i) ? 'f' : p[i] == 0 ? '0' : p[i] == 'X' ? 'X' : '?';
		size_t j = i;
		while (j < n && (p[j] == fbyte(off + j) ? 'f' : p[j] == 0 ? '0' : p[j] == 'X' ? 'X' : '?') == kind) {
			j++;
		}
		printf(" %c%zu", kind, j - i);
		i = j;
	}
	printf("\n");
}

int main(void)
{
	size_t flen = 2 * PG + 1000;
	int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0600);
	unsigned char *buf = malloc(flen);
	for (size_t i = 0; i < flen; i++) {
		buf[i] = fbyte(i);
	}
	if (fd < 0 || write(fd, buf, flen) != (ssize_t)flen) {
		printf("setup failed\n");
		return 1;
	}

	/* private file mapping, written, then dropped whole */
	unsigned char *p = mmap(0, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	show("private fresh", p, 3 * PG, 0);
	memset(p, 'X', 3 * PG);
	show("private written", p, 3 * PG, 0);
	printf("madvise: %d\n", madvise(p, 3 * PG, MADV_DONTNEED));
	show("private dropped", p, 3 * PG, 0);

	/* only the middle page */
	memset(p, 'X', 3 * PG);
	madvise(p + PG, PG, MADV_DONTNEED);
	show("private middle dropped", p, 3 * PG, 0);

	/* the file changed since: the dropped page shows the new bytes */
	unsigned char q[16];
	memset(q, 0, sizeof q);
	pwrite(fd, q, sizeof q, PG + 100);
	madvise(p, 2 * PG, MADV_DONTNEED);
	show("private after file change", p, 3 * PG, 0);
	pwrite(fd, buf + PG + 100, sizeof q, PG + 100);
	munmap(p, 3 * PG);

	/* at a file offset, read-only */
	p = mmap(0, 2 * PG, PROT_READ, MAP_PRIVATE, fd, PG);
	printf("madvise ro: %d\n", madvise(p, 2 * PG, MADV_DONTNEED));
	show("private ro at offset", p, 2 * PG, PG);
	munmap(p, 2 * PG);

	/* written through a private mapping at an offset */
	p = mmap(0, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, PG);
	memset(p, 'X', 10);
	madvise(p, PG, MADV_DONTNEED);
	show("private at offset dropped", p, PG, PG);
	munmap(p, PG);

	/* shared file mapping: the data stays, in the file too */
	p = mmap(0, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	memset(p + 10, 'X', 20);
	madvise(p, 2 * PG, MADV_DONTNEED);
	show("shared dropped", p, 2 * PG, 0);
	unsigned char r[40];
	pread(fd, r, sizeof r, 0);
	show("file", r, sizeof r, 0);
	munmap(p, 2 * PG);

	/* private anonymous: zeros */
	p = mmap(0, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(p, 'X', 2 * PG);
	madvise(p + PG, PG, MADV_DONTNEED);
	show("anon second page dropped", p, 2 * PG, 1 << 30);
	munmap(p, 2 * PG);

	/* shared anonymous: the data stays */
	p = mmap(0, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	memset(p, 'X', 2 * PG);
	madvise(p, 2 * PG, MADV_DONTNEED);
	show("shared anon dropped", p, 2 * PG, 1 << 30);
	munmap(p, 2 * PG);

	/* errors */
	printf("unaligned: %d\n", madvise(buf + 1, PG, MADV_DONTNEED) == -1);
	close(fd);
	unlink("f");
	return 0;
}
