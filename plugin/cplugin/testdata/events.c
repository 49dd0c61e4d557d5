/* events.c - test plugin: logs every event it can see, with the register
   values it reads, so that the Go test can check what gemu calls when. */
#include <inttypes.h>
#include <string.h>
#include "plugins.h"
#include "regnum.h"

static int is64;

bool plugin_init(const char *args)
{
    is64 = strcmp(qemulib_get_arch_name(), "x86_64") == 0;
    qemulib_log("init [%s] %s\n", args, qemulib_get_arch_name());
    return strcmp(args, "fail") != 0;
}

static uint64_t reg(void *cpu, int i386, int amd64)
{
    uint8_t buf[GEMU_REG_MAX_SIZE];
    uint64_t v = 0;
    int n = qemulib_read_register(cpu, buf, is64 ? amd64 : i386);
    memcpy(&v, buf, n < 8 ? n : 8);
    return v;
}

bool plugin_needs_before_tb(uint64_t pc, void *cpu)
{
    (void)cpu;
    return pc != 0x1009; /* all blocks but the last */
}

void plugin_before_tb(uint64_t pc, void *cpu)
{
    qemulib_log("tb %" PRIx64 " ip=%" PRIx64 "\n", pc,
                reg(cpu, I386_EIP_REGNUM, AMD64_RIP_REGNUM));
}

bool plugin_needs_before_insn(uint64_t pc, void *cpu)
{
    uint8_t op;
    /* Code bytes are readable at translation time: skip the dec (ff c9). */
    if (qemulib_read_memory(cpu, pc, &op, 1) != 0) {
        qemulib_log("needs: cannot read %" PRIx64 "\n", pc);
        return false;
    }
    return op != 0xff;
}

void plugin_before_insn(uint64_t pc, void *cpu)
{
    qemulib_log("insn %" PRIx64 " ip=%" PRIx64 " cx=%" PRIu64 "\n", pc,
                reg(cpu, I386_EIP_REGNUM, AMD64_RIP_REGNUM),
                reg(cpu, I386_ECX_REGNUM, AMD64_RCX_REGNUM));
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
    (void)cpu;
    qemulib_log("mem %" PRIx64 " %" PRIx64 " %d %d %" PRIx64 "\n", pc, vaddr,
                size, is_store, value);
}

void plugin_syscall(void *cpu, int64_t num, const uint64_t args[6])
{
    qemulib_log("syscall %" PRId64 " %" PRIx64 " %" PRIx64 " %" PRIx64
                " %" PRIx64 " %" PRIx64 " %" PRIx64 " ax=%" PRIx64 "\n", num,
                args[0], args[1], args[2], args[3], args[4], args[5],
                reg(cpu, I386_EAX_REGNUM, AMD64_RAX_REGNUM));
}

void plugin_syscall_ret(void *cpu, int64_t num, int64_t ret)
{
    (void)cpu;
    qemulib_log("ret %" PRId64 " %" PRId64 "\n", num, ret);
}

void plugin_exit(void)
{
    qemulib_log("exit\n");
}
