package linux

import (
	"bufio"
	"bytes"
	"debug/elf"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"syscall"

	"gemu/internal/linux/abi"
	"gemu/internal/mem"
	"gemu/internal/x86"
)

// Processes: fork, vfork and clone without shared memory.
//
// gemu is a Go program and cannot fork itself: the child would hold only
// the forking thread of the Go runtime, which can then deadlock. A fork
// starts a new gemu instead (/proc/self/exe, a real child process of this
// one, so wait4, getppid, process groups and sessions behave as after a
// fork) and hands it the guest:
//
//   - the guest's descriptor table (fdtable.go): the host descriptors it
//     names, at the same host numbers, through syscall.ForkExec's
//     descriptor map, and the table itself (guest number, host number,
//     the guest's close-on-exec flag) in the state; the child makes the
//     host descriptors close-on-exec again (the map clears the flag);
//   - a state file (a memfd, or an unlinked temporary file) whose number is
//     in the hidden environment variable GEMU_FORK_CHILD: the CPU, the
//     kernel state of the Process (brk, signal dispositions, mask and
//     alternate stack, limits, shared file mappings...) and the address
//     space (mem.Space.Snapshot), see writeForkState;
//   - the executable, open: the pages that still hold what the loader put
//     there from the file (code, read-only data) are not in the state
//     file; the child maps them privately from the file, checked
//     unchanged (imageFile), and gets the others' contents;
//   - the -D log's descriptor (GEMU_LOG_FD), which the child appends to, and
//     the options of this gemu (Options.Relaunch: -strace, -d, plugins).
//
// The child then continues the guest where the parent was, with 0 as the
// result of the system call (readForkState, RestoreFork). Plugins are loaded
// again in the child: their state is not shared with the parent's
// instance, each instance sees its own process's events and exit, and the
// child's instance sees the fork's return of 0 first (ReportForkReturn).
//
// Measured on a 2-CPU VM, a fork of busybox sh costs its parent 0.9 ms
// (median; 1.5 ms for the first, which maps the executable), and the
// child runs guest code 3.2 ms after the fork: 2.4 ms to start a gemu
// process, 0.8 ms to restore the state (56 KB of it, the rest of the
// 2 MB guest being the executable's pages). A whole fork, exit and wait4
// of a busybox sh subshell takes 8.8 ms (0.2 ms natively).
//
// vfork (and clone with CLONE_VM|CLONE_VFORK, as posix_spawn does) is a
// fork whose parent waits until the child has called execve or exited, as
// Linux's does; the memory is copied, not shared, so a value the child
// stores before execve (posix_spawn's report of a failed execve) is not
// seen by the parent. Threads (CLONE_THREAD) are goroutines of this gemu
// (threads.go); other shared-memory clones return ENOSYS. Shared file mappings stay shared through their
// file (both processes keep their copy coherent with it at system calls);
// shared anonymous mappings are copied like the rest.

func init() {
	reg(sysFork, "fork")
	reg(sysVfork, "vfork")
	reg(sysClone, "clone")
	reg(sysClone3, "clone3")
	for name, spec := range map[string]string{
		"fork": "", "vfork": "", "clone": "x,p,p,p,p", "clone3": "p,u",
	} {
		if _, ok := straceSpec[name]; !ok {
			straceSpec[name] = spec
		}
	}
}

// clone flags.
const (
	cloneSignalMask    = 0xff // the exit signal
	cloneVM            = 0x00000100
	cloneFS            = 0x00000200
	cloneFiles         = 0x00000400
	cloneSighand       = 0x00000800
	clonePtrace        = 0x00002000
	cloneVfork         = 0x00004000
	cloneThread        = 0x00010000
	cloneNewns         = 0x00020000
	cloneSysvsem       = 0x00040000
	cloneSettls        = 0x00080000
	cloneParentSettid  = 0x00100000
	cloneChildCleartid = 0x00200000
	cloneDetached      = 0x00400000
	cloneUntraced      = 0x00800000
	cloneChildSettid   = 0x01000000
	cloneNewuser       = 0x10000000
	cloneIO            = 0x80000000

	// cloneSupported are the flags a fork-like clone accepts: the others
	// ask for sharing or namespaces gemu cannot give a separate process.
	cloneSupported = cloneSignalMask | cloneVM | cloneVfork | clonePtrace | cloneSysvsem | cloneSettls |
		cloneParentSettid | cloneChildCleartid | cloneDetached | cloneUntraced | cloneChildSettid | cloneIO
)

