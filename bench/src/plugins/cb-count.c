/*
 * cb-count.c - W9's C plugin for gemu (bench/README.md): a callback before
 * every guest instruction that counts its calls, and logs "count N" at
 * exit. The same thing as the yardstick pair (a QEMU plugin doing
 * the same is the qemu side of the comparison). bench/run builds it three
 * ways:
 *
 *   cc -O2 -shared -fPIC -I include                         (count only)
 *   cc -O2 -shared -fPIC -I include -DCB_READ_REG           (+ read rax/eax)
 *   cc -O2 -shared -fPIC -I include -DCB_READ_REG -DCB_READ_MEM
 *                    (+ read rsp/esp instead, and 8 bytes of memory there)
 *
 * so that the cost of qemulib_read_register and of qemulib_read_memory
 * are the differences between consecutive builds: each reads one
 * register, the third also 8 bytes of memory. A failed read is
 * counted and logged at exit ("read failures: N"); what is read goes into
 * a variable that is logged too, so that the compiler keeps the reads.
 */
#include <stdint.h>
#include <string.h>
#include "plugins.h"
#include "regnum.h"

static uint64_t calls;

#if defined(CB_READ_REG) || defined(CB_READ_MEM)
static uint64_t failures, sink;
static int is32;
#endif

bool plugin_init(const char *args)
{
#if defined(CB_READ_REG) || defined(CB_READ_MEM)
    is32 = strcmp(qemulib_get_arch_name(), "i386") == 0;
#endif
    return true;
}

bool plugin_needs_before_insn(uint64_t pc, void *cpu)
{
    return true;
}

void plugin_before_insn(uint64_t pc, void *cpu)
{
    calls++;
#if defined(CB_READ_REG) && !defined(CB_READ_MEM)
    uint8_t buf[GEMU_REG_MAX_SIZE];
    /* eax and rax are both register 0. */
    if (qemulib_read_register(cpu, buf, is32 ? I386_EAX_REGNUM : AMD64_RAX_REGNUM) <= 0) {
        failures++;
        return;
    }
    sink += buf[0];
#endif
#ifdef CB_READ_MEM
    uint8_t buf[GEMU_REG_MAX_SIZE];
    uint64_t sp = 0;
    int n = qemulib_read_register(cpu, buf, is32 ? I386_ESP_REGNUM : AMD64_RSP_REGNUM);
    if (n <= 0) {
        failures++;
        return;
    }
    memcpy(&sp, buf, n < 8 ? n : 8); /* little-endian host and guest */
    uint8_t word[8];
    if (qemulib_read_memory(cpu, sp, word, 8) != 0) {
        failures++;
        return;
    }
    sink += word[0];
#endif
}

void plugin_exit(void)
{
    qemulib_log("count %llu\n", (unsigned long long)calls);
#if defined(CB_READ_REG) || defined(CB_READ_MEM)
    qemulib_log("read failures: %llu (sink %llu)\n", (unsigned long long)failures,
                (unsigned long long)sink);
#endif
}
