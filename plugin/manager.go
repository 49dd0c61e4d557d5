package plugin

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"unsafe"

	"gemu/internal/ccall"
	"gemu/internal/engine"
	"gemu/internal/mem"
	"gemu/internal/x86"
)

// Spec selects one plugin: a registered Go plugin by Name, or a file
// (a C shared object) by Path. Args is passed whole to the plugin.
type Spec struct {
	Name string
	Path string
	Args string
}

// label is how errors and logs name the plugin.
func (s Spec) label() string {
	if s.Path != "" {
		return s.Path
	}
	return s.Name
}

// loaded is one initialized plugin.
type loaded struct {
	name  string
	hooks *Hooks
}

// Manager holds the loaded plugins, in command-line order, and turns their
// hooks into engine instrumentation. It implements engine.Instrumenter and
// the Linux layer's system call observer. After Load it is read-only, so
// several vCPUs may use it at once.
type Manager struct {
	arch    string
	log     *logWriter
	plugins []loaded

	// The hooks of each kind, in command-line order, for quick
	// iteration at translation time and on system calls.
	insn, block []asker
	mem         []func(c *CPU, pc uint64) MemFunc
	sys         []func(c *CPU, num int64, args [6]uint64)
	sysRet      []func(c *CPU, num, ret int64)
	exits       []func()
	portIO      []func(c *CPU, pc uint64, port uint16, size int, write bool, value uint32)
	mmio        []func(c *CPU, pc, addr uint64, size int, write bool, value uint64, device string)
	intr        []func(c *CPU, kind IntKind, vector uint8, errCode int64, from, to uint64)
	modeChange  []func(c *CPU, reg ModeReg, old, new uint64)
	vcpuExits   []func(c *CPU)

	exitOnce sync.Once

	countInsns bool       // some plugin set Hooks.CountInsns
	cpus       []*x86.CPU // vCPUs attached for instruction counting
	retired    uint64     // instructions counted by detached vCPUs
}

// New returns a Manager with no plugins: it places no hooks and observes
// nothing until Load. It exists so that the OS layer can be given the
// manager as its system call observer and exit callback before the guest
// program is loaded, and the plugins loaded after it.
func New() *Manager { return &Manager{} }

// Load creates and initializes the plugins of specs in order, for a guest
// of architecture arch ("i386" or "x86_64"); plugin logs go to log, which
// should be the same stream as gemu's -d logs. It is called after the
// guest program is loaded and before it runs. The first plugin that fails
// stops the loading; the error names it, as in
// `plugin /x/libfoo.so: cannot load: ...`, and no Exit hook is run since
// the guest never started.
func Load(specs []Spec, log io.Writer, arch string) (*Manager, error) {
	m := New()
	if err := m.Load(specs, log, arch); err != nil {
		return nil, err
	}
	return m, nil
}

// Load loads specs into a Manager made by New, as the function Load does.
// On error the manager is left with no plugins. It can be called once.
func (m *Manager) Load(specs []Spec, log io.Writer, arch string) error {
	if arch != "i386" && arch != "x86_64" {
		return fmt.Errorf("plugin: unknown guest architecture %q", arch)
	}
	if m.log != nil {
		return fmt.Errorf("plugin: Manager.Load called twice")
	}
	m.arch, m.log = arch, &logWriter{w: log}
	for _, s := range specs {
		h, err := m.load(s)
		if err != nil {
			*m = Manager{arch: arch, log: m.log}
			return fmt.Errorf("plugin %s: %w", s.label(), err)
		}
		m.add(s.label(), h)
	}
	return nil
}

func (m *Manager) load(s Spec) (*Hooks, error) {
	host := &Host{name: s.label(), arch: m.arch, log: m.log, mgr: m}
	regMu.Lock()
	f, l := factories[s.Name], loader
	regMu.Unlock()
	var h *Hooks
	var err error
	switch {
	case s.Path != "":
		if l == nil {
			return nil, fmt.Errorf("cannot load: this gemu was built without support for plugin files")
		}
		h, err = l(s.Path, s.Args, host)
	case s.Name == "":
		return nil, fmt.Errorf("no plugin name or file given")
	case f == nil:
		return nil, fmt.Errorf("no such built-in plugin (known: %s)", strings.Join(Names(), ", "))
	default:
		h, err = f(s.Args, host)
	}
	if err != nil {
		return nil, err
	}
	if h == nil {
		h = &Hooks{}
	}
	return h, nil
}

