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

int qemulib_read_memory(void *cpu, uint64_t addr, uint8_t *buf, int len)
{
    if (len < 0) {
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
    if (mem_buf == NULL) {
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

void *gemu_dlopen(const char *path, char *err, size_t errlen)
{
    void *h;

    dlerror();
    h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
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

typedef bool (*init_fn)(const char *);
typedef bool (*needs_fn)(uint64_t, void *);
typedef void (*before_fn)(uint64_t, void *);
typedef void (*mem_fn)(uint64_t, void *, uint64_t, int, int, uint64_t);
typedef void (*syscall_fn)(void *, int64_t, const uint64_t[6]);
typedef void (*syscall_ret_fn)(void *, int64_t, int64_t);
typedef void (*exit_fn)(void);

int gemu_call_init(uintptr_t fn, const char *args)
{
    return ((init_fn)fn)(args);
}

int gemu_call_needs(uintptr_t fn, uint64_t pc, uintptr_t cpu)
{
    return ((needs_fn)fn)(pc, (void *)cpu);
}

void gemu_call_before(uintptr_t fn, uint64_t pc, uintptr_t cpu)
{
    ((before_fn)fn)(pc, (void *)cpu);
}

void gemu_call_mem(uintptr_t fn, uint64_t pc, uintptr_t cpu, uint64_t vaddr,
                   int size, int is_store, uint64_t value)
{
    ((mem_fn)fn)(pc, (void *)cpu, vaddr, size, is_store, value);
}

void gemu_call_syscall(uintptr_t fn, uintptr_t cpu, int64_t num, uint64_t a0,
                       uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
                       uint64_t a5)
{
    const uint64_t args[6] = {a0, a1, a2, a3, a4, a5};
    ((syscall_fn)fn)((void *)cpu, num, args);
}

void gemu_call_syscall_ret(uintptr_t fn, uintptr_t cpu, int64_t num,
                           int64_t ret)
{
    ((syscall_ret_fn)fn)((void *)cpu, num, ret);
}

void gemu_call_exit(uintptr_t fn)
{
    ((exit_fn)fn)();
}
