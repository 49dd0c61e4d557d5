/*
 * cplugin.h - the C side of gemu's C plugin loader: trampolines that call a
 * plugin's functions through pointers found with dlsym, the loader's
 * dlopen wrapper, and the crash handler (crash.c). The qemulib_* functions
 * plugins call are defined in qemulib.c; their declarations are in
 * include/plugins.h.
 */
#ifndef GEMU_CPLUGIN_H
#define GEMU_CPLUGIN_H

#include <stddef.h>
#include <stdint.h>

/* A plugin function gemu calls: its address, the plugin's name (the path
   given with -plugin) and where a crash in the call is said to happen
   ("in plugin_before_insn"). Made once per plugin and function, never
   freed. */
typedef struct gemu_callee {
    uintptr_t fn;
    const char *plugin;
    const char *where;
} gemu_callee;

struct gemu_regmap;

/* A vCPU as the direct path sees it (cstack.go): made by Go at the top of
   the vCPU's C stack mapping, read by the trampolines and qemulib_*. */
struct gemu_vcpu {
    uintptr_t handle;   /* the cpu handle plugins are given */
    uintptr_t stack_lo; /* the stack mapping: guard, then the stack */
    uintptr_t stack_hi; /* the stack's top: this record */
    uintptr_t regs;     /* the vCPU's register block (internal/x86 Regs) */
    uintptr_t dir;      /* its guest page directory (internal/mem) */
    int dir_levels;     /* and the directory's shape (DirLayout) */
    int dir_bits;
    uint64_t args[6];   /* plugin_syscall's arguments */
    const char *device; /* plugin_mmio's device name */
    /* The register table that applies (user or system mode; regs.c's
       gemu_regmap_of). NULL: user mode's. */
    const struct gemu_regmap *regmap;
    /* System mode (gemu-system): the guest's RAM (mem.Phys.RAM), physical
       address 0 at ram, ram_size bytes, and the physical address width
       (MAXPHYADDR) the page walk checks reserved bits with. ram is 0 in
       user mode, where memory is read through dir. */
    uintptr_t ram;
    uint64_t ram_size;
    int phys_bits;
};

/* The call into a plugin this thread is making and its vCPU (NULL for
   plugin_init and plugin_exit): set by the trampolines for the duration
   of the call, NULL outside. The crash handler reads the first; qemulib_*
   accept only the handle of the second and read through it. Hidden, so
   that reaching it is a single %fs-relative access. */
struct gemu_call {
    const gemu_callee *callee;
    const struct gemu_vcpu *vcpu;
};
extern __thread struct gemu_call gemu_cur __attribute__((visibility("hidden")));

/* gemu_dlopen opens the shared object at path with RTLD_NOW|RTLD_LOCAL, a
   crash in its initializers being reported as the plugin's (loading names
   it). On failure it returns NULL with dlerror's text in err. */
void *gemu_dlopen(const char *path, const gemu_callee *loading, char *err,
                  size_t errlen);
/* gemu_dlsym returns the address of name in handle, or 0. */
uintptr_t gemu_dlsym(void *handle, const char *name);
void gemu_dlclose(void *handle);

/* Sets the string qemulib_get_arch_name returns. */
void gemu_set_arch(int is64);

/* Trampolines through cgo, for the calls made outside a running guest. */
int gemu_call_init(const gemu_callee *ce, const char *args);
void gemu_call_exit(const gemu_callee *ce);

/* Trampolines of the direct path: called by callC (call_amd64.s) on the
   vCPU's C stack, never through cgo. v is the vCPU, ce the plugin
   function. gemu_run_mem's size_store is the size, plus 1<<31 for a
   store; gemu_run_syscall's arguments are in v->args. */
uintptr_t gemu_run_needs(const struct gemu_vcpu *v, const gemu_callee *ce, uint64_t pc);
uintptr_t gemu_run_before(const struct gemu_vcpu *v, const gemu_callee *ce, uint64_t pc);
uintptr_t gemu_run_mem(const struct gemu_vcpu *v, const gemu_callee *ce, uint64_t pc,
                       uint64_t vaddr, uint64_t size_store, uint64_t value);
uintptr_t gemu_run_syscall(const struct gemu_vcpu *v, const gemu_callee *ce, int64_t num);
uintptr_t gemu_run_syscall_ret(const struct gemu_vcpu *v, const gemu_callee *ce,
                               int64_t num, int64_t ret);
/* The events of system mode. gemu_run_port_io's port_size_write is the
   port, plus the size << 16, plus 1 << 31 for a write; gemu_run_mmio's
   size_store is as gemu_run_mem's, its device name in v->device;
   gemu_run_interrupt's kind_vector is the kind plus the vector << 8. */
