package linux

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"gemu/internal/linux/abi"
	"gemu/internal/mem"
)

// /proc/self for the guest. gemu and its guest are one host process, so
// the host's /proc/self describes gemu: its memory, mappings, auxiliary
// vector and command line. The files below are served from the guest's
// state instead, for /proc/self, /proc/<pid>, /proc/thread-self,
// /proc/self/task/<tid> and /proc/<pid>/task/<tid>:
//
//   - mem: a live view of the guest's memory (procfs_mem.go);
//   - maps, smaps, auxv, cmdline, environ, stat, comm: generated when
//     opened into an anonymous file (memfd), as qemu-user does, so that
//     read, lseek, fstat and mmap work on them as on any file.
//
// Every open is recognized after the host has opened the file: a file on
// procfs has its kernel path read back (/proc/self/fd/N), so paths through
// symbolic links, relative to a /proc directory descriptor or through
// /proc/self/root reach the guest's view too. The host's own threads that
// are not guest threads (the Go runtime's) have no /proc entries for the
// guest: opening anything under them fails with ENOENT. The mem and
// pagemap files of other processes that run gemu (the guest's forked
// children, its parent gemu) would show those gemus' own memory: opening
// them fails with EACCES.

// ProcState is the process state behind the /proc files. Its exported
// fields go into a forked child's image.
type ProcState struct {
	// Files records what file backs each file mapping (procfs_vma.go).
	Files FileRanges
	// Auxv is the auxiliary vector as the guest's initial stack has it,
	// up to and including AT_NULL.
	Auxv []byte
	// StartCode, EndCode, StartData, EndData are the executable's
	// bounds as the kernel computes them for /proc/PID/stat.
	StartCode, EndCode, StartData, EndData uint64
}

const procSuperMagic = 0x9fa0

// procFileMode is each served file's mode, as the kernel has it.
var procFileMode = map[string]uint32{
	"mem": 0o600, "maps": 0o444, "smaps": 0o444, "auxv": 0o400, "cmdline": 0o444,
	"environ": 0o400, "stat": 0o444, "comm": 0o644, "status": 0o444,
}

// procSelfName returns the file a guest path names under the guest's own
// /proc directory ("exe", "maps", ...; "" if it names none), for the
// forms the guest spells itself: /proc/self/F, /proc/<pid>/F,
// /proc/thread-self/F and the task/<tid>/F forms of the first two.
func (p *Process) procSelfName(path string) string {
	if !strings.HasPrefix(path, "/proc/") {
		return ""
	}
	parts := strings.Split(path[len("/proc/"):], "/")
	if len(parts) == 2 && parts[0] == "thread-self" {
		return parts[1]
	}
	if parts[0] != "self" && parts[0] != strconv.Itoa(p.pid) {
		return ""
	}
	switch {
	case len(parts) == 2:
		return parts[1]
	case len(parts) == 4 && parts[1] == "task":
		if tid, err := strconv.Atoi(parts[2]); err == nil && p.isThread(int64(tid)) {
			return parts[3]
		}
	}
	return ""
}

// procPath rewrites a path under /proc/thread-self to the calling guest
// thread's directory: the host's would name whichever host thread serves
// the call.
func (t *Thread) procPath(path string) string {
	const ts = "/proc/thread-self/"
	if strings.HasPrefix(path, ts) {
		return "/proc/" + strconv.Itoa(t.pid) + "/task/" + strconv.Itoa(t.gettid()) + "/" + path[len(ts):]
	}
	return path
}

// procTarget classifies a kernel path of a procfs file ("/proc/N/F" or
// "/proc/N/task/T/F"): for a file of the guest's own process it returns
// the file's name and the thread it was opened through; deny is true for
// a path under one of gemu's own threads, which the guest has not.
func (t *Thread) procTarget(path string) (name string, tid int, deny bool) {
	if !strings.HasPrefix(path, "/proc/") {
		return "", 0, false
	}
	parts := strings.Split(path[len("/proc/"):], "/")
	n, err := strconv.Atoi(parts[0])
	if err != nil || len(parts) < 2 {
		return "", 0, false
	}
	self, ok := t.procThread(n)
	if !ok {
		return "", 0, t.hostThread(n)
	}
	tid = self
	rest := parts[1:]
	if rest[0] == "task" && len(rest) >= 3 {
		tn, err := strconv.Atoi(rest[1])
		if err != nil {
			return "", 0, false
		}
		if tid, ok = t.procThread(tn); !ok {
			return "", 0, t.hostThread(tn)
		}
		rest = rest[2:]
	}
	if len(rest) != 1 {
		return "", 0, false
	}
	if _, ok := procFileMode[rest[0]]; !ok {
		return "", 0, false
	}
	return rest[0], tid, false
}

