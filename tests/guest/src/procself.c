// /proc/self describes the process itself: /proc/self/mem reads and writes
// its memory (a read-only global and code too, unmapped addresses EIO,
// short reads at the end of a mapping) through the /proc/self,
// /proc/PID and /proc/thread-self forms; maps and smaps list its
// mappings; auxv, cmdline, environ, comm and stat match what the process
// knows of itself, and status shows its name, threads and signal sets;
// /proc/self/task lists its threads; pthread_getattr_np finds the main
// thread's stack.
// gemu-test: pie=1 dyn=1 arg=one arg="two words" arg=
#define _FILE_OFFSET_BITS 64
#include "gt.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

extern char **environ;
int main(int argc, char **argv);

volatile int global = 0x12345678;
static const int ro_global = 111;

static __attribute__((noinline)) int one(void) { return 1; }
static int (*volatile one_ptr)(void) = one;

static const char *err(long r)
{
	if (r >= 0)
		return "ok";
	switch (errno) {
	case EIO: return "EIO";
	case EFAULT: return "EFAULT";
	case EINVAL: return "EINVAL";
	case EBADF: return "EBADF";
	case ENOENT: return "ENOENT";
	}
	return "other";
}

static off_t at(const volatile void *p) { return (off_t)(uintptr_t)p; }

/* read a whole file into a malloc'd NUL-terminated buffer */
static char *slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	size_t cap = 4096, n = 0;
	char *b = malloc(cap + 1);
	for (;;) {
		if (n == cap)
			b = realloc(b, (cap *= 2) + 1);
		ssize_t r = read(fd, b + n, cap - n);
		if (r <= 0)
			break;
		n += r;
	}
	close(fd);
	b[n] = 0;
	if (len)
		*len = n;
	return b;
}

static void mem_tests(const char *label, const char *path, int nv)
{
	printf("%s:\n", label);
	int fd = open(path, O_RDWR);
	if (fd < 0) {
		printf("  open failed: %s\n", err(fd));
		return;
	}
	int v = 0;
	long r = pread(fd, &v, sizeof v, at(&global));
	printf("  read global: %ld equal: %s\n", r, v == global ? "yes" : "no");

	r = pwrite(fd, &nv, sizeof nv, at(&ro_global));
	printf("  write read-only global: %ld now equal: %s\n", r, *(volatile const int *)&ro_global == nv ? "yes" : "no");

	global = 5;
	r = pwrite(fd, &nv, sizeof nv, at(&global));
	printf("  write global: %ld global==new: %s\n", r, global == nv ? "yes" : "no");

	/* patch one() to return 2: mov $2, %eax; ret (after endbr, if any) */
	int before = one_ptr();
	unsigned char code[6] = {0xb8, 0x02, 0, 0, 0, 0xc3};
	r = pwrite(fd, code, sizeof code, at((void *)one));
	int after = one_ptr();
	code[1] = 1;
	pwrite(fd, code, sizeof code, at((void *)one));
	printf("  patch code: %ld before=%d after=%d restored=%d\n", r, before, after, one_ptr());

	long pg = sysconf(_SC_PAGESIZE);
	char *m = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(m, 'x', 2 * pg);
	munmap(m + pg, pg);
	errno = 0;
	r = pread(fd, &v, sizeof v, at(m + pg));
	printf("  read unmapped: %s\n", err(r));
	r = pwrite(fd, &v, sizeof v, at(m + pg));
	printf("  write unmapped: %s\n", err(r));
	char *buf = malloc(2 * pg);
	r = pread(fd, buf, 2 * pg, at(m + pg - 100));
	printf("  read across the end: %ld bytes, all x: %s\n", r, r == 100 && buf[0] == 'x' && buf[99] == 'x' ? "yes" : "no");
	mprotect(m, pg, PROT_NONE);
	r = pread(fd, buf, 8, at(m));
	printf("  read PROT_NONE page: %ld\n", r);
	munmap(m, pg);

	/* lseek and read/write, a dup sharing the offset, readv */
	off_t o = lseek(fd, at(&global), SEEK_SET);
	printf("  lseek returns the address: %s\n", o == at(&global) ? "yes" : "no");
	int dfd = dup(fd);
	r = read(dfd, &v, sizeof v);
	printf("  read via dup: %ld equal: %s offset shared: %s\n", r, v == global ? "yes" : "no",
	       lseek(fd, 0, SEEK_CUR) == at(&global) + 4 ? "yes" : "no");
	lseek(fd, -4, SEEK_CUR);
	int w = 0x0badf00d;
	r = write(fd, &w, sizeof w);
	printf("  write: %ld global==0x0badf00d: %s\n", r, global == 0x0badf00d ? "yes" : "no");
	unsigned short h[2] = {0, 0};
	struct iovec iov[2] = {{&h[0], 2}, {&h[1], 2}};
	lseek(dfd, at(&global), SEEK_SET);
	r = readv(fd, iov, 2);
	printf("  readv: %ld halves: %s\n", r, h[0] == 0xf00d && h[1] == 0x0bad ? "yes" : "no");
	printf("  lseek SEEK_END: %s\n", err(lseek(fd, 0, SEEK_END)));
	close(dfd);

	struct stat st;
	fstat(fd, &st);
	printf("  fstat: regular %s size %lld mode %o\n", S_ISREG(st.st_mode) ? "yes" : "no", (long long)st.st_size,
	       (unsigned)(st.st_mode & 0777));
	close(fd);

	fd = open(path, O_RDONLY);
	printf("  write to a read-only descriptor: %s\n", err(pwrite(fd, &v, sizeof v, at(&global))));
	close(fd);

	/* Where gemu's own code would be (0x401000), if the process has
	 * nothing there: 4 KiB of int3 must not land anywhere. */
	void *gemu_text = (void *)0x401000;
	if (msync(gemu_text, 4096, MS_ASYNC) != 0 && errno == ENOMEM) {
		fd = open(path, O_RDWR);
		memset(buf, 0xcc, 4096);
		r = pwrite(fd, buf, 4096, at(gemu_text));
		printf("  write 4 KiB at 0x401000 (unmapped here): %s\n", err(r));
		close(fd);
	} else {
		printf("  write 4 KiB at 0x401000 (unmapped here): EIO\n");
	}
	free(buf);
	global = 0x12345678;
}