uintptr_t gemu_run_port_io(const struct gemu_vcpu *v, const gemu_callee *ce, uint64_t pc,
                           uint64_t port_size_write, uint64_t value);
uintptr_t gemu_run_mmio(const struct gemu_vcpu *v, const gemu_callee *ce, uint64_t pc,
                        uint64_t paddr, uint64_t size_store, uint64_t value);
uintptr_t gemu_run_interrupt(const struct gemu_vcpu *v, const gemu_callee *ce,
                             uint64_t kind_vector, int64_t error_code, uint64_t from,
                             uint64_t to);
uintptr_t gemu_run_mode_change(const struct gemu_vcpu *v, const gemu_callee *ce, uint64_t reg,
                               uint64_t old_value, uint64_t new_value);

/* The register table (regs.c): how qemulib_read_register reads register
   n from a vCPU's register block, made by Go from x86.RegTable at load.
   Kinds: PLAIN, srcsize bytes at off, shifted right by shift and masked
   with mask, stored in size bytes; EFLAGS, computed from the lazy flags;
   ST, the x87 register st(shift); FSTAT and FTAG, the x87 status and tag
   words; BYTES, size bytes at off (xmm); CONST, mask itself. The kinds
   are x86.RegKind's, in its order. */
enum {
    GEMU_REG_ABSENT,
    GEMU_REG_PLAIN,
    GEMU_REG_EFLAGS,
    GEMU_REG_ST,
    GEMU_REG_FSTAT,
    GEMU_REG_FTAG,
    GEMU_REG_BYTES,
    GEMU_REG_CONST,
};
/* The lazy flag operations (internal/x86 flags.go) regs.c evaluates;
   gemu_regmap.lazy_kind maps x86's codes to these. */
enum {
    GEMU_LAZY_NONE,
    GEMU_LAZY_ADD,
    GEMU_LAZY_ADC,
    GEMU_LAZY_SUB,
    GEMU_LAZY_SBB,
    GEMU_LAZY_LOGIC,
    GEMU_LAZY_INC,
    GEMU_LAZY_DEC,
    GEMU_LAZY_RES,
    GEMU_LAZY_UNKNOWN,
};
#define GEMU_MAX_REGS 256
struct gemu_regslot {
    uint8_t kind, size, srcsize, shift;
    uint32_t off;
    uint64_t mask;
};
struct gemu_regmap {
    int n;
    /* Offsets in the register block. */
    uint32_t flags, lazy_op, lazy_size, lazy_res, lazy_a, lazy_b, lazy_cin;
    uint32_t x87_st, x87_top, x87_empty, x87_sw;
    /* The paging registers, for the page walk of system mode. */
    uint32_t cr0, cr3, cr4, efer;
    uint8_t lazy_kind[256]; /* x86's lazy operation code -> GEMU_LAZY_* */
    struct gemu_regslot slot[GEMU_MAX_REGS];
};
/* gemu_set_regmap sets the table of user mode (sys 0) or of system mode
   (sys 1); gemu_regmap_of returns it, for a vCPU record's regmap. */
void gemu_set_regmap(const struct gemu_regmap *m, int sys);
const struct gemu_regmap *gemu_regmap_of(int sys);
int gemu_read_register(const struct gemu_vcpu *v, uint8_t *buf, int reg);

/* The shared header of internal/logbuf's buffer (see its package
   comment): what qemulib_log appends to and the crash handler writes
   out. */
struct gemu_logbuf {
    uint32_t lock;
    int32_t fd;
    uint64_t n;
    uint64_t cap;
    int32_t cerrno;
    uint8_t pad[36];
    uint8_t data[];
};
_Static_assert(offsetof(struct gemu_logbuf, data) == 64, "internal/logbuf's dataOffset");
_Static_assert(offsetof(struct gemu_logbuf, cerrno) == 24, "internal/logbuf's header");

/* The log qemulib_log appends to (crash.c keeps it). */
struct gemu_logbuf *gemu_log_buffer(void);

/* Crash handling (crash.c). gemu_crash_install installs the handler for
   SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS and SIGABRT, once; it
   must run after the Go runtime has installed its own, to which it hands
   every signal that is not a plugin's crash. gemu_crash_set_log gives it
   the log to write out (internal/logbuf's shared header).
   gemu_crash_add_plugin records the address range of the loaded object
   holding fn, so that a fault in the plugin's code on a thread of its own
   is known as the plugin's. */
void gemu_crash_install(void);
void gemu_crash_set_log(void *logbuf);
void gemu_crash_add_plugin(const char *plugin, uintptr_t fn);

#endif /* GEMU_CPLUGIN_H */
