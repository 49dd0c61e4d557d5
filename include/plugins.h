/*
 * plugins.h - gemu's public C plugin API.
 *
 * A plugin is a shared object loaded with
 *
 *     gemu -plugin file=PATH[,args=STRING] ... program [arguments]
 *
 * It is built on its own, with only this directory and a C compiler:
 *
 *     cc -shared -fPIC -Iinclude myplugin.c -o libmyplugin.so
 *
 * Do not link it against anything of gemu's: the qemulib_* functions below
 * are left undefined in the plugin and are resolved against gemu when the
 * plugin is loaded.
 *
 * 1. Functions a plugin defines (all optional)
 *
 * gemu looks each one up by name when it loads the plugin; a plugin defines
 * only the ones it uses, and a function it does not define is simply not
 * called. A shared object that defines none of them is refused. A "before"
 * callback is called only where its "needs" function said true, so one
 * defined without its "needs" function is never called.
 *
 * The model is the same for every event: a "needs"
 * question is asked when guest code is translated, and the matching
 * callback is called each time that code runs, for the plugins that
 * answered true and only for them. Code nobody asked for runs at full
 * speed.
 *
 * When several plugins are loaded, each callback is called for the
 * plugins in the order of their -plugin options on the command line.
 *
 * The "cpu" argument is an opaque handle for the guest CPU (vCPU) on whose
 * behalf the call is made. It is valid only for the duration of that call:
 * pass it to qemulib_read_memory() / qemulib_read_register() from inside
 * the call, never keep it for later or hand it to another thread. gemu
 * checks it: those functions fail, reading nothing, for a handle that is
 * not the one of a call the calling thread is making.
 *
 * A plugin that crashes (a fault, abort(), a stack overflow) while gemu
 * calls it ends gemu with one line on stderr naming the plugin, the signal
 * and the callback, after the log is written out, and gemu dies by that
 * signal. No plugin_exit is called then.
 *
 * If the guest program creates threads, each runs on its own vCPU and
 * callbacks may be called concurrently from several host threads, each with
 * its own cpu handle. Plugins that keep shared state must protect it. A
 * vCPU's callbacks always run on the same host thread (the process's main
 * thread for the first one), so thread-local variables are per vCPU.
 *
 * Where callbacks run: every callback made while the guest runs (the
 * "needs" questions, the before, memory and system call callbacks) is a
 * plain C call on the vCPU's host thread, on a C stack of the vCPU's own:
 * 1 MiB, with an inaccessible guard region of 64 KiB below it, so that a
 * stack overflow is reported as one (see crashes above). plugin_init and
 * plugin_exit run on the host thread's own stack. A callback may call the
 * qemulib_* functions, the C library (printf, malloc, locks...) and system
 * calls. Keep the callbacks that run often short: while one runs, gemu's
 * garbage collector cannot stop that thread, so a callback that takes a
 * millisecond delays every collection, on every thread, by as much. A
 * callback that blocks or sleeps works, only slower; sleeping calls may
 * return early with EINTR (gemu's runtime signals its threads). A plugin
 * that never calls qemulib_read_register runs faster: gemu sees from the
 * symbols it imports that it cannot read registers, and then does not keep
 * the guest's flags exact for it.
 *
 * Processes: gemu cannot copy itself, so a guest process created by fork,
 * vfork or clone runs in a new gemu process, which loads the plugins
 * afresh. The child runs its own instance of every plugin: plugin_init is
 * called again in the child (with the same args), the instance's state
 * starts as after plugin_init (counters at zero, nothing of the parent's),
 * its first event is plugin_syscall_ret of the fork with 0, and its
 * plugin_exit is called when the child ends. The same holds after execve:
 * plugin_exit ends the old program's instance, and plugin_init starts a new
 * one for the new program. All instances write to the same log.
 *
 * 2. Functions gemu provides to plugins (qemulib_*)
 *
 * Declared at the end of this file. They may be called from any plugin
 * callback (and, where they need no cpu, from plugin_init and plugin_exit).
 */
#ifndef GEMU_PLUGINS_H
#define GEMU_PLUGINS_H

