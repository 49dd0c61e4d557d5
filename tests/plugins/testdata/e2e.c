/* e2e.c - plugin for the end-to-end tests: logs its init args and every
   system call entry and return, counts blocks and memory accesses, and
   prints the counts at exit. */
#include <inttypes.h>
#include <stdatomic.h>
#include <string.h>
#include "plugins.h"
#include "regnum.h"

static atomic_uint_fast64_t blocks, accesses;

bool plugin_init(const char *args)
{
    qemulib_log("E2E init [%s] %s\n", args, qemulib_get_arch_name());
    return true;
}

bool plugin_needs_before_tb(uint64_t pc, void *cpu)
{
    (void)pc;
    (void)cpu;
    return true;
}

void plugin_before_tb(uint64_t pc, void *cpu)
{
    (void)pc;
    (void)cpu;
    atomic_fetch_add(&blocks, 1);
}

bool plugin_needs_mem(uint64_t pc, void *cpu)
{
    (void)pc;
    (void)cpu;
    return true;
}

void plugin_mem_access(uint64_t pc, void *cpu, uint64_t vaddr, int size,
                       int is_store, uint64_t value)
{
    (void)pc;
    (void)cpu;
    (void)vaddr;
    (void)size;
    (void)is_store;
    (void)value;
    atomic_fetch_add(&accesses, 1);
}

void plugin_syscall(void *cpu, int64_t num, const uint64_t args[6])
{
    (void)cpu;
    qemulib_log("E2E syscall %" PRId64 " %" PRIx64 "\n", num, args[0]);
}

void plugin_syscall_ret(void *cpu, int64_t num, int64_t ret)
{
    /* The guest registers already hold the result. */
    uint8_t buf[GEMU_REG_MAX_SIZE];
    int64_t ax = 0;
    int n = qemulib_read_register(cpu, buf, 0); /* eax or rax */
    if (n == 4) {
        int32_t v;
        memcpy(&v, buf, 4);
        ax = v;
    } else if (n == 8) {
        memcpy(&ax, buf, 8);
    }
    qemulib_log("E2E ret %" PRId64 " %" PRId64 "%s\n", num, ret,
                ax == ret ? "" : " (eax/rax does not hold it yet)");
}

void plugin_exit(void)
{
    qemulib_log("E2E exit blocks=%" PRIuFAST64 " accesses=%" PRIuFAST64 "\n",
                atomic_load(&blocks), atomic_load(&accesses));
}
