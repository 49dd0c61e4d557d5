/* crash.c - plugin for the crash tests: args names how and where it
   crashes. Each mode logs a few lines first; the test checks that they
   reach the -D log although the plugin kills gemu.

     segv      a store through NULL in plugin_before_insn (10th call)
     abort     abort() in plugin_init
     overflow  infinite recursion in plugin_before_tb (5th call)
     aborttb   abort() in plugin_before_tb (5th call)
     nullmem   a store through NULL in plugin_mem_access (3rd call)
     fpe       integer division by zero in plugin_before_insn (10th call)
     bus       a load from a file mapping past the file's end, in
               plugin_before_insn (10th call)
     ill       an undefined instruction (ud2) in plugin_before_insn
     libc      strlen(NULL) in plugin_syscall: the crash is in libc
     thread    a store through NULL in a thread the plugin started, once
               the guest's third system call has reached the plugin (that
               callback waits for the crash, so the guest cannot end first)
     vcpu      infinite recursion in plugin_syscall_ret on a guest thread's
               vCPU (its first event: the clone's return of 0) */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <sys/mman.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "plugins.h"

static char mode[16];
static int calls;
static volatile int zero;
static int *volatile nowhere;

static void before_crash(void)
{
    for (int i = 1; i <= 3; i++) {
        qemulib_log("CRASH %s line %d\n", mode, i);
    }
}

/* recurse is not a tail call: its frame is live after the call. */
static int recurse(int depth)
{
    volatile char frame[256];
    frame[0] = (char)depth;
    return recurse(depth + 1) + frame[0];
}

static sem_t guest_running;

static void *thread_main(void *arg)
{
    (void)arg;
    while (sem_wait(&guest_running) != 0) {
    }
    before_crash();
    *nowhere = 1;
    return NULL;
}

bool plugin_init(const char *args)
{
    strncpy(mode, args, sizeof mode - 1);
    if (strcmp(mode, "abort") == 0) {
        before_crash();
        abort();
    }
    if (strcmp(mode, "thread") == 0) {
        pthread_t t;
        sem_init(&guest_running, 0, 0);
        pthread_create(&t, NULL, thread_main, NULL);
    }
    return true;
}

bool plugin_needs_before_insn(uint64_t pc, void *cpu)
{
    (void)pc;
    (void)cpu;
    return strcmp(mode, "segv") == 0 || strcmp(mode, "fpe") == 0 || strcmp(mode, "bus") == 0 ||
           strcmp(mode, "ill") == 0;
}

/* bus reads a page of a file mapping that the file no longer covers. */
static void bus(void)
{
    FILE *f = tmpfile();
    if (f == NULL || ftruncate(fileno(f), 4096) != 0) {
        return;
    }
    volatile char *p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fileno(f), 0);
    if (p == MAP_FAILED || ftruncate(fileno(f), 0) != 0) {
        return;
    }
    calls = p[0];
}

void plugin_before_insn(uint64_t pc, void *cpu)
{
    (void)pc;
    (void)cpu;
    if (++calls < 10) {
        return;
    }
    before_crash();
    if (strcmp(mode, "segv") == 0) {
        *nowhere = 1;
    } else if (strcmp(mode, "bus") == 0) {
        bus();
    } else if (strcmp(mode, "ill") == 0) {
        __builtin_trap();
    } else {
        calls = 100 / zero;
    }
}

bool plugin_needs_before_tb(uint64_t pc, void *cpu)
{
    (void)pc;
    (void)cpu;
    return strcmp(mode, "overflow") == 0 || strcmp(mode, "aborttb") == 0;
}

void plugin_before_tb(uint64_t pc, void *cpu)
{
    (void)pc;
    (void)cpu;
    if (++calls == 5) {
        before_crash();
        if (strcmp(mode, "aborttb") == 0) {
            abort();
        }
        calls = recurse(0);
    }
}

bool plugin_needs_mem(uint64_t pc, void *cpu)
{
    (void)pc;
    (void)cpu;
    return strcmp(mode, "nullmem") == 0;
}

void plugin_mem_access(uint64_t pc, void *cpu, uint64_t vaddr, int size, int is_store,
                       uint64_t value)
{
    (void)pc;
    (void)cpu;
    (void)vaddr;
    (void)size;
    (void)is_store;
    (void)value;
    if (++calls == 3) {
        before_crash();
        *nowhere = 1;
    }
}

void plugin_syscall(void *cpu, int64_t num, const uint64_t args[6])
{
    (void)cpu;
    (void)num;
    (void)args;
    if (strcmp(mode, "libc") == 0) {
        before_crash();
        calls = (int)strlen((const char *)nowhere);
    }
    if (strcmp(mode, "thread") == 0 && ++calls == 3) {
        sem_post(&guest_running);
        for (;;) {
            pause(); /* the plugin's thread crashes the process */
        }
    }
}

void plugin_syscall_ret(void *cpu, int64_t num, int64_t ret)
{
    (void)cpu;
    (void)num;
    if (strcmp(mode, "vcpu") == 0 && ret == 0 && syscall(SYS_gettid) != getpid()) {
        before_crash();
        calls = recurse(0);
    }
}
