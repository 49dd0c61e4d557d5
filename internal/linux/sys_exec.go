package linux

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"syscall"

	"gemu/internal/linux/abi"
)

// execve and execveat. The new program runs in a new gemu that replaces
// this one (syscall.Exec of /proc/self/exe): same pid, the guest's
// descriptor table without its close-on-exec entries (hidden variable
// GEMU_FDS; the host descriptors it names are the only ones of the
// guest's that are not close-on-exec on the host during the exec), same
// options (Options.Relaunch), the same -D log by descriptor, the guest's
// envp as its environment and the guest's argv[0] through -0. The kernel state that
// survives an execve travels in the hidden variable GEMU_EXEC_STATE: the
// signal mask, the ignored signals (handled ones go back to the default
// action), pending signals and the guest's own resource limits. Interval
// timers do not survive (Linux keeps ITIMER_REAL).
//
// Before that, the target is checked as the kernel does, so that a failed
// execve returns to the guest with the kernel's errno: ENOENT, EACCES
// (not a regular file, not executable), ENOEXEC (not a program gemu can
// run: a format other than #! and i386/x86-64 ELF as the loader accepts
// it), ELOOP (#! nesting too deep), and the errors of a dynamically linked
// program's interpreter (ENOENT...). A #! script runs its interpreter with
// the kernel's argv rewriting.
//
// Plugins end with the old program (their exit callbacks run, the log is
// flushed) and are loaded afresh in the new gemu.

func init() {
	reg(sysExecve, "execve")
	reg(sysExecveat, "execveat")
	if _, ok := straceSpec["execveat"]; !ok {
		straceSpec["execveat"] = "F,s,p,p,x"
	}
}

// atEmptyPath (sys_stat.go), atSymlinkNoFollow (sys_file.go) and
// abi.AT_FDCWD are execveat's flags and special directory.
const (
	// maxArgStrlen is Linux's MAX_ARG_STRLEN: the longest argument or
	// environment string, with its NUL.
	maxArgStrlen = 32 * pageSize
	// maxArgStrings is Linux's MAX_ARG_STRINGS.
	maxArgStrings = 0x7fffffff
	// binprmBufSize is how much of a file the kernel looks at to
	// recognize its format (BINPRM_BUF_SIZE): a #! line is cut there.
	binprmBufSize = 256
	// maxInterpDepth is how many #! interpreters may be nested, as
	// Linux's exec_binprm allows.
	maxInterpDepth = 5
)

func sysExecve(t *Thread, a *[6]uint64) int64 {
	return t.execve(abi.AT_FDCWD, a[0], a[1], a[2], 0)
}

func sysExecveat(t *Thread, a *[6]uint64) int64 {
	return t.execve(sint(a[0]), a[1], a[2], a[3], sint(a[4]))
}

// execDirFD translates execveat's directory descriptor to the host's for
// the /proc/self/fd paths execTarget builds: AT_FDCWD stays itself; a
// descriptor the guest does not have is EBADF when the path needs it.
func (p *Process) execDirFD(dirfd int64, path string) (int64, int64) {
	if dirfd == abi.AT_FDCWD {
		return dirfd, 0
	}
	e, ok := p.fds.lookup(dirfd)
	if !ok {
		if path != "" && path[0] == '/' {
			return abi.AT_FDCWD, 0
		}
		return 0, -abi.EBADF
	}
	return int64(e.host), 0
}