// cloneArgs are the arguments of a fork-like clone.
type cloneArgs struct {
	Flags uint64
	Stack uint64 // the child's stack pointer; 0 keeps the parent's
	Ptid  uint64 // CLONE_PARENT_SETTID: where the parent stores the child's pid
	Ctid  uint64 // CLONE_CHILD_SETTID: where the child stores its pid
	TLS   uint64 // CLONE_SETTLS: FS base (x86-64) or user_desc pointer (i386)
}

func sysFork(t *Thread, a *[6]uint64) int64 {
	return t.clone(cloneArgs{Flags: abi.SIGCHLD})
}

func sysVfork(t *Thread, a *[6]uint64) int64 {
	return t.clone(cloneArgs{Flags: cloneVM | cloneVfork | abi.SIGCHLD})
}

// sysClone is clone(2). The argument order differs: x86-64 has (flags,
// stack, parent_tid, child_tid, tls), i386 (flags, stack, parent_tid, tls,
// child_tid).
func sysClone(t *Thread, a *[6]uint64) int64 {
	ca := cloneArgs{Flags: a[0] & 0xffffffff, Stack: t.ulong(a[1]), Ptid: t.ulong(a[2])}
	if t.w == 4 {
		ca.TLS, ca.Ctid = a[3], a[4]
	} else {
		ca.Ctid, ca.TLS = a[3], a[4]
	}
	return t.clone(ca)
}

// sysClone3 is not implemented: the C libraries fall back to clone.
func sysClone3(t *Thread, a *[6]uint64) int64 {
	t.unimpf("clone3 is not supported (the C library falls back to clone)\n")
	return -abi.ENOSYS
}

// clone validates a clone request as Linux's copy_process does and forks.
func (t *Thread) clone(ca cloneArgs) int64 {
	f := ca.Flags
	switch {
	case f&(cloneNewns|cloneFS) == cloneNewns|cloneFS, f&(cloneNewuser|cloneFS) == cloneNewuser|cloneFS:
		return -abi.EINVAL
	case f&cloneThread != 0 && f&cloneSighand == 0, f&cloneSighand != 0 && f&cloneVM == 0:
		return -abi.EINVAL
	case f&cloneThread != 0:
		return t.cloneThread(ca)
	case f&cloneVM != 0 && f&cloneVfork == 0:
		t.unimpf("clone: a process sharing memory with its parent (CLONE_VM without CLONE_VFORK, flags %#x) is not supported\n", f)
		return -abi.ENOSYS
	case f&^cloneSupported != 0:
		t.unimpf("clone: unsupported flags %#x\n", f&^cloneSupported)
		return -abi.ENOSYS
	}
	if sig := f & cloneSignalMask; sig != abi.SIGCHLD {
		t.unimpf("clone: exit signal %d: the child reports SIGCHLD\n", sig)
	}
	if f&cloneParentSettid != 0 && !t.writable(ca.Ptid, 4) {
		return -abi.EFAULT
	}
	pid, e := t.spawnChild(ca)
	if e != 0 {
		return e
	}
	if f&cloneParentSettid != 0 {
		t.writeMem(ca.Ptid, p32(uint32(pid)))
	}
	return int64(pid)
}

func p32(v uint32) []byte { return []byte{byte(v), byte(v >> 8), byte(v >> 16), byte(v >> 24)} }

// Hidden environment variables through which a gemu hands state to the
// gemu it starts. TakeInherited removes them, so the guest never sees them.
const (
	envForkChild = "GEMU_FORK_CHILD" // state descriptor of a forked child
	envLogFD     = "GEMU_LOG_FD"     // -D log descriptor to append to
	envExecState = "GEMU_EXEC_STATE" // kernel state kept across execve
	envFDs       = "GEMU_FDS"        // the guest's descriptor table after execve
)

