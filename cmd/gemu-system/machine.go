package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"

	"gemu/internal/engine"
	"gemu/internal/logbuf"
	"gemu/internal/mem"
	"gemu/internal/pc"
	"gemu/internal/x86"
	"gemu/plugin"
)

// Why a machine stopped.
const (
	running   int32 = iota
	endHalt         // HLT with interrupts disabled: nothing can wake the CPU (Linux's power-off without ACPI)
	endReset        // the guest reset the machine (keyboard controller, PCI reset control, triple fault)
	endQuit         // Ctrl-A X on the console
	endFailed       // an error gemu-system cannot go on from (a message was printed)
)

// machine is one boot of the PC: RAM, board, CPU, engine. A reset without
// -no-reboot makes a new one.
type machine struct {
	o      *Options
	log    io.Writer
	phys   *mem.Phys
	view   *mem.View
	board  *pc.Board
	cpu    *x86.CPU
	eng    *engine.Engine
	wake   chan struct{}
	end    atomic.Int32
	msg    string // for endFailed
	logInt bool

	plugins *plugin.Manager
	// procMode is the register numbering plugins see (x86.Regs.ProcMode).
	procMode int
	// nInt numbers the -d int lines.
	nInt int
}

// run boots the kernel until the machine powers off or, with -no-reboot,
// resets, and returns the exit status.
func run(o *Options, model *x86.CPUModel, kernel, initrd []byte) int {
	logw, flush := openLog(o.LogFile)
	defer flush()
	serial, closeSerial, err := serialOut(o.Serial)
	if err != nil {
		flush()
		fatal("%v", err)
	}
	defer closeSerial()
	disks, err := openDisks(o.Drives)
	if err != nil {
		flush()
		fatal("%v", err)
	}
	// Ctrl-A X, SIGINT, SIGTERM and SIGHUP quit: the machine running
	// stops, none is built after it (a reboot in progress included), the
	// plugins' exit callbacks run and the log is flushed.
	var cur atomic.Pointer[machine]
	var quitting atomic.Bool
	quit := func() {
		quitting.Store(true)
		if m := cur.Load(); m != nil {
			m.stop(endQuit)
		}
	}
	in := newConsoleInput(o, quit)
	if o.Serial.Kind == "stdio" {
		defer rawTerminal()()
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		for range sigs {
			quit()
		}
	}()
	plugins := plugin.New()
	procMode := kernelMode(model, kernel)
	arch := "i386"
	if procMode == 64 {
		arch = "x86_64"
	}
	if err := plugins.Load(o.Plugins, logw, arch); err != nil {
		flush()
		fatal("%v", err)
	}
	defer plugins.Exit()
	for {
		m := &machine{o: o, log: logw, wake: make(chan struct{}, 1), logInt: o.LogItems["int"], plugins: plugins, procMode: procMode}
		if err := m.build(model, kernel, initrd, serial, disks, in, plugins); err != nil {
			flush()
			fatal("%v", err)
		}
		cur.Store(m)
		if quitting.Load() {
			m.stop(endQuit) // quit while this machine was being built
		}
		m.eng.Run()
		m.close(plugins)
		if quitting.Load() {
			return 0
		}
		switch m.end.Load() {
		case endReset:
			if o.NoReboot {
				return 0
			}
			continue
		case endFailed:
			fmt.Fprintf(os.Stderr, "gemu-system: %s\n", m.msg)
			return 1
		}
		return 0
	}
}

