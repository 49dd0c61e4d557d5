package linux

import (
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"gemu/internal/linux/abi"
)

// The guest's descriptor table as system calls use it (fdtable.go): every
// descriptor argument is translated to the host descriptor it stands for,
// every descriptor a call creates is installed in the table, and paths
// that name descriptors (/proc/self/fd/N, /dev/fd/N, /dev/stdin...) are
// translated too.

func init() {
	reg(sysDup, "dup")
	reg(sysDup2, "dup2")
	reg(sysDup3, "dup3")
	reg(sysCloseRange, "close_range")
	if _, ok := straceSpec["close_range"]; !ok {
		straceSpec["close_range"] = "u,u,x"
	}
}

// badHostFD is a host descriptor number that is never open: a call given
// it fails as with a closed descriptor (EBADF, POLLNVAL in poll), and an
// *at call ignores it for an absolute path, as Linux does with a bad
// dirfd.
const badHostFD = 0x7fffffff

const rlimitNofile = 7

// fget translates guest descriptor argument v to its host descriptor,
// held until fput: EBADF if the guest has no such descriptor.
func (p *Process) fget(v uint64) (uintptr, int64) {
	e, ok := p.fds.hold(sint(v))
	if !ok {
		return 0, -abi.EBADF
	}
	return uintptr(e.host), 0
}

// fentry is fget returning the whole entry (its emulated file).
func (p *Process) fentry(v uint64) (fdEntry, int64) {
	e, ok := p.fds.hold(sint(v))
	if !ok {
		return fdEntry{}, -abi.EBADF
	}
	return e, 0
}

// dirget translates the directory descriptor of an *at call: AT_FDCWD
// stays itself, a descriptor the guest does not have becomes badHostFD.
// The result is released with fput.
func (p *Process) dirget(v uint64) uintptr {
	fd := sint(v)
	if fd == abi.AT_FDCWD {
		return atFDCWD
	}
	e, ok := p.fds.hold(fd)
	if !ok {
		return badHostFD
	}
	return uintptr(e.host)
}

// fput releases a host descriptor fget or dirget returned.
func (p *Process) fput(h uintptr) { p.putHost(int(h)) }

// putHost drops a hold or an entry of host descriptor h and closes it with
// the last.
func (p *Process) putHost(h int) {
	if h < 0 || h == badHostFD {
		return
	}
	if p.fds.put(h) {
		p.closeHost(h)
	}
}

// dropEntry releases the host descriptor of a guest entry that was closed
// (close, dup2 over it, close_range). If other entries (dups) still hold
// it, a duplicate is closed instead: closing any descriptor of a file
// releases the process's POSIX record locks on it, as closing the guest's
// would natively.
func (p *Process) dropEntry(h int) {
	if h < 0 {
		return
	}
	if p.fds.put(h) {
		p.closeHost(h)
		return
	}
	if d := host(syscall.SYS_FCNTL, uintptr(h), fDupfdCloexec, 0); d >= 0 {
		host(syscall.SYS_CLOSE, uintptr(d))
	}
}

// closeHost closes a host descriptor no guest entry or call uses any more.
// Standard input, output and error are pointed at /dev/null instead, so
// that those numbers stay gemu's and no later file of the guest's takes
// them.
func (p *Process) closeHost(h int) {
	delete(p.dirs, h)
	p.dropEpollDups(h)
	if h <= 2 {
		if n := devNull(); n >= 0 {
			syscall.Dup3(n, h, 0)
			return
		}
	}
	host(syscall.SYS_CLOSE, uintptr(h))
}

var (
	devNullOnce sync.Once
	devNullFD   = -1
)

// devNull returns gemu's own descriptor of /dev/null, or -1.
func devNull() int {
	devNullOnce.Do(func() {
		if fd, err := syscall.Open("/dev/null", syscall.O_RDWR|syscall.O_CLOEXEC, 0); err == nil {
			devNullFD = fd
		}
	})
	return devNullFD
}

// nofile is the guest's soft RLIMIT_NOFILE: guest descriptor numbers
// stay below it.
func (p *Process) nofile() uint64 {
	cur, _, _ := p.rlimit(rlimitNofile)
	return cur
}

// reserveFD reserves the lowest free guest descriptor for a call that
// creates one; fillFD completes it with the call's result.
func (p *Process) reserveFD() (int, int64) { return p.fds.reserve(0, p.nofile()) }

// reserveFDPair reserves the two lowest free guest descriptor numbers, for
// the calls that create two descriptors at once (pipe, socketpair).
func (p *Process) reserveFDPair() (int, int, int64) {
	a, e := p.reserveFD()
	if e != 0 {
		return 0, 0, e
	}
	b, e := p.reserveFD()
	if e != 0 {
		p.fds.cancel(a)
		return 0, 0, e
	}
	return a, b, 0
}

