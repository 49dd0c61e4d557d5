// gemu-test: dyn=1
// glibc string/memory functions (SSE2/AVX2 ifunc variants) over many
// lengths and alignments, including strings that end right before an
// unmapped page: memcpy memmove memset memcmp memchr strlen strnlen strchr
// strrchr strcmp strncmp strcpy strcat strstr strspn strcspn.
#include "gt.h"
#include <sys/mman.h>
#include <unistd.h>

static uint32_t h;
static void mix(long v) { h = (h ^ (uint32_t)v) * 16777619u; }

int main(void)
{
	static unsigned char src[1024], dst[1100];
	for (int i = 0; i < 1024; i++)
		src[i] = (unsigned char)(i * 131 + 7);
	h = 2166136261u;
	for (int len = 0; len < 300; len = len < 70 ? len + 1 : len + 37)
		for (int sa = 0; sa < 16; sa += 3)
			for (int da = 0; da < 16; da += 5) {
				memset(dst, 0xee, sizeof dst);
				memcpy(dst + da, src + sa, len);
				mix((long)gt_fnv(dst, sizeof dst));
				mix(memcmp(dst + da, src + sa, len));
				if (len) {
					dst[da + len - 1] ^= 1;
					mix(memcmp(dst + da, src + sa, len) > 0);
				}
				memmove(dst + da + 3, dst + da, len);
				mix((long)gt_fnv(dst, sizeof dst));
				memmove(dst + da, dst + da + 7, len);
				mix((long)gt_fnv(dst, sizeof dst));
				memset(dst + da, sa, len);
				mix((long)gt_fnv(dst, sizeof dst));
				unsigned char *p = memchr(src + sa, src[sa + len / 2], len);
				mix(p ? (long)(p - src) : -1);
			}
	printf("mem* checksum %08x\n", h);

	/* strings of every length at every alignment */
	h = 2166136261u;
	static char s1[600], s2[600];
	for (int len = 0; len < 260; len++)
		for (int al = 0; al < 16; al += 1 + (len > 40) * 4) {
			char *a = s1 + al, *b = s2 + (al * 7) % 16;
			for (int i = 0; i < len; i++)
				a[i] = (char)('a' + (i * 7 + len) % 26);
			a[len] = 0;
			mix((long)strlen(a));
			mix((long)strnlen(a, (size_t)len / 2));
			char *c = strchr(a, 'q');
			mix(c ? c - a : -1);
			c = strrchr(a, 'b');
			mix(c ? c - a : -1);
			mix(strchr(a, 0) - a);
			strcpy(b, a);
			mix(strcmp(a, b));
			if (len) {
				b[len - 1] = 'A';
				mix(strcmp(a, b) > 0);
				mix(strncmp(a, b, (size_t)len - 1));
			}
			strcat(b, "xyz");
			mix((long)strlen(b));
			c = strstr(a, "hov");
			mix(c ? c - a : -1);
			mix((long)strspn(a, "abcdefghijklm"));
			mix((long)strcspn(a, "zy"));
		}
	printf("str* checksum %08x\n", h);

	/* strings ending at a page boundary followed by an inaccessible page */
	long pg = sysconf(_SC_PAGESIZE);
	char *m = mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		printf("mmap failed\n");
		return 1;
	}
	mprotect(m + pg, (size_t)pg, PROT_NONE);
	h = 2166136261u;
	for (int len = 0; len < 100; len++) {
		char *s = m + pg - len - 1;
		memset(s, 'k', (size_t)len);
		s[len] = 0;
		mix((long)strlen(s));
		mix(strchr(s, 'z') == NULL);
		mix((long)(strrchr(s, 'k') ? strrchr(s, 'k') - s : -1));
		mix((long)(memchr(s, 0, (size_t)len + 1) == s + len));
		char tmp[128];
		strcpy(tmp, s);
		mix(strcmp(tmp, s));
		mix(memcmp(tmp, s, (size_t)len));
		mix((long)strnlen(s, 1000));
	}
	printf("page-edge checksum %08x\n", h);
	munmap(m, (size_t)pg * 2);

	char buf[64];
	strcpy(buf, "hello, world");
	printf("strtok:");
	for (char *t = strtok(buf, ", "); t; t = strtok(NULL, ", "))
		printf(" [%s]", t);
	printf("\nstrdup/strndup: %s %s\n", strdup("dup") + 1, strndup("abcdef", 3));
	printf("strcasecmp: %d %d\n", strcasecmp("HeLLo", "hello"), strncasecmp("abcX", "ABCy", 3));
	return 0;
}
