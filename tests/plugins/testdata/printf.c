/* printf.c - prints its first three block addresses to stdout with the
   C library's buffered printf and defines no plugin_exit: the lines must
   still reach stdout when gemu ends (gemu writes out C stdio's buffers). */
#include <stdio.h>
#include "plugins.h"

static int n;

bool plugin_needs_before_tb(uint64_t pc, void *cpu)
{
    (void)pc;
    (void)cpu;
    return true;
}

void plugin_before_tb(uint64_t pc, void *cpu)
{
    (void)cpu;
    if (n++ < 3) {
        printf("plugin tb %llx\n", (unsigned long long)pc);
    }
}
