package engine

import (
	"sync"
	"testing"

	"gemu/internal/mem"
	"gemu/internal/x86"
)

// postSys is the OS layer of a CPU spinning in a loop while another
// goroutine posts invalidations to its engine: Interrupt, on the engine's
// goroutine, records what the engine holds and ends the run once told to.
type postSys struct {
	eng        *Engine
	interrupts int
	blocks     []int // len(eng.blocks) at each Interrupt
	done       chan struct{}
}

func (s *postSys) Syscall(c *x86.CPU, gate x86.Gate) {}

func (s *postSys) Interrupt(c *x86.CPU) bool {
	s.interrupts++
	s.blocks = append(s.blocks, len(s.eng.blocks))
	select {
	case <-s.done:
		return false
	default:
		return true
	}
}

// blockSignal is an instrumenter whose block hook reports each block run,
// once the run is past its first block.
type blockSignal struct{ ran chan struct{} }

func (b *blockSignal) InsnHook(c *x86.CPU, pc uint64) Hook      { return nil }
func (b *blockSignal) MemHook(c *x86.CPU, pc uint64) mem.Tracer { return nil }
func (b *blockSignal) BlockHook(c *x86.CPU, pc uint64) Hook {
	return func(c *x86.CPU, pc uint64) {
		select {
		case b.ran <- struct{}{}:
		default:
		}
	}
}

// TestPostInvalidate runs a CPU in an endless loop on one goroutine while
// another posts invalidations of its code page: the engine drops the block
// at its next block boundary, before Interrupt (and before it runs the
// code again), and translates it anew; a page it holds no code of changes
// nothing. Run with -race: the engine's tables are touched only by its
// own goroutine.
func TestPostInvalidate(t *testing.T) {
	// loop: inc eax; jmp loop
	bs := &blockSignal{ran: make(chan struct{}, 1)}
	m := newMachine(t, 64, []byte{0xff, 0xc0, 0xeb, 0xfc}, Options{}, bs)
	s := &postSys{eng: m.eng, done: make(chan struct{})}
	m.cpu.Sys = s
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		m.eng.Run()
	}()
	// A block began after the last post was applied: the first signal
	// may be older than the post, the second's block may have checked for
	// a stop before it, the third's block began after that one ended.
	wait := func() { <-bs.ran; <-bs.ran; <-bs.ran }
	wait()
	m.eng.PostInvalidate(dataAddr) // no code there
	wait()
	m.eng.PostInvalidate(codeAddr + 0x123)
	wait()
	// Two goroutines posting at once while it runs.
	var wg sync.WaitGroup
	for g := 0; g < 2; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < maxPosted; i++ {
				m.eng.InvalidatePage(dataAddr+uint64(g*maxPosted+i)<<mem.PageShift, false)
			}
		}()
	}
	wg.Wait()
	wait()
	close(s.done)
	m.eng.PostInvalidate(dataAddr) // a stop to end the run
	<-finished

	if len(s.blocks) < 4 {
		t.Fatalf("Interrupt ran %d times, want one per post at least: %v", s.interrupts, s.blocks)
	}
	// The loop is one block: 1 while it lives, 0 after the post of its
	// page, before it is translated again.
	if s.blocks[0] != 1 || s.blocks[1] != 0 {
		t.Errorf("blocks at each Interrupt: %v, want 1, 0, ...", s.blocks)
	}
	if m.eng.Translated < 2 {
		t.Errorf("translated %d blocks, want 2 at least (the loop, again after its drop)", m.eng.Translated)
	}
	if m.cpu.R[x86.RAX] == 0 {
		t.Error("the loop never ran")
	}
}

// TestPostedBeforeRun: an invalidation posted while the engine is not
// running is applied when Run starts, even if the stop it set was cleared.
func TestPostedBeforeRun(t *testing.T) {
	m := newMachine(t, 64, []byte{0x0f, 0x05, 0xf4}, Options{}, nil) // syscall; hlt
	s := &stopSys{}
	m.cpu.Sys = s
	m.eng.Run() // stops at the syscall: Interrupt says true, then hlt ends it
	if m.eng.Translated != 2 || len(m.eng.blocks) != 2 {
		t.Fatalf("translated %d, holding %d", m.eng.Translated, len(m.eng.blocks))
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.eng.PostInvalidate(codeAddr)
	}()
	<-done
	m.cpu.Stop.Store(false)
	m.cpu.Exited, m.cpu.RIP, m.traps = false, codeAddr+2, nil
	m.eng.Run()
	if m.eng.Translated != 3 || len(m.traps) != 1 {
		t.Fatalf("after the post: translated %d (want 3: hlt again), traps %v", m.eng.Translated, m.traps)
	}
	// More pages than the queue holds: every block goes.
	for i := uint64(0); i <= maxPosted; i++ {
		m.eng.PostInvalidate(dataAddr + i<<mem.PageShift)
	}
	m.cpu.Exited, m.cpu.RIP, m.traps, s.interrupts = false, codeAddr+2, nil, 0
	m.eng.Run() // the stop goes to Interrupt, which says go on
	if m.eng.Translated != 4 || len(m.eng.blocks) != 1 {
		t.Fatalf("after the flood: translated %d (want 4: hlt again), holding %d blocks (want 1)", m.eng.Translated, len(m.eng.blocks))
	}
}

// pokeDuring is an instrumenter that, the first time it is asked about
// an instruction, stores to guest code the way another thread could while
// the block is being translated: after its bytes were fetched, before the
// page is marked as code.
type pokeDuring struct {
	m    *mem.Space
	addr uint64
	b    []byte
	done bool
}

func (p *pokeDuring) InsnHook(c *x86.CPU, pc uint64) Hook {
	if !p.done {
		p.done = true
		p.m.Poke(p.addr, p.b)
	}
	return nil
}
func (p *pokeDuring) BlockHook(c *x86.CPU, pc uint64) Hook     { return nil }
func (p *pokeDuring) MemHook(c *x86.CPU, pc uint64) mem.Tracer { return nil }

// TestTranslateSeesLateStore: a store that lands while a block is being
// translated, before its page is marked as code, is not reported to
// OnCodeWrite; the translation notices the changed bytes and runs again.
func TestTranslateSeesLateStore(t *testing.T) {
	p := &pokeDuring{addr: codeAddr + 1, b: []byte{2}}
	m := newMachine(t, 64, []byte{0xb8, 1, 0, 0, 0, 0xf4}, Options{}, p) // mov eax, 1; hlt
	p.m = m.cpu.Mem.Space
	m.run(t)
	if got := m.cpu.R[x86.RAX]; got != 2 {
		t.Fatalf("eax = %d, want 2 (the code as stored during the translation)", got)
	}
}
