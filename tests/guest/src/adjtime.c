// adjtimex, clock_adjtime and i386's clock_adjtime64 as queries (issue
// 15): modes 0 and ADJ_OFFSET_SS_READ return the clock state and fill
// struct timex in each ABI's layout (checked against each other and
// against time()); glibc's ntp_gettime; the errors a kernel gives before
// privilege matters: EFAULT, EINVAL for an unknown clock or ADJ_ADJTIME
// without ADJ_OFFSET_SINGLESHOT, EOPNOTSUPP for CLOCK_MONOTONIC. Nothing
// here changes the clock (the native reference run may be root's).
#include "gt.h"
#include <errno.h>
#include <sys/syscall.h>
#include <sys/timex.h>
#include <time.h>
#include <unistd.h>

#define BAD ((void *)16)
#define ADJ_ADJTIME_ 0x8000

static void res(const char *what, long r)
{
	if (r < 0)
		printf("%s: -1 %s\n", what, strerrorname_np(errno));
	else
		printf("%s: %ld\n", what, r);
}

// Field indices of struct timex.
enum { MODES, OFFSET, FREQ, MAXERR, ESTERR, STATUS, CONSTANT, PRECISION, TOLERANCE, SEC, USEC, TICK,
       PPSFREQ, JITTER, SHIFT, STABIL, JITCNT, CALCNT, ERRCNT, STBCNT, TAI };

struct tx64 {
	int64_t f[26];
};
struct tx32 {
	int32_t f[32];
};

static void show(const char *what, long r, long long status, long long tick, long long tol, long long tai,
		 long long sec, long long usec, long long constant)
{
	res(what, r);
	if (r < 0)
		return;
	long long now = time(NULL);
	printf("  status %#llx tick %lld tolerance %lld tai %lld constant %lld time near %d usec ok %d\n",
	       status, tick, tol, tai, constant, sec >= now - 5 && sec <= now + 5, usec >= 0 && usec < 1000000);
}

static long wide(long nr, long clk, int modes, struct tx64 *t)
{
	memset(t, 0x55, sizeof *t);
	t->f[MODES] = modes;
	return nr == SYS_adjtimex ? syscall(nr, t) : syscall(nr, clk, t);
}

static void show64(const char *what, long r, struct tx64 *t)
{
	show(what, r, (int32_t)t->f[STATUS], t->f[TICK], t->f[TOLERANCE], (int32_t)t->f[TAI], t->f[SEC], t->f[USEC],
	     t->f[CONSTANT]);
	if (r >= 0)
		printf("  padding untouched: %d\n", t->f[25] == 0x5555555555555555ll);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	struct ntptimeval nt;
	res("ntp_gettime", ntp_gettime(&nt));
	struct timex tx = {0};
	long r = adjtimex(&tx);
	res("glibc adjtimex", r);
	printf("  tick %ld tolerance %ld\n", (long)tx.tick, (long)tx.tolerance);
	res("adjtimex bad", syscall(SYS_adjtimex, BAD));
	res("clock_adjtime bad", syscall(SYS_clock_adjtime, CLOCK_REALTIME, BAD));
#ifdef __x86_64__
	struct tx64 t;
	show64("adjtimex", wide(SYS_adjtimex, 0, 0, &t), &t);
	show64("adjtimex ADJ_OFFSET_SS_READ", wide(SYS_adjtimex, 0, ADJ_OFFSET_SS_READ, &t), &t);
	printf("  modes back %#x\n", (unsigned)t.f[MODES]);
	show64("clock_adjtime REALTIME", wide(SYS_clock_adjtime, CLOCK_REALTIME, 0, &t), &t);
	show64("clock_adjtime MONOTONIC", wide(SYS_clock_adjtime, CLOCK_MONOTONIC, 0, &t), &t);
	show64("clock_adjtime MONOTONIC ADJ_FREQ", wide(SYS_clock_adjtime, CLOCK_MONOTONIC, 0x0002 /* ADJ_FREQUENCY */, &t), &t);
	show64("clock_adjtime 99", wide(SYS_clock_adjtime, 99, 0, &t), &t);
	show64("adjtimex ADJ_ADJTIME alone", wide(SYS_adjtimex, 0, ADJ_ADJTIME_, &t), &t);
#else
	struct tx32 n;
	long clocks[] = {-1, CLOCK_REALTIME, CLOCK_MONOTONIC, 99};
	for (unsigned i = 0; i < 4; i++) {
		for (int m = 0; m < 3; m++) {
			int modes = m == 0 ? 0 : m == 1 ? ADJ_OFFSET_SS_READ : ADJ_ADJTIME_;
			char what[100];
			memset(&n, 0x55, sizeof n);
			n.f[MODES] = modes;
			if (clocks[i] < 0) {
				snprintf(what, sizeof what, "adjtimex modes %#x", modes);
				r = syscall(SYS_adjtimex, &n);
			} else {
				snprintf(what, sizeof what, "clock_adjtime %ld modes %#x", clocks[i], modes);
				r = syscall(SYS_clock_adjtime, clocks[i], &n);
			}
			show(what, r, n.f[STATUS], n.f[TICK], n.f[TOLERANCE], n.f[TAI], (uint32_t)n.f[SEC], n.f[USEC],
			     n.f[CONSTANT]);
			if (r >= 0)
				printf("  padding untouched: %d, modes back %#x\n", n.f[31] == 0x55555555, (unsigned)n.f[MODES]);
			if (clocks[i] < 0)
				continue;
			struct tx64 t;
			snprintf(what, sizeof what, "clock_adjtime64 %ld modes %#x", clocks[i], modes);
			show64(what, wide(SYS_clock_adjtime64, clocks[i], modes, &t), &t);
		}
	}
	res("clock_adjtime64 bad", syscall(SYS_clock_adjtime64, CLOCK_REALTIME, BAD));
#endif
	return 0;
}