func (m *Manager) add(name string, h *Hooks) {
	m.plugins = append(m.plugins, loaded{name, h})
	if h.Insn != nil || h.InsnC != nil {
		m.insn = append(m.insn, asker{h.Insn, h.InsnC, h.NoRegs})
	}
	if h.Block != nil || h.BlockC != nil {
		m.block = append(m.block, asker{h.Block, h.BlockC, h.NoRegs})
	}
	if h.Mem != nil {
		m.mem = append(m.mem, h.Mem)
	}
	if h.Syscall != nil {
		m.sys = append(m.sys, h.Syscall)
	}
	if h.SyscallRet != nil {
		m.sysRet = append(m.sysRet, h.SyscallRet)
	}
	if h.PortIO != nil {
		m.portIO = append(m.portIO, h.PortIO)
	}
	if h.MMIO != nil {
		m.mmio = append(m.mmio, h.MMIO)
	}
	if h.Interrupt != nil {
		m.intr = append(m.intr, h.Interrupt)
	}
	if h.ModeChange != nil {
		m.modeChange = append(m.modeChange, h.ModeChange)
	}
	if h.Exit != nil {
		m.exits = append(m.exits, h.Exit)
	}
	if h.VCPUExit != nil {
		m.vcpuExits = append(m.vcpuExits, h.VCPUExit)
	}
	if h.CountInsns {
		m.countInsns = true
	}
}

// CountInsns reports whether a plugin asked gemu to count executed
// instructions (engine.Options.CountInsns).
func (m *Manager) CountInsns() bool { return m != nil && m.countInsns }

// AttachCPU registers a vCPU whose instruction count Host.InsnCount sums.
func (m *Manager) AttachCPU(c *x86.CPU) { m.cpus = append(m.cpus, c) }

// DetachCPU forgets a vCPU whose guest thread ended, keeping its
// instruction count in the total, so that the CPU and its engine (which
// holds the thread's translated blocks) can be freed: a guest that creates
// and joins many threads must not keep every one of them.
func (m *Manager) DetachCPU(c *x86.CPU) {
	for _, f := range m.vcpuExits {
		f((*CPU)(c))
	}
	for i, o := range m.cpus {
		if o == c {
			m.retired += c.Icount
			m.cpus = slices.Delete(m.cpus, i, i+1)
			return
		}
	}
}

// Plugins returns the names of the loaded plugins in command-line order.
func (m *Manager) Plugins() []string {
	names := make([]string, len(m.plugins))
	for i, p := range m.plugins {
		names[i] = p.name
	}
	return names
}

// Arch returns the guest architecture the plugins were loaded for.
func (m *Manager) Arch() string { return m.arch }

// Instrumenter returns m as an engine.Instrumenter if some plugin places
// instruction, block or memory hooks, and nil otherwise, so that an
// engine given the result does no instrumentation work at all when no
// plugin asks for it.
func (m *Manager) Instrumenter() engine.Instrumenter {
	if m == nil || len(m.insn)+len(m.block)+len(m.mem) == 0 {
		return nil
	}
	return m
}

// engineHook turns a plugin's ExecFunc into the engine's Hook without a
// wrapper, so that a run-time call costs a single indirect call. The two
// function types differ only in the pointer type of their first parameter
// (*CPU is defined as x86.CPU), so they have the same representation and
// calling convention.
func engineHook(f ExecFunc) engine.Hook {
	return *(*engine.Hook)(unsafe.Pointer(&f))
}

// asker is one plugin's translation-time function of an instruction or
// block event: a Go one (the run-time hook is an ExecFunc) or a C one (a
// ccall.Func the engine calls itself).
type asker struct {
	goAsk  func(c *CPU, pc uint64) ExecFunc
	cAsk   func(c *CPU, pc uint64) *ccall.Func
	noRegs bool // Hooks.NoRegs
}

// ask returns the plugin's run-time hook for pc, nil when it wants none,
// as a Go hook or a C one.
func (a asker) ask(c *CPU, pc uint64) (ExecFunc, *ccall.Func) {
	if a.cAsk != nil {
		return nil, a.cAsk(c, pc)
	}
	return a.goAsk(c, pc), nil
}

// asGo is a C hook as an ExecFunc, for callers that want Go hooks.
func asGo(f *ccall.Func) ExecFunc {
	return func(_ *CPU, pc uint64) { f.Call(uintptr(pc)) }
}

// place asks each plugin about pc and hands the engine its hooks, in
// command-line order (engine.DirectInstrumenter).
func place(ask []asker, c *CPU, pc uint64, put func(engine.PlacedHook)) {
	for _, a := range ask {
		g, f := a.ask(c, pc)
		switch {
		case f != nil:
			put(engine.PlacedHook{C: f, NoRegs: a.noRegs})
		case g != nil:
			put(engine.PlacedHook{Go: engineHook(g), NoRegs: a.noRegs})
		}
	}
}

