// Contention on shared counters (issue 9's yardstick for guest threads run
// in parallel): 8 threads, released together by a barrier, each add 1
// ITERS times to counters updated by different atomic read-modify-writes:
// lock xadd (32 and 16 bits, inline asm), lock add and lock inc (inline
// asm), __atomic_fetch_add on 32 and 64 bits (lock xadd; the 64-bit one
// is a lock cmpxchg8b loop on i386), whose returned old values must be
// 0..total-1 once each (their sum is checked), a lock cmpxchg retry loop (inline asm), on x86-64 a lock
// cmpxchg16b loop on a 128-bit counter, xchg as a lock around a plain
// increment, and a pthread mutex around a plain increment. The experiment
// runs RUNS times; every total must be exact every time. Only the totals
// checks are printed (the interleaving, retries and timing are not).
// Arguments: [RUNS [ITERS]].
#include "gt.h"
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#define NT 8

/* Each counter on a cache line of its own, so that the threads contend
 * for the counter, not for its neighbours. */
#define LINE 64
static struct {
	_Alignas(LINE) volatile uint32_t xadd32;
	_Alignas(LINE) volatile uint16_t xadd16;
	_Alignas(LINE) volatile uint32_t add32;
	_Alignas(LINE) volatile uint32_t inc32;
	_Alignas(LINE) uint32_t fa32;
	_Alignas(LINE) uint64_t fa64;
	_Alignas(LINE) volatile uint32_t cas32;
	_Alignas(LINE) volatile uint64_t cas128[2]; /* x86-64 only: lo, hi */
	_Alignas(LINE) volatile uint32_t xchg_lock;
	_Alignas(LINE) volatile uint32_t xchg_guarded;
	_Alignas(LINE) pthread_mutex_t mu;
	_Alignas(LINE) volatile uint32_t mutex_guarded;
	_Alignas(LINE) uint64_t olds32, olds64; /* sums of fetch-add results */
} c;

static pthread_barrier_t start; /* the threads start together */
static long iters;

static inline void xadd32(volatile uint32_t *p, uint32_t v)
{
	__asm__ volatile("lock xaddl %0, %1" : "+r"(v), "+m"(*p) : : "memory");
}

static inline void xadd16(volatile uint16_t *p, uint16_t v)
{
	__asm__ volatile("lock xaddw %0, %1" : "+r"(v), "+m"(*p) : : "memory");
}

static inline void add32(volatile uint32_t *p, uint32_t v)
{
	__asm__ volatile("lock addl %1, %0" : "+m"(*p) : "ri"(v) : "memory", "cc");
}

static inline void inc32(volatile uint32_t *p)
{
	__asm__ volatile("lock incl %0" : "+m"(*p) : : "memory", "cc");
}

/* cmpxchg retry loop: read, compute, try to install, again on failure. */
static inline void cas_inc32(volatile uint32_t *p)
{
	uint32_t old = *p;
	for (;;) {
		uint32_t seen = old;
		__asm__ volatile("lock cmpxchgl %2, %1"
				 : "+a"(seen), "+m"(*p)
				 : "r"(old + 1)
				 : "memory", "cc");
		if (seen == old)
			return;
		old = seen;
	}
}

#ifdef __x86_64__
/* 128-bit counter: a lock cmpxchg16b loop adding 1 to both halves, so
 * that a torn or lost update shows as unequal halves or a short count. */
static inline void cas_inc128(volatile uint64_t *p)
{
	uint64_t lo = p[0], hi = p[1];
	for (;;) {
		uint64_t nlo = lo + 1, nhi = hi + 1;
		unsigned char ok;
		__asm__ volatile("lock cmpxchg16b %1\n\tsete %0"
				 : "=q"(ok), "+m"(*(volatile __int128 *)p), "+a"(lo), "+d"(hi)
				 : "b"(nlo), "c"(nhi)
				 : "memory", "cc");
		if (ok)
			return;
	}
}
#endif

static inline uint32_t xchg32(volatile uint32_t *p, uint32_t v)
{
	__asm__ volatile("xchgl %0, %1" : "+r"(v), "+m"(*p) : : "memory");
	return v;
}

/* Wait while *p is nonzero: pause, and give the CPU away now and then
 * (the holder may be descheduled: 8 threads on fewer cores, or a
 * serializing emulator). */
static void spin_wait(volatile uint32_t *p)
{
	for (unsigned n = 1; *p; n++) {
		__asm__ volatile("pause");
		if (n % 64 == 0)
			sched_yield();
	}
}

