/* N worker threads (argv[1]) run the same fixed loop (argv[2] iterations,
 * 2,000,000 by default) at the same time,
 * each then writes a byte to a pipe and blocks in pause() for good; the
 * first thread reads the N bytes, gives the last worker time to reach its
 * pause() (the few instructions between its write and its pause), and
 * exits the process. Every run with the same N executes the same
 * instructions (no spinning, no joins): an instruction count must be the
 * same in every run, and each worker must add the same number. */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static int fds[2];
static long iters = 2000000;
static volatile unsigned long sink;

static void *worker(void *arg)
{
	unsigned long x = (unsigned long)arg;
	for (long i = 0; i < iters; i++)
		x = x * 6364136223846793005UL + 1442695040888963407UL;
	sink = x;
	write(fds[1], "w", 1);
	for (;;)
		pause();
	return 0;
}

int main(int argc, char **argv)
{
	int n = atoi(argv[1]);
	if (argc > 2)
		iters = atol(argv[2]);
	pipe(fds);
	pthread_t t;
	for (int i = 0; i < n; i++)
		pthread_create(&t, 0, worker, (void *)1);
	char c;
	for (int i = 0; i < n; i++)
		read(fds[0], &c, 1);
	struct timespec ts = {0, 300000000};
	nanosleep(&ts, 0);
	write(1, "done\n", 5);
	_exit(0);
}
