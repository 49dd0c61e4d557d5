// Package pc is the PC that gemu-system emulates: guest RAM and the boot
// loader that fills it (the x86 Linux boot protocol), the buses (I/O ports,
// MMIO, interrupt lines) and the devices on them, one file per device.
//
// Concurrency: the machine's device state is guarded by one lock, Bus.Mu.
// The CPU takes it around each port or MMIO access; a device's timers and
// its host-side goroutines (the console reader, a timer firing) take it
// before they touch device state. Device methods are called with Mu held
// and never take it themselves. An interrupt line is raised or lowered
// with Mu held too; the interrupt controller that notices a new pending
// interrupt wakes the CPU through the Bus's Kick.
package pc

import (
	"sort"
	"sync"
	"time"
)

// PortDevice is a device register block in the I/O port space. port is
// the absolute port number; size is 1, 2 or 4.
type PortDevice interface {
	ReadPort(port uint16, size int) uint32
	WritePort(port uint16, size int, v uint32)
}

// MMIODevice is a device register block in the physical address space.
// off is the offset from the start of the block the device was mapped
// at; size is 1, 2, 4 or 8.
type MMIODevice interface {
	ReadMMIO(off uint64, size int) uint64
	WriteMMIO(off uint64, size int, v uint64)
}

// IRQ is one interrupt line, as a device sees it: level true raises it,
// false lowers it. An edge-triggered input takes a raise after a lower
// as an edge. Call with Bus.Mu held.
type IRQ func(level bool)

// portRange maps ports [lo, hi] to a device.
type portRange struct {
	lo, hi uint16
	dev    PortDevice
}

// mmioRange maps physical addresses [base, base+size) to a device.
type mmioRange struct {
	base, size uint64
	dev        MMIODevice
	name       string
}

// Bus is the machine's I/O port and MMIO space and the lock that guards
// every device.
type Bus struct {
	Mu sync.Mutex

	ports []portRange // sorted by lo, not overlapping
	mmio  []mmioRange // sorted by base, not overlapping

	// Kick wakes the CPU when an interrupt becomes pending (it sets
	// CPU.Stop and wakes a halted CPU). Set by the board; called with Mu
	// held, so it must only signal.
	Kick func()

	// OnPortIO, if set, observes every port access after it completed
	// (plugins, -d ioport): write says the direction, v the value read
	// or written. Called with Mu held.
	OnPortIO func(port uint16, size int, write bool, v uint32)
	// OnMMIO, likewise, observes every MMIO access.
	OnMMIO func(addr uint64, size int, write bool, v uint64, dev string)
	// OnUnassigned, if set, sees accesses no device claims (-d unimp,
	// guest_errors).
	OnUnassigned func(what string, addr uint64, size int, write bool)

	// start is the machine's time zero (Now).
	start time.Time
	// closed: the machine is gone (Close); timers that fire do nothing
	// and so re-arm nothing.
	closed bool
}

// Close ends the bus's machine: its devices' timers fire no more (a
// reboot builds a new machine; the old one's periodic timers must not go
// on). Call it once the CPU no longer runs.
func (b *Bus) Close() {
	b.Mu.Lock()
	b.closed = true
	b.Mu.Unlock()
}

// NewBus returns an empty bus whose clock starts now.
func NewBus() *Bus { return &Bus{start: time.Now()} }

// Now returns the machine's time in nanoseconds since it was made: host
// monotonic time, so that guest timers run at the host's pace.
func (b *Bus) Now() int64 { return int64(time.Since(b.start)) }

// AfterFunc runs f with Mu held once d has passed, on another goroutine;
// the returned timer's Stop cancels it (call it with Mu held: a timer that
// already fired and waits for the lock sees that it was stopped and does
// nothing).
func (b *Bus) AfterFunc(d time.Duration, f func()) *Timer {
	t := &Timer{}
	t.t = time.AfterFunc(d, func() {
		b.Mu.Lock()
		defer b.Mu.Unlock()
		if !t.stopped && !b.closed {
			f()
		}
	})
	return t
}

// Timer is a pending AfterFunc.
type Timer struct {
	t       *time.Timer
	stopped bool
}

// Stop cancels the timer; call it with Bus.Mu held.
func (t *Timer) Stop() {
	if t == nil {
		return
	}
	t.stopped = true
	t.t.Stop()
}

// MapPorts gives ports [lo, hi] to dev. Overlapping ranges are a board
// bug: MapPorts panics on one.
func (b *Bus) MapPorts(lo, hi uint16, dev PortDevice) {
	for _, r := range b.ports {
		if lo <= r.hi && r.lo <= hi {
			panic("pc: overlapping port ranges")
		}
	}
	b.ports = append(b.ports, portRange{lo, hi, dev})
	sort.Slice(b.ports, func(i, j int) bool { return b.ports[i].lo < b.ports[j].lo })
}