// fillFD installs host descriptor r (a host call's result) at reserved
// guest descriptor fd and returns fd, or, if r is an error, gives the
// reservation back and returns r.
func (p *Process) fillFD(fd int, r int64, cloexec bool, file emuFile) int64 {
	if r < 0 {
		p.fds.cancel(fd)
		return r
	}
	p.fds.fill(fd, int(r), cloexec, file)
	return int64(fd)
}

// installFD puts host descriptor h, which gemu received (SCM_RIGHTS), in
// the lowest free guest descriptor; it closes h and returns EMFILE if
// there is none.
func (p *Process) installFD(h int, cloexec bool) int64 {
	fd, e := p.reserveFD()
	if e != 0 {
		host(syscall.SYS_CLOSE, uintptr(h))
		return e
	}
	return p.fillFD(fd, int64(h), cloexec, nil)
}

// closeFD is close(2) on a guest descriptor.
func (p *Process) closeFD(fd int64) int64 {
	h, ok := p.fds.remove(fd)
	if !ok {
		return -abi.EBADF
	}
	p.dropEntry(h)
	return 0
}

func sysClose(t *Thread, a *[6]uint64) int64 { return t.closeFD(sint(a[0])) }

func sysDup(t *Thread, a *[6]uint64) int64 {
	return t.fds.dupFrom(sint(a[0]), 0, t.nofile(), false)
}

func sysDup2(t *Thread, a *[6]uint64) int64 { return t.dup2(sint(a[0]), sint(a[1]), false) }

// sysDup3 is dup2 with flags (O_CLOEXEC), which refuses old == new.
func sysDup3(t *Thread, a *[6]uint64) int64 {
	old, to, flags := sint(a[0]), sint(a[1]), uint32(a[2])
	if flags&^abi.O_CLOEXEC != 0 || old == to {
		return -abi.EINVAL
	}
	return t.dup2(old, to, flags != 0)
}

// dup2 makes descriptor to a copy of old. A target at or above the
// guest's RLIMIT_NOFILE is EBADF, as in Linux.
func (p *Process) dup2(old, to int64, cloexec bool) int64 {
	if to < 0 || uint64(to) >= p.nofile() {
		return -abi.EBADF
	}
	if old == to {
		if _, ok := p.fds.lookup(old); !ok {
			return -abi.EBADF
		}
		return to
	}
	prev, e := p.fds.dupTo(old, to, cloexec)
	if e != 0 {
		return e
	}
	p.dropEntry(prev)
	return to
}

// close_range flags.
const (
	closeRangeUnshare = 2
	closeRangeCloexec = 4
)

// sysCloseRange is close_range(first, last, flags). CLOSE_RANGE_UNSHARE
// asks for a private table first: gemu's threads share one table, so the
// range is closed in it (with a single thread, the same thing).
func sysCloseRange(t *Thread, a *[6]uint64) int64 {
	lo, hi, flags := uint64(uint32(a[0])), uint64(uint32(a[1])), uint32(a[2])
	if flags&^(closeRangeUnshare|closeRangeCloexec) != 0 || lo > hi {
		return -abi.EINVAL
	}
	for _, h := range t.fds.closeRange(lo, hi, flags&closeRangeCloexec != 0) {
		t.dropEntry(h)
	}
	return 0
}

// fcntlDupfd is F_DUPFD and F_DUPFD_CLOEXEC: the lowest free descriptor
// at or above arg, EINVAL if arg is at or above the guest's limit.
func (t *Thread) fcntlDupfd(fd int64, arg uint64, cloexec bool) int64 {
	arg = t.ulong(arg)
	if int64(int32(arg)) < 0 || arg >= t.nofile() {
		// The kernel takes the argument as an unsigned long and compares
		// it with the limit; negative ints are huge.
		if _, ok := t.fds.lookup(fd); !ok {
			return -abi.EBADF
		}
		return -abi.EINVAL
	}
	return t.fds.dupFrom(fd, int(arg), t.nofile(), cloexec)
}

// fcntlFD serves the fcntl commands on the descriptor itself rather than
// the open file: F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD and F_SETFD. It
// reports false for other commands.
func (t *Thread) fcntlFD(fd int64, cmd int, arg uint64) (int64, bool) {
	switch cmd {
	case syscall.F_DUPFD, fDupfdCloexec:
		return t.fcntlDupfd(fd, arg, cmd == fDupfdCloexec), true
	case syscall.F_GETFD:
		e, ok := t.fds.lookup(fd)
		if !ok {
			return -abi.EBADF, true
		}
		if e.cloexec {
			return syscall.FD_CLOEXEC, true
		}
		return 0, true
	case syscall.F_SETFD:
		if !t.fds.setCloexec(fd, arg&syscall.FD_CLOEXEC != 0) {
			return -abi.EBADF, true
		}
		return 0, true
	}
	return 0, false
}

