// Scheduling, priorities, capabilities, kcmp and namespaces (issue 15
// item 3), through the raw calls: sched_setaffinity and getaffinity
// reading it back (also for another thread), sched_get/setparam,
// sched_get/setscheduler (SCHED_BATCH, SCHED_IDLE, SCHED_FIFO as
// allowed), sched_get_priority_min/max, sched_rr_get_interval (and
// i386's _time64), sched_get/setattr (sizes, E2BIG with the kernel's size
// stored back), get/setpriority (the raw 20-nice result), i386's nice,
// ioprio_get/set, capget/capset (versions, the version stored back, a
// child dropping a capability), kcmp (files, dups, VM, epoll targets),
// unshare (no-op flags, CLONE_VM with and without a second thread) and
// setns; with their EINVAL/EFAULT/ESRCH/EBADF/EPERM paths.
#include "gt.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/kcmp.h>
#include <pthread.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BAD ((void *)16)

static void res(const char *what, long r)
{
	if (r < 0)
		printf("%s: -1 %s\n", what, strerrorname_np(errno));
	else
		printf("%s: %ld\n", what, r);
}

struct attr {
	uint32_t size, policy;
	uint64_t flags;
	int32_t nice;
	uint32_t prio;
	uint64_t runtime, deadline, period;
	uint32_t umin, umax;
	char pad[4096];
};

static pthread_barrier_t bar;
static volatile int stop, spin_tid;

static void *spin(void *arg)
{
	(void)arg;
	spin_tid = (int)syscall(SYS_gettid);
	pthread_barrier_wait(&bar);
	while (!stop)
		usleep(1000);
	return NULL;
}

static void affinity(void)
{
	unsigned char mask[128], got[128];
	memset(mask, 0, sizeof mask);
	long n = syscall(SYS_sched_getaffinity, 0, sizeof mask, mask);
	printf("getaffinity size multiple of long: %s\n", n > 0 && n % sizeof(long) == 0 ? "yes" : "no");
	int first = -1, count = 0;
	for (int i = 0; i < 8 * (int)sizeof mask; i++)
		if (mask[i / 8] >> (i % 8) & 1) {
			if (first < 0)
				first = i;
			count++;
		}
	printf("some cpu allowed: %s\n", first >= 0 ? "yes" : "no");
	unsigned char one[128];
	memset(one, 0, sizeof one);
	one[first / 8] = 1 << (first % 8);
	res("setaffinity to one cpu", syscall(SYS_sched_setaffinity, 0, sizeof one, one));
	memset(got, 0xff, sizeof got);
	syscall(SYS_sched_getaffinity, 0, sizeof got, got);
	printf("getaffinity reads it back: %s\n", !memcmp(got, one, n) ? "yes" : "no");
	printf("sched_getcpu is that cpu: %s\n", sched_getcpu() == first ? "yes" : "no");
	// A short mask (4 bytes) is zero-extended.
	res("setaffinity short mask", syscall(SYS_sched_setaffinity, 0, 4, one));
	res("setaffinity back", syscall(SYS_sched_setaffinity, 0, sizeof mask, mask));
	syscall(SYS_sched_getaffinity, 0, sizeof got, got);
	printf("restored: %s\n", !memcmp(got, mask, n) ? "yes" : "no");
	unsigned char none[128];
	memset(none, 0, sizeof none);
	res("setaffinity empty", syscall(SYS_sched_setaffinity, 0, sizeof none, none));
	res("setaffinity bad pointer", syscall(SYS_sched_setaffinity, 0, sizeof none, BAD));
	res("setaffinity bad pointer, no such pid", syscall(SYS_sched_setaffinity, 0x3fffffff, sizeof none, BAD));
	res("setaffinity no such pid", syscall(SYS_sched_setaffinity, 0x3fffffff, sizeof mask, mask));
	res("setaffinity pid -1", syscall(SYS_sched_setaffinity, -1, sizeof mask, mask));

	// Another thread's mask, by its id.
	pthread_t th;
	pthread_barrier_init(&bar, NULL, 2);
	pthread_create(&th, NULL, spin, NULL);
	pthread_barrier_wait(&bar);
	int tid = spin_tid;
	res("setaffinity other thread's tid", syscall(SYS_sched_setaffinity, tid, sizeof one, one));
	memset(got, 0, sizeof got);
	syscall(SYS_sched_getaffinity, tid, sizeof got, got);
	printf("other thread's tid reads back: %s\n", !memcmp(got, one, n) ? "yes" : "no");
	res("unshare CLONE_VM with a second thread", syscall(SYS_unshare, CLONE_VM));
	res("unshare CLONE_THREAD with a second thread", syscall(SYS_unshare, CLONE_THREAD));
	res("unshare CLONE_SYSVSEM with a second thread", syscall(SYS_unshare, CLONE_SYSVSEM));
	stop = 1;
	pthread_join(th, NULL);
	syscall(SYS_sched_setaffinity, 0, sizeof mask, mask);
}

