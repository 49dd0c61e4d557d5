// Process/system information: uname sysname and machine, getpid stability,
// getppid, getuid family consistency, getcwd == $PWD, umask, sysconf values,
// resource limits (get/set), prctl name, sched_getcpu/affinity sanity,
// getrandom (length only), /proc/self/stat readable.
#include "gt.h"
#include <errno.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

int main(void)
{
	struct utsname u;
	printf("uname: %d sysname=%s\n", uname(&u), u.sysname);
#ifdef __x86_64__
	printf("machine is x86_64: %s\n", !strcmp(u.machine, "x86_64") ? "yes" : "no");
#else
	/* a 32-bit process on a 64-bit kernel still sees x86_64 unless personality says otherwise */
	printf("machine is x86: %s\n", (!strcmp(u.machine, "x86_64") || (u.machine[0] == 'i' && !strcmp(u.machine + 2, "86"))) ? "yes" : "no");
#endif
	pid_t p = getpid();
	printf("getpid()==getpid(): %s\n", p == getpid() ? "yes" : "no");
	printf("syscall getpid matches: %s\n", p == (pid_t)syscall(SYS_getpid) ? "yes" : "no");
	printf("gettid()==getpid() in main thread: %s\n", (pid_t)syscall(SYS_gettid) == p ? "yes" : "no");
	printf("getppid>0: %s\n", getppid() > 0 ? "yes" : "no");
	printf("uid==euid: %s gid==egid: %s\n", getuid() == geteuid() ? "yes" : "no", getgid() == getegid() ? "yes" : "no");
	char cwd[4096];
	const char *pwd = getenv("PWD");
	printf("getcwd: %s\n", getcwd(cwd, sizeof cwd) ? "ok" : "failed");
	printf("getcwd equals $PWD: %s\n", pwd && !strcmp(cwd, pwd) ? "yes" : "no");
	char small[2];
	char *gr = getcwd(small, sizeof small);
	printf("getcwd tiny buffer: %s errno=%s\n", gr ? "ok" : "NULL", errno == ERANGE ? "ERANGE" : "?");
	mode_t old = umask(027);
	printf("umask set/get: %03o\n", umask(old));
	printf("sysconf pagesize=%ld clk_tck=%ld nprocs>0: %s open_max>=64: %s\n", sysconf(_SC_PAGESIZE), sysconf(_SC_CLK_TCK),
	       sysconf(_SC_NPROCESSORS_ONLN) > 0 ? "yes" : "no", sysconf(_SC_OPEN_MAX) >= 64 ? "yes" : "no");
	struct rlimit rl;
	int rc = getrlimit(RLIMIT_NOFILE, &rl);
	printf("getrlimit NOFILE: %d cur<=max: %s\n", rc, rl.rlim_cur <= rl.rlim_max ? "yes" : "no");
	struct rlimit nr = {64, rl.rlim_max};
	printf("setrlimit NOFILE 64: %d\n", setrlimit(RLIMIT_NOFILE, &nr));
	getrlimit(RLIMIT_NOFILE, &rl);
	printf("now: %lu\n", (unsigned long)rl.rlim_cur);
	printf("getrlimit STACK: %d\n", getrlimit(RLIMIT_STACK, &rl));
	char name[17] = {0};
	prctl(PR_SET_NAME, "gemu-guest-test");
	prctl(PR_GET_NAME, name);
	printf("prctl name: %s\n", name);
	unsigned char rnd[64];
	printf("getrandom: %zd\n", getrandom(rnd, sizeof rnd, 0));
	cpu_set_t set;
	CPU_ZERO(&set);
	rc = sched_getaffinity(0, sizeof set, &set);
	printf("sched_getaffinity: %d nonempty: %s\n", rc, CPU_COUNT(&set) > 0 ? "yes" : "no");
	printf("sched_yield: %d\n", sched_yield());
	FILE *f = fopen("/proc/self/stat", "r");
	int pid_in_stat = 0;
	if (f) {
		fscanf(f, "%d", &pid_in_stat);
		fclose(f);
	}
	printf("/proc/self/stat pid matches: %s\n", pid_in_stat == p ? "yes" : "no");
	printf("isatty(0): %d\n", isatty(0));
	rc = gethostname(name, sizeof name);
	printf("hostname: %s\n", rc == 0 || errno == ENAMETOOLONG ? "ok" : "failed");
	return 0;
}