const fDupfdCloexec = 1030

// Paths that name descriptors. /proc/self/fd/N (and fdinfo, through
// /proc/PID/ of the guest's own pid, /proc/thread-self/ or /dev/fd/) name
// the guest's descriptor N: gemu rewrites them to the host descriptor
// it stands for, or to a name that does not exist. A path that already
// names the same number on the host is left alone.

// hostPath is the host path for a guest path: /proc/self/exe is the guest
// program, descriptor paths are translated, /proc/thread-self is the
// calling guest thread's (procPath).
func (t *Thread) hostPath(s string) string {
	if t.isSelfExe(s) {
		return t.ExePath
	}
	return t.procPath(t.fdPath(s))
}

// fdPath translates a path naming a guest descriptor.
func (p *Process) fdPath(s string) string {
	dir, rest, ok := p.fdPathParts(s)
	if !ok {
		return s
	}
	digits := rest
	tail := ""
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		digits, tail = rest[:i], rest[i:]
	}
	n, err := strconv.Atoi(digits)
	if err != nil || digits == "" || digits[0] == '+' || digits[0] == '-' {
		return s
	}
	e, ok := p.fds.lookup(int64(n))
	switch {
	case !ok:
		return "/proc/self/" + dir + "/-1" + tail
	case e.host == n:
		return s
	}
	return "/proc/self/" + dir + "/" + strconv.Itoa(e.host) + tail
}

// fdPathParts splits a descriptor path into its directory (fd or fdinfo)
// and what follows it; /dev/stdin, /dev/stdout and /dev/stderr are
// /proc/self/fd/0, 1 and 2. An absolute path is looked at in its clean
// form (no //, . or ..) without /proc/self/root prefixes, which name the
// same files.
func (p *Process) fdPathParts(s string) (dir, rest string, ok bool) {
	s = p.cleanProc(s)
	switch s {
	case "/dev/stdin":
		return "fd", "0", true
	case "/dev/stdout":
		return "fd", "1", true
	case "/dev/stderr":
		return "fd", "2", true
	}
	if r, ok := strings.CutPrefix(s, "/dev/fd/"); ok {
		return "fd", r, true
	}
	r, ok := p.procSelfRest(s)
	if !ok {
		return "", "", false
	}
	for _, d := range []string{"fd", "fdinfo"} {
		if r2, ok := strings.CutPrefix(r, d+"/"); ok {
			return d, r2, true
		}
	}
	return "", "", false
}

// procSelfRest returns what follows /proc/self/, /proc/thread-self/ or
// /proc/PID/ (the guest's pid), and the task/TID/ of a guest thread under
// the first and the last, in s.
func (p *Process) procSelfRest(s string) (string, bool) {
	for _, pre := range []string{"/proc/self/", "/proc/thread-self/", "/proc/" + strconv.Itoa(p.pid) + "/"} {
		r, ok := strings.CutPrefix(s, pre)
		if !ok {
			continue
		}
		if t, ok := strings.CutPrefix(r, "task/"); ok && pre != "/proc/thread-self/" {
			tid, tail, _ := strings.Cut(t, "/")
			n, err := strconv.Atoi(tid)
			if err != nil || !p.isThread(int64(n)) {
				return "", false
			}
			r = tail
		}
		return r, true
	}
	return "", false
}

// cleanProc returns an absolute path cleaned (path.Clean, keeping a
// trailing slash) and without /proc/self/root-like prefixes, for
// recognizing descriptor paths; other paths come back unchanged.
func (p *Process) cleanProc(s string) string {
	if !strings.HasPrefix(s, "/") {
		return s
	}
	c := path.Clean(s)
	for {
		r, ok := p.procSelfRest(c + "/")
		if !ok || !strings.HasPrefix(r, "root/") {
			break
		}
		c = path.Clean("/" + r[len("root/"):])
	}
	if strings.HasSuffix(s, "/") && c != "/" {
		c += "/"
	}
	return c
}