// otherGemuMem reports whether path ("/proc/N/mem", "/proc/N/task/T/mem"
// or the same with pagemap) is a memory file of another process that runs
// gemu, such as the guest's forked child: the host's file holds that
// gemu's own memory, not its guest's, so the guest may not have it. It
// returns the process or thread id and the file's name. Memory files of
// processes that do not run gemu keep the host's rules.
func otherGemuMem(path string) (int, string, bool) {
	parts := strings.Split(strings.TrimPrefix(path, "/proc/"), "/")
	if len(parts) != 2 && (len(parts) != 4 || parts[1] != "task") {
		return 0, "", false
	}
	file := parts[len(parts)-1]
	if file != "mem" && file != "pagemap" {
		return 0, "", false
	}
	id, err := strconv.Atoi(parts[len(parts)-2])
	if err != nil || id <= 0 {
		return 0, "", false
	}
	if _, err := strconv.Atoi(parts[0]); err != nil {
		return 0, "", false
	}
	return id, file, runsGemu(id)
}

// procThread maps a host process or thread id seen in a /proc path to
// the guest thread it stands for: the process, one of its threads, or
// the calling host thread (what /proc/thread-self resolves to).
func (t *Thread) procThread(n int) (int, bool) {
	switch {
	case n == t.pid:
		return t.pid, true
	case n == syscall.Gettid():
		return t.gettid(), true
	case t.isThread(int64(n)):
		return n, true
	}
	return 0, false
}

// hostThread reports whether n is a thread of gemu's process that is no
// guest thread (one of the Go runtime's).
func (p *Process) hostThread(n int) bool {
	_, err := os.Stat("/proc/" + strconv.Itoa(p.pid) + "/task/" + strconv.Itoa(n))
	return err == nil
}

// procOpen finishes an open that the host did: if host descriptor fd is
// one of the guest's /proc files, it is replaced (keeping its number) by
// the guest's view. It returns the descriptor or an error, and the file
// gemu serves for it (mem, a writable comm), which goes in the guest's
// descriptor table entry (fdtable.go).
func (t *Thread) procOpen(fd int64, flags uint64) (int64, emuFile) {
	if fd < 0 || flags&abi.O_PATH != 0 {
		// An O_PATH descriptor reads nothing; reopening it through
		// /proc/self/fd comes back here.
		return fd, nil
	}
	var fs syscall.Statfs_t
	if syscall.Fstatfs(int(fd), &fs) != nil || fs.Type != procSuperMagic {
		return fd, nil
	}
	target, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(int(fd)))
	if err != nil {
		return fd, nil
	}
	name, tid, deny := t.procTarget(target)
	if deny {
		host(syscall.SYS_CLOSE, uintptr(fd))
		return -abi.ENOENT, nil
	}
	if name == "" {
		pid, file, ok := otherGemuMem(target)
		if !ok {
			return fd, nil
		}
		// The host opened the file, so the guest may reach that
		// process's memory: its gemu serves it. pagemap, which would
		// describe that gemu's own pages, stays closed.
		if file == "mem" {
			if tg, e := t.peerTarget(pid); e == 0 && tg != nil {
				if r := t.replaceWithMemfd(int(fd), file, nil, flags); r < 0 {
					host(syscall.SYS_CLOSE, uintptr(fd))
					return r, nil
				}
				return fd, &procFile{mem: true, acc: int(flags & abi.O_ACCMODE), peer: tg}
			}
		}
		host(syscall.SYS_CLOSE, uintptr(fd))
		return -abi.EACCES, nil
	}
	var content []byte
	if name != "mem" {
		content = t.procContent(name, tid)
	}
	if r := t.replaceWithMemfd(int(fd), name, content, flags); r < 0 {
		host(syscall.SYS_CLOSE, uintptr(fd))
		return r, nil
	}
	switch name {
	case "mem":
		return fd, &procFile{mem: true, acc: int(flags & abi.O_ACCMODE)}
	case "comm":
		if flags&abi.O_ACCMODE != abi.O_RDONLY {
			return fd, &procFile{acc: int(flags & abi.O_ACCMODE)}
		}
	}
	return fd, nil
}

