/* onlycb.c - defines a callback without its needs function. */
#include "plugins.h"

void plugin_before_insn(uint64_t pc, void *cpu)
{
    (void)pc;
    (void)cpu;
    qemulib_log("called!\n");
}