// execve runs the program named by pathAddr (relative to dirfd) with the
// guest's argument and environment arrays. It returns only on failure.
func (t *Thread) execve(dirfd int64, pathAddr, argvAddr, envpAddr uint64, flags int64) int64 {
	if flags&^(atEmptyPath|atSymlinkNoFollow) != 0 {
		return -abi.EINVAL
	}
	path, e := t.readPath(pathAddr)
	if e != 0 {
		return e
	}
	hdir, e := t.execDirFD(dirfd, path)
	if e != 0 {
		return e
	}
	file, name, e := t.execTarget(dirfd, hdir, path, flags)
	if e != 0 {
		return e
	}
	if path != "" {
		if file, e = t.execResolved(dirfd, path, file, flags&atSymlinkNoFollow != 0); e != 0 {
			return e
		}
	}
	if _, e := checkExecutable(file, flags&atSymlinkNoFollow != 0); e != 0 {
		return e
	}
	argv, e := t.readStringArray(argvAddr)
	if e != 0 {
		return e
	}
	envp, e := t.readStringArray(envpAddr)
	if e != 0 {
		return e
	}
	if len(argv) == 0 {
		// Linux runs a program given no arguments with one empty one.
		argv = []string{""}
	}
	prog, args, e := t.resolveExec(file, name, argv, 0)
	if e != 0 {
		return e
	}
	return t.execGemu(stablePath(prog), args, envp)
}

// execTarget returns the file to run for execveat's dirfd (the guest's
// number, and hdir, the host's), path and flags (a path gemu can open) and
// its name as the kernel gives it to a script's interpreter.
func (p *Process) execTarget(dirfd, hdir int64, path string, flags int64) (file, name string, e int64) {
	switch {
	case path == "" && flags&atEmptyPath != 0:
		if dirfd == abi.AT_FDCWD {
			return ".", ".", 0
		}
		n := strconv.FormatInt(dirfd, 10)
		file, name = "/proc/self/fd/"+strconv.FormatInt(hdir, 10), "/dev/fd/"+n
	case path == "":
		return "", "", -abi.ENOENT
	case path[0] == '/' || dirfd == abi.AT_FDCWD:
		file, name = p.fdPath(path), path
	case p.isFdDir(dirfd):
		// Relative to the guest's /proc/self/fd: a guest descriptor.
		n := strconv.FormatInt(dirfd, 10)
		file, name = p.fdPath("/proc/self/fd/"+path), "/dev/fd/"+n+"/"+path
	default:
		n := strconv.FormatInt(dirfd, 10)
		file, name = "/proc/self/fd/"+strconv.FormatInt(hdir, 10)+"/"+path, "/dev/fd/"+n+"/"+path
	}
	if p.isSelfExe(file) {
		file = p.ExePath
	}
	return file, name, 0
}

// execResolved resolves the guest's path as the path calls do (pathFD:
// the guest's descriptors for descriptor links, the guest program for
// /proc/self/exe) and returns the file to run: file, execTarget's
// spelling, when the host finds the same file through it (the new gemu
// names the program as the guest did), else the path of the file the
// guest's path resolved to (a guest's own link to /proc/self/fd/N or
// /proc/self/exe, which the host would have followed to gemu's files).
// The new gemu opens the program by name again: a link swapped in after
// this check is not caught.
func (t *Thread) execResolved(dirfd int64, path, file string, nofollow bool) (string, int64) {
	k := t.pathFD(uint64(dirfd), path, nofollow)
	if k < 0 {
		return "", k
	}
	defer host(syscall.SYS_CLOSE, uintptr(k))
	kfile := "/proc/self/fd/" + strconv.FormatInt(k, 10)
	kst, err := os.Stat(kfile)
	if err != nil {
		return "", errno(err)
	}
	if nofollow {
		if lst, err := os.Lstat(file); err == nil && os.SameFile(kst, lst) {
			return file, 0 // a symbolic link: checkExecutable's ELOOP
		}
	} else if st, err := os.Stat(file); err == nil && os.SameFile(kst, st) {
		return file, 0
	}
	if f := stablePath(kfile); f != kfile {
		return f, 0
	}
	// A file without a name to run it by (deleted); k is closed on
	// return, so its /proc/self/fd name cannot be used.
	return "", -abi.ENOENT
}

