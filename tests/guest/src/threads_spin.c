// Mutual exclusion and x86 memory ordering (TSO) between threads, the
// guarantees guest code relies on once guest threads run in parallel
// (issue 9):
// - a spinlock taken with lock cmpxchg and released by a plain store
//   (__atomic_store_n(..., __ATOMIC_RELEASE) is a mov on x86), 4 threads;
// - Peterson's and Dekker's algorithms for 2 threads, whose entry needs
//   MFENCE between the store of the own flag and the load of the other's
//   (x86 may otherwise satisfy the load before the store is visible);
// - a seqlock: one writer, two readers that must never accept a torn
//   record, and see the versions in order;
// - litmus tests run as streams (each thread stores step numbers and keeps
//   what it read, checked afterwards, no barrier per step, neither side
//   more than a window of steps ahead of the other): store buffering
//   with MFENCE and with a locked XCHG between store and load, message
//   passing and load buffering with plain moves (forbidden outcomes under
//   TSO), coherence of reads of one location.
// Each check prints its verdict only: the interleavings are not printed.
// Arguments: [SCALE] (multiplies the iteration counts, default 1).
#include "gt.h"
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#define LINE 64
static long scale = 1;
static int failures;

static void verdict(const char *what, long bad, const char *detail)
{
	if (bad)
		failures++;
	printf("%-40s %s%s\n", what, bad ? "FAILED: " : "ok", bad ? detail : "");
}

static inline void mfence(void) { __asm__ volatile("mfence" ::: "memory"); }

/* Wait politely: pause, and now and then give the CPU away (the other
 * thread may not be running: more threads than cores, or an emulator
 * that runs one at a time). */
static inline void relax(unsigned *n)
{
	__asm__ volatile("pause" ::: "memory");
	if (++*n % 64 == 0)
		sched_yield();
}

/* ------------------------------------------------------------ spinlock */

#define SL_THREADS 4
static struct {
	_Alignas(LINE) uint32_t lock;
	_Alignas(LINE) volatile uint32_t owner;
	volatile uint32_t counter;
	volatile uint32_t shadow;
	atomic_long overlaps;
	long iters;
	pthread_barrier_t start;
} sl;

static void *sl_worker(void *arg)
{
	uint32_t me = (uint32_t)(uintptr_t)arg;
	long overlaps = 0;
	pthread_barrier_wait(&sl.start);
	for (long i = 0; i < sl.iters; i++) {
		unsigned n = 0;
		for (;;) {
			uint32_t expect = 0;
			if (__atomic_compare_exchange_n(&sl.lock, &expect, 1, 0, __ATOMIC_ACQUIRE,
							__ATOMIC_RELAXED))
				break;
			while (__atomic_load_n(&sl.lock, __ATOMIC_RELAXED))
				relax(&n);
		}
		if (sl.owner != 0)
			overlaps++;
		sl.owner = me;
		uint32_t v = sl.counter;
		sl.shadow = v * 3u;
		sl.counter = v + 1;
		if (sl.owner != me || sl.shadow != v * 3u)
			overlaps++;
		sl.owner = 0;
		__atomic_store_n(&sl.lock, 0, __ATOMIC_RELEASE); /* a plain mov */
	}
	atomic_fetch_add(&sl.overlaps, overlaps);
	return NULL;
}

static void test_spinlock(void)
{
	sl.iters = 20000 * scale;
	pthread_barrier_init(&sl.start, NULL, SL_THREADS);
	pthread_t th[SL_THREADS];
	for (int i = 0; i < SL_THREADS; i++)
		pthread_create(&th[i], NULL, sl_worker, (void *)(uintptr_t)(i + 1));
	for (int i = 0; i < SL_THREADS; i++)
		pthread_join(th[i], NULL);
	long want = SL_THREADS * sl.iters;
	char d[128];
	snprintf(d, sizeof d, "counter %s, %s", sl.counter == (uint32_t)want ? "exact" : "WRONG",
		 atomic_load(&sl.overlaps) ? "two threads inside at once" : "no overlap");
	verdict("spinlock (cmpxchg, plain-store release)", sl.counter != (uint32_t)want || atomic_load(&sl.overlaps), d);
}