// replaceWithMemfd puts at host descriptor fd an anonymous file holding
// content, with name's mode and the guest's access mode and O_NONBLOCK
// flag; the host descriptor is close-on-exec, as all that stand for the
// guest's (the guest's flag is in its table).
func (p *Process) replaceWithMemfd(fd int, name string, content []byte, flags uint64) int64 {
	label := cstr("gemu-proc-" + name)
	if memfdCreate == 0 {
		return -abi.ENOSYS
	}
	mfd := host(memfdCreate, uintptr(ptr(label)), 1 /* MFD_CLOEXEC */)
	if mfd < 0 {
		return mfd
	}
	defer host(syscall.SYS_CLOSE, uintptr(mfd))
	for done := 0; done < len(content); {
		b := hbuf(len(content) - done)
		copy(b, content[done:])
		r := host(syscall.SYS_WRITE, uintptr(mfd), uintptr(ptr(b)), uintptr(len(b)))
		if r <= 0 {
			return -abi.EIO
		}
		done += int(r)
	}
	mode, ok := procFileMode[name]
	if !ok {
		mode = 0o444 // fdinfo/N (fdtable_sys.go)
	}
	if r := host(syscall.SYS_FCHMOD, uintptr(mfd), uintptr(mode)); r < 0 {
		return r
	}
	// A new open of the anonymous file gives it the guest's access mode
	// (a read-only maps descriptor cannot be written) and offset 0.
	self := cstr("/proc/self/fd/" + strconv.FormatInt(mfd, 10))
	oflags := flags&(abi.O_ACCMODE|abi.O_NONBLOCK) | abi.O_CLOEXEC
	nfd := host(syscall.SYS_OPENAT, atFDCWD, uintptr(ptr(self)), uintptr(oflags), 0)
	if nfd < 0 {
		return nfd
	}
	defer host(syscall.SYS_CLOSE, uintptr(nfd))
	return host(syscall.SYS_DUP3, uintptr(nfd), uintptr(fd), abi.O_CLOEXEC)
}

// procContent generates the contents of a snapshot file; tid is the
// thread the file was opened through.
func (t *Thread) procContent(name string, tid int) []byte {
	switch name {
	case "maps":
		return formatMaps(t.withGate(t.mapLines()), false)
	case "smaps":
		return formatMaps(t.withGate(t.mapLines()), true)
	case "auxv":
		return append([]byte(nil), t.proc.Auxv...)
	case "cmdline":
		return t.peekRange(t.Stack.ArgStart, t.Stack.ArgEnd)
	case "environ":
		return t.peekRange(t.Stack.EnvStart, t.Stack.EnvEnd)
	case "comm":
		return []byte(t.comm() + "\n")
	case "stat":
		return t.procStat(tid)
	case "status":
		return t.procStatus(tid)
	}
	return nil
}

// peekRange reads guest memory [start, end), as the kernel reads argv and
// the environment back from the process's stack; unreadable bytes end it.
func (p *Process) peekRange(start, end uint64) []byte {
	if end <= start || end-start > StackSize {
		return nil
	}
	b := make([]byte, end-start)
	if !p.Mem.Peek(start, b) {
		return nil
	}
	return b
}

// comm is the guest's name: prctl(PR_SET_NAME)'s, else the program's
// file name, truncated as the kernel's 16-byte comm.
func (p *Process) comm() string {
	name := p.commName
	if name == "" {
		name = baseName(p.Path)
	}
	if len(name) > 15 {
		name = name[:15]
	}
	return name
}

// setComm is a write to /proc/self/comm: at most 15 bytes become the
// name, up to the first NUL, as the kernel's set_task_comm.
func (p *Process) setComm(b []byte) {
	if len(b) > 15 {
		b = b[:15]
	}
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	p.commName = string(b)
}

// saveAuxv keeps a copy of the auxiliary vector just built on the
// initial stack, for /proc/self/auxv.
func (t *Thread) saveAuxv() {
	w := uint64(t.w)
	var out []byte
	for a := t.Stack.Auxv; len(out) < 64*16; a += 2 * w {
		e := make([]byte, 2*w)
		if !t.Mem.Peek(a, e) {
			return
		}
		out = append(out, e...)
		if t.w.Get(e, 0) == abi.AT_NULL {
			break
		}
	}
	t.proc.Auxv = out
}

