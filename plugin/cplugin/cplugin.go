// Package cplugin loads C plugins (shared objects written against
// include/plugins.h) into gemu and provides them the qemulib_* functions.
//
// Importing the package (for its side effect) registers its loader with
// gemu/plugin, so that `-plugin file=PATH` works; without it gemu is a pure
// Go program that runs only Go plugins. The package needs cgo.
//
// A plugin is opened with dlopen(RTLD_NOW|RTLD_LOCAL). Its undefined
// qemulib_* references resolve against the gemu executable, which exports
// them in its dynamic symbol table (the LDFLAGS below), so a plugin is
// built with nothing but `cc -shared -fPIC -Iinclude`. Each plugin function
// the plugin defines is found with dlsym and called through a small C
// trampoline (qemulib.c): while the guest runs, on the vCPU's own C stack
// without cgo (cstack.go, gemu/internal/ccall); plugin_init and
// plugin_exit through cgo. The qemulib_* functions are C that never call
// into Go: they read the vCPU's register block (regs.c), its address
// space's page directory (guestmem.c) and append to the log's shared
// buffer.
//
// The `void *cpu` handle given to plugins is a small integer naming the
// vCPU, never a pointer. It is valid only during the call that received
// it, on its thread: the trampoline records it and the vCPU's record in a
// thread-local variable, and qemulib_* fail for any other handle (one kept
// for later, or used from a thread of the plugin's).
//
// A crash in a plugin (a fault, abort(), a stack overflow) does not reach
// the Go runtime as its own: crash.c's signal handler, installed when the
// first plugin is loaded, names the plugin and the signal in one line on
// stderr, writes out the log (internal/logbuf) and ends gemu with the
// signal's default action.
package cplugin

/*
#cgo CFLAGS: -I${SRCDIR}/../../include -O2
#cgo LDFLAGS: -ldl -rdynamic
#include <stdio.h>
#include <stdlib.h>
#include "cplugin.h"
*/
import "C"

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"gemu/internal/ccall"
	"gemu/internal/x86"
	"gemu/plugin"
)

func init() {
	plugin.RegisterLoader(Load)
}

// The plugin functions gemu looks up, as named in include/plugins.h.
const (
	symInit        = "plugin_init"
	symNeedsInsn   = "plugin_needs_before_insn"
	symBeforeInsn  = "plugin_before_insn"
	symNeedsTB     = "plugin_needs_before_tb"
	symBeforeTB    = "plugin_before_tb"
	symNeedsMem    = "plugin_needs_mem"
	symMemAccess   = "plugin_mem_access"
	symSyscall     = "plugin_syscall"
	symSyscallRet  = "plugin_syscall_ret"
	symExit        = "plugin_exit"
	symPortIO      = "plugin_port_io"
	symMMIO        = "plugin_mmio"
	symInterrupt   = "plugin_interrupt"
	symModeChange  = "plugin_mode_change"
	maxErrorLength = 512
)

var allSyms = []string{symInit, symNeedsInsn, symBeforeInsn, symNeedsTB, symBeforeTB,
	symNeedsMem, symMemAccess, symSyscall, symSyscallRet, symExit,
	symPortIO, symMMIO, symInterrupt, symModeChange}

// cPlugin is one loaded shared object: the functions it defines (nil
// when absent), as the records the trampolines call through.
type cPlugin struct {
	path   string
	handle unsafe.Pointer
	fn     map[string]*C.gemu_callee
	// noRegs: the plugin cannot read the guest's registers
	// (mayReadRegisters), so its hooks need no exact flags.
	noRegs bool
}

// callee makes the C record of a plugin function at address fn: where
// says where a crash in a call to it happens. It lives for the whole run.
func callee(plugin string, fn C.uintptr_t, where string) *C.gemu_callee {
	ce := (*C.gemu_callee)(C.malloc(C.size_t(unsafe.Sizeof(C.gemu_callee{}))))
	ce.fn = fn
	ce.plugin = C.CString(plugin)
	ce.where = C.CString(where)
	return ce
}

var (
	loadMu sync.Mutex
	// opened records the files already loaded (by device and inode): the
	// same file given twice is loaded from a private copy, so that each
	// instance has its own global variables, as two plugins would.
	opened = map[[2]uint64]bool{}
)

