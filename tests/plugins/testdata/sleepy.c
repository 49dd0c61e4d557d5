/* sleepy.c - sleeps 2 ms in each of its first 20 block callbacks and in
   every system call callback, resuming the sleep when a signal cuts it
   short: a callback that blocks must only make gemu slower. plugin_exit
   logs "sleepy: N sleeps". */
#include <errno.h>
#include <time.h>
#include "plugins.h"

static int calls, sleeps;

static void nap(void)
{
    struct timespec t = {0, 2000000};
    while (nanosleep(&t, &t) != 0 && errno == EINTR) {
    }
    sleeps++;
}

bool plugin_needs_before_tb(uint64_t pc, void *cpu)
{
    (void)pc;
    (void)cpu;
    return true;
}

void plugin_before_tb(uint64_t pc, void *cpu)
{
    (void)pc;
    (void)cpu;
    if (calls++ < 20) {
        nap();
    }
}

void plugin_syscall(void *cpu, int64_t num, const uint64_t args[6])
{
    (void)cpu;
    (void)num;
    (void)args;
    nap();
}

void plugin_exit(void)
{
    qemulib_log("sleepy: %d sleeps\n", sleeps);
}