static void *worker(void *arg)
{
	(void)arg;
	/* The old values fetch-add returns are 0..total-1, each once: their
	 * sum is known. */
	uint64_t olds32 = 0, olds64 = 0;
	pthread_barrier_wait(&start);
	for (long i = 0; i < iters; i++) {
		xadd32(&c.xadd32, 1);
		xadd16(&c.xadd16, 1);
		add32(&c.add32, 1);
		inc32(&c.inc32);
		olds32 += __atomic_fetch_add(&c.fa32, 1, __ATOMIC_SEQ_CST);
		olds64 += __atomic_fetch_add(&c.fa64, 1, __ATOMIC_SEQ_CST);
		cas_inc32(&c.cas32);
#ifdef __x86_64__
		cas_inc128(c.cas128);
#endif
		while (xchg32(&c.xchg_lock, 1))
			spin_wait(&c.xchg_lock);
		c.xchg_guarded = c.xchg_guarded + 1;
		__atomic_store_n(&c.xchg_lock, 0, __ATOMIC_RELEASE);
		pthread_mutex_lock(&c.mu);
		c.mutex_guarded = c.mutex_guarded + 1;
		pthread_mutex_unlock(&c.mu);
	}
	__atomic_fetch_add(&c.olds32, olds32, __ATOMIC_SEQ_CST);
	__atomic_fetch_add(&c.olds64, olds64, __ATOMIC_SEQ_CST);
	return NULL;
}

enum { K_XADD32, K_XADD16, K_ADD32, K_INC32, K_FA32, K_FA64, K_OLDS32, K_OLDS64, K_CAS32, K_CAS128, K_XCHG, K_MUTEX, NK };
static const char *names[NK] = {
	"lock xadd (32-bit)", "lock xadd (16-bit)", "lock add", "lock inc",
	"__atomic_fetch_add (32-bit)", "__atomic_fetch_add (64-bit)",
	"  sum of its 32-bit results", "  sum of its 64-bit results",
	"lock cmpxchg loop", "lock cmpxchg16b loop", "xchg spinlock + plain add",
	"pthread mutex + plain add",
};

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 100;
	iters = argc > 2 ? atol(argv[2]) : 500;
	if (runs < 1 || iters < 1) {
		fprintf(stderr, "usage: threads_contend [RUNS [ITERS]]\n");
		return 2;
	}
	int bad_runs[NK] = {0};
	int first_bad[NK];
	uint64_t first_got[NK];
	const uint64_t want = (uint64_t)NT * (uint64_t)iters;
	pthread_mutex_init(&c.mu, NULL);
	pthread_barrier_init(&start, NULL, NT);
	for (int r = 0; r < runs; r++) {
		c.xadd32 = c.xadd16 = c.add32 = c.inc32 = c.fa32 = c.cas32 = 0;
		c.fa64 = c.olds32 = c.olds64 = 0;
		c.cas128[0] = c.cas128[1] = 0;
		c.xchg_lock = c.xchg_guarded = c.mutex_guarded = 0;
		pthread_t th[NT];
		for (int i = 0; i < NT; i++)
			if (pthread_create(&th[i], NULL, worker, NULL) != 0) {
				fprintf(stderr, "pthread_create failed\n");
				return 1;
			}
		for (int i = 0; i < NT; i++)
			pthread_join(th[i], NULL);

		uint64_t got[NK] = {
			c.xadd32, c.xadd16, c.add32, c.inc32, c.fa32, c.fa64, c.olds32, c.olds64, c.cas32,
			c.cas128[0] == c.cas128[1] ? c.cas128[0] : ~0ull,
			c.xchg_guarded, c.mutex_guarded,
		};
		uint64_t exp[NK] = {want & 0xffffffff, want & 0xffff, want & 0xffffffff,
				    want & 0xffffffff, want & 0xffffffff, want, want * (want - 1) / 2,
				    want * (want - 1) / 2, want & 0xffffffff,
				    want, want & 0xffffffff, want & 0xffffffff};
#ifndef __x86_64__
		exp[K_CAS128] = got[K_CAS128] = 0;
#endif
		for (int k = 0; k < NK; k++)
			if (got[k] != exp[k]) {
				if (bad_runs[k]++ == 0) {
					first_bad[k] = r;
					first_got[k] = got[k];
				}
			}
	}
	printf("%d threads x %ld iterations, %d runs; each total should be %llu\n", NT, iters, runs,
	       (unsigned long long)want);
	int bad = 0;
	for (int k = 0; k < NK; k++) {
#ifndef __x86_64__
		if (k == K_CAS128) {
			printf("%-28s: (x86-64 only)\n", names[k]);
			continue;
		}
#endif
		if (bad_runs[k] == 0) {
			printf("%-28s: exact in all %d runs\n", names[k], runs);
		} else {
			bad++;
			printf("%-28s: WRONG in %d of %d runs (first: run %d, total %llu)\n", names[k],
			       bad_runs[k], runs, first_bad[k], (unsigned long long)first_got[k]);
		}
	}
	printf("threads_contend: %s\n", bad ? "FAILED" : "all totals exact");
	return bad ? 1 : 0;
}
