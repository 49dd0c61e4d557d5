/* edges.c - test plugin: calls the qemulib_* functions with bad arguments
   at the first block and logs what they return. The guest has data at
   0x8000-0x9fff (0x9000 PROT_NONE) holding 0x11 0x22 0x33 0x44 at 0x8ffe. */
#include <inttypes.h>
#include <limits.h>
#include <string.h>
#include "plugins.h"
#include "regnum.h"

static int done;

bool plugin_needs_before_tb(uint64_t pc, void *cpu)
{
    (void)pc;
    (void)cpu;
    return true;
}

static int untouched(const uint8_t *b, int n)
{
    for (int i = 0; i < n; i++) {
        if (b[i] != 0xee) {
            return 0;
        }
    }
    return 1;
}

void plugin_before_tb(uint64_t pc, void *cpu)
{
    uint8_t buf[64];
    (void)pc;
    if (done++) {
        return;
    }
#define MEM(name, call)                                                   \
    do {                                                                  \
        memset(buf, 0xee, sizeof buf);                                    \
        int r = (call);                                                   \
        qemulib_log("%s %s untouched=%d\n", name, r == 0 ? "ok" : "err",  \
                    untouched(buf, sizeof buf));                          \
    } while (0)
    MEM("unmapped", qemulib_read_memory(cpu, 0x100000, buf, 4));
    MEM("partly-unmapped", qemulib_read_memory(cpu, 0x9ff0, buf, 32));
    MEM("huge", qemulib_read_memory(cpu, 0x8000, buf, INT_MAX));
    MEM("negative", qemulib_read_memory(cpu, 0x8000, buf, -1));
    MEM("zero-len-null", qemulib_read_memory(cpu, 0x8000, NULL, 0));
    MEM("zero-len-unmapped", qemulib_read_memory(cpu, 0x100000, buf, 0));
    MEM("null-buf", qemulib_read_memory(cpu, 0x8000, NULL, 16));
    MEM("null-cpu", qemulib_read_memory(NULL, 0x8000, buf, 4));
    MEM("bad-cpu", qemulib_read_memory((void *)12345, 0x8000, buf, 4));
    MEM("wrap", qemulib_read_memory(cpu, UINT64_MAX - 1, buf, 4));
    memset(buf, 0xee, sizeof buf);
    int r = qemulib_read_memory(cpu, 0x8ffe, buf, 4);
    qemulib_log("cross %d %02x %02x %02x %02x %02x\n", r, buf[0], buf[1],
                buf[2], buf[3], buf[4]);

    memset(buf, 0xee, sizeof buf);
    qemulib_log("reg-unknown %d %d %d untouched=%d\n",
                qemulib_read_register(cpu, buf, -1),
                qemulib_read_register(cpu, buf, 1000),
                qemulib_read_register(cpu, buf, 66), /* a gap after mxcsr */
                untouched(buf, sizeof buf));
    qemulib_log("reg-null-buf %d\n", qemulib_read_register(cpu, NULL, 0));
    qemulib_log("reg-null-cpu %d\n", qemulib_read_register(NULL, buf, 0));
    qemulib_log("reg-xmm %d\n", qemulib_read_register(cpu, buf, AMD64_XMM0_REGNUM));
    qemulib_log("reg-st0 %d\n", qemulib_read_register(cpu, buf, AMD64_ST0_REGNUM));

    /* A message longer than qemulib_log's stack buffer. */
    char big[3000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    qemulib_log("big %s end\n", big);
}