// forkState is what a Process keeps for fork and exec.
type forkState struct {
	// vforkFD is, in a vfork child, the write end of the pipe its parent
	// waits on: it stays open, close-on-exec, until execve or exit closes
	// it and lets the parent go on; 0 if none.
	vforkFD int
	// exe is the executable's mapping that forks compare the guest's
	// pages with, kept from one fork to the next (without a descriptor).
	exe *imageFile
	// chldC receives the host's SIGCHLD once forwarding has started.
	chldC chan os.Signal
	// chldIgnored says the host's SIGCHLD is SIG_IGN, as the guest's.
	chldIgnored bool
	// childCall is, in a forked child until ReportForkReturn, the
	// number of the system call it returns from (observer.go).
	childCall *uint64
}

// spawnChild starts the gemu that continues the guest as a forked child
// and returns its pid.
func (t *Thread) spawnChild(ca cloneArgs) (int, int64) {
	t.flushLog()
	t.watchChildren()

	// The child's host descriptors: standard input, output and error,
	// those the guest's table names and gemu's own that the child needs
	// (the state file, the executable, the log, the shared mappings'
	// files, the vfork pipe), each at its number here; the guest's table
	// travels in the state. The child does not move them: moving one to
	// a higher number may grow the descriptor table, which in a
	// multithreaded process costs a synchronize_rcu in the kernel
	// (milliseconds); the host's fork does it before the child's Go
	// runtime starts its threads. The state file and the executable are
	// closed before the guest runs; a vfork child keeps its pipe until
	// execve.
	var files []uintptr
	pass := func(fd int) int {
		for len(files) <= fd {
			files = append(files, ^uintptr(0)) // closed in the child
		}
		files[fd] = uintptr(fd)
		return fd
	}
	for fd := 0; fd <= 2; fd++ {
		pass(fd)
	}
	for _, fd := range t.fds.hosts() {
		pass(fd)
	}

	st, err := newStateFile()
	if err != nil {
		return 0, errno(err)
	}
	defer st.Close()
	img := t.forkImage(ca)
	// The executable's pages that still hold the file's contents are not
	// sent: the child reads them from the file, through the same open
	// file, checked unchanged.
	exe, exeFD := t.imageFile()
	if exe != nil {
		defer syscall.Close(exeFD)
		img.Base = exe.stamp
		img.BaseFD = pass(exeFD)
	}
	env := append(os.Environ(), envForkChild+"="+strconv.Itoa(pass(int(st.Fd()))))
	if t.opts.LogFD > 0 {
		env = append(env, envLogFD+"="+strconv.Itoa(pass(t.opts.LogFD)))
	}
	for i, m := range t.shared {
		img.Shared[i].FD = pass(m.fd)
	}
	vfork := [2]int{-1, -1}
	if ca.Flags&cloneVfork != 0 {
		if err := syscall.Pipe2(vfork[:], syscall.O_CLOEXEC); err != nil {
			return 0, errno(err)
		}
		img.VforkFD = pass(vfork[1])
	}
	// With System V shared memory attached, the parent waits until the
	// child has attached it too (sys_shm.go), through a pipe like vfork's.
	shmWait := [2]int{-1, -1}
	if len(img.Shm) > 0 {
		if err := syscall.Pipe2(shmWait[:], syscall.O_CLOEXEC); err != nil {
			if vfork[1] >= 0 {
				syscall.Close(vfork[0])
				syscall.Close(vfork[1])
			}
			return 0, errno(err)
		}
		img.ShmFD = pass(shmWait[1])
	}
	closeVfork := func() {
		for _, fds := range [][2]int{vfork, shmWait} {
			if fds[1] >= 0 {
				syscall.Close(fds[0])
				syscall.Close(fds[1])
			}
		}
	}
	err = writeForkState(st, img, t.Mem, exe)
	if err == nil && exe != nil && !exe.unchanged(exeFD) {
		// The file changed while it was compared: send every page.
		img.BaseFD = -1
		if err = st.Truncate(0); err == nil {
			_, err = st.Seek(0, io.SeekStart)
		}
		if err == nil {
			err = writeForkState(st, img, t.Mem, nil)
		}
	}
	if err == nil {
		_, err = st.Seek(0, io.SeekStart)
	}
	if err != nil {
		closeVfork()
		t.unimpf("fork: cannot write the child's state: %v\n", err)
		return 0, -abi.ENOMEM
	}

	argv := append([]string{os.Args[0]}, t.opts.Relaunch...)
	argv = append(argv, "--", t.ExePath)
	pid, err := syscall.ForkExec("/proc/self/exe", argv, &syscall.ProcAttr{Env: env, Files: files})
	if err != nil {
		closeVfork()
		if en, ok := err.(syscall.Errno); ok && en == syscall.ENOMEM {
			return 0, -abi.ENOMEM
		}
		return 0, -abi.EAGAIN
	}
	if shmWait[1] >= 0 {
		syscall.Close(shmWait[1])
		waitClosed(shmWait[0])
	}
	if vfork[1] >= 0 {
		// The parent of a vfork waits until the child has released the
		// memory: here, until it has called execve or exited, which
		// closes its copy of the pipe's write end.
		syscall.Close(vfork[1])
		waitClosed(vfork[0])
	}
	return pid, 0
}