// mapLine is one line of /proc/self/maps.
type mapLine struct {
	Start, End   uint64
	Perm         mem.Perm
	Shared       bool
	Off          uint64
	Major, Minor uint32
	Ino          uint64
	Name         string
	file         bool // a file mapping (not anonymous memory)
	stack        bool // grows down: "gd" in VmFlags
	vdso         bool
	gate         bool   // the x86-64 vsyscall page
	rss          uint64 // bytes gemu holds contents for
}

// mapLines lists the guest's mappings as the kernel would: runs of pages
// with the same permissions and backing, one line each, with the brk
// area named [heap], the stack [stack] and the vDSO [vdso].
func (p *Process) mapLines() []mapLine {
	heapLo, heapHi := p.brkStart, pageUp(p.brk)
	stackLo, stackHi := p.stackBottom(), p.Layout.StackTop
	vdsoLo, vdsoHi := p.Layout.VDSO, p.Layout.VDSO+pageSize
	var cuts []uint64
	for _, r := range p.proc.Files {
		cuts = append(cuts, r.Start, r.End)
	}
	cuts = append(cuts, heapLo, heapHi, stackLo, stackHi, vdsoLo, vdsoHi)
	var out []mapLine
	for _, reg := range p.Mem.Regions() {
		for s := reg.Start; s < reg.End; {
			e := reg.End
			for _, c := range cuts {
				if c > s && c < e {
					e = c
				}
			}
			l := mapLine{Start: s, End: e, Perm: reg.Perm}
			if f := p.proc.Files.at(s); f != nil {
				l.file, l.Shared, l.Off, l.Major, l.Minor, l.Ino, l.Name = true, f.Shared, f.Off+(s-f.Start), f.Major, f.Minor, f.Ino, f.Name
			} else {
				switch {
				case s >= heapLo && e <= heapHi && heapHi > heapLo:
					l.Name = "[heap]"
				case s >= stackLo && e <= stackHi:
					l.Name, l.stack = "[stack]", true
				case s >= vdsoLo && e <= vdsoHi:
					l.Name, l.vdso = "[vdso]", true
				}
			}
			if n := len(out); n > 0 && mergeable(&out[n-1], &l) {
				out[n-1].End = e
			} else {
				out = append(out, l)
			}
			s = e
		}
	}
	for i := range out {
		out[i].rss = p.Mem.Materialized(out[i].Start, out[i].End-out[i].Start)
	}
	return out
}

// mergeable reports whether line b continues line a as one VMA.
func mergeable(a, b *mapLine) bool {
	if a.End != b.Start || a.Perm != b.Perm || a.Shared != b.Shared || a.file != b.file || a.Name != b.Name {
		return false
	}
	if a.file {
		return a.Major == b.Major && a.Minor == b.Minor && a.Ino == b.Ino && a.Off+(a.End-a.Start) == b.Off
	}
	return true
}

// mapsNameColumn is where the kernel starts a mapping's name: it pads the
// line to 25+6*sizeof(void *)-1 = 72 columns on a 64-bit kernel (for
// i386 processes too) and adds a space.
const mapsNameColumn = 72

// formatMaps renders maps, or smaps with each mapping's counters.
func formatMaps(lines []mapLine, smaps bool) []byte {
	var b bytes.Buffer
	for i := range lines {
		l := &lines[i]
		perm := []byte(l.Perm.String() + "p")
		if l.Shared {
			perm[3] = 's'
		}
		start := b.Len()
		fmt.Fprintf(&b, "%08x-%08x %s %08x %02x:%02x %d ", l.Start, l.End, perm, l.Off, l.Major, l.Minor, l.Ino)
		if l.Name != "" {
			for b.Len()-start < mapsNameColumn {
				b.WriteByte(' ')
			}
			b.WriteByte(' ')
			b.WriteString(l.Name)
		}
		b.WriteByte('\n')
		if smaps {
			writeSmaps(&b, l)
		}
	}
	return b.Bytes()
}

