// gemu-test: dyn=1
// Threads and asynchronous signals together, the paths where an emulator
// running threads on several host threads can race: an ITIMER_REAL timer
// whose SIGALRM handler interrupts four spinning threads (and the main
// thread waiting in pthread_join), counting with atomics on both sides;
// pthread_kill to the one thread that has a signal unblocked; fork from a
// multithreaded process, by the main thread and by a worker thread, with
// the child creating and joining a thread of its own.
// Output is deterministic: only joined results and comparisons are printed.
#include "gt.h"
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#define NT 4
#define TICKS 20

static volatile long ticks;     /* SIGALRM handler runs */
static volatile long bad_signo; /* handler calls with a wrong signal number */
static long total;              /* iterations of all spinners, atomically */

static void on_alarm(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (sig != SIGALRM || si->si_signo != SIGALRM)
		__atomic_add_fetch(&bad_signo, 1, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&ticks, 1, __ATOMIC_SEQ_CST);
}

/* spinner counts until the handler has run TICKS times; it returns its
 * own count, which the main thread checks against the shared total. */
static void *spinner(void *arg)
{
	(void)arg;
	long local = 0;
	while (__atomic_load_n(&ticks, __ATOMIC_SEQ_CST) < TICKS) {
		local++;
		__atomic_add_fetch(&total, 1, __ATOMIC_SEQ_CST);
	}
	return (void *)local;
}

static void timer_spin(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_alarm;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);

	/* The timer starts after the threads: qemu-user, the i386 reference
	 * on hosts without 32-bit support, fails a new thread's rseq
	 * registration when a signal interrupts its clone. */
	pthread_t th[NT];
	for (long i = 0; i < NT; i++)
		pthread_create(&th[i], NULL, spinner, (void *)i);
	struct itimerval it = {{0, 1000}, {0, 1000}}; /* every millisecond */
	if (setitimer(ITIMER_REAL, &it, NULL) != 0)
		printf("setitimer: errno %d\n", errno);
	long sum = 0;
	for (int i = 0; i < NT; i++) {
		void *r;
		pthread_join(th[i], &r);
		sum += (long)r;
	}
	struct itimerval off = {{0, 0}, {0, 0}};
	setitimer(ITIMER_REAL, &off, NULL);
	signal(SIGALRM, SIG_IGN);
	printf("timer: ticks>=%d %s, bad signo %ld\n", TICKS, ticks >= TICKS ? "yes" : "no",
	       bad_signo);
	printf("timer: sum of thread counts == shared total: %s\n",
	       sum == __atomic_load_n(&total, __ATOMIC_SEQ_CST) ? "yes" : "no");
}

/* pthread_kill: SIGUSR1 is blocked everywhere but in the target thread,
 * whose handler records the thread it ran on. */
static volatile pid_t usr1_tid;
static volatile int usr1_hits;
static pthread_barrier_t kbar;

static void on_usr1(int sig)
{
	(void)sig;
	usr1_tid = (pid_t)syscall(SYS_gettid);
	__atomic_add_fetch(&usr1_hits, 1, __ATOMIC_SEQ_CST);
}

static void *target(void *arg)
{
	pid_t *tid = arg;
	*tid = (pid_t)syscall(SYS_gettid);
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &s, NULL);
	pthread_barrier_wait(&kbar); /* ready */
	while (__atomic_load_n(&usr1_hits, __ATOMIC_SEQ_CST) == 0)
		sched_yield();
	return NULL;
}

static void kill_thread(void)
{
	signal(SIGUSR1, on_usr1);
	sigset_t s, old;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &s, &old);
	pthread_barrier_init(&kbar, NULL, 2);
	pid_t tid = 0;
	pthread_t th;
	pthread_create(&th, NULL, target, &tid);
	pthread_barrier_wait(&kbar);
	pthread_kill(th, SIGUSR1);
	pthread_join(th, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	printf("pthread_kill: hits %d, ran on the target thread: %s\n", usr1_hits,
	       usr1_tid == tid ? "yes" : "no");
}

/* Fork from a multithreaded process. Parked threads wait on a condition
 * variable while another thread forks; the child has only the forking
 * thread, starts one of its own and exits with a status the parent checks. */
static pthread_mutex_t pmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pcv = PTHREAD_COND_INITIALIZER;
static int release_parked;

static void *parked(void *arg)
{
	pthread_mutex_lock(&pmu);
	while (!release_parked)
		pthread_cond_wait(&pcv, &pmu);
	pthread_mutex_unlock(&pmu);
	return (void *)((long)arg * 3);
}

static void *child_thread(void *arg) { return (void *)((long)arg + 1); }

/* forker forks; the child prints, runs a thread and exits with 40 + the
 * thread's result; the parent returns the child's exit status. */
static void *forker(void *arg)
{
	const char *who = arg;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		pthread_t t;
		void *r = NULL;
		int e = pthread_create(&t, NULL, child_thread, (void *)1L);
		if (e == 0)
			pthread_join(t, &r);
		char *m = malloc(32);
		snprintf(m, 32, "%s", who);
		printf("child of %s: pthread_create %d, result %ld\n", m, e, (long)r);
		exit(40 + (int)(long)r);
	}
	int st = 0;
	if (waitpid(pid, &st, 0) != pid)
		return (void *)-1L;
	return (void *)(long)(WIFEXITED(st) ? WEXITSTATUS(st) : 1000 + WTERMSIG(st));
}

static void fork_threads(void)
{
	pthread_t th[3];
	for (long i = 0; i < 3; i++)
		pthread_create(&th[i], NULL, parked, (void *)(i + 1));
	long st = (long)forker("main thread");
	printf("fork by main thread: child status %ld\n", st);
	pthread_t f;
	void *r;
	pthread_create(&f, NULL, forker, "worker thread");
	pthread_join(f, &r);
	printf("fork by worker thread: child status %ld\n", (long)r);
	pthread_mutex_lock(&pmu);
	release_parked = 1;
	pthread_cond_broadcast(&pcv);
	pthread_mutex_unlock(&pmu);
	long sum = 0;
	for (int i = 0; i < 3; i++) {
		pthread_join(th[i], &r);
		sum += (long)r;
	}
	printf("parked threads joined: sum %ld\n", sum);
}

int main(void)
{
	timer_spin();
	kill_thread();
	fork_threads();
	return 0;
}