#include <stdint.h>
#include <stdbool.h>

/* Version of this API, raised when functions are added. 1: the seed API
   plus memory, system call and exit events and qemulib_get_arch_name.
   2: the events of system mode (gemu-system): plugin_port_io, plugin_mmio,
   plugin_interrupt, plugin_mode_change and their GEMU_INT_* and
   GEMU_MODE_* constants. */
#define GEMU_PLUGIN_API_VERSION 2

/* Plugin entry points keep default visibility even when a plugin is built
   with -fvisibility=hidden: the attribute on these declarations carries
   over to the plugin's definitions. */
#if defined(__GNUC__) || defined(__clang__)
#define GEMU_PLUGIN_EXPORT __attribute__((visibility("default")))
#define GEMU_PRINTF_FORMAT(f, a) __attribute__((format(printf, f, a)))
#else
#define GEMU_PLUGIN_EXPORT
#define GEMU_PRINTF_FORMAT(f, a)
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* =====================================================================
 * Functions a plugin may define
 * =================================================================== */

/*
 * plugin_init - optional (a plugin without it is ready once loaded).
 *
 * Called once per plugin and guest process, after the guest program is
 * loaded and before its first instruction runs, in command-line order (in
 * a forked child or after execve, again: see "Processes" above). `args` is the STRING of
 * the plugin's ",args=STRING" option, whole, with each ",," turned into a
 * literal ','; it is "" when no args were given. The string stays valid
 * only during the call: copy what you keep.
 *
 * There is no cpu yet: qemulib_read_memory/qemulib_read_register cannot be
 * called here. qemulib_log and qemulib_get_arch_name can.
 *
 * Return true if the plugin is ready. Returning false makes gemu stop with
 * an error naming the plugin, without running the guest.
 */
GEMU_PLUGIN_EXPORT bool plugin_init(const char *args);

/*
 * plugin_needs_before_insn - optional (with plugin_before_insn).
 *
 * Asked when the guest instruction at address `pc` is translated: return
 * true to have plugin_before_insn called each time that instruction is
 * about to execute.
 *
 * The question can be asked more than once for the same pc: a block is
 * translated again after its code is modified or the translation cache is
 * flushed, and the same instruction can belong to more than one block. Each
 * translation uses the answer given for it, so answer consistently (a pure
 * function of pc and the code bytes is best).
 *
 * At this point the instruction has not executed and may never execute.
 * Reading memory through `cpu` works (for example to look at the
 * instruction's bytes at pc); registers read through `cpu` give the state
 * at translation time, which is not the state the instruction will see.
 */
GEMU_PLUGIN_EXPORT bool plugin_needs_before_insn(uint64_t pc, void *cpu);

/*
 * plugin_before_insn - optional.
 *
 * Called at run time, each time the instruction at `pc` is about to
 * execute, if this plugin's plugin_needs_before_insn said true for it when
 * it was translated. The guest state seen through `cpu` is exactly the
 * state before that instruction: the instruction pointer equals pc, every
 * earlier instruction has completed (registers, flags and memory), and
 * nothing of this one has happened yet.
 *
 * A REP-prefixed string instruction counts as one instruction. An
 * instruction that faults and is restarted (for example after the guest's
 * signal handler returns) is reported again when it restarts.
 */
GEMU_PLUGIN_EXPORT void plugin_before_insn(uint64_t pc, void *cpu);

/*
 * plugin_needs_before_tb - optional (with plugin_before_tb).
 *
 * Asked when a translation block (a straight-line run of guest code
 * translated together) starting at `pc` is translated: return true to have
 * plugin_before_tb called each time that block starts executing. The same
 * remarks as for plugin_needs_before_insn apply. Where blocks begin and end
 * is gemu's choice (at branches, page boundaries, a size limit, ...) and is
 * not part of this API.
 */
GEMU_PLUGIN_EXPORT bool plugin_needs_before_tb(uint64_t pc, void *cpu);

