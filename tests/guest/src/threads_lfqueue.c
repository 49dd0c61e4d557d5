// A lock-free bounded multi-producer multi-consumer queue in C11 atomics
// (<stdatomic.h>): a ring of cells, each with a sequence number that says
// whether it is free for the producer of a given position or full for its
// consumer; producers and consumers claim positions with compare-exchange
// on the shared tail and head, and hand the cell over with release stores
// of its sequence number read with acquire loads. Two producers pass
// ITEMS items in total through it to two consumers (issue 9's yardstick
// for guest threads run in parallel). Checked: no item lost or duplicated
// (a per-item count, the sum), and each consumer sees each producer's
// items in increasing order (the queue is FIFO). Only the checks' results
// are printed. Argument: [ITEMS] (even, default 10^6).
#include "gt.h"
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#define QSIZE 4096 /* a power of two */
#define NPROD 2
#define NCONS 2

struct cell {
	atomic_size_t seq;
	uint32_t value;
};

static struct {
	_Alignas(64) struct cell cells[QSIZE];
	_Alignas(64) atomic_size_t tail; /* next position to produce */
	_Alignas(64) atomic_size_t head; /* next position to consume */
} q;

static void q_init(void)
{
	for (size_t i = 0; i < QSIZE; i++)
		atomic_store_explicit(&q.cells[i].seq, i, memory_order_relaxed);
	atomic_store(&q.tail, 0);
	atomic_store(&q.head, 0);
}

/* q_push returns 0 when the queue is full. */
static int q_push(uint32_t v)
{
	size_t pos = atomic_load_explicit(&q.tail, memory_order_relaxed);
	for (;;) {
		struct cell *c = &q.cells[pos & (QSIZE - 1)];
		size_t seq = atomic_load_explicit(&c->seq, memory_order_acquire);
		intptr_t d = (intptr_t)seq - (intptr_t)pos;
		if (d == 0) {
			if (atomic_compare_exchange_weak_explicit(&q.tail, &pos, pos + 1,
								  memory_order_relaxed, memory_order_relaxed)) {
				c->value = v;
				atomic_store_explicit(&c->seq, pos + 1, memory_order_release);
				return 1;
			}
		} else if (d < 0) {
			return 0;
		} else {
			pos = atomic_load_explicit(&q.tail, memory_order_relaxed);
		}
	}
}

/* q_pop returns 0 when the queue is empty. */
static int q_pop(uint32_t *v)
{
	size_t pos = atomic_load_explicit(&q.head, memory_order_relaxed);
	for (;;) {
		struct cell *c = &q.cells[pos & (QSIZE - 1)];
		size_t seq = atomic_load_explicit(&c->seq, memory_order_acquire);
		intptr_t d = (intptr_t)seq - (intptr_t)(pos + 1);
		if (d == 0) {
			if (atomic_compare_exchange_weak_explicit(&q.head, &pos, pos + 1,
								  memory_order_relaxed, memory_order_relaxed)) {
				*v = c->value;
				atomic_store_explicit(&c->seq, pos + QSIZE, memory_order_release);
				return 1;
			}
		} else if (d < 0) {
			return 0;
		} else {
			pos = atomic_load_explicit(&q.head, memory_order_relaxed);
		}
	}
}

/* Items: producer p sends p*per + i for i = 0..per-1 (value+1 in the
 * queue, so that a zeroed cell never passes for an item). */
static uint32_t per_prod;
static _Atomic unsigned char *seen; /* times each item arrived */
static atomic_uint order_bad;        /* a producer's items out of order */
static atomic_ullong total;           /* sum of all items received */
static atomic_int prod_done;         /* producers that have finished */
static pthread_barrier_t start;

/* Full or empty: the other side must run; give it the CPU now and then. */
static void backoff(unsigned *n)
{
	if (++*n % 32 == 0)
		sched_yield();
	else
		__asm__ volatile("pause");
}

static void *producer(void *arg)
{
	uint32_t p = (uint32_t)(uintptr_t)arg;
	pthread_barrier_wait(&start);
	unsigned n = 0;
	for (uint32_t i = 0; i < per_prod; i++)
		while (!q_push(p * per_prod + i + 1))
			backoff(&n);
	atomic_fetch_add(&prod_done, 1);
	return NULL;
}

static void *consumer(void *arg)
{
	(void)arg;
	uint32_t last[NPROD];
	for (int p = 0; p < NPROD; p++)
		last[p] = 0;
	unsigned long long sum = 0;
	unsigned bad = 0;
	pthread_barrier_wait(&start);
	unsigned n = 0;
	for (;;) {
		/* Done when the queue is empty after every producer has
		 * finished: not after a count of items, so that a broken queue
		 * that loses or duplicates items still ends. */
		int done = atomic_load(&prod_done) == NPROD;
		uint32_t v;
		if (!q_pop(&v)) {
			if (done)
				break;
			backoff(&n);
			continue;
		}
		uint32_t item = v - 1;
		if (v == 0 || item >= NPROD * per_prod) {
			bad++;
			continue;
		}
		uint32_t p = item / per_prod;
		if (last[p] && v <= last[p])
			bad++;
		last[p] = v;
		atomic_fetch_add_explicit(&seen[item], 1, memory_order_relaxed);
		sum += item;
	}
	atomic_fetch_add(&order_bad, bad);
	atomic_fetch_add(&total, sum);
	return NULL;
}

int main(int argc, char **argv)
{
	long items = argc > 1 ? atol(argv[1]) : 1000000;
	if (items < NPROD || items % NPROD != 0 || items > 100000000) {
		fprintf(stderr, "usage: threads_lfqueue [ITEMS, a multiple of %d]\n", NPROD);
		return 2;
	}
	per_prod = (uint32_t)(items / NPROD);
	seen = calloc((size_t)items, 1);
	if (!seen) {
		fprintf(stderr, "out of memory\n");
		return 1;
	}
	q_init();
	pthread_barrier_init(&start, NULL, NPROD + NCONS);
	pthread_t th[NPROD + NCONS];
	for (int i = 0; i < NPROD; i++)
		pthread_create(&th[i], NULL, producer, (void *)(uintptr_t)i);
	for (int i = 0; i < NCONS; i++)
		pthread_create(&th[NPROD + i], NULL, consumer, NULL);
	for (int i = 0; i < NPROD + NCONS; i++)
		pthread_join(th[i], NULL);

	long lost = 0, dup = 0;
	for (long i = 0; i < items; i++) {
		unsigned char s = atomic_load_explicit(&seen[i], memory_order_relaxed);
		if (s == 0)
			lost++;
		else if (s > 1)
			dup += s - 1;
	}
	unsigned long long want = (unsigned long long)items * (unsigned long long)(items - 1) / 2;
	unsigned long long got = atomic_load(&total);
	printf("%d producers, %d consumers, %ld items through a %d-cell queue\n", NPROD, NCONS, items, QSIZE);
	printf("items lost: %ld\n", lost);
	printf("items duplicated: %ld\n", dup);
	printf("items out of their producer's order: %u\n", atomic_load(&order_bad));
	printf("sum of items: %s (want %llu)\n", got == want ? "ok" : "WRONG", want);
	int ok = lost == 0 && dup == 0 && atomic_load(&order_bad) == 0 && got == want;
	printf("threads_lfqueue: %s\n", ok ? "every item passed exactly once, in order" : "FAILED");
	return ok ? 0 : 1;
}
