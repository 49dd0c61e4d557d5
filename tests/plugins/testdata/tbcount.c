/* tbcount.c - counts executed blocks on every vCPU, so that every guest
   thread's vCPU gets a handle; logs the total at exit. */
#include <stdio.h>
#include "plugins.h"

static unsigned long long blocks;

bool plugin_init(const char *args)
{
    (void)args;
    return true;
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
    __atomic_add_fetch(&blocks, 1, __ATOMIC_RELAXED);
}

void plugin_exit(void)
{
    qemulib_log("blocks: %llu\n", blocks);
}
