// gemu-test: env=GOGC=1
// Large concurrent reads and writes whose every byte is checked: one
// thread writes 8 MiB into a pipe in calls of up to 3 MiB while another
// reads it back in odd-sized pieces, and a third writes a 12 MiB file
// (write, writev, fsync) and reads it back (pread, readv). gemu copies
// each call's data through Go buffers; GOGC=1 makes its garbage
// collector run almost continuously, so a buffer that the collector
// could free while the kernel still uses it shows up as wrong bytes.
#include "gt.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/uio.h>
#include <unistd.h>

#define PIPE_BYTES (8u << 20)
#define FILE_BYTES (12u << 20)

static unsigned char pattern(uint32_t i, uint32_t seed)
{
	uint32_t x = (i + seed) * 2654435761u;
	return (unsigned char)(x >> 13 ^ x >> 24);
}

static int pfd[2];

static void *pipe_writer(void *arg)
{
	(void)arg;
	static const uint32_t sizes[] = {1, 4095, 65536, 3u << 20, 100000, 1u << 20, 777};
	unsigned char *buf = malloc(3u << 20);
	uint32_t off = 0, k = 0;
	while (off < PIPE_BYTES) {
		uint32_t n = sizes[k++ % 7];
		if (n > PIPE_BYTES - off)
			n = PIPE_BYTES - off;
		for (uint32_t i = 0; i < n; i++)
			buf[i] = pattern(off + i, 1);
		uint32_t done = 0;
		while (done < n) {
			ssize_t r = write(pfd[1], buf + done, n - done);
			if (r < 0) {
				if (errno == EINTR)
					continue;
				return (void *)1;
			}
			done += (uint32_t)r;
		}
		off += n;
	}
	close(pfd[1]);
	free(buf);
	return NULL;
}

struct result {
	unsigned long bytes, bad;
};

static void *pipe_reader(void *arg)
{
	struct result *res = arg;
	static const uint32_t sizes[] = {1u << 20, 3, 2u << 20, 50000, 4096};
	unsigned char *buf = malloc(2u << 20);
	uint32_t k = 0;
	for (;;) {
		ssize_t r = read(pfd[0], buf, sizes[k++ % 5]);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		for (ssize_t i = 0; i < r; i++)
			if (buf[i] != pattern((uint32_t)(res->bytes + i), 1))
				res->bad++;
		res->bytes += (unsigned long)r;
	}
	free(buf);
	return NULL;
}

static void *file_io(void *arg)
{
	struct result *res = arg;
	char name[] = "io_stress.XXXXXX";
	int fd = mkstemp(name);
	if (fd < 0)
		return NULL;
	unlink(name);
	unsigned char *buf = malloc(FILE_BYTES);
	for (uint32_t i = 0; i < FILE_BYTES; i++)
		buf[i] = pattern(i, 7);
	// First half with one write, second half with a writev of uneven parts.
	uint32_t half = FILE_BYTES / 2;
	if (write(fd, buf, half) != (ssize_t)half)
		res->bad++;
	struct iovec wv[3] = {{buf + half, 12345}, {buf + half + 12345, 2u << 20}, {buf + half + 12345 + (2u << 20), half - 12345 - (2u << 20)}};
	if (writev(fd, wv, 3) != (ssize_t)half)
		res->bad++;
	if (fsync(fd) != 0)
		res->bad++;
	unsigned char *back = malloc(FILE_BYTES);
	memset(back, 0, FILE_BYTES);
	if (pread(fd, back, half, 0) != (ssize_t)half)
		res->bad++;
	lseek(fd, half, SEEK_SET);
	struct iovec rv[2] = {{back + half, 999}, {back + half + 999, half - 999}};
	if (readv(fd, rv, 2) != (ssize_t)half)
		res->bad++;
	for (uint32_t i = 0; i < FILE_BYTES; i++)
		if (back[i] != buf[i])
			res->bad++;
	res->bytes = FILE_BYTES;
	close(fd);
	free(buf);
	free(back);
	return NULL;
}

int main(void)
{
	if (pipe(pfd) != 0)
		return 1;
	struct result pr = {0, 0}, fr = {0, 0};
	pthread_t w, r, f;
	pthread_create(&r, NULL, pipe_reader, &pr);
	pthread_create(&f, NULL, file_io, &fr);
	pthread_create(&w, NULL, pipe_writer, NULL);
	void *wres;
	pthread_join(w, &wres);
	pthread_join(r, NULL);
	pthread_join(f, NULL);
	printf("pipe writer: %s\n", wres ? "failed" : "ok");
	printf("pipe: %lu bytes read, %lu wrong\n", pr.bytes, pr.bad);
	printf("file: %lu bytes checked, %lu wrong\n", fr.bytes, fr.bad);
	return pr.bad || fr.bad || pr.bytes != PIPE_BYTES;
}