/* the maps line holding address a, or NULL */
static char *maps_line(char *maps, const void *a, char *out, size_t n)
{
	for (char *l = maps; *l;) {
		char *e = strchr(l, '\n');
		size_t len = e ? (size_t)(e - l) : strlen(l);
		unsigned long long s, t;
		if (sscanf(l, "%llx-%llx", &s, &t) == 2 && (uintptr_t)a >= s && (uintptr_t)a < t) {
			snprintf(out, n, "%.*s", (int)len, l);
			return out;
		}
		l += len + (e ? 1 : 0);
	}
	return NULL;
}

static const char *perms(const char *line)
{
	static char p[5];
	sscanf(line, "%*s %4s", p);
	return p;
}

static void maps_tests(void)
{
	size_t n;
	char *maps = slurp("/proc/self/maps", &n);
	char line[512], exe[512];
	ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
	exe[k > 0 ? k : 0] = 0;
	printf("maps:\n");
	printf("  global's line perms: %s\n", maps_line(maps, (void *)&global, line, sizeof line) ? perms(line) : "none");
	printf("  read-only global's line perms: %s\n",
	       maps_line(maps, &ro_global, line, sizeof line) ? perms(line) : "none");
	int in_exe = maps_line(maps, (void *)main, line, sizeof line) && strstr(line, exe) != NULL;
	if (!in_exe)
		strcpy(line, "none");
	printf("  main's line perms: %s, names the executable: %s\n", perms(line), in_exe ? "yes" : "no");
	int local;
	int is_stack = maps_line(maps, &local, line, sizeof line) && strstr(line, "[stack]");
	printf("  local's line is [stack]: %s, perms %s\n", is_stack ? "yes" : "no", perms(line));
	printf("  [vdso] present: %s\n", strstr(maps, "[vdso]") ? "yes" : "no");
	char *p = malloc(100);
	free(maps);
	maps = slurp("/proc/self/maps", &n);
	int heap = maps_line(maps, p, line, sizeof line) != NULL;
	printf("  malloc'd block mapped: %s, rw-p: %s\n", heap ? "yes" : "no", heap && !strcmp(perms(line), "rw-p") ? "yes" : "no");
	free(p);
	/* names start at column 73 */
	int cols_ok = 1, named = 0;
	for (char *l = maps; *l;) {
		char *e = strchr(l, '\n');
		if (!e)
			break;
		if (e - l > 73 && (l[73] == '/' || l[73] == '[')) {
			named++;
			if (l[72] != ' ' || l[71] != ' ')
				cols_ok = 0;
		}
		l = e + 1;
	}
	printf("  names at column 73: %s (some: %s)\n", cols_ok ? "yes" : "no", named > 2 ? "yes" : "no");
	/* a file mapping shows the file, its offset and inode */
	int fd = open(exe, O_RDONLY);
	struct stat st;
	fstat(fd, &st);
	long pg = sysconf(_SC_PAGESIZE);
	char *fm = mmap(NULL, pg, PROT_READ, MAP_PRIVATE, fd, pg);
	close(fd);
	free(maps);
	maps = slurp("/proc/self/maps", &n);
	unsigned long long s, t, off, ino;
	char pr[5], dev[16], name[400] = "";
	if (fm != MAP_FAILED && maps_line(maps, fm, line, sizeof line) &&
	    sscanf(line, "%llx-%llx %4s %llx %15s %llu %399s", &s, &t, pr, &off, dev, &ino, name) == 7)
		printf("  file mapping: %s offset==page: %s inode matches: %s name matches: %s\n", pr,
		       off == (unsigned long long)pg ? "yes" : "no", ino == (unsigned long long)st.st_ino ? "yes" : "no",
		       !strcmp(name, exe) ? "yes" : "no");
	else
		printf("  file mapping: not found\n");
	munmap(fm, pg);
	free(maps);

	char *smaps = slurp("/proc/self/smaps", &n);
	int headers = 0, vmflags = 0, sizes = 0;
	for (char *l = smaps; *l;) {
		char *e = strchr(l, '\n');
		if (!e)
			break;
		unsigned long long a, b;
		char c;
		if (sscanf(l, "%llx-%llx %c", &a, &b, &c) == 3)
			headers++;
		if (!strncmp(l, "VmFlags:", 8))
			vmflags++;
		if (!strncmp(l, "Size:", 5))
			sizes++;
		l = e + 1;
	}
	printf("smaps: one Size and VmFlags per mapping: %s\n", headers > 3 && headers == vmflags && headers == sizes ? "yes" : "no");
	char *sl = strstr(smaps, "[stack]");
	char *vf = sl ? strstr(sl, "VmFlags:") : NULL;
	char flags[128] = "";
	if (vf)
		sscanf(vf, "VmFlags: %127[^\n]", flags);
	printf("smaps: [stack] VmFlags: %s\n", flags);
	free(smaps);
}

