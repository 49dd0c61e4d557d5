/*
 * syscall_trace.c - log the guest's system calls, strace-style.
 *
 * Uses the plugin_syscall / plugin_syscall_ret events (no instruction
 * decoding needed, unlike syscall_log.c). Two lines per call, since other
 * guest threads may make calls in between:
 *
 *     syscall write(0x1, 0x4a5f20, 0xc, 0x0, 0x0, 0x0)
 *     syscall write = 12
 *
 * Unknown numbers are shown as "syscall_<n>". Failed calls show the errno.
 * A summary is printed when the guest exits.
 *
 *     gemu -plugin file=examples/libsyscall_trace.so -D sys.log ./prog
 */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include "plugins.h"

struct sysname {
    int num;
    const char *name;
};

/* A few common calls; numbers from the Linux ABI of each architecture. */
static const struct sysname names_i386[] = {
    {1, "exit"}, {2, "fork"}, {3, "read"}, {4, "write"}, {5, "open"},
    {6, "close"}, {7, "waitpid"}, {11, "execve"}, {13, "time"},
    {19, "lseek"}, {20, "getpid"}, {33, "access"}, {37, "kill"},
    {45, "brk"}, {54, "ioctl"}, {55, "fcntl"}, {85, "readlink"},
    {90, "mmap"}, {91, "munmap"}, {120, "clone"}, {122, "uname"},
    {125, "mprotect"}, {146, "writev"}, {174, "rt_sigaction"},
    {175, "rt_sigprocmask"}, {183, "getcwd"}, {192, "mmap2"},
    {195, "stat64"}, {196, "lstat64"}, {197, "fstat64"}, {224, "gettid"},
    {240, "futex"}, {243, "set_thread_area"}, {252, "exit_group"},
    {258, "set_tid_address"}, {265, "clock_gettime"}, {295, "openat"},
    {300, "fstatat64"}, {311, "set_robust_list"}, {340, "prlimit64"},
    {355, "getrandom"}, {383, "statx"}, {384, "arch_prctl"}, {386, "rseq"},
    {403, "clock_gettime64"}, {435, "clone3"},
};

static const struct sysname names_x86_64[] = {
    {0, "read"}, {1, "write"}, {2, "open"}, {3, "close"}, {4, "stat"},
    {5, "fstat"}, {6, "lstat"}, {7, "poll"}, {8, "lseek"}, {9, "mmap"},
    {10, "mprotect"}, {11, "munmap"}, {12, "brk"}, {13, "rt_sigaction"},
    {14, "rt_sigprocmask"}, {16, "ioctl"}, {17, "pread64"}, {20, "writev"},
    {21, "access"}, {39, "getpid"}, {56, "clone"}, {57, "fork"},
    {59, "execve"}, {60, "exit"}, {61, "wait4"}, {62, "kill"},
    {63, "uname"}, {72, "fcntl"}, {79, "getcwd"}, {89, "readlink"},
    {96, "gettimeofday"}, {102, "getuid"}, {158, "arch_prctl"},
    {186, "gettid"}, {201, "time"}, {202, "futex"},
    {218, "set_tid_address"}, {228, "clock_gettime"}, {231, "exit_group"},
    {257, "openat"}, {262, "newfstatat"}, {273, "set_robust_list"},
    {302, "prlimit64"}, {318, "getrandom"}, {332, "statx"}, {334, "rseq"},
    {435, "clone3"},
};

static const struct sysname *names;
static size_t n_names;

static atomic_uint_fast64_t n_calls, n_errors;

bool plugin_init(const char *args)
{
    (void)args;
    const char *arch = qemulib_get_arch_name();
    if (strcmp(arch, "i386") == 0) {
        names = names_i386;
        n_names = sizeof names_i386 / sizeof names_i386[0];
    } else if (strcmp(arch, "x86_64") == 0) {
        names = names_x86_64;
        n_names = sizeof names_x86_64 / sizeof names_x86_64[0];
    } else {
        qemulib_log("syscall_trace: unsupported architecture \"%s\"\n", arch);
        return false;
    }
    return true;
}

/* Writes the call's name into buf (which has room for 32 bytes). */
static const char *sysname(int64_t num, char buf[32])
{
    for (size_t i = 0; i < n_names; i++) {
        if (names[i].num == num) {
            return names[i].name;
        }
    }
    snprintf(buf, 32, "syscall_%" PRId64, num);
    return buf;
}

void plugin_syscall(void *cpu, int64_t num, const uint64_t args[6])
{
    (void)cpu;
    char buf[32];
    atomic_fetch_add(&n_calls, 1);
    qemulib_log("syscall %s(%#" PRIx64 ", %#" PRIx64 ", %#" PRIx64
                ", %#" PRIx64 ", %#" PRIx64 ", %#" PRIx64 ")\n",
                sysname(num, buf), args[0], args[1], args[2], args[3],
                args[4], args[5]);
}

void plugin_syscall_ret(void *cpu, int64_t num, int64_t ret)
{
    (void)cpu;
    char buf[32];
    /* The kernel's convention: -4095 .. -1 are errors (-errno). */
    if (ret < 0 && ret >= -4095) {
        atomic_fetch_add(&n_errors, 1);
        qemulib_log("syscall %s = %" PRId64 " (errno %" PRId64 ": %s)\n",
                    sysname(num, buf), ret, -ret, strerror((int)-ret));
    } else {
        qemulib_log("syscall %s = %" PRId64 " (%#" PRIx64 ")\n",
                    sysname(num, buf), ret, (uint64_t)ret);
    }
}

void plugin_exit(void)
{
    qemulib_log("syscall_trace: %" PRIuFAST64 " system calls, %" PRIuFAST64
                " failed\n", atomic_load(&n_calls), atomic_load(&n_errors));
}
