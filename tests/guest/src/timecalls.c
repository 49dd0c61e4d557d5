// Time system calls (vDSO or not): clock_gettime for several clocks,
// clock_getres, gettimeofday, time, nanosleep, clock_nanosleep, times,
// getrusage. Only sanity checks are printed, never values.
#include "gt.h"
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>
#include <unistd.h>

static double ts(struct timespec t) { return (double)t.tv_sec + t.tv_nsec / 1e9; }

int main(void)
{
	struct timespec a, b, r;
	clockid_t clocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID,
			      CLOCK_THREAD_CPUTIME_ID, CLOCK_MONOTONIC_RAW, CLOCK_BOOTTIME};
	const char *names[] = {"REALTIME", "MONOTONIC", "PROCESS_CPUTIME", "THREAD_CPUTIME", "MONOTONIC_RAW", "BOOTTIME"};
	for (size_t i = 0; i < ARRAY_LEN(clocks); i++) {
		int rc = clock_gettime(clocks[i], &a);
		int rr = clock_getres(clocks[i], &r);
		printf("%-16s gettime=%d nsec<1e9=%s getres=%d res<=10ms=%s\n", names[i], rc,
		       a.tv_nsec >= 0 && a.tv_nsec < 1000000000 ? "yes" : "no", rr,
		       r.tv_sec == 0 && r.tv_nsec <= 10000000 ? "yes" : "no");
	}
	int mono_ok = 1;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < 1000; i++) {
		clock_gettime(CLOCK_MONOTONIC, &b);
		if (ts(b) < ts(a))
			mono_ok = 0;
		a = b;
	}
	printf("monotonic nondecreasing: %s\n", mono_ok ? "yes" : "no");

	struct timeval tv;
	struct timespec rt;
	printf("gettimeofday: %d\n", gettimeofday(&tv, NULL));
	clock_gettime(CLOCK_REALTIME, &rt);
	time_t t = time(NULL);
	printf("realtime after 2020: %s\n", rt.tv_sec > 1577836800 ? "yes" : "no");
	printf("time() within 2s of realtime: %s\n", t - rt.tv_sec <= 2 && rt.tv_sec - t <= 2 ? "yes" : "no");
	printf("gettimeofday within 2s of realtime: %s usec ok: %s\n",
	       tv.tv_sec - rt.tv_sec <= 2 && rt.tv_sec - tv.tv_sec <= 2 ? "yes" : "no",
	       tv.tv_usec >= 0 && tv.tv_usec < 1000000 ? "yes" : "no");
	time_t t2, t3 = time(&t2);
	printf("time(&t) stores: %s\n", t3 == t2 ? "yes" : "no");
	long raw = syscall(SYS_time, NULL);
#ifdef SYS_time
	printf("raw SYS_time sane: %s\n", raw > 1577836800 ? "yes" : "no");
#else
	(void)raw;
	printf("raw SYS_time sane: yes\n");
#endif

	struct timespec req = {0, 5 * 1000 * 1000}, rem;
	clock_gettime(CLOCK_MONOTONIC, &a);
	int rc = nanosleep(&req, &rem);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("nanosleep(5ms)=%d elapsed>=5ms: %s\n", rc, ts(b) - ts(a) >= 0.005 ? "yes" : "no");
	clock_gettime(CLOCK_MONOTONIC, &a);
	struct timespec until = a;
	until.tv_nsec += 3000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("clock_nanosleep abs=%d reached: %s\n", rc, ts(b) >= ts(until) ? "yes" : "no");
	req.tv_nsec = 2000000000; /* invalid */
	rc = nanosleep(&req, NULL);
	printf("nanosleep invalid: %d\n", rc);

	/* burn a little CPU and check process CPU time advances */
	struct timespec c0, c1;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
	volatile unsigned long x = 0;
	for (unsigned long i = 0; i < 3000000; i++)
		x += i;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
	printf("cpu time advances: %s\n", ts(c1) > ts(c0) ? "yes" : "no");
	struct tms tm;
	clock_t ct = times(&tm);
	printf("times: %s\n", ct != (clock_t)-1 ? "ok" : "failed");
	struct rusage ru;
	printf("getrusage: %d\n", getrusage(RUSAGE_SELF, &ru));
	struct tm gm;
	time_t fixed = 1700000000;
	gmtime_r(&fixed, &gm);
	char buf[64];
	strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %A", &gm);
	printf("gmtime(1700000000): %s\n", buf);
	return 0;
}
