// gemu-test: dyn=1
// POSIX threads: create/join with return values, mutex-protected counter,
// atomic counter, condition variable ping-pong, barrier, pthread_once,
// per-thread TLS (__thread) values, thread-specific data, detached thread.
// Output is deterministic because only joined results are printed.
#include "gt.h"
#include <pthread.h>

#define NT 4

static __thread int tls_counter = 100;
static __thread char tls_buf[32];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static long shared;
static long atomic_ctr;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int once_runs;
static pthread_barrier_t bar;
static pthread_key_t key;

static void once_fn(void) { once_runs++; }

static void *worker(void *arg)
{
	long id = (long)arg;
	pthread_once(&once, once_fn);
	tls_counter += (int)id;
	snprintf(tls_buf, sizeof tls_buf, "thread-%ld", id);
	pthread_setspecific(key, (void *)(id * 10));
	long local = 0;
	for (int i = 0; i < 20000; i++) {
		pthread_mutex_lock(&mu);
		shared++;
		pthread_mutex_unlock(&mu);
		__atomic_add_fetch(&atomic_ctr, 2, __ATOMIC_SEQ_CST);
		local += i % (id + 2);
	}
	pthread_barrier_wait(&bar);
	long spec = (long)pthread_getspecific(key);
	char *res = malloc(64);
	snprintf(res, 64, "%s tls=%d local=%ld spec=%ld", tls_buf, tls_counter, local, spec);
	return res;
}

static pthread_mutex_t pm = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pc = PTHREAD_COND_INITIALIZER;
static int turn, rounds_done;

static void *ponger(void *arg)
{
	(void)arg;
	for (int i = 0; i < 1000; i++) {
		pthread_mutex_lock(&pm);
		while (turn != 1)
			pthread_cond_wait(&pc, &pm);
		turn = 0;
		rounds_done++;
		pthread_cond_signal(&pc);
		pthread_mutex_unlock(&pm);
	}
	return NULL;
}

static volatile int detached_done;
static void *detached(void *arg)
{
	(void)arg;
	__atomic_store_n(&detached_done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

int main(void)
{
	pthread_t t[NT];
	pthread_key_create(&key, NULL);
	pthread_barrier_init(&bar, NULL, NT);
	snprintf(tls_buf, sizeof tls_buf, "main");
	for (long i = 0; i < NT; i++)
		pthread_create(&t[i], NULL, worker, (void *)i);
	for (int i = 0; i < NT; i++) {
		void *res;
		pthread_join(t[i], &res);
		printf("joined %d: %s\n", i, (char *)res);
		free(res);
	}
	printf("shared=%ld atomic=%ld once_runs=%d main tls=%d %s\n", shared, atomic_ctr, once_runs, tls_counter, tls_buf);

	pthread_t p;
	pthread_create(&p, NULL, ponger, NULL);
	for (int i = 0; i < 1000; i++) {
		pthread_mutex_lock(&pm);
		turn = 1;
		pthread_cond_signal(&pc);
		while (turn != 0)
			pthread_cond_wait(&pc, &pm);
		pthread_mutex_unlock(&pm);
	}
	pthread_join(p, NULL);
	printf("ping-pong rounds: %d\n", rounds_done);

	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_create(&p, &attr, detached, NULL);
	for (int i = 0; i < 2000 && !__atomic_load_n(&detached_done, __ATOMIC_SEQ_CST); i++) {
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
	printf("detached thread ran: %d\n", detached_done);

	/* thread with a custom small stack */
	pthread_attr_t a2;
	pthread_attr_init(&a2);
	pthread_attr_setstacksize(&a2, 64 * 1024);
	pthread_barrier_destroy(&bar);
	pthread_barrier_init(&bar, NULL, 1);
	pthread_create(&p, &a2, worker, (void *)7);
	void *res;
	pthread_join(p, &res);
	printf("small-stack thread: %s\n", (char *)res);
	free(res);
	printf("self equal: %d\n", pthread_equal(pthread_self(), pthread_self()));
	return 0;
}
