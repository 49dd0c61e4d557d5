/* sysonly.c - a plugin of system-mode events only: under gemu (user
   mode) it loads, and none of its event callbacks is ever called. */
#include "plugins.h"

void plugin_port_io(uint64_t pc, void *cpu, uint16_t port, int size, int is_write,
                    uint32_t value)
{
    (void)cpu;
    qemulib_log("sysonly: port_io %llx %x %d %d %x\n", (unsigned long long)pc, port, size,
                is_write, value);
}

void plugin_mmio(uint64_t pc, void *cpu, uint64_t paddr, int size, int is_write,
                 uint64_t value, const char *device)
{
    (void)cpu;
    qemulib_log("sysonly: mmio %llx %llx %d %d %llx %s\n", (unsigned long long)pc,
                (unsigned long long)paddr, size, is_write, (unsigned long long)value, device);
}

void plugin_interrupt(void *cpu, int kind, int vector, int64_t error_code, uint64_t from_pc,
                      uint64_t to_pc)
{
    (void)cpu;
    qemulib_log("sysonly: interrupt %d %d %lld %llx %llx\n", kind, vector, (long long)error_code,
                (unsigned long long)from_pc, (unsigned long long)to_pc);
}

void plugin_mode_change(void *cpu, int reg, uint64_t old_value, uint64_t new_value)
{
    (void)cpu;
    qemulib_log("sysonly: mode %d %llx %llx\n", reg, (unsigned long long)old_value,
                (unsigned long long)new_value);
}

void plugin_exit(void)
{
    qemulib_log("sysonly: exit\n");
}