static void auxv_tests(void)
{
	size_t n;
	unsigned long *a = (unsigned long *)slurp("/proc/self/auxv", &n);
	printf("auxv: %s a multiple of two words, ends with AT_NULL: %s\n", n % (2 * sizeof(long)) ? "not" : "is",
	       n >= 2 * sizeof(long) && a[n / sizeof(long) - 2] == AT_NULL ? "yes" : "no");
	unsigned long types[] = {AT_PAGESZ, AT_ENTRY, AT_PHDR, AT_PHNUM, AT_BASE, AT_RANDOM, AT_EXECFN, AT_UID, AT_SYSINFO_EHDR};
	const char *names[] = {"PAGESZ", "ENTRY", "PHDR", "PHNUM", "BASE", "RANDOM", "EXECFN", "UID", "SYSINFO_EHDR"};
	for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
		int found = 0, eq = 0;
		for (size_t j = 0; j + 1 < n / sizeof(long); j += 2)
			if (a[j] == types[i]) {
				found = 1;
				eq = a[j + 1] == getauxval(types[i]);
			}
		printf("  AT_%s: %s\n", names[i], !found ? "missing" : eq ? "equals getauxval" : "differs");
	}
	free(a);
}

static void cmdline_tests(int argc, char **argv)
{
	size_t n, want = 0;
	char *c = slurp("/proc/self/cmdline", &n);
	for (int i = 0; i < argc; i++)
		want += strlen(argv[i]) + 1;
	int eq = n == want;
	for (size_t o = 0, i = 0; eq && i < (size_t)argc; o += strlen(argv[i]) + 1, i++)
		eq = !strcmp(c + o, argv[i]);
	printf("cmdline: %zu bytes for %d args, equals argv: %s\n", n - strlen(argv[0]), argc, eq ? "yes" : "no");
	free(c);
	c = slurp("/proc/self/environ", &n);
	want = 0;
	eq = 1;
	size_t o = 0;
	for (char **e = environ; *e; e++) {
		eq = eq && o < n && !strcmp(c + o, *e);
		o += strlen(*e) + 1;
	}
	printf("environ: equals environ: %s\n", eq && o == n ? "yes" : "no");
	free(c);
}

