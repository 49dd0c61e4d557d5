// System V shared memory: shmget (IPC_PRIVATE and keyed, IPC_CREAT,
// IPC_EXCL, errors), shmat (chosen and given addresses, SHM_RND,
// SHM_RDONLY, misaligned, overlapping), two attachments of one segment
// in the same process (a store through one is seen through the other),
// sharing with a forked child (both ways, and after IPC_RMID), shmctl
// IPC_STAT/IPC_SET/IPC_RMID, shmdt (and its errors), munmap of an
// attachment, mprotect of a read-only one, /proc/self/maps lines (i386's
// glibc reaches the kernel through the ipc multiplexer; shm_ipc calls it
// directly). No ids, keys, pids or times are printed.
#include "gt.h"
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PG 4096

static sigjmp_buf env;
static volatile int sig, code;

static void handler(int s, siginfo_t *si, void *uc)
{
	(void)uc;
	sig = s;
	code = si->si_code;
	siglongjmp(env, 1);
}

/* "ok" or "-1 ERRNO"; eight results may be used in one printf, whose
 * arguments must not have side effects on each other (their order of
 * evaluation is unspecified): call first, print after. */
static const char *err(long r)
{
	static char b[8][64];
	static int i;
	char *s = b[i++ % 8];
	if (r != -1) {
		snprintf(s, 64, "ok");
	} else {
		snprintf(s, 64, "-1 %s", strerrorname_np(errno));
	}
	return s;
}

static void stat_line(const char *what, int id, key_t key)
{
	struct shmid_ds ds;
	memset(&ds, 0x55, sizeof ds);
	int r = shmctl(id, IPC_STAT, &ds);
	if (r != 0) {
		printf("%s: IPC_STAT %s\n", what, err(r));
		return;
	}
	time_t now = time(0);
	printf("%s: key ok %d, size %zu, mode %04o, uid ok %d, gid ok %d, cuid ok %d, cpid self %d, nattch %lu, "
	       "atime %s, dtime %s, ctime ok %d\n",
	       what, ds.shm_perm.__key == key, (size_t)ds.shm_segsz, ds.shm_perm.mode & 0777,
	       ds.shm_perm.uid == geteuid(), ds.shm_perm.gid == getegid(), ds.shm_perm.cuid == geteuid(),
	       ds.shm_cpid == getpid(), (unsigned long)ds.shm_nattch,
	       ds.shm_atime == 0 ? "0" : ds.shm_atime >= now - 5 && ds.shm_atime <= now ? "now" : "other",
	       ds.shm_dtime == 0 ? "0" : ds.shm_dtime >= now - 5 && ds.shm_dtime <= now ? "now" : "other",
	       ds.shm_ctime >= now - 5 && ds.shm_ctime <= now);
}

/* the maps line of the mapping holding p, without its addresses and inode */
static void maps_line(const char *what, void *p)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	unsigned long a = (unsigned long)p;
	while (f && fgets(line, sizeof line, f)) {
		unsigned long lo, hi, off, ino;
		char perm[8], dev[16], name[256] = "";
		if (sscanf(line, "%lx-%lx %7s %lx %15s %lu %255[^\n]", &lo, &hi, perm, &off, dev, &ino, name) >= 6 && a >= lo && a < hi) {
			char *n = name;
			while (*n == ' ') {
				n++;
			}
			/* the name holds the key, which is not printed */
			printf("%s: pages %lu, %s, offset %lx, dev %s, name %.5s..%s\n", what, (hi - lo) / PG, perm, off, dev, n,
			       strstr(n, " (deleted)") ? " (deleted)" : "");
		}
	}
	if (f) {
		fclose(f);
	}
}

static int try_read(volatile unsigned char *p)
{
	sig = 0;
	if (!sigsetjmp(env, 1)) {
		return *p;
	}
	return -sig;
}

static int try_write(volatile unsigned char *p, int v)
{
	sig = 0;
	if (!sigsetjmp(env, 1)) {
		*p = v;
		return 0;
	}
	return -sig;
}

