/* readrace.c - reads 16 bytes across two pages at 0x50000ff8 before every
   instruction (see unmaprace.c), which another guest thread maps and
   unmaps meanwhile. Every read must either fail or return bytes that
   were there: 0x00 (fresh) or 0xab (filled). plugin_exit logs
     readrace: ok N failed F bad B */
#include <stdatomic.h>
#include <stdint.h>
#include "plugins.h"

static _Atomic uint64_t ok, failed, bad;

bool plugin_needs_before_insn(uint64_t pc, void *cpu)
{
    (void)pc;
    (void)cpu;
    return true;
}

void plugin_before_insn(uint64_t pc, void *cpu)
{
    (void)pc;
    uint8_t buf[16];
    if (qemulib_read_memory(cpu, 0x50000ff8, buf, sizeof buf) != 0) {
        failed++;
        return;
    }
    for (int i = 0; i < 16; i++) {
        if (buf[i] != 0 && buf[i] != 0xab) {
            bad++;
            return;
        }
    }
    ok++;
}

void plugin_exit(void)
{
    qemulib_log("readrace: ok %llu failed %llu bad %llu\n", (unsigned long long)ok,
                (unsigned long long)failed, (unsigned long long)bad);
}