static void comm_stat_tests(const char *argv0)
{
	char *c = slurp("/proc/self/comm", NULL);
	const char *base = strrchr(argv0, '/') ? strrchr(argv0, '/') + 1 : argv0;
	printf("comm is the program's file name (at most 15 bytes): %s\n",
	       strlen(c) == strnlen(base, 15) + 1 && !strncmp(c, base, strnlen(base, 15)) ? "yes" : "no");
	char name[16] = "";
	prctl(PR_GET_NAME, name);
	printf("comm == PR_GET_NAME + newline: %s\n", strlen(c) == strlen(name) + 1 && !strncmp(c, name, strlen(name)) ? "yes" : "no");
	free(c);
	prctl(PR_SET_NAME, "renamed-by-prctl-long");
	c = slurp("/proc/self/comm", NULL);
	printf("comm after PR_SET_NAME: %s", c);
	free(c);
	int fd = open("/proc/self/comm", O_WRONLY);
	long r = write(fd, "via-proc-comm-file-long", 23);
	close(fd);
	prctl(PR_GET_NAME, name);
	printf("write to comm: %ld, PR_GET_NAME now: %s\n", r, name);
	c = slurp("/proc/thread-self/comm", NULL);
	printf("thread-self/comm: %s", c);
	free(c);
	char path[64];
	snprintf(path, sizeof path, "/proc/self/task/%d/comm", (int)gettid());
	c = slurp(path, NULL);
	printf("task/TID/comm: %s", c ? c : "missing\n");
	free(c);

	c = slurp("/proc/self/stat", NULL);
	char *rp = strrchr(c, ')');
	int pid = atoi(c);
	printf("stat: comm: %.*s\n", (int)(rp - strchr(c, '(') + 1), strchr(c, '('));
	char state = 0;
	unsigned long long f[53] = {0};
	int nf = 2;
	for (char *tok = strtok(rp + 2, " \n"); tok && nf < 52; tok = strtok(NULL, " \n")) {
		if (++nf == 3)
			state = tok[0];
		else
			f[nf] = strtoull(tok, NULL, 10);
	}
	int ppid = (int)f[4], pgrp = (int)f[5];
	long nthreads = (long)f[20];
	int got = nf;
	printf("stat: pid ok: %s state: %c ppid ok: %s pgrp ok: %s threads: %ld fields: %d\n",
	       pid == getpid() ? "yes" : "no", state,
	       ppid == getppid() ? "yes" : "no", pgrp == getpgrp() ? "yes" : "no", nthreads, got);
	char *maps = slurp("/proc/self/maps", NULL), line[512];
	int in_stack = maps_line(maps, (void *)(uintptr_t)f[28], line, sizeof line) && strstr(line, "[stack]");
	printf("stat: startstack in [stack]: %s\n", in_stack ? "yes" : "no");
	printf("stat: startcode <= main < endcode: %s\n",
	       f[26] <= (uintptr_t)main && (uintptr_t)main < f[27] ? "yes" : "no");
	printf("stat: arg_start..arg_end is argv: %s\n", f[48] < f[49] && f[49] <= f[50] ? "yes" : "no");
	free(maps);
	free(c);
	snprintf(path, sizeof path, "/proc/%d/stat", (int)getpid());
	c = slurp(path, NULL);
	rp = strrchr(c, ')');
	printf("/proc/PID/stat names the process: %s\n", rp && strstr(c, "(via-proc-comm-") ? "yes" : "no");
	free(c);
}

