/*
 * regdump.c - print a few registers at the start of every translation block.
 *
 * One line per block execution:
 *
 *     tb <pc>: ip=<..> sp=<..> ax=<..> cx=<..> flags=<..> fs_base=<..>
 *
 * The register numbers depend on the guest's architecture, chosen once in
 * plugin_init with qemulib_get_arch_name(). As a self-check, a line is
 * flagged if the instruction pointer read from the guest differs from the
 * pc gemu passed (before_tb must see the state before the block's first
 * instruction).
 *
 * args (optional): "limit=N" to stop printing after N blocks.
 *
 *     gemu -plugin file=examples/libregdump.so,args=limit=1000 ./prog
 */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "plugins.h"
#include "regnum.h"

struct shown_reg {
    const char *name;
    int regnum;
};

enum { N_SHOWN = 6 };
static struct shown_reg shown[N_SHOWN];
static int ip_regnum;

static uint64_t limit;              /* 0 = no limit */
static atomic_uint_fast64_t blocks;

bool plugin_init(const char *args)
{
    if (strncmp(args, "limit=", 6) == 0) {
        char *end;
        limit = strtoull(args + 6, &end, 10);
        if (*end != '\0' || end == args + 6) {
            qemulib_log("regdump: bad limit in \"%s\"\n", args);
            return false;
        }
    } else if (args[0] != '\0') {
        qemulib_log("regdump: unknown args \"%s\" (want \"limit=N\")\n", args);
        return false;
    }

    const char *arch = qemulib_get_arch_name();
    if (strcmp(arch, "i386") == 0) {
        ip_regnum = I386_EIP_REGNUM;
        shown[0] = (struct shown_reg){"ip", I386_EIP_REGNUM};
        shown[1] = (struct shown_reg){"sp", I386_ESP_REGNUM};
        shown[2] = (struct shown_reg){"ax", I386_EAX_REGNUM};
        shown[3] = (struct shown_reg){"cx", I386_ECX_REGNUM};
        shown[4] = (struct shown_reg){"flags", I386_EFLAGS_REGNUM};
        shown[5] = (struct shown_reg){"gs_base", I386_GS_BASE_REGNUM};
    } else if (strcmp(arch, "x86_64") == 0) {
        ip_regnum = AMD64_RIP_REGNUM;
        shown[0] = (struct shown_reg){"ip", AMD64_RIP_REGNUM};
        shown[1] = (struct shown_reg){"sp", AMD64_RSP_REGNUM};
        shown[2] = (struct shown_reg){"ax", AMD64_RAX_REGNUM};
        shown[3] = (struct shown_reg){"cx", AMD64_RCX_REGNUM};
        shown[4] = (struct shown_reg){"flags", AMD64_EFLAGS_REGNUM};
        shown[5] = (struct shown_reg){"fs_base", AMD64_FS_BASE_REGNUM};
    } else {
        qemulib_log("regdump: unsupported architecture \"%s\"\n", arch);
        return false;
    }
    return true;
}

/* Read a register of up to 8 bytes as an integer; *size gets its size in
   bytes (0 if gemu does not know the register). */
static uint64_t read_reg(void *cpu, int regnum, int *size)
{
    uint8_t buf[GEMU_REG_MAX_SIZE];
    uint64_t v = 0;
    int n = qemulib_read_register(cpu, buf, regnum);
    *size = n;
    /* Guest byte order is little endian: assemble the value bytewise so
       this works on any host. */
    for (int i = (n < 8 ? n : 8) - 1; i >= 0; i--) {
        v = (v << 8) | buf[i];
    }
    return v;
}

bool plugin_needs_before_tb(uint64_t pc, void *cpu)
{
    (void)pc;
    (void)cpu;
    return true;
}

void plugin_before_tb(uint64_t pc, void *cpu)
{
    uint64_t n = atomic_fetch_add(&blocks, 1);
    if (limit != 0 && n >= limit) {
        return;
    }

    /* Build the line first so that it is logged in one call: lines from
       different guest threads do not mix. */
    char line[256] = "";
    int len = 0;
    int size;
    uint64_t ip = read_reg(cpu, ip_regnum, &size);

    for (int i = 0; i < N_SHOWN && len < (int)sizeof line; i++) {
        uint64_t v = read_reg(cpu, shown[i].regnum, &size);
        if (size == 0) {
            continue;
        }
        len += snprintf(line + len, sizeof line - (size_t)len,
                        " %s=%0*" PRIx64, shown[i].name, 2 * size, v);
    }
    qemulib_log("tb %" PRIx64 ":%s%s\n", pc, line,
                ip == pc ? "" : "  <-- ip != pc");
}

void plugin_exit(void)
{
    qemulib_log("regdump: %" PRIuFAST64 " blocks executed\n",
                atomic_load(&blocks));
}