/* ------------------------------------------------- Peterson and Dekker */

static struct {
	_Alignas(LINE) volatile int flag[2];
	_Alignas(LINE) volatile int turn;
	_Alignas(LINE) volatile int inside;
	volatile uint32_t counter;
	atomic_long overlaps;
	long iters;
	pthread_barrier_t start;
} pd;

static void cs(long *overlaps)
{
	if (pd.inside++ != 0)
		(*overlaps)++;
	pd.counter = pd.counter + 1;
	if (--pd.inside != 0)
		(*overlaps)++;
}

static void *peterson(void *arg)
{
	int me = (int)(uintptr_t)arg, other = 1 - me;
	long overlaps = 0;
	pthread_barrier_wait(&pd.start);
	for (long i = 0; i < pd.iters; i++) {
		pd.flag[me] = 1;
		pd.turn = other;
		mfence();
		unsigned n = 0;
		while (pd.flag[other] && pd.turn == other)
			relax(&n);
		cs(&overlaps);
		pd.flag[me] = 0;
	}
	atomic_fetch_add(&pd.overlaps, overlaps);
	return NULL;
}

static void *dekker(void *arg)
{
	int me = (int)(uintptr_t)arg, other = 1 - me;
	long overlaps = 0;
	pthread_barrier_wait(&pd.start);
	for (long i = 0; i < pd.iters; i++) {
		pd.flag[me] = 1;
		mfence();
		unsigned n = 0;
		while (pd.flag[other]) {
			if (pd.turn != me) {
				pd.flag[me] = 0;
				while (pd.turn != me)
					relax(&n);
				pd.flag[me] = 1;
				mfence();
			} else {
				relax(&n);
			}
		}
		cs(&overlaps);
		pd.turn = other;
		pd.flag[me] = 0;
	}
	atomic_fetch_add(&pd.overlaps, overlaps);
	return NULL;
}

static void test_two(const char *what, void *(*fn)(void *))
{
	pd.flag[0] = pd.flag[1] = 0;
	pd.turn = 0;
	pd.inside = 0;
	pd.counter = 0;
	atomic_store(&pd.overlaps, 0);
	pd.iters = 20000 * scale;
	pthread_barrier_init(&pd.start, NULL, 2);
	pthread_t th[2];
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, fn, (void *)(uintptr_t)i);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&pd.start);
	int bad_count = pd.counter != (uint32_t)(2 * pd.iters);
	char d[128];
	snprintf(d, sizeof d, "counter %s, %s", bad_count ? "WRONG" : "exact",
		 atomic_load(&pd.overlaps) ? "two threads inside at once" : "no overlap");
	verdict(what, bad_count || atomic_load(&pd.overlaps), d);
}

/* ------------------------------------------------------------- seqlock */

#define SQ_WORDS 8
#define SQ_READERS 2
static struct {
	_Alignas(LINE) volatile uint32_t seq;
	_Alignas(LINE) volatile uint32_t data[SQ_WORDS];
	uint32_t versions;
	atomic_long torn, backwards;
	pthread_barrier_t start;
} sq;

static uint32_t sq_word(uint32_t version, int i) { return version * 2654435761u + (uint32_t)i * 40503u; }

static void *sq_writer(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&sq.start);
	for (uint32_t v = 1; v <= sq.versions; v++) {
		uint32_t s = sq.seq;
		sq.seq = s + 1; /* odd: writing; the stores below follow it (TSO) */
		for (int i = 0; i < SQ_WORDS; i++)
			sq.data[i] = sq_word(v, i);
		sq.seq = s + 2;
	}
	return NULL;
}

