/* hwevents.c - test plugin: logs the events of system mode with every
   value it is given, and what it reads through the cpu handle during the
   call (the instruction pointer, CR3, the first code byte at pc), so that
   the Go test can check that the values and a valid handle arrive. */
#include <inttypes.h>
#include <string.h>
#include "plugins.h"
#include "regnum.h"

#if GEMU_PLUGIN_API_VERSION < 2
#error "plugins.h too old: no system-mode events"
#endif

static int is64;

bool plugin_init(const char *args)
{
    (void)args;
    is64 = strcmp(qemulib_get_arch_name(), "x86_64") == 0;
    return true;
}

static uint64_t reg(void *cpu, int i386, int amd64)
{
    uint8_t buf[GEMU_REG_MAX_SIZE];
    uint64_t v = 0;
    int n = qemulib_read_register(cpu, buf, is64 ? amd64 : i386);
    memcpy(&v, buf, n < 8 ? n : 8);
    return v;
}

static int byte_at(void *cpu, uint64_t addr)
{
    uint8_t b;
    return qemulib_read_memory(cpu, addr, &b, 1) == 0 ? b : -1;
}

void plugin_port_io(uint64_t pc, void *cpu, uint16_t port, int size, int is_write,
                    uint32_t value)
{
    qemulib_log("io pc=%" PRIx64 " port=%x size=%d write=%d value=%" PRIx32
                " ip=%" PRIx64 " code=%x\n",
                pc, port, size, is_write, value, reg(cpu, I386_EIP_REGNUM, AMD64_RIP_REGNUM),
                byte_at(cpu, pc));
}

void plugin_mmio(uint64_t pc, void *cpu, uint64_t paddr, int size, int is_write,
                 uint64_t value, const char *device)
{
    qemulib_log("mmio pc=%" PRIx64 " paddr=%" PRIx64 " size=%d write=%d value=%" PRIx64
                " device=%s code=%x\n",
                pc, paddr, size, is_write, value, device, byte_at(cpu, pc));
}

void plugin_interrupt(void *cpu, int kind, int vector, int64_t error_code, uint64_t from_pc,
                      uint64_t to_pc)
{
    const char *k = kind == GEMU_INT_HARDWARE   ? "hw"
                    : kind == GEMU_INT_SOFTWARE ? "sw"
                    : kind == GEMU_INT_EXCEPTION ? "exc"
                                                 : "?";
    qemulib_log("int %s vector=%x err=%" PRId64 "%s from=%" PRIx64 " to=%" PRIx64
                " ip=%" PRIx64 "\n",
                k, vector, error_code, error_code == GEMU_NO_ERROR_CODE ? "(none)" : "", from_pc,
                to_pc, reg(cpu, I386_EIP_REGNUM, AMD64_RIP_REGNUM));
}

void plugin_mode_change(void *cpu, int r, uint64_t old_value, uint64_t new_value)
{
    const char *name = r == GEMU_MODE_CR0    ? "cr0"
                       : r == GEMU_MODE_CR3  ? "cr3"
                       : r == GEMU_MODE_CR4  ? "cr4"
                       : r == GEMU_MODE_EFER ? "efer"
                                             : "?";
    qemulib_log("mode %s %" PRIx64 " -> %" PRIx64 " cr3=%" PRIx64 "\n", name, old_value,
                new_value, reg(cpu, I386_CR3_REGNUM, AMD64_CR3_REGNUM));
}
