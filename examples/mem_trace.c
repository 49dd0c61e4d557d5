/*
 * mem_trace.c - log every memory access the guest makes.
 *
 * Each access becomes one line in the log:
 *
 *     <pc>: load  4 @ <vaddr> = <value>
 *     <pc>: store 8 @ <vaddr> = <value>
 *
 * and a summary is printed when the guest exits.
 *
 * args (optional): "loads" to log only loads, "stores" to log only stores.
 *
 *     gemu -plugin file=examples/libmem_trace.so,args=stores -D mem.log ./prog
 */
#include <inttypes.h>
#include <stdatomic.h>
#include <string.h>
#include "plugins.h"

static bool want_loads = true;
static bool want_stores = true;
static int addr_digits = 16;        /* hex digits of a guest address */

/* The guest may be multi-threaded: callbacks can run concurrently. */
static atomic_uint_fast64_t n_loads, n_stores, bytes_loaded, bytes_stored;

bool plugin_init(const char *args)
{
    if (strcmp(args, "") == 0) {
        /* everything */
    } else if (strcmp(args, "loads") == 0) {
        want_stores = false;
    } else if (strcmp(args, "stores") == 0) {
        want_loads = false;
    } else {
        qemulib_log("mem_trace: unknown args \"%s\" (want \"\", \"loads\" "
                    "or \"stores\")\n", args);
        return false;
    }
    if (strcmp(qemulib_get_arch_name(), "i386") == 0) {
        addr_digits = 8;
    }
    return true;
}

/* Asked once per instruction when it is translated: trace them all. */
bool plugin_needs_mem(uint64_t pc, void *cpu)
{
    (void)pc;
    (void)cpu;
    return true;
}

void plugin_mem_access(uint64_t pc, void *cpu, uint64_t vaddr, int size,
                       int is_store, uint64_t value)
{
    (void)cpu;
    if (is_store) {
        atomic_fetch_add(&n_stores, 1);
        atomic_fetch_add(&bytes_stored, (uint64_t)size);
        if (!want_stores) {
            return;
        }
    } else {
        atomic_fetch_add(&n_loads, 1);
        atomic_fetch_add(&bytes_loaded, (uint64_t)size);
        if (!want_loads) {
            return;
        }
    }
    /* value holds the whole datum for sizes up to 8 and its low 8 bytes
       beyond that: print only the bytes it has. */
    int value_digits = 2 * (size < 8 ? size : 8);
    qemulib_log("%0*" PRIx64 ": %s %2d @ %0*" PRIx64 " = %0*" PRIx64 "%s\n",
                addr_digits, pc, is_store ? "store" : "load ", size,
                addr_digits, vaddr, value_digits, value,
                size > 8 ? " (low 8 bytes)" : "");
}

void plugin_exit(void)
{
    qemulib_log("mem_trace: %" PRIuFAST64 " loads (%" PRIuFAST64 " bytes), "
                "%" PRIuFAST64 " stores (%" PRIuFAST64 " bytes)\n",
                atomic_load(&n_loads), atomic_load(&bytes_loaded),
                atomic_load(&n_stores), atomic_load(&bytes_stored));
}
