package linux

import (
	"fmt"
	"strconv"
	"strings"

	"gemu/internal/linux/abi"
)

// System call tracing in the format of QEMU's -strace: one line per call,
// "PID name(args) = result", with strings quoted, common flag words
// decoded, pointers in hex and errors as "-1 errno=N (message)".

// straceSpec gives each traced system call's argument formats, one letter
// per argument:
//
//	d signed int        u unsigned         x hex          p pointer (or NULL)
//	s string            o octal mode       f open flags   F directory fd
//	P mmap prot         M mmap flags       S signal       A access mode
//
// A spec may end in "=x" to print the result in hex (addresses).
var straceSpec = map[string]string{
	"read": "d,p,u", "write": "d,p,u", "open": "s,f,o", "openat": "F,s,f,o", "creat": "s,o",
	"close": "d", "stat": "s,p", "lstat": "s,p", "fstat": "d,p", "stat64": "s,p", "lstat64": "s,p",
	"fstat64": "d,p", "newfstatat": "F,s,p,x", "fstatat64": "F,s,p,x", "statx": "F,s,x,x,p",
	"lseek": "d,d,d", "_llseek": "d,d,u,p,d", "mmap2": "p,u,P,M,d,u=x",
	"mprotect": "p,u,P", "munmap": "p,u", "brk": "p=x", "mremap": "p,u,u,x,p=x",
	"rt_sigaction": "S,p,p,u", "rt_sigprocmask": "d,p,p,u", "sigaltstack": "p,p",
	"ioctl": "d,x,p", "pread64": "d,p,u,d", "pwrite64": "d,p,u,d", "readv": "d,p,d", "writev": "d,p,d",
	"access": "s,A", "faccessat": "F,s,A", "faccessat2": "F,s,A,x", "pipe": "p", "pipe2": "p,f",
	"dup": "d", "dup2": "d,d", "dup3": "d,d,f", "fcntl": "d,d,x", "fcntl64": "d,d,x",
	"getdents": "d,p,u", "getdents64": "d,p,u", "getcwd": "p,u", "chdir": "s", "fchdir": "d",
	"rename": "s,s", "renameat": "F,s,F,s", "renameat2": "F,s,F,s,x", "mkdir": "s,o", "mkdirat": "F,s,o",
	"rmdir": "s", "unlink": "s", "unlinkat": "F,s,x", "readlink": "s,p,u", "readlinkat": "F,s,p,u",
	"chmod": "s,o", "fchmod": "d,o", "fchmodat": "F,s,o", "symlink": "s,s", "symlinkat": "s,F,s",
	"link": "s,s", "linkat": "F,s,F,s,x", "truncate": "s,d", "ftruncate": "d,d", "umask": "o",
	"exit": "d", "exit_group": "d", "uname": "p", "arch_prctl": "x,p", "set_thread_area": "p",
	"get_thread_area": "p", "set_tid_address": "p", "set_robust_list": "p,u", "rseq": "p,u,x,x",
	"clock_gettime": "d,p", "clock_gettime64": "d,p", "clock_getres": "d,p", "gettimeofday": "p,p",
	"time": "p", "nanosleep": "p,p", "clock_nanosleep": "d,d,p,p", "clock_nanosleep_time64": "d,d,p,p",
	"kill": "d,S", "tgkill": "d,d,S", "tkill": "d,S", "getrandom": "p,u,x", "prlimit64": "d,d,p,p",
	"getrlimit": "d,p", "ugetrlimit": "d,p", "setrlimit": "d,p", "poll": "p,u,d", "ppoll": "p,u,p,p,u",
	"utimensat": "F,s,p,x", "execve": "s,p,p", "sysinfo": "p", "madvise": "p,u,d", "futex": "p,d,u,p,p,u",
	"getpid": "", "gettid": "", "getppid": "", "getuid": "", "geteuid": "", "getgid": "", "getegid": "",
	"getuid32": "", "geteuid32": "", "getgid32": "", "getegid32": "", "sched_yield": "", "getpgrp": "",
	"setsid": "", "sched_getaffinity": "d,u,p", "statfs": "s,p", "fstatfs": "d,p", "statfs64": "s,u,p",
	"fstatfs64": "d,u,p", "sendfile": "d,d,p,u", "sendfile64": "d,d,p,u", "fsync": "d", "fdatasync": "d",
	"chown": "s,d,d", "chown32": "s,d,d", "lchown": "s,d,d", "lchown32": "s,d,d", "fchown": "d,d,d",
	"fchown32": "d,d,d", "fchownat": "F,s,d,d,x", "select": "d,p,p,p,p", "_newselect": "d,p,p,p,p",
	"pselect6": "d,p,p,p,p,p", "fadvise64": "d,d,u,d", "prctl": "d,x,x,x,x", "getrusage": "d,p",
	"times": "p", "getgroups": "d,p", "getgroups32": "d,p", "mmap_x86_64": "p,u,P,M,d,d=x",
}

