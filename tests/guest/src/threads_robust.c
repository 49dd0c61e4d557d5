// Robust mutexes: a thread that ends holding one (without unlocking) leaves
// it to the next locker with EOWNERDEAD, both for a locker that comes after
// the thread ended and for one already waiting (woken by the thread's
// exit); pthread_mutex_consistent then makes it usable again, and a mutex
// left inconsistent becomes ENOTRECOVERABLE. Also get_robust_list of the
// calling thread: the head glibc registered and its size.
#include "gt.h"
#include <errno.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

static pthread_mutex_t m1, m2, m3;
static int ready[2];

static void *die_holding(void *arg)
{
	pthread_mutex_t *m = arg;
	printf("thread lock: %s\n", strerrorname_np(pthread_mutex_lock(m)) ?: "0");
	fflush(stdout);
	return 0; /* ends holding it */
}

static void *hold_then_die(void *arg)
{
	pthread_mutex_t *m = arg;
	pthread_mutex_lock(m);
	write(ready[1], "x", 1);
	usleep(100000); /* the main thread is waiting by now */
	return 0;
}

static void init(pthread_mutex_t *m)
{
	pthread_mutexattr_t a;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(m, &a);
}

static const char *res(int r) { return r ? strerrorname_np(r) : "0"; }

int main(void)
{
	init(&m1);
	init(&m2);
	init(&m3);
	pipe(ready);

	pthread_t t;
	pthread_create(&t, 0, die_holding, &m1);
	pthread_join(t, 0);
	int r = pthread_mutex_lock(&m1);
	printf("lock after the owner ended: %s\n", res(r));
	printf("consistent: %s\n", res(pthread_mutex_consistent(&m1)));
	printf("unlock: %s\n", res(pthread_mutex_unlock(&m1)));
	printf("lock again: %s\n", res(pthread_mutex_lock(&m1)));
	pthread_mutex_unlock(&m1);

	/* A waiter when the owner ends. */
	pthread_create(&t, 0, hold_then_die, &m2);
	char c;
	read(ready[0], &c, 1);
	r = pthread_mutex_lock(&m2);
	printf("waiting lock when the owner ended: %s\n", res(r));
	pthread_mutex_consistent(&m2);
	pthread_mutex_unlock(&m2);
	pthread_join(t, 0);

	/* Not made consistent: unusable from then on. */
	pthread_create(&t, 0, die_holding, &m3);
	pthread_join(t, 0);
	printf("lock: %s\n", res(pthread_mutex_lock(&m3)));
	printf("unlock without consistent: %s\n", res(pthread_mutex_unlock(&m3)));
	printf("lock then: %s\n", res(pthread_mutex_lock(&m3)));

	void *head = 0;
	size_t len = 0;
	long g = syscall(SYS_get_robust_list, 0, &head, &len);
	printf("get_robust_list: %ld, head set %d, len %zu\n", g, head != 0, len);
	printf("set_robust_list bad len: %ld\n", syscall(SYS_set_robust_list, head, len + 1) == -1 ? -(long)errno : 0L);
	printf("get_robust_list of no thread: %ld\n", syscall(SYS_get_robust_list, 0x3fffffff, &head, &len) == -1 ? -(long)errno : 0L);
	return 0;
}
