// Package linux is gemu's Linux user-mode layer: it loads a static i386 or
// x86-64 ELF executable into a fresh guest address space, builds the
// initial stack and the vDSO as Linux does, and serves the guest's system
// calls (reached through SYSCALL, SYSENTER and INT 0x80) by translating
// them to the host's, with ABI structures converted for i386 guests.
package linux

import (
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"

	"gemu/internal/linux/abi"
	"gemu/internal/mem"
	"gemu/internal/x86"
)

// SyscallObserver watches the guest's system calls, for instrumentation
// plugins: SyscallEntry runs before the call with its number and six raw
// arguments, SyscallExit after it with the result (a negative errno on
// failure). exit and exit_group have no SyscallExit.
type SyscallObserver interface {
	SyscallEntry(c *x86.CPU, num uint64, args [6]uint64)
	SyscallExit(c *x86.CPU, num uint64, ret int64)
}

// Options configure a guest process.
type Options struct {
	// Argv0, if not empty, replaces argv[0] (QEMU's -0).
	Argv0 string
	// Env is the guest's environment (NAME=value strings).
	Env []string
	// Log receives -d and -strace output; nil discards it.
	Log io.Writer
	// Strace logs every system call (QEMU's -strace).
	Strace bool
	// LogUnimp logs unsupported system calls and features (-d unimp).
	LogUnimp bool
	// LogFaults logs the fatal signal that ends the guest (any -d item).
	LogFaults bool
	// Observer, if set, is told about every system call.
	Observer SyscallObserver
	// OnExit runs once when the guest ends in any way (exit or fatal
	// signal), before the log is flushed.
	OnExit func()
	// Flush flushes Log; it runs after OnExit on every exit path.
	Flush func()
	// MaxImage bounds the executable's total segment size (0: default).
	MaxImage uint64
	// Random is the source of the AT_RANDOM bytes (nil: crypto/rand).
	Random io.Reader
	// Relaunch are the gemu options (tracing, -d items, plugins...) that
	// the gemu of a forked child or of an execve'd program runs with: all
	// but -D, -E, -U, -0, the program and its arguments (sys_fork.go).
	Relaunch []string
	// LogFD is the descriptor of the -D log file, which forked children
	// and execve'd programs append to; 0 if the log is stderr or nil.
	LogFD int
	// Inherited is the state a gemu started by execve takes over from the
	// gemu before it (TakeInherited), or nil.
	Inherited *Inherited
}

// Process is one guest process: its address space and the kernel state
// gemu keeps for it that its threads share. Each thread's own state is its
// Thread's; the first thread's exists from New on (MainThread).
type Process struct {
	opts Options

	// Path is the program as named on the command line; ExePath its
	// absolute path, what /proc/self/exe names.
	Path, ExePath string
	Image         *Image
	Layout        Layout
	Stack         StackInfo
	Mem           *mem.Space

	// main is the process's first thread.
	main *Thread
	pid  int

	brkStart, brk uint64

	// sig is the process's signal state: dispositions, pending signals,
	// timers (signal_deliver.go); each thread has its own mask and
	// alternate stack.
	sig signalState

	rlimits  map[int][2]uint64   // the guest's own data, stack and as limits
	commName string              // prctl(PR_SET_NAME)
	dirs     map[int]*dirCookies // i386 directory offset cookies by fd
	bus      busSet              // file-mapping pages beyond the file's end
	peers    peers               // channels to other gemus (peer.go)
	// peerWriting counts the peer gemus writing the guest's memory
	// (peerWrite).
	peerWriting atomic.Int32
	shared      []*sharedMap // MAP_SHARED file mappings
	shm         []*shmAttach // System V shared memory attachments (sys_shm.go)

	exitOnce sync.Once
	termSig  int // the signal that killed the guest, or 0
	exitCode int

	// mt are the threads, once the guest created one (threads.go).
	mt *threadGroup
	// newEngine makes a new thread's engine (SetEngineFactory).
	newEngine func(c *x86.CPU) Runner
	// endThread lets go of what was attached to an ended thread's CPU
	// (SetEngineFactory).
	endThread func(c *x86.CPU)
	fork      forkState // descriptors and children (sys_fork.go)
	proc      ProcState // what /proc/self shows the guest (procfs.go)
	// fds is the guest's descriptor table (fdtable.go), shared by its
	// threads.
	fds *fdTable
}

