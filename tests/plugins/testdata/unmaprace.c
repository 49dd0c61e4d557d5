/* unmaprace.c - the guest side of the munmap race test: a thread maps
   and unmaps two pages at a fixed address (argv: rounds), filling them
   with 0xab, while the main thread runs a loop whose every instruction
   makes the plugin (readrace.c) read 16 bytes across those two pages. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define AT ((void *)0x50000000)

static volatile int done;
static long rounds = 2000;

static void *mapper(void *arg)
{
	(void)arg;
	for (long i = 0; i < rounds; i++) {
		char *p = mmap(AT, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		if (p == MAP_FAILED)
			abort();
		memset(p, 0xab, 8192);
		if (i % 3 == 0)
			mprotect(p, 4096, PROT_NONE);
		munmap(p, 8192);
	}
	done = 1;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		rounds = atol(argv[1]);
	pthread_t t;
	pthread_create(&t, 0, mapper, 0);
	unsigned long x = 1;
	while (!done)
		x = x * 3 + 1;
	pthread_join(t, 0);
	printf("rounds %ld\n", rounds);
	return x == 0;
}
