/* tlsthreads.c - N threads (argv[1]) run a loop at the same time and end
   with pthread_exit's exit system call; main joins them and exits. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static volatile unsigned long sink;

static void *worker(void *arg)
{
	unsigned long x = (unsigned long)arg;
	for (long i = 0; i < 200000; i++)
		x = x * 6364136223846793005UL + 1442695040888963407UL;
	sink = x;
	return 0;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 4;
	pthread_t t[64];
	for (int i = 0; i < n && i < 64; i++)
		pthread_create(&t[i], 0, worker, (void *)(long)i);
	for (int i = 0; i < n && i < 64; i++)
		pthread_join(t[i], 0);
	printf("joined %d\n", n);
	return 0;
}