// waitClosed waits until every write end of the pipe whose read end is
// fd is closed, then closes fd.
func waitClosed(fd int) {
	var b [1]byte
	for {
		n, err := syscall.Read(fd, b[:])
		if err == syscall.EINTR || err == nil && n > 0 {
			continue
		}
		break
	}
	syscall.Close(fd)
}

// memfdCreate is the host's memfd_create system call number, or 0.
var memfdCreate = map[string]uintptr{"amd64": 319, "arm64": 279, "386": 356}[runtime.GOARCH]

// newStateFile returns an anonymous file for a fork child's state: a
// memfd, or an unlinked temporary file. Being a file, not a pipe, the
// whole state is there before the child starts, so the parent goes on
// (and may even exit) without waiting for the child to read it.
func newStateFile() (*os.File, error) {
	if memfdCreate != 0 {
		name := cstr("gemu-fork")
		r, _, e := syscall.Syscall(memfdCreate, uintptr(ptr(name)), 1 /* MFD_CLOEXEC */, 0)
		if e == 0 {
			return os.NewFile(r, "gemu-fork-state"), nil
		}
	}
	f, err := os.CreateTemp("", "gemu-fork-*")
	if err != nil {
		return nil, err
	}
	os.Remove(f.Name())
	return f, nil
}

// Fork state encoding: a magic, the gob encoding of forkImage, then the
// address space (mem.Space.Snapshot).

var forkMagic = []byte("GEMUFRK1")

// forkImage is the guest's state handed to a forked child, apart from its
// memory.
type forkImage struct {
	Path, ExePath string
	Image         Image
	Layout        Layout
	Stack         StackInfo
	BrkStart, Brk uint64

	CPU  cpuImage
	Gate x86.Gate // how the guest entered fork, for the child's return
	Sig  sigImage

	Rlimits  map[int][2]uint64
	CommName string
	Proc     ProcState
	Dirs     map[int]dirImage
	BusPages []uint64
	Shared   []sharedImage
	Shm      []shmImage // System V shared memory attachments
	ShmFD    int        // the pipe the parent waits on until they are attached, or -1

	Clone   cloneArgs
	FDs     []fdSlot // the guest's descriptor table
	VforkFD int      // the vfork pipe's descriptor in the child, or -1
	BaseFD  int      // the executable's descriptor in the child, or -1
	Base    fileStamp
}

// cpuImage is the architectural state of the CPU.
type cpuImage struct {
	Mode    int // the process's (x86.CPU.ProcMode); CS in Seg gives the CPU's
	R       [16]uint64
	RIP     uint64
	Flags   uint64
	Seg     [6]uint16
	SegBase [6]uint64
	GDT     [16]x86.SegDesc
	LDT     []x86.SegDesc
	X87     x86.X87
	XMM     [16][2]uint64
	MXCSR   uint32
}

// sigImage is the signal state a child inherits: dispositions, mask and
// alternate stack (pending signals and interval timers are not).
type sigImage struct {
	Act                     [abi.NSIG]abi.Sigaction
	Mask                    uint64
	AltSP, AltFlags, AltLen uint64
}

// dirImage is a dirCookies table.
type dirImage struct {
	Offs  []int64
	ByOff map[int64]int64
}

// sharedImage is a sharedMap.
type sharedImage struct {
	Addr, Size, Off uint64
	FD              int // the descriptor's number in the child
	Shadow          []byte
}

