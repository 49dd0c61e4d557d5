package mem

import (
	"fmt"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// Guest-physical memory for system mode (gemu-system).
//
// A Phys is the machine's RAM, host memory mapped outside the Go heap, at
// physical addresses [0, Size()), and an MMIO bus for the addresses the
// devices claim. A CPU access (through a system-mode View, mmu.go) to a
// physical address a device claims goes to the bus, whatever lies below
// it; an access to an address that is neither RAM nor claimed goes to the
// bus as well, which reads it as all ones and drops the write (and tells
// its observers); without a bus such an access reads all ones and a store
// is dropped. The MMU asks the bus about the address it translates when
// it fills a cache entry for a page of RAM, so a device range that
// overlaps RAM must cover whole pages (as PC device ranges do).
//
// The boot loader and devices doing DMA use Read, Write and RAM: RAM only,
// never the bus (a device holds the bus's lock while it works, and the
// bus's lock is not reentrant).
//
// Code tracking is by physical page: a system-mode View marks the pages it
// translated code from (View.MarkCode), and a store to a marked page,
// by the CPU through any linear alias or by Write, reports the page's
// physical address to the Space's OnCodeWrite before it lands.

// MMIOBus is the machine's device bus as the MMU sees it (pc.Bus
// implements it).
type MMIOBus interface {
	// IsMMIO reports whether a device claims physical address pa.
	IsMMIO(pa uint64) bool
	// ReadMMIO loads size (1, 2, 4 or 8) bytes at pa.
	ReadMMIO(pa uint64, size int) uint64
	// WriteMMIO stores the low size bytes of v at pa.
	WriteMMIO(pa uint64, size int, v uint64)
}

// DefaultPhysAddrBits is a Phys's MAXPHYADDR unless set otherwise: the
// width a CPU with PAE but without CPUID leaf 0x80000008 has.
const DefaultPhysAddrBits = 36

// Phys is guest-physical memory: RAM and an MMIO bus.
type Phys struct {
	ram []byte // the RAM, mmap'd; len(ram) is a multiple of PageSize
	bus MMIOBus
	// code holds 1 for every RAM page marked as holding translated code.
	code []atomic.Uint32
	// space is the system-mode Space over this memory (NewSystem), whose
	// OnCodeWrite receives the reports.
	space *Space

	// AddrBits is MAXPHYADDR, the physical address width the CPU claims
	// (CPUID 0x80000008 EAX[7:0]): page-table entry bits from it up to
	// bit 51 (62 with PAE paging) are reserved, and setting one makes a
	// reserved-bit page fault. Set it before the CPU runs.
	AddrBits uint
}

// NewPhys returns physical memory with size bytes of RAM (rounded up to
// whole pages) at address 0, zero filled, and bus for the addresses the
// devices claim (nil: none).
func NewPhys(size uint64, bus MMIOBus) (*Phys, error) {
	size = (size + PageMask) &^ PageMask
	if size == 0 || size > 1<<46 {
		return nil, fmt.Errorf("mem: unusable RAM size %#x", size)
	}
	ram, err := syscall.Mmap(-1, 0, int(size), syscall.PROT_READ|syscall.PROT_WRITE,
		syscall.MAP_PRIVATE|syscall.MAP_ANON|syscall.MAP_NORESERVE)
	if err != nil {
		return nil, fmt.Errorf("mem: mapping %d MiB of guest RAM: %v", size>>20, err)
	}
	return &Phys{ram: ram, bus: bus, code: make([]atomic.Uint32, size>>PageShift), AddrBits: DefaultPhysAddrBits}, nil
}

// Close unmaps the RAM. Nothing may use p, its spaces or their views
// afterwards (gemu-system calls it when a reboot replaces the machine,
// once its CPU has stopped and the plugins have let go of it).
func (p *Phys) Close() error {
	ram := p.ram
	p.ram = nil
	if ram == nil {
		return nil
	}
	return syscall.Munmap(ram)
}

// RAM returns the RAM's bytes, physical address 0 first, for the boot
// loader and for devices' DMA. Stores into it bypass code tracking: use
// Write for memory that may hold code the CPU ran.
func (p *Phys) RAM() []byte { return p.ram }

// Size returns the RAM's size in bytes.
func (p *Phys) Size() uint64 { return uint64(len(p.ram)) }

// inRAM reports whether the n bytes at pa are RAM.
func (p *Phys) inRAM(pa, n uint64) bool {
	return pa < uint64(len(p.ram)) && n <= uint64(len(p.ram))-pa
}

// Read copies the RAM at physical address pa into dst; it fails, copying
// nothing, if the range is not all RAM.
//
//go:norace
func (p *Phys) Read(pa uint64, dst []byte) error {
	if !p.inRAM(pa, uint64(len(dst))) {
		return fmt.Errorf("mem: physical range %#x+%#x is not RAM", pa, len(dst))
	}
	copyGuest(dst, p.ram[pa:])
	return nil
}

// Write copies src into the RAM at physical address pa; it fails, writing
// nothing, if the range is not all RAM. The code pages it writes to are
// reported (OnCodeWrite) first and lose their marks.
//
//go:norace
func (p *Phys) Write(pa uint64, src []byte) error {
	if !p.inRAM(pa, uint64(len(src))) {
		return fmt.Errorf("mem: physical range %#x+%#x is not RAM", pa, len(src))
	}
	if len(src) > 0 {
		for pn := pa >> PageShift; pn <= (pa+uint64(len(src))-1)>>PageShift; pn++ {
			p.codeWrite(pn)
		}
	}
	copyGuest(p.ram[pa:], src)
	return nil
}

// ReadPhys is a device's DMA read (pc.GuestRAM): dst receives the RAM at
// pa, and all ones for the bytes that are not RAM.
//
//go:norace
func (p *Phys) ReadPhys(pa uint64, dst []byte) {
	n := p.ramPart(pa, uint64(len(dst)))
	if n > 0 {
		copyGuest(dst[:n], p.ram[pa:])
	}
	for i := n; i < len(dst); i++ {
		dst[i] = 0xff
	}
}

// WritePhys is a device's DMA write (pc.GuestRAM): src lands in the RAM at
// pa, reporting code pages first as Write does; the bytes that are not
// RAM are dropped.
func (p *Phys) WritePhys(pa uint64, src []byte) {
	if n := p.ramPart(pa, uint64(len(src))); n > 0 {
		p.Write(pa, src[:n])
	}
}

// ramPart returns how many of the n bytes at pa, from the first, are RAM.
func (p *Phys) ramPart(pa, n uint64) int {
	if pa >= uint64(len(p.ram)) {
		return 0
	}
	return int(min(n, uint64(len(p.ram))-pa))
}

// ramPage returns the RAM page holding physical address pa for a CPU
// access, or nil if pa is not RAM or a device claims it (asking the bus,
// which takes its lock: not for callers that may hold it).
func (p *Phys) ramPage(pa uint64) *[PageSize]byte {
	if pa >= uint64(len(p.ram)) || p.bus != nil && p.bus.IsMMIO(pa) {
		return nil
	}
	return (*[PageSize]byte)(p.ram[pa&^PageMask:])
}

// ramOnly is ramPage without asking the bus: the RAM page under pa, for
// the debugger's and the translator's accesses.
func (p *Phys) ramOnly(pa uint64) *[PageSize]byte {
	if pa >= uint64(len(p.ram)) {
		return nil
	}
	return (*[PageSize]byte)(p.ram[pa&^PageMask:])
}

// ioRead is a CPU load of n bytes at pa that is not RAM: the bus's, or all
// ones.
func (p *Phys) ioRead(pa uint64, n int) uint64 {
	if p.bus == nil {
		return sizeMask(n)
	}
	return p.bus.ReadMMIO(pa, n) & sizeMask(n)
}

// ioWrite is a CPU store of n bytes at pa that is not RAM.
func (p *Phys) ioWrite(pa uint64, n int, x uint64) {
	if p.bus != nil {
		p.bus.WriteMMIO(pa, n, x&sizeMask(n))
	}
}

// entry returns a pointer to the aligned word of a page-table entry at
// physical address pa (4-byte aligned), or nil if that is not RAM (the
// walk reads such an entry as all ones and sets no bit in it).
func (p *Phys) entry(pa uint64) *uint32 {
	pa &^= 3
	if pa >= uint64(len(p.ram)) {
		return nil
	}
	return (*uint32)(unsafe.Pointer(&p.ram[pa]))
}

// load32 and load64 read a page-table entry atomically.
func (p *Phys) load32(pa uint64) uint32 {
	if e := p.entry(pa); e != nil {
		return atomic.LoadUint32(e)
	}
	return ^uint32(0)
}

func (p *Phys) load64(pa uint64) uint64 {
	pa &^= 7
	if pa >= uint64(len(p.ram)) {
		return ^uint64(0)
	}
	return atomic.LoadUint64((*uint64)(unsafe.Pointer(&p.ram[pa])))
}

// setBits ORs bits into the 32-bit word at pa atomically, as the
// processor sets accessed and dirty flags (a locked operation).
func (p *Phys) setBits(pa uint64, bits uint32) {
	if e := p.entry(pa); e != nil {
		atomic.OrUint32(e, bits)
	}
}

// isCode reports whether RAM page pn is marked as code.
func (p *Phys) isCode(pn uint64) bool {
	return pn < uint64(len(p.code)) && p.code[pn].Load() != 0
}

// codeWrite drops RAM page pn's code mark, if it has one, and reports the
// page to the space's OnCodeWrite.
func (p *Phys) codeWrite(pn uint64) {
	if pn < uint64(len(p.code)) && p.code[pn].Load() != 0 && p.code[pn].CompareAndSwap(1, 0) {
		if s := p.space; s != nil && s.OnCodeWrite != nil {
			s.OnCodeWrite(pn << PageShift)
		}
	}
}