static void *sq_reader(void *arg)
{
	(void)arg;
	long torn = 0, backwards = 0;
	uint32_t last = 0, d[SQ_WORDS];
	pthread_barrier_wait(&sq.start);
	unsigned n = 0;
	while (last < sq.versions) {
		uint32_t s1 = sq.seq;
		if (s1 & 1) {
			relax(&n);
			continue;
		}
		for (int i = 0; i < SQ_WORDS; i++)
			d[i] = sq.data[i];
		uint32_t s2 = sq.seq;
		if (s1 != s2)
			continue;
		/* Accepted: the record must be exactly version s1/2. */
		uint32_t v = s1 / 2;
		for (int i = 0; i < SQ_WORDS; i++)
			if (d[i] != (v ? sq_word(v, i) : 0)) {
				torn++;
				break;
			}
		if (v < last)
			backwards++;
		if (v == last)
			relax(&n);
		last = v;
	}
	atomic_fetch_add(&sq.torn, torn);
	atomic_fetch_add(&sq.backwards, backwards);
	return NULL;
}

static void test_seqlock(void)
{
	sq.versions = (uint32_t)(50000 * scale);
	pthread_barrier_init(&sq.start, NULL, 1 + SQ_READERS);
	pthread_t th[1 + SQ_READERS];
	pthread_create(&th[0], NULL, sq_writer, NULL);
	for (int i = 1; i <= SQ_READERS; i++)
		pthread_create(&th[i], NULL, sq_reader, NULL);
	for (int i = 0; i <= SQ_READERS; i++)
		pthread_join(th[i], NULL);
	char d[128];
	snprintf(d, sizeof d, "%s, %s", atomic_load(&sq.torn) ? "a torn record accepted" : "no torn record",
		 atomic_load(&sq.backwards) ? "versions went back" : "versions in order");
	verdict("seqlock (1 writer, 2 readers)", atomic_load(&sq.torn) || atomic_load(&sq.backwards), d);
}

/* ------------------------------------------------------ litmus streams */

static struct {
	_Alignas(LINE) volatile uint32_t x;
	_Alignas(LINE) volatile uint32_t y;
	uint32_t *ra, *rb; /* what thread A and B read at each step (1..steps) */
	uint32_t steps;
	pthread_barrier_t start;
} lt;

enum { SB_MFENCE, SB_XCHG, LB };
#define WINDOW 16

static inline void xchg_store(volatile uint32_t *p, uint32_t v)
{
	__asm__ volatile("xchgl %0, %1" : "+r"(v), "+m"(*p) : : "memory");
}

struct lt_arg {
	int kind, side;
};

static void *lt_thread(void *arg)
{
	struct lt_arg *a = arg;
	volatile uint32_t *mine = a->side ? &lt.y : &lt.x, *theirs = a->side ? &lt.x : &lt.y;
	uint32_t *r = a->side ? lt.rb : lt.ra;
	pthread_barrier_wait(&lt.start);
	unsigned n = 0;
	for (uint32_t i = 1; i <= lt.steps; i++) {
		/* Keep within WINDOW steps of the other side, so that the two
		 * really run at the same time wherever they can. These extra
		 * loads change nothing in the reasoning of the checks. */
		while (*theirs + WINDOW < i)
			relax(&n);
		switch (a->kind) {
		case SB_MFENCE: /* store; mfence; load */
			*mine = i;
			mfence();
			r[i] = *theirs;
			break;
		case SB_XCHG: /* locked store; load */
			xchg_store(mine, i);
			r[i] = *theirs;
			break;
		case LB: /* load; store */
			r[i] = *theirs;
			*mine = i;
			break;
		}
	}
	return NULL;
}

