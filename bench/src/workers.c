/* workers.c: a CPU-bound job split among worker threads, for bench W7
 * (issue 9: guest threads run in parallel).
 *
 *   workers NWORKERS [ITEMS]
 *
 * ITEMS independent work items (default 6000) are split into NWORKERS
 * contiguous ranges, one per thread (1 to 64; the main thread only starts
 * and joins them). Every item is the same integer work on a buffer of the
 * worker's own (xorshift fill, bubble passes, a bitwise CRC-32: loads,
 * stores, branches, no system calls, no shared writes), and the printed
 * checksum is the sum of the items' results: the same whatever the number
 * of workers, so outputs can be compared across worker counts. The wall
 * time of "workers 1" over that of "workers 2" is the speedup two threads
 * give on the same total work: about 2 on two free cores when threads run
 * in parallel, about 1 when they take turns. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define WORDS 256 /* 1 KiB buffer per worker */
#define MAXW 64

static uint32_t work_item(uint32_t item, uint32_t *buf)
{
	uint32_t x = item * 2654435761u + 0x9e3779b9u;
	for (int i = 0; i < WORDS; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = x;
	}
	for (int pass = 0; pass < 4; pass++)
		for (int i = 1; i < WORDS; i++)
			if (buf[i] < buf[i - 1]) {
				uint32_t t = buf[i];
				buf[i] = buf[i - 1];
				buf[i - 1] = t;
			}
	uint32_t crc = 0xffffffffu;
	const unsigned char *p = (const unsigned char *)buf;
	for (int i = 0; i < WORDS * 4; i++) {
		crc ^= p[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
	}
	return ~crc ^ buf[WORDS / 2];
}

struct worker {
	uint32_t first, end;
	uint64_t sum;
	uint32_t buf[WORDS];
	char pad[64]; /* keep the next worker's fields off this cache line */
};

static void *run(void *arg)
{
	struct worker *w = arg;
	uint64_t sum = 0;
	for (uint32_t i = w->first; i < w->end; i++)
		sum += work_item(i, w->buf);
	w->sum = sum;
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: workers NWORKERS [ITEMS]\n");
		return 2;
	}
	int n = atoi(argv[1]);
	long items = argc > 2 ? atol(argv[2]) : 6000;
	if (n < 1 || n > MAXW || items < 1 || items > 100000000) {
		fprintf(stderr, "workers: NWORKERS must be 1..%d and ITEMS 1..100000000\n", MAXW);
		return 2;
	}
	struct worker *ws = aligned_alloc(64, sizeof(struct worker) * MAXW);
	pthread_t th[MAXW];
	if (!ws) {
		fprintf(stderr, "workers: out of memory\n");
		return 1;
	}
	for (int i = 0; i < n; i++) {
		ws[i].first = (uint32_t)(items * i / n);
		ws[i].end = (uint32_t)(items * (i + 1) / n);
		if (pthread_create(&th[i], NULL, run, &ws[i]) != 0) {
			fprintf(stderr, "workers: pthread_create failed\n");
			return 1;
		}
	}
	uint64_t sum = 0;
	for (int i = 0; i < n; i++) {
		pthread_join(th[i], NULL);
		sum += ws[i].sum;
	}
	printf("items %ld: checksum %016llx\n", items, (unsigned long long)sum);
	return 0;
}
