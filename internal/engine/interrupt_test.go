package engine

import (
	"testing"

	"gemu/internal/x86"
)

// stopSys is an OS layer whose system calls ask for a stop, as an
// asynchronous signal would, and which answers Interrupt true once.
type stopSys struct {
	interrupts int
	pcs        []uint64
}

func (s *stopSys) Syscall(c *x86.CPU, gate x86.Gate) { c.Stop.Store(true) }

func (s *stopSys) Interrupt(c *x86.CPU) bool {
	s.interrupts++
	s.pcs = append(s.pcs, c.RIP)
	return s.interrupts < 2
}

func TestInterrupter(t *testing.T) {
	// syscall; syscall; hlt
	m := newMachine(t, 64, []byte{0x0f, 0x05, 0x0f, 0x05, 0xf4}, Options{}, nil)
	s := &stopSys{}
	m.cpu.Sys = s
	m.eng.Run()
	if s.interrupts != 2 || s.pcs[0] != codeAddr+2 || s.pcs[1] != codeAddr+4 {
		t.Fatalf("Interrupt called %d times at %#x; want twice, at the block boundaries", s.interrupts, s.pcs)
	}
	if m.cpu.Stop.Load() || m.cpu.Exited || m.cpu.RIP != codeAddr+4 || len(m.traps) != 0 {
		t.Errorf("after Run: stop %v exited %v rip %#x traps %d", m.cpu.Stop.Load(), m.cpu.Exited, m.cpu.RIP, len(m.traps))
	}
}