static void basics(void)
{
	key_t key = 0x47000000 | (getpid() & 0xffffff);
	int id = shmget(IPC_PRIVATE, 10000, IPC_CREAT | 0600);
	printf("shmget private: %s\n", err(id));
	stat_line("fresh", id, IPC_PRIVATE);

	unsigned char *a = shmat(id, 0, 0);
	const char *ea = err(a == (void *)-1 ? -1 : 0);
	unsigned char *b = shmat(id, 0, 0);
	const char *eb = err(b == (void *)-1 ? -1 : 0);
	printf("two attachments: %s %s, differ %d, aligned %d\n", ea, eb, a != b, ((unsigned long)a & (PG - 1)) == 0);
	stat_line("attached twice", id, IPC_PRIVATE);
	printf("fresh contents zero: %d\n", a[0] == 0 && a[9999] == 0 && a[3 * PG - 1] == 0);
	strcpy((char *)a, "written through a");
	b[5000] = 'B';
	b[3 * PG - 1] = 'E'; /* past the size, inside the last page */
	printf("seen through b: \"%s\", through a: %c %c\n", b, a[5000], a[3 * PG - 1]);
	maps_line("maps a", a);
	maps_line("maps b", b + 2 * PG);

	/* a given address, SHM_RND, misaligned, overlapping */
	unsigned char *hole = mmap(0, 16 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(hole, 16 * PG);
	unsigned char *c = shmat(id, hole + 4 * PG, 0);
	printf("at a given address: %d, data \"%s\"\n", c == hole + 4 * PG, c);
	unsigned char *d = shmat(id, hole + 8 * PG + 123, SHM_RND);
	printf("SHM_RND: %d\n", d == hole + 8 * PG);
	printf("misaligned: %s\n", err(shmat(id, hole + 12 * PG + 1, 0) == (void *)-1 ? -1 : 0));
	printf("overlapping: %s\n", err(shmat(id, hole + 5 * PG, 0) == (void *)-1 ? -1 : 0));
	unsigned char *e = shmat(id, hole + 5 * PG, SHM_REMAP);
	printf("SHM_REMAP over an attachment: %d, data \"%s\"\n", e == hole + 5 * PG, e);
	stat_line("five attachments", id, IPC_PRIVATE);
	printf("shmdt c (partly covered): %s\n", err(shmdt(c)));
	printf("shmdt e: %s\n", err(shmdt(e)));
	printf("shmdt d: %s\n", err(shmdt(d)));
	printf("shmdt again: %s\n", err(shmdt(e)));
	printf("shmdt misaligned: %s\n", err(shmdt(a + 1)));
	printf("shmdt not at the start: %s\n", err(shmdt(a + PG)));
	stat_line("two left", id, IPC_PRIVATE);

	/* read-only */
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSEGV, &sa, 0);
	unsigned char *ro = shmat(id, 0, SHM_RDONLY);
	int rv = try_read(ro + 5000);
	printf("read-only: read %c\n", rv);
	rv = try_write(ro, 'x');
	printf("read-only: write %d (si_code %d)\n", rv, code);
	printf("mprotect write: %s\n", err(mprotect(ro, PG, PROT_READ | PROT_WRITE)));
	printf("mprotect exec: %s\n", err(mprotect(ro, PG, PROT_READ | PROT_EXEC)));
	maps_line("maps ro", ro);
	int pp[2];
	pipe(pp);
	write(pp[1], "z", 1);
	printf("read(2) into it: %s\n", err(read(pp[0], ro, 1)));
	close(pp[0]);
	close(pp[1]);
	shmdt(ro);

	/* munmap of an attachment counts as a detach */
	munmap(b, 3 * PG);
	stat_line("b unmapped", id, IPC_PRIVATE);
	rv = try_read(b);
	printf("after munmap, b reads: %d (si_code %d)\n", rv, code);

	/* IPC_SET */
	struct shmid_ds ds;
	shmctl(id, IPC_STAT, &ds);
	ds.shm_perm.mode = 0640;
	printf("IPC_SET: %s\n", err(shmctl(id, IPC_SET, &ds)));
	stat_line("after IPC_SET", id, IPC_PRIVATE);
	printf("IPC_STAT bad id: %s\n", err(shmctl(-1, IPC_STAT, &ds)));
#ifdef __x86_64__
	/* (i386's glibc converts the structure itself and faults) */
	printf("IPC_STAT bad pointer: %s\n", err(shmctl(id, IPC_STAT, (void *)8)));
#endif
	printf("bad cmd: %s\n", err(shmctl(id, 12345, &ds)));

	/* keyed */
	int k = shmget(key, 100, IPC_CREAT | IPC_EXCL | 0600);
	printf("keyed: %s\n", err(k));
	printf("again, IPC_EXCL: %s\n", err(shmget(key, 100, IPC_CREAT | IPC_EXCL | 0600)));
	printf("again: same id %d\n", shmget(key, 100, 0600) == k);
	printf("larger: %s\n", err(shmget(key, 2 * PG, 0600)));
	printf("missing key: %s\n", err(shmget(key + 1, 100, 0600)));
	printf("size 0 new: %s\n", err(shmget(IPC_PRIVATE, 0, IPC_CREAT | 0600)));
	stat_line("keyed", k, key);
	unsigned char *kp = shmat(k, 0, 0);
	maps_line("maps keyed", kp);
	printf("shmat bad id: %s\n", err(shmat(-1, 0, 0) == (void *)-1 ? -1 : 0));

	/* a forked child shares both segments */
	kp[0] = 1;
	pid_t pid = fork();
	if (pid == 0) {
		printf("child sees: \"%s\", keyed %d\n", a, kp[0]);
		strcpy((char *)a + 100, "from the child");
		kp[0] = 2;
		stat_line("child", id, IPC_PRIVATE);
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("parent sees: \"%s\", keyed %d\n", a + 100, kp[0]);
	stat_line("after the child", id, IPC_PRIVATE);

	/* removed while attached: still usable, also by a child */
	printf("IPC_RMID: %s\n", err(shmctl(id, IPC_RMID, 0)));
	stat_line("removed", id, IPC_PRIVATE);
	maps_line("maps removed", a);
	int p2c[2], c2p[2];
	pipe(p2c);
	pipe(c2p);
	pid = fork();
	if (pid == 0) {
		char x;
		read(p2c[0], &x, 1); /* the parent has detached meanwhile */
		printf("child of a removed segment sees: \"%s\"\n", a + 200);
		stat_line("child of a removed segment", id, IPC_PRIVATE);
		strcpy((char *)a + 300, "child wrote after the parent detached");
		fflush(stdout);
		_exit(0);
	}
	strcpy((char *)a + 200, "before the detach");
	printf("shmdt a: %s\n", err(shmdt(a)));
	write(p2c[1], "x", 1);
	waitpid(pid, &st, 0);
	printf("gone after the last detach: %s\n", err(shmctl(id, IPC_STAT, &ds)));
	shmdt(kp);
	shmctl(k, IPC_RMID, 0);
}

int main(void)
{
	setvbuf(stdout, 0, _IONBF, 0);
	basics();
	return 0;
}
