// POSIX timers: timer_create/settime/gettime/getoverrun/delete with
// SIGEV_SIGNAL (si_code SI_TIMER, si_value, si_timerid, si_overrun),
// periodic delivery counts, overruns while the signal is blocked, relative
// and TIMER_ABSTIME settings on CLOCK_MONOTONIC and CLOCK_REALTIME,
// SIGEV_NONE (counts down, no signal), SIGEV_THREAD_ID (only the thread
// named takes the signal), glibc's SIGEV_THREAD (a function run in a new
// thread), CLOCK_PROCESS_CPUTIME_ID, the old setting returned by
// timer_settime, zero after disarming, and EINVAL for bad ids, clocks,
// sigevents and times. Times are printed as comparisons only.
// gemu-test: cflags=-pthread
#include "gt.h"
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define SIG_A (SIGRTMIN + 1)
#define SIG_B (SIGRTMIN + 2)

static const char *yesno(int b) { return b ? "yes" : "no"; }

static const char *err(int r)
{
	if (r == 0)
		return "0";
	switch (errno) {
	case EINVAL:
		return "EINVAL";
	case EFAULT:
		return "EFAULT";
	case EOPNOTSUPP:
		return "EOPNOTSUPP";
	}
	return "other error";
}

static volatile sig_atomic_t count;
static volatile int last_code, last_value, last_overrun, last_timerid, last_tid_ok;
static volatile pid_t want_tid;

static void handler(int sig, siginfo_t *si, void *ctx)
{
	(void)sig, (void)ctx;
	count++;
	last_code = si->si_code;
	last_value = si->si_value.sival_int;
	last_overrun = si->si_overrun;
	last_timerid = si->si_timerid;
	last_tid_ok = want_tid == 0 || (pid_t)syscall(SYS_gettid) == want_tid;
}

static void install(int sig)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

static void block(int sig, int how)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, sig);
	pthread_sigmask(how, &s, NULL);
}