// PlaceInsnHooks implements engine.DirectInstrumenter: the hooks to run
// before the instruction at pc, in command-line order.
func (m *Manager) PlaceInsnHooks(c *x86.CPU, pc uint64, put func(engine.PlacedHook)) {
	place(m.insn, (*CPU)(c), pc, put)
}

// PlaceBlockHooks implements engine.DirectInstrumenter: the hooks to run
// at the start of the block at pc, in command-line order.
func (m *Manager) PlaceBlockHooks(c *x86.CPU, pc uint64, put func(engine.PlacedHook)) {
	place(m.block, (*CPU)(c), pc, put)
}

// compose asks each plugin about pc and returns the single run-time hook
// that calls every non-nil answer in order (C hooks through a Go call).
func compose(ask []asker, c *CPU, pc uint64) engine.Hook {
	var first ExecFunc
	var all []ExecFunc
	for _, q := range ask {
		f, cf := q.ask(c, pc)
		if cf != nil {
			f = asGo(cf)
		}
		if f == nil {
			continue
		}
		if first == nil {
			first = f
			continue
		}
		if all == nil {
			all = []ExecFunc{first}
		}
		all = append(all, f)
	}
	switch {
	case first == nil:
		return nil
	case all == nil:
		return engineHook(first)
	}
	return func(c *x86.CPU, pc uint64) {
		for _, f := range all {
			f((*CPU)(c), pc)
		}
	}
}

// InsnHook implements engine.Instrumenter: the hook to run before the
// instruction at pc, calling the plugins that want it in command-line
// order, or nil.
func (m *Manager) InsnHook(c *x86.CPU, pc uint64) engine.Hook {
	return compose(m.insn, (*CPU)(c), pc)
}

// BlockHook implements engine.Instrumenter: the hook to run at the start
// of the block at pc, or nil.
func (m *Manager) BlockHook(c *x86.CPU, pc uint64) engine.Hook {
	return compose(m.block, (*CPU)(c), pc)
}

// MemHook implements engine.Instrumenter: the tracer for the memory
// accesses of the instruction at pc, or nil.
func (m *Manager) MemHook(c *x86.CPU, pc uint64) mem.Tracer {
	var first MemFunc
	var all []MemFunc
	for _, q := range m.mem {
		f := q((*CPU)(c), pc)
		if f == nil {
			continue
		}
		if first == nil {
			first = f
			continue
		}
		if all == nil {
			all = []MemFunc{first}
		}
		all = append(all, f)
	}
	switch {
	case first == nil:
		return nil
	case all == nil:
		return mem.Tracer(first)
	}
	return func(addr uint64, size int, store bool, value uint64) {
		for _, f := range all {
			f(addr, size, store, value)
		}
	}
}

// WantsSyscalls reports whether some plugin observes system calls; the OS
// layer may skip SyscallEntry and SyscallExit otherwise.
func (m *Manager) WantsSyscalls() bool {
	return m != nil && len(m.sys)+len(m.sysRet) > 0
}

// SyscallEntry reports system call num with its six argument registers to
// the plugins, before the call is performed.
func (m *Manager) SyscallEntry(c *x86.CPU, num uint64, args [6]uint64) {
	if c.ProcMode != 64 {
		for i := range args {
			args[i] &= 0xffffffff
		}
	}
	for _, f := range m.sys {
		f((*CPU)(c), int64(num), args)
	}
}

// SyscallExit reports the result of system call num to the plugins, after
// the guest registers hold it. For i386 guests ret is sign-extended from
// 32 bits.
func (m *Manager) SyscallExit(c *x86.CPU, num uint64, ret int64) {
	if c.ProcMode != 64 {
		ret = int64(int32(ret))
	}
	for _, f := range m.sysRet {
		f((*CPU)(c), int64(num), ret)
	}
}

// The events of system mode. gemu-system's machine calls them; user mode
// never does. Each Wants* method says whether some plugin observes the
// event, so that the machine skips the call, and whatever it would do to
// prepare it, when none does. Every method is safe on a nil Manager
// (Wants* report false). The plugins are called in command-line order, on
// the calling vCPU's thread.

// WantsPortIO reports whether some plugin observes port I/O.
func (m *Manager) WantsPortIO() bool { return m != nil && len(m.portIO) > 0 }

// PortIO reports one completed port access of the instruction at pc (a
// guest virtual address) on c: port, size (1, 2 or 4 bytes), direction
// (write: OUT/OUTS) and the value read or written. Call it after the
// device handled the access, once per element of a REP INS/OUTS.
func (m *Manager) PortIO(c *x86.CPU, pc uint64, port uint16, size int, write bool, v uint32) {
	if m == nil {
		return
	}
	for _, f := range m.portIO {
		f((*CPU)(c), pc, port, size, write, v)
	}
}