// straceEntry logs "PID name(args" ... up to the result.
func (t *Thread) straceEntry(nr uint64, a *[6]uint64) {
	name := t.syscallName(nr)
	if name == "" {
		t.logf("%d Unknown syscall %d\n", t.gettid(), nr)
		t.flushLog()
		return
	}
	spec, ok := straceSpec[name]
	if name == "mmap" {
		if t.w == 8 {
			spec, ok = straceSpec["mmap_x86_64"], true
		} else {
			spec, ok = "p=x", true
		}
	}
	if i := strings.Index(spec, "="); i >= 0 {
		spec = spec[:i]
	}
	var args []string
	if !ok {
		for _, v := range a {
			args = append(args, fmt.Sprintf("%#x", t.ulong(v)))
		}
	} else if spec != "" {
		for i, k := range strings.Split(spec, ",") {
			args = append(args, t.straceArg(k[0], a[i]))
		}
	}
	t.logf("%d %s(%s)", t.gettid(), name, strings.Join(args, ","))
	t.flushLog()
}

// straceExit logs " = result".
func (t *Thread) straceExit(nr uint64, a *[6]uint64, ret int64) {
	name := t.syscallName(nr)
	if name == "" {
		return
	}
	spec := straceSpec[name]
	if name == "mmap" {
		spec = "=x"
	}
	switch {
	case ret < 0 && ret >= -4095:
		t.logf(" = -1 errno=%d (%s)\n", -ret, abi.ErrnoName(int(-ret)))
	case strings.HasSuffix(spec, "=x"):
		t.logf(" = %#x\n", t.ulong(uint64(ret)))
	default:
		t.logf(" = %d\n", ret)
	}
	t.flushLog()
}

func (t *Thread) straceArg(kind byte, v uint64) string {
	switch kind {
	case 'd':
		return strconv.FormatInt(sint(v), 10)
	case 'u':
		return strconv.FormatUint(t.ulong(v), 10)
	case 'x':
		return fmt.Sprintf("%#x", t.ulong(v))
	case 'p':
		if t.ulong(v) == 0 {
			return "NULL"
		}
		return fmt.Sprintf("%#x", t.ulong(v))
	case 's':
		if t.ulong(v) == 0 {
			return "NULL"
		}
		s, err := t.Mem.ReadString(v, 4096)
		if err != nil {
			return fmt.Sprintf("%#x", t.ulong(v))
		}
		return quote(s, 256)
	case 'o':
		return fmt.Sprintf("%#o", uint32(v))
	case 'f':
		return openFlags(uint32(v))
	case 'F':
		if sint(v) == abi.AT_FDCWD {
			return "AT_FDCWD"
		}
		return strconv.FormatInt(sint(v), 10)
	case 'P':
		return flagString(uint64(uint32(v)), protNames, "PROT_NONE")
	case 'M':
		return mmapFlags(uint32(v))
	case 'S':
		return abi.SignalName(int(sint(v)))
	case 'A':
		if v == 0 {
			return "F_OK"
		}
		return flagString(v&0xffffffff, accessNames, "0")
	}
	return fmt.Sprintf("%#x", v)
}