// hwcap is AT_HWCAP, which Linux sets to CPUID leaf 1 EDX: the same
// feature bits gemu's CPUID instruction reports.
var hwcap = uint64(x86.CPUIDHWCap())

// minSigStackSize is AT_MINSIGSTKSZ: the size of a signal frame with the
// FPU state gemu saves (legacy FXSAVE area).
const minSigStackSize = 2048

// New loads the executable at path and prepares a process that will run it
// with the given arguments (args[0] is argv[0]; Options.Argv0 overrides
// it). Errors are *LoadError for problems with the file.
func New(path string, args []string, opts Options) (*Process, error) {
	data, err := ReadExecutable(path)
	if err != nil {
		return nil, err
	}
	return NewFromImage(path, data, args, opts)
}

// NewFromImage is New with the executable's contents already read.
func NewFromImage(path string, data []byte, args []string, opts Options) (*Process, error) {
	m, img, err := LoadELF(path, data, opts.MaxImage)
	if err != nil {
		return nil, err
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	p := &Process{opts: opts, Path: path, ExePath: abs, Image: img, Mem: m, pid: os.Getpid()}
	p.Layout = LayoutFor(img.Mode)
	t := p.newMainThread(x86.New(img.Mode, m))
	p.brkStart, p.brk = img.BrkStart, img.BrkStart
	p.noteExe(data)

	start, interpBase := img.Entry, uint64(0)
	if img.Interp != "" {
		// A dynamically linked program starts in its interpreter, mapped
		// below the mmap base like the libraries it will load.
		base, entry, err := LoadInterp(m, img.Mode, img.Interp, mmapBottom, p.Layout.MmapTop)
		if err != nil {
			return nil, &LoadError{path, err.Error()}
		}
		start, interpBase = entry, base
		p.noteInterp(img.Interp, base)
	}

	vdso := buildVDSO(img.Mode)
	if err := m.Map(p.Layout.VDSO, pageSize, mem.Read|mem.Exec); err != nil {
		return nil, &LoadError{path, "cannot map the vDSO: " + err.Error()}
	}
	m.Poke(p.Layout.VDSO, vdso)

	argv := append([]string{}, args...)
	if len(argv) == 0 {
		argv = []string{path}
	}
	if opts.Argv0 != "" {
		argv[0] = opts.Argv0
	}
	sa := &stackArgs{mode: img.Mode, top: p.Layout.StackTop, argv: argv, envp: opts.Env, execfn: path}
	rnd := opts.Random
	if rnd == nil {
		rnd = rand.Reader
	}
	if _, err := io.ReadFull(rnd, sa.random[:]); err != nil {
		return nil, fmt.Errorf("cannot read random bytes: %v", err)
	}
	uid, euid, gid, egid := uint64(os.Getuid()), uint64(os.Geteuid()), uint64(os.Getgid()), uint64(os.Getegid())
	if img.Mode == 32 {
		sa.auxv = append(sa.auxv, AuxEntry{abi.AT_SYSINFO, p.Layout.VDSO + vdsoCodeOff})
	}
	sa.auxv = append(sa.auxv,
		AuxEntry{abi.AT_SYSINFO_EHDR, p.Layout.VDSO},
		AuxEntry{abi.AT_MINSIGSTKSZ, minSigStackSize},
		AuxEntry{abi.AT_HWCAP, hwcap},
		AuxEntry{abi.AT_PAGESZ, pageSize},
		AuxEntry{abi.AT_CLKTCK, 100},
		AuxEntry{abi.AT_PHDR, img.Phdr},
		AuxEntry{abi.AT_PHENT, img.Phent},
		AuxEntry{abi.AT_PHNUM, img.Phnum},
		AuxEntry{abi.AT_BASE, interpBase},
		AuxEntry{abi.AT_FLAGS, 0},
		AuxEntry{abi.AT_ENTRY, img.Entry},
		AuxEntry{abi.AT_UID, uid},
		AuxEntry{abi.AT_EUID, euid},
		AuxEntry{abi.AT_GID, gid},
		AuxEntry{abi.AT_EGID, egid},
		AuxEntry{abi.AT_SECURE, 0},
	)
	sa.auxTail = []AuxEntry{{abi.AT_HWCAP2, 0}}
	si, err := buildStack(m, sa)
	if err != nil {
		return nil, &LoadError{path, err.Error()}
	}
	p.Stack = si
	t.saveAuxv()

	t.CPU.RIP = start
	t.CPU.R[x86.RSP] = si.SP
	p.initFDs()
	t.applyInherited()
	return p, nil
}

// newMainThread makes the process's first thread, running on CPU c. It
// gives c the process's cr3 (a new process, a forked child and an execve
// all come here; threads copy it from their creator).
func (p *Process) newMainThread(c *x86.CPU) *Thread {
	t := &Thread{Process: p, CPU: c, w: abi.Words(c.Mode / 8), sys: abiFor(c.Mode), main: true,
		sigs: threadSignals{wake: make(chan struct{}, 1)}}
	c.Sys = t
	c.CR3 = x86.UserCR3(c.ProcMode, p.pid)
	p.main = t
	return t
}

// MainThread is the process's first thread, the one cmd/gemu runs.
func (p *Process) MainThread() *Thread { return p.main }

// logf writes a line to the log.
func (p *Process) logf(format string, args ...any) {
	fmt.Fprintf(p.opts.Log, format, args...)
}

// unimpf logs under -d unimp.
func (p *Process) unimpf(format string, args ...any) {
	if p.opts.LogUnimp {
		p.logf(format, args...)
	}
}

// exit ends the guest normally with status code, from thread t.
func (t *Thread) exit(code int) {
	t.exitCode = code & 0xff
	t.CPU.Exited = true
	t.CPU.Stop.Store(true)
	t.stopOthers()
}

// ExitStatus reports how the guest ended: its exit status, or the signal
// that terminated it (nonzero sig).
func (p *Process) ExitStatus() (code, sig int) { return p.exitCode, p.termSig }

// Finish ends gemu the way the guest ended: it runs the exit callback,
// flushes the log, then exits with the guest's status or terminates gemu
// itself by the guest's fatal signal, so that the parent sees the same
// termination. It does not return.
//
// It is for cmd/gemu, on the process's first thread: if another thread
// ended that one (stopOthers) it is finishing the process itself, and
// Finish waits for it.
func (p *Process) Finish() {
	if p.main != nil && p.main.killed.Load() {
		select {}
	}
	p.finish()
}

// finish is Finish on the thread that ends the process.
func (p *Process) finish() {
	p.RunExitHooks()
	if p.termSig != 0 {
		DieBySignal(p.termSig)
	}
	os.Exit(p.exitCode)
}

// RunExitHooks runs OnExit and flushes the log, once.
func (p *Process) RunExitHooks() {
	p.exitOnce.Do(func() {
		if p.opts.OnExit != nil {
			p.opts.OnExit()
		}
		if p.opts.Flush != nil {
			p.opts.Flush()
		}
	})
}

// Flush flushes the log, if the options gave a way to.
func (p *Process) flushLog() {
	if p.opts.Flush != nil {
		p.opts.Flush()
	}
}

// abiFor returns the system call table of a guest mode.
func abiFor(mode int) *sysABI {
	buildTables()
	if mode == 32 {
		return &abi32
	}
	return &abi64
}

// errno converts a host error into a negative errno result.
func errno(err error) int64 {
	if err == nil {
		return 0
	}
	if en, ok := err.(syscall.Errno); ok {
		return -int64(en)
	}
	if f, ok := err.(*mem.Fault); ok && f != nil {
		return -abi.EFAULT
	}
	return -abi.EIO
}
