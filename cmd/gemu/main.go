// Command gemu runs a static i386 or x86-64 Linux program on an emulated
// CPU, translating its system calls to the host, like qemu-i386 and
// qemu-x86_64:
//
//	gemu [options] PROGRAM [ARGS...]
//
// Run "gemu -help" for the options.
//
//go:debug containermaxprocs=0
//go:debug updatemaxprocs=0
package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"sync"
	"syscall"

	"gemu/internal/engine"
	"gemu/internal/linux"
	"gemu/internal/logbuf"
	"gemu/internal/startsig"
	"gemu/internal/x86"
	"gemu/plugin"
	_ "gemu/plugin/builtin" // the built-in tracers: -plugin insn, ...
	_ "gemu/plugin/cplugin" // C plugins: -plugin file=PATH
)

// The guest's first thread runs on the main goroutine, locked to the
// process's main thread: C plugins are called on the same host thread for
// the whole run of a vCPU (their thread-local variables are per vCPU), and
// gettid there is the guest's (the process id), as in the threads gemu
// starts for the guest's other threads.
func init() { runtime.LockOSThread() }

func main() {
	// Guest memory and translated blocks are long-lived: collecting less
	// often trades some heap for less start-up and run time. GOGC, when
	// set, wins (tests set GOGC=1 to run the collector almost constantly).
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	profiling := os.Getenv("GEMU_CPUPROFILE") != ""
	stopProfile := startProfile()
	// A gemu started by another one (a forked child, or the program an
	// execve runs) takes over state from hidden environment variables,
	// which it removes before the guest can see them (sys_fork.go).
	inh := linux.TakeInherited()
	// gemu receives the signals sent to the guest from outside, with
	// their senders' details.
	linux.CatchSignals(profiling, startsig.Ignored())
	o, err := ParseArgs(os.Args[1:])
	if err != nil {
		fatal("%v", err)
	}
	switch {
	case o.Help:
		fmt.Print(Usage())
		os.Exit(0)
	case o.Version:
		fmt.Printf("gemu version %s\nan x86 user-mode emulator with instrumentation plugins\n", version)
		os.Exit(0)
	case o.DebugHelp:
		fmt.Print("Log items (comma separated):\n" + LogHelp())
		os.Exit(0)
	case o.Program == "":
		fatal("no program given (try -help)")
	}

	log, flush, logFD := openLog(o.LogFile, inh.LogFD)
	plugins := plugin.New() // loaded below, once the guest's architecture is known
	opts := linux.Options{
		Argv0:     o.Argv0,
		Env:       GuestEnv(os.Environ(), o.Env),
		Log:       log,
		Flush:     flush,
		Strace:    o.Strace,
		LogUnimp:  o.Unimp,
		LogFaults: o.LogAny,
		Observer:  plugins,
		OnExit:    func() { plugins.Exit(); stopProfile() },
		Relaunch:  relaunchArgs(o),
		LogFD:     logFD,
		Inherited: inh,
	}
	var p *linux.Process
	if inh.Forked() {
		p, err = linux.RestoreFork(inh, opts)
	} else {
		p, err = linux.New(o.Program, append([]string{o.Program}, o.Args...), opts)
	}
	if err != nil {
		flush()
		fatal("%v", err)
	}

	specs := make([]plugin.Spec, len(o.Plugins))
	for i, s := range o.Plugins {
		specs[i] = plugin.Spec{Name: s.Builtin, Path: s.Path, Args: s.Args}
	}
	t := p.MainThread()
	arch := "i386"
	if t.CPU.ProcMode == 64 {
		arch = "x86_64"
	}
	if err := plugins.Load(specs, log, arch); err != nil {
		flush()
		fatal("%v", err)
	}
	instr := plugins.Instrumenter()
	plugins.AttachCPU(t.CPU)
	t.ReportForkReturn() // a forked child's plugins see the fork return 0

	eopts := engine.Options{
		OneInsnPerTB: o.OneInsnPerTB,
		NoChain:      o.NoChain,
		Log:          log,
		LogInAsm:     o.InAsm,
		LogExec:      o.Exec,
		LogCPU:       o.CPU,
		LogUnimp:     o.Unimp,
		CountInsns:   plugins.CountInsns(),
	}
	e := engine.New(t.CPU, eopts, instr, linux.HandleFault)
	// Guest threads get engines like the first one's, their CPUs attached
	// to the plugins (called with the guest's lock held).
	p.SetEngineFactory(func(c *x86.CPU) linux.Runner {
		plugins.AttachCPU(c)
		return engine.New(c, eopts, instr, linux.HandleFault)
	}, plugins.DetachCPU)

	// Signals from outside go to the guest, which handles, ignores or
	// dies by them (or stops) as it would natively (a guest on the default
	// action ends the same way, after the exit callback and a flushed log).
	p.ForwardSignals(inh.Forked())
	// Other gemus' guests (its parent, its children) may read and write
	// this guest's memory, as the host kernel lets their processes.
	p.ServePeers()

	run(e, p, o.LogAny)
	p.Finish()
}