func saveCPU(c *x86.CPU) cpuImage {
	return cpuImage{Mode: c.ProcMode, R: c.R, RIP: c.RIP, Flags: c.Flags(), Seg: c.Seg, SegBase: c.SegBase,
		GDT: c.GDT, LDT: c.LDT.Entries(), X87: c.X87, XMM: c.XMM, MXCSR: c.MXCSR}
}

func loadCPU(ci *cpuImage, m *mem.Space) *x86.CPU {
	c := x86.New(ci.Mode, m)
	c.R, c.RIP, c.Seg, c.SegBase, c.GDT = ci.R, ci.RIP, ci.Seg, ci.SegBase, ci.GDT
	c.X87, c.XMM, c.MXCSR = ci.X87, ci.XMM, ci.MXCSR
	if len(ci.LDT) > 0 {
		c.LDT.Set(ci.LDT)
	}
	c.SetFlags(ci.Flags, ^uint64(0))
	// The parent may have forked from compatibility mode (int $0x80).
	c.SetCS(ci.Seg[x86.CS])
	return c
}

// forkImage captures the process's state for a child.
func (t *Thread) forkImage(ca cloneArgs) *forkImage {
	img := &forkImage{
		Path: t.Path, ExePath: t.ExePath, Image: *t.Image, Layout: t.Layout, Stack: t.Stack,
		BrkStart: t.brkStart, Brk: t.brk,
		CPU: saveCPU(t.CPU), Gate: t.gate,
		Sig: sigImage{Act: t.sig.act, Mask: t.mask,
			AltSP: t.altstack.sp, AltFlags: t.altstack.flags, AltLen: t.altstack.size},
		Rlimits: t.rlimits, CommName: t.commName, Proc: t.proc,
		Clone: ca, FDs: t.fds.snapshot(), VforkFD: -1, BaseFD: -1, ShmFD: -1,
		Shm: t.shmImages(),
	}
	if len(t.dirs) > 0 {
		img.Dirs = map[int]dirImage{}
		for fd, d := range t.dirs {
			img.Dirs[fd] = dirImage{Offs: d.offs, ByOff: d.byOff}
		}
	}
	img.BusPages = t.bus.list()
	for _, m := range t.shared {
		img.Shared = append(img.Shared, sharedImage{Addr: m.addr, Size: m.size, Off: m.off, FD: m.fd, Shadow: m.shadow})
	}
	return img
}

// writeForkState writes a child's state: the image and the memory, whose
// pages holding the contents of exe (if not nil) are sent as such.
func writeForkState(w io.Writer, img *forkImage, m *mem.Space, exe *imageFile) (err error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.Write(forkMagic)
	if err := gob.NewEncoder(bw).Encode(img); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	var base *mem.Base
	if exe != nil && img.BaseFD >= 0 {
		base = &mem.Base{Page: exe.base}
	}
	// A consistent copy: no other thread runs guest code while it is
	// taken (the kernel's fork write-protects every page at once).
	m.Exclusive(func() { err = m.Snapshot(w, base) })
	return err
}

// errForkState is wrapped by the errors of a child's state.
var errForkState = errors.New("bad fork state")

