package mem

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// vcpu runs a loop on a view of its own in a goroutine, the way the
// engine does: entered while it runs, kicked by exclusive sections, which
// it lets through by leaving and entering again at its next "block
// boundary" (an iteration).
type vcpu struct {
	v      *View
	kicks  atomic.Int32
	kicked atomic.Bool
	stop   atomic.Bool
	iters  atomic.Int64
	done   chan struct{}
}

// startVCPU enters a new view of s and calls step in a loop until stopped
// or until step returns false. step runs entered, as guest code does.
func startVCPU(s *Space, step func(v *View) bool) *vcpu {
	c := &vcpu{v: s.NewView(), done: make(chan struct{})}
	c.v.SetKick(func() {
		c.kicks.Add(1)
		c.kicked.Store(true)
	})
	entered := make(chan struct{})
	go func() {
		defer close(c.done)
		c.v.Enter()
		close(entered)
		defer c.v.Leave()
		for !c.stop.Load() {
			if c.kicked.Swap(false) {
				c.v.Leave()
				c.v.Enter()
			}
			if !step(c.v) {
				return
			}
			c.iters.Add(1)
		}
	}()
	<-entered
	return c
}

// waitIters waits until the vCPU has run n more iterations.
func (c *vcpu) waitIters(t *testing.T, n int64) {
	t.Helper()
	want := c.iters.Load() + n
	deadline := time.Now().Add(10 * time.Second)
	for c.iters.Load() < want {
		select {
		case <-c.done:
			t.Fatal("vCPU loop ended early")
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("vCPU loop makes no progress")
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// waitEnd waits for the loop to end by itself (its step returned false),
// failing the test if it still runs after a while.
func (c *vcpu) waitEnd(t *testing.T, what string) {
	t.Helper()
	select {
	case <-c.done:
	case <-time.After(5 * time.Second):
		c.end()
		t.Fatalf("the vCPU loop never stopped: %s", what)
	}
}

func (c *vcpu) end() {
	c.stop.Store(true)
	<-c.done
}

// TestUnmapShootsDownRunningView: a view that keeps loading from a page in
// another goroutine, with the translation cached, faults on its first
// access that starts after Unmap returned; likewise a store after a
// Protect that took write permission away. The loop kept running while
// the changes were made, so they went through exclusive sections that
// kicked it.
func TestUnmapShootsDownRunningView(t *testing.T) {
	s := New(1 << 32)
	s.Map(0x10000, 2*PageSize, Read|Write)
	w := s.NewView()
	w.Store32(0x10000, 7)
	w.Store32(0x11000, 9)

	var after atomic.Bool // set once Unmap has returned
	var stale atomic.Int64
	var fault atomic.Pointer[Fault]
	c := startVCPU(s, func(v *View) bool {
		late := after.Load()
		f := catchFault(func() {
			if v.Load32(0x10000) != 7 {
				stale.Add(1)
			}
		})
		if f != nil {
			fault.Store(f)
			return false
		}
		if late {
			stale.Add(1)
		}
		return true
	})
	c.waitIters(t, 100)
	s.Unmap(0x10000, PageSize)
	after.Store(true)
	c.waitEnd(t, "no fault after Unmap")
	if n := stale.Load(); n != 0 {
		t.Errorf("%d loads after Unmap returned hit a stale translation", n)
	}
	if f := fault.Load(); f == nil || !f.Unmapped || f.Addr != 0x10000 {
		t.Errorf("fault after Unmap: %+v, want unmapped at 0x10000", f)
	}
	if c.kicks.Load() == 0 {
		t.Error("the running view was never kicked")
	}

	after.Store(false)
	fault.Store(nil)
	c = startVCPU(s, func(v *View) bool {
		late := after.Load()
		f := catchFault(func() { v.Store32(0x11000, 9) })
		if f != nil {
			fault.Store(f)
			return false
		}
		if late {
			stale.Add(1)
		}
		return true
	})
	c.waitIters(t, 100)
	if err := s.Protect(0x11000, PageSize, Read); err != nil {
		t.Fatal(err)
	}
	after.Store(true)
	c.waitEnd(t, "no fault after Protect")
	if n := stale.Load(); n != 0 {
		t.Errorf("%d stores after Protect returned hit a stale translation", n)
	}
	if f := fault.Load(); f == nil || f.Unmapped || f.Access != AccWrite || f.Addr != 0x11000 {
		t.Errorf("fault after Protect: %+v, want a write protection fault at 0x11000", f)
	}
}

// TestExclusiveWaitsAndKicks: Exclusive kicks a running view and runs its
// function only once the view has left; a view entering meanwhile waits
// until the section ends; with no view running, the section runs at once
// without kicking anyone.
func TestExclusiveWaitsAndKicks(t *testing.T) {
	s := New(1 << 32)
	// The second view first: NewView's own exclusive section would kick
	// a running vCPU too (and whether it found it running is timing).
	other := s.NewView()
	c := startVCPU(s, func(v *View) bool { return true })
	c.waitIters(t, 10)

	var entered atomic.Bool
	enterDone := make(chan struct{})
	ran := false
	s.Exclusive(func() {
		ran = true
		if c.v.running.Load() {
			t.Error("the section runs while the view is entered")
		}
		if c.kicks.Load() != 1 {
			t.Errorf("%d kicks, want 1", c.kicks.Load())
		}
		go func() {
			other.Enter()
			entered.Store(true)
			close(enterDone)
		}()
		time.Sleep(20 * time.Millisecond)
		if entered.Load() {
			t.Error("Enter returned inside an exclusive section")
		}
	})
	if !ran {
		t.Fatal("the section's function did not run")
	}
	<-enterDone
	c.waitIters(t, 10) // the loop runs again
	c.end()

	// other is entered and its goroutine has moved on: a section now
	// waits for it to leave.
	var sectionDone atomic.Bool
	go func() {
		s.Exclusive(func() {})
		sectionDone.Store(true)
	}()
	time.Sleep(20 * time.Millisecond)
	if sectionDone.Load() {
		t.Error("Exclusive did not wait for an entered view without a kick")
	}
	other.Leave()
	for !sectionDone.Load() {
		time.Sleep(time.Millisecond)
	}

	// Nothing running: no kick, no waiting.
	kicks := c.kicks.Load()
	start := time.Now()
	s.Exclusive(func() {})
	if d := time.Since(start); d > time.Second {
		t.Errorf("an exclusive section with no view running took %v", d)
	}
	if c.kicks.Load() != kicks {
		t.Error("a view that had left was kicked")
	}
}

// TestExclusiveSerializes: sections from several goroutines at once run
// one at a time, with vCPUs running meanwhile, and none deadlocks.
func TestExclusiveSerializes(t *testing.T) {
	s := New(1 << 32)
	s.Map(0x10000, PageSize, Read|Write)
	// inGuest counts the vCPUs between Enter's return and Leave, using
	// their caches: a view's running flag alone is also set for a moment
	// by an Enter that then finds a section pending and waits.
	var inGuest atomic.Int32
	c1 := startVCPU(s, func(v *View) bool {
		inGuest.Add(1)
		v.Store32(0x10000, v.Load32(0x10000)+1)
		inGuest.Add(-1)
		return true
	})
	c2 := startVCPU(s, func(v *View) bool {
		inGuest.Add(1)
		v.Load32(0x10000)
		inGuest.Add(-1)
		return true
	})
	var inside, overlaps atomic.Int32
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				s.Exclusive(func() {
					if inside.Add(1) != 1 {
						overlaps.Add(1)
					}
					if inGuest.Load() != 0 {
						overlaps.Add(1)
					}
					inside.Add(-1)
				})
			}
		}()
	}
	wg.Wait()
	c1.waitIters(t, 10)
	c1.end()
	c2.end()
	if n := overlaps.Load(); n != 0 {
		t.Errorf("%d sections overlapped another or a running view", n)
	}
}