// stablePath turns a path through /proc/self/fd, which the new gemu could
// not open if the descriptor is close-on-exec (fexecve), into the path of
// the file it names, when that is known.
func stablePath(file string) string {
	rest, ok := strings.CutPrefix(file, "/proc/self/fd/")
	if !ok {
		return file
	}
	n, tail, _ := strings.Cut(rest, "/")
	target, err := os.Readlink("/proc/self/fd/" + n)
	if err != nil || !strings.HasPrefix(target, "/") || strings.HasSuffix(target, " (deleted)") {
		return file
	}
	if tail != "" {
		target += "/" + tail
	}
	if _, err := os.Stat(target); err != nil {
		return file
	}
	return target
}

// readStringArray reads a NULL-terminated array of string pointers (argv,
// envp); a null array is empty.
func (t *Thread) readStringArray(addr uint64) ([]string, int64) {
	var out []string
	if addr == 0 {
		return nil, 0
	}
	for i := uint64(0); ; i++ {
		if i >= maxArgStrings {
			return nil, -int64(syscall.E2BIG)
		}
		ptr, e := t.readLong(addr + i*uint64(t.w))
		if e != 0 {
			return nil, e
		}
		if ptr == 0 {
			return out, 0
		}
		s, err := t.Mem.ReadString(ptr, maxArgStrlen)
		if err != nil {
			return nil, -abi.EFAULT
		}
		if len(s) >= maxArgStrlen {
			return nil, -int64(syscall.E2BIG)
		}
		out = append(out, s)
	}
}