// Load opens the C plugin at path, calls its plugin_init with args and
// returns its hooks. It is the loader gemu/plugin uses for -plugin file=.
// Errors read "cannot load: ..." for files that are missing or not shared
// objects, "not a gemu plugin: ..." for a shared object that defines none
// of the plugin functions, and "plugin_init returned false".
func Load(path, args string, host *plugin.Host) (*plugin.Hooks, error) {
	lw, ok := host.Log().(interface{ Shared() unsafe.Pointer })
	if !ok || lw.Shared() == nil {
		return nil, errors.New("cannot load: C plugins need gemu's log (internal/logbuf), which qemulib_log writes to from C")
	}
	// After the Go runtime's handlers, before any plugin code runs (its
	// initializers run in dlopen).
	C.gemu_crash_install()
	C.gemu_crash_set_log(lw.Shared())
	mode := 32
	if host.Arch() == "x86_64" {
		mode = 64
	}
	C.gemu_set_arch(C.int(mode / 64))
	if err := setRegmap(mode); err != nil {
		return nil, fmt.Errorf("cannot load: %v", err)
	}
	p, err := open(path)
	if err != nil {
		return nil, err
	}
	if p.fn[symInit] != nil {
		cargs := C.CString(args)
		ok := C.gemu_call_init(p.fn[symInit], cargs) != 0
		C.free(unsafe.Pointer(cargs))
		if !ok {
			// The plugin's code stays mapped: it may have registered
			// things (atexit handlers, threads) that point into it.
			return nil, errors.New("plugin_init returned false")
		}
	}
	return p.hooks(host), nil
}

func open(path string) (*cPlugin, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("cannot load: %v", err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("cannot load: %v", unwrapPathError(err))
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("cannot load: not a regular file")
	}
	loadMu.Lock()
	defer loadMu.Unlock()
	file := abs
	var key [2]uint64
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		key = [2]uint64{uint64(st.Dev), st.Ino}
	}
	if opened[key] {
		tmp, err := privateCopy(abs)
		if err != nil {
			return nil, fmt.Errorf("cannot load a second instance: %v", err)
		}
		defer os.Remove(tmp)
		file = tmp
	}
	cpath := C.CString(file)
	defer C.free(unsafe.Pointer(cpath))
	var errbuf [maxErrorLength]C.char
	loading := callee(path, 0, "while it was loaded (in its initializers)")
	h := C.gemu_dlopen(cpath, loading, &errbuf[0], C.size_t(len(errbuf)))
	if h == nil {
		msg := C.GoString(&errbuf[0])
		// dlerror starts with the path; the caller names the plugin.
		msg = strings.TrimPrefix(msg, file+": ")
		return nil, fmt.Errorf("cannot load: %s", msg)
	}
	p := &cPlugin{path: path, handle: h, fn: map[string]*C.gemu_callee{}, noRegs: !mayReadRegisters(file)}
	for _, name := range allSyms {
		cname := C.CString(name)
		if a := C.gemu_dlsym(h, cname); a != 0 {
			if len(p.fn) == 0 {
				C.gemu_crash_add_plugin(loading.plugin, a)
			}
			p.fn[name] = callee(path, a, "in "+name)
		}
		C.free(unsafe.Pointer(cname))
	}
	if len(p.fn) == 0 {
		C.gemu_dlclose(h)
		return nil, fmt.Errorf("not a gemu plugin: it defines none of the plugin functions (%s, ...)", strings.Join(allSyms[:3], ", "))
	}
	opened[key] = true
	return p, nil
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// privateCopy copies the shared object at path to a new temporary file.
func privateCopy(path string) (string, error) {
	src, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer src.Close()
	dst, err := os.CreateTemp("", "gemu-plugin-*.so")
	if err != nil {
		return "", err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		os.Remove(dst.Name())
		return "", err
	}
	if err := dst.Close(); err != nil {
		os.Remove(dst.Name())
		return "", err
	}
	return dst.Name(), nil
}

// pair returns the addresses of a needs/callback pair, or zeros when the
// pair is incomplete: a needs function without its callback is never
// asked, and a callback without its needs function is never called (which
// the log says, since it is most likely a mistake).
func (p *cPlugin) pair(host *plugin.Host, needs, call string) (*C.gemu_callee, *C.gemu_callee) {
	n, f := p.fn[needs], p.fn[call]
	if f != nil && n == nil {
		host.Logf("gemu: plugin %s: defines %s but not %s: it will never be called\n", p.path, call, needs)
	}
	if n == nil || f == nil {
		return nil, nil
	}
	return n, f
}