// fdDirKind tells whether path names the directory /proc/self/fd or
// /proc/self/fdinfo, whose listing gemu makes from the guest's table.
func (p *Process) fdDirKind(s string) int {
	s = strings.TrimRight(p.cleanProc(s), "/")
	if s == "/dev/fd" {
		return fdKindFdDir
	}
	r, ok := p.procSelfRest(s + "/")
	switch {
	case !ok:
		return fdKindHost
	case r == "fd/":
		return fdKindFdDir
	case r == "fdinfo/":
		return fdKindFdInfo
	}
	return fdKindHost
}

// fdDir is an open /proc/self/fd or /proc/self/fdinfo: getdents lists the
// guest's descriptors; pos is the index of the next record ("." and ".."
// first), the directory offset the guest sees.
type fdDir struct {
	info bool
	mu   sync.Mutex
	pos  int64
}

func (d *fdDir) kind() int {
	if d.info {
		return fdKindFdInfo
	}
	return fdKindFdDir
}

func emuFileOfKind(k int) emuFile {
	if f := signalFileOfKind(k); f != nil {
		return f
	}
	switch k {
	case fdKindFdDir:
		return &fdDir{}
	case fdKindFdInfo:
		return &fdDir{info: true}
	}
	return nil
}

// Directory entry types.
const (
	dtDir = 4
	dtReg = 8
	dtLnk = 10
)

// dirents returns getdents64 records of the listing from d.pos, at most n
// bytes, and advances d.pos; EINVAL if not even one record fits.
func (d *fdDir) dirents(fds []int, n uint64) ([]byte, int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []byte
	for i := max(d.pos, 0); i < int64(len(fds))+2; i++ {
		name, typ, ino := ".", byte(dtDir), uint64(1)
		switch {
		case i == 1:
			name, ino = "..", 2
		case i >= 2:
			fd := fds[i-2]
			name, typ, ino = strconv.Itoa(fd), dtLnk, uint64(fd)+3
			if d.info {
				typ = dtReg
			}
		}
		reclen := (19 + len(name) + 1 + 7) &^ 7
		if uint64(len(out)+reclen) > n {
			if len(out) == 0 {
				return nil, -abi.EINVAL
			}
			break
		}
		rec := make([]byte, reclen)
		putLE64(rec, ino)
		putLE64(rec[8:], uint64(i+1))
		rec[16], rec[17] = byte(reclen), byte(reclen>>8)
		rec[18] = typ
		copy(rec[19:], name)
		out = append(out, rec...)
		d.pos = i + 1
	}
	return out, int64(len(out))
}

// seek is lseek on the listing: offsets are record indexes.
func (d *fdDir) seek(off int64, whence uint32) int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	switch whence {
	case 0:
	case 1:
		off += d.pos
	default:
		return -abi.EINVAL
	}
	if off < 0 {
		return -abi.EINVAL
	}
	d.pos = off
	return off
}

// Setting up the table.

// inheritedFDs returns the guest's first table for a gemu that starts a
// program: the descriptors it inherited that are not close-on-exec (a
// descriptor gemu or the Go runtime opened always is), at their numbers,
// which are then made close-on-exec on the host (the guest's flags are
// in the table). Standard input, output and error stay as they are.
func inheritedFDs() []fdSlot {
	fds, err := openFDs()
	if err != nil {
		fds = []int{0, 1, 2}
	}
	var s []fdSlot
	for _, fd := range fds {
		fl, _, e := syscall.RawSyscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_GETFD, 0)
		if e != 0 || fl&syscall.FD_CLOEXEC != 0 {
			continue
		}
		if fd > 2 {
			syscall.CloseOnExec(fd)
		}
		s = append(s, fdSlot{Guest: fd, Host: fd})
	}
	return s
}

