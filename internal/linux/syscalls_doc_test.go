package linux

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"gemu/internal/linux/abi"
)

// docs/syscalls.md is generated from gemu's tables: every system call of
// both ABIs (abi.Names32, abi.Names64), whether gemu serves it (a
// registered handler), refuses it on purpose (refusedCalls) or does not
// serve it, and why. TestSyscallsDoc fails when the file differs from
// what the tables say, and when a call gemu does not serve has no reason
// below, so neither the document nor an unexplained ENOSYS can creep in.
// GEMU_UPDATE_DOCS=1 rewrites the file.

// Reasons shared by several calls.
const (
	whyNI = "Linux itself answers ENOSYS (never implemented, or removed from current kernels), " +
		"and so does gemu"
	whyAdmin = "administers the host (needs privilege natively): not passed through, a guest under " +
		"emulation does not reconfigure the machine running it (qemu-user 7.2 passes it to the host)"
	whyMount = "changes the mount tree: gemu resolves guest paths itself (/proc/self links, " +
		"descriptors) and knows no other mounts or roots than the host's; not served (qemu-user 7.2 " +
		"passes mount, umount, umount2, chroot and pivot_root to the host, answers the rest ENOSYS)"
	whyAIO = "Linux native AIO: the kernel reads the guest's iocbs and writes events asynchronously " +
		"with guest pointers and descriptor numbers; not served (glibc's POSIX AIO uses threads; " +
		"qemu-user 7.2 answers ENOSYS too)"
	whyNUMA = "NUMA memory policy of guest pages, which are gemu's own memory; not served"
	whyPeer = "acts on another process's memory, which for a guest is another gemu's; not served"
)

// unservedReasons says why each call without a handler is not served.
var unservedReasons = map[string]string{
	"afs_syscall": whyNI, "break": whyNI, "ftime": whyNI, "gtty": whyNI, "stty": whyNI, "lock": whyNI,
	"mpx": whyNI, "prof": whyNI, "profil": whyNI, "putpmsg": whyNI, "getpmsg": whyNI, "tuxcall": whyNI,
	"security": whyNI, "vserver": whyNI, "create_module": whyNI, "get_kernel_syms": whyNI,
	"query_module": whyNI, "nfsservctl": whyNI, "idle": whyNI, "epoll_ctl_old": whyNI,
	"epoll_wait_old": whyNI, "ulimit": whyNI, "bdflush": whyNI, "_sysctl": whyNI, "lookup_dcookie": whyNI,
	"uselib":  "a.out shared libraries (CONFIG_USELIB, off in current kernels); gemu loads ELF only",
	"vm86":    "virtual-8086 mode: an x86-64 kernel answers ENOSYS to i386 processes too",
	"vm86old": "virtual-8086 mode: an x86-64 kernel answers ENOSYS to i386 processes too",
	"ioperm": "I/O port permissions: gemu's user mode has no I/O ports (in/out fault as without " +
		"permission), and the host's would be gemu's, not the guest's",
	"iopl":            "I/O privilege level: as ioperm",
	"kexec_load":      whyAdmin,
	"kexec_file_load": whyAdmin, "init_module": whyAdmin, "finit_module": whyAdmin,
	"delete_module": whyAdmin, "quotactl": whyAdmin, "quotactl_fd": whyAdmin,
	"vhangup": whyAdmin, "mount": whyMount, "umount": whyMount, "umount2": whyMount, "fsconfig": whyMount, "fsmount": whyMount,
	"fsopen": whyMount, "fspick": whyMount, "move_mount": whyMount, "mount_setattr": whyMount,
	"open_tree": whyMount, "chroot": whyMount,
	"fanotify_init": "events carry descriptors the kernel opens in gemu's table, which every read " +
		"would have to turn into guest descriptors; not served (qemu-user 7.2 answers ENOSYS too)",
	"fanotify_mark": "see fanotify_init",
	"io_setup":      whyAIO, "io_submit": whyAIO, "io_getevents": whyAIO, "io_pgetevents": whyAIO,
	"io_pgetevents_time64": whyAIO, "io_destroy": whyAIO, "io_cancel": whyAIO,
	"get_mempolicy": whyNUMA, "set_mempolicy": whyNUMA, "mbind": whyNUMA, "migrate_pages": whyNUMA,
	"move_pages": whyNUMA, "set_mempolicy_home_node": whyNUMA,
	"process_madvise": whyPeer, "process_mrelease": whyPeer,
	"memfd_secret": "secret memory must stay out of every other mapping, gemu's included, and is " +
		"off by default (secretmem.enable); not served",
	"remap_file_pages": "deprecated (Linux emulates it with mmap); not served",
	"landlock_create_ruleset": "a ruleset would restrict gemu's own host access while gemu " +
		"resolves the guest's paths itself; not served",
	"landlock_add_rule":      "see landlock_create_ruleset",
	"landlock_restrict_self": "see landlock_create_ruleset",
	"futex_waitv":            "waiting on several futexes at once (gemu's futexes are its own); not served yet",
}