// run executes the guest; a Go panic inside gemu is reported as an
// internal error with the guest's pc (and the stack under -d).
func run(e *engine.Engine, p *linux.Process, verbose bool) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(os.Stderr, "gemu: internal error: %v at pc %#x\n", r, e.CurrentPC())
			if verbose {
				os.Stderr.Write(debug.Stack())
			}
			p.RunExitHooks()
			os.Exit(1)
		}
	}()
	e.Run()
}

// openLog opens the log destination: the file named by -D, the inherited
// descriptor of a parent gemu's -D file (inherited >= 0), or stderr. The
// log is buffered; the returned flush must run at every exit. It also
// returns the log file's descriptor, 0 for stderr.
func openLog(name string, inherited int) (io.Writer, func(), int) {
	var f *os.File = os.Stderr
	if inherited >= 0 {
		// The parent gemu's log, at the number it had there.
		syscall.CloseOnExec(inherited)
		f = os.NewFile(uintptr(inherited), "log")
	} else if name != "" {
		var err error
		// Any descriptor number will do: the guest's descriptors are
		// translated through its own table and never name gemu's.
		f, err = os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			fatal("cannot open log file: %v", err)
		}
	}
	// The buffer is where a C plugin's crash handler can write it out
	// (internal/logbuf); writes from several threads are serialized.
	w := logbuf.New(f, 64<<10)
	// A log that cannot be written (a full disk, -D /dev/full) is said
	// once, and the guest runs on without its log.
	w.SetErrorHandler(func(err error) {
		fmt.Fprintf(os.Stderr, "gemu: log lost: %v\n", err)
	})
	fd := 0
	if f != os.Stderr {
		fd = int(f.Fd())
	}
	return w, func() { w.Flush() }, fd
}

func fatal(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "gemu: "+format+"\n", args...)
	os.Exit(1)
}

// startProfile writes a CPU profile of gemu itself to the file named by
// GEMU_CPUPROFILE, for developers (it is how cmd/gemu/default.pgo, the
// profile the Go compiler optimizes gemu with, is made). The variable is
// removed from the environment so that neither the guest nor the gemu
// processes it forks see it. It returns the function that ends the profile.
//
// Profile with GODEBUG=asyncpreemptoff=1: otherwise about a quarter of the
// samples of a long guest run are charged to runtime.asyncPreempt instead
// of the code it interrupted (docs/RATIONALE.md).
func startProfile() func() {
	path := os.Getenv("GEMU_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	os.Unsetenv("GEMU_CPUPROFILE")
	f, err := os.Create(path)
	if err != nil {
		fatal("GEMU_CPUPROFILE: %v", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fatal("GEMU_CPUPROFILE: %v", err)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			pprof.StopCPUProfile()
			f.Close()
		})
	}
}