/* lt_run runs the two sides and returns the number of forbidden outcomes. */
static long lt_run(int kind)
{
	lt.x = lt.y = 0;
	memset(lt.ra, 0, (lt.steps + 2) * sizeof *lt.ra);
	memset(lt.rb, 0, (lt.steps + 2) * sizeof *lt.rb);
	pthread_barrier_init(&lt.start, NULL, 2);
	struct lt_arg args[2] = {{kind, 0}, {kind, 1}};
	pthread_t th[2];
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, lt_thread, &args[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&lt.start);
	long bad = 0;
	for (int side = 0; side < 2; side++) {
		const uint32_t *r = side ? lt.rb : lt.ra, *o = side ? lt.ra : lt.rb;
		for (uint32_t i = 1; i <= lt.steps; i++) {
			uint32_t k = r[i];
			if (k > lt.steps) {
				bad++; /* a value never stored */
				continue;
			}
			if (i > 1 && k < r[i - 1])
				bad++; /* coherence: reads of one location went back */
			if (kind == LB) {
				/* Step i read the other's store k: the other's
				 * load at its step k came before that store, and
				 * this side's store i comes after this load (TSO
				 * keeps a load before a later store), so it read
				 * less than i. */
				if (k >= 1 && o[k] >= i)
					bad++;
			} else {
				/* Step i did not see the other's store k+1, so
				 * that store (and the other's load after it) came
				 * after this side's store i: that load saw >= i. */
				if (k < lt.steps && o[k + 1] < i)
					bad++;
			}
		}
	}
	return bad;
}

/* Message passing: A stores data then flag; B loads flag then data. */
static struct {
	_Alignas(LINE) volatile uint32_t data;
	_Alignas(LINE) volatile uint32_t flag;
	_Alignas(LINE) volatile uint32_t progress; /* the reader's last flag */
	uint32_t steps;
	long bad;
	pthread_barrier_t start;
} mp;

static void *mp_writer(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&mp.start);
	unsigned n = 0;
	for (uint32_t i = 1; i <= mp.steps; i++) {
		while (mp.progress + WINDOW < i)
			relax(&n);
		mp.data = i;
		mp.flag = i;
	}
	return NULL;
}

static void *mp_reader(void *arg)
{
	(void)arg;
	long bad = 0;
	uint32_t lastf = 0, lastd = 0;
	unsigned n = 0;
	pthread_barrier_wait(&mp.start);
	while (lastf < mp.steps) {
		uint32_t f = mp.flag;
		uint32_t d = mp.data;
		if (d < f || f < lastf || d < lastd || d > mp.steps)
			bad++;
		if (f == lastf)
			relax(&n);
		mp.progress = f;
		lastf = f;
		lastd = d;
	}
	mp.bad = bad;
	return NULL;
}

static void test_litmus(void)
{
	lt.steps = (uint32_t)(50000 * scale);
	lt.ra = calloc(lt.steps + 2, sizeof *lt.ra);
	lt.rb = calloc(lt.steps + 2, sizeof *lt.rb);
	if (!lt.ra || !lt.rb) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	char d[64];
	long bad = lt_run(SB_MFENCE);
	snprintf(d, sizeof d, "%ld forbidden outcomes", bad);
	verdict("store buffering, mfence between", bad, d);
	bad = lt_run(SB_XCHG);
	snprintf(d, sizeof d, "%ld forbidden outcomes", bad);
	verdict("store buffering, store by locked xchg", bad, d);
	bad = lt_run(LB);
	snprintf(d, sizeof d, "%ld forbidden outcomes", bad);
	verdict("load buffering, plain moves", bad, d);
	free(lt.ra);
	free(lt.rb);

	mp.steps = (uint32_t)(50000 * scale);
	pthread_barrier_init(&mp.start, NULL, 2);
	pthread_t th[2];
	pthread_create(&th[0], NULL, mp_writer, NULL);
	pthread_create(&th[1], NULL, mp_reader, NULL);
	pthread_join(th[0], NULL);
	pthread_join(th[1], NULL);
	snprintf(d, sizeof d, "%ld forbidden outcomes", mp.bad);
	verdict("message passing, plain moves", mp.bad, d);
}

int main(int argc, char **argv)
{
	scale = argc > 1 ? atol(argv[1]) : 1;
	if (scale < 1 || scale > 1000) {
		fprintf(stderr, "usage: threads_spin [SCALE 1..1000]\n");
		return 2;
	}
	test_spinlock();
	test_two("Peterson, mfence", peterson);
	test_two("Dekker, mfence", dekker);
	test_seqlock();
	test_litmus();
	printf("threads_spin: %s\n", failures ? "FAILED" : "mutual exclusion and ordering held");
	return failures ? 1 : 0;
}
