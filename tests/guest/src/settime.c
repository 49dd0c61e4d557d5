// settimeofday, clock_settime (and i386's clock_settime64 and stime)
// error paths (issue 15): EFAULT, EINVAL for microseconds or nanoseconds
// out of range, negative and too late times, clocks that cannot be set
// and CPU-time clocks of a missing process, and EPERM for the calling
// process's CPU-time clock (the kernel's answer even to root). Nothing
// here can set the clock: the native reference run may be root's, so
// the EPERM a valid CLOCK_REALTIME time gets under gemu is checked by
// TestSettimeRefused instead.
#include "gt.h"
#include <errno.h>
#include <sys/syscall.h>
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

static long cpuclock(long pid)
{
	return ((~pid) << 3) | 2; /* MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED) */
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	long tv[2];
	tv[0] = 1000, tv[1] = -1;
	res("settimeofday negative usec", syscall(SYS_settimeofday, tv, NULL));
	tv[1] = 2000000;
	res("settimeofday 2e6 usec", syscall(SYS_settimeofday, tv, NULL));
	tv[0] = -1, tv[1] = 0;
	res("settimeofday negative sec", syscall(SYS_settimeofday, tv, NULL));
	res("settimeofday bad tv", syscall(SYS_settimeofday, BAD, NULL));
	tv[0] = 1000, tv[1] = -5;
	res("settimeofday bad usec, bad tz", syscall(SYS_settimeofday, tv, BAD));

	struct {
		long sec, nsec;
	} ts = {1000, 0};
	res("clock_settime MONOTONIC", syscall(SYS_clock_settime, CLOCK_MONOTONIC, &ts));
	res("clock_settime BOOTTIME", syscall(SYS_clock_settime, CLOCK_BOOTTIME, &ts));
	res("clock_settime TAI", syscall(SYS_clock_settime, CLOCK_TAI, &ts));
	res("clock_settime PROCESS_CPUTIME", syscall(SYS_clock_settime, CLOCK_PROCESS_CPUTIME_ID, &ts));
	res("clock_settime 99", syscall(SYS_clock_settime, 99, &ts));
	res("clock_settime MONOTONIC bad", syscall(SYS_clock_settime, CLOCK_MONOTONIC, BAD));
	res("clock_settime REALTIME bad", syscall(SYS_clock_settime, CLOCK_REALTIME, BAD));
	ts.nsec = 1000000000;
	res("clock_settime REALTIME 1e9 nsec", syscall(SYS_clock_settime, CLOCK_REALTIME, &ts));
	ts.sec = -1, ts.nsec = 0;
	res("clock_settime REALTIME negative", syscall(SYS_clock_settime, CLOCK_REALTIME, &ts));
	ts.sec = 1000;
	res("clock_settime own CPU clock", syscall(SYS_clock_settime, cpuclock(getpid()), &ts));
	res("clock_settime missing process's CPU clock", syscall(SYS_clock_settime, cpuclock(0x3ffffff0), &ts));
	res("clock_settime own CPU clock bad", syscall(SYS_clock_settime, cpuclock(getpid()), BAD));
#ifdef __i386__
	struct {
		long long sec, nsec;
	} ts64 = {1000, -1};
	res("clock_settime64 REALTIME negative nsec", syscall(SYS_clock_settime64, CLOCK_REALTIME, &ts64));
	ts64.nsec = 0;
	res("clock_settime64 MONOTONIC", syscall(SYS_clock_settime64, CLOCK_MONOTONIC, &ts64));
	ts64.sec = 1ll << 40;
	res("clock_settime64 REALTIME 2^40 s", syscall(SYS_clock_settime64, CLOCK_REALTIME, &ts64));
	res("clock_settime64 REALTIME bad", syscall(SYS_clock_settime64, CLOCK_REALTIME, BAD));
	res("clock_settime64 own CPU clock", syscall(SYS_clock_settime64, cpuclock(getpid()), &ts64));
	res("stime bad", syscall(SYS_stime, BAD));
#endif
	return 0;
}
