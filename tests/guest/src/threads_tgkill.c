// Signals sent to one thread (pthread_kill: tgkill; raise from a thread;
// pthread_sigqueue: rt_tgsigqueueinfo) run their handler on that thread
// alone, while the others spin with the signal unblocked or sleep; a
// signal a thread blocks waits for it (sigpending shows it there only)
// and arrives when it unblocks; a signal sent to the process goes to a
// thread that does not block it.
#include "gt.h"
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <unistd.h>

#define N 4
static pthread_t th[N];
static _Atomic int got[N];       /* handler runs per thread */
static _Atomic int wrong;        /* runs on a thread the signal was not for */
static _Atomic int target = -1;  /* index the current signal is for */
static _Atomic int value_seen;
static _Atomic int stop;
static _Atomic int reported;     /* the unblocking thread printed its line */
static _Atomic int ready;
static __thread int me = -1;     /* this thread's index; -1 in main */

static void handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	/* The value first: the main thread reads it once the count rises. */
	if (sig == SIGUSR2)
		value_seen = si->si_value.sival_int;
	if (me < 0 || me != target)
		wrong++;
	else
		got[me]++;
}

static void *worker(void *arg)
{
	me = (int)(long)arg;
	if (me == N - 1) {
		/* the last thread blocks SIGUSR1 until told */
		sigset_t s;
		sigemptyset(&s);
		sigaddset(&s, SIGUSR1);
		pthread_sigmask(SIG_BLOCK, &s, NULL);
	}
	ready++;
	while (!stop) {
		if (me == N - 1 && stop == 0 && target == 100) {
			sigset_t p;
			sigpending(&p);
			printf("blocked thread sees SIGUSR1 pending: %d\n", sigismember(&p, SIGUSR1));
			target = me;
			sigset_t s;
			sigemptyset(&s);
			sigaddset(&s, SIGUSR1);
			pthread_sigmask(SIG_UNBLOCK, &s, NULL);
			printf("after unblocking: got %d\n", got[me]);
			reported = 1;
		}
		if (me == 1)
			usleep(1000); /* a sleeping thread */
	}
	return NULL;
}

static void wait_for(_Atomic int *c, int v)
{
	for (int i = 0; i < 20000 && *c < v; i++)
		usleep(100);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct sigaction sa = {0};
	sa.sa_sigaction = handler;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	for (long i = 0; i < N; i++)
		pthread_create(&th[i], NULL, worker, (void *)i);
	wait_for(&ready, N);

	for (int round = 0; round < 3; round++)
		for (int i = 0; i < N - 1; i++) {
			target = i;
			int before = got[i];
			pthread_kill(th[i], SIGUSR1);
			wait_for(&got[i], before + 1);
		}
	for (int i = 0; i < N - 1; i++)
		printf("thread %d: %d handler runs\n", i, got[i]);

	target = 2;
	union sigval v = {.sival_int = 1234};
	pthread_sigqueue(th[2], SIGUSR2, v);
	wait_for(&got[2], 4);
	printf("sigqueue to thread 2: runs %d value %d\n", got[2], value_seen);

	/* to the thread that blocks it: pending there, not in main */
	pthread_kill(th[N - 1], SIGUSR1);
	sigset_t p;
	sigpending(&p);
	printf("main sees SIGUSR1 pending: %d\n", sigismember(&p, SIGUSR1));
	target = 100;
	wait_for(&got[N - 1], 1);
	wait_for(&reported, 1); /* its line first, whichever thread is faster */
	printf("blocked thread: %d handler runs\n", got[N - 1]);

	printf("handler runs on a thread the signal was not for: %d\n", wrong);

	/* to the process, with main blocking it: some worker takes it */
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &s, NULL);
	int total = 0;
	for (int i = 0; i < N; i++)
		total += got[i];
	target = -2;
	wrong = 0;
	kill(getpid(), SIGUSR1);
	wait_for(&wrong, 1);
	printf("process signal taken by a worker: %d\n", wrong == 1 && me == -1);
	stop = 1;
	for (int i = 0; i < N; i++)
		pthread_join(th[i], NULL);
	(void)total;
	return 0;
}