static struct itimerspec its(long vs, long vns, long is, long ins)
{
	struct itimerspec t = {{is, ins}, {vs, vns}};
	return t;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* waits (sleeping) until count reaches n or about 10 s pass */
static int wait_count(int n)
{
	for (int i = 0; i < 2000 && count < n; i++)
		sleep_ms(5);
	return count >= n;
}

/* waits (sleeping) until sig is pending or about 10 s pass */
static int wait_pending(int sig)
{
	sigset_t pend;
	for (int i = 0; i < 10000; i++) {
		sigpending(&pend);
		if (sigismember(&pend, sig))
			return 1;
		sleep_ms(1);
	}
	return 0;
}

static void periodic(void)
{
	printf("-- SIGEV_SIGNAL periodic, CLOCK_MONOTONIC\n");
	install(SIG_A);
	struct sigevent sev;
	memset(&sev, 0, sizeof sev);
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SIG_A;
	sev.sigev_value.sival_int = 4242;
	timer_t t;
	printf("create: %s\n", err(timer_create(CLOCK_MONOTONIC, &sev, &t)));
	count = 0;
	struct itimerspec v = its(0, 2000000, 0, 2000000), old;
	printf("settime: %s\n", err(timer_settime(t, 0, &v, &old)));
	printf("old setting was zero: %s\n",
	       yesno(!old.it_value.tv_sec && !old.it_value.tv_nsec && !old.it_interval.tv_sec && !old.it_interval.tv_nsec));
	struct itimerspec cur;
	timer_gettime(t, &cur);
	printf("gettime interval 2ms: %s value in (0, 2ms]: %s\n",
	       yesno(cur.it_interval.tv_sec == 0 && cur.it_interval.tv_nsec == 2000000),
	       yesno(cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 2000000));
	printf("5 deliveries: %s\n", yesno(wait_count(5)));
	printf("si_code SI_TIMER: %s si_value: %d si_overrun >= 0: %s\n", yesno(last_code == SI_TIMER), last_value,
	       yesno(last_overrun >= 0));
#ifdef __x86_64__
	/* (qemu-i386, the i386 reference here, gives the guest its own timer
	 * ids but passes the host's si_timerid through) */
	printf("si_timerid matches: %s\n", yesno(last_timerid == (int)(intptr_t)t));
#endif
	printf("getoverrun >= 0: %s\n", yesno(timer_getoverrun(t) >= 0));
	v = its(0, 0, 0, 0);
	printf("disarm: %s\n", err(timer_settime(t, 0, &v, &old)));
	printf("old interval 2ms: %s old value in (0, 2ms]: %s\n",
	       yesno(old.it_interval.tv_sec == 0 && old.it_interval.tv_nsec == 2000000),
	       yesno(old.it_value.tv_sec == 0 && old.it_value.tv_nsec > 0 && old.it_value.tv_nsec <= 2000000));
	timer_gettime(t, &cur);
	printf("after disarm all zero: %s\n",
	       yesno(!cur.it_value.tv_sec && !cur.it_value.tv_nsec && !cur.it_interval.tv_sec && !cur.it_interval.tv_nsec));
	int c = count;
	sleep_ms(20);
	printf("no delivery after disarm: %s\n", yesno(count == c));

	printf("-- overrun while blocked, taken by sigtimedwait\n");
	block(SIG_A, SIG_BLOCK);
	count = 0;
	v = its(0, 1000000, 0, 1000000);
	timer_settime(t, 0, &v, NULL);
	sleep_ms(60);
	printf("nothing delivered while blocked: %s\n", yesno(count == 0));
	printf("pending: %s\n", yesno(wait_pending(SIG_A)));
	sigset_t pend;
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIG_A);
	siginfo_t si;
	struct timespec ten = {10, 0};
	int r = sigtimedwait(&set, &si, &ten);
	int ov = timer_getoverrun(t);
	printf("sigtimedwait: %s SI_TIMER: %s value %d overrun >= 10: %s getoverrun == si_overrun: %s\n",
	       yesno(r == SIG_A), yesno(si.si_code == SI_TIMER), si.si_value.sival_int, yesno(si.si_overrun >= 10),
	       yesno(ov == si.si_overrun));
	v = its(0, 0, 0, 0);
	timer_settime(t, 0, &v, NULL);
	printf("getoverrun after settime: %d\n", timer_getoverrun(t));
	block(SIG_A, SIG_UNBLOCK);
	printf("delivered after disarm and unblock: %d\n", count);

	printf("-- a signal pending when the timer is set again is dropped\n");
	block(SIG_A, SIG_BLOCK);
	count = 0;
	v = its(0, 1000000, 0, 0);
	timer_settime(t, 0, &v, NULL);
	printf("pending: %s\n", yesno(wait_pending(SIG_A)));
	v = its(100, 0, 0, 0);
	timer_settime(t, 0, &v, NULL);
	sigpending(&pend);
	printf("pending after settime: %s\n", yesno(sigismember(&pend, SIG_A)));
	block(SIG_A, SIG_UNBLOCK);
	printf("delivered: %d\n", count);
	printf("-- a signal pending when the timer is deleted is dropped\n");
	block(SIG_A, SIG_BLOCK);
	v = its(0, 1000000, 0, 0);
	timer_settime(t, 0, &v, NULL);
	printf("pending: %s\n", yesno(wait_pending(SIG_A)));
	printf("delete: %s\n", err(timer_delete(t)));
	sigpending(&pend);
	printf("pending after delete: %s\n", yesno(sigismember(&pend, SIG_A)));
	block(SIG_A, SIG_UNBLOCK);
	printf("delivered: %d\n", count);
	printf("settime after delete: %s\n", err(timer_settime(t, 0, &v, NULL)));
}

