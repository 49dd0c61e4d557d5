/*
 * qemulib.c - the functions gemu provides to C plugins (include/plugins.h)
 * and the trampolines through which gemu calls a plugin's functions.
 *
 * The qemulib_* symbols are exported from the gemu executable's dynamic
 * symbol table (see the LDFLAGS in cplugin.go), which is how a plugin
 * built without linking against anything finds them when it is loaded.
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugins.h"
#include "cplugin.h"
#include "_cgo_export.h"

/* ---- functions plugins call ---- */

void qemulib_log(const char *fmt, ...)
{
    char small[1024];
    va_list ap;
    int n;

    if (fmt == NULL) {
        return;
    }
    va_start(ap, fmt);
    n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        return;
    }
    if ((size_t)n < sizeof small) {
        gemuLog(small, n);
        return;
    }
    /* Too long for the stack buffer: format again into one that fits. */
    char *big = malloc((size_t)n + 1);
    if (big == NULL) {
        gemuLog(small, (int)sizeof small - 1);
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    gemuLog(big, n);
    free(big);
}

/* The cpu handle is valid only during the plugin call that received it,
   on that call's thread: any other (kept for later, used from a thread of
   the plugin's, NULL) makes qemulib_read_memory and qemulib_read_register
   fail. */
static inline int valid_cpu(void *cpu)
{
    return cpu != NULL && (uintptr_t)cpu == gemu_cur.cpu;
}

int qemulib_read_memory(void *cpu, uint64_t addr, uint8_t *buf, int len)
{
    if (!valid_cpu(cpu) || len < 0) {
        return -1;
    }
    if (len == 0) {
        return 0;
    }
    if (buf == NULL) {
        return -1;
    }
    return gemuReadMemory((uintptr_t)cpu, addr, buf, len);
}

int qemulib_read_register(void *cpu, uint8_t *mem_buf, int reg)
{
    if (!valid_cpu(cpu) || mem_buf == NULL) {
        return 0;
    }
    return gemuReadRegister((uintptr_t)cpu, mem_buf, reg);
}

static const char *arch_name = "i386";

void gemu_set_arch(int is64)
{
    arch_name = is64 ? "x86_64" : "i386";
}

const char *qemulib_get_arch_name(void)
{
    return arch_name;
}

/* ---- loading ---- */

__thread struct gemu_call gemu_cur;

void *gemu_dlopen(const char *path, const gemu_callee *loading, char *err,
                  size_t errlen)
{
    void *h;

    dlerror();
    gemu_cur.callee = loading;
    h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    gemu_cur.callee = NULL;
    if (h == NULL) {
        const char *e = dlerror();
        snprintf(err, errlen, "%s", e != NULL ? e : "dlopen failed");
    }
    return h;
}

uintptr_t gemu_dlsym(void *handle, const char *name)
{
    return (uintptr_t)dlsym(handle, name);
}

void gemu_dlclose(void *handle)
{
    dlclose(handle);
}

/* ---- trampolines ---- */

/* Each trampoline records the call it makes (for the crash handler) and
   the cpu handle that is valid during it (for qemulib_*), calls, and
   clears both: two thread-local stores on each side of the call. */

typedef bool (*init_fn)(const char *);
typedef bool (*needs_fn)(uint64_t, void *);
typedef void (*before_fn)(uint64_t, void *);
typedef void (*mem_fn)(uint64_t, void *, uint64_t, int, int, uint64_t);
typedef void (*syscall_fn)(void *, int64_t, const uint64_t[6]);
typedef void (*syscall_ret_fn)(void *, int64_t, int64_t);
typedef void (*exit_fn)(void);

static inline void enter(const gemu_callee *ce, uintptr_t cpu)
{
    gemu_cur.callee = ce;
    gemu_cur.cpu = cpu;
}

static inline void leave(void)
{
    gemu_cur.callee = NULL;
    gemu_cur.cpu = 0;
}

int gemu_call_init(const gemu_callee *ce, const char *args)
{
    enter(ce, 0);
    int r = ((init_fn)ce->fn)(args);
    leave();
    return r;
}

int gemu_call_needs(const gemu_callee *ce, uint64_t pc, uintptr_t cpu)
{
    enter(ce, cpu);
    int r = ((needs_fn)ce->fn)(pc, (void *)cpu);
    leave();
    return r;
}

void gemu_call_before(const gemu_callee *ce, uint64_t pc, uintptr_t cpu)
{
    enter(ce, cpu);
    ((before_fn)ce->fn)(pc, (void *)cpu);
    leave();
}

void gemu_call_mem(const gemu_callee *ce, uint64_t pc, uintptr_t cpu,
                   uint64_t vaddr, int size, int is_store, uint64_t value)
{
    enter(ce, cpu);
    ((mem_fn)ce->fn)(pc, (void *)cpu, vaddr, size, is_store, value);
    leave();
}

void gemu_call_syscall(const gemu_callee *ce, uintptr_t cpu, int64_t num,
                       uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
                       uint64_t a4, uint64_t a5)
{
    const uint64_t args[6] = {a0, a1, a2, a3, a4, a5};
    enter(ce, cpu);
    ((syscall_fn)ce->fn)((void *)cpu, num, args);
    leave();
}

void gemu_call_syscall_ret(const gemu_callee *ce, uintptr_t cpu, int64_t num,
                           int64_t ret)
{
    enter(ce, cpu);
    ((syscall_ret_fn)ce->fn)((void *)cpu, num, ret);
    leave();
}

void gemu_call_exit(const gemu_callee *ce)
{
    enter(ce, 0);
    ((exit_fn)ce->fn)();
    leave();
}
