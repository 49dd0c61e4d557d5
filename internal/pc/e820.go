package pc

import (
	"fmt"
	"sort"
)

// The guest-physical memory map of the PC: where its RAM appears and the
// E820 table that tells the kernel so (boot_params.e820_table for Linux,
// the memory map of the multiboot information for a multiboot kernel).

// E820 range types (ACPI's address range types, as BIOS INT 15h AX=E820h
// reports them).
const (
	E820RAM      = 1 // usable RAM
	E820Reserved = 2 // reserved: firmware, MMIO
	E820ACPI     = 3 // ACPI tables, reclaimable
	E820NVS      = 4 // ACPI non-volatile storage
	E820Unusable = 5
)

// E820Entry is one range of the memory map.
type E820Entry struct {
	Addr, Size uint64
	Type       uint32
}

// End returns the first address after the range.
func (e E820Entry) End() uint64 { return e.Addr + e.Size }

func (e E820Entry) String() string {
	return fmt.Sprintf("[%#x-%#x) type %d", e.Addr, e.End(), e.Type)
}

// Fixed parts of the low megabyte, as on a PC with a BIOS: the top 1 KiB
// of conventional memory is the extended BIOS data area and 0xf0000-
// 0xfffff the BIOS; both are reserved even though no BIOS runs (Linux
// looks there for an MP table and an ACPI RSDP).
const (
	lowRAMEnd   = 0x9fc00  // end of usable conventional memory (639 KiB)
	ebdaEnd     = 0xa0000  // the EBDA ends at the VGA window
	biosStart   = 0xf0000  // the system BIOS area
	highRAMBase = 0x100000 // extended memory starts at 1 MiB
	fourGiB     = 1 << 32
)

// RAMHoleStart is where usable RAM below 4 GiB ends when the machine has
// more than that much: [RAMHoleStart, 4 GiB) is left to MMIO (PCI BARs,
// the IO-APIC, the local APIC).
const RAMHoleStart = 0xc0000000

// RAMLayout says which physical addresses of a machine's RAM the memory
// map offers the guest. RAM is one host block at physical addresses
// [0, Size) (mem.Phys: devices' MMIO ranges take precedence over it), so
// a RAM byte's physical address is its offset in the block. When Size
// passes RAMHoleStart, the RAM behind the PCI hole [RAMHoleStart, 4 GiB)
// is left unused (not in the E820 map) and only RAM from 4 GiB on is
// offered above it: a machine with -m 4G has 3 GiB of usable RAM.
type RAMLayout struct {
	Size uint64 // bytes of RAM
	Low  uint64 // usable RAM below the hole: [0, Low)
}

// NewRAMLayout returns the layout of size bytes of RAM.
func NewRAMLayout(size uint64) RAMLayout {
	return RAMLayout{Size: size, Low: min(size, RAMHoleStart)}
}

// High returns the bytes of usable RAM from 4 GiB on.
func (l RAMLayout) High() uint64 {
	if l.Size > fourGiB {
		return l.Size - fourGiB
	}
	return 0
}

// End returns the first physical address after the highest usable RAM.
func (l RAMLayout) End() uint64 {
	if l.High() > 0 {
		return l.Size
	}
	return l.Low
}

// Offset returns the offset in the RAM block of the n bytes at physical
// address pa, or false if they are not all usable RAM.
func (l RAMLayout) Offset(pa, n uint64) (uint64, bool) {
	if pa+n < pa {
		return 0, false
	}
	if pa+n <= l.Low || pa >= fourGiB && pa+n <= l.Size {
		return pa, true
	}
	return 0, false
}

// E820Max is the capacity of boot_params.e820_table.
const E820Max = 128

// E820Map returns the memory map of a PC with RAM laid out as l: usable
// conventional memory up to 0x9fc00, the EBDA and the BIOS area reserved,
// usable RAM from 1 MiB to the end of low RAM and above 4 GiB, and the
// ranges in reserved (the board's MMIO: IO-APIC, local APIC, ...) added as
// given. The result is sorted by address. Reserved ranges that overlap RAM
// or each other, or a RAM smaller than 2 MiB, are errors.
func E820Map(l RAMLayout, reserved []E820Entry) ([]E820Entry, error) {
	if l.Low < 2<<20 {
		return nil, fmt.Errorf("RAM of %d KiB is too small: at least 2 MiB are needed", l.Size>>10)
	}
	m := []E820Entry{
		{0, lowRAMEnd, E820RAM},
		{lowRAMEnd, ebdaEnd - lowRAMEnd, E820Reserved},
		{biosStart, highRAMBase - biosStart, E820Reserved},
		{highRAMBase, l.Low - highRAMBase, E820RAM},
	}
	if l.High() > 0 {
		m = append(m, E820Entry{fourGiB, l.High(), E820RAM})
	}
	for _, r := range reserved {
		if r.Size == 0 || r.Addr+r.Size < r.Addr {
			return nil, fmt.Errorf("bad memory map range %v", r)
		}
		for _, o := range m {
			if r.Addr < o.End() && o.Addr < r.End() {
				return nil, fmt.Errorf("memory map range %v overlaps %v", r, o)
			}
		}
		m = append(m, r)
	}
	if len(m) > E820Max {
		return nil, fmt.Errorf("memory map of %d ranges: at most %d fit in boot_params", len(m), E820Max)
	}
	sort.Slice(m, func(i, j int) bool { return m[i].Addr < m[j].Addr })
	return m, nil
}