// build makes the machine and loads the kernel into it.
func (m *machine) build(model *x86.CPUModel, kernel, initrd []byte, serial io.Writer, disks []pc.Disk, in *consoleInput, plugins *plugin.Manager) error {
	bus := pc.NewBus()
	phys, err := mem.NewPhys(m.o.MemBytes, bus)
	if err != nil {
		return err
	}
	m.phys = phys
	// Page-table bits from MAXPHYADDR up are reserved: the model says
	// where that is (CPUID 0x80000008).
	phys.AddrBits = uint(model.PhysBits)
	// The board has a local APIC and an IO-APIC: CPUID says so, and the
	// APIC timer counts at the TSC's crystal rate Linux reads from CPUID.
	withAPIC := *model
	withAPIC.APIC = true
	model = &withAPIC
	_, _, _, leaf1EDX := model.CPUID(1, 0)
	m.board, err = pc.NewBoard(pc.BoardConfig{
		Bus:       bus,
		Console:   serial,
		ConsoleIn: in.readerFor(),
		Reset:     func() { m.stop(endReset) },
		Disks:     disks,
		RAM:       phys,

		APIC:         true,
		APICHz:       int64(model.TSCHz),
		CPUSignature: model.Signature(),
		CPUFeatures:  leaf1EDX,
	})
	if err != nil {
		return err
	}
	m.board.RTC.SetMemory(m.o.MemBytes, 0)
	entry, err := pc.LoadKernel(phys.RAM(), m.o.Kernel, kernel, &pc.BootConfig{
		Cmdline:    m.o.Append,
		Initrd:     initrd,
		InitrdName: m.o.Initrd,
		LongMode:   model.LongMode(),
		Reserved:   m.board.Reserved(),
	})
	if err != nil {
		return err
	}
	space := mem.NewSystem(phys)
	m.view = space.NewView()
	c := x86.NewSystemCPU(model)
	c.ProcMode = m.procMode
	m.cpu = c
	c.Mem = m.view
	c.Sys = m
	c.Priv.IO = m.board.Bus
	c.Priv.Intr = m.board.PIC
	if m.board.LAPIC != nil {
		c.Priv.Intr = m.board.LAPIC
		m.board.LAPIC.GlobalEnable = func() bool { return c.Priv.APICBase&(1<<11) != 0 }
	}
	c.Priv.MMU = mmuControl{m}
	m.board.Bus.Kick = m.kick
	if err := entry.Apply(c); err != nil {
		return fmt.Errorf("boot: %v", err)
	}
	m.observe()
	plugins.AttachCPU(c)
	eopts := engine.Options{
		OneInsnPerTB: false,
		NoChain:      m.o.LogItems["nochain"],
		Log:          m.log,
		LogInAsm:     m.o.LogItems["in_asm"],
		LogExec:      m.o.LogItems["exec"],
		LogCPU:       m.o.LogItems["cpu"],
		LogUnimp:     m.o.LogItems["unimp"],
		CountInsns:   plugins.CountInsns(),
	}
	m.eng = engine.New(c, eopts, plugins.Instrumenter(), m.fault)
	return nil
}

// kernelMode returns the architecture plugins see, as the width of the
// kernel's entry: 64 for a 64-bit bzImage on a CPU with long mode (it
// enters at its 64-bit entry), 32 otherwise (a 32-bit kernel, and a
// multiboot kernel, which starts in 32-bit protected mode whatever it does
// next). A plugin written for an i386 kernel, as the seed's syscall_log
// is, reads i386 register numbers on either CPU model, as under
// qemu-system-i386.
func kernelMode(model *x86.CPUModel, kernel []byte) int {
	if !model.LongMode() {
		return 32
	}
	if k, err := pc.ParseBzImage("", kernel); err == nil && k.Is64() {
		return 64
	}
	return 32
}

// close lets go of a machine whose CPU has stopped: its devices' timers
// stop, the plugins forget its CPU (counting its instructions), and its
// RAM is unmapped, so that a guest rebooting in a loop does not pile up
// machines.
func (m *machine) close(plugins *plugin.Manager) {
	m.board.Bus.Close()
	plugins.DetachCPU(m.cpu)
	m.view.Close()
	m.phys.Close()
}

