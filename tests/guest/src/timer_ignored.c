// A SIGEV_THREAD timer while SIGCANCEL (32, glibc's timer signal) is
// ignored, as in a program started by GNU make with signals 32 and 33
// ignored: glibc's helper thread blocks the signal and waits for it, and a
// signal blocked by the thread it is generated for is queued even if
// ignored, so the callback runs. gemu dropped it (the ignored check used
// the mask of the thread that generated it), and no callback ever ran.
// gemu-test: cflags=-pthread
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static atomic_int calls;

static void on_expiry(union sigval v)
{
	(void)v;
	atomic_fetch_add(&calls, 1);
}

int main(void)
{
	// The kernel's sigaction (glibc's refuses 32): handler SIG_IGN.
	unsigned long act[4] = {(unsigned long)SIG_IGN, 0, 0, 0};
	long r = syscall(SYS_rt_sigaction, 32, act, NULL, 8);
	printf("ignore 32: %ld\n", r);

	struct sigevent sev;
	memset(&sev, 0, sizeof sev);
	sev.sigev_notify = SIGEV_THREAD;
	sev.sigev_notify_function = on_expiry;
	timer_t t;
	printf("timer_create: %d\n", timer_create(CLOCK_MONOTONIC, &sev, &t));
	struct itimerspec v = {{0, 0}, {0, 2000000}};
	printf("timer_settime: %d\n", timer_settime(t, 0, &v, NULL));
	for (int i = 0; i < 400 && atomic_load(&calls) == 0; i++) {
		struct timespec ts = {0, 5000000};
		nanosleep(&ts, NULL);
	}
	printf("callback ran: %s\n", atomic_load(&calls) == 1 ? "yes" : "no");
	timer_delete(t);
	return 0;
}