/*
 * plugin_before_tb - optional.
 *
 * Called at run time each time the block starting at `pc` begins to
 * execute, whether it was reached through the dispatcher or by a jump
 * chained directly from another block. The guest state is exactly the
 * state before the block's first instruction. At a given pc, all plugins'
 * plugin_before_tb calls come before any plugin_before_insn call for the
 * block's first instruction.
 */
GEMU_PLUGIN_EXPORT void plugin_before_tb(uint64_t pc, void *cpu);

/*
 * plugin_needs_mem - optional (with plugin_mem_access).
 *
 * Asked when the instruction at `pc` is translated: return true to have
 * plugin_mem_access called for each memory access that instruction makes.
 * Same remarks as for plugin_needs_before_insn.
 */
GEMU_PLUGIN_EXPORT bool plugin_needs_mem(uint64_t pc, void *cpu);

/*
 * plugin_mem_access - optional.
 *
 * Called at run time after each data access to guest memory made by an
 * instruction for which plugin_needs_mem said true, in the order the
 * accesses happen. An instruction can make several (push, call, movs,
 * a read-modify-write such as "add [m], r" reports a load then a store; a
 * REP string instruction reports each iteration's accesses).
 *
 *   pc        address of the instruction making the access
 *   vaddr     guest virtual (linear) address accessed, segment base
 *             included: the address qemulib_read_memory() takes
 *   size      access size in bytes (1, 2, 4, 8, 10, 16, ...)
 *   is_store  0 for a load, 1 for a store
 *   value     the value loaded or stored, read as a little-endian integer
 *             and zero-extended; for accesses wider than 8 bytes, its low
 *             8 bytes (read the rest with qemulib_read_memory: after a
 *             store the memory holds the new data)
 *
 * The callback runs in the middle of the instruction: memory reflects the
 * access just made, but whether registers already reflect this
 * instruction's other effects is unspecified. An access that faults is not
 * reported. Instruction fetches are not reported.
 */
GEMU_PLUGIN_EXPORT void plugin_mem_access(uint64_t pc, void *cpu,
                                          uint64_t vaddr, int size,
                                          int is_store, uint64_t value);

/*
 * plugin_syscall - optional.
 *
 * Called, if defined, each time the guest makes a system call, before gemu
 * performs it. The guest state is as right after the system call
 * instruction (int 0x80, sysenter or syscall), before anything of the call
 * has happened.
 *
 *   num    the system call number, in the numbering of the guest's ABI
 *          (i386: eax; x86-64: rax)
 *   args   the six argument registers, in ABI order
 *          (i386: ebx, ecx, edx, esi, edi, ebp, zero-extended;
 *           x86-64: rdi, rsi, rdx, r10, r8, r9)
 *
 * `args` is valid only during the call.
 */
GEMU_PLUGIN_EXPORT void plugin_syscall(void *cpu, int64_t num,
                                       const uint64_t args[6]);

/*
 * plugin_syscall_ret - optional.
 *
 * Called, if defined, after the system call `num` has been performed, on
 * the same thread, with the guest state already updated with its result.
 * `ret` is the value the guest receives in eax/rax: a negative errno on
 * failure (sign-extended from 32 bits for i386 guests).
 *
 * Each plugin_syscall is followed by at most one plugin_syscall_ret.
 * There is none for calls that do not return (exit, exit_group, a
 * successful execve). A call that creates a thread or process (clone,
 * fork, vfork) returns in the parent with the new id and, with 0, in the
 * new thread or child process, where that plugin_syscall_ret comes before
 * its first instruction and has no plugin_syscall before it: a new
 * thread's is the first call on its own cpu handle and host thread; a
 * child process's goes to the child's own instance of the plugin, right
 * after its plugin_init.
 */
GEMU_PLUGIN_EXPORT void plugin_syscall_ret(void *cpu, int64_t num,
                                           int64_t ret);