// The trampolines of the direct path, as addresses for ccall.Call.
var (
	runNeeds      = uintptr(unsafe.Pointer(C.gemu_run_needs))
	runBefore     = uintptr(unsafe.Pointer(C.gemu_run_before))
	runMem        = uintptr(unsafe.Pointer(C.gemu_run_mem))
	runSyscall    = uintptr(unsafe.Pointer(C.gemu_run_syscall))
	runSyscallRet = uintptr(unsafe.Pointer(C.gemu_run_syscall_ret))
	runPortIO     = uintptr(unsafe.Pointer(C.gemu_run_port_io))
	runMMIO       = uintptr(unsafe.Pointer(C.gemu_run_mmio))
	runInterrupt  = uintptr(unsafe.Pointer(C.gemu_run_interrupt))
	runModeChange = uintptr(unsafe.Pointer(C.gemu_run_mode_change))
)

// addr is a plugin function's record as a callC argument.
func addr(ce *C.gemu_callee) uintptr { return uintptr(unsafe.Pointer(ce)) }

// hooks builds the plugin's hooks: Go closures that call the plugin's
// functions on the direct path (cstack.go), except plugin_exit, which
// runs once after the guest and goes through cgo.
func (p *cPlugin) hooks(host *plugin.Host) *plugin.Hooks {
	h := &plugin.Hooks{VCPUExit: release, NoRegs: p.noRegs}
	if needs, before := p.pair(host, symNeedsInsn, symBeforeInsn); needs != nil {
		h.InsnC = execHook(needs, before)
	}
	if needs, before := p.pair(host, symNeedsTB, symBeforeTB); needs != nil {
		h.BlockC = execHook(needs, before)
	}
	if needs, access := p.pair(host, symNeedsMem, symMemAccess); needs != nil {
		nf, af := addr(needs), addr(access)
		h.Mem = func(c *plugin.CPU, pc uint64) plugin.MemFunc {
			v := vcpuOf(c)
			if byte(ccall.Call3(runNeeds, v.sp, v.rec(), nf, uintptr(pc))) == 0 {
				return nil
			}
			return func(vaddr uint64, size int, store bool, value uint64) {
				ss := uintptr(size)
				if store {
					ss |= 1 << 31
				}
				ccall.Call(runMem, v.sp, v.rec(), af, uintptr(pc), uintptr(vaddr), ss, uintptr(value))
			}
		}
	}
	if f := p.fn[symSyscall]; f != nil {
		sf := addr(f)
		h.Syscall = func(c *plugin.CPU, num int64, a [6]uint64) {
			v := vcpuOf(c)
			for i := range a {
				v.r.args[i] = C.uint64_t(a[i])
			}
			ccall.Call3(runSyscall, v.sp, v.rec(), sf, uintptr(num))
		}
	}
	if f := p.fn[symSyscallRet]; f != nil {
		rf := addr(f)
		h.SyscallRet = func(c *plugin.CPU, num, ret int64) {
			v := vcpuOf(c)
			ccall.Call(runSyscallRet, v.sp, v.rec(), rf, uintptr(num), uintptr(ret), 0, 0)
		}
	}
	p.systemHooks(h)
	// At the end, after plugin_exit if there is one, the C library's
	// output buffers are written out: gemu ends without the C library's
	// exit, and a plugin that printf's to stdout would lose its tail.
	f := p.fn[symExit]
	h.Exit = func() {
		if f != nil {
			C.gemu_call_exit(f)
		}
		C.fflush(nil)
	}
	return h
}

// execHook returns the translation-time function of an instruction or
// block event: it asks the plugin's needs function and, if it says true,
// returns the run-time hook: the C trampoline calling the plugin's
// callback on the vCPU's C stack with the vCPU's record, which the engine
// calls itself (engine.DirectInstrumenter) with the pc.
func execHook(needs, before *C.gemu_callee) func(c *plugin.CPU, pc uint64) *ccall.Func {
	nf, bf := addr(needs), addr(before)
	return func(c *plugin.CPU, pc uint64) *ccall.Func {
		v := vcpuOf(c)
		if byte(ccall.Call3(runNeeds, v.sp, v.rec(), nf, uintptr(pc))) == 0 {
			return nil
		}
		return &ccall.Func{Fn: runBefore, SP: v.sp, A0: v.rec(), A1: bf}
	}
}

// ---- vCPUs ----

// cpus maps the vCPUs that reached a C plugin to their records. Handles
// start at 1 (0 is "no cpu": NULL) and are never reused, so a stale
// handle cannot name another vCPU. A closure made when a block was
// translated holds the translating vCPU (so its address is not reused
// while the block lives) and the record, and looks the record up only
// when another vCPU runs the block.
var cpus struct {
	mu   sync.Mutex
	ids  map[*x86.CPU]*vcpu
	next uintptr
	// last is the record vcpuOf returned last, so that the events
	// looked up at run time (system calls, the events of system mode)
	// find the record of a machine's single vCPU without a lock. It is
	// stored with mu held, and release clears it before a record dies.
	last atomic.Pointer[vcpu]
}

