// Credentials: setresuid/setresgid to other ids and back, setreuid's saved
// id rule, setuid/setgid, setgroups/getgroups, setfsuid/setfsgid (their
// "previous id" results and the no-change rules), the errors (EINVAL for
// -1 ids and a too-large group list, EFAULT, EPERM once privilege is
// dropped, in a child), with a second thread (glibc's SIGSETXID broadcast:
// the thread sees the new ids), and on i386 the 16-bit original calls
// (0xffff as "unchanged", ids above 65535 read back as 65534). The expected
// run is as root; unprivileged, the same calls print their EPERMs.
// gemu-test: cflags=-pthread
#include "gt.h"
#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/fsuid.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *err(long r)
{
	if (r == 0)
		return "0";
	if (r > 0)
		return "positive";
	switch (errno) {
	case EPERM:
		return "EPERM";
	case EINVAL:
		return "EINVAL";
	case EFAULT:
		return "EFAULT";
	}
	return "other error";
}

static void ids(const char *tag)
{
	uid_t r, e, s;
	gid_t gr, ge, gs;
	getresuid(&r, &e, &s);
	getresgid(&gr, &ge, &gs);
	int fsu = setfsuid(-1), fsg = setfsgid(-1);
	printf("%-22s uid %u %u %u  gid %u %u %u  fs %d %d  getuid %u geteuid %u getgid %u getegid %u\n", tag, r, e, s,
	       gr, ge, gs, fsu, fsg, getuid(), geteuid(), getgid(), getegid());
}

static void groups(const char *tag)
{
	gid_t g[64];
	int n = getgroups(64, g);
	printf("%-22s getgroups=%d:", tag, n);
	for (int i = 0; i < n; i++)
		printf(" %u", g[i]);
	printf("\n");
}

#define T(call) printf("%-40s -> %s\n", #call, err(call))

