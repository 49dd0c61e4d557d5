package mem_test

import (
	"gemu/internal/mem"
	"gemu/internal/pc"
	"gemu/internal/x86"
)

// A system-mode view is the CPU's MMU, physical memory is what devices
// doing DMA see, and the board's bus is the MMU's MMIO bus.
var (
	_ x86.MMUControl = (*mem.View)(nil)
	_ pc.GuestRAM    = (*mem.Phys)(nil)
	_ mem.MMIOBus    = (*pc.Bus)(nil)
)