static void oneshot_abstime(void)
{
	printf("-- one-shot, TIMER_ABSTIME, CLOCK_REALTIME and CLOCK_MONOTONIC\n");
	install(SIG_A);
	struct sigevent sev;
	memset(&sev, 0, sizeof sev);
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SIG_A;
	sev.sigev_value.sival_int = 7;
	clockid_t clocks[2] = {CLOCK_REALTIME, CLOCK_MONOTONIC};
	for (int i = 0; i < 2; i++) {
		timer_t t;
		timer_create(clocks[i], &sev, &t);
		struct timespec now;
		clock_gettime(clocks[i], &now);
		struct itimerspec v = {{0, 0}, {now.tv_sec, now.tv_nsec + 5000000}};
		if (v.it_value.tv_nsec >= 1000000000) {
			v.it_value.tv_sec++;
			v.it_value.tv_nsec -= 1000000000;
		}
		count = 0;
		printf("clock %d abstime: %s\n", (int)clocks[i], err(timer_settime(t, TIMER_ABSTIME, &v, NULL)));
		int ok = wait_count(1);
		printf("delivered once: %s value %d\n", yesno(ok), last_value);
		sleep_ms(10);
		printf("still once: %s\n", yesno(count == 1));
		struct itimerspec cur;
		timer_gettime(t, &cur);
		printf("gettime after expiry zero: %s\n", yesno(!cur.it_value.tv_sec && !cur.it_value.tv_nsec));
		/* an absolute time in the past expires at once */
		count = 0;
		v.it_value.tv_sec -= 10;
		timer_settime(t, TIMER_ABSTIME, &v, NULL);
		printf("past abstime delivered: %s\n", yesno(wait_count(1)));
		/* relative one-shot */
		count = 0;
		v = its(0, 3000000, 0, 0);
		timer_settime(t, 0, &v, NULL);
		printf("relative one-shot delivered: %s\n", yesno(wait_count(1)));
		timer_delete(t);
	}
	/* the kernel's NULL sigevent: SIGALRM with the timer id as value */
	install(SIGALRM);
	int id = -1;
	printf("create NULL sigevent: %s\n", err(syscall(SYS_timer_create, CLOCK_MONOTONIC, NULL, &id) == -1 ? -1 : 0));
	count = 0;
	struct itimerspec v = its(0, 2000000, 0, 0);
	syscall(SYS_timer_settime, id, 0, &v, NULL);
	int ok = wait_count(1);
	printf("SIGALRM delivered: %s code SI_TIMER: %s\n", yesno(ok), yesno(last_code == SI_TIMER));
#ifdef __x86_64__
	printf("value and si_timerid are the timer id: %s\n", yesno(last_value == id && last_timerid == id));
#endif
	syscall(SYS_timer_delete, id);
}

static void sigev_none(void)
{
	printf("-- SIGEV_NONE\n");
	struct sigevent sev;
	memset(&sev, 0, sizeof sev);
	sev.sigev_notify = SIGEV_NONE;
	timer_t t;
	printf("create: %s\n", err(timer_create(CLOCK_MONOTONIC, &sev, &t)));
	struct itimerspec v = its(100, 0, 0, 0), cur, cur2;
	timer_settime(t, 0, &v, NULL);
	timer_gettime(t, &cur);
	sleep_ms(5);
	timer_gettime(t, &cur2);
	long long n1 = cur.it_value.tv_sec * 1000000000LL + cur.it_value.tv_nsec;
	long long n2 = cur2.it_value.tv_sec * 1000000000LL + cur2.it_value.tv_nsec;
	printf("counting down: %s\n", yesno(n1 <= 100000000000LL && n2 <= n1 - 5000000 && n2 > 50000000000LL));
	v = its(0, 10000000, 0, 0);
	timer_settime(t, 0, &v, NULL);
	sleep_ms(50);
	timer_gettime(t, &cur);
	printf("expired reads zero: %s\n", yesno(!cur.it_value.tv_sec && !cur.it_value.tv_nsec));
	v = its(0, 4000000, 0, 4000000);
	timer_settime(t, 0, &v, NULL);
	sleep_ms(15);
	timer_gettime(t, &cur);
	printf("periodic keeps a value in (0, 4ms]: %s\n",
	       yesno(cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 4000000));
	printf("getoverrun: %d\n", timer_getoverrun(t));
	timer_delete(t);
}

