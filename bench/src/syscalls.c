/*
 * gemu benchmark workload W4: a syscall-heavy program.
 *
 *     syscalls SCRATCH_FILE [ROUNDS]
 *
 * - ROUNDS (default 200000) pairs of small write()+read() through a pipe;
 * - ROUNDS/2 getpid() calls, made with syscall() so libc cannot cache them;
 * - ROUNDS/2 rounds of lseek()+read() and lseek()+write() on SCRATCH_FILE,
 *   which is created, truncated and unlinked again.
 *
 * Output is deterministic (no pids or times), so it can be compared
 * between native runs and emulators.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void die(const char *what)
{
    fprintf(stderr, "syscalls: %s: %s\n", what, strerror(errno));
    exit(1);
}

static uint32_t mix(uint32_t h, uint32_t v)
{
    h ^= v;
    h *= 16777619u; /* FNV prime */
    return h;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: syscalls SCRATCH_FILE [ROUNDS]\n");
        return 2;
    }
    long rounds = argc > 2 ? strtol(argv[2], NULL, 10) : 200000;
    if (rounds <= 0) {
        fprintf(stderr, "syscalls: bad ROUNDS\n");
        return 2;
    }

    /* 1. write+read pairs through a pipe. */
    int p[2];
    if (pipe(p) != 0)
        die("pipe");
    uint32_t h = 2166136261u;
    unsigned char out[32], in[32];
    long bytes = 0;
    for (long i = 0; i < rounds; i++) {
        size_t n = 1 + (size_t)(i % 31);
        for (size_t k = 0; k < n; k++)
            out[k] = (unsigned char)(i + k * 7);
        if (write(p[1], out, n) != (ssize_t)n)
            die("write(pipe)");
        ssize_t r = read(p[0], in, sizeof in);
        if (r != (ssize_t)n)
            die("read(pipe)");
        for (ssize_t k = 0; k < r; k++)
            h = mix(h, in[k]);
        bytes += r;
    }
    close(p[0]);
    close(p[1]);
    printf("pipe: %ld pairs, %ld bytes, hash %08x\n", rounds, bytes, h);

    /* 2. getpid, uncached. */
    long pid = syscall(SYS_getpid);
    long same = 0;
    for (long i = 0; i < rounds / 2; i++)
        if (syscall(SYS_getpid) == pid)
            same++;
    printf("getpid: %ld calls, %ld consistent\n", rounds / 2, same);

    /* 3. lseek + read / write on a small file. */
    int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        die("open");
    unsigned char block[4096];
    for (size_t k = 0; k < sizeof block; k++)
        block[k] = (unsigned char)(k * 13 + 1);
    if (write(fd, block, sizeof block) != (ssize_t)sizeof block)
        die("write(file)");
    h = 2166136261u;
    for (long i = 0; i < rounds / 2; i++) {
        off_t off = (off_t)((i * 97) % (long)(sizeof block - 8));
        if (lseek(fd, off, SEEK_SET) != off)
            die("lseek");
        unsigned char b[8];
        if (read(fd, b, sizeof b) != (ssize_t)sizeof b)
            die("read(file)");
        h = mix(h, b[0] | (uint32_t)b[7] << 8);
        b[0] = (unsigned char)(b[0] + 1);
        if (lseek(fd, -8, SEEK_CUR) != off)
            die("lseek(SEEK_CUR)");
        if (write(fd, b, 1) != 1)
            die("write(file)");
    }
    off_t end = lseek(fd, 0, SEEK_END);
    close(fd);
    if (unlink(argv[1]) != 0)
        die("unlink");
    printf("file: %ld seek rounds, size %ld, hash %08x\n", rounds / 2, (long)end, h);
    return 0;
}