// TestViewIsolation: views share the memory but not their caches; a
// tracer set on one view sees that view's accesses only.
func TestViewIsolation(t *testing.T) {
	s := New(1 << 32)
	s.Map(0x10000, PageSize, Read|Write)
	v1, v2 := s.NewView(), s.NewView()
	v1.Store32(0x10010, 0x1234)
	if v2.Load32(0x10010) != 0x1234 {
		t.Fatal("a store through one view is not seen through another")
	}
	pn := uint64(0x10)
	if v1.wtlbMain[pn%tlbSize].tag != pn+1 || v1.rtlbMain[pn%tlbSize].tag != 0 {
		t.Error("v1's caches do not hold exactly its own store translation")
	}
	if v2.rtlbMain[pn%tlbSize].tag != pn+1 || v2.wtlbMain[pn%tlbSize].tag != 0 {
		t.Error("v2's caches do not hold exactly its own load translation")
	}

	var traced []uint64
	v1.SetTracer(func(a uint64, n int, st bool, x uint64) { traced = append(traced, a) })
	v2.Store32(0x10020, 1)
	v2.Load8(0x10020)
	v1.Load8(0x10030)
	v1.SetTracer(nil)
	if len(traced) != 1 || traced[0] != 0x10030 {
		t.Errorf("v1's tracer saw %#x, want [0x10030] only", traced)
	}
	if v2.rtlb != &v2.rtlbMain || v1.rtlb != &v1.rtlbMain {
		t.Error("a view's caches are not its own after tracing")
	}
}

