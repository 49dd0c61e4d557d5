// gemu-test: variant=seq arg=300 arg=1
// gemu-test: variant=batch8 arg=296 arg=8
// gemu-test: variant=batch64 arg=128 arg=64
// Thread churn: create and join COUNT threads, BATCH alive at a time (each
// batch is joined before the next starts). Every thread touches its TLS,
// its stack and a malloc'd block and returns a value derived from its
// index; the joined values are summed into a checksum. With glibc's stack
// cache, batches larger than the cache (64 threads of 8 MiB) make it map
// and unmap thread stacks, sequential runs reuse one stack.
// tests/guest/resources_test.go runs this program with 20,000 threads and
// checks gemu's peak memory.
#include "gt.h"
#include <pthread.h>

static __thread unsigned long tls_val = 7;

static void *worker(void *arg)
{
	unsigned long id = (unsigned long)arg;
	volatile char buf[2048];
	for (unsigned i = 0; i < sizeof buf; i += 256)
		buf[i] = (char)(id + i);
	tls_val += id;
	unsigned long *m = malloc(64);
	m[0] = id * 2654435761ul;
	unsigned long r = (m[0] ^ tls_val) + (unsigned char)buf[512];
	free(m);
	return (void *)r;
}

int main(int argc, char **argv)
{
	int count = argc > 1 ? atoi(argv[1]) : 2000;
	int batch = argc > 2 ? atoi(argv[2]) : 1;
	if (count < 1 || batch < 1 || batch > 64) {
		fprintf(stderr, "usage: thread_churn [COUNT [BATCH<=64]]\n");
		return 2;
	}
	pthread_t t[64];
	unsigned long sum = 0;
	int created = 0, joined = 0, failed = 0;
	while (created < count) {
		int n = 0;
		for (; n < batch && created < count; n++, created++) {
			int e = pthread_create(&t[n], NULL, worker, (void *)(unsigned long)created);
			if (e != 0) {
				failed++;
				break;
			}
		}
		for (int i = 0; i < n; i++) {
			void *r;
			if (pthread_join(t[i], &r) == 0) {
				sum = sum * 31 + (unsigned long)r;
				joined++;
			}
		}
		if (failed)
			break;
	}
	printf("threads %d batch %d: joined %d failed %d checksum %lu\n", count, batch, joined, failed, sum & 0xffffffffu);
	return failed != 0;
}
