/* hammer.c - plugin for the kept-handle test: plugin_before_tb keeps the
   cpu handle it is given, and a thread of the plugin's calls
   qemulib_read_register and qemulib_read_memory with it in a loop while
   the guest runs; plugin_exit tries once more after every call has
   returned. All of those must fail (the handle is valid only during the
   call that received it), while the same calls inside plugin_before_tb
   succeed. qemulib_log works from any thread. */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include "plugins.h"

static _Atomic(void *) kept;
static _Atomic uint64_t kept_pc;
static atomic_int stop;
static atomic_uint_fast64_t calls, reg_ok, mem_ok, inside_ok, inside_bad;
static pthread_t thread;

static void *hammer(void *arg)
{
    (void)arg;
    qemulib_log("HAMMER thread logging\n");
    while (!atomic_load(&stop)) {
        void *h = atomic_load(&kept);
        if (h == NULL) {
            continue;
        }
        uint8_t buf[16];
        atomic_fetch_add(&calls, 1);
        if (qemulib_read_register(h, buf, 0) != 0) {
            atomic_fetch_add(&reg_ok, 1);
        }
        if (qemulib_read_memory(h, atomic_load(&kept_pc), buf, 4) == 0) {
            atomic_fetch_add(&mem_ok, 1);
        }
    }
    return NULL;
}

bool plugin_init(const char *args)
{
    (void)args;
    return pthread_create(&thread, NULL, hammer, NULL) == 0;
}

bool plugin_needs_before_tb(uint64_t pc, void *cpu)
{
    (void)pc;
    (void)cpu;
    return true;
}

void plugin_before_tb(uint64_t pc, void *cpu)
{
    uint8_t buf[16];
    if (qemulib_read_register(cpu, buf, 0) != 0 && qemulib_read_memory(cpu, pc, buf, 4) == 0) {
        atomic_fetch_add(&inside_ok, 1);
    } else {
        atomic_fetch_add(&inside_bad, 1);
    }
    atomic_store(&kept_pc, pc);
    atomic_store(&kept, cpu);
}

void plugin_exit(void)
{
    /* Let the thread make some calls however short the guest was. */
    struct timespec ms = {0, 1000000};
    for (int i = 0; i < 10000 && atomic_load(&calls) < 1000; i++) {
        nanosleep(&ms, NULL);
    }
    atomic_store(&stop, 1);
    pthread_join(thread, NULL);
    uint8_t buf[16];
    void *h = atomic_load(&kept);
    int exit_reg = qemulib_read_register(h, buf, 0);
    int exit_mem = qemulib_read_memory(h, atomic_load(&kept_pc), buf, 4);
    qemulib_log("HAMMER calls=%" PRIuFAST64 " reg_ok=%" PRIuFAST64 " mem_ok=%" PRIuFAST64
                " inside_ok=%" PRIuFAST64 " inside_bad=%" PRIuFAST64 " exit_reg=%d exit_mem=%d\n",
                atomic_load(&calls), atomic_load(&reg_ok), atomic_load(&mem_ok),
                atomic_load(&inside_ok), atomic_load(&inside_bad), exit_reg, exit_mem);
}
