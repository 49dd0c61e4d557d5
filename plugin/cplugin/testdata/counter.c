/* counter.c - keeps a global counter, to check that two instances of the
   same file have separate state. */
#include <stdlib.h>
#include "plugins.h"

static int instance;
static int count;

bool plugin_init(const char *args)
{
    instance = atoi(args);
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
    count++;
}

void plugin_exit(void)
{
    qemulib_log("instance %d: %d blocks\n", instance, count);
}