// writeSmaps writes a mapping's smaps counters in the kernel's order:
// the sizes gemu knows (size, resident pages) and zeros for what it has
// no notion of (sharing, swap, huge pages).
func writeSmaps(b *bytes.Buffer, l *mapLine) {
	kb := func(name string, v uint64) { fmt.Fprintf(b, "%-16s%8d kB\n", name+":", v>>10) }
	var anon uint64
	if !l.file {
		anon = l.rss
	}
	kb("Size", l.End-l.Start)
	kb("KernelPageSize", pageSize)
	kb("MMUPageSize", pageSize)
	kb("Rss", l.rss)
	kb("Pss", l.rss)
	kb("Pss_Dirty", anon)
	kb("Shared_Clean", 0)
	kb("Shared_Dirty", 0)
	kb("Private_Clean", l.rss-anon)
	kb("Private_Dirty", anon)
	kb("Referenced", l.rss)
	kb("Anonymous", anon)
	for _, n := range []string{"KSM", "LazyFree", "AnonHugePages", "ShmemPmdMapped", "FilePmdMapped",
		"Shared_Hugetlb", "Private_Hugetlb", "Swap", "SwapPss", "Locked"} {
		kb(n, 0)
	}
	fmt.Fprintf(b, "%-16s%8d\n", "THPeligible:", 0)
	b.WriteString("VmFlags: " + vmFlags(l) + "\n")
}

// vmFlags is a mapping's VmFlags line: its permissions, what it may be
// changed to (mr mw me for private mappings; ms for shared ones), growing
// down for the stack, and accounting for private writable memory.
func vmFlags(l *mapLine) string {
	var f []string
	if l.Perm&mem.Read != 0 {
		f = append(f, "rd")
	}
	if l.Perm&mem.Write != 0 {
		f = append(f, "wr")
	}
	if l.Perm&mem.Exec != 0 {
		f = append(f, "ex")
	}
	if l.Shared && l.Perm&mem.Write != 0 {
		f = append(f, "sh")
	}
	f = append(f, "mr", "mw", "me")
	if l.Shared {
		f = append(f, "ms")
	}
	if l.stack {
		f = append(f, "gd")
	}
	if !l.Shared && l.Perm&mem.Write != 0 {
		f = append(f, "ac")
	}
	if l.vdso {
		f = append(f, "de")
	}
	if l.gate {
		f = []string{"ex"}
	}
	return strings.Join(f, " ") + " "
}

// withGate adds to an x86-64 guest's maps lines the vsyscall page
// (vsyscall.go), which the kernel lists last, execute-only, though it
// is no mapping of the process (it counts in no memory total).
func (t *Thread) withGate(lines []mapLine) []mapLine {
	if t.w != 8 {
		return lines
	}
	return append(lines, mapLine{Start: vsyscallAddr, End: vsyscallAddr + pageSize, Perm: mem.Exec, Name: "[vsyscall]", gate: true})
}

// procStat is /proc/PID/stat (proc(5)) for the guest thread tid: the
// fields that gemu and its guest share (process group, session,
// terminal, times, priority, start time, limits) come from the host's
// own stat; the guest's are its own: pid, comm, state, thread count,
// sizes, its executable's and stack's addresses, signals.
func (t *Thread) procStat(tid int) []byte {
	raw, _ := os.ReadFile("/proc/self/stat")
	f := make([]string, 53) // 1-based field numbers as in proc(5)
	if i := bytes.LastIndexByte(raw, ')'); i >= 0 {
		copy(f[3:], strings.Fields(string(raw[i+1:])))
	}
	for i := range f {
		if f[i] == "" {
			f[i] = "0"
		}
	}
	u := func(n int, v uint64) { f[n] = strconv.FormatUint(v, 10) }
	var vsize, rss uint64
	for _, r := range t.Mem.Regions() {
		vsize += r.End - r.Start
		rss += t.Mem.Materialized(r.Start, r.End-r.Start)
	}
	threads := 1
	if t.mt != nil {
		threads = int(t.mt.n.Load())
	}
	ign, catch := t.sigSets()
	u(1, uint64(tid))
	f[2] = "(" + t.comm() + ")"
	f[3] = "R"
	u(20, uint64(threads))
	u(21, 0)
	u(23, vsize)
	u(24, rss/pageSize)
	u(26, t.proc.StartCode)
	u(27, t.proc.EndCode)
	u(28, t.Stack.SP)
	u(29, 0)
	u(30, 0)
	u(31, t.allPending())
	u(32, t.mask)
	u(33, ign)
	u(34, catch)
	u(35, 0)
	u(38, 17)
	u(45, t.proc.StartData)
	u(46, t.proc.EndData)
	u(47, t.brkStart)
	u(48, t.Stack.ArgStart)
	u(49, t.Stack.ArgEnd)
	u(50, t.Stack.EnvStart)
	u(51, t.Stack.EnvEnd)
	u(52, 0)
	return []byte(strings.Join(f[1:], " ") + "\n")
}

