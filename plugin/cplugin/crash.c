/*
 * crash.c - a crash in a C plugin ends gemu with one line naming the
 * plugin and the signal, the log written out, and the status of a process
 * killed by that signal, instead of the Go runtime's traceback.
 *
 * Plugins run on the thread of the vCPU that calls them, through cgo. A
 * fault there reaches the Go runtime's handler, which takes it for its own
 * and dies with a dump of every goroutine. So gemu installs, after the Go
 * runtime has installed its handlers, one of its own for the signals a
 * crash raises; it decides whether the signal is a plugin's crash and
 * hands everything else to the handler it replaced (Go's), as if it were
 * not there.
 *
 * A signal is a plugin's crash if it comes from the thread itself (a fault
 * reported by the kernel, si_code > 0, or a signal the thread sent itself,
 * as abort() does) and either
 *   - the thread is inside a call into a plugin (the trampolines record it
 *     in gemu_cur.callee), whatever code faulted: the plugin's own, or a
 *     library it called (libc's strlen on a bad pointer is the plugin's
 *     crash), or a qemulib_* function given bad arguments;
 *   - or, for a fault, the faulting instruction is in a plugin's code: a
 *     thread of the plugin's own.
 * Signals sent from outside (si_code <= 0 from another process) always go
 * to Go, which gives them to the guest.
 *
 * The handler runs on the thread's alternate signal stack (SA_ONSTACK):
 * the Go runtime gives each thread it starts one of 32 KiB, which is what
 * lets a stack overflow in a plugin (a fault in the guard page below the
 * thread's stack) be reported too. It uses only async-signal-safe calls:
 * it formats the line itself, writes the log's buffered bytes out with
 * write(2) (internal/logbuf keeps them where C can reach them), writes the
 * line to stderr, and kills the process with the signal's default action.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <link.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "cplugin.h"

static struct gemu_logbuf *crash_log;

struct gemu_logbuf *gemu_log_buffer(void)
{
    return __atomic_load_n(&crash_log, __ATOMIC_ACQUIRE);
}

void gemu_crash_set_log(void *logbuf)
{
    __atomic_store_n(&crash_log, (struct gemu_logbuf *)logbuf, __ATOMIC_RELEASE);
}

/* ---- the plugins' code ---- */

#define MAX_PLUGINS 64

struct plugin_range {
    uintptr_t lo, hi; /* the object's loaded segments */
    uintptr_t bias;   /* what its ELF addresses are relative to */
    const char *plugin;
    const char *file; /* the loaded file's base name */
};

static struct plugin_range ranges[MAX_PLUGINS];
static int nranges;

struct find {
    uintptr_t fn;
    struct plugin_range r;
    int found;
};

static int find_object(struct dl_phdr_info *info, size_t size, void *arg)
{
    struct find *f = arg;
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    (void)size;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD) {
            continue;
        }
        uintptr_t a = info->dlpi_addr + ph->p_vaddr;
        if (a < lo) {
            lo = a;
        }
        if (a + ph->p_memsz > hi) {
            hi = a + ph->p_memsz;
        }
    }
    if (f->fn < lo || f->fn >= hi) {
        return 0;
    }
    f->r.lo = lo;
    f->r.hi = hi;
    f->r.bias = info->dlpi_addr;
    const char *name = info->dlpi_name != NULL ? info->dlpi_name : "";
    const char *slash = strrchr(name, '/');
    f->r.file = slash != NULL ? slash + 1 : name;
    f->found = 1;
    return 1;
}

void gemu_crash_add_plugin(const char *plugin, uintptr_t fn)
{
    struct find f = {.fn = fn};
    if (nranges == MAX_PLUGINS || dl_iterate_phdr(find_object, &f) == 0 || !f.found) {
        return;
    }
    f.r.plugin = plugin;
    ranges[nranges] = f.r;
    __atomic_store_n(&nranges, nranges + 1, __ATOMIC_RELEASE);
}

static const struct plugin_range *range_of(uintptr_t pc)
{
    int n = __atomic_load_n(&nranges, __ATOMIC_ACQUIRE);
    for (int i = 0; i < n; i++) {
        if (pc >= ranges[i].lo && pc < ranges[i].hi) {
            return &ranges[i];
        }
    }
    return NULL;
}

/* ---- formatting without stdio ---- */

struct line {
    char buf[1024];
    size_t n;
};

static void put(struct line *l, const char *s)
{
    while (*s != '\0' && l->n < sizeof l->buf - 1) {
        l->buf[l->n++] = *s++;
    }
}

static void put_hex(struct line *l, uintptr_t v)
{
    char tmp[2 + 2 * sizeof v + 1];
    int i = sizeof tmp - 1;
    tmp[i] = '\0';
    do {
        tmp[--i] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v != 0);
    tmp[--i] = 'x';
    tmp[--i] = '0';
    put(l, &tmp[i]);
}

static void write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return;
        }
        c += w;
        n -= (size_t)w;
    }
}

/* ---- the handler ---- */

static const int crash_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS, SIGABRT};
static struct sigaction saved[NSIG];
static int crashing;