// openFDs lists the host process's open descriptors (without the one it
// uses to read the list).
func openFDs() ([]int, error) {
	dfd, err := syscall.Open("/proc/self/fd", syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	defer syscall.Close(dfd)
	var fds []int
	buf := make([]byte, 8192)
	for {
		n, err := syscall.ReadDirent(dfd, buf)
		if err != nil {
			return nil, err
		}
		if n <= 0 {
			break
		}
		var names []string
		_, _, names = syscall.ParseDirent(buf[:n], -1, names)
		for _, name := range names {
			if fd, err := strconv.Atoi(name); err == nil && fd != dfd {
				fds = append(fds, fd)
			}
		}
	}
	slices.Sort(fds)
	return fds, nil
}

// encodeFDs renders slots as "GUEST:HOST:CLOEXEC:KIND,..." for an
// execve'd gemu (GEMU_FDS).
func encodeFDs(slots []fdSlot) string {
	var b strings.Builder
	for i, s := range slots {
		if i > 0 {
			b.WriteByte(',')
		}
		ce := 0
		if s.Cloexec {
			ce = 1
		}
		b.WriteString(strconv.Itoa(s.Guest) + ":" + strconv.Itoa(s.Host) + ":" + strconv.Itoa(ce) + ":" + strconv.Itoa(s.Kind))
	}
	return b.String()
}

// decodeFDs parses what encodeFDs wrote, keeping only the entries whose
// host descriptor is open; it reports false for anything else.
func decodeFDs(v string) ([]fdSlot, bool) {
	var slots []fdSlot
	for _, f := range strings.Split(v, ",") {
		if f == "" {
			continue
		}
		parts := strings.Split(f, ":")
		if len(parts) != 4 {
			return nil, false
		}
		var n [4]int
		for i, s := range parts {
			x, err := strconv.Atoi(s)
			if err != nil || x < 0 {
				return nil, false
			}
			n[i] = x
		}
		slots = append(slots, fdSlot{Guest: n[0], Host: n[1], Cloexec: n[2] != 0, Kind: n[3]})
	}
	return slots, true
}

// initFDs sets up the guest's descriptor table and RLIMIT_NOFILE when a
// program starts: from what an execve'd gemu inherited, else from the
// descriptors gemu itself inherited, else (no Inherited: tests) standard
// input, output and error. The limit is the one gemu started with
// (Inherited) or the host's.
func (p *Process) initFDs() {
	in := p.opts.Inherited
	var slots []fdSlot
	if in != nil && in.fdsSet {
		slots = in.fds
	} else {
		for fd := 0; fd <= 2; fd++ {
			slots = append(slots, fdSlot{Guest: fd, Host: fd})
		}
	}
	p.fds = fdTableFrom(slots)
	if _, ok := p.rlimits[rlimitNofile]; ok {
		return // kept across the execve
	}
	lim := [2]uint64{0, 0}
	if in != nil && in.nofile[1] != 0 {
		lim = in.nofile
	} else if cur, max, ok := hostNofile(); ok {
		lim = [2]uint64{cur, max}
	}
	if lim[1] != 0 {
		if p.rlimits == nil {
			p.rlimits = map[int][2]uint64{}
		}
		p.rlimits[rlimitNofile] = lim
	}
}

// hostNofile reads the host's RLIMIT_NOFILE.
func hostNofile() (cur, max uint64, ok bool) {
	var l syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l) != nil {
		return 0, 0, false
	}
	return l.Cur, l.Max, true
}

// raiseHostNofile raises gemu's own soft RLIMIT_NOFILE to its hard limit,
// so that the guest's descriptors and gemu's never run out before the
// guest's limit. It uses prlimit directly: syscall.Setrlimit would also
// stop the Go runtime from restoring the original soft limit in the
// processes gemu starts.
func raiseHostNofile() {
	var l [2]uint64
	if _, _, e := syscall.RawSyscall6(syscall.SYS_PRLIMIT64, 0, rlimitNofile, 0, uintptr(unsafe.Pointer(&l)), 0, 0); e != 0 {
		return
	}
	if l[0] < l[1] {
		l[0] = l[1]
		syscall.RawSyscall6(syscall.SYS_PRLIMIT64, 0, rlimitNofile, uintptr(unsafe.Pointer(&l)), 0, 0, 0)
	}
}

var nrOpenOnce sync.Once
var nrOpenVal uint64

// nrOpen is the kernel's fs.nr_open: no RLIMIT_NOFILE may exceed it.
func nrOpen() uint64 {
	nrOpenOnce.Do(func() {
		nrOpenVal = 1 << 20
		if b, err := os.ReadFile("/proc/sys/fs/nr_open"); err == nil {
			if v, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64); err == nil {
				nrOpenVal = v
			}
		}
	})
	return nrOpenVal
}

// mmapFD translates mmap's descriptor argument (ignored for an anonymous
// mapping) to the host descriptor, or to badHostFD. The descriptor is not
// held: mmap reads the file before it returns, and a shared mapping keeps
// its own duplicate.
func (p *Process) mmapFD(fd int64, flags uint64) int64 {
	if flags&abi.MAP_ANONYMOUS != 0 {
		return fd
	}
	if e, ok := p.fds.lookup(fd); ok {
		return int64(e.host)
	}
	return badHostFD
}

var capOnce sync.Once
var capResource bool

// capSysResource reports whether gemu has CAP_SYS_RESOURCE, which raising
// a hard resource limit needs (root in a container may lack it).
func capSysResource() bool {
	capOnce.Do(func() {
		b, err := os.ReadFile("/proc/self/status")
		if err != nil {
			capResource = os.Geteuid() == 0
			return
		}
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "CapEff:"); ok {
				c, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
				capResource = err == nil && c&(1<<24) != 0
			}
		}
	})
	return capResource
}

