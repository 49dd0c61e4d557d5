/* hello.c - guest program for the plugin end-to-end tests: a few system
   calls of different kinds and some memory traffic, then exit 0. With an
   argument "crash" it dies of SIGSEGV after writing its output. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile int sink[64];

int main(int argc, char **argv)
{
    for (int i = 0; i < 64; i++) {
        sink[i] = i * i;
    }
    printf("hello from pid>0: %d\n", getpid() > 0);
    fflush(stdout);
    if (write(1, "written\n", 8) != 8) {
        return 2;
    }
    if (argc > 1 && strcmp(argv[1], "crash") == 0) {
        *(volatile int *)16 = 1;
    }
    return sink[7] == 49 ? 0 : 1;
}