static void unprivileged_child(void)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		T(setreuid(-1, 3000));
		ids("child setreuid(-1,3000)");
		T(setresuid(0, 0, 0));
		T(setresgid(1000, 1000, 1000));
		T(setgroups(0, NULL));
		T(setuid(50));
		ids("child setuid(50)");
		T(setuid(0));
		T(setgid(0));
		T(setresuid(-1, 0, -1));
		T(setreuid(0, -1));
		T(setgroups(0, NULL));
		T(setuid(1000));
		printf("setfsuid(0) (not allowed) -> %d\n", setfsuid(0));
		ids("child after");
		fflush(stdout);
		_exit(3);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("child exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

static atomic_int phase;

static void *thread_ids(void *arg)
{
	(void)arg;
	while (atomic_load(&phase) != 1)
		usleep(1000);
	printf("thread sees euid %ld egid %ld\n", syscall(SYS_geteuid), syscall(SYS_getegid));
	fflush(stdout);
	atomic_store(&phase, 2);
	while (atomic_load(&phase) != 3)
		usleep(1000);
	printf("thread sees euid %ld egid %ld\n", syscall(SYS_geteuid), syscall(SYS_getegid));
	return NULL;
}

static void with_thread(void)
{
	pthread_t th;
	pthread_create(&th, NULL, thread_ids, NULL);
	T(setresgid(0, 300, 0));
	T(setresuid(0, 400, 0));
	atomic_store(&phase, 1);
	while (atomic_load(&phase) != 2)
		usleep(1000);
	T(setresuid(0, 0, 0));
	T(setresgid(0, 0, 0));
	atomic_store(&phase, 3);
	pthread_join(th, NULL);
	ids("after thread");
}

int main(void)
{
	gid_t saved[256];
	int nsaved = getgroups(256, saved);
	printf("is root: %s\n", geteuid() == 0 ? "yes" : "no");
	ids("start");

	T(setresgid(100, 200, 0));
	T(setresuid(1000, 2000, 0));
	ids("after setres*id");
	gid_t five = 5;
	T(setgroups(1, &five));
	T(setuid(-1));
	T(setgid(-1));
	T(setresuid(-1, -1, -1));
	printf("setfsuid(3000) -> %d\n", setfsuid(3000));
	printf("setfsuid(1000) -> %d\n", setfsuid(1000));
	printf("setfsgid(100) -> %d\n", setfsgid(100));
	ids("after setfs*id");
	T(setresuid(0, 0, 0));
	T(setresgid(0, 0, 0));
	ids("back");

	gid_t three[3] = {5, 6, 70000};
	T(setgroups(3, three));
	groups("three groups");
	gid_t one[1];
	T(getgroups(1, one));
	printf("getgroups(0) -> %d\n", getgroups(0, NULL));
	gid_t bad = (gid_t)-1;
	T(setgroups(1, &bad));
	T(setgroups(65537, three));
	T(syscall(SYS_setgroups, 2, (void *)8));
	T(setgroups(0, NULL));
	groups("no groups");

	T(setreuid(1000, -1));
	ids("setreuid(1000,-1)");
	T(setreuid(0, 0));
	ids("setreuid(0,0)");
	T(setregid(7, 8));
	ids("setregid(7,8)");
	T(setuid(0));
	T(setgid(0));
	T(setresuid(0, 0, 0));
	T(setresgid(0, 0, 0));
	ids("back again");
	unprivileged_child();
	with_thread();

#ifdef __i386__
	/* The original 16-bit calls: SYS_setresuid etc. are those on i386. */
	T(syscall(SYS_setresgid, 0x1ffff, 4321, 0xffff));
	T(syscall(SYS_setresuid, 0xffff, 1234, 0xffff));
	ids("16-bit setres*id");
	unsigned short r16[3], g16[3];
	T(syscall(SYS_getresuid, &r16[0], &r16[1], &r16[2]));
	T(syscall(SYS_getresgid, &g16[0], &g16[1], &g16[2]));
	printf("getresuid16 %u %u %u getresgid16 %u %u %u\n", r16[0], r16[1], r16[2], g16[0], g16[1], g16[2]);
	T(syscall(SYS_setreuid, 0, 0));
	T(syscall(SYS_setregid, 0xffff, 0));
	T(setresgid(70002, 70003, 0));
	T(setresuid(70000, 70001, 0));
	printf("16-bit getuid %ld geteuid %ld getgid %ld getegid %ld\n", syscall(SYS_getuid), syscall(SYS_geteuid),
	       syscall(SYS_getgid), syscall(SYS_getegid));
	T(syscall(SYS_getresuid, &r16[0], &r16[1], &r16[2]));
	printf("getresuid16 %u %u %u\n", r16[0], r16[1], r16[2]);
	T(setresuid(0, 0, 0));
	T(setresgid(0, 0, 0));
	unsigned short gl[3] = {5, 0xffff, 9};
	T(syscall(SYS_setgroups, 3, gl));
	gl[1] = 6;
	T(syscall(SYS_setgroups, 3, gl));
	groups("16-bit setgroups");
	gid_t big[2] = {70000, 11};
	T(setgroups(2, big));
	unsigned short g2[4];
	long n = syscall(SYS_getgroups, 4, g2);
	printf("getgroups16 %ld: %u %u\n", n, g2[0], g2[1]);
	printf("setfsuid16(5) -> %ld\n", syscall(SYS_setfsuid, 5));
	printf("setfsuid32(70005) -> %ld\n", syscall(SYS_setfsuid32, 70005));
	printf("setfsuid16(0) -> %ld\n", syscall(SYS_setfsuid, 0));
	printf("setfsgid16(7) -> %ld\n", syscall(SYS_setfsgid, 7));
	printf("setfsgid16(0) -> %ld\n", syscall(SYS_setfsgid, 0));
	T(syscall(SYS_setuid, 0));
	T(syscall(SYS_setgid, 0));
	ids("16-bit back");
#endif
	T(setgroups(nsaved > 0 ? nsaved : 0, saved));
	return 0;
}