static atomic_int worker_ready, worker_stop;
static atomic_int worker_tid;

static void *worker(void *arg)
{
	(void)arg;
	atomic_store(&worker_tid, (int)syscall(SYS_gettid));
	atomic_store(&worker_ready, 1);
	while (!atomic_load(&worker_stop))
		sleep_ms(1);
	return NULL;
}

static void thread_id(void)
{
	printf("-- SIGEV_THREAD_ID\n");
	install(SIG_B);
	pthread_t th;
	pthread_create(&th, NULL, worker, NULL);
	while (!atomic_load(&worker_ready))
		sleep_ms(1);
	want_tid = atomic_load(&worker_tid);
	struct sigevent sev;
	memset(&sev, 0, sizeof sev);
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = SIG_B;
	sev.sigev_value.sival_int = 99;
	sev._sigev_un._tid = want_tid;
	timer_t t;
	printf("create: %s\n", err(timer_create(CLOCK_MONOTONIC, &sev, &t)));
	count = 0;
	int all_ok = 1;
	struct itimerspec v = its(0, 2000000, 0, 2000000);
	timer_settime(t, 0, &v, NULL);
	/* the main thread keeps the signal unblocked and sleeps */
	for (int i = 0; i < 2000 && count < 4; i++) {
		sleep_ms(5);
		if (count && !last_tid_ok)
			all_ok = 0;
	}
	v = its(0, 0, 0, 0);
	timer_settime(t, 0, &v, NULL);
	printf("4 deliveries: %s all in the worker: %s value %d\n", yesno(count >= 4), yesno(all_ok && last_tid_ok), last_value);
	timer_delete(t);
	sev._sigev_un._tid = 0x7ffffff0;
	printf("create for a foreign tid: %s\n", err(timer_create(CLOCK_MONOTONIC, &sev, &t)));
	atomic_store(&worker_stop, 1);
	pthread_join(th, NULL);
	want_tid = 0;
}

static sem_t fired;
static atomic_int thread_calls, thread_value, thread_other;
static pid_t main_tid;

static void notify(union sigval v)
{
	atomic_fetch_add(&thread_calls, 1);
	atomic_store(&thread_value, v.sival_int);
	if ((pid_t)syscall(SYS_gettid) != main_tid)
		atomic_store(&thread_other, 1);
	sem_post(&fired);
}

static void sigev_thread(void)
{
	printf("-- SIGEV_THREAD (glibc)\n");
	main_tid = (pid_t)syscall(SYS_gettid);
	sem_init(&fired, 0, 0);
	struct sigevent sev;
	memset(&sev, 0, sizeof sev);
	sev.sigev_notify = SIGEV_THREAD;
	sev.sigev_notify_function = notify;
	sev.sigev_value.sival_int = 1234;
	timer_t t;
	printf("create: %s\n", err(timer_create(CLOCK_MONOTONIC, &sev, &t)));
	struct itimerspec v = its(0, 3000000, 0, 0);
	timer_settime(t, 0, &v, NULL);
	sem_wait(&fired);
	printf("one-shot ran: %d value %d in another thread: %s\n", atomic_load(&thread_calls), atomic_load(&thread_value),
	       yesno(atomic_load(&thread_other)));
	v = its(0, 2000000, 0, 2000000);
	timer_settime(t, 0, &v, NULL);
	for (int i = 0; i < 3; i++)
		sem_wait(&fired);
	v = its(0, 0, 0, 0);
	timer_settime(t, 0, &v, NULL);
	printf("periodic ran at least 4 in all: %s\n", yesno(atomic_load(&thread_calls) >= 4));
	printf("delete: %s\n", err(timer_delete(t)));
}

