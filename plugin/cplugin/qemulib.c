/*
 * qemulib.c - the functions gemu provides to C plugins (include/plugins.h)
 * and the trampolines through which gemu calls a plugin's functions.
 *
 * The qemulib_* symbols are exported from the gemu executable's dynamic
 * symbol table (see the LDFLAGS in cplugin.go), which is how a plugin
 * built without linking against anything finds them when it is loaded.
 */
#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugins.h"
#include "cplugin.h"
#include "guestmem.h"

/* ---- functions plugins call ---- */

/* gemu_write_all writes n bytes at p to fd, waiting while a non-blocking
   descriptor is full: 0, or the errno of the failure. */
int gemu_write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w < 0 && errno == EAGAIN) {
            struct pollfd pfd = {.fd = fd, .events = POLLOUT};
            poll(&pfd, 1, -1);
            continue;
        }
        if (w < 0) {
            return errno;
        }
        if (w == 0) {
            return EIO;
        }
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

static void log_lock(struct gemu_logbuf *lb)
{
    for (int i = 0;; i++) {
        uint32_t free = 0;
        if (__atomic_compare_exchange_n(&lb->lock, &free, 1, false, __ATOMIC_ACQUIRE,
                                        __ATOMIC_RELAXED)) {
            return;
        }
        if (i > 100) {
            sched_yield();
        }
    }
}

/* log_append appends n bytes to the log in one piece, as internal/logbuf's
   Writer.Write does: the buffered bytes are written out first when these
   do not fit, and bytes as large as the buffer go straight to the file.
   After a failed write of the file the log drops everything, and Go
   reports the error (the header's cerrno). */
static void log_append(const char *p, size_t n)
{
    struct gemu_logbuf *lb = gemu_log_buffer();
    if (lb == NULL) {
        gemu_write_all(2, p, n);
        return;
    }
    log_lock(lb);
    if (__atomic_load_n(&lb->cerrno, __ATOMIC_RELAXED) == 0) {
        uint64_t used = __atomic_load_n(&lb->n, __ATOMIC_RELAXED);
        int err = 0;
        if (n > lb->cap - used) {
            err = gemu_write_all(lb->fd, lb->data, used);
            used = 0;
            if (err == 0 && n >= lb->cap) {
                err = gemu_write_all(lb->fd, p, n);
                n = 0;
            }
        }
        if (err != 0) {
            __atomic_store_n(&lb->cerrno, err, __ATOMIC_RELAXED);
        } else if (n > 0) {
            memcpy(lb->data + used, p, n);
            used += n;
        }
        __atomic_store_n(&lb->n, err != 0 ? 0 : used, __ATOMIC_RELEASE);
    }
    __atomic_store_n(&lb->lock, 0, __ATOMIC_RELEASE);
}

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
        log_append(small, (size_t)n);
        return;
    }
    /* Too long for the stack buffer: format again into one that fits. */
    char *big = malloc((size_t)n + 1);
    if (big == NULL) {
        log_append(small, sizeof small - 1);
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    log_append(big, (size_t)n);
    free(big);
}

/* The cpu handle is valid only during the plugin call that received it,
   on that call's thread: any other (kept for later, used from a thread of
   the plugin's, NULL) makes qemulib_read_memory and qemulib_read_register
   fail. */
static inline int valid_cpu(void *cpu)
{
    const struct gemu_vcpu *v = gemu_cur.vcpu;
    return cpu != NULL && v != NULL && (uintptr_t)cpu == v->handle;
}

/* sys_read_memory is qemulib_read_memory in system mode: through the
   guest's current page tables (CR0, CR3, CR4 and EFER as the register
   block holds them) over the machine's RAM. Kept out of line: user mode's
   path stays as it was. */
