package mem_test

import (
	"gemu/internal/mem"
	"gemu/internal/x86"
)

// A system-mode view is the CPU's MMU.
var _ x86.MMUControl = (*mem.View)(nil)