// checkExecutable checks that file may be executed as the kernel's
// do_open_execat does and returns the first bytes of its contents
// (binprmBufSize, zero-padded like the kernel's buffer).
func checkExecutable(file string, nofollow bool) ([]byte, int64) {
	var st syscall.Stat_t
	stat := syscall.Stat
	if nofollow {
		stat = syscall.Lstat
	}
	if err := stat(file, &st); err != nil {
		return nil, errno(err)
	}
	if nofollow && st.Mode&syscall.S_IFMT == syscall.S_IFLNK {
		return nil, -int64(syscall.ELOOP)
	}
	if st.Mode&syscall.S_IFMT != syscall.S_IFREG {
		return nil, -abi.EACCES
	}
	if err := syscall.Access(file, 1 /* X_OK */); err != nil {
		return nil, errno(err)
	}
	fd, err := syscall.Open(file, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, errno(err)
	}
	defer syscall.Close(fd)
	buf := make([]byte, binprmBufSize)
	for n := 0; n < len(buf); {
		r, err := syscall.Read(fd, buf[n:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return nil, errno(err)
		}
		if r == 0 {
			break
		}
		n += r
	}
	return buf, 0
}

// resolveExec finds the program that runs file and its arguments: file
// itself if it is an ELF executable gemu runs, or, for a #! script, its
// interpreter (itself resolved, up to maxInterpDepth levels) with the
// arguments [interpreter, optional argument, name, argv[1:]...].
func (p *Process) resolveExec(file, name string, argv []string, depth int) (string, []string, int64) {
	if depth > maxInterpDepth {
		return "", nil, -int64(syscall.ELOOP)
	}
	buf, e := checkExecutable(file, false)
	if e != 0 {
		return "", nil, e
	}
	if buf[0] == '#' && buf[1] == '!' {
		interp, arg, ok := parseShebang(buf)
		if !ok {
			return "", nil, -int64(syscall.ENOEXEC)
		}
		args := []string{interp}
		if arg != "" {
			args = append(args, arg)
		}
		args = append(args, name)
		if len(argv) > 1 {
			args = append(args, argv[1:]...)
		}
		return p.resolveExec(interp, interp, args, depth+1)
	}
	if !bytes.HasPrefix(buf, []byte("\x7fELF")) {
		p.unimpf("execve %s: not an executable format gemu runs\n", file)
		return "", nil, -int64(syscall.ENOEXEC)
	}
	interp, msg := checkELFFile(file)
	if msg == msgEmptyInterp {
		// Linux opens the empty interpreter name as the current
		// directory, which is not a regular file.
		return "", nil, -int64(syscall.EACCES)
	}
	if msg != "" {
		p.unimpf("execve %s: %s\n", file, msg)
		return "", nil, -int64(syscall.ENOEXEC)
	}
	if interp != "" {
		// The kernel opens the program interpreter too: its errors are
		// execve's.
		if _, e := checkExecutable(interp, false); e != 0 {
			return "", nil, e
		}
	}
	return file, argv, 0
}

// checkELFFile validates an ELF file as the loader would, without loading
// it, and returns its program interpreter (PT_INTERP, "" if none) or why
// gemu cannot run it.
func checkELFFile(file string) (interp, msg string) {
	fd, err := syscall.Open(file, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return "", err.Error()
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return "", err.Error()
	}
	if st.Size <= 0 {
		return "", "empty file"
	}
	data, err := syscall.Mmap(fd, 0, int(st.Size), syscall.PROT_READ, syscall.MAP_PRIVATE)
	if err != nil {
		return "", err.Error()
	}
	defer syscall.Munmap(data)
	info, msg := parseELF(data)
	if msg != "" {
		return "", msg
	}
	return info.interp, ""
}

// parseShebang parses a "#!" line the way Linux's binfmt_script does from
// the first binprmBufSize bytes of a file: the interpreter is the first
// word, the optional argument everything after it up to the end of the
// line with the surrounding blanks removed (one argument, blanks
// included). A line cut by the buffer's end is accepted only if the
// interpreter's name is complete.
func parseShebang(b []byte) (interp, arg string, ok bool) {
	var buf [binprmBufSize]byte
	copy(buf[:], b)
	spacetab := func(c byte) bool { return c == ' ' || c == '\t' }
	nextNonSpacetab := func(i, end int) int {
		for ; i < end; i++ {
			if !spacetab(buf[i]) {
				return i
			}
		}
		return -1
	}
	nextTerminator := func(i, end int) int {
		for ; i < end; i++ {
			if spacetab(buf[i]) || buf[i] == 0 {
				return i
			}
		}
		return -1
	}
	bufEnd := binprmBufSize - 1
	iEnd := -1
	for i := 0; i < binprmBufSize && buf[i] != 0; i++ {
		if buf[i] == '\n' {
			iEnd = i
			break
		}
	}
	if iEnd < 0 {
		iEnd = nextNonSpacetab(2, bufEnd)
		if iEnd < 0 || nextTerminator(iEnd, bufEnd) < 0 {
			return "", "", false
		}
		iEnd = bufEnd
	}
	for iEnd > 2 && spacetab(buf[iEnd-1]) {
		iEnd--
	}
	iName := nextNonSpacetab(2, iEnd)
	if iName < 0 || iName == iEnd {
		return "", "", false
	}
	iSep := nextTerminator(iName, iEnd)
	iArg := -1
	if iSep >= 0 && buf[iSep] != 0 {
		iArg = nextNonSpacetab(iSep, iEnd)
	}
	nameEnd := iEnd
	if iSep >= 0 {
		nameEnd = iSep
	}
	cut := func(from, to int) string {
		if i := bytes.IndexByte(buf[from:to], 0); i >= 0 {
			to = from + i
		}
		return string(buf[from:to])
	}
	interp = cut(iName, nameEnd)
	if iArg >= 0 {
		arg = cut(iArg, iEnd)
	}
	return interp, arg, true
}

// execGemu replaces this gemu with one that runs prog with argv and envp.
// It returns only if the host's execve fails.
func (t *Thread) execGemu(prog string, argv, envp []string) int64 {
	gargv := append([]string{os.Args[0]}, t.opts.Relaunch...)
	if argv[0] != "" {
		gargv = append(gargv, "-0", argv[0])
	}
	gargv = append(gargv, "--", prog)
	gargv = append(gargv, argv[1:]...)

	t.mergeAsync()
	// The guest's variables never pass for gemu's hidden ones.
	var env []string
	for _, v := range envp {
		if !hiddenVar(v) {
			env = append(env, v)
		}
	}
	env = append(env, envExecState+"="+t.execState().encode())
	// The guest's descriptors without the close-on-exec ones; their host
	// descriptors lose the host's close-on-exec flag for the exec (and
	// get it back if it fails). The others' are closed by the host.
	var kept []fdSlot
	var open []int
	for _, s := range t.fds.snapshot() {
		if !s.Cloexec {
			kept = append(kept, s)
			if s.Host > 2 {
				open = append(open, s.Host)
			}
		}
	}
	env = append(env, envFDs+"="+encodeFDs(kept))
	logFD := t.opts.LogFD
	if logFD > 0 {
		env = append(env, envLogFD+"="+strconv.Itoa(logFD))
		open = append(open, logFD)
	}
	for _, h := range open {
		syscall.RawSyscall(syscall.SYS_FCNTL, uintptr(h), syscall.F_SETFD, 0)
	}
	if t.opts.Strace {
		t.logf(" = 0\n")
	}
	// The other threads end here, as the kernel's de_thread ends them:
	// none runs while the exit hooks read the counters.
	t.stopOthers()
	t.RunExitHooks()
	undo := secureExec(prog)
	err := syscall.Exec("/proc/self/exe", gargv, env)
	undo()
	for _, h := range open {
		syscall.RawSyscall(syscall.SYS_FCNTL, uintptr(h), syscall.F_SETFD, syscall.FD_CLOEXEC)
	}
	t.unimpf("execve %s: the host refused to start gemu: %v\n", prog, err)
	return errno(err)
}

// execState is the kernel state an execve keeps.
type execState struct {
	mask, ignored, pending uint64
	rlimits                map[int][2]uint64
}

func (t *Thread) execState() execState {
	st := execState{mask: t.mask, pending: t.pendingHere(), rlimits: t.rlimits}
	for sig := 1; sig < abi.NSIG; sig++ {
		if t.sig.act[sig].Handler == abi.SIG_IGN {
			st.ignored |= sigBit(sig)
		}
	}
	return st
}

// encode renders the state as "mask=HEX;ign=HEX;pend=HEX;rl=RES:CUR:MAX,...".
func (s execState) encode() string {
	var b strings.Builder
	b.WriteString("mask=" + strconv.FormatUint(s.mask, 16))
	b.WriteString(";ign=" + strconv.FormatUint(s.ignored, 16))
	b.WriteString(";pend=" + strconv.FormatUint(s.pending, 16))
	b.WriteString(";rl=")
	first := true
	for res, v := range s.rlimits {
		if !first {
			b.WriteByte(',')
		}
		first = false
		b.WriteString(strconv.Itoa(res) + ":" + strconv.FormatUint(v[0], 16) + ":" + strconv.FormatUint(v[1], 16))
	}
	return b.String()
}

// decodeExecState parses what encode wrote; it reports false for anything
// else.
func decodeExecState(s string) (execState, bool) {
	var st execState
	seen := 0
	for _, kv := range strings.Split(s, ";") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return execState{}, false
		}
		var err error
		switch k {
		case "mask":
			st.mask, err = strconv.ParseUint(v, 16, 64)
		case "ign":
			st.ignored, err = strconv.ParseUint(v, 16, 64)
		case "pend":
			st.pending, err = strconv.ParseUint(v, 16, 64)
		case "rl":
			for _, r := range strings.Split(v, ",") {
				if r == "" {
					continue
				}
				f := strings.Split(r, ":")
				if len(f) != 3 {
					return execState{}, false
				}
				res, err1 := strconv.Atoi(f[0])
				cur, err2 := strconv.ParseUint(f[1], 16, 64)
				max, err3 := strconv.ParseUint(f[2], 16, 64)
				if err1 != nil || err2 != nil || err3 != nil {
					return execState{}, false
				}
				if st.rlimits == nil {
					st.rlimits = map[int][2]uint64{}
				}
				st.rlimits[res] = [2]uint64{cur, max}
			}
		default:
			return execState{}, false
		}
		if err != nil {
			return execState{}, false
		}
		seen++
	}
	return st, seen == 4
}