// stop ends the machine for reason (the first reason wins) and wakes the
// CPU; safe from any goroutine.
func (m *machine) stop(reason int32) {
	m.end.CompareAndSwap(running, reason)
	m.cpu.Stop.Store(true)
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// kick is the bus's wake-up: an interrupt became pending (called with
// Bus.Mu held: it only signals).
func (m *machine) kick() {
	m.cpu.Priv.IRQ.Store(true)
	m.cpu.Stop.Store(true)
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// Syscall is never called in system mode: the CPU itself runs SYSCALL,
// SYSENTER and INT through the guest's descriptor tables.
func (m *machine) Syscall(c *x86.CPU, gate x86.Gate) {}

// Interrupt is the engine's stop handler: it delivers a pending interrupt
// when the CPU can take one, sleeps while the CPU is halted, and ends the
// run when the machine stops. It returns false to end Run.
func (m *machine) Interrupt(c *x86.CPU) bool {
	for {
		if m.end.Load() != running {
			c.Exited = true
			return false
		}
		pending := c.Priv.Intr.Pending()
		c.Priv.IRQ.Store(pending)
		if pending && c.IF() {
			if vec, ok := c.Priv.Intr.Ack(); ok {
				if err := c.Interrupt(vec); err != nil {
					m.failOrReset(err)
					continue
				}
			}
			c.Priv.IRQ.Store(c.Priv.Intr.Pending())
			return true
		}
		if !c.Priv.Halted {
			return true
		}
		if !c.IF() {
			// Nothing can wake a CPU halted with interrupts off.
			m.stop(endHalt)
			continue
		}
		<-m.wake
	}
}

// fault delivers a CPU exception through the guest's IDT.
func (m *machine) fault(c *x86.CPU, t *x86.Trap) {
	if err := c.DeliverTrap(t); err != nil {
		m.failOrReset(err)
	}
}

// logDelivery writes a -d int line after an interrupt or exception was
// delivered: a running count, the vector, the error code, whether it was
// a hardware interrupt, where the CPU was and where the handler is, the
// CPL it runs at and, for a page fault, CR2.
func (m *machine) logDelivery(c *x86.CPU, kind x86.DeliveryKind, vec uint8, code int64, from, to uint64) {
	hw := 0
	if kind == x86.DeliveryHardware {
		hw = 1
	}
	e := uint64(0)
	if code >= 0 {
		e = uint64(code)
	}
	fmt.Fprintf(m.log, "%6d: v=%02x e=%04x i=%d from=%016x to=%04x:%016x cpl=%d SP=%04x:%016x", m.nInt, vec, e, hw,
		from, c.Seg[x86.CS], to, c.CPL, c.Seg[x86.SS], c.R[x86.RSP])
	if vec == 14 && kind == x86.DeliveryException {
		fmt.Fprintf(m.log, " CR2=%016x", c.CR2)
	}
	fmt.Fprintln(m.log)
	m.nInt++
}

// observe connects the bus's and the CPU's observers to the plugins and
// the -d log, only for what someone listens to.
func (m *machine) observe() {
	c, bus, p := m.cpu, m.board.Bus, m.plugins
	logIO, logUnassigned := m.o.LogItems["ioport"], m.o.LogItems["guest_errors"] || m.o.LogItems["unimp"]
	if p.WantsPortIO() || logIO {
		bus.OnPortIO = func(port uint16, size int, write bool, v uint32) {
			pc := m.pc()
			if logIO {
				dir := "in "
				if write {
					dir = "out"
				}
				fmt.Fprintf(m.log, "ioport %s %#06x size %d value %#x pc %#x\n", dir, port, size, v, pc)
			}
			p.PortIO(c, pc, port, size, write, v)
		}
	}
	if p.WantsMMIO() {
		bus.OnMMIO = func(addr uint64, size int, write bool, v uint64, dev string) {
			p.MMIO(c, m.pc(), addr, size, write, v, dev)
		}
	}
	if logUnassigned {
		bus.OnUnassigned = func(what string, addr uint64, size int, write bool) {
			dir := "read"
			if write {
				dir = "write"
			}
			fmt.Fprintf(m.log, "gemu-system: %s of unassigned %s %#x (size %d) at pc %#x\n", dir, what, addr, size, m.pc())
		}
	}
	if m.logInt || p.WantsInterrupts() {
		c.Priv.OnInterrupt = func(c *x86.CPU, kind x86.DeliveryKind, vec uint8, code int64, from, to uint64) {
			if m.logInt {
				m.logDelivery(c, kind, vec, code, from, to)
			}
			p.Interrupt(c, plugin.IntKind(kind), vec, code, from, to)
		}
	}
	observer := p.ModeObserver(c)
	logMMU := m.o.LogItems["mmu"]
	names := [4]string{"cr0", "cr3", "cr4", "efer"}
	fpu := c.CR0 & x86.FPUControlBits
	c.Priv.OnModeChange = func(c *x86.CPU, which x86.ModeChange) {
		if which == x86.ChangeCR0 && c.CR0&x86.FPUControlBits != fpu {
			// Blocks are translated for one state of TS, EM and MP.
			fpu = c.CR0 & x86.FPUControlBits
			m.tlbChanged()
		}
		if logMMU {
			now := [4]uint64{c.CR0, c.CR3, c.CR4, c.EFER}[which]
			fmt.Fprintf(m.log, "mmu: %s = %#x at pc %#x\n", names[which], now, m.pc())
		}
		if observer != nil {
			observer(c, which)
		}
	}
}

// pc is the address of the instruction running now (for device events,
// which happen inside one).
func (m *machine) pc() uint64 {
	if m.eng != nil {
		return m.eng.CurrentPC()
	}
	return m.cpu.RIP
}

// failOrReset handles a delivery that could not complete: a triple fault
// resets the machine as on a PC; anything else (a task gate...) is an
// emulation limit that ends the run with a message.
func (m *machine) failOrReset(err error) {
	if errors.Is(err, x86.ErrTripleFault) {
		if m.logInt {
			fmt.Fprintf(m.log, "gemu-system: triple fault at pc %#x\n", m.cpu.RIP)
		}
		m.stop(endReset)
		return
	}
	m.msg = fmt.Sprintf("%v at pc %#x", err, m.cpu.RIP)
	m.stop(endFailed)
}

// mmuControl is the CPU's MMU control: the view's, and the engine told
// that code lookups must be redone.
type mmuControl struct{ m *machine }

func (u mmuControl) SetPaging(cr0, cr3, cr4, efer uint64) {
	u.m.view.SetPaging(cr0, cr3, cr4, efer)
	u.m.tlbChanged()
}
func (u mmuControl) SetUser(user bool) { u.m.view.SetUser(user) }
func (u mmuControl) FlushTLB(global bool) {
	u.m.view.FlushTLB(global)
	u.m.tlbChanged()
}
func (u mmuControl) FlushPage(va uint64) {
	u.m.view.FlushPage(va)
	u.m.tlbChanged()
}

func (m *machine) tlbChanged() {
	if m.eng != nil {
		m.eng.TLBChanged()
	}
}

// openLog opens the -D file (or stderr) behind a buffer; flush must run at
// every exit.
func openLog(name string) (io.Writer, func()) {
	f := os.Stderr
	if name != "" {
		var err error
		if f, err = os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644); err != nil {
			fatal("cannot open log file: %v", err)
		}
	}
	w := logbuf.New(f, 64<<10)
	w.SetErrorHandler(func(err error) { fmt.Fprintf(os.Stderr, "gemu-system: log lost: %v\n", err) })
	return w, func() { w.Flush() }
}

// serialOut opens COM1's destination.
func serialOut(s Serial) (io.Writer, func(), error) {
	switch s.Kind {
	case "none":
		return io.Discard, func() {}, nil
	case "file":
		f, err := os.OpenFile(s.Path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			return nil, nil, fmt.Errorf("-serial: %v", err)
		}
		return f, func() { f.Close() }, nil
	}
	return os.Stdout, func() {}, nil
}

// consoleInput is the terminal's input to COM1 with the Ctrl-A escape
// keys. One goroutine reads stdin for the whole run and writes it into a
// pipe whose other end the current machine's UART reads (a reboot makes a
// new machine, which gets a new pipe). Input typed before the guest reads
// it waits in the pipe, nothing is dropped.
type consoleInput struct {
	mu   sync.Mutex
	cond *sync.Cond
	cur  *io.PipeWriter
	on   bool
}

func newConsoleInput(o *Options, quit func()) *consoleInput {
	ci := &consoleInput{on: o.Serial.Kind == "stdio"}
	ci.cond = sync.NewCond(&ci.mu)
	if !ci.on {
		return ci
	}
	r := &pc.EscapeReader{R: os.Stdin, Quit: quit}
	go func() {
		buf := make([]byte, 256)
		for {
			n, err := r.Read(buf)
			if n > 0 {
				ci.mu.Lock()
				for ci.cur == nil {
					ci.cond.Wait() // no machine yet: keep the input
				}
				w := ci.cur
				ci.mu.Unlock()
				w.Write(buf[:n])
			}
			if err != nil {
				return
			}
		}
	}()
	return ci
}

// readerFor returns the input of the next machine, or nil with no console.
func (ci *consoleInput) readerFor() io.Reader {
	if !ci.on {
		return nil
	}
	r, w := io.Pipe()
	ci.mu.Lock()
	if ci.cur != nil {
		ci.cur.Close()
	}
	ci.cur = w
	ci.cond.Broadcast()
	ci.mu.Unlock()
	return r
}

// openDisks opens the -drive images: read-only ones (readonly=on, or a
// file gemu-system may not write) give the guest a read-only disk.
func openDisks(drives []Drive) ([]pc.Disk, error) {
	var disks []pc.Disk
	for _, d := range drives {
		ro := d.ReadOnly
		var f *os.File
		var err error
		if !ro {
			f, err = os.OpenFile(d.File, os.O_RDWR, 0)
			if errors.Is(err, os.ErrPermission) {
				ro = true
			}
		}
		if ro {
			f, err = os.Open(d.File)
		}
		if err != nil {
			return nil, fmt.Errorf("-drive: %v", err)
		}
		disks = append(disks, pc.Disk{File: f, ReadOnly: ro})
	}
	return disks, nil
}