/* ---------------------------------------------------------------------
 * Events of system mode
 *
 * gemu-system emulates a whole PC; these callbacks observe its hardware
 * and the CPU's privileged transitions. gemu (user mode) never calls them:
 * a plugin may define them and still run under gemu.
 *
 * Unlike the instruction, block and memory events they have no "needs"
 * question: each is called, if defined, for every occurrence. Which
 * instruction reaches a device is known only when it runs (any load or
 * store may touch device memory), the events are rare next to executed
 * instructions, each already costs a device access, and a tracer usually
 * selects them by port, address or vector rather than by pc: a question
 * at translation time would save nothing. A plugin that wants a few of
 * them returns early from the others.
 *
 * In system mode `pc` is a guest virtual address, kernel code included,
 * and the state seen through `cpu` is the whole machine's CPU (control
 * registers, privilege level: see regnum.h).
 * ------------------------------------------------------------------- */

/*
 * plugin_port_io - optional.
 *
 * Called after each port access of an IN, OUT, INS or OUTS instruction has
 * been handled by the device (each element of a REP INS/OUTS).
 *
 *   pc        address of the instruction
 *   port      the I/O port
 *   size      1, 2 or 4 bytes
 *   is_write  1 for OUT/OUTS, 0 for IN/INS
 *   value     the value written, or read (all ones from a port no device
 *             serves), zero-extended
 */
GEMU_PLUGIN_EXPORT void plugin_port_io(uint64_t pc, void *cpu, uint16_t port,
                                       int size, int is_write, uint32_t value);

/*
 * plugin_mmio - optional.
 *
 * Called after each access an instruction makes to device memory (memory
 * mapped I/O: the IO-APIC, the local APIC, a PCI device's memory BAR) has
 * been handled by the device. Accesses to RAM are not reported here (see
 * plugin_mem_access), nor devices' own accesses to RAM (DMA).
 *
 *   pc        address of the instruction
 *   paddr     the physical address accessed
 *   size      access size in bytes
 *   is_write  1 for a store, 0 for a load
 *   value     the value stored or loaded, zero-extended
 *   device    the name of the device serving paddr ("ioapic",
 *             "virtio-blk", ...), "" for an address no device serves
 *             (reads give all ones); valid only during the call
 */
GEMU_PLUGIN_EXPORT void plugin_mmio(uint64_t pc, void *cpu, uint64_t paddr,
                                    int size, int is_write, uint64_t value,
                                    const char *device);

/* plugin_interrupt's kinds. */
#define GEMU_INT_HARDWARE 0  /* external interrupt (PIC or APIC) */
#define GEMU_INT_SOFTWARE 1  /* INT n, INT3, INTO */
#define GEMU_INT_EXCEPTION 2 /* CPU exception: fault, trap or abort */
/* plugin_interrupt's error_code when the vector pushes none. */
#define GEMU_NO_ERROR_CODE (-1)

/*
 * plugin_interrupt - optional.
 *
 * Called after the CPU delivered an interrupt or an exception through the
 * IDT: the guest state seen through `cpu` is the handler's entry state
 * (the instruction pointer is to_pc, the frame is pushed, the privilege
 * level and stack are the handler's).
 *
 *   kind        GEMU_INT_HARDWARE, GEMU_INT_SOFTWARE or GEMU_INT_EXCEPTION
 *   vector      0-255
 *   error_code  the error code pushed (#DF, #TS, #NP, #SS, #GP, #PF, #AC),
 *               or GEMU_NO_ERROR_CODE; a page fault's address is in CR2
 *   from_pc     where the CPU was: the interrupted instruction (hardware
 *               interrupts), the faulting one (faults), or the one after
 *               the INT n/INT3/INTO or the trapping instruction
 *   to_pc       the handler's address
 *
 * A fault during the delivery of another is reported once, as what it
 * became (a #DF, for example).
 */
GEMU_PLUGIN_EXPORT void plugin_interrupt(void *cpu, int kind, int vector,
                                         int64_t error_code, uint64_t from_pc,
                                         uint64_t to_pc);

/* plugin_mode_change's registers. */
#define GEMU_MODE_CR0 0
#define GEMU_MODE_CR3 1
#define GEMU_MODE_CR4 2
#define GEMU_MODE_EFER 3