// Inherited is what a gemu started by another gemu takes over from it:
// a forked child's state, the log to append to, the kernel state kept
// across an execve. It arrives in hidden environment variables.
type Inherited struct {
	// ForkFD is the descriptor of a forked child's state (RestoreFork),
	// or -1 for a gemu that starts a program.
	ForkFD int
	// LogFD is the descriptor of the -D log to append to, or -1.
	LogFD int

	exec *execState
	// fds is the guest's first descriptor table, when fdsSet: an
	// execve'd gemu's from GEMU_FDS, else the descriptors gemu inherited
	// (a forked child's comes with its state).
	fds    []fdSlot
	fdsSet bool
	// nofile is RLIMIT_NOFILE as gemu started with it.
	nofile [2]uint64
}

// hiddenVar reports whether an environment entry is one of the variables
// through which gemus hand state to each other.
func hiddenVar(v string) bool {
	name, _, _ := strings.Cut(v, "=")
	switch name {
	case envForkChild, envLogFD, envExecState, envFDs:
		return true
	}
	return false
}

// TakeInherited reads and removes from the environment the hidden
// variables a parent gemu sets (so the guest never sees them). Call it
// first thing in main, before gemu opens a file: the descriptors open
// then that are not close-on-exec are the guest's (inheritedFDs). It then
// raises gemu's own soft RLIMIT_NOFILE to the hard limit; the guest keeps
// the limits gemu started with.
func TakeInherited() *Inherited {
	in := &Inherited{ForkFD: -1, LogFD: -1}
	if cur, max, ok := hostNofile(); ok {
		in.nofile = [2]uint64{cur, max}
	}
	fd := func(name string) int {
		v, ok := os.LookupEnv(name)
		if !ok {
			return -1
		}
		os.Unsetenv(name)
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return -1
		}
		return n
	}
	in.ForkFD = fd(envForkChild)
	in.LogFD = fd(envLogFD)
	if v, ok := os.LookupEnv(envExecState); ok {
		os.Unsetenv(envExecState)
		if st, ok := decodeExecState(v); ok {
			in.exec = &st
		}
	}
	v, execd := os.LookupEnv(envFDs)
	os.Unsetenv(envFDs)
	switch {
	case in.ForkFD >= 0:
		// The table comes with the fork state.
	case execd:
		if s, ok := decodeFDs(v); ok {
			in.fds, in.fdsSet = s, true
			for _, sl := range s {
				if sl.Host > 2 {
					syscall.CloseOnExec(sl.Host)
				}
			}
		}
	default:
		in.fds, in.fdsSet = inheritedFDs(), true
	}
	raiseHostNofile()
	return in
}

// Forked reports whether this gemu is a forked child (see RestoreFork).
func (in *Inherited) Forked() bool { return in != nil && in.ForkFD >= 0 }

// applyInherited applies the state kept across the execve that started
// this gemu: mask, ignored and pending signals, resource limits. Such a
// process may have children from before the execve: their SIGCHLD is
// forwarded.
func (t *Thread) applyInherited() {
	in := t.opts.Inherited
	if in == nil || in.exec == nil {
		return
	}
	st := in.exec
	t.setMask(st.mask)
	for sig := 1; sig < abi.NSIG; sig++ {
		if st.ignored&sigBit(sig) != 0 && sig != abi.SIGKILL && sig != abi.SIGSTOP {
			t.sig.act[sig].Handler = abi.SIG_IGN
		}
	}
	for sig := 1; sig < abi.NSIG; sig++ {
		if st.pending&sigBit(sig) != 0 {
			t.queueSignal(newSigInfo(sig, siUser))
		}
	}
	if len(st.rlimits) > 0 {
		t.rlimits = st.rlimits
	}
	t.watchChildren()
}
