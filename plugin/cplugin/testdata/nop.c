/* nop.c - the cheapest possible instruction callback, for the benchmark. */
#include "plugins.h"

static uint64_t calls;

bool plugin_needs_before_insn(uint64_t pc, void *cpu)
{
    (void)pc;
    (void)cpu;
    return true;
}

void plugin_before_insn(uint64_t pc, void *cpu)
{
    (void)pc;
    (void)cpu;
    calls++;
}

void plugin_exit(void)
{
    qemulib_log("nop: %llu calls\n", (unsigned long long)calls);
}