// TestZeroTranslationsShotDown: a view that read a never-written page
// (cached as the shared zero page) sees a store to it made through
// another view, through Write and through Poke, on its next load; also
// while it keeps running in another goroutine.
func TestZeroTranslationsShotDown(t *testing.T) {
	s := New(1 << 32)
	s.Map(0x10000, 8*PageSize, Read|Write)
	v1 := s.NewView()
	// A single view: Write and Poke (no view of their own) must drop its
	// zero translations too.
	if v1.Load32(0x10000) != 0 || v1.Load32(0x11000) != 0 {
		t.Fatal("fresh memory is not zero")
	}
	if err := s.Write(0x10000, []byte{1}); err != nil {
		t.Fatal(err)
	}
	if !s.Poke(0x11000, []byte{2}) {
		t.Fatal("Poke failed")
	}
	if v1.Load8(0x10000) != 1 || v1.Load8(0x11000) != 2 {
		t.Fatal("a view kept reading zeros after Write or Poke of a fresh page")
	}

	v1.Load32(0x12000)
	v2 := s.NewView() // a second view: existing zero translations are dropped
	v1.Load32(0x13000)
	v2.Store8(0x12000, 3)
	v2.Store8(0x13000, 4)
	if v1.Load8(0x12000) != 3 || v1.Load8(0x13000) != 4 {
		t.Fatal("a view kept reading zeros after another view's store to a fresh page")
	}

	// Running: v3 polls a fresh page until it sees the store made
	// through v2, which must shoot its zero translation down.
	var seen atomic.Bool
	c := startVCPU(s, func(v *View) bool {
		if v.Load8(0x14000) == 5 {
			seen.Store(true)
			return false
		}
		return true
	})
	c.waitIters(t, 10)
	v2.Store8(0x14000, 5)
	c.waitEnd(t, "a running view never saw another view's store to a fresh page")
	if !seen.Load() {
		t.Fatal("the loop ended without seeing the store")
	}
}

// TestManyViewsZeroTranslations: past 63 views, views share a zeroBy bit;
// a zero translation recorded under it is still shot down when a view
// with a bit of its own, or one sharing the bit, gives the page data; a
// bit freed by Close goes to the next view.
func TestManyViewsZeroTranslations(t *testing.T) {
	s := New(1 << 32)
	s.Map(0x10000, 4*PageSize, Read|Write)
	var vs []*View
	for i := 0; i < 66; i++ {
		vs = append(vs, s.NewView())
	}
	if vs[0].bit == vs[64].bit || vs[63].bit != sharedBit || vs[65].bit != sharedBit {
		t.Fatalf("bits %#x %#x %#x %#x", vs[0].bit, vs[63].bit, vs[64].bit, vs[65].bit)
	}
	vs[64].Load8(0x10000)
	vs[0].Store8(0x10000, 1)
	vs[64].Load8(0x11000)
	vs[65].Store8(0x11000, 2)
	if vs[64].Load8(0x10000) != 1 || vs[64].Load8(0x11000) != 2 {
		t.Fatal("a view sharing a bit kept reading zeros after another view's store")
	}
	b := vs[5].bit
	vs[5].Close()
	if v := s.NewView(); v.bit != b {
		t.Errorf("new view's bit %#x, want the closed view's %#x", v.bit, b)
	}
}