// isFdDir reports whether guest descriptor fd is an open /proc/self/fd
// (the listing of the guest's descriptors).
func (p *Process) isFdDir(fd int64) bool {
	e, ok := p.fds.lookup(fd)
	if !ok {
		return false
	}
	d, ok := e.file.(*fdDir)
	return ok && !d.info
}

// fdinfoOpen finishes the open of a guest's /proc/self/fdinfo/N (path s,
// host descriptor r): the host's file shows the host descriptor's flags,
// where O_CLOEXEC is always set; the guest gets a copy with the flag of
// its own descriptor N, served from an anonymous file at the same host
// descriptor. Other paths and errors pass through.
func (p *Process) fdinfoOpen(s string, r int64, flags uint64) int64 {
	dir, rest, ok := p.fdPathParts(s)
	if r < 0 || !ok || dir != "fdinfo" || flags&abi.O_PATH != 0 {
		return r
	}
	n, err := strconv.Atoi(rest)
	if err != nil {
		return r
	}
	e, ok := p.fds.lookup(int64(n))
	if !ok {
		return r
	}
	var content []byte
	b := hbuf(4096)
	for len(content) < 1<<16 {
		k := host(syscall.SYS_READ, uintptr(r), uintptr(ptr(b)), uintptr(len(b)))
		if k <= 0 {
			break
		}
		content = append(content, b[:k]...)
	}
	content = signalfdInfo(content, e.file)
	if fr := p.replaceWithMemfd(int(r), "fdinfo", fdinfoFlags(content, e.cloexec), flags); fr < 0 {
		host(syscall.SYS_CLOSE, uintptr(r))
		return fr
	}
	return r
}

// fdinfoFlags sets or clears O_CLOEXEC in the octal "flags:" line of an
// fdinfo file.
func fdinfoFlags(content []byte, cloexec bool) []byte {
	lines := strings.SplitAfter(string(content), "\n")
	for i, l := range lines {
		v, ok := strings.CutPrefix(l, "flags:\t")
		if !ok {
			continue
		}
		f, err := strconv.ParseUint(strings.TrimSpace(v), 8, 64)
		if err != nil {
			break
		}
		f &^= abi.O_CLOEXEC
		if cloexec {
			f |= abi.O_CLOEXEC
		}
		lines[i] = "flags:\t0" + strconv.FormatUint(f, 8) + "\n"
	}
	return []byte(strings.Join(lines, ""))
}

// Opening guest paths. The host resolves a path's symbolic links, and
// /proc/PID/fd/N is a "magic" link to host descriptor N: a guest's own
// link to it, a current directory inside /proc/self/fd or a descriptor
// path with more after it would reach gemu's descriptors. So guest paths
// are opened with openat2's RESOLVE_NO_MAGICLINKS, which fails with ELOOP
// on any magic link; only then does gemu resolve the path itself
// (resolveGuestPath), translating the descriptor links on the way, and
// open the result.

const (
	sysOpenat2          = 437
	resolveNoMagiclinks = 0x02
	// validOpenFlags are the flags openat2 accepts (openat ignores
	// others).
	validOpenFlags = 0x7fffc3
	oTmpfile       = 0x400000 | 0x10000 // O_TMPFILE (with O_DIRECTORY)
	oPath          = 0x200000
	oNofollow      = 0x20000
	maxSymlinks    = 40
)

var noOpenat2 atomic.Bool

// hostOpen opens guest path s (hpath on the host, after hostPath) relative
// to host directory descriptor dirfd, with the host descriptor
// close-on-exec.
func (p *Process) hostOpen(dirfd uintptr, s string, hpath []byte, flags, mode uint32) int64 {
	flags |= abi.O_CLOEXEC
	if !noOpenat2.Load() {
		how := hbuf(24)
		putLE64(how, uint64(flags&validOpenFlags))
		if flags&abi.O_CREAT != 0 || flags&oTmpfile == oTmpfile {
			putLE64(how[8:], uint64(mode&0o7777))
		}
		putLE64(how[16:], resolveNoMagiclinks)
		r := host(sysOpenat2, dirfd, uintptr(ptr(hpath)), uintptr(ptr(how)), 24)
		switch r {
		case -abi.ENOSYS, -abi.EPERM:
			noOpenat2.Store(true) // an old kernel, or a filter
		case -eLOOP:
			rp, e := p.resolveGuestPath(dirfd, s, flags&oNofollow != 0)
			if e != 0 {
				return e
			}
			hpath, dirfd = cstr(rp), atFDCWD
			if !strings.HasPrefix(rp, "/proc/") {
				// The resolved path has no magic link: if another
				// guest thread swapped one in since, it fails.
				return host(sysOpenat2, dirfd, uintptr(ptr(hpath)), uintptr(ptr(how)), 24)
			}
			// Under /proc, which the guest cannot change: a guest
			// descriptor's link or another magic link of its own
			// process (ns/net and the like), opened as they are.
		default:
			return r
		}
	}
	return host(syscall.SYS_OPENAT, dirfd, uintptr(ptr(hpath)), uintptr(flags), uintptr(mode))
}