// readForkState reads what writeForkState wrote and builds the child's
// process from it. The descriptors are not touched (see adoptFDs).
func readForkState(r io.Reader, opts Options) (*Process, *forkImage, error) {
	br := bufio.NewReaderSize(r, 256<<10)
	magic := make([]byte, len(forkMagic))
	if _, err := io.ReadFull(br, magic); err != nil || !bytes.Equal(magic, forkMagic) {
		return nil, nil, fmt.Errorf("%w: no header", errForkState)
	}
	img := &forkImage{}
	if err := gob.NewDecoder(br).Decode(img); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", errForkState, err)
	}
	if img.CPU.Mode != 32 && img.CPU.Mode != 64 || img.Image.Mode != img.CPU.Mode {
		return nil, nil, fmt.Errorf("%w: mode %d", errForkState, img.CPU.Mode)
	}
	var base *mem.Base
	if img.BaseFD >= 0 {
		// The child's pages from the file are its private writable
		// mapping of it: no copy, and the kernel copies a page on the
		// guest's first store to it. The mapping lives as long as gemu.
		exe := mapImage(img.BaseFD, img.Layout.VDSO, img.CPU.Mode, true)
		syscall.Close(img.BaseFD)
		if exe == nil || exe.stamp != img.Base {
			return nil, nil, fmt.Errorf("%w: the executable %s changed during the fork", errForkState, img.ExePath)
		}
		base = &mem.Base{Page: exe.base, Adopt: true}
	}
	m, err := mem.Restore(br, base)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", errForkState, err)
	}
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	image := img.Image
	p := &Process{opts: opts, Path: img.Path, ExePath: img.ExePath, Image: &image, Layout: img.Layout,
		Stack: img.Stack, Mem: m, pid: os.Getpid(), brkStart: img.BrkStart, brk: img.Brk}
	t := p.newMainThread(loadCPU(&img.CPU, m))
	t.gate = img.Gate

	p.sig.act = img.Sig.Act
	t.setMask(img.Sig.Mask)
	t.altstack = altStack{sp: img.Sig.AltSP, flags: img.Sig.AltFlags, size: img.Sig.AltLen}
	p.resetSignalsForFork()
	p.rlimits = img.Rlimits
	p.commName = img.CommName
	p.proc = img.Proc
	p.fds = fdTableFrom(img.FDs)
	for fd, d := range img.Dirs {
		if p.dirs == nil {
			p.dirs = map[int]*dirCookies{}
		}
		p.dirs[fd] = &dirCookies{offs: d.Offs, byOff: d.ByOff}
	}
	for _, pg := range img.BusPages {
		p.bus.add(pg, pg+1)
	}
	for _, s := range img.Shared {
		// The child maps the file too, as a forked child shares the
		// mapping (the token, with read access: gemu does not know the
		// protection here; the file's open mode decides whether it
		// counts as writable).
		var token uintptr
		if r, _, e := syscall.Syscall6(syscall.SYS_MMAP, 0, uintptr(s.Size), syscall.PROT_READ, syscall.MAP_SHARED, uintptr(s.FD), uintptr(s.Off)); e == 0 {
			token = r
		}
		p.shared = append(p.shared, &sharedMap{addr: s.Addr, size: s.Size, fd: s.FD, off: s.Off, shadow: s.Shadow, token: token})
	}
	p.shmReattach(img.Shm)
	t.childReturn(&img.Clone)
	return p, img, nil
}

// childReturn makes the child's CPU return from the fork-like system call
// with 0, as the parent's Syscall would, and applies the clone arguments
// that concern the child.
func (t *Thread) childReturn(ca *cloneArgs) {
	c := t.CPU
	nr := t.callNumber(c)
	t.fork.childCall = &nr
	if t.gate == x86.GateSysenter {
		sp := c.R[x86.RBP] & 0xffffffff
		var b [4]byte
		t.Mem.Peek(sp, b[:])
		t.sysenterReturn(c, sp, uint64(le32(b[:])), 0)
	} else {
		c.R[x86.RAX] = 0
	}
	if ca.Stack != 0 {
		c.R[x86.RSP] = ca.Stack
	}
	if ca.Flags&cloneSettls != 0 {
		if t.w == 8 {
			c.SegBase[x86.FS] = ca.TLS
		} else {
			sysSetThreadArea(t, &[6]uint64{ca.TLS})
		}
	}
	if ca.Flags&cloneChildSettid != 0 {
		t.writeMem(ca.Ctid, p32(uint32(t.pid)))
	}
}

// RestoreFork builds the process of a forked child gemu from the state
// its parent left at in.ForkFD (see TakeInherited), with this gemu's
// options, and takes over the guest's descriptors.
func RestoreFork(in *Inherited, opts Options) (*Process, error) {
	if in == nil || in.ForkFD < 0 {
		return nil, errors.New("not a forked gemu")
	}
	f := os.NewFile(uintptr(in.ForkFD), "gemu-fork-state")
	p, img, err := readForkState(f, opts)
	f.Close()
	if err != nil {
		return nil, err
	}
	p.adoptFDs(img)
	p.syncChildSignal()
	return p, nil
}