static const char *describe(int sig, const siginfo_t *si)
{
    switch (sig) {
    case SIGSEGV:
        return "SIGSEGV (segmentation fault)";
    case SIGBUS:
        return "SIGBUS (bus error)";
    case SIGFPE:
        if (si->si_code == FPE_INTDIV) {
            return "SIGFPE (integer divide by zero)";
        }
        if (si->si_code == FPE_INTOVF) {
            return "SIGFPE (integer overflow)";
        }
        return "SIGFPE (floating-point exception)";
    case SIGILL:
        return "SIGILL (illegal instruction)";
    case SIGTRAP:
        return "SIGTRAP (trace/breakpoint trap)";
    case SIGSYS:
        return "SIGSYS (bad system call)";
    case SIGABRT:
        return "SIGABRT (aborted)";
    }
    return "a fatal signal";
}

/* forward hands the signal to the handler that was there before. */
static void forward(int sig, siginfo_t *si, void *uc)
{
    const struct sigaction *o = &saved[sig];
    if (o->sa_flags & SA_SIGINFO) {
        o->sa_sigaction(sig, si, uc);
        return;
    }
    if (o->sa_handler == SIG_IGN) {
        return;
    }
    if (o->sa_handler != SIG_DFL) {
        o->sa_handler(sig);
        return;
    }
    /* Nobody handled it: the default action, as if gemu had no handler. */
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigaction(sig, &dfl, NULL);
    if (si->si_code <= 0) {
        syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), sig);
    }
    /* A fault happens again on return, now with the default action. */
}

/* write_log writes out what the log has buffered, after waiting (at most a
   second) for a writer on another thread to finish what it is doing. */
static void write_log(void)
{
    struct gemu_logbuf *lb = __atomic_load_n(&crash_log, __ATOMIC_ACQUIRE);
    if (lb == NULL) {
        return;
    }
    struct timespec ms = {0, 1000000};
    for (int i = 0; i < 1000 && __atomic_load_n(&lb->lock, __ATOMIC_ACQUIRE) != 0; i++) {
        nanosleep(&ms, NULL);
    }
    uint64_t n = __atomic_load_n(&lb->n, __ATOMIC_ACQUIRE);
    if (n > lb->cap) {
        n = lb->cap;
    }
    write_all(lb->fd, lb->data, n);
}

/* die ends the process by sig with its default action, so that the parent
   sees a process killed by that signal. */
static void die(int sig)
{
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigaction(sig, &dfl, NULL);
    syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), sig);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    _exit(128 + sig); /* not reached */
}

static void crash_handler(int sig, siginfo_t *si, void *uc)
{
    int saved_errno = errno;
    const gemu_callee *ce = gemu_cur.callee;
    int fault = si->si_code > 0;
    int self = fault || (si->si_code == SI_TKILL && si->si_pid == getpid());
    uintptr_t pc = 0, sp = 0;
#if defined(__x86_64__)
    const ucontext_t *u = uc;
    pc = (uintptr_t)u->uc_mcontext.gregs[REG_RIP];
    sp = (uintptr_t)u->uc_mcontext.gregs[REG_RSP];
#endif
    const struct plugin_range *r = pc != 0 ? range_of(pc) : NULL;
    if (!self || (ce == NULL && (!fault || r == NULL))) {
        errno = saved_errno;
        forward(sig, si, uc);
        return;
    }
    if (__atomic_exchange_n(&crashing, 1, __ATOMIC_ACQ_REL)) {
        /* Another thread is reporting its crash and ending the process. */
        for (;;) {
            pause();
        }
    }

    struct line l = {.n = 0};
    put(&l, "gemu: plugin ");
    put(&l, ce != NULL ? ce->plugin : r->plugin);
    put(&l, " crashed: ");
    const char *what = describe(sig, si);
    if (sig == SIGSEGV && fault && sp != 0) {
        /* A fault next to the stack pointer: the stack ran out. */
        uintptr_t a = (uintptr_t)si->si_addr;
        if (a < sp + 4096 && a + 65536 > sp) {
            what = "SIGSEGV (stack overflow)";
        }
    }
    put(&l, what);
    if (fault && pc != 0) {
        put(&l, " at pc ");
        put_hex(&l, pc);
        if (r != NULL) {
            put(&l, " (");
            put(&l, r->file);
            put(&l, "+");
            put_hex(&l, pc - r->bias);
            put(&l, ")");
        }
    }
    if (ce != NULL) {
        put(&l, " ");
        put(&l, ce->where);
    } else {
        put(&l, " in a thread of the plugin");
    }
    put(&l, "\n");

    write_log();
    write_all(2, l.buf, l.n);
    die(sig);
}

void gemu_crash_install(void)
{
    static int done;
    if (done) {
        return;
    }
    done = 1;
    for (size_t i = 0; i < sizeof crash_signals / sizeof crash_signals[0]; i++) {
        int sig = crash_signals[i];
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = crash_handler;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
        sigfillset(&sa.sa_mask);
        if (sigaction(sig, NULL, &saved[sig]) != 0) {
            continue;
        }
        sigaction(sig, &sa, NULL);
    }
}