static void status_tests(void)
{
	signal(SIGUSR1, (void (*)(int))one);
	signal(SIGUSR2, SIG_IGN);
	sigset_t m;
	sigemptyset(&m);
	sigaddset(&m, SIGHUP);
	sigprocmask(SIG_BLOCK, &m, NULL);
	char *c = slurp("/proc/self/status", NULL);
	const char *keys[] = {"Name:", "State:", "Threads:", "SigBlk:", "SigIgn:", "SigCgt:"};
	for (char *l = c; *l;) {
		char *e = strchr(l, '\n');
		if (!e)
			break;
		for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
			if (!strncmp(l, keys[i], strlen(keys[i])))
				printf("status: %.*s\n", (int)(e - l), l);
		if (!strncmp(l, "Pid:", 4))
			printf("status: Pid is getpid: %s\n", atoi(l + 5) == getpid() ? "yes" : "no");
		l = e + 1;
	}
	free(c);
	sigprocmask(SIG_UNBLOCK, &m, NULL);
	signal(SIGUSR1, SIG_DFL);
	signal(SIGUSR2, SIG_DFL);
}

static void stack_tests(void)
{
	pthread_attr_t at;
	int local = 0;
	void *addr;
	size_t size;
	int r = pthread_getattr_np(pthread_self(), &at);
	if (r == 0) {
		pthread_attr_getstack(&at, &addr, &size);
		printf("pthread_getattr_np: 0, stack holds a local: %s, size > 64 KiB: %s\n",
		       (char *)&local >= (char *)addr && (char *)&local < (char *)addr + size ? "yes" : "no",
		       size > 65536 ? "yes" : "no");
		pthread_attr_destroy(&at);
	} else {
		printf("pthread_getattr_np: %d\n", r);
	}
}

/* entries of /proc/self/task: one per thread */
static int count_tasks(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;
	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

/* a second thread: /proc/thread-self is its own directory */
static void *thread_main(void *arg)
{
	(void)arg;
	char *c = slurp("/proc/thread-self/stat", NULL), path[64];
	char *rp = strrchr(c, ')');
	int tid = atoi(c), n = 2;
	long threads = -1;
	for (char *tok = strtok(rp + 2, " \n"); tok; tok = strtok(NULL, " \n"))
		if (++n == 20)
			threads = atol(tok);
	printf("thread: thread-self/stat pid field is its tid: %s, threads: %ld\n", tid == (int)gettid() ? "yes" : "no", threads);
	free(c);
	snprintf(path, sizeof path, "/proc/self/task/%d/mem", (int)gettid());
	int fd = open(path, O_RDONLY), v = 0;
	long r = pread(fd, &v, sizeof v, at(&global));
	printf("thread: task/TID/mem reads global: %ld %s\n", r, v == global ? "yes" : "no");
	printf("thread: /proc/self/task entries: %d\n", count_tasks());
	close(fd);
	return NULL;
}

int main(int argc, char **argv)
{
	char path[64];
	printf("one() = %d\n", one_ptr());
	mem_tests("/proc/self/mem", "/proc/self/mem", 222);
	snprintf(path, sizeof path, "/proc/%d/mem", (int)getpid());
	mem_tests("/proc/PID/mem", path, 333);
	mem_tests("/proc/thread-self/mem", "/proc/thread-self/mem", 444);
	snprintf(path, sizeof path, "/proc/self/task/%d/mem", (int)gettid());
	mem_tests("/proc/self/task/TID/mem", path, 555);
	maps_tests();
	auxv_tests();
	cmdline_tests(argc, argv);
	comm_stat_tests(argv[0]);
	stack_tests();
	status_tests();
	printf("/proc/self/task entries: %d\n", count_tasks());
	pthread_t th;
	pthread_create(&th, NULL, thread_main, NULL);
	pthread_join(th, NULL);
	return 0;
}