// quote renders s as a C string literal, cut after max bytes.
func quote(s string, max int) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s) && i < max; i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, `\%o`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	if len(s) > max {
		b.WriteString("...")
	}
	return b.String()
}

type flagName struct {
	bit  uint64
	name string
}

var protNames = []flagName{{abi.PROT_READ, "PROT_READ"}, {abi.PROT_WRITE, "PROT_WRITE"}, {abi.PROT_EXEC, "PROT_EXEC"}}

var accessNames = []flagName{{4, "R_OK"}, {2, "W_OK"}, {1, "X_OK"}}

var mmapFlagNames = []flagName{
	{abi.MAP_FIXED, "MAP_FIXED"}, {abi.MAP_ANONYMOUS, "MAP_ANONYMOUS"}, {abi.MAP_32BIT, "MAP_32BIT"},
	{abi.MAP_GROWSDOWN, "MAP_GROWSDOWN"}, {abi.MAP_DENYWRITE, "MAP_DENYWRITE"},
	{abi.MAP_EXECUTABLE, "MAP_EXECUTABLE"}, {abi.MAP_LOCKED, "MAP_LOCKED"},
	{abi.MAP_NORESERVE, "MAP_NORESERVE"}, {abi.MAP_POPULATE, "MAP_POPULATE"},
	{abi.MAP_NONBLOCK, "MAP_NONBLOCK"}, {abi.MAP_STACK, "MAP_STACK"}, {abi.MAP_HUGETLB, "MAP_HUGETLB"},
	{abi.MAP_FIXED_NOREPLACE, "MAP_FIXED_NOREPLACE"},
}

var openFlagNames = []flagName{
	{abi.O_CREAT, "O_CREAT"}, {abi.O_EXCL, "O_EXCL"}, {abi.O_NOCTTY, "O_NOCTTY"}, {abi.O_TRUNC, "O_TRUNC"},
	{abi.O_APPEND, "O_APPEND"}, {abi.O_NONBLOCK, "O_NONBLOCK"}, {abi.O_SYNC, "O_SYNC"},
	{abi.O_DSYNC, "O_DSYNC"}, {abi.O_ASYNC, "O_ASYNC"}, {abi.O_DIRECT, "O_DIRECT"},
	{abi.O_LARGEFILE, "O_LARGEFILE"}, {abi.O_DIRECTORY, "O_DIRECTORY"}, {abi.O_NOFOLLOW, "O_NOFOLLOW"},
	{abi.O_NOATIME, "O_NOATIME"}, {abi.O_CLOEXEC, "O_CLOEXEC"}, {abi.O_PATH, "O_PATH"},
}

// flagString renders v as NAME|NAME|0xrest.
func flagString(v uint64, names []flagName, zero string) string {
	if v == 0 {
		return zero
	}
	var parts []string
	for _, n := range names {
		if v&n.bit == n.bit {
			parts = append(parts, n.name)
			v &^= n.bit
		}
	}
	if v != 0 {
		parts = append(parts, fmt.Sprintf("%#x", v))
	}
	return strings.Join(parts, "|")
}

func openFlags(v uint32) string {
	acc := [...]string{"O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"}[v&abi.O_ACCMODE]
	rest := uint64(v &^ abi.O_ACCMODE)
	if rest == 0 {
		return acc
	}
	return acc + "|" + flagString(rest, openFlagNames, "")
}

func mmapFlags(v uint32) string {
	var typ string
	switch v & abi.MAP_TYPE {
	case abi.MAP_SHARED:
		typ = "MAP_SHARED"
	case abi.MAP_PRIVATE:
		typ = "MAP_PRIVATE"
	case abi.MAP_SHARED_VALIDATE:
		typ = "MAP_SHARED_VALIDATE"
	default:
		typ = fmt.Sprintf("%#x", v&abi.MAP_TYPE)
	}
	rest := uint64(v &^ abi.MAP_TYPE)
	if rest == 0 {
		return typ
	}
	return typ + "|" + flagString(rest, mmapFlagNames, "")
}