static void policies(void)
{
	struct sched_param sp = {0};
	res("getscheduler", syscall(SYS_sched_getscheduler, 0));
	res("getscheduler -1", syscall(SYS_sched_getscheduler, -1));
	res("getscheduler no such pid", syscall(SYS_sched_getscheduler, 0x3fffffff));
	sp.sched_priority = 77;
	res("getparam", syscall(SYS_sched_getparam, 0, &sp));
	printf("  priority %d\n", sp.sched_priority);
	res("getparam NULL", syscall(SYS_sched_getparam, 0, NULL));
	res("getparam bad pointer", syscall(SYS_sched_getparam, 0, BAD));
	res("getparam -1 bad pointer", syscall(SYS_sched_getparam, -1, BAD));
	res("getparam no such pid, bad pointer", syscall(SYS_sched_getparam, 0x3fffffff, BAD));
	sp.sched_priority = 0;
	res("setscheduler BATCH", syscall(SYS_sched_setscheduler, 0, SCHED_BATCH, &sp));
	res("getscheduler", syscall(SYS_sched_getscheduler, 0));
	res("setscheduler IDLE", syscall(SYS_sched_setscheduler, 0, SCHED_IDLE, &sp));
	res("getscheduler", syscall(SYS_sched_getscheduler, 0));
	res("setparam 0", syscall(SYS_sched_setparam, 0, &sp));
	res("setscheduler OTHER", syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, &sp));
	sp.sched_priority = 5;
	res("setscheduler OTHER priority 5", syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, &sp));
	res("setparam priority 5", syscall(SYS_sched_setparam, 0, &sp));
	res("setscheduler policy 99", syscall(SYS_sched_setscheduler, 0, 99, &sp));
	res("setscheduler policy -1", syscall(SYS_sched_setscheduler, 0, -1, &sp));
	res("setscheduler NULL", syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, NULL));
	res("setscheduler bad pointer", syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, BAD));
	res("setscheduler -1 bad pointer", syscall(SYS_sched_setscheduler, -1, SCHED_OTHER, BAD));
	res("setparam bad pointer", syscall(SYS_sched_setparam, 0, BAD));
	res("setparam no such pid", syscall(SYS_sched_setparam, 0x3fffffff, &sp));
	sp.sched_priority = 1;
	long r = syscall(SYS_sched_setscheduler, 0, SCHED_FIFO, &sp);
	res("setscheduler FIFO 1", r);
	if (r == 0) {
		res("getscheduler", syscall(SYS_sched_getscheduler, 0));
		sp.sched_priority = 0;
		syscall(SYS_sched_getparam, 0, &sp);
		printf("  priority %d\n", sp.sched_priority);
		struct timespec ts;
		res("rr_get_interval FIFO", syscall(SYS_sched_rr_get_interval, 0, &ts));
		printf("  %ld.%09ld\n", (long)ts.tv_sec, (long)ts.tv_nsec);
		sp.sched_priority = 0;
		res("setscheduler OTHER", syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, &sp));
	}
	for (int pol = 0; pol <= 7; pol++)
		printf("policy %d: max %ld min %ld\n", pol, syscall(SYS_sched_get_priority_max, pol),
		       syscall(SYS_sched_get_priority_min, pol));
	struct timespec ts = {-1, -1};
	res("rr_get_interval", syscall(SYS_sched_rr_get_interval, 0, &ts));
	printf("  sane: %s\n", ts.tv_sec >= 0 && ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000 ? "yes" : "no");
	res("rr_get_interval bad pointer", syscall(SYS_sched_rr_get_interval, 0, BAD));
	res("rr_get_interval -1", syscall(SYS_sched_rr_get_interval, -1, &ts));
	res("rr_get_interval no such pid", syscall(SYS_sched_rr_get_interval, 0x3fffffff, &ts));
