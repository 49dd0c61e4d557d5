/* tlscount.c - counts instructions in a __thread counter per vCPU and
   checks that each vCPU's callbacks run on one host thread of its own.

   Each thread's count is added to the total when its guest thread makes
   its last system call (exit, or exit_group for the one that ends the
   process), which reaches the plugin on that thread; plugin_exit logs
     tls: total N threads T moved M
   where M counts the threads whose callbacks ran on more than one host
   thread (gettid at the first callback against gettid at the end). */
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "plugins.h"

static __thread uint64_t count;
static __thread long tid;
static _Atomic uint64_t total;
static _Atomic int threads, moved;

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
    if (count++ == 0) {
        tid = syscall(SYS_gettid);
    }
}

void plugin_syscall(void *cpu, int64_t num, const uint64_t args[6])
{
    (void)cpu;
    (void)args;
    int is64 = qemulib_get_arch_name()[0] == 'x';
    int exit_nr = is64 ? 60 : 1, group_nr = is64 ? 231 : 252;
    if (num != exit_nr && num != group_nr) {
        return;
    }
    if (tid != 0 && tid != syscall(SYS_gettid)) {
        moved++;
    }
    total += count;
    threads++;
    count = 0;
}

void plugin_exit(void)
{
    qemulib_log("tls: total %llu threads %d moved %d\n", (unsigned long long)total, threads, moved);
}