const eLOOP = 40

// resolveGuestPath resolves guest path s relative to host directory
// descriptor dirfd as the kernel would, with the guest's descriptors for
// descriptor links: it returns a path without symbolic links but, as its
// last component, a link not to be followed (nofollow) or a guest
// descriptor's link (/proc/self/fd/H). Links to descriptors of gemu's own
// threads that are not the guest's name nothing (ENOENT).
func (p *Process) resolveGuestPath(dirfd uintptr, s string, nofollow bool) (string, int64) {
	cur := "/"
	if !strings.HasPrefix(s, "/") {
		var err error
		if dirfd == atFDCWD {
			cur, err = os.Getwd()
		} else {
			cur, err = os.Readlink("/proc/self/fd/" + strconv.Itoa(int(dirfd)))
		}
		if err != nil || !strings.HasPrefix(cur, "/") {
			return "", -abi.ENOENT
		}
	}
	comps := strings.Split(s, "/")
	links := 0
	for len(comps) > 0 {
		c := comps[0]
		comps = comps[1:]
		last := len(comps) == 0 || strings.Trim(strings.Join(comps, ""), "/") == ""
		switch c {
		case "", ".":
			continue
		case "..":
			cur = path.Dir(cur)
			continue
		}
		next := path.Join(cur, c)
		if dir, rest, ok := p.fdPathParts(next); ok && dir == "fd" {
			e, ok := p.fds.lookup(int64(atoiOr(rest, -1)))
			if !ok {
				return "", -abi.ENOENT
			}
			t, err := os.Readlink("/proc/self/fd/" + strconv.Itoa(e.host))
			if last || err != nil || !strings.HasPrefix(t, "/") {
				h := "/proc/self/fd/" + strconv.Itoa(e.host)
				if !last {
					h += "/" + strings.Join(comps, "/")
				}
				return h, 0
			}
			cur = t
			continue
		}
		if p.ownThreadFdLink(next) {
			return "", -abi.ENOENT
		}
		if p.isSelfExe(next) && !(last && nofollow) {
			// The guest's /proc/self/exe is the guest program, as its
			// literal spelling is (hostPath): a link to it leads there.
			if links++; links > maxSymlinks {
				return "", -eLOOP
			}
			cur = "/"
			comps = append(strings.Split(p.ExePath, "/"), comps...)
			continue
		}
		fi, err := os.Lstat(next)
		if err != nil || fi.Mode()&os.ModeSymlink == 0 || last && nofollow {
			cur = next
			continue
		}
		if links++; links > maxSymlinks {
			return "", -eLOOP
		}
		t, err := os.Readlink(next)
		if err != nil || t == "" {
			return "", -abi.ENOENT
		}
		if !strings.HasPrefix(t, "/") && strings.Contains(t, ":[") {
			// A magic link to something without a path (pipe:[...]):
			// the host opens it; nothing can follow it.
			if !last {
				return "", -abi.ENOTDIR
			}
			return next, 0
		}
		if strings.HasPrefix(t, "/") {
			cur = "/"
		}
		comps = append(strings.Split(t, "/"), comps...)
	}
	return cur, 0
}

// ownThreadFdLink reports whether p names a descriptor link or directory
// of one of gemu's own threads that is not a guest thread
// (/proc/N/fd/..., /proc/PID/task/N/fd/...).
func (p *Process) ownThreadFdLink(s string) bool {
	r, ok := strings.CutPrefix(s, "/proc/")
	if !ok {
		return false
	}
	parts := strings.Split(r, "/")
	n := atoiOr(parts[0], -1)
	if n < 0 || len(parts) < 2 {
		return false
	}
	if n == p.pid && parts[1] == "task" && len(parts) >= 4 {
		n, parts = atoiOr(parts[2], -1), parts[2:]
	}
	if n < 0 || p.isThread(int64(n)) || parts[1] != "fd" && parts[1] != "fdinfo" {
		return false
	}
	_, err := os.Stat("/proc/" + strconv.Itoa(p.pid) + "/task/" + strconv.Itoa(n))
	return err == nil
}