#ifdef SYS_sched_rr_get_interval_time64
	long long t64[2] = {-1, -1};
	res("rr_get_interval_time64", syscall(SYS_sched_rr_get_interval_time64, 0, t64));
	printf("  sane: %s\n", t64[0] >= 0 && t64[1] >= 0 && t64[1] < 1000000000 ? "yes" : "no");
#endif
}

static void attrs(void)
{
	static struct attr a;
	memset(&a, 0xee, sizeof a);
	res("getattr", syscall(SYS_sched_getattr, 0, &a, 56, 0));
	printf("  size %u policy %u nice %d prio %u flags %llu\n", a.size, a.policy, a.nice, a.prio,
	       (unsigned long long)a.flags);
	memset(&a, 0xee, sizeof a);
	res("getattr size 48", syscall(SYS_sched_getattr, 0, &a, 48, 0));
	printf("  size %u, byte 48 untouched: %s\n", a.size, ((unsigned char *)&a)[48] == 0xee ? "yes" : "no");
	memset(&a, 0xee, sizeof a);
	res("getattr size 4096", syscall(SYS_sched_getattr, 0, &a, 4096, 0));
	printf("  size %u\n", a.size);
	res("getattr size 40", syscall(SYS_sched_getattr, 0, &a, 40, 0));
	res("getattr size 4097", syscall(SYS_sched_getattr, 0, &a, 4097, 0));
	res("getattr flags 1", syscall(SYS_sched_getattr, 0, &a, 56, 1));
	res("getattr NULL", syscall(SYS_sched_getattr, 0, NULL, 56, 0));
	res("getattr bad pointer", syscall(SYS_sched_getattr, 0, BAD, 56, 0));
	res("getattr no such pid", syscall(SYS_sched_getattr, 0x3fffffff, &a, 56, 0));

	memset(&a, 0, sizeof a);
	a.size = 48;
	a.policy = SCHED_OTHER;
	a.nice = 4;
	res("setattr nice 4", syscall(SYS_sched_setattr, 0, &a, 0));
	errno = 0;
	res("getpriority", syscall(SYS_getpriority, PRIO_PROCESS, 0));
	a.size = 0;
	a.nice = 5;
	res("setattr size 0 nice 5", syscall(SYS_sched_setattr, 0, &a, 0));
	res("getpriority", syscall(SYS_getpriority, PRIO_PROCESS, 0));
	a.size = 4097;
	res("setattr size 4097", syscall(SYS_sched_setattr, 0, &a, 0));
	printf("  size now %u\n", a.size);
	a.size = 20;
	res("setattr size 20", syscall(SYS_sched_setattr, 0, &a, 0));
	printf("  size now %u\n", a.size);
	a.size = 100;
	a.pad[100 - 56 - 1] = 0;
	((unsigned char *)&a)[99] = 1;
	res("setattr size 100 nonzero tail", syscall(SYS_sched_setattr, 0, &a, 0));
	printf("  size now %u\n", a.size);
	memset(&a, 0, sizeof a);
	a.size = 56;
	a.policy = 77;
	res("setattr policy 77", syscall(SYS_sched_setattr, 0, &a, 0));
	a.policy = SCHED_OTHER;
	res("setattr flags 1", syscall(SYS_sched_setattr, 0, &a, 1));
	res("setattr NULL", syscall(SYS_sched_setattr, 0, NULL, 0));
	res("setattr bad pointer", syscall(SYS_sched_setattr, 0, BAD, 0));
	res("setattr -1", syscall(SYS_sched_setattr, -1, &a, 0));
	res("setattr no such pid", syscall(SYS_sched_setattr, 0x3fffffff, &a, 0));
}

