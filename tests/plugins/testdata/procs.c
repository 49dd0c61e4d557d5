/* procs.c - plugin for the fork and thread tests: logs plugin_init, each
   system call's entry and return with the host process and thread ids
   (which are the guest's), and at exit the number of instructions its
   instance counted. The test relates the ids; nothing else in a line
   varies between runs. */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "plugins.h"

static atomic_uint_fast64_t insns;

static long tid(void)
{
    return syscall(SYS_gettid);
}

bool plugin_init(const char *args)
{
    (void)args;
    qemulib_log("PROCS init pid=%d\n", (int)getpid());
    return true;
}

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
    atomic_fetch_add_explicit(&insns, 1, memory_order_relaxed);
}

void plugin_syscall(void *cpu, int64_t num, const uint64_t args[6])
{
    (void)cpu;
    (void)args;
    qemulib_log("PROCS pid=%d tid=%ld syscall %" PRId64 "\n", (int)getpid(), tid(), num);
}

void plugin_syscall_ret(void *cpu, int64_t num, int64_t ret)
{
    /* The handle is valid: eax/rax already holds the result. */
    uint8_t buf[16];
    int64_t ax = 0;
    int n = qemulib_read_register(cpu, buf, 0);
    if (n == 4) {
        int32_t v;
        memcpy(&v, buf, 4);
        ax = v;
    } else if (n == 8) {
        memcpy(&ax, buf, 8);
    }
    qemulib_log("PROCS pid=%d tid=%ld ret %" PRId64 " %" PRId64 "%s\n", (int)getpid(), tid(), num, ret,
                ax == ret ? "" : " (eax/rax differs)");
}

void plugin_exit(void)
{
    qemulib_log("PROCS exit pid=%d insns=%" PRIuFAST64 "\n", (int)getpid(), atomic_load(&insns));
}
