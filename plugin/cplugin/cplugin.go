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
// trampoline: one cgo call per event and plugin.
//
// The `void *cpu` handle given to plugins is a small integer naming the
// vCPU, never a Go pointer; the qemulib_* functions map it back. It is
// valid only during the call that received it, on its thread: the
// trampoline records it in a thread-local variable, and qemulib_* fail
// for any other handle (one kept for later, or used from a thread of the
// plugin's).
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

	"gemu/internal/logbuf"
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
	maxErrorLength = 512
)

var allSyms = []string{symInit, symNeedsInsn, symBeforeInsn, symNeedsTB, symBeforeTB,
	symNeedsMem, symMemAccess, symSyscall, symSyscallRet, symExit}

// cPlugin is one loaded shared object: the functions it defines (nil
// when absent), as the records the trampolines call through.
type cPlugin struct {
	path   string
	handle unsafe.Pointer
	fn     map[string]*C.gemu_callee
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
	setLog(host)
	// After the Go runtime's handlers, before any plugin code runs (its
	// initializers run in dlopen).
	C.gemu_crash_install()
	C.gemu_crash_set_log(logbuf.Active())
	if host.Arch() == "x86_64" {
		C.gemu_set_arch(1)
	} else {
		C.gemu_set_arch(0)
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
	p := &cPlugin{path: path, handle: h, fn: map[string]*C.gemu_callee{}}
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

// hooks builds the plugin's hooks: Go closures that call the plugin's
// functions through the trampolines.
func (p *cPlugin) hooks(host *plugin.Host) *plugin.Hooks {
	h := &plugin.Hooks{VCPUExit: release}
	if needs, before := p.pair(host, symNeedsInsn, symBeforeInsn); needs != nil {
		h.Insn = execHook(needs, before)
	}
	if needs, before := p.pair(host, symNeedsTB, symBeforeTB); needs != nil {
		h.Block = execHook(needs, before)
	}
	if needs, access := p.pair(host, symNeedsMem, symMemAccess); needs != nil {
		h.Mem = func(c *plugin.CPU, pc uint64) plugin.MemFunc {
			id := handle(c)
			if C.gemu_call_needs(needs, C.uint64_t(pc), id) == 0 {
				return nil
			}
			cpc := C.uint64_t(pc)
			return func(addr uint64, size int, store bool, value uint64) {
				st := C.int(0)
				if store {
					st = 1
				}
				C.gemu_call_mem(access, cpc, id, C.uint64_t(addr), C.int(size), st, C.uint64_t(value))
			}
		}
	}
	if f := p.fn[symSyscall]; f != nil {
		h.Syscall = func(c *plugin.CPU, num int64, a [6]uint64) {
			C.gemu_call_syscall(f, handle(c), C.int64_t(num), C.uint64_t(a[0]), C.uint64_t(a[1]),
				C.uint64_t(a[2]), C.uint64_t(a[3]), C.uint64_t(a[4]), C.uint64_t(a[5]))
		}
	}
	if f := p.fn[symSyscallRet]; f != nil {
		h.SyscallRet = func(c *plugin.CPU, num, ret int64) {
			C.gemu_call_syscall_ret(f, handle(c), C.int64_t(num), C.int64_t(ret))
		}
	}
	if f := p.fn[symExit]; f != nil {
		h.Exit = func() { C.gemu_call_exit(f) }
	}
	return h
}

// execHook returns the translation-time function of an instruction or
// block event: it asks the plugin's needs function and, if it says true,
// returns the run-time hook calling its callback.
func execHook(needs, before *C.gemu_callee) func(c *plugin.CPU, pc uint64) plugin.ExecFunc {
	return func(c *plugin.CPU, pc uint64) plugin.ExecFunc {
		id := handle(c)
		if C.gemu_call_needs(needs, C.uint64_t(pc), id) == 0 {
			return nil
		}
		return func(rc *plugin.CPU, pc uint64) {
			h := id
			if rc != c { // translated for another vCPU than the one running it
				h = handle(rc)
			}
			C.gemu_call_before(before, C.uint64_t(pc), h)
		}
	}
}

// ---- the qemulib_* side ----

// logHost is where qemulib_log writes: the Host of the most recently
// loaded C plugin. All plugins of a run share one log.
var logHost atomic.Pointer[plugin.Host]

func setLog(h *plugin.Host) { logHost.Store(h) }

// vCPU handles: handle 0 is "no cpu" (NULL); handle i > 0 names the vCPU
// in cpus.list[i-1]. Handles are assigned when a CPU first reaches a C plugin
// and never reused, so a stale handle cannot name another vCPU; a vCPU whose
// thread ended is released (its slot emptied), so it can be freed. The list
// only grows at its end: readers load it without a lock and never look
// past their own length, so an append that fits the capacity needs no copy.
var cpus struct {
	mu   sync.Mutex
	ids  map[*x86.CPU]C.uintptr_t
	list atomic.Pointer[[]*cpuSlot]
}

// cpuSlot holds the vCPU a handle names, nil once released.
type cpuSlot struct{ c atomic.Pointer[x86.CPU] }

// handle returns the plugin handle of c, assigning one on first use.
func handle(pc *plugin.CPU) C.uintptr_t {
	c := (*x86.CPU)(pc)
	cpus.mu.Lock()
	defer cpus.mu.Unlock()
	if id, ok := cpus.ids[c]; ok {
		return id
	}
	if cpus.ids == nil {
		cpus.ids = map[*x86.CPU]C.uintptr_t{}
	}
	var list []*cpuSlot
	if l := cpus.list.Load(); l != nil {
		list = *l
	}
	slot := new(cpuSlot)
	slot.c.Store(c)
	list = append(list, slot)
	cpus.list.Store(&list)
	id := C.uintptr_t(len(list))
	cpus.ids[c] = id
	return id
}

// release forgets c's handle when its guest thread ends (Hooks.VCPUExit):
// the handle then names no vCPU, and c and its translated code can be
// freed.
func release(pc *plugin.CPU) {
	c := (*x86.CPU)(pc)
	cpus.mu.Lock()
	defer cpus.mu.Unlock()
	id, ok := cpus.ids[c]
	if !ok {
		return
	}
	delete(cpus.ids, c)
	(*cpus.list.Load())[id-1].c.Store(nil)
}

// cpuOf returns the vCPU a handle names, or nil.
func cpuOf(h C.uintptr_t) *plugin.CPU {
	l := cpus.list.Load()
	if l == nil || h == 0 || uint64(h) > uint64(len(*l)) {
		return nil
	}
	return (*plugin.CPU)((*l)[h-1].c.Load())
}