// adoptFDs settles a forked child's descriptors: the host's fork-exec
// cleared the close-on-exec flag of all it passed, and every host
// descriptor but standard input, output and error has it in gemu (the
// vfork pipe, the shared mappings' files, the guest's, whose own flag is
// in the table).
func (p *Process) adoptFDs(img *forkImage) {
	if img.VforkFD >= 0 {
		p.fork.vforkFD = img.VforkFD
		syscall.CloseOnExec(img.VforkFD)
	}
	if img.ShmFD >= 0 {
		syscall.Close(img.ShmFD) // the segments are attached: the parent goes on
	}
	for _, m := range p.shared {
		syscall.CloseOnExec(m.fd)
	}
	for _, h := range p.fds.hosts() {
		if h > 2 {
			syscall.CloseOnExec(h)
		}
	}
}

// Child processes' SIGCHLD. The guest's children are gemu's, so the host
// sends gemu their SIGCHLD; it is passed on to the guest with the child's
// details, found without reaping it (waitid with WNOWAIT). A guest that
// ignores SIGCHLD gets it ignored on the host, where that makes the
// kernel reap children at once, as the guest expects.

const (
	pAll      = 0
	wNohang   = 1
	wStopped  = 2
	wExited   = 4
	wContinue = 8
	wNowait   = 0x01000000
)

// watchChildren starts forwarding the host's SIGCHLD to the guest, once,
// and makes the host's disposition follow the guest's.
func (p *Process) watchChildren() {
	if hostCaught(abi.SIGCHLD) {
		// gemu's handler passes SIGCHLD on (signal_host.go).
		p.syncHostIgnore(abi.SIGCHLD)
		return
	}
	if p.fork.chldC == nil {
		ch := make(chan os.Signal, 1)
		p.fork.chldC = ch
		go func() {
			for range ch {
				p.postAsync(childInfo())
			}
		}()
		if !p.fork.chldIgnored {
			signal.Notify(ch, syscall.SIGCHLD)
		}
	}
	p.syncChildSignal()
}

// childInfo describes a child that changed state, for SIGCHLD's siginfo.
func childInfo() sigInfo {
	si := newSigInfo(abi.SIGCHLD, cldExited)
	b := make([]byte, siginfoSize)
	r, _, e := syscall.Syscall6(syscall.SYS_WAITID, pAll, 0, uintptr(ptr(b)), wNohang|wNowait|wExited|wStopped|wContinue, 0, 0)
	if e == 0 && r == 0 && le32(b[16:]) != 0 {
		si.code = int32(le32(b[8:]))
		si.pid, si.uid, si.status = le32(b[16:]), le32(b[20:]), int32(le32(b[24:]))
	}
	return si
}

// cldExited is SIGCHLD's si_code for a child that exited.
const cldExited = 1

// syncChildSignal makes the host ignore SIGCHLD when the guest does, and
// catch it again (forwarding it, once watchChildren has started) when the
// guest stops ignoring it.
func (p *Process) syncChildSignal() {
	if hostCaught(abi.SIGCHLD) {
		p.syncHostIgnore(abi.SIGCHLD)
		return
	}
	ign := p.sig.act[abi.SIGCHLD].Handler == abi.SIG_IGN
	if ign == p.fork.chldIgnored {
		return
	}
	p.fork.chldIgnored = ign
	switch {
	case ign:
		signal.Ignore(syscall.SIGCHLD)
	case p.fork.chldC != nil:
		signal.Notify(p.fork.chldC, syscall.SIGCHLD)
	default:
		signal.Reset(syscall.SIGCHLD)
	}
}

// The executable's file as a snapshot base: the pages the loader filled
// from it, which a guest seldom changes (its code and read-only data), are
// rebuilt by the child from the file rather than copied.

// fileStamp identifies a file's version.
type fileStamp struct {
	Dev, Ino     uint64
	Size         int64
	Mtime, Ctime int64 // nanoseconds
}

func stampOf(st *syscall.Stat_t) fileStamp {
	return fileStamp{Dev: uint64(st.Dev), Ino: st.Ino, Size: st.Size,
		Mtime: st.Mtim.Sec*1e9 + st.Mtim.Nsec, Ctime: st.Ctim.Sec*1e9 + st.Ctim.Nsec}
}

// imageFile is a mapped executable with where the loader put its bytes.
type imageFile struct {
	data  []byte
	stamp fileStamp
	pages map[uint64][2]uint64 // page address -> file offset, byte count
	vdso  uint64
	vpage []byte
}

