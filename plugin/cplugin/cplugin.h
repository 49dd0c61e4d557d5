/*
 * cplugin.h - the C side of gemu's C plugin loader: trampolines that call a
 * plugin's functions through pointers found with dlsym, and the loader's
 * dlopen wrapper. The qemulib_* functions plugins call are defined in
 * qemulib.c; their declarations are in include/plugins.h.
 */
#ifndef GEMU_CPLUGIN_H
#define GEMU_CPLUGIN_H

#include <stddef.h>
#include <stdint.h>

/* gemu_dlopen opens the shared object at path with RTLD_NOW|RTLD_LOCAL.
   On failure it returns NULL with dlerror's text in err. */
void *gemu_dlopen(const char *path, char *err, size_t errlen);
/* gemu_dlsym returns the address of name in handle, or 0. */
uintptr_t gemu_dlsym(void *handle, const char *name);
void gemu_dlclose(void *handle);

/* Sets the string qemulib_get_arch_name returns. */
void gemu_set_arch(int is64);

/* Trampolines: fn is the plugin function's address, cpu the handle. */
int gemu_call_init(uintptr_t fn, const char *args);
int gemu_call_needs(uintptr_t fn, uint64_t pc, uintptr_t cpu);
void gemu_call_before(uintptr_t fn, uint64_t pc, uintptr_t cpu);
void gemu_call_mem(uintptr_t fn, uint64_t pc, uintptr_t cpu, uint64_t vaddr,
                   int size, int is_store, uint64_t value);
void gemu_call_syscall(uintptr_t fn, uintptr_t cpu, int64_t num, uint64_t a0,
                       uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
                       uint64_t a5);
void gemu_call_syscall_ret(uintptr_t fn, uintptr_t cpu, int64_t num,
                           int64_t ret);
void gemu_call_exit(uintptr_t fn);

#endif /* GEMU_CPLUGIN_H */