static void priorities(void)
{
	res("getpriority", syscall(SYS_getpriority, PRIO_PROCESS, 0));
	res("setpriority 7", syscall(SYS_setpriority, PRIO_PROCESS, 0, 7));
	res("getpriority", syscall(SYS_getpriority, PRIO_PROCESS, 0));
	res("getpriority own pid", syscall(SYS_getpriority, PRIO_PROCESS, getpid()));
	res("getpriority pgrp", syscall(SYS_getpriority, PRIO_PGRP, 0) > 0);
	res("getpriority user", syscall(SYS_getpriority, PRIO_USER, 0) > 0);
	res("getpriority which 9", syscall(SYS_getpriority, 9, 0));
	res("getpriority no such pid", syscall(SYS_getpriority, PRIO_PROCESS, 0x3fffffff));
	res("setpriority which 9", syscall(SYS_setpriority, 9, 0, 1));
	res("setpriority no such pid", syscall(SYS_setpriority, PRIO_PROCESS, 0x3fffffff, 1));
	res("setpriority 100 (clamped)", syscall(SYS_setpriority, PRIO_PROCESS, 0, 100));
	res("getpriority", syscall(SYS_getpriority, PRIO_PROCESS, 0));
	res("setpriority 2 (lower)", syscall(SYS_setpriority, PRIO_PROCESS, 0, 2));
	res("getpriority", syscall(SYS_getpriority, PRIO_PROCESS, 0));
#ifdef SYS_nice
	res("nice(3)", syscall(SYS_nice, 3));
	res("getpriority", syscall(SYS_getpriority, PRIO_PROCESS, 0));
	res("nice(100)", syscall(SYS_nice, 100));
	res("getpriority", syscall(SYS_getpriority, PRIO_PROCESS, 0));
	res("nice(-1)", syscall(SYS_nice, -1));
	res("getpriority", syscall(SYS_getpriority, PRIO_PROCESS, 0));
#else
	printf("nice: no system call on x86-64\n");
#endif
	// ioprio: IOPRIO_WHO_PROCESS, class in the top 3 of 16 bits.
	res("ioprio_get", syscall(SYS_ioprio_get, 1, 0));
	res("ioprio_set BE 4", syscall(SYS_ioprio_set, 1, 0, 2 << 13 | 4));
	res("ioprio_get", syscall(SYS_ioprio_get, 1, 0));
	res("ioprio_set IDLE", syscall(SYS_ioprio_set, 1, 0, 3 << 13));
	res("ioprio_get", syscall(SYS_ioprio_get, 1, getpid()));
	res("ioprio_set class 7", syscall(SYS_ioprio_set, 1, 0, 7 << 13));
	res("ioprio_set BE 9", syscall(SYS_ioprio_set, 1, 0, 2 << 13 | 9));
	res("ioprio_get who 9", syscall(SYS_ioprio_get, 9, 0));
	res("ioprio_get no such pid", syscall(SYS_ioprio_get, 1, 0x3fffffff));
	res("ioprio_set BE 4 again", syscall(SYS_ioprio_set, 1, 0, 2 << 13 | 4));
}