static void cputime(void)
{
	printf("-- CLOCK_PROCESS_CPUTIME_ID\n");
	install(SIG_A);
	struct sigevent sev;
	memset(&sev, 0, sizeof sev);
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SIG_A;
	timer_t t;
	printf("create: %s\n", err(timer_create(CLOCK_PROCESS_CPUTIME_ID, &sev, &t)));
	count = 0;
	struct itimerspec v = its(0, 5000000, 0, 0);
	timer_settime(t, 0, &v, NULL);
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	volatile unsigned long spin = 0;
	do {
		for (int i = 0; i < 10000; i++)
			spin++;
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (!count && now.tv_sec - start.tv_sec < 20);
	printf("fired while spinning: %s code SI_TIMER: %s\n", yesno(count == 1), yesno(last_code == SI_TIMER));
	timer_delete(t);
	printf("thread cputime timer: %s\n", err(timer_create(CLOCK_THREAD_CPUTIME_ID, &sev, &t)));
	timer_delete(t);
}

static void errors(void)
{
	printf("-- errors\n");
	struct sigevent sev;
	memset(&sev, 0, sizeof sev);
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SIG_A;
	long kt;
	printf("bad clock 99: %s\n", err(syscall(SYS_timer_create, 99, &sev, &kt) == -1 ? -1 : 0));
	printf("CLOCK_MONOTONIC_RAW: %s\n", err(syscall(SYS_timer_create, CLOCK_MONOTONIC_RAW, &sev, &kt) == -1 ? -1 : 0));
	sev.sigev_signo = 0;
	printf("signo 0: %s\n", err(syscall(SYS_timer_create, CLOCK_MONOTONIC, &sev, &kt) == -1 ? -1 : 0));
	sev.sigev_signo = 65;
	printf("signo 65: %s\n", err(syscall(SYS_timer_create, CLOCK_MONOTONIC, &sev, &kt) == -1 ? -1 : 0));
	sev.sigev_signo = SIG_A;
	sev.sigev_notify = 99;
	printf("notify 99: %s\n", err(syscall(SYS_timer_create, CLOCK_MONOTONIC, &sev, &kt) == -1 ? -1 : 0));
	sev.sigev_notify = SIGEV_SIGNAL;
	printf("bad sigevent pointer: %s\n", err(syscall(SYS_timer_create, CLOCK_MONOTONIC, (void *)8, &kt) == -1 ? -1 : 0));
	int id = -1;
	printf("raw create: %s\n", err(syscall(SYS_timer_create, CLOCK_MONOTONIC, &sev, &id) == -1 ? -1 : 0));
	struct itimerspec v = its(0, 1000000000, 0, 0);
	printf("nsec 1e9: %s\n", err(syscall(SYS_timer_settime, id, 0, &v, NULL) == -1 ? -1 : 0));
	v = its(-1, 0, 0, 0);
	printf("negative sec: %s\n", err(syscall(SYS_timer_settime, id, 0, &v, NULL) == -1 ? -1 : 0));
	printf("NULL new value: %s\n", err(syscall(SYS_timer_settime, id, 0, NULL, NULL) == -1 ? -1 : 0));
	printf("bad new value pointer: %s\n", err(syscall(SYS_timer_settime, id, 0, (void *)8, NULL) == -1 ? -1 : 0));
	printf("bad gettime pointer: %s\n", err(syscall(SYS_timer_gettime, id, (void *)8) == -1 ? -1 : 0));
	printf("delete: %s\n", err(syscall(SYS_timer_delete, id) == -1 ? -1 : 0));
	printf("delete again: %s\n", err(syscall(SYS_timer_delete, id) == -1 ? -1 : 0));
	printf("gettime bad id: %s\n", err(syscall(SYS_timer_gettime, 12345, &v) == -1 ? -1 : 0));
	printf("getoverrun bad id: %s\n", err(syscall(SYS_timer_getoverrun, 12345) == -1 ? -1 : 0));
	v = its(1, 0, 0, 0);
	printf("settime bad id: %s\n", err(syscall(SYS_timer_settime, 12345, 0, &v, NULL) == -1 ? -1 : 0));
}

int main(void)
{
	periodic();
	oneshot_abstime();
	sigev_none();
	thread_id();
	sigev_thread();
	cputime();
	errors();
	return 0;
}