// WantsMMIO reports whether some plugin observes MMIO accesses.
func (m *Manager) WantsMMIO() bool { return m != nil && len(m.mmio) > 0 }

// MMIO reports one completed access of the instruction at pc on c to
// device memory: the physical address, size in bytes, direction, the
// value read or written and the name of the device ("ioapic").
func (m *Manager) MMIO(c *x86.CPU, pc, addr uint64, size int, write bool, v uint64, device string) {
	if m == nil {
		return
	}
	for _, f := range m.mmio {
		f((*CPU)(c), pc, addr, size, write, v, device)
	}
}

// WantsInterrupts reports whether some plugin observes interrupts and
// exceptions.
func (m *Manager) WantsInterrupts() bool { return m != nil && len(m.intr) > 0 }

// Interrupt reports an interrupt or exception c has just delivered:
// call it after the delivery, with c in the handler's entry state. kind
// says what it was, errCode is the error code pushed or NoErrorCode, from
// the address the CPU was at (the interrupted or faulting instruction, or
// the one after a software INT n/INT3/INTO or a trap) and to the
// handler's address.
func (m *Manager) Interrupt(c *x86.CPU, kind IntKind, vector uint8, errCode int64, from, to uint64) {
	if m == nil {
		return
	}
	for _, f := range m.intr {
		f((*CPU)(c), kind, vector, errCode, from, to)
	}
}

// WantsModeChanges reports whether some plugin observes writes of CR0,
// CR3, CR4 and EFER.
func (m *Manager) WantsModeChanges() bool { return m != nil && len(m.modeChange) > 0 }

// ModeChange reports that c wrote the register which (x86.System's
// OnModeChange kinds: CR0, CR3, CR4 or EFER): its value before and after
// the write. The caller keeps the old value (x86's OnModeChange gives
// only which register changed).
func (m *Manager) ModeChange(c *x86.CPU, which x86.ModeChange, old, new uint64) {
	if m == nil {
		return
	}
	for _, f := range m.modeChange {
		f((*CPU)(c), ModeReg(which), old, new)
	}
}

// InterruptObserver returns a function for x86.System.OnInterrupt that
// reports each delivery to the plugins as Interrupt (x86.DeliveryKind's
// values are IntKind's, x86.NoErrorCode is NoErrorCode), or nil when no
// plugin observes interrupts.
func (m *Manager) InterruptObserver() func(c *x86.CPU, kind x86.DeliveryKind, vector uint8, code int64, from, to uint64) {
	if !m.WantsInterrupts() {
		return nil
	}
	return func(c *x86.CPU, kind x86.DeliveryKind, vector uint8, code int64, from, to uint64) {
		m.Interrupt(c, IntKind(kind), vector, code, from, to)
	}
}

// ModeObserver returns a function for c's x86.System.OnModeChange that
// reports each change to the plugins as ModeChange, with the register's
// old and new value: x86 says only which register changed, so the
// observer keeps each of c's CR0, CR3, CR4 and EFER as it was when last
// reported, starting from their values when ModeObserver is called (call it once
// the boot loader has set the CPU up, or before, to see that setup too if
// it goes through the setters). It returns nil when no plugin observes
// mode changes. The function is for c alone.
func (m *Manager) ModeObserver(c *x86.CPU) func(c *x86.CPU, which x86.ModeChange) {
	if !m.WantsModeChanges() {
		return nil
	}
	last := [4]uint64{c.CR0, c.CR3, c.CR4, c.EFER}
	return func(c *x86.CPU, which x86.ModeChange) {
		var now uint64
		switch which {
		case x86.ChangeCR0:
			now = c.CR0
		case x86.ChangeCR3:
			now = c.CR3
		case x86.ChangeCR4:
			now = c.CR4
		case x86.ChangeEFER:
			now = c.EFER
		default:
			return
		}
		// Only the register reported moves on: a CR0 write that sets
		// EFER.LMA is reported as CR0, then EFER, each from its own
		// last value.
		m.ModeChange(c, which, last[which], now)
		last[which] = now
	}
}

// Exit runs the plugins' exit hooks, in command-line order, the first
// time it is called; later calls do nothing. Call it when the guest
// program ends, however it ends, after its last instruction and before
// the log is flushed.
func (m *Manager) Exit() {
	if m == nil {
		return
	}
	m.exitOnce.Do(func() {
		for _, f := range m.exits {
			f()
		}
	})
}

// readGuest copies guest memory like a debugger. It checks the whole
// range before copying, so that a failing read never writes to dst.
func readGuest(s *mem.Space, addr uint64, dst []byte) bool {
	n := uint64(len(dst))
	if n == 0 {
		return true
	}
	if addr+n < addr || addr+n > s.Limit || !s.Mapped(addr, n) {
		return false
	}
	return s.Peek(addr, dst)
}