static void caps(void)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	memset(d, 0xee, sizeof d);
	res("capget v3", syscall(SYS_capget, &h, d));
	printf("  eff %08x %08x perm %08x %08x inh %08x %08x\n", d[0].effective, d[1].effective, d[0].permitted,
	       d[1].permitted, d[0].inheritable, d[1].inheritable);
	memset(d, 0xee, sizeof d);
	h.version = _LINUX_CAPABILITY_VERSION_1;
	res("capget v1", syscall(SYS_capget, &h, d));
	printf("  second struct untouched: %s\n", d[1].effective == 0xeeeeeeee ? "yes" : "no");
	h.version = 0x1234;
	res("capget unknown version, NULL data", syscall(SYS_capget, &h, NULL));
	printf("  version now %#x\n", h.version);
	h.version = 0x1234;
	res("capget unknown version", syscall(SYS_capget, &h, d));
	printf("  version now %#x\n", h.version);
	h.pid = -1;
	res("capget pid -1", syscall(SYS_capget, &h, d));
	h.pid = 0x3fffffff;
	res("capget no such pid", syscall(SYS_capget, &h, d));
	h.pid = getpid();
	res("capget own pid, bad data", syscall(SYS_capget, &h, BAD));
	res("capget bad header", syscall(SYS_capget, BAD, d));
	res("capget NULL header", syscall(SYS_capget, NULL, d));

	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		struct __user_cap_header_struct ch = {_LINUX_CAPABILITY_VERSION_3, 0};
		struct __user_cap_data_struct cd[2];
		syscall(SYS_capget, &ch, cd);
		cd[0].effective &= ~(1u << CAP_CHOWN);
		res("child capset without CAP_CHOWN", syscall(SYS_capset, &ch, cd));
		memset(cd, 0, sizeof cd);
		syscall(SYS_capget, &ch, cd);
		printf("  CAP_CHOWN effective: %s\n", cd[0].effective >> CAP_CHOWN & 1 ? "yes" : "no");
		res("child chown", chown(".", 1, 1));
		ch.pid = 1;
		res("child capset pid 1", syscall(SYS_capset, &ch, cd));
		ch.pid = 0;
		res("child capset bad data", syscall(SYS_capset, &ch, BAD));
		ch.version = 0x1234;
		res("child capset unknown version", syscall(SYS_capset, &ch, cd));
		printf("  version now %#x\n", ch.version);
		res("child capset bad header", syscall(SYS_capset, BAD, cd));
		cd[0].permitted = 0xffffffff;
		cd[1].permitted = 0xffffffff;
		cd[0].effective = 0xffffffff;
		cd[1].effective = 0xffffffff;
		ch.version = _LINUX_CAPABILITY_VERSION_3;
		res("child capset more than permitted", syscall(SYS_capset, &ch, cd));
		fflush(stdout);
		_exit(0);
	}
	waitpid(c, NULL, 0);
}