// UnmapPorts removes the range starting at lo that MapPorts gave dev (a
// PCI BAR moving), if there is one.
func (b *Bus) UnmapPorts(lo uint16, dev PortDevice) {
	for i, r := range b.ports {
		if r.lo == lo && r.dev == dev {
			b.ports = append(b.ports[:i], b.ports[i+1:]...)
			return
		}
	}
}

// MapMMIO gives physical addresses [base, base+size) to dev, named for
// traces (plugins' MMIO events, -d unimp).
func (b *Bus) MapMMIO(base, size uint64, name string, dev MMIODevice) {
	for _, r := range b.mmio {
		if base < r.base+r.size && r.base < base+size {
			panic("pc: overlapping MMIO ranges")
		}
	}
	b.mmio = append(b.mmio, mmioRange{base, size, dev, name})
	sort.Slice(b.mmio, func(i, j int) bool { return b.mmio[i].base < b.mmio[j].base })
}

// UnmapMMIO removes the range at base that MapMMIO gave dev, if any.
func (b *Bus) UnmapMMIO(base uint64, dev MMIODevice) {
	for i, r := range b.mmio {
		if r.base == base && r.dev == dev {
			b.mmio = append(b.mmio[:i], b.mmio[i+1:]...)
			return
		}
	}
}

func (b *Bus) findPort(port uint16) PortDevice {
	i := sort.Search(len(b.ports), func(i int) bool { return b.ports[i].hi >= port })
	if i < len(b.ports) && b.ports[i].lo <= port {
		return b.ports[i].dev
	}
	return nil
}

// FindMMIO returns the MMIO range holding physical address addr.
func (b *Bus) findMMIO(addr uint64) *mmioRange {
	i := sort.Search(len(b.mmio), func(i int) bool { return b.mmio[i].base+b.mmio[i].size > addr })
	if i < len(b.mmio) && b.mmio[i].base <= addr {
		return &b.mmio[i]
	}
	return nil
}

// In reads a port for the CPU (x86.PortBus): it takes Mu.
func (b *Bus) In(port uint16, size int) uint32 {
	b.Mu.Lock()
	defer b.Mu.Unlock()
	var v uint32
	if d := b.findPort(port); d != nil {
		v = d.ReadPort(port, size)
	} else {
		v = ^uint32(0)
		if b.OnUnassigned != nil {
			b.OnUnassigned("port", uint64(port), size, false)
		}
	}
	v &= ^uint32(0) >> (32 - 8*size)
	if b.OnPortIO != nil {
		b.OnPortIO(port, size, false, v)
	}
	return v
}

// Out writes a port for the CPU (x86.PortBus): it takes Mu.
func (b *Bus) Out(port uint16, size int, v uint32) {
	b.Mu.Lock()
	defer b.Mu.Unlock()
	v &= ^uint32(0) >> (32 - 8*size)
	if d := b.findPort(port); d != nil {
		d.WritePort(port, size, v)
	} else if b.OnUnassigned != nil {
		b.OnUnassigned("port", uint64(port), size, true)
	}
	if b.OnPortIO != nil {
		b.OnPortIO(port, size, true, v)
	}
}

// IsMMIO reports whether a device claims physical address addr, so that
// the MMU sends accesses there to ReadMMIO and WriteMMIO instead of RAM.
func (b *Bus) IsMMIO(addr uint64) bool {
	b.Mu.Lock()
	defer b.Mu.Unlock()
	return b.findMMIO(addr) != nil
}

// ReadMMIO is a CPU load from device memory at physical address addr: it
// takes Mu. Unclaimed addresses read as all ones.
func (b *Bus) ReadMMIO(addr uint64, size int) uint64 {
	b.Mu.Lock()
	defer b.Mu.Unlock()
	v := ^uint64(0)
	name := ""
	if r := b.findMMIO(addr); r != nil {
		v = r.dev.ReadMMIO(addr-r.base, size)
		name = r.name
	} else if b.OnUnassigned != nil {
		b.OnUnassigned("mmio", addr, size, false)
	}
	v &= ^uint64(0) >> (64 - 8*size)
	if b.OnMMIO != nil {
		b.OnMMIO(addr, size, false, v, name)
	}
	return v
}

// WriteMMIO is a CPU store to device memory at physical address addr.
func (b *Bus) WriteMMIO(addr uint64, size int, v uint64) {
	b.Mu.Lock()
	defer b.Mu.Unlock()
	v &= ^uint64(0) >> (64 - 8*size)
	name := ""
	if r := b.findMMIO(addr); r != nil {
		r.dev.WriteMMIO(addr-r.base, size, v)
		name = r.name
	} else if b.OnUnassigned != nil {
		b.OnUnassigned("mmio", addr, size, true)
	}
	if b.OnMMIO != nil {
		b.OnMMIO(addr, size, true, v, name)
	}
}