/*
 * plugin_mode_change - optional.
 *
 * Called after the guest wrote CR0, CR3, CR4 or the EFER MSR (`reg`: one
 * of GEMU_MODE_*), with the register's value before and after. A CR3
 * write is a new address space (a context switch; with old == new, a TLB
 * flush); CR0, CR4 and EFER writes change the paging mode (CR0.PG,
 * CR4.PAE, EFER.LME/LMA, ...). Read through `cpu`, the register already
 * holds new_value.
 */
GEMU_PLUGIN_EXPORT void plugin_mode_change(void *cpu, int reg,
                                           uint64_t old_value,
                                           uint64_t new_value);

/*
 * plugin_exit - optional.
 *
 * Called once when the guest program ends, however it ends (exit or
 * exit_group, a fatal signal, or gemu stopping on an error), after the
 * last guest instruction and before the -D log is flushed and closed, so
 * anything logged here is kept. There is no cpu: use it to print
 * summaries. Each guest process calls the plugin_exit of its own instance
 * of the plugin (see "Processes" above): a forked child's when the child
 * ends, with what that instance saw since the fork.
 */
GEMU_PLUGIN_EXPORT void plugin_exit(void);

/* =====================================================================
 * Functions gemu provides to plugins
 * =================================================================== */

/*
 * qemulib_log - printf-style logging.
 *
 * Appends the formatted text to gemu's log: the file given with -D, or
 * stderr without -D. It is the same stream as gemu's own -d logs. No
 * newline is added. Each call's text is written in one piece, never
 * interleaved with another thread's. It may be called from any thread at
 * any time, threads the plugin starts included. The log is flushed at every
 * kind of exit, including fatal signals and a crash of a plugin.
 */
void qemulib_log(const char *fmt, ...) GEMU_PRINTF_FORMAT(1, 2);

/*
 * qemulib_read_memory - read guest virtual memory.
 *
 * Copies `len` bytes of the guest's memory at virtual (linear) address
 * `addr`, in the address space of `cpu`, to `buf`. Reads the way a
 * debugger does: page protections are ignored (execute-only or PROT_NONE
 * pages can be read) and nothing is signalled to the guest.
 *
 * Returns 0 on success, non-zero if any byte of the range is not mapped,
 * if len < 0, or if `cpu` is not the handle of the call being made on this
 * thread; the contents of `buf` are then unspecified. It never faults the
 * guest or crashes gemu. len == 0 succeeds (with a valid handle).
 */
int qemulib_read_memory(void *cpu, uint64_t addr, uint8_t *buf, int len);

/*
 * qemulib_read_register - read a guest register.
 *
 * Stores register `reg` of `cpu` in `mem_buf`, in guest byte order (little
 * endian), and returns the number of bytes written: the register's size.
 * Returns 0, writing nothing, for a number that is not a register of the
 * guest's architecture, or if `cpu` is not the handle of the call being
 * made on this thread.
 *
 * Numbers are in regnum.h, one table per guest architecture (see
 * qemulib_get_arch_name): I386_*_REGNUM for "i386", AMD64_*_REGNUM for
 * "x86_64". They are the numbers of ISP RAS SWAT's QEMU, whose plugin API
 * this is (its gdbstub's numbering: GDB's up to the segment selectors,
 * then segment bases, control registers, x87, SSE, and cs_base, ss_base,
 * tr_base), so a plugin built for SWAT reads the same registers in gemu;
 * regnum.h says where SWAT's own header differs from its QEMU. The buffer
 * must hold the whole register: 4 bytes for i386 general registers, 8 for
 * x86-64 ones, 10 for st(i), 16 for xmm (GEMU_REG_MAX_SIZE is always
 * enough); regnum.h lists every size.
 */
int qemulib_read_register(void *cpu, uint8_t *mem_buf, int reg);

/*
 * qemulib_get_arch_name - the guest's architecture.
 *
 * Returns "i386" or "x86_64": which register numbering of regnum.h applies
 * and how wide the guest's addresses and registers are. Fixed for the whole
 * run; callable at any time from plugin_init on. The string is static.
 */
const char *qemulib_get_arch_name(void);

#ifdef __cplusplus
}
#endif

#endif /* GEMU_PLUGINS_H */