// servedNotes are caveats of calls gemu serves.
var servedNotes = map[string]string{
	"unshare": "CLONE_THREAD/SIGHAND/VM by the guest's thread count; with several guest threads " +
		"CLONE_FILES/CLONE_FS leave the tables shared (0, and a -d unimp line); namespaces are the " +
		"host's for the calling thread; CLONE_NEWUSER is EINVAL (gemu's host process always has " +
		"several threads)",
	"setns": "user and mount namespaces are EINVAL (gemu's host process always has several threads)",
	"kcmp": "a process that does not run gemu has its descriptors compared by their own numbers; " +
		"KCMP_EPOLL_TFD of another process likewise",
	"openat2": "with resolve flags the host resolves the path, never through a magic link " +
		"(/proc/self/fd/N is ELOOP)",
	"pkey_alloc":    "as on a CPU without protection keys: ENOSPC",
	"pkey_free":     "as on a CPU without protection keys: EINVAL",
	"pkey_mprotect": "as on a CPU without protection keys: key -1 is mprotect",
	"mlock":         "nothing is paged out of guest memory: always 0",
	"mq_notify":     "SIGEV_SIGNAL and glibc's SIGEV_THREAD",
	"pidfd_getfd":   "a descriptor of a process that does not run gemu is its host number",
	"sysfs":         "the host's list of file system types",
	"adjtimex": "queries (modes 0, ADJ_OFFSET_SS_READ) are the host's; a change of the host's clock " +
		"is EPERM as without CAP_SYS_TIME (qemu-user 7.2 passes it to the host)",
	"clock_adjtime":   "see adjtimex",
	"clock_adjtime64": "see adjtimex",
	"syslog": "reading (READ_ALL, the sizes) is the host's; consuming or clearing the log and the " +
		"console actions are EPERM as without CAP_SYSLOG (qemu-user 7.2 passes them to the host)",
	"ustat": "the host's answer for the device number",
	"settimeofday": "arguments checked as the kernel does (EFAULT, EINVAL), then EPERM as without " +
		"CAP_SYS_TIME: gemu does not set the host's clock (qemu-user 7.2 passes it to the host)",
	"clock_settime":   "see settimeofday",
	"clock_settime64": "see settimeofday",
	"stime":           "see settimeofday",
	"acct": "EPERM, the kernel's first answer without the capability: gemu does not administer the " +
		"host, even as root (qemu-user 7.2 passes it to the host)",
	"reboot": "see acct", "swapon": "see acct (unknown flags are EINVAL first, as in the kernel)",
	"swapoff": "see acct", "sethostname": "see acct", "setdomainname": "see acct", "pivot_root": "see acct",
	"keyctl": "the host's keyrings of the calling thread; KEYCTL_DH_COMPUTE and KEYCTL_PKEY_* answer " +
		"EOPNOTSUPP as a kernel without them (-d unimp); qemu-user 7.2 answers ENOSYS to all three calls",
	"readdir": "d_offset is the position before the call (it seeks back to the entry, as the " +
		"kernel's; for the first entry of an ext4 hashed directory the kernel gives its hash, gemu 0)",
}

