// Directory listing: readdir (names sorted before printing), d_type,
// scandir with alphasort, raw getdents64, nested directories, rewinddir,
// chdir/fchdir and relative paths, rmdir cleanup.
#include "gt.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void list(const char *path)
{
	DIR *d = opendir(path);
	if (!d) {
		printf("opendir failed\n");
		return;
	}
	char *names[300];
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < 300) {
		char tmp[300];
		/* d_type may be DT_UNKNOWN on some file systems: only report dir/reg/lnk/unknown */
		snprintf(tmp, sizeof tmp, "%s:%c", e->d_name,
			 e->d_type == DT_DIR ? 'd' : e->d_type == DT_REG ? 'f' : e->d_type == DT_LNK ? 'l' : '?');
		names[n++] = strdup(tmp);
	}
	qsort(names, n, sizeof(char *), cmp);
	printf("%d entries:", n);
	for (int i = 0; i < n; i++) {
		printf(" %s", names[i]);
		free(names[i]);
	}
	putchar('\n');
	rewinddir(d);
	int again = 0;
	while (readdir(d))
		again++;
	printf("after rewinddir: %d entries\n", again);
	closedir(d);
}

int main(void)
{
	char dir[64] = "/tmp/gemu-dirents-XXXXXX";
	if (!mkdtemp(dir)) {
		printf("mkdtemp failed\n");
		return 1;
	}
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	for (int i = 0; i < 150; i++) {
		char name[64];
		snprintf(name, sizeof name, "file-%03d-%s", (i * 37) % 150, i % 2 ? "odd" : "even-with-a-longer-name");
		int fd = openat(dfd, name, O_CREAT | O_WRONLY, 0644);
		close(fd);
	}
	mkdirat(dfd, "subdir", 0755);
	mkdirat(dfd, "subdir/nested", 0755);
	symlinkat("file-000-even-with-a-longer-name", dfd, "link");
	list(dir);

	struct dirent **nl;
	int n = scandir(dir, &nl, NULL, alphasort);
	printf("scandir: %d first=%s last=%s\n", n, nl[0]->d_name, nl[n - 1]->d_name);
	for (int i = 0; i < n; i++)
		free(nl[i]);
	free(nl);

	/* raw getdents64 with a small buffer: many calls */
	int raw = open(dir, O_RDONLY | O_DIRECTORY);
	char buf[512];
	int calls = 0, total = 0;
	uint32_t h = 0;
	for (;;) {
		long r = syscall(SYS_getdents64, raw, buf, sizeof buf);
		if (r <= 0)
			break;
		calls++;
		for (long off = 0; off < r;) {
			struct {
				uint64_t ino;
				int64_t off;
				unsigned short reclen;
				unsigned char type;
				char name[];
			} *de = (void *)(buf + off);
			h += gt_fnv(de->name, strlen(de->name)); /* order independent */
			total++;
			off += de->reclen;
		}
	}
	close(raw);
	printf("getdents64: entries=%d multiple calls=%s name hash=%08x\n", total, calls > 1 ? "yes" : "no", h);

	/* chdir and relative paths */
	char cwd[4096];
	getcwd(cwd, sizeof cwd);
	printf("chdir: %d\n", chdir(dir));
	printf("relative stat: %d\n", access("subdir/nested", F_OK));
	printf("chdir ..: %d\n", chdir("subdir/nested/../.."));
	char here[4096];
	getcwd(here, sizeof here);
	printf("getcwd is dir: %s\n", strcmp(here, dir) == 0 ? "yes" : "no");
	int sub = open("subdir", O_RDONLY | O_DIRECTORY);
	printf("fchdir: %d\n", fchdir(sub));
	close(sub);
	getcwd(here, sizeof here);
	printf("getcwd ends with /subdir: %s\n", strlen(here) > 7 && !strcmp(here + strlen(here) - 7, "/subdir") ? "yes" : "no");
	chdir(cwd);
	list(dir);

	/* cleanup */
	DIR *d = opendir(dir);
	struct dirent *e;
	int removed = 0;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && strcmp(e->d_name, "subdir"))
			removed += unlinkat(dfd, e->d_name, 0) == 0;
	closedir(d);
	printf("removed %d\n", removed);
	int rc = unlinkat(dfd, "subdir", AT_REMOVEDIR);
	printf("remove non-empty subdir: %d errno=%s\n", rc, errno == ENOTEMPTY || errno == EEXIST ? "ENOTEMPTY" : "?");
	printf("rmdir nested: %d\n", unlinkat(dfd, "subdir/nested", AT_REMOVEDIR));
	printf("rmdir subdir: %d\n", unlinkat(dfd, "subdir", AT_REMOVEDIR));
	close(dfd);
	printf("rmdir: %d\n", rmdir(dir));
	return 0;
}