static void kcmps(void)
{
	pid_t me = getpid();
	int a = open("/proc/self/exe", O_RDONLY), b = dup(a), o = open("/proc/self/exe", O_RDONLY);
	res("kcmp FILE dup", syscall(SYS_kcmp, me, me, KCMP_FILE, a, b));
	res("kcmp FILE other open != 0", syscall(SYS_kcmp, me, me, KCMP_FILE, a, o) != 0);
	res("kcmp FILE bad fd", syscall(SYS_kcmp, me, me, KCMP_FILE, a, 999));
	res("kcmp VM self", syscall(SYS_kcmp, me, me, KCMP_VM, 0, 0));
	res("kcmp FILES self", syscall(SYS_kcmp, me, me, KCMP_FILES, 0, 0));
	res("kcmp type 99", syscall(SYS_kcmp, me, me, 99, 0, 0));
	res("kcmp no such pid", syscall(SYS_kcmp, me, 0x3fffffff, KCMP_VM, 0, 0));
	int ep = epoll_create1(0), p[2];
	pipe(p);
	struct epoll_event ev = {EPOLLIN, {.u64 = 1}};
	epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
	struct kcmp_epoll_slot slot = {ep, p[0], 0};
	res("kcmp EPOLL_TFD registered", syscall(SYS_kcmp, me, me, KCMP_EPOLL_TFD, p[0], &slot));
	res("kcmp EPOLL_TFD other file", syscall(SYS_kcmp, me, me, KCMP_EPOLL_TFD, p[1], &slot) != 0);
	slot.tfd = p[1];
	res("kcmp EPOLL_TFD not registered", syscall(SYS_kcmp, me, me, KCMP_EPOLL_TFD, p[1], &slot));
	res("kcmp EPOLL_TFD bad slot", syscall(SYS_kcmp, me, me, KCMP_EPOLL_TFD, p[1], BAD));
	int fp[2];
	pipe(fp);
	fflush(stdout);
	int rp[2];
	pipe(rp);
	pid_t c = fork();
	if (c == 0) {
		char x;
		dup2(o, 50);
		write(rp[1], "r", 1);
		read(fp[0], &x, 1);
		_exit(0);
	}
	char y;
	read(rp[0], &y, 1);
	res("kcmp FILE child's dup 50 of ours", syscall(SYS_kcmp, me, c, KCMP_FILE, o, 50));
	res("kcmp FILE child's 50 with our other", syscall(SYS_kcmp, me, c, KCMP_FILE, a, 50) != 0);
	res("kcmp FILE child's 51 (not open)", syscall(SYS_kcmp, me, c, KCMP_FILE, o, 51));
	close(rp[0]), close(rp[1]);
	res("kcmp VM child != 0", syscall(SYS_kcmp, me, c, KCMP_VM, 0, 0) != 0);
	res("kcmp FILES child != 0", syscall(SYS_kcmp, me, c, KCMP_FILES, 0, 0) != 0);
	res("kcmp SIGHAND child != 0", syscall(SYS_kcmp, me, c, KCMP_SIGHAND, 0, 0) != 0);
	write(fp[1], "x", 1);
	waitpid(c, NULL, 0);
	close(a), close(b), close(o), close(ep), close(p[0]), close(p[1]), close(fp[0]), close(fp[1]);
}

static void namespaces(void)
{
	res("unshare 0", syscall(SYS_unshare, 0));
	res("unshare 1 (not a flag)", syscall(SYS_unshare, 1));
	res("unshare CLONE_FILES", syscall(SYS_unshare, CLONE_FILES));
	res("unshare CLONE_FS", syscall(SYS_unshare, CLONE_FS));
	res("unshare CLONE_VM", syscall(SYS_unshare, CLONE_VM));
	res("unshare CLONE_SIGHAND|CLONE_THREAD", syscall(SYS_unshare, CLONE_SIGHAND | CLONE_THREAD));
	res("unshare CLONE_SYSVSEM", syscall(SYS_unshare, CLONE_SYSVSEM));
	int fd = open("probe", O_RDWR | O_CREAT, 0600);
	res("files still open after unshare", write(fd, "x", 1));
	close(fd);
	fflush(stdout);
	pid_t c = fork();
	if (c == 0) {
		res("child unshare CLONE_NEWUTS", syscall(SYS_unshare, CLONE_NEWUTS));
		int u = open("/proc/self/ns/uts", O_RDONLY);
		res("child setns uts", syscall(SYS_setns, u, CLONE_NEWUTS));
		res("child setns uts as NEWNET", syscall(SYS_setns, u, CLONE_NEWNET));
		res("child setns uts any type", syscall(SYS_setns, u, 0));
		res("child setns bad fd", syscall(SYS_setns, 999, 0));
		int f = open("probe", O_RDONLY);
		res("child setns regular file", syscall(SYS_setns, f, 0));
		fflush(stdout);
		_exit(0);
	}
	waitpid(c, NULL, 0);
	unlink("probe");
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	affinity();
	policies();
	attrs();
	priorities();
	caps();
	kcmps();
	namespaces();
	return 0;
}