func syscallsDoc() (string, []string) {
	type row struct {
		name   string
		n32    int
		n64    int
		status string
		why    string
	}
	rows := map[string]*row{}
	get := func(name string) *row {
		if r := rows[name]; r != nil {
			return r
		}
		r := &row{name: name, n32: -1, n64: -1}
		rows[name] = r
		return r
	}
	for nr, name := range abi.Names32 {
		get(name).n32 = nr
	}
	for nr, name := range abi.Names64 {
		get(name).n64 = nr
	}
	var problems []string
	counts := map[string]int{}
	for name, r := range rows {
		switch {
		case refusedCalls[name] != "":
			r.status, r.why = "ENOSYS (refused, -d unimp)", refusedCalls[name]
		case handlers[name] != nil:
			r.status, r.why = "served", servedNotes[name]
		default:
			r.status, r.why = "ENOSYS", unservedReasons[name]
			if r.why == "" {
				problems = append(problems, name+" has no handler and no reason in unservedReasons")
			}
		}
		counts[r.status]++
		if handlers[name] != nil && unservedReasons[name] != "" {
			problems = append(problems, name+" is served but unservedReasons gives a reason")
		}
	}
	names := make([]string, 0, len(rows))
	for name := range rows {
		names = append(names, name)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("# System calls\n\n")
	b.WriteString("Every system call of gemu's two guest ABIs (i386 and x86-64 Linux), whether gemu\n" +
		"serves it and, if not, why. Generated from gemu's tables by\n" +
		"`internal/linux/syscalls_doc_test.go`, which fails when this file is out of date and\n" +
		"when a call without a handler has no reason; rewrite it with\n" +
		"`GEMU_UPDATE_DOCS=1 go test ./internal/linux -run TestSyscallsDoc`.\n\n")
	b.WriteString("A call gemu does not serve returns ENOSYS, and `-d unimp` logs it (\"Unsupported\n" +
		"syscall: N\", or the refusal's reason for the calls refused on purpose). \"served\" means\n" +
		"implemented with the kernel's semantics as far as the differential tests\n" +
		"(tests/guest) check them; notes give known limits.\n\n")
	fmt.Fprintf(&b, "%d names: %d served, %d refused on purpose, %d not served.\n\n", len(rows),
		counts["served"], counts["ENOSYS (refused, -d unimp)"], counts["ENOSYS"])
	b.WriteString("| call | i386 | x86-64 | gemu | why not, or notes |\n| --- | --- | --- | --- | --- |\n")
	num := func(n int) string {
		if n < 0 {
			return "-"
		}
		return fmt.Sprint(n)
	}
	for _, name := range names {
		r := rows[name]
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", name, num(r.n32), num(r.n64), r.status, r.why)
	}
	sort.Strings(problems)
	return b.String(), problems
}

func TestSyscallsDoc(t *testing.T) {
	want, problems := syscallsDoc()
	for _, p := range problems {
		t.Error(p)
	}
	path := filepath.Join("..", "..", "docs", "syscalls.md")
	if os.Getenv("GEMU_UPDATE_DOCS") != "" {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(want, "\n")
		for i := 0; i < len(gl) || i < len(wl); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Errorf("docs/syscalls.md is out of date at line %d:\n  file:   %s\n  tables: %s\n"+
					"rewrite it: GEMU_UPDATE_DOCS=1 go test ./internal/linux -run TestSyscallsDoc", i+1, g, w)
				break
			}
		}
	}
}