static __attribute__((noinline)) int sys_read_memory(const struct gemu_vcpu *v, uint64_t addr,
                                                      uint8_t *buf, int len)
{
    const struct gemu_regmap *m = v->regmap;
    const uint8_t *regs = (const uint8_t *)v->regs;
    if (m == NULL || regs == NULL) {
        return -1;
    }
    struct gemu_paging p = {
        .ram = (const uint8_t *)v->ram,
        .ram_size = v->ram_size,
        .phys_bits = v->phys_bits,
    };
    memcpy(&p.cr0, regs + m->cr0, 8);
    memcpy(&p.cr3, regs + m->cr3, 8);
    memcpy(&p.cr4, regs + m->cr4, 8);
    memcpy(&p.efer, regs + m->efer, 8);
    return gemu_sys_read(&p, addr, buf, len);
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
    const struct gemu_vcpu *v = gemu_cur.vcpu;
    if (v->ram != 0) {
        return sys_read_memory(v, addr, buf, len);
    }
    return gemu_guest_read(v->dir, v->dir_levels, v->dir_bits, addr, buf, len);
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
   the cpu handle and vCPU that are valid during it (for qemulib_*),
   calls, and clears them: a few thread-local stores on each side of the
   call. */

typedef bool (*init_fn)(const char *);
typedef bool (*needs_fn)(uint64_t, void *);
typedef void (*before_fn)(uint64_t, void *);
typedef void (*mem_fn)(uint64_t, void *, uint64_t, int, int, uint64_t);
typedef void (*syscall_fn)(void *, int64_t, const uint64_t[6]);
typedef void (*syscall_ret_fn)(void *, int64_t, int64_t);
typedef void (*exit_fn)(void);
typedef void (*port_io_fn)(uint64_t, void *, uint16_t, int, int, uint32_t);
typedef void (*mmio_fn)(uint64_t, void *, uint64_t, int, int, uint64_t, const char *);
typedef void (*interrupt_fn)(void *, int, int, int64_t, uint64_t, uint64_t);
typedef void (*mode_change_fn)(void *, int, uint64_t, uint64_t);

static inline void enter(const gemu_callee *ce, const struct gemu_vcpu *v)
{
    gemu_cur.callee = ce;
    gemu_cur.vcpu = v;
}

static inline void leave(void)
{
    gemu_cur.callee = NULL;
    gemu_cur.vcpu = NULL;
}

int gemu_call_init(const gemu_callee *ce, const char *args)
{
    enter(ce, NULL);
    int r = ((init_fn)ce->fn)(args);
    leave();
    return r;
}

void gemu_call_exit(const gemu_callee *ce)
{
    enter(ce, NULL);
    ((exit_fn)ce->fn)();
    leave();
}

uintptr_t gemu_run_needs(const struct gemu_vcpu *v, const gemu_callee *ce, uint64_t pc)
{
    enter(ce, v);
    bool r = ((needs_fn)ce->fn)(pc, (void *)v->handle);
    leave();
    return r;
}

uintptr_t gemu_run_before(const struct gemu_vcpu *v, const gemu_callee *ce, uint64_t pc)
{
    enter(ce, v);
    ((before_fn)ce->fn)(pc, (void *)v->handle);
    leave();
    return 0;
}

uintptr_t gemu_run_mem(const struct gemu_vcpu *v, const gemu_callee *ce, uint64_t pc,
                       uint64_t vaddr, uint64_t size_store, uint64_t value)
{
    enter(ce, v);
    ((mem_fn)ce->fn)(pc, (void *)v->handle, vaddr, (int)(size_store & 0x7fffffff),
                     (int)(size_store >> 31 & 1), value);
    leave();
    return 0;
}

uintptr_t gemu_run_syscall(const struct gemu_vcpu *v, const gemu_callee *ce, int64_t num)
{
    enter(ce, v);
    ((syscall_fn)ce->fn)((void *)v->handle, num, v->args);
    leave();
    return 0;
}

uintptr_t gemu_run_syscall_ret(const struct gemu_vcpu *v, const gemu_callee *ce,
                               int64_t num, int64_t ret)
{
    enter(ce, v);
    ((syscall_ret_fn)ce->fn)((void *)v->handle, num, ret);
    leave();
    return 0;
}

uintptr_t gemu_run_port_io(const struct gemu_vcpu *v, const gemu_callee *ce, uint64_t pc,
                           uint64_t port_size_write, uint64_t value)
{
    enter(ce, v);
    ((port_io_fn)ce->fn)(pc, (void *)v->handle, (uint16_t)port_size_write,
                         (int)(port_size_write >> 16 & 0x7fff), (int)(port_size_write >> 31 & 1),
                         (uint32_t)value);
    leave();
    return 0;
}

uintptr_t gemu_run_mmio(const struct gemu_vcpu *v, const gemu_callee *ce, uint64_t pc,
                        uint64_t paddr, uint64_t size_store, uint64_t value)
{
    enter(ce, v);
    ((mmio_fn)ce->fn)(pc, (void *)v->handle, paddr, (int)(size_store & 0x7fffffff),
                      (int)(size_store >> 31 & 1), value, v->device);
    leave();
    return 0;
}

uintptr_t gemu_run_interrupt(const struct gemu_vcpu *v, const gemu_callee *ce,
                             uint64_t kind_vector, int64_t error_code, uint64_t from,
                             uint64_t to)
{
    enter(ce, v);
    ((interrupt_fn)ce->fn)((void *)v->handle, (int)(kind_vector & 0xff),
                           (int)(kind_vector >> 8 & 0xff), error_code, from, to);
    leave();
    return 0;
}

uintptr_t gemu_run_mode_change(const struct gemu_vcpu *v, const gemu_callee *ce, uint64_t reg,
                               uint64_t old_value, uint64_t new_value)
{
    enter(ce, v);
    ((mode_change_fn)ce->fn)((void *)v->handle, (int)reg, old_value, new_value);
    leave();
    return 0;
}