// procDirents filters the getdents64 records the host returned (r bytes
// in b) for directory fd: a listing of the guest's own task directory
// keeps only guest threads, as gemu's own threads have no entries for the
// guest. When every record of a read is dropped it reads on, so that an
// empty result still means the end. It returns the new length or an error.
func (p *Process) procDirents(fd int, b []byte, r int64) int64 {
	var fs syscall.Statfs_t
	if r <= 0 || syscall.Fstatfs(fd, &fs) != nil || fs.Type != procSuperMagic {
		return r
	}
	target, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(fd))
	if err != nil || target != "/proc/"+strconv.Itoa(p.pid)+"/task" {
		return r
	}
	for r > 0 {
		out := 0
		for off := 0; off+19 <= int(r); {
			reclen := int(b[off+16]) | int(b[off+17])<<8
			if reclen < 19 || off+reclen > int(r) {
				break
			}
			name := b[off+19 : off+reclen]
			if i := bytes.IndexByte(name, 0); i >= 0 {
				name = name[:i]
			}
			tid, err := strconv.Atoi(string(name))
			if err != nil || p.isThread(int64(tid)) {
				copy(b[out:], b[off:off+reclen])
				out += reclen
			}
			off += reclen
		}
		if out > 0 {
			return int64(out)
		}
		r = host(syscall.SYS_GETDENTS64, uintptr(fd), uintptr(ptr(b)), uintptr(len(b)))
	}
	return r
}

// sigSets returns the signals the guest ignores and those it catches.
func (p *Process) sigSets() (ign, catch uint64) {
	for sig := 1; sig < abi.NSIG && sig <= 64; sig++ {
		switch h := p.sig.act[sig].Handler; {
		case h == abi.SIG_IGN:
			ign |= sigBit(sig)
		case h != abi.SIG_DFL:
			catch |= sigBit(sig)
		}
	}
	return ign, catch
}

// procStatus is /proc/PID/status for the guest thread tid: the host's
// lines (ids, credentials, capabilities, CPU and memory policy, which
// gemu and its guest share) with the guest's name, state, thread id,
// thread count, memory sizes and signal sets.
func (t *Thread) procStatus(tid int) []byte {
	raw, _ := os.ReadFile("/proc/self/status")
	var vsize, rss, anon, stack, exe, lib uint64
	for _, l := range t.mapLines() {
		size := l.End - l.Start
		vsize += size
		rss += l.rss
		if !l.file {
			anon += l.rss
		}
		if l.stack {
			stack += size
		}
		// Executable mappings: the program's code, or libraries (and
		// the vDSO), as the kernel counts VmExe and VmLib.
		switch {
		case l.Perm&mem.Exec == 0 || l.Perm&mem.Write != 0:
		case l.file && l.Start < t.proc.EndCode && t.proc.StartCode < l.End:
			exe += size
		default:
			lib += size
		}
	}
	var data uint64
	for _, l := range t.mapLines() {
		if !l.Shared && l.Perm&mem.Write != 0 && !l.stack {
			data += l.End - l.Start
		}
	}
	threads := 1
	if t.mt != nil {
		threads = int(t.mt.n.Load())
	}
	ign, catch := t.sigSets()
	kb := func(v uint64) string { return fmt.Sprintf("%8d kB", v>>10) }
	hex := func(v uint64) string { return fmt.Sprintf("%016x", v) }
	set := map[string]string{
		"Name": t.comm(), "State": "R (running)", "Pid": strconv.Itoa(tid), "NSpid": strconv.Itoa(tid),
		"VmPeak": kb(vsize), "VmSize": kb(vsize), "VmHWM": kb(rss), "VmRSS": kb(rss),
		"RssAnon": kb(anon), "RssFile": kb(rss - anon), "VmData": kb(data), "VmStk": kb(stack),
		"VmExe": kb(exe), "VmLib": kb(lib), "Threads": strconv.Itoa(threads),
		"SigPnd": hex(0), "ShdPnd": hex(t.allPending()), "SigBlk": hex(t.mask),
		"SigIgn": hex(ign), "SigCgt": hex(catch),
	}
	var b bytes.Buffer
	for _, line := range strings.SplitAfter(string(raw), "\n") {
		if k, _, ok := strings.Cut(line, ":\t"); ok {
			if v, ok := set[k]; ok {
				b.WriteString(k + ":\t" + v + "\n")
				continue
			}
		}
		b.WriteString(line)
	}
	return b.Bytes()
}