// imageFile returns the executable's mapping for a fork, and a descriptor
// of the file for the child, which the caller closes: the mapping is the
// last fork's if the file is still that version. It returns nil if the
// file cannot be used.
func (t *Thread) imageFile() (*imageFile, int) {
	fd, err := syscall.Open(t.ExePath, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, -1
	}
	var st syscall.Stat_t
	if syscall.Fstat(fd, &st) != nil {
		syscall.Close(fd)
		return nil, -1
	}
	if f := t.fork.exe; f != nil {
		if f.stamp == stampOf(&st) {
			return f, fd
		}
		syscall.Munmap(f.data)
		t.fork.exe = nil
	}
	f := mapImage(fd, t.Layout.VDSO, t.CPU.ProcMode, false)
	if f == nil {
		syscall.Close(fd)
		return nil, -1
	}
	t.fork.exe = f
	return f, fd
}

// mapImage maps the executable open at fd, writable (privately) if asked;
// nil if it cannot.
func mapImage(fd int, vdso uint64, mode int, writable bool) *imageFile {
	var st syscall.Stat_t
	if syscall.Fstat(fd, &st) != nil || st.Size <= 0 || st.Size > DefaultMaxImage {
		return nil
	}
	prot := syscall.PROT_READ
	if writable {
		prot |= syscall.PROT_WRITE
	}
	data, err := syscall.Mmap(fd, 0, int(st.Size), prot, syscall.MAP_PRIVATE)
	if err != nil {
		return nil
	}
	f := &imageFile{data: data, stamp: stampOf(&st), vdso: vdso, vpage: buildVDSO(mode)}
	if f.pages = loadedPages(data); f.pages == nil {
		syscall.Munmap(data)
		return nil
	}
	return f
}

// unchanged reports whether the file open at fd is still the version
// that was mapped.
func (f *imageFile) unchanged(fd int) bool {
	var st syscall.Stat_t
	return syscall.Fstat(fd, &st) == nil && stampOf(&st) == f.stamp
}

// base is the mem.Base of the executable's pages and the vDSO.
func (f *imageFile) base(addr uint64) ([]byte, bool) {
	if addr == f.vdso {
		return f.vpage, true
	}
	r, ok := f.pages[addr]
	if !ok {
		return nil, false
	}
	return f.data[r[0] : r[0]+r[1]], true
}

// loadedPages tells, for each page LoadELF fills with bytes of the
// executable data, where they come from: the page holds data[off:off+n]
// then zeros. It follows LoadELF and loadSegment exactly: a later segment
// replaces the pages of an earlier one. It returns nil for a file LoadELF
// would refuse.
func loadedPages(data []byte) map[uint64][2]uint64 {
	info, msg := parseELF(data)
	if msg != "" {
		return nil
	}
	var bias uint64
	if info.typ == elf.ET_DYN {
		lo := ^uint64(0)
		for _, ph := range info.progs {
			if ph.Type == elf.PT_LOAD && ph.Memsz != 0 {
				lo = min(lo, ph.Vaddr&^(pageSize-1))
			}
		}
		pieBase := uint64(PIEBase32)
		if info.mode == 64 {
			pieBase = PIEBase64
		}
		bias = pieBase - lo
	}
	pages := map[uint64][2]uint64{}
	for _, ph := range info.progs {
		if ph.Type != elf.PT_LOAD || ph.Memsz == 0 {
			continue
		}
		va := ph.Vaddr + bias
		start := va &^ (pageSize - 1)
		end := (va + ph.Memsz + pageSize - 1) &^ (pageSize - 1)
		for a := start; a < end; a += pageSize {
			delete(pages, a) // mapped afresh
		}
		head := va - start
		if ph.Off < head {
			continue // the bytes do not start at a page: no base
		}
		fileEnd := ph.Off + ph.Filesz
		if ph.Memsz == ph.Filesz {
			fileEnd = min(fileEnd+end-(va+ph.Filesz), uint64(len(data)))
		}
		src := ph.Off - head
		for a := start; a < end && src < fileEnd; a, src = a+pageSize, src+pageSize {
			pages[a] = [2]uint64{src, min(pageSize, fileEnd-src)}
		}
	}
	return pages
}