// TestMarkCodeDropsOtherViewsWrites: a view with a cached write
// translation of a page reports its next store there once another view
// marks the page as code.
func TestMarkCodeDropsOtherViewsWrites(t *testing.T) {
	s := New(1 << 32)
	s.Map(0x60000, PageSize, Read|Write|Exec)
	v1, v2 := s.NewView(), s.NewView()
	var hits atomic.Int32
	s.OnCodeWrite = func(uint64) { hits.Add(1) }
	v2.Store8(0x60010, 1) // cached for writing in v2
	v1.MarkCode(0x60000)
	v2.Store8(0x60020, 2)
	if hits.Load() != 1 {
		t.Fatalf("%d code write notifications, want 1", hits.Load())
	}
}

// TestCloseUnregisters: a closed view is not waited for nor flushed.
func TestCloseUnregisters(t *testing.T) {
	s := New(1 << 32)
	v := s.NewView()
	v.Enter()
	v.Close()
	if len(s.views) != 0 {
		t.Fatalf("%d views after Close", len(s.views))
	}
	done := make(chan struct{})
	go func() {
		s.Map(0x10000, PageSize, Read)
		s.Unmap(0x10000, PageSize)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Unmap waited for a closed view")
	}
}

// TestConcurrentChanges runs vCPUs that load and store while other
// goroutines map, protect, unmap, discard and move memory around them,
// and system calls read and write it: no deadlock, and, under the race
// detector, no report (go test -race).
func TestConcurrentChanges(t *testing.T) {
	s := New(1 << 32)
	const base = 0x100000
	s.Map(base, 16*PageSize, Read|Write)
	step := func(v *View) bool {
		for i := uint64(0); i < 16; i++ {
			catchFault(func() {
				a := base + i*PageSize + 8*(i%4)
				v.Store64(a, v.Load64(a)+1)
			})
		}
		return true
	}
	c1, c2 := startVCPU(s, step), startVCPU(s, step)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := 0; i < 200; i++ {
			a := base + uint64(i%16)*PageSize
			switch i % 5 {
			case 0:
				s.Unmap(a, PageSize)
			case 1:
				s.Map(a, PageSize, Read|Write)
			case 2:
				s.Protect(a, PageSize, Read)
			case 3:
				s.Discard(a, PageSize)
			case 4:
				s.Move(a, 0x800000, PageSize)
				s.Move(0x800000, a, PageSize)
			}
		}
	}()
	go func() {
		defer wg.Done()
		buf := make([]byte, 3*PageSize)
		for i := 0; i < 500; i++ {
			s.Read(base+uint64(i%14)*PageSize, buf)
			s.Write(base+uint64(i%14)*PageSize+100, buf[:PageSize])
			s.MarkCode(base + uint64(i%16)*PageSize)
		}
	}()
	wg.Wait()
	c1.waitIters(t, 5)
	c2.waitIters(t, 5)
	c1.end()
	c2.end()
}

func BenchmarkStore32Hit(b *testing.B) {
	s := New(1 << 32)
	v := s.NewView()
	s.Map(0x10000, PageSize, Read|Write)
	for i := 0; i < b.N; i++ {
		v.Store32(0x10000+uint64(i&0x3f)*4, uint32(i))
	}
}

// BenchmarkEnterLeave is what a system call adds to the engine's path:
// leaving the view and entering it again, with no exclusive section.
func BenchmarkEnterLeave(b *testing.B) {
	s := New(1 << 32)
	v := s.NewView()
	v.Enter()
	for i := 0; i < b.N; i++ {
		v.Leave()
		v.Enter()
	}
	v.Leave()
}

// BenchmarkExclusiveIdle is an exclusive section while no view runs (a
// single-threaded guest's munmap, or threads all in system calls).
func BenchmarkExclusiveIdle(b *testing.B) {
	s := New(1 << 32)
	s.NewView()
	s.NewView()
	for i := 0; i < b.N; i++ {
		s.Exclusive(func() {})
	}
}

// BenchmarkMapUnmap is mmap and munmap of one page touched through a view,
// the second in an exclusive section with no view running.
func BenchmarkMapUnmap(b *testing.B) {
	s := New(1 << 32)
	v := s.NewView()
	for i := 0; i < b.N; i++ {
		s.Map(0x10000, PageSize, Read|Write)
		v.Store32(0x10000, 1)
		s.Unmap(0x10000, PageSize)
	}
}
