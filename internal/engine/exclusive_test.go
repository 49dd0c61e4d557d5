package engine

import (
	"encoding/binary"
	"testing"
	"time"

	"gemu/internal/mem"
	"gemu/internal/x86"
)

// TestExclusiveKicksRunningEngine: an engine running a loop that never
// makes a system call is kicked out of its view by an exclusive section of
// the address space: the section runs while the guest is held (its
// counter does not move), the guest goes on afterwards (a kick is no stop
// without an Interrupter), and once another goroutine unmaps the data
// page, the guest's next access faults there instead of using a stale
// translation.
func TestExclusiveKicksRunningEngine(t *testing.T) {
	// loop: mov eax, [data]; inc eax; mov [data], eax; jmp loop
	code := []byte{0xa1, 0, 0, 0x60, 0, 0x40, 0xa3, 0, 0, 0x60, 0, 0xeb, 0xf3}
	m := newMachine(t, 32, code, Options{}, nil)
	s := m.cpu.Mem.Space
	counter := func() uint32 {
		var b [4]byte
		s.Peek(dataAddr, b[:])
		return binary.LittleEndian.Uint32(b[:])
	}
	waitCount := func(above uint32) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for counter() <= above {
			if time.Now().After(deadline) {
				t.Fatalf("the guest loop does not run (counter %d)", counter())
			}
			time.Sleep(100 * time.Microsecond)
		}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.eng.Run()
	}()
	waitCount(0)

	var before, after uint32
	s.Exclusive(func() {
		before = counter()
		time.Sleep(20 * time.Millisecond)
		after = counter()
	})
	if before != after {
		t.Errorf("the guest ran during the exclusive section: counter %d -> %d", before, after)
	}
	waitCount(after)

	s.Unmap(dataAddr, mem.PageSize)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		m.cpu.Exited = true
		t.Fatal("the guest never faulted after the unmap")
	}
	if len(m.traps) != 1 || m.traps[0].Kind != x86.TrapPage || m.traps[0].Addr != dataAddr {
		t.Fatalf("traps %+v, want one page fault at %#x", m.traps, dataAddr)
	}
}
