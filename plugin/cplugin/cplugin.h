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

/* The call into a plugin this thread is making, and its cpu handle: set by
   the trampolines for the duration of the call, NULL and 0 outside. The
   crash handler reads the first, qemulib_* check the second. Hidden, so
   that reaching it is a single %fs-relative access. */
struct gemu_call {
    const gemu_callee *callee;
    uintptr_t cpu;
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

/* Trampolines: ce is the plugin function, cpu the handle. */
int gemu_call_init(const gemu_callee *ce, const char *args);
int gemu_call_needs(const gemu_callee *ce, uint64_t pc, uintptr_t cpu);
void gemu_call_before(const gemu_callee *ce, uint64_t pc, uintptr_t cpu);
void gemu_call_mem(const gemu_callee *ce, uint64_t pc, uintptr_t cpu,
                   uint64_t vaddr, int size, int is_store, uint64_t value);
void gemu_call_syscall(const gemu_callee *ce, uintptr_t cpu, int64_t num,
                       uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
                       uint64_t a4, uint64_t a5);
void gemu_call_syscall_ret(const gemu_callee *ce, uintptr_t cpu, int64_t num,
                           int64_t ret);
void gemu_call_exit(const gemu_callee *ce);

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