// vcpuOf returns the record of c, making it on first use: its handle, its
// C stack, where its registers and address space are. A vCPU whose stack
// cannot be mapped cannot call plugins; gemu stops with that error.
func vcpuOf(pc *plugin.CPU) *vcpu {
	c := (*x86.CPU)(pc)
	if v := cpus.last.Load(); v != nil && v.cpu == c {
		return v
	}
	cpus.mu.Lock()
	defer cpus.mu.Unlock()
	if v, ok := cpus.ids[c]; ok {
		cpus.last.Store(v)
		return v
	}
	if cpus.ids == nil {
		cpus.ids = map[*x86.CPU]*vcpu{}
	}
	cpus.next++
	v, err := newVCPU(cpus.next)
	if err != nil {
		fmt.Fprintf(os.Stderr, "gemu: %v\n", err)
		os.Exit(1)
	}
	v.attach(c)
	cpus.ids[c] = v
	cpus.last.Store(v)
	return v
}

// release forgets c's record when its guest thread ends (Hooks.VCPUExit),
// after its last plugin call, and frees its C stack.
func release(pc *plugin.CPU) {
	c := (*x86.CPU)(pc)
	cpus.mu.Lock()
	defer cpus.mu.Unlock()
	if v, ok := cpus.ids[c]; ok {
		delete(cpus.ids, c)
		cpus.last.CompareAndSwap(v, nil)
		v.free()
	}
}

// systemHooks adds the hooks of the system-mode events the plugin
// defines: each calls its trampoline on the direct path, as the system
// call hooks do.
func (p *cPlugin) systemHooks(h *plugin.Hooks) {
	if f := p.fn[symPortIO]; f != nil {
		af := addr(f)
		h.PortIO = func(c *plugin.CPU, pc uint64, port uint16, size int, write bool, value uint32) {
			v := vcpuOf(c)
			psw := uintptr(port) | uintptr(size&0x7fff)<<16
			if write {
				psw |= 1 << 31
			}
			ccall.Call(runPortIO, v.sp, v.rec(), af, uintptr(pc), psw, uintptr(value), 0)
		}
	}
	if f := p.fn[symMMIO]; f != nil {
		af := addr(f)
		h.MMIO = func(c *plugin.CPU, pc, paddr uint64, size int, write bool, value uint64, device string) {
			v := vcpuOf(c)
			ss := uintptr(size & 0x7fffffff)
			if write {
				ss |= 1 << 31
			}
			v.r.device = deviceName(device)
			ccall.Call(runMMIO, v.sp, v.rec(), af, uintptr(pc), uintptr(paddr), ss, uintptr(value))
		}
	}
	if f := p.fn[symInterrupt]; f != nil {
		af := addr(f)
		h.Interrupt = func(c *plugin.CPU, kind plugin.IntKind, vector uint8, errCode int64, from, to uint64) {
			v := vcpuOf(c)
			kv := uintptr(kind) | uintptr(vector)<<8
			ccall.Call(runInterrupt, v.sp, v.rec(), af, kv, uintptr(errCode), uintptr(from), uintptr(to))
		}
	}
	if f := p.fn[symModeChange]; f != nil {
		af := addr(f)
		h.ModeChange = func(c *plugin.CPU, reg plugin.ModeReg, old, new uint64) {
			v := vcpuOf(c)
			ccall.Call(runModeChange, v.sp, v.rec(), af, uintptr(reg), uintptr(old), uintptr(new), 0)
		}
	}
}

// devices holds the C strings of the device names plugin_mmio has been
// given, one per name for the whole run (a machine has a handful of
// devices), so that an MMIO event allocates nothing once its device's
// name is known.
var devices struct {
	mu    sync.Mutex
	names map[string]*deviceString
	// last is the name deviceName returned last: a run of accesses to
	// one device finds it without a lock.
	last atomic.Pointer[deviceString]
}

// deviceString is a device's name in Go and as a C string.
type deviceString struct {
	name string
	c    *C.char
}

// deviceName returns name as a C string that lives for the whole run.
func deviceName(name string) *C.char {
	if d := devices.last.Load(); d != nil && d.name == name {
		return d.c
	}
	devices.mu.Lock()
	defer devices.mu.Unlock()
	d, ok := devices.names[name]
	if !ok {
		if devices.names == nil {
			devices.names = map[string]*deviceString{}
		}
		d = &deviceString{name, C.CString(name)}
		devices.names[name] = d
	}
	devices.last.Store(d)
	return d.c
}