func atoiOr(s string, def int) int {
	n, err := strconv.Atoi(s)
	if err != nil || s == "" || s[0] == '+' || s[0] == '-' {
		return def
	}
	return n
}

// Path calls other than open (stat, truncate, chmod, chown, utimensat,
// access, the xattr calls, chdir, statfs, readlink, unlink, mkdir,
// rename, link, symlink) would let the host resolve the guest's path,
// magic links included. Checking the path first and then passing it on
// is not enough (another guest thread can swap a link in between), so the
// path is resolved once, the way opens are (hostOpen), into a host O_PATH
// descriptor, and the call acts on that descriptor: with AT_EMPTY_PATH,
// or through the name /proc/self/fd/K, which the kernel follows to exactly
// the file already resolved. Calls that act on a name in a directory
// resolve the directory that way and pass the last component, which these
// calls never follow, to their *at form.

// pathFD resolves guest path s relative to guest directory descriptor
// dirArg into a new host O_PATH descriptor (close-on-exec; the caller
// closes it), following a final symbolic link unless nofollow, with the
// guest's descriptors for descriptor links and the guest program for
// /proc/self/exe. It returns the descriptor or -errno, as the call on s
// would have failed.
func (t *Thread) pathFD(dirArg uint64, s string, nofollow bool) int64 {
	dirfd, hp, e := t.atPathString(dirArg, s)
	if e != 0 {
		return e
	}
	defer t.fput(dirfd)
	gs := s // the guest's path, for hostOpen's own resolution
	if s != "" && s[0] != '/' && t.isFdDir(sint(dirArg)) {
		gs = "/proc/self/fd/" + s
	}
	flags := uint32(oPath)
	if nofollow {
		flags |= oNofollow
		hp = t.exeLink(s, hp)
	}
	return t.hostOpen(dirfd, gs, hp, flags, 0)
}

// onPath runs call on the file guest path s (relative to dirArg) resolves
// to, given as host O_PATH descriptor k and as its name /proc/self/fd/k
// (NUL-terminated), and closes k after it.
func (t *Thread) onPath(dirArg uint64, s string, nofollow bool, call func(k uintptr, kpath []byte) int64) int64 {
	k := t.pathFD(dirArg, s, nofollow)
	if k < 0 {
		return k
	}
	defer host(syscall.SYS_CLOSE, uintptr(k))
	return call(uintptr(k), cstr("/proc/self/fd/"+strconv.FormatInt(k, 10)))
}

// onPathArg is onPath for the path argument at guest address addr.
func (t *Thread) onPathArg(dirArg, addr uint64, nofollow bool, call func(k uintptr, kpath []byte) int64) int64 {
	s, e := t.readPath(addr)
	if e != 0 {
		return e
	}
	return t.onPath(dirArg, s, nofollow, call)
}

// splitLast splits a path into its directory part and its last component
// (with the trailing slashes that follow it). A path without a last
// component ("" or only slashes) has ok false.
func splitLast(s string) (dir, last string, ok bool) {
	t := strings.TrimRight(s, "/")
	if t == "" {
		return "", "", false
	}
	i := strings.LastIndexByte(t, '/')
	if i < 0 {
		return ".", s, true
	}
	return s[:i+1], s[i+1:], true
}

// inDir runs call with a host directory descriptor d and a name in it
// (NUL-terminated) for the guest path at addr relative to guest directory
// dirArg: the path's directory resolved as by pathFD, its last component
// as the guest gave it. The calls that use it (unlink, rmdir, mkdir,
// rename, link's and symlink's new names) never follow that component, so
// the host resolves nothing the guest could redirect. A path without a
// last component ("", "/") resolves no link; it is passed on as it is.
func (t *Thread) inDir(dirArg, addr uint64, call func(d uintptr, name []byte) int64) int64 {
	s, e := t.readPath(addr)
	if e != 0 {
		return e
	}
	dir, last, ok := splitLast(s)
	if !ok {
		d := t.dirget(dirArg)
		defer t.fput(d)
		return call(d, cstr(s))
	}
	k := t.pathFD(dirArg, dir, false)
	if k < 0 {
		return k
	}
	defer host(syscall.SYS_CLOSE, uintptr(k))
	return call(uintptr(k), cstr(last))
}

// exeLink returns the host path for guest path s (hp after hostPath) when
// its last link is not followed: the guest's /proc/self/exe is then the
// link itself, as natively (lstat shows a link, O_NOFOLLOW fails with
// ELOOP), not the program hostPath names.
func (t *Thread) exeLink(s string, hp []byte) []byte {
	if t.isSelfExe(s) {
		return cstr(t.procPath(s))
	}
	return hp
}
